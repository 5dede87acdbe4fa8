"""Cleaning: raw exports of one dataset -> harmonised rows, exclusions, cleaning log, row accounting.

Public surface:
  clean_dataset(project, country, dataset, workers) -> CleanResult
  write_clean_outputs(result, data_path, exclusions_path, log_path, accounting_path)

Per source file (`clean_source`): read -> harmonise every codebook variable (codebook.convert_column) ->
exclusions in config order (first matching rule gives the reason) -> unknown codes in kept rows stop the
run -> derived variables -> consistency warnings -> indicators. The invariant raw rows = kept + excluded
is checked for every file before anything is written. Raw columns not named in the codebook (direct
identifiers among them) are never copied. Then, over all sources: one interview per person and wave,
panel ids that match, indicators with answers in every wave, usable design variables.

Large datasets (analysis.resources.source_processes) clean their source files in parallel processes,
one per file; results and errors arrive in config order, exactly as in a sequential run.
"""
from __future__ import annotations

import io
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .codebook import ARROW_TEXT, LOG_COLUMNS, convert_column, empty_log
from .conditions import evaluate
from .csv_files import csv_bytes, write_csv
from .errors import InputError
from .readers import read_source
from .resources import source_processes

CORE_RESPONDENT_COLUMNS = ["respondent_id", "wave", "sex", "age", "age_band", "social_group", "location",
                           "cluster", "weight"]
PROVENANCE_COLUMNS = ["source_file", "source_row"]
EXCLUSION_COLUMNS = ["dataset", "source_file", "wave", "source_row", "record_id", "rule", "reason"]
BACKGROUND_ENCODE_ROWS = 100_000   # smaller data are encoded when written: threads are not worth it
CLEANING_LOG_COLUMNS = ["dataset", "source_file", "wave", "source_row", "record_id"] + LOG_COLUMNS
ACCOUNTING_COLUMNS = ["dataset", "source_file", "wave", "raw_rows", "kept", "excluded"]


class RowAccountingError(AssertionError):
    """Raised when a file's raw rows are not exactly kept + excluded (a bug, never bad input)."""


@dataclass
class CleanResult:
    data: pd.DataFrame
    exclusions: pd.DataFrame
    log: pd.DataFrame
    accounting: pd.DataFrame
    # the files' bytes, when already being made in the background (`_in_background`): Parquet of `data`, CSV of `log`
    parquet: Future | None = None
    log_csv: Future | None = None


def parquet_bytes(data: pd.DataFrame) -> bytes:
    """`data` as Parquet (text columns as pandas "string"); no column statistics: nothing filters on them, and they
    cost a third of the encoding time. Deterministic bytes."""
    frame = data.astype({c: "string" for c in data.columns if data[c].dtype == object})
    sink = io.BytesIO()
    frame.to_parquet(sink, index=False, engine="pyarrow", write_statistics=False)
    return sink.getvalue()


@dataclass
class SourceResult:
    """What `clean_source` gives back for one source file (small apart from `kept` and `log`)."""
    kept: pd.DataFrame
    excluded: pd.DataFrame
    log: pd.DataFrame                       # ordered by row and variable
    accounting: dict
    duplicates: pd.DataFrame | None         # respondents: rows of ids interviewed twice in this file


def _in_background(make, *args) -> Future:
    """Start `make(*args)` in a daemon thread and return its Future. Used for the bytes of large outputs (pyarrow
    releases the GIL while encoding), so the checks of `clean_dataset` run meanwhile; a failed check leaves the
    bytes unused and does not wait for them."""
    future: Future = Future()

    def run():
        try:
            future.set_result(make(*args))
        except BaseException as exc:  # handed to whoever waits for the bytes
            future.set_exception(exc)
    threading.Thread(target=run, daemon=True).start()
    return future


def _raw_column(source: dict, variable: str, spec: dict) -> str:
    return source.get("columns", {}).get(variable, spec.get("source", variable))


