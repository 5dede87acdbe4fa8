"""Power and minimum detectable change for planning the next survey round (issue 17, item 4).

Public surface: `proportion_mdc`, `proportion_n`, `proportion_n_needed` (shares, R
`power.prop.test`), `mean_mdc`, `mean_n`, `mean_n_needed` (means, R `power.t.test`), each
vectorised over numpy arrays, and `power_table(estimates, mean_estimates, country, settings)` ->
power.csv.

Each indicator x group (overall and each group row of the estimates) is taken at the LAST wave of
its indicator (the tables list waves in the configured order), the reference for the next round:
- `mdc`: the smallest change between that wave and a next wave of the same effective size
  (`n_effective = n / deff`) that a two-sided test at `alpha` detects with probability `power`;
- `n_needed_per_wave`: the respondents per wave (design effect included, rounded up) that detect
  `target_change_pp` (shares, percentage points) or `target_change_sd` reference-wave SDs (means).
Both assume two independent samples of equal size and the observed wave's design effect (a panel
that re-interviews the same people would need fewer). The formulas are R's own, with R's default
`strict = FALSE` (the rejections in the opposite tail are not counted); they are solved here to
machine precision with a bracketing root finder (scipy `elementwise.find_root`, Chandrupatla's
method, vectorised over rows), where R's `uniroot` stops at its default `tol =
.Machine$double.eps^0.25` (about 1e-4): R's answers agree to that tolerance and, with `tol = 1e-12`,
to 1e-9 (tests/fixtures/reference/power_reference.R).

statsmodels `TTestIndPower` is not used: for a two-sided test it counts the opposite tail (R's
`strict = TRUE`) and solves more loosely; against the R values of the reference script it is off by
up to 4e-5 relative (measured), this module by less than 1e-9.

Rows that cannot be planned keep their row, with empty results and a `note` that starts with
"not estimable: " and says why (fewer than two answers, no design effect, a 0% or 100% share, a
zero or missing SD, or no change reaching the power).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import elementwise

from analysis.errors import InputError
from analysis.model import OVERALL, Settings
from analysis.survey.estimates import NOT_ESTIMABLE
from analysis.survey.means import CONSTANT

POWER_COLUMNS = [
    "country",
    "indicator",
    "group_var",
    "group",
    "measure",
    "wave",
    "n",
    "deff",
    "n_effective",
    "value",
    "sd",
    "alpha",
    "power",
    "mdc",
    "direction",
    "target_change",
    "n_needed_per_wave",
    "unit",
    "method",
    "note",
]
EDGE = 1e-10  # R power.prop.test searches a proportion in (1e-10, 1 - 1e-10)
N_RANGE = (2.0, 1e7)  # R power.t.test searches n in c(2, 1e7)
ASSUMPTIONS = "independent samples of equal size; design effect from the observed wave"
SHARE_METHOD = f"R power.prop.test (two-sided, strict = FALSE); {ASSUMPTIONS}"
MEAN_METHOD = f"R power.t.test (two-sample, two-sided, strict = FALSE); {ASSUMPTIONS}"
SHARE_UNIT = "percent (mdc and target_change in percentage points)"
DOMAIN_COLUMNS = ["indicator", "wave", "group_var", "group", "cluster", "weight", "n"]
SHARE_COLUMNS = [*DOMAIN_COLUMNS, "percent", "deff"]
MEAN_COLUMNS = [*DOMAIN_COLUMNS, "mean", "sd", "se", "unit"]


def _arrays(*values) -> list[np.ndarray]:
    """The arguments as float arrays of one broadcast shape."""
    return [np.array(v, dtype=float) for v in np.broadcast_arrays(*values)]


def _valid_levels(alpha: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Where 0 < alpha < 1 and 0 < power < 1 (False where either is missing)."""
    return (alpha > 0) & (alpha < 1) & (power > 0) & (power < 1)


