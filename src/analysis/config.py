"""Load and validate the YAML configuration against the JSON Schemas in config/schemas/.

Public surface: `load_project(root)` -> `analysis.model.Project` (typed, every default applied);
`validate(document, schema_name, source)`. Every failure is an InputError that names
the file and the offending key, suggests the nearest allowed key for typos, and says what to change.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from analysis.errors import InputError
from analysis.model import (
    MAPPING_KEYS,
    RESERVED_COLUMNS,
    Country,
    Indicator,
    Project,
    Settings,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "config" / "schemas"


@cache
def _schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


MAX_EXPANDED_NODES = (
    200_000  # a config this large is an alias bomb, not a survey (the shipped ones: < 5,000)
)


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one: a second
    `alpha:` would change every CI) and documents whose aliases expand beyond MAX_EXPANDED_NODES
    ("billion laughs").
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for (
                key_node,
                _,
            ) in node.value:  # the keys as written (merged `<<: *anchor` keys may be overridden)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key: SafeLoader explains it below
                    break
                if duplicate:
                    raise _DuplicateKey(key, seen[key], key_node.start_mark.line + 1)
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


class _DuplicateKey(Exception):
    def __init__(self, key, first_line: int, line: int):
        self.key, self.first_line, self.line = key, first_line, line


def _expanded_size(root_node) -> int:
    """Number of nodes the document has once every alias is expanded (memoised: linear in distinct
    nodes)."""
    sizes: dict[int, int] = {}
    stack = [(root_node, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        kids = []
        if isinstance(node, yaml.SequenceNode):
            kids = node.value
        elif isinstance(node, yaml.MappingNode):
            kids = [n for pair in node.value for n in pair]
        if children_done or not kids:
            sizes[id(node)] = min(
                1 + sum(sizes.get(id(k), 1) for k in kids), 10 * MAX_EXPANDED_NODES
            )
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root_node)]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _join_surrogates(node, path: str, file: str):
    """Strings with JSON-style UTF-16 surrogate escapes ("\\ud83d\\ude00"): valid pairs become the
    character they encode; a lone surrogate (not text in any encoding) is an InputError naming the
    key."""
    if isinstance(node, dict):
        return {
            _join_surrogates(k, path, file): _join_surrogates(
                v, f"{path}.{k}" if path else str(k), file
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_join_surrogates(v, f"{path}[{i}]", file) for i, v in enumerate(node)]
    if isinstance(node, str) and _SURROGATE.search(node):
        try:
            return node.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                f"text at {path or '(top level)'} holds a lone UTF-16 surrogate escape, which is"
                " not a character",
                file=file,
                key=path or None,
                fix=(
                    "write the character itself (the file is UTF-8), or a complete surrogate pair"
                    " such as \\ud83d\\ude00"
                ),
            ) from None
    return node


def read_yaml(path: Path) -> dict:
    """Parse a YAML file strictly: a syntax error, a duplicate key, an alias bomb, a lone surrogate
    escape or a missing file becomes an InputError naming the file and line."""
    if not path.exists():
        raise InputError(
            "configuration file not found",
            file=str(path),
            fix="create it, or correct the path that points to it",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"configuration is not valid UTF-8 text (byte {exc.start})",
            file=str(path),
            fix="save the file as UTF-8",
        ) from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise InputError(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                file=str(path),
                fix=(
                    "write the configuration out without deeply nested anchors and aliases (&name /"
                    " *name)"
                ),
            )
        doc = loader.construct_document(node) if node is not None else None
    except _DuplicateKey as dup:
        raise InputError(
            f"key '{dup.key}' appears twice in one mapping (lines {dup.first_line} and {dup.line});"
            " YAML would silently keep only the last one",
            file=str(path),
            key=str(dup.key),
            row=dup.line,
            fix="keep one of them (merge their contents if both are meant)",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"YAML syntax error: {getattr(exc, 'problem', None) or exc}",
            file=str(path),
            row=(mark.line + 1) if mark else None,
            fix="correct the YAML syntax at that line (indentation, a missing ':' or quote)",
        ) from None
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        raise InputError(
            "configuration must be a YAML mapping (key: value)",
            file=str(path),
            fix="start the file with top-level keys as shown in README.md",
        )
    return _join_surrogates(doc, "", str(path))


def _path_text(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _first_error(
    document: dict, schema_name: str, definition: str | None = None
) -> jsonschema.ValidationError | None:
    """The schema error to report: the shallowest path first, then by path text; None if valid.
    `definition`: validate against that entry of the schema's `$defs` instead of the whole."""
    schema = _schema(schema_name)
    if definition:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(document),
        key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))),
    )
    return errors[0] if errors else None


