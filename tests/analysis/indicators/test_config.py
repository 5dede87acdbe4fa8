"""Indicator kinds and per-country settings in the configuration: every bad mapping is one
InputError naming the key and the fix; good ones build the typed model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from analysis.config import load_project
from analysis.errors import InputError
from analysis.model import CompositeMapping, CutoffMapping, ScaleMapping, ThresholdMapping
from tests.conftest import ROOT

SCALE = {
    "kind": "scale",
    "items": ["q_self_efficacy", "q_shared_identity"],
    "scores": {"Disagree": 0, "Agree": 1},
    "item_range": [0, 1],
    "unit": "points",
}


def _root(tmp_path: Path, mappings: dict, country_extra: dict | None = None) -> Path:
    """A project copy (config copied, raw data linked) with one new rwanda indicator per mapping
    in config/indicators.yaml and `country_extra` merged into config/countries/rwanda.yaml."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw").symlink_to(ROOT / "data" / "raw")
    path = tmp_path / "config" / "indicators.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for ind_id, how in mappings.items():
        doc["indicators"].append(
            {"id": ind_id, "label": ind_id, "improvement": "increase", "countries": {"rwanda": how}}
        )
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    if country_extra:
        cpath = tmp_path / "config" / "countries" / "rwanda.yaml"
        country = yaml.safe_load(cpath.read_text(encoding="utf-8"))
        country.update(country_extra)
        cpath.write_text(yaml.safe_dump(country, sort_keys=False), encoding="utf-8")
    return tmp_path


def _error(tmp_path, mappings, country_extra=None) -> InputError:
    with pytest.raises(InputError) as err:
        load_project(_root(tmp_path, mappings, country_extra))
    return err.value


def test_every_kind_builds_its_model_with_its_measure(tmp_path):
    project = load_project(
        _root(
            tmp_path,
            {
                "rich": {"kind": "threshold", "variable": "age", "operator": ">=", "value": 30},
                "any_yes": {
                    "kind": "any_of",
                    "items": ["q_recon_apology", "q_recon_legal"],
                    "positive": ["Yes"],
                    "item_missing": "decisive",
                },
                "wellbeing": SCALE,
                "low": {
                    "kind": "cutoff",
                    "scale": "wellbeing",
                    "scale_score": "raw",
                    "operator": "<",
                    "value": 1,
                },
            },
        )
    )
    how = {i.id: i.countries["rwanda"] for i in project.indicators if "rwanda" in i.countries}
    assert isinstance(how["rich"], ThresholdMapping) and how["rich"].value == 30.0
    assert isinstance(how["any_yes"], CompositeMapping) and how["any_yes"].measure == "share"
    assert isinstance(how["wellbeing"], ScaleMapping) and how["wellbeing"].measure == "mean"
    assert how["wellbeing"].required_answers == 2 and how["wellbeing"].unit == "points"
    assert isinstance(how["low"], CutoffMapping) and how["low"].measure == "share"
    assert how["intergroup_marriage_ok"].kind == "share"


@pytest.mark.parametrize(
    ("mapping", "key", "words", "fix"),
    [
        (  # a key of another kind
            {"kind": "threshold", "variable": "age", "operator": ">", "value": 1, "positive": [1]},
            "positive",
            ["unknown key 'positive'"],
            "is a key of kind share / any_of / all_of / count_of",
        ),
        (  # composites have no default for unanswered items
            {"kind": "any_of", "items": ["a", "b"], "positive": ["Yes"]},
            None,
            ["'item_missing' is a required property"],
            "add the missing key",
        ),
        (
            {"kind": "threshold", "variable": "age", "value": 1},
            None,
            ["'operator' is a required property"],
            "add the missing key",
        ),
        (
            {"kind": "threshold", "variable": "age", "operator": "=>", "value": 1},
            None,
            ["'=>'"],
            "use one of: <, <=, >, >=, ==, !=",
        ),
        (
            {"kind": "thresold", "variable": "age", "operator": ">", "value": 1},
            None,
            ["'thresold'", ".kind"],
            "use one of: share, threshold",
        ),
        (
            {"kind": "scale", "items": ["a", "b"]},
            None,
            ["'unit' is a required property"],
            "add the missing key",
        ),
        (
            {
                "kind": "count_of",
                "items": ["a", "a"],
                "positive": ["Yes"],
                "item_missing": "ignore",
            },
            None,
            ["non-unique"],
            "each listed once",
        ),
        (
            {**SCALE, "min_answered": 3},
            "min_answered",
            ["min_answered is 3 but there are 2 items"],
            "between 1 and 2",
        ),
        (
            {
                "kind": "count_of",
                "items": ["a", "b"],
                "positive": [1],
                "item_missing": "ignore",
                "at_least": 3,
            },
            "at_least",
            ["at_least is 3"],
            "between 1 and 2",
        ),
        (
            {"kind": "count_of", "items": ["a", "b"], "positive": [1], "item_missing": "decisive"},
            "item_missing",
            ["needs `at_least:`"],
            "add `at_least: k`",
        ),
        (
            {"kind": "scale", "items": ["a", "b"], "reverse": ["b"], "unit": "u"},
            "item_range",
            ["reverse-coded items need `item_range:`"],
            "item_range: [<lowest>, <highest>]",
        ),
        (
            {**SCALE, "reverse": ["zz"]},
            "reverse",
            ["['zz'], not among the items"],
            "only variables listed under `items:`",
        ),
        (
            {**SCALE, "item_range": [0, 0.5]},
            "scores",
            ["['Agree'] lie outside item_range"],
            "correct the scores",
        ),
        (
            {
                "kind": "mean",
                "variable": "age",
                "unit": "years",
                "winsorize": {"lower_percentile": 90, "upper_percentile": 10},
            },
            "winsorize",
            ["lower_percentile is not below"],
            "lower_percentile < upper_percentile",
        ),
        (
            {
                "kind": "cutoff",
                "scale": "intergroup_marriage_ok",
                "scale_score": "raw",
                "operator": "<",
                "value": 1,
            },
            "scale",
            ["reads scale 'intergroup_marriage_ok', which is not a scale indicator of rwanda"],
            "`kind: scale`",
        ),
        (
            {
                "kind": "cutoff",
                "scale": "nowhere",
                "scale_score": "reported",
                "operator": "<",
                "value": 1,
            },
            "scale",
            ["reads scale 'nowhere'"],
            "`kind: scale`",
        ),
    ],
)
def test_bad_mapping_is_one_clear_error(tmp_path, mapping, key, words, fix):
    err = _error(tmp_path, {"new_indicator": mapping})
    assert err.file == "config/indicators.yaml"
    for word in words:
        assert word in err.problem, err.render()
    assert fix in err.fix, err.render()
    if key:
        assert err.key == key


