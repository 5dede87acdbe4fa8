"""Difference in differences with a comparison arm (issue 17): did.csv.

Public surface: `did_table(data, ids, country, design, alpha, measures, units, source)`; each
respondent's arm comes from `analysis.cleaning.arms.arm_labels`, the check the cleaning runs.

When a dataset's design declares an `arm` (a harmonised variable) and its `arm_levels` (the values
marking the programme and the comparison arm), every indicator and every comparison (from_wave,
to_wave) of `Design.comparisons` gets

    did = (to - from in the programme arm) - (to - from in the comparison arm),

shares in percentage points, means in the indicator's unit (`measure`, `unit`), with its
interval and test. Methods by design:
- independent cross-sections, clustered, stratified and/or weighted: the linearised contrast of the
  four domain means wave x arm with coefficients +1 (programme, to), -1 (programme, from), -1
  (comparison, to), +1 (comparison, from) (`shifts.linearised_contrast`), Wald t on the design's
  degrees of freedom minus 3: R `svyglm(y ~ wave * arm, design)`, the interaction coefficient, with
  strata = wave x stratum and PSUs nested in waves (`svydesign(strata = ~interaction(wave,
  stratum), nest = TRUE)`) unless `clusters_revisited`; normal quantiles with `ci_df: normal`;
- independent simple random samples: the same contrast on the stacked waves as one simple random
  sample, R `svyglm(y ~ wave * arm, svydesign(ids = ~1, data))` (as the trends);
- design-based panel: each matched person's change (to - from) compared between the arms, the
  linearised difference of the two arms' mean changes on the pair design (`shifts.pair_design`):
  R `svyglm(I(y2 - y1) ~ arm, pairs)`, the arm coefficient, t on its df;
- simple random panel: Welch's t of the matched changes between the arms (R `t.test(d ~ arm)`).
The `programme_*` and `comparison_*` columns are each arm's (weighted) levels in the two waves
(panels: of the matched pairs answering in both waves) and their change; `n_programme` and
`n_comparison` count the answers of each arm in the two waves (panels: the matched pairs).

Degenerate cells keep a row with empty statistics and a `note` starting "not estimable: ": an arm
without answers (or matched pairs) in a wave, no variance, a cell whose answers are all alike (its
linearised variance is 0, so the test would count only the other cells; as the shifts' women - men
rows), fewer than one degree of freedom. Without `arm` the table is header-only. A value of the
arm variable that is neither level (or missing), or a panel member whose arm changes between
waves, stops with an InputError naming the file, column and rows.

References
----------
Angrist, J. D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics, s5.2 (difference in
differences); Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, ch. 5 (R
`svyglm`); Binder, D. A. (1983). International Statistical Review 51, 279-292; Welch, B. L.
(1947). Biometrika 34, 28-35.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.cleaning.arms import ARMS, arm_labels
from analysis.model import DEFAULT_ALPHA
from analysis.survey.design import DESIGN_COLUMNS, Design
from analysis.survey.domains import (
    design_pass,
    domain_estimates,
    domain_totals,
    indicator_values,
    layout,
)
from analysis.survey.estimates import NOT_ESTIMABLE, check_variance_estimable, wave_order
from analysis.survey.means import descriptives_by_indicator, welch_rows
from analysis.survey.shifts import (
    compared_waves,
    linearised_contrast,
    matched_pairs,
    pair_design,
    with_pair_weight_note,
)

DID_COLUMNS = [
    "country",
    "indicator",
    "measure",
    "unit",
    *DESIGN_COLUMNS,
    "from_wave",
    "to_wave",
    "programme_from",
    "programme_to",
    "programme_change",
    "comparison_from",
    "comparison_to",
    "comparison_change",
    "did",
    "ci_low",
    "ci_high",
    "se",
    "df",
    "statistic",
    "p_value",
    "test",
    "n_programme",
    "n_comparison",
    "note",
]
ARM = "_did_arm"  # the respondents' arm, "programme" or "comparison", as a grouping column
LEVELS = [f"{arm}_{side}" for arm in ARMS for side in ("from", "to")]
CONTRAST_KEYS = ["wave", "group_var", "group"]
STATISTICS = ["did", "var", "df", "statistic", "p_value", "ci_low", "ci_high", "test", "note"]
SHARE_UNIT = "percentage points"


def _arm_frame(data: pd.DataFrame, ids: list[str], design: Design, labels: np.ndarray):
    """The columns the contrasts read (wave, design variables, panels also the indicators) and the
    arm as `ARM`."""
    named = (design.cluster, design.weight, design.strata, design.fpc)
    panel = (design.panel_key, design.panel_weight, *ids) if design.is_panel else ()
    columns = list(dict.fromkeys(["wave", *[c for c in (*named, *panel) if c]]))
    frame = data[columns].copy()
    frame[ARM] = labels
    return frame


def _alike_notes(domains: pd.DataFrame, cells: pd.DataFrame) -> pd.Series:
    """Per indicator, the contrast's cells whose answers are all alike (n sum(y^2) = (sum y)^2):
    "the programme arm in wave '2019' (every answer 0)"; such a cell adds no linearised
    variance."""
    d = domains.merge(cells, on=CONTRAST_KEYS)
    alike = d[np.isclose(d["n"] * d["k2"], d["k"] ** 2, rtol=1e-12, atol=0)]
    if alike.empty:
        return pd.Series(dtype=object)
    where = np.where(
        alike["wave"] == "change",
        "",
        " in wave '" + alike["wave"].astype(str) + "'",
    )
    what = np.where(alike["wave"] == "change", "every matched change", "every answer")
    value = (alike["k"] / alike["n"]).map("{:.6g}".format)
    text = "the " + alike["group"].astype(str) + " arm" + where + " (" + what + " " + value + ")"
    return pd.Series(text.to_numpy(), index=alike.index).groupby(alike["indicator"]).agg("; ".join)


def _contrast_rows(pass_, coef: dict, design: Design, alpha: float, kind: str) -> pd.DataFrame:
    """The linearised contrast `coef` per indicator (`shifts.linearised_contrast`) as STATISTICS
    (proportion / the indicator's unit; `var` its variance), with no test where the variance is 0
    or a cell's answers are all alike (`_alike_notes`)."""
    out, domains = linearised_contrast(pass_, alpha, ["indicator"], CONTRAST_KEYS, coef, design)
    cells = pd.DataFrame(list(coef), columns=CONTRAST_KEYS)
    alike = out["indicator"].map(_alike_notes(domains, cells))
    zero = (out["var"] <= 0).to_numpy()
    hit = alike.notna().to_numpy() & ~zero
    out = out.assign(
        did=out["estimate"],
        ci_low=out["diff_ci_low"] / 100,  # the engine reports its intervals x 100
        ci_high=out["diff_ci_high"] / 100,
        test=out["test"].str.replace("linearised", kind),
    )
    if not design.design_based:  # the linearisation of a simple random sample
        out["test"] = out["test"].str.replace("design-based ", "")
    out.loc[zero, "note"] = (
        NOT_ESTIMABLE + "the difference in differences has no design variance, so no test or"
        " interval"
    )
    out.loc[hit, "note"] = (
        NOT_ESTIMABLE
        + alike[hit].astype(str)
        + " adds no design variance, so the linearised variance would count only the other"
        " cells and there is no test or interval"
    )
    return out[["indicator", *STATISTICS]]


def _independent_rows(pass_, design: Design, alpha: float, waves: tuple[str, str]):
    """Independent cross-sections: the wave x arm interaction per indicator (STATISTICS), and
    each arm's level and answers per wave."""
    first, last = waves
    coef = {
        (last, ARM, ARMS[0]): 1.0,
        (first, ARM, ARMS[0]): -1.0,
        (last, ARM, ARMS[1]): -1.0,
        (first, ARM, ARMS[1]): 1.0,
    }
    body = _contrast_rows(pass_, coef, design, alpha, "wave x arm interaction, linearised")
    d = pass_[2]
    d = d[(d["group_var"] == ARM) & d["wave"].isin(waves)]
    d = d.assign(column=d["group"] + "_" + d["wave"].map({first: "from", last: "to"}))
    return body, _levels_frame(d, d)


def _levels_frame(d: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    """Per indicator the LEVELS (`p` of the rows of `d` by `column`) and n_programme,
    n_comparison (`n` of `counted` summed by arm)."""
    if d.empty:
        return pd.DataFrame(columns=["indicator", *LEVELS, "n_programme", "n_comparison"])
    levels = d.pivot_table(index="indicator", columns="column", values="p", aggfunc="sum")
    counts = counted.pivot_table(index="indicator", columns="group", values="n", aggfunc="sum")
    counts = counts.reindex(columns=list(ARMS)).fillna(0).add_prefix("n_")
    return levels.reindex(columns=LEVELS).join(counts, how="outer").reset_index()


def _pair_levels(persons: pd.DataFrame, yb: dict, ye: dict, weight: str | None) -> pd.DataFrame:
    """Panels: each arm's (weighted) mean in both waves over the pairs answering in both, and the
    number of such pairs, per indicator (LEVELS, n_programme, n_comparison)."""
    lay = layout(persons, None, weight, None)
    parts = []
    for side, answers in (("from", yb), ("to", ye)):
        both = {i: np.where(np.isnan(yb[i]) | np.isnan(ye[i]), np.nan, answers[i]) for i in yb}
        d = domain_estimates(domain_totals(both, persons, lay, [ARM], by_psu=False))
        d = d[d["group_var"] == ARM]
        parts.append(d.assign(column=d["group"] + "_" + side))
    return _levels_frame(pd.concat(parts, ignore_index=True), parts[0])


def _welch_change_rows(
    persons: pd.DataFrame, change: dict, ids: list[str], alpha: float
) -> pd.DataFrame:
    """Simple random panel: Welch's t of the matched changes, programme - comparison, per
    indicator (`means.welch_rows` with the comparison arm as "from" and the programme as "to")."""
    changes = persons[[ARM]].assign(wave="change", **change)
    desc = descriptives_by_indicator(changes, ids, [ARM], None, weighted_median=False)
    desc = desc[desc["group_var"] == ARM]
    sides = {ARMS[1]: "from", ARMS[0]: "to"}  # the comparison arm as "from", the programme as "to"
    wide = desc.set_index(["indicator", "group"])[["n", "mean", "sd"]].unstack("group")
    wide.columns = [f"{sides[arm]}_{stat}" for stat, arm in wide.columns]
    columns = ["from_n", "from_mean", "from_sd", "to_n", "to_mean", "to_sd"]
    cells = wide.reindex(index=ids, columns=columns).rename_axis("indicator").reset_index()
    cells = cells.fillna({"from_n": 0, "to_n": 0})
    both = cells[(cells["from_n"] > 0) & (cells["to_n"] > 0)]
    out = welch_rows(both, alpha)
    few = (out["from_n"] < 2) | (out["to_n"] < 2)
    out["note"] = np.where(
        out["p_value"].notna(),
        "",
        NOT_ESTIMABLE
        + np.where(
            few,
            "fewer than two matched pairs in an arm",
            "every matched person's change is the same value in both arms",
        )
        + ", so no test or interval",
    )
    out = out.assign(
        did=out["diff"],
        var=out["from_sd"] ** 2 / out["from_n"] + out["to_sd"] ** 2 / out["to_n"],
        test=np.where(out["p_value"].notna(), "Welch t of the matched changes, by arm", ""),
    )
    return out[["indicator", *STATISTICS]]


def _panel_rows(
    frame: pd.DataFrame,
    ids: list[str],
    design: Design,
    alpha: float,
    waves: tuple[str, str],
    country: str,
):
    """Panels: each matched person's change compared between the arms per indicator
    (STATISTICS), and each arm's matched-pair levels (`_pair_levels`)."""
    persons, yb, ye = matched_pairs(frame, ids, design, [ARM], waves)
    change = {i: ye[i] - yb[i] for i in ids}
    pair = pair_design(design)
    levels = _pair_levels(persons, yb, ye, pair.weight if design.design_based else None)
    if not design.design_based:
        return _welch_change_rows(persons, change, ids, alpha), levels
    pass_ = design_pass(change, persons, pair, [ARM])
    scope = f"among the respondents matched between waves '{waves[0]}' and '{waves[1]}'"
    check_variance_estimable(pass_[0], pair, country, scope=scope)
    coef = {("change", ARM, ARMS[0]): 1.0, ("change", ARM, ARMS[1]): -1.0}
    kind = "difference in mean matched change between arms, linearised"
    body = _contrast_rows(pass_, coef, pair, alpha, kind)
    return with_pair_weight_note(body, design, waves), levels


def _absent_note(rows: pd.DataFrame, waves: tuple[str, str], panel: bool) -> pd.Series:
    """Why a row has no estimate: the arms and waves without answers (panels: an arm without
    matched pairs)."""
    if panel:
        missing = [
            (rows[f"n_{arm}"].fillna(0) == 0, f"no matched pairs in the {arm} arm") for arm in ARMS
        ]
    else:
        missing = [
            (rows[f"{arm}_{side}"].isna(), f"no answers in the {arm} arm in wave '{wave}'")
            for arm in ARMS
            for side, wave in zip(("from", "to"), waves)
        ]
    text = pd.Series("", index=rows.index, dtype=object)
    for mask, what in missing:
        text = text.where(~mask, np.where(text == "", what, text + "; " + what))
    return (
        NOT_ESTIMABLE + text.where(text != "", "no estimate") + ", so no difference in differences"
    )


def _comparison(
    frame: pd.DataFrame,
    ids: list[str],
    design: Design,
    alpha: float,
    waves: tuple[str, str],
    country: str,
    pass_,
) -> pd.DataFrame:
    """Every indicator's row of one comparison: its statistics where the design gives them, each
    arm's levels and answers, and a note where an arm or wave has no answers."""
    if design.is_panel:
        body, levels = _panel_rows(frame, ids, design, alpha, waves, country)
    else:
        body, levels = _independent_rows(pass_, design, alpha, waves)
    rows = pd.DataFrame({"indicator": ids}).merge(levels, on="indicator", how="left")
    rows = rows.merge(body, on="indicator", how="left")
    absent = rows["did"].isna().to_numpy() & rows["note"].isna().to_numpy()
    rows.loc[absent, "note"] = _absent_note(rows[absent], waves, design.is_panel)
    rows["from_wave"], rows["to_wave"] = waves
    return rows


def _finished(
    rows: pd.DataFrame,
    country: str,
    design: Design,
    measures: Mapping[str, str],
    units: Mapping[str, str],
) -> pd.DataFrame:
    """Changes, shares in percentage points, se, empty statistics on not-estimable rows, design
    columns, measure and unit, DID_COLUMNS."""
    rows["measure"] = rows["indicator"].map(measures)
    share = (rows["measure"] == "share").to_numpy()
    rows["unit"] = np.where(share, SHARE_UNIT, rows["indicator"].map(lambda i: units.get(i, "")))
    rows["se"] = np.sqrt(rows["var"].astype(float))
    scale = np.where(share, 100.0, 1.0)
    for column in [*LEVELS, "did", "ci_low", "ci_high", "se"]:
        rows[column] = rows[column].astype(float) * scale
    for arm in ARMS:
        rows[f"{arm}_change"] = rows[f"{arm}_to"] - rows[f"{arm}_from"]
    rows["did"] = rows["did"].fillna(rows["programme_change"] - rows["comparison_change"])
    rows["note"] = rows["note"].fillna("")
    blank = rows["note"].str.startswith(NOT_ESTIMABLE).to_numpy()
    rows.loc[blank, ["se", "ci_low", "ci_high", "statistic", "p_value"]] = np.nan
    rows.loc[blank, "test"] = ""
    rows["test"] = rows["test"].fillna("")
    rows["country"] = country
    for column, value in design.columns().items():
        rows[column] = value
    return rows[DID_COLUMNS].reset_index(drop=True)


def _independent_pass(
    data: pd.DataFrame, frame: pd.DataFrame, ids: list[str], design: Design, country: str
):
    """Independent cross-sections: (the design pass of the indicators by arm, the design the
    contrasts use); simple random samples as the stacked waves in one sample without strata (R
    `svydesign(ids = ~1)`). Panels: (None, `design`)."""
    if design.is_panel:
        return None, design
    if not design.design_based:
        design = design.model_copy(update={"clusters_revisited": True})
    pass_ = design_pass(indicator_values(data, ids), frame, design, [ARM])
    check_variance_estimable(pass_[0], design, country)
    return pass_, design


def measures_of_answers(
    data: pd.DataFrame, ids: list[str], given: Mapping[str, str] | None
) -> dict[str, str]:
    """Each indicator's measure: as `given`, else "share" when every answer is 0 or 1."""
    given = dict(given or {})
    found = {}
    for i, y in indicator_values(data, [i for i in ids if i not in given]).items():
        found[i] = "share" if np.isin(y[~np.isnan(y)], [0.0, 1.0]).all() else "mean"
    return {i: given.get(i) or found[i] for i in ids}


def did_table(
    data: pd.DataFrame,
    ids: Sequence[str],
    country: str,
    design: Design,
    alpha: float = DEFAULT_ALPHA,
    measures: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """The difference in differences, programme - comparison arm, of every indicator and
    comparison (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents (person x wave): `wave`, the indicators (0/1 shares or numeric means; NaN for
        no answer), the arm and the design variables.
    ids : sequence of str
        The indicator columns in report order (those not in `data` are left out).
    country : str
        Country code (the `country` column; the config file named in errors).
    design : Design
        Its `arm` and `arm_levels` (no arm: header-only table) and sampling design.
    alpha : float
        1 - confidence level (proportion).
    measures, units : mapping of str to str, optional
        Each indicator's measure, "share" (in percentage points) or "mean" (default: "share" when
        every answer is 0 or 1), and each mean's unit.
    source : str, optional
        The respondent file errors name (default: the country config).

    Returns
    -------
    pandas.DataFrame
        DID_COLUMNS per comparison (configured order) x indicator (given order): each arm's levels
        and change, did with its interval, se and test (shares in percentage points, means in
        their unit), df, p_value, answers (pairs) per arm, note.

    References
    ----------
    Angrist, J. D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics, s5.2; Lumley, T.
    (2010). Complex Surveys, ch. 5 (R `svyglm(y ~ wave * arm)`, `svyglm(I(y2 - y1) ~ arm)`);
    Welch, B. L. (1947). Biometrika 34, 28-35 (R `t.test(d ~ arm)`).
    """
    ids = [i for i in ids if i in data]
    if not design.arm or not ids or len(data) == 0:
        return pd.DataFrame(columns=DID_COLUMNS)
    frame = _arm_frame(data, ids, design, arm_labels(data, design, country, source))
    comparisons = compared_waves(design, wave_order(design, frame["wave"].dropna().unique()))
    if not comparisons:
        return pd.DataFrame(columns=DID_COLUMNS)
    pass_, design = _independent_pass(data, frame, ids, design, country)
    parts = [_comparison(frame, ids, design, alpha, w, country, pass_) for w in comparisons]
    rows = pd.concat(parts, ignore_index=True)
    return _finished(rows, country, design, measures_of_answers(data, ids, measures), units or {})
