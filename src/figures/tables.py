"""Display tables: the paper's Figures 1-3, estimates and shifts, rendered to HTML, Markdown and LaTeX.

One `DisplayTable` (title, a DataFrame of formatted cells, optional row groups, column spanners and notes)
is built per table; HTML and LaTeX come from the same object through great_tables, Markdown from the
same cells. Numbers are formatted as the paper prints them: percentages rounded half up to one decimal.
Text from config or data comes out literally: great_tables escapes HTML and LaTeX, `escaping.markdown_text`
escapes Markdown (HTML entities, backslash before Markdown punctuation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from great_tables import GT

from analysis.csv_files import read_output_csv
from analysis.escaping import markdown_text
from analysis.rounding import round_half_up

JOIN = " | "


@dataclass
class DisplayTable:
    id: str
    title: str
    body: pd.DataFrame                                   # formatted strings; first column is the row label
    group_col: str | None = None                         # column holding row-group labels (not displayed as a column)
    spanners: dict[str, list[str]] = field(default_factory=dict)
    column_labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def gt(self) -> GT:
        table = GT(self.body, id=self.id, rowname_col=self.body.columns[0], groupname_col=self.group_col)
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
        labels = [" · ".join([spanner_of[c], self.column_labels.get(c, c)]) if c in spanner_of
                  else self.column_labels.get(c, c) for c in cols]     # one header row: the spanner before each label
        out = [f"**{_md(self.title)}**", "", "| " + " | ".join(_md(x) for x in labels) + " |",
               "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|"]
        last_group = None
        for _, row in self.body.iterrows():
            if self.group_col and row[self.group_col] != last_group:
                last_group = row[self.group_col]
                out.append("| **" + _md(str(last_group)) + "** |" + " |" * (len(cols) - 1))
            out.append("| " + " | ".join(_md(str(row[c])) for c in cols) + " |")
        out += [""] + [f"_{_md(n)}_" for n in self.notes]
        return "\n".join(out) + "\n"

    def write(self, out_stem: Path) -> list[Path]:
        out_stem.parent.mkdir(parents=True, exist_ok=True)
        paths = []
        for suffix, text in ((".html", self.to_html()), (".md", self.to_markdown()), (".tex", self.to_latex())):
            path = out_stem.with_suffix(suffix)
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        return paths


def _md(text) -> str:
    return markdown_text(text)


def pct(value, decimals: int = 1) -> str:
    return "s" if value is None or pd.isna(value) else f"{round_half_up(float(value), decimals):.{decimals}f}%"


def num(value, decimals: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{round_half_up(float(value), decimals):.{decimals}f}"


def pvalue(p) -> str:
    if p is None or pd.isna(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def column_headers(tidy: pd.DataFrame, column_vars: list[str]) -> dict[str, tuple[str, str]]:
    """{column label: (spanner, header)} of a crosstab whose columns combine several variables: the first variable's
    category spans the rest, joined with " | ". Read from the tidy table's own per-variable columns, never by
    splitting the label (a category may itself contain " | ")."""
    if len(column_vars) < 2 or not set(column_vars) <= set(tidy.columns):
        return {}
    cells = tidy.drop_duplicates("column")
    parts = zip(cells["column"], *(cells[v].astype(str) for v in column_vars))
    return {label: (top, JOIN.join(rest)) for label, top, *rest in parts
            if label == JOIN.join([top, *rest])}      # not the margin ("Total" in every variable)


def crosstab_display(tidy: pd.DataFrame, table_id: str, title: str, notes: list[str], show_percent: bool = True,
                     column_vars: list[str] | None = None) -> DisplayTable:
    """A paper-style crosstab: for each row a count line and, beneath it, a percent line; with two or more column
    variables (`column_vars`), the first one's categories span the others."""
    rows = list(dict.fromkeys(tidy["row"]))
    cols = list(dict.fromkeys(tidy["column"]))
    grid_n = tidy.pivot(index="row", columns="column", values="n").loc[rows, cols]
    grid_p = tidy.pivot(index="row", columns="column", values="percent").loc[rows, cols]
    records = []
    for r in rows:
        records.append({"row": r, "measure": "n", **{c: "s" if pd.isna(grid_n.loc[r, c]) else f"{int(grid_n.loc[r, c])}"
                                                     for c in cols}})
        if show_percent:
            records.append({"row": r, "measure": "%", **{c: pct(grid_p.loc[r, c]) for c in cols}})
    body = pd.DataFrame(records)
    body = body[["measure", "row"] + cols] if show_percent else body[["row"] + cols]
    spanners, labels = {}, {}
    headers = column_headers(tidy, column_vars or [])
    for c in cols:
        if c in headers:
            top, sub = headers[c]
            spanners.setdefault(top, []).append(c)
            labels[c] = sub
    return DisplayTable(table_id, title, body, group_col="row" if show_percent else None, spanners=spanners,
                        column_labels=labels, notes=notes)


