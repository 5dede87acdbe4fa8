"""Bad-input corpus, statistics: degenerate survey designs and unusual waves, through the real
pipeline.

The contract (issue 13, point 6): a degenerate design never gives a NaN, a zero-width interval or a
p-value from a zero variance without a word. Either the run stops with one message naming the wave,
stratum or cluster and the ways out (exit 2), or the row is reported with its reason in the `note`
column of estimates.csv / shifts.csv and no invented number (exit 0, asserted by each case's
`check`). Waves are taken in the configured order of the respondents' sources, whatever their names;
one wave gives estimates, an empty shifts table and charts that say so.
"""

from __future__ import annotations

import math
import sys

import pandas as pd
import pyreadstat
import pytest

from tests.conftest import copy_project

from . import test_bad_inputs as bad

EX_YAML = "config/countries/example_country.yaml"
RW_YAML = "config/countries/rwanda.yaml"
EX_EST = "reports/tables/example_country/estimates.csv"
EX_SHIFTS = "reports/tables/example_country/shifts.csv"
RW_SHIFTS = "reports/tables/rwanda/shifts.csv"
EX_FIGS = "reports/figures/example_country"
RW_FIGS = "reports/figures/rwanda"
BASELINE_DTA = "data/raw/example_country/example_baseline_surveycto.dta"
ENDLINE_DTA = "data/raw/example_country/example_endline_surveycto.dta"
MIDLINE_DTA = "data/raw/example_country/example_midline_surveycto.dta"  # shipped since issue 16
# example_country as shipped (reports/tables/example_country/shifts.csv): trust_other_groups overall
SHIPPED_TRUST_DIFF, SHIPPED_TRUST_P = 13.62900459, 0.0001345916673
# the note of every example_country panel change (weighted pairs): the weight the pairs carry
PAIR_WEIGHT_NOTE = "pairs weighted by 'weight' of their wave 'baseline' record"


both, respondents = bad.both, bad.respondents


def derive(**derivations):
    """Add (or replace) derived variables of the respondents dataset."""
    return lambda doc: respondents(doc)["derive"].update(derivations)


def _lonely_stratum(doc):
    """Strata from the villages: Village 101 alone in a stratum of its own (a 'lonely PSU')."""
    villages = {
        f"Village {100 * s + v}": "North" if s == 1 else "South"
        for s in (1, 2)
        for v in range(1, 21)
    }
    villages["Village 101"] = "Lonely"
    respondents(doc)["derive"]["stratum_lonely"] = {"from": "village_code", "map": villages}
    respondents(doc)["design"]["strata"] = "stratum_lonely"


def edit_dta(rel, change):
    """Rewrite a Stata export through `change(frame)`, keeping its variable and value labels."""

    def run(root):
        frame, meta = pyreadstat.read_dta(str(root / rel))
        pyreadstat.write_dta(
            change(frame),
            str(root / rel),
            column_labels=meta.column_labels,
            variable_value_labels=meta.variable_value_labels,
        )

    return run


def answer_all(item: str, code: float):
    """Every valid (0/1) answer to `item` becomes `code`; missing codes (-98, -99, blank) stay."""

    def change(frame):
        frame.loc[frame[item].isin([0, 1]), item] = code
        return frame

    return change


# safe_at_night (q2): 0% at baseline, 100% at endline; dispute_resolved_peacefully (q3): 0% in both
# waves
_extreme_indicators = both(
    edit_dta(
        BASELINE_DTA,
        lambda f: answer_all("q3_conflict_resolved", 0)(answer_all("q2_safe_night", 0)(f)),
    ),
    edit_dta(
        ENDLINE_DTA,
        lambda f: answer_all("q3_conflict_resolved", 0)(answer_all("q2_safe_night", 1)(f)),
    ),
)


def _no_men_at_baseline(doc):
    respondents(doc).setdefault("exclusions", []).append(
        {
            "id": "men_not_at_baseline",
            "reason": "men were not interviewed at baseline",
            "when": [
                {"variable": "sex", "equals": "Male"},
                {"variable": "wave", "equals": "baseline"},
            ],
        }
    )


def _rename_waves(mapping):
    """Rename waves everywhere the config names them (sources, `waves:` lists, table filters)."""

    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return mapping.get(node, node) if isinstance(node, str) else node

    def change(doc):
        renamed = walk(doc)
        doc.clear()
        doc.update(renamed)

    return change


