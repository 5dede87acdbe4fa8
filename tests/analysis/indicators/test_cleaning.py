"""The new kinds through the cleaning of a shipped country (rwanda, in a project copy): columns
of the right measure, winsorised and transformed values in the cleaning log, scale items kept, and
listed values checked against each item's own value set."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.cleaning.clean import clean_dataset
from analysis.config import load_project
from analysis.errors import InputError
from analysis.indicators import scale_scores

from .test_config import _root

LIKERT = {
    "Strongly disagree": 1,
    "Disagree": 2,
    "Neither agree nor disagree": 3,
    "Agree": 4,
    "Strongly agree": 5,
}
NEW = {
    "age_log": {
        "kind": "mean",
        "variable": "age",
        "unit": "log years",
        "transform": "log",
        "winsorize": {"upper_percentile": 90},
    },
    "recon_count": {
        "kind": "count_of",
        "items": ["q_recon_apology", "q_recon_legal", "q_recon_restorative"],
        "positive": ["Yes"],
        "item_missing": "ignore",
        "waves": ["endline"],
    },
    "efficacy_scale": {
        "kind": "scale",
        "items": ["q_self_efficacy", "q_shared_identity"],
        "scores": LIKERT,
        "reverse": ["q_shared_identity"],
        "item_range": [1, 5],
        "unit": "points (2-10)",
        "waves": ["endline"],
    },
    "low_efficacy": {
        "kind": "cutoff",
        "scale": "efficacy_scale",
        "scale_score": "raw",
        "operator": "<",
        "value": 6,
    },
}


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    project = load_project(_root(tmp_path_factory.mktemp("kinds"), NEW))
    return project, clean_dataset(project, "rwanda", "respondents")


def test_columns_have_their_measure_and_items_stay(cleaned):
    project, result = cleaned
    data = result.data
    assert data["age_log"].dtype == np.float64 and data["recon_count"].dtype == np.float64
    assert str(data["low_efficacy"].dtype) == "Int8"
    assert {"q_self_efficacy", "q_shared_identity", "q_recon_apology"} <= set(data.columns)
    # the existing shares are untouched by the new kinds
    assert str(data["self_efficacy"].dtype) == "Int8"
    how = next(i for i in project.indicators if i.id == "efficacy_scale").countries["rwanda"]
    raw, _ = scale_scores(data, how)
    np.testing.assert_array_equal(np.isnan(raw), data["efficacy_scale"].isna().to_numpy())
    both = data["q_self_efficacy"].notna() & data["q_shared_identity"].notna()
    assert (data["efficacy_scale"].notna() == both).all()
    # reversed second item: Agree (4) + reversed Strongly agree (1 + 5 - 5 = 1) = 5
    row = data[
        (data["q_self_efficacy"] == "Agree") & (data["q_shared_identity"] == "Strongly agree")
    ]
    assert (row["efficacy_scale"] == 5.0).all() and (row["low_efficacy"] == 1).all()
    counted = data.loc[data["wave"] == "endline", "recon_count"]
    assert counted.between(0, 3).all()


def test_winsorised_and_logged_values_are_in_the_cleaning_log(cleaned):
    _, result = cleaned
    data, log = result.data, result.log
    age = data["age"].to_numpy(dtype=float)
    limit = np.nanpercentile(age, 90)  # numpy's linear rule = R quantile type 7
    winsor = log[log["rule"].str.contains("90th percentile", regex=False)]
    assert len(winsor) == int((age > limit).sum()) > 0
    assert (winsor["variable"] == "age_log").all() and (winsor["severity"] == "change").all()
    logged = log[log["rule"] == "age_log: log(age)"]
    assert len(logged) == int((~np.isnan(age)).sum())
    np.testing.assert_allclose(data["age_log"], np.log(np.minimum(age, limit)))
    assert (
        logged["source_file"].notna().all() and logged["wave"].isin(["baseline", "endline"]).all()
    )


def test_composite_positive_checked_against_the_items_values(tmp_path):
    bad = {**NEW["recon_count"], "positive": ["yes"]}
    project = load_project(_root(tmp_path, {"recon_count": bad}))
    with pytest.raises(InputError) as err:
        clean_dataset(project, "rwanda", "respondents")
    assert (
        "lists 'yes' under `positive:`" in err.value.problem
        and "did you mean 'Yes'" in err.value.fix
    )


def test_scale_score_labels_checked_against_the_items_values(tmp_path):
    scores = {**LIKERT, "Strongly  agree": 5}
    project = load_project(_root(tmp_path, {"s": {**NEW["efficacy_scale"], "scores": scores}}))
    with pytest.raises(InputError) as err:
        clean_dataset(project, "rwanda", "respondents")
    assert "under `scores:`" in err.value.problem


def test_scale_item_that_does_not_exist_is_named(tmp_path):
    items = {**NEW["efficacy_scale"], "items": ["q_self_efficacy", "q_nowhere"], "reverse": []}
    project = load_project(_root(tmp_path, {"s": items}))
    with pytest.raises(InputError) as err:
        clean_dataset(project, "rwanda", "respondents")
    assert "reads variable 'q_nowhere'" in err.value.problem and "`items:`" in err.value.fix


def test_wave_without_valid_answers_is_the_existing_error(tmp_path):
    baseline = {**NEW["recon_count"], "waves": ["baseline", "endline"]}
    project = load_project(_root(tmp_path, {"recon_count": baseline}))
    with pytest.raises(InputError) as err:
        clean_dataset(project, "rwanda", "respondents")
    assert "has no valid answer in wave 'baseline'" in err.value.problem


def test_an_item_that_never_takes_a_positive_value_is_named(tmp_path):
    # q_self_efficacy holds Agree/Disagree labels, never "Yes": counted negative in every row
    mixed = {**NEW["recon_count"], "items": ["q_recon_apology", "q_self_efficacy"]}
    project = load_project(_root(tmp_path, {"recon_count": mixed}))
    with pytest.raises(InputError) as err:
        clean_dataset(project, "rwanda", "respondents")
    assert "item 'q_self_efficacy' never takes a `positive:` value" in err.value.problem
    assert err.value.key == "recon_count" and "remove the item" in err.value.fix
