"""Composition-adjusted change (issue 17): adjusted.csv, the crude change beside the change at a
fixed composition of the sample.

Public surface: `adjusted_table(data, ids, country, design, standardise_by, standard, alpha,
measures, units)`.

A crude change between two waves mixes the change within people alike with a change in who was
asked (e.g. 12% men at baseline, 34% at endline). For every indicator and every comparison
(from_wave, to_wave) of `Design.comparisons` the table gives, shares in percentage points, means in
the indicator's unit:
- `crude_change`: to - from over everyone answering (the overall change of shifts.csv /
  mean_shifts.csv) with the Wald interval of its linearisation (R `svyglm(y ~ wave)`);
- `standardised_change`: direct standardisation. The cells are the combinations of the
  `standardise_by` variables (harmonised variables, e.g. sex x age band); each wave's level is
  sum_c s_c ybar_c, its cell means weighted by the standard composition s (`standard`: the
  to-wave's weighted composition of the respondents answering the indicator, "last"; the
  from-wave's, "first"; both waves' together, "pooled"). Its linearised variance treats s as
  fixed: the contrast sum_c s_c (ybar_to,c - ybar_from,c) of the wave x cell domain means
  (`shifts.linearised_contrast`), R `svycontrast(svyby(~y, ~interaction(wave, cell), design,
  svymean, covmat = TRUE), s)` (= R `svystandardize(design, by = ~cell, over = ~wave, population =
  s)`), t on the design df minus the 2C - 1 extra cell parameters (R `svyglm(y ~ wave * cell)`);
  simple random samples as `svydesign(ids = ~1)`;
- the model-adjusted change: y ~ wave + the standardise_by variables (factors) on the two waves
  stacked, a survey-weighted logistic model for shares (R `svyglm(family = quasibinomial())`:
  `odds_ratio` of the to-wave with its interval, and `ame`, the average marginal effect of the wave,
  the weighted mean over the stacked sample of p(to) - p(from), in percentage points) and a linear
  model for means (`ame` = the wave coefficient). The sandwich variance is R svyglm's: the
  influence X w (y - mu) (X'WX)^-1 totalled by PSU, its design variance with strata, n_h/(n_h - 1)
  and fpc (`domains.variance_from_moments`); the AME's by the delta method; t on df = PSUs - strata
  + 1 - parameters.
- `subgroup_min`, `subgroup_max`: the smallest and largest change within a single level of one
  standardise_by variable (e.g. women, men); `crude_flag` is True when the crude change lies outside
  [subgroup_min, subgroup_max] or differs from the standardised change by more than the
  standardised interval's half-width, and `flag_reason` says which, in words.

Panels: each matched pair has one composition (its first-wave record's cells), the same in both
waves, so every standard is the pairs' own composition (`standard` = "matched pairs") and the
standardised change equals the crude paired change (its variance, with the composition fixed, is
the linearised variance of sum_c s_c dbar_c on the pair design); the model is fitted to the matched
pairs stacked over the two waves, PSU = the design's cluster or else the person (R `svyglm(y ~ wave
+ sex, svydesign(ids = ~person))`), so each person's two answers covary.

Degenerate cells keep their row with the statistic empty and `note` "not estimable: ...": a
weighted cell of the standard without answers in a wave, a cell whose answers are all alike (no
linearised variance), no variance, every answer alike in a wave or a fitted probability of 0 or 1
(logistic separation), fewer than one degree of freedom.

References
----------
Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical Methods for Rates and Proportions, 3rd
ed., ch. 19 (direct standardisation); Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using
R, s4.3 (`svystandardize`) and ch. 5 (`svyglm`); Binder, D. A. (1983). International Statistical
Review 51, 279-292 (sandwich variance of survey estimating equations); Graubard, B. I. & Korn, E.
L. (1999). Biometrics 55, 652-659 (predictive margins).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from analysis.model import ALL, DEFAULT_ALPHA, OVERALL
from analysis.survey.design import DESIGN_COLUMNS, Design
from analysis.survey.domains import (
    combine_codes,
    design_pass,
    indicator_values,
    layout,
    psu_counts,
    variance_from_moments,
)
from analysis.survey.estimates import NOT_ESTIMABLE, check_variance_estimable, wave_order
from analysis.survey.shifts import (
    compared_waves,
    linearised_contrast,
    matched_pairs,
    pair_design,
    with_pair_weight_note,
)

ADJUSTED_COLUMNS = [
    "country",
    "indicator",
    "measure",
    "unit",
    *DESIGN_COLUMNS,
    "from_wave",
    "to_wave",
    "standardise_by",
    "standard",
    "crude_change",
    "crude_ci_low",
    "crude_ci_high",
    "standardised_change",
    "std_ci_low",
    "std_ci_high",
    "std_se",
    "std_p_value",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "ame",
    "ame_ci_low",
    "ame_ci_high",
    "ame_se",
    "model_p_value",
    "model_df",
    "subgroup_min",
    "subgroup_max",
    "crude_flag",
    "flag_reason",
    "n_from",
    "n_to",
    "note",
]
Standard = Literal["last", "first", "pooled"]
CELL = "_adjusted_cell"  # the combination of the standardise_by levels, as a grouping column
KEYS = ["wave", "group_var", "group"]
SHARE_UNIT = "percentage points"
SCALED = [  # in percentage points for shares
    "crude_change",
    "crude_ci_low",
    "crude_ci_high",
    "standardised_change",
    "std_ci_low",
    "std_ci_high",
    "std_se",
    "ame",
    "ame_ci_low",
    "ame_ci_high",
    "ame_se",
    "subgroup_min",
    "subgroup_max",
]


def cell_labels(data: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Each respondent's cell: the standardise_by values joined by " x " ("Female x 36-50"), None
    where any of them is missing."""
    parts = [data[v].astype(object) for v in by]
    missing = np.logical_or.reduce([p.isna().to_numpy() for p in parts])
    label = parts[0].astype(str)
    for p in parts[1:]:
        label = label + " x " + p.astype(str)
    return label.where(~missing, None)


