"""Charts for the report, one public function per chart.

Each chart has a `build_<chart>(...) -> Figure` that draws it (so tests can inspect the Axes) and a
`<chart>(..., out_stem, source) -> list[Path]` that builds it in the house style and writes
`<out_stem>.png` and `<out_stem>.svg` through `style.save_figure`.

The inputs are the small tidy tables the pipeline writes under reports/tables/<country>/ (crosstabs,
estimates, shifts), already read into DataFrames; nothing here reads respondent-level data, so the
size of a chart depends on the number of categories and indicators, never on the number of
respondents.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MultipleLocator
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from analysis.model import DEFAULT_ALPHA, DEFAULT_PERCENT_DECIMALS, proportion_text

from . import style
from .paging import grouping_words
from .style import (
    add_header,
    add_source_note,
    add_title,
    figure_style,
    new_figure,
    save_figure,
)
from .tables import COMPOSITION_MARK, SEX_NAMES, ci_level, group_name, is_other, other_last

TOTAL = "Total"
GROUP_NAMES = {"All": "All respondents", **SEX_NAMES}  # the tables' SEX_NAMES, one vocabulary
GROUP_COLOURS = {"All": style.ALL, "Female": style.WOMEN, "Male": style.MEN}
GROUP_MARKERS = {"All": "o", "Female": "s", "Male": "^"}
INTERACTION_MARKER = "D"
# the groups of another grouping (age band, social group...), in order: the Okabe-Ito colours not
# taken by All (black), women (orange) or men (blue), cycled past five groups, and a marker each,
# cycled past seven (so colour and marker together differ for up to 35 groups)
GROUP_PALETTE = tuple(
    style.OKABE_ITO[c]
    for c in ("bluish_green", "vermillion", "reddish_purple", "sky_blue", "yellow")
)
GROUP_MARKER_CYCLE = ("s", "^", "D", "v", "P", "X", "<")
COLLECTION_NAMES = {
    "In-depth interviews": "In-depth interviews (IDIs)",
    "FGDs": "Focus group discussions (FGDs)",
}
ARROW = "\u2192"  # →
MINUS = "\u2212"  # −
NBSP = "\u00a0"  # keeps "n = 12" on one line when wrapping
WRAP_LABEL = 40  # characters per line for indicator labels on the y axis


# --- small helpers --------------------------------------------------------------------------------
def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    if df.empty:
        raise ValueError(f"{what}: the table has no rows")


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(str(text), width, break_on_hyphens=False, break_long_words=False)


def _draw(build, out_stem: Path, *args, **kwargs) -> list[Path]:
    """Build a figure inside the house style and save it as PNG and SVG."""
    with figure_style():
        fig = build(*args, **kwargs)
    return save_figure(fig, out_stem)


def _ordered_unique(values) -> list:
    return list(dict.fromkeys(v for v in values if not (isinstance(v, float) and math.isnan(v))))


SUPPRESSED = "s"  # label of a cell hidden by small-cell suppression (public mode)


def _fmt_n(n) -> str:
    if n is None or (isinstance(n, float) and math.isnan(n)) or pd.isna(n):
        return SUPPRESSED
    return f"{int(round(float(n))):,}"


def _suppression_note(table: pd.DataFrame) -> str:
    """A sentence for the chart note when cells are hidden (tables from public mode carry
    `suppressed`)."""
    if "suppressed" not in table or not _as_bool(table["suppressed"]).any():
        return ""
    k = table["suppression_k"].dropna().iloc[0] if "suppression_k" in table else None
    return (
        f" {SUPPRESSED} = hidden: fewer than {int(k)} people, or hidden so that such a cell cannot"
        " be recovered (small-cell suppression)."
    )


def _as_bool(series: pd.Series) -> pd.Series:
    return series.map(lambda v: str(v).strip().lower() in {"true", "1", "yes"})


def _sex_colour(name: str) -> str:
    key = str(name).strip().lower()
    if key in {"women", "woman", "female", "f"}:
        return style.WOMEN
    if key in {"men", "man", "male", "m"}:
        return style.MEN
    return style.OKABE_ITO["bluish_green"]


def _pivot_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Crosstab `row` x `column` of counts, rows and columns in the table's order."""
    rows = _ordered_unique(table["row"])
    cols = _ordered_unique(table["column"])
    wide = table.pivot_table(
        index="row", columns="column", values="n", aggfunc="sum", sort=False, dropna=False
    )
    wide = wide.reindex(index=rows, columns=cols).astype(float)
    if (
        "suppressed" in table
    ):  # hidden cells stay missing (drawn as empty, labelled "s"); true zeros stay 0
        hidden = table[_as_bool(table["suppressed"])]
        for r, c in zip(hidden["row"], hidden["column"]):
            wide.loc[r, c] = np.nan
    else:
        wide = wide.fillna(0)
    return wide


def _label_for(indicator: str, labels: Mapping[str, str] | None, improvement: str | None) -> str:
    text = (labels or {}).get(indicator, indicator)
    if str(improvement).strip().lower() == "decrease":
        text += f" (lower{NBSP}is{NBSP}better)"
    return text


def _nice_limits(low: float, high: float, step: float = 10.0) -> tuple[float, float]:
    low, high = min(low, 0.0), max(high, 0.0)
    pad = 0.04 * (high - low or 1.0)
    return (math.floor((low - pad) / step) * step, math.ceil((high + pad) / step) * step)


def _group_kind(group: str) -> str:
    """'All', 'Female', 'Male', or 'interaction' (e.g. 'sex: Female - Male'); other groups as-is."""
    g = str(group)
    return "interaction" if ":" in g and " - " in g else g


def _interaction_label(group: str) -> str:
    """'sex: Female - Male' -> 'Women − Men'."""
    body = str(group).split(":", 1)[-1]
    a, _, b = body.partition(" - ")
    return (
        f"{GROUP_NAMES.get(a.strip(), a.strip())} {MINUS} {GROUP_NAMES.get(b.strip(), b.strip())}"
    )


# --- Figure 1: population pyramid -------------------------------------------------------------
def _pyramid_sides(
    fig1_table: pd.DataFrame,
) -> tuple[pd.DataFrame, str, str, list, dict]:
    """The Figure 1 crosstab of counts, its two sex rows (left, right), its age bands and each
    sex's total count (the table's Total column, else the sum over the bands)."""
    wide = _pivot_counts(fig1_table).rename(index=group_name)  # Women, Men
    sexes = [r for r in wide.index if r != TOTAL]
    bands = [c for c in wide.columns if c != TOTAL]
    if len(sexes) != 2 or not bands:
        raise ValueError(
            f"Figure 1 table: expected 2 sex rows and at least one age band, got rows {sexes}"
        )
    left, right = sexes
    totals = {
        s: wide.loc[s, TOTAL] if TOTAL in wide.columns else wide.loc[s, bands].sum() for s in sexes
    }
    return wide, left, right, bands, totals


def _draw_pyramid_bars(
    ax, y: np.ndarray, lcounts: np.ndarray, rcounts: np.ndarray, left: str, right: str, totals: dict
) -> None:
    """The bars of both sexes (counts; the left sex drawn leftwards), each labelled with its
    count ("s" when suppressed)."""
    bl = ax.barh(
        y,
        -np.nan_to_num(lcounts),
        height=0.72,
        color=_sex_colour(left),
        label=f"{left} (n = {_fmt_n(totals[left])})",
    )
    br = ax.barh(
        y,
        np.nan_to_num(rcounts),
        height=0.72,
        color=_sex_colour(right),
        label=f"{right} (n = {_fmt_n(totals[right])})",
    )
    ax.bar_label(bl, labels=[_fmt_n(v) for v in lcounts], padding=3, fontsize=style.SMALL_SIZE)
    ax.bar_label(br, labels=[_fmt_n(v) for v in rcounts], padding=3, fontsize=style.SMALL_SIZE)


def _pyramid_axes(ax, y: np.ndarray, bands: list, lim: float) -> None:
    """Symmetric count axis (-`lim` to `lim`, ticks as unsigned counts), age bands on y, centre
    line and grid."""
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-0.6, len(bands) - 0.4)
    ax.set_yticks(y, labels=bands)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _fmt_n(abs(v))))
    ax.axvline(0, color=style.TEXT, lw=0.8)
    ax.grid(axis="x")
    ax.set_xlabel("Respondents (count)")
    ax.set_ylabel("Age band (years)")


def _pyramid_side_headers(ax, lim: float, left: str, right: str, totals: dict) -> None:
    """Side headers that double as the legend: which sex is on which side, with its n."""
    header = blended_transform_factory(ax.transData, ax.transAxes)
    for x, name, ha in ((-lim / 2, left, "center"), (lim / 2, right, "center")):
        ax.text(
            x,
            1.02,
            f"{name} (n = {_fmt_n(totals[name])})",
            transform=header,
            ha=ha,
            va="bottom",
            fontweight="bold",
            color=_sex_colour(name),
            fontsize=style.BASE_SIZE,
        )


