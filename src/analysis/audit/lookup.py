"""Finding claims in reports/audit/claims.csv and tracing one down to the raw files.

- `list_lines`: every claim as one line (id, section, printed value with its unit, status);
- `find_claims`: the claims whose printed value equals a number within the paper's rounding (a
  query `43` matches a printed 43.4 at 0 decimals, `43.4` matches 43.4 and 43.40; the half-unit of
  the coarser of the two roundings, the paper's rounding convention), or whose quote or id contains
  the query (case-insensitive);
- `origin_lines`: for `show`, the raw files each processed input was cleaned from (the dataset's
  sources in config), the rows each exclusion rule removed (data/processed/<country>/exclusions.csv,
  counts of rows) and the definition of the claim's indicator (config/indicators.yaml and the
  country config).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

PROCESSED_INPUT = re.compile(r"^data/processed/(?P<country>[^/]+)/(?P<dataset>[^/.]+)\.parquet$")


def list_lines(claims: pd.DataFrame) -> list[str]:
    """'<id>  <section>  <printed> <unit>  <status>', one line per claim, in registry order."""
    width = int(claims["id"].str.len().max()) if len(claims) else 0
    return [
        f"{i:<{width}}  {s:<8} {(p + ' ' + u).strip():<16} {st}"
        for i, s, p, u, st in zip(
            claims["id"], claims["section"], claims["printed"], claims["unit"], claims["status"]
        )
    ]


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def find_claims(claims: pd.DataFrame, query: str) -> pd.DataFrame:
    """The claims matching `query`: by printed value within rounding when the query is a number
    (thousands separators and a trailing % are ignored), else by case-insensitive substring of the
    quote or the id (text cells as read, '' for empty)."""
    text = query.strip()
    by_text = claims["quote"].str.contains(text, case=False, regex=False) | claims[
        "id"
    ].str.contains(text, case=False, regex=False)
    number = text.replace(",", "").rstrip("%").strip()
    try:
        value = float(number)
    except ValueError:
        return claims[by_text]
    printed = pd.to_numeric(claims["printed"].str.replace(",", ""), errors="coerce")
    paper_decimals = pd.to_numeric(claims["decimals"], errors="coerce").fillna(0)
    coarser = paper_decimals.clip(upper=_decimals(number))
    tolerance = 0.5 * 10.0 ** (-coarser) + 1e-9
    by_value = (printed - value).abs() <= tolerance
    return claims[by_value.fillna(False) | by_text]


def _dataset_lines(project: Any, root: Path, country: str, dataset: str) -> list[str]:
    """Raw sources and exclusion counts per rule of one dataset."""
    lines = []
    found = project.countries.get(country)
    config = found.datasets.get(dataset) if found else None
    if config is not None:
        lines += [f"  raw file      {s.file}  (wave {s.wave}, {s.format})" for s in config.sources]
    exclusions = Path(root) / "data" / "processed" / country / "exclusions.csv"
    if exclusions.is_file():
        frame = pd.read_csv(exclusions, dtype=str, keep_default_na=False)
        counts = frame[frame["dataset"] == dataset].groupby(["wave", "rule"], sort=True).size()
        lines += [f"  excluded      {n} row(s) by rule {r} ({w})" for (w, r), n in counts.items()]
        if counts.empty:
            lines.append(f"  excluded      no rows of {dataset} ({exclusions})")
    return lines


def _indicator_lines(project: Any, indicator: str | None, country: str | None) -> list[str]:
    found = [i for i in project.indicators if i.id == indicator]
    if not found:
        return []
    ind = found[0]
    lines = [f"  indicator     {ind.id}: {ind.label} (improvement: {ind.improvement}, {ind.role})"]
    if ind.question:
        lines.append(f"  question      {ind.question}")
    if country in ind.countries:
        mapping = ind.countries[country].model_dump(exclude_none=True, exclude_defaults=True)
        lines.append(f"  measured as   {mapping} ({country})")
    return lines


def claim_indicator(claim: Any) -> tuple[str | None, str | None]:
    """(indicator, country) the claim recomputes from (None, None for a claim without one)."""
    recompute = getattr(claim, "recompute", None)
    for field in ("estimate", "shift", "mean", "change"):
        spec = getattr(recompute, field, None)
        if spec is not None and getattr(spec, "indicator", None):
            return spec.indicator, getattr(spec, "country", None)
    return None, None


def origin_lines(project: Any, root: Path, inputs: list[dict], claim: Any) -> list[str]:
    """The claim's origin: raw files, exclusions applied and the indicator definition."""
    lines: list[str] = []
    for item in inputs:
        match = PROCESSED_INPUT.match(item["path"])
        if match:
            lines += _dataset_lines(project, root, match["country"], match["dataset"])
    indicator, country = claim_indicator(claim)
    return lines + _indicator_lines(project, indicator, country)
