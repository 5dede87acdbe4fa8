"""csv_files writes pandas' exact CSV bytes, and concatenates files without changing a byte."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.csv_files import concatenate_csv, csv_bytes

TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t;é1')), max_size=6))


def _pandas(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, st.integers(-10**12, 10**12), TEXT, st.booleans()), max_size=30))
def test_same_bytes_as_pandas(rows):
    frame = pd.DataFrame(rows, columns=["text", "row", "other, quoted", "flag"])
    frame["text"] = frame["text"].astype(object)
    assert csv_bytes(frame) == _pandas(frame)


def test_same_bytes_for_log_like_frame_with_categories_floats_and_nullable_ints():
    frame = pd.DataFrame({"file": pd.Categorical(["a.sav", "a.sav", "b,c.sav"]), "row": [1, 2, 3],
                          "id": pd.array([5, None, 7], dtype="Int64"), "value": [98.0, np.nan, 0.1],
                          "text": pd.array(['say "no"', None, "x"], dtype="str")})
    assert csv_bytes(frame) == _pandas(frame)
    assert csv_bytes(frame.iloc[:0]) == _pandas(frame.iloc[:0])


def test_concatenate_keeps_bytes_and_checks_headers(tmp_path):
    a, b, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "out.csv"
    a.write_text('x,y\n1,"a,b"\n')
    b.write_text("x,y\n2,c\n")
    concatenate_csv([a, b], out)
    assert out.read_text() == 'x,y\n1,"a,b"\n2,c\n'
    b.write_text("x,z\n2,c\n")
    with pytest.raises(ValueError, match="header"):
        concatenate_csv([a, b], out)


def test_other_column_types_are_written_exactly_as_pandas_writes_them():
    frame = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2020-01-02"]), "x": [-0.0, 1.5],
                          "mixed": pd.Series([1, 1.0], dtype=object), "flag": pd.Series([True, 1], dtype=object),
                          "text": ["a", "b,c"]})
    for cols in (["when", "text"], ["x", "text"], ["mixed", "text"], ["flag", "text"]):
        assert csv_bytes(frame[cols]) == _pandas(frame[cols]), cols


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(TEXT, st.integers(0, 9)), max_size=40))
def test_chunked_formatting_gives_the_same_bytes(rows):
    import analysis.csv_files
    frame = pd.DataFrame(rows, columns=["text", "row"]).astype({"text": object})
    old = analysis.csv_files.CHUNK_ROWS
    try:
        analysis.csv_files.CHUNK_ROWS = 3
        assert csv_bytes(frame) == _pandas(frame)
    finally:
        analysis.csv_files.CHUNK_ROWS = old
