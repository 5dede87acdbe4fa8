"""Issue 18, deliverable 6: the dumbbell by age band and by social group where n allows (one chart
per grouping of `estimate_groups` but sex, at most 6 indicators a page), and indicators asked in
one wave drawn on a two-wave dumbbell page (their point, no arrow) rather than left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from analysis.config import load_project
from figures import charts, paging
from figures.report import group_chart_figures
from tests.conftest import ROOT
from tests.figures.test_charts import assert_readable, build, estimate_row, is_filled

SOURCE = "Source: test survey."
HOSTILE = "<b>$x$</b> & 'Other' \\n"  # a group name drawn as written
BANDS = {"18–30": 120, "31–50": 200, "Other (specify)": 40, HOSTILE: 60}


def _by_band() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates of two indicators at baseline and endline (overall, by sex and by four age
    bands, the catch-all 'Other (specify)' second in the table), one asked at endline only; the
    shifts test the overall and sex rows only."""
    rows = []
    for ind, base in (("trust", 40.0), ("safety", 60.0)):
        rows.append(estimate_row(ind, "baseline", "overall", "All", 420, base))
        rows.append(estimate_row(ind, "endline", "overall", "All", 400, base + 10))
        for g in ("Female", "Male"):
            rows.append(estimate_row(ind, "baseline", "sex", g, 210, base))
            rows.append(estimate_row(ind, "endline", "sex", g, 200, base + 8))
        for k, (band, n) in enumerate(sorted(BANDS.items(), key=lambda kv: kv[0] != "18–30")):
            rows.append(estimate_row(ind, "baseline", "age_band", band, n, base + k))
            rows.append(estimate_row(ind, "endline", "age_band", band, n, base + 5 + k))
    rows.append(estimate_row("asked_late", "endline", "overall", "All", 400, 70.0))
    rows.append(estimate_row("asked_late", "endline", "age_band", "31–50", 200, 72.0))
    estimates = pd.DataFrame(rows)
    tested = estimates[estimates["group_var"].isin(["overall", "sex"])]
    tested = tested[tested["indicator"] != "asked_late"].drop_duplicates(["indicator", "group"])
    shifts = tested[["country", "indicator", "group_var", "group"]].assign(
        significant_holm=lambda d: d["group"] == "All",
        p_value=0.01,
        improvement="increase",
        from_wave="baseline",
        to_wave="endline",
    )
    return estimates, shifts


def _points_and_arrows(fig) -> tuple[dict, dict]:
    points, arrows = {}, {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if (gid := line.get_gid() or "").startswith("dumbbell:"):
                ind, rest = gid.removeprefix("dumbbell:").split(":", 1)
                group, wave = rest.rsplit(":", 1)
                points[(ind, group, wave)] = (line.get_xdata()[0], is_filled(line))
        for text in ax.texts:
            if (gid := text.get_gid() or "").startswith("dumbbell-arrow:"):
                ind, rest = gid.removeprefix("dumbbell-arrow:").split(":", 1)
                group, kind = rest.rsplit(":", 1)
                arrows[(ind, group)] = kind
    return points, arrows


def test_dumbbell_by_age_band_draws_every_band_estimate_and_no_sex_row():
    estimates, shifts = _by_band()
    fig = build(charts.build_dumbbell, estimates, shifts, SOURCE, by="age_band", min_group_n=30)
    points, arrows = _points_and_arrows(fig)
    expected = estimates[estimates["group_var"].isin(["overall", "age_band"])]
    assert set(points) == set(zip(expected["indicator"], expected["group"], expected["wave"]))
    for r in expected.itertuples():
        assert points[(r.indicator, r.group, r.wave)][0] == pytest.approx(r.percent)
    # the overall change keeps its test; a change within a band is descriptive (not tested);
    # the indicator asked at endline only has no arrow
    assert arrows[("trust", "All")] == "sig"
    assert {arrows[("trust", band)] for band in BANDS} == {"descriptive"}
    assert not any(ind == "asked_late" for ind, _ in arrows)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Change within a group: not tested" in legend
    assert "Change: not significant" not in legend  # nothing tested was not significant


def test_dumbbell_by_group_puts_catch_all_groups_last_and_writes_names_literally():
    estimates, shifts = _by_band()
    fig = build(charts.build_dumbbell, estimates, shifts, SOURCE, by="age_band", min_group_n=30)
    trust = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("trust"))
    heads = [t.get_text().split("\nn = ")[0] for t in trust.get_yticklabels()]
    assert heads[0] == "All respondents" and heads[-1] == "Other (specify)"
    assert set(heads) == {"All respondents", *BANDS}
    late = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("asked_late"))
    assert "(asked at endline only)" in late.get_title(loc="left")
    assert [t.get_text() for t in late.get_yticklabels()][-1] == "31–50\nn = 200 (endline only)"
    note = " ".join(" ".join(t.get_text() for t in fig.texts).split())
    assert "Rows by age band: the groups with at least 30 answers in a wave" in note
    assert "tested in comparisons.csv" in note
    assert_readable(fig)


