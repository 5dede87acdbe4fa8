"""Proportion methods against independent references: R
(tests/fixtures/reference/reference_values.json, made by make_reference_values.R), published worked
examples, and statsmodels."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis.survey.proportions import (
    cohens_h,
    fisher_exact_p,
    mcnemar_test,
    newcombe_diff_ci,
    newcombe_paired_diff_ci,
    two_proportion_chi2,
    wilson_ci,
)
from tests.conftest import FIXTURES

REF = json.loads((FIXTURES / "reference" / "reference_values.json").read_text())
REL = 1e-6


@pytest.mark.parametrize("case", REF["prop_test"], ids=lambda c: c["call"][:40])
def test_chi_square_and_fisher_match_r(case):
    stat, p, _ = two_proportion_chi2(case["k1"], case["n1"], case["k2"], case["n2"])
    assert stat == pytest.approx(case["statistic"], rel=REL)
    assert p == pytest.approx(case["p_value"], rel=REL)
    assert fisher_exact_p(case["k1"], case["n1"], case["k2"], case["n2"])[0] == pytest.approx(
        case["fisher_p"], rel=REL
    )


@pytest.mark.parametrize("case", REF["prop_test"], ids=lambda c: c["call"][:40])
def test_wilson_matches_r_prop_test_interval(case):
    low, high = wilson_ci(case["k1"], case["n1"])
    assert (low, high) == (
        pytest.approx(case["wilson1_low"], rel=REL),
        pytest.approx(case["wilson1_high"], rel=REL),
    )


# Newcombe (1998a), Table II, method 10 - published to 4 decimals
NEWCOMBE_1998A = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
]


@pytest.mark.parametrize("counts, published", NEWCOMBE_1998A)
def test_newcombe_matches_published_worked_examples(counts, published):
    low, high = newcombe_diff_ci(*counts)
    assert low == pytest.approx(published[0], abs=5e-5) and high == pytest.approx(
        published[1], abs=5e-5
    )


@pytest.mark.parametrize("case", REF["prop_test"], ids=lambda c: c["call"][:40])
def test_newcombe_matches_statsmodels(case):
    ours = newcombe_diff_ci(case["k1"], case["n1"], case["k2"], case["n2"])
    theirs = confint_proportions_2indep(
        case["k1"], case["n1"], case["k2"], case["n2"], method="newcomb", compare="diff"
    )
    assert np.allclose(ours, theirs, rtol=REL, atol=1e-12)


def test_agresti_mcnemar_example():
    # Agresti (2013), Categorical Data Analysis, Table 11.1: presidential approval 794/150/86/570,
    # chi2 = 17.36
    res = mcnemar_test(150, 86)
    assert round(float(res["statistic"]), 2) == 17.36 and not res["exact"]


@pytest.mark.parametrize("case", REF["mcnemar"], ids=lambda c: c["call"][:40])
def test_mcnemar_matches_r(case):
    res = mcnemar_test(case["b"], case["c"], exact_below=0)  # force asymptotic
    if case["b"] + case["c"] > 0:
        assert res["statistic"] == pytest.approx(case["statistic"], rel=REL)
        assert res["p_value"] == pytest.approx(case["p_value"], rel=REL)
    exact = mcnemar_test(case["b"], case["c"], exact_below=10**9)  # force exact
    assert exact["p_value"] == pytest.approx(case["exact_p"], rel=REL)


def test_mcnemar_switches_to_exact_below_25_discordant_pairs():
    assert mcnemar_test(9, 3)["exact"] and not mcnemar_test(20, 5)["exact"]


def test_mid_p_is_exact_p_minus_half_point_probability_twice():
    # b=1, c=9: exact two-sided p = 2*P(X<=1 | 10, .5) = 22/1024; mid-p = 22/1024 - 10/1024
    res = mcnemar_test(1, 9, exact_below=25)
    assert res["p_value"] == pytest.approx(22 / 1024) and res["mid_p"] == pytest.approx(12 / 1024)


def test_cohens_h_known_value():
    assert cohens_h(0.5, 0.5) == 0
    assert cohens_h(0.8, 0.5) == pytest.approx(2 * np.arcsin(np.sqrt(0.8)) - np.pi / 2)


counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, counts)
def test_newcombe_contains_estimate_and_swaps(x1, x2):
    (k1, n1), (k2, n2) = x1, x2
    low, high = newcombe_diff_ci(k1, n1, k2, n2)
    d = k1 / n1 - k2 / n2
    assert -1 - 1e-12 <= low <= d + 1e-12 and d - 1e-12 <= high <= 1 + 1e-12
    low2, high2 = newcombe_diff_ci(k2, n2, k1, n1)
    assert low2 == pytest.approx(-high, abs=1e-12) and high2 == pytest.approx(-low, abs=1e-12)
    _, p1, _ = two_proportion_chi2(k1, n1, k2, n2)
    _, p2, _ = two_proportion_chi2(k2, n2, k1, n1)
    assert 0 <= p1 <= 1 and p1 == pytest.approx(p2)


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_paired_interval_contains_estimate_and_swaps(a, b, c, d):
    if a + b + c + d == 0:
        return
    n = a + b + c + d
    low, high = newcombe_paired_diff_ci(a, b, c, d)
    theta = (b - c) / n
    assert -1 - 1e-12 <= low <= theta + 1e-12 and theta - 1e-12 <= high <= 1 + 1e-12
    low2, high2 = newcombe_paired_diff_ci(
        a, c, b, d
    )  # swapping the two occasions negates the interval
    assert low2 == pytest.approx(-high, abs=1e-9) and high2 == pytest.approx(-low, abs=1e-9)
    res, res2 = mcnemar_test(b, c), mcnemar_test(c, b)
    assert 0 <= res["p_value"] <= 1 and res["p_value"] == pytest.approx(res2["p_value"])


def test_paired_interval_reduces_to_independent_combination_when_phi_is_zero():
    # phi = 0 when a*d == b*c: then the interval is Newcombe's unpaired combination of the two
    # margins' Wilson limits
    a, b, c, d = 20, 10, 20, 10
    low, high = newcombe_paired_diff_ci(a, b, c, d)
    n = a + b + c + d
    l1, u1 = wilson_ci(a + b, n)
    l2, u2 = wilson_ci(a + c, n)
    p1, p2 = (a + b) / n, (a + c) / n
    assert low == pytest.approx(p1 - p2 - np.hypot(p1 - l1, u2 - p2))
    assert high == pytest.approx(p1 - p2 + np.hypot(u1 - p1, p2 - l2))


# The closed forms this module computed before it called statsmodels, kept as an independent
# reference.
def _wilson_closed_form(k, n, alpha):
    z = stats.norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _newcombe_closed_form(k1, n1, k2, n2, alpha):
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = _wilson_closed_form(k1, n1, alpha), _wilson_closed_form(k2, n2, alpha)
    return p1 - p2 - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), p1 - p2 + np.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def _cohens_h_closed_form(p1, p2):
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))


wide_counts = st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
alphas = st.floats(0.001, 0.5)


@given(st.lists(st.tuples(wide_counts, wide_counts), min_size=1, max_size=20), alphas)
def test_statsmodels_calls_equal_the_closed_forms(pairs, alpha):
    (k1, n1), (k2, n2) = (
        np.array(x, float).T for x in zip(*pairs)
    )  # one array call over all the pairs
    for ours, reference in (
        (wilson_ci(k1, n1, alpha), _wilson_closed_form(k1, n1, alpha)),
        (newcombe_diff_ci(k1, n1, k2, n2, alpha), _newcombe_closed_form(k1, n1, k2, n2, alpha)),
    ):
        assert all(isinstance(x, np.ndarray) and x.shape == k1.shape for x in ours)
        np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        cohens_h(k1 / n1, k2 / n2), _cohens_h_closed_form(k1 / n1, k2 / n2), rtol=0, atol=1e-12
    )


def test_empty_or_missing_counts_give_nan_without_warnings():
    k, n = np.array([0, 3, np.nan, 2, 1]), np.array([0, 0, 5, np.nan, 4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = wilson_ci(k, n)
        dlow, dhigh = newcombe_diff_ci(k, n, 1, 4)
        rlow, rhigh = newcombe_diff_ci(1, 4, k, n)
    for x in (low, high, dlow, dhigh, rlow, rhigh):
        assert np.isnan(x[:4]).all() and np.isfinite(x[4])
    assert np.isnan(cohens_h(np.nan, 0.5))


def test_pandas_counts_give_numpy_limits_at_zero_and_one():
    k, n = pd.Series([0, 7], index=[10, 11]), pd.Series([7, 7], index=[10, 11])
    low, high = wilson_ci(k, n)
    assert isinstance(low, np.ndarray) and isinstance(high, np.ndarray)
    assert low[0] == pytest.approx(0, abs=1e-15) and high[1] == pytest.approx(1, abs=1e-15)
    assert 0 <= low[0] and high[1] <= 1
    assert isinstance(cohens_h(k / n, 0.5), np.ndarray)
