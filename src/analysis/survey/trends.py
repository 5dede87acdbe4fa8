"""Trends: the linear trend of every indicator over three or more waves, overall and by group.

Public surface: `trend_table(data, ids, country, design, alpha, group_vars, measures)`.

The trend is the slope of the (weighted) least-squares line of the indicator on `wave_number`
(0, 1, 2, ... in the configured order of the waves, `Design.waves`), as R `svyglm(y ~ wave_number,
design)`: shares (0/1 indicators) in percentage points per wave step, means in the indicator's
units per wave step (the `measure` column says which). Its standard error is the linearised
(sandwich) one: the influence of respondent i on the slope is

    u_i = w_i (x_i - xbar) (y_i - ybar - b (x_i - xbar)) / sum_j w_j (x_j - xbar)^2

(weighted means xbar, ybar; slope b), and the variance is the design's linearised variance of the
total of u (`domains.variance_from_moments`: with-replacement, strata, finite population
correction, lonely-PSU rule), on the design's degrees of freedom minus one (svyglm's residual df:
PSUs - strata + 1 - 2 coefficients). The design:
- independent cross-sections that sample their clusters afresh: strata = wave x stratum and PSUs
  nested in waves, as R `svydesign(ids = ~psu, strata = ~interaction(wave, stratum), nest = TRUE)`
  (as the shifts' engine); `clusters_revisited: true`: strata and PSUs shared by the waves;
- simple random samples (no cluster, no weight): `svydesign(ids = ~1)` on the stacked waves (no
  strata), i.e. the HC0-like survey sandwich with n/(n - 1);
- panels: the stacked long data with the person as the cluster, R `svydesign(ids = ~panel_key)`
  (or the design's cluster, which contains its people, when one is set), strata shared by the
  waves; the repeated answers of one person are so correlated as they are.
Each group is a domain of the whole design (R `subset()`), as in the estimates and shifts.

Computation: from the domain totals of the estimates' engine (`domains.domain_totals`, one bincount
pass per indicator), never a table of every answer. x is constant within a wave, so the total of u
over one wave's answers in a PSU is (x - xbar) / sxx (sum(w y) - (ybar + b (x - xbar)) sum(w)), and
without clusters the sum of u^2 follows from the w^2 sums; answers are first centred at their
weighted mean (the slope and u do not move), so these sums of squares do not cancel.

Degenerate cells are reported, never silently NaN: fewer than two waves with answers (no slope),
no design variance, or fewer than one degree of freedom give the slope (where there is one) with
no test and a `note` saying "not estimable: ...".

References
----------
Binder, D. A. (1983). International Statistical Review 51, 279-292 (linearised variance of
estimating equations); Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, ch. 5
(`svyglm`); Lumley, T. & Scott, A. J. (2017). Fitting regression models to survey data.
Statistical Science 32, 265-278.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.model import DEFAULT_ALPHA, OVERALL
from analysis.survey.design import DESIGN_COLUMNS, Design
from analysis.survey.domains import (
    ZERO_SPREAD,
    IndicatorColumns,
    combine_codes,
    domain_df,
    domain_totals,
    indicator_values,
    layout,
    psu_counts,
    variance_from_moments,
)
from analysis.survey.estimates import NOT_ESTIMABLE, wave_order
from analysis.survey.proportions import wald_diff_test

TREND_COLUMNS = [
    "country",
    "indicator",
    "group_var",
    "group",
    *DESIGN_COLUMNS,
    "measure",
    "waves",
    "n",
    "slope",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "test",
    "note",
]
CELL = ["indicator", "group_var", "group"]
MIN_TREND_WAVES = 3
TEST = "design-based Wald t of the linear trend (svyglm y ~ wave_number, linearised)"


def wave_numbers(design: Design, present) -> dict[str, int]:
    """Each wave's number: 0, 1, 2, ... in the configured order (`Design.waves`; waves not
    configured follow, as `estimates.wave_order` orders them)."""
    present = [str(w) for w in present]
    order = list(design.waves) + [w for w in wave_order(design, present) if w not in design.waves]
    return {w: i for i, w in enumerate(order)}


def _trend_layout(data: pd.DataFrame, design: Design):
    """(layout, strata keys): the design the trend's variance uses (module docstring)."""
    if design.is_panel:
        cluster = design.cluster or design.panel_key
        return layout(data, cluster, design.weight, design.strata, design.fpc), ["stratum"]
    if not design.design_based:
        return layout(data, None, None, None), ["stratum"]
    lay = layout(data, design.cluster, design.weight, design.strata, design.fpc)
    return lay, (["wave", "stratum"] if design.separate_waves else ["stratum"])