def _key_text(key) -> str:
    """A mapping key as the message shows it (YAML may give a boolean or a number)."""
    return str(key)


def _boolean_key_hint(key) -> str:
    """Why a key is a boolean: YAML reads an unquoted on/off/yes/no/true/false as true or false."""
    if isinstance(key, bool):
        return (
            "YAML reads an unquoted on, off, yes, no, true or false as a boolean: quote the key"
            " (e.g. 'on') or use the key this place allows; "
        )
    return ""


def _unknown_key_error(
    err: jsonschema.ValidationError, where: str, source: str
) -> InputError | None:
    """An unknown key (a plain mapping or a oneOf of mappings), with the nearest allowed key;
    None when `err` is not about an unknown key."""
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        key = _key_text(extra[0]) if extra else "?"
        near = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        hint += _boolean_key_hint(extra[0] if extra else None)
        hint += _other_kind_hint(key, err.instance, allowed)
        return InputError(
            f"unknown key '{key}' at {where}",
            file=source,
            key=key,
            fix=f"{hint}allowed keys here: {', '.join(allowed)}",
        )
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        branches = [
            sub.schema for sub in err.context if sub.validator == "additionalProperties"
        ] or [b for b in err.validator_value if "properties" in b]
        allowed = sorted({k for b in branches for k in b.get("properties", {})})
        extra = [k for k in err.instance if k not in allowed]
        if extra:
            near = difflib.get_close_matches(_key_text(extra[0]), allowed, n=1)
            return InputError(
                f"unknown key '{_key_text(extra[0])}' at {where}",
                file=source,
                key=_key_text(extra[0]),
                fix=(f"did you mean '{near[0]}'? " if near else "")
                + _boolean_key_hint(extra[0])
                + _other_kind_hint(extra[0], err.instance, allowed)
                + f"{err.schema.get('description', 'allowed keys')}",
            )
    return None


@cache
def _kinds_by_key() -> dict[str, list[str]]:
    """Indicator mapping key -> the kinds that have it (from the mapping schema's branches)."""
    found: dict[str, list[str]] = {}
    for rule in _schema("indicators")["$defs"]["mapping"]["allOf"]:
        kinds = rule["if"]["properties"]["kind"]["enum"]
        for branch in rule["then"].get("oneOf", [rule["then"]]):
            for key in branch["properties"]:
                found.setdefault(key, [])
                found[key] += [k for k in kinds if k not in found[key]]
    return found


def _other_kind_hint(key: str, instance, allowed: list[str]) -> str:
    """For a key of another indicator kind in an indicator mapping (a schema object whose keys are
    mapping keys, `kind` among them): which kinds have it."""
    mapping = "kind" in allowed and set(allowed) <= set(MAPPING_KEYS)
    if not mapping or key not in MAPPING_KEYS or not isinstance(instance, dict):
        return ""
    kinds = _kinds_by_key().get(key, [])
    return (
        f"`{key}` is a key of kind {' / '.join(kinds)}, and this mapping is kind"
        f" '{instance.get('kind', 'share')}' (set `kind:` or remove `{key}:`); "
    )


