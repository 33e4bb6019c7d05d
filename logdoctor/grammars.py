"""Load the Lark grammars shipped in `grammar/`, building each LALR parser once per process.

Lark's own cache (`cache=True`) pickles the analysed grammar to the temp directory keyed by the
grammar's hash, so a second run of the CLI skips the LALR table construction.
"""

from __future__ import annotations

from typing import Any

from lark import Lark

from logdoctor.datafiles import data_dir


def grammar_text(name: str) -> str:
    """The text of `grammar/<name>.lark` as installed with the package."""
    return (data_dir("grammar") / f"{name}.lark").read_text(encoding="utf-8")


def lalr_parser(name: str, start: tuple[str, ...] = ("start",), transformer: Any = None) -> Lark:
    """An LALR parser with a contextual lexer for `grammar/<name>.lark` (callers keep the instance)."""
    return Lark(
        grammar_text(name),
        parser="lalr",
        lexer="contextual",
        start=list(start),
        transformer=transformer,
        cache=True,
        maybe_placeholders=False,
    )
