"""Indicator columns: one column per indicator a country measures, named by its id.

Share-measure kinds (share, select-multiple, threshold, any_of, all_of, count_of with at_least,
cutoff) give nullable Int8 0/1/NA columns; mean-measure kinds (mean, scale, count_of without
at_least) give float64 columns with NaN. Everything is vectorised over rows (numpy / pandas).
Winsorising and transforms of mean indicators are written to the cleaning log, one row per
changed value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.indicators.scales import scale_scores
from analysis.indicators.values import (
    compare,
    log_rows,
    numeric_values,
    row_place,
    share_column,
    unanswered,
    value_in,
)
from analysis.model import (
    AnyOfMapping,
    CompositeMapping,
    CountOfMapping,
    CutoffMapping,
    Indicator,
    IndicatorMapping,
    MeanMapping,
    ScaleMapping,
    ShareMapping,
    ThresholdMapping,
)


def measured(indicators: list[Indicator], country: str) -> list[tuple[Indicator, IndicatorMapping]]:
    """(indicator, how the country measures it) for the indicators this country measures, in
    configured order."""
    return [(ind, ind.countries[country]) for ind in indicators if country in ind.countries]


def scales_measured(indicators: list[Indicator], country: str) -> list[tuple[str, ScaleMapping]]:
    """(indicator id, scale mapping) for this country's scale indicators, in configured order."""
    return [
        (i.id, how) for i, how in measured(indicators, country) if isinstance(how, ScaleMapping)
    ]


def measure_of(indicators: list[Indicator], country: str) -> dict[str, str]:
    """Indicator id -> its measure for this country: "share" (0/1 column, reported in percent) or
    "mean" (float column, reported in the indicator's unit)."""
    return {ind.id: how.measure for ind, how in measured(indicators, country)}


def scale_of(indicators: list[Indicator], country: str, cutoff: CutoffMapping) -> ScaleMapping:
    """The scale mapping a cutoff reads (the config guarantees it exists)."""
    how = next(i.countries[country] for i in indicators if i.id == cutoff.scale)
    assert isinstance(how, ScaleMapping)
    return how


def variables_read(indicators: list[Indicator], country: str, how: IndicatorMapping) -> list[str]:
    """The harmonised variables an indicator reads (a cutoff: its scale's items)."""
    if isinstance(how, CutoffMapping):
        return list(scale_of(indicators, country, how).items)
    return how.variables


def _share(frame: pd.DataFrame, how: ShareMapping | AnyOfMapping):
    """Share (positive values) or select-multiple (any of the ticked choices), as before."""
    src = frame[how.variable]
    if isinstance(how, AnyOfMapping):
        tokens = src.astype(str).str.split()
        positive = (
            tokens.explode()
            .isin(how.any_of)
            .groupby(level=0)
            .any()
            .reindex(frame.index, fill_value=False)
        )
        positive = positive.to_numpy(dtype=bool)
        return share_column(positive, src.isna().to_numpy(dtype=bool))
    positive = value_in(src, how.positive)
    return share_column(positive, unanswered(src, how.missing))


def _threshold(frame: pd.DataFrame, how: ThresholdMapping, ind_id: str):
    values = numeric_values(frame, how.variable, how.missing, ind_id)
    return share_column(compare(values, how.operator, how.value), np.isnan(values))


def _item_matrix(frame: pd.DataFrame, how: CompositeMapping | CountOfMapping):
    """(positive, answered) bool matrices, one column per item."""
    positive = np.column_stack([value_in(frame[i], how.positive) for i in how.items])
    answered = ~np.column_stack([unanswered(frame[i], how.missing) for i in how.items])
    return positive & answered, answered


def _composite(frame: pd.DataFrame, how: CompositeMapping):
    """any_of / all_of over the items, with the `item_missing` rule:
    missing - any unanswered item makes the row missing; decisive - missing only when the
    answered items cannot decide (any_of: none positive and some unanswered; all_of: none
    negative and some unanswered); ignore - over the answered items (none answered: missing)."""
    positive, answered = _item_matrix(frame, how)
    complete, none_answered = answered.all(axis=1), ~answered.any(axis=1)
    if how.kind == "any_of":
        value = positive.any(axis=1)
        decided = value | complete
    else:
        negative = answered & ~positive
        value = ~negative.any(axis=1)
        decided = ~value | complete
    missing = {"missing": ~complete, "decisive": ~decided, "ignore": none_answered}
    return share_column(value, missing[how.item_missing])


def _count_of(frame: pd.DataFrame, how: CountOfMapping):
    """Positive items counted: a share (count >= at_least) or a float count ("items").
    decisive (with at_least): 1 once at_least items are positive, 0 once even the unanswered
    items could not reach it, else missing."""
    positive, answered = _item_matrix(frame, how)
    count = positive.sum(axis=1)
    complete, none_answered = answered.all(axis=1), ~answered.any(axis=1)
    if how.at_least is None:
        missing = ~complete if how.item_missing == "missing" else none_answered
        return np.where(missing, np.nan, count.astype(np.float64))
    reached = count >= how.at_least
    still_open = (count + (~answered).sum(axis=1)) >= how.at_least
    missing = {
        "missing": ~complete,
        "decisive": ~reached & still_open & ~complete,
        "ignore": none_answered,
    }
    return share_column(reached, missing[how.item_missing])


