"""Composition-adjusted change (issue 17, deliverable 2), pinned to R.

calls: tests/fixtures/reference/adjusted_reference.R -> adjusted_reference.json (data:
adjusted_waves.csv, two independent cross-sections "2019" and "2021" whose share of men rises);
R svyglm(y ~ wave) (crude), svycontrast(svyby(~y, ~interaction(wave, cell), svymean, covmat = TRUE),
s) = svystandardize(by = ~cell, over = ~wave, population = s) (standardised, s = the 2021 answerers'
composition over sex x age band) and svyglm(y ~ wave + sex + age_band, family = quasibinomial() /
gaussian()) with the AME by the delta method, on a stratified clustered weighted design and on
svydesign(ids = ~1); adjusted_panel.csv, a two-wave panel: svymean of the matched changes,
svycontrast(svyby(~d, ~cell)) over the pairs' composition and svyglm on the stacked matched pairs
(PSU the village, or the person).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.model import Indicator, ShareMapping
from analysis.survey.adjusted import ADJUSTED_COLUMNS, adjusted_table
from analysis.survey.design import Design
from analysis.survey.estimates import NOT_ESTIMABLE
from analysis.survey.means import mean_shift_table
from analysis.survey.shifts import shift_table

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
REF = json.loads((FIX / "adjusted_reference.json").read_text())
WAVES = ("2019", "2021")
DATA = pd.read_csv(FIX / "adjusted_waves.csv", dtype={"wave": str})
DESIGNS = {
    "design": Design(type="clustered", cluster="psu", strata="stratum", weight="w", waves=WAVES),
    "srs": Design(waves=WAVES),
}
MEASURES = {"y": "share", "z": "mean"}
BY = ["sex", "age_band"]
RTOL = 1e-6
Y = [
    Indicator(
        id="y",
        label="y",
        improvement="increase",
        countries={"x": ShareMapping(variable="y", positive=[1])},
    )
]


def _table(case: str, data: pd.DataFrame | None = None, by=BY, **kw) -> pd.DataFrame:
    data = DATA if data is None else data
    return adjusted_table(
        data, ["y", "z"], "x", DESIGNS[case], by, measures=MEASURES, units={"z": "points"}, **kw
    ).set_index("indicator")


@pytest.mark.parametrize("case", sorted(DESIGNS))
@pytest.mark.parametrize("indicator", ["y", "z"])
def test_adjusted_matches_r(case, indicator):
    """Crude, standardised and model-adjusted change, their intervals, SEs, p-values and df as R's
    (shares in percentage points, the score in its unit); the odds ratio for the share."""
    table = _table(case)
    assert sorted(table.reset_index().columns) == sorted(ADJUSTED_COLUMNS)
    row, ref = table.loc[indicator], REF[f"{case}_{indicator}"]
    scale = 100.0 if indicator == "y" else 1.0
    pairs = {
        "crude_change": "crude",
        "crude_ci_low": "crude_ci_low",
        "crude_ci_high": "crude_ci_high",
        "standardised_change": "standardised",
        "std_se": "std_se",
        "std_ci_low": "std_ci_low",
        "std_ci_high": "std_ci_high",
        "ame": "ame",
        "ame_se": "ame_se",
        "ame_ci_low": "ame_ci_low",
        "ame_ci_high": "ame_ci_high",
    }
    for column, key in pairs.items():
        assert row[column] == pytest.approx(scale * ref[key], rel=RTOL), column
    assert row["std_p_value"] == pytest.approx(ref["std_p"], rel=RTOL)
    assert row["model_p_value"] == pytest.approx(ref["model_p"], rel=RTOL)
    assert row["model_df"] == ref["model_df"]
    assert row["standardised_change"] == pytest.approx(
        scale * ref["svystandardize_change"], rel=RTOL
    )
    assert row["std_se"] == pytest.approx(scale * ref["svystandardize_se"], rel=RTOL)
    if indicator == "y":
        for column in ("odds_ratio", "or_ci_low", "or_ci_high"):
            assert row[column] == pytest.approx(ref[column], rel=RTOL), column
    else:
        assert np.isnan(row["odds_ratio"]) and row["unit"] == "points"
        assert row["ame"] == pytest.approx(ref["coef_wave"], rel=RTOL)
    assert row["note"] == "" and row["standard"] == "last"
    assert row["standardise_by"] == "sex x age_band"


@pytest.mark.parametrize("case", sorted(DESIGNS))
@pytest.mark.parametrize("standard", ["first", "pooled"])
def test_other_standards_match_r(case, standard):
    """The 2019 answerers' composition (first) and both waves' (pooled) as the standard."""
    table = _table(case, standard=standard)
    for indicator, scale in (("y", 100.0), ("z", 1.0)):
        row, ref = table.loc[indicator], REF[f"{case}_{indicator}"][f"standard_{standard}"]
        assert row["standardised_change"] == pytest.approx(scale * ref["standardised"], rel=RTOL)
        assert row["std_se"] == pytest.approx(scale * ref["std_se"], rel=RTOL)
        assert row["standard"] == standard


PANEL_DATA = pd.read_csv(FIX / "adjusted_panel.csv", dtype={"wave": str})
PANEL = {"type": "panel", "panel_key": "respondent_id", "waves": WAVES}
PANELS = {
    "panel_design": Design(**PANEL, cluster="psu", strata="stratum", weight="w"),
    "panel_srs": Design(**PANEL),
}


@pytest.mark.parametrize("case", sorted(PANELS))
@pytest.mark.parametrize("indicator", ["y", "z"])
def test_panel_matches_r(case, indicator):
    """Panels: the crude paired change (R svymean of the matched changes), the standardised change
    over the pairs' own composition with the composition fixed (equal to the crude change, its own
    variance and df) and the model on the stacked matched pairs, as R's."""
    table = adjusted_table(PANEL_DATA, ["y", "z"], "x", PANELS[case], BY, measures=MEASURES)
    row, ref = table.set_index("indicator").loc[indicator], REF[f"{case}_{indicator}"]
    scale = 100.0 if indicator == "y" else 1.0
    q = stats.t.ppf(0.975, ref["crude_df"])
    assert row["crude_change"] == pytest.approx(scale * ref["crude"], rel=RTOL)
    assert row["crude_ci_low"] == pytest.approx(
        scale * (ref["crude"] - q * ref["crude_se"]), rel=RTOL
    )
    assert row["standardised_change"] == pytest.approx(scale * ref["standardised"], rel=RTOL)
    assert row["std_se"] == pytest.approx(scale * ref["std_se"], rel=RTOL)
    assert row["std_p_value"] == pytest.approx(ref["std_p"], rel=RTOL)
    for column in ("ame", "ame_se", "ame_ci_low", "ame_ci_high"):
        assert row[column] == pytest.approx(scale * ref[column], rel=RTOL), column
    assert row["model_df"] == ref["model_df"]
    assert row["model_p_value"] == pytest.approx(ref["model_p"], rel=RTOL)
    if indicator == "y":
        for column in ("odds_ratio", "or_ci_low", "or_ci_high"):
            assert row[column] == pytest.approx(ref[column], rel=RTOL), column
    assert row["standard"] == "matched pairs"