def estimates_display(estimates: pd.DataFrame, labels: dict[str, str], table_id: str, title: str, notes: list[str]) -> DisplayTable:
    """Overall and by-sex estimates: percent (95% CI) and n per wave."""
    e = estimates[estimates["group_var"].isin(["overall", "sex"])].copy()
    e["cell"] = [f"{pct(p)} ({num(lo)}–{num(hi)}); n={n}" for p, lo, hi, n in zip(e["percent"], e["ci_low"], e["ci_high"], e["n"])]
    wide = e.pivot_table(index=["indicator", "group"], columns="wave", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[w for w in ("baseline", "endline") if w in wide.columns]).fillna("–").reset_index()
    wide["indicator"] = wide["indicator"].map(lambda i: labels.get(i, i))
    body = wide.rename(columns={"group": "Group", "baseline": "Baseline % (95% CI)", "endline": "Endline % (95% CI)"})
    return DisplayTable(table_id, title, body[["Group", "indicator"] + [c for c in body.columns if c.endswith("CI)")]],
                        group_col="indicator", notes=notes)


def shifts_display(shifts: pd.DataFrame, labels: dict[str, str], table_id: str, title: str, notes: list[str],
                   alpha: float = 0.05) -> DisplayTable:
    """Shifts: baseline and endline percent, difference (95% CI), test, p, Holm and BH p, significance mark."""
    s = shifts.copy()
    mark = np.where(s["p_holm"] < alpha, "*", "")
    body = pd.DataFrame({
        "indicator": s["indicator"].map(lambda i: labels.get(i, i)),
        "Group": s["group"],
        "Baseline": [pct(x) if pd.notna(x) else "–" for x in s["baseline_pct"]],
        "Endline": [pct(x) if pd.notna(x) else "–" for x in s["endline_pct"]],
        "Change, pp (95% CI)": [f"{num(d):>5} ({num(lo)} to {num(hi)}){m}" for d, lo, hi, m in
                                zip(s["diff_pp"], s["diff_ci_low"], s["diff_ci_high"], mark)],
        "Test": s["test"],
        "p": [pvalue(p) for p in s["p_value"]],
        "Holm p": [pvalue(p) for p in s["p_holm"]],
        "BH p": [pvalue(p) for p in s["p_bh"]],
    })
    return DisplayTable(table_id, title, body[["Group", "indicator", "Baseline", "Endline", "Change, pp (95% CI)", "Test", "p",
                                               "Holm p", "BH p"]], group_col="indicator",
                        notes=notes + [f"* Holm-adjusted p < {alpha} (family: all shifts of the country)."])


def render_named_table(root: Path, country: str, name: str, out_stem: Path) -> list[Path]:
    """Render one of a country's display tables: a configured crosstab, `estimates_table` or `shifts_table`."""
    from analysis.config import load_project

    project = load_project(root)
    cfg = project["countries"][country]
    tables_dir = root / "reports" / "tables" / country
    synthetic = " Synthetic reconstruction: not real responses." if cfg.get("synthetic_data") else ""
    labels = {i["id"]: i["label"] for i in project["indicators"]}
    if name in cfg.get("tables", {}):
        spec = cfg["tables"][name]
        tidy = read_output_csv(tables_dir / f"{name}.csv")
        base = {"row": "row percentages", "column": "column percentages", "total": "percentages of the grand total"}
        display = crosstab_display(tidy, name, spec.get("title", name),
                                   [f"Counts with {base[spec['percent']]} beneath (rounded half up).{synthetic}"],
                                   show_percent=spec.get("show_percent", True),
                                   column_vars=[d["variable"] for d in spec["columns"]])
    elif name == "estimates_table":
        display = estimates_display(read_output_csv(tables_dir / "estimates.csv"), labels, f"{country}_estimates",
                                    f"{cfg['label']}: indicator estimates by wave, overall and by sex",
                                    [f"Percent of valid answers (95% CI); all groups in estimates.csv.{synthetic}"])
    elif name == "shifts_table":
        alpha = project["config"].get("alpha", 0.05)
        display = shifts_display(read_output_csv(tables_dir / "shifts.csv"), labels, f"{country}_shifts",
                                 f"{cfg['label']}: baseline to endline shifts", [synthetic.strip()] if synthetic else [], alpha)
    else:
        raise KeyError(f"no display table '{name}' for {country}")
    return display.write(out_stem)


def main(argv: list[str] | None = None) -> int:
    """`python -m figures.tables --country C --name NAME --out-stem PATH`: write PATH.html, .md and .tex."""
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
        print(exc.render() if isinstance(exc, InputError) else f"ERROR: {exc}; fix: run the pipeline first", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
