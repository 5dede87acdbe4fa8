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


# --- an estimate or a shift of the report (`est:` and `shift:` provenance ids) --------------------
VALUE_TABLES = {  # id prefix: (table, the id's parts after the country, the columns shown)
    "est": (
        "estimates.csv",
        ("indicator", "wave", "group"),
        ("n", "k", "percent", "ci_low", "ci_high", "ci_method", "design_type", "deff", "note"),
    ),
    "shift": (
        "shifts.csv",
        ("indicator", "group"),
        (
            "from_wave",
            "to_wave",
            "from_n",
            "from_pct",
            "to_n",
            "to_pct",
            "diff_pp",
            "diff_ci_low",
            "diff_ci_high",
            "test",
            "p_value",
            "p_holm",
            "holm_family",
            "significant_holm",
            "composition_flag",
            "note",
        ),
    ),
}
VALUE_CODE = {"est": "analysis.survey.estimates", "shift": "analysis.survey.shifts"}


def is_value_id(value_id: str) -> bool:
    """Whether an id names a report value (`est:<country>/<indicator>/<wave>/<group>` or
    `shift:<country>/<indicator>/<group>`) rather than a claim."""
    return value_id.split(":", 1)[0] in VALUE_TABLES and ":" in value_id


def value_row(root: Path, value_id: str) -> tuple[Path, pd.Series]:
    """The estimates.csv or shifts.csv row (overall or by sex, as the report lists them) a report
    value's id names, with the table's path; a LookupError saying what is missing."""
    from analysis.csv_files import read_output_csv

    prefix, rest = value_id.split(":", 1)
    table, keys, _ = VALUE_TABLES[prefix]
    country, *parts = rest.split("/", len(keys))
    if len(parts) != len(keys) or country in ("", ".", ".."):
        raise LookupError(f"'{value_id}' is not {prefix}:<country>/{'/'.join(keys)}")
    path = Path(root) / "reports" / "tables" / country / table
    if not path.is_file():
        raise LookupError(f"no {path} (country '{country}'; run `make report` first)")
    frame = read_output_csv(path, dtype=str).fillna("")
    hit = frame[frame["group_var"].isin(["overall", "sex"])]
    for key, part in zip(keys, parts):
        hit = hit[hit[key] == part]
    if hit.empty:
        raise LookupError(f"no row of {path} has {dict(zip(keys, parts))}")
    return path, hit.iloc[0]


def value_lines(project: Any, root: Path, value_id: str) -> list[str]:
    """`show` for a report value: the row's numbers, the table with its SHA-256, the code that
    computed it, and its origin (raw files, exclusions, indicator definition)."""
    import hashlib

    prefix = value_id.split(":", 1)[0]
    path, row = value_row(root, value_id)
    country = path.parent.name  # reports/tables/<country>/<table>
    shown = [c for c in VALUE_TABLES[prefix][2] if c in row.index and row[c] != ""]
    lines = [f"value       {value_id}  ({path.name}, {row['group_var']} row)"]
    lines += [f"  {c:<17} {row[c]}" for c in shown]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    lines += [
        "provenance",
        f"  input         {path.relative_to(root).as_posix()}  sha256 {digest}",
        f"  function      {VALUE_CODE[prefix]} (python -m analysis statistics --country {country})",
    ]
    found = project.countries.get(country) if project is not None else None
    datasets = [n for n, d in found.datasets.items() if d.role == "respondents"] if found else []
    origin = [line for d in datasets for line in _dataset_lines(project, root, country, d)]
    if project is not None:
        origin += _indicator_lines(project, row["indicator"], country)
    return lines + (["origin", *origin] if origin else [])
