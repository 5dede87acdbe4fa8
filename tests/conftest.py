"""Shared fixtures: the project root, its configuration, and the shipped data cleaned once per
session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.cleaning.clean import clean_dataset
from analysis.config import load_project
from analysis.model import Indicator, ShareMapping

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # reference values and paper figures, each with its source


@pytest.fixture(scope="session")
def project():
    return load_project(ROOT)


@pytest.fixture(scope="session")
def cleaned(project):
    """{(country, dataset): CleanResult} for every dataset of every configured country."""
    return {
        (c, d): clean_dataset(project, c, d)
        for c, cfg in project.countries.items()
        for d in cfg.datasets
    }


def copy_project(dest: Path) -> Path:
    """A minimal working copy of the repository (config, raw data, code, workflow) under `dest`."""
    for item in ("Snakefile", "rules", "config", "src", "environment.yml", "requirements.lock"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / item)
    shutil.copytree(ROOT / "data" / "raw", dest / "data" / "raw")
    return dest


# One yes/no indicator `ind` (1 = yes) of country "x": the statistics tests' synthetic data use it.
ONE_INDICATOR = [
    Indicator(
        id="ind",
        label="ind",
        improvement="increase",
        countries={"x": ShareMapping(variable="ind", positive=[1])},
    )
]
