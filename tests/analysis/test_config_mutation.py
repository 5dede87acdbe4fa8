"""Property-based: random mutations of the shipped configuration never crash the pipeline.

Hypothesis mutates config/config.yaml and the example country's config (delete a key, rename it,
change a value's type, put hostile text in it: shell, HTML, Markdown, LaTeX, mathtext and
spreadsheet metacharacters). Every mutation must either work or stop with the project's one message
(`ERROR: ... fix: ...`, exit 2): never an INTERNAL ERROR (exit 3), never a traceback, never a file
written outside the repository.

Two levels: many mutations through `load_project` in-process (the validation every job starts with),
and a few through the whole workflow of one country (each rerun recomputes only the jobs whose
configuration changed).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.config import load_project
from analysis.errors import InputError
from tests.conftest import copy_project

BIN = str(Path(sys.executable).parent)
EX_CFG = "config/countries/example_country.yaml"
PROJECT_CFG = "config/config.yaml"

# one string per kind of metacharacter a config value may carry into a shell, a web page, a table or
# a chart
HOSTILE = [
    "survey'; touch {canary}; echo 'x",
    "$(touch {canary}) `touch {canary}`",
    "<script>alert(1)</script> & &amp; <b>bold</b>",
    "| a | b |\n**x** _y_ [link](http://example.org) `code`",
    "\\textbf{{x}} % & # ~ ^ _ \\\\ {{}}",
    "$\\alpha$ and $x^2$",
    '=HYPERLINK("http://example.org","x")',
    "+1-2",
    "-99",
    "@SUM(A1)",
    "\tTab",
    "Côte d'Ivoire",
    "None",
    "",
    "TODO later",
]


def _paths(node, prefix=()):
    """Every (path, value) in a nested document, depth first."""
    out = [(prefix, node)]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _parent(doc, path):
    node = doc
    for part in path[:-1]:
        node = node[part]
    return node


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(HOSTILE),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=6), scalars, max_size=2),
)


@st.composite
def mutations(draw):
    """(file, kind, path index, new value or key) for one random edit."""
    target = draw(st.sampled_from([EX_CFG, EX_CFG, EX_CFG, PROJECT_CFG]))
    kind = draw(
        st.sampled_from(["replace", "replace", "hostile_text", "delete", "rename", "add_key"])
    )
    return (
        target,
        kind,
        draw(st.integers(min_value=0)),
        draw(values),
        draw(st.text(min_size=1, max_size=10)),
    )


def apply_mutation(doc: dict, mutation, canary: str) -> dict:
    """The document with one edit applied (the top-level `countries:` list of config.yaml is
    kept)."""
    _, kind, index, value, key = mutation
    doc = copy.deepcopy(doc)
    paths = [p for p, _ in _paths(doc) if p and p[0] != "countries"]
    path = paths[index % len(paths)]
    parent = _parent(doc, path)
    last = path[-1]
    if kind == "hostile_text":
        strings = [p for p, v in _paths(doc) if isinstance(v, str) and p and p[0] != "countries"]
        if strings:
            path = strings[index % len(strings)]
            parent, last = _parent(doc, path), path[-1]
        parent[last] = HOSTILE[index % len(HOSTILE)].format(canary=canary)
    elif kind == "replace":
        parent[last] = value
    elif kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(parent, dict):
        parent[key] = parent.pop(last)
    elif kind == "add_key" and isinstance(parent, dict):
        parent[key] = value
    else:
        parent[last] = value
    return doc


def _write(root: Path, rel: str, doc: dict) -> None:
    (root / rel).write_text(
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A copy of the repository with one country (the example), inside a folder we can watch for
    stray files."""
    outer = tmp_path_factory.mktemp("outer")
    root = outer / "repo"
    root.mkdir()
    copy_project(root)
    cfg = yaml.safe_load((root / PROJECT_CFG).read_text(encoding="utf-8"))
    cfg["countries"] = ["example_country"]
    cfg.pop("claims", None)
    _write(root, PROJECT_CFG, cfg)
    originals = {
        rel: yaml.safe_load((root / rel).read_text(encoding="utf-8"))
        for rel in (EX_CFG, PROJECT_CFG)
    }
    return _Repo((outer, root, originals))


class _Repo(tuple):
    """(outer folder, repository copy, original configs), shown briefly in Hypothesis' falsifying
    examples."""

    def __repr__(self) -> str:
        return f"<repository copy at {self[1]}>"


def _mutate(repo, mutation):
    outer, root, originals = repo
    canary = str(outer / "pwned")
    for rel, doc in originals.items():
        _write(root, rel, doc)
    _write(root, mutation[0], apply_mutation(originals[mutation[0]], mutation, canary))
    return outer, root


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mutation=mutations())
def test_mutated_config_loads_or_explains(repo, mutation):
    """Every mutation is accepted or refused with an InputError; no other exception escapes
    load_project."""
    _, root = _mutate(repo, mutation)
    try:
        load_project(root)
    except InputError as exc:
        text = exc.render()
        assert text.startswith("ERROR: ") and "\n  fix:" in text


def _run(root: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": BIN + os.pathsep + os.environ["PATH"],
        "PYTHONPATH": str(root / "src"),
    }
    env.pop("PEACE_DEBUG", None)
    return subprocess.run(
        [f"{BIN}/snakemake", "--cores", "2", "-q", "--rerun-incomplete"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mutation=mutations())
def test_mutated_config_runs_or_explains(repo, mutation):
    """The whole workflow of one country after a mutation: exit 0, or one ERROR message; never a
    bug, never a traceback, never a file outside the repository (the hostile text tries to `touch`
    one beside it).
    """
    outer, root = _mutate(repo, mutation)
    before = sorted(p.name for p in outer.iterdir())
    proc = _run(root)
    message = proc.stderr
    assert "INTERNAL ERROR" not in message, message[-3000:]
    assert "Traceback" not in message, message[-3000:]
    if proc.returncode != 0:
        assert "ERROR:" in message and "fix:" in message, message[-3000:]
    assert sorted(p.name for p in outer.iterdir()) == before == ["repo"]
