"""Difference in differences between a programme and a comparison arm (issue 17, deliverable 3),
pinned to R.

calls: tests/fixtures/reference/did_reference.R -> did_reference.json (data: did_waves.csv, two
independent cross-sections "2019" and "2021" with the arm constant within a village; did_panel.csv,
a two-wave panel); R svyglm(y ~ wave * arm) (stratified clustered weighted design, and
svydesign(ids = ~1)), svyglm(I(y2 - y1) ~ arm) on the pair design, and t.test(d ~ arm) (Welch).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from analysis.errors import InputError
from analysis.survey.design import Design
from analysis.survey.did import DID_COLUMNS, did_table
from analysis.survey.estimates import NOT_ESTIMABLE

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
REF = json.loads((FIX / "did_reference.json").read_text())
WAVES = ("2019", "2021")
WAVES_DATA = pd.read_csv(FIX / "did_waves.csv", dtype={"wave": str})
PANEL_DATA = pd.read_csv(FIX / "did_panel.csv", dtype={"wave": str})
LEVELS = {"programme": "Programme", "comparison": "Comparison"}
ARMED = {"arm": "arm", "arm_levels": LEVELS, "waves": WAVES}
CLUSTERED = {"cluster": "psu", "strata": "stratum", "weight": "w"}
PANEL = {"type": "panel", "panel_key": "respondent_id"}
DESIGNS = {
    "design": (WAVES_DATA, Design(type="clustered", **CLUSTERED, **ARMED)),
    "srs": (WAVES_DATA, Design(**ARMED)),
    "panel_design": (PANEL_DATA, Design(**PANEL, **CLUSTERED, **ARMED)),
    "panel_srs": (PANEL_DATA, Design(**PANEL, **ARMED)),
}
MEASURES = {"y": "share", "z": "mean"}
RTOL = 1e-6


def _table(case: str, data: pd.DataFrame | None = None, design: Design | None = None):
    default_data, default_design = DESIGNS[case]
    data = default_data if data is None else data
    return did_table(
        data, ["y", "z"], "x", design or default_design, measures=MEASURES, units={"z": "points"}
    )


def _levels(case: str, ref: dict, arm: str, side: str) -> float:
    """The reference mean of one arm in one wave: svyby names (2019_Comparison) for the waves,
    named levels for the panels."""
    if case.startswith("panel"):
        return ref["means"][f"{arm}_{side}"]
    wave = WAVES[0] if side == "from" else WAVES[1]
    return ref["means"][f"{wave}_{arm.capitalize()}"]


@pytest.mark.parametrize("case", sorted(DESIGNS))
def test_did_matches_r(case):
    """did, se, df, t, p and the interval of each design's R call, for a 0/1 share (percentage
    points) and a numeric score (its unit); each arm's levels as R's cell means."""
    table = _table(case)
    assert list(table.columns) == DID_COLUMNS and len(table) == 2
    for _, row in table.iterrows():
        ref = REF[f"{case}_{row['indicator']}"]
        scale = 100.0 if row["measure"] == "share" else 1.0
        assert row["unit"] == ("percentage points" if scale == 100 else "points")
        assert row["did"] == pytest.approx(scale * ref["did"], rel=RTOL)
        assert row["se"] == pytest.approx(scale * ref["se"], rel=RTOL)
        assert row["df"] == pytest.approx(ref["df"], rel=RTOL)
        assert row["statistic"] == pytest.approx(ref["t"], rel=RTOL)
        assert row["p_value"] == pytest.approx(ref["p"], rel=RTOL)
        assert row["ci_low"] == pytest.approx(scale * ref["ci_low"], rel=RTOL)
        assert row["ci_high"] == pytest.approx(scale * ref["ci_high"], rel=RTOL)
        assert not row["note"].startswith(NOT_ESTIMABLE) and row["test"]
        assert (row["from_wave"], row["to_wave"]) == WAVES
        change = (row["programme_change"] - row["comparison_change"]) / scale
        if "means" in ref:
            for arm in ("programme", "comparison"):
                for side in ("from", "to"):
                    got = row[f"{arm}_{side}"] / scale
                    assert got == pytest.approx(_levels(case, ref, arm, side), rel=RTOL)
        assert change == pytest.approx(ref["did"], rel=RTOL, abs=1e-12)
        if "n_programme" in ref:
            assert (row["n_programme"], row["n_comparison"]) == (
                ref["n_programme"],
                ref["n_comparison"],
            )


def test_panel_pairs_weighted_by_their_first_wave_record():
    row = _table("panel_design").iloc[0]
    assert "pairs weighted by 'w' of their wave '2019' record" in row["note"]


def test_without_an_arm_the_table_is_header_only():
    data, design = DESIGNS["design"]
    plain = design.model_copy(update={"arm": None, "arm_levels": None})
    table = did_table(data, ["y"], "x", plain)
    assert list(table.columns) == DID_COLUMNS and table.empty


def test_an_arm_absent_from_a_wave_keeps_its_row():
    """No comparison villages answered in 2021: the row stays, without a did, with a note."""
    data, _ = DESIGNS["design"]
    data = data[~((data["wave"] == "2021") & (data["arm"] == "Comparison"))]
    table = _table("design", data)
    assert len(table) == 2 and table["did"].isna().all() and table["p_value"].isna().all()
    assert table["programme_change"].notna().all() and (table["test"] == "").all()
    for note in table["note"]:
        assert note == (
            NOT_ESTIMABLE + "no answers in the comparison arm in wave '2021', so no difference"
            " in differences"
        )


@pytest.mark.parametrize("case", ["design", "srs"])
def test_a_cell_with_answers_all_alike_has_no_test(case):
    """Every programme answer 1 in 2021: that cell adds no linearised variance, so the share's row
    keeps its did but has no test or interval; the score is unaffected."""
    data, _ = DESIGNS[case]
    data = data.copy()
    alike = (data["wave"] == "2021") & (data["arm"] == "Programme") & data["y"].notna()
    data.loc[alike, "y"] = 1.0
    table = _table(case, data).set_index("indicator")
    y = table.loc["y"]
    assert y["programme_to"] == pytest.approx(100.0)
    assert y["did"] == pytest.approx(y["programme_change"] - y["comparison_change"])
    assert np.isnan(y["p_value"]) and np.isnan(y["ci_low"]) and np.isnan(y["se"])
    assert y["note"].startswith(NOT_ESTIMABLE) and "programme arm in wave '2021'" in y["note"]
    assert table.loc["z", "p_value"] > 0


def test_panel_without_variance_is_not_estimable():
    """Every matched person's score changes by exactly 2 in both arms: did 0, no test."""
    data, design = DESIGNS["panel_srs"]
    data = data.copy()
    base = data[data["wave"] == "2019"].set_index("respondent_id")["z"]
    later = data["wave"] == "2021"
    data.loc[later, "z"] = data.loc[later, "respondent_id"].map(base + 2.0).to_numpy()
    row = _table("panel_srs", data).set_index("indicator").loc["z"]
    assert row["did"] == pytest.approx(0.0, abs=1e-12) and np.isnan(row["p_value"])
    assert row["note"] == (
        NOT_ESTIMABLE + "every matched person's change is the same value in both arms, so no"
        " test or interval"
    )


