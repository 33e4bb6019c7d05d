"""A progress line on stderr while a large log is read, so a 5 GB `docker logs` does not look stuck.

Shown only on a terminal and only for inputs over PROGRESS_FROM bytes: a 300-line startup log, a
pipe into another program, a CI job or `--quiet` never see it. The line is rewritten in place at
most five times a second and erased when reading ends, so the report starts on a clean line.
On a `TERM=dumb` console, which knows no escape codes, the line is cleared with spaces instead of
`ESC[K`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from logdoctor.read import formats

PROGRESS_FROM = 50 * 1000 * 1000  # bytes
_INTERVAL = 0.2  # seconds between updates
_MB = 1000 * 1000


def known_size(inputs: Sequence[str]) -> int | None:
    """Bytes the inputs will yield when that is known (plain files); None for stdin or a compressed or
    UTF-16 file (what it yields, in UTF-8, is not its size)."""
    total = 0
    for name in inputs or ["-"]:
        path = Path(name)
        if name == "-" or not path.is_file():
            return None
        with path.open("rb") as handle:
            head = handle.read(formats.HEAD_BYTES)
        if formats.compression_of(head) or formats.utf16_codec(head):
            return None
        total += path.stat().st_size
    return total


class ProgressLine:
    """Called with the number of bytes read so far; draws `reading: 1200 of 5000 MB, 410 MB/s, 9 s left`."""

    def __init__(self, stream: TextIO, total: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._dumb = os.environ.get("TERM", "") == "dumb"
        self._width = 0  # of the text drawn last, to blank it out on a dumb terminal
        self._total = total
        self._clock = clock
        self._started = clock()
        self._next_draw = self._started  # the first update is drawn at once, later ones throttled
        self._drawn = False

    def __call__(self, bytes_read: int) -> None:
        now = self._clock()
        if now < self._next_draw or max(bytes_read, self._total or 0) < PROGRESS_FROM:
            return
        self._next_draw = now + _INTERVAL
        rate = bytes_read / max(now - self._started, 1e-6)
        text = f"reading: {bytes_read / _MB:,.0f}"
        if self._total:
            left = max(self._total - bytes_read, 0) / rate if rate else 0
            text += f" of {self._total / _MB:,.0f} MB, {rate / _MB:,.0f} MB/s, {left:,.0f} s left"
        else:
            text += f" MB, {rate / _MB:,.0f} MB/s"
        self._stream.write(f"\r{text}{self._erase_after(len(text))}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Erase the line (if one was drawn)."""
        if self._drawn:
            self._stream.write("\r" + self._erase_after(0) + ("\r" if self._dumb else ""))
            self._stream.flush()
            self._drawn = False

    def _erase_after(self, written: int) -> str:
        """What clears the rest of the line after `written` characters: ESC[K, or spaces on a dumb terminal."""
        if not self._dumb:
            return "\x1b[K"
        blank, self._width = " " * max(0, self._width - written), written
        return blank
