"""Run the audit: every registered claim recomputed and checked; consistency checks; findings.

Public surface: `load_registry(path, root)`, `audit(project, registry)` -> AuditResult,
`write_audit(result, out_dir)`, `render_findings(result)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.audit import checks
from analysis.audit.findings import STRENGTH_TITLES, STRENGTHS, audit_findings
from analysis.audit.recompute import Recomputer
from analysis.audit.statements import STATEMENT_COLUMNS, statement_findings
from analysis.config import check_unique_ids, read_validated
from analysis.csv_files import write_csv
from analysis.errors import InputError
from analysis.escaping import markdown_text
from analysis.model import (
    ChangeCheck,
    Claim,
    ClaimsRegistry,
    ConsistencyCheck,
    CrossTableCheck,
    ItemisedTotalCheck,
    Project,
    SumCheck,
    WeightedAverageCheck,
)

STATUSES = ("reproduced", "differs", "impossible", "not_recomputable", "derived")
CLAIM_COLUMNS = [
    "id",
    "section",
    "quote",
    "unit",
    "group",
    "wave",
    "base_n",
    "printed",
    "decimals",
    "recomputed",
    "status",
    "check",
    "detail",
    "provenance_id",
]


@dataclass
class AuditResult:
    claims: pd.DataFrame
    consistency: pd.DataFrame
    provenance: list[dict]
    registry: ClaimsRegistry
    # statements.csv (analysis.audit.statements): empty without a statement register
    statements: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_registry(path: Path, root: Path) -> ClaimsRegistry:
    """Read and validate a claims registry; check that ids are unique and references resolve."""
    registry, source = read_validated(path, root, "claims", ClaimsRegistry)
    ids = [c.id for c in registry.claims]
    check_unique_ids(ids, source, "claim")
    known = set(ids)
    for check in registry.consistency:
        unknown = [r for r in check.claims if r not in known]
        if unknown:
            raise InputError(
                f"consistency check {check.id} refers to unknown claims {unknown}",
                file=source,
                key=check.id,
                fix="use ids of claims in the registry",
            )
    return registry


def _claim_row(claim: Claim, recomputer: Recomputer, printed: dict) -> tuple[dict, dict]:
    result = recomputer.recompute(claim, printed)
    decimals, bound = claim.decimals, claim.bound
    checks_run, details, status = [], [], None
    if claim.unit == "percent" and claim.base_n and bound == "exact":
        g = checks.granularity(claim.printed, decimals, claim.base_n)
        checks_run.append("granularity")
        details.append(g.detail)
        if not g.passed and "largest_n" not in g.values:
            status = "impossible"
    if result.value is None:
        status = status or "not_recomputable"
        details.append(result.provenance["method"])
    else:
        c = checks.compare_printed(claim.printed, result.value, decimals, bound)
        checks_run.insert(0, "recompute")
        details.insert(0, c.detail)
        status = status or ("reproduced" if c.passed else "differs")
    if claim.derived:  # an anchor for a consistency check, not a number the paper prints
        status = "derived"
    row = {
        "id": claim.id,
        "section": claim.section,
        "quote": claim.quote,
        "unit": claim.unit,
        "group": claim.group,
        "wave": claim.wave,
        "base_n": claim.base_n,
        "printed": claim.printed,
        "decimals": decimals,
        "recomputed": result.value,
        "status": status,
        "check": "; ".join(checks_run) or "none",
        "detail": " | ".join(details),
        "provenance_id": result.provenance["provenance_id"],
    }
    return row, result.provenance


def _consistency_row(check: ConsistencyCheck, claims: dict[str, Claim]) -> dict:
    p = {cid: c.printed for cid, c in claims.items()}
    d = {cid: c.decimals for cid, c in claims.items()}
    if isinstance(check, SumCheck):
        res = checks.check_sum(
            p[check.total], [p[x] for x in check.parts], d[check.total], claims[check.total].unit
        )
    elif isinstance(check, WeightedAverageCheck):
        parts = [(p[x.claim], x.n) for x in check.parts]
        res = checks.check_weighted_average(
            p[check.overall],
            d[check.overall],
            parts,
            max(d[x.claim] for x in check.parts),
            claims[check.overall].bound,
        )
    elif isinstance(check, ChangeCheck):
        res = checks.check_change(
            p[check.change],
            d[check.change],
            p[check.baseline],
            p[check.endline],
            max(d[check.baseline], d[check.endline]),
            check.kind,
        )
    elif isinstance(check, CrossTableCheck):
        res = checks.check_cross_table(
            [p[x] for x in check.left], [p[x] for x in check.right], check.relation, check.statement
        )
    elif isinstance(check, ItemisedTotalCheck):
        res = checks.check_itemised_total(p[check.total], [p[x] for x in check.items])
        if not res.passed:
            # two counts of possibly different activities: inconsistent if they are the same
            res.label = "conditional"
    else:  # SubgroupChangeCheck
        parts = [(p[x.change], x.endline_n) for x in check.parts]
        res = checks.check_subgroup_change(
            p[check.overall_change],
            d[check.overall_change],
            parts,
            max(d[x.change] for x in check.parts),
        )
    return {
        "id": check.id,
        "check": check.check,
        "passed": res.passed,
        "label": "" if res.passed else res.label,
        "detail": res.detail,
        "claims": "; ".join(check.claims),
        "note": check.note,
    }


def audit(
    project: Project, registry: ClaimsRegistry, recomputer: Recomputer | None = None
) -> AuditResult:
    recomputer = recomputer or Recomputer(project)
    claims = {c.id: c for c in registry.claims}
    printed = {cid: c.printed for cid, c in claims.items()}
    rows, provenance = [], []
    for claim in registry.claims:
        row, prov = _claim_row(claim, recomputer, printed)
        rows.append(row)
        provenance.append(prov)
    consistency = [_consistency_row(c, claims) for c in registry.consistency]
    return AuditResult(
        pd.DataFrame(rows, columns=CLAIM_COLUMNS),
        pd.DataFrame(
            consistency, columns=["id", "check", "passed", "label", "detail", "claims", "note"]
        ),
        provenance,
        registry,
    )


def _findings_header(result: AuditResult) -> list[str]:
    """findings.md's title and its note on what the recomputed values stand for."""
    md = markdown_text
    paper = result.registry.paper
    return [
        f"# Audit findings: {md(paper.short_title)} ({md(paper.year)})",
        "",
        (
            "> Recomputed values come from the shipped **synthetic reconstructions** of the survey"
            " data (see"
        ),
        (
            "> data/raw/README.md), so `reproduced`/`differs` for survey estimates describes the"
            " reconstruction."
        ),
        (
            "> Findings are classed by strength: proven from the printed numbers, conditional on a"
            " stated reading,"
        ),
        (
            "> or dependent on the reconstruction's assumptions (p-values of the printed changes,"
            " estimates recomputed"
        ),
        "> from the synthetic data): the last class is never proven.",
        "",
    ]


