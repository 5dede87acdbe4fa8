"""Display tables: the paper's Figures 1-3, estimates and shifts, rendered to HTML, Markdown and
LaTeX.

One `DisplayTable` (title, a DataFrame of formatted cells, optional row groups, column spanners and
notes) is built per table; HTML and LaTeX come from the same object through great_tables, Markdown
from the same cells. Numbers are formatted as the paper prints them: percentages (and
percentage-point differences and intervals) rounded half up to `percent_decimals` decimals
(config/config.yaml; one by default). Text from config or data comes out literally: great_tables
escapes HTML and LaTeX, `escaping.markdown_text` escapes Markdown (HTML entities, backslash before
Markdown punctuation).

Empty cells say why they are empty: "s" only for a cell hidden by small-cell suppression (a crosstab
of public mode flags it in its `suppressed` column); "–" (en dash) for a number that does not exist
or cannot be estimated. The `note` of an estimate or shift (estimates.csv, shifts.csv: why it is not
estimable, or how an unusual interval was made) is shown as a numbered mark "[1]" in the row
(estimates: in the wave's cell; shifts: after the group) and "[1] <note>" under the table; a note
that every row shares is said once under the table, without marks. Waves are named as configured, in
the order of estimates.csv, and shifts compare `from_wave` with `to_wave` (the first and
last waves, whatever their names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from great_tables import GT

from analysis.csv_files import read_output_csv
from analysis.escaping import markdown_text
from analysis.model import DEFAULT_ALPHA, DEFAULT_PERCENT_DECIMALS, proportion_text
from analysis.tables.rounding import round_half_up

JOIN = " | "
# how a sex group of the data is shown in every table and chart (the CSV outputs keep the data's
# values); charts.GROUP_NAMES adds "All respondents"
SEX_NAMES = {"Female": "Women", "Male": "Men"}
OTHER_PREFIX = "other"  # "Other", "Other (specify)": shown after every real group


def ci_level(alpha: float = DEFAULT_ALPHA) -> str:
    """The confidence level of the pipeline's intervals (1 - alpha, config `alpha`) as text: '95%'
    for alpha 0.05, '90%' for 0.1."""
    return f"{round(100 * (1 - alpha), 6):g}%"


def group_name(value) -> str:
    """A group as displayed: 'Female' -> 'Women', 'Male' -> 'Men', 'sex: Female - Male' ->
    'sex: Women - Men'; any other value as written."""
    text = str(value)
    if text in SEX_NAMES:
        return SEX_NAMES[text]
    if ":" in text and " - " in text:
        head, _, body = text.partition(":")
        a, _, b = body.partition(" - ")
        return (
            f"{head}: {SEX_NAMES.get(a.strip(), a.strip())} - {SEX_NAMES.get(b.strip(), b.strip())}"
        )
    return text


def is_other(name) -> bool:
    """Whether a group is a catch-all ('Other', 'Other (specify)', 'other: ...'), shown last."""
    return str(name).strip().lower().startswith(OTHER_PREFIX)


def other_last(names: list) -> list:
    """`names` in their order, the catch-all groups (`is_other`) moved after the real groups and
    before a 'Total'."""
    total = [n for n in names if str(n) == "Total"]
    rest = [n for n in names if str(n) != "Total"]
    return [n for n in rest if not is_other(n)] + [n for n in rest if is_other(n)] + total


@dataclass
class DisplayTable:
    id: str
    title: str
    body: pd.DataFrame  # formatted strings; first column is the row label
    group_col: str | None = None  # column holding row-group labels (not displayed as a column)
    spanners: dict[str, list[str]] = field(default_factory=dict)
    column_labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stub: bool = True  # the first column labels the rows

    def gt(self) -> GT:
        table = GT(
            self.body,
            id=self.id,
            rowname_col=self.body.columns[0] if self.stub else None,
            groupname_col=self.group_col,
        )
        table = table.tab_header(title=self.title)
        for label, cols in self.spanners.items():
            table = table.tab_spanner(label=label, columns=cols)
        if self.column_labels:
            table = table.cols_label(**self.column_labels)
        for note in self.notes:
            table = table.tab_source_note(note)
        return table

    def to_html(self) -> str:
        return self.gt().as_raw_html(inline_css=False)

    def to_latex(self) -> str:
        return self.gt().as_latex()

    def to_markdown(self) -> str:
        cols = [c for c in self.body.columns if c != self.group_col]
        spanner_of = {c: top for top, spanned in self.spanners.items() for c in spanned}
        labels = [
            (
                " · ".join([spanner_of[c], self.column_labels.get(c, c)])
                if c in spanner_of
                else self.column_labels.get(c, c)
            )
            for c in cols
        ]  # one header row: the spanner before each label
        out = [
            f"**{_md(self.title)}**",
            "",
            "| " + " | ".join(_md(x) for x in labels) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|",
        ]
        last_group = None
        for _, row in self.body.iterrows():
            if self.group_col and row[self.group_col] != last_group:
                last_group = row[self.group_col]
                out.append("| **" + _md(str(last_group)) + "** |" + " |" * (len(cols) - 1))
            out.append("| " + " | ".join(_md(str(row[c])) for c in cols) + " |")
        for note in self.notes:  # a paragraph each (consecutive lines would run together)
            out += ["", f"_{_md(note)}_"]
        if not self.notes:
            out.append("")
        return "\n".join(out) + "\n"

    def write(self, out_stem: Path) -> list[Path]:
        out_stem.parent.mkdir(parents=True, exist_ok=True)
        paths = []
        for suffix, text in (
            (".html", self.to_html()),
            (".md", self.to_markdown()),
            (".tex", self.to_latex()),
        ):
            path = out_stem.with_suffix(suffix)
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        return paths


def _md(text) -> str:
    return markdown_text(text)


SUPPRESSED = "s"  # a cell hidden by small-cell suppression (disclosure), and nothing else
COMPOSITION_MARK = "†"  # after a crude change the sample's changed composition may explain
MISSING = "–"  # en dash: no such number, or not estimable (the row's note says why)


def _missing(value) -> bool:
    return value is None or pd.isna(value)


def pct(value, decimals: int = DEFAULT_PERCENT_DECIMALS) -> str:
    """'12.3%' (rounded half up); an empty value gives '–'. Suppressed cells are marked "s" by the
    caller."""
    return MISSING if _missing(value) else f"{round_half_up(float(value), decimals):.{decimals}f}%"


def num(value, decimals: int = DEFAULT_PERCENT_DECIMALS) -> str:
    """`value` rounded half up to `decimals` decimals; a value that rounds to zero is "0.0", never
    "-0.0"; MISSING for no value."""
    if _missing(value):
        return MISSING
    return f"{round_half_up(float(value), decimals) + 0.0:.{decimals}f}"  # + 0.0: -0.0 -> 0.0


def interval(low, high, sep: str = "–", decimals: int = DEFAULT_PERCENT_DECIMALS) -> str:
    """'40.1–50.2' (percentage points, `decimals` decimals); '–' alone when the interval is not
    estimable."""
    return (
        MISSING
        if _missing(low) and _missing(high)
        else f"{num(low, decimals)}{sep}{num(high, decimals)}"
    )


def suppressed_flags(tidy: pd.DataFrame) -> pd.Series:
    """True where a crosstab cell is hidden by small-cell suppression (its `suppressed` column,
    written in public mode as True/False); all False for a table without the column (paper mode)."""
    if "suppressed" not in tidy.columns:
        return pd.Series(False, index=tidy.index)
    return tidy["suppressed"].astype(str).str.strip().str.lower().isin(["true", "1", "1.0"])


def wave_text(value) -> str:
    """A wave name as configured: a name read from a CSV as a number (1999, or 1999.0 beside empty
    cells) comes back as the text it was."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if _missing(value) else str(value)


