"""Power and minimum detectable change (analysis.survey.power, power.csv).

Reference values: tests/fixtures/reference/power_reference.R -> power_reference.json (R's own
`power.prop.test` and `power.t.test`, two-sided, strict = FALSE, solved with tol = 1e-12; R's
default tol is checked to its own precision). Properties with hypothesis: the mdc falls as n grows,
the n needed for the mdc of n is n, and the design effect scales the n needed.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.csv_files import read_output_csv, write_csv
from analysis.errors import InputError
from analysis.model import Settings
from analysis.survey.estimates import NOT_ESTIMABLE
from analysis.survey.power import (
    POWER_COLUMNS,
    mean_mdc,
    mean_n,
    mean_n_needed,
    power_table,
    proportion_mdc,
    proportion_n,
    proportion_n_needed,
)
from tests.conftest import FIXTURES, ROOT

REF = json.loads((FIXTURES / "reference" / "power_reference.json").read_text(encoding="utf-8"))
REL = 1e-6
SETTINGS = Settings(countries=["x"])  # alpha 0.05, power 0.8, 5 pp, 0.2 SD


# --- pinned to R ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", REF["prop_mdc"], ids=lambda c: c["call"][:60])
def test_proportion_mdc_matches_r_power_prop_test(case):
    mdc, direction = proportion_mdc(case["p"], case["n"], case["alpha"], case["power"])
    assert direction == case["direction"]
    assert mdc == pytest.approx(case["mdc_pp"], rel=REL)
    # what R gives with its default uniroot tolerance (eps^0.25 on p2: about 0.01 pp)
    assert mdc == pytest.approx(case["mdc_pp_default_tol"], abs=0.02)


def test_reference_cases_include_both_directions():
    assert {c["direction"] for c in REF["prop_mdc"]} == {"increase", "decrease"}


@pytest.mark.parametrize("case", REF["prop_n"], ids=lambda c: c["call"][:60])
def test_proportion_n_matches_r_power_prop_test(case):
    change = 100 * (case["p2"] - case["p1"])
    n = proportion_n(case["p1"], change, case["alpha"], case["power"])
    assert n == pytest.approx(case["n"], rel=REL)
    assert n == pytest.approx(case["n_default_tol"], rel=1e-3)
    for deff in (1.0, 1.37, 2.5):
        needed = proportion_n_needed(case["p1"], change, case["alpha"], case["power"], deff)
        assert needed == np.ceil(case["n"] * deff)


@pytest.mark.parametrize("case", REF["t_mdc"], ids=lambda c: c["call"][:60])
def test_mean_mdc_matches_r_power_t_test(case):
    delta = mean_mdc(case["sd"], case["n"], case["alpha"], case["power"])
    assert delta == pytest.approx(case["delta"], rel=REL)
    assert delta == pytest.approx(case["delta_default_tol"], rel=1e-3)


@pytest.mark.parametrize("case", REF["t_n"], ids=lambda c: c["call"][:60])
def test_mean_n_matches_r_power_t_test(case):
    n = mean_n(case["sd"], case["delta"], case["alpha"], case["power"])
    assert n == pytest.approx(case["n"], rel=REL)
    assert n == pytest.approx(case["n_default_tol"], rel=1e-3)
    needed = mean_n_needed(case["sd"], case["delta"], case["alpha"], case["power"], 1.6)
    assert needed == np.ceil(case["n"] * 1.6)


def test_functions_are_vectorised_and_agree_with_one_at_a_time():
    cases = REF["prop_mdc"]
    p, n = [c["p"] for c in cases], [c["n"] for c in cases]
    alpha, power = [c["alpha"] for c in cases], [c["power"] for c in cases]
    mdc, direction = proportion_mdc(p, n, alpha, power)
    assert list(direction) == [c["direction"] for c in cases]
    np.testing.assert_allclose(mdc, [c["mdc_pp"] for c in cases], rtol=REL)


# --- degenerate input: NaN only where the function says why ---------------------------------------
def test_impossible_or_undefined_input_gives_nan_not_an_error():
    mdc, direction = proportion_mdc(
        [0.0, 1.0, np.nan, 0.5, 0.5], [100, 100, 100, 0, 1e-3], 0.05, 0.8
    )
    assert np.isnan(mdc).all() and list(direction) == [""] * 5
    assert np.isnan(proportion_n([0.5, 0.98, 0.5], [0.0, 5.0, -60.0], 0.05, 0.8)).all()
    assert np.isnan(mean_mdc([0.0, np.nan, 1.0], [50, 50, 1.0], 0.05, 0.8)).all()
    assert np.isnan(mean_n([1.0, 0.0], [0.0, 1.0], 0.05, 0.8)).all()
    assert np.isnan(mean_n(1.0, 1e-4, 0.05, 0.8))  # more than 1e7 per wave
    assert mean_n(1.0, 50.0, 0.05, 0.8) == 2.0  # detectable with the smallest sample


def test_power_below_half_alpha_has_no_mdc():
    # at no change the power is alpha / 2 already: nothing to solve
    assert np.isnan(proportion_mdc(0.3, 100, 0.05, 0.01)[0])
    assert np.isnan(mean_mdc(1.0, 100, 0.05, 0.01))


# --- properties -----------------------------------------------------------------------------------
PROPS = dict(
    p=st.floats(0.02, 0.98),
    n=st.floats(20, 1e5),
    alpha=st.sampled_from([0.01, 0.05, 0.1]),
    power=st.floats(0.5, 0.95),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(**PROPS, grow=st.floats(1.01, 20))
def test_share_mdc_falls_as_n_grows_and_its_n_is_n(p, n, alpha, power, grow):
    (small, large), (d_small, d_large) = proportion_mdc(p, [n, n * grow], alpha, power)
    assert d_small != "" and d_large != ""
    if d_small == d_large:
        assert large < small
    sign = np.where(np.array([d_small, d_large]) == "increase", 1.0, -1.0)
    back = proportion_n(p, sign * np.array([small, large]), alpha, power)
    np.testing.assert_allclose(back, [n, n * grow], rtol=1e-8)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(sd=st.floats(0.01, 1e4), n=st.floats(2, 1e5), alpha=PROPS["alpha"], power=PROPS["power"])
def test_mean_mdc_falls_as_n_grows_and_its_n_is_n(sd, n, alpha, power):
    small, large = mean_mdc(sd, [n, 2 * n], alpha, power)
    assert 0 < large < small
    np.testing.assert_allclose(mean_n(sd, [small, large], alpha, power), [n, 2 * n], rtol=1e-8)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    p=st.floats(0.05, 0.9),
    change=st.floats(1, 9),
    deff=st.floats(0.3, 8),
    more=st.floats(1.0, 4.0),
)
def test_design_effect_scales_n_needed(p, change, deff, more):
    n = proportion_n(p, change, 0.05, 0.8)
    needed = proportion_n_needed(p, change, 0.05, 0.8, [deff, deff * more])
    assert needed[0] == np.ceil(n * deff) and needed[0] >= n * deff > needed[0] - 1
    assert needed[1] >= needed[0]
    sd_n = mean_n(1.0, change / 10, 0.05, 0.8)
    assert mean_n_needed(1.0, change / 10, 0.05, 0.8, deff) == np.ceil(sd_n * deff)


# --- the table ------------------------------------------------------------------------------------
DESIGN = {"design_type": "independent", "cluster": "village", "strata": "", "weight": "w"}


def _share_rows(rows, design=DESIGN):
    """estimates.csv-like rows: (indicator, wave, group_var, group, n, percent, deff)."""
    cols = ["indicator", "wave", "group_var", "group", "n", "percent", "deff"]
    frame = pd.DataFrame(rows, columns=cols).assign(country="x", **design, note="")
    return frame


def _mean_rows(rows, design=DESIGN):
    """mean_estimates.csv-like rows: (indicator, wave, group_var, group, n, mean, sd, se)."""
    cols = ["indicator", "wave", "group_var", "group", "n", "mean", "sd", "se"]
    return pd.DataFrame(rows, columns=cols).assign(
        country="x", **design, unit="USD per month", note=""
    )


ESTIMATES = _share_rows(
    [
        ("trust", "baseline", "overall", "All", 400, 30.0, 1.5),
        ("trust", "endline", "overall", "All", 420, 40.0, 1.8),
        ("trust", "baseline", "sex", "Female", 200, 33.0, 1.1),
        ("trust", "endline", "sex", "Female", 210, 45.0, 1.2),
        ("trust", "baseline", "sex", "Other", 40, 20.0, 1.0),  # absent from the last wave
        ("trust", "endline", "sex", "Male", 1, 100.0, np.nan),
        ("arms", "endline", "overall", "All", 300, 0.0, np.nan),
        ("arms", "endline", "sex", "Female", 150, 20.0, np.nan),
    ]
)
MEANS = _mean_rows(
    [
        ("income", "baseline", "overall", "All", 280, 110.0, 38.0, 3.0),
        ("income", "endline", "overall", "All", 300, 120.0, 40.0, 3.2),
        ("income", "endline", "sex", "Female", 150, 118.0, 0.0, np.nan),
        ("income", "endline", "sex", "Male", 1, 90.0, np.nan, np.nan),
    ]
)


def test_power_table_pins_the_last_wave_rows_to_r():
    table = power_table(ESTIMATES, MEANS, "x", SETTINGS)
    assert list(table.columns) == POWER_COLUMNS
    assert set(table["wave"]) == {"endline"} and "Other" not in set(table["group"])
    assert list(table["measure"]) == ["share"] * 5 + ["mean"] * 3
    trust = table[table["indicator"] == "trust"].set_index("group")
    for ref, group in zip(REF["table"]["shares"], ["All", "Female"]):
        row = trust.loc[group]
        assert row["value"] == pytest.approx(100 * ref["p"]) and row["deff"] == ref["deff"]
        assert row["n_effective"] == pytest.approx(ref["n"] / ref["deff"], rel=1e-12)
        assert row["mdc"] == pytest.approx(ref["mdc_pp"], rel=REL)
        assert row["n_needed_per_wave"] == ref["n_needed"]
        assert (row["direction"], row["target_change"], row["note"]) == ("increase", 5.0, "")
    income = table[(table["indicator"] == "income")].set_index("group").loc["All"]
    ref = REF["table"]["means"][0]
    assert income["deff"] == pytest.approx(ref["deff"], rel=1e-12)
    assert income["mdc"] == pytest.approx(ref["mdc"], rel=REL)
    assert income["n_needed_per_wave"] == ref["n_needed"]
    assert income["target_change"] == pytest.approx(0.2 * 40.0)
    assert (income["sd"], income["unit"], income["note"]) == (40.0, "USD per month", "")
    assert "power.t.test" in income["method"] and "power.prop.test" in trust.loc["All", "method"]


def test_degenerate_rows_are_kept_with_a_note_and_nothing_else_is_nan():
    table = power_table(ESTIMATES, MEANS, "x", SETTINGS).set_index(["indicator", "group"])
    notes = {
        ("trust", "Male"): "fewer than two answers",
        ("arms", "All"): "0% or 100%",
        ("arms", "Female"): "no design effect",
        ("income", "Female"): "standard deviation is zero",
        ("income", "Male"): "fewer than two answers",
    }
    for key, why in notes.items():
        row = table.loc[key]
        assert row["note"].startswith(NOT_ESTIMABLE) and why in row["note"], key
        assert pd.isna(row["mdc"]) and pd.isna(row["n_needed_per_wave"]) and row["direction"] == ""
    empty = table["mdc"].isna() | table["n_needed_per_wave"].isna()
    assert (table.loc[empty, "note"].str.startswith(NOT_ESTIMABLE)).all()
    assert not table.loc[~empty, "note"].str.startswith(NOT_ESTIMABLE).any()


def test_simple_random_samples_have_design_effect_one():
    srs = {"design_type": "independent", "cluster": np.nan, "strata": np.nan, "weight": np.nan}
    shares = _share_rows([("trust", "endline", "overall", "All", 420, 40.0, np.nan)], srs)
    means = _mean_rows([("income", "endline", "overall", "All", 300, 120.0, 40.0, 9.9)], srs)
    table = power_table(shares, means, "x", SETTINGS)
    assert list(table["deff"]) == [1.0, 1.0] and list(table["n_effective"]) == [420.0, 300.0]
    assert table["mdc"].iloc[0] == pytest.approx(proportion_mdc(0.4, 420, 0.05, 0.8)[0])
    assert table["mdc"].iloc[1] == pytest.approx(mean_mdc(40.0, 300, 0.05, 0.8))


def test_a_high_share_plans_the_detectable_decrease():
    shares = _share_rows(
        [
            ("a", "endline", "overall", "All", 25, 90.0, 1.0),  # no increase reaches the power
            ("b", "endline", "overall", "All", 2000, 97.0, 1.0),  # +5 pp would pass 100%
            ("c", "endline", "overall", "All", 20, 97.0, 1.0),  # both
        ]
    )
    table = power_table(shares, MEANS.iloc[:0], "x", SETTINGS).set_index("indicator")
    assert table.loc["a", "direction"] == "decrease"
    assert table.loc["a", "mdc"] == pytest.approx(proportion_mdc(0.9, 25, 0.05, 0.8)[0])
    assert "n_needed_per_wave is for an increase" in table.loc["a", "note"]
    assert table.loc["a", "n_needed_per_wave"] == proportion_n_needed(0.9, 5, 0.05, 0.8, 1.0)
    assert table.loc["c", "direction"] == "decrease"
    assert "mdc and n_needed_per_wave are for a decrease" in table.loc["c", "note"]
    assert table.loc["c", "n_needed_per_wave"] == proportion_n_needed(0.97, -5, 0.05, 0.8, 1.0)
    assert table.loc["b", "direction"] == "increase"
    assert table.loc["b", "n_needed_per_wave"] == proportion_n_needed(0.97, -5, 0.05, 0.8, 1.0)
    assert "n_needed_per_wave is for a decrease" in table.loc["b", "note"]
    assert not table["note"].str.startswith(NOT_ESTIMABLE).any()


def test_settings_reach_the_table():
    plain = power_table(ESTIMATES, MEANS, "x", SETTINGS)
    strict = power_table(
        ESTIMATES, MEANS, "x", SETTINGS.model_copy(update={"power": 0.9, "target_change_sd": 0.5})
    )
    assert (strict["power"] == 0.9).all()
    assert (strict["mdc"] > plain["mdc"]).sum() == plain["mdc"].notna().sum()
    mean = strict["measure"] == "mean"
    assert strict.loc[mean, "target_change"].iloc[0] == pytest.approx(0.5 * 40.0)


def test_a_missing_column_names_the_file():
    with pytest.raises(InputError) as err:
        power_table(ESTIMATES.drop(columns="deff"), MEANS, "x", SETTINGS, ("e.csv", "m.csv"))
    assert err.value.file == "e.csv" and err.value.column == "deff"


def test_empty_tables_give_the_header_only():
    table = power_table(ESTIMATES.iloc[:0], MEANS.iloc[:0], "x", SETTINGS)
    assert list(table.columns) == POWER_COLUMNS and table.empty


# --- command line ---------------------------------------------------------------------------------
def test_cli_writes_power_csv(tmp_path):
    estimates, means, out = (tmp_path / f for f in ("e.csv", "m.csv", "power.csv"))
    write_csv(ESTIMATES.assign(country="example_country"), estimates)
    write_csv(MEANS.assign(country="example_country"), means)
    args = ["--root", str(ROOT), "power", "--country", "example_country"]
    args += ["--estimates", str(estimates), "--mean-estimates", str(means), "--out", str(out)]
    assert main(args) == 0
    table = read_output_csv(out)
    assert list(table.columns) == POWER_COLUMNS and len(table) == 8
    assert set(table["country"]) == {"example_country"}
    row = table[(table["indicator"] == "trust") & (table["group"] == "All")].iloc[0]
    assert row["mdc"] == pytest.approx(REF["table"]["shares"][0]["mdc_pp"], rel=REL)
    assert row["n_needed_per_wave"] == REF["table"]["shares"][0]["n_needed"]


def test_cli_bad_table_exits_2_without_output(tmp_path, capsys):
    estimates, means, out = (tmp_path / f for f in ("e.csv", "m.csv", "power.csv"))
    write_csv(ESTIMATES.drop(columns="percent"), estimates)
    write_csv(MEANS, means)
    args = ["--root", str(ROOT), "power", "--country", "example_country"]
    args += ["--estimates", str(estimates), "--mean-estimates", str(means), "--out", str(out)]
    assert main(args) == 2
    assert "percent" in capsys.readouterr().err and not out.exists()


def test_cli_missing_table_exits_2(tmp_path, capsys):
    out = tmp_path / "power.csv"
    args = ["--root", str(ROOT), "power", "--country", "example_country"]
    args += ["--estimates", str(tmp_path / "none.csv"), "--mean-estimates", str(tmp_path / "m.csv")]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "none.csv" in err and "python -m analysis statistics" in err and not out.exists()
