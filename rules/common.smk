# Shared helpers: read and validate the whole configuration once, at workflow start.
import sys

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)

from analysis.config import load_project  # noqa: E402
from analysis.errors import InputError  # noqa: E402

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


def datasets(country):
    return list(PROJECT["countries"][country]["datasets"])


def raw_files(country, dataset):
    sources = PROJECT["countries"][country]["datasets"][dataset]["sources"]
    files = {s["file"] for s in sources} | {s["xlsform"] for s in sources if s.get("xlsform")}
    return sorted(files)


def clean_outputs():
    out = []
    for c in COUNTRIES:
        out += [f"data/processed/{c}/{d}.parquet" for d in datasets(c)]
        out += [f"data/processed/{c}/{kind}.csv" for kind in ("exclusions", "cleaning_log", "row_accounting")]
    return out


def statistics_outputs():
    return [f"reports/tables/{c}/{kind}.csv" for c in COUNTRIES for kind in ("estimates", "shifts")]


def audit_outputs():
    if not PROJECT["config"].get("claims"):
        return []
    return [f"reports/audit/{name}" for name in ("claims.csv", "consistency.csv", "findings.md", "provenance.json")]


def table_outputs():
    return [f"reports/tables/{c}/{t}.csv" for c in COUNTRIES for t in PROJECT["countries"][c].get("tables", {})]


wildcard_constraints:
    country="[a-z][a-z0-9_]*",
    dataset="[a-z][a-z0-9_]*",
    table="[a-z][a-z0-9_]*",
