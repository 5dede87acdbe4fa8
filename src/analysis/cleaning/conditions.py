"""Row conditions written in config (exclusion rules, consistency checks, table and claim filters).

A condition is written `{variable: <name>, <op>: <value>}` (an `analysis.model.Condition`); a list
of conditions means all must hold.

Missing values (an empty cell, a missing code, a value outside `valid_range`) have one rule per
operator:

  operator                  a present value                          a missing value
  equals: v                 the value is v                            false
  in: [v, ...]              the value is one of the list              false
  not_equals: v             the value is not v                        TRUE  (exactly `not equals`)
  not_in: [v, ...]          the value is none of the list             TRUE  (exactly `not in`)
  matches: regex            Python `re.search` finds the pattern       false
  less_than / greater_than  the value is a number and compares so      false (text that is not a
                                                                              number too)
  missing: true / false     false / true                              true / false

So `not_equals` and `not_in` are the exact negations of `equals` and `in`: a consent rule
`{variable: consent, not_equals: "Yes"}` excludes an interview whose consent is blank, as it must.
To spare missing values from such a rule, add `{variable: consent, missing: false}` to a list of
conditions. `null` stands for "missing" wherever a value is expected: `equals: null` is
`missing: true`, `not_equals: null` is `missing: false`, and `in: [No, null]` holds for "No" or a
missing value.

Values compare as they are after harmonisation (labels such as "Yes", numbers for integer/number
variables). A condition on an unknown variable, with no or several operators, or with an invalid
regular expression is an InputError naming the source and the fix (a value of the wrong kind never
gets here: the schema and the model refuse it). Work is done once per distinct value of the column,
not per row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.model import OPERATORS, Condition


def _is_null(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _distinct(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """(codes, uniques) of a column: codes index the distinct non-missing values, -1 marks a missing
    value. A categorical column gives its own codes and categories (no work per row)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(), pd.Index(col.cat.categories)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return np.asarray(codes), pd.Index(uniques)


def _spread(codes: np.ndarray, per_value: np.ndarray) -> np.ndarray:
    """One bool per distinct value -> one per row; missing rows (code -1) get False."""
    return np.append(np.asarray(per_value, dtype=bool), False)[codes]


def compile_pattern(pattern, source: str, variable: str | None = None) -> re.Pattern:
    """The compiled regular expression of a `matches:` condition, or an InputError saying what is
    wrong."""
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise InputError(
            f"`matches: {pattern!r}` is not a valid regular expression ({exc})",
            file=source,
            column=variable,
            key="matches",
            fix=(
                "correct the pattern (Python `re` syntax); to match text literally, escape the "
                "characters . ^ $ * + ? ( ) [ ] { } | \\ with a backslash"
            ),
        ) from None


def _present_hit(col: pd.Series, op: str, value, source: str, var: str) -> np.ndarray:
    """Rows with a present value for which `op: value` holds (missing rows: False)."""
    codes, uniques = _distinct(col)
    if op in ("equals", "in"):
        wanted = [value] if op == "equals" else list(value)
        wanted = [w for w in wanted if not _is_null(w)]
        return _spread(codes, uniques.isin(wanted))
    if op == "matches":
        pattern = compile_pattern(value, source, var)
        text = pd.Series(uniques.astype(str), dtype=object)
        return _spread(
            codes, text.map(lambda s: pattern.search(s) is not None).to_numpy(dtype=bool)
        )
    numbers = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        per_value = numbers < float(value) if op == "less_than" else numbers > float(value)
    return _spread(codes, per_value)


def _one(frame: pd.DataFrame, cond: Condition, source: str) -> np.ndarray:
    var = cond.variable
    if var not in frame.columns:
        raise InputError(
            f"condition refers to unknown variable '{var}'",
            file=source,
            column=var,
            fix=f"use one of the dataset's variables: {', '.join(sorted(map(str, frame.columns)))}",
        )
    written = cond.operators
    if len(written) != 1:
        raise InputError(
            f"condition on '{var}' needs exactly one operator, found"
            f" {[op for op, _ in written] or 'none'}",
            file=source,
            fix=f"use one of: {', '.join(OPERATORS)}",
        )
    col = frame[var]
    op, value = written[0]
    missing = col.isna().to_numpy(dtype=bool)
    if op == "missing":
        return missing if value else ~missing
    # the value's kind (a list for in/not_in, a number for less_than/greater_than) is the model's
    # type
    if op in ("equals", "not_equals"):
        null_wanted = _is_null(value)
    elif op in ("in", "not_in"):
        null_wanted = any(_is_null(v) for v in value)
    else:
        null_wanted = False
    base = {"not_equals": "equals", "not_in": "in"}.get(op, op)
    hit = _present_hit(col, base, value, source, var) | (missing & null_wanted)
    return ~hit if op != base else hit


def evaluate(
    frame: pd.DataFrame, conditions: list[Condition], source: str = "config"
) -> np.ndarray:
    """Boolean mask of the rows of `frame` satisfying every condition (see the module docstring for
    missing values)."""
    mask = np.ones(len(frame), dtype=bool)
    for cond in conditions:
        mask &= _one(frame, cond, source)
    return mask
