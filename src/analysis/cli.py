"""Command line: `python -m analysis <command>`; each command is a thin call into the library.

Commands
  validate                               check every config file against its schema
  new-country NAME FILE... [--xlsform F [--label-language L]]
                                         draft config/countries/NAME.yaml from the exports' metadata
  manifest [--out reports/manifest.json] SHA-256 of every input and output, package versions,
                                         git commit
  verify [--manifest reports/manifest.json]  re-check every file against the manifest
  clean --country C --dataset D --out-dir DIR [--workers N]
                                         clean one dataset -> DIR/D.parquet and DIR/logs/D.*.csv
  combine-logs --dir DIR --datasets D...
                                         DIR/logs/<dataset>.<kind>.csv -> DIR/<kind>.csv for each
                                         kind of log
  crosstab --country C --table T --data PARQUET --out CSV
                                         one of the country's configured tables (Figures 1-3)
  statistics --country C --data PARQUET [--estimates CSV] [--shifts CSV] [--trends CSV]
                                         indicator x wave x group estimates with CIs and design
                                         effects, shifts between waves tested as the
                                         country's design requires; trends over 3+ waves
  power --country C --estimates CSV --mean-estimates CSV --out CSV
                                         per indicator x group at its last wave: the minimum
                                         detectable change and the respondents per wave needed
                                         for the target change (planning the next round)
  run [TARGET...] [--cores N]            the whole pipeline (Snakemake; `make report`), recovering
                                         by itself from an interrupted run (stale lock, incomplete
                                         outputs, temporary files)

Bad input prints one message (file, column, row, fix) and exits with status 2, leaving no partial
outputs; a bug prints one INTERNAL ERROR line and exits with status 3. Set PEACE_DEBUG=1 (or pass
--debug) to see the Python traceback as well. Output files get the usual permissions (0666 minus the
umask), like any file the user creates.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from analysis.errors import InputError


def _umask_without_changing_it() -> int | None:
    """The process umask from /proc/self/status (Linux >= 4.7): reading it there changes nothing
    (os.umask can only be read by setting it, which races with threads creating files)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return None


def _umask_at_import() -> int:
    mask = os.umask(
        0o022
    )  # set and restored once, at import, before any thread of ours writes a file
    os.umask(mask)
    return mask


_IMPORT_UMASK: int = _umask_without_changing_it() or _umask_at_import()


def output_mode() -> int:
    """Permission bits of a new output file: 0o666 minus the umask (0644 under umask 022, 0640 under
    027)."""
    mask = _umask_without_changing_it()
    return 0o666 & ~(_IMPORT_UMASK if mask is None else mask)


@contextmanager
def atomic_outputs(paths: list[Path]):
    """Yield temporary paths; move them into place only if the block succeeds (no partial outputs).

    The temporaries are private while written (mkstemp: 0600); the final files get `output_mode()`,
    as if created with open(), so a research group reads them under its umask."""
    temps: list[Path] = []
    try:
        for p in paths:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
            os.close(fd)
            temps.append(Path(name))
        yield temps
        mode = output_mode()
        for tmp, final in zip(temps, paths):
            os.chmod(tmp, mode)
            os.replace(tmp, final)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def cmd_validate(args) -> None:
    from analysis.config import load_project

    project = load_project(args.root)
    print(f"config OK: {len(project.countries)} countries, {len(project.indicators)} indicators")


def cmd_clean(args) -> None:
    from analysis.cleaning.clean import clean_dataset, write_clean_outputs
    from analysis.config import load_project

    project = load_project(args.root)
    if args.country not in project.countries:
        raise InputError(
            f"country '{args.country}' is not listed in config/config.yaml",
            file="config/config.yaml",
            fix=f"add it under `countries:` (listed: {', '.join(project.countries)})",
        )
    datasets = project.countries[args.country].datasets
    if args.dataset not in datasets:
        raise InputError(
            f"dataset '{args.dataset}' is not defined for {args.country}",
            file=f"config/countries/{args.country}.yaml",
            fix=f"use one of: {', '.join(datasets)}",
        )
    result = clean_dataset(project, args.country, args.dataset, args.workers)
    out = Path(args.out_dir)
    finals = [out / f"{args.dataset}.parquet"] + [
        out / "logs" / f"{args.dataset}.{k}.csv"
        for k in ("exclusions", "cleaning_log", "row_accounting")
    ]
    with atomic_outputs(finals) as tmp:
        write_clean_outputs(result, *tmp)
    print(accounting_message(args.country, args.dataset, result.accounting), file=sys.stderr)


