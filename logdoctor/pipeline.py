"""One pass over the input: source → parse → facts, with observers for the knowledge base.

The log is read once, streaming. Every clean line goes through the LineParser's prefilter; the
few that pass are parsed into events for the fact sheet and shown to any observer (the signature
matcher of the knowledge base), which sees the message without wrappers, headers or tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from logdoctor.parse import Event, LineParser, outcome
from logdoctor.parse.facts import FactSheet, FactSheetBuilder
from logdoctor.parse.memo import MAX_TEXT
from logdoctor.parse.outcome import Outcome
from logdoctor.parse.repeats import raise_for_copies, recording
from logdoctor.read.fold import Copies, Measured
from logdoctor.read.source import Line, LogReader, ReadStats

# An observer gets (line number, message, level) for every line that passed the prefilter.
Observer = Callable[[int, str, "str | None"], None]
_NOT_FACTS = frozenset({"exception", "error_line", "hint"})  # events whose values the fact sheet does not compare
# What the observer's verdict on a message is where it may change with the message's numbers alone (None
# where it may not): a copy of a repeated block is skipped only where it gives the same.
DigitCheck = Callable[[str], object]


@dataclass
class Analysis:
    """What one pass over a log produced."""

    sheet: FactSheet
    stats: ReadStats
    outcome: Outcome


def _has_digits(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)) or (
        isinstance(value, str) and any(char.isdigit() for char in value))


def _values_read_afresh(events: list[Event], message: str) -> bool:
    """Whether a line states values with digits that the fact sheet reads from each copy: a named process's
    (a worker's pid: another process's value is its own), or a message too long to be remembered. The
    fact sheet counts a value stated again only when it is the one kept; a message of the main process
    repeated with other numbers is read as repeating its first value (LineParser), whatever they are."""
    return any(event.kind not in _NOT_FACTS and (event.process is not None or len(message) > MAX_TEXT)
               and any(map(_has_digits, event.facts.values())) for event in events)


class Pass:
    """The pass over a log, one line at a time: it can be asked for its Analysis at any point
    (`--follow` does, as lines arrive) and then fed on."""

    def __init__(self, extra_anchors: Iterable[str] = (), observer: Observer | None = None,
                 observer_digits: DigitCheck | None = None) -> None:
        self.parser = LineParser(extra_anchors)
        self.builder = FactSheetBuilder()
        self._observer = observer
        self._observer_digits = observer_digits
        self._measuring: Measured | None = None  # the copy of a repeated block being measured (read/fold.py)

    @property
    def literals(self) -> list[str]:
        """What a line must hold to matter: the reader may skip the others."""
        return self.parser.literals

    def feed(self, line: Line) -> list[Event]:
        """One clean line: its events go to the fact sheet, its message to the observer. A fold.Copies mark
        says a copy of a repeated block is measured, or that copies of it were skipped (read/fold.py)."""
        if line.__class__ is Copies:
            self._copies(line)  # type: ignore[arg-type]
            return []
        if self._measuring is None:
            return self._feed(line)
        with recording(into=self._measuring.raised):
            events = self._feed(line)
        message = self.parser.last_message
        if message is not None and self._depends_on_digits(message, events):  # the reader judges it in every copy
            values = _values_read_afresh(events, message)
            self._measuring.lines[line.number] = (message, partial(self._digit_verdict, kind=self.parser.last_kind,
                                                                   values=values))
        return events

    def _copies(self, mark: Copies) -> None:
        if mark.phase == "measure" and mark.measured is not None:
            self._measuring = mark.measured
            mark.measured.steady = not self.parser.reads_hints  # (lines read for hints count toward their end)
        elif mark.phase == "measured" and self._measuring is not None:
            self._measuring = None
        elif mark.phase == "skipped":  # each copy raises what its measured copy raised
            raise_for_copies((measured.raised, measured.first, count, starts)
                             for measured, count, starts in mark.skipped)

    def _depends_on_digits(self, message: str, events: list[Event]) -> bool:
        """Whether what a line says may change with its numbers alone: an exit code, a signature that compares
        sizes, a value of a fact (equal to the one kept, or not)."""
        return (outcome.depends_on_digits(message)
                or (self._observer_digits is not None and self._observer_digits(message) is not None)
                or _values_read_afresh(events, message))

    def _digit_verdict(self, message: str, kind: str, values: bool) -> tuple[object, ...]:
        """What a message's numbers decide: whether it tells a death, the observer's verdict on it, and (where
        its values are read afresh, `values`) whether each value it states with digits is the one kept."""
        kept = tuple((name, self.builder.keeps(name, value)) for facts in self.parser.stated_facts(message, kind)
                     for name, value in facts.items() if _has_digits(value)) if values else ()
        return (outcome.tells_death(message) if outcome.depends_on_digits(message) else None,
                self._observer_digits(message) if self._observer_digits is not None else None, kept)

    def _feed(self, line: Line) -> list[Event]:
        events = self.parser.feed(line)
        for event in events:
            self.builder.add(event, line.stream)
        if self._observer is not None and self.parser.last_message is not None:
            self._observer(line.number, self.parser.last_message, self.parser.last_level)
        return events

    def analysis(self, stats: ReadStats, ended: bool = True) -> Analysis:
        """What the lines so far show; `ended`: the log is read to its end (not: a live log going on, nor one
        whose reading a stop signal cut short), so that it may "end in" its last error."""
        ended = ended and stats.cut_short is None
        outcome = self.parser.outcome.result(stats.physical_lines if ended else None, stats.newest_first)
        return Analysis(self.builder.result(), stats, outcome)


def analyze(inputs: Sequence[str], stdin: BinaryIO | None = None, extra_anchors: Iterable[str] = (),
            observer: Observer | None = None, on_progress: Callable[[int], None] | None = None,
            observer_digits: DigitCheck | None = None) -> Analysis:
    """Read every input once and return its fact sheet; raises source.InputError on unreadable input.

    `on_progress` is called now and then with the number of bytes read (the CLI's progress line). Runs of
    copies of a repeated block are folded (read/fold.py) unless an observer comes without its DigitCheck:
    its verdicts on the copies not read could not be checked."""
    one_pass = Pass(extra_anchors, observer, observer_digits)
    reader = LogReader(inputs, stdin=stdin, literals=one_pass.literals, on_progress=on_progress,
                       fold_copies=observer is None or observer_digits is not None)
    for line in reader:
        one_pass.feed(line)
    return one_pass.analysis(reader.stats)
