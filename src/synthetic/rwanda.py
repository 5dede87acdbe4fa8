"""Synthetic reconstruction of the Rwanda surveys (endline 2023: ONA SPSS export; baseline:
SurveyCTO SPSS export).

Built only from the paper's Figures 1-2 and section 3.1.1 and from
config/synthetic_reconstruction.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .fake import fake_names, fake_phones, fake_uuids, submission_times, villages_for
from .mess import add_mess, order_by_submission
from .responses import SCALE_LABELS, fill_items, solve_items
from .targets import Solution
from .writers import write_sav

SEX_CODES_ONA = {1: "Male", 2: "Female"}  # endline coding
SEX_CODES_CTO = {1: "Female", 2: "Male"}  # baseline coding (the other tool codes differently)
CONSENT_LABELS = {0: "No", 1: "Yes"}
MISSING_AGE = {98: "Don't know", 99: "Refused"}
FILE_LABEL = "SYNTHETIC RECONSTRUCTION - not real responses"
# free-text answers to "Other social group (specify)", as enumerators typed them
OTHER_SOCIAL_GROUPS = [
    "Community member",
    "local leader",
    "Teacher ",
    "Farmer",
    "community  member",
    "Church member",
]
ONA_COLUMN_LABELS = {
    "rec_id": "Server record id",
    "uuid": "Submission UUID",
    "submission_time": "Submission time (server)",
    "interview_date": "Interview date",
    "enumerator": "Enumerator code",
    "consent": "Respondent gave informed consent",
    "resp_name": "Respondent name",
    "resp_phone": "Respondent phone",
    "district": "District",
    "village": "Village",
    "sex": "Sex of respondent",
    "age": "Age in completed years",
    "age_group": "Age group (if exact age unknown, estimate)",
    "social_group": "Social group",
    "social_group_other": "Other social group (specify)",
}  # endline export columns in file order (participation_months and the items follow)
PARTICIPATION_LABEL = "How long have you participated in the healing space?"
CTO_COLUMN_LABELS = {
    "KEY": "Unique submission key",
    "SubmissionDate": "Submission date",
    "enum_id": "Enumerator",
    "consent_given": "Consent",
    "name": "Name of respondent",
    "phone_number": "Phone number",
    "distr": "District",
    "village_name": "Village",
    "gender": "Gender",
    "age_years": "Age (years)",
    "soc_cat": "Social category",
}  # baseline export columns in file order (the items follow)


def _profile(rng, cfg) -> pd.DataFrame:
    """404 respondents with sex, age band, age and social group matching Figures 1 and 2 as
    printed."""
    bands, bounds = cfg["age_bands"], cfg["age_band_bounds"]
    rows = []
    under30_codes = {x["code"] for x in cfg["figure2"] if x.get("under_30")}
    for sex in ("Female", "Male"):
        band_idx = np.repeat(np.arange(len(bands)), cfg["figure1"][sex])  # youngest first
        under30 = [g["code"] for g in cfg["figure2"] if g.get("under_30") for _ in range(g[sex])]
        others = [g["code"] for g in cfg["figure2"] if not g.get("under_30") for _ in range(g[sex])]
        # "Under 30" groups take the youngest slots; for men this reaches into 31-35 (the printed
        # conflict)
        groups = np.concatenate([rng.permutation(under30), rng.permutation(others)]).astype(int)
        for b, g in zip(band_idx, groups):
            lo, hi = bounds[b]
            if g in under30_codes and lo < 30:
                hi = min(hi, 29)  # "under 30" members in the 26-30 band are 26-29
            rows.append(
                {
                    "sex": sex,
                    "age_group": int(b) + 1,
                    "age": int(rng.integers(lo, hi + 1)),
                    "social_group": g,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def _duration(rng, frame: pd.DataFrame, cfg) -> np.ndarray:
    out = np.zeros(len(frame))
    for sex in ("Female", "Male"):
        mask = (frame["sex"] == sex).to_numpy()
        codes = np.repeat(np.arange(1, len(cfg["categories"]) + 1), cfg[sex])
        out[mask] = rng.permutation(codes)
    return out


def _district_labels(districts: list[str]) -> dict[int, str]:
    """District codes (1-based, in config order) -> district names."""
    return {i + 1: d for i, d in enumerate(districts)}


def _social_group_labels(end_cfg: dict) -> dict[int, str]:
    """Social group codes -> labels, as in Figure 2."""
    return {g["code"]: g["label"] for g in end_cfg["figure2"]}


def _village_of(
    rng: np.random.Generator,
    villages: dict[str, list[str]],
    districts: list[str],
    codes: pd.Series,
    per_district: int,
) -> list[str]:
    """A random village of each respondent's district (district codes are 1-based)."""
    return [villages[districts[int(d) - 1]][int(rng.integers(per_district))] for d in codes]


