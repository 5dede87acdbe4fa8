"""Config validation: each mistake gives one clear message naming the file and the key."""

import pytest
import yaml

from analysis.config import load_project
from analysis.errors import InputError
from tests.conftest import copy_project


def _edit(root, rel, mutate):
    path = root / rel
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


@pytest.fixture()
def root(tmp_path):
    return copy_project(tmp_path)


def test_shipped_config_is_valid(project):
    assert set(project.countries) == {"rwanda", "tajikistan", "example_country"}


def test_typo_in_key_suggests_the_right_one(root):
    _edit(
        root,
        "config/countries/rwanda.yaml",
        lambda d: d["datasets"]["respondents"].update(exclusion=[]),
    )
    with pytest.raises(InputError) as err:
        load_project(root)
    assert "unknown key 'exclusion'" in err.value.problem
    assert "did you mean 'exclusions'" in err.value.fix
    assert err.value.file == "config/countries/rwanda.yaml"


def test_typo_inside_a_source_is_located(root):
    def mutate(d):
        d["datasets"]["respondents"]["sources"][0]["colums"] = d["datasets"]["respondents"][
            "sources"
        ][0].pop("columns")

    _edit(root, "config/countries/rwanda.yaml", mutate)
    with pytest.raises(InputError) as err:
        load_project(root)
    assert "datasets.respondents.sources[0]" in err.value.problem and "'columns'" in err.value.fix


def test_wrong_type_is_named(root):
    _edit(root, "config/config.yaml", lambda d: d.update(alpha="five percent"))
    with pytest.raises(InputError, match="alpha"):
        load_project(root)


def test_bad_enum_lists_allowed_values(root):
    _edit(
        root,
        "config/countries/tajikistan.yaml",
        lambda d: d["datasets"]["respondents"]["sources"][0].update(format="sas"),
    )
    with pytest.raises(InputError) as err:
        load_project(root)
    assert "'sas'" in err.value.problem and "spss" in err.value.fix


def test_unknown_country_file_is_reported(root):
    _edit(root, "config/config.yaml", lambda d: d.update(countries=["rwanda", "narnia"]))
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.file.endswith("narnia.yaml") and "not found" in err.value.problem


def test_missing_raw_file_is_reported(root):
    (root / "data/raw/tajikistan/qualitative_register.csv").unlink()
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.file == "data/raw/tajikistan/qualitative_register.csv"


def test_yaml_syntax_error_gives_line(root):
    (root / "config/config.yaml").write_text("countries: [rwanda\nalpha: 0.05\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_project(root)
    assert "YAML syntax" in err.value.problem and err.value.row is not None


def test_missing_required_key(root):
    _edit(
        root, "config/countries/rwanda.yaml", lambda d: d["datasets"]["respondents"].pop("sources")
    )
    with pytest.raises(InputError, match="'sources' is a required property"):
        load_project(root)


def test_bad_exclusion_rule_shape(root):
    _edit(
        root,
        "config/countries/rwanda.yaml",
        lambda d: d["datasets"]["respondents"]["exclusions"].append(
            {"reason": "x", "whenn": {"variable": "age"}}
        ),
    )
    with pytest.raises(InputError) as err:
        load_project(root)
    assert "exclusions[4]" in err.value.problem


def test_label_language_needs_an_xlsform_beside_it(root):
    _edit(
        root,
        "config/countries/rwanda.yaml",
        lambda d: d["datasets"]["respondents"]["sources"][0].update(label_language="English (en)"),
    )
    with pytest.raises(InputError) as err:
        load_project(root)
    assert (
        err.value.problem
        == "`label_language` at datasets.respondents.sources[0] needs `xlsform` beside it"
    )
    assert err.value.key == "label_language" and "add `xlsform:`" in err.value.fix


@pytest.mark.parametrize(
    "mapping",
    [
        {"variable": "q"},
        {"variable": "q", "positive": ["Yes"], "any_of": ["a"]},
        {"variable": "q", "any_of": ["a"], "missing": ["x"]},
    ],
)
def test_a_country_indicator_mapping_says_what_counts_as_one(mapping):
    from analysis.config import check_indicator_mapping

    with pytest.raises(InputError) as err:
        check_indicator_mapping("trust", mapping, "config/countries/x.yaml")
    assert "trust" in err.value.problem and "positive" in err.value.fix


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("power", 1.5),
        ("power", 0),
        ("target_change_pp", 0),
        ("target_change_pp", 100),
        ("target_change_sd", -0.2),
    ],
)
def test_bad_power_setting_is_refused(root, key, value):
    _edit(root, "config/config.yaml", lambda d: d.update({key: value}))
    with pytest.raises(InputError) as err:
        load_project(root)
    assert err.value.file == "config/config.yaml" and key in err.value.problem


def test_bad_country_power_setting_is_refused(root):
    _edit(root, "config/countries/rwanda.yaml", lambda d: d.update(settings={"power": 1}))
    with pytest.raises(InputError) as err:
        load_project(root)
    assert (
        err.value.file == "config/countries/rwanda.yaml" and "settings.power" in err.value.problem
    )


def test_power_settings_default_and_are_overridden_per_country(root):
    _edit(
        root,
        "config/countries/rwanda.yaml",
        lambda d: d.update(settings={"power": 0.9, "target_change_pp": 3}),
    )
    project = load_project(root)
    rwanda, tajikistan = project.settings_for("rwanda"), project.settings_for("tajikistan")
    assert (rwanda.power, rwanda.target_change_pp, rwanda.target_change_sd) == (0.9, 3, 0.2)
    assert (tajikistan.power, tajikistan.target_change_pp) == (0.8, 5.0)


def test_the_model_refuses_what_the_schema_refuses():
    from pydantic import ValidationError

    from analysis.model import CountrySettings, Settings

    for bad in ({"power": 1.0}, {"target_change_pp": 0}, {"target_change_sd": 0}):
        with pytest.raises(ValidationError):
            Settings(countries=["x"], **bad)
        with pytest.raises(ValidationError):
            CountrySettings(**bad)
    assert CountrySettings().power is None and Settings(countries=["x"]).power == 0.8
