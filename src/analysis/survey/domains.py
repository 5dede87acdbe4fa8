"""Domain totals straight from wide respondent data: the engine behind estimates and shifts.

Every quantity the estimators need is a sum over respondents within a domain (indicator x wave x
group, optionally x stratum x PSU): counts n and k, sum(y^2), and the weighted sums sum(w), sum(w
y), sum(w^2), sum(w^2 y), sum(w^2 y^2). They are computed with one integer key per respondent and
`np.bincount`, one pass per indicator: memory stays O(respondents), never O(respondents x indicators
x groupings).

`linearised_moments` turns totals into the per-stratum moments s = sum_c t_c and s2 = sum_c t_c^2 of
the linearised influence t (Taylor linearisation of the ratio estimator p = sum(w y) / sum(w)); with
clusters t is totalled by PSU, without clusters each respondent is its own PSU and the moments
follow from the w^2 sums. `variance_from_moments` applies the with-replacement formula sum_h
n_h/(n_h-1) (s2 - s^2/n_h).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.model import ALL, OVERALL
from analysis.survey.design import Design

DOMAIN = ["indicator", "wave", "group_var", "group"]
SUMS = ["n", "k", "k2", "sum_w", "sum_wy", "sum_w2", "sum_w2y", "sum_w2yy"]


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
    fpc: np.ndarray | None = None  # population PSUs or sampling fraction per respondent's stratum
    n_h: dict = field(
        default_factory=dict, repr=False, compare=False
    )  # psu_counts, made once per `waves`


def layout(
    data: pd.DataFrame,
    cluster: str | None,
    weight: str | None,
    strata: str | None,
    fpc: str | None = None,
) -> Layout:
    """Integer codes of every respondent's wave, stratum and PSU, and the weights (R `svydesign`'s
    `ids`, `strata`, `weights` and `fpc`).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents, one row each, with a `wave` column.
    cluster, weight, strata : str or None
        The design variables naming the PSU, the weight and the stratum. None: each respondent is
        its own PSU, every weight is 1, and there is one stratum ("1").
    fpc : str or None
        The variable giving each respondent's stratum its number of PSUs in the population (or,
        when every value is at most 1, its sampling fraction); None: sampling with replacement.

    Returns
    -------
    Layout
        Codes into the sorted level names (`waves`, `strata`, `psus`, all as strings), weights `w`,
        `clustered` (whether `cluster` was given) and `fpc` (floats, NaN where not a number).

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley (R `svydesign`).
    """
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
    return Layout(
        wave,
        np.asarray(waves),
        stratum,
        np.asarray(strata_names),
        psu,
        np.asarray(psus),
        w,
        bool(cluster),
        pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=float) if fpc else None,
    )


def _group_codes(data: pd.DataFrame, group_var: str) -> tuple[np.ndarray, np.ndarray]:
    if group_var == OVERALL:
        return np.zeros(len(data), dtype=np.int64), np.array([ALL], dtype=object)
    codes, names = pd.factorize(data[group_var].astype(object), sort=True)
    return codes, np.asarray(names, dtype=object).astype(str)


def combine_codes(columns: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Number the combinations of integer columns (each given with its number of levels), in
    lexicographic order.

    Returns (the combination of each row, one row of each combination). The mixed-radix key is
    renumbered whenever the next column would overflow int64, so any number of grouping levels is
    safe; with no more combinations than rows they are counted densely (`np.bincount`).
    """
    key, span = np.zeros(len(columns[0][0]), dtype=np.int64), 1
    for values, size in columns:
        if span * size >= 2**62:
            key, uniques = pd.factorize(key, sort=True)
            span = len(uniques)
        key, span = key * size + values, span * size
    if span <= max(len(key), 2**16):  # few combinations: count them densely (no hashing)
        present = np.bincount(key, minlength=span) > 0
        code = (np.cumsum(present) - 1)[key]
        uniques = np.flatnonzero(present)
    else:
        code, uniques = pd.factorize(key, sort=True)
    first = np.empty(len(uniques), dtype=np.int64)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)
    return code, first