def accounting_message(country: str, dataset: str, accounting) -> str:
    """The clean job's log line (stderr, logs/<country>/clean_<dataset>.log): rows read, kept and
    excluded, in total and per source file (counts of rows, from the row accounting)."""
    totals = accounting[["raw_rows", "kept", "excluded"]].sum()
    files = "; ".join(
        f"{f} ({w}): {r} read, {k} kept, {e} excluded"
        for f, w, r, k, e in accounting[
            ["source_file", "wave", "raw_rows", "kept", "excluded"]
        ].itertuples(index=False)
    )
    return (
        f"{country}/{dataset}: {int(totals['raw_rows'])} rows read, {int(totals['kept'])} kept,"
        f" {int(totals['excluded'])} excluded (data/processed/{country}/exclusions.csv) -- {files}"
    )


def cmd_combine_logs(args) -> None:
    """DIR/logs/<dataset>.<kind>.csv of every dataset -> DIR/<kind>.csv, for each kind of log."""
    from analysis.csv_files import concatenate_csv

    kinds = ("exclusions", "cleaning_log", "row_accounting")
    finals = [Path(args.dir) / f"{kind}.csv" for kind in kinds]
    with atomic_outputs(finals) as temps:
        for kind, tmp in zip(kinds, temps):
            concatenate_csv(
                [Path(args.dir) / "logs" / f"{d}.{kind}.csv" for d in args.datasets], tmp
            )


def cmd_crosstab(args) -> None:
    from analysis.config import load_project
    from analysis.tables.crosstab import figure_table

    project = load_project(args.root)
    table_cfg = project.countries[args.country].tables.get(args.table)
    if table_cfg is None:
        raise InputError(
            f"table '{args.table}' is not defined for {args.country}",
            file=f"config/countries/{args.country}.yaml",
            fix="define it under `tables:`",
        )
    import pandas as pd

    table = figure_table(pd.read_parquet(args.data), table_cfg)
    disclosure = project.settings.disclosure
    if disclosure.mode == "public":
        from analysis.tables.suppression import suppress_crosstab

        table = suppress_crosstab(table, disclosure.k).assign(suppression_k=disclosure.k)
    _write_table(table, args.out)


def _write_table(table, out: str) -> None:
    with atomic_outputs([Path(out)]) as (tmp,):
        _write_csv_table(table, tmp)


def _write_csv_table(table, path: Path) -> None:
    """A results table as CSV: floats to 10 significant digits, text neutralised against spreadsheet
    formulas (`csv_files`; read it back with `csv_files.read_output_csv`)."""
    from analysis.csv_files import write_csv

    write_csv(table, path, float_format="%.10g")


def _design_variables(design) -> list[str]:
    """The design's variables (cluster, weight, strata, fpc, panel key, panel weight, arm) it
    names."""
    named = (
        design.cluster,
        design.weight,
        design.strata,
        design.fpc,
        design.panel_key,
        design.panel_weight,
        design.arm,
    )
    return [v for v in named if v]


def _scale_items_read(project, country: str) -> list[str]:
    """The item variables of this country's scale indicators (their reliability reads them)."""
    from analysis.indicators import scales_measured

    return [item for _, how in scales_measured(project.indicators, country) for item in how.items]


def _country_inputs(args):
    """Project, country config, design and only the respondent columns the statistics need."""
    import pyarrow.parquet as pq

    from analysis.config import load_project
    from analysis.survey.domains import read_respondents
    from analysis.survey.estimates import indicator_ids

    project = load_project(args.root)
    country = project.countries[args.country]
    design = country.design
    available = set(pq.read_schema(args.data).names)
    ids = indicator_ids(project.indicators, args.country, available, measure=None)
    wanted = [
        "respondent_id",
        "wave",
        "sex",
        "age_band",  # compared between panel stayers and leavers (attrition)
        *country.estimate_groups,
        *country.standardise_by,
        *ids,
        *_design_variables(design),
        *_scale_items_read(project, args.country),
    ]
    columns = [c for c in dict.fromkeys(wanted) if c in available]
    return project, country, design, read_respondents(args.data, columns, ids)


