"""Bytes → clean numbered lines, whatever wraps them. The first room of the pipeline.

Logs reach people through docker (`-t` timestamps, `\\r\\n` from a TTY), compose (`svc-1  | `),
Kubernetes (CRI `stdout F`), journald, terminals (ANSI colour, tqdm `\\r` bars, hard wraps at the
window width), hosted consoles (timestamp, worker id and level each on a line of their own) and
GitHub issues (markdown fences, `> ` quotes, escape codes pasted without their ESC byte). Every
later stage sees only the text the program printed, with the line number it had in the input.

Streaming: inputs are read line by line with a bounded readline, so a 5 GB `docker logs` or a
50 MB single line costs constant memory. Nothing is dropped silently: what was joined, truncated
or skipped is counted in `ReadStats`, and a broken gzip stream is reported after what it held.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import signal
import stat
import sys
from collections import Counter, deque
from collections.abc import Callable, Generator, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, groupby
from pathlib import Path
from typing import BinaryIO
from unicodedata import east_asian_width

from logdoctor.read import fold, formats, interrupt
from logdoctor.read.line import Line
from logdoctor.read.scan import LiteralScanner

MAX_LINE_BYTES = 64 * 1024
_WRAP_SCAN_LINES = 256  # lines held at the start to detect a terminal hard-wrap width
_WRAP_MIN_WIDTH = 60
_WRAP_MIN_TWO = 80  # the narrowest width believed on two wrapped pieces alone
_WRAP_SLACK = 20  # a wrapped record's first line may have lost escape codes that counted for the width
_SKIP_CHUNK = 1 << 20
_SPARSE_AFTER = 1 << 20  # bytes of an input read line by line before its body may be scanned in blocks
_BLOCK_BYTES = 4 << 20
_DENSITY_PROBE = 64 << 10  # bytes at the start of a block that tell whether most of its lines hold a literal
_TRANSCODED_BUFFER = 1 << 20
_LIVE_HEAD_BYTES = 8  # a followed input is recognised by its magic bytes alone: waiting for 4 KiB would delay it
_FENCE_MARKS = ("```", "~~~")  # fence lines are dropped and counted, so block scanning must see them

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
# `[0m`, `[1;36m`; a bare `[m` only when no name follows (`[multiproc_executor.py:527]` is a file reference)
_ANSI_RESIDUE = re.compile(r"\[(?:\d{1,3}(?:;\d{1,3})*m|m(?![\w.]))")
_TAG_PREFIX = re.compile(r"^\((?:[A-Za-z_][\w.\-]*)(?: [\w.=\-]+)*? pid=\d+(?:, ip=[^)\s]+)?\) *")
_COMPOSE = re.compile(r"^([A-Za-z0-9][\w.\-]*)\s+\| ?")
_KUBECTL_PREFIX = re.compile(r"^\[(pod/[^/\]\s]+/[^\]\s]+)\] ")  # `kubectl logs --prefix`: [pod/<pod>/<container>]
_TIMESTAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(?:Z|[+\-]\d\d:?\d\d))\]? ")
_CRI_STREAM = re.compile(r"^(stdout|stderr) ([FP]) ")
_JOURNALD = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [\w.\-]+ [\w.\-/@]+(?:\[\d+\])?: ")
_JOURNALD_ISO_TAIL = re.compile(r"^[\w.\-]+ [\w.\-/@]+\[\d+\]: ")
_HEADER_AFTER_STAMP = re.compile(r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL) |- ")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_QUOTE = re.compile(r"^(?:> ?)+")
_CONSOLE_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?$")
_CONSOLE_META = re.compile(r"^\[(?:[a-z0-9]{8,}|info|error|warn|warning|debug|critical)\]$")
_RECORD_START = re.compile(
    r"^(?:\([A-Za-z_][\w.\-]*(?: [\w.=\-]+)*? pid=\d+|(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)[ :]|\d{2,4}-\d\d-\d\d"
    r"|Traceback |  File \"|[A-Za-z_.]*(?:Error|Exception)\b|\[?\d{4}-|\[rank\d+\]:)"
)
# A row of a box-drawn table (nvidia-smi, prettytable): fixed width by design, not hard-wrapped.
_TABLE_ROW = re.compile(r"^[|+].*[|+]\s*$")
# Ray's log deduplication marks a line that other workers printed too; it is not part of the message.
_RAY_REPEATED = re.compile(r" ?\[repeated \d+x across cluster\]$")


class InputError(Exception):
    """One-line, user-facing problem with an input (missing file, unreadable, broken gzip)."""


@dataclass
class ReadStats:
    """What reading the inputs did, so that nothing is dropped silently."""

    bytes_read: int = 0
    physical_lines: int = 0
    joined: int = 0
    truncated: int = 0
    truncated_at: list[int] = field(default_factory=list)
    dropped_fences: int = 0
    dropped_console_meta: int = 0
    newest_first: bool = False
    inputs: list[tuple[str, int, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cut_short: str | None = None  # why reading stopped before the input ended (a signal), None: it did not
    folded: int = 0  # lines not parsed: copies of a repeated block, counted instead (fold.py)

    def mark_truncated(self, number: int) -> None:
        """Count a line (or joined record starting at `number`) cut at the line limit."""
        if number in self.truncated_at[-1:]:
            return
        self.truncated += 1
        if len(self.truncated_at) < 20:
            self.truncated_at.append(number)

    def describe(self) -> str:
        """One line a person reads: what was read and what was done to it."""
        names = " + ".join(name for name, _first, _last in self.inputs) or "no input"
        notes = []
        if self.joined:
            notes.append(f"{self.joined} hard-wrapped line{'s' * (self.joined > 1)} joined")
        if self.truncated:
            notes.append(f"{self.truncated} overlong line{'s' * (self.truncated > 1)} cut at "
                         f"{MAX_LINE_BYTES // 1024} KiB (line {', '.join(map(str, self.truncated_at[:3]))})")
        if self.folded:
            notes.append(f"{self.folded} lines of repeated copies counted, not re-read")
        if self.newest_first:
            notes.append("console export, newest first")
        if self.errors:
            notes.append(self.errors[0])
        if self.cut_short:
            notes.append(f"cut short: {self.cut_short}")
        return f"{names}: {self.physical_lines} lines" + (f" ({'; '.join(notes)})" if notes else "")

    def as_dict(self) -> dict:
        return {
            "inputs": [{"name": n, "first_line": f, "last_line": last} for n, f, last in self.inputs],
            "lines": self.physical_lines, "bytes": self.bytes_read, "joined": self.joined,
            "truncated": self.truncated, "truncated_at": self.truncated_at[:20],
            "dropped_fences": self.dropped_fences, "dropped_console_meta": self.dropped_console_meta,
            "newest_first": self.newest_first, "errors": list(self.errors), "cut_short": self.cut_short,
            "folded": self.folded,
        }


def _open(name: str, stdin: BinaryIO | None) -> tuple[BinaryIO, BinaryIO, str]:
    """A binary stream of UTF-8 text for a path or `-`, the stream it reads from (to close), and the
    input's compression ("" for none), all recognised by their bytes (formats.py). Raises InputError
    for a file that cannot be opened, formats.FormatError for an archive that cannot be read."""
    if name == "-":
        raw: BinaryIO = stdin if stdin is not None else sys.stdin.buffer
        seekable = False
        try:
            if getattr(raw, "live", False):  # --follow: a server writing now; its magic bytes, not 4 KiB
                head, handle = raw.peek(_LIVE_HEAD_BYTES), raw  # type: ignore[attr-defined]
            else:
                head, ended = formats.read_head(raw)
                handle = io.BufferedReader(formats.Prefixed(head, raw, ended))  # type: ignore[arg-type]
        except OSError as error:
            raise InputError(f"cannot read standard input: {error.strerror or error}") from None
    else:
        path = Path(name)
        if path.is_dir():
            raise InputError(f"cannot read {name}: it is a directory")
        try:
            handle = path.open("rb")
            seekable = handle.seekable()
            if seekable:
                head = handle.read(formats.HEAD_BYTES)
                handle.seek(0)
            else:  # a FIFO or a process substitution's /dev/fd/N: what was read is put back in front
                head, ended = formats.read_head(handle)
                handle = io.BufferedReader(formats.Prefixed(head, handle, ended))  # type: ignore[arg-type]
        except OSError as error:
            raise InputError(f"cannot read {name}: {error.strerror or error}") from None
    stream, kind = handle, formats.compression_of(head) or ""
    try:
        if kind:
            stream = formats.decompressed(kind, handle, seekable=seekable)
            head = formats.peek_head(stream, kind)
    except formats.FormatError:
        handle.close()
        raise
    codec = formats.utf16_codec(head)
    if codec is not None:
        stream = io.BufferedReader(formats.Utf8Transcoder(stream, codec), buffer_size=_TRANSCODED_BUFFER)  # type: ignore[arg-type]
    return stream, handle, kind


def strip_escapes(text: str) -> str:
    """`text` without terminal escape codes, nor their residue where a paste lost the ESC byte."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "m" in text and "[" in text:
        text = _ANSI_RESIDUE.sub("", text)
    return text


def check_readable(name: str) -> None:
    """Raise InputError unless `name` is '-' or something a log can be read from: a file, a FIFO,
    /dev/stdin, a process substitution's /dev/fd/N (not a directory, not missing, not forbidden)."""
    if name == "-":
        return
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        raise InputError(f"cannot read {name}: no such file") from None
    except OSError as error:
        raise InputError(f"cannot read {name}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"cannot read {name}: it is a directory")
    if not os.access(name, os.R_OK):
        raise InputError(f"cannot read {name}: permission denied")


def _strip_carriage_returns(text: str) -> str:
    """Keep the last non-empty `\\r` segment (a progress bar's final state), and a leading process tag."""
    segments = text.split("\r")
    kept = next((s for s in reversed(segments) if s.strip()), "")
    tag = _TAG_PREFIX.match(segments[0])
    if tag and not kept.startswith(tag.group()):
        return tag.group() + kept
    return kept


def _strip_timestamp(text: str) -> tuple[str, tuple[str, bool] | None]:
    """Remove a docker/kubectl/CRI/CI timestamp; for a CRI record also its stream and whether it is partial."""
    stamp = _TIMESTAMP.match(text)
    if not stamp:
        return text, None
    rest = text[stamp.end():]
    cri = _CRI_STREAM.match(rest)
    if cri:
        return rest[cri.end():], (cri.group(1), cri.group(2) == "P")
    fraction = stamp.group(2) or ""
    if len(fraction) <= 4 and _HEADER_AFTER_STAMP.match(rest):
        return text, None  # Xinference 2.10+ / Python logging header of its own, not a wrapper
    return rest, None


class LogReader:
    """Iterate clean Lines over one or more inputs in order ('-' = stdin; no inputs = stdin)."""

    def __init__(self, inputs: Sequence[str], stdin: BinaryIO | None = None,
                 max_line_bytes: int = MAX_LINE_BYTES, literals: Iterable[str] = (),
                 on_progress: Callable[[int], None] | None = None, live: bool = False,
                 fold_copies: bool = False) -> None:
        """`literals`: the anchors of every line that matters; once the head of the log is read and shows
        no hard wrapping, the rest is read in blocks and only lines holding one (and the line before
        each) are yielded. `on_progress` is called now and then with the number of bytes read.

        `live`: the input is a server writing now (`--follow`): each line goes on as soon as it is read,
        so no head is held back to look for a terminal's hard wraps (a live stream has none) and no
        block is awaited.

        `fold_copies`: the reader of these lines understands fold.Copies marks, so that runs of copies of a
        repeated block in the body are read at their ends only (fold.py)."""
        self.inputs = list(inputs) or ["-"]
        self.stdin = stdin
        self.max_line_bytes = max_line_bytes
        self.stats = ReadStats()
        self.on_progress = on_progress
        self._literals = (*literals, *_FENCE_MARKS) if literals else ()
        self._scanner: LiteralScanner | None = None
        self._sparse = False  # set once the head is read: the body may be scanned in blocks
        self._cri_seen = False  # Kubernetes CRI records: a partial one continues on a later line
        self._console_stamps: list[str] = []
        self._live = live
        self._fold_copies = fold_copies
        # Literals with digits, masked: a line holding one may pass the prefilter in one copy and not another.
        self._digit_keys = [literal.encode("utf-8", "surrogatepass").translate(fold.DIGITS_TO_ZERO)
                            for literal in self._literals if any(char.isdigit() for char in literal)]
        for name in self.inputs:  # every path is checked before anything is read
            check_readable(name)

    def __iter__(self) -> Iterator[Line]:
        lines = self._clean_lines()
        records = lines if self._live else _unwrap(lines, self.stats, self.max_line_bytes, on_head=self._head_read)
        return _join_continued_commands(records, self.stats, self.max_line_bytes)

    def _head_read(self, wrapped: bool) -> None:
        """Block scanning skips lines, so it is only for logs whose lines stand alone: not hard-wrapped
        (continuations carry no anchor), not a console export (meta lines are counted), not a CRI file
        (a partial record's rest is the next record of its stream, any number of lines later)."""
        self._sparse = (bool(self._literals) and not wrapped and not self.stats.dropped_console_meta
                        and not self._cri_seen)

    # -- physical lines ------------------------------------------------------------------------
    def _physical_lines(self) -> Iterator[tuple[int, bytes]]:
        number = 0
        for name in self.inputs:
            first = number + 1
            try:
                with interrupt.blocking():  # opening a FIFO waits for its writer
                    stream, handle, kind = _open(name, self.stdin)
            except interrupt.Interrupted as stop:
                self._cut_short(stop.signum, number)
                break
            except formats.FormatError as error:  # like a broken gzip: reported, the other inputs still read
                self.stats.errors.append(f"{'stdin' if name == '-' else name}: {error}")
                self.stats.inputs.append(("stdin" if name == "-" else name, first, number))
                continue
            errors = formats.stream_errors(kind)
            read_here = 0
            label = getattr(self.stdin, "label", "stdin") if name == "-" else name  # a followed file's name
            self.stats.inputs.append((label, first, number))  # named while it is read (--follow reports then)
            try:
                while True:
                    if self._sparse and read_here >= _SPARSE_AFTER:
                        number = yield from self._sparse_lines(stream, name, kind, first, number)
                        break
                    try:
                        with interrupt.blocking():
                            raw = stream.readline(self.max_line_bytes)
                    except errors as error:
                        self._read_error(name, kind, error, number - first + 1)
                        break
                    except interrupt.Interrupted as stop:
                        self._cut_short(stop.signum, number)
                        break
                    if not raw:
                        if interrupt.requested() is not None:  # a live input ends early on a signal
                            self._cut_short(interrupt.requested(), number)  # type: ignore[arg-type]
                        break
                    number += 1
                    self.stats.physical_lines = number
                    read_here += len(raw)
                    self.stats.bytes_read += len(raw)
                    broken = None
                    if not raw.endswith(b"\n") and len(raw) >= self.max_line_bytes:
                        broken = self._skip_rest_of_line(stream, number, errors)
                    if self.on_progress is not None and not number & 0xFFF:
                        self.on_progress(self.stats.bytes_read)
                    yield number, raw  # a signal that comes meanwhile stops the next read
                    if broken is not None:  # a damaged stream is not read again (bz2 would raise RuntimeError)
                        self._read_error(name, kind, broken, number - first + 1)
                        break
            finally:
                if name != "-":  # standard input is the caller's to close
                    stream.close()
                    handle.close()
            self.stats.inputs[-1] = (label, first, number)
            if self.stats.cut_short:
                break
        self.stats.physical_lines = number

    def _cut_short(self, signum: int, lines: int) -> None:
        self.stats.cut_short = f"{signal.Signals(signum).name} after {lines} lines"

    def _read_error(self, name: str, kind: str, error: BaseException, lines: int) -> None:
        reason = "truncated" if isinstance(error, EOFError) else f"corrupt ({error})"
        self.stats.errors.append(f"{name}: {kind or 'input'} stream is {reason} after {lines} lines")

    def _sparse_lines(self, stream: BinaryIO, name: str, kind: str, first: int,
                      number: int) -> Generator[tuple[int, bytes], None, int]:
        """The rest of a stream, read in blocks: only the lines holding a literal, each preceded by the
        line before it (the parser's context), plus blank lines that end a traceback; with their true
        numbers. Overlong lines are counted as in the line-by-line path. Returns the last line number.

        A block is scanned in place: only the line it shares with the previous block is copied."""
        if self._scanner is None:
            self._scanner = LiteralScanner(self._literals)
        scan, limit, stats = self._scanner.line_starts, self.max_line_bytes, self.stats
        carry, previous = b"", b""  # an unfinished last line; the last line read, unless it was yielded
        overlong = False  # the line in `carry` is over the limit: its rest is skipped
        while True:
            try:
                with interrupt.blocking():
                    block = stream.read(_BLOCK_BYTES)
            except formats.stream_errors(kind) as error:
                self._read_error(name, kind, error, number - first + 1)
                break
            except interrupt.Interrupted as stop:
                self._cut_short(stop.signum, number)
                break
            if not block:
                break
            stats.bytes_read += len(block)
            if self.on_progress is not None:
                self.on_progress(stats.bytes_read)
            first_newline = block.find(b"\n")
            if first_newline < 0:
                if not overlong:
                    carry += block
                    overlong = len(carry) > limit
                continue
            # The line shared with the previous block, then the whole lines of this one.
            shared = carry + block[:first_newline + 1] if not overlong else carry
            carry, overlong = b"", False
            shared_starts = scan(shared)
            yield from _sparse_block(shared, 0, len(shared), number, previous, shared_starts, limit, stats)
            number += 1
            previous = b"" if shared_starts else shared
            low, high = first_newline + 1, block.rfind(b"\n") + 1
            if high > low:
                previous = yield from self._whole_lines(block[low:high], number, previous)
                number += block.count(b"\n", low, high)
            carry = block[high:]
            overlong = len(carry) > limit
        if carry:
            number += 1
            yield from _sparse_block(carry + b"\n", 0, len(carry) + 1, number - 1, previous, scan(carry), limit, stats)
        return number

    def _whole_lines(self, body: bytes, number: int,
                     previous: bytes) -> Generator[tuple[int, Line | bytes], None, bytes]:
        """The lines of `body` (whole lines; `number` lines came before) that the parser needs, runs of copies
        folded (fold.py) where the reader of the lines understands it. Returns the last line unless it was given
        (the line before the next block's first)."""
        runs: list[fold.Run] = []
        if self._fold_copies and self._dense(body):
            masked, keys = fold.line_keys(body)
            runs = fold.find_runs(keys)
        index = offset = 0  # where the lines not yet given start: line index in body, and byte offset

        def offset_of(line: int) -> int:
            return offset + sum(map(len, masked[index:line])) + line - index

        for run in runs:
            period = run.period
            measured = run.start + run.lead() * period
            measured_at = offset_of(measured)
            previous = yield from self._scanned(body[offset:measured_at], number + index, previous)
            index, offset = measured, measured_at
            tail = measured + (run.skipped() + 1) * period  # the copies from here on are read
            checks: fold.CopyChecks | None = None
            while index < tail and checks is None:  # read and measure copies until one can stand for others
                copy_end, copy_end_at = index + period, offset_of(index + period)
                first, previous = yield from self._measure(body, offset, copy_end_at, number + index, previous)
                if any(self._digit_literal_in(line) for line in masked[index:copy_end]):
                    index, offset = copy_end, copy_end_at
                    break  # the prefilter's answer may change with the numbers: every line is read
                if first.steady:
                    copy = body[offset:copy_end_at]
                    checks = fold.CopyChecks.of(copy, first, _named_prefixes(copy))
                    own = checks.verdicts(copy, 1, period) if checks else []
                    checks = checks if own else None
                index, offset = copy_end, copy_end_at
            if checks is None:
                continue
            copies, at, previous = yield from self._copies(body, masked, number + index, index, offset, tail, period,
                                                           checks, {own[0]: first}, previous)
            index, offset = index + copies * period, at
        return (yield from self._scanned(body[offset:], number + index, previous))

    def _copies(self, body: bytes, masked: list[bytes], number: int, index: int, offset: int, tail: int, period: int,
                checks: fold.CopyChecks, classes: dict[Hashable, fold.Measured],
                previous: bytes) -> Generator[tuple[int, Line | bytes], None, tuple[int, int, bytes]]:
        """The copies from line `index` of body (at byte `offset`, `number` lines before it) to line `tail`, each
        judged: one of a kind already measured (`classes`, by verdicts) is skipped and counted, one of a new
        kind read and measured. Returns how many copies it passed, the byte offset after them, and the previous
        line for the next read."""
        ends = [0, *accumulate(map(len, masked[index:tail]))]  # (a masked line is as long as its line)
        text = body[offset:offset + ends[-1] + tail - index]

        def start(copy: int) -> int:  # byte offset of a copy in body
            return offset + ends[copy * period] + copy * period

        def line_before(copy: int) -> bytes:
            """The last line of the copies skipped before this one, as the next read's `previous`: the context
            line a full read gives before it unless it gave the line already (it holds a literal). The measured
            copy's counts hold the context before it, not this one."""
            line = body[start(copy) - len(masked[index + copy * period - 1]) - 1:start(copy)]
            return b"" if self._scanner.line_starts(line) else line  # type: ignore[union-attr]

        skipping: dict[fold.Measured, list] = {}  # copies not read since the last read: [count, last first lines]
        copy, skipped_from = 0, offset
        for verdicts, group in groupby(checks.verdicts(text, (tail - index) // period, period)):
            count = len(list(group))
            copied = classes.get(verdicts)
            if copied is None:  # a copy of a new kind: the ones skipped before it are counted, it is read
                if skipping:
                    yield from self._skipped(body, skipping, number + copy * period, skipped_from, start(copy), period)
                    skipping, previous = {}, line_before(copy)
                copied, previous = yield from self._measure(body, start(copy), start(copy + 1),
                                                            number + copy * period, previous)
                copy, count, skipped_from = copy + 1, count - 1, start(copy + 1)
                line = index + copy * period
                if not copied.steady or any(self._digit_literal_in(key) for key in masked[line - period:line]):
                    break
                classes[verdicts] = copied
            if count:
                skipped = skipping.setdefault(copied, [0, deque(maxlen=fold.END_COPIES)])
                skipped[0] += count
                last = range(max(count - fold.END_COPIES, 0), count)  # their first lines: the last few copies'
                skipped[1].extend(number + (copy + n) * period + 1 for n in last)
                copy += count
        if skipping:
            yield from self._skipped(body, skipping, number + copy * period, skipped_from, start(copy), period)
            previous = line_before(copy)
        return copy, start(copy), previous

    def _measure(self, body: bytes, start: int, end: int, number: int,
                 previous: bytes) -> Generator[tuple[int, Line | bytes], None, tuple[fold.Measured, bytes]]:
        """Read the copy in body[start:end] (`number` lines before it) between the marks that have the pass
        measure it; returns what it measured and the previous line for the next read."""
        measured = fold.Measured(number + 1)
        yield measured.first, fold.Copies(measured.first, "", phase="measure", measured=measured)
        stats = self.stats
        dropped = (stats.dropped_fences, stats.dropped_console_meta)  # (the lines yielded before were cleaned)
        previous = yield from self._scanned(body[start:end], number, previous)
        measured.dropped = (stats.dropped_fences - dropped[0], stats.dropped_console_meta - dropped[1])
        last = number + body.count(b"\n", start, end)
        yield last, fold.Copies(last, "", phase="measured")
        return measured, previous

    def _skipped(self, body: bytes, skipping: dict[fold.Measured, list], number: int, start: int, end: int,
                 period: int) -> Iterator[tuple[int, fold.Copies]]:
        """The mark of the copies not read in body[start:end], up to line `number`. Their overlong lines are
        counted as in a full read."""
        copies = sum(count for count, _starts in skipping.values())
        _mark_overlong(body, start, end, number - copies * period, self.max_line_bytes, self.stats)
        self.stats.folded += copies * period
        for measured, (count, _starts) in skipping.items():
            self.stats.dropped_fences += measured.dropped[0] * count
            self.stats.dropped_console_meta += measured.dropped[1] * count
        groups = tuple((measured, count, tuple(starts)) for measured, (count, starts) in skipping.items())
        yield number, fold.Copies(number, "", skipped=groups)

    def _dense(self, body: bytes) -> bool:
        """Whether most lines at the start of `body` hold a literal: only then may it hold runs of copies worth
        folding (the lines without one are skipped by the scan anyway), and only then is looking for them
        worth its cost."""
        probe = body[:_DENSITY_PROBE]
        starts = self._scanner.line_starts(probe)  # type: ignore[union-attr]
        return len(starts) * 2 > probe.count(b"\n")

    def _digit_literal_in(self, key: bytes) -> bool:
        return any(literal in key for literal in self._digit_keys)

    def _scanned(self, body: bytes, number: int, previous: bytes) -> Generator[tuple[int, bytes], None, bytes]:
        """The lines of `body` (whole lines) holding a literal, with their context (_sparse_block); returns the
        last line unless it was given."""
        if not body:
            return previous
        starts = self._scanner.line_starts(body)  # type: ignore[union-attr]
        yield from _sparse_block(body, 0, len(body), number, previous, starts, self.max_line_bytes, self.stats)
        last = max(body.rfind(b"\n", 0, len(body) - 1) + 1, 0)
        return b"" if starts and starts[-1] == last else body[last:]

    def _skip_rest_of_line(self, stream: BinaryIO, number: int,
                           errors: tuple[type[BaseException], ...]) -> BaseException | None:
        """Discard the rest of an overlong line without holding it; count it. Returns the error that
        broke the stream meanwhile, if one did."""
        self.stats.mark_truncated(number)
        while True:
            try:
                rest = stream.readline(_SKIP_CHUNK)
            except errors as error:
                return error
            self.stats.bytes_read += len(rest)
            if not rest or rest.endswith(b"\n"):
                return None

    # -- cleaning ---------------------------------------------------------------------------------
    def _clean_lines(self) -> Iterator[Line]:
        partials: dict[str, _Record] = {}  # CRI partial records (`stdout P`) per stream, waiting for their rest
        for number, raw in self._physical_lines():
            if raw.__class__ is not bytes:  # a fold.Copies mark
                yield raw  # type: ignore[misc]
                continue
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if "\x00" in text:
                text = text.replace("\x00", "")
            if text.endswith("\r"):
                text = text.rstrip("\r")
            cleaned = self._clean(number, text)
            if cleaned is None:
                continue
            line, cri = cleaned
            if cri is not None:  # the rest of a partial line is the next record of the same stream
                cri_stream, is_partial = cri
                record = partials.pop(cri_stream, None)
                if record is not None:  # joined in linear time, up to the line limit
                    record.add(line.text, self.max_line_bytes, self.stats)
                elif is_partial:
                    record = _Record.start(line)
                if is_partial:
                    partials[cri_stream] = record
                    continue
                if record is not None:
                    line = record.line()
            yield line
        yield from sorted((record.line() for record in partials.values()), key=lambda line: line.number)

    def _clean(self, number: int, text: str) -> tuple[Line, tuple[str, bool] | None] | None:
        """The clean Line of one physical line (None: not part of the log) and its CRI stream and partial flag."""
        if "\r" in text:
            text = _strip_carriage_returns(text)
        text = strip_escapes(text)
        if text[:1] in (">", "`", "~", " "):  # Markdown around a pasted log: the outermost wrapper
            if text.startswith(">"):
                text = _QUOTE.sub("", text, count=1)
            if _FENCE.match(text):
                self.stats.dropped_fences += 1
                return None
        shown, unprefixed = (len(text) if text.isascii() else _columns(text)), len(text)
        stream = None
        if "|" in text:
            compose = _COMPOSE.match(text)
            if compose:
                stream, text = compose.group(1), text[compose.end():]
        elif text.startswith("[pod/"):
            pod = _KUBECTL_PREFIX.match(text)
            if pod:
                stream, text = pod.group(1), text[pod.end():]
        cri = None
        first = text[:1]
        if first.isdigit() or first == "[":
            text, cri = _strip_timestamp(text)
            self._cri_seen = self._cri_seen or cri is not None
            if text[:1].isdigit():  # a timestamped log kept by a runtime that stamps again (docker -t in CRI)
                text = _strip_timestamp(text)[0]
            elif cri is None and "]: " in text[:80]:
                journald = _JOURNALD_ISO_TAIL.match(text)  # `journalctl -o short-iso`: stamp, host, unit[pid]
                if journald:
                    text = text[journald.end():]
        elif first.isupper() and len(text) > 16 and text[3] == " ":
            journald = _JOURNALD.match(text)
            if journald:
                text = text[journald.end():]
        prefixed = len(text) != unprefixed
        if text.endswith(" across cluster]"):
            text = _RAY_REPEATED.sub("", text)
        if len(text) < 32 and (text[:1] == "[" or text[:1].isdigit()) and self._console_meta(text):
            return None
        return Line(number, text, stream, shown, prefixed), cri

    def _console_meta(self, text: str) -> bool:
        """Hosted-console exports put timestamp, worker id and level on lines of their own."""
        if _CONSOLE_META.match(text):
            self.stats.dropped_console_meta += 1
            return True
        if _CONSOLE_STAMP.match(text):
            self.stats.dropped_console_meta += 1
            stamps = self._console_stamps
            if len(stamps) < 8:
                stamps.append(text)
                if len(stamps) >= 3 and all(a > b for a, b in itertools.pairwise(stamps)):
                    self.stats.newest_first = True
            return True
        return False


def _columns(text: str) -> int:
    """Terminal columns of `text`: East Asian wide and full-width characters take two."""
    return len(text) + sum(1 for char in text if char > "\u10ff" and east_asian_width(char) in "WF")


def _shown(line: Line) -> int:
    return line.width if line.width >= 0 else len(line.text)


def _looks_like_record_start(text: str) -> bool:
    return bool(_RECORD_START.match(text))


def _wrap_width(head: Sequence[Line]) -> int | None:
    """The width at which a terminal hard-wrapped these lines, if they show one."""
    widths: Counter[int] = Counter()
    flush: Counter[int] = Counter()  # of those, continued by a line that starts at the margin
    for line, following in itertools.pairwise(head):
        width = _shown(line)
        if (width >= _WRAP_MIN_WIDTH and following.text and not following.prefixed
                and not _looks_like_record_start(following.text) and not _TABLE_ROW.match(line.text)):
            widths[width] += 1
            flush[width] += not following.text[:1].isspace()
    if not widths:
        return None
    width, count = widths.most_common(1)[0]
    # A terminal that wraps at `width` never shows a much longer line (a resized window may add a
    # few wider ones): equal-length lines beside long unwrapped records are a coincidence
    # (download bars of same-size shards), not a wrap.
    longer = sum(1 for line in head if _shown(line) > width * 3 // 2)
    if count >= 3:
        return width if longer <= count // 10 else None
    # A short paste may hold a single wrapped record: two pieces of one width, each continued at
    # the margin (an indented continuation is a traceback's code line), and nothing wider.
    if flush[width] == 2 and width >= _WRAP_MIN_TWO and all(_shown(line) <= width for line in head):
        return width
    return None


def _unwrap(lines: Iterator[Line], stats: ReadStats, limit: int = MAX_LINE_BYTES,
            on_head: Callable[[bool], None] | None = None) -> Iterator[Line]:
    """Join lines a terminal hard-wrapped at a fixed width back into one record each.

    A record is built from a list of pieces (linear time) and stops growing at `limit`
    characters: the rest of its continuation lines is consumed and the cut is counted.
    `on_head` learns, once the head is read, whether the log is wrapped.
    """
    head: deque[Line] = deque()
    for line in lines:
        head.append(line)
        if len(head) >= _WRAP_SCAN_LINES:
            break
    width = _wrap_width(list(head))
    if on_head is not None:
        on_head(width is not None)
    if width is None:
        yield from head
        yield from lines
        return
    record = _Record(None, [], 0, 0, False, False)
    for line in _chain(head, lines):
        # A record's first piece may look short by the escape codes the wrapping counted; a piece
        # after it, continuing a wrap, fills the width (or all but the column a wide character skipped).
        slack = _WRAP_SLACK if len(record.parts) == 1 else 1
        if (record.first is not None and record.last_width >= width - slack and line.text and not line.prefixed
                and not _looks_like_record_start(line.text) and not record.table_row):
            stats.joined += 1
            record.add(line.text, limit, stats)
            record.last_width = _shown(line)
            continue
        if record.first is not None:
            yield record.line()
        record = _Record.start(line)
        record.table_row = bool(_TABLE_ROW.match(line.text))
    if record.first is not None:
        yield record.line()


def _join_continued_commands(lines: Iterator[Line], stats: ReadStats, limit: int) -> Iterator[Line]:
    """A shell command pasted over several lines (`docker run … \\`, then `    --model X \\`) as one
    line, as the shell reads it: the server's arguments are facts. Only adjacent lines join, and
    a blank line ends the command."""
    record: _Record | None = None
    last = 0
    for line in lines:
        if record is not None and line.number == last + 1 and line.text.strip():
            last = line.number
            record.add(" " + line.text.removesuffix(" \\").strip(), limit, stats)
            if not line.text.endswith(" \\"):
                yield record.line()
                record = None
            continue
        if record is not None:  # the command ended early: a blank line, or the next line was skipped
            yield record.line()
            record = None
        if line.text.endswith(" \\"):
            record, last = _Record.start(Line(line.number, line.text[:-2].rstrip(), line.stream)), line.number
        else:
            yield line
    if record is not None:
        yield record.line()


@dataclass(slots=True)
class _Record:
    """A record being joined from hard-wrapped pieces."""

    first: Line | None
    parts: list[str]
    size: int
    last_width: int  # columns of the last piece, for hard-wrap joining (_unwrap keeps it)
    cut: bool
    table_row: bool

    @classmethod
    def start(cls, line: Line) -> _Record:
        return cls(line, [line.text], len(line.text), _shown(line), False, False)

    def add(self, text: str, limit: int, stats: ReadStats) -> None:
        room = limit - self.size
        if room < len(text) and not self.cut and self.first is not None:
            self.cut = True
            stats.mark_truncated(self.first.number)
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        if self.parts[0][:1] in ("|", "+") and text.strip():  # a table row: `|…|` or `+…+` once joined
            self.table_row = text.rstrip()[-1] in "|+"

    def line(self) -> Line:
        first = self.first
        assert first is not None
        text = first.text if len(self.parts) == 1 else "".join(self.parts)
        return Line(first.number, text, first.stream)


def _named_prefixes(copy: bytes) -> list[tuple[int, bytes]]:
    """Per line of a copy, the compose service's or pod's name that starts it where the name has digits."""
    found = []
    for phase, line in enumerate(copy.split(b"\n")):
        text = line.decode("utf-8", "replace")
        prefix = _COMPOSE.match(text) or _KUBECTL_PREFIX.match(text)
        if prefix and any(char.isdigit() for char in prefix.group()):
            found.append((phase, prefix.group().encode("utf-8", "surrogatepass")))
    return found


def _sparse_block(body: bytes, low: int, high: int, number: int, previous: bytes, starts: list[int], limit: int,
                  stats: ReadStats) -> Iterator[tuple[int, bytes]]:
    """The whole lines of body[low:high] (`number` lines came before) that start at `starts`, each with
    the line before it unless already given, and a blank line between two of them if there is one."""
    _mark_overlong(body, low, high, number, limit, stats)
    count, find, rfind = body.count, body.find, body.rfind
    given_end = low  # offset after the last line yielded
    counted_to, line_number = low, number + 1  # line_number is the number of the line at counted_to
    for start in starts:
        line_number += count(b"\n", counted_to, start)
        counted_to = start
        if start > given_end:  # the line before was not given: it is, after a blank line between if any
            before = max(rfind(b"\n", low, start - 1) + 1, low)
            blank = _blank_line(body, given_end, before) if before > given_end else -1
            if blank >= 0:
                yield number + count(b"\n", low, blank) + 1, b"\n"
            yield line_number - 1, body[before:min(start, before + limit)]
        elif start == low and previous:  # the line before is the last of the previous block
            yield line_number - 1, previous[:limit]
        end = find(b"\n", start, high) + 1 or high
        yield line_number, body[start:min(end, start + limit)]
        given_end = end


def _blank_line(body: bytes, start: int, end: int) -> int:
    """Offset of a blank line between start and end (a traceback ends there), or -1."""
    for mark in (b"\n\n", b"\n\r\n"):
        found = body.find(mark, max(start - 1, 0), end)
        if found >= 0:
            return found + 1
    return -1


def _mark_overlong(body: bytes, low: int, high: int, number: int, limit: int, stats: ReadStats) -> None:
    """Count the lines of body[low:high] longer than `limit`: probe every half-limit for a newline (one
    memchr each), and measure a line only where a probe finds none."""
    step = max(limit // 2, 1)
    position = low
    while position + step <= high:
        if body.find(b"\n", position, position + step) >= 0:
            position += step
            continue
        start = max(body.rfind(b"\n", low, position) + 1, low)
        end = body.find(b"\n", position, high)
        end = high if end < 0 else end
        if end - start > limit:
            stats.mark_truncated(number + body.count(b"\n", low, start) + 1)
        position = end + 1


def _chain(head: deque[Line], rest: Iterator[Line]) -> Iterator[Line]:
    while head:
        yield head.popleft()
    yield from rest
