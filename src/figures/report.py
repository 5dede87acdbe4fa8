"""reports/report.html: one self-contained file (images embedded, no network) a reviewer can read
and audit.

Sections: what the data are (with the synthetic-reconstruction caveat) and how they were cleaned;
the paper's Figures 1-3; per country the design, every estimate and shift with its test; the audit
summary and findings. Beside every number stands its claim id (cells the paper prints) or its
provenance id (`est:`/`shift:` rows), so any value can be traced with `make trace ID=<claim id>`
(`.venv/bin/python -m analysis.audit show`). Per country, the cleaning section counts the rows
excluded by each rule, the rows kept with a flag by each warning rule of the cleaning log, and the
values changed by each cleaning rule. The markup is in templates/report.html.j2 (the page) and
templates/report_parts.html.j2 (its tables and sections); this module prepares their data. Every
text from config or data is HTML-escaped as the templates write it (autoescape, with `html.escape`'s
entities, quotes included); the CSVs are read with `read_output_csv`. Empty cells follow the display
tables (tables.py): "s" only for a suppressed crosstab cell, "–" for a number that does not exist or
is not estimable, whose `note` is a numbered mark in the row and a numbered line under the table.
Waves are named as configured (the shifts' `from_wave` and `to_wave`); a country without
shifts (one wave) says so instead of showing an empty table.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from analysis.csv_files import read_output_csv
from analysis.model import (
    DEFAULT_PERCENT_DECIMALS,
    ClaimsRegistry,
    Country,
    Project,
    proportion_text,
)

from .dictionary_section import dictionary_section
from .evaluation_sections import evaluation_sections
from .key_results import key_results
from .paging import (
    SHIFT_CHARTS,
    grouping_words,
    groupings_of,
    parse_group_stem,
    parse_page_stem,
)
from .scales_section import scales_section
from .statements_section import statements_section
from .tables import (
    MISSING,
    PUBLISHED,
    SUPPRESSED,
    ci_level,
    column_headers,
    compared_waves,
    count_cell,
    estimate_waves,
    group_name,
    interval,
    no_shifts_text,
    note_texts,
    notes_and_flags,
    num,
    pct,
    pvalue,
    row_notes,
    suppressed_flags,
    wave_text,
    wave_title,
)
from .templating import TEMPLATES
from .templating import text as _text

# the evaluation tables of a country (figures.evaluation_sections), their wave columns read as text
EVALUATION_TABLES = ("comparisons", "adjusted", "did", "power")
WAVE_TEXT = {"wave": str, "from_wave": str, "to_wave": str}
LOG_COUNTED = {
    "dataset",
    "source_file",
    "source_row",
    "rule",
    "severity",
}  # the cleaning-log columns the report reads


@dataclass
class CountryInputs:
    name: str
    label: str
    design: str
    tables: dict[
        str, tuple[str, pd.DataFrame, list[str]]
    ]  # table id -> (title, tidy crosstab, column variables)
    charts: dict[str, Path]  # chart id -> PNG path
    estimates: pd.DataFrame
    shifts: pd.DataFrame
    accounting: pd.DataFrame
    exclusions: pd.DataFrame
    cleaning_log: pd.DataFrame
    # panel stayers against leavers at baseline (empty if not a panel, or not given)
    attrition: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    # linear trends over 3+ waves (trends.csv; empty with fewer waves, or not given)
    trends: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    # mean indicators (means, scales, counts): estimates and changes; scale reliability
    mean_estimates: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    mean_shifts: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    scales: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    # evaluation tables by name (EVALUATION_TABLES), each empty when not written
    evaluation: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    # the data dictionary (dictionary.csv; empty when not given)
    dictionary: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    # the dumbbells by grouping ({file-name form: variable}, `paging.groupings_of`) and the smallest
    # group estimated (`min_group_n`), for their captions
    groupings: dict[str, str] = dataclasses.field(default_factory=dict)
    min_group_n: int | None = None


def _parts():
    """The macros of templates/report_parts.html.j2."""
    return TEMPLATES.get_template("report_parts.html.j2").module


def _p(p) -> str:
    """`tables.pvalue`'s text, escaped by the template like any other text ("<0.001" is written
    "&lt;0.001": valid HTML, and read the same)."""
    return pvalue(p)


# px: the page is at most 1150 CSS px wide, so 1400 px stays sharp on a high-density screen, while
# the 300 dpi charts (2100 px wide, for print: reports/figures/) would make the page 3 times heavier
REPORT_IMAGE_WIDTH = 1400


def report_png(path: Path, width: int = REPORT_IMAGE_WIDTH) -> bytes:
    """A chart's PNG for the page: as written when at most `width` px wide, else resized to `width`
    (box filter: the area average; aspect ratio kept), reduced to a 256-colour palette (median cut,
    no dithering: a chart has few colours) and re-encoded, about a third of the bytes;
    byte-deterministic for the pinned Pillow."""
    from PIL import Image

    with Image.open(path) as image:
        if image.width <= width:
            return path.read_bytes()
        height = max(1, round(image.height * width / image.width))
        small = image.convert("RGB").resize((width, height), Image.Resampling.BOX)
    palette = small.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    return buffer.getvalue()


def _figure(path: Path, alt: str) -> dict:
    """A chart embedded in the page: its PNG (`report_png`) as base64 and its alt text (also the
    caption)."""
    return {"alt": alt, "data": base64.b64encode(report_png(path)).decode("ascii")}


def _shift_chart_what(
    chart: str, waves: list[str], by_sex: bool, alpha: float, groups: str | None = None
) -> str:
    """What a shift chart shows, for its caption: the measure, the waves, the groups (`groups`,
    else overall and by sex or all respondents) and the intervals (the configured level,
    1 - `alpha`)."""
    groups = groups or (", overall and for women and men" if by_sex else ", all respondents")
    if chart == "dumbbell":
        if len(waves) >= 3:
            at = f"in each wave ({waves[0]} to {waves[-1]})"
        else:
            at = "at " + " and ".join(waves) if waves else "in each wave"
        return f"percent of respondents per indicator {at}{groups}, with {ci_level(alpha)} CIs"
    span = (
        f"from {waves[0]} to {waves[-1]}"
        if len(waves) == 2
        else f"between the waves ({waves[0]} to {waves[-1]})"
        if waves
        else "between waves"
    )
    return (
        f"change {span} in percentage points{groups}, with unadjusted {ci_level(alpha)} CIs;"
        f" filled markers: Holm-adjusted p < {proportion_text(alpha)}"
    )


def _paged_figures(c: CountryInputs, pages: list[tuple[int, int, str]], what) -> list[dict]:
    """The figures of `pages` (sorted (chart index, page, file stem)), each captioned
    "<country>: <what(chart index)>", with " (page K of N)" when its chart has several pages."""
    figures = []
    for index, page, stem in pages:
        of = sum(1 for i, _, _ in pages if i == index)
        suffix = f" (page {page} of {of})" if of > 1 else ""
        figures.append(_figure(c.charts[stem], f"{c.label}: {what(index)}{suffix}"))
    return figures


def shift_chart_figures(c: CountryInputs, alpha: float) -> list[dict]:
    """Every page of a country's dumbbell and forest charts (dumbbell first, pages in order), each
    with a caption that says what it shows ("Rwanda: change from baseline to endline in percentage
    points, overall and for women and men, ... (page 1 of 2)")."""
    pages = sorted(
        (SHIFT_CHARTS.index(hit[0]), hit[1], stem)
        for stem in c.charts
        if (hit := parse_page_stem(stem)) is not None
    )
    waves = estimate_waves(c.estimates)
    by_sex = "group_var" in c.estimates and bool((c.estimates["group_var"] == "sex").any())
    return _paged_figures(
        c, pages, lambda index: _shift_chart_what(SHIFT_CHARTS[index], waves, by_sex, alpha)
    )


def group_chart_figures(c: CountryInputs, alpha: float) -> list[dict]:
    """Every page of a country's dumbbells by grouping (age band, social group...: configured
    order, pages in order), each with a caption that says what it shows."""
    names = list(c.groupings.values())
    pages = sorted(
        (list(c.groupings).index(hit[0]), hit[1], stem)
        for stem in c.charts
        if (hit := parse_group_stem(stem)) is not None and hit[0] in c.groupings
    )
    waves = estimate_waves(c.estimates)
    floor = f" with at least {c.min_group_n} answers" if c.min_group_n else ""

    def what(index: int) -> str:
        groups = f", overall and by {grouping_words(names[index])} (groups{floor})"
        chart = _shift_chart_what("dumbbell", waves, False, alpha, groups)
        return f"{chart}; changes within groups not tested"

    return _paged_figures(c, pages, what)


def _cell_claims(registry: ClaimsRegistry | None) -> dict[tuple, str]:
    """(country, table, row, column, field) -> claim id, for figure cells the paper prints."""
    return registry.figure_cells() if registry is not None else {}


def _crosstab_text(v, hidden: bool, field: str, decimals: int) -> str:
    """A crosstab cell's text: a count (`field` "n") or a percent with `decimals` decimals; "s"
    when suppressed."""
    if field == "n":
        return count_cell(v, hidden)
    return SUPPRESSED if hidden else pct(v, decimals)


def _claimed_cell(text: str, cid: str | None, status: dict) -> dict:
    """A cell with the claim id the paper prints for it (if any), its audit status and whether it
    is `bad` (the printed value differs or is impossible)."""
    return {
        "text": text,
        "claim": cid or "",
        "status": status.get(cid, "") if cid else "",
        "bad": bool(cid) and status.get(cid) in ("differs", "impossible"),
    }


def crosstab_table(
    country: str,
    table_id: str,
    tidy: pd.DataFrame,
    cell_claims: dict,
    status: dict,
    column_vars: list[str] | None = None,
    decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> dict:
    """The cells of a crosstab: per row its count line and (except Figure 3) its percent line, each
    cell with the claim id the paper prints for it, if any; a column of several variables is headed
    by their categories joined with " · ".

    Parameters
    ----------
    country, table_id : str
        Whose table, and which (with the cell's row, column and field, the key of `cell_claims`).
    tidy : pandas.DataFrame
        The tidy crosstab (row, column, n, percent, optionally suppressed and one column per column
        variable).
    cell_claims : dict
        (country, table, row, column, field) -> claim id (`_cell_claims`).
    status : dict
        Claim id -> audit status.
    column_vars : list of str, optional
        The table's column variables.

    Returns
    -------
    dict
        ``headers`` (texts) and ``rows``: ``label``, ``bold`` (the count line) and ``cells``
        (``text``, ``claim``, its ``status`` and whether it is ``bad``: the printed value differs or
        is impossible).
    """
    rows = list(dict.fromkeys(tidy["row"]))
    cols = list(dict.fromkeys(tidy["column"]))
    idx = tidy.assign(_suppressed=suppressed_flags(tidy)).set_index(["row", "column"])
    out_rows = []
    for r in rows:
        for field in ["n"] if table_id.startswith("figure3") else ["n", "percent"]:
            cells = []
            for c in cols:
                v, hidden = idx.loc[(r, c), field], bool(idx.loc[(r, c), "_suppressed"])
                cid = cell_claims.get((country, table_id, r, c, field))
                cells.append(_claimed_cell(_crosstab_text(v, hidden, field, decimals), cid, status))
            out_rows.append(
                {"label": r if field == "n" else "%", "bold": field == "n", "cells": cells}
            )
    headers = column_headers(tidy, column_vars or [])
    return {
        "headers": [""] + [" · ".join(headers[c]) if c in headers else c for c in cols],
        "rows": out_rows,
    }


def crosstab_html(
    country: str,
    table_id: str,
    tidy: pd.DataFrame,
    cell_claims: dict,
    status: dict,
    column_vars: list[str] | None = None,
    decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> str:
    """A crosstab with counts (and percents beneath), claim ids under the cells the paper prints
    (HTML, one line).

    Parameters are those of `crosstab_table`.
    """
    return _parts().crosstab(
        crosstab_table(country, table_id, tidy, cell_claims, status, column_vars, decimals)
    )


def estimates_table(
    country: str, est: pd.DataFrame, labels: dict, decimals: int = DEFAULT_PERCENT_DECIMALS
) -> dict:
    """Every overall and by-sex estimate, one row each; an empty percent, interval or design effect
    reads "–" and the row's `note` is a mark after its percent, the note under the table.

    Returns
    -------
    dict
        ``rows`` (one dict of cell texts per estimate, with its provenance ``id`` and note ``mark``)
        and ``notes``.
    """
    e = est[est["group_var"].isin(["overall", "sex"])]
    marks = row_notes(note_texts(e))
    rows = [
        {
            "label": labels.get(r.indicator, r.indicator),
            "id": f"est:{country}/{r.indicator}/{wave_text(r.wave)}/{r.group}",
            "group": group_name(r.group),
            "wave": wave_text(r.wave),
            "n": str(r.n),
            "percent": pct(r.percent, decimals),
            "mark": m.strip(),
            "ci": interval(r.ci_low, r.ci_high, decimals=decimals),
            "ci_method": _text(r.ci_method) or MISSING,
            "deff": num(r.deff, 2),
        }
        for r, m in zip(e.itertuples(), marks.marks)
    ]
    return {"rows": rows, "notes": marks.lines}


def shifts_table(
    country: str,
    sh: pd.DataFrame,
    labels: dict,
    alpha: float,
    decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> dict:
    """Every shift, the first and last waves headed by their names (`from_wave`,
    `to_wave`); what cannot be estimated reads "–" and the row's `note` is a mark after its
    change, the note under the table.

    Returns
    -------
    dict
        ``first`` and ``last`` (the waves compared), ``wave_headers``, ``rows`` (one dict of cell
        texts per shift; ``sig``: Holm-adjusted p below `alpha`) and ``notes``.
    """
    first, last = compared_waves(sh) or ("baseline", "endline")
    several = _several_comparisons(sh)  # 3+ waves: each row names its from and to wave
    published = (
        sh["from_source"].eq("published")
        if "from_source" in sh
        else pd.Series(False, index=sh.index)
    )
    texts = notes_and_flags(sh)
    marks = row_notes(texts.mask(published & texts.eq(""), PUBLISHED))
    rows = [
        {
            "label": labels.get(r.indicator, r.indicator),
            "id": f"shift:{country}/{r.indicator}/{r.group}",
            "group": (
                f"{group_name(r.group)} ({_comparison_text(r)})" if several else group_name(r.group)
            ),
            "baseline": pct(r.from_pct, decimals),
            "endline": pct(r.to_pct, decimals),
            "change": num(r.diff_pp, decimals),
            "sig": bool(r.p_holm < alpha),
            "mark": m.strip(),
            "ci": interval(r.diff_ci_low, r.diff_ci_high, " to ", decimals=decimals),
            "test": _text(r.test) or MISSING,
            "p": _p(r.p_value),
            "p_holm": _p(r.p_holm),
            "p_bh": _p(r.p_bh),
            "cohens_h": num(r.cohens_h, 2),
        }
        for r, m in zip(sh.itertuples(), marks.marks)
    ]
    heads = ["From", "To"] if several else [wave_title(first), wave_title(last)]
    return {
        "several": several,
        "first": first,
        "last": last,
        "wave_headers": heads if heads[0] != heads[1] else [first, last],
        "rows": rows,
        "notes": marks.lines,
    }


def _several_comparisons(sh: pd.DataFrame) -> bool:
    """Whether the shifts compare more than one pair of waves (3+ waves)."""
    if not {"from_wave", "to_wave"} <= set(sh.columns):
        return False
    return len(sh[["from_wave", "to_wave"]].dropna().drop_duplicates()) > 1


def _comparison_text(r) -> str:
    """'1999 → 2001' for a shift row ('published → 2001' for a published baseline)."""
    start = "published" if pd.isna(r.from_wave) else wave_text(r.from_wave)
    return f"{start} \u2192 {wave_text(r.to_wave)}"


def trends_table(
    country: str,
    tr: pd.DataFrame,
    labels: dict,
    decimals: int = DEFAULT_PERCENT_DECIMALS,
    units: dict | None = None,
) -> dict | None:
    """The linear trends over 3+ waves (trends.csv) for the `trends` macro; None without rows.

    Returns
    -------
    dict or None
        ``rows``: per indicator and group the slope per wave step (percentage points for shares,
        the indicator's units for means), its 95% CI, df, p and the waves; ``notes``.
    """
    if tr is None or tr.empty:
        return None
    units = units or {}
    marks = row_notes(note_texts(tr))
    rows = [
        {
            "label": labels.get(r.indicator, r.indicator),
            "id": f"trend:{country}/{r.indicator}/{r.group}",
            "group": group_name(r.group),
            "unit": "pp" if r.measure == "share" else units.get(r.indicator, "units"),
            "slope": num(r.slope, decimals),
            "mark": m.strip(),
            "ci": interval(r.ci_low, r.ci_high, " to ", decimals=decimals),
            "df": num(r.df, 0),
            "p": _p(r.p_value),
            "waves": _text(r.waves),
        }
        for r, m in zip(tr.itertuples(), marks.marks)
    ]
    return {"rows": rows, "notes": marks.lines}


MEAN_DECIMALS = 2  # means, their changes and intervals, in the indicator's unit
EFFECT_SIZE_NAMES = {"hedges_g": "Hedges' g", "cohens_dz": "Cohen's dz"}


def _mean_text(value) -> str:
    """A mean, a change or a limit in the indicator's unit with MEAN_DECIMALS ("–" for none)."""
    return num(value, MEAN_DECIMALS) if pd.notna(value) else MISSING


def _units(mean_estimates: pd.DataFrame) -> dict:
    """Mean indicator id -> its unit (from mean_estimates.csv)."""
    if mean_estimates.empty:
        return {}
    return dict(zip(mean_estimates["indicator"], mean_estimates["unit"].fillna("")))


def _overall_and_sex(table: pd.DataFrame) -> pd.DataFrame:
    """The rows for all respondents and by sex (the other groups stay in the CSV)."""
    return table[table["group_var"].isin(["overall", "sex"])]


def mean_estimate_rows(est: pd.DataFrame, labels: dict) -> tuple[list[list], list[str]]:
    """The mean indicators' estimates (mean_estimates.csv) as text cells per row, and the notes:
    indicator, unit, wave, group, n, mean (SD), median, 95% CI."""
    est = _overall_and_sex(est)
    marks = row_notes(note_texts(est))
    rows = [
        [
            labels.get(r.indicator, r.indicator),
            _text(r.unit),
            wave_text(r.wave),
            r.group,
            num(r.n, 0),
            f"{_mean_text(r.mean)}{m} ({_mean_text(r.sd)})",
            _mean_text(r.median),
            interval(r.ci_low, r.ci_high, " to ", decimals=MEAN_DECIMALS),
        ]
        for r, m in zip(est.itertuples(), marks.marks)
    ]
    return rows, marks.lines


def mean_shift_rows(sh: pd.DataFrame, labels: dict, alpha: float) -> tuple[list[list], list[str]]:
    """The mean indicators' changes (mean_shifts.csv) as text cells per row, and the notes:
    indicator, group, from -> to, the two means, the change (* Holm p < alpha) with its 95% CI,
    test, p, Holm p and the effect size (Hedges' g or Cohen's dz)."""
    sh = _overall_and_sex(sh)
    marks = row_notes(notes_and_flags(sh))
    rows = [
        [
            labels.get(r.indicator, r.indicator),
            r.group,
            _comparison_text(r),
            _mean_text(r.from_mean),
            _mean_text(r.to_mean),
            f"{_mean_text(r.diff)}{'*' if r.p_holm < alpha else ''}{m}",
            interval(r.ci_low, r.ci_high, " to ", decimals=MEAN_DECIMALS),
            _text(r.test) or MISSING,
            _p(r.p_value),
            _p(r.p_holm),
            f"{num(r.effect_size, 2)} ({EFFECT_SIZE_NAMES.get(r.effect_size_kind, '')})"
            if pd.notna(r.effect_size)
            else MISSING,
        ]
        for r, m in zip(sh.itertuples(), marks.marks)
    ]
    return rows, marks.lines


def means_view(c: CountryInputs, labels: dict, alpha: float) -> dict | None:
    """The mean indicators' estimates and changes for the `means` macro; None without any."""
    if c.mean_estimates.empty:
        return None
    est_rows, est_notes = mean_estimate_rows(c.mean_estimates, labels)
    shift_rows, shift_notes = (
        mean_shift_rows(c.mean_shifts, labels, alpha) if len(c.mean_shifts) else ([], [])
    )
    return {
        "estimates": est_rows,
        "estimate_notes": est_notes,
        "shifts": shift_rows,
        "shift_notes": shift_notes,
        "alpha": alpha,
    }


def country_section(
    c: CountryInputs, labels: dict, alpha: float, decimals: int = DEFAULT_PERCENT_DECIMALS
) -> dict:
    """A country's estimates and shifts: its charts, its shifts (None without any, with `no_shifts`
    saying why) and its estimates, for the `country_section` macro."""
    waves = estimate_waves(c.estimates)
    has_shifts = len(c.shifts) > 0
    return {
        "name": c.name,
        "label": c.label,
        "design": c.design,
        "alpha": alpha,
        "one_wave": len(waves) == 1,
        "charts": shift_chart_figures(c, alpha),
        "group_charts": group_chart_figures(c, alpha),
        "group_charts_of": " and ".join(map(grouping_words, c.groupings.values())),
        "shifts": shifts_table(c.name, c.shifts, labels, alpha, decimals) if has_shifts else None,
        "no_shifts": "" if has_shifts else no_shifts_text(waves),
        "estimates": estimates_table(c.name, c.estimates, labels, decimals),
        "attrition": attrition_view(c.attrition, labels, alpha, decimals),
        "trends": trends_table(c.name, c.trends, labels, decimals, _units(c.mean_estimates)),
        "means": means_view(c, labels, alpha),
        "scales": Markup(scales_section(c.scales, labels)),
        "families": holm_families_text(c.shifts, c.mean_shifts),
        "evaluation": Markup(evaluation_sections(c.evaluation, labels, alpha, decimals)),
        "dictionary": Markup(dictionary_section(c.name, c.dictionary)),
    }


def holm_families_text(*tables: pd.DataFrame) -> str:
    """The multiplicity families of a country's changes with their sizes, e.g. "primary, overall
    (3 tests); primary, subgroup (9 tests)" ("" without any test)."""
    parts = [t["holm_family"] for t in tables if "holm_family" in t and len(t)]
    if not parts:
        return ""
    families = pd.concat(parts).fillna("").astype(str)
    sizes = families[families != ""].value_counts(sort=False)
    return "; ".join(f"{name} ({n} test{'s' if n != 1 else ''})" for name, n in sizes.items())


def attrition_view(
    table: pd.DataFrame, labels: dict, alpha: float, decimals: int = DEFAULT_PERCENT_DECIMALS
) -> dict | None:
    """A panel's attrition diagnostics for the `attrition` macro: per follow-up wave, how many
    baseline respondents stayed, and per item the stayers' and leavers' baseline percents, the
    difference (pp) with its interval and the Holm-adjusted p; None when the design is not a panel.

    Returns
    -------
    dict or None
        ``waves``: one dict per follow-up wave with ``summary`` (a sentence) and ``rows`` (cell
        texts; ``sig``: Holm-adjusted p below `alpha`); ``alpha``.
    """
    if not len(table):
        return None
    waves = []
    for wave, part in table.groupby("followup_wave", sort=False):
        first = part.iloc[0]
        summary = (
            f"Of {int(first.baseline_respondents)} respondents at {wave_text(first.baseline_wave)},"
            f" {int(first.stayers)} ({pct(first.retention_percent, decimals)}) were interviewed"
            f" again at {wave_text(wave)} and {int(first.leavers)} were not."
        )
        rows = [
            {
                "item": labels.get(r.item, r.item) if r.kind == "indicator" else r.item,
                "variable": "indicator" if r.kind == "indicator" else r.variable,
                "stayers": pct(r.stayers_percent, decimals),
                "leavers": pct(r.leavers_percent, decimals),
                "difference": num(r.difference, decimals),
                "ci": interval(r.diff_ci_low, r.diff_ci_high, " to ", decimals=decimals),
                "test": _text(r.test) or MISSING,
                "p_holm": _p(r.p_holm),
                "sig": bool(r.p_holm < alpha),
                "note": _text(r.note),
            }
            for r in part.itertuples()
        ]
        waves.append({"summary": summary, "rows": rows})
    return {"waves": waves, "alpha": alpha}


def estimates_and_shifts_html(
    c: CountryInputs, labels: dict, alpha: float, decimals: int = DEFAULT_PERCENT_DECIMALS
) -> str:
    """A country's section (HTML, one line per part): the sentence saying what a shift is (between
    the waves it compares), the charts, the shifts (or why there are none) and the estimates."""
    return _parts().country_section(country_section(c, labels, alpha, decimals))


def _rows_by_rule(log: pd.DataFrame) -> pd.DataFrame:
    """Per rule: distinct raw rows (dataset, file, row) and log lines, ordered by rule."""
    keys = [k for k in ("dataset", "source_file", "source_row") if k in log.columns]
    rows = log.drop_duplicates(["rule", *keys]).groupby("rule", sort=True).size()
    return pd.DataFrame(
        {"rows": rows, "entries": log.groupby("rule", sort=True).size()}
    ).reset_index()


def _excluded_part(exclusions: pd.DataFrame) -> dict:
    """Rows excluded, by rule: its (first) reason, whether the reason differs per row, and the
    number of rows; "no_exclusions" without any."""
    if not len(exclusions):
        return {"kind": "no_exclusions", "rows": []}
    excluded = (
        exclusions.groupby("rule", sort=True)
        .agg(reason=("reason", "first"), reasons=("reason", "nunique"), rows=("rule", "size"))
        .reset_index()
    )
    return {
        "kind": "excluded",
        "rows": [
            {
                "rule": r.rule,
                "reason": r.reason,
                "per_row": r.reasons != 1,
                "rows": str(r.rows),
            }
            for r in excluded.itertuples()
        ],
    }


def _flagged_part(warnings: pd.DataFrame) -> dict:
    """Rows kept with a flag (warning entries of the cleaning log), distinct raw rows by rule;
    "no_warnings" without any."""
    if not len(warnings):
        return {"kind": "no_warnings", "rows": []}
    return {
        "kind": "flagged",
        "rows": [[r.rule, str(r.rows)] for r in _rows_by_rule(warnings).itertuples()],
    }


def _changed_part(changes: pd.DataFrame) -> dict:
    """Values changed (change entries of the cleaning log): log entries and distinct raw rows by
    rule."""
    return {
        "kind": "changed",
        "rows": [
            [r.rule, str(r.entries), str(r.rows)] for r in _rows_by_rule(changes).itertuples()
        ],
    }


def _other_part(other: pd.DataFrame) -> dict:
    """Any other cleaning-log entries, counted by severity and rule."""
    counts = other.groupby(["severity", "rule"], sort=True).size().reset_index(name="n")
    return {"kind": "other", "rows": [[r.severity, r.rule, str(r.n)] for r in counts.itertuples()]}


def cleaning_summary(exclusions: pd.DataFrame, cleaning_log: pd.DataFrame) -> list[dict]:
    """Three counts by rule: rows excluded; rows kept with a flag (cleaning-log warnings: e.g. panel
    ids pairing different people, interview dates in the future, a category named "None"); values
    changed; then any other log entries by severity.

    Returns
    -------
    list of dict
        The parts in order, each ``kind`` ("excluded" or "no_exclusions", "flagged" or
        "no_warnings", "changed", "other") and its ``rows``.
    """
    out = [_excluded_part(exclusions)]
    severity = cleaning_log["severity"].astype(str) if len(cleaning_log) else pd.Series(dtype=str)
    warnings, changes = (
        cleaning_log[severity.eq("warning").to_numpy()],
        cleaning_log[severity.eq("change").to_numpy()],
    )
    out.append(_flagged_part(warnings))
    if len(changes):
        out.append(_changed_part(changes))
    other = (
        cleaning_log[~severity.isin(["warning", "change"]).to_numpy()]
        if len(cleaning_log)
        else cleaning_log
    )
    if len(other):
        out.append(_other_part(other))
    return out


def cleaning_summary_html(exclusions: pd.DataFrame, cleaning_log: pd.DataFrame) -> list[str]:
    """The parts of `cleaning_summary`, each rendered (HTML, one line each)."""
    return [_parts().cleaning_part(part) for part in cleaning_summary(exclusions, cleaning_log)]


def published_free_text(project: Project) -> list[str]:
    """'<country>/<dataset>: <variable>' of every free-text variable whose config says
    `publish: true`."""
    return sorted(
        f"{country}/{dataset}: {variable}"
        for country, cfg in project.countries.items()
        for dataset, spec in cfg.datasets.items()
        for variable, v in spec.variables.items()
        if v.publish
    )


def privacy_html(project: Project) -> str:
    """What the report can say about identifiers and free text, from the config (HTML)."""
    return _parts().privacy(published_free_text(project))


def _findings(
    claims: pd.DataFrame,
    consistency: pd.DataFrame,
    registry: ClaimsRegistry | None,
    provenance: list[dict] | None,
) -> pd.DataFrame:
    """Every audit finding classed by strength (`analysis.audit.findings`); empty without an
    audit."""
    from analysis.audit.findings import FINDING_COLUMNS, audit_findings

    if registry is None or not len(claims):
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return audit_findings(claims, consistency, registry, provenance or [])


def audit_summary(
    claims: pd.DataFrame, consistency: pd.DataFrame, findings: pd.DataFrame | None = None
) -> dict | None:
    """The audit's counts by status (every status, `STATUSES` order first), its findings by class
    of strength (proven, conditional, dependent on the reconstruction) and every claim (None
    without claims).

    Returns
    -------
    dict or None
        ``status`` (rows of status and count), ``findings`` (per class its title and one dict of
        texts per finding) and ``claims`` (one dict of texts per claim).
    """
    from analysis.audit.findings import STRENGTH_TITLES, STRENGTHS
    from analysis.audit.run import STATUSES

    if not len(claims):
        return None
    counts = claims["status"].value_counts()
    order = list(STATUSES) + sorted(set(counts.index) - set(STATUSES))
    found = findings if findings is not None else pd.DataFrame(columns=["strength"])
    return {
        "status": [[s, str(int(counts.get(s, 0)))] for s in order] + [["total", str(len(claims))]],
        "findings": [
            {
                "title": STRENGTH_TITLES[strength],
                "rows": [
                    {
                        "id": r.id,
                        "check": r.check,
                        "label": r.label,
                        "detail": r.detail,
                        "claims": r.claims if r.claims != r.id else "",
                        "note": r.note,
                    }
                    for r in found[found["strength"] == strength].itertuples()
                ],
            }
            for strength in STRENGTHS
        ],
        "claims": [
            {
                "id": r.id,
                "section": r.section,
                "quote": r.quote,
                "printed": r.printed,
                "recomputed": "" if pd.isna(r.recomputed) else f"{float(r.recomputed):.4g}",
                "status": r.status,
                "detail": r.detail,
                "provenance": r.provenance_id,
            }
            for r in claims.itertuples()
        ],
    }


def _country_overviews(countries: list[CountryInputs]) -> list[dict]:
    """Per country its name, label, design, row accounting (per source file and wave: raw rows,
    kept, excluded) and rendered cleaning summary."""
    return [
        {
            "name": c.name,
            "label": c.label,
            "design": c.design,
            "accounting": [
                [r.source_file, r.wave, str(r.raw_rows), str(r.kept), str(r.excluded)]
                for r in c.accounting.itertuples()
            ],
            "cleaning": cleaning_summary_html(c.exclusions, c.cleaning_log),
        }
        for c in countries
    ]


def _paper_figures(
    countries: list[CountryInputs], cell_claims: dict, status: dict, decimals: int
) -> list[dict]:
    """Every configured crosstab of every country: its title, its chart (if drawn) and its rendered
    crosstab with claim ids."""
    return [
        {
            "title": ttitle,
            "chart": _figure(c.charts[table_id], ttitle) if table_id in c.charts else None,
            "crosstab": crosstab_html(
                c.name, table_id, tidy, cell_claims, status, column_vars, decimals
            ),
        }
        for c in countries
        for table_id, (ttitle, tidy, column_vars) in c.tables.items()
    ]


def _key_results_view(
    countries: list[CountryInputs], labels: dict, alphas: dict, alpha: float, decimals: int
) -> list[dict]:
    """Per country its name, label and key result sentences (`key_results.key_results`), at the
    country's own alpha."""
    return [
        {
            "name": c.name,
            "label": c.label,
            "sentences": key_results(
                c.shifts,
                c.mean_shifts,
                c.evaluation.get("adjusted", pd.DataFrame()),
                labels,
                alphas.get(c.name, alpha),
                decimals,
            ),
        }
        for c in countries
    ]


def render_report(
    title: str,
    synthetic: bool,
    countries: list[CountryInputs],
    claims: pd.DataFrame,
    consistency: pd.DataFrame,
    registry: ClaimsRegistry | None,
    labels: dict,
    alpha: float,
    code_version: str,
    privacy: str,
    decimals: int = DEFAULT_PERCENT_DECIMALS,
    country_alpha: dict[str, float] | None = None,
    statements: pd.DataFrame | None = None,
    provenance: list[dict] | None = None,
) -> str:
    """The report's HTML (templates/report.html.j2).

    Parameters
    ----------
    title, synthetic : str, bool
        The page title; whether any country's data are synthetic (the banner says so).
    countries : list of CountryInputs
        Every country's outputs, in config order.
    claims, consistency, statements : pandas.DataFrame
        The audit's claims.csv, consistency.csv and statements.csv (empty without a registry).
    registry : ClaimsRegistry or None
        The claims registry (which figure cell each claim prints).
    labels, alpha : dict, float
        Indicator id -> label; the significance level of the shifts' star.
    code_version, privacy : str
        Said at the foot of the page; the sentence of `privacy_html`.
    decimals : int
        Decimals of percentages and changes in points (`percent_decimals` of config/config.yaml).
    country_alpha : dict or None
        Country -> its significance level where a country's `settings:` overrides `alpha`.
    provenance : list of dict, optional
        The audit's provenance.json (the tests behind the printed changes, in the findings).
    """
    alphas = country_alpha or {}
    status = dict(zip(claims["id"], claims["status"])) if len(claims) else {}
    cell_claims = _cell_claims(registry)
    return TEMPLATES.get_template("report.html.j2").render(
        title=title,
        synthetic=synthetic,
        privacy=privacy,
        code_version=code_version,
        countries=_country_overviews(countries),
        figures=_paper_figures(countries, cell_claims, status, decimals),
        sections=[
            estimates_and_shifts_html(c, labels, alphas.get(c.name, alpha), decimals)
            for c in countries
        ],
        audit=audit_summary(
            claims, consistency, _findings(claims, consistency, registry, provenance)
        ),
        statements=Markup(statements_section(statements)),
        key_results=_key_results_view(countries, labels, alphas, alpha, decimals),
    )


def _country_inputs(
    root: Path, name: str, cfg: Country, min_group_n: int | None = None
) -> CountryInputs:
    """Read a country's pipeline outputs under `root`: its crosstabs, charts, estimates, shifts,
    row accounting, exclusions and the counted columns of its cleaning log (`min_group_n`: the
    country's smallest group estimated, for the captions of its charts by group)."""
    tables_dir, processed = (
        root / "reports" / "tables" / name,
        root / "data" / "processed" / name,
    )
    figures_dir = root / "reports" / "figures" / name
    tables = {
        tid: (
            t.title or tid,
            read_output_csv(tables_dir / f"{tid}.csv"),
            [d.variable for d in t.columns],
        )
        for tid, t in cfg.tables.items()
    }
    charts = {p.stem: p for p in sorted(figures_dir.glob("*.png"))}
    log = read_output_csv(
        processed / "cleaning_log.csv", usecols=lambda c: c in LOG_COUNTED, dtype=str
    )
    return CountryInputs(
        name,
        cfg.label,
        cfg.design.label,
        tables,
        charts,
        read_output_csv(tables_dir / "estimates.csv", dtype={"wave": str}),
        read_output_csv(tables_dir / "shifts.csv", dtype={"from_wave": str, "to_wave": str}),
        read_output_csv(processed / "row_accounting.csv"),
        read_output_csv(processed / "exclusions.csv"),
        log,
        _attrition(tables_dir / "attrition.csv"),
        _optional(tables_dir / "trends.csv"),
        _optional(tables_dir / "mean_estimates.csv", {"wave": str}),
        _optional(tables_dir / "mean_shifts.csv", {"from_wave": str, "to_wave": str}),
        _optional(tables_dir / "scales.csv", {"wave": str}),
        {name: _optional(tables_dir / f"{name}.csv", WAVE_TEXT) for name in EVALUATION_TABLES},
        dictionary=_optional(tables_dir / "dictionary.csv"),
        groupings=groupings_of(cfg.estimate_groups),
        min_group_n=min_group_n,
    )


def _optional(path: Path, dtype: dict | None = None) -> pd.DataFrame:
    """A statistics table (trends, means, scales), or an empty one where the job wrote none."""
    return read_output_csv(path, dtype=dtype) if path.is_file() else pd.DataFrame()


def _attrition(path: Path) -> pd.DataFrame:
    """The attrition table, or an empty one where the statistics job wrote none."""
    if not path.exists():
        return pd.DataFrame()
    return read_output_csv(path, dtype={"baseline_wave": str, "followup_wave": str})


def _audit_outputs(
    root: Path, project: Project
) -> tuple[pd.DataFrame, pd.DataFrame, ClaimsRegistry | None]:
    """The audit's claims and consistency checks and the claims registry; empty tables and None
    without a configured registry or before the audit has run."""
    from analysis.audit.run import load_registry

    audit_dir = root / "reports" / "audit"
    registry_path = project.settings.claims
    if registry_path and (audit_dir / "claims.csv").exists():
        claims = read_output_csv(audit_dir / "claims.csv")
        consistency = read_output_csv(audit_dir / "consistency.csv")
        return claims, consistency, load_registry(root / registry_path, root)
    return pd.DataFrame(), pd.DataFrame(), None


def _provenance(path: Path) -> list[dict]:
    """The audit's provenance records (provenance.json), none before the audit has run."""
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def _report_title(registry: ClaimsRegistry | None) -> str:
    """The page title: the paper's short title, publisher and year when a registry names it."""
    paper = registry.paper if registry else None
    return (
        f"{paper.short_title} ({paper.publisher or ''}, {paper.year}): reproduced tables, tests and"
        " audit"
        if paper
        else "Survey analysis: tables, tests and audit"
    )


def build_report(root: Path, out: Path) -> None:
    """Read every pipeline output under `root` and write the self-contained HTML report to `out`."""
    from analysis.audit.recompute import code_version
    from analysis.config import load_project

    project = load_project(root)
    labels = project.indicator_labels()
    countries = [
        _country_inputs(root, name, cfg, project.settings_for(name).min_group_n)
        for name, cfg in project.countries.items()
    ]
    claims, consistency, registry = _audit_outputs(root, project)
    synthetic = any(cfg.synthetic_data for cfg in project.countries.values())
    html_text = render_report(
        _report_title(registry),
        synthetic,
        countries,
        claims,
        consistency,
        registry,
        labels,
        project.settings.alpha,
        code_version(root),
        privacy_html(project),
        project.settings.percent_decimals,
        {name: project.settings_for(name).alpha for name in project.countries},
        _optional(root / "reports" / "audit" / "statements.csv"),
        _provenance(root / "reports" / "audit" / "provenance.json"),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """`python -m figures.report --out reports/report.html`: the self-contained HTML report."""
    import argparse
    import sys

    from analysis.errors import InputError

    parser = argparse.ArgumentParser(prog="python -m figures.report", description=main.__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--out", type=Path, default=Path("reports/report.html"))
    args = parser.parse_args(argv)
    try:
        build_report(args.root, args.out)
    except (InputError, FileNotFoundError) as exc:
        print(
            (
                exc.render()
                if isinstance(exc, InputError)
                else f"ERROR: {exc}; fix: run the pipeline first"
            ),
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
