"""reports/report.html: one self-contained file (images embedded, no network) a reviewer can read and audit.

Sections: what the data are (with the synthetic-reconstruction caveat) and how they were cleaned;
the paper's Figures 1-3; per country the design, every estimate and shift with its test; the audit
summary and findings. Beside every number stands its claim id (cells the paper prints) or its
provenance id (`est:`/`shift:` rows), so any value can be traced with `python -m analysis.audit show`.
Per country, the cleaning section counts the rows excluded by each rule, the rows kept with a flag by each
warning rule of the cleaning log, and the values changed by each cleaning rule. Every text from config or
data is HTML-escaped (`html.escape`, quotes included); the CSVs are read with `read_output_csv`.
Empty cells follow the display tables (tables.py): "s" only for a suppressed crosstab cell, "–" for a number that
does not exist or is not estimable, whose `note` is a numbered mark in the row and a numbered line under the
table. Waves are named as configured (the shifts' `baseline_wave` and `endline_wave`); a country without shifts
(one wave) says so instead of showing an empty table.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.csv_files import read_output_csv

from .tables import (MISSING, PUBLISHED, SUPPRESSED, column_headers, compared_waves, count_cell, estimate_waves,
                     interval, no_shifts_text, note_texts, num, pct, pvalue, row_notes, suppressed_flags, wave_text,
                     wave_title)

CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.6em} .banner{background:#fff4e5;border-left:6px solid #E69F00;padding:.8em 1em;margin:1em 0}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.86em} th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}
th{background:#f2f5f8;text-align:left} td.num{text-align:right;white-space:nowrap} .id{color:#777;font-size:.78em;display:block}
.sig{font-weight:bold;color:#0072B2} .bad{color:#D55E00;font-weight:bold} .ok{color:#009E73}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{font-size:.85em;color:#555}
nav ul{columns:2} code{background:#f4f4f4;padding:0 .2em}
"""


LOG_COUNTED = {"dataset", "source_file", "source_row", "rule", "severity"}   # the cleaning-log columns the report reads


@dataclass
class CountryInputs:
    name: str
    label: str
    design: str
    tables: dict[str, tuple[str, pd.DataFrame, list[str]]]   # table id -> (title, tidy crosstab, column variables)
    charts: dict[str, Path]                            # chart id -> PNG path
    estimates: pd.DataFrame
    shifts: pd.DataFrame
    accounting: pd.DataFrame
    exclusions: pd.DataFrame
    cleaning_log: pd.DataFrame


def _e(text) -> str:
    return html.escape("" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text))


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}"><figcaption>{_e(alt)}</figcaption></figure>'


def _table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i >= numeric_from else ""}>{c}</td>' for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell_claims(claims: pd.DataFrame, registry: dict) -> dict[tuple, str]:
    """(country, table, row, column, field) -> claim id, for figure cells the paper prints."""
    out = {}
    for c in registry.get("claims", []):
        spec = c["recompute"].get("figure_cell")
        if spec:
            out[(spec["country"], spec["table"], spec["row"], spec["column"], spec["field"])] = c["id"]
    return out


def crosstab_html(country: str, table_id: str, tidy: pd.DataFrame, cell_claims: dict, status: dict,
                  column_vars: list[str] | None = None) -> str:
    """A crosstab with counts (and percents beneath), claim ids under the cells the paper prints; a column of several
    variables is headed by their categories joined with " · "."""
    rows = list(dict.fromkeys(tidy["row"]))
    cols = list(dict.fromkeys(tidy["column"]))
    idx = tidy.assign(_suppressed=suppressed_flags(tidy)).set_index(["row", "column"])
    show_pct = not table_id.startswith("figure3")
    out_rows = []
    for r in rows:
        for field in (["n", "percent"] if show_pct else ["n"]):
            cells = [f"<b>{_e(r)}</b>" if field == "n" else "%"]
            for c in cols:
                v, hidden = idx.loc[(r, c), field], bool(idx.loc[(r, c), "_suppressed"])
                text = count_cell(v, hidden) if field == "n" else SUPPRESSED if hidden else pct(v)
                cid = cell_claims.get((country, table_id, r, c, field))
                mark = ""
                if cid:
                    cls = "bad" if status.get(cid) in ("differs", "impossible") else ""
                    mark = f'<span class="id {cls}" title="claim {_e(cid)}: {_e(status.get(cid, ""))}">{_e(cid)}</span>'
                cells.append(f"{text}{mark}")
            out_rows.append(cells)
    headers = column_headers(tidy, column_vars or [])
    return _table([""] + [" · ".join(headers[c]) if c in headers else c for c in cols], out_rows)


