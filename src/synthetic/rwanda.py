"""Synthetic reconstruction of the Rwanda surveys (endline 2023: ONA SPSS export; baseline:
SurveyCTO SPSS export).

Built only from the paper's Figures 1-2 and section 3.1.1 and from
config/synthetic_reconstruction.yaml.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .fake import fake_names, fake_phones, fake_uuids, submission_times, villages_for
from .mess import add_mess, order_by_submission
from .responses import SCALE_LABELS, fill_items, solve_items
from .writers import write_sav

SEX_CODES_ONA = {1: "Male", 2: "Female"}  # endline coding
SEX_CODES_CTO = {1: "Female", 2: "Male"}  # baseline coding (the other tool codes differently)
CONSENT_LABELS = {0: "No", 1: "Yes"}
MISSING_AGE = {98: "Don't know", 99: "Refused"}


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


def build(cfg: dict, max_nr: int, rng: np.random.Generator, out_dir: Path) -> list[str]:
    """Write data/raw/rwanda/*.sav and return the reconstruction report lines."""
    end_cfg, base_cfg = cfg["endline"], cfg["baseline"]
    endline = _profile(rng, end_cfg)
    n_end = len(endline)
    totals = {
        "endline": {s: int((endline["sex"] == s).sum()) for s in ("Female", "Male")},
        "baseline": {"Female": base_cfg["n_female"], "Male": base_cfg["n_male"]},
    }
    solutions, report = solve_items(cfg["items"], totals, max_nr)

    # ---------------- endline (ONA) ----------------
    districts = end_cfg["districts"]
    end = pd.DataFrame({"sex_label": endline["sex"]})
    end["district"] = (np.arange(n_end) % len(districts)) + 1
    end["district"] = rng.permutation(end["district"].to_numpy())
    villages = {d: villages_for(d, end_cfg["villages_per_district"]) for d in districts}
    end["village"] = [
        villages[districts[d - 1]][int(rng.integers(end_cfg["villages_per_district"]))]
        for d in end["district"]
    ]
    end["sex"] = endline["sex"].map({v: k for k, v in SEX_CODES_ONA.items()}).astype(float)
    end["age"] = endline["age"].astype(float)
    end["age_group"] = endline["age_group"].astype(float)
    end["social_group"] = endline["social_group"].astype(float)
    others = [
        "Community member",
        "local leader",
        "Teacher ",
        "Farmer",
        "community  member",
        "Church member",
    ]
    end["social_group_other"] = np.where(end["social_group"] == 96, rng.choice(others, n_end), "")
    end_items = [i for i in cfg["items"] if "endline" in i["targets"]]
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
    end = end.drop(columns="sex_label")
    item_names = [i["name"] for i in end_items] + ["participation_months"]

    def _extra_time(rng):
        return {
            "submission_time": (
                submission_times(rng, 1, *end_cfg["fieldwork"]).strftime("%Y-%m-%dT%H:%M:%S")[0]
            ),
            "uuid": fake_uuids(rng, 1)[0],
        }

    extra_rows = {
        "test_submissions": lambda r: {
            **_extra_time(r),
            "enumerator": "TEST",
            "resp_name": "test test",
            "village": "test",
        },
        "no_consent": lambda r: _extra_time(r),
        "under_18": lambda r: {**_extra_time(r), "age": 16.0, "age_group": 0.0},
    }
    end = add_mess(rng, end, end_cfg["mess"], item_names, "consent", "age", extra_rows)
    end = order_by_submission(end, "submission_time")
    end.insert(0, "rec_id", np.arange(1, len(end) + 1, dtype=float) + 7000)
    # duplicates are re-uploads: same content and _uuid, a new server _id
    cols = [
        "rec_id",
        "uuid",
        "submission_time",
        "interview_date",
        "enumerator",
        "consent",
        "resp_name",
        "resp_phone",
        "district",
        "village",
        "sex",
        "age",
        "age_group",
        "social_group",
        "social_group_other",
    ] + item_names
    end = end[cols]
    labels = {
        "consent": CONSENT_LABELS,
        "sex": SEX_CODES_ONA,
        "district": {i + 1: d for i, d in enumerate(districts)},
        "age_group": {0: "Under 18", **{i + 1: b for i, b in enumerate(end_cfg["age_bands"])}},
        "social_group": {g["code"]: g["label"] for g in end_cfg["figure2"]},
        "participation_months": {
            i + 1: c for i, c in enumerate(end_cfg["participation_duration"]["categories"])
        },
        "age": MISSING_AGE,
    }
    for item in end_items:
        labels[item["name"]] = SCALE_LABELS[item["scale"]]
    column_labels = {
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
        "participation_months": "How long have you participated in the healing space?",
        **{i["name"]: i["label"] for i in end_items},
    }
    missing = {c: [98, 99] for c in [i["name"] for i in end_items] + ["age"]}
    write_sav(
        end,
        out_dir / "rwanda_endline_2023_ona.sav",
        file_label="SYNTHETIC RECONSTRUCTION - not real responses",
        column_labels=column_labels,
        variable_value_labels=labels,
        missing_ranges=missing,
    )

    # ---------------- baseline (SurveyCTO), independent cross-section ----------------
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
    base["village_name"] = [
        villages[districts[int(d) - 1]][int(rng.integers(end_cfg["villages_per_district"]))]
        for d in base["distr"]
    ]
    base_items = [i for i in cfg["items"] if "baseline" in i["targets"]]
    fill_items(
        rng,
        base,
        "baseline",
        base_items,
        solutions,
        "sex_label",
        {"Female": "Female", "Male": "Male"},
    )
    rename_items = {i["name"]: "b_" + i["name"][2:] for i in base_items}
    base = base.rename(columns=rename_items)
    base["consent_given"] = 1.0
    base["enum_id"] = [f"E{int(x):03d}" for x in rng.integers(100, 130, n_b)]
    base["name"] = fake_names(rng, sex_b, "rw")
    base["phone_number"] = fake_phones(rng, n_b, "+250 72")
    stamps = submission_times(rng, n_b, *base_cfg["fieldwork"])
    base["SubmissionDate"] = stamps.strftime("%b %d, %Y %I:%M:%S %p")
    base["_sort"] = stamps
    base["KEY"] = ["uuid:" + u for u in fake_uuids(rng, n_b)]
    base = base.drop(columns="sex_label")

    def _extra_cto(rng):
        st = submission_times(rng, 1, *base_cfg["fieldwork"])
        return {
            "SubmissionDate": st.strftime("%b %d, %Y %I:%M:%S %p")[0],
            "_sort": st[0],
            "KEY": "uuid:" + fake_uuids(rng, 1)[0],
        }

    extra_b = {
        "test_submissions": lambda r: {**_extra_cto(r), "enum_id": "test", "name": "TEST"},
        "no_consent": _extra_cto,
        "under_18": _extra_cto,
    }
    base = add_mess(
        rng,
        base,
        base_cfg["mess"],
        list(rename_items.values()),
        "consent_given",
        "age_years",
        extra_b,
        text_col="village_name",
    )
    base = order_by_submission(base, "_sort").drop(columns="_sort")
    cols_b = [
        "KEY",
        "SubmissionDate",
        "enum_id",
        "consent_given",
        "name",
        "phone_number",
        "distr",
        "village_name",
        "gender",
        "age_years",
        "soc_cat",
    ] + list(rename_items.values())
    base = base[cols_b]
    labels_b = {
        "consent_given": CONSENT_LABELS,
        "gender": SEX_CODES_CTO,
        "distr": labels["district"],
        "soc_cat": labels["social_group"],
        "age_years": MISSING_AGE,
    }
    for item in base_items:
        labels_b[rename_items[item["name"]]] = SCALE_LABELS[item["scale"]]
    col_labels_b = {
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
        **{rename_items[i["name"]]: i["label"] for i in base_items},
    }
    write_sav(
        base,
        out_dir / "rwanda_baseline_2022_surveycto.sav",
        file_label="SYNTHETIC RECONSTRUCTION - not real responses",
        column_labels=col_labels_b,
        variable_value_labels=labels_b,
        missing_ranges={c: [98, 99] for c in list(rename_items.values()) + ["age_years"]},
    )
    return report
