import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from analysis.cleaning.codebook import convert_column
from analysis.model import Variable

LABELS = {1.0: "Male", 2.0: "Female"}


def spec(**written) -> Variable:
    """A codebook entry as the model reads it from YAML."""
    return Variable.model_validate(written)


def _as_list(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


def test_categorical_uses_file_labels_and_logs_missing_codes():
    raw = pd.Series([1.0, 2.0, 98.0, np.nan, 2.0])
    values, log, unknown = convert_column("sex", raw, spec(), LABELS | {98.0: "Don't know"}, {98.0})
    assert _as_list(values) == ["Male", "Female", None, None, "Female"]
    assert unknown.empty
    assert log[["row_index", "raw_value", "clean_value"]].values.tolist() == [[2, "98", "NA"]]


def test_unknown_code_is_reported_not_guessed():
    raw = pd.Series([1.0, 7.0, 2.0])
    values, _, unknown = convert_column("sex", raw, spec(), LABELS, set())
    assert pd.isna(values[1])
    assert unknown[["row_index", "raw_value"]].values.tolist() == [[1, "7"]]


def test_explicit_map_with_text_normalisation_logs_respellings():
    raw = pd.Series(["Jomi", " jomi", "VAKHSH  ", "Vakhsh"])
    values, log, unknown = convert_column(
        "location", raw, spec(values={"Jomi": "Jomi", "Vakhsh": "Vakhsh"}, normalise_text=True)
    )
    assert _as_list(values) == ["Jomi", "Jomi", "Vakhsh", "Vakhsh"]
    assert sorted(log["row_index"]) == [1, 2]
    assert unknown.empty


def test_integer_out_of_range_becomes_missing_and_is_logged():
    raw = pd.Series([25.0, 455.0, 98.0, 17.0])
    values, log, unknown = convert_column(
        "age", raw, spec(type="integer", valid_range=[12, 100]), None, {98.0}
    )
    assert values.tolist()[0] == 25 and values.isna().tolist() == [False, True, True, False]
    assert set(log["rule"]) == {"missing code -> NA", "out of valid range [12, 100] -> NA"}
    assert unknown.empty


def test_non_numeric_in_integer_column_is_unknown():
    _, _, unknown = convert_column("age", pd.Series(["34", "thirty"]), spec(type="integer"))
    assert unknown["raw_value"].tolist() == ["thirty"]


def test_multi_select_validates_each_choice():
    raw = pd.Series(["experienced heard", "none", "witnessed oops", ""])
    values, _, unknown = convert_column(
        "vawg", raw, spec(type="multi"), multi_choices={"experienced", "heard", "witnessed", "none"}
    )
    assert _as_list(values) == ["experienced heard", "none", None, None]
    assert unknown["row_index"].tolist() == [2]


def test_text_normalisation_title_case():
    values, log, _ = convert_column(
        "village",
        pd.Series(["kabeza", "  KABEZA ", "Kabeza"]),
        spec(type="text", normalise="title"),
    )
    assert _as_list(values) == ["Kabeza"] * 3
    assert log["row_index"].tolist() == [0, 1]


@given(
    st.lists(
        st.one_of(st.sampled_from([1.0, 2.0, 98.0, 5.0]), st.just(np.nan)), min_size=1, max_size=60
    )
)
def test_every_row_is_mapped_missing_or_unknown(codes):
    """Invariant: each non-blank raw value is either coded, logged as missing, or reported as
    unknown."""
    raw = pd.Series(codes, dtype=float)
    values, log, unknown = convert_column("sex", raw, spec(), LABELS, {98.0})
    coded = values.notna()
    missing = raw.index.isin(log["row_index"])
    reported = raw.index.isin(unknown["row_index"])
    assert (
        (coded.astype(int) + missing.astype(int) + reported.astype(int)) == raw.notna().astype(int)
    ).all()


def test_recode_to_null_makes_the_value_missing_not_unknown():
    raw = pd.Series([2.0, 1.0, 2.0])
    for null in (None, float("nan")):
        values, _, unknown = convert_column(
            "v", raw, spec(recode={"No": null}), {1.0: "Yes", 2.0: "No"}
        )
        assert _as_list(values) == [None, "Yes", None]
        assert unknown.empty
        assert list(values.cat.categories) == ["Yes"]


def test_text_codes_matching_numeric_keys_are_logged_only_when_respelled():
    raw = pd.Series(["1", " 1", "2", None])
    values, log, unknown = convert_column(
        "v", raw, spec(values={1: "Yes", 2: "No"}, normalise_text=True)
    )
    assert _as_list(values) == ["Yes", "Yes", "No", None] and unknown.empty
    assert log["row_index"].tolist() == [1]


def test_infinite_or_nan_text_in_a_number_column_is_unknown_not_a_number():
    values, _, unknown = convert_column(
        "w", pd.Series(["1.5", "inf", "-Infinity", "nan", "1e999", "2"]), spec(type="number")
    )
    assert _as_list(values) == [1.5, None, None, None, None, 2.0]
    assert unknown["raw_value"].tolist() == ["inf", "-Infinity", "nan", "1e999"]
    _, _, unknown = convert_column(
        "n", pd.Series(["3", "inf"]), spec(type="integer")
    )  # crashed in Int64 before
    assert unknown["raw_value"].tolist() == ["inf"]


def test_categories_named_none_and_na_stay_text():
    values, log, unknown = convert_column(
        "v",
        pd.Series(["None", "NA", "null", ""]),
        spec(values={"None": "None", "NA": "NA", "null": "null"}),
    )
    assert _as_list(values) == ["None", "NA", "null", None] and unknown.empty and log.empty


def test_range_bounds_are_logged_as_written():
    """The model reads bounds as floats; the log shows them as the YAML wrote them (12, not
    12.0)."""
    _, log, _ = convert_column(
        "w", pd.Series([0.2, 1.0, 3.0]), spec(type="number", valid_range=[0.5, 2])
    )
    assert set(log["rule"]) == {"out of valid range [0.5, 2] -> NA"} and log[
        "row_index"
    ].tolist() == [0, 2]