def _trend_totals(data: pd.DataFrame, ids: list[str], lay, group_vars: list[str]):
    """Each indicator's domain totals by wave x stratum [x PSU] (`domains.domain_totals`, the
    engine of the estimates and shifts) of its answers centred at their weighted mean (the slope
    and the influences do not move with a constant; centring keeps the sums of squares exact), with
    the columns `cell` (a number per indicator x group_var x group) and `wave_code`."""
    centred = IndicatorColumns(data, tuple(ids), centre_weights=lay.w)
    totals = domain_totals(centred, data, lay, group_vars, by_psu=lay.clustered)
    cell, cells = pd.factorize(pd.MultiIndex.from_frame(totals[CELL]))
    totals["cell"] = cell
    totals["wave_code"] = pd.Index(np.asarray(lay.waves, dtype=object)).get_indexer(totals["wave"])
    return totals, pd.DataFrame(list(cells), columns=CELL)


def _slopes(totals: pd.DataFrame, cells: pd.DataFrame, x: np.ndarray):
    """Per cell: the weighted least-squares slope b of y on x (the wave number of each totals
    row), sxx, n and the waves with answers; per totals row the total of the influences u of its
    answers on b (`t`) and, without clusters, the sum of their squares (`tt`) (module docstring:
    u = w (x - xbar) (y - ybar - b (x - xbar)) / sxx, summed over the row's answers)."""
    code, size = totals["cell"].to_numpy(), len(cells)
    sum_w, sum_wy = totals["sum_w"].to_numpy(float), totals["sum_wy"].to_numpy(float)
    weight = np.bincount(code, weights=sum_w, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = x - (np.bincount(code, weights=x * sum_w, minlength=size) / weight)[code]
        ybar = np.bincount(code, weights=sum_wy, minlength=size) / weight
        sxx = np.bincount(code, weights=sum_w * dx * dx, minlength=size)
        sxy = np.bincount(code, weights=dx * (sum_wy - ybar[code] * sum_w), minlength=size)
        slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), np.nan)
        k = dx / sxx[code]
        line = ybar[code] + slope[code] * dx  # the fitted value at the row's wave
        t = _noise_to_zero(
            k * (sum_wy - line * sum_w), np.abs(k) * (np.abs(sum_wy) + np.abs(line * sum_w))
        )
        sum_w2yy, sum_w2y, sum_w2 = (
            totals[c].to_numpy(float) for c in ("sum_w2yy", "sum_w2y", "sum_w2")
        )
        scale = k * k * (sum_w2yy + line * line * sum_w2)
        tt = _noise_to_zero(k * k * (sum_w2yy - 2 * line * sum_w2y + line * line * sum_w2), scale)
    waves = totals[["cell", "wave_code"]].drop_duplicates().groupby("cell").size()
    fit = cells.assign(
        cell=np.arange(size),
        sxx=sxx,
        slope=slope,
        n=np.bincount(code, weights=totals["n"].to_numpy(float), minlength=size).round(),
        n_waves=waves.reindex(np.arange(size), fill_value=0).to_numpy(),
    )
    return fit, t, tt


