"""Audit checks (each with passing and failing cases), statuses, registry validation and
provenance."""

import pytest

from analysis.audit import audit, checks, load_registry
from analysis.audit.recompute import safe_eval
from analysis.errors import InputError


# (a) recomputed vs printed
@pytest.mark.parametrize(
    "printed, recomputed, decimals, bound, ok",
    [
        (59.4, 59.40594, 1, "exact", True),
        (34.3, 34.40594, 1, "exact", False),
        (42, 41.67, 0, "exact", True),
        (42, 42.5, 0, "exact", False),
        (90, 90.6, 0, "more_than", True),
        (90, 89.9, 0, "more_than", False),
        (33, 32.9, 0, "less_than", True),
        (33, 33.3, 0, "less_than", False),
        (25, 25.2, 0, "about", True),
        (25, 31, 0, "about", False),
    ],
)
def test_compare_printed(printed, recomputed, decimals, bound, ok):
    assert checks.compare_printed(printed, recomputed, decimals, bound).passed is ok


# (b) granularity
def test_granularity_possible_and_impossible():
    assert checks.granularity(59.4, 1, 404).passed
    r = checks.granularity(78.7, 1, 139)
    assert (
        not r.passed
        and r.values["largest_n"] == 136
        and r.values["nonresponse"] == 3
        and r.label == "conditional"
    )
    r = checks.granularity(99.9, 1, 139)
    assert not r.passed and "any base" in r.detail


# (c) sums
@pytest.mark.parametrize(
    "total, parts, decimals, unit, ok",
    [
        (265, [6, 14, 19, 25, 101, 62, 38], 0, "count", True),
        (265, [6, 14, 19, 25, 101, 62, 37], 0, "count", False),
        (100.0, [2.3, 5.3, 7.2, 9.4, 38.1, 23.4, 14.3], 1, "percent", True),
        (100.0, [2.3, 5.3, 7.2, 9.4, 38.1, 23.4, 15.3], 1, "percent", False),
    ],
)
def test_check_sum(total, parts, decimals, unit, ok):
    assert checks.check_sum(total, parts, decimals, unit).passed is ok


# (d) weighted average
def test_weighted_average():
    assert checks.check_weighted_average(59.4, 1, [(59.2, 265), (59.7, 139)], 1).passed
    r = checks.check_weighted_average(99.2, 1, [(98.4, 265), (99.9, 139)], 1)
    assert (
        not r.passed
        and r.label == "conditional"
        and r.values["needed_share"] == pytest.approx(0.8 / 1.5)
    )
    r = checks.check_weighted_average(97.0, 1, [(98.4, 265), (99.9, 139)], 1)
    assert not r.passed and "impossible" in r.detail


# (e) changes
@pytest.mark.parametrize(
    "change, cdec, base, end, ldec, kind, ok",
    [
        (-4.4, 1, 29.6, 25.2, 1, "pp", True),
        (-4.8, 1, 29.6, 25.2, 1, "pp", False),
        (38, 0, 21, 59, 0, "pp", True),
        (38, 0, 55, 93, 0, "pp", True),
        (30, 0, 55, 93, 0, "pp", False),
        (32, 0, 50, 66, 0, "relative", True),
        (50, 0, 50, 66, 0, "relative", False),
    ],
)
def test_check_change(change, cdec, base, end, ldec, kind, ok):
    assert checks.check_change(change, cdec, base, end, ldec, kind).passed is ok


# (f) cross-table feasibility
def test_cross_table():
    assert not checks.check_cross_table(
        [0, 5, 17], [3, 9, 8], "left<=right", "men in under-30 groups <= men aged 18-30"
    ).passed
    assert checks.check_cross_table([2, 6, 31], [6, 14, 19], "left<=right", "women").passed


# (g) itemised totals
def test_itemised_total():
    assert checks.check_itemised_total(1685, [880, 772, 33]).passed
    r = checks.check_itemised_total(223, [54, 56, 32, 9, 8, 3, 8, 20, 6, 6, 1])
    assert not r.passed and r.values["sum"] == 203


# (h) subgroup changes
def test_subgroup_change():
    assert checks.check_subgroup_change(5.1, 1, [(2, 265), (11, 139)], 0).passed
    r = checks.check_subgroup_change(13.1, 1, [(2, 265), (11, 139)], 0)
    assert not r.passed and r.label == "conditional"


def test_safe_eval_rejects_code():
    assert safe_eval("a + b * 2", {"a": 1, "b": 2}) == 5
    with pytest.raises(InputError):
        safe_eval("__import__('os')", {})


@pytest.fixture(scope="module")
def pipeline_root(tmp_path_factory):
    """A temporary copy of the project with the pipeline run (tables and processed data exist)."""
    from tests.conftest import copy_project
    from tests.end_to_end.test_workflow import BIN, _run

    root = copy_project(tmp_path_factory.mktemp("auditrepo"))
    _run([f"{BIN}/snakemake", "--cores", "2", "-q"], root)
    return root