def _share_tables(args, project, country, design, data, passes) -> dict:
    """The share indicators' estimates, shifts and panel attrition asked for (path -> table)."""
    from analysis.survey.attrition import attrition_table
    from analysis.survey.estimates import estimate_table
    from analysis.survey.shifts import shift_table

    settings = project.settings_for(args.country)
    tables = {}
    if args.estimates:
        tables[args.estimates] = estimate_table(
            data,
            project.indicators,
            args.country,
            design,
            country.estimate_groups,
            settings.min_group_n,
            settings.alpha,
            passes,
        )
    if args.shifts:
        tables[args.shifts] = shift_table(
            data,
            project.indicators,
            args.country,
            design,
            country.published_baselines,
            settings.alpha,
            _family(project, args.country),
            settings.min_group_n,
            passes,
        )
    if getattr(args, "attrition", None):
        tables[args.attrition] = attrition_table(
            data, project.indicators, args.country, design, country.estimate_groups, settings.alpha
        )
    return tables


def _mean_tables(args, project, country, design, data, passes) -> dict:
    """The mean indicators' (means, scales, counts) estimates and shifts asked for."""
    from analysis.survey.estimates import indicator_ids
    from analysis.survey.means import mean_estimate_table, mean_shift_table

    settings = project.settings_for(args.country)
    ids = indicator_ids(project.indicators, args.country, data, measure="mean")
    units = {i.id: i.countries[args.country].unit or "" for i in project.indicators if i.id in ids}
    tables = {}
    if getattr(args, "mean_estimates", None):
        tables[args.mean_estimates] = mean_estimate_table(
            data,
            ids,
            units,
            args.country,
            design,
            country.estimate_groups,
            settings.min_group_n,
            settings.alpha,
            passes,
        )
    if getattr(args, "mean_shifts", None):
        tables[args.mean_shifts] = mean_shift_table(
            data,
            ids,
            units,
            args.country,
            design,
            design.comparisons,
            settings.alpha,
            _family(project, args.country),
            settings.min_group_n,
            passes,
        )
    return tables


def _family(project, country: str):
    """The multiplicity family of `country`'s tests: its `multiplicity_family` setting and the
    indicators' roles (analysis.survey.multiplicity)."""
    from analysis.survey.multiplicity import family_of

    return family_of(project.settings_for(country).multiplicity_family, project.indicators, country)


def _scales(project, country: str, design, data):
    """Every scale indicator's reliability per wave (scales.csv; header only without scales)."""
    from analysis.indicators import scale_item_scores, scales_measured
    from analysis.survey.reliability import ScaleItems, scale_table

    scales = (  # one scale's item scores in memory at a time
        ScaleItems(ind_id, scale_item_scores(data, how), tuple(how.reverse or ()))
        for ind_id, how in scales_measured(project.indicators, country)
    )
    return scale_table(scales, data["wave"], design.waves, country)


def _trends(project, country: str, design, data):
    """The linear trends of `country`'s indicators over 3+ waves (header only otherwise): shares
    in percentage points and means in their unit per wave step."""
    from analysis.indicators import measure_of
    from analysis.survey.estimates import indicator_ids
    from analysis.survey.trends import trend_table

    ids = indicator_ids(project.indicators, country, data, measure=None)
    group_vars = ("sex",) if "sex" in data and data["sex"].dropna().nunique() > 1 else ()
    return trend_table(
        data,
        ids,
        country,
        design,
        project.settings_for(country).alpha,
        group_vars,
        measure_of(project.indicators, country),
    )


def _measured(project, country: str, data) -> tuple[list[str], dict, dict]:
    """The indicators `country` measures in `data` (report order), each one's unit ("" for a
    share) and measure ("share" or "mean")."""
    from analysis.indicators import measure_of
    from analysis.survey.estimates import indicator_ids

    ids = indicator_ids(project.indicators, country, data, measure=None)
    units = {i.id: i.countries[country].unit or "" for i in project.indicators if i.id in ids}
    return ids, units, measure_of(project.indicators, country)


def _did(project, country: str, design, data, source: str):
    """The difference in differences between the programme and comparison arms of `country`'s
    indicators (header only without `arm` in the design): shares in percentage points, means in
    their unit."""
    from analysis.survey.did import did_table

    ids, units, measures = _measured(project, country, data)
    return did_table(
        data,
        ids,
        country,
        design,
        project.settings_for(country).alpha,
        measures,
        units,
        source,
        _family(project, country),
    )


