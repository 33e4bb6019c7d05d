"""Knowledge-base entries × log lines × facts × the user's symptom → ranked diagnoses.

The scoring model (one for every entry; documented in README "How confidence is computed"):

    p_log     = 0.9 if a decisive signature matched, else 0.6 × noisy-OR(weights × similarity)
    p_facts   = 0.25 if the entry's `when` holds on the fact sheet, 0 if unknown or absent
    p_symptom = 0.5 × max(0, (coverage − 0.35) / 0.65)   (best of the entry's symptom phrases)
    confidence = 1 − (1 − p_log)(1 − p_facts)(1 − p_symptom)
                 × 0.3 if `when` is false   × 0.5 if the version is outside the entry's range
                 at most 0.45 when only the symptom supports it (no line matched, no `when` held)
                 at most 0.55 for a family entry (a category's general shape): confident, but below
                 any specific entry that names the issue

Each part is a probability that the entry is right given that kind of evidence, combined as
independent (noisy-OR). The caps encode what the corpus shows: an error line that names the
problem is enough on its own (0.9); context lines and facts alone are not (together they stay
below 0.5, so a healthy start with a risky setup is reported as a risk, not a diagnosis); a
symptom that matches is what turns a silent setup risk ("!!!!" on a T4) into a diagnosis, but
never on its own: words without a line or a fact of the log behind them are a guess.

Evidence knows its weight. A line counts once for an entry (its best signature), however many
of the entry's signatures it matches. A decisive signature is decisive on an error line; on an
INFO/WARNING/DEBUG line, or on a line the server got past (it became ready afterwards), it counts
as a context line of weight 0.5 unless the signature says `any_level` — a warning is not a failure.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from logdoctor.cache import PickledList
from logdoctor.knowledge import Entry
from logdoctor.match.conditions import evaluate
from logdoctor.match.signatures import Signature, mask
from logdoctor.parse.memo import HAS_DIGIT as _HAS_DIGIT
from logdoctor.parse.memo import Memo
from logdoctor.parse.repeats import Lines, masked

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from logdoctor.match.symptoms import SymptomIndex

CONFIDENT = 0.5
MAX_HITS_PER_SIGNATURE = 5
_DECISIVE, _CONTEXT_CAP, _FACTS, _SYMPTOM = 0.9, 0.6, 0.25, 0.5
_WHEN_FALSE, _VERSION_OUT = 0.3, 0.5
_SYMPTOM_ONLY_CAP, _FAMILY_CAP = 0.45, 0.55
_DEMOTED_WEIGHT = 0.5  # a decisive signature's weight on a line that is not a failure
_NOT_FAILURE_LEVELS = frozenset({"INFO", "WARNING", "WARN", "DEBUG"})
_SYMPTOM_FLOOR = 0.35
_GRAM = 4  # anchors are indexed by one of their 4-character substrings


@dataclass
class Hit:
    """The log lines that matched a signature: the best one (`line`, `text`), and all of them bounded."""

    line: int
    text: str
    similarity: float
    signature: Signature
    lines: Lines = field(default_factory=Lines)
    level: str | None = None  # the line's log level, when its header gave one

    def decisive(self, ready_line: int | None) -> bool:
        """Whether this hit names a failure on its own: a decisive signature on an error (or level-less)
        line the server did not get past; `any_level` signatures are decisive wherever they match."""
        if not self.signature.decisive:
            return False
        if self.signature.any_level:
            return True
        return self.level not in _NOT_FAILURE_LEVELS and (ready_line is None or self.line > ready_line)

    def weight(self, ready_line: int | None) -> float:
        """The hit's weight as context: a demoted decisive signature weighs _DEMOTED_WEIGHT."""
        if self.signature.decisive and not self.decisive(ready_line):
            return _DEMOTED_WEIGHT
        return min(1.0, self.signature.weight)

    @property
    def count(self) -> int:
        return self.lines.count


@dataclass
class Diagnosis:
    """One ranked root cause with everything that supports it."""

    entry: Entry
    confidence: float
    hits: list[Hit] = field(default_factory=list)
    condition: bool | None = None
    condition_facts: dict[str, object] = field(default_factory=dict)
    symptom: str | None = None
    symptom_similarity: float | None = None
    version_ok: bool | None = None

    @property
    def family(self) -> bool:
        """A match of the category's general shape, not of one known issue."""
        return self.entry.family


