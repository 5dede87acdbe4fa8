"""Checks of the paper's words: pure functions from a statement's numeric reading and numbers to a
CheckResult (analysis.audit.checks), and the statement's status from its checks.

Conventions: percents are 0-100, changes and differences in percentage points (pp); a printed value
with d decimals stands for the interval [printed - h, printed + h], h = 0.5 * 10^-d (half-up
rounding, as the paper rounds); a printed bound ("more than 90%") for (90, inf), "about x" for
x +- 10% (as `checks.compare_printed`).

A reading is a relation (`READING_RELATIONS`):
  greater / less            a - b > 0 / < 0                      (two operands a, b)
  increase / decrease       endline - baseline > 0 / < 0         ([baseline, endline] or [change])
  at_least / more_than /
  less_than                 every operand >= / > / < value
  between                   every operand in [low, high)
  sum_at_most               the operands add up to at most value (shares of disjoint categories)

a. check_printed       arithmetic feasibility: can values within the printed rounding satisfy the
                       reading? ("impossible" when none can; proven from the printed numbers alone)
b. check_direction     do the recomputed values satisfy it? (conditional on the data)
c. check_p_value       a difference or change: p < alpha on the data (conditional)
   check_interval      a magnitude: the whole 95% interval satisfies the reading (conditional)
d. printed_test        two printed percents with their stated bases: chi-square 2x2 (R prop.test,
                       correct = FALSE) on the whole counts they imply; needs no data, but assumes
                       every respondent of the base answered (conditional on that)
statement_status       supported / not_supported / contradicted / impossible / direction_only /
                       printed_consistent / not_run / not_checkable, with its label and whether it
                       rests on the (reconstructed) data
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.audit.checks import CheckResult, half_unit, possible_percent
from analysis.survey.proportions import two_proportion_chi2

Interval = tuple[float, float]

COMPARISONS = ("greater", "less")
CHANGES = ("increase", "decrease")
THRESHOLDS = ("at_least", "more_than", "less_than", "between")
READING_RELATIONS = (*COMPARISONS, *CHANGES, *THRESHOLDS, "sum_at_most")
STATEMENT_STATUSES = (
    "supported",
    "not_supported",
    "contradicted",
    "impossible",
    "direction_only",
    "printed_consistent",
    "not_run",
    "not_checkable",
)
ABOUT_TOLERANCE = 0.1  # "about x" stands for x +- 10% (as checks.compare_printed)


@dataclass(frozen=True)
class Reading:
    """A statement's numeric reading: a relation and its threshold(s), in percent (or a count)."""

    relation: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = "percent"  # percent | count


@dataclass(frozen=True)
class NotRun:
    """A check that could not run, and why (e.g. "comparisons.csv missing")."""

    check: str
    reason: str


Outcome = CheckResult | NotRun | None  # None: the check does not apply to the statement


def printed_interval(printed: float, decimals: int, bound: str = "exact") -> Interval:
    """The values a printed number stands for: its rounding interval, or a bound's half-line."""
    if bound == "more_than":
        return (printed, math.inf)
    if bound == "less_than":
        return (-math.inf, printed)
    h = half_unit(decimals)
    if bound == "about":
        tolerance = max(ABOUT_TOLERANCE * abs(printed), h)
        return (printed - tolerance, printed + tolerance)
    return (printed - h, printed + h)


def _given(bound: float | None, relation: str) -> float:
    """A threshold the relation needs (the register's loader checks that it is there)."""
    if bound is None:
        raise ValueError(f"relation {relation} needs its threshold")
    return bound


def _threshold(reading: Reading, x: Interval) -> tuple[bool, bool]:
    """(possible, certain): can some / must every value of x satisfy the threshold reading?"""
    low, high = x
    r = reading
    if r.relation == "between":  # [low, high)
        lo, hi = _given(r.low, r.relation), _given(r.high, r.relation)
        return high >= lo and low < hi, low >= lo and high < hi
    value = _given(r.value, r.relation)
    if r.relation == "at_least":
        return high >= value, low >= value
    if r.relation == "more_than":
        return high > value, low > value
    return low < value, high < value  # less_than


def _differences(relation: str, operands: Sequence[Interval]) -> Interval:
    """The interval of the difference the comparison or change is about, oriented so that the
    reading says it is positive (a - b for greater, b - a for less; endline - baseline for increase
    etc.)."""
    if len(operands) == 1:
        low, high = operands[0]
    elif relation in ("greater", "decrease"):
        (a_low, a_high), (b_low, b_high) = operands
        low, high = a_low - b_high, a_high - b_low
    else:
        (a_low, a_high), (b_low, b_high) = operands
        low, high = b_low - a_high, b_high - a_low
    if len(operands) == 1 and relation in ("less", "decrease"):
        low, high = -high, -low
    return low, high