def _noise_to_zero(value: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """`value` (a difference of sums of size `magnitude`), exactly 0 where it is within
    `domains.ZERO_SPREAD` of `magnitude`: cancellation error, e.g. every answer on the line."""
    return np.where(np.abs(value) > ZERO_SPREAD * magnitude, value, 0.0)


def _variance(totals, t, tt, lay, strata_keys: list[str], design: Design) -> pd.DataFrame:
    """Per cell: the linearised variance of the total of u (`variance_from_moments` with the
    design's PSU counts and lonely-PSU rule) and svyglm's residual df (`domains.domain_df` - 1):
    PSU totals of u with clusters, else each answer its own PSU (moments from `tt`)."""
    rows = pd.DataFrame({"cell": totals["cell"], "wave": totals["wave_code"]})
    rows["stratum"], rows["psu"] = totals["stratum"], totals["psu"]
    levels = {"cell": int(rows["cell"].max()) + 1, "wave": len(lay.waves)}
    levels |= {"stratum": len(lay.strata), "psu": len(lay.psus)}
    keys = ["cell"] + strata_keys + (["psu"] if lay.clustered else [])
    group, first = combine_codes([(rows[k].to_numpy(np.int64), levels[k]) for k in keys])
    by_psu = rows.loc[first, keys].reset_index(drop=True)
    by_psu["t"] = np.bincount(group, weights=t, minlength=len(first))
    by_psu["n"] = np.bincount(group, weights=totals["n"].to_numpy(float), minlength=len(first))
    if lay.clustered:
        by_psu["tt"] = by_psu["t"] ** 2
        strata_of = [(by_psu[k].to_numpy(np.int64), levels[k]) for k in keys[:-1]]
        stratum_group, stratum_first = combine_codes(strata_of)
        moments = by_psu.loc[stratum_first, keys[:-1]].reset_index(drop=True)
        moments["s"] = np.bincount(stratum_group, weights=by_psu["t"], minlength=len(stratum_first))
        moments["s2"] = np.bincount(
            stratum_group, weights=by_psu["tt"], minlength=len(stratum_first)
        )
    else:
        moments = by_psu[keys].assign(s=by_psu["t"], s2=np.bincount(group, weights=tt))
    if "wave" in moments:  # text, as the PSU counts' waves
        moments["wave"] = np.asarray(lay.waves, dtype=object)[moments["wave"].to_numpy()]
    n_h = psu_counts(lay, waves=strata_keys[0] == "wave")
    var = variance_from_moments(moments, ["cell"], n_h, strata_keys[:-1], design.lonely_psu)
    df = domain_df(by_psu, ["cell"], strata_keys, clustered=lay.clustered)
    out = df.merge(var.rename("var").reset_index(), on="cell", how="left")
    out["df"] = (out["df"] - 1).astype(float)
    return out[["cell", "var", "df", "psus", "strata"]]


def _trend_rows(fit: pd.DataFrame, var: pd.DataFrame, alpha: float, design: Design):
    """The slope, its standard error, Wald t test (normal with `ci_df: normal`) and interval per
    cell, in y units per wave step; no test where a cell is degenerate (`_trend_note`)."""
    rows = fit.merge(var, on="cell", how="left")
    se = np.sqrt(rows["var"].clip(lower=0).to_numpy(float))
    df = None if design.ci_df == "normal" else rows["df"].to_numpy(float)
    stat, p, low, high = wald_diff_test(rows["slope"].to_numpy(float), se, df, alpha)
    if df is None:  # the df column keeps the design's, as the shifts do
        few = rows["df"].to_numpy(float) < 1
        stat, p, low, high = (np.where(few, np.nan, v) for v in (stat, p, low, high))
    return rows.assign(
        se=np.where(se > 0, se, np.nan), statistic=stat, p_value=p, ci_low=low, ci_high=high
    )


def _trend_note(rows: pd.DataFrame, clustered: bool) -> np.ndarray:
    """Why a trend has no test: answers in fewer than two waves (no slope), no design variance, or
    fewer than one degree of freedom; a caution when answers come from fewer than three waves."""
    units = "clusters" if clustered else "respondents"
    df = rows["df"].fillna(0).astype(int).astype(str)
    return np.select(
        [
            rows["slope"].isna(),
            ~(rows["var"] > 0),
            rows["df"] < 1,
            rows["n_waves"] < MIN_TREND_WAVES,
        ],
        [
            NOT_ESTIMABLE + "answers in fewer than two waves, so there is no trend",
            NOT_ESTIMABLE + "the slope has no design variance (every answer on the line), so no"
            " test or interval",
            NOT_ESTIMABLE
            + rows["psus"].fillna(0).astype(int).astype(str)
            + f" {units} leave "
            + df
            + " degrees of freedom, too few for a t test",
            "answers in only " + rows["n_waves"].astype(int).astype(str) + " waves: the slope is"
            " their change per wave step",
        ],
        "",
    )


def trend_table(
    data: pd.DataFrame,
    ids: Sequence[str],
    country: str,
    design: Design,
    alpha: float = DEFAULT_ALPHA,
    group_vars: Sequence[str] = ("sex",),
    measures: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The linear trend over 3+ waves of every indicator, overall and by group (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents (one row per person x wave): `wave`, the indicator columns (0/1 shares or
        numeric means; NaN for no answer), the groups and the design variables.
    ids : sequence of str
        The indicator columns, in report order.
    country : str
        Country code (the `country` column).
    design : Design
        Waves (numbered in order), cluster, weight, strata, fpc, lonely_psu, ci_df, panel key.
    alpha : float
        1 - confidence level (proportion).
    group_vars : sequence of str
        Grouping variables besides the whole sample (each group a domain).
    measures : mapping of str to {"share", "mean"}, optional
        Each indicator's measure; default: "share" when every answer is 0 or 1, else "mean".

    Returns
    -------
    pandas.DataFrame
        TREND_COLUMNS per indicator x group: slope, se, ci_low, ci_high per wave step (pp for
        shares, the indicator's units for means), t, df, p_value, n, waves answered, note. Header
        only with fewer than three waves.

    References
    ----------
    Binder, D. A. (1983). Int Stat Rev 51, 279-292; Lumley, T. (2010). Complex Surveys, ch. 5
    (R `svyglm`); Lumley, T. & Scott, A. J. (2017). Statistical Science 32, 265-278.
    """
    ids = [i for i in ids if i in data]
    present = data["wave"].dropna().astype(str).unique()
    if len(present) < MIN_TREND_WAVES or not ids or len(data) == 0:
        return pd.DataFrame(columns=TREND_COLUMNS)
    numbers = wave_numbers(design, present)
    answered = [i for i in ids if data[i].notna().any()]
    if not answered:
        return pd.DataFrame(columns=TREND_COLUMNS)
    groups = [g for g in group_vars if g in data and data[g].notna().any()]
    rows = _answered_trends(data, answered, groups, numbers, design, alpha)
    binary = {i: _zero_one(v) for i, v in indicator_values(data, answered).items()}
    given = dict(measures or {})
    measure = {i: given.get(i, "share" if binary.get(i, True) else "mean") for i in ids}
    return _finished(rows, ids, country, design, measure)


def _answered_trends(data, ids, groups, numbers, design, alpha) -> pd.DataFrame:
    """The trend rows (CELL as text, slope, its test and interval, the note and the waves with
    answers) of indicators `ids`, each with answers, overall and by `groups`."""
    lay, strata_keys = _trend_layout(data, design)
    totals, cells = _trend_totals(data, ids, lay, groups)
    fit, t, tt = _slopes(totals, cells, totals["wave"].map(numbers).to_numpy(float))
    var = _variance(totals, t, tt, lay, strata_keys, design)
    rows = _trend_rows(fit, var, alpha, design)
    rows["note"] = _trend_note(rows, lay.clustered or design.is_panel)
    return rows.merge(_waves_answered(totals, numbers), on="cell").drop(columns="cell")


def _zero_one(y: np.ndarray) -> bool:
    """Whether every answer (not NaN) is 0 or 1: a share."""
    return bool(np.isin(y[~np.isnan(y)], [0.0, 1.0]).all())


def _waves_answered(totals: pd.DataFrame, numbers: dict[str, int]) -> pd.DataFrame:
    """Per cell: its waves with answers in wave-number order, joined by "; "."""
    answered = totals[["cell", "wave"]].drop_duplicates()
    answered = answered.assign(x=answered["wave"].map(numbers)).sort_values(["cell", "x"])
    return answered.groupby("cell")["wave"].agg("; ".join).rename("waves").reset_index()


def _finished(rows, ids, country, design, measure) -> pd.DataFrame:
    """Shares in percentage points, the waves with answers, design columns, report order."""
    rows["measure"] = rows["indicator"].map(measure)
    scale = np.where(rows["measure"] == "share", 100.0, 1.0)
    for col in ("slope", "se", "ci_low", "ci_high"):
        rows[col] = rows[col] * scale
    test = TEST.replace("Wald t", "Wald z") + " (normal)" if design.ci_df == "normal" else TEST
    rows["test"] = np.where(rows["p_value"].notna(), test, "")
    rows["country"] = country
    for col, value in design.columns().items():
        rows[col] = value
    rows["_o1"] = rows["indicator"].map({i: k for k, i in enumerate(ids)})
    rows["_o2"] = (rows["group_var"] != OVERALL).astype(int)
    rows = rows.sort_values(["_o1", "_o2", "group_var", "group"], kind="stable")
    return rows[TREND_COLUMNS].reset_index(drop=True)
