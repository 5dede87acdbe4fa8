"""The report's section "The paper's words": every registered comparative or quantified sentence
of the paper with its numeric reading, the result of each check (arithmetic feasibility on the
printed numbers, direction and significance on the data) and its status, from
reports/audit/statements.csv (`analysis.audit.statements.audit_statements`).

`statements_section(table)` returns an HTML fragment for report.html. Its markup is in
templates/statements_section.html.j2, rendered with autoescape and `html.escape` on every value
(quotes included), as report.py renders its parts, so text from the register (quotes, wording,
notes) comes out literally.
"""

from __future__ import annotations

import pandas as pd

from analysis.audit.statement_checks import STATEMENT_STATUSES

from .templating import TEMPLATES, text

CHECKS = ("arithmetic", "direction", "significance", "printed_test")
ATTENTION = ("impossible", "contradicted", "not_supported")  # statuses the report marks


def _status_counts(table: pd.DataFrame) -> list[list[str]]:
    """[status, number of statements] for every status that occurs, in `STATEMENT_STATUSES`
    order."""
    counts = table["status"].value_counts()
    return [[s, str(int(counts[s]))] for s in STATEMENT_STATUSES if s in counts]


def _row(r) -> dict:
    """One statement as display texts (every value a string; "" where the CSV cell is empty)."""
    label = text(r.label)
    return {
        "id": text(r.id),
        "section": text(r.section),
        "quote": text(r.quote),
        "reading": text(r.reading),
        "checks": [
            [name.replace("_", " "), text(getattr(r, name))]
            for name in CHECKS
            if text(getattr(r, name))
        ],
        "status": text(r.status) + (f" ({label})" if label else ""),
        "attention": text(r.status) in ATTENTION,
        "basis": text(r.basis),
        "note": text(r.note),
    }


def statements_section(table: pd.DataFrame) -> str:
    """The report's section on the paper's words (HTML fragment); "" without statements.

    Parameters
    ----------
    table : pandas.DataFrame
        statements.csv as `analysis.audit.statements.audit_statements` writes it (or as
        `read_output_csv` reads it back): one row per statement.

    Returns
    -------
    str
        A heading, what the statuses mean, the number of statements per status, then one row per
        statement: id and section, the quote (a short locator), the reading, each check's result,
        the status (red when impossible, contradicted or not supported) and what it rests on.
    """
    if table is None or not len(table):
        return ""
    return TEMPLATES.get_template("statements_section.html.j2").render(
        counts=_status_counts(table), rows=[_row(r) for r in table.itertuples()]
    )