def _endline_frame(
    rng: np.random.Generator,
    endline: pd.DataFrame,
    end_cfg: dict,
    villages: dict[str, list[str]],
    end_items: list[dict],
    solutions: dict[str, Solution],
) -> pd.DataFrame:
    """The endline (ONA) respondents before any mess: location, profile, items, metadata."""
    n_end = len(endline)
    districts = end_cfg["districts"]
    end = pd.DataFrame({"sex_label": endline["sex"]})
    end["district"] = (np.arange(n_end) % len(districts)) + 1
    end["district"] = rng.permutation(end["district"].to_numpy())
    end["village"] = _village_of(
        rng, villages, districts, end["district"], end_cfg["villages_per_district"]
    )
    end["sex"] = endline["sex"].map({v: k for k, v in SEX_CODES_ONA.items()}).astype(float)
    end["age"] = endline["age"].astype(float)
    end["age_group"] = endline["age_group"].astype(float)
    end["social_group"] = endline["social_group"].astype(float)
    end["social_group_other"] = np.where(
        end["social_group"] == 96, rng.choice(OTHER_SOCIAL_GROUPS, n_end), ""
    )
    fill_items(
        rng, end, "endline", end_items, solutions, "sex_label", {"Female": "Female", "Male": "Male"}
    )
    end["participation_months"] = _duration(rng, endline, end_cfg["participation_duration"])
    end["consent"] = 1.0
    end["enumerator"] = [f"ENUM{int(x):02d}" for x in rng.integers(1, 21, n_end)]
    end["resp_name"] = fake_names(rng, endline["sex"].to_numpy(), "rw")
    end["resp_phone"] = fake_phones(rng, n_end, "+250 78")
    stamps = submission_times(rng, n_end, *end_cfg["fieldwork"])
    end["submission_time"] = stamps.strftime("%Y-%m-%dT%H:%M:%S")
    end["interview_date"] = stamps.strftime("%Y-%m-%d")
    end["uuid"] = fake_uuids(rng, n_end)
    return end.drop(columns="sex_label")


def _ona_resubmission(rng: np.random.Generator, fieldwork: list[str]) -> dict[str, str]:
    """A new server submission time and uuid for a row added to the endline export."""
    return {
        "submission_time": (submission_times(rng, 1, *fieldwork).strftime("%Y-%m-%dT%H:%M:%S")[0]),
        "uuid": fake_uuids(rng, 1)[0],
    }


def _ona_extra_rows(fieldwork: list[str]) -> dict[str, Callable[[np.random.Generator], dict]]:
    """What `add_mess` overwrites in a copied endline row, per kind of added row."""
    return {
        "test_submissions": lambda r: {
            **_ona_resubmission(r, fieldwork),
            "enumerator": "TEST",
            "resp_name": "test test",
            "village": "test",
        },
        "no_consent": lambda r: _ona_resubmission(r, fieldwork),
        "under_18": lambda r: {**_ona_resubmission(r, fieldwork), "age": 16.0, "age_group": 0.0},
    }


def _finish_endline(
    rng: np.random.Generator, end: pd.DataFrame, end_cfg: dict, item_names: list[str]
) -> pd.DataFrame:
    """Add the mess, sort by submission time, number the records and put columns in file order."""
    end = add_mess(
        rng,
        end,
        end_cfg["mess"],
        item_names,
        "consent",
        "age",
        _ona_extra_rows(end_cfg["fieldwork"]),
    )
    end = order_by_submission(end, "submission_time")
    end.insert(0, "rec_id", np.arange(1, len(end) + 1, dtype=float) + 7000)
    # duplicates are re-uploads: same content and _uuid, a new server _id
    return end[list(ONA_COLUMN_LABELS) + item_names]


