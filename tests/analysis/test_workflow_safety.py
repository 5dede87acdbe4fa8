"""The workflow reruns exactly the jobs a change affects, hands no config text to a shell, writes
files under the user's umask, and recovers by itself from a killed run (src/analysis/workflow.py,
src/analysis/runner.py).

Fast unit tests first; then one pipeline run of one country (rwanda: it has crosstabs and charts) in
a copy of the project, after which each test changes one thing, asks Snakemake which jobs it would
run (dry run), and puts the file back with its old timestamps.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from analysis import workflow
from analysis.errors import InputError
from tests.conftest import ROOT, copy_project

BIN = str(Path(sys.executable).parent)


# --- config slices (pure functions, on the shipped configuration) ---------------------------------
def _jobs(project):
    """Every job of the shipped workflow as (job, where)."""
    out = [(job, {}) for job in workflow.WHOLE_PROJECT_JOBS]
    for c, cfg in project.countries.items():
        out += [("clean", {"country": c, "dataset": d}) for d in cfg.datasets]
        out += [
            ("statistics", {"country": c}),
            ("power", {"country": c}),
            ("chart_shifts", {"country": c}),
            ("display_estimates", {"country": c}),
            ("display_shifts", {"country": c}),
            ("dictionary", {"country": c}),
            ("workbook", {"country": c}),
        ]
        for t, spec in cfg.tables.items():
            out += [
                ("crosstab", {"country": c, "table": t}),
                ("display_crosstab", {"country": c, "table": t}),
            ]
            out += [("chart_table", {"country": c, "table": t})] if spec.chart else []
    return out


def _changed_jobs(project, change) -> set[str]:
    """Names of the jobs (job:country[:dataset|table]) whose config digest changes when `change`
    edits the configuration as written: `change(p)` edits a copy of `project.documents`
    (p["config"], p["countries"][c], p["indicators"]: the YAML the digests are cut from), as a user
    edits the YAML files."""
    documents = copy.deepcopy(project.documents)
    change(documents)
    edited = project.model_copy(update={"documents": documents})
    return {
        ":".join([job, *where.values()])
        for job, where in _jobs(project)
        if workflow.config_digest(project, job, **where)
        != workflow.config_digest(edited, job, **where)
    }


def _per_country(jobs, country):
    return {j for j in jobs if f":{country}" in j or ":" not in j}


WHOLE = {"audit", "report", "manifest"}


def test_disclosure_changes_only_the_crosstabs(project):
    changed = _changed_jobs(
        project, lambda p: p["config"].update(disclosure={"mode": "public", "k": 5})
    )
    tables = {f"crosstab:{c}:{t}" for c, cfg in project.countries.items() for t in cfg.tables}
    assert tables and changed == tables | WHOLE


def test_alpha_changes_statistics_and_what_prints_the_level(project):
    changed = _changed_jobs(project, lambda p: p["config"].update(alpha=0.1))
    assert changed == WHOLE | {
        f"{job}:{c}"
        for c in project.countries
        for job in ("statistics", "power", "chart_shifts", "display_shifts")
    }


@pytest.mark.parametrize("key", ["power", "target_change_pp", "target_change_sd"])
def test_power_settings_change_only_the_power_tables(project, key):
    changed = _changed_jobs(project, lambda p: p["config"].update({key: 0.5}))
    assert changed == WHOLE | {f"power:{c}" for c in project.countries}
    changed = _changed_jobs(project, lambda p: p["countries"]["rwanda"].update(settings={key: 0.5}))
    assert "power:rwanda" in changed and not {j for j in changed if "tajikistan" in j}


def test_indicator_label_changes_charts_and_display_tables_of_its_countries(project):
    ind = next(i for i in project.indicators if i.id == "support_use_of_arms")
    changed = _changed_jobs(
        project,
        lambda p: next(i for i in p["indicators"] if i["id"] == ind.id).update(
            label="Arms: 'yes' $x$ <b>"
        ),
    )
    assert changed == WHOLE | {
        f"{job}:{c}"
        for c in ind.countries
        for job in ("chart_shifts", "display_estimates", "display_shifts", "dictionary")
    }


def test_indicator_definition_changes_cleaning_and_statistics_of_that_country_only(project):
    def change(p):
        ind = next(
            i
            for i in p["indicators"]
            if "rwanda" in i["countries"] and "positive" in i["countries"]["rwanda"]
        )
        ind["countries"]["rwanda"]["positive"] = ind["countries"]["rwanda"]["positive"][:1] + [
            "another"
        ]

    assert _changed_jobs(project, change) == WHOLE | {
        "clean:rwanda:respondents",
        "statistics:rwanda",
        "dictionary:rwanda",
    }


def test_dataset_description_changes_only_the_charts_of_its_data(project):
    changed = _changed_jobs(
        project,
        lambda p: p["countries"]["tajikistan"]["datasets"]["participants"].update(
            description="women's register"
        ),
    )
    assert changed == WHOLE | {"chart_table:tajikistan:figure3_participants"}


def test_codebook_change_reruns_the_cleaning_of_that_dataset_only(project):
    changed = _changed_jobs(
        project,
        lambda p: p["countries"]["tajikistan"]["datasets"]["participants"].update(
            record_id="something_else"
        ),
    )
    assert changed == WHOLE | {"clean:tajikistan:participants"}


def test_table_title_changes_its_display_table_only(project):
    changed = _changed_jobs(
        project,
        lambda p: p["countries"]["rwanda"]["tables"]["figure1_sex_by_age"].update(
            title="Figure 1 | *new* <title>"
        ),
    )
    assert changed == WHOLE | {"display_crosstab:rwanda:figure1_sex_by_age", "workbook:rwanda"}


def test_table_dimension_reruns_the_crosstab_and_the_cleaning_that_checks_it(project):
    """The cleaning checks the variables and filter values a dataset's tables use (bands, free
    text), so a table's rows rerun its dataset's cleaning as well as the crosstab."""
    changed = _changed_jobs(
        project,
        lambda p: p["countries"]["rwanda"]["tables"]["figure1_sex_by_age"]["rows"].update(
            variable="age_band"
        ),
    )
    assert changed == WHOLE | {"crosstab:rwanda:figure1_sex_by_age", "clean:rwanda:respondents"}


def test_estimate_groups_rerun_the_cleaning_the_statistics_and_the_shift_charts(project):
    """The shift charts include the dumbbell by each grouping (and the min_group_n its note
    states)."""
    changed = _changed_jobs(
        project, lambda p: p["countries"]["example_country"].update(estimate_groups=["sex"])
    )
    assert changed == WHOLE | {
        "clean:example_country:respondents",
        "statistics:example_country",
        "chart_shifts:example_country",
    }
    changed = _changed_jobs(project, lambda p: p["config"].update(min_group_n=20))
    assert {job for job in changed if not job.startswith(("statistics:", "chart_shifts:"))} == WHOLE


def test_unclassified_key_reaches_every_job(project):
    """A key the READERS tables do not name reruns everything (too much, never too little)."""
    changed = _changed_jobs(project, lambda p: p["config"].update(some_future_option=1))
    assert changed == {":".join([job, *where.values()]) for job, where in _jobs(project)}
    changed = _changed_jobs(
        project, lambda p: p["countries"]["rwanda"]["datasets"]["respondents"].update(new_key=1)
    )
    assert {"clean:rwanda:respondents", "statistics:rwanda", "chart_shifts:rwanda"} <= changed
    assert "clean:tajikistan:respondents" not in changed


def _schema_keys(node, path=()):
    """(path, property names) of every object in a JSON schema."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, set(node["properties"])
        for k, v in node.items():
            yield from _schema_keys(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _schema_keys(v, path + (i,))


def _schema(name):
    return json.loads(
        (ROOT / "config" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    )


def test_every_schema_key_is_classified():
    """Adding a key to a schema without saying which jobs read it fails here (it would rerun every
    job)."""
    country = _schema("country")
    dataset = country["properties"]["datasets"]["additionalProperties"]
    table = country["properties"]["tables"]["additionalProperties"]
    indicator = _schema("indicators")["properties"]["indicators"]["items"]
    for name, props, readers in [
        ("config.yaml", set(_schema("config")["properties"]), workflow.PROJECT_READERS),
        ("a country config", set(country["properties"]), workflow.COUNTRY_READERS),
        ("a dataset", set(dataset["properties"]), workflow.DATASET_READERS),
        ("a table", set(table["properties"]), workflow.TABLE_READERS),
        ("an indicator", set(indicator["properties"]), workflow.INDICATOR_READERS),
    ]:
        assert props <= set(readers), (
            f"keys of {name} not classified in analysis/workflow.py: {props - set(readers)}"
        )


def test_canonical_json_ignores_key_order_and_keeps_types_apart():
    assert workflow.digest({"a": 1, "b": [1, {"c": 2, "d": 3}]}) == workflow.digest(
        {"b": [1, {"d": 3, "c": 2}], "a": 1}
    )
    assert workflow.digest({1: "x"}) != workflow.digest({"1": "x"})
    assert workflow.digest({"a": 1}) != workflow.digest({"a": 1.5})
    import datetime

    assert workflow.canonical_json({"d": datetime.date(2023, 1, 2)}) == '{"d":"2023-01-02"}'


def test_unknown_job_is_refused(project):
    with pytest.raises(ValueError, match="unknown job"):
        workflow.config_slice(project, "cleaning", country="rwanda")


# --- raw file hashes ------------------------------------------------------------------------------
def test_raw_hashes_are_cached_by_stat_and_catch_an_older_replacement(tmp_path, monkeypatch):
    (tmp_path / "raw").mkdir()
    f = tmp_path / "raw" / "wave.sav"
    f.write_bytes(b"first version")
    hashed = []
    real = workflow._sha256_file
    monkeypatch.setattr(workflow, "_sha256_file", lambda p: hashed.append(p) or real(p))
    monkeypatch.setattr(workflow, "_memory", {})
    first = workflow.raw_digest(tmp_path, ["raw/wave.sav"])
    assert len(hashed) == 1
    monkeypatch.setattr(workflow, "_memory", {})  # a new process: the cache is read from disk
    assert workflow.raw_digest(tmp_path, ["raw/wave.sav"]) == first and len(hashed) == 1
    assert (tmp_path / workflow.HASH_CACHE).is_file()
    old = f.stat().st_mtime_ns - 10**12  # replaced by a same-size file dated ~17 minutes earlier
    f.write_bytes(b"other version")
    os.utime(f, ns=(old, old))
    assert workflow.raw_digest(tmp_path, ["raw/wave.sav"]) != first and len(hashed) == 2
    assert not list((tmp_path / workflow.HASH_CACHE).parent.glob("*.tmp"))


def test_damaged_hash_cache_is_rebuilt(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / workflow.HASH_CACHE).parent.mkdir(parents=True)
    (tmp_path / workflow.HASH_CACHE).write_text('{"trunc')
    monkeypatch.setattr(workflow, "_memory", {})
    import hashlib

    assert workflow.file_hashes(tmp_path, ["a.csv"]) == {
        "a.csv": hashlib.sha256(b"x\n1\n").hexdigest()
    }


# --- the run command: lock, temporaries, exit status ----------------------------------------------
def test_argv_classification():
    from analysis.runner import is_pipeline_job, is_snakemake

    assert is_snakemake(["/x/.venv/bin/python", "/x/.venv/bin/snakemake", "--cores", "2"])
    assert is_snakemake(["python3", "-m", "snakemake", "-n"]) and is_snakemake(["snakemake"])
    assert not is_snakemake(["python", "-m", "analysis", "run"]) and not is_snakemake(
        ["vim", "Snakefile"]
    )
    assert is_pipeline_job(["python", "-m", "analysis", "clean", "--country", "x"])
    assert is_pipeline_job(["python", "-m", "figures.tables", "--country", "x"])
    assert not is_pipeline_job(["python", "-m", "analysis", "run", "--cores", "2"])
    assert not is_pipeline_job(["python", "-m", "analysis", "--root", ".", "run"])
    assert not is_pipeline_job(["python", "script.py", "-m", "analysis"])


def test_exit_status_contract():
    from analysis.runner import exit_status

    assert (
        exit_status(0, False),
        exit_status(1, False),
        exit_status(1, True),
        exit_status(2, False),
    ) == (0, 2, 3, 2)


def test_stale_lock_and_orphans_are_found_and_removed(tmp_path):
    from analysis.runner import clear_stale_lock, orphaned_temporaries, remove_orphaned_temporaries

    (tmp_path / ".snakemake/locks").mkdir(parents=True)
    (tmp_path / ".snakemake/locks/0.output.lock").write_text("reports/report.html\n")
    (tmp_path / "data/processed/x/logs").mkdir(parents=True)
    orphans = [
        tmp_path / "data/processed/x/.respondents.parquet.k2j3.tmp",
        tmp_path / "reports/.report.html.a1.tmp",
    ]
    (tmp_path / "reports").mkdir()
    keep = [tmp_path / "data/processed/x/respondents.parquet", tmp_path / "reports/notes.tmp"]
    for p in orphans + keep:
        p.write_text("x")
    assert orphaned_temporaries(tmp_path) == sorted(orphans)
    assert [p.name for p in clear_stale_lock(tmp_path)] == ["0.output.lock"]
    assert remove_orphaned_temporaries(tmp_path) == sorted(orphans)
    assert not any(p.exists() for p in orphans) and all(p.exists() for p in keep)
    assert not list((tmp_path / ".snakemake/locks").iterdir())


def test_live_snakemake_in_the_project_is_detected_and_refused(tmp_path):
    from analysis.runner import live_processes, refuse_concurrent_run

    fake = tmp_path / "bin" / "snakemake"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    fake.chmod(0o755)
    (tmp_path / "project").mkdir()
    proc = subprocess.Popen([str(fake), "--cores", "2"], cwd=tmp_path / "project")
    try:
        deadline = time.time() + 10
        while not live_processes(tmp_path / "project") and time.time() < deadline:
            time.sleep(0.05)
        assert [pid for pid, _ in live_processes(tmp_path / "project")] == [proc.pid]
        assert live_processes(tmp_path) == []  # another directory: not this project's run
        with pytest.raises(InputError, match="another run of the pipeline is in progress") as err:
            refuse_concurrent_run(tmp_path / "project")
        assert f"process {proc.pid}" in str(err.value) and "fix:" in err.value.render()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_outputs_honour_the_umask(tmp_path, umask, mode):
    code = (
        "import os,sys;from pathlib import Path;from analysis.cli import"
        f" atomic_outputs;os.umask({umask});"
        "outs=[Path(sys.argv[1])/'a.csv',Path(sys.argv[1])/'sub'/'b.parquet'];"
        "cm=atomic_outputs(outs);tmps=cm.__enter__();[t.write_text('x')"
        " for t in tmps];cm.__exit__(None,None,None)"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.rglob("*") if p.is_file()} == {
        "a.csv": mode,
        "b.parquet": mode,
    }


# --- the manifest ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ['{"inputs": {"config/config.yaml": "ab', "not json at all", "[1, 2]", '{"inputs": 3}']
)
def test_damaged_manifest_is_an_input_error(tmp_path, text):
    from analysis.manifest import verify

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/manifest.json").write_text(text)
    with pytest.raises(InputError) as err:
        verify(tmp_path, tmp_path / "reports/manifest.json")
    assert "reports/manifest.json" in err.value.render() and "make report" in err.value.fix


# --- the chart's source line comes from config, not from the command line -------------------------
def test_chart_source_line_from_config(project):
    from figures.__main__ import data_description

    text = data_description(project, "rwanda", "respondents")
    assert text.startswith(
        "synthetic reconstruction of the Rwanda participant survey"
    ) and text.endswith("(not real responses)")
    rwanda = project.countries["rwanda"]
    undescribed = rwanda.datasets["respondents"].model_copy(update={"description": None})
    rwanda = rwanda.model_copy(
        update={
            "synthetic_data": False,
            "label": "Côte d'Ivoire",
            "datasets": {**rwanda.datasets, "respondents": undescribed},
        }
    )
    edited = project.model_copy(update={"countries": {**project.countries, "rwanda": rwanda}})
    assert data_description(edited, "rwanda", "respondents") == "Côte d'Ivoire respondents"


def _shell_commands(text: str) -> list[str]:
    """The shell command strings of a .smk file (the string lines after each `shell:`)."""
    commands = []
    for block in re.findall(r"\n    shell:\n((?:        .*\n?)+)", text):
        commands.append("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)))
    return commands


def test_shell_commands_quote_every_value():
    """Every placeholder in a rule's shell command is shell-quoted (`:q`), except the fixed
    interpreter prefix (whose path is quoted where it is built) and the thread count (an
    integer)."""
    texts = [f.read_text(encoding="utf-8") for f in sorted((ROOT / "rules").glob("*.smk"))]
    commands = [c for text in texts for c in _shell_commands(text)]
    assert len(commands) == sum(text.count("shell:") for text in texts) >= 10
    assert not [
        t for t in texts if "run:" in t or "shell(" in t
    ]  # no command built in Python code either
    for command in commands:
        fields = re.findall(r"(?<!\{)\{([^{}]+)\}(?!\})", command)
        loose = [f for f in fields if not f.endswith(":q") and f not in ("params.py", "threads")]
        assert not loose, f"unquoted {loose} in: {command}"
    assert not [
        c for c in commands if re.search(r"\{params\.(data|chart)\b", c)
    ]  # the config text they carried


# --- the pipeline itself: one country in a copy of the project ------------------------------------
def _env(root: Path) -> dict:
    env = {
        **os.environ,
        "PATH": BIN + os.pathsep + os.environ["PATH"],
        "PYTHONPATH": str(root / "src"),
    }
    env.pop("PEACE_DEBUG", None)
    return env


def run_command(
    root: Path, *args: str, umask: int | None = None, **kwargs
) -> subprocess.CompletedProcess:
    """`python -m analysis run ARGS` in root (optionally under another umask)."""
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run(
        [sys.executable, "-m", "analysis", "run", *args],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=900,
        preexec_fn=preexec,
        **kwargs,
    )


def planned(root: Path) -> dict[str, set[str]]:
    """{rule: {wildcards}} of the jobs a dry run would execute (wildcards '' for rules without
    any)."""
    out = subprocess.run(
        [f"{BIN}/snakemake", "-n"],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    jobs: dict[str, set[str]] = {}
    rule = None
    for line in (out.stdout + out.stderr).splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line)
        if m:
            rule = m.group(1)
            jobs.setdefault(rule, set()).add("")
            continue
        m = re.match(r"^\s+wildcards: (.*)$", line)
        if m and rule:
            jobs[rule].discard("")
            jobs[rule].add(m.group(1))
    jobs.pop("all", None)
    return jobs


class changed_file:
    """Context manager: apply `change(path)` to a file, then restore its bytes AND timestamps."""

    def __init__(self, path: Path, change):
        self.path, self.change = path, change

    def __enter__(self):
        st = self.path.stat()
        self.saved = (self.path.read_bytes(), st.st_atime_ns, st.st_mtime_ns)
        self.change(self.path)
        return self.path

    def __exit__(self, *exc):
        data, atime, mtime = self.saved
        self.path.write_bytes(data)
        os.utime(self.path, ns=(atime, mtime))


def edit_yaml(change):
    def run(path):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return run


@pytest.fixture(scope="module")
def rwanda(tmp_path_factory):
    """A copy of the project reduced to rwanda (no claims registry: it spans countries), run once
    under umask 027."""
    root = copy_project(tmp_path_factory.mktemp("workflow-safety"))
    cfg_path = root / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["countries"] = ["rwanda"]
    cfg.pop("claims", None)
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    proc = run_command(root, "--cores", "2", umask=0o027)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root


CROSSTABS = {
    "country=rwanda, table=figure1_sex_by_age",
    "country=rwanda, table=figure2_social_group_by_sex",
}


def _wild(jobs, rule):
    return jobs.get(rule, set())


def test_pipeline_outputs_honour_the_umask(rwanda):
    modes = {
        str(p.relative_to(rwanda)): oct(p.stat().st_mode & 0o777)
        for d in ("data/processed", "reports")
        for p in (rwanda / d).rglob("*")
        if p.is_file()
    }
    assert len(modes) > 30 and set(modes.values()) == {"0o640"}, {
        k: v for k, v in modes.items() if v != "0o640"
    }


def test_nothing_to_do_after_a_run(rwanda):
    assert planned(rwanda) == {}


def test_disclosure_mode_reruns_crosstabs_charts_display_tables_and_report(rwanda):
    with changed_file(
        rwanda / "config/config.yaml",
        edit_yaml(lambda d: d.update(disclosure={"mode": "public", "k": 5})),
    ):
        jobs = planned(rwanda)
    assert set(jobs) == {
        "crosstab",
        "chart_table",
        "display_table",
        "workbook",  # its sheets are the crosstabs
        "html_report",
        "manifest",
    }, jobs
    assert jobs["crosstab"] == CROSSTABS and jobs["chart_table"] == CROSSTABS
    assert jobs["display_table"] == {
        "country=rwanda, name=figure1_sex_by_age",
        "country=rwanda, name=figure2_social_group_by_sex",
    }


def test_alpha_reruns_statistics_and_its_dependants_not_the_cleaning(rwanda):
    with changed_file(rwanda / "config/config.yaml", edit_yaml(lambda d: d.update(alpha=0.1))):
        jobs = planned(rwanda)
    assert set(jobs) == {
        "statistics",
        "power",
        "chart_shifts",
        "display_table",
        "workbook",
        "html_report",
        "manifest",
    }, jobs
    assert jobs["display_table"] == {
        "country=rwanda, name=estimates_table",
        "country=rwanda, name=shifts_table",
    }
    # every shift chart page: rwanda's dumbbell (18 indicators: 2 pages) and forest (3: 1 page),
    # and its dumbbells by age band and social group (3 pages of 6 each)
    assert jobs["chart_shifts"] == {
        "country=rwanda, chart=dumbbell",
        "country=rwanda, chart=dumbbell_p2",
        "country=rwanda, chart=forest",
    } | {
        f"country=rwanda, chart=dumbbell_by_{grouping}{page}"
        for grouping in ("age_band", "social_group")
        for page in ("", "_p2", "_p3")
    }


def test_power_setting_reruns_the_power_table_not_the_statistics(rwanda):
    with changed_file(rwanda / "config/config.yaml", edit_yaml(lambda d: d.update(power=0.9))):
        jobs = planned(rwanda)
    # the report lists every statistics table among its inputs
    assert set(jobs) == {"power", "workbook", "html_report", "manifest"}, jobs
    assert jobs["power"] == {"country=rwanda"}


def test_indicator_label_reruns_shift_charts_display_tables_and_report_only(rwanda):
    def relabel(doc):
        next(i for i in doc["indicators"] if i["id"] == "support_use_of_arms")["label"] = (
            "Supports arms ('in some cases')"
        )

    with changed_file(rwanda / "config/indicators.yaml", edit_yaml(relabel)):
        jobs = planned(rwanda)
    # the dictionary defines each indicator by its label; the workbook holds the dictionary
    assert set(jobs) == {
        "chart_shifts",
        "display_table",
        "dictionary",
        "workbook",
        "html_report",
        "manifest",
    }, jobs
    assert jobs["display_table"] == {
        "country=rwanda, name=estimates_table",
        "country=rwanda, name=shifts_table",
    }


def test_description_reruns_the_charts_of_that_dataset_only(rwanda):
    def describe(doc):
        doc["datasets"]["respondents"]["description"] = "women's survey"

    with changed_file(rwanda / "config/countries/rwanda.yaml", edit_yaml(describe)):
        jobs = planned(rwanda)
    assert set(jobs) == {"chart_table", "chart_shifts", "html_report", "manifest"}, jobs


def test_comment_in_a_config_file_reruns_only_the_manifest(rwanda):
    with changed_file(
        rwanda / "config/countries/rwanda.yaml",
        lambda p: p.write_text(p.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8"),
    ):
        jobs = planned(rwanda)
    assert set(jobs) == {"manifest"}, jobs


def test_report_template_change_reruns_the_report(rwanda):
    """Templates are code: a changed report template reruns the report (and, as any change to
    src/figures does, the charts and display tables), not the cleaning or the statistics."""
    with changed_file(
        rwanda / "src/figures/templates/report_parts.html.j2",
        lambda p: p.write_text(p.read_text(encoding="utf-8") + "\n", encoding="utf-8"),
    ):
        jobs = planned(rwanda)
    assert "html_report" in jobs and not {"clean_dataset", "statistics", "crosstab"} & set(jobs), (
        jobs
    )


def test_raw_file_replaced_by_an_older_one_reruns_its_cleaning(rwanda):
    raw = rwanda / "data/raw/rwanda/rwanda_baseline_2022_surveycto.sav"

    def replace_with_older(path):
        data = bytearray(path.read_bytes())
        data[-10] ^= 0xFF  # other content, same size
        old = path.stat().st_mtime_ns - 86400 * 10**9  # and a day older (cp -p, unzip)
        path.write_bytes(bytes(data))
        os.utime(path, ns=(old, old))

    with changed_file(raw, replace_with_older):
        jobs = planned(rwanda)
    assert _wild(jobs, "clean_dataset") == {"country=rwanda, dataset=respondents"}
    assert {"statistics", "crosstab", "manifest"} <= set(jobs)


def _wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_concurrent_run_is_refused_and_a_killed_run_recovers(rwanda):
    """Start a run, try a second one (refused), SIGKILL the first one's whole process group in the
    middle of a job, leave an orphaned temporary file as well: the next run clears the lock and the
    file and finishes the work.
    """
    from analysis.runner import live_processes

    cfg = rwanda / "config/config.yaml"
    original = cfg.read_text(encoding="utf-8")
    edit_yaml(lambda d: d.update(alpha=0.1))(
        cfg
    )  # work for the first run: statistics and its dependants
    first = subprocess.Popen(
        [sys.executable, "-m", "analysis", "run", "--cores", "1"],
        cwd=rwanda,
        env=_env(rwanda),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: [p for p, cmd in live_processes(rwanda) if " statistics " in f"{cmd} "])
        second = run_command(rwanda, "--cores", "1")
        assert second.returncode == 2 and second.stderr.count("ERROR:") == 1, second.stderr
        assert (
            "another run of the pipeline is in progress" in second.stderr
            and "fix:" in second.stderr
        )
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait()
    _wait_for(lambda: not live_processes(rwanda), timeout=30)
    assert list((rwanda / ".snakemake/locks").glob("*.lock")), (
        "the killed run left no lock (nothing to recover from)"
    )
    orphan = rwanda / "reports/tables/rwanda/.shifts.csv.x7k2m9.tmp"
    orphan.write_text("half a table")
    refused = subprocess.run(
        [f"{BIN}/snakemake", "--cores", "1"],
        cwd=rwanda,
        env=_env(rwanda),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        refused.returncode != 0 and "cannot be locked" in refused.stderr
    )  # plain Snakemake would stop here
    recovered = run_command(rwanda, "--cores", "2")
    assert recovered.returncode == 0, recovered.stderr[-3000:]
    assert "recovering from an interrupted run" in recovered.stdout
    assert not orphan.exists() and not list((rwanda / ".snakemake/locks").glob("*"))
    assert not [p for d in ("data/processed", "reports") for p in (rwanda / d).rglob("*.tmp")]
    assert planned(rwanda) == {}
    cfg.write_text(original, encoding="utf-8")
    assert run_command(rwanda, "--cores", "2").returncode == 0
