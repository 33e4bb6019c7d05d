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
import threading
from collections.abc import Iterable
from functools import lru_cache

from logdoctor import cache

ENGINE_VARIABLE = "LOGDOCTOR_ENGINE"


class LiteralScanner:
    """Which lines contain one of the literals (case-sensitive): one line, or every line of a block.

    Nothing is compiled until it is needed. Hyperscan answers both questions when it is installed
    and its compiled database can be kept in the cache (compiling takes 0.3 s for the built-in
    anchors, 1 s for a 10,000-entry knowledge base; loading takes a millisecond). Without a cache, a
    short log is cheaper with RE2 (compiled in milliseconds) and only a long one pays for Hyperscan.
    """

    def __init__(self, literals: Iterable[str]) -> None:
        # In the order given, which keys the cached database: the same literals in the same order
        # (the parser's are deterministic) find it again; another order only compiles it again.
        self._literals = list(dict.fromkeys(literal for literal in literals if literal and "\n" not in literal))
        self._hits: list[int] = []
        self._database: object | None = None
        self._patterns: tuple[object, object] | None = None  # RE2 for str lines and for byte blocks
        self._lengths: list[int] | None = None  # of the literals in UTF-8, for `occurrences`
        wanted = os.environ.get(ENGINE_VARIABLE, "hyperscan") == "hyperscan" and bool(self._literals)
        self.engine = "hyperscan" if wanted and _hyperscan_installed() else "re2"
        # Single lines: Hyperscan only when its database can be cached (else RE2 compiles faster).
        self._lines_by_hyperscan = self.engine == "hyperscan" and not cache.disabled()

    def contains(self, text: str) -> bool:
        """True when `text` holds one of the literals (the per-line prefilter)."""
        if self._lines_by_hyperscan:
            hits = self._hits
            hits.clear()
            self._hyperscan().scan(text.encode("utf-8", "surrogatepass"), match_event_handler=self._on_match)
            return bool(hits)
        return self._re2()[0].search(text) is not None  # type: ignore[attr-defined]

    def occurrences(self, text: str) -> list[tuple[int, str]]:
        """The literals in `text` as `literal_pattern(literals).finditer` finds them, as (offset,
        literal): the leftmost one, the longest of those starting there, then on from its end.

        RE2 builds its automata (forward and reverse) as it meets text, 5 ms over a short log's
        first messages; Hyperscan's database loads from the cache at once and reports every
        occurrence, from which the same ones are picked here."""
        if not self._lines_by_hyperscan:
            return [(match.start(), match.group()) for match in self._re2()[0].finditer(text)]  # type: ignore[attr-defined]
        encoded = text.encode("utf-8", "surrogatepass")
        found: list[tuple[int, int]] = []  # (end, literal id)
        self._hyperscan().scan(encoded, match_event_handler=_on_literal, context=found)  # type: ignore[attr-defined]
        if not found:
            return []
        lengths = self._encoded_lengths()
        picked, position = [], 0
        for start, longest_first, literal in sorted((end - lengths[i], -lengths[i], i) for end, i in found):
            if start >= position:
                picked.append((start, literal))
                position = start - longest_first
        if not text.isascii():  # byte offsets to character offsets
            picked = [(len(encoded[:start].decode("utf-8", "surrogatepass")), literal) for start, literal in picked]
        return [(start, self._literals[literal]) for start, literal in picked]

    def _encoded_lengths(self) -> list[int]:
        if self._lengths is None:
            self._lengths = [len(literal.encode("utf-8", "surrogatepass")) for literal in self._literals]
        return self._lengths

    def line_starts(self, block: bytes) -> list[int]:
        """Sorted offsets where the lines of `block` that hold a literal start (each line once)."""
        if self.engine == "hyperscan":
            return self._hyperscan_starts(block)
        starts = []
        search = self._re2()[1].search  # type: ignore[attr-defined]
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

    def _hyperscan(self) -> object:
        if self._database is None:
            self._database = _loaded_database(tuple(self._literals))
        return self._database

    def _re2(self) -> tuple[object, object]:
        if self._patterns is None:
            self._patterns = (literal_pattern(self._literals), literal_pattern(self._literals, binary=True))
        return self._patterns

    def _hyperscan_starts(self, block: bytes) -> list[int]:
        hits = self._hits
        hits.clear()
        self._hyperscan().scan(block, match_event_handler=self._on_match)  # type: ignore[attr-defined]
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


def _on_literal(literal: int, _start: int, end: int, _flags: int, found: list[tuple[int, int]]) -> None:
    found.append((end, literal))


def literal_pattern(literals: Iterable[str], binary: bool = False) -> object:
    """An RE2 alternation of the literals, longest first, so that `finditer` yields the leftmost-longest
    ones (for str lines, or for byte blocks with `binary`). RE2 compiles hundreds of literals in a
    millisecond where Python's `re` takes tens, and a huge alternation that exhausts its DFA memory
    falls back to a slower automaton quietly instead of printing to stderr. Compiled once per
    process for a set of literals: a process that diagnoses many logs asks for the same ones."""
    return _compiled_pattern(tuple(literals), binary)


@lru_cache(maxsize=8)
def _compiled_pattern(literals: tuple[str, ...], binary: bool) -> object:
    import re2

    options = re2.Options()
    options.max_mem = 256 << 20
    options.log_errors = False
    unique = sorted(set(literals), key=lambda literal: (-len(literal), literal))
    source = "|".join(re.escape(literal) for literal in unique) or "[^\\s\\S]"  # no literals: matches nothing
    return re2.compile(source.encode("utf-8", "surrogatepass") if binary else source, options)


def _hyperscan_installed() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


_per_thread = threading.local()  # a Hyperscan scratch serves one scan at a time: databases are per thread


def _loaded_database(literals: tuple[str, ...]) -> object:
    """The database of these literals, loaded once per process and thread (a few of them kept)."""
    loaded: dict[tuple[str, ...], object] = _per_thread.__dict__.setdefault("databases", {})
    database = loaded.get(literals)
    if database is None:
        if len(loaded) >= 8:
            loaded.clear()
        database = loaded[literals] = _hyperscan_database(list(literals))
    return database


def _hyperscan_database(literals: list[str]) -> object:
    """A block-mode Hyperscan database of the literals (Hyperscan must be installed).

    Compiling a few hundred literals takes a third of a second, more than reading 400 MB, so the
    serialized database is kept in logdoctor's cache under a hash of the literals."""
    import hyperscan

    encoded = [literal.encode("utf-8", "surrogatepass") for literal in literals]
    name = "hyperscan-" + cache.fingerprint(hyperscan.__version__, repr(literals))  # repr: unambiguous, one C call
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
