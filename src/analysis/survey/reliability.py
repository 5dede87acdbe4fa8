"""Reliability of multi-item scales: Cronbach's alpha with its Feldt interval, McDonald's omega
total and item-rest correlations, per scale indicator and wave (`scales.csv`).

The functions take a scale's SCORED items: one column per item (in the scale's item order), the
item's score where answered and NaN where not, reverse-coded items already reversed (as
`analysis.indicators.scale_item_scores` returns them). Scores are in the items' own units (e.g.
0-5); alpha, omega and correlations are unitless. All three use the respondents who answered every
item of the scale (complete cases, listwise deletion); `answered_n` counts each item's answers.

- Cronbach's alpha: k / (k - 1) * (1 - sum of item variances / variance of the total), with
  Feldt's F-based interval 1 - (1 - alpha) * F_{1 - c/2 or c/2}(n - 1, (n - 1)(k - 1)), n the
  complete respondents -- the formula of ``pingouin.cronbach_alpha(data, nan_policy="listwise")``.
  Written here with numpy and scipy, not pingouin: pingouin (0.7.0) rounds the interval to three
  decimals, takes n for the degrees of freedom BEFORE its listwise deletion (so with unanswered
  items its interval is too narrow), and would bring scikit-learn and seaborn into the lock. Alpha
  itself equals pingouin's to 1e-15 on the reference samples.
- McDonald's omega total: (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)), lambda the
  loadings of a one-factor maximum-likelihood factor analysis of the complete cases' correlation
  matrix (``statsmodels.multivariate.factor.Factor(method="ml")``, the model of R
  ``factanal(x, factors = 1)``). Needs 3 or more items (a one-factor model of two items is not
  identified).
- Item-rest correlation: Pearson's r of an item with the sum of the other items (R
  ``cor(x[, i], rowSums(x[, -i]))``): an item that does not go with the rest (or a reverse-coded
  item whose reversal is wrong, negative r) stands out.

Not estimable (value NaN, with a `note` saying why): alpha with one item, fewer than two complete
respondents or a total without variance; omega with fewer than three items, fewer complete
respondents than items plus one, an item without variance, linearly dependent items, a Heywood case
(an item's uniqueness below 0.005, factanal's lower bound) or no convergence; an item-rest r whose
item or rest does not vary.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika 16,
    297-334.
Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika 30, 357-370.
McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum, ch. 6 (omega).
Lawley, D. N. & Maxwell, A. E. (1971). Factor Analysis as a Statistical Method, 2nd ed.,
    Butterworths (maximum likelihood; R factanal).
Nunnally, J. C. & Bernstein, I. H. (1994). Psychometric Theory, 3rd ed., McGraw-Hill, ch. 8
    (corrected item-total correlations).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import InputError

SCALE_COLUMNS = [
    "country",
    "indicator",
    "wave",
    "n_respondents",
    "n_complete",
    "items",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega",
    "item",
    "item_rest_r",
    "reverse",
    "answered_n",
    "warning",
    "note",
]
HEYWOOD_UNIQUENESS = 0.005  # R factanal's default lower bound for the uniquenesses
FACTOR_GTOL = 1e-10  # BFGS gradient tolerance of the factor fit (statsmodels' default 1e-7)
FACTOR_CONVERGED = 1e-6  # largest absolute score of the scaled log-likelihood taken as converged
FACTOR_SEED = 0  # statsmodels draws random EM starting values; fixed, so runs are identical


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of a scale (unitless; NaN when not estimable, `note` says why)."""

    alpha: float
    ci_low: float
    ci_high: float
    n_complete: int
    note: str = ""


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega total (unitless) and the one-factor loadings, item by item."""

    omega: float
    loadings: pd.Series
    n_complete: int
    note: str = ""


@dataclass(frozen=True)
class ScaleItems:
    """One scale indicator's scored items for `scale_table`.

    `scores` has one column per item (NaN unanswered, reverse-coded items already reversed) and one
    row per respondent, on the index of the `wave` series passed to `scale_table`; `reverse` names
    the reverse-coded items.
    """

    indicator: str
    scores: pd.DataFrame
    reverse: tuple[str, ...] = ()


def _complete(items: pd.DataFrame) -> np.ndarray:
    """The rows answering every item, as a float matrix (respondents x items)."""
    values = items.to_numpy(dtype=float, na_value=np.nan)
    return values[~np.isnan(values).any(axis=1)]


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> AlphaResult:
    """Cronbach's alpha of the complete cases with Feldt's F-based confidence interval.

    alpha = k / (k - 1) * (1 - sum_i var(x_i) / var(sum_i x_i)) over the n respondents who answered
    all k items (sample variances, ddof = 1); the interval is
    [1 - (1 - alpha) F_{(1+ci)/2}, 1 - (1 - alpha) F_{(1-ci)/2}] with F the quantiles of the F
    distribution on (n - 1, (n - 1)(k - 1)) degrees of freedom: the formula of
    ``pingouin.cronbach_alpha(items, ci=ci, nan_policy="listwise")``, with n the complete
    respondents (pingouin counts all rows) and without pingouin's rounding to three decimals.

    Parameters
    ----------
    items : pandas.DataFrame
        Scored items, one column per item (any numeric unit, e.g. 0-5), NaN where unanswered,
        reverse-coded items already reversed.
    ci : float, default 0.95
        Coverage of the interval (proportion 0-1).

    Returns
    -------
    AlphaResult
        alpha and its limits (unitless, at most 1, may be negative), the number of complete
        respondents and, when not estimable (one item, fewer than two complete respondents, a total
        without variance, alpha = 1), NaN values and a `note`.

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Psychometrika 16, 297-334.
    .. [2] Feldt, L. S. (1965). Psychometrika 30, 357-370.
    """
    from scipy import stats

    x = _complete(items)
    n, k = x.shape
    nan = np.nan
    if k < 2:
        return AlphaResult(nan, nan, nan, n, "alpha not estimable: the scale has one item")
    if n < 2:
        return AlphaResult(nan, nan, nan, n, f"alpha not estimable: {n} complete respondents")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return AlphaResult(
            nan, nan, nan, n, "alpha not estimable: every complete respondent has the same total"
        )
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var)
    if not alpha < 1:
        return AlphaResult(float(alpha), nan, nan, n, "alpha = 1 (identical items): no interval")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    upper_f, lower_f = stats.f.isf([(1 - ci) / 2, (1 + ci) / 2], df1, df2)
    low, high = 1 - (1 - alpha) * upper_f, 1 - (1 - alpha) * lower_f
    return AlphaResult(float(alpha), float(low), float(high), n)


def _omega_obstacle(x: np.ndarray) -> str:
    """Why a one-factor model cannot be fitted to the complete cases `x` ("" when it can)."""
    n, k = x.shape
    if k < 3:
        return f"omega not estimable: {k} item(s); a one-factor model needs 3 or more"
    if n < k + 1:
        return f"omega not estimable: {n} complete respondents for {k} items"
    if (x.std(axis=0) == 0).any():
        return "omega not estimable: an item does not vary among the complete respondents"
    if np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)).min() < 1e-10:
        return "omega not estimable: the items are linearly dependent"
    return ""


def _one_factor_loadings(corr: np.ndarray, nobs: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Loadings, uniquenesses and convergence of a one-factor ML fit of a correlation matrix."""
    from statsmodels.multivariate.factor import Factor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is judged below from the score
        fit = Factor(corr=corr, n_factor=1, method="ml", nobs=nobs).fit(
            opt={"gtol": FACTOR_GTOL, "maxiter": 10_000}, rng=FACTOR_SEED
        )
    loadings = fit.loadings[:, 0]
    loadings = -loadings if loadings.sum() < 0 else loadings  # the factor's sign is arbitrary
    converged = bool(np.abs(fit.mle_retvals.jac).max() < FACTOR_CONVERGED)
    return loadings, np.asarray(fit.uniqueness), converged


