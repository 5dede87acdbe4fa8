"""The HTML report as a reader gets it: self-contained, rendered by headless Chromium with every
image loaded."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.end_to_end import test_workflow
from tests.end_to_end.test_workflow import BIN, _run

# the fixture of a module-scoped pipeline run in a temporary copy (pytest finds it by this name)
workdir = test_workflow.workdir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHECK_IMAGES = """<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.setAttribute('data-images', imgs.length + '/' + ok);
});
</script></body>"""


def _chromium(page: Path, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    """Headless Chromium on `page` with a 1280 x 900 window (a laptop's first screen)."""
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,900",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            *options,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _report(workdir) -> Path:
    root, _ = workdir
    return root / "reports" / "report.html"


def test_report_is_self_contained(workdir):
    html = _report(workdir).read_text(encoding="utf-8")
    srcs = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs), [
        s[:60] for s in srcs if not s.startswith("data:")
    ]
    assert "synthetic reconstructions" in html
    for needle in (
        "Figure 1",
        "Figure 2",
        "Figure 3",
        "Shifts",
        "Findings, strongest first",
        "Dependent on the reconstruction",
        "prov:",
        "shift:rwanda/",
        "est:tajikistan/",
        "f1_women_18_20_n",
    ):
        assert needle in html, needle


@pytest.mark.skipif(
    CHROMIUM is None,
    reason=(
        "headless Chromium not installed (Debian package `chromium`): "
        "report rendering check skipped"
    ),
)
def test_report_renders_in_headless_chromium_and_every_image_loads(workdir, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(
        _report(workdir).read_text(encoding="utf-8").replace("</body>", CHECK_IMAGES, 1),
        encoding="utf-8",
    )
    out = _chromium(page, tmp_path, "--dump-dom")
    match = re.search(r'data-images="(\d+)/(\d+)"', out.stdout)
    assert match, out.stderr[-2000:]
    total, loaded = map(int, match.groups())
    charts = len(list((workdir[0] / "reports/figures").rglob("*.png")))
    assert total == charts >= 7 and loaded == total  # every chart embedded, every image decoded
    assert '<h2 id="audit">' in out.stdout or 'id="audit"' in out.stdout


def test_snakemake_report_works(workdir):
    root, _ = workdir
    _run([f"{BIN}/snakemake", "--report", "reports/snakemake-report.html"], root)
    assert (root / "reports/snakemake-report.html").stat().st_size > 10_000


def test_report_embeds_every_chart_once_at_most_1400_px_wide(workdir):
    """Every chart file is in the page (the charts by group in a collapsed part per country), each
    at most 1400 px wide: the page stays light while the 300 dpi files serve print."""
    import base64
    import io

    from PIL import Image

    root, _ = workdir
    html = _report(workdir).read_text(encoding="utf-8")
    images = [
        Image.open(io.BytesIO(base64.b64decode(data)))
        for data in re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    ]
    assert len(images) == len(list((root / "reports/figures").rglob("*.png")))
    assert max(image.width for image in images) == 1400
    assert html.count('<details class="group-charts"><summary>Charts by age band') == 3
    assert "<summary>Charts by age band and social group (6 pages)" in html


def test_figure_files_are_300_dpi_png_and_svg(workdir):
    from PIL import Image

    root, _ = workdir
    pngs = sorted((root / "reports/figures").rglob("*.png"))
    # Figures 1-3 + dumbbell and forest pages (at most 10 indicators a page) for the 3 countries:
    # dumbbells: rwanda 18 and tajikistan 14 share indicators (2 pages each), example_country 9
    # (1 page); forests (indicators asked in two waves): rwanda 3, tajikistan 13, example 9;
    # dumbbells by age band and social group (6 indicators a page): rwanda and tajikistan 3
    # pages each, example_country by age band only, 2 pages
    assert len(pngs) == 3 + (2 + 2 + 1) + (1 + 2 + 1) + (6 + 6 + 2)
    stems = {p.relative_to(root / "reports/figures").with_suffix("").as_posix() for p in pngs}
    assert {"rwanda/forest", "tajikistan/forest_p2", "rwanda/dumbbell_p2"} <= stems
    assert {
        "rwanda/dumbbell_by_social_group_p3",
        "example_country/dumbbell_by_age_band_p2",
    } <= stems
    assert "rwanda/forest_p2" not in stems
    assert "example_country/forest_p2" not in stems
    for png in pngs:
        assert png.with_suffix(".svg").exists()
        dpi = Image.open(png).info["dpi"]
        assert round(dpi[0]) == 300


# --- the cleaning section: counts by rule (unit tests, no pipeline run) ---------------------------
def _cells(html: str) -> list[list[str]]:
    return [
        re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)
    ]


