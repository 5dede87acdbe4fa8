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


def _group_pairs(total: int, group: str, targets: dict[str, float], max_nr: int) -> np.ndarray:
    """Every (n, k) tried for one group, as an (m, 2) int64 array.

    A printed group allows up to `max_nr` item non-response and k within 2 of the printed percent
    of n; a group without a printed value keeps its full base and may take any k.
    """
    printed = group in targets
    nrs = range(0, min(max_nr, total - 1) + 1) if printed else [0]
    pairs: list[tuple[int, int]] = []
    for r in nrs:
        n = total - r
        if printed:
            centre = int(round(targets[group] / 100 * n))
            ks = range(max(0, centre - 2), min(n, centre + 2) + 1)
        else:
            ks = range(0, n + 1)
        pairs.extend((n, k) for k in ks)
    return np.array(pairs, dtype=np.int64)


def _cartesian(groups: list[str], axes: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Every combination of the groups' (n, k) pairs, as flat arrays n_<g> and k_<g>."""
    grids = np.meshgrid(*[np.arange(len(a)) for a in axes], indexing="ij")
    cand = {}
    for g, a, idx in zip(groups, axes, grids):
        flat = idx.ravel()
        cand[f"n_{g}"] = a[flat, 0]
        cand[f"k_{g}"] = a[flat, 1]
    return cand


def _score_candidates(
    cand: dict[str, np.ndarray], totals: dict[str, int], targets: dict[str, float], decimals: int
) -> None:
    """Add mismatch, nonresponse, distance (percent), spread (proportion), n_all and k_all to
    `cand` (in place), scored on one wave's printed values."""
    groups = list(totals)
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


def _wave_candidates(totals: dict[str, int], targets: dict[str, float], decimals: int, max_nr: int):
    """All (n, k) per group for one wave, scored on that wave's printed values.

    Returns a dict of arrays: n_<g>, k_<g> for each group, plus `mismatch` (count of printed values
    not reproduced), `nonresponse` and `distance` (sum of |recomputed - printed| in percent).
    """
    groups = list(totals)
    axes = [_group_pairs(totals[g], g, targets, max_nr) for g in groups]
    cand = _cartesian(groups, axes)
    _score_candidates(cand, totals, targets, decimals)
    return cand


Change = tuple[str, float, str]  # (group or "overall", printed value, "pp" or "relative")


def _changes(
    change_pp: dict[str, float] | None, change_relative: dict[str, float] | None
) -> list[Change]:
    """The printed changes to reproduce: percentage-point ones first, then relative ones."""
    change_pp = change_pp or {}
    change_relative = change_relative or {}
    return [(g, v, "pp") for g, v in change_pp.items()] + [
        (g, v, "relative") for g, v in change_relative.items()
    ]


def _shortlist(
    totals: dict[str, dict[str, int]],
    targets: dict[str, dict[str, float]],
    decimals: int,
    max_nonresponse: int,
    paired: bool,
) -> dict[str, dict[str, np.ndarray]]:
    """Each wave's candidates worth pairing across waves.

    Without printed changes (`paired` False) the waves are independent and only each wave's best
    candidate is kept; with them, every candidate with the wave's fewest mismatches is kept.
    """
    per_wave = {}
    for w in totals:
        cand = _wave_candidates(totals[w], targets.get(w, {}), decimals, max_nonresponse)
        if not paired:  # waves independent: keep the best candidate of each wave
            order = np.lexsort(
                (cand["spread"], cand["distance"], cand["nonresponse"], cand["mismatch"])
            )[:1]
        else:  # keep every candidate with the wave's fewest mismatches; pair across waves below
            order = np.flatnonzero(cand["mismatch"] == cand["mismatch"].min())
        per_wave[w] = {key: val[order] for key, val in cand.items()}
    return per_wave


def _pairings(per_wave: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Every combination of one shortlisted candidate per wave: wave -> index per combination."""
    waves = list(per_wave)
    sizes = [len(per_wave[w]["mismatch"]) for w in waves]
    grids = np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
    return {w: g.ravel() for w, g in zip(waves, grids)}


def _paired_pct(
    per_wave: dict[str, dict[str, np.ndarray]], picks: dict[str, np.ndarray], wave: str, group: str
) -> np.ndarray:
    """Percent positive of `group` ("overall": all groups) in `wave`, per combination."""
    n = per_wave[wave]["n_all" if group == "overall" else f"n_{group}"][picks[wave]]
    k = per_wave[wave]["k_all" if group == "overall" else f"k_{group}"][picks[wave]]
    return 100.0 * k / n


def _change_of(endline, baseline, kind: str):
    """Endline minus baseline in percentage points ("pp"), or relative change in percent
    (endline / baseline - 1); works on floats and arrays of percents."""
    return endline - baseline if kind == "pp" else 100.0 * (endline / baseline - 1)


def _paired_scores(
    per_wave: dict[str, dict[str, np.ndarray]],
    picks: dict[str, np.ndarray],
    changes: list[Change],
    change_decimals: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mismatch, non-response, distance and spread of every combination, summed over waves; a
    printed change not reproduced counts as 2 mismatches and adds its distance in points."""
    waves = list(per_wave)
    mismatch = sum(per_wave[w]["mismatch"][picks[w]] for w in waves)
    nonresponse = sum(per_wave[w]["nonresponse"][picks[w]] for w in waves)
    distance = sum(per_wave[w]["distance"][picks[w]] for w in waves)
    spread = sum(per_wave[w]["spread"][picks[w]] for w in waves)
    for g, printed, kind in changes:
        with np.errstate(divide="ignore", invalid="ignore"):
            end = _paired_pct(per_wave, picks, "endline", g)
            base = _paired_pct(per_wave, picks, "baseline", g)
            diff = _change_of(end, base, kind)
        scale = 10**change_decimals
        mismatch = mismatch + 2 * (
            np.floor(np.abs(diff) * scale + 0.5 + 1e-9) * np.sign(diff) != round(printed * scale)
        )
        distance = distance + np.abs(diff - printed)
    return mismatch, nonresponse, distance, spread


def _chosen_counts(
    totals: dict[str, dict[str, int]],
    per_wave: dict[str, dict[str, np.ndarray]],
    picks: dict[str, np.ndarray],
    best: int,
) -> dict[str, dict[str, GroupCount]]:
    """The (n, k) of every wave and group in combination `best`."""
    counts: dict[str, dict[str, GroupCount]] = {}
    for w in totals:
        i = picks[w][best]
        counts[w] = {
            g: GroupCount(
                total=totals[w][g], n=int(per_wave[w][f"n_{g}"][i]), k=int(per_wave[w][f"k_{g}"][i])
            )
            for g in totals[w]
        }
    return counts


def _unmatched_levels(
    counts: dict[str, dict[str, GroupCount]], targets: dict[str, dict[str, float]], decimals: int
) -> list[str]:
    """One line per printed percent that the chosen counts do not reproduce."""
    unmatched: list[str] = []
    for w, groups in counts.items():
        n_all, k_all = sum(c.n for c in groups.values()), sum(c.k for c in groups.values())
        for g, printed in targets.get(w, {}).items():
            n, k = (n_all, k_all) if g == "overall" else (groups[g].n, groups[g].k)
            got = int(rounded_pct_int(k, n, decimals))
            if got != printed_int(printed, decimals):
                unmatched.append(
                    f"{w} {g}: printed {printed:.{decimals}f}% is not reproduced; nearest possible "
                    f"{got / 10**decimals:.{decimals}f}% ({k}/{n})"
                )
    return unmatched


def _group_pct(groups: dict[str, GroupCount], group: str) -> float:
    """Percent positive of `group` ("overall": all groups pooled) in one wave's counts."""
    if group == "overall":
        return 100.0 * sum(x.k for x in groups.values()) / sum(x.n for x in groups.values())
    return groups[group].pct


def _unmatched_changes(
    counts: dict[str, dict[str, GroupCount]], changes: list[Change], change_decimals: int
) -> list[str]:
    """One line per printed change that the chosen counts do not reproduce."""
    unmatched: list[str] = []
    for g, printed, kind in changes:
        end = _group_pct(counts["endline"], g)
        base = _group_pct(counts["baseline"], g)
        diff = _change_of(end, base, kind)
        unit = "pp" if kind == "pp" else "% (relative)"
        if round(diff, change_decimals) != round(printed, change_decimals):
            unmatched.append(
                f"change {g}: printed {printed:+.{change_decimals}f} {unit}, reconstructed"
                f" {diff:+.2f} {unit}"
            )
    return unmatched


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
    changes = _changes(change_pp, change_relative)
    per_wave = _shortlist(totals, targets, decimals, max_nonresponse, paired=bool(changes))
    picks = _pairings(per_wave)
    mismatch, nonresponse, distance, spread = _paired_scores(
        per_wave, picks, changes, change_decimals
    )
    best = np.lexsort((spread, distance, nonresponse, mismatch))[0]
    counts = _chosen_counts(totals, per_wave, picks, best)
    unmatched = _unmatched_levels(counts, targets, decimals)
    unmatched += _unmatched_changes(counts, changes, change_decimals)
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
