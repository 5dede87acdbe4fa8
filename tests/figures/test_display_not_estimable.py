"""Display tables and chart titles are honest about rows that cannot be estimated and about waves'
names.

Unit tests on small estimates/shifts frames shaped like estimates.csv and shifts.csv: waves named
'1999'/'2000' (or 'pre'/'post') head the columns in the order of the tables; an empty percent,
interval or p reads "–", never "s" (which only a suppressed crosstab cell may show); the row's
`note` appears, escaped, in HTML, Markdown and LaTeX; a shifts table without rows says why instead
of showing an empty table. One test renders through `render_named_table` from CSVs written by the
pipeline's writer in a copy of the project (waves read back as text).
"""

from __future__ import annotations

import html as html_lib
import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis.escaping import markdown_text
from analysis.model import Design
from figures.tables import crosstab_display, estimates_display, row_notes, shifts_display, wave_text

# a note naming a cluster with HTML, Markdown and LaTeX metacharacters: it must come out literally
# everywhere
CLUSTER = "<b>V&1</b> *x* $y$ 50%"
ONE_CLUSTER = (
    f"not estimable: all 23 answers of this group come from one cluster ('{CLUSTER}'), so the"
    " design gives no variance"
)
NO_MEN = (
    "not estimable: no Male respondents answered in wave '1999', so there is no change to estimate"
)
LABELS = {"trust": "Trusts other groups", "safe": "Feels safe"}


def estimates_frame(waves=("1999", "2000")) -> pd.DataFrame:
    """Overall and by-sex estimates of two indicators; Male of `trust` in the last wave is not
    estimable."""
    rows = []
    for ind in ("trust", "safe"):
        for w in waves:
            for gv, g in (("overall", "All"), ("sex", "Female"), ("sex", "Male")):
                rows.append(
                    {
                        "country": "x",
                        "indicator": ind,
                        "wave": w,
                        "group_var": gv,
                        "group": g,
                        "n": 100,
                        "percent": 40.0,
                        "ci_low": 30.0,
                        "ci_high": 50.0,
                        "ci_method": "design-based logit",
                        "deff": 1.5,
                        "note": np.nan,
                    }
                )
    e = pd.DataFrame(rows)
    e["note"] = e["note"].astype(object)
    bad = (e["indicator"] == "trust") & (e["wave"] == waves[-1]) & (e["group"] == "Male")
    e.loc[bad, ["n", "percent", "ci_low", "ci_high", "deff", "ci_method", "note"]] = [
        23,
        45.0,
        np.nan,
        np.nan,
        np.nan,
        np.nan,
        ONE_CLUSTER,
    ]
    return e


def shift_row(indicator, group, group_var="sex", **values) -> dict:
    row = {
        "country": "x",
        "indicator": indicator,
        "group_var": group_var,
        "group": group,
        **Design().columns(),
        "from_source": "microdata",
        "from_n": 100,
        "from_pct": 40.0,
        "to_n": 90,
        "to_pct": 50.0,
        "diff_pp": 10.0,
        "diff_ci_low": 2.0,
        "diff_ci_high": 18.0,
        "test": "chi-square",
        "p_value": 0.01,
        "p_holm": 0.02,
        "p_bh": 0.02,
        "cohens_h": 0.2,
        "from_wave": "1999",
        "to_wave": "2000",
        "note": np.nan,
    }
    row.update(values)
    return row


