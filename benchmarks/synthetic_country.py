"""A synthetic benchmark country of N respondents per wave, written as one SPSS .sav file per wave
plus its config.

Three independent waves (baseline, midline, endline); 30 indicators: 18 shares (9 yes/no and 9
five-point Likert items, 2% "don't know" = 98), 10 means of numeric variables (right-skewed amounts
with a -99 "don't know" code) and 2 scales (a WHO-5-style sum of five 0-5 items reported x4, and a
four-item 1-5 mean scale with one reverse-coded item); 20 strata, 400 clusters (villages), survey
weights; sex, age. Vectorised numpy: seconds even for 1M rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

WAVES = ("baseline", "midline", "endline")
N_SHARES = 18
N_MEANS = 10
WHO5_ITEMS = [f"who5_{i}" for i in range(1, 6)]
COHESION_ITEMS = [f"sc_{i}" for i in range(1, 5)]
COHESION_REVERSED = "sc_3"
N_CLUSTERS = 400
N_STRATA = 20
YES_NO = {0: "No", 1: "Yes", 98: "Don't know"}
LIKERT = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neutral",
    4: "Agree",
    5: "Strongly agree",
    98: "Don't know",
}
WHO5 = {
    0: "At no time",
    1: "Some of the time",
    2: "Less than half of the time",
    3: "More than half of the time",
    4: "Most of the time",
    5: "All of the time",
}


def _share_items(n: int, shift: float, effect: np.ndarray, rng: np.random.Generator) -> dict:
    cols = {}
    for i in range(N_SHARES):
        p = 1 / (1 + np.exp(-(rng.normal(0, 0.8) + effect + shift)))
        y = rng.random(n) < p
        if i < N_SHARES // 2:
            item = y.astype(float)
        else:
            item = np.where(y, rng.integers(4, 6, n), rng.integers(1, 4, n)).astype(float)
        item[rng.random(n) < 0.02] = 98.0
        cols[f"item{i + 1:02d}"] = item
    return cols


def _amounts(n: int, shift: float, effect: np.ndarray, rng: np.random.Generator) -> dict:
    cols = {}
    for i in range(N_MEANS):
        amount = np.round(np.exp(rng.normal(4 + 0.2 * shift + 0.3 * effect, 0.9, n)), 1)
        amount[rng.random(n) < 0.02] = -99.0
        cols[f"amount{i + 1:02d}"] = amount
    return cols


def _scale_items(n: int, shift: float, effect: np.ndarray, rng: np.random.Generator) -> dict:
    trait = rng.normal(0, 1, n) + effect + shift
    cols = {}
    for item in WHO5_ITEMS:
        cols[item] = np.clip(np.round(2.5 + trait + rng.normal(0, 0.9, n)), 0, 5)
    for item in COHESION_ITEMS:
        sign = -1.0 if item == COHESION_REVERSED else 1.0
        cols[item] = np.clip(np.round(3 + sign * trait + rng.normal(0, 0.9, n)), 1, 5)
    for item in [*WHO5_ITEMS, *COHESION_ITEMS]:
        cols[item][rng.random(n) < 0.01] = 98.0
    return cols


def make_wave(n: int, wave: str, rng: np.random.Generator) -> pd.DataFrame:
    cluster = rng.integers(1, N_CLUSTERS + 1, n)
    effect = rng.normal(0, 0.5, N_CLUSTERS + 1)[cluster]
    shift = 0.15 * WAVES.index(wave)
    cols = {
        "resp_id": np.char.add(f"{wave[0].upper()}", np.arange(n).astype(str)),
        "sex": rng.integers(1, 3, n).astype(float),
        "age": rng.integers(18, 80, n).astype(float),
        "stratum": ((cluster - 1) // (N_CLUSTERS // N_STRATA) + 1).astype(float),
        "village": cluster.astype(float),
        "wt": np.round(rng.uniform(20, 120, n), 3),
    }
    cols |= _share_items(n, shift, effect, rng)
    cols |= _amounts(n, shift, effect, rng)
    cols |= _scale_items(n, shift, effect, rng)
    return pd.DataFrame(cols)


def _value_labels() -> dict:
    labels: dict[str, dict] = {"sex": {1: "Male", 2: "Female"}}
    for i in range(N_SHARES):
        labels[f"item{i + 1:02d}"] = YES_NO if i < N_SHARES // 2 else LIKERT
    for item in WHO5_ITEMS:
        labels[item] = {**WHO5, 98: "Don't know"}
    for item in COHESION_ITEMS:
        labels[item] = LIKERT
    return labels


def write_country(root: Path, n: int, seed: int = 1) -> list[Path]:
    rng = np.random.default_rng(seed)
    out = root / "data" / "raw" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    missing = {f"item{i + 1:02d}": [98] for i in range(N_SHARES)}
    missing |= {item: [98] for item in [*WHO5_ITEMS, *COHESION_ITEMS]}
    paths = []
    for wave in WAVES:
        path = out / f"bench_{wave}.sav"
        pyreadstat.write_sav(
            make_wave(n, wave, rng),
            str(path),
            variable_value_labels=_value_labels(),
            missing_ranges=missing,
        )
        paths.append(path)
    return paths


YES_QUOTED = '"Yes"'  # unquoted, YAML reads Yes as the boolean true


def _indicator_lines() -> str:
    shares = [
        f'  - {{id: bench_item{i + 1:02d}, label: "Benchmark item {i + 1}", improvement: increase, '
        f"variable: item{i + 1:02d}, positive:"
        f" [{YES_QUOTED if i < N_SHARES // 2 else 'Agree, Strongly agree'}]}}"
        for i in range(N_SHARES)
    ]
    means = [
        f'  - {{id: bench_amount{i + 1:02d}, label: "Benchmark amount {i + 1}", improvement:'
        f' increase, kind: mean, variable: amount{i + 1:02d}, unit: "units"}}'
        for i in range(N_MEANS)
    ]
    who5 = ", ".join(WHO5_ITEMS)
    who5_scores = ", ".join(f'"{label}": {code}' for code, label in WHO5.items())
    likert_scores = ", ".join(f'"{LIKERT[code]}": {code}' for code in range(1, 6))
    cohesion = ", ".join(COHESION_ITEMS)
    scales = [
        f'  - {{id: bench_who5, label: "Wellbeing (WHO-5 percentage score)", improvement: increase,'
        f" kind: scale, items: [{who5}], scores: {{{who5_scores}}},"
        " item_range: [0, 5], min_answered: 4, score: sum,"
        f' multiply: 4, unit: "WHO-5 percentage score (0-100)"}}',
        f'  - {{id: bench_cohesion, label: "Social cohesion (mean of items)", improvement:'
        f" increase, kind: scale, items: [{cohesion}], scores: {{{likert_scores}}},"
        f" reverse: [{COHESION_REVERSED}],"
        f' item_range: [1, 5], min_answered: 3, score: mean, unit: "mean item score (1-5)"}}',
    ]
    return "\n".join(shares + means + scales)


def _variable_lines() -> str:
    names = [f"item{i + 1:02d}" for i in range(N_SHARES)]
    numeric = [f"amount{i + 1:02d}" for i in range(N_MEANS)]
    lines = [f"      {v}: {{}}" for v in names]
    lines += [f"      {v}: {{type: number, missing: [-99]}}" for v in numeric]
    lines += [f"      {v}: {{}}" for v in [*WHO5_ITEMS, *COHESION_ITEMS]]
    return "\n".join(lines)


def country_config() -> str:
    sources = "\n".join(
        f"      - {{wave: {w}, file: data/raw/bench/bench_{w}.sav, format: spss}}" for w in WAVES
    )
    return f"""country: bench
label: "Benchmark (synthetic)"
synthetic_data: true
datasets:
  respondents:
    role: respondents
    description: "a synthetic benchmark survey"
    design: {{type: independent, cluster: cluster, weight: weight, strata: stratum}}
    pii: []
    sources:
{sources}
    variables:
      respondent_id: {{type: text, source: resp_id}}
      sex: {{}}
      age: {{type: integer, valid_range: [12, 100]}}
      stratum: {{type: integer}}
      village: {{type: integer}}
      wt: {{type: number}}
{_variable_lines()}
    derive:
      age_band:
        from: age
        bands:
          - {{label: "18–34", min: 18, max: 34}}
          - {{label: "35–54", min: 35, max: 54}}
          - {{label: "55+", min: 55, max: 120}}
      location: {{copy: stratum}}
      cluster: {{copy: village}}
      weight: {{copy: wt}}
      social_group: {{constant: All}}
estimate_groups: [sex]
indicators:
{_indicator_lines()}
"""