def _cells(data: pd.DataFrame, lay: Layout, group_vars: list[str], by_psu: bool):
    """Cross-classify respondents once: wave x every group variable (missing = own level) x stratum
    [x PSU].

    Returns (cell of each respondent, the parts of each cell, group codes/names per variable).
    """
    groups = {gv: _group_codes(data, gv) for gv in group_vars}
    columns = {"wave": (lay.wave.astype(np.int64), len(lay.waves))}
    for gv, (codes, names) in groups.items():
        columns[gv] = (np.where(codes >= 0, codes, len(names)), len(names) + 1)
    columns["stratum"] = (lay.stratum, len(lay.strata))
    columns["psu"] = (
        (lay.psu, len(lay.psus)) if by_psu else (np.zeros(len(data), dtype=np.int64), 1)
    )
    cell, first = combine_codes(list(columns.values()))
    return cell, {name: values[first] for name, (values, _) in columns.items()}, groups


def _margin(parts: dict, gv: str, groups: dict, n_psu: int, n_strata: int):
    """Map every cell to its domain x stratum x PSU row for one grouping (overall, or one group
    variable)."""
    n_cells = len(parts["wave"])
    if gv == OVERALL:
        group, names, ok = (
            np.zeros(n_cells, dtype=np.int64),
            np.array([ALL], dtype=object),
            np.ones(n_cells, dtype=bool),
        )
    else:
        names = groups[gv][1]
        group, ok = parts[gv], parts[gv] < len(names)  # the last level is "missing": not a domain
    columns = [
        (parts["wave"][ok], int(parts["wave"].max(initial=0)) + 1),
        (group[ok], len(names)),
        (parts["stratum"][ok], n_strata),
        (parts["psu"][ok], n_psu),
    ]
    inverse, first = combine_codes(columns)
    decoded = {
        "wave": columns[0][0][first],
        "group": columns[1][0][first],
        "stratum": columns[2][0][first],
        "psu": columns[3][0][first],
    }
    return ok, inverse, len(first), decoded, names


def domain_totals(
    values: Mapping[str, np.ndarray],
    data: pd.DataFrame,
    lay: Layout,
    group_vars: list[str],
    by_psu: bool,
) -> pd.DataFrame:
    """Sums (see module docstring) per indicator x wave x group [x stratum x psu]; NaN values are
    not answers.

    One pass over respondents per indicator: sums per cell of the cross-classification (`_cells`),
    then each grouping's domains are sums of cells (`_margin`), so group variables cost little.

    Parameters
    ----------
    values : dict of str to numpy.ndarray
        Per indicator, each respondent's answer (1, 0, NaN for no valid answer; `indicator_values`).
    data : pandas.DataFrame
        The respondents of `values`, in the same order, with the grouping variables.
    lay : Layout
        Their wave, stratum and PSU codes and weights (`layout`).
    group_vars : list of str
        Grouping variables besides the whole sample (`overall`); missing values form no domain.
    by_psu : bool
        Keep the PSU in the key (clustered designs: the influence is totalled by PSU).

    Returns
    -------
    pandas.DataFrame
        One row per indicator x wave x group_var x group x stratum [x psu] with an answer: the keys
        and the SUMS (the w^2 sums NaN for a weighted design `by_psu`, which does not need them).

    References
    ----------
    Wolter, K. (2007). Introduction to Variance Estimation, 2nd ed., ch. 6 (the totals of the
    linearised ratio estimator); Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R.
    """
    n_psu = len(lay.psus) if by_psu else 1
    cell, parts, groups = _cells(data, lay, group_vars, by_psu)
    n_cells = len(parts["wave"])
    margins = {
        gv: _margin(parts, gv, groups, n_psu, len(lay.strata))
        for gv in [OVERALL] + list(group_vars)
    }
    weighted = not bool(np.all(lay.w == 1.0))
    w, w2 = lay.w, lay.w**2
    frames: dict[str, list[pd.DataFrame]] = {gv: [] for gv in margins}
    for name, y in values.items():
        per_cell = _cell_sums(y, cell, n_cells, w, w2, weighted, by_psu)
        for gv, margin in margins.items():
            sums = _margin_sums(per_cell, margin, weighted, by_psu)
            frames[gv].append(_totals_frame(name, gv, sums, margin, lay.waves))
    return pd.concat([f for gv in margins for f in frames[gv]], ignore_index=True)


