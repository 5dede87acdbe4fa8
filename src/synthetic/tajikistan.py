"""Synthetic reconstruction of the Tajikistan data: KoboToolbox exports (baseline CSV, endline XLSX)
of a women participants' panel survey, their XLSForm, and the qualitative participant register
(Figure 3).

Built only from the paper's section 3.2 / 3.2.1, Box 3, Figure 3 and
config/synthetic_reconstruction.yaml.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .fake import TEXT_VARIANTS, fake_names, fake_phones, fake_uuids, submission_times
from .mess import add_mess, order_by_submission
from .responses import assign_binary, solve_items
from .targets import GroupCount, Solution
from .writers import write_csv, write_xlsx

YESNO = {1.0: "yes", 0.0: "no"}
AGE_DK = 999  # the form's "don't know" code for age (constraint allows it)
G = {
    "intro": "group_intro",
    "profile": "group_profile",
    "wb": "group_wellbeing",
    "econ": "group_economy",
    "vio": "group_violence",
}


def _col(group: str, name: str) -> str:
    return f"{G[group]}/{name}"


ITEM_GROUP = {
    "hunger_weekly": "econ",
    "enough_food_money": "econ",
    "seeking_loans": "econ",
    "unable_save_prices": "econ",
    "listened_economic": "wb",
    "family_support": "wb",
    "budget_opinion": "wb",
    "decision_voice": "wb",
    "husband_sole_decider": "wb",
    "fear_weekly": "wb",
    "violence_not_endured": "vio",
}


def _counts_from_pcts(pcts: list[float], n: int) -> list[int]:
    """Largest-remainder integer counts for percents that sum to 100."""
    raw = np.array(pcts) / 100 * n
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: n - base.sum()]] += 1
    return base.tolist()


SurveyRow = tuple[str, str, str, str]  # XLSForm survey sheet: type, name, label, relevant
CHOICES = [
    ("yes_no", "yes", "Yes"),
    ("yes_no", "no", "No"),
    ("yes_no_dk", "yes", "Yes"),
    ("yes_no_dk", "no", "No"),
    ("yes_no_dk", "dk", "Don't know"),
    ("district", "jomi", "Jomi"),
    ("district", "vakhsh", "Vakhsh"),
    ("vawg_attitude", "physical_ok", "Yes, including physical violence"),
    ("vawg_attitude", "verbal_only", "Only a non-violent verbal reprimand"),
    ("vawg_attitude", "never_ok", "No, never"),
    ("vawg_exposure", "experienced", "Experienced"),
    ("vawg_exposure", "witnessed", "Witnessed"),
    ("vawg_exposure", "committed", "Committed"),
    ("vawg_exposure", "heard", "Heard about"),
    ("vawg_exposure", "none", "None of these"),
]  # XLSForm choices sheet: list_name, name, label


def _intro_and_profile_rows() -> list[SurveyRow]:
    """Survey rows from the metadata fields to the end of the profile group."""
    return [
        ("start", "start", "", ""),
        ("end", "end", "", ""),
        ("today", "today", "", ""),
        ("begin_group", "group_intro", "Introduction", ""),
        ("text", "enumerator", "Enumerator code", ""),
        ("select_one yes_no", "consent", "Do you agree to take part?", ""),
        ("end_group", "", "", ""),
        ("begin_group", "group_profile", "Profile", "${consent} = 'yes'"),
        ("text", "participant_code", "Participant code (from project register)", ""),
        ("text", "participant_name", "Participant name", ""),
        ("text", "phone", "Phone number", ""),
        ("select_one district", "district", "District", ""),
        ("text", "village", "Village", ""),
        ("integer", "age", "Age in years (999 = don't know)", ""),
        ("select_one yes_no", "disability", "Does she live with a disability?", ""),
        ("end_group", "", "", ""),
    ]


def _item_rows(cfg: dict, group: str) -> list[SurveyRow]:
    """A yes/no/don't-know question for each configured item in `group` (key of G)."""
    return [
        ("select_one yes_no_dk", item["name"], item["label"], "")
        for item in cfg["items"]
        if ITEM_GROUP[item["name"]] == group
    ]


def _violence_rows() -> list[SurveyRow]:
    """The violence against women and girls group."""
    return [
        ("begin_group", "group_violence", "Violence against women and girls", "${consent} = 'yes'"),
        ("select_one yes_no_dk", "violence_not_endured", "Violence should not be endured", ""),
        (
            "select_one vawg_attitude",
            "vawg_attitude",
            "Is violence against a wife acceptable in some instance?",
            "",
        ),
        (
            "select_multiple vawg_exposure",
            "vawg_exposure",
            (
                "In the last 20 months, have you experienced, witnessed, committed or heard about"
                " VAWG?"
            ),
            "",
        ),
        ("end_group", "", "", ""),
    ]