@pytest.mark.parametrize("value", ["Control", None])
def test_a_value_neither_arm_stops(value):
    data, design = DESIGNS["design"]
    data = data.astype({"arm": object})
    data.loc[[4, 9], "arm"] = value
    with pytest.raises(InputError) as err:
        did_table(data, ["y"], "x", design, source="data/processed/x/respondents.parquet")
    assert err.value.column == "arm" and err.value.row == "5, 10"
    assert err.value.file == "data/processed/x/respondents.parquet"
    assert "neither 'Programme' (programme) nor 'Comparison' (comparison)" in err.value.problem
    assert repr(value or "(missing)") in err.value.problem and "arm_levels" in err.value.fix


def test_a_panel_member_changing_arm_stops():
    data, design = DESIGNS["panel_srs"]
    data = data.copy()
    moved = (data["respondent_id"] == 3) & (data["wave"] == "2021")
    other = {"Programme": "Comparison", "Comparison": "Programme"}
    data.loc[moved, "arm"] = data.loc[moved, "arm"].map(other)
    with pytest.raises(InputError) as err:
        did_table(data, ["y"], "x", design)
    assert "1 panel member(s) change arm" in err.value.problem
    assert "respondent_id '3'" in err.value.problem and err.value.column == "arm"
    assert err.value.file == "config/countries/x.yaml"
    rows = [int(r) for r in err.value.row.split(", ")]
    assert list(data.iloc[[r - 1 for r in rows]]["respondent_id"]) == [3, 3]


