"""Bad-input corpus, ingest and cleaning: raw files and codebooks that parse but would mislead.

Each case breaks a copy of the repository and runs `python -m analysis clean` for one dataset (the
job the workflow runs first); see test_bad_inputs.py for the contract (exit status, one
message naming the place and the fix, no partial output). Cases with `exit_code=0` must work, and
their `check` asserts what the outputs hold: the row that was excluded and why, the flag in the
cleaning log, the value that stayed as it was.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from tests.conftest import copy_project

from . import test_bad_inputs as bad

RW_CFG = "config/countries/rwanda.yaml"
TJ_CFG = "config/countries/tajikistan.yaml"
EX_CFG = "config/countries/example_country.yaml"
INDICATORS = "config/indicators.yaml"
DTA_END = "data/raw/example_country/example_endline_surveycto.dta"
SAV_END = bad.SAV


def clean(country: str, dataset: str = "respondents") -> list[str]:
    return [
        sys.executable,
        "-m",
        "analysis",
        "clean",
        "--country",
        country,
        "--dataset",
        dataset,
        "--out-dir",
        f"data/processed/{country}",
    ]


def target(country: str, dataset: str = "respondents") -> str:
    return f"data/processed/{country}/{dataset}.parquet"


def output(root: Path, country: str, dataset: str, kind: str) -> pd.DataFrame:
    """One of the cleaning's CSV logs (exclusions, cleaning_log, row_accounting) as text."""
    return pd.read_csv(
        root / f"data/processed/{country}/logs/{dataset}.{kind}.csv",
        dtype=str,
        keep_default_na=False,
    )


def data(root: Path, country: str, dataset: str = "respondents") -> pd.DataFrame:
    return pd.read_parquet(root / target(country, dataset))


# --- mutation helpers -----------------------------------------------------------------------------
def edit_sheet(rel, change):
    """Change the first sheet of an .xlsx with openpyxl (formulas, empty rows and headers as
    written)."""

    def run(root):
        book = openpyxl.load_workbook(root / rel)
        change(book.active)
        book.save(root / rel)

    return run


def header_column(sheet, name) -> int:
    return next(cell.column for cell in sheet[1] if cell.value == name)


def edit_dta(rel, change):
    def run(root):
        frame, meta = pyreadstat.read_dta(str(root / rel))
        frame = change(frame)
        pyreadstat.write_dta(
            frame,
            str(root / rel),
            column_labels=meta.column_labels,
            variable_value_labels=meta.variable_value_labels,
        )

    return run


def edit_lines(rel, change):
    def run(root):
        lines = (root / rel).read_text(encoding="utf-8").split("\n")
        (root / rel).write_text("\n".join(change(lines)), encoding="utf-8")

    return run


both, respondents = bad.both, bad.respondents


def indicator(doc, ind_id):
    return next(i for i in doc["indicators"] if i["id"] == ind_id)


# --- mutations and checks -------------------------------------------------------------------------
def _check_nothing_flagged(root, proc):
    log = output(root, "rwanda", "respondents", "cleaning_log")
    assert len(log) and not (log["rule"] == "age above 150").any()


def _blank_consent(frame):
    frame.loc[6, "group_intro/consent"] = ""  # LWD-016, data row 7
    return frame


def _check_blank_consent_excluded(root, proc):
    excl = output(root, "tajikistan", "respondents", "exclusions")
    row = excl[(excl["source_file"] == bad.KOBO_CSV) & (excl["source_row"] == "7")]
    assert row[["rule", "record_id"]].values.tolist() == [["no_consent", "LWD-016"]], excl
    kept = data(root, "tajikistan")
    assert not ((kept["source_file"] == bad.KOBO_CSV) & (kept["source_row"] == 7)).any()


def _empty_sheet_row(sheet):
    sheet.insert_rows(6)  # sheet row 6 = data row 5 becomes empty; later rows move down one


