"""Audit checks: each a pure function from printed (and recomputed) numbers to a CheckResult.

Conventions: percents are 0-100; a printed value with d decimals stands for the interval
[printed - h, printed + h] with h = 0.5 * 10^-d (half-up rounding, as the paper rounds).

a. compare_printed        recomputed vs printed within printed precision (reproduced / differs)
b. granularity            is some integer k/n equal to the printed percent? else the largest n that
                          allows it (the GRIM test: Brown & Heathers 2017, Social Psychological
                          and Personality Science 8(4))
c. check_sum              parts vs printed total (counts exactly; percents within rounding)
d. check_weighted_average overall percent vs its parts' percents and n
e. check_change           stated change vs endline - baseline (pp or relative)
f. check_cross_table      counts of one table vs another (e.g. "under 30" groups vs 18-30 age bands)
g. check_itemised_total   a stated total vs itemised counts elsewhere
h. check_subgroup_change  can the overall change follow from its parts' changes, and under what
                          composition
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from analysis.tables.rounding import percent_half_up, round_half_up


@dataclass
class CheckResult:
    check: str
    passed: bool
    detail: str
    label: str = "proven"  # proven | conditional (on a stated reading)
    values: dict = field(default_factory=dict)


def half_unit(decimals: int) -> float:
    return 0.5 * 10 ** (-decimals)


def compare_printed(
    printed: float, recomputed: float, decimals: int, bound: str = "exact"
) -> CheckResult:
    """(a) Does the recomputed value round to the printed one (or satisfy the printed bound)?"""
    if bound == "more_than":
        ok = recomputed > printed
    elif bound == "less_than":
        ok = recomputed < printed
    elif bound == "about":
        ok = abs(recomputed - printed) <= max(0.1 * abs(printed), half_unit(decimals))
    else:
        ok = round_half_up(recomputed, decimals) == round_half_up(printed, decimals)
    diff = recomputed - printed
    text = (
        f"recomputed {recomputed:.{decimals + 2}f} rounds to the printed {printed:.{decimals}f}"
        if ok and bound == "exact"
        else (
            f"recomputed {recomputed:.{decimals + 2}f} {'satisfies' if ok else 'does not satisfy'} "
            f"'{bound.replace('_', ' ')} {printed:.{decimals}f}'"
            if bound != "exact"
            else (
                f"recomputed {recomputed:.{decimals + 2}f} vs printed {printed:.{decimals}f}"
                f" (difference {diff:+.{decimals + 2}f})"
            )
        )
    )
    return CheckResult("recompute", ok, text, values={"difference": diff})


def possible_percent(printed: float, decimals: int, n: int) -> int | None:
    """An integer k with round_half_up(100 k / n, decimals) == printed, or None (exact
    arithmetic)."""
    target = Fraction(str(round(printed, decimals)))
    k = int(round(float(target) * n / 100))
    for cand in range(max(0, k - 2), min(n, k + 2) + 1):
        if Fraction(str(percent_half_up(cand, n, decimals))) == target:
            return cand
    return None


def granularity(printed: float, decimals: int, n: int) -> CheckResult:
    """(b) GRIM-style test of a printed percentage against its base n.

    If impossible, reports the largest base n' < n for which it is possible (the least item
    non-response that could explain it), or that no base up to n allows it.
    """
    k = possible_percent(printed, decimals, n)
    if k is not None:
        return CheckResult(
            "granularity",
            True,
            f"{printed:.{decimals}f}% is possible for n={n} (k={k})",
            values={"k": k, "n": n},
        )
    for m in range(n - 1, 0, -1):
        k = possible_percent(printed, decimals, m)
        if k is not None:
            return CheckResult(
                "granularity",
                False,
                f"{printed:.{decimals}f}% is impossible for n={n}; the largest base that allows it"
                f" is n={m} ({k}/{m}), i.e. at least {n - m} item non-response",
                label="conditional",
                values={"largest_n": m, "k": k, "n": n, "nonresponse": n - m},
            )
    return CheckResult(
        "granularity",
        False,
        f"{printed:.{decimals}f}% is impossible for any base n <= {n}",
        values={"n": n},
    )


def check_sum(total: float, parts: list[float], decimals: int, unit: str) -> CheckResult:
    """(c) Do the parts add up to the printed total? Counts exactly; percents within accumulated
    rounding."""
    s = sum(parts)
    if unit == "count":
        ok = abs(s - total) < 1e-9
        tol = 0.0
    else:
        tol = half_unit(decimals) * (len(parts) + 1)
        ok = abs(s - total) <= tol + 1e-9
    return CheckResult(
        "sum",
        ok,
        f"parts sum to {s:g}, printed total {total:g}"
        + (f" (rounding tolerance ±{tol:g})" if tol else ""),
        values={"sum": s, "total": total},
    )


def weighted_average_range(parts: list[tuple[float, int]], decimals: int) -> tuple[float, float]:
    """Range of the n-weighted mean of parts whose true values lie within their printed rounding."""
    h = half_unit(decimals)
    total = sum(n for _, n in parts)
    low = sum(max(p - h, 0) * n for p, n in parts) / total
    high = sum(min(p + h, 100) * n for p, n in parts) / total
    return low, high


def check_weighted_average(
    overall: float,
    overall_decimals: int,
    parts: list[tuple[float, int]],
    decimals: int,
    bound: str = "exact",
) -> CheckResult:
    """(d) Is the overall percent consistent with its parts' percents and n?

    With the stated n the overall must lie in the weighted range of the parts; if it does not, the
    share of the part that would have to be larger (e.g. through item non-response) is reported.
    A bounded overall ("more than 90%") only needs the range to reach beyond the bound.
    """
    low, high = weighted_average_range(parts, decimals)
    h = half_unit(overall_decimals)
    if bound in ("more_than", "less_than"):
        ok = high > overall if bound == "more_than" else low < overall
        return CheckResult(
            "weighted_average",
            ok,
            f"with the stated n the overall lies in [{low:.3f}, {high:.3f}]; "
            f"printed '{bound.replace('_', ' ')} {overall:g}'",
        )
    ok = overall + h >= low - 1e-12 and overall - h <= high + 1e-12
    detail = (
        f"with the stated n the overall must lie in [{low:.3f}, {high:.3f}]; printed"
        f" {overall:.{overall_decimals}f}"
    )
    if ok:
        return CheckResult("weighted_average", True, detail)
    values = [p for p, _ in parts]
    if (
        min(values) - half_unit(decimals) <= overall <= max(values) + half_unit(decimals)
        and len(parts) == 2
    ):
        (p1, n1), (p2, n2) = parts
        w2 = (
            (overall - p1) / (p2 - p1) if p2 != p1 else float("nan")
        )  # share of part 2 needed (central values)
        detail += (
            f"; only possible if part 2 made up {100 * w2:.1f}% of the answers instead of "
            f"{100 * n2 / (n1 + n2):.1f}% (e.g. through item non-response)"
        )
        return CheckResult(
            "weighted_average", False, detail, label="conditional", values={"needed_share": w2}
        )
    return CheckResult(
        "weighted_average",
        False,
        detail + "; outside the range of its parts: impossible under any weights",
    )


def check_change(
    change: float,
    change_decimals: int,
    baseline: float,
    endline: float,
    level_decimals: int,
    kind: str = "pp",
) -> CheckResult:
    """(e) Stated change vs endline - baseline (pp) or (endline - baseline) / baseline (relative,
    %)."""
    h = half_unit(level_decimals)
    if kind == "pp":
        low, high = (endline - h) - (baseline + h), (endline + h) - (baseline - h)
    else:
        low = 100 * ((endline - h) / (baseline + h) - 1)
        high = 100 * ((endline + h) / (baseline - h) - 1) if baseline - h > 0 else float("inf")
    hc = half_unit(change_decimals)
    ok = change + hc >= low - 1e-9 and change - hc <= high + 1e-9
    unit = "pp" if kind == "pp" else "%"
    return CheckResult(
        "change",
        ok,
        f"printed levels {baseline:g} -> {endline:g} allow a change in "
        f"[{low:.2f}, {high:.2f}] {unit}; printed {change:+g} {unit}",
        values={"low": low, "high": high},
    )


def check_cross_table(
    left: list[float], right: list[float], relation: str, statement: str
) -> CheckResult:
    """(f) Feasibility across tables, e.g. people in 'Under 30' groups <= people aged 18-30 (by
    sex)."""
    a, b = sum(left), sum(right)
    ok = {"left<=right": a <= b, "left>=right": a >= b, "left==right": a == b}[relation]
    return CheckResult(
        "cross_table",
        ok,
        f"{statement}: {a:g} vs {b:g} ({relation.replace('left', 'L').replace('right', 'R')}"
        f" {'holds' if ok else 'fails'})",
        values={"left": a, "right": b},
    )


def check_itemised_total(total: float, items: list[float]) -> CheckResult:
    """(g) A stated total vs the sum of counts itemised elsewhere."""
    s = sum(items)
    ok = abs(s - total) < 1e-9
    return CheckResult(
        "itemised_total",
        ok,
        f"itemised counts sum to {s:g}; stated total {total:g}"
        + ("" if ok else f" (difference {total - s:+g})"),
        values={"sum": s},
    )


def check_subgroup_change(
    overall_change: float, overall_decimals: int, parts: list[tuple[float, int]], part_decimals: int
) -> CheckResult:
    """(h) Can an overall change come from its parts' changes?

    With the same group composition at both waves the overall change is a weighted mean of the
    parts' changes, so it must lie between them. Outside that range it needs the composition to
    shift between waves (Simpson's paradox); the result is then 'conditional' and says so.
    """
    h_o, h_p = half_unit(overall_decimals), half_unit(part_decimals)
    changes = [c for c, _ in parts]
    low, high = min(changes) - h_p, max(changes) + h_p
    inside = overall_change + h_o >= low and overall_change - h_o <= high
    if inside:
        return CheckResult(
            "subgroup_change",
            True,
            f"overall change {overall_change:+g} lies within its parts' "
            f"changes [{low:+.2f}, {high:+.2f}]",
        )
    return CheckResult(
        "subgroup_change",
        False,
        f"overall change {overall_change:+g} lies outside its parts' changes [{low:+.2f},"
        f" {high:+.2f}]: impossible if the groups' shares were the same at baseline and endline;"
        " possible only if the composition differed between waves",
        label="conditional",
    )