def _frame(data: pd.DataFrame, ids: list[str], design: Design, by: list[str]) -> pd.DataFrame:
    """The columns the contrasts and models read (wave, design variables, the standardise_by
    variables as text, panels also the indicators) and the cell as `CELL`."""
    named = (design.cluster, design.weight, design.strata, design.fpc)
    panel = (design.panel_key, design.panel_weight, *ids) if design.is_panel else ()
    columns = list(dict.fromkeys(["wave", *[c for c in (*named, *panel) if c], *by]))
    frame = data[columns].copy()
    for v in by:
        frame[v] = frame[v].astype(str).astype(object).where(frame[v].notna(), None)
    frame[CELL] = cell_labels(frame, by)
    return frame


def _standard_weights(cells: pd.DataFrame, waves: tuple[str, str], standard: str) -> pd.Series:
    """The standard composition s_c (proportions summing to 1) from the cells' sums of weights
    per wave (`cells`: index cell, columns the waves)."""
    chosen = {"last": [waves[1]], "first": [waves[0]], "pooled": list(waves)}[standard]
    total = cells.reindex(columns=chosen).fillna(0).sum(axis=1)
    return total / total.sum()


def _alike(dom: pd.DataFrame) -> pd.Series:
    """The domains whose answers are all alike (n sum(y^2) = (sum y)^2)."""
    return pd.Series(np.isclose(dom["n"] * dom["k2"], dom["k"] ** 2, rtol=1e-12, atol=0))


def _contrast(pass_, coef: dict, design: Design, alpha: float) -> dict:
    """One indicator's linearised contrast (`shifts.linearised_contrast`) as estimate, var, df,
    p_value, ci_low, ci_high (proportion / unit) and its note."""
    out, _ = linearised_contrast(pass_, alpha, ["indicator"], KEYS, coef, design)
    if out.empty:
        return {}
    row = out.iloc[0]
    return {
        "estimate": row["estimate"],
        "var": row["var"],
        "df": row["df"],
        "p_value": row["p_value"],
        "ci_low": row["diff_ci_low"] / 100,
        "ci_high": row["diff_ci_high"] / 100,
        "note": row["note"] if isinstance(row["note"], str) else "",
    }