@pytest.mark.parametrize("case", sorted(DESIGNS))
def test_crude_change_is_the_shifts_overall_change(case):
    """The crude change of a share is shifts.csv's overall diff_pp; of a mean, mean_shifts.csv's
    overall diff."""
    design = DESIGNS[case]
    table = _table(case)
    share = shift_table(DATA, Y, "x", design)
    overall = share[(share["group_var"] == "overall") & (share["indicator"] == "y")]
    assert table.loc["y", "crude_change"] == pytest.approx(overall["diff_pp"].iloc[0], rel=1e-12)
    means = mean_shift_table(DATA, ["z"], {"z": "points"}, "x", design)
    mean_overall = means[means["group_var"] == "overall"]
    assert table.loc["z", "crude_change"] == pytest.approx(mean_overall["diff"].iloc[0], rel=1e-12)


def _random_waves(seed: int, equal: bool) -> pd.DataFrame:
    """Two independent waves of 8 villages, sex x age band cells, weights, a share y and a score z;
    with `equal` every wave has the same weighted cell composition (weights rescaled per cell)."""
    rng = np.random.default_rng(seed)
    n = 240
    frame = pd.DataFrame(
        {
            "wave": rng.choice(list(WAVES), n),
            "psu": rng.integers(0, 8, n),
            "sex": rng.choice(["Female", "Male"], n, p=[0.6, 0.4]),
            "age_band": rng.choice(["18-35", "36+"], n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    frame["psu"] = frame["wave"] + "-" + frame["psu"].astype(str)
    frame["y"] = (rng.random(n) < 0.3 + 0.2 * (frame["sex"] == "Male")).astype(float)
    frame["z"] = np.round(rng.normal(50, 10, n), 2)
    if equal:  # each cell's weight share the same in both waves
        cell = frame.groupby(["wave", "sex", "age_band"])["w"].transform("sum")
        wave = frame.groupby("wave")["w"].transform("sum")
        frame["w"] = frame["w"] / (cell / wave) * 0.25
    return frame


def _random_design(design_based: bool) -> Design:
    if design_based:
        return Design(type="clustered", cluster="psu", weight="w", waves=WAVES)
    return Design(waves=WAVES)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), standard=st.sampled_from(["last", "first", "pooled"]))
def test_equal_composition_standardised_is_crude(seed, standard):
    """When both waves have the same weighted composition over the cells, every standard gives
    the crude change."""
    data = _random_waves(seed, equal=True)
    table = adjusted_table(
        data, ["y", "z"], "x", _random_design(True), BY, standard, measures=MEASURES
    )
    np.testing.assert_allclose(table["standardised_change"], table["crude_change"], rtol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), design_based=st.booleans())
