"""`python -m analysis run [TARGET...] [--cores N]` (what `make report` runs): the Snakemake
pipeline, recovering by itself from an interrupted run (SIGKILL, power loss, a closed terminal).

Before Snakemake starts:
- a run already going on in this project (a live Snakemake process whose working directory is the
  project, or a job of one that outlived it) stops this one with one message: two runs would write
  the same files;
- otherwise Snakemake's lock (.snakemake/locks/) is stale, left by a run that was killed, and is
  removed;
- so are the temporary files interrupted jobs leave (`.<name>.<random>.tmp`, written by
  `cli.atomic_outputs` and `workflow._save_cache`) under data/processed, reports, config and
  .snakemake/peace-of-mind.
Snakemake then runs with --rerun-incomplete (outputs of jobs that were cut short are rebuilt), as a
subprocess with an argument list (no shell). Its exit is mapped to the project's contract: 0 done; 3
when a job reported an INTERNAL ERROR (a bug); 2 for any other failure (bad input: the job's
`ERROR:` message is on stderr).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from analysis.errors import InputError

LOCK_DIR = Path(".snakemake") / "locks"
TEMP_DIRS = ("data/processed", "reports", "config", ".snakemake/peace-of-mind")
# `python -m <module>` of a pipeline job (a process that writes outputs)
JOB_MODULES = {"analysis", "analysis.audit", "figures", "figures.tables", "figures.report"}
QUIET = ("rules", "host")  # Snakemake's --quiet categories for `make report`
LOCKED = "Directory cannot be locked"  # Snakemake's message when another run holds the lock


def _argv(pid: str) -> list[str]:
    return [
        a.decode("utf-8", "replace")
        for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if a
    ]


def is_snakemake(argv: list[str]) -> bool:
    """`snakemake ...`, `python .../bin/snakemake ...` or `python -m snakemake ...`."""
    head = argv[:2]
    return any(os.path.basename(a) == "snakemake" for a in head) or _module(argv) == "snakemake"


def _module(argv: list[str]) -> str | None:
    """The module of `python -m MODULE ...` (None for anything else)."""
    if argv and "python" in os.path.basename(argv[0]):
        for i, a in enumerate(argv[1:-1], start=1):
            if a == "-m":
                return argv[i + 1]
            if not a.startswith("-"):
                return None
    return None


def is_pipeline_job(argv: list[str]) -> bool:
    """A job of a pipeline run (`python -m analysis clean ...`, `python -m figures ...`), not a run
    command."""
    module = _module(argv)
    if module not in JOB_MODULES:
        return False
    return module != "analysis" or _analysis_command(argv[argv.index(module) + 1 :]) != "run"


def _analysis_command(args: list[str]) -> str | None:
    """The subcommand of `python -m analysis ARGS`, as the CLI itself parses it (None if it does not
    parse)."""
    import contextlib
    import io

    from analysis.cli import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            return build_parser().parse_known_args(args)[0].command
    except SystemExit:
        return None


def live_processes(root: Path) -> list[tuple[int, str]]:
    """(pid, command line) of every Snakemake process and pipeline job working in `root`, other than
    this process (read from /proc: a process's working directory and command line; processes of
    other users are skipped).
    """
    root = Path(root).resolve()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) != root:
                continue
            argv = _argv(entry.name)
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if is_snakemake(argv) or is_pipeline_job(argv):
            found.append((int(entry.name), " ".join(argv)))
    return sorted(found)


def refuse_concurrent_run(root: Path) -> None:
    """InputError when a run (or a job of a killed run) is still working in this project."""
    live = live_processes(root)
    if live:
        pid, command = live[0]
        short = command if len(command) <= 120 else command[:117] + "..."
        raise InputError(
            f"another run of the pipeline is in progress in this project (process {pid}: {short})",
            file=str(root),
            fix=f"wait for it to finish, or stop it (`kill {pid}`), then run `make report` again",
        )


def clear_stale_lock(root: Path) -> list[Path]:
    """Remove Snakemake's lock files (call only when no run is live); the files removed."""
    locks = sorted(p for p in (Path(root) / LOCK_DIR).glob("*") if p.is_file())
    for p in locks:
        p.unlink(missing_ok=True)
    return locks


def orphaned_temporaries(root: Path) -> list[Path]:
    """Temporary files of interrupted jobs: `.<name>.<random>.tmp` under the folders the pipeline
    writes."""
    return sorted(p for d in TEMP_DIRS for p in (Path(root) / d).rglob(".*.tmp") if p.is_file())


def remove_orphaned_temporaries(root: Path) -> list[Path]:
    found = orphaned_temporaries(root)
    for p in found:
        p.unlink(missing_ok=True)
    return found


