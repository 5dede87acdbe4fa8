"""Cleaning on the shipped (synthetic) data and on small crafted inputs."""
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from analysis.clean import CORE_RESPONDENT_COLUMNS, RowAccountingError, clean_dataset
from analysis.config import load_project
from analysis.errors import InputError

from .conftest import ROOT, copy_project


def test_row_accounting_holds_for_every_raw_file(cleaned):
    for result in cleaned.values():
        acc = result.accounting
        assert (acc["raw_rows"] == acc["kept"] + acc["excluded"]).all()
        for file, group in result.exclusions.groupby("source_file"):
            assert len(group) == acc.loc[acc["source_file"] == file, "excluded"].item()
        assert len(result.data) == acc["kept"].sum()


def test_raw_row_counts_are_the_files_own(cleaned):
    acc = pd.concat([r.accounting for r in cleaned.values()]).set_index("source_file")["raw_rows"]
    for file, n in acc.items():
        path = ROOT / file
        if path.suffix == ".sav":
            assert pyreadstat.read_sav(str(path), metadataonly=True)[1].number_rows == n
        elif path.suffix == ".csv":
            sep = ";" if "kobo" in path.name else ","
            assert len(pd.read_csv(path, sep=sep, dtype=str)) == n


def test_respondents_have_core_columns_and_one_row_per_respondent_and_wave(cleaned):
    for (country, dataset), result in cleaned.items():
        if dataset != "respondents":
            continue
        data = result.data
        assert CORE_RESPONDENT_COLUMNS == list(data.columns[: len(CORE_RESPONDENT_COLUMNS)])
        assert not data.duplicated(["respondent_id", "wave"]).any()
        # an age band is missing only where age was missing and no fallback question existed (logged)
        log = result.log
        no_age = set(log.loc[(log["variable"] == "age"), "source_row"].astype(int).astype(str) + log["wave"])
        fallback = set(log.loc[(log["variable"] == "age_band"), "source_row"].astype(int).astype(str) + log["wave"])
        rows_without_band = set(data.loc[data["age_band"].isna(), "source_row"].astype(str) + data.loc[data["age_band"].isna(), "wave"])
        assert rows_without_band == no_age - fallback
    assert cleaned[("rwanda", "respondents")].data["age_band"].notna().all()


def test_expected_exclusion_reasons_present(cleaned):
    reasons = set(cleaned[("rwanda", "respondents")].exclusions["rule"])
    assert {"test_submission", "no_consent", "duplicate_submission", "under_18"} <= reasons


def test_rwanda_endline_figure_conflict_flagged_as_warning_not_fixed(cleaned):
    result = cleaned[("rwanda", "respondents")]
    warnings = result.log[(result.log["severity"] == "warning") & (result.log["wave"] == "endline")]
    assert len(warnings) == 2                                   # 22 men in "Under 30" groups, 20 men aged 18-30
    men = result.data[(result.data["wave"] == "endline") & (result.data["sex"] == "Male")]
    assert men["social_group"].str.startswith("Under 30").sum() == 22
    assert men["age_band"].isin(["18–20", "21–25", "26–30"]).sum() == 20


def test_changed_values_are_logged_with_rule(cleaned):
    log = cleaned[("rwanda", "respondents")].log
    ages = log[log["variable"] == "age"]
    assert set(ages["rule"]) == {"missing code -> NA", "out of valid range [12, 100] -> NA"}
    assert (log[log["variable"] == "age_band"]["rule"].str.contains("age_group")).sum() == len(ages)


def test_indicators_are_zero_one_or_missing(cleaned, project):
    for (country, dataset), result in cleaned.items():
        if dataset != "respondents":
            continue
        for ind in project["indicators"]:
            if country in ind["countries"]:
                values = set(result.data[ind["id"]].dropna().astype(int))
                assert values <= {0, 1} and values, f"{country}/{ind['id']}"


def test_no_pii_in_clean_data(cleaned, project):
    for (country, dataset), result in cleaned.items():
        pii = project["countries"][country]["datasets"][dataset]["pii"]
        frames = [result.data, result.exclusions, result.log]
        for frame in frames:
            assert not set(pii) & set(frame.columns)
        # and no identifier values: read them from the raw files and look for them in every output
        for src in project["countries"][country]["datasets"][dataset]["sources"]:
            from analysis.readers import read_source
            raw = read_source(ROOT, src).frame
            cols = [c for c in raw.columns if c in pii]
            names = {str(v) for v in raw[cols].to_numpy().ravel()} - {"", "nan", "None"}
            text = "\n".join(f.astype(str).to_csv() for f in frames)
            assert names and not any(name in text for name in names)