def _endline_value_labels(end_cfg: dict, end_items: list[dict]) -> dict[str, dict]:
    """SPSS value labels of the endline export (codes -> labels, missing-value codes included)."""
    labels = {
        "consent": CONSENT_LABELS,
        "sex": SEX_CODES_ONA,
        "district": _district_labels(end_cfg["districts"]),
        "age_group": {0: "Under 18", **{i + 1: b for i, b in enumerate(end_cfg["age_bands"])}},
        "social_group": _social_group_labels(end_cfg),
        "participation_months": {
            i + 1: c for i, c in enumerate(end_cfg["participation_duration"]["categories"])
        },
        "age": MISSING_AGE,
    }
    for item in end_items:
        labels[item["name"]] = SCALE_LABELS[item["scale"]]
    return labels


def _write_endline(end: pd.DataFrame, end_cfg: dict, end_items: list[dict], out_dir: Path) -> None:
    """Write the endline ONA SPSS export with its variable and value labels."""
    column_labels = {
        **ONA_COLUMN_LABELS,
        "participation_months": PARTICIPATION_LABEL,
        **{i["name"]: i["label"] for i in end_items},
    }
    missing = {c: [98, 99] for c in [i["name"] for i in end_items] + ["age"]}
    write_sav(
        end,
        out_dir / "rwanda_endline_2023_ona.sav",
        file_label=FILE_LABEL,
        column_labels=column_labels,
        variable_value_labels=_endline_value_labels(end_cfg, end_items),
        missing_ranges=missing,
    )


def _baseline_frame(
    rng: np.random.Generator,
    endline: pd.DataFrame,
    base_cfg: dict,
    end_cfg: dict,
    villages: dict[str, list[str]],
    base_items: list[dict],
    solutions: dict[str, Solution],
) -> pd.DataFrame:
    """The baseline (SurveyCTO) respondents before any mess, items still under endline names."""
    districts = end_cfg["districts"]
    n_b = base_cfg["n_female"] + base_cfg["n_male"]
    sex_b = np.array(["Female"] * base_cfg["n_female"] + ["Male"] * base_cfg["n_male"])[
        rng.permutation(n_b)
    ]
    base = pd.DataFrame({"sex_label": sex_b})
    base["gender"] = pd.Series(sex_b).map({v: k for k, v in SEX_CODES_CTO.items()}).astype(float)
    # ASSUMPTION: baseline ages and social groups resemble the endline's, by sex
    for sex in ("Female", "Male"):
        mask = sex_b == sex
        pool = endline[endline["sex"] == sex]
        pick = rng.integers(0, len(pool), mask.sum())
        base.loc[mask, "age_years"] = pool["age"].to_numpy()[pick].astype(float)
        base.loc[mask, "soc_cat"] = pool["social_group"].to_numpy()[pick].astype(float)
    base["distr"] = rng.permutation((np.arange(n_b) % len(districts)) + 1).astype(float)
    base["village_name"] = _village_of(
        rng, villages, districts, base["distr"], end_cfg["villages_per_district"]
    )
    fill_items(
        rng,
        base,
        "baseline",
        base_items,
        solutions,
        "sex_label",
        {"Female": "Female", "Male": "Male"},
    )
    return base


def _add_cto_metadata(rng: np.random.Generator, base: pd.DataFrame, base_cfg: dict) -> pd.DataFrame:
    """Add consent, enumerator, contact, submission date and KEY columns; drop `sex_label`.

    `_sort` holds the submission timestamps, for ordering the rows.
    """
    n_b = len(base)
    base["consent_given"] = 1.0
    base["enum_id"] = [f"E{int(x):03d}" for x in rng.integers(100, 130, n_b)]
    base["name"] = fake_names(rng, base["sex_label"].to_numpy(), "rw")
    base["phone_number"] = fake_phones(rng, n_b, "+250 72")
    stamps = submission_times(rng, n_b, *base_cfg["fieldwork"])
    base["SubmissionDate"] = stamps.strftime("%b %d, %Y %I:%M:%S %p")
    base["_sort"] = stamps
    base["KEY"] = ["uuid:" + u for u in fake_uuids(rng, n_b)]
    return base.drop(columns="sex_label")


