"""The three-wave benchmark's part of benchmarks/RESULTS.md, from benchmarks/results.json, judged
against the targets of issue 16 (whole pipeline at most 2x the bare read of the raw files, peak
RSS of any job at most 2 GB, linear in N)."""

from __future__ import annotations

TARGET_RATIO = 2.0  # whole pipeline / bare read of the raw files, at the largest size
TARGET_RSS_GB = 2.0  # peak RSS of any one job (its worker processes included)
LINEAR_SLACK = 1.2  # linear in N: 10x the rows take at most 12x the time
SCALED_JOBS = ("clean_respondents", "statistics")  # the jobs whose work grows with N


def _sizes(r: dict) -> list[int]:
    return sorted(int(k) for k in r if k.isdigit())


def _intro(r: dict) -> list[str]:
    return [
        "# Benchmark results",
        "",
        "## Three waves with means and scales (issue 16)",
        "",
        f"Machine: {r['machine']}. Measured {r.get('measured', 'on an unrecorded date')} by",
        "`benchmarks/run_benchmarks.py` (figures in `benchmarks/results.json`); this page is",
        "written by `benchmarks/write_results.py`.",
        "",
        "Synthetic country (`benchmarks/synthetic_country.py`): N respondents per wave, three",
        "independent waves (baseline, midline, endline), one SPSS `.sav` file each; 30 indicators:",
        '18 shares (yes/no and five-point items, 2% "don\'t know"), 10 means of right-skewed',
        "amounts with a -99 code and 2 scales (a WHO-5-style sum x4, a four-item mean scale with a",
        "reverse-coded item); 20 strata, 400 clusters, survey weights. The whole pipeline runs on",
        "it with `snakemake --cores 2`: cleaning, share and mean estimates, shifts for three",
        "comparisons, trends, scale reliability, charts, display tables, report, manifest. Each",
        "size is run from scratch `repeats` times; the tables give the medians.",
        "Peak RSS: Snakemake's `benchmark:` figure samples a job's processes every 0.5 s for 15 s,",
        "then every 30 s, and misses a long job's short peaks; the exact figure is the largest",
        "single process of the run (getrusage `ru_maxrss`).",
        "",
    ]


def _gb(mb: float | None) -> str:
    return "not measured" if mb is None else f"{mb / 1024:.2f} GB"


def _size_table(r: dict) -> list[str]:
    lines = [
        "| N per wave | bare read (pyreadstat, 3 files) | whole pipeline | ratio |"
        " peak RSS of any job (sampled) | largest process (exact) | no-op rerun |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in _sizes(r):
        s = r[str(n)]
        lines.append(
            f"| {n:,} | {s['bare_read_seconds']:.2f} s | {s['pipeline_seconds']:.1f} s |"
            f" {s['pipeline_seconds'] / s['bare_read_seconds']:.2f}× |"
            f" {s['peak_job_rss_mb'] / 1024:.2f} GB | {_gb(s.get('largest_process_rss_mb'))} |"
            f" {s['noop_rerun_seconds']:.2f} s |"
        )
    runs = "; ".join(
        f"{n:,}: pipeline {', '.join(map(str, r[str(n)]['pipeline_runs']))}, bare read"
        f" {', '.join(map(str, r[str(n)]['bare_read_runs']))}"
        for n in _sizes(r)
    )
    return lines + ["", f"Runs (seconds): {runs}", ""]


def _stage_table(r: dict) -> list[str]:
    sizes = _sizes(r)
    big = r[str(sizes[-1])]["stages"]
    small = r[str(sizes[-2])]["stages"] if len(sizes) > 1 else {}
    lines = [
        f"Per job at {sizes[-1]:,} respondents per wave (Snakemake `benchmark:` files), slowest"
        f" first; the last column is the time at {sizes[-1]:,} over the time at"
        f" {sizes[-2] if len(sizes) > 1 else sizes[-1]:,}:",
        "",
        "| job | seconds | peak RSS (MB) | growth |",
        "|---|---|---|---|",
    ]
    for job, v in sorted(big.items(), key=lambda kv: -kv[1]["seconds"]):
        growth = v["seconds"] / small[job]["seconds"] if job in small else float("nan")
        lines.append(f"| {job} | {v['seconds']:.2f} | {v['max_rss_mb']:.0f} | {growth:.1f}× |")
    return lines + [""]


def _verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _targets(r: dict) -> list[str]:
    sizes = _sizes(r)
    big, n_big = r[str(sizes[-1])], sizes[-1]
    ratio = big["pipeline_seconds"] / big["bare_read_seconds"]
    sampled = big["peak_job_rss_mb"] / 1024
    exact = big.get("largest_process_rss_mb")
    rss = sampled if exact is None else exact / 1024
    heaviest = max(big["stages"].items(), key=lambda kv: kv[1]["max_rss_mb"])[0]
    lines = [
        "### Against the targets of issue 16",
        "",
        "| target | measured | met? |",
        "|---|---|---|",
        f"| whole pipeline ≤ {TARGET_RATIO:g}× the bare read ({n_big:,} per wave) |"
        f" {big['pipeline_seconds']:.1f} s vs {big['bare_read_seconds']:.2f} s = {ratio:.2f}× |"
        f" {_verdict(ratio <= TARGET_RATIO)} |",
        f"| peak RSS ≤ {TARGET_RSS_GB:g} GB | largest process {_gb(exact)} (exact, ru_maxrss);"
        f" Snakemake's sampled figure {sampled:.2f} GB ({heaviest}) |"
        f" {_verdict(max(rss, sampled) <= TARGET_RSS_GB)} |",
    ]
    if len(sizes) > 1:
        small, factor = r[str(sizes[-2])], sizes[-1] / sizes[-2]
        limit = factor * LINEAR_SLACK
        for job in SCALED_JOBS:
            if job in big["stages"] and job in small["stages"]:
                growth = big["stages"][job]["seconds"] / small["stages"][job]["seconds"]
                lines.append(
                    f"| linear in N: {job}, {factor:g}× the rows ≤ {limit:g}× the time |"
                    f" {growth:.1f}× | {_verdict(growth <= limit)} |"
                )
        growth = big["pipeline_seconds"] / small["pipeline_seconds"]
        lines.append(
            f"| linear in N: whole pipeline, {factor:g}× the rows ≤ {limit:g}× the time |"
            f" {growth:.1f}× | {_verdict(growth <= limit)} |"
        )
    return lines + [""]


def page(r: dict) -> list[str]:
    """The three-wave section of RESULTS.md (markdown lines)."""
    return _intro(r) + _size_table(r) + _stage_table(r) + _targets(r)