def build_population_pyramid(
    fig1_table: pd.DataFrame, source: str, *, title: str | None = None
) -> Figure:
    """Sex x age band: first sex (women) to the left, second (men) to the right, counts on the
    bars."""
    _require(fig1_table, ["row", "column", "n"], "Figure 1 table")
    wide, left, right, bands, totals = _pyramid_sides(fig1_table)
    grand = np.nansum([totals[left], totals[right]])

    fig = new_figure(style.FIG_WIDTH, 1.9 + 0.36 * len(bands))
    ax = fig.add_subplot()
    y = np.arange(len(bands))  # youngest band at the bottom
    lcounts = wide.loc[left, bands].to_numpy()
    rcounts = wide.loc[right, bands].to_numpy()
    _draw_pyramid_bars(ax, y, lcounts, rcounts, left, right, totals)
    lim = max(np.nanmax(lcounts), np.nanmax(rcounts), 1) * 1.18
    _pyramid_axes(ax, y, bands, lim)
    _pyramid_side_headers(ax, lim, left, right, totals)
    add_title(fig, title or f"Respondents by sex and age band (n = {_fmt_n(grand)})")
    add_source_note(
        fig,
        source,
        note=(
            "Bars show numbers of respondents in each age band "
            f"({_fmt_n(totals[left])} {left.lower()}, "
            f"{_fmt_n(totals[right])} {right.lower()})."
        )
        + _suppression_note(fig1_table),
    )
    return fig


def population_pyramid(
    fig1_table: pd.DataFrame, out_stem: Path, source: str, *, title: str | None = None
) -> list[Path]:
    """Figure 1 (sex x age band) as a population pyramid -> [<out_stem>.png, <out_stem>.svg]."""
    return _draw(build_population_pyramid, out_stem, fig1_table, source, title=title)


# --- Figure 2: social groups by sex ---------------------------------------------------------------
def _groups_by_total(wide: pd.DataFrame) -> tuple[list, list, pd.Series, dict]:
    """The social groups sorted by total count (largest first, ties in table order), the sex
    columns, each group's total and each sex's total (counts)."""
    groups = [r for r in wide.index if r != TOTAL]
    sexes = [c for c in wide.columns if c != TOTAL]
    if not groups or not sexes:
        raise ValueError("Figure 2 table: no social groups or no sex columns")
    totals = (
        wide.loc[groups, TOTAL] if TOTAL in wide.columns else wide.loc[groups, sexes].sum(axis=1)
    )
    order = sorted(  # catch-all groups ("Other (specify)") last; stable for ties
        range(len(groups)), key=lambda i: (is_other(groups[i]), -np.nan_to_num(totals.iloc[i]), i)
    )
    groups = [groups[i] for i in order]
    sex_totals = {
        s: wide.loc[TOTAL, s] if TOTAL in wide.index else wide.loc[groups, s].sum() for s in sexes
    }
    return groups, sexes, totals, sex_totals


def _draw_group_bars(
    ax, y: np.ndarray, wide: pd.DataFrame, groups: list, sexes: list, sex_totals: dict
) -> None:
    """One bar per sex within each group (first sex on top), labelled with its count."""
    height = 0.8 / len(sexes)
    for j, sex in enumerate(sexes):
        offset = (len(sexes) - 1) / 2 * height - j * height  # first sex on top within each group
        counts = wide.loc[groups, sex].to_numpy()
        bars = ax.barh(
            y + offset,
            np.nan_to_num(counts),
            height=height * 0.92,
            color=_sex_colour(sex),
            label=f"{sex} (n = {_fmt_n(sex_totals[sex])})",
        )
        ax.bar_label(
            bars, labels=[_fmt_n(v) for v in counts], padding=2, fontsize=style.SMALL_SIZE - 0.5
        )


def build_social_groups_by_sex(
    fig2_table: pd.DataFrame, source: str, *, title: str | None = None, wrap: int = 36
) -> Figure:
    """Horizontal bars per social group, sorted by total (largest on top), women and men side by
    side."""
    _require(fig2_table, ["row", "column", "n"], "Figure 2 table")
    wide = _pivot_counts(fig2_table).rename(columns=group_name)  # Women, Men
    groups, sexes, totals, sex_totals = _groups_by_total(wide)
    grand = np.nansum(list(sex_totals.values()))

    tick_labels = [_wrap(f"{g} (n{NBSP}={NBSP}{_fmt_n(totals[g])})", wrap) for g in groups]
    n_lines = sum(t.count("\n") + 1 for t in tick_labels)
    fig = new_figure(
        style.FIG_WIDTH, 1.6 + max(0.42 * len(groups), 0.155 * n_lines + 0.12 * len(groups))
    )
    ax = fig.add_subplot()
    y = np.arange(len(groups))[::-1].astype(float)  # largest total at the top
    _draw_group_bars(ax, y, wide, groups, sexes, sex_totals)
    top = float(np.nanmax(wide.loc[groups, sexes].to_numpy()))
    ax.set_xlim(0, max(top, 1) * 1.1)
    ax.set_ylim(-0.6, len(groups) - 0.4)
    ax.set_yticks(y, labels=tick_labels)
    ax.grid(axis="x")
    ax.set_xlabel("Respondents (count)")
    ax.legend(loc="lower right", title="Sex", title_fontsize=style.SMALL_SIZE)
    add_title(fig, title or f"Respondents by social group and sex (n = {_fmt_n(grand)})")
    add_source_note(
        fig,
        source,
        note=(
            "Groups sorted by total (n in brackets), catch-all groups (Other) last; bars show"
            " numbers of respondents; "
            "zero means nobody of that sex in the group."
        )
        + _suppression_note(fig2_table),
    )
    return fig


def social_groups_by_sex(
    fig2_table: pd.DataFrame, out_stem: Path, source: str, *, title: str | None = None
) -> list[Path]:
    """Figure 2 (social group x sex) as grouped horizontal bars -> [<out_stem>.png,
    <out_stem>.svg]."""
    return _draw(build_social_groups_by_sex, out_stem, fig2_table, source, title=title)


# --- Figure 3: qualitative participants -----------------------------------------------------------
def _figure3_long(fig3_table: pd.DataFrame) -> pd.DataFrame:
    t = fig3_table[(fig3_table["row"] != TOTAL) & (fig3_table["column"] != TOTAL)].copy()
    if {"collection_type", "location", "respondent_group"} <= set(t.columns):
        t = t.rename(
            columns={"collection_type": "ctype", "location": "loc", "respondent_group": "grp"}
        )
    else:  # "Location | Group" column labels
        parts = t["column"].astype(str).str.split("|", n=1, expand=True)
        if parts.shape[1] != 2:
            raise ValueError("Figure 3 table: columns must look like 'Location | Respondent group'")
        t["loc"], t["grp"], t["ctype"] = parts[0].str.strip(), parts[1].str.strip(), t["row"]
    return t[["ctype", "loc", "grp", "n"]].astype({"n": float})


FIGURE3_COLOURS = [style.IDI, style.FGD, style.OKABE_ITO["sky_blue"], style.OKABE_ITO["vermillion"]]


def _figure3_counts(fig3_table: pd.DataFrame) -> tuple[pd.DataFrame, list, list, list, float]:
    """Participants per (location, respondent group) and collection type, the locations, groups
    and collection types in table order, and the grand total (the Total x Total cell, else the
    sum of the counts)."""
    t = _figure3_long(fig3_table)
    locs, grps, ctypes = (
        _ordered_unique(t["loc"]),
        _ordered_unique(t["grp"]),
        _ordered_unique(t["ctype"]),
    )
    counts = t.pivot_table(
        index=["loc", "grp"], columns="ctype", values="n", aggfunc="sum", sort=False, dropna=False
    )
    counts = counts.reindex(columns=ctypes).astype(float)
    whole = fig3_table[(fig3_table["row"] == TOTAL) & (fig3_table["column"] == TOTAL)]["n"]
    grand = (
        float(whole.iloc[0])
        if len(whole) and pd.notna(whole.iloc[0])
        else np.nansum(counts.to_numpy())
    )
    return counts, locs, grps, ctypes, grand


def _draw_method_bars(ax, x: np.ndarray, sub: pd.DataFrame, ctypes: list, width: float) -> None:
    """One bar per collection type within each respondent group, labelled with its count."""
    for j, ct in enumerate(ctypes):
        vals = sub[ct].to_numpy()
        bars = ax.bar(
            x + (j - (len(ctypes) - 1) / 2) * width,
            np.nan_to_num(vals),
            width=width * 0.92,
            color=FIGURE3_COLOURS[j % len(FIGURE3_COLOURS)],
            label=COLLECTION_NAMES.get(ct, ct),
        )
        ax.bar_label(bars, labels=[_fmt_n(v) for v in vals], padding=2, fontsize=style.SMALL_SIZE)


def _location_title(loc: str, sub: pd.DataFrame, ctypes: list) -> str:
    """'<location> (n = 40: 12 IDI, 28 FGD)': a panel's title, "s" for a suppressed total."""
    by_type = ", ".join(
        f"{_fmt_n(sub[ct].sum(min_count=len(sub)))}"
        f" {'IDI' if 'interview' in ct.lower() else ct.rstrip('s')}"
        for ct in ctypes
    )
    loc_total = np.nan if sub.isna().to_numpy().any() else sub.to_numpy().sum()
    return f"{loc} (n = {_fmt_n(loc_total)}: {by_type})"


