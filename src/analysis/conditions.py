"""Row conditions written in config (exclusion rules, consistency checks, table filters).

A condition is a mapping `{variable: <name>, <op>: <value>}`; a list of conditions means all must hold.
Operators: equals, not_equals, in, not_in, matches (regular expression), less_than, greater_than,
missing (true/false). Missing values never satisfy a comparison (except `missing: true`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError

OPERATORS = ("equals", "not_equals", "in", "not_in", "matches", "less_than", "greater_than", "missing")


def _one(frame: pd.DataFrame, cond: dict, source: str) -> np.ndarray:
    var = cond["variable"]
    if var not in frame.columns:
        raise InputError(f"condition refers to unknown variable '{var}'", file=source, column=var,
                         fix=f"use one of the dataset's variables: {', '.join(sorted(map(str, frame.columns)))}")
    col = frame[var]
    present = col.notna().to_numpy()
    ops = [op for op in OPERATORS if op in cond]
    if len(ops) != 1:
        raise InputError(f"condition on '{var}' needs exactly one operator, found {ops or 'none'}", file=source,
                         fix=f"use one of: {', '.join(OPERATORS)}")
    op, value = ops[0], cond[ops[0]]
    if op == "missing":
        return ~present if value else present
    if op == "equals":
        hit = col == value
    elif op == "not_equals":
        hit = col != value
    elif op == "in":
        hit = col.isin(value)
    elif op == "not_in":
        hit = ~col.isin(value)
    elif op == "matches":
        hit = col.astype(str).str.contains(value, regex=True)
    elif op == "less_than":
        hit = pd.to_numeric(col, errors="coerce") < value
    else:
        hit = pd.to_numeric(col, errors="coerce") > value
    return np.asarray(hit.fillna(False), dtype=bool) & present


def evaluate(frame: pd.DataFrame, conditions: dict | list, source: str = "config") -> np.ndarray:
    """Boolean mask of the rows of `frame` satisfying every condition."""
    conds = conditions if isinstance(conditions, list) else [conditions]
    mask = np.ones(len(frame), dtype=bool)
    for cond in conds:
        mask &= _one(frame, cond, source)
    return mask
