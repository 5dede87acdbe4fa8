"""Bad-input cases of the workflow layer: config text that would break or hijack a shell command,
what a killed run leaves behind, a damaged manifest, and a raw export replaced by an older file (see
test_bad_inputs.py).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import copy_project

from . import test_bad_inputs as bad

RW_CHARTS = [
    f"reports/figures/rwanda/{c}.png"
    for c in ("figure1_sex_by_age", "figure2_social_group_by_sex", "dumbbell", "forest")
]
TJ_CHARTS = [
    f"reports/figures/tajikistan/{c}.png" for c in ("figure3_participants", "dumbbell", "forest")
]
HOSTILE = (
    "survey'; touch {root}/pwned; echo \"$(touch {root}/pwned2)\" `touch {root}/pwned3` & echo '"
)


def svg_text(path: Path) -> str:
    """The text drawn in an SVG chart (matplotlib writes each text, escaped, as a comment beside its
    glyphs), whitespace collapsed (long lines are wrapped)."""
    comments = re.findall(r"<!--(.*?)-->", path.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(" ".join(html.unescape(c) for c in comments).split())


def _umask() -> int:
    line = next(
        text
        for text in Path("/proc/self/status").read_text().splitlines()
        if text.startswith("Umask:")
    )
    return int(line.split()[1], 8)


def assert_outputs_readable_as_umask_allows(root: Path) -> None:
    """Every output file has mode 0666 minus the umask (0644 under the usual 022), none is left at
    mkstemp's 0600."""
    modes = {
        str(p.relative_to(root)): p.stat().st_mode & 0o777
        for d in ("data/processed", "reports")
        for p in (root / d).rglob("*")
        if p.is_file()
    }
    wrong = {k: oct(v) for k, v in modes.items() if v != 0o666 & ~_umask()}
    assert modes and not wrong, wrong


def write_file(rel, payload: bytes):
    def run(root):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(payload)

    return run


def _describe(country, dataset, text):
    return bad.edit_yaml(
        f"config/countries/{country}.yaml",
        lambda d: d["datasets"][dataset].update(description=text),
    )


def _hostile_description(root):
    _describe("rwanda", "respondents", HOSTILE.format(root=root))(root)


def _check_hostile_description(root, proc):
    assert not [p for p in ("pwned", "pwned2", "pwned3") if (root / p).exists()], (
        "config text ran in a shell"
    )
    for chart in ("figure1_sex_by_age", "dumbbell"):
        text = svg_text(root / f"reports/figures/rwanda/{chart}.svg")
        assert (
            f"synthetic reconstruction of {HOSTILE.format(root=root)} (not real responses)" in text
        ), text[-600:]
    assert_outputs_readable_as_umask_allows(root)


def _label_with_apostrophe(root):
    def change(doc):
        doc["label"] = "Côte d'Ivoire"
        doc["datasets"]["respondents"].pop(
            "description"
        )  # the source line then names the country by its label

    bad.edit_yaml("config/countries/rwanda.yaml", change)(root)


def _check_label(root, proc):
    for chart in RW_CHARTS:
        assert (root / chart).stat().st_size > 0 and (
            root / chart.replace(".png", ".svg")
        ).stat().st_size > 0
    for chart in ("figure2_social_group_by_sex", "forest"):
        assert "synthetic reconstruction of Côte d'Ivoire respondents" in svg_text(
            root / f"reports/figures/rwanda/{chart}.svg"
        )


def _check_womens_survey(root, proc):
    for chart in TJ_CHARTS:
        assert (root / chart).stat().st_size > 0
    assert "synthetic reconstruction of women's survey (not real responses)" in svg_text(
        root / "reports/figures/tajikistan/dumbbell.svg"
    )


def _killed_run_leftovers(root):
    """What SIGKILL leaves: Snakemake's lock, a half-written output marked incomplete, a job's
    temporary file."""
    out = Path(bad.EX)
    (root / out.parent).mkdir(parents=True)
    (root / out).write_bytes(b"PAR1 half a parquet file")
    incomplete = (
        root / ".snakemake/incomplete" / base64.urlsafe_b64encode(str(out).encode()).decode()
    )
    incomplete.parent.mkdir(parents=True)
    incomplete.write_text(json.dumps({"external_jobid": None}))
    (root / ".snakemake/locks").mkdir(parents=True)
    (root / ".snakemake/locks/0.input.lock").write_text(
        "data/raw/example_country/example_baseline_surveycto.dta\n"
    )
    (root / ".snakemake/locks/0.output.lock").write_text(f"{out}\n")
    (root / out.parent / f".{out.name}.k3j_x9q1.tmp").write_bytes(b"PAR1 another half")


