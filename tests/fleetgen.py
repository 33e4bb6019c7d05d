"""A generated fleet: the corpus and sample logs copied many times, under varied names and wrappers.

What a folder of many servers' logs looks like: plain files, gzip, `docker logs -t` timestamps,
`docker compose` prefixes, CRLF endings, nested folders, and names of every shape. The fleet
tests and benchmarks/fleet.py build it; each copy must get the answer `logdoctor diagnose`
gives that very file.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from tests.logpieces import CORPUS, SAMPLES


def _docker_timestamps(data: bytes) -> bytes:
    return b"".join(b"2025-03-0%dT08:12:%02d.%09dZ " % (1 + n % 9, n % 60, n) + line
                    for n, line in enumerate(data.splitlines(keepends=True)))


def _compose(data: bytes) -> bytes:
    return b"".join(b"vllm-openai-1  | " + line for line in data.splitlines(keepends=True))


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# (name pattern, transformation): {i} the copy's number, {stem} the original log's name
WRAPPINGS: tuple[tuple[str, Callable[[bytes], bytes]], ...] = (
    ("pods/{stem}-{i:04d}.log", lambda data: data),
    ("gz/{i:04d}-{stem}.log.gz", gzip.compress),
    ("docker/node-{i:04d}/vllm.log", _docker_timestamps),
    ("compose/{stem}.{i}.txt", _compose),
    ("windows/{i:04d} {stem}.LOG", _crlf),
    ("archive/{i:04d}/{stem}-ts.gz", lambda data: gzip.compress(_docker_timestamps(data))),
    ("deep/a/b/c/{stem}_{i}", lambda data: _compose(_crlf(data))),
)


def originals() -> list[Path]:
    """The real logs copied: the corpus (when ../shared is there) and our samples."""
    return sorted(CORPUS.glob("*/log.txt")) + sorted(SAMPLES.glob("*.log"))


def generate(folder: Path, count: int) -> list[Path]:
    """Write `count` logs under `folder`, cycling through the originals and the wrappings; return their paths."""
    sources = [(path.parent.name if path.name == "log.txt" else path.stem, path.read_bytes()) for path in originals()]
    written = []
    for i in range(count):
        stem, data = sources[i % len(sources)]
        pattern, wrap = WRAPPINGS[(i // len(sources) + i) % len(WRAPPINGS)]
        path = folder / pattern.format(i=i, stem=stem)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wrap(data))
        written.append(path)
    return written
