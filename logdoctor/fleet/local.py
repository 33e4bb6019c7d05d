"""A fleet on this machine: a process pool whose workers each load the knowledge base once.

Diagnosing is CPU-bound Python, so processes, not threads. Each worker compiles (or reads from the
cache) the knowledge base in its initializer and keeps it for every log it is handed; logs go out
in chunks so the pool's messaging stays small next to the work. One job runs in this process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from logdoctor import api
from logdoctor.fleet.rows import Row, row_of

_worker: tuple[api.KnowledgeBase, str | None] | None = None  # this worker's knowledge base and symptom


def diagnose_all(paths: Sequence[Path], *, jobs: int = 1, symptom: str | None = None,
                 kb_dirs: Sequence[str] = ()) -> Iterator[Row]:
    """One row per path, in the paths' order, as each is ready. `jobs` 0 means one per CPU."""
    jobs = min(jobs or os.cpu_count() or 1, len(paths)) or 1
    if jobs == 1:
        _load(tuple(kb_dirs), symptom)
        yield from map(_row, paths)
        return
    chunk = max(1, min(32, len(paths) // (jobs * 8)))
    with ProcessPoolExecutor(jobs, initializer=_load, initargs=(tuple(kb_dirs), symptom)) as pool:
        yield from pool.map(_row, paths, chunksize=chunk)


def _load(kb_dirs: tuple[str, ...], symptom: str | None) -> None:
    global _worker
    _worker = (api.KnowledgeBase(*kb_dirs), symptom)


def _row(path: Path) -> Row:
    assert _worker is not None, "the worker's knowledge base is loaded by _load"
    kb, symptom = _worker
    return row_of(str(path), path, kb, symptom)
