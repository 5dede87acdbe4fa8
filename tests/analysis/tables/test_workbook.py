"""The Excel workbook: every cell equals its CSV, same inputs give the same bytes, hostile text
stays text, sheet names are valid."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from analysis.cli import main
from analysis.csv_files import write_csv
from analysis.tables.workbook import (
    MAX_SHEET_NAME,
    P_VALUE_FORMAT,
    PERCENT_FORMAT,
    README_SHEET,
    read_tables,
    readme_frame,
    sheet_names,
    workbook_bytes,
)
from tests.conftest import FIXTURES, ROOT

FIXTURE_TABLES = sorted((FIXTURES / "workbook").glob("*.csv"))
HOSTILE = ["=1+1", '=HYPERLINK("http://x","y")', "+41", "-99", "@SUM(A1)", "\t=2", "'quoted", "ok"]


def sheet_frame(sheet) -> tuple[list, list[list]]:
    """Header and rows of a sheet as openpyxl reads them."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def assert_sheet_equals_csv(sheet, csv_path: Path) -> None:
    """Every cell of the sheet equals the CSV read back (numbers as floats, text as text, an empty
    cell as a missing value, an infinite number as the text inf), and the shapes agree."""
    from analysis.csv_files import read_output_csv

    expected = read_output_csv(csv_path)
    header, rows = sheet_frame(sheet)
    assert header == [str(c) for c in expected.columns], csv_path
    assert len(rows) == len(expected), csv_path
    for j, column in enumerate(expected.columns):
        for i, want in enumerate(expected[column].tolist()):
            got = rows[i][j] if j < len(rows[i]) else None
            where = f"{csv_path.name} row {i + 2} column {column}"
            if want is None or (not isinstance(want, str) and pd.isna(want)):
                assert got is None, where
            elif isinstance(want, float) and math.isinf(want):
                assert got == str(want), where
            elif isinstance(want, str):
                assert got == want, where
            else:
                assert isinstance(got, (int, float)) and float(got) == float(want), where


def build(tmp_path: Path, paths: list[Path], name: str = "book.xlsx") -> Path:
    out = tmp_path / name
    tables = read_tables(paths)
    out.write_bytes(workbook_bytes(tables, readme_frame("Rwanda", True, list(tables), {})))
    return out


def test_every_cell_equals_its_csv(tmp_path):
    """The shipped Rwanda tables in tests/fixtures/workbook: each sheet equals its CSV."""
    book = load_workbook(build(tmp_path, FIXTURE_TABLES))
    assert book.sheetnames == [README_SHEET] + [p.stem for p in FIXTURE_TABLES]
    for path in FIXTURE_TABLES:
        assert_sheet_equals_csv(book[path.stem], path)
        assert book[path.stem].freeze_panes == "A2"


def test_number_formats(tmp_path):
    """Percent columns display with one decimal, p-values with three, counts as integers."""
    sheet = load_workbook(build(tmp_path, FIXTURE_TABLES))["shifts"]
    header, _ = sheet_frame(sheet)
    formats = {name: sheet.cell(row=2, column=j + 1).number_format for j, name in enumerate(header)}
    assert formats["from_pct"] == PERCENT_FORMAT and formats["diff_pp"] == PERCENT_FORMAT
    assert formats["p_value"] == P_VALUE_FORMAT and formats["p_holm"] == P_VALUE_FORMAT
    assert formats["from_n"] == "0"


