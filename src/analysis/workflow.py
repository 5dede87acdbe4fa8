"""What the Snakemake rules need from Python to rerun exactly the jobs whose inputs changed.

- `config_slice(project, job, ...)` is the part of the configuration one job reads; `config_digest`
  is its SHA-256 (of canonical JSON). Each rule passes the digest as a param, and Snakemake reruns a
  job whose params changed (rerun trigger `params`): `disclosure` reruns the crosstabs (and, through
  their tables, the charts, display tables and report), an indicator label reruns the shift charts,
  estimate/shift display tables and report, never the cleaning or the statistics.
- `raw_digest(root, files)` is the SHA-256 of a job's raw files, so a raw export replaced by one
  with an OLDER timestamp (cp -p, unzip), which Snakemake's mtime check misses, still reruns its
  cleaning. File hashes are cached by (device, inode, size, mtime_ns, ctime_ns) in
  .snakemake/peace-of-mind/raw-hashes.json: a no-op rerun only stats the files (ctime cannot be set
  back by a user, so replaced content always changes the key).

The slices are cut from `Project.documents`, the YAML as read (not the model, whose defaults and
types would make a key written with its default value, or 1 written as 1.0, a different
configuration): a digest changes exactly when what the user wrote for the job changes. Which tables,
datasets and roles exist is read from the model.

Which job reads which configuration key is written down once, in the READERS tables below. A key
that a table does not name goes into EVERY job's slice: an unclassified key reruns too much, never
too little (tests/analysis/test_workflow_safety.py checks that every key of the JSON schemas is
classified). When a job starts reading another key, add the job to that key's entry. The audit,
report and manifest read everything.

Imported by the Snakefile: nothing heavy is imported here.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.model import Project

CLEAN, CROSSTAB, STATISTICS, POWER = "clean", "crosstab", "statistics", "power"
CHART_TABLE, CHART_SHIFTS = "chart_table", "chart_shifts"
DISPLAY_CROSSTAB, DISPLAY_ESTIMATES, DISPLAY_SHIFTS = (
    "display_crosstab",
    "display_estimates",
    "display_shifts",
)
DICTIONARY, WORKBOOK = "dictionary", "workbook"  # reports/tables/<country>/dictionary.csv, .xlsx
WHOLE_PROJECT_JOBS = ("audit", "report", "manifest")
JOBS = (
    CLEAN,
    CROSSTAB,
    STATISTICS,
    POWER,
    CHART_TABLE,
    CHART_SHIFTS,
    DISPLAY_CROSSTAB,
    DISPLAY_ESTIMATES,
    DISPLAY_SHIFTS,
    DICTIONARY,
    WORKBOOK,
    *WHOLE_PROJECT_JOBS,
)
CHARTS = (CHART_TABLE, CHART_SHIFTS)

# config/config.yaml: key -> the jobs that read it (besides the audit, report and manifest, which
# read everything)
PROJECT_READERS: dict[str, tuple[str, ...]] = {
    "countries": (),  # which jobs exist (the job list), not what one job computes
    "alpha": (STATISTICS, POWER, CHART_SHIFTS, DISPLAY_SHIFTS),
    "percent_decimals": (CHART_SHIFTS, DISPLAY_CROSSTAB, DISPLAY_ESTIMATES, DISPLAY_SHIFTS),
    "min_group_n": (STATISTICS, CHART_SHIFTS),  # the dumbbell by group's note states it
    "multiplicity_family": (STATISTICS,),
    # planning the next round (power.csv)
    "power": (POWER,),
    "target_change_pp": (POWER,),
    "target_change_sd": (POWER,),
    "claims": (),  # the audit's registry: a file input of the audit
    "statements": (),  # the audit's statement register: a file input of the audit
    "disclosure": (
        CROSSTAB,
    ),  # charts and display tables read the suppressed crosstab, not the setting
    "external_data_root": (),  # where raw files may live; their contents are hashed (raw_digest)
}
# a country config's top-level keys (its datasets, tables and indicators are sliced below)
COUNTRY_READERS: dict[str, tuple[str, ...]] = {
    "country": (),  # equals the country's name (a wildcard of every job)
    "label": (CHART_TABLE, CHART_SHIFTS, DISPLAY_ESTIMATES, DISPLAY_SHIFTS, WORKBOOK),
    "synthetic_data": (
        WORKBOOK,
        CHART_TABLE,
        CHART_SHIFTS,
        DISPLAY_CROSSTAB,
        DISPLAY_ESTIMATES,
        DISPLAY_SHIFTS,
    ),
    "published_baselines": (STATISTICS,),
    # clean: banded and free-text variables used as groups are checked; the dumbbell by group
    "estimate_groups": (CLEAN, STATISTICS, CHART_SHIFTS),
    "standardise_by": (STATISTICS,),  # adjusted.csv
    "standard_composition": (STATISTICS,),
    "datasets": (),  # sliced per dataset below (the dictionary reads every dataset's codebook)
    "tables": (),  # sliced per table below (the workbook reads every table's title)
    "indicators": (),  # sliced per job below (country indicators are merged)
    # project settings overridden for this country (alpha, min_group_n, multiplicity_family, power,
    # target_change_pp, target_change_sd): read by the jobs that read those settings in config.yaml
    "settings": (STATISTICS, POWER, CHART_SHIFTS, DISPLAY_SHIFTS),
}
# a dataset of a country config (clean reads all of it, except what only describes it)
DATASET_READERS: dict[str, tuple[str, ...]] = {
    "description": CHARTS,  # the dictionary lists the codebook, not the description
    "design": (CLEAN, STATISTICS),
    **{
        key: (CLEAN,)
        for key in (
            "role",
            "record_id",
            "exclusions",
            "checks",
        )
    },
    **{key: (CLEAN, DICTIONARY) for key in ("pii", "sources", "variables", "derive")},
}
# a crosstab under `tables:`
TABLE_READERS: dict[str, tuple[str, ...]] = {
    "dataset": (CROSSTAB, CHART_TABLE),
    "chart": (CHART_TABLE,),
    "title": (DISPLAY_CROSSTAB, WORKBOOK),
    "show_percent": (DISPLAY_CROSSTAB,),
    "percent": (CROSSTAB, DISPLAY_CROSSTAB),
    **{key: (CROSSTAB,) for key in ("filter", "rows", "columns", "total_label")},
}
# an indicator (config/indicators.yaml merged with the countries' own `indicators:`)
INDICATOR_READERS: dict[str, tuple[str, ...]] = {
    "id": (CLEAN, STATISTICS, CHART_SHIFTS, DISPLAY_ESTIMATES, DISPLAY_SHIFTS, DICTIONARY),
    "label": (CHART_SHIFTS, DISPLAY_ESTIMATES, DISPLAY_SHIFTS, DICTIONARY),
    "question": (DICTIONARY,),
    "improvement": (STATISTICS, DICTIONARY),  # the charts read it from shifts.csv
    "role": (STATISTICS, DICTIONARY),  # the multiplicity family of its tests
    "paper_claims": (),
    "countries": (CLEAN, STATISTICS, DICTIONARY),  # this country's mapping only
}


def _read_by(readers: dict[str, tuple[str, ...]], mapping: dict, job: str) -> dict:
    """The entries of `mapping` that `job` reads; a key the table does not name is read by every
    job."""
    return {k: v for k, v in mapping.items() if job in readers.get(k, JOBS)}


def config_slice(
    project: Project,
    job: str,
    country: str | None = None,
    dataset: str | None = None,
    table: str | None = None,
) -> dict:
    """The configuration one job reads (a JSON-able dict), cut from `project.documents` (the YAML as
    read by `analysis.config.load_project`).

    job: one of JOBS. Per-country jobs need `country`; clean needs `dataset`; crosstab, chart_table
    and display_crosstab need `table`. The audit, report and manifest read the whole project.
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; expected one of {', '.join(JOBS)}")
    documents = project.documents
    if job in WHOLE_PROJECT_JOBS:
        return dict(documents)
    assert country is not None, f"job {job} needs a country"
    cfg = project.countries[country]
    written = documents["countries"][country]
    spec = cfg.tables.get(table) if table else None
    dataset = (
        dataset
        or (spec.dataset if spec else None)
        or ("respondents" if job in (STATISTICS, CHART_SHIFTS) else None)
    )
    out: dict[str, Any] = {
        "config": _read_by(PROJECT_READERS, documents["config"], job),
        "country": _read_by(COUNTRY_READERS, written, job),
    }
    if dataset and dataset in cfg.datasets:
        out["dataset"] = _read_by(DATASET_READERS, written["datasets"][dataset], job)
    if spec is not None:
        out["table"] = _read_by(TABLE_READERS, written["tables"][table], job)
    if (
        job == CLEAN
    ):  # the cleaning checks the variables and filter values that this dataset's tables use
        out["tables"] = {
            name: {k: written["tables"][name].get(k) for k in ("filter", "rows", "columns")}
            for name, t in cfg.tables.items()
            if t.dataset == dataset
        }
    out |= _whole_country_slices(cfg, written, job)
    if job != CLEAN or (dataset in cfg.datasets and cfg.datasets[dataset].role == "respondents"):
        out["indicators"] = indicator_slice(documents["indicators"], country, job)
    return out


