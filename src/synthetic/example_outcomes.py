"""EXAMPLE DATA, not from the paper: the example panel's arm and its outcomes of issue 16.

A WHO-5 wellbeing scale (who5_1..who5_5, 0-5), a social-cohesion scale with a negatively worded
item (sc_1..sc_4, 1-5, sc_3 reversed), a right-skewed monthly household income (hh_income), three
yes/no support items (sup_family, sup_friends, sup_group) and a child's literacy test score
(literacy_score, 0-1000), each with Stata missing codes. The programme arm (half the villages of
each stratum) improves more than the comparison arm. Every parameter is in
config/synthetic_reconstruction.yaml under `example_country`; everything is vectorised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ARM = {0: "Comparison", 1: "Programme"}
MISSING = {-98: "Refused", -99: "Don't know"}
WHO5 = {
    0: "At no time",
    1: "Some of the time",
    2: "Less than half of the time",
    3: "More than half of the time",
    4: "Most of the time",
    5: "All of the time",
    **MISSING,
}
AGREE = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
    **MISSING,
}
YESNO = {0: "No", 1: "Yes", **MISSING}
WHO5_ITEMS = [f"who5_{k}" for k in range(1, 6)]
COHESION_ITEMS = [f"sc_{k}" for k in range(1, 5)]
NEGATIVE_COHESION_ITEM = "sc_3"
SUPPORT_ITEMS = ["sup_family", "sup_friends", "sup_group"]
OUTCOMES = [*WHO5_ITEMS, *COHESION_ITEMS, "hh_income", *SUPPORT_ITEMS, "literacy_score"]
OUTCOME_LABELS = {
    "arm": "Programme arm of the village",
    "who5_1": "Past two weeks: I have felt cheerful and in good spirits",
    "who5_2": "Past two weeks: I have felt calm and relaxed",
    "who5_3": "Past two weeks: I have felt active and vigorous",
    "who5_4": "Past two weeks: I woke up feeling fresh and rested",
    "who5_5": "Past two weeks: my daily life has been filled with things that interest me",
    "sc_1": "People in this village are willing to help their neighbours",
    "sc_2": "People in this village can be trusted",
    "sc_3": "People in this village do not share the same values",
    "sc_4": "This is a close-knit village",
    "hh_income": "Household income last month (local currency)",
    "sup_family": "Could you count on your family for help in a crisis?",
    "sup_friends": "Could you count on friends or neighbours for help in a crisis?",
    "sup_group": "Could you count on a community group for help in a crisis?",
    "literacy_score": "Literacy test score of a school-age child (0-1000)",
}
OUTCOME_VALUE_LABELS = {
    "arm": ARM,
    **dict.fromkeys(WHO5_ITEMS, WHO5),
    **dict.fromkeys(COHESION_ITEMS, AGREE),
    "hh_income": {-99: "Don't know"},
    **dict.fromkeys(SUPPORT_ITEMS, YESNO),
    "literacy_score": MISSING,
}


def village_arms(rng: np.random.Generator, people: pd.DataFrame, per_stratum: int) -> pd.Series:
    """Programme (1) or comparison (0) for each household: `per_stratum` villages of each stratum,
    drawn at random, are programme villages."""
    villages = people[["stratum", "village_code"]].drop_duplicates().reset_index(drop=True)
    draw = pd.Series(rng.random(len(villages)), index=villages.index)
    rank = draw.groupby(villages["stratum"]).rank(method="first")
    programme = dict(zip(villages["village_code"], (rank <= per_stratum).astype(int)))
    return people["village_code"].map(programme).astype(int)


def household_traits(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Standard-normal household levels that persist over waves (one column per outcome)."""
    return pd.DataFrame(
        rng.standard_normal((n, 5)), columns=["who5", "cohesion", "income", "support", "literacy"]
    )


def _ordinal(latent: np.ndarray, noise: np.ndarray, low: int, high: int) -> np.ndarray:
    """Answers on an integer scale [low, high]: the latent level plus item noise, rounded."""
    return np.clip(np.rint(latent[:, None] + noise), low, high)


def _with_missing_codes(
    rng: np.random.Generator, values: np.ndarray, share: float, codes: list[int]
) -> np.ndarray:
    """Replace a `share` of the values (independently per cell) with one of the missing codes."""
    hit = rng.random(values.shape) < share
    return np.where(hit, rng.choice(codes, values.shape), values)


def _arm_change(arm: np.ndarray, change: dict, progress: float) -> np.ndarray:
    """Each household's change at this wave: the endline change of its arm times the wave's
    progress."""
    return progress * np.where(arm == 1, change["Programme"], change["Comparison"])


