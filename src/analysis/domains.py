"""Domain totals straight from wide respondent data: the engine behind estimates and shifts.

Every quantity the estimators need is a sum over respondents within a domain (indicator x wave x group,
optionally x stratum x PSU): counts n and k, sum(y^2), and the weighted sums sum(w), sum(w y), sum(w^2),
sum(w^2 y), sum(w^2 y^2). They are computed with one integer key per respondent and `np.bincount`,
one pass per indicator: memory stays O(respondents), never O(respondents x indicators x groupings).

`linearised_moments` turns totals into the per-stratum moments s = sum_c t_c and s2 = sum_c t_c^2 of the
linearised influence t (Taylor linearisation of the ratio estimator p = sum(w y) / sum(w)); with clusters
t is totalled by PSU, without clusters each respondent is its own PSU and the moments follow from the
w^2 sums. `variance_from_moments` applies the with-replacement formula sum_h n_h/(n_h-1) (s2 - s^2/n_h).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DOMAIN = ["indicator", "wave", "group_var", "group"]
SUMS = ["n", "k", "k2", "sum_w", "sum_wy", "sum_w2", "sum_w2y", "sum_w2yy"]
OVERALL, ALL = "overall", "All"


@dataclass
class Layout:
    """Integer codes of every respondent: wave, stratum, PSU; weights (1 when unweighted)."""

    wave: np.ndarray
    waves: np.ndarray
    stratum: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    psus: np.ndarray
    w: np.ndarray
    clustered: bool


def layout(data: pd.DataFrame, cluster: str | None, weight: str | None, strata: str | None) -> Layout:
    wave, waves = pd.factorize(data["wave"].astype(str), sort=True)
    if strata:
        stratum, strata_names = pd.factorize(data[strata].astype(str), sort=True)
    else:
        stratum, strata_names = np.zeros(len(data), dtype=np.int64), np.array(["1"])
    if cluster:
        psu, psus = pd.factorize(data[cluster].astype(str), sort=True)
    else:
        psu, psus = np.arange(len(data)), np.arange(len(data))
    w = data[weight].to_numpy(dtype=float) if weight else np.ones(len(data))
    return Layout(wave, np.asarray(waves), stratum, np.asarray(strata_names), psu, np.asarray(psus), w, bool(cluster))


def _group_codes(data: pd.DataFrame, group_var: str) -> tuple[np.ndarray, np.ndarray]:
    if group_var == OVERALL:
        return np.zeros(len(data), dtype=np.int64), np.array([ALL], dtype=object)
    codes, names = pd.factorize(data[group_var].astype(object), sort=True)
    return codes, np.asarray(names, dtype=object).astype(str)


def domain_totals(values: dict[str, np.ndarray], data: pd.DataFrame, lay: Layout, group_vars: list[str],
                  by_psu: bool) -> pd.DataFrame:
    """Sums (see module docstring) per indicator x wave x group [x stratum x psu]; NaN values are not answers."""
    frames = []
    n_psu = len(lay.psus) if by_psu else 1
    psu = lay.psu if by_psu else np.zeros(len(data), dtype=np.int64)
    w, w2 = lay.w, lay.w ** 2
    for gv in [OVERALL] + list(group_vars):
        gcode, gnames = _group_codes(data, gv)
        ok = gcode >= 0
        key = ((lay.wave.astype(np.int64) * len(gnames) + gcode) * len(lay.strata) + lay.stratum) * n_psu + psu
        uniq, inv = np.unique(key[ok], return_inverse=True)
        size = len(uniq)
        decoded = {"psu": uniq % n_psu}
        rest = uniq // n_psu
        decoded["stratum"] = rest % len(lay.strata)
        rest = rest // len(lay.strata)
        decoded["group"] = rest % len(gnames)
        decoded["wave"] = rest // len(gnames)
        wk, w2k = w[ok], w2[ok]
        unweighted = bool(np.all(wk == 1.0))
        for name, y in values.items():
            y = y[ok]
            valid = ~np.isnan(y)
            yv = np.where(valid, y, 0.0)
            sums = {"n": np.bincount(inv, weights=valid, minlength=size), "k": np.bincount(inv, weights=yv, minlength=size),
                    "k2": np.bincount(inv, weights=yv * yv, minlength=size)}
            if unweighted:       # w = 1: every weighted sum is a count already made
                sums.update(sum_w=sums["n"], sum_wy=sums["k"], sum_w2=sums["n"], sum_w2y=sums["k"], sum_w2yy=sums["k2"])
            else:
                sums.update(sum_w=np.bincount(inv, weights=wk * valid, minlength=size),
                            sum_wy=np.bincount(inv, weights=wk * yv, minlength=size))
                if by_psu:       # clustered: the moments use PSU totals, not the w^2 sums
                    sums.update(sum_w2=np.full(size, np.nan), sum_w2y=np.full(size, np.nan), sum_w2yy=np.full(size, np.nan))
                else:
                    sums.update(sum_w2=np.bincount(inv, weights=w2k * valid, minlength=size),
                                sum_w2y=np.bincount(inv, weights=w2k * yv, minlength=size),
                                sum_w2yy=np.bincount(inv, weights=w2k * yv * yv, minlength=size))
            keep = sums["n"] > 0
            frame = pd.DataFrame({key_: arr[keep] for key_, arr in sums.items()})
            frame.insert(0, "psu", decoded["psu"][keep])
            frame.insert(0, "stratum", decoded["stratum"][keep])
            frame.insert(0, "group", gnames[decoded["group"][keep]])
            frame.insert(0, "group_var", gv)
            frame.insert(0, "wave", lay.waves[decoded["wave"][keep]])
            frame.insert(0, "indicator", name)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def domain_estimates(totals: pd.DataFrame) -> pd.DataFrame:
    """Collapse strata/PSUs: per domain n, k, k2, sum_w, sum_wy and p = sum(w y) / sum(w)."""
    d = totals.groupby(DOMAIN, observed=True, sort=True)[SUMS].sum().reset_index()
    d["p"] = d["sum_wy"] / d["sum_w"]
    return d


def linearised_moments(totals: pd.DataFrame, domains: pd.DataFrame, clustered: bool) -> pd.DataFrame:
    """Per domain x stratum: s = sum of influence totals t, s2 = sum of t^2 (t per PSU, or per respondent)."""
    m = totals.merge(domains[DOMAIN + ["p", "sum_w"]].rename(columns={"sum_w": "W"}), on=DOMAIN)
    if clustered:
        m["t"] = (m["sum_wy"] - m["p"] * m["sum_w"]) / m["W"]
        m["t2"] = m["t"] ** 2
        return m.groupby(DOMAIN + ["stratum"], observed=True).agg(s=("t", "sum"), s2=("t2", "sum")).reset_index()
    g = m.groupby(DOMAIN + ["stratum"], observed=True)
    agg = g[["sum_wy", "sum_w", "sum_w2", "sum_w2y", "sum_w2yy"]].sum().reset_index()
    agg = agg.merge(domains[DOMAIN + ["p", "sum_w"]].rename(columns={"sum_w": "W"}), on=DOMAIN)
    agg["s"] = (agg["sum_wy"] - agg["p"] * agg["sum_w"]) / agg["W"]
    agg["s2"] = (agg["sum_w2yy"] - 2 * agg["p"] * agg["sum_w2y"] + agg["p"] ** 2 * agg["sum_w2"]) / agg["W"] ** 2
    return agg[DOMAIN + ["stratum", "s", "s2"]]


def psu_influence(totals: pd.DataFrame, domains: pd.DataFrame) -> pd.DataFrame:
    """Clustered designs: t per domain x stratum x PSU (for contrasts combined PSU by PSU)."""
    m = totals.merge(domains[DOMAIN + ["p", "sum_w"]].rename(columns={"sum_w": "W"}), on=DOMAIN)
    m["t"] = (m["sum_wy"] - m["p"] * m["sum_w"]) / m["W"]
    return m[DOMAIN + ["stratum", "psu", "t"]]


def psu_counts(lay: Layout, waves: bool) -> pd.DataFrame:
    """n_h: PSUs per stratum (per wave when `waves`), from all respondents of the design."""
    frame = pd.DataFrame({"wave": lay.waves[lay.wave], "stratum": lay.stratum, "psu": lay.psu})
    keys = (["wave"] if waves else []) + ["stratum"]
    return frame.groupby(keys, observed=True)["psu"].nunique().rename("n_h").reset_index()


def variance_from_moments(moments: pd.DataFrame, keys: list[str], n_h: pd.DataFrame, n_h_keys: list[str]) -> pd.Series:
    """sum over strata of n_h/(n_h - 1) (s2 - s^2 / n_h); a stratum with one PSU contributes nothing."""
    m = moments.merge(n_h, on=n_h_keys + ["stratum"], how="left")
    contrib = m["n_h"] / (m["n_h"] - 1) * (m["s2"] - m["s"] ** 2 / m["n_h"])
    m["v"] = contrib.where(m["n_h"] > 1, 0.0)
    return m.groupby(keys, observed=True)["v"].sum()


def indicator_values(data: pd.DataFrame, ids: list[str]) -> dict[str, np.ndarray]:
    """Each indicator column as a float array with NaN for no valid answer."""
    return {i: data[i].astype("Float64").to_numpy(dtype=float, na_value=np.nan) for i in ids}
