"""Attrition diagnostics (analysis.survey.attrition) against R: svyglm(y ~ retention) on the
baseline design, prop.test and fisher.test for simple random samples
(tests/fixtures/reference/attrition_reference.R -> attrition_reference.json)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.model import Design, Indicator, ShareMapping
from analysis.survey.attrition import ATTRITION_COLUMNS, attrition_table
from tests.conftest import FIXTURES

REF = json.loads((FIXTURES / "reference" / "attrition_reference.json").read_text())
REL = 1e-6
ITEMS = ["trust_other_groups", "safe_at_night"]
IND = [
    Indicator(
        id=i,
        label=i,
        improvement="increase",
        countries={"x": ShareMapping(variable=i, positive=[1])},
    )
    for i in ITEMS
]
CLUSTERED = Design(
    type="panel",
    panel_key="respondent_id",
    cluster="cluster",
    strata="stratum",
    weight="weight",
    waves=("baseline", "endline"),
)
SRS = Design(type="panel", panel_key="respondent_id", waves=("baseline", "endline"))


def _two_waves(baseline: pd.DataFrame) -> pd.DataFrame:
    """Baseline rows plus an endline row for each respondent who stayed."""
    endline = baseline[baseline["stayed"] == 1].assign(wave="endline")
    return pd.concat([baseline.assign(wave="baseline"), endline], ignore_index=True)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    d = pd.read_csv(FIXTURES / "reference" / "attrition_sample.csv")
    for i in ITEMS:
        d[i] = d[i].astype("Float64")
    return _two_waves(d)


def _row(table: pd.DataFrame, item: str) -> pd.Series:
    if item == "female":
        return table[(table["variable"] == "sex") & (table["item"] == "Female")].iloc[0]
    return table[(table["kind"] == "indicator") & (table["item"] == item)].iloc[0]


@pytest.mark.parametrize("ref", REF["design"], ids=lambda r: r["item"])
def test_design_based_difference_matches_r_svyglm(sample, ref):
    table = attrition_table(sample, IND, "x", CLUSTERED, [], 0.05)
    row = _row(table, ref["item"])
    assert row["difference"] == pytest.approx(100 * ref["difference"], rel=REL)
    assert row["diff_ci_low"] == pytest.approx(100 * ref["ci_low"], rel=REL)
    assert row["diff_ci_high"] == pytest.approx(100 * ref["ci_high"], rel=REL)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
    assert row["statistic"] == pytest.approx(ref["t"], rel=REL)
    assert row["df"] == ref["df"]
    assert row["stayers_percent"] == pytest.approx(100 * ref["stayers_p"], rel=REL)
    assert row["leavers_percent"] == pytest.approx(100 * ref["leavers_p"], rel=REL)
    assert row["test"] == "design-based Wald t (linearised)"


@pytest.mark.parametrize("ref", REF["srs"], ids=lambda r: r["item"])
def test_simple_random_sample_matches_r_prop_test(sample, ref):
    table = attrition_table(sample, IND, "x", SRS, [], 0.05)
    row = _row(table, ref["item"])
    assert (row["stayers_n"], row["leavers_n"]) == (ref["ns"], ref["nl"])
    assert row["stayers_percent"] == pytest.approx(100 * ref["ks"] / ref["ns"], rel=REL)
    assert row["leavers_percent"] == pytest.approx(100 * ref["kl"] / ref["nl"], rel=REL)
    if row["test"] == "Fisher exact":
        assert row["p_value"] == pytest.approx(ref["fisher_p"], rel=REL)
    else:
        assert row["statistic"] == pytest.approx(ref["statistic"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)


def test_counts_columns_and_holm(sample):
    table = attrition_table(sample, IND, "x", SRS, ["age_band"], 0.05)
    assert list(table.columns) == ATTRITION_COLUMNS
    base = sample[sample["wave"] == "baseline"]
    assert set(table["baseline_respondents"]) == {len(base)}
    assert set(table["stayers"]) == {int(base["stayed"].sum())}
    assert set(table["variable"]) == {"sex", "age_band", "indicator"}
    # one row per category of each characteristic, whose stayer shares add to 100%
    for var in ("sex", "age_band"):
        shares = table.loc[table["variable"] == var, "stayers_percent"]
        assert shares.sum() == pytest.approx(100.0)
        assert len(shares) == base[var].nunique()
    p, holm = table["p_value"].to_numpy(float), table["p_holm"].to_numpy(float)
    assert np.all(holm >= p - 1e-15) and np.all(holm <= 1)


def test_not_a_panel_or_one_wave_gives_an_empty_table(sample):
    independent = Design(type="independent", waves=("baseline", "endline"))
    assert attrition_table(sample, IND, "x", independent, [], 0.05).empty
    one_wave = sample[sample["wave"] == "baseline"]
    table = attrition_table(one_wave, IND, "x", SRS, [], 0.05)
    assert table.empty and list(table.columns) == ATTRITION_COLUMNS


def test_nobody_left_is_not_estimable(sample):
    everyone = sample[sample["wave"] == "baseline"].assign(stayed=1)
    table = attrition_table(_two_waves(everyone), IND, "x", SRS, [], 0.05)
    assert (table["leavers"] == 0).all() and table["p_value"].isna().all()
    assert table["note"].str.startswith("not estimable: no leaver").all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from([0.0, 1.0, np.nan])), min_size=2, max_size=40)
)
def test_srs_rows_are_valid_whatever_the_split(people):
    d = pd.DataFrame(
        {
            "respondent_id": [f"p{i}" for i in range(len(people))],
            "stayed": [int(s) for s, _ in people],
            "sex": "Female",
            "age_band": "18-35",
            "trust_other_groups": pd.array([y for _, y in people], dtype="Float64"),
            "safe_at_night": pd.array([1.0] * len(people), dtype="Float64"),
        }
    )
    table = attrition_table(_two_waves(d), IND, "x", SRS, [], 0.05)
    p = table["p_value"].dropna()
    assert ((p >= 0) & (p <= 1)).all()
    tested = table.dropna(subset=["p_value"])
    assert (tested["diff_ci_low"] <= tested["difference"] + 1e-9).all()
    assert (tested["diff_ci_high"] >= tested["difference"] - 1e-9).all()
    assert (tested["diff_ci_high"] > tested["diff_ci_low"]).all()  # never a zero-width interval
    untested = table[table["p_value"].isna()]
    assert untested["note"].str.startswith("not estimable").all()
