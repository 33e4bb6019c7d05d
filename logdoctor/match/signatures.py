"""Log evidence of a knowledge-base entry: literal, RE2 regex, or a fuzzy template.

A template is a message with placeholders (`<num>`, `<path>`, `<hex>`, `<*>`). The log line is
masked the same way (numbers, paths, hex, addresses become placeholders) and compared with
rapidfuzz, so a message reworded in another release still counts. Regexes run in RE2, which is
linear-time: a contributor's pattern cannot make logdoctor backtrack forever.

Every signature also names its *anchors*: literal words of which at least one must be in a line
for the signature to be tried. The matcher indexes signatures by anchor, so the cost per line
grows with the anchors present in it, not with the size of the knowledge base.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial

try:  # the regex parser of the standard library, used only to find a regex's required literal
    import re._parser as _sre_parser  # type: ignore[import-not-found]
except ImportError:  # Python < 3.11
    import sre_parse as _sre_parser  # type: ignore[no-redef]


@cache
def _re2_compile() -> Callable[[str], object]:
    """RE2's `compile` with the signatures' options, imported on the first regex compiled: a short log
    whose lines hold no regex signature's anchor never needs RE2 (its import is 2 ms of a start)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = 8 << 20
    return partial(re2.compile, options=options)

_MASKS = (
    (re.compile(r"https?://\S+|(?:[A-Za-z]:)?(?:[\\/][\w.\-@+~]+){2,}[\\/]?"), "<path>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b"), "<hex>"),
    (re.compile(r"(?<![\w<])-?\d+(?:[.,:]\d+)*(?![\w>])"), "<num>"),
)
_PLACEHOLDER = re.compile(r"<(?:num|path|hex|\*)>")
_WORD = re.compile(r"[A-Za-z_][\w\-]{4,}")
_WORD_PAIR = re.compile(r"(?<![\w\-'`])(?=([A-Za-z_][\w\-']* [A-Za-z_][\w\-']*))")


# Comparisons of weighted scores are made this much on the lenient side, so that floating-point
# rounding can never make the early stop in Signature.similarity reject what the total would accept.
_SLACK = 1e-6


class SignatureError(ValueError):
    """A signature that cannot be used (bad regex for RE2, empty template...)."""


def mask(text: str) -> str:
    """A line with numbers, paths and hex replaced by placeholders, spaces collapsed."""
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


def _required_runs(nodes) -> list[str]:  # type: ignore[no-untyped-def]
    """Literal runs every match of a parsed regex must contain (alternatives and optional parts break runs)."""
    runs, current = [], ""
    for op, value in nodes:
        name = str(op)
        if name == "LITERAL":
            current += chr(value)
            continue
        if name == "SUBPATTERN" and value[-1] is not None:
            inner = _required_runs(value[-1])
            if len(inner) == 1 and len(value[-1]) == sum(1 for o, _ in value[-1] if str(o) == "LITERAL"):
                current += inner[0]  # a group of plain literals continues the run
                continue
            runs.append(current)
            runs.extend(inner)
            current = ""
            continue
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:
            runs.append(current)
            runs.extend(_required_runs(value[2]))
            current = ""
            continue
        if name == "AT":
            continue
        runs.append(current)
        current = ""
    runs.append(current)
    return [run for run in runs if run]