def _mark(mark: str) -> str:
    return f"<sup>{_e(mark.strip())}</sup>" if mark else ""


def _notes_list(lines: list[str]) -> str:
    """The notes under a table (`tables.row_notes`), each escaped."""
    return "".join(f'<p class=id>{_e(line)}</p>' for line in lines)


def estimates_html(country: str, est: pd.DataFrame, labels: dict) -> str:
    """Every overall and by-sex estimate, one row each; an empty percent, interval or design effect reads "–" and
    the row's `note` is a mark after its percent, the note under the table."""
    e = est[est["group_var"].isin(["overall", "sex"])]
    marks = row_notes(note_texts(e))
    rows = [[_e(labels.get(r.indicator, r.indicator)) + f'<span class="id">{_e(f"est:{country}/{r.indicator}/{wave_text(r.wave)}/{r.group}")}</span>',
             _e(r.group), _e(wave_text(r.wave)), str(r.n), pct(r.percent) + _mark(m), interval(r.ci_low, r.ci_high),
             _e(r.ci_method) or MISSING, num(r.deff, 2)] for r, m in zip(e.itertuples(), marks.marks)]
    return _table(["Indicator", "Group", "Wave", "n", "%", "95% CI", "CI method", "deff"], rows, numeric_from=3) \
        + _notes_list(marks.lines)


def shifts_html(country: str, sh: pd.DataFrame, labels: dict, alpha: float) -> str:
    """Every shift, the first and last waves headed by their names (`baseline_wave`, `endline_wave`); what cannot
    be estimated reads "–" and the row's `note` is a mark after its change, the note under the table."""
    first, last = compared_waves(sh) or ("baseline", "endline")
    published = sh["baseline_source"].eq("published") if "baseline_source" in sh else pd.Series(False, index=sh.index)
    texts = note_texts(sh)
    marks = row_notes(texts.mask(published & texts.eq(""), PUBLISHED))
    rows = []
    for r, m in zip(sh.itertuples(), marks.marks):
        sig = r.p_holm < alpha
        change = f'<span class="{"sig" if sig else ""}">{num(r.diff_pp)}{"*" if sig else ""}</span>{_mark(m)}'
        rows.append([_e(labels.get(r.indicator, r.indicator)) + f'<span class="id">{_e(f"shift:{country}/{r.indicator}/{r.group}")}</span>',
                     _e(r.group), pct(r.baseline_pct), pct(r.endline_pct), change, interval(r.diff_ci_low, r.diff_ci_high, " to "),
                     _e(r.test) or MISSING, pvalue(r.p_value), pvalue(r.p_holm), pvalue(r.p_bh), num(r.cohens_h, 2)])
    heads = [wave_title(first), wave_title(last)]
    return _table(["Indicator", "Group", *(heads if heads[0] != heads[1] else [first, last]), "Change (pp)", "95% CI",
                   "Test", "p", "Holm p", "BH p", "Cohen's h"], rows, numeric_from=2) + _notes_list(marks.lines)