def _cto_resubmission(rng: np.random.Generator, fieldwork: list[str]) -> dict:
    """A new SubmissionDate (with its `_sort` timestamp) and KEY for a row added to the baseline."""
    st = submission_times(rng, 1, *fieldwork)
    return {
        "SubmissionDate": st.strftime("%b %d, %Y %I:%M:%S %p")[0],
        "_sort": st[0],
        "KEY": "uuid:" + fake_uuids(rng, 1)[0],
    }


def _cto_extra_rows(fieldwork: list[str]) -> dict[str, Callable[[np.random.Generator], dict]]:
    """What `add_mess` overwrites in a copied baseline row, per kind of added row."""
    return {
        "test_submissions": lambda r: {
            **_cto_resubmission(r, fieldwork),
            "enum_id": "test",
            "name": "TEST",
        },
        "no_consent": lambda r: _cto_resubmission(r, fieldwork),
        "under_18": lambda r: _cto_resubmission(r, fieldwork),
    }


def _finish_baseline(
    rng: np.random.Generator, base: pd.DataFrame, base_cfg: dict, item_cols: list[str]
) -> pd.DataFrame:
    """Add the mess, sort by submission time and put columns in file order."""
    base = add_mess(
        rng,
        base,
        base_cfg["mess"],
        item_cols,
        "consent_given",
        "age_years",
        _cto_extra_rows(base_cfg["fieldwork"]),
        text_col="village_name",
    )
    base = order_by_submission(base, "_sort").drop(columns="_sort")
    return base[list(CTO_COLUMN_LABELS) + item_cols]


def _write_baseline(
    base: pd.DataFrame,
    end_cfg: dict,
    base_items: list[dict],
    rename_items: dict[str, str],
    out_dir: Path,
) -> None:
    """Write the baseline SurveyCTO SPSS export with its variable and value labels."""
    labels_b = {
        "consent_given": CONSENT_LABELS,
        "gender": SEX_CODES_CTO,
        "distr": _district_labels(end_cfg["districts"]),
        "soc_cat": _social_group_labels(end_cfg),
        "age_years": MISSING_AGE,
    }
    for item in base_items:
        labels_b[rename_items[item["name"]]] = SCALE_LABELS[item["scale"]]
    col_labels_b = {
        **CTO_COLUMN_LABELS,
        **{rename_items[i["name"]]: i["label"] for i in base_items},
    }
    write_sav(
        base,
        out_dir / "rwanda_baseline_2022_surveycto.sav",
        file_label=FILE_LABEL,
        column_labels=col_labels_b,
        variable_value_labels=labels_b,
        missing_ranges={c: [98, 99] for c in list(rename_items.values()) + ["age_years"]},
    )


def build(cfg: dict, max_nr: int, rng: np.random.Generator, out_dir: Path) -> list[str]:
    """Write data/raw/rwanda/*.sav and return the reconstruction report lines."""
    end_cfg, base_cfg = cfg["endline"], cfg["baseline"]
    endline = _profile(rng, end_cfg)
    totals = {
        "endline": {s: int((endline["sex"] == s).sum()) for s in ("Female", "Male")},
        "baseline": {"Female": base_cfg["n_female"], "Male": base_cfg["n_male"]},
    }
    solutions, report = solve_items(cfg["items"], totals, max_nr)
    villages = {d: villages_for(d, end_cfg["villages_per_district"]) for d in end_cfg["districts"]}

    # endline (ONA)
    end_items = [i for i in cfg["items"] if "endline" in i["targets"]]
    end = _endline_frame(rng, endline, end_cfg, villages, end_items, solutions)
    item_names = [i["name"] for i in end_items] + ["participation_months"]
    end = _finish_endline(rng, end, end_cfg, item_names)
    _write_endline(end, end_cfg, end_items, out_dir)

    # baseline (SurveyCTO), independent cross-section
    base_items = [i for i in cfg["items"] if "baseline" in i["targets"]]
    base = _baseline_frame(rng, endline, base_cfg, end_cfg, villages, base_items, solutions)
    rename_items = {i["name"]: "b_" + i["name"][2:] for i in base_items}
    base = base.rename(columns=rename_items)
    base = _add_cto_metadata(rng, base, base_cfg)
    base = _finish_baseline(rng, base, base_cfg, list(rename_items.values()))
    _write_baseline(base, end_cfg, base_items, rename_items, out_dir)
    return report
