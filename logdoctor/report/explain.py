"""`logdoctor explain FACT [LOG…]`: what a fact means, who tests it, and how a given log showed it.

The fact names are a contract (`parse/factnames.py`) that KB authors write conditions against and
tools read from JSON; a person meeting `kv_cache_fits_max_model_len=no` in a report needs its
meaning, the known issues whose `when` reads it, and — for their own log — the value and the very
lines it was read or derived from.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from logdoctor.knowledge import Entry
from logdoctor.parse.factnames import FACTS
from logdoctor.pipeline import Analysis
from logdoctor.read.source import LogReader
from logdoctor.report import factsheet, terminal

LINES_SHOWN = 5


def close_names(name: str) -> list[str]:
    """Fact names a mistyped `name` may have meant."""
    return difflib.get_close_matches(name, list(FACTS), n=3)


def every_fact(width: int) -> list[str]:
    """One entry per fact: name, kind, meaning (wrapped under itself)."""
    return [line for name, (kind, meaning) in FACTS.items()
            for line in terminal.wrap(meaning, width, first=f"{name:<28} {kind:<8} ", rest=" " * 38)]


def one_fact(name: str, entries: Sequence[Entry], width: int, analysis: Analysis | None = None,
             inputs: Sequence[str] = ()) -> list[str]:
    """What `name` means, which entries test it and, given the analysis of `inputs`, how that log showed it."""
    kind, meaning = FACTS[name]
    testing = sorted(entry.id for entry in entries if entry.when and name in entry.when.names)
    tested = f"tested by {len(testing)} known issue{'s' * (len(testing) != 1)}" + (": " if testing else "")
    out = [f"{name} ({kind})", *terminal.wrap(meaning, width, first="  "),
           *terminal.wrap(tested + ", ".join(testing), width, first="  ", rest="    ")]
    if analysis is None:
        return out + terminal.wrap(f"in a log: logdoctor explain {name} LOG (its value and the lines that show "
                                   f"it), or facts[\"{name}\"] in --format json", width, first="  ", rest="    ")
    sheet = analysis.sheet
    if name not in sheet.facts:
        return [*out, f"  not in this log ({analysis.stats.describe()})"]
    value = terminal.cut_middle(factsheet.format_value(name, sheet.facts[name]), width - 12)
    out.append(f"  in this log: {value}")
    for process, value_of in sheet.per_process.get(name, {}).items():
        out.append(terminal.cut_middle(f"    {process}: {factsheet.format_value(name, value_of)}", width))
    numbers = sheet.evidence.get(name, [])[:LINES_SHOWN]
    for number, text in _lines(inputs, set(numbers)):
        out += terminal.clip(terminal.wrap(f"line {number}: {text}", width, first="    ", rest="      "), 2, width)
    return out


def _lines(inputs: Sequence[str], numbers: set[int]) -> list[tuple[int, str]]:
    """The text of the given line numbers, read again (only as far as the last of them)."""
    found: list[tuple[int, str]] = []
    if not numbers or "-" in inputs:  # a stream cannot be read twice
        return found
    for line in LogReader(inputs):
        if line.number in numbers:
            found.append((line.number, line.text))
        if line.number >= max(numbers):
            break
    return found