def _only_baseline(doc):
    respondents(doc)["sources"] = respondents(doc)["sources"][:1]


def _drop_midline(doc):
    """The shipped example without its midline source: the two-wave panel (baseline, endline)."""
    sources = respondents(doc)["sources"]
    respondents(doc)["sources"] = [s for s in sources if s["wave"] != "midline"]


def two_waves(*mutations):
    """Mutations of the example country as a two-wave panel (its midline source removed first)."""
    return both(bad.edit_yaml(EX_YAML, _drop_midline), *mutations)


def _shipped(root):
    """No change: the example country as shipped (baseline, midline, endline)."""
    assert (root / MIDLINE_DTA).is_file()


def read(root, rel):
    return pd.read_csv(root / rel, keep_default_na=False, na_values=[""])


def row(table, **where):
    hit = table
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, f"{where}: {len(hit)} rows"
    return hit.iloc[0]


def assert_charts(root, figures):
    for name in ("dumbbell", "forest"):
        assert (root / figures / f"{name}.png").stat().st_size > 0 and (
            root / figures / f"{name}.svg"
        ).is_file()


# --- checks of the cases that must work -----------------------------------------------------------
def check_extremes(root, proc):
    """0% and 100% in a design-based estimate: Korn-Graubard interval with effective n = n,
    labelled; the change 0% -> 100% (and 0% -> 0%) has no design variance: no p-value, no interval,
    the reason in `note`.
    """
    est, sh = read(root, EX_EST), read(root, EX_SHIFTS)
    zero = row(est, indicator="safe_at_night", wave="baseline", group_var="overall")
    full = row(est, indicator="safe_at_night", wave="endline", group_var="overall")
    assert zero["percent"] == 0 and zero["ci_low"] == 0 and 0 < zero["ci_high"] < 5
    assert full["percent"] == 100 and 95 < full["ci_low"] < 100 and full["ci_high"] == 100
    for r in (zero, full):
        assert r["ci_method"] == "design-based beta (n_eff = n)" and "effective n = n" in r["note"]
        assert math.isnan(r["deff"])
    # the upper limit is Clopper-Pearson for 0 of n*_df = n (t_{n-1}/t_df)^2 successes
    # (analysis.survey.intervals.korn_graubard_ci)
    from scipy import stats

    n_df = zero["n"] * (stats.t.ppf(0.025, zero["n"] - 1) / stats.t.ppf(0.025, zero["df"])) ** 2
    assert zero["ci_high"] == pytest.approx(100 * (1 - 0.025 ** (1 / n_df)), rel=1e-6)
    assert (
        est.loc[est["note"].isna(), "ci_method"] == "design-based logit"
    ).all()  # the others untouched
    change = row(sh, indicator="safe_at_night", group_var="overall")
    assert (
        change["diff_pp"] == 100
        and math.isnan(change["p_value"])
        and math.isnan(change["diff_ci_low"])
    )
    assert math.isnan(change["p_holm"]) and math.isnan(change["statistic"])
    assert (
        "not estimable: every answer is 0% in wave 'baseline' and 100% in wave 'endline'"
        in change["note"]
    )
    same = row(sh, indicator="dispute_resolved_peacefully", group_var="overall")
    assert same["diff_pp"] == 0 and math.isnan(same["p_value"])
    assert "0% in wave 'baseline' and 0% in wave 'endline'" in same["note"]
    trust = row(sh, indicator="trust_other_groups", group_var="overall")
    assert trust["p_value"] == pytest.approx(SHIPPED_TRUST_P, rel=1e-6)
    assert trust["note"] == PAIR_WEIGHT_NOTE
    assert_charts(root, EX_FIGS)
    forest = (root / EX_FIGS / "forest.svg").read_text(encoding="utf-8")
    assert (
        forest.count("(not estimable)") == 8
    )  # 2 changes x (all, women, men, women - men): no bars, no p
    assert "Change: not estimable (no test)" in (root / EX_FIGS / "dumbbell.svg").read_text(
        encoding="utf-8"
    )