def test_country_entry_is_checked_as_a_mapping_of_its_kind(tmp_path):
    entry = {
        "id": "wellbeing",
        "label": "Wellbeing",
        "improvement": "increase",
        "kind": "scale",
        "items": ["q_self_efficacy"],
    }
    err = _error(tmp_path, {}, {"indicators": [entry]})
    assert err.file == "config/countries/rwanda.yaml"
    assert "'unit' is a required property at indicators[0]" in err.problem
    entry = {**entry, "unit": "points", "item_missing": "ignore"}
    err = _error(tmp_path / "again", {}, {"indicators": [entry]})
    assert err.key == "item_missing" and "indicators[0]" in err.problem


def test_country_entry_of_a_new_kind_is_merged(tmp_path):
    entry = {"id": "wellbeing", "label": "Wellbeing", "improvement": "increase", **SCALE}
    project = load_project(_root(tmp_path, {}, {"indicators": [entry]}))
    how = next(i for i in project.indicators if i.id == "wellbeing").countries["rwanda"]
    assert isinstance(how, ScaleMapping) and how.scores == {"Disagree": 0, "Agree": 1}


def test_country_settings_override_the_project_settings_for_that_country_only(tmp_path):
    project = load_project(_root(tmp_path, {}, {"settings": {"alpha": 0.1, "min_group_n": 10}}))
    rwanda, tajikistan = project.settings_for("rwanda"), project.settings_for("tajikistan")
    assert (rwanda.alpha, rwanda.min_group_n, rwanda.multiplicity_family) == (
        0.1,
        10,
        ["role", "scope"],
    )
    assert rwanda.confidence_percent == "90"
    assert (tajikistan.alpha, tajikistan.min_group_n) == (0.05, 30)
    assert project.settings.alpha == 0.05


def test_bad_country_settings_are_refused(tmp_path):
    err = _error(tmp_path, {}, {"settings": {"alpha": 5}})
    assert "settings.alpha" in err.problem and err.file == "config/countries/rwanda.yaml"
    err = _error(tmp_path / "b", {}, {"settings": {"alfa": 0.1}})
    assert err.key == "alfa" and "did you mean 'alpha'" in err.fix


def test_an_item_replaced_by_its_indicator_cannot_feed_another_indicator(tmp_path):
    # `q_self_efficacy` (a share named after its item) would replace the item a scale reads
    entry = {
        "id": "q_self_efficacy",
        "label": "x",
        "improvement": "increase",
        "variable": "q_self_efficacy",
        "positive": ["Agree"],
    }
    err = _error(tmp_path, {"wellbeing": SCALE}, {"indicators": [entry]})
    assert (
        "replaces variable 'q_self_efficacy'" in err.problem
        and "reads that variable too" in err.problem
    )
    assert err.key == "q_self_efficacy" and "rename the indicator" in err.fix


def test_country_settings_enter_the_digests_of_the_jobs_that_read_them(tmp_path):
    from analysis import workflow

    plain = load_project(_root(tmp_path / "a", {}))
    override = load_project(_root(tmp_path / "b", {}, {"settings": {"min_group_n": 10}}))

    def digest(project, job, country, **where):
        return workflow.config_digest(project, job, country=country, **where)

    assert digest(plain, "statistics", "rwanda") != digest(override, "statistics", "rwanda")
    assert digest(plain, "display_shifts", "rwanda") != digest(override, "display_shifts", "rwanda")
    assert digest(plain, "statistics", "tajikistan") == digest(override, "statistics", "tajikistan")
    assert digest(plain, "clean", "rwanda", dataset="respondents") == digest(
        override, "clean", "rwanda", dataset="respondents"
    )
