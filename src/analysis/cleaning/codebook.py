"""Codebook: turn one raw column into one harmonised column, logging every changed value.

A variable spec (`analysis.model.Variable`, from `datasets.<name>.variables` in a country config)
says how:
  type: categorical | integer | number | text | multi | date     (default categorical)
  values: labels | {raw: harmonised, ...}   categorical map; `labels` uses the file's own value
                                            labels (SPSS/Stata metadata or the XLSForm choices)
  recode: {label: harmonised}               applied after `values`
  missing: [codes]                          raw codes meaning missing (added to the file's
                                            user-missing codes)
  normalise_text: true                      compare text case- and space-insensitively (logged
                                            when it matters)
  normalise: title | lower | upper | none   for type text: canonical form of free text (logged
                                            when changed)
  valid_range: [min, max]                   integer/number: values outside become missing
  out_of_range: missing | error             (logged), or stop the run with `out_of_range: error`
                                            (for hand-kept registers)

`convert_column` returns the harmonised values, log rows (DataFrame) and unknown values (DataFrame):
unknown values stop the run later unless their rows are excluded.

Speed: a raw column is factorised once (`Distinct`); keys, missing codes, labels and numbers are
worked out per distinct value and spread to the rows with one `take`, so a million-row column of
five codes costs five dictionary lookups, not a million.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.model import Variable

LOG_COLUMNS = ["variable", "raw_value", "clean_value", "rule", "severity"]


def display_values(values: pd.Series) -> np.ndarray:
    """Raw values as text for logs: integral numeric codes without a trailing '.0'."""
    if pd.api.types.is_float_dtype(values):
        integral = values.notna() & (values % 1 == 0)
        text = values.astype(str)
        text[integral] = values[integral].astype(np.int64).astype(str)
        return text.to_numpy()
    return values.astype(str).to_numpy()


def _log(
    variable: str, mask: np.ndarray, raw: pd.Series, clean, rule: str, severity: str = "change"
) -> pd.DataFrame:
    idx = raw.index[mask]
    clean_vals = (
        clean[mask] if isinstance(clean, (pd.Series, np.ndarray)) else [clean] * int(mask.sum())
    )
    return pd.DataFrame(
        {
            "row_index": idx,
            "variable": variable,
            "raw_value": display_values(raw[mask]),
            "clean_value": (
                pd.Series(clean_vals, dtype=object).astype(str).replace("nan", "NA").to_numpy()
            ),
            "rule": rule,
            "severity": severity,
        }
    )


def _key(value, numeric: bool, fold: bool):
    """The comparable form of one code: a float for numeric columns, else text with spacing (and
    case) folded."""
    if numeric:
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    text = " ".join(str(value).split())
    return text.casefold() if fold else text


ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
# Python's `\s` (what str.split() splits on) spelled for RE2, which pyarrow's regex kernels use
WHITESPACE = r"[\t\n\x{0b}\f\r \x{1c}-\x{1f}\x{85}\p{Z}]+"


def _norm_text(values: pd.Series) -> pd.Series:
    """Text with leading/trailing whitespace removed and inner runs of whitespace made one space
    (vectorised)."""
    arr = pa.array(values.astype(ARROW_TEXT).array)
    out = pc.replace_substring_regex(
        pc.utf8_trim_whitespace(arr), pattern=WHITESPACE, replacement=" "
    )
    return pd.Series(out.to_pandas(types_mapper=lambda t: ARROW_TEXT).array, index=values.index)


class Distinct:
    """A raw column as codes into its distinct non-null values (pandas.factorize; -1 = null).

    Keys (the comparable form of each distinct value: floats for numeric columns, else text with
    spacing and, when `fold`, case folded) and blanks are computed once per distinct value.
    """

    def __init__(self, raw: pd.Series, fold: bool):
        self.raw, self.fold = raw, fold
        self.numeric = pd.api.types.is_numeric_dtype(raw)
        values = (
            raw.to_numpy(dtype=float, na_value=np.nan) if self.numeric else raw.astype(ARROW_TEXT)
        )
        self.codes, uniques = pd.factorize(values, use_na_sentinel=True)
        self.uniques = pd.Series(
            np.asarray(uniques, dtype=float) if self.numeric else uniques,
            dtype=None if self.numeric else ARROW_TEXT,
        )

    def rows(self, per_value, null_value, dtype) -> np.ndarray:
        """Spread one value per distinct raw value to every row (null rows get `null_value`)."""
        table = np.empty(len(self.uniques) + 1, dtype=dtype)
        table[:-1], table[-1] = per_value, null_value
        return table[self.codes]  # code -1 takes the last slot

    @cached_property
    def keys(self) -> pd.Series:
        if self.numeric:
            return self.uniques
        text = _norm_text(self.uniques)
        return text.str.casefold() if self.fold else text

    @cached_property
    def blank(self) -> np.ndarray:
        per_value = (
            np.zeros(len(self.uniques), dtype=bool)
            if self.numeric
            else (self.uniques.str.strip() == "").to_numpy(dtype=bool)
        )
        return self.rows(per_value, True, bool)

    def isin(self, keys: set) -> np.ndarray:
        """Rows whose distinct value's key is one of `keys`; null rows never are."""
        return self.rows(self.keys.isin(list(keys)).to_numpy(dtype=bool), False, bool)