def shifts_frame() -> pd.DataFrame:
    """Shifts 1999 -> 2000: Male has no baseline answers (not estimable), the women - men row
    neither."""
    nan = np.nan
    return pd.DataFrame(
        [
            shift_row("trust", "All", "overall"),
            shift_row("trust", "Female"),
            shift_row(
                "trust",
                "Male",
                from_n=0,
                from_pct=nan,
                diff_pp=nan,
                diff_ci_low=nan,
                diff_ci_high=nan,
                test=nan,
                p_value=nan,
                p_holm=nan,
                p_bh=nan,
                cohens_h=nan,
                note=NO_MEN,
            ),
            shift_row(
                "trust",
                "sex: Female - Male",
                from_pct=nan,
                to_pct=nan,
                diff_pp=nan,
                diff_ci_low=nan,
                diff_ci_high=nan,
                test=nan,
                p_value=nan,
                p_holm=nan,
                p_bh=nan,
                cohens_h=nan,
                note=(
                    "not estimable: the women - men difference in change needs both sexes in both"
                    " waves (no Male answers in wave '1999')"
                ),
            ),
        ]
    )


def md_cells(md: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in md.splitlines()
        if line.startswith("| ")
    ]


def html_cells(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, flags=re.S)
    ]


# --- estimates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("waves", [("1999", "2000"), ("pre", "post")])
def test_estimates_display_heads_one_column_per_wave_in_table_order(waves):
    table = estimates_display(estimates_frame(waves), LABELS, "x_estimates", "T", [])
    heads = [f"{w[:1].upper()}{w[1:]} % (95% CI)" for w in waves]
    assert list(table.body.columns) == [
        "Group",
        "indicator",
        *heads,
    ]  # 'pre' before 'post', as in the table
    md = table.to_markdown()
    assert "| Group | " + " | ".join(heads) + " |" in md
    assert all(h in table.to_html() for h in heads) and all(
        h.replace("%", "\\%") in table.to_latex() for h in heads
    )
    assert "40.0% (30.0–50.0); n=100" in md


def test_estimates_display_not_estimable_cell_reads_dash_with_the_note_escaped():
    table = estimates_display(
        estimates_frame(), LABELS, "x_estimates", "T", ["Percent of valid answers."]
    )
    md = table.to_markdown()
    male = [c for c in md_cells(md) if c[0] == "Men"]  # Female/Male shown as Women/Men
    assert male[0] == [
        "Men",
        "40.0% (30.0–50.0); n=100",
        "45.0% (–); n=23 \\[1\\]",
    ]  # trust: not estimable in 2000
    assert male[1] == [
        "Men",
        "40.0% (30.0–50.0); n=100",
        "40.0% (30.0–50.0); n=100",
    ]  # safe: unmarked
    assert f"_{markdown_text('[1] ' + ONE_CLUSTER)}_" in md
    assert not any(cell == "s" or cell.startswith("s ") for row in md_cells(md) for cell in row)
    html = table.to_html()
    assert "45.0% (–); n=23 [1]" in html_cells(html)
    assert html_lib.escape("[1] " + ONE_CLUSTER) in html  # &lt;b&gt;V&amp;1... : shown, not markup
    assert "<b>V&1</b>" not in html
    tex = table.to_latex()
    assert "45.0\\% (–); n=23 [1]" in tex
    assert "\\textless{}b\\textgreater{}V\\&1\\textless{}/b\\textgreater{} *x* \\$y\\$ 50\\%" in tex


def test_row_notes_number_distinct_notes_and_say_a_shared_note_once():
    marks = row_notes(pd.Series(["", "a", "b", "a"]))
    assert marks.marks == ["", " [1]", " [2]", " [1]"] and marks.lines == ["[1] a", "[2] b"]
    shared = row_notes(pd.Series(["compares the first wave with the last"] * 3))
    assert shared.marks == ["", "", ""] and shared.lines == [
        "compares the first wave with the last"
    ]
    assert row_notes(pd.Series(["only"])).marks == [
        " [1]"
    ]  # one row: a mark, so the note is tied to it


