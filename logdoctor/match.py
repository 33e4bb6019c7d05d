"""Knowledge-base entries × log lines × facts × the user's symptom → ranked diagnoses.

The scoring model (one for every entry; documented in README "How confidence is computed"):

    p_log     = 0.9 if a decisive signature matched, else 0.6 × noisy-OR(weights × similarity)
    p_facts   = 0.25 if the entry's `when` holds on the fact sheet, 0 if unknown or absent
    p_symptom = 0.5 × max(0, (similarity − 0.6) / 0.4)   (best of the entry's symptoms, 0..1)
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
_SYMPTOM_FLOOR = 0.6
_CJK = re.compile(r"[\u3400-\u9fff]")
_SCRIPT_RUNS = re.compile(r"[\u3400-\u9fff\uff00-\uffef\s]+|[^\u3400-\u9fff\uff00-\uffef]+")
_PUNCTUATION = re.compile(r"[\"'`()\[\]{}<>,;:，。；：、（）“”‘’]+")


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
        if self.index.pattern is None:
            return
        tried: set[tuple[int, int]] = set()
        masked: str | None = None
        for found in self.index.pattern.finditer(message):
            for key in self.index.by_anchor[found.group()]:
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


def _segments(text: str) -> list[str]:
    """The user's words split into runs of one script: Chinese runs and Latin runs are matched apart."""
    cleaned = _PUNCTUATION.sub(" ", text.lower())
    return [run.strip() for run in _SCRIPT_RUNS.findall(cleaned) if run.strip()]


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if not c.isspace()]
    return {a + b for a, b in itertools.pairwise(chars)} or set(chars)


def _similarity(phrase: str, said: str) -> float:
    """0..100 between one symptom phrase and one run of the user's words (same script)."""
    if _CJK.search(phrase):
        wanted = _bigrams(phrase)
        return 100 * len(wanted & _bigrams(said)) / len(wanted)
    return max(fuzz.token_set_ratio(phrase, said), 0.95 * fuzz.partial_ratio(phrase, said))


def symptom_similarity(symptom: str, phrases: Sequence[str]) -> tuple[float, str | None]:
    """Best similarity (0..1) between what the user said and an entry's symptom phrases."""
    runs = _segments(symptom)
    best, best_phrase = 0.0, None
    for phrase in phrases:
        for phrase_run in _segments(phrase):
            same_script = [run for run in runs if bool(_CJK.search(run)) == bool(_CJK.search(phrase_run))]
            for run in same_script:
                score = _similarity(phrase_run, run)
                if score > best:
                    best, best_phrase = score, phrase
    return best / 100, best_phrase


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
