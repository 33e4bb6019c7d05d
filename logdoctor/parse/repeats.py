"""What repeats in a long log: bounded evidence lines, and the key that tells a repeated message.

A server that crash-loops or fails every request prints the same lines again and again, each with
other numbers (time, pid, sizes, client port). Two things follow. Evidence must stay bounded
whatever the log: a fact or a signature keeps the first few and the last few line numbers that
show it and a count, so the report of a 5 GB storm is as short as that of its start-up. And a
message seen before, but for its numbers, need not be parsed again: `masked` is the key under
which its parse is remembered.

A run of copies of a repeated block (read/fold.py) is read only at its ends: the copies between
are counted. While one copy is read, `recording()` notes every count it raises (evidence lines,
tallies); `raise_for_copies` then raises them as often again for each copy not read, so evidence
counts stay exact.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

from logdoctor.read.fold import DIGITS_TO_ZERO

FIRST_LINES = 6  # line numbers kept from the start of the evidence...
LAST_LINES = 6  # ...and from its end; the lines between are only counted


_DIGIT_RUN = re.compile(r"[0-9]+")


def numbers_masked(text: str) -> str:
    """`text` with every number 0, whatever its length: how two errors of a storm are told to be one
    (`Tried to allocate 1.95 GiB` and `12.07 GiB` alike). Slower than `masked`: for errors, not lines."""
    return _DIGIT_RUN.sub("0", text)


def masked(text: str) -> bytes:
    """`text` with every digit replaced by 0, as UTF-8: the key of a message repeated with other numbers."""
    return text.encode("utf-8", "surrogatepass").translate(DIGITS_TO_ZERO)


@dataclass(slots=True)
class Lines:
    """Line numbers of some evidence, bounded: the first FIRST_LINES, the last LAST_LINES, a count."""

    first: list[int] = field(default_factory=list)
    last: deque[int] = field(default_factory=lambda: deque(maxlen=LAST_LINES))
    count: int = 0

    @classmethod
    def of(cls, numbers: Iterable[int]) -> Lines:
        lines = cls()
        for number in numbers:
            lines.add(number)
        return lines

    def add(self, number: int) -> None:
        """Count one more line (a line already counted last is not counted twice)."""
        if self.count and number == self.newest:
            return
        self.count += 1
        raised = _recording.raised
        if raised is not None:
            _note(raised, self, number)
        if len(self.first) < FIRST_LINES:
            self.first.append(number)
        else:
            self.last.append(number)

    @property
    def newest(self) -> int:
        return self.last[-1] if self.last else self.first[-1]

    @property
    def shown(self) -> list[int]:
        """The line numbers kept, ascending (all of them while count <= FIRST_LINES + LAST_LINES)."""
        return sorted({*self.first, *self.last})

    @property
    def complete(self) -> bool:
        """Whether `shown` holds every line counted."""
        return self.count == len(self.shown)


def union(parts: Iterable[Lines]) -> Lines:
    """The evidence of something derived from several facts: their lines together. The count is
    exact when every part kept all its lines, else the sum of the parts' counts (a line that shows
    two of them counts twice)."""
    parts = list(parts)
    numbers = sorted({number for part in parts for number in part.shown})
    merged = Lines.of(numbers[:FIRST_LINES] + numbers[FIRST_LINES:][-LAST_LINES:])
    merged.count = len(numbers) if all(part.complete for part in parts) else sum(part.count for part in parts)
    return merged


@dataclass(slots=True)
class Tally:
    """A count that a run of copies raises like evidence lines (errors while serving, processes not kept)."""

    count: int = 0

    def add(self) -> None:
        self.count += 1
        raised = _recording.raised
        if raised is not None:
            _note(raised, self)


Counted = Lines | Tally


@dataclass(slots=True)
class _Raised:
    """What one count got while a copy was read: how often it was raised, and at which lines (for Lines)."""

    counted: Counted
    times: int = 0
    numbers: list[int] = field(default_factory=list)


Raised = dict[int, _Raised]  # by id() of what was counted


class _Recording(threading.local):
    raised: Raised | None = None  # per thread: passes in other threads record nothing here


_recording = _Recording()


def _note(raised: Raised, counted: Counted, number: int | None = None) -> None:
    entry = raised.get(id(counted))
    if entry is None:
        entry = raised[id(counted)] = _Raised(counted)
    entry.times += 1
    if number is not None:
        entry.numbers.append(number)


@contextmanager
def recording(into: Raised) -> Iterator[None]:
    """Note in `into` every count raised in this thread meanwhile (a line of a copy being measured)."""
    outer = _recording.raised
    _recording.raised = into
    try:
        yield
    finally:
        _recording.raised = outer


def raise_for_copies(copies: Iterable[tuple[Raised, int, int, Sequence[int]]]) -> None:
    """Raise the counts of copies that were not read, each as its measured copy raised them. Per measured
    copy: what it raised, its first line's number, how many copies of it were not read, and the first lines
    of the last few of those: these get their line numbers (in order, all copies together), so that evidence
    shows the last lines as if every copy were read; the others raise counts only."""
    added: list[tuple[int, Lines]] = []
    for raised, first, count, starts in copies:
        for entry in raised.values():
            counted = entry.counted
            if isinstance(counted, Lines):
                counted.count += entry.times * (count - len(starts))
                added += [(start + number - first, counted) for start in starts for number in entry.numbers]
            else:
                counted.count += entry.times * count
    for number, lines in sorted(added, key=itemgetter(0)):
        lines.add(number)
