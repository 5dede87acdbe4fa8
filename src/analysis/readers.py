"""Readers: one raw export (SPSS, Stata, CSV, Excel; KoboToolbox/ODK layouts) -> RawTable.

A RawTable keeps raw codes untouched plus the metadata the codebook needs: value labels, user-missing
codes and variable labels. SPSS/Stata metadata come from pyreadstat; KoboToolbox/ODK metadata come from
the form's XLSForm (`survey` and `choices` sheets). Every failure is an InputError naming the file.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat

from .errors import InputError


@dataclass
class RawTable:
    """A raw export as read: `frame` holds raw values (numeric codes or text) with a 0-based index."""

    frame: pd.DataFrame
    file: str
    value_labels: dict[str, dict] = field(default_factory=dict)     # column -> {raw code: label}
    missing_values: dict[str, set] = field(default_factory=dict)    # column -> declared user-missing codes
    variable_labels: dict[str, str] = field(default_factory=dict)
    multi_choice: dict[str, set] = field(default_factory=dict)      # select_multiple column -> allowed choice names


@dataclass
class XLSForm:
    """The parts of an XLSForm a reader needs: question types, choice lists, group names."""

    questions: dict[str, dict]         # name -> {"type": ..., "list": choice list name or None, "label": ...}
    choices: dict[str, dict[str, str]]  # list name -> {choice name: label}
    groups: set[str]


def _check_file(path: Path, display: str) -> None:
    if not path.exists():
        raise InputError("raw file not found", file=display, fix="put the export at this path or correct `file:` in the country config")
    if path.stat().st_size == 0:
        raise InputError("raw file is empty (0 bytes)", file=display, fix="re-export the data from the survey tool and replace the file")


def read_spss(path: Path, display: str) -> RawTable:
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises its own error types for corrupt/truncated files
        raise InputError(f"cannot read SPSS file ({exc})", file=display,
                         fix="the file is corrupt or truncated: re-export it from the survey tool as SPSS .sav") from None
    missing = {}
    for col, ranges in (meta.missing_ranges or {}).items():
        missing[col] = {r["lo"] for r in ranges if r["lo"] == r["hi"]}
    return RawTable(frame, display, dict(meta.variable_value_labels or {}), missing,
                    dict(zip(meta.column_names, meta.column_labels or [])))


def read_stata(path: Path, display: str) -> RawTable:
    try:
        frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
    except Exception as exc:
        raise InputError(f"cannot read Stata file ({exc})", file=display,
                         fix="the file is corrupt or truncated: re-export it as Stata .dta") from None
    return RawTable(frame, display, dict(meta.variable_value_labels or {}), {},
                    dict(zip(meta.column_names, meta.column_labels or [])))


def read_csv(path: Path, display: str, sep: str = ",", encoding: str = "utf-8") -> RawTable:
    try:
        frame = pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(f"text is not valid {encoding} (byte {exc.start} on line {line})", file=display,
                         row=line - 1 if line > 1 else None,
                         fix="set `encoding:` for this source in the country config (e.g. cp1251 or latin-1), "
                             "or re-save the file as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise InputError("CSV file has no header row", file=display, fix="re-export the data with column headers") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"CSV cannot be parsed ({exc})", file=display,
                         fix=f"check the separator (`sep:` is {sep!r}) and quoting, or re-export the file") from None
    return RawTable(frame, display)


def read_xlsx(path: Path, display: str, sheet: str | int = 0) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"cannot read Excel file ({exc})", file=display,
                         fix="the file is corrupt, truncated or lacks that sheet: re-export it as .xlsx "
                             "or correct `sheet:` in the country config") from None
    return RawTable(frame, display)


def read_xlsform(path: Path, display: str) -> XLSForm:
    """Parse an XLSForm's `survey` and `choices` sheets (the codebook of Kobo/ODK exports)."""
    _check_file(path, display)
    try:
        survey = pd.read_excel(path, sheet_name="survey", dtype=str, keep_default_na=False)
        choices = pd.read_excel(path, sheet_name="choices", dtype=str, keep_default_na=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"cannot read XLSForm ({exc})", file=display,
                         fix="supply the form's XLSForm with `survey` and `choices` sheets") from None
    for sheet, frame, cols in (("survey", survey, {"type", "name"}), ("choices", choices, {"list_name", "name"})):
        if not cols <= set(frame.columns):
            raise InputError(f"XLSForm sheet '{sheet}' lacks columns {sorted(cols - set(frame.columns))}", file=display,
                             fix="use a standard XLSForm (see xlsform.org)")
    questions, groups = {}, set()
    for qtype, name, label in zip(survey["type"], survey["name"], survey.get("label", survey["name"])):
        parts = qtype.split()
        if not parts:
            continue
        if parts[0] in ("begin_group", "begin_repeat", "begin") and name:
            groups.add(name)
        elif name:
            questions[name] = {"type": parts[0], "list": parts[1] if len(parts) > 1 else None, "label": label}
    lists: dict[str, dict[str, str]] = {}
    label_col = "label" if "label" in choices.columns else "name"
    for lst, name, label in zip(choices["list_name"], choices["name"], choices[label_col]):
        lists.setdefault(lst, {})[name] = label
    return XLSForm(questions, lists, groups)


def apply_xlsform(table: RawTable, form: XLSForm) -> RawTable:
    """Strip group paths from Kobo/ODK headers and attach choice labels from the XLSForm.

    'group_a/question' -> 'question'; 'group_a/multi/choice' -> 'multi/choice' (select_multiple dummies).
    """
    renamed = {}
    for col in table.frame.columns:
        parts = col.split("/")
        while len(parts) > 1 and parts[0] in form.groups:
            parts = parts[1:]
        renamed[col] = "/".join(parts)
    frame = table.frame.rename(columns=renamed)
    labels, multi = {}, {}
    for name, q in form.questions.items():
        if q["list"] and q["list"] in form.choices:
            if q["type"] == "select_one":
                labels[name] = dict(form.choices[q["list"]])
            elif q["type"] == "select_multiple":
                multi[name] = set(form.choices[q["list"]])
                labels[name] = dict(form.choices[q["list"]])
    return RawTable(frame, table.file, labels, {}, {k: v["label"] for k, v in form.questions.items()}, multi)


def read_source(root: Path, source: dict) -> RawTable:
    """Read one `sources:` entry of a country config (format, options, optional XLSForm)."""
    path = root / source["file"]
    display = source["file"]
    _check_file(path, display)
    fmt = source["format"]
    if fmt == "spss":
        table = read_spss(path, display)
    elif fmt == "stata":
        table = read_stata(path, display)
    elif fmt == "csv":
        table = read_csv(path, display, sep=source.get("sep", ","), encoding=source.get("encoding", "utf-8"))
    elif fmt == "xlsx":
        table = read_xlsx(path, display, sheet=source.get("sheet", 0))
    else:  # the schema only allows the formats above
        raise InputError(f"unknown format '{fmt}'", file=display, fix="use spss, stata, csv or xlsx")
    if source.get("xlsform"):
        table = apply_xlsform(table, read_xlsform(root / source["xlsform"], source["xlsform"]))
    if table.frame.empty:
        raise InputError("raw file has a header but no data rows", file=display,
                         fix="re-export the data; an export with zero submissions cannot be analysed")
    return table