def test_cleaning_summary_counts_flagged_rows_exclusions_and_changes_by_rule():
    import pandas as pd

    from figures.report import cleaning_summary_html

    exclusions = pd.DataFrame(
        {
            "rule": ["dup", "dup", "no_consent"],
            "dataset": "respondents",
            "reason": ["duplicate of row 4", "duplicate of row 9", "no <consent>"],
        }
    )
    log = pd.DataFrame(
        {
            "dataset": "respondents",
            "source_file": ["a.sav"] * 5 + ["b.sav"],
            "source_row": ["1", "1", "2", "3", "3", "1"],
            "rule": [
                "panel id pairs two people",
                "panel id pairs two people",
                "future date",
                "missing code -> NA",
                "missing code -> NA",
                "panel id pairs two people",
            ],
            "severity": ["warning", "warning", "warning", "change", "change", "warning"],
        }
    )
    excluded, flagged, changed = (_cells(t) for t in cleaning_summary_html(exclusions, log))
    assert excluded[1:] == [
        ["dup", "per row, in <code>exclusions.csv</code>", "2"],
        ["no_consent", "no &lt;consent&gt;", "1"],
    ]
    # a row flagged twice by one rule (sex and age) counts once; the same row number in another file
    # counts again
    assert flagged[1:] == [["future date", "1"], ["panel id pairs two people", "2"]]
    assert changed[1:] == [["missing code -&gt; NA", "2", "1"]]


def test_cleaning_summary_says_when_nothing_was_excluded_or_flagged():
    import pandas as pd

    from figures.report import cleaning_summary_html

    empty_log = pd.DataFrame(columns=["dataset", "source_file", "source_row", "rule", "severity"])
    parts = cleaning_summary_html(pd.DataFrame(columns=["rule", "reason"]), empty_log)
    assert parts == ["<p>No row was excluded.</p>", "<p>No row was flagged with a warning.</p>"]


def test_privacy_sentence_lists_published_free_text():
    from analysis.model import Country, Project, Settings
    from figures.report import privacy_html

    def project(publish: bool) -> Project:
        country = Country.model_validate(
            {
                "country": "x",
                "label": "X",
                "datasets": {
                    "survey": {
                        "role": "respondents",
                        "sources": [{"wave": "w", "file": "f.csv", "format": "csv"}],
                        "variables": {
                            "other": {"type": "text", "publish": publish},
                            "village": {"type": "text"},
                            "q1": {},
                        },
                    }
                },
            }
        )
        return Project(
            root=".", settings=Settings(countries=["x"]), countries={"x": country}, indicators=[]
        )

    assert "(published: x/survey: other)" in privacy_html(project(True))
    assert "(no free text is published)" in privacy_html(project(False))


# --- estimates and shifts: waves by name, "–" and notes for what is not estimable (unit tests) ----
def _country(estimates, shifts):
    import pandas as pd

    from figures.report import CountryInputs

    return CountryInputs(
        "x",
        "X <land>",
        "design",
        {},
        {},
        estimates,
        shifts,
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(),
    )


