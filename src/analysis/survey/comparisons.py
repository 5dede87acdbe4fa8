"""Group comparisons at each wave (issue 17, deliverable 1): comparisons.csv.

Public surface: `comparison_table(data, ids, country, design, group_vars, alpha, measures, units,
min_group_n, family, source)`.

For every wave, every indicator and every grouping (the country's `estimate_groups`, e.g. sex, age
band, social group, plus the arm when the design declares one: group_var "arm", levels programme
and comparison from `analysis.cleaning.arms.arm_labels`) the table has
- one `pair` row per pair of levels (levels in the order of the estimates table: sorted; the arm
  programme then comparison): difference = group_a - group_b, shares in percentage points (the
  `estimate_*` columns in percent, 0-100), means in the indicator's unit;
- one `table` row testing no difference across all levels with at least `min_group_n` answers
  (when there are two or more): `n_a` is their total answers, `statistic` the chi-square or F,
  `df` and `df_denominator` the test's degrees of freedom.
Each wave's respondents are that wave's design (as the estimates; panels too); an indicator
without answers at a wave (not asked) has no rows there, as in the estimates.

Methods by design:
- simple random samples, shares: the difference with Newcombe's hybrid score interval (method 10,
  the interval the shifts give two independent proportions, `proportions.newcombe_diff_ci`; no SE)
  and the two-proportion Pearson chi-square (R `prop.test(correct = FALSE)`), or Fisher's exact
  test (R `fisher.test`) when an expected count is below 5; the table: Pearson chi-square of the
  2 x k table (R `chisq.test(correct = FALSE)`), Fisher's exact test of the 2 x k table when an
  expected count is below 5 (R `fisher.test`; `fisher_2xk_p`);
- simple random samples, means: Welch's t (R `t.test(var.equal = FALSE)`, `means.welch_rows`);
  the table: Welch's one-way ANOVA (R `oneway.test(var.equal = FALSE)`);
- clustered, stratified, weighted designs (or with an fpc): the linearised contrast of the two
  domain means at that wave (`shifts.linearised_contrast`), Wald t on the design's degrees of
  freedom minus (k - 1) for the k levels with answers, as R `svyglm(y ~ group, subset(design,
  wave == w))` (its coefficient / `svycontrast`, `df.residual`); the table: shares the Rao-Scott
  second-order F (R `svychisq(~y + group, design, statistic = "F")`), means the Wald F of the
  group term (R `regTermTest(svyglm(y ~ group, design), ~group)`), both from the linearised
  covariance of the domain (or cell) means (`_covariance`, the variance engine's rules for fpc and
  lonely PSUs).
Holm and Benjamini-Hochberg p-values over the `pair` rows (`multiplicity.adjust_pvalues` with the
country's family); `table` rows keep their raw p only.

Degenerate cells keep a row with empty statistics and a `note` starting "not estimable: ": a
level without answers at a wave or with fewer than `min_group_n` (its estimate left empty, as the
estimates table leaves it out), a design-based level whose answers are all alike (no linearised
variance), no variance, fewer than one degree of freedom, a 2 x k table too large for the exact
test.

References
----------
Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890; Agresti, A. (2013). Categorical Data
Analysis, 3rd ed., s3.2, s3.5; Welch, B. L. (1947). Biometrika 34, 28-35; Welch, B. L. (1951).
Biometrika 38, 330-336; Binder, D. A. (1983). International Statistical Review 51, 279-292; Rao,
J. N. K. & Scott, A. J. (1984). Annals of Statistics 12, 46-60; Lumley, T. (2010). Complex
Surveys: A Guide to Analysis Using R, ch. 5-6; Holm, S. (1979). Scand J Stat 6, 65-70.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.cleaning.arms import ARMS, arm_labels
from analysis.model import DEFAULT_ALPHA, DEFAULT_MIN_GROUP_N
from analysis.survey.design import DESIGN_COLUMNS, Design
from analysis.survey.did import indicator_measures
from analysis.survey.domains import (
    design_pass,
    domain_df,
    domain_estimates,
    domain_totals,
    layout,
    psu_counts,
    variance_from_moments,
)
from analysis.survey.estimates import NOT_ESTIMABLE, check_variance_estimable, wave_order
from analysis.survey.means import descriptives_by_indicator, welch_rows
from analysis.survey.multiplicity import MultiplicityFamily, adjust_pvalues
from analysis.survey.proportions import wald_diff_test
from analysis.survey.shifts import (
    independent_rows,
    linearised_contrast,
    with_significance,
)

COMPARISON_COLUMNS = [
    "country",
    "indicator",
    "measure",
    "unit",
    *DESIGN_COLUMNS,
    "wave",
    "group_var",
    "comparison",
    "group_a",
    "group_b",
    "estimate_a",
    "estimate_b",
    "difference",
    "ci_low",
    "ci_high",
    "se",
    "df",
    "df_denominator",
    "statistic",
    "p_value",
    "test",
    "n_a",
    "n_b",
    "p_holm",
    "p_bh",
    "holm_family",
    "significant",
    "note",
]
ARM_GROUP = "arm"  # the group_var of the programme / comparison arm
PAIR_KEYS = ["indicator", "group_var", "group_a", "group_b"]
STATS = ["difference", "ci_low", "ci_high", "se", "df", "statistic", "p_value", "test", "note"]
FISHER_LIMIT = 5_000_000  # partial 2 x k tables enumerated at most (else no exact test)
SHARE_UNIT = "percentage points"


class _WaveValues(Mapping):
    """Indicator id -> its answers (float64, NaN for none) of the respondents at `rows`, made on
    lookup (one indicator in memory at a time)."""

    def __init__(self, data: pd.DataFrame, ids: list[str], rows: np.ndarray):
        self._data, self._ids, self._rows = data, tuple(ids), rows

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._ids:
            raise KeyError(name)
        return self._data[name].to_numpy(dtype=float, na_value=np.nan)[self._rows]

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def _grouping_frame(data, design: Design, group_vars, country: str, source: str | None):
    """(wave, design and grouping columns with the arm as `ARM_GROUP`, the groupings, each
    grouping's levels in report order)."""
    groupings = [
        gv
        for gv in dict.fromkeys(group_vars)
        if gv in data.columns and gv != ARM_GROUP and data[gv].nunique(dropna=True) > 1
    ]
    named = [c for c in (design.cluster, design.weight, design.strata, design.fpc) if c]
    frame = data[list(dict.fromkeys([*named, *groupings]))].copy()
    frame["wave"] = data["wave"].astype(object).where(data["wave"].notna()).astype(str)
    frame.loc[data["wave"].isna().to_numpy(), "wave"] = None
    levels = {
        gv: [str(v) for v in pd.factorize(frame[gv].astype(object), sort=True)[1]]
        for gv in groupings
    }
    if design.arm:
        frame[ARM_GROUP] = arm_labels(data, design, country, source)
        groupings.append(ARM_GROUP)
        levels[ARM_GROUP] = list(ARMS)
    return frame, groupings, levels


def _domain_cells(domains: pd.DataFrame, groupings: list[str]) -> pd.DataFrame:
    """Per indicator x group_var x group at one wave: n, k, estimate (proportion or mean), sd
    (n - 1, unweighted) and `alike` (every answer the same value)."""
    d = domains[domains["group_var"].isin(groupings)]
    n, k, k2 = (d[c].to_numpy(float) for c in ("n", "k", "k2"))
    alike = np.isclose(n * k2, k**2, rtol=1e-12, atol=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.where(alike, 0.0, np.maximum(k2 - k**2 / n, 0.0) / (n - 1)))
    return pd.DataFrame(
        {
            "indicator": d["indicator"].to_numpy(),
            "group_var": d["group_var"].to_numpy(),
            "group": d["group"].to_numpy(),
            "n": n,
            "k": k,
            "estimate": d["p"].to_numpy(float),
            "sd": np.where(n >= 2, sd, np.nan),
            "alike": alike,
        }
    )


def _pair_grid(cells: pd.DataFrame, ids: list[str], groupings: list[str], levels: dict):
    """Every indicator x grouping x pair of levels with each side's cell columns (`_a`, `_b`;
    NaN where a level has no answers)."""
    pairs = pd.DataFrame(
        [(gv, a, b) for gv in groupings for a, b in combinations(levels[gv], 2)],
        columns=["group_var", "group_a", "group_b"],
    )
    grid = pd.DataFrame({"indicator": ids}).merge(pairs, how="cross")
    for side in ("a", "b"):
        named = cells.rename(
            columns={c: f"{c}_{side}" for c in cells.columns if c not in ("indicator", "group_var")}
        )
        grid = grid.merge(named, on=["indicator", "group_var", f"group_{side}"], how="left")
    return grid


def _absent_notes(grid: pd.DataFrame, wave: str, min_group_n: int) -> pd.Series:
    """Why a pair has no comparison: a level without answers at the wave, or with fewer than
    `min_group_n` answers (empty where both levels are usable)."""
    text = pd.Series("", index=grid.index, dtype=object)
    for side in ("a", "b"):
        n = grid[f"n_{side}"].fillna(0)
        name = "group '" + grid[f"group_{side}"].astype(str) + "'"
        what = np.where(
            n == 0,
            "no answers in " + name + f" in wave '{wave}'",
            name + " has " + n.astype(int).astype(str) + f" answers, fewer than {min_group_n}",
        )
        hit = (n < min_group_n).to_numpy()
        text = text.where(~hit, np.where(text == "", what, text + "; " + what))
    return text.where(text == "", NOT_ESTIMABLE + text + ", so no comparison")


def _srs_share_pairs(rows: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Simple random samples, shares: Newcombe's interval and the chi-square or Fisher test of
    a - b (`shifts.independent_rows` with b as "from" and a as "to"); proportions 0-1."""
    cells = rows.assign(from_k=rows["k_b"], from_n=rows["n_b"], to_k=rows["k_a"], to_n=rows["n_a"])
    out = independent_rows(cells, alpha)
    return out.assign(
        difference=out["estimate_a"] - out["estimate_b"],
        ci_low=out["diff_ci_low"] / 100,
        ci_high=out["diff_ci_high"] / 100,
        se=np.nan,
        note="",
    )


def _srs_mean_pairs(rows: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Simple random samples, means: Welch's t of a - b (`means.welch_rows`, b as "from")."""
    cells = rows.assign(
        from_n=rows["n_b"],
        from_mean=rows["estimate_b"],
        from_sd=rows["sd_b"],
        to_n=rows["n_a"],
        to_mean=rows["estimate_a"],
        to_sd=rows["sd_a"],
    )
    out = welch_rows(cells, alpha)
    se = np.sqrt(out["from_sd"] ** 2 / out["from_n"] + out["to_sd"] ** 2 / out["to_n"])
    note = (
        out["note"].str.replace("in a wave", "in a group").str.replace("both waves", "both groups")
    )
    return out.assign(difference=out["diff"], se=se.where(out["p_value"].notna()), note=note)


def _model_df(totals: pd.DataFrame, clustered: bool) -> pd.DataFrame:
    """Per indicator x group_var: the residual df of R `svyglm(y ~ group)` on the wave's design,
    the PSUs (respondents when unclustered) with an answer in a level minus their strata minus
    (k - 1) for the k levels with answers (`domains.domain_df`)."""
    keys = ["indicator", "group_var"]
    out = domain_df(totals, keys, ["stratum"], clustered)
    k = totals.groupby(keys, observed=True)["group"].nunique().rename("k").reset_index()
    out = out.merge(k, on=keys)
    out["model_df"] = (out["df"] - (out["k"] - 1)).astype(float)
    return out[[*keys, "model_df"]]


def _design_pairs(grid: pd.DataFrame, pass_, design: Design, alpha: float) -> pd.DataFrame:
    """Design-based: per pair the linearised contrast a - b (`shifts.linearised_contrast`), its
    Wald t on the model's df (`_model_df`; normal with `ci_df: normal`); no test where a level's
    answers are all alike or the variance is 0."""
    parts = []
    for (gv, a, b), rows in grid.groupby(["group_var", "group_a", "group_b"], sort=False):
        coef = {(gv, a): 1.0, (gv, b): -1.0}
        out, _ = linearised_contrast(
            pass_, alpha, ["indicator"], ["group_var", "group"], coef, design
        )
        parts.append(rows.merge(out[["indicator", "estimate", "var"]], on="indicator", how="left"))
    rows = pd.concat(parts, ignore_index=True)
    model = _model_df(pass_[1][pass_[1]["group_var"].isin(grid["group_var"])], pass_[0].clustered)
    rows = rows.merge(model, on=["indicator", "group_var"], how="left")
    se = np.sqrt(rows["var"].clip(lower=0))
    df = None if design.ci_df == "normal" else rows["model_df"]
    stat, p, low, high = wald_diff_test(rows["estimate"], se, df, alpha)
    label = "design-based Wald t (linearised)" + (" (normal)" if df is None else "")
    return rows.assign(
        difference=rows["estimate"],
        ci_low=low,
        ci_high=high,
        se=se,
        df=rows["model_df"],
        statistic=stat,
        p_value=p,
        test=label,
        note=_design_pair_notes(rows),
    )


def _design_pair_notes(rows: pd.DataFrame) -> np.ndarray:
    """Why a design-based pair has no test: a level's answers all alike (it adds no linearised
    variance, so the test would count only the other level's), no variance, too few df."""
    alike_a, alike_b = rows["alike_a"].eq(True), rows["alike_b"].eq(True)
    who = np.where(
        alike_a & alike_b,
        "both groups",
        "group '" + np.where(alike_a, rows["group_a"], rows["group_b"]).astype(str) + "'",
    )
    return np.select(
        [(alike_a | alike_b).to_numpy(), (rows["var"] <= 0).to_numpy(), (rows["model_df"] < 1)],
        [
            NOT_ESTIMABLE
            + "every answer of "
            + who
            + " is the same value, which adds no design variance, so no test or interval",
            NOT_ESTIMABLE + "the difference has no design variance, so no test or interval",
            NOT_ESTIMABLE + "fewer than one degree of freedom, so no test or interval",
        ],
        "",
    ).astype(object)


def _pair_rows(grid, wave, pass_, design, alpha, min_group_n, measures) -> pd.DataFrame:
    """The `pair` rows of one wave: statistics of the usable pairs (proportions 0-1 / units),
    the reason in `note` for the others."""
    grid = grid.assign(absent=_absent_notes(grid, wave, min_group_n))
    usable = (grid["absent"] == "").to_numpy()
    share = grid["indicator"].map(measures).eq("share").to_numpy()
    if design.design_based:
        parts = [_design_pairs(grid[usable], pass_, design, alpha)] if usable.any() else []
    else:
        shares, means = usable & share, usable & ~share
        parts = [_srs_share_pairs(grid[shares], alpha)] if shares.any() else []
        parts += [_srs_mean_pairs(grid[means], alpha)] if means.any() else []
    done = pd.concat([p[PAIR_KEYS + STATS] for p in parts], ignore_index=True) if parts else None
    rows = grid.merge(done, on=PAIR_KEYS, how="left") if done is not None else grid
    rows = rows.reindex(columns=[*grid.columns, *STATS])
    rows["note"] = rows["absent"].where(rows["absent"] != "", rows["note"].fillna(""))
    for side in ("a", "b"):
        small = rows[f"n_{side}"].fillna(0) < min_group_n
        rows.loc[small, f"estimate_{side}"] = np.nan
    rows["difference"] = (
        rows["difference"].astype(float).fillna(rows["estimate_a"] - rows["estimate_b"])
    )
    return rows.assign(comparison="pair", df_denominator=np.nan)


def fisher_2xk_p(k, n, limit: int = FISHER_LIMIT) -> float:
    """Two-sided Fisher exact p-value of the 2 x k table with k_j of n_j answers 1 in level j
    (R `fisher.test`): the probability, given the margins, of the tables no more likely than the
    observed one (relative tolerance 1e-7, as R). The tables are enumerated level by level; NaN
    when more than `limit` partial tables would be needed.

    Parameters
    ----------
    k, n : array_like of int
        Answers 1 and answers per level (k_j <= n_j).
    limit : int
        Most partial tables enumerated.

    Returns
    -------
    float
        The p-value (proportion), or NaN beyond `limit`.

    References
    ----------
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., s3.5.3 (exact tests for I x J
    tables); Mehta, C. R. & Patel, N. R. (1983). JASA 78, 427-434 (R's network algorithm).
    """
    k, n = np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64)
    total = int(k.sum())

    def log_choose(m, x):
        return special.gammaln(m + 1) - special.gammaln(x + 1) - special.gammaln(m - x + 1)

    sums, logs, rest = np.zeros(1, dtype=np.int64), np.zeros(1), int(n.sum())
    for size in n:
        rest -= int(size)
        if len(sums) * (int(size) + 1) > limit:
            return float("nan")
        x = np.arange(int(size) + 1)
        sums = (sums[:, None] + x[None, :]).ravel()
        logs = (logs[:, None] + log_choose(size, x)[None, :]).ravel()
        keep = (sums <= total) & (sums + rest >= total)
        sums, logs = sums[keep], logs[keep]
    whole = log_choose(int(n.sum()), total)
    observed = np.exp(log_choose(n, k).sum() - whole)
    prob = np.exp(logs - whole)
    return float(min(1.0, prob[prob <= observed * (1 + 1e-7)].sum()))


def _chi_square_table(k: np.ndarray, n: np.ndarray) -> dict:
    """Simple random samples, shares: Pearson's chi-square of the 2 x k table (R
    `chisq.test(correct = FALSE)`), Fisher's exact test when an expected count is below 5."""
    observed = np.vstack([k, n - k])
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    if (expected < 5).any():
        p = fisher_2xk_p(k, n)
        if np.isnan(p):
            return {
                "note": NOT_ESTIMABLE + "an expected count is below 5 and the table is too"
                " large for Fisher's exact test, so no test"
            }
        return {"p_value": p, "test": f"Fisher exact (2 x {len(k)})"}
    x2 = float(((observed - expected) ** 2 / expected).sum())
    return {
        "statistic": x2,
        "df": len(k) - 1.0,
        "p_value": float(stats.chi2.sf(x2, len(k) - 1)),
        "test": f"Pearson chi-square (2 x {len(k)}, no continuity correction)",
    }


def _welch_anova(n: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> dict:
    """Simple random samples, means: Welch's one-way ANOVA of k levels (R `oneway.test(var.equal
    = FALSE)`); none with fewer than two answers or no spread in a level."""
    if (n < 2).any() or (sd <= 0).any():
        return {
            "note": NOT_ESTIMABLE + "a group has fewer than two answers or every answer the"
            " same value, so no test"
        }
    groups = len(n)
    w = n / sd**2
    centre = (w * mean).sum() / w.sum()
    tmp = ((1 - w / w.sum()) ** 2 / (n - 1)).sum() / (groups**2 - 1)
    f = (w * (mean - centre) ** 2).sum() / ((groups - 1) * (1 + 2 * (groups - 2) * tmp))
    ddf = 1 / (3 * tmp)
    return {
        "statistic": f,
        "df": groups - 1.0,
        "df_denominator": ddf,
        "p_value": float(stats.f.sf(f, groups - 1, ddf)),
        "test": "Welch one-way ANOVA F (unequal variances)",
    }


def _influences(y: np.ndarray, codes: np.ndarray, w: np.ndarray, k: int, share: bool):
    """(estimates, linearised influence of every respondent on them, n x M): shares the M = 2k
    cell proportions of the y x group table among the answers (cell 2 j + y, as R's
    `interaction(factor(y), factor(group))`), means the k domain means sum(w y) / sum(w)."""
    answered = ~np.isnan(y) & (codes >= 0)
    at, wa, ya, ga = np.flatnonzero(answered), w[answered], y[answered], codes[answered]
    if share:
        cell = 2 * ga + (ya > 0.5).astype(np.int64)
        total = wa.sum()
        estimate = np.bincount(cell, weights=wa, minlength=2 * k) / total
        t = np.zeros((len(y), 2 * k))
        t[at] = -np.outer(wa, estimate) / total
        t[at, cell] += wa / total
        return estimate, t
    size = np.bincount(ga, weights=wa, minlength=k)
    estimate = np.bincount(ga, weights=wa * ya, minlength=k) / size
    t = np.zeros((len(y), k))
    t[at, ga] = wa * (ya - estimate[ga]) / size[ga]
    return estimate, t


def _covariance(t: np.ndarray, lay, design: Design) -> np.ndarray:
    """The with-replacement linearised covariance matrix of estimates whose influences are the
    columns of `t` (one wave's respondents, `lay` their layout): influences totalled by PSU, and
    each variance and covariance from `domains.variance_from_moments` (Var(a + b) - Var(a) -
    Var(b) = 2 Cov(a, b)), so fpc and lonely PSUs follow the design's rules."""
    unit, first = pd.factorize(lay.stratum.astype(np.int64) * len(lay.psus) + lay.psu)
    totals = np.column_stack([np.bincount(unit, weights=col, minlength=len(first)) for col in t.T])
    stratum = np.zeros(len(first), dtype=np.int64)
    stratum[unit] = lay.stratum
    size = t.shape[1]
    combos = [(i, j) for i in range(size) for j in range(i, size)]
    frames = []
    for c, (i, j) in enumerate(combos):
        column = totals[:, i] + (totals[:, j] if j != i else 0)
        frames.append(
            pd.DataFrame(
                {
                    "combo": c,
                    "stratum": np.arange(len(lay.strata)),
                    "s": np.bincount(stratum, weights=column, minlength=len(lay.strata)),
                    "s2": np.bincount(stratum, weights=column**2, minlength=len(lay.strata)),
                }
            )
        )
    moments = pd.concat(frames, ignore_index=True).assign(wave=lay.waves[0])
    n_h = psu_counts(lay, waves=True)
    var = variance_from_moments(moments, ["combo"], n_h, ["wave"], design.lonely_psu)
    var = var.reindex(range(len(combos))).fillna(0.0).to_numpy()
    out = np.zeros((size, size))
    for c, (i, j) in enumerate(combos):
        out[i, j] = out[j, i] = var[c]
    diag = np.diag(out).copy()
    out = (out - diag[:, None] - diag[None, :]) / 2  # Var(a + b) -> Cov(a, b)
    np.fill_diagonal(out, diag)
    return out


def _rao_scott(p: np.ndarray, cov: np.ndarray, nu: float) -> dict:
    """Rao-Scott second-order F of no association in the 2 x k table of cell proportions `p`
    (cell 2 j + y) with covariance `cov` on the design df `nu` (R `svychisq(statistic = "F")`:
    X^2 / tr(Delta) on d0 and d0 nu df, d0 = tr(Delta)^2 / tr(Delta^2))."""
    levels = len(p) // 2
    table = p.reshape(levels, 2)
    answers, groups = table.sum(axis=0), table.sum(axis=1)
    if (answers <= 0).any():
        return {"note": NOT_ESTIMABLE + "every answer is the same value in every group, so no test"}
    expected = np.outer(groups, answers).ravel()
    x2 = float(((p - expected) ** 2 / expected).sum())
    y = np.tile([0.0, 1.0], levels)
    g = np.repeat(np.arange(levels), 2)
    main = np.column_stack([np.ones(2 * levels), y, *[(g == j) * 1.0 for j in range(1, levels)]])
    inter = np.column_stack([y * (g == j) for j in range(1, levels)])
    contrast = inter - main @ np.linalg.lstsq(main, inter, rcond=None)[0]
    inv = np.diag(np.where(p > 0, 1 / np.where(p > 0, p, 1), 0.0))
    denom = contrast.T @ inv @ contrast
    delta = np.linalg.solve(denom, contrast.T @ inv @ cov @ inv @ contrast)
    trace = float(np.trace(delta))
    if not trace > 0:
        return {"note": NOT_ESTIMABLE + "the table has no design variance, so no test"}
    d0 = trace**2 / float(np.trace(delta @ delta))
    f = x2 / trace
    return {
        "statistic": f,
        "df": d0,
        "df_denominator": d0 * nu,
        "p_value": float(stats.f.sf(f, d0, d0 * nu)),
        "test": "Rao-Scott F (second-order, design-based)",
    }


def _wald_f(means: np.ndarray, cov: np.ndarray, ddf: float) -> dict:
    """Design-based Wald F of equal domain means (R `regTermTest(svyglm(y ~ group), ~group)`):
    W / (k - 1) on k - 1 and the model's residual df, W = b' V^-1 b for the contrasts b = mean_j
    - mean_1."""
    levels = len(means)
    contrast = np.hstack([-np.ones((levels - 1, 1)), np.eye(levels - 1)])
    b, v = contrast @ means, contrast @ cov @ contrast.T
    if (np.diag(cov) <= 0).any() or not ddf >= 1:
        return {
            "note": NOT_ESTIMABLE + "a group has no design variance (answers all alike or"
            " from one cluster) or fewer than one degree of freedom remains, so no test"
        }
    f = float(b @ np.linalg.solve(v, b)) / (levels - 1)
    return {
        "statistic": f,
        "df": levels - 1.0,
        "df_denominator": float(ddf),
        "p_value": float(stats.f.sf(f, levels - 1, ddf)),
        "test": "design-based Wald F (linearised)",
    }


def _design_table(values, sub, pass_, design, indicator, gv, levels, share) -> dict:
    """Design-based `table` row of one indicator x grouping over `levels` at one wave."""
    lay, totals, _ = pass_
    codes = pd.Categorical(sub[gv].astype(object).astype(str), categories=levels).codes
    codes = np.where(sub[gv].isna().to_numpy(), -1, codes).astype(np.int64)
    estimate, t = _influences(values[indicator], codes, lay.w, len(levels), share)
    cov = _covariance(t, lay, design)
    if share:
        n_h = psu_counts(lay, waves=True)
        return _rao_scott(estimate, cov, float(n_h["n_h"].sum() - len(n_h)))
    used = totals[
        (totals["indicator"] == indicator)
        & (totals["group_var"] == gv)
        & totals["group"].isin(levels)
    ]
    ddf = _model_df(used, lay.clustered)["model_df"].iloc[0]
    return _wald_f(estimate, cov, ddf)


def _table_rows(cells, values, sub, pass_, design, levels, min_group_n, measures):
    """The `table` rows of one wave: each indicator x grouping with two or more levels of at
    least `min_group_n` answers, tested across them."""
    ok = cells[cells["n"] >= min_group_n]
    rows = []
    for (indicator, gv), part in ok.groupby(["indicator", "group_var"], sort=False):
        order = [level for level in levels[gv] if level in set(part["group"])]
        if len(order) < 2:
            continue
        part = part.set_index("group").loc[order]
        share = measures[indicator] == "share"
        if design.design_based:
            found = _design_table(values, sub, pass_, design, indicator, gv, order, share)
        elif share:
            found = _chi_square_table(part["k"].to_numpy(), part["n"].to_numpy())
        else:
            found = _welch_anova(*(part[c].to_numpy(float) for c in ("n", "estimate", "sd")))
        rows.append(
            {"indicator": indicator, "group_var": gv, "n_a": part["n"].sum(), "note": "", **found}
        )
    return pd.DataFrame(rows).assign(comparison="table")


def _with_descriptives(cells, sub, values, ids, groupings) -> pd.DataFrame:
    """Simple random samples: the means and SDs of the mean indicators `ids` from
    `means.descriptives_by_indicator` (two-pass, exactly 0 when every answer is the same)."""
    frame = sub[["wave", *groupings]].assign(**{i: values[i] for i in ids})
    desc = descriptives_by_indicator(frame, ids, groupings, None, weighted_median=False)
    keys = ["indicator", "group_var", "group"]
    desc = desc[desc["group_var"].isin(groupings)][[*keys, "mean", "sd"]]
    out = cells.merge(desc.rename(columns={"sd": "two_pass_sd"}), on=keys, how="left")
    found = out["mean"].notna()
    out["estimate"] = out["mean"].where(found, out["estimate"]).astype(float)
    out["sd"] = out["two_pass_sd"].where(found, out["sd"]).astype(float)
    return out.drop(columns=["mean", "two_pass_sd"])


def _wave_rows(
    frame, data, ids, design, groupings, levels, wave, alpha, min_group_n, measures, country
) -> pd.DataFrame:
    """Every `pair` and `table` row of one wave (that wave's respondents as its design)."""
    at = np.flatnonzero((frame["wave"] == wave).to_numpy())
    sub = frame.iloc[at].reset_index(drop=True)
    values = _WaveValues(data, ids, at)
    if design.design_based:
        pass_ = design_pass(values, sub, design, groupings)
        check_variance_estimable(pass_[0], design, country)
        domains = pass_[2]
    else:
        pass_ = None
        lay = layout(sub, None, None, None)
        domains = domain_estimates(domain_totals(values, sub, lay, groupings, by_psu=False))
    cells = _domain_cells(domains, groupings)
    means = [i for i in ids if measures[i] == "mean"]
    if not design.design_based and means:
        cells = _with_descriptives(cells, sub, values, means, groupings)
    asked = [i for i in ids if i in set(domains["indicator"])]  # not asked at this wave: no rows
    if not asked:
        return pd.DataFrame()
    grid = _pair_grid(cells, asked, groupings, levels)
    pairs = _pair_rows(grid, wave, pass_, design, alpha, min_group_n, measures)
    tables = _table_rows(cells, values, sub, pass_, design, levels, min_group_n, measures)
    return pd.concat([pairs, tables], ignore_index=True).assign(wave=wave)


def _finished(rows, country, design, measures, units, ids, groupings, order):
    """Shares in percent / percentage points, design columns, measure and unit, report order
    (indicator, wave, grouping, pairs then the table), COMPARISON_COLUMNS."""
    rows["measure"] = rows["indicator"].map(measures)
    share = (rows["measure"] == "share").to_numpy()
    rows["unit"] = np.where(share, SHARE_UNIT, rows["indicator"].map(lambda i: units.get(i, "")))
    scale = np.where(share, 100.0, 1.0)
    for column in ("estimate_a", "estimate_b", "difference", "ci_low", "ci_high", "se"):
        rows[column] = rows[column].astype(float) * scale
    rows["note"] = rows["note"].fillna("").astype(str)
    blank = rows["note"].str.startswith(NOT_ESTIMABLE).to_numpy()
    stats_ = ["ci_low", "ci_high", "se", "df", "df_denominator", "statistic", "p_value"]
    rows.loc[blank, stats_] = np.nan
    rows["test"] = np.where(blank, "", rows["test"].fillna(""))
    for column, value in design.columns().items():
        rows[column] = value
    rank = {
        "indicator": {i: r for r, i in enumerate(ids)},
        "wave": {w: r for r, w in enumerate(order)},
        "group_var": {g: r for r, g in enumerate(groupings)},
        "comparison": {"pair": 0, "table": 1},
    }
    rows = rows.sort_values(
        list(rank), key=lambda s: s.map(rank[s.name]), kind="stable"
    ).reset_index(drop=True)
    return rows.reindex(columns=COMPARISON_COLUMNS)


def _judged(rows: pd.DataFrame, family: MultiplicityFamily | str, alpha: float) -> pd.DataFrame:
    """Holm and BH p-values over the `pair` rows (`multiplicity.adjust_pvalues`), `significant` =
    Holm p below alpha; `table` rows keep their raw p only."""
    pair = (rows["comparison"] == "pair").to_numpy()
    judged = with_significance(adjust_pvalues(rows[pair], family), alpha)
    rows["p_holm"], rows["p_bh"] = np.nan, np.nan
    rows["significant"] = None
    rows.loc[pair, "p_holm"] = judged["p_holm"].to_numpy()
    rows.loc[pair, "p_bh"] = judged["p_bh"].to_numpy()
    rows["holm_family"] = ""
    rows.loc[pair, "holm_family"] = judged["holm_family"].to_numpy()
    rows.loc[pair, "significant"] = judged["significant_holm"].to_numpy()
    return rows


def comparison_table(
    data: pd.DataFrame,
    ids: Sequence[str],
    country: str,
    design: Design,
    group_vars: Sequence[str] = ("sex",),
    alpha: float = DEFAULT_ALPHA,
    measures: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    min_group_n: int = DEFAULT_MIN_GROUP_N,
    family: MultiplicityFamily | str = "country",
    source: str | None = None,
) -> pd.DataFrame:
    """Every indicator's group comparisons at each wave (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents (person x wave): `wave`, the indicators (0/1 or numeric; NaN for no answer),
        the grouping variables, the arm and the design variables.
    ids : sequence of str
        The indicator columns in report order (those not in `data` are left out).
    country, design, source
        As `did.did_table` (the design's `arm`, when declared, is a grouping).
    group_vars : sequence of str
        The groupings (`estimate_groups`); those absent or with one level are left out.
    alpha : float
        1 - confidence level, and the level of `significant` (proportion).
    measures, units : mapping of str to str, optional
        Each indicator's measure ("share" or "mean"; default "share" when every answer is 0 or
        1) and each mean's unit.
    min_group_n, family
        Fewest answers of a level at a wave to be compared (the estimates' rule); the pair rows'
        Holm / BH family of the pair rows (`multiplicity.adjust_pvalues`).

    Returns
    -------
    pandas.DataFrame
        COMPARISON_COLUMNS: per indicator (given order) x wave (configured order) x grouping,
        the pair rows (difference = group_a - group_b with interval, se, test) and the table row.

    References
    ----------
    Newcombe (1998) Stat Med 17, 873-890; Welch (1947, 1951) Biometrika 34, 28-35, 38, 330-336;
    Rao & Scott (1984) Ann Stat 12, 46-60; Lumley (2010) Complex Surveys, ch. 5-6.
    """
    ids = [i for i in ids if i in data]
    frame, groupings, levels = _grouping_frame(data, design, group_vars, country, source)
    if not ids or len(data) == 0 or not groupings:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    measures = indicator_measures(data, ids, measures)
    order = wave_order(design, frame["wave"].dropna().unique())
    setting = (alpha, min_group_n, measures, country)
    parts = [_wave_rows(frame, data, ids, design, groupings, levels, w, *setting) for w in order]
    parts = [part for part in parts if len(part)]
    if not parts:  # no indicator asked at any wave
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    rows = _judged(pd.concat(parts, ignore_index=True).assign(country=country), family, alpha)
    return _finished(rows, country, design, measures, units or {}, ids, groupings, order)
