"""Confidence intervals and tests for proportions and their differences, vectorised over arrays.

One function per method, in the manner of statsmodels.stats.proportion. Inputs are counts (k
successes of n); outputs are PROPORTIONS (0-1) unless a name says `_pct`. Every function accepts
numpy arrays and broadcasts, so a whole indicator x group grid is one call.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22, 209-212.
Newcombe, R. G. (1998a). Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Statistics in Medicine 17, 873-890 (method 10, hybrid score).
Newcombe, R. G. (1998b). Improved confidence intervals for the difference between binomial
    proportions based on paired data. Statistics in Medicine 17, 2635-2650 (method 10).
McNemar, Q. (1947). Psychometrika 12, 153-157; Agresti, A. (2013). Categorical Data Analysis,
    3rd ed., s11.1 (exact conditional binomial version and mid-p: Fagerland, Lydersen & Laake
    (2013), BMC Med Res Methodol 13:91).
Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 6
    (effect size h).

The Wilson interval, Newcombe's unpaired interval and Cohen's h are statsmodels' own
(statsmodels.stats.proportion); the other methods are written here. scipy.stats and statsmodels are
imported inside the functions that use them: importing statsmodels.stats.proportion takes about
1.5 s of CPU (mostly scipy.stats and pandas, which the statistics job loads anyway), and the report
and manifest jobs import this module without needing either.
"""

from __future__ import annotations

import numpy as np

from analysis.survey.design import DEFAULT_PAIRED_TEST, PAIRED_TESTS

MCNEMAR_EXACT_BELOW = 25  # discordant pairs below which McNemar "auto" uses the exact binomial test


def _z(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2))


def wilson_ci(k, n, alpha: float = 0.05):
    """Wilson score interval for a binomial proportion k/n (Wilson 1927).

    Computed by ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Parameters
    ----------
    k : array_like
        Number of successes; broadcasts against `n`.
    n : array_like
        Number of trials. n = 0, or a NaN in `k` or `n`, gives NaN limits without a warning.
    alpha : float, default 0.05
        Significance level: the interval has nominal coverage 1 - alpha.

    Returns
    -------
    low, high : numpy.ndarray or numpy.float64
        Confidence limits as proportions, clipped to [0, 1]: numpy arrays (never pandas objects) of
        the broadcast shape of `k` and `n`.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. Journal of the American Statistical Association 22, 209-212.
    .. [2] Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for a binomial
       proportion. Statistical Science 16, 101-133.
    """
    from statsmodels.stats.proportion import proportion_confint

    with np.errstate(invalid="ignore", divide="ignore"):
        return proportion_confint(
            np.asarray(k, float), np.asarray(n, float), alpha=alpha, method="wilson"
        )


