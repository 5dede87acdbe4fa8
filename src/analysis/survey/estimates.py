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
  InputError naming the wave, stratum and PSU and the ways out (`check_variance_estimable`); so the
  design's df = PSUs - strata is >= 1;
- 0% or 100% (zero design variance, logit undefined): Korn-Graubard interval with effective n = n,
  labelled `design-based beta (n_eff = n)`, design effect left empty (undefined), and a note;
- a group whose answers come from one PSU, or with zero design variance at 0 < p < 1: the percent is
  kept, the SE, interval and design effect are left empty and the note says "not estimable: ..." and
  why.
Waves come in the configured order of the respondents dataset's sources (`Design.waves`,
`wave_order`).
"""

from __future__ import annotations

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
    replaces "in wave 'W'" (e.g. for the matched pairs of a panel).
    """
    n_h = psu_counts(lay, waves=True)
    if bool((n_h["n_h"] >= 2).all()):
        return
    frame = pd.DataFrame({"wave": lay.waves[lay.wave], "stratum": lay.stratum, "psu": lay.psu})
    first_psu = (
        frame.groupby(["wave", "stratum"], observed=True)["psu"].first().rename("psu").reset_index()
    )
    n_h = n_h.merge(first_psu, on=["wave", "stratum"])
    n_h["stratum_name"], n_h["psu_name"] = (
        lay.strata[n_h["stratum"]],
        lay.psus[n_h["psu"]].astype(str),
    )
    config = f"config/countries/{country}.yaml"
    unit = "cluster (PSU)" if design.cluster else "respondent"
    units = "clusters (PSUs)" if design.cluster else "respondents"
    psus = frame.groupby("wave", sort=False)["psu"].nunique()
    where = (lambda w: scope) if scope else (lambda w: f"in wave '{w}'")
    single = psus[psus < 2]
    if len(single):
        wave = single.index[0]
        psu = n_h.loc[n_h["wave"] == wave, "psu_name"].iloc[0]
        if design.cluster:
            raise InputError(
                f"every respondent {where(wave)} is in one cluster ('{psu}' of design variable"
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
        raise InputError(
            f"only one respondent {where(wave)}: a design-based variance needs at least two",
            file=config,
            key="datasets.respondents.design",
            fix=(
                "check the exclusions and the wave's source file, or remove `weight:` from the"
                " design"
            ),
        )
    lonely = n_h[n_h["n_h"] < 2]
    wave = lonely["wave"].iloc[0]
    in_wave = n_h[n_h["wave"] == wave]
    if bool((in_wave["n_h"] < 2).all()):
        examples = ", ".join(
            f"'{s}': '{p}'" for s, p in zip(in_wave["stratum_name"][:3], in_wave["psu_name"][:3])
        )
        problem = (
            f"every stratum {where(wave)} has a single {unit} (e.g. {examples}): the variance"
            f" within a stratum needs at least two {units}"
        )
        fix = (
            "collapse the strata in pairs with a `derive:` map (the collapsed-strata estimator) and"
            " name the new variable under `strata:`, or remove `strata:` from the design (a"
            " variance that ignores the stratification, usually conservative)"
        )
    else:
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
            f"stratum '{first['stratum_name']}' has a single {unit} {where(wave)}"
            f" ('{first['psu_name']}'), a 'lonely PSU': the variance within a stratum needs at"
            f" least two {units}, and R survey stops here too by default{also}"
        )
        fix = (
            "merge the stratum with a similar one through a `derive:` map, e.g. `derive:"
            f" {{{design.strata}_merged: {{from: {design.strata}, map: {{{example}}}}}}}` and then"
            f" `strata: {design.strata}_merged`; or remove `strata:` from the design (usually"
            " conservative)"
        )
    raise InputError(
        problem,
        file=config,
        key="datasets.respondents.design.strata",
        column=design.strata,
        fix=fix,
    )


def indicator_ids(indicators: list[Indicator], country: str, data) -> list[str]:
    """This country's indicators present in `data` (a DataFrame, or the names of its columns)."""
    columns = set(getattr(data, "columns", data))
    return [i.id for i in indicators if country in i.countries and i.id in columns]


def _srs_estimates(
    values: dict, data: pd.DataFrame, lay, group_vars: list[str], alpha: float
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
        linearised_moments(totals, cells, lay.clustered), DOMAIN, n_h, ["wave"]
    )
    df = (n_h.groupby("wave")["n_h"].sum() - n_h.groupby("wave").size()).rename("df").reset_index()
    cells = cells.merge(var.rename("var").reset_index(), on=DOMAIN, how="left").merge(
        df, on="wave", how="left"
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
        low, high = logit_ci(p, cells["se"], cells["df"], alpha)
        kg_low, kg_high = korn_graubard_ci(p, cells["se"], cells["n"], cells["df"], alpha)
        low, high = np.where(extreme, kg_low, low), np.where(extreme, kg_high, high)
    cells["ci_low"], cells["ci_high"] = low, high
    cells["deff"] = np.where(flat, np.nan, design_effect(cells["var"], p, cells["n"]))
    cells["ci_method"] = np.select(
        [flat, extreme], ["", "design-based beta (n_eff = n)"], f"design-based {design.ci_method}"
    )
    cells["note"] = _design_notes(cells, extreme, flat, _single_psu(totals, lay))
    return cells.drop(columns="var")


def _single_psu(totals: pd.DataFrame, lay: Layout) -> pd.Series:
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

    `passes`: design passes of `data` to share with the shifts (domains.DesignPasses). Groups other
    than `overall` are reported only with at least `min_group_n` valid answers; a grouping variable
    with a single level (e.g. sex in a women-only survey) is skipped. Waves in the configured order;
    `note` says why a number is missing or how an unusual interval was made (module docstring),
    empty otherwise.
    """
    ids = indicator_ids(indicators, country, data)
    usable = [gv for gv in group_vars if gv in data.columns and data[gv].nunique(dropna=True) > 1]
    if design.design_based:
        cells = _design_estimates(passes or DesignPasses(data), ids, usable, design, alpha, country)
    else:
        cells = _srs_estimates(
            indicator_values(data, ids), data, layout(data, None, None, None), usable, alpha
        )
    keep = (cells["group_var"] == OVERALL) | (cells["n"] >= min_group_n)
    cells = cells[keep].copy()
    order = {ind: i for i, ind in enumerate(ids)}
    gv_order = {gv: i for i, gv in enumerate([OVERALL] + usable)}
    w_order = {w: i for i, w in enumerate(wave_order(design, cells["wave"].unique()))}
    sort_keys = {"indicator": order, "group_var": gv_order, "wave": w_order}
    cells = cells.sort_values(
        ["indicator", "group_var", "group", "wave"],
        key=lambda s: s.map(sort_keys[s.name]) if s.name in sort_keys else s,
        kind="stable",
    )
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
