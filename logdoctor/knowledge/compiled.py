"""The knowledge base compiled once: entries, conditions, signatures and their index, kept on disk.

Reading every entry's YAML, parsing its condition and indexing its signatures costs more than
diagnosing a typical log, grows with the knowledge base, and does not depend on the log. So the
compiled result is pickled in logdoctor's private cache (cache.py) under a name that hashes
logdoctor's own code and version, where the folders are, and the content of every file in them:
adding, editing or removing an entry, moving a folder or changing logdoctor all give another name,
so a stale compilation is never used (old ones are pruned).

Reading ten thousand files to hash them costs more than the rest of a diagnosis, so a second,
small cache file maps the files' stat signatures (size, mtime, ctime, inode), logdoctor's own
sources' included, to that content hash. Any write to a file changes its ctime, which no user
can set, so a known signature means known content; the mapping is only recorded for files last
changed more than a few seconds before, so that a write within the filesystem's timestamp
granularity cannot go unnoticed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path

from logdoctor import cache, knowledge, regexcache
from logdoctor.datafiles import data_dir
from logdoctor.match.rank import SignatureIndex

_KIND, _STAT_KIND = "kb-", "kbstat-"
_SETTLED_NS = 2_000_000_000  # a file changed less long ago may change again without a new timestamp
_PACKAGE = Path(__file__).resolve().parent.parent  # logdoctor's own code


@dataclass
class _Stored:
    """What the cache file holds: the knowledge base's parts and its index.

    The entries are pickled one by one and without their fixtures, which only `kb check` runs
    (reading the YAML itself, not this cache)."""

    categories: dict[str, str]
    warnings: list[str]
    entries: cache.PickledList[knowledge.Entry]
    index: SignatureIndex


def _files(root: Path, skip: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, os.DirEntry]]:
    """Every file under `root` (entries, taxonomy, fixtures) by relative name, sorted: a superset of
    what loading reads, so no change that matters can be missed. Symbolic links to folders are
    not followed, as knowledge.entry_files does not follow them either; folders named in `skip` are
    left out."""
    found = []
    pending = [("", str(root))]
    while pending:
        prefix, folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                for item in listing:
                    if item.is_dir(follow_symlinks=False):
                        if item.name not in skip:
                            pending.append((prefix + item.name + "/", item.path))
                    else:
                        found.append((prefix + item.name, item))
        except OSError:
            found.append((prefix, None))  # an unreadable folder is part of the state too
    found.sort(key=itemgetter(0))  # relative names are unique
    return found


def _code(part) -> list:  # type: ignore[no-untyped-def]
    """(name, part(file)) for logdoctor's own sources and the condition grammar: what a pickled entry's
    meaning depends on. Their bytes for the content key; for the stat key their stat signatures,
    so that a run whose cache is current reads none of them (hashing them was 5 ms of every run)."""
    not_code = {"grammar", "kb", "samples", "__pycache__"}  # data installed inside the package, and bytecode
    sources = [(name, item) for name, item in _files(_PACKAGE, not_code) if item is not None and name.endswith(".py")]
    return [(name, part(item)) for name, item in sources] + [("condition.lark", part(data_dir("grammar")
                                                                                        / "condition.lark"))]


def _source(item: os.DirEntry | Path) -> bytes:
    return Path(item).read_bytes()


def _digest(roots: Sequence[Path], part, code_part) -> str:  # type: ignore[no-untyped-def]
    """A hash of logdoctor's code (`code_part` of each source), each root's location and, for each
    file, `part(file)`.

    Each root's (name, part) rows are hashed as one `repr`, which is unambiguous and made in C:
    hashing ten thousand rows one by one cost as much as the stat calls themselves."""
    digest = hashlib.sha256(repr(_code(code_part)).encode("utf-8", "surrogatepass"))
    for root in roots:
        rows = [(name, part(item, root) if item is not None else "unreadable folder") for name, item in _files(root)]
        digest.update(repr((str(root.resolve()), rows)).encode("utf-8", "surrogatepass"))
    return cache.fingerprint(digest.digest())


def _content(item: os.DirEntry, root: Path) -> bytes | str:
    """What loading reads of a file: a YAML file's bytes, under loading's rules (a FIFO, a device or a
    link out of the folder is refused unread, and the refusal is the content); of any other file
    what `_other_file` says."""
    if not item.name.endswith(".yaml"):
        return _other_file(item)
    from logdoctor.knowledge import yamlsafe

    try:
        return yamlsafe.read_bounded(Path(item.path), root)
    except OSError as error:
        return f"unreadable {error.errno}"
    except yamlsafe.YamlError as error:
        return f"refused: {error}"


def _other_file(item: os.DirEntry) -> str:
    """Of a file that is not an entry (a fixture) only that it exists, and where it links to: fixtures
    are never opened (one may link outside the KB), so their content cannot change the KB."""
    try:
        return "link " + os.readlink(item.path) if item.is_symlink() else "file"
    except OSError as error:
        return f"unreadable {error.errno}"


class _StatKey:
    """The stat-signature hash of the files under `roots`, and when the newest of them changed."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.newest_ns = 0
        self.value = _digest(roots, self._entry, self._stat)

    def _entry(self, item: os.DirEntry, _root: Path) -> tuple[int, ...] | str:
        """A YAML file's stat signature; of another file what the content key takes (no stat: the
        KB's 140 fixtures cost as many system calls)."""
        return self._stat(item) if item.name.endswith(".yaml") else _other_file(item)

    def _stat(self, item: os.DirEntry | Path) -> tuple[int, ...] | str:
        try:
            info = item.stat()
        except OSError as error:
            return f"unreadable {error.errno}"
        self.newest_ns = max(self.newest_ns, info.st_mtime_ns, info.st_ctime_ns)
        return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def load(extra_dirs: Sequence[Path] = (), include_builtin: bool = True) -> tuple[knowledge.KnowledgeBase,
                                                                                  SignatureIndex]:
    """The knowledge base (as knowledge.load) and its index, from the cache when it is current."""
    if cache.directory() is None:
        kb = knowledge.load(extra_dirs, include_builtin)
        return kb, SignatureIndex(kb.entries)
    roots = knowledge.roots(extra_dirs, include_builtin)
    started_ns = time.time_ns()
    stat_key = _StatKey(roots)
    stat_name = f"{_STAT_KIND}{stat_key.value}"
    content_key = cache.load(stat_name)
    known = isinstance(content_key, str)
    if not known:
        content_key = _digest(roots, _content, _source)
    name = f"{_KIND}{content_key}.pickle"
    stored = cache.load(name)
    if isinstance(stored, _Stored):
        stored.index.entries = stored.entries
        kb = knowledge.KnowledgeBase(stored.index.entries, stored.categories, stored.warnings)
        index = stored.index
    else:
        with regexcache.forgotten():  # what compiling uses (YAML's patterns) is not what a cached run needs
            kb = knowledge.load(extra_dirs, include_builtin)
            index = SignatureIndex(kb.entries)
        if _StatKey(roots).value == stat_key.value:  # no file changed while it was being read
            entries = cache.PickledList(replace(entry, positive=(), negative=()) for entry in kb.entries)
            cache.store(name, _Stored(kb.categories, kb.warnings, entries, index), kind=_KIND)
    if not known and stat_key.newest_ns < started_ns - _SETTLED_NS:
        cache.store(stat_name, content_key, kind=_STAT_KIND)
    return kb, index
