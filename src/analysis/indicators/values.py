"""Shared pieces of the indicator kinds: which answers count, numbers read from a variable, a
comparison, the 0/1/NA column, cleaning-log rows and the errors that name the data row."""

from __future__ import annotations

import operator as op

import numpy as np
import pandas as pd

from analysis.cleaning.codebook import LOG_COLUMNS
from analysis.errors import InputError

COMPARE = {"<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge, "==": op.eq, "!=": op.ne}


def value_in(values: pd.Series, wanted: list) -> np.ndarray:
    """values.isin(wanted) as a bool array; for a categorical column, one lookup per category."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = np.append(values.cat.categories.isin(wanted), False)
        return lookup[values.cat.codes.to_numpy()]
    return values.isin(wanted).to_numpy(dtype=bool)


def unanswered(values: pd.Series, missing_codes: list) -> np.ndarray:
    """True where a value is missing (NA) or one of the `missing:` codes."""
    return values.isna().to_numpy(dtype=bool) | value_in(values, missing_codes)


def share_column(positive: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    """0/1 with NA: one byte a value (nullable Int8), in memory, between processes and in the
    Parquet file."""
    return pd.arrays.IntegerArray(np.asarray(positive, dtype=bool).astype(np.int8), missing)


def row_place(frame: pd.DataFrame, rows: np.ndarray) -> tuple[str | None, str | None]:
    """(raw file, 1-based source rows, up to 5) of the flagged rows, for an error message."""
    first = np.flatnonzero(rows)[:5]
    files = frame["source_file"].to_numpy()[first] if "source_file" in frame else None
    if "source_row" in frame:
        numbers = frame["source_row"].to_numpy()[first]
    else:
        numbers = first + 1
    return (
        str(files[0]) if files is not None else None,
        ", ".join(str(int(n)) for n in numbers) + (" ..." if rows.sum() > len(first) else ""),
    )


def numeric_values(frame: pd.DataFrame, variable: str, missing_codes: list, indicator: str):
    """The variable as float64 with NaN where unanswered; an answered value that is not a number
    is an InputError naming the value, file and rows."""
    src = frame[variable]
    skip = unanswered(src, missing_codes)
    if pd.api.types.is_numeric_dtype(src.dtype) and not pd.api.types.is_bool_dtype(src.dtype):
        return np.where(skip, np.nan, src.to_numpy(dtype=np.float64, na_value=np.nan))
    numbers = pd.to_numeric(src.astype(object).where(~skip, None), errors="coerce")
    numbers = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~skip & np.isnan(numbers)
    if bad.any():
        file, rows = row_place(frame, bad)
        raise InputError(
            f"indicator '{indicator}' needs numbers, but '{variable}' holds"
            f" {src.to_numpy()[np.flatnonzero(bad)[0]]!r}",
            file=file,
            column=variable,
            row=rows,
            fix=(
                "list the value under the indicator's `missing:` if it means no answer, give it a"
                " number (`values:`/`recode:` in the codebook), or use a share kind"
            ),
        )
    return numbers


def compare(values: np.ndarray, operator: str, value: float) -> np.ndarray:
    """values <operator> value, elementwise (NaN compares False; callers mask missing rows)."""
    with np.errstate(invalid="ignore"):
        return COMPARE[operator](values, value)


def number_text(values: np.ndarray) -> np.ndarray:
    """Numbers as log text: up to 10 significant digits, no exponent for everyday magnitudes."""
    return np.char.mod("%.10g", np.asarray(values, dtype=np.float64)).astype(object)


def log_rows(
    frame: pd.DataFrame, changed: np.ndarray, column: str, raw, clean, rule: str
) -> pd.DataFrame:
    """Cleaning-log rows (row_index + LOG_COLUMNS, severity change) for the changed rows of an
    indicator column: `raw` and `clean` are the values before and after, as arrays."""
    where = np.flatnonzero(changed)
    return pd.DataFrame(
        {
            "row_index": frame.index.to_numpy()[where],
            "variable": column,
            "raw_value": number_text(np.asarray(raw)[where]),
            "clean_value": number_text(np.asarray(clean)[where]),
            "rule": rule,
            "severity": "change",
        }
    )[["row_index", *LOG_COLUMNS]]