def _whole_country_slices(cfg, written: dict, job: str) -> dict:
    """What the dictionary reads of every dataset, and the workbook of every table."""
    if job == DICTIONARY:
        return {
            "datasets": {
                name: _read_by(DATASET_READERS, written["datasets"][name], job)
                for name in cfg.datasets
            }
        }
    if job == WORKBOOK:
        return {
            "tables": {
                name: _read_by(TABLE_READERS, written["tables"][name], job) for name in cfg.tables
            }
        }
    return {}


def indicator_slice(indicators: list[dict], country: str, job: str) -> list[dict]:
    """What `job` reads of each of this country's indicators (other countries' mappings left out),
    from the indicators as written (`Project.documents["indicators"]`: config/indicators.yaml merged
    with the countries' own).
    """
    out = []
    for ind in indicators:
        if country not in ind.get("countries", {}):
            continue
        part = _read_by(INDICATOR_READERS, ind, job)
        if "countries" in part:
            part["countries"] = {country: ind["countries"][country]}
        if set(part) - {"id"}:
            out.append(part)
    return out


def display_job(project: Project, country: str, name: str) -> str:
    """The config-slice job of a display table: a configured crosstab, `estimates_table` or
    `shifts_table`."""
    if name in project.countries[country].tables:
        return DISPLAY_CROSSTAB
    return {"estimates_table": DISPLAY_ESTIMATES, "shifts_table": DISPLAY_SHIFTS}[name]


