"""Readers on good and broken files: broken ones raise InputError naming the file and a fix."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.ingest.readers import read_source, read_xlsform
from analysis.model import Source
from tests.conftest import ROOT

SAV = "data/raw/rwanda/rwanda_endline_2023_ona.sav"
XLSFORM = "data/raw/tajikistan/lwd_women_survey_xlsform.xlsx"


def _source(file, fmt, **kw) -> Source:
    return Source(wave="w", file=file, format=fmt, **kw)


def test_spss_keeps_codes_labels_and_user_missing():
    table = read_source(ROOT, _source(SAV, "spss"))
    assert table.value_labels["sex"] == {1.0: "Male", 2.0: "Female"}
    assert table.missing_values["age"] == {98.0, 99.0}
    assert (table.frame["age"] == 98).sum() >= 1  # user-missing codes are kept raw, not blanked


def test_kobo_headers_are_stripped_of_groups_and_choices_attached():
    table = read_source(
        ROOT, _source("data/raw/tajikistan/lwd_baseline_kobo.csv", "csv", sep=";", xlsform=XLSFORM)
    )
    assert (
        "participant_code" in table.frame.columns and "vawg_exposure/heard" in table.frame.columns
    )
    assert table.value_labels["consent"] == {"yes": "Yes", "no": "No"}
    assert table.multi_choice["vawg_exposure"] == {
        "experienced",
        "witnessed",
        "committed",
        "heard",
        "none",
    }


def test_xlsform_lists():
    form = read_xlsform(ROOT / XLSFORM, XLSFORM)
    assert form.questions["vawg_exposure"]["type"] == "select_multiple"
    assert {"group_profile", "group_violence"} <= form.groups


def _write(tmp_path: Path, name: str, payload: bytes) -> str:
    (tmp_path / name).write_bytes(payload)
    return name


@pytest.mark.parametrize(
    "name, fmt, payload, expect",
    [
        ("empty.sav", "spss", b"", "empty"),
        ("truncated.sav", "spss", (ROOT / SAV).read_bytes()[:700], "cannot read SPSS"),
        ("garbage.sav", "spss", b"this is not spss at all" * 20, "cannot read SPSS"),
        ("garbage.dta", "stata", b"\x00\x01 not stata" * 30, "cannot read Stata"),
        ("broken.xlsx", "xlsx", b"PK\x03\x04 broken zip", "cannot read Excel"),
        ("header_only.csv", "csv", b"a,b,c\n", "no data rows"),
        ("no_header.csv", "csv", b"", "empty"),
        ("cp1251.csv", "csv", "name,village\nАнна,Деревня\n".encode("cp1251"), "not valid utf-8"),
        ("latin1.csv", "csv", "name,village\nJosé,Kabeza\n".encode("latin-1"), "not valid utf-8"),
    ],
)
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


# --- values and rows as written -------------------------------------------------------------------
def test_none_na_and_null_text_are_values_not_missing(tmp_path):
    rel = _write(tmp_path, "words.csv", b"id,answer\n1,None\n2,NA\n3,null\n4,N/A\n5,nan\n6,\n")
    frame = read_source(tmp_path, _source(rel, "csv")).frame
    assert frame["answer"].tolist() == ["None", "NA", "null", "N/A", "nan", ""]


def test_none_in_an_xlsx_and_an_xlsform_choice_stays_text(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "answer"])
    book.active.append([1, "None"])
    book.active.append([2, "NA"])
    book.save(tmp_path / "words.xlsx")
    assert read_source(tmp_path, _source("words.xlsx", "xlsx")).frame["answer"].tolist() == [
        "None",
        "NA",
    ]
    form = openpyxl.Workbook()
    form.active.title = "survey"
    form.active.append(["type", "name", "label"])
    form.active.append(["select_one yn", "answer", "Answer"])
    choices = form.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["yn", "None", "None"])
    choices.append(["yn", "NA", "NA"])
    form.save(tmp_path / "form.xlsx")
    table = read_source(tmp_path, _source("words.xlsx", "xlsx", xlsform="form.xlsx"))
    assert table.value_labels["answer"] == {"None": "None", "NA": "NA"}


def test_blank_csv_lines_are_rows_and_marked_blank(tmp_path):
    rel = _write(tmp_path, "gaps.csv", b"id,answer\n1,a\n\n3,c\n , \n5,e\n")
    table = read_source(tmp_path, _source(rel, "csv"))
    assert table.frame["id"].tolist() == [
        "1",
        "",
        "3",
        " ",
        "5",
    ]  # row i + 1 is data row i + 1 of the file
    assert table.blank.tolist() == [False, True, False, True, False]


def test_empty_xlsx_rows_are_rows_and_marked_blank(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    for row in (["id", "answer"], [1, "a"], [None, None], [3, "c"], ["", "  "], [5, "e"]):
        book.active.append(row)
    book.save(tmp_path / "gaps.xlsx")
    table = read_source(tmp_path, _source("gaps.xlsx", "xlsx"))
    assert table.frame["id"].tolist() == ["1", "", "3", "", "5"]
    assert table.blank.tolist() == [False, True, False, True, False]


def test_spss_blank_rows_are_marked(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"id": ["a", "", "c"], "x": [1.0, None, 3.0]})
    pyreadstat.write_sav(frame, str(tmp_path / "gaps.sav"))
    assert read_source(tmp_path, _source("gaps.sav", "spss")).blank.tolist() == [False, True, False]


@pytest.mark.parametrize(
    "payload, column",
    [
        (b"id,Sex,age,Sex\n1,F,30,M\n", "Sex"),
        (b"id,Sex,age, Sex \n1,F,30,M\n", "Sex"),
    ],
)
def test_duplicate_csv_header_is_an_error(tmp_path, payload, column):
    rel = _write(tmp_path, "dupe.csv", payload)
    with pytest.raises(InputError, match="names column 'Sex' 2 times") as err:
        read_source(tmp_path, _source(rel, "csv"))
    assert err.value.column == column and err.value.file == rel and "unique name" in err.value.fix


def test_empty_header_cells_are_not_duplicates(tmp_path):
    rel = _write(tmp_path, "trailing.csv", b"id,age,,\n1,30,,\n")
    assert list(read_source(tmp_path, _source(rel, "csv")).frame.columns[:2]) == ["id", "age"]


def test_duplicate_xlsx_header_is_an_error(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "age", "age"])
    book.active.append([1, 30, 31])
    book.save(tmp_path / "dupe.xlsx")
    with pytest.raises(InputError, match="names column 'age' 2 times"):
        read_source(tmp_path, _source("dupe.xlsx", "xlsx"))


def _formula_book(path: Path, cell_xml: bytes):
    """An .xlsx whose cell B2 is written as `cell_xml` (what Excel, LibreOffice or a script
    stores)."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "age"])
    book.active.append([1, 99])
    book.save(path)
    with zipfile.ZipFile(path) as src:
        members = {name: src.read(name) for name in src.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<c r="B2"')
    end = sheet.index(b"</c>", start) + 4
    members["xl/worksheets/sheet1.xml"] = sheet[:start] + cell_xml + sheet[end:]
    with zipfile.ZipFile(path, "w") as out:
        for name, payload in members.items():
            out.writestr(name, payload)


@pytest.mark.parametrize(
    "cell_xml, value",
    [
        (b'<c r="B2"><f>20+5</f><v>25</v></c>', "25"),  # Excel/LibreOffice: value cached
        (
            b'<c r="B2" t="str"><f>IF(1,"","x")</f><v></v></c>',
            "",
        ),  # cached empty text: a real empty answer
        (b'<c r="B2" t="n"><v>31</v></c>', "31"),  # no formula at all
    ],
)
def test_cached_formulas_read_as_their_values(tmp_path, cell_xml, value):
    _formula_book(tmp_path / "f.xlsx", cell_xml)
    assert read_source(tmp_path, _source("f.xlsx", "xlsx")).frame["age"].tolist() == [value]


@pytest.mark.parametrize(
    "cell_xml",
    [
        b'<c r="B2"><f>20+5</f><v /></c>',
        b'<c r="B2"><f>20+5</f></c>',
        b'<c r="B2" s="0"><f t="shared" ref="B2" si="0">20+5</f><v></v></c>',
    ],
)
def test_uncached_formula_is_an_error_naming_column_and_row(tmp_path, cell_xml):
    _formula_book(tmp_path / "f.xlsx", cell_xml)
    with pytest.raises(InputError, match="no cached value") as err:
        read_source(tmp_path, _source("f.xlsx", "xlsx"))
    assert err.value.column == "age" and err.value.row == 1 and "LibreOffice" in err.value.fix


def test_header_row_must_be_the_first_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A2"], book.active["B2"], book.active["A3"] = "id", "age", 1
    book.save(tmp_path / "late.xlsx")
    with pytest.raises(InputError, match="first row of the sheet is empty"):
        read_source(tmp_path, _source("late.xlsx", "xlsx"))


# --- XLSForms (parsed by pyxform; spec: https://xlsform.org/en/) ----------------------------------
EN, FR = "English (en)", "Français (fr)"


def _form(
    path: Path,
    survey: list[list],
    choices: list[list] | None = None,
    settings: list[list] | None = None,
) -> None:
    """An XLSForm workbook with these rows (the first row of each sheet is its header)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "survey"
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is not None:
            sheet = book["survey"] if name == "survey" else book.create_sheet(name)
            for row in rows:
                sheet.append(row)
    book.save(path)


def _two_language_form(path: Path, default_language: str | None = None) -> None:
    """A Kobo-style form with labels in English and French, a group, a repeat, or_other and a
    select_multiple."""
    _form(
        path,
        [
            ["type", "name", f"label::{EN}", f"label::{FR}"],
            ["begin_group", "intro", "Introduction", "Introduction (fr)"],
            ["select_one yn or_other", "consent", "Do you agree?", "Êtes-vous d'accord ?"],
            ["end_group", "", "", ""],
            ["begin_repeat", "household", "Household member", "Membre du ménage"],
            ["select_multiple fruit", "fruits", "Fruits eaten", "Fruits mangés"],
            ["integer", "age", "Age", "Âge"],
            ["end_repeat", "", "", ""],
        ],
        [
            ["list_name", "name", f"label::{EN}", f"label::{FR}"],
            ["yn", "yes", "Yes", "Oui"],
            ["yn", "no", "No", "Non"],
            ["fruit", "apple", "Apple", "Pomme"],
            ["fruit", "pear", "Pear", "Poire"],
        ],
        [["form_id", "default_language"], ["two", default_language]] if default_language else None,
    )


def test_two_language_form_gives_the_labels_of_the_chosen_language(tmp_path):
    _two_language_form(tmp_path / "form.xlsx")
    english = read_xlsform(tmp_path / "form.xlsx", "form.xlsx", label_language=EN)
    assert english.choices == {
        "yn": {"yes": "Yes", "no": "No", "other": "Other"},
        "fruit": {"apple": "Apple", "pear": "Pear"},
    }
    assert english.questions["consent"] == {
        "type": "select_one",
        "list": "yn",
        "label": "Do you agree?",
    }
    french = read_xlsform(tmp_path / "form.xlsx", "form.xlsx", label_language=FR)
    assert french.choices == {
        "yn": {"yes": "Oui", "no": "Non", "other": "Other"},
        "fruit": {"apple": "Pomme", "pear": "Poire"},
    }
    assert french.questions["age"]["label"] == "Âge"


def test_default_language_of_the_settings_sheet_is_used_unless_one_is_chosen(tmp_path):
    _two_language_form(tmp_path / "form.xlsx", default_language=FR)
    assert read_xlsform(tmp_path / "form.xlsx", "form.xlsx").choices["yn"] == {
        "yes": "Oui",
        "no": "Non",
        "other": "Other",
    }
    assert read_xlsform(tmp_path / "form.xlsx", "form.xlsx", EN).choices["yn"] == {
        "yes": "Yes",
        "no": "No",
        "other": "Other",
    }


def test_several_languages_and_none_chosen_is_an_error_naming_them(tmp_path):
    _two_language_form(tmp_path / "form.xlsx")
    with pytest.raises(InputError) as err:
        read_xlsform(tmp_path / "form.xlsx", "form.xlsx")
    assert (
        err.value.problem
        == f"the XLSForm has labels in 2 languages ('{EN}', '{FR}') and none is chosen"
    )
    assert err.value.file == "form.xlsx" and err.value.key == "label_language"
    assert "`label_language:`" in err.value.fix and f"'{EN}', '{FR}'" in err.value.fix


def test_label_language_not_in_the_form_is_an_error_naming_the_available_ones(tmp_path):
    _two_language_form(tmp_path / "form.xlsx", default_language=EN)
    with pytest.raises(InputError) as err:
        read_xlsform(tmp_path / "form.xlsx", "form.xlsx", label_language="English")
    assert (
        err.value.problem
        == f"label_language 'English' is not a language of the XLSForm's labels (it has '{EN}',"
        f" '{FR}')"
    )
    assert err.value.key == "label_language" and f"'{EN}', '{FR}'" in err.value.fix


def test_a_choice_without_a_label_in_the_chosen_language_is_an_error(tmp_path):
    _form(
        tmp_path / "form.xlsx",
        [["type", "name", f"label::{EN}", f"label::{FR}"], ["select_one yn", "q", "Q", "Q"]],
        [
            ["list_name", "name", f"label::{EN}", f"label::{FR}"],
            ["yn", "yes", "Yes", None],
            ["yn", "no", "No", "Non"],
        ],
    )
    assert read_xlsform(tmp_path / "form.xlsx", "form.xlsx", EN).choices["yn"] == {
        "yes": "Yes",
        "no": "No",
    }
    with pytest.raises(InputError) as err:
        read_xlsform(tmp_path / "form.xlsx", "form.xlsx", FR)
    assert err.value.problem == f"choice 'yes' of list 'yn' has no label in {FR}"
    assert f"`label::{FR}`" in err.value.fix


def test_kobo_export_of_a_two_language_form(tmp_path):
    """The whole reader: group and repeat paths stripped from the headers, labels of the chosen
    language attached, or_other's 'other' choice and `<name>_other` question, select_multiple's
    dummies and choices."""
    _two_language_form(tmp_path / "form.xlsx")
    (tmp_path / "export.csv").write_text(
        "intro/consent;intro/consent_other;household/fruits;household/fruits/apple;household/fruits/pear;household/age\nyes;;apple"
        " pear;1;1;30\nother;maybe;pear;0;1;41\n",
        encoding="utf-8",
    )
    table = read_source(
        tmp_path, _source("export.csv", "csv", sep=";", xlsform="form.xlsx", label_language=EN)
    )
    assert list(table.frame.columns) == [
        "consent",
        "consent_other",
        "fruits",
        "fruits/apple",
        "fruits/pear",
        "age",
    ]
    assert table.value_labels == {
        "consent": {"yes": "Yes", "no": "No", "other": "Other"},
        "fruits": {"apple": "Apple", "pear": "Pear"},
    }
    assert table.multi_choice == {"fruits": {"apple", "pear"}}
    assert (
        table.variable_labels["consent"] == "Do you agree?"
        and table.variable_labels["fruits"] == "Fruits eaten"
    )
    assert (
        table.variable_labels["consent_other"] == "Specify other."
    )  # pyxform's text question for or_other


def test_or_other_adds_other_to_the_list_and_a_text_question(tmp_path):
    _form(
        tmp_path / "form.xlsx",
        [
            ["type", "name", "label"],
            ["select_one yn or_other", "q", "Q"],
            ["select_multiple fruit or_other", "m", "M"],
        ],
        [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["fruit", "apple", "Apple"]],
    )
    form = read_xlsform(tmp_path / "form.xlsx", "form.xlsx")
    assert form.choices == {
        "yn": {"yes": "Yes", "other": "Other"},
        "fruit": {"apple": "Apple", "other": "Other"},
    }
    assert (
        form.questions["q_other"]["type"] == "text" and form.questions["m_other"]["type"] == "text"
    )
    assert form.questions["m"] == {"type": "select_multiple", "list": "fruit", "label": "M"}


def test_groups_and_repeats_nested_in_any_order_are_groups(tmp_path):
    _form(
        tmp_path / "form.xlsx",
        [
            ["type", "name", "label"],
            ["begin group", "outer", "Outer"],
            ["begin repeat", "people", "People"],
            ["begin_group", "inner", "Inner"],
            ["text", "note_text", "Note"],
            ["end_group", "", ""],
            ["end repeat", "", ""],
            ["end group", "", ""],
            ["text", "after", "After"],
        ],
    )
    form = read_xlsform(tmp_path / "form.xlsx", "form.xlsx")
    assert form.groups == {"outer", "people", "inner"}  # pyxform's own `meta` group is not one
    assert set(form.questions) == {"note_text", "after"}


@pytest.mark.parametrize(
    "payload, problem",
    [
        (
            b"not a spreadsheet" * 50,
            (
                "cannot read XLSForm: not a spreadsheet pyxform can read (Argument 'definition' was"
                " not recognized as a supported type."
            ),
        ),
        (b"PK\x03\x04 broken zip", "cannot read XLSForm: not a spreadsheet pyxform can read"),
    ],
)
def test_corrupt_xlsform_is_an_error_naming_the_file(tmp_path, payload, problem):
    (tmp_path / "form.xlsx").write_bytes(payload)
    with pytest.raises(InputError) as err:
        read_xlsform(tmp_path / "form.xlsx", "data/raw/x/form.xlsx")
    assert err.value.problem.startswith(problem) and err.value.file == "data/raw/x/form.xlsx"
    assert "download the form's XLSForm again" in err.value.fix


@pytest.mark.parametrize(
    "survey, choices, message",
    [
        (
            [["type", "name", "label"], ["begin_group", "g", "G"], ["text", "q", "Q"]],
            None,
            (
                "[row : 2] Unmatched 'begin_group'. No matching 'end_group' was found for the name"
                " 'g'."
            ),
        ),
        (
            [["type", "name", "label"], ["select_one nolist", "q", "Q"]],
            [["list_name", "name", "label"], ["yn", "yes", "Yes"]],
            "[row : 2] List name not in choices sheet: nolist",
        ),
        (
            [["type", "name", "label"], ["select_one yn", "q", "Q"]],
            None,
            "There should be a choices sheet in this xlsform.",
        ),
    ],
)
def test_invalid_xlsform_is_an_error_quoting_pyxform(tmp_path, survey, choices, message):
    _form(tmp_path / "form.xlsx", survey, choices)
    with pytest.raises(InputError) as err:
        read_xlsform(tmp_path / "form.xlsx", "form.xlsx")
    assert err.value.problem.startswith(f"cannot read XLSForm: pyxform rejects it ({message}")
    assert err.value.file == "form.xlsx" and "xlsform.org" in err.value.fix


def test_a_byte_the_encoding_cannot_read_is_named_on_its_own_line(tmp_path):
    """pandas reports the offset within the chunk it decodes; the error names the file's line."""
    from analysis.ingest.readers import read_csv

    rows = ["id,place"] + [f"{k},Jomi" for k in range(1, 7)] + ["7,Jom\xed"]
    path = tmp_path / "register.csv"
    path.write_bytes("\n".join(rows).encode("latin-1"))
    with pytest.raises(InputError) as err:
        read_csv(path, "register.csv")
    text = str(err.value)
    assert "on line 8" in text and "row 7" in text and "encoding" in text
