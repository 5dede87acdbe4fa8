"""Attrition diagnostics for panels: do the respondents who stayed differ at baseline from those
who left?

A panel compares the same people over time, so its change estimates describe the stayers. If the
leavers differed at baseline (in sex, age, group or the indicators themselves), the change may not
hold for everyone who was first interviewed. For every later wave of a panel design, each baseline
respondent is a *stayer* (interviewed again in that wave, matched on the panel key) or a *leaver*.
The table compares the two at baseline, item by item:

- characteristics: the share of stayers and of leavers in each category of sex, age band and each
  grouping variable of `estimate_groups`;
- baseline indicators: the percent of stayers and of leavers with the indicator.

Each row gives both percents, the difference stayers - leavers in percentage points with its
interval, and a test, chosen by the design as the estimates are:

- simple random samples (no cluster, no weight): Newcombe's hybrid score interval and Pearson's
  chi-square without continuity correction (R `prop.test(correct = FALSE)`), Fisher's exact test
  when an expected count is below 5 (R `fisher.test`);
- design-based panels (clusters and/or weights): the linearised (Taylor) difference of the two
  domain means within the baseline design, with a Wald t test on the design degrees of freedom
  (R `svyglm(y ~ retention, design)` on the baseline design).

p-values are also Holm-adjusted within each follow-up wave (`p_holm`): many items are tested and a
diagnostic should not cry wolf. Percents are 0-100; differences and intervals are percentage
points.

References
----------
Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley, ch. 2 and 5 (domains,
svyglm). Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890 (method 10). Agresti, A.
(2013). Categorical Data Analysis, 3rd ed., s3.2 (chi-square), s3.5 (Fisher). Holm, S. (1979).
Scandinavian Journal of Statistics 6, 65-70. Kristman, V., Manno, M. & Cote, P. (2004). Loss to
follow-up in cohort studies: how much is too much? European Journal of Epidemiology 19, 751-760.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analysis.model import Indicator
from analysis.survey.design import DESIGN_COLUMNS, Design
from analysis.survey.domains import design_pass, domain_estimates, domain_totals, layout
from analysis.survey.estimates import indicator_ids, wave_order
from analysis.survey.proportions import fisher_exact_p, newcombe_diff_ci, two_proportion_chi2
from analysis.survey.shifts import linearised_contrast

RETENTION = "retention"  # the grouping variable the table adds: stayer / leaver
STAYER, LEAVER = "stayer", "leaver"
CHARACTERISTICS = ["sex", "age_band"]  # always compared, besides the country's estimate_groups
ATTRITION_COLUMNS = [
    "country",
    "baseline_wave",
    "followup_wave",
    "baseline_respondents",
    "stayers",
    "leavers",
    "retention_percent",
    "kind",
    "variable",
    "item",
    "stayers_n",
    "stayers_percent",
    "leavers_n",
    "leavers_percent",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "ci_method",
    "test",
    "statistic",
    "df",
    "p_value",
    "p_holm",
    *DESIGN_COLUMNS,
    "note",
]


def attrition_table(
    data: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    design: Design,
    group_vars: list[str],
    alpha: float,
) -> pd.DataFrame:
    """Stayers against leavers at baseline, per later wave of a panel (ATTRITION_COLUMNS).

    Parameters
    ----------
    data : pandas.DataFrame
        Clean respondents of every wave (columns `wave`, the panel key, the design variables, the
        characteristics and the 0/1 indicator columns).
    indicators : list of Indicator
        The project's indicators; those the country maps are compared.
    country : str
        Country id, written into every row.
    design : Design
        The dataset's design. A design that is not a panel (or a panel with one wave) gives an
        empty table with the columns, because nobody can be lost to follow-up.
    group_vars : list of str
        The country's `estimate_groups`; compared besides sex and age band.
    alpha : float
        1 - confidence level of the intervals (proportion).

    Returns
    -------
    pandas.DataFrame
        One row per follow-up wave x item: characteristic categories (`kind` = characteristic)
        and baseline indicators (`kind` = indicator), sorted by wave, kind, variable and item.

    References
    ----------
    Lumley (2010), ch. 5 (`svyglm` on domains); Newcombe (1998, method 10); Agresti (2013,
    s3.2, s3.5); Holm (1979). See the module docstring.
    """
    waves = wave_order(design, data["wave"].unique()) if len(data) else []
    if not design.is_panel or len(waves) < 2:
        return pd.DataFrame(columns=ATTRITION_COLUMNS)
    baseline = data[data["wave"] == waves[0]]
    variables = [v for v in dict.fromkeys(CHARACTERISTICS + list(group_vars)) if v in data]
    ids = indicator_ids(indicators, country, data)
    parts = [
        _followup_rows(baseline, data, design, wave, variables, ids, alpha) for wave in waves[1:]
    ]
    table = pd.concat(parts, ignore_index=True)
    table = table.assign(country=country, baseline_wave=waves[0], **design.columns())
    return table[ATTRITION_COLUMNS]


def _followup_rows(
    baseline: pd.DataFrame,
    data: pd.DataFrame,
    design: Design,
    wave: str,
    variables: list[str],
    ids: list[str],
    alpha: float,
) -> pd.DataFrame:
    """The comparison for one follow-up wave: baseline respondents split by whether `wave` has
    them (matched on the panel key)."""
    key = design.panel_key
    seen = data.loc[data["wave"] == wave, key]
    stayed = baseline[key].isin(seen).to_numpy()
    frame = baseline.assign(**{RETENTION: np.where(stayed, STAYER, LEAVER), "wave": "baseline"})
    values, kinds = _item_values(frame, variables, ids)
    if design.design_based:
        rows = _design_rows(values, frame, design, alpha)
    else:
        rows = _srs_rows(values, frame, alpha)
    rows = rows.merge(kinds, on="indicator").rename(columns={"indicator": "_key"})
    n_stay = int(stayed.sum())
    rows = rows.assign(
        followup_wave=wave,
        baseline_respondents=len(frame),
        stayers=n_stay,
        leavers=len(frame) - n_stay,
        retention_percent=100 * n_stay / len(frame) if len(frame) else np.nan,
    )
    rows["p_holm"] = _holm(rows["p_value"].to_numpy(float))
    rows["note"] = _notes(rows)
    return rows.sort_values(["kind", "variable", "item"], kind="stable").drop(columns="_key")


def _item_values(
    frame: pd.DataFrame, variables: list[str], ids: list[str]
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Per item a 0/1 answer array (NaN where not answered): one per category of each
    characteristic (1 = in that category) and one per indicator; and the items' kind, variable
    and item names keyed by the internal item key."""
    values: dict[str, np.ndarray] = {}
    names = []
    for var in variables:
        col = frame[var].astype("string")
        known = col.notna().to_numpy()
        for category in sorted(col.dropna().unique()):
            item_key = f"{var}\x1f{category}"
            values[item_key] = np.where(known, (col == category).to_numpy(bool), np.nan)
            names.append((item_key, "characteristic", var, str(category)))
    for i in ids:
        values[i] = frame[i].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        names.append((i, "indicator", "indicator", i))
    return values, pd.DataFrame(names, columns=["indicator", "kind", "variable", "item"])


