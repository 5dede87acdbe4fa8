"""Readers: one raw export (SPSS, Stata, CSV, Excel; KoboToolbox/ODK layouts) -> RawTable.

A RawTable keeps raw codes untouched plus the metadata the codebook needs: value labels,
user-missing codes and variable labels. SPSS/Stata metadata come from pyreadstat; KoboToolbox/ODK
metadata come from the form's XLSForm, parsed by pyxform (labels in one language:
`label_language:`). Every failure is an InputError naming the file.

What counts as a value: every cell is read as text or number exactly as written. Only a truly empty
cell (and, later, a declared missing code) is missing: "None", "NA", "N/A", "null" or "nan" in a
cell are ordinary text, so a category called "None" stays "None" (pandas' `na_values` are switched
off).

Rows: frame row i is data row i + 1 of the file (the spreadsheet row minus the header), always.
Blank lines of a CSV and empty rows of a sheet are therefore kept as rows; `blank` marks the rows
whose every cell is empty (or only spaces), and the cleaning excludes them with the reason "blank
row", so raw rows = kept + excluded and the `source_row` of every later row is its true number.
(Empty rows after the last data row of an .xlsx sheet are not data and are not read.) A header that
names a column twice, and an .xlsx formula cell without a cached value, stop the run: either would
silently change a variable.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyreadstat
from pyxform.constants import DEFAULT_LANGUAGE_VALUE
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from analysis.errors import InputError
from analysis.model import Source


@dataclass
class RawTable:
    """A raw export as read: `frame` holds raw values (numeric codes or text) with a 0-based
    index."""

    frame: pd.DataFrame
    file: str
    value_labels: dict[str, dict] = field(default_factory=dict)  # column -> {raw code: label}
    missing_values: dict[str, set] = field(
        default_factory=dict
    )  # column -> declared user-missing codes
    variable_labels: dict[str, str | None] = field(default_factory=dict)
    multi_choice: dict[str, set] = field(
        default_factory=dict
    )  # select_multiple column -> allowed choice names
    blank: np.ndarray | None = None  # rows whose every cell is empty (read_source)


@dataclass
class XLSForm:
    """The parts of an XLSForm a reader needs: question types, choice lists, group names; labels in
    one language."""

    questions: dict[
        str, dict
    ]  # name -> {"type": "select_one" etc., "list": choice list name or None, "label": ...}
    choices: dict[
        str, dict[str, str]
    ]  # list name -> {choice name: label}, in the choices sheet's order
    groups: set[str]  # names of groups and repeats


def _check_file(path: Path, display: str) -> None:
    if not path.exists():
        raise InputError(
            "raw file not found",
            file=display,
            fix="put the export at this path or correct `file:` in the country config",
        )
    if path.stat().st_size == 0:
        raise InputError(
            "raw file is empty (0 bytes)",
            file=display,
            fix="re-export the data from the survey tool and replace the file",
        )


def read_spss(path: Path, display: str) -> RawTable:
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises its own error types for corrupt/truncated files
        raise InputError(
            f"cannot read SPSS file ({exc})",
            file=display,
            fix="the file is corrupt or truncated: re-export it from the survey tool as SPSS .sav",
        ) from None
    missing: dict[str, set] = {}
    ranges_of: dict[str, Any] = (
        meta.missing_ranges or {}
    )  # pyreadstat's stubs type the ranges loosely
    for col, ranges in ranges_of.items():
        missing[col] = {r["lo"] for r in ranges if r["lo"] == r["hi"]}
    return RawTable(
        frame,
        display,
        dict(meta.variable_value_labels or {}),
        missing,
        dict(zip(meta.column_names, meta.column_labels or [])),
    )


def read_stata(path: Path, display: str) -> RawTable:
    try:
        frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
    except Exception as exc:
        raise InputError(
            f"cannot read Stata file ({exc})",
            file=display,
            fix="the file is corrupt or truncated: re-export it as Stata .dta",
        ) from None
    return RawTable(
        frame,
        display,
        dict(meta.variable_value_labels or {}),
        {},
        dict(zip(meta.column_names, meta.column_labels or [])),
    )


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or only whitespace. Columns are looked at in turn, each only
    for the rows still blank, so a file whose first column is always filled costs one pass over that
    column."""
    candidates = np.arange(len(frame))
    for j in range(frame.shape[1]):
        if not len(candidates):
            break
        col = frame.iloc[candidates, j]
        empty = col.isna().to_numpy(dtype=bool)
        if not pd.api.types.is_numeric_dtype(col):
            empty = empty | (col.astype(str).str.strip() == "").to_numpy(dtype=bool)
        candidates = candidates[empty]
    mask = np.zeros(len(frame), dtype=bool)
    mask[candidates] = True
    return mask


