"""Command line: `python -m figures <chart> --out-stem PATH [options]` writes PATH.png and PATH.svg.

Charts (and the tables they read from <tables-dir>/<country>/)
  table          <table>.csv, drawn as the chart its `tables:` entry in the country's config
                 names (the pipeline)
  pyramid        <table>.csv, a sex x age-band crosstab (e.g. --table figure1_sex_by_age)
  social-groups  <table>.csv, a social-group x sex crosstab
  figure3        <table>.csv, collection type x (location | respondent group)
  dumbbell       estimates.csv + shifts.csv
  forest         shifts.csv

Options
  --root DIR           the project (default: the current directory); its config gives what is
                       not passed
  --country C          a folder under --tables-dir (a country of config/config.yaml); required
  --table NAME         the crosstab to draw (table, pyramid, social-groups, figure3)
  --tables-dir DIR     default reports/tables
  --data TEXT          what the data are; the source line is "Source: <data>; n = ...". Default,
                       from the project config: the dataset's `description:` (else "<label>
                       <dataset>"), said to be a "synthetic reconstruction of ... (not real
                       responses)" when the country has `synthetic_data: true` (a country the
                       config does not have: the tables' folder). Config text never passes
                       through a shell: the pipeline passes only the country and table names.
  --source TEXT        the whole source line instead
  --title TEXT         chart title (default: built from the chart and the country)
  --page K             dumbbell and forest: draw page K (at most 10 indicators a page, in
                       configured order; default 1); the title ends "(page K of N)"
  --by SLUG            dumbbell: draw the groups of another grouping of the country's
                       `estimate_groups` instead of women and men (age_band, social_group: the
                       file-name form of the variable's name, `figures.paging.group_charts`), at
                       most 6 indicators a page

Dumbbell and forest take from the project: the indicator labels (config/indicators.yaml merged with
the countries' own `indicators:`), the significance level `alpha` and `percent_decimals`
(config/config.yaml).

A missing or unreadable input, or a config mistake, prints one message starting with "ERROR:" and
exits with status 2; a bug prints one "INTERNAL ERROR:" line and exits with status 3. Set
PEACE_DEBUG=1 to see the Python traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.model import Country, Project, Table

CHARTS = {  # chart: the tables it reads (None: the crosstab named by --table)
    "table": [None],
    "pyramid": [None],
    "social-groups": [None],
    "figure3": [None],
    "dumbbell": ["estimates.csv", "shifts.csv"],
    "forest": ["shifts.csv"],
}
FIX = "fix: run the pipeline first (from the repository root: snakemake --cores 2)"


class CliError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m figures",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("chart", choices=sorted(CHARTS))
    p.add_argument(
        "--root", default=Path.cwd(), type=Path, help="the project (default: the current directory)"
    )
    p.add_argument(
        "--out-stem", required=True, type=Path, help="write OUT_STEM.png and OUT_STEM.svg"
    )
    p.add_argument("--country", required=True)
    p.add_argument("--table", default=None)
    p.add_argument("--tables-dir", default=Path("reports/tables"), type=Path)
    p.add_argument(
        "--source",
        default=None,
        help="the whole source line (default: built from --data and the table's n)",
    )
    p.add_argument(
        "--data",
        default=None,
        help="what the data are, for the source line (default: from the config)",
    )
    p.add_argument("--title", default=None)
    p.add_argument(
        "--page",
        default=1,
        type=int,
        help="dumbbell and forest: the page to draw (at most 10 indicators a page; default 1)",
    )
    p.add_argument(
        "--by",
        default="",
        help="dumbbell: the grouping to draw instead of sex (its file-name form, e.g. age_band)",
    )
    return p


def _read(path: Path):
    """A table the pipeline wrote (text cells neutralised against spreadsheet formulas are
    restored)."""
    from analysis.csv_files import read_output_csv

    if not path.is_file():
        raise CliError(f"ERROR: missing input {path}; {FIX}")
    try:  # wave names stay as written ("1999", "01"), never numbers
        return read_output_csv(path, dtype={c: str for c in ("wave", "from_wave", "to_wave")})
    except Exception as exc:  # empty or corrupt CSV
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
    """'; n = up to 442 (baseline) and 404 (endline) respondents per indicator' from the overall
    rows, the waves named as configured: the first and last wave of estimates.csv (dumbbell; one
    wave: that wave alone), or the shifts' `from_wave` and `to_wave` (forest). '' when the
    table has no overall row or no such columns.
    """

    def text(wave) -> str:  # a wave read as a number comes back as written (1999, not 1999.0)
        return str(int(wave)) if isinstance(wave, float) and wave.is_integer() else str(wave)

    try:
        overall = table[table["group_var"] == "overall"]
        if chart == "dumbbell":
            by_wave = (
                overall.dropna(subset=["wave"])
                .groupby(overall["wave"].map(text), sort=False)["n"]
                .max()
            )
            counts = list(by_wave.items())
            counts = counts[:1] + counts[-1:] if len(counts) > 1 else counts
        else:
            named = overall.dropna(subset=["from_wave", "to_wave"])
            first, last = named["from_wave"].iloc[0], named["to_wave"].iloc[0]
            counts = [
                (text(first), overall["from_n"].max()),
                (text(last), overall["to_n"].max()),
            ]
        if not counts:
            return ""
        return (
            "; n = up to "
            + " and ".join(f"{int(n):,} ({w})" for w, n in counts)
            + " respondents per indicator"
        )
    except (KeyError, IndexError, TypeError, ValueError):
        return ""


def data_description(project: Project, country: str, dataset: str) -> str:
    """What the data are, for a chart's source line: the dataset's `description:` (else "<label>
    <dataset>"), called a synthetic reconstruction when the country config says
    `synthetic_data: true`."""
    cfg = project.countries[country]
    text = cfg.describe(dataset)
    return (
        f"synthetic reconstruction of {text} (not real responses)" if cfg.synthetic_data else text
    )


class _Project:
    """The project config, read once and only when a chart needs it (a configured chart, source line
    or labels)."""

    def __init__(self, root: Path):
        self.root, self._project = root, None

    def exists(self) -> bool:
        return (Path(self.root) / "config" / "config.yaml").is_file()

    def get(self) -> Project:
        if self._project is None:
            from analysis.config import load_project

            self._project = load_project(self.root)
        return self._project

    def country(self, country: str) -> Country:
        countries = self.get().countries
        if country not in countries:
            raise CliError(
                f"ERROR: country '{country}' is not listed in config/config.yaml; "
                f"fix: use one of {', '.join(countries)}"
            )
        return countries[country]

    def table(self, country: str, table: str) -> Table:
        tables = self.country(country).tables
        if table not in tables:
            raise CliError(
                f"ERROR: table '{table}' is not configured for {country}; "
                f"fix: use one of {', '.join(tables) or '(none: add one under `tables:`)'}"
            )
        return tables[table]


def _configured_data(project: _Project, country: str, table: str | None) -> str:
    """The source line's description of the data drawn: the table's dataset, or the respondents
    (shift charts). A chart drawn by hand from tables of a country (or table) the config does not
    have: the tables' folder.
    """
    cfg = project.get().countries.get(country) if project.exists() else None
    if cfg is None or (table and table not in cfg.tables):
        return f"reports/tables/{country}"
    dataset = cfg.tables[table].dataset if table else "respondents"
    return data_description(project.get(), country, dataset)


def _default_title(chart: str, country: str, tables=None) -> str:
    """The chart's title. Dumbbell and forest name the waves they compare, read from `tables` ({file
    name: frame}, as `run` reads them): the shifts' `from_wave` and `to_wave`, else the
    first and last wave of estimates.csv; one wave, or a shifts table without rows, says there is no
    change to show. Without tables, the waves are called the first and the last."""

    def text(wave) -> str:  # a wave read as a number comes back as written (1999, not 1999.0)
        return str(int(wave)) if isinstance(wave, float) and wave.is_integer() else str(wave)

    c = _country_name(country)
    tables = tables or {}
    shifts, estimates = tables.get("shifts.csv"), tables.get("estimates.csv")
    waves = []
    if shifts is not None and {"from_wave", "to_wave"} <= set(shifts.columns):
        pairs = shifts[["from_wave", "to_wave"]].dropna()
        waves = (
            [text(pairs["from_wave"].iloc[0]), text(pairs["to_wave"].iloc[0])] if len(pairs) else []
        )
    if not waves and estimates is not None and "wave" in estimates.columns:
        order = list(dict.fromkeys(text(w) for w in estimates["wave"].dropna()))
        waves = order[:1] + order[-1:] if len(order) > 1 else order
    every = (
        list(dict.fromkeys(text(w) for w in estimates["wave"].dropna()))
        if estimates is not None and "wave" in estimates.columns
        else []
    )
    several = shifts is not None and {"from_wave", "to_wave"} <= set(shifts.columns)
    several = several and len(shifts[["from_wave", "to_wave"]].dropna().drop_duplicates()) > 1
    if len(every) >= 3 or several:  # 3+ waves: every wave's estimates; a block per comparison
        span = f" ({every[0]} to {every[-1]})" if every else ""
        dumbbell, forest = f"{c}: indicators over the waves{span}", f"{c}: changes between waves"
    elif len(waves) == 2:
        dumbbell, forest = (
            f"{c}: indicators at {waves[0]} and {waves[1]}",
            f"{c}: change from {waves[0]} to {waves[1]}",
        )
    elif len(waves) == 1:
        dumbbell = forest = f"{c}: indicators at {waves[0]} (one wave: no change to show)"
    else:
        dumbbell = f"{c}: indicators at the first and last wave"
        forest = (
            f"{c}: no change to show (no shifts)"
            if shifts is not None and not len(shifts)
            else f"{c}: change from the first to the last wave"
        )
    return {
        "pyramid": f"{c}: endline respondents by sex and age band",
        "social-groups": f"{c}: endline respondents by social group and sex",
        "figure3": f"{c}: qualitative participants by location, group and method",
        "dumbbell": dumbbell,
        "forest": forest,
    }[chart]


def run(args) -> list[Path]:
    from . import charts

    country = args.country
    if CHARTS[args.chart] == [None] and not args.table:
        raise CliError(
            f"ERROR: chart '{args.chart}' needs --table (a crosstab configured under `tables:`)"
        )
    tables = [name or f"{args.table}.csv" for name in CHARTS[args.chart]]
    folder = args.tables_dir / country
    data = {name: _read(folder / name) for name in tables}
    first = data[tables[0]]
    project = _Project(args.root)
    chart = args.chart
    if chart == "table":
        spec = project.table(country, args.table)
        if not spec.chart:
            raise CliError(
                f"ERROR: table '{args.table}' of {country} has no `chart:`; "
                "fix: add `chart:` to the table in the country's config, or name the chart"
            )
        chart = spec.chart
    source = args.source or _default_source(
        chart, args.data or _configured_data(project, country, args.table), first
    )
    title = args.title or _default_title(chart, country, data)

    if chart == "pyramid":
        return charts.population_pyramid(first, args.out_stem, source, title=title)
    if chart == "social-groups":
        return charts.social_groups_by_sex(first, args.out_stem, source, title=title)
    if chart == "figure3":
        return charts.participants_figure3(first, args.out_stem, source, title=title)
    if not project.exists():
        raise CliError(
            f"ERROR: no project config in {args.root} to take indicator labels, alpha and "
            "percent_decimals from; fix: run from the repository root, or pass --root"
        )
    return _shift_chart(chart, args, data, project.get(), source, title)


def _page_of(
    tables: dict,
    indicators: list[str],
    page: int,
    rows_from: str | None = None,
    per_page: int | None = None,
) -> tuple[dict, str]:
    """The tables cut to the indicators of page `page` (configured order; an indicator the config
    does not have but the table `rows_from` (default: any table) has goes after those it has, in
    the table's order; `per_page` indicators a page, default `INDICATORS_PER_PAGE`) and the title's
    page suffix (' (page 2 of 3)'; '' for one page)."""
    from .paging import INDICATORS_PER_PAGE, indicators_on_page, page_count

    per_page = per_page or INDICATORS_PER_PAGE
    sources = [tables[rows_from]] if rows_from in tables else list(tables.values())
    seen = [i for t in sources for i in t["indicator"].dropna().astype(str).unique()]
    order = list(dict.fromkeys(indicators + [i for i in seen if i not in indicators]))
    pages = page_count(len(order), per_page)
    if page < 1 or page > pages:
        raise CliError(
            f"ERROR: --page {page} but the chart has {pages} page(s) of at most"
            f" {per_page} indicators; fix: use --page 1 to {pages}"
        )
    keep = set(indicators_on_page(order, page, per_page))
    cut = {name: t[t["indicator"].astype(str).isin(keep)] for name, t in tables.items()}
    return cut, (f" (page {page} of {pages})" if pages > 1 else "")


def _grouping_of(args, project: Project, chart: str) -> str:
    """The grouping variable `--by` names (its file-name form), or 'sex' without `--by`."""
    from .paging import group_charts

    if not args.by:
        return "sex"
    known = group_charts(project, args.country) if args.country in project.countries else {}
    if chart != "dumbbell" or args.by not in known:
        raise CliError(
            f"ERROR: --by {args.by!r} is not a grouping of {args.country}'s dumbbell by group;"
            f" fix: use one of {sorted(known) or 'none (estimate_groups has only sex)'}"
        )
    return known[args.by]


def _shift_chart(chart: str, args, data: dict, project: Project, source: str, title: str):
    """The dumbbell or forest chart of page `args.page` (at most 10 indicators a page; the
    dumbbell by another grouping than sex, `--by`: at most 6)."""
    from . import charts
    from .paging import GROUP_INDICATORS_PER_PAGE, chart_indicators, grouping_words

    by = _grouping_of(args, project, chart)
    configured = (
        chart_indicators(project, args.country, chart) if args.country in project.countries else []
    )
    rows_from = "shifts.csv" if chart == "forest" else None  # the forest draws changes only
    per_page = GROUP_INDICATORS_PER_PAGE if by != "sex" else None
    data, suffix = _page_of(data, configured, args.page, rows_from, per_page)
    if by != "sex":
        title = f"{title}, by {grouping_words(by)}"
    title = title + suffix
    if args.page > 1 and all(t.empty for t in data.values()):
        return charts.empty_page(
            args.out_stem,
            source,
            title=title,
            reason="none of this page's indicators is in the tables (measured in two waves)",
        )
    labels, settings = project.indicator_labels(), project.settings_for(args.country)
    if chart == "dumbbell":
        return charts.dumbbell(
            data["estimates.csv"],
            data["shifts.csv"],
            args.out_stem,
            source,
            labels,
            title=title,
            alpha=settings.alpha,
            by=by,
            min_group_n=settings.min_group_n,
        )
    return charts.forest_plot(
        data["shifts.csv"],
        args.out_stem,
        source,
        labels,
        title=title,
        alpha=settings.alpha,
        percent_decimals=settings.percent_decimals,
    )


def main(argv: list[str] | None = None) -> int:
    from analysis.errors import InputError

    args = _parser().parse_args(argv)
    debug = os.environ.get("PEACE_DEBUG") == "1"
    try:
        for path in run(args):
            print(path)
    except InputError as exc:  # the project config (read for the source line or labels)
        if debug:
            raise
        print(exc.render(), file=sys.stderr)
        return 2
    except CliError as exc:
        if debug:
            raise
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:  # tables that do not look like the pipeline's
        if debug:
            raise
        print(f"ERROR: {exc}; fix: regenerate the tables with the pipeline", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: one line (exit 3), as `python -m analysis`
        if debug:
            raise
        print(
            f"INTERNAL ERROR: {type(exc).__name__}: {exc}\n  fix: this is a bug in the pipeline;"
            " rerun with PEACE_DEBUG=1 to see the traceback and report it",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
