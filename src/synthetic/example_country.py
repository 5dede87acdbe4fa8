"""EXAMPLE DATA, not from the paper: a fictional SurveyCTO Stata panel (baseline, midline, endline)
with strata, clusters, weights and a programme arm.

It shows the onboarding of a third country from config alone (README "Add a country"). Every
parameter is in config/synthetic_reconstruction.yaml under `example_country`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .example_outcomes import (
    OUTCOME_LABELS,
    OUTCOME_VALUE_LABELS,
    OUTCOMES,
    household_traits,
    village_arms,
    wave_outcomes,
)
from .fake import fake_names, fake_phones, fake_uuids, submission_times
from .mess import add_mess, order_by_submission
from .writers import write_dta

TRUST = {
    1: "Not at all",
    2: "A little",
    3: "Somewhat",
    4: "Very much",
    -98: "Refused",
    -99: "Don't know",
}
YESNO = {0: "No", 1: "Yes", -98: "Refused", -99: "Don't know"}
GENDER = {0: "Male", 1: "Female"}
LABELS = {
    "q1_trust": "How much do you trust people from other groups in your village?",
    "q2_safe_night": "Do you feel safe walking in your village at night?",
    "q3_conflict_resolved": "Was your last dispute resolved without violence?",
    "q4_stress_weekly": "In the past month, did you feel stressed at least once a week?",
    "q5_group_member": "Are you a member of a community group that includes other groups?",
}
COLUMN_LABELS = {
    "key": "Unique submission key",
    "submissiondate": "Submission date",
    "hhid": "Household id (panel)",
    "consent": "Consent",
    "enum_code": "Enumerator",
    "respondent_name": "Respondent name",
    "phone": "Phone number",
    "stratum": "Sampling stratum (district)",
    "village_code": "Village (PSU)",
    "wt": "Survey weight",
    "gender": "Gender of respondent",
    "age": "Age (years)",
    **LABELS,
    **OUTCOME_LABELS,
}
# export columns in file order (the items follow)
COLUMNS = [
    "key",
    "submissiondate",
    "enum_code",
    "consent",
    "hhid",
    "respondent_name",
    "phone",
    "stratum",
    "village_code",
    "arm",
    "wt",
    "gender",
    "age",
]
FILE_LABEL = "EXAMPLE DATA - fictional, for the onboarding walkthrough"


def _households(rng, cfg) -> pd.DataFrame:
    rows, hh = [], 0
    for stratum in cfg["strata"]:
        for v in range(cfg["villages_per_stratum"]):
            village = int(stratum) * 100 + v + 1
            effect = rng.normal(0, cfg["village_sd"])
            lo, hi = cfg["households_per_village"]
            for _ in range(int(rng.integers(lo, hi + 1))):
                hh += 1
                rows.append(
                    {
                        "hhid": f"H{hh:04d}",
                        "stratum": int(stratum),
                        "village_code": village,
                        "effect": effect,
                        "wt": round(cfg["weight_by_stratum"][stratum] * rng.uniform(0.9, 1.1), 3),
                        "gender": int(rng.random() < cfg["female_share"]),
                        "age": int(rng.integers(18, 76)),
                    }
                )
    return pd.DataFrame(rows)


def _wave(
    rng, people: pd.DataFrame, wave: str, cfg: dict, previous: dict | None
) -> tuple[pd.DataFrame, dict]:
    n = len(people)
    out = people[["hhid", "stratum", "village_code", "wt", "gender"]].copy()
    out["age"] = (people["age"] + (1 if wave == "endline" else 0)).astype(float)
    truth = {}
    for item, (base, change) in cfg["items"].items():
        lin = base + people["effect"].to_numpy() + change * cfg["progress"][wave]
        if previous is not None:  # within-household persistence
            lin = lin + 0.8 * (previous[item] - 0.5)
        y = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(float)
        truth[item] = y
        if item == "q1_trust":  # 4-point scale: 3-4 trust, 1-2 not
            coded = np.where(
                y == 1, rng.choice([3, 4], n, p=[0.6, 0.4]), rng.choice([1, 2], n, p=[0.45, 0.55])
            )
        else:
            coded = y
        nr = rng.random(n) < 0.02
        out[item] = np.where(nr, rng.choice([-98, -99], n), coded).astype(float)
    stamps = submission_times(rng, n, *cfg["fieldwork"][wave])
    out["submissiondate"] = stamps.strftime("%b %d, %Y %I:%M:%S %p")
    out["_sort"] = stamps
    out["key"] = ["uuid:" + u for u in fake_uuids(rng, n)]
    out["consent"] = 1.0
    out["enum_code"] = [f"EN{int(x):02d}" for x in rng.integers(1, 13, n)]
    out["respondent_name"] = fake_names(rng, np.where(out["gender"] == 1, "Female", "Male"), "rw")
    out["phone"] = fake_phones(rng, n, "+000 5")
    out["gender"] = out["gender"].astype(float)
    return out, truth


def _value_labels(cfg: dict, people: pd.DataFrame) -> dict[str, dict]:
    """Stata value labels: gender, consent, strata, the sampled villages, age and item codes."""
    return {
        "gender": GENDER,
        "consent": {0: "No", 1: "Yes"},
        "stratum": {int(k): v for k, v in cfg["strata"].items()},
        "village_code": {int(v): f"Village {v}" for v in people["village_code"].unique()},
        "age": {-99: "Don't know"},
        **{item: TRUST if item == "q1_trust" else YESNO for item in cfg["items"]},
        **OUTCOME_VALUE_LABELS,
    }


def _extra_rows() -> dict[str, Callable[[np.random.Generator], dict]]:
    """What `add_mess` overwrites in a copied row, per kind of added row."""
    return {
        "test_submissions": lambda r: {
            "enum_code": "TEST",
            "key": "uuid:" + fake_uuids(r, 1)[0],
        },
        "no_consent": lambda r: {"key": "uuid:" + fake_uuids(r, 1)[0]},
    }


def _wave_mess(cfg: dict, wave: str) -> dict:
    """The wave's mess settings: coded missing ages only at endline (test submissions, refusals and
    duplicates in every wave)."""
    return (
        dict(cfg["mess"])
        if wave == "endline"
        else {k: v for k, v in cfg["mess"].items() if k != "age_missing_coded"}
    )


def _write_wave(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    wave: str,
    cfg: dict,
    labels: dict[str, dict],
    out_dir: Path,
) -> None:
    """Add the wave's mess, sort by submission time and write example_<wave>_surveycto.dta."""
    order = [*COLUMNS, *cfg["items"], *OUTCOMES]
    frame = add_mess(
        rng,
        frame,
        _wave_mess(cfg, wave),
        [*cfg["items"], *OUTCOMES],
        "consent",
        "age",
        _extra_rows(),
        text_col="enum_code",
        age_missing_code=-99,
    )
    frame = order_by_submission(frame, "_sort").drop(columns="_sort")[order]
    write_dta(
        frame,
        out_dir / f"example_{wave}_surveycto.dta",
        file_label=FILE_LABEL,
        column_labels=[COLUMN_LABELS[c] for c in order],
        variable_value_labels={k: v for k, v in labels.items() if k in order},
    )


