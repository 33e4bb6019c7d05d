"""logdoctor/codecache.py: dataclasses made with the stored code of their methods are the dataclasses
made without it; a damaged or foreign store is ignored, and the cache switched off changes nothing."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from logdoctor import cache

# Every kind of method dataclasses writes: init with defaults, factories and InitVar, repr, eq,
# order, frozen setattr/delattr, hash, slots, kw_only, inheritance; and a module with annotations
# as strings (`from __future__ import annotations`), as logdoctor's modules are.
BATTERY = '''
from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field
from typing import ClassVar


@dataclass
class Plain:
    a: int
    b: str = "b"
    c: list = field(default_factory=list)
    d: ClassVar[int] = 4


@dataclass(frozen=True, slots=True, order=True)
class Frozen:
    x: float
    y: tuple[str, ...] = ()


@dataclass(kw_only=True, eq=False, repr=False)
class KeywordsOnly(Plain):
    e: int = 5
    scale: InitVar[int] = 1

    def __post_init__(self, scale):
        self.e *= scale


@dataclass(unsafe_hash=True)
class Hashed:
    name: str
    tags: frozenset = frozenset()


def describe():
    import inspect
    rows = []
    for cls in (Plain, Frozen, KeywordsOnly, Hashed):
        rows.append((cls.__name__, str(inspect.signature(cls)), [f.name for f in dataclasses.fields(cls)],
                     getattr(cls, "__match_args__", None), getattr(cls, "__slots__", None),
                     {name: str(value) for name, value in cls.__init__.__annotations__.items()}))
    plain, frozen, keywords, hashed = Plain(1), Frozen(2.5, ("t",)), KeywordsOnly(a=3, scale=2), Hashed("n")
    rows.append((repr(plain), plain == Plain(1), plain == Plain(2), repr(frozen), frozen < Frozen(3.0),
                 hash(frozen) == hash(Frozen(2.5, ("t",))), keywords.e, keywords == KeywordsOnly(a=3, scale=2),
                 hash(hashed) == hash(Hashed("n"))))
    try:
        frozen.x = 1.0
    except dataclasses.FrozenInstanceError as error:
        rows.append(type(error).__name__)
    return rows
'''

# Defines the battery and prints its description; with `refuse`, the methods' texts may not be compiled.
_CHILD = '''
import builtins, sys
sys.path.insert(0, {folder!r})
if {warm!r}:
    from logdoctor import codecache
    codecache.warm()
if {refuse!r}:
    compile_text = builtins.compile
    def refuse(source, *args, **kwargs):
        if isinstance(source, str) and source.startswith("def __create_fn__"):
            raise AssertionError("compiled again")
        return compile_text(source, *args, **kwargs)
    builtins.compile = refuse
import battery
print(battery.describe())
'''


@pytest.fixture
def folder(tmp_path, cache_dir) -> Path:
    """The battery module's folder; the children's cache is `cache_dir` (folder/cache), read here too."""
    (tmp_path / "battery.py").write_text(BATTERY, encoding="utf-8")
    return tmp_path


def _child(folder: Path, warm: bool, refuse: bool = False, **env: str) -> str:
    environment = {name: value for name, value in os.environ.items() if name != cache.DISABLE_VARIABLE}
    environment.update({cache.DIRECTORY_VARIABLE: str(folder / "cache"), "PYTHONDONTWRITEBYTECODE": "1", **env})
    done = subprocess.run([sys.executable, "-c", _CHILD.format(folder=str(folder), warm=warm, refuse=refuse)],
                          capture_output=True, text=True, env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dataclasses_from_stored_code_are_the_dataclasses_compiled_afresh(folder):
    expected = _child(folder, warm=False)
    with pytest.raises(AssertionError, match="compiled again"):  # nothing stored yet: the refusal bites
        _child(folder, warm=True, refuse=True)
    assert _child(folder, warm=True) == expected  # compiles, stores at exit
    (store,) = (folder / "cache").glob("code-*")
    assert len(cache.load(store.name)) >= 10
    assert _child(folder, warm=True, refuse=True) == expected  # every method's code from the store


def test_a_damaged_or_foreign_store_is_ignored(folder):
    expected = _child(folder, warm=False)
    _child(folder, warm=True)
    (store,) = (folder / "cache").glob("code-*")
    stored = cache.load(store.name)
    for payload in ({key: b"\x00not marshal" for key in stored}, {key: b"" for key in stored}, ["not a dict"]):
        store.write_bytes(cache._sealed(pickle.dumps(payload)))
        assert _child(folder, warm=True) == expected


def test_nothing_is_stored_with_the_cache_off(folder):
    expected = _child(folder, warm=False)
    assert _child(folder, warm=True, **{cache.DISABLE_VARIABLE: "1"}) == expected
    assert not (folder / "cache").exists()
