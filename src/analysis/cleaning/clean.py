"""Cleaning: raw exports of one dataset -> harmonised rows, exclusions, cleaning log, row
accounting.

Public surface:
  clean_dataset(project, country, dataset, workers) -> CleanResult
  write_clean_outputs(result, data_path, exclusions_path, log_path, accounting_path)

Per source file (`clean_source`): read -> harmonise every codebook variable
(codebook.convert_column) -> blank rows (every cell empty) excluded as "blank row", then exclusions
in config order (first matching rule gives the reason) -> unknown codes in kept rows stop the run ->
published free text redacted (analysis.cleaning.free_text) -> derived variables (bands must cover
every value a table, indicator or design uses) -> consistency warnings -> dates after the end of
fieldwork flagged -> withheld free text dropped. The invariant
raw rows = kept + excluded is checked for every file before anything is written. Raw columns not
named in the codebook (direct identifiers among them) are never copied. Then, over all sources:
the indicator columns (analysis.indicators: a winsorised mean pools the waves; winsorised and
transformed values join the cleaning log), one interview per person and wave, panel ids that match
(and pairs whose sex or age disagree flagged), indicator values that the variable can take,
indicators with answers in every wave, usable design variables.

The cleaning log's `severity` is `change` (a value was changed, e.g. a missing code or a respelling)
or `warning` (a value kept as it is but flagged: consistency checks, uncovered band values of an
unused derived variable, panel pairs that may be two people, dates after the end of fieldwork or in
the future).

Large datasets (analysis.resources.source_processes) clean their source files in parallel processes,
one per file; results and errors arrive in config order, exactly as in a sequential run.
"""

from __future__ import annotations

import datetime
import difflib
import io
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.cleaning.arms import arm_labels
from analysis.cleaning.codebook import (
    ARROW_TEXT,
    LOG_COLUMNS,
    convert_column,
    display_values,
    empty_log,
)
from analysis.cleaning.conditions import evaluate
from analysis.cleaning.free_text import WITHHELD, TextPolicy, redact, redaction_rule, text_policy
from analysis.csv_files import csv_bytes, write_csv
from analysis.errors import InputError
from analysis.indicators import add_indicator_columns, measured, variables_read
from analysis.ingest.readers import RawTable, read_source
from analysis.model import (
    CORE_RESPONDENT_COLUMNS,
    PROVENANCE_COLUMNS,
    AnyOfMapping,
    BandsDerivation,
    Check,
    CompositeMapping,
    ConcatDerivation,
    Condition,
    ConditionRule,
    ConstantDerivation,
    CopyDerivation,
    CountOfMapping,
    CutoffMapping,
    Dataset,
    Derivation,
    Design,
    DuplicateRule,
    Exclusion,
    Indicator,
    IndicatorMapping,
    MapDerivation,
    Project,
    ScaleMapping,
    Source,
    Table,
    Variable,
)
from analysis.resources import source_processes

EXCLUSION_COLUMNS = ["dataset", "source_file", "wave", "source_row", "record_id", "rule", "reason"]
BACKGROUND_ENCODE_ROWS = 100_000  # smaller data are encoded when written: threads are not worth it
CLEANING_LOG_COLUMNS = ["dataset", "source_file", "wave", "source_row", "record_id"] + LOG_COLUMNS
ACCOUNTING_COLUMNS = ["dataset", "source_file", "wave", "raw_rows", "kept", "excluded"]
BLANK_ROW = {"rule": "blank_row", "reason": "blank row"}


class RowAccountingError(AssertionError):
    """Raised when a file's raw rows are not exactly kept + excluded (a bug, never bad input)."""


@dataclass
class CleanResult:
    data: pd.DataFrame
    exclusions: pd.DataFrame
    log: pd.DataFrame
    accounting: pd.DataFrame
    # the files' bytes, when already being made in the background (`_in_background`): Parquet of
    # `data`, CSV of `log`
    parquet: Future | None = None
    log_csv: Future | None = None


PARQUET_ROW_GROUP = 1024 * 1024  # pyarrow's default row group: the file is the same as one write


def parquet_bytes(data: pd.DataFrame) -> bytes:
    """`data` as Parquet (text columns as pandas "string"); no column statistics: nothing filters on
    them, and they cost a third of the encoding time. Converted to Arrow one row group at a time, so
    memory holds one row group's Arrow copy, not the whole table's. Deterministic bytes."""
    import pyarrow.parquet as pq

    text = {c: "string" for c in data.columns if data[c].dtype == object}
    sink = io.BytesIO()
    writer = None
    for start in range(0, max(len(data), 1), PARQUET_ROW_GROUP):
        rows = data.iloc[start : start + PARQUET_ROW_GROUP].astype(text)
        table = pa.Table.from_pandas(rows, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema, write_statistics=False)
        writer.write_table(table.cast(writer.schema) if table.schema != writer.schema else table)
    assert writer is not None
    writer.close()
    return sink.getvalue()


@dataclass
class SourceResult:
    """What `clean_source` gives back for one source file (small apart from `kept` and `log`)."""

    kept: pd.DataFrame
    excluded: pd.DataFrame
    log: pd.DataFrame  # ordered by row and variable
    accounting: dict
    duplicates: pd.DataFrame | None  # respondents: rows of ids interviewed twice in this file
    value_sets: dict | None = None  # variable -> the values it can take (None: not enumerable)
    observed: dict | None = None  # indicator variable without value set -> values seen in kept rows


def _in_background(make, *args) -> Future:
    """Start `make(*args)` in a daemon thread and return its Future. Used for the bytes of large
    outputs (pyarrow releases the GIL while encoding), so the checks of `clean_dataset` run
    meanwhile; a failed check leaves the bytes unused and does not wait for them."""
    future: Future = Future()

    def run():
        try:
            future.set_result(make(*args))
        except BaseException as exc:  # handed to whoever waits for the bytes
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return future


def _raw_column(source: Source, variable: str, spec: Variable) -> str:
    """The raw column a variable is read from: this source's `columns:` mapping, else its `source:`,
    else its name."""
    if variable in source.columns:
        return source.columns[variable]
    return variable if spec.source is None else spec.source


