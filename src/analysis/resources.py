"""How many processes a job may use; imported by the Snakefile, so it imports nothing heavy.

Reading raw files is the slowest part of cleaning a large survey. A dataset whose source files
(waves) together exceed PARALLEL_MIN_BYTES reads them in parallel, one process per file; below that,
starting processes costs more than it saves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Snakefile imports this module: nothing heavy at run time
    from analysis.model import Source

PARALLEL_MIN_BYTES = 32 * 2**20


def source_processes(root: Path, sources: list[Source], available: int | None = None) -> int:
    """Processes to read these sources with: one per file for large datasets, else 1 (capped at
    `available`)."""
    size = sum(
        (Path(root) / s.file).stat().st_size for s in sources if (Path(root) / s.file).is_file()
    )
    wanted = len(sources) if size >= PARALLEL_MIN_BYTES else 1
    return max(1, min(wanted, available or wanted))
