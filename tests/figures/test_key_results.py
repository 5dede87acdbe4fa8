"""Key results: one sentence per headline indicator, generated from the tables (shifts, mean
shifts, adjusted), with the crude and adjusted change, the Holm p, for whom, and the flag."""

from __future__ import annotations

import numpy as np
import pandas as pd

from figures.key_results import headline_rows, key_results
from figures.tables import COMPOSITION_MARK


def _shift(indicator, group_var, group, diff, p_holm, **extra) -> dict:
    row = {
        "indicator": indicator,
        "group_var": group_var,
        "group": group,
        "from_wave": "baseline",
        "to_wave": "endline",
        "from_pct": 42.8,
        "to_pct": 55.9,
        "diff_pp": diff,
        "diff_ci_low": diff - 6.7,
        "diff_ci_high": diff + 6.7,
        "p_value": p_holm / 4,
        "p_holm": p_holm,
        "holm_family": "primary, overall" if group_var == "overall" else "primary, subgroup",
        "direction_improved": True,
    }
    return row | extra


SHIFTS = pd.DataFrame(
    [
        _shift("leave", "overall", "All", 13.18, 0.0003),
        _shift("leave", "sex", "Female", 1.7, 1.0),
        _shift("leave", "sex", "Male", 10.86, 0.5),
        _shift("leave", "sex", "sex: Female - Male", -9.16, 1.0, p_value=0.231),
        _shift("arms", "overall", "All", -4.39, 0.153, direction_improved=np.nan),
        _shift("minor", "overall", "All", 2.0, 0.9, holm_family="secondary, overall"),
    ]
)
ADJUSTED = pd.DataFrame(
    [
        {
            "indicator": "leave",
            "from_wave": "baseline",
            "to_wave": "endline",
            "standardise_by": "sex",
            "standardised_change": 4.849,
            "std_ci_low": -1.85,
            "std_ci_high": 11.55,
            "ame": 3.44,
            "crude_flag": True,
        }
    ]
)


def test_one_sentence_per_primary_indicator_with_crude_adjusted_for_whom_and_flag():
    sentences = key_results(SHIFTS, pd.DataFrame(), ADJUSTED, {"leave": "Leave children"}, 0.05, 1)
    assert len(sentences) == 2  # the secondary indicator is not a headline
    leave, arms = sentences
    assert leave.startswith("Leave children: 42.8% at baseline, 55.9% at endline")
    assert "+13.2 percentage points (95% CI 6.5 to 19.9)" in leave
    assert "significant after Holm adjustment (p < 0.001), an improvement" in leave
    assert "Standardised to one composition (sex) it is +4.8 pp (-1.9 to 11.6)" in leave
    assert "adjusted by a model, +3.4 pp" in leave and COMPOSITION_MARK in leave
    assert "Women +1.7 pp, men +10.9 pp (difference between them: p = 0.231)" in leave
    assert "not significant after Holm adjustment (p = 0.153)" in arms
    assert COMPOSITION_MARK not in arms and "Standardised" not in arms


def test_the_headline_comparison_is_first_to_last_wave():
    three = pd.concat(
        [
            SHIFTS.iloc[[0]].assign(from_wave="baseline", to_wave="midline"),
            SHIFTS.iloc[[0]].assign(from_wave="midline", to_wave="endline"),
            SHIFTS.iloc[[0]].assign(from_wave="baseline", to_wave="endline", diff_pp=20.0),
        ]
    )
    rows = headline_rows(three)
    assert len(rows) == 1 and rows.iloc[0]["to_wave"] == "endline"
    assert rows.iloc[0]["diff_pp"] == 20.0


def test_means_speak_in_their_unit_and_a_level_of_confidence_follows_alpha():
    means = pd.DataFrame(
        [
            {
                "indicator": "who5",
                "group_var": "overall",
                "group": "All",
                "from_wave": "1999",
                "to_wave": "2000",
                "from_mean": 48.123,
                "to_mean": 55.5,
                "diff": 7.377,
                "ci_low": 1.4,
                "ci_high": 13.3,
                "p_value": 0.004,
                "p_holm": 0.125,
                "unit": "points",
                "holm_family": "",
            }
        ]
    )
    (sentence,) = key_results(pd.DataFrame(), means, pd.DataFrame(), {}, 0.1, 1)
    assert sentence.startswith("who5: 48.12 points at 1999, 55.50 points at 2000")
    assert "+7.38 points (90% CI 1.40 to 13.30)" in sentence
    assert "not significant after Holm adjustment (p = 0.125)" in sentence


def test_no_changes_no_sentences():
    assert key_results(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, 0.05, 1) == []


def test_p_values_read_as_a_sentence():
    from figures.key_results import _p_text

    assert _p_text(0.00002) == "p < 0.001"
    assert _p_text(0.153) == "p = 0.153"