def _comparisons(project, country: str, design, data, source: str):
    """Every indicator's group comparisons at each wave (the country's `estimate_groups` and the
    design's arm): shares in percentage points, means in their unit."""
    from analysis.survey.comparisons import comparison_table

    settings = project.settings_for(country)
    ids, units, measures = _measured(project, country, data)
    return comparison_table(
        data,
        ids,
        country,
        design,
        project.countries[country].estimate_groups,
        settings.alpha,
        measures,
        units,
        settings.min_group_n,
        _family(project, country),
        source,
    )


def _adjusted(project, country: str, design, data):
    """The crude, standardised and model-adjusted change of `country`'s indicators over its
    `standardise_by` cells at its `standard_composition`: shares in percentage points, means in
    their unit."""
    from analysis.survey.adjusted import adjusted_table

    config = project.countries[country]
    ids, units, measures = _measured(project, country, data)
    return adjusted_table(
        data,
        ids,
        country,
        design,
        config.standardise_by,
        config.standard_composition,
        project.settings_for(country).alpha,
        measures,
        units,
    )


def _flag_crude_changes(tables: dict, args) -> None:
    """Copy adjusted.csv's flags onto the overall rows of the share and mean shifts being written
    (`composition_flag`, analysis.survey.adjusted.composition_flags), so that the charts and the
    report mark every flagged crude change."""
    from analysis.survey.adjusted import composition_flags

    for name in ("shifts", "mean_shifts"):
        path = getattr(args, name, None)
        if path and path in tables:
            tables[path] = composition_flags(tables[path], tables[args.adjusted])


def cmd_statistics(args) -> None:
    """Estimates, shifts, attrition, means, scales, trends, the difference in differences and the
    group comparisons of one country from one read of its respondent data (each may be skipped);
    the share and mean shifts share one Holm family."""
    from analysis.survey.domains import DesignPasses
    from analysis.survey.shifts import jointly_adjusted

    project, country, design, data = _country_inputs(args)
    passes = DesignPasses(data)
    tables = _share_tables(args, project, country, design, data, passes)
    tables |= _mean_tables(args, project, country, design, data, passes)
    if args.shifts and getattr(args, "mean_shifts", None):
        settings = project.settings_for(args.country)
        tables[args.shifts], tables[args.mean_shifts] = jointly_adjusted(
            tables[args.shifts],
            tables[args.mean_shifts],
            _family(project, args.country),
            settings.alpha,
        )
    if getattr(args, "scales", None):
        tables[args.scales] = _scales(project, args.country, design, data)
    if getattr(args, "trends", None):
        tables[args.trends] = _trends(project, args.country, design, data)
    if getattr(args, "did", None):
        tables[args.did] = _did(project, args.country, design, data, args.data)
    if getattr(args, "comparisons", None):
        tables[args.comparisons] = _comparisons(project, args.country, design, data, args.data)
    if getattr(args, "adjusted", None):
        tables[args.adjusted] = _adjusted(project, args.country, design, data)
        _flag_crude_changes(tables, args)
    with atomic_outputs([Path(p) for p in tables]) as temps:  # every table or none
        for tmp, table in zip(temps, tables.values()):
            _write_csv_table(table, tmp)


def cmd_power(args) -> None:
    """power.csv of one country from its estimates.csv and mean_estimates.csv (no respondent
    data), with the country's settings (alpha, power, target changes)."""
    from analysis.config import load_project
    from analysis.csv_files import read_output_csv
    from analysis.survey.power import power_table

    settings = load_project(args.root).settings_for(args.country)
    tables = []
    for path in (args.estimates, args.mean_estimates):
        try:
            tables.append(read_output_csv(Path(path)))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot read the table: {exc}",
                file=path,
                fix="build it first with `python -m analysis statistics` (or `make report`)",
            ) from exc
    estimates, mean_estimates = tables
    files = (args.estimates, args.mean_estimates)
    _write_table(power_table(estimates, mean_estimates, args.country, settings, files), args.out)


