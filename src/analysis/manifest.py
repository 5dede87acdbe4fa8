"""reports/manifest.json: SHA-256 of every input and output, package versions, git commit; and `verify`.

The manifest is the one place where run metadata lives (outputs themselves carry no timestamps).
`python -m analysis verify` recomputes every hash and reports, per file, what changed and what to do.
"""
from __future__ import annotations

import json
import os
import platform
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from .audit.recompute import code_version, sha256
from .errors import InputError

OUTPUT_DIRS = ("data/processed", "reports")
EXCLUDED = {"reports/manifest.json", "reports/snakemake-report.html"}


def input_files(project: dict) -> list[str]:
    """Raw files, forms and configuration the outputs depend on (paths relative to the root)."""
    root = Path(project["root"])
    files = {str(p.relative_to(root)) for p in (root / "config").rglob("*") if p.is_file() and p.suffix in (".yaml", ".json")}
    for country in project["countries"].values():
        for dataset in country["datasets"].values():
            for src in dataset["sources"]:
                files |= {src[k] for k in ("file", "xlsform") if src.get(k)}
    return sorted(files)


def output_files(root: Path) -> list[str]:
    files = [str(p.relative_to(root)) for d in OUTPUT_DIRS for p in (root / d).rglob("*") if p.is_file()]
    return sorted(f for f in files if f not in EXCLUDED and "/." not in f and not f.endswith((".tmp", "README.md")))


def package_versions(root: Path) -> dict[str, str]:
    lock = root / "requirements.lock"
    names = ([line.split("==")[0] for line in lock.read_text().splitlines() if "==" in line] if lock.exists() else
             ["snakemake", "pandas", "numpy", "scipy", "statsmodels", "pingouin", "matplotlib", "pyreadstat", "pyarrow",
              "great-tables", "jsonschema", "pyyaml", "openpyxl"])
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def hash_files(root: Path, files: list[str], workers: int | None = None) -> dict[str, str]:
    """{file: SHA-256} with files hashed in parallel threads (hashlib releases the GIL while hashing)."""
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return dict(zip(files, pool.map(lambda f: sha256(str(root / f)), files)))


def build_manifest(project: dict) -> dict:
    root = Path(project["root"])
    return {
        "inputs": hash_files(root, input_files(project)),
        "outputs": hash_files(root, output_files(root)),
        "packages": package_versions(root),
        "python": platform.python_version(),
        "git_commit": code_version(root),
    }


def verify(root: Path, manifest_path: Path) -> list[str]:
    """Problems found when re-hashing the files named in a manifest (empty list: everything matches)."""
    if not manifest_path.exists():
        raise InputError("no manifest to verify against", file=str(manifest_path), fix="run `make report` first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    for kind in ("inputs", "outputs"):
        for rel, digest in manifest[kind].items():
            path = root / rel
            if not path.exists():
                problems.append(f"{kind[:-1]} missing: {rel} (fix: {'restore the file' if kind == 'inputs' else 'run `make report`'})")
            elif sha256.__wrapped__(str(path)) != digest:
                problems.append(f"{kind[:-1]} changed since the run: {rel} (fix: "
                                + ("the raw data or config changed after processing: run `make report` to rebuild, or "
                                   "restore the original file)" if kind == "inputs" else
                                   "an output was edited or is stale: run `make report`)"))
    extra = sorted(set(output_files(root)) - set(manifest["outputs"]))
    problems += [f"output not in the manifest: {rel} (fix: run `make report`)" for rel in extra]
    return problems