def test_arm_levels_may_be_numbers():
    data, design = DESIGNS["srs"]
    coded = data.assign(arm=(data["arm"] == "Programme").astype(int))
    numeric = design.model_copy(
        update={"arm_levels": design.arm_levels.model_copy(update={"programme": "1"})}
    )
    numeric = numeric.model_copy(
        update={"arm_levels": numeric.arm_levels.model_copy(update={"comparison": "0"})}
    )
    got, expected = _table("srs", coded, numeric), _table("srs")
    np.testing.assert_allclose(got["did"], expected["did"], rtol=1e-12)


def test_design_arm_needs_levels():
    with pytest.raises(ValidationError, match="needs arm_levels"):
        Design(arm="arm")
    with pytest.raises(ValidationError, match="need different values"):
        Design(arm="arm", arm_levels={"programme": "A", "comparison": "A"})


def _edit_design(root, change):
    path = root / "config" / "countries" / "example_country.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc["datasets"]["respondents"]["design"])
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "key", "says"),
    [
        (lambda d: d.pop("arm_levels"), "arm", "needs `arm_levels` beside it"),
        (lambda d: d.pop("arm"), "arm_levels", "needs `arm` beside it"),
        (lambda d: d.update(arm="treatment"), "arm", "names 'treatment', which is neither"),
        (
            lambda d: d.update(arm_levels={"programme": "X", "comparison": "X"}),
            "arm_levels",
            "same value 'X' for the programme and the comparison arm",
        ),
        (
            lambda d: d.update(arm_levels={"programme": "Programme"}),
            None,
            "'comparison' is a required property",
        ),
    ],
)
def test_arm_config_errors(tmp_path, change, key, says):
    from analysis.config import load_project
    from tests.conftest import copy_project

    root = copy_project(tmp_path)
    _edit_design(root, change)
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.file == "config/countries/example_country.yaml"
    assert says in err.value.problem and err.value.key == key


def test_example_country_declares_its_arms(project):
    design = project.countries["example_country"].design
    assert design.arm == "arm"
    assert (design.arm_levels.programme, design.arm_levels.comparison) == (
        "Programme",
        "Comparison",
    )


def _random_data(seed: int, panel: bool) -> pd.DataFrame:
    """Two waves, 8 villages (even: programme), weights, a share y and a score z with gaps; a
    panel of 70 people (some missing the second wave) or 160 independent respondents."""
    rng = np.random.default_rng(seed)
    n = 70 if panel else 160
    village = rng.integers(0, 8, n)
    frame = pd.DataFrame(
        {
            "respondent_id": np.arange(n),
            "psu": village,
            "arm": np.where(village % 2 == 0, "Programme", "Comparison"),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    if panel:
        frame = pd.concat([frame.assign(wave=w) for w in WAVES], ignore_index=True)
        frame = frame[~((frame["wave"] == WAVES[1]) & (frame["respondent_id"] % 9 == 0))]
    else:
        frame = frame.assign(wave=rng.choice(list(WAVES), n))
    m = len(frame)
    frame = frame.assign(
        y=rng.integers(0, 2, m).astype(float), z=np.round(rng.normal(50, 10, m), 2)
    )
    frame.loc[rng.random(m) < 0.05, "z"] = np.nan
    return frame.reset_index(drop=True)


def _random_design(panel: bool, design_based: bool) -> Design:
    extra = {"cluster": "psu", "weight": "w"} if design_based else {}
    kind = PANEL if panel else {"type": "clustered" if design_based else "independent"}
    return Design(**kind, **extra, **ARMED)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), panel=st.booleans(), design_based=st.booleans())
