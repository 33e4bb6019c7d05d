"""One pass over the input: source → parse → facts, with observers for the knowledge base.

The log is read once, streaming. Every clean line goes through the LineParser's prefilter; the
few that pass are parsed into events for the fact sheet and shown to any observer (the signature
matcher of the knowledge base), which sees the message without wrappers, headers or tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from logdoctor.parse import Event, LineParser
from logdoctor.parse.facts import FactSheet, FactSheetBuilder
from logdoctor.parse.outcome import Outcome
from logdoctor.read.source import Line, LogReader, ReadStats

# An observer gets (line number, message, level) for every line that passed the prefilter.
Observer = Callable[[int, str, "str | None"], None]


@dataclass
class Analysis:
    """What one pass over a log produced."""

    sheet: FactSheet
    stats: ReadStats
    outcome: Outcome


class Pass:
    """The pass over a log, one line at a time: it can be asked for its Analysis at any point
    (`--follow` does, as lines arrive) and then fed on."""

    def __init__(self, extra_anchors: Iterable[str] = (), observer: Observer | None = None) -> None:
        self.parser = LineParser(extra_anchors)
        self.builder = FactSheetBuilder()
        self._observer = observer

    @property
    def literals(self) -> list[str]:
        """What a line must hold to matter: the reader may skip the others."""
        return self.parser.literals

    def feed(self, line: Line) -> list[Event]:
        """One clean line: its events go to the fact sheet, its message to the observer."""
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
            observer: Observer | None = None, on_progress: Callable[[int], None] | None = None) -> Analysis:
    """Read every input once and return its fact sheet; raises source.InputError on unreadable input.

    `on_progress` is called now and then with the number of bytes read (the CLI's progress line)."""
    one_pass = Pass(extra_anchors, observer)
    reader = LogReader(inputs, stdin=stdin, literals=one_pass.literals, on_progress=on_progress)
    for line in reader:
        one_pass.feed(line)
    return one_pass.analysis(reader.stats)