def wave_title(wave) -> str:
    """A wave as a column heading: its name with the first letter capitalised ("baseline" ->
    "Baseline")."""
    text = wave_text(wave)
    return text[:1].upper() + text[1:]


def estimate_waves(estimates: pd.DataFrame) -> list[str]:
    """The waves of estimates.csv in the order they appear (the configured order)."""
    if "wave" not in estimates.columns:
        return []
    return list(dict.fromkeys(wave_text(w) for w in estimates["wave"] if not _missing(w)))


def compared_waves(shifts: pd.DataFrame) -> tuple[str, str] | None:
    """(first, last): the waves the shifts compare, from the first row naming both (`from_wave`,
    `to_wave`); None for a table without rows or without those columns (e.g. written before
    they existed).
    """
    if not {"from_wave", "to_wave"} <= set(shifts.columns):
        return None
    pairs = shifts[["from_wave", "to_wave"]].dropna()
    if not len(pairs):
        return None
    return wave_text(pairs["from_wave"].iloc[0]), wave_text(pairs["to_wave"].iloc[0])


def note_texts(table: pd.DataFrame) -> pd.Series:
    """The `note` of each row as text, '' where there is none (an all-empty column reads back as
    NaN)."""
    if "note" not in table.columns:
        return pd.Series("", index=table.index, dtype=object)
    return table["note"].map(lambda n: "" if _missing(n) else str(n).strip())


