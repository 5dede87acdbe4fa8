"""The paper's words audited (analysis.audit.statement_checks, analysis.audit.statements): readings
against printed numbers within rounding, direction and significance on fixture tables, the test of
two printed percents (pinned to R prop.test: tests/fixtures/reference/statements_reference.R ->
statements_reference.json), statuses, register validation, and the report section's escaping."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from analysis.audit import statement_checks as sc
from analysis.audit.run import load_registry
from analysis.audit.statements import (
    STATEMENT_COLUMNS,
    audit_statements,
    load_statements,
    statement_findings,
)
from analysis.csv_files import write_csv
from analysis.errors import InputError
from analysis.tables.rounding import round_half_up
from figures.statements_section import statements_section
from tests.conftest import FIXTURES, ROOT

R = sc.Reading
REF = json.loads((FIXTURES / "reference" / "statements_reference.json").read_text())["cases"]


# ---- (a) arithmetic feasibility within rounding ------------------------------------------------
@pytest.mark.parametrize(
    "reading, printed, ok, certain",
    [
        (R("greater"), [(83.0, 1), (78.7, 1)], True, True),
        (R("greater"), [(12.6, 1), (18.3, 1)], False, False),
        (R("greater"), [(42, 0), (42, 0)], True, False),  # 41.5..42.5 vs 41.5..42.5
        (R("less"), [(2, 0), (11, 0)], True, True),
        (R("increase"), [(43.4, 1), (59.4, 1)], True, True),
        (R("decrease"), [(29.6, 1), (25.2, 1)], True, True),
        (R("decrease"), [(-18, 0)], True, True),
        (R("increase"), [(-18, 0)], False, False),
        (R("more_than", 50), [(62, 0)], True, True),
        (R("more_than", 50), [(50, 0)], True, False),  # 49.5..50.5
        (R("more_than", 50), [(49, 0)], False, False),
        (R("at_least", 90), [(99.2, 1), (89.9, 1)], False, False),
        (R("between", low=20, high=30), [(25.2, 1)], True, True),
        (R("between", low=30, high=100 / 3), [(33, 0)], True, False),
        (R("between", low=30, high=100 / 3), [(34, 0)], False, False),
        (R("sum_at_most", 100), [(62.2, 1), (69.6, 1)], False, False),
        (R("sum_at_most", 100), [(62.2, 1), (37.8, 1)], True, False),
    ],
)
def test_check_printed(reading, printed, ok, certain):
    operands = [sc.printed_interval(p, d) for p, d in printed]
    result = sc.check_printed(reading, operands, [f"c{i}" for i in range(len(operands))])
    assert result.passed is ok and result.values["certain"] is certain
    assert result.label == "proven"


def test_printed_bounds():
    assert sc.printed_interval(90, 0, "more_than") == (90, math.inf)
    assert sc.printed_interval(33, 0, "less_than") == (-math.inf, 33)
    assert sc.printed_interval(50, 0, "about") == (45, 55)
    assert sc.printed_interval(83.0, 1) == pytest.approx((82.95, 83.05))


def test_relation_needs_one_or_two_operands():
    with pytest.raises(ValueError):
        sc.relation_holds(R("greater"), [(1, 1), (2, 2), (3, 3)])


PERCENT = st.floats(0, 100, allow_nan=False)
RELATIONS = st.sampled_from(
    [R("greater"), R("less"), R("increase"), R("decrease"), R("at_least", 50), R("more_than", 25)]
    + [R("less_than", 75), R("between", low=20, high=30), R("sum_at_most", 100)]
)


@given(RELATIONS, PERCENT, PERCENT, st.integers(0, 2))
def test_feasibility_never_rejects_the_true_values(reading, x, y, decimals):
    """Whatever the unrounded values, if they satisfy the reading the printed (rounded half up)
    numbers are never called impossible."""
    holds, _ = sc.relation_holds(reading, [(x, x), (y, y)])
    printed = [sc.printed_interval(round_half_up(v, decimals), decimals) for v in (x, y)]
    if holds:
        assert sc.check_printed(reading, printed, ["a", "b"]).passed


@given(RELATIONS, PERCENT, PERCENT, st.floats(0, 5), st.floats(0, 5))
def test_certain_implies_possible_and_points_agree(reading, x, y, wx, wy):
    """Every value satisfying it implies some does; for exact values the two are the same."""
    possible, certain = sc.relation_holds(reading, [(x - wx, x + wx), (y - wy, y + wy)])
    assert possible or not certain
    p_point, c_point = sc.relation_holds(reading, [(x, x), (y, y)])
    assert p_point == c_point


@given(PERCENT, PERCENT)
def test_greater_and_less_mirror(x, y):
    a, b = (x - 0.05, x + 0.05), (y - 0.05, y + 0.05)
    assert sc.relation_holds(R("greater"), [a, b]) == sc.relation_holds(R("less"), [b, a])


# ---- (b, c) direction and significance ----------------------------------------------------------
def test_direction_on_exact_one_third():
    """33.333...% is not "just under one-third" (the reading excludes its upper end)."""
    reading = R("between", low=30, high=100 / 3)
    assert not sc.check_direction(reading, [100 / 3], ["All"]).passed
    assert sc.check_direction(reading, [32.9], ["All"]).passed


@pytest.mark.parametrize("p, ok", [(0.049, True), (0.05, False), (0.231, False)])
def test_check_p_value(p, ok):
    result = sc.check_p_value(p, 0.05, "z test", 0.5)
    assert result.passed is ok and result.label == "conditional"
    assert "Holm-adjusted p = 0.5" in result.detail


def test_check_interval_needs_the_whole_interval():
    reading = R("more_than", 100 / 3)
    assert not sc.check_interval(reading, [(32.32, 41.69)], ["All"]).passed
    assert sc.check_interval(reading, [(34.0, 41.69)], ["All"]).passed


@pytest.mark.parametrize(
    "name, a, b, exact",
    [
        ("mixed_savings", (83.0, 1, 265), (78.7, 1, 139), False),  # 78.7% of 139: no whole count
        ("justice_concern", (18.3, 1, 265), (12.6, 1, 139), False),
        ("fifty_thirty", (50, 0, 100), (30, 0, 100), True),
    ],
)
def test_printed_test_matches_r_prop_test(name, a, b, exact):
    ref = REF[name]
    result = sc.printed_test(a, b, 0.05, ["a", "b"])
    assert list(result.values["k"]) == ref["k"]
    assert result.values["p_value"] == pytest.approx(ref["p_value"], rel=1e-6)
    assert result.passed is (ref["p_value"] < 0.05)
    assert ("no whole count" not in result.detail) is exact
    assert result.label == "conditional"


@given(st.integers(1, 500), st.data())
def test_implied_count_rounds_back_to_the_printed_percent(n, data):
    k = data.draw(st.integers(0, n))
    printed = round_half_up(100 * k / n, 1)
    implied, exact = sc.implied_count(printed, 1, n)
    assert exact and round_half_up(100 * implied / n, 1) == printed


PASS, FAIL = sc.CheckResult("x", True, ""), sc.CheckResult("x", False, "")
MISSING = sc.NotRun("significance", "comparisons.csv missing")


@pytest.mark.parametrize(
    "arithmetic, direction, significance, expected",
    [
        (FAIL, PASS, PASS, ("impossible", "proven", False)),
        (PASS, None, None, ("printed_consistent", "proven", False)),
        (PASS, sc.NotRun("direction", "x"), None, ("printed_consistent", "proven", False)),
        (None, sc.NotRun("direction", "x"), None, ("not_run", "", False)),
        (PASS, FAIL, PASS, ("contradicted", "conditional", True)),
        (None, PASS, FAIL, ("not_supported", "conditional", True)),
        (PASS, PASS, PASS, ("supported", "conditional", True)),
        (PASS, PASS, MISSING, ("direction_only", "conditional", True)),
    ],
)
def test_statement_status(arithmetic, direction, significance, expected):
    assert sc.statement_status(arithmetic, direction, significance) == expected


@pytest.mark.parametrize(
    "direction, significance, printed, expected",
    [
        (None, None, FAIL, ("not_supported", "conditional", False)),  # printed numbers only
        (None, None, PASS, ("supported", "conditional", False)),
        (PASS, MISSING, FAIL, ("not_supported", "conditional", True)),  # stands in for the data's
        (PASS, PASS, FAIL, ("supported", "conditional", True)),  # the data's test comes first
        (FAIL, MISSING, PASS, ("contradicted", "conditional", True)),
    ],
)
def test_statement_status_with_printed_test(direction, significance, printed, expected):
    assert sc.statement_status(PASS, direction, significance, printed) == expected


def test_outcome_text():
    assert sc.outcome_text(None) == ""
    assert sc.outcome_text(MISSING) == "not run: comparisons.csv missing"
    assert sc.outcome_text(sc.CheckResult("x", False, "d")) == "fails: d"


# ---- the register against fixture tables --------------------------------------------------------
def _claim(id_: str, printed: float, decimals: int = 1) -> dict:
    return {
        "id": id_,
        "section": "3",
        "quote": "q",
        "printed": printed,
        "decimals": decimals,
        "unit": "percent",
        "recompute": {"external": {"source": "x"}},
    }


CLAIMS = [
    {**_claim("women", 18.3), "base_n": 265},
    {**_claim("men", 12.6), "base_n": 139},
    _claim("base", 29.6),
    _claim("end", 25.2),
    _claim("d46", 62.2),
    _claim("d79", 69.6),
]
SPEC = {"country": "rw", "indicator": "concern", "group_var": "sex", "groups": ["Female", "Male"]}
STATEMENTS = [
    {
        "id": "more_women",
        "section": "3",
        "quote": "More women than men",
        "kind": "group_comparison",
        "wording": "more women than men",
        "reading": {"relation": "greater"},
        "printed": ["women", "men"],
        "reconstruction": SPEC,
    },
    {
        "id": "women_less_change",
        "section": "3",
        "quote": "less at ease",
        "kind": "change_comparison",
        "wording": "less at ease",
        "reading": {"relation": "less"},
        "reconstruction": SPEC,
    },
    {
        "id": "arms_decrease",
        "section": "3",
        "quote": "a decrease",
        "kind": "change",
        "wording": "a decrease",
        "reading": {"relation": "decrease"},
        "printed": ["base", "end"],
        "reconstruction": {"country": "rw", "indicator": "arms"},
    },
    {
        "id": "quarter",
        "section": "3",
        "quote": "approximately a quarter",
        "kind": "magnitude",
        "wording": "approximately a quarter",
        "reading": {"relation": "between", "low": 20, "high": 30},
        "printed": ["end"],
        "reconstruction": {"country": "rw", "indicator": "arms"},
    },
    {
        "id": "majority_longer",
        "section": "3",
        "quote": '<b>a majority</b> & "women"',
        "kind": "partition",
        "wording": "a majority",
        "reading": {"relation": "sum_at_most", "value": 100},
        "printed": ["d46", "d79"],
    },
    {
        "id": "disabled_higher",
        "section": "3",
        "quote": "even higher",
        "kind": "group_comparison",
        "wording": "even higher",
        "reading": {"relation": "greater"},
        "reconstruction": {**SPEC, "groups": ["Disabled", "Male"]},
    },
    {
        "id": "many",
        "section": "3",
        "quote": "many",
        "kind": "magnitude",
        "wording": "many",
        "not_checkable": "no numeric convention",
    },
]


def _write(tmp_path: Path, claims=CLAIMS, statements=STATEMENTS) -> tuple[Path, Path]:
    claims_path = tmp_path / "claims.yaml"
    claims_path.write_text(
        yaml.safe_dump({"paper": {"title": "T: x", "year": 2023}, "claims": claims}),
        encoding="utf-8",
    )
    register = tmp_path / "statements.yaml"
    register.write_text(
        yaml.safe_dump({"claims": "claims.yaml", "statements": statements}), encoding="utf-8"
    )
    return claims_path, register


def _estimate(indicator, wave, group_var, group, percent, ci):
    return {
        "country": "rw",
        "indicator": indicator,
        "wave": wave,
        "group_var": group_var,
        "group": group,
        "percent": percent,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "note": "",
    }


def _shift(indicator, group_var, group, diff, p, test="chi-square"):
    return {
        "country": "rw",
        "indicator": indicator,
        "group_var": group_var,
        "group": group,
        "diff_pp": diff,
        "p_value": p,
        "p_holm": min(1.0, 3 * p),
        "test": test,
        "from_wave": "baseline",
        "to_wave": "endline",
        "note": "",
    }


def _tables(tmp_path: Path, with_comparisons: bool) -> Path:
    tables = tmp_path / "tables" / "rw"
    tables.mkdir(parents=True)
    estimates = [
        _estimate("concern", "endline", "sex", "Female", 18.25, (14.0, 23.4)),
        _estimate("concern", "endline", "sex", "Male", 12.59, (7.8, 19.3)),
        _estimate("arms", "endline", "overall", "All", 25.25, (21.26, 29.70)),
    ]
    shifts = [
        _shift("arms", "overall", "All", -4.39, 0.153),
        _shift("concern", "sex", "Female", 1.70, 0.66),
        _shift("concern", "sex", "Male", 10.86, 0.071),
        _shift("concern", "sex", "sex: Female - Male", -9.16, 0.231, "Wald z"),
    ]
    write_csv(pd.DataFrame(estimates), tables / "estimates.csv")
    write_csv(pd.DataFrame(shifts), tables / "shifts.csv")
    if with_comparisons:
        # the pair as the comparisons table writes it, in the other order than the register's
        row = {
            "country": "rw",
            "indicator": "concern",
            "measure": "share",
            "unit": "percent",
            "design_type": "independent",
            "wave": "endline",
            "group_var": "sex",
            "comparison": "pair",
            "group_a": "Male",
            "group_b": "Female",
            "estimate_a": 12.59,
            "estimate_b": 18.25,
            "difference": -5.66,
            "p_value": 0.1518,
            "p_holm": 0.6,
            "test": "Rao-Scott chi-square",
            "note": "",
        }
        write_csv(pd.DataFrame([row]), tables / "comparisons.csv")
    return tmp_path / "tables"


def _project(tmp_path: Path, synthetic: bool = True):
    """The parts of a Project the statement audit reads: countries, settings_for(...).alpha."""
    return SimpleNamespace(
        root=tmp_path,
        countries={"rw": SimpleNamespace(synthetic_data=synthetic)},
        settings=SimpleNamespace(alpha=0.05),
        settings_for=lambda name: SimpleNamespace(alpha=0.05),
    )


def _audit(tmp_path: Path, with_comparisons: bool = True) -> pd.DataFrame:
    claims_path, register_path = _write(tmp_path)
    claims = load_registry(claims_path, tmp_path)
    register = load_statements(register_path, tmp_path, claims)
    tables = _tables(tmp_path, with_comparisons)
    frame = audit_statements(_project(tmp_path), register, claims, tables)
    return frame.set_index("id")


def test_statuses_on_fixture_tables(tmp_path):
    out = _audit(tmp_path)
    assert list(out.reset_index().columns) == STATEMENT_COLUMNS
    assert out.loc["more_women", "status"] == "not_supported"
    assert "p = 0.152" in out.loc["more_women", "significance"]
    assert out.loc["more_women", "recomputed"] == "Female 18.25%; Male 12.59%"
    assert "48/265 vs men 18/139" in out.loc["more_women", "printed_test"]
    assert f"p = {REF['justice_concern']['p_value']:.3g}" in out.loc["more_women", "printed_test"]
    assert out.loc["women_less_change", "status"] == "not_supported"
    assert "Wald z: p = 0.231" in out.loc["women_less_change", "significance"]
    assert out.loc["arms_decrease", "status"] == "not_supported"
    assert out.loc["quarter", "status"] == "supported"
    assert out.loc["quarter", "depends_on_reconstruction"]
    assert "synthetic reconstruction" in out.loc["quarter", "basis"]
    assert out.loc["majority_longer", "status"] == "impossible"
    assert out.loc["majority_longer", "label"] == "proven"
    assert not out.loc["majority_longer", "depends_on_reconstruction"]
    assert out.loc["disabled_higher", "status"] == "not_run"
    assert out.loc["disabled_higher", "direction"].startswith("not run: no estimate of concern")
    assert out.loc["many", "status"] == "not_checkable"
    # never proven when the status rests on the data
    rests = out[out["depends_on_reconstruction"].astype(bool)]
    assert set(rests["label"]) == {"conditional"}


def test_missing_comparisons_are_not_run(tmp_path):
    """Without comparisons.csv the data's test is not run; the printed numbers' test stands in."""
    out = _audit(tmp_path, with_comparisons=False)
    assert out.loc["more_women", "significance"] == "not run: comparisons.csv missing"
    assert out.loc["more_women", "status"] == "not_supported"
    assert out.loc["more_women", "depends_on_reconstruction"]


def test_without_data_or_bases_the_status_rests_on_the_printed_numbers(tmp_path):
    claims = [{k: v for k, v in c.items() if k != "base_n"} for c in CLAIMS]
    claims_path, register_path = _write(tmp_path, claims=claims, statements=STATEMENTS[:1])
    registry = load_registry(claims_path, tmp_path)
    register = load_statements(register_path, tmp_path, registry)
    out = audit_statements(_project(tmp_path), register, registry, tmp_path / "none")
    row = out.iloc[0]
    assert row["printed_test"] == "" and row["direction"] == "not run: estimates.csv missing"
    assert (row["status"], row["label"]) == ("printed_consistent", "proven")


def test_findings_section_escapes_and_counts(tmp_path):
    lines = statement_findings(_audit(tmp_path).reset_index())
    assert "## The paper's words" in lines
    assert "| impossible | 1 |" in lines
    assert "| total | 7 |" in lines
    assert not any("<b>" in line for line in lines)


def test_register_rejects_unknown_claims_duplicates_and_incomplete_readings(tmp_path):
    bad = {**STATEMENTS[0], "printed": ["women", "nobody"]}
    claims_path, register = _write(tmp_path, statements=[bad])
    claims = load_registry(claims_path, tmp_path)
    with pytest.raises(InputError, match="unknown claims"):
        load_statements(register, tmp_path, claims)
    _, register = _write(tmp_path, statements=[STATEMENTS[0], STATEMENTS[0]])
    with pytest.raises(InputError, match="duplicate statement ids"):
        load_statements(register, tmp_path, claims)
    incomplete = {**STATEMENTS[3], "reading": {"relation": "between", "low": 30}}
    _, register = _write(tmp_path, statements=[incomplete])
    with pytest.raises(InputError, match="between needs"):
        load_statements(register, tmp_path, claims)
    unchecked = {k: v for k, v in STATEMENTS[0].items() if k not in ("printed", "reconstruction")}
    _, register = _write(tmp_path, statements=[unchecked])
    with pytest.raises(InputError):  # neither printed numbers, data nor a reason it is unchecked
        load_statements(register, tmp_path, claims)


def test_shipped_register_is_valid_and_covers_the_paper():
    claims = load_registry(ROOT / "config/claims/peace_of_mind_2023.yaml", ROOT)
    register = load_statements(
        ROOT / "config/claims/peace_of_mind_2023_statements.yaml", ROOT, claims
    )
    statements = register.statements
    assert len(statements) >= 40
    assert {s.section for s in statements} >= {"2.1", "2.2", "3.1.1", "3.2.1", "5"}
    assert all(s.not_checkable or s.printed or s.reconstruction for s in statements)
    printed = {p for s in statements for p in s.printed}
    assert {"s311_justice_concern_women", "s311_mixed_savings_women"} <= printed


# ---- the report section --------------------------------------------------------------------------
def test_report_section_escapes_and_marks(tmp_path):
    out = statements_section(_audit(tmp_path).reset_index())
    assert html.escape('<b>a majority</b> & "women"') in out
    assert "<b>a majority</b>" not in out
    assert "<td class=bad>impossible (proven)" in out
    assert "<td>supported (conditional)" in out
    assert statements_section(pd.DataFrame(columns=STATEMENT_COLUMNS)) == ""
