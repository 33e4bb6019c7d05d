"""Parses remembered per masked line, so that a message repeated with other numbers costs a lookup.

The lines a crash loop or an error storm repeats are exactly those that pass the prefilter, and
Lark parses them at tens of microseconds each. Their text differs only in numbers (time, pid,
sizes, ports): with every digit masked (repeats.masked) they share one key, and what the parse of
the first one found holds for the others, its numbers aside.

- The envelope: the grammar (grammar/envelope.lark) tells digits apart only as digits, so lines
  with one key split at the same offsets. A field without digits is the same in all of them; a
  field with digits is read at its offset in each line.
- The message's templates: see LineParser, which parses once per exact message and per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from logdoctor.parse.envelope import Envelope

MAX_ENTRIES = 1024  # per memo: a log with more distinct templates than this is parsed as before
# Longer texts are not kept: the lines a storm repeats are short, and a hostile log of long distinct
# lines must not fill the memos (at most MAX_ENTRIES × MAX_TEXT characters each).
MAX_TEXT = 2048
HAS_DIGIT = re.compile(r"[0-9]").search

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict, Generic[K, V]):
    """A dict that forgets everything when it is full: memory stays bounded on any log, and a log
    whose repeated templates fit is served from it."""

    def remember(self, key: K, value: V, size: int) -> V:
        """Keep `value` under `key`, a text of `size` characters (or one made from it), unless too long."""
        if size > MAX_TEXT:
            return value
        if len(self) >= MAX_ENTRIES:
            self.clear()
        self[key] = value
        return value


Span = tuple[int, int] | None  # where a field with digits is in the line; None: the template's value holds


@dataclass(frozen=True, slots=True)
class EnvelopeRecipe:
    """How to read the envelope of any line with the same masked text as the first one."""

    template: Envelope
    message_start: int
    tags: tuple[Span, ...]
    source: Span
    pid: Span
    role: Span

    @classmethod
    def of(cls, envelope: Envelope, text: str) -> EnvelopeRecipe | None:
        """The recipe of `envelope`, parsed from `text`; None when its fields cannot be placed in the
        text (a JSON record, whose message is not the line's end)."""
        if envelope.kind == "json" or not text.endswith(envelope.message):
            return None
        message_start = len(text) - len(envelope.message)
        header, cursor = text[:message_start], 0

        def span(value: str | None) -> Span | bool:
            nonlocal cursor
            if value is None or not HAS_DIGIT(value):
                return None
            at = header.find(value, cursor)  # fields come in this order: tags, source, pid, role
            if at < 0:
                return False
            cursor = at + len(value)
            return at, cursor

        spans = [span(tag) for tag in envelope.tags] + [span(envelope.source), span(envelope.pid),
                                                         span(envelope.role)]
        if any(found is False for found in spans):
            return None
        *tags, source, pid, role = spans
        return cls(envelope, message_start, tuple(tags), source, pid, role)  # type: ignore[arg-type]

    def apply(self, text: str) -> Envelope:
        """The envelope of `text`, a line with the same masked text as the template's."""
        template = self.template
        tags = template.tags
        if any(self.tags):
            tags = tuple(text[span[0]:span[1]] if span else tag for tag, span in zip(tags, self.tags, strict=True))
        return Envelope(
            text[self.message_start:], template.kind, template.level,
            text[self.source[0]:self.source[1]] if self.source else template.source, tags,
            text[self.pid[0]:self.pid[1]] if self.pid else template.pid,
            text[self.role[0]:self.role[1]] if self.role else template.role,
        )
