"""The indicators stage: indicator columns of every kind from harmonised respondent rows.

Public surface:
  add_indicator_columns(frame, indicators, country, log_rows=None) -> frame with one column per
    indicator (Int8 0/1/NA for share measures, float64 for mean measures)
  scale_item_scores(frame, mapping) -> DataFrame of a scale's item scores (reverse-coded, NaN
    where unanswered)
  scale_scores(frame, mapping) -> (raw, reported) scale scores
  measure_of(indicators, country) -> {indicator id: "share" | "mean"}
  scales_measured(indicators, country) -> [(indicator id, scale mapping)] of a country's scales
"""

from analysis.indicators.columns import (
    add_indicator_columns,
    measure_of,
    measured,
    scales_measured,
    variables_read,
)
from analysis.indicators.scales import scale_item_scores, scale_scores

__all__ = [
    "add_indicator_columns",
    "measure_of",
    "measured",
    "scale_item_scores",
    "scale_scores",
    "scales_measured",
    "variables_read",
]