def _cell_sums(
    y: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    w: np.ndarray,
    w2: np.ndarray,
    weighted: bool,
    by_psu: bool,
) -> dict[str, np.ndarray]:
    """One indicator's sums per cell of the cross-classification (NaN = no answer): n, k, k2 and,
    when `weighted`, the weighted sums (the w^2 sums only when not `by_psu`)."""
    valid = ~np.isnan(y)
    yv = np.where(valid, y, 0.0)
    per_cell = {
        "n": np.bincount(cell, weights=valid, minlength=n_cells),
        "k": np.bincount(cell, weights=yv, minlength=n_cells),
        "k2": np.bincount(cell, weights=yv * yv, minlength=n_cells),
    }
    if weighted:
        per_cell["sum_w"] = np.bincount(cell, weights=w * valid, minlength=n_cells)
        per_cell["sum_wy"] = np.bincount(cell, weights=w * yv, minlength=n_cells)
        if not by_psu:  # clustered: the moments use PSU totals, not the w^2 sums
            per_cell["sum_w2"] = np.bincount(cell, weights=w2 * valid, minlength=n_cells)
            per_cell["sum_w2y"] = np.bincount(cell, weights=w2 * yv, minlength=n_cells)
            per_cell["sum_w2yy"] = np.bincount(cell, weights=w2 * yv * yv, minlength=n_cells)
    return per_cell


def _margin_sums(
    per_cell: dict[str, np.ndarray], margin: tuple, weighted: bool, by_psu: bool
) -> dict[str, np.ndarray]:
    """Cell sums added up to one grouping's domain x stratum [x PSU] rows (`_margin`), with every
    column of SUMS (unweighted: the weighted sums are the counts; `by_psu`: the w^2 sums NaN)."""
    ok, inverse, size, _, _ = margin
    sums = {k: np.bincount(inverse, weights=v[ok], minlength=size) for k, v in per_cell.items()}
    if not weighted:  # w = 1: every weighted sum is a count already made
        sums.update(
            sum_w=sums["n"],
            sum_wy=sums["k"],
            sum_w2=sums["n"],
            sum_w2y=sums["k"],
            sum_w2yy=sums["k2"],
        )
    elif by_psu:
        sums.update(
            sum_w2=np.full(size, np.nan),
            sum_w2y=np.full(size, np.nan),
            sum_w2yy=np.full(size, np.nan),
        )
    return sums


def _totals_frame(
    name: str, gv: str, sums: dict[str, np.ndarray], margin: tuple, waves: np.ndarray
) -> pd.DataFrame:
    """The rows with answers of one indicator x grouping: indicator, wave, group_var, group,
    stratum, psu and the SUMS columns."""
    _, _, _, decoded, names = margin
    keep = sums["n"] > 0
    frame = pd.DataFrame({key_: sums[key_][keep] for key_ in SUMS})
    frame.insert(0, "psu", decoded["psu"][keep])
    frame.insert(0, "stratum", decoded["stratum"][keep])
    frame.insert(0, "group", names[decoded["group"][keep]])
    frame.insert(0, "group_var", gv)
    frame.insert(0, "wave", waves[decoded["wave"][keep]])
    frame.insert(0, "indicator", name)
    return frame


def domain_estimates(totals: pd.DataFrame) -> pd.DataFrame:
    """Collapse strata/PSUs: per domain n, k, k2, sum_w, sum_wy and p = sum(w y) / sum(w).

    Parameters
    ----------
    totals : pandas.DataFrame
        Domain totals by stratum [and PSU] (`domain_totals`).

    Returns
    -------
    pandas.DataFrame
        One row per domain (indicator, wave, group_var, group, sorted) with the SUMS columns added
        up and p, the (weighted) ratio estimate as a proportion (0-1).

    References
    ----------
    Cochran, W. G. (1977). Sampling Techniques, 3rd ed., ch. 6 (ratio estimators); Lumley, T.
    (2010). Complex Surveys: A Guide to Analysis Using R (R `svymean`, `svyciprop`).
    """
    d = totals.groupby(DOMAIN, observed=True, sort=True)[SUMS].sum().reset_index()
    d["p"] = d["sum_wy"] / d["sum_w"]
    return d


