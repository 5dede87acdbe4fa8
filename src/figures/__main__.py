"""Command line: `python -m figures <chart> --out-stem PATH [options]` writes PATH.png and PATH.svg.

Charts (and the tables they read from <tables-dir>/<country>/)
  pyramid        <table>.csv, a sex x age-band crosstab (e.g. --table figure1_sex_by_age)
  social-groups  <table>.csv, a social-group x sex crosstab
  figure3        <table>.csv, collection type x (location | respondent group)
  dumbbell       estimates.csv + shifts.csv
  forest         shifts.csv

Options
  --country C          a folder under --tables-dir (a country of config/config.yaml); required
  --table NAME         the crosstab to draw (pyramid, social-groups, figure3)
  --tables-dir DIR     default reports/tables
  --indicators FILE    indicator labels, default config/indicators.yaml (dumbbell, forest)
  --data TEXT          what the data are, e.g. "synthetic reconstruction of ... (not real responses)";
                       the source line is "Source: <data>; n = ..." (the pipeline passes it from config)
  --source TEXT        the whole source line instead
  --title TEXT         chart title (default: built from the chart and the country)

A missing or unreadable input prints one line starting with "ERROR:" and exits with status 2.
Set PEACE_DEBUG=1 to see the Python traceback instead.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

CHARTS = {   # chart: the tables it reads (None: the crosstab named by --table)
    "pyramid": [None], "social-groups": [None], "figure3": [None],
    "dumbbell": ["estimates.csv", "shifts.csv"], "forest": ["shifts.csv"],
}
FIX = "fix: run the pipeline first (from the repository root: snakemake --cores 2)"


class CliError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m figures", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("chart", choices=sorted(CHARTS))
    p.add_argument("--out-stem", required=True, type=Path, help="write OUT_STEM.png and OUT_STEM.svg")
    p.add_argument("--country", required=True)
    p.add_argument("--table", default=None)
    p.add_argument("--tables-dir", default=Path("reports/tables"), type=Path)
    p.add_argument("--indicators", default=Path("config/indicators.yaml"), type=Path)
    p.add_argument("--source", default=None, help="the whole source line (default: built from --data and the table's n)")
    p.add_argument("--data", default=None, help="what the data are, for the source line (the pipeline passes it from config)")
    p.add_argument("--title", default=None)
    return p


def _read(path: Path):
    import pandas as pd
    if not path.is_file():
        raise CliError(f"ERROR: missing input {path}; {FIX}")
    try:
        return pd.read_csv(path)
    except Exception as exc:      # empty or corrupt CSV
        raise CliError(f"ERROR: cannot read {path} ({type(exc).__name__}: {exc}); {FIX}") from exc


def _country_name(country: str) -> str:
    return country.replace("_", " ").title()


def _total_n(table) -> int | None:
    hit = table[(table["row"] == "Total") & (table["column"] == "Total")]
    return int(hit["n"].iloc[0]) if len(hit) else None


def _default_source(chart: str, data: str, table) -> str:
    """'Source: <data>; n = ...' with the n read from the table (respondents or participants)."""
    if chart in ("pyramid", "social-groups", "figure3"):
        n = _total_n(table)
        unit = "participants" if chart == "figure3" else "respondents"
        return f"Source: {data}" + (f"; n = {n:,} {unit}." if n is not None else ".")
    return f"Source: {data}{_wave_n(chart, table)}."


def _wave_n(chart: str, table) -> str:
    """'; n = up to 442 (baseline) and 404 (endline) respondents per indicator' from the overall rows."""
    try:
        overall = table[table["group_var"] == "overall"]
        if chart == "dumbbell":
            by_wave = overall.groupby("wave")["n"].max()
            b, e = by_wave.get("baseline"), by_wave.get("endline")
        else:
            b, e = overall["baseline_n"].max(), overall["endline_n"].max()
        return f"; n = up to {int(b):,} (baseline) and {int(e):,} (endline) respondents per indicator"
    except (KeyError, TypeError, ValueError):
        return ""


def _default_title(chart: str, country: str) -> str:
    c = _country_name(country)
    return {
        "pyramid": f"{c}: endline respondents by sex and age band",
        "social-groups": f"{c}: endline respondents by social group and sex",
        "figure3": f"{c}: qualitative participants by location, group and method",
        "dumbbell": f"{c}: indicators at baseline and endline",
        "forest": f"{c}: change from baseline to endline",
    }[chart]


def run(args) -> list[Path]:
    from . import charts

    country = args.country
    if CHARTS[args.chart] == [None] and not args.table:
        raise CliError(f"ERROR: chart '{args.chart}' needs --table (a crosstab configured under `tables:`)")
    tables = [name or f"{args.table}.csv" for name in CHARTS[args.chart]]
    folder = args.tables_dir / country
    data = {name: _read(folder / name) for name in tables}
    first = data[tables[0]]
    source = args.source or _default_source(args.chart, args.data or f"reports/tables/{country}", first)
    title = args.title or _default_title(args.chart, country)

    if args.chart == "pyramid":
        return charts.population_pyramid(first, args.out_stem, source, title=title)
    if args.chart == "social-groups":
        return charts.social_groups_by_sex(first, args.out_stem, source, title=title)
    if args.chart == "figure3":
        return charts.participants_figure3(first, args.out_stem, source, title=title)
    if not args.indicators.is_file():
        raise CliError(f"ERROR: missing indicator labels {args.indicators}; "
                       "fix: pass --indicators config/indicators.yaml (run from the repository root)")
    labels = charts.load_indicator_labels(args.indicators)
    if args.chart == "dumbbell":
        return charts.dumbbell(data["estimates.csv"], data["shifts.csv"], args.out_stem, source, labels,
                               title=title)
    return charts.forest_plot(data["shifts.csv"], args.out_stem, source, labels, title=title)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    debug = os.environ.get("PEACE_DEBUG") == "1"
    try:
        for path in run(args):
            print(path)
    except CliError as exc:
        if debug:
            raise
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:      # tables that do not look like the pipeline's
        if debug:
            raise
        print(f"ERROR: {exc}; fix: regenerate the tables with the pipeline", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