class SignatureIndex:
    """What matching needs from a knowledge base, computed once per KB (and cached with it).

    Signatures are indexed by their anchor literals, and each anchor by its rarest 4-character
    substring: a line is cut into its 4-grams once, and only the anchors filed under one of them are
    checked with `in`. The work per line grows with the line's length and the anchors it shares
    grams with, not with the number of entries. Conditions and symptom phrases are listed too.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries: Sequence[Entry] = entries
        # Each entry's signatures, apart from the entry: a line's candidates need only these.
        self.signatures: Sequence[tuple[Signature, ...]] = [entry.signatures for entry in entries]
        # What ranking needs of every entry, so that it unpickles none: ids and version ranges.
        self.ids = [entry.id for entry in entries]
        self.layers = [entry.layer for entry in entries]  # a team's --kb entry wins a tie against a built-in one
        self.versions = {e_index: {product: str(specifier) for product, specifier in entry.versions.items()}
                         for e_index, entry in enumerate(entries) if entry.versions}
        self.families = frozenset(e_index for e_index, entry in enumerate(entries) if entry.family)
        self.categories = [entry.category for entry in entries]
        self.by_anchor: dict[str, list[tuple[int, int]]] = {}
        for e_index, entry in enumerate(entries):
            for s_index, signature in enumerate(entry.signatures):
                for anchor in signature.anchors:
                    self.by_anchor.setdefault(anchor, []).append((e_index, s_index))
        gram_counts = Counter(gram for anchor in self.by_anchor for gram in set(_grams(anchor)))
        self.by_gram: dict[str, list[str]] = {}
        self.short: list[str] = []  # anchors shorter than a gram: checked one by one
        for anchor in self.by_anchor:
            grams = _grams(anchor)
            if grams:
                self.by_gram.setdefault(min(grams, key=lambda g: (gram_counts[g], g)), []).append(anchor)
            else:
                self.short.append(anchor)
        # (entry, source, tree): plain tuples, which a cached index unpickles ~6x faster than Conditions.
        self.conditional = [(e_index, entry.when.source, entry.when.tree) for e_index, entry in enumerate(entries)
                            if entry.when]
        self._symptoms: SymptomIndex | bytes | None = None

    @property
    def symptoms(self) -> SymptomIndex:
        """The entries' symptom phrases, indexed on first use (only `--symptom` needs them)."""
        if self._symptoms is None:
            from logdoctor.match.symptoms import SymptomIndex  # only --symptom needs it (and rapidfuzz.process)

            self._symptoms = SymptomIndex([entry.symptoms for entry in self.entries])
        elif isinstance(self._symptoms, bytes):
            self._symptoms = pickle.loads(self._symptoms)
        return self._symptoms

    def __getstate__(self) -> dict:
        """The index as kbcache stores it: without the entries, which kbcache stores one by one; with
        each entry's signatures pickled apart, so that a diagnosis unpickles only those of the
        candidates its lines meet; and with the symptom index pickled apart, to be unpickled only
        when a symptom is given."""
        state = {**self.__dict__, "_symptoms": pickle.dumps(self.symptoms, protocol=pickle.HIGHEST_PROTOCOL),
                 "signatures": self.signatures if isinstance(self.signatures, PickledList)
                 else PickledList(self.signatures)}
        del state["entries"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, entries=())

    def anchors_in(self, message: str) -> list[str]:
        """Every anchor that occurs in `message`, overlapping and nested ones included."""
        found = [anchor for anchor in self.short if anchor in message]
        by_gram = self.by_gram
        for gram in by_gram.keys() & {message[i:i + _GRAM] for i in range(len(message) - _GRAM + 1)}:
            found.extend(anchor for anchor in by_gram[gram] if anchor in message)
        return found

    @property
    def anchors(self) -> list[str]:
        """Literals the line prefilter must let through for these signatures."""
        return list(self.by_anchor)


def _grams(text: str) -> list[str]:
    return [text[i:i + _GRAM] for i in range(len(text) - _GRAM + 1)]


_Verdict = tuple[tuple[int, int], float]  # (entry, signature) and similarity