def _status_table(claims: pd.DataFrame) -> list[str]:
    """The 'Claims by status' section: the number of claims with each status, and the total."""
    counts = claims["status"].value_counts()
    return (
        [
            "## Claims by status",
            "",
            "| status | claims |",
            "|---|---|",
        ]
        + [f"| {s} | {int(counts.get(s, 0))} |" for s in STATUSES]
        + [
            f"| total | {len(claims)} |",
            "",
        ]
    )


def _finding_line(r) -> str:
    """One finding of findings.md (Markdown-escaped): id, check and label, detail, claims, note."""
    md = markdown_text
    claims = f" Claims: {md(r.claims)}." if r.claims and r.claims != r.id else ""
    note = f" {md(r.note)}" if r.note else ""
    return f"**{md(r.id)}** ({md(r.check)}, {md(r.label)}): {md(r.detail)}{claims}{note}"


def _findings_section(result: AuditResult) -> list[str]:
    """The 'Findings, strongest first' section: every finding (`findings.audit_findings`) under its
    class (proven; conditional; dependent on the reconstruction), numbered throughout."""
    table = audit_findings(result.claims, result.consistency, result.registry, result.provenance)
    lines = [
        "## Findings, strongest first",
        "",
        (
            "**Proven** follows from the paper's printed numbers alone; **conditional** holds"
            " under the stated reading; findings that **depend on the reconstruction** (tests on"
            " the synthetic data) are never proven."
        ),
    ]
    number = 0
    for strength in STRENGTHS:
        part = table[table["strength"] == strength]
        lines += ["", f"### {STRENGTH_TITLES[strength]}", ""]
        if not len(part):
            lines.append("None found.")
        for r in part.itertuples():
            number += 1
            lines.append(f"{number}. {_finding_line(r)}")
    return lines


def _holding_checks_section(consistency: pd.DataFrame) -> list[str]:
    """The 'Consistency checks that hold' section ('- none' when none hold)."""
    md = markdown_text
    k = consistency
    return ["", "## Consistency checks that hold", ""] + (
        [
            f"- {md(r['id'])} ({md(r['check'])}): {md(r['detail'])}"
            for _, r in k[k["passed"]].iterrows()
        ]
        or ["- none"]
    )


def render_findings(result: AuditResult) -> str:
    """findings.md: the paper's internal inconsistencies, each with its arithmetic and a label. Text
    from the registry or the checks is Markdown-escaped (`escaping.markdown_text`), so it shows
    literally."""
    lines = (
        _findings_header(result)
        + _status_table(result.claims)
        + _findings_section(result)
        + _holding_checks_section(result.consistency)
        + statement_findings(result.statements)
    )
    return "\n".join(lines) + "\n"


def write_audit(
    result: AuditResult,
    claims_path: Path,
    consistency_path: Path,
    findings_path: Path,
    provenance_path: Path,
    statements_path: Path | None = None,
) -> None:
    """Write claims.csv, consistency.csv, findings.md, provenance.json and (when given)
    statements.csv, with its header only when no statement register is configured."""
    write_csv(
        result.claims, claims_path, float_format="%.10g"
    )  # text neutralised against spreadsheet formulas
    write_csv(result.consistency, consistency_path)
    findings_path.write_text(render_findings(result), encoding="utf-8")
    provenance_path.write_text(
        json.dumps(result.provenance, indent=1, ensure_ascii=False, default=str) + "\n",
        encoding="utf-8",
    )
    if statements_path is not None:
        statements = result.statements
        write_csv(
            statements if len(statements) else pd.DataFrame(columns=STATEMENT_COLUMNS),
            statements_path,
        )