def _standardised(pass_, sides: dict, s: pd.Series, design: Design, alpha: float) -> dict:
    """One indicator's standardised change sum_c s_c sum_w sign_w ybar_w,c (dict:
    standardised_change, std_se, std_ci_low, std_ci_high, std_p_value, std_note) from its pass
    (`pass_`, this indicator only), `sides` the waves with their signs."""
    cells = pass_[2][pass_[2]["group_var"] == CELL]
    s = s[s > 0]
    present = set(zip(cells["group"], cells["wave"]))
    absent = [(c, w) for w in sides for c in s.index if (c, w) not in present]
    if absent:
        where = "; ".join(f"'{c}' in wave '{w}'" for c, w in absent)
        why = f"the standard gives weight to cells without answers ({where})"
        return {"std_note": NOT_ESTIMABLE + why + ", so no standardised change"}
    coef = {(w, CELL, c): sign * s[c] for c in s.index for w, sign in sides.items()}
    got = _contrast(pass_, coef, design, alpha)
    out = {"standardised_change": got["estimate"], "std_note": got["note"]}
    used = cells[cells["group"].isin(s.index) & cells["wave"].isin(list(sides))]
    alike = used[_alike(used).to_numpy()]
    if got["note"] or len(alike):
        if not got["note"]:
            inside = np.where(alike["wave"] == "change", "", " in wave '" + alike["wave"] + "'")
            named = "; ".join("'" + alike["group"] + "'" + inside)
            what = "matched changes" if (alike["wave"] == "change").all() else "answers"
            out["std_note"] = (
                f"{NOT_ESTIMABLE}the {what} of cell(s) {named} are all alike and add no"
                " linearised variance, so no standardised interval or test"
            )
        return out
    return out | {
        "std_se": np.sqrt(got["var"]),
        "std_ci_low": got["ci_low"],
        "std_ci_high": got["ci_high"],
        "std_p_value": got["p_value"],
    }


def _subgroups(dom: pd.DataFrame, waves: tuple[str, str], by: list[str]) -> dict:
    """The smallest and largest change within one level of one standardise_by variable (levels
    with answers in both waves)."""
    d = dom[dom["group_var"].isin(by) & dom["wave"].isin(waves)]
    wide = d.pivot_table(index=["group_var", "group"], columns="wave", values="p")
    wide = wide.reindex(columns=list(waves)).dropna()
    if wide.empty:
        return {}
    change = wide[waves[1]] - wide[waves[0]]
    return {"subgroup_min": change.min(), "subgroup_max": change.max()}


def _influence_variances(z: np.ndarray, keys: pd.DataFrame, sample: dict) -> tuple[list, int]:
    """(The design variance of the total of each column of the per-respondent influences `z`, R
    `svyrecvar`: PSU totals, sum over strata of f_h n_h/(n_h - 1) (s2 - s^2 / n_h); the PSUs with
    rows minus their strata, the design df)."""
    strata_keys = sample["strata_keys"]
    codes = ["wave_code", "stratum"] if "wave" in strata_keys else ["stratum"]
    columns = [keys[c].to_numpy() for c in [*codes, "psu"]]
    psu, first = combine_codes([(c, int(c.max()) + 1) for c in columns])
    stratum, head = combine_codes([(c[first], int(c.max()) + 1) for c in columns[:-1]])
    strata = keys.iloc[first[head]][strata_keys].reset_index(drop=True)
    out = []
    for column in z.T:
        t = np.bincount(psu, weights=column, minlength=len(first))
        moments = strata.assign(
            s=np.bincount(stratum, weights=t), s2=np.bincount(stratum, weights=t**2), estimate=0
        )
        var = variance_from_moments(
            moments, ["estimate"], sample["n_h"], strata_keys[:-1], sample["lonely"]
        )
        out.append(float(var.iloc[0]) if len(var) else 0.0)
    return out, len(first) - len(strata)


def _design_matrix(to: np.ndarray, covariates: pd.DataFrame) -> np.ndarray:
    """[1, to-wave, treatment dummies of each covariate (first sorted level the reference)]."""
    dummies = [np.ones(len(to)), to.astype(float)]
    for v in covariates:
        levels = np.sort(covariates[v].unique())
        dummies += [(covariates[v] == lev).to_numpy(dtype=float) for lev in levels[1:]]
    return np.column_stack(dummies)