def _prop_z(p1, p2, n, alpha):
    """The normal deviate whose `pnorm` is R `power.prop.test`'s power (two-sided, strict =
    FALSE), for n per group (R 4.x source, written as R writes it)."""
    qu = stats.norm.isf(alpha / 2)
    spread = np.sqrt((p1 + p2) * (1 - (p1 + p2) / 2))
    return (np.sqrt(n * np.abs(p1 - p2) ** 2) - qu * spread) / np.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )


def _prop_gap(x, p, n, alpha, z_power):
    """power.prop.test's power at (p, x), on the normal-deviate scale, minus the target's."""
    return _prop_z(p, x, n, alpha) - z_power


def proportion_mdc(p, n_eff, alpha, power) -> tuple[np.ndarray, np.ndarray]:
    """Minimum detectable change of a proportion between two independent samples of `n_eff` each.

    The p2 that R `power.prop.test(n = n_eff, p1 = p, power = power, sig.level = alpha)` solves
    for (two-sided, `strict = FALSE`), as |p2 - p|: an increase where p2 < 1 - 1e-10 can reach
    the power, else the decrease (R `power.prop.test(n = n_eff, p2 = p, power = power)$p1`).

    Parameters
    ----------
    p : array_like
        Reference proportion (0-1).
    n_eff : array_like
        Effective respondents per wave (n / design effect).
    alpha : array_like
        Two-sided significance level (proportion).
    power : array_like
        Probability of detecting the change (proportion).

    Returns
    -------
    mdc : numpy.ndarray
        The detectable change in percentage points (positive; NaN where p is not in (0, 1), n_eff
        is not positive or no change reaches the power).
    direction : numpy.ndarray
        "increase", "decrease", or "" where there is no mdc.

    References
    ----------
    R 4.x `stats::power.prop.test`; Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical
    Methods for Rates and Proportions, 3rd ed., s4.2 (without continuity correction);
    Chandrupatla, T. R. (1997). Advances in Engineering Software 28, 145-149.
    """
    p, n, alpha, power = _arrays(p, n_eff, alpha, power)
    ok = (p > 0) & (p < 1) & (n > 0) & np.isfinite(n) & _valid_levels(alpha, power)
    p, n = np.where(ok, p, 0.5), np.where(ok, n, 100.0)
    alpha, z = np.where(ok, alpha, 0.05), stats.norm.ppf(np.where(ok, power, 0.8))
    weak = _prop_gap(p, p, n, alpha, z) < 0  # no change has power alpha/2 < power
    up = ok & weak & (_prop_gap(np.full_like(p, 1 - EDGE), p, n, alpha, z) > 0)
    down = ok & weak & ~up & (_prop_gap(np.full_like(p, EDGE), p, n, alpha, z) > 0)
    low, high = np.where(up, p, EDGE), np.where(up, 1 - EDGE, p)
    found = elementwise.find_root(_prop_gap, (low, high), args=(p, n, alpha, z))
    solved = (up | down) & found.success
    mdc = np.where(solved, 100 * np.abs(found.x - p), np.nan)
    return mdc, np.select([solved & up, solved & down], ["increase", "decrease"], "")