def linearised_moments(
    totals: pd.DataFrame, domains: pd.DataFrame, clustered: bool
) -> pd.DataFrame:
    """Per domain x stratum: s = sum of influence totals t, s2 = sum of t^2 (t per PSU, or per
    respondent).

    t = (sum(w y) - p sum(w)) / W over the PSU's answers, with W = sum(w) of the domain. Without
    clusters every respondent is a PSU, and the moments come from the w^2 sums:
    s2 = (sum(w^2 y^2) - 2 p sum(w^2 y) + p^2 sum(w^2)) / W^2.

    Parameters
    ----------
    totals : pandas.DataFrame
        Domain totals by stratum, and by PSU when `clustered` (`domain_totals`).
    domains : pandas.DataFrame
        The domains' estimates p and sum_w (`domain_estimates`).
    clustered : bool
        Whether `totals` are by PSU (a clustered design).

    Returns
    -------
    pandas.DataFrame
        One row per domain x stratum: indicator, wave, group_var, group, stratum, s, s2 (in units
        of the proportion, 0-1).

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex
    surveys. International Statistical Review 51, 279-292; Wolter, K. (2007). Introduction to
    Variance Estimation, 2nd ed., ch. 6 (Taylor series method).
    """
    m = totals.merge(domains[DOMAIN + ["p", "sum_w"]].rename(columns={"sum_w": "W"}), on=DOMAIN)
    if clustered:
        m["t"] = (m["sum_wy"] - m["p"] * m["sum_w"]) / m["W"]
        m["t2"] = m["t"] ** 2
        return (
            m.groupby(DOMAIN + ["stratum"], observed=True)
            .agg(s=("t", "sum"), s2=("t2", "sum"))
            .reset_index()
        )
    g = m.groupby(DOMAIN + ["stratum"], observed=True)
    agg = g[["sum_wy", "sum_w", "sum_w2", "sum_w2y", "sum_w2yy"]].sum().reset_index()
    agg = agg.merge(domains[DOMAIN + ["p", "sum_w"]].rename(columns={"sum_w": "W"}), on=DOMAIN)
    agg["s"] = (agg["sum_wy"] - agg["p"] * agg["sum_w"]) / agg["W"]
    agg["s2"] = (
        agg["sum_w2yy"] - 2 * agg["p"] * agg["sum_w2y"] + agg["p"] ** 2 * agg["sum_w2"]
    ) / agg["W"] ** 2
    return agg[DOMAIN + ["stratum", "s", "s2"]]


def psu_influence(totals: pd.DataFrame, domains: pd.DataFrame) -> pd.DataFrame:
    """Clustered designs: t per domain x stratum x PSU (for contrasts combined PSU by PSU).

    Parameters
    ----------
    totals : pandas.DataFrame
        Domain totals by stratum and PSU (`domain_totals(..., by_psu=True)`).
    domains : pandas.DataFrame
        The domains' estimates p and sum_w (`domain_estimates`).

    Returns
    -------
    pandas.DataFrame
        indicator, wave, group_var, group, stratum, psu and t = (sum(w y) - p sum(w)) / W, the
        PSU's linearised influence on the domain's proportion (W = the domain's sum of weights).

    References
    ----------
    Binder, D. A. (1983). International Statistical Review 51, 279-292; Wolter, K. (2007).
    Introduction to Variance Estimation, 2nd ed., ch. 6.
    """
    m = totals.merge(domains[DOMAIN + ["p", "sum_w"]].rename(columns={"sum_w": "W"}), on=DOMAIN)
    m["t"] = (m["sum_wy"] - m["p"] * m["sum_w"]) / m["W"]
    return m[DOMAIN + ["stratum", "psu", "t"]]