def check_unique_headers(header: list, display: str) -> None:
    """A column named twice in the header row is an InputError (pandas would rename the second
    `Sex.1`, and the codebook would silently read only the first)."""
    names = [str(h).strip() for h in header if not _is_empty_cell(h)]
    seen, dupes = set(), []
    for name in names:
        if name in seen and name not in dupes:
            dupes.append(name)
        seen.add(name)
    if dupes:
        positions = [
            i + 1
            for i, h in enumerate(header)
            if not _is_empty_cell(h) and str(h).strip() == dupes[0]
        ]
        raise InputError(
            f"the header names column '{dupes[0]}' {len(positions)} times (columns "
            f"{', '.join(map(str, positions))})"
            + (f"; also {', '.join(repr(d) for d in dupes[1:4])}" if len(dupes) > 1 else ""),
            file=display,
            column=dupes[0],
            fix=(
                "give every column a unique name in the export (rename or delete the extra column)"
                " and map the one you mean under `columns:` in the country config"
            ),
        )


def _is_empty_cell(value) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""
    )


def _first_undecodable(data: bytes, encoding: str, fallback: int) -> int:
    """The offset in the whole file of its first byte that `encoding` cannot decode (pandas reports
    the offset within the chunk it was decoding); `fallback` if the whole file decodes."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start
    return fallback


def read_csv(path: Path, display: str, sep: str = ",", encoding: str = "utf-8") -> RawTable:
    try:
        header = (
            pd.read_csv(
                path,
                sep=sep,
                encoding=encoding,
                dtype=str,
                keep_default_na=False,
                header=None,
                nrows=1,
            )
            .iloc[0]
            .tolist()
        )
        check_unique_headers(header, display)
        frame = pd.read_csv(
            path,
            sep=sep,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as exc:
        start = _first_undecodable(path.read_bytes(), encoding, exc.start)
        line = path.read_bytes()[:start].count(b"\n") + 1
        raise InputError(
            f"text is not valid {encoding} (byte {start} on line {line})",
            file=display,
            row=line - 1 if line > 1 else None,
            fix=(
                "set `encoding:` for this source in the country config (e.g. cp1251 or latin-1), "
                "or re-save the file as UTF-8"
            ),
        ) from None
    except (pd.errors.EmptyDataError, IndexError):
        raise InputError(
            "CSV file has no header row (its first line is empty)",
            file=display,
            fix=(
                "re-export the data with column headers in the first line (delete empty lines above"
                " them)"
            ),
        ) from None
    except pd.errors.ParserError as exc:
        raise InputError(
            f"CSV cannot be parsed ({exc})",
            file=display,
            fix=f"check the separator (`sep:` is {sep!r}) and quoting, or re-export the file",
        ) from None
    return RawTable(frame, display)


def read_xlsx(path: Path, display: str, sheet: str | int = 0) -> RawTable:
    try:
        cells = pd.read_excel(
            path, sheet_name=sheet, dtype=str, keep_default_na=False, engine="openpyxl", header=None
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"cannot read Excel file ({exc})",
            file=display,
            fix=(
                "the file is corrupt, truncated or lacks that sheet: re-export it as .xlsx "
                "or correct `sheet:` in the country config"
            ),
        ) from None
    if cells.empty:
        raise InputError(
            "the sheet is empty (no header row)",
            file=display,
            fix="re-export the data with column headers, or correct `sheet:` in the country config",
        )
    header = cells.iloc[0].tolist()
    if all(_is_empty_cell(h) for h in header):
        raise InputError(
            "the first row of the sheet is empty; it must hold the column names",
            file=display,
            fix=(
                "delete the empty rows above the header row (or re-export the data with headers in"
                " row 1)"
            ),
        )
    check_unique_headers(header, display)
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = [
        str(h) if not _is_empty_cell(h) else f"Unnamed: {i}" for i, h in enumerate(header)
    ]
    check_formulas_cached(path, display, sheet, frame.columns)
    return RawTable(frame, display)


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_START = re.compile(rb"<(?:\w+:)?c\s[^>]*>")
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_REF = re.compile(r"([A-Z]+)(\d+)")


def _sheet_xml_path(archive: zipfile.ZipFile, sheet: str | int) -> str | None:
    """The zip member holding `sheet` (a name or a 0-based position), from workbook.xml and its
    relationships."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    sheets = ElementTree.fromstring(archive.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns)
    chosen = (
        sheets[sheet]
        if isinstance(sheet, int)
        else next((e for e in sheets if e.get("name") == sheet), None)
    )
    if chosen is None:
        return None
    rid = chosen.get(f"{{{ns['r']}}}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if target is None:
        return None
    return (
        target.lstrip("/")
        if target.startswith("/")
        else posixpath.normpath(posixpath.join("xl", target))
    )


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def uncached_formulas(path: Path, sheet: str | int) -> list[str]:
    """References ("B7") of formula cells that carry no cached value. Such a cell reads as empty,
    though the spreadsheet shows a number: files written by scripts (openpyxl, pandas) store
    formulas without results. A formula whose cached result is text (t="str", possibly empty) or an
    error counts as cached. One byte search when the sheet has no formula; otherwise one look at
    each formula cell."""
    with zipfile.ZipFile(path) as archive:
        member = _sheet_xml_path(archive, sheet)
        if member is None or member not in archive.namelist():
            return []
        xml = archive.read(member)
    if not _FORMULA.search(xml):
        return []
    refs = []
    for found in _FORMULA.finditer(xml):
        window_start = max(0, found.start() - 1024)
        cells = list(_CELL_START.finditer(xml, window_start, found.start()))
        closing = _CELL_END.search(xml, found.end())
        if not cells or closing is None:
            continue
        attrs = dict(_ATTR.findall(cells[-1].group(0)))
        if attrs.get(b"t") in (b"str", b"e", b"b") or _VALUE.search(
            xml, found.end(), closing.start()
        ):
            continue
        refs.append(attrs.get(b"r", b"?").decode())
    return refs


def check_formulas_cached(path: Path, display: str, sheet: str | int, columns) -> None:
    """An .xlsx formula cell without a cached value is an InputError naming the column and row (it
    would read as an empty cell, i.e. a missing answer, while Excel shows a value)."""
    try:
        refs = uncached_formulas(path, sheet)
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile):
        return  # pandas read the sheet; an unusual layout is not our concern
    if not refs:
        return
    parsed = _REF.fullmatch(refs[0])
    column, row = None, None
    if parsed:
        number = _column_number(parsed.group(1))
        column = str(columns[number - 1]) if number <= len(columns) else parsed.group(1)
        row = int(parsed.group(2)) - 1 or "header"
    raise InputError(
        f"{len(refs)} formula cell(s) have no cached value and would read as empty "
        f"(first: cell {refs[0]}{', ' + ', '.join(refs[1:4]) if len(refs) > 1 else ''})",
        file=display,
        column=column,
        row=row,
        fix=(
            "open the file in Excel or LibreOffice and save it, so that the formulas' values are"
            " stored, or export the sheet as CSV and read that instead"
        ),
    )


