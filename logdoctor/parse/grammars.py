"""Load the Lark grammars shipped in `grammar/`, building each LALR parser once per process.

Building an LALR table takes longer than parsing a whole log, so the analysed grammar (what
`Lark.save` writes) is kept in logdoctor's private cache (logdoctor/cache.py) under a name that
hashes the grammar, its options and the versions of Lark and logdoctor, and read back by
`cache.load` like every other cache file: owner, mode and checksum checked before it is unpickled.
Not Lark's own `cache=` option: that reads and writes the file itself (with the user's umask, and
with no owner or mode check), so a file another user could write would be unpickled. The lexers'
compiled regexes are kept there too (lexercache.py).
"""

from __future__ import annotations

import io
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
    kind = f"lark-{name}-"
    parser = _from_saved(cache.load(f"{kind}{key}.pickle"), transformer)
    if parser is None:
        parser = Lark(text, parser="lalr", lexer="contextual", start=list(start), transformer=transformer,
                      maybe_placeholders=False)
        if cache.directory() is not None:
            saved = io.BytesIO()
            parser.save(saved, exclude_options=("transformer",))  # the transformer is given again on loading
            cache.store(f"{kind}{key}.pickle", saved.getvalue(), kind=kind)
    lexercache.install(parser, key)
    return parser


def _from_saved(saved: object, transformer: Any) -> Lark | None:
    """A parser from what `Lark.save` wrote, with `transformer`; None when there is none or it does not
    load. `Lark.load` takes no transformer, so this calls what it and Lark's own cache call."""
    if not isinstance(saved, bytes):
        return None
    try:
        return Lark.__new__(Lark)._load(io.BytesIO(saved), transformer=transformer)
    except Exception:  # from another Lark, or damaged: built afresh
        return None