def _check_empty_sheet_row(root, proc):
    excl = output(root, "tajikistan", "respondents", "exclusions")
    blank = excl[excl["rule"] == "blank_row"]
    assert blank[["source_file", "source_row", "reason"]].values.tolist() == [
        [bad.KOBO_XLSX, "5", "blank row"]
    ]
    acc = output(root, "tajikistan", "respondents", "row_accounting").set_index("source_file")
    assert acc.loc[bad.KOBO_XLSX, ["raw_rows", "kept", "excluded"]].tolist() == ["119", "114", "5"]
    # the row after the empty one keeps its true number: data row 6 = sheet row 7
    sheet = openpyxl.load_workbook(root / bad.KOBO_XLSX).active
    code = sheet.cell(7, header_column(sheet, "group_profile/participant_code")).value
    kept = data(root, "tajikistan")
    endline = kept[kept["source_file"] == bad.KOBO_XLSX]
    assert endline.loc[endline["respondent_id"] == code.upper(), "source_row"].tolist() == [6]


def _check_csv_blank_line(root, proc):
    excl = output(root, "tajikistan", "participants", "exclusions")
    assert excl.loc[excl["rule"] == "blank_row", "source_row"].tolist() == ["10"]
    kept = data(root, "tajikistan", "participants")
    # "No." 10 was on data row 10; after the blank line it is on data row 11, and says so
    assert kept.loc[kept["participant_no"] == "10", "source_row"].tolist() == [11]
    assert kept.loc[kept["participant_no"] == "9", "source_row"].tolist() == [9]


def _none_location(doc):
    doc["datasets"]["participants"]["variables"]["location"]["values"].update(
        {"None": "None", "NA": "NA"}
    )


def _check_none_stays(root, proc):
    kept = data(root, "tajikistan", "participants").set_index("participant_no")
    assert kept.loc["4", "location"] == "None" and kept.loc["5", "location"] == "NA"
    assert kept["location"].notna().all()


def _duplicate_sex(frame):
    frame.insert(4, "Sex ", frame["Age"])  # "Sex " and "Sex" are the same name to a person
    return frame.rename(columns={"Sex ": "Sex"})


def _duplicate_xlsx_header(sheet):
    sheet.cell(1, sheet.max_column + 1, "group_profile/age")
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, sheet.max_column, "99")


def _uncached_formula(sheet):
    sheet.cell(9, header_column(sheet, "group_profile/age"), "=20+5")


def _group_clash(frame):
    frame["group_violence/hunger_weekly"] = frame["group_economy/hunger_weekly"]
    return frame


def _positive(ind_id, values, key="positive"):
    def change(doc):
        indicator(doc, ind_id)["countries"][next(iter(indicator(doc, ind_id)["countries"]))][
            key
        ] = values

    return change


def _only_one_band(doc):
    respondents(doc)["derive"]["age_band"]["bands"] = [{"label": "18–34", "min": 18, "max": 34}]


def _unused_band(doc):
    respondents(doc)["derive"]["age_band_decade"] = {
        "from": "age",
        "bands": [{"label": "20s", "min": 20, "max": 29}],
    }


def _check_unused_band_logged(root, proc):
    log = output(root, "example_country", "respondents", "cleaning_log")
    flagged = log[log["variable"] == "age_band_decade"]
    assert len(flagged) > 100 and set(flagged["severity"]) == {"warning"}
    assert set(flagged["rule"]) == {"value of 'age' outside every band of 'age_band_decade' -> NA"}
    assert "25" not in set(flagged["raw_value"]) and "45" in set(flagged["raw_value"])


def _weight(value):
    return lambda doc: respondents(doc)["derive"].update(weight={"constant": value})


def _note_in_other_answer(frame):
    """Respondent of row 6 types her own name and phone number into the 'other (specify)' answer."""
    frame.loc[5, "social_group_other"] = (
        f"I am {frame.loc[5, 'resp_name']}, call me on {frame.loc[5, 'resp_phone']} "
        "or write to umutoni.m@example.org"
    )
    return frame


