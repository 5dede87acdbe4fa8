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
    newcombe_phi,
    two_proportion_chi2,
    wilson_ci,
)
from tests.conftest import FIXTURES

REF = json.loads((FIXTURES / "reference" / "reference_values.json").read_text())
# paired_reference.R: mcnemar.test (correct = FALSE / TRUE), binom.test, Fagerland et al.'s mid-p
# and Newcombe's (1998b) paired interval with the corrected phi
PAIRED = json.loads((FIXTURES / "reference" / "paired_reference.json").read_text())
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


# --- McNemar: every p-value at every number of discordant pairs, pinned to R ---
@pytest.mark.parametrize("case", PAIRED["mcnemar"], ids=lambda c: c["call"][:60])
def test_mcnemar_p_values_match_r(case):
    res = mcnemar_test(case["b"], case["c"])
    assert res["p_exact"] == pytest.approx(case["p_exact"], rel=REL)  # binom.test
    assert res["mid_p"] == pytest.approx(case["mid_p"], rel=REL)
    if case["p_chi2"] is None:  # no discordant pair: R's statistic is NaN; every p here is 1
        assert res["p_chi2"] == res["p_chi2_cc"] == res["p_value"] == 1.0
        return
    assert res["chi2"] == pytest.approx(case["chi2"], rel=REL, abs=1e-12)
    assert res["p_chi2"] == pytest.approx(case["p_chi2"], rel=REL)  # correct = FALSE
    assert res["chi2_cc"] == pytest.approx(case["chi2_cc"], rel=REL, abs=1e-12)
    assert res["p_chi2_cc"] == pytest.approx(case["p_chi2_cc"], rel=REL)  # correct = TRUE


def test_mcnemar_matches_published_cavo_example():
    # Fagerland, Lydersen & Laake (2017), ch. 8: Cavo et al. (2012), 59/6/16/80
    pub = PAIRED["published_cavo"]
    res = mcnemar_test(pub["b"], pub["c"])
    for key in ("p_exact", "mid_p", "p_chi2", "p_chi2_cc"):
        assert res[key] == pytest.approx(pub[key], abs=5e-7), key


def test_exact_p_is_computed_at_25_and_more_discordant_pairs():
    # b + c = 42: the exact and mid-p columns exist whatever `auto` reports as p_value
    res = mcnemar_test(30, 12)
    assert res["p_exact"] == pytest.approx(stats.binomtest(12, 42, 0.5).pvalue, rel=1e-12)
    assert not res["exact"] and res["p_value"] == res["p_chi2"]


def test_mid_p_at_a_tie_is_one_minus_half_the_point_probability():
    # Fagerland et al. (2013), supplementary eq. 2: "If n12 = n21, the mid-p-value equals
    # 1 - 0.5 binompdf(n12, n, 0.5)"; the old code gave 1 - binompdf (3/3: 0.6875, now 0.84375)
    res = mcnemar_test([3, 13, 0], [3, 13, 0])
    assert res["mid_p"] == pytest.approx(
        [1 - 0.5 * 20 / 64, 1 - 0.5 * stats.binom.pmf(13, 26, 0.5), 1]
    )
    assert (
        (res["p_exact"] == 1).all() and (res["p_chi2"] == 1).all() and (res["p_chi2_cc"] == 1).all()
    )


@pytest.mark.parametrize(
    "method, key", [("exact", "p_exact"), ("midp", "mid_p"), ("asymptotic", "p_chi2")]
)
def test_paired_test_setting_chooses_the_p_value(method, key):
    b, c = np.array([1, 30, 0]), np.array([22, 12, 0])
    res = mcnemar_test(b, c, method=method)
    assert np.array_equal(res["p_value"], res[key]) and set(res["chosen"]) == {method}


def test_auto_is_exact_below_25_discordant_pairs_else_chi_square():
    res = mcnemar_test([1, 30, 12, 13], [22, 12, 12, 12])
    assert list(res["chosen"]) == ["exact", "asymptotic", "exact", "asymptotic"]
    assert res["p_value"][0] == res["p_exact"][0] and res["p_value"][1] == res["p_chi2"][1]
    with pytest.raises(ValueError, match="midp"):
        mcnemar_test(1, 2, method="mid-p")


@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_p_values_are_ordered_probabilities(b, c):
    res = mcnemar_test(b, c)
    ps = [res[k] for k in ("p_value", "p_exact", "mid_p", "p_chi2", "p_chi2_cc")]
    assert all(0 <= p <= 1 for p in ps)
    assert res["mid_p"] <= res["p_exact"] + 1e-15  # mid-p is never larger than the exact p
    assert res["p_chi2"] <= res["p_chi2_cc"] + 1e-15  # the correction only makes p larger
    swapped = mcnemar_test(c, b)
    for key in ("p_exact", "mid_p", "p_chi2", "p_chi2_cc"):
        assert swapped[key] == pytest.approx(res[key], rel=1e-12)


# --- Newcombe's paired interval with the corrected phi, pinned to R ---
@pytest.mark.parametrize("case", PAIRED["newcombe_paired"], ids=lambda c: c["call"][:40])
def test_newcombe_paired_matches_r(case):
    counts = case["a"], case["b"], case["c"], case["d"]
    assert newcombe_phi(*counts) == pytest.approx(case["phi"], rel=REL, abs=1e-12)
    low, high = newcombe_paired_diff_ci(*counts, alpha=case["alpha"])
    assert low == pytest.approx(case["low"], rel=REL, abs=1e-12)
    assert high == pytest.approx(case["high"], rel=REL, abs=1e-12)


def test_newcombe_paired_matches_published_cavo_interval():
    # Fagerland, Lydersen & Laake (2017), ch. 8: -0.0621 (95% CI -0.1186 to -0.0046)
    pub = PAIRED["published_cavo"]
    low, high = newcombe_paired_diff_ci(pub["a"], pub["b"], pub["c"], pub["d"])
    assert (round(float(low), 4), round(float(high), 4)) == (pub["low"], pub["high"])


def test_no_discordant_pairs_give_an_interval_not_a_point():
    # issue 15, point 6: 10/0/0/10 gave [0, 0] (phi = 1); the corrected phi = 0.9 gives +-0.0898
    low, high = newcombe_paired_diff_ci(10, 0, 0, 10)
    assert low == pytest.approx(-0.0897566593776805, rel=REL) and high == pytest.approx(-low)


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_paired_interval_has_positive_width_and_corrected_phi_below_one(a, b, c, d):
    if a + b + c + d == 0:
        return
    low, high = newcombe_paired_diff_ci(a, b, c, d)
    assert high - low > 0
    assert -1 <= newcombe_phi(a, b, c, d) < 1
