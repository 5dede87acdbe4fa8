"""Adding a country by config alone: the scaffold, the guiding validation, and a full onboarding
run."""

import os
import subprocess
import sys

import pytest
import yaml

from analysis.config import load_project
from analysis.errors import InputError
from analysis.ingest.scaffold import draft_country_config
from tests.conftest import ROOT, copy_project

from .test_readers import _two_language_form

DTA = [
    "data/raw/example_country/example_baseline_surveycto.dta",
    "data/raw/example_country/example_midline_surveycto.dta",
    "data/raw/example_country/example_endline_surveycto.dta",
]

# The edits README.md ("Add a country") tells an analyst to make to the drafted file, as (draft
# text, decision).
README_EDITS = [
    ('label: "TODO: display name, e.g. Walkthrough"', 'label: "Walkthrough (fictional)"'),
    (
        (
            'description: "TODO: what the data are, e.g. the <programme> participant survey,'
            ' baseline and endline"'
        ),
        'description: "a fictional household panel"',
    ),
    (
        (
            'type: "TODO: independent (different people each wave) or panel (the same people; set'
            ' panel_key)"'
        ),
        (
            "type: panel\n      panel_key: respondent_id\n      cluster: cluster\n      weight:"
            " weight\n      strata: stratum"
        ),
    ),
    (
        'social_group: {constant: "TODO: a variable to copy, or a constant such as All"}',
        "social_group: {constant: All}",
    ),
    (
        (
            "    exclusions:                  # applied in order; the first rule a row meets is its"
            " reason\n"
        ),
        (
            "    exclusions:\n      - {id: test_submission, reason: test submission, when:"
            " {variable: enum_code, equals: TEST}}\n"
        ),
    ),
    (
        (
            '  - {id: "TODO_indicator_id", label: "TODO", improvement: increase, variable:'
            ' "TODO_item", positive: ["TODO"]}'
        ),
        (
            '  - {id: trust_other_groups, label: "Trusts other groups", improvement: increase,'
            " variable: q1_trust, positive: [Somewhat, Very much]}"
        ),
    ),
]


def test_scaffold_reads_stata_metadata():
    text = draft_country_config(ROOT, "walkthrough", DTA)
    doc = yaml.safe_load(text)
    ds = doc["datasets"]["respondents"]
    assert [s["wave"] for s in ds["sources"]] == ["baseline", "midline", "endline"] and ds[
        "sources"
    ][0]["format"] == "stata"
    assert (
        ds["variables"]["respondent_id"]["source"] == "hhid"
        and ds["variables"]["sex"]["source"] == "gender"
    )
    assert ds["variables"]["q1_trust"]["missing"] == [
        -99,
        -98,
    ]  # from the value labels "Don't know", "Refused"
    assert (
        "Not at all" in text and "0=Male, 1=Female" in text
    )  # value labels shown beside the variable
    # value labels that name only missing codes (-99=Don't know): a number, not a category
    assert ds["variables"]["hh_income"] == {"missing": [-99], "type": "integer"}
    assert ds["variables"]["literacy_score"] == {"missing": [-99, -98], "type": "integer"}
    assert ds["variables"]["who5_1"] == {"missing": [-99, -98]}  # labelled codes 0-5 stay labels
    assert set(ds["pii"]) == {"respondent_name", "phone"}
    assert ds["derive"]["cluster"] == {"copy": "village_code"} and ds["derive"]["weight"] == {
        "copy": "wt"
    }
    assert text.count('"TODO') >= 4


def test_scaffold_reads_xlsform_and_spss_metadata():
    kobo = yaml.safe_load(
        draft_country_config(
            ROOT,
            "k",
            ["data/raw/tajikistan/lwd_baseline_kobo.csv"],
            "data/raw/tajikistan/lwd_women_survey_xlsform.xlsx",
        )
    )
    src = kobo["datasets"]["respondents"]["sources"][0]
    assert src["sep"] == ";" and src["xlsform"].endswith("xlsform.xlsx")
    variables = kobo["datasets"]["respondents"]["variables"]
    assert (
        variables["vawg_exposure"] == {"type": "multi"}
        and variables["respondent_id"]["source"] == "participant_code"
    )
    assert "participant_name" in kobo["datasets"]["respondents"]["pii"]
    sav = yaml.safe_load(
        draft_country_config(ROOT, "s", ["data/raw/rwanda/rwanda_endline_2023_ona.sav"])
    )
    assert sav["datasets"]["respondents"]["variables"]["q_use_of_arms"]["missing"] == [
        98,
        99,
    ]  # SPSS user-missing


def test_scaffold_reads_a_two_language_xlsform_in_the_chosen_language(tmp_path):
    _two_language_form(tmp_path / "form.xlsx")
    (tmp_path / "baseline.csv").write_text(
        "village;intro/consent;household/fruits;household/fruits/apple;household/fruits/pear"
        "\nA;yes;apple pear;1;1\nB;other;pear;0;1\n",
        encoding="utf-8",
    )
    text = draft_country_config(tmp_path, "k", ["baseline.csv"], "form.xlsx", "Français (fr)")
    assert "--label-language 'Français (fr)'" in text
    assert (
        "consent: {source: consent}   # Êtes-vous d'accord ?: yes=Oui, no=Non, other=Other" in text
    )
    src = yaml.safe_load(text)["datasets"]["respondents"]["sources"][0]
    assert src["xlsform"] == "form.xlsx" and src["label_language"] == "Français (fr)"
    with pytest.raises(InputError) as err:
        draft_country_config(tmp_path, "k", ["baseline.csv"], "form.xlsx")
    assert (
        "'English (en)', 'Français (fr)'" in err.value.problem
        and "--label-language" in err.value.fix
    )


