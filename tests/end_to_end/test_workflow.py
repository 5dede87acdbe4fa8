"""The Snakemake workflow end to end, in a temporary copy of the repository."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import copy_project

BIN = str(Path(sys.executable).parent)


def _run(args, cwd, check=True):
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    env.pop("PEACE_DEBUG", None)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def _digests(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("repo"))
    raw_before = _digests(root / "data" / "raw")
    _run([f"{BIN}/snakemake", "--cores", "2", "-q"], root)
    return root, raw_before


def test_full_run_writes_every_output(workdir):
    workdir, _ = workdir
    for country in ("rwanda", "tajikistan"):
        for kind in (
            "respondents.parquet",
            "exclusions.csv",
            "cleaning_log.csv",
            "row_accounting.csv",
        ):
            assert (workdir / "data/processed" / country / kind).stat().st_size > 0
    for table in (
        "rwanda/figure1_sex_by_age",
        "rwanda/figure2_social_group_by_sex",
        "tajikistan/figure3_participants",
    ):
        frame = pd.read_csv(workdir / "reports/tables" / f"{table}.csv")
        assert {"row", "column", "n", "percent"} <= set(frame.columns)
    for country in ("rwanda", "tajikistan"):
        est = pd.read_csv(workdir / "reports/tables" / country / "estimates.csv")
        shifts = pd.read_csv(workdir / "reports/tables" / country / "shifts.csv")
        assert len(est) > 20 and len(shifts) > 10 and shifts["p_holm"].between(0, 1).all()


def test_no_direct_identifier_in_any_output(workdir, project):
    """Scan every file under data/processed and reports for raw PII values, and every table's header
    for PII column names (a column name in prose, e.g. "phone numbers are redacted", is not a
    disclosure).
    """
    from analysis.ingest.readers import read_source

    workdir, _ = workdir
    columns, values = set(), set()
    for country in project.countries.values():
        for dataset in country.datasets.values():
            for src in dataset.sources:
                table = read_source(workdir, src).frame
                cols = [c for c in table.columns if c in dataset.pii]
                columns |= set(cols)
                # values of 6+ characters: a 4-letter placeholder such as "TEST" also occurs in
                # record ids
                values |= {str(v) for v in table[cols].to_numpy().ravel() if len(str(v)) >= 6}
    assert len(values) > 100 and {"phone", "name"} & columns
    outputs = [p for p in (workdir / "data/processed").rglob("*") if p.is_file()] + [
        p for p in (workdir / "reports").rglob("*") if p.is_file()
    ]
    for path in outputs:
        if path.suffix == ".png":  # pixels: charts are drawn from aggregate tables only
            continue
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            text, header = frame.to_csv(), set(map(str, frame.columns))
        elif path.suffix == ".xlsx":  # every cell of every sheet; each sheet's first row
            text, header = _workbook_text(path)
        else:
            text = path.read_text(encoding="utf-8")
            header = set(text.partition("\n")[0].split(",")) if path.suffix == ".csv" else set()
        found = [n for n in values if n in text] + sorted(columns & header)
        assert not found, f"{path}: {found[:3]}"


def _workbook_text(path):
    """Every cell of a workbook as text, and the first row of each sheet (its header)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    headers = {
        str(v)
        for sheet in book.worksheets
        for r in sheet.iter_rows(max_row=1, values_only=True)
        for v in r
        if v is not None
    }
    return "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows), headers


def test_second_run_has_nothing_to_do(workdir):
    workdir, _ = workdir
    out = _run([f"{BIN}/snakemake", "--cores", "2", "-n"], workdir)
    assert "Nothing to be done" in out.stdout + out.stderr


def test_raw_data_untouched(workdir):
    workdir, before = workdir
    assert _digests(workdir / "data" / "raw") == before


def test_rerun_from_scratch_gives_identical_bytes(workdir, tmp_path):
    workdir, _ = workdir
    first = {**_digests(workdir / "data/processed"), **_digests(workdir / "reports")}
    other = copy_project(tmp_path)
    _run([f"{BIN}/snakemake", "--cores", "1", "-q"], other)
    second = {**_digests(other / "data/processed"), **_digests(other / "reports")}
    assert first == second


def test_lint_is_clean(workdir):
    workdir, _ = workdir
    out = _run([f"{BIN}/snakemake", "--lint"], workdir)
    assert "Congratulations" in out.stdout + out.stderr


def test_bad_input_stops_with_message_and_no_partial_outputs(tmp_path):
    root = copy_project(tmp_path)
    csv = root / "data/raw/tajikistan/qualitative_register.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8").replace(",FGD\n", ",Group talk\n", 1), encoding="utf-8"
    )
    proc = _run(
        [f"{BIN}/snakemake", "--cores", "1", "data/processed/tajikistan/participants.parquet"],
        root,
        check=False,
    )
    assert proc.returncode != 0
    assert "no mapping in the codebook" in proc.stderr and "Group talk" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (root / "data/processed/tajikistan/participants.parquet").exists()
    assert not list((root / "data/processed").rglob("*.tmp"))


def test_cli_exit_code_and_single_message(tmp_path):
    root = copy_project(tmp_path)
    (root / "config/config.yaml").write_text("countries: [rwanda]\nalfa: 0.05\n", encoding="utf-8")
    proc = _run(
        [sys.executable, "-m", "analysis", "--root", str(root), "validate"], root, check=False
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("ERROR: unknown key 'alfa'")
        and "did you mean 'alpha'" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_manifest_records_and_verify_passes(workdir):
    import json

    workdir, _ = workdir
    manifest = json.loads((workdir / "reports/manifest.json").read_text())
    assert "data/raw/rwanda/rwanda_endline_2023_ona.sav" in manifest["inputs"]
    assert "reports/report.html" in manifest["outputs"] and "pandas" in manifest["packages"]
    assert all(len(d) == 64 for d in manifest["outputs"].values())
    out = _run([sys.executable, "-m", "analysis", "verify"], workdir)
    assert "verified" in out.stdout


def test_changing_one_country_reruns_only_that_country(workdir):
    workdir, _ = workdir
    raw = workdir / "data/raw/tajikistan/qualitative_register.csv"
    original = raw.read_bytes()
    raw.write_bytes(original + b"\n")  # changed bytes, same rows (a trailing blank line)
    planned = _run([f"{BIN}/snakemake", "-n"], workdir).stdout
    jobs = re.findall(r"^\s*(?:output|wildcards): (.*)$", planned, flags=re.M)
    assert any("tajikistan" in j for j in jobs)
    assert not any("rwanda" in j or "example_country" in j for j in jobs), jobs
    for rule in ("rule audit:", "rule html_report:", "rule manifest:"):
        assert rule in planned
    raw.write_bytes(original)


def test_slurm_profile_dry_run(workdir):
    from tests.conftest import ROOT

    workdir, _ = workdir
    out = _run(
        [f"{BIN}/snakemake", "--profile", str(ROOT / "profiles/slurm"), "-n", "--forceall"], workdir
    )
    assert "clean_dataset" in out.stdout and "This was a dry-run" in out.stdout