def newcombe_diff_ci(k1, n1, k2, n2, alpha: float = 0.05):
    """Newcombe's hybrid score interval for p1 - p2 = k1/n1 - k2/n2, independent samples (1998a,
    method 10).

    Computed by ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb",
    compare="diff")``, which combines the two samples' Wilson limits (`wilson_ci`).

    Parameters
    ----------
    k1, n1 : array_like
        Successes and trials of the first sample (the minuend p1).
    k2, n2 : array_like
        Successes and trials of the second sample (the subtrahend p2). All four broadcast together.
    alpha : float, default 0.05
        Significance level: the interval has nominal coverage 1 - alpha.

    Returns
    -------
    low, high : numpy.ndarray or numpy.float64
        Confidence limits for p1 - p2 as a difference of proportions (-1 to 1). NaN, without a
        warning, where n1 or n2 is 0 or any input is NaN.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890 (method 10).
    .. [2] Fagerland, M. W., Lydersen, S. & Laake, P. (2015). Recommended confidence intervals for
       two independent binomial proportions. Statistical Methods in Medical Research 24, 224-254.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    k1, n1, k2, n2 = (np.asarray(x, float) for x in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return confint_proportions_2indep(
            k1, n1, k2, n2, method="newcomb", compare="diff", alpha=alpha
        )


def two_proportion_chi2(k1, n1, k2, n2):
    """Pearson chi-square test of a 2x2 table without continuity correction (= pooled z-test
    squared).

    Same as R `prop.test(c(k1, k2), c(n1, n2), correct = FALSE)`. When both proportions are 0 (or
    both 1) the pooled variance is 0 and the statistic is set to 0 (p = 1, where R gives NaN); the
    smallest expected count is then 0, so callers that switch to Fisher's exact test below an
    expected count of 5 (analysis.survey.shifts) report the exact p = 1.

    Parameters
    ----------
    k1, n1, k2, n2 : array_like
        Successes and trials of the two independent samples (broadcast together).

    Returns
    -------
    statistic, p_value, expected_min : ndarray
        The chi-square statistic (1 df), its p-value and the smallest expected cell count.

    References
    ----------
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., s3.2.
    """
    from scipy import stats

    k1, n1, k2, n2 = (np.asarray(x, float) for x in (k1, n1, k2, n2))
    pooled = (k1 + k2) / (n1 + n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
        stat = np.where(var > 0, (k1 / n1 - k2 / n2) ** 2 / var, 0.0)
    p = stats.chi2.sf(stat, 1)
    expected = np.minimum.reduce([n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)])
    return stat, p, expected


def fisher_exact_p(k1, n1, k2, n2):
    """Two-sided Fisher exact test p-values (R `fisher.test`), one 2x2 table per element.

    Parameters
    ----------
    k1, n1, k2, n2 : array_like of int
        Successes and trials of the two samples; the table is [[k1, n1 - k1], [k2, n2 - k2]].

    Returns
    -------
    ndarray
        The two-sided p-values (scipy.stats.fisher_exact: tables as or less likely than observed).

    References
    ----------
    Fisher, R. A. (1935). The logic of inductive inference. JRSS 98, 39-82; Agresti (2013), s3.5.
    """
    from scipy import stats

    k1, n1, k2, n2 = (np.atleast_1d(np.asarray(x, int)) for x in (k1, n1, k2, n2))
    return np.array(
        [stats.fisher_exact([[a, b - a], [c, d - c]])[1] for a, b, c, d in zip(k1, n1, k2, n2)]
    )


def cohens_h(p1, p2):
    """Cohen's effect size h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2)) for two proportions (Cohen 1988).

    Computed by ``statsmodels.stats.proportion.proportion_effectsize``.

    Parameters
    ----------
    p1, p2 : array_like
        Proportions (0-1), not percentages; they broadcast together. NaN gives NaN; values outside
        [0, 1] give NaN with numpy's "invalid value" RuntimeWarning.

    Returns
    -------
    h : numpy.ndarray or numpy.float64
        Effect size of p1 against p2, from -pi to pi; positive when p1 > p2.

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
       Hillsdale, NJ: Lawrence Erlbaum, ch. 6.
    """
    from statsmodels.stats.proportion import proportion_effectsize

    return proportion_effectsize(np.asarray(p1, float), np.asarray(p2, float))


def mcnemar_test(
    b, c, method: str = DEFAULT_PAIRED_TEST, exact_below: int = MCNEMAR_EXACT_BELOW
) -> dict[str, np.ndarray]:
    """McNemar's test of paired proportions from the discordant counts b (1->0) and c (0->1): the
    exact conditional, mid-p and asymptotic versions, and the one `method` chooses as `p_value`.

    All four p-values are computed at every number of discordant pairs m = b + c (no cut-off):

    - exact conditional: two-sided binomial test of b given m, p = 0.5 (R ``binom.test(b, m)``):
      min(1, 2 P(X <= min(b, c))), X ~ Bin(m, 1/2);
    - mid-p (Fagerland, Lydersen & Laake 2013, supplementary eq. 2): exact p - P(X = min(b, c)),
      and 1 - P(X = b) / 2 when b = c (the observed table counted once, at half its probability);
    - asymptotic: (b - c)^2 / m on chi-square(1) (R ``mcnemar.test(correct = FALSE)``);
    - continuity-corrected: (|b - c| - 1)^2 / m (R ``mcnemar.test(correct = TRUE)``, which applies
      no correction when b = c).

    No discordant pair (m = 0): every p = 1, statistics 0 (R: NaN for the chi-squares).

    Parameters
    ----------
    b, c : array_like
        Discordant pair counts (broadcast together).
    method : {"auto", "exact", "midp", "asymptotic"}, default "auto"
        The test reported as ``p_value`` (the `paired_test` design setting). "auto": the exact
        conditional test when m < `exact_below`, else the asymptotic test without continuity
        correction (the rule of SPSS NPAR TESTS /MCNEMAR, which uses the binomial below 25
        changes); "midp" is the test Fagerland et al. (2013) recommend at any sample size.
    exact_below : int, default 25
        Discordant pairs below which "auto" is exact.

    Returns
    -------
    dict of numpy.ndarray
        ``p_value`` (the chosen test's p, a proportion 0-1), ``statistic`` (b for the exact and
        mid-p tests, else the uncorrected chi-square), ``chosen`` ("exact", "midp" or
        "asymptotic" per element), ``exact`` (bool: the chosen p is exact or mid-p), ``p_exact``,
        ``mid_p``, ``chi2``, ``p_chi2``, ``chi2_cc`` and ``p_chi2_cc``.

    References
    ----------
    .. [1] McNemar, Q. (1947). Psychometrika 12, 153-157.
    .. [2] Fagerland, M. W., Lydersen, S. & Laake, P. (2013). The McNemar test for binary
       matched-pairs data: mid-p and asymptotic are better than exact conditional. BMC Medical
       Research Methodology 13:91, and its supplementary "How to calculate the McNemar mid-p test".
    .. [3] Agresti, A. (2013). Categorical Data Analysis, 3rd ed., s11.1.
    .. [4] IBM SPSS Statistics, NPAR TESTS: MCNEMAR subcommand (binomial below 25 changes).
    """
    if method not in PAIRED_TESTS:
        raise ValueError(f"method must be one of {PAIRED_TESTS}, not {method!r}")
    b, c = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float))
    out = _mcnemar_p_values(b, c)
    auto = np.where(b + c < exact_below, "exact", "asymptotic")
    chosen = auto if method == "auto" else np.full(b.shape, method)
    p_value = np.select(
        [chosen == "exact", chosen == "midp"], [out["p_exact"], out["mid_p"]], out["p_chi2"]
    )
    exact = chosen != "asymptotic"
    statistic = np.where(exact, b, out["chi2"])
    return {**out, "p_value": p_value, "statistic": statistic, "chosen": chosen, "exact": exact}


def _mcnemar_p_values(b: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    """The exact conditional, mid-p, chi-square and continuity-corrected chi-square p-values
    (proportions) and statistics of McNemar's test for discordant counts b and c (`mcnemar_test`).
    """
    from scipy import stats

    m = b + c
    low = np.minimum(b, c)
    any_pair = m > 0
    point = stats.binom.pmf(low, m, 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        twice_tail = 2 * stats.binom.cdf(low, m, 0.5)
        chi2 = np.where(any_pair, (b - c) ** 2 / np.where(any_pair, m, 1.0), 0.0)
        corrected = np.where(b != c, np.abs(b - c) - 1, 0.0)
        chi2_cc = np.where(any_pair, corrected**2 / np.where(any_pair, m, 1.0), 0.0)
    tie = b == c
    p_exact = np.where(any_pair & ~tie, np.minimum(1.0, twice_tail), 1.0)
    mid_p = np.where(any_pair, np.where(tie, 1 - point / 2, p_exact - point), 1.0)
    return {
        "p_exact": p_exact,
        "mid_p": mid_p,
        "chi2": chi2,
        "p_chi2": stats.chi2.sf(chi2, 1),
        "chi2_cc": chi2_cc,
        "p_chi2_cc": stats.chi2.sf(chi2_cc, 1),
    }


def newcombe_paired_diff_ci(a, b, c, d, alpha: float = 0.05):
    """Newcombe's score-based interval for p1 - p2 from paired data (1998b, method 10).

    The Wilson intervals (l1, u1) and (l2, u2) of the two margins are combined with Newcombe's
    continuity-corrected correlation phi of the 2x2 table:
    delta = sqrt((p1 - l1)^2 - 2 phi (p1 - l1)(u2 - p2) + (u2 - p2)^2) below and
    epsilon = sqrt((u1 - p1)^2 - 2 phi (u1 - p1)(p2 - l2) + (p2 - l2)^2) above the estimate, where,
    with A = ad - bc and the margins' product EFGH = (a + b)(c + d)(a + c)(b + d),
    phi = (A - n/2) / sqrt(EFGH) when A > n/2, 0 when 0 <= A <= n/2, A / sqrt(EFGH) when A < 0,
    and 0 when a margin is empty (EFGH = 0). Without the correction a table with no discordant
    pair (e.g. 10/0/0/10) has phi = 1 and a zero-width interval [0, 0].

    Parameters
    ----------
    a, b, c, d : array_like
        The paired 2x2 table: a = both 1, b = first 1 / second 0, c = first 0 / second 1,
        d = both 0; p1 = (a + b) / n, p2 = (a + c) / n (broadcast together).
    alpha : float, default 0.05
        1 - confidence level (proportion).

    Returns
    -------
    low, high : numpy.ndarray
        Limits of p1 - p2, as proportions (-1 to 1); NaN where n = 0.

    References
    ----------
    .. [1] Newcombe, R. G. (1998b). Improved confidence intervals for the difference between
       binomial proportions based on paired data. Statistics in Medicine 17, 2635-2650 (method
       10, with the continuity-corrected phi).
    .. [2] Fagerland, M. W., Lydersen, S. & Laake, P. (2017). Statistical Analysis of Contingency
       Tables. CRC Press, s8.6 (Newcombe square-and-add interval; R package contingencytables,
       ``Newcombe_square_and_add_CI_paired_2x2``).
    """
    a, b, c, d = (np.asarray(x, float) for x in (a, b, c, d))
    n = a + b + c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_ci(a + b, n, alpha)
    l2, u2 = wilson_ci(a + c, n, alpha)
    phi = newcombe_phi(a, b, c, d)
    delta = np.sqrt(
        np.maximum((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0)
    )
    eps = np.sqrt(np.maximum((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0))
    return p1 - p2 - delta, p1 - p2 + eps


def newcombe_phi(a, b, c, d) -> np.ndarray:
    """Newcombe's (1998b) continuity-corrected phi correlation of a paired 2x2 table.

    Parameters
    ----------
    a, b, c, d : array_like
        The paired 2x2 table (as `newcombe_paired_diff_ci`).

    Returns
    -------
    numpy.ndarray
        (A - n/2) / sqrt(EFGH) when A = ad - bc > n/2; 0 when 0 <= A <= n/2 or a margin is empty;
        A / sqrt(EFGH) when A < 0 (a correlation, -1 to 1).

    References
    ----------
    Newcombe, R. G. (1998b). Statistics in Medicine 17, 2635-2650 (method 10).
    """
    a, b, c, d = (np.asarray(x, float) for x in (a, b, c, d))
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    corrected = np.select([cross > n / 2, cross < 0], [cross - n / 2, cross], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(margins > 0, corrected / np.sqrt(np.where(margins > 0, margins, 1.0)), 0.0)


def wald_diff_test(estimate, se, df=None, alpha: float = 0.05):
    """Wald test and interval for an estimate with standard error; t with `df` if given, else
    normal.

    A zero (or missing) standard error, or df < 1, gives NaN for all four outputs, never a
    statistic of 0 and p = 1: the test needs a variance (callers say why it is missing).

    Parameters
    ----------
    estimate, se : array_like
        The estimate (e.g. a difference in proportions) and its standard error, same units.
    df : array_like, optional
        Degrees of freedom of a design-based variance (t reference); None for the normal.
    alpha : float
        1 - confidence level (proportion).

    Returns
    -------
    statistic, p_value, low, high : ndarray
        Wald statistic, two-sided p-value and the interval, in the estimate's units.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, s2.2 (t with design df, as
    R `svyglm` / `confint`).
    """
    from scipy import stats

    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    usable = se > 0
    if df is not None:
        df = np.asarray(df, float)
        usable = usable & (df >= 1)
        df = np.where(df >= 1, df, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.where(usable, estimate / np.where(usable, se, 1.0), np.nan)
        if df is None:
            p, q = 2 * stats.norm.sf(np.abs(stat)), _z(alpha)
        else:
            p, q = 2 * stats.t.sf(np.abs(stat), df), stats.t.ppf(1 - alpha / 2, df)
        low, high = estimate - q * se, estimate + q * se
    return stat, p, np.where(usable, low, np.nan), np.where(usable, high, np.nan)