def proportion_n(p, change_pp, alpha, power) -> np.ndarray:
    """Respondents per wave (unrounded, no design effect) that detect a change of `change_pp`.

    R `power.prop.test(p1 = p, p2 = p + change_pp / 100, power = power, sig.level = alpha)$n`
    (two-sided, `strict = FALSE`), from the exact inverse of its power formula:
    n = (z(1 - alpha/2) sqrt((p1 + p2)(1 - (p1 + p2)/2)) + z(power) sqrt(p1 q1 + p2 q2))^2 /
    (p2 - p1)^2, the root R's `uniroot` approximates.

    Parameters
    ----------
    p : array_like
        Reference proportion (0-1).
    change_pp : array_like
        The change to detect, percentage points (negative: a decrease).
    alpha : array_like
        Two-sided significance level (proportion).
    power : array_like
        Probability of detecting the change (proportion).

    Returns
    -------
    numpy.ndarray
        Respondents per wave (NaN where p or p + change is outside 0-1, or the change is 0).

    References
    ----------
    R 4.x `stats::power.prop.test`; Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical
    Methods for Rates and Proportions, 3rd ed., eq. 4.14 (without continuity correction).
    """
    p, change, alpha, power = _arrays(p, change_pp, alpha, power)
    p2 = p + change / 100
    ok = (p >= 0) & (p <= 1) & (p2 >= 0) & (p2 <= 1) & (change != 0)
    ok &= _valid_levels(alpha, power)
    p, p2 = np.where(ok, p, 0.5), np.where(ok, p2, 0.6)
    qu, zb = stats.norm.isf(np.where(ok, alpha, 0.05) / 2), stats.norm.ppf(np.where(ok, power, 0.8))
    root = qu * np.sqrt((p + p2) * (1 - (p + p2) / 2)) + zb * np.sqrt(p * (1 - p) + p2 * (1 - p2))
    ok &= root > 0
    return np.where(ok, (root / np.abs(p2 - p)) ** 2, np.nan)


def proportion_n_needed(p, change_pp, alpha, power, deff) -> np.ndarray:
    """Respondents per wave under the design: `proportion_n` x design effect, rounded up.

    Parameters
    ----------
    p : array_like
        Reference proportion (0-1).
    change_pp : array_like
        The change to detect, percentage points (negative: a decrease).
    alpha : array_like
        Two-sided significance level (proportion).
    power : array_like
        Probability of detecting the change (proportion).
    deff : array_like
        Design effect of the reference wave (1 for a simple random sample).

    Returns
    -------
    numpy.ndarray
        Whole respondents per wave (float; NaN where `proportion_n` is, or deff is not positive).

    References
    ----------
    R 4.x `ceiling(power.prop.test(p1, p2, power, sig.level)$n * deff)`; Kish, L. (1965). Survey
    Sampling, s8.2 (the design effect multiplies the simple random sample's size).
    """
    n = proportion_n(p, change_pp, alpha, power)
    deff = np.asarray(deff, float)
    return np.where(deff > 0, np.ceil(n * deff), np.nan)


def _t_power(d, n, alpha):
    """R `power.t.test`'s power (two-sample, two-sided, strict = FALSE) of a standardised
    difference d = delta / sd with n per group."""
    nu = 2 * (n - 1)
    return stats.nct.sf(stats.t.isf(alpha / 2, nu), nu, np.sqrt(n / 2) * d)


def _ncp_gap(ncp, nu, q, power):
    """The noncentral t's upper tail beyond q minus the target power."""
    return stats.nct.sf(q, nu, ncp) - power


def mean_mdc(sd, n_eff, alpha, power) -> np.ndarray:
    """Minimum detectable difference of a mean between two independent samples of `n_eff` each.

    R `power.t.test(n = n_eff, sd = sd, power = power, sig.level = alpha)$delta` (two-sample,
    two-sided, `strict = FALSE`): the noncentrality sqrt(n/2) delta / sd at which the noncentral t
    on 2(n - 1) df exceeds the critical t with probability `power`, solved for delta.

    Parameters
    ----------
    sd : array_like
        Standard deviation of the reference wave (the indicator's unit).
    n_eff : array_like
        Effective respondents per wave (n / design effect); more than 1.
    alpha : array_like
        Two-sided significance level (proportion).
    power : array_like
        Probability of detecting the difference (proportion).

    Returns
    -------
    numpy.ndarray
        The detectable difference in the indicator's unit (positive; NaN where sd is not positive,
        n_eff <= 1, or power <= alpha / 2).

    References
    ----------
    R 4.x `stats::power.t.test`; Cohen, J. (1988). Statistical Power Analysis for the Behavioral
    Sciences, 2nd ed., ch. 2; Chandrupatla, T. R. (1997). Advances in Engineering Software 28,
    145-149.
    """
    sd, n, alpha, power = _arrays(sd, n_eff, alpha, power)
    ok = (sd > 0) & np.isfinite(sd) & (n > 1) & np.isfinite(n) & _valid_levels(alpha, power)
    ok &= power > alpha / 2  # at delta = 0 the power is alpha / 2
    n, alpha, power = np.where(ok, n, 100.0), np.where(ok, alpha, 0.05), np.where(ok, power, 0.8)
    nu = 2 * (n - 1)
    q = stats.t.isf(alpha / 2, nu)
    high = q + stats.norm.ppf(power) + 10  # the power there is about Phi(10)
    found = elementwise.find_root(_ncp_gap, (np.zeros_like(n), high), args=(nu, q, power))
    ok &= found.success
    return np.where(ok, found.x / np.sqrt(n / 2) * sd, np.nan)