def estimates_and_shifts_html(c: "CountryInputs", labels: dict, alpha: float) -> list[str]:
    """A country's section: the sentence saying what a shift is (between the waves it compares), the charts, the
    shifts (or why there are none) and the estimates."""
    waves = estimate_waves(c.estimates)
    pair = compared_waves(c.shifts)
    if len(c.shifts):
        first, last = pair or ("baseline", "endline")
        what = f"shifts are {_e(last)} − {_e(first)} in percentage points, * = Holm-adjusted p &lt; {alpha}."
        shifts = shifts_html(c.name, c.shifts, labels, alpha)
    else:
        what = ("one wave of data, so no shifts." if len(waves) == 1 else "no shifts (no indicator has answers in two waves).")
        shifts = f"<p>{_e(no_shifts_text(waves))}</p>"
    parts = [f'<h2 id="{_e(c.name)}">{_e(c.label)}: estimates and shifts</h2>', f"<p>Design: <code>{_e(c.design)}</code>. "
             f"Percentages of valid answers; 95% confidence intervals; {what}</p>"]
    for chart_id in ("dumbbell", "forest"):
        if chart_id in c.charts:
            parts.append(_img(c.charts[chart_id], f"{c.label}: {chart_id}"))
    return parts + ["<h3>Shifts</h3>", shifts, "<h3>Estimates (overall and by sex)</h3>",
                    estimates_html(c.name, c.estimates, labels),
                    f"<p>All groups (age band, social group) are in <code>reports/tables/{_e(c.name)}/estimates.csv</code>.</p>"]


def _rows_by_rule(log: pd.DataFrame) -> pd.DataFrame:
    """Per rule: distinct raw rows (dataset, file, row) and log lines, ordered by rule."""
    keys = [k for k in ("dataset", "source_file", "source_row") if k in log.columns]
    rows = log.drop_duplicates(["rule", *keys]).groupby("rule", sort=True).size()
    return pd.DataFrame({"rows": rows, "entries": log.groupby("rule", sort=True).size()}).reset_index()


def cleaning_summary_html(exclusions: pd.DataFrame, cleaning_log: pd.DataFrame) -> list[str]:
    """Three counts by rule: rows excluded; rows kept with a flag (cleaning-log warnings: e.g. panel ids pairing
    different people, interview dates in the future, a category named "None"); values changed."""
    out = []
    if len(exclusions):
        excluded = exclusions.groupby("rule", sort=True).agg(reason=("reason", "first"), reasons=("reason", "nunique"),
                                                             rows=("rule", "size")).reset_index()
        out.append(_table(["Exclusion rule", "Reason", "Rows excluded"],
                          [[_e(r.rule), _e(r.reason) if r.reasons == 1 else "per row, in <code>exclusions.csv</code>",
                            str(r.rows)] for r in excluded.itertuples()], numeric_from=2))
    else:
        out.append("<p>No row was excluded.</p>")
    severity = cleaning_log["severity"].astype(str) if len(cleaning_log) else pd.Series(dtype=str)
    warnings, changes = cleaning_log[severity.eq("warning").to_numpy()], cleaning_log[severity.eq("change").to_numpy()]
    if len(warnings):
        flagged = _rows_by_rule(warnings)
        out.append(_table(["Kept with a flag (warning)", "Rows flagged"],
                          [[_e(r.rule), str(r.rows)] for r in flagged.itertuples()]))
    else:
        out.append("<p>No row was flagged with a warning.</p>")
    if len(changes):
        changed = _rows_by_rule(changes)
        out.append(_table(["Cleaning rule (change)", "Values changed", "Rows"],
                          [[_e(r.rule), str(r.entries), str(r.rows)] for r in changed.itertuples()]))
    other = cleaning_log[~severity.isin(["warning", "change"]).to_numpy()] if len(cleaning_log) else cleaning_log
    if len(other):
        counts = other.groupby(["severity", "rule"], sort=True).size().reset_index(name="n")
        out.append(_table(["Severity", "Cleaning rule", "Entries"],
                          [[_e(r.severity), _e(r.rule), str(r.n)] for r in counts.itertuples()], numeric_from=2))
    return out


