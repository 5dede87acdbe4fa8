"""Readers on good and broken files: broken ones raise InputError naming the file and a fix."""
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.readers import read_source, read_xlsform

from .conftest import ROOT

SAV = "data/raw/rwanda/rwanda_endline_2023_ona.sav"
XLSFORM = "data/raw/tajikistan/lwd_women_survey_xlsform.xlsx"


def _source(file, fmt, **kw):
    return {"wave": "w", "file": file, "format": fmt, **kw}


def test_spss_keeps_codes_labels_and_user_missing():
    table = read_source(ROOT, _source(SAV, "spss"))
    assert table.value_labels["sex"] == {1.0: "Male", 2.0: "Female"}
    assert table.missing_values["age"] == {98.0, 99.0}
    assert (table.frame["age"] == 98).sum() >= 1          # user-missing codes are kept raw, not blanked


def test_kobo_headers_are_stripped_of_groups_and_choices_attached():
    table = read_source(ROOT, _source("data/raw/tajikistan/lwd_baseline_kobo.csv", "csv", sep=";", xlsform=XLSFORM))
    assert "participant_code" in table.frame.columns and "vawg_exposure/heard" in table.frame.columns
    assert table.value_labels["consent"] == {"yes": "Yes", "no": "No"}
    assert table.multi_choice["vawg_exposure"] == {"experienced", "witnessed", "committed", "heard", "none"}


def test_xlsform_lists():
    form = read_xlsform(ROOT / XLSFORM, XLSFORM)
    assert form.questions["vawg_exposure"]["type"] == "select_multiple"
    assert {"group_profile", "group_violence"} <= form.groups


def _write(tmp_path: Path, name: str, payload: bytes) -> str:
    (tmp_path / name).write_bytes(payload)
    return name


@pytest.mark.parametrize("name, fmt, payload, expect", [
    ("empty.sav", "spss", b"", "empty"),
    ("truncated.sav", "spss", (ROOT / SAV).read_bytes()[:700], "cannot read SPSS"),
    ("garbage.sav", "spss", b"this is not spss at all" * 20, "cannot read SPSS"),
    ("garbage.dta", "stata", b"\x00\x01 not stata" * 30, "cannot read Stata"),
    ("broken.xlsx", "xlsx", b"PK\x03\x04 broken zip", "cannot read Excel"),
    ("header_only.csv", "csv", b"a,b,c\n", "no data rows"),
    ("no_header.csv", "csv", b"", "empty"),
    ("cp1251.csv", "csv", "name,village\nАнна,Деревня\n".encode("cp1251"), "not valid utf-8"),
    ("latin1.csv", "csv", "name,village\nJosé,Kabeza\n".encode("latin-1"), "not valid utf-8"),
])
def test_broken_files_give_one_clear_error(tmp_path, name, fmt, payload, expect):
    rel = _write(tmp_path, name, payload)
    with pytest.raises(InputError) as err:
        read_source(tmp_path, _source(rel, fmt))
    assert expect in err.value.problem and err.value.file == rel and err.value.fix


def test_declared_encoding_reads_cp1251(tmp_path):
    rel = _write(tmp_path, "cp1251.csv", "name,village\nАнна,Деревня\n".encode("cp1251"))
    table = read_source(tmp_path, _source(rel, "csv", encoding="cp1251"))
    assert table.frame.loc[0, "village"] == "Деревня"


def test_missing_sheet_is_reported(tmp_path):
    pd.DataFrame({"a": [1]}).to_excel(tmp_path / "one.xlsx", index=False)
    with pytest.raises(InputError, match="sheet"):
        read_source(tmp_path, _source("one.xlsx", "xlsx", sheet="data"))