def harmonise_source(root: Path, dataset: dict, source: dict, config_file: str):
    """Read one raw file and convert every codebook variable. Returns (frame, log, unknown, n_raw)."""
    table = read_source(root, source)
    raw = table.frame
    pii = set(dataset.get("pii", []))
    wave = source["wave"]
    columns, logs, unknowns = {}, [], []
    for variable, spec in dataset["variables"].items():
        if "constant" in spec:
            columns[variable] = pd.Series(spec["constant"], index=raw.index, dtype=object)
            continue
        col = _raw_column(source, variable, spec)
        if col in pii:
            raise InputError(f"variable '{variable}' is read from '{col}', which is listed under `pii`", file=config_file,
                             column=col, fix="direct identifiers may not become analysis variables: remove the mapping")
        in_wave = wave in spec.get("waves", [wave])
        if col not in raw.columns:
            if in_wave and not spec.get("optional", False):
                near = [c for c in raw.columns if variable.split("_")[0].lower() in str(c).lower()][:5]
                raise InputError(f"column '{col}' (for variable '{variable}') is not in the file", file=table.file,
                                 column=col,
                                 fix=f"map '{variable}' to the right column under `columns:` of this source in {config_file}"
                                     + (f" (columns that look similar: {', '.join(near)})" if near else "")
                                     + ", or list the waves that have it under `waves:`")
            columns[variable] = pd.Series(None, index=raw.index, dtype=object)
            continue
        values, log, unknown = convert_column(variable, raw[col], spec, table.value_labels.get(col),
                                              table.missing_values.get(col, set()), table.multi_choice.get(col))
        columns[variable] = values
        logs.append(log)
        unknowns.append(unknown.assign(raw_column=col))
    frame = pd.DataFrame(columns, index=raw.index)
    frame.insert(0, "wave", wave)
    frame.insert(0, "source_row", raw.index.to_numpy() + 1)
    frame.insert(0, "source_file", source["file"])
    logs = [log for log in logs if len(log)]
    log = pd.concat(logs, ignore_index=True) if logs else empty_log()
    log = log.astype({c: ARROW_TEXT for c in LOG_COLUMNS})   # arrow buffers: cheap to pass between processes
    unknown = pd.concat(unknowns, ignore_index=True) if unknowns else pd.DataFrame(columns=["row_index", "variable", "raw_value"])
    return frame, log, unknown, len(raw)


def cleaned_sources(root: Path, dataset: dict, config_file: str, indicators: list[dict], country: str, workers: int = 1):
    """Yield `clean_source` of every source in config order; large files are cleaned in parallel (processes).

    Errors surface in source order, as in a sequential run: the first source's problem is reported first.
    """
    sources = dataset["sources"]
    args = [(root, dataset, source, config_file, indicators, country) for source in sources]
    processes = source_processes(root, sources, workers)
    if processes < 2:
        for a in args:
            yield clean_source(*a)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # this process cleans the first source itself while worker processes clean the others
    with ProcessPoolExecutor(max_workers=processes - 1, mp_context=context) as pool:
        futures = [pool.submit(clean_source, *a) for a in args[1:]]
        try:
            yield clean_source(*args[0])
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def apply_exclusions(frame: pd.DataFrame, rules: list[dict], config_file: str) -> pd.DataFrame:
    """Return a frame of excluded rows (index = frame index) with `rule` and `reason`; first match wins."""
    reason = pd.Series(None, index=frame.index, dtype=object)
    rule_id = pd.Series(None, index=frame.index, dtype=object)
    for i, rule in enumerate(rules):
        open_rows = reason.isna().to_numpy()
        if "duplicate_of" in rule:
            keys = rule["duplicate_of"]
            candidates = frame[open_rows]
            dup = candidates.duplicated(subset=keys, keep="first") & candidates[keys].notna().all(axis=1)
            first_row = candidates.groupby(keys, dropna=True)["source_row"].transform("first")
            hit_index = candidates.index[dup.to_numpy()]
            reason[hit_index] = [f"{rule['reason']} (same {', '.join(keys)} as row {r})" for r in first_row[dup]]
        else:
            hit = evaluate(frame, rule["when"], config_file) & open_rows
            hit_index = frame.index[hit]
            reason[hit_index] = rule["reason"]
        rule_id[hit_index] = rule.get("id", f"exclusion_{i + 1}")
    out = frame.loc[reason.notna(), ["source_file", "wave", "source_row"]].copy()
    out["rule"] = rule_id[reason.notna()]
    out["reason"] = reason[reason.notna()]
    return out