def relation_holds(reading: Reading, operands: Sequence[Interval]) -> tuple[bool, bool]:
    """(possible, certain) for operands given as intervals; for exact values (zero-width
    intervals) the two agree.

    Comparisons and changes take two operands ([a, b] or [baseline, endline]) or one (the
    difference or change itself); thresholds apply to every operand; sum_at_most to their sum.
    """
    if reading.relation in COMPARISONS + CHANGES:
        if len(operands) not in (1, 2):
            raise ValueError(f"{reading.relation} needs one or two operands, got {len(operands)}")
        low, high = _differences(reading.relation, operands)
        return high > 0, low > 0
    if reading.relation == "sum_at_most":
        value = _given(reading.value, reading.relation)
        return sum(x[0] for x in operands) <= value, sum(x[1] for x in operands) <= value
    checks = [_threshold(reading, x) for x in operands]
    return all(p for p, _ in checks), all(c for _, c in checks)


def reading_text(wording: str, reading: Reading, operands: Sequence[str]) -> str:
    """The reading in words and symbols, e.g. "'more women than men' = Female - Male > 0"."""
    r, names = reading, list(operands)
    pct = "%" if r.unit == "percent" else ""
    if r.relation in COMPARISONS:
        a, b = (names + ["a", "b"])[:2] if len(names) != 1 else (names[0], "0")
        rhs = f"{a} - {b} {'>' if r.relation == 'greater' else '<'} 0"
    elif r.relation in CHANGES:
        rhs = f"endline - baseline {'>' if r.relation == 'increase' else '<'} 0 pp"
    elif r.relation == "sum_at_most":
        rhs = f"{' + '.join(names)} <= {r.value:g}{pct}"
    else:
        symbol = {"at_least": ">=", "more_than": ">", "less_than": "<"}.get(r.relation)
        bound = (
            f"in [{r.low:g}{pct}, {r.high:g}{pct})"
            if symbol is None
            else f"{symbol} {r.value:g}{pct}"
        )
        rhs = f"{', '.join(names) or ('the share' if pct else 'the number')} {bound}"
    return f"'{wording}' = {rhs}"


def _fmt(x: Interval) -> str:
    return f"{x[0]:g}" if x[0] == x[1] else f"[{x[0]:g}, {x[1]:g}]"


def check_printed(
    reading: Reading, operands: Sequence[Interval], names: Sequence[str]
) -> CheckResult:
    """(a) Arithmetic feasibility: can values within the printed rounding satisfy the reading?

    Fails ("impossible", proven from the printed numbers) only when no value within rounding
    satisfies it; `values["certain"]` says whether every value does.
    """
    possible, certain = relation_holds(reading, operands)
    shown = ", ".join(f"{n} {_fmt(x)}" for n, x in zip(names, operands))
    verdict = (
        "satisfied by every value within rounding"
        if certain
        else "satisfied by some values within rounding"
        if possible
        else "no value within rounding satisfies it"
    )
    return CheckResult(
        "arithmetic", possible, f"printed {shown}: {verdict}", values={"certain": certain}
    )


def check_direction(reading: Reading, values: Sequence[float], names: Sequence[str]) -> CheckResult:
    """(b) Do the recomputed values (percent; pp for changes) satisfy the reading?"""
    holds, _ = relation_holds(reading, [(v, v) for v in values])
    shown = ", ".join(f"{n} {v:.2f}" for n, v in zip(names, values))
    return CheckResult(
        "direction",
        holds,
        f"recomputed {shown}: {'satisfies' if holds else 'does not satisfy'} the reading",
        label="conditional",
    )


def check_p_value(
    p_value: float, alpha: float, test: str, p_holm: float | None = None
) -> CheckResult:
    """(c) A difference or change is significant when its test's p < alpha (the test as the
    pipeline ran it: comparisons.csv for groups, shifts.csv for changes). Holm's adjusted p
    (Holm 1979, Scand J Statist 6:65-70) is shown beside it."""
    holm = "" if p_holm is None or math.isnan(p_holm) else f", Holm-adjusted p = {p_holm:.3g}"
    ok = p_value < alpha
    return CheckResult(
        "significance",
        ok,
        f"{test}: p = {p_value:.3g}{holm} ({'<' if ok else '>='} alpha {alpha:g})",
        label="conditional",
        values={"p_value": p_value},
    )


