"""The paper's words audited: every comparative or quantified sentence of the statement register
(config/claims/<paper>_statements.yaml), its numeric reading checked against the printed numbers
and, where it names a recomputable indicator, against the pipeline's tables.

Public surface: `load_statements(path, root, claims)` -> StatementRegister,
`audit_statements(project, register, claims, tables_dir)` -> DataFrame (reports/audit/
statements.csv, one row per statement, `STATEMENT_COLUMNS`), `statement_findings(frame)` -> the
lines of findings.md's section "The paper's words".

Inputs per country (reports/tables/<country>/): estimates.csv (levels, their 95% intervals),
shifts.csv (first-to-last-wave changes with their tests, and the difference between two groups'
changes), comparisons.csv (two groups at one wave with their test; when it is absent the
significance of a group comparison is "not run: comparisons.csv missing"). Checks:
analysis.audit.statement_checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from analysis.audit import statement_checks as sc
from analysis.audit.recompute import first_to_last
from analysis.config import check_unique_ids, read_validated
from analysis.csv_files import read_output_csv
from analysis.errors import InputError
from analysis.escaping import markdown_text
from analysis.model import OVERALL, Claim, ClaimsRegistry, Project

STATEMENT_COLUMNS = [
    "id",
    "section",
    "kind",
    "quote",
    "wording",
    "reading",
    "printed",
    "recomputed",
    "arithmetic",
    "direction",
    "significance",
    "printed_test",
    "status",
    "label",
    "depends_on_reconstruction",
    "basis",
    "note",
]
DEFAULT_WAVE = "endline"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadingSpec(_Strict):
    relation: str  # one of statement_checks.READING_RELATIONS (the schema's enum)
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = "percent"

    def reading(self) -> sc.Reading:
        return sc.Reading(self.relation, self.value, self.low, self.high, self.unit)


class ReconstructionSpec(_Strict):
    """The recomputable indicator a reading refers to."""

    country: str
    indicator: str
    wave: str = DEFAULT_WAVE
    group_var: str = OVERALL
    groups: Annotated[list[str], Field(min_length=1)] = ["All"]


class Statement(_Strict):
    id: str
    section: str
    quote: str
    kind: str
    wording: str
    reading: ReadingSpec | None = None
    printed: list[str] = []
    reconstruction: ReconstructionSpec | None = None
    not_checkable: str | None = None
    note: str = ""


class StatementRegister(_Strict):
    claims: str
    statements: Annotated[list[Statement], Field(min_length=1)]


def _reading_error(statement: Statement) -> str | None:
    """What a statement's reading lacks for its relation (thresholds, operand counts), or None."""
    r = statement.reading
    if r is None:
        return None
    if r.relation in ("at_least", "more_than", "less_than", "sum_at_most") and r.value is None:
        return f"relation {r.relation} needs `value`"
    if r.relation == "between" and (r.low is None or r.high is None or r.low >= r.high):
        return "relation between needs `low` < `high`"
    groups = statement.reconstruction.groups if statement.reconstruction else None
    if r.relation in sc.COMPARISONS:
        if statement.printed and len(statement.printed) != 2:
            return f"relation {r.relation} compares two printed claims [a, b]"
        if groups is not None and len(groups) != 2:
            return f"relation {r.relation} compares two groups [a, b]"
    if r.relation in sc.CHANGES and len(statement.printed) > 2:
        return "a change reads [baseline, endline] or [change]"
    return None


def load_statements(path: Path, root: Path, claims: ClaimsRegistry) -> StatementRegister:
    """Read and validate a statement register (config/schemas/statements.schema.json); check that
    ids are unique, readings complete and printed claim ids known to the claims registry."""
    register, source = read_validated(path, root, "statements", StatementRegister)
    check_unique_ids([s.id for s in register.statements], source, "statement")
    known = {c.id for c in claims.claims}
    for s in register.statements:
        unknown = [c for c in s.printed if c not in known]
        if unknown:
            raise InputError(
                f"statement {s.id} refers to unknown claims {unknown}",
                file=source,
                key=s.id,
                fix=f"use claim ids of {register.claims}",
            )
        problem = _reading_error(s)
        if problem:
            raise InputError(
                f"statement {s.id}: {problem}", file=source, key=s.id, fix="complete the reading"
            )
    return register


