"""Cleaning on the shipped (synthetic) data and on small crafted inputs."""

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from analysis.cleaning.clean import RowAccountingError, clean_dataset
from analysis.config import load_project
from analysis.errors import InputError
from analysis.model import (
    CORE_RESPONDENT_COLUMNS,
    BandsDerivation,
    Check,
    ConditionRule,
    Country,
    Dataset,
    Design,
    Indicator,
    Project,
    Settings,
    Source,
)
from tests.conftest import ROOT, copy_project


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
    for (_country, dataset), result in cleaned.items():
        if dataset != "respondents":
            continue
        data = result.data
        assert CORE_RESPONDENT_COLUMNS == list(data.columns[: len(CORE_RESPONDENT_COLUMNS)])
        assert not data.duplicated(["respondent_id", "wave"]).any()
        # an age band is missing only where age was missing and no fallback question existed
        # (logged)
        log = result.log
        no_age = set(
            log.loc[(log["variable"] == "age"), "source_row"].astype(int).astype(str) + log["wave"]
        )
        fallback = set(
            log.loc[(log["variable"] == "age_band"), "source_row"].astype(int).astype(str)
            + log["wave"]
        )
        rows_without_band = set(
            data.loc[data["age_band"].isna(), "source_row"].astype(str)
            + data.loc[data["age_band"].isna(), "wave"]
        )
        assert rows_without_band == no_age - fallback
    assert cleaned[("rwanda", "respondents")].data["age_band"].notna().all()


def test_expected_exclusion_reasons_present(cleaned):
    reasons = set(cleaned[("rwanda", "respondents")].exclusions["rule"])
    assert {"test_submission", "no_consent", "duplicate_submission", "under_18"} <= reasons


def test_rwanda_endline_figure_conflict_flagged_as_warning_not_fixed(cleaned):
    result = cleaned[("rwanda", "respondents")]
    warnings = result.log[(result.log["severity"] == "warning") & (result.log["wave"] == "endline")]
    assert len(warnings) == 2  # 22 men in "Under 30" groups, 20 men aged 18-30
    men = result.data[(result.data["wave"] == "endline") & (result.data["sex"] == "Male")]
    assert men["social_group"].str.startswith("Under 30").sum() == 22
    assert men["age_band"].isin(["18–20", "21–25", "26–30"]).sum() == 20


def test_changed_values_are_logged_with_rule(cleaned):
    log = cleaned[("rwanda", "respondents")].log
    ages = log[log["variable"] == "age"]
    assert set(ages["rule"]) == {"missing code -> NA", "out of valid range [12, 100] -> NA"}
    assert (log[log["variable"] == "age_band"]["rule"].str.contains("age_group")).sum() == len(ages)


def test_indicators_are_zero_one_or_missing(cleaned, project):
    """Share indicators are 0/1/NA; mean indicators (means, scales, counts) are numbers."""
    for (country, dataset), result in cleaned.items():
        if dataset != "respondents":
            continue
        for ind in project.indicators_of(country):
            column = result.data[ind.id]
            if ind.countries[country].measure == "mean":
                assert column.dtype == "float64" and column.notna().any(), f"{country}/{ind.id}"
                continue
            values = set(column.dropna().astype(int))
            assert values <= {0, 1} and values, f"{country}/{ind.id}"


def test_no_pii_in_clean_data(cleaned, project):
    for (country, dataset), result in cleaned.items():
        pii = project.countries[country].datasets[dataset].pii
        frames = [result.data, result.exclusions, result.log]
        for frame in frames:
            assert not set(pii) & set(frame.columns)
        # and no identifier values: read them from the raw files and look for them in every output
        for src in project.countries[country].datasets[dataset].sources:
            from analysis.ingest.readers import read_source

            raw = read_source(ROOT, src).frame
            cols = [c for c in raw.columns if c in pii]
            names = {str(v) for v in raw[cols].to_numpy().ravel()} - {"", "nan", "None"}
            text = "\n".join(f.astype(str).to_csv() for f in frames)
            assert names and not any(name in text for name in names)