def check_interval(
    reading: Reading, intervals: Sequence[Interval], names: Sequence[str]
) -> CheckResult:
    """(c) A magnitude: does the whole confidence interval (percent) of every group satisfy the
    threshold? (Equivalent to a one-sided test of the share against it at alpha/2.)"""
    _, certain = relation_holds(reading, intervals)
    shown = ", ".join(f"{n} CI [{lo:.2f}, {hi:.2f}]" for n, (lo, hi) in zip(names, intervals))
    return CheckResult(
        "significance",
        certain,
        f"{shown}: {'wholly' if certain else 'not wholly'} within the reading",
        label="conditional",
    )


def implied_count(percent: float, decimals: int, n: int) -> tuple[int, bool]:
    """The whole count k of n that the printed percent stands for, and whether some k rounds to
    it exactly (else the nearest count, k = round(percent * n / 100))."""
    k = possible_percent(percent, decimals, n)
    return (k, True) if k is not None else (int(round(percent * n / 100)), False)


def printed_test(
    a: tuple[float, int, int], b: tuple[float, int, int], alpha: float, names: Sequence[str]
) -> CheckResult:
    """(d) Are two printed percents (percent, decimals, stated base n) significantly different?

    Pearson chi-square of the 2x2 table of the whole counts they imply, without continuity
    correction (R `prop.test(c(k_a, k_b), c(n_a, n_b), correct = FALSE)`; Agresti 2013,
    Categorical Data Analysis, s3.2), as for two independent simple random samples in which every
    respondent of the stated base answered: conditional on that, not on any data.
    """
    (ka, exact_a), (kb, exact_b) = implied_count(*a), implied_count(*b)
    _, p, _ = two_proportion_chi2(ka, a[2], kb, b[2])
    p = float(p)
    inexact = [n for n, exact in zip(names, (exact_a, exact_b)) if not exact]
    caveat = (
        f"; no whole count of its base gives {' or '.join(inexact)} (item non-response?)"
        if inexact
        else ""
    )
    return CheckResult(
        "printed_test",
        p < alpha,
        f"printed {names[0]} {ka}/{a[2]} vs {names[1]} {kb}/{b[2]}: chi-square 2x2 (prop.test,"
        f" no continuity correction) p = {p:.3g} ({'<' if p < alpha else '>='} alpha {alpha:g})"
        + caveat,
        label="conditional",
        values={"p_value": p, "k": (ka, kb)},
    )


def outcome_text(outcome: Outcome) -> str:
    """'holds: ...', 'fails: ...', 'not run: ...' or '' (the check does not apply)."""
    if outcome is None:
        return ""
    if isinstance(outcome, NotRun):
        return f"not run: {outcome.reason}"
    return f"{'holds' if outcome.passed else 'fails'}: {outcome.detail}"


def statement_status(
    arithmetic: Outcome, direction: Outcome, significance: Outcome, printed: Outcome = None
) -> tuple[str, str, bool]:
    """(status, label, depends_on_reconstruction) of a checked statement.

    impossible (proven) when no printed value within rounding satisfies the reading; otherwise the
    data decide: contradicted when the recomputed direction fails, not_supported when it holds but
    is not significant, supported when both hold, direction_only when no significance check could
    run; all of these rest on the data (conditional). Where the data's significance check could
    not run, the test of the printed numbers (`printed`) stands in for it. Without data: the
    printed test alone gives supported / not_supported (conditional on the stated bases, not on the
    data); else printed_consistent (proven) when the printed numbers allow the reading, not_run
    when no check could run.
    """
    if isinstance(arithmetic, CheckResult) and not arithmetic.passed:
        return "impossible", "proven", False
    printed_ok = printed.passed if isinstance(printed, CheckResult) else None
    if not isinstance(direction, CheckResult):
        if printed_ok is not None:
            return ("supported" if printed_ok else "not_supported"), "conditional", False
        if isinstance(arithmetic, CheckResult):
            return "printed_consistent", "proven", False
        return "not_run", "", False
    if not direction.passed:
        return "contradicted", "conditional", True
    significant = significance.passed if isinstance(significance, CheckResult) else printed_ok
    if significant is None:
        return "direction_only", "conditional", True
    return ("supported" if significant else "not_supported"), "conditional", True
