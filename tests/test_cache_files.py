"""Every cache file, Lark's included, through the installed CLI: private, checksummed, never trusted blindly.

Before: Lark wrote its `lark-*.pickle` itself with the user's umask (0664 under umask 002) and read
it back with no owner or mode check, so a group member's pickle ran in the next run; and no cache
file had a checksum, so a flipped bit in a `lexer-*` file gave exit 3 on every later run or quietly
changed the report.
"""

from __future__ import annotations

import os
import pickle
import random
import stat
from pathlib import Path

import pytest

from logdoctor import cache

from .clirun import logdoctor
from .conftest import SAMPLES

LOG = SAMPLES / "s-v09-l40s-llama8b-serving-oom-v1.log"


class _Plant:
    """A pickle that creates a file when it is loaded: proof that a planted cache file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def _run(cache_dir: Path, *args: str, umask: int | None = None, **options):
    env = {**os.environ, "LOGDOCTOR_CACHE_DIR": str(cache_dir)}
    env.pop("LOGDOCTOR_NO_CACHE", None)
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return logdoctor(*args, env=env, preexec_fn=preexec, **options)


def _warm(cache_dir: Path, umask: int | None = None):
    first = _run(cache_dir, str(LOG), "--format", "json", umask=umask)
    assert first.returncode == 1, first.stderr
    return first


def _replace_payload(path: Path, payload: bytes) -> None:
    """Rewrite a cache file around another payload, as someone who can write it would: checksum and all."""
    data = path.read_bytes()
    magic = getattr(cache, "_MAGIC", None)
    if magic is not None and data.startswith(magic):
        path.write_bytes(cache._sealed(payload))
    else:  # Lark's own format (its hash line, then pickles), as written before issue 12
        path.write_bytes(data.split(b"\n", 1)[0] + b"\n" + payload)


def test_every_cache_file_is_written_0600_whatever_the_umask(tmp_path):
    cache_dir = tmp_path / "cache"
    _warm(cache_dir, umask=0o002)
    files = sorted(cache_dir.iterdir())
    assert {f.name.split("-")[0] for f in files} >= {"lark", "lexer", "kb", "kbstat"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.parametrize("how", ["group-writable", "world-writable", "foreign-owned"])
def test_a_lark_cache_file_others_could_write_is_never_unpickled(tmp_path, how):
    if how == "foreign-owned" and os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    cache_dir, marker = tmp_path / "cache", tmp_path / "pwned"
    baseline = _warm(cache_dir)
    for lark_file in cache_dir.glob("lark-*"):
        _replace_payload(lark_file, pickle.dumps(_Plant(marker)))
        if how == "foreign-owned":
            os.chown(lark_file, 65534, 65534)
        else:
            lark_file.chmod(0o664 if how == "group-writable" else 0o666)
    again = _run(cache_dir, str(LOG), "--format", "json")
    assert not marker.exists()
    assert again.returncode == 1 and again.stdout == baseline.stdout, again.stderr


@pytest.mark.parametrize("kind", ["lexer-", "lark-", "kb-", "hyperscan-", "regex-", "code-"])
def test_a_flipped_bit_in_a_cache_file_is_a_miss_rebuilt_never_a_crash_or_another_report(tmp_path, kind):
    cache_dir = tmp_path / "cache"
    baseline = _warm(cache_dir)
    files = sorted(cache_dir.glob(f"{kind}*"))
    if not files:
        pytest.skip(f"no {kind} file here (Hyperscan is not installed)")
    rnd = random.Random(kind)
    for _ in range(6):
        path = rnd.choice(files)
        data = bytearray(path.read_bytes())
        position = rnd.randrange(len(data))
        data[position] ^= 1 << rnd.randrange(8)
        path.write_bytes(bytes(data))
        result = _run(cache_dir, str(LOG), "--format", "json")
        assert result.returncode == 1, result.stderr
        assert result.stdout == baseline.stdout
    after = _run(cache_dir, str(LOG), "--format", "json")  # rebuilt and rewritten: a hit again
    assert after.stdout == baseline.stdout


def test_an_internal_error_names_no_cache_as_the_way_to_rule_the_cache_out(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "def broken(*args, **kwargs):\n    raise RuntimeError('bad opcode')\n"
        "import logdoctor.api\nlogdoctor.api.rank = broken\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = logdoctor(str(LOG), env=env)
    assert result.returncode == 3
    error = result.stderr.decode()
    assert error.count("\n") == 1 and "internal error: RuntimeError: bad opcode" in error and "--no-cache" in error