def _tiny_project(tmp_path: Path, mutate) -> Project:
    root = copy_project(tmp_path)
    path = root / "config" / "countries" / "tajikistan.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(cfg, root)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return load_project(root)


def _dataset(**written) -> Dataset:
    """A register dataset as the model reads it from YAML (one source, no variables unless
    given)."""
    return Dataset.model_validate(
        {
            "role": "register",
            "sources": [{"wave": "w", "file": "raw.csv", "format": "csv"}],
            "variables": {},
            **written,
        }
    )


def _project(datasets: dict, indicators: list[dict], root: Path = ROOT) -> Project:
    """A project of one country "c" with these datasets (YAML mappings) and indicators."""
    return Project(
        root=root,
        settings=Settings(countries=["c"]),
        countries={
            "c": Country.model_validate({"country": "c", "label": "C", "datasets": datasets})
        },
        indicators=[Indicator.model_validate(i) for i in indicators],
    )


def _checks(*written) -> list[Check]:
    return [Check.model_validate(c) for c in written]


def test_unknown_code_stops_with_file_column_row_and_fix(tmp_path):
    def mutate(cfg, root):
        csv = root / "data/raw/tajikistan/qualitative_register.csv"
        text = csv.read_text(encoding="utf-8").replace(",FGD\n", ",Group talk\n", 1)
        csv.write_text(text, encoding="utf-8")

    project = _tiny_project(tmp_path, mutate)
    with pytest.raises(InputError) as err:
        clean_dataset(project, "tajikistan", "participants")
    e = err.value
    assert (
        e.file == "data/raw/tajikistan/qualitative_register.csv" and e.column == "Collection type"
    )
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
    import analysis.cleaning.clean as clean

    real = clean.derive
    # a bug that silently drops a kept row (e.g. an inner merge) must stop the run
    monkeypatch.setattr(
        clean, "derive", lambda frame, spec, logs: real(frame, spec, logs).iloc[:-1]
    )
    with pytest.raises(RowAccountingError, match="neither kept nor excluded"):
        clean_dataset(project, "tajikistan", "participants")


@pytest.mark.parametrize(
    "kept, excluded, ok",
    [
        ([1, 2, 4], [3], True),
        ([1, 2], [3], False),
        ([1, 2, 3], [3], False),
        ([1, 2, 3, 5], [], False),
    ],
)
def test_check_row_accounting(kept, excluded, ok):
    from analysis.cleaning.clean import check_row_accounting

    if ok:
        check_row_accounting("f", 4, kept, excluded)
    else:
        with pytest.raises(RowAccountingError):
            check_row_accounting("f", 4, kept, excluded)


def test_missing_text_in_a_consistency_check_is_logged_as_NA():
    from analysis.cleaning.clean import consistency_warnings

    frame = pd.DataFrame(
        {"village": pd.array(["a", None, "b"], dtype="string"), "age": [30, 40, None]}
    )
    log = consistency_warnings(
        frame,
        _checks(
            {"when": [{"variable": "village", "missing": True}], "warning": "no village"},
            {"when": {"variable": "age", "missing": True}, "warning": "no age"},
        ),
        "cfg",
    )
    assert log[["row_index", "raw_value"]].values.tolist() == [[1, "NA"], [2, "NA"]]


def test_respondents_without_an_id_column_get_the_core_columns_message(tmp_path):
    root = copy_project(tmp_path)
    path = root / "config/countries/rwanda.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["datasets"]["respondents"]["variables"]["respondent_key"] = doc["datasets"]["respondents"][
        "variables"
    ].pop("respondent_id")
    for source in doc["datasets"]["respondents"]["sources"]:
        if "respondent_id" in source.get("columns", {}):
            source["columns"]["respondent_key"] = source["columns"].pop("respondent_id")
    doc["datasets"]["respondents"]["record_id"] = "respondent_key"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError, match="lack harmonised column"):
        clean_dataset(load_project(root), "rwanda", "respondents")


