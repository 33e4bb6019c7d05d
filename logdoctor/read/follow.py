"""Live inputs for `--follow`: a pipe that does not end, or a file that grows (like `tail -f`).

Both are byte streams the LogReader reads line by line (`readline`, `peek`, `read`). A line is
handed on only once it is whole, so a line the server is still writing is never parsed in
halves; the part of a last line whose writer died is handed on when the input ends (a pipe's
EOF) or the follower stops.

No busy polling. A pipe is read with blocking reads. A file is read to its end, then the
follower sleeps in the kernel until its directory changes (inotify, through `inotify_simple`),
so an idle log costs no CPU; where inotify is not available the file is looked at every
POLL_SECONDS. A file that is moved away and recreated (logrotate's `create`) is read to its end,
then the new file is read from its start; a file truncated in place (`copytruncate`, `> file`)
is read again from its start.

Before waiting, the stream calls `on_idle()`: the follower's chance to say what it has seen so
far (a failure whose last lines may still come is reported once the input pauses). It answers
True to end the stream as if the input had, or how long to wait at most (None: until input comes).
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable
from pathlib import Path

from logdoctor.read import interrupt

CHUNK = 1 << 16
POLL_SECONDS = 0.25  # only without inotify
SAFETY_WAKE_SECONDS = 5.0  # with inotify: look at the file anyway now and then (events lost on network filesystems)

# What on_idle answers: True to end, else the longest wait in seconds (None: until input comes).
IdleAnswer = bool | float | None


class LiveStream:
    """Complete lines of a live input, waiting for more when none is whole yet. The base class is an
    input that has already ended (a FIFO whose open was interrupted)."""

    live = True  # the reader recognises the input by its first bytes only, not a 4 KiB head (read/source.py)

    def __init__(self, on_idle: Callable[[], IdleAnswer] | None = None, label: str = "stdin") -> None:
        self.label = label  # the input's name in the report
        self._buffer = bytearray()
        self._ended = type(self) is LiveStream
        self._on_idle = on_idle or (lambda: None)

    # -- what the LogReader calls ------------------------------------------------------------------
    def readline(self, limit: int = -1) -> bytes:
        """The next whole line (or `limit` bytes of a longer one); what is left at the end; b"" after it."""
        while True:
            end = self._buffer.find(b"\n") + 1
            if end == 0 and 0 < limit <= len(self._buffer):
                end = limit
            if end:
                return self._take(min(end, limit) if limit > 0 else end)
            if self._ended:
                return self._take(len(self._buffer))
            self._fill()

    def peek(self, size: int = 1) -> bytes:
        while len(self._buffer) < size and not self._ended:
            self._fill()
        return bytes(self._buffer[:size])

    def read(self, size: int = -1) -> bytes:
        """At least one byte while the input lasts (GzipFile reads a followed .gz through this)."""
        while not self._buffer and not self._ended:
            self._fill()
        return self._take(len(self._buffer) if size < 0 else size)

    def close(self) -> None:
        self._ended = True

    def stop(self) -> None:
        """End now: what is buffered is dropped (the follower has what it wanted)."""
        self._buffer.clear()
        self._ended = True

    # -- filling -------------------------------------------------------------------------------------
    def _take(self, size: int) -> bytes:
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken

    def _fill(self) -> None:
        """Add bytes to the buffer or set `_ended`; may wait (a stop signal then ends the stream)."""
        data = self._read_available()
        if data or self._ended:
            self._buffer += data
            return
        answer = self._on_idle()
        if answer is True:
            self._ended = True
            return
        try:
            with interrupt.blocking():
                self._wait(None if answer is None or answer is False else float(answer))
        except interrupt.Interrupted:
            self._ended = True  # what is buffered is handed on; the reader sees the signal at the end

    def _read_available(self) -> bytes:
        """Bytes that can be read without waiting (b"": none now; sets `_ended` at the input's end)."""
        raise NotImplementedError

    def _wait(self, timeout: float | None) -> None:
        """Sleep until more input may be there, `timeout` seconds at most (None: no limit)."""
        raise NotImplementedError


class PipeStream(LiveStream):
    """A pipe, a FIFO, a terminal or a socket: blocking reads, ended by EOF."""

    def __init__(self, fd: int, on_idle: Callable[[], IdleAnswer] | None = None, label: str = "stdin",
                 owned: bool = False) -> None:
        super().__init__(on_idle, label)
        self._fd, self._owned = fd, owned

    def _read_available(self) -> bytes:
        ready, _, _ = select.select([self._fd], [], [], 0)
        if not ready:
            return b""
        data = os.read(self._fd, CHUNK)
        self._ended = not data
        return data

    def _wait(self, timeout: float | None) -> None:
        select.select([self._fd], [], [], timeout)

    def close(self) -> None:
        if self._owned and self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        super().close()


class GrowingFile(LiveStream):
    """A regular file that a server appends to, followed across rotation and truncation."""

    def __init__(self, path: str, on_idle: Callable[[], IdleAnswer] | None = None, label: str | None = None) -> None:
        super().__init__(on_idle, label or path)
        self._path = path
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - kept open while the file is followed
        self._watch = _DirectoryWatch(Path(path).resolve().parent)

    def _read_available(self) -> bytes:
        data = self._file.read(CHUNK)
        if data:
            return data
        self._reopen_if_rotated()
        return self._file.read(CHUNK) or b""

    def _reopen_if_rotated(self) -> None:
        """At the end of what is open: a truncated file is read again, a replaced one from its start."""
        try:
            current = os.stat(self._path)
        except FileNotFoundError:  # moved away, not yet recreated: keep what is open
            return
        opened = os.fstat(self._file.fileno())
        if (current.st_ino, current.st_dev) != (opened.st_ino, opened.st_dev):
            self._file.close()
            self._file = open(self._path, "rb", buffering=0)  # noqa: SIM115
        elif current.st_size < self._file.tell():
            self._file.seek(0)

    def _wait(self, timeout: float | None) -> None:
        self._watch.wait(timeout)

    def close(self) -> None:
        super().close()
        self._file.close()
        self._watch.close()


class _DirectoryWatch:
    """Sleep until something in a folder changes: inotify where there is one, else a short sleep."""

    def __init__(self, folder: Path) -> None:
        self._inotify = None
        try:
            from inotify_simple import INotify, flags
        except ImportError:  # not Linux
            return
        try:
            self._inotify = INotify()
            self._inotify.add_watch(folder, flags.MODIFY | flags.CREATE | flags.MOVED_TO | flags.MOVED_FROM
                                    | flags.DELETE | flags.ATTRIB | flags.CLOSE_WRITE)
        except OSError:  # out of watches, a filesystem without inotify
            self._inotify = None

    def wait(self, timeout: float | None) -> None:
        if self._inotify is None:
            select.select([], [], [], min(POLL_SECONDS, timeout if timeout is not None else POLL_SECONDS))
            return
        limit = SAFETY_WAKE_SECONDS if timeout is None else min(timeout, SAFETY_WAKE_SECONDS)
        self._inotify.read(timeout=int(limit * 1000))

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
