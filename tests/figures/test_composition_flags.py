"""A crude change flagged for composition (shifts.csv `composition_flag`, from adjusted.csv) is
marked wherever it appears: the forest chart's change column and note, the report's shift tables
(a numbered note led by the mark, with the flag's text escaped)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from figures.charts import _change_text, _composition_flagged
from figures.report import notes_and_flags
from figures.tables import COMPOSITION_MARK

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
