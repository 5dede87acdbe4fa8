"""The data dictionary section of the report: every harmonised variable and every indicator of a
country, from `dictionary.csv` (`analysis.tables.dictionary.data_dictionary`).

`dictionary_section(country, table)` returns an HTML fragment for report.html. Its markup is in
templates/dictionary_section.html.j2, rendered with autoescape and `html.escape` on every value
(quotes included), as report.py renders its parts, so text from config or data (labels, values,
definitions, file names) comes out literally. Each indicator row carries the anchor
`dict-<country>-<indicator>` (`anchor`), which the estimates table links each indicator to.
"""

from __future__ import annotations

import pandas as pd

from .templating import TEMPLATES

SHOWN = ("variable", "label", "type", "values", "missing_codes", "source_columns", "definition")


def anchor(country: str, indicator: str) -> str:
    """The HTML id of an indicator's dictionary row."""
    return f"dict-{country}-{indicator}"


def _count(value) -> str:
    return "" if pd.isna(value) else str(int(value))


def dictionary_section(country: str, table: pd.DataFrame) -> str:
    """The report's data dictionary section (HTML fragment); "" without a dictionary.

    Parameters
    ----------
    country : str
        The country's name (config file stem): the anchors' prefix.
    table : pandas.DataFrame
        `dictionary.csv` as `read_output_csv` reads it back.

    Returns
    -------
    str
        A heading, then one table of variables (valid values per wave) and one of indicators
        (each row with its anchor and definition).
    """
    if not len(table):
        return ""
    waves = [c for c in table.columns if c.startswith("n_valid_")]
    shown = table[list(SHOWN)].astype(object)
    text = table.assign(**shown.where(shown.notna(), "").astype(str))
    rows = [
        {
            **{c: getattr(r, c) for c in SHOWN},
            "entry": r.entry,
            "dataset": r.dataset,
            "anchor": anchor(country, r.variable) if r.entry == "indicator" else "",
            "counts": [_count(getattr(r, w)) for w in waves],
        }
        for r in text.itertuples(index=False)
    ]
    return TEMPLATES.get_template("dictionary_section.html.j2").render(
        country=country,
        waves=[w.removeprefix("n_valid_") for w in waves],
        variables=[r for r in rows if r["entry"] != "indicator"],
        indicators=[r for r in rows if r["entry"] == "indicator"],
    )
