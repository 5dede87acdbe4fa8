"""Composition-adjusted change (issue 17, deliverable 2), pinned to R.

calls: tests/fixtures/reference/adjusted_reference.R -> adjusted_reference.json (data:
adjusted_waves.csv, two independent cross-sections "2019" and "2021" whose share of men rises);
R svyglm(y ~ wave) (crude), svycontrast(svyby(~y, ~interaction(wave, cell), svymean, covmat = TRUE),
s) = svystandardize(by = ~cell, over = ~wave, population = s) (standardised, s = the 2021 answerers'
composition over sex x age band) and svyglm(y ~ wave + sex + age_band, family = quasibinomial() /
gaussian()) with the AME by the delta method, on a stratified clustered weighted design and on
svydesign(ids = ~1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    "design": Design(
        type="clustered", cluster="psu", strata="stratum", weight="w", waves=WAVES
    ),
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