def test_same_inputs_same_bytes(tmp_path):
    """Written twice (in different directories, at different times): identical bytes; no entry
    carries the current date."""
    first = build(tmp_path, FIXTURE_TABLES, "a.xlsx").read_bytes()
    second = build(tmp_path, FIXTURE_TABLES, "b.xlsx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_hostile_text_stays_text(tmp_path):
    """Formula-like text (OWASP CSV injection) is a string cell, never a formula, both in the
    CSV round trip and in the workbook."""
    frame = pd.DataFrame({"=cmd": HOSTILE, "n": range(len(HOSTILE))})
    write_csv(frame, tmp_path / "hostile.csv")
    out = build(tmp_path, [tmp_path / "hostile.csv"])
    sheet = load_workbook(out)["hostile"]
    assert_sheet_equals_csv(sheet, tmp_path / "hostile.csv")
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(HOSTILE))]
    assert [c.value for c in cells] == HOSTILE
    assert {c.data_type for c in cells} == {"s"}
    assert sheet.cell(row=1, column=1).data_type == "s"
    with zipfile.ZipFile(out) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if "worksheets" in n)
    assert "<f>" not in xml


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])),
            st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
            st.integers(-(10**9), 10**9),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_table_round_trips(tmp_path_factory, rows):
    """Any text, floats (some missing) and integers: the sheet equals the CSV."""
    tmp = tmp_path_factory.mktemp("round")
    frame = pd.DataFrame(rows, columns=["text", "value", "count"])
    frame["text"] = frame["text"].replace("", "x")  # an empty CSV cell reads back as missing
    write_csv(frame, tmp / "t.csv", float_format="%.10g")
    assert_sheet_equals_csv(load_workbook(build(tmp, [tmp / "t.csv"]))["t"], tmp / "t.csv")


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_sheet_names_are_valid_and_unique(stems):
    names = sheet_names(stems)
    assert len(names) == len(stems)
    assert len({n.lower() for n in names} | {README_SHEET.lower()}) == len(names) + 1
    assert all(0 < len(n) <= MAX_SHEET_NAME and not set(n) & set("[]:*?/\\") for n in names)


def test_readme_sheet_says_synthetic_and_units():
    readme = readme_frame("Rwanda", True, ["estimates", "figure1"], {"figure1": "Figure 1"})
    text = " ".join(readme["description"])
    assert "Synthetic data" in text and "percentage points" in text
    assert "Figure 1 (figure1.csv)" in text
    assert "Synthetic" not in " ".join(readme_frame("X", False, [], {})["description"])


def test_cli_writes_a_workbook_per_country_config(tmp_path):
    """`python -m analysis workbook`: the README names the country from its config, one sheet
    per table given."""
    out = tmp_path / "rwanda.xlsx"
    args = ["--root", str(ROOT), "workbook", "--country", "rwanda", "--out", str(out)]
    assert main(args + ["--tables", *map(str, FIXTURE_TABLES)]) == 0
    book = load_workbook(out)
    assert book.sheetnames[0] == README_SHEET and len(book.sheetnames) == len(FIXTURE_TABLES) + 1
    assert book[README_SHEET].cell(row=2, column=2).value == "Rwanda"


@pytest.mark.parametrize("country", ["rwanda", "tajikistan", "example_country"])
def test_built_workbook_equals_its_csvs(country):
    """A workbook the pipeline built (reports/tables/<country>/<country>.xlsx): every sheet but the
    README equals the CSV it names."""
    path = ROOT / "reports" / "tables" / country / f"{country}.xlsx"
    if not path.exists():
        pytest.skip(f"{path} not built (snakemake {path.relative_to(ROOT)})")
    book = load_workbook(path)
    readme = dict(sheet_frame(book[README_SHEET])[1])
    for name in book.sheetnames[1:]:
        stem = readme[f"sheet {name}"].rsplit("(", 1)[1].removesuffix(".csv)")
        assert_sheet_equals_csv(book[name], path.parent / f"{stem}.csv")


def test_missing_values_are_empty_cells(tmp_path):
    frame = pd.DataFrame({"a": [1.5, np.nan], "note": ["", "not estimable: no answers"]})
    write_csv(frame, tmp_path / "m.csv")
    _, rows = sheet_frame(load_workbook(build(tmp_path, [tmp_path / "m.csv"]))["m"])
    assert rows[0] == [1.5, None] and rows[1][0] is None and not math.isnan(rows[0][0])
