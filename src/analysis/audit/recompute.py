"""Recompute one registered claim from the pipeline's own outputs, with a provenance record.

Kinds (the `recompute:` key of a claim):
  figure_cell  a cell of reports/tables/<country>/<table>.csv (the same file the figures are
               drawn from)
  estimate     estimates.estimate_table on data/processed/<country>/respondents.parquet
               (optional extra filter)
  shift        the matching row of reports/tables/<country>/shifts.csv
  change       endline - baseline of the wave-level estimates (all respondents of each wave, as a
               paper reports levels), in pp or relative %; the design's test of the shift is
               named in provenance
  count        rows of a processed dataset (optional filter)
  arithmetic   an expression over other claims' PRINTED values (checks the paper's own arithmetic)
  external     not recomputable from these data (national statistics, programme monitoring counts)
"""

from __future__ import annotations

import ast
import hashlib
import operator
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from analysis.cleaning.conditions import evaluate
from analysis.csv_files import read_output_csv
from analysis.errors import InputError
from analysis.model import (
    OVERALL,
    ArithmeticSpec,
    ChangeSpec,
    Claim,
    ClaimCondition,
    Condition,
    CountSpec,
    EstimateSpec,
    ExternalSpec,
    FigureCellSpec,
    Project,
    ShiftSpec,
)
from analysis.survey.estimates import estimate_table


def _wave_name(wave) -> str:
    """A wave name as configured, also when the CSV reader took it for a number (1999.0)."""
    return str(int(wave)) if isinstance(wave, float) and wave.is_integer() else str(wave)


def first_to_last(shifts: pd.DataFrame) -> pd.DataFrame:
    """The rows of a shifts table that compare the first wave with the last (what a claim's
    "baseline" and "endline" mean): the comparison whose from-wave is no comparison's to-wave and
    whose to-wave is no comparison's from-wave, with the published-baseline rows ending at that
    wave. A table with one comparison (two waves) is returned whole."""
    named = shifts.dropna(subset=["from_wave", "to_wave"])
    froms, tos = named["from_wave"].map(_wave_name), named["to_wave"].map(_wave_name)
    if len(set(zip(froms, tos))) <= 1:
        return shifts
    first = [w for w in dict.fromkeys(froms) if w not in set(tos)]
    last = [w for w in dict.fromkeys(tos) if w not in set(froms)]
    if not first or not last:
        return shifts.iloc[:0]
    to = shifts["to_wave"].map(_wave_name)
    start = shifts["from_wave"].map(lambda w: _wave_name(w) if pd.notna(w) else first[0])
    return shifts[(start == first[0]) & (to == last[-1])]


@dataclass
class Recomputed:
    value: float | None
    provenance: dict


@cache
def sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def code_version(root: Path) -> str:
    """The git commit of the code (with '+dirty' if the work tree differs), or 'unknown' outside
    git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "config"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def safe_eval(expression: str, names: dict[str, float]) -> float:
    """Evaluate + - * / and parentheses over named numbers (no other Python)."""

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        raise InputError(
            f"unsupported element in arithmetic expression {expression!r}",
            key="expression",
            fix="use numbers, the names listed under `of:`, + - * / and parentheses",
        )

    return float(walk(ast.parse(expression, mode="eval")))


def _conditions_text(conditions: Sequence[Condition | ClaimCondition] | None) -> str:
    """A filter for a provenance record: 'none', one condition as its mapping, several as a list of
    mappings."""
    if conditions is None:
        return "none"
    written = [c.written() for c in conditions]
    return str(written[0] if len(written) == 1 else written)


def _filter_text(condition: ClaimCondition) -> str:
    """'variable operator value' of a claim's filter (the value of `equals`, else of `in`)."""
    written = dict(condition.operators)
    operator_name = next(iter(written), "")
    return f"{condition.variable} {operator_name} {written.get('equals', written.get('in'))}"


