"""Shifts: the change of every indicator between two waves, for every configured comparison,
overall and by sex, tested as the design requires.

Public surface:
`shift_table(data, indicators, country, design, published_baselines, alpha, family)`.

Waves and comparisons: `Design.waves` are the dataset's waves in the order of its `sources:` (any
names: "1999" and "2000" are names, never numbers); `Design.comparisons` lists the (from, to) pairs
compared (default: each consecutive pair, plus first -> last with 3+ waves; two waves: the one
comparison). Every row says which in `from_wave` and `to_wave`; `from_*` columns are the earlier
wave's, `to_*` the later's. A panel's pairs are the people matched between the two waves of that
comparison. A country with one wave has no microdata shifts (the table is empty, or holds only
published-baseline rows, which stand in for the first wave of the first comparison starting there).

Designs (from the country config, never from code):
- independent cross-sections, simple random samples: difference with Newcombe's hybrid score CI;
  Pearson chi-square (= two-proportion z-test), or Fisher's exact test when an expected count < 5.
- panel (same respondents, matched on the panel key): McNemar's exact, mid-p, chi-square and
  continuity-corrected p-values as columns, `design.paired_test` choosing `p_value` (default: exact
  binomial when discordant pairs < 25, else chi-square), and Newcombe's paired CI (1998b, method 10,
  corrected phi). n, k and percents are the matched pairs' (`pairs_n`, `pairs_*_pct`); respondents
  present in only one wave are counted in `unmatched_from` / `unmatched_to`.
- clustered and/or weighted: design-based difference by Taylor linearisation, Wald t test with the
  design's degrees of freedom minus one (as R `svyglm(y ~ wave)`; normal with `ci_df: normal`);
  `deff` reports the design effect of the difference. Independent cross-sections are separate
  samples (strata = wave x stratum, PSUs nested in waves) unless `clusters_revisited: true` (PSUs
  shared by both waves, their covariance included). A weighted or clustered panel uses the
  linearised mean of each person's change, its deff against SRS with the weighted variance.
- subgroup contrast: the wave x sex interaction (change among women minus change among men) as its
  own row.
- summary-only baseline: a published percent and n stands in for missing baseline microdata
  (`from_source = published`), compared as an independent simple random sample of its n; under
  a clustered and/or weighted design the endline is design-based (`published_baseline_rows`).
Holm and Benjamini-Hochberg adjusted p-values within multiplicity families of rows
(`analysis.survey.multiplicity`; the project default: primary and secondary indicators apart,
whole-sample rows apart from subgroup rows, every comparison together). Cohen's h is
the effect size of every change. Percent columns are 0-100; differences in percentage points.

Never a p-value from a zero variance: a design-based contrast with zero variance (0% -> 100%, the
same 0% in both waves, answers from one PSU) or df < 1 keeps its difference but has no test or
interval, and a group absent from a wave (e.g. men in a women-only baseline) still gets its row (and
the women - men row); the `note` column says "not estimable: ..." and why (empty when nothing needs
saying); such rows take no part in the Holm / BH adjustment. So does a design-based women - men
row with a cell whose answers are all alike (0% or 100%: no linearised variance). Simple random
samples use exact tests where the chi-square would have no variance (Fisher for 0% vs 0%; McNemar
exact with no discordant pairs gives p = 1, noted), and the women - men row with a 0% or 100% cell
the likelihood-ratio test of equal changes (`_srs_interaction`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.model import DEFAULT_ALPHA, DEFAULT_MIN_GROUP_N, Indicator, PublishedBaseline
from analysis.survey.design import DESIGN_COLUMNS, Design, default_comparisons
from analysis.survey.domains import (
    DOMAIN,
    OVERALL,
    DesignPasses,
    design_pass,
    domain_df,
    domain_estimates,
    domain_totals,
    indicator_values,
    layout,
    linearised_moments,
    psu_counts,
    psu_influence,
    variance_from_moments,
)
from analysis.survey.estimates import (
    NOT_ESTIMABLE,
    _domain_estimates,
    check_variance_estimable,
    indicator_ids,
    wave_order,
)
from analysis.survey.multiplicity import MultiplicityFamily, adjust_pvalues
from analysis.survey.proportions import (
    cohens_h,
    fisher_exact_p,
    mcnemar_test,
    newcombe_diff_ci,
    newcombe_paired_diff_ci,
    two_proportion_chi2,
    wald_diff_test,
    wilson_ci,
)

SHIFT_COLUMNS = [
    "country",
    "indicator",
    "group_var",
    "group",
    *DESIGN_COLUMNS,
    "from_source",
    "from_n",
    "from_k",
    "from_pct",
    "to_n",
    "to_k",
    "to_pct",
    "pairs_n",
    "pairs_from_pct",
    "pairs_to_pct",
    "diff_pp",
    "diff_ci_low",
    "diff_ci_high",
    "ci_method",
    "test",
    "statistic",
    "df",
    "p_value",
    "mid_p",
    "p_exact",
    "p_chi2",
    "p_chi2_cc",
    "p_holm",
    "p_bh",
    "holm_family",
    "cohens_h",
    "deff",
    "unmatched_from",
    "unmatched_to",
    "improvement",
    "direction_improved",
    "significant_holm",
    "from_wave",
    "to_wave",
    "composition_flag",  # filled from adjusted.csv (analysis.survey.adjusted.composition_flags)
    "note",
]
CELL = ["indicator", "group_var", "group"]
# filled on paired (panel) rows only: matched pairs, their percents (0-100) and McNemar's p-values
PAIRED_COLUMNS = (
    "pairs_n",
    "pairs_from_pct",
    "pairs_to_pct",
    "p_exact",
    "p_chi2",
    "p_chi2_cc",
)
MCNEMAR_TEST_NAMES = {
    "exact": "McNemar exact (binomial)",
    "midp": "McNemar mid-p (binomial)",
    "asymptotic": "McNemar chi-square (no continuity correction)",
}
INTERACTION = "sex: Female - Male"
ZERO_SHARES = (
    NOT_ESTIMABLE
    + "every share is 0% or 100%, so the difference in change has no variance and there is "
    "no test or interval"
)


def _by_wave(
    domains: pd.DataFrame, waves: tuple[str, str], columns=("n", "k", "p")
) -> pd.DataFrame:
    """One row per cell with baseline_* (first wave of `waves`) and endline_* (last) columns from
    per-wave domain estimates; cells without both waves are left out (`_absent_rows` reports
    them)."""
    first, last = waves
    sub = domains[domains["wave"].isin([first, last])]
    sub = sub.assign(wave=sub["wave"].map({first: "from", last: "to"}))
    wanted = [f"{w}_{c}" for w in ("from", "to") for c in columns]
    if sub.empty:
        return pd.DataFrame(columns=CELL + wanted)
    wide = sub.pivot_table(index=CELL, columns="wave", values=list(columns), observed=True)
    wide.columns = [f"{wave}_{stat}" for stat, wave in wide.columns]
    wide = wide.reindex(columns=wanted)
    return wide.dropna(subset=wanted).reset_index()


def independent_rows(cells: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Newcombe CI and chi-square / Fisher test for rows with from_k, from_n, to_k,
    to_n."""
    kb, nb, ke, ne = (cells[c].to_numpy(float) for c in ("from_k", "from_n", "to_k", "to_n"))
    low, high = newcombe_diff_ci(ke, ne, kb, nb, alpha)
    stat, p, expected = two_proportion_chi2(ke, ne, kb, nb)
    small = expected < 5
    if small.any():
        p = p.copy()
        p[small] = fisher_exact_p(ke[small], ne[small], kb[small], nb[small])
    return cells.assign(
        diff_ci_low=100 * low,
        diff_ci_high=100 * high,
        ci_method="Newcombe hybrid score",
        test=np.where(small, "Fisher exact", "chi-square (2x2, no continuity correction)"),
        statistic=np.where(small, np.nan, stat),
        df=np.where(small, np.nan, 1.0),
        p_value=p,
        mid_p=np.nan,
        deff=1.0,
    )


def matched_pairs(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    waves: tuple[str, str],
) -> tuple[pd.DataFrame, dict, dict]:
    """Matched people: their baseline design columns (with `panel_weight` from the endline record
    when set) and, per indicator, baseline and endline answers (baseline = the first of `waves`,
    endline = the last)."""
    key = design.panel_key
    keep = (
        [key]
        + [c for c in (design.cluster, design.weight, design.strata, design.fpc, *group_vars) if c]
        + ids
    )
    keep = list(dict.fromkeys(keep))
    base = data.loc[data["wave"] == waves[0], keep]
    pw = design.panel_weight
    end = data.loc[
        data["wave"] == waves[1], list(dict.fromkeys([key] + ids + ([pw] if pw else [])))
    ]
    merged = base.merge(end, on=key, how="inner", suffixes=("", "__end"))
    yb = dict(indicator_values(merged, ids))
    ye = {
        i: merged[f"{i}__end"].astype("Float64").to_numpy(dtype=float, na_value=np.nan) for i in ids
    }
    persons = merged.drop(columns=[c for c in merged.columns if c.endswith("__end")] + ids).assign(
        wave="change"
    )
    if pw:  # the longitudinal weight of the pair, from its endline record
        persons[pw] = merged[f"{pw}__end" if f"{pw}__end" in merged else pw].to_numpy()
    return persons, yb, ye


