"""The synthetic-reconstruction generator: exact counts for printed percentages, byte-identical
output."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from synthetic.__main__ import main as generate
from synthetic.targets import printed_int, rounded_pct_int, solve_item
from tests.conftest import ROOT


@given(st.integers(0, 500), st.integers(1, 500))
def test_rounded_pct_int_matches_decimal_rounding(k, n):
    from analysis.tables.rounding import percent_half_up

    assert rounded_pct_int(min(k, n), n, 1) == printed_int(percent_half_up(min(k, n), n, 1), 1)


def test_impossible_base_uses_least_item_nonresponse():
    # 78.7% of 139 men is impossible (109/139 = 78.4%, 110/139 = 79.1%); 107/136 = 78.68% needs 3
    # missing answers
    sol = solve_item(
        {"endline": {"Female": 265, "Male": 139}}, {"endline": {"Female": 83.0, "Male": 78.7}}, 1
    )
    men = sol.counts["endline"]["Male"]
    assert (men.n, men.k) == (136, 107) and not sol.unmatched
    assert sol.counts["endline"]["Female"].n == 265


def test_value_impossible_at_any_base_is_reported_with_nearest():
    # 99.9% needs n >= 667 with k = n - 1: impossible for 139 men whatever the non-response
    sol = solve_item({"endline": {"Male": 139}}, {"endline": {"Male": 99.9}}, 1)
    assert sol.counts["endline"]["Male"].k == sol.counts["endline"]["Male"].n == 139
    assert any("99.9" in line for line in sol.unmatched)


def test_changes_and_levels_jointly():
    totals = {"baseline": {"Female": 389, "Male": 53}, "endline": {"Female": 265, "Male": 139}}
    sol = solve_item(
        totals,
        {"baseline": {"overall": 42.8}, "endline": {"overall": 55.9}},
        1,
        change_pp={"Female": 2, "Male": 11},
        change_decimals=0,
    )
    assert not sol.unmatched
    for group, change in (("Female", 2), ("Male", 11)):
        diff = sol.counts["endline"][group].pct - sol.counts["baseline"][group].pct
        assert round(diff) == change


def _digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_generator_rebuilds_shipped_raw_data_byte_for_byte(tmp_path):
    generate(["--out", str(tmp_path)])
    assert _digest(tmp_path) == _digest(ROOT / "data" / "raw")


def test_readme_says_synthetic_and_lists_cases():
    text = (ROOT / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC RECONSTRUCTIONS" in text and "config/synthetic_reconstruction.yaml" in text
    assert "NOT MATCHED" in text and "99.9%" in text
