# Shared helpers: read and validate the whole configuration once, at workflow start.
import sys

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)

from analysis.config import load_project  # noqa: E402
from analysis.errors import InputError  # noqa: E402
from analysis.resources import source_processes  # noqa: E402

try:
    PROJECT = load_project(Path(workflow.basedir))
except InputError as exc:  # one clear message, no traceback
    sys.stderr.write(exc.render() + "\n")
    sys.exit(2)

COUNTRIES = list(PROJECT["countries"])
# the analysis code is an input of every rule: changing a function reruns the jobs that use it
CODE = sorted(str(p) for p in Path(SRC, "analysis").rglob("*.py"))
FIGURE_CODE = sorted(str(p) for p in Path(SRC, "figures").rglob("*.py"))
ENV = "../environment.yml"
# the workflow always runs the code of its own checkout (also when another copy is pip-installed)
PY = f"PYTHONPATH={SRC} python -m analysis"
FIG = f"PYTHONPATH={SRC} python -m figures"


def datasets(country):
    return list(PROJECT["countries"][country]["datasets"])


def raw_files(country, dataset):
    sources = PROJECT["countries"][country]["datasets"][dataset]["sources"]
    files = {s["file"] for s in sources} | {s["xlsform"] for s in sources if s.get("xlsform")}
    return sorted(files)


def clean_threads(wildcards):
    """One core per source file for large datasets (their files are read in parallel), else one."""
    sources = PROJECT["countries"][wildcards.country]["datasets"][wildcards.dataset]["sources"]
    return source_processes(Path(workflow.basedir), sources)


LOG_KINDS = ["exclusions", "cleaning_log", "row_accounting"]


def clean_outputs():
    out = []
    for c in COUNTRIES:
        out += [f"data/processed/{c}/{d}.parquet" for d in datasets(c)]
        out += [f"data/processed/{c}/{kind}.csv" for kind in LOG_KINDS]
    return out


def statistics_outputs():
    return [f"reports/tables/{c}/{kind}.csv" for c in COUNTRIES for kind in ("estimates", "shifts")]


def audit_outputs():
    if not PROJECT["config"].get("claims"):
        return []
    return [f"reports/audit/{name}" for name in ("claims.csv", "consistency.csv", "findings.md", "provenance.json")]


def chart_outputs():
    out = []
    for c in COUNTRIES:
        tables = PROJECT["countries"][c].get("tables", {})
        out += [f"reports/figures/{c}/{t}.png" for t, spec in tables.items() if spec.get("chart")]
        out += [f"reports/figures/{c}/{chart}.png" for chart in ("dumbbell", "forest")]
    return out


def chart_data(country, dataset):
    """What the data are, for a chart's source line (from config; says 'synthetic' when it is)."""
    cfg = PROJECT["countries"][country]
    text = cfg["datasets"][dataset].get("description", f"{cfg['label']} {dataset}")
    return f"synthetic reconstruction of {text} (not real responses)" if cfg.get("synthetic_data") else text


# every configured crosstab (regular expression for the crosstab rule's wildcard)
TABLES = "|".join(sorted({t for c in COUNTRIES for t in PROJECT["countries"][c].get("tables", {})})) or "^$"
# configured crosstabs that have a chart (regular expression for the chart_table rule's wildcard)
CHART_TABLES = "|".join(sorted({t for c in COUNTRIES for t, spec in PROJECT["countries"][c].get("tables", {}).items()
                                if spec.get("chart")})) or "^$"


def display_table_names(country):
    return list(PROJECT["countries"][country].get("tables", {})) + ["estimates_table", "shifts_table"]


def display_table_inputs(country, name):
    if name in PROJECT["countries"][country].get("tables", {}):
        return [f"reports/tables/{country}/{name}.csv"]
    return [f"reports/tables/{country}/{name.removesuffix('_table')}.csv"]


def display_table_outputs():
    return [f"reports/tables/{c}/{n}.{ext}" for c in COUNTRIES for n in display_table_names(c) for ext in ("html", "md", "tex")]


def table_outputs():
    return [f"reports/tables/{c}/{t}.csv" for c in COUNTRIES for t in PROJECT["countries"][c].get("tables", {})]


wildcard_constraints:
    country="[a-z][a-z0-9_]*",
    dataset="[a-z][a-z0-9_]*",
    table="[a-z][a-z0-9_]*",