class Recomputer:
    """Recomputes claims for one project root; caches the tables and datasets it reads."""

    def __init__(
        self, project: Project, tables_dir: Path | None = None, processed_dir: Path | None = None
    ):
        self.project = project
        self.root = Path(project.root)
        self.tables_dir = tables_dir or self.root / "reports" / "tables"
        self.processed_dir = processed_dir or self.root / "data" / "processed"
        self.version = code_version(self.root)
        self._cache: dict[Path | tuple[str, ...], pd.DataFrame] = {}

    def _read(self, path: Path) -> pd.DataFrame:
        if path not in self._cache:
            if not path.exists():
                raise InputError(
                    "audit input not found (run the pipeline first)",
                    file=str(path),
                    fix="run `make report` so that the tables exist",
                )
            self._cache[path] = (
                pd.read_parquet(path) if path.suffix == ".parquet" else read_output_csv(path)
            )
        return self._cache[path]

    def _record(
        self, claim: Claim, inputs: list[Path], method: str, function: str, **extra
    ) -> dict:
        return {
            "provenance_id": f"prov:{claim.id}",
            "claim_id": claim.id,
            "method": method,
            "function": function,
            "inputs": [
                {
                    "path": (
                        str(p.relative_to(self.root)) if p.is_relative_to(self.root) else str(p)
                    ),
                    "sha256": sha256(str(p)),
                }
                for p in inputs
            ],
            "code_version": self.version,
            **extra,
        }

    def recompute(self, claim: Claim, printed_by_id: dict[str, float]) -> Recomputed:
        return getattr(self, f"_{claim.recompute.kind}")(claim, claim.recompute.spec, printed_by_id)

    def _estimates(self, country: str, data: pd.DataFrame, group_var: str) -> pd.DataFrame:
        """Every estimate of the country's indicators in `data`, for all respondents or by one group
        variable."""
        return estimate_table(
            data,
            self.project.indicators,
            country,
            self.project.countries[country].design,
            [group_var] if group_var != OVERALL else [],
            min_group_n=1,
            alpha=self.project.settings_for(country).alpha,
        )

    def _figure_cell(self, claim: Claim, spec: FigureCellSpec, _):
        # recomputed from the processed data with the table's own function and config (never from a
        # table that public-mode suppression may have thinned)
        from analysis.tables.crosstab import figure_table

        table_cfg = self.project.countries[spec.country].tables[spec.table]
        path = self.processed_dir / spec.country / f"{table_cfg.dataset}.parquet"
        key = ("table", spec.country, spec.table)
        if key not in self._cache:
            self._cache[key] = figure_table(self._read(path), table_cfg)
        table = self._cache[key]
        hit = table[(table["row"] == spec.row) & (table["column"] == spec.column)]
        if len(hit) != 1:
            raise InputError(
                f"claim {claim.id}: no cell row={spec.row!r}, column={spec.column!r} in"
                f" {spec.table}",
                key=claim.id,
                fix="correct the row/column labels in the claims registry",
            )
        cell = hit.iloc[0]
        return Recomputed(
            float(cell[spec.field]),
            self._record(
                claim,
                [path],
                (
                    f"crosstab cell of {spec.table} ({cell['percent_base']} percent)"
                    if spec.field == "percent"
                    else f"crosstab count of {spec.table}"
                ),
                "analysis.tables.crosstab.figure_table",
                filters=(
                    f"{_conditions_text(table_cfg.filter)}; row={spec.row}; column={spec.column}"
                ),
                n=int(cell["n"]),
            ),
        )

    def _estimate(self, claim: Claim, spec: EstimateSpec, _):
        path = self.processed_dir / spec.country / "respondents.parquet"
        settings = self.project.settings_for(spec.country)
        data = self._read(path)
        data = data[data["wave"] == spec.wave]
        filters = [f"wave == {spec.wave}"]
        if spec.filter:
            data = data[evaluate(data, [c.condition for c in spec.filter], "claims registry")]
            filters += [_filter_text(c) for c in spec.filter]
        table = self._estimates(spec.country, data, spec.group_var)
        hit = table[
            (table["indicator"] == spec.indicator)
            & (table["group_var"] == spec.group_var)
            & (table["group"] == spec.group)
        ]
        if len(hit) != 1:
            raise InputError(
                f"claim {claim.id}: no estimate for {spec.indicator} /"
                f" {spec.group_var}={spec.group}",
                key=claim.id,
                fix="check the indicator id and group in the claims registry",
            )
        row = hit.iloc[0]
        if spec.group_var != OVERALL:
            filters.append(f"{spec.group_var} == {spec.group}")
        return Recomputed(
            float(row[spec.field]),
            self._record(
                claim,
                [path],
                f"proportion of valid answers, {row['ci_method']}"
                f" {settings.confidence_percent}% CI [{row['ci_low']:.2f},"
                f" {row['ci_high']:.2f}]",
                "analysis.survey.estimates.estimate_table",
                filters="; ".join(filters),
                n=int(row["n"]),
                k=int(row["k"]),
            ),
        )

    def _shift(self, claim: Claim, spec: ShiftSpec, _):
        path = self.tables_dir / spec.country / "shifts.csv"
        table = first_to_last(self._read(path))
        group_var, group = spec.group_var, spec.group
        hit = table[
            (table["indicator"] == spec.indicator)
            & (table["group_var"] == group_var)
            & (table["group"] == group)
        ]
        if len(hit) != 1:
            raise InputError(
                f"claim {claim.id}: no shift row for {spec.indicator} / {group_var}={group}",
                file=str(path),
                key=claim.id,
                fix="check the indicator id and group in the claims registry",
            )
        row = hit.iloc[0]
        field = {"baseline_pct": "from_pct", "endline_pct": "to_pct"}.get(spec.field, spec.field)
        value = (
            100 * (row["to_pct"] / row["from_pct"] - 1)
            if field == "relative_change_pct"
            else row[field]
        )
        return Recomputed(
            float(value),
            self._record(
                claim,
                [path],
                f"{row['test']}; p = {row['p_value']:.3g}, Holm p = {row['p_holm']:.3g}; CI"
                f" {row['ci_method']}",
                "analysis.survey.shifts.shift_table",
                filters=f"{group_var} == {group}",
                n=f"baseline {int(row['from_n'])}, endline {int(row['to_n'])}",
                k=f"baseline {int(row['from_k'])}, endline {int(row['to_k'])}",
            ),
        )

    def _change(self, claim: Claim, spec: ChangeSpec, _):
        path = self.processed_dir / spec.country / "respondents.parquet"
        data = self._read(path)
        group_var, group = spec.group_var, spec.group
        table = self._estimates(spec.country, data, group_var)
        hit = table[
            (table["indicator"] == spec.indicator)
            & (table["group_var"] == group_var)
            & (table["group"] == group)
        ]
        levels = hit.set_index("wave")
        if not {"baseline", "endline"} <= set(levels.index):
            raise InputError(
                f"claim {claim.id}: {spec.indicator} lacks a baseline or endline estimate",
                key=claim.id,
                fix="check the indicator id and group in the claims registry",
            )
        b, e = levels.loc["baseline"], levels.loc["endline"]
        value = (
            e["percent"] - b["percent"]
            if spec.kind == "pp"
            else 100 * (e["percent"] / b["percent"] - 1)
        )
        shifts_path = self.tables_dir / spec.country / "shifts.csv"
        test = ""
        if shifts_path.exists():
            sh = first_to_last(self._read(shifts_path))
            row = sh[
                (sh["indicator"] == spec.indicator)
                & (sh["group_var"] == group_var)
                & (sh["group"] == group)
            ]
            if len(row):
                r = row.iloc[0]
                on = (
                    f"{int(r['from_n'])} matched pairs"
                    if r["design_type"] == "panel"
                    else (f"{int(r['from_n'])} baseline and {int(r['to_n'])} endline respondents")
                )
                test = (
                    f"; the shift's test ({r['test']}, on {on}): p = {r['p_value']:.3g}, Holm p ="
                    f" {r['p_holm']:.3g}"
                )
        return Recomputed(
            float(value),
            self._record(
                claim,
                [path],
                f"{'difference' if spec.kind == 'pp' else 'relative change'} of wave-level"
                f" estimates {b['percent']:.2f}% -> {e['percent']:.2f}%{test}",
                "analysis.survey.estimates.estimate_table",
                filters=f"{group_var} == {group}",
                n=f"baseline {int(b['n'])}, endline {int(e['n'])}",
                k=f"baseline {int(b['k'])}, endline {int(e['k'])}",
            ),
        )

    def _count(self, claim: Claim, spec: CountSpec, _):
        path = self.processed_dir / spec.country / f"{spec.dataset}.parquet"
        data = self._read(path)
        if spec.filter:
            data = data[evaluate(data, [c.condition for c in spec.filter], "claims registry")]
        return Recomputed(
            float(len(data)),
            self._record(
                claim,
                [path],
                "row count",
                "len(dataset)",
                filters=str([c.written() for c in spec.filter]) if spec.filter else "none",
                n=len(data),
            ),
        )

    def _arithmetic(self, claim: Claim, spec: ArithmeticSpec, printed):
        missing = [cid for cid in spec.of.values() if cid not in printed]
        if missing:
            raise InputError(
                f"claim {claim.id} refers to unknown claims {missing}",
                key=claim.id,
                fix="use ids of claims in the registry",
            )
        names = {name: printed[cid] for name, cid in spec.of.items()}
        value = safe_eval(spec.expression, names)
        return Recomputed(
            value,
            {
                "provenance_id": f"prov:{claim.id}",
                "claim_id": claim.id,
                "method": (
                    f"arithmetic over printed values: {spec.expression} with "
                    + ", ".join(f"{k}={spec.of[k]} ({v:g})" for k, v in names.items())
                ),
                "function": "analysis.audit.recompute.safe_eval",
                "inputs": [],
                "code_version": self.version,
            },
        )

    def _external(self, claim: Claim, spec: ExternalSpec, _):
        return Recomputed(
            None,
            {
                "provenance_id": f"prov:{claim.id}",
                "claim_id": claim.id,
                "method": f"not recomputable here: {spec.source}",
                "function": None,
                "inputs": [],
                "code_version": self.version,
            },
        )