def _check_no_men_at_baseline(shifts_path, figures):
    def check(root, proc):
        sh = read(root, shifts_path)
        men = sh[sh["group"] == "Male"]
        assert len(men) and men["p_value"].isna().all() and men["diff_pp"].isna().all()
        assert (men["from_n"] == 0).all() and (men["to_n"] > 0).all()
        assert (
            men["note"]
            .str.startswith("not estimable: no Male respondents answered in wave 'baseline'")
            .all()
        )
        inter = sh[sh["group"] == "sex: Female - Male"]
        assert len(inter) and inter["p_value"].isna().all()
        assert (
            inter["note"]
            .str.contains(
                "needs both sexes in both waves (no Male answers in wave 'baseline')", regex=False
            )
            .all()
        )
        women = sh[sh["group"] == "Female"]
        assert women["p_value"].notna().all()
        assert women["note"].fillna("").isin(["", PAIR_WEIGHT_NOTE]).all()  # nothing not estimable
        assert (
            sh["p_holm"].notna().sum() == sh["p_value"].notna().sum()
        )  # only rows with a test are adjusted
        assert_charts(root, figures)

    return check


def check_renamed_waves(root, proc):
    """Waves '1999' and '2000': the same numbers as 'baseline' and 'endline', named as
    configured."""
    est, sh = read(root, EX_EST), read(root, EX_SHIFTS)
    assert list(dict.fromkeys(est["wave"].astype(str))) == ["1999", "2000"]
    trust = row(sh, indicator="trust_other_groups", group_var="overall")
    assert (str(trust["from_wave"]), str(trust["to_wave"])) == ("1999", "2000")
    assert trust["diff_pp"] == pytest.approx(SHIPPED_TRUST_DIFF, rel=1e-8)
    assert trust["p_value"] == pytest.approx(SHIPPED_TRUST_P, rel=1e-6)
    # 9 share indicators x (all, women, men, women - men)
    assert len(sh) == 36 and sh["p_value"].notna().all()
    assert_charts(root, EX_FIGS)


def check_one_wave(root, proc):
    """One wave: its estimates, a shifts table with the header only, and charts that say there is no
    change."""
    from analysis.survey.shifts import SHIFT_COLUMNS

    est = read(root, EX_EST)
    assert set(est["wave"]) == {"baseline"} and est["ci_low"].notna().all() and len(est) > 0
    lines = (root / EX_SHIFTS).read_text(encoding="utf-8").splitlines()
    assert lines == [",".join(SHIFT_COLUMNS)]
    assert_charts(root, EX_FIGS)
    assert "No change to show" in (root / EX_FIGS / "forest.svg").read_text(encoding="utf-8")


def check_three_waves(root, proc):
    """Three waves: estimates for each in the configured order; shifts for each comparison
    (consecutive pairs, then first -> last), the first -> last one as with two waves."""
    est, sh = read(root, EX_EST), read(root, EX_SHIFTS)
    assert list(dict.fromkeys(est["wave"])) == ["baseline", "midline", "endline"]
    pairs = list(dict.fromkeys(zip(sh["from_wave"], sh["to_wave"])))
    assert pairs == [("baseline", "midline"), ("midline", "endline"), ("baseline", "endline")]
    assert not sh["note"].str.contains("not compared", regex=False).any()
    trust = row(
        sh,
        indicator="trust_other_groups",
        group_var="overall",
        from_wave="baseline",
        to_wave="endline",
    )
    assert trust["diff_pp"] == pytest.approx(SHIPPED_TRUST_DIFF, rel=1e-8)
    assert_charts(root, EX_FIGS)


def _three_waves_named_by_year(root):
    """Waves "1999", "2000", "2001" (quoted in the YAML: an unquoted 1999 is a number, which the
    schema refuses with the fix); the shipped example has the three waves."""
    renamed = {"baseline": "1999", "midline": "2000", "endline": "2001"}
    bad.edit_yaml(EX_YAML, _rename_waves(renamed))(root)


def check_three_waves_named_by_year(root, proc):
    """Waves named 1999, 2000, 2001 run end to end: estimates, a shift per comparison, trends with
    a slope per indicator and group, charts."""
    est, sh = read(root, EX_EST), read(root, EX_SHIFTS)
    trends = read(root, "reports/tables/example_country/trends.csv")
    assert list(dict.fromkeys(est["wave"].astype(str))) == ["1999", "2000", "2001"]
    pairs = list(dict.fromkeys(zip(sh["from_wave"].astype(str), sh["to_wave"].astype(str))))
    assert pairs == [("1999", "2000"), ("2000", "2001"), ("1999", "2001")]
    assert len(trends) >= 10 and set(trends["waves"]) == {"1999; 2000; 2001"}
    assert trends["slope"].notna().all() and trends["p_value"].notna().any()
    assert set(trends["group"]) == {"All", "Female", "Male"}
    assert_charts(root, EX_FIGS)