def mcdonald_omega(items: pd.DataFrame) -> OmegaResult:
    """McDonald's omega total from a one-factor maximum-likelihood factor analysis.

    The correlation matrix of the complete cases is fitted by a one-factor model by maximum
    likelihood (``statsmodels.multivariate.factor.Factor(method="ml")``, fixed starting seed,
    gradient tolerance 1e-10; the model of R ``factanal(x, factors = 1)``), and
    omega = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)) with lambda the standardised
    loadings, signed so that they sum to a positive number.

    Parameters
    ----------
    items : pandas.DataFrame
        Scored items, one column per item, NaN where unanswered, reverse-coded items reversed.

    Returns
    -------
    OmegaResult
        omega (unitless, 0-1), the loadings (a Series on the item names; empty when not
        estimable), the number of complete respondents and, when not estimable (fewer than 3 items,
        fewer complete respondents than items + 1, an item without variance, linearly dependent
        items, a Heywood case, no convergence), NaN and a `note`.

    References
    ----------
    .. [1] McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum, ch. 6.
    .. [2] Lawley, D. N. & Maxwell, A. E. (1971). Factor Analysis as a Statistical Method, 2nd ed.
    """
    x = _complete(items)
    empty = pd.Series(dtype=float)
    obstacle = _omega_obstacle(x)
    if obstacle:
        return OmegaResult(np.nan, empty, len(x), obstacle)
    loadings, uniqueness, converged = _one_factor_loadings(np.corrcoef(x, rowvar=False), len(x))
    # an improper solution shows as a uniqueness near 0, or (unconverged) as a loading beyond 1
    uniqueness = np.minimum(uniqueness, 1 - loadings**2)
    if uniqueness.min() < HEYWOOD_UNIQUENESS:
        item = items.columns[int(uniqueness.argmin())]
        return OmegaResult(
            np.nan,
            empty,
            len(x),
            f"omega not estimable: Heywood case ({item}'s uniqueness is below"
            f" {HEYWOOD_UNIQUENESS}; R factanal would stop at that bound)",
        )
    if not converged:
        return OmegaResult(
            np.nan, empty, len(x), "omega not estimable: the factor fit did not converge"
        )
    common = loadings.sum() ** 2
    omega = common / (common + (1 - loadings**2).sum())
    return OmegaResult(float(omega), pd.Series(loadings, index=items.columns), len(x))


