"""Estimates and shifts: design-based results against R `survey`, design routing from config,
invariants."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.model import Design, PublishedBaseline
from analysis.survey.estimates import estimate_table
from analysis.survey.shifts import INTERACTION, shift_table
from tests.conftest import FIXTURES, ONE_INDICATOR

FIX = FIXTURES / "reference"
REF = json.loads((FIX / "reference_values.json").read_text())
REL = 1e-6
IND = ONE_INDICATOR


@pytest.fixture(scope="module")
def sample():
    d = pd.read_csv(FIX / "design_sample.csv")
    d["respondent_id"] = np.arange(len(d)).astype(str)
    d["ind"] = d["y"].astype("Int64")
    d["psu_id"] = d["stratum"].astype(str) + "/" + d["psu"]
    return d


# design_sample.csv visits the same clusters in both waves, and its R calls share strata and
# clusters across waves: `clusters_revisited: true` (issue 15; separate waves: test_design_engine)
CLUSTERED = Design(
    type="independent", cluster="psu_id", weight="w", strata="stratum", clusters_revisited=True
)


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_design_based_estimates_match_r_survey(sample, method):
    design = Design(
        type="independent", cluster="psu_id", weight="w", strata="stratum", ci_method=method
    )
    est = estimate_table(sample, IND, "x", design, ["sex"], min_group_n=1).set_index(
        ["wave", "group"]
    )
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
    for group, key in (
        ("All", "svyglm_wave"),
        ("Female", "svyglm_wave_Female"),
        ("Male", "svyglm_wave_Male"),
        (INTERACTION, "svyglm_interaction"),
    ):
        ref, row = REF[key], shifts.loc[group]
        assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
        assert row["statistic"] == pytest.approx(ref["t"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
        assert row["df"] == ref["df"]


def test_domains_are_subsets_of_the_design_as_in_r(sample):
    """Some people of another sex (whole PSUs among them): the by-sex changes and the interaction
    use every PSU for the variance and only the PSUs that answered for the degrees of freedom, as R
    svyglm on subset().
    """
    ref = REF["subset_interaction"]
    d = sample.copy()
    d.loc[
        d["psu"].isin(ref["other_psus"]) | (np.arange(len(d)) % ref["other_every"] == 0), "sex"
    ] = "Other"
    shifts = shift_table(d, IND, "x", CLUSTERED, min_group_n=1).set_index("group")
    for group, key in (
        ("Female", "subset_wave_Female"),
        ("Male", "subset_wave_Male"),
        (INTERACTION, "subset_interaction"),
    ):
        ref, row = REF[key], shifts.loc[group]
        assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
        assert row["diff_pp"] / 100 / row["statistic"] == pytest.approx(ref["se"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
        assert row["df"] == ref["df"]


def test_weights_of_one_reproduce_unweighted_estimates(sample):
    endline = sample[sample["wave"] == "endline"].assign(one=1.0)
    srs = estimate_table(endline, IND, "x", Design(type="independent"), [], min_group_n=1).iloc[0]
    weighted = estimate_table(
        endline, IND, "x", Design(type="independent", weight="one"), [], min_group_n=1
    ).iloc[0]
    assert weighted["percent"] == pytest.approx(srs["percent"]) and weighted["k"] == srs["k"]
    assert weighted["se_pp"] / 100 == pytest.approx(
        REF["srs_check"]["se"], rel=REL
    )  # R svydesign(ids=~1)
    assert weighted["deff"] == pytest.approx(1.0)


def _panel(rng, n=80, p0=0.3, p1=0.6):
    base = rng.random(n) < p0
    end = np.where(rng.random(n) < 0.5, base, rng.random(n) < p1)
    ids = [f"P{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "respondent_id": ids * 2,
            "wave": ["baseline"] * n + ["endline"] * n,
            "sex": "Female",
            "ind": np.concatenate([base, end]).astype(int),
        }
    )
    return frame.astype({"ind": "Int64"})


def test_panel_routes_to_mcnemar_and_counts_unmatched():
    frame = _panel(np.random.default_rng(1))
    frame = frame.drop(index=[0, 1, 2, 150])  # P0-P2 lose their baseline row, P70 its endline row
    row = shift_table(frame, IND, "x", Design(type="panel", panel_key="respondent_id")).iloc[0]
    assert row["test"].startswith("McNemar")
    assert row["unmatched_from"] == 1 and row["unmatched_to"] == 3
    assert row["from_n"] == row["to_n"] == 76


def test_independent_switches_to_fisher_with_small_expected_counts():
    frame = pd.DataFrame(
        {
            "respondent_id": [str(i) for i in range(24)],
            "wave": ["baseline"] * 12 + ["endline"] * 12,
            "sex": "Female",
            "ind": [1] * 1 + [0] * 11 + [1] * 8 + [0] * 4,
        }
    ).astype({"ind": "Int64"})
    row = shift_table(frame, IND, "x", Design(type="independent")).iloc[0]
    assert row["test"] == "Fisher exact"
    assert 0 < row["p_value"] < 1


def test_summary_only_baseline_row():
    end = pd.DataFrame(
        {
            "respondent_id": [str(i) for i in range(100)],
            "wave": "endline",
            "sex": "Female",
            "ind": [1] * 60 + [0] * 40,
        }
    ).astype({"ind": "Int64"})
    pub = [PublishedBaseline(indicator="ind", percent=42.0, n=120, source="paper, section 3.2.1")]
    row = shift_table(end, IND, "x", Design(type="independent"), published_baselines=pub).iloc[0]
    assert row["from_source"] == "published" and row["from_k"] == 50 and row["from_n"] == 120
    assert row["diff_pp"] == pytest.approx(60 - 100 * 50 / 120)


def test_shipped_designs_come_from_config(project):
    assert project.countries["rwanda"].design.type == "independent"
    assert project.countries["tajikistan"].design.type == "panel"
    assert project.countries["tajikistan"].design.waves == ("baseline", "endline")


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_swapping_waves_negates_difference_and_keeps_p(seed):
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame(
        {
            "respondent_id": [str(i) for i in range(2 * n)],
            "wave": ["baseline"] * n + ["endline"] * n,
            "sex": rng.choice(["Female", "Male"], 2 * n),
            "ind": (rng.random(2 * n) < rng.uniform(0.1, 0.9)).astype(int),
        }
    ).astype({"ind": "Int64"})
    swapped = frame.assign(wave=frame["wave"].map({"baseline": "endline", "endline": "baseline"}))
    a = shift_table(frame, IND, "x", Design(type="independent"), min_group_n=1).set_index("group")
    b = shift_table(swapped, IND, "x", Design(type="independent"), min_group_n=1).set_index("group")
    assert np.allclose(a["diff_pp"], -b["diff_pp"])
    assert np.allclose(a["p_value"], b["p_value"])
    assert ((a["p_value"] >= 0) & (a["p_value"] <= 1)).all()
    inside = (a["diff_ci_low"] <= a["diff_pp"] + 1e-9) & (a["diff_pp"] <= a["diff_ci_high"] + 1e-9)
    no_interval = a["diff_ci_low"].isna() & a["note"].ne("")  # e.g. a 0% cell: LR test, noted
    assert (inside | no_interval).all()
    shuffled = shift_table(
        frame.sample(frac=1, random_state=seed), IND, "x", Design(type="independent"), min_group_n=1
    )
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
    from analysis.survey.shifts import SHIFT_COLUMNS

    required = [
        "indicator",
        "group",
        "design_type",
        "cluster",
        "strata",
        "weight",
        "from_n",
        "from_k",
        "from_pct",
        "to_n",
        "to_k",
        "to_pct",
        "diff_pp",
        "diff_ci_low",
        "diff_ci_high",
        "test",
        "statistic",
        "p_value",
        "p_holm",
        "p_bh",
        "cohens_h",
    ]
    assert set(required) <= set(SHIFT_COLUMNS)


def test_weighted_clustered_panel_matches_r():
    pn = pd.read_csv(FIX / "panel_sample.csv")
    long = pd.concat(
        [
            pn.assign(wave="baseline", ind=pn["y_baseline"]),
            pn.assign(wave="endline", ind=pn["y_endline"]),
        ]
    )
    long = long.assign(
        respondent_id=long["id"],
        sex="Female",
        psu_id=long["stratum"].astype(str) + "/" + long["psu"],
    )
    design = Design(
        type="panel", panel_key="respondent_id", cluster="psu_id", weight="w", strata="stratum"
    )
    row = shift_table(long.astype({"ind": "Int64"}), IND, "x", design).iloc[0]
    ref = REF["panel_change"]
    assert row["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
    assert row["statistic"] == pytest.approx(ref["t"], rel=REL)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
    assert row["df"] == ref["df"]


# --- degenerate designs and unusual waves (issue 13): a reason for every missing number -----------
from scipy import stats  # noqa: E402

from analysis.errors import InputError  # noqa: E402
from analysis.survey.domains import layout  # noqa: E402
from analysis.survey.estimates import check_variance_estimable, wave_order  # noqa: E402
from analysis.survey.intervals import korn_graubard_ci, logit_ci  # noqa: E402
from analysis.survey.proportions import wald_diff_test  # noqa: E402
from analysis.survey.shifts import SHIFT_COLUMNS  # noqa: E402


def test_korn_graubard_at_zero_and_one_is_clopper_pearson_with_df_adjusted_n():
    """p = 0 or 1: n* = n (design effect 1), df-adjusted; the limits are Clopper-Pearson's for
    0 (or n) of n*_df.
    Clopper-Pearson for 0 of n: [0, 1 - (alpha/2)^(1/n)] = [0, qbeta(1 - alpha/2, 1, n)]
    (R binom.test).
    """
    n, df = 50, 10
    n_df = n * (stats.t.ppf(0.025, n - 1) / stats.t.ppf(0.025, df)) ** 2
    low, high = korn_graubard_ci([0.0, 1.0], [0.0, 0.0], [n, n], [df, df])
    assert low[0] == 0 and high[0] == pytest.approx(1 - 0.025 ** (1 / n_df), rel=1e-12)
    assert high[0] == pytest.approx(stats.beta.ppf(0.975, 1, n_df), rel=1e-12)
    assert high[1] == 1 and low[1] == pytest.approx(0.025 ** (1 / n_df), rel=1e-12)
    # df = n - 1: no adjustment, exactly R binom.test(0, 50)$conf.int = [0, 0.07112174]
    _, high = korn_graubard_ci(0.0, 0.0, n, n - 1)
    assert float(high) == pytest.approx(0.0711217, abs=5e-8)
    assert float(high) == pytest.approx(
        stats.binomtest(0, n).proportion_ci(method="exact").high, rel=1e-12
    )


def test_undefined_intervals_and_tests_are_nan_never_zero_width_or_p_one():
    low, high = logit_ci([0.0, 1.0, 0.3, 0.3], [0.0, 0.0, 0.0, 0.05], [10, 10, 10, 0])
    assert (
        np.isnan(low).all() and np.isnan(high).all()
    )  # logit undefined; zero SE; df 0 (no t quantile)
    low, high = korn_graubard_ci([0.3, 0.3], [0.0, 0.05], [40, 40], [10, 0])
    assert np.isnan(low).all() and np.isnan(high).all()  # zero SE at 0 < p < 1; df 0
    stat, p, low, high = wald_diff_test([0.5, 0.2, 0.2], [0.0, 0.1, 0.1], [10, 10, 0])
    assert (
        np.isnan(stat[[0, 2]]).all() and np.isnan(p[[0, 2]]).all() and np.isnan(low[[0, 2]]).all()
    )
    assert stat[1] == pytest.approx(2.0) and p[1] == pytest.approx(2 * stats.t.sf(2.0, 10))


def _clustered(rows):
    """A design from (wave, stratum, psu, sex, y) tuples, weight 1."""
    d = pd.DataFrame(rows, columns=["wave", "stratum", "psu", "sex", "y"])
    return d.assign(respondent_id=np.arange(len(d)).astype(str), w=1.0, ind=d["y"].astype("Int64"))


def _grid(
    waves=("baseline", "endline"),
    strata=("A", "B"),
    psus=3,
    per_psu=10,
    share=lambda w, s, c, i: i < 2 + c + (s == "B") + (w == "endline") * (1 + c % 2),
):
    """Waves x strata x PSUs of `per_psu` respondents, alternately women and men; by default PSU c
    of stratum s answers yes 2 + c (+1 in stratum B) times in 10 at baseline, 1 or 2 more at
    endline."""
    return _clustered(
        [
            (w, s, f"{s}{c}", "Female" if i % 2 else "Male", int(share(w, s, c, i)))
            for w in waves
            for s in strata
            for c in range(psus)
            for i in range(per_psu)
        ]
    )


DESIGN = Design(type="independent", cluster="psu", weight="w", strata="stratum")


def test_one_cluster_lonely_psu_and_single_psu_strata_stop_with_the_place_and_the_options():
    one = _grid().assign(psu="X")
    with pytest.raises(InputError) as e:
        estimate_table(one, IND, "x", DESIGN, [])
    assert (
        "every respondent in wave 'baseline' is in one cluster ('X' of design variable 'psu')"
        in str(e.value)
    )
    assert (
        e.value.key == "datasets.respondents.design.cluster" and "remove `cluster:`" in e.value.fix
    )
    lonely = _grid()
    lonely.loc[lonely["psu"] == "B0", "stratum"] = "C"
    with pytest.raises(InputError) as e:
        shift_table(lonely, IND, "x", DESIGN)  # the shifts stop as the estimates do
    assert (
        "stratum 'C' has a single cluster (PSU) in wave 'baseline' ('B0'), a 'lonely PSU'"
        in str(e.value)
    )
    assert (
        e.value.key == "datasets.respondents.design.strata"
        and e.value.file == "config/countries/x.yaml"
    )
    assert (
        "map: {'C': 'A', 'A': 'A', 'B': 'B'}" in e.value.fix and "remove `strata:`" in e.value.fix
    )
    paired = _grid(psus=1)
    with pytest.raises(
        InputError,
        match=r"every stratum in wave 'baseline' has a single cluster \(PSU\) "
        r"\(e\.g\. 'A': 'A0', 'B': 'B0'\)",
    ):
        estimate_table(paired, IND, "x", DESIGN, [])
    weighted = _grid().assign(psu=None, stratum="A")
    weighted.loc[weighted.index[0], "stratum"] = (
        "B"  # stratum B: one respondent, unclustered design
    )
    with pytest.raises(InputError, match="stratum 'B' has a single respondent in wave 'baseline'"):
        estimate_table(
            weighted, IND, "x", Design(type="independent", weight="w", strata="stratum"), []
        )
    # the same check, from a layout: the matched pairs of a panel are named by `scope`
    with pytest.raises(InputError, match="every respondent among the pairs is in one cluster"):
        check_variance_estimable(
            layout(one, "psu", "w", "stratum"), DESIGN, "x", scope="among the pairs"
        )


def test_zero_and_full_shares_get_korn_graubard_and_a_note():
    d = _grid(share=lambda w, s, c, i: w == "endline")  # 0% at baseline, 100% at endline
    est = estimate_table(d, IND, "x", DESIGN, [], min_group_n=1).set_index("wave")
    n_df = lambda r: r["n"] * (stats.t.ppf(0.025, r["n"] - 1) / stats.t.ppf(0.025, r["df"])) ** 2  # noqa: E731
    base, end = est.loc["baseline"], est.loc["endline"]
    assert (
        base["df"] == 4 and base["percent"] == 0 and base["se_pp"] == 0 and np.isnan(base["deff"])
    )
    assert base["ci_low"] == 0 and base["ci_high"] == pytest.approx(
        100 * (1 - 0.025 ** (1 / n_df(base))), rel=1e-9
    )
    assert end["ci_high"] == 100 and end["ci_low"] == pytest.approx(
        100 * 0.025 ** (1 / n_df(end)), rel=1e-9
    )
    assert (est["ci_method"] == "design-based beta (n_eff = n)").all()
    assert base["note"].startswith("0%: no design variance") and end["note"].startswith(
        "100%: no design variance"
    )
    sh = shift_table(d, IND, "x", DESIGN, min_group_n=1).set_index("group")
    overall = sh.loc["All"]
    assert (
        overall["diff_pp"] == 100
        and np.isnan(overall["p_value"])
        and np.isnan(overall["statistic"])
    )
    assert (
        np.isnan(overall["diff_ci_low"])
        and np.isnan(overall["p_holm"])
        and overall["significant_holm"] is None
    )
    assert (
        overall["note"]
        == "not estimable: every answer is 0% in wave 'baseline' and 100% in wave 'endline', "
        "so the change has no design variance and there is no test or interval"
    )
    assert np.isnan(sh.loc[INTERACTION, "p_value"]) and sh.loc[INTERACTION, "note"].startswith(
        "not estimable"
    )


def test_a_group_in_one_cluster_or_without_variance_is_not_estimable():
    d = _grid()
    d.loc[d["psu"] == "A0", "sex"] = "Other"  # all 'Other' answers from one PSU
    est = estimate_table(d, IND, "x", DESIGN, ["sex"], min_group_n=1)
    other = est[(est["group"] == "Other") & (est["wave"] == "baseline")].iloc[0]
    assert other["percent"] == pytest.approx(20.0) and other["n"] == 10  # the percent is kept
    assert (
        np.isnan(other["ci_low"])
        and np.isnan(other["se_pp"])
        and np.isnan(other["deff"])
        and other["ci_method"] == ""
    )
    assert (
        other["note"]
        == "not estimable: all 10 answers of this group come from one cluster ('A0'), "
        "so the design gives no variance"
    )
    flat = _grid(share=lambda w, s, c, i: i % 2 == 0)  # every PSU exactly 50%: no design variance
    row = estimate_table(flat, IND, "x", DESIGN, [], min_group_n=1).iloc[0]
    assert (
        row["percent"] == pytest.approx(50.0) and np.isnan(row["ci_low"]) and np.isnan(row["se_pp"])
    )
    assert (
        row["note"]
        == "not estimable: zero design variance (every cluster has the same weighted share), so no"
        " interval"
    )
    assert estimate_table(_grid(), IND, "x", DESIGN, ["sex"], min_group_n=1)["note"].eq("").all()


def test_a_contrast_without_degrees_of_freedom_has_no_test():
    """Women answer in two PSUs of one stratum only: df = 2 PSUs - 1 stratum - 1 = 0, so no t test
    (R svyglm on the subset would have no residual df either)."""
    d = _grid(psus=4)
    d["sex"] = np.where(d["psu"].isin(["A0", "A1"]), "Female", "Male")
    revisited = DESIGN.model_copy(update={"clusters_revisited": True})  # A0, A1 in both waves
    women = shift_table(d, IND, "x", revisited, min_group_n=1).set_index("group").loc["Female"]
    assert women["df"] == 0 and np.isnan(women["p_value"]) and np.isnan(women["diff_ci_low"])
    assert (
        women["note"]
        == "not estimable: 2 clusters with answers in 1 strata leave 0 degrees of freedom, too few"
        " for a t test"
    )


def _srs(rows):
    d = pd.DataFrame(rows, columns=["wave", "sex", "y"])
    return d.assign(respondent_id=np.arange(len(d)).astype(str), ind=d["y"].astype("Int64"))


def test_a_group_absent_from_a_wave_says_so():
    """A women-only baseline: the men's shift and the women - men row are reported as not estimable,
    with why."""
    rows = [("baseline", "Female", i % 3 == 0) for i in range(60)] + [
        ("endline", s, i % 2 == 0) for s in ("Female", "Male") for i in range(60)
    ]
    sh = shift_table(_srs(rows), IND, "x", Design(type="independent"), min_group_n=30).set_index(
        "group"
    )
    men = sh.loc["Male"]
    assert men["from_n"] == 0 and men["to_n"] == 60 and men["to_pct"] == pytest.approx(50.0)
    assert np.isnan(men["from_pct"]) and np.isnan(men["diff_pp"]) and np.isnan(men["p_value"])
    assert (
        men["note"]
        == "not estimable: no Male respondents answered in wave 'baseline', so there is no"
        " change to "
        "estimate"
        and men["direction_improved"] is None
    )
    assert (
        sh.loc[INTERACTION, "note"]
        == "not estimable: the women - men difference in change needs both sexes in "
        "both waves (no Male answers in wave 'baseline')"
    )
    assert sh.loc["Female", "p_value"] > 0 and sh.loc["Female", "note"] == ""
    assert sh["p_holm"].notna().sum() == 2  # All and Female: the not estimable rows are no family


def test_srs_interaction_without_variance_and_panel_without_discordant_pairs_say_so():
    rows = [
        (w, s, w == "endline")
        for w in ("baseline", "endline")
        for s in ("Female", "Male")
        for _ in range(40)
    ]
    inter = (
        shift_table(_srs(rows), IND, "x", Design(type="independent"), min_group_n=1)
        .set_index("group")
        .loc[INTERACTION]
    )
    assert (
        inter["diff_pp"] == 0
        and np.isnan(inter["p_value"])
        and inter["note"].startswith("not estimable: every share")
    )
    panel = _panel(np.random.default_rng(3))
    panel["ind"] = pd.array(np.zeros(len(panel), dtype=int), dtype="Int64")
    row = shift_table(panel, IND, "x", Design(type="panel", panel_key="respondent_id")).iloc[0]
    assert (
        row["test"] == "McNemar exact (binomial)" and row["p_value"] == 1.0
    )  # exact test, labelled
    assert row["note"] == "no discordant pairs (nobody changed answer): exact p = 1"


def test_waves_follow_the_configured_order_whatever_their_names():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "respondent_id": [str(i) for i in range(120)],
            "wave": ["baseline"] * 60 + ["endline"] * 60,
            "sex": "Female",
            "ind": (rng.random(120) < np.r_[np.full(60, 0.3), np.full(60, 0.6)]).astype(int),
        }
    )
    frame["ind"] = frame["ind"].astype("Int64")
    named = shift_table(frame, IND, "x", Design(type="independent")).iloc[0]
    renamed = frame.assign(
        wave=frame["wave"].map({"baseline": "pre", "endline": "post"})
    )  # 'post' sorts first
    row = shift_table(renamed, IND, "x", Design(type="independent", waves=("pre", "post"))).iloc[0]
    assert (row["from_wave"], row["to_wave"]) == ("pre", "post")
    assert row["diff_pp"] == pytest.approx(named["diff_pp"]) and row["p_value"] == pytest.approx(
        named["p_value"]
    )
    est = estimate_table(renamed, IND, "x", Design(type="independent", waves=("pre", "post")), [])
    assert list(est["wave"]) == ["pre", "post"]
    assert wave_order(Design(type="independent"), ["endline", "2000", "baseline"]) == [
        "baseline",
        "2000",
        "endline",
    ]
    assert wave_order(Design(type="independent", waves=("b", "a", "c")), ["a", "b"]) == ["b", "a"]


def test_one_wave_gives_header_only_table_or_published_rows_three_waves_every_comparison():
    rng = np.random.default_rng(2)
    one = pd.DataFrame(
        {
            "respondent_id": [str(i) for i in range(80)],
            "wave": "2023",
            "sex": "Female",
            "ind": (rng.random(80) < 0.5).astype(int),
        }
    ).astype({"ind": "Int64"})
    empty = shift_table(one, IND, "x", Design(type="independent", waves=("2023",)))
    assert list(empty.columns) == SHIFT_COLUMNS and empty.empty
    pub = [PublishedBaseline(indicator="ind", percent=40.0, n=100, source="test")]
    row = shift_table(
        one, IND, "x", Design(type="independent", waves=("2023",)), published_baselines=pub
    ).iloc[0]
    assert row["from_source"] == "published" and row["to_n"] == 80 and row["to_wave"] == "2023"
    three = pd.concat(
        [one.assign(wave=w) for w in ("baseline", "midline", "endline")], ignore_index=True
    )
    three["respondent_id"] = np.arange(len(three)).astype(str)
    sh = shift_table(
        three, IND, "x", Design(type="independent", waves=("baseline", "midline", "endline"))
    )
    pairs = list(dict.fromkeys(zip(sh["from_wave"], sh["to_wave"])))  # consecutive, first->last
    assert pairs == [("baseline", "midline"), ("midline", "endline"), ("baseline", "endline")]
    assert (sh["diff_pp"] == 0).all() and not sh["note"].str.contains("not compared").any()


# --- issue 15: degenerate cells and published baselines, against tests/fixtures/reference/
# degenerate_reference.R (R 4.2, survey 4.1; each case's R call is in the JSON) ---
from analysis.survey.shifts import _interaction_lr_test  # noqa: E402

DEGENERATE = json.loads((FIX / "degenerate_reference.json").read_text())


@pytest.fixture(scope="module")
def degenerate_sample():
    d = pd.read_csv(FIX / "degenerate_sample.csv")
    return d.assign(respondent_id=np.arange(len(d)).astype(str), ind=d["y"].astype("Int64"))


def _counts(cells):
    """Respondents from (wave, sex, k, n) cells: k answer yes of n."""
    return _srs([(w, s, i < k) for w, s, k, n in cells for i in range(n)])


def test_srs_estimates_at_zero_and_full_get_wilson_not_zero_width_as_r():
    """R prop.test(k, n, correct = FALSE)$conf.int at k = 0 and k = n."""
    for ref in DEGENERATE["wilson_extreme"]:
        d = _counts([("endline", "Female", ref["k"], ref["n"])])
        row = estimate_table(d, IND, "x", Design(type="independent"), [], min_group_n=1).iloc[0]
        assert row["ci_method"] == "wilson" and row["ci_high"] > row["ci_low"]
        assert row["ci_low"] / 100 == pytest.approx(ref["low"], rel=REL, abs=1e-12)
        assert row["ci_high"] / 100 == pytest.approx(ref["high"], rel=REL)


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_design_estimates_at_zero_and_full_get_korn_graubard_with_n_eff_n_as_r(
    degenerate_sample, method
):
    """R svyciprop(method = "beta") is NaN at 0% and 100%; the interval is its beta limits with
    n.eff = n (the recorded R call), whatever `ci_method`, never [0, 0] or [100, 100]."""
    design = Design(
        type="independent", cluster="psu", weight="w", strata="stratum", ci_method=method
    )
    for ref in DEGENERATE["korn_graubard_extreme"]:
        assert ref["svyciprop_beta"] == [None, None]  # what R survey itself gives
        d = degenerate_sample.assign(ind=degenerate_sample[ref["variable"]].astype("Int64"))
        row = estimate_table(d, IND, "x", design, [], min_group_n=1).iloc[0]
        assert row["percent"] / 100 == ref["p"] and row["df"] == ref["df"]
        assert row["ci_low"] / 100 == pytest.approx(ref["low"], rel=REL, abs=1e-12)
        assert row["ci_high"] / 100 == pytest.approx(ref["high"], rel=REL)
        assert row["ci_high"] - row["ci_low"] > 1 and row["ci_method"].endswith("(n_eff = n)")


def test_srs_zero_to_full_change_is_tested_never_p_one_as_r():
    """0% -> 100% in independent simple random samples: chi-square, or Fisher's exact test when an
    expected count is below 5 (R prop.test / fisher.test)."""
    for ref in DEGENERATE["zero_to_full"]:
        d = _counts([("baseline", "Female", ref["k2"], ref["n2"])])
        d = pd.concat([d, _counts([("endline", "Female", ref["k1"], ref["n1"])])])
        d["respondent_id"] = np.arange(len(d)).astype(str)
        row = shift_table(d, IND, "x", Design(type="independent"), min_group_n=1).iloc[0]
        fisher = ref["n1"] * 0.5 < 5
        expected = ref["fisher_p"] if fisher else ref["p_value"]
        assert row["test"] == (
            "Fisher exact" if fisher else "chi-square (2x2, no continuity correction)"
        )
        assert row["p_value"] == pytest.approx(expected, rel=REL) and row["p_value"] < 1e-3
        assert row["diff_pp"] == 100 and row["diff_ci_high"] > row["diff_ci_low"]


def test_srs_interaction_with_a_zero_or_full_cell_uses_the_likelihood_ratio_test_as_r_glm():
    """Before: the unpooled Wald z took no variance from the 0% cell (first case: z = 1.60, p =
    0.110); now the LR test of equal changes, the deviance of R glm(cbind(k, n - k) ~ wave + sex,
    binomial("identity")) (R anova LRT), on the scale of diff_pp."""
    for ref in DEGENERATE["interaction_lrt"]:
        (fb, fnb, fe, fne), (mb, mnb, me, mne) = ref["female"], ref["male"]
        d = _counts(
            [
                ("baseline", "Female", fb, fnb),
                ("endline", "Female", fe, fne),
                ("baseline", "Male", mb, mnb),
                ("endline", "Male", me, mne),
            ]
        )
        row = shift_table(d, IND, "x", Design(type="independent"), min_group_n=1)
        row = row.set_index("group").loc[INTERACTION]
        assert row["statistic"] == pytest.approx(ref["statistic"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
        assert row["p_value"] == pytest.approx(ref["anova_p"], rel=REL) and row["df"] == 1
        assert row["test"] == "likelihood-ratio chi-square (difference in change, binomial)"
        assert np.isnan(row["diff_ci_low"]) and row["note"].startswith("a 0% or 100% share")
        assert row["diff_pp"] == pytest.approx(
            100 * ((fe / fne - fb / fnb) - (me / mne - mb / mnb))
        )
    # interior shares keep the Wald z of the difference of differences
    d = _counts(
        [
            (w, s, 10 + 5 * (w == "endline"), 40)
            for w in ("baseline", "endline")
            for s in ("Female", "Male")
        ]
    )
    inter = shift_table(d, IND, "x", Design(type="independent"), min_group_n=1)
    assert inter.set_index("group").loc[INTERACTION, "test"].startswith("Wald z")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=4, max_size=4),
    st.lists(st.integers(1, 30), min_size=4, max_size=4),
)
def test_interaction_lr_test_properties(ks, extra):
    """G^2 >= 0, p in [0, 1], the same when the sexes or the waves swap, and 0 when both sexes
    change alike."""
    k = np.array(ks, float).reshape(1, 2, 2)
    n = k + np.array(extra, float).reshape(1, 2, 2)
    g2, p = _interaction_lr_test(k, n)
    assert np.isfinite(g2[0]) and g2[0] >= 0 and 0 <= p[0] <= 1
    for axis in (1, 2):
        g2s, _ = _interaction_lr_test(np.flip(k, axis), np.flip(n, axis))
        assert g2s[0] == pytest.approx(g2[0], rel=1e-8, abs=1e-9)
    same = np.stack([k[:, 0], k[:, 0]], axis=1), np.stack([n[:, 0], n[:, 0]], axis=1)
    assert _interaction_lr_test(*same)[0][0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_published_baseline_uses_the_design_as_r(degenerate_sample, method):
    """Endline design-based (svymean, svyciprop), published 52% of 200 as an independent SRS: Wald t
    on the design df and the MOVER interval (recorded R call). Before: unweighted 68.75% and a
    chi-square with deff 1, p = 0.0018 (R prop.test); now weighted 60.2%, p = 0.38."""
    ref = next(r for r in DEGENERATE["published_baseline"] if r["name"] == f"overall_{method}")
    design = Design(
        type="independent", cluster="psu", weight="w", strata="stratum", ci_method=method
    )
    pub = [PublishedBaseline(indicator="ind", percent=52.0, n=200, source="test")]
    row = shift_table(
        degenerate_sample, IND, "x", design, published_baselines=pub, min_group_n=1
    ).iloc[0]
    assert row["from_source"] == "published" and row["from_k"] == ref["k0"]
    assert row["to_pct"] / 100 == pytest.approx(ref["p_endline"], rel=REL)
    assert row["diff_pp"] / 100 == pytest.approx(ref["diff"], rel=REL)
    assert row["statistic"] == pytest.approx(ref["statistic"], rel=REL) and row["df"] == ref["df"]
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=REL)
    assert row["diff_ci_low"] / 100 == pytest.approx(ref["diff_low"], rel=REL)
    assert row["diff_ci_high"] / 100 == pytest.approx(ref["diff_high"], rel=REL)
    assert ref["unweighted_chisq_p"] == pytest.approx(0.0018316508966445, rel=REL)
    assert row["test"].startswith("design-based Wald t") and row["note"] == ""


def test_published_baseline_against_a_zero_endline_has_an_interval_but_no_test(degenerate_sample):
    d = degenerate_sample.assign(ind=degenerate_sample["zero"].astype("Int64"))
    pub = [PublishedBaseline(indicator="ind", percent=10.0, n=100, source="test")]
    row = shift_table(d, IND, "x", CLUSTERED_W, published_baselines=pub, min_group_n=1).iloc[0]
    assert row["to_pct"] == 0 and np.isnan(row["p_value"]) and np.isnan(row["p_holm"])
    assert row["diff_ci_low"] < -10 < row["diff_ci_high"] and row["diff_ci_high"] > -10 + 1e-9
    assert row["note"].startswith("not estimable: the endline is 0% or 100%")


CLUSTERED_W = Design(type="independent", cluster="psu", weight="w", strata="stratum")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 12), st.floats(1.0, 99.0), st.integers(20, 500))
def test_published_baseline_interval_contains_the_difference(yes_per_psu, percent, n0):
    """Design-based published rows: the MOVER interval contains the difference and has width > 0;
    p in [0, 1]."""
    d = pd.read_csv(FIX / "degenerate_sample.csv")
    d["ind"] = pd.array((np.arange(len(d)) % 12 < yes_per_psu).astype(int), dtype="Int64")
    d["ind"] = d["ind"].where(~((d["psu"] == "A0") & (d.index % 12 == 11)), 1)  # variance > 0
    d["respondent_id"] = np.arange(len(d)).astype(str)
    pub = [PublishedBaseline(indicator="ind", percent=percent, n=n0, source="test")]
    row = shift_table(d, IND, "x", CLUSTERED_W, published_baselines=pub, min_group_n=1).iloc[0]
    assert row["diff_ci_low"] <= row["diff_pp"] <= row["diff_ci_high"]
    assert row["diff_ci_high"] - row["diff_ci_low"] > 0
    assert np.isnan(row["p_value"]) or 0 <= row["p_value"] <= 1


def test_design_interaction_with_an_alike_cell_has_no_test():
    """Women answer 0% at baseline in every cluster: their cell adds no linearised variance (R
    svyglm's SE then comes from the other three cells), so the women - men row keeps its difference
    but has no test; the by-sex rows keep theirs."""
    d = _grid(
        share=lambda w, s, c, i: (
            (i % 2 == 0 or w == "endline")
            and i < 3 + c + (s == "B") + (w == "endline") * (1 + c % 2)
        )
    )
    grid = pd.read_csv(FIX / "degenerate_alike_grid.csv")  # the data of the R call
    assert (grid["y"].to_numpy() == d["y"].to_numpy()).all() and (grid["psu"] == d["psu"]).all()
    sh = shift_table(d, IND, "x", DESIGN, min_group_n=1).set_index("group")
    inter, ref = sh.loc[INTERACTION], DEGENERATE["alike_interaction"]
    # before: R svyglm's t = 8.49, p = 0.075, an SE without the 0% cell; now no test
    assert inter["diff_pp"] / 100 == pytest.approx(ref["estimate"], rel=REL)
    assert np.isnan(inter["p_value"]) and np.isnan(inter["statistic"])
    assert np.isnan(inter["diff_ci_low"]) and inter["ci_method"] == ""
    assert inter["note"] == (
        "not estimable: Female in wave 'baseline': 0% has no design variance, so the linearised"
        " variance would count only the other cells and there is no test or interval"
    )
    assert np.isfinite(sh.loc["Female", "p_value"]) and np.isfinite(sh.loc["Male", "p_value"])


def test_design_panel_interaction_with_everyone_changing_alike_has_no_test():
    """A weighted, clustered panel where no woman changes answer: the women's mean change has no
    design variance, so the women - men row has no test (the men's row keeps its own)."""
    pn = pd.read_csv(FIX / "panel_sample.csv")
    pn["sex"] = np.where(np.arange(len(pn)) % 2 == 0, "Female", "Male")
    women = pn["sex"] == "Female"
    pn.loc[women, "y_endline"] = pn.loc[women, "y_baseline"]
    long = pd.concat(
        [
            pn.assign(wave="baseline", ind=pn["y_baseline"]),
            pn.assign(wave="endline", ind=pn["y_endline"]),
        ]
    )
    long = long.assign(
        respondent_id=long["id"], psu_id=long["stratum"].astype(str) + "/" + long["psu"]
    )
    design = Design(
        type="panel", panel_key="respondent_id", cluster="psu_id", weight="w", strata="stratum"
    )
    sh = shift_table(long.astype({"ind": "Int64"}), IND, "x", design, min_group_n=1)
    sh = sh.set_index("group")
    inter = sh.loc[INTERACTION]
    assert np.isfinite(inter["diff_pp"]) and np.isnan(inter["p_value"])
    assert inter["note"].startswith("not estimable: Female: everyone's change alike has no design")
    assert np.isfinite(sh.loc["Male", "p_value"])
