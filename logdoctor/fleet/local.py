"""A fleet on this machine: api.map_logs, the one process pool, whose workers each hold the knowledge base.

Diagnosing is CPU-bound Python, so processes, not threads. Each worker compiles (or reads from the
cache) the knowledge base in its initializer and keeps it for every log it is handed; logs go out
in chunks so the pool's messaging stays small next to the work (api.map_logs). One job runs in this process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from logdoctor import api
from logdoctor.fleet.rows import Row, row_of


def diagnose_all(paths: Sequence[Path], *, jobs: int = 1, symptom: str | None = None,
                 kb_dirs: Sequence[str] = ()) -> Iterator[Row]:
    """One row per path, in the paths' order, as each is ready. `jobs` 0 means one per CPU."""
    yield from api.map_logs(partial(_row, symptom=symptom), paths, kb=api.KnowledgeBase(*kb_dirs), jobs=jobs)


def _row(path: Path, kb: api.KnowledgeBase, symptom: str | None) -> Row:
    return row_of(str(path), path, kb, symptom)