def _survey_sheet(cfg: dict) -> pd.DataFrame:
    """The XLSForm survey sheet, groups in questionnaire order."""
    survey = _intro_and_profile_rows()
    survey.append(("begin_group", "group_economy", "Economic situation", "${consent} = 'yes'"))
    survey += _item_rows(cfg, "econ")
    survey += [
        ("integer", "earnings_month", "Own earnings last month (somoni)", ""),
        ("end_group", "", "", ""),
        ("begin_group", "group_wellbeing", "Wellbeing and family", "${consent} = 'yes'"),
    ]
    survey += _item_rows(cfg, "wb")
    survey.append(("end_group", "", "", ""))
    survey += _violence_rows()
    return pd.DataFrame(survey, columns=["type", "name", "label", "relevant"])


def xlsform(cfg: dict) -> dict[str, pd.DataFrame]:
    """The form's XLSForm (survey, choices, settings): the codebook of the Kobo exports."""
    choices_df = pd.DataFrame(CHOICES, columns=["list_name", "name", "label"])
    settings = pd.DataFrame(
        [{"form_title": cfg["xlsform_title"], "form_id": "lwd_women_survey", "version": "2021.1"}]
    )
    return {"survey": _survey_sheet(cfg), "choices": choices_df, "settings": settings}


def _panel(rng, cfg) -> pd.DataFrame:
    n = cfg["baseline"]["n"]
    villages = [(d, v) for d, vs in cfg["villages"].items() for v in vs]
    pick = np.arange(n) % len(villages)
    people = pd.DataFrame(
        {
            "participant_code": [f"LWD-{i + 1:03d}" for i in range(n)],
            "district": [villages[i][0].lower() for i in pick],
            "village": [villages[i][1] for i in pick],
            "age_baseline": rng.integers(18, 66, n),
            "disability": np.zeros(n, dtype=bool),
        }
    )
    people.loc[rng.choice(n, cfg["n_with_disability"], replace=False), "disability"] = True
    people["name"] = fake_names(rng, ["Female"] * n, "tj")
    people["phone"] = fake_phones(rng, n, "+992 9")
    return people


def _kobo_header(
    rng: np.random.Generator, people: pd.DataFrame, wave: str, wcfg: dict
) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """A wave's metadata, intro and profile columns, and the interview start times."""
    n = len(people)
    out = pd.DataFrame()
    stamps = submission_times(rng, n, *wcfg["fieldwork"])
    out["start"] = stamps.strftime("%Y-%m-%dT%H:%M:%S.000+05:00")
    out["end"] = (stamps + pd.to_timedelta(rng.integers(1500, 3600, n), unit="s")).strftime(
        "%Y-%m-%dT%H:%M:%S.000+05:00"
    )
    out["today"] = stamps.strftime("%Y-%m-%d")
    out[_col("intro", "enumerator")] = [f"tj_enum_{int(x)}" for x in rng.integers(1, 7, n)]
    out[_col("intro", "consent")] = "yes"
    out[_col("profile", "participant_code")] = people["participant_code"].to_numpy()
    out[_col("profile", "participant_name")] = people["name"].to_numpy()
    out[_col("profile", "phone")] = people["phone"].to_numpy()
    out[_col("profile", "district")] = people["district"].to_numpy()
    out[_col("profile", "village")] = people["village"].to_numpy()
    age = people["age_baseline"].to_numpy() + (2 if wave == "endline" else 0)
    out[_col("profile", "age")] = age
    out[_col("profile", "disability")] = np.where(people["disability"], "yes", "no")
    return out, stamps


def _item_binary(
    rng: np.random.Generator,
    item: dict,
    count: GroupCount,
    people: pd.DataFrame,
    wave: str,
    hint: np.ndarray | None,
    persistence: float,
) -> np.ndarray:
    """1/0/NaN answers to one item; at endline an item with `endline_disability_pct` gives that
    percent of the women with a disability a positive answer (all of them answer)."""
    n = len(people)
    if wave == "endline" and "endline_disability_pct" in item:
        dis = people["disability"].to_numpy()
        k_dis = int(round(item["endline_disability_pct"] / 100 * dis.sum()))
        binary = np.full(n, np.nan)
        binary[dis] = assign_binary(rng, int(dis.sum()), int(dis.sum()), k_dis)
        binary[~dis] = assign_binary(
            rng,
            int((~dis).sum()),
            count.n - int(dis.sum()),
            count.k - k_dis,
            None if hint is None else hint[~dis],
            persistence,
        )
    else:
        binary = assign_binary(rng, n, count.n, count.k, hint, persistence)
    return binary


