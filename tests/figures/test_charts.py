"""Charts (src/figures): they write PNG + SVG reproducibly, draw exactly the numbers in the tables,
mark exactly the Holm-significant shifts, and keep every label readable (no overlaps, nothing cut
off).

The tables are built here, small and in the pipeline's layout, so the tests do not depend on
pipeline outputs; one test also draws every chart from reports/tables when the pipeline has been
run.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.text import Text
from PIL import Image

from analysis.model import Design
from figures import charts
from figures.style import DPI, OKABE_ITO, figure_style
from tests.conftest import ROOT, copy_project

SOURCE = "Source: synthetic reconstruction of a test survey (not real responses); n = 404."
LABELS = {
    "marriage_ok": "Comfortable with marriage between people from different groups",
    "leave_children": "Would leave own children with people from another group",
    "use_of_arms": "Supports the use of arms in some cases",
    "endline_only": "Asked at endline only",
}
WOMEN_WHOSE = "Women/Men whose husbands/wives are imprisoned due to genocide against the Tutsi"


# --- small tables in the pipeline's layout --------------------------------------------------------
AGE_BANDS = ["18–20", "21–25", "26–30", "31–35", "36–50", "51–60", "Above 60"]
FIG1_COUNTS = {"Women": [6, 14, 19, 25, 101, 62, 38], "Men": [3, 9, 8, 11, 42, 35, 31]}

FIG2_COUNTS = {  # group: (women, men)
    "Adult survivors of genocide against the Tutsi": (137, 32),
    "Former combatants": (2, 8),
    "Under 30 years old, born from intermarriage case": (2, 0),
    WOMEN_WHOSE: (8, 0),
    "Adult ex-prisoners due to genocide against the Tutsi": (7, 34),
    "Under 30 years old, born from perpetrators": (31, 17),
    "Historically marginalised people": (1, 0),
    "Other (specify)": (26, 18),
}

FIG3_COUNTS = {  # (collection type, location, group): n
    ("In-depth interviews", "Jomi", "Younger women (20–35)"): 15,
    ("In-depth interviews", "Jomi", "Men (20–50)"): 1,
    ("In-depth interviews", "Vakhsh", "Younger women (20–35)"): 9,
    ("In-depth interviews", "Vakhsh", "Men (20–50)"): 1,
    ("FGDs", "Jomi", "Younger women (20–35)"): 24,
    ("FGDs", "Jomi", "Men (20–50)"): 32,
    ("FGDs", "Vakhsh", "Younger women (20–35)"): 39,
    ("FGDs", "Vakhsh", "Men (20–50)"): 32,
}


def crosstab(counts: dict[str, list[int]], columns: list[str], percent_base: str) -> pd.DataFrame:
    rows = []
    col_tot = np.sum(list(counts.values()), axis=0)
    for r, vals in [*counts.items(), ("Total", list(col_tot))]:
        for c, n in [*zip(columns, vals), ("Total", int(sum(vals)))]:
            rows.append(
                {"row": r, "column": c, "n": int(n), "percent": 0.0, "percent_base": percent_base}
            )
    return pd.DataFrame(rows)


@pytest.fixture
def fig1() -> pd.DataFrame:
    t = crosstab(FIG1_COUNTS, AGE_BANDS, "row")
    return t.assign(sex=t["row"], age_band=t["column"])


@pytest.fixture
def fig2() -> pd.DataFrame:
    counts = {g: list(v) for g, v in FIG2_COUNTS.items()}
    t = crosstab(counts, ["Women", "Men"], "total")
    return t.assign(social_group=t["row"], sex=t["column"])


@pytest.fixture
def fig3() -> pd.DataFrame:
    rows = []
    for (ct, loc, grp), n in FIG3_COUNTS.items():
        rows.append(
            {
                "row": ct,
                "column": f"{loc} | {grp}",
                "n": n,
                "collection_type": ct,
                "location": loc,
                "respondent_group": grp,
            }
        )
    for ct in ("In-depth interviews", "FGDs"):
        n = sum(v for k, v in FIG3_COUNTS.items() if k[0] == ct)
        rows.append(
            {
                "row": ct,
                "column": "Total",
                "n": n,
                "collection_type": ct,
                "location": "Total",
                "respondent_group": "Total",
            }
        )
    t = pd.DataFrame(rows)
    return t.assign(percent=0.0, percent_base="total")


INDEPENDENT, PANEL = Design(), Design(type="panel", panel_key="respondent_id")


def estimate_row(ind, wave, gv, g, n, pct, design=INDEPENDENT):
    half = 100 * 1.96 * np.sqrt(pct / 100 * (1 - pct / 100) / n)
    return {
        "country": "testland",
        "indicator": ind,
        "wave": wave,
        "group_var": gv,
        "group": g,
        **design.columns(),
        "n": n,
        "k": round(n * pct / 100),
        "percent": pct,
        "ci_low": max(0.0, pct - half),
        "ci_high": min(100.0, pct + half),
        "se_pp": half / 1.96,
        "ci_method": "wilson",
        "df": np.nan,
        "deff": 1.0,
    }


@pytest.fixture
def estimates() -> pd.DataFrame:
    rows = []
    data = {
        "marriage_ok": (43.4, 59.4),
        "leave_children": (42.8, 55.9),
        "use_of_arms": (29.6, 25.2),
    }
    for ind, (b, e) in data.items():
        for gv, g, nb, ne, shift in (
            ("overall", "All", 442, 404, 0),
            ("sex", "Female", 389, 265, -2),
            ("sex", "Male", 53, 139, 6),
        ):
            rows.append(estimate_row(ind, "baseline", gv, g, nb, b + shift))
            rows.append(estimate_row(ind, "endline", gv, g, ne, e + shift))
        rows.append(estimate_row(ind, "endline", "age_band", "36–50", 143, 50.0))
    rows.append(estimate_row("endline_only", "endline", "overall", "All", 404, 70.0))
    rows.append(estimate_row("endline_only", "endline", "sex", "Female", 265, 71.0))
    return pd.DataFrame(rows)


SIGNIFICANT = {("marriage_ok", "All"), ("marriage_ok", "Female"), ("leave_children", "All")}


@pytest.fixture
def shifts() -> pd.DataFrame:
    rows = []
    spec = {
        "marriage_ok": (16.0, "increase"),
        "leave_children": (13.2, "increase"),
        "use_of_arms": (-4.4, "decrease"),
    }
    for ind, (d, imp) in spec.items():
        for gv, g, nb, ne in (
            ("overall", "All", 442, 404),
            ("sex", "Female", 389, 265),
            ("sex", "Male", 53, 139),
            ("sex", "sex: Female - Male", np.nan, np.nan),
        ):
            sig = (ind, g) in SIGNIFICANT
            rows.append(
                {
                    "country": "testland",
                    "indicator": ind,
                    "group_var": gv,
                    "group": g,
                    **INDEPENDENT.columns(),
                    "from_n": nb,
                    "to_n": ne,
                    "diff_pp": d,
                    "diff_ci_low": d - 8,
                    "diff_ci_high": d + 8,
                    "ci_method": "Wald" if ":" in g else "Newcombe hybrid score",
                    "p_holm": 0.0004 if sig else 0.6,
                    "improvement": imp,
                    "significant_holm": sig,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def panel_shifts() -> pd.DataFrame:
    """A panel design with one overall row per indicator (women only), like Tajikistan."""
    rows = []
    for i in range(13):
        d = (-1) ** i * (5 + 4 * i)
        rows.append(
            {
                "indicator": f"ind_{i}",
                "group_var": "overall",
                "group": "All",
                **PANEL.columns(),
                "from_n": 114,
                "to_n": 114,
                "diff_pp": d,
                "diff_ci_low": d - 9,
                "diff_ci_high": d + 9,
                "ci_method": "Newcombe paired score (method 10)",
                "p_holm": 0.01 if i % 4 else 0.2,
                "improvement": "decrease" if i % 3 == 0 else "increase",
                "significant_holm": bool(i % 4),
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture
def panel_labels() -> dict[str, str]:
    return {
        f"ind_{i}": f"Indicator {i}: a fairly long description of what the women were asked about"
        for i in range(13)
    }


@pytest.fixture
def panel_estimates(panel_shifts) -> pd.DataFrame:
    rows = []
    for i, r in panel_shifts.iterrows():
        b = 20 + 4 * i
        rows.append(estimate_row(r["indicator"], "baseline", "overall", "All", 120, b, PANEL))
        rows.append(
            estimate_row(
                r["indicator"],
                "endline",
                "overall",
                "All",
                114,
                min(99.0, max(1.0, b + r["diff_pp"])),
                PANEL,
            )
        )
    return pd.DataFrame(rows)


# --- helpers --------------------------------------------------------------------------------------
def build(builder, *args, **kwargs):
    with figure_style():
        fig = builder(*args, **kwargs)
        fig.canvas.draw()
    return fig


def drawn_ticklabels(axis) -> list[Text]:
    """Tick labels that are drawn: visible, non-empty, for ticks inside the view limits."""
    lo, hi = sorted(axis.get_view_interval())
    eps = 1e-9 * max(1.0, hi - lo)
    out = []
    for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
        if tick.get_loc() is None or not (lo - eps <= tick.get_loc() <= hi + eps):
            continue
        out += [t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text().strip()]
    return out


def visible_texts(fig) -> list[Text]:
    """Every text that is drawn: tick labels only for ticks inside the view limits."""
    all_tick_texts, drawn_tick_texts = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                all_tick_texts.update({id(tick.label1), id(tick.label2)})
            drawn_tick_texts.update(id(t) for t in drawn_ticklabels(axis))
    out = []
    for t in fig.findobj(Text):
        if not (t.get_visible() and t.get_text().strip()):
            continue
        if id(t) in all_tick_texts and id(t) not in drawn_tick_texts:
            continue
        out.append(t)
    return out


def extent(t: Text, renderer):
    return t.get_window_extent(renderer)


def overlaps(a, b, tol: float = 1.0) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def assert_readable(fig):
    """No two tick labels of an axis overlap; no two texts overlap at all; nothing falls off the
    figure; the source note is below, and the title above, every Axes."""
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = drawn_ticklabels(axis)
            for a, b in itertools.combinations(labels, 2):
                assert not overlaps(extent(a, renderer), extent(b, renderer), tol=0.0), (
                    f"tick labels overlap: {a.get_text()!r} / {b.get_text()!r}"
                )
    texts = visible_texts(fig)
    fig_box = fig.bbox
    for t in texts:
        e = extent(t, renderer)
        assert (
            e.x0 >= fig_box.x0 - 1
            and e.x1 <= fig_box.x1 + 1
            and e.y0 >= fig_box.y0 - 1
            and e.y1 <= fig_box.y1 + 1
        ), f"text cut off at the figure edge: {t.get_text()!r}"
    for a, b in itertools.combinations(texts, 2):
        assert not overlaps(extent(a, renderer), extent(b, renderer)), (
            f"texts overlap: {a.get_text()!r} / {b.get_text()!r}"
        )
    note = [t for t in fig.texts if t.get_gid() == "source-note"]
    assert len(note) == 1 and "Source:" in note[0].get_text()
    title = [t for t in fig.texts if t.get_gid() == "figure-title"]
    assert len(title) == 1
    note_top, title_bottom = extent(note[0], renderer).y1, extent(title[0], renderer).y0
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer)
        assert box.y0 >= note_top - 1, "an Axes reaches into the source note"
        assert box.y1 <= title_bottom + 1, "an Axes reaches into the title"
    for leg in fig.legends:
        lb = leg.get_window_extent(renderer)
        for ax in fig.axes:
            assert not overlaps(lb, ax.get_tightbbox(renderer)), "the legend overlaps an Axes"


def is_filled(line: Line2D) -> bool:
    return to_rgba(line.get_markerfacecolor()) != to_rgba("white")


def unwrap(label: str) -> str:
    return " ".join(label.replace("\u00a0", " ").split())


# --- style ----------------------------------------------------------------------------------------
def test_style_is_scoped_and_uses_bundled_dejavu():
    before = dict(mpl.rcParams)
    with figure_style():
        from matplotlib import font_manager

        path = Path(
            font_manager.findfont(font_manager.FontProperties(family=mpl.rcParams["font.family"]))
        )
        assert mpl.rcParams["svg.hashsalt"] and mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"
    assert path.name == "DejaVuSans.ttf"
    assert Path(mpl.get_data_path()) in path.parents, f"font resolved outside matplotlib: {path}"
    after = dict(mpl.rcParams)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {}, (
        "figure_style() leaked rcParams"
    )


def test_palette_is_okabe_ito():
    assert OKABE_ITO["orange"] == "#E69F00" and OKABE_ITO["blue"] == "#0072B2"
    assert OKABE_ITO["bluish_green"] == "#009E73" and OKABE_ITO["vermillion"] == "#D55E00"


# --- each chart writes PNG + SVG at 300 dpi, reproducibly -----------------------------------------
def all_charts(fig1, fig2, fig3, estimates, shifts):
    return {
        "pyramid": lambda stem: charts.population_pyramid(fig1, stem, SOURCE),
        "social": lambda stem: charts.social_groups_by_sex(fig2, stem, SOURCE),
        "figure3": lambda stem: charts.participants_figure3(fig3, stem, SOURCE),
        "dumbbell": lambda stem: charts.dumbbell(estimates, shifts, stem, SOURCE, LABELS),
        "forest": lambda stem: charts.forest_plot(shifts, stem, SOURCE, LABELS),
    }


def test_each_chart_writes_png_and_svg(tmp_path, fig1, fig2, fig3, estimates, shifts):
    for name, draw in all_charts(fig1, fig2, fig3, estimates, shifts).items():
        paths = draw(tmp_path / "out" / name)
        assert [p.name for p in paths] == [f"{name}.png", f"{name}.svg"]
        png, svg = paths
        with Image.open(png) as img:
            assert img.format == "PNG"
            assert img.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
            assert img.width >= 6 * DPI, "narrower than the designed 7-inch figure"
            assert "Software" not in img.info
            extrema = img.convert("L").getextrema()
            assert extrema[0] < 60 and extrema[1] > 240, "blank image"
        assert png.stat().st_size > 40_000, f"{png.name} is suspiciously small"
        text = svg.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text and "Matplotlib v" not in text


def test_same_chart_twice_is_byte_identical(tmp_path, fig1, fig2, fig3, estimates, shifts):
    for name, draw in all_charts(fig1, fig2, fig3, estimates, shifts).items():
        first = draw(tmp_path / "a" / name)
        second = draw(tmp_path / "b" / name)
        for p, q in zip(first, second):
            assert p.read_bytes() == q.read_bytes(), f"{p.name} differs between two runs"


def test_cli_output_is_byte_identical_across_processes(tmp_path, fig1, shifts):
    """Separate interpreters: catches anything that varies per process (hash seeds, solver noise,
    dates)."""
    tables = tmp_path / "tables" / "testland"
    tables.mkdir(parents=True)
    fig1.to_csv(tables / "figure1_sex_by_age.csv", index=False)
    shifts.to_csv(tables / "shifts.csv", index=False)
    outputs = []
    for run in ("a", "b"):
        for chart in ("pyramid", "forest"):
            res = run_cli(
                chart,
                "--country",
                "testland",
                "--table",
                "figure1_sex_by_age",
                "--tables-dir",
                str(tmp_path / "tables"),
                "--out-stem",
                str(tmp_path / run / chart),
                extra_env={"PYTHONHASHSEED": "random"},
            )
            assert res.returncode == 0, res.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert set(outputs[0]) == {"pyramid.png", "pyramid.svg", "forest.png", "forest.svg"}
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], f"{name} differs between processes"


# --- the numbers drawn are the table's numbers ----------------------------------------------------
def test_pyramid_bars_and_labels_equal_table_counts(fig1):
    fig = build(charts.build_population_pyramid, fig1, SOURCE)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == AGE_BANDS  # youngest at the bottom
    bars = {c.get_label().split(" (")[0]: c for c in ax.containers}
    women, men = bars["Women"], bars["Men"]
    assert [p.get_width() for p in women.patches] == [-n for n in FIG1_COUNTS["Women"]]  # left side
    assert [p.get_width() for p in men.patches] == FIG1_COUNTS["Men"]  # right side
    ys = [p.get_y() + p.get_height() / 2 for p in women.patches]
    assert ys == sorted(ys)
    label_texts = sorted(int(t.get_text()) for t in ax.texts if t.get_text().isdigit())
    assert label_texts == sorted(FIG1_COUNTS["Women"] + FIG1_COUNTS["Men"])
    all_text = " ".join(t.get_text() for t in visible_texts(fig))
    assert "Women (n = 265)" in all_text and "Men (n = 139)" in all_text
    assert ax.get_xlabel() == "Respondents (count)"
    assert_readable(fig)


def test_social_groups_sorted_by_total_with_counts(fig2):
    fig = build(charts.build_social_groups_by_sex, fig2, SOURCE)
    ax = fig.axes[0]
    ticks = [(t.get_position()[1], unwrap(t.get_text())) for t in ax.get_yticklabels()]
    top_to_bottom = [label for _, label in sorted(ticks, reverse=True)]
    expected = sorted(  # by total, the catch-all "Other (specify)" last
        FIG2_COUNTS, key=lambda g: (g.startswith("Other"), -sum(FIG2_COUNTS[g]))
    )
    assert [lab.rsplit(" (n = ", 1)[0] for lab in top_to_bottom] == expected
    assert expected[-1] == "Other (specify)"
    assert all(
        lab.endswith(f"(n = {sum(FIG2_COUNTS[g])})") for lab, g in zip(top_to_bottom, expected)
    )
    assert max(len(line) for t in ax.get_yticklabels() for line in t.get_text().split("\n")) <= 40
    bars = {c.get_label().split(" (")[0]: c for c in ax.containers}
    for j, sex in enumerate(("Women", "Men")):
        by_y = sorted(((p.get_y(), p.get_width()) for p in bars[sex].patches), reverse=True)
        assert [w for _, w in by_y] == [FIG2_COUNTS[g][j] for g in expected]
    assert ax.get_xlabel() == "Respondents (count)"
    assert_readable(fig)


def test_long_group_name_is_wrapped(fig2):
    fig = build(charts.build_social_groups_by_sex, fig2, SOURCE)
    label = next(t.get_text() for t in fig.axes[0].get_yticklabels() if "husbands" in t.get_text())
    assert label.count("\n") >= 1 and unwrap(label).startswith(WOMEN_WHOSE)


def test_figure3_bars_equal_participant_counts(fig3):
    fig = build(charts.build_participants_figure3, fig3, SOURCE)
    heights = {}
    names = {v: k for k, v in charts.COLLECTION_NAMES.items()}
    for ax in fig.axes:
        loc = ax.get_title(loc="left").split(" (")[0]
        for c in ax.containers:
            ct = names.get(c.get_label(), c.get_label())
            groups = [unwrap(t.get_text()).rsplit(" n = ", 1)[0] for t in ax.get_xticklabels()]
            for grp, p in zip(groups, c.patches):
                heights[(ct, loc, grp)] = p.get_height()
    assert heights == FIG3_COUNTS
    assert fig.axes[0].get_ylabel() == "Participants (count)"
    assert_readable(fig)


def test_dumbbell_points_are_the_estimates(estimates, shifts):
    fig = build(charts.build_dumbbell, estimates, shifts, SOURCE, LABELS)
    points = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if (gid := line.get_gid() or "").startswith("dumbbell:"):
                _, ind, g, wave = gid.split(":")
                points[(ind, g, wave)] = (line.get_xdata()[0], is_filled(line))
    # an indicator asked at endline only is drawn as its endline point (All alone: its men are
    # missing), without an arrow, its panel titled as asked at endline only
    expected = estimates[
        estimates["group_var"].isin(["overall", "sex"])
        & ((estimates["indicator"] != "endline_only") | (estimates["group"] == "All"))
    ]
    assert set(points) == set(zip(expected["indicator"], expected["group"], expected["wave"]))
    for r in expected.itertuples():
        x, filled = points[(r.indicator, r.group, r.wave)]
        assert x == pytest.approx(r.percent)
        assert filled == (r.wave == "endline")  # hollow baseline, filled endline
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t for t in titles if "(asked at endline only)" in t] == [
        "Asked at endline only (asked at endline only)"
    ]
    assert not any(
        ":endline_only:" in (a.get_gid() or "") for ax in fig.axes for a in ax.texts
    )  # no arrow
    assert len(fig.axes) == 4 and all(ax.get_xlim() == (0, 100) for ax in fig.axes)
    assert fig.axes[-1].get_xlabel() == "Percent of respondents (%)"
    ticks = " ".join(t.get_text() for ax in fig.axes for t in ax.get_yticklabels())
    assert "Women\nn = 389 → 265" in ticks and "Men\nn = 53 → 139" in ticks
    assert "(lower\u00a0is\u00a0better)" in fig.axes[2].get_title(loc="left")
    arrows = [
        a.get_gid()
        for ax in fig.axes
        for a in ax.texts
        if (a.get_gid() or "").startswith("dumbbell-arrow:")
    ]
    assert sorted(a.rsplit(":", 1)[1] == "sig" for a in arrows).count(True) == len(SIGNIFICANT)
    assert_readable(fig)


def test_dumbbell_single_group_panel_design(panel_estimates, panel_shifts, panel_labels):
    fig = build(charts.build_dumbbell, panel_estimates, panel_shifts, SOURCE, panel_labels)
    assert len(fig.axes) == 1
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == 13 and all(t.endswith("n = 120 → 114") for t in ticks)
    assert_readable(fig)


def test_forest_marks_exactly_the_holm_significant_rows(shifts):
    fig = build(charts.build_forest_plot, shifts, SOURCE, LABELS)
    marked = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if (gid := line.get_gid() or "").startswith("forest:"):
                rest, _sig = gid.removeprefix("forest:").rsplit(":", 1)
                ind, group = rest.split(":", 1)  # the group may contain ':'
                marked[(ind, group)] = (is_filled(line), line.get_xdata()[0])
    assert len(marked) == len(shifts)  # overall, women, men and interaction rows
    for r in shifts.itertuples():
        filled, x = marked[(r.indicator, r.group)]
        assert filled == bool(r.significant_holm), f"{r.indicator}/{r.group}"
        assert x == pytest.approx(r.diff_pp)
    legend_texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "Filled: Holm-adjusted p < 0.05" in legend_texts
    assert any("Women − Men" in t for t in legend_texts)
    assert fig.axes[-1].get_xlabel() == "Change, endline − baseline (percentage points)"
    for ax in fig.axes:
        zero = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0, 0]]
        assert zero, "no reference line at 0"
    assert_readable(fig)


def test_forest_without_interactions(shifts):
    fig = build(charts.build_forest_plot, shifts, SOURCE, LABELS, include_interactions=False)
    gids = [
        ln.get_gid()
        for ax in fig.axes
        for ln in ax.get_lines()
        if (ln.get_gid() or "").startswith("forest:")
    ]
    assert len(gids) == 9 and not any("Female - Male" in g for g in gids)


def test_forest_single_group_panel_design(panel_shifts, panel_labels):
    fig = build(charts.build_forest_plot, panel_shifts, SOURCE, panel_labels)
    assert len(fig.axes) == 1
    lines = [ln for ln in fig.axes[0].get_lines() if (ln.get_gid() or "").startswith("forest:")]
    assert [is_filled(ln) for ln in lines] == list(panel_shifts["significant_holm"])
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == 13 and not any("n = " in t for t in ticks)  # the same n for all: said once
    note = next(t.get_text() for t in fig.texts if t.get_gid() == "source-note")
    assert "n = 114 matched for every row" in unwrap(note)
    assert_readable(fig)


def note_text(fig) -> str:
    return unwrap(next(t.get_text() for t in fig.texts if t.get_gid() == "source-note"))


def legend_texts(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


# --- design, significance level and decimals come from the structured columns and the settings ----
EXAMPLE_DESIGN = Design(
    type="panel", panel_key="respondent_id", cluster="cluster", weight="weight", strata="stratum"
)


def test_panel_design_with_clusters_and_weights_is_paired(
    estimates, shifts, panel_shifts, panel_labels
):
    """A panel with clusters, strata and weights (the example country) is paired: `design_type` says
    so."""
    clustered = panel_shifts.assign(**EXAMPLE_DESIGN.columns())
    assert (
        "n = 114 matched for every row (respondents matched across waves, paired tests)."
        in note_text(build(charts.build_forest_plot, clustered, SOURCE, panel_labels))
    )
    by_sex = shifts.assign(**EXAMPLE_DESIGN.columns())
    assert "Paired design: n = respondents matched across waves." in note_text(
        build(charts.build_forest_plot, by_sex, SOURCE, LABELS)
    )
    assert "(paired tests on respondents matched across waves)" in note_text(
        build(
            charts.build_dumbbell,
            estimates.assign(**EXAMPLE_DESIGN.columns()),
            by_sex,
            SOURCE,
            LABELS,
        )
    )
    assert "(tests for independent samples)" in note_text(
        build(charts.build_dumbbell, estimates, shifts, SOURCE, LABELS)
    )


def test_design_is_never_parsed_from_the_old_text_column(
    estimates, shifts, panel_shifts, panel_labels
):
    """Tables without `design_type` say nothing about the design, whatever a free-text `design`
    column says."""
    legacy = "panel; cluster=village; weight=w"
    old = panel_shifts.drop(columns=list(INDEPENDENT.columns())).assign(design=legacy)
    note = note_text(build(charts.build_forest_plot, old, SOURCE, panel_labels))
    assert (
        "paired tests" not in note
        and "matched" not in note
        and "n = 114 → 114 for every row" in note
    )
    by_sex = shifts.drop(columns=list(INDEPENDENT.columns())).assign(design=legacy)
    note = note_text(build(charts.build_dumbbell, estimates, by_sex, SOURCE, LABELS))
    assert "paired tests" not in note and "independent samples" not in note


@pytest.mark.parametrize("alpha, text", [(0.1, "0.1"), (0.01, "0.01"), (0.005, "0.005")])
def test_legends_and_notes_name_the_significance_level(estimates, shifts, alpha, text):
    forest = build(charts.build_forest_plot, shifts, SOURCE, LABELS, alpha=alpha)
    assert f"Filled: Holm-adjusted p < {text}" in legend_texts(forest)
    assert f"Filled markers and bold p: Holm-adjusted p < {text};" in note_text(forest)
    dumbbell = build(charts.build_dumbbell, estimates, shifts, SOURCE, LABELS, alpha=alpha)
    assert f"Change: Holm-adjusted p < {text}" in legend_texts(dumbbell)
    for fig in (forest, dumbbell):
        assert not any("0.05" in t.get_text() for t in visible_texts(fig))


def test_default_significance_level_is_the_models(shifts):
    from analysis.model import DEFAULT_ALPHA, proportion_text

    assert proportion_text(DEFAULT_ALPHA) == "0.05"
    assert "Filled: Holm-adjusted p < 0.05" in legend_texts(
        build(charts.build_forest_plot, shifts, SOURCE, LABELS)
    )


@pytest.mark.parametrize(
    "decimals, change",
    [(0, "+16 (+8 to +24)"), (1, "+16.0 (+8.0 to +24.0)"), (2, "+16.00 (+8.00 to +24.00)")],
)
def test_forest_changes_have_percent_decimals(shifts, decimals, change):
    fig = build(charts.build_forest_plot, shifts, SOURCE, LABELS, percent_decimals=decimals)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert change in texts
    use_of_arms = f"{-4.4:+.{decimals}f} ({-12.4:+.{decimals}f} to {3.6:+.{decimals}f})".replace(
        "-", "−"
    )
    assert use_of_arms in texts
    ticks = [t.get_text() for t in drawn_ticklabels(fig.axes[-1].xaxis)]
    assert "0" in ticks and all(
        "." not in t for t in ticks
    )  # whole-point ticks, whatever the decimals
    assert_readable(fig)


# --- command line ---------------------------------------------------------------------------------
def run_cli(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MPLBACKEND": "Agg", **(extra_env or {})}
    env.pop("PEACE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "figures", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_missing_input_is_one_clear_line(tmp_path):
    res = run_cli(
        "forest",
        "--country",
        "rwanda",
        "--tables-dir",
        str(tmp_path / "nowhere"),
        "--out-stem",
        str(tmp_path / "x"),
    )
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("ERROR:") and "run the pipeline first" in lines[0]
    )
    assert "shifts.csv" in lines[0] and "Traceback" not in res.stderr
    assert not list(tmp_path.glob("x.*"))


def test_cli_bad_table_is_one_clear_line(tmp_path):
    tables = tmp_path / "rwanda"
    tables.mkdir()
    pd.DataFrame({"row": ["Women"], "column": ["18–20"]}).to_csv(
        tables / "figure1_sex_by_age.csv", index=False
    )
    res = run_cli(
        "pyramid",
        "--country",
        "rwanda",
        "--table",
        "figure1_sex_by_age",
        "--tables-dir",
        str(tmp_path),
        "--out-stem",
        str(tmp_path / "x"),
    )
    assert res.returncode == 2 and res.stderr.startswith("ERROR:") and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def draw_in_process(monkeypatch, root: Path, *argv: str) -> dict:
    """{out-stem name: Figure} of charts drawn by `python -m figures` in this process (save_figure
    captured)."""
    from figures.__main__ import main

    made = {}

    def capture(fig, out_stem):
        with figure_style():
            fig.canvas.draw()
        made[Path(out_stem).name] = fig
        return []

    monkeypatch.setattr(charts, "save_figure", capture)
    assert main(["--root", str(root), *argv]) == 0
    return made


def test_cli_takes_labels_alpha_decimals_from_the_project(tmp_path, monkeypatch, estimates, shifts):
    """The example country's own indicators are labelled (no raw ids); alpha and percent_decimals
    come from config/config.yaml."""
    (tmp_path / "project").mkdir()
    root = copy_project(tmp_path / "project")
    config = root / "config" / "config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("alpha: 0.05", "alpha: 0.1").replace(
            "percent_decimals: 1", "percent_decimals: 2"
        ),
        encoding="utf-8",
    )
    ids = {
        "marriage_ok": "trust_other_groups",
        "leave_children": "safe_at_night",
        "use_of_arms": "stress_weekly",
        "endline_only": "mixed_group_member",
    }
    folder = tmp_path / "tables" / "example_country"
    folder.mkdir(parents=True)
    estimates.replace({"indicator": ids}).assign(**EXAMPLE_DESIGN.columns()).to_csv(
        folder / "estimates.csv", index=False
    )
    shifts.replace({"indicator": ids}).assign(**EXAMPLE_DESIGN.columns()).to_csv(
        folder / "shifts.csv", index=False
    )
    made = {}
    for chart in ("dumbbell", "forest"):
        made.update(
            draw_in_process(
                monkeypatch,
                root,
                chart,
                "--country",
                "example_country",
                "--tables-dir",
                str(tmp_path / "tables"),
                "--out-stem",
                str(tmp_path / "out" / chart),
            )
        )
    for chart, fig in made.items():
        drawn = " ".join(unwrap(t.get_text()) for t in visible_texts(fig))
        assert "Trusts people from other groups (somewhat or very much)" in drawn, chart
        assert "Felt stressed at least once a week (past month) (lower is better)" in drawn, chart
        assert not any(i in drawn for i in ids.values()), chart  # no raw ids
        assert "p < 0.1" in drawn and "0.05" not in drawn, chart
        assert ("paired tests" if chart == "dumbbell" else "Paired design") in note_text(fig), chart
    forest_texts = [t.get_text() for ax in made["forest"].axes for t in ax.texts]
    assert "+16.00 (+8.00 to +24.00)" in forest_texts


def test_cli_has_no_indicator_file_option(tmp_path):
    res = run_cli(
        "forest",
        "--country",
        "rwanda",
        "--indicators",
        "config/indicators.yaml",
        "--out-stem",
        str(tmp_path / "x"),
    )
    assert res.returncode == 2 and "--indicators" in res.stderr
    assert not hasattr(charts, "load_indicator_labels")


# --- the pipeline's own tables, when present ------------------------------------------------------
TABLES = ROOT / "reports" / "tables"


@pytest.mark.skipif(
    not (TABLES / "rwanda" / "shifts.csv").is_file()
    or not (TABLES / "tajikistan" / "shifts.csv").is_file(),
    reason="pipeline outputs not built",
)
def test_pipeline_tables_draw_readably(project):
    labels = project.indicator_labels()
    read = lambda c, name: pd.read_csv(TABLES / c / name)  # noqa: E731
    figs = [
        build(charts.build_population_pyramid, read("rwanda", "figure1_sex_by_age.csv"), SOURCE),
        build(
            charts.build_social_groups_by_sex,
            read("rwanda", "figure2_social_group_by_sex.csv"),
            SOURCE,
        ),
        build(
            charts.build_participants_figure3,
            read("tajikistan", "figure3_participants.csv"),
            SOURCE,
        ),
    ]
    for c in ("rwanda", "tajikistan"):
        est, sh = read(c, "estimates.csv"), read(c, "shifts.csv")
        figs.append(build(charts.build_dumbbell, est, sh, SOURCE, labels))
        figs.append(build(charts.build_forest_plot, sh, SOURCE, labels))
        forest = figs[-1]
        n_points = sum(
            1
            for ax in forest.axes
            for ln in ax.get_lines()
            if (ln.get_gid() or "").startswith("forest:")
        )
        n_filled = sum(
            1
            for ax in forest.axes
            for ln in ax.get_lines()
            if (ln.get_gid() or "").startswith("forest:") and is_filled(ln)
        )
        rows = sh[sh["group_var"].isin(["overall", "sex"])]
        assert n_points == len(rows)
        assert n_filled == int(rows["significant_holm"].astype(str).str.lower().eq("true").sum())
    for fig in figs:
        assert_readable(fig)