def _fit(y: np.ndarray, x: np.ndarray, w: np.ndarray, share: bool):
    """Weighted GLM (statsmodels; logistic for shares, linear for means): (coefficients, the
    fitted means, the working weights w mu (1 - mu) or w), None when it cannot be fitted.

    The covariates are factors, so rows share few distinct x: the model is fitted to each distinct
    x's weighted mean answer with its sum of weights, whose weighted score sum W_g x_g (ybar_g -
    mu_g) is the respondents' sum w x (y - mu), so the coefficients are the same (McCullagh &
    Nelder 1989, s4.4: grouped binomial data)."""
    family = sm.families.Binomial() if share else sm.families.Gaussian()
    group, first = combine_codes([(x[:, j].astype(np.int64), 2) for j in range(x.shape[1])])
    if np.linalg.matrix_rank(x[first]) < x.shape[1]:
        return None
    total = np.bincount(group, weights=w)
    mean = np.bincount(group, weights=w * y) / total
    grouped = sm.GLM(mean, x[first], family=family, var_weights=total / total.mean())
    # a saturated grouped fit "predicts perfectly" its means and has no residual df for the scale
    # statsmodels estimates (unused); separation is judged on the respondents' own fitted values
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        beta = np.asarray(grouped.fit(tol=1e-12, maxiter=200, scale=1.0).params)
    mu = special.expit(x @ beta) if share else x @ beta
    return beta, mu, (w * mu * (1 - mu) if share else w)


def _model_sample(frame: pd.DataFrame, y: np.ndarray, waves: tuple[str, str]) -> np.ndarray:
    """The stacked two waves' respondents with an answer and every standardise_by value."""
    return np.isin(frame["wave"].to_numpy(), waves) & ~np.isnan(y) & frame[CELL].notna().to_numpy()


def _separation(y: np.ndarray, to: np.ndarray, mu: np.ndarray | None) -> str:
    """Why a logistic model has no finite odds ratio: a wave's answers all alike, or fitted
    probabilities of 0 or 1 (separation); '' otherwise."""
    for side, name in ((0, "from"), (1, "to")):
        answers = y[to == side]
        if answers.min() == answers.max():
            return f"every answer in the {name} wave is {answers[0]:.6g} (separation)"
    if mu is not None and (np.min(mu) < 1e-8 or np.max(mu) > 1 - 1e-8):
        return "some fitted probabilities are 0 or 1 (separation by the covariates)"
    return ""


def _model(sample: dict, share: bool, alpha: float, ci_df: str) -> dict:
    """The wave's model-adjusted change from `sample` (y, to, covariates, w, keys, strata_keys,
    n_h, lonely): odds_ratio with its interval (shares), ame with se and interval, the wave's
    p-value and df, or model_note."""
    y, to, w = sample["y"], sample["to"], sample["w"]
    if not (np.any(to == 0) and np.any(to == 1)):
        why = "a wave has no answers with every standardise_by value"
        return {"model_note": NOT_ESTIMABLE + why + ", so no model-adjusted change"}
    x = _design_matrix(to, sample["covariates"])
    if share and (why := _separation(y, to, None)):
        return {"model_note": NOT_ESTIMABLE + why + ", so no model-adjusted change"}
    fitted = _fit(y, x, w, share)
    if fitted is None:
        return {"model_note": NOT_ESTIMABLE + "the wave and the covariates are collinear"}
    beta, mu, work = fitted
    if share and (why := _separation(y, to, mu)):
        return {"model_note": NOT_ESTIMABLE + why + ", so no model-adjusted change"}
    influence = (x * (w * (y - mu))[:, None]) @ np.linalg.inv(x.T @ (x * work[:, None]))
    grad, ame = _ame_gradient(x, beta, w, share)
    z = np.column_stack([influence[:, 1], influence @ grad])
    var, design_df = _influence_variances(z, sample["keys"], sample)
    df = design_df + 1 - x.shape[1]
    if min(var) <= 0 or df < 1:
        why = "no design variance" if min(var) <= 0 else f"{df} degrees of freedom"
        return {"ame": ame, "model_df": df, "model_note": NOT_ESTIMABLE + why + " in the model"}
    q = stats.norm.ppf(1 - alpha / 2) if ci_df == "normal" else stats.t.ppf(1 - alpha / 2, df)
    se_b, se_ame = np.sqrt(var)
    tail = stats.norm.sf if ci_df == "normal" else (lambda t: stats.t.sf(t, df))
    out = {
        "ame": ame,
        "ame_se": se_ame,
        "ame_ci_low": ame - q * se_ame,
        "ame_ci_high": ame + q * se_ame,
        "model_p_value": 2 * tail(abs(beta[1]) / se_b),
        "model_df": df,
    }
    if share:
        out |= {
            "odds_ratio": np.exp(beta[1]),
            "or_ci_low": np.exp(beta[1] - q * se_b),
            "or_ci_high": np.exp(beta[1] + q * se_b),
        }
    return out