def empty_log() -> pd.DataFrame:
    """A log with no rows, typed like a filled one (so concatenating logs keeps arrow-backed
    text)."""
    return pd.DataFrame(
        {
            "row_index": pd.Series(dtype=np.int64),
            **{c: pd.Series(dtype=ARROW_TEXT) for c in LOG_COLUMNS},
        }
    )


def _text_column(per_value: list[str], which: np.ndarray) -> pd.arrays.ArrowStringArray:
    """Arrow-backed text column: `per_value[which[i]]` for every row, without a Python string per
    row."""
    taken = pa.array(per_value, type=pa.string()).take(pa.array(which))
    return taken.to_pandas(types_mapper=lambda t: ARROW_TEXT).array


def _log_per_distinct(
    variable: str, mask: np.ndarray, distinct: Distinct, clean: str, rule: str
) -> pd.DataFrame:
    """Log rows for masked rows whose raw value is not null: like `_log`, with the raw value's text
    worked out once per distinct value (the missing-code log of a large survey has a row per answer
    "don't know").
    """
    which = distinct.codes[mask]
    shown = list(display_values(distinct.uniques)) if len(distinct.uniques) else []
    constant = np.zeros(len(which), dtype=np.int64)
    return pd.DataFrame(
        {
            "row_index": distinct.raw.index[mask],
            "variable": _text_column([variable], constant),
            "raw_value": _text_column(shown, which),
            "clean_value": _text_column([clean], constant),
            "rule": _text_column([rule], constant),
            "severity": _text_column(["change"], constant),
        }
    )