def psu_counts(lay: Layout, waves: bool) -> pd.DataFrame:
    """n_h: PSUs per stratum (per wave when `waves`), from all respondents of the design (kept on
    the layout: the design check, the estimates and the shifts of one pass share it); with a
    finite population correction also f = 1 - n_h / N_h.

    Parameters
    ----------
    lay : Layout
        The design's respondents (`layout`); the counts are cached on it.
    waves : bool
        Count per wave x stratum (True) or per stratum over all waves (False).

    Returns
    -------
    pandas.DataFrame
        Columns [wave,] stratum and n_h, the number of distinct PSUs, and, when `lay.fpc` is set,
        f: the share of the stratum's population PSUs not sampled (1 - n_h / N_h, with N_h the
        stratum's largest `fpc` value; 1 - the fraction when every `fpc` value is at most 1, as R);
        a copy, free to change.

    References
    ----------
    Korn, E. L. & Graubard, B. I. (1999). Analysis of Health Surveys. Wiley (domains of the whole
    design; degrees of freedom PSUs - strata); Lumley, T. (2010). Complex Surveys (R `subset()`);
    Cochran, W. G. (1977). Sampling Techniques, 3rd ed., s5.3 (finite population correction);
    R survey 4.1.1 `svydesign(fpc = )`.
    """
    if waves not in lay.n_h:
        frame = pd.DataFrame({"wave": lay.waves[lay.wave], "stratum": lay.stratum, "psu": lay.psu})
        keys = (["wave"] if waves else []) + ["stratum"]
        counts = frame.groupby(keys, observed=True)["psu"].nunique().rename("n_h").reset_index()
        if lay.fpc is not None:
            pop = frame.assign(fpc=lay.fpc).groupby(keys, observed=True)["fpc"].max()
            pop = pop.to_numpy(dtype=float)
            fraction = bool(np.all(lay.fpc <= 1))
            counts["f"] = np.clip(1 - (pop if fraction else counts["n_h"] / pop), 0.0, 1.0)
        lay.n_h[waves] = counts
    return lay.n_h[waves].copy()


# a stratum's centred sum of squares below this share of the uncentred one is rounding noise
ZERO_SPREAD = 1e-12


LONELY_RULES = ("fail", "adjust", "average", "certainty", "remove")


def variance_from_moments(
    moments: pd.DataFrame,
    keys: list[str],
    n_h: pd.DataFrame,
    n_h_keys: list[str],
    lonely: str = "fail",
) -> pd.Series:
    """sum over strata of f_h n_h/(n_h - 1) (s2 - s^2 / n_h), with R's rules for strata of one PSU.

    A stratum whose PSU totals are all equal (s2 - s^2/n_h at most ZERO_SPREAD x s2: cancellation
    error only, e.g. every answer 0 or 1, or one PSU with answers) contributes exactly 0, so a zero
    variance is exactly 0 and callers can say so. A stratum with one PSU in the design (a "lonely
    PSU") contributes as R `options(survey.lonely.psu = lonely)`: "certainty" and "remove" nothing,
    "adjust" its PSU total squared (centred at the population mean, 0 for a linearised influence),
    "average" the mean contribution of the other strata (the sum is scaled by strata / strata with
    two or more PSUs). "fail" contributes nothing here: callers stop before
    (estimates.check_variance_estimable), as R survey does by default. f_h = 1 - n_h / N_h when
    `n_h` has a column f (a finite population correction, `psu_counts`), else 1.

    Parameters
    ----------
    moments : pandas.DataFrame
        s and s2 per `keys` x stratum (`linearised_moments`, or the moments of a contrast).
    keys : list of str
        The columns identifying one estimate (e.g. the domain); the result's index.
    n_h : pandas.DataFrame
        PSUs per stratum and optionally f (`psu_counts`), merged on `n_h_keys` + ["stratum"].
    n_h_keys : list of str
        The columns besides stratum that `n_h` is counted by (["wave"], or []).
    lonely : {"fail", "adjust", "average", "certainty", "remove"}
        The lonely-PSU rule (`Design.lonely_psu`).

    Returns
    -------
    pandas.Series
        The with-replacement linearised variance of each estimate (squared proportion units).

    References
    ----------
    Wolter, K. (2007). Introduction to Variance Estimation, 2nd ed., ch. 6; Cochran, W. G.
    (1977). Sampling Techniques, 3rd ed., s5A.12 (one PSU per stratum); R survey 4.1.1
    `options(survey.lonely.psu)` and its internal `onestrat` / `onestage` (Lumley, T. (2010).
    Complex Surveys: A Guide to Analysis Using R, s3.2.1).
    """
    m = moments.merge(n_h, on=n_h_keys + ["stratum"], how="left")
    spread = m["s2"] - m["s"] ** 2 / m["n_h"]
    contrib = m["n_h"] / (m["n_h"] - 1) * spread.where(spread > ZERO_SPREAD * m["s2"], 0.0)
    alone = (m["n_h"] <= 1).to_numpy()
    m["v"] = np.where(alone, m["s2"] if lonely == "adjust" else 0.0, contrib)
    if "f" in m:  # without replacement: the finite population correction 1 - n_h / N_h
        m["v"] = m["v"] * m["f"]
    var = m.groupby(keys, observed=True)["v"].sum()
    if lonely == "average" and alone.any():
        strata = m.assign(ok=~alone).groupby(keys, observed=True)["ok"].agg(["size", "sum"])
        var = var * strata["size"] / strata["sum"]
    return var


