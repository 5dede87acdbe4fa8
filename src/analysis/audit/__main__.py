"""`python -m analysis.audit run` builds reports/audit/ (with statements.csv, the paper's words
checked, when a statement register is configured); `python -m analysis.audit show <claim_id>`
explains one claim; `list` prints every claim (id, section, printed value, status); `find <value or
quote>` the claims whose printed value equals the value within rounding or whose quote contains the
text (case-insensitive).

`show` prints the claim as registered, the recomputed value and status, every check, and the
provenance record: input files with SHA-256, filters, n and k, method, implementing function and
code version; then its origin: the raw files the inputs were cleaned from, the rows each exclusion
rule removed and the indicator's definition.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.cli import atomic_outputs, run_guarded
from analysis.csv_files import read_output_csv
from analysis.errors import InputError


def cmd_run(args) -> None:
    from analysis.audit.run import audit, load_registry, write_audit
    from analysis.config import load_project

    project = load_project(args.root)
    registry = load_registry(args.root / args.claims, args.root)
    result = audit(project, registry)
    statements_path = args.statements or project.settings.statements
    if statements_path:
        from analysis.audit.statements import audit_statements, load_statements

        register = load_statements(args.root / statements_path, args.root, registry)
        result.statements = audit_statements(project, register, registry)
    out = args.root / args.out_dir
    finals = [
        out / "claims.csv",
        out / "consistency.csv",
        out / "findings.md",
        out / "provenance.json",
        out / "statements.csv",
    ]
    with atomic_outputs(finals) as tmp:
        write_audit(result, *tmp)


def _claims(args):
    """reports/audit/claims.csv as text cells ('' for empty), in registry order."""
    claims_path = args.root / args.out_dir / "claims.csv"
    if not claims_path.exists():
        raise InputError("no audit yet", file=str(claims_path), fix="run `make report` first")
    return read_output_csv(claims_path, dtype=str).fillna("")


def cmd_list(args) -> None:
    from analysis.audit.lookup import list_lines

    print("\n".join(list_lines(_claims(args))))


def cmd_find(args) -> None:
    from analysis.audit.lookup import find_claims, list_lines

    found = find_claims(_claims(args), args.query)
    if found.empty:
        print(f"no claim printed as {args.query!r} or quoting it")
        return
    for line, quote in zip(list_lines(found), found["quote"]):
        print(f'{line}\n    "{quote}"')


def _origin(args, prov: dict) -> list[str]:
    """Raw files, exclusions and indicator definition of the claim (empty without a config)."""
    from analysis.audit.lookup import origin_lines
    from analysis.audit.run import load_registry
    from analysis.config import load_project

    if not (args.root / "config" / "config.yaml").is_file():
        return []  # audit outputs without their project (e.g. copied elsewhere): no origin
    project = load_project(args.root)
    if not project.settings.claims:
        return []
    registry = load_registry(args.root / project.settings.claims, args.root)
    claim = next((c for c in registry.claims if c.id == args.claim_id), None)
    return origin_lines(project, args.root, prov.get("inputs", []), claim)


def cmd_show_value(args) -> None:
    """`show` for a report value's id (`est:...`, `shift:...`)."""
    from analysis.audit.lookup import value_lines
    from analysis.config import load_project

    has_config = (args.root / "config" / "config.yaml").is_file()
    project = load_project(args.root) if has_config else None
    try:
        print("\n".join(value_lines(project, args.root, args.claim_id)))
    except LookupError as exc:
        raise InputError(
            f"unknown value id '{args.claim_id}'",
            key=args.claim_id,
            fix=f"{exc.args[0]}; copy the id from the report's estimates or shifts table",
        ) from exc


def cmd_show(args) -> None:
    from analysis.audit.lookup import is_value_id

    if is_value_id(args.claim_id):
        cmd_show_value(args)
        return
    out = args.root / args.out_dir
    claims_path, prov_path = out / "claims.csv", out / "provenance.json"
    claims = _claims(args).set_index("id")
    if args.claim_id not in claims.index:
        near = [i for i in claims.index if args.claim_id.split("_")[0] in i][:8]
        raise InputError(
            f"unknown claim id '{args.claim_id}'",
            file=str(claims_path),
            key=args.claim_id,
            fix="use an id from the claims registry"
            + (f", e.g. {', '.join(near)}" if near else ""),
        )
    row = claims.loc[args.claim_id]
    prov = {p["claim_id"]: p for p in json.loads(prov_path.read_text(encoding="utf-8"))}[
        args.claim_id
    ]
    print(f"claim       {args.claim_id}  ({row['section']})")
    print(f'quote       "{row["quote"]}"')
    print(
        f"printed     {row['printed']} {row['unit']} (to {row['decimals']} decimals)"
        + (f", base n = {row['base_n']}" if row["base_n"] else "")
    )
    print(f"recomputed  {row['recomputed'] or '-'}")
    print(f"status      {row['status']}   checks: {row['check']}")
    for part in row["detail"].split(" | "):
        print(f"            - {part}")
    print("provenance")
    for key in ("provenance_id", "method", "function", "filters", "n", "k", "code_version"):
        if prov.get(key) not in (None, ""):
            print(f"  {key:<13} {prov[key]}")
    for item in prov.get("inputs", []):
        print(f"  input         {item['path']}  sha256 {item['sha256']}")
    origin = _origin(args, prov)
    if origin:
        print("origin")
        print("\n".join(origin))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.audit", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--out-dir", default="reports/audit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--claims", default="config/claims/peace_of_mind_2023.yaml")
    p.add_argument(
        "--statements",
        default=None,
        help="the statement register (default: `statements` of config/config.yaml)",
    )
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("show")
    p.add_argument("claim_id")
    p.set_defaults(func=cmd_show)
    sub.add_parser("list", help="every claim: id, section, printed, status").set_defaults(
        func=cmd_list
    )
    p = sub.add_parser("find", help="claims printed as a value (within rounding) or quoting a text")
    p.add_argument("query")
    p.set_defaults(func=cmd_find)
    args = parser.parse_args(argv)
    return run_guarded(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
