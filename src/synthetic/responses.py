"""Turn solved counts into item responses for respondents (shared by the country builders)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .targets import Solution, nonresponse_cases, solve_item

# Questionnaire codes used by both tools' SPSS exports.
AGREE5_LABELS = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
    98: "Don't know",
    99: "Refused",
}
YESNO_LABELS = {0: "No", 1: "Yes", 98: "Don't know", 99: "Refused"}
SCALE_LABELS = {"agree5": AGREE5_LABELS, "yesno": YESNO_LABELS}


def assign_binary(
    rng: np.random.Generator,
    size: int,
    n: int,
    k: int,
    order_hint: np.ndarray | None = None,
    persistence: float = 0.0,
) -> np.ndarray:
    """Return an array of length `size`: k ones, n-k zeros and size-n NaN (item non-response).

    Positions are random (seeded). With `order_hint` (e.g. the same person's baseline answer) and
    `persistence` in [0, 1], ones go preferentially to respondents with a high hint.
    """
    out = np.full(size, np.nan)
    answered = rng.permutation(size)[:n]
    score = rng.random(n)
    if order_hint is not None:
        hint = np.nan_to_num(order_hint[answered], nan=0.5)
        score = (1 - persistence) * score + persistence * hint
    ranks = np.argsort(-score, kind="stable")
    values = np.zeros(n)
    values[ranks[:k]] = 1
    out[answered] = values
    return out


def code_scale(rng: np.random.Generator, binary: np.ndarray, scale: str) -> np.ndarray:
    """Map 1/0/NaN to questionnaire codes: agree5 -> 4-5 / 1-3, yesno -> 1 / 0; NaN -> 98 or 99."""
    size = len(binary)
    if scale == "agree5":
        pos = rng.choice([4, 5], size=size, p=[0.55, 0.45])
        neg = rng.choice([1, 2, 3], size=size, p=[0.3, 0.45, 0.25])
    else:
        pos, neg = np.ones(size), np.zeros(size)
    missing = rng.choice([98, 99], size=size, p=[0.8, 0.2])
    return np.where(np.isnan(binary), missing, np.where(binary == 1, pos, neg)).astype(float)


def solve_items(
    items: list[dict], totals: dict[str, dict[str, int]], max_nr: int
) -> tuple[dict[str, Solution], list[str]]:
    """Solve every item's counts; return solutions and a report of non-response and unmatched
    cases."""
    solutions, report = {}, []
    for item in items:
        waves = item.get("waves", list(item["targets"]))
        sol = solve_item(
            {w: totals[w] for w in waves},
            item["targets"],
            item["decimals"],
            change_pp=item.get("change_pp"),
            change_decimals=item.get("change_decimals", 1),
            max_nonresponse=max_nr,
            change_relative=item.get("change_relative"),
        )
        solutions[item["name"]] = sol
        for line in nonresponse_cases(sol):
            report.append(f"{item['name']} ({item['label']}): item non-response used: {line}")
        for line in sol.unmatched:
            report.append(f"{item['name']} ({item['label']}): NOT MATCHED: {line}")
    return solutions, report


def fill_items(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    wave: str,
    items: list[dict],
    solutions: dict[str, Solution],
    group_col: str,
    group_values: dict[str, object],
    hints: dict[str, np.ndarray] | None = None,
    persistence: float = 0.0,
) -> dict[str, np.ndarray]:
    """Write coded responses for each item into `frame` (in place); return the 0/1/NaN truth per
    item."""
    truth = {}
    for item in items:
        sol = solutions[item["name"]]
        if wave not in sol.counts:
            continue
        binary = np.full(len(frame), np.nan)
        for group, count in sol.counts[wave].items():
            mask = (frame[group_col] == group_values[group]).to_numpy()
            hint = hints[item["name"]][mask] if hints and item["name"] in hints else None
            binary[mask] = assign_binary(rng, int(mask.sum()), count.n, count.k, hint, persistence)
        truth[item["name"]] = binary
        frame[item["name"]] = code_scale(rng, binary, item["scale"])
    return truth