def _add_item_columns(
    rng: np.random.Generator,
    out: pd.DataFrame,
    people: pd.DataFrame,
    wave: str,
    cfg: dict,
    solutions: dict[str, Solution],
    truth_baseline: dict[str, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Write each item solved for `wave` as yes/no/dk into `out` (in place); return the 1/0/NaN
    truth per item."""
    truth = {}
    for item in cfg["items"]:
        sol = solutions[item["name"]]
        if wave not in sol.counts:
            continue
        count = sol.counts[wave]["Female"]
        hint = truth_baseline.get(item["name"]) if truth_baseline else None
        binary = _item_binary(rng, item, count, people, wave, hint, cfg["panel_persistence"])
        truth[item["name"]] = binary
        out[_col(ITEM_GROUP[item["name"]], item["name"])] = np.where(
            np.isnan(binary), "dk", np.where(binary == 1, "yes", "no")
        )
    return truth


def _add_vawg_columns(rng: np.random.Generator, out: pd.DataFrame, cfg: dict, wave: str) -> None:
    """Write the VAWG attitude (shares as configured, in percent) and the select_multiple
    exposure question with its one-hot columns into `out` (in place)."""
    n = len(out)
    att = cfg["vawg_attitude"]
    counts = _counts_from_pcts(att[wave], n)
    out[_col("vio", "vawg_attitude")] = rng.permutation(np.repeat(att["choices"], counts))
    exp = cfg["vawg_exposure"]
    k_any = int(round(exp["any"][wave] / 100 * n))
    exposed = rng.permutation(np.arange(n) < k_any)
    chosen = rng.random((n, len(exp["choices"]))) < np.array(exp["choice_share_among_exposed"])
    none_chosen = ~chosen.any(axis=1)
    chosen[none_chosen, rng.integers(0, len(exp["choices"]), none_chosen.sum())] = True
    chosen &= exposed[:, None]
    multi = [" ".join(c for c, on in zip(exp["choices"], row) if on) or "none" for row in chosen]
    out[_col("vio", "vawg_exposure")] = multi
    for j, c in enumerate(exp["choices"] + ["none"]):
        out[_col("vio", f"vawg_exposure/{c}")] = (chosen[:, j] if c != "none" else ~exposed).astype(
            int
        )


def _wave_frame(
    rng, people: pd.DataFrame, wave: str, cfg: dict, solutions, truth_baseline=None
) -> tuple[pd.DataFrame, dict]:
    """One wave's Kobo export rows (one per person, before any mess) and the item truth."""
    n = len(people)
    out, stamps = _kobo_header(rng, people, wave, cfg[wave])
    truth = _add_item_columns(rng, out, people, wave, cfg, solutions, truth_baseline)
    med = cfg["earnings_median"][wave]
    out[_col("econ", "earnings_month")] = np.round(med * np.exp(rng.normal(0, 0.45, n)) / 10) * 10
    _add_vawg_columns(rng, out, cfg, wave)
    out["_uuid"] = fake_uuids(rng, n)
    out["_submission_time"] = (
        stamps + pd.to_timedelta(rng.integers(3600, 5 * 86400, n), unit="s")
    ).strftime("%Y-%m-%dT%H:%M:%S")
    return out, truth


def _finish_kobo(rng, frame: pd.DataFrame, mess: dict, fieldwork) -> pd.DataFrame:
    def _extra(rng):
        st = submission_times(rng, 1, *fieldwork)
        return {
            "_uuid": fake_uuids(rng, 1)[0],
            "_submission_time": st.strftime("%Y-%m-%dT%H:%M:%S")[0],
        }

    extra_rows = {
        "test_submissions": lambda r: {
            **_extra(r),
            _col("intro", "enumerator"): "test",
            _col("profile", "participant_code"): "TEST-000",
        },
        "no_consent": _extra,
        "under_18": _extra,
    }
    item_cols = [
        c
        for c in frame.columns
        if c.startswith(("group_economy/", "group_wellbeing/", "group_violence/", "group_profile/"))
        and not c.endswith(("participant_code", "district", "village"))
    ]
    frame = add_mess(
        rng,
        frame,
        mess,
        item_cols,
        _col("intro", "consent"),
        _col("profile", "age"),
        extra_rows,
        text_col=_col("profile", "village"),
        age_missing_code=AGE_DK,
        consent_no="no",
    )
    frame = order_by_submission(frame, "_submission_time")
    frame["_id"] = np.arange(len(frame)) + 31000
    frame["_index"] = np.arange(1, len(frame) + 1)
    frame["_status"] = "submitted_via_web"
    # Kobo writes blanks for skipped questions and integers without decimals
    frame = frame.astype(object)
    for col in frame.columns:
        num = pd.to_numeric(frame[col], errors="coerce")
        if (
            num.notna().sum()
            and num.notna().eq(frame[col].notna()).all()
            and (num.dropna() % 1 == 0).all()
        ):
            frame[col] = num.astype("Int64").astype(object)
    return frame.where(frame.notna(), "")


def _register_entries(rng: np.random.Generator, f3: dict) -> pd.DataFrame:
    """One row per Figure 3 participant (location, group, collection type, sex, age), in random
    order, with a fake name and an interview date."""
    rows = []
    for loc in ("Jomi", "Vakhsh"):
        for ctype in ("In-depth interviews", "FGDs"):
            for gi, count in enumerate(f3[loc][ctype]):
                lo, hi = f3["group_ages"][gi]
                for _ in range(count):
                    rows.append(
                        {
                            "Location": loc,
                            "Respondent group": f3["groups"][gi],
                            "Collection type": "IDI" if ctype == "In-depth interviews" else "FGD",
                            "Sex": "F" if f3["group_sex"][gi] == "Female" else "M",
                            "Age": int(rng.integers(lo, hi + 1)),
                        }
                    )
    reg = pd.DataFrame(rows).iloc[rng.permutation(len(rows))].reset_index(drop=True)
    reg["Full name"] = fake_names(rng, ["Female" if s == "F" else "Male" for s in reg["Sex"]], "tj")
    reg["Date"] = submission_times(rng, len(reg), "2023-04-10", "2023-05-26").strftime("%d/%m/%Y")
    return reg


def _register(rng, cfg: dict) -> pd.DataFrame:
    """The qualitative participant register (Figure 3) with its typing variants, test entries and
    duplicates."""
    f3 = cfg["figure3"]
    reg = _register_entries(rng, f3)
    mess = f3["mess"]
    n = len(reg)
    idx = rng.choice(n, mess["location_spelling_variants"], replace=False)
    reg.loc[idx, "Location"] = [
        TEXT_VARIANTS[i % len(TEXT_VARIANTS)](v) for i, v in enumerate(reg.loc[idx, "Location"])
    ]
    idx = rng.choice(n, mess["collection_type_variants"], replace=False)
    spelled = {"FGD": ["fgd", "Focus group", "FGD "], "IDI": ["idi", "In-depth interview", " IDI"]}
    reg.loc[idx, "Collection type"] = [
        spelled[v][i % 3] for i, v in enumerate(reg.loc[idx, "Collection type"])
    ]
    reg.insert(0, "No.", np.arange(1, n + 1))
    extras = [
        {
            "No.": n + 1 + i,
            "Location": "test",
            "Respondent group": "Men (20–50)",
            "Collection type": "FGD",
            "Sex": "M",
            "Age": 30,
            "Full name": "TEST ENTRY",
            "Date": "01/04/2023",
        }
        for i in range(mess["test_entries"])
    ]
    dups = reg.iloc[rng.choice(n, mess["duplicate_entries"], replace=False)]
    reg = pd.concat([reg, pd.DataFrame(extras), dups], ignore_index=True)
    return reg[
        [
            "No.",
            "Date",
            "Full name",
            "Sex",
            "Age",
            "Location",
            "Respondent group",
            "Collection type",
        ]
    ]


def build(cfg: dict, max_nr: int, rng: np.random.Generator, out_dir: Path) -> list[str]:
    """Write data/raw/tajikistan/* and return the reconstruction report lines."""
    people = _panel(rng, cfg)
    n_end = cfg["baseline"]["n"] - cfg["endline"]["lost_to_follow_up"]
    retained = np.sort(
        rng.permutation(np.flatnonzero(~people["disability"]))[: n_end - cfg["n_with_disability"]]
    )
    retained = np.sort(np.concatenate([retained, np.flatnonzero(people["disability"])]))
    totals = {"baseline": {"Female": cfg["baseline"]["n"]}, "endline": {"Female": n_end}}
    solutions, report = solve_items(cfg["items"], totals, max_nr)

    base, truth = _wave_frame(rng, people, "baseline", cfg, solutions)
    hints = {k: v[retained] for k, v in truth.items()}
    end, _ = _wave_frame(
        rng, people.iloc[retained].reset_index(drop=True), "endline", cfg, solutions, hints
    )
    base = _finish_kobo(rng, base, cfg["baseline"]["mess"], cfg["baseline"]["fieldwork"])
    end = _finish_kobo(rng, end, cfg["endline"]["mess"], cfg["endline"]["fieldwork"])
    write_csv(base, out_dir / "lwd_baseline_kobo.csv", sep=";", quote_all=True)
    write_xlsx({"LWD women survey": end}, out_dir / "lwd_endline_kobo.xlsx")
    write_xlsx(xlsform(cfg), out_dir / "lwd_women_survey_xlsform.xlsx")
    write_csv(_register(rng, cfg), out_dir / "qualitative_register.csv")
    return report
