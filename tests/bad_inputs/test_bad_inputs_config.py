"""Bad-input corpus, configuration: YAML that parses but misleads, and settings that contradict each
other.

Each case breaks a copy of the repository and runs the real entry point; see
test_bad_inputs.py for the contract (exit status, one message naming the place and the fix, no
partial output).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from analysis.config import read_yaml
from analysis.errors import InputError
from tests.conftest import copy_project

from . import test_bad_inputs as bad

EX_CFG = "config/countries/example_country.yaml"
RW_CFG = "config/countries/rwanda.yaml"
VALIDATE = [sys.executable, "-m", "analysis", "validate"]


def example(doc):
    return doc["datasets"]["respondents"]


def _indicator_named(name):
    def change(doc):
        doc["indicators"][0]["id"] = name

    return change


def _same_file_twice(doc):
    sources = example(doc)["sources"]
    sources[-1]["file"] = sources[0]["file"]  # the endline (the last wave)


def _outside_file(root: Path):
    outside = root.parent / "elsewhere.dta"
    outside.write_bytes((root / bad.DTA).read_bytes())
    bad.edit_text(
        EX_CFG, "file: data/raw/example_country/example_baseline_surveycto.dta", f"file: {outside}"
    )(root)


def _traversal(root: Path):
    outside = root.parent / "elsewhere.dta"
    outside.write_bytes((root / bad.DTA).read_bytes())
    bad.edit_text(
        EX_CFG,
        "file: data/raw/example_country/example_baseline_surveycto.dta",
        "file: data/raw/../../../elsewhere.dta",
    )(root)


def _symlink_out(root: Path):
    outside = root.parent / "elsewhere.dta"
    outside.write_bytes((root / bad.DTA).read_bytes())
    link = root / bad.DTA
    link.unlink()
    os.symlink(outside, link)


def _symlink_out_with_external_root(root: Path):
    _symlink_out(root)
    with open(root / "config/config.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"external_data_root: {root.parent}\n")


def _alias_bomb(root: Path):
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with open(root / "config/config.yaml", "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


CASES = [
    bad.Case(
        "duplicate_key_alpha",
        "a second `alpha:` (YAML would keep the last: a 50% interval)",
        bad.edit_text("config/config.yaml", "alpha: 0.05\n", "alpha: 0.05\nalpha: 0.5\n"),
        "",
        ["key 'alpha' appears twice", "config/config.yaml", "row 4", "keep one"],
        command=VALIDATE,
    ),
    bad.Case(
        "duplicate_key_exclusions",
        "a second `exclusions:` (would replace the first rules)",
        bad.edit_text(RW_CFG, "    exclusions:", "    exclusions: []\n    exclusions:"),
        bad.RW,
        ["key 'exclusions' appears twice", RW_CFG],
    ),
    bad.Case(
        "yaml_alias_bomb",
        "nine levels of nine aliases (a billion values)",
        _alias_bomb,
        "",
        ["aliases expand to more than", "config/config.yaml", "anchors and aliases"],
        command=VALIDATE,
    ),
    bad.Case(
        "yaml_lone_surrogate",
        "a JSON-style escape of half a surrogate pair in a label",
        bad.edit_text(
            EX_CFG, 'label: "Example country (fictional)"', 'label: "Example \\ud83d country"'
        ),
        "",
        ["lone UTF-16 surrogate", EX_CFG, "key 'label'"],
        command=VALIDATE,
    ),
    bad.Case(
        "yaml_surrogate_pair",
        "a JSON-style surrogate pair in a label is the character it encodes",
        bad.edit_text(
            EX_CFG,
            'label: "Example country (fictional)"',
            'label: "Example \\ud83c\\udf0d country"',
        ),
        "",
        ["config OK"],
        command=VALIDATE,
        exit_code=0,
    ),
    bad.Case(
        "valid_range_reversed",
        "valid_range written as [max, min]",
        bad.edit_text(EX_CFG, "valid_range: [12, 100]", "valid_range: [100, 12]"),
        "",
        ["valid_range of variable 'age' is reversed", "[12, 100]"],
        command=VALIDATE,
    ),
    bad.Case(
        "same_file_two_waves",
        "the baseline export also listed as the endline",
        bad.edit_yaml(EX_CFG, _same_file_twice),
        bad.EX,
        ["same raw file is listed for wave 'baseline' and wave 'endline'", bad.DTA, "own export"],
    ),
    bad.Case(
        "indicator_id_core_column",
        "an indicator named `sex` (would replace the sex column)",
        bad.edit_yaml(EX_CFG, _indicator_named("sex")),
        "",
        ["indicator id 'sex'", "overwrite", EX_CFG, "rename the indicator"],
        command=VALIDATE,
    ),
    bad.Case(
        "indicator_id_derived_column",
        "an indicator named `age_band` (silently overwrote the bands)",
        bad.edit_yaml(EX_CFG, _indicator_named("age_band")),
        bad.EX,
        ["indicator id 'age_band'", "overwrite", EX_CFG],
    ),
    bad.Case(
        "dataset_name_with_dash",
        "a dataset named `house-holds`",
        bad.edit_text(
            EX_CFG, "  respondents:\n    role: respondents", "  house-holds:\n    role: respondents"
        ),
        "",
        ["invalid name 'house-holds'", "datasets", "lower-case letters, digits and underscores"],
        command=VALIDATE,
    ),
    bad.Case(
        "table_name_with_space",
        "a table named with a space and a quote (it becomes a file name)",
        bad.edit_text(RW_CFG, "  figure1_sex_by_age:", '  "figure 1\'s table":'),
        "",
        ['invalid name "figure 1\'s table" under tables', "lower-case letters"],
        command=VALIDATE,
    ),
    bad.Case(
        "invalid_regex",
        "an exclusion rule with an unbalanced parenthesis in `matches:`",
        bad.edit_text(RW_CFG, 'matches: "(?i)^test"', 'matches: "(?i)^test("'),
        "",
        ["invalid regular expression '(?i)^test('", RW_CFG, "escape"],
        command=VALIDATE,
    ),
    bad.Case(
        "derive_copy_unknown_variable",
        "a derived variable copies a variable that does not exist",
        bad.edit_text(EX_CFG, "location: {copy: stratum}", "location: {copy: stratumm}"),
        "",
        ["derive.location names variable 'stratumm'", "did you mean 'stratum'"],
        command=VALIDATE,
    ),
    bad.Case(
        "duplicate_rule_unknown_variable",
        "a duplicate rule keyed on a misspelt variable",
        bad.edit_text(EX_CFG, "duplicate_of: [submission_id]", "duplicate_of: [submision_id]"),
        bad.EX,
        ["duplicate_of names variable 'submision_id'", "did you mean 'submission_id'"],
    ),
    bad.Case(
        "estimate_group_unknown",
        "estimates by a grouping variable that does not exist",
        bad.edit_text(
            EX_CFG, "estimate_groups: [sex, age_band]", "estimate_groups: [sex, ageband]"
        ),
        "",
        ["estimate_groups names variable 'ageband'", "did you mean 'age_band'"],
        command=VALIDATE,
    ),
    bad.Case(
        "table_unknown_dataset",
        "a crosstab on a dataset the country does not have",
        bad.edit_text(
            RW_CFG,
            "    dataset: respondents\n    filter: {variable: wave, equals: endline}\n    rows:"
            " {variable: sex",
            "    dataset: respondent\n    filter: {variable: wave, equals: endline}\n    rows:"
            " {variable: sex",
        ),
        "",
        ["names dataset 'respondent'", "did you mean 'respondents'"],
        command=VALIDATE,
    ),
    bad.Case(
        "raw_file_outside_repository",
        "a `file:` with an absolute path outside the repository",
        _outside_file,
        bad.EX,
        ["points outside the raw-data folder", "elsewhere.dta", "external_data_root"],
    ),
    bad.Case(
        "raw_file_path_traversal",
        "a `file:` climbing out with ../..",
        _traversal,
        "",
        ["points outside the raw-data folder", "../../../elsewhere.dta"],
        command=VALIDATE,
    ),
    bad.Case(
        "raw_file_symlink_out",
        "a file in data/raw/ that is a symlink to a file outside it",
        _symlink_out,
        "",
        ["points outside the raw-data folder", "a symlink to", bad.DTA],
        command=VALIDATE,
    ),
    bad.Case(
        "raw_file_external_root",
        "the same symlink is accepted once `external_data_root:` names its folder",
        _symlink_out_with_external_root,
        "",
        ["config OK"],
        command=VALIDATE,
        exit_code=0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    (tmp_path / "repo").mkdir()
    root = copy_project(tmp_path / "repo")
    bad.check_outcome(case, root, bad.run_case(case, root))


def test_alias_bomb_refused_before_expansion(tmp_path):
    """The refusal happens on the node graph (size computed with memoisation), not by expanding it:
    a 9^10-value document is refused while building at most a few hundred nodes."""
    _alias_bomb_path = tmp_path / "bomb.yaml"
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    _alias_bomb_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.process_time()
    with pytest.raises(InputError, match="aliases expand"):
        read_yaml(_alias_bomb_path)
    assert time.process_time() - start < 5  # expanding it would take hours and terabytes


def test_merge_keys_may_override_and_aliases_are_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(
        "base: &b {k: 5, mode: paper}\npublic: {<<: *b, mode: public}\ncopy: *b\n", encoding="utf-8"
    )
    assert read_yaml(path) == {
        "base": {"k": 5, "mode": "paper"},
        "public": {"k": 5, "mode": "public"},
        "copy": {"k": 5, "mode": "paper"},
    }


def test_duplicate_key_in_nested_list_item(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("items:\n  - {id: a, label: x, label: y}\n", encoding="utf-8")
    with pytest.raises(InputError, match="key 'label' appears twice") as info:
        read_yaml(path)
    assert info.value.row == 2