def derive(frame: pd.DataFrame, derivations: dict, log_rows: list) -> pd.DataFrame:
    """Add derived variables: bands (numeric -> labelled bands, with a fallback variable), copy, concat, map, constant."""
    for name, spec in derivations.items():
        if "bands" in spec:
            values = pd.to_numeric(frame[spec["from"]], errors="coerce")
            labels = [b["label"] for b in spec["bands"]]
            band = pd.Series(None, index=frame.index, dtype=object)
            for b in spec["bands"]:
                band[(values >= b["min"]) & (values <= b["max"])] = b["label"]
            if spec.get("fallback"):
                fb = frame[spec["fallback"]]
                use = band.isna() & fb.isin(labels)
                band[use] = fb[use]
                log_rows.append(pd.DataFrame({"row_index": frame.index[use], "variable": name,
                                              "raw_value": frame.loc[use, spec["from"]].astype(str).replace("<NA>", "NA"),
                                              "clean_value": fb[use].astype(str), "severity": "change",
                                              "rule": f"{name} taken from '{spec['fallback']}' ({spec['from']} missing)"}))
            frame[name] = band
        elif "concat" in spec:
            parts = [frame[c].astype(str) for c in spec["concat"]]
            joined = parts[0].str.cat(parts[1:], sep=spec.get("sep", " / "))
            frame[name] = joined.where(frame[spec["concat"]].notna().all(axis=1), None)
        elif "map" in spec:
            frame[name] = frame[spec["from"]].map(spec["map"]).astype(object)
        elif "copy" in spec:
            frame[name] = frame[spec["copy"]]
        else:
            frame[name] = spec["constant"]
    return frame


def consistency_warnings(frame: pd.DataFrame, checks: list[dict], config_file: str) -> pd.DataFrame:
    """Flag (never change) rows that break a stated consistency rule; one log row per flagged row."""
    out = []
    for check in checks:
        hit = evaluate(frame, check["when"], config_file)
        conds = check["when"] if isinstance(check["when"], list) else [check["when"]]
        variables = [c["variable"] for c in conds]
        raw = frame.loc[hit, variables].astype(object).fillna("NA").astype(str).agg(" | ".join, axis=1)
        out.append(pd.DataFrame({"row_index": frame.index[hit], "variable": ", ".join(variables),
                                 "raw_value": raw.to_numpy(), "clean_value": raw.to_numpy(),
                                 "rule": check["warning"], "severity": "warning"}))
    return pd.concat(out, ignore_index=True) if out else empty_log()


def _value_in(values: pd.Series, wanted: list) -> np.ndarray:
    """values.isin(wanted) as a bool array; for a categorical column, one lookup per category."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = np.append(values.cat.categories.isin(wanted), False)
        return lookup[values.cat.codes.to_numpy()]
    return values.isin(wanted).to_numpy(dtype=bool)


def add_indicator_columns(frame: pd.DataFrame, indicators: list[dict], country: str) -> pd.DataFrame:
    """One 0/1/NA column per indicator defined for this country (named by indicator id); indicators whose
    variable is absent are left to `check_indicators`, which reports them."""
    for ind in indicators:
        how = ind.get("countries", {}).get(country)
        if not how or how["variable"] not in frame.columns:
            continue
        src = frame[how["variable"]]
        if "any_of" in how:
            tokens = src.astype(str).str.split()
            positive = tokens.explode().isin(how["any_of"]).groupby(level=0).any().reindex(frame.index, fill_value=False)
            positive = positive.to_numpy(dtype=bool)
        else:
            positive = _value_in(src, how["positive"])
        invalid = src.isna().to_numpy(dtype=bool) | _value_in(src, how.get("missing", []))
        # 0/1 with NA: one byte a value (nullable Int8), in memory, between processes and in the Parquet file
        frame[ind["id"]] = pd.arrays.IntegerArray(positive.astype(np.int8), invalid)
    return frame


def check_indicators(frame: pd.DataFrame, indicators: list[dict], country: str, config_file: str = "config") -> None:
    """Every indicator of this country reads an existing variable and has valid answers in every wave it is
    declared for (`waves`, default: all waves)."""
    wave_code, wave_names = pd.factorize(frame["wave"], sort=True)
    for ind in indicators:
        how = ind.get("countries", {}).get(country)
        if not how:
            continue
        if how["variable"] not in frame.columns:
            raise InputError(f"indicator '{ind['id']}' reads variable '{how['variable']}', which the dataset does not have",
                             file=config_file, key=ind["id"],
                             fix=f"define '{how['variable']}' under `variables:` or correct the indicator's `variable:`")
        valid = frame[ind["id"]].notna().to_numpy(dtype=bool)
        valid_by_wave = dict(zip(wave_names, np.bincount(wave_code, weights=valid, minlength=len(wave_names))))
        for wave in how.get("waves") or list(valid_by_wave):
            if valid_by_wave.get(wave, 0) == 0:
                raise InputError(f"indicator '{ind['id']}' has no valid answer in wave '{wave}' "
                                 f"(variable '{how['variable']}')", file=config_file, key=ind["id"],
                                 fix=f"map the item for wave '{wave}' under that source's `columns:`, check its codes, "
                                     f"or list only the waves that have it under the indicator's `waves:`")


def duplicate_interviews(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose respondent id occurs more than once in a wave (source file and row, for the message)."""
    dup = frame.duplicated(["respondent_id", "wave"], keep=False)
    return frame.loc[dup, ["respondent_id", "wave", "source_file", "source_row"]]