def domain_df(totals: pd.DataFrame, keys: list[str], strata_keys: list[str], clustered: bool):
    """Degrees of freedom per estimate as R `degf()` of a `subset()` of the design: the PSUs
    (respondents when unclustered) with an answer in the estimate's domains minus their strata.

    Parameters
    ----------
    totals : pandas.DataFrame
        Domain totals with answers (n > 0) by `strata_keys` [and PSU] (`domain_totals`), restricted
        to the domains of each estimate.
    keys : list of str
        The columns identifying one estimate (e.g. the domain).
    strata_keys : list of str
        The columns identifying a stratum: ["stratum"], or ["wave", "stratum"] when the waves are
        separate samples.
    clustered : bool
        Whether `totals` are by PSU.

    Returns
    -------
    pandas.DataFrame
        `keys`, df, psus and strata (integer counts of those with answers).

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, s2.3 (domains as `subset()`);
    R survey 4.1.1 `degf.survey.design2`; Korn, E. L. & Graubard, B. I. (1999). Analysis of Health
    Surveys, s5.2 (design degrees of freedom of a domain).
    """
    if clustered:
        psus = totals.drop_duplicates(keys + strata_keys + ["psu"]).groupby(keys, observed=True)
        psus = psus.size()
    else:
        psus = totals.groupby(keys, observed=True)["n"].sum().round().astype(np.int64)
    strata = totals.drop_duplicates(keys + strata_keys).groupby(keys, observed=True).size()
    return pd.DataFrame({"df": psus - strata, "psus": psus, "strata": strata}).reset_index()


def design_pass(
    values: Mapping[str, np.ndarray], data: pd.DataFrame, design: Design, group_vars: list[str]
):
    """(layout, domain totals by stratum [and PSU], domain estimates) under `design` (its cluster,
    weight and strata variables): what every estimate and contrast needs.

    Parameters
    ----------
    values : dict of str to numpy.ndarray
        Per indicator, each respondent's answer (1, 0, NaN for no valid answer).
    data : pandas.DataFrame
        The respondents of `values`, with the design and grouping variables.
    design : Design
        Names the cluster, weight and strata variables; totals are by PSU when clustered.
    group_vars : list of str
        Grouping variables besides the whole sample.

    Returns
    -------
    tuple of (Layout, pandas.DataFrame, pandas.DataFrame)
        `layout`, `domain_totals` and `domain_estimates` (proportions 0-1) of this design.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley (R `svydesign`).
    """
    lay = layout(data, design.cluster, design.weight, design.strata, design.fpc)
    totals = domain_totals(values, data, lay, group_vars, by_psu=lay.clustered)
    return lay, totals, domain_estimates(totals)


