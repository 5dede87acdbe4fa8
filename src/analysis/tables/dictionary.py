"""Data dictionary of one country: every harmonised variable and every indicator, one row each.

`data_dictionary(project, country, data)` reads the codebook of the country config
(`datasets.<name>.variables`, `derive`, `sources[].columns`; see analysis.cleaning.codebook) and
the indicators measured there (config/indicators.yaml merged with the country's own), and counts
the valid (non-missing) values per wave in the processed data (`data`: dataset name -> frame of
data/processed/<country>/<dataset>.parquet). Columns (`DICTIONARY_COLUMNS`, then one
`n_valid_<wave>` per configured wave):

  entry          variable (read from the raw files), derived (computed in cleaning) or indicator
  dataset        the dataset the row belongs to (indicators: the respondents dataset)
  variable       harmonised column name (the indicator id for an indicator; the report's
                 estimate tables link to `#dict-<country>-<variable>`)
  label          the indicator's label, or the question of the indicator that reads the variable
  type           codebook type (categorical, integer, number, text, multi, date), the derivation
                 (bands, copy, concat, map, constant) or the indicator kind (share, scale, ...)
  values         harmonised values seen in the processed data (categorical), the choices (multi),
                 the valid range (numbers); never listed for text or identifier variables
                 (direct identifiers never leave data/raw)
  value_labels   the codebook's value map (raw -> harmonised) and recodes, or "file value labels"
  missing_codes  raw codes the codebook treats as missing (indicators: values counted missing)
  source_columns the raw column in each source file ("<wave> <file>: <column>")
  definition     indicators: kind, items, positive answers, thresholds, scoring (and unit; shares
                 are reported in percent 0-100, changes in percentage points); derived variables:
                 the derivation
  in_processed   yes when the column is kept in the processed data, else no (n_valid empty)
  n_valid        valid values over all waves; n_valid_<wave>: valid values in that wave (empty
                 for a wave of another dataset)
"""

from __future__ import annotations

import pandas as pd

from analysis.model import Dataset, Project, Variable

DICTIONARY_COLUMNS = [
    "entry",
    "dataset",
    "variable",  # the harmonised variable or indicator id ("name" would read as an identifier)
    "label",
    "type",
    "values",
    "value_labels",
    "missing_codes",
    "source_columns",
    "definition",
    "in_processed",
    "n_valid",
]
VALUE_SEP = " | "  # joins listed values within one cell
NOT_LISTED = "not listed (free text or identifier)"
UNLISTED_TYPES = ("text", "date")


def _joined(values) -> str:
    return VALUE_SEP.join(str(v) for v in values)


def _waves(dataset: Dataset) -> list[str]:
    return list(dict.fromkeys(source.wave for source in dataset.sources))


def _source_columns(dataset: Dataset, name: str, spec: Variable) -> str:
    """The raw column each source file gives the variable (only files of its waves)."""
    if spec.has_constant:
        return f"constant {spec.constant}"
    cells = [
        f"{s.wave} {s.file}: {s.columns.get(name, spec.source or name)}"
        for s in dataset.sources
        if spec.in_wave(s.wave)
    ]
    return _joined(cells)


def _values(name: str, spec: Variable, frame: pd.DataFrame | None, pii: set[str]) -> str:
    """The listable values of a variable: never for text, dates or identifiers."""
    if spec.type in UNLISTED_TYPES or name in pii:
        return NOT_LISTED
    if spec.type == "multi":
        return _joined(spec.choices)
    if spec.type in ("integer", "number"):
        return f"{spec.valid_range[0]:g} to {spec.valid_range[1]:g}" if spec.valid_range else ""
    if frame is None or name not in frame.columns:
        return ""
    return _joined(sorted(frame[name].dropna().astype(str).unique()))


def _value_labels(spec: Variable) -> str:
    labels = "file value labels" if spec.values == "labels" else _mapped(spec.values)
    return labels + (f"; recode {_mapped(spec.recode)}" if spec.recode else "")


def _mapped(mapping: dict) -> str:
    return _joined(f"{raw} -> {clean}" for raw, clean in mapping.items())