def snakemake_command(targets: list[str], cores: str, extra: list[str] | None = None) -> list[str]:
    """The Snakemake command line, as an argument list (never through a shell)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        str(cores),
        "--rerun-incomplete",
        # the log: one progress line per finished job ("N of M steps (P%) done"), a job's message
        # when it fails, no block of input/output paths per job and no host line
        "--quiet",
        *QUIET,
        *(extra or []),
        "--",
        *targets,
    ]


def _environment() -> dict:
    """This interpreter's scripts directory first on PATH: the jobs' `python` is the one running
    this command."""
    env = dict(os.environ)
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    return env


def exit_status(returncode: int, saw_internal_error: bool) -> int:
    """The project's exit contract: 0 ok, 3 a bug (a job printed INTERNAL ERROR), 2 any other
    failure."""
    if returncode == 0:
        return 0
    return 3 if saw_internal_error else 2


def run_pipeline(
    root: Path, targets: list[str], cores: str = "all", extra: list[str] | None = None
) -> int:
    """Recover from an interrupted run, then run Snakemake in `root`, streaming its messages to
    stderr."""
    root = Path(root).resolve()
    refuse_concurrent_run(root)
    locks = clear_stale_lock(root)
    temps = remove_orphaned_temporaries(root)
    if locks or temps:
        print(
            f"recovering from an interrupted run: removed {'a stale lock' if locks else 'no lock'}"
            f" and {len(temps)} orphaned temporary file(s); incomplete outputs are rebuilt",
            flush=True,
        )
    proc = subprocess.Popen(
        snakemake_command(targets, cores, extra),
        cwd=root,
        env=_environment(),
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    forward = lambda signum, frame: proc.send_signal(signum)  # noqa: E731  (e.g. `kill` of this process)
    previous = signal.signal(signal.SIGTERM, forward)
    internal = locked = False
    failed = FailedJobs()
    progress = Progress()
    assert proc.stderr is not None  # stderr=PIPE
    try:
        for line in proc.stderr:
            internal = internal or "INTERNAL ERROR" in line
            locked = locked or LOCKED in line
            failed.read(line)
            shown = progress.shown(line)
            if shown is not None:
                sys.stderr.write(shown)
                sys.stderr.flush()
        returncode = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reached Snakemake too (same process group): let it clean up
        proc.wait()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if locked and returncode != 0:
        raise InputError(
            "another run of the pipeline started in this project at the same time (Snakemake's"
            " lock)",
            file=str(root),
            fix="wait for the other run to finish, then run `make report` again",
        )
    if returncode != 0 and failed.jobs:
        sys.stderr.write(failed.summary() + "\n")
    if returncode == 0 and not targets:
        from analysis.run_summary import write_run_summary

        print(write_run_summary(root), end="", flush=True)
    return exit_status(returncode, internal)


class Progress:
    """Snakemake's scheduler messages reduced to one line per finished job, "12 of 38 steps (32%)
    done: statistics" (its timestamp, "Finished jobid" and "Select/Execute jobs" lines and the
    start-up notes are dropped); every other line (the job table, errors) passes unchanged."""

    DROPPED = re.compile(
        r"^(Select jobs to execute\.\.\.|Execute \d+ jobs\.\.\."
        r"|\[\w{3} \w{3} +\d+ [\d:]+ \d{4}\]"
        r"|Assuming unrestricted shared filesystem usage\.|Building DAG of jobs\.\.\."
        r"|Using shell: .*|Provided cores: \d+|Rules claiming more threads will be scaled down\."
        r"|Conda environments: .*)$"
    )
    FINISHED = re.compile(r"^Finished jobid: \d+ \(Rule: (?P<rule>[^)]+)\)$")
    STEPS = re.compile(r"^\d+ of \d+ steps \(\d+%\) done$")

    def __init__(self):
        self._rule = ""

    def shown(self, line: str) -> str | None:
        """The text to show for one line of Snakemake's stderr (None: nothing)."""
        text = line.rstrip("\n")
        finished = self.FINISHED.match(text)
        if finished:
            self._rule = finished["rule"]
            return None
        if self.DROPPED.match(text):
            return None
        if self.STEPS.match(text) and self._rule:
            return f"{text}: {self._rule}\n"
        return line


class FailedJobs:
    """The failed jobs named in Snakemake's messages ("Error in rule R:" and its indented
    wildcards/log lines), for a closing line that says which job stopped the run and where its
    message is."""

    def __init__(self):
        self.jobs: list[dict] = []
        self._in_block = False

    def read(self, line: str) -> None:
        if line.startswith("Error in rule "):
            self.jobs.append({"rule": line[len("Error in rule ") :].strip().rstrip(":")})
            self._in_block = True
        elif self._in_block and line.startswith("    ") and ": " in line:
            key, value = line.strip().split(": ", 1)
            if key in ("wildcards", "log"):
                self.jobs[-1].setdefault(key, value.split(" (check log")[0])
        elif not line.startswith(" "):
            self._in_block = False

    def summary(self) -> str:
        parts = [
            f"rule {j['rule']}"
            + (f" ({j['wildcards']})" if j.get("wildcards") else "")
            + (f", log {j['log']}" if j.get("log") else "")
            for j in self.jobs
        ]
        return (
            f"the run stopped: {len(self.jobs)} job(s) failed: "
            + "; ".join(parts)
            + " (the message is above)"
        )
