"""Multiplicity families (issue 17, deliverable 5): Holm and Benjamini-Hochberg within each
family of rows, pinned to R.

calls: tests/fixtures/reference/multiplicity_reference.R -> multiplicity_reference.json
(stats::p.adjust(p, "holm") and p.adjust(p, "BH") within each family of twelve rows: three
indicators, one secondary; overall and by-sex rows; two comparisons).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.config import load_project
from analysis.errors import InputError
from analysis.survey.multiplicity import (
    DEFAULT_FAMILY,
    MultiplicityFamily,
    adjust_pvalues,
    family_keys,
    family_of,
)

ROOT = Path(__file__).resolve().parents[3]
FIX = ROOT / "tests" / "fixtures" / "reference"
REF = json.loads((FIX / "multiplicity_reference.json").read_text())
ROWS = pd.DataFrame(REF["rows"])


def _keys(case) -> tuple[str, ...]:
    keys = case["keys"]
    return (keys,) if isinstance(keys, str) else tuple(keys)


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: "+".join(_keys(c)) or "country")
def test_adjusted_p_values_match_r_p_adjust_within_each_family(case):
    family = MultiplicityFamily(_keys(case), REF["roles"])
    out = adjust_pvalues(ROWS, family)
    np.testing.assert_allclose(out["p_holm"], case["p_holm"], rtol=1e-12)
    np.testing.assert_allclose(out["p_bh"], case["p_bh"], rtol=1e-12)


def test_the_default_family_names_each_row_by_role_and_scope():
    out = adjust_pvalues(ROWS, MultiplicityFamily(DEFAULT_FAMILY, REF["roles"]))
    assert out.loc[0, "holm_family"] == "primary, overall"
    assert out.loc[1, "holm_family"] == "primary, subgroup"
    assert out.loc[6, "holm_family"] == "secondary, overall"
    assert set(adjust_pvalues(ROWS, "country")["holm_family"]) == {"all rows"}


def test_rows_without_a_p_value_are_in_no_family():
    rows = ROWS.copy()
    rows.loc[[0, 3], "p_value"] = np.nan
    out = adjust_pvalues(rows, MultiplicityFamily(DEFAULT_FAMILY, REF["roles"]))
    assert out.loc[[0, 3], ["p_holm", "p_bh"]].isna().all().all()
    assert (out.loc[[0, 3], "holm_family"] == "").all()
    # the remaining primary overall rows (a midline, b midline) form the family: Holm over two
    primary_overall = out.index[(out["holm_family"] == "primary, overall")]
    assert list(primary_overall) == [9, 10]
    np.testing.assert_allclose(out.loc[9, "p_holm"], min(1, 2 * 0.04))


def test_legacy_names_are_one_key_families():
    assert family_keys("country") == ()
    assert family_keys("indicator") == ("indicator",)
    assert family_keys(None) == DEFAULT_FAMILY
    assert family_keys(["scope", "role", "scope"]) == ("scope", "role")


P = st.floats(min_value=1e-12, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    overall=st.lists(P, min_size=1, max_size=6),
    subgroup=st.lists(P, min_size=0, max_size=12),
)
def test_adding_subgroup_rows_never_changes_the_overall_family(overall, subgroup):
    """The reason for the default: the whole-sample rows' adjusted p-values do not depend on how
    many subgroup rows are configured; within a family Holm >= raw and BH <= Holm."""

    def table(sub):
        return pd.DataFrame(
            {
                "country": "x",
                "indicator": [f"i{k}" for k in range(len(overall) + len(sub))],
                "group_var": ["overall"] * len(overall) + ["sex"] * len(sub),
                "p_value": overall + sub,
            }
        )

    alone = adjust_pvalues(table([]), DEFAULT_FAMILY)
    both = adjust_pvalues(table(subgroup), DEFAULT_FAMILY)
    np.testing.assert_allclose(both["p_holm"][: len(overall)], alone["p_holm"])
    assert (both["p_holm"] >= both["p_value"] - 1e-15).all()
    assert (both["p_bh"] <= both["p_holm"] + 1e-15).all()
    one = adjust_pvalues(table(subgroup), "country")
    assert (one["p_holm"][: len(overall)] >= both["p_holm"][: len(overall)] - 1e-15).all()


def _project(tmp_path: Path, indicator_role=None, country_indicators=None, settings_=None):
    """A copy of the project config with a role on one indicator of config/indicators.yaml,
    `country_indicators` in rwanda's file and `settings_` in config.yaml."""
    import shutil

    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw").symlink_to(ROOT / "data" / "raw")
    path = tmp_path / "config" / "indicators.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if indicator_role:
        doc["indicators"][0]["role"] = indicator_role
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    cpath = tmp_path / "config" / "countries" / "rwanda.yaml"
    country = yaml.safe_load(cpath.read_text(encoding="utf-8"))
    country["indicators"] = country.get("indicators", []) + (country_indicators or [])
    cpath.write_text(yaml.safe_dump(country, sort_keys=False), encoding="utf-8")
    if settings_:
        spath = tmp_path / "config" / "config.yaml"
        cfg = yaml.safe_load(spath.read_text(encoding="utf-8"))
        cfg.update(settings_)
        spath.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return load_project(tmp_path), doc["indicators"][0]["id"]


def test_a_secondary_indicator_gets_its_own_family(tmp_path):
    project, first = _project(tmp_path, indicator_role="secondary")
    family = family_of(project.settings.multiplicity_family, project.indicators, "rwanda")
    assert family.keys == ("role", "scope") and family.roles[first] == "secondary"
    assert {r for i, r in family.roles.items() if i != first} == {"primary"}


def test_a_role_on_a_mapped_existing_indicator_stops_with_the_fix(tmp_path):
    doc = yaml.safe_load((ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    existing = next(i for i in doc["indicators"] if "rwanda" not in i["countries"])
    entry = {"id": existing["id"], "role": "secondary", "kind": "share", "variable": "sex"}
    entry["positive"] = ["Female"]
    with pytest.raises(InputError) as err:
        _project(tmp_path, country_indicators=[entry])
    assert "role" in str(err.value) and "config/indicators.yaml" in str(err.value)


@pytest.mark.parametrize("bad", [["country"], ["sex"], "everything"])
def test_an_unknown_family_key_is_refused(tmp_path, bad):
    with pytest.raises(InputError) as err:
        _project(tmp_path, settings_={"multiplicity_family": bad})
    assert "multiplicity_family" in str(err.value)