def pair_design(design: Design) -> Design:
    """The design of matched pairs: weighted by `panel_weight` (each pair's endline record) when
    set, else by `weight` of the pair's baseline record."""
    if design.panel_weight:
        return design.model_copy(update={"weight": design.panel_weight})
    return design


def with_pair_weight_note(
    out: pd.DataFrame, design: Design, waves: tuple[str, str]
) -> pd.DataFrame:
    """`out` with the weight the matched pairs carry added to the `note` of its rows (weighted
    panels only)."""
    if design.panel_weight:
        note = f"pairs weighted by '{design.panel_weight}' of their wave '{waves[1]}' record"
    elif design.weight:
        note = f"pairs weighted by '{design.weight}' of their wave '{waves[0]}' record"
    else:
        return out
    if len(out):
        out["note"] = _join_notes(out["note"], pd.Series(note, index=out.index))
    return out


def unmatched_counts(
    data: pd.DataFrame,
    ids: list[str],
    persons: pd.DataFrame,
    yb: dict,
    ye: dict,
    group_vars: list[str],
    waves: tuple[str, str],
):
    """Per cell: answers in one wave without a partner answer in the other (reported, never silently
    dropped), and `pairs_n`, the people who answered in both waves (the paired test's n)."""
    lay_all = layout(data, None, None, None)
    valid = domain_estimates(
        domain_totals(indicator_values(data, ids), data, lay_all, group_vars, by_psu=False)
    )
    both = {i: np.where(~np.isnan(yb[i]) & ~np.isnan(ye[i]), 1.0, np.nan) for i in ids}
    lay_p = layout(persons, None, None, None)
    paired = domain_estimates(domain_totals(both, persons, lay_p, group_vars, by_psu=False))[
        CELL + ["n"]
    ]
    counts = valid.pivot_table(index=CELL, columns="wave", values="n", observed=True).reset_index()
    counts = counts.merge(paired.rename(columns={"n": "pairs"}), on=CELL, how="left").fillna(
        {"pairs": 0}
    )
    return counts.assign(
        unmatched_from=counts.get(waves[0], 0) - counts["pairs"],
        unmatched_to=counts.get(waves[1], 0) - counts["pairs"],
        pairs_n=counts["pairs"],
    )[CELL + ["unmatched_from", "unmatched_to", "pairs_n"]]


def _paired_rows(data, ids, design, group_vars, alpha, waves) -> pd.DataFrame:
    """McNemar (all four p-values; `design.paired_test` chooses `p_value`) and Newcombe's paired
    CI per cell, from respondents answering in both waves: the row's n, k and percents are the
    matched pairs' (`pairs_*`); each wave's estimate over all its respondents is in
    estimates.csv."""
    persons, yb, ye = matched_pairs(data, ids, design, group_vars, waves)
    cells = _paired_tables(persons, yb, ye, ids, group_vars)
    cells = cells.merge(
        unmatched_counts(data, ids, persons, yb, ye, group_vars, waves), on=CELL, how="left"
    )
    a, b, c, d = (cells[x].to_numpy(float) for x in "abcd")
    n = a + b + c + d
    mc = mcnemar_test(b, c, method=design.paired_test)
    # endline margin (a + c) minus baseline margin (a + b)
    low, high = newcombe_paired_diff_ci(a, c, b, d, alpha)
    return cells.assign(
        from_n=n,
        from_k=a + b,
        to_n=n,
        to_k=a + c,
        pairs_n=n,
        pairs_from_pct=100 * (a + b) / n,
        pairs_to_pct=100 * (a + c) / n,
        diff_ci_low=100 * low,
        diff_ci_high=100 * high,
        ci_method="Newcombe paired score (method 10)",
        test=pd.Series(mc["chosen"]).map(MCNEMAR_TEST_NAMES).to_numpy(),
        statistic=mc["statistic"],
        df=np.where(mc["exact"], np.nan, 1.0),
        p_value=mc["p_value"],
        mid_p=mc["mid_p"],
        p_exact=mc["p_exact"],
        p_chi2=mc["p_chi2"],
        p_chi2_cc=mc["p_chi2_cc"],
        deff=1.0,
        note=np.where(b + c == 0, "no discordant pairs (nobody changed answer): exact p = 1", ""),
    ).drop(columns=list("abcd"))


def _paired_tables(
    persons: pd.DataFrame, yb: dict, ye: dict, ids: list[str], group_vars: list[str]
) -> pd.DataFrame:
    """The paired 2x2 table per cell: a (1 then 1), b (1 then 0), c (0 then 1), d (0 then 0),
    counted over the people with an answer in both waves."""
    tables = {}
    lay = layout(persons, None, None, None)
    for name, (first, then) in {"a": (1, 1), "b": (1, 0), "c": (0, 1), "d": (0, 0)}.items():
        vals = {
            i: np.where(
                ~np.isnan(yb[i]) & ~np.isnan(ye[i]),
                ((yb[i] == first) & (ye[i] == then)).astype(float),
                np.nan,
            )
            for i in ids
        }
        tables[name] = domain_estimates(
            domain_totals(vals, persons, lay, group_vars, by_psu=False)
        ).set_index(CELL)["k"]
    return pd.DataFrame(tables).fillna(0).reset_index()


def linearised_contrast(
    pass_,
    alpha: float,
    cell_keys: list[str],
    contrast_cols: list[str],
    contrast: dict[tuple, float],
    design: Design,
):
    """Design-based estimate of sum(coef * p[domain]) per cell, its linearised variance and Wald t
    test.

    `pass_` is a `domains.design_pass`. `contrast` maps values of `contrast_cols` (e.g. ("endline",)
    or ("endline", "sex", "Female")) to coefficients. PSUs shared by the domains are combined PSU by
    PSU; without clusters the domains are disjoint sets of respondents, so their moments add (s) and
    add with squared coefficients (s2). Domains are subsets of the whole design, as R's `subset()`:
    PSU counts per stratum from all respondents for the variance, degrees of freedom from the PSUs
    that answered (`_contrast_df`), as R svyglm. When `design.separate_waves` (independent
    cross-sections that sample their clusters afresh) a stratum is a wave x stratum and PSUs are
    nested in waves, as R `svydesign(strata = ~interaction(wave, stratum), nest = TRUE)`; otherwise
    strata and PSUs are shared by the waves. Lonely PSUs follow `design.lonely_psu`.
    """
    lay, totals, domains = pass_
    strata_keys = ["wave", "stratum"] if design.separate_waves else ["stratum"]
    coef = pd.DataFrame(
        [(*key, c) for key, c in contrast.items()], columns=contrast_cols + ["coef"]
    )
    involved = totals.merge(
        coef[contrast_cols], on=contrast_cols
    )  # domain x stratum [x PSU] rows with answers
    moments = _contrast_moments(
        lay.clustered, totals, involved, domains, coef, cell_keys, contrast_cols, strata_keys
    )
    n_h = psu_counts(lay, waves=design.separate_waves)
    var = variance_from_moments(moments, cell_keys, n_h, strata_keys[:-1], design.lonely_psu)
    cells = _contrast_estimates(domains, coef, cell_keys, contrast_cols, len(contrast))
    cells = cells.merge(var.rename("var").reset_index(), on=cell_keys)
    cells = cells.merge(
        _contrast_df(involved, cell_keys, lay.clustered, len(contrast), strata_keys), on=cell_keys
    )
    cells["var"] = cells["var"].clip(lower=0)
    rows = _wald_contrast_rows(cells, alpha, lay.clustered)
    return (_on_normal(rows, cells, alpha) if design.ci_df == "normal" else rows), domains


