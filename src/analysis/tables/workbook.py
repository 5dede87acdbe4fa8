"""Excel workbook of one country's result tables (openpyxl), byte-deterministic.

`write_workbook(tables, path, readme)` writes a first sheet "README" (the `readme` rows: two
columns, what and description) and then one sheet per table, in the order given: its CSV read back
with `csv_files.read_output_csv` (so a text cell is its text, not the `'`-prefixed form the CSV
holds against spreadsheet formulas), header in row 1, frozen, bold. Every cell equals the CSV's:
numbers as numbers, text as text (typed as a string even when it starts with `=`, `+`, `-` or
`@`: Excel never evaluates it, OWASP CSV/formula injection), an empty CSV cell as an empty cell
(an infinite number, which Excel cannot hold, as the text `inf` or `-inf`).

Display only (values are never rounded): percent and percentage-point columns (names with
`percent`, `pct` or ending `_pp`) as 0.0, p-values (`p_value`, `p_holm`, `mid_p`, ...) as 0.000,
counts (integer columns, and `n`, `k`, `*_n`, ... columns of whole numbers) as 0; column widths
from the longest text (8 to 60 characters).

Determinism: the document's created/modified dates are fixed (`FIXED_DATE`) and the zip entries
are rewritten with one fixed timestamp and fixed permissions, so the same tables give the same
bytes (no timestamp, no commit).
"""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from analysis.csv_files import read_output_csv

README_SHEET = "README"
FIXED_DATE = datetime.datetime(2000, 1, 1)  # document properties: no real timestamp
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
MAX_SHEET_NAME = 31  # Excel's limit
SHEET_NAME_FORBIDDEN = r"[\[\]:*?/\\]"
PERCENT_FORMAT, P_VALUE_FORMAT, COUNT_FORMAT = "0.0", "0.000", "0"
PERCENT_COLUMN = re.compile(r"percent|pct|_pp$")
P_VALUE_COLUMN = re.compile(r"(^|_)p(_value|_holm|_bh|_exact|_chi2|_chi2_cc)?$|_p_value$|^p_")
COUNT_COLUMN = re.compile(r"(^|_)(n|k)(_|$)|count|respondents|stayers|leavers|unmatched")
MIN_WIDTH, MAX_WIDTH = 8, 60


def sheet_names(stems: list[str]) -> list[str]:
    """Excel sheet names for table names: forbidden characters replaced by `_`, at most 31
    characters, unique (a clash gets `~2`, `~3`, ...), never `README`."""
    names: list[str] = []
    taken = {README_SHEET.lower()}
    for stem in stems:
        base = re.sub(SHEET_NAME_FORBIDDEN, "_", stem)[:MAX_SHEET_NAME] or "table"
        name, k = base, 1
        while name.lower() in taken:
            k += 1
            suffix = f"~{k}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(name.lower())
        names.append(name)
    return names


def number_format(column: str, values: pd.Series) -> str | None:
    """The display format of a numeric column (None: Excel's General)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if P_VALUE_COLUMN.search(column):
        return P_VALUE_FORMAT
    if PERCENT_COLUMN.search(column):
        return PERCENT_FORMAT
    whole = values.dropna()
    if pd.api.types.is_integer_dtype(values) or (
        COUNT_COLUMN.search(column) and bool((whole == whole.round()).all())
    ):
        return COUNT_FORMAT
    return None


def _cell_value(value):
    """A frame value as openpyxl takes it: None for missing, Python scalars otherwise."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return str(value)  # Excel has no infinity: the text "inf" or "-inf"
    return value.item() if hasattr(value, "item") else value


