"""Design-based intervals and design effects for proportions (the variances come from
analysis.survey.domains).

A proportion in a domain (indicator x wave x group) is the ratio estimator p = sum(w y) / sum(w)
over the domain's answered rows. Its linearised influence, totalled by primary sampling unit (PSU,
the cluster) c, is t_c = (sum_c w y - p sum_c w) / sum(w); rows outside the domain contribute 0. The
variance is sum over strata h of n_h / (n_h - 1) * sum_c (t_c - mean_h t)^2, with n_h the PSUs of
stratum h in the whole design (with-replacement approximation, as R `survey` by default). Contrasts
(wave differences, wave x sex interactions) combine the domains' t_c cluster by cluster, so PSUs
shared by both waves are handled (analysis.survey.shifts).

References: Wolter, K. (2007) Introduction to Variance Estimation, ch. 6; Lumley, T. (2010) Complex
Surveys: A Guide to Analysis Using R, s2.2 and s5.2; R survey: `svymean`, `svyciprop` (method
"logit" and "beta" = Korn & Graubard 1998, Survey Methodology 24, 193-201), `svyglm`. scipy.stats is
imported inside the functions that use it: it takes half a second to import, and the report and
manifest jobs import this module without needing it.
"""

from __future__ import annotations

import numpy as np


def logit_ci(p, se, df, alpha: float = 0.05):
    """R `svyciprop(method = "logit")`: Wald interval on the logit scale with t(df),
    back-transformed.

    Undefined (NaN, never a zero-width interval) where the logit is: p = 0 or 1, a zero standard
    error, or df < 1. Callers use `korn_graubard_ci` at p = 0 or 1 and report the other cases as not
    estimable.

    Parameters
    ----------
    p, se : array_like
        Design-based proportion and its linearised standard error (proportions, not percent).
    df : array_like
        Design degrees of freedom (PSUs - strata).
    alpha : float
        1 - confidence level.

    Returns
    -------
    low, high : ndarray
        Interval limits as proportions.

    References
    ----------
    Lumley, T. (2010), s2.2; R survey `svyciprop(method = "logit")`.
    """
    from scipy import stats

    p, se, df = np.asarray(p, float), np.asarray(se, float), np.asarray(df, float)
    defined = (p > 0) & (p < 1) & (se > 0) & (df >= 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stats.t.ppf(1 - alpha / 2, np.where(df >= 1, df, np.nan))
        centre = np.log(p / (1 - p))
        half = q * se / (p * (1 - p))
        low, high = 1 / (1 + np.exp(-(centre - half))), 1 / (1 + np.exp(-(centre + half)))
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)


def korn_graubard_ci(p, se, n, df, alpha: float = 0.05):
    """R `svyciprop(method = "beta")` (Korn & Graubard 1998): Clopper-Pearson with an effective
    sample size.

    n* = p (1 - p) / se^2 (n over the design effect), adjusted for the design's degrees of freedom:
    n*_df = n* (t_{n-1, alpha/2} / t_{df, alpha/2})^2; limits
    Beta(alpha/2; n*_df p, n*_df (1 - p) + 1) and Beta(1 - alpha/2; n*_df p + 1, n*_df (1 - p)).
    At p = 0 or 1 the design variance is 0 and n* undefined (R returns NaN). Then n* = n, the
    respondents answering (design effect taken as 1): the convention of the NCHS data presentation
    standards for proportions (Parker et al. 2017, Vital Health Stat 2(175)) and of CDC's R
    `surveytable::svyciprop_adjusted` ("limit case: set to sample size"). It is still df-adjusted as
    above, so p = 0 gives [0, 1 - (alpha/2)^(1/n*_df)], the Clopper-Pearson interval of 0 successes
    in n*_df trials (surveytable skips the df adjustment there, giving a narrower interval). Callers
    label these rows.
    NaN where not defined: a zero standard error with 0 < p < 1, or df < 1 (no t quantile).

    Parameters
    ----------
    p, se : array_like
        Design-based proportion and its standard error (proportions).
    n, df : array_like
        Respondents answering, and the design degrees of freedom.
    alpha : float
        1 - confidence level.

    Returns
    -------
    low, high : ndarray
        Interval limits as proportions.

    References
    ----------
    Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small expected
    number of positive counts estimated from survey data. Survey Methodology 24, 193-201; R survey
    `svyciprop(method = "beta")`; Parker, J. D. et al. (2017). Vital Health Stat 2(175).
    """
    from scipy import stats

    p, se, n, df = (np.asarray(x, float) for x in (p, se, n, df))
    extreme = (p <= 0) | (p >= 1)
    defined = (extreme | (se > 0)) & (df >= 1) & (n >= 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(extreme, n, p * (1 - p) / se**2)
        t_n = stats.t.ppf(alpha / 2, np.where(n > 1, n - 1, np.nan))
        t_df = stats.t.ppf(alpha / 2, np.where(df >= 1, df, np.nan))
        n_eff = n_eff * np.where(n > 1, t_n / t_df, 1.0) ** 2
        low = np.where(p <= 0, 0.0, stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1))
        high = np.where(p >= 1, 1.0, stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)


def design_effect(var, p, n):
    """Kish design effect against simple random sampling with replacement of the same size
    (R `svymean(..., deff = "replace")`): var / (s^2 / n) with s^2 = p (1 - p) n / (n - 1).

    Parameters
    ----------
    var, p, n : array_like
        Design-based variance of the proportion, the proportion and the respondents answering.

    Returns
    -------
    ndarray
        The design effect; NaN where the SRS variance is 0 (p = 0 or 1, or n = 1).

    References
    ----------
    Kish, L. (1965). Survey Sampling, s8.2; R survey `svymean(deff = "replace")`.
    """
    var, p, n = (np.asarray(x, float) for x in (var, p, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        srs = p * (1 - p) / (n - 1)
        return np.where(srs > 0, var / srs, np.nan)
