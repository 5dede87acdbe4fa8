"""Statistics of mean indicators (issue 16) against R: t.test (one-sample, Welch, paired),
wilcox.test, survey's svymean / svyby / svyvar / svyquantile / svyglm, Hedges' g and Cohen's dz by
formula. Reference values and the R calls: tests/fixtures/reference/means_reference.R ->
means_reference.json (data: means_waves.csv, means_panel.csv, made by the same script with a fixed
seed). Property tests: a constant added to every answer moves the means by it and leaves
differences, SEs and tests alone; reversing the waves negates differences and swaps the interval."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.errors import InputError
from analysis.model import Design
from analysis.survey.means import (
    MEAN_ESTIMATE_COLUMNS,
    MEAN_SHIFT_COLUMNS,
    mean_estimate_table,
    mean_shift_table,
)
from tests.conftest import FIXTURES

FIX = FIXTURES / "reference"
REF = json.loads((FIX / "means_reference.json").read_text())
REL = 1e-6
UNITS = {"y": "USD per month"}
DESIGN = dict(cluster="psu", strata="stratum", weight="w")
PANEL = dict(type="panel", panel_key="person")


@pytest.fixture(scope="module")
def waves() -> pd.DataFrame:
    d = pd.read_csv(FIX / "means_waves.csv")
    d["psu"] = d["psu"].astype(str)
    return d


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = pd.read_csv(FIX / "means_panel.csv")
    d["psu"] = d["psu"].astype(str)
    return d


def _cell(table: pd.DataFrame, group: str, wave: str | None = None) -> pd.Series:
    """The row of R's group ("All", "Female", "Male") [in `wave`]."""
    rows = table[table["group"] == group]
    if wave is not None:
        rows = rows[rows["wave"] == wave]
    assert len(rows) == 1, (group, wave)
    return rows.iloc[0]


def _estimates(data, design: Design) -> pd.DataFrame:
    return mean_estimate_table(data, ["y"], UNITS, "x", design, ["sex"], min_group_n=1)


def _shifts(data, design: Design, **kw) -> pd.DataFrame:
    return mean_shift_table(data, ["y"], UNITS, "x", design, min_group_n=1, **kw)


def test_srs_estimates_are_t_test_intervals(waves):
    """Simple random samples: mean, sd, median, SE and the t.test interval on n - 1 df."""
    table = _estimates(waves, Design())
    assert list(table.columns) == MEAN_ESTIMATE_COLUMNS
    for r in REF["srs_estimates"]["rows"]:
        row = _cell(table, r["group"], r["wave"])
        assert row["n"] == r["n"] and row["df"] == r["df"]
        for key in ("mean", "sd", "median", "se", "ci_low", "ci_high"):
            assert row[key] == pytest.approx(r[key], rel=REL), key
        assert row["ci_method"] == "t (df = n - 1)" and row["note"] == ""
        assert row["unit"] == "USD per month"


@pytest.mark.parametrize("case, fpc", [("design_estimates", None), ("design_estimates_fpc", "N")])
def test_design_estimates_are_svymean_with_domain_df(waves, case, fpc):
    """Clustered, stratified, weighted (with and without fpc): svymean's linearised SE on subset(),
    confint(df = degf(subset)), svyvar's SD, svyquantile's median; svyby gives the same SE."""
    table = _estimates(waves, Design(**DESIGN, fpc=fpc))
    for r in REF[case]["rows"]:
        row = _cell(table, r["group"], r["wave"])
        assert row["n"] == r["n"] and row["df"] == r["df"]
        for key in ("mean", "se", "ci_low", "ci_high", "sd", "median"):
            assert row[key] == pytest.approx(r[key], rel=REL), key
        if r["svyby_se"] is not None:
            assert row["se"] == pytest.approx(r["svyby_se"], rel=REL)
        assert row["ci_method"] == "design-based t (linearised)"
    males = _cell(table, "Male", "baseline")  # absent from 2 of the wave's 12 clusters
    assert males["df"] == 7