def check_unique_respondents(frame: pd.DataFrame, duplicates: pd.DataFrame | None = None) -> None:
    """A respondent appears at most once per wave (after exclusions): two interviews of one person stop the run.

    `duplicates`: the rows of `duplicate_interviews`, when already found (per source file, by the workers)."""
    rows = duplicate_interviews(frame) if duplicates is None else duplicates
    if len(rows):
        rows = rows.sort_values(["respondent_id", "source_row"])
        first = rows.iloc[0]
        listing = "; ".join(f"{r.respondent_id} ({r.wave}, rows {', '.join(map(str, g))})" for r, g in
                            zip(rows.drop_duplicates(["respondent_id", "wave"]).itertuples(),
                                rows.groupby(["respondent_id", "wave"], sort=False)["source_row"].agg(list)))
        raise InputError(f"{rows[['respondent_id', 'wave']].drop_duplicates().shape[0]} respondent id(s) occur more than once "
                         f"in a wave: {listing[:300]}", file=str(first["source_file"]), column="respondent_id",
                         row=int(first["source_row"]),
                         fix="keep one interview per person: delete the wrong submission from the export, or add an "
                             "`exclusions:` rule that identifies it (e.g. by submission_id)")


def check_panel_matching(frame: pd.DataFrame, design: dict, config_file: str, min_share: float = 0.5) -> None:
    """A panel must match most respondents across waves; otherwise the ids are probably not the same key."""
    if design.get("type") != "panel":
        return
    key = design["panel_key"]
    waves = frame.groupby("wave")[key].agg(lambda ids: set(ids.dropna()))
    if len(waves) < 2:
        return
    base, *later = list(waves)
    matched = set.intersection(*map(set, waves))
    share = len(matched) / max(1, min(len(w) for w in waves))
    if share < min_share:
        example = sorted(set(waves.iloc[-1]) - matched)[:3]
        raise InputError(f"panel ids match across waves for only {len(matched)} respondents ({100 * share:.0f}% of the "
                         f"smaller wave); e.g. {example} in wave '{waves.index[-1]}' have no partner",
                         file=config_file, key="panel_key",
                         fix=f"check that '{key}' holds the same id in every wave (format, prefixes, case); map the right "
                             "column under each source's `columns:`, or declare `type: independent` if different people "
                             "were interviewed")


def check_design_values(frame: pd.DataFrame, design: dict, config_file: str) -> None:
    """Weights must be positive numbers and clusters known for every kept respondent."""
    for key in ("weight", "cluster", "strata", "panel_key"):
        var = design.get(key)
        if not var:
            continue
        values = frame[var]
        bad = values.isna()
        if key == "weight":
            num = pd.to_numeric(values, errors="coerce")
            bad = num.isna() | (num <= 0)
        if bad.any():
            first = frame.loc[bad].iloc[0]
            raise InputError(f"design {key} '{var}' is missing or invalid for {int(bad.sum())} kept respondent(s)",
                             file=str(first["source_file"]), column=var, row=int(first["source_row"]),
                             fix=f"give every respondent a {'positive weight' if key == 'weight' else key}, "
                                 "or exclude those rows with an `exclusions:` rule")


