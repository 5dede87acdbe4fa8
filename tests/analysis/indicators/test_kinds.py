"""Every indicator kind on small hand-built frames; expected values worked out by hand in each
test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.indicators import measure_of, scale_item_scores, scale_scores

from .helpers import as_list, column, indicator

YES, NO = "Yes", "No"


def test_share_and_select_multiple_keep_their_int8_coding():
    frame = pd.DataFrame({"q": [YES, NO, None, "Refused"], "m": ["a b", "c", None, "b"]})
    share = column(frame, indicator("s", variable="q", positive=[YES], missing=["Refused"]))
    ticked = column(frame, indicator("t", variable="m", any_of=["b"]))
    assert str(share.dtype) == "Int8" and as_list(share) == [1, 0, None, None]
    assert str(ticked.dtype) == "Int8" and as_list(ticked) == [1, 0, None, 1]


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        (">=", [0, 1, 1, None, None]),
        (">", [0, 0, 1, None, None]),
        ("<", [1, 0, 0, None, None]),
        ("<=", [1, 1, 0, None, None]),
        ("==", [0, 1, 0, None, None]),
        ("!=", [1, 0, 1, None, None]),
    ],
)
def test_threshold_compares_and_keeps_missing_codes_missing(operator, expected):
    # income 50, 100, 150; -99 is a missing code; NA stays NA
    frame = pd.DataFrame({"income": [50, 100, 150, -99, None]})
    ind = indicator(
        "rich", kind="threshold", variable="income", operator=operator, value=100, missing=[-99]
    )
    values = column(frame, ind)
    assert str(values.dtype) == "Int8" and as_list(values) == expected


def test_threshold_on_text_names_value_file_and_row():
    frame = pd.DataFrame(
        {"income": [10, "lots"], "source_file": ["a.csv", "a.csv"], "source_row": [1, 2]}
    )
    ind = indicator("rich", kind="threshold", variable="income", operator=">", value=5)
    with pytest.raises(InputError) as err:
        column(frame, ind)
    assert err.value.file == "a.csv" and err.value.row == "2" and "'lots'" in err.value.problem


# three items, rows: (Y,Y,Y) (Y,N,-) (N,N,-) (N,N,N) (-,-,-)  ("-" = unanswered)
ITEMS = pd.DataFrame(
    {
        "a": [YES, YES, NO, NO, None],
        "b": [YES, NO, NO, NO, None],
        "c": [YES, None, "DK", NO, None],
    }
)


@pytest.mark.parametrize(
    ("kind", "rule", "expected"),
    [
        # any_of: row 2 has a Yes -> decided 1 under decisive/ignore; row 3 has none and one
        # unanswered -> undecided (decisive), 0 over the answered ones (ignore)
        ("any_of", "missing", [1, None, None, 0, None]),
        ("any_of", "decisive", [1, 1, None, 0, None]),
        ("any_of", "ignore", [1, 1, 0, 0, None]),
        # all_of: row 2 has a No -> decided 0; row 3 too
        ("all_of", "missing", [1, None, None, 0, None]),
        ("all_of", "decisive", [1, 0, 0, 0, None]),
        ("all_of", "ignore", [1, 0, 0, 0, None]),
    ],
)
def test_any_of_all_of_item_missing_rules(kind, rule, expected):
    ind = indicator(
        "c1", kind=kind, items=["a", "b", "c"], positive=[YES], missing=["DK"], item_missing=rule
    )
    assert as_list(column(ITEMS, ind)) == expected


def test_all_of_decisive_waits_for_unanswered_items_when_no_item_is_negative():
    frame = pd.DataFrame({"a": [YES, YES], "b": [None, YES]})
    ind = indicator("c", kind="all_of", items=["a", "b"], positive=[YES], item_missing="decisive")
    assert as_list(column(frame, ind)) == [None, 1]


@pytest.mark.parametrize(
    ("at_least", "rule", "expected"),
    [
        (None, "missing", [3.0, None, None, 0.0, None]),
        (None, "ignore", [3.0, 1.0, 0.0, 0.0, None]),
        (2, "missing", [1, None, None, 0, None]),
        # row 2: 1 yes + 1 unanswered could still reach 2 -> missing; row 3: 0 + 1 < 2 -> 0
        (2, "decisive", [1, None, 0, 0, None]),
        (2, "ignore", [1, 0, 0, 0, None]),
    ],
)
def test_count_of(at_least, rule, expected):
    mapping = dict(items=["a", "b", "c"], positive=[YES], missing=["DK"], item_missing=rule)
    if at_least is not None:
        mapping["at_least"] = at_least
    values = column(ITEMS, indicator("n", kind="count_of", **mapping))
    assert as_list(values) == expected
    assert str(values.dtype) == ("float64" if at_least is None else "Int8")


def test_measure_and_unit_of_each_kind():
    inds = [
        indicator("share", variable="q", positive=[1]),
        indicator("count", kind="count_of", items=["a"], positive=[1], item_missing="ignore"),
        indicator(
            "atleast", kind="count_of", items=["a"], positive=[1], item_missing="ignore", at_least=1
        ),
        indicator("income", kind="mean", variable="q", unit="USD"),
        indicator("who", kind="scale", items=["a"], unit="points"),
        indicator("low", kind="cutoff", scale="who", scale_score="raw", operator="<", value=1),
        indicator("rich", kind="threshold", variable="q", operator=">", value=1),
    ]
    assert measure_of(inds, "x") == {
        "share": "share",
        "count": "mean",
        "atleast": "share",
        "income": "mean",
        "who": "mean",
        "low": "share",
        "rich": "share",
    }
    units = {i.id: i.countries["x"].unit for i in inds}
    assert units == {
        "share": None,
        "count": "items",
        "atleast": None,
        "income": "USD",
        "who": "points",
        "low": None,
        "rich": None,
    }


def test_mean_with_missing_codes_is_float_with_nan():
    frame = pd.DataFrame({"income": [10, -99, None, 30]})
    values = column(
        frame, indicator("inc", kind="mean", variable="income", missing=[-99], unit="USD")
    )
    assert values.dtype == np.float64 and as_list(values) == [10.0, None, None, 30.0]


def test_winsorize_pools_rows_clips_and_logs_every_change():
    # 0..10 and 100: the 90th percentile (linear, R type 7) of 12 values 0..10, 100 is at
    # position 0.9 * 11 = 9.9 -> 9 + 0.9 * (10 - 9) = 9.9; 10 and 100 are clipped to 9.9
    frame = pd.DataFrame({"income": [*range(11), 100], "wave": ["a"] * 6 + ["b"] * 6})
    log: list = []
    ind = indicator(
        "inc", kind="mean", variable="income", unit="USD", winsorize={"upper_percentile": 90}
    )
    values = column(frame, ind, log=log)
    assert values.iloc[-2] == pytest.approx(9.9) and values.iloc[-1] == pytest.approx(9.9)
    assert values.iloc[:10].tolist() == list(map(float, range(10)))
    rows = pd.concat(log)
    assert rows["row_index"].tolist() == [10, 11]
    assert rows["raw_value"].tolist() == ["10", "100"] and rows["clean_value"].tolist() == [
        "9.9",
        "9.9",
    ]
    assert (
        rows["severity"].eq("change").all() and rows["rule"].str.contains("90th percentile").all()
    )


def test_lower_winsorize():
    # 10th percentile of 1..5, -50: sorted -50,1,2,3,4,5; position 0.5 -> -50 + 0.5*51 = -24.5
    frame = pd.DataFrame({"v": [1, 2, 3, 4, 5, -50]})
    log: list = []
    ind = indicator("m", kind="mean", variable="v", unit="u", winsorize={"lower_percentile": 10})
    values = column(frame, ind, log=log)
    assert values.iloc[-1] == pytest.approx(-24.5) and values.iloc[0] == 1.0
    assert pd.concat(log)["row_index"].tolist() == [5]


def test_log_transforms_are_logged_and_nonpositive_values_stop_the_run():
    frame = pd.DataFrame({"v": [1.0, np.e, None], "source_file": "f.sav", "source_row": [1, 2, 3]})
    log: list = []
    values = column(
        frame, indicator("m", kind="mean", variable="v", unit="log USD", transform="log"), log=log
    )
    assert as_list(values) == [0.0, pytest.approx(1.0), None]
    assert pd.concat(log)["row_index"].tolist() == [0, 1]
    assert pd.concat(log)["rule"].iloc[0] == "m: log(v)"
    zero = pd.DataFrame({"v": [0.0, 2.0], "source_file": "f.sav", "source_row": [7, 8]})
    with pytest.raises(InputError) as err:
        column(zero, indicator("m", kind="mean", variable="v", unit="u", transform="log"))
    assert err.value.row == "7" and "log1p" in err.value.fix
    one_p = column(zero, indicator("m", kind="mean", variable="v", unit="u", transform="log1p"))
    assert as_list(one_p) == [0.0, pytest.approx(np.log(3.0))]


WHO = ["At no time", "Some of the time", "Less than half", "More than half", "Most", "All"]
SCORES = {label: i for i, label in enumerate(WHO)}


def _who_frame():
    # row 0: 5,5,5,5,5; row 1: 0,1,2,3,4; row 2: 4 answered (3,3,3,3,-); row 3: 2 answered
    return pd.DataFrame(
        {
            "w1": [WHO[5], WHO[0], WHO[3], WHO[1]],
            "w2": [WHO[5], WHO[1], WHO[3], None],
            "w3": [WHO[5], WHO[2], WHO[3], None],
            "w4": [WHO[5], WHO[3], WHO[3], "Refused"],
            "w5": [WHO[5], WHO[4], None, WHO[2]],
        }
    )


def _who(**extra):
    return indicator(
        "who5",
        kind="scale",
        items=["w1", "w2", "w3", "w4", "w5"],
        scores=SCORES,
        item_range=[0, 5],
        missing=["Refused"],
        unit="WHO-5 percentage score (0-100)",
        **extra,
    )


def test_scale_sum_prorated_and_reported():
    # min_answered 4: row 2 (four 3s) -> mean 3 x 5 items = 15 raw, x4 = 60; row 3 has 2 -> NaN
    ind = _who(min_answered=4, multiply=4)
    raw, reported = scale_scores(_who_frame(), ind.countries["x"])
    assert as_list(pd.Series(raw)) == [25.0, 10.0, 15.0, None]
    assert as_list(pd.Series(reported)) == [100.0, 40.0, 60.0, None]
    assert column(_who_frame(), ind).tolist()[:3] == [100.0, 40.0, 60.0]


def test_scale_default_needs_every_item_and_mean_score():
    raw, _ = scale_scores(_who_frame(), _who().countries["x"])
    assert as_list(pd.Series(raw)) == [25.0, 10.0, None, None]
    raw, _ = scale_scores(_who_frame(), _who(score="mean", min_answered=2).countries["x"])
    # row 3: items 1 and 2 (Some of the time=1, Less than half=2) -> mean 1.5
    assert as_list(pd.Series(raw)) == [5.0, 2.0, 3.0, 1.5]


def test_reverse_coding_flips_within_item_range():
    # w2 reversed: 0+5-x. row 1: w2 = 1 -> 4, so 0+4+2+3+4 = 13
    ind = _who(reverse=["w2"])
    items = scale_item_scores(_who_frame(), ind.countries["x"])
    assert items["w2"].tolist()[:3] == [0.0, 4.0, 2.0] and items["w1"].tolist()[:2] == [5.0, 0.0]
    raw, _ = scale_scores(_who_frame(), ind.countries["x"])
    assert raw[1] == 13.0 and raw[0] == 5 * 4 + 0


def test_scale_label_without_score_names_it():
    frame = _who_frame().assign(source_file="w.sav", source_row=[1, 2, 3, 4])
    frame.loc[2, "w3"] = "Never"
    with pytest.raises(InputError) as err:
        scale_item_scores(frame, _who().countries["x"])
    assert "'Never'" in err.value.problem and err.value.column == "w3" and err.value.row == "3"
    assert "scores:" in err.value.fix


def test_numeric_items_outside_item_range_stop_the_run():
    frame = pd.DataFrame({"a": [1, 2, 9], "b": [1, 1, 1]})
    ind = indicator("s", kind="scale", items=["a", "b"], item_range=[1, 5], unit="points")
    with pytest.raises(InputError) as err:
        scale_item_scores(frame, ind.countries["x"])
    assert err.value.column == "a" and "9" in err.value.problem and err.value.row == "3"


@pytest.mark.parametrize(
    ("scale_score", "expected"), [("raw", [0, 1, None, None]), ("reported", [0, 0, None, None])]
)
def test_cutoff_reads_raw_or_reported_score(scale_score, expected):
    # raw 25, 10, NaN, NaN; reported x4: 100, 40. raw < 13 -> 0, 1; reported < 13 -> 0, 0
    scale = _who(multiply=4)
    low = indicator(
        "low", kind="cutoff", scale="who5", scale_score=scale_score, operator="<", value=13
    )
    values = column(_who_frame(), low, scale)
    assert str(values.dtype) == "Int8" and as_list(values) == expected


def test_absent_variables_leave_the_column_out_for_check_indicators():
    frame = pd.DataFrame({"a": [1]})
    ind = indicator("s", kind="scale", items=["a", "zz"], unit="points")
    low = indicator("low", kind="cutoff", scale="s", scale_score="raw", operator="<", value=1)
    from analysis.indicators import add_indicator_columns

    out = add_indicator_columns(frame.copy(), [ind, low], "x")
    assert list(out.columns) == ["a"]