def read_xlsform(path: Path, display: str, label_language: str | None = None) -> XLSForm:
    """Parse an XLSForm (the codebook of Kobo/ODK exports) with pyxform, the converter KoboToolbox
    and ODK use.

    The spec is https://xlsform.org/en/. pyxform reads the workbook and checks it as ODK would (an
    invalid form is an InputError quoting pyxform); this reads its result: every question of the
    `survey` sheet with its type and choice list, the names of groups and repeats
    (#grouping-questions, #repeats), and every list of the `choices` sheet. `select_one x or_other`
    adds the choice 'other' labelled "Other" to list x and a text question `<name>_other`
    (#specify-other). Labels are those of one language (#multiple-language-support), see
    `_label_language`: a column `label::English (en)` holds the language "English (en)"; a plain
    `label` column is the form's `default_language` (pyxform's "default" when the settings sheet
    names none).
    """
    _check_file(path, display)
    form = _pyxform_json(path, display)
    sections = [
        e for e in form["children"] if not (e["name"] == "meta" and e["type"] == "group")
    ]  # pyxform's meta
    language = _label_language(
        _languages(sections, form.get("choices", {}), form["default_language"]),
        form["default_language"],
        label_language,
        display,
    )
    questions, groups = _questions_and_groups(sections, language)
    choices = _choice_labels(form.get("choices", {}), language, display)
    return XLSForm(questions, choices, groups)


