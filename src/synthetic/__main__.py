"""`python -m synthetic [--out data/raw]`: rebuild the synthetic raw exports, byte for byte.

Reads config/synthetic_reconstruction.yaml (every assumption lives there) and writes
data/raw/<country>/ plus data/raw/README.md with the list of printed values that needed item
non-response or could not be matched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from . import example_country, rwanda, tajikistan
from .readme import render_readme

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument(
        "--config", type=Path, default=ROOT / "config" / "synthetic_reconstruction.yaml"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "raw")
    args = parser.parse_args(argv)
    cfg = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    reports = {}
    builders = (
        ("rwanda", "rwanda", rwanda),
        ("tajikistan", "tajikistan", tajikistan),
        ("example_country", "example_country", example_country),
    )
    for offset, (name, key, module) in enumerate(builders):
        rng = np.random.default_rng([cfg["seed"], offset])
        out = args.out / name
        out.mkdir(parents=True, exist_ok=True)
        reports[name] = module.build(cfg[key], cfg["max_item_nonresponse"], rng, out)
    (args.out / "README.md").write_text(render_readme(reports), encoding="utf-8")
    print(f"wrote synthetic reconstructions to {args.out}")


if __name__ == "__main__":
    main()