@dataclass(frozen=True, slots=True)
class _Verdicts:
    """What the signatures say of every message with one masked text (repeats.masked).

    `fixed`: the verdicts that hold for all of them, found once: literals without digits, and
    templates when masking for them (signatures.mask) left no digit, all reached by anchors without
    digits (whether such a literal is in a line does not depend on its digits). `recheck`: the
    candidates tried on each line: regexes, literals with digits, templates that compare digits.
    `digit_anchors`: the anchors with digits that may be in such a message, looked for in each line.
    """

    fixed: tuple[_Verdict, ...]
    recheck: tuple[tuple[int, int], ...]
    digit_anchors: tuple[str, ...]


# Per signature index: masked message -> _Verdicts, exact message -> rechecked verdicts, anchors with digits.
_MEMOS: WeakKeyDictionary[SignatureIndex, tuple[Memo[bytes, _Verdicts], Memo[str, tuple[_Verdict, ...]],
                                               list[tuple[bytes, str]]]] = WeakKeyDictionary()


class SignatureMatcher:
    """Sees each prefiltered line once and records which entries' signatures it matches.

    A line is tried only against the signatures whose anchors it contains, and a message repeated
    with other numbers only against those whose verdict may depend on them.
    """

    def __init__(self, index: SignatureIndex) -> None:
        self.index = index
        self.entries = index.entries
        self.anchors = index.anchors
        self.hits: dict[tuple[int, int], Hit] = {}
        memos = _MEMOS.get(index)  # verdicts depend on the index and the text only: kept for the process
        if memos is None:
            memos = _MEMOS[index] = (Memo(), Memo(), [(masked(a), a) for a in index.anchors if _HAS_DIGIT(a)])
        self._verdicts, self._rechecked, self._digit_anchors = memos

    def observe(self, number: int, message: str, level: str | None = None) -> None:
        verdicts = self._verdicts_for(message)
        for signature_key, similarity in verdicts.fixed:
            self._hit(signature_key, number, message, similarity, level)
        if verdicts.recheck or verdicts.digit_anchors:
            for signature_key, similarity in self._rechecked_for(message, verdicts):
                self._hit(signature_key, number, message, similarity, level)

    def digit_verdicts(self, message: str) -> tuple[_Verdict, ...] | None:
        """The verdicts on this message that may change with its numbers alone (None: there are none)."""
        verdicts = self._verdicts_for(message)
        if not (verdicts.recheck or verdicts.digit_anchors):
            return None
        return self._rechecked_for(message, verdicts)

    def _rechecked_for(self, message: str, verdicts: _Verdicts) -> tuple[_Verdict, ...]:
        rechecked = self._rechecked.get(message)
        if rechecked is None:
            rechecked = self._rechecked.remember(message, self._recheck(message, verdicts), len(message))
        return rechecked

    def _verdicts_for(self, message: str) -> _Verdicts:
        key = masked(message)
        verdicts = self._verdicts.get(key)
        if verdicts is None:
            verdicts = self._verdicts.remember(key, self._verdicts_of(message, key), len(message))
        return verdicts

    def _recheck(self, message: str, verdicts: _Verdicts) -> tuple[_Verdict, ...]:
        """The verdicts that depend on the message's digits (once per exact message)."""
        candidates = set(verdicts.recheck)
        for anchor in verdicts.digit_anchors:
            if anchor in message:
                candidates.update(self.index.by_anchor[anchor])
        masked_text: str | None = None
        found = []
        for signature_key in sorted(candidates):
            signature = self.index.signatures[signature_key[0]][signature_key[1]]
            if signature.kind == "template" and masked_text is None:
                masked_text = mask(message)
            similarity = signature.similarity(message, masked_text)
            if similarity > 0:
                found.append((signature_key, similarity))
        return tuple(found)

    def _verdicts_of(self, message: str, key: bytes) -> _Verdicts:
        candidates: set[tuple[int, int]] = set()
        for literal in self.index.anchors_in(message):
            if not _HAS_DIGIT(literal):
                candidates.update(self.index.by_anchor[literal])
        masked_text = mask(message)
        # mask() tells digits apart only as digits, but for `0x`: a hex number there may be a word elsewhere
        templates_fixed = not _HAS_DIGIT(masked_text) and b"0x" not in key
        fixed, recheck = [], []
        for signature_key in sorted(candidates):
            signature = self.index.signatures[signature_key[0]][signature_key[1]]
            if signature.kind == "regex" or (signature.kind == "literal" and _HAS_DIGIT(signature.pattern)) or (
                    signature.kind == "template" and not templates_fixed):
                recheck.append(signature_key)
                continue
            similarity = signature.similarity(message, masked_text)
            if similarity > 0:
                fixed.append((signature_key, similarity))
        digit_anchors = tuple(anchor for masked_anchor, anchor in self._digit_anchors if masked_anchor in key)
        return _Verdicts(tuple(fixed), tuple(recheck), digit_anchors)

    def _hit(self, key: tuple[int, int], number: int, message: str, similarity: float, level: str | None) -> None:
        hit = self.hits.get(key)
        if hit is None:
            self.hits[key] = Hit(number, message.strip()[:500], similarity, self.index.signatures[key[0]][key[1]],
                                 Lines.of([number]), level)
        else:
            hit.lines.add(number)
            if similarity > hit.similarity or (similarity == hit.similarity and _graver(level, hit.level)):
                hit.line, hit.text, hit.similarity, hit.level = number, message.strip()[:500], similarity, level


