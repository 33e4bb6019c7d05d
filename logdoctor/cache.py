"""A private on-disk cache for what only depends on files: the compiled knowledge base, Lark's tables.

Building these costs more than diagnosing a typical log, and their inputs rarely change, so each
is stored once under a name that hashes everything it was built from (a changed input is simply
another name; nothing is ever "invalidated" in place).

Where: `$LOGDOCTOR_CACHE_DIR`, else `$XDG_CACHE_HOME/logdoctor`, else `~/.cache/logdoctor`; never
beside the installed package, which may be read-only or shared. Off: `LOGDOCTOR_NO_CACHE=1` (the
CLI's `--no-cache` sets it).

Safety: the entries are pickles, and unpickling a file someone else wrote can run their code. So
every cache file, Lark's analysed grammars included, is read by `load` alone: the directory is
created 0700 and used only while it is owned by the current user and writable by no one else (a
shared or planted one disables the cache rather than being trusted); a file is written 0600 and
loaded only if it is a regular file owned by the current user that no one else can write.
Integrity: each file starts with a SHA-256 of its payload, checked before anything is unpickled, so
a flipped bit or a torn write is a miss (rebuilt and rewritten), never a wrong answer or a crash.
Robustness: a file is written under a temporary name and renamed into place, so a reader sees a
whole file or none; anything unreadable (truncated, corrupt, from another version) counts as a miss
and is rebuilt; a directory that cannot be created or written leaves logdoctor uncached, never
failing. If a cached file ever does break a run, `--no-cache` (or LOGDOCTOR_NO_CACHE=1) rules it out.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from logdoctor import __version__

DISABLE_VARIABLE = "LOGDOCTOR_NO_CACHE"
DIRECTORY_VARIABLE = "LOGDOCTOR_CACHE_DIR"
KEEP_PER_KIND = 4  # cached files of one kind (e.g. knowledge bases) kept; older ones are removed


_MAGIC = b"logdoctor-cache 1\n"
_DIGEST_BYTES = 32
_switched_off = False
_NOT_LOADED = object()
T = TypeVar("T")


def disable() -> None:
    """Use no cache for the rest of this process (the CLI's `--no-cache`)."""
    global _switched_off
    _switched_off = True


def disabled() -> bool:
    """True when the user turned the cache off."""
    return _switched_off or os.environ.get(DISABLE_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def location() -> Path:
    """Where the cache lives (whether or not it exists or is usable)."""
    explicit = os.environ.get(DIRECTORY_VARIABLE)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "logdoctor"


def _no_follow(path: str, flags: int) -> int:
    """open() a cache file without following a symbolic link (a planted link is not our file)."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def _private(mode_and_owner: os.stat_result) -> bool:
    """Owned by us and writable by no one else (group/other write bits clear)."""
    owner_ok = not hasattr(os, "geteuid") or mode_and_owner.st_uid == os.geteuid()
    return owner_ok and not mode_and_owner.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def directory() -> Path | None:
    """The cache directory, created 0700 if missing; None when disabled, not creatable, or not private."""
    if disabled():
        return None
    path = location()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError:
        return None
    return path if stat.S_ISDIR(info.st_mode) and _private(info) else None


def fingerprint(*parts: str | bytes) -> str:
    """A short hash of `parts` plus everything that changes what a cached object means: the versions
    of logdoctor and Python (pickles of our classes are only valid for the code that made them)."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version_info[:3]}\0".encode())
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _sealed(payload: bytes) -> bytes:
    """A cache file's bytes: a magic line, the payload's SHA-256, the payload."""
    return _MAGIC + hashlib.sha256(payload).digest() + payload


def _unsealed(data: bytes) -> memoryview | None:
    """The payload of a cache file whose checksum holds; None for a damaged or foreign file."""
    header = len(_MAGIC) + _DIGEST_BYTES
    if len(data) < header or not data.startswith(_MAGIC):
        return None
    payload = memoryview(data)[header:]
    return payload if hashlib.sha256(payload).digest() == data[len(_MAGIC):header] else None


def _trusted(info: os.stat_result) -> bool:
    """A file we may unpickle: a regular file, ours, that no one else can write."""
    return stat.S_ISREG(info.st_mode) and _private(info)


def load(name: str) -> object | None:
    """The object stored under `name`, or None on a miss, a disabled cache or an unusable file.

    What the cache holds lives as long as the process (a knowledge base's index, Lark's tables), so
    it is kept out of the cyclic garbage collector's way: the collector is paused while unpickling
    and what was loaded is frozen (gc.freeze) before it resumes. Otherwise it walks a large
    knowledge base's hundreds of thousands of objects as they are made and again at every older-
    generation collection, a fifth of a 10,000-entry diagnosis. Frozen objects are still freed by
    reference counting; only cyclic garbage that exists at that moment is never collected."""
    folder = directory()
    if folder is None:
        return None
    try:
        with open(folder / name, "rb", opener=_no_follow) as handle:
            if not _trusted(os.fstat(handle.fileno())):
                return None
            payload = _unsealed(handle.read())
        if payload is None:
            return None
        with collector_paused():
            return pickle.loads(payload)
    except Exception:  # a missing, truncated, corrupt or incompatible file is a miss, whatever it raises
        return None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while long-lived objects are unpickled, then freeze them
    (what `load` does; for a caller that unpickles a payload of its own, e.g. parse/grammars.py)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if collecting:
            gc.enable()


def store(name: str, value: object, kind: str | None = None) -> None:
    """Store `value` under `name` (atomically); keep only the newest few files whose names start with `kind`."""
    folder = directory()
    if folder is None:
        return
    import tempfile  # only a miss writes: keep it off the import path of a cached run

    temporary = None
    try:
        sealed = _sealed(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)  # 0600, whatever the umask
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sealed)
        os.replace(temporary, folder / name)
        temporary = None
        if kind:
            _prune(folder, kind)
    except (OSError, pickle.PicklingError, RecursionError):
        return
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path, kind: str) -> None:
    """Remove all but the KEEP_PER_KIND most recently written files of one kind."""
    files = sorted(folder.glob(f"{kind}*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in files[KEEP_PER_KIND:]:
        old.unlink(missing_ok=True)


class PickledList(Sequence[T]):
    """A list stored as one pickle per item, each item unpickled on its first access.

    For what a diagnosis needs only a few of: of a 10,000-entry knowledge base, a log touches the
    entries and signatures it holds evidence for, a few hundred; unpickling all of them would cost
    more than the whole diagnosis. Pickling the list pickles the stored items, never loaded ones.
    """

    def __init__(self, items: Iterable[T]) -> None:
        self.__setstate__([pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL) for item in items])

    def __getstate__(self) -> list[bytes]:
        return self._blobs

    def __setstate__(self, blobs: list[bytes]) -> None:
        self._blobs = blobs
        self._items: list[object] = [_NOT_LOADED] * len(blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, position):  # type: ignore[no-untyped-def, override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        item = self._items[position]
        if item is _NOT_LOADED:
            item = self._items[position] = pickle.loads(self._blobs[position])
        return item