def privacy_html(project: dict) -> str:
    """What the report can say about identifiers and free text, from the config (HTML)."""
    published = sorted(f"{country}/{dataset}: {variable}" for country, cfg in project["countries"].items()
                       for dataset, spec in cfg.get("datasets", {}).items()
                       for variable, v in (spec.get("variables") or {}).items() if isinstance(v, dict) and v.get("publish"))
    return ("Columns declared as direct identifiers (<code>pii:</code>) are never read past ingest, so they never leave "
            "<code>data/raw/</code>. Free-text answers (<code>type: text</code>) stay out of the processed data and logs "
            "unless their variable says <code>publish: true</code>, and published text has phone numbers, e-mail addresses "
            "and the values of <code>pii:</code> columns replaced by placeholders ("
            + (f"published: {_e(', '.join(published))}" if published else "no free text is published") + ").")


def render_report(title: str, caveat_html: str, countries: list[CountryInputs], claims: pd.DataFrame,
                  consistency: pd.DataFrame, registry: dict, labels: dict, alpha: float, code_version: str,
                  privacy: str) -> str:
    status = dict(zip(claims["id"], claims["status"])) if len(claims) else {}
    cell_claims = _cell_claims(claims, registry)
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>", f'<div class="banner">{caveat_html}</div>',
             "<nav><b>Contents</b><ul><li><a href=#data>Data and cleaning</a></li><li><a href=#figures>Figures 1–3</a></li>"
             + "".join(f'<li><a href="#{_e(c.name)}">{_e(c.label)}: estimates and shifts</a></li>' for c in countries)
             + "<li><a href=#audit>Audit of the paper's numbers</a></li></ul></nav>",
             "<h2 id=data>Data and cleaning</h2>",
             "<p>Every raw row is either kept or listed in <code>exclusions.csv</code> with its reason; every changed "
             "or flagged value is in <code>cleaning_log.csv</code>, and a flagged row is kept, not changed. "
             f"{privacy}</p>"]
    for c in countries:
        acc = [[_e(r.source_file), _e(r.wave), str(r.raw_rows), str(r.kept), str(r.excluded)] for r in c.accounting.itertuples()]
        parts += [f"<h3>{_e(c.label)}</h3>", f"<p>Design: <code>{_e(c.design)}</code></p>",
                  _table(["Raw file", "Wave", "Raw rows", "Kept", "Excluded"], acc, numeric_from=2)]
        parts += cleaning_summary_html(c.exclusions, c.cleaning_log)
    parts.append("<h2 id=figures>The paper's Figures 1–3</h2><p>Cell by cell as recomputed; the small grey id under a "
                 "number is its claim in the audit (red: the printed value differs or is impossible).</p>")
    for c in countries:
        for table_id, (ttitle, tidy, column_vars) in c.tables.items():
            parts.append(f"<h3>{_e(ttitle)}</h3>")
            if table_id in c.charts:
                parts.append(_img(c.charts[table_id], ttitle))
            parts.append(crosstab_html(c.name, table_id, tidy, cell_claims, status, column_vars))
    for c in countries:
        parts += estimates_and_shifts_html(c, labels, alpha)
    parts.append("<h2 id=audit>Audit of the paper's numbers</h2>")
    if len(claims):
        counts = claims["status"].value_counts()
        parts.append(_table(["Status", "Claims"], [[_e(s), str(int(counts.get(s, 0)))] for s in
                                                   ("reproduced", "differs", "impossible", "not_recomputable")]))
        failed = consistency[~consistency["passed"].astype(bool)]
        parts.append("<h3>Internal inconsistencies</h3><ol>" + "".join(
            f"<li><b>{_e(r.id)}</b> ({_e(r.check)}, {_e(r.label)}): {_e(r.detail)} <span class=id>claims: {_e(r.claims)}</span></li>"
            for r in failed.itertuples()) + "</ol>")
        rows = [[_e(r.id), _e(r.section), _e(r.quote), _e(r.printed), _e("" if pd.isna(r.recomputed) else f"{float(r.recomputed):.4g}"),
                 f'<span class="{"bad" if r.status in ("differs", "impossible") else "ok" if r.status == "reproduced" else ""}">{_e(r.status)}</span>',
                 _e(r.detail), _e(r.provenance_id)] for r in claims.itertuples()]
        parts += ["<h3>Every claim</h3><p>Trace any claim: <code>python -m analysis.audit show &lt;claim id&gt;</code>.</p>",
                  _table(["Claim", "Section", "Quote", "Printed", "Recomputed", "Status", "Detail", "Provenance"], rows, numeric_from=3)]
    parts.append(f"<hr><p class=id>Code version {_e(code_version)}. Rebuild with <code>make report</code>.</p></body></html>")
    return "\n".join(parts) + "\n"


