"""Regex programs kept across runs, so that a start compiles no regex it compiled before.

`re.compile` parses a pattern and generates its program in Python (re._parser, re._compiler):
logdoctor and the libraries it imports compile some 130 patterns while they are imported, 15 ms of a
short log's run. The *program* is a list of integers that CPython's `_sre.compile` turns back into
the pattern at once. So the command line (logdoctor/start.py), before it imports anything else,
puts the programs that earlier runs compiled into `re`'s own cache of compiled patterns, where
`re.compile` and the module-level `re.search`/`re.match` look first; at exit, the programs of
patterns compiled since are added. They live in logdoctor's private cache (cache.py), under a name
that hashes the exact Python and `_sre` versions, so a program is only ever read back by the
compiler that made it (and `_sre.compile` validates what it is given). A pattern not stored is
compiled by `re` as always. Where `re`'s internals are not the expected ones (another Python
implementation, a `re` without its `_cache` dict), nothing is stored or put there.

Parse/lexercache.py keeps the programs of Lark's lexers the same way, with the functions below.
"""

from __future__ import annotations

import atexit
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from logdoctor import cache

try:  # CPython's regex compiler internals (3.11+: re._compiler / re._parser)
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another Python implementation or layout
    _sre = None

AVAILABLE = _sre is not None  # whether programs can be made and used here
# What a stored program is only valid for: the exact Python and regex engine that made it.
COMPILER = (sys.version, str(_sre.MAGIC) if _sre is not None else "")
Program = tuple  # (final flags, code, groups, groupindex, indexgroup): what `_sre.compile` takes
MAX_STORED = 1024  # patterns kept; patterns come from code, not from logs, so this is never reached in use


def program(pattern: str | bytes, flags: int) -> Program:
    """What `re._compiler.compile` hands `_sre.compile` for `pattern`: made by the same functions, in
    the same order."""
    parsed = _parser.parse(pattern, flags)
    code = [int(op) for op in _compiler._code(parsed, flags)]  # opcodes are int subclasses
    indexgroup = [None] * parsed.state.groups
    for group_name, index in parsed.state.groupdict.items():
        indexgroup[index] = group_name
    return (int(flags | parsed.state.flags), code, parsed.state.groups - 1, dict(parsed.state.groupdict),
            tuple(indexgroup))


def from_program(pattern: str | bytes, stored: Program) -> re.Pattern:
    """The compiled pattern, from its program."""
    final_flags, code, groups, groupindex, indexgroup = stored
    return _sre.compile(pattern, final_flags, code, groups, groupindex, indexgroup)


def _re_cache() -> dict | None:
    """`re`'s cache of compiled patterns, keyed (type of the pattern, pattern, int flags); None where
    it is not that (then nothing is warmed)."""
    found = getattr(re, "_cache", None)
    return found if AVAILABLE and isinstance(found, dict) else None


def _store_name() -> str:
    return f"regex-{cache.fingerprint(*COMPILER)}"


def warm() -> None:
    """Put the stored programs into `re`'s cache, and store at exit those of patterns compiled since."""
    compiled = _re_cache()
    if compiled is None or cache.disabled():
        return
    stored = cache.load(_store_name())
    programs: dict = stored if isinstance(stored, dict) else {}
    for (pattern, flags), each in programs.items():
        try:
            compiled.setdefault((type(pattern), pattern, flags), from_program(pattern, each))
        except Exception:  # a program _sre rejects: that pattern is compiled by re when it is used
            continue
    atexit.register(_record, programs)


def _record(programs: dict) -> None:
    """Store `programs` with those of the patterns in `re`'s cache that it lacks (at exit)."""
    compiled = _re_cache()
    if compiled is None:
        return
    added = {}
    for key in list(compiled):
        if isinstance(key, tuple) and len(key) == 3 and (key[1], key[2]) not in programs:
            _type, pattern, flags = key
            try:
                added[(pattern, flags)] = program(pattern, flags)
            except Exception:  # not a pattern this module can make a program of: left to re
                continue
    if added and len(programs) + len(added) <= MAX_STORED:
        cache.store(_store_name(), {**programs, **added}, kind="regex-")


@contextmanager
def forgotten() -> Iterator[None]:
    """Patterns compiled inside are dropped from `re`'s cache afterwards, so not stored at exit: for
    what a run does only when the cache misses (building a grammar compiles hundreds of patterns,
    compiling the knowledge base loads YAML), which a usual start would otherwise pay to warm."""
    compiled = _re_cache()
    before = set(compiled) if compiled is not None else set()
    try:
        yield
    finally:
        if compiled is not None:
            for key in [key for key in compiled if key not in before]:
                compiled.pop(key, None)