# --- issue 13: checks that flag nothing, free text, bands, indicator values, panels, dates --------
def test_a_check_that_flags_nothing_gives_an_empty_typed_log():
    from analysis.cleaning.clean import consistency_warnings

    frame = pd.DataFrame({"age": pd.array([30, 40], dtype="Int64"), "sex": ["F", "M"]})
    log = consistency_warnings(
        frame,
        _checks(
            {
                "when": [
                    {"variable": "age", "greater_than": 150},
                    {"variable": "sex", "equals": "F"},
                ],
                "warning": "too old",
            }
        ),
        "cfg",
    )
    assert log.empty and list(log.columns) == [
        "row_index",
        "variable",
        "raw_value",
        "clean_value",
        "rule",
        "severity",
    ]


def test_withheld_text_is_not_shown_in_a_check():
    from analysis.cleaning.clean import consistency_warnings

    frame = pd.DataFrame(
        {"note": pd.array(["call 0788123456", "x"], dtype="string"), "age": [15, 40]}
    )
    log = consistency_warnings(
        frame,
        _checks(
            {
                "when": [
                    {"variable": "age", "less_than": 18},
                    {"variable": "note", "missing": False},
                ],
                "warning": "young",
            }
        ),
        "cfg",
        withheld={"note"},
    )
    assert log["raw_value"].tolist() == ["15 | [withheld free text]"]


def test_shipped_free_text_stays_out_of_processed_data_and_logs(cleaned, project):
    from analysis.cleaning.clean import dataset_text_policy

    for (country, name), result in cleaned.items():
        dataset = project.countries[country].datasets[name]
        withheld = dataset_text_policy(dataset).withheld
        assert not withheld & set(result.data.columns)
        assert not result.log["variable"].isin(list(withheld)).any()
    withheld_rw = dataset_text_policy(project.countries["rwanda"].datasets["respondents"]).withheld
    assert {"social_group_other", "village", "enumerator", "submission_id"} <= withheld_rw
    assert (
        "respondent_id" not in withheld_rw
        and "cluster" in cleaned[("rwanda", "respondents")].data.columns
    )


def test_text_policy_keeps_ids_and_design_keys_and_withholds_copies():
    from analysis.cleaning.free_text import text_policy

    dataset = _dataset(
        record_id="pid",
        design={"type": "panel", "panel_key": "pid", "cluster": "cluster"},
        variables={
            "pid": {"type": "text"},
            "village": {"type": "text"},
            "other": {"type": "text", "publish": True},
            "sex": {},
        },
        derive={
            "cluster": {"concat": ["sex", "village"]},
            "other_copy": {"copy": "village"},
            "note": {"copy": "other"},
        },
    )
    policy = text_policy(dataset)
    assert policy.withheld == {"village", "other_copy"} and policy.scanned == {"other"}


def test_redaction_counts_without_values_and_only_whole_words():
    from analysis.cleaning.free_text import redact, redaction_rule

    text = pd.Series(
        [
            "Ask Amina Karimova on +992 93 555 1234 or amina.k@mail.tj",
            "Aminata came",
            None,
            "on 2023-05-01",
        ],
        index=[10, 11, 12, 13],
        dtype="string",
    )
    pii = pd.DataFrame(
        {"name": ["Amina Karimova", "Amina Karimova", "X", "Y"]}, index=[10, 11, 12, 13]
    )
    out, counts = redact(text, pii)
    assert out.tolist()[0] == "Ask [redacted identifier] on [redacted phone] or [redacted e-mail]"
    assert out.iloc[1] == "Aminata came" and pd.isna(out.iloc[2]) and out.iloc[3] == "on 2023-05-01"
    assert counts.values.tolist() == [[10, 1, 1, 1]]
    rule = redaction_rule(counts).iloc[0]
    assert (
        "Amina" not in rule
        and "1 phone number" in rule
        and "1 e-mail address" in rule
        and "1 identifier" in rule
    )


