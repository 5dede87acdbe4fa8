"""The audit's findings, every one classed by strength (issue 18): what findings.md and the report
list, strongest first.

Public surface: `audit_findings(claims, consistency, registry, provenance)` -> FINDING_COLUMNS,
`STRENGTHS` and `STRENGTH_TITLES`.

Three classes, in this order:
- `proven`: follows from the paper's printed numbers alone (a failed consistency check labelled
  proven, a figure percentage its own printed counts do not give, a percentage no whole count
  can give);
- `conditional`: holds under a stated reading (a failed check labelled conditional, a percentage
  impossible unless some people did not answer the item);
- `reconstruction`: rests on the synthetic reconstruction's assumptions (the tests behind the
  paper's printed changes, a survey estimate the reconstruction does not reproduce). These are
  never called proven: another reconstruction consistent with the printed aggregates could give
  other p-values.
The text fields are plain (not escaped); each renderer escapes them for its format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from analysis.model import ClaimsRegistry

STRENGTHS = ("proven", "conditional", "reconstruction")
STRENGTH_TITLES = {
    "proven": "Proven from the printed numbers",
    "conditional": "Conditional on a stated reading",
    "reconstruction": "Dependent on the reconstruction's assumptions (never proven)",
}
FINDING_COLUMNS = ["id", "strength", "check", "label", "detail", "claims", "note"]
RECONSTRUCTION_LABEL = "depends on the reconstruction"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _failed_checks(consistency: pd.DataFrame) -> list[dict]:
    """One finding per consistency check that fails, classed by its own label."""
    if not len(consistency):
        return []
    failed = consistency[~consistency["passed"].astype(bool)]
    return [
        {
            "id": r["id"],
            "strength": "proven" if r["label"] == "proven" else "conditional",
            "check": r["check"],
            "label": r["label"],
            "detail": f"{r['detail']}.",
            "claims": _text(r["claims"]),
            "note": _text(r.get("note")),
        }
        for _, r in failed.iterrows()
    ]


def _figure_percentages(claims: pd.DataFrame) -> list[dict]:
    """One proven finding per figure percentage that the figure's own printed counts do not give."""
    c = claims
    fig = c[
        (c["status"] == "differs")
        & c["provenance_id"].notna()
        & c["section"].astype(str).str.startswith("Figure")
        & (c["unit"] == "percent")
    ]
    return [
        {
            "id": r["id"],
            "strength": "proven",
            "check": "printed percentage vs printed counts",
            "label": "proven",
            "detail": f"{r['section']} prints {float(r['printed']):.{int(r['decimals'])}f}% but"
            f" its own counts give {float(r['recomputed']):.3f}%.",
            "claims": r["id"],
            "note": "",
        }
        for _, r in fig.iterrows()
    ]


def _granularity(claims: pd.DataFrame) -> list[dict]:
    """One finding per printed percentage outside the figures that no whole count can give:
    proven for any base (status impossible), else conditional on no item non-response."""
    c = claims
    gran = c[
        c["check"].astype(str).str.contains("granularity")
        & c["detail"].astype(str).str.contains("impossible")
        & ~c["section"].astype(str).str.startswith("Figure")
    ]
    rows = []
    for _, r in gran.iterrows():
        proven = r["status"] == "impossible"
        text = next(part for part in str(r["detail"]).split(" | ") if "impossible" in part)
        rows.append(
            {
                "id": r["id"],
                "strength": "proven" if proven else "conditional",
                "check": "granularity",
                "label": "proven" if proven else "conditional on no item non-response",
                "detail": f"{text}.",
                "claims": r["id"],
                "note": "",
            }
        )
    return rows


def _reconstruction_estimates(claims: pd.DataFrame) -> list[dict]:
    """One finding per survey estimate (outside the figures) the reconstruction does not
    reproduce: it describes the reconstruction, not the survey."""
    c = claims
    differs = c[(c["status"] == "differs") & ~c["section"].astype(str).str.startswith("Figure")]
    return [
        {
            "id": r["id"],
            "strength": "reconstruction",
            "check": "recompute",
            "label": RECONSTRUCTION_LABEL,
            "detail": f"the reconstruction gives {float(r['recomputed']):.3f}, printed"
            f" {r['printed']:g} ({r['section']}).",
            "claims": r["id"],
            "note": "",
        }
        for _, r in differs.iterrows()
    ]


def _printed_changes(registry: ClaimsRegistry, methods: Mapping[str, str]) -> list[dict]:
    """One finding per change the paper prints (shift or change claims): the test the pipeline
    runs on the reconstruction, with its p-values."""
    return [
        {
            "id": cl.id,
            "strength": "reconstruction",
            "check": "test of a printed change",
            "label": RECONSTRUCTION_LABEL,
            "detail": f"printed {cl.printed:+g} {cl.unit} ({cl.section}); on the reconstruction:"
            f" {methods.get(cl.id, 'not recomputed')}.",
            "claims": cl.id,
            "note": "",
        }
        for cl in registry.claims
        if cl.recompute.kind in ("shift", "change")
    ]


def audit_findings(
    claims: pd.DataFrame,
    consistency: pd.DataFrame,
    registry: ClaimsRegistry,
    provenance: Iterable[Mapping],
) -> pd.DataFrame:
    """Every finding of the audit, strongest class first (module docstring).

    Parameters
    ----------
    claims, consistency : pandas.DataFrame
        claims.csv and consistency.csv as the audit writes them.
    registry : ClaimsRegistry
        The claims registry (which claims are printed changes).
    provenance : iterable of mappings
        provenance.json's records (`claim_id`, `method`).

    Returns
    -------
    pandas.DataFrame
        FINDING_COLUMNS, one row per finding: proven, then conditional, then reconstruction;
        within a class, failed checks, figure percentages, granularity, estimates, changes.
    """
    methods = {p["claim_id"]: str(p.get("method", "")) for p in provenance}
    rows = (
        _failed_checks(consistency)
        + _figure_percentages(claims)
        + _granularity(claims)
        + _reconstruction_estimates(claims)
        + _printed_changes(registry, methods)
    )
    table = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    rank = table["strength"].map({s: k for k, s in enumerate(STRENGTHS)})
    return table.iloc[rank.argsort(kind="stable")].reset_index(drop=True)
