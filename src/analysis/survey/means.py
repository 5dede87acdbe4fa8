"""Statistics of mean indicators (issue 16): estimates by wave and group, and shifts between waves.

Public surface: `mean_estimate_table(...)` -> mean_estimates.csv and `mean_shift_table(...)` ->
mean_shifts.csv. Means, SDs, medians, differences and intervals carry the indicator's own unit
(`unit` column), never percent.

Estimates (one row per indicator x wave x group, as `estimates.estimate_table` for shares):
- simple random samples: mean, SD (n - 1), sample median (R `median`), SE = SD / sqrt(n) and the t
  interval on n - 1 df (R `t.test(y)`);
- clustered, stratified and/or weighted designs: the weighted mean sum(w y) / sum(w) with its
  Taylor-linearised SE from the variance engine of `analysis.survey.domains` (a proportion is the
  mean of a 0/1 variable: the same domain-mean linearisation, fpc, lonely-PSU rules and domain df
  as the shares), t interval on the domain's design df (R `svymean` + `confint(df = degf(sub))`;
  normal with `ci_df: normal`), the weighted SD (R `svyvar`) and, for a weighted design, the
  weighted median (R `svyquantile(~y, des, 0.5)`, default rule "math": the smallest value whose
  cumulative weight reaches half; designs without weights report the sample median).

Shifts (one row per indicator x comparison (from_wave, to_wave) x group: overall and sex):
- independent simple random samples: Welch t (R `t.test(var.equal = FALSE)`), Hedges' g;
- simple random panel (matched on `panel_key`): paired t on the matched pairs (R `t.test(paired =
  TRUE)`), Wilcoxon signed-rank (normal approximation with continuity and ties corrections, R
  `wilcox.test(paired = TRUE, exact = FALSE, correct = TRUE)`), Cohen's dz;
- design-based independent waves: the linearised contrast of the two domain means (R `svyglm(y ~
  wave)` on the stacked design; waves as separate samples unless `clusters_revisited`), Hedges' g
  on the weighted SDs (descriptive);
- design-based panel: the linearised mean of each matched person's change on the pair design (R
  `svymean(~I(y2 - y1))`), Cohen's dz on the weighted SD of the change.
Holm's adjustment over `family` (`multiplicity.adjust_pvalues`); raw `p_value` is kept so that a
caller can adjust shares and means jointly. Cells that cannot be estimated (fewer than two
answers, no variance, a group absent from a wave, no matched pairs) keep a row whose `note` says
"not estimable: ..." and why, with empty statistics.

Shared with the share statistics (analysis.survey.shifts / estimates, not copied): `matched_pairs`,
`pair_design`, `with_pair_weight_note`, `unmatched_counts`, `single_psu_domains`,
`sorted_estimates`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.errors import InputError
from analysis.model import ALL, DEFAULT_ALPHA, DEFAULT_MIN_GROUP_N, OVERALL
from analysis.survey.design import DESIGN_COLUMNS, Design
from analysis.survey.domains import (
    DOMAIN,
    DesignPasses,
    design_pass,
    domain_df,
    linearised_moments,
    psu_counts,
    variance_from_moments,
)
from analysis.survey.estimates import (
    NOT_ESTIMABLE,
    check_variance_estimable,
    interval_df,
    single_psu_domains,
    sorted_estimates,
    wave_order,
)
from analysis.survey.multiplicity import MultiplicityFamily, adjust_pvalues
from analysis.survey.shifts import (
    linearised_contrast,
    matched_pairs,
    pair_design,
    unmatched_counts,
    with_pair_weight_note,
    with_significance,
)

MEAN_ESTIMATE_COLUMNS = [
    "country",
    "indicator",
    "wave",
    "group_var",
    "group",
    *DESIGN_COLUMNS,
    "n",
    "mean",
    "sd",
    "median",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "ci_method",
    "unit",
    "note",
]
MEAN_SHIFT_COLUMNS = [
    "country",
    "indicator",
    "group_var",
    "group",
    *DESIGN_COLUMNS,
    "from_wave",
    "to_wave",
    "from_n",
    "from_mean",
    "to_n",
    "to_mean",
    "pairs_n",
    "unmatched_from",
    "unmatched_to",
    "diff",
    "ci_low",
    "ci_high",
    "ci_method",
    "test",
    "statistic",
    "df",
    "p_value",
    "effect_size",
    "effect_size_kind",
    "wilcoxon_statistic",
    "wilcoxon_p",
    "p_holm",
    "p_bh",
    "holm_family",
    "significant_holm",
    "unit",
    "composition_flag",  # filled from adjusted.csv (analysis.survey.adjusted.composition_flags)
    "note",
]
CELL = ["indicator", "group_var", "group"]
# R t.test's test of "essentially constant" data: SE below 10 machine epsilons of the largest mean
CONSTANT = 10 * np.finfo(float).eps


def _check_columns(data: pd.DataFrame, ids: list[str], country: str) -> None:
    """Stop (InputError) when a mean indicator is not a column of the respondent data."""
    missing = [i for i in ids if i not in data.columns]
    if missing:
        raise InputError(
            f"mean indicator '{missing[0]}' is not a column of the respondent data",
            file="config/indicators.yaml",
            key=f"countries.{country}",
            column=missing[0],
            fix="check the indicator id, or rebuild the indicators step so that it writes it",
        )


def domain_codes(data: pd.DataFrame, group_vars: list[str]) -> dict:
    """Integer codes of every respondent's wave and groups, made once for every indicator.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents with `wave` and the grouping variables.
    group_vars : list of str
        Grouping variables besides the whole sample (`overall`).

    Returns
    -------
    dict
        "wave": (codes, sorted names) and per grouping (overall first) its (codes, sorted names):
        names are the values as text, code -1 for a missing group (no domain).

    References
    ----------
    pandas: `factorize` (the domains of Lumley, T. (2010). Complex Surveys, s2.3).
    """
    wave, wave_names = pd.factorize(data["wave"].astype(str), sort=True)
    codes = {"wave": (wave, np.asarray(wave_names, dtype=object))}
    codes[OVERALL] = (np.zeros(len(data), dtype=np.int64), np.array([ALL], dtype=object))
    for gv in group_vars:
        group = pd.Series(data[gv], index=data.index).astype(object)
        ok = group.notna().to_numpy()
        found, names = pd.factorize(group[ok].astype(str), sort=True)
        gv_codes = np.full(len(data), -1, dtype=np.int64)
        gv_codes[ok] = found
        codes[gv] = (gv_codes, np.asarray(names, dtype=object))
    return codes


def _indicator_answers(name: str, y: np.ndarray, w: np.ndarray, codes: dict) -> pd.DataFrame:
    """One indicator's valid answers once per grouping, DOMAIN columns as sorted categoricals."""
    groupings = [gv for gv in codes if gv != "wave"]
    group_names = np.unique(np.concatenate([codes[gv][1] for gv in groupings]).astype(str))
    gv_names = np.array(sorted(groupings), dtype=object)
    wave, gv_code, group, ys, ws = [], [], [], [], []
    for gv in groupings:
        local, names = codes[gv]
        ok = ~np.isnan(y) & (local >= 0)
        wave.append(codes["wave"][0][ok])
        gv_code.append(np.full(int(ok.sum()), int(np.searchsorted(gv_names, gv))))
        group.append(np.searchsorted(group_names, names.astype(str))[local[ok]])
        ys.append(y[ok])
        ws.append(w[ok])
    n = sum(len(v) for v in ys)
    return pd.DataFrame(
        {
            "indicator": pd.Categorical.from_codes(np.zeros(n, dtype=np.int64), [name]),
            "wave": pd.Categorical.from_codes(np.concatenate(wave), codes["wave"][1]),
            "group_var": pd.Categorical.from_codes(np.concatenate(gv_code), gv_names),
            "group": pd.Categorical.from_codes(np.concatenate(group), group_names),
            "y": np.concatenate(ys),
            "w": np.concatenate(ws),
        }
    )


