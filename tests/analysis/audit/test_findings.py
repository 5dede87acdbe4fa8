"""The audit's findings classed by strength: proven (printed numbers alone), conditional (a stated
reading), dependent on the reconstruction (never proven), strongest first."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.audit.findings import STRENGTHS, audit_findings
from analysis.audit.run import load_registry

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = load_registry(ROOT / "config/claims/peace_of_mind_2023.yaml", ROOT)
CHANGES = [c.id for c in REGISTRY.claims if c.recompute.kind in ("shift", "change")]


def _claim(cid, section, status, check, detail, unit="percent", printed=99.9, recomputed=100.0):
    return {
        "id": cid,
        "section": section,
        "status": status,
        "check": check,
        "detail": detail,
        "unit": unit,
        "printed": printed,
        "decimals": 1,
        "recomputed": recomputed,
        "provenance_id": f"prov:{cid}",
    }


CLAIMS = pd.DataFrame(
    [
        _claim("men_999", "3.1.1", "impossible", "granularity", "99.9% is impossible for any n"),
        _claim(
            "women_984",
            "3.1.1",
            "reproduced",
            "granularity",
            "ok | 98.4% is impossible for n=265; the largest base is n=258",
        ),
        _claim("fig_pct", "Figure 2", "differs", "recompute", "x", printed=1.9, recomputed=1.98),
        _claim("estimate", "3.1.1", "differs", "recompute", "x", printed=99.2, recomputed=98.99),
        _claim("fine", "3.1.1", "reproduced", "recompute", "ok"),
    ]
)
CONSISTENCY = pd.DataFrame(
    [
        {
            "id": "sum_a",
            "check": "sum",
            "label": "proven",
            "passed": False,
            "detail": "5 vs 6",
            "claims": "a; b",
            "note": "",
        },
        {
            "id": "wavg",
            "check": "weighted_average",
            "label": "conditional",
            "passed": False,
            "detail": "outside",
            "claims": "c",
            "note": "a reading",
        },
        {
            "id": "holds",
            "check": "sum",
            "label": "proven",
            "passed": True,
            "detail": "ok",
            "claims": "d",
            "note": "",
        },
    ]
)


def test_every_finding_is_classed_and_the_strongest_come_first():
    methods = [{"claim_id": c, "method": "chi-square; p = 0.153"} for c in CHANGES]
    table = audit_findings(CLAIMS, CONSISTENCY, REGISTRY, methods)
    by_id = dict(zip(table["id"], table["strength"]))
    assert by_id["sum_a"] == "proven" and by_id["men_999"] == "proven"
    assert by_id["fig_pct"] == "proven"  # a figure's percentage against its own counts
    assert by_id["wavg"] == "conditional" and by_id["women_984"] == "conditional"
    assert by_id["estimate"] == "reconstruction"
    assert "holds" not in by_id and "fine" not in by_id
    assert all(by_id[c] == "reconstruction" for c in CHANGES)  # p-values never proven
    ranks = table["strength"].map(STRENGTHS.index).tolist()
    assert ranks == sorted(ranks)
    reconstruction = table[table["strength"] == "reconstruction"]
    assert not reconstruction["label"].str.contains("proven").any()
    change = table[table["id"] == CHANGES[0]].iloc[0]
    assert "on the reconstruction: chi-square; p = 0.153" in change["detail"]
