"""The design engine against R `survey` 4.1.1 (issue 15): independent waves as separate samples
(`clusters_revisited`), domain degrees of freedom, lonely-PSU rules. Reference values and the R
calls: tests/fixtures/reference/engine_reference.R -> engine_reference.json (data:
engine_waves.csv, made by the same script with a fixed seed)."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.config import validate
from analysis.errors import InputError
from analysis.model import Design
from analysis.survey.estimates import estimate_table
from analysis.survey.shifts import INTERACTION, shift_table
from tests.conftest import FIXTURES, ONE_INDICATOR, ROOT

FIX = FIXTURES / "reference"
REF = json.loads((FIX / "engine_reference.json").read_text())
REL = 1e-6
IND = ONE_INDICATOR
BASE = dict(type="independent", cluster="psu", weight="w", strata="stratum")


def _read() -> pd.DataFrame:
    d = pd.read_csv(FIX / "engine_waves.csv")
    d["ind"] = d["y"].astype("Int64")
    d["psu"] = d["psu"].astype(str)
    d["respondent_id"] = d["respondent_id"].astype(str)
    return d


@pytest.fixture(scope="module")
def waves() -> pd.DataFrame:
    return _read()


@pytest.fixture(scope="module")
def lonely_waves() -> pd.DataFrame:
    """Baseline stratum C keeps only cluster 9: a lonely PSU (as the R script's `dl`)."""
    d = _read()
    drop = (d["wave"] == "baseline") & (d["stratum"] == "C") & (d["psu"] != "9")
    return d[~drop].reset_index(drop=True)


def _shift_rows(data: pd.DataFrame, design: Design) -> pd.DataFrame:
    return shift_table(data, IND, "x", design, min_group_n=1).set_index("group")


def _check_contrast(table: pd.DataFrame, ref: dict, normal: bool = False) -> None:
    for r in ref["rows"]:
        row = table.loc[r["group"]]
        assert row["diff_pp"] / 100 == pytest.approx(r["estimate"], rel=REL)
        assert (row["diff_ci_high"] - row["diff_pp"]) > 0
        assert row["df"] == r["df"]
        assert row["p_value"] == pytest.approx(r["p_value"], rel=REL)
        se = (row["diff_ci_high"] - row["diff_ci_low"]) / 200
        q = stats.norm.ppf(0.975) if normal else stats.t.ppf(0.975, r["df"])
        assert se / q == pytest.approx(r["se"], rel=REL)
    inter = table.loc[INTERACTION]
    assert inter["diff_pp"] / 100 == pytest.approx(ref["interaction"]["estimate"], rel=REL)
    assert inter["df"] == ref["interaction"]["df"]
    assert inter["p_value"] == pytest.approx(ref["interaction"]["p_value"], rel=REL)


def test_independent_waves_are_separate_samples_by_default(waves):
    """Default `clusters_revisited: false`: strata = wave x stratum, PSUs nested in waves, as R
    svyglm(y ~ wave) on svydesign(strata = ~interaction(wave, stratum), nest = TRUE)."""
    assert Design(**BASE).clusters_revisited is False
    _check_contrast(_shift_rows(waves, Design(**BASE)), REF["independent"])


def test_clusters_revisited_shares_strata_and_clusters(waves):
    """`clusters_revisited: true`: the same cluster labels are the same clusters in both waves
    (R svydesign(strata = ~stratum, nest = TRUE) on the stacked waves)."""
    table = _shift_rows(waves, Design(**BASE, clusters_revisited=True))
    _check_contrast(table, REF["revisited"])


def _check_estimates(est: pd.DataFrame, rows: list[dict], beta: pd.DataFrame | None = None):
    for r in rows:
        row = est.loc[(r["wave"], r["group"])]
        assert row["n"] == r["n"]
        assert row["percent"] / 100 == pytest.approx(r["p"], rel=REL)
        assert row["se_pp"] / 100 == pytest.approx(r["se"], rel=REL)
        assert r["df"] is None or row["df"] == r["df"]  # None: df = Inf (normal)
        assert row["ci_low"] / 100 == pytest.approx(r["logit_low"], rel=REL)
        assert row["ci_high"] / 100 == pytest.approx(r["logit_high"], rel=REL)
        if beta is not None:
            b = beta.loc[(r["wave"], r["group"])]
            assert b["ci_low"] / 100 == pytest.approx(r["beta_low"], rel=REL)
            assert b["ci_high"] / 100 == pytest.approx(r["beta_high"], rel=REL)


def _estimates(data: pd.DataFrame, design: Design) -> pd.DataFrame:
    est = estimate_table(data, IND, "x", design, ["sex"], min_group_n=1)
    return est.set_index(["wave", "group"])


def test_domain_estimates_use_the_domains_df(waves):
    """A domain missing from some PSUs and strata (men) gets R's degf(subset(des, sex == 'Male' &
    !is.na(y))) and svyciprop's logit and beta intervals on it."""
    est = _estimates(waves, Design(**BASE))
    beta = _estimates(waves, Design(**BASE, ci_method="beta"))
    _check_estimates(est, REF["domains"]["rows"], beta)
    men = est.loc[("endline", "Male")]
    assert men["df"] < est.loc[("endline", "All")]["df"]


def test_lonely_psu_fails_by_default_naming_the_stratum(lonely_waves):
    with pytest.raises(InputError) as err:
        _estimates(lonely_waves, Design(**BASE))
    assert "stratum 'C'" in str(err.value) and "lonely_psu" in str(err.value)
    assert "Stratum (C)" in REF["lonely"]["fail"]["error"]


@pytest.mark.parametrize("rule", ["adjust", "average", "certainty", "remove"])
def test_lonely_psu_rules_match_r(lonely_waves, rule):
    design = Design(**BASE, lonely_psu=rule)
    est = _estimates(lonely_waves, design)
    beta = _estimates(lonely_waves, Design(**BASE, lonely_psu=rule, ci_method="beta"))
    _check_estimates(est, REF["lonely"][rule]["estimates"], beta)
    _check_contrast(_shift_rows(lonely_waves, design), REF["lonely"][rule]["contrast"])


def test_a_wave_of_lonely_strata_still_stops(lonely_waves):
    """Every stratum of a wave with one PSU leaves no degrees of freedom: an InputError under any
    rule, never a NaN."""
    one = lonely_waves[
        lonely_waves["psu"].isin(["1", "5", "9"]) | (lonely_waves["wave"] == "endline")
    ]
    with pytest.raises(InputError):
        _estimates(one, Design(**BASE, lonely_psu="adjust"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), revisited=st.booleans())
def test_design_contrast_invariants(waves, seed, revisited):
    """Any resampling of clusters: the interval contains the change, has positive width, p in
    [0, 1], and df = PSUs with answers - strata - 1 >= 1."""
    rng = np.random.default_rng(seed)
    keep = {
        (w, p) for w, p in waves[["wave", "psu"]].drop_duplicates().to_numpy() if rng.random() < 0.8
    }
    sub = waves[[(w, p) in keep for w, p in waves[["wave", "psu"]].to_numpy()]]
    design = Design(**BASE, clusters_revisited=revisited, lonely_psu="certainty")
    try:
        row = _shift_rows(sub, design).loc["All"]
    except InputError:
        return
    if np.isfinite(row["p_value"]):
        assert row["diff_ci_low"] <= row["diff_pp"] <= row["diff_ci_high"]
        assert row["diff_ci_high"] > row["diff_ci_low"]
        assert 0 <= row["p_value"] <= 1
        assert row["df"] >= 1


@pytest.mark.parametrize(("key", "value"), [("lonely_psu", "drop"), ("clusters_revisited", "yes")])
def test_a_bad_design_setting_is_an_input_error_naming_the_key(key, value):
    country = yaml.safe_load((ROOT / "config/countries/example_country.yaml").read_text())
    country["datasets"]["respondents"]["design"][key] = value
    with pytest.raises(InputError) as err:
        validate(country, "country", "config/countries/example_country.yaml")
    assert key in str(err.value) and "example_country.yaml" in str(err.value)


@pytest.mark.parametrize(("variable", "key"), [("N", "count"), ("frac", "fraction")])
def test_finite_population_correction_matches_r(waves, variable, key):
    """`fpc:` as population PSUs per stratum or as the sampling fraction: R svydesign(fpc = ~N) and
    fpc = ~frac give the same estimates; the change uses separate waves with their own fpc."""
    design = Design(**BASE, fpc=variable)
    est = _estimates(waves, design)
    beta = _estimates(waves, Design(**BASE, fpc=variable, ci_method="beta"))
    _check_estimates(est, REF["fpc"][key], beta)
    _check_contrast(_shift_rows(waves, design), REF["fpc"]["contrast"])
    plain = _estimates(waves, Design(**BASE))
    assert (est["se_pp"] < plain["se_pp"]).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(N=d["N"].where(d.index != 3)), "missing"),
        (lambda d: d.assign(N=np.where(d.index == 3, 11, d["N"])), "several values"),
        (lambda d: d.assign(N=np.where(d["stratum"] == "C", 3, d["N"])), "100% sampling"),
    ],
)
def test_a_bad_fpc_is_an_input_error(waves, change, message):
    with pytest.raises(InputError) as err:
        _estimates(change(waves.copy()), Design(**BASE, fpc="N"))
    assert message in str(err.value) and "design.fpc" in str(err.value)