def _rest_r(x: np.ndarray) -> np.ndarray:
    """Pearson r of each column of `x` (2+ rows) with the sum of the other columns; NaN where
    either does not vary."""
    rest = x.sum(axis=1, keepdims=True) - x
    x_dev, rest_dev = x - x.mean(axis=0), rest - rest.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x_dev * rest_dev).sum(axis=0) / np.sqrt(
            (x_dev**2).sum(axis=0) * (rest_dev**2).sum(axis=0)
        )
    return np.where(np.isfinite(r), r, np.nan)


def item_rest_correlations(items: pd.DataFrame) -> pd.DataFrame:
    """Each item's Pearson correlation with the sum of the other items, over the complete cases.

    As R ``cor(x[, i], rowSums(x[, -i]))`` on ``x[complete.cases(x), ]``, for every item at once
    (one matrix product).

    Parameters
    ----------
    items : pandas.DataFrame
        Scored items, one column per item, NaN where unanswered, reverse-coded items reversed.

    Returns
    -------
    pandas.DataFrame
        Indexed by item, in column order: ``item_rest_r`` (unitless, -1 to 1; NaN with a ``note``
        when the item or the rest does not vary among the complete respondents, or the scale has
        one item) and ``answered_n`` (the item's answers among all rows, complete or not).

    References
    ----------
    .. [1] Nunnally, J. C. & Bernstein, I. H. (1994). Psychometric Theory, 3rd ed., ch. 8.
    """
    x = _complete(items)
    if items.shape[1] < 2:
        r, note = (
            np.full(items.shape[1], np.nan),
            "item-rest r not estimable: the scale has one item",
        )
    elif len(x) < 2:
        r = np.full(items.shape[1], np.nan)
        note = f"item-rest r not estimable: {len(x)} complete respondents"
    else:
        r, note = _rest_r(x), "item-rest r not estimable: the item or the rest does not vary"
    return pd.DataFrame(
        {
            "item_rest_r": r,
            "answered_n": items.notna().sum().to_numpy(dtype="int64"),
            "note": np.where(np.isnan(r), note, ""),
        },
        index=pd.Index(items.columns, name="item"),
    )


def _item_warnings(rest: pd.DataFrame, reverse: Sequence[str]) -> np.ndarray:
    """Per item, the warning about a negative item-rest correlation ("" when none)."""
    negative = rest["item_rest_r"].lt(0).to_numpy()
    reversed_item = rest.index.isin(list(reverse))
    r_text = rest["item_rest_r"].map(lambda r: f"{r:.3f}").to_numpy(dtype=object)
    names = rest.index.to_numpy(dtype=object)
    miscoded = (
        names
        + " is reverse-coded but correlates negatively with the rest of the scale (r = "
        + r_text
        + "): likely miscoded - check the item's direction and `reverse:`"
    )
    unreversed = (
        names
        + " correlates negatively with the rest of the scale (r = "
        + r_text
        + "): a negatively worded item missing from `reverse:`?"
    )
    return np.where(negative & reversed_item, miscoded, np.where(negative, unreversed, ""))


def _joined(length: int, *parts: np.ndarray | str) -> np.ndarray:
    """`length` texts, each the non-empty `parts` (arrays of `length` texts or one text) joined by
    "; " (a scale has a handful of items: a loop over them costs nothing)."""
    columns = [np.broadcast_to(np.asarray(p, dtype=object), (length,)) for p in parts]
    return np.array(["; ".join(t for t in texts if t) for texts in zip(*columns)], dtype=object)