class DesignPasses:
    """Design passes of one respondent table: (layout, domain totals, domain estimates) per
    indicator set, design and grouping, made once and shared (the estimates and the shifts of a
    country need the same pass).
    """

    def __init__(self, data: pd.DataFrame):
        self.data = data
        self._made: dict[tuple, tuple] = {}

    def get(self, ids: list[str], design: Design, group_vars: list[str]):
        """The design pass of indicators `ids` under `design` and `group_vars`, made on first use.

        Parameters
        ----------
        ids : list of str
            Indicator columns of the respondent table.
        design : Design
            Its cluster, weight and strata variables are part of the cache key.
        group_vars : list of str
            Grouping variables besides the whole sample.

        Returns
        -------
        tuple of (Layout, pandas.DataFrame, pandas.DataFrame)
            As `design_pass`; the same objects on every call with the same arguments.

        References
        ----------
        Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley (R `svydesign`).
        """
        key = (
            tuple(ids),
            design.cluster,
            design.weight,
            design.strata,
            design.fpc,
            tuple(group_vars),
        )
        if key not in self._made:
            self._made[key] = design_pass(
                indicator_values(self.data, ids), self.data, design, group_vars
            )
        return self._made[key]


def read_respondents(path, columns: list[str], indicators: list[str]) -> pd.DataFrame:
    """Only `columns` of a clean respondents Parquet file; indicator columns as float64 with NaN for
    no valid answer (what the estimators use), converted by pyarrow without pandas' nullable Int64
    in between.

    Parameters
    ----------
    path : str or path-like
        The respondents Parquet file.
    columns : list of str
        The columns to read, in this order.
    indicators : list of str
        Indicator ids; those in `columns` are read as float64 with NaN for null.

    Returns
    -------
    pandas.DataFrame
        The non-indicator columns first (as pyarrow converts them), then the indicator columns.

    References
    ----------
    Apache Arrow: `pyarrow.parquet.ParquetFile.read`, `pyarrow.compute.cast` and
    `pyarrow.compute.fill_null` (https://arrow.apache.org/docs/python/).
    """
    import pyarrow.parquet as pq

    as_float = [c for c in columns if c in set(indicators)]
    with pq.ParquetFile(path) as parquet:
        frame = parquet.read(columns=[c for c in columns if c not in set(as_float)]).to_pandas()
        floats = {c: _float_column(parquet, c) for c in as_float}
    return pd.concat([frame, pd.DataFrame(floats, index=frame.index, copy=False)], axis=1)


def _float_column(parquet, column: str) -> np.ndarray:
    """One column of an open Parquet file as float64 with NaN for null (Arrow holds one column at a
    time, never the whole table)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.cast(parquet.read(columns=[column]).column(0), pa.float64())
    return pc.fill_null(values, np.nan).to_numpy()


class IndicatorColumns(Mapping):
    """Read-only mapping of indicator id -> its column as float64 with NaN, converted on each
    lookup (`indicator_values`); with `centre_weights`, minus the column's weighted mean over its
    answers (for sums of squares without cancellation)."""

    def __init__(
        self, data: pd.DataFrame, ids: tuple[str, ...], centre_weights: np.ndarray | None = None
    ):
        self._data, self._ids, self._w = data, ids, centre_weights

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._ids:
            raise KeyError(name)
        y = self._data[name].to_numpy(dtype=float, na_value=np.nan)
        if self._w is not None:
            answered = ~np.isnan(y)
            if self._w[answered].sum() > 0:
                y = y - np.average(y[answered], weights=self._w[answered])
        return y

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def indicator_values(data: pd.DataFrame, ids: list[str]) -> Mapping[str, np.ndarray]:
    """Each indicator column as a float array with NaN for no valid answer.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents with the indicator columns (1, 0, missing).
    ids : list of str
        The indicator columns to take.

    Returns
    -------
    Mapping of str to numpy.ndarray
        Per indicator, float64 values in `data`'s row order (missing, including pandas.NA, is NaN),
        made when looked up and not kept: memory holds one indicator's values at a time, never
        every indicator's.

    References
    ----------
    pandas: `Series.to_numpy(dtype, na_value)` (https://pandas.pydata.org/docs/).
    """
    return IndicatorColumns(data, tuple(ids))
