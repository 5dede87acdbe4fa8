"""`make clean-outputs` removes every file the pipeline writes and nothing it reads.

The pipeline's outputs are the paths of its rules (output, log and benchmark paths in Snakefile and
rules/*.smk, wildcards filled in), plus what `python -m analysis run` and Snakemake themselves write
(reports/run_summary.txt, .snakemake records, the workflow cache)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_PREFIXES = ("data/processed/", "reports/", "logs/")
QUOTED_PATH = re.compile(r'"((?:data/processed|reports|logs)/[^"]+)"')
WILDCARD = re.compile(r"\{+[^{}]*\}+")
ALSO_WRITTEN = [
    "reports/run_summary.txt",
    ".snakemake/metadata/x",
    ".snakemake/incomplete/x",
    ".snakemake/log/x.snakemake.log",
    ".snakemake/peace-of-mind/cache.json",
]
INPUTS = ["data/raw/land/base.sav", "config/config.yaml", "config/countries/land.yaml", "src/x.py"]


def pipeline_outputs() -> list[str]:
    """Every output path the rules name, with each wildcard replaced by `w`."""
    texts = [(ROOT / "Snakefile").read_text()] + [
        p.read_text() for p in sorted((ROOT / "rules").glob("*.smk"))
    ]
    paths = {WILDCARD.sub("w", m) for t in texts for m in QUOTED_PATH.findall(t)}
    paths = {p for p in paths if not p.endswith("/")}  # a folder prefix (f-string), not a file
    return sorted(paths) + ALSO_WRITTEN


def test_the_rules_name_outputs_in_every_output_folder():
    outputs = pipeline_outputs()
    for prefix in OUTPUT_PREFIXES:
        assert any(p.startswith(prefix) for p in outputs), prefix
    assert "reports/report.html" in outputs
    assert "data/processed/w/w.parquet" in outputs


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_clean_outputs_removes_every_output_and_keeps_inputs(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for rel in pipeline_outputs() + INPUTS:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    subprocess.run(["make", "-s", "clean-outputs"], cwd=tmp_path, check=True, capture_output=True)
    left = [rel for rel in pipeline_outputs() if (tmp_path / rel).exists()]
    assert left == []
    assert all((tmp_path / rel).is_file() for rel in INPUTS)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["processed", "raw"]
    assert list((tmp_path / "data/processed").iterdir()) == []
