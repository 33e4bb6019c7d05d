"""What the terminal allows: its width, whether it wants colour, and text cut or wrapped to fit.

A report that overflows an 80-column terminal is a wall of broken lines, and colour codes in a
file or a `TERM=dumb` console are noise; so the text report asks here how wide to be and whether
to style, and uses these helpers to wrap with hanging indents and to shorten long values in the
middle (a model path keeps its start and its end). Widths are display columns: a CJK character
takes two.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from typing import TextIO

FALLBACK_WIDTH = 100  # a pipe, a file, or a terminal that does not say
MIN_WIDTH = 40
ELLIPSIS = "…"
COLOR_CHOICES = ("auto", "always", "never")


def width() -> int:
    """Columns to fit: `COLUMNS`, else the terminal's, else FALLBACK_WIDTH; never below MIN_WIDTH."""
    return max(MIN_WIDTH, shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns)


def _set(name: str) -> bool:
    """An environment switch is on when present, non-empty and not "0" (FORCE_COLOR=0 means off)."""
    return os.environ.get(name, "") not in ("", "0")


def dumb_terminal() -> bool:
    """`TERM=dumb`: a console that moves no cursor and shows no colour (Emacs shell, some CI logs)."""
    return os.environ.get("TERM", "") == "dumb"


def wants_colour(choice: str, stream: TextIO) -> bool:
    """Whether to colour what goes to `stream`.

    `--color always|never` decides; on `auto`: NO_COLOR (any non-empty value) turns colour off,
    FORCE_COLOR or CLICOLOR_FORCE (non-empty, not "0") turn it on for a pipe or a file too,
    TERM=dumb turns it off, and otherwise colour follows whether `stream` is a terminal.
    """
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if _set("FORCE_COLOR") or _set("CLICOLOR_FORCE"):
        return True
    if dumb_terminal():
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def columns(text: str) -> int:
    """Display width of `text`: wide (CJK) characters count two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _head(text: str, room: int) -> str:
    """The longest start of `text` that fits in `room` columns."""
    used = 0
    for index, char in enumerate(text):
        used += columns(char)
        if used > room:
            return text[:index]
    return text


def cut_end(text: str, room: int) -> str:
    """`text` cut to `room` columns with an ellipsis at the end (titles, log lines)."""
    if columns(text) <= room:
        return text
    return _head(text, max(0, room - 1)).rstrip() + ELLIPSIS


def cut_middle(text: str, room: int) -> str:
    """`text` cut to `room` columns in the middle (`/models/Qwen…-72B-Instruct-AWQ`): both ends tell."""
    if columns(text) <= room:
        return text
    if room <= 1:
        return ELLIPSIS[:room]
    front = _head(text, room // 2)
    back = _head(text[::-1], room - 1 - columns(front))[::-1]
    return front + ELLIPSIS + back


def wrap(text: str, room: int, first: str = "", rest: str | None = None) -> list[str]:
    """`text` as lines of at most `room` columns: `first` starts the first, `rest` (default: spaces as
    wide as `first`) the others, so continuation lines hang under the text. Words longer than a line
    are broken; the text's own spacing collapses to single spaces."""
    rest = " " * columns(first) if rest is None else rest
    lines: list[str] = []
    line, prefix = "", first
    for word in text.split():
        while True:
            candidate = f"{line} {word}" if line else word
            if columns(prefix) + columns(candidate) <= room:
                line = candidate
                break
            if line:  # close the current line and put the word on the next
                lines.append(prefix + line)
                line, prefix = "", rest
                continue
            fits = _head(word, max(1, room - columns(prefix)))  # a word longer than the line: break it
            lines.append(prefix + fits)
            word, prefix = word[len(fits):], rest
            if not word:
                break
    if line or not lines:
        lines.append(prefix + line)
    return lines


def clip(lines: list[str], count: int, room: int) -> list[str]:
    """At most `count` of wrapped `lines`; the last kept one ends in `…` when some were dropped."""
    if len(lines) <= count:
        return lines
    return [*lines[:count - 1], cut_end(f"{lines[count - 1]} {lines[count].lstrip()}", room)]
