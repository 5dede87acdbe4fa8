"""A crude change flagged for composition (shifts.csv `composition_flag`, from adjusted.csv) is
marked wherever it appears: the forest chart's change column and note, the report's shift tables
(a numbered note led by the mark, with the flag's text escaped)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from figures.charts import _change_text, _composition_flagged
from figures.tables import COMPOSITION_MARK, notes_and_flags

FLAG = "crude +13.2 pp lies outside the <women's> (+1.7) and men's (+10.9) changes"


def _row(flag) -> pd.Series:
    return pd.Series(
        {"diff_pp": 13.18, "diff_ci_low": 5.2, "diff_ci_high": 21.1, "composition_flag": flag}
    )


def test_the_forest_change_text_carries_the_mark_only_when_flagged():
    assert _change_text(_row(FLAG), 1).endswith(f") {COMPOSITION_MARK}")
    for empty in ("", np.nan, None, "  "):
        assert COMPOSITION_MARK not in _change_text(_row(empty), 1)
        assert not _composition_flagged(_row(empty))


def test_report_notes_join_the_row_note_and_the_flag():
    sh = pd.DataFrame(
        {"note": ["design note", np.nan, "", "x"], "composition_flag": [FLAG, FLAG, np.nan, ""]}
    )
    texts = notes_and_flags(sh)
    assert texts.tolist() == [
        f"design note; {COMPOSITION_MARK} {FLAG}",
        f"{COMPOSITION_MARK} {FLAG}",
        "",
        "x",
    ]
    assert notes_and_flags(sh.drop(columns="composition_flag")).tolist() == [
        "design note",
        "",
        "",
        "x",
    ]


def test_the_display_shifts_table_marks_the_flagged_change_and_says_why():
    from figures.tables import _shift_row_notes, _shifts_body

    s = pd.DataFrame(
        {
            "indicator": ["a", "a"],
            "group": ["All", "Female"],
            "from_pct": [40.0, 38.0],
            "to_pct": [53.2, 39.7],
            "diff_pp": [13.2, 1.7],
            "diff_ci_low": [6.4, -5.8],
            "diff_ci_high": [19.8, 9.3],
            "test": ["z", "z"],
            "p_value": [0.0001, 0.66],
            "p_holm": [0.0003, 1.0],
            "p_bh": [0.0002, 0.7],
            "composition_flag": [FLAG, ""],
            "note": ["", ""],
        }
    )
    marks = _shift_row_notes(s)
    body = _shifts_body(s, {}, marks, 0.05, 1)
    change = body["Change, pp (95% CI)"].tolist()
    assert change[0].endswith(f"*{' ' + COMPOSITION_MARK}") and COMPOSITION_MARK not in change[1]
    assert marks.lines == [f"[1] {COMPOSITION_MARK} {FLAG}"]
