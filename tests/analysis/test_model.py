"""The typed project model (analysis.model) against the JSON Schemas that validate the user's YAML.

The schemas give the messages; the models give the types and the defaults. They must describe the
same keys: every object the schemas allow has a model with exactly those keys (by their YAML
names), so a schema-valid configuration always builds a model, and no model field is unreachable
from YAML."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from analysis import model
from analysis.config import load_project
from analysis.survey import design
from tests.conftest import ROOT


def _model_classes() -> list[type[BaseModel]]:
    """Every pydantic model of the project configuration (the design's live with the survey code),
    looked up when a test runs."""
    bases = (model._Model, model._Mapping, model._ShareMapping, design._DesignModel)
    namespace = {**vars(design), **vars(model)}
    return [
        c
        for c in namespace.values()
        if isinstance(c, type) and issubclass(c, BaseModel) and c not in bases
    ]


def _schema_key_sets(node) -> list[frozenset]:
    """The property-name set of every object in a JSON Schema (recursively)."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.append(frozenset(node["properties"]))
        for value in node.values():
            found += _schema_key_sets(value)
    elif isinstance(node, list):
        for value in node:
            found += _schema_key_sets(value)
    return found


def _model_key_sets() -> set[frozenset]:
    classes = _model_classes()
    return {
        frozenset(
            f.alias or name
            for name, f in c.model_fields.items()
            if name not in ("waves",) or c is not model.Design
        )
        for c in classes
    }


@pytest.mark.parametrize("schema", ["config", "country", "indicators", "claims"])
def test_every_schema_object_has_a_model_with_the_same_keys(schema):
    doc = json.loads(
        (ROOT / "config" / "schemas" / f"{schema}.schema.json").read_text(encoding="utf-8")
    )
    models = _model_key_sets()
    # the top level of indicators.yaml ({indicators: [...]}) is a list wrapper, not a model
    missing = [
        sorted(keys)
        for keys in _schema_key_sets(doc)
        if keys not in models and keys != {"indicators"}
    ]
    assert not missing, f"schema objects without a model of the same keys: {missing}"


def test_defaults_are_applied_once_in_the_model():
    project = load_project(ROOT)
    example = project.countries["example_country"]
    assert project.settings.alpha == 0.05 and project.settings.min_group_n == 30
    assert project.settings.disclosure.k == model.DEFAULT_DISCLOSURE_K
    rw = project.countries["rwanda"].respondents
    assert rw.design.waves == ("baseline", "endline") and rw.record_key == "respondent_id"
    assert example.estimate_groups  # defaulted or configured, never absent
    assert all(i.question for i in project.indicators)


def test_the_model_is_frozen_and_refuses_unknown_keys():
    settings = model.Settings(countries=["x"])
    with pytest.raises(ValidationError):
        settings.alpha = 0.5
    with pytest.raises(ValidationError):
        model.Settings(countries=["x"], alhpa=0.1)


def test_null_and_absent_differ_where_yaml_means_it():
    assert model.Condition.model_validate({"variable": "v", "equals": None}).operators == [
        ("equals", None)
    ]
    assert model.Condition.model_validate({"variable": "v", "in": ["a"]}).operators == [
        ("in", ["a"])
    ]
    assert model.Variable.model_validate({"constant": None}).has_constant
    assert not model.Variable.model_validate({}).has_constant


def test_derivations_are_told_apart_by_their_keys():
    bands = {"from": "age", "bands": [{"label": "18-24", "min": 18, "max": 24}]}
    dataset = model.Dataset.model_validate(
        {
            "role": "respondents",
            "sources": [{"wave": "w1", "file": "f.csv", "format": "csv"}],
            "variables": {},
            "derive": {
                "b": bands,
                "m": {"from": "age", "map": {1: "a"}},
                "c": {"copy": "age"},
                "k": {"concat": ["a", "b"]},
                "z": {"constant": None},
            },
        }
    )
    kinds = {k: type(v).__name__ for k, v in dataset.derive.items()}
    assert kinds == {
        "b": "BandsDerivation",
        "m": "MapDerivation",
        "c": "CopyDerivation",
        "k": "ConcatDerivation",
        "z": "ConstantDerivation",
    }
    assert dataset.derive["m"].map == {1: "a"}  # keys keep their YAML type


def _schema_objects(node) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.append(node)
        for value in node.values():
            found += _schema_objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _schema_objects(value)
    return found


@pytest.mark.parametrize("schema", ["config", "country", "indicators", "claims"])
def test_a_key_the_schema_lets_a_user_leave_out_has_a_default_in_the_model(schema):
    """Otherwise a schema-valid configuration would fail to build the model (an internal error)."""
    doc = json.loads(
        (ROOT / "config" / "schemas" / f"{schema}.schema.json").read_text(encoding="utf-8")
    )
    classes = _model_classes()
    problems = []
    for obj in _schema_objects(doc):
        keys, required = set(obj["properties"]), set(obj.get("required", []))
        for cls in classes:
            fields = {(f.alias or name): f for name, f in cls.model_fields.items()}
            if set(fields) - ({"waves"} if cls is model.Design else set()) != keys:
                continue
            needed = {k for k, f in fields.items() if f.is_required()}
            if not needed <= required:
                problems.append((cls.__name__, sorted(needed - required)))
    assert not problems, f"model fields required where the schema makes them optional: {problems}"