def test_band_coverage_stops_when_used_and_warns_otherwise():
    from analysis.cleaning.clean import band_coverage

    frame = pd.DataFrame(
        {
            "age": pd.array([20, 40, None, 70], dtype="Int64"),
            "band": ["18–35", "36–60", None, None],
            "source_row": [1, 2, 3, 4],
        }
    )
    derivations = {
        "band": BandsDerivation.model_validate(
            {
                "from": "age",
                "bands": [
                    {"label": "18–35", "min": 18, "max": 35},
                    {"label": "36–60", "min": 36, "max": 60},
                ],
            }
        )
    }
    source = Source(wave="w", file="raw.csv", format="csv")
    log = band_coverage(frame, derivations, {}, "cfg", source)
    assert log[["row_index", "raw_value", "severity"]].values.tolist() == [[3, "70", "warning"]]
    with pytest.raises(
        InputError, match=r"'band' leaves 1 kept row\(s\) outside every band: 'age' = 70"
    ) as err:
        band_coverage(frame, derivations, {"band": ["table 'f1'"]}, "cfg", source)
    assert (
        "raw.csv, row 4" in err.value.problem
        and "table 'f1'" in err.value.fix
        and err.value.key == "band"
    )


def test_indicator_values_are_checked_against_labels_codes_or_data():
    from analysis.cleaning.clean import check_indicator_values

    def project(positive):
        return _project(
            {},
            [
                {
                    "id": "ind",
                    "label": "Ind",
                    "improvement": "increase",
                    "countries": {"c": {"variable": "n", "positive": positive}},
                }
            ],
        )

    with pytest.raises(InputError, match="write 1 without quotes"):
        check_indicator_values(project(["1"]), "c", {"n": None}, {"n": {0, 1}})
    check_indicator_values(project([1]), "c", {"n": None}, {"n": {0.0, 1.0}})  # 1 == 1.0: fine
    with pytest.raises(InputError, match="labels, not the raw codes"):
        check_indicator_values(project([1]), "c", {"n": {"Yes", "No"}}, {})


def test_merged_value_sets_follow_derivations():
    from analysis.cleaning.clean import SourceResult, merge_value_sets

    parts = [
        SourceResult(None, None, None, {}, None, {"a": {"x"}, "t": None}),
        SourceResult(None, None, None, {}, None, {"a": {"y"}, "age": None}),
    ]
    dataset = _dataset(
        derive={
            "b": {"copy": "a"},
            "band": {"from": "age", "bands": [{"label": "L", "min": 0, "max": 1}]},
            "m": {"from": "a", "map": {"x": "X", "y": None}},
            "k": {"concat": ["a", "a"]},
        }
    )
    merged = merge_value_sets(parts, dataset)
    assert merged["a"] == {"x", "y"} and merged["b"] == {"x", "y"} and merged["band"] == {"L"}
    assert merged["m"] == {"X"} and merged["k"] is None and merged["t"] is None


def _panel(ages_0, ages_1, sexes_1=None):
    n = len(ages_0)
    ids = [f"p{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "respondent_id": ids * 2,
            "wave": ["base"] * n + ["end"] * n,
            "sex": pd.Categorical(["F"] * n + (sexes_1 or ["F"] * n)),
            "age": pd.array(ages_0 + ages_1, dtype="Int64"),
            "source_file": ["b.csv"] * n + ["e.csv"] * n,
            "source_row": list(range(1, n + 1)) * 2,
        }
    )
    return frame


