"""Trends: the linear trend of every indicator over three or more waves, overall and by group.

Public surface: `trend_table(data, ids, country, design, alpha, group_vars, passes, measures)`.

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
    DesignPasses,
    domain_df,
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


def _long_answers(
    data: pd.DataFrame,
    ids: list[str],
    lay,
    numbers: dict[str, int],
    group_vars: Sequence[str],
) -> pd.DataFrame:
    """One row per answer x domain (overall and each group): indicator, group_var, group, wave,
    stratum, psu, x (wave number), w and y (NaN answers and missing groups left out)."""
    base = pd.DataFrame(
        {
            "wave": lay.waves[lay.wave],
            "stratum": lay.stratum,
            "psu": lay.psu,
            "w": lay.w,
        }
    )
    base["x"] = base["wave"].map(numbers).astype(float)
    groupings = {OVERALL: pd.Series("All", index=data.index)}
    groupings |= {g: data[g] for g in group_vars if g in data and data[g].notna().any()}
    parts = []
    for name, y in indicator_values(data, ids).items():
        for group_var, groups in groupings.items():
            keep = ~np.isnan(y) & groups.notna().to_numpy()
            part = base[keep].assign(
                indicator=name, group_var=group_var, group=groups[keep].astype(str).to_numpy()
            )
            part["y"] = y[keep]
            parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _slopes(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per cell: the weighted least-squares slope b of y on x, n and the waves with answers; and
    every answer's influence u on b (module docstring), in y units per wave step."""
    wx, wy = long["w"] * long["x"], long["w"] * long["y"]
    sums = long.assign(wx=wx, wy=wy).groupby(CELL, observed=True, sort=False)
    fit = sums[["w", "wx", "wy"]].sum()
    fit["xbar"], fit["ybar"] = fit["wx"] / fit["w"], fit["wy"] / fit["w"]
    m = long.join(fit[["xbar", "ybar"]], on=CELL)
    dx, dy = m["x"] - m["xbar"], m["y"] - m["ybar"]
    m = m.assign(wdx2=m["w"] * dx * dx, wdxdy=m["w"] * dx * dy, dx=dx, dy=dy)
    moments = m.groupby(CELL, observed=True, sort=False)[["wdx2", "wdxdy"]].sum()
    fit["sxx"] = moments["wdx2"]
    fit["slope"] = np.where(
        fit["sxx"] > 0, moments["wdxdy"] / fit["sxx"].where(fit["sxx"] > 0), np.nan
    )
    fit["n"] = sums.size()
    fit["n_waves"] = m.groupby(CELL, observed=True, sort=False)["x"].nunique()
    m = m.join(fit[["slope", "sxx"]], on=CELL)
    m["u"] = m["w"] * m["dx"] * (m["dy"] - m["slope"] * m["dx"]) / m["sxx"]
    return fit.reset_index(), m


def _variance(infl: pd.DataFrame, lay, strata_keys: list[str], design: Design) -> pd.DataFrame:
    """Per cell: the linearised variance of the total of u (`variance_from_moments` with the
    design's PSU counts and lonely-PSU rule) and svyglm's residual df (`domains.domain_df` - 1)."""
    by_psu = (
        infl.groupby(CELL + strata_keys + ["psu"], observed=True, sort=False)
        .agg(t=("u", "sum"), n=("u", "size"))
        .reset_index()
    )
    moments = (
        by_psu.assign(t2=by_psu["t"] ** 2)
        .groupby(CELL + strata_keys, observed=True, sort=False)
        .agg(s=("t", "sum"), s2=("t2", "sum"))
        .reset_index()
    )
    n_h = psu_counts(lay, waves=strata_keys[0] == "wave")
    var = variance_from_moments(moments, CELL, n_h, strata_keys[:-1], design.lonely_psu)
    df = domain_df(by_psu, CELL, strata_keys, clustered=True)
    out = df.merge(var.rename("var").reset_index(), on=CELL, how="left")
    out["df"] = (out["df"] - 1).astype(float)
    return out[CELL + ["var", "df", "psus", "strata"]]