def test_design_estimates_on_the_normal_quantile(waves):
    """`ci_df: normal`: confint(svymean) without df; the df column keeps the design's."""
    table = _estimates(waves, Design(**DESIGN, ci_df="normal"))
    for r in REF["design_estimates"]["rows"]:
        row = _cell(table, r["group"], r["wave"])
        assert row["ci_low"] == pytest.approx(r["ci_low_normal"], rel=REL)
        assert row["ci_high"] == pytest.approx(r["ci_high_normal"], rel=REL)
        assert row["df"] == r["df"]
        assert row["ci_method"] == "design-based t (linearised) (normal)"


def test_welch_shifts_and_hedges_g(waves):
    """Independent simple random samples: t.test(endline, baseline, var.equal = FALSE) and
    Hedges' g with the exact small-sample correction."""
    table = _shifts(waves, Design())
    assert list(table.columns) == MEAN_SHIFT_COLUMNS
    for r in REF["welch"]["rows"]:
        row = _cell(table, r["group"])
        for key in ("diff", "statistic", "df", "p_value", "ci_low", "ci_high"):
            assert row[key] == pytest.approx(r[key], rel=REL), key
        assert row["effect_size"] == pytest.approx(r["hedges_g"], rel=REL)
        assert row["effect_size_kind"] == "hedges_g"
        assert row["diff"] == pytest.approx(row["to_mean"] - row["from_mean"], rel=1e-12)
    assert (table["from_wave"] == "baseline").all() and (table["to_wave"] == "endline").all()


@pytest.mark.parametrize(
    "case, revisited", [("contrast_separate", False), ("contrast_revisited", True)]
)
def test_design_contrast_is_svyglm_on_the_stacked_waves(waves, case, revisited):
    """Design-based independent waves: svyglm(y ~ wave) with strata = wave x stratum (separate
    samples, the default) or shared strata and clusters (`clusters_revisited: true`)."""
    table = _shifts(waves, Design(**DESIGN, clusters_revisited=revisited))
    for r in REF[case]["rows"]:
        row = _cell(table, r["group"])
        assert row["diff"] == pytest.approx(r["estimate"], rel=REL)
        assert row["statistic"] == pytest.approx(r["statistic"], rel=REL)
        assert row["p_value"] == pytest.approx(r["p_value"], rel=REL)
        assert row["df"] == r["df"]
        se = (row["ci_high"] - row["ci_low"]) / (2 * stats.t.ppf(0.975, r["df"]))
        assert se == pytest.approx(r["se"], rel=REL)
        assert row["effect_size_kind"] == "hedges_g" and np.isfinite(row["effect_size"])


def test_paired_t_wilcoxon_and_dz(panel):
    """Simple random panel: paired t.test and wilcox.test(paired, exact = FALSE, correct = TRUE)
    on the matched pairs, Cohen's dz; n and means are the pairs'."""
    table = _shifts(panel, Design(**PANEL))
    for r in REF["paired"]["rows"]:
        row = _cell(table, r["group"])
        assert row["from_n"] == row["to_n"] == row["pairs_n"] == r["n"]
        for key in ("from_mean", "to_mean", "diff", "statistic", "df", "p_value"):
            assert row[key] == pytest.approx(r[key], rel=REL), key
        assert row["ci_low"] == pytest.approx(r["ci_low"], rel=REL)
        assert row["ci_high"] == pytest.approx(r["ci_high"], rel=REL)
        assert row["effect_size"] == pytest.approx(r["cohens_dz"], rel=REL)
        assert row["effect_size_kind"] == "cohens_dz"
        assert row["wilcoxon_statistic"] == pytest.approx(r["wilcoxon_statistic"], rel=REL)
        assert row["wilcoxon_p"] == pytest.approx(r["wilcoxon_p"], rel=REL)
        assert r["zero_differences"] > 0  # the data exercise the zero and ties corrections
    overall = _cell(table, "All")
    assert overall["unmatched_from"] == 18 and overall["unmatched_to"] == 8


