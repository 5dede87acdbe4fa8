"""Scale benchmark: a synthetic country of N respondents per wave through the whole pipeline.

    .venv/bin/python benchmarks/run_benchmarks.py --sizes 10000 100000 1000000
        [--workdir /tmp/pom-bench] [--repeats 3]
    .venv/bin/python benchmarks/write_results.py      # rewrites benchmarks/RESULTS.md

For each N: writes the three waves' SPSS files (benchmarks/synthetic_country.py) into a temporary
copy of the project configured with that one country, times pyreadstat reading them (the floor),
runs `snakemake --cores 2` from scratch, collects every job's wall time and peak RSS from
Snakemake's `benchmark:` files, times a no-op rerun, and times the design-based estimation stage
of the shares alone (overall and by sex). Reads and pipeline runs are repeated (--repeats, default
3) and the medians reported: on a shared 2-core virtual machine single runs vary by 10% or more.
Writes the figures to benchmarks/results.json (the sizes run replace their earlier figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import synthetic_country  # noqa: E402


def prepare(workdir: Path, n: int) -> Path:
    from tests.conftest import copy_project

    root = workdir / f"n{n}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    copy_project(root)
    shutil.rmtree(root / "data" / "raw" / "rwanda")
    synthetic_country.write_country(root, n)
    (root / "config/countries/bench.yaml").write_text(
        synthetic_country.country_config(), encoding="utf-8"
    )
    cfg = yaml.safe_load((root / "config/config.yaml").read_text())
    cfg["countries"] = ["bench"]
    cfg.pop("claims", None)
    (root / "config/config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return root


def bare_read_seconds(root: Path) -> float:
    """pyreadstat alone reading every wave's file in turn, in a fresh process (the floor)."""
    files = [f"data/raw/bench/bench_{w}.sav" for w in synthetic_country.WAVES]
    code = (
        "import pyreadstat,time;t=time.perf_counter();"
        f"[pyreadstat.read_sav(f) for f in {files!r}];"
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def _stages(root: Path) -> dict:
    stages = {}
    for f in sorted((root / "logs" / "benchmarks").rglob("*.tsv")):
        row = pd.read_csv(f, sep="\t").iloc[-1]
        stages[f.stem] = {
            "seconds": round(float(row["s"]), 2),
            "max_rss_mb": round(float(row["max_rss"]), 1),
        }
    return stages


def estimation_seconds(root: Path) -> float:
    code = (
        "import time,sys;sys.path.insert(0,'src');import pandas as pd;from pathlib import Path;from"
        " analysis.config import load_project;from analysis.survey.estimates import"
        " estimate_table;p=load_project(Path('.'));"
        "d=pd.read_parquet('data/processed/bench/respondents.parquet');t=time.perf_counter();"
        "e=estimate_table(d,p.indicators,'bench',p.countries['bench'].design,['sex'],1);"
        "print(time.perf_counter()-t,"
        " len(e))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[0])


# Runs a command and prints the peak RSS (kB) of the largest process it started: getrusage's
# ru_maxrss over waited-for descendants is exact, where Snakemake's benchmark samples RSS every
# 0.5 s for 15 s and then every 30 s, and so misses a long job's short peaks.
LARGEST_PROCESS = (
    "import resource,subprocess,sys;subprocess.run(sys.argv[1:],check=True,capture_output=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run(root: Path, repeats: int) -> dict:
    """The whole pipeline `repeats` times from scratch (the first run, then --forceall); the median
    run counts."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    snakemake = [str(Path(sys.executable).parent / "snakemake"), "--cores", "2", "-q"]
    runs = []
    for i in range(repeats):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", LARGEST_PROCESS, *snakemake, *(["--forceall"] if i else [])],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(
            {
                "pipeline_seconds": round(time.perf_counter() - t, 2),
                "stages": _stages(root),
                "largest_process_rss_mb": round(int(out.stdout.split()[-1]) / 1024, 1),
            }
        )
    t = time.perf_counter()
    subprocess.run(snakemake, cwd=root, env=env, check=True, capture_output=True)
    noop = time.perf_counter() - t
    median = sorted(runs, key=lambda r: r["pipeline_seconds"])[len(runs) // 2]
    return {
        "pipeline_seconds": median["pipeline_seconds"],
        "pipeline_runs": [r["pipeline_seconds"] for r in runs],
        "noop_rerun_seconds": round(noop, 2),
        "stages": median["stages"],
        "peak_job_rss_mb": max(s["max_rss_mb"] for r in runs for s in r["stages"].values()),
        "largest_process_rss_mb": max(r["largest_process_rss_mb"] for r in runs),
    }


def machine() -> str:
    cpu = next(
        (
            text.split(":", 1)[1].strip()
            for text in Path("/proc/cpuinfo").read_text().splitlines()
            if text.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            int(text.split()[1]) // 1024 // 1024
            for text in Path("/proc/meminfo").read_text().splitlines()
            if text.startswith("MemTotal")
        ),
        0,
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pom-bench"))
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="pipeline runs and bare reads per size (median counts)",
    )
    args = parser.parse_args()
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["machine"] = machine()
    results["measured"] = time.strftime("%Y-%m-%d")
    for n in args.sizes:
        root = prepare(args.workdir, n)
        reads = [round(bare_read_seconds(root), 2) for _ in range(args.repeats)]
        res = run(root, args.repeats)
        res["bare_read_seconds"], res["bare_read_runs"] = sorted(reads)[len(reads) // 2], reads
        res["estimation_stage_seconds"] = round(estimation_seconds(root), 2)
        results[str(n)] = res
        results_path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        print(n, json.dumps({k: v for k, v in res.items() if k != "stages"}), flush=True)


if __name__ == "__main__":
    main()
