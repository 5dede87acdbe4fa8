"""The drafted country YAML keeps any text from the raw files exactly: column names, variable and
value labels, data values, file names and the country name read back with yaml.safe_load as they
were, and no text can add or hide a key (a line break in a label stays in its comment)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest import scaffold
from analysis.ingest.readers import RawTable
from tests.conftest import ROOT

# Texts YAML reads specially (booleans, nulls, numbers, dates, indicators, escapes, line breaks,
# BOM, controls)
TRICKY = [
    "yes",
    "No",
    "NULL",
    "null",
    "~",
    "on",
    "Off",
    "true",
    "y",
    "n",
    "",
    " ",
    "  x ",
    "#",
    "a #b",
    "a: b",
    "a:",
    "- x",
    "-",
    "? x",
    "'",
    '"',
    "\\",
    "\\n",
    "x\ny: 1",
    "x\r\ny",
    "&a",
    "*a",
    "!!python/object",
    "%YAML",
    "@x",
    "`x`",
    "{a: b}",
    "[a, b]",
    ",",
    "|",
    ">",
    "0x1F",
    "1e3",
    "1_000",
    "0o17",
    ".inf",
    ".nan",
    "1:20",
    "2001-01-01",
    "\ufeff",
    "x\u2028y",
    "x\x85y",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\t",
    "x\t",
    "é",
    "日本",
    "😀",
    "\ud7ff",
    "\ue000",
    "\ufffd",
    "\ufffe",
    "Ω≈ç√",
    "<<",
    "=",
    "---",
    "...",
    "TODO",
]
SPECIALS = "\n\r\t\x00\x85\u2028\u2029\ufeff:#'\"\\-?,[]{}&*!|>%@` ~"
TEXT = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=40),
    st.lists(st.sampled_from(list(SPECIALS) + ["a", "yes", "1", "é"]), max_size=12).map("".join),
)
FIXED = [
    "hhid",
    "gender",
    "age",
    "village",
]  # columns the guesses pick (id, sex, age, cluster) before the others


def _draft(
    name: str, columns: list[str], label: str, value: str, path: str, xlsform: str | None
) -> str:
    """A draft for two files: the first has `columns` (each labelled `label`, its codes labelled
    too) and the column "place" holding `value`; the second has only the fixed columns."""
    n = 4
    first = pd.DataFrame(
        {
            "hhid": [str(i) for i in range(n)],
            "gender": [0, 1, 0, 1],
            "age": [30, 40, 50, 60],
            "village": ["a", "b", "a", "b"],
            "place": [value, "b", "b", value],
            **{c: [1, 2, 1, 2] for c in columns},
        }
    )
    tables = {
        path: RawTable(
            first,
            path,
            value_labels={
                "gender": {0: "Male", 1: "Female"},
                **{c: {1: label, 2: "Refused"} for c in columns},
            },
            variable_labels={c: label for c in columns},
        ),
        "data/raw/x_endline.sav": RawTable(first[FIXED], "data/raw/x_endline.sav"),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scaffold, "read_source", lambda root, src: tables[src.file])
        return scaffold.draft_country_config(None, name, [path, "data/raw/x_endline.sav"], xlsform)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=TEXT,
    columns=st.lists(TEXT, min_size=1, max_size=3, unique=True),
    label=TEXT,
    value=TEXT,
    path=TEXT,
    xlsform=st.none() | TEXT,
)
def test_draft_reads_back_every_text_exactly(name, columns, label, value, path, xlsform):
    columns = [c for c in columns if c not in FIXED + ["place"]]
    path = f"data/raw/{path}_baseline.sav"
    text = _draft(name, columns, label, value, path, xlsform)
    doc = yaml.safe_load(text)
    assert list(doc) == [
        "country",
        "label",
        "synthetic_data",
        "datasets",
        "estimate_groups",
        "standardise_by",
        "indicators",
    ]
    assert (
        doc["country"] == name
        and doc["label"] == f"TODO: display name, e.g. {name.replace('_', ' ').title()}"
    )
    ds = doc["datasets"]["respondents"]
    assert list(ds) == [
        "role",
        "description",
        "design",
        "pii",
        "sources",
        "variables",
        "exclusions",
        "derive",
    ]
    assert list(ds["design"]) == ["type"]  # the other design keys stay comments
    assert [s["file"] for s in ds["sources"]] == [path, "data/raw/x_endline.sav"]
    assert [s.get("xlsform") for s in ds["sources"]] == [xlsform or None] * 2
    variables = ds["variables"]
    every = FIXED + ["place"] + columns
    found = [v.get("source", key) for key, v in variables.items()]
    found = [c for c in found if not c.startswith("TODO: the raw column holding")] + ds["pii"]
    assert len(found) == len(set(found)) and set(found) <= set(
        every
    )  # each column at most once, as named
    assert {c for c in every if "/" not in c and not scaffold.SYSTEM.match(c)} <= set(
        found
    )  # all but group/system
    place = next(v for key, v in variables.items() if v.get("source", key) == "place")
    assert place["values"] == {
        v: v for v in {value, "b"} if v != ""
    }  # its distinct values, read as text
    assert {d["copy"] for d in ds["derive"].values() if "copy" in d} <= set(every) | {
        "TODO: a place variable"
    }


def test_draft_without_place_or_cluster_columns_reads_back():
    """No column looks like a place or a PSU: the TODOs in `derive:` are quoted (a ': ' or ',' in a
    flow mapping)."""
    doc = yaml.safe_load(
        scaffold.draft_country_config(ROOT, "q", ["data/raw/tajikistan/qualitative_register.csv"])
    )
    derive = doc["datasets"]["respondents"]["derive"]
    assert derive["location"] == {"copy": "TODO: a place variable"}
    assert derive["cluster"] == {"copy": "TODO: the PSU variable, or use constant: none"}


@pytest.mark.parametrize("text", TRICKY)
def test_yaml_scalar_reads_back_as_the_text(text):
    assert yaml.safe_load(f"x: {scaffold._yaml_str(text)}") == {"x": text}
    assert yaml.safe_load(f"x: [{scaffold._yaml_str(text)}]") == {"x": [text]}
    assert yaml.safe_load(f"x: {{{scaffold._yaml_str(text)}: 1}}") == {"x": {text: 1}}