@dataclass
class RowNotes:
    """Footnotes for per-row notes: `marks[i]` (" [k]" or "") goes after row i's cell; `lines` go
    under the table ("[k] note", then the notes every row shares, said once without a mark)."""

    marks: list[str]
    lines: list[str]


def row_notes(notes: pd.Series) -> RowNotes:
    """Number the distinct non-empty notes in order of first appearance (identical notes share a
    number); a note on every row of a table of two or more rows gets no mark and is said once."""
    texts = [str(n) for n in notes]
    if len(texts) > 1 and texts[0] and len(set(texts)) == 1:
        return RowNotes([""] * len(texts), [texts[0]])
    number = {n: k for k, n in enumerate(dict.fromkeys(t for t in texts if t), 1)}
    return RowNotes(
        [f" [{number[t]}]" if t else "" for t in texts], [f"[{k}] {n}" for n, k in number.items()]
    )


def pvalue(p) -> str:
    if p is None or pd.isna(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def count_cell(n, suppressed: bool) -> str:
    """A crosstab count: "s" when suppressed, "–" when there is none, else the whole number."""
    return SUPPRESSED if suppressed else MISSING if _missing(n) else f"{int(n)}"


def column_headers(tidy: pd.DataFrame, column_vars: list[str]) -> dict[str, tuple[str, str]]:
    """{column label: (spanner, header)} of a crosstab whose columns combine several variables: the
    first variable's category spans the rest, joined with " | ". Read from the tidy table's own
    per-variable columns, never by splitting the label (a category may itself contain " | ")."""
    if len(column_vars) < 2 or not set(column_vars) <= set(tidy.columns):
        return {}
    cells = tidy.drop_duplicates("column")
    parts = zip(cells["column"], *(cells[v].astype(str) for v in column_vars))
    return {
        label: (top, JOIN.join(rest))
        for label, top, *rest in parts
        if label == JOIN.join([top, *rest])
    }  # not the margin ("Total" in every variable)


def _crosstab_grids(
    tidy: pd.DataFrame, rows: list, cols: list
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Counts, percents and suppression flags of a tidy crosstab as row x column grids, in the
    table's order."""
    grid_n = tidy.pivot(index="row", columns="column", values="n").loc[rows, cols]
    grid_p = tidy.pivot(index="row", columns="column", values="percent").loc[rows, cols]
    hidden = (
        tidy.assign(_s=suppressed_flags(tidy))
        .pivot(index="row", columns="column", values="_s")
        .loc[rows, cols]
    )
    return grid_n, grid_p, hidden.fillna(False).astype(bool)


def _crosstab_records(
    grids: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    rows: list,
    cols: list,
    show_percent: bool,
    percent_decimals: int,
) -> list[dict]:
    """The display lines of a crosstab: per row its count line and, with `show_percent`, its percent
    line ("s" for a suppressed cell, "–" for a percent that does not exist)."""
    grid_n, grid_p, hidden = grids
    records = []
    for r in rows:
        records.append(
            {
                "row": r,
                "measure": "n",
                **{c: count_cell(grid_n.loc[r, c], hidden.loc[r, c]) for c in cols},
            }
        )
        if show_percent:
            records.append(
                {
                    "row": r,
                    "measure": "%",
                    **{
                        c: (
                            SUPPRESSED
                            if hidden.loc[r, c]
                            else pct(grid_p.loc[r, c], percent_decimals)
                        )
                        for c in cols
                    },
                }
            )
    return records


def _column_spanners(
    tidy: pd.DataFrame, cols: list, column_vars: list[str] | None
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The spanners ({first variable's category: its columns}) and column labels (the other
    variables' categories) of a crosstab with two or more column variables; empty otherwise."""
    spanners: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    headers = column_headers(tidy, column_vars or [])
    for c in cols:
        if c in headers:
            top, sub = headers[c]
            spanners.setdefault(top, []).append(c)
            labels[c] = sub
    return spanners, labels


def crosstab_display(
    tidy: pd.DataFrame,
    table_id: str,
    title: str,
    notes: list[str],
    show_percent: bool = True,
    column_vars: list[str] | None = None,
    percent_decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> DisplayTable:
    """A paper-style crosstab: for each row a count line and, beneath it, a percent line
    (`percent_decimals` decimals); with two or more column variables (`column_vars`), the first
    one's categories span the others. A suppressed cell reads "s"; a percent that does not exist (a
    line whose total is 0) reads "–". Groups are shown as `group_name` says (Women, Men), catch-all
    rows and columns ('Other (specify)') after the real ones (`other_last`)."""
    rows = other_last(list(dict.fromkeys(tidy["row"])))
    cols = list(dict.fromkeys(tidy["column"]))
    cols = other_last(cols) if len(column_vars or []) < 2 else cols  # spanned columns stay together
    grids = _crosstab_grids(tidy, rows, cols)
    body = pd.DataFrame(_crosstab_records(grids, rows, cols, show_percent, percent_decimals))
    body = body[["measure", "row"] + cols] if show_percent else body[["row"] + cols]
    spanners, labels = _column_spanners(tidy, cols, column_vars)
    body["row"] = body["row"].map(group_name)
    body = body.rename(columns={c: group_name(c) for c in cols if c not in labels})
    return DisplayTable(
        table_id,
        title,
        body,
        group_col="row" if show_percent else None,
        spanners=spanners,
        column_labels=labels,
        notes=notes,
    )


def estimates_display(
    estimates: pd.DataFrame,
    labels: dict[str, str],
    table_id: str,
    title: str,
    notes: list[str],
    percent_decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> DisplayTable:
    """Overall and by-sex estimates: percent (95% CI) and n per wave, one column per wave in the
    order of estimates.csv, headed "<Wave> % (95% CI)"; percent and interval with `percent_decimals`
    decimals. An interval that is not estimable reads "–"; a row's `note` is a mark in its cell and
    a line under the table (module docstring)."""
    e = estimates[estimates["group_var"].isin(["overall", "sex"])].copy()
    e["wave"] = e["wave"].map(wave_text)
    waves = estimate_waves(e)
    marks = row_notes(note_texts(e))
    d = percent_decimals
    e["cell"] = [
        f"{pct(p, d)} ({interval(lo, hi, decimals=d)}); n={n}{m}"
        for p, lo, hi, n, m in zip(e["percent"], e["ci_low"], e["ci_high"], e["n"], marks.marks)
    ]
    wide = e.pivot_table(
        index=["indicator", "group"], columns="wave", values="cell", aggfunc="first", sort=False
    )
    wide = wide.reindex(columns=waves).fillna(MISSING).reset_index()
    wide["indicator"] = wide["indicator"].map(lambda i: labels.get(i, i))
    headings = [f"{wave_title(w)} % (95% CI)" for w in waves]
    if len(set(headings)) < len(headings):  # waves differing only in case ("a", "A"): as configured
        headings = [f"{w} % (95% CI)" for w in waves]
    wide["group"] = wide["group"].map(group_name)
    body = wide.rename(columns={"group": "Group", **dict(zip(waves, headings))})
    return DisplayTable(
        table_id,
        title,
        body[["Group", "indicator"] + headings],
        group_col="indicator",
        notes=notes + marks.lines,
    )


PUBLISHED = "baseline percent and n as published (no baseline microdata)"


def no_shifts_text(waves: list[str] | None = None) -> str:
    """Why a country has no shifts (shifts.csv without rows), from the waves of its estimates when
    known."""
    if waves is not None and len(waves) == 1:
        return (
            f"No shifts: this country has one wave ('{waves[0]}'), so there is no change to"
            " estimate."
        )
    if waves:
        return (
            f"No shifts: no indicator has answers in both the first wave ('{waves[0]}') and the"
            f" last ('{waves[-1]}'), so there is no change to estimate."
        )
    return (
        "No shifts: no indicator of this country has answers in two waves (a country with one wave"
        " has estimates only), so there is no change to estimate."
    )


SHIFT_DISPLAY_COLUMNS = [
    "Group",
    "indicator",
    "Baseline",
    "Endline",
    "Change, pp (95% CI)",
    "Test",
    "p",
    "Holm p",
    "BH p",
]  # the displayed columns of the shifts table, in order ("indicator" groups the rows)


def notes_and_flags(sh: pd.DataFrame) -> pd.Series:
    """Each change's note and, where its crude change is flagged (`composition_flag`: the sample's
    composition changed and the crude change lies outside its groups' changes or away from the
    standardised change), the flag led by COMPOSITION_MARK; "; " between them."""
    texts = note_texts(sh)
    if "composition_flag" not in sh:
        return texts
    flags = note_texts(sh.rename(columns={"note": "_note", "composition_flag": "note"}))
    flags = flags.map(lambda f: f"{COMPOSITION_MARK} {f}" if f else "")
    both = pd.concat([texts, flags], axis=1)
    return both.apply(lambda r: "; ".join(t for t in r if t), axis=1).astype(object)


def _shift_row_notes(s: pd.DataFrame) -> RowNotes:
    """The numbered notes of the shifts' rows: each row's `note`, or, for a row without one whose
    baseline is the published figure, `PUBLISHED`."""
    published = (
        s["from_source"].eq("published") if "from_source" in s else pd.Series(False, index=s.index)
    )
    texts = notes_and_flags(s)
    return row_notes(texts.mask(published & texts.eq(""), PUBLISHED))


def _shifts_body(
    s: pd.DataFrame, labels: dict[str, str], marks: RowNotes, alpha: float, d: int
) -> pd.DataFrame:
    """The cells of the shifts table: percents and changes (percentage points) with `d` decimals,
    "*" after a change whose Holm p is below `alpha` and COMPOSITION_MARK after a flagged crude
    change, the note marks after the group."""
    flagged = notes_and_flags(s.assign(note="")).ne("").to_numpy()
    mark = np.char.add(
        np.where(s["p_holm"] < alpha, "*", ""), np.where(flagged, f" {COMPOSITION_MARK}", "")
    )
    return pd.DataFrame(
        {
            "indicator": s["indicator"].map(lambda i: labels.get(i, i)),
            "Group": [f"{group_name(g)}{m}" for g, m in zip(s["group"], marks.marks)],
            "Baseline": [pct(x, d) for x in s["from_pct"]],
            "Endline": [pct(x, d) for x in s["to_pct"]],
            "Change, pp (95% CI)": [
                f"{num(diff, d):>5} ({interval(lo, hi, ' to ', d)}){m}"
                for diff, lo, hi, m in zip(s["diff_pp"], s["diff_ci_low"], s["diff_ci_high"], mark)
            ],
            "Test": s["test"].map(lambda t: MISSING if _missing(t) else t),
            "p": [pvalue(p) for p in s["p_value"]],
            "Holm p": [pvalue(p) for p in s["p_holm"]],
            "BH p": [pvalue(p) for p in s["p_bh"]],
        }
    )


def _wave_column_labels(first: str, last: str) -> dict[str, str]:
    """Labels of the Baseline and Endline columns: the compared waves' titles (the names as
    configured when the titles coincide), leaving out a column whose label would be its name."""
    heads = {"Baseline": wave_title(first), "Endline": wave_title(last)}
    if heads["Baseline"] == heads["Endline"]:  # waves differing only in case: as configured
        heads = {"Baseline": first, "Endline": last}
    return {k: v for k, v in heads.items() if k != v}


def _panel_population_note(s: pd.DataFrame) -> list[str]:
    """A line saying which people a panel's numbers describe: the matched pairs (`pairs_n`) for the
    change and its test, and for the percents too where they are the pairs' (`pairs_*_pct`);
    nothing for independent samples."""
    if "pairs_n" not in s or s["pairs_n"].isna().all():
        return []
    n = s["pairs_n"].dropna().astype(int)
    pairs = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
    matched = f"respondents matched across waves ({pairs} pairs)"
    if _percents_are_the_pairs(s):
        return [
            f"Panel: percents, change and test are among the {matched}; each wave's estimate"
            " over all its respondents is in the estimates table."
        ]
    return [
        "Panel: percents are each wave's estimates over all its respondents; the change and its"
        f" test are among the {matched}."
    ]


def _percents_are_the_pairs(s: pd.DataFrame) -> bool:
    """Whether the shown percents (`from_pct`, `to_pct`) are the matched pairs' (simple
    random panels), not each wave's over all its respondents (design-based panels, whose pairs'
    weighted percents are the separate `pairs_*_pct` columns)."""
    cols = ["from_pct", "to_pct", "pairs_from_pct", "pairs_to_pct"]
    if not set(cols) <= set(s.columns):
        return False
    rows = s[cols].dropna()
    if rows.empty:
        return False
    same = np.isclose(rows["from_pct"], rows["pairs_from_pct"], rtol=0, atol=1e-9)
    same &= np.isclose(rows["to_pct"], rows["pairs_to_pct"], rtol=0, atol=1e-9)
    return bool(same.all())


def shifts_display(
    shifts: pd.DataFrame,
    labels: dict[str, str],
    table_id: str,
    title: str,
    notes: list[str],
    alpha: float = DEFAULT_ALPHA,
    waves: list[str] | None = None,
    percent_decimals: int = DEFAULT_PERCENT_DECIMALS,
) -> DisplayTable:
    """Shifts: percent in the first and last wave (headed by `from_wave` and `to_wave`),
    difference (95% CI), test, p, Holm and BH p, significance mark (Holm p < `alpha`); percentages,
    differences and intervals with `percent_decimals` decimals. What cannot be estimated reads "–"
    and the row's `note` is a mark after its group and a line under the table. A table without rows
    gives one line saying why (`waves`: the country's waves, from its estimates, make the reason
    exact)."""
    if not len(shifts):
        return DisplayTable(
            table_id,
            title,
            pd.DataFrame({"Shifts": [no_shifts_text(waves)]}),
            notes=notes,
            stub=False,
        )
    s = shifts.copy()
    first, last = compared_waves(s) or ("baseline", "endline")
    marks = _shift_row_notes(s)
    body = _shifts_body(s, labels, marks, alpha, percent_decimals)
    pairs = s[["from_wave", "to_wave"]].dropna().drop_duplicates() if "to_wave" in s else s[:0]
    if len(pairs) > 1:  # 3+ waves: each row names its comparison, the columns are from and to
        start = s["from_wave"].map(lambda w: "published" if _missing(w) else wave_text(w))
        body["Group"] = (
            body["Group"] + " (" + start + " \u2192 " + s["to_wave"].map(wave_text) + ")"
        )
        first, last = "From", "To"
    return DisplayTable(
        table_id,
        title,
        body[SHIFT_DISPLAY_COLUMNS],
        group_col="indicator",
        column_labels=_wave_column_labels(first, last),
        notes=notes
        + [f"* Holm-adjusted p < {proportion_text(alpha)} (family: all shifts of the country)."]
        + _panel_population_note(s)
        + marks.lines,
    )


def render_named_table(root: Path, country: str, name: str, out_stem: Path) -> list[Path]:
    """Render one of a country's display tables: a configured crosstab, `estimates_table` or
    `shifts_table`."""
    from analysis.config import load_project

    project = load_project(root)
    cfg = project.countries[country]
    decimals = project.settings.percent_decimals
    tables_dir = root / "reports" / "tables" / country
    synthetic = " Synthetic reconstruction: not real responses." if cfg.synthetic_data else ""
    labels = project.indicator_labels()
    if name in cfg.tables:
        spec = cfg.tables[name]
        tidy = read_output_csv(tables_dir / f"{name}.csv")
        base = {
            "row": "row percentages",
            "column": "column percentages",
            "total": "percentages of the grand total",
        }
        display = crosstab_display(
            tidy,
            name,
            name if spec.title is None else spec.title,
            [f"Counts with {base[spec.percent]} beneath (rounded half up).{synthetic}"],
            show_percent=spec.show_percent,
            column_vars=[d.variable for d in spec.columns],
            percent_decimals=decimals,
        )
    elif name == "estimates_table":
        display = estimates_display(
            read_output_csv(tables_dir / "estimates.csv", dtype={"wave": str}),
            labels,
            f"{country}_estimates",
            f"{cfg.label}: indicator estimates by wave, overall and by sex",
            [f"Percent of valid answers (95% CI); all groups in estimates.csv.{synthetic}"],
            percent_decimals=decimals,
        )
    elif name == "shifts_table":
        shifts = read_output_csv(
            tables_dir / "shifts.csv", dtype={"from_wave": str, "to_wave": str}
        )
        first, last = compared_waves(shifts) or ("baseline", "endline")
        several = len(shifts[["from_wave", "to_wave"]].dropna().drop_duplicates()) > 1
        title = (
            f"{cfg.label}: {first} to {last} shifts"
            if len(shifts) and not several
            else f"{cfg.label}: shifts"
        )
        display = shifts_display(
            shifts,
            labels,
            f"{country}_shifts",
            title,
            [synthetic.strip()] if synthetic else [],
            project.settings_for(country).alpha,
            percent_decimals=decimals,
        )
    else:
        raise KeyError(f"no display table '{name}' for {country}")
    return display.write(out_stem)


def main(argv: list[str] | None = None) -> int:
    """`python -m figures.tables --country C --name NAME --out-stem PATH`: write PATH.html, .md and
    .tex."""
    import argparse
    import sys

    from analysis.errors import InputError

    parser = argparse.ArgumentParser(prog="python -m figures.tables", description=main.__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--country", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out-stem", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        render_named_table(args.root, args.country, args.name, args.out_stem)
    except (InputError, KeyError, FileNotFoundError) as exc:
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
