"""Hand-built indicators of a country "x" for the indicator tests."""

from __future__ import annotations

import pandas as pd

from analysis.indicators import add_indicator_columns
from analysis.model import Indicator


def indicator(ind_id: str, **mapping) -> Indicator:
    """An indicator of country "x" measured by `mapping` (the YAML keys of its kind)."""
    return Indicator.model_validate(
        {"id": ind_id, "label": ind_id, "improvement": "increase", "countries": {"x": mapping}}
    )


def column(frame: pd.DataFrame, ind: Indicator, *others: Indicator, log: list | None = None):
    """The indicator column `add_indicator_columns` gives `ind` (after `others`, e.g. a scale)."""
    out = add_indicator_columns(frame.copy(), [*others, ind], "x", log)
    return out[ind.id]


def as_list(values: pd.Series) -> list:
    """Values as plain Python objects, None for missing (Int8 NA and float NaN alike)."""
    return [None if pd.isna(v) else v for v in values.astype(object)]
