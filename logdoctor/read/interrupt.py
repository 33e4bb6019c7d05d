"""Ctrl-C and SIGTERM while a log is read: stop reading, report what was read, exit 128 + signal.

An operator who presses Ctrl-C on `docker logs -f x | logdoctor` has read the log so far and
wants the answer for it, not a bare "interrupted". Stopping must not leave a half-fed fact sheet,
so a signal only *raises* where the program waits for input (`blocking()`: a read, an open of a
FIFO, a wait for a file to grow); anywhere else it is noted, the reader goes on with the input
already waiting (in a pipe's buffer, in the file) and stops at the first read that would wait.
A second signal gives up at once (KeyboardInterrupt, exit 128 + signal).

Only the command line installs the handlers (`install()`); a program using the Python API keeps
Python's own behaviour.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)
DRAIN_SECONDS = 0.2  # after a stop signal, how long a read may wait before reading ends


class Interrupted(Exception):
    """A stop signal arrived while the reader waited for input."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _State:
    signum: int | None = None  # the first stop signal received
    blocking = 0  # depth of blocking() regions entered


def install() -> None:
    """Handle SIGINT and SIGTERM as described in this module's docstring."""
    _State.signum, _State.blocking = None, 0
    for signum in HANDLED:
        signal.signal(signum, _handler)
    signal.signal(signal.SIGALRM, _drained)


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _State.signum is not None:  # the second one: stop now, whatever is half done
        raise KeyboardInterrupt
    _State.signum = signum
    if _State.blocking:
        raise Interrupted(signum)


def _drained(_signum: int, _frame: FrameType | None) -> None:
    """A read after the stop signal waited DRAIN_SECONDS: what was waiting has been read."""
    if _State.blocking and _State.signum is not None:
        raise Interrupted(_State.signum)


def requested() -> int | None:
    """The stop signal received so far (None: none)."""
    return _State.signum


def exit_code() -> int | None:
    """128 + the signal's number when one was received (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + _State.signum if _State.signum is not None else None


@contextmanager
def blocking() -> Iterator[None]:
    """A region that waits for input: a stop signal raises Interrupted here. Once one has come, input
    that is already waiting is still read (nothing the user gave is dropped); a wait longer than
    DRAIN_SECONDS ends the reading (SIGALRM raises Interrupted then)."""
    _State.blocking += 1
    draining = _State.signum is not None
    if draining:
        signal.setitimer(signal.ITIMER_REAL, DRAIN_SECONDS)
    try:
        yield
    finally:
        _State.blocking -= 1
        if draining:
            signal.setitimer(signal.ITIMER_REAL, 0)
