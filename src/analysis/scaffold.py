"""Draft a country config from the raw exports' own metadata (`python -m analysis new-country ...`).

What can be read is filled in: sources (one per file, wave guessed from the file name), the codebook
(variable labels as comments, value labels as codes, user-missing codes from SPSS, 'don't know'/'refused'
style labels suggested as missing, XLSForm choices and select_multiple for Kobo/ODK), likely identifier,
sex, age, cluster, weight and direct-identifier columns. Every decision a person must make is a value
starting with "TODO", which the config loader refuses, so nothing runs on a guess.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd

from .model import Source
from .readers import RawTable, read_source

FORMATS = {".sav": "spss", ".zsav": "spss", ".dta": "stata", ".csv": "csv", ".xlsx": "xlsx"}
MISSING_LABEL = re.compile(r"(don.?t know|refus|no answer|not applicable|n/?a\b|missing|skip)", re.I)
GUESSES = {   # harmonised role -> column-name pattern (first match wins)
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
SYSTEM = re.compile(r"^(_?(id|index|status|submission_time|submitted_by|version|tags|notes|validation_status)|start|end|today|"
                    r"deviceid|subscriberid|simserial|formdef_version|submissiondate|starttime|endtime)$", re.I)


def _yaml_str(value) -> str:
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][\w .()/+-]*", text) and text.lower() not in {"yes", "no", "true", "false", "null", "on", "off"} \
            and not text.endswith((" ", ":")):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wave_from_name(path: str, i: int) -> str:
    name = Path(path).name.lower()
    for wave in ("baseline", "midline", "endline"):
        if wave in name:
            return wave
    return f"TODO: name this wave (e.g. baseline or endline) - file {i + 1}"


def _guess(columns: list[str], role: str) -> str | None:
    pattern = re.compile(GUESSES[role], re.I)
    return next((c for c in columns if pattern.search(c.split("/")[-1])), None)


def _describe(table: RawTable, col: str) -> tuple[dict, str]:
    """A codebook entry for one raw column, and a comment describing it."""
    series = table.frame[col]
    label = table.variable_labels.get(col) or ""
    labels = table.value_labels.get(col)
    if col in table.multi_choice:
        return {"type": "multi"}, f"select_multiple: {', '.join(sorted(table.multi_choice[col]))}"
    if labels:
        codes = ", ".join(f"{int(k) if isinstance(k, float) and k.is_integer() else k}={v}" for k, v in list(labels.items())[:12])
        entry = {}
        missing = sorted({k for k, v in labels.items() if MISSING_LABEL.search(str(v))} | table.missing_values.get(col, set()))
        if missing:
            entry["missing"] = [int(m) if isinstance(m, float) and m.is_integer() else m for m in missing]
        return entry, f"{label}: {codes}".strip(": ")
    numeric = pd.to_numeric(series.replace("", None), errors="coerce")
    if series.notna().sum() and numeric.notna().sum() == (series.replace("", None).notna()).sum():
        kind = "integer" if (numeric.dropna() % 1 == 0).all() else "number"
        return {"type": kind}, f"{label} (numeric, {numeric.min():g} to {numeric.max():g})".strip()
    distinct = series.replace("", None).dropna().astype(str).unique()
    if 0 < len(distinct) <= 15 and not re.search(r"(enum|interviewer|comment|note|other|specify)", col, re.I):
        return {"values": {v: v for v in sorted(distinct)}}, (f"{label}: distinct values in the file; rename the right-hand "
                                                               "side to harmonised labels").strip(": ")
    return {"type": "text"}, f"{label} (free text, {len(distinct)} distinct values)".strip()


def draft_country_config(root: Path, name: str, files: list[str], xlsform: str | None = None,
                         label_language: str | None = None) -> str:
    """YAML text of a draft `config/countries/<name>.yaml` for the given raw files (paths from `root`); labels from
    the XLSForm in `label_language` (needed for a form in several languages without a default_language)."""
    sources, tables = [], []
    for i, f in enumerate(files):
        fmt = FORMATS.get(Path(f).suffix.lower())
        if fmt is None:
            raise ValueError(f"unsupported file type {Path(f).suffix}; use .sav, .dta, .csv or .xlsx")
        src = {"wave": _wave_from_name(f, i), "file": f, "format": fmt}
        if fmt == "csv":
            head = (root / f).read_text(encoding="utf-8", errors="replace").splitlines()[0] if (root / f).exists() else ""
            if head.count(";") > head.count(","):
                src["sep"] = ";"
        if xlsform:
            src["xlsform"] = xlsform
            if label_language:
                src["label_language"] = label_language
        sources.append(src)
        tables.append(read_source(root, Source.model_validate(src)))
    columns = list(dict.fromkeys(c for t in tables for c in t.frame.columns))
    guesses = {role: _guess(columns, role) for role in GUESSES}
    pii = [c for c in columns if PII.search(c.split("/")[-1]) and c not in guesses.values()]
    lines = [f"# Drafted by `python -m analysis new-country {name} {' '.join(files)}`"
             + (f" --xlsform {xlsform}" if xlsform else "")
             + (f" --label-language {shlex.quote(label_language)}" if xlsform and label_language else "")
             + " from the exports' own metadata.",
             "# Every value starting with TODO needs a person's decision: the pipeline refuses to run while one remains.",
             "# Then add the country to `countries:` in config/config.yaml. See README.md, 'Add a country'.",
             f"country: {name}",
             f'label: "TODO: display name, e.g. {name.replace("_", " ").title()}"',
             "synthetic_data: false           # true if these are synthetic or example data (said on every chart)",
             "", "datasets:", "  respondents:", "    role: respondents",
             '    description: "TODO: what the data are, e.g. the <programme> participant survey, baseline and endline"',
             "    design:",
             '      type: "TODO: independent (different people each wave) or panel (the same people; set panel_key)"',
             "      # panel_key: respondent_id    # panel: the harmonised variable that matches people across waves",
             f"      # cluster: cluster            # clustered sample: primary sampling unit{' (found: ' + guesses['cluster'] + ')' if guesses['cluster'] else ''}",
             f"      # weight: weight              # weighted sample{' (found: ' + guesses['weight'] + ')' if guesses['weight'] else ''}",
             f"      # strata: stratum             # stratified sample{' (found: ' + guesses['stratum'] + ')' if guesses['stratum'] else ''}",
             f"    pii: [{', '.join(_yaml_str(p) for p in pii)}]   # guessed from column names: these are never read; TODO confirm",
             "    sources:"]
    for src, table in zip(sources, tables):
        lines.append(f"      - wave: {_yaml_str(src['wave'])}")
        lines.append(f"        file: {src['file']}")
        lines.append(f"        format: {src['format']}")
        for key in ("sep", "xlsform", "label_language"):
            if key in src:
                lines.append(f"        {key}: {_yaml_str(src[key])}")
        absent = [c for c in columns if c not in table.frame.columns]
        if absent:
            lines.append(f"        # columns not in this file: {', '.join(absent[:12])}{' ...' if len(absent) > 12 else ''}"
                         " (map them under `columns:` or list the waves that have them under `waves:`)")
    lines.append("    variables:                   # harmonised name: how to read it (source: the raw column)")
    core = {"respondent_id": guesses["respondent_id"], "submission_id": guesses["submission_id"], "sex": guesses["sex"],
            "age": guesses["age"], "consent": guesses["consent"]}
    used = set()
    for role, col in core.items():
        if role in ("respondent_id", "submission_id"):
            entry, note = {"type": "text"}, "identifier"
        elif col:
            entry, note = _describe(next(t for t in tables if col in t.frame.columns), col)
        else:
            entry, note = {}, ""
        if col is None:
            if role in ("respondent_id", "sex", "age"):
                lines.append(f'      {role}: {{source: "TODO: the raw column holding {role}"}}')
            continue
        used.add(col)
        if role == "sex":
            note += " | harmonised values must be Female / Male: add recode if the labels differ"
        if role == "age":
            entry.setdefault("type", "integer")
            entry["valid_range"] = [12, 100]
        lines.append(f"      {role}: {_inline({'source': col, **entry})}   # {note}  (guessed: TODO confirm)"
                     if role in ("respondent_id", "sex", "age") else f"      {role}: {_inline({'source': col, **entry})}   # {note}")
    for col in columns:
        if col in used or col in pii or SYSTEM.match(col.split("/")[-1]) or "/" in col:
            continue
        table = next(t for t in tables if col in t.frame.columns)
        entry, note = _describe(table, col)
        missing_waves = [s["wave"] for s, t in zip(sources, tables) if col not in t.frame.columns]
        if missing_waves:
            entry["waves"] = [s["wave"] for s, t in zip(sources, tables) if col in t.frame.columns]
        key = re.sub(r"\W", "_", col.split("/")[-1]).lower()
        if key != col:
            entry = {"source": col, **entry}
        lines.append(f"      {key}: {_inline(entry)}" + (f"   # {note}" if note else ""))
    lines += ["    exclusions:                  # applied in order; the first rule a row meets is its reason"]
    if guesses["consent"]:
        lines.append('      - {id: no_consent, reason: "no consent", when: {variable: consent, not_equals: "Yes"}}   # TODO check the label')
    if guesses["submission_id"]:
        lines.append('      - {id: duplicate_submission, reason: "duplicate submission", duplicate_of: [submission_id]}')
    lines += ["    derive:",
              "      age_band:",
              "        from: age",
              "        bands:                   # TODO: the age bands you report",
              '          - {label: "18–34", min: 18, max: 34}',
              '          - {label: "35–54", min: 35, max: 54}',
              '          - {label: "55+", min: 55, max: 120}',
              f'      location: {{copy: {guesses["stratum"] or guesses["cluster"] or "TODO: a place variable"}}}',
              f'      cluster: {{copy: {guesses["cluster"] or "TODO: the PSU variable, or use constant: none"}}}',
              f'      weight: {{copy: {guesses["weight"]}}}' if guesses["weight"] else "      weight: {constant: 1.0}",
              '      social_group: {constant: "TODO: a variable to copy, or a constant such as All"}',
              "",
              "estimate_groups: [sex, age_band]   # estimates by these besides overall",
              "",
              "# Indicators: each item you report as a 0/1 share. An `id` already in config/indicators.yaml reuses its",
              "# definition; a new id also needs label and improvement (increase or decrease).",
              "indicators:",
              '  - {id: "TODO_indicator_id", label: "TODO", improvement: increase, variable: "TODO_item", positive: ["TODO"]}',
              ""]
    return "\n".join(lines)


def _inline(entry: dict) -> str:
    def value(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{_yaml_str(k)}: {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{v:g}" if isinstance(v, float) else str(v)
        return _yaml_str(v)
    return value(entry)
