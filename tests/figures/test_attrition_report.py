"""The report's attrition section: what it says, and that data text comes out literally."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.survey.attrition import ATTRITION_COLUMNS
from figures.report import _parts, attrition_view

HOSTILE = "<script>alert('x')</script> & \"Women\""


def _table() -> pd.DataFrame:
    row = dict.fromkeys(ATTRITION_COLUMNS, "")
    row.update(
        country="x",
        baseline_wave="baseline",
        followup_wave="endline",
        baseline_respondents=120,
        stayers=114,
        leavers=6,
        retention_percent=95.0,
        kind="characteristic",
        variable="social_group",
        item=HOSTILE,
        stayers_percent=8.77,
        leavers_percent=0.0,
        difference=8.77,
        diff_ci_low=-30.46,
        diff_ci_high=15.4,
        test="Fisher exact",
        p_value=0.004,
        p_holm=0.01,
    )
    other = dict(row, kind="indicator", variable="indicator", item="ind", p_holm=np.nan)
    other.update(p_value=np.nan, test="", note="not estimable: no leaver answered this item")
    return pd.DataFrame([row, other], columns=ATTRITION_COLUMNS)


def test_no_panel_no_section():
    assert attrition_view(pd.DataFrame(), {}, 0.05) is None


def test_section_counts_marks_and_escapes():
    view = attrition_view(_table(), {"ind": "Indicator label"}, 0.05)
    html = str(_parts().attrition(view))
    assert "Of 120 respondents at baseline, 114 (95.0%) were interviewed again at endline" in html
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)" in html.replace(
        "&#x27;", "&#39;"
    )
    assert "Indicator label" in html  # indicators by label, categories as they are
    assert ">8.8*</span>" in html  # Holm p 0.01 < 0.05
    assert "not estimable: no leaver answered this item" in html
    assert view["waves"][0]["rows"][1]["test"] == "–"
