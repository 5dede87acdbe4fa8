"""Design-based intervals and design effects for proportions (the variances come from analysis.domains).

A proportion in a domain (indicator x wave x group) is the ratio estimator p = sum(w y) / sum(w) over
the domain's answered rows. Its linearised influence, totalled by primary sampling unit (PSU, the
cluster) c, is t_c = (sum_c w y - p sum_c w) / sum(w); rows outside the domain contribute 0. The
variance is sum over strata h of n_h / (n_h - 1) * sum_c (t_c - mean_h t)^2, with n_h the PSUs of
stratum h in the whole design (with-replacement approximation, as R `survey` by default). Contrasts
(wave differences, wave x sex interactions) combine the domains' t_c cluster by cluster, so PSUs
shared by both waves are handled (analysis.shifts).

References: Wolter, K. (2007) Introduction to Variance Estimation, ch. 6; Lumley, T. (2010) Complex
Surveys: A Guide to Analysis Using R, s2.2 and s5.2; R survey: `svymean`, `svyciprop` (method "logit"
and "beta" = Korn & Graubard 1998, Survey Methodology 24, 193-201), `svyglm`.
scipy.stats is imported inside the functions that use it: it takes half a second to import, and the
report and manifest jobs import this module without needing it.
"""
from __future__ import annotations

import numpy as np


def logit_ci(p, se, df, alpha: float = 0.05):
    """R `svyciprop(method = "logit")`: Wald interval on the logit scale with t(df), back-transformed."""
    from scipy import stats
    p, se = np.asarray(p, float), np.asarray(se, float)
    q = stats.t.ppf(1 - alpha / 2, df)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.log(p / (1 - p))
        half = q * se / (p * (1 - p))
        low, high = 1 / (1 + np.exp(-(centre - half))), 1 / (1 + np.exp(-(centre + half)))
    degenerate = (p <= 0) | (p >= 1)
    return np.where(degenerate, p, low), np.where(degenerate, p, high)


def korn_graubard_ci(p, se, n, df, alpha: float = 0.05):
    """R `svyciprop(method = "beta")` (Korn & Graubard 1998): Clopper-Pearson with effective n."""
    from scipy import stats
    p, se, n = np.asarray(p, float), np.asarray(se, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(se > 0, p * (1 - p) / se**2, n)
        n_eff = n_eff * (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2
        low = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        high = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    return np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=1.0)


def design_effect(var, p, n):
    """Kish design effect against simple random sampling with replacement of the same size
    (R `svymean(..., deff = "replace")`): var / (s^2 / n) with s^2 = p (1 - p) n / (n - 1)."""
    var, p, n = (np.asarray(x, float) for x in (var, p, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        srs = p * (1 - p) / (n - 1)
        return np.where(srs > 0, var / srs, np.nan)
