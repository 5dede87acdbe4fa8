"""Trends over three waves and three-wave shift tables (issue 16, waves), pinned to R `survey`.

calls: tests/fixtures/reference/trends_reference.R -> trends_reference.json (data:
trends_waves.csv, three independent cross-sections named "1999", "2000", "2001"; trends_panel.csv,
a three-wave panel); R svyglm(y ~ wave_number) per design and domain, svyglm contrasts and
prop.test for the shift comparisons.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.model import Indicator, ShareMapping
from analysis.survey.design import Design, default_comparisons
from analysis.survey.shifts import SHIFT_COLUMNS, compared_waves, shift_table
from analysis.survey.trends import TREND_COLUMNS, trend_table

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
REF = json.loads((FIX / "trends_reference.json").read_text())
WAVES = ("1999", "2000", "2001")
WAVES_DATA = pd.read_csv(FIX / "trends_waves.csv", dtype={"wave": str})
PANEL_DATA = pd.read_csv(FIX / "trends_panel.csv", dtype={"wave": str})
CLUSTERED = {"type": "clustered", "cluster": "psu", "strata": "stratum", "weight": "w"}
DESIGNS = {
    "srs": (WAVES_DATA, Design(waves=WAVES)),
    "design": (WAVES_DATA, Design(**CLUSTERED, waves=WAVES)),
    "fpc": (WAVES_DATA, Design(**CLUSTERED, fpc="N", waves=WAVES)),
    "panel": (PANEL_DATA, Design(type="panel", panel_key="respondent_id", waves=WAVES)),
}
Y = [
    Indicator(
        id="y",
        label="y",
        improvement="increase",
        countries={"x": ShareMapping(variable="y", positive=[1])},
    )
]
RTOL = 1e-6


@pytest.mark.parametrize("case", sorted(DESIGNS))
def test_trend_matches_r_svyglm(case):
    """slope, SE, df, t and p of svyglm(v ~ wave_number) overall, among women and among men: a
    0/1 share (percentage points per wave step) and a numeric score (its units per step)."""
    data, design = DESIGNS[case]
    table = trend_table(data, ["y", "z"], "x", design, measures={"y": "share", "z": "mean"})
    assert list(table.columns) == TREND_COLUMNS and len(table) == 6
    for _, row in table.iterrows():
        ref = REF[case][f"{row['indicator']}_{row['group']}"]
        scale = 100.0 if row["measure"] == "share" else 1.0
        assert row["slope"] == pytest.approx(scale * ref["slope"], rel=RTOL)
        assert row["se"] == pytest.approx(scale * ref["se"], rel=RTOL)
        assert row["df"] == ref["df"]
        assert row["statistic"] == pytest.approx(ref["t"], rel=RTOL)
        assert row["p_value"] == pytest.approx(ref["p"], rel=RTOL)
        assert row["ci_low"] < row["slope"] < row["ci_high"]
        assert row["waves"] == "1999; 2000; 2001" and row["note"] == ""
    assert set(table["measure"]) == {"share", "mean"}


def test_trend_measure_defaults_from_the_answers():
    data, design = DESIGNS["srs"]
    table = trend_table(data, ["y", "z"], "x", design)
    assert dict(zip(table["indicator"], table["measure"])) == {"y": "share", "z": "mean"}


def test_trend_table_is_header_only_below_three_waves():
    data, design = DESIGNS["design"]
    two = data[data["wave"] != "2000"]
    table = trend_table(two, ["y"], "x", design.model_copy(update={"waves": ("1999", "2001")}))
    assert list(table.columns) == TREND_COLUMNS and table.empty


def test_trend_of_a_group_with_one_wave_is_not_estimable():
    """Men answer only in 2001: no slope, no test, and the note says why."""
    data, design = DESIGNS["srs"]
    data = data[(data["sex"] == "Female") | (data["wave"] == "2001")]
    table = trend_table(data, ["y"], "x", design)
    men = table[table["group"] == "Male"].iloc[0]
    assert np.isnan(men["slope"]) and np.isnan(men["p_value"]) and men["test"] == ""
    assert men["note"].startswith("not estimable: answers in fewer than two waves")
    assert table.loc[table["group"] == "Female", "p_value"].notna().all()


def test_trend_without_variance_is_not_estimable():
    """Every answer exactly on the line (y = wave number): a slope of 1 and no design variance."""
    data, design = DESIGNS["srs"]
    data = data.assign(z=data["wave"].map({"1999": 0.0, "2000": 1.0, "2001": 2.0}))
    row = trend_table(data, ["z"], "x", design, group_vars=()).iloc[0]
    assert row["slope"] == pytest.approx(1.0) and np.isnan(row["se"])
    assert "no design variance" in row["note"] and np.isnan(row["p_value"])


@pytest.mark.parametrize("case", ["design", "srs"])
def test_three_wave_shifts_match_r(case):
    """The 2000 -> 2001 and 1999 -> 2001 rows of a three-wave shift table: R svyglm on the subset
    of the two waves (design-based) and prop.test without correction (simple random samples)."""
    data, design = DESIGNS[case]
    table = shift_table(data, Y, "x", design)
    assert list(table.columns) == SHIFT_COLUMNS
    pairs = list(dict.fromkeys(zip(table["from_wave"], table["to_wave"])))
    assert pairs == [("1999", "2000"), ("2000", "2001"), ("1999", "2001")]
    for first, last in (("2000", "2001"), ("1999", "2001")):
        ref = REF["shifts"][f"{case}_{first}_{last}"]
        row = table[
            (table["group_var"] == "overall")
            & (table["from_wave"] == first)
            & (table["to_wave"] == last)
        ].iloc[0]
        assert row["diff_pp"] == pytest.approx(100 * ref["diff"], rel=RTOL)
        assert row["p_value"] == pytest.approx(ref["p"], rel=RTOL)
        if case == "design":
            assert row["df"] == ref["df"]
            se = (row["diff_ci_high"] - row["diff_ci_low"]) / 2
            assert row["diff_pp"] / row["statistic"] == pytest.approx(100 * ref["se"], rel=RTOL)
            assert se > 0
        else:
            assert row["statistic"] == pytest.approx(ref["statistic"], rel=RTOL)


def test_holm_is_one_family_over_every_comparison():
    from statsmodels.stats.multitest import multipletests

    data, design = DESIGNS["design"]
    table = shift_table(data, Y, "x", design)
    tested = table["p_value"].notna()
    assert table["to_wave"].nunique() == 2 and tested.sum() > 3
    expected = multipletests(table.loc[tested, "p_value"], method="holm")[1]
    np.testing.assert_allclose(table.loc[tested, "p_holm"], expected, rtol=1e-12)


def test_configured_comparisons_choose_the_rows():
    data, design = DESIGNS["srs"]
    only = design.model_copy(update={"comparisons": (("1999", "2001"),)})
    table = shift_table(data, Y, "x", only)
    assert set(zip(table["from_wave"], table["to_wave"])) == {("1999", "2001")}


def test_default_comparisons():
    assert default_comparisons(("a", "b")) == (("a", "b"),)
    assert default_comparisons(("a", "b", "c")) == (("a", "b"), ("b", "c"), ("a", "c"))
    assert default_comparisons(("a",)) == ()
    assert Design(waves=(1999, 2000)).waves == ("1999", "2000")  # names, never numbers
    assert Design().with_waves(("1999", "2000", "2001")).comparisons == (
        ("1999", "2000"),
        ("2000", "2001"),
        ("1999", "2001"),
    )
    assert compared_waves(Design(waves=WAVES), ["1999", "2001"]) == [("1999", "2001")]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    design_based=st.booleans(),
)
def test_reversing_the_waves_negates_the_change(seed, design_based):
    """Reversing the configured order of the waves compares each pair the other way: diff_pp
    negated, the interval mirrored, the p-value unchanged."""
    rng = np.random.default_rng(seed)
    n = 120
    data = pd.DataFrame(
        {
            "wave": rng.choice(list(WAVES), n),
            "sex": rng.choice(["Female", "Male"], n),
            "y": rng.integers(0, 2, n).astype(float),
            "psu": rng.integers(0, 6, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    extra = {"type": "clustered", "cluster": "psu", "weight": "w"} if design_based else {}
    forward = shift_table(data, Y, "x", Design(waves=WAVES, **extra))
    back = shift_table(data, Y, "x", Design(waves=WAVES[::-1], **extra))
    key = ["group_var", "group", "first", "last"]

    def keyed(table, flip):
        a, b = table["from_wave"], table["to_wave"]
        return table.assign(first=b if flip else a, last=a if flip else b).set_index(key)

    f, r = keyed(forward, False), keyed(back, True)
    assert sorted(f.index) == sorted(r.index)
    r = r.loc[f.index]
    np.testing.assert_allclose(r["diff_pp"], -f["diff_pp"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["diff_ci_low"], -f["diff_ci_high"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["diff_ci_high"], -f["diff_ci_low"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["p_value"], f["p_value"], rtol=1e-9, atol=1e-12)


def _country(comparisons, waves=WAVES):
    return {
        "datasets": {
            "respondents": {
                "sources": [{"wave": w, "file": f"{w}.csv"} for w in waves],
                "variables": {},
                "design": {"type": "independent", "comparisons": comparisons},
            }
        }
    }


@pytest.mark.parametrize(
    ("comparisons", "says"),
    [
        ([["1999", "2002"]], "'2002' is not a wave of its sources"),
        ([["2001", "1999"]], "goes from '2001' back to the earlier wave '1999'"),
        ([["2000", "2000"]], "compares wave '2000' with itself"),
        ([["1999", "2000"], [1999, 2000]], "lists [1999, 2000] twice"),
    ],
)
def test_comparisons_config_errors(comparisons, says):
    from analysis.config import check_design

    with pytest.raises(InputError) as err:
        check_design(_country(comparisons), "config/countries/x.yaml")
    assert says in str(err.value) and "comparisons" in str(err.value)
    assert err.value.file == "config/countries/x.yaml" and err.value.key == "comparisons"


def test_comparisons_config_accepts_numbers_as_wave_names():
    from analysis.config import check_design

    check_design(_country([[1999, 2001], ["2000", "2001"]]), "config/countries/x.yaml")


def test_three_wave_panel_pairs_are_matched_per_comparison():
    """A simple random panel: each comparison's pairs are the people answering in both of its
    waves, the rest counted as unmatched."""
    design = DESIGNS["panel"][1]
    table = shift_table(PANEL_DATA, Y, "x", design)
    overall = table[table["group_var"] == "overall"].set_index(["from_wave", "to_wave"])
    answered = PANEL_DATA.dropna(subset=["y"]).groupby("wave")["respondent_id"].agg(set)
    for first, last in (("1999", "2000"), ("2000", "2001"), ("1999", "2001")):
        both = answered[first] & answered[last]
        row = overall.loc[(first, last)]
        assert row["pairs_n"] == len(both)
        assert row["unmatched_from"] == len(answered[first] - both)
        assert row["unmatched_to"] == len(answered[last] - both)
        later = PANEL_DATA[PANEL_DATA["respondent_id"].isin(both)].set_index(["wave"])
        change = (
            later.loc[last].set_index("respondent_id")["y"]
            - later.loc[first].set_index("respondent_id")["y"]
        )
        assert row["diff_pp"] == pytest.approx(100 * change.mean(), rel=1e-12)


def test_first_to_last_rows_answer_a_claims_baseline_and_endline():
    from analysis.audit.recompute import first_to_last

    table = shift_table(*DESIGNS["srs"][:1], Y, "x", DESIGNS["srs"][1])
    rows = first_to_last(table.assign(from_wave=table["from_wave"].astype(float)))
    assert len(rows) and set(rows["to_wave"]) == {"2001"}
    assert set(rows["from_wave"]) == {1999.0}  # read back as a number: still the first wave
    two = table[(table["from_wave"] == "2000") & (table["to_wave"] == "2001")]
    assert first_to_last(two).equals(two)


def test_comparisons_from_the_country_yaml(tmp_path):
    """`design.comparisons` read from a country config (numbers are wave names); a comparison
    backwards stops the load with the file and key named."""
    import yaml

    from analysis.config import load_project
    from tests.conftest import copy_project

    root = copy_project(tmp_path)
    path = root / "config" / "countries" / "example_country.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    design = doc["datasets"]["respondents"]["design"]
    design["comparisons"] = [["baseline", "endline"]]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    loaded = load_project(root).countries["example_country"].datasets["respondents"].design
    assert loaded.comparisons == (("baseline", "endline"),)
    design["comparisons"] = [["endline", "baseline"]]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.file == "config/countries/example_country.yaml"
    assert "back to the earlier wave 'baseline'" in str(err.value)


def test_trend_on_normal_quantiles():
    """`ci_df: normal`: the same slope and SE, p from the normal (df keeps the design's)."""
    from scipy import stats

    data, design = DESIGNS["design"]
    row = trend_table(data, ["y"], "x", design.model_copy(update={"ci_df": "normal"}))
    row = row[row["group_var"] == "overall"].iloc[0]
    ref = REF["design"]["y_All"]
    assert row["se"] == pytest.approx(100 * ref["se"], rel=RTOL) and row["df"] == ref["df"]
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(ref["t"])), rel=RTOL)
    assert "(normal)" in row["test"]
