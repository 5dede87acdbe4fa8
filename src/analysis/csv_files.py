"""CSV files for large logs: pandas' exact bytes, built column-wise with pyarrow.

`write_csv(frame, path)` writes what `frame.to_csv(path, index=False, lineterminator="\\n")` writes
(minimal quoting: a field is quoted when it holds a comma, a double quote or a line break; quotes are
doubled; missing values are empty) but formats whole columns at once, about twenty times faster for
the million-row cleaning logs of large surveys. Columns that are not text, integers or booleans
(floats, dates) are formatted by pandas itself, so numbers look exactly as pandas prints them.

`concatenate_csv(inputs, path)` joins CSV files with one shared header byte for byte (no parsing).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc



def _needs_quotes_pattern() -> str:
    """The characters that make Python's csv writer (which pandas uses) quote a field; '\r' varies by version."""
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["\r", "x"])
    return r'[,"\r\n]' if probe.getvalue().startswith('"') else r'[,"\n]'


NEEDS_QUOTES = _needs_quotes_pattern()


def _as_text(values: pd.Series) -> pa.Array:
    """Values as an arrow string array, null where pandas writes an empty field (numbers as pandas prints them)."""
    if pd.api.types.is_string_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
        return pa.array(values, type=pa.string(), from_pandas=True)
    missing = values.isna().to_numpy()
    text = values.astype(object).astype(str).to_numpy(dtype=object)
    text[missing] = None
    return pa.array(text, type=pa.string())


def _quoted(arr: pa.Array) -> pa.Array:
    escaped = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.fill_null(pc.if_else(pc.match_substring_regex(arr, NEEDS_QUOTES), escaped, arr), "")


def _field(values: pd.Series) -> pa.Array:
    """One column's CSV fields. Plain integers are cast directly; anything else is formatted and quoted once per
    distinct value (pandas.factorize) and spread to the rows, so repetitive log columns cost little."""
    if values.dtype.kind in "iu" and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        return pc.cast(pa.array(values), pa.string())
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = pa.concat_arrays([_quoted(_as_text(pd.Series(uniques, dtype=values.dtype if values.dtype.kind not in "O"
                                                         else object))), pa.array([""])])
    codes = np.where(codes >= 0, codes, len(uniques))
    return pc.take(table, pa.array(codes))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes of `frame.to_csv(index=False, lineterminator="\\n")`."""
    header = ",".join(_quoted(pa.array([str(c) for c in frame.columns])).to_pylist()) + "\n"
    if frame.empty:
        return header.encode("utf-8")
    if len(frame.columns) == 1:    # the csv module quotes a lone empty field; leave such frames to pandas
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    fields = [_field(frame[c]) for c in frame.columns]
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*fields, ","), "", "\n")   # each line + "\n"
    return header.encode("utf-8") + _string_data(lines)


def _string_data(arr: pa.Array) -> bytes:
    """All strings of an arrow string array back to back (its data buffer between the first and last offset)."""
    arr = pc.cast(arr, pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    return arr.buffers()[2].to_pybytes()[offsets[0]: offsets[-1]]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    Path(path).write_bytes(csv_bytes(frame))


def concatenate_csv(inputs: list[Path], path: Path) -> None:
    """Join CSV files that share one header: the header once, then every body in order (bytes unchanged)."""
    parts, header = [], None
    for p in inputs:
        data = Path(p).read_bytes()
        first, sep, body = data.partition(b"\n")
        if header is None:
            header = first
        elif first != header:
            raise ValueError(f"{p}: header {first[:80]!r} differs from {header[:80]!r}")
        parts.append(body)
    Path(path).write_bytes((header or b"") + b"\n" + b"".join(parts) if header is not None else b"")
