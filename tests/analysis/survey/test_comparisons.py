"""Group comparisons at each wave (issue 17, deliverable 1), pinned to R.

calls: tests/fixtures/reference/comparisons_reference.R -> comparisons_reference.json (data:
comparisons_sample.csv, two waves "2019" and "2021" of 2 strata x 6 villages, sex, a 3-level age
band with a few missing, a share y, a sparse share s (Fisher) and a score z). Simple random
samples: Newcombe's hybrid score interval from prop.test(correct = FALSE)$conf.int, prop.test /
fisher.test, chisq.test / fisher.test of the 2 x k table, t.test(var.equal = FALSE), oneway.test;
the stratified clustered weighted design of each wave: svyglm(y ~ group) + svycontrast,
svychisq(statistic = "F"), regTermTest.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.survey.comparisons import COMPARISON_COLUMNS, comparison_table, fisher_2xk_p
from analysis.survey.design import Design
from analysis.survey.estimates import NOT_ESTIMABLE

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
REF = json.loads((FIX / "comparisons_reference.json").read_text())["rows"]
DATA = pd.read_csv(FIX / "comparisons_sample.csv", dtype={"wave": str})
WAVES = ("2019", "2021")
DESIGNS = {
    "srs": Design(waves=WAVES),
    "design": Design(type="clustered", cluster="psu", strata="stratum", weight="w", waves=WAVES),
}
MEASURES = {"y": "share", "s": "share", "z": "mean"}
GROUPS = ["sex", "age_band"]
RTOL = 1e-6
PERCENT = {"estimate_a", "estimate_b", "difference", "ci_low", "ci_high", "se"}
FIELDS = [*PERCENT, "df", "df_denominator", "statistic", "p_value", "n_a", "n_b"]


def _table(case: str, data: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    options = {"min_group_n": 2, **kwargs}
    return comparison_table(
        DATA if data is None else data,
        ["y", "s", "z"],
        "x",
        DESIGNS[case],
        GROUPS,
        measures=MEASURES,
        units={"z": "points"},
        **options,
    )


TABLES = {case: _table(case) for case in DESIGNS}


def _row(table: pd.DataFrame, ref: dict) -> pd.Series:
    hit = (
        (table["wave"] == ref["wave"])
        & (table["group_var"] == ref["group_var"])
        & (table["indicator"] == ref["indicator"])
        & (table["comparison"] == ref["comparison"])
    )
    if ref["comparison"] == "pair":
        hit &= (table["group_a"] == ref["group_a"]) & (table["group_b"] == ref["group_b"])
    assert hit.sum() == 1
    return table[hit].iloc[0]


def _ref_id(ref: dict) -> str:
    keys = ("case", "wave", "group_var", "indicator", "comparison", "group_a", "group_b")
    return "-".join(str(ref[k]) for k in keys if ref.get(k))


@pytest.mark.parametrize("ref", REF, ids=_ref_id)
def test_comparisons_match_r(ref):
    """Every R value of every pair and table row (shares x 100: percent and percentage points)."""
    row = _row(TABLES[ref["case"]], ref)
    scale = 100.0 if MEASURES[ref["indicator"]] == "share" else 1.0
    for field in FIELDS:
        if ref.get(field) is None:
            continue
        want = ref[field] * (scale if field in PERCENT else 1.0)
        assert float(row[field]) == pytest.approx(want, rel=RTOL), field
    assert not row["note"].startswith(NOT_ESTIMABLE)
    if ref.get("test") == "fisher":
        assert row["test"].startswith("Fisher exact") and np.isnan(row["statistic"])
    elif ref.get("test") == "chisq":
        assert "chi-square" in row["test"]


def test_columns_units_and_order():
    table = TABLES["srs"]
    assert list(table.columns) == COMPARISON_COLUMNS
    assert set(table["comparison"]) == {"pair", "table"}
    units = table.drop_duplicates("indicator").set_index("indicator")["unit"].to_dict()
    assert units == {"y": "percentage points", "s": "percentage points", "z": "points"}
    first = table[(table["indicator"] == "y") & (table["wave"] == "2019")]
    assert list(first["group_var"]) == ["sex", "sex"] + ["age_band"] * 4
    assert list(first["comparison"]) == ["pair", "table", "pair", "pair", "pair", "table"]
    assert list(first["group_a"].iloc[2:5]) == ["18-34", "18-34", "35-54"]
    tables = table[table["comparison"] == "table"]
    assert tables[["group_a", "group_b", "estimate_a", "difference", "p_holm"]].isna().all().all()
    pairs = table[table["comparison"] == "pair"]
    assert pairs["p_holm"].notna().all() and (pairs["p_holm"] >= pairs["p_value"]).all()


def test_same_inputs_same_table():
    pd.testing.assert_frame_equal(_table("design"), TABLES["design"])


def _swapped(data: pd.DataFrame) -> pd.DataFrame:
    """Female and Male renamed so that the sorted order (group_a, group_b) is reversed."""
    return data.assign(sex=data["sex"].map({"Female": "zeta", "Male": "alpha"}))


@pytest.mark.parametrize("case", sorted(DESIGNS))
def test_swapping_the_groups_negates_the_difference(case):
    table = TABLES[case].set_index(["indicator", "wave", "group_var", "comparison"])
    swapped = _table(case, _swapped(DATA)).set_index(table.index.names)
    for key in table[table["group_a"] == "Female"].index:
        a, b = table.loc[key], swapped.loc[key]
        assert (b["group_a"], b["group_b"]) == ("alpha", "zeta")
        assert b["difference"] == pytest.approx(-a["difference"], rel=1e-9)
        assert b["ci_low"] == pytest.approx(-a["ci_high"], rel=1e-9)
        assert b["ci_high"] == pytest.approx(-a["ci_low"], rel=1e-9)
        assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-9)


def _srs_frame(y_a, y_b, share: bool) -> pd.DataFrame:
    values = np.array(list(y_a) + list(y_b), dtype=float)
    return pd.DataFrame(
        {
            "wave": "2021",
            "sex": ["Female"] * len(y_a) + ["Male"] * len(y_b),
            "y": values if share else np.nan,
            "z": np.nan if share else values,
        }
    )


def _srs(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    return comparison_table(
        frame, ids, "x", Design(), ["sex"], measures={"y": "share", "z": "mean"}, min_group_n=2
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 1), min_size=3, max_size=40),
    st.lists(st.integers(0, 1), min_size=3, max_size=40),
)
def test_share_pairs_are_antisymmetric(y_a, y_b):
    """Swapping the two groups negates the difference and its Newcombe interval, the test alike."""
    one = _srs(_srs_frame(y_a, y_b, True), ["y"]).iloc[0]
    two = _srs(_srs_frame(y_b, y_a, True), ["y"]).iloc[0]
    assert one["difference"] == pytest.approx(-two["difference"], abs=1e-9)
    assert one["ci_low"] == pytest.approx(-two["ci_high"], abs=1e-9)
    assert one["ci_high"] == pytest.approx(-two["ci_low"], abs=1e-9)
    assert one["p_value"] == pytest.approx(two["p_value"], rel=1e-9)
    assert one["ci_low"] <= one["difference"] <= one["ci_high"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-5000, 5000).map(lambda v: v / 100), min_size=3, max_size=30),
    st.lists(st.integers(-5000, 5000).map(lambda v: v / 100), min_size=3, max_size=30),
    st.integers(-100000, 100000).map(lambda v: v / 100),
)
def test_a_constant_added_to_a_mean_changes_no_difference(z_a, z_b, shift):
    base = _srs(_srs_frame(z_a, z_b, False), ["z"])
    moved = _srs(_srs_frame(np.add(z_a, shift), np.add(z_b, shift), False), ["z"])
    for column in ("difference", "ci_low", "ci_high", "se", "statistic", "p_value"):
        got, want = moved[column].to_numpy(float), base[column].to_numpy(float)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True), column
    assert (moved["note"] == "").all() == (base["note"] == "").all()


def test_constant_added_to_a_design_mean():
    moved = _table("design", DATA.assign(z=DATA["z"] + 1000.0))
    base, moved = TABLES["design"], moved
    z = (base["indicator"] == "z").to_numpy()
    for column in ("difference", "se", "statistic", "p_value", "df_denominator"):
        assert np.allclose(moved.loc[z, column], base.loc[z, column], rtol=1e-6, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 12), st.integers(1, 12), st.integers(0, 12), st.integers(1, 12))
def test_fisher_2xk_on_two_levels_is_fishers_2x2(k1, n1, k2, n2):
    k1, k2 = min(k1, n1), min(k2, n2)
    want = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])[1]
    assert fisher_2xk_p([k1, k2], [n1, n2]) == pytest.approx(want, rel=1e-9)


def test_fisher_2xk_too_large_is_nan():
    assert np.isnan(fisher_2xk_p([3, 4, 5], [900, 900, 900], limit=1000))


def test_a_level_absent_from_a_wave_keeps_its_rows():
    """No men answered in 2021: the women - men row stays, empty, with a note; no table row."""
    data = DATA[~((DATA["wave"] == "2021") & (DATA["sex"] == "Male"))]
    table = _table("srs", data)
    rows = table[(table["wave"] == "2021") & (table["group_var"] == "sex")]
    assert list(rows["comparison"]) == ["pair"] * 3
    assert rows["p_value"].isna().all() and rows["estimate_b"].isna().all()
    assert rows["estimate_a"].notna().all() and (rows["test"] == "").all()
    assert (
        rows["note"]
        == NOT_ESTIMABLE + "no answers in group 'Male' in wave '2021', so no comparison"
    ).all()


def test_a_small_level_is_not_compared():
    """min_group_n above the 55+ band's answers: its pairs are empty (its estimate too) and the
    table row tests the two other bands."""
    table = _table("srs", min_group_n=30)
    rows = table[(table["wave"] == "2019") & (table["group_var"] == "age_band")]
    rows = rows[rows["indicator"] == "y"]
    old = rows[rows["group_b"] == "55+"]
    assert len(old) == 2 and old["p_value"].isna().all() and old["estimate_b"].isna().all()
    assert old["note"].str.contains("fewer than 30").all()
    both = rows[rows["comparison"] == "table"].iloc[0]
    young = rows[(rows["group_a"] == "18-34") & (rows["group_b"] == "35-54")].iloc[0]
    assert both["n_a"] == young["n_a"] + young["n_b"] and "2 x 2" in both["test"]


def test_design_level_with_answers_all_alike_has_no_test():
    """Every woman answers y = 1 in 2021: her level adds no linearised variance, so the
    design-based women - men row keeps its difference without a test; the score is unaffected."""
    data = DATA.copy()
    alike = (data["wave"] == "2021") & (data["sex"] == "Female") & data["y"].notna()
    data.loc[alike, "y"] = 1.0
    table = _table("design", data)
    row = table[
        (table["wave"] == "2021") & (table["indicator"] == "y") & (table["group_var"] == "sex")
    ].iloc[0]
    assert row["estimate_a"] == pytest.approx(100.0) and row["difference"] > 0
    assert np.isnan(row["p_value"]) and np.isnan(row["se"]) and row["test"] == ""
    assert row["note"].startswith(NOT_ESTIMABLE) and "group 'Female'" in row["note"]


def test_the_arm_is_a_grouping():
    arm = np.where(DATA["psu"] % 2 == 0, "P", "C")
    design = Design(
        type="clustered",
        cluster="psu",
        strata="stratum",
        weight="w",
        waves=WAVES,
        arm="arm",
        arm_levels={"programme": "P", "comparison": "C"},
    )
    table = comparison_table(DATA.assign(arm=arm), ["y"], "x", design, ["sex"], min_group_n=2)
    rows = table[table["group_var"] == "arm"]
    assert list(rows["comparison"]) == ["pair", "table"] * 2
    assert set(rows["group_a"].dropna()) == {"programme"}
    assert set(rows["group_b"].dropna()) == {"comparison"}
    assert rows["p_value"].notna().all()


def test_without_groupings_the_table_is_header_only():
    table = comparison_table(DATA, ["y"], "x", DESIGNS["srs"], ["region"])
    assert list(table.columns) == COMPARISON_COLUMNS and table.empty


@pytest.mark.parametrize("case", sorted(DESIGNS))
def test_an_indicator_not_asked_at_a_wave_has_no_rows_there(case):
    data = DATA.assign(y=DATA["y"].where(DATA["wave"] == "2021"))
    table = _table(case, data)
    assert set(table.loc[table["indicator"] == "y", "wave"]) == {"2021"}
    assert set(table.loc[table["indicator"] == "z", "wave"]) == set(WAVES)
    nothing = _table(case, DATA.assign(y=np.nan, s=np.nan, z=np.nan))
    assert list(nothing.columns) == COMPARISON_COLUMNS and nothing.empty