def cmd_new_country(args) -> None:
    from analysis.ingest.scaffold import draft_country_config

    if args.label_language and not args.xlsform:
        raise InputError(
            "--label-language needs --xlsform",
            fix="name the form's XLSForm with --xlsform, or drop --label-language",
        )
    out = args.root / "config" / "countries" / f"{args.name}.yaml"
    if out.exists() and not args.force:
        raise InputError(
            "a config for this country already exists",
            file=str(out.relative_to(args.root)),
            fix="edit it, choose another name, or pass --force to overwrite it",
        )
    try:
        text = draft_country_config(
            args.root, args.name, args.files, args.xlsform, args.label_language
        )
    except ValueError as exc:
        raise InputError(str(exc), fix="convert the export to SPSS, Stata, CSV or XLSX") from None
    with atomic_outputs([out]) as (tmp,):
        tmp.write_text(text, encoding="utf-8")
    todos = text.count('"TODO')
    print(
        f"wrote {out.relative_to(args.root)} with {todos} TODO decisions.\nNext: resolve every"
        f" TODO, then add `{args.name}` to `countries:` in config/config.yaml and run `make"
        " report`.\nCheck it any time with: python -m analysis validate"
    )


def cmd_dictionary(args) -> None:
    """reports/tables/<country>/dictionary.csv from the config and the processed data."""
    import pandas as pd

    from analysis.config import load_project
    from analysis.tables.dictionary import data_dictionary

    project = load_project(args.root)
    processed = Path(args.processed)
    data = {
        name: pd.read_parquet(processed / f"{name}.parquet")
        for name in project.countries[args.country].datasets
        if (processed / f"{name}.parquet").exists()
    }
    _write_table(data_dictionary(project, args.country, data), args.out)


def cmd_workbook(args) -> None:
    """reports/tables/<country>/<country>.xlsx: one sheet per CSV table and a README sheet."""
    from analysis.config import load_project
    from analysis.tables.workbook import read_tables, readme_frame, write_workbook

    country = load_project(args.root).countries[args.country]
    tables = read_tables([Path(p) for p in args.tables])
    titles = {name: table.title for name, table in country.tables.items() if table.title}
    readme = readme_frame(country.label, country.synthetic_data, list(tables), titles)
    with atomic_outputs([Path(args.out)]) as (tmp,):
        write_workbook(tables, tmp, readme)


def cmd_manifest(args) -> None:
    import json

    from analysis.config import load_project
    from analysis.manifest import build_manifest

    manifest = build_manifest(load_project(args.root))
    with atomic_outputs([Path(args.out)]) as (tmp,):
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def cmd_verify(args) -> None:
    from analysis.manifest import verify

    problems = verify(args.root, args.root / args.manifest)
    if problems:
        raise InputError(
            f"{len(problems)} file(s) differ from {args.manifest}:\n  - "
            + "\n  - ".join(problems[:20]),
            file=args.manifest,
            fix="see each line; after fixing, `make report` rebuilds and re-records the manifest",
        )
    print(f"verified: every input and output matches {args.manifest}")


def cmd_run(args) -> int:
    from analysis.runner import run_pipeline

    return run_pipeline(args.root, args.targets, args.cores, args.snakemake_args)


def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    """Add the per-dataset subcommands: validate, clean, combine-logs and crosstab."""
    sub.add_parser("validate").set_defaults(func=cmd_validate)
    p = sub.add_parser("clean")
    p.add_argument("--country", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes reading the dataset's source files (large files)",
    )
    p.set_defaults(func=cmd_clean)
    p = sub.add_parser("combine-logs")
    p.add_argument("--dir", required=True, help="a country's data/processed directory")
    p.add_argument("--datasets", nargs="+", required=True)
    p.set_defaults(func=cmd_combine_logs)
    p = sub.add_parser("crosstab")
    p.add_argument("--country", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_crosstab)
    p = sub.add_parser("dictionary", help="data dictionary of a country (CSV)")
    p.add_argument("--country", required=True)
    p.add_argument("--processed", required=True, help="the country's data/processed directory")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_dictionary)
    p = sub.add_parser("workbook", help="Excel workbook of a country's CSV tables")
    p.add_argument("--country", required=True)
    p.add_argument("--tables", nargs="+", required=True, help="CSV tables, one sheet each")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_workbook)


def _add_manifest_commands(sub: argparse._SubParsersAction) -> None:
    """Add the manifest and verify subcommands (record and check reports/manifest.json)."""
    p = sub.add_parser("manifest")
    p.add_argument("--out", default="reports/manifest.json")
    p.set_defaults(func=cmd_manifest)
    p = sub.add_parser("verify")
    p.add_argument("--manifest", default="reports/manifest.json")
    p.set_defaults(func=cmd_verify)