def test_relabelling_the_cells_changes_nothing(seed, design_based):
    """Renaming the levels (and so their order and the model's reference level) leaves every
    statistic as it was."""
    data = _random_waves(seed, equal=False)
    renamed = data.assign(
        sex=data["sex"].map({"Female": "b", "Male": "a"}),
        age_band=data["age_band"].map({"18-35": "z", "36+": "y"}),
    )
    design = _random_design(design_based)
    f = adjusted_table(data, ["y", "z"], "x", design, BY, measures=MEASURES)
    r = adjusted_table(renamed, ["y", "z"], "x", design, BY, measures=MEASURES)
    for column in ("standardised_change", "std_se", "std_p_value", "odds_ratio", "ame"):
        np.testing.assert_allclose(r[column], f[column], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(r["ame_se"], f["ame_se"], rtol=1e-6)
    np.testing.assert_allclose(r["model_p_value"], f["model_p_value"], rtol=1e-5, atol=1e-12)
    assert list(r["crude_flag"]) == list(f["crude_flag"])


def test_flag_when_the_crude_change_lies_outside_the_subgroups():
    """The R fixture's share: the crude change (men's rising share) against the subgroup range
    and the standardised interval, in words."""
    row = _table("srs", by=["sex"]).loc["y"]
    low, high = row["subgroup_min"], row["subgroup_max"]
    outside = not (low <= row["crude_change"] <= high)
    beyond = (
        abs(row["crude_change"] - row["standardised_change"])
        > (row["std_ci_high"] - row["std_ci_low"]) / 2
    )
    assert row["crude_flag"] == (outside or beyond)
    if outside:
        assert "lies outside the subgroup changes" in row["flag_reason"]
    if beyond:
        assert "more than the standardised interval's half-width" in row["flag_reason"]
    assert row["crude_flag"] or row["flag_reason"] == ""


def test_a_cell_absent_from_a_wave_is_not_estimable():
    """No men in 2019: the to-wave standard weighs men, so no standardised change; the model
    still estimates the wave effect (sex from 2021)."""
    data = DATA[~((DATA["wave"] == "2019") & (DATA["sex"] == "Male"))]
    row = _table("design", data, by=["sex"]).loc["y"]
    assert np.isnan(row["standardised_change"]) and np.isnan(row["std_se"])
    assert row["note"].startswith(NOT_ESTIMABLE)
    assert "cells without answers ('Male' in wave '2019')" in row["note"]
    assert np.isfinite(row["ame"]) and np.isfinite(row["crude_change"])


def test_every_answer_alike_in_a_wave_is_not_estimable():
    """Every 2021 answer 1: the logistic model separates (no odds ratio) and the standardised
    change has cells without variance; both empty with a reason."""
    data = DATA.assign(y=np.where((DATA["wave"] == "2021") & DATA["y"].notna(), 1.0, DATA["y"]))
    row = _table("srs", data).loc["y"]
    assert np.isnan(row["odds_ratio"]) and np.isnan(row["ame"]) and np.isnan(row["std_se"])
    assert "every answer in the to wave is 1 (separation)" in row["note"]
    assert "are all alike and add no linearised variance" in row["note"]
    assert np.isfinite(row["standardised_change"])


def _panel(seed: int) -> pd.DataFrame:
    """A two-wave panel of 120 people in 10 villages with sex and age band, some attrition and
    missing answers."""
    rng = np.random.default_rng(seed)
    n = 120
    people = pd.DataFrame(
        {
            "respondent_id": np.arange(n),
            "psu": rng.integers(0, 10, n),
            "w": rng.uniform(0.5, 2, n),
            "sex": rng.choice(["Female", "Male"], n),
            "age_band": rng.choice(["18-35", "36+"], n),
        }
    )
    long = pd.concat([people.assign(wave=w) for w in WAVES], ignore_index=True)
    long = long[~((long["wave"] == WAVES[1]) & (long["respondent_id"] % 11 == 0))]
    m = len(long)
    long = long.assign(
        y=(rng.random(m) < np.where(long["wave"] == WAVES[1], 0.6, 0.4)).astype(float),
        z=np.round(rng.normal(50, 10, m), 2),
    )
    long.loc[rng.random(m) < 0.04, "y"] = np.nan
    return long.reset_index(drop=True)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), design_based=st.booleans())