def _check_recovered(root, proc):
    assert "recovering from an interrupted run" in proc.stdout
    assert not list((root / ".snakemake/locks").glob("*")) and not list(
        (root / "data/processed").rglob("*.tmp")
    )
    data = pd.read_parquet(root / bad.EX)  # rebuilt: the half-written file is gone
    assert len(data) > 100 and {"respondent_id", "wave"} <= set(data.columns)


def _run_then_replace_raw_with_older(root):
    """Build everything, then replace the register with an edited copy dated a day EARLIER (cp -p,
    unzip)."""
    proc = subprocess.run(
        bad.run_command() + ["--cores", "2"],
        cwd=root,
        env=bad._env(root),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = root / bad.REGISTER
    older = raw.stat().st_mtime_ns - 86400 * 10**9
    with open(raw, "a", encoding="utf-8") as handle:
        handle.write("999,01/05/2023,Late Entry,F,30,Jomi,Older women (36+),FGD\n")
    os.utime(raw, ns=(older, older))


def _check_report_rebuilds(root, proc):
    processed = root / "data/processed/tajikistan"
    before = {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}
    rerun = subprocess.run(
        bad.run_command() + ["--cores", "2"],
        cwd=root,
        env=bad._env(root),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    # the cleaning of that file reran (one clean job: the progress lines name rules, not files)
    assert re.search(r"clean_dataset\s+1\b", rerun.stderr), rerun.stderr[-3000:]
    after = {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}
    assert after["participants.parquet"] > before["participants.parquet"]
    assert after["respondents.parquet"] == before["respondents.parquet"]  # no other cleaning
    verify = subprocess.run(
        [sys.executable, "-m", "analysis", "verify"],
        cwd=root,
        env=bad._env(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0 and "verified" in verify.stdout, verify.stderr
    accounting = pd.read_csv(root / "data/processed/tajikistan/row_accounting.csv")
    raw_rows = accounting.loc[accounting["source_file"] == bad.REGISTER, "raw_rows"]
    assert raw_rows.tolist() == [len(pd.read_csv(root / bad.REGISTER))]  # the appended row was read


VERIFY = [sys.executable, "-m", "analysis", "verify"]

CASES = [
    bad.Case(
        "description_shell_injection",
        "dataset description with quotes, $(...), backticks and `;` (shell syntax)",
        _hostile_description,
        "",
        [],
        command=bad.run_command(
            "reports/figures/rwanda/figure1_sex_by_age.png", "reports/figures/rwanda/dumbbell.png"
        ),
        exit_code=0,
        check=_check_hostile_description,
    ),
    bad.Case(
        "label_with_apostrophe",
        'country label "Côte d\'Ivoire" (and no description: the label is shown)',
        _label_with_apostrophe,
        "",
        [],
        command=bad.run_command(*RW_CHARTS),
        exit_code=0,
        check=_check_label,
    ),
    bad.Case(
        "description_with_apostrophe",
        'dataset description "women\'s survey"',
        _describe("tajikistan", "respondents", "women's survey"),
        "",
        [],
        command=bad.run_command(*TJ_CHARTS),
        exit_code=0,
        check=_check_womens_survey,
    ),
    bad.Case(
        "killed_run_leftovers",
        "stale Snakemake lock, output marked incomplete, orphaned .tmp (after SIGKILL)",
        _killed_run_leftovers,
        "",
        ["recovering from an interrupted run"],
        command=bad.run_command(bad.EX),
        exit_code=0,
        check=_check_recovered,
    ),
    bad.Case(
        "manifest_truncated",
        "reports/manifest.json cut short",
        write_file("reports/manifest.json", b'{"inputs": {"config/config.yaml": "3f2a'),
        "",
        ["manifest is truncated or is not JSON", "reports/manifest.json", "make report"],
        command=VERIFY,
    ),
    bad.Case(
        "manifest_not_json",
        "reports/manifest.json replaced by an HTML page",
        write_file("reports/manifest.json", b"<html><body>502 Bad Gateway</body></html>"),
        "",
        ["manifest is truncated or is not JSON", "reports/manifest.json", "make report"],
        command=VERIFY,
    ),
    bad.Case(
        "raw_replaced_by_older_file",
        "register replaced by an edited copy dated a day earlier (cp -p): `make "
        "verify` names it, `make report` reruns its cleaning",
        _run_then_replace_raw_with_older,
        "",
        ["input changed since the run", bad.REGISTER, "make report"],
        command=VERIFY,
        check=_check_report_rebuilds,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    root = copy_project(tmp_path)
    bad.check_outcome(case, root, bad.run_case(case, root))