def _pyxform_json(path: Path, display: str) -> dict[str, Any]:
    """pyxform's JSON form of the XLSForm at `path`; InputError if pyxform cannot read or rejects
    the workbook."""
    try:
        workbook = get_xlsform(xlsform=str(path))
    except PyXFormError as exc:
        raise InputError(
            f"cannot read XLSForm: not a spreadsheet pyxform can read ({exc})",
            file=display,
            fix=(
                "the file is corrupt or not an XLSForm: download the form's XLSForm again from "
                "KoboToolbox/ODK and put it at this path"
            ),
        ) from None
    try:
        form = workbook_to_json(
            workbook_dict=workbook, fallback_form_name=workbook.fallback_form_name
        )
    except Exception as exc:
        # PyXFormError; anything else pyxform raises on a malformed sheet, named with its type
        detail = str(exc) if isinstance(exc, PyXFormError) else f"{type(exc).__name__}: {exc}"
        raise InputError(
            f"cannot read XLSForm: pyxform rejects it ({detail})",
            file=display,
            fix=(
                "correct the form where pyxform's message says (sheet and row; the XLSForm spec is"
                " at xlsform.org), or download the XLSForm the data were collected with again"
            ),
        ) from None
    return form


def _questions_and_groups(
    sections: list[dict[str, Any]], language: str
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Every question of the form (depth first, in form order) with its XLSForm type, choice list
    and label in `language`; and the names of every group and repeat."""
    questions, groups = {}, set()
    stack = list(reversed(sections))
    while stack:
        element = stack.pop()
        if "children" in element:  # a group or a repeat
            groups.add(element["name"])
            stack.extend(reversed(element["children"]))
        else:
            questions[element["name"]] = {
                "type": _SELECT_TYPES.get(element["type"], element["type"]),
                "list": element.get("list_name"),
                "label": _in_language(element.get("label"), language) or "",
            }
    return questions, groups


def _choice_labels(
    choice_lists: dict[str, list[dict[str, Any]]], language: str, display: str
) -> dict[str, dict[str, str]]:
    """Each choice list: value -> label in `language`; InputError for a choice without a label in
    it."""
    choices: dict[str, dict[str, str]] = {}
    for list_name, items in choice_lists.items():
        choices[list_name] = {}
        for item in items:
            label = _in_language(item.get("label"), language)
            if label is None:  # pyxform only warns; the label would be the data value
                unnamed = language == DEFAULT_LANGUAGE_VALUE
                raise InputError(
                    f"choice '{item['name']}' of list '{list_name}' has no label"
                    + ("" if unnamed else f" in {language}"),
                    file=display,
                    key=None if unnamed else "label_language",
                    fix=(
                        "fill its `label` cell on the choices sheet"
                        if unnamed
                        else (
                            f"fill its `label::{language}` cell on the choices sheet, or choose"
                            " another `label_language:` in the country config"
                        )
                    ),
                )
            choices[list_name][item["name"]] = label
    return choices


_SELECT_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
}  # pyxform's -> XLSForm's


def _in_language(label, language: str) -> str | None:
    """A label in `language`: pyxform gives {language: text} for translated labels and plain text
    for a label without a language (or one it wrote itself, such as or_other's "Specify other."),
    which serves any language.
    """
    return label.get(language) if isinstance(label, dict) else label


def _languages(
    sections: list[dict], choice_lists: dict[str, list[dict]], default_language: str
) -> list[str]:
    """The languages of the form's question and choice labels (the `label::<language>` suffixes; a
    plain `label` column beside them is pyxform's "default"), or just `default_language` when no
    label names one.
    """
    found, stack = (
        set(),
        list(sections) + [item for items in choice_lists.values() for item in items],
    )
    while stack:
        element = stack.pop()
        if isinstance(element.get("label"), dict):
            found |= set(element["label"])
        stack.extend(element.get("children", []))
    return sorted(found) or [default_language]


def _label_language(
    languages: list[str], default_language: str, wanted: str | None, display: str
) -> str:
    """The language to take labels in: `label_language:` from the config; else the form's
    `default_language` setting (settings sheet); else the form's only language. Several languages
    and none chosen stop the run.
    """
    listed = ", ".join(
        f"'{lang}'" + (" (the plain `label` column)" if lang == DEFAULT_LANGUAGE_VALUE else "")
        for lang in languages
    )
    choose = (
        "set `label_language:` next to `xlsform:` in this source's entry of the country config"
        f" (the new-country command: --label-language) to one of {listed}"
    )
    if wanted is not None:
        if wanted not in languages:
            raise InputError(
                f"label_language '{wanted}' is not a language of the XLSForm's labels (it has"
                f" {listed})",
                file=display,
                key="label_language",
                fix=choose,
            )
        return wanted
    if default_language != DEFAULT_LANGUAGE_VALUE:  # the settings sheet names a default_language
        if default_language not in languages:
            raise InputError(
                f"the XLSForm's default_language '{default_language}' (settings sheet) has no"
                f" labels (the form has {listed})",
                file=display,
                key="default_language",
                fix=f"correct default_language in the form's settings sheet, or {choose}",
            )
        return default_language
    if len(languages) > 1:
        raise InputError(
            f"the XLSForm has labels in {len(languages)} languages ({listed}) and none is chosen",
            file=display,
            key="label_language",
            fix=f"{choose} (or name the form's default_language in its settings sheet)",
        )
    return languages[0]


def apply_xlsform(table: RawTable, form: XLSForm) -> RawTable:
    """Strip group paths from Kobo/ODK headers and attach choice labels from the XLSForm.

    'group_a/question' -> 'question'; 'group_a/multi/choice' -> 'multi/choice' (select_multiple
    dummies).
    """
    renamed = {}
    for col in table.frame.columns:
        parts = col.split("/")
        while len(parts) > 1 and parts[0] in form.groups:
            parts = parts[1:]
        renamed[col] = "/".join(parts)
    by_name: dict[str, list[str]] = {}
    for col, name in renamed.items():
        by_name.setdefault(name, []).append(col)
    clash = next((cols for cols in by_name.values() if len(cols) > 1), None)
    if clash:
        raise InputError(
            f"columns {', '.join(repr(c) for c in clash)} all become '{renamed[clash[0]]}' once the"
            " form's group names are removed",
            file=table.file,
            column=clash[0],
            fix=(
                "give the questions unique names in the XLSForm (and re-export), or drop the extra"
                " column from the export"
            ),
        )
    frame = table.frame.rename(columns=renamed)
    labels, multi = {}, {}
    for name, q in form.questions.items():
        if q["list"] and q["list"] in form.choices:
            if q["type"] == "select_one":
                labels[name] = dict(form.choices[q["list"]])
            elif q["type"] == "select_multiple":
                multi[name] = set(form.choices[q["list"]])
                labels[name] = dict(form.choices[q["list"]])
    return RawTable(
        frame, table.file, labels, {}, {k: v["label"] for k, v in form.questions.items()}, multi
    )


def read_source(root: Path, source: Source) -> RawTable:
    """Read one `sources:` entry of a country config (format, options, optional XLSForm)."""
    path = root / source.file
    display = source.file
    _check_file(path, display)
    fmt = source.format
    if fmt == "spss":
        table = read_spss(path, display)
    elif fmt == "stata":
        table = read_stata(path, display)
    elif fmt == "csv":
        table = read_csv(path, display, sep=source.sep, encoding=source.encoding)
    elif fmt == "xlsx":
        table = read_xlsx(path, display, sheet=source.sheet)
    else:  # the schema only allows the formats above
        raise InputError(
            f"unknown format '{fmt}'", file=display, fix="use spss, stata, csv or xlsx"
        )
    if source.xlsform:
        form = read_xlsform(root / source.xlsform, source.xlsform, source.label_language)
        table = apply_xlsform(table, form)
    table.blank = blank_rows(table.frame)
    if table.blank.all():
        raise InputError(
            "raw file has a header but no data rows"
            + (" (only blank rows)" if len(table.frame) else ""),
            file=display,
            fix="re-export the data; an export with zero submissions cannot be analysed",
        )
    return table