def test_panel_standardised_is_the_paired_change(seed, design_based):
    """A matched pair has one composition: the standardised change is the crude paired change
    (shifts.csv's overall change of the matched pairs), the standard "matched pairs"; the linear
    model's wave coefficient on complete pairs is the mean change too."""
    data = _panel(seed)
    extra = {"cluster": "psu", "weight": "w"} if design_based else {}
    design = Design(type="panel", panel_key="respondent_id", waves=WAVES, **extra)
    table = adjusted_table(data, ["y", "z"], "x", design, BY, measures=MEASURES)
    table = table.set_index("indicator")
    np.testing.assert_allclose(
        table["standardised_change"], table["crude_change"], rtol=1e-9, atol=1e-9
    )
    assert (table["standard"] == "matched pairs").all()
    assert table.loc["z", "ame"] == pytest.approx(table.loc["z", "crude_change"], rel=1e-9)
    shifts = shift_table(data, Y, "x", design)
    overall = shifts[shifts["group_var"] == "overall"]["diff_pp"].iloc[0]
    assert table.loc["y", "crude_change"] == pytest.approx(overall, rel=1e-9, abs=1e-9)


def test_without_standardise_by_variables_the_table_is_header_only():
    table = adjusted_table(DATA, ["y"], "x", DESIGNS["srs"], ["religion"])
    assert list(table.columns) == ADJUSTED_COLUMNS and table.empty


def test_unknown_standardise_by_variable_stops(tmp_path):
    import yaml

    from analysis.config import load_project
    from analysis.errors import InputError
    from tests.conftest import copy_project

    root = copy_project(tmp_path)
    path = root / "config" / "countries" / "example_country.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["standardise_by"] = ["sex", "age_bnd"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.file == "config/countries/example_country.yaml"
    assert err.value.key == "standardise_by" and "'age_bnd'" in err.value.problem
    assert "did you mean 'age_band'" in err.value.fix


def test_example_country_standardises_by_sex_and_age_band(project):
    example = project.countries["example_country"]
    assert example.standardise_by == ["sex", "age_band"]
    assert example.standard_composition == "last"