def _schema_rule_error(err: jsonschema.ValidationError, where: str, source: str) -> InputError:
    """The error for a broken schema rule other than an unknown key (a bad name, a missing or
    unpaired key, a value outside an enum, or any other wrong value)."""
    if "propertyNames" in err.schema_path:
        return InputError(
            f"invalid name {err.instance!r} under {where}",
            file=source,
            key=str(err.instance),
            fix=f"rename it: {err.schema.get('description', err.message)}",
        )
    if err.validator == "required":
        keys = err.schema.get("description", "") if "then" in err.schema_path else ""
        return InputError(
            f"{err.message} at {where}",
            file=source,
            fix="add the missing key"
            + (f" ({keys})" if keys else "")
            + " (see README.md, 'Configuration')",
        )
    if err.validator == "dependentRequired":
        key, needed = next(
            (k, [n for n in v if n not in err.instance])
            for k, v in err.validator_value.items()
            if k in err.instance and any(n not in err.instance for n in v)
        )
        return InputError(
            f"`{key}` at {where} needs `{'`, `'.join(needed)}` beside it",
            file=source,
            key=key,
            fix=f"add `{needed[0]}:` to this entry, or remove `{key}:` (it applies only with it)",
        )
    if err.validator == "enum":
        return InputError(
            f"invalid value {err.instance!r} at {where}",
            file=source,
            fix=f"use one of: {', '.join(map(str, err.validator_value))}",
        )
    return InputError(
        f"invalid value at {where}: {err.message}",
        file=source,
        fix=f"give a value of the expected kind ({err.schema.get('description', err.validator)})",
    )


def validate(
    document: dict,
    schema_name: str,
    source: str,
    definition: str | None = None,
    at: tuple = (),
) -> None:
    """Validate `document` against config/schemas/<schema_name>.schema.json (or its
    `$defs/<definition>`, for a part found at path `at` of the file); raise one clear
    InputError."""
    err = _first_error(document, schema_name, definition)
    if err is None:
        return
    where = _path_text([*at, *err.absolute_path])
    error = _unknown_key_error(err, where, source)
    if error is None:
        error = _schema_rule_error(err, where, source)
    raise error


def read_validated(path: Path, root: Path, schema: str, model):
    """A YAML file validated by config/schemas/<schema>.schema.json and built as `model` (a
    pydantic model), with the path errors name (relative to `root` when inside it)."""
    source = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    document = read_yaml(path)
    validate(document, schema, source)
    return model.model_validate(document), source


def check_unique_ids(ids: list[str], source: str, what: str) -> None:
    """Stop on ids used twice in one file ("duplicate claim ids ['a']", naming the first)."""
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(
            f"duplicate {what} ids {dupes}",
            file=source,
            key=dupes[0],
            fix=f"give every {what} a unique id",
        )


def find_todos(node, path="") -> list[str]:
    """Paths of every string value that still starts with TODO (left by the new-country
    scaffold)."""
    if isinstance(node, dict):
        return [
            p for k, v in node.items() for p in find_todos(v, f"{path}.{k}" if path else str(k))
        ]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in find_todos(v, f"{path}[{i}]")]
    return [f"{path}: {node}"] if isinstance(node, str) and node.strip().startswith("TODO") else []


def check_design(country: dict, source: str) -> None:
    """Design keys that must agree with each other (the schema cannot say this)."""
    for name, dataset in country["datasets"].items():
        design = dataset.get("design", {})
        where = f"datasets.{name}.design"
        if design.get("type") == "panel" and not design.get("panel_key"):
            raise InputError(
                f"a panel design needs a panel key ({where}.panel_key)",
                file=source,
                key="panel_key",
                fix=(
                    "set `panel_key:` to the harmonised variable that identifies the same person in"
                    " every wave (e.g. respondent_id), or use `type: independent`"
                ),
            )
        known = set(dataset["variables"]) | set(dataset.get("derive", {})) | {"wave"}
        for key in ("panel_key", "cluster", "weight", "strata", "fpc", "panel_weight", "arm"):
            if design.get(key) and design[key] not in known:
                raise InputError(
                    f"{where}.{key} names '{design[key]}', which is neither a variable nor a"
                    " derived variable",
                    file=source,
                    key=key,
                    fix=(
                        f"define '{design[key]}' under `variables:` (with its raw column) or"
                        f" `derive:`, or remove `{key}:` from the design"
                    ),
                )
        _check_paired_test(design, where, source)
        _check_comparisons(design, dataset, where, source)
        _check_arm_levels(design, where, source)


