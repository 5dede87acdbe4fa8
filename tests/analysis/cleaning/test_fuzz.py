"""Fuzzing readers and cleaning with random messy inputs: no unexplained exception, no lost row."""

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cleaning.clean import clean_dataset
from analysis.errors import InputError
from analysis.ingest.readers import read_source
from analysis.model import Country, Project, Settings, Source

DATASET = {
    "role": "register",
    "record_id": "pid",
    "sources": [{"wave": "w1", "file": "raw.csv", "format": "csv"}],
    "variables": {
        "pid": {"type": "text"},
        "sex": {"values": {"F": "Female", "M": "Male"}, "normalise_text": True, "missing": ["99"]},
        "age": {"type": "integer", "valid_range": [12, 100], "missing": [999]},
        "place": {"type": "text", "normalise": "title"},
        "tags": {"type": "multi", "choices": ["a", "b", "c"]},
    },
    "exclusions": [
        {"id": "test", "reason": "test", "when": {"variable": "place", "equals": "Test"}},
        {"id": "dup", "reason": "duplicate", "duplicate_of": ["pid"]},
    ],
    "derive": {
        "age_band": {
            "from": "age",
            "bands": [
                {"label": "young", "min": 12, "max": 35},
                {"label": "old", "min": 36, "max": 100},
            ],
        }
    },
}

messy_text = st.one_of(
    st.sampled_from(
        [
            "F",
            " f ",
            "M",
            "m",
            "x",
            "",
            "99",
            "Test",
            " test",
            "kabeza",
            "KABEZA  ",
            "a b",
            "c",
            "d",
            "12",
            "999",
            "abc",
            "1e3",
            "-5",
            "40.5",
            "é",
            "Джоми",
            ";",
            '"',
        ]
    ),
    st.text(max_size=8),
)
row = st.fixed_dictionaries(
    {
        "pid": st.sampled_from(["p1", "p2", "p3", "p4", "p5", ""]),
        "sex": messy_text,
        "age": messy_text,
        "place": messy_text,
        "tags": messy_text,
    }
)


def _project(root: Path) -> Project:
    return Project(
        root=root,
        settings=Settings(countries=["fz"]),
        indicators=[],
        countries={
            "fz": Country.model_validate(
                {"country": "fz", "label": "Fuzz", "datasets": {"d": DATASET}}
            )
        },
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=40))
def test_cleaning_random_rows_keeps_or_explains_every_row(rows):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        (root / "raw.csv").write_text(buf.getvalue(), encoding="utf-8")
        try:
            result = clean_dataset(_project(root), "fz", "d")
        except InputError as exc:
            assert exc.file and exc.fix  # an explained stop, naming the file and a fix
            return
        raw_rows = len(pd.read_csv(root / "raw.csv", dtype=str, keep_default_na=False))
        assert len(result.data) + len(result.exclusions) == raw_rows
        assert set(result.data["source_row"]) | set(result.exclusions["source_row"]) == set(
            range(1, raw_rows + 1)
        )


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["csv", "xlsx", "spss", "stata"]))
def test_readers_on_random_bytes_raise_only_input_errors(payload, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "f").write_bytes(payload)
        try:
            table = read_source(root, Source(wave="w", file="f", format=fmt))
        except InputError as exc:
            assert exc.file == "f" and exc.fix
            return
        assert len(table.frame) > 0  # whatever parsed, parsed into rows