def test_report_shifts_name_the_waves_and_dash_not_estimable_cells_with_their_note():
    import html as html_lib

    from figures.report import estimates_and_shifts_html

    from .test_display_not_estimable import NO_MEN, ONE_CLUSTER, estimates_frame, shifts_frame

    text = estimates_and_shifts_html(_country(estimates_frame(), shifts_frame()), {}, 0.05)
    assert "shifts are 2000 − 1999 in percentage points" in text and "endline" not in text
    shifts_table, estimates_table = text.split("<h3>Estimates")
    head = _cells(shifts_table)[0]
    assert head[:4] == ["Indicator", "Group", "1999", "2000"]
    male = next(r for r in _cells(shifts_table) if r[1] == "Men")  # data's Male shown as Men
    assert male[2:] == [
        "–",
        "50.0%",
        '<span class="">–</span><sup>[1]</sup>',
        "–",
        "–",
        "–",
        "–",
        "–",
        "–",
    ]
    assert "s" not in male
    assert f"<p class=id>{html_lib.escape('[1] ' + NO_MEN)}</p>" in shifts_table
    women_men = next(r for r in _cells(shifts_table) if r[1] == "sex: Women - Men")
    assert women_men[2:4] == ["–", "–"]  # no baseline or endline percent of a difference: not "s"
    bad = next(
        r for r in _cells(estimates_table) if r[1] == "Men" and r[2] == "2000" and "[1]" in r[4]
    )
    assert bad[3:] == ["23", "45.0%<sup>[1]</sup>", "–", "–", "–"]
    assert (
        html_lib.escape("[1] " + ONE_CLUSTER) in estimates_table
        and "<b>V&1</b>" not in estimates_table
    )


def test_report_country_with_one_wave_says_there_are_no_shifts():
    import pandas as pd

    from analysis.survey.shifts import SHIFT_COLUMNS
    from figures.report import estimates_and_shifts_html

    from .test_display_not_estimable import estimates_frame

    one = estimates_frame()
    one = one[one["wave"] == "1999"]
    text = estimates_and_shifts_html(_country(one, pd.DataFrame(columns=SHIFT_COLUMNS)), {}, 0.05)
    assert (
        "<p>No shifts: this country has one wave (&#x27;1999&#x27;), so there is no change to"
        " estimate.</p>" in text
    )
    assert "one wave of data, so no shifts." in text and "−" not in text and "Holm" not in text
    assert (
        text.count("<table>") == 1 and "<h3>Estimates (overall and by sex)</h3>" in text
    )  # estimates still shown


def test_report_crosstab_shows_s_only_for_suppressed_cells():
    import numpy as np
    import pandas as pd

    from figures.report import crosstab_html

    tidy = pd.DataFrame(
        {
            "row": ["A", "A", "B", "B"],
            "column": ["x", "Total", "x", "Total"],
            "n": [np.nan, 3, 0, 0],
            "percent": [np.nan, 100.0, np.nan, np.nan],
            "suppressed": [True, False, False, False],
        }
    )
    rows = _cells(crosstab_html("c", "t", tidy, {}, {}))
    assert rows[1:] == [
        ["<b>A</b>", "s", "3"],
        ["%", "s", "100.0%"],
        ["<b>B</b>", "0", "0"],
        ["%", "–", "–"],
    ]


FIRST_SCREEN = """<script>
window.addEventListener('load', () => {
  const first = document.querySelector('ul.key li');
  const top = first ? Math.round(first.getBoundingClientRect().top) : -1;
  document.body.setAttribute('data-first-key', top + '/' + window.innerHeight);
});
</script></body>"""


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian package `chromium`): first screen not checked",
)
def test_the_first_screen_shows_the_key_results(workdir, tmp_path):
    """A screenshot of the report's first screen (1280 x 900) is drawn, and the first key result
    sentence starts inside it."""
    from PIL import Image, ImageStat

    html = _report(workdir).read_text(encoding="utf-8")
    assert "id=key>Key results</h2>" in html and "<ul class=key>" in html
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", FIRST_SCREEN, 1), encoding="utf-8")
    dom = _chromium(page, tmp_path, "--dump-dom")
    match = re.search(r'data-first-key="(-?\d+)/(\d+)"', dom.stdout)
    assert match, dom.stderr[-2000:]
    top, height = map(int, match.groups())
    assert 0 < top < height - 40  # the first sentence begins on the first screen
    shot = tmp_path / "first_screen.png"
    _chromium(page, tmp_path, f"--screenshot={shot}")
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 900)
    assert ImageStat.Stat(image).stddev[0] > 10  # text drawn, not a blank page