def _counts(frame: pd.DataFrame | None, name: str, waves: list[str]) -> dict:
    """n_valid over all rows and per wave (empty when the column is not in the processed data)."""
    if frame is None or name not in frame.columns:
        return {"in_processed": "no", "n_valid": None} | {f"n_valid_{w}": None for w in waves}
    valid = frame[name].notna()
    per_wave = (
        valid.groupby(frame["wave"].astype(str), observed=True).sum()
        if "wave" in frame.columns
        else pd.Series(dtype=int)
    )
    return {"in_processed": "yes", "n_valid": int(valid.sum())} | {
        f"n_valid_{w}": int(per_wave.get(w, 0)) for w in waves
    }


def _variable_rows(project: Project, country: str, data: dict, labels: dict) -> list[dict]:
    rows = []
    for dataset_name, dataset in project.countries[country].datasets.items():
        frame, waves, pii = data.get(dataset_name), _waves(dataset), set(dataset.pii)
        for name, spec in dataset.variables.items():
            rows.append(
                {
                    "entry": "variable",
                    "dataset": dataset_name,
                    "variable": name,
                    "label": labels.get(name, ""),
                    "type": spec.type,
                    "values": _values(name, spec, frame, pii),
                    "value_labels": "" if spec.type in UNLISTED_TYPES else _value_labels(spec),
                    "missing_codes": _joined(spec.missing),
                    "source_columns": _source_columns(dataset, name, spec),
                }
                | _counts(frame, name, waves)
            )
        for name, derivation in dataset.derive.items():
            fields = derivation.model_dump(by_alias=True, exclude_defaults=True)
            rows.append(
                {
                    "entry": "derived",
                    "dataset": dataset_name,
                    "variable": name,
                    "label": labels.get(name, ""),
                    "type": type(derivation).__name__.removesuffix("Derivation").lower(),
                    "definition": _fields_text(fields),
                }
                | _counts(frame, name, waves)
            )
    return rows


def _fields_text(fields: dict) -> str:
    """Configuration fields as `key: value; ...` (lists joined with ', ')."""

    def text(value) -> str:
        if isinstance(value, list):
            return ", ".join(text(v) for v in value)
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {text(v)}" for k, v in value.items()) + "}"
        return str(value)

    return "; ".join(f"{key}: {text(value)}" for key, value in fields.items())


def _indicator_rows(project: Project, country: str, data: dict) -> list[dict]:
    respondents = project.countries[country].respondents
    dataset_name = next(
        (n for n, d in project.countries[country].datasets.items() if d is respondents), ""
    )
    frame, waves = data.get(dataset_name), _waves(respondents) if respondents else []
    rows = []
    for indicator in project.indicators_of(country):
        how = indicator.countries[country]
        fields = how.model_dump(by_alias=True, exclude_defaults=True, exclude={"waves"})
        rows.append(
            {
                "entry": "indicator",
                "dataset": dataset_name,
                "variable": indicator.id,
                "label": indicator.label,
                "type": how.tag,
                "values": "0 | 1" if how.measure == "share" else f"unit: {how.unit}",
                "missing_codes": _joined(how.missing_codes),
                "source_columns": _joined(how.variables),
                "definition": _indicator_definition(indicator, fields),
            }
            | _counts(frame, indicator.id, waves)
        )
    return rows


def _indicator_definition(indicator, fields: dict) -> str:
    """The question, the improvement direction and the mapping's configured fields."""
    return (
        f"{indicator.question} (improvement: {indicator.improvement}; role: {indicator.role}); "
        + _fields_text(fields)
    )


def _question_labels(project: Project, country: str) -> dict[str, str]:
    """Variable -> the question of the first indicator that reads it alone."""
    labels: dict[str, str] = {}
    for indicator in project.indicators_of(country):
        variables = indicator.countries[country].variables
        if len(variables) == 1:
            labels.setdefault(variables[0], indicator.question or indicator.label)
    return labels


def data_dictionary(project: Project, country: str, data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per harmonised variable (every dataset), derived variable and indicator of the
    country, in configured order; columns as in the module docstring."""
    labels = _question_labels(project, country)
    rows = _variable_rows(project, country, data, labels) + _indicator_rows(project, country, data)
    waves = list(
        dict.fromkeys(w for d in project.countries[country].datasets.values() for w in _waves(d))
    )
    columns = DICTIONARY_COLUMNS + [f"n_valid_{w}" for w in waves]
    table = pd.DataFrame(rows, columns=columns)
    counts = ["n_valid"] + [f"n_valid_{w}" for w in waves]
    table[counts] = table[counts].astype("Int64")
    return table.fillna({c: "" for c in columns if c not in counts})