CAVEAT = ("<b>Synthetic data.</b> The real survey responses are "
          "confidential. Every number recomputed here comes from <b>synthetic reconstructions</b> built by a deterministic "
          "program from the paper's published aggregates (assumptions: <code>config/synthetic_reconstruction.yaml</code>; "
          "list of printed values that could not be met: <code>data/raw/README.md</code>). They show what the paper's "
          "printed numbers imply, not new facts about the people surveyed. The audit's findings use the paper's printed "
          "numbers only.")


def build_report(root: Path, out: Path) -> None:
    """Read every pipeline output under `root` and write the self-contained HTML report to `out`."""
    import yaml

    from analysis.audit.recompute import code_version
    from analysis.config import load_project
    from analysis.estimates import design_of

    project = load_project(root)
    labels = {i["id"]: i["label"] for i in project["indicators"]}
    countries = []
    for name, cfg in project["countries"].items():
        tables_dir, processed = root / "reports" / "tables" / name, root / "data" / "processed" / name
        figures_dir = root / "reports" / "figures" / name
        tables = {tid: (t.get("title", tid), read_output_csv(tables_dir / f"{tid}.csv"), [d["variable"] for d in t["columns"]])
                  for tid, t in cfg.get("tables", {}).items()}
        charts = {p.stem: p for p in sorted(figures_dir.glob("*.png"))}
        log = read_output_csv(processed / "cleaning_log.csv", usecols=lambda c: c in LOG_COUNTED, dtype=str)
        countries.append(CountryInputs(
            name, cfg["label"], design_of(cfg).label, tables, charts,
            read_output_csv(tables_dir / "estimates.csv", dtype={"wave": str}),
            read_output_csv(tables_dir / "shifts.csv", dtype={"baseline_wave": str, "endline_wave": str}),
            read_output_csv(processed / "row_accounting.csv"),
            read_output_csv(processed / "exclusions.csv"), log))
    audit_dir = root / "reports" / "audit"
    registry_path = project["config"].get("claims")
    if registry_path and (audit_dir / "claims.csv").exists():
        claims = read_output_csv(audit_dir / "claims.csv")
        consistency = read_output_csv(audit_dir / "consistency.csv")
        registry = yaml.safe_load((root / registry_path).read_text(encoding="utf-8"))
    else:
        claims, consistency, registry = pd.DataFrame(), pd.DataFrame(), {}
    paper = registry.get("paper", {})
    title = (f"{paper['title'].split(':')[0]} ({paper.get('publisher', '')}, {paper['year']}): reproduced tables, tests "
             "and audit" if paper else "Survey analysis: tables, tests and audit")
    synthetic = any(cfg.get("synthetic_data") for cfg in project["countries"].values())
    html_text = render_report(title, CAVEAT if synthetic else "Source: the raw exports under data/raw/.",
                              countries, claims, consistency, registry, labels, project["config"].get("alpha", 0.05),
                              code_version(root), privacy_html(project))
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
        print(exc.render() if isinstance(exc, InputError) else f"ERROR: {exc}; fix: run the pipeline first", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
