"""The arm of every respondent (programme or comparison) from a design's `arm` and `arm_levels`,
checked: cleaning stops on a value that is neither level or a panel member who changes arm, and the
difference in differences (`analysis.survey.did`) reads the same labels.

Public surface: `arm_labels(data, design, country, source)`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from analysis.errors import InputError
from analysis.survey.design import Design

ARMS = ("programme", "comparison")  # the labels `arm_labels` gives


def _matches(values: pd.Series, level: str) -> np.ndarray:
    """Whether each value is `level`: the same text, or for a numeric column the same number."""
    hit = (values.astype("string").str.strip() == str(level).strip()).fillna(False)
    hit = hit.to_numpy(dtype=bool)
    if is_numeric_dtype(values):
        number = pd.to_numeric(pd.Series([level]), errors="coerce").iloc[0]
        if pd.notna(number):
            hit |= values.to_numpy(dtype=float, na_value=np.nan) == float(number)
    return hit


def _rows_where(
    data: pd.DataFrame, bad: np.ndarray, country: str, source: str | None
) -> tuple[str, str]:
    """(file, rows) naming up to five rows of `bad`: the raw file and its rows when the data carry
    `source_file` / `source_row` (cleaning), else `source` (or the country config) and the rows of
    the respondent table (1-based)."""
    at = np.flatnonzero(bad)
    if {"source_file", "source_row"} <= set(data.columns):
        files = data["source_file"].to_numpy()[at]
        at = at[files == files[0]]
        rows = data["source_row"].to_numpy()[at][:5]
        return str(files[0]), ", ".join(str(int(r)) for r in rows)
    rows = ", ".join(str(int(r) + 1) for r in at[:5])
    return source or f"config/countries/{country}.yaml", rows


def arm_labels(
    data: pd.DataFrame, design: Design, country: str, source: str | None = None
) -> np.ndarray:
    """Each respondent's arm, "programme" or "comparison", from `design.arm` and `arm_levels`.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents with the arm variable (and `panel_key` for a panel; `source_file` and
        `source_row` when cleaning, for the error's location).
    design : Design
        Its `arm`, `arm_levels` and panel key.
    country : str
        The country whose config file an error names.
    source : str, optional
        The respondent file an error names (default: the country config).

    Returns
    -------
    numpy.ndarray
        "programme" or "comparison" per row of `data` (object array).

    Raises
    ------
    InputError
        A value that is neither level (or missing), or a panel member in both arms.

    References
    ----------
    Angrist, J. D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics, s5.2 (a fixed
    assignment to arms).
    """
    levels = design.arm_levels
    if design.arm is None or levels is None:  # Design requires arm_levels with arm
        raise ValueError("arm_labels needs a design with `arm` and `arm_levels`")
    values = data[design.arm]
    programme, comparison = _matches(values, levels.programme), _matches(values, levels.comparison)
    bad = ~(programme | comparison)
    if bad.any():
        found = values[bad].astype("string").fillna("(missing)").value_counts().index[:4]
        file, rows = _rows_where(data, bad, country, source)
        raise InputError(
            f"the arm variable '{design.arm}' is missing or neither '{levels.programme}'"
            f" (programme) nor '{levels.comparison}' (comparison) for {int(bad.sum())}"
            f" respondent(s): {', '.join(repr(str(v)) for v in found)} (rows {rows})",
            file=file,
            column=design.arm,
            row=rows,
            fix=(
                f"recode '{design.arm}' to one of the two `arm_levels` of the design in"
                f" config/countries/{country}.yaml, correct `arm_levels:`, or exclude those"
                " respondents with an `exclusions:` rule"
            ),
        )
    labels = np.where(programme, ARMS[0], ARMS[1]).astype(object)
    if design.is_panel and design.panel_key:
        _check_fixed_arm(data, labels, design, country, source)
    return labels


def _check_fixed_arm(
    data: pd.DataFrame, labels: np.ndarray, design: Design, country: str, source: str | None
) -> None:
    """Stop (InputError) when a panel member's arm differs between waves."""
    key = data[design.panel_key].to_numpy()
    arms = pd.Series(labels).groupby(key, sort=False).transform("nunique").to_numpy()
    bad = arms > 1
    if not bad.any():
        return
    people = pd.unique(key[bad])
    first = key == people[0]
    file, rows = _rows_where(data, first, country, source)
    raise InputError(
        f"{len(people)} panel member(s) change arm between waves ('{design.arm}'), e.g."
        f" {design.panel_key} '{people[0]}' (rows {rows})",
        file=file,
        column=design.arm,
        row=rows,
        fix=(
            f"give each {design.panel_key} the arm it was assigned to in every wave (the arm of a"
            " village or person never changes), or correct the panel key"
        ),
    )
