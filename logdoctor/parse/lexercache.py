"""Lark's lexer regexes, compiled once across runs.

Lark's contextual lexer builds, on first use of each parser state, one alternation of the
terminals that state accepts, and compiling those with Python's `re` (a parser and code
generator written in Python) is a fifth of a short log's run. The compiled *program* is a list
of integers that CPython's `_sre.compile` turns back into a pattern at once, so the programs are
kept in logdoctor's private cache (cache.py), keyed by the grammar, Lark, and the exact Python
and `_sre` versions, and handed to the lexers through the `re` stand-in below. A pattern not in
the cache is compiled exactly as `re` compiles it (the same internal functions, in the same
order); nothing else changes. Where Lark's internals differ from what is expected, the lexers
keep the plain `re` module.
"""

from __future__ import annotations

import atexit
import re
import sys
from typing import Any

from logdoctor import cache

try:  # CPython's regex compiler internals (3.11+: re._compiler / re._parser)
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another Python implementation or layout
    _sre = None


class CompiledPrograms:
    """A stand-in for the `re` module in Lark's lexers: `compile` serves stored programs."""

    def __init__(self, name: str, programs: dict) -> None:
        self.name = name
        self.programs = programs
        self.added = False
        # Patterns made in this process: Lark calls `match(pattern, text)` thousands of times while
        # building its lexers, which `re` answers from its own cache of compiled patterns.
        self.compiled: dict[tuple[str, int], re.Pattern] = {}

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern:
        key = (pattern, int(flags))
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = self.compiled[key] = self._from_program(key)
        return compiled

    def _from_program(self, key: tuple[str, int]) -> re.Pattern:
        pattern, flags = key
        program = self.programs.get(key)
        if program is None:
            parsed = _parser.parse(pattern, flags)
            code = [int(op) for op in _compiler._code(parsed, flags)]  # opcodes are int subclasses
            indexgroup = [None] * parsed.state.groups
            for group_name, index in parsed.state.groupdict.items():
                indexgroup[index] = group_name
            program = (int(flags | parsed.state.flags), code, parsed.state.groups - 1, dict(parsed.state.groupdict),
                       tuple(indexgroup))
            self.programs[key] = program
            self.added = True
        final_flags, code, groups, groupindex, indexgroup = program
        return _sre.compile(pattern, final_flags, code, groups, groupindex, indexgroup)

    def match(self, pattern: str, string: str, flags: int = 0) -> re.Match | None:
        return self.compile(pattern, flags).match(string)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def save(self) -> None:
        if self.added:
            cache.store(self.name, self.programs, kind=self.name.rsplit("-", 1)[0])
            self.added = False


def install(parser: Any, grammar_key: str) -> None:
    """Give the lexers of a Lark LALR parser (contextual lexer) the cached programs."""
    if _sre is None or cache.directory() is None:
        return
    lexer = getattr(getattr(parser, "parser", None), "lexer", None)
    lexers = [*getattr(lexer, "lexers", {}).values(), getattr(lexer, "root_lexer", None)]
    if not lexers or not all(hasattr(each, "re") and getattr(each, "_scanner", 1) is None for each in lexers):
        return
    name = f"lexer-{cache.fingerprint(grammar_key, sys.version, str(_sre.MAGIC))}"
    stored = cache.load(name)
    programs = CompiledPrograms(name, stored if isinstance(stored, dict) else {})
    for each in lexers:
        each.re = programs
    atexit.register(programs.save)