def _n_gap(n, d, alpha, power):
    """power.t.test's power at n per group minus the target power."""
    return _t_power(d, n, alpha) - power


def mean_n(sd, change, alpha, power) -> np.ndarray:
    """Respondents per wave (unrounded, no design effect) that detect a difference `change`.

    R `power.t.test(delta = change, sd = sd, power = power, sig.level = alpha)$n` (two-sample,
    two-sided, `strict = FALSE`), solved in R's range n in [2, 1e7]; a change detectable with 2
    per wave gives 2 (R extends its search below 2; a two-sample t test needs 2 per group).

    Parameters
    ----------
    sd : array_like
        Standard deviation of the reference wave (the indicator's unit).
    change : array_like
        The difference to detect (the indicator's unit; its sign is ignored).
    alpha : array_like
        Two-sided significance level (proportion).
    power : array_like
        Probability of detecting the difference (proportion).

    Returns
    -------
    numpy.ndarray
        Respondents per wave (NaN where sd or the change is not positive, or more than 1e7 per
        wave would be needed).

    References
    ----------
    R 4.x `stats::power.t.test`; Cohen, J. (1988). Statistical Power Analysis for the Behavioral
    Sciences, 2nd ed., ch. 2.
    """
    sd, change, alpha, power = _arrays(sd, change, alpha, power)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(change) / sd
    ok = (sd > 0) & np.isfinite(d) & (d > 0) & _valid_levels(alpha, power)
    d, alpha, power = np.where(ok, d, 0.5), np.where(ok, alpha, 0.05), np.where(ok, power, 0.8)
    low = np.full_like(d, N_RANGE[0])
    normal = 2 * ((stats.norm.isf(alpha / 2) + stats.norm.ppf(power) + 5) / d) ** 2 + 10
    high = np.minimum(normal, N_RANGE[1])
    small = _n_gap(low, d, alpha, power) >= 0
    ok &= small | (_n_gap(high, d, alpha, power) > 0)
    found = elementwise.find_root(_n_gap, (low, np.maximum(high, 3.0)), args=(d, alpha, power))
    n = np.where(small, N_RANGE[0], found.x)
    return np.where(ok & (small | found.success), n, np.nan)


def mean_n_needed(sd, change, alpha, power, deff) -> np.ndarray:
    """Respondents per wave under the design: `mean_n` x design effect, rounded up.

    Parameters
    ----------
    sd : array_like
        Standard deviation of the reference wave (the indicator's unit).
    change : array_like
        The difference to detect (the indicator's unit).
    alpha : array_like
        Two-sided significance level (proportion).
    power : array_like
        Probability of detecting the difference (proportion).
    deff : array_like
        Design effect of the reference wave's mean (1 for a simple random sample).

    Returns
    -------
    numpy.ndarray
        Whole respondents per wave (float; NaN where `mean_n` is, or deff is not positive).

    References
    ----------
    R 4.x `ceiling(power.t.test(delta, sd, power, sig.level)$n * deff)`; Kish, L. (1965). Survey
    Sampling, s8.2.
    """
    n = mean_n(sd, change, alpha, power)
    deff = np.asarray(deff, float)
    return np.where(deff > 0, np.ceil(n * deff), np.nan)


