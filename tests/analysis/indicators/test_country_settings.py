"""A country's `settings:` reach its statistics (and only its own): `min_group_n` raised for rwanda
drops rwanda's subgroup estimates."""

from __future__ import annotations

import pandas as pd

from analysis.cleaning.clean import clean_dataset, parquet_bytes
from analysis.cli import main
from analysis.config import load_project

from .test_config import _root


def test_country_min_group_n_reaches_the_statistics(tmp_path):
    plain = _root(tmp_path / "plain", {})
    strict = _root(tmp_path / "strict", {}, {"settings": {"min_group_n": 100_000}})
    data = tmp_path / "respondents.parquet"
    data.write_bytes(
        parquet_bytes(clean_dataset(load_project(plain), "rwanda", "respondents").data)
    )
    groups = {}
    for name, root in (("plain", plain), ("strict", strict)):
        out = tmp_path / f"{name}_estimates.csv"
        args = ["--root", str(root), "statistics", "--country", "rwanda", "--data", str(data)]
        assert main([*args, "--estimates", str(out)]) == 0
        groups[name] = set(pd.read_csv(out)["group_var"])
    assert {"overall", "sex"} <= groups["plain"]
    assert groups["strict"] == {"overall"}  # overall rows are always reported