@dataclass
class CountryTables:
    """A country's estimates, shifts (first to last wave) and comparisons (None when absent)."""

    directory: Path
    _cache: dict = field(default_factory=dict)

    def _read(self, name: str, dtype: dict) -> pd.DataFrame | None:
        if name not in self._cache:
            path = self.directory / name
            self._cache[name] = read_output_csv(path, dtype=dtype) if path.is_file() else None
        return self._cache[name]

    @cached_property
    def estimates(self) -> pd.DataFrame | None:
        return self._read("estimates.csv", {"wave": str, "group": str})

    @cached_property
    def shifts(self) -> pd.DataFrame | None:
        shifts = self._read("shifts.csv", {"from_wave": str, "to_wave": str, "group": str})
        return None if shifts is None else first_to_last(shifts)

    @cached_property
    def comparisons(self) -> pd.DataFrame | None:
        return self._read("comparisons.csv", {"wave": str, "group_a": str, "group_b": str})


def level_rows(estimates: pd.DataFrame, spec: ReconstructionSpec) -> tuple[pd.DataFrame, list]:
    """The estimates.csv rows of the spec's groups at its wave (in the spec's group order) and the
    groups without an estimable row."""
    e = estimates
    rows = e[
        (e["indicator"] == spec.indicator)
        & (e["wave"] == spec.wave)
        & (e["group_var"] == spec.group_var)
        & e["group"].isin(spec.groups)
        & e["percent"].notna()
    ].drop_duplicates("group")
    missing = [g for g in spec.groups if g not in set(rows["group"])]
    return rows.set_index("group").reindex([g for g in spec.groups if g not in missing]), missing


def change_rows(shifts: pd.DataFrame, spec: ReconstructionSpec) -> tuple[pd.DataFrame, list]:
    """The shifts.csv rows (first to last wave) of the spec's groups and the groups without one."""
    s = shifts
    rows = s[
        (s["indicator"] == spec.indicator)
        & (s["group_var"] == spec.group_var)
        & s["group"].isin(spec.groups)
        & s["diff_pp"].notna()
    ].drop_duplicates("group")
    missing = [g for g in spec.groups if g not in set(rows["group"])]
    return rows.set_index("group").reindex([g for g in spec.groups if g not in missing]), missing


def pair_row(comparisons: pd.DataFrame, spec: ReconstructionSpec) -> pd.Series | None:
    """The comparisons.csv pair row of the spec's two groups at its wave (either order), or None."""
    c = comparisons
    a, b = spec.groups
    pair = ((c["group_a"] == a) & (c["group_b"] == b)) | ((c["group_a"] == b) & (c["group_b"] == a))
    rows = c[
        (c["indicator"] == spec.indicator)
        & (c["group_var"] == spec.group_var)
        & (c["comparison"] == "pair")
        & (c["wave"] == spec.wave)
        & pair
    ]
    return None if rows.empty else rows.iloc[0]


def change_difference_row(shifts: pd.DataFrame, spec: ReconstructionSpec) -> pd.Series | None:
    """The shifts.csv row testing the difference between two groups' changes
    ("<group_var>: <a> - <b>", either order), or None."""
    a, b = spec.groups
    names = {f"{spec.group_var}: {a} - {b}", f"{spec.group_var}: {b} - {a}"}
    s = shifts
    rows = s[(s["indicator"] == spec.indicator) & s["group"].isin(names)]
    return None if rows.empty else rows.iloc[0]


def _printed_check(statement: Statement, claims: dict[str, Claim]) -> sc.Outcome:
    """(a) The reading against the printed numbers it names (None when it names none)."""
    if not statement.printed or statement.reading is None:
        return None
    operands = [
        sc.printed_interval(claims[c].printed, claims[c].decimals, claims[c].bound)
        for c in statement.printed
    ]
    return sc.check_printed(statement.reading.reading(), operands, statement.printed)


def _printed_test(statement: Statement, claims: dict[str, Claim], alpha: float) -> sc.Outcome:
    """(d) Two printed percents with stated bases (claims' `base_n`) compared by the chi-square
    test; only for group comparisons (None otherwise, or without both bases)."""
    if statement.kind != "group_comparison" or len(statement.printed) != 2:
        return None
    pair = [claims[c] for c in statement.printed]
    bases = [c.base_n for c in pair if c.unit == "percent" and c.bound == "exact"]
    if len(bases) != 2 or None in bases:
        return None
    (a, n_a), (b, n_b) = zip(pair, bases)
    return sc.printed_test(
        (a.printed, a.decimals, int(n_a or 0)),
        (b.printed, b.decimals, int(n_b or 0)),
        alpha,
        statement.printed,
    )


