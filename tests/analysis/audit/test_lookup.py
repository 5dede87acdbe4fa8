"""`python -m analysis.audit list` / `find` and the origin lines of `show`
(analysis.audit.lookup)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from analysis.audit.__main__ import main
from analysis.audit.lookup import claim_indicator, find_claims, list_lines

CLAIMS = pd.DataFrame(
    {
        "id": ["s1_share", "s1_count", "s2_quote", "s3_large"],
        "section": ["3.1", "3.1", "3.2", "2.1"],
        "quote": [
            "from 43.4% to 59.4%",
            "404 questionnaires",
            "Most Felt SAFE",
            "over 1,000,000 dead",
        ],
        "unit": ["percent", "count", "", "count"],
        "printed": ["43.4", "404", "", "1000000"],
        "decimals": ["1", "0", "", "0"],
        "status": ["reproduced", "reproduced", "not_checkable", "not_recomputable"],
    }
)


def _ids(query: str) -> list[str]:
    return list(find_claims(CLAIMS, query)["id"])


def test_find_by_value_within_rounding_and_by_quote():
    assert _ids("43.4") == ["s1_share"]
    assert _ids("43.44") == ["s1_share"]  # rounds to the printed 43.4
    assert _ids("43.46") == []  # rounds to 43.5
    assert _ids("43") == ["s1_share"]  # 43.4 printed without decimals is 43
    assert _ids("404") == ["s1_count"]
    assert _ids("59.4%") == ["s1_share"]  # by quote (substring), the value of no claim
    assert _ids("1,000,000") == ["s3_large"]
    assert _ids("felt safe") == ["s2_quote"]  # case-insensitive
    assert _ids("nothing like this") == []


@given(
    printed=st.integers(min_value=-(10**6), max_value=10**6),
    decimals=st.integers(min_value=0, max_value=3),
    offset=st.floats(min_value=-0.49, max_value=0.49),
)
def test_any_value_rounding_to_the_printed_one_finds_it(printed, decimals, offset):
    value = printed / 10**decimals
    claims = CLAIMS.iloc[:1].assign(printed=f"{value:.{decimals}f}", decimals=str(decimals))
    query = f"{value + offset / 10**decimals:.{decimals + 2}f}"
    assert list(find_claims(claims, query)["id"]) == ["s1_share"]


def test_list_has_one_line_per_claim_with_id_section_printed_status():
    lines = list_lines(CLAIMS)
    assert len(lines) == len(CLAIMS)
    assert lines[0].split() == ["s1_share", "3.1", "43.4", "percent", "reproduced"]
    assert lines[2].split() == ["s2_quote", "3.2", "not_checkable"]


def test_cli_list_and_find_read_the_audit(tmp_path, capsys):
    (tmp_path / "reports/audit").mkdir(parents=True)
    CLAIMS.to_csv(tmp_path / "reports/audit/claims.csv", index=False)
    assert main(["--root", str(tmp_path), "list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(CLAIMS)
    assert main(["--root", str(tmp_path), "find", "404"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        list_lines(CLAIMS.iloc[[1]])[0],
        '    "404 questionnaires"',
    ]


def test_cli_without_an_audit_says_how_to_make_one(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "list"]) == 2
    assert "make report" in capsys.readouterr().err


def test_claim_indicator_from_its_recompute_spec():
    spec = SimpleNamespace(indicator="trust", country="land")
    assert claim_indicator(SimpleNamespace(recompute=SimpleNamespace(estimate=spec))) == (
        "trust",
        "land",
    )
    assert claim_indicator(SimpleNamespace(recompute=None)) == (None, None)


def test_origin_names_raw_files_exclusions_and_indicator(tmp_path):
    from analysis.audit.lookup import origin_lines

    sources = [SimpleNamespace(file="data/raw/land/base.sav", wave="baseline", format="spss")]
    dataset = SimpleNamespace(sources=sources)
    indicator = SimpleNamespace(
        id="trust",
        label="Trusts neighbours",
        improvement="increase",
        role="primary",
        question="Do you trust your neighbours?",
        countries={"land": SimpleNamespace(model_dump=lambda **_: {"variable": "q7"})},
    )
    project = SimpleNamespace(
        countries={"land": SimpleNamespace(datasets={"respondents": dataset})},
        indicators=[indicator],
    )
    (tmp_path / "data/processed/land").mkdir(parents=True)
    pd.DataFrame(
        {
            "dataset": ["respondents"] * 3 + ["register"],
            "wave": ["baseline"] * 4,
            "rule": ["dup", "dup", "no_consent", "dup"],
        }
    ).to_csv(tmp_path / "data/processed/land/exclusions.csv", index=False)
    claim = SimpleNamespace(
        recompute=SimpleNamespace(estimate=SimpleNamespace(indicator="trust", country="land"))
    )
    inputs = [{"path": "data/processed/land/respondents.parquet", "sha256": "0"}]
    assert [line.split() for line in origin_lines(project, tmp_path, inputs, claim)] == [
        ["raw", "file", "data/raw/land/base.sav", "(wave", "baseline,", "spss)"],
        ["excluded", "2", "row(s)", "by", "rule", "dup", "(baseline)"],
        ["excluded", "1", "row(s)", "by", "rule", "no_consent", "(baseline)"],
        ["indicator", "trust:", "Trusts", "neighbours", "(improvement:", "increase,", "primary)"],
        ["question", "Do", "you", "trust", "your", "neighbours?"],
        ["measured", "as", "{'variable':", "'q7'}", "(land)"],
    ]


def _value_tables(root) -> None:
    """An estimates.csv and a shifts.csv of country 'land' (overall, by sex and by age band)."""
    folder = root / "reports/tables/land"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "indicator": ["trust"] * 4,
            "wave": ["baseline", "endline", "endline", "endline"],
            "group_var": ["overall", "overall", "sex", "age_band"],
            "group": ["All", "All", "Female", "Female"],  # an age band named like a sex
            "n": [420, 400, 210, 99],
            "k": [168, 200, 110, 1],
            "percent": [40.0, 50.0, 52.380952, 1.0],
            "ci_low": [35.4, 45.1, 45.6, 0.2],
            "ci_high": [44.8, 54.9, 59.1, 5.5],
            "ci_method": ["wilson"] * 4,
            "note": ["", "", "", ""],
        }
    ).to_csv(folder / "estimates.csv", index=False)
    pd.DataFrame(
        {
            "indicator": ["trust"],
            "group_var": ["overall"],
            "group": ["All"],
            "from_wave": ["baseline"],
            "to_wave": ["endline"],
            "diff_pp": [10.0],
            "p_holm": [0.004],
        }
    ).to_csv(folder / "shifts.csv", index=False)


def test_show_traces_a_report_estimate_or_shift_by_its_id(tmp_path, capsys):
    """The ids beside the report's estimates and shifts (`est:`/`shift:`) trace to their row of
    estimates.csv / shifts.csv (overall and by sex, as the report lists them), the table's hash
    and the computing module; a wrong id is one ERROR naming what is missing."""
    _value_tables(tmp_path)
    assert main(["--root", str(tmp_path), "show", "est:land/trust/endline/Female"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "value       est:land/trust/endline/Female  (estimates.csv, sex row)"
    assert [line.split() for line in out[1:4]] == [
        ["n", "210"],
        ["k", "110"],
        ["percent", "52.380952"],
    ]
    assert any(
        line.startswith("  input         reports/tables/land/estimates.csv  sha256 ")
        for line in out
    )
    assert main(["--root", str(tmp_path), "show", "shift:land/trust/All"]) == 0
    out = capsys.readouterr().out
    assert "  diff_pp           10.0" in out and "analysis.survey.shifts" in out
    for bad, says in (
        ("est:land/trust/midline/All", "no row of"),
        ("est:land/trust/All", "is not est:<country>/indicator/wave/group"),
        ("shift:atlantis/trust/All", "no "),
        ("est:../trust/endline/All", "is not est:"),
    ):
        assert main(["--root", str(tmp_path), "show", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"ERROR: unknown value id '{bad}'") and says in err, err