def test_normal_quantiles_with_ci_df_normal():
    """`ci_df: normal`: the AME's and the standardised change's intervals on the normal quantile
    (the same estimates and SEs as on t)."""
    design = DESIGNS["design"].model_copy(update={"ci_df": "normal"})
    got = adjusted_table(DATA, ["y"], "x", design, BY, measures=MEASURES).iloc[0]
    on_t = _table("design").loc["y"]
    z = stats.norm.ppf(0.975)
    assert got["ame_se"] == pytest.approx(on_t["ame_se"], rel=1e-12)
    assert got["ame_ci_high"] == pytest.approx(got["ame"] + z * got["ame_se"], rel=1e-12)
    assert got["std_ci_high"] == pytest.approx(
        got["standardised_change"] + z * got["std_se"], rel=1e-9
    )


def test_an_indicator_without_answers_in_a_wave_keeps_its_row():
    data = DATA.assign(y=np.where(DATA["wave"] == "2019", np.nan, DATA["y"]))
    row = _table("srs", data).loc["y"]
    assert (row["n_from"], np.isnan(row["crude_change"])) == (0, True)
    assert row["note"] == NOT_ESTIMABLE + "no answers in wave '2019', so no change"
    assert not row["crude_flag"] and np.isnan(row["ame"])


def test_panel_cell_without_change_variance_has_no_standardised_interval():
    """Every matched man aged 36+ answers z alike in both waves: that cell's matched changes are
    all 0 and add no linearised variance, so the standardised change has no interval."""
    data = PANEL_DATA.copy()
    cell = (data["sex"] == "Male") & (data["age_band"] == "36+")
    first = data[data["wave"] == "2019"].set_index("respondent_id")["z"]
    later = cell & (data["wave"] == "2021")
    data.loc[later, "z"] = data.loc[later, "respondent_id"].map(first).to_numpy()
    row = adjusted_table(data, ["z"], "x", PANELS["panel_srs"], BY, measures=MEASURES).iloc[0]
    assert np.isfinite(row["standardised_change"]) and np.isnan(row["std_se"])
    assert "the matched changes of cell(s) 'Male x 36+' are all alike" in row["note"]
    assert np.isfinite(row["ame_se"])


def test_no_standardise_by_value_in_a_wave_is_not_estimable():
    """Sex unknown for everyone in 2019: a crude change, but no standardised or model change."""
    data = DATA.assign(sex=np.where(DATA["wave"] == "2019", None, DATA["sex"]))
    row = _table("srs", data, by=["sex"]).loc["y"]
    assert np.isfinite(row["crude_change"]) and np.isnan(row["standardised_change"])
    assert np.isnan(row["ame"]) and np.isnan(row["odds_ratio"])
    assert "a wave has no answers with every standardise_by value" in row["note"]


def test_the_flag_is_copied_onto_the_overall_crude_change_only():
    from analysis.survey.adjusted import composition_flags

    shifts = pd.DataFrame(
        {
            "indicator": ["a", "a", "b", "a"],
            "group_var": ["overall", "sex", "overall", "overall"],
            "from_wave": ["1999", "1999", "1999", "2000"],
            "to_wave": ["2000", "2000", "2000", "2001"],
            "note": ["", "", "", ""],
        }
    )
    adjusted = pd.DataFrame(
        {
            "indicator": ["a", "b", "a"],
            "from_wave": [1999, 1999, 2000],  # read back from a CSV as numbers
            "to_wave": [2000, 2000, 2001],
            "crude_flag": [True, False, False],
            "flag_reason": ["the crude change +13.2 lies outside the subgroup changes", "", ""],
            "standardise_by": ["sex", "sex", "sex"],
            "standard": ["last", "last", "last"],
        }
    )
    out = composition_flags(shifts, adjusted)
    assert list(out.columns) == ["indicator", "group_var", "from_wave", "to_wave"] + [
        "composition_flag",
        "note",
    ]
    assert out["composition_flag"].tolist() == [
        "the crude change +13.2 lies outside the subgroup changes (standardised by sex, last"
        " composition: adjusted.csv)",
        "",
        "",
        "",
    ]
    assert composition_flags(shifts.iloc[:0], adjusted)["composition_flag"].empty
