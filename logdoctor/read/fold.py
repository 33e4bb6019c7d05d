"""Runs of copies of a repeated block of lines: read at their ends, counted between.

A server that crash-loops or fails every request writes the same block of lines again and again,
each copy with other numbers: a traceback and its `500 Internal Server Error` access line 60,000
times, a worker's memory line a million times. Those are exactly the lines the prefilter lets
through, so reading every copy costs a parse each; what the log says is in its first copies and
its last. So, in the body of a long log (read in blocks, source.py), a run of copies is read like
this:

- the first MEASURED_COPY copies in full, the last of them *measured*: the pass notes every count
  it raises (evidence lines, tallies; parse/repeats.py), and which of its lines may mean something
  else with other numbers (an exit code, a signature that compares sizes, a value a fact keeps);
- the copies between: each such line's message is cut out of the bytes and judged as the pass would
  (once per distinct message). A copy whose lines get the verdicts of a measured copy is not parsed:
  it raises that copy's counts once more, so a signature shown on every copy still says "count:
  60,000". A copy with other verdicts is read in full and measured in turn (a worker whose weights
  happen to equal the first one's); one that cannot be checked ends the skipping;
- the last copies in full (at least TAIL_LINES lines): the newest values and processes, and how
  the log ends, are read, not guessed.

Two lines are copies when they are equal once every number is 0 (`10.57 GiB` and `3.2 GiB` alike).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from operator import methodcaller, ne

from logdoctor.read.line import Line

# The measured copy is the sixth at least, and at least the last 17 are read: evidence keeps the first
# and the last six line numbers (parse/repeats.py), the outcome the first five failures, a fact the
# values of its first process and of the 16 newest others (parse/facts.py); these are then the same as
# when every copy is read.
MEASURED_COPY = 6
END_COPIES = 17
TAIL_LINES = 64  # lines read in full at each end of a run, at least
MAX_PERIOD = 256  # lines of a repeated block, at most
_MAX_MESSAGES = 4096  # distinct messages judged per checked line of a run, at most
_UNCHECKED = object()  # the verdict of a message that is not judged: its copy and the ones after it are read
_RECENT = 4  # earlier occurrences of a line tried as the start of its block's previous copy
# Every digit becomes 0 (here, and for parse/repeats.py's keys): numbers, pids, timestamps, ports and
# sizes no longer tell two lines apart, and the rest of the text stays where it was, so a field found at
# some offset of one line is at the same offset of every line with the same key. On UTF-8 bytes (a UTF-8
# sequence holds no ASCII digit), bytes.translate is fifteen times faster than str.translate. A line's
# key for copies then makes each number one 0: `10.57 GiB` and `3.2 GiB` alike.
DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ZERO_RUN = re.compile(rb"0+")


@dataclass(frozen=True, slots=True)
class Copies(Line):
    """A mark in the stream of lines, at a run of copies: `measure` (the copy from line `number` on is read
    and `measured`), `measured` (it ended), or `skipped`: copies not read up to line `number`, per measured
    copy they copy: how many, and the first lines of the last few of them."""

    phase: str = "skipped"
    measured: Measured | None = None
    skipped: tuple[tuple[Measured, int, tuple[int, ...]], ...] = ()


Judge = Callable[[str], Hashable]  # what a message's numbers decide, as the pass sees it


@dataclass(slots=True, eq=False)
class Measured:
    """A copy read in full and measured. `lines`: per line number, those of its lines whose meaning may hang
    on their numbers: the message and the judge that tells what its numbers decide (the pass's). `raised`:
    the counts its reading raised (parse/repeats.py), raised again for each copy that it stands for: one
    whose lines get the same verdicts."""

    first: int  # the number of its first line
    lines: dict[int, tuple[str, Judge]] = field(default_factory=dict)
    raised: dict = field(default_factory=dict)
    dropped: tuple[int, int] = (0, 0)  # fence and console-meta lines the reader dropped from it, and counts per copy
    # False when the pass was not yet in the state every later copy meets (it still read lines for
    # what the first few hundred say): the copy then stands for no other, and none is skipped.
    steady: bool = True


@dataclass(frozen=True, slots=True)
class Run:
    """`copies` whole copies of a block of `period` lines, the first starting at index `start`."""

    start: int
    period: int
    copies: int

    def lead(self) -> int:
        """Copies read before the measured one: MEASURED_COPY - 1, and at least TAIL_LINES lines."""
        return max(MEASURED_COPY, -(-TAIL_LINES // self.period)) - 1

    def tail(self) -> int:
        """Copies read in full at the end."""
        return max(END_COPIES, -(-TAIL_LINES // self.period))

    def skipped(self) -> int:
        """Copies between the measured one and the tail: the ones not read."""
        return max(self.copies - self.lead() - 1 - self.tail(), 0)


def line_keys(body: bytes) -> tuple[list[bytes], list[bytes]]:
    """The whole lines of `body` with every digit 0 (as long as the lines: their offsets are the lines'),
    and their keys, every number one 0: two lines are copies when their keys are equal."""
    masked = body.translate(DIGITS_TO_ZERO).split(b"\n")
    masked.pop()  # after the last newline
    keys = {line: _ZERO_RUN.sub(b"0", line) for line in set(masked)}  # a repeated line costs one substitution
    return masked, list(map(keys.__getitem__, masked))


def find_runs(keys: Sequence[bytes]) -> list[Run]:
    """The runs worth folding in a list of masked lines, left to right, without overlap.

    A line seen a little earlier (up to MAX_PERIOD lines) may start the second copy of a block that
    began there; the run goes on while each line is a copy of the one a period before it. Runs with
    too few copies to skip any are not returned.
    """
    runs: list[Run] = []
    recent: dict[bytes, deque[int]] = {}
    extents: dict[int, int] = {}  # per period, where the last run found with it stops (valid up to there)
    index, count = 0, len(keys)
    while index < count:
        key = keys[index]
        seen = recent.get(key)
        run = _longest_run(keys, index, seen, extents) if seen else None
        if run is not None and run.skipped() > 0:
            runs.append(run)
            index = run.start + run.copies * run.period
            recent.clear()
            continue
        if seen is None:
            seen = recent[key] = deque(maxlen=_RECENT)
        seen.append(index)
        index += 1
    return runs


def _extent(keys: Sequence[bytes], index: int, period: int) -> int:
    """Where the lines stop being copies of the lines a period before them, from `index` on: compared in
    slices that double (C loops), so that a long run costs little and a short one little more."""
    step, count = 16, len(keys)
    while index < count:
        differs = list(map(ne, keys[index:index + step], keys[index - period:index - period + step]))
        if True in differs:
            return index + differs.index(True)
        index, step = index + len(differs), min(step * 2, 1 << 16)
    return count


def _longest_run(keys: Sequence[bytes], index: int, earlier: deque[int], extents: dict[int, int]) -> Run | None:
    """The longest run whose second copy starts at `index`, its first at one of the `earlier` lines.

    `extents` remembers, per period, where the copies found last stop: from any line before that the
    run with that period stops there too, so a run too short to fold is not compared again from each
    of its lines (a crash loop of 23 start-ups of 256 lines took seconds a block)."""
    best: Run | None = None
    for start in reversed(earlier):
        period = index - start
        if period > MAX_PERIOD:
            break
        end = extents.get(period, 0)
        if end <= index:
            end = extents[period] = _extent(keys, index, period)
        copies = (end - start) // period
        if copies >= 2 and (best is None or copies * period > best.copies * best.period):
            best = Run(start, period, copies)
    return best




class CopyChecks:
    """The verdicts a copy's numbers decide: per line of the measured copy that the pass noted, its header
    (the same but for numbers) and the judge's verdict on the message after it."""

    def __init__(self, phases: list[tuple[int, re.Pattern[bytes], Judge]], prefixes: list[tuple[int, bytes]]) -> None:
        self._phases = phases
        self._prefixes = prefixes
        self._verdicts: list[dict[bytes, Hashable]] = [{} for _ in phases]

    @classmethod
    def of(cls, copy: bytes, measured: Measured, prefixes: list[tuple[int, bytes]]) -> CopyChecks | None:
        """The checks of the measured copy (its bytes); None when a noted line's message is not the end of its
        bytes as they are (escape codes, a wrapper): such copies cannot be checked. `prefixes`: per line, a
        compose service's or pod's name with digits that starts it (`vllm-1  | `): in a copy it must be the
        same service, for what a line says depends on who said it."""
        lines = copy.split(b"\n")
        phases = []
        for number, (message, judge) in sorted(measured.lines.items()):
            phase = number - measured.first
            if not 0 <= phase < len(lines):
                return None
            text, line = message.encode("utf-8", "surrogatepass"), lines[phase].removesuffix(b"\r")
            if not text or not line.endswith(text):
                return None
            header = _ZERO_RUN.sub(b"0", line[:len(line) - len(text)].translate(DIGITS_TO_ZERO))
            # At a line's start (each line of a text at once, or one line); the message is the rest of the line.
            pattern = b"^" + re.escape(header).replace(b"0", b"[0-9]+") + b"(.*)"
            phases.append((phase, re.compile(pattern, re.MULTILINE), judge))
        return cls(phases, prefixes)

    def verdicts(self, text: bytes, copies: int, period: int) -> list[Hashable]:
        """The verdicts of each of the `copies` copies in `text` (whole lines, each ended by a newline), up to
        the first copy that cannot be checked (another header, a message the clean-up would change, too many
        distinct messages). Messages are cut out and looked up in bulk: a copy costs a few C calls."""
        per_phase = []
        lines: list[bytes] = text.split(b"\n") if period > 1 or self._prefixes else []
        for (phase, header, judge), seen in zip(self._phases, self._verdicts, strict=True):
            # One C loop over the text of the lines (each line matches once at most: the message runs to its end)
            if period == 1:
                messages = header.findall(text, 0, len(text) - 1)
            else:
                messages = header.findall(b"\n".join(lines[phase:copies * period:period]))
            if len(messages) != copies:  # a line with another header: the copies before it are checked
                lines = lines or text.split(b"\n")
                matched = list(map(header.match, lines[phase:copies * period:period]))
                messages = [match.group(1) for match in matched[:matched.index(None) if None in matched else copies]]
            for message in set(messages).difference(seen):
                said = message.removesuffix(b"\r")
                if len(seen) >= _MAX_MESSAGES or b"\x1b" in said or b"\x00" in said or b"\r" in said:
                    seen[message] = _UNCHECKED
                else:
                    seen[message] = judge(said.decode("utf-8", "replace"))
            verdicts = list(map(seen.__getitem__, messages))
            if _UNCHECKED in verdicts:
                del verdicts[verdicts.index(_UNCHECKED):]
            per_phase.append(verdicts)
        for phase, prefix in self._prefixes:
            same = list(map(methodcaller("startswith", prefix), lines[phase:copies * period:period]))
            copies = same.index(False) if False in same else copies
        if len(per_phase) == 1:
            return per_phase[0][:copies]
        if not per_phase:
            return [()] * copies
        return list(zip(*per_phase, strict=False))[:copies]  # as far as every phase could be checked
