"""The closing summary of `python -m analysis run` (`make report`): where the run landed, built from
its outputs only (no timestamps: the same outputs give the same bytes).

Lines: the report's path; per country the respondents kept per wave (row_accounting.csv `kept`, a
count of rows) and the rows excluded, the number of indicators (estimates.csv and
mean_estimates.csv), the changes significant after Holm's step-down correction (shifts.csv and
mean_shifts.csv `significant_holm`; Holm 1979, Scand. J. Statist. 6:65-70) out of those tested, the
changes whose crude value is flagged for a change of sample composition (`composition_flag`
non-empty), the cleaning warnings (cleaning_log.csv rows of severity `warning`) and the suppressed
crosstab cells (a `suppressed` column of a table under reports/tables/<country>/); then the audit's
claims and statements counted by `status`. A file that does not exist is reported as "missing".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.csv_files import read_output_csv

SUMMARY_FILE = Path("reports") / "run_summary.txt"
REPORT_FILE = Path("reports") / "report.html"
TRUE_TEXT = {"true", "1", "yes"}


def _read(path: Path) -> pd.DataFrame | None:
    """The CSV as text cells ('' for empty), or None when it does not exist."""
    if not path.is_file():
        return None
    return read_output_csv(path, dtype=str).fillna("")


def _is_true(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().isin(TRUE_TEXT)


def _waves(accounting: pd.DataFrame | None) -> str:
    """Kept rows per dataset and wave, and rows excluded:
    'respondents: baseline n=442, endline n=404; 11 rows excluded'."""
    if accounting is None:
        return "row accounting missing"
    kept = pd.to_numeric(accounting["kept"])
    excluded = int(pd.to_numeric(accounting["excluded"]).sum())
    parts = []
    for dataset, rows in accounting.assign(kept=kept).groupby("dataset", sort=False):
        waves = rows.groupby("wave", sort=False)["kept"].sum()
        parts.append(f"{dataset}: " + ", ".join(f"{w} n={int(n)}" for w, n in waves.items()))
    return "; ".join(parts) + f"; {excluded} rows excluded"


def _changes(shifts: list[pd.DataFrame]) -> str:
    """Changes significant after Holm out of those tested, and composition-flagged changes."""
    if not shifts:
        return "changes missing"
    frame = pd.concat(shifts, ignore_index=True)
    tested = frame["significant_holm"].str.strip() != ""
    significant = int(_is_true(frame["significant_holm"]).sum())
    flagged = 0
    if "composition_flag" in frame:
        flagged = int((frame["composition_flag"].str.strip() != "").sum())
    return (
        f"changes significant after Holm: {significant} of {int(tested.sum())} tested;"
        f" composition-flagged changes: {flagged}"
    )


def _suppressed(tables_dir: Path) -> int:
    """Crosstab cells marked suppressed in the country's tables (0 when none has the column)."""
    total = 0
    for path in sorted(tables_dir.glob("*.csv")):
        header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        if "suppressed" in header:
            frame = _read(path)
            assert frame is not None
            total += int(_is_true(frame["suppressed"]).sum())
    return total


def country_lines(root: Path, country: str) -> list[str]:
    """The summary lines of one country."""
    processed = root / "data" / "processed" / country
    tables = root / "reports" / "tables" / country
    estimates = [_read(tables / n) for n in ("estimates.csv", "mean_estimates.csv")]
    indicators = {i for f in estimates if f is not None for i in f["indicator"]}
    shifts = [
        f for f in (_read(tables / n) for n in ("shifts.csv", "mean_shifts.csv")) if f is not None
    ]
    log = _read(processed / "cleaning_log.csv")
    warnings = "missing" if log is None else str(int((log["severity"] == "warning").sum()))
    return [
        f"{country}",
        f"  kept per wave: {_waves(_read(processed / 'row_accounting.csv'))}",
        f"  indicators: {len(indicators)}; {_changes(shifts)}",
        f"  cleaning warnings (rows kept with a flag): {warnings};"
        f" suppressed crosstab cells: {_suppressed(tables)}",
    ]


def _status_counts(path: Path) -> str:
    frame = _read(path)
    if frame is None:
        return "missing"
    counts = frame["status"].value_counts()
    return ", ".join(f"{s} {n}" for s, n in sorted(counts.items())) or "none"


def build_run_summary(root: Path, countries: list[str]) -> str:
    """The summary text of a finished run in `root` (countries in config order)."""
    root = Path(root)
    report = root / REPORT_FILE
    lines = [
        "Run finished.",
        f"report: {REPORT_FILE}" + ("" if report.is_file() else " (missing)"),
    ]
    for country in countries:
        lines += country_lines(root, country)
    audit = root / "reports" / "audit"
    lines += [
        f"audit claims by status: {_status_counts(audit / 'claims.csv')}",
        f"audit statements by status: {_status_counts(audit / 'statements.csv')}",
        "trace a claim, estimate or shift: make trace ID=<claim id, or the est:/shift: id beside it"
        " in the report> (list the claims: make claims)",
    ]
    return "\n".join(lines) + "\n"


def write_run_summary(root: Path) -> str:
    """Build the summary for the countries of config/config.yaml, write it to
    reports/run_summary.txt and return it."""
    from analysis.config import load_project

    countries = list(load_project(root).countries)
    text = build_run_summary(root, countries)
    (Path(root) / SUMMARY_FILE).parent.mkdir(parents=True, exist_ok=True)
    (Path(root) / SUMMARY_FILE).write_text(text, encoding="utf-8")
    return text
