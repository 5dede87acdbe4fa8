"""The report's scale reliability section (figures.scales_section): alpha, its interval and omega
per wave as scales.csv has them, notes for what is not estimable, warnings, and text from config or
data escaped."""

from __future__ import annotations

import html
import re

import pandas as pd

from analysis.csv_files import read_output_csv, write_csv
from analysis.survey.reliability import ScaleItems, scale_table
from figures.scales_section import scales_section
from tests.conftest import FIXTURES

HOSTILE = "<script>alert('x')</script> & \"Women\""


def _items(name: str) -> pd.DataFrame:
    path = FIXTURES / "reference" / f"reliability_{name}.csv"
    return pd.read_csv(path).drop(columns="respondent").astype(float)


def _table(indicator: str = "coping", item: str = "r3") -> pd.DataFrame:
    """Wave "1999": the 40 respondents of the reversed-item sample with r3 NOT reversed (so the
    scale warns that it looks miscoded); wave "2000": the five-item sample's 60 respondents, who
    did not answer this scale (not estimable)."""
    four = _items("reversed_item").rename(columns={"r3": item})
    both = pd.concat([four, _items("five_items")], ignore_index=True)
    wave = pd.Series(["1999"] * len(four) + ["2000"] * (len(both) - len(four)))
    scale = ScaleItems(indicator, both[list(four.columns)], (item,))
    return scale_table([scale], wave, ["1999", "2000"], "x")


def test_section_shows_alpha_interval_omega_notes_and_warnings():
    table = _table()
    out = scales_section(table, {"coping": "Coping scale"})
    first = table.iloc[0]
    row = re.search(r"<tr><td>1999</td>(.*?)</tr>", out).group(1)
    cells = re.findall(r"<td class=num>(.*?)</td>", row)
    assert cells == [
        "40",
        "38",
        "4",
        f"{first.alpha:.2f}",
        f"{first.alpha_ci_low:.2f} to {first.alpha_ci_high:.2f}",
        f"{first.omega:.2f}",
    ]
    assert "<h4>Coping scale<span" in out
    empty = re.search(r"<tr><td>2000</td>(.*?)</tr>", out).group(1)
    assert "<td class=num>–<sup>[1]</sup></td>" in empty
    assert "[1] alpha not estimable: 0 complete respondents; omega not estimable" in out
    assert "item-rest r not estimable" not in out  # item notes stay in scales.csv
    warning = re.findall(r"<p class=bad>(.*?)</p>", out)
    assert len(warning) == 1 and warning[0].startswith("1999: r3 is reverse-coded but correlates")


def test_section_reads_scales_csv_as_written(tmp_path):
    """Wave names read back as numbers (1999) are written as configured, the numbers unchanged."""
    table = _table()
    write_csv(table, tmp_path / "scales.csv", float_format="%.10g")
    again = read_output_csv(tmp_path / "scales.csv")
    assert scales_section(again) == scales_section(table)


def test_text_from_config_or_data_is_escaped():
    out = scales_section(_table(indicator=HOSTILE, item=HOSTILE), {HOSTILE: HOSTILE})
    assert "<script>" not in out
    assert html.escape(HOSTILE) in out
    assert f"1999: {html.escape(HOSTILE)} is reverse-coded" in out


def test_no_scale_no_section():
    assert scales_section(_table().iloc[:0]) == ""
