"""Scale reliability (analysis.survey.reliability) against R: Cronbach's alpha by its formula, the
Feldt interval by qf, McDonald's omega from factanal(x, factors = 1) loadings, item-rest
correlations (tests/fixtures/reference/reliability_reference.R -> reliability_reference.json, on the
two item samples that script writes); invariants by hypothesis; not-estimable cases and warnings."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.csv_files import csv_bytes
from analysis.errors import InputError
from analysis.survey.reliability import (
    SCALE_COLUMNS,
    ScaleItems,
    cronbach_alpha,
    item_rest_correlations,
    mcdonald_omega,
    scale_reliability,
    scale_table,
)
from tests.conftest import FIXTURES

HERE = FIXTURES / "reference"
REF = {c["name"]: c for c in json.loads((HERE / "reliability_reference.json").read_text())["cases"]}
REL = 1e-6


def _sample(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"reliability_{name}.csv").drop(columns="respondent").astype(float)


FIVE = _sample("five_items")
RAW_FOUR = _sample("reversed_item")
FOUR = RAW_FOUR.assign(r3=1 + 4 - RAW_FOUR["r3"])  # item_range [1, 4]: reverse-coded as 1 + 4 - x
CASES = {"five_items": FIVE, "reversed_item": FOUR, "miscoded": RAW_FOUR}


@pytest.mark.parametrize("name", list(CASES))
def test_alpha_and_feldt_interval_match_r(name):
    ref, got = REF[name], cronbach_alpha(CASES[name])
    assert got.n_complete == ref["n_complete"]
    assert got.alpha == pytest.approx(ref["alpha"], rel=REL)
    assert got.ci_low == pytest.approx(ref["alpha_ci_low"], rel=REL)
    assert got.ci_high == pytest.approx(ref["alpha_ci_high"], rel=REL)
    assert got.note == ""


@pytest.mark.parametrize("name", list(CASES))
def test_omega_matches_factanal(name):
    ref, got = REF[name], mcdonald_omega(CASES[name])
    assert got.omega == pytest.approx(ref["omega"], rel=REL)
    np.testing.assert_allclose(got.loadings.to_numpy(), ref["loadings"], rtol=REL)
    assert list(got.loadings.index) == ref["items"]


@pytest.mark.parametrize("name", list(CASES))
def test_item_rest_correlations_match_r(name):
    ref, got = REF[name], item_rest_correlations(CASES[name])
    assert list(got.index) == ref["items"]
    np.testing.assert_allclose(got["item_rest_r"].to_numpy(), ref["item_rest_r"], rtol=REL)
    assert got["answered_n"].tolist() == ref["answered_n"]


def test_reliability_rows_repeat_the_scale_values_per_item():
    ref, got = REF["reversed_item"], scale_reliability(FOUR, ["r3"])
    assert got["item"].tolist() == ["r1", "r2", "r3", "r4"]
    assert got["reverse"].tolist() == [False, False, True, False]
    assert got["n_respondents"].eq(ref["n_respondents"]).all()
    assert got["items"].eq(4).all()
    assert got["alpha"].to_numpy() == pytest.approx([ref["alpha"]] * 4, rel=REL)
    assert got["warning"].eq("").all() and got["note"].eq("").all()


def test_a_miscoded_reverse_item_is_named_in_a_warning():
    got = scale_reliability(RAW_FOUR, ["r3"]).set_index("item")
    r3 = REF["miscoded"]["item_rest_r"][2]
    assert got.loc["r3", "warning"] == (
        f"r3 is reverse-coded but correlates negatively with the rest of the scale (r = {r3:.3f}):"
        " likely miscoded - check the item's direction and `reverse:`"
    )
    assert got.drop(index="r3")["warning"].eq("").all()


def test_an_unreversed_negative_item_and_a_negative_alpha_are_warned():
    items = pd.DataFrame({"a": [0, 1, 2, 3, 4, 2], "b": [4, 3, 2, 1, 1, 2]}, dtype=float)
    got = scale_reliability(items)
    assert (got["alpha"] < 0).all()
    assert got["warning"].str.contains("is below 0: the items do not measure one thing").all()
    assert got["warning"].str.contains("missing from `reverse:`").all()


def test_not_estimable_cases_say_why():
    one = scale_reliability(FIVE[["w1"]])
    assert one[["alpha", "omega", "item_rest_r"]].isna().all().all()
    assert "the scale has one item" in one.loc[0, "note"]
    two = scale_reliability(FIVE[["w1", "w2"]])
    assert two["alpha"].notna().all() and two["omega"].isna().all()
    assert two["note"].str.contains("a one-factor model needs 3 or more").all()
    flat = FIVE.assign(w3=2.0)
    assert "an item does not vary" in mcdonald_omega(flat).note
    assert np.isnan(item_rest_correlations(flat).loc["w3", "item_rest_r"])
    single = cronbach_alpha(FIVE.iloc[:1])
    assert np.isnan(single.alpha) and single.note == "alpha not estimable: 1 complete respondents"


def test_a_heywood_case_is_not_estimable():
    rng = np.random.default_rng(16)
    factor = rng.normal(size=50)
    a = factor + rng.normal(scale=0.3, size=50)
    items = pd.DataFrame(
        {"a": a, "b": factor + rng.normal(scale=0.3, size=50), "c": a + rng.normal(0, 0.02, 50)}
    )
    got = mcdonald_omega(items)
    assert np.isnan(got.omega) and "Heywood case" in got.note


def _two_waves() -> tuple[list[ScaleItems], pd.Series]:
    """FIVE answered in wave "2000", FOUR in wave "1999" (names, not numbers), on one index."""
    both = pd.concat([FIVE, FOUR], ignore_index=True)
    wave = pd.Series(["2000"] * len(FIVE) + ["1999"] * len(FOUR))
    scales = [
        ScaleItems("wellbeing", both[list(FIVE.columns)]),
        ScaleItems("coping", both[list(FOUR.columns)], ("r3",)),
    ]
    return scales, wave


def test_scale_table_order_columns_and_values():
    scales, wave = _two_waves()
    table = scale_table(scales, wave, ["2000", "1999", "2001"], "x")
    assert list(table.columns) == SCALE_COLUMNS
    keys = table[["indicator", "wave"]].drop_duplicates().apply(tuple, axis=1).tolist()
    assert keys == [
        ("wellbeing", "2000"),
        ("wellbeing", "1999"),
        ("wellbeing", "2001"),
        ("coping", "2000"),
        ("coping", "1999"),
        ("coping", "2001"),
    ]
    coping = table[(table["indicator"] == "coping") & (table["wave"] == "1999")]
    assert coping["omega"].to_numpy() == pytest.approx([REF["reversed_item"]["omega"]] * 4)
    assert coping["reverse"].tolist() == [False, False, True, False]
    empty = table[(table["indicator"] == "wellbeing") & (table["wave"] == "1999")]
    assert empty["n_respondents"].eq(40).all() and empty["n_complete"].eq(0).all()
    assert empty["answered_n"].eq(0).all()
    assert empty["note"].str.contains("alpha not estimable: 0 complete respondents").all()
    absent = table[table["wave"] == "2001"]
    assert absent["n_respondents"].eq(0).all() and absent["alpha"].isna().all()


def test_scale_table_is_byte_identical_across_runs():
    scales, wave = _two_waves()
    runs = [
        csv_bytes(scale_table(scales, wave, ["2000", "1999"], "x"), float_format="%.10g")
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_an_unknown_reverse_item_is_an_input_error():
    scales, wave = _two_waves()
    bad = ScaleItems("coping", scales[1].scores, ("r9",))
    with pytest.raises(InputError, match="r9") as error:
        scale_table([bad], wave, ["1999"], "x")
    assert error.value.key == "indicators.coping.reverse"


# --- invariants -------------------------------------------------------------------------------

answers = st.integers(min_value=5, max_value=40).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 5), min_size=n, max_size=n), min_size=3, max_size=6)
)


def _frame(columns: list[list[int]]) -> pd.DataFrame:
    items = pd.DataFrame({f"i{j}": c for j, c in enumerate(columns)}, dtype=float)
    assume(items.sum(axis=1).var() > 0)
    return items


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(answers, st.integers(-10, 10), st.randoms(use_true_random=False))
def test_alpha_is_invariant_to_shifting_an_item_and_to_item_order(columns, shift, random):
    items = _frame(columns)
    base = cronbach_alpha(items)
    shifted = items.assign(i0=items["i0"] + shift)
    order = list(items.columns)
    random.shuffle(order)
    for other in (cronbach_alpha(shifted), cronbach_alpha(items[order])):
        assert _same(other.alpha, base.alpha)
        assert _same(other.ci_low, base.ci_low) and _same(other.ci_high, base.ci_high)


@settings(max_examples=30, deadline=None)
@given(answers)
def test_reversing_an_item_twice_changes_nothing(columns):
    items = _frame(columns)
    twice = items.assign(i1=0 + 5 - (0 + 5 - items["i1"]))
    pd.testing.assert_frame_equal(
        scale_reliability(twice, ["i1"]), scale_reliability(items, ["i1"])
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=6, max_size=40),
    st.integers(3, 6),
    st.integers(0, 5),
)
def test_a_reverse_coded_item_reversed_the_wrong_way_is_warned(latent, k, which):
    """Items that agree (each the latent answer, one cell nudged per item); the reverse-coded item
    is scored the wrong way round (5 - x): its item-rest r is negative and the warning names it."""
    assume(np.var(latent) > 0)
    columns = {f"i{j}": np.array(latent, dtype=float) for j in range(k)}
    for j, values in enumerate(columns.values()):
        values[j % len(latent)] = min(5.0, values[j % len(latent)] + 1)
    reversed_name = f"i{which % k}"
    columns[reversed_name] = 5 - columns[reversed_name]
    got = scale_reliability(pd.DataFrame(columns), [reversed_name]).set_index("item")
    assert got.loc[reversed_name, "item_rest_r"] < 0
    assert got.loc[reversed_name, "warning"].startswith(
        f"{reversed_name} is reverse-coded but correlates negatively"
    )
    assert "likely miscoded" in got.loc[reversed_name, "warning"]


def test_three_item_omega_is_the_closed_form_of_the_just_identified_model():
    """With three items the one-factor model is just identified: lambda_1^2 = r12 r13 / r23 (and
    so on), so the ML loadings are known exactly (R's default factanal tolerance misses them by up
    to ~1e-5 on some samples; the fit here matches to 1e-8)."""
    items = FIVE[["w1", "w2", "w4"]]
    r = np.corrcoef(items.dropna().to_numpy(), rowvar=False)
    exact = np.sqrt(
        [r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]]
    )
    got = mcdonald_omega(items)
    np.testing.assert_allclose(got.loadings.to_numpy(), exact, rtol=REL)
    common = exact.sum() ** 2
    assert got.omega == pytest.approx(common / (common + (1 - exact**2).sum()), rel=REL)


def test_nullable_integer_and_float_items_give_the_same_rows():
    expected = scale_reliability(FIVE)
    for dtype in ("Int64", "Float64"):
        pd.testing.assert_frame_equal(scale_reliability(FIVE.astype(dtype)), expected)
