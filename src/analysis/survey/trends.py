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


def _trend_base(data: pd.DataFrame, lay, numbers: dict[str, int], group_vars: Sequence[str]):
    """Made once for every indicator: each respondent's wave code, stratum, psu, x (wave number)
    and w; per grouping (overall and each group variable with answers) the codes of its groups
    (-1: missing, no domain) into `names`, the sorted text of every grouping's groups."""
    waves = np.asarray(lay.waves, dtype=object)
    base = pd.DataFrame({"wave": lay.wave, "stratum": lay.stratum, "psu": lay.psu, "w": lay.w})
    base["x"] = np.array([numbers[w] for w in waves], dtype=float)[lay.wave]
    local = {OVERALL: (np.zeros(len(data), dtype=np.int64), np.array(["All"], dtype=object))}
    for g in group_vars:
        if g in data and data[g].notna().any():
            values = pd.Series(data[g], index=data.index)
            ok = values.notna().to_numpy()
            found, names = pd.factorize(values[ok].astype(str), sort=True)
            codes = np.full(len(data), -1, dtype=np.int64)
            codes[ok] = found
            local[g] = (codes, np.asarray(names, dtype=object))
    names = np.unique(np.concatenate([n for _, n in local.values()]).astype(str)).astype(object)
    groupings = {
        g: np.where(c >= 0, np.searchsorted(names, n.astype(str))[c], -1)
        for g, (c, n) in local.items()
    }
    return base, groupings, names


def _long_answers(y: np.ndarray, base: pd.DataFrame, groupings: dict, n_names: int):
    """One indicator's answers once per domain (overall and each group): cell (grouping number x
    `n_names` + group code), wave code, stratum, psu, x (wave number), w and y (NaN answers and
    missing groups left out), grouping after grouping in the respondents' order."""
    parts = []
    for k, codes in enumerate(groupings.values()):
        keep = ~np.isnan(y) & (codes >= 0)
        parts.append(base[keep].assign(cell=k * n_names + codes[keep], y=y[keep]))
    return pd.concat(parts, ignore_index=True)


def _slopes(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per cell: the weighted least-squares slope b of y on x, n and the waves with answers; and
    every answer's influence u on b (module docstring), in y units per wave step."""
    w, x, y = long["w"], long["x"], long["y"]
    sums = pd.DataFrame({"cell": long["cell"], "w": w, "wx": w * x, "wy": w * y})
    sums = sums.groupby("cell", sort=False)
    fit = sums[["w", "wx", "wy"]].sum()
    fit["xbar"], fit["ybar"] = fit["wx"] / fit["w"], fit["wy"] / fit["w"]
    at = fit.index.get_indexer(long["cell"])
    dx = x - fit["xbar"].to_numpy()[at]
    dy = y - fit["ybar"].to_numpy()[at]
    m = pd.DataFrame({"cell": long["cell"], "wdx2": w * dx * dx, "wdxdy": w * dx * dy, "x": x})
    moments = m.groupby("cell", sort=False)[["wdx2", "wdxdy"]].sum()
    fit["sxx"] = moments["wdx2"]
    fit["slope"] = np.where(
        fit["sxx"] > 0, moments["wdxdy"] / fit["sxx"].where(fit["sxx"] > 0), np.nan
    )
    fit["n"] = sums.size()
    fit["n_waves"] = m.groupby("cell", sort=False)["x"].nunique()
    slope, sxx = fit["slope"].to_numpy()[at], fit["sxx"].to_numpy()[at]
    infl = long[["cell", "wave", "stratum", "psu", "x"]].assign(u=w * dx * (dy - slope * dx) / sxx)
    return fit.reset_index(), infl


def _variance(infl: pd.DataFrame, lay, strata_keys: list[str], design: Design) -> pd.DataFrame:
    """Per cell: the linearised variance of the total of u (`variance_from_moments` with the
    design's PSU counts and lonely-PSU rule) and svyglm's residual df (`domains.domain_df` - 1)."""
    by_psu = (
        infl.groupby(["cell"] + strata_keys + ["psu"], sort=False)
        .agg(t=("u", "sum"), n=("u", "size"))
        .reset_index()
    )
    moments = (
        by_psu.assign(t2=by_psu["t"] ** 2)
        .groupby(["cell"] + strata_keys, sort=False)
        .agg(s=("t", "sum"), s2=("t2", "sum"))
        .reset_index()
    )
    if "wave" in moments:  # text, as the PSU counts' waves
        moments["wave"] = np.asarray(lay.waves, dtype=object)[moments["wave"].to_numpy()]
    n_h = psu_counts(lay, waves=strata_keys[0] == "wave")
    var = variance_from_moments(moments, ["cell"], n_h, strata_keys[:-1], design.lonely_psu)
    df = domain_df(by_psu, ["cell"], strata_keys, clustered=True)
    out = df.merge(var.rename("var").reset_index(), on="cell", how="left")
    out["df"] = (out["df"] - 1).astype(float)
    return out[["cell", "var", "df", "psus", "strata"]]


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
    lay, strata_keys = _trend_layout(data, design)
    base, groupings, names = _trend_base(data, lay, numbers, group_vars)
    parts = [
        _indicator_trend(name, y, base, groupings, names, lay, strata_keys, design, alpha)
        for name, y in indicator_values(data, ids).items()
    ]
    parts = [part for part in parts if part is not None]
    if not parts:
        return pd.DataFrame(columns=TREND_COLUMNS)
    rows = pd.concat([rows for rows, _ in parts], ignore_index=True)
    binary = {name: is_binary for _, (name, is_binary) in parts}
    given = dict(measures or {})
    measure = {i: given.get(i, "share" if binary.get(i, True) else "mean") for i in ids}
    return _finished(rows, ids, country, design, measure)


def _indicator_trend(name, y, base, groupings, names, lay, strata_keys, design, alpha):
    """One indicator's trend rows (CELL as text, the waves with answers, the note) and (name,
    whether every overall answer is 0 or 1); None without answers."""
    long = _long_answers(y, base, groupings, len(names))
    if long.empty:
        return None
    fit, infl = _slopes(long)
    var = _variance(infl, lay, strata_keys, design)
    gv_names = np.array(list(groupings), dtype=object)

    def decoded(frame: pd.DataFrame) -> pd.DataFrame:
        cell = frame["cell"].to_numpy()
        return frame.drop(columns="cell").assign(
            indicator=name, group_var=gv_names[cell // len(names)], group=names[cell % len(names)]
        )

    rows = _trend_rows(decoded(fit), decoded(var), alpha, design)
    rows["note"] = _trend_note(rows, lay.clustered or design.is_panel)
    named = infl[["cell", "wave", "x"]].drop_duplicates(["cell", "wave"])
    named = named.sort_values(["cell", "x"], kind="stable")
    named["wave"] = np.asarray(lay.waves, dtype=object)[named["wave"].to_numpy()]
    waves = decoded(named.groupby("cell")["wave"].agg("; ".join).rename("waves").reset_index())
    rows = rows.merge(waves, on=CELL)
    overall = long.loc[long["cell"] < len(names), "y"]
    return rows, (name, bool(overall.isin([0.0, 1.0]).all()))


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