def test_normal_intervals_and_tests_match_r(waves):
    """`ci_df: normal`: logit intervals with df = Inf (R svyciprop(df = Inf)) and z tests of the
    change (R summary(svyglm(...), df.resid = Inf)); the df column keeps the design's."""
    design = Design(**BASE, ci_df="normal")
    est = _estimates(waves, design)
    _check_estimates(est, REF["normal"]["rows"])
    assert est["ci_method"].eq("design-based logit (normal)").all()
    assert est.loc[("endline", "Male"), "df"] == 6
    table = _shift_rows(waves, design)
    _check_contrast(table, REF["normal"]["contrast"], normal=True)
    assert table.loc[INTERACTION, "test"] == "design-based Wald z (wave x sex interaction, normal)"
    assert (table["p_value"] < _shift_rows(waves, Design(**BASE))["p_value"]).all()


@pytest.mark.parametrize("weight", [0.0, -1.0, np.nan])
def test_zero_or_missing_weights_are_rejected(waves, weight):
    """A zero weight would count in n, df and deff but not in the estimate: an InputError."""
    bad = waves.assign(w=np.where(waves.index == 5, weight, waves["w"]))
    with pytest.raises(InputError) as err:
        _estimates(bad, Design(**BASE))
    assert "design.weight" in str(err.value) and "zero, negative or missing" in str(err.value)
    with pytest.raises(InputError):
        _shift_rows(bad, Design(**BASE))