def check_row_accounting(file: str, n_raw: int, kept_rows, excluded_rows) -> None:
    """Every raw row 1..n_raw is either kept or excluded, exactly once. Raises RowAccountingError."""
    everything = np.concatenate([np.asarray(kept_rows, dtype=np.int64), np.asarray(excluded_rows, dtype=np.int64)])
    if len(everything) == n_raw and np.array_equal(np.sort(everything), np.arange(1, n_raw + 1)):
        return
    counts = pd.Series(everything).value_counts()
    lost = sorted(set(range(1, n_raw + 1)) - set(everything))[:10]
    raise RowAccountingError(f"{file}: {n_raw} raw rows but {len(kept_rows)} kept + {len(excluded_rows)} excluded"
                             f" (rows neither kept nor excluded: {lost}; counted twice: "
                             f"{sorted(counts[counts > 1].index)[:10]})")


def _unknown_error(unknown: pd.DataFrame, frame: pd.DataFrame, source: dict, config_file: str) -> InputError:
    counts = unknown.groupby(["raw_column", "variable", "raw_value"]).size().reset_index(name="n")
    first = unknown.iloc[0]
    listing = "; ".join(f"{r.raw_column}={r.raw_value!r} ({r.n} rows)" for r in counts.head(8).itertuples())
    return InputError(f"{len(unknown)} raw value(s) have no mapping in the codebook: {listing}",
                      file=source["file"], column=str(first["raw_column"]), row=int(first["row_index"]) + 1,
                      fix=f"add these values to `values:` (or `missing:`) of variable '{first['variable']}' in {config_file}, "
                          "or correct the raw export")


def clean_source(root: Path, dataset: dict, source: dict, config_file: str, indicators: list[dict], country: str):
    """Everything that concerns one source file: harmonise, exclude, check codes, derive, warn, log, count, and
    (respondents) the indicator columns. Returns (kept rows, exclusions, log, row accounting). Runs in a worker
    process for large datasets, so it takes and returns only picklable values (a `SourceResult`)."""
    frame, log, unknown, n_raw = harmonise_source(root, dataset, source, config_file)
    id_var = dataset.get("record_id", "respondent_id")
    excluded = apply_exclusions(frame, dataset.get("exclusions", []), config_file)
    keep = ~frame.index.isin(excluded.index)
    unknown_kept = unknown[unknown["row_index"].isin(frame.index[keep])] if len(unknown) else unknown
    if len(unknown_kept):
        raise _unknown_error(unknown_kept, frame, source, config_file)
    record_ids = frame[id_var] if id_var in frame else None    # as harmonised: `derive` may overwrite the column
    kept = frame if keep.all() else frame[keep].copy()
    extra_logs = []
    kept = derive(kept, dataset.get("derive", {}), extra_logs)
    extra_logs.append(consistency_warnings(kept, dataset.get("checks", []), config_file))
    extra_logs = [e.astype({c: ARROW_TEXT for c in LOG_COLUMNS}) for e in extra_logs]
    log = pd.concat([log if keep.all() else log[log["row_index"].isin(kept.index)]] + extra_logs, ignore_index=True)
    log["source_file"], log["wave"] = source["file"], source["wave"]
    log["source_row"] = log["row_index"].astype(int) + 1
    log["record_id"] = record_ids.reindex(log["row_index"]).array if record_ids is not None else None
    excluded["record_id"] = record_ids.loc[excluded.index].to_numpy() if record_ids is not None else None
    check_row_accounting(source["file"], n_raw, kept["source_row"], excluded["source_row"])
    accounting = {"source_file": source["file"], "wave": source["wave"], "raw_rows": n_raw, "kept": len(kept),
                  "excluded": len(excluded)}
    duplicates = None
    if dataset.get("role") == "respondents":
        kept = add_indicator_columns(kept, indicators, country)
        duplicates = duplicate_interviews(kept) if "respondent_id" in kept else None
    return SourceResult(kept, excluded, _compact_log(_sorted_log(log)), accounting, duplicates)