def _draw_location_panel(
    ax, sub: pd.DataFrame, loc: str, grps: list, ctypes: list, ymax: float, first: bool
) -> None:
    """A location's panel: its bars, group labels with their n, title, grid and count axis (the
    y axis shown on the `first` panel only)."""
    x = np.arange(len(grps), dtype=float)
    _draw_method_bars(ax, x, sub, ctypes, 0.8 / len(ctypes))
    grp_totals = sub.sum(axis=1, min_count=len(ctypes))
    ax.set_xticks(x, labels=[f"{_wrap(g, 14)}\nn = {_fmt_n(grp_totals[g])}" for g in grps])
    ax.tick_params(axis="x", length=0)
    ax.set_title(_location_title(loc, sub, ctypes))
    ax.grid(axis="y")
    ax.set_ylim(0, ymax * 1.15)
    ax.spines["left"].set_visible(first)
    ax.tick_params(axis="y", length=3 if first else 0)


def build_participants_figure3(
    fig3_table: pd.DataFrame, source: str, *, title: str | None = None
) -> Figure:
    """One panel per location; per respondent group, one bar per collection type (IDI, FGD) with
    counts."""
    _require(fig3_table, ["row", "column", "n"], "Figure 3 table")
    counts, locs, grps, ctypes, grand = _figure3_counts(fig3_table)

    fig = new_figure(style.FIG_WIDTH, 4.2)
    axes = fig.subplots(1, len(locs), sharey=True, squeeze=False)[0]
    ymax = max(np.nanmax(counts.to_numpy()), 1)
    for ax, loc in zip(axes, locs):
        sub = counts.loc[loc].reindex(grps)
        _draw_location_panel(ax, sub, loc, grps, ctypes, ymax, ax is axes[0])
    axes[0].set_ylabel("Participants (count)")
    add_header(
        fig,
        title
        or "Qualitative participants by location, respondent group and method"
        f" (n = {_fmt_n(grand)})",
        handles=axes[0].get_legend_handles_labels()[0],
    )
    add_source_note(
        fig,
        source,
        note=(
            "Bars show numbers of participants (people, not sessions); "
            "n under each group is IDI + FGD participants."
        )
        + _suppression_note(fig3_table),
    )
    return fig


def participants_figure3(
    fig3_table: pd.DataFrame, out_stem: Path, source: str, *, title: str | None = None
) -> list[Path]:
    """Figure 3 (participants by location, group, method) -> [<out_stem>.png, <out_stem>.svg]."""
    return _draw(build_participants_figure3, out_stem, fig3_table, source, title=title)


# --- shared layout for the indicator charts -------------------------------------------------------
def _is_multi(blocks: list[tuple[str, list]]) -> bool:
    return any(len(rows) > 1 for _, rows in blocks)


def _panels(fig: Figure, blocks: list[tuple[str, list]]):
    """One Axes per block (stacked, shared x) when any block has >1 row; else one Axes for all rows.

    Returns [(ax, title or None, rows)], rows running top to bottom.
    """
    if _is_multi(blocks):
        parts = [(title, rows) for title, rows in blocks]
    else:
        parts = [(None, [r for _, rows in blocks for r in rows])]
    gs = fig.add_gridspec(len(parts), 1, height_ratios=[len(r) for _, r in parts])
    out, first = [], None
    for i, (title, rows) in enumerate(parts):
        ax = fig.add_subplot(gs[i, 0], sharex=first)
        first = first or ax
        if i < len(parts) - 1:
            ax.tick_params(axis="x", labelbottom=False)
        out.append((ax, title, rows))
    return out


def _right_of(ax, inches: float, y_transform=None):
    """Transform: x = `inches` to the right of the Axes' right edge, y in data (or `y_transform`)
    units. Columns placed this way have a fixed width, so the constrained layout can make room for
    them."""
    fig = ax.figure
    x_tr = ax.transAxes + ScaledTranslation(inches, 0, fig.dpi_scale_trans)
    return blended_transform_factory(x_tr, y_transform or ax.transData)


def _text_width_in(fig: Figure, texts: Sequence[str], **kw) -> float:
    probe = fig.text(0, 0, "", **kw)
    try:
        widths = []
        for t in texts:
            probe.set_text(t)
            widths.append(probe.get_window_extent(style._renderer(fig)).width)
        return max(widths, default=0.0) / fig.dpi
    finally:
        probe.remove()


def _fit_panel_titles(fig: Figure, panels) -> None:
    """Set each panel's title wrapped to its Axes' width, so titles never widen the layout."""
    titled = [(ax, title) for ax, title, _ in panels if title]
    if not titled:
        return
    fig.get_layout_engine().execute(fig)
    for ax, title in titled:
        width = ax.get_window_extent(style._renderer(fig)).width
        size = mpl.rcParams["axes.titlesize"]
        ax.set_title(
            style._wrap_to_width(fig, title, size, width * 0.98, fontweight="bold"), loc="left"
        )


def _height_for(blocks: list[tuple[str, list]], tick_lines: int) -> float:
    multi = _is_multi(blocks)
    n_rows = sum(len(rows) for _, rows in blocks)
    per_row = max(0.36, 0.15 * tick_lines / max(n_rows, 1) + 0.12)
    return 2.0 + n_rows * per_row + (0.5 * len(blocks) if multi else 0.0)


def _improvement_by_indicator(shifts: pd.DataFrame | None) -> dict[str, str]:
    if shifts is None or "improvement" not in shifts.columns:
        return {}
    s = shifts.dropna(subset=["improvement"])
    return dict(zip(s["indicator"].astype(str), s["improvement"].astype(str)))


def _n_text(nb, ne, design: str | None = None) -> str:
    if design == "panel" and pd.notna(nb) and nb == ne:
        return f"n = {_fmt_n(nb)} matched"
    return f"n = {_fmt_n(nb)} {ARROW} {_fmt_n(ne)}"


def _ci_methods(df: pd.DataFrame) -> str:
    if "ci_method" not in df.columns:
        return "method not recorded"
    names = {"wilson": "Wilson score"}
    return ", ".join(names.get(m, m) for m in _ordered_unique(df["ci_method"].dropna().astype(str)))


def _design_of(df: pd.DataFrame | None) -> str | None:
    """The design type the rows share (`design_type` of estimates.csv and shifts.csv, written from
    `model.Design.columns()`: 'independent', 'panel', ...); None when the column is absent or the
    rows differ.
    """
    if df is None or "design_type" not in df.columns:
        return None
    designs = set(df["design_type"].dropna().astype(str))
    return designs.pop() if len(designs) == 1 else None


NOT_SIGNIFICANT_DASHES, UNTESTED_DASHES = (0, (2, 1.5)), (0, (0.5, 1.5))  # dumbbell arrows
ONE_WAVE = "one_wave"  # a dumbbell row asked in one compared wave: its point, no arrow
DUMBBELL_OFFSET = 0.17  # baseline point above, endline point below the row's centre


def _compared_waves(estimates: pd.DataFrame, shifts: pd.DataFrame | None) -> list[str]:
    """The waves a change is drawn between: the shifts table's `from_wave` and `to_wave`
    (the first and last configured waves, any names); else the first and last wave of the estimates
    table, which lists waves in the configured order. One wave gives a one-element list."""
    if shifts is not None and {"from_wave", "to_wave"} <= set(shifts.columns):
        pairs = shifts[["from_wave", "to_wave"]].dropna()
        if len(pairs):
            return [str(pairs["from_wave"].iloc[0]), str(pairs["to_wave"].iloc[0])]
    waves = _ordered_unique(estimates["wave"].astype(str)) if "wave" in estimates.columns else []
    return waves[:1] + waves[-1:] if len(waves) > 1 else waves


def _wave_title(wave: str) -> str:
    """'baseline' -> 'Baseline', '2019' -> '2019' (legend labels)."""
    return wave[:1].upper() + wave[1:]


def _no_interval(row) -> bool:
    return bool(pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]))


def _not_estimable_note(rows: int, table: str) -> str:
    return (
        f" {rows} row{'s' if rows != 1 else ''} without an interval (not estimable: see the `note`"
        f" column of {table})."
        if rows
        else ""
    )


