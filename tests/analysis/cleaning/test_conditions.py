"""Row conditions: the missing-value rule of every operator, and bad conditions as InputErrors."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from analysis.cleaning.conditions import evaluate
from analysis.errors import InputError
from analysis.model import Condition

FRAME = pd.DataFrame(
    {
        "consent": pd.Categorical(["Yes", "No", None, "Yes"]),
        "enumerator": pd.array(["test1", "ann", None, "Test 2"], dtype="string"),
        "age": pd.array([17, 30, None, 18], dtype="Int64"),
        "note": ["a", None, "b", "c"],
    }
)


def conditions(written) -> list[Condition]:
    """Conditions as the model reads them from YAML (one mapping or a list of them)."""
    return [
        Condition.model_validate(c) for c in (written if isinstance(written, list) else [written])
    ]


@pytest.mark.parametrize(
    "condition, expected",
    [
        ({"variable": "consent", "equals": "Yes"}, [1, 0, 0, 1]),
        (
            {"variable": "consent", "not_equals": "Yes"},
            [0, 1, 1, 0],
        ),  # blank consent satisfies not_equals
        ({"variable": "consent", "in": ["No"]}, [0, 1, 0, 0]),
        ({"variable": "consent", "not_in": ["No"]}, [1, 0, 1, 1]),
        ({"variable": "enumerator", "matches": "(?i)^test"}, [1, 0, 0, 1]),
        ({"variable": "age", "less_than": 18}, [1, 0, 0, 0]),
        ({"variable": "age", "greater_than": 17}, [0, 1, 0, 1]),
        ({"variable": "age", "missing": True}, [0, 0, 1, 0]),
        ({"variable": "age", "missing": False}, [1, 1, 0, 1]),
        ({"variable": "note", "equals": None}, [0, 1, 0, 0]),  # null stands for missing
        ({"variable": "note", "not_equals": None}, [1, 0, 1, 1]),
        ({"variable": "consent", "in": ["No", None]}, [0, 1, 1, 0]),
        ({"variable": "consent", "not_in": ["No", None]}, [1, 0, 0, 1]),
        (
            [
                {"variable": "consent", "not_equals": "Yes"},
                {"variable": "consent", "missing": False},
            ],
            [0, 1, 0, 0],
        ),
    ],
)
def test_operators_and_missing_values(condition, expected):
    assert evaluate(FRAME, conditions(condition)).astype(int).tolist() == expected


@pytest.mark.parametrize("positive, negative", [("equals", "not_equals"), ("in", "not_in")])
@pytest.mark.parametrize("column", ["consent", "enumerator", "age", "note"])
def test_negations_are_exact(positive, negative, column):
    value = FRAME[column].dropna().iloc[0]
    arg = [value] if positive == "in" else value
    hit = evaluate(FRAME, conditions({"variable": column, positive: arg}))
    assert np.array_equal(evaluate(FRAME, conditions({"variable": column, negative: arg})), ~hit)


def test_text_that_is_not_a_number_never_compares():
    frame = pd.DataFrame({"x": ["5", "abc", None, "50"]})
    assert evaluate(frame, conditions({"variable": "x", "less_than": 10})).tolist() == [
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    "condition, message",
    [
        ({"variable": "enumerator", "matches": "(unclosed"}, "not a valid regular expression"),
        ({"variable": "enumeratr", "equals": "x"}, "unknown variable 'enumeratr'"),
        (
            {"variable": "age", "equals": 1, "in": [1]},
            r"exactly one operator, found \['equals', 'in'\]",
        ),
        ({"variable": "age"}, "exactly one operator, found none"),
    ],
)
def test_bad_conditions_are_input_errors(condition, message):
    with pytest.raises(InputError, match=message) as err:
        evaluate(FRAME, conditions(condition), "config/countries/x.yaml")
    assert err.value.file == "config/countries/x.yaml" and err.value.fix


@pytest.mark.parametrize(
    "condition", [{"variable": "age", "in": 5}, {"variable": "age", "less_than": "a number"}]
)
def test_values_of_the_wrong_kind_never_reach_a_condition(condition):
    """A list for in/not_in, a number for less_than/greater_than: the model's types (after the
    schema's messages)."""
    with pytest.raises(ValidationError):
        Condition.model_validate(condition)


def test_matches_uses_python_regex_on_every_column_type():
    """One regex dialect (Python `re`) whatever the column's storage: arrow text, categories or
    objects."""
    for values in (
        pd.array(["ab1", "xy"], dtype="string"),
        pd.Categorical(["ab1", "xy"]),
        ["ab1", "xy"],
    ):
        frame = pd.DataFrame({"v": values})
        assert evaluate(frame, conditions({"variable": "v", "matches": r"(?<=b)\d"})).tolist() == [
            True,
            False,
        ]
