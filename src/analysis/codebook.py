"""Codebook: turn one raw column into one harmonised column, logging every changed value.

A variable spec (from `datasets.<name>.variables` in a country config) says how:
  type: categorical | integer | number | text | multi | date     (default categorical)
  values: labels | {raw: harmonised, ...}   categorical map; `labels` uses the file's own value labels
                                            (SPSS/Stata metadata or the XLSForm choices)
  recode: {label: harmonised}               applied after `values`
  missing: [codes]                          raw codes meaning missing (added to the file's user-missing codes)
  normalise_text: true                      compare text case- and space-insensitively (logged when it matters)
  normalise: title | lower | upper | none   for type text: canonical form of free text (logged when changed)
  valid_range: [min, max]                   integer/number: values outside become missing (logged), or stop the
  out_of_range: missing | error             run with `out_of_range: error` (for hand-kept registers)

`convert_column` returns the harmonised values, log rows (DataFrame) and unknown values (DataFrame):
unknown values stop the run later unless their rows are excluded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

LOG_COLUMNS = ["variable", "raw_value", "clean_value", "rule", "severity"]


def _blank(raw: pd.Series) -> pd.Series:
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        return raw.isna() | (raw.astype(str).str.strip() == "")
    return raw.isna()


def _norm_text(raw: pd.Series) -> pd.Series:
    return raw.astype(str).str.strip().str.replace(r"\s+", " ", regex=True)


def display_values(values: pd.Series) -> np.ndarray:
    """Raw values as text for logs: integral numeric codes without a trailing '.0'."""
    if pd.api.types.is_float_dtype(values):
        integral = values.notna() & (values % 1 == 0)
        text = values.astype(str)
        text[integral] = values[integral].astype(np.int64).astype(str)
        return text.to_numpy()
    return values.astype(str).to_numpy()


def _log(variable: str, mask: np.ndarray, raw: pd.Series, clean, rule: str, severity: str = "change") -> pd.DataFrame:
    idx = raw.index[mask]
    clean_vals = clean[mask] if isinstance(clean, (pd.Series, np.ndarray)) else [clean] * int(mask.sum())
    return pd.DataFrame({"row_index": idx, "variable": variable, "raw_value": display_values(raw[mask]),
                         "clean_value": pd.Series(clean_vals, dtype=object).astype(str).replace("nan", "NA").to_numpy(),
                         "rule": rule, "severity": severity})


def _comparable(raw: pd.Series) -> tuple[pd.Series, bool]:
    """Raw values in a comparable form: floats when the column is numeric, else strings."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype(float), True
    return raw.astype(str).astype(object).where(raw.notna(), None), False


def _key(value, numeric: bool, fold: bool):
    if numeric:
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    text = " ".join(str(value).split())
    return text.casefold() if fold else text


def _keys(raw: pd.Series, fold: bool) -> tuple[pd.Series, bool]:
    """Comparable keys for every raw value, computed once per distinct value (vectorised lookup)."""
    if pd.api.types.is_numeric_dtype(raw):          # numeric codes are their own keys
        return raw.astype(float), True
    comp, numeric = _comparable(raw)
    distinct = pd.unique(comp[comp.notna()])
    table = {v: _key(v, numeric, fold) for v in distinct}
    return comp.map(table), numeric