def test_dumbbell_by_group_over_three_waves_draws_a_line_per_group():
    estimates, shifts = _by_band()
    mid = estimates[estimates["wave"] == "endline"].assign(wave="midline")
    three = pd.concat(
        [estimates[estimates["wave"] == "baseline"], mid, estimates[estimates["wave"] == "endline"]]
    )
    fig = build(charts.build_dumbbell, three, None, SOURCE, by="age_band")
    lines = {
        line.get_gid().removeprefix("waves:")
        for ax in fig.axes
        for line in ax.get_lines()
        if (line.get_gid() or "").startswith("waves:")
    }
    assert {f"trust:{band}" for band in BANDS} | {"trust:All"} <= lines
    assert not any(line.endswith((":Female", ":Male")) for line in lines)
    colours = {h.get_label(): h.get_color() for h in fig.legends[0].legend_handles}
    assert len(set(colours.values())) == len(colours) == 1 + len(BANDS)  # a colour per group


def test_sex_dumbbell_is_unchanged_by_other_groupings():
    estimates, shifts = _by_band()
    fig = build(charts.build_dumbbell, estimates, shifts, SOURCE)
    points, arrows = _points_and_arrows(fig)
    assert {g for _, g, _ in points} == {"All", "Female", "Male"}
    assert set(arrows.values()) == {"sig", "ns"}  # every drawn change is tested


# --- pages and names ------------------------------------------------------------------------------
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6, unique=True))
def test_group_chart_names_are_safe_unique_and_read_back(names):
    """Any `estimate_groups` names (config text) give file names of [a-z0-9_] only, one per
    grouping but sex, each read back to its grouping and page."""
    charts_of = paging.groupings_of(names)
    assert list(charts_of.values()) == [n for n in names if n != "sex"]
    for slug in charts_of:
        for page in (1, 2, 12):
            stem = paging.page_stem(f"dumbbell_by_{slug}", page)
            assert set(stem) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
            assert paging.parse_group_stem(stem) == (slug, page)
            assert paging.chart_job(stem) == ("dumbbell", page, slug)


def test_group_pages_from_the_shipped_config():
    """rwanda measures 18 share indicators: 3 pages of 6 for each of age band and social group;
    example_country groups by sex and age band: 9 indicators, 2 pages by age band."""
    project = load_project(ROOT)
    assert paging.group_charts(project, "rwanda") == {
        "age_band": "age_band",
        "social_group": "social_group",
    }
    assert paging.group_page_stems(project, "rwanda") == [
        "dumbbell_by_age_band",
        "dumbbell_by_age_band_p2",
        "dumbbell_by_age_band_p3",
        "dumbbell_by_social_group",
        "dumbbell_by_social_group_p2",
        "dumbbell_by_social_group_p3",
    ]
    assert paging.group_page_stems(project, "example_country") == [
        "dumbbell_by_age_band",
        "dumbbell_by_age_band_p2",
    ]
    assert paging.chart_job("forest_p2") == ("forest", 2, "")
    with pytest.raises(ValueError, match="not a shift chart"):
        paging.chart_job("figure1_sex_by_age")


def test_report_captions_each_group_page(tmp_path: Path):
    stems = [
        "dumbbell_by_social_group",
        "dumbbell_by_age_band_p2",
        "dumbbell",
        "dumbbell_by_age_band",
    ]
    pngs = {s: tmp_path / f"{s}.png" for s in stems}
    for p in pngs.values():
        Image.new("RGB", (8, 8), "white").save(p)  # a real (tiny) PNG: the report reads it
    estimates = pd.DataFrame({"wave": ["baseline", "endline"], "group_var": ["sex", "overall"]})
    c = SimpleNamespace(
        label="Rwanda",
        charts=pngs,
        estimates=estimates,
        groupings={"age_band": "age_band", "social_group": "social_group"},
        min_group_n=30,
    )
    alts = [f["alt"] for f in group_chart_figures(c, 0.05)]
    assert alts == [
        "Rwanda: percent of respondents per indicator at baseline and endline, overall and by age"
        " band (groups with at least 30 answers), with 95% CIs; changes within groups not tested"
        f" (page {k} of 2)"
        for k in (1, 2)
    ] + [
        "Rwanda: percent of respondents per indicator at baseline and endline, overall and by"
        " social group (groups with at least 30 answers), with 95% CIs; changes within groups not"
        " tested"
    ]


def test_cli_refuses_a_grouping_the_country_does_not_have(tmp_path: Path):
    estimates, shifts = _by_band()
    (tmp_path / "rwanda").mkdir()
    estimates.to_csv(tmp_path / "rwanda/estimates.csv", index=False)
    shifts.to_csv(tmp_path / "rwanda/shifts.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "figures", "dumbbell", "--country", "rwanda", "--by", "religion"]
        + ["--out-stem", str(tmp_path / "x"), "--tables-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("ERROR:") and "--by 'religion'" in done.stderr
    assert "use one of ['age_band', 'social_group']" in done.stderr
    assert not list(tmp_path.glob("x.*"))


def test_group_colours_never_reuse_all_women_or_men():
    from figures import style

    assert not {style.ALL, style.WOMEN, style.MEN} & set(charts.GROUP_PALETTE)
    grouping = charts.Grouping("band", tuple(f"g{k}" for k in range(35)), 1)
    looks = [charts._group_look(g, grouping) for g in grouping.groups]
    assert len(set(looks)) == 35  # colour and marker together tell 35 groups apart
