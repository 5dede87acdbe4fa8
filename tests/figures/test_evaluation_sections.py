"""The report's evaluation sections (difference in differences, power): numbers as the tables
have them, stars from the Holm p, "–" and a numbered note when not estimable, hostile text
escaped, nothing when there is no table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.survey.did import DID_COLUMNS
from figures.evaluation_sections import evaluation_sections

HOSTILE = '<script>alert("x")</script> & Co'


def _did(**changes) -> pd.DataFrame:
    row = dict.fromkeys(DID_COLUMNS, "")
    row |= {
        "country": "x",
        "indicator": "trust",
        "measure": "share",
        "unit": "percentage points",
        "from_wave": "1999",
        "to_wave": HOSTILE,
        "programme_change": 8.6,
        "comparison_change": 8.0,
        "did": 0.63,
        "ci_low": -11.99,
        "ci_high": 13.26,
        "p_value": 0.0004,
        "p_holm": 0.0012,
        "n_programme": 275,
        "n_comparison": 278,
        "note": "",
    }
    return pd.DataFrame([row | changes])


def _power() -> pd.DataFrame:
    base = {
        "country": "x",
        "indicator": "trust",
        "measure": "share",
        "wave": "endline",
        "n": 549,
        "deff": 2.7058,
        "value": 55.74,
        "alpha": 0.05,
        "power": 0.8,
        "mdc": 13.43,
        "target_change": 5,
        "n_needed_per_wave": 4129,
        "unit": "percent",
        "method": "R power.prop.test",
        "note": "",
    }
    overall = base | {"group_var": "overall", "group": "All"}
    women = base | {"group_var": "sex", "group": "Female", "mdc": 99.0}
    return pd.DataFrame([overall, women])


def test_the_did_row_shows_the_table_numbers_with_a_star_from_the_holm_p():
    html = evaluation_sections({"did": _did()}, {"trust": "Trusts others"}, 0.05)
    assert "Trusts others" in html and "0.6*" in html and "-12.0 to 13.3" in html
    assert "275 / 278" in html and "95% CI" in html
    not_significant = evaluation_sections({"did": _did(p_holm=0.2)}, {}, 0.05)
    assert "0.6*" not in not_significant and ">0.6<" in not_significant


def test_a_not_estimable_did_shows_a_dash_and_its_numbered_note():
    row = _did(did=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan, p_holm=np.nan)
    row["note"] = "not estimable: the comparison arm has no answers in wave 'x'"
    html = evaluation_sections({"did": row}, {}, 0.05)
    assert "[1] not estimable: the comparison arm has no answers in wave &#x27;x&#x27;" in html
    assert "nan" not in html.lower().replace("&nbsp;", "")


def test_text_from_config_and_data_comes_out_escaped():
    html = evaluation_sections({"did": _did()}, {"trust": HOSTILE}, 0.05)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html


def test_power_shows_the_whole_sample_rows_only():
    html = evaluation_sections({"power": _power()}, {}, 0.05)
    assert "13.4 pp" in html and "4,129" in html and "2.71" in html and "55.7%" in html
    assert "99.0" not in html and "80% power" in html


def test_no_tables_no_section():
    assert evaluation_sections({}, {}, 0.05) == ""
    assert evaluation_sections({"did": pd.DataFrame(columns=DID_COLUMNS)}, {}, 0.05) == ""


def test_the_report_names_each_holm_family_with_its_size():
    from figures.report import holm_families_text

    shares = pd.DataFrame({"holm_family": ["primary, overall", "primary, subgroup", ""]})
    means = pd.DataFrame({"holm_family": ["primary, subgroup", np.nan]})
    text = holm_families_text(shares, means)
    assert text == "primary, overall (1 test); primary, subgroup (2 tests)"
    assert holm_families_text(pd.DataFrame()) == ""


def _comparisons() -> pd.DataFrame:
    base = {"country": "x", "measure": "share", "unit": "percentage points", "wave": "endline"}
    sex = base | {
        "indicator": "worried",
        "group_var": "sex",
        "comparison": "pair",
        "group_a": "Female",
        "group_b": "Male",
        "estimate_a": 18.3,
        "estimate_b": 12.6,
        "difference": 5.7,
        "ci_low": -2.0,
        "ci_high": 13.4,
        "p_value": 0.15,
        "p_holm": 0.6,
        "test": "two-proportion z",
        "note": "",
    }
    ages = [
        base
        | {
            "indicator": "worried",
            "group_var": "age_band",
            "comparison": "pair",
            "group_a": a,
            "group_b": b,
            "estimate_a": ea,
            "estimate_b": eb,
            "difference": ea - eb,
            "p_value": 0.5,
            "p_holm": 1.0,
            "test": "z",
            "note": "",
        }
        for a, b, ea, eb in [("18-30", "31-50", 20.0, 10.0), ("18-30", "51+", 20.0, 30.0)]
        + [("31-50", "51+", 10.0, 30.0)]
    ]
    table = base | {
        "indicator": "worried",
        "group_var": "age_band",
        "comparison": "table",
        "statistic": 2.345,
        "p_value": 0.04,
        "test": "Rao-Scott F",
        "note": "",
    }
    return pd.DataFrame([sex, *ages, table])


def test_comparisons_show_two_groups_by_difference_and_more_groups_by_their_test():
    html = evaluation_sections({"comparisons": _comparisons()}, {"worried": "Worried"}, 0.05)
    assert "Women vs Men" in html and "18.3% vs 12.6%" in html and "5.7 pp" in html
    assert "5.7*" not in html  # Holm p 0.6
    assert "age_band: 3 groups" in html and "31-50 10.0% to 51+ 30.0%" in html
    assert "Rao-Scott F = 2.35" in html and "0.040" in html
    assert html.count("<details") == 2 and html.count("<details open>") == 1


def _adjusted(flag: bool) -> pd.DataFrame:
    row = {
        "country": "x",
        "indicator": "leave_children",
        "measure": "share",
        "unit": "percentage points",
        "from_wave": "baseline",
        "to_wave": "endline",
        "standardise_by": "sex",
        "standard": "last",
        "crude_change": 13.18,
        "crude_ci_low": 6.5,
        "crude_ci_high": 19.9,
        "standardised_change": 4.1,
        "std_ci_low": -4.0,
        "std_ci_high": 12.2,
        "odds_ratio": 1.2,
        "or_ci_low": 0.8,
        "or_ci_high": 1.7,
        "ame": 4.3,
        "ame_ci_low": -3.9,
        "ame_ci_high": 12.5,
        "subgroup_min": 1.7,
        "subgroup_max": 10.86,
        "crude_flag": flag,
        "flag_reason": "crude change outside the <subgroup> changes" if flag else np.nan,
        "note": "",
    }
    return pd.DataFrame([row])


def test_adjusted_changes_sit_beside_the_crude_change_with_its_flag():
    html = evaluation_sections({"adjusted": _adjusted(True)}, {}, 0.05)
    assert "13.2 (6.5 to 19.9) †" in html and "4.1 (-4.0 to 12.2)" in html
    assert "4.3 (-3.9 to 12.5)" in html and "1.20 (0.80 to 1.70)" in html
    assert "1.7 to 10.9" in html and "&lt;subgroup&gt;" in html
    assert "(by sex, the last wave's)" in html.replace("\n", " ")
    calm = evaluation_sections({"adjusted": _adjusted(False)}, {}, 0.05)
    assert "13.2 (6.5 to 19.9) †" not in calm and "13.2 (6.5 to 19.9)" in calm