def _graver(level: str | None, than: str | None) -> bool:
    """A line of this level says more of a failure than one of `than` (ERROR or no level over INFO)."""
    return than in _NOT_FAILURE_LEVELS and level not in _NOT_FAILURE_LEVELS


@lru_cache(maxsize=1024)
def _specifier(text: str) -> SpecifierSet:
    from packaging.specifiers import SpecifierSet  # only entries with version ranges need it

    return SpecifierSet(text)


def _version_ok(versions: Mapping[str, str], facts: Mapping[str, object]) -> bool | None:
    """Whether the log's versions are in the entry's ranges ({product: specifier}); None: not known."""
    if not versions:
        return None
    from packaging.version import InvalidVersion, Version

    verdicts = []
    for product, text in versions.items():
        value = facts.get(f"{product}_version")
        if value is None:
            continue
        specifier = _specifier(text)
        try:
            verdicts.append(Version(str(value)) in specifier or specifier.contains(str(value), prereleases=True))
        except InvalidVersion:
            continue
    if not verdicts:
        return None
    return all(verdicts)


@dataclass(slots=True)
class _Score:
    """An entry's confidence and evidence, reckoned from the index alone (no entry unpickled)."""

    e_index: int
    confidence: float
    hits: list[Hit]
    condition: bool | None
    symptom: str | None
    symptom_similarity: float | None
    version_ok: bool | None


def _score(e_index: int, hits: list[Hit], condition: bool | None, similarity: tuple[float, str | None] | None,
           version_ok: bool | None, ready_line: int | None = None, family: bool = False) -> _Score:
    """The confidence of one entry (the model in this module's docstring).

    `condition` is the entry's `when` verdict (None: unknown or no condition); `similarity` its best
    symptom coverage and phrase, None when the user gave no symptom; `ready_line` the last line where
    the server became ready (None: it never did, as far as the log shows).
    """
    hits = _one_per_line(hits, ready_line)
    decisive = any(hit.decisive(ready_line) for hit in hits)
    miss = 1.0
    for hit in hits:
        miss *= 1 - hit.weight(ready_line) * hit.similarity
    p_log = _DECISIVE if decisive else _CONTEXT_CAP * (1 - miss)
    p_facts = _FACTS if condition else 0.0
    score, phrase = similarity if similarity is not None else (None, None)
    if score is not None and score < _SYMPTOM_FLOOR:
        score, phrase = None, None  # a few shared words are no evidence, and are not shown as such
    p_symptom = _SYMPTOM * max(0.0, (score - _SYMPTOM_FLOOR) / (1 - _SYMPTOM_FLOOR)) if score else 0.0
    confidence = 1 - (1 - p_log) * (1 - p_facts) * (1 - p_symptom)
    if not hits and not condition:
        confidence = min(confidence, _SYMPTOM_ONLY_CAP)
    if family:  # the shape of an error line: without the line, the facts alone say nothing of it
        confidence = min(confidence, _FAMILY_CAP) if hits else 0.0
    if condition is False:
        confidence *= _WHEN_FALSE
    if version_ok is False:
        confidence *= _VERSION_OUT
    return _Score(e_index, round(confidence, 3), hits, condition, phrase, score, version_ok)