PANEL = Design(
    type="panel", panel_key="respondent_id", cluster="psu_id", weight="w", strata="stratum"
)


def _panel_long() -> pd.DataFrame:
    """panel_sample.csv in long form; the longitudinal weight lw (engine_panel.csv) only on the
    endline records, as a longitudinal weight made after attrition would be."""
    pn = pd.read_csv(FIX / "panel_sample.csv").merge(pd.read_csv(FIX / "engine_panel.csv"))
    long = pd.concat(
        [
            pn.assign(wave="baseline", ind=pn["y_baseline"], lw=np.nan),
            pn.assign(wave="endline", ind=pn["y_endline"], w=pn["w"] * 0.5),
        ]
    )
    return long.assign(
        respondent_id=long["id"],
        sex="Female",
        psu_id=long["stratum"].astype(str) + "/" + long["psu"],
    ).astype({"ind": "Int64"})


def test_weighted_panel_design_effect_uses_the_weights():
    """The panel change's deff is var / (svyvar(change) / n) with the weighted svyvar, as R
    svymean(~change, pdes, deff = "replace") (before: the unweighted variance of the change,
    1.825 instead of 1.788 here). Pairs carry their baseline weight by default, and say so."""
    row = shift_table(_panel_long(), IND, "x", PANEL).iloc[0]
    ref = REF["panel_deff"]
    assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
    assert row["deff"] == pytest.approx(ref["deff"], rel=REL)
    assert row["deff"] != pytest.approx(ref["unweighted_srs_deff"], rel=1e-3)
    assert row["note"] == "pairs weighted by 'w' of their wave 'baseline' record"


