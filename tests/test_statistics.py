"""Estimates and shifts: design-based results against R `survey`, design routing from config, invariants."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.estimates import Design, design_of, estimate_table
from analysis.shifts import INTERACTION, shift_table

FIX = Path(__file__).parent / "fixtures" / "reference"
REF = json.loads((FIX / "reference_values.json").read_text())
REL = 1e-6
IND = [{"id": "ind", "improvement": "increase", "countries": {"x": {}}}]


@pytest.fixture(scope="module")
def sample():
    d = pd.read_csv(FIX / "design_sample.csv")
    d["respondent_id"] = np.arange(len(d)).astype(str)
    d["ind"] = d["y"].astype("Int64")
    d["psu_id"] = d["stratum"].astype(str) + "/" + d["psu"]
    return d


CLUSTERED = Design("independent", cluster="psu_id", weight="w", strata="stratum")


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_design_based_estimates_match_r_survey(sample, method):
    design = Design("independent", cluster="psu_id", weight="w", strata="stratum", ci_method=method)
    est = estimate_table(sample, IND, "x", design, ["sex"], min_group_n=1).set_index(["wave", "group"])
    for ref in REF["svymean"]:
        row = est.loc[(ref["wave"], "All" if ref["group"] == "overall" else ref["group"])]
        assert row["percent"] / 100 == pytest.approx(ref["p"], rel=REL)
        assert row["se_pp"] / 100 == pytest.approx(ref["se"], rel=REL)
        assert row["deff"] == pytest.approx(ref["deff"], rel=REL)
        if ref["group"] == "overall":
            assert row["df"] == ref["df"]
            assert row["ci_low"] / 100 == pytest.approx(ref[f"{method}_low"], rel=REL)
            assert row["ci_high"] / 100 == pytest.approx(ref[f"{method}_high"], rel=REL)


def test_design_based_shifts_match_r_svyglm(sample):
    shifts = shift_table(sample, IND, "x", CLUSTERED, min_group_n=1).set_index("group")
    for group, key in (("All", "svyglm_wave"), ("Female", "svyglm_wave_Female"), ("Male", "svyglm_wave_Male"),
                       (INTERACTION, "svyglm_interaction")):
        ref, row = REF[key], shifts.loc[group]
        assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
        assert row["statistic"] == pytest.approx(ref["t"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
        assert row["df"] == ref["df"]


def test_domains_are_subsets_of_the_design_as_in_r(sample):
    """Some people of another sex (whole PSUs among them): the by-sex changes and the interaction use every
    PSU for the variance and only the PSUs that answered for the degrees of freedom, as R svyglm on subset()."""
    ref = REF["subset_interaction"]
    d = sample.copy()
    d.loc[d["psu"].isin(ref["other_psus"]) | (np.arange(len(d)) % ref["other_every"] == 0), "sex"] = "Other"
    shifts = shift_table(d, IND, "x", CLUSTERED, min_group_n=1).set_index("group")
    for group, key in (("Female", "subset_wave_Female"), ("Male", "subset_wave_Male"), (INTERACTION, "subset_interaction")):
        ref, row = REF[key], shifts.loc[group]
        assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
        assert row["diff_pp"] / 100 / row["statistic"] == pytest.approx(ref["se"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
        assert row["df"] == ref["df"]


def test_weights_of_one_reproduce_unweighted_estimates(sample):
    endline = sample[sample["wave"] == "endline"].assign(one=1.0)
    srs = estimate_table(endline, IND, "x", Design("independent"), [], min_group_n=1).iloc[0]
    weighted = estimate_table(endline, IND, "x", Design("independent", weight="one"), [], min_group_n=1).iloc[0]
    assert weighted["percent"] == pytest.approx(srs["percent"]) and weighted["k"] == srs["k"]
    assert weighted["se_pp"] / 100 == pytest.approx(REF["srs_check"]["se"], rel=REL)   # R svydesign(ids=~1)
    assert weighted["deff"] == pytest.approx(1.0)


def _panel(rng, n=80, p0=0.3, p1=0.6):
    base = rng.random(n) < p0
    end = np.where(rng.random(n) < 0.5, base, rng.random(n) < p1)
    ids = [f"P{i}" for i in range(n)]
    frame = pd.DataFrame({"respondent_id": ids * 2, "wave": ["baseline"] * n + ["endline"] * n,
                          "sex": "Female", "ind": np.concatenate([base, end]).astype(int)})
    return frame.astype({"ind": "Int64"})


def test_panel_routes_to_mcnemar_and_counts_unmatched():
    frame = _panel(np.random.default_rng(1))
    frame = frame.drop(index=[0, 1, 2, 150])   # P0-P2 lose their baseline row, P70 its endline row
    row = shift_table(frame, IND, "x", Design("panel", panel_key="respondent_id")).iloc[0]
    assert row["test"].startswith("McNemar")
    assert row["unmatched_baseline"] == 1 and row["unmatched_endline"] == 3
    assert row["baseline_n"] == row["endline_n"] == 76


def test_independent_switches_to_fisher_with_small_expected_counts():
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(24)], "wave": ["baseline"] * 12 + ["endline"] * 12,
                          "sex": "Female", "ind": [1] * 1 + [0] * 11 + [1] * 8 + [0] * 4}).astype({"ind": "Int64"})
    row = shift_table(frame, IND, "x", Design("independent")).iloc[0]
    assert row["test"] == "Fisher exact"
    assert 0 < row["p_value"] < 1


def test_summary_only_baseline_row():
    end = pd.DataFrame({"respondent_id": [str(i) for i in range(100)], "wave": "endline", "sex": "Female",
                        "ind": [1] * 60 + [0] * 40}).astype({"ind": "Int64"})
    pub = [{"indicator": "ind", "percent": 42.0, "n": 120, "source": "paper, section 3.2.1"}]
    row = shift_table(end, IND, "x", Design("independent"), published_baselines=pub).iloc[0]
    assert row["baseline_source"] == "published" and row["baseline_k"] == 50 and row["baseline_n"] == 120
    assert row["diff_pp"] == pytest.approx(60 - 100 * 50 / 120)


def test_shipped_designs_come_from_config(project):
    assert design_of(project["countries"]["rwanda"]).type == "independent"
    assert design_of(project["countries"]["tajikistan"]).type == "panel"


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_swapping_waves_negates_difference_and_keeps_p(seed):
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(2 * n)], "wave": ["baseline"] * n + ["endline"] * n,
                          "sex": rng.choice(["Female", "Male"], 2 * n),
                          "ind": (rng.random(2 * n) < rng.uniform(0.1, 0.9)).astype(int)}).astype({"ind": "Int64"})
    swapped = frame.assign(wave=frame["wave"].map({"baseline": "endline", "endline": "baseline"}))
    a = shift_table(frame, IND, "x", Design("independent"), min_group_n=1).set_index("group")
    b = shift_table(swapped, IND, "x", Design("independent"), min_group_n=1).set_index("group")
    assert np.allclose(a["diff_pp"], -b["diff_pp"])
    assert np.allclose(a["p_value"], b["p_value"])
    assert ((a["p_value"] >= 0) & (a["p_value"] <= 1)).all()
    inside = (a["diff_ci_low"] <= a["diff_pp"] + 1e-9) & (a["diff_pp"] <= a["diff_ci_high"] + 1e-9)
    assert inside.all()
    shuffled = shift_table(frame.sample(frac=1, random_state=seed), IND, "x", Design("independent"), min_group_n=1)
    pd.testing.assert_frame_equal(shuffled.set_index("group"), a)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_design_based_invariants(seed):
    rng = np.random.default_rng(seed)
    d = pd.read_csv(FIX / "design_sample.csv").sample(frac=1, random_state=seed)
    d["respondent_id"] = np.arange(len(d)).astype(str)
    d["ind"] = (rng.random(len(d)) < 0.5).astype(int)
    d["ind"] = d["ind"].astype("Int64")
    d["psu_id"] = d["stratum"].astype(str) + "/" + d["psu"]
    est = estimate_table(d, IND, "x", CLUSTERED, ["sex"], min_group_n=1)
    assert ((est["ci_low"] <= est["percent"]) & (est["percent"] <= est["ci_high"])).all()
    sh = shift_table(d, IND, "x", CLUSTERED, min_group_n=1)
    assert ((sh["p_value"] >= 0) & (sh["p_value"] <= 1)).all()
    assert ((sh["p_holm"] >= sh["p_value"] - 1e-12) & (sh["p_bh"] <= sh["p_holm"] + 1e-12)).all()


def test_shipped_shift_tables(project):
    """Every shipped shift row has the columns the issue asks for and a valid test."""
    from analysis.shifts import SHIFT_COLUMNS
    required = ["indicator", "group", "design", "baseline_n", "baseline_k", "baseline_pct", "endline_n", "endline_k",
                "endline_pct", "diff_pp", "diff_ci_low", "diff_ci_high", "test", "statistic", "p_value", "p_holm", "p_bh",
                "cohens_h"]
    assert set(required) <= set(SHIFT_COLUMNS)


def test_weighted_clustered_panel_matches_r():
    pn = pd.read_csv(FIX / "panel_sample.csv")
    long = pd.concat([pn.assign(wave="baseline", ind=pn["y_baseline"]), pn.assign(wave="endline", ind=pn["y_endline"])])
    long = long.assign(respondent_id=long["id"], sex="Female", psu_id=long["stratum"].astype(str) + "/" + long["psu"])
    design = Design("panel", panel_key="respondent_id", cluster="psu_id", weight="w", strata="stratum")
    row = shift_table(long.astype({"ind": "Int64"}), IND, "x", design).iloc[0]
    ref = REF["panel_change"]
    assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
    assert row["statistic"] == pytest.approx(ref["t"], rel=REL)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
    assert row["df"] == ref["df"]
