"""Bad-input corpus: each case breaks a copy of the repository and runs the real entry point
(`python -m analysis run`, what `make report` runs: Snakemake, exit 2 for bad input, 3 for a bug).

Every case must: exit with its status (2 unless it expects success); print one clear message (ERROR:
... where: ... fix: ...) naming the file and, where it applies, the column or key and the row; leave
no partial output for the failed job and no temporary files; and show no Python traceback (unless
PEACE_DEBUG=1, checked once). `python -m tests.bad_inputs.test_bad_inputs` prints the corpus as a
table: case, the message the user sees.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from tests.conftest import copy_project

BIN = str(Path(sys.executable).parent)
SAV = "data/raw/rwanda/rwanda_endline_2023_ona.sav"
KOBO_CSV = "data/raw/tajikistan/lwd_baseline_kobo.csv"
KOBO_XLSX = "data/raw/tajikistan/lwd_endline_kobo.xlsx"
XLSFORM = "data/raw/tajikistan/lwd_women_survey_xlsform.xlsx"
REGISTER = "data/raw/tajikistan/qualitative_register.csv"
DTA = "data/raw/example_country/example_baseline_surveycto.dta"
RW = "data/processed/rwanda/respondents.parquet"
TJ = "data/processed/tajikistan/respondents.parquet"
TJ_REG = "data/processed/tajikistan/participants.parquet"
EX = "data/processed/example_country/respondents.parquet"


@dataclass
class Case:
    name: str
    description: str
    mutate: Callable[[Path], None]
    target: str
    expect: list[str]  # substrings the message must contain (file, column/key, row, fix)
    command: list[str] = field(default_factory=list)  # default: snakemake <target>
    # cases that must *work* (exit 0) give exit_code=0 and a `check(root, proc)` that asserts the
    # result
    exit_code: int = 2
    check: Callable[[Path, subprocess.CompletedProcess], None] | None = None


# --- mutation helpers -----------------------------------------------------------------------------
def truncate(rel, keep):
    return lambda root: (root / rel).write_bytes((root / rel).read_bytes()[:keep])


def overwrite(rel, payload: bytes):
    return lambda root: (root / rel).write_bytes(payload)


def edit_text(rel, old, new, count=1, encoding="utf-8"):
    def run(root):
        text = (root / rel).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        (root / rel).write_text(text.replace(old, new, count), encoding=encoding)

    return run


def reencode(rel, old, new, encoding):
    """Rewrite a UTF-8 text file in another encoding (characters it cannot hold simplified
    first)."""

    def run(root):
        text = (root / rel).read_text(encoding="utf-8").replace("–", "-").replace(old, new, 1)
        (root / rel).write_bytes(text.encode(encoding))

    return run


def edit_csv(rel, change, sep=","):
    def run(root):
        frame = pd.read_csv(root / rel, sep=sep, dtype=str, keep_default_na=False)
        frame = change(frame)
        frame.to_csv(root / rel, sep=sep, index=False, lineterminator="\n")

    return run


def edit_sav(rel, change):
    def run(root):
        frame, meta = pyreadstat.read_sav(str(root / rel), user_missing=True)
        frame = change(frame)
        pyreadstat.write_sav(
            frame,
            str(root / rel),
            column_labels=meta.column_labels,
            variable_value_labels=meta.variable_value_labels,
            missing_ranges=meta.missing_ranges,
        )

    return run


def edit_xlsx(rel, change):
    def run(root):
        frame = pd.read_excel(root / rel, dtype=str, keep_default_na=False)
        change(frame).to_excel(root / rel, index=False)

    return run


def edit_yaml(rel, change):
    def run(root):
        doc = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
        change(doc)
        (root / rel).write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    return run


def set_row(col, row, value):
    def change(frame):
        frame.loc[row, col] = value
        return frame

    return change


def respondents(doc):
    """The respondents dataset of a country config document."""
    return doc["datasets"]["respondents"]


rwanda = respondents


def both(*mutations):
    """One mutation made of several, applied in order."""

    def run(root):
        for mutate in mutations:
            mutate(root)

    return run


def _only_sheet(root):
    survey = pd.read_excel(root / XLSFORM, sheet_name="survey")
    survey.to_excel(root / XLSFORM, sheet_name="survey", index=False)


def _duplicate_participant(frame):
    frame.loc[5, "group_profile/participant_code"] = frame.loc[6, "group_profile/participant_code"]
    return frame


def _rename_panel_ids(frame):
    frame["group_profile/participant_code"] = "X" + frame["group_profile/participant_code"]
    return frame


def _all_dk(frame):
    frame["group_economy/hunger_weekly"] = frame["group_economy/hunger_weekly"].where(
        frame["group_economy/hunger_weekly"] == "", "dk"
    )
    return frame


def _write_processed_then_change_raw(root):
    env = _env(root)
    subprocess.run(
        [f"{BIN}/snakemake", "--cores", "2", "-q"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    with open(root / REGISTER, "a", encoding="utf-8") as handle:
        handle.write("999,01/05/2023,Late Entry,F,30,Jomi,Older women (36+),FGD\n")


CASES = [
    Case(
        "truncated_sav",
        "SPSS file cut short",
        truncate(SAV, 2000),
        RW,
        ["cannot read SPSS", SAV, "fix:"],
    ),
    Case(
        "corrupt_sav",
        "SPSS file overwritten with garbage",
        overwrite(SAV, b"\x00garbage" * 300),
        RW,
        ["cannot read SPSS", SAV],
    ),
    Case("empty_sav", "SPSS file of 0 bytes", overwrite(SAV, b""), RW, ["empty (0 bytes)", SAV]),
    Case(
        "truncated_xlsx",
        "Kobo XLSX export cut short",
        truncate(KOBO_XLSX, 3000),
        TJ,
        ["cannot read Excel", KOBO_XLSX],
    ),
    Case(
        "corrupt_xlsform",
        "XLSForm overwritten with garbage",
        overwrite(XLSFORM, b"not a spreadsheet" * 50),
        TJ,
        ["cannot read XLSForm", XLSFORM],
    ),
    Case(
        "xlsform_without_choices",
        "XLSForm lacks its choices sheet",
        _only_sheet,
        TJ,
        ["cannot read XLSForm", "choices"],
    ),
    Case(
        "truncated_dta", "Stata file cut short", truncate(DTA, 1500), EX, ["cannot read Stata", DTA]
    ),
    Case(
        "empty_csv",
        "register CSV of 0 bytes",
        overwrite(REGISTER, b""),
        TJ_REG,
        ["empty (0 bytes)", REGISTER],
    ),
    Case(
        "header_only_csv",
        "register CSV with a header and no rows",
        overwrite(
            REGISTER, b"No.,Date,Full name,Sex,Age,Location,Respondent group,Collection type\n"
        ),
        TJ_REG,
        ["no data rows", REGISTER],
    ),
    Case(
        "latin1_csv",
        "register saved as latin-1",
        reencode(REGISTER, "Jomi,Younger", "Jomí,Younger", "latin-1"),
        TJ_REG,
        ["not valid utf-8", REGISTER, "encoding", "row"],
    ),
    Case(
        "cp1251_csv",
        "register saved as cp1251 (Cyrillic)",
        reencode(REGISTER, "Jomi,Younger", "Джоми,Younger", "cp1251"),
        TJ_REG,
        ["not valid utf-8", "cp1251"],
    ),
    Case(
        "wrong_separator",
        "Kobo CSV re-saved with commas instead of semicolons",
        lambda r: pd.read_csv(r / KOBO_CSV, sep=";", dtype=str, keep_default_na=False).to_csv(
            r / KOBO_CSV, index=False
        ),
        TJ,
        ["is not in the file", KOBO_CSV, "columns:"],
    ),
    Case(
        "missing_required_column",
        "register without its Sex column",
        edit_csv(REGISTER, lambda f: f.drop(columns="Sex")),
        TJ_REG,
        ["column 'Sex'", REGISTER, "columns:"],
    ),
    Case(
        "unknown_code_csv",
        "register collection type nobody mapped",
        edit_csv(REGISTER, set_row("Collection type", 3, "Group talk")),
        TJ_REG,
        [
            "no mapping in the codebook",
            "Group talk",
            "column 'Collection type'",
            "row 4",
            "values:",
        ],
    ),
    Case(
        "unknown_code_sav",
        "SPSS sex code 7 (no value label)",
        edit_sav(SAV, set_row("sex", 10, 7.0)),
        RW,
        ["no mapping in the codebook", "sex=", "'7'", "row 11", SAV],
    ),
    Case(
        "unknown_choice_xlsx",
        "Kobo consent answered 'maybe'",
        edit_xlsx(KOBO_XLSX, set_row("group_intro/consent", 2, "maybe")),
        TJ,
        ["no mapping", "maybe", "row 3", KOBO_XLSX],
    ),
    Case(
        "unknown_multi_choice",
        "select_multiple with a choice not in the form",
        edit_csv(
            KOBO_CSV, set_row("group_violence/vawg_exposure", 10, "experienced punched"), sep=";"
        ),
        TJ,
        ["no mapping", "punched", "row 11"],
    ),
    Case(
        "age_not_a_number",
        "register age typed as a word",
        edit_csv(REGISTER, set_row("Age", 7, "thirty")),
        TJ_REG,
        ["no mapping", "thirty", "column 'Age'", "row 8"],
    ),
    Case(
        "age_out_of_range",
        "register age 250 (register ages stop the run)",
        edit_csv(REGISTER, set_row("Age", 9, "250")),
        TJ_REG,
        ["250", "column 'Age'", "row 10"],
    ),
    Case(
        "duplicate_respondent",
        "one participant code used for two women in a wave",
        edit_csv(KOBO_CSV, _duplicate_participant, sep=";"),
        TJ,
        ["occur more than once in a wave", "respondent_id", "exclusions:"],
    ),
    Case(
        "panel_ids_do_not_match",
        "endline participant codes carry a new prefix",
        edit_xlsx(KOBO_XLSX, _rename_panel_ids),
        TJ,
        ["panel ids match across waves for only", "panel_key", "fix:"],
    ),
    Case(
        "indicator_no_valid_answers",
        "every endline hunger answer is 'don't know'",
        edit_xlsx(KOBO_XLSX, _all_dk),
        TJ,
        ["hunger_weekly", "no valid answer in wave 'endline'", "waves:"],
    ),
    Case(
        "negative_weight",
        "survey weight 0 for every respondent",
        edit_yaml(
            "config/countries/example_country.yaml",
            lambda d: d["datasets"]["respondents"]["derive"].update(weight={"constant": 0}),
        ),
        EX,
        ["weight", "positive weight"],
    ),
    Case(
        "config_typo",
        "`exclusion:` instead of `exclusions:`",
        edit_yaml(
            "config/countries/rwanda.yaml",
            lambda d: rwanda(d).update(exclusion=rwanda(d).pop("exclusions")),
        ),
        RW,
        ["unknown key 'exclusion'", "did you mean 'exclusions'", "config/countries/rwanda.yaml"],
    ),
    Case(
        "config_unknown_key",
        "unknown top-level option",
        edit_text("config/config.yaml", "alpha: 0.05", "alfa: 0.05"),
        RW,
        ["unknown key 'alfa'", "did you mean 'alpha'"],
    ),
    Case(
        "config_wrong_type",
        "alpha given as text",
        edit_text("config/config.yaml", "alpha: 0.05", "alpha: five percent"),
        RW,
        ["alpha", "config/config.yaml"],
    ),
    Case(
        "config_missing_file",
        "raw file path misspelt in config",
        edit_text(
            "config/countries/rwanda.yaml", "rwanda_endline_2023_ona.sav", "rwanda_endline_2023.sav"
        ),
        RW,
        ["does not exist", "rwanda_endline_2023.sav", "file:"],
    ),
    Case(
        "config_missing_xlsform",
        "XLSForm path misspelt in config",
        edit_text(
            "config/countries/tajikistan.yaml",
            "lwd_women_survey_xlsform.xlsx",
            "lwd_form.xlsx",
            count=2,
        ),
        TJ,
        ["XLSForm named in config does not exist", "lwd_form.xlsx"],
    ),
    Case(
        "config_yaml_syntax",
        "unclosed bracket in config.yaml",
        edit_text(
            "config/config.yaml",
            "countries: [rwanda, tajikistan, example_country]",
            "countries: [rwanda, tajikistan",
        ),
        RW,
        ["YAML syntax error", "config/config.yaml", "row"],
    ),
    Case(
        "config_unknown_country",
        "a listed country without a config file",
        edit_text("config/config.yaml", "example_country]", "example_country, narnia]"),
        RW,
        ["configuration file not found", "narnia.yaml"],
    ),
    Case(
        "config_bad_enum",
        "unknown file format",
        edit_yaml(
            "config/countries/rwanda.yaml", lambda d: rwanda(d)["sources"][0].update(format="sas")
        ),
        RW,
        ["invalid value 'sas'", "spss"],
    ),
    Case(
        "config_panel_without_key",
        "panel design without panel_key",
        edit_yaml(
            "config/countries/tajikistan.yaml",
            lambda d: d["datasets"]["respondents"]["design"].pop("panel_key"),
        ),
        TJ,
        ["panel design needs a panel key", "panel_key"],
    ),
    Case(
        "config_cluster_not_a_variable",
        "cluster names no variable",
        edit_yaml(
            "config/countries/example_country.yaml",
            lambda d: d["datasets"]["respondents"]["design"].update(cluster="psu"),
        ),
        EX,
        ["cluster names 'psu'", "derive"],
    ),
    Case(
        "config_todo_left",
        "a scaffold TODO left in place",
        edit_text(
            "config/countries/example_country.yaml",
            'label: "Example country (fictional)"',
            'label: "TODO: name it"',
        ),
        EX,
        ["still marked TODO", "label", "grep"],
    ),
    Case(
        "indicator_unknown_variable",
        "indicator reads a variable that does not exist",
        edit_text("config/indicators.yaml", "variable: q_use_of_arms", "variable: q_use_of_armz"),
        RW,
        ["support_use_of_arms", "q_use_of_armz", "variables:"],
    ),
    Case(
        "exclusion_unknown_variable",
        "exclusion rule names a misspelt variable",
        edit_text(
            "config/countries/rwanda.yaml",
            "{variable: enumerator, matches",
            "{variable: enumeratr, matches",
        ),
        RW,
        ["unknown variable 'enumeratr'", "config/countries/rwanda.yaml"],
    ),
    Case(
        "table_category_missing",
        "Figure 1 order list lacks an age band",
        edit_text(
            "config/countries/rwanda.yaml",
            '["18–20", "21–25", "26–30", "31–35", "36–50", "51–60", "Above 60"]}',
            '["18–20", "21–25", "26–30", "31–35", "36–50", "51–60"]}',
        ),
        "reports/tables/rwanda/figure1_sex_by_age.csv",
        ["categories not in its `order:`", "Above 60"],
    ),
    Case(
        "claims_unknown_reference",
        "consistency check names a claim that does not exist",
        edit_text(
            "config/claims/peace_of_mind_2023.yaml",
            "total: box3_services_total",
            "total: box3_services_totalz",
        ),
        "reports/audit/claims.csv",
        ["unknown claims", "box3_services_totalz"],
    ),
    Case(
        "raw_changed_after_processing",
        "register edited after `make report`: `make verify` catches it",
        _write_processed_then_change_raw,
        "",
        ["input changed since the run", REGISTER, "make report"],
        command=[sys.executable, "-m", "analysis", "verify"],
    ),
]


def _env(root: Path) -> dict:
    env = {
        **os.environ,
        "PATH": BIN + os.pathsep + os.environ["PATH"],
        "PYTHONPATH": str(root / "src"),
    }
    env.pop("PEACE_DEBUG", None)
    return env


def run_case(case: Case, root: Path, debug: bool = False) -> subprocess.CompletedProcess:
    case.mutate(root)
    env = _env(root)
    if debug:
        env["PEACE_DEBUG"] = "1"
    command = case.command or run_command(case.target)
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)


def run_command(*targets: str) -> list[str]:
    """`python -m analysis run` (what `make report` runs): Snakemake with the project's exit codes
    (2 bad input)."""
    return [sys.executable, "-m", "analysis", "run", "--cores", "1", *[t for t in targets if t]]


def check_outcome(case: Case, root: Path, proc: subprocess.CompletedProcess) -> None:
    """The contract of a bad-input case: exit status, one message naming place and fix, no partial
    output."""
    message = proc.stderr
    assert "Traceback" not in message, message[-3000:]
    assert "INTERNAL ERROR" not in message, message[-3000:]
    if case.exit_code == 0:
        assert proc.returncode == 0, f"{case.name}: exit {proc.returncode}\n{message[-3000:]}"
        for needle in case.expect:
            assert needle in proc.stdout + message, f"{case.name}: {needle!r} not in output"
    else:
        assert proc.returncode != 0, f"{case.name}: the run succeeded"
        assert proc.returncode == case.exit_code, (
            f"{case.name}: exit {proc.returncode}\n{message[-3000:]}"
        )
        assert message.count("ERROR:") == 1, message[-3000:]
        for needle in case.expect:
            assert needle in message, f"{case.name}: {needle!r} not in\n{message[-2500:]}"
        assert "fix:" in message
        if case.target:
            assert not (root / case.target).exists(), "partial output left behind"
    leftovers = (
        [p for d in ("data/processed", "reports") for p in (root / d).rglob("*.tmp")]
        if (root / "reports").exists()
        else []
    )
    assert not leftovers
    if case.check:
        case.check(root, proc)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path):
    root = copy_project(tmp_path)
    check_outcome(case, root, run_case(case, root))


def test_debug_flag_shows_traceback(tmp_path):
    root = copy_project(tmp_path)
    case = next(c for c in CASES if c.name == "unknown_code_csv")
    proc = run_case(case, root, debug=True)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def all_cases() -> list[Case]:
    """Every bad-input case: this module's and those of test_bad_inputs_*.py (each defines
    CASES)."""
    import importlib

    cases = list(CASES)
    for path in sorted(Path(__file__).parent.glob("test_bad_inputs_*.py")):
        cases += importlib.import_module(f"{__package__}.{path.stem}").CASES
    return cases


def test_corpus_is_large_enough():
    cases = all_cases()
    assert len({c.name for c in cases}) == len(cases), "case names must be unique"
    assert len(cases) >= 80


def corpus_table() -> str:
    """Markdown table: case, what was broken, the first lines of the message the user sees."""
    import tempfile

    lines = ["| case | broken input | message the user sees |", "|---|---|---|"]
    for case in all_cases():
        with tempfile.TemporaryDirectory() as tmp:
            proc = run_case(case, copy_project(Path(tmp)))
        msg = [
            text.strip()
            for text in proc.stderr.splitlines()
            if re.match(r"\s*(ERROR:|where:|fix:)", text)
        ][:3]
        lines.append(
            f"| {case.name} | {case.description} | "
            + " <br> ".join(m.replace("|", "\\|") for m in msg)
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(corpus_table())