def missing_mask(
    variable: str, distinct: Distinct, spec: Variable, declared: set
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows whose raw value is a missing code (declared in the file or in config); logged."""
    codes = {_key(c, distinct.numeric, distinct.fold) for c in list(spec.missing) + list(declared)}
    if not codes:
        return np.zeros(len(distinct.codes), dtype=bool), empty_log()
    mask = distinct.isin(codes) & ~distinct.blank
    return mask, _log_per_distinct(variable, mask, distinct, "NA", "missing code -> NA")


def _is_null(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _categories(labels: list) -> list:
    """Categories in the order `astype('category')` gives: sorted when the labels compare, else as
    met."""
    distinct = list(dict.fromkeys(labels))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


def _categorical(
    variable: str,
    distinct: Distinct,
    spec: Variable,
    value_labels: dict | None,
    usable: np.ndarray,
    logs: list,
):
    """Map codes to labels (file labels or an explicit map), then `recode`. Returns (values,
    unknown)."""
    numeric, fold, raw = distinct.numeric, distinct.fold, distinct.raw
    mapping = value_labels if spec.values == "labels" else spec.values
    canonical = {_key(k, numeric, fold): k for k in mapping or {}}
    mapping = {_key(k, numeric, fold): v for k, v in (mapping or {}).items()}
    recode = spec.recode
    mapped = [mapping.get(k) for k in distinct.keys]
    known = distinct.rows([not _is_null(m) for m in mapped], False, bool)
    unknown = usable & ~known
    # `recode` after the map; a label recoded to null becomes missing (not unknown)
    labels = [None if _is_null(m) else recode.get(m, m) for m in mapped]
    labels = [None if _is_null(lab) else lab for lab in labels]
    if fold and not numeric:
        # logged when the raw text differs from the codebook's spelling of the same code
        spelled = distinct.rows([str(canonical.get(k)) for k in distinct.keys], "None", object)
        changed = usable & ~unknown & (spelled != raw.astype(str).to_numpy(dtype=object))
        logs.append(
            _log(
                variable,
                changed,
                raw,
                distinct.rows(mapped, None, object),
                "normalise case/spacing before coding",
            )
        )
    categories = _categories([lab for lab in labels if lab is not None])
    position = {lab: i for i, lab in enumerate(categories)}
    codes = distinct.rows([position.get(lab, -1) for lab in labels], -1, np.int64)
    codes[~usable | unknown] = -1
    # as `astype('category')`: only labels that occur in usable rows become categories
    present = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    codes = np.append(np.cumsum(present) - 1, -1)[codes]
    categories = [c for c, used in zip(categories, present) if used]
    return (
        pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=raw.index),
        unknown,
    )


def _numbers(distinct: Distinct, usable: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Raw values as floats (NaN when not a finite number: "inf" or "1e999" is not an answer),
    computed per distinct value."""
    per_value = (
        np.asarray(distinct.uniques, dtype=float)
        if distinct.numeric
        else pd.to_numeric(pd.Series(distinct.uniques, dtype=object), errors="coerce").to_numpy(
            dtype=float
        )
    )
    per_value = np.where(np.isfinite(per_value), per_value, np.nan)
    num = np.where(usable, distinct.rows(per_value, np.nan, float), np.nan)
    return pd.Series(num, index=distinct.raw.index), usable & np.isnan(num)


def _numeric(variable: str, distinct: Distinct, spec: Variable, usable: np.ndarray, logs: list):
    """An integer or number variable: floats, unknown when not a number (or not whole for integers);
    values outside `valid_range` become missing (logged), or unknown with `out_of_range: error`.
    Returns (values, unknown).
    """
    out, unknown = _numbers(distinct, usable)
    if spec.type == "integer":
        unknown |= usable & ~unknown & (np.nan_to_num(out.to_numpy()) % 1 != 0)
    out = out.where(~unknown)
    if spec.valid_range is not None:
        lo, hi = spec.valid_range
        bad = (out.notna() & ((out < lo) | (out > hi))).to_numpy()
        if spec.out_of_range == "error":
            unknown |= (
                bad  # reported like an unknown code: the run stops unless the row is excluded
            )
        else:
            rule = f"out of valid range [{_bound(lo)}, {_bound(hi)}] -> NA"
            logs.append(_log(variable, bad, distinct.raw, "NA", rule))
            out = out.where(~bad)
    return (
        out.astype("Float64") if spec.type == "number" else out.round().astype("Int64")
    ), unknown


def _bound(value: float) -> str:
    """A bound as the YAML wrote it (the model reads numbers as floats): 12 for 12.0, 0.5 for
    0.5."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _text(variable: str, spec: Variable, raw: pd.Series, usable: np.ndarray, logs: list):
    """A text or date variable: spacing (and with `normalise:`, case) made canonical, logged when
    changed; dates parsed with `format` (unknown when they do not parse) and written YYYY-MM-DD.
    Returns (values, unknown).
    """
    text = _norm_text(raw.where(usable, ""))
    if spec.normalise != "none":
        text = getattr(text.str, spec.normalise)()
    changed = usable & (text != raw.astype(str)).to_numpy(dtype=bool)
    logs.append(
        _log(variable, changed, raw, text.to_numpy(), f"normalise text ({spec.normalise}, spacing)")
    )
    values = text.where(usable).astype(
        "string"
    )  # stays in arrow buffers (no Python object per row)
    if spec.type != "date":
        return values, np.zeros(len(raw), dtype=bool)
    parsed = pd.to_datetime(values, format=spec.format, errors="coerce")
    unknown = usable & parsed.isna().to_numpy()
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None).astype(object), unknown


def _multi(spec: Variable, raw: pd.Series, usable: np.ndarray, multi_choices: set | None):
    """A select-multiple variable: space-separated choices, unknown when one is not a choice.
    Returns (values, unknown)."""
    allowed = set(spec.choices) or set(multi_choices or ())
    tokens = raw.where(usable, "").astype(str).str.split()
    exploded = tokens.explode()
    bad_token = exploded.notna() & ~exploded.isin(allowed)
    unknown = (
        bad_token.groupby(level=0).any().reindex(raw.index, fill_value=False).to_numpy() & usable
    )
    return tokens.str.join(" ").where(usable & ~unknown, None).astype(object), unknown


def convert_column(
    variable: str,
    raw: pd.Series,
    spec: Variable,
    value_labels: dict | None = None,
    declared_missing: set | None = None,
    multi_choices: set | None = None,
):
    """Harmonise one raw column. Returns (values, log rows, unknown rows)."""
    logs = []
    distinct = Distinct(raw, spec.normalise_text)
    is_missing, missing_log = missing_mask(variable, distinct, spec, declared_missing or set())
    logs.append(missing_log)
    usable = ~distinct.blank & ~is_missing
    if spec.type in ("integer", "number"):
        values, unknown = _numeric(variable, distinct, spec, usable, logs)
    elif spec.type in ("text", "date"):
        values, unknown = _text(variable, spec, raw, usable, logs)
    elif spec.type == "multi":
        values, unknown = _multi(spec, raw, usable, multi_choices)
    else:
        values, unknown = _categorical(variable, distinct, spec, value_labels, usable, logs)
    unknown_rows = pd.DataFrame(
        {
            "row_index": raw.index[unknown],
            "variable": variable,
            "raw_value": display_values(raw[unknown]),
        }
    )
    log = (
        pd.concat([frame for frame in logs if len(frame)], ignore_index=True)
        if any(len(f) for f in logs)
        else empty_log()
    )
    return values, log, unknown_rows
