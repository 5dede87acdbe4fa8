"""Issue 18, deliverable 6: pages of at most 10 indicators, one vocabulary (Women/Men), the forest
legend (grey filled/hollow, unadjusted CI at the configured level), catch-all groups last and
captions that say what a chart shows."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from PIL import Image

from analysis.config import load_project
from figures import charts, paging
from figures.__main__ import CliError, _page_of
from figures.report import _shift_chart_what, shift_chart_figures
from figures.style import OKABE_ITO, figure_style
from figures.tables import SEX_NAMES, ci_level, crosstab_display, group_name, other_last
from tests.conftest import ROOT

SOURCE = "Source: test survey."


# --- pages ----------------------------------------------------------------------------------------
@given(st.lists(st.text(min_size=1, max_size=5), unique=True, max_size=45))
def test_pages_split_the_indicators_in_order_at_most_ten_a_page(indicators):
    pages = paging.page_count(len(indicators))
    assert pages == max(1, math.ceil(len(indicators) / 10))
    cut = [paging.indicators_on_page(indicators, k) for k in range(1, pages + 1)]
    assert all(len(page) <= paging.INDICATORS_PER_PAGE for page in cut)
    assert [i for page in cut for i in page] == indicators  # every indicator once, in order


@given(st.sampled_from(paging.SHIFT_CHARTS), st.integers(1, 99))
def test_page_stems_read_back(chart, page):
    stem = paging.page_stem(chart, page)
    assert paging.parse_page_stem(stem) == (chart, page)
    assert (stem == chart) == (page == 1)  # page 1 keeps the chart's own name


def test_page_stems_from_the_shipped_config():
    """rwanda measures 18 share indicators (2 dumbbell pages), 3 of them in two waves (1 forest
    page: the forest draws changes); example_country 9: one page of each."""
    project = load_project(ROOT)
    assert len(paging.chart_indicators(project, "rwanda")) == 18
    assert len(paging.chart_indicators(project, "rwanda", "forest")) == 3
    assert paging.page_stems(project, "rwanda") == ["dumbbell", "dumbbell_p2", "forest"]
    assert paging.page_stems(project, "example_country") == ["dumbbell", "forest"]
    assert paging.parse_page_stem("figure1_sex_by_age") is None


def _shift_rows(indicators: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"indicator": indicators, "group": "All"})


def test_cli_page_cuts_the_tables_to_its_indicators_in_configured_order():
    configured = [f"i{k}" for k in range(1, 13)]
    tables = {"shifts.csv": _shift_rows(configured[::-1] + ["unconfigured"])}
    first, suffix = _page_of(tables, configured, 1)
    assert set(first["shifts.csv"]["indicator"]) == set(configured[:10])
    assert suffix == " (page 1 of 2)"
    second, _ = _page_of(tables, configured, 2)
    assert set(second["shifts.csv"]["indicator"]) == {"i11", "i12", "unconfigured"}
    with pytest.raises(CliError, match="--page 3 but the chart has 2 page"):
        _page_of(tables, configured, 3)
    assert _page_of({"shifts.csv": _shift_rows(["a"])}, ["a"], 1)[1] == ""  # one page: no suffix


# --- vocabulary and catch-all groups --------------------------------------------------------------
def test_one_vocabulary_for_charts_and_tables():
    assert charts.GROUP_NAMES == {"All": "All respondents", "Female": "Women", "Male": "Men"}
    assert {k: charts.GROUP_NAMES[k] for k in SEX_NAMES} == SEX_NAMES
    assert group_name("Female") == "Women" and group_name("Male") == "Men"
    assert group_name("sex: Female - Male") == "sex: Women - Men"
    assert group_name("Youth") == "Youth"


def test_crosstab_shows_women_and_men_and_other_last_before_total():
    rows = ["Other (specify)", "Farmers", "Traders", "Total"]
    tidy = pd.DataFrame(
        [{"row": r, "column": c, "n": 1, "percent": 50.0} for r in rows for c in ("Female", "Male")]
    )
    body = crosstab_display(tidy, "t", "T", [], show_percent=False).body
    assert list(body["row"]) == ["Farmers", "Traders", "Other (specify)", "Total"]
    assert list(body.columns) == ["row", "Women", "Men"]
    assert other_last(["other", "b", "Total", "a"]) == ["b", "a", "other", "Total"]


# --- the forest legend and the CI level -----------------------------------------------------------
@pytest.mark.parametrize(("alpha", "level"), [(0.05, "95%"), (0.1, "90%"), (0.005, "99.5%")])
def test_interval_level_follows_alpha(alpha, level):
    assert ci_level(alpha) == level
    assert charts.change_head(alpha) == f"Change ({level} CI)"
    bar, filled, hollow = charts.significance_handles(alpha)
    assert bar.get_label() == f"Bar: unadjusted {level} CI"
    assert filled.get_label().startswith("Filled: Holm-adjusted p < ")


def test_significance_entries_do_not_look_like_all_respondents():
    """'All respondents' is a black circle; the significance entries are grey, filled and hollow."""
    all_handle = charts._forest_handles(["All", "Female"], 0.05)[0]
    _, filled, hollow = charts.significance_handles(0.05)
    grey = to_rgba(OKABE_ITO["grey"])
    assert to_rgba(filled.get_markerfacecolor()) == grey
    assert to_rgba(hollow.get_markerfacecolor()) == to_rgba("white")
    assert to_rgba(all_handle.get_markerfacecolor()) != to_rgba(filled.get_markerfacecolor())


# --- captions -------------------------------------------------------------------------------------
def test_captions_say_what_the_chart_shows():
    assert _shift_chart_what("dumbbell", ["baseline", "endline"], True, 0.05) == (
        "percent of respondents per indicator at baseline and endline, overall and for women and"
        " men, with 95% CIs"
    )
    assert _shift_chart_what("forest", ["baseline", "endline"], False, 0.1) == (
        "change from baseline to endline in percentage points, all respondents, with unadjusted"
        " 90% CIs; filled markers: Holm-adjusted p < 0.1"
    )


def test_report_lists_every_page_in_order(tmp_path: Path):
    stems = ["forest_p2", "dumbbell", "figure1_sex_by_age", "forest", "dumbbell_p2"]
    pngs = {s: tmp_path / f"{s}.png" for s in stems}
    for p in pngs.values():
        Image.new("RGB", (8, 8), "white").save(p)  # a real (tiny) PNG: the report reads it
    estimates = pd.DataFrame({"wave": ["baseline", "endline"], "group_var": ["sex", "overall"]})
    c = SimpleNamespace(label="Rwanda", charts=pngs, estimates=estimates)
    alts = [f["alt"] for f in shift_chart_figures(c, 0.05)]
    assert len(alts) == 4 and all(a.startswith("Rwanda: ") for a in alts)
    assert alts[0].startswith("Rwanda: percent of respondents per indicator at baseline and")
    assert alts[0].endswith("(page 1 of 2)") and alts[1].endswith("(page 2 of 2)")
    assert alts[2].startswith("Rwanda: change from baseline to endline in percentage points")
    assert alts[3].endswith("(page 2 of 2)")
    assert not any(a.endswith(": forest") or a.endswith(": dumbbell") for a in alts)


def test_empty_page_says_why(tmp_path: Path):
    with figure_style():
        fig = charts._build_no_shifts(SOURCE, title="T (page 2 of 2)", reason="no rows here")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("no rows here" in t for t in texts)
    assert charts.empty_page(tmp_path / "p", SOURCE, title="T", reason="r")[0].exists()
