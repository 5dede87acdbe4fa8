"""Mean and scale indicators pinned to R (tests/fixtures/reference/indicators_reference.R:
quantile type 7 winsorising + log1p; prorated sum and mean scale scores with a reversed item)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.indicators import scale_scores
from tests.conftest import FIXTURES

from .helpers import column, indicator

HERE = FIXTURES / "reference"
REF = json.loads((HERE / "indicators_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(HERE / "indicators_sample.csv")


def _values(items: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in items], dtype=np.float64)


def test_winsorised_log1p_mean_matches_r(sample):
    log: list = []
    ind = indicator(
        "income",
        kind="mean",
        variable="income",
        missing=[-99],
        unit="log1p USD",
        transform="log1p",
        winsorize={"lower_percentile": 5, "upper_percentile": 95},
    )
    values = column(sample, ind, log=log).to_numpy()
    np.testing.assert_allclose(values, _values(REF["winsor"]["values"]), rtol=1e-6)
    rules = pd.concat(log)["rule"]
    assert rules.str.contains("percentile").sum() == REF["winsor"]["n_changed"]
    assert rules.str.contains(f"({REF['winsor']['upper']:.10g})", regex=False).any()
    assert rules.str.contains(f"({REF['winsor']['lower']:.10g})", regex=False).any()


@pytest.mark.parametrize(
    ("score", "min_answered", "multiply", "raw_key", "reported_key"),
    [("sum", 3, 4, "sum_raw", "sum_reported"), ("mean", 4, 1, "mean_raw", "mean_raw")],
)
def test_scale_scores_match_r(sample, score, min_answered, multiply, raw_key, reported_key):
    how = indicator(
        "s",
        kind="scale",
        items=[f"w{i}" for i in range(1, 6)],
        reverse=["w3"],
        item_range=[0, 5],
        min_answered=min_answered,
        score=score,
        multiply=multiply,
        unit="points",
    ).countries["x"]
    raw, reported = scale_scores(sample, how)
    np.testing.assert_allclose(raw, _values(REF["scale"][raw_key]), rtol=1e-6)
    np.testing.assert_allclose(reported, _values(REF["scale"][reported_key]), rtol=1e-6)
