"""The data dictionary covers every harmonised variable, derived variable and indicator of each
shipped country once, with n valid per wave counted from the cleaned data, and never lists the
values of text or identifier variables."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main
from analysis.csv_files import read_output_csv
from analysis.tables.dictionary import DICTIONARY_COLUMNS, NOT_LISTED, data_dictionary
from tests.conftest import ROOT

COUNTRIES = ["rwanda", "tajikistan", "example_country"]


@pytest.fixture(scope="module")
def dictionaries(project, cleaned):
    """country -> (dictionary, {dataset: cleaned frame})"""
    out = {}
    for country, cfg in project.countries.items():
        data = {d: cleaned[(country, d)].data for d in cfg.datasets}
        out[country] = data_dictionary(project, country, data), data
    return out


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_variable_and_indicator_once(project, dictionaries, country):
    table, _ = dictionaries[country]
    cfg = project.countries[country]
    expected = [
        (kind, dataset, name)
        for dataset, spec in cfg.datasets.items()
        for kind, names in (("variable", spec.variables), ("derived", spec.derive))
        for name in names
    ]
    got = list(zip(table["entry"], table["dataset"], table["variable"]))
    assert sorted(g for g in got if g[0] != "indicator") == sorted(expected)
    indicators = [i.id for i in project.indicators_of(country)]
    assert table.loc[table["entry"] == "indicator", "variable"].tolist() == indicators
    assert not table.duplicated(["entry", "dataset", "variable"]).any()
    assert list(table.columns[: len(DICTIONARY_COLUMNS)]) == DICTIONARY_COLUMNS


@pytest.mark.parametrize("country", COUNTRIES)
def test_n_valid_per_wave_matches_the_data(project, dictionaries, country):
    """n_valid_<wave> is the count of non-missing values of the column in that wave of the
    cleaned data (empty for another dataset's wave); the waves sum to n_valid; a column not kept
    is marked and has no counts."""
    table, data = dictionaries[country]
    waves = [c.removeprefix("n_valid_") for c in table.columns if c.startswith("n_valid_")]
    for row in table.itertuples(index=False):
        frame = data[row.dataset]
        counts = [getattr(row, f"n_valid_{w}") for w in waves]
        if row.variable not in frame.columns:
            assert row.in_processed == "no" and pd.isna(row.n_valid), row.variable
            continue
        valid = frame[row.variable].notna()
        assert row.in_processed == "yes" and row.n_valid == valid.sum(), row.variable
        own = {s.wave for s in project.countries[country].datasets[row.dataset].sources}
        for wave, n in zip(waves, counts):
            if wave not in own:  # another dataset's wave: no count
                assert pd.isna(n), (row.variable, wave)
                continue
            assert n == (valid & (frame["wave"].astype(str) == wave)).sum(), (row.variable, wave)
        assert sum(n for n in counts if not pd.isna(n)) == row.n_valid, row.variable


@pytest.mark.parametrize("country", COUNTRIES)
def test_identifiers_and_text_never_listed(project, dictionaries, country):
    """Text, date and pii variables show no values (direct identifiers stay in data/raw)."""
    table, data = dictionaries[country]
    for dataset, spec in project.countries[country].datasets.items():
        for name, variable in spec.variables.items():
            row = table[(table["variable"] == name) & (table["dataset"] == dataset)].iloc[0]
            if variable.type in ("text", "date") or name in spec.pii:
                assert row["values"] == NOT_LISTED, name
            elif variable.type == "categorical" and name in data[dataset].columns:
                seen = set(data[dataset][name].dropna().astype(str))
                assert set(row["values"].split(" | ")) == seen, name


def test_rwanda_rows_say_where_each_value_comes_from(dictionaries):
    """Examples from config/countries/rwanda.yaml and config/indicators.yaml."""
    table, _ = dictionaries["rwanda"]
    by_name = table.set_index("variable")
    assert by_name.loc["sex", "source_columns"] == (
        "baseline data/raw/rwanda/rwanda_baseline_2022_surveycto.sav: gender | "
        "endline data/raw/rwanda/rwanda_endline_2023_ona.sav: sex"
    )
    assert by_name.loc["q_mixed_savings", "source_columns"] == (
        "endline data/raw/rwanda/rwanda_endline_2023_ona.sav: q_mixed_savings"
    )
    assert by_name.loc["age", "values"] == "12 to 100"
    marriage = by_name.loc["intergroup_marriage_ok"]
    assert marriage["type"] == "share" and marriage["source_columns"] == "q_marriage_other_group"
    assert "positive: Agree, Strongly agree" in marriage["definition"]
    assert by_name.loc["q_marriage_other_group", "label"].startswith("How comfortable")
    assert by_name.loc["age_band", "type"] == "bands"


def test_cli_writes_the_dictionary_csv(tmp_path, project, cleaned):
    """`python -m analysis dictionary` reads data/processed/<country>/<dataset>.parquet."""
    processed = tmp_path / "processed"
    processed.mkdir()
    for dataset in project.countries["tajikistan"].datasets:
        cleaned[("tajikistan", dataset)].data.to_parquet(processed / f"{dataset}.parquet")
    out = tmp_path / "dictionary.csv"
    args = ["--root", str(ROOT), "dictionary", "--country", "tajikistan"]
    assert main(args + ["--processed", str(processed), "--out", str(out)]) == 0
    written = read_output_csv(out)
    assert len(written) == sum(
        len(d.variables) + len(d.derive) for d in project.countries["tajikistan"].datasets.values()
    ) + len(project.indicators_of("tajikistan"))
    assert written["n_valid"].notna().sum() > 0
