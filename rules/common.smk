# Shared helpers: read and validate the whole configuration once, at workflow start.
# Shell commands get only wildcards (constrained below) and file paths, each quoted with `:q`; no
# config text. Each job's params carry a digest of the configuration it reads (analysis.workflow),
# so Snakemake reruns it when that changes (rerun trigger `params`), and a digest of its raw files'
# contents where it reads any.
import re
import shlex
import sys

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)

from analysis.config import load_project  # noqa: E402
from analysis.errors import InputError  # noqa: E402
from analysis.resources import source_processes  # noqa: E402
from analysis.workflow import config_digest, display_job, raw_digest  # noqa: E402
from figures.paging import chart_job, group_charts, group_page_stems, page_stems  # noqa: E402

try:
    PROJECT = load_project(Path(workflow.basedir))
except InputError as exc:  # one clear message, no traceback
    sys.stderr.write(exc.render() + "\n")
    sys.exit(2)

COUNTRIES = list(PROJECT.countries)
# the analysis code is an input of every rule: changing a function or a template reruns the jobs
# that use it
CODE = sorted(str(p) for p in Path(SRC, "analysis").rglob("*") if p.suffix in (".py", ".j2"))
FIGURE_CODE = sorted(str(p) for p in Path(SRC, "figures").rglob("*") if p.suffix in (".py", ".j2"))
ENV = "../environment.yml"
# the workflow always runs the code of its own checkout (also when another copy is pip-installed)
PY = f"PYTHONPATH={shlex.quote(SRC)} python -m analysis"
FIG = f"PYTHONPATH={shlex.quote(SRC)} python -m figures"
ROOT = Path(workflow.basedir)


def config_of(job, **where):
    """A param: the digest of the configuration slice `job` reads (where: wildcard names ->
    wildcard attributes)."""
    return lambda w: config_digest(PROJECT, job, **{k: getattr(w, v) for k, v in where.items()})


def raw_content(country, dataset):
    """SHA-256 of the dataset's raw files (cached by stat): a replaced file reruns the job, whatever
    its mtime."""
    return raw_digest(ROOT, raw_files(country, dataset))


def all_raw_files():
    return sorted({f for c in COUNTRIES for d in datasets(c) for f in raw_files(c, d)})


def config_files():
    """Every configuration file (the manifest records their hashes)."""
    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "config").rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".json")
    )


def datasets(country):
    return list(PROJECT.countries[country].datasets)


def raw_files(country, dataset):
    sources = PROJECT.countries[country].datasets[dataset].sources
    files = {s.file for s in sources} | {s.xlsform for s in sources if s.xlsform}
    return sorted(files)


def clean_threads(wildcards):
    """One core per source file for large datasets (their files are read in parallel), else one."""
    sources = PROJECT.countries[wildcards.country].datasets[wildcards.dataset].sources
    return source_processes(Path(workflow.basedir), sources)


LOG_KINDS = ["exclusions", "cleaning_log", "row_accounting"]


def clean_outputs():
    out = []
    for c in COUNTRIES:
        out += [f"data/processed/{c}/{d}.parquet" for d in datasets(c)]
        out += [f"data/processed/{c}/{kind}.csv" for kind in LOG_KINDS]
    return out


def statistics_outputs():
    return [
        f"reports/tables/{c}/{kind}.csv"
        for c in COUNTRIES
        for kind in (
            "estimates",
            "shifts",
            "attrition",
            "trends",
            "mean_estimates",
            "mean_shifts",
            "scales",
            "power",
            "did",
            "comparisons",
            "adjusted",
        )
    ]


STATISTICS_KINDS = (
    "estimates",
    "shifts",
    "attrition",
    "trends",
    "mean_estimates",
    "mean_shifts",
    "scales",
    "power",
    "did",
    "comparisons",
    "adjusted",
)


def workbook_tables(country):
    """The CSV tables of a country's workbook, one sheet each, in sheet order."""
    return (
        [f"reports/tables/{country}/{kind}.csv" for kind in STATISTICS_KINDS]
        + [f"reports/tables/{country}/{t}.csv" for t in PROJECT.countries[country].tables]
        + [f"reports/tables/{country}/dictionary.csv"]
    )


def workbook_outputs():
    """Each country's data dictionary (CSV) and Excel workbook."""
    return [
        path
        for c in COUNTRIES
        for path in (f"reports/tables/{c}/dictionary.csv", f"reports/tables/{c}/{c}.xlsx")
    ]


def audit_outputs():
    if not PROJECT.settings.claims:
        return []
    return [
        f"reports/audit/{name}"
        for name in (
            "claims.csv",
            "consistency.csv",
            "findings.md",
            "provenance.json",
            "statements.csv",
        )
    ]


def chart_outputs():
    out = []
    for c in COUNTRIES:
        tables = PROJECT.countries[c].tables
        out += [f"reports/figures/{c}/{t}.png" for t, spec in tables.items() if spec.chart]
        # the shift charts' pages: at most 10 indicators a page, counted from the config
        out += [f"reports/figures/{c}/{stem}.png" for stem in page_stems(PROJECT, c)]
        # the dumbbell by each grouping but sex (age band, social group...): 6 indicators a page
        out += [f"reports/figures/{c}/{stem}.png" for stem in group_page_stems(PROJECT, c)]
    return out


def alternatives(names):
    """A regular expression matching exactly these names (escaped: a name is config text), or
    nothing."""
    return "|".join(re.escape(n) for n in sorted(names)) or "^$"


# every configured crosstab (regular expression for the crosstab rule's wildcard)
TABLES = alternatives({t for c in COUNTRIES for t in PROJECT.countries[c].tables})
# the shift charts' file stems: dumbbell and forest pages, and the dumbbell by each grouping
# (the groupings' file-name forms, `figures.paging.group_charts`: never config text)
SHIFT_CHART_STEMS = "(dumbbell|forest{groups})(_p[0-9]+)?".format(
    groups="".join(
        f"|dumbbell_by_({alternatives(group_charts(PROJECT, c))})"
        for c in COUNTRIES
        if group_charts(PROJECT, c)
    )
)
# configured crosstabs that have a chart (regular expression for the chart_table rule's wildcard)
CHART_TABLES = alternatives(
    {t for c in COUNTRIES for t, spec in PROJECT.countries[c].tables.items() if spec.chart}
)


def display_table_names(country):
    return list(PROJECT.countries[country].tables) + ["estimates_table", "shifts_table"]


def display_table_inputs(country, name):
    if name in PROJECT.countries[country].tables:
        return [f"reports/tables/{country}/{name}.csv"]
    return [f"reports/tables/{country}/{name.removesuffix('_table')}.csv"]


def display_table_outputs():
    return [
        f"reports/tables/{c}/{n}.{ext}"
        for c in COUNTRIES
        for n in display_table_names(c)
        for ext in ("html", "md", "tex")
    ]


def table_outputs():
    return [f"reports/tables/{c}/{t}.csv" for c in COUNTRIES for t in PROJECT.countries[c].tables]


# every display table (regular expression for the display_table rule's wildcard)
DISPLAY_NAMES = alternatives({n for c in COUNTRIES for n in display_table_names(c)})


wildcard_constraints:
    country="[a-z][a-z0-9_]*",
    dataset="[a-z][a-z0-9_]*",
    table="[a-z][a-z0-9_]*",
