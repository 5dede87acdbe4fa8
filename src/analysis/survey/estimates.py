"""Estimates: indicator x wave x group -> n, k, percent, 95% CI, design effect (one table per
country).

Public surface: `indicator_ids(...)`, `estimate_table(data, indicators, country,
design, group_vars, min_group_n, alpha)`. Sums come from analysis.survey.domains (bincount per
indicator, no long reshaping), so memory grows with respondents, not respondents x indicators.

Simple random samples (no cluster, no weight declared): Wilson score interval, deff = 1.
Clustered and/or weighted designs: Taylor-linearised ratio estimator, logit interval with t(df)
(R `svyciprop(method="logit")`) or Korn-Graubard (`method="beta"`), design effect against SRS with
replacement (see analysis.survey.intervals). Percent columns are 0-100; `_prop` would be 0-1.

Degenerate designs never give a number without a word (the `note` column, empty when nothing needs
saying):
- a wave whose respondents sit in one PSU, or a stratum with one PSU in a wave (a "lonely PSU",
  which R `survey` refuses by default, `options(survey.lonely.psu = "fail")`) stops with an
  InputError naming the wave, stratum and PSU and the ways out (`check_variance_estimable`), unless
  `lonely_psu` names another of R's rules; a wave whose every stratum has one PSU always stops; so
  the design's df = PSUs - strata is >= 1. A domain's df counts its own PSUs and strata with
  answers (R `degf(subset(...))`); `fpc` corrects for sampling without replacement and `ci_df:
  normal` uses normal quantiles;
- 0% or 100% (zero design variance, logit undefined): Korn-Graubard interval with effective n = n,
  labelled `design-based beta (n_eff = n)`, design effect left empty (undefined), and a note;
- a group whose answers come from one PSU, or with zero design variance at 0 < p < 1: the percent is
  kept, the SE, interval and design effect are left empty and the note says "not estimable: ..." and
  why.
Waves come in the configured order of the respondents dataset's sources (`Design.waves`,
`wave_order`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.model import DEFAULT_ALPHA, DEFAULT_MIN_GROUP_N, Indicator
from analysis.survey.design import Design
from analysis.survey.domains import (
    DOMAIN,
    OVERALL,
    DesignPasses,
    Layout,
    domain_df,
    domain_estimates,
    domain_totals,
    indicator_values,
    layout,
    linearised_moments,
    psu_counts,
    variance_from_moments,
)
from analysis.survey.intervals import design_effect, korn_graubard_ci, logit_ci
from analysis.survey.proportions import wilson_ci


def wave_order(design: Design, present) -> list[str]:
    """The waves in `present` in the configured order (`Design.waves`, the order of the sources);
    waves the config does not list (data built in code) follow: 'baseline' first, 'endline' last,
    others sorted between.
    """
    present = [str(w) for w in dict.fromkeys(present)]
    configured = [w for w in design.waves if w in present]
    rank = {"baseline": 0, "endline": 2}
    return configured + sorted(
        (w for w in present if w not in configured), key=lambda w: (rank.get(w, 1), w)
    )


NOT_ESTIMABLE = "not estimable: "


def _quote_list(values, limit: int = 4) -> str:
    values = [f"'{v}'" for v in values]
    return ", ".join(values[:limit]) + (
        f" and {len(values) - limit} more" if len(values) > limit else ""
    )


def check_variance_estimable(
    lay: Layout, design: Design, country: str, scope: str | None = None
) -> None:
    """Stop (InputError) unless every wave has at least two PSUs and every stratum at least two PSUs
    in each wave.

    A stratum's between-PSU variance needs two PSUs: with n_h = 1 the factor n_h/(n_h - 1) is 1/0
    and the spread 0. R `survey` stops there by default (`options(survey.lonely.psu = "fail")`, see
    R `?surveyoptions` for the alternatives, issue 15); silently dropping the stratum's contribution
    understates the variance. The usual repair, collapsing strata in pairs, is Cochran (1977)
    Sampling Techniques, 3rd ed., s5A.12. Without clusters each respondent is a PSU. `scope`
    replaces "in wave 'W'" (e.g. for the matched pairs of a panel). With another
    `design.lonely_psu` rule (R's adjust, average, certainty, remove) a lonely PSU is allowed
    unless every stratum of a wave has one (no degrees of freedom).
    """
    check_weights(lay, design, country)
    check_fpc(lay, design, country)
    n_h = psu_counts(lay, waves=True)
    alone = n_h["n_h"] < 2
    if design.lonely_psu != "fail":
        all_alone = alone.groupby(n_h["wave"]).transform("all")
        n_h = n_h[all_alone.to_numpy()]
        alone = alone[all_alone.to_numpy()]
    if not bool(alone.any()):
        return
    frame = pd.DataFrame({"wave": lay.waves[lay.wave], "stratum": lay.stratum, "psu": lay.psu})
    n_h = _named_psu_counts(n_h, frame, lay)
    config = f"config/countries/{country}.yaml"
    psus = frame.groupby("wave", sort=False)["psu"].nunique()
    single = psus[psus < 2]
    if len(single):
        raise _one_psu_wave_error(n_h, single.index[0], design, config, scope)
    raise _lonely_psu_error(n_h, design, config, scope)


def check_weights(lay: Layout, design: Design, country: str) -> None:
    """Stop (InputError) unless every weight is a positive finite number: a zero weight would
    count a respondent in n, the degrees of freedom and the design effect without counting in the
    estimate (R drops such rows from `degf`); the cleaning rejects them too
    (`cleaning.clean.check_design_values`), this guards data built in code.

    Parameters
    ----------
    lay : Layout
        The design's respondents and their weights `w`.
    design : Design
        Names the weight variable.
    country : str
        The country whose config file the error names.

    Returns
    -------
    None

    References
    ----------
    R survey 4.1.1 `degf.survey.design2` (rows of weight 0 are outside the design); Kish, L.
    (1965). Survey Sampling, s11.7.
    """
    bad = ~(np.isfinite(lay.w) & (lay.w > 0))
    if design.weight and bool(bad.any()):
        raise InputError(
            f"design weight '{design.weight}' is zero, negative or missing for {int(bad.sum())}"
            f" respondent(s) (e.g. in wave '{lay.waves[lay.wave[bad][0]]}')",
            file=f"config/countries/{country}.yaml",
            key="datasets.respondents.design.weight",
            column=design.weight,
            fix=(
                "give every respondent a positive weight, or leave out the respondents outside"
                " the sample (an `exclusions:` rule) instead of weighting them 0"
            ),
        )


def check_fpc(lay: Layout, design: Design, country: str) -> None:
    """Stop (InputError) unless the finite population correction `design.fpc` is a positive number
    for every respondent, one value per stratum (per wave x stratum when the waves are separate
    samples), and, as population counts, at least the stratum's sampled PSUs (R `svydesign` stops
    too: "FPC implies >100% sampling in some strata").

    Parameters
    ----------
    lay : Layout
        The design's respondents with their `fpc` values (`layout`); nothing to check without.
    design : Design
        Names the fpc variable (`fpc`) and whether waves are separate samples.
    country : str
        The country whose config file the error names.

    Returns
    -------
    None

    References
    ----------
    R survey 4.1.1 `svydesign(fpc = )` (population size, or sampling fraction when every value is at
    most 1); Cochran, W. G. (1977). Sampling Techniques, 3rd ed., s5.3.
    """
    if lay.fpc is None:
        return
    frame = pd.DataFrame(
        {"wave": lay.waves[lay.wave], "stratum": lay.strata[lay.stratum], "fpc": lay.fpc}
    )
    keys = ["wave", "stratum"] if design.separate_waves or design.is_panel else ["stratum"]
    bad = ~(np.isfinite(frame["fpc"]) & (frame["fpc"] > 0))
    spread = frame.groupby(keys, observed=True)["fpc"].nunique(dropna=False)
    problem = ""
    if bad.any():
        first = frame[bad].iloc[0]
        problem = (
            f"is missing, not a number or not positive for {int(bad.sum())} respondent(s) (e.g."
            f" wave '{first['wave']}', stratum '{first['stratum']}')"
        )
    elif (spread > 1).any():
        where = spread[spread > 1].index[0]
        problem = f"takes several values within one stratum ({where})"
    else:
        n_h = psu_counts(lay, waves=keys[0] == "wave")
        pop = frame.groupby(keys, observed=True)["fpc"].first().to_numpy()
        if not bool(np.all(lay.fpc <= 1)) and bool((pop < n_h["n_h"].to_numpy()).any()):
            problem = "is smaller than the number of sampled PSUs in some stratum (>100% sampling)"
    if problem:
        raise InputError(
            f"the design's finite population correction '{design.fpc}' {problem}",
            file=f"config/countries/{country}.yaml",
            key="datasets.respondents.design.fpc",
            column=design.fpc,
            fix=(
                "give every respondent the number of PSUs (clusters, or people when unclustered) in"
                " the population of their stratum, or the stratum's sampling fraction (all values"
                " at most 1), the same for everyone in a stratum; or remove `fpc:` from the design"
            ),
        )


def _named_psu_counts(n_h: pd.DataFrame, frame: pd.DataFrame, lay: Layout) -> pd.DataFrame:
    """`n_h` (PSUs per wave x stratum) with the stratum's name and the name of its first PSU, for
    error messages."""
    first_psu = (
        frame.groupby(["wave", "stratum"], observed=True)["psu"].first().rename("psu").reset_index()
    )
    n_h = n_h.merge(first_psu, on=["wave", "stratum"])
    n_h["stratum_name"], n_h["psu_name"] = (
        lay.strata[n_h["stratum"]],
        lay.psus[n_h["psu"]].astype(str),
    )
    return n_h


def _where(wave, scope: str | None) -> str:
    """Where a design problem is, for messages: `scope` if given, else "in wave 'W'"."""
    return scope if scope else f"in wave '{wave}'"


def _psu_units(design: Design) -> tuple[str, str]:
    """What a PSU is under `design`, singular and plural: a cluster, or (unclustered) a
    respondent."""
    if design.cluster:
        return "cluster (PSU)", "clusters (PSUs)"
    return "respondent", "respondents"


def _one_psu_wave_error(
    n_h: pd.DataFrame, wave, design: Design, config: str, scope: str | None
) -> InputError:
    """The error for a wave whose respondents all sit in one PSU (one cluster, or one
    respondent)."""
    psu = n_h.loc[n_h["wave"] == wave, "psu_name"].iloc[0]
    if design.cluster:
        return InputError(
            f"every respondent {_where(wave, scope)} is in one cluster ('{psu}' of design variable"
            f" '{design.cluster}'): a design-based variance needs at least two clusters (PSUs)",
            file=config,
            key="datasets.respondents.design.cluster",
            column=design.cluster,
            fix=(
                f"check that '{design.cluster}' identifies the sampling units (e.g. villages)"
                " in every wave (a `derive: {constant: ...}` or an empty column gives one"
                " cluster), or remove `cluster:` from the design if respondents were sampled"
                " individually"
            ),
        )
    return InputError(
        f"only one respondent {_where(wave, scope)}: a design-based variance needs at least two",
        file=config,
        key="datasets.respondents.design",
        fix=(
            "check the exclusions and the wave's source file, or remove `weight:` from the design"
        ),
    )


def _lonely_psu_error(
    n_h: pd.DataFrame, design: Design, config: str, scope: str | None
) -> InputError:
    """The error for the first wave with a stratum of one PSU (a 'lonely PSU'): every stratum of
    the wave, or some."""
    lonely = n_h[n_h["n_h"] < 2]
    wave = lonely["wave"].iloc[0]
    in_wave = n_h[n_h["wave"] == wave]
    if bool((in_wave["n_h"] < 2).all()):
        problem, fix = _all_strata_lonely_message(in_wave, design, _where(wave, scope))
    else:
        problem, fix = _lonely_stratum_message(lonely, in_wave, design, _where(wave, scope))
    return InputError(
        problem,
        file=config,
        key="datasets.respondents.design.strata",
        column=design.strata,
        fix=fix,
    )


def _all_strata_lonely_message(
    in_wave: pd.DataFrame, design: Design, where: str
) -> tuple[str, str]:
    """(problem, fix) when every stratum of a wave has a single PSU: collapse strata or drop
    them."""
    unit, units = _psu_units(design)
    examples = ", ".join(
        f"'{s}': '{p}'" for s, p in zip(in_wave["stratum_name"][:3], in_wave["psu_name"][:3])
    )
    problem = (
        f"every stratum {where} has a single {unit} (e.g. {examples}): the variance"
        f" within a stratum needs at least two {units}"
    )
    fix = (
        "collapse the strata in pairs with a `derive:` map (the collapsed-strata estimator) and"
        " name the new variable under `strata:`, or remove `strata:` from the design (a"
        " variance that ignores the stratification, usually conservative)"
    )
    return problem, fix


def _lonely_stratum_message(
    lonely: pd.DataFrame, in_wave: pd.DataFrame, design: Design, where: str
) -> tuple[str, str]:
    """(problem, fix) when some strata of a wave have a single PSU: name the first, count the others
    (over all waves) and show a `derive:` map merging it with a stratum of two or more PSUs."""
    unit, units = _psu_units(design)
    first = lonely.iloc[0]
    others = in_wave.loc[in_wave["n_h"] >= 2, "stratum_name"].tolist()
    example = ", ".join(
        [f"'{first['stratum_name']}': '{others[0]}'"]
        + [f"'{o}': '{o}'" for o in others[:2]]
        + (["..."] if len(others) > 2 else [])
    )
    cells = lonely["stratum_name"].astype(str) + "' in wave '" + lonely["wave"].astype(str)
    also = (
        f" (strata with one {unit} in all: {len(lonely)}, e.g. {_quote_list(cells, 3)})"
        if len(lonely) > 1
        else ""
    )
    problem = (
        f"stratum '{first['stratum_name']}' has a single {unit} {where}"
        f" ('{first['psu_name']}'), a 'lonely PSU': the variance within a stratum needs at"
        f" least two {units}, and R survey stops here too by default{also}"
    )
    fix = (
        "merge the stratum with a similar one through a `derive:` map, e.g. `derive:"
        f" {{{design.strata}_merged: {{from: {design.strata}, map: {{{example}}}}}}}` and then"
        f" `strata: {design.strata}_merged`; or remove `strata:` from the design (usually"
        " conservative); or set `lonely_psu:` in the design to adjust, average, certainty or"
        " remove (as R `options(survey.lonely.psu)`)"
    )
    return problem, fix


def indicator_ids(
    indicators: list[Indicator], country: str, data, measure: str | None = "share"
) -> list[str]:
    """This country's indicators present in `data` (a DataFrame, or the names of its columns) whose
    measure is `measure` ("share": 0/1 columns reported in percent; "mean": numeric columns
    reported in their unit; None: both), in configured order."""
    columns = set(getattr(data, "columns", data))
    return [
        i.id
        for i in indicators
        if country in i.countries
        and i.id in columns
        and measure in (None, i.countries[country].measure)
    ]


def _srs_estimates(
    values: Mapping[str, np.ndarray], data: pd.DataFrame, lay, group_vars: list[str], alpha: float
) -> pd.DataFrame:
    cells = domain_estimates(domain_totals(values, data, lay, group_vars, by_psu=False))
    low, high = wilson_ci(cells["k"], cells["n"], alpha)
    p = cells["k"] / cells["n"]
    return cells.assign(
        p=p,
        se=np.sqrt(p * (1 - p) / cells["n"]),
        ci_low=low,
        ci_high=high,
        deff=1.0,
        df=np.nan,
        ci_method="wilson",
        note="",
    )


def _design_estimates(
    passes: DesignPasses,
    ids: list[str],
    group_vars: list[str],
    design: Design,
    alpha: float,
    country: str,
) -> pd.DataFrame:
    lay, totals, cells = passes.get(ids, design, group_vars)
    check_variance_estimable(lay, design, country)
    n_h = psu_counts(lay, waves=True)
    var = variance_from_moments(
        linearised_moments(totals, cells, lay.clustered), DOMAIN, n_h, ["wave"], design.lonely_psu
    )
    df = domain_df(totals, DOMAIN, ["stratum"], lay.clustered)[DOMAIN + ["df"]]
    cells = cells.merge(var.rename("var").reset_index(), on=DOMAIN, how="left").merge(
        df, on=DOMAIN, how="left"
    )
    cells["var"] = cells["var"].fillna(0.0).clip(lower=0)
    p = cells["p"].to_numpy(float)
    extreme = (p <= 0) | (p >= 1)
    flat = ~extreme & (
        cells["var"].to_numpy() <= 0
    )  # 0 < p < 1 but no design variance: no interval
    cells["se"] = np.where(flat, np.nan, np.sqrt(cells["var"]))
    if design.ci_method == "beta":
        low, high = korn_graubard_ci(p, cells["se"], cells["n"], cells["df"], alpha)
    else:
        low, high = logit_ci(p, cells["se"], interval_df(cells["df"], design), alpha)
        kg_low, kg_high = korn_graubard_ci(p, cells["se"], cells["n"], cells["df"], alpha)
        low, high = np.where(extreme, kg_low, low), np.where(extreme, kg_high, high)
    cells["ci_low"], cells["ci_high"] = low, high
    cells["deff"] = np.where(flat, np.nan, design_effect(cells["var"], p, cells["n"]))
    cells["ci_method"] = np.select(
        [flat, extreme], ["", "design-based beta (n_eff = n)"], _design_ci_label(design)
    )
    cells["note"] = _design_notes(cells, extreme, flat, single_psu_domains(totals, lay))
    return cells.drop(columns="var")


def interval_df(df: pd.Series, design: Design) -> np.ndarray:
    """The degrees of freedom of the t quantile of design-based logit intervals and Wald tests:
    the design's (`ci_df: design`), or infinite (`ci_df: normal`, the normal quantile).

    Parameters
    ----------
    df : pandas.Series
        The design degrees of freedom of each estimate (PSUs - strata of its domain).
    design : Design
        Its `ci_df`.

    Returns
    -------
    numpy.ndarray
        `df`, or inf for every estimate.

    References
    ----------
    R survey 4.1.1 `svyciprop(df = degf(design))` (df = Inf: normal quantiles) and
    `summary.svyglm(df.resid = Inf)`; Korn, E. L. & Graubard, B. I. (1999). Analysis of Health
    Surveys, s5.2.
    """
    values = df.to_numpy(dtype=float)
    return values if design.ci_df == "design" else np.full(len(values), np.inf)


def _design_ci_label(design: Design) -> str:
    """The `ci_method` of design-based intervals: logit or beta, logit on the normal quantile
    when `ci_df: normal` (Korn-Graubard keeps its design-df adjustment, as R `svyciprop`)."""
    normal = design.ci_df == "normal" and design.ci_method == "logit"
    return f"design-based {design.ci_method}" + (" (normal)" if normal else "")


def single_psu_domains(totals: pd.DataFrame, lay: Layout) -> pd.Series:
    """Per domain with answers from one PSU only: that PSU's name (domains from several PSUs are
    absent)."""
    if not lay.clustered:  # every respondent is a PSU: one PSU = one answer
        one = totals.groupby(DOMAIN, observed=True)["n"].sum()
        return pd.Series("one respondent", index=one[one == 1].index, dtype=object)
    rows = totals.groupby(DOMAIN, observed=True).agg(psus=("psu", "size"), psu=("psu", "first"))
    rows = rows[rows["psus"] == 1]
    return pd.Series(lay.psus[rows["psu"].to_numpy()].astype(str), index=rows.index, dtype=object)


def _design_notes(
    cells: pd.DataFrame, extreme: np.ndarray, flat: np.ndarray, single_psu: pd.Series
) -> np.ndarray:
    """The `note` of each design-based estimate: why it has no interval, or how the 0% / 100%
    interval was made."""
    psu = pd.Series(cells.set_index(DOMAIN).index.map(single_psu), index=cells.index, dtype=object)
    n = cells["n"].astype(int).astype(str)
    level = pd.Series(np.where(cells["p"].to_numpy(float) <= 0, "0%", "100%"), index=cells.index)
    return np.select(
        [flat & psu.notna().to_numpy(), flat, extreme],
        [
            NOT_ESTIMABLE
            + "all "
            + n
            + " answers of this group come from one cluster ('"
            + psu.astype(str)
            + "'), so the design gives no variance",
            NOT_ESTIMABLE
            + "zero design variance (every cluster has the same weighted share), so no interval",
            level
            + ": no design variance (every answer alike); Korn-Graubard interval with effective n ="
            " n, design effect undefined",
        ],
        "",
    ).astype(object)


def estimate_table(
    data: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    design: Design,
    group_vars: list[str],
    min_group_n: int = DEFAULT_MIN_GROUP_N,
    alpha: float = DEFAULT_ALPHA,
    passes: DesignPasses | None = None,
) -> pd.DataFrame:
    """Every indicator x wave x group estimate of one country, tidy (see module docstring).

    Wilson intervals for simple random samples; for clustered and/or weighted designs the
    Taylor-linearised ratio sum(w y) / sum(w), a logit or Korn-Graubard interval on the design's
    degrees of freedom and the Kish design effect. A grouping variable with one level (e.g. sex in a
    women-only survey) is skipped. Stops (InputError) where the design gives no variance.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents: `wave`, the indicator columns (1, 0, NaN for no valid answer), the grouping
        variables and the design variables.
    indicators : list of Indicator
        The project's indicators; those of `country` present in `data` are estimated, in order.
    country : str
        Country code (the `country` column; the config file named in errors).
    design : Design
        Cluster, weight, strata, `ci_method` and the configured wave order.
    group_vars : list of str
        Grouping variables besides the whole sample (`overall`), e.g. ["sex"].
    min_group_n : int
        Fewest valid answers for a group's row (`overall` rows are always kept).
    alpha : float
        1 - confidence level (proportion).
    passes : DesignPasses, optional
        Design passes of `data` shared with the shifts (domains.DesignPasses); made here if None.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x group_var x group x wave (configured wave order): design columns,
        n, k, percent, ci_low, ci_high, se_pp (0-100), ci_method, df, deff, note (module docstring).

    References
    ----------
    Wilson, E. B. (1927). JASA 22, 209-212; Binder, D. A. (1983). International Statistical Review
    51, 279-292; Wolter, K. (2007). Introduction to Variance Estimation, 2nd ed., ch. 6; Lumley, T.
    (2010). Complex Surveys: A Guide to Analysis Using R, s2.2 (R `svyciprop`); Korn, E. L. &
    Graubard, B. I. (1998). Survey Methodology 24, 193-201; Kish, L. (1965). Survey Sampling, s8.2.
    """
    ids = indicator_ids(indicators, country, data)
    usable = [gv for gv in group_vars if gv in data.columns and data[gv].nunique(dropna=True) > 1]
    cells = _domain_estimates(data, ids, usable, design, alpha, country, passes)
    keep = (cells["group_var"] == OVERALL) | (cells["n"] >= min_group_n)
    cells = sorted_estimates(cells[keep].copy(), ids, usable, design)
    return _tidy_estimates(cells, country, design)


def _domain_estimates(
    data: pd.DataFrame,
    ids: list[str],
    group_vars: list[str],
    design: Design,
    alpha: float,
    country: str,
    passes: DesignPasses | None,
) -> pd.DataFrame:
    """Every domain's estimate (proportions 0-1): design-based when the design has a cluster or a
    weight, else simple random sampling."""
    if design.design_based:
        return _design_estimates(
            passes or DesignPasses(data), ids, group_vars, design, alpha, country
        )
    return _srs_estimates(
        indicator_values(data, ids), data, layout(data, None, None, None), group_vars, alpha
    )


def sorted_estimates(
    cells: pd.DataFrame, ids: list[str], usable: list[str], design: Design
) -> pd.DataFrame:
    """Domain estimates in report order: indicators as configured, `overall` then the group
    variables, groups sorted, waves in the configured order (`wave_order`)."""
    order = {ind: i for i, ind in enumerate(ids)}
    gv_order = {gv: i for i, gv in enumerate([OVERALL] + usable)}
    w_order = {w: i for i, w in enumerate(wave_order(design, cells["wave"].unique()))}
    sort_keys = {"indicator": order, "group_var": gv_order, "wave": w_order}
    return cells.sort_values(
        ["indicator", "group_var", "group", "wave"],
        key=lambda s: s.map(sort_keys[s.name]) if s.name in sort_keys else s,
        kind="stable",
    )


def _tidy_estimates(cells: pd.DataFrame, country: str, design: Design) -> pd.DataFrame:
    """The published columns of the estimates table from domain estimates (proportions 0-1 become
    percent 0-100; the SE in percentage points)."""
    out = pd.DataFrame(
        {
            "country": country,
            "indicator": cells["indicator"],
            "wave": cells["wave"],
            "group_var": cells["group_var"],
            "group": cells["group"],
            **design.columns(),
            "n": cells["n"].astype(int),
            "k": cells["k"].astype(int),
            "percent": 100 * cells["p"],
            "ci_low": 100 * cells["ci_low"],
            "ci_high": 100 * cells["ci_high"],
            "se_pp": 100 * cells["se"],
            "ci_method": cells["ci_method"],
            "df": cells["df"],
            "deff": cells["deff"],
            "note": cells["note"] if "note" in cells else "",
        }
    )
    return out.reset_index(drop=True)
