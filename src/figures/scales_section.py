"""The scale reliability section of the report: per scale indicator, Cronbach's alpha with its 95%
interval and McDonald's omega in each wave, the notes saying why a value is not estimable and the
warnings (a reverse-coded item that correlates negatively with the rest, alpha below 0), from
`scales.csv` (`analysis.survey.reliability.scale_table`).

`scales_section(table, labels)` returns an HTML fragment for report.html. Its markup is in
templates/scales_section.html.j2, rendered with autoescape and `html.escape` on every value (quotes
included), as report.py renders its parts, so text from config or data (labels, item names, wave
names, warnings) comes out literally. Numbers use the display tables' helpers (`tables.num`,
`tables.interval`, "–" when not estimable) and their numbered notes (`tables.row_notes`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .tables import interval, num, row_notes, wave_text
from .templating import TEMPLATES

RELIABILITY_DECIMALS = 2  # alpha, its limits and omega are printed with two decimals
ITEM_NOTE = "item-rest r"  # notes on one item's correlation: in scales.csv, not in the section


def _texts(column: pd.Series) -> list[str]:
    """The distinct non-empty "; "-separated parts of a text column, in order of appearance."""
    parts = column.fillna("").astype(str).str.split("; ").explode()
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _wave_rows(scale: pd.DataFrame) -> tuple[list[dict], list[str], list[str]]:
    """One display row per wave of one scale (its first item row carries the scale values), the
    numbered note lines and the warnings (each "wave: warning")."""
    waves = scale.groupby("wave", sort=False)
    first = waves.head(1)
    notes = waves["note"].agg(
        lambda column: "; ".join(t for t in _texts(column) if not t.startswith(ITEM_NOTE))
    )
    marks = row_notes(notes.reset_index(drop=True))
    rows = [
        {
            "wave": wave_text(r.wave),
            "n_respondents": str(int(r.n_respondents)),
            "n_complete": str(int(r.n_complete)),
            "n_items": str(int(r.items)),
            "alpha": num(r.alpha, RELIABILITY_DECIMALS),
            "mark": mark.strip(),
            "ci": interval(r.alpha_ci_low, r.alpha_ci_high, " to ", RELIABILITY_DECIMALS),
            "omega": num(r.omega, RELIABILITY_DECIMALS),
        }
        for r, mark in zip(first.itertuples(), marks.marks)
    ]
    warnings = [
        f"{wave_text(wave)}: {text}" for wave, part in waves for text in _texts(part["warning"])
    ]
    return rows, marks.lines, warnings


def scales_section(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    """The report's scale reliability section (HTML fragment); "" when there is no scale.

    Parameters
    ----------
    table : pandas.DataFrame
        `scales.csv` as `analysis.survey.reliability.scale_table` writes it (or as
        `read_output_csv` reads it back): one row per scale x wave x item, scale values repeated.
    labels : mapping of str to str, optional
        Indicator id -> label (the heading of each scale; its id is shown beneath).

    Returns
    -------
    str
        The section: a heading, what the numbers are, then per scale a table of waves (respondents,
        complete respondents, items, alpha, its 95% interval, omega; two decimals, "–" with a
        numbered note when not estimable) and its warnings.
    """
    if not len(table):
        return ""
    labels = labels or {}
    scales = []
    for indicator, scale in table.groupby("indicator", sort=False):
        rows, notes, warnings = _wave_rows(scale)
        label = labels.get(str(indicator), str(indicator))
        scales.append(
            {
                "indicator": indicator,
                "label": label,
                "rows": rows,
                "notes": notes,
                "warnings": warnings,
            }
        )
    return TEMPLATES.get_template("scales_section.html.j2").render(scales=scales)