def _indicator_arrays(data, ids, group_vars, weight):
    """(indicator, its values, the weights, `domain_codes`) one indicator at a time (NaN: no
    answer; every weight 1 without `weight`)."""
    w = data[weight].to_numpy(dtype=float) if weight else np.ones(len(data))
    codes = domain_codes(data, group_vars)
    for name in ids:
        y = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        yield name, y, w, codes


def answers_long(
    data: pd.DataFrame, ids: list[str], group_vars: list[str], weight: str | None
) -> pd.DataFrame:
    """Every valid answer once per grouping: indicator, wave, group_var, group, y, w.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents with `wave`, the indicator columns (numbers, NaN or NA for no answer), the
        grouping variables and the weight.
    ids : list of str
        Mean indicator columns.
    group_vars : list of str
        Grouping variables besides the whole sample (`overall`); a missing group is no domain.
    weight : str or None
        The weight variable; None: every weight is 1.

    Returns
    -------
    pandas.DataFrame
        One row per answer x grouping (y in the indicator's unit, w the weight; DOMAIN columns as
        text), by indicator and grouping, in `data`'s order within each.

    References
    ----------
    pandas: `DataFrame.groupby` (the domains of Lumley, T. (2010). Complex Surveys, s2.3).
    """
    parts = [
        _indicator_answers(name, y, w, codes)
        for name, y, w, codes in _indicator_arrays(data, ids, group_vars, weight)
    ]
    if not parts:
        return pd.DataFrame(columns=DOMAIN + ["y", "w"])
    long = pd.concat(parts, ignore_index=True)
    for column in DOMAIN:
        long[column] = long[column].astype(object)
    return long


def descriptives_by_indicator(
    data: pd.DataFrame,
    ids: list[str],
    group_vars: list[str],
    weight: str | None,
    weighted_median: bool,
) -> pd.DataFrame:
    """`domain_descriptives` of every indicator straight from the wide respondent data: integer
    domain codes and `np.bincount`, one indicator at a time (memory O(respondents)), sorted by
    DOMAIN.

    Parameters
    ----------
    data, ids, group_vars, weight
        As `answers_long`.
    weighted_median : bool
        As `domain_descriptives`.

    Returns
    -------
    pandas.DataFrame
        As `domain_descriptives` (DOMAIN columns as text; the indicator's unit).

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, s2.2 and s2.4.
    """
    parts = [
        _indicator_descriptives(name, y, w, codes, weighted_median)
        for name, y, w, codes in _indicator_arrays(data, ids, group_vars, weight)
    ]
    if not parts:
        empty = pd.DataFrame(columns=DOMAIN).assign(y=np.empty(0), w=np.empty(0))
        return domain_descriptives(empty, weighted_median)
    out = pd.concat([p for part in parts for p in part], ignore_index=True)
    return out.sort_values(DOMAIN, kind="stable").reset_index(drop=True)