def _other_answer_raw(root):
    frame, _ = pyreadstat.read_sav(str(root / SAV_END))
    return frame.loc[5, "resp_name"], frame.loc[5, "resp_phone"]


def _outputs_text(root, country):
    folder = root / f"data/processed/{country}"
    text = "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.csv"))
    return text + data(root, country).astype(str).to_csv()


def _check_other_answer_withheld(root, proc):
    kept = data(root, "rwanda")
    assert "social_group_other" not in kept.columns and "village" not in kept.columns
    assert "cluster" in kept.columns and "respondent_id" in kept.columns  # design key and id stay
    log = output(root, "rwanda", "respondents", "cleaning_log")
    assert not log["variable"].isin(["social_group_other", "village", "enumerator"]).any()
    name, phone = _other_answer_raw(root)
    text = _outputs_text(root, "rwanda").lower()
    assert name.lower() not in text and phone[-9:] not in text and "example.org" not in text


def _publish_other(doc):
    respondents(doc)["variables"]["social_group_other"]["publish"] = True


def _check_other_answer_redacted(root, proc):
    name, phone = _other_answer_raw(root)
    text = _outputs_text(root, "rwanda").lower()
    assert name.lower() not in text and phone[-9:] not in text and "example.org" not in text
    kept = data(root, "rwanda")
    note = kept.loc[
        (kept["wave"] == "endline") & (kept["source_row"] == 6), "social_group_other"
    ].iloc[0]
    assert (
        note
        == "i am [redacted identifier], call me on [redacted phone] or write to [redacted e-mail]"
    )
    log = output(root, "rwanda", "respondents", "cleaning_log")
    row = log[
        (log["variable"] == "social_group_other")
        & log["rule"].str.startswith("personal data redacted")
    ]
    assert row[["source_row", "raw_value"]].values.tolist() == [["6", "[withheld free text]"]]
    assert "1 identifier" in row["rule"].iloc[0] and "1 phone number" in row["rule"].iloc[0]
    assert "1 e-mail address" in row["rule"].iloc[0]
    # the other answers are still there, published
    assert kept["social_group_other"].notna().sum() > 5


def _table_on_village(doc):
    doc["tables"]["figure2_social_group_by_sex"]["rows"] = {"variable": "village"}


def _sex_changed_at_endline(frame):
    frame.loc[2, "gender"] = 1.0 - frame.loc[2, "gender"]
    return frame


def _check_sex_flag(root, proc):
    log = output(root, "example_country", "respondents", "cleaning_log")
    flag = log[log["rule"].str.contains("sex differs", regex=False)]
    assert flag[["source_file", "source_row", "severity", "variable"]].values.tolist() == [
        [DTA_END, "3", "warning", "sex"]
    ]
    # the pair compared is the respondent's previous interview: the midline one
    assert flag["raw_value"].iloc[0] in (
        "Male (midline) | Female (endline)",
        "Female (midline) | Male (endline)",
    )
    acc = output(root, "example_country", "respondents", "row_accounting")
    assert acc["kept"].tolist() == ["603", "579", "561"]  # flagged, not excluded


def _older_by_twenty(sheet):
    col = header_column(sheet, "group_profile/age")
    sheet.cell(4, col, str(int(sheet.cell(4, col).value) + 20))


def _check_age_flag(root, proc):
    log = output(root, "tajikistan", "respondents", "cleaning_log")
    flag = log[
        log["rule"].str.contains(
            "age changes by more than 2 years from the expected 2 (the median change)", regex=False
        )
    ]
    assert flag[["source_file", "source_row", "variable", "severity"]].values.tolist() == [
        [bad.KOBO_XLSX, "3", "age", "warning"]
    ]


def _future_date(frame):
    frame.loc[6, "Date"] = "01/05/2099"
    return frame


def _check_future_date(root, proc):
    log = output(root, "tajikistan", "participants", "cleaning_log")
    flag = log[log["rule"] == "date in the future (after the day of the run); kept, check it"]
    assert flag[["source_row", "variable", "raw_value", "severity"]].values.tolist() == [
        ["7", "date", "2099-05-01", "warning"]
    ]