# --- dumbbell: baseline -> endline per indicator --------------------------------------------------
def _percent_axis(ax, ys, labels: list[str]) -> None:
    """A panel of rows at `ys` (labelled) against a 0-100% axis with gridlines every 20 points."""
    ax.set_yticks(ys, labels=labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_locator(MultipleLocator(20))
    ax.xaxis.set_minor_locator(MultipleLocator(10))
    ax.grid(axis="x", which="major")


class Grouping(NamedTuple):
    """The rows a dumbbell draws under each indicator besides All: the groups of the estimates'
    `group_var` `by`, in order, when at least `min_groups` of them have estimates."""

    by: str
    groups: tuple[str, ...]
    min_groups: int


SEX_GROUPING = Grouping("sex", ("Female", "Male"), 2)  # both sexes, or All alone


def _grouping(est: pd.DataFrame, by: str) -> Grouping:
    """Women and men (`SEX_GROUPING`) for sex; else every group of `by` the estimates have (the
    estimates leave out groups below `min_group_n`), catch-all groups last, shown when at least
    one is there."""
    if by == SEX_GROUPING.by:
        return SEX_GROUPING
    return Grouping(
        by, tuple(other_last(_ordered_unique(est.loc[est["group_var"] == by, "group"]))), 1
    )


def _group_blocks(
    indicators: Sequence[str],
    present,
    labels: Mapping[str, str] | None,
    improvement: Mapping[str, str],
    grouping: Grouping = SEX_GROUPING,
) -> list[tuple[str, list[tuple[str, str]]]]:
    """One block per indicator that has an overall row in `present` (a collection of (indicator,
    group)): its label and rows, All and the `grouping`'s groups when enough of them are there
    (women and men: both), else All alone."""
    blocks = []
    for ind in indicators:
        if (ind, "All") not in present:
            continue
        groups = [g for g in grouping.groups if (ind, g) in present]
        rows = ["All"] + (groups if len(groups) >= grouping.min_groups else [])
        blocks.append((_label_for(ind, labels, improvement.get(ind)), [(ind, g) for g in rows]))
    return blocks


def _overall_and_group(estimates: pd.DataFrame, by: str = "sex") -> pd.DataFrame:
    """The overall rows of an estimates table and those by `by` (sex, age band...), indicator,
    wave and group as text."""
    _require(
        estimates,
        ["indicator", "wave", "group_var", "group", "n", "percent", "ci_low", "ci_high"],
        "estimates table",
    )
    est = estimates[estimates["group_var"].isin(["overall", by])].copy()
    est["group"] = est["group"].astype(str)
    est["indicator"] = est["indicator"].astype(str)
    est["wave"] = est["wave"].astype(str)
    return est


def _both_waves(est: pd.DataFrame, w_from: str, w_to: str) -> pd.DataFrame:
    """Percent, interval and n per (indicator, group) and wave, for the rows estimated in either
    compared wave (an indicator asked in one wave only is drawn as its one point)."""
    waves = est.pivot_table(
        index=["indicator", "group"],
        columns="wave",
        values=["percent", "ci_low", "ci_high", "n"],
        aggfunc="first",
        sort=False,
        dropna=False,
    )
    if not {w_from, w_to} & set(waves.columns.get_level_values(1)):
        raise ValueError(
            f"estimates table: no indicator has estimates in wave '{w_from}' or '{w_to}'"
        )
    for value in ("percent", "ci_low", "ci_high", "n"):  # a wave no row of this page has
        for wave in (w_from, w_to):
            if (value, wave) not in waves.columns:
                waves[(value, wave)] = np.nan
    return waves.dropna(subset=[("percent", w_from), ("percent", w_to)], how="all")


def _shift_status(shifts: pd.DataFrame | None) -> tuple[dict, set, set | None]:
    """({(indicator, group): Holm-significant}, {(indicator, group) without a test}, {(indicator,
    group) the shifts table has}, None without a shifts table) from the shifts table."""
    sig, untested, tested = {}, set(), None
    if shifts is not None and {"indicator", "group", "significant_holm"} <= set(shifts.columns):
        keys = list(zip(shifts["indicator"].astype(str), shifts["group"].astype(str)))
        sig, tested = dict(zip(keys, _as_bool(shifts["significant_holm"]))), set(keys)
        if "p_value" in shifts.columns:  # not estimable: no test (see the table's `note`)
            untested = {k for k, p in zip(keys, shifts["p_value"]) if pd.isna(p)}
    return sig, untested, tested


def _dumbbell_order(est: pd.DataFrame, shifts: pd.DataFrame | None) -> list[str]:
    """Indicators in the order of the shifts table, then those only the estimates table has."""
    order = _ordered_unique(shifts["indicator"].astype(str)) if shifts is not None else []
    return order + [i for i in _ordered_unique(est["indicator"]) if i not in order]


def _dumbbell_tick(
    both: pd.DataFrame, row: tuple[str, str], label: str, multi: bool, w_from: str, w_to: str
) -> str:
    nb, ne = both.loc[row, ("n", w_from)], both.loc[row, ("n", w_to)]
    head = _wrap(GROUP_NAMES.get(row[1], row[1]) if multi else label, WRAP_LABEL)
    only = _one_wave_of(both.loc[row], w_from, w_to)
    if only is not None:
        return f"{head}\nn = {_fmt_n(nb if only == w_from else ne)} ({only} only)"
    return f"{head}\n{_n_text(nb, ne)}"


def _one_wave_of(r: pd.Series, w_from: str, w_to: str) -> str | None:
    """The one compared wave a row has an estimate in, or None when it has both."""
    has_from, has_to = pd.notna(r[("percent", w_from)]), pd.notna(r[("percent", w_to)])
    return None if has_from and has_to else w_from if has_from else w_to


def _draw_dumbbell_row(
    ax,
    r: pd.Series,
    row: tuple[str, str],
    y: float,
    w_from: str,
    w_to: str,
    kind: str,
) -> int:
    """One row: the arrow from the first to the last wave (`kind`: 'sig', 'ns', 'untested' or
    'descriptive', see `_arrow_kind`) and both points; returns how many points have no
    interval."""
    ind, g = row
    b, e = r[("percent", w_from)], r[("percent", w_to)]
    off = DUMBBELL_OFFSET
    is_sig = kind == "sig"
    dashes = {"untested": UNTESTED_DASHES, "ns": NOT_SIGNIFICANT_DASHES}.get(kind, "-")
    no_interval = 0
    for wave, yy, colour, face in (
        (w_from, y + off, style.BASELINE, "white"),
        (w_to, y - off, style.ENDLINE, style.ENDLINE),
    ):
        p, lo, hi = r[("percent", wave)], r[("ci_low", wave)], r[("ci_high", wave)]
        if pd.isna(p):  # asked in the other wave only
            continue
        point = _estimate_point(ax, p, lo, hi, yy, colour, face)
        point.set_gid(f"dumbbell:{ind}:{g}:{wave}")  # the point (not the caps)
        no_interval += bool(pd.isna(lo) or pd.isna(hi))
    if kind == ONE_WAVE:
        return no_interval
    ax.annotate(
        "",
        xy=(e, y - off),
        xytext=(b, y + off),
        arrowprops=dict(
            arrowstyle="-|>",
            mutation_scale=9,
            shrinkA=4,
            shrinkB=4,
            lw=1.3 if is_sig else 1.0,
            color=style.TEXT if is_sig else style.OKABE_ITO["grey"],
            linestyle=dashes,
        ),
        annotation_clip=False,
        gid=f"dumbbell-arrow:{ind}:{g}:{kind}",
    )
    return no_interval


def _dumbbell_handles(w_from: str, w_to: str, seen: set[str], alpha: float) -> list[Line2D]:
    """The legend: both waves, then the kinds of arrow drawn (`seen`: 'sig', 'ns', 'untested')."""
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color=style.BASELINE,
            mfc="white",
            mew=1.4,
            ms=5.5,
            label=f"{_wave_title(w_from)} ({ci_level(alpha)} CI)",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color=style.ENDLINE,
            ms=5.5,
            label=f"{_wave_title(w_to)} ({ci_level(alpha)} CI)",
        ),
    ]
    grey = style.OKABE_ITO["grey"]
    change_lines = [  # (kind seen, colour, width, dashes, label), in legend order
        ("sig", style.TEXT, 1.3, None, f"Change: Holm-adjusted p < {proportion_text(alpha)}"),
        ("ns", grey, 1.0, NOT_SIGNIFICANT_DASHES, "Change: not significant"),
        ("untested", grey, 1.0, UNTESTED_DASHES, "Change: not estimable (no test)"),
        ("descriptive", grey, 1.0, None, "Change within a group: not tested"),
    ]
    handles += [
        Line2D([], [], color=colour, lw=width, label=label, **({"ls": dashes} if dashes else {}))
        for kind, colour, width, dashes, label in change_lines
        if kind in seen
    ]
    return handles


def _dumbbell_note(
    estimates: pd.DataFrame,
    shifts: pd.DataFrame | None,
    waves: tuple[str, str],
    no_interval: int,
    alpha: float = DEFAULT_ALPHA,
) -> str:
    w_from, w_to = waves
    tests = {
        "panel": " (paired tests on respondents matched across waves)",
        "independent": " (tests for independent samples)",
    }.get(_design_of(shifts) or "", "")
    return (
        f"Points: percent of respondents, with {ci_level(alpha)} CIs ({_ci_methods(estimates)});"
        f" n = respondents answering at {w_from} {ARROW} {w_to}. Arrows run from {w_from} to"
        f" {w_to}; solid arrows: change significant after Holm adjustment{tests}."
        + _not_estimable_note(no_interval, "the estimates table")
    )


