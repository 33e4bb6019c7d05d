"""The logs a fleet run reads: folders (walked, hidden files skipped), globs and files, each once."""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from pathlib import Path

from logdoctor.read.source import InputError

_GLOB_CHARACTERS = frozenset("*?[")
# What a folder of logs also holds and no server writes: code, configuration, notes, archives of other
# kinds. Walking a folder passes over these; a file or glob that names one explicitly is still read.
_NOT_LOGS = frozenset({".py", ".pyc", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".md", ".rst", ".html",
                       ".csv", ".png", ".jpg", ".svg", ".pdf", ".whl", ".so", ".sh"})


def log_files(arguments: Sequence[str]) -> list[Path]:
    """Every file the arguments name, in argument order (a folder's files sorted), without repeats.

    A folder stands for every file under it but code, configuration and notes (by suffix), a glob
    (quoted, so the shell leaves it alone; `**` descends) for what it matches; gzip is recognised
    when read, not by name. Raises InputError for an argument that names nothing, so a typo is not
    a silently empty fleet.
    """
    found: dict[Path, None] = {}
    for argument in arguments:
        matched = list(_files_of(argument))
        if not matched:
            raise InputError(f"{argument}: no such file or folder, or no log in it")
        found.update(dict.fromkeys(matched))
    return list(found)


def _files_of(argument: str) -> Iterator[Path]:
    path = Path(argument)
    if path.is_dir():
        yield from _walk(path)
    elif path.is_file():
        yield path
    elif _GLOB_CHARACTERS & set(argument):
        for match in sorted(glob.glob(argument, recursive=True)):
            yield from _files_of(match)


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if (path.is_file() and path.suffix.lower() not in _NOT_LOGS
                and not any(part.startswith(".") for part in path.relative_to(folder).parts)):
            yield path