def _retention_cells(domains: pd.DataFrame) -> pd.DataFrame:
    """Stayers' and leavers' n, k and p per item, side by side (p as a proportion)."""
    sub = domains[domains["group_var"] == RETENTION]
    wide = sub.pivot_table(
        index="indicator", columns="group", values=["n", "k", "p"], observed=True
    )
    wide.columns = [f"{group}_{stat}" for stat, group in wide.columns]
    wanted = [f"{g}_{s}" for g in (STAYER, LEAVER) for s in ("n", "k", "p")]
    return wide.reindex(columns=wanted).reset_index()


def _with_percents(cells: pd.DataFrame) -> pd.DataFrame:
    """Percents (0-100) and n of stayers and leavers, and the difference in percentage points."""
    return cells.assign(
        stayers_n=cells[f"{STAYER}_n"].fillna(0).astype(int),
        leavers_n=cells[f"{LEAVER}_n"].fillna(0).astype(int),
        stayers_percent=100 * cells[f"{STAYER}_p"],
        leavers_percent=100 * cells[f"{LEAVER}_p"],
        difference=100 * (cells[f"{STAYER}_p"] - cells[f"{LEAVER}_p"]),
    )


def _srs_rows(values: dict[str, np.ndarray], frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Simple random sample: Newcombe interval and chi-square (Fisher exact when an expected
    count is below 5) of stayers against leavers, per item."""
    lay = layout(frame, None, None, None)
    domains = domain_estimates(domain_totals(values, frame, lay, [RETENTION], by_psu=False))
    cells = _with_percents(_retention_cells(domains))
    both = (cells["stayers_n"] > 0) & (cells["leavers_n"] > 0)
    ks, ns, kl, nl = (
        cells[c].fillna(0).to_numpy(float)
        for c in (f"{STAYER}_k", f"{STAYER}_n", f"{LEAVER}_k", f"{LEAVER}_n")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = newcombe_diff_ci(ks, ns, kl, nl, alpha)
        stat, p, expected = two_proportion_chi2(ks, ns, kl, nl)
    small = both.to_numpy() & ~(expected >= 5)
    p = np.asarray(p, float).copy()
    if small.any():
        p[small] = fisher_exact_p(ks[small], ns[small], kl[small], nl[small])
    ok = both.to_numpy()
    return cells.assign(
        diff_ci_low=np.where(ok, 100 * low, np.nan),
        diff_ci_high=np.where(ok, 100 * high, np.nan),
        ci_method=np.where(ok, "Newcombe hybrid score", ""),
        test=np.where(
            ok, np.where(small, "Fisher exact", "chi-square (2x2, no continuity correction)"), ""
        ),
        statistic=np.where(ok & ~small, stat, np.nan),
        df=np.where(ok & ~small, 1.0, np.nan),
        p_value=np.where(ok, p, np.nan),
    )


def _design_rows(
    values: dict[str, np.ndarray], frame: pd.DataFrame, design: Design, alpha: float
) -> pd.DataFrame:
    """Design-based: the linearised difference of the stayers' and leavers' domain means within
    the baseline design, with its Wald t test on the design df (as R svyglm(y ~ retention))."""
    pass_ = design_pass(values, frame, design, [RETENTION])
    contrast = {(RETENTION, STAYER): 1.0, (RETENTION, LEAVER): -1.0}
    tests, domains = linearised_contrast(
        pass_, alpha, ["indicator", "wave"], ["group_var", "group"], contrast, design
    )
    cells = _with_percents(_retention_cells(domains))
    tests = tests.drop(columns=["wave", "estimate", "var", "mid_p"], errors="ignore")
    tests = tests.rename(columns={"note": "_design_note"})
    return cells.merge(tests, on="indicator", how="left")


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values over the finite entries (NaN stays NaN)."""
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = multipletests(p[finite], method="holm")[1]
    return out


def _notes(rows: pd.DataFrame) -> np.ndarray:
    """Why a row has no test: nobody left (or stayed) with an answer to the item, or the design
    gives the difference no variance (the design engine's reason)."""
    design_note = rows.get("_design_note", pd.Series("", index=rows.index)).fillna("")
    nobody = np.where(
        rows["leavers_n"] == 0,
        "not estimable: no leaver answered this item at baseline",
        np.where(
            rows["stayers_n"] == 0, "not estimable: no stayer answered this item at baseline", ""
        ),
    )
    return np.where(nobody != "", nobody, design_note.to_numpy(str))
