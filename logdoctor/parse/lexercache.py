"""Lark's lexer regexes, compiled once across runs.

Lark's contextual lexer builds, on first use of each parser state, one alternation of the
terminals that state accepts, and compiling those with Python's `re` (a parser and code
generator written in Python) is a fifth of a short log's run. The compiled *program* is a list
of integers that CPython's `_sre.compile` turns back into a pattern at once, so the programs are
kept in logdoctor's private cache (cache.py), keyed by the grammar, Lark, and the exact Python
and `_sre` versions, and handed to the lexers through the `re` stand-in below. A pattern not in
the cache is compiled exactly as `re` compiles it (regexcache.py: the same internal functions, in
the same order); nothing else changes. Where Lark's internals differ from what is expected, the lexers
keep the plain `re` module.

Building a lexer also pairs every regex terminal with every string terminal it could swallow (a
keyword that also matches a NAME pattern), thousands of regex matches on a short log's first
lines. Which pairs those are depends only on the terminals, so the result is kept beside the
programs and the lexer is built from it (`_cached_unless`).
"""

from __future__ import annotations

import atexit
import re
from typing import Any

from lark import lexer as lark_lexer

from logdoctor import cache, regexcache


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
        stored = self.programs.get(key)
        if stored is None:
            stored = self.programs[key] = regexcache.program(pattern, flags)
            self.added = True
        return regexcache.from_program(pattern, stored)

    def match(self, pattern: str, string: str, flags: int = 0) -> re.Match | None:
        return self.compile(pattern, flags).match(string)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def save(self) -> None:
        if self.added:
            cache.store(self.name, self.programs, kind=self.name.rsplit("-", 1)[0])
            self.added = False


_create_unless = getattr(lark_lexer, "_create_unless", None)


def _cached_unless(terminals: list, g_regex_flags: int, re_: Any, use_bytes: bool) -> tuple[list, dict]:
    """Lark's `_create_unless` (which terminals a regex terminal's match may turn into, and which
    string terminals it makes redundant), computed once per set of terminals and kept with the
    programs; lexers that do not use the programs get Lark's own."""
    if not isinstance(re_, CompiledPrograms):
        return _create_unless(terminals, g_regex_flags, re_, use_bytes)  # type: ignore[misc]
    key = ("unless", tuple(terminal.name for terminal in terminals), g_regex_flags, use_bytes)
    plan = re_.programs.get(key)
    if plan is None:
        kept, callback = _create_unless(terminals, g_regex_flags, re_, use_bytes)  # type: ignore[misc]
        re_.programs[key] = ([terminal.name for terminal in kept],
                             {name: [t.name for t in unless.scanner.terminals] for name, unless in callback.items()})
        re_.added = True
        return kept, callback
    by_name = {terminal.name: terminal for terminal in terminals}
    kept_names, unless_names = plan
    return [by_name[name] for name in kept_names], {
        name: lark_lexer.UnlessCallback(lark_lexer.Scanner([by_name[n] for n in names], g_regex_flags, re_,
                                                           use_bytes=use_bytes))
        for name, names in unless_names.items()}


def install(parser: Any, grammar_key: str) -> None:
    """Give the lexers of a Lark LALR parser (contextual lexer) the cached programs."""
    if not regexcache.AVAILABLE or cache.directory() is None:
        return
    lexer = getattr(getattr(parser, "parser", None), "lexer", None)
    lexers = [*getattr(lexer, "lexers", {}).values(), getattr(lexer, "root_lexer", None)]
    if not lexers or not all(hasattr(each, "re") and getattr(each, "_scanner", 1) is None for each in lexers):
        return
    name = f"lexer-{cache.fingerprint(grammar_key, *regexcache.COMPILER)}"
    stored = cache.load(name)
    programs = CompiledPrograms(name, stored if isinstance(stored, dict) else {})
    for each in lexers:
        each.re = programs
    if _create_unless is not None and hasattr(lark_lexer, "UnlessCallback") and hasattr(lark_lexer, "Scanner"):
        lark_lexer._create_unless = _cached_unless  # type: ignore[attr-defined]
    atexit.register(programs.save)