# --- shifts ---------------------------------------------------------------------------------------
def test_shifts_display_heads_the_compared_waves_and_dashes_what_is_not_estimable():
    table = shifts_display(shifts_frame(), LABELS, "x_shifts", "T", [], alpha=0.05)
    md = table.to_markdown()
    assert "| Group | 1999 | 2000 | Change, pp (95% CI) | Test | p | Holm p | BH p |" in md
    rows = {c[0]: c for c in md_cells(md)[1:]}
    assert rows["Men \\[1\\]"] == ["Men \\[1\\]", "–", "50.0%", "– (–)", "–", "–", "–", "–"]
    assert rows["sex: Women - Men \\[2\\]"][1:3] == ["–", "–"]
    assert rows["All"] == [
        "All",
        "40.0%",
        "50.0%",
        "10.0 (2.0 to 18.0)\\*",
        "chi-square",
        "0.010",
        "0.020",
        "0.020",
    ]
    assert not any(cell == "s" for row in rows.values() for cell in row)
    assert f"_{markdown_text('[1] ' + NO_MEN)}_" in md
    html, tex = table.to_html(), table.to_latex()
    assert (
        ">1999</th>" in html
        and ">2000</th>" in html
        and "Baseline<" not in html
        and "Endline<" not in html
    )
    assert "Men [1]" in html_cells(html) and html_lib.escape("[1] " + NO_MEN) in html
    assert "1999 & 2000" in tex and "Men [1]" in tex


def test_shifts_display_without_rows_says_there_are_none():
    from analysis.survey.shifts import SHIFT_COLUMNS

    empty = pd.DataFrame(columns=SHIFT_COLUMNS)
    table = shifts_display(empty, LABELS, "x_shifts", "X: shifts", [], waves=["1999"])
    md, html, tex = table.to_markdown(), table.to_html(), table.to_latex()
    text = "No shifts: this country has one wave ('1999'), so there is no change to estimate."
    assert text in md and html_lib.escape(text) in html
    assert text in tex
    assert "Holm" not in md  # no empty shifts table with headings
    generic = shifts_display(empty, LABELS, "x_shifts", "X: shifts", []).to_markdown()
    assert "No shifts: no indicator of this country has answers in two waves" in generic


def test_shifts_display_shared_note_said_once_without_marks():
    three = (
        shifts_frame()
        .iloc[:2]
        .assign(note="compares the first wave '1999' with the last '2000' (not compared: '<m>')")
    )
    md = shifts_display(three, LABELS, "x", "T", []).to_markdown()
    assert "\\[1\\]" not in md and md.count("not compared") == 1 and "&lt;m&gt;" in md


# --- percent_decimals -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "decimals, estimate, change, baseline",
    [
        (0, "40% (30–50); n=100", "10 (2 to 18)\\*", "40%"),
        (1, "40.0% (30.0–50.0); n=100", "10.0 (2.0 to 18.0)\\*", "40.0%"),
        (2, "40.00% (30.00–50.00); n=100", "10.00 (2.00 to 18.00)\\*", "40.00%"),
    ],
)
def test_percentages_have_percent_decimals(decimals, estimate, change, baseline):
    est = estimates_display(
        estimates_frame(), LABELS, "x", "T", [], percent_decimals=decimals
    ).to_markdown()
    assert md_cells(est)[2][1] == estimate
    rows = {
        c[0]: c
        for c in md_cells(
            shifts_display(
                shifts_frame(), LABELS, "x", "T", [], percent_decimals=decimals
            ).to_markdown()
        )[1:]
    }
    assert rows["All"][1:4] == [baseline, "50" + baseline[2:], change]
    assert rows["All"][5:] == ["0.010", "0.020", "0.020"]  # p values keep three decimals
    tidy = pd.DataFrame(
        {"row": ["A", "A"], "column": ["x", "Total"], "n": [1, 3], "percent": [100 / 3, 100.0]}
    )
    cells = md_cells(crosstab_display(tidy, "t", "T", [], percent_decimals=decimals).to_markdown())
    assert cells[3][1:] == [f"{round(100 / 3, decimals):.{decimals}f}%", f"{100:.{decimals}f}%"]
    assert cells[2][1:] == ["1", "3"]  # counts are counts


