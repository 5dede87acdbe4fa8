"""Draft a country config from the raw exports' own metadata (`python -m analysis new-country ...`).

What can be read is filled in: sources (one per file, wave guessed from the file name), the codebook
(variable labels as comments, value labels as codes, user-missing codes from SPSS, 'don't
know'/'refused' style labels suggested as missing, XLSForm choices and select_multiple for
Kobo/ODK), likely identifier, sex, age, cluster, weight and direct-identifier columns. Every
decision a person must make is a value starting with "TODO", which the config loader refuses, so
nothing runs on a guess. The YAML, with its comments, is rendered from templates/country.yaml.j2;
this module prepares its data.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from analysis.ingest.readers import RawTable, read_source
from analysis.model import Source

FORMATS = {".sav": "spss", ".zsav": "spss", ".dta": "stata", ".csv": "csv", ".xlsx": "xlsx"}
MISSING_LABEL = re.compile(
    r"(don.?t know|refus|no answer|not applicable|n/?a\b|missing|skip)", re.I
)
GUESSES = {  # harmonised role -> column-name pattern (first match wins)
    "respondent_id": r"^(hhid|respondent_?id|resp_?id|participant_?(code|id)|member_?id|pid|id)$",
    "submission_id": r"^(_?uuid|key|instanceid|meta/instanceid)$",
    "sex": r"^(sex|gender|resp_?sex|resp_?gender)$",
    "age": r"^(age|age_?years|resp_?age)$",
    "cluster": r"(village|cluster|psu|community|ea_?code)",
    "weight": r"^(wt|weight|wgt|pweight|sample_?weight)$",
    "stratum": r"^(strat\w*|district|region)$",
    "consent": r"consent",
}
PII = re.compile(r"(name|phone|mobile|tel|gps|latitude|longitude|address|email|national_?id)", re.I)
CORE = (
    "respondent_id",
    "submission_id",
    "sex",
    "age",
    "consent",
)  # the harmonised variables drafted first
ASKED = (
    "respondent_id",
    "sex",
    "age",
)  # core variables every config needs: a TODO when no column is found
PLAIN = re.compile(
    r"[A-Za-z_][\w .()/+-]*"
)  # text YAML reads back as it is (but yes/no/null... and a final ":")
# Characters other than those YAML (1.1, as PyYAML reads it) keeps as they are in a quoted scalar or
# a comment: printable, not a line break (\n \r \x85 \u2028 \u2029), not a tab, not a BOM.
NOT_VERBATIM = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
NOT_QUOTABLE = re.compile('[\\\\"]|' + NOT_VERBATIM.pattern)
QUOTED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}
SYSTEM = re.compile(
    r"^(_?(id|index|status|submission_time|submitted_by|version|tags|notes|validation_status)|start|end|today|"
    r"deviceid|subscriberid|simserial|formdef_version|submissiondate|starttime|endtime)$",
    re.I,
)


def _escaped(match: re.Match) -> str:
    """A YAML double-quoted escape for one character."""
    ch = match.group()
    code = ord(ch)
    return QUOTED_ESCAPES.get(ch) or (
        f"\\x{code:02x}"
        if code <= 0xFF
        else f"\\u{code:04x}"
        if code <= 0xFFFF
        else f"\\U{code:08x}"
    )


def _yaml_str(value) -> str:
    """A YAML scalar reading back as `str(value)`: as it is when that is plain text YAML reads as
    text, else double-quoted, with backslash escapes for the backslash, the quote and every
    character a quoted scalar cannot hold as it is (line breaks, tabs, control characters, a
    BOM)."""
    text = str(value)
    if (
        PLAIN.fullmatch(text)
        and text.lower() not in {"yes", "no", "true", "false", "null", "on", "off"}
        and not text.endswith((" ", ":"))
    ):
        return text
    return '"' + NOT_QUOTABLE.sub(_escaped, text) + '"'


def _comment(value) -> str:
    """Text for a YAML comment: one line, every line break, tab or control character (NOT_VERBATIM)
    a space."""
    return NOT_VERBATIM.sub(" ", str(value))


def _inline(entry: dict) -> str:
    """A YAML flow mapping for a codebook entry (nested mappings and lists inline, numbers as
    numbers)."""

    def value(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{_yaml_str(k)}: {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{v:g}" if isinstance(v, float) else str(v)
        return _yaml_str(v)

    return value(entry)


TEMPLATES = Environment(
    loader=PackageLoader("analysis", "templates"),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
TEMPLATES.filters.update(yaml=_yaml_str, inline=_inline, comment=_comment, shell=shlex.quote)


def _wave_from_name(path: str, i: int) -> str:
    """The wave a file name says (baseline, midline or endline), else a TODO naming the file's
    position."""
    name = Path(path).name.lower()
    for wave in ("baseline", "midline", "endline"):
        if wave in name:
            return wave
    return f"TODO: name this wave (e.g. baseline or endline) - file {i + 1}"


def _guess(columns: list[str], role: str) -> str | None:
    """The first column whose name (after any group path) matches the role's pattern in GUESSES, if
    any."""
    pattern = re.compile(GUESSES[role], re.I)
    return next((c for c in columns if pattern.search(c.split("/")[-1])), None)


def _numeric_kind(series: pd.Series, missing: list) -> str | None:
    """'integer' or 'number' for a column whose values other than the missing codes are all
    numbers (and some are given), else None."""
    values = series.replace("", None).dropna()
    values = values[~values.isin(missing)]
    numeric = pd.to_numeric(values, errors="coerce")
    if values.empty or numeric.isna().any():
        return None
    return "integer" if (numeric % 1 == 0).all() else "number"


def _describe(table: RawTable, col: str) -> tuple[dict, str]:
    """A codebook entry for one raw column, and a comment describing it."""
    series = table.frame[col]
    label = table.variable_labels.get(col) or ""
    labels = table.value_labels.get(col)
    if col in table.multi_choice:
        return {"type": "multi"}, f"select_multiple: {', '.join(sorted(table.multi_choice[col]))}"
    if labels:
        codes = ", ".join(
            f"{int(k) if isinstance(k, float) and k.is_integer() else k}={v}"
            for k, v in list(labels.items())[:12]
        )
        entry: dict[str, Any] = {}
        missing = sorted(
            {k for k, v in labels.items() if MISSING_LABEL.search(str(v))}
            | table.missing_values.get(col, set())
        )
        if missing:
            entry["missing"] = [
                int(m) if isinstance(m, float) and m.is_integer() else m for m in missing
            ]
        kind = _numeric_kind(series, missing) if set(labels) <= set(missing) else None
        if kind:  # labels name only missing codes (e.g. -99=Don't know): an amount or a score
            entry["type"] = kind
        return entry, f"{label}: {codes}".strip(": ")
    numeric = pd.to_numeric(series.replace("", None), errors="coerce")
    if series.notna().sum() and numeric.notna().sum() == (series.replace("", None).notna()).sum():
        kind = "integer" if (numeric.dropna() % 1 == 0).all() else "number"
        return {"type": kind}, f"{label} (numeric, {numeric.min():g} to {numeric.max():g})".strip()
    distinct = series.replace("", None).dropna().astype(str).unique()
    if 0 < len(distinct) <= 15 and not re.search(
        r"(enum|interviewer|comment|note|other|specify)", col, re.I
    ):
        return {"values": {v: v for v in sorted(distinct)}}, (
            f"{label}: distinct values in the file; rename the right-hand side to harmonised labels"
        ).strip(": ")
    return {"type": "text"}, f"{label} (free text, {len(distinct)} distinct values)".strip()


def _source(root: Path, file: str, i: int, xlsform: str | None, label_language: str | None) -> dict:
    """The `sources:` entry of one raw file: wave (guessed from the file name), file, format, the
    separator of a CSV written with semicolons, and the XLSForm if given."""
    fmt = FORMATS.get(Path(file).suffix.lower())
    if fmt is None:
        raise ValueError(
            f"unsupported file type {Path(file).suffix}; use .sav, .dta, .csv or .xlsx"
        )
    src = {"wave": _wave_from_name(file, i), "file": file, "format": fmt}
    if fmt == "csv":
        head = (
            (root / file).read_text(encoding="utf-8", errors="replace").splitlines()[0]
            if (root / file).exists()
            else ""
        )
        if head.count(";") > head.count(","):
            src["sep"] = ";"
    if xlsform:
        src["xlsform"] = xlsform
        if label_language:
            src["label_language"] = label_language
    return src


def _source_views(sources: list[dict], tables: list[RawTable], columns: list[str]) -> list[dict]:
    """Each source with the columns other files have and it lacks (the first 12, and whether there
    are more)."""
    views = []
    for src, table in zip(sources, tables):
        absent = [c for c in columns if c not in table.frame.columns]
        views.append({"source": src, "absent": absent[:12], "more": len(absent) > 12})
    return views


def _core_variables(guesses: dict, tables: list[RawTable]) -> list[dict]:
    """The `variables:` lines of the core roles (ids, sex, age, consent) from the guessed columns,
    each a dict of `key`, `entry` (its flow mapping), `note` (its comment; None for none) and
    `guessed` (say "TODO confirm"); a role every config needs and no column matched gets a TODO
    source."""
    lines = []
    for role in CORE:
        col = guesses[role]
        if col is None:
            if role in ASKED:
                lines.append(
                    {
                        "key": role,
                        "entry": {"source": f"TODO: the raw column holding {role}"},
                        "note": None,
                        "guessed": False,
                    }
                )
            continue
        entry: dict[str, Any]  # a codebook entry (as `_describe` gives): text, numbers, lists, maps
        if role in ("respondent_id", "submission_id"):
            entry, note = {"type": "text"}, "identifier"
        else:
            entry, note = _describe(next(t for t in tables if col in t.frame.columns), col)
        if role == "sex":
            note += " | harmonised values must be Female / Male: add recode if the labels differ"
        if role == "age":
            entry.setdefault("type", "integer")
            entry["valid_range"] = [12, 100]
        lines.append(
            {"key": role, "entry": {"source": col, **entry}, "note": note, "guessed": role in ASKED}
        )
    return lines


def _other_variables(
    columns: list[str], skip: set, sources: list[dict], tables: list[RawTable], taken: set
) -> list[dict]:
    """The `variables:` lines of every other column (not in `skip`, not a system or group column),
    keyed by its name in lower case with non-word characters as "_" (then "_2", "_3"... while the
    key is `taken`), with the waves that have it when some lack it."""
    lines, taken = [], set(taken)
    for col in columns:
        if col in skip or SYSTEM.match(col.split("/")[-1]) or "/" in col:
            continue
        entry, note = _describe(next(t for t in tables if col in t.frame.columns), col)
        if any(col not in t.frame.columns for t in tables):
            entry["waves"] = [s["wave"] for s, t in zip(sources, tables) if col in t.frame.columns]
        key = stem = re.sub(r"\W", "_", col.split("/")[-1]).lower()
        n = 1
        while key in taken:
            n += 1
            key = f"{stem}_{n}"
        taken.add(key)
        lines.append(
            {
                "key": key,
                "entry": entry if key == col else {"source": col, **entry},
                "note": note or None,
                "guessed": False,
            }
        )
    return lines


def draft_country_config(
    root: Path,
    name: str,
    files: list[str],
    xlsform: str | None = None,
    label_language: str | None = None,
) -> str:
    """YAML text of a draft `config/countries/<name>.yaml` for the given raw files
    (templates/country.yaml.j2).

    Parameters
    ----------
    root : Path
        The project root; `files` and `xlsform` are relative to it.
    name : str
        The country's config name.
    files : list of str
        The raw exports, one source each (.sav, .zsav, .dta, .csv or .xlsx).
    xlsform : str, optional
        The XLSForm of KoboToolbox/ODK exports.
    label_language : str, optional
        The XLSForm language whose labels are read (needed for a form in several languages without a
        default_language).

    Returns
    -------
    str
        The draft, with a TODO for every decision a person must make.

    Raises
    ------
    ValueError
        A file of an unsupported type.
    """
    sources = [_source(root, f, i, xlsform, label_language) for i, f in enumerate(files)]
    tables = [read_source(root, Source.model_validate(src)) for src in sources]
    columns = list(dict.fromkeys(c for t in tables for c in t.frame.columns))
    guesses = {role: _guess(columns, role) for role in GUESSES}
    pii = [c for c in columns if PII.search(c.split("/")[-1]) and c not in guesses.values()]
    used = {guesses[role] for role in CORE if guesses[role]}
    core = _core_variables(guesses, tables)
    others = _other_variables(
        columns, used | set(pii), sources, tables, {line["key"] for line in core}
    )
    return TEMPLATES.get_template("country.yaml.j2").render(
        name=name,
        display_name=name.replace("_", " ").title(),
        files=files,
        xlsform=xlsform,
        label_language=label_language,
        found=guesses,
        pii=pii,
        sources=_source_views(sources, tables, columns),
        variables=core + others,
    )