def _regex_anchor(pattern: str) -> str | None:
    """The longest literal every match of `pattern` contains (4+ characters), or None."""
    try:
        with warnings.catch_warnings():  # `[[`, `--` in a class: Python's parser warns, RE2 has accepted it
            warnings.simplefilter("ignore")
            parsed = _sre_parser.parse(pattern)
    except (re.error, OverflowError, RecursionError, ValueError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None  # the prefilter is case-sensitive: a case-insensitive regex has no usable literal
    runs = _required_runs(list(parsed))
    best = max(runs, key=len, default="")
    return best if len(best.strip()) >= 4 else None


def _template_anchors(pattern: str) -> tuple[str, ...]:
    """Up to four pairs of adjacent words of a template ("cache blocks", "attention heads").

    A single word such as "request" or "tokens" is in nearly every line of a serving log, which would
    send millions of lines to the fuzzy matcher; a pair of the template's words rarely is, and a
    reworded message that still matches at 90 % keeps at least one of its pairs. Templates
    without two adjacent words fall back to their longest words.
    """
    pairs = {match.group(1) for part in _PLACEHOLDER.split(pattern) for match in _WORD_PAIR.finditer(part)}
    if pairs:
        return tuple(sorted(pairs, key=_pair_rank)[:4])
    words = sorted(set(_WORD.findall(_PLACEHOLDER.sub(" ", pattern))), key=lambda word: (-len(word), word))
    return tuple(words[:4])


def _pair_rank(pair: str) -> tuple[int, int, str]:
    """Pairs of two long words first ("cache blocks" before "which is"): short words are common words."""
    first, second = pair.split(" ")
    return -min(len(first), len(second)), -len(pair), pair


@dataclass
class Signature:
    """One piece of log evidence for an entry."""

    kind: str  # literal | regex | template
    pattern: str
    weight: float = 0.5
    decisive: bool = False
    min_similarity: float = 90.0
    any_level: bool = False  # decisive even on an INFO/WARNING line or before the server became ready
    anchors: tuple[str, ...] = ()
    _regex: object = field(default=None, repr=False)
    _segments: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def build(cls, spec: dict) -> Signature:
        """A signature from its YAML mapping; raises SignatureError when unusable."""
        kinds = [kind for kind in ("literal", "regex", "template") if kind in spec]
        if len(kinds) != 1 or not isinstance(spec[kinds[0]], str) or not spec[kinds[0]].strip():
            raise SignatureError("a signature needs exactly one non-empty literal, regex or template")
        kind = kinds[0]
        pattern = spec[kind]
        decisive = bool(spec.get("decisive", False))
        weight = 1.0 if decisive else float(spec.get("weight", 0.5))
        signature = cls(kind, pattern, weight, decisive, float(spec.get("min_similarity", 90)),
                        bool(spec.get("any_level", False)))
        if kind == "literal":
            signature.anchors = (pattern,)
        elif kind == "regex":
            import re2

            try:
                signature._regex = _re2_compile()(pattern)
            except re2.error as error:
                message = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else error
                raise SignatureError(f"regex is not valid RE2 (linear-time) syntax: {message}") from None
            anchor = _regex_anchor(pattern)
            signature.anchors = (anchor,) if anchor else ()
        else:
            masked = mask(pattern)
            segments = tuple(s.strip() for s in masked.split("<*>") if s.strip())
            if not segments:
                raise SignatureError("template has no text besides placeholders")
            signature._segments = segments
            signature.anchors = _template_anchors(pattern)
            if not signature.anchors:
                raise SignatureError("template needs at least one word of 5+ letters to anchor it")
        return signature

    def __getstate__(self) -> dict:
        """Pickle (the knowledge-base cache) without the compiled RE2 program: most regexes of a large
        knowledge base are never tried on a given log, so each is recompiled on its first use instead."""
        return {**self.__dict__, "_regex": None}

    def similarity(self, message: str, masked: str | None = None) -> float:
        """0..1: how well one message matches (literal/regex: 0 or 1)."""
        if self.kind == "literal":
            return 1.0 if self.pattern in message else 0.0
        if self.kind == "regex":
            if self._regex is None:
                self._regex = _re2_compile()(self.pattern)
            return 1.0 if self._regex.search(message) else 0.0  # type: ignore[attr-defined]
        masked = masked if masked is not None else mask(message)
        total = sum(len(s) for s in self._segments)
        # The score is the segments' scores weighted by length; it counts from min_similarity on.
        # So each segment is asked only for the least it must score for the total to get there
        # (rapidfuzz stops early below that), and the first one that cannot ends the comparison.
        needed, score, rest = self.min_similarity * total, 0.0, 100.0 * total
        for segment in self._segments:
            rest -= 100.0 * len(segment)
            least = (needed - score - rest) / len(segment) - _SLACK
            value = _segment_score(segment, masked, least)
            if value < least:
                return self._cut_similarity(masked, total)
            score += value * len(segment)
        score /= total
        return score / 100 if score >= self.min_similarity else self._cut_similarity(masked, total)

    def _cut_similarity(self, masked: str, total: int) -> float:
        """A line cut mid-way (by a paste, a terminal or a log viewer) holds only the start of a message:
        the template's leading segments, verbatim and in order, then the line ends inside the next
        segment or inside the placeholder before it. That counts, in proportion to the part of the
        template's text present, when it is at least half of it (and 24 characters)."""
        covered, position = 0, 0
        for segment in self._segments:
            found = masked.find(segment, position)
            if found >= 0:
                covered, position = covered + len(segment), found + len(segment)
                continue
            head = masked.rfind(segment[:8], position)  # the line may end inside this segment
            if head >= 0 and segment.startswith(masked[head:].rstrip()):
                covered += len(masked[head:].rstrip())
            break
        else:
            return 0.0  # every segment is there: not a cut line, the full comparison decided
        return covered / total if covered * 2 >= total and covered >= 24 else 0.0


def _segment_score(segment: str, masked: str, least: float = 0.0) -> float:
    """0..100: the segment found in the line; a line shorter than the segment covers only part of it.

    A score below `least` may come back as 0 (the caller only needs to know it falls short)."""
    if segment in masked:
        return 100.0  # what partial_ratio says of a substring, without importing rapidfuzz at start-up
    scale = min(1.0, len(masked) / len(segment))
    cutoff = max(0.0, least) / scale if scale else 101.0
    if cutoff > 100:
        return 0.0  # out of reach even for a perfect match
    from rapidfuzz import fuzz  # imported on the first inexact template: most short logs never try one

    return fuzz.partial_ratio(segment, masked, score_cutoff=cutoff) * scale
