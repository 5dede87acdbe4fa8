from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.tables.rounding import percent_half_up, round_half_up


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (2.25, 1, 2.3),
        (2.35, 1, 2.4),
        (2.675, 2, 2.68),
        (0.05, 1, 0.1),
        (34.406, 1, 34.4),
        (-2.25, 1, -2.3),
        (99.95, 1, 100.0),
    ],
)
def test_round_half_up_ties_go_up(value, decimals, expected):
    assert round_half_up(value, decimals) == expected


@pytest.mark.parametrize(
    "k, n, expected",
    [(139, 404, 34.4), (171, 400, 42.8), (107, 136, 78.7), (1, 8, 12.5), (9, 265, 3.4)],
)
def test_percent_half_up_exact_from_counts(k, n, expected):
    assert percent_half_up(k, n, 1) == expected


@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(0, 3))
def test_percent_half_up_within_half_a_unit(k, n, decimals):
    exact = Fraction(100 * k, n)
    got = Fraction(str(percent_half_up(k, n, decimals)))
    assert abs(got - exact) <= Fraction(1, 2 * 10**decimals)


def test_percent_half_up_rejects_empty_base():
    with pytest.raises(ValueError):
        percent_half_up(1, 0)