def _check_arm_levels(design: dict, where: str, source: str) -> None:
    """`arm_levels`: the programme and comparison values differ (compared as text)."""
    levels = design.get("arm_levels") or {}
    if levels and str(levels["programme"]) == str(levels["comparison"]):
        raise InputError(
            f"{where}.arm_levels gives the same value '{levels['programme']}' for the programme"
            " and the comparison arm",
            file=source,
            key="arm_levels",
            fix=(
                f"set `programme:` and `comparison:` to the two different values of"
                f" '{design.get('arm')}' that mark the arms"
            ),
        )


def _check_comparisons(design: dict, dataset: dict, where: str, source: str) -> None:
    """`comparisons`: each [from, to] names two configured waves, from the earlier to the later in
    the order of `sources:`, and no pair is listed twice (wave names compared as text)."""
    waves = list(dict.fromkeys(str(s.get("wave")) for s in dataset.get("sources", [])))
    seen: set[tuple[str, str]] = set()
    for row, pair in enumerate(design.get("comparisons") or [], start=1):
        first, last = (str(w) for w in pair)
        problem = next(
            (
                text
                for bad, text in (
                    (first not in waves, f"'{first}' is not a wave of its sources"),
                    (last not in waves, f"'{last}' is not a wave of its sources"),
                    (first == last, f"compares wave '{first}' with itself"),
                    ((first, last) in seen, f"lists [{first}, {last}] twice"),
                )
                if bad
            ),
            None,
        )
        if problem is None and waves.index(first) > waves.index(last):
            problem = f"goes from '{first}' back to the earlier wave '{last}'"
        if problem:
            raise InputError(
                f"{where}.comparisons item {row} {problem} (waves in order: {', '.join(waves)})",
                file=source,
                key="comparisons",
                row=row,
                fix=(
                    "list each comparison once as [from, to] with two different waves of"
                    " `sources:`, the earlier first; or remove `comparisons:` for the default"
                    " (consecutive waves, plus first -> last with 3+ waves)"
                ),
            )
        seen.add((first, last))


def _check_paired_test(design: dict, where: str, source: str) -> None:
    """`paired_test` chooses a McNemar p-value, so it belongs to a simple random panel only: a
    weighted or clustered panel is tested by the design-based Wald t, independent samples by
    chi-square / Fisher, and the setting would silently do nothing."""
    if "paired_test" not in design:
        return
    design_based = bool(design.get("cluster") or design.get("weight"))
    if design.get("type") != "panel" or design_based:
        kind = (
            "a weighted or clustered design (tested by the design-based Wald t)"
            if design_based
            else f"design type '{design.get('type')}' (independent samples: chi-square / Fisher)"
        )
        raise InputError(
            f"{where}.paired_test is set for {kind}; it chooses McNemar's p-value, which only a"
            " panel without cluster or weight uses",
            file=source,
            key="paired_test",
            fix=(
                "remove `paired_test:` from the design (or use `type: panel` without cluster or"
                " weight)"
            ),
        )


