"""The code of the methods `@dataclass` generates, compiled once across runs.

For each class, `dataclasses` writes __init__, __repr__, __eq__ (frozen: __setattr__ and
__delattr__ too) as source text and compiles it with `exec`: about 0.45 ms a class, 12 ms for the
27 classes a short log's run defines, more than the rest of their modules' set-up. Compiling is
most of it, and the text depends only on the class's fields and options. So the command line
(logdoctor/start.py) gives `dataclasses` an `exec` of its own that takes the compiled code of a
text it has seen from logdoctor's private cache (cache.py; marshalled code, valid only for the
exact Python build that made it, which the name hashes, as a `.pyc` file is) and executes it as
`exec` would have executed the text once compiled. A text not stored is compiled as `exec` does
(with the caller's `__future__` flags) and stored at exit. Where `dataclasses` does not call
`exec` by that name (another Python), nothing changes.
"""

from __future__ import annotations
import __future__

import atexit
import builtins
import marshal
import sys
from typing import Any

from logdoctor import cache

MAX_STORED = 1024  # texts kept; they come from class definitions, not from logs
# The compiler flags a `__future__` import sets: `exec` of a text inherits the caller's.
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


class _Compiled:
    """The code of every text seen: stored ones unmarshalled on first use; new ones kept for `record`."""

    def __init__(self, stored: dict) -> None:
        self.stored = stored
        self.loaded: dict[tuple[int, str], Any] = {}
        self.added: dict[tuple[int, str], bytes] = {}

    def code(self, source: str, flags: int) -> Any:
        key = (flags, source)
        code = self.loaded.get(key)
        if code is None:
            data = self.stored.get(key)
            try:
                code = marshal.loads(data) if isinstance(data, bytes) else None
            except (ValueError, EOFError, TypeError):  # damaged: compiled below
                code = None
            if code is None:
                code = compile(source, "<string>", "exec", flags=flags, dont_inherit=True)
                self.added[key] = marshal.dumps(code)
            self.loaded[key] = code
        return code

    def record(self) -> None:
        if self.added and len(self.stored) + len(self.added) <= MAX_STORED:
            cache.store(_store_name(), {**self.stored, **self.added}, kind="code-")


def _store_name() -> str:
    return f"code-{cache.fingerprint(sys.version, sys.implementation.cache_tag or '')}"


def warm() -> None:
    """Give `dataclasses` the cached `exec` (before any dataclass is defined)."""
    if cache.disabled() or sys.implementation.name != "cpython":
        return
    import dataclasses

    stored = cache.load(_store_name())
    compiled = _Compiled(stored if isinstance(stored, dict) else {})

    def cached_exec(source: Any, global_names: dict | None = None, local_names: Any = None, /) -> None:
        """`exec`, with the code of a source text taken from the cache."""
        caller = sys._getframe(1)
        if global_names is None:  # as exec: the caller's namespaces
            global_names = caller.f_globals
            local_names = caller.f_locals if local_names is None else local_names
        if isinstance(source, str):
            source = compiled.code(source, caller.f_code.co_flags & _FUTURE_FLAGS)
        builtins.exec(source, global_names, local_names)

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
    atexit.register(compiled.record)