def _fieldwork_end(value):
    return lambda doc: doc["datasets"]["participants"]["sources"][0].update(fieldwork_end=value)


def _check_after_fieldwork(root, proc):
    log = output(root, "tajikistan", "participants", "cleaning_log")
    flag = log[log["rule"] == "date after the end of fieldwork (2023-05-20); kept, check it"]
    assert (
        len(flag) > 3
        and (flag["raw_value"] > "2023-05-20").all()
        and set(flag["variable"]) == {"date"}
    )


CASES = [
    bad.Case(
        "check_flags_nothing",
        "a consistency check that no row breaks (crashed: 1-dimensional arrays)",
        bad.edit_yaml(
            RW_CFG,
            lambda d: respondents(d)["checks"].append(
                {"warning": "age above 150", "when": {"variable": "age", "greater_than": 150}}
            ),
        ),
        target("rwanda"),
        [],
        command=clean("rwanda"),
        exit_code=0,
        check=_check_nothing_flagged,
    ),
    bad.Case(
        "consent_blank",
        "an interview with no recorded consent (was kept by `not_equals: Yes`)",
        bad.edit_csv(bad.KOBO_CSV, _blank_consent, sep=";"),
        target("tajikistan"),
        [],
        command=clean("tajikistan"),
        exit_code=0,
        check=_check_blank_consent_excluded,
    ),
    bad.Case(
        "xlsx_empty_row",
        "an empty row inside the Kobo .xlsx export (came through as a respondent)",
        edit_sheet(bad.KOBO_XLSX, _empty_sheet_row),
        target("tajikistan"),
        [],
        command=clean("tajikistan"),
        exit_code=0,
        check=_check_empty_sheet_row,
    ),
    bad.Case(
        "csv_blank_line",
        "a blank line in the register CSV (shifted every later source_row by one)",
        edit_lines(bad.REGISTER, lambda lines: lines[:10] + [""] + lines[10:]),
        target("tajikistan", "participants"),
        [],
        command=clean("tajikistan", "participants"),
        exit_code=0,
        check=_check_csv_blank_line,
    ),
    bad.Case(
        "csv_only_blank_lines",
        "a register CSV with a header and blank lines only",
        bad.overwrite(
            bad.REGISTER,
            b"No.,Date,Full name,Sex,Age,Location,Respondent group,Collection type\n\n\n",
        ),
        target("tajikistan", "participants"),
        ["no data rows (only blank rows)", bad.REGISTER, "re-export"],
        command=clean("tajikistan", "participants"),
    ),
    bad.Case(
        "category_named_none",
        'categories called "None" and "NA" (None became nan)',
        both(
            bad.edit_yaml(TJ_CFG, _none_location),
            bad.edit_csv(bad.REGISTER, bad.set_row("Location", 3, "None")),
            bad.edit_csv(bad.REGISTER, bad.set_row("Location", 4, "NA")),
        ),
        target("tajikistan", "participants"),
        [],
        command=clean("tajikistan", "participants"),
        exit_code=0,
        check=_check_none_stays,
    ),
    bad.Case(
        "duplicate_header_csv",
        "the register has two columns headed Sex (the second was read as Sex.1)",
        bad.edit_csv(bad.REGISTER, _duplicate_sex),
        target("tajikistan", "participants"),
        ["names column 'Sex' 2 times", "columns 4, 5", bad.REGISTER, "column 'Sex'", "unique name"],
        command=clean("tajikistan", "participants"),
    ),
    bad.Case(
        "duplicate_header_xlsx",
        "the Kobo .xlsx has a second column headed group_profile/age",
        edit_sheet(bad.KOBO_XLSX, _duplicate_xlsx_header),
        target("tajikistan"),
        ["names column 'group_profile/age' 2 times", bad.KOBO_XLSX, "unique name"],
        command=clean("tajikistan"),
    ),
    bad.Case(
        "xlsform_group_name_clash",
        "two Kobo columns that are one question once group names are removed",
        bad.edit_csv(bad.KOBO_CSV, _group_clash, sep=";"),
        target("tajikistan"),
        [
            "'group_economy/hunger_weekly', 'group_violence/hunger_weekly'",
            "all become 'hunger_weekly'",
            bad.KOBO_CSV,
            "unique names",
        ],
        command=clean("tajikistan"),
    ),
    bad.Case(
        "xlsx_formula_uncached",
        "an age typed as the formula =20+5, saved without its value (read as NA)",
        edit_sheet(bad.KOBO_XLSX, _uncached_formula),
        target("tajikistan"),
        [
            "formula cell(s) have no cached value",
            "cell",
            bad.KOBO_XLSX,
            "column 'group_profile/age'",
            "row 8",
            "LibreOffice",
            "CSV",
        ],
        command=clean("tajikistan"),
    ),
    bad.Case(
        "indicator_positive_code_not_label",
        "`positive: [1]` where the labels are Yes/No (gave 0%)",
        bad.edit_yaml(INDICATORS, _positive("positive_interaction", [1])),
        target("rwanda"),
        [
            "indicator 'positive_interaction' lists 1 under `positive:`",
            "'q_positive_interaction' never takes",
            "'Yes'",
            INDICATORS,
            "key 'positive_interaction'",
        ],
        command=clean("rwanda"),
    ),
    bad.Case(
        "indicator_positive_wrong_case",
        "`Strongly Agree` where the label is `Strongly agree` (a wrong share)",
        bad.edit_yaml(INDICATORS, _positive("intergroup_marriage_ok", ["Agree", "Strongly Agree"])),
        target("rwanda"),
        ["'Strongly Agree' under `positive:`", "did you mean 'Strongly agree'?", INDICATORS],
        command=clean("rwanda"),
    ),
    bad.Case(
        "indicator_any_of_unknown_choice",
        "`any_of` names a choice the form does not have",
        bad.edit_yaml(
            INDICATORS, _positive("vawg_exposure_any", ["experienced", "witness"], key="any_of")
        ),
        target("tajikistan"),
        ["'witness' under `any_of:`", "did you mean 'witnessed'?"],
        command=clean("tajikistan"),
    ),
    bad.Case(
        "indicator_missing_unknown_label",
        "an indicator's `missing:` names a label the variable lacks",
        bad.edit_yaml(INDICATORS, _positive("positive_interaction", ["Dont know"], key="missing")),
        target("rwanda"),
        ["'Dont know' under `missing:`", "'q_positive_interaction'"],
        command=clean("rwanda"),
    ),
    bad.Case(
        "exclusion_value_yaml_boolean",
        "`not_equals: Yes` unquoted: YAML reads true (excluded every interview)",
        bad.edit_text(RW_CFG, 'not_equals: "Yes"', "not_equals: Yes"),
        target("rwanda"),
        [
            "exclusion rule 'no_consent' compares 'consent' with True",
            RW_CFG,
            "key 'consent'",
            'put the label in quotes (e.g. "Yes")',
        ],
        command=clean("rwanda"),
    ),
    bad.Case(
        "check_value_hyphen_for_dash",
        "a check lists age band 31-35 (hyphen) where the band is 31–35 (en dash)",
        bad.edit_text(
            RW_CFG, '{variable: age_band, in: ["31–35"', '{variable: age_band, in: ["31-35"'
        ),
        target("rwanda"),
        ["compares 'age_band' with '31-35'", "did you mean '31–35'?", RW_CFG],
        command=clean("rwanda"),
    ),
    bad.Case(
        "bands_only_one",
        "age bands with a single band 18–34 (an estimate by age band read 100%)",
        bad.edit_yaml(EX_CFG, _only_one_band),
        target("example_country"),
        [
            "derived variable 'age_band' leaves",
            "outside every band",
            "'age' = 35",
            "key 'age_band'",
            EX_CFG,
            "derive.age_band.bands",
            "`estimate_groups`",
        ],
        command=clean("example_country"),
    ),
    bad.Case(
        "bands_unused_gap",
        "a derived band variable nothing uses leaves ages uncovered: warnings, not an error",
        bad.edit_yaml(EX_CFG, _unused_band),
        target("example_country"),
        [],
        command=clean("example_country"),
        exit_code=0,
        check=_check_unused_band_logged,
    ),
    bad.Case(
        "weight_infinite",
        "a survey weight of .inf (passed the `> 0` test)",
        bad.edit_yaml(EX_CFG, _weight(float("inf"))),
        target("example_country"),
        [
            "design weight 'weight' is missing or invalid for 1743",
            "positive weight (a finite number above 0)",
        ],
        command=clean("example_country"),
    ),
    bad.Case(
        "weight_nan_text",
        'a survey weight given as the text "NaN"',
        bad.edit_yaml(EX_CFG, _weight("NaN")),
        target("example_country"),
        ["design weight 'weight' is missing or invalid", "positive weight"],
        command=clean("example_country"),
    ),
    bad.Case(
        "free_text_withheld",
        "a respondent's name, phone and e-mail typed into an 'other (specify)' answer",
        bad.edit_sav(SAV_END, _note_in_other_answer),
        target("rwanda"),
        [],
        command=clean("rwanda"),
        exit_code=0,
        check=_check_other_answer_withheld,
    ),
    bad.Case(
        "free_text_published_redacted",
        "the same note with `publish: true` on the 'other' answer",
        both(bad.edit_sav(SAV_END, _note_in_other_answer), bad.edit_yaml(RW_CFG, _publish_other)),
        target("rwanda"),
        [],
        command=clean("rwanda"),
        exit_code=0,
        check=_check_other_answer_redacted,
    ),
    bad.Case(
        "table_on_withheld_text",
        "a table by `village`, free text that is not published",
        bad.edit_yaml(RW_CFG, _table_on_village),
        target("rwanda"),
        [
            "table 'figure2_social_group_by_sex' uses 'village'",
            "free-text",
            RW_CFG,
            "publish: true",
        ],
        command=clean("rwanda"),
    ),
    bad.Case(
        "panel_sex_differs",
        "a panel id whose endline interview records the other sex",
        edit_dta(DTA_END, _sex_changed_at_endline),
        target("example_country"),
        [],
        command=clean("example_country"),
        exit_code=0,
        check=_check_sex_flag,
    ),
    bad.Case(
        "panel_age_jumps",
        "a panel id twenty years older at endline than the two years between the waves",
        edit_sheet(bad.KOBO_XLSX, _older_by_twenty),
        target("tajikistan"),
        [],
        command=clean("tajikistan"),
        exit_code=0,
        check=_check_age_flag,
    ),
    bad.Case(
        "date_in_the_future",
        "a register interview dated 2099",
        bad.edit_csv(bad.REGISTER, _future_date),
        target("tajikistan", "participants"),
        [],
        command=clean("tajikistan", "participants"),
        exit_code=0,
        check=_check_future_date,
    ),
    bad.Case(
        "date_after_fieldwork",
        "register dates after a configured `fieldwork_end`",
        bad.edit_yaml(TJ_CFG, _fieldwork_end("2023-05-20")),
        target("tajikistan", "participants"),
        [],
        command=clean("tajikistan", "participants"),
        exit_code=0,
        check=_check_after_fieldwork,
    ),
    bad.Case(
        "fieldwork_end_not_a_date",
        "`fieldwork_end` written day first",
        bad.edit_yaml(TJ_CFG, _fieldwork_end("20/05/2023")),
        target("tajikistan", "participants"),
        ["fieldwork_end", TJ_CFG, "2023-06-30"],
        command=clean("tajikistan", "participants"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    root = copy_project(tmp_path)
    bad.check_outcome(case, root, bad.run_case(case, root))
