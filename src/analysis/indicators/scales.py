"""Scale indicators: item scores (labels scored, numeric items checked, reverse-coded items
flipped) and the scale score (sum, prorated over the answered items, or mean; then multiply/add).

References: prorated sum scores ("person-mean imputation" of the unanswered items) as in
Fox-Wasylyshyn & El-Masri (2005), Handling missing data in self-report measures, Res Nurs Health
28:488-495; WHO-5 percentage score (raw 0-25 x 4) as in Topp et al. (2015), Psychother Psychosom
84:167-176.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.indicators.values import numeric_values, row_place, unanswered
from analysis.model import ScaleMapping


def _scores_of(src: pd.Series, scores: dict) -> np.ndarray:
    """Each value's score under `scores` (float64, NaN where the value has none); a categorical
    column is scored once per category."""
    if isinstance(src.dtype, pd.CategoricalDtype):
        categories = pd.Series(src.cat.categories.astype(object))
        per_category = pd.to_numeric(categories.map(scores), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        codes = src.cat.codes.to_numpy()
        return np.where(codes >= 0, np.append(per_category, np.nan)[codes], np.nan)
    scored = src.astype(object).map(scores)
    return pd.to_numeric(scored, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _scored_item(frame: pd.DataFrame, item: str, mapping: ScaleMapping) -> np.ndarray:
    """One item's scores (float64, NaN where unanswered): labels through `scores:`, else the
    numbers themselves; a label without a score is an InputError."""
    if mapping.scores is None:
        return numeric_values(frame, item, mapping.missing, item)
    src = frame[item]
    skip = unanswered(src, mapping.missing)
    values = _scores_of(src, mapping.scores)
    bad = ~skip & np.isnan(values)
    if bad.any():
        file, rows = row_place(frame, bad)
        raise InputError(
            f"scale item '{item}' holds {src.to_numpy()[np.flatnonzero(bad)[0]]!r}, which has no"
            " score under `scores:`",
            file=file,
            column=item,
            row=rows,
            fix=(
                "add the value to the scale's `scores:` (exactly as the harmonised variable holds"
                " it), or to its `missing:` if it means no answer"
            ),
        )
    return np.where(skip, np.nan, values)


def _check_range(frame: pd.DataFrame, item: str, values: np.ndarray, mapping: ScaleMapping):
    """Item scores outside `item_range` stop the run (a miscoded item would shift the score)."""
    if mapping.item_range is None:
        return
    low, high = mapping.item_range
    with np.errstate(invalid="ignore"):
        bad = (values < low) | (values > high)
    if bad.any():
        file, rows = row_place(frame, bad)
        raise InputError(
            f"scale item '{item}' has score {values[np.flatnonzero(bad)[0]]:g}, outside"
            f" item_range [{low:g}, {high:g}]",
            file=file,
            column=item,
            row=rows,
            fix=(
                "correct the value in the codebook (`recode:`/`missing:`), or `item_range:` if the"
                " items run wider"
            ),
        )


def scale_item_scores(frame: pd.DataFrame, mapping: ScaleMapping) -> pd.DataFrame:
    """Item scores of a scale indicator, one float64 column per item (named by the item), NaN
    where unanswered.

    Parameters
    ----------
    frame : DataFrame
        Respondent rows holding the scale's item variables.
    mapping : ScaleMapping
        The country's mapping (`scores`, `missing`, `item_range`, `reverse`).

    Returns
    -------
    DataFrame
        Scores in item units (item_range[0]..item_range[1] when given); a reverse-coded item is
        scored item_range[0] + item_range[1] - x.

    Raises
    ------
    InputError
        A label without a score, a non-numeric value of a numeric item, or a score outside
        `item_range` (naming variable, value, file and rows).
    """
    scores = {}
    for item in mapping.items:
        values = _scored_item(frame, item, mapping)
        _check_range(frame, item, values, mapping)
        if item in mapping.reverse:
            low, high = mapping.item_range  # type: ignore[misc]  # checked by the config
            values = low + high - values
        scores[item] = values
    return pd.DataFrame(scores, index=frame.index)


def scale_scores(frame: pd.DataFrame, mapping: ScaleMapping) -> tuple[np.ndarray, np.ndarray]:
    """(raw, reported) scale scores, float64 with NaN below `min_answered` answered items.

    raw: `score: mean` -> mean of the answered item scores; `score: sum` -> that mean x the
    number of items (the sum when every item is answered, prorated otherwise). reported = raw x
    multiply + add (e.g. WHO-5: raw 0-25 x 4 = percentage score 0-100). Units: item units
    (mean) or the sum of item units (sum); reported in the mapping's `unit`.
    References: see the module docstring (prorating; WHO-5 scoring).
    """
    items = scale_item_scores(frame, mapping).to_numpy(dtype=np.float64)
    answered = (~np.isnan(items)).sum(axis=1)
    totals = np.where(np.isnan(items), 0.0, items).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = totals / answered
    raw = mean * len(mapping.items) if mapping.score == "sum" else mean
    raw = np.where(answered >= mapping.required_answers, raw, np.nan)
    return raw, raw * mapping.multiply + mapping.add
