"""reports/manifest.json: SHA-256 of every input and output, package versions, git commit; and
`verify`.

The manifest is the one place where run metadata lives (outputs themselves carry no timestamps).
`python -m analysis verify` recomputes every hash and reports, per file, what changed and what to
do.
"""

from __future__ import annotations

import json
import os
import platform
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from analysis.audit.recompute import code_version, sha256
from analysis.errors import InputError
from analysis.model import Project

OUTPUT_DIRS = ("data/processed", "reports")
# not hashed: the manifest itself, Snakemake's own report, and the run summary the runner writes
# after the pipeline (and so after the manifest) from the outputs hashed here
EXCLUDED = {"reports/manifest.json", "reports/snakemake-report.html", "reports/run_summary.txt"}


def input_files(project: Project) -> list[str]:
    """Raw files, forms and configuration the outputs depend on (paths relative to the root)."""
    root = Path(project.root)
    files = {
        str(p.relative_to(root))
        for p in (root / "config").rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".json")
    }
    for country in project.countries.values():
        for dataset in country.datasets.values():
            for src in dataset.sources:
                files |= {f for f in (src.file, src.xlsform) if f}
    return sorted(files)


def output_files(root: Path) -> list[str]:
    files = [
        str(p.relative_to(root)) for d in OUTPUT_DIRS for p in (root / d).rglob("*") if p.is_file()
    ]
    return sorted(
        f
        for f in files
        if f not in EXCLUDED and "/." not in f and not f.endswith((".tmp", "README.md"))
    )


def package_versions(root: Path) -> dict[str, str]:
    lock = root / "requirements.lock"
    names = (
        [line.split("==")[0] for line in lock.read_text().splitlines() if "==" in line]
        if lock.exists()
        else [
            "snakemake",
            "pandas",
            "numpy",
            "scipy",
            "statsmodels",
            "matplotlib",
            "pyreadstat",
            "pyarrow",
            "great-tables",
            "jsonschema",
            "pyyaml",
            "openpyxl",
        ]
    )
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def hash_files(root: Path, files: list[str], workers: int | None = None) -> dict[str, str]:
    """{file: SHA-256} with files hashed in parallel threads (hashlib releases the GIL while
    hashing)."""
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return dict(zip(files, pool.map(lambda f: sha256(str(root / f)), files)))


def build_manifest(project: Project) -> dict:
    from analysis.workflow import file_hashes

    root = Path(project.root)
    # inputs (raw exports, config): hashes cached by stat key, as the workflow's rerun check
    # hashed them
    return {
        "inputs": file_hashes(root, input_files(project)),
        "outputs": hash_files(root, output_files(root)),
        "packages": package_versions(root),
        "python": platform.python_version(),
        "git_commit": code_version(root),
    }


def read_manifest(path: Path, shown: str | None = None) -> dict:
    """The manifest as written by `build_manifest`; missing, truncated or not JSON -> InputError
    (exit 2) naming the file as `shown` (default: the path)."""
    shown = shown or str(path)
    rewrite = (
        "run `make report`, which rewrites it (or restore the file from where it was published)"
    )
    if not path.exists():
        raise InputError("no manifest to verify against", file=shown, fix="run `make report` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the manifest is not UTF-8 text (byte {exc.start})", file=shown, fix=rewrite
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the manifest is truncated or is not JSON ({exc.msg}: line {exc.lineno}, column"
            f" {exc.colno})",
            file=shown,
            row=exc.lineno,
            fix=rewrite,
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read the manifest ({exc.strerror})", file=shown, fix=rewrite
        ) from None
    for kind in ("inputs", "outputs"):
        part = manifest.get(kind) if isinstance(manifest, dict) else None
        if not isinstance(part, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in part.items()
        ):
            raise InputError(
                f"the manifest has no valid `{kind}` (a mapping of file to SHA-256)",
                file=shown,
                key=kind,
                fix=rewrite,
            )
    return manifest


def verify(root: Path, manifest_path: Path) -> list[str]:
    """Problems found when re-hashing the files named in a manifest (empty list: everything
    matches)."""
    root, manifest_path = Path(root), Path(manifest_path)
    shown = manifest_path.relative_to(root) if manifest_path.is_relative_to(root) else manifest_path
    manifest = read_manifest(manifest_path, str(shown))
    problems = []
    for kind in ("inputs", "outputs"):
        for rel, digest in manifest[kind].items():
            path = root / rel
            if not path.exists():
                problems.append(
                    f"{kind[:-1]} missing: {rel} (fix:"
                    f" {'restore the file' if kind == 'inputs' else 'run `make report`'})"
                )
            elif sha256.__wrapped__(str(path)) != digest:
                problems.append(
                    f"{kind[:-1]} changed since the run: {rel} (fix: "
                    + (
                        "the raw data or config changed after processing: run `make report` to"
                        " rebuild, or restore the original file)"
                        if kind == "inputs"
                        else "an output was edited or is stale: run `make report`)"
                    )
                )
    extra = sorted(set(output_files(root)) - set(manifest["outputs"]))
    problems += [f"output not in the manifest: {rel} (fix: run `make report`)" for rel in extra]
    return problems