def clean_dataset(project: dict, country: str, dataset_name: str, workers: int = 1) -> CleanResult:
    """Clean every source of one dataset of one country (see module docstring); `workers` processes read sources."""
    root = project["root"]
    cfg = project["countries"][country]
    dataset = cfg["datasets"][dataset_name]
    config_file = f"config/countries/{country}.yaml"
    parts = list(cleaned_sources(root, dataset, config_file, project["indicators"], country, workers))
    data = pd.concat([p.kept for p in parts], ignore_index=True)
    lead = [c for c in CORE_RESPONDENT_COLUMNS if c in data.columns]
    data = data[lead + [c for c in data.columns if c not in lead + PROVENANCE_COLUMNS] + PROVENANCE_COLUMNS]
    exclusions = pd.concat([p.excluded for p in parts], ignore_index=True).assign(dataset=dataset_name)[EXCLUSION_COLUMNS]
    files = [p.accounting["source_file"] for p in parts]
    if len(set(files)) == len(files):     # each part is ordered by row and variable: order the parts by file
        log = _concat_logs([parts[i].log for i in sorted(range(len(parts)), key=files.__getitem__)])
    else:
        log = _sorted_log(_concat_logs([p.log for p in parts]))
    log = log.assign(dataset=dataset_name)[CLEANING_LOG_COLUMNS].reset_index(drop=True)
    large = len(data) >= BACKGROUND_ENCODE_ROWS
    parquet = _in_background(parquet_bytes, data) if large else None
    log_csv = _in_background(csv_bytes, log) if large else None
    if dataset.get("role") == "respondents":
        missing = [c for c in CORE_RESPONDENT_COLUMNS if c not in data.columns]
        if missing:
            raise InputError(f"respondent data lack harmonised column(s) {missing}", file=config_file, column=missing[0],
                             fix="define them under `variables:` or `derive:` of the respondents dataset")
        waves = [p.accounting["wave"] for p in parts]
        one_file_per_wave = len(set(waves)) == len(waves) and all(p.duplicates is not None for p in parts)
        check_unique_respondents(data, pd.concat([p.duplicates for p in parts]) if one_file_per_wave else None)
        check_panel_matching(data, dataset.get("design", {}), config_file)
        check_indicators(data, project["indicators"], country, config_file)
        check_design_values(data, dataset.get("design", {}), config_file)
    accounting = pd.DataFrame([p.accounting for p in parts]).assign(dataset=dataset_name)[ACCOUNTING_COLUMNS]
    return CleanResult(data, exclusions.reset_index(drop=True), log, accounting, parquet, log_csv)


LOG_TEXT_COLUMNS = ["source_file", "wave"] + LOG_COLUMNS


def _compact_log(log: pd.DataFrame) -> pd.DataFrame:
    """Repetitive log text (file, wave, variable, values, rule) as categoricals with sorted categories: a
    fraction of the memory, and cheap to pass between processes. The CSV bytes do not change."""
    return log.astype({c: "category" for c in LOG_TEXT_COLUMNS})


def _concat_logs(logs: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate compact logs; the repetitive columns become arrow-backed text again (decoded by pyarrow)."""
    joined = {}
    for c in logs[0].columns:
        if c in LOG_TEXT_COLUMNS:
            united = pd.api.types.union_categoricals([log[c] for log in logs], sort_categories=True)
            decoded = pc.cast(pa.array(united), pa.large_string())
            joined[c] = decoded.to_pandas(types_mapper=lambda t: ARROW_TEXT).array
        else:
            joined[c] = pd.concat([log[c] for log in logs], ignore_index=True).array
    return pd.DataFrame(joined)


def _sorted_log(log: pd.DataFrame) -> pd.DataFrame:
    """Log rows ordered by source file, row and variable (ties keep their order)."""
    keys = (np.arange(len(log)), pd.factorize(log["variable"], sort=True)[0], log["source_row"].to_numpy(dtype=np.int64),
            pd.factorize(log["source_file"], sort=True)[0])
    return log.iloc[np.lexsort(keys)]


def write_clean_outputs(result: CleanResult, data_path: Path, exclusions_path: Path, log_path: Path,
                        accounting_path: Path) -> None:
    """Write the four outputs (Parquet for data, CSV for the rest); deterministic bytes."""
    data_path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(result.exclusions, exclusions_path)
    write_csv(result.accounting, accounting_path)
    Path(log_path).write_bytes(result.log_csv.result() if result.log_csv else csv_bytes(result.log))
    Path(data_path).write_bytes(result.parquet.result() if result.parquet else parquet_bytes(result.data))
