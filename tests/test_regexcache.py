"""logdoctor/regexcache.py: stored regex programs serve `re.compile` as the patterns it would compile;
a damaged or foreign store is ignored, and the cache switched off stores and serves nothing."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from logdoctor import cache, regexcache

from .clirun import logdoctor
from .conftest import SAMPLES

PATTERNS = [r"(?P<NUMBER>-?\d+(?:\.\d+)?)|(?P<NAME>(?!(?:and|or)\b)[a-z_][a-z0-9_]*)|(?P<WS>\s+)",
            r"(?i)bfloat16 is only supported", r"[\u3400-\u9fff]+|(?P<X>!{2,})", r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{20,}"]
TEXTS = ("and x1 -2.5", "BFloat16 is only supported", "全是!!!!", "or_not 7", "token hf_abcdefghijklmnopqrstuvwx")

pytestmark = pytest.mark.skipif(not regexcache.AVAILABLE, reason="not CPython's regex engine")


def _child(code: str, folder: Path, **env: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter (re's cache empty) with this cache folder."""
    environment = {name: value for name, value in os.environ.items() if name != cache.DISABLE_VARIABLE}
    environment.update({cache.DIRECTORY_VARIABLE: str(folder), **env})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60)


# In the child: warm re's cache, then forbid compiling; every pattern must come from the store.
_SERVED = f"""
import re
from re import _compiler
from logdoctor import regexcache
regexcache.warm()
def refuse(*args):
    raise AssertionError("compiled again")
_compiler.compile = refuse
for pattern in {PATTERNS!r}:
    compiled = re.compile(pattern)
    assert compiled is re._cache[(str, pattern, 0)]
    for text in {TEXTS!r}:
        print([(m.span(), m.lastgroup) for m in compiled.finditer(text)])
"""


def _expected() -> str:
    return "".join(f"{[(m.span(), m.lastgroup) for m in re.compile(p).finditer(t)]}\n" for p in PATTERNS for t in TEXTS)


def test_patterns_compiled_in_one_run_serve_the_next_as_re_compiles_them(cache_dir):
    first = _child(f"import re\nfrom logdoctor import regexcache\nregexcache.warm()\n"
                   f"for p in {PATTERNS!r}: re.compile(p)\n", cache_dir)  # stored at exit
    assert first.returncode == 0, first.stderr
    (store,) = cache_dir.glob("regex-*")
    assert set(PATTERNS) <= {pattern for pattern, _flags in cache.load(store.name)}
    served = _child(_SERVED, cache_dir)
    assert served.returncode == 0, served.stderr
    assert served.stdout == _expected()


def test_a_damaged_or_foreign_store_is_ignored(cache_dir):
    first = _child(f"import re\nfrom logdoctor import regexcache\nregexcache.warm()\n"
                   f"for p in {PATTERNS!r}: re.compile(p)\n", cache_dir)
    assert first.returncode == 0, first.stderr
    (store,) = cache_dir.glob("regex-*")
    programs = cache.load(store.name)
    # An opcode _sre does not know: `_sre.compile` refuses the program ("invalid SRE code").
    damaged = {key: (flags, [999999, *code], *rest) for key, (flags, code, *rest) in programs.items()}
    for payload in (damaged, ["not", "a", "dict"]):
        store.write_bytes(cache._sealed(pickle.dumps(payload)))
        again = _child(f"import re\nfrom logdoctor import regexcache\nregexcache.warm()\n"
                       f"for p in {PATTERNS!r}:\n    for t in {TEXTS!r}:\n"
                       f"        print([(m.span(), m.lastgroup) for m in re.compile(p).finditer(t)])\n", cache_dir)
        assert again.returncode == 0, again.stderr
        assert again.stdout == _expected()


def test_nothing_is_stored_or_served_with_the_cache_off(tmp_path):
    folder = tmp_path / "cache"
    log = str(SAMPLES / "seed-xinference-t4-gptq-tp4.log")
    env = {**os.environ, cache.DIRECTORY_VARIABLE: str(folder)}
    env.pop(cache.DISABLE_VARIABLE, None)
    assert logdoctor(log, "--no-cache", env=env).returncode in (0, 1)
    assert not folder.exists()
    assert logdoctor(log, env={**env, cache.DISABLE_VARIABLE: "1"}).returncode in (0, 1)
    assert not folder.exists()
    assert logdoctor(log, env=env).returncode in (0, 1)
    assert list(folder.glob("regex-*"))


def test_patterns_compiled_while_forgotten_are_not_kept():
    pattern = r"only while forgotten \d{3}"
    with regexcache.forgotten():
        re.compile(pattern)
        assert (str, pattern, 0) in re._cache
    assert (str, pattern, 0) not in re._cache