def _ame_gradient(x: np.ndarray, beta: np.ndarray, w: np.ndarray, share: bool):
    """(The gradient of the AME in the coefficients, the AME): the weighted mean of p(to) -
    p(from) over the sample, each row predicted as the to-wave and as the from-wave (logistic); the
    wave coefficient (linear)."""
    if not share:
        grad = np.zeros(len(beta))
        grad[1] = 1.0
        return grad, beta[1]
    x1, x0 = x.copy(), x.copy()
    x1[:, 1], x0[:, 1] = 1.0, 0.0
    p1, p0 = special.expit(x1 @ beta), special.expit(x0 @ beta)
    weight = w / w.sum()
    grad = ((p1 * (1 - p1) * weight)[:, None] * x1 - (p0 * (1 - p0) * weight)[:, None] * x0).sum(0)
    return grad, float(np.sum(weight * (p1 - p0)))


def _crude(pass_, sides: dict, design: Design, alpha: float) -> dict:
    """Per indicator, the crude change over everyone answering (the overall domains' contrast
    `sides`) with its linearised Wald interval (empty where the contrast has no variance)."""
    coef = {(w, OVERALL, ALL): sign for w, sign in sides.items()}
    out, _ = linearised_contrast(pass_, alpha, ["indicator"], KEYS, coef, design)
    tested = out["note"].fillna("").eq("").to_numpy()
    frame = pd.DataFrame(
        {
            "crude_change": out["estimate"].to_numpy(),
            "crude_ci_low": np.where(tested, out["diff_ci_low"] / 100, np.nan),
            "crude_ci_high": np.where(tested, out["diff_ci_high"] / 100, np.nan),
        },
        index=out["indicator"],
    )
    return frame.to_dict("index")


def _keys(lay) -> pd.DataFrame:
    """Every respondent's wave name, stratum and PSU codes (the strata and PSUs of a variance)."""
    return pd.DataFrame(
        {
            "wave": lay.waves[lay.wave],
            "wave_code": lay.wave,
            "stratum": lay.stratum,
            "psu": lay.psu,
        }
    )


def _sample(frame, y, mask, to, lay, design: Design, by: list[str]) -> dict:
    """The model's inputs for the respondents `mask`: answers, to-wave indicator, covariates,
    weights, strata and PSU keys, the PSU counts of the whole design and the lonely-PSU rule."""
    strata_keys = ["wave", "stratum"] if design.separate_waves else ["stratum"]
    return {
        "y": y[mask],
        "to": to[mask],
        "covariates": frame.loc[mask, by].reset_index(drop=True),
        "w": lay.w[mask],
        "keys": _keys(lay)[mask].reset_index(drop=True),
        "strata_keys": strata_keys,
        "n_h": psu_counts(lay, waves=design.separate_waves),
        "lonely": design.lonely_psu,
    }