def missing_mask(variable: str, raw: pd.Series, spec: dict, declared: set) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows whose raw value is a missing code (declared in the file or in config); logged."""
    fold = bool(spec.get("normalise_text"))
    keys, numeric = _keys(raw, fold)
    codes = {_key(c, numeric, fold) for c in list(spec.get("missing", [])) + list(declared)}
    mask = keys.isin(codes).to_numpy() & ~_blank(raw).to_numpy()
    return mask, _log(variable, mask, raw, "NA", "missing code -> NA")


def convert_column(variable: str, raw: pd.Series, spec: dict, value_labels: dict | None = None,
                   declared_missing: set | None = None, multi_choices: set | None = None):
    """Harmonise one raw column. Returns (values, log rows, unknown rows)."""
    kind = spec.get("type", "categorical")
    logs = []
    blank = _blank(raw).to_numpy()
    is_missing, missing_log = missing_mask(variable, raw, spec, declared_missing or set())
    logs.append(missing_log)
    usable = ~blank & ~is_missing
    unknown = np.zeros(len(raw), dtype=bool)

    if kind in ("integer", "number"):
        num = pd.to_numeric(raw.where(usable), errors="coerce")
        unknown = usable & num.isna().to_numpy()
        if kind == "integer":
            frac = usable & ~unknown & (num.fillna(0) % 1 != 0).to_numpy()
            unknown |= frac
        out = num.where(~pd.Series(unknown, index=raw.index))
        if "valid_range" in spec:
            lo, hi = spec["valid_range"]
            bad = (out.notna() & ((out < lo) | (out > hi))).to_numpy()
            if spec.get("out_of_range", "missing") == "error":
                unknown |= bad          # reported like an unknown code: the run stops unless the row is excluded
            else:
                logs.append(_log(variable, bad, raw, "NA", f"out of valid range [{lo}, {hi}] -> NA"))
                out = out.where(~pd.Series(bad, index=raw.index))
        values = out.astype("Float64") if kind == "number" else out.round().astype("Int64")
    elif kind in ("text", "date"):
        text = _norm_text(raw.where(usable, ""))
        mode = spec.get("normalise", "none")
        if mode != "none":
            text = getattr(text.str, mode)()
        changed = usable & (text != raw.astype(str)).to_numpy()
        logs.append(_log(variable, changed, raw, text.to_numpy(), f"normalise text ({mode}, spacing)"))
        values = text.where(usable, None).astype(object)
        if kind == "date":
            parsed = pd.to_datetime(values, format=spec.get("format"), errors="coerce")
            unknown = usable & parsed.isna().to_numpy()
            values = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None).astype(object)
    elif kind == "multi":
        allowed = set(spec.get("choices", [])) or set(multi_choices or ())
        tokens = raw.where(usable, "").astype(str).str.split()
        exploded = tokens.explode()
        bad_token = exploded.notna() & ~exploded.isin(allowed)
        bad = bad_token.groupby(level=0).any().reindex(raw.index, fill_value=False).to_numpy() & usable
        unknown = bad
        values = tokens.str.join(" ").where(usable & ~bad, None).astype(object)
    else:  # categorical
        fold = bool(spec.get("normalise_text"))
        keys, numeric = _keys(raw, fold)
        mapping = value_labels if spec.get("values", "labels") == "labels" else spec["values"]
        canonical = {_key(k, numeric, fold): k for k in (mapping or {})}
        mapping = {_key(k, numeric, fold): v for k, v in (mapping or {}).items()}
        mapped = keys.map(mapping)
        unknown = usable & mapped.isna().to_numpy()
        if fold and not numeric:
            # logged when the raw text differs from the codebook's spelling of the same code
            spelled = keys.map(canonical).astype(object)
            changed = usable & ~unknown & (spelled.astype(str) != raw.astype(str)).to_numpy()
            logs.append(_log(variable, changed, raw, mapped.to_numpy(), "normalise case/spacing before coding"))
        if spec.get("recode"):
            mapped = mapped.replace(spec["recode"])
        # a categorical column: one small dictionary of labels instead of a Python string per row
        values = mapped.where(usable & ~unknown, None).astype("category")

    unknown_rows = pd.DataFrame({"row_index": raw.index[unknown], "variable": variable,
                                 "raw_value": display_values(raw[unknown])})
    log = pd.concat([frame for frame in logs if len(frame)], ignore_index=True) if any(len(f) for f in logs) else \
        pd.DataFrame(columns=["row_index"] + LOG_COLUMNS)
    return values, log, unknown_rows