def test_design_panel_is_the_linearised_mean_change(panel):
    """Design-based panel: svymean(~I(y2 - y1)) on the pair design (baseline weights), t on
    degf; the pairs' weighted means; dz = mean change / svyvar SD of the change."""
    table = _shifts(panel, Design(**PANEL, **DESIGN))
    for r in REF["design_paired"]["rows"]:
        row = _cell(table, r["group"])
        assert row["pairs_n"] == r["n"]
        for key in ("statistic", "p_value", "ci_low", "ci_high", "from_mean", "to_mean"):
            assert row[key] == pytest.approx(r[key], rel=REL), key
        assert row["diff"] == pytest.approx(r["estimate"], rel=REL)
        assert row["df"] == r["df"] == r["glm_df"]
        assert row["effect_size"] == pytest.approx(r["estimate"] / r["sd_change"], rel=REL)
        assert np.isnan(row["wilcoxon_p"])
        assert "pairs weighted by 'w' of their wave 'baseline' record" in row["note"]


def test_holm_within_the_family_keeps_raw_p(waves):
    table = _shifts(waves, Design())
    tested = table["p_value"].notna()
    expected = multipletests(table.loc[tested, "p_value"], method="holm")[1]
    assert table.loc[tested, "p_holm"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert (table.loc[tested, "significant_holm"] == (table.loc[tested, "p_holm"] < 0.05)).all()
    assert table.loc[~tested, "significant_holm"].isna().all()


def _three_waves(seed: int = 3) -> pd.DataFrame:
    """Three independent simple random waves of a right-skewed income, named like years; men
    absent in '2000'; one woman only in '2001'; every answer in wave '2001' for men alike."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave, shift in (("1999", 0.0), ("2000", 0.2), ("2001", 0.4)):
        n = 40
        sex = np.where(np.arange(n) < 20, "Female", "Male")
        y = np.round(np.exp(rng.normal(4 + shift, 0.6, n)), 2)
        if wave == "2000":
            sex[:] = "Female"
        rows.append(pd.DataFrame({"wave": wave, "sex": sex, "y": y}))
    d = pd.concat(rows, ignore_index=True)
    d.loc[(d["wave"] == "2001") & (d["sex"] == "Male"), "y"] = 100.0
    return d


def test_comparisons_and_not_estimable_cells():
    """Configured comparisons in order, default first -> last; a group absent from a wave keeps
    a row with a note and no statistics; a group whose answers are all alike in one wave is
    still tested (Welch), but not when both are alike."""
    d = _three_waves()
    design = Design(waves=("1999", "2000", "2001"))
    default = _shifts(d, design)
    assert set(zip(default["from_wave"], default["to_wave"])) == {("1999", "2001")}
    table = _shifts(d, design, comparisons=[("1999", "2000"), ("2000", "2001")])
    assert list(dict.fromkeys(zip(table["from_wave"], table["to_wave"]))) == [
        ("1999", "2000"),
        ("2000", "2001"),
    ]
    absent = table[(table["group"] == "Male") & (table["to_wave"] == "2000")].iloc[0]
    assert absent["note"] == "not estimable: no Male answers in wave '2000', so no comparison"
    assert np.isnan(absent["p_value"]) and np.isnan(absent["diff"])
    assert absent["from_n"] == 20 and absent["to_n"] == 0
    one_alike = _cell(default, "Male")
    assert np.isfinite(one_alike["p_value"]) and one_alike["note"] == ""
    both = d.assign(y=np.where(d["sex"] == "Male", 0.7, d["y"]))  # 0.7: not exact in binary
    flat = _cell(_shifts(both, design), "Male")
    assert flat["note"].startswith("not estimable: every answer is the same value in both")
    assert np.isnan(flat["p_value"]) and np.isnan(flat["effect_size"])


def test_estimates_not_estimable_cells():
    d = pd.DataFrame(
        {
            "wave": ["a"] * 5 + ["b"] * 3,
            "sex": ["Female", "Female", "Female", "Male", "Male", "Female", "Male", "Male"],
            "y": [1.0, 2.0, 4.0, 3.0, 3.0, 5.0, np.nan, 2.0],
        }
    )
    table = mean_estimate_table(d, ["y"], {}, "x", Design(), ["sex"], min_group_n=1)
    alike = _cell(table, "Male", "a")
    assert alike["note"].startswith("not estimable: every answer is the same value")
    assert np.isnan(alike["se"]) and np.isnan(alike["ci_low"]) and alike["mean"] == 3.0
    single = _cell(table, "Female", "b")
    assert single["note"].startswith("not estimable: fewer than two answers")
    assert np.isnan(single["sd"]) and single["median"] == 5.0
    assert table["unit"].eq("").all()
    kept = mean_estimate_table(d, ["y"], {}, "x", Design(), ["sex"], min_group_n=2)
    assert set(kept.loc[kept["group_var"] == "sex", "n"]) == {2, 3}  # small groups left out


def test_design_estimate_from_one_cluster_is_not_estimable(waves):
    d = waves.copy()
    men = (d["sex"] == "Male") & (d["wave"] == "baseline")
    d.loc[men, "psu"], d.loc[men, "stratum"] = "3", "A"
    row = _cell(_estimates(d, Design(**DESIGN)), "Male", "baseline")
    assert row["note"] == (
        "not estimable: all answers of this group come from one PSU ('3'), so the design gives"
        " no variance"
    )
    assert np.isnan(row["se"]) and np.isnan(row["ci_low"]) and np.isfinite(row["mean"])


def test_bad_comparison_and_missing_column_stop(waves):
    with pytest.raises(
        InputError, match="(?s)comparison \\[baseline, midline\\].*design.comparisons"
    ):
        _shifts(waves, Design(), comparisons=[("baseline", "midline")])
    with pytest.raises(InputError, match="with itself"):
        _shifts(waves, Design(), comparisons=[("baseline", "baseline")])
    with pytest.raises(InputError, match="mean indicator 'income'"):
        mean_estimate_table(waves, ["income"], {}, "x", Design(), ["sex"])


def test_outputs_are_deterministic(waves, panel):
    first = _shifts(waves, Design(**DESIGN)).to_csv(index=False)
    assert _shifts(waves, Design(**DESIGN)).to_csv(index=False) == first
    est = _estimates(waves, Design(**DESIGN)).to_csv(index=False)
    assert _estimates(waves, Design(**DESIGN)).to_csv(index=False) == est


STATS = ["diff", "statistic", "df", "p_value", "effect_size", "wilcoxon_statistic", "wilcoxon_p"]
DESIGNS = {
    "srs": (Design(), "waves"),
    "design": (Design(**DESIGN), "waves"),
    "revisited": (Design(**DESIGN, clusters_revisited=True), "waves"),
    "panel": (Design(**PANEL), "panel"),
    "design panel": (Design(**PANEL, **DESIGN), "panel"),
}


def _close(a: pd.Series, b: pd.Series) -> None:
    a, b = a.to_numpy(float), b.to_numpy(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert a[ok] == pytest.approx(b[ok], rel=1e-7, abs=1e-9)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(constant=st.floats(-500, 5000, allow_nan=False), which=st.sampled_from(sorted(DESIGNS)))
def test_a_constant_moves_means_only(waves, panel, constant, which):
    design, name = DESIGNS[which]
    data = waves if name == "waves" else panel
    base, moved = _shifts(data, design), _shifts(data.assign(y=data["y"] + constant), design)
    for key in STATS + ["ci_low", "ci_high"]:  # differences, their tests and intervals
        _close(moved[key], base[key])
    _close(moved["from_mean"], base["from_mean"] + constant)
    _close(moved["to_mean"], base["to_mean"] + constant)
    est, est_moved = (
        _estimates(d, Design(**DESIGN) if design.design_based else Design())
        for d in (data, data.assign(y=data["y"] + constant))
    )
    _close(est_moved["mean"], est["mean"] + constant)
    _close(est_moved["median"], est["median"] + constant)
    _close(est_moved["se"], est["se"])
    _close(est_moved["sd"], est["sd"])


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.sampled_from(sorted(DESIGNS)))
def test_reversing_the_waves_negates_the_difference(waves, panel, which):
    design, name = DESIGNS[which]
    data = waves if name == "waves" else panel
    if which == "design panel":  # pairs carry their first wave's weight: make it the same in both
        data = data.assign(w=data.groupby("person")["w"].transform("first"))
    forward = _shifts(data, design, comparisons=[("baseline", "endline")])
    back = _shifts(data, design, comparisons=[("endline", "baseline")])
    _close(back["diff"], -forward["diff"])
    _close(back["ci_low"], -forward["ci_high"])
    _close(back["ci_high"], -forward["ci_low"])
    _close(back["statistic"], -forward["statistic"])
    _close(back["effect_size"], -forward["effect_size"])
    _close(back["p_value"], forward["p_value"])
    _close(back["wilcoxon_p"], forward["wilcoxon_p"])
    _close(back["from_mean"], forward["to_mean"])
    assert (back["from_wave"] == "endline").all()


@pytest.mark.parametrize("design", [Design(), Design(**DESIGN)], ids=["srs", "separate waves"])
def test_a_third_wave_leaves_a_comparison_of_two_alone(waves, design):
    """Separate samples: the baseline -> endline contrast (R's, above) does not change when a third
    wave joins the data; the new comparisons come in the order asked."""
    third = waves[waves["wave"] == "endline"].assign(wave="followup", y=lambda f: f["y"] * 1.1)
    data = pd.concat([waves, third], ignore_index=True)
    asked = [("baseline", "endline"), ("endline", "followup")]
    table = _shifts(
        data,
        design.model_copy(update={"waves": ("baseline", "endline", "followup")}),
        comparisons=asked,
    )
    assert list(dict.fromkeys(zip(table["from_wave"], table["to_wave"]))) == asked
    two = _shifts(waves, design)
    first = table[table["to_wave"] == "endline"].reset_index(drop=True)
    for key in ("diff", "ci_low", "ci_high", "statistic", "df", "p_value", "effect_size"):
        _close(first[key], two[key])
    later = table[(table["to_wave"] == "followup") & (table["group"] == "All")].iloc[0]
    assert later["to_mean"] > later["from_mean"] and np.isfinite(later["p_value"])


def test_a_lonely_psu_follows_the_design_rule(waves):
    """A stratum with one cluster in a wave stops by default (as R survey), naming the stratum;
    `lonely_psu: certainty` lets it add nothing to the variance (a smaller SE than `adjust`)."""
    lonely = waves[~((waves["wave"] == "baseline") & (waves["stratum"] == "C"))]
    lonely = pd.concat([lonely, waves[(waves["wave"] == "baseline") & (waves["psu"] == "9")]])
    with pytest.raises(InputError, match="stratum 'C' has a single cluster"):
        _estimates(lonely, Design(**DESIGN))
    with pytest.raises(InputError, match="stratum 'C' has a single cluster"):
        _shifts(lonely, Design(**DESIGN))
    se = {
        rule: _cell(_estimates(lonely, Design(**DESIGN, lonely_psu=rule)), "All", "baseline")["se"]
        for rule in ("certainty", "adjust")
    }
    assert 0 < se["certainty"] < se["adjust"]