def test_panel_weight_is_read_from_the_endline_record():
    """`panel_weight: lw`: the change is weighted by each pair's longitudinal weight, as R
    svyglm(change ~ 1, svydesign(weights = ~lw, ...)), and the note says so."""
    design = PANEL.model_copy(update={"panel_weight": "lw"})
    row = shift_table(_panel_long(), IND, "x", design).iloc[0]
    ref = REF["panel_weight"]
    assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
    assert row["df"] == ref["df"]
    assert row["deff"] == pytest.approx(ref["deff"], rel=REL)
    se = (row["diff_ci_high"] - row["diff_ci_low"]) / 200 / stats.t.ppf(0.975, ref["df"])
    assert se == pytest.approx(ref["se"], rel=REL)
    assert row["note"] == "pairs weighted by 'lw' of their wave 'endline' record"


def test_separate_waves_do_not_depend_on_cluster_labels(waves):
    """Clusters nested in waves: wave-unique labels give the same R values as recurring ones
    (before issue 15, wave-unique labels in shared strata gave an SE of 14.2 instead of 6.8 pp)."""
    relabelled = waves.assign(psu=waves["wave"].str[0] + waves["psu"])
    _check_contrast(_shift_rows(relabelled, Design(**BASE)), REF["independent"])


PAIRS_REF = json.loads((FIX / "pairs_reference.json").read_text())


@pytest.mark.parametrize("weight", ["w", "lw"])
def test_weighted_panel_rows_show_the_matched_pairs_weighted_percents(weight):
    """pairs_from_pct / pairs_to_pct of a design-based panel are the pairs' weighted
    percents (pairs weighted as the change is), as R svymean(~y_baseline + y_endline) on the pair
    design (pairs_reference.R); their difference is the row's change."""
    design = PANEL if weight == "w" else PANEL.model_copy(update={"panel_weight": "lw"})
    row = shift_table(_panel_long(), IND, "x", design).iloc[0]
    ref = PAIRS_REF[weight]
    assert row["pairs_n"] == ref["n"]
    assert row["pairs_from_pct"] == pytest.approx(100 * ref["baseline"], rel=REL)
    assert row["pairs_to_pct"] == pytest.approx(100 * ref["endline"], rel=REL)
    change = row["pairs_to_pct"] - row["pairs_from_pct"]
    assert row["diff_pp"] == pytest.approx(change, rel=1e-9)


def test_design_change_from_a_zero_percent_wave_says_its_variance_is_one_sided():
    """A design-based change between independent waves where one wave answers all alike (0%)
    keeps its test (as R svyglm) but its note says the variance counts only the other wave."""
    rng = np.random.default_rng(1)
    n = 200
    d = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(2 * n)],
            "wave": ["baseline"] * n + ["endline"] * n,
            "sex": rng.choice(["Female", "Male"], 2 * n),
            "psu": rng.integers(0, 10, 2 * n).astype(str),
            "w": rng.uniform(1, 3, 2 * n),
        }
    )
    d["ind"] = pd.array(np.where(d["wave"] == "baseline", 0, rng.integers(0, 2, 2 * n)), "Int64")
    design = Design(type="independent", cluster="psu", weight="w", waves=("baseline", "endline"))
    table = shift_table(d, IND, "x", design)
    rows = table[table["group"].isin(["All", "Female", "Male"])]
    assert (
        rows["p_value"].between(0, 1).all() and (rows["diff_ci_high"] > rows["diff_ci_low"]).all()
    )
    assert rows["note"].str.contains("every answer in wave 'baseline' is 0%, which adds no").all()
    varied = d.assign(ind=pd.array(rng.integers(0, 2, 2 * n), "Int64"))
    assert not shift_table(varied, IND, "x", design)["note"].str.contains("adds no").any()
