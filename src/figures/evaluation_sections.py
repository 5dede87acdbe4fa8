"""The report's evaluation sections of one country (issue 17): groups compared at each wave
(`comparisons.csv`, analysis.survey.comparisons), crude against composition-adjusted change
(`adjusted.csv`, analysis.survey.adjusted), the difference in differences between the programme
and comparison arms (`did.csv`, analysis.survey.did) and the power and minimum detectable change
for a next round (`power.csv`, analysis.survey.power).

`evaluation_sections(tables, labels, alpha, decimals)` returns one HTML fragment for report.html.
Its markup is in templates/evaluation_sections.html.j2, rendered with autoescape and `html.escape`
on every value (as report.py renders its parts), so text from config or data (labels, wave names,
notes) comes out literally. Numbers use the display tables' helpers (`tables.num`,
`tables.interval`, `tables.pvalue`, "–" when not estimable) and their numbered notes
(`tables.row_notes`). Shares are in percent and their changes in percentage points; means in
their unit.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .tables import (
    COMPOSITION_MARK,
    DEFAULT_PERCENT_DECIMALS,
    group_name,
    interval,
    note_texts,
    num,
    pvalue,
    row_notes,
    wave_text,
)
from .templating import TEMPLATES

OVERALL = "overall"
MEAN_DECIMALS = 2  # means, their differences and intervals, in the indicator's unit
COMPARISON_HEADERS = ["Indicator", "Wave", "Groups", "Values", "Difference", "CI", "Test", "p"]
COMPARISON_HEADERS += ["Holm p"]


def _label(labels: Mapping[str, str], indicator) -> str:
    return labels.get(str(indicator), str(indicator))


def _unit(row) -> str:
    """'pp' for a share's change, else the mean's unit."""
    return "pp" if row.measure == "share" else str(row.unit or "")


def _part(headers: list[str], rows: list[list[str]], notes: pd.Series, numeric_from: int) -> dict:
    """A table for the template: headers, rows (the last cell of each row takes its note's mark)
    and the numbered note lines."""
    marks = row_notes(notes.reset_index(drop=True))
    for row, mark in zip(rows, marks.marks):
        row[-1] = f"{row[-1]}{mark}"
    return {"headers": headers, "rows": rows, "notes": marks.lines, "numeric_from": numeric_from}


def _value(value, measure: str, decimals: int) -> str:
    """A group's level: '18.3%' for a share, '2.90' (MEAN_DECIMALS) for a mean."""
    return f"{num(value, decimals)}%" if measure == "share" else num(value, MEAN_DECIMALS)


def _difference(r, alpha: float, decimals: int) -> str:
    """A difference with its unit's decimals and a star when its Holm p is below alpha."""
    d = decimals if r.measure == "share" else MEAN_DECIMALS
    star = "*" if pd.notna(r.p_holm) and r.p_holm < alpha else ""
    return num(r.difference, d) + star


def _pair_row(r, labels, alpha: float, decimals: int) -> list[str]:
    """One two-group comparison: values, difference (pp or unit), interval, test, p, Holm p."""
    d = decimals if r.measure == "share" else MEAN_DECIMALS
    return [
        _label(labels, r.indicator),
        wave_text(r.wave),
        f"{group_name(r.group_a)} vs {group_name(r.group_b)}",
        " vs ".join(_value(v, r.measure, decimals) for v in (r.estimate_a, r.estimate_b)),
        f"{_difference(r, alpha, decimals)} {_unit(r)}".strip(),
        interval(r.ci_low, r.ci_high, " to ", d),
        str(r.test or "") or "–",
        pvalue(r.p_value),
        pvalue(r.p_holm),
    ]


def _levels_text(pairs: pd.DataFrame, measure: str, decimals: int) -> str:
    """The lowest and highest group level of a grouping from its pair rows: 'Above 60 51.2% to
    36–50 66.0%'."""
    levels = pd.concat(
        [
            pairs[["group_a", "estimate_a"]].set_axis(["group", "value"], axis=1),
            pairs[["group_b", "estimate_b"]].set_axis(["group", "value"], axis=1),
        ],
        ignore_index=True,
    ).dropna()
    if levels.empty:
        return "–"
    low, high = levels.loc[levels["value"].idxmin()], levels.loc[levels["value"].idxmax()]
    return (
        f"{group_name(low.group)} {_value(low.value, measure, decimals)} to "
        f"{group_name(high.group)} {_value(high.value, measure, decimals)}"
    )


def _table_row(r, pairs: pd.DataFrame, labels, decimals: int) -> list[str]:
    """A test across all groups of a grouping (3+ groups): the range of the group levels and the
    whole-table test (Rao-Scott F, chi-square, Welch ANOVA or Wald F) with its p."""
    stat = "" if pd.isna(r.statistic) else f" = {num(r.statistic, 2)}"
    return [
        _label(labels, r.indicator),
        wave_text(r.wave),
        f"{r.group_var}: {len(set(pairs['group_a']) | set(pairs['group_b']))} groups",
        _levels_text(pairs, r.measure, decimals),
        "–",
        "–",
        f"{r.test or '–'}{stat}",
        pvalue(r.p_value),
        "–",
    ]


def comparisons_view(
    table: pd.DataFrame, labels: Mapping[str, str], alpha: float, decimals: int
) -> list[dict]:
    """One table per grouping of the group comparisons at each wave (comparisons.csv): a grouping
    of two groups by its difference with interval, test, p and Holm p; a grouping of more groups by
    the range of its levels and its whole-table test (every pair is in comparisons.csv)."""
    if not len(table):
        return []
    parts = []
    for group_var, rows in table.groupby("group_var", sort=False):
        pairs, tests = rows[rows["comparison"] == "pair"], rows[rows["comparison"] == "table"]
        two = pairs.groupby(["indicator", "wave"], sort=False).size().max() == 1
        if two or tests.empty:
            body = [_pair_row(r, labels, alpha, decimals) for r in pairs.itertuples()]
            notes = note_texts(pairs)
        else:
            keys = ["indicator", "wave"]
            by_cell = dict(list(pairs.groupby(keys, sort=False)))
            empty = pairs.iloc[:0]
            body = [
                _table_row(r, by_cell.get((r.indicator, r.wave), empty), labels, decimals)
                for r in tests.itertuples()
            ]
            notes = note_texts(tests)
        part = _part(COMPARISON_HEADERS, body, notes, 3)
        parts.append(part | {"group_var": str(group_var), "open": not parts})
    return parts


def _with_interval(value, low, high, decimals: int) -> str:
    """'+4.1 (−4.0 to 12.2)': a change and its interval, "–" when not estimable."""
    if pd.isna(value):
        return "–"
    return f"{num(value, decimals)} ({interval(low, high, ' to ', decimals)})"


def adjusted_view(table: pd.DataFrame, labels: Mapping[str, str], decimals: int) -> dict | None:
    """Crude against composition-adjusted change (adjusted.csv): per comparison and indicator the
    crude change, the change standardised to one composition, the model-adjusted average marginal
    effect and odds ratio, the range of the subgroups' changes and the flag; None without rows."""
    if not len(table):
        return None
    rows = []
    for r in table.itertuples():
        d = decimals if r.measure == "share" else MEAN_DECIMALS
        flagged = str(r.crude_flag).strip().lower() in ("true", "1", "1.0")
        rows.append(
            [
                _label(labels, r.indicator),
                f"{wave_text(r.from_wave)} → {wave_text(r.to_wave)}",
                _unit(r),
                _with_interval(r.crude_change, r.crude_ci_low, r.crude_ci_high, d)
                + (f" {COMPOSITION_MARK}" if flagged else ""),
                _with_interval(r.standardised_change, r.std_ci_low, r.std_ci_high, d),
                _with_interval(r.ame, r.ame_ci_low, r.ame_ci_high, d),
                _with_interval(r.odds_ratio, r.or_ci_low, r.or_ci_high, 2),
                interval(r.subgroup_min, r.subgroup_max, " to ", d),
                str(r.flag_reason) if flagged and pd.notna(r.flag_reason) else "",
            ]
        )
    headers = ["Indicator", "Waves", "Unit", "Crude change", "Standardised change"]
    headers += ["Model-adjusted change", "Odds ratio", "Subgroup changes", "Flag"]
    first = table.iloc[0]
    part = _part(headers, rows, note_texts(table), 3)
    return part | {"by": str(first.standardise_by), "standard": str(first.standard)}


def did_view(
    table: pd.DataFrame, labels: Mapping[str, str], alpha: float, decimals: int
) -> dict | None:
    """The difference-in-differences table: per comparison and indicator, each arm's change, the
    difference in differences with its interval, p and Holm p (* = Holm p < alpha); None without
    rows."""
    if not len(table):
        return None
    rows = [
        [
            _label(labels, r.indicator),
            f"{wave_text(r.from_wave)} → {wave_text(r.to_wave)}",
            _unit(r),
            num(r.programme_change, decimals),
            num(r.comparison_change, decimals),
            num(r.did, decimals) + ("*" if pd.notna(r.p_holm) and r.p_holm < alpha else ""),
            interval(r.ci_low, r.ci_high, " to ", decimals),
            pvalue(r.p_value),
            pvalue(r.p_holm),
            f"{int(r.n_programme)} / {int(r.n_comparison)}",
        ]
        for r in table.itertuples()
    ]
    headers = ["Indicator", "Waves", "Unit", "Programme change", "Comparison change"]
    confidence = f"{100 * (1 - alpha):g}% CI"
    headers += [
        "Difference in differences",
        confidence,
        "p",
        "Holm p",
        "n (programme / comparison)",
    ]
    return _part(headers, rows, note_texts(table), 3)


def power_view(table: pd.DataFrame, labels: Mapping[str, str], decimals: int) -> dict | None:
    """The power table, whole-sample rows only (power.csv has every group): per indicator the
    last wave's n, design effect and value, the change detectable at the configured power and the
    respondents per wave a target change needs; None without rows."""
    overall = table[table["group_var"] == OVERALL] if len(table) else table
    if not len(overall):
        return None
    rows = [
        [
            _label(labels, r.indicator),
            wave_text(r.wave),
            f"{int(r.n)}",
            num(r.deff, 2),
            num(r.value, decimals) + ("%" if r.measure == "share" else ""),
            f"{num(r.mdc, decimals)} {_unit(r)}".strip(),
            f"{num(r.target_change, decimals)} {_unit(r)}".strip(),
            "–" if pd.isna(r.n_needed_per_wave) else f"{int(r.n_needed_per_wave):,}",
        ]
        for r in overall.itertuples()
    ]
    headers = ["Indicator", "Wave", "n", "Design effect", "Value", "Detectable change"]
    headers += ["Target change", "Respondents per wave for the target"]
    first = overall.iloc[0]
    part = _part(headers, rows, note_texts(overall), 1)
    part |= {"power": f"{100 * float(first.power):g}", "alpha": f"{float(first.alpha):g}"}
    part["methods"] = "; ".join(dict.fromkeys(overall["method"].dropna().astype(str)))
    return part


def evaluation_sections(
    tables: Mapping[str, pd.DataFrame],
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> str:
    """A country's evaluation sections (HTML fragment; "" when it has none of them).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        "comparisons" (comparisons.csv), "adjusted" (adjusted.csv), "did" (did.csv) and "power"
        (power.csv) as the statistics write them; a missing or empty table leaves its section out.
    labels : mapping of str to str, optional
        Indicator id -> label.
    alpha : float
        The level of the stars (Holm-adjusted p < alpha; a proportion).
    decimals : int
        Decimals of percents, percentage points and means.
    """
    labels = labels or {}
    empty = pd.DataFrame()
    views = {
        "did": did_view(tables.get("did", empty), labels, alpha, decimals),
        "power": power_view(tables.get("power", empty), labels, decimals),
        "comparisons": comparisons_view(tables.get("comparisons", empty), labels, alpha, decimals),
        "adjusted": adjusted_view(tables.get("adjusted", empty), labels, decimals),
    }
    if not any(views.values()):
        return ""
    return TEMPLATES.get_template("evaluation_sections.html.j2").render(alpha=alpha, **views)