def test_panel_pairs_that_may_be_two_people_are_flagged():
    from analysis.cleaning.clean import panel_consistency_warnings

    design = Design(type="panel", panel_key="respondent_id")
    frame = _panel([30, 40, 50, 60, 20], [32, 42, 52, 75, None], ["F", "F", "M", "F", "F"])
    flags = panel_consistency_warnings(frame, design, ["base", "end"], "respondent_id")
    assert flags[["source_file", "source_row", "variable", "raw_value"]].values.tolist() == [
        ["e.csv", 3, "sex", "F (base) | M (end)"],
        ["e.csv", 4, "age", "60 (base) | 75 (end)"],
    ]
    assert "expected 2 (the median change)" in flags["rule"].iloc[1] and set(flags["severity"]) == {
        "warning"
    }
    # with the time between the waves configured, a uniform 2-year change of a 6-year study is
    # flagged throughout
    design = Design.model_validate(
        {
            "type": "panel",
            "panel_key": "respondent_id",
            "panel_consistency": {"years_between_waves": 6, "age_tolerance_years": 1},
        }
    )
    flags = panel_consistency_warnings(frame, design, ["base", "end"], "respondent_id")
    assert (flags["variable"] == "age").sum() == 4 and "expected 6 (years_between_waves)" in flags[
        "rule"
    ].iloc[-1]
    assert panel_consistency_warnings(
        frame, Design(type="independent"), ["base", "end"], "respondent_id"
    ).empty


def test_dates_after_fieldwork_or_in_the_future_are_flagged():
    import datetime

    from analysis.cleaning.clean import late_dates

    frame = pd.DataFrame({"date": ["2023-05-01", "2023-06-15", None, "2031-01-01"]})
    dataset = _dataset(variables={"date": {"type": "date"}})
    log = late_dates(
        frame,
        dataset,
        Source(wave="w", file="r.csv", format="csv"),
        "cfg",
        today=datetime.date(2030, 1, 1),
    )
    assert log[["row_index", "raw_value"]].values.tolist() == [[3, "2031-01-01"]]
    assert log["rule"].iloc[0] == "date in the future (after the day of the run); kept, check it"
    log = late_dates(
        frame,
        dataset,
        Source(wave="w", file="r.csv", format="csv", fieldwork_end="2023-05-31"),
        "cfg",
    )
    assert log["row_index"].tolist() == [1, 3] and "(2023-05-31)" in log["rule"].iloc[0]


def test_blank_rows_are_excluded_first_and_counted(tmp_path):
    (tmp_path / "raw.csv").write_text("pid,consent\np1,Yes\n\n,\np4,\np5,No\n", encoding="utf-8")
    dataset = {
        "role": "register",
        "record_id": "pid",
        "sources": [{"wave": "w", "file": "raw.csv", "format": "csv"}],
        "variables": {"pid": {"type": "text"}, "consent": {"values": {"Yes": "Yes", "No": "No"}}},
        "exclusions": [
            {
                "id": "no_consent",
                "reason": "no consent",
                "when": {"variable": "consent", "not_equals": "Yes"},
            }
        ],
    }
    result = clean_dataset(_project({"d": dataset}, [], root=tmp_path), "c", "d")
    assert result.exclusions[["source_row", "rule"]].values.tolist() == [
        [2, "blank_row"],
        [3, "blank_row"],
        [4, "no_consent"],
        [5, "no_consent"],
    ]
    assert result.data["source_row"].tolist() == [1]
    assert result.accounting[["raw_rows", "kept", "excluded"]].values.tolist() == [[5, 1, 4]]


def test_an_unknown_code_that_decides_an_exclusion_stops_the_run():
    """ "maybe" in consent reads as missing; `not_equals: Yes` must not quietly exclude the
    interview as refused."""
    from analysis.cleaning.clean import decided_by_unknown

    unknown = pd.DataFrame(
        {"row_index": [0, 1, 2, 5], "variable": ["consent", "q1", "consent", "consent"]}
    )
    excluded = pd.DataFrame({"rule": ["no_consent", "test", "test"]}, index=[0, 1, 2])
    rules = [
        ConditionRule.model_validate(r)
        for r in (
            {
                "id": "test",
                "reason": "test",
                "when": {"variable": "enumerator", "matches": "^test"},
            },
            {
                "id": "no_consent",
                "reason": "no consent",
                "when": {"variable": "consent", "not_equals": "Yes"},
            },
        )
    ]
    # row 0: excluded because of its unknown consent;
    # rows 1, 2: test submissions (unknowns elsewhere do not matter);
    # row 5: kept (reported anyway)
    assert decided_by_unknown(unknown, excluded, rules).tolist() == [True, False, False, False]