def _winsorized(values: np.ndarray, how: MeanMapping, ind_id: str, frame, log: list):
    """Winsorise a mean indicator's values (in the variable's unit) at percentiles (0-100).

    Parameters
    ----------
    values : ndarray
        float64 values of every row given (all waves pooled), NaN where unanswered.
    how : MeanMapping
        `winsorize.lower_percentile` / `upper_percentile` (either may be absent).

    Returns
    -------
    ndarray
        The values clipped to the percentiles; every changed value is appended to `log`.

    Notes
    -----
    Percentiles by linear interpolation between order statistics (numpy's default), which is
    R's `quantile(type = 7)`: Hyndman & Fan (1996), Sample quantiles in statistical packages,
    Am Stat 50:361-365. Pinned to R in tests/analysis/indicators/test_reference.py.
    """
    if how.winsorize is None or np.isnan(values).all():
        return values
    bounds = []
    for name, side in (
        ("lower", how.winsorize.lower_percentile),
        ("upper", how.winsorize.upper_percentile),
    ):
        limit = np.nanpercentile(values, side) if side is not None else None
        bounds.append((name, side, limit))
    out = values.copy()
    for name, side, limit in bounds:
        if limit is None:
            continue
        with np.errstate(invalid="ignore"):
            changed = (values < limit) if name == "lower" else (values > limit)
        out[changed] = limit
        rule = f"{ind_id}: {how.variable} winsorized at its {side:g}th percentile ({limit:.10g})"
        log.append(log_rows(frame, changed, ind_id, values, out, rule))
    return out


def _transformed(values: np.ndarray, how: MeanMapping, ind_id: str, frame, log: list):
    """log / log1p of the values (a value the transform cannot take stops the run); every
    transformed value logged."""
    if how.transform == "none":
        return values
    floor = 0.0 if how.transform == "log" else -1.0
    with np.errstate(invalid="ignore"):
        bad = values <= floor
    if bad.any():
        file, rows = row_place(frame, bad)
        raise InputError(
            f"indicator '{ind_id}' takes {how.transform} of '{how.variable}', but it holds"
            f" {values[np.flatnonzero(bad)[0]]:g} (must be > {floor:g})",
            file=file,
            column=how.variable,
            row=rows,
            fix="use `transform: log1p` for data with zeros, list such codes under `missing:`,"
            " or `transform: none`",
        )
    out = np.log(values) if how.transform == "log" else np.log1p(values)
    done = ~np.isnan(values)
    log.append(
        log_rows(frame, done, ind_id, values, out, f"{ind_id}: {how.transform}({how.variable})")
    )
    return out


def _mean(frame: pd.DataFrame, how: MeanMapping, ind_id: str, log: list) -> np.ndarray:
    values = numeric_values(frame, how.variable, how.missing, ind_id)
    values = _winsorized(values, how, ind_id, frame, log)
    return _transformed(values, how, ind_id, frame, log)


def _cutoff(frame: pd.DataFrame, how: CutoffMapping, scale: ScaleMapping):
    raw, reported = scale_scores(frame, scale)
    score = raw if how.scale_score == "raw" else reported
    return share_column(compare(score, how.operator, how.value), np.isnan(score))


def indicator_values(frame, ind_id, how, indicators, country, log):
    """The column of one indicator (Int8 0/1/NA for a share measure, float64 for a mean)."""
    if isinstance(how, (ShareMapping, AnyOfMapping)):
        return _share(frame, how)
    if isinstance(how, ThresholdMapping):
        return _threshold(frame, how, ind_id)
    if isinstance(how, CompositeMapping):
        return _composite(frame, how)
    if isinstance(how, CountOfMapping):
        return _count_of(frame, how)
    if isinstance(how, MeanMapping):
        return _mean(frame, how, ind_id, log)
    if isinstance(how, ScaleMapping):
        return scale_scores(frame, how)[1]
    return _cutoff(frame, how, scale_of(indicators, country, how))


def add_indicator_columns(
    frame: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    log_rows: list | None = None,
) -> pd.DataFrame:
    """One column per indicator defined for this country (named by indicator id): Int8 0/1/NA for
    share measures, float64 with NaN for mean measures. Indicators reading an absent variable are
    left to `check_indicators` (analysis.cleaning.clean), which reports them. `log_rows` collects
    cleaning-log rows (row_index + LOG_COLUMNS) of winsorised and transformed values."""
    log = log_rows if log_rows is not None else []
    for ind, how in measured(indicators, country):
        if any(v not in frame.columns for v in variables_read(indicators, country, how)):
            continue
        frame[ind.id] = indicator_values(frame, ind.id, how, indicators, country, log)
    return frame