def _one_per_line(hits: list[Hit], ready_line: int | None) -> list[Hit]:
    """An entry's hits with each line once (the strongest signature on it), in line order."""
    best: dict[int, Hit] = {}
    for hit in hits:
        kept = best.get(hit.line)
        strength = (hit.decisive(ready_line), hit.weight(ready_line) * hit.similarity)
        if kept is None or strength > (kept.decisive(ready_line), kept.weight(ready_line) * kept.similarity):
            best[hit.line] = hit
    return sorted(best.values(), key=lambda h: h.line)


def _families_yield(scores: list[_Score], index: SignatureIndex) -> None:
    """A family entry stays just below a confident specific entry of its category: the specific one names
    the issue the family only has the shape of (both say the same category, so the answer holds)."""
    best: dict[str, float] = {}
    for score in scores:
        if score.e_index not in index.families and score.confidence >= CONFIDENT:
            category = index.categories[score.e_index]
            best[category] = max(best.get(category, 0.0), score.confidence)
    for score in scores:
        specific = best.get(index.categories[score.e_index]) if score.e_index in index.families else None
        if specific is not None and score.confidence >= specific:
            score.confidence = round(specific - 0.01, 3)


class Ranking(Sequence[Diagnosis]):
    """Diagnoses best first, each made (and its entry unpickled) when it is first read.

    Ranking needs only the index; a report shows the first few diagnoses, and of a large knowledge
    base hundreds of entries hold a `when` that the log satisfies, each a weak candidate that
    would otherwise be unpickled for nothing.
    """

    def __init__(self, scores: list[_Score], entries: Sequence[Entry], facts: Mapping[str, object]) -> None:
        self._scores, self._entries, self._facts = scores, entries, facts
        self._made: dict[int, Diagnosis] = {}

    def __len__(self) -> int:
        return len(self._scores)

    def __getitem__(self, position):  # type: ignore[no-untyped-def, override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        position = range(len(self))[position]  # negative positions, and IndexError past the end
        made = self._made.get(position)
        if made is None:
            score = self._scores[position]
            entry = self._entries[score.e_index]
            named = sorted(entry.when.names) if entry.when is not None else []
            made = self._made[position] = Diagnosis(
                entry, score.confidence, score.hits, score.condition, {name: self._facts.get(name) for name in named},
                score.symptom, score.symptom_similarity, score.version_ok)
        return made


def rank(matcher: SignatureMatcher, facts: Mapping[str, object], symptom: str | None = None,
         minimum: float = 0.05, ready_line: int | None = None) -> Ranking:
    """Every entry with some support, best first.

    Support is a matched line, a `when` that holds, or a symptom phrase the user's words cover;
    only entries with one of these are scored, so the cost follows the evidence, not the KB size.
    """
    index = matcher.index
    hits_by_entry: dict[int, list[Hit]] = {}
    for (e_index, _s_index), hit in sorted(matcher.hits.items()):  # an entry's hits in signature order
        hits_by_entry.setdefault(e_index, []).append(hit)
    conditions: dict[int, bool | None] = {}
    verdicts: dict[str, bool | None] = {}  # one evaluation per distinct condition
    tests: dict = {}  # and per distinct comparison (conditions.evaluate)
    for e_index, source, tree in index.conditional:
        if source not in verdicts:
            verdicts[source] = evaluate(tree, facts, tests)
        conditions[e_index] = verdicts[source]
    similarities = index.symptoms.similarities(symptom) if symptom else {}
    supported = set(hits_by_entry) | set(similarities) | {e for e, verdict in conditions.items() if verdict}
    scores = []
    for e_index in supported:
        score = _score(e_index, hits_by_entry.get(e_index, []), conditions.get(e_index),
                       similarities.get(e_index, (0.0, None)) if symptom else None,
                       _version_ok(index.versions.get(e_index, {}), facts), ready_line,
                       e_index in index.families)
        if score.confidence >= minimum and (score.hits or score.condition or score.symptom_similarity):
            scores.append(score)
    _families_yield(scores, index)
    scores.sort(key=lambda s: (-s.confidence, -index.layers[s.e_index], -len(s.hits), index.ids[s.e_index]))
    return Ranking(scores, matcher.entries, facts)