def _midline_keep(rng: np.random.Generator, n: int, endline_keep: np.ndarray, cfg: dict):
    """Baseline rows interviewed at midline: all but `midline_attrition` of the baseline, the lost
    ones drawn among the households the endline also lost (attrition is monotone)."""
    lost_at_endline = np.setdiff1d(np.arange(n), endline_keep)
    lost = rng.choice(lost_at_endline, int(round(n * cfg["midline_attrition"])), replace=False)
    return np.setdiff1d(np.arange(n), lost)


def _with_outcomes(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    rows: np.ndarray,
    extra: dict,
    wave: str,
    cfg: dict,
) -> pd.DataFrame:
    """The wave's frame with the arm and the new items of the households at baseline `rows`."""
    outcomes = wave_outcomes(
        rng,
        extra["traits"].iloc[rows].reset_index(drop=True),
        extra["arm"].iloc[rows].reset_index(drop=True),
        cfg,
        cfg["progress"][wave],
    )
    return pd.concat([frame.reset_index(drop=True), outcomes], axis=1)


def build(cfg: dict, max_nr: int, rng: np.random.Generator, out_dir: Path) -> list[str]:
    """Write data/raw/example_country/*.dta (baseline, midline and endline panel waves).

    The five original items use `rng` exactly as the two-wave generator did (their baseline and
    endline values are unchanged); the midline, the arm and the new items come from a stream
    spawned from it.
    """
    del max_nr
    extra_rng = rng.spawn(1)[0]
    people = _households(rng, cfg)
    base, truth = _wave(rng, people, "baseline", cfg, None)
    keep = np.sort(rng.permutation(len(people))[: int(round(len(people) * (1 - cfg["attrition"])))])
    end, _ = _wave(
        rng,
        people.iloc[keep].reset_index(drop=True),
        "endline",
        cfg,
        {k: v[keep] for k, v in truth.items()},
    )
    extra = {
        "arm": village_arms(extra_rng, people, cfg["programme_villages_per_stratum"]),
        "traits": household_traits(extra_rng, len(people)),
    }
    mid_keep = _midline_keep(extra_rng, len(people), keep, cfg)
    mid, _ = _wave(
        extra_rng,
        people.iloc[mid_keep].reset_index(drop=True),
        "midline",
        cfg,
        {k: v[mid_keep] for k, v in truth.items()},
    )
    frames = {
        wave: _with_outcomes(extra_rng, frame, rows, extra, wave, cfg)
        for wave, frame, rows in (
            ("baseline", base, np.arange(len(people))),
            ("midline", mid, mid_keep),
            ("endline", end, keep),
        )
    }
    labels = _value_labels(cfg, people)
    for wave, wave_rng in (("baseline", rng), ("endline", rng), ("midline", extra_rng)):
        _write_wave(wave_rng, frames[wave], wave, cfg, labels, out_dir)
    return ["Fictional example data (not from the paper): no printed values to match."]