def _p_check(row: pd.Series | None, what: str, alpha: float) -> sc.Outcome:
    """(c) p < alpha from a comparisons.csv or shifts.csv row; not run without a row or a p."""
    if row is None:
        return sc.NotRun("significance", f"no {what}")
    if pd.isna(row.get("p_value")):
        return sc.NotRun("significance", str(row.get("note") or "p-value not estimable"))
    holm = row.get("p_holm")
    return sc.check_p_value(
        float(row["p_value"]),
        alpha,
        str(row.get("test") or "test"),
        None if pd.isna(holm) else holm,
    )


def _level_checks(
    reading: sc.Reading, spec: ReconstructionSpec, tables: CountryTables, alpha: float
) -> tuple[str, sc.Outcome, sc.Outcome]:
    """(b, c) Levels at one wave (estimates.csv): the direction or threshold, then the pair's test
    (comparisons.csv) or, for a threshold, the groups' confidence intervals."""
    if tables.estimates is None:
        return "", sc.NotRun("direction", "estimates.csv missing"), None
    rows, missing = level_rows(tables.estimates, spec)
    if missing:
        reason = (
            f"no estimate of {spec.indicator} for {spec.group_var} {', '.join(missing)} at"
            f" {spec.wave} (not in estimates.csv: fewer answers than min_group_n or not estimable)"
        )
        return "", sc.NotRun("direction", reason), None
    names = list(rows.index)
    recomputed = "; ".join(f"{g} {v:.2f}%" for g, v in zip(names, rows["percent"]))
    direction = sc.check_direction(reading, rows["percent"].tolist(), names)
    if reading.relation in sc.COMPARISONS:
        if tables.comparisons is None:
            return recomputed, direction, sc.NotRun("significance", "comparisons.csv missing")
        what = f"pair row {' vs '.join(names)} for {spec.indicator} in comparisons.csv"
        return recomputed, direction, _p_check(pair_row(tables.comparisons, spec), what, alpha)
    intervals = list(zip(rows["ci_low"], rows["ci_high"]))
    if any(pd.isna(x) for pair in intervals for x in pair):
        return recomputed, direction, sc.NotRun("significance", "confidence interval not estimable")
    return recomputed, direction, sc.check_interval(reading, intervals, names)


def _change_checks(
    reading: sc.Reading,
    compare_groups: bool,
    spec: ReconstructionSpec,
    tables: CountryTables,
    alpha: float,
) -> tuple[str, sc.Outcome, sc.Outcome]:
    """(b, c) First-to-last-wave changes (shifts.csv): one group's change and its test, or
    (`compare_groups`) two groups' changes compared and the test of their difference."""
    if tables.shifts is None:
        return "", sc.NotRun("direction", "shifts.csv missing"), None
    rows, missing = change_rows(tables.shifts, spec)
    if missing:
        reason = f"no change of {spec.indicator} for {spec.group_var} {', '.join(missing)}"
        return "", sc.NotRun("direction", reason + " in shifts.csv"), None
    names = list(rows.index)
    recomputed = "; ".join(f"{g} {v:+.2f} pp" for g, v in zip(names, rows["diff_pp"]))
    direction = sc.check_direction(reading, rows["diff_pp"].tolist(), names)
    if compare_groups:
        what = f"row of the difference between the changes of {' and '.join(names)}"
        return (
            recomputed,
            direction,
            _p_check(change_difference_row(tables.shifts, spec), what, alpha),
        )
    return recomputed, direction, _p_check(rows.iloc[0], "shift row", alpha)


def _reconstruction_checks(
    statement: Statement, tables: dict[str, CountryTables], project: Project
) -> tuple[str, sc.Outcome, sc.Outcome]:
    """(b, c) on the data: levels or changes, as the statement's kind and relation say."""
    spec = statement.reconstruction
    if spec is None or statement.reading is None:
        return "", None, None
    if spec.country not in tables:
        return "", sc.NotRun("direction", f"country {spec.country} not configured"), None
    alpha = project.settings_for(spec.country).alpha
    country = tables[spec.country]
    reading = statement.reading.reading()
    compare_groups = statement.kind == "change_comparison"
    if compare_groups or reading.relation in sc.CHANGES:
        return _change_checks(reading, compare_groups, spec, country, alpha)
    return _level_checks(reading, spec, country, alpha)