def _registry(tmp_path, claims, consistency=()):
    import yaml

    path = tmp_path / "claims.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "paper": {"title": "T: x", "year": 2023},
                "claims": list(claims),
                "consistency": list(consistency),
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


CELL = {
    "figure_cell": {
        "country": "rwanda",
        "table": "figure1_sex_by_age",
        "row": "Women",
        "column": "18–20",
        "field": "n",
    }
}


def _claim(id_: str, section: str, printed: float, unit: str, recompute: dict, **extra) -> dict:
    """One registry claim quoting "q", with decimals read off the printed number."""
    decimals = 0 if float(printed).is_integer() else 1
    return {
        "id": id_,
        "section": section,
        "quote": "q",
        "printed": printed,
        "decimals": decimals,
        "unit": unit,
        **extra,
        "recompute": recompute,
    }


ENDLINE_MEN_SHARED_IDENTITY = {
    "estimate": {
        "country": "rwanda",
        "indicator": "shared_identity",
        "wave": "endline",
        "group_var": "sex",
        "group": "Male",
        "field": "percent",
    }
}
# one claim per audit status: reproduced, differs, impossible, not_recomputable, derived
EVERY_STATUS_CLAIMS = [
    _claim("ok", "Figure 1", 6, "count", CELL),
    _claim("bad", "Figure 1", 7, "count", CELL),
    _claim("imp", "3.1.1", 99.9, "percent", ENDLINE_MEN_SHARED_IDENTITY, base_n=139),
    _claim("ext", "2.1", 3.6, "percent", {"external": {"source": "national survey"}}),
    _claim(
        "anchor",
        "3.1.1",
        7,
        "count",
        {"arithmetic": {"expression": "a + 1", "of": {"a": "ok"}}},
        derived=True,
    ),
]


def test_every_status_can_occur(pipeline_root, tmp_path):
    from analysis.config import load_project

    project = load_project(pipeline_root)
    claims = EVERY_STATUS_CLAIMS
    result = audit(project, load_registry(_registry(tmp_path, claims), tmp_path))
    status = dict(zip(result.claims["id"], result.claims["status"]))
    assert status == {
        "ok": "reproduced",
        "bad": "differs",
        "imp": "impossible",
        "ext": "not_recomputable",
        "anchor": "derived",
    }
    prov = {p["claim_id"]: p for p in result.provenance}
    assert prov["ok"]["inputs"][0]["path"] == "data/processed/rwanda/respondents.parquet"
    assert len(prov["imp"]["inputs"][0]["sha256"]) == 64 and prov["imp"]["n"] == 139
    assert prov["imp"]["function"] == "analysis.survey.estimates.estimate_table"


def test_registry_rejects_unknown_reference(tmp_path):
    claims = [
        {
            "id": "a",
            "section": "s",
            "quote": "q",
            "printed": 1,
            "decimals": 0,
            "unit": "count",
            "recompute": CELL,
        }
    ]
    path = _registry(
        tmp_path, claims, [{"id": "c", "check": "itemised_total", "total": "a", "items": ["zzz"]}]
    )
    with pytest.raises(InputError, match="zzz"):
        load_registry(path, tmp_path)


def test_registry_rejects_bad_recompute_kind(tmp_path):
    claims = [
        {
            "id": "a",
            "section": "s",
            "quote": "q",
            "printed": 1,
            "decimals": 0,
            "unit": "count",
            "recompute": {"magic": {}},
        }
    ]
    with pytest.raises(InputError):
        load_registry(_registry(tmp_path, claims), tmp_path)


def test_shipped_registry_is_valid_and_large():
    from tests.conftest import ROOT

    registry = load_registry(ROOT / "config/claims/peace_of_mind_2023.yaml", ROOT)
    assert len(registry.claims) > 200 and registry.consistency
    assert {c.recompute.kind for c in registry.claims} == {
        "figure_cell",
        "estimate",
        "shift",
        "change",
        "count",
        "arithmetic",
        "external",
    }


def test_show_command_prints_provenance(pipeline_root):
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.audit",
            "--root",
            str(pipeline_root),
            "show",
            "f1_women_18_20_n",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(pipeline_root / "src")},
    )
    assert out.returncode == 0 and "status      reproduced" in out.stdout
    assert (
        "data/processed/rwanda/respondents.parquet  sha256" in out.stdout
        and "analysis.tables.crosstab.figure_table" in out.stdout
    )
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.audit",
            "--root",
            str(pipeline_root),
            "show",
            "no_such_claim",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(pipeline_root / "src")},
    )
    assert bad.returncode == 2 and "unknown claim id" in bad.stderr
