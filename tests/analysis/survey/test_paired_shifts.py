"""Paired (simple random panel) shift rows: the matched pairs' n and percents in the row of the
paired test, all four McNemar p-values as columns, and the `paired_test` design setting (issue 15,
points 5, 8 and 9)."""

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.config import load_project
from analysis.errors import InputError
from analysis.model import Design
from analysis.survey.proportions import mcnemar_test, newcombe_paired_diff_ci
from analysis.survey.shifts import SHIFT_COLUMNS, shift_table
from tests.conftest import ONE_INDICATOR, copy_project

IND = ONE_INDICATOR
PANEL = Design(type="panel", panel_key="respondent_id")


def _panel(a: int, b: int, c: int, d: int, only_base: int = 0, only_end: int = 0) -> pd.DataFrame:
    """A panel with the paired table a/b/c/d (baseline/endline 1-1, 1-0, 0-1, 0-0) plus people
    answering in one wave only (all of them 1)."""
    base = [1] * a + [1] * b + [0] * c + [0] * d
    end = [1] * a + [0] * b + [1] * c + [0] * d
    n = len(base)
    ids = [f"P{i}" for i in range(n)]
    extra_b = [f"B{i}" for i in range(only_base)]
    extra_e = [f"E{i}" for i in range(only_end)]
    frame = pd.DataFrame(
        {
            "respondent_id": ids + extra_b + ids + extra_e,
            "wave": ["baseline"] * (n + only_base) + ["endline"] * (n + only_end),
            "sex": "Female",
            "ind": base + [1] * only_base + end + [1] * only_end,
        }
    )
    return frame.astype({"ind": "Int64"})


def test_panel_row_shows_the_matched_pairs_and_every_mcnemar_p():
    row = shift_table(_panel(30, 4, 19, 27, only_base=7, only_end=3), IND, "x", PANEL).iloc[0]
    assert {"pairs_n", "pairs_from_pct", "pairs_to_pct", "p_exact", "p_chi2"} <= set(SHIFT_COLUMNS)
    assert row["pairs_n"] == row["from_n"] == row["to_n"] == 80
    assert row["pairs_from_pct"] == pytest.approx(100 * 34 / 80)
    assert row["pairs_to_pct"] == pytest.approx(100 * 49 / 80)
    assert row["diff_pp"] == pytest.approx(row["pairs_to_pct"] - row["pairs_from_pct"])
    assert row["unmatched_from"] == 7 and row["unmatched_to"] == 3
    ref = mcnemar_test(4, 19)  # baseline 1 -> 0: 4; 0 -> 1: 19
    for key in ("p_exact", "mid_p", "p_chi2", "p_chi2_cc"):
        assert row[key] == pytest.approx(float(ref[key]), rel=1e-12), key
    assert row["test"] == "McNemar exact (binomial)" and row["p_value"] == row["p_exact"]
    low, high = newcombe_paired_diff_ci(30, 19, 4, 27)  # endline margin minus baseline margin
    assert (row["diff_ci_low"], row["diff_ci_high"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )


@pytest.mark.parametrize(
    "setting, key, label",
    [
        ("auto", "p_chi2", "McNemar chi-square (no continuity correction)"),
        ("exact", "p_exact", "McNemar exact (binomial)"),
        ("midp", "mid_p", "McNemar mid-p (binomial)"),
        ("asymptotic", "p_chi2", "McNemar chi-square (no continuity correction)"),
    ],
)
def test_paired_test_setting_chooses_p_value_and_test(setting, key, label):
    design = Design(type="panel", panel_key="respondent_id", paired_test=setting)
    row = shift_table(_panel(20, 10, 25, 25), IND, "x", design).iloc[0]  # 35 discordant pairs
    assert row["p_value"] == row[key] and row["test"] == label
    assert row["df"] == 1.0 if key == "p_chi2" else np.isnan(row["df"])
    assert row["p_holm"] == row["p_value"]  # the chosen p enters the adjustment


def test_no_discordant_pairs_still_get_an_interval():
    row = shift_table(_panel(10, 0, 0, 10), IND, "x", PANEL).iloc[0]
    assert row["p_value"] == row["mid_p"] == row["p_chi2_cc"] == 1.0
    assert row["diff_ci_low"] < 0 < row["diff_ci_high"]  # was [0, 0]


def _edit(root, rel, mutate):
    path = root / rel
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("paired"))


def _set(root, country, value):
    def mutate(doc):
        doc["datasets"]["respondents"]["design"]["paired_test"] = value

    _edit(root, f"config/countries/{country}.yaml", mutate)


def test_paired_test_is_read_into_the_design(root):
    _set(root, "tajikistan", "midp")
    try:
        assert load_project(root).countries["tajikistan"].design.paired_test == "midp"
        assert Design().paired_test == "auto"
    finally:
        _set_default(root)


def _set_default(root):
    def mutate(doc):
        doc["datasets"]["respondents"]["design"].pop("paired_test", None)

    _edit(root, "config/countries/tajikistan.yaml", mutate)
    _edit(root, "config/countries/example_country.yaml", mutate)


@pytest.mark.parametrize(
    "country, value, problem, fix",
    [
        ("tajikistan", "mid-p", "'mid-p'", "midp"),
        ("example_country", "midp", "weighted or clustered", "remove `paired_test:`"),
    ],
)
def test_bad_paired_test_stops_with_file_key_and_fix(root, country, value, problem, fix):
    _set(root, country, value)
    try:
        with pytest.raises(InputError) as err:
            load_project(root)
        assert err.value.file == f"config/countries/{country}.yaml"
        assert problem in err.value.problem and fix in err.value.fix
        assert "paired_test" in err.value.problem or err.value.key == "paired_test"
    finally:
        _set_default(root)


def test_display_says_which_people_a_panel_row_describes():
    from figures.tables import shifts_display

    shifts = shift_table(_panel(30, 4, 19, 27, only_base=7), IND, "x", PANEL)
    notes = shifts_display(shifts, {"ind": "ind"}, "x_shifts", "x", []).notes
    assert any(
        n.startswith("Panel: percents, change and test are among the respondents matched")
        and "(80 pairs)" in n
        for n in notes
    )
    weighted_panel = shifts.assign(pairs_from_pct=np.nan, pairs_to_pct=np.nan)
    notes = shifts_display(weighted_panel, {"ind": "ind"}, "x_shifts", "x", []).notes
    assert any(n.startswith("Panel: percents are each wave's estimates") for n in notes)
    independent = shifts.assign(pairs_n=np.nan)
    notes = shifts_display(independent, {"ind": "ind"}, "x_shifts", "x", []).notes
    assert not any(n.startswith("Panel:") for n in notes)