def test_percent_decimals_round_half_up():
    tidy = pd.DataFrame({"row": ["A"], "column": ["x"], "n": [1], "percent": [12.345]})
    assert (
        md_cells(crosstab_display(tidy, "t", "T", [], percent_decimals=2).to_markdown())[3][1]
        == "12.35%"
    )
    assert (
        md_cells(
            crosstab_display(
                tidy.assign(percent=12.5), "t", "T", [], percent_decimals=0
            ).to_markdown()
        )[3][1]
        == "13%"
    )


def test_shifts_display_names_alpha_as_written():
    md = shifts_display(shifts_frame(), LABELS, "x", "T", [], alpha=0.1).to_markdown()
    assert "Holm-adjusted p &lt; 0.1 (family" in md  # Markdown escapes "<"
    assert "0.05" not in md


# --- crosstabs: "s" is suppression only -----------------------------------------------------------
def test_crosstab_s_only_for_suppressed_cells_and_dash_for_a_missing_percent():
    tidy = pd.DataFrame(
        {
            "row": ["A", "A", "B", "B"],
            "column": ["x", "Total", "x", "Total"],
            "n": [np.nan, 3, 0, 0],
            "percent": [np.nan, 100.0, np.nan, np.nan],
            "suppressed": [True, False, False, False],
        }
    )
    cells = md_cells(crosstab_display(tidy, "t", "T", []).to_markdown())
    assert cells[2] == ["n", "s", "3"] and cells[3] == ["%", "s", "100.0%"]  # hidden: s
    assert cells[5] == ["n", "0", "0"] and cells[6] == [
        "%",
        "–",
        "–",
    ]  # 0 of 0: no percent, not hidden
    paper = md_cells(crosstab_display(tidy.drop(columns="suppressed"), "t", "T", []).to_markdown())
    assert paper[2] == ["n", "–", "3"]  # a table without suppression has no "s"


# --- chart titles and source lines (figures.__main__) ---------------------------------------------
def test_chart_titles_and_source_name_the_waves_of_the_tables():
    from figures.__main__ import _default_title, _wave_n

    est, sh = estimates_frame(), shifts_frame()
    tables = {"estimates.csv": est, "shifts.csv": sh}
    assert (
        _default_title("dumbbell", "example_country", tables)
        == "Example Country: indicators at 1999 and 2000"
    )
    assert (
        _default_title("forest", "example_country", {"shifts.csv": sh})
        == "Example Country: change from 1999 to 2000"
    )
    one = {"estimates.csv": est[est["wave"] == "1999"], "shifts.csv": sh.iloc[:0]}
    assert (
        _default_title("dumbbell", "x", one)
        == "X: indicators at 1999 (one wave: no change to show)"
    )
    assert (
        _default_title("forest", "x", {"shifts.csv": sh.iloc[:0]})
        == "X: no change to show (no shifts)"
    )
    assert "baseline" not in _default_title("dumbbell", "x") and "endline" not in _default_title(
        "forest", "x"
    )
    assert (
        _wave_n("dumbbell", est)
        == "; n = up to 100 (1999) and 100 (2000) respondents per indicator"
    )
    assert (
        _wave_n("forest", sh.assign(from_wave=1999.0, to_wave=2000.0))
        == "; n = up to 100 (1999) and 90 (2000) respondents per indicator"
    )  # waves read back as numbers
    assert (
        _wave_n("dumbbell", est[est["wave"] == "1999"])
        == "; n = up to 100 (1999) respondents per indicator"
    )
    assert _wave_n("forest", sh.iloc[:0]) == ""


def test_wave_text_gives_the_configured_name_back():
    assert [wave_text(w) for w in (1999, 1999.0, "pre", "01")] == ["1999", "1999", "pre", "01"]
    assert wave_text(float("nan")) == "" and not math.isnan(float(wave_text(2000.0)))


