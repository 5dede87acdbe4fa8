"""Invariants of the indicator kinds (hypothesis): any_of is the complement of all_of over the
complementary answers, count_of at_least 1 is any_of, reverse coding twice is the identity, a
scale score never falls when a non-reversed item rises."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.indicators import scale_item_scores, scale_scores

from .helpers import column, indicator

ANSWERS = ["Yes", "No", "Maybe"]
RULES = st.sampled_from(["missing", "decisive", "ignore"])


def _frame(codes: np.ndarray, with_missing: bool = False) -> pd.DataFrame:
    """Items i0..ik from a (rows x items) code matrix: 0..2 -> ANSWERS, 3 -> unanswered."""
    labels = np.array(ANSWERS + [None], dtype=object)
    if not with_missing:
        codes = codes % 3
    return pd.DataFrame({f"i{j}": labels[codes[:, j]] for j in range(codes.shape[1])})


CODES = st.integers(1, 4).flatmap(
    lambda k: arrays(
        np.int64, st.tuples(st.integers(1, 30), st.just(k)), elements=st.integers(0, 3)
    )
)


@given(CODES, st.sets(st.sampled_from(ANSWERS), min_size=1, max_size=2))
@settings(max_examples=60, deadline=None)
def test_any_of_is_one_minus_all_of_complement_on_complete_data(codes, positive):
    frame = _frame(codes)
    items = list(frame.columns)
    complement = [a for a in ANSWERS if a not in positive]
    any_of = indicator(
        "a", kind="any_of", items=items, positive=sorted(positive), item_missing="missing"
    )
    all_not = indicator(
        "b", kind="all_of", items=items, positive=complement, item_missing="missing"
    )
    assert (column(frame, any_of) == 1 - column(frame, all_not)).all()


@given(CODES, RULES)
@settings(max_examples=60, deadline=None)
def test_count_of_at_least_one_is_any_of_under_every_rule(codes, rule):
    frame = _frame(codes, with_missing=True)
    mapping = dict(items=list(frame.columns), positive=["Yes"], item_missing=rule)
    any_of = column(frame, indicator("a", kind="any_of", **mapping))
    count = column(frame, indicator("c", kind="count_of", at_least=1, **mapping))
    pd.testing.assert_series_equal(any_of, count, check_names=False)


NUMBERS = arrays(np.float64, st.integers(1, 25), elements=st.integers(0, 4).map(float))


@given(NUMBERS)
@settings(max_examples=60, deadline=None)
def test_reverse_coding_twice_is_the_identity(values):
    once = indicator("s", kind="scale", items=["a"], reverse=["a"], item_range=[0, 4], unit="u")
    flipped = scale_item_scores(pd.DataFrame({"a": values}), once.countries["x"])["a"]
    back = scale_item_scores(pd.DataFrame({"a": flipped}), once.countries["x"])["a"]
    np.testing.assert_array_equal(back.to_numpy(), values)


@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 20), st.just(3)), elements=st.integers(0, 4).map(float)
    ),
    st.integers(0, 2),
    st.sampled_from(["sum", "mean"]),
    st.integers(-3, 3),
)
@settings(max_examples=80, deadline=None)
def test_scale_score_never_falls_when_a_plain_item_rises(items, which, score, multiply):
    frame = pd.DataFrame(items, columns=["a", "b", "c"])
    reverse = [c for c in ["a", "b", "c"] if c != ["a", "b", "c"][which]][:1]
    how = indicator(
        "s",
        kind="scale",
        items=["a", "b", "c"],
        reverse=reverse,
        item_range=[0, 5],
        score=score,
        multiply=abs(multiply) or 1,
        unit="u",
    ).countries["x"]
    before, _ = scale_scores(frame, how)
    raised = frame.copy()
    raised.iloc[:, which] = np.minimum(raised.iloc[:, which] + 1, 5)
    after, _ = scale_scores(raised, how)
    assert (after >= before).all()
    _, reported_before = scale_scores(frame, how)
    _, reported_after = scale_scores(raised, how)
    assert (reported_after >= reported_before).all()