EX_CHARTS = bad.run_command(f"{EX_FIGS}/dumbbell.png", f"{EX_FIGS}/forest.png")
RW_CHARTS = bad.run_command(f"{RW_FIGS}/dumbbell.png", f"{RW_FIGS}/forest.png")

CASES = [
    bad.Case(
        "design_one_cluster",
        "every respondent in one cluster (`derive: cluster: {constant: 1}`)",
        bad.edit_yaml(EX_YAML, derive(cluster={"constant": "1"})),
        EX_EST,
        [
            (
                "every respondent in wave 'baseline' is in one cluster ('1' of design variable"
                " 'cluster')"
            ),
            "at least two clusters",
            EX_YAML,
            "datasets.respondents.design.cluster",
            "remove `cluster:`",
        ],
    ),
    bad.Case(
        "design_one_psu_per_stratum",
        "one cluster per stratum (cluster = stratum)",
        bad.edit_yaml(EX_YAML, derive(cluster={"copy": "stratum"})),
        EX_EST,
        [
            "every stratum in wave 'baseline' has a single cluster (PSU)",
            "'North': 'North'",
            "datasets.respondents.design.strata",
            "collapse the strata in pairs",
            "remove `strata:`",
        ],
    ),
    bad.Case(
        "design_lonely_psu",
        "a stratum with one cluster (Village 101 alone)",
        bad.edit_yaml(EX_YAML, _lonely_stratum),
        EX_EST,
        [
            "stratum 'Lonely' has a single cluster (PSU) in wave 'baseline' ('Village 101')",
            "lonely PSU",
            "R survey stops here too",
            "datasets.respondents.design.strata",
            "derive: {stratum_lonely_merged: {from: stratum_lonely, map: {'Lonely': 'North'",
        ],
    ),
    bad.Case(
        "design_zero_and_hundred_percent",
        "design-based indicators at 0% -> 100% and 0% -> 0%",
        two_waves(_extreme_indicators),
        "",
        [],
        command=EX_CHARTS,
        exit_code=0,
        check=check_extremes,
    ),
    bad.Case(
        "baseline_women_only_srs",
        "rwanda (simple random samples): no men at baseline",
        bad.edit_yaml(RW_YAML, _no_men_at_baseline),
        "",
        [],
        command=RW_CHARTS,
        exit_code=0,
        check=_check_no_men_at_baseline(RW_SHIFTS, RW_FIGS),
    ),
    bad.Case(
        "baseline_women_only_design",
        "example_country (clustered, weighted panel): no men at baseline",
        two_waves(bad.edit_yaml(EX_YAML, _no_men_at_baseline)),
        "",
        [],
        command=EX_CHARTS,
        exit_code=0,
        check=_check_no_men_at_baseline(EX_SHIFTS, EX_FIGS),
    ),
    bad.Case(
        "waves_named_1999_2000",
        "waves named '1999' and '2000' instead of baseline and endline",
        two_waves(bad.edit_yaml(EX_YAML, _rename_waves({"baseline": "1999", "endline": "2000"}))),
        "",
        [],
        command=EX_CHARTS,
        exit_code=0,
        check=check_renamed_waves,
    ),
    bad.Case(
        "one_wave",
        "a country with one wave (the endline source removed)",
        bad.edit_yaml(EX_YAML, _only_baseline),
        "",
        [],
        command=EX_CHARTS,
        exit_code=0,
        check=check_one_wave,
    ),
    bad.Case(
        "three_waves",
        "the shipped example: a midline source between baseline and endline",
        _shipped,
        "",
        [],
        command=EX_CHARTS,
        exit_code=0,
        check=check_three_waves,
    ),
    bad.Case(
        "three_waves_named_1999_2000_2001",
        "three waves named 1999, 2000 and 2001",
        _three_waves_named_by_year,
        "",
        [],
        command=bad.run_command(
            f"{EX_FIGS}/dumbbell.png",
            f"{EX_FIGS}/forest.png",
            "reports/tables/example_country/trends.csv",
        ),
        exit_code=0,
        check=check_three_waves_named_by_year,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    root = copy_project(tmp_path)
    bad.check_outcome(case, root, bad.run_case(case, root))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