def _numbers(frame: pd.DataFrame, column: str, file: str) -> np.ndarray:
    """A numeric column of an input table as floats (empty cells NaN); text stops with an
    InputError naming the file, column and row."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna() & (frame[column].astype(str).str.strip() != "")
    if bool(bad.any()):
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"column '{column}' holds '{frame[column].iloc[row]}', not a number",
            file=file,
            column=column,
            row=row + 1,
            fix="rebuild the table with `python -m analysis statistics` (or `make report`)",
        )
    return values.to_numpy(dtype=float)


def reference_rows(frame: pd.DataFrame, required: Sequence[str], file: str) -> pd.DataFrame:
    """The rows of an estimates table at the last wave of each indicator (the last wave of its
    `overall` rows: the tables list waves in the configured order), every group of that wave.

    Parameters
    ----------
    frame : pandas.DataFrame
        estimates.csv or mean_estimates.csv as read.
    required : sequence of str
        The columns the power table reads.
    file : str
        The table's path, for errors.

    Returns
    -------
    pandas.DataFrame
        The reference rows, in the table's order.

    References
    ----------
    analysis.survey.estimates.sorted_estimates (the order of the tables).
    """
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"the table has no column '{missing[0]}'",
            file=file,
            column=missing[0],
            fix="rebuild the table with `python -m analysis statistics` (or `make report`)",
        )
    overall = frame[frame["group_var"] == OVERALL]
    last = overall.groupby("indicator", sort=False)["wave"].last()
    keep = (frame["wave"] == frame["indicator"].map(last)).to_numpy()
    return frame[keep].reset_index(drop=True)


def _design_based(rows: pd.DataFrame) -> np.ndarray:
    """Rows whose design has a cluster or a weight (the tables' design columns)."""
    named = rows[["cluster", "weight"]]
    written = named.astype(str).apply(lambda c: c.str.strip() != "")
    return (named.notna() & written).any(axis=1).to_numpy()


def _frame(rows: pd.DataFrame, country: str, measure: str, settings: Settings, **cols):
    """The published columns of power.csv for one measure's reference rows."""
    out = pd.DataFrame(
        {
            "country": country,
            **{c: rows[c].to_numpy() for c in ("indicator", "group_var", "group")},
            "measure": measure,
            "wave": rows["wave"].to_numpy(),
            "alpha": settings.alpha,
            "power": settings.power,
            "method": SHARE_METHOD if measure == "share" else MEAN_METHOD,
            **cols,
        }
    )
    for column in ("n", "n_needed_per_wave"):
        out[column] = out[column].astype("Int64")
    return out[POWER_COLUMNS] if len(out) else pd.DataFrame(columns=POWER_COLUMNS)


def _share_notes(n, deff, p, mdc, needed, direction, target) -> np.ndarray:
    """Why a share's row has no mdc or n needed ("not estimable: ..."), or which direction its
    mdc and n needed are for when they differ or the increase is impossible; "" otherwise."""
    return np.select(
        [
            n < 2,
            ~((p > 0) & (p < 1)),
            ~(deff > 0),
            np.isnan(mdc),
            np.isnan(needed),
            (direction == "decrease") & (target == "increase"),
            direction == "decrease",
            (direction == "increase") & (target == "decrease"),
        ],
        [
            NOT_ESTIMABLE + "fewer than two answers in the reference wave",
            NOT_ESTIMABLE + "the reference wave's share is 0% or 100%, so there is no binomial"
            " variance to plan with",
            NOT_ESTIMABLE + "the reference wave has no design effect (its design-based standard"
            " error is missing or zero: see the note in estimates.csv)",
            NOT_ESTIMABLE + "no change from this share reaches the power with n_effective"
            " answers per wave",
            NOT_ESTIMABLE + "n_needed_per_wave: the target change from this share passes both"
            " 0% and 100%",
            "no increase below 100% reaches the power with n_effective answers: mdc is the"
            " detectable decrease; n_needed_per_wave is for an increase of target_change",
            "no increase below 100% reaches the power with n_effective answers and an increase of"
            " target_change would pass 100%: mdc and n_needed_per_wave are for a decrease",
            "an increase of target_change would pass 100%: n_needed_per_wave is for a decrease",
        ],
        "",
    ).astype(object)


def share_power(
    rows: pd.DataFrame, country: str, settings: Settings, file: str = "estimates.csv"
) -> pd.DataFrame:
    """power.csv rows of share indicators from their reference rows (`reference_rows`).

    The design effect is the estimates' `deff` (Kish: design variance / SRS variance of the
    proportion) for design-based rows (a cluster or a weight), 1 for simple random samples;
    n_effective = n / deff. `mdc` and `target_change` are percentage points, `value` percent; the
    target change is an increase unless it would pass 100%.

    Parameters
    ----------
    rows : pandas.DataFrame
        Reference rows of estimates.csv (SHARE_COLUMNS).
    country : str
        The country (the `country` column).
    settings : Settings
        The country's settings (`Project.settings_for`): alpha, power, target_change_pp.
    file : str
        The estimates table's path, for errors.

    Returns
    -------
    pandas.DataFrame
        POWER_COLUMNS, one row per reference row, `note` saying why a row is not estimable.

    References
    ----------
    R 4.x `stats::power.prop.test` (`proportion_mdc`, `proportion_n_needed`); Kish, L. (1965).
    Survey Sampling, s8.2.
    """
    if rows.empty:
        return pd.DataFrame(columns=POWER_COLUMNS)
    n, p = _numbers(rows, "n", file), _numbers(rows, "percent", file) / 100
    deff = np.where(_design_based(rows), _numbers(rows, "deff", file), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(deff > 0, n / deff, np.nan)
    plan = np.where((n >= 2) & (deff > 0) & (p > 0) & (p < 1), p, np.nan)
    alpha, power, change = settings.alpha, settings.power, settings.target_change_pp
    mdc, direction = proportion_mdc(plan, n_eff, alpha, power)
    target = np.where(plan + change / 100 <= 1, "increase", "decrease")
    sign = np.where(target == "increase", 1.0, -1.0)
    needed = proportion_n_needed(plan, sign * change, alpha, power, deff)
    return _frame(
        rows,
        country,
        "share",
        settings,
        n=n,
        deff=deff,
        n_effective=n_eff,
        value=100 * p,
        sd=np.nan,
        mdc=mdc,
        direction=direction,
        target_change=change,
        n_needed_per_wave=needed,
        unit=SHARE_UNIT,
        note=_share_notes(n, deff, p, mdc, needed, direction, target),
    )


def _mean_notes(n, spread, deff, mdc, needed) -> np.ndarray:
    """Why a mean's row has no mdc or n needed ("not estimable: ..."); "" otherwise."""
    return np.select(
        [n < 2, ~spread, ~(deff > 0), np.isnan(mdc), np.isnan(needed)],
        [
            NOT_ESTIMABLE + "fewer than two answers in the reference wave",
            NOT_ESTIMABLE + "the reference wave's standard deviation is zero or missing",
            NOT_ESTIMABLE + "the reference wave has no design-based standard error (see the note"
            " in mean_estimates.csv), so no design effect",
            NOT_ESTIMABLE + "no difference reaches the power with n_effective answers per wave",
            NOT_ESTIMABLE + "n_needed_per_wave: the target change needs more than 10,000,000"
            " answers per wave",
        ],
        "",
    ).astype(object)


def mean_power(
    rows: pd.DataFrame, country: str, settings: Settings, file: str = "mean_estimates.csv"
) -> pd.DataFrame:
    """power.csv rows of mean indicators from their reference rows (`reference_rows`).

    The design effect of a design-based mean (a cluster or a weight) is (se / (sd / sqrt(n)))^2,
    its linearised variance over the simple random sample's; 1 for simple random samples. `value`,
    `sd`, `mdc` and `target_change` (= target_change_sd x sd) are in the indicator's unit; the
    t test is symmetric, so the direction is "increase or decrease".

    Parameters
    ----------
    rows : pandas.DataFrame
        Reference rows of mean_estimates.csv (MEAN_COLUMNS).
    country : str
        The country (the `country` column).
    settings : Settings
        The country's settings (`Project.settings_for`): alpha, power, target_change_sd.
    file : str
        The mean estimates table's path, for errors.

    Returns
    -------
    pandas.DataFrame
        POWER_COLUMNS, one row per reference row, `note` saying why a row is not estimable.

    References
    ----------
    R 4.x `stats::power.t.test` (`mean_mdc`, `mean_n_needed`); Kish, L. (1965). Survey Sampling,
    s8.2; Lumley, T. (2010). Complex Surveys, s2.4 (R `svymean(deff = TRUE)`).
    """
    if rows.empty:
        return pd.DataFrame(columns=POWER_COLUMNS)
    n, mean = _numbers(rows, "n", file), _numbers(rows, "mean", file)
    sd, se = _numbers(rows, "sd", file), _numbers(rows, "se", file)
    spread = sd > CONSTANT * np.abs(mean)  # as R t.test's "data are essentially constant"
    with np.errstate(divide="ignore", invalid="ignore"):
        deff = np.where(_design_based(rows), (se / (sd / np.sqrt(n))) ** 2, 1.0)
        n_eff = np.where(deff > 0, n / deff, np.nan)
    plan = np.where((n >= 2) & spread & (deff > 0), sd, np.nan)
    alpha, power = settings.alpha, settings.power
    mdc = mean_mdc(plan, n_eff, alpha, power)
    needed = mean_n_needed(plan, settings.target_change_sd * plan, alpha, power, deff)
    return _frame(
        rows,
        country,
        "mean",
        settings,
        n=n,
        deff=deff,
        n_effective=n_eff,
        value=mean,
        sd=sd,
        mdc=mdc,
        direction=np.where(np.isnan(mdc), "", "increase or decrease"),
        target_change=settings.target_change_sd * sd,
        n_needed_per_wave=needed,
        unit=rows["unit"].fillna("").to_numpy(),
        note=_mean_notes(n, spread, deff, mdc, needed),
    )


def power_table(
    estimates: pd.DataFrame,
    mean_estimates: pd.DataFrame,
    country: str,
    settings: Settings,
    files: tuple[str, str] = ("estimates.csv", "mean_estimates.csv"),
) -> pd.DataFrame:
    """power.csv: per indicator x group at its last wave, the minimum detectable change and the
    respondents per wave needed for the target change (module docstring).

    Parameters
    ----------
    estimates : pandas.DataFrame
        estimates.csv (share indicators) as read (`csv_files.read_output_csv`).
    mean_estimates : pandas.DataFrame
        mean_estimates.csv (mean indicators) as read; may have no rows.
    country : str
        The country (the `country` column).
    settings : Settings
        The country's settings (`Project.settings_for`): alpha, power, target_change_pp,
        target_change_sd.
    files : tuple of str
        The two tables' paths, for errors.

    Returns
    -------
    pandas.DataFrame
        POWER_COLUMNS: shares (in the estimates' order), then means.

    References
    ----------
    R 4.x `stats::power.prop.test` and `stats::power.t.test`; Kish, L. (1965). Survey Sampling,
    s8.2.
    """
    shares = reference_rows(estimates, SHARE_COLUMNS, files[0])
    means = reference_rows(mean_estimates, MEAN_COLUMNS, files[1])
    shares = share_power(shares, country, settings, files[0])
    means = mean_power(means, country, settings, files[1])
    parts = [t for t in (shares, means) if len(t)]
    if not parts:
        return pd.DataFrame(columns=POWER_COLUMNS)
    return pd.concat(parts, ignore_index=True)[POWER_COLUMNS]
