"""A synthetic benchmark country of N respondents per wave, written as two SPSS .sav files plus its
config.

Two independent waves; 30 indicators (15 binary yes/no, 15 five-point Likert, 2% "don't know" = 98);
20 strata, 400 clusters (villages), survey weights; sex, age. Vectorised numpy: seconds even for 1M
rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

N_ITEMS = 30
N_CLUSTERS = 400
N_STRATA = 20


def make_wave(n: int, wave: str, rng: np.random.Generator) -> pd.DataFrame:
    cluster = rng.integers(1, N_CLUSTERS + 1, n)
    effect = rng.normal(0, 0.5, N_CLUSTERS + 1)[cluster]
    shift = 0.3 if wave == "endline" else 0.0
    cols = {
        "resp_id": np.char.add(f"{wave[0].upper()}", np.arange(n).astype(str)),
        "sex": rng.integers(1, 3, n).astype(float),
        "age": rng.integers(18, 80, n).astype(float),
        "stratum": ((cluster - 1) // (N_CLUSTERS // N_STRATA) + 1).astype(float),
        "village": cluster.astype(float),
        "wt": np.round(rng.uniform(20, 120, n), 3),
    }
    for i in range(N_ITEMS):
        p = 1 / (1 + np.exp(-(rng.normal(0, 0.8) + effect + shift)))
        y = rng.random(n) < p
        if i < N_ITEMS // 2:
            item = y.astype(float)
        else:
            item = np.where(y, rng.integers(4, 6, n), rng.integers(1, 4, n)).astype(float)
        item[rng.random(n) < 0.02] = 98.0
        cols[f"item{i + 1:02d}"] = item
    return pd.DataFrame(cols)


def write_country(root: Path, n: int, seed: int = 1) -> list[Path]:
    rng = np.random.default_rng(seed)
    out = root / "data" / "raw" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    labels = {"sex": {1: "Male", 2: "Female"}}
    for i in range(N_ITEMS):
        labels[f"item{i + 1:02d}"] = (
            {0: "No", 1: "Yes", 98: "Don't know"}
            if i < N_ITEMS // 2
            else {
                1: "Strongly disagree",
                2: "Disagree",
                3: "Neutral",
                4: "Agree",
                5: "Strongly agree",
                98: "Don't know",
            }
        )
    paths = []
    for wave in ("baseline", "endline"):
        path = out / f"bench_{wave}.sav"
        pyreadstat.write_sav(
            make_wave(n, wave, rng),
            str(path),
            variable_value_labels=labels,
            missing_ranges={f"item{i + 1:02d}": [98] for i in range(N_ITEMS)},
        )
        paths.append(path)
    return paths


YES_QUOTED = '"Yes"'  # unquoted, YAML reads Yes as the boolean true


def country_config() -> str:
    items = "\n".join(f"      item{i + 1:02d}: {{}}" for i in range(N_ITEMS))
    indicators = "\n".join(
        f'  - {{id: bench_item{i + 1:02d}, label: "Benchmark item {i + 1}", improvement: increase, '
        f"variable: item{i + 1:02d}, positive:"
        f" [{YES_QUOTED if i < N_ITEMS // 2 else 'Agree, Strongly agree'}]}}"
        for i in range(N_ITEMS)
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
      - {{wave: baseline, file: data/raw/bench/bench_baseline.sav, format: spss}}
      - {{wave: endline, file: data/raw/bench/bench_endline.sav, format: spss}}
    variables:
      respondent_id: {{type: text, source: resp_id}}
      sex: {{}}
      age: {{type: integer, valid_range: [12, 100]}}
      stratum: {{type: integer}}
      village: {{type: integer}}
      wt: {{type: number}}
{items}
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
{indicators}
"""