# --- through the pipeline's CSV writer and reader -------------------------------------------------
def test_render_named_table_reads_waves_1999_2000_from_the_csvs(tmp_path):
    from analysis.csv_files import write_csv
    from analysis.survey.shifts import SHIFT_COLUMNS
    from figures.tables import render_named_table
    from tests.conftest import copy_project

    root = copy_project(tmp_path)
    folder = root / "reports" / "tables" / "example_country"
    folder.mkdir(parents=True)
    est = estimates_frame().assign(indicator="trust_other_groups")
    est.loc[est["note"].notna(), "note"] = (
        "=" + ONE_CLUSTER
    )  # a note starting like a formula, neutralised
    write_csv(est, folder / "estimates.csv")
    sh = shifts_frame().assign(indicator="trust_other_groups").reindex(columns=SHIFT_COLUMNS)
    write_csv(sh, folder / "shifts.csv")
    assert "'=not estimable" in (folder / "estimates.csv").read_text(encoding="utf-8")
    render_named_table(root, "example_country", "estimates_table", folder / "estimates_table")
    render_named_table(root, "example_country", "shifts_table", folder / "shifts_table")
    md = (folder / "estimates_table.md").read_text(encoding="utf-8")
    assert "| Group | 1999 % (95% CI) | 2000 % (95% CI) |" in md
    assert markdown_text("[1] =" + ONE_CLUSTER) in md and "'=" not in md
    shifts_md = (folder / "shifts_table.md").read_text(encoding="utf-8")
    assert ": 1999 to 2000 shifts**" in shifts_md and "| Group | 1999 | 2000 |" in shifts_md
    assert markdown_text("[1] " + NO_MEN) in shifts_md
    write_csv(pd.DataFrame(columns=SHIFT_COLUMNS), folder / "shifts.csv")
    render_named_table(root, "example_country", "shifts_table", folder / "shifts_table")
    assert "No shifts:" in (folder / "shifts_table.html").read_text(encoding="utf-8")


def test_render_named_table_takes_percent_decimals_and_alpha_from_the_config(tmp_path):
    from analysis.csv_files import write_csv
    from figures.tables import render_named_table
    from tests.conftest import copy_project

    root = copy_project(tmp_path)
    config = root / "config" / "config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("alpha: 0.05", "alpha: 0.1").replace(
            "percent_decimals: 1", "percent_decimals: 2"
        ),
        encoding="utf-8",
    )
    folder = root / "reports" / "tables" / "example_country"
    folder.mkdir(parents=True)
    write_csv(estimates_frame().assign(indicator="trust_other_groups"), folder / "estimates.csv")
    write_csv(shifts_frame().assign(indicator="trust_other_groups"), folder / "shifts.csv")
    render_named_table(root, "example_country", "estimates_table", folder / "estimates_table")
    render_named_table(root, "example_country", "shifts_table", folder / "shifts_table")
    md = (folder / "estimates_table.md").read_text(encoding="utf-8")
    assert "40.00% (30.00–50.00); n=100" in md
    assert (
        "Trusts people from other groups (somewhat or very much)" in md
    )  # the country's own indicator
    shifts_md = (folder / "shifts_table.md").read_text(encoding="utf-8")
    assert (
        "10.00 (2.00 to 18.00)\\*" in shifts_md and "Holm-adjusted p &lt; 0.1 (family" in shifts_md
    )


@pytest.mark.parametrize("value", [-0.04, -0.0, -1e-12, 0.04])
def test_a_value_that_rounds_to_zero_is_written_without_a_minus_sign(value):
    """-0.04 to one decimal is "0.0", as 0.04 is; "-0.0" would read as a negative change."""
    from figures.tables import interval, num

    assert num(value, 1) == "0.0"
    assert interval(value, 25.44, " to ", decimals=1) == "0.0 to 25.4"
    assert num(-0.06, 1) == "-0.1"