def _basis(statement: Statement, status: str, depends: bool, project: Project) -> str:
    """What the status rests on: the printed numbers alone, or (also) the data."""
    if statement.not_checkable:
        return statement.not_checkable
    if status in ("impossible", "printed_consistent"):
        return "the paper's printed numbers (within rounding), under the stated reading"
    if status == "not_run":
        return "no check could run"
    if not depends:
        return (
            "the paper's printed percents and their stated bases (every respondent answered),"
            " under the stated reading"
        )
    spec = statement.reconstruction
    if spec is None:
        return "the paper's printed numbers"
    cfg = project.countries.get(spec.country)
    data = "the synthetic reconstruction" if cfg is None or cfg.synthetic_data else "survey data"
    return (
        f"{data} of {spec.country}/{spec.indicator}"
        + (" (config/synthetic_reconstruction.yaml)" if data.startswith("the synthetic") else "")
        + ", under the stated reading"
    )


def _operand_names(statement: Statement) -> list[str]:
    """What the reading's operands are called: the groups when the data hold them, else the
    printed claims."""
    spec = statement.reconstruction
    if spec is not None and spec.groups != ["All"]:
        return list(spec.groups)
    return list(statement.printed) or ([spec.indicator] if spec else [])


def statement_row(
    statement: Statement,
    claims: dict[str, Claim],
    tables: dict[str, CountryTables],
    project: Project,
) -> dict:
    """One statements.csv row: the reading, each check's result, the status and its basis."""
    reading = (
        sc.reading_text(statement.wording, statement.reading.reading(), _operand_names(statement))
        if statement.reading
        else f"'{statement.wording}': no numeric convention"
    )
    if statement.not_checkable:
        arithmetic = direction = significance = printed = None
        recomputed, status, label, depends = "", "not_checkable", "", False
    else:
        arithmetic = _printed_check(statement, claims)
        printed = _printed_test(statement, claims, project.settings.alpha)
        recomputed, direction, significance = _reconstruction_checks(statement, tables, project)
        status, label, depends = sc.statement_status(arithmetic, direction, significance, printed)
    return {
        "id": statement.id,
        "section": statement.section,
        "kind": statement.kind,
        "quote": statement.quote,
        "wording": statement.wording,
        "reading": reading,
        "printed": "; ".join(
            f"{c} = {claims[c].printed:.{claims[c].decimals}f}" for c in statement.printed
        ),
        "recomputed": recomputed,
        "arithmetic": sc.outcome_text(arithmetic),
        "direction": sc.outcome_text(direction),
        "significance": sc.outcome_text(significance),
        "printed_test": sc.outcome_text(printed),
        "status": status,
        "label": label,
        "depends_on_reconstruction": depends,
        "basis": _basis(statement, status, depends, project),
        "note": statement.note,
    }


def audit_statements(
    project: Project,
    register: StatementRegister,
    claims: ClaimsRegistry,
    tables_dir: Path | None = None,
) -> pd.DataFrame:
    """statements.csv: every registered statement checked (`STATEMENT_COLUMNS`), in register
    order. `tables_dir` defaults to <project root>/reports/tables."""
    tables_dir = tables_dir or Path(project.root) / "reports" / "tables"
    tables = {name: CountryTables(tables_dir / name) for name in project.countries}
    by_id = {c.id: c for c in claims.claims}
    rows = [statement_row(s, by_id, tables, project) for s in register.statements]
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def statement_findings(statements: pd.DataFrame) -> list[str]:
    """findings.md's section "The paper's words": counts by status, then every statement with
    its reading and verdict (Markdown-escaped)."""
    if statements is None or statements.empty:
        return []
    md = markdown_text
    counts = statements["status"].value_counts()
    lines = [
        "",
        "## The paper's words",
        "",
        (
            "Every comparative or quantified sentence that is not a number claim, with its numeric"
            " reading (conventions: the register's header). **proven**: from the printed numbers"
            " alone; **conditional**: rests on the data, here the synthetic reconstruction, so"
            " never proven."
        ),
        "",
        "| status | statements |",
        "|---|---|",
        *[f"| {s} | {int(counts.get(s, 0))} |" for s in sc.STATEMENT_STATUSES],
        f"| total | {len(statements)} |",
        "",
    ]
    for r in statements.itertuples():
        label = f", {r.label}" if r.label else ""
        checks = "; ".join(
            f"{name}: {md(text)}"
            for name, text in (
                ("arithmetic", r.arithmetic),
                ("direction", r.direction),
                ("significance", r.significance),
                ("printed test", r.printed_test),
            )
            if text
        )
        lines.append(
            f"- **{md(r.id)}** ({md(r.section)}) {md(r.reading)}: **{md(r.status)}**{md(label)}"
            + (f". {checks}" if checks else f". {md(r.basis)}")
        )
    return lines
