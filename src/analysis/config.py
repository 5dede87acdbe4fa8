"""Load and validate the YAML configuration against the JSON Schemas in config/schemas/.

Public surface: `load_project(root)` -> dict with keys `config`, `countries` (name -> country config),
`indicators`; `validate(document, schema_name, source)`. Every failure is an InputError that names
the file and the offending key, suggests the nearest allowed key for typos, and says what to change.
"""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from .errors import InputError

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "config" / "schemas"


@lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def read_yaml(path: Path) -> dict:
    """Parse a YAML file; a syntax error or a missing file becomes an InputError."""
    if not path.exists():
        raise InputError("configuration file not found", file=str(path),
                         fix="create it, or correct the path that points to it")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"YAML syntax error: {getattr(exc, 'problem', exc)}", file=str(path),
                         row=(mark.line + 1) if mark else None,
                         fix="correct the YAML syntax at that line (indentation, a missing ':' or quote)") from None
    if not isinstance(doc, dict):
        raise InputError("configuration must be a YAML mapping (key: value)", file=str(path),
                         fix="start the file with top-level keys as shown in README.md")
    return doc


def _path_text(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate(document: dict, schema_name: str, source: str) -> None:
    """Validate `document` against config/schemas/<schema_name>.schema.json; raise one clear InputError."""
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    err = errors[0]
    where = _path_text(err.absolute_path)
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        key = extra[0] if extra else "?"
        near = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise InputError(f"unknown key '{key}' at {where}", file=source, key=key,
                         fix=f"{hint}allowed keys here: {', '.join(allowed)}")
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        branches = [sub.schema for sub in err.context if sub.validator == "additionalProperties"] or \
                   [b for b in err.validator_value if "properties" in b]
        allowed = sorted({k for b in branches for k in b.get("properties", {})})
        extra = [k for k in err.instance if k not in allowed]
        if extra:
            near = difflib.get_close_matches(extra[0], allowed, n=1)
            raise InputError(f"unknown key '{extra[0]}' at {where}", file=source, key=extra[0],
                             fix=(f"did you mean '{near[0]}'? " if near else "") +
                                 f"{err.schema.get('description', 'allowed keys')}")
    if err.validator == "required":
        raise InputError(f"{err.message} at {where}", file=source, fix="add the missing key (see README.md, 'Configuration')")
    if err.validator == "enum":
        raise InputError(f"invalid value {err.instance!r} at {where}", file=source,
                         fix=f"use one of: {', '.join(map(str, err.validator_value))}")
    raise InputError(f"invalid value at {where}: {err.message}", file=source,
                     fix=f"give a value of the expected kind ({err.schema.get('description', err.validator)})")


def find_todos(node, path="") -> list[str]:
    """Paths of every string value that still starts with TODO (left by the new-country scaffold)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in find_todos(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in find_todos(v, f"{path}[{i}]")]
    return [f"{path}: {node}"] if isinstance(node, str) and node.strip().startswith("TODO") else []


def check_design(country: dict, source: str) -> None:
    """Design keys that must agree with each other (the schema cannot say this)."""
    for name, dataset in country["datasets"].items():
        design = dataset.get("design", {})
        where = f"datasets.{name}.design"
        if design.get("type") == "panel" and not design.get("panel_key"):
            raise InputError(f"a panel design needs a panel key ({where}.panel_key)", file=source, key="panel_key",
                             fix="set `panel_key:` to the harmonised variable that identifies the same person in every "
                                 "wave (e.g. respondent_id), or use `type: independent`")
        known = set(dataset["variables"]) | set(dataset.get("derive", {})) | {"wave"}
        for key in ("panel_key", "cluster", "weight", "strata"):
            if design.get(key) and design[key] not in known:
                raise InputError(f"{where}.{key} names '{design[key]}', which is neither a variable nor a derived variable",
                                 file=source, key=key,
                                 fix=f"define '{design[key]}' under `variables:` (with its raw column) or `derive:`, "
                                     f"or remove `{key}:` from the design")


def merge_country_indicators(indicators: list[dict], country: dict, source: str) -> list[dict]:
    """Add a country's own `indicators:` (mappings of existing ids, or new definitions) to the global list."""
    by_id = {i["id"]: i for i in indicators}
    for item in country.get("indicators", []):
        how = {k: v for k, v in item.items() if k in ("variable", "positive", "any_of", "missing", "waves")}
        if item["id"] in by_id:
            target = by_id[item["id"]]
            if country["country"] in target["countries"]:
                raise InputError(f"indicator '{item['id']}' is mapped for {country['country']} twice", file=source,
                                 key=item["id"], fix="keep one mapping: here or in config/indicators.yaml")
            target["countries"][country["country"]] = how
        else:
            missing = [k for k in ("label", "improvement") if k not in item]
            if missing:
                raise InputError(f"new indicator '{item['id']}' needs {', '.join(missing)}", file=source, key=item["id"],
                                 fix="add label and improvement (increase or decrease), or use an id from config/indicators.yaml")
            by_id[item["id"]] = {"id": item["id"], "label": item["label"], "question": item.get("question", item["label"]),
                                 "improvement": item["improvement"], "paper_claims": [],
                                 "countries": {country["country"]: how}}
            indicators.append(by_id[item["id"]])
    return indicators


def load_project(root: Path) -> dict:
    """Read config/config.yaml, every listed country config and config/indicators.yaml; validate all."""
    root = Path(root)
    cfg_path = root / "config" / "config.yaml"
    config = read_yaml(cfg_path)
    validate(config, "config", str(cfg_path.relative_to(root)))
    countries = {}
    for name in config["countries"]:
        path = root / "config" / "countries" / f"{name}.yaml"
        country = read_yaml(path)
        todos = find_todos(country)
        if todos:
            raise InputError(f"{len(todos)} decision(s) still marked TODO, first: {todos[0]}", file=str(path.relative_to(root)),
                             key=todos[0].split(":")[0], fix="replace every TODO value (see the comment beside it and README.md, "
                                                              "'Add a country'); `grep -n TODO` lists them")
        validate(country, "country", str(path.relative_to(root)))
        check_design(country, str(path.relative_to(root)))
        if country["country"] != name:
            raise InputError(f"country config declares country '{country['country']}' but is listed as '{name}'",
                             file=str(path.relative_to(root)), key="country",
                             fix=f"set `country: {name}` or rename the file")
        for dataset in country["datasets"].values():
            for src in dataset["sources"]:
                for key in ("file", "xlsform"):
                    if src.get(key) and not (root / src[key]).exists():
                        raise InputError(f"{'raw file' if key == 'file' else 'XLSForm'} named in config does not exist",
                                         file=src[key], key=key,
                                         fix=f"put it at that path or correct `{key}:` in {path.relative_to(root)}")
        countries[name] = country
    ind_path = root / "config" / "indicators.yaml"
    indicators = read_yaml(ind_path)
    validate(indicators, "indicators", str(ind_path.relative_to(root)))
    merged = indicators["indicators"]
    for name, country in countries.items():
        merged = merge_country_indicators(merged, country, f"config/countries/{name}.yaml")
    return {"config": config, "countries": countries, "indicators": merged, "root": root}
