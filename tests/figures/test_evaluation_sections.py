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