def _independent_rows(frame, values, ids, design, alpha, waves, by, standard, pass_, shares):
    """Independent cross-sections: every indicator's crude, standardised and model-adjusted
    change between `waves` (dicts, proportions / units)."""
    lay, totals, domains = pass_
    sides = {waves[0]: -1.0, waves[1]: 1.0}
    to = (frame["wave"].to_numpy() == waves[1]).astype(float)
    crude = _crude(pass_, sides, design, alpha)
    rows = []
    for i in ids:
        one = (lay, totals[totals["indicator"] == i], domains[domains["indicator"] == i])
        dom = one[2]
        overall = dom[dom["group_var"] == OVERALL].set_index("wave")["n"]
        row = {"indicator": i, "n_from": overall.get(waves[0], 0), "n_to": overall.get(waves[1], 0)}
        if not (row["n_from"] and row["n_to"]):
            rows.append(row)
            continue
        cells = dom[dom["group_var"] == CELL]
        sums = cells.pivot_table(index="group", columns="wave", values="sum_w", aggfunc="sum")
        s = _standard_weights(sums, waves, standard)
        row |= crude.get(i, {}) | _standardised(one, sides, s, design, alpha)
        row |= _subgroups(dom, waves, by)
        mask = _model_sample(frame, values[i], waves)
        sample = _sample(frame, values[i], mask, to, lay, design, by)
        row |= _model(sample, shares[i], alpha, design.ci_df)
        rows.append(row)
    return rows


def _pair_model_sample(persons, yb, ye, i, design: Design, by: list[str]) -> dict:
    """The matched pairs answering both waves stacked (from, then to), PSU = the design's cluster
    or else the person, weighted by the pairs' weight (`shifts.pair_design`)."""
    pair = pair_design(design)
    both = ~np.isnan(yb[i]) & ~np.isnan(ye[i]) & persons[CELL].notna().to_numpy()
    long = pd.concat([persons.assign(wave="from"), persons.assign(wave="to")], ignore_index=True)
    lay = layout(long, pair.cluster or pair.panel_key, pair.weight, pair.strata, pair.fpc)
    mask = np.concatenate([both, both])
    y = np.concatenate([yb[i], ye[i]])
    to = np.repeat([0.0, 1.0], len(persons))
    return _sample(long, y, mask, to, lay, pair, by)


def _panel_rows(frame, ids, design, alpha, waves, by, country, shares):
    """Panels: each matched pair's one composition (module docstring): the crude and
    standardised change of the matched pairs' mean change and the model on the stacked pairs."""
    persons, yb, ye = matched_pairs(frame, ids, design, [*by, CELL], waves)
    change = {i: ye[i] - yb[i] for i in ids}
    pair = pair_design(design)
    pass_ = design_pass(change, persons, pair, [CELL, *by])
    if design.design_based:
        scope = f"among the respondents matched between waves '{waves[0]}' and '{waves[1]}'"
        check_variance_estimable(pass_[0], pair, country, scope=scope)
    lay, totals, domains = pass_
    crude = _crude(pass_, {"change": 1.0}, pair, alpha)
    rows = []
    for i in ids:
        one = (lay, totals[totals["indicator"] == i], domains[domains["indicator"] == i])
        dom = one[2]
        n = dom.loc[dom["group_var"] == OVERALL, "n"].sum()
        row = {"indicator": i, "n_from": n, "n_to": n}
        if not n:
            rows.append(row)
            continue
        cells = dom[dom["group_var"] == CELL].set_index("group")["sum_w"]
        row |= crude.get(i, {})
        row |= _standardised(one, {"change": 1.0}, cells / cells.sum(), pair, alpha)
        levels = dom[dom["group_var"].isin(by)]["p"]
        if len(levels):
            row |= {"subgroup_min": levels.min(), "subgroup_max": levels.max()}
        sample = _pair_model_sample(persons, yb, ye, i, design, by)
        row |= _model(sample, shares[i], alpha, design.ci_df)
        rows.append(row)
    return rows


def _flags(rows: pd.DataFrame, unit: pd.Series) -> pd.DataFrame:
    """`crude_flag` and `flag_reason`: the crude change outside the range of the subgroup changes,
    or further from the standardised change than the standardised interval's half-width."""
    tol = 1e-9 * (1 + rows["crude_change"].abs())
    outside = (rows["crude_change"] < rows["subgroup_min"] - tol) | (
        rows["crude_change"] > rows["subgroup_max"] + tol
    )
    half = (rows["std_ci_high"] - rows["std_ci_low"]) / 2
    gap = (rows["crude_change"] - rows["standardised_change"]).abs()
    beyond = gap > half
    fmt = "{:+.1f}".format
    reason_outside = (
        "the crude change "
        + rows["crude_change"].map(fmt)
        + " lies outside the subgroup changes ("
        + rows["subgroup_min"].map(fmt)
        + " to "
        + rows["subgroup_max"].map(fmt)
        + ")"
    )
    reason_beyond = (
        "the crude change differs from the standardised change "
        + rows["standardised_change"].map(fmt)
        + " by "
        + gap.map("{:.1f}".format)
        + " "
        + unit
        + ", more than the standardised interval's half-width "
        + half.map("{:.1f}".format)
    )
    both = np.where(outside & beyond, reason_outside + "; " + reason_beyond, "")
    reason = np.where(outside & ~beyond, reason_outside, both)
    reason = np.where(beyond & ~outside, reason_beyond, reason)
    return rows.assign(crude_flag=(outside | beyond).to_numpy(), flag_reason=reason)