def _measures(
    long: pd.DataFrame, ids: list[str], measures: Mapping[str, str] | None
) -> dict[str, str]:
    """Each indicator's measure: as given, else "share" when every answer is 0 or 1, else
    "mean"."""
    given = dict(measures or {})
    overall = long[long["group_var"] == OVERALL] if len(long) else long
    binary = (
        overall.assign(b=overall["y"].isin([0.0, 1.0])).groupby("indicator")["b"].all()
        if len(overall)
        else pd.Series(dtype=bool)
    )
    return {i: given.get(i, "share" if binary.get(i, True) else "mean") for i in ids}


def _trend_rows(fit: pd.DataFrame, var: pd.DataFrame, alpha: float, design: Design):
    """The slope, its standard error, Wald t test (normal with `ci_df: normal`) and interval per
    cell, in y units per wave step; no test where a cell is degenerate (`_trend_note`)."""
    rows = fit.merge(var, on=CELL, how="left")
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
    passes: DesignPasses | None = None,
    measures: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The linear trend over the waves of every indicator, overall and by group (module
    docstring), for designs with three or more waves.

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
    passes : DesignPasses, optional
        Unused (a slope's influence is not a domain total); for a call like the estimates'.
    measures : mapping of str to {"share", "mean"}, optional
        Each indicator's measure; default: "share" when every answer is 0 or 1, else "mean".

    Returns
    -------
    pandas.DataFrame
        TREND_COLUMNS, one row per indicator x group: slope, se, ci_low, ci_high in percentage
        points per wave step for shares (0-100 scale) and in the indicator's units per wave step
        for means; statistic (t), df, p_value, n (answers), waves (those with answers, in order)
        and note. Header only for designs with fewer than three waves with respondents.

    References
    ----------
    Binder, D. A. (1983). Int Stat Rev 51, 279-292; Lumley, T. (2010). Complex Surveys, ch. 5
    (R `svyglm`); Lumley, T. & Scott, A. J. (2017). Statistical Science 32, 265-278.
    """
    del passes  # a trend's influence is not a domain total: no shared pass to reuse
    ids = [i for i in ids if i in data]
    present = data["wave"].dropna().astype(str).unique()
    if len(present) < MIN_TREND_WAVES or not ids or len(data) == 0:
        return pd.DataFrame(columns=TREND_COLUMNS)
    numbers = wave_numbers(design, present)
    lay, strata_keys = _trend_layout(data, design)
    long = _long_answers(data, ids, lay, numbers, group_vars)
    if long.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    fit, infl = _slopes(long)
    rows = _trend_rows(fit, _variance(infl, lay, strata_keys, design), alpha, design)
    rows["note"] = _trend_note(rows, lay.clustered or design.is_panel)
    return _finished(rows, infl, ids, country, design, _measures(long, ids, measures))


def _finished(rows, infl, ids, country, design, measure) -> pd.DataFrame:
    """Shares in percentage points, the waves with answers, design columns, report order."""
    rows["measure"] = rows["indicator"].map(measure)
    scale = np.where(rows["measure"] == "share", 100.0, 1.0)
    for col in ("slope", "se", "ci_low", "ci_high"):
        rows[col] = rows[col] * scale
    order = {w: i for i, w in enumerate(infl.drop_duplicates("wave").sort_values("x")["wave"])}
    named = infl.drop_duplicates(CELL + ["wave"])[CELL + ["wave"]]
    named = named.assign(o=named["wave"].map(order)).sort_values(CELL + ["o"], kind="stable")
    rows = rows.merge(
        named.groupby(CELL, observed=True)["wave"].agg("; ".join).rename("waves").reset_index(),
        on=CELL,
    )
    test = TEST.replace("Wald t", "Wald z") + " (normal)" if design.ci_df == "normal" else TEST
    rows["test"] = np.where(rows["p_value"].notna(), test, "")
    rows["country"] = country
    for col, value in design.columns().items():
        rows[col] = value
    rows["_o1"] = rows["indicator"].map({i: k for k, i in enumerate(ids)})
    rows["_o2"] = (rows["group_var"] != OVERALL).astype(int)
    rows = rows.sort_values(["_o1", "_o2", "group_var", "group"], kind="stable")
    return rows[TREND_COLUMNS].reset_index(drop=True)
