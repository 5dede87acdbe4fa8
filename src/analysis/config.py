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
        validate(country, "country", str(path.relative_to(root)))
        if country["country"] != name:
            raise InputError(f"country config declares country '{country['country']}' but is listed as '{name}'",
                             file=str(path.relative_to(root)), key="country",
                             fix=f"set `country: {name}` or rename the file")
        for dataset in country["datasets"].values():
            for src in dataset["sources"]:
                if not (root / src["file"]).exists():
                    raise InputError("raw file named in config does not exist", file=src["file"],
                                     fix=f"put the export at that path or correct `file:` in {path.relative_to(root)}")
        countries[name] = country
    ind_path = root / "config" / "indicators.yaml"
    indicators = read_yaml(ind_path)
    validate(indicators, "indicators", str(ind_path.relative_to(root)))
    return {"config": config, "countries": countries, "indicators": indicators["indicators"], "root": root}
