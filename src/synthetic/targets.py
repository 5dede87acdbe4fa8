"""Integer counts that reproduce printed percentages.

A printed percentage p (with d decimals) of a base n is *possible* when some integer k gives
round_half_up(100 k / n, d) == p. Where the full base makes it impossible, the least item
non-response (a smaller n) that makes it possible is used; where none does within the bound,
the nearest value is used and the case is reported.

The search is exhaustive over small integer grids (numpy broadcasting), so it is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def printed_int(value: float, decimals: int) -> int:
    """A printed percent as an integer number of its last digit (59.4, 1 -> 594)."""
    return int(round(value * 10**decimals))


def rounded_pct_int(k, n, decimals: int):
    """round_half_up(100 k / n, decimals) as an integer of the last digit; exact integer
    arithmetic."""
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    scale = 100 * 10**decimals
    return (2 * scale * k + n) // (2 * n)


@dataclass
class GroupCount:
    """Answered base `n` (after item non-response) and positives `k` of one group in one wave."""

    total: int
    n: int
    k: int

    @property
    def nonresponse(self) -> int:
        return self.total - self.n

    @property
    def pct(self) -> float:
        return 100.0 * self.k / self.n


@dataclass
class Solution:
    counts: dict[str, dict[str, GroupCount]]  # wave -> group -> counts
    unmatched: list[str] = field(
        default_factory=list
    )  # human-readable list of printed values not reproduced


def _wave_candidates(totals: dict[str, int], targets: dict[str, float], decimals: int, max_nr: int):
    """All (n, k) per group for one wave, scored on that wave's printed values.

    Returns a dict of arrays: n_<g>, k_<g> for each group, plus `mismatch` (count of printed values
    not reproduced), `nonresponse` and `distance` (sum of |recomputed - printed| in percent).
    """
    groups = list(totals)
    axes = []
    for g in groups:
        tot = totals[g]
        printed = g in targets
        nrs = range(0, min(max_nr, tot - 1) + 1) if printed else [0]
        pairs = []
        for r in nrs:
            n = tot - r
            if printed:
                centre = int(round(targets[g] / 100 * n))
                ks = range(max(0, centre - 2), min(n, centre + 2) + 1)
            else:
                ks = range(0, n + 1)
            pairs.extend((n, k) for k in ks)
        axes.append(np.array(pairs, dtype=np.int64))
    # Cartesian product over groups
    grids = np.meshgrid(*[np.arange(len(a)) for a in axes], indexing="ij")
    cand = {}
    for g, a, idx in zip(groups, axes, grids):
        flat = idx.ravel()
        cand[f"n_{g}"] = a[flat, 0]
        cand[f"k_{g}"] = a[flat, 1]
    size = len(next(iter(cand.values())))
    mismatch = np.zeros(size, dtype=np.int64)
    distance = np.zeros(size)
    nonresponse = np.zeros(size, dtype=np.int64)
    n_all = np.zeros(size, dtype=np.int64)
    k_all = np.zeros(size, dtype=np.int64)
    for g in groups:
        n, k = cand[f"n_{g}"], cand[f"k_{g}"]
        nonresponse += totals[g] - n
        n_all += n
        k_all += k
        if g in targets:
            # a group's printed value weighs twice an overall one: it is the more specific claim
            mismatch += 2 * (rounded_pct_int(k, n, decimals) != printed_int(targets[g], decimals))
            distance += np.abs(100.0 * k / n - targets[g])
    if "overall" in targets:
        mismatch += rounded_pct_int(k_all, n_all, decimals) != printed_int(
            targets["overall"], decimals
        )
        distance += np.abs(100.0 * k_all / n_all - targets["overall"])
    # where groups are not printed, prefer groups that resemble each other (smallest spread of
    # rates)
    rates = [cand[f"k_{g}"] / cand[f"n_{g}"] for g in groups]
    spread = np.max(rates, axis=0) - np.min(rates, axis=0) if rates else np.zeros(size)
    cand.update(
        mismatch=mismatch,
        nonresponse=nonresponse,
        distance=distance,
        spread=spread,
        n_all=n_all,
        k_all=k_all,
    )
    return cand


def solve_item(
    totals: dict[str, dict[str, int]],
    targets: dict[str, dict[str, float]],
    decimals: int,
    change_pp: dict[str, float] | None = None,
    change_decimals: int = 1,
    max_nonresponse: int = 20,
    change_relative: dict[str, float] | None = None,
) -> Solution:
    """Find per-wave, per-group (n, k) reproducing printed percents and changes.

    totals: wave -> group -> number of respondents (e.g. {"endline": {"Female": 265, "Male": 139}}).
    targets: wave -> {"overall" | group: printed percent}.
    change_pp: group or "overall" -> printed endline - baseline change in percentage points.
    change_relative: group or "overall" -> printed relative change in percent
    (endline / baseline - 1).
    Ranking (lexicographic): fewest printed values not reproduced (a group value or a change counts
    twice an overall value), least item non-response, smallest total distance to the printed values,
    smallest spread between groups' rates. Remaining ties go to the first candidate (deterministic).
    """
    waves = list(totals)
    change_pp = change_pp or {}
    change_relative = change_relative or {}
    changes = [(g, v, "pp") for g, v in change_pp.items()] + [
        (g, v, "relative") for g, v in change_relative.items()
    ]
    per_wave = {}
    for w in waves:
        cand = _wave_candidates(totals[w], targets.get(w, {}), decimals, max_nonresponse)
        if not changes:  # waves independent: keep the best candidate of each wave
            order = np.lexsort(
                (cand["spread"], cand["distance"], cand["nonresponse"], cand["mismatch"])
            )[:1]
        else:  # keep every candidate with the wave's fewest mismatches; pair across waves below
            order = np.flatnonzero(cand["mismatch"] == cand["mismatch"].min())
        per_wave[w] = {key: val[order] for key, val in cand.items()}

    sizes = [len(per_wave[w]["mismatch"]) for w in waves]
    grids = np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
    picks = {w: g.ravel() for w, g in zip(waves, grids)}
    mismatch = sum(per_wave[w]["mismatch"][picks[w]] for w in waves)
    nonresponse = sum(per_wave[w]["nonresponse"][picks[w]] for w in waves)
    distance = sum(per_wave[w]["distance"][picks[w]] for w in waves)
    spread = sum(per_wave[w]["spread"][picks[w]] for w in waves)
    for g, printed, kind in changes:

        def pct(w, g=g):
            n = per_wave[w]["n_all" if g == "overall" else f"n_{g}"][picks[w]]
            k = per_wave[w]["k_all" if g == "overall" else f"k_{g}"][picks[w]]
            return 100.0 * k / n

        with np.errstate(divide="ignore", invalid="ignore"):
            diff = (
                pct("endline") - pct("baseline")
                if kind == "pp"
                else 100.0 * (pct("endline") / pct("baseline") - 1)
            )
        scale = 10**change_decimals
        mismatch = mismatch + 2 * (
            np.floor(np.abs(diff) * scale + 0.5 + 1e-9) * np.sign(diff) != round(printed * scale)
        )
        distance = distance + np.abs(diff - printed)
    best = np.lexsort((spread, distance, nonresponse, mismatch))[0]

    counts: dict[str, dict[str, GroupCount]] = {}
    unmatched: list[str] = []
    for w in waves:
        i = picks[w][best]
        counts[w] = {
            g: GroupCount(
                total=totals[w][g], n=int(per_wave[w][f"n_{g}"][i]), k=int(per_wave[w][f"k_{g}"][i])
            )
            for g in totals[w]
        }
        n_all, k_all = sum(c.n for c in counts[w].values()), sum(c.k for c in counts[w].values())
        for g, printed in targets.get(w, {}).items():
            n, k = (n_all, k_all) if g == "overall" else (counts[w][g].n, counts[w][g].k)
            got = int(rounded_pct_int(k, n, decimals))
            if got != printed_int(printed, decimals):
                unmatched.append(
                    f"{w} {g}: printed {printed:.{decimals}f}% is not reproduced; nearest possible "
                    f"{got / 10**decimals:.{decimals}f}% ({k}/{n})"
                )
    for g, printed, kind in changes:

        def pct_of(w, g=g):
            c = counts[w]
            if g == "overall":
                return 100.0 * sum(x.k for x in c.values()) / sum(x.n for x in c.values())
            return c[g].pct

        diff = (
            pct_of("endline") - pct_of("baseline")
            if kind == "pp"
            else 100.0 * (pct_of("endline") / pct_of("baseline") - 1)
        )
        unit = "pp" if kind == "pp" else "% (relative)"
        if round(diff, change_decimals) != round(printed, change_decimals):
            unmatched.append(
                f"change {g}: printed {printed:+.{change_decimals}f} {unit}, reconstructed"
                f" {diff:+.2f} {unit}"
            )
    return Solution(counts=counts, unmatched=unmatched)


def nonresponse_cases(solution: Solution) -> list[str]:
    """Human-readable list of the groups where item non-response was needed."""
    out = []
    for w, groups in solution.counts.items():
        for g, c in groups.items():
            if c.nonresponse:
                out.append(
                    f"{w} {g}: {c.k}/{c.n} = {c.pct:.2f}% ({c.nonresponse} of {c.total} item"
                    " non-response)"
                )
    return out


__all__ = [
    "GroupCount",
    "Solution",
    "solve_item",
    "nonresponse_cases",
    "rounded_pct_int",
    "printed_int",
]
