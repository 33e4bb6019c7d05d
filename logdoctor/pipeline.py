"""One pass over the input: source → parse → facts, with observers for the knowledge base.

The log is read once, streaming. Every clean line goes through the LineParser's prefilter; the
few that pass are parsed into events for the fact sheet and shown to any observer (the signature
matcher of the knowledge base), which sees the message without wrappers, headers or tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from logdoctor.parse import LineParser
from logdoctor.parse.facts import FactSheet, FactSheetBuilder
from logdoctor.parse.outcome import Outcome
from logdoctor.read.source import LogReader, ReadStats

# An observer gets (line number, message, level) for every line that passed the prefilter.
Observer = Callable[[int, str, "str | None"], None]


@dataclass
class Analysis:
    """What one pass over a log produced."""

    sheet: FactSheet
    stats: ReadStats
    outcome: Outcome


def analyze(inputs: Sequence[str], stdin: BinaryIO | None = None, extra_anchors: Iterable[str] = (),
            observer: Observer | None = None, on_progress: Callable[[int], None] | None = None) -> Analysis:
    """Read every input once and return its fact sheet; raises source.InputError on unreadable input.

    `on_progress` is called now and then with the number of bytes read (the CLI's progress line)."""
    parser = LineParser(extra_anchors)
    reader = LogReader(inputs, stdin=stdin, literals=parser.literals, on_progress=on_progress)
    builder = FactSheetBuilder()
    for line in reader:
        for event in parser.feed(line):
            builder.add(event, line.stream)
        if observer is not None and parser.last_message is not None:
            observer(line.number, parser.last_message, parser.last_level)
    stats = reader.stats
    return Analysis(builder.result(), stats, parser.outcome.result(stats.physical_lines, stats.newest_first))
