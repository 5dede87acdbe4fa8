"""The pipeline's Figures 1-3 against a cell-by-cell transcription of the paper
(tests/fixtures/paper_figures.yaml).

Counts must be equal. Percentages must equal the paper's after rounding half up to one decimal,
computed exactly from the counts, except for the printed percentages that are themselves wrong:
those are listed in PRINTED_ERRORS with the correct value, and the test checks that the paper
really prints the wrong value there (so the list cannot go stale).
"""

import pytest
import yaml

from analysis.tables.crosstab import figure_table
from analysis.tables.rounding import percent_half_up
from tests.conftest import FIXTURES

FIXTURE = yaml.safe_load((FIXTURES / "paper_figures.yaml").read_text(encoding="utf-8"))

# (table, row, column): (printed, correct) - the paper's percentage does not follow from its own
# counts.
PRINTED_ERRORS = {
    (
        "figure2_social_group_by_sex",
        "Relatives of ex-prisoners due to genocide against the Tutsi",
        "Men",
    ): (
        1.9,
        2.0,
    ),  # 8/404 = 1.98%
    (
        "figure2_social_group_by_sex",
        "Relatives of ex-prisoners due to genocide against the Tutsi",
        "Total",
    ): (
        6.6,
        6.7,
    ),  # 27/404 = 6.68%
    ("figure2_social_group_by_sex", "Total", "Men"): (34.3, 34.4),  # 139/404 = 34.41%
}
TABLES = {
    "figure1_sex_by_age": "rwanda",
    "figure2_social_group_by_sex": "rwanda",
    "figure3_participants": "tajikistan",
}


@pytest.fixture(scope="module")
def tables(project, cleaned):
    out = {}
    for name, country in TABLES.items():
        table = project.countries[country].tables[name]
        out[name] = figure_table(cleaned[(country, table.dataset)].data, table).set_index(
            ["row", "column"]
        )
    return out


def _cells():
    for name, spec in FIXTURE.items():
        for row, values in spec["rows"].items():
            for i, column in enumerate(spec["columns"]):
                yield (
                    name,
                    row,
                    column,
                    values["n"][i],
                    values.get("pct", [None] * len(spec["columns"]))[i],
                )


@pytest.mark.parametrize("name,row,column,n,pct", list(_cells()), ids=lambda v: str(v)[:30])
def test_cell_matches_paper(tables, name, row, column, n, pct):
    table = tables[name]
    assert table.loc[(row, column), "n"] == n
    if pct is None:
        return
    base = {"row": table.loc[(row, "Total"), "n"], "total": table.loc[("Total", "Total"), "n"]}[
        FIXTURE[name]["percent_base"]
    ]
    recomputed = percent_half_up(n, base, 1)
    assert table.loc[(row, column), "percent"] == pytest.approx(100 * n / base)
    if (name, row, column) in PRINTED_ERRORS:
        printed, correct = PRINTED_ERRORS[(name, row, column)]
        assert pct == printed and recomputed == correct and printed != correct
    else:
        assert recomputed == pct


def test_no_extra_cells(tables):
    for name, spec in FIXTURE.items():
        expected = {(r, c) for r in spec["rows"] for c in spec["columns"]}
        got = set(tables[name].index)
        assert expected <= got
        assert {c for _, c in got} - set(spec["columns"]) <= {"Total"}