def _dumbbell_blocks(
    est: pd.DataFrame,
    shifts: pd.DataFrame | None,
    both: pd.DataFrame,
    labels: Mapping[str, str] | None,
    w_from: str,
    w_to: str,
    grouping: Grouping = SEX_GROUPING,
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The blocks (`_group_blocks`) of the rows estimated in both compared waves; a ValueError
    when no indicator has an overall row in both."""
    blocks = [
        (_one_wave_title(label, rows, both, w_from, w_to), rows)
        for label, rows in _group_blocks(
            _dumbbell_order(est, shifts),
            both.index,
            labels,
            _improvement_by_indicator(shifts),
            grouping,
        )
    ]
    if not blocks:
        raise ValueError(
            f"estimates table: no indicator has overall estimates in both waves '{w_from}' and"
            f" '{w_to}'"
        )
    return blocks


def _one_wave_title(
    label: str, rows: list[tuple[str, str]], both: pd.DataFrame, w_from: str, w_to: str
) -> str:
    """An indicator's panel title, '(asked at endline only)' added when its overall row has one
    compared wave."""
    only = _one_wave_of(both.loc[rows[0]], w_from, w_to)
    return label if only is None else f"{label} (asked at {only} only)"


def _arrow_kind(row: tuple[str, str], status: tuple[dict, set, set | None]) -> str:
    """A row's arrow (`status`: `_shift_status` of the shifts): 'sig' (Holm-significant change),
    'untested' (not estimable), 'descriptive' (a row the shifts table does not test, e.g. a change
    within an age band) or 'ns'."""
    sig, untested, tested = status
    if tested is not None and row not in tested:
        return "descriptive"
    return "sig" if sig.get(row, False) else "untested" if row in untested else "ns"


def _draw_dumbbell_panels(
    panels,
    both: pd.DataFrame,
    ticks: Mapping[tuple[str, str], str],
    status: tuple[dict, set, set | None],
    w_from: str,
    w_to: str,
) -> tuple[set[str], int]:
    """Draw every panel's rows and axis; `status`: `_shift_status` of the shifts. Returns the kinds
    of arrow drawn and how many points have no interval."""
    seen: set[str] = set()
    no_interval = 0
    for ax, _, rows in panels:
        ys = np.arange(len(rows))[::-1].astype(float)
        for y, row in zip(ys, rows):
            one_wave = _one_wave_of(both.loc[row], w_from, w_to) is not None
            kind = ONE_WAVE if one_wave else _arrow_kind(row, status)
            seen.add(kind)
            no_interval += _draw_dumbbell_row(ax, both.loc[row], row, y, w_from, w_to, kind)
        _percent_axis(ax, ys, [ticks[row] for row in rows])
    return seen, no_interval


def _shift_rows(shifts: pd.DataFrame | None, by: str) -> pd.DataFrame | None:
    """The shifts of the overall rows and of the grouping `by` (a table without `group_var`: all
    of it)."""
    if shifts is None or "group_var" not in shifts.columns:
        return shifts
    return shifts[shifts["group_var"].astype(str).isin(["overall", by])]


def _grouping_note(grouping: Grouping, min_group_n: int | None) -> str:
    """The note's sentence on the groups of a chart by another grouping than sex ('' for sex)."""
    if grouping == SEX_GROUPING:
        return ""
    floor = f" with at least {min_group_n} answers" if min_group_n else ""
    return (
        f" Rows by {grouping_words(grouping.by)}: the groups{floor} in a wave (smaller groups"
        " are not estimated), catch-all groups last. Differences between the groups at each wave"
        " are tested in comparisons.csv."
    )


def build_dumbbell(
    estimates: pd.DataFrame,
    shifts: pd.DataFrame | None,
    source: str,
    labels: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    by: str = "sex",
    min_group_n: int | None = None,
) -> Figure:
    """Baseline and endline percentages with 95% CIs, one row per indicator (and per sex when the
    data have Female and Male rows); an indicator asked in one of the waves shows its one point,
    its panel titled "(asked at endline only)". Arrows run from
    baseline to endline; solid arrows mark changes that are significant after Holm adjustment (from
    `shifts`; the legend says "p < `alpha`", the project's significance level).

    `by` another grouping of the estimates (`group_var`: age band, social group...) draws its
    groups under each indicator instead of women and men: the groups the estimates have (each
    with at least `min_group_n` answers, said in the note), catch-all groups last; a change within
    a group that the shifts table does not test is drawn as descriptive, not as not significant.

    "Baseline" and "endline" are the first and last waves, whatever their names (`_compared_waves`).
    With one wave the chart shows that wave's estimates without arrows. A point without an interval
    (not estimable, see the table's `note`) is drawn without bars and counted in the note."""
    est = _overall_and_group(estimates, by)
    grouping = _grouping(est, by)
    shifts = _shift_rows(shifts, by)
    waves = _ordered_unique(est["wave"])
    compared = _compared_waves(est, shifts)
    builder: Callable[..., Figure] = _build_two_waves
    at: list[str] | str = compared
    if len(waves) >= 3:
        builder, at = _build_waves, waves
    elif len(compared) == 1:
        builder, at = _build_one_wave, compared[0]
    return builder(
        est,
        at,
        source,
        labels,
        shifts,
        title=title,
        alpha=alpha,
        grouping=grouping,
        extra_note=_grouping_note(grouping, min_group_n),
    )


def _build_two_waves(
    est: pd.DataFrame,
    compared: list[str],
    source: str,
    labels: Mapping[str, str] | None,
    shifts: pd.DataFrame | None,
    *,
    title: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    grouping: Grouping = SEX_GROUPING,
    extra_note: str = "",
) -> Figure:
    """The dumbbell of two compared waves (`build_dumbbell`); `extra_note` ends the note."""
    w_from, w_to = compared
    both = _both_waves(est, w_from, w_to)
    status = _shift_status(shifts)
    blocks = _dumbbell_blocks(est, shifts, both, labels, w_from, w_to, grouping)
    multi = _is_multi(blocks)
    ticks = {
        row: _dumbbell_tick(both, row, label, multi, w_from, w_to)
        for label, rows in blocks
        for row in rows
    }
    fig = new_figure(
        style.FIG_WIDTH, _height_for(blocks, sum(t.count("\n") + 1 for t in ticks.values()))
    )
    panels = _panels(fig, blocks)
    seen, no_interval = _draw_dumbbell_panels(panels, both, ticks, status, w_from, w_to)
    panels[-1][0].set_xlabel("Percent of respondents (%)")
    add_header(
        fig,
        title or f"{_wave_title(w_from)} and {w_to}, by indicator",
        handles=_dumbbell_handles(w_from, w_to, seen, alpha),
    )
    add_source_note(
        fig,
        source,
        note=_dumbbell_note(est, shifts, (w_from, w_to), no_interval, alpha) + extra_note,
    )
    _fit_panel_titles(fig, panels)
    return fig


# --- three or more waves: every wave's estimate per indicator -------------------------------------
def _wave_line_blocks(
    est: pd.DataFrame, waves: list[str], labels, improvement, grouping: Grouping = SEX_GROUPING
) -> list:
    """(indicator label, [(indicator, group, rows of every wave in order)]) per indicator with an
    overall estimate: All, and the `grouping`'s groups (women and men: when both are there)."""
    keyed = est.drop_duplicates(["indicator", "group", "wave"]).set_index(["indicator", "group"])
    blocks = _group_blocks(
        _ordered_unique(est["indicator"]), set(keyed.index), labels, improvement, grouping
    )
    out = []
    for label, rows in blocks:
        lines = []
        for ind, group in rows:
            sub = keyed.loc[[(ind, group)]].set_index("wave").reindex(waves)
            lines.append((ind, group, sub))
        out.append((label, lines))
    return out


def _group_look(group: str, grouping: Grouping) -> tuple[str, str]:
    """(colour, marker) of a group's line: All black circles, women and men as in every chart,
    another grouping's groups by their place in it (`GROUP_PALETTE`, `GROUP_MARKER_CYCLE`)."""
    if group == "All" or grouping == SEX_GROUPING:
        return GROUP_COLOURS.get(group, style.ALL), GROUP_MARKERS.get(group, "o")
    k = grouping.groups.index(group) if group in grouping.groups else 0
    return (
        GROUP_PALETTE[k % len(GROUP_PALETTE)],
        GROUP_MARKER_CYCLE[k % len(GROUP_MARKER_CYCLE)],
    )


def _draw_wave_lines(ax, lines: list, waves: list[str], grouping: Grouping = SEX_GROUPING) -> int:
    """One line per group across the waves (x = wave in order), each point with its 95% CI bars
    (offset a little per group so they do not overlap); returns how many points lack an
    interval."""
    x = np.arange(len(waves), dtype=float)
    no_interval = 0
    for k, (ind, group, sub) in enumerate(lines):
        xs = x + (k - (len(lines) - 1) / 2) * 0.08
        colour, marker = _group_look(group, grouping)
        p = sub["percent"].to_numpy(float)
        lo, hi = sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(p)
        no_interval += int((np.isfinite(p) & ~ok).sum())
        line = ax.plot(xs, p, color=colour, marker=marker, ms=4.5, lw=1.2, zorder=3)[0]
        line.set_gid(f"waves:{ind}:{group}")
        ax.vlines(xs[ok], lo[ok], hi[ok], color=colour, lw=1.0, zorder=2)
    ax.set_xticks(x, labels=[_wave_title(w) for w in waves])
    ax.set_xlim(-0.4, len(waves) - 0.6)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_locator(MultipleLocator(20))
    ax.grid(axis="y", which="major")
    return no_interval


def _build_waves(
    est: pd.DataFrame,
    waves: list[str],
    source: str,
    labels: Mapping[str, str] | None,
    shifts: pd.DataFrame | None,
    *,
    title: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    grouping: Grouping = SEX_GROUPING,
    extra_note: str = "",
) -> Figure:
    """The dumbbell chart of three or more waves: a line chart per indicator, every wave's percent
    (x, in the configured order) with its 95% CI, overall and for the `grouping`'s groups (women
    and men); `extra_note` ends the note."""
    blocks = _wave_line_blocks(est, waves, labels, _improvement_by_indicator(shifts), grouping)
    if not blocks:
        raise ValueError("estimates table: no overall estimate")
    columns = 2 if len(blocks) > 1 else 1
    grid_rows = -(-len(blocks) // columns)
    fig = new_figure(style.FIG_WIDTH, 1.6 + 2.4 * grid_rows)
    gs = fig.add_gridspec(grid_rows, columns)
    no_interval, groups = 0, []
    for i, (label, lines) in enumerate(blocks):
        ax = fig.add_subplot(gs[i // columns, i % columns])
        no_interval += _draw_wave_lines(ax, lines, waves, grouping)
        ax.set_title(_wrap(label, 38), loc="left", fontsize="small")
        ax.set_ylabel("Percent (%)")
        groups += [g for _, g, _ in lines if g not in groups]
    handles = [
        Line2D(
            [],
            [],
            color=_group_look(g, grouping)[0],
            marker=_group_look(g, grouping)[1],
            label=GROUP_NAMES.get(g, g),
        )
        for g in groups
    ]
    add_header(fig, title or f"Indicators over {len(waves)} waves", handles=handles)
    add_source_note(
        fig,
        source,
        note=(
            f"Points: percent of respondents in each wave, with {ci_level(alpha)} CIs"
            f" ({_ci_methods(est)}); waves"
            f" in the configured order ({', '.join(waves)}). Changes between waves and their tests"
            " are in the forest plot and the shifts table; linear trends in trends.csv."
        )
        + _not_estimable_note(no_interval, "the estimates table")
        + extra_note,
    )
    return fig


def _estimate_point(ax, p: float, lo: float, hi: float, y: float, colour: str, face: str):
    """A percent with its 95% CI bars, or without bars when there is no interval (not estimable);
    returns the point's Line2D."""
    if pd.isna(lo) or pd.isna(hi):
        return ax.plot(
            [p], [y], marker="o", ls="", ms=5.5, mfc=face, mec=colour, mew=1.4, zorder=3
        )[0]
    eb = ax.errorbar(
        [p],
        [y],
        xerr=[[p - lo], [hi - p]],
        fmt="o",
        ms=5.5,
        mfc=face,
        mec=colour,
        mew=1.4,
        ecolor=colour,
        elinewidth=1.3,
        capsize=2.5,
        capthick=1.0,
        zorder=3,
    )
    return eb.lines[0]


def _one_wave_rows(est: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The estimates of `wave`, the first row of each (indicator, group), indexed by them."""
    return (
        est[est["wave"] == wave]
        .drop_duplicates(["indicator", "group"])
        .set_index(["indicator", "group"])
    )


def _one_wave_ticks(
    blocks: list[tuple[str, list[tuple[str, str]]]], rows: pd.DataFrame
) -> dict[tuple[str, str], str]:
    """The y label of each row: its group (or wrapped indicator label) and its n."""
    multi = _is_multi(blocks)
    label_of = {row: lab for lab, rs in blocks for row in rs}
    return {
        row: (
            _wrap(GROUP_NAMES.get(row[1], row[1]) if multi else label_of[row], WRAP_LABEL)
            + f"\nn = {_fmt_n(rows.loc[row, 'n'])}"
        )
        for _, rs in blocks
        for row in rs
    }


def _draw_one_wave_panels(
    panels, rows: pd.DataFrame, ticks: Mapping[tuple[str, str], str], wave: str
) -> int:
    """Draw every panel's points (percent with 95% CI) and axis; returns how many points have no
    interval."""
    no_interval = 0
    for ax, _, rs in panels:
        ys = np.arange(len(rs))[::-1].astype(float)
        for y, (ind, g) in zip(ys, rs):
            r = rows.loc[(ind, g)]
            point = _estimate_point(
                ax, r["percent"], r["ci_low"], r["ci_high"], y, style.ENDLINE, style.ENDLINE
            )
            point.set_gid(f"dumbbell:{ind}:{g}:{wave}")
            no_interval += _no_interval(r)
        _percent_axis(ax, ys, [ticks[row] for row in rs])
    return no_interval


def _one_wave_handles(wave: str, alpha: float = DEFAULT_ALPHA) -> list[Line2D]:
    """The legend of the one-wave chart: the wave's point with its 95% CI."""
    return [
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color=style.ENDLINE,
            ms=5.5,
            label=f"{_wave_title(wave)} ({ci_level(alpha)} CI)",
        )
    ]


def _build_one_wave(
    est: pd.DataFrame,
    wave: str,
    source: str,
    labels: Mapping[str, str] | None,
    shifts: pd.DataFrame | None,
    *,
    title: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    grouping: Grouping = SEX_GROUPING,
    extra_note: str = "",
) -> Figure:
    """The dumbbell chart of indicators measured in one wave: that wave's percentages with 95% CIs,
    no arrows, overall and for the `grouping`'s groups; `extra_note` ends the note."""
    rows = _one_wave_rows(est, wave)
    blocks = _group_blocks(
        _ordered_unique(rows.index.get_level_values("indicator")),
        rows.index,
        labels,
        _improvement_by_indicator(shifts),
        grouping,
    )
    if not blocks:
        raise ValueError(f"estimates table: no overall estimate in wave {wave}")
    ticks = _one_wave_ticks(blocks, rows)
    fig = new_figure(
        style.FIG_WIDTH, _height_for(blocks, sum(t.count("\n") + 1 for t in ticks.values()))
    )
    panels = _panels(fig, blocks)
    no_interval = _draw_one_wave_panels(panels, rows, ticks, wave)
    panels[-1][0].set_xlabel("Percent of respondents (%)")
    add_header(
        fig,
        title or f"Indicators in {wave} (one wave: no change to show)",
        handles=_one_wave_handles(wave, alpha),
    )
    add_source_note(
        fig,
        source,
        note=(
            f"Points: percent of respondents, with {ci_level(alpha)} CIs ({_ci_methods(est)});"
            f" n = respondents answering. These indicators were measured in one wave ({wave}),"
            " so there is no change to show."
        )
        + _not_estimable_note(no_interval, "the estimates table")
        + extra_note,
    )
    _fit_panel_titles(fig, panels)
    return fig


def dumbbell(
    estimates: pd.DataFrame,
    shifts: pd.DataFrame | None,
    out_stem: Path,
    source: str,
    labels: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    by: str = "sex",
    min_group_n: int | None = None,
) -> list[Path]:
    """Baseline -> endline dumbbell chart (by sex, or by the grouping `by`: `build_dumbbell`) ->
    [<out_stem>.png, <out_stem>.svg]."""
    return _draw(
        build_dumbbell,
        out_stem,
        estimates,
        shifts,
        source,
        labels,
        title=title,
        alpha=alpha,
        by=by,
        min_group_n=min_group_n,
    )


# --- forest plot of shifts ------------------------------------------------------------------------
FOREST_RANK = {"All": 0, "Female": 1, "Male": 2, "interaction": 3}  # row order within an indicator
P_HEAD = "Holm p"  # the p column right of the plot (the change column: `change_head`)


def change_head(alpha: float = DEFAULT_ALPHA) -> str:
    """The heading of the change column right of the forest plot: 'Change (95% CI)'."""
    return f"Change ({ci_level(alpha)} CI)"


def _fmt_p(p) -> str:
    if p is None or pd.isna(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _fmt_pp(v: float, decimals: int = DEFAULT_PERCENT_DECIMALS) -> str:
    """'+3.2' / '−1.0': a change in percentage points, signed, with `decimals` decimals."""
    return f"{v:+.{decimals}f}".replace("-", MINUS)


def _pp_tick(v: float, _pos=None) -> str:
    """An x tick of the forest plot (whole percentage points: the ticks are multiples of 5)."""
    return _fmt_pp(v, 0) if round(v) else "0"


def _forest_rows(shifts: pd.DataFrame, include_interactions: bool) -> tuple[pd.DataFrame, int]:
    """The overall and by-sex rows (and women-minus-men rows, if included) that have a difference,
    with their `kind` and `sig`; and how many such rows have no difference."""
    s = shifts[shifts["group_var"].isin(["overall", "sex"])].copy()
    s["indicator"] = s["indicator"].astype(str)
    s["group"] = s["group"].astype(str)
    s["kind"] = s["group"].map(_group_kind)
    if not include_interactions:
        s = s[s["kind"] != "interaction"]
    without_diff = int(s["diff_pp"].isna().sum())
    s = s.dropna(subset=["diff_pp"])
    s["sig"] = _as_bool(s["significant_holm"])
    return s, without_diff


def _forest_blocks(
    s: pd.DataFrame, labels: Mapping[str, str] | None, improvement: Mapping[str, str]
) -> list[tuple[str, list[pd.Series]]]:
    """One block per indicator: its label and its rows (overall, women, men, then the
    interaction); with several comparisons (3+ waves) one block per comparison x indicator, its
    label led by the comparison ("1999 -> 2000: ...", `_comparison_names`)."""
    blocks = []
    names = _comparison_names(s)
    several = len(set(names)) > 1
    for name in _ordered_unique(names):
        part = s[names == name]
        for ind in _ordered_unique(part["indicator"]):
            sub = part[part["indicator"] == ind]
            sub = sub.iloc[
                sorted(range(len(sub)), key=lambda i: (FOREST_RANK.get(sub["kind"].iloc[i], 9), i))
            ]
            label = _label_for(ind, labels, improvement.get(ind))
            blocks.append(
                (f"{name}: {label}" if several else label, [r for _, r in sub.iterrows()])
            )
    return blocks


def _comparison_names(s: pd.DataFrame) -> pd.Series:
    """Each shift row's comparison as "from -> to" (wave names as configured; a published baseline
    is "published")."""
    if not {"from_wave", "to_wave"} <= set(s.columns):
        return pd.Series("", index=s.index)
    start = s["from_wave"].map(lambda w: "published" if pd.isna(w) else _wave_name(w))
    return start + f" {ARROW} " + s["to_wave"].map(_wave_name)


def _wave_name(wave) -> str:
    """A wave name as configured, also when a CSV reader took it for a number (1999.0)."""
    return str(int(wave)) if isinstance(wave, float) and wave.is_integer() else str(wave)


def _common_n(s: pd.DataFrame, multi: bool) -> tuple | None:
    """(baseline n, endline n) when every row has the same n and each indicator has one row (a
    panel): the n is then said once, in the note; else None."""
    main_rows = s[s["kind"] != "interaction"]
    ns = set(
        zip(
            main_rows.get("from_n", pd.Series(dtype=float)),
            main_rows.get("to_n", pd.Series(dtype=float)),
        )
    )
    return (
        next(iter(ns))
        if (not multi and len(ns) == 1 and all(pd.notna(v) for v in next(iter(ns))))
        else None
    )


def _forest_tick(
    label: str, r: pd.Series, *, multi: bool, wrap_width: int, with_n: bool, design: str | None
) -> str:
    if r["kind"] == "interaction":
        head = f"{_interaction_label(r['group'])}\n(difference in change)"
        return head if multi else f"{_wrap(label, wrap_width)}\n{head}"
    head = GROUP_NAMES.get(r["group"], r["group"]) if multi else _wrap(label, wrap_width)
    if with_n and pd.notna(r.get("from_n")) and pd.notna(r.get("to_n")):
        head += "\n" + _n_text(r["from_n"], r["to_n"], design)
    return head


def _composition_flagged(r: pd.Series) -> bool:
    """Whether a shift row carries a composition flag (shifts.csv `composition_flag`: the crude
    change lies outside its subgroups' changes or away from the standardised change)."""
    flag = r.get("composition_flag")
    return isinstance(flag, str) and bool(flag.strip())


def _change_text(r: pd.Series, decimals: int) -> str:
    """'+3.2 (−1.0 to +7.4)', or '+3.2 (not estimable)' for a change without an interval; a
    composition-flagged change ends with COMPOSITION_MARK."""
    d = _fmt_pp(float(r["diff_pp"]), decimals)
    mark = f" {COMPOSITION_MARK}" if _composition_flagged(r) else ""
    if _no_change_interval(r):
        return f"{d} (not estimable){mark}"
    return (
        f"{d} ({_fmt_pp(float(r['diff_ci_low']), decimals)} to"
        f" {_fmt_pp(float(r['diff_ci_high']), decimals)}){mark}"
    )


def _forest_columns(
    fig: Figure, changes: list[str], ps: list[str], head: str
) -> tuple[float, float]:
    """Offsets (inches right of the Axes) of the change column's left edge and the p column's right
    edge, measured from their widest entry."""
    col1 = 0.15
    w1 = _text_width_in(fig, [head, *changes], fontsize=style.SMALL_SIZE, fontweight="bold")
    w2 = _text_width_in(fig, [P_HEAD, *ps], fontsize=style.SMALL_SIZE, fontweight="bold")
    return col1, col1 + w1 + 0.15 + w2


def _draw_forest_row(
    ax, y: float, r: pd.Series, change: str, p: str, cols: tuple[float, float]
) -> None:
    """One shift: its point (filled when Holm-significant) with its interval, and its change and p
    texts."""
    kind = r["kind"]
    colour = GROUP_COLOURS.get(kind, style.INTERACTION)
    marker = GROUP_MARKERS.get(kind, INTERACTION_MARKER)
    d, dl, dh = float(r["diff_pp"]), float(r["diff_ci_low"]), float(r["diff_ci_high"])
    if _no_change_interval(r):
        point = ax.plot(
            [d], [y], marker=marker, ls="", ms=6.5, mew=1.4, mec=colour, mfc="white", zorder=3
        )[0]
    else:
        point = ax.errorbar(
            [d],
            [y],
            xerr=[[d - dl], [dh - d]],
            fmt=marker,
            ms=6.5,
            mew=1.4,
            mec=colour,
            mfc=colour if r["sig"] else "white",
            ecolor=colour,
            elinewidth=1.4,
            capsize=2.5,
            zorder=3,
        ).lines[0]
    point.set_gid(f"forest:{r['indicator']}:{r['group']}:{'sig' if r['sig'] else 'ns'}")
    ax.text(
        1,
        y,
        change,
        transform=_right_of(ax, cols[0]),
        ha="left",
        va="center",
        fontsize=style.SMALL_SIZE,
    )
    ax.text(
        1,
        y,
        p,
        transform=_right_of(ax, cols[1]),
        ha="right",
        va="center",
        fontsize=style.SMALL_SIZE,
        fontweight="bold" if r["sig"] else "normal",
    )


def _forest_panel(
    ax, ys, ticks: list[str], limits: tuple[float, float], cols: tuple | None
) -> None:
    """A panel's y labels, limits, zero line and grid; `cols`: the column headings, over the first
    panel."""
    ax.set_yticks(ys, labels=ticks)
    ax.set_ylim(-0.6, len(ticks) - 0.4)
    ax.set_xlim(*limits)
    ax.axvline(0, color=style.TEXT, lw=0.9, zorder=2)
    ax.grid(axis="x")
    if cols:
        ax.text(
            1,
            1.0,
            cols[2],
            transform=_right_of(ax, cols[0], ax.transAxes),
            ha="left",
            va="bottom",
            fontsize=style.SMALL_SIZE,
            fontweight="bold",
        )
        ax.text(
            1,
            1.0,
            P_HEAD,
            transform=_right_of(ax, cols[1], ax.transAxes),
            ha="right",
            va="bottom",
            fontsize=style.SMALL_SIZE,
            fontweight="bold",
        )


def _draw_forest_panels(
    panels, cells: list[tuple], limits: tuple[float, float], cols: tuple[float, float]
) -> None:
    """Draw each panel's rows; `cells`: (row, tick label, change text, p text) of every row, top to
    bottom."""
    cells = iter(cells)
    for pi, (ax, _, rs) in enumerate(panels):
        ys = np.arange(len(rs))[::-1].astype(float)
        panel = [next(cells) for _ in rs]
        for y, (r, _, change, p) in zip(ys, panel):
            _draw_forest_row(ax, y, r, change, p, cols)
        _forest_panel(ax, ys, [tick for _, tick, _, _ in panel], limits, cols if pi == 0 else None)


def _forest_handles(kinds: list[str], alpha: float) -> list[Line2D]:
    """The legend: a marker per kind of row (`kinds`, when the rows are split by group), then
    filled/hollow."""
    handles = []
    for kind in kinds:
        name = (
            GROUP_NAMES.get(kind, kind)
            if kind != "interaction"
            else f"Women {MINUS} Men (difference in change)"
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=GROUP_MARKERS.get(kind, INTERACTION_MARKER),
                ms=6.5,
                color=GROUP_COLOURS.get(kind, style.INTERACTION),
                label=name,
            )
        )
    return handles + significance_handles(alpha)


def significance_handles(alpha: float = DEFAULT_ALPHA) -> list[Line2D]:
    """The forest legend's significance entries: a neutral grey marker, filled (Holm-adjusted p <
    `alpha`) and hollow (not significant), so neither looks like a group's marker; then the bar,
    an interval at the 1 - `alpha` level not adjusted for multiple tests."""
    grey = style.OKABE_ITO["grey"]
    common = dict(ls="", marker="o", ms=6.5, mew=1.4, color=grey, mec=grey)
    return [
        Line2D([], [], color=grey, lw=1.4, label=f"Bar: unadjusted {ci_level(alpha)} CI"),
        Line2D(
            [], [], mfc=grey, label=f"Filled: Holm-adjusted p < {proportion_text(alpha)}", **common
        ),
        Line2D([], [], mfc="white", label="Hollow: not significant", **common),
    ]


def _interval_methods(rows: pd.DataFrame) -> str:
    """The rows' interval methods (`ci_method`), each once, comma-separated; '' without them."""
    if "ci_method" not in rows:
        return ""
    return ", ".join(_ordered_unique(rows["ci_method"].dropna().astype(str)))


def _forest_note(
    s: pd.DataFrame,
    rows: list[pd.Series],
    waves: tuple[str, str],
    common_n: tuple | None,
    design: str | None,
    without_diff: int,
    alpha: float,
) -> str:
    """The note under the forest plot: what points and bars are, the n, the interaction rows,
    significance and what was not estimable."""
    w_from, w_to = waves
    methods = _interval_methods(s[s["kind"] != "interaction"])
    note = (
        f"Points: {w_to} {MINUS} {w_from} in percentage points; bars: unadjusted"
        f" {ci_level(alpha)} CI ({methods})."
    )
    if common_n is not None:
        note += f" n = {_n_text(*common_n, design).removeprefix('n = ')} for every row" + (
            " (respondents matched across waves, paired tests)."
            if design == "panel"
            else f" ({w_from} {ARROW} {w_to})."
        )
    elif design == "panel":
        note += " Paired design: n = respondents matched across waves."
    else:
        note += f" n = respondents at {w_from} {ARROW} {w_to}."
    inter = s[s["kind"] == "interaction"]
    if len(inter):
        imethods = _interval_methods(inter)
        note += f" 'Women {MINUS} Men' rows: the women's change minus the men's change" + (
            f" ({imethods} CI)." if imethods else "."
        )
    note += (
        f" Filled markers and bold p: Holm-adjusted p < {proportion_text(alpha)}; hollow"
        " markers: not significant. The bars are not adjusted for multiple tests, so a bar that"
        " misses zero can belong to a hollow marker."
    )
    if any(_composition_flagged(r) for r in rows):
        note += (
            f" {COMPOSITION_MARK} Crude change: the sample's composition changed between the waves"
            " and the crude change lies outside its groups' changes or differs from the"
            " standardised change (adjusted.csv)."
        )
    unestimable = int(sum(_no_change_interval(r) for r in rows))
    if unestimable or without_diff:
        note += (
            " Not estimable (no interval or test, see the `note` column of the shifts table):"
            f" {unestimable} row{'s' if unestimable != 1 else ''} drawn without bars"
            + (f", {without_diff} without a difference not drawn." if without_diff else ".")
        )
    return note


FOREST_COLUMNS = [
    "indicator",
    "group_var",
    "group",
    "diff_pp",
    "diff_ci_low",
    "diff_ci_high",
    "significant_holm",
]  # the shifts-table columns the forest plot needs (composition_flag is read when present)


def _forest_ticks(
    s: pd.DataFrame, blocks: list[tuple[str, list[pd.Series]]], design: str | None
) -> tuple[list[str], tuple | None]:
    """The y label of every row, top to bottom, and the n every row shares (`_common_n`), if any.

    One indicator per row and the same n everywhere (a panel): the n is said once, in the note, and
    the labels get the room (narrower wrap) so the plot keeps its width."""
    multi = _is_multi(blocks)
    common_n = _common_n(s, multi)
    tick_of = dict(
        multi=multi,
        wrap_width=WRAP_LABEL - 8 if common_n else WRAP_LABEL,
        with_n=common_n is None,
        design=design,
    )
    return [_forest_tick(label, r, **tick_of) for label, rs in blocks for r in rs], common_n


def _forest_limits(s: pd.DataFrame) -> tuple[float, float]:
    """The x limits (percentage points): every interval, or the difference where there is none,
    and zero."""
    return _nice_limits(
        float(s["diff_ci_low"].fillna(s["diff_pp"]).min()),
        float(s["diff_ci_high"].fillna(s["diff_pp"]).max()),
    )


def _forest_x_axis(ax, limits: tuple[float, float], w_from: str, w_to: str) -> None:
    """The bottom panel's x axis: its label and signed ticks in whole percentage points."""
    ax.set_xlabel(f"Change, {w_to} {MINUS} {w_from} (percentage points)")
    ax.xaxis.set_major_locator(MultipleLocator(_tick_step(limits[1] - limits[0])))
    ax.xaxis.set_major_formatter(FuncFormatter(_pp_tick))


def _draw_forest(
    fig: Figure,
    panels,
    rows: list[pd.Series],
    ticks: list[str],
    limits: tuple[float, float],
    percent_decimals: int,
    alpha: float = DEFAULT_ALPHA,
) -> None:
    """Draw every panel's rows with, right of the plot, the change (percentage points,
    `percent_decimals` decimals, with its 95% CI) and Holm p columns."""
    changes = [_change_text(r, percent_decimals) for r in rows]
    ps = [_fmt_p(r.get("p_holm")) for r in rows]
    head = change_head(alpha)
    cols = (*_forest_columns(fig, changes, ps, head), head)
    _draw_forest_panels(panels, list(zip(rows, ticks, changes, ps)), limits, cols)


def _build_no_differences(source: str, without_diff: int, *, title: str | None = None) -> Figure:
    """The forest chart when no overall or by-sex row has a difference: a figure that says so and
    how many rows are not estimable."""
    return _build_no_shifts(
        source,
        title=title,
        reason=(
            "no overall or by-sex row has a difference "
            f"({without_diff} not estimable: see the `note` column of the shifts table)"
        ),
    )


def build_forest_plot(
    shifts: pd.DataFrame,
    source: str,
    labels: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    include_interactions: bool = True,
    alpha: float = DEFAULT_ALPHA,
    percent_decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> Figure:
    """Endline - baseline difference (percentage points, `percent_decimals` decimals) with 95% CI
    per shift row (overall, by sex and, optionally, the women-minus-men difference in change);
    filled markers = Holm-adjusted p < `alpha` (the table's `significant_holm`).

    Baseline and endline are the table's `from_wave` and `to_wave` (any names). A row whose
    change has no interval (not estimable, see the table's `note`) is a hollow marker without bars,
    labelled "not estimable"; rows without a difference (a group absent from a wave) are counted in
    the note. A table without rows (one wave of data) gives a chart that says so. A panel design
    (`design_type`) is said to be paired.
    """
    if shifts.empty and set(FOREST_COLUMNS) <= set(shifts.columns):
        return _build_no_shifts(source, title=title)
    _require(shifts, FOREST_COLUMNS, "shifts table")
    compared = _compared_waves(pd.DataFrame({"wave": []}), shifts) or ["baseline", "endline"]
    w_from, w_to = compared[0], compared[-1]
    s, without_diff = _forest_rows(shifts, include_interactions)
    if s.empty:
        return _build_no_differences(source, without_diff, title=title)
    design = _design_of(s)
    blocks = _forest_blocks(s, labels, _improvement_by_indicator(shifts))
    rows = [r for _, rs in blocks for r in rs]
    ticks, common_n = _forest_ticks(s, blocks, design)
    fig = new_figure(style.FIG_WIDTH, _height_for(blocks, sum(t.count("\n") + 1 for t in ticks)))
    limits = _forest_limits(s)
    panels = _panels(fig, blocks)
    _draw_forest(fig, panels, rows, ticks, limits, percent_decimals, alpha)
    several = _comparison_names(s).nunique() > 1  # 3+ waves: a block per comparison
    axis_waves = ("earlier wave", "later wave") if several else (w_from, w_to)
    _forest_x_axis(panels[-1][0], limits, *axis_waves)
    kinds = _ordered_unique(r["kind"] for r in rows) if _is_multi(blocks) else []
    heading = "Changes between waves" if several else f"Change between {w_from} and {w_to}"
    add_header(fig, title or heading, handles=_forest_handles(kinds, alpha))
    add_source_note(
        fig,
        source,
        note=_forest_note(s, rows, axis_waves, common_n, design, without_diff, alpha),
    )
    _fit_panel_titles(fig, panels)
    return fig


def _no_change_interval(row) -> bool:
    return bool(pd.isna(row["diff_ci_low"]) or pd.isna(row["diff_ci_high"]))


def _build_no_shifts(source: str, *, title: str | None = None, reason: str | None = None) -> Figure:
    """The forest chart of a country without shift rows (one wave of data): a figure that says
    so."""
    fig = new_figure(style.FIG_WIDTH, 2.6)
    ax = fig.add_subplot()
    ax.set_axis_off()
    text = "No change to show: " + (
        reason
        or "the shifts table has no rows (the data have one wave, or no indicator was measured"
        " in two waves)"
    )
    ax.text(
        0.5,
        0.5,
        _wrap(text, 70),
        ha="center",
        va="center",
        transform=ax.transAxes,
        gid="forest-empty",
    )
    add_header(fig, title or "Change between waves")
    add_source_note(fig, source)
    return fig


def empty_page(out_stem: Path, source: str, *, title: str, reason: str) -> list[Path]:
    """A chart page without rows (its indicators are not in the tables): a figure that says why
    -> [<out_stem>.png, <out_stem>.svg]."""
    return _draw(_build_no_shifts, out_stem, source, title=title, reason=reason)


def _tick_step(span: float) -> float:
    for step in (5, 10, 20, 25, 50):
        if span / step <= 8:
            return step
    return 100


def forest_plot(
    shifts: pd.DataFrame,
    out_stem: Path,
    source: str,
    labels: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    include_interactions: bool = True,
    alpha: float = DEFAULT_ALPHA,
    percent_decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> list[Path]:
    """Forest plot of baseline -> endline shifts -> [<out_stem>.png, <out_stem>.svg]."""
    return _draw(
        build_forest_plot,
        out_stem,
        shifts,
        source,
        labels,
        title=title,
        include_interactions=include_interactions,
        alpha=alpha,
        percent_decimals=percent_decimals,
    )