def _write_sheet(sheet, frame: pd.DataFrame) -> None:
    """Header (bold, frozen) and cells; text typed as a string so it is never a formula."""
    bold = Font(bold=True)
    for j, column in enumerate(frame.columns, start=1):
        header = sheet.cell(row=1, column=j, value=str(column))
        header.data_type, header.font = "s", bold
        values = frame[column]
        fmt = number_format(str(column), values)
        for i, value in enumerate(values.tolist(), start=2):
            cell = sheet.cell(row=i, column=j, value=_cell_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif fmt and cell.value is not None:
                cell.number_format = fmt
        texts = [str(column)] + [str(v) for v in values.dropna().tolist()]
        width = max(len(t) for t in texts) + 2
        sheet.column_dimensions[get_column_letter(j)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"


def _deterministic_zip(raw: bytes) -> bytes:
    """The same zip with every entry's timestamp and permissions fixed (order kept)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def workbook_bytes(tables: dict[str, pd.DataFrame], readme: pd.DataFrame) -> bytes:
    """The .xlsx bytes: README sheet first, then one sheet per table (name -> frame)."""
    book = Workbook()
    book.remove(book.active)
    frames = {README_SHEET: readme} | dict(zip(sheet_names(list(tables)), tables.values()))
    for name, frame in frames.items():
        _write_sheet(book.create_sheet(name), frame)
    book.properties.created = book.properties.modified = FIXED_DATE
    book.properties.creator = "peace-of-mind"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _deterministic_zip(raw.getvalue())


def read_tables(paths: list[Path]) -> dict[str, pd.DataFrame]:
    """Table name (file stem) -> the CSV as written, read back (`read_output_csv`)."""
    return {path.stem: read_output_csv(path) for path in paths}


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, readme: pd.DataFrame) -> None:
    """Write `workbook_bytes(tables, readme)` to `path`."""
    Path(path).write_bytes(workbook_bytes(tables, readme))


SHEET_DESCRIPTIONS = {
    "estimates": "share of respondents per indicator, wave and group: percent 0-100 with its CI",
    "shifts": "change between waves of each share: diff_pp in percentage points, test, p-values",
    "mean_estimates": "means of the mean and scale indicators per wave and group, in their unit",
    "mean_shifts": "change of the means between waves, in the indicator's unit",
    "trends": "linear trend over three or more waves (slope per wave)",
    "scales": "scale reliability: Cronbach's alpha, omega and item-rest correlations",
    "attrition": "panel attrition: stayers versus leavers at baseline",
    "power": "power and minimum detectable change of each comparison",
    "did": "difference in differences: programme change minus comparison change",
    "comparisons": "differences between groups within a wave",
    "adjusted": "crude, standardised and model-adjusted change between waves",
    "dictionary": "data dictionary: every harmonised variable and indicator (definitions)",
}
SYNTHETIC_CAVEAT = (
    "Synthetic data: the real survey responses are confidential; every number here comes from "
    "synthetic reconstructions built by a deterministic program from the paper's published "
    "aggregates (config/synthetic_reconstruction.yaml). They show what the paper's printed "
    "numbers imply, not new facts about the people surveyed."
)


def readme_frame(
    country_label: str, synthetic: bool, stems: list[str], titles: dict
) -> pd.DataFrame:
    """The README sheet: the data caveat, unit conventions and what each sheet holds (`titles`:
    table name -> title of a configured cross-table)."""
    rows = [
        ("country", country_label),
        (
            "data",
            SYNTHETIC_CAVEAT if synthetic else "survey responses as exported (see data/raw)",
        ),
        ("percent", "percentages are 0-100 (not proportions); changes in percentage points (pp)"),
        ("missing", "an empty cell is a missing value or a statistic that is not estimable"),
        ("note", "a note starting 'not estimable: ' says why a row has no statistics"),
        ("values", "cells equal the CSV files of reports/tables/<country>/ (display rounded only)"),
    ]
    for stem, name in zip(stems, sheet_names(stems)):
        what = SHEET_DESCRIPTIONS.get(stem) or titles.get(stem) or f"table {stem}"
        rows.append((f"sheet {name}", f"{what} ({stem}.csv)"))
    return pd.DataFrame(rows, columns=["what", "description"])