def _notes(rows: pd.DataFrame, waves: tuple[str, str], panel: bool) -> pd.Series:
    """The row's notes joined: why there is no change (a wave without answers, no matched pairs),
    the standardised change's and the model's."""
    a, b = waves
    n_from, n_to = rows["n_from"].fillna(0), rows["n_to"].fillna(0)
    why = np.select(
        [(n_from == 0) & (n_to == 0), n_from == 0, n_to == 0],
        [
            f"no answers in waves '{a}' and '{b}'",
            f"no answers in wave '{a}'",
            f"no answers in wave '{b}'",
        ],
        "no answers",
    )
    if panel:
        why = np.full(len(rows), f"nobody matched between waves '{a}' and '{b}' answered in both")
    absent = np.where(rows["crude_change"].isna(), NOT_ESTIMABLE + why + ", so no change", "")
    parts = [pd.Series(absent, index=rows.index)]
    parts += [rows[c].astype(object).fillna("") for c in ("std_note", "model_note")]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined.where(p == "", joined.where(joined == "", joined + "; ") + p)
    return joined


def _finished(rows, country, design, by, standard, measures, units) -> pd.DataFrame:
    """Scaled changes (shares in percentage points), flags, units, design columns, notes."""
    rows = rows.reindex(columns=[*ADJUSTED_COLUMNS, "std_note", "model_note"])
    rows["measure"] = rows["indicator"].map(measures)
    share = (rows["measure"] == "share").to_numpy()
    rows["unit"] = np.where(share, SHARE_UNIT, rows["indicator"].map(lambda i: units.get(i, "")))
    for column in SCALED:
        rows[column] = rows[column].astype(float) * np.where(share, 100.0, 1.0)
    rows = _flags(rows, rows["unit"])
    rows["standardise_by"] = " x ".join(by)
    rows["standard"] = "matched pairs" if design.is_panel else standard
    rows["country"] = country
    for column, value in design.columns().items():
        rows[column] = value
    return rows


def _comparison(frame, values, ids, design, alpha, waves, country, setup) -> pd.DataFrame:
    """Every indicator's row of one comparison (`setup`: by, standard, shares, pass_)."""
    by, standard, shares, pass_ = setup
    if design.is_panel:
        rows = _panel_rows(frame, ids, design, alpha, waves, by, country, shares)
    else:
        rows = _independent_rows(
            frame, values, ids, design, alpha, waves, by, standard, pass_, shares
        )
    out = pd.DataFrame(rows).reindex(columns=[*ADJUSTED_COLUMNS, "std_note", "model_note"])
    out["from_wave"], out["to_wave"] = waves
    out["note"] = _notes(out, waves, design.is_panel)
    if design.is_panel and len(out):
        out = with_pair_weight_note(out, design, waves)
    return out