def _scales(rng, traits: pd.DataFrame, arm: np.ndarray, cfg: dict, progress: float) -> dict:
    """WHO-5 items (0-5) and social-cohesion items (1-5, sc_3 mirrored) from each household's
    latent level in this wave."""
    n = len(traits)
    who, coh = cfg["who5"], cfg["cohesion"]
    wellbeing = (
        who["mean"]
        + who["person_sd"] * traits["who5"].to_numpy()
        + who["wave_sd"] * rng.standard_normal(n)
        + _arm_change(arm, who["change"], progress)
    )
    who5 = _ordinal(wellbeing, who["item_sd"] * rng.standard_normal((n, 5)), 0, 5)
    cohesion = (
        coh["mean"]
        + coh["person_sd"] * traits["cohesion"].to_numpy()
        + coh["wave_sd"] * rng.standard_normal(n)
        + _arm_change(arm, coh["change"], progress)
    )
    mirror = np.array([1.0 if item != NEGATIVE_COHESION_ITEM else -1.0 for item in COHESION_ITEMS])
    # a negatively worded item: agreement falls as cohesion rises (6 - x mirrors the 1-5 scale)
    centred = (cohesion - 3.0)[:, None] * mirror + 3.0
    noise = coh["item_sd"] * rng.standard_normal((n, len(COHESION_ITEMS)))
    cohesion_items = np.clip(np.rint(centred + noise), 1, 5)
    return {
        **dict(zip(WHO5_ITEMS, who5.T)),
        **dict(zip(COHESION_ITEMS, cohesion_items.T)),
    }


def _income(rng, traits: pd.DataFrame, arm: np.ndarray, cfg: dict, progress: float) -> np.ndarray:
    """Monthly household income: lognormal around the median, a few extreme values, -99 don't
    know."""
    inc = cfg["income"]
    n = len(traits)
    log_income = (
        np.log(inc["median"])
        + inc["person_sd"] * traits["income"].to_numpy()
        + inc["wave_sd"] * rng.standard_normal(n)
        + _arm_change(arm, inc["change_log"], progress)
    )
    income = np.exp(log_income)
    extreme = rng.choice(n, inc["extreme_per_wave"], replace=False)
    income[extreme] *= inc["extreme_factor"]
    income = np.rint(income / inc["round_to"]) * inc["round_to"]
    return np.where(rng.random(n) < inc["dont_know"], -99.0, income)


def _support_and_literacy(
    rng, traits: pd.DataFrame, arm: np.ndarray, cfg: dict, progress: float
) -> dict:
    """Three yes/no support items (a household propensity plus the arm's change on the logit
    scale) and a child's literacy score (normal, rounded, clipped to 0-1000)."""
    n = len(traits)
    sup = cfg["support"]
    base = np.array([sup["logits"][item] for item in SUPPORT_ITEMS])
    logit = (
        base[None, :]
        + sup["person_sd"] * traits["support"].to_numpy()[:, None]
        + _arm_change(arm, sup["change"], progress)[:, None]
    )
    support = (rng.random((n, len(SUPPORT_ITEMS))) < 1 / (1 + np.exp(-logit))).astype(float)
    lit = cfg["literacy"]
    share = lit["person_share"]
    level = share * traits["literacy"].to_numpy() + np.sqrt(1 - share**2) * rng.standard_normal(n)
    literacy = np.clip(
        np.rint(lit["mean"] + lit["sd"] * level + _arm_change(arm, lit["change"], progress)),
        0,
        1000,
    )
    return {**dict(zip(SUPPORT_ITEMS, support.T)), "literacy_score": literacy}


def wave_outcomes(
    rng: np.random.Generator, traits: pd.DataFrame, arm: pd.Series, cfg: dict, progress: float
) -> pd.DataFrame:
    """The wave's answers to the new items (Stata codes as floats, missing codes included) for the
    households in `traits` (aligned with `arm`); `progress` is the share of the endline change
    reached (0 at baseline)."""
    arm_codes = arm.to_numpy()
    answers = {
        **_scales(rng, traits, arm_codes, cfg, progress),
        **_support_and_literacy(rng, traits, arm_codes, cfg, progress),
    }
    frame = pd.DataFrame(answers)
    coded = _with_missing_codes(rng, frame.to_numpy(), cfg["item_missing"], [-98, -99])
    frame = pd.DataFrame(coded, columns=frame.columns)
    frame["hh_income"] = _income(rng, traits, arm_codes, cfg, progress)
    frame.insert(0, "arm", arm_codes.astype(float))
    return frame[["arm", *OUTCOMES]]