def scale_reliability(items: pd.DataFrame, reverse: Sequence[str] = ()) -> pd.DataFrame:
    """A scale's reliability in one wave, one row per item with the scale's values repeated.

    Parameters
    ----------
    items : pandas.DataFrame
        Scored items of one wave, one column per item, NaN where unanswered, reverse-coded items
        already reversed.
    reverse : sequence of str
        The reverse-coded items (names of `items` columns).

    Returns
    -------
    pandas.DataFrame
        Columns ``n_respondents`` (rows of `items`), ``n_complete`` (answering every item),
        ``items`` (number of items), ``alpha``, ``alpha_ci_low``, ``alpha_ci_high`` (95% Feldt,
        `cronbach_alpha`), ``omega`` (`mcdonald_omega`), ``item``, ``item_rest_r``, ``reverse``
        (bool), ``answered_n`` (`item_rest_correlations`), ``warning`` (a negative item-rest r,
        alpha below 0) and ``note`` (why a value is not estimable); all unitless.

    References
    ----------
    .. [1] Cronbach (1951); Feldt (1965); McDonald (1999): see the module docstring.
    """
    alpha, omega = cronbach_alpha(items), mcdonald_omega(items)
    rest = item_rest_correlations(items)
    scale_warning = (
        f"alpha = {alpha.alpha:.3f} is below 0: the items do not measure one thing"
        " (check the reverse-coded items)"
        if alpha.alpha < 0
        else ""
    )
    return pd.DataFrame(
        {
            "n_respondents": len(items),
            "n_complete": alpha.n_complete,
            "items": items.shape[1],
            "alpha": alpha.alpha,
            "alpha_ci_low": alpha.ci_low,
            "alpha_ci_high": alpha.ci_high,
            "omega": omega.omega,
            "item": rest.index.to_numpy(dtype=object),
            "item_rest_r": rest["item_rest_r"].to_numpy(),
            "reverse": rest.index.isin(list(reverse)),
            "answered_n": rest["answered_n"].to_numpy(),
            "warning": _joined(len(rest), _item_warnings(rest, reverse), scale_warning),
            "note": _joined(len(rest), alpha.note, omega.note, rest["note"].to_numpy(dtype=object)),
        }
    )


def _check_reverse(scale: ScaleItems) -> None:
    unknown = sorted(set(scale.reverse) - set(scale.scores.columns))
    if unknown:
        raise InputError(
            f"reverse-coded item(s) {', '.join(unknown)} are not items of scale"
            f" '{scale.indicator}' (items: {', '.join(map(str, scale.scores.columns))})",
            key=f"indicators.{scale.indicator}.reverse",
            fix="list under `reverse:` only names that appear under `items:`",
        )


def scale_table(
    scales: Iterable[ScaleItems], wave: pd.Series, waves: Sequence[str], country: str
) -> pd.DataFrame:
    """`scales.csv`: every scale indicator's reliability per wave, one row per scale x wave x item.

    Long form with the scale-level values (n_respondents, n_complete, items, alpha and its
    interval, omega, a scale warning) repeated on each of its item rows, so that every row stands
    alone (filter on one item or read any row). Rows are ordered by scale (as given, i.e. config
    order), wave (as `waves`, the configured order) and item (the scale's item order).

    Parameters
    ----------
    scales : iterable of ScaleItems
        The scale indicators' scored items, each on the index of `wave` (read once, in order).
    wave : pandas.Series
        Each respondent row's wave; rows of a wave not in `waves` are not used.
    waves : sequence of str
        The waves, in configured order; a wave without respondents gives not-estimable rows.
    country : str
        The country, written in the ``country`` column.

    Returns
    -------
    pandas.DataFrame
        Columns `SCALE_COLUMNS` (see `scale_reliability`; all values unitless).

    Raises
    ------
    InputError
        A reverse-coded item that is not one of the scale's items.
    """
    parts = []
    for scale in scales:
        _check_reverse(scale)
        by_wave = scale.scores.groupby(wave.reindex(scale.scores.index), sort=False)
        for name in waves:
            rows = by_wave.get_group(name) if name in by_wave.groups else scale.scores.iloc[:0]
            part = scale_reliability(rows, scale.reverse)
            parts.append(part.assign(country=country, indicator=scale.indicator, wave=name))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SCALE_COLUMNS})
    return pd.concat(parts, ignore_index=True)[SCALE_COLUMNS]
