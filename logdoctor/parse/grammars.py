"""Load the Lark grammars shipped in `grammar/`, building each LALR parser once per process.

Building an LALR table takes longer than parsing a whole log, so the analysed grammar is kept in
logdoctor's private cache (logdoctor/cache.py) under a name that hashes the grammar, its options
and the versions of Lark and logdoctor. Not Lark's own default (`cache=True`), which pickles into
the shared temp directory, where another user could plant a file that we would then unpickle.
The lexers' compiled regexes are kept there too (lexercache.py).
"""

from __future__ import annotations

from typing import Any

import lark
from lark import Lark

from logdoctor import cache
from logdoctor.datafiles import data_dir
from logdoctor.parse import lexercache


def grammar_text(name: str) -> str:
    """The text of `grammar/<name>.lark` as installed with the package."""
    return (data_dir("grammar") / f"{name}.lark").read_text(encoding="utf-8")


def lalr_parser(name: str, start: tuple[str, ...] = ("start",), transformer: Any = None) -> Lark:
    """An LALR parser with a contextual lexer for `grammar/<name>.lark` (callers keep the instance)."""
    text = grammar_text(name)
    key = cache.fingerprint(text, repr(start), lark.__version__)
    cached = cache.file_path(f"lark-{name}-{key}.pickle")
    parser = Lark(
        text,
        parser="lalr",
        lexer="contextual",
        start=list(start),
        transformer=transformer,
        cache=str(cached) if cached is not None else False,
        maybe_placeholders=False,
    )
    lexercache.install(parser, key)
    return parser