def _add_new_country_command(sub: argparse._SubParsersAction) -> None:
    """Add the new-country subcommand (draft a country config from raw exports)."""
    p = sub.add_parser("new-country", help="draft config/countries/<name>.yaml from raw exports")
    p.add_argument("name")
    p.add_argument(
        "files",
        nargs="+",
        help="raw exports, paths from the project root (e.g. data/raw/x/baseline.dta)",
    )
    p.add_argument("--xlsform", default=None, help="the form's XLSForm (KoboToolbox/ODK exports)")
    p.add_argument(
        "--label-language",
        default=None,
        help='the XLSForm labels to read, e.g. "English (en)" (a form in several languages)',
    )
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_new_country)


def _add_statistics_command(sub: argparse._SubParsersAction) -> None:
    """Add the statistics subcommand (estimates, shifts and attrition tables)."""
    p = sub.add_parser("statistics")
    p.add_argument("--country", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--estimates", help="write the estimates table here")
    p.add_argument("--shifts", help="write the shifts table here")
    p.add_argument(
        "--attrition", help="write the panel attrition table (stayers against leavers) here"
    )
    p.add_argument(
        "--trends", help="write the linear trends over 3+ waves here (header only otherwise)"
    )
    p.add_argument("--mean-estimates", help="write the mean indicators' estimates here")
    p.add_argument("--mean-shifts", help="write the mean indicators' shifts here")
    p.add_argument("--scales", help="write the scale indicators' reliability here")
    p.add_argument(
        "--did",
        help="write the difference in differences between the design's programme and comparison"
        " arms here (header only without `arm` in the design)",
    )
    p.add_argument(
        "--comparisons",
        help="write the group comparisons at each wave (estimate groups and the arm) here",
    )
    p.add_argument(
        "--adjusted",
        help="write the crude, composition-standardised and model-adjusted change here (over the"
        " country's `standardise_by` cells)",
    )
    p.set_defaults(func=cmd_statistics)


def _add_power_command(sub: argparse._SubParsersAction) -> None:
    """Add the power subcommand (minimum detectable changes and sample sizes per wave)."""
    p = sub.add_parser(
        "power", help="minimum detectable change and respondents per wave for the next round"
    )
    p.add_argument("--country", required=True)
    p.add_argument("--estimates", required=True, help="the country's estimates.csv")
    p.add_argument("--mean-estimates", required=True, help="the country's mean_estimates.csv")
    p.add_argument("--out", required=True, help="write power.csv here")
    p.set_defaults(func=cmd_power)


def _add_run_command(sub: argparse._SubParsersAction) -> None:
    """Add the run subcommand (the whole pipeline through Snakemake)."""
    p = sub.add_parser(
        "run", help="the whole pipeline (or TARGET files), recovering from an interrupted run"
    )
    p.add_argument("targets", nargs="*", help="output files to build (default: everything)")
    p.add_argument("--cores", default="all", help="cores Snakemake may use (default: all)")
    p.add_argument(
        "--snakemake-args",
        nargs=argparse.REMAINDER,
        default=[],
        help="the rest of the command line goes to Snakemake unchanged (e.g. --snakemake-args -n)",
    )
    p.set_defaults(func=cmd_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="project root (default: the current directory)",
    )
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_data_commands(sub)
    _add_manifest_commands(sub)
    _add_new_country_command(sub)
    _add_statistics_command(sub)
    _add_power_command(sub)
    _add_run_command(sub)
    return parser


def run_guarded(command, args, debug: bool = False) -> int:
    """Run one CLI command: bad input -> one message and exit 2; a bug -> one line and exit 3.

    Tracebacks only with debug (--debug or PEACE_DEBUG=1). Shared by every `python -m` entry point.
    """
    debug = debug or os.environ.get("PEACE_DEBUG") == "1"
    try:
        status = command(args)
    except InputError as exc:
        if debug:
            raise
        print(exc.render(), file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: one line, the traceback only on request
        if debug:
            raise
        print(
            f"INTERNAL ERROR: {type(exc).__name__}: {exc}\n  fix: this is a bug in the pipeline;"
            " rerun with PEACE_DEBUG=1 to see the traceback and report it",
            file=sys.stderr,
        )
        return 3
    return (
        status if isinstance(status, int) else 0
    )  # a command may return its own exit status (run)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_guarded(args.func, args, args.debug)