def _walk(node, path=""):
    """(path, key, value) of every mapping entry in a nested config document."""
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}.{k}" if path else str(k)
            yield here, k, v
            yield from _walk(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def check_regular_expressions(document: dict, source: str) -> None:
    """Every `matches:` condition holds a valid regular expression (checked before any data are
    read)."""
    for path, key, value in _walk(document):
        if key == "matches" and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as exc:
                raise InputError(
                    f"invalid regular expression {value!r} at {path}: {exc}",
                    file=source,
                    key=path,
                    fix=(
                        "correct the pattern (Python `re` syntax; escape literal characters such as"
                        " ( ) [ ] . * + ? with a backslash)"
                    ),
                ) from None


def check_codebook(country: dict, source: str) -> None:
    """Codebook settings that must agree with themselves: a valid_range runs from its minimum to its
    maximum."""
    for name, dataset in country["datasets"].items():
        for variable, spec in dataset.get("variables", {}).items():
            low_high = spec.get("valid_range")
            if low_high and low_high[0] > low_high[1]:
                raise InputError(
                    f"valid_range of variable '{variable}' is reversed: {low_high}",
                    file=source,
                    key=f"datasets.{name}.variables.{variable}.valid_range",
                    fix=f"write it as [minimum, maximum]: [{low_high[1]}, {low_high[0]}]",
                )


def check_sources(country: dict, source: str, root: Path, data_roots: list[Path]) -> None:
    """Each raw file exists, lies under data/raw/ (or a configured external data root) after
    following symlinks, and is listed once per dataset (the same file under two waves would compare
    a wave with itself).
    """
    for name, dataset in country["datasets"].items():
        seen: dict[str, str] = {}
        for i, src in enumerate(dataset["sources"]):
            where = f"datasets.{name}.sources[{i}]"
            for key in ("file", "xlsform"):
                if not src.get(key):
                    continue
                path = root / src[key]
                if not path.exists():
                    raise InputError(
                        f"{'raw file' if key == 'file' else 'XLSForm'} named in config does not"
                        " exist",
                        file=src[key],
                        key=key,
                        fix=f"put it at that path or correct `{key}:` in {source}",
                    )
                real = path.resolve()
                if not any(real.is_relative_to(base) for base in data_roots):
                    raise InputError(
                        f"{where}.{key} points outside the raw-data folder"
                        + (
                            f" (a symlink to {real})"
                            if path.is_symlink() or real != path.absolute()
                            else ""
                        ),
                        file=src[key],
                        key=key,
                        fix=(
                            "copy the export under data/raw/<country>/, or name the folder that"
                            " holds it as `external_data_root:` in config/config.yaml"
                        ),
                    )
            resolved = str((root / src["file"]).resolve())
            if resolved in seen:
                raise InputError(
                    f"the same raw file is listed for wave '{seen[resolved]}' and wave"
                    f" '{src['wave']}'",
                    file=src["file"],
                    key=f"{where}.file",
                    fix=(
                        "give each wave its own export (a file listed twice would compare a wave"
                        " with itself), or list the file once"
                    ),
                )
            seen[resolved] = src["wave"]


def _unknown_name(
    name: str, known: set[str], where: str, source: str, what: str = "variable"
) -> InputError:
    near = difflib.get_close_matches(name, sorted(known), n=1)
    return InputError(
        f"{where} names {what} '{name}', which is not defined",
        file=source,
        key=where,
        fix=(f"did you mean '{near[0]}'? " if near else "")
        + "define it under `variables:` (or `derive:` before this point), or correct the name",
    )


def check_references(country: dict, source: str) -> None:
    """Every variable a dataset's config refers to exists where it is used: derivations read
    variables or earlier derivations; `duplicate_of`, `record_id`, table dimensions and
    `estimate_groups` name variables of the dataset; a table names a dataset of the country."""
    for name, dataset in country["datasets"].items():
        known = set(dataset.get("variables", {})) | {"wave", "source_file", "source_row"}
        for target, spec in dataset.get("derive", {}).items():
            where = f"datasets.{name}.derive.{target}"
            for ref in [spec.get(k) for k in ("from", "copy", "fallback")] + list(
                spec.get("concat", [])
            ):
                if ref is not None and ref not in known:
                    raise _unknown_name(ref, known, where, source)
            known.add(target)
        harmonised = set(dataset.get("variables", {})) | {
            "wave"
        }  # exclusions run before the derivations
        for i, rule in enumerate(dataset.get("exclusions", [])):
            for ref in rule.get("duplicate_of", []):
                if ref not in harmonised:
                    raise _unknown_name(
                        ref, harmonised, f"datasets.{name}.exclusions[{i}].duplicate_of", source
                    )
        if dataset.get("record_id") and dataset["record_id"] not in known:
            raise _unknown_name(dataset["record_id"], known, f"datasets.{name}.record_id", source)
        if dataset.get("role") == "respondents":
            for key in ("estimate_groups", "standardise_by"):
                for group in country.get(key, []):
                    if group not in known:
                        raise _unknown_name(group, known, key, source)
    for table_id, table in country.get("tables", {}).items():
        dataset = country["datasets"].get(table.get("dataset"))
        if dataset is None:
            raise _unknown_name(
                str(table.get("dataset")),
                set(country["datasets"]),
                f"tables.{table_id}.dataset",
                source,
                what="dataset",
            )
        known = set(dataset.get("variables", {})) | set(dataset.get("derive", {})) | {"wave"}
        dims = [table.get("rows")] + list(table.get("columns", []))
        for dim in [d for d in dims if isinstance(d, dict) and "variable" in d]:
            if dim["variable"] not in known:
                raise _unknown_name(dim["variable"], known, f"tables.{table_id}", source)


def _read_variables(how: dict) -> list[str]:
    """The variables a mapping (as written) reads: `variable:` or `items:`."""
    return [how["variable"]] if "variable" in how else list(how.get("items", []))


def check_indicator_ids(country: dict, indicators: list[dict], source: str) -> None:
    """An indicator's 0/1 column may not take the name of a core column, or of a variable or derived
    variable other than the one it reads (it would silently overwrite it). An indicator named after
    the item it reads replaces that item by its 0/1 coding in the processed data."""
    dataset = country["datasets"].get("respondents")
    if not dataset:
        return
    taken = set(dataset.get("variables", {})) | set(dataset.get("derive", {}))
    mapped = [
        (ind["id"], ind["countries"][country["country"]])
        for ind in indicators
        if country["country"] in ind.get("countries", {})
    ]
    for ind_id, how in mapped:
        readers = [other for other, h in mapped if other != ind_id and ind_id in _read_variables(h)]
        if how.get("variable") == ind_id and readers:
            raise InputError(
                f"indicator '{ind_id}' replaces variable '{ind_id}' by its own coding, but"
                f" indicator '{readers[0]}' reads that variable too",
                file=source,
                key=ind_id,
                fix=f"rename the indicator (e.g. '{ind_id}_share') so that the item stays intact",
            )
    for ind in indicators:
        how = ind.get("countries", {}).get(country["country"])
        if how is None:
            continue
        if ind["id"] in RESERVED_COLUMNS or (
            ind["id"] in taken and how.get("variable") != ind["id"]
        ):
            raise InputError(
                f"indicator id '{ind['id']}' is also the name of a variable or core column of the "
                "respondents dataset; its 0/1 column would overwrite that variable",
                file=source,
                key=ind["id"],
                fix=f"rename the indicator (e.g. '{ind['id']}_share')",
            )


def _data_roots(root: Path, config: dict) -> list[Path]:
    roots = [(root / "data" / "raw").resolve()]
    if config.get("external_data_root"):
        external = Path(config["external_data_root"])
        roots.append((external if external.is_absolute() else root / external).resolve())
    return roots


def check_indicator_mapping(indicator: str, how: dict, source: str) -> None:
    """A share mapping says what counts as 1: `positive:` values of a variable, or `any_of:` the
    choices of a select-multiple question (which has no `missing:`)."""
    if how.get("kind", "share") != "share":
        return
    kinds = [k for k in ("positive", "any_of") if k in how]
    if len(kinds) != 1 or ("any_of" in how and "missing" in how):
        raise InputError(
            f"indicator '{indicator}' needs exactly one of `positive:` or `any_of:`"
            + (" (`missing:` goes with `positive:` only)" if len(kinds) == 1 else ""),
            file=source,
            key=indicator,
            fix=(
                "give `positive: [<values counted as 1>]` for a single-choice or numeric variable,"
                " or `any_of: [<choices>]` for a select-multiple question (or choose another"
                " `kind:`)"
            ),
        )


def _item_problems(how: dict) -> list[tuple[str, bool, str, str]]:
    """(key, broken?, problem, fix) of the item counts and item lists of a mapping."""
    items = how.get("items", [])
    strays = [r for r in how.get("reverse", []) if r not in items]
    return [
        (
            "min_answered",
            how.get("min_answered", 0) > len(items),
            f"min_answered is {how.get('min_answered')} but there are {len(items)} items",
            f"set `min_answered:` between 1 and {len(items)}",
        ),
        (
            "at_least",
            how.get("at_least", 0) > len(items),
            f"at_least is {how.get('at_least')} but there are {len(items)} items",
            f"set `at_least:` between 1 and {len(items)}",
        ),
        (
            "item_missing",
            how.get("kind") == "count_of"
            and how.get("item_missing") == "decisive"
            and "at_least" not in how,
            "`item_missing: decisive` needs `at_least:` (a count is decided only when every item"
            " is answered)",
            "add `at_least: k` for a share, or use `item_missing: missing` or `ignore`",
        ),
        (
            "reverse",
            bool(strays),
            f"reverse names {strays}, not among the items",
            "list under `reverse:` only variables listed under `items:`",
        ),
    ]


def _range_problems(how: dict) -> list[tuple[str, bool, str, str]]:
    """(key, broken?, problem, fix) of item_range, scores and winsorize of a mapping."""
    low_high = how.get("item_range") or []
    outside = [
        label
        for label, score in (how.get("scores") or {}).items()
        if low_high and not low_high[0] <= score <= low_high[1]
    ]
    winsor = how.get("winsorize") or {}
    return [
        (
            "item_range",
            bool(how.get("reverse")) and not low_high,
            "reverse-coded items need `item_range:` (score = lowest + highest - x)",
            "add `item_range: [<lowest>, <highest>]` (e.g. [0, 5])",
        ),
        (
            "item_range",
            len(low_high) == 2 and low_high[0] >= low_high[1],
            f"item_range {low_high} does not run from the lowest to the highest score",
            "write it as [lowest, highest]",
        ),
        (
            "scores",
            bool(outside),
            f"scores of {outside} lie outside item_range {low_high}",
            "correct the scores or `item_range:`",
        ),
        (
            "winsorize",
            winsor.get("lower_percentile", 0) >= winsor.get("upper_percentile", 100),
            "winsorize's lower_percentile is not below its upper_percentile",
            "give lower_percentile < upper_percentile (percentiles, 0-100)",
        ),
    ]


def _mapping_problem(how: dict) -> tuple[str, str, str] | None:
    """(key, problem, fix) for keys of one mapping that disagree with each other (the schema
    cannot say this), or None."""
    problems = _item_problems(how) + _range_problems(how)
    return next(((k, p, f) for k, bad, p, f in problems if bad), None)


def check_mapping_keys(indicator: str, country: str, how: dict, source: str) -> None:
    """One clear error for keys of a mapping that disagree (see `_mapping_problem`)."""
    found = _mapping_problem(how)
    if found:
        key, problem, fix = found
        raise InputError(
            f"indicator '{indicator}' ({country}): {problem}", file=source, key=key, fix=fix
        )


def check_cutoffs(indicators: list[dict], country: str, source_of) -> None:
    """A cutoff reads the score of a scale indicator that this country measures."""
    scales = {i["id"] for i in indicators if i["countries"].get(country, {}).get("kind") == "scale"}
    for ind in indicators:
        how = ind["countries"].get(country, {})
        if how.get("kind") == "cutoff" and how["scale"] not in scales:
            near = difflib.get_close_matches(how["scale"], sorted(scales), n=1)
            raise InputError(
                f"cutoff indicator '{ind['id']}' reads scale '{how['scale']}', which is not a"
                f" scale indicator of {country}",
                file=source_of(ind["id"]),
                key="scale",
                fix=(f"did you mean '{near[0]}'? " if near else "")
                + "name an indicator of `kind: scale` mapped for this country",
            )


def check_indicator_mappings(indicators: list[dict], countries: dict) -> None:
    """Keys of each mapping agree (`check_mapping_keys`); cutoffs name scales."""
    for name, country in countries.items():
        own = {item["id"] for item in country.get("indicators", [])}

        def source_of(ind_id: str, own=own, name=name) -> str:
            return f"config/countries/{name}.yaml" if ind_id in own else "config/indicators.yaml"

        for ind in indicators:
            if name in ind["countries"]:
                check_mapping_keys(ind["id"], name, ind["countries"][name], source_of(ind["id"]))
        check_cutoffs(indicators, name, source_of)


def merge_country_indicators(indicators: list[dict], country: dict, source: str) -> list[dict]:
    """Add a country's own `indicators:` (mappings of existing ids, or new definitions) to the
    global list; each entry's mapping keys are checked as a mapping of config/indicators.yaml."""
    by_id = {i["id"]: i for i in indicators}
    for position, item in enumerate(country.get("indicators", [])):
        how = {k: v for k, v in item.items() if k in MAPPING_KEYS}
        check_indicator_mapping(item["id"], how, source)
        validate(how, "indicators", source, "mapping", ("indicators", position))
        if item["id"] in by_id:
            if "role" in item:
                raise InputError(
                    f"indicator '{item['id']}' is defined in config/indicators.yaml; its role is"
                    " set there, for every country",
                    file=source,
                    key="role",
                    fix=f"move `role: {item['role']}` to '{item['id']}' in config/indicators.yaml",
                )
            target = by_id[item["id"]]
            if country["country"] in target["countries"]:
                raise InputError(
                    f"indicator '{item['id']}' is mapped for {country['country']} twice",
                    file=source,
                    key=item["id"],
                    fix="keep one mapping: here or in config/indicators.yaml",
                )
            target["countries"][country["country"]] = how
        else:
            missing = [k for k in ("label", "improvement") if k not in item]
            if missing:
                raise InputError(
                    f"new indicator '{item['id']}' needs {', '.join(missing)}",
                    file=source,
                    key=item["id"],
                    fix=(
                        "add label and improvement (increase or decrease), or use an id from"
                        " config/indicators.yaml"
                    ),
                )
            by_id[item["id"]] = {
                "id": item["id"],
                "label": item["label"],
                "question": item.get("question", item["label"]),
                "improvement": item["improvement"],
                "role": item.get("role", "primary"),
                "paper_claims": [],
                "countries": {country["country"]: how},
            }
            indicators.append(by_id[item["id"]])
    return indicators


def load_project(root: Path) -> Project:
    """Read config/config.yaml, every listed country config and config/indicators.yaml; validate
    all."""
    root = Path(root)
    cfg_path = root / "config" / "config.yaml"
    config = read_yaml(cfg_path)
    validate(config, "config", str(cfg_path.relative_to(root)))
    data_roots = _data_roots(root, config)
    countries = {}
    for name in config["countries"]:
        path = root / "config" / "countries" / f"{name}.yaml"
        country = read_yaml(path)
        todos = find_todos(country)
        if todos:
            raise InputError(
                f"{len(todos)} decision(s) still marked TODO, first: {todos[0]}",
                file=str(path.relative_to(root)),
                key=todos[0].split(":")[0],
                fix=(
                    "replace every TODO value (see the comment beside it and README.md, "
                    "'Add a country'); `grep -n TODO` lists them"
                ),
            )
        validate(country, "country", str(path.relative_to(root)))
        check_design(country, str(path.relative_to(root)))
        if country["country"] != name:
            raise InputError(
                f"country config declares country '{country['country']}' but is listed as '{name}'",
                file=str(path.relative_to(root)),
                key="country",
                fix=f"set `country: {name}` or rename the file",
            )
        check_sources(country, str(path.relative_to(root)), root, data_roots)
        check_codebook(country, str(path.relative_to(root)))
        check_regular_expressions(country, str(path.relative_to(root)))
        check_references(country, str(path.relative_to(root)))
        countries[name] = country
    ind_path = root / "config" / "indicators.yaml"
    indicators = read_yaml(ind_path)
    validate(indicators, "indicators", str(ind_path.relative_to(root)))
    merged = indicators["indicators"]
    for name, country in countries.items():
        merged = merge_country_indicators(merged, country, f"config/countries/{name}.yaml")
    for name, country in countries.items():
        check_indicator_ids(country, merged, f"config/countries/{name}.yaml")
    check_indicator_mappings(merged, countries)
    return Project(
        root=root,
        settings=Settings.model_validate(config),
        countries={name: Country.model_validate(c) for name, c in countries.items()},
        indicators=[Indicator.model_validate(i) for i in merged],
        documents={"config": config, "countries": countries, "indicators": merged},
    )