def _on_normal(rows: pd.DataFrame, cells: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """`ci_df: normal`: the Wald test and interval of every contrast with a variance on the normal
    quantile instead of t(df), as R `summary(svyglm(...), df.resid = Inf)` (the df column keeps the
    design's degrees of freedom; a contrast without variance stays without a test)."""
    ok = (cells["var"] > 0).to_numpy()
    stat, p, low, high = wald_diff_test(cells["estimate"], np.sqrt(cells["var"]), None, alpha)
    rows = rows.copy()
    rows.loc[ok, "statistic"], rows.loc[ok, "p_value"] = stat[ok], p[ok]
    rows.loc[ok, "diff_ci_low"], rows.loc[ok, "diff_ci_high"] = 100 * low[ok], 100 * high[ok]
    rows.loc[ok, "test"] = "design-based Wald z (linearised, normal)"
    rows.loc[ok, "ci_method"] = "design-based Wald z (normal)"
    rows.loc[ok, "note"] = ""  # the only note a contrast with a variance can have: too few df
    return rows


def _contrast_moments(
    clustered: bool,
    totals: pd.DataFrame,
    involved: pd.DataFrame,
    domains: pd.DataFrame,
    coef: pd.DataFrame,
    cell_keys: list[str],
    contrast_cols: list[str],
    strata_keys: list[str],
) -> pd.DataFrame:
    """s and s2 of the contrast's linearised influence per cell x stratum (`strata_keys`):
    clustered, the weighted influences t are summed PSU by PSU before squaring; unclustered, the
    domains' moments add with coef (s) and coef^2 (s2)."""
    if clustered:
        infl = psu_influence(involved, domains).merge(coef, on=contrast_cols)
        infl["t"] = infl["t"] * infl["coef"]
        t = (
            infl.groupby(cell_keys + strata_keys + ["psu"], observed=True)["t"]
            .sum()
            .rename("t")
            .reset_index()
        )
        return (
            t.assign(t2=t["t"] ** 2)
            .groupby(cell_keys + strata_keys, observed=True)
            .agg(s=("t", "sum"), s2=("t2", "sum"))
            .reset_index()
        )
    m = linearised_moments(totals, domains, False).merge(coef, on=contrast_cols)
    m["s"], m["s2"] = m["s"] * m["coef"], m["s2"] * m["coef"] ** 2
    return m.groupby(cell_keys + strata_keys, observed=True)[["s", "s2"]].sum().reset_index()


def _contrast_estimates(
    domains: pd.DataFrame,
    coef: pd.DataFrame,
    cell_keys: list[str],
    contrast_cols: list[str],
    n_terms: int,
) -> pd.DataFrame:
    """The contrast sum(coef * p) per cell (a proportion difference, 0-1), for cells with an
    estimate in every one of the contrast's `n_terms` domains."""
    est = domains.merge(coef, on=contrast_cols)
    est["part"] = est["p"] * est["coef"]
    parts = (
        est.groupby(cell_keys, observed=True)
        .agg(estimate=("part", "sum"), terms=("part", "size"))
        .reset_index()
    )
    return parts[parts["terms"] == n_terms].drop(columns="terms")


def _wald_contrast_rows(cells: pd.DataFrame, alpha: float, clustered: bool) -> pd.DataFrame:
    """Wald t test and interval (percentage points) of each contrast on its design df; no test and
    an empty `ci_method` where the variance is 0 or df < 1, with the reason in `note`."""
    stat, p, low, high = wald_diff_test(
        cells["estimate"], np.sqrt(cells["var"]), cells["df"], alpha
    )
    zero, few = (cells["var"] <= 0).to_numpy(), (cells["df"] < 1).to_numpy()
    out = cells.assign(
        statistic=stat,
        p_value=p,
        diff_ci_low=100 * low,
        diff_ci_high=100 * high,
        test="design-based Wald t (linearised)",
        ci_method=[f"design-based Wald t (df={int(d)})" for d in cells["df"]],
        mid_p=np.nan,
        note=_contrast_note(cells, zero, few, clustered),
    )
    out.loc[zero | few, "ci_method"] = ""
    return out.drop(columns=["psus", "strata"])


def _contrast_note(
    cells: pd.DataFrame, zero: np.ndarray, few: np.ndarray, clustered: bool
) -> np.ndarray:
    """Why a contrast has no test: no design variance (`zero`), or too few PSUs with answers for
    one degree of freedom (`few`); empty otherwise."""
    units = "clusters" if clustered else "respondents"
    return np.select(
        [zero, few],
        [
            NOT_ESTIMABLE
            + "the change has no design variance (every cluster changes alike), so no test or"
            " interval",
            NOT_ESTIMABLE
            + cells["psus"].astype(int).astype(str)
            + f" {units} with answers in "
            + cells["strata"].astype(int).astype(str)
            + " strata leave "
            + cells["df"].astype(int).astype(str)
            + " degrees of freedom, too few for a t test",
        ],
        "",
    )


def _contrast_df(
    involved: pd.DataFrame,
    cell_keys: list[str],
    clustered: bool,
    n_terms: int,
    strata_keys: list[str],
) -> pd.DataFrame:
    """Degrees of freedom per cell as R `svyglm` on a `subset()` of the design: the PSUs
    (respondents when unclustered) with an answer in the contrast's domains, minus their strata
    (`strata_keys`: wave x stratum when the waves are separate samples), minus the contrast's extra
    parameters (`domains.domain_df`). The variance itself uses every PSU of the design
    (`psu_counts`)."""
    out = domain_df(involved, cell_keys, strata_keys, clustered)
    out["df"] = (out["df"] - (n_terms - 1)).astype(float)
    return out


def _design_shift_rows(
    data, ids, design, group_vars, alpha, waves, country, full_pass=None
) -> pd.DataFrame:
    """Design-based change per cell; deff = variance / SRS variance of the same difference.

    `full_pass`: the `design_pass` of all respondents (independent samples), when already made.
    """
    if design.is_panel:
        levels, out = _panel_change(data, ids, design, group_vars, alpha, waves, country)
    else:
        levels, out = _wave_change(data, ids, design, group_vars, alpha, waves, country, full_pass)
    out = levels.merge(out, on=CELL)
    out["deff"] = np.where(
        (out["srs_var"] > 0) & (out["var"] > 0), out["var"] / out["srs_var"], np.nan
    )
    out["diff_pp"] = (
        100 * out["estimate"]
    )  # the linearised contrast itself (matched pairs for a panel)
    out["p_b"], out["p_e"] = out["from_p"], out["to_p"]
    out["note"] = np.where(
        out["var"] <= 0, _zero_variance_note(out["p_b"], out["p_e"], waves), out["note"]
    )
    if not design.is_panel:
        out["note"] = _join_notes(out["note"], _one_wave_variance_note(out, waves))
    return out.drop(columns=["var", "estimate", "srs_var", "from_p", "to_p"])


def _one_wave_variance_note(out: pd.DataFrame, waves: tuple[str, str]) -> pd.Series:
    """A caution on design-based changes between independent waves where one wave's share is 0%
    or 100%: that wave adds no linearised variance (as in R `svyglm`), so the test and interval
    count only the other wave's and are too narrow if the true share is near, not at, 0 or 1.
    Empty where both waves vary or the change has no variance at all (`_zero_variance_note`)."""
    texts = pd.Series("", index=out.index, dtype=object)
    for column, wave in (("p_b", waves[0]), ("p_e", waves[1])):
        alike = (out["var"] > 0) & out[column].isin([0.0, 1.0])
        share = pd.Series(np.where(out[column] == 0.0, "0%", "100%"), index=out.index)
        text = (
            f"every answer in wave '{wave}' is "
            + share
            + ", which adds no design variance: the test and interval count only the other"
            " wave's (too narrow if the true share is near, not at, that value)"
        )
        texts = texts.where(~alike, text)
    return texts


def _panel_change(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    country: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Design-based panel: (each wave's weighted level per cell, the linearised mean of each matched
    person's change with its SRS variance `srs_var` (`_change_srs_variance`) and the unmatched
    counts)."""
    first, last = waves
    values = indicator_values(data, ids)
    lay = layout(data, None, design.weight, None)
    levels = _by_wave(
        domain_estimates(domain_totals(values, data, lay, group_vars, by_psu=False)), waves
    )
    # linearised mean of each matched person's change (endline - baseline)
    persons, yb, ye = matched_pairs(data, ids, design, group_vars, waves)
    change = {i: ye[i] - yb[i] for i in ids}
    pair = pair_design(design)
    pass_ = design_pass(change, persons, pair, group_vars)
    check_variance_estimable(
        pass_[0],
        pair,
        country,
        scope=f"among the respondents matched between waves '{first}' and '{last}'",
    )
    out, domains = linearised_contrast(pass_, alpha, CELL, ["wave"], {("change",): 1.0}, pair)
    out = with_pair_weight_note(out, design, waves)
    srs_var = _change_srs_variance(change, persons, pair, group_vars, domains)
    out = out.merge(srs_var, on=CELL).merge(
        unmatched_counts(data, ids, persons, yb, ye, group_vars, waves), on=CELL, how="left"
    )
    out = out.merge(_pair_levels(yb, ye, persons, pair, group_vars), on=CELL, how="left")
    return levels, out


def _pair_levels(
    yb: dict[str, np.ndarray],
    ye: dict[str, np.ndarray],
    persons: pd.DataFrame,
    pair: Design,
    group_vars: list[str],
) -> pd.DataFrame:
    """The matched pairs' weighted baseline and endline percents per cell: the population of the
    panel row's test (pairs answering in both waves, each with the pair weight).

    Parameters
    ----------
    yb, ye : dict of str to numpy.ndarray
        Per indicator, each matched person's baseline and endline answer (1, 0, NaN).
    persons : pandas.DataFrame
        The matched people (`matched_pairs`), with the pair design's weight and grouping variables.
    pair : Design
        The design of the pairs (`pair_design`): its `weight` weights the means.
    group_vars : list of str
        Grouping variables besides the whole sample.

    Returns
    -------
    pandas.DataFrame
        CELL and `pairs_from_pct`, `pairs_to_pct` (percent, 0-100).

    References
    ----------
    Lumley, T. (2010). Complex Surveys, s2.2 (R `svymean(~y_baseline + y_endline, pair design)`).
    """
    lay = layout(persons, None, pair.weight, None)
    levels = {}
    for column, answers in (("pairs_from_pct", yb), ("pairs_to_pct", ye)):
        both = {i: np.where(np.isnan(yb[i]) | np.isnan(ye[i]), np.nan, answers[i]) for i in answers}
        d = domain_estimates(domain_totals(both, persons, lay, group_vars, by_psu=False))
        levels[column] = 100 * d.set_index(CELL)["p"]
    return pd.DataFrame(levels).reset_index()


def _change_srs_variance(
    change: dict[str, np.ndarray],
    persons: pd.DataFrame,
    design: Design,
    group_vars: list[str],
    domains: pd.DataFrame,
) -> pd.DataFrame:
    """The variance of the mean change under simple random sampling of the same number of pairs,
    the denominator of the panel's design effect, as R `svymean(~change, design, deff =
    "replace")`: svyvar(change) / n, with svyvar the weighted variance n/(n - 1) (mean_w(d^2) -
    mean_w(d)^2).

    Parameters
    ----------
    change : dict of str to numpy.ndarray
        Per indicator, each matched person's endline - baseline answer (-1, 0, 1; NaN unanswered).
    persons : pandas.DataFrame
        The matched people with the design and grouping variables (`matched_pairs`).
    design : Design
        Its weight (unweighted: mean_w is the plain mean).
    group_vars : list of str
        Grouping variables besides the whole sample.
    domains : pandas.DataFrame
        The domain estimates of `change` (`domain_estimates`): p = mean_w(d), n.

    Returns
    -------
    pandas.DataFrame
        CELL columns and srs_var (squared proportion units).

    References
    ----------
    Kish, L. (1965). Survey Sampling, s8.2; R survey 4.1.1 `svymean(deff = "replace")` and
    `svyvar` (Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, s2.2).
    """
    squares = {i: v**2 for i, v in change.items()}
    lay = layout(persons, None, design.weight, None)
    sq = domain_estimates(domain_totals(squares, persons, lay, group_vars, by_psu=False))
    d = domains.merge(sq[DOMAIN + ["p"]].rename(columns={"p": "p2"}), on=DOMAIN)
    d["srs_var"] = (d["p2"] - d["p"] ** 2) / (d["n"] - 1)
    return d[CELL + ["srs_var"]]


def _wave_change(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    country: str,
    full_pass: tuple | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Design-based independent samples: (each wave's level per cell, the linearised endline -
    baseline difference with `srs_var`, the SRS variance of a difference of two proportions)."""
    first, last = waves
    full_pass = full_pass or design_pass(indicator_values(data, ids), data, design, group_vars)
    check_variance_estimable(full_pass[0], design, country)
    out, domains = linearised_contrast(
        full_pass, alpha, CELL, ["wave"], {(last,): 1.0, (first,): -1.0}, design
    )
    levels = _by_wave(domains, waves)  # the wave-level estimates of the same pass
    lv = levels.set_index(CELL)
    srs_var = (
        (
            lv["from_p"] * (1 - lv["from_p"]) / (lv["from_n"] - 1)
            + lv["to_p"] * (1 - lv["to_p"]) / (lv["to_n"] - 1)
        )
        .rename("srs_var")
        .reset_index()
    )
    return levels, out.merge(srs_var, on=CELL)


def _zero_variance_note(p_b: pd.Series, p_e: pd.Series, waves: tuple[str, str]) -> np.ndarray:
    """Why a design-based change has no variance: every answer alike in both waves, or too few
    clusters."""
    alike = p_b.isin([0.0, 1.0]) & p_e.isin([0.0, 1.0])
    levels = (
        f"{NOT_ESTIMABLE}every answer is "
        + (100 * p_b).map("{:.0f}%".format)
        + f" in wave '{waves[0]}' and "
        + (100 * p_e).map("{:.0f}%".format)
        + f" in wave '{waves[1]}', so the change has no design variance "
        "and there is no test or interval"
    )
    other = (
        NOT_ESTIMABLE
        + "the change has no design variance (its answers come from too few clusters, or "
        "every cluster changes alike), so no test or interval"
    )
    return np.where(alike, levels, other)


def _interaction_rows(data, ids, design, alpha, waves, country, full_pass=None) -> pd.DataFrame:
    """Change among women minus change among men, per indicator (`full_pass` as in
    `_design_shift_rows`). Indicators without both sexes in both waves get no row here
    (`_absent_interactions` says why).
    """
    sexed = data[data["sex"].isin(["Female", "Male"])]
    if sexed["sex"].nunique() < 2:
        return pd.DataFrame()
    if design.design_based and design.is_panel:  # women's mean change minus men's, matched people
        out = _panel_interaction(sexed, ids, design, alpha, waves, country)
    elif design.design_based:
        out = _design_interaction(data, ids, design, alpha, waves, full_pass)
    elif design.is_panel:
        return (
            pd.DataFrame()
        )  # paired interaction needs matched pairs by sex; not part of the shipped designs
    else:
        out = _srs_interaction(sexed, ids, alpha, waves)
    out["group_var"], out["group"] = "sex", INTERACTION
    out["diff_pp"] = 100 * out["estimate"]
    return out.drop(columns=["estimate", "var"], errors="ignore")


def _panel_interaction(
    sexed: pd.DataFrame,
    ids: list[str],
    design: Design,
    alpha: float,
    waves: tuple[str, str],
    country: str,
) -> pd.DataFrame:
    """Design-based panel: women's linearised mean change minus men's, over people matched between
    the waves (proportion difference, 0-1, in `estimate`)."""
    first, last = waves
    persons, yb, ye = matched_pairs(sexed, ids, design, ["sex"], waves)
    pair = pair_design(design)
    pass_ = design_pass({i: ye[i] - yb[i] for i in ids}, persons, pair, ["sex"])
    check_variance_estimable(
        pass_[0],
        pair,
        country,
        scope=f"among the women and men matched between waves '{first}' and '{last}'",
    )
    contrast = {("change", "sex", "Female"): 1.0, ("change", "sex", "Male"): -1.0}
    out, domains = linearised_contrast(
        pass_, alpha, ["indicator"], ["wave", "group_var", "group"], contrast, pair
    )
    out["test"] = out["test"].str.replace("linearised", "difference in mean change, women - men")
    out = _without_alike_cells(out, domains, contrast)
    return with_pair_weight_note(out, design, waves)


def _design_interaction(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    alpha: float,
    waves: tuple[str, str],
    full_pass: tuple | None,
) -> pd.DataFrame:
    """Design-based independent samples: the wave x sex interaction (women's change minus men's)
    as one linearised contrast of four domains (proportion difference, 0-1, in `estimate`)."""
    first, last = waves
    coef = {
        (last, "sex", "Female"): 1.0,
        (first, "sex", "Female"): -1.0,
        (last, "sex", "Male"): -1.0,
        (first, "sex", "Male"): 1.0,
    }
    # the domains women and men of the whole design (as R's subset()): the shift pass already
    # has their totals
    full_pass = full_pass or design_pass(indicator_values(data, ids), data, design, ["sex"])
    out, domains = linearised_contrast(
        full_pass, alpha, ["indicator"], ["wave", "group_var", "group"], coef, design
    )
    out["test"] = out["test"].str.replace("linearised", "wave x sex interaction")
    return _without_alike_cells(out, domains, coef)


def _without_alike_cells(
    out: pd.DataFrame, domains: pd.DataFrame, contrast: dict[tuple, float]
) -> pd.DataFrame:
    """Design-based women - men rows (`_design_interaction`, `_panel_interaction`) without a test
    where some but not all of the contrast's cells answer all alike.

    A cell whose answers are all alike (n sum(y^2) = (sum y)^2: a share of 0% or 100%, or in a panel
    the same change for everyone) has a linearised influence of 0, so the contrast's design
    variance (R `svyglm`'s too) counts only the other cells and the Wald t would be too large. No
    design-based test robust to such a cell is implemented (the Rao-Scott test of the logistic
    interaction, R `regTermTest`, needs the separated model's variance), so these rows keep the
    difference but have no test or interval, and the note names the cells. Rows whose whole
    variance is 0 already say so (`_contrast_note`).

    Parameters
    ----------
    out : pandas.DataFrame
        The contrast rows per indicator (`_wald_contrast_rows`: var, statistic, p_value, intervals).
    domains : pandas.DataFrame
        The design pass's domain estimates (n, k, k2 per indicator, wave, group_var, group).
    contrast : dict
        The contrast's cells, (wave, group_var, group) -> coefficient.

    Returns
    -------
    pandas.DataFrame
        `out` with statistic, p_value, df-based interval and ci_method emptied where a cell is
        alike, and the reason in `note`.

    References
    ----------
    Lumley, T. (2010). Complex Surveys, s2.2 and s6.3 (R `svyglm`, `regTermTest`); Rao, J. N. K.
    & Scott, A. J. (1984). Annals of Statistics 12, 46-60.
    """
    cells = pd.DataFrame(list(contrast), columns=["wave", "group_var", "group"])
    d = domains.merge(cells, on=["wave", "group_var", "group"])
    alike = d[np.isclose(d["n"] * d["k2"], d["k"] ** 2, rtol=1e-12, atol=0)]
    if alike.empty:
        return out
    what = np.where(
        alike["wave"] == "change",
        alike["group"].astype(str) + ": everyone's change alike",
        alike["group"].astype(str)
        + " in wave '"
        + alike["wave"].astype(str)
        + "': "
        + (100 * alike["k"] / alike["n"]).map("{:.0f}%".format),
    )
    named = pd.Series(what, index=alike.index).groupby(alike["indicator"]).agg("; ".join)
    hit = out["indicator"].map(named).notna().to_numpy() & (out["var"] > 0).to_numpy()
    out = out.copy()
    out.loc[hit, ["statistic", "p_value", "diff_ci_low", "diff_ci_high"]] = np.nan
    out.loc[hit, "ci_method"] = ""
    out.loc[hit, "note"] = (
        NOT_ESTIMABLE
        + out.loc[hit, "indicator"].map(named)
        + " has no design variance, so the linearised variance would count only the other cells"
        " and there is no test or interval"
    )
    return out


def _sex_by_wave(
    sexed: pd.DataFrame, ids: list[str], waves: tuple[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unweighted proportions p (0-1) and answers n per indicator, with columns (sex, wave) for
    Female and Male in the first and last wave (NaN where absent)."""
    first, last = waves
    lay = layout(sexed, None, None, None)
    d = domain_estimates(
        domain_totals(indicator_values(sexed, ids), sexed, lay, ["sex"], by_psu=False)
    )
    d = d[(d["group_var"] == "sex") & d["wave"].isin([first, last])]
    columns = pd.MultiIndex.from_product([["Female", "Male"], [first, last]])
    p, n = (
        d.pivot_table(
            index="indicator", columns=["group", "wave"], values=v, observed=True
        ).reindex(columns=columns)
        for v in ("p", "n")
    )
    return p, n


def _srs_interaction(
    sexed: pd.DataFrame, ids: list[str], alpha: float, waves: tuple[str, str]
) -> pd.DataFrame:
    """Simple random samples: the wave x sex interaction (women's change minus men's, in `estimate`
    as a proportion difference, 0-1) and its test.

    Shares strictly between 0% and 100%: Wald z of the difference of differences, unpooled
    variance sum p (1 - p) / n, and its interval. A 0% or 100% share adds nothing to that variance
    (the z would be too large): with one to three such shares the test is the likelihood-ratio
    chi-square of the same interaction, percentage-point scale (`_interaction_lr_test`, R
    `glm(..., binomial("identity"))`), with no interval; all four: not estimable (`ZERO_SHARES`).
    Indicators without all four shares are left out.

    Parameters
    ----------
    sexed : pandas.DataFrame
        Female and Male respondents: `wave`, `sex` and the indicators `ids` (answers in both waves).
    ids : list of str
    alpha : float
        1 - confidence level (proportion).
    waves : tuple of str
        The baseline and endline waves.

    Returns
    -------
    pandas.DataFrame
        indicator, estimate, statistic, p_value, diff_ci_low, diff_ci_high (percentage points),
        df, test, ci_method, mid_p and note.

    References
    ----------
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., s4.2.1 and s4.5 (identity-link binomial
    model; likelihood-ratio test of a term); R `anova(..., test = "LRT")`.
    """
    first, last = waves
    p, n = _sex_by_wave(sexed, ids, waves)
    var = (p * (1 - p) / n).sum(axis=1, min_count=4).to_numpy()
    est = (p[("Female", last)] - p[("Female", first)]) - (p[("Male", last)] - p[("Male", first)])
    stat, pv, low, high = wald_diff_test(est.to_numpy(), np.sqrt(var), None, alpha)
    edge = ((p == 0) | (p == 1)).any(axis=1).to_numpy() & (var > 0)
    out = pd.DataFrame(
        {
            "indicator": est.index,
            "estimate": est.to_numpy(),
            "statistic": stat,
            "p_value": pv,
            "diff_ci_low": 100 * low,
            "diff_ci_high": 100 * high,
            "df": np.nan,
            "test": "Wald z (difference of differences, unpooled)",
            "ci_method": "Wald",
            "mid_p": np.nan,
            "note": np.where(var > 0, "", ZERO_SHARES),
        }
    )
    out.loc[var <= 0, "ci_method"] = ""
    if edge.any():
        out = _with_interaction_lr(out, edge, p, n)
    return out[np.isfinite(out["estimate"])]


def _with_interaction_lr(
    out: pd.DataFrame, edge: np.ndarray, p: pd.DataFrame, n: pd.DataFrame
) -> pd.DataFrame:
    """`_srs_interaction`'s rows with the likelihood-ratio test where a share is 0% or 100%
    (`edge`): statistic G^2 on 1 df, no interval, and a note saying why."""
    nn = n.to_numpy(float)[edge].reshape(-1, 2, 2)  # indicator x sex x wave
    kk = np.round(p.to_numpy(float)[edge] * n.to_numpy(float)[edge]).reshape(-1, 2, 2)
    g2, pv = _interaction_lr_test(kk, nn)
    out = out.copy()  # the Wald z's estimate stays: the LR test is of the same difference
    out.loc[edge, ["statistic", "p_value", "df"]] = np.column_stack([g2, pv, np.ones(len(g2))])
    out.loc[edge, ["diff_ci_low", "diff_ci_high"]] = np.nan
    out.loc[edge, "ci_method"] = ""
    out.loc[edge, "test"] = "likelihood-ratio chi-square (difference in change, binomial)"
    out.loc[edge, "note"] = (
        "a 0% or 100% share has no binomial variance, so the Wald z of the difference in change"
        " would be too large: likelihood-ratio test of equal changes (binomial likelihood,"
        " percentage-point scale) instead; no interval"
    )
    return out


CONTRAST = np.array([[-1.0, 1.0], [1.0, -1.0]])  # (Female, Male) x (baseline, endline)


def _interaction_lr_test(
    k: np.ndarray, n: np.ndarray, iterations: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Likelihood-ratio test of no wave x sex interaction on the percentage-point scale (women's
    change equals men's), one 2x2 design per row: G^2 = the deviance of the additive model
    `glm(cbind(k, n - k) ~ wave + sex, binomial(link = "identity"))` (the model with the interaction
    is saturated), referred to chi-square(1).

    The additive model's maximum likelihood is the binomial likelihood of the four cells under the
    constraint sum c_j p_j = 0 (c = +1 for women's endline and men's baseline, -1 otherwise). Its
    Lagrange condition k_j / p_j - (n_j - k_j) / (1 - p_j) = lambda c_j gives each p_j(lambda)
    (`_constrained_p`, boundary 0 or 1 included); sum c_j p_j(lambda) falls with
    lambda, so lambda is found by bisection (vectorised over rows). A 0% or 100% cell keeps its
    binomial term (the fit may sit on the boundary, as R's), so the test exists where the Wald z of
    the difference of differences has no variance from that cell.

    Parameters
    ----------
    k, n : ndarray, shape (m, 2, 2)
        Answers yes and answers, per row x sex (Female, Male) x wave (baseline, endline): counts.
    iterations : int
        Bisection steps on arctan(lambda / N).

    Returns
    -------
    statistic, p_value : ndarray
        G^2 (1 df) and its chi-square p-value (proportion).

    References
    ----------
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., s1.4 and s4.5 (likelihood-ratio tests;
    identity-link binomial models, s4.2.1); Farrington, C. P. & Manning, G. (1990). Statistics in
    Medicine 9, 1447-1454 (constrained MLE of binomial proportions); R `anova(glm(cbind(k, n - k) ~
    wave + sex, binomial("identity")), glm(... ~ wave * sex, ...), test = "LRT")`.
    """
    from scipy import stats

    k, n = np.asarray(k, float), np.asarray(n, float)
    scale = n.sum(axis=(1, 2), keepdims=True)
    lo = np.full(scale.shape, -np.pi / 2)
    hi = np.full(scale.shape, np.pi / 2)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        above = (CONTRAST * _constrained_p(k, n, scale * np.tan(mid) * CONTRAST)).sum(
            axis=(1, 2), keepdims=True
        ) > 0  # the constraint is still positive: lambda must grow
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    p = _constrained_p(k, n, scale * np.tan((lo + hi) / 2) * CONTRAST)
    with np.errstate(divide="ignore", invalid="ignore"):
        yes = np.where(k > 0, k * np.log(k / (n * p)), 0.0)
        no = np.where(n - k > 0, (n - k) * np.log((n - k) / (n * (1 - p))), 0.0)
    g2 = np.maximum(2 * (yes + no).sum(axis=(1, 2)), 0.0)
    return g2, stats.chi2.sf(g2, 1)


def _constrained_p(k: np.ndarray, n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Each cell's proportion under the Lagrange condition k / p - (n - k) / (1 - p) = a of
    `_interaction_lr_test` (a = lambda c_j): for 0 < k < n the root in (0, 1) of a p^2 - (n + a) p +
    k = 0 (k / n where a = 0); at k = 0 the condition -n / (1 - p) = a, so 1 + n / a if a < -n,
    else the boundary 0; at k = n, n / a if a > n, else 1."""
    b = n + a
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(np.maximum(b**2 - 4 * a * k, 0.0))
        # the two roots are q / a and k / q (q = (b + sign(b) root) / 2): take the one in [0, 1]
        q = (b + np.where(b >= 0, 1.0, -1.0) * root) / 2
        r1 = np.where(a != 0, q / a, np.inf)
        r2 = np.where(q != 0, k / q, np.inf)
        p = np.where((r1 >= 0) & (r1 <= 1), r1, r2)
        p = np.where(a == 0, k / n, p)
        p = np.where(k <= 0, np.where(a < -n, 1 + n / a, 0.0), p)
        p = np.where(k >= n, np.where(a > n, n / a, 1.0), p)
    return np.clip(p, 0.0, 1.0)


def _absent_rows(
    cells: pd.DataFrame,
    done: set,
    both: list[str],
    waves: tuple[str, str],
    design: Design,
    min_group_n: int,
) -> pd.DataFrame:
    """Rows for the cells of two-wave indicators that have answers but no shift: a group absent from
    a wave (e.g. men in a women-only baseline) or, in a panel, without matched pairs. Percent and n
    as far as they exist, no test, and the reason in `note`. A group needs `min_group_n` answers in
    the wave it has.
    """
    first, last = waves
    sub = cells[cells["indicator"].isin(both) & cells["wave"].isin([first, last])]
    if sub.empty:
        return pd.DataFrame()
    wide = {
        v: (
            sub.pivot_table(
                index=CELL, columns="wave", values=v, observed=True, aggfunc="sum"
            ).reindex(columns=[first, last])
        )
        for v in ("n", "k", "p")
    }
    rows = wide["n"].fillna(0).astype(int).rename(columns={first: "from_n", last: "to_n"})
    rows = rows[[key not in done for key in rows.index]]
    rows = rows[
        (rows.index.get_level_values("group_var") == OVERALL) | (rows.max(axis=1) >= min_group_n)
    ]
    if rows.empty:
        return pd.DataFrame()
    rows["from_k"] = wide["k"][first].reindex(rows.index).fillna(0).to_numpy()
    rows["to_k"] = wide["k"][last].reindex(rows.index).fillna(0).to_numpy()
    rows["p_b"], rows["p_e"] = (
        wide["p"][first].reindex(rows.index),
        wide["p"][last].reindex(rows.index),
    )
    group = rows.index.get_level_values("group").astype(str)
    reason = np.select(
        [rows["from_n"].to_numpy() == 0, rows["to_n"].to_numpy() == 0],
        ["no " + group + f" respondents answered in wave '{w}'" for w in (first, last)],
        (
            ("no " + group + " respondent answered in both waves (no matched pairs)")
            if design.is_panel
            else "no estimate of the change"
        ),
    )
    rows["note"] = (
        NOT_ESTIMABLE + pd.Series(reason, index=rows.index) + ", so there is no change to estimate"
    )
    if design.is_panel:
        rows["unmatched_from"], rows["unmatched_to"] = (
            rows["from_n"],
            rows["to_n"],
        )
    return rows.reset_index().assign(from_source="microdata", _absent=True)


def _absent_interactions(
    cells: pd.DataFrame, done: set, both: list[str], waves: tuple[str, str]
) -> pd.DataFrame:
    """A women - men row for each two-wave indicator without one, saying which sex and wave have no
    answers."""
    first, last = waves
    sexed = cells[
        (cells["group_var"] == "sex")
        & cells["group"].isin(["Female", "Male"])
        & cells["wave"].isin([first, last])
        & (cells["n"] > 0)
    ]
    rows = []
    for indicator in both:
        if indicator in done:
            continue
        mine = sexed[sexed["indicator"] == indicator]
        have = set(zip(mine["group"], mine["wave"]))
        missing = [
            f"no {sex} answers in wave '{wave}'"
            for sex in ("Female", "Male")
            for wave in (first, last)
            if (sex, wave) not in have
        ]
        why = "; ".join(missing) if missing else "no estimate"
        rows.append(
            {
                "indicator": indicator,
                "group_var": "sex",
                "group": INTERACTION,
                "from_source": "microdata",
                "note": (
                    f"{NOT_ESTIMABLE}the women - men difference in change needs both sexes in both"
                    f" waves ({why})"
                ),
            }
        )
    return pd.DataFrame(rows)


def published_baseline_rows(
    endline_cells: pd.DataFrame,
    published: list[PublishedBaseline],
    alpha: float,
    endline: str = "endline",
    design_based: bool = False,
) -> pd.DataFrame:
    """Endline microdata (wave `endline`, the last wave) against a published baseline percent and n
    (no baseline microdata): the published baseline is an independent simple random sample of its
    printed n, with k0 = round(percent / 100 * n) answers yes.

    Simple random samples: Newcombe's hybrid score interval and Pearson chi-square (Fisher's exact
    test when an expected count < 5), as for two microdata waves (`independent_rows`).
    Clustered and/or weighted designs (`design_based`): the endline is the design-based estimate of
    the estimates table (weighted, linearised variance, design df; `_design_published_rows`).

    Parameters
    ----------
    endline_cells : pandas.DataFrame
        Per-wave domain estimates (indicator, wave, group_var, group, n, k); when `design_based`,
        the estimates' p, se, df, ci_low, ci_high and note (proportions, as
        `estimates._domain_estimates` returns them).
    published : list of PublishedBaseline
        The published baseline percents (0-100) and n.
    alpha : float
        1 - confidence level (proportion).
    endline : str
        The endline wave.
    design_based : bool
        Whether the endline comes from a clustered and/or weighted design.

    Returns
    -------
    pandas.DataFrame
        One row per published cell with endline answers: from_n, from_k, to_n,
        to_k, interval (percentage points), test, statistic, df, p_value, deff,
        from_source = "published" (and p_e, the weighted endline proportion, when design-based).

    References
    ----------
    Newcombe, R. G. (1998a). Statistics in Medicine 17, 873-890 (method 10); Zou, G. Y. & Donner,
    A. (2008). Construction of confidence limits about effect measures: a general approach.
    Statistics in Medicine 27, 1693-1702 (MOVER); Lumley, T. (2010). Complex Surveys, s2.2.
    """
    if not published:
        return pd.DataFrame()
    pub = pd.DataFrame([p.model_dump() for p in published])
    pub["from_n"] = pub["n"].astype(float)
    pub["from_k"] = np.round(pub["percent"] / 100 * pub["n"])
    keep = ["n", "k"] + (["p", "se", "df", "ci_low", "ci_high", "note"] if design_based else [])
    end = endline_cells[endline_cells["wave"] == endline][CELL + keep].rename(
        columns={"n": "to_n", "k": "to_k"}
    )
    cells = pub[CELL + ["from_n", "from_k"]].merge(end, on=CELL)
    rows = _design_published_rows(cells, alpha) if design_based else independent_rows(cells, alpha)
    return rows.assign(from_source="published")


def _design_published_rows(cells: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Design-based endline (p, se, df, ci_low, ci_high, proportions) against a published baseline
    k0 of n0, an independent simple random sample.

    Difference d = p_e - p0 (p0 = k0 / n0). Test: Wald t of d with variance se_e^2 + p0 (1 - p0) /
    n0 on the endline design's df (as `svyglm`'s t for a design-based difference). Interval: MOVER
    (Zou & Donner 2008) of the endline's design-based interval (logit or Korn-Graubard, as in the
    estimates table) and the baseline's Wilson interval: [d - sqrt((p_e - l_e)^2 + (u_0 - p0)^2),
    d + sqrt((u_e - p_e)^2 + (p0 - l_0)^2)] (two Wilson intervals: Newcombe's method 10). An
    endline of 0% or 100% (no design variance) keeps its Korn-Graubard interval but has no test.
    deff: var(d) over the SRS variance, p (1 - p) / (n - 1) summed over both samples.

    Parameters
    ----------
    cells : pandas.DataFrame
        from_k, from_n, to_n; the endline's p, se, df, ci_low, ci_high (0-1), note.
    alpha : float
        1 - confidence level (proportion).

    Returns
    -------
    pandas.DataFrame
        `cells` with diff_ci_low and diff_ci_high (percentage points), ci_method, test, statistic,
        df, p_value, mid_p, deff, p_e (endline proportion, weighted) and note.

    References
    ----------
    Zou, G. Y. & Donner, A. (2008). Stat Med 27, 1693-1702; Newcombe, R. G. (1998a). Stat Med 17,
    873-890; Lumley, T. (2010). Complex Surveys, s2.2; Korn & Graubard (1998). Surv Methodol 24.
    """
    k0, n0 = cells["from_k"].to_numpy(float), cells["from_n"].to_numpy(float)
    pe, se, df, ne = (cells[c].to_numpy(float) for c in ("p", "se", "df", "to_n"))
    le, ue = cells["ci_low"].to_numpy(float), cells["ci_high"].to_numpy(float)
    p0 = k0 / n0
    l0, u0 = wilson_ci(k0, n0, alpha)
    d = pe - p0
    extreme = (pe <= 0) | (pe >= 1)
    var = np.where(extreme, np.nan, se**2 + p0 * (1 - p0) / n0)
    stat, p, _, _ = wald_diff_test(d, np.sqrt(var), df, alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        srs = pe * (1 - pe) / (ne - 1) + p0 * (1 - p0) / (n0 - 1)
        deff = np.where(srs > 0, var / srs, np.nan)
    low = d - np.sqrt((pe - le) ** 2 + (u0 - p0) ** 2)
    high = d + np.sqrt((ue - pe) ** 2 + (p0 - l0) ** 2)
    return cells.assign(
        diff_ci_low=100 * low,
        diff_ci_high=100 * high,
        ci_method=np.where(
            np.isfinite(low), "MOVER (design-based endline interval, Wilson published)", ""
        ),
        test="design-based Wald t (endline design variance + published baseline as SRS of its n)",
        statistic=stat,
        df=df,
        p_value=p,
        mid_p=np.nan,
        deff=deff,
        p_e=pe,
        note=_published_notes(cells["note"], extreme, np.isfinite(p)),
    ).drop(columns=["p", "se", "ci_low", "ci_high"])


def _published_notes(note: pd.Series, extreme: np.ndarray, tested: np.ndarray) -> np.ndarray:
    """The note of a design-based published-baseline row: why there is no test (an endline of 0% or
    100%, or the endline estimate's own reason), else empty."""
    why = note.fillna("").astype(str).to_numpy()
    return np.select(
        [extreme, ~tested & (why != ""), ~tested],
        [
            NOT_ESTIMABLE
            + "the endline is 0% or 100%, so it has no design variance and there is no"
            " test; the interval combines its Korn-Graubard interval (n_eff = n) with the published"
            " baseline's Wilson interval",
            "endline estimate: " + why,
            NOT_ESTIMABLE + "the endline has no design-based variance, so no test",
        ],
        "",
    ).astype(object)


def _join_notes(*notes) -> pd.Series:
    """Join non-empty notes with '; ' (element-wise over Series or scalars)."""
    frame = pd.concat([pd.Series(n) if not isinstance(n, pd.Series) else n for n in notes], axis=1)
    return frame.apply(lambda r: "; ".join(str(x) for x in r if isinstance(x, str) and x), axis=1)


def _microdata_rows(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    country: str,
    min_group_n: int,
    passes: DesignPasses | None,
) -> tuple[list[pd.DataFrame], pd.DataFrame, set]:
    """The shift rows the microdata give for one comparison `waves` (from, to; one part per kind of
    row), the domain cells, and the (indicator, group_var, group) cells compared."""
    full_pass, cells = _microdata_cells(data, ids, design, group_vars, passes)
    both = _two_wave_indicators(cells, waves)
    body = _shift_body(data, cells, both, design, group_vars, alpha, waves, country, full_pass)
    body["from_source"] = "microdata"
    done = set(map(tuple, body[CELL].to_numpy())) if len(body) else set()
    inter = (
        _interaction_rows(data, both, design, alpha, waves, country, full_pass)
        if both
        else pd.DataFrame()
    )
    parts = [body, _absent_rows(cells, done, both, waves, design, min_group_n), inter]
    if _has_women_men_rows(data, design, group_vars):
        parts.append(
            _absent_interactions(
                cells, set(inter["indicator"]) if len(inter) else set(), both, waves
            )
        )
    microdata = [p for p in parts if len(p)]
    for part in microdata:
        part["from_wave"], part["to_wave"] = waves
    return microdata, cells, done


def _microdata_cells(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    group_vars: list[str],
    passes: DesignPasses | None,
) -> tuple[tuple | None, pd.DataFrame]:
    """(The design pass of all respondents or None, the per-wave domain estimates): design-based
    independent samples take both from one pass; otherwise (weighted) ratio estimates without
    PSUs."""
    # independent design-based samples: one pass of totals gives the cells, the shifts and the
    # interaction
    full_pass = (
        (passes or DesignPasses(data)).get(ids, design, group_vars)
        if design.design_based and not design.is_panel
        else None
    )
    cells = (
        full_pass[2]
        if full_pass
        else domain_estimates(
            domain_totals(
                indicator_values(data, ids),
                data,
                layout(data, None, design.weight if design.design_based else None, None),
                group_vars,
                by_psu=False,
            )
        )
    )
    return full_pass, cells


def _two_wave_indicators(cells: pd.DataFrame, waves: tuple[str, str]) -> list[str]:
    """The indicators with answers overall in both compared waves, sorted."""
    overall = cells[(cells["group_var"] == OVERALL) & cells["wave"].isin(waves) & (cells["n"] > 0)]
    per = overall.groupby("indicator", observed=True)["wave"].nunique()
    return sorted(per[per == 2].index)


def _shift_body(
    data: pd.DataFrame,
    cells: pd.DataFrame,
    both: list[str],
    design: Design,
    group_vars: list[str],
    alpha: float,
    waves: tuple[str, str],
    country: str,
    full_pass: tuple | None,
) -> pd.DataFrame:
    """The overall and per-group shifts of the two-wave indicators `both`, tested as the design
    requires: design-based, paired (McNemar) or independent simple random samples."""
    if not both:
        return pd.DataFrame(columns=CELL)
    if design.design_based:
        return _design_shift_rows(data, both, design, group_vars, alpha, waves, country, full_pass)
    if design.is_panel:
        return _paired_rows(data, both, design, group_vars, alpha, waves)
    return independent_rows(_by_wave(cells, waves, ("n", "k")), alpha)


def _has_women_men_rows(data: pd.DataFrame, design: Design, group_vars: list[str]) -> bool:
    """Whether the table has women - men rows: sex is a grouping with both Female and Male, and the
    design is not a simple random panel (see `_interaction_rows`)."""
    paired_srs = design.is_panel and not design.design_based
    return (
        "sex" in group_vars
        and {"Female", "Male"} <= set(data["sex"].dropna().unique())
        and not paired_srs
    )


def _changes(table: pd.DataFrame, min_group_n: int) -> pd.DataFrame:
    """Percents (weighted where design-based), the change in points and Cohen's h; drops subgroup
    rows with fewer than `min_group_n` answers in either wave."""
    for col in ("note", "p_b", "p_e", "_absent", "from_wave", "to_wave"):
        if col not in table:
            table[col] = np.nan
    for w in ("from", "to"):
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"{w}_pct"] = 100 * table[f"{w}_k"].astype(float) / table[f"{w}_n"].astype(float)
    # design-based: weighted percents
    table["from_pct"] = np.where(
        table["p_b"].notna(), 100 * table["p_b"].astype(float), table["from_pct"]
    )
    table["to_pct"] = np.where(
        table["p_e"].notna(), 100 * table["p_e"].astype(float), table["to_pct"]
    )
    is_inter = table["group"] == INTERACTION
    given = table["diff_pp"] if "diff_pp" in table else pd.Series(np.nan, index=table.index)
    table["diff_pp"] = given.fillna(table["to_pct"] - table["from_pct"])
    table["cohens_h"] = np.where(
        is_inter, np.nan, cohens_h(table["to_pct"] / 100, table["from_pct"] / 100)
    )
    absent = table["_absent"].eq(True)
    small = (
        (~is_inter)
        & (~absent)
        & (table["group_var"] != OVERALL)
        & ((table["from_n"] < min_group_n) | (table["to_n"] < min_group_n))
    )
    return table[~small].copy()


def _judged(
    table: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    design: Design,
    alpha: float,
    family: MultiplicityFamily | str,
) -> pd.DataFrame:
    """Design columns, the direction of improvement and the Holm/BH-adjusted p-values and
    significance."""
    is_inter = table["group"] == INTERACTION
    table["country"] = country
    for col, value in design.columns().items():
        table[col] = value
    improvement = {i.id: i.improvement for i in indicators}
    table["improvement"] = table["indicator"].map(improvement)
    sign = np.where(table["improvement"] == "increase", 1, -1)
    table["direction_improved"] = np.where(
        is_inter | table["diff_pp"].isna(), None, np.sign(table["diff_pp"]) * sign > 0
    )
    for col in (
        "unmatched_from",
        "unmatched_to",
        "deff",
        "mid_p",
        "df",
        "statistic",
        *PAIRED_COLUMNS,
    ):
        if col not in table:
            table[col] = np.nan
    return with_significance(adjust_pvalues(table, family), alpha)


def with_significance(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """`significant_holm`: whether the Holm-adjusted p-value is below `alpha` (empty where there is
    no p-value)."""
    table["significant_holm"] = table["p_holm"] < alpha
    if table["p_holm"].isna().any():
        table["significant_holm"] = (
            table["significant_holm"].astype(object).where(table["p_holm"].notna(), None)
        )
    return table


def jointly_adjusted(
    shares: pd.DataFrame, means: pd.DataFrame, family: MultiplicityFamily | str, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The share and mean shifts of one country with Holm and Benjamini-Hochberg p-values adjusted
    over both tables' rows together (one family of tests per `family` key, whatever the measure),
    and `significant_holm` recomputed; the raw `p_value` is unchanged.

    Parameters
    ----------
    shares, means : pandas.DataFrame
        shift_table and means.mean_shift_table outputs (country, indicator, group_var, p_value).
    family : MultiplicityFamily or str
        The multiplicity family (as `adjust_pvalues`).
    alpha : float
        The level of `significant_holm` (proportion).

    Returns
    -------
    tuple of pandas.DataFrame
        The two tables, same rows and columns.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand J Stat 6:65-70.
    """
    if means.empty or shares.empty:
        return shares, means
    keys = ["country", "indicator", "group_var", "from_wave", "to_wave", "p_value"]
    both = adjust_pvalues(pd.concat([shares[keys], means[keys]], ignore_index=True), family)
    split = len(shares)
    out = []
    for table, part in ((shares, both.iloc[:split]), (means, both.iloc[split:])):
        table = table.copy()
        table["p_holm"] = part["p_holm"].to_numpy()
        table["p_bh"] = part["p_bh"].to_numpy()
        table["holm_family"] = part["holm_family"].to_numpy()
        out.append(with_significance(table, alpha))
    return out[0], out[1]


def shift_table(
    data: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    design: Design,
    published_baselines: Sequence[PublishedBaseline] = (),
    alpha: float = DEFAULT_ALPHA,
    family: MultiplicityFamily | str = "country",
    min_group_n: int = DEFAULT_MIN_GROUP_N,
    passes: DesignPasses | None = None,
) -> pd.DataFrame:
    """All shifts of one country: overall, by sex and the wave x sex interaction (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents: `wave`, `sex`, the indicator columns (1, 0, NaN) and the design variables.
    indicators : list of Indicator
        The project's indicators; those of `country` present in `data` are compared, in order.
    country : str
        Country code (the `country` column; the config file named in errors).
    design : Design
        Independent samples or panel (`panel_key`), cluster, weight, strata, wave order.
    published_baselines : sequence of PublishedBaseline
        Published baseline percents and n, for cells without baseline microdata.
    alpha : float
        1 - confidence level, and the level of `significant_holm` (proportion).
    family : MultiplicityFamily or str
        The rows adjusted together by Holm and Benjamini-Hochberg (`adjust_pvalues`).
    min_group_n : int
        Fewest valid answers in each wave for a subgroup's shift (overall rows are always kept).
    passes : DesignPasses, optional
        Design passes of `data` shared with the estimates (domains.DesignPasses).

    Returns
    -------
    pandas.DataFrame
        SHIFT_COLUMNS, one row per indicator x group (then women - men): percents 0-100, diff_pp
        and its interval in percentage points, test, p-values, Cohen's h and note.

    References
    ----------
    Newcombe, R. G. (1998a, b). Statistics in Medicine 17, 873-890 and 2635-2650; Agresti, A.
    (2013). Categorical Data Analysis, 3rd ed., s3.2, s3.5, s11.1; Lumley, T. (2010). Complex
    Surveys, s2.2 (linearised Wald t on the design df); Holm, S. (1979). Scand J Stat 6, 65-70;
    Benjamini, Y. & Hochberg, Y. (1995). JRSS B 57, 289-300; Cohen, J. (1988), ch. 6.
    """
    ids = indicator_ids(indicators, country, data)
    order = wave_order(design, data["wave"].dropna().astype(str).unique())
    rows = _shift_rows(
        data, ids, design, published_baselines, alpha, order, country, min_group_n, passes
    )
    if not rows:  # one wave and no published baseline: header only
        return pd.DataFrame(columns=SHIFT_COLUMNS)
    table = _changes(pd.concat(rows, ignore_index=True), min_group_n)
    table = _judged(table, indicators, country, design, alpha, family)
    return _sorted_shifts(table, ids)


def compared_waves(design: Design, order: list[str]) -> list[tuple[str, str]]:
    """The (from, to) wave pairs the shift table compares: `design.comparisons` (default: each
    consecutive pair of the configured waves, plus first -> last with 3+ waves; the default of
    `order` when the design lists no waves) whose two waves both have respondents in `order`."""
    configured = design.comparisons or default_comparisons(design.waves or order)
    return [(a, b) for a, b in configured if a in order and b in order]


def published_comparison(design: Design, order: list[str]) -> tuple[str, str]:
    """The comparison a published baseline stands in for: the first that starts at the first
    configured wave and ends at a wave with respondents; else the first wave -> the last of `order`
    (placeholders when there are no respondents)."""
    waves = design.waves or tuple(order)
    first = waves[0] if waves else "baseline"
    configured = design.comparisons or default_comparisons(waves)
    starting = [b for a, b in configured if a == first and b in order]
    return (first, starting[0] if starting else (order[-1] if order else "endline"))


def _shift_rows(
    data: pd.DataFrame,
    ids: list[str],
    design: Design,
    published_baselines: Sequence[PublishedBaseline],
    alpha: float,
    order: list[str],
    country: str,
    min_group_n: int,
    passes: DesignPasses | None,
) -> list[pd.DataFrame]:
    """The non-empty parts of the table before percents and adjustments: the microdata rows of
    every comparison (`_comparison` numbers them in configured order), then the rows against a
    published baseline for cells that the comparison it stands in for (`published_comparison`)
    does not compare from microdata."""
    group_vars = ["sex"] if data["sex"].dropna().nunique() > 1 else []
    pub_waves = published_comparison(design, order)
    comparisons = compared_waves(design, order)
    pub_number = comparisons.index(pub_waves) if pub_waves in comparisons else len(comparisons)
    parts, cells, done = [], None, set()
    for number, waves in enumerate(comparisons):
        microdata, cells, compared = _microdata_rows(
            data, ids, design, group_vars, alpha, waves, country, min_group_n, passes
        )
        for part in microdata:
            part["_comparison"] = number
        parts += microdata
        if number == pub_number:
            done = compared
    published = [
        p
        for p in published_baselines
        if p.indicator in ids and (p.indicator, p.group_var, p.group) not in done
    ]
    if published and order and (design.design_based or cells is None):
        cells = (
            _domain_estimates(data, ids, group_vars, design, alpha, country, passes)
            if design.design_based
            else _microdata_cells(data, ids, design, group_vars, passes)[1]
        )
    pub_rows = (
        published_baseline_rows(cells, published, alpha, pub_waves[1], design.design_based)
        if published and order
        else pd.DataFrame()
    )
    if len(pub_rows):
        pub_rows["to_wave"], pub_rows["_comparison"] = pub_waves[1], pub_number
    return [p for p in parts + [pub_rows] if len(p)]


def _sorted_shifts(table: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """SHIFT_COLUMNS in report order: comparisons as configured (published-baseline rows with the
    comparison they stand in for); within one, indicators as configured; overall, then groups, then
    the women - men row. Missing notes become empty."""
    table["note"] = table["note"].where(table["note"].notna(), "")
    table["composition_flag"] = ""
    order_of = {ind: i for i, ind in enumerate(ids)}
    table["_o1"] = table["indicator"].map(order_of)
    table["_o2"] = np.select(
        [table["group_var"] == OVERALL, table["group"] == INTERACTION], [0, 2], 1
    )
    table = table.sort_values(["_comparison", "_o1", "_o2", "group"], kind="stable")
    return table[SHIFT_COLUMNS].reset_index(drop=True)
