"""Find, in a large block of bytes, the lines that contain any of a set of literals.

This is what lets logdoctor read a multi-GB `docker logs` at grep speed: the body of a long log is
read in blocks of a few MB and scanned once for the anchors of every message template, error marker
and knowledge-base signature; only the few lines that hold one go through the per-line path.

Two engines, the same answer. Hyperscan (Intel's multi-literal matcher, a compiled binary wheel)
where it installs; otherwise RE2, a linear-time automaton, searching from one line to the next.
`LOGDOCTOR_ENGINE=re2` forces the fallback (the benchmark measures both).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from logdoctor import cache

ENGINE_VARIABLE = "LOGDOCTOR_ENGINE"


class LiteralScanner:
    """Which lines contain one of the literals (case-sensitive): one line, or every line of a block."""

    def __init__(self, literals: Iterable[str]) -> None:
        self._literals = sorted({literal for literal in literals if literal and "\n" not in literal},
                                key=lambda literal: (-len(literal), literal))  # a stable order: the cache key
        import re2

        options = re2.Options()
        options.max_mem = 64 << 20
        alternation = "|".join(re.escape(literal) for literal in self._literals) or "(?!)"
        self._pattern = re2.compile(alternation, options)
        self._bytes_pattern = re2.compile(alternation.encode("utf-8"), options)
        self._hits: list[int] = []
        self._database: object | None = None
        self.engine = "re2" if os.environ.get(ENGINE_VARIABLE, "hyperscan") != "hyperscan" else "hyperscan"

    def contains(self, text: str) -> bool:
        """True when `text` holds one of the literals (the per-line prefilter)."""
        return self._pattern.search(text) is not None

    def line_starts(self, block: bytes) -> list[int]:
        """Sorted offsets where the lines of `block` that hold a literal start (each line once)."""
        if self.engine == "hyperscan" and self._database is None:
            self._database = _hyperscan_database(self._literals)  # built on the first block only
            if self._database is None:
                self.engine = "re2"
        if self.engine == "hyperscan":
            return self._hyperscan_starts(block)
        starts = []
        search = self._bytes_pattern.search
        position = 0
        while True:
            match = search(block, position)
            if match is None:
                return starts
            starts.append(block.rfind(b"\n", 0, match.start()) + 1)
            end = block.find(b"\n", match.end())
            if end < 0:
                return starts
            position = end + 1

    def _hyperscan_starts(self, block: bytes) -> list[int]:
        hits = self._hits
        hits.clear()
        self._database.scan(block, match_event_handler=self._on_match)  # type: ignore[attr-defined]
        starts: list[int] = []
        line_end = -1
        rfind, find = block.rfind, block.find
        for end in sorted(hits):
            if end <= line_end:
                continue  # another literal of a line already taken
            starts.append(rfind(b"\n", 0, end) + 1)
            line_end = find(b"\n", end)
            if line_end < 0:
                break
        return starts

    def _on_match(self, _id: int, _start: int, end: int, _flags: int, _context: object) -> None:
        self._hits.append(end)


def _hyperscan_database(literals: list[str]) -> object | None:
    """A block-mode Hyperscan database of the literals, or None where Hyperscan is not installed.

    Compiling a few hundred literals takes a third of a second, more than reading 400 MB, so the
    serialized database is kept in logdoctor's cache under a hash of the literals."""
    try:
        import hyperscan
    except ImportError:
        return None
    encoded = [literal.encode("utf-8") for literal in literals]
    name = "hyperscan-" + cache.fingerprint(hyperscan.__version__, *encoded)
    serialized = cache.load(name)
    if isinstance(serialized, bytes):
        try:
            database = hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)
            database.scratch = hyperscan.Scratch(database)  # a loaded database comes without one
            return database
        except hyperscan.error:
            pass  # from another Hyperscan build or damaged: compiled afresh below
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=encoded, ids=list(range(len(encoded))), flags=0, literal=True)
    cache.store(name, hyperscan.dumpb(database), kind="hyperscan-")
    return database