def _tiny_project(tmp_path: Path, mutate) -> dict:
    root = copy_project(tmp_path)
    path = root / "config" / "countries" / "tajikistan.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(cfg, root)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return load_project(root)


def test_unknown_code_stops_with_file_column_row_and_fix(tmp_path):
    def mutate(cfg, root):
        csv = root / "data/raw/tajikistan/qualitative_register.csv"
        text = csv.read_text(encoding="utf-8").replace(",FGD\n", ",Group talk\n", 1)
        csv.write_text(text, encoding="utf-8")
    project = _tiny_project(tmp_path, mutate)
    with pytest.raises(InputError) as err:
        clean_dataset(project, "tajikistan", "participants")
    e = err.value
    assert e.file == "data/raw/tajikistan/qualitative_register.csv" and e.column == "Collection type"
    assert "Group talk" in e.problem and isinstance(e.row, int) and "values:" in e.fix


def test_missing_column_names_the_column_and_the_fix(tmp_path):
    def mutate(cfg, root):
        cfg["datasets"]["participants"]["sources"][0]["columns"]["location"] = "Locaton"
    project = _tiny_project(tmp_path, mutate)
    with pytest.raises(InputError) as err:
        clean_dataset(project, "tajikistan", "participants")
    assert err.value.column == "Locaton" and "columns:" in err.value.fix


def test_pii_column_cannot_become_a_variable(tmp_path):
    def mutate(cfg, root):
        cfg["datasets"]["participants"]["sources"][0]["columns"]["participant_no"] = "Full name"
    project = _tiny_project(tmp_path, mutate)
    with pytest.raises(InputError, match="pii"):
        clean_dataset(project, "tajikistan", "participants")


def test_row_accounting_violation_is_raised(monkeypatch, project):
    import analysis.clean as clean

    real = clean.derive
    # a bug that silently drops a kept row (e.g. an inner merge) must stop the run
    monkeypatch.setattr(clean, "derive", lambda frame, spec, logs: real(frame, spec, logs).iloc[:-1])
    with pytest.raises(RowAccountingError, match="neither kept nor excluded"):
        clean_dataset(project, "tajikistan", "participants")


@pytest.mark.parametrize("kept, excluded, ok", [
    ([1, 2, 4], [3], True), ([1, 2], [3], False), ([1, 2, 3], [3], False), ([1, 2, 3, 5], [], False),
])
def test_check_row_accounting(kept, excluded, ok):
    from analysis.clean import check_row_accounting
    if ok:
        check_row_accounting("f", 4, kept, excluded)
    else:
        with pytest.raises(RowAccountingError):
            check_row_accounting("f", 4, kept, excluded)


def test_missing_text_in_a_consistency_check_is_logged_as_NA():
    from analysis.clean import consistency_warnings
    frame = pd.DataFrame({"village": pd.array(["a", None, "b"], dtype="string"), "age": [30, 40, None]})
    log = consistency_warnings(frame, [{"when": [{"variable": "village", "missing": True}], "warning": "no village"},
                                       {"when": {"variable": "age", "missing": True}, "warning": "no age"}], "cfg")
    assert log[["row_index", "raw_value"]].values.tolist() == [[1, "NA"], [2, "NA"]]


def test_respondents_without_an_id_column_get_the_core_columns_message(tmp_path):
    root = copy_project(tmp_path)
    path = root / "config/countries/rwanda.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["datasets"]["respondents"]["variables"]["respondent_key"] = doc["datasets"]["respondents"]["variables"].pop("respondent_id")
    for source in doc["datasets"]["respondents"]["sources"]:
        if "respondent_id" in source.get("columns", {}):
            source["columns"]["respondent_key"] = source["columns"].pop("respondent_id")
    doc["datasets"]["respondents"]["record_id"] = "respondent_key"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError, match="lack harmonised column"):
        clean_dataset(load_project(root), "rwanda", "respondents")