def _is_null(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def possible_values(
    spec: Variable, value_labels: dict | None, multi_choices: set | None
) -> set | None:
    """The harmonised values a codebook variable can take, when they can be listed: a categorical's
    `values:` map or the file's value labels (XLSForm choices) after `recode:`, a multi's choices, a
    constant. None for text, numbers and dates (their values are whatever the data hold)."""
    if spec.has_constant:
        return set() if _is_null(spec.constant) else {spec.constant}
    if spec.type == "multi":
        return set(spec.choices) or set(multi_choices or ())
    if spec.type != "categorical":
        return None
    mapping = value_labels if spec.values == "labels" else spec.values
    recode = spec.recode
    out = set()
    for label in (mapping or {}).values():
        if not _is_null(label):
            label = recode.get(label, label)
            if not _is_null(label):
                out.add(label)
    return out


@dataclass
class Harmonised:
    """One raw file with every codebook variable converted (see `harmonise_source`)."""

    frame: pd.DataFrame  # harmonised variables + source_file, source_row, wave (raw row order)
    log: pd.DataFrame  # changed values
    unknown: (
        pd.DataFrame
    )  # raw values without a mapping (row_index, variable, raw_value, raw_column)
    n_raw: int
    blank: np.ndarray  # rows whose every raw cell is empty
    value_sets: dict  # variable -> possible_values (variables present in this file)
    pii: (
        pd.DataFrame | None
    )  # the raw `pii:` columns, when published free text must be scanned for them


def _pii_variable_error(variable: str, col: str, config_file: str) -> InputError:
    """A codebook variable read from a column listed under `pii:`."""
    return InputError(
        f"variable '{variable}' is read from '{col}', which is listed under `pii`",
        file=config_file,
        column=col,
        fix="direct identifiers may not become analysis variables: remove the mapping",
    )


def _missing_column_error(variable: str, col: str, table: RawTable, config_file: str) -> InputError:
    """A variable's raw column is not in the file (naming up to five columns that look similar)."""
    near = [c for c in table.frame.columns if variable.split("_")[0].lower() in str(c).lower()][:5]
    return InputError(
        f"column '{col}' (for variable '{variable}') is not in the file",
        file=table.file,
        column=col,
        fix=(
            f"map '{variable}' to the right column under `columns:` of this source in {config_file}"
        )
        + (f" (columns that look similar: {', '.join(near)})" if near else "")
        + ", or list the waves that have it under `waves:`",
    )


def _convert_variables(
    table: RawTable, dataset: Dataset, source: Source, config_file: str
) -> tuple[dict[str, pd.Series], list[pd.DataFrame], list[pd.DataFrame], dict]:
    """Convert every codebook variable of one raw file, in codebook order. Returns (variable ->
    harmonised values, change logs, unknown raw values with their raw column, variable ->
    possible_values); a constant gives its value, a column absent from a wave gives missing
    values."""
    raw = table.frame
    pii = set(dataset.pii)
    wave = source.wave
    columns, logs, unknowns, value_sets = {}, [], [], {}
    for variable, spec in dataset.variables.items():
        if spec.has_constant:
            columns[variable] = pd.Series(spec.constant, index=raw.index, dtype=object)
            value_sets[variable] = possible_values(spec, None, None)
            continue
        col = _raw_column(source, variable, spec)
        if col in pii:
            raise _pii_variable_error(variable, col, config_file)
        if col not in raw.columns:
            if spec.in_wave(wave) and not spec.optional:
                raise _missing_column_error(variable, col, table, config_file)
            columns[variable] = pd.Series(None, index=raw.index, dtype=object)
            continue
        values, log, unknown = convert_column(
            variable,
            raw[col],
            spec,
            table.value_labels.get(col),
            table.missing_values.get(col, set()),
            table.multi_choice.get(col),
        )
        columns[variable] = values
        value_sets[variable] = possible_values(
            spec, table.value_labels.get(col), table.multi_choice.get(col)
        )
        logs.append(log)
        unknowns.append(unknown.assign(raw_column=col))
    return columns, logs, unknowns, value_sets


def _harmonised_frame(
    columns: dict[str, pd.Series], index: pd.Index, source: Source
) -> pd.DataFrame:
    """The harmonised variables, led by source_file, source_row (1-based) and wave."""
    frame = pd.DataFrame(columns, index=index)
    frame.insert(0, "wave", source.wave)
    frame.insert(0, "source_row", index.to_numpy() + 1)
    frame.insert(0, "source_file", source.file)
    return frame


def _joined_change_log(logs: list[pd.DataFrame]) -> pd.DataFrame:
    """The variables' change logs as one log with arrow-backed text (cheap to pass between
    processes)."""
    logs = [log for log in logs if len(log)]
    log = pd.concat(logs, ignore_index=True) if logs else empty_log()
    return log.astype({c: ARROW_TEXT for c in LOG_COLUMNS})


def _pii_frame(raw: pd.DataFrame, pii: set) -> pd.DataFrame:
    """The raw `pii:` columns present in the file, as displayed text (missing where the cell is
    missing)."""
    present = [c for c in raw.columns if c in pii]
    return pd.DataFrame({c: display_values(raw[c]) for c in present}, index=raw.index).where(
        raw[present].notna()
    )


def harmonise_source(
    root: Path, dataset: Dataset, source: Source, config_file: str, keep_pii: bool = False
) -> Harmonised:
    """Read one raw file and convert every codebook variable. `keep_pii`: also hand back the raw PII
    columns (to redact them from published free text; they never reach an output)."""
    table = read_source(root, source)
    raw = table.frame
    columns, logs, unknowns, value_sets = _convert_variables(table, dataset, source, config_file)
    frame = _harmonised_frame(columns, raw.index, source)
    log = _joined_change_log(logs)
    unknown = (
        pd.concat(unknowns, ignore_index=True)
        if unknowns
        else pd.DataFrame(columns=["row_index", "variable", "raw_value"])
    )
    pii_frame = _pii_frame(raw, set(dataset.pii)) if keep_pii else None
    blank = table.blank if table.blank is not None else np.zeros(len(raw), dtype=bool)
    return Harmonised(frame, log, unknown, len(raw), blank, value_sets, pii_frame)


def cleaned_sources(
    root: Path,
    dataset: Dataset,
    config_file: str,
    indicators: list[Indicator],
    country: str,
    workers: int = 1,
    consumers: dict | None = None,
) -> Iterator[SourceResult]:
    """Yield `clean_source` of every source in config order; large files are cleaned in parallel
    (processes).

    Errors surface in source order, as in a sequential run: the first source's problem is reported
    first.
    """
    sources = dataset.sources
    args = [
        (root, dataset, source, config_file, indicators, country, consumers) for source in sources
    ]
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


def apply_exclusions(
    frame: pd.DataFrame, rules: list[Exclusion], config_file: str, blank: np.ndarray | None = None
) -> pd.DataFrame:
    """Return a frame of excluded rows (index = frame index) with `rule` and `reason`; first match
    wins. `blank` rows (every raw cell empty) come first, with rule `blank_row` and reason "blank
    row"."""
    reason = pd.Series(None, index=frame.index, dtype=object)
    rule_id = pd.Series(None, index=frame.index, dtype=object)
    if blank is not None and blank.any():
        reason[blank] = BLANK_ROW["reason"]
        rule_id[blank] = BLANK_ROW["rule"]
    for rule in rules:
        open_rows = reason.isna().to_numpy()
        if isinstance(rule, DuplicateRule):
            keys = rule.duplicate_of
            candidates = frame[open_rows]
            dup = candidates.duplicated(subset=keys, keep="first") & candidates[keys].notna().all(
                axis=1
            )
            first_row = candidates.groupby(keys, dropna=True)["source_row"].transform("first")
            hit_index = candidates.index[dup.to_numpy()]
            reason[hit_index] = [
                f"{rule.reason} (same {', '.join(keys)} as row {r})" for r in first_row[dup]
            ]
        else:
            hit = evaluate(frame, rule.when, config_file) & open_rows
            hit_index = frame.index[hit]
            reason[hit_index] = rule.reason
        rule_id[hit_index] = rule.id
    out = frame.loc[reason.notna(), ["source_file", "wave", "source_row"]].copy()
    out["rule"] = rule_id[reason.notna()]
    out["reason"] = reason[reason.notna()]
    return out


def decided_by_unknown(
    unknown: pd.DataFrame, excluded: pd.DataFrame, rules: list[Exclusion]
) -> np.ndarray:
    """Unknown values (rows of `unknown`) that decided their row's exclusion: the rule that excluded
    the row reads that variable. An unknown consent code ("maybe") reads as missing, and
    `not_equals: "Yes"` would exclude the interview as if consent were refused; such a value must
    stop the run like one in a kept row. (Unknown values in other variables of an excluded row, e.g.
    a test submission, do not matter.)"""
    reads: dict[str, set] = {}
    for rule in rules:
        variables = (
            set(rule.duplicate_of)
            if isinstance(rule, DuplicateRule)
            else set(_condition_variables(rule.when))
        )
        reads.setdefault(str(rule.id), set()).update(variables)
    deciding = [(rule, variable) for rule, variables in reads.items() for variable in variables]
    if not deciding or excluded.empty:
        return np.zeros(len(unknown), dtype=bool)
    probe = pd.MultiIndex.from_arrays(
        [
            excluded["rule"].reindex(unknown["row_index"].to_numpy()).to_numpy(dtype=object),
            unknown["variable"].to_numpy(dtype=object),
        ]
    )
    return probe.isin(pd.MultiIndex.from_tuples(deciding))


def _bands(frame: pd.DataFrame, name: str, spec: BandsDerivation, log_rows: list) -> pd.Series:
    """Numeric `from` -> the label of the band holding it (min <= value <= max); rows without one
    take the `fallback` variable's value when it is a band label (logged)."""
    values = pd.to_numeric(frame[spec.from_], errors="coerce")
    band = pd.Series(None, index=frame.index, dtype=object)
    for b in spec.bands:
        band[(values >= b.min) & (values <= b.max)] = b.label
    if spec.fallback:
        fb = frame[spec.fallback]
        use = band.isna() & fb.isin([b.label for b in spec.bands])
        band[use] = fb[use]
        log_rows.append(
            pd.DataFrame(
                {
                    "row_index": frame.index[use],
                    "variable": name,
                    "raw_value": frame.loc[use, spec.from_].astype(str).replace("<NA>", "NA"),
                    "clean_value": fb[use].astype(str),
                    "severity": "change",
                    "rule": f"{name} taken from '{spec.fallback}' ({spec.from_} missing)",
                }
            )
        )
    return band


def derive(frame: pd.DataFrame, derivations: dict[str, Derivation], log_rows: list) -> pd.DataFrame:
    """Add derived variables: bands (numeric -> labelled bands, with a fallback variable), copy,
    concat, map, constant."""
    for name, spec in derivations.items():
        if isinstance(spec, BandsDerivation):
            frame[name] = _bands(frame, name, spec, log_rows)
        elif isinstance(spec, ConcatDerivation):
            parts = [frame[c].astype(str) for c in spec.concat]
            joined = parts[0].str.cat(parts[1:], sep=spec.sep)
            frame[name] = joined.where(frame[spec.concat].notna().all(axis=1), None)
        elif isinstance(spec, MapDerivation):
            frame[name] = frame[spec.from_].map(spec.map).astype(object)
        elif isinstance(spec, CopyDerivation):
            frame[name] = frame[spec.copy_of]
        elif isinstance(spec, ConstantDerivation):
            frame[name] = spec.constant
    return frame


def _shown_values(frame: pd.DataFrame, variables: list[str], withheld=frozenset()) -> pd.Series:
    """The values of `variables` in each row as text joined by " | " (missing: NA; withheld free
    text: a placeholder), column by column."""
    parts = [
        (
            pd.Series(WITHHELD, index=frame.index, dtype=object)
            if v in withheld
            else frame[v].astype(object).fillna("NA").astype(str)
        )
        for v in variables
    ]
    return parts[0].str.cat(parts[1:], sep=" | ") if len(parts) > 1 else parts[0]


def consistency_warnings(
    frame: pd.DataFrame, checks: list[Check], config_file: str, withheld=frozenset()
) -> pd.DataFrame:
    """Flag (never change) rows that break a stated consistency rule; one log row per flagged row.
    The values of withheld free-text variables are not shown."""
    out = []
    for check in checks:
        hit = evaluate(frame, check.when, config_file)
        if not hit.any():
            continue
        variables = _condition_variables(check.when)
        raw = _shown_values(frame[hit], variables, withheld).to_numpy(dtype=object)
        out.append(
            pd.DataFrame(
                {
                    "row_index": frame.index[hit],
                    "variable": ", ".join(variables),
                    "raw_value": raw,
                    "clean_value": raw,
                    "rule": check.warning,
                    "severity": "warning",
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else empty_log()


def _listing(values: pd.Series, limit: int = 8) -> str:
    """Distinct values, sorted, at most `limit` of them, with the range for numbers."""
    distinct = pd.Series(values.dropna().unique())
    numeric = pd.to_numeric(distinct, errors="coerce")
    if numeric.notna().all():
        distinct = distinct.iloc[np.argsort(numeric.to_numpy(dtype=float), kind="stable")]
        shown = ", ".join(display_values(distinct.astype(float))[:limit])
        span = (
            f" (from {display_values(pd.Series([numeric.min()]))[0]} to"
            f" {display_values(pd.Series([numeric.max()]))[0]})"
        )
    else:
        shown = ", ".join(repr(v) for v in sorted(map(str, distinct))[:limit])
        span = ""
    more = f", … ({len(distinct)} distinct)" if len(distinct) > limit else ""
    return shown + more + (span if len(distinct) > 1 else "")


def band_coverage(
    frame: pd.DataFrame,
    derivations: dict[str, Derivation],
    consumers: dict,
    config_file: str,
    source: Source,
) -> pd.DataFrame:
    """Derived `bands:` must cover every present value of their source variable. A band variable
    used by an indicator, a table, `estimate_groups` or the design (`consumers`) stops the run when
    a value falls outside every band (the value would read as missing, and a share over the other
    bands as 100%); otherwise each such row is a warning in the cleaning log."""
    logs = []
    for name, spec in derivations.items():
        if not isinstance(spec, BandsDerivation):
            continue
        values = frame[spec.from_]
        uncovered = (values.notna() & frame[name].isna()).to_numpy(dtype=bool)
        if not uncovered.any():
            continue
        outside = values[uncovered]
        if name in consumers:
            first = frame.loc[uncovered, "source_row"].iloc[0]
            raise InputError(
                f"derived variable '{name}' leaves {int(uncovered.sum())} kept row(s) outside every"
                f" band: '{spec.from_}' = {_listing(outside)} (first in {source.file}, row"
                f" {first})",
                file=config_file,
                key=name,
                fix=(
                    f"add bands covering these values under `derive.{name}.bands` (a band holds min"
                    " <= value <= max: leave no gap between bands, e.g. 35 and 36 for fractional"
                    f" values), or exclude those rows with an `exclusions:` rule; '{name}' is used"
                    f" by {consumers[name][0]}"
                ),
            )
        logs.append(
            pd.DataFrame(
                {
                    "row_index": frame.index[uncovered],
                    "variable": name,
                    "raw_value": display_values(outside),
                    "clean_value": "NA",
                    "rule": f"value of '{spec.from_}' outside every band of '{name}' -> NA",
                    "severity": "warning",
                }
            )
        )
    return pd.concat(logs, ignore_index=True) if logs else empty_log()


def _fieldwork_end(source: Source, config_file: str) -> str | None:
    """`fieldwork_end` of a source as YYYY-MM-DD (the schema asks for that form; the date must exist
    too)."""
    end = source.fieldwork_end
    if end is None:
        return None
    try:
        return datetime.date.fromisoformat(end).isoformat()
    except ValueError:
        raise InputError(
            f"`fieldwork_end: {end!r}` is not a date",
            file=config_file,
            key="fieldwork_end",
            fix="write the last day of fieldwork of this wave as YYYY-MM-DD, e.g. 2023-06-30",
        ) from None


def late_dates(
    frame: pd.DataFrame,
    dataset: Dataset,
    source: Source,
    config_file: str,
    today: datetime.date | None = None,
) -> pd.DataFrame:
    """Warnings for `type: date` values after the source's `fieldwork_end` or, when none is
    configured, after the day of the run (UTC): an interview cannot take place in the future. Kept
    as they are."""
    dates = [
        v for v, spec in dataset.variables.items() if spec.type == "date" and v in frame.columns
    ]
    if not dates:
        return empty_log()
    end = _fieldwork_end(source, config_file)
    if end is None:
        limit = (today or datetime.datetime.now(datetime.UTC).date()).isoformat()
        rule = "date in the future (after the day of the run); kept, check it"
    else:
        limit, rule = end, f"date after the end of fieldwork ({end}); kept, check it"
    logs = []
    for var in dates:
        text = frame[var].astype(object)
        late = (text.notna() & (text.astype(str) > limit)).to_numpy(dtype=bool)
        if late.any():
            shown = text[late].astype(str).to_numpy()
            logs.append(
                pd.DataFrame(
                    {
                        "row_index": frame.index[late],
                        "variable": var,
                        "raw_value": shown,
                        "clean_value": shown,
                        "rule": rule,
                        "severity": "warning",
                    }
                )
            )
    return pd.concat(logs, ignore_index=True) if logs else empty_log()


def _declared_waves(indicators: list[Indicator], country: str, how) -> list[str] | None:
    """The waves an indicator is declared for (`waves:`; a cutoff: its scale's)."""
    if isinstance(how, CutoffMapping):
        how = next(i.countries[country] for i in indicators if i.id == how.scale)
    return how.waves


def check_indicators(
    frame: pd.DataFrame, indicators: list[Indicator], country: str, config_file: str = "config"
) -> None:
    """Every indicator of this country reads existing variables and has valid answers in every
    wave it is declared for (`waves`, default: all waves)."""
    wave_code, wave_names = pd.factorize(frame["wave"], sort=True)
    for ind, how in measured(indicators, country):
        variables = variables_read(indicators, country, how)
        if ind.id not in frame.columns:  # add_indicator_columns found no such variable
            absent = next((v for v in variables if v not in frame.columns), variables[0])
            key = "variable" if "variable" in type(how).model_fields else "items"
            raise InputError(
                f"indicator '{ind.id}' reads variable '{absent}', which the dataset does not have",
                file=config_file,
                key=ind.id,
                fix=(f"define '{absent}' under `variables:` or correct the indicator's `{key}:`"),
            )
        valid = frame[ind.id].notna().to_numpy(dtype=bool)
        valid_by_wave = dict(
            zip(wave_names, np.bincount(wave_code, weights=valid, minlength=len(wave_names)))
        )
        for wave in _declared_waves(indicators, country, how) or list(valid_by_wave):
            if valid_by_wave.get(wave, 0) == 0:
                raise InputError(
                    f"indicator '{ind.id}' has no valid answer in wave '{wave}' "
                    f"(variable{'s' if len(variables) > 1 else ''} '{', '.join(variables)}')",
                    file=config_file,
                    key=ind.id,
                    fix=(
                        f"map the item for wave '{wave}' under that source's `columns:`, check its"
                        " codes, or list only the waves that have it under the indicator's"
                        " `waves:`"
                    ),
                )


def duplicate_interviews(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose respondent id occurs more than once in a wave (source file and row, for the
    message)."""
    dup = frame.duplicated(["respondent_id", "wave"], keep=False)
    return frame.loc[dup, ["respondent_id", "wave", "source_file", "source_row"]]


def check_unique_respondents(frame: pd.DataFrame, duplicates: pd.DataFrame | None = None) -> None:
    """A respondent appears at most once per wave (after exclusions): two interviews of one person
    stop the run.

    `duplicates`: the rows of `duplicate_interviews`, when already found (per source file, by the
    workers).
    """
    rows = duplicate_interviews(frame) if duplicates is None else duplicates
    if len(rows):
        rows = rows.sort_values(["respondent_id", "source_row"])
        first = rows.iloc[0]
        listing = "; ".join(
            f"{r.respondent_id} ({r.wave}, rows {', '.join(map(str, g))})"
            for r, g in zip(
                rows.drop_duplicates(["respondent_id", "wave"]).itertuples(),
                rows.groupby(["respondent_id", "wave"], sort=False)["source_row"].agg(list),
            )
        )
        raise InputError(
            f"{rows[['respondent_id', 'wave']].drop_duplicates().shape[0]} respondent id(s) occur"
            f" more than once in a wave: {listing[:300]}",
            file=str(first["source_file"]),
            column="respondent_id",
            row=int(first["source_row"]),
            fix=(
                "keep one interview per person: delete the wrong submission from the export, or add"
                " an `exclusions:` rule that identifies it (e.g. by submission_id)"
            ),
        )


def check_panel_matching(
    frame: pd.DataFrame, design: Design, config_file: str, min_share: float = 0.5
) -> None:
    """A panel must match most respondents across waves; otherwise the ids are probably not the same
    key."""
    if not design.is_panel:
        return
    key = design.panel_key
    waves = frame.groupby("wave")[key].agg(lambda ids: set(ids.dropna()))
    if len(waves) < 2:
        return
    base, *later = list(waves)
    matched = set.intersection(*map(set, waves))
    share = len(matched) / max(1, min(len(w) for w in waves))
    if share < min_share:
        example = sorted(set(waves.iloc[-1]) - matched)[:3]
        raise InputError(
            f"panel ids match across waves for only {len(matched)} respondents ({100 * share:.0f}%"
            f" of the smaller wave); e.g. {example} in wave '{waves.index[-1]}' have no partner",
            file=config_file,
            key="panel_key",
            fix=(
                f"check that '{key}' holds the same id in every wave (format, prefixes, case); map"
                " the right column under each source's `columns:`, or declare `type: independent`"
                " if different people were interviewed"
            ),
        )


_DESIGN_VALUE = {
    "weight": "positive weight (a finite number above 0)",
    "fpc": "positive `fpc` (the stratum's PSUs in the population, or its sampling fraction)",
}


def check_design_values(frame: pd.DataFrame, design: Design, config_file: str) -> None:
    """Weights and finite population corrections must be positive finite numbers and clusters known
    for every kept respondent."""
    for key, var in (
        ("weight", design.weight),
        ("cluster", design.cluster),
        ("strata", design.strata),
        ("panel_key", design.panel_key),
        ("fpc", design.fpc),
    ):
        if not var:
            continue
        values = frame[var]
        bad = values.isna()
        if key in ("weight", "fpc"):
            num = pd.to_numeric(values, errors="coerce").astype(float)
            bad = ~(np.isfinite(num) & (num > 0))  # NaN, text, inf, 0 and negatives
        if bad.any():
            first = frame.loc[bad].iloc[0]
            raise InputError(
                f"design {key} '{var}' is missing or invalid for {int(bad.sum())} kept"
                " respondent(s)",
                file=str(first["source_file"]),
                column=var,
                row=int(first["source_row"]),
                fix=(
                    "give every respondent a "
                    f"{_DESIGN_VALUE.get(key, key)}, "
                    "or exclude those rows with an `exclusions:` rule"
                ),
            )


def check_row_accounting(file: str, n_raw: int, kept_rows, excluded_rows) -> None:
    """Every raw row 1..n_raw is either kept or excluded, exactly once. Raises
    RowAccountingError."""
    everything = np.concatenate(
        [np.asarray(kept_rows, dtype=np.int64), np.asarray(excluded_rows, dtype=np.int64)]
    )
    if len(everything) == n_raw and np.array_equal(np.sort(everything), np.arange(1, n_raw + 1)):
        return
    counts = pd.Series(everything).value_counts()
    lost = sorted(set(range(1, n_raw + 1)) - set(everything))[:10]
    raise RowAccountingError(
        f"{file}: {n_raw} raw rows but {len(kept_rows)} kept + {len(excluded_rows)} excluded"
        f" (rows neither kept nor excluded: {lost}; counted twice: "
        f"{sorted(counts[counts > 1].index)[:10]})"
    )


def _unknown_error(
    unknown: pd.DataFrame, frame: pd.DataFrame, source: Source, config_file: str
) -> InputError:
    counts = unknown.groupby(["raw_column", "variable", "raw_value"]).size().reset_index(name="n")
    first = unknown.iloc[0]
    listing = "; ".join(
        f"{r.raw_column}={r.raw_value!r} ({r.n} rows)" for r in counts.head(8).itertuples()
    )
    return InputError(
        f"{len(unknown)} raw value(s) have no mapping in the codebook: {listing}",
        file=source.file,
        column=str(first["raw_column"]),
        row=int(first["row_index"]) + 1,
        fix=(
            f"add these values to `values:` (or `missing:`) of variable '{first['variable']}' in"
            f" {config_file}, or correct the raw export"
        ),
    )


def redact_free_text(kept: pd.DataFrame, log: pd.DataFrame, scanned, pii: pd.DataFrame | None):
    """Redact phone numbers, e-mail addresses and the row's own PII values from published free text
    (analysis.cleaning.free_text), in the kept rows and in their log rows. Returns (kept, log,
    redaction log rows).
    """
    logs = []
    for var in sorted(v for v in scanned if v in kept.columns):
        kept[var], counts = redact(kept[var], pii)
        if len(counts):
            logs.append(
                pd.DataFrame(
                    {
                        "row_index": counts["row_index"].to_numpy(),
                        "variable": var,
                        "raw_value": WITHHELD,
                        "clean_value": kept.loc[counts["row_index"], var].to_numpy(dtype=object),
                        "rule": redaction_rule(counts).to_numpy(),
                        "severity": "change",
                    }
                )
            )
        mine = (log["variable"] == var).to_numpy(dtype=bool)
        if mine.any():
            rows = log.loc[mine, "row_index"].to_numpy()
            raw, _ = redact(
                pd.Series(log.loc[mine, "raw_value"].to_numpy(), index=rows).astype(ARROW_TEXT),
                pii.reindex(rows) if pii is not None else None,
            )
            log.loc[mine, "raw_value"] = raw.to_numpy(dtype=object)
            log.loc[mine, "clean_value"] = (
                kept[var].reindex(rows).astype(object).fillna("NA").to_numpy(dtype=object)
            )
    return kept, log, logs


def _check_unknown_codes(
    h: Harmonised,
    keep: np.ndarray,
    excluded: pd.DataFrame,
    dataset: Dataset,
    source: Source,
    config_file: str,
) -> None:
    """Raw values without a codebook mapping stop the run when their row is kept, or when they
    decided the row's exclusion."""
    unknown, frame = h.unknown, h.frame
    unknown_kept = (
        unknown[
            unknown["row_index"].isin(frame.index[keep])
            | decided_by_unknown(unknown, excluded, dataset.exclusions)
        ]
        if len(unknown)
        else unknown
    )
    if len(unknown_kept):
        raise _unknown_error(unknown_kept, frame, source, config_file)


def _warning_logs(
    kept: pd.DataFrame,
    dataset: Dataset,
    source: Source,
    config_file: str,
    consumers: dict | None,
    withheld: frozenset,
) -> list[pd.DataFrame]:
    """Log rows that flag kept values: uncovered band values, broken consistency checks, dates
    after the end of fieldwork (in that order)."""
    return [
        band_coverage(kept, dataset.derive, consumers or {}, config_file, source),
        consistency_warnings(kept, dataset.checks, config_file, withheld),
        late_dates(kept, dataset, source, config_file),
    ]


def _source_log(
    log: pd.DataFrame,
    extra_logs: list[pd.DataFrame],
    withheld: frozenset,
    source: Source,
    record_ids: pd.Series | None,
) -> pd.DataFrame:
    """The file's change log (withheld variables left out) and the extra log rows, with the file,
    wave, 1-based source row and record id of every row."""
    extra_logs = [e.astype({c: ARROW_TEXT for c in LOG_COLUMNS}) for e in extra_logs]
    if withheld:
        log = log[~log["variable"].isin(list(withheld)).to_numpy(dtype=bool)]
    log = pd.concat([log] + extra_logs, ignore_index=True)
    log["source_file"], log["wave"] = source.file, source.wave
    log["source_row"] = log["row_index"].astype(int) + 1
    log["record_id"] = (
        record_ids.reindex(log["row_index"]).array if record_ids is not None else None
    )
    return log


def _respondent_columns(
    kept: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    value_sets: dict,
    derivations: dict[str, Derivation],
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """Respondent rows: (kept rows, ids interviewed twice in this file or None without
    respondent_id, values seen for indicator variables without a value set). The indicator
    columns are added over all sources (`clean_dataset`): a winsorised mean pools the waves."""
    duplicates = duplicate_interviews(kept) if "respondent_id" in kept else None
    observed = observed_values(kept, indicators, country, value_sets, derivations)
    return kept, duplicates, observed


def _row_accounting(source: Source, n_raw: int, kept: pd.DataFrame, excluded: pd.DataFrame) -> dict:
    """One file's row accounting: raw rows, kept rows, excluded rows (counts)."""
    return {
        "source_file": source.file,
        "wave": source.wave,
        "raw_rows": n_raw,
        "kept": len(kept),
        "excluded": len(excluded),
    }


def _without_withheld(kept: pd.DataFrame, withheld: frozenset) -> pd.DataFrame:
    """The kept rows without the withheld free-text columns (the same frame when there are none)."""
    dropped = [c for c in withheld if c in kept.columns]
    if dropped:
        kept = kept.drop(columns=dropped)
    return kept


def clean_source(
    root: Path,
    dataset: Dataset,
    source: Source,
    config_file: str,
    indicators: list[Indicator],
    country: str,
    consumers: dict | None = None,
) -> SourceResult:
    """Everything that concerns one source file: harmonise, exclude, check codes, redact, derive,
    warn, log, count, and (respondents) the indicator columns. Returns (kept rows, exclusions, log,
    row accounting). Runs in a worker process for large datasets, so it takes and returns only
    picklable values (a `SourceResult`).
    `consumers`: variable -> what uses it (tables, indicators, design), for `band_coverage`."""
    policy = dataset_text_policy(dataset)
    h = harmonise_source(root, dataset, source, config_file, keep_pii=bool(policy.scanned))
    frame, log, n_raw = h.frame, h.log, h.n_raw
    id_var = dataset.record_key
    excluded = apply_exclusions(frame, dataset.exclusions, config_file, h.blank)
    keep = ~frame.index.isin(excluded.index)
    _check_unknown_codes(h, keep, excluded, dataset, source, config_file)
    record_ids = (
        frame[id_var] if id_var in frame else None
    )  # as harmonised: `derive` may overwrite the column
    kept = frame if keep.all() else frame[keep].copy()
    log = log if keep.all() else log[log["row_index"].isin(kept.index)]
    kept, log, extra_logs = redact_free_text(kept, log, policy.scanned, h.pii)
    kept = derive(kept, dataset.derive, extra_logs)
    extra_logs += _warning_logs(kept, dataset, source, config_file, consumers, policy.withheld)
    log = _source_log(log, extra_logs, policy.withheld, source, record_ids)
    excluded["record_id"] = (
        record_ids.loc[excluded.index].to_numpy() if record_ids is not None else None
    )
    check_row_accounting(source.file, n_raw, kept["source_row"], excluded["source_row"])
    accounting = _row_accounting(source, n_raw, kept, excluded)
    duplicates, observed = None, None
    if dataset.role == "respondents":
        kept, duplicates, observed = _respondent_columns(
            kept, indicators, country, h.value_sets, dataset.derive
        )
    kept = _without_withheld(kept, policy.withheld)
    return SourceResult(
        kept,
        excluded,
        _compact_log(_sorted_log(log)),
        accounting,
        duplicates,
        h.value_sets,
        observed,
    )


def dataset_text_policy(dataset: Dataset) -> TextPolicy:
    """analysis.cleaning.free_text.text_policy, with the core respondent columns always published in
    a respondents dataset."""
    return text_policy(dataset, CORE_RESPONDENT_COLUMNS if dataset.role == "respondents" else ())


def _condition_variables(conditions: list[Condition]) -> list[str]:
    return [c.variable for c in conditions]


def _table_uses(tables: dict[str, Table], dataset_name: str) -> list[tuple[str, str]]:
    """(variable, what) for the rows, columns and filter of each table of this dataset."""
    uses = []
    for name, table in tables.items():
        if table.dataset != dataset_name:
            continue
        uses += [(dim.variable, f"table '{name}'") for dim in [table.rows] + table.columns]
        uses += [
            (v, f"the filter of table '{name}'") for v in _condition_variables(table.filter or [])
        ]
    return uses


def consumers_of(project: Project, country: str, dataset_name: str) -> dict[str, list[str]]:
    """Variable -> what uses it in the results: the country's indicators, the tables of this dataset
    (rows, columns, filter), `estimate_groups` and the design (respondents)."""
    cfg = project.countries[country]
    dataset = cfg.datasets[dataset_name]
    found: list[tuple[str | None, str]] = list(_table_uses(cfg.tables, dataset_name))
    if dataset.role == "respondents":
        found += [
            (variable, f"indicator '{ind.id}'")
            for ind, how in measured(project.indicators, country)
            for variable in variables_read(project.indicators, country, how)
        ]
        found += [(group, "`estimate_groups`") for group in cfg.estimate_groups]
        design = dataset.design
        found += [
            (variable, f"the design's `{key}`")
            for key, variable in (
                ("panel_key", design.panel_key),
                ("cluster", design.cluster),
                ("strata", design.strata),
                ("weight", design.weight),
                ("fpc", design.fpc),
                ("panel_weight", design.panel_weight),
            )
        ]
    uses: dict[str, list[str]] = {}
    for variable, what in found:
        if variable:
            uses.setdefault(variable, []).append(what)
    return uses


def check_withheld_not_shown(consumers: dict, withheld, config_file: str) -> None:
    """A table or an estimate group cannot show withheld free text."""
    for variable, uses in consumers.items():
        shown = [u for u in uses if "table" in u or "estimate_groups" in u]
        if variable in withheld and shown:
            raise InputError(
                f"{shown[0]} uses '{variable}', a free-text variable (type: text) that is kept out"
                " of the processed data",
                file=config_file,
                key=variable,
                fix=(
                    f"add `publish: true` to variable '{variable}' under `variables:` (its text is"
                    " then published with phone numbers, e-mail addresses and `pii:` values"
                    " redacted), or use another variable"
                ),
            )


def merge_value_sets(parts: list, dataset: Dataset) -> dict:
    """Union over source files of the values each variable can take (None: not enumerable), then the
    derived variables: bands -> their labels (+ the fallback's values), map -> the mapped values,
    copy -> the copied variable's, constant -> itself, concat -> not enumerable."""
    merged: dict = {}
    for part in parts:
        for variable, values in (part.value_sets or {}).items():
            if variable in merged and merged[variable] is None or values is None:
                merged[variable] = None
            else:
                merged[variable] = merged.get(variable, set()) | values
    return _with_derived(merged, dataset.derive)


def _with_derived(merged: dict, derivations: dict[str, Derivation]) -> dict:
    """`merged` (variable -> possible values) with the values of each derived variable added, in
    config order."""
    for name, spec in derivations.items():
        if isinstance(spec, BandsDerivation):
            fallback = merged.get(spec.fallback, None) if spec.fallback else set()
            merged[name] = None if fallback is None else {b.label for b in spec.bands} | fallback
        elif isinstance(spec, MapDerivation):
            merged[name] = {v for v in spec.map.values() if not _is_null(v)}
        elif isinstance(spec, CopyDerivation):
            merged[name] = merged.get(spec.copy_of)
        elif isinstance(spec, ConstantDerivation):
            merged[name] = set() if _is_null(spec.constant) else {spec.constant}
        else:
            merged[name] = None
    return merged


def observed_values(
    kept: pd.DataFrame,
    indicators: list[Indicator],
    country: str,
    value_sets: dict,
    derivations: dict[str, Derivation],
) -> dict:
    """For indicator variables whose values cannot be listed from the codebook: the values in these
    kept rows (for `any_of`: the space-separated choices)."""
    known = _with_derived(dict(value_sets), derivations)
    out: dict[str, set] = {}
    for _, how in measured(indicators, country):
        for variable in variables_read(indicators, country, how):
            if variable not in kept.columns or known.get(variable) is not None:
                continue
            values = kept[variable].dropna()
            if isinstance(how, AnyOfMapping):
                values = values.astype(str).str.split().explode().dropna()
            out[variable] = out.get(variable, set()) | set(pd.unique(values.to_numpy(dtype=object)))
    return out


def _indicator_file(project: Project, country: str, indicator_id: str) -> str:
    own = {i.id for i in project.countries[country].indicators}
    return f"config/countries/{country}.yaml" if indicator_id in own else "config/indicators.yaml"


YAML_BOOLEAN_WORDS = {"yes", "no", "true", "false", "on", "off", "y", "n"}


def _is_known(value, allowed: set) -> bool:
    try:
        return value in allowed
    except TypeError:  # an unhashable value from config: never a value of the data
        return False


def _unknown_value_hint(value, allowed: set) -> str:
    """The start of a fix for a config value that the variable never takes: the near match, the YAML
    boolean trap (unquoted Yes/No are true/false), numbers written as text, codes where labels are
    meant."""
    names = sorted(map(str, allowed))
    words = [a for a in names if a.casefold() in YAML_BOOLEAN_WORDS]
    if isinstance(value, bool) and words:
        same = [a for a in words if (a.casefold() in ("yes", "true", "on", "y")) == value] or words
        return (
            f"YAML reads an unquoted yes/no/true/false/on/off as {str(value).lower()}: put the"
            " label in quotes "
            f'(e.g. "{same[0]}"); '
        )
    near = [a for a in names if a.casefold() == str(value).casefold()] or difflib.get_close_matches(
        str(value), names, n=1, cutoff=0.6
    )
    if near and near[0] == str(value):
        return f"write {near[0]} without quotes (the variable holds numbers); "
    if near:
        return f"did you mean {near[0]!r}? "
    if not isinstance(value, str) and all(isinstance(a, str) for a in allowed):
        return (
            "the variable holds labels, not the raw codes: list the labels (e.g."
            f" {sorted(allowed)[-1]!r}); "
        )
    return ""


def _value_listing(allowed: set) -> str:
    return ", ".join(repr(a) for a in sorted(allowed, key=str)[:12]) + (
        ", …" if len(allowed) > 12 else ""
    )


def _listed_values(how: IndicatorMapping) -> list[tuple[str, list]]:
    """(key, values) of the values an indicator mapping lists that its variables must take:
    `positive:` and `missing:`, `any_of:` (select-multiple), the labels under `scores:`."""
    if isinstance(how, AnyOfMapping):
        return [("any_of", how.any_of)]
    if isinstance(how, ScaleMapping):
        return [("scores", list(how.scores or {})), ("missing", how.missing)]
    if isinstance(how, CutoffMapping):
        return []
    return [("positive", getattr(how, "positive", [])), ("missing", how.missing_codes)]


def _allowed_values(variables: list[str], value_sets: dict, observed: dict):
    """(values any of the variables can take, where they come from), or (None, _) when unknown."""
    allowed, where = set(), "its labels and codes"
    for variable in variables:
        values = value_sets.get(variable)
        if values is None:
            values, where = observed.get(variable), "the values in the data"
        if not values:
            return None, where  # unknown variable or no answers: check_indicators says so
        allowed |= values
    return allowed, where


def check_indicator_values(
    project: Project, country: str, value_sets: dict, observed: dict
) -> None:
    """Every value an indicator lists under `positive:`, `any_of:`, `missing:` or `scores:` is one
    its variable can take (its labels or codes after the codebook; for text and numbers, a value in
    the data); over several items, one that some item takes. `positive: [1]` where the labels are
    Yes/No, or "Strongly Agree" where the label is "Strongly agree", would silently give a wrong
    share.
    """
    for ind, how in measured(project.indicators, country):
        variables = how.variables
        allowed, where = _allowed_values(variables, value_sets, observed)
        if not allowed:
            continue
        for key, values in _listed_values(how):
            for value in values:
                if _is_known(value, allowed):
                    continue
                raise InputError(
                    f"indicator '{ind.id}' lists {value!r} under `{key}:`, but"
                    f" {' / '.join(repr(v) for v in variables)} never"
                    f" take{'s' if len(variables) == 1 else ''} that value"
                    f" ({where}: {_value_listing(allowed)})",
                    file=_indicator_file(project, country, ind.id),
                    key=ind.id,
                    fix=(
                        f"{_unknown_value_hint(value, allowed)}write the value exactly as the"
                        " harmonised variable holds it (case, spacing, labels after"
                        " `values:`/`recode:`)"
                    ),
                )
        _check_items_can_be_positive(project, country, ind.id, how, value_sets, observed)


def _check_items_can_be_positive(
    project: Project, country: str, ind_id: str, how, value_sets: dict, observed: dict
) -> None:
    """Over several items, each item takes some `positive:` value: an item that never can would
    silently count as negative in every row."""
    if not isinstance(how, (CompositeMapping, CountOfMapping)):
        return
    for item in how.items:
        allowed, where = _allowed_values([item], value_sets, observed)
        if allowed and not any(_is_known(value, allowed) for value in how.positive):
            raise InputError(
                f"indicator '{ind_id}': item '{item}' never takes a `positive:` value"
                f" {how.positive!r} ({where}: {_value_listing(allowed)})",
                file=_indicator_file(project, country, ind_id),
                key=ind_id,
                fix=(
                    "add the item's positive values under `positive:` (exactly as the harmonised"
                    " variable holds them), or remove the item from `items:`"
                ),
            )


def _compared_conditions(
    dataset: Dataset, tables: dict[str, Table], dataset_name: str
) -> list[tuple[str, list]]:
    """(where, conditions) of the exclusion rules, checks and filters of this dataset's tables."""
    rules = [
        (f"exclusion rule '{r.id}'", r.when)
        for r in dataset.exclusions
        if isinstance(r, ConditionRule)
    ]
    rules += [(f"check '{c.warning}'", c.when) for c in dataset.checks]
    rules += [
        (f"the filter of table '{n}'", t.filter)
        for n, t in tables.items()
        if t.dataset == dataset_name and t.filter
    ]
    return rules


def check_condition_values(
    dataset: Dataset,
    tables: dict[str, Table],
    dataset_name: str,
    value_sets: dict,
    config_file: str,
) -> None:
    """The values that exclusion rules, checks and table filters compare a categorical variable with
    (`equals`, `not_equals`, `in`, `not_in`) are values it can take.
    `{variable: consent, not_equals: Yes}` unquoted in YAML compares with the boolean true and would
    exclude every interview; a misspelt label would match nothing. Variables whose values cannot be
    listed (text, numbers) are not checked."""
    for where, conditions in _compared_conditions(dataset, tables, dataset_name):
        for cond in conditions:
            allowed = value_sets.get(cond.variable)
            if not allowed:
                continue
            for op, compared in cond.operators:
                if op not in ("equals", "not_equals", "in", "not_in"):
                    continue
                for value in compared if isinstance(compared, list) else [compared]:
                    if _is_null(value) or _is_known(value, allowed):
                        continue
                    raise InputError(
                        f"{where} compares '{cond.variable}' with {value!r} (`{op}:`), a value it"
                        f" never takes ({_value_listing(allowed)})",
                        file=config_file,
                        key=cond.variable,
                        fix=(
                            f"{_unknown_value_hint(value, allowed)}write the value exactly as the"
                            " harmonised variable holds it (case, spacing, labels after"
                            " `values:`/`recode:`)"
                        ),
                    )


class _PanelFlag(NamedTuple):
    """Panel pairs flagged by one check: which pairs, the variable, its values at the earlier and
    the later wave, and the log rule."""

    hit: np.ndarray
    variable: str
    earlier_values: pd.Series
    later_values: pd.Series
    rule: str


def _panel_pairs(
    data: pd.DataFrame, key: str, columns: list[str], earlier: str, later: str
) -> pd.DataFrame:
    """Rows of `later` joined to the row of `earlier` with the same panel id (earlier columns
    suffixed `_0`); rows without a panel id are left out."""
    a = data.loc[(data["wave"] == earlier).to_numpy() & data[key].notna().to_numpy(), columns]
    b = data.loc[(data["wave"] == later).to_numpy() & data[key].notna().to_numpy(), columns]
    return a.merge(b, on=key, suffixes=("_0", ""))


def _sex_flag(pairs: pd.DataFrame, earlier: str, later: str) -> _PanelFlag:
    """Pairs whose sex is known at both waves and differs."""
    s0, s1 = pairs["sex_0"].astype(object), pairs["sex"].astype(object)
    differs = (s0.notna() & s1.notna() & (s0 != s1)).to_numpy(dtype=bool)
    return _PanelFlag(
        differs,
        "sex",
        s0,
        s1,
        (
            f"panel id may pair two different people: sex differs between '{earlier}'"
            f" and '{later}' (kept; check the id)"
        ),
    )


def _age_flag(
    pairs: pd.DataFrame, earlier: str, later: str, tolerance: float, gap: float | None
) -> _PanelFlag | None:
    """Pairs whose change in age (years) is further than `tolerance` years from the expected
    change: `gap` when given, else the median change of all pairs. None when no pair has both
    ages."""
    a0 = pd.to_numeric(pairs["age_0"], errors="coerce").astype(float)
    a1 = pd.to_numeric(pairs["age"], errors="coerce").astype(float)
    change = a1 - a0
    if not change.notna().any():
        return None
    expected = float(gap) if gap is not None else float(change.median())
    basis = "years_between_waves" if gap is not None else "the median change"
    off = (change.notna() & ((change - expected).abs() > tolerance)).to_numpy(dtype=bool)
    return _PanelFlag(
        off,
        "age",
        pairs["age_0"],
        pairs["age"],
        (
            "panel id may pair two different people: age changes by more than"
            f" {tolerance:g} years from the expected {expected:g} ({basis}) between"
            f" '{earlier}' and '{later}' (kept; check the id)"
        ),
    )


def _panel_flag_rows(
    pairs: pd.DataFrame, flag: _PanelFlag, earlier: str, later: str, id_var: str, key: str
) -> pd.DataFrame:
    """Warning log rows (at the later interview) for the pairs one check flagged, showing both
    waves' values."""
    hit = flag.hit
    shown = (
        flag.earlier_values[hit].astype(object).fillna("NA").astype(str)
        + f" ({earlier}) | "
        + flag.later_values[hit].astype(object).fillna("NA").astype(str).to_numpy()
        + f" ({later})"
    ).to_numpy(dtype=object)
    rows = pairs[hit]
    return pd.DataFrame(
        {
            "source_file": rows["source_file"].to_numpy(),
            "wave": later,
            "source_row": rows["source_row"].to_numpy(dtype=np.int64),
            "record_id": (
                rows[id_var if id_var != key else key].to_numpy(dtype=object)
                if id_var in rows
                else None
            ),
            "variable": flag.variable,
            "raw_value": shown,
            "clean_value": shown,
            "rule": flag.rule,
            "severity": "warning",
        }
    )


def panel_consistency_warnings(
    data: pd.DataFrame, design: Design, waves: list[str], id_var: str
) -> pd.DataFrame:
    """Panel pairs that may be two different people, flagged (kept) in the cleaning log at the later
    interview: sex differs, or the change in age between consecutive waves is further than
    `age_tolerance_years` (default
    2) from the expected change. The expected change is
       `design.panel_consistency.years_between_waves` when
    given, else the median change of all pairs of those two waves (the time between the waves as the
    data show it). Returns log rows with CLEANING_LOG_COLUMNS except `dataset` (empty when nothing
    is flagged).
    """
    if not design.is_panel or not design.panel_key:
        return pd.DataFrame()
    key = design.panel_key
    tolerance = design.panel_consistency.age_tolerance_years
    gap = design.panel_consistency.years_between_waves
    columns = list(
        dict.fromkeys(
            c for c in (key, "sex", "age", "source_file", "source_row", id_var) if c in data.columns
        )
    )
    out = []
    for earlier, later in zip(waves, waves[1:]):
        pairs = _panel_pairs(data, key, columns, earlier, later)
        if pairs.empty:
            continue
        flags = [_sex_flag(pairs, earlier, later)] if "sex" in pairs else []
        age = _age_flag(pairs, earlier, later, tolerance, gap) if "age" in pairs else None
        if age is not None:
            flags.append(age)
        for flag in flags:
            if not flag.hit.any():
                continue
            out.append(_panel_flag_rows(pairs, flag, earlier, later, id_var, key))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _ordered_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Columns ordered: the core respondent columns present, the other variables, provenance."""
    lead = [c for c in CORE_RESPONDENT_COLUMNS if c in data.columns]
    return data[
        lead + [c for c in data.columns if c not in lead + PROVENANCE_COLUMNS] + PROVENANCE_COLUMNS
    ]


def _dataset_log(parts: list[SourceResult], dataset_name: str) -> pd.DataFrame:
    """The sources' logs as one cleaning log, ordered by source file, row and variable."""
    files = [p.accounting["source_file"] for p in parts]
    if len(set(files)) == len(
        files
    ):  # each part is ordered by row and variable: order the parts by file
        log = _concat_logs([parts[i].log for i in sorted(range(len(parts)), key=files.__getitem__)])
    else:
        log = _sorted_log(_concat_logs([p.log for p in parts]))
    return log.assign(dataset=dataset_name)[CLEANING_LOG_COLUMNS].reset_index(drop=True)


def _check_core_columns(data: pd.DataFrame, config_file: str) -> None:
    """Respondent data have every core respondent column."""
    missing = [c for c in CORE_RESPONDENT_COLUMNS if c not in data.columns]
    if missing:
        raise InputError(
            f"respondent data lack harmonised column(s) {missing}",
            file=config_file,
            column=missing[0],
            fix="define them under `variables:` or `derive:` of the respondents dataset",
        )


def _check_one_interview_each(
    data: pd.DataFrame, parts: list[SourceResult], waves: list[str]
) -> None:
    """One interview per respondent and wave; with one file per wave, the duplicates the sources
    found already are used."""
    one_file_per_wave = len(set(waves)) == len(waves) and all(
        p.duplicates is not None for p in parts
    )
    check_unique_respondents(
        data, pd.concat([p.duplicates for p in parts]) if one_file_per_wave else None
    )


def _with_panel_warnings(
    log: pd.DataFrame, data: pd.DataFrame, dataset: Dataset, dataset_name: str, waves: list[str]
) -> pd.DataFrame:
    """The cleaning log with the panel consistency warnings added in order (unchanged when none)."""
    flagged = panel_consistency_warnings(
        data, dataset.design, list(dict.fromkeys(waves)), dataset.record_key
    )
    if len(flagged):
        flagged = flagged.assign(dataset=dataset_name).astype({c: ARROW_TEXT for c in LOG_COLUMNS})
        log = _sorted_log(
            pd.concat([log, flagged[CLEANING_LOG_COLUMNS]], ignore_index=True)
        ).reset_index(drop=True)
    return log


def _with_indicator_log(
    log: pd.DataFrame,
    rows: list[pd.DataFrame],
    data: pd.DataFrame,
    dataset: Dataset,
    dataset_name: str,
) -> pd.DataFrame:
    """The cleaning log with the indicator changes (winsorised, transformed values) added in order
    (unchanged when none)."""
    rows = [r for r in rows if len(r)]
    if not rows:
        return log
    changes = pd.concat(rows, ignore_index=True)
    at = changes["row_index"].to_numpy()
    record = data[dataset.record_key] if dataset.record_key in data else None
    changes = changes.assign(
        dataset=dataset_name,
        source_file=data["source_file"].to_numpy()[at],
        wave=data["wave"].to_numpy()[at],
        source_row=data["source_row"].to_numpy()[at],
        record_id=record.to_numpy()[at] if record is not None else None,
    ).astype({c: ARROW_TEXT for c in LOG_COLUMNS})
    return _sorted_log(
        pd.concat([log, changes[CLEANING_LOG_COLUMNS]], ignore_index=True)
    ).reset_index(drop=True)


def _check_respondent_values(
    project: Project,
    country: str,
    dataset: Dataset,
    data: pd.DataFrame,
    parts: list[SourceResult],
    value_sets: dict,
    config_file: str,
) -> None:
    """Checks over all respondent rows: panel ids match, indicator values are values the variable
    can take, indicators have answers in every wave, design variables (the arm too) are usable."""
    check_panel_matching(data, dataset.design, config_file)
    observed: dict = {}
    for p in parts:
        for variable, values in (p.observed or {}).items():
            observed[variable] = observed.get(variable, set()) | values
    check_indicator_values(project, country, value_sets, observed)
    check_indicators(data, project.indicators, country, config_file)
    check_design_values(data, dataset.design, config_file)
    if dataset.design.arm:  # every respondent in one of the two arms, a panel member in one only
        arm_labels(data, dataset.design, country)


def concat_releasing(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """`pd.concat(frames, ignore_index=True)` that empties `frames` as it goes: frames with the same
    columns are joined column by column, each part's column dropped once joined, so memory holds
    the parts and the result together one column at a time, not whole. Other frames: pd.concat."""
    columns = list(frames[0].columns) if frames else []
    if len(frames) < 2 or any(list(f.columns) != columns for f in frames):
        return pd.concat(frames, ignore_index=True)
    joined = {}
    for column in columns:
        joined[column] = pd.concat([f[column] for f in frames], ignore_index=True)
        for f in frames:
            del f[column]
    return pd.DataFrame(joined)


def clean_dataset(
    project: Project, country: str, dataset_name: str, workers: int = 1
) -> CleanResult:
    """Clean every source of one dataset of one country (see module docstring); `workers` processes
    read sources."""
    root = project.root
    cfg = project.countries[country]
    dataset = cfg.datasets[dataset_name]
    config_file = f"config/countries/{country}.yaml"
    consumers = consumers_of(project, country, dataset_name)
    check_withheld_not_shown(consumers, dataset_text_policy(dataset).withheld, config_file)
    parts = list(
        cleaned_sources(root, dataset, config_file, project.indicators, country, workers, consumers)
    )
    data = concat_releasing([p.kept for p in parts])
    indicator_log: list[pd.DataFrame] = []
    if dataset.role == "respondents":
        data = add_indicator_columns(data, project.indicators, country, indicator_log)
    data = _ordered_columns(data)
    exclusions = pd.concat([p.excluded for p in parts], ignore_index=True).assign(
        dataset=dataset_name
    )[EXCLUSION_COLUMNS]
    log = _dataset_log(parts, dataset_name)
    respondents = dataset.role == "respondents"
    value_sets = merge_value_sets(parts, dataset)
    check_condition_values(dataset, cfg.tables, dataset_name, value_sets, config_file)
    if respondents:
        _check_core_columns(data, config_file)
        waves = [p.accounting["wave"] for p in parts]
        _check_one_interview_each(data, parts, waves)
        log = _with_panel_warnings(log, data, dataset, dataset_name, waves)
        log = _with_indicator_log(log, indicator_log, data, dataset, dataset_name)
    large = len(data) >= BACKGROUND_ENCODE_ROWS
    parquet = _in_background(parquet_bytes, data) if large else None
    log_csv = _in_background(csv_bytes, log) if large else None
    if respondents:
        _check_respondent_values(project, country, dataset, data, parts, value_sets, config_file)
    accounting = pd.DataFrame([p.accounting for p in parts]).assign(dataset=dataset_name)[
        ACCOUNTING_COLUMNS
    ]
    return CleanResult(data, exclusions.reset_index(drop=True), log, accounting, parquet, log_csv)


LOG_TEXT_COLUMNS = ["source_file", "wave"] + LOG_COLUMNS


def _compact_log(log: pd.DataFrame) -> pd.DataFrame:
    """Repetitive log text (file, wave, variable, values, rule) as categoricals with sorted
    categories: a fraction of the memory, and cheap to pass between processes. The CSV bytes do not
    change."""
    return log.astype({c: "category" for c in LOG_TEXT_COLUMNS})


def _concat_logs(logs: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate compact logs; the repetitive columns become arrow-backed text again (decoded by
    pyarrow)."""
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
    keys = (
        np.arange(len(log)),
        pd.factorize(log["variable"], sort=True)[0],
        log["source_row"].to_numpy(dtype=np.int64),
        pd.factorize(log["source_file"], sort=True)[0],
    )
    return log.iloc[np.lexsort(keys)]


def write_clean_outputs(
    result: CleanResult,
    data_path: Path,
    exclusions_path: Path,
    log_path: Path,
    accounting_path: Path,
) -> None:
    """Write the four outputs (Parquet for data, CSV for the rest); deterministic bytes."""
    data_path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(result.exclusions, exclusions_path)
    write_csv(result.accounting, accounting_path)
    Path(log_path).write_bytes(result.log_csv.result() if result.log_csv else csv_bytes(result.log))
    Path(data_path).write_bytes(
        result.parquet.result() if result.parquet else parquet_bytes(result.data)
    )
