"""csv_files writes pandas' exact CSV bytes (text neutralised against spreadsheet formulas), reads
them back, and concatenates files without changing a byte."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.csv_files import (
    concatenate_csv,
    csv_bytes,
    neutralise,
    neutralise_text,
    read_output_csv,
    restore_text,
    write_csv,
)

TEXT = st.one_of(
    st.none(), st.text(alphabet=st.sampled_from(list("ab ,\"\n\r\t;é1=+-@'")), max_size=6)
)


def _pandas(frame: pd.DataFrame) -> bytes:
    return neutralise(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, st.integers(-(10**12), 10**12), TEXT, st.booleans()), max_size=30))
def test_same_bytes_as_pandas(rows):
    frame = pd.DataFrame(rows, columns=["text", "row", "other, quoted", "flag"])
    frame["text"] = frame["text"].astype(object)
    assert csv_bytes(frame) == _pandas(frame)


def test_same_bytes_for_log_like_frame_with_categories_floats_and_nullable_ints():
    frame = pd.DataFrame(
        {
            "file": pd.Categorical(["a.sav", "a.sav", "b,c.sav"]),
            "row": [1, 2, 3],
            "id": pd.array([5, None, 7], dtype="Int64"),
            "value": [98.0, np.nan, 0.1],
            "text": pd.array(['say "no"', None, "x"], dtype="str"),
        }
    )
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
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "x": [-0.0, 1.5],
            "mixed": pd.Series([1, 1.0], dtype=object),
            "flag": pd.Series([True, 1], dtype=object),
            "text": ["a", "b,c"],
        }
    )
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


def test_text_starting_like_a_formula_gets_one_quote_and_numbers_are_untouched():
    fast = pd.DataFrame(
        {
            "raw_value": ["-99", '=HYPERLINK("x")', "'kept", "plain", None],
            "row": [-1, 2, 3, 4, 5],
            "code": pd.array([-3, None, 7, 8, 9], dtype="Int64"),
            "rule": pd.Categorical(["+1", "@home", "+1", "\ttab", "ok"]),
            "arrow": pd.array(["\ttab", "a", None, "-", "b"], dtype="str"),
        }
    )
    expected_fast = (
        "raw_value,row,code,rule,arrow\n"
        "'-99,-1,-3,'+1,'\ttab\n"
        '"\'=HYPERLINK(""x"")",2,,\'@home,a\n'
        "''kept,3,7,'+1,\n"
        "plain,4,8,'\ttab,'-\n"
        ",5,9,ok,b\n"
    )
    assert csv_bytes(fast).decode() == expected_fast
    slow = pd.DataFrame({"label": ["-5", "x"], "value": [-0.5, 1.25], "-header": ["@", "+"]})
    assert (
        csv_bytes(slow, float_format="%.10g").decode()
        == "label,value,'-header\n'-5,-0.5,'@\nx,1.25,'+\n"
    )
    assert (
        csv_bytes(pd.DataFrame({"n": pd.Categorical([-1, 2])})).decode() == "n\n-1\n2\n"
    )  # integer categories


@pytest.mark.parametrize("text", ["", "'", "''x", "=1", "-", "+x", "@", "\t", "\r", "a-b", "x'"])
def test_restore_text_inverts_neutralise_text(text):
    assert restore_text(neutralise_text(text)) == text
    assert neutralise_text(text).startswith("'") == (
        text[:1] in ("=", "+", "-", "@", "\t", "\r", "'")
    )


# no carriage return: Python < 3.12 writes a field holding one unquoted, and read_csv then splits
# the line there
ROUND_TRIP_TEXT = st.one_of(
    st.none(), st.text(alphabet=st.sampled_from(list("ab ,\"\n\t;é1=+-@'")), max_size=6)
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            ROUND_TRIP_TEXT,
            st.integers(-(10**6), 10**6),
            ROUND_TRIP_TEXT,
            st.floats(-1e6, 1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_read_output_csv_gives_what_read_csv_gives_for_the_unneutralised_file(
    tmp_path_factory, rows
):
    frame = pd.DataFrame(rows, columns=["text", "n", "'other", "x"]).astype(
        {"text": object, "'other": object}
    )
    folder = tmp_path_factory.mktemp("csv")
    write_csv(frame, folder / "out.csv", float_format="%.10g")
    (folder / "plain.csv").write_text(
        frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    )
    for options in (
        {},
        {"keep_default_na": True, "na_values": None},
        {"dtype": str, "keep_default_na": False},
    ):
        back = read_output_csv(folder / "out.csv", **options)
        plain = pd.read_csv(
            folder / "plain.csv", **{"keep_default_na": False, "na_values": [""], **options}
        )
        pd.testing.assert_frame_equal(back, plain)


def test_text_column_of_negative_codes_reads_back_as_numbers_like_read_csv(tmp_path):
    frame = pd.DataFrame({"raw_value": ["-99", "5", None], "row": [1, 2, 3]})
    write_csv(frame, tmp_path / "log.csv")
    assert (tmp_path / "log.csv").read_text() == "raw_value,row\n'-99,1\n5,2\n,3\n"
    back = read_output_csv(tmp_path / "log.csv")
    assert back["raw_value"].tolist()[:2] == [-99.0, 5.0] and back["raw_value"].dtype.kind == "f"
    assert read_output_csv(tmp_path / "log.csv", dtype=str)["raw_value"].tolist()[:2] == [
        "-99",
        "5",
    ]


def test_read_output_csv_keeps_categories_named_like_missing_values(tmp_path):
    write_csv(
        pd.DataFrame({"row": ["None", "NA", "null", None], "n": [1, 2, 3, 4]}), tmp_path / "t.csv"
    )
    assert read_output_csv(tmp_path / "t.csv")["row"].tolist()[:3] == ["None", "NA", "null"]
    assert read_output_csv(tmp_path / "t.csv")["row"].isna().tolist() == [False, False, False, True]


def test_read_output_csv_handles_columns_of_booleans_with_missing_values(tmp_path):
    frame = pd.DataFrame(
        {
            "flag": pd.Series([True, None, False], dtype=object),
            "mixed": ["'q", True, None],
            "text": ["-1", "x", None],
        }
    )
    write_csv(frame, tmp_path / "t.csv")
    (tmp_path / "plain.csv").write_text(frame.to_csv(index=False, lineterminator="\n"))
    pd.testing.assert_frame_equal(
        read_output_csv(tmp_path / "t.csv"),
        pd.read_csv(tmp_path / "plain.csv", keep_default_na=False, na_values=[""]),
    )