def _indicator_descriptives(
    name: str, y: np.ndarray, w: np.ndarray, codes: dict, weighted_median: bool
) -> list[pd.DataFrame]:
    """One indicator's descriptives per grouping (`domain_codes`): its answers put in domain order
    by a stable integer sort, respondents' order kept within each domain."""
    wave, wave_names = codes["wave"]
    answered = ~np.isnan(y) & (wave >= 0)
    parts = []
    for gv, (local, names) in codes.items():
        if gv == "wave":
            continue
        rows = np.flatnonzero(answered & (local >= 0))
        domain = wave[rows] * len(names) + local[rows]
        size = len(wave_names) * len(names)
        order = np.argsort(domain.astype(np.int16 if size < 2**15 else np.int64), kind="stable")
        rows, domain = rows[order], domain[order]
        found, columns = _sorted_descriptives(domain, y[rows], w[rows], size, weighted_median)
        keys = {
            "indicator": name,
            "wave": wave_names[found // len(names)],
            "group_var": gv,
            "group": names[found % len(names)],
        }
        parts.append(pd.DataFrame({**keys, **columns}))
    return parts


def _sorted_descriptives(
    domain: np.ndarray, y: np.ndarray, w: np.ndarray, size: int, weighted_median: bool
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """n, sum_w, mean, sd and median of every domain with answers (`domain_descriptives`), from
    answers sorted by domain code (0 .. size - 1).

    Returns (the domain codes with answers, ascending; their statistics)."""
    n = np.bincount(domain, minlength=size)
    sum_w = np.bincount(domain, weights=w, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(domain, weights=w * y, minlength=size) / sum_w
        spread = np.bincount(domain, weights=w * (y - mean[domain]) ** 2, minlength=size)
        var = spread / sum_w * n / (n - 1)
    found = np.flatnonzero(n)
    start = (np.cumsum(n) - n)[found]
    count = n[found]
    segments = [slice(s, s + c) for s, c in zip(start, count)]
    # exactly 0 when every answer is the same, not the rounding noise of the centring
    alike = np.array([y[s].min() == y[s].max() for s in segments], dtype=bool)
    sd = np.where(count >= 2, np.sqrt(np.where(alike, 0.0, var[found])), np.nan)
    median = np.array(
        [_weighted_median(y[s], w[s]) if weighted_median else np.median(y[s]) for s in segments],
        dtype=float,
    )
    columns = {"n": count, "sum_w": sum_w[found], "mean": mean[found], "sd": sd, "median": median}
    return found, columns


def _weighted_median(y: np.ndarray, w: np.ndarray) -> float:
    """The smallest answer whose cumulative weight (answers in ascending order) reaches half of the
    total (R survey `svyquantile(~y, des, 0.5)`, qrule "math"); the order of tied answers changes
    only the rounding of the cumulative weight, never which value is reached."""
    order = np.argsort(y)
    cumulative = np.cumsum(w[order])
    at = int(np.searchsorted(cumulative, 0.5 * cumulative[-1], side="left"))
    return float(y[order][min(at, len(y) - 1)])


def domain_descriptives(answers: pd.DataFrame, weighted_median: bool) -> pd.DataFrame:
    """n, (weighted) mean, SD and median of every domain (indicator x wave x group).

    mean = sum(w y) / sum(w); SD = sqrt(sum(w (y - mean)^2) / sum(w) * n / (n - 1)): the sample SD
    when every w = 1 (R `sd`), R `svyvar` otherwise; exactly 0 when every answer is the same. The
    median is R `median` (the average of the two middle answers), or with `weighted_median` the
    smallest answer whose cumulative weight reaches half of the domain's (R survey 4.1.1
    `svyquantile(~y, des, 0.5)`, qrule "math").

    Parameters
    ----------
    answers : pandas.DataFrame
        Valid answers by domain (`answers_long`); rows with a missing key are no domain's.
    weighted_median : bool
        Whether the design has weights (the weighted median) or not (the sample median).

    Returns
    -------
    pandas.DataFrame
        DOMAIN columns (text, sorted) and n, sum_w, mean, sd (NaN when n < 2), median: the
        indicator's unit.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, s2.2 and s2.4 (R `svyvar`,
    `svyquantile`); Hyndman, R. J. & Fan, Y. (1996). The American Statistician 50, 361-365.
    """
    answers = answers[answers[DOMAIN].notna().all(axis=1)]
    keys = pd.MultiIndex.from_frame(answers[DOMAIN].astype(object))
    code, domains = pd.factorize(keys, sort=True)
    order = np.argsort(code, kind="stable")
    found, columns = _sorted_descriptives(
        code[order],
        answers["y"].to_numpy(float)[order],
        answers["w"].to_numpy(float)[order],
        len(domains),
        weighted_median,
    )
    out = pd.DataFrame(list(domains[found]) if len(found) else None, columns=DOMAIN, dtype=object)
    for column, values in columns.items():
        out[column] = values
    return out


def _t_interval(estimate, se, df, alpha: float):
    """estimate -/+ t(1 - alpha/2, df) se (normal quantile where df is inf); NaN where se is NaN."""
    q = stats.t.ppf(1 - alpha / 2, np.asarray(df, float))
    return estimate - q * se, estimate + q * se


def _srs_estimates(cells: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Simple random samples: SE = SD / sqrt(n) and the one-sample t interval on n - 1 df (R
    `t.test(y)`); no interval with fewer than two answers or answers all alike (noted)."""
    n, sd, mean = cells["n"].to_numpy(float), cells["sd"].to_numpy(float), cells["mean"]
    few = n < 2
    flat = ~few & (sd <= CONSTANT * np.abs(mean.to_numpy(float)))
    se = np.where(few | flat, np.nan, sd / np.sqrt(n))
    df = np.where(few, np.nan, n - 1)
    low, high = _t_interval(mean.to_numpy(float), se, df, alpha)
    note = np.select(
        [few, flat],
        [
            NOT_ESTIMABLE + "fewer than two answers, so no standard deviation or interval",
            NOT_ESTIMABLE + "every answer is the same value, so no standard error or interval",
        ],
        "",
    )
    return cells.assign(
        se=se,
        ci_low=low,
        ci_high=high,
        df=df,
        ci_method=np.where(few | flat, "", "t (df = n - 1)"),
        note=note,
    )


def _design_estimates(
    cells: pd.DataFrame,
    passes: DesignPasses,
    ids: list[str],
    group_vars: list[str],
    design: Design,
    alpha: float,
    country: str,
) -> pd.DataFrame:
    """Design-based: the linearised SE of each domain mean (`domains` engine: fpc, lonely PSUs),
    its domain df and a t interval (R `svymean` + `confint(df = degf(subset))`)."""
    lay, totals, domains = passes.get(ids, design, group_vars)
    check_variance_estimable(lay, design, country)
    var = variance_from_moments(
        linearised_moments(totals, domains, lay.clustered),
        DOMAIN,
        psu_counts(lay, waves=True),
        ["wave"],
        design.lonely_psu,
    )
    df = domain_df(totals, DOMAIN, ["stratum"], lay.clustered)[DOMAIN + ["df"]]
    est = domains[DOMAIN + ["p"]].merge(var.rename("var").reset_index(), on=DOMAIN, how="left")
    cells = cells.merge(est.merge(df, on=DOMAIN, how="left"), on=DOMAIN, how="left")
    cells["mean"] = cells["p"]  # the engine's ratio sum(w y) / sum(w), the SE's own estimate
    flat = (cells["var"].fillna(0.0) <= 0).to_numpy()
    few = (cells["df"] < 1).to_numpy()
    cells["se"] = np.where(flat, np.nan, np.sqrt(cells["var"].clip(lower=0)))
    low, high = _t_interval(cells["mean"], cells["se"], interval_df(cells["df"], design), alpha)
    cells["ci_low"], cells["ci_high"] = np.where(few, np.nan, low), np.where(few, np.nan, high)
    label = "design-based t (linearised)" + (" (normal)" if design.ci_df == "normal" else "")
    cells["ci_method"] = np.where(flat | few, "", label)
    cells["note"] = _design_estimate_notes(cells, flat, few, single_psu_domains(totals, lay))
    return cells.drop(columns=["p", "var"])


def _design_estimate_notes(
    cells: pd.DataFrame, flat: np.ndarray, few: np.ndarray, single_psu: pd.Series
) -> np.ndarray:
    """Why a design-based mean has no interval: answers from one PSU, no design variance, or no
    degrees of freedom; empty otherwise."""
    psu = cells.set_index(DOMAIN).index.map(single_psu)
    psu = pd.Series(psu, index=cells.index, dtype=object)
    return np.select(
        [flat & psu.notna().to_numpy(), flat, few],
        [
            NOT_ESTIMABLE
            + "all answers of this group come from one PSU ('"
            + psu.astype(str)
            + "'), so the design gives no variance",
            NOT_ESTIMABLE + "zero design variance (every PSU has the same weighted mean)",
            NOT_ESTIMABLE + "the group's PSUs leave no degrees of freedom for an interval",
        ],
        "",
    ).astype(object)


def _with_intervals(cells, data, passes, ids, usable, design, alpha, country) -> pd.DataFrame:
    """Domain descriptives with their SE and interval: design-based (linearised, on the design
    df) or, for a simple random sample, t on n - 1."""
    if design.design_based:
        passes = passes or DesignPasses(data)
        return _design_estimates(cells, passes, ids, usable, design, alpha, country)
    return _srs_estimates(cells, alpha)


def mean_estimate_table(
    data: pd.DataFrame,
    ids: list[str],
    units: dict[str, str],
    country: str,
    design: Design,
    group_vars: list[str],
    min_group_n: int = DEFAULT_MIN_GROUP_N,
    alpha: float = DEFAULT_ALPHA,
    passes: DesignPasses | None = None,
) -> pd.DataFrame:
    """Every mean indicator x wave x group estimate (mean_estimates.csv; header only without mean
    indicators). Groups with fewer than `min_group_n` answers or one level are left out.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents: `wave`, the mean indicator columns (float, NaN for no answer), the grouping
        and design variables.
    ids : list of str
        The mean indicators (`measure == "mean"`), in report order.
    units : dict of str to str
        Each indicator's unit (e.g. "USD per month"; "" if absent).
    country : str
        Country code (`country` column; the config file named in errors).
    design : Design
        Cluster, weight, strata, fpc, lonely_psu, ci_df and the configured wave order.
    group_vars : list of str
        Grouping variables besides the whole sample.
    min_group_n : int
        Fewest answers for a group's row (`overall` rows are always kept).
    alpha : float
        1 - confidence level (proportion).
    passes : DesignPasses, optional
        Design passes of `data` (domains.DesignPasses); made here if None.

    Returns
    -------
    pandas.DataFrame
        MEAN_ESTIMATE_COLUMNS: n, mean, sd, median, se, ci_low, ci_high (the indicator's unit),
        df, ci_method, unit, note ("not estimable: ..." and why).

    References
    ----------
    Student (1908). Biometrika 6, 1-25 (R `t.test`); Binder, D. A. (1983). Int Stat Rev 51,
    279-292; Lumley, T. (2010). Complex Surveys, s2.2-s2.4 (R `svymean`, `svyvar`, `svyquantile`).
    """
    _check_columns(data, ids, country)
    if not ids:  # no mean indicator: the header only
        return pd.DataFrame(columns=MEAN_ESTIMATE_COLUMNS)
    usable = [gv for gv in group_vars if gv in data.columns and data[gv].nunique(dropna=True) > 1]
    weight = design.weight if design.design_based else None
    cells = descriptives_by_indicator(data, ids, usable, weight, bool(weight))
    cells = _with_intervals(cells, data, passes, ids, usable, design, alpha, country)
    keep = (cells["group_var"] == OVERALL) | (cells["n"] >= min_group_n)
    cells = sorted_estimates(cells[keep].copy(), ids, usable, design)
    return _tidy_mean_estimates(cells, units, country, design)


def _tidy_mean_estimates(
    cells: pd.DataFrame, units: dict[str, str], country: str, design: Design
) -> pd.DataFrame:
    """The published columns of mean_estimates.csv from sorted domain estimates."""
    out = pd.DataFrame(
        {
            "country": country,
            **{c: cells[c] for c in DOMAIN},
            **design.columns(),
            **{c: cells[c] for c in ("n", "mean", "sd", "median", "se", "ci_low", "ci_high")},
            "df": cells["df"].astype(float),
            "ci_method": cells["ci_method"],
            "unit": cells["indicator"].map(lambda i: units.get(i, "")),
            "note": cells["note"],
        }
    )
    out["n"] = out["n"].astype(int)
    return out[MEAN_ESTIMATE_COLUMNS].reset_index(drop=True)


def hedges_g(diff, sd_from, n_from, sd_to, n_to) -> np.ndarray:
    """Hedges' g of a difference of two independent means: J(df) diff / s_pooled.

    s_pooled = sqrt(((n1 - 1) s1^2 + (n2 - 1) s2^2) / (n1 + n2 - 2)) and the exact small-sample
    correction J(df) = Gamma(df / 2) / (sqrt(df / 2) Gamma((df - 1) / 2)), df = n1 + n2 - 2
    (approximately 1 - 3 / (4 df - 1)). NaN where the pooled SD is 0 or df < 2.

    Parameters
    ----------
    diff : array_like
        to_mean - from_mean (the indicator's unit).
    sd_from, n_from, sd_to, n_to : array_like
        Each wave's SD (same unit) and number of answers.

    Returns
    -------
    numpy.ndarray
        g (unitless, in pooled-SD units).

    References
    ----------
    Hedges, L. V. (1981). Journal of Educational Statistics 6, 107-128; Hedges, L. V. & Olkin, I.
    (1985). Statistical Methods for Meta-Analysis, ch. 5 (eq. 5.7, 5.9).
    """
    n1, n2 = np.asarray(n_from, float), np.asarray(n_to, float)
    df = n1 + n2 - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.sqrt(
            ((n1 - 1) * np.asarray(sd_from, float) ** 2 + (n2 - 1) * np.asarray(sd_to, float) ** 2)
            / df
        )
        j = np.exp(
            special.gammaln(df / 2) - np.log(np.sqrt(df / 2)) - special.gammaln((df - 1) / 2)
        )
        g = np.where((pooled > 0) & (df >= 2), j * np.asarray(diff, float) / pooled, np.nan)
    return g


def welch_rows(cells: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Welch's t test and interval of to_mean - from_mean per cell, with Hedges' g.

    se = sqrt(s1^2 / n1 + s2^2 / n2), Welch-Satterthwaite df = se^4 / (v1^2 / (n1 - 1) + v2^2 /
    (n2 - 1)) with v = s^2 / n, two-sided p from t(df), interval diff -/+ t(1 - alpha/2, df) se.
    Closed form over all cells at once from each wave's n, mean and SD (scipy's `ttest_ind` wants
    each cell's answers). No test with fewer than two answers in a wave, or when both waves answer
    all alike (R `t.test` stops: "data are essentially constant").

    Parameters
    ----------
    cells : pandas.DataFrame
        from_n, from_mean, from_sd, to_n, to_mean, to_sd per cell (the indicator's unit).
    alpha : float
        1 - confidence level (proportion).

    Returns
    -------
    pandas.DataFrame
        `cells` with diff, ci_low, ci_high (the indicator's unit), ci_method, test, statistic, df,
        p_value, effect_size (Hedges' g), effect_size_kind and note.

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35; Satterthwaite, F. E. (1946). Biometrics Bulletin 2,
    110-114; R `t.test(var.equal = FALSE)`; Hedges & Olkin (1985), ch. 5.
    """
    n1, n2 = cells["from_n"].to_numpy(float), cells["to_n"].to_numpy(float)
    m1, m2 = cells["from_mean"].to_numpy(float), cells["to_mean"].to_numpy(float)
    v1, v2 = cells["from_sd"].to_numpy(float) ** 2 / n1, cells["to_sd"].to_numpy(float) ** 2 / n2
    diff, se = m2 - m1, np.sqrt(v1 + v2)
    few = (n1 < 2) | (n2 < 2)
    flat = ~few & (se <= CONSTANT * np.maximum(np.abs(m1), np.abs(m2)))
    ok = ~few & ~flat
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(ok, (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1)), np.nan)
        stat = np.where(ok, diff / se, np.nan)
    low, high = _t_interval(diff, np.where(ok, se, np.nan), df, alpha)
    note = np.select(
        [few, flat],
        [
            NOT_ESTIMABLE + "fewer than two answers in a wave, so no test or interval",
            NOT_ESTIMABLE + "every answer is the same value in both waves, so no test or interval",
        ],
        "",
    )
    return cells.assign(
        diff=diff,
        ci_low=low,
        ci_high=high,
        ci_method=np.where(ok, "Welch t", ""),
        test=np.where(ok, "Welch t (unequal variances)", ""),
        statistic=stat,
        df=df,
        p_value=2 * stats.t.sf(np.abs(stat), df),
        effect_size=np.where(ok, hedges_g(diff, cells["from_sd"], n1, cells["to_sd"], n2), np.nan),
        effect_size_kind="hedges_g",
        note=note,
    )


def paired_t_rows(changes: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Paired t test (the one-sample t of each matched person's change) and Cohen's dz per cell.

    t = mean(d) / (sd(d) / sqrt(n)) on n - 1 df, interval mean(d) -/+ t(1 - alpha/2, n - 1)
    sd(d) / sqrt(n), dz = mean(d) / sd(d). No test with fewer than two pairs or when every change
    is the same (R `t.test` stops, or gives NaN when every change is 0).

    Parameters
    ----------
    changes : pandas.DataFrame
        Per cell: n (pairs), mean and sd of d = to - from (`domain_descriptives` of the changes).
    alpha : float
        1 - confidence level (proportion).

    Returns
    -------
    pandas.DataFrame
        CELL, diff, ci_low, ci_high (the indicator's unit), ci_method, test, statistic, df,
        p_value, effect_size (Cohen's dz), effect_size_kind and note.

    References
    ----------
    Student (1908). Biometrika 6, 1-25 (R `t.test(paired = TRUE)`); Cohen, J. (1988). Statistical
    Power Analysis for the Behavioral Sciences, 2nd ed., s2.3.5 (dz); Lakens, D. (2013). Frontiers
    in Psychology 4, 863.
    """
    n, mean, sd = (changes[c].to_numpy(float) for c in ("n", "mean", "sd"))
    few = n < 2
    flat = ~few & ~(sd > CONSTANT * np.abs(mean))
    ok = ~few & ~flat
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(ok, sd / np.sqrt(n), np.nan)
        stat = mean / se
        dz = np.where(ok, mean / sd, np.nan)
    df = np.where(ok, n - 1, np.nan)
    low, high = _t_interval(mean, se, df, alpha)
    note = np.select(
        [few, flat],
        [
            NOT_ESTIMABLE + "fewer than two matched pairs, so no test or interval",
            NOT_ESTIMABLE + "every matched person changed by the same amount, so no test",
        ],
        "",
    )
    return changes[CELL].assign(
        diff=mean,
        ci_low=low,
        ci_high=high,
        ci_method=np.where(ok, "paired t", ""),
        test=np.where(ok, "paired t", ""),
        statistic=stat,
        df=df,
        p_value=2 * stats.t.sf(np.abs(stat), df),
        effect_size=dz,
        effect_size_kind="cohens_dz",
        note=note,
    )


RANK_SIGNIFICANT_DIGITS = 10  # changes equal to 10 significant digits are ties (and 0 is 0)


def rank_ready(d: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Changes `d` rounded to RANK_SIGNIFICANT_DIGITS of `top` (each row's indicator's largest
    |change|), so that floating-point noise ((a + c) - (b + c) != a - b) neither breaks ties nor
    makes a zero change non-zero before ranking; as R `wilcox.test(digits.rank = )`. Data recorded
    with fewer digits are unchanged."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(np.where(top > 0, top, 1.0)))
    unit = 10.0 ** (exponent - (RANK_SIGNIFICANT_DIGITS - 1))
    return np.where(np.isfinite(d), np.round(d / unit) * unit, d)


def wilcoxon_signed_rank(changes: pd.DataFrame) -> pd.DataFrame:
    """Wilcoxon signed-rank test of each cell's matched changes d (normal approximation).

    Changes are first rounded to 10 significant digits (`rank_ready`). Zero changes are dropped;
    V = the sum of the ranks (ties averaged) of |d| over positive d;
    z = (V - n(n+1)/4 - 0.5 sign(.)) / sqrt(n(n+1)(2n+1)/24 - sum(t^3 - t)/48), with the
    continuity correction and the ties correction (t: sizes of groups of tied |d|); two-sided p.
    This is R `wilcox.test(y2, y1, paired = TRUE, exact = FALSE, correct = TRUE)` (V as its
    statistic); one groupby rank over all cells (scipy's `wilcoxon` reports min(V+, V-), per cell).

    Parameters
    ----------
    changes : pandas.DataFrame
        CELL columns and d (to - from, the indicator's unit), one row per matched person x cell.

    Returns
    -------
    pandas.DataFrame
        CELL, wilcoxon_statistic (V) and wilcoxon_p, for cells with a non-zero change.

    References
    ----------
    Wilcoxon, F. (1945). Biometrics Bulletin 1, 80-83; Hollander, M., Wolfe, D. A. & Chicken, E.
    (2014). Nonparametric Statistical Methods, 3rd ed., s3.1 (ties and large-sample approximation);
    R `wilcox.test`.
    """
    top = changes["d"].abs().groupby(changes["indicator"]).transform("max")
    changes = changes.assign(d=rank_ready(changes["d"].to_numpy(float), top.to_numpy(float)))
    nz = changes[changes["d"] != 0].assign(a=lambda f: f["d"].abs())
    if nz.empty:
        return pd.DataFrame(columns=CELL + ["wilcoxon_statistic", "wilcoxon_p"])
    g = nz.groupby(CELL, sort=True, observed=True)
    nz = nz.assign(r=g["a"].rank(method="average"))
    nz["r_pos"] = nz["r"] * (nz["d"] > 0)
    out = nz.groupby(CELL, sort=True, observed=True).agg(n=("r", "size"), v=("r_pos", "sum"))
    ties = nz.groupby(CELL + ["a"], sort=True, observed=True).size().astype(float)
    out["ties"] = (ties**3 - ties).groupby(level=CELL, sort=True).sum()
    n = out["n"].to_numpy(float)
    z = out["v"].to_numpy(float) - n * (n + 1) / 4
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - out["ties"].to_numpy(float) / 48)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (z - 0.5 * np.sign(z)) / sigma
    p = 2 * np.minimum(stats.norm.cdf(z), stats.norm.sf(z))
    return pd.DataFrame(
        {"wilcoxon_statistic": out["v"].to_numpy(float), "wilcoxon_p": p}, index=out.index
    ).reset_index()


def _comparisons(
    comparisons: Sequence[tuple[str, str]] | None, order: list[str], country: str
) -> list[tuple[str, str]]:
    """The (from_wave, to_wave) pairs to compare: `comparisons`, or first -> last of the waves in
    configured order (`wave_order`); none with fewer than two waves. Stops (InputError) on a pair
    naming a wave without respondents, or a wave compared with itself."""
    if comparisons is None:
        return [(order[0], order[-1])] if len(order) >= 2 else []
    pairs = [(str(a), str(b)) for a, b in comparisons]
    for a, b in pairs:
        absent = [w for w in (a, b) if w not in order]
        if absent or a == b:
            problem = (
                f"has no respondents in wave '{absent[0]}' (waves: {', '.join(order)})"
                if absent
                else f"compares wave '{a}' with itself"
            )
            raise InputError(
                f"the comparison [{a}, {b}] {problem}",
                file=f"config/countries/{country}.yaml",
                key="datasets.respondents.design.comparisons",
                fix="list [from, to] pairs of two different waves named in the dataset's sources",
            )
    return pairs


def _wave_levels(described: pd.DataFrame, waves: tuple[str, str]) -> pd.DataFrame:
    """Per cell each compared wave's n, (weighted) mean and SD as from_* / to_* columns (n = 0
    where a cell has no answers in a wave), from every wave's `descriptives_by_indicator`."""
    d = described[described["wave"].isin(waves)]
    wide = d.set_index(CELL + ["wave"])[["n", "mean", "sd"]].unstack("wave")
    names = {waves[0]: "from", waves[1]: "to"}
    wide.columns = [f"{names[w]}_{stat}" for stat, w in wide.columns]
    wide = wide.reindex(columns=[f"{w}_{s}" for w in ("from", "to") for s in ("n", "mean", "sd")])
    wide[["from_n", "to_n"]] = wide[["from_n", "to_n"]].fillna(0)
    return wide.reset_index()


def _design_wave_rows(
    passes: DesignPasses,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    levels: pd.DataFrame,
    country: str,
) -> pd.DataFrame:
    """Design-based independent waves: to_mean - from_mean as the linearised contrast of the two
    domain means (`shifts.linearised_contrast`, R `svyglm(y ~ wave)`; separate samples unless
    `clusters_revisited`), with Hedges' g on the weighted SDs (descriptive)."""
    full = passes.get(ids, design, group_vars)
    check_variance_estimable(full[0], design, country)
    contrast = {(waves[1],): 1.0, (waves[0],): -1.0}
    out, _ = linearised_contrast(full, alpha, CELL, ["wave"], contrast, design)
    body = out[CELL + ["estimate", "statistic", "df", "p_value", "test", "ci_method", "note"]]
    body = body.rename(columns={"estimate": "diff"}).assign(
        ci_low=out["diff_ci_low"] / 100, ci_high=out["diff_ci_high"] / 100
    )  # the engine reports its intervals in percentage points
    body = body.merge(levels, on=CELL, how="left")
    tested = body["p_value"].notna().to_numpy()
    g = hedges_g(body["diff"], body["from_sd"], body["from_n"], body["to_sd"], body["to_n"])
    return body.assign(effect_size=np.where(tested, g, np.nan), effect_size_kind="hedges_g")


def _pair_frame(persons: pd.DataFrame, yb: dict, ye: dict, ids: list[str]) -> pd.DataFrame:
    """The matched people three times: wave "from" and "to" (answers of people answering in both
    waves, else NaN) and "change" (to - from)."""
    both = {i: ~np.isnan(yb[i]) & ~np.isnan(ye[i]) for i in ids}
    frames = [
        persons.assign(wave=label, **{i: np.where(both[i], v[i], np.nan) for i in ids})
        for label, v in (("from", yb), ("to", ye))
    ]
    frames.append(persons.assign(wave="change", **{i: ye[i] - yb[i] for i in ids}))
    return pd.concat(frames, ignore_index=True)


def _panel_rows(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    country: str,
) -> pd.DataFrame:
    """Panels: the matched pairs' means and change per cell; paired t, Wilcoxon signed-rank and
    Cohen's dz (simple random panel) or the linearised mean change on the pair design (design-based,
    dz on the weighted SD of the change; no Wilcoxon: it would ignore the design)."""
    persons, yb, ye = matched_pairs(data, ids, design, group_vars, waves)
    pair = pair_design(design)
    weight = pair.weight if design.design_based else None
    long = answers_long(_pair_frame(persons, yb, ye, ids), ids, group_vars, weight)
    desc = domain_descriptives(long, weighted_median=False).set_index(CELL)
    changes = desc[desc["wave"] == "change"].reset_index()
    if design.design_based:
        body = _design_panel_rows(persons, yb, ye, ids, design, group_vars, alpha, waves, country)
        dz = changes.set_index(CELL)["mean"] / changes.set_index(CELL)["sd"]
        tested = body["p_value"].notna().to_numpy()
        dz = body.set_index(CELL).index.map(dz).to_numpy(float)
        body = body.assign(effect_size=np.where(tested, dz, np.nan), effect_size_kind="cohens_dz")
    else:
        d = long[long["wave"] == "change"].rename(columns={"y": "d"})
        body = paired_t_rows(changes, alpha).merge(wilcoxon_signed_rank(d), on=CELL, how="left")
    body = body.merge(changes[CELL + ["n"]].rename(columns={"n": "pairs_n"}), on=CELL)
    for side in ("from", "to"):
        mean = desc.loc[desc["wave"] == side, "mean"]
        body[f"{side}_mean"] = body.set_index(CELL).index.map(mean).to_numpy(float)
        body[f"{side}_n"] = body["pairs_n"]
    unmatched = unmatched_counts(data, ids, persons, yb, ye, group_vars, waves).drop(
        columns="pairs_n"
    )
    unmatched = unmatched.rename(
        columns={"unmatched_baseline": "unmatched_from", "unmatched_endline": "unmatched_to"}
    )
    return body.merge(unmatched, on=CELL, how="left")


def _design_panel_rows(persons, yb, ye, ids, design, group_vars, alpha, waves, country):
    """Design-based panel: the linearised mean of each matched person's change on the pair design
    (`shifts.linearised_contrast` of the one domain "change"; R `svymean(~I(y2 - y1), pairs)`,
    t on the pairs' design df), with the note naming the pairs' weight."""
    change = {i: ye[i] - yb[i] for i in ids}
    pair = pair_design(design)
    pass_ = design_pass(change, persons, pair, group_vars)
    scope = f"among the respondents matched between waves '{waves[0]}' and '{waves[1]}'"
    check_variance_estimable(pass_[0], pair, country, scope=scope)
    out, _ = linearised_contrast(pass_, alpha, CELL, ["wave"], {("change",): 1.0}, pair)
    out = with_pair_weight_note(out, design, waves)
    body = out[CELL + ["estimate", "statistic", "df", "p_value", "test", "ci_method", "note"]]
    return body.rename(columns={"estimate": "diff"}).assign(
        ci_low=out["diff_ci_low"] / 100,
        ci_high=out["diff_ci_high"] / 100,
        test=out["test"].str.replace("linearised", "linearised mean of the matched change"),
    )


def _absent_notes(rows: pd.DataFrame, waves: tuple[str, str], panel: bool) -> pd.Series:
    """Why a cell without a comparison has none: no answers in one wave, or (panels) nobody of
    the group answered in both waves."""
    group = rows["group"].astype(str).where(rows["group_var"] != OVERALL, "") + " "
    group = group.str.lstrip()
    otherwise = (
        "no " + group + "respondent answered in both waves (no matched pairs)"
        if panel
        else pd.Series("no estimate of the change", index=rows.index)
    )
    reason = np.select(
        [rows["from_n"].to_numpy() == 0, rows["to_n"].to_numpy() == 0],
        ["no " + group + f"answers in wave '{w}'" for w in waves],
        otherwise,
    )
    return NOT_ESTIMABLE + pd.Series(reason, index=rows.index) + ", so no comparison"


def _comparison_rows(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    country: str,
    passes: DesignPasses,
    described: pd.DataFrame,
) -> pd.DataFrame:
    """Every cell's row of one comparison: the test the design calls for where both waves (or
    matched pairs) have answers, else each wave's n and mean and a note saying what is missing
    (`described`: every wave's descriptives, `descriptives_by_indicator`)."""
    levels = _wave_levels(described, waves)
    both = levels[(levels["from_n"] > 0) & (levels["to_n"] > 0)]
    if design.is_panel:
        body = _panel_rows(data, ids, design, group_vars, alpha, waves, country)
    elif design.design_based:
        body = _design_wave_rows(passes, ids, design, group_vars, alpha, waves, both, country)
    else:
        body = welch_rows(both, alpha)
    absent = levels.merge(body[CELL], on=CELL, how="left", indicator=True)
    absent = absent[absent["_merge"] == "left_only"].drop(columns="_merge")
    absent = absent.assign(note=_absent_notes(absent, waves, design.is_panel), _absent=True)
    rows = pd.concat([body.assign(_absent=False), absent], ignore_index=True)
    return rows.assign(from_wave=waves[0], to_wave=waves[1])


def _kept(rows: pd.DataFrame, min_group_n: int) -> pd.DataFrame:
    """Overall rows, group rows with at least `min_group_n` answers (pairs) in both waves, and
    rows of a group absent from one wave with `min_group_n` answers in the other (as shares)."""
    small = (rows["from_n"] < min_group_n) | (rows["to_n"] < min_group_n)
    absent_ok = rows["_absent"] & (rows[["from_n", "to_n"]].max(axis=1) >= min_group_n)
    return rows[(rows["group_var"] == OVERALL) | ~small | absent_ok]


def mean_shift_table(
    data: pd.DataFrame,
    ids: list[str],
    units: dict[str, str],
    country: str,
    design: Design,
    comparisons: Sequence[tuple[str, str]] | None = None,
    alpha: float = DEFAULT_ALPHA,
    family: MultiplicityFamily | str = "country",
    min_group_n: int = DEFAULT_MIN_GROUP_N,
    passes: DesignPasses | None = None,
) -> pd.DataFrame:
    """Every mean indicator x comparison x group shift of one country (mean_shifts.csv): Welch t
    and Hedges' g (`welch_rows`), paired t, Wilcoxon and dz (`paired_t_rows`,
    `wilcoxon_signed_rank`), or the design-based linearised contrasts (module docstring); Holm
    within `family` (`multiplicity.adjust_pvalues`).

    Parameters
    ----------
    data, ids, units, country, design, passes
        As `mean_estimate_table` (`data` also with `sex`, and `panel_key` for panels).
    comparisons : sequence of (str, str), optional
        (from_wave, to_wave) pairs; default the first and last waves in configured order.
    alpha : float
        1 - confidence level and the level of `significant_holm` (proportion).
    family : MultiplicityFamily or str
        The rows adjusted together by Holm (rows without a p-value are not part of it).
    min_group_n : int
        Fewest answers (pairs) in each wave for a group's row (overall rows are always kept).

    Returns
    -------
    pandas.DataFrame
        MEAN_SHIFT_COLUMNS: each wave's n and mean (panels: the matched pairs'), diff = to - from
        and its interval (the indicator's unit), test, p_value, effect size, Wilcoxon (simple
        random panels), p_holm, significant_holm (p_holm < alpha; empty without a p-value), note.

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35; Student (1908). Biometrika 6, 1-25; Wilcoxon, F.
    (1945). Biometrics Bulletin 1, 80-83; Hedges, L. V. & Olkin, I. (1985), ch. 5; Cohen, J.
    (1988), s2.3.5; Lumley, T. (2010). Complex Surveys, s2.2 (R `svyglm`, `svymean`); Holm, S.
    (1979). Scandinavian Journal of Statistics 6, 65-70.
    """
    _check_columns(data, ids, country)
    order = wave_order(design, data["wave"].dropna().unique())
    pairs = _comparisons(comparisons, order, country)
    if not pairs or not ids:
        return pd.DataFrame(columns=MEAN_SHIFT_COLUMNS)
    group_vars = ["sex"] if "sex" in data and data["sex"].dropna().nunique() > 1 else []
    passes = passes or DesignPasses(data)
    weight = design.weight if design.design_based else None
    described = descriptives_by_indicator(data, ids, group_vars, weight, weighted_median=False)
    parts = [
        _comparison_rows(data, ids, design, group_vars, alpha, w, country, passes, described)
        for w in pairs
    ]
    table = _kept(pd.concat(parts, ignore_index=True), min_group_n)
    return _finished(table.copy(), ids, units, country, design, pairs, alpha, family)


def _finished(
    table: pd.DataFrame,
    ids: list[str],
    units: dict[str, str],
    country: str,
    design: Design,
    pairs: list[tuple[str, str]],
    alpha: float,
    family: MultiplicityFamily | str,
) -> pd.DataFrame:
    """Design columns, unit, Holm within `family`, `significant_holm`, report order (indicators as
    given, comparisons as given, overall then groups sorted) and the published columns."""
    table["country"] = country
    for column, value in design.columns().items():
        table[column] = value
    table["unit"] = table["indicator"].map(lambda i: units.get(i, ""))
    for column in MEAN_SHIFT_COLUMNS:
        if column not in table:
            table[column] = "" if column == "composition_flag" else np.nan
    table["note"] = table["note"].where(table["note"].notna(), "")
    table = with_significance(adjust_pvalues(table, family), alpha)
    rank = {
        "indicator": {i: k for k, i in enumerate(ids)},
        "group_var": {OVERALL: 0},
        "comparison": {w: k for k, w in enumerate(pairs)},
    }
    table["comparison"] = list(zip(table["from_wave"], table["to_wave"]))
    table = table.sort_values(
        ["indicator", "comparison", "group_var", "group"],
        key=lambda s: s.map(rank[s.name]).fillna(1) if s.name in rank else s,
        kind="stable",
    )
    for column in ("from_n", "to_n", "pairs_n", "unmatched_from", "unmatched_to"):
        table[column] = table[column].astype(float)
    return table[MEAN_SHIFT_COLUMNS].reset_index(drop=True)
