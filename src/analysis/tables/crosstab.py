"""Disaggregation: one general crosstab for any row/column dimensions.

`crosstab(frame, rows, columns, percent)` returns a tidy table: one line per cell, margins included,
with columns `row, column, n, percent, percent_base` plus one column per dimension variable (its
label, or "Total" on a margin). `percent` is in percent (0-100), unrounded; `percent_base` says
which total it divides by: `row` (the row's total), `column` (the column's total) or `total` (the
grand total). Multi-variable column (or row) dimensions are joined into one label with " | " (e.g.
"Jomi | Older women (36+)").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cleaning.conditions import evaluate
from analysis.errors import InputError
from analysis.model import Dimension, Table

TOTAL = "Total"
JOIN = " | "


def _dimension(
    frame: pd.DataFrame, dims: list[Dimension], where: str
) -> tuple[pd.Series, list[str], dict[str, tuple]]:
    """Labels of each row of `frame` on one axis, the axis' category order, and each label's
    categories (one per variable: a label may itself contain " | ", so the joined label is never
    split again)."""
    parts, orders = [], []
    for dim in dims:
        var = dim.variable
        if var not in frame.columns:
            raise InputError(
                f"table {where} dimension uses unknown variable '{var}'",
                column=var,
                fix=f"use one of: {', '.join(map(str, frame.columns))}",
            )
        labels = dim.labels
        values = frame[var].astype(object)
        order = list(dim.order or sorted(values.dropna().unique(), key=str))
        parts.append(values.replace(labels).astype(object) if labels else values)
        orders.append([labels.get(v, v) for v in order])
    combined = parts[0].astype(str).where(parts[0].notna(), None)
    for part in parts[1:]:
        combined = (combined + JOIN + part.astype(str)).where(combined.notna() & part.notna(), None)
    combos = (
        list(pd.MultiIndex.from_product(orders)) if len(orders) > 1 else [(x,) for x in orders[0]]
    )
    parts_of: dict[str, tuple] = {}
    for combo in combos:
        label = JOIN.join(map(str, combo))
        if parts_of.setdefault(label, combo) != combo:
            raise InputError(
                f"table {where} categories {parts_of[label]} and {combo} both read '{label}' once"
                f" joined with '{JOIN}'",
                key=dims[0].variable,
                fix=(
                    f"relabel one of them (`labels:` of the table's {where} dimension) so that no"
                    " two combinations read the same"
                ),
            )
    return combined, list(parts_of), parts_of


def crosstab(
    frame: pd.DataFrame,
    rows: list[Dimension],
    columns: list[Dimension],
    percent: str = "total",
    total_label: str = TOTAL,
) -> pd.DataFrame:
    """Counts and percentages of every row × column cell, with row and column totals (margins)."""
    row_lab, row_order, row_parts = _dimension(frame, rows, "row")
    col_lab, col_order, col_parts = _dimension(frame, columns, "column")
    unexpected = sorted(set(row_lab.dropna()) - set(row_order)) + sorted(
        set(col_lab.dropna()) - set(col_order)
    )
    if unexpected:
        raise InputError(
            f"table has categories not in its `order:` list: {unexpected}",
            fix="add them to the table's `order:` in the country config, or fix the codebook",
        )
    counts = pd.crosstab(
        pd.Categorical(row_lab, categories=row_order),
        pd.Categorical(col_lab, categories=col_order),
        dropna=False,
    )
    counts = counts.reindex(index=row_order, columns=col_order, fill_value=0)
    counts.loc[:, total_label] = counts.sum(axis=1)
    counts.loc[total_label, :] = counts.sum(axis=0)
    counts = counts.astype(np.int64)
    if percent == "row":
        base = counts[[total_label]].to_numpy()
    elif percent == "column":
        base = counts.loc[[total_label]].to_numpy()
    elif percent == "total":
        base = np.full((1, 1), counts.loc[total_label, total_label])
    else:
        raise InputError(f"unknown percentage base '{percent}'", fix="use row, column or total")
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * counts.to_numpy() / base
    tidy = pd.DataFrame(
        {
            "row": np.repeat(counts.index.to_numpy(), counts.shape[1]),
            "column": np.tile(counts.columns.to_numpy(), counts.shape[0]),
            "n": counts.to_numpy().ravel(),
            "percent": pct.ravel(),
        }
    )
    tidy["percent_base"] = percent
    # one column per dimension variable too, so multi-variable axes stay filterable ("Total" on
    # margins)
    for axis, dims, parts_of in (("row", rows, row_parts), ("column", columns, col_parts)):
        for i, dim in enumerate(dims):
            part = tidy[axis].map({label: str(parts[i]) for label, parts in parts_of.items()})
            tidy[dim.variable] = part.where(tidy[axis] != total_label, total_label).to_numpy()
    return tidy


def figure_table(data: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Apply a table's filter and build its crosstab (the table spec comes from the country
    config)."""
    frame = data[evaluate(data, table.filter)] if table.filter else data
    return crosstab(frame, [table.rows], table.columns, table.percent, table.total_label)
