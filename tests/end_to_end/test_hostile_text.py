"""Hostile config text comes out literally in every output, and never reaches a shell.

One pipeline run (Tajikistan only, no audit registry) in a temporary copy of the repository, with
every free-text config field set to a string full of shell, HTML, Markdown, LaTeX, mathtext and
spreadsheet metacharacters: the country label, both datasets' descriptions, value labels (a codebook
`values:` map, and the `positive:` of an indicator that uses it), group labels (a derived `map:`), a
crosstab's category labels and `order:`, the table title, an indicator label, an exclusion reason
and a consistency-check warning. Then each output format is checked: CSV (read back with
`read_output_csv`; no cell a spreadsheet would run), HTML (parsed: the text nodes equal the strings,
no <script> element), Markdown and LaTeX (the escaped forms, written out by hand below), charts
(rebuilt in-process as the pipeline builds them: the Text artists hold the strings, and mathtext
never runs), and no file `pwned` anywhere.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from analysis.csv_files import read_output_csv
from analysis.escaping import markdown_text
from tests.conftest import copy_project

BIN = str(Path(sys.executable).parent)
COUNTRY = "tajikistan"

BODY = (
    "'; touch pwned; echo ' $(touch pwned) `touch pwned` <script>alert(1)</script> &amp; | ** _"
    " [x](y) \\textbf{x} % & # ~ ^ $\\alpha$"
)
# BODY as the Markdown tables and findings write it (entities for & < >, a backslash before \ ` * _
# [ ] | ~ $)
BODY_MD = (
    "'; touch pwned; echo ' \\$(touch pwned) \\`touch pwned\\`"
    " &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; \\| \\*\\* \\_ \\[x\\](y) \\\\textbf{x} %"
    " &amp; # \\~ ^ \\$\\\\alpha\\$"
)
# BODY as great_tables writes it in LaTeX (\ { } $ & # ^ _ % ~ < > escaped)
BODY_TEX = (
    "'; touch pwned; echo ' \\$(touch pwned) `touch pwned`"
    " \\textless{}script\\textgreater{}alert(1)\\textless{}/script\\textgreater{} \\&amp; | ** \\_"
    " [x](y) \\textbackslash{}textbf\\{x\\} \\% \\& \\# \\textasciitilde{} \\textasciicircum{}"
    " \\$\\textbackslash{}alpha\\$"
)


def hostile(lead: str, tag: str) -> str:
    """A hostile string that also starts like a spreadsheet formula (lead: = + - @)."""
    return f"{lead}{tag} {BODY}"


LABEL = f'=HYPERLINK("x") Tajikistan {BODY}'
DESCRIPTION = hostile("+", "survey")
REGISTER = hostile("-", "register")
IDI, FGD = hostile("=", "idi"), hostile("@", "fgd")
YOUNG, OLD, MEN = hostile("-", "young"), hostile("+", "old"), hostile("@", "men")
JOMI = hostile("=", "jomi")
DISABLED, NOT_DISABLED = hostile("+", "disab"), hostile("-", "nodisab")
HUNGRY_YES = hostile("@", "yes")
HUNGRY_LABEL = hostile("=", "hungry")
REASON = hostile("-", "test submission")
WARNING = hostile("+", "age flag")
TITLE = hostile("=", "Figure 3")
TABLE = "figure3_participants"
TEX = {s: s.replace(BODY, BODY_TEX) for s in (TITLE, IDI, FGD, YOUNG, OLD, MEN, JOMI, HUNGRY_LABEL)}
MD = {s: s.replace(BODY, BODY_MD) for s in (TITLE, IDI, FGD, YOUNG, OLD, MEN, JOMI, HUNGRY_LABEL)}


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _edit_yaml(path: Path, edit) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(
        yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def _hostile_config(root: Path) -> None:
    def project(doc):
        doc["countries"] = [COUNTRY]
        doc.pop("claims", None)

    def country(doc):
        doc["label"] = LABEL
        resp, part = doc["datasets"]["respondents"], doc["datasets"]["participants"]
        resp["description"], part["description"] = DESCRIPTION, REGISTER
        resp["variables"]["hunger_weekly"] = {
            "missing": ["dk"],
            "values": {"yes": HUNGRY_YES, "no": "No"},
        }
        resp["derive"]["social_group"]["map"] = {"Yes": DISABLED, "No": NOT_DISABLED}
        next(r for r in resp["exclusions"] if r["id"] == "test_submission")["reason"] = REASON
        resp["checks"] = [{"warning": WARNING, "when": {"variable": "age_band", "in": ["36+"]}}]
        part["variables"]["collection_type"]["values"] = {
            "FGD": FGD,
            "Focus group": FGD,
            "IDI": IDI,
            "In-depth interview": IDI,
        }
        part["variables"]["respondent_group"]["values"] = {
            "Younger women (20–35)": YOUNG,
            "Older women (36+)": OLD,
            "Men (20–50)": MEN,
        }
        table = doc["tables"][TABLE]
        table["title"] = TITLE
        table["rows"]["order"] = [IDI, FGD]
        table["columns"][0]["labels"] = {"Jomi": JOMI}
        table["columns"][1]["order"] = [YOUNG, OLD, MEN]

    def indicators(doc):
        hunger = next(i for i in doc["indicators"] if i["id"] == "hunger_weekly")
        hunger["label"] = HUNGRY_LABEL
        hunger["countries"][COUNTRY]["positive"] = [HUNGRY_YES]

    _edit_yaml(root / "config" / "config.yaml", project)
    _edit_yaml(root / "config" / "countries" / f"{COUNTRY}.yaml", country)
    _edit_yaml(root / "config" / "indicators.yaml", indicators)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The pipeline run once on the hostile config: (root, completed process)."""
    root = copy_project(tmp_path_factory.mktemp("hostile"))
    _hostile_config(root)
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    env.pop("PEACE_DEBUG", None)
    proc = subprocess.run(
        [f"{BIN}/snakemake", "--cores", "2", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    return root, proc


@pytest.fixture(scope="module")
def root(hostile_run):
    root, proc = hostile_run
    assert proc.returncode == 0, proc.stderr[-4000:]
    return root


def test_no_config_text_ran_in_a_shell(hostile_run):
    root, _ = hostile_run
    found = [p for p in root.rglob("pwned*")] + [
        p for p in (Path.cwd() / "pwned", Path("/tmp/pwned")) if p.exists()
    ]
    assert not found, found


# --- CSV ------------------------------------------------------------------------------------------
def _csv_outputs(root: Path) -> list[Path]:
    return sorted(
        p for folder in ("reports", "data/processed") for p in (root / folder).rglob("*.csv")
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_csv_cell_starts_like_a_spreadsheet_formula(root):
    outputs = _csv_outputs(root)
    assert len(outputs) >= 8
    risky = []
    for path in outputs:
        with open(path, newline="", encoding="utf-8") as fh:
            for line, row in enumerate(csv.reader(fh), 1):
                risky += [
                    (path.name, line, cell[:30])
                    for cell in row
                    if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(cell)
                ]
    assert not risky, risky[:10]


def test_csv_text_reads_back_literally(root):
    processed, tables = root / "data/processed" / COUNTRY, root / "reports/tables" / COUNTRY
    crosstab = read_output_csv(tables / f"{TABLE}.csv")
    assert {IDI, FGD} <= set(crosstab["row"]) and {IDI, FGD} <= set(crosstab["collection_type"])
    assert {YOUNG, OLD, MEN} <= set(crosstab["respondent_group"])
    assert JOMI in set(crosstab["location"]) and f"{JOMI} | {YOUNG}" in set(crosstab["column"])
    assert REASON in set(read_output_csv(processed / "exclusions.csv")["reason"])
    log = read_output_csv(processed / "cleaning_log.csv")
    assert (log["rule"] == WARNING).sum() > 0 and set(
        log.loc[log["rule"] == WARNING, "severity"]
    ) == {"warning"}
    groups = set(read_output_csv(tables / "estimates.csv")["group"])
    assert {DISABLED, NOT_DISABLED} & groups, sorted(groups)
    raw = (tables / f"{TABLE}.csv").read_text(encoding="utf-8")
    assert "'=idi" in raw and "'@fgd" in raw and "'-young" in raw  # one quote before each, on disk


# --- HTML -----------------------------------------------------------------------------------------
class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self.tags, self.attributes = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [v for _, v in attrs if v]

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_display_table_html_shows_the_text_and_runs_nothing(root):
    tables = root / "reports/tables" / COUNTRY
    crosstab = _page(tables / f"{TABLE}.html")
    assert "script" not in crosstab.tags
    for text in (TITLE, IDI, FGD, JOMI, YOUNG, OLD, MEN):
        assert text in crosstab.texts, text
    estimates = _page(tables / "estimates_table.html")
    assert "script" not in estimates.tags
    assert HUNGRY_LABEL in estimates.texts
    assert f"{LABEL}: indicator estimates by wave, overall and by sex" in estimates.texts
    shifts = _page(tables / "shifts_table.html")
    assert "script" not in shifts.tags and f"{LABEL}: baseline to endline shifts" in shifts.texts


def test_report_html_shows_the_text_and_runs_nothing(root):
    report = _page(root / "reports/report.html")
    assert "script" not in report.tags
    for text in (LABEL, TITLE, HUNGRY_LABEL, REASON, WARNING, IDI, FGD):
        assert text in report.texts, text
    assert TITLE in report.attributes  # the chart's alt text
    assert any(JOMI in t and YOUNG in t for t in report.texts)  # a two-variable column header


# --- Markdown and LaTeX ---------------------------------------------------------------------------
def test_markdown_tables_escape_the_text(root):
    tables = root / "reports/tables" / COUNTRY
    crosstab = (tables / f"{TABLE}.md").read_text(encoding="utf-8")
    assert f"**{MD[TITLE]}**" in crosstab
    for text in (IDI, FGD, YOUNG, OLD, MEN):
        assert MD[text] in crosstab, text
    assert MD[HUNGRY_LABEL] in (tables / "estimates_table.md").read_text(encoding="utf-8")
    for path in tables.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text and BODY not in text, path.name
        widths = {
            line.count("|") - line.count("\\|")
            for line in text.splitlines()
            if line.startswith("|")
        }
        assert len(widths) == 1, (path.name, widths)  # every row has as many cells as the header


def test_latex_tables_escape_the_text(root):
    tables = root / "reports/tables" / COUNTRY
    crosstab = (tables / f"{TABLE}.tex").read_text(encoding="utf-8")
    for text in (TITLE, IDI, FGD, YOUNG, OLD, MEN):
        assert TEX[text] in crosstab, text
    assert TEX[HUNGRY_LABEL] in (tables / "estimates_table.tex").read_text(encoding="utf-8")
    for path in tables.glob("*.tex"):
        assert BODY not in path.read_text(encoding="utf-8"), path.name


# --- charts ---------------------------------------------------------------------------------------
def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def chart_texts(root):
    """{chart: [Text artist strings]} of the charts rebuilt in-process with the pipeline's commands,
    and the number of mathtext parses while drawing them."""
    import matplotlib.mathtext
    from matplotlib.text import Text

    import figures.charts
    from figures.__main__ import main
    from figures.style import figure_style

    figures_made, parses = {}, []
    original_parse = matplotlib.mathtext.MathTextParser.parse

    def capture(fig, out_stem):
        with figure_style():
            fig.canvas.draw()
        figures_made[Path(out_stem).name] = [t for t in fig.findobj(Text) if t.get_text()]
        return []

    def counting_parse(self, *args, **kwargs):
        parses.append(args[:1])
        return original_parse(self, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(figures.charts, "save_figure", capture)
        mp.setattr(matplotlib.mathtext.MathTextParser, "parse", counting_parse)
        mp.chdir(root)
        out = root / "chart_probe"
        assert (
            main(["table", "--country", COUNTRY, "--table", TABLE, "--out-stem", str(out / TABLE)])
            == 0
        )
        for chart in ("dumbbell", "forest"):
            assert main([chart, "--country", COUNTRY, "--out-stem", str(out / chart)]) == 0
    finally:
        mp.undo()
    return figures_made, parses


def test_charts_draw_the_text_as_written(root, chart_texts):
    made, parses = chart_texts
    assert not parses, parses[:3]  # no mathtext, although every label has $...$
    assert all(not t.get_parse_math() for texts in made.values() for t in texts)
    for chart, wanted in (
        (TABLE, [JOMI, YOUNG, OLD, MEN, IDI, FGD, REGISTER]),
        ("dumbbell", [HUNGRY_LABEL, DESCRIPTION]),
        ("forest", [HUNGRY_LABEL, DESCRIPTION]),
    ):
        drawn = [_flat(t.get_text()) for t in made[chart]]
        for text in (
            wanted
        ):  # the whole string, not preceded by the CSV's quote (read back with read_output_csv)
            assert any(_flat(text) in d for d in drawn), (chart, text[:12])
            assert not any(f"'{_flat(text)}" in d for d in drawn), (
                chart,
                text[:12],
                "quote prefix left in",
            )
    for chart in (TABLE, "dumbbell", "forest"):
        assert (root / "reports/figures" / COUNTRY / f"{chart}.png").stat().st_size > 10_000


# --- the escaping functions themselves ------------------------------------------------------------
@pytest.mark.parametrize(
    "text, escaped",
    [
        ("a|b", "a\\|b"),
        ("**bold**", "\\*\\*bold\\*\\*"),
        ("_i_", "\\_i\\_"),
        ("`c`", "\\`c\\`"),
        ("[x](y)", "\\[x\\](y)"),
        ("# heading", "\\# heading"),
        ("a # b", "a # b"),
        ("\\", "\\\\"),
        ("<b>&amp;</b>", "&lt;b&gt;&amp;amp;&lt;/b&gt;"),
        ("~x~", "\\~x\\~"),
        ("$x$", "\\$x\\$"),
        ("two\nlines", "two lines"),
        ("100%", "100%"),
        ("snake_case_id", "snake_case_id"),
        ("a__b", "a__b"),
        ("__init__", "\\_\\_init\\_\\_"),
        ("x_ y", "x\\_ y"),
        ("é_é", "é_é"),
    ],
)
def test_markdown_text(text, escaped):
    assert markdown_text(text) == escaped


def test_findings_markdown_escapes_registry_text():
    import pandas as pd

    from analysis.audit.run import CLAIM_COLUMNS, AuditResult, render_findings
    from analysis.model import ClaimsRegistry, Paper

    claims = pd.DataFrame(
        [
            {
                "id": "c1",
                "section": f"Figure {BODY}",
                "quote": BODY,
                "unit": "percent",
                "group": None,
                "wave": None,
                "base_n": None,
                "printed": 1.0,
                "decimals": 1,
                "recomputed": 2.0,
                "status": "differs",
                "check": "recompute",
                "detail": BODY,
                "provenance_id": "prov:c1",
            }
        ],
        columns=CLAIM_COLUMNS,
    )
    consistency = pd.DataFrame(
        [
            {
                "id": "k1",
                "check": "cross_table",
                "passed": False,
                "label": "proven",
                "detail": BODY,
                "claims": "c1",
                "note": BODY,
            }
        ]
    )
    # a registry of no claims (the schema wants one; the findings only read the paper)
    registry = ClaimsRegistry.model_construct(
        paper=Paper(title=f"{BODY}: subtitle", year=2023), claims=[], consistency=[]
    )
    text = render_findings(AuditResult(claims, consistency, [], registry))
    assert text.count(BODY_MD) == 4 and BODY not in text  # title, detail, note, section


def test_crosstab_keeps_categories_that_contain_the_join_separator():
    import pandas as pd

    from analysis.errors import InputError
    from analysis.model import Dimension
    from analysis.tables.crosstab import crosstab

    frame = pd.DataFrame(
        {"kind": ["x", "y", "x"], "place": ["a | b", "c", "c"], "group": ["d", "e | f", "d"]}
    )
    dims = [
        Dimension(variable="place", order=["a | b", "c"]),
        Dimension(variable="group", order=["d", "e | f"]),
    ]
    tidy = crosstab(frame, [Dimension(variable="kind")], dims)
    cell = tidy[(tidy["row"] == "y") & (tidy["column"] == "c | e | f")]
    assert cell[["place", "group", "n"]].values.tolist() == [["c", "e | f", 1]]
    assert set(tidy["place"]) == {"a | b", "c", "Total"} and set(tidy["group"]) == {
        "d",
        "e | f",
        "Total",
    }
    ambiguous = [
        Dimension(variable="place", order=["a | b", "a"]),
        Dimension(variable="group", order=["c", "b | c"]),
    ]
    with pytest.raises(InputError, match="both read 'a \\| b \\| c'"):
        crosstab(frame.assign(place="a", group="c"), [Dimension(variable="kind")], ambiguous)


HOSTILE_QUOTE = '=HYPERLINK("http://x") +1 -1 @x'


def _hostile_audit_result():
    """An audit result whose claim and consistency texts start with spreadsheet formula signs."""
    import pandas as pd

    from analysis.audit.run import CLAIM_COLUMNS, AuditResult
    from analysis.model import ClaimsRegistry, Paper

    claim = {
        "id": "c1",
        "section": "-3.1.1",
        "quote": HOSTILE_QUOTE,
        "unit": "percent",
        "group": "@women",
        "wave": None,
        "base_n": None,
        "printed": -4.4,
        "decimals": 1,
        "recomputed": -4.25,
        "status": "differs",
        "check": "recompute",
        "detail": "+0.15 pp off",
        "provenance_id": "prov:c1",
    }
    check = {
        "id": "k1",
        "check": "change",
        "passed": True,
        "label": "",
        "detail": "-4.4 pp",
        "claims": "c1",
        "note": "+38 pp",
    }
    return AuditResult(
        pd.DataFrame([claim], columns=CLAIM_COLUMNS),
        pd.DataFrame([check]),
        [{"claim_id": "c1", "provenance_id": "prov:c1", "method": "m"}],
        ClaimsRegistry.model_construct(
            paper=Paper(title="T", year=2023), claims=[], consistency=[]
        ),
    )


def test_audit_csvs_are_neutralised_and_show_prints_the_text_literally(tmp_path, capsys):
    from analysis.audit.__main__ import main as audit_main
    from analysis.audit.run import write_audit

    quote = HOSTILE_QUOTE
    result = _hostile_audit_result()
    out = tmp_path / "out"
    out.mkdir()
    write_audit(
        result,
        out / "claims.csv",
        out / "consistency.csv",
        out / "findings.md",
        out / "provenance.json",
    )
    raw = (out / "claims.csv").read_text(encoding="utf-8")
    assert "'-3.1.1" in raw and '"\'=HYPERLINK(""http://x"") +1 -1 @x"' in raw and "'@women" in raw
    assert ",-4.4,1,-4.25," in raw  # numbers untouched
    back = read_output_csv(out / "claims.csv")
    assert back.loc[0, ["section", "quote", "group", "detail"]].tolist() == [
        "-3.1.1",
        quote,
        "@women",
        "+0.15 pp off",
    ]
    assert back.loc[0, "printed"] == -4.4
    assert read_output_csv(out / "consistency.csv").loc[0, ["detail", "note"]].tolist() == [
        "-4.4 pp",
        "+38 pp",
    ]
    assert audit_main(["--root", str(tmp_path), "--out-dir", "out", "show", "c1"]) == 0
    shown = capsys.readouterr().out
    assert f'quote       "{quote}"' in shown and "(-3.1.1)" in shown and "'" + quote not in shown