def adjusted_table(
    data: pd.DataFrame,
    ids: Sequence[str],
    country: str,
    design: Design,
    standardise_by: Sequence[str] = ("sex",),
    standard: Standard = "last",
    alpha: float = DEFAULT_ALPHA,
    measures: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The crude, standardised and model-adjusted change of every indicator and comparison
    (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents (person x wave): `wave`, the indicators (0/1 shares or numeric means; NaN for
        no answer), the standardise_by variables and the design variables.
    ids, country, design
        The indicator columns in report order (those not in `data` are left out); the country
        code (the `country` column; the config file named in errors); the sampling design.
    standardise_by : sequence of str
        The harmonised variables whose combinations are the standardisation cells and the model's
        covariates (default sex).
    standard : {"last", "first", "pooled"}
        The standard composition: the to-wave's, the from-wave's or both waves' weighted
        composition of the respondents answering the indicator (panels: the matched pairs').
    alpha : float
        1 - confidence level (proportion).
    measures, units : mapping of str to str, optional
        Each indicator's measure, "share" (percentage points) or "mean" (default: "share" when
        every answer is 0 or 1), and each mean's unit.

    Returns
    -------
    pandas.DataFrame
        ADJUSTED_COLUMNS per comparison (configured order) x indicator (given order); changes in
        percentage points (shares) or the indicator's unit, odds ratios as ratios, p-values and
        flags as described in the module docstring.

    References
    ----------
    Fleiss, Levin & Paik (2003), ch. 19; Lumley, T. (2010). Complex Surveys, s4.3 and ch. 5 (R
    `svystandardize`, `svyglm`); Binder (1983); Graubard & Korn (1999).
    """
    by = [v for v in standardise_by if v in data]
    ids = [i for i in ids if i in data]
    if not ids or not by or len(data) == 0:
        return pd.DataFrame(columns=ADJUSTED_COLUMNS)
    frame = _frame(data, ids, design, by)
    comparisons = compared_waves(design, wave_order(design, frame["wave"].dropna().unique()))
    if not comparisons:
        return pd.DataFrame(columns=ADJUSTED_COLUMNS)
    measures, values, design, pass_ = _prepared(data, frame, ids, design, by, measures, country)
    setup = (by, standard, {i: measures[i] == "share" for i in ids}, pass_)
    parts = [_comparison(frame, values, ids, design, alpha, w, country, setup) for w in comparisons]
    rows = pd.concat(parts, ignore_index=True)
    return _finished(rows, country, design, by, standard, measures, units or {})[ADJUSTED_COLUMNS]


def _prepared(data, frame, ids, design: Design, by, measures, country: str):
    """(Each indicator's measure, its answers, the design the contrasts use, the design pass of
    independent cross-sections or None): simple random samples as the stacked waves in one sample
    (R `svydesign(ids = ~1)`)."""
    from analysis.survey.did import indicator_measures

    values = indicator_values(data, ids)
    if design.is_panel:
        return indicator_measures(data, ids, measures), values, design, None
    if not design.design_based:
        design = design.model_copy(update={"clusters_revisited": True})
    pass_ = design_pass(values, frame, design, [CELL, *by])
    check_variance_estimable(pass_[0], design, country)
    return indicator_measures(data, ids, measures), values, design, pass_


def composition_flags(shifts: pd.DataFrame, adjusted: pd.DataFrame) -> pd.DataFrame:
    """The share or mean shifts with `composition_flag`: on each whole-sample row (group_var
    "overall") whose crude change adjusted.csv flags (`crude_flag`), the reason in words with the
    standardisation used; "" on every other row.

    Parameters
    ----------
    shifts : pandas.DataFrame
        shift_table or means.mean_shift_table output (indicator, group_var, from_wave, to_wave).
    adjusted : pandas.DataFrame
        adjusted_table output (ADJUSTED_COLUMNS).

    Returns
    -------
    pandas.DataFrame
        A copy of `shifts` with `composition_flag` (text) set (the tables' own column, or one
        inserted before the last column, `note`).
    """
    keys = ["indicator", "from_wave", "to_wave"]
    flagged = adjusted[adjusted["crude_flag"].astype(object).eq(True)].copy()
    flagged["composition_flag"] = (
        flagged["flag_reason"].astype(str)
        + " (standardised by "
        + flagged["standardise_by"].astype(str)
        + ", "
        + flagged["standard"].astype(str)
        + " composition: adjusted.csv)"
    )
    flagged[keys] = flagged[keys].astype(str)
    out = shifts.copy()
    found = out[keys].astype(str).merge(flagged[[*keys, "composition_flag"]], on=keys, how="left")
    text = found["composition_flag"].fillna("").to_numpy()
    flags = np.where((out["group_var"] == OVERALL).to_numpy(), text, "").astype(object)
    if "composition_flag" in out:
        out["composition_flag"] = flags
    else:
        out.insert(max(len(out.columns) - 1, 0), "composition_flag", flags)
    return out