def test_scaffold_gives_each_column_its_own_key():
    """Rwanda's waves name sex, age and consent differently (baseline gender, age_years,
    consent_given; endline sex, age, consent): the endline columns get keys of their own instead of
    replacing the guessed core variables.
    """
    text = draft_country_config(
        ROOT,
        "r",
        [
            "data/raw/rwanda/rwanda_baseline_2022_surveycto.sav",
            "data/raw/rwanda/rwanda_endline_2023_ona.sav",
        ],
    )
    variables = yaml.safe_load(text)["datasets"]["respondents"]["variables"]
    assert [
        line.split(":")[0].strip() for line in text.splitlines() if line.startswith("      sex")
    ] == ["sex", "sex_2"]
    assert variables["sex"]["source"] == "gender" and variables["sex_2"] == {
        "source": "sex",
        "waves": ["endline"],
    }
    assert variables["age"]["source"] == "age_years" and variables["age_2"]["source"] == "age"
    assert (
        variables["consent"]["source"] == "consent_given"
        and variables["consent_2"]["source"] == "consent"
    )


def test_todo_values_stop_the_run(tmp_path):
    root = copy_project(tmp_path)
    (root / "config/countries/walkthrough.yaml").write_text(
        draft_country_config(root, "walkthrough", DTA), encoding="utf-8"
    )
    cfg = yaml.safe_load((root / "config/config.yaml").read_text())
    cfg["countries"].append("walkthrough")
    (root / "config/config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_project(root)
    assert (
        "TODO" in err.value.problem
        and err.value.file == "config/countries/walkthrough.yaml"
        and "grep" in err.value.fix
    )


def _edit_example(tmp_path, mutate):
    root = copy_project(tmp_path)
    path = root / "config/countries/example_country.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "mutate, expect_key, expect_fix",
    [
        (
            lambda c: c["datasets"]["respondents"]["design"].pop("panel_key"),
            "panel_key",
            "panel_key",
        ),
        (
            lambda c: c["datasets"]["respondents"]["design"].update(cluster="village"),
            "cluster",
            "derive",
        ),
        (
            lambda c: c["datasets"]["respondents"]["design"].update(weight="wt_typo"),
            "weight",
            "variables",
        ),
    ],
)
def test_design_mistakes_are_explained(tmp_path, mutate, expect_key, expect_fix):
    root = _edit_example(tmp_path, mutate)
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.key == expect_key and expect_fix in err.value.fix


def test_indicator_without_answers_in_a_wave_is_explained(tmp_path):
    from analysis.cleaning.clean import clean_dataset

    def mutate(c):
        c["datasets"]["respondents"]["sources"][0]["columns"] = {
            "q1_trust": "q2_safe_night"
        }  # wrong item at baseline
        c["datasets"]["respondents"]["variables"]["q1_trust"]["values"] = {
            1: "Not at all",
            2: "A little",
            3: "Somewhat",
            4: "Very much",
        }

    root = _edit_example(tmp_path, mutate)
    with pytest.raises(InputError) as err:
        clean_dataset(load_project(root), "example_country", "respondents")
    assert "no mapping" in err.value.problem or "no valid answer" in err.value.problem


def test_invalid_weights_are_explained(tmp_path):
    from analysis.cleaning.clean import clean_dataset

    root = _edit_example(
        tmp_path, lambda c: c["datasets"]["respondents"]["derive"].update(weight={"constant": 0})
    )
    with pytest.raises(InputError) as err:
        clean_dataset(load_project(root), "example_country", "respondents")
    assert err.value.column == "weight" and "positive weight" in err.value.fix


def test_onboarding_with_scaffold_and_config_edits_only(tmp_path):
    """A new country in a copy of the repository: scaffold, README's edits, config list; every
    output appears."""
    root = copy_project(tmp_path)
    env = {
        **os.environ,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
        "PYTHONPATH": str(root / "src"),
    }
    subprocess.run(
        [sys.executable, "-m", "analysis", "new-country", "walkthrough", *DTA],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    path = root / "config/countries/walkthrough.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in README_EDITS:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    cfg = yaml.safe_load((root / "config/config.yaml").read_text())
    cfg["countries"] = ["walkthrough"]  # only the new country, to keep the test fast
    cfg.pop("claims")  # no paper claims for it
    (root / "config/config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    out = subprocess.run(
        [os.path.dirname(sys.executable) + "/snakemake", "--cores", "2", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    for rel in (
        "data/processed/walkthrough/respondents.parquet",
        "reports/tables/walkthrough/estimates.csv",
        "reports/tables/walkthrough/shifts.csv",
        "reports/figures/walkthrough/forest.png",
        "reports/tables/walkthrough/shifts_table.html",
    ):
        assert (root / rel).stat().st_size > 0, rel
    html = (root / "reports/report.html").read_text(encoding="utf-8")
    assert "Walkthrough (fictional)" in html and "shift:walkthrough/trust_other_groups/All" in html