def test_swapping_the_arms_negates_the_did(seed, panel, design_based):
    """Calling the comparison arm the programme: did negated, the interval mirrored, the same se
    and p-value."""
    data, design = _random_data(seed, panel), _random_design(panel, design_based)
    swapped = design.model_copy(
        update={
            "arm_levels": design.arm_levels.model_copy(
                update={"programme": "Comparison", "comparison": "Programme"}
            )
        }
    )
    f = did_table(data, ["y", "z"], "x", design, measures=MEASURES)
    r = did_table(data, ["y", "z"], "x", swapped, measures=MEASURES)
    assert f["did"].notna().all()
    np.testing.assert_allclose(r["did"], -f["did"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["ci_low"], -f["ci_high"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["ci_high"], -f["ci_low"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["p_value"], f["p_value"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r["programme_change"], f["comparison_change"], rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    panel=st.booleans(),
    design_based=st.booleans(),
    shift=st.floats(-1000, 1000, allow_nan=False),
)
def test_a_constant_added_to_one_arm_leaves_the_did(seed, panel, design_based, shift):
    """Adding `shift` to every programme score in both waves moves that arm's levels, not its
    change, nor the did, its se or p-value."""
    data, design = _random_data(seed, panel), _random_design(panel, design_based)
    moved = data.assign(z=data["z"] + np.where(data["arm"] == "Programme", shift, 0.0))
    f = did_table(data, ["z"], "x", design, measures=MEASURES)
    m = did_table(moved, ["z"], "x", design, measures=MEASURES)
    np.testing.assert_allclose(m["programme_from"], f["programme_from"] + shift, rtol=1e-9)
    for column in ("did", "programme_change", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(m[column], f[column], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(m["p_value"], f["p_value"], rtol=1e-6, atol=1e-9)


def test_one_cluster_per_arm_is_not_estimable():
    """One village per arm (the pairs of villages 1 and 3): each arm's mean change comes from one
    PSU, so the did has no design variance (and 0 degrees of freedom): no test, and the note says
    why."""
    data, _ = DESIGNS["panel_design"]
    table = _table("panel_design", data[data["psu"].isin([1, 3])])
    assert table["did"].notna().all() and table["p_value"].isna().all()
    assert (table["df"] == 0).all() and (table["test"] == "").all() and table["se"].isna().all()
    for note in table["note"]:
        assert note.startswith(
            NOT_ESTIMABLE + "the difference in differences has no design variance, so no test"
        )


def test_cleaning_rows_name_the_raw_file_and_row():
    """In the cleaning (rows carry `source_file` and `source_row`) the error names the raw file
    and its rows."""
    from analysis.cleaning.arms import arm_labels

    data, design = DESIGNS["design"]
    data = data.assign(
        arm=data["arm"].where(data.index != 7, "Control"),
        source_file=np.where(data["wave"] == "2019", "raw/2019.dta", "raw/2021.dta"),
        source_row=np.arange(len(data)) + 101,
    )
    with pytest.raises(InputError) as err:
        arm_labels(data, design, "x")
    assert (err.value.file, err.value.row, err.value.column) == ("raw/2019.dta", "108", "arm")


def test_measure_defaults_from_the_answers():
    data, design = DESIGNS["srs"]
    table = did_table(data, ["y", "z"], "x", design)
    assert dict(zip(table["indicator"], table["measure"])) == {"y": "share", "z": "mean"}
    assert list(table["unit"]) == ["percentage points", ""]
