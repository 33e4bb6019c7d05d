"""Knowledge-base entries × log lines × facts × the user's symptom → ranked diagnoses.

The scoring model (one for every entry; documented in README "How confidence is computed"):

    p_log     = 0.9 if a decisive signature matched, else 0.6 × noisy-OR(weights × similarity)
    p_facts   = 0.25 if the entry's `when` holds on the fact sheet, 0 if unknown or absent
    p_symptom = 0.5 × max(0, (coverage − 0.35) / 0.65)   (best of the entry's symptom phrases)
    confidence = 1 − (1 − p_log)(1 − p_facts)(1 − p_symptom)
                 × 0.3 if `when` is false   × 0.5 if the version is outside the entry's range

Each part is a probability that the entry is right given that kind of evidence, combined as
independent (noisy-OR). The caps encode what the corpus shows: an error line that names the
problem is enough on its own (0.9); context lines and facts alone are not (together they stay
below 0.5, so a healthy start with a risky setup is reported as a risk, not a diagnosis); a
symptom that matches is what turns a silent setup risk ("!!!!" on a T4) into a diagnosis.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version
from rapidfuzz import fuzz

from logdoctor.knowledge import Entry
from logdoctor.signatures import Signature, mask

CONFIDENT = 0.5
MAX_HITS_PER_SIGNATURE = 5
_DECISIVE, _CONTEXT_CAP, _FACTS, _SYMPTOM = 0.9, 0.6, 0.25, 0.5
_WHEN_FALSE, _VERSION_OUT = 0.3, 0.5
_SYMPTOM_FLOOR = 0.35
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z0-9_.+\-]*[a-z0-9]|!{2,}|\?{2,}")
# Words every vLLM complaint contains: they say little about which problem it is.
_DOMAIN_WORDS = frozenset({"vllm", "xinference", "model", "models", "server", "gpu", "gpus", "error", "fails", "fail",
                           "failed", "start", "starts", "launch", "docker", "cuda"})
_STOPWORDS = frozenset({"the", "a", "an", "is", "are", "of", "to", "on", "in", "with", "and", "or", "when", "for",
                        "it", "its", "at", "by", "from", "my", "i", "after", "only", "just", "all", "every", "any"})


@dataclass
class Hit:
    """A log line that matched a signature."""

    line: int
    text: str
    similarity: float
    signature: Signature
    count: int = 1


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


class SignatureIndex:
    """Every signature of a knowledge base, indexed by its anchor literals (built once per KB)."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self.by_anchor: dict[str, list[tuple[int, int]]] = {}
        for e_index, entry in enumerate(self.entries):
            for s_index, signature in enumerate(entry.signatures):
                for anchor in signature.anchors:
                    self.by_anchor.setdefault(anchor, []).append((e_index, s_index))
        ordered = sorted(self.by_anchor, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        # anchors that lie inside a longer anchor: found through the longer one's match
        self.contained = {a: [b for b in ordered if b != a and b in a] for a in ordered}

    def anchors_in(self, message: str) -> list[str]:
        """Every anchor that occurs in `message`, overlapping and nested ones included."""
        if self.pattern is None:
            return []
        found: dict[str, None] = {}
        position = 0
        while True:
            match = self.pattern.search(message, position)
            if match is None:
                return list(found)
            literal = match.group()
            found[literal] = None
            found.update(dict.fromkeys(self.contained[literal]))
            position = match.start() + 1

    @property
    def anchors(self) -> list[str]:
        """Literals the line prefilter must let through for these signatures."""
        return list(self.by_anchor)


class SignatureMatcher:
    """Sees each prefiltered line once and records which entries' signatures it matches.

    A line is tried only against the signatures whose anchors it contains.
    """

    def __init__(self, index: SignatureIndex) -> None:
        self.index = index
        self.entries = index.entries
        self.anchors = index.anchors
        self.hits: dict[tuple[int, int], Hit] = {}

    def observe(self, number: int, message: str) -> None:
        tried: set[tuple[int, int]] = set()
        masked: str | None = None
        for literal in self.index.anchors_in(message):
            for key in self.index.by_anchor[literal]:
                if key in tried:
                    continue
                tried.add(key)
                signature = self.entries[key[0]].signatures[key[1]]
                if signature.kind == "template" and masked is None:
                    masked = mask(message)
                similarity = signature.similarity(message, masked)
                if similarity <= 0:
                    continue
                hit = self.hits.get(key)
                if hit is None:
                    self.hits[key] = Hit(number, message.strip()[:500], similarity, signature)
                else:
                    hit.count += 1
                    if similarity > hit.similarity:
                        hit.line, hit.text, hit.similarity = number, message.strip()[:500], similarity


def _words(text: str) -> list[str]:
    return _LATIN_WORD.findall(_CJK_RUN.sub(" ", text.lower()))


def _bigrams(text: str) -> set[str]:
    chars = "".join(_CJK_RUN.findall(text))
    return {a + b for a, b in itertools.pairwise(chars)} or set(chars)


def _coverage(phrase: str, said_words: list[str], said_bigrams: set[str]) -> float:
    """0..1: how much of one symptom phrase the user's words cover (Latin words fuzzily, Chinese by bigrams)."""
    covered = total = 0.0
    for word in _words(phrase):
        weight = 0.3 if word in _STOPWORDS else 1.0 if word in _DOMAIN_WORDS else 8 if not word[0].isalnum() else (
            min(len(word), 8))
        total += weight
        if any(word == said or (len(word) > 3 and fuzz.ratio(word, said) >= 85) for said in said_words):
            covered += weight
    phrase_bigrams = _bigrams(phrase)
    if phrase_bigrams:
        weight = 2.0 * len(phrase_bigrams)
        total += weight
        covered += weight * len(phrase_bigrams & said_bigrams) / len(phrase_bigrams)
    return covered / total if total else 0.0


def symptom_similarity(symptom: str, phrases: Sequence[str]) -> tuple[float, str | None]:
    """Best coverage (0..1) of one of the entry's symptom phrases by what the user said."""
    said_words, said_bigrams = _words(symptom), _bigrams(symptom)
    best, best_phrase = 0.0, None
    for phrase in phrases:
        score = _coverage(phrase, said_words, said_bigrams)
        if score > best:
            best, best_phrase = score, phrase
    return best, best_phrase


def _version_ok(entry: Entry, facts: Mapping[str, object]) -> bool | None:
    verdicts = []
    for product, specifier in entry.versions.items():
        value = facts.get(f"{product}_version")
        if value is None:
            continue
        try:
            verdicts.append(Version(str(value)) in specifier or specifier.contains(str(value), prereleases=True))
        except InvalidVersion:
            continue
    if not verdicts:
        return None
    return all(verdicts)


def score_entry(entry: Entry, hits: Sequence[Hit], facts: Mapping[str, object], symptom: str | None) -> Diagnosis:
    """The diagnosis of one entry: its confidence and the evidence behind it."""
    decisive = any(hit.signature.decisive for hit in hits)
    miss = 1.0
    for hit in hits:
        miss *= 1 - min(1.0, hit.signature.weight) * hit.similarity
    p_log = _DECISIVE if decisive else _CONTEXT_CAP * (1 - miss)
    condition = entry.when.evaluate(facts) if entry.when is not None else None
    p_facts = _FACTS if condition else 0.0
    similarity, phrase = (symptom_similarity(symptom, entry.symptoms) if symptom else (None, None))
    p_symptom = _SYMPTOM * max(0.0, (similarity - _SYMPTOM_FLOOR) / (1 - _SYMPTOM_FLOOR)) if similarity else 0.0
    confidence = 1 - (1 - p_log) * (1 - p_facts) * (1 - p_symptom)
    if condition is False:
        confidence *= _WHEN_FALSE
    version_ok = _version_ok(entry, facts)
    if version_ok is False:
        confidence *= _VERSION_OUT
    named = sorted(entry.when.names) if entry.when is not None else []
    return Diagnosis(entry, round(confidence, 3), sorted(hits, key=lambda h: h.line), condition,
                     {name: facts.get(name) for name in named}, phrase, similarity, version_ok)


def rank(matcher: SignatureMatcher, facts: Mapping[str, object], symptom: str | None = None,
         minimum: float = 0.05) -> list[Diagnosis]:
    """Every entry with some support, best first."""
    hits_by_entry: dict[int, list[Hit]] = {}
    for (e_index, _s_index), hit in matcher.hits.items():
        hits_by_entry.setdefault(e_index, []).append(hit)
    diagnoses = []
    for e_index, entry in enumerate(matcher.entries):
        diagnosis = score_entry(entry, hits_by_entry.get(e_index, []), facts, symptom)
        if diagnosis.confidence >= minimum and (diagnosis.hits or diagnosis.condition or diagnosis.symptom_similarity):
            diagnoses.append(diagnosis)
    diagnoses.sort(key=lambda d: (-d.confidence, -len(d.hits), d.entry.id))
    return diagnoses
