"""Shifts: baseline -> endline change of every indicator, overall and by sex, tested as the design requires.

Public surface: `shift_table(data, indicators, country, design, published_baselines, alpha, family)`.

Designs (from the country config, never from code):
- independent cross-sections, simple random samples: difference with Newcombe's hybrid score CI;
  Pearson chi-square (= two-proportion z-test), or Fisher's exact test when an expected count < 5.
- panel (same respondents, matched on the panel key): McNemar - exact binomial when discordant pairs
  < 25, else asymptotic - with the exact mid-p, and Newcombe's paired CI (1998b, method 10). Respondents
  present in only one wave are counted in `unmatched_baseline` / `unmatched_endline`.
- clustered and/or weighted: design-based difference by Taylor linearisation (PSUs shared by both waves
  handled), Wald t test with the design's degrees of freedom minus one (as R `svyglm(y ~ wave)`);
  `deff` reports the design effect of the difference. A weighted or clustered panel uses the linearised
  mean of each person's change.
- subgroup contrast: the wave x sex interaction (change among women minus change among men) as its own row.
- summary-only baseline: a published percent and n stands in for missing baseline microdata
  (`baseline_source = published`), compared as an independent sample.
Holm and Benjamini-Hochberg adjusted p-values over a family of rows (default: all rows of a country).
Cohen's h is the effect size of every change. Percent columns are 0-100; differences in percentage points.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from .estimates import ALL, OVERALL, Design, indicator_ids, long_indicators, design_rows
from .proportions import (cohens_h, fisher_exact_p, mcnemar_test, newcombe_diff_ci, newcombe_paired_diff_ci,
                          two_proportion_chi2, wald_diff_test)
from .survey_design import cluster_influence, design_effect, psu_counts, variance_from_influence

SHIFT_COLUMNS = ["country", "indicator", "group_var", "group", "design", "baseline_source", "baseline_n", "baseline_k",
                 "baseline_pct", "endline_n", "endline_k", "endline_pct", "diff_pp", "diff_ci_low", "diff_ci_high",
                 "ci_method", "test", "statistic", "df", "p_value", "mid_p", "p_holm", "p_bh", "cohens_h", "deff",
                 "unmatched_baseline", "unmatched_endline", "improvement", "direction_improved", "significant_holm"]
CELL = ["indicator", "group_var", "group"]
INTERACTION = "sex: Female - Male"


def _wide_counts(long: pd.DataFrame) -> pd.DataFrame:
    counts = long.groupby(CELL + ["wave"], observed=True)["y"].agg(n="size", k="sum").unstack("wave")
    counts.columns = [f"{wave}_{stat}" for stat, wave in counts.columns]
    return counts.reset_index()


def _independent_rows(cells: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Newcombe CI and chi-square / Fisher test for rows with baseline_k, baseline_n, endline_k, endline_n."""
    kb, nb, ke, ne = (cells[c].to_numpy(float) for c in ("baseline_k", "baseline_n", "endline_k", "endline_n"))
    low, high = newcombe_diff_ci(ke, ne, kb, nb, alpha)
    stat, p, expected = two_proportion_chi2(ke, ne, kb, nb)
    small = expected < 5
    if small.any():
        p = p.copy()
        p[small] = fisher_exact_p(ke[small], ne[small], kb[small], nb[small])
    return cells.assign(diff_ci_low=100 * low, diff_ci_high=100 * high, ci_method="Newcombe hybrid score",
                        test=np.where(small, "Fisher exact", "chi-square (2x2, no continuity correction)"),
                        statistic=np.where(small, np.nan, stat), df=np.where(small, np.nan, 1.0), p_value=p,
                        mid_p=np.nan, deff=1.0)


def _unmatched(wide: pd.DataFrame) -> pd.DataFrame:
    """Per cell: respondents answering in only one wave (never silently dropped: reported in the row)."""
    only = wide[["baseline", "endline"]].notna()
    return pd.DataFrame({
        "unmatched_baseline": (only["baseline"] & ~only["endline"]).groupby(level=CELL, observed=True).sum(),
        "unmatched_endline": (only["endline"] & ~only["baseline"]).groupby(level=CELL, observed=True).sum()})


