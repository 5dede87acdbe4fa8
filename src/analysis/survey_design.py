"""Design-based inference for proportions under clustering and/or weights (Taylor linearisation).

A proportion in a domain (indicator x wave x group) is the ratio estimator p = sum(w y) / sum(w) over
the domain's answered rows. Its linearised influence, totalled by primary sampling unit (PSU, the
cluster) c, is t_c = (sum_c w y - p sum_c w) / sum(w); rows outside the domain contribute 0. The
variance is sum over strata h of n_h / (n_h - 1) * sum_c (t_c - mean_h t)^2, with n_h the PSUs of
stratum h in the whole design (with-replacement approximation, as R `survey` by default). Contrasts
(wave differences, wave x sex interactions) combine the domains' t_c cluster by cluster, so PSUs
shared by both waves are handled. Everything is done with groupby sums: no per-cell Python loop.

References: Wolter, K. (2007) Introduction to Variance Estimation, ch. 6; Lumley, T. (2010) Complex
Surveys: A Guide to Analysis Using R, s2.2 and s5.2; R survey: `svymean`, `svyciprop` (method "logit"
and "beta" = Korn & Graubard 1998, Survey Methodology 24, 193-201), `svyglm`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

DOMAIN = ["indicator", "wave", "group_var", "group"]


def cluster_influence(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-domain estimates and per-domain-and-PSU influence totals.

    `long` has one row per respondent x indicator x grouping with columns DOMAIN + y (0/1, no NA),
    w (weight), psu, stratum. Returns (domains: n, k, sum_w, p, s2 (weighted variance of y) per
    domain; influence: DOMAIN + stratum, psu, t).
    """
    long = long.assign(wy=long["w"] * long["y"])
    by_psu = long.groupby(DOMAIN + ["stratum", "psu"], observed=True, sort=True).agg(
        n=("y", "size"), k=("y", "sum"), sum_w=("w", "sum"), sum_wy=("wy", "sum")).reset_index()
    domains = by_psu.groupby(DOMAIN, observed=True, sort=True)[["n", "k", "sum_w", "sum_wy"]].sum().reset_index()
    domains["p"] = domains["sum_wy"] / domains["sum_w"]
    merged = by_psu.merge(domains[DOMAIN + ["p", "sum_w"]], on=DOMAIN, suffixes=("", "_domain"))
    merged["t"] = (merged["sum_wy"] - merged["p"] * merged["sum_w"]) / merged["sum_w_domain"]
    return domains.drop(columns="sum_wy"), merged[DOMAIN + ["stratum", "psu", "t"]]


def psu_counts(design_rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Number of PSUs per stratum (and per `by`, e.g. wave) in the design: the n_h of the variance."""
    return design_rows.groupby(by + ["stratum"], observed=True)["psu"].nunique().rename("n_h").reset_index()


def variance_from_influence(influence: pd.DataFrame, keys: list[str], n_h: pd.DataFrame, n_h_keys: list[str]) -> pd.Series:
    """Linearised variance per `keys` from PSU totals `t` (absent PSUs count as t = 0)."""
    per_stratum = influence.assign(t2=influence["t"] ** 2).groupby(keys + ["stratum"], observed=True).agg(
        s=("t", "sum"), s2=("t2", "sum")).reset_index()
    per_stratum = per_stratum.merge(n_h, on=n_h_keys + ["stratum"], how="left")
    single = per_stratum["n_h"] <= 1           # a lonely PSU contributes no variance (R: survey.lonely.psu="fail" errors)
    contrib = per_stratum["n_h"] / (per_stratum["n_h"] - 1) * (per_stratum["s2"] - per_stratum["s"] ** 2 / per_stratum["n_h"])
    per_stratum["v"] = contrib.where(~single, 0.0)
    return per_stratum.groupby(keys, observed=True)["v"].sum()


def logit_ci(p, se, df, alpha: float = 0.05):
    """R `svyciprop(method = "logit")`: Wald interval on the logit scale with t(df), back-transformed."""
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
