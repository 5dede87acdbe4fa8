"""The closing summary of a run (analysis.run_summary), built from hand-written outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.cli import accounting_message
from analysis.run_summary import build_run_summary


def _write(root: Path, rel: str, rows: list[dict]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)


def _outputs(root: Path) -> None:
    columns = ["dataset", "source_file", "wave", "raw_rows", "kept", "excluded"]
    accounting = [
        ("respondents", "a.sav", "baseline", 10, 8, 2),
        ("respondents", "b.sav", "endline", 9, 9, 0),
        ("register", "c.csv", "q", 5, 4, 1),
    ]
    _write(
        root,
        "data/processed/land/row_accounting.csv",
        [dict(zip(columns, row, strict=True)) for row in accounting],
    )
    _write(
        root,
        "data/processed/land/cleaning_log.csv",
        [{"severity": "warning"}, {"severity": "change"}, {"severity": "warning"}],
    )
    _write(
        root,
        "reports/tables/land/estimates.csv",
        [{"indicator": "a"}, {"indicator": "a"}, {"indicator": "b"}],
    )
    _write(root, "reports/tables/land/mean_estimates.csv", [{"indicator": "c"}])
    _write(
        root,
        "reports/tables/land/shifts.csv",
        [
            {"significant_holm": "True", "composition_flag": "crude outside subgroups"},
            {"significant_holm": "False", "composition_flag": ""},
            {"significant_holm": "", "composition_flag": ""},  # not estimable: not tested
        ],
    )
    _write(
        root,
        "reports/tables/land/mean_shifts.csv",
        [{"significant_holm": "True", "composition_flag": ""}],
    )
    _write(
        root,
        "reports/tables/land/fig.csv",
        [{"n": 3, "suppressed": "True"}, {"n": 9, "suppressed": "False"}],
    )
    _write(
        root,
        "reports/audit/claims.csv",
        [{"status": "reproduced"}, {"status": "differs"}, {"status": "reproduced"}],
    )
    _write(root, "reports/audit/statements.csv", [{"status": "supported"}])
    (root / "reports/report.html").write_text("<html></html>")


def test_summary_counts_every_part(tmp_path):
    _outputs(tmp_path)
    text = build_run_summary(tmp_path, ["land"])
    assert text.splitlines() == [
        "Run finished.",
        "report: reports/report.html",
        "land",
        "  kept per wave: respondents: baseline n=8, endline n=9; register: q n=4; 3 rows excluded",
        "  indicators: 3; changes significant after Holm: 2 of 3 tested;"
        " composition-flagged changes: 1",
        "  cleaning warnings (rows kept with a flag): 2; suppressed crosstab cells: 1",
        "audit claims by status: differs 1, reproduced 2",
        "audit statements by status: supported 1",
        "trace a claim, estimate or shift: make trace ID=<claim id, or the est:/shift: id beside it"
        " in the report> (list the claims: make claims)",
    ]


def test_summary_is_deterministic_and_says_what_is_missing(tmp_path):
    _outputs(tmp_path)
    assert build_run_summary(tmp_path, ["land"]) == build_run_summary(tmp_path, ["land"])
    text = build_run_summary(tmp_path, ["elsewhere"])
    assert "row accounting missing" in text
    assert "changes missing" in text
    assert "cleaning warnings (rows kept with a flag): missing" in text
    (tmp_path / "reports/report.html").unlink()
    assert "report: reports/report.html (missing)" in build_run_summary(tmp_path, [])


def test_clean_job_log_line_counts_kept_and_excluded():
    accounting = pd.DataFrame(
        {
            "source_file": ["a.sav", "b.sav"],
            "wave": ["baseline", "endline"],
            "raw_rows": [10, 9],
            "kept": [8, 9],
            "excluded": [2, 0],
        }
    )
    line = accounting_message("land", "respondents", accounting)
    assert line.startswith("land/respondents: 19 rows read, 17 kept, 2 excluded")
    assert "a.sav (baseline): 10 read, 8 kept, 2 excluded" in line


def test_snakemake_runs_quiet_with_one_line_per_job_and_extra_options_after():
    from analysis.runner import snakemake_command

    command = snakemake_command(["all"], "2", ["--dry-run"])
    quiet = command.index("--quiet")
    assert command[quiet + 1 : quiet + 3] == ["rules", "host"]
    assert command[quiet + 3 :] == ["--dry-run", "--", "all"]


def test_progress_is_one_line_per_finished_job_and_errors_pass():
    from analysis.runner import Progress

    snakemake_stderr = [
        "Building DAG of jobs...",
        "Provided cores: 2",
        "Job stats:",
        "Select jobs to execute...",
        "Execute 2 jobs...",
        "[Thu Dec  3 07:24:55 2026]",
        "Finished jobid: 3 (Rule: clean_dataset)",
        "2 of 38 steps (5%) done",
        "Error in rule statistics:",
        "    log: logs/land/statistics.log (check log file(s) for error details)",
    ]
    progress = Progress()
    shown = [progress.shown(line + "\n") for line in snakemake_stderr]
    assert [s for s in shown if s is not None] == [
        "Job stats:\n",
        "2 of 38 steps (5%) done: clean_dataset\n",
        "Error in rule statistics:\n",
        "    log: logs/land/statistics.log (check log file(s) for error details)\n",
    ]