def _paired_rows(long: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """McNemar and Newcombe paired CI per cell, from respondents answering in both waves."""
    wide = long.pivot_table(index=CELL + ["respondent_id"], columns="wave", values="y", aggfunc="first", observed=True)
    both = wide.dropna(subset=["baseline", "endline"])
    b_, e_ = both["baseline"].to_numpy(), both["endline"].to_numpy()
    table = pd.DataFrame({"a": (b_ == 1) & (e_ == 1), "b": (b_ == 1) & (e_ == 0), "c": (b_ == 0) & (e_ == 1),
                          "d": (b_ == 0) & (e_ == 0)}, index=both.index).groupby(level=CELL, observed=True).sum()
    cells = table.join(_unmatched(wide), how="outer").fillna(0).reset_index()
    a, b, c, d = (cells[x].to_numpy(float) for x in "abcd")
    n = a + b + c + d
    mc = mcnemar_test(b, c)
    # CI for endline - baseline: p1 = endline margin (a + c), p2 = baseline margin (a + b)
    low, high = newcombe_paired_diff_ci(a, c, b, d, alpha)
    return cells.assign(
        baseline_n=n, baseline_k=a + b, endline_n=n, endline_k=a + c,
        diff_ci_low=100 * low, diff_ci_high=100 * high, ci_method="Newcombe paired score (method 10)",
        test=np.where(mc["exact"], "McNemar exact (binomial)", "McNemar chi-square (no continuity correction)"),
        statistic=mc["statistic"], df=np.where(mc["exact"], np.nan, 1.0), p_value=mc["p_value"], mid_p=mc["mid_p"],
        deff=1.0).drop(columns=list("abcd"))


def _linearised_contrast(long: pd.DataFrame, rows: pd.DataFrame, alpha: float, cell_keys: list[str],
                         contrast_cols: list[str], contrast: dict[tuple, float]) -> pd.DataFrame:
    """Design-based estimate of sum(coef * p[domain]) per cell, with its linearised variance and Wald t test.

    `contrast` maps values of `contrast_cols` (e.g. ("endline",) or ("endline", "Female")) to coefficients.
    Degrees of freedom: the design's (PSUs - strata) minus the contrast's extra parameters, as R svyglm.
    """
    domains, influence = cluster_influence(long)
    coef = pd.DataFrame([(*key, c) for key, c in contrast.items()], columns=contrast_cols + ["coef"])
    infl = influence.merge(coef, on=contrast_cols)
    infl["t"] = infl["t"] * infl["coef"]
    infl = infl.groupby(cell_keys + ["stratum", "psu"], observed=True)["t"].sum().reset_index()
    n_h = psu_counts(rows, [])
    var = variance_from_influence(infl, cell_keys, n_h, []).rename("var").reset_index()
    est = domains.merge(coef, on=contrast_cols)
    est["part"] = est["p"] * est["coef"]
    cells = est.groupby(cell_keys, observed=True)["part"].sum().rename("estimate").reset_index().merge(var, on=cell_keys)
    design_df = int(n_h["n_h"].sum() - len(n_h)) - (len(contrast) - 1)
    stat, p, low, high = wald_diff_test(cells["estimate"], np.sqrt(cells["var"]), design_df, alpha)
    return cells.assign(statistic=stat, p_value=p, diff_ci_low=100 * low, diff_ci_high=100 * high, df=float(design_df),
                        test="design-based Wald t (linearised)", ci_method=f"design-based Wald t (df={design_df})",
                        mid_p=np.nan)


def _design_shift_rows(long: pd.DataFrame, rows: pd.DataFrame, design: Design, alpha: float) -> pd.DataFrame:
    """Design-based change per cell; deff = variance / SRS variance of the same difference."""
    unmatched = change = None
    if design.type == "panel":   # linearised mean of each person's change (endline - baseline)
        change, unmatched = _person_changes(long)
        out = _linearised_contrast(change, rows, alpha, CELL, ["wave"], {("change",): 1.0})
    else:
        out = _linearised_contrast(long, rows, alpha, CELL, ["wave"], {("endline",): 1.0, ("baseline",): -1.0})
    domains, _ = cluster_influence(long)
    p = domains.pivot_table(index=CELL, columns="wave", values="p", observed=True)
    out = _wide_counts(long).merge(out, on=CELL).merge(
        p.rename(columns={"baseline": "p_b", "endline": "p_e"}).reset_index(), on=CELL)
    if unmatched is not None:   # SRS comparator: variance of the mean of the persons' changes
        by_cell = change.groupby(CELL, observed=True)["y"]
        srs = (by_cell.var(ddof=1) / by_cell.size()).rename("srs_var")
        out = out.merge(srs.reset_index(), on=CELL, how="left")
        srs_var = out.pop("srs_var")
    else:
        srs_var = out["p_b"] * (1 - out["p_b"]) / (out["baseline_n"] - 1) + out["p_e"] * (1 - out["p_e"]) / (out["endline_n"] - 1)
    out["deff"] = np.where(srs_var > 0, out["var"] / srs_var, np.nan)
    out["diff_pp"] = 100 * out["estimate"]   # the linearised contrast itself (matched pairs for a panel)
    if unmatched is not None:
        out = out.merge(unmatched.reset_index(), on=CELL, how="left")
    return out.drop(columns=["var", "estimate"])


def _person_changes(long: pd.DataFrame, index: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each matched person's change (endline - baseline) as a `change` wave, and the unmatched counts."""
    keys = CELL + ["respondent_id", "psu", "stratum", "w"] + (index or [])
    wide = long.pivot_table(index=keys, columns="wave", values="y", aggfunc="first", observed=True)
    unmatched = _unmatched(wide.droplevel([k for k in keys if k not in CELL + ["respondent_id"]]))
    both = wide.dropna(subset=["baseline", "endline"]).reset_index()
    return both.assign(wave="change", y=both["endline"] - both["baseline"]), unmatched


def _interaction_rows(long: pd.DataFrame, rows: pd.DataFrame, design: Design, alpha: float) -> pd.DataFrame:
    """Change among women minus change among men, per indicator."""
    sexed = long[(long["group_var"] == OVERALL) & long["sex"].isin(["Female", "Male"])]
    if sexed["sex"].nunique() < 2:
        return pd.DataFrame()
    if design.design_based and design.type == "panel":   # women's mean change minus men's, matched people
        change, _ = _person_changes(sexed, ["sex"])
        out = _linearised_contrast(change.assign(group=change["sex"]), rows, alpha, ["indicator", "group_var"],
                                   ["wave", "group"], {("change", "Female"): 1.0, ("change", "Male"): -1.0})
        out["test"] = "design-based Wald t (difference in mean change, women - men)"
    elif design.design_based:
        coef = {("endline", "Female"): 1.0, ("baseline", "Female"): -1.0, ("endline", "Male"): -1.0, ("baseline", "Male"): 1.0}
        out = _linearised_contrast(sexed.assign(group=sexed["sex"]), rows, alpha, ["indicator", "group_var"],
                                   ["wave", "group"], coef)
        out["test"] = "design-based Wald t (wave x sex interaction)"
    else:
        counts = sexed.groupby(["indicator", "sex", "wave"], observed=True)["y"].agg(n="size", k="sum").unstack(["sex", "wave"])
        if design.type == "panel":
            return pd.DataFrame()   # paired interaction needs matched pairs by sex; not part of the shipped designs
        p = counts["k"] / counts["n"]
        var = (p * (1 - p) / counts["n"]).sum(axis=1, min_count=4)
        est = (p[("Female", "endline")] - p[("Female", "baseline")]) - (p[("Male", "endline")] - p[("Male", "baseline")])
        stat, pv, low, high = wald_diff_test(est.to_numpy(), np.sqrt(var.to_numpy()), None, alpha)
        out = pd.DataFrame({"indicator": est.index, "group_var": OVERALL, "estimate": est.to_numpy(), "statistic": stat,
                            "p_value": pv, "diff_ci_low": 100 * low, "diff_ci_high": 100 * high, "df": np.nan,
                            "test": "Wald z (difference of differences, unpooled)", "ci_method": "Wald",
                            "mid_p": np.nan})
        out = out[np.isfinite(out["estimate"])]
    out["group_var"], out["group"] = "sex", INTERACTION
    out["diff_pp"] = 100 * out["estimate"]
    return out.drop(columns=["estimate", "var"], errors="ignore")


def published_baseline_rows(data_long: pd.DataFrame, published: list[dict], alpha: float) -> pd.DataFrame:
    """Endline microdata against a published baseline percent and n (no baseline microdata)."""
    if not published:
        return pd.DataFrame()
    pub = pd.DataFrame(published)
    pub["group_var"] = pub.get("group_var", OVERALL)
    pub["group"] = pub.get("group", ALL)
    pub["baseline_n"] = pub["n"].astype(float)
    pub["baseline_k"] = np.round(pub["percent"] / 100 * pub["n"])
    end = data_long[data_long["wave"] == "endline"].groupby(CELL, observed=True)["y"].agg(
        endline_n="size", endline_k="sum").reset_index()
    cells = pub[CELL + ["baseline_n", "baseline_k"]].merge(end, on=CELL)
    return _independent_rows(cells, alpha).assign(baseline_source="published")


def adjust_pvalues(table: pd.DataFrame, family: str) -> pd.DataFrame:
    """Holm and Benjamini-Hochberg adjusted p-values within each family of rows."""
    keys = {"country": ["country"], "indicator": ["country", "indicator"], "group_var": ["country", "group_var"]}[family]
    table = table.copy()
    table["p_holm"], table["p_bh"] = np.nan, np.nan
    for _, part in table.groupby(keys, sort=False):
        p = part["p_value"]
        ok = p.notna()
        if ok.any():
            table.loc[p[ok].index, "p_holm"] = multipletests(p[ok], method="holm")[1]
            table.loc[p[ok].index, "p_bh"] = multipletests(p[ok], method="fdr_bh")[1]
    return table


def shift_table(data: pd.DataFrame, indicators: list[dict], country: str, design: Design,
                published_baselines: list[dict] | None = None, alpha: float = 0.05, family: str = "country",
                min_group_n: int = 30) -> pd.DataFrame:
    """All shifts of one country (overall and by sex, plus the wave x sex interaction); see module docstring."""
    ids = indicator_ids(indicators, country, data)
    sexes = data["sex"].dropna().unique()
    group_vars = ["sex"] if len(sexes) > 1 else []
    long = long_indicators(data, ids, group_vars, design)
    waves = long.groupby(CELL, observed=True)["wave"].nunique()
    two_wave = waves[waves == 2].index
    long2 = long.set_index(CELL).loc[lambda f: f.index.isin(two_wave)].reset_index()
    rows = design_rows(data, design)
    if long2.empty:
        body = pd.DataFrame(columns=CELL)
    elif design.design_based:
        body = _design_shift_rows(long2, rows, design, alpha)
    elif design.type == "panel":
        body = _paired_rows(long2, alpha)
    else:
        body = _independent_rows(_wide_counts(long2), alpha)
    body["baseline_source"] = "microdata"
    parts = [body, _interaction_rows(long2, rows, design, alpha) if len(long2) else pd.DataFrame()]
    published = [p for p in (published_baselines or []) if p["indicator"] in ids and
                 (p["indicator"], p.get("group_var", OVERALL), p.get("group", ALL)) not in set(map(tuple, body[CELL].to_numpy()))]
    parts.append(published_baseline_rows(long, published, alpha))
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    for w in ("baseline", "endline"):
        table[f"{w}_pct"] = 100 * table[f"{w}_k"] / table[f"{w}_n"]
    if "p_e" in table:   # design-based: weighted percents
        table["baseline_pct"] = np.where(table["p_b"].notna(), 100 * table["p_b"], table["baseline_pct"])
        table["endline_pct"] = np.where(table["p_e"].notna(), 100 * table["p_e"], table["endline_pct"])
    is_inter = table["group"] == INTERACTION
    given = table["diff_pp"] if "diff_pp" in table else pd.Series(np.nan, index=table.index)
    table["diff_pp"] = given.fillna(table["endline_pct"] - table["baseline_pct"])
    table["cohens_h"] = np.where(is_inter, np.nan, cohens_h(table["endline_pct"] / 100, table["baseline_pct"] / 100))
    small = (~is_inter) & (table["group_var"] != OVERALL) & ((table["baseline_n"] < min_group_n) | (table["endline_n"] < min_group_n))
    table = table[~small].copy()
    table["country"], table["design"] = country, design.label
    improvement = {i["id"]: i["improvement"] for i in indicators}
    table["improvement"] = table["indicator"].map(improvement)
    sign = np.where(table["improvement"] == "increase", 1, -1)
    table["direction_improved"] = np.where(is_inter[~small], None, np.sign(table["diff_pp"]) * sign > 0)
    for col in ("unmatched_baseline", "unmatched_endline", "deff", "mid_p", "df", "statistic"):
        if col not in table:
            table[col] = np.nan
    table = adjust_pvalues(table, family)
    table["significant_holm"] = table["p_holm"] < alpha
    order = {ind: i for i, ind in enumerate(ids)}
    table["_o1"] = table["indicator"].map(order)
    table["_o2"] = np.select([table["group_var"] == OVERALL, table["group"] == INTERACTION], [0, 2], 1)
    table = table.sort_values(["_o1", "_o2", "group"], kind="stable")
    return table[SHIFT_COLUMNS].reset_index(drop=True)