def canonical_json(value) -> str:
    """One text per value: keys sorted, no whitespace, non-string keys tagged with their type (so 1
    and "1" differ), values JSON cannot hold (dates) as text."""
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _plain(value):
    if isinstance(value, dict):
        return {
            (k if isinstance(k, str) else f"<{type(k).__name__}>{k}"): _plain(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def digest(value) -> str:
    """SHA-256 (hex) of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def config_digest(project: Project, job: str, **where) -> str:
    """SHA-256 of `config_slice(project, job, **where)`: a Snakemake param that changes when the
    job's config does."""
    return digest(config_slice(project, job, **where))


# --- raw file contents ----------------------------------------------------------------------------
HASH_CACHE = Path(".snakemake") / "peace-of-mind" / "raw-hashes.json"
_memory: dict[
    str, dict
] = {}  # cache file -> {absolute path: [stat key, sha256]}, loaded once per process


def stat_key(path: Path) -> list[int]:
    """(device, inode, size, mtime_ns, ctime_ns): changes whenever the file's bytes may have
    changed."""
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _load_cache(cache_file: Path) -> dict:
    key = str(cache_file)
    if key not in _memory:
        try:
            loaded = json.loads(cache_file.read_text(encoding="utf-8"))
            _memory[key] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):  # no cache yet, or a damaged one: hash again
            _memory[key] = {}
    return _memory[key]


def _save_cache(cache_file: Path, entries: dict) -> None:
    """Write the cache atomically (a unique temporary file renamed over it), without files that no
    longer exist; a read-only tree keeps no cache."""
    tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        kept = {path: entry for path, entry in entries.items() if os.path.exists(path)}
        tmp.write_text(json.dumps(kept, sort_keys=True), encoding="utf-8")
        os.replace(tmp, cache_file)
    except OSError:
        tmp.unlink(missing_ok=True)


def file_hashes(root: Path, files: list[str], cache_file: Path | None = None) -> dict[str, str]:
    """{file: SHA-256} of files relative to `root`, hashing (in parallel threads) only those whose
    stat key is not in the cache. cache_file: default root/HASH_CACHE."""
    root = Path(root)
    cache_file = Path(cache_file) if cache_file else root / HASH_CACHE
    cache = _load_cache(cache_file)
    keys = {f: stat_key(root / f) for f in files}
    absolute = {f: str((root / f).resolve()) for f in files}
    stale = [f for f in files if cache.get(absolute[f], [None])[0] != keys[f]]
    if stale:
        with ThreadPoolExecutor(max_workers=min(len(stale), os.cpu_count() or 1)) as pool:
            for f, sha in zip(stale, pool.map(lambda f: _sha256_file(root / f), stale)):
                cache[absolute[f]] = [keys[f], sha]
        _save_cache(cache_file, cache)
    return {f: cache[absolute[f]][1] for f in files}


def raw_digest(root: Path, files: list[str], cache_file: Path | None = None) -> str:
    """SHA-256 over the names and contents of a job's raw files (a Snakemake param)."""
    return digest(file_hashes(root, sorted(files), cache_file))
