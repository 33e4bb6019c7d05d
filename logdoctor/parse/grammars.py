"""Load the Lark grammars shipped in `grammar/`, building each LALR parser once per process.

Building an LALR table takes longer than parsing a whole log, so the analysed grammar (what
`Lark.save` writes) is kept in logdoctor's private cache (logdoctor/cache.py) under a name that
hashes the grammar, its options and the versions of Lark and logdoctor, and read back by
`cache.load` like every other cache file: owner, mode and checksum checked before it is unpickled.
Not Lark's own `cache=` option: that reads and writes the file itself (with the user's umask, and
with no owner or mode check), so a file another user could write would be unpickled. The lexers'
compiled regexes are kept there too (lexercache.py).

Reading that saved form back (`Lark._load`) still rebuilds every rule, terminal and table entry
through Lark's generic deserializer: 20 ms for the message grammar, a fifth of a short log's run.
So the parser that load makes is also kept as a plain pickle of its objects (`_graph`), which
unpickles in a quarter of the time. What is not the parser's own is left out and given back on
loading: the transformer, the callbacks made from it, modules, and Lark's module-level objects
(its `Shift` and `Reduce` actions are compared by identity). The graph is stored only when, read
back, it serializes exactly as the parser it came from; a graph that fails to load falls back to
the saved form, and that to building the parser from the grammar.
"""

from __future__ import annotations

import io
import pickle
import sys
import types
from typing import Any

import lark
from lark import Lark
from lark.grammar import Rule

from logdoctor import cache, regexcache
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
    graph_kind = f"lark-graph-{name}-"
    graph_name = f"{graph_kind}{cache.fingerprint(key, _GRAPH_FORMAT)}.pickle"
    parser = _from_graph(cache.load(graph_name), transformer)
    if parser is None:
        saved = cache.load(f"{kind}{key}.pickle")
        parser = _from_saved(saved, transformer)
        if parser is None:
            with regexcache.forgotten():
                parser = Lark(text, parser="lalr", lexer="contextual", start=list(start), transformer=transformer,
                              maybe_placeholders=False)
            if cache.directory() is not None:
                buffer = io.BytesIO()
                parser.save(buffer, exclude_options=("transformer",))  # the transformer is given again on loading
                saved = buffer.getvalue()
                cache.store(f"{kind}{key}.pickle", saved, kind=kind)
        if isinstance(saved, bytes):
            graph = _checked_graph(saved, transformer)
            if graph is not None:
                cache.store(graph_name, graph, kind=graph_kind)
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


# How a graph is pickled (the persistent ids and reducers below): a change must change this.
_GRAPH_FORMAT = "1"
# Persistent ids of what a graph leaves out.
_TRANSFORMER, _CALLBACKS, _TREE_BUILDER = "transformer", "callbacks", "tree builder"


class _GraphPickler(pickle.Pickler):
    """Pickles a loaded parser's own objects; refers to the rest by name (see the module docstring)."""

    def __init__(self, file: io.BytesIO, parser: Lark) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.parser = parser
        self.lark_objects = _lark_module_objects()

    def persistent_id(self, obj: Any) -> Any:
        if obj is None:
            return None
        if obj is self.parser.options.transformer:
            return _TRANSFORMER
        if obj is self.parser._callbacks:
            return _CALLBACKS
        if obj is getattr(self.parser, "_parse_tree_builder", None):
            return _TREE_BUILDER
        if isinstance(obj, types.ModuleType):
            return ("module", obj.__name__)
        return None

    def reducer_override(self, obj: Any) -> Any:
        name = self.lark_objects.get(id(obj))
        if name is not None:
            return _lark_object, name
        if type(obj) is Rule:  # its hash is cached and str hashes differ between processes: recomputed
            return _rule, ({slot: getattr(obj, slot) for slot in Rule.__slots__ if slot != "_hash"},)
        return NotImplemented


def _lark_module_objects() -> dict[int, tuple[str, str]]:
    """id -> (module, name) of the objects Lark's modules hold at module level (classes, functions
    and plain values pickle by reference or by value anyway)."""
    plain = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType, str, bytes, int, float, tuple,
             frozenset, type(None))
    found: dict[int, tuple[str, str]] = {}
    for module_name, module in list(sys.modules.items()):
        if module is not None and (module_name == "lark" or module_name.startswith("lark.")):
            for name, value in vars(module).items():
                if not isinstance(value, plain):
                    found.setdefault(id(value), (module_name, name))
    return found


def _lark_object(module: str, name: str) -> Any:
    return getattr(sys.modules[module], name)


def _rule(slots: dict[str, Any]) -> Rule:
    rule = Rule.__new__(Rule)
    for slot, value in slots.items():
        setattr(rule, slot, value)
    rule._deserialize()  # what Lark's own loader calls: computes the hash
    return rule


def _graph(parser: Lark) -> bytes:
    buffer = io.BytesIO()
    _GraphPickler(buffer, parser).dump(parser)
    return buffer.getvalue()


def _from_graph(graph: object, transformer: Any) -> Lark | None:
    """The parser `_graph` pickled, with `transformer` and callbacks made for it; None when there is
    none or it does not load."""
    if not isinstance(graph, bytes):
        return None
    callbacks: dict = {}
    given = {_TRANSFORMER: transformer, _CALLBACKS: callbacks, _TREE_BUILDER: None}

    def persistent_load(pid: Any) -> Any:
        return given[pid] if isinstance(pid, str) else sys.modules[pid[1]]

    try:
        unpickler = pickle.Unpickler(io.BytesIO(graph))
        unpickler.persistent_load = persistent_load  # type: ignore[method-assign]
        with cache.collector_paused():
            parser = unpickler.load()
            if not isinstance(parser, Lark):
                return None
            parser._prepare_callbacks()  # as Lark._load does, for this transformer
        callbacks.update(parser._callbacks)  # the dict every part of the parser refers to
        parser._callbacks = callbacks
        return parser
    except Exception:  # damaged, or from a Lark whose objects are not these: the saved form is used
        return None


def _checked_graph(saved: bytes, transformer: Any) -> bytes | None:
    """The graph of the parser loaded from `saved`, or None when it cannot be pickled or, read back,
    does not serialize exactly as that parser (Lark's objects are not what this module expects)."""
    parser = _from_saved(saved, transformer)
    if parser is None:
        return None
    try:
        graph = _graph(parser)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    again = _from_graph(graph, transformer)
    return graph if again is not None and _serialized(again) == _serialized(parser) else None


def _serialized(parser: Lark) -> object:
    buffer = io.BytesIO()
    parser.save(buffer, exclude_options=("transformer",))
    return pickle.loads(buffer.getvalue())
