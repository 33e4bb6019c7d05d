"""How well the user's `--symptom` covers an entry's symptom phrases, for a whole knowledge base at once.

A phrase is covered word by word (Latin words fuzzily, Chinese by character bigrams), each word
weighted by how much it says. Comparing the user's few words with every word of every phrase one
pair at a time grows with the knowledge base; instead `SymptomIndex` keeps each distinct phrase
word once, asks rapidfuzz for the ones close to each word the user said (one vectorised pass
over the vocabulary), and then scores only the phrases that contain a covered word or bigram:
the result is the same as the pairwise comparison, entry for entry.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z0-9_.+\-]*[a-z0-9]|!{2,}|\?{2,}")
# Words every vLLM complaint contains: they say little about which problem it is.
_DOMAIN_WORDS = frozenset({"vllm", "xinference", "model", "models", "server", "gpu", "gpus", "error", "fails", "fail",
                           "failed", "start", "starts", "launch", "docker", "cuda"})
_STOPWORDS = frozenset({"the", "a", "an", "is", "are", "of", "to", "on", "in", "with", "and", "or", "when", "for",
                        "it", "its", "at", "by", "from", "my", "i", "after", "only", "just", "all", "every", "any"})
_FUZZY_MIN_LENGTH = 4  # shorter phrase words must be said exactly
_FUZZY_CUTOFF = 85
# What users say of a bad answer, in the many ways they say it: each spelling (English or Chinese,
# any number of marks) becomes one concept word, on both sides — the user's symptom and the
# entries' phrases — so "只输出感叹号", "回答都是!!!!" and "only outputs !!!!!!!!" meet "全是感叹号".
_CONCEPTS: tuple[tuple[str, str], ...] = (
    (r"[!！]{2,}|感叹号|叹号|exclamation(?: (?:marks?|points?))?", " !! "),
    (r"[?？]{2,}|问号|question marks", " ?? "),
    (r"乱码|gibberish|garbage|garbled|nonsense|random (?:characters|tokens|symbols)", " garbled "),
    (r"空白|为空|空的|空回复|空字符串|blank|empty", " empty "),
    (r"重复|复读|repeat(?:s|ing|ed|ition)?|loops?(?:ing)?|over and over", " repeats "),
)
_CONCEPT_PATTERN = re.compile("|".join(f"({pattern})" for pattern, _word in _CONCEPTS))
_CONCEPT_WORDS = frozenset(word.strip() for _pattern, word in _CONCEPTS)


def canonical(text: str) -> str:
    """`text` lower-cased with every spelling of a key concept replaced by its one word."""
    return _CONCEPT_PATTERN.sub(lambda m: _CONCEPTS[m.lastindex - 1][1], text.lower())


def words(text: str) -> list[str]:
    """Lower-case Latin words (and concept words such as !!) of `text`, Chinese removed."""
    return _LATIN_WORD.findall(_CJK_RUN.sub(" ", canonical(text)))


def bigrams(text: str) -> set[str]:
    """Character bigrams of the Chinese in `text` (single characters when a run is one long), key terms
    excepted: those became concept words."""
    chars = "".join(_CJK_RUN.findall(canonical(text)))
    return {a + b for a, b in itertools.pairwise(chars)} or set(chars)


def _weight(word: str) -> float:
    if word in _CONCEPT_WORDS:
        return 8
    if word in _STOPWORDS:
        return 0.3
    if word in _DOMAIN_WORDS:
        return 1.0
    return 8 if not word[0].isalnum() else min(len(word), 8)


class _Phrase:
    """One symptom phrase, taken apart once: weighted words and Chinese bigrams."""

    __slots__ = ("bigrams", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = tuple((word, _weight(word)) for word in words(text))
        self.bigrams = frozenset(bigrams(text))

    def coverage(self, covered: set[str], said_bigrams: set[str]) -> float:
        """0..1: the weight of the phrase's words the user covered, plus its share of Chinese bigrams."""
        hit = total = 0.0
        for word, weight in self.words:
            total += weight
            if word in covered:
                hit += weight
        if self.bigrams:
            weight = 2.0 * len(self.bigrams)
            total += weight
            hit += weight * len(self.bigrams & said_bigrams) / len(self.bigrams)
        return hit / total if total else 0.0


class SymptomIndex:
    """Every symptom phrase of a knowledge base, indexed by word and bigram (built once per KB)."""

    def __init__(self, phrase_lists: Sequence[Sequence[str]]) -> None:
        self.phrases = [[_Phrase(text) for text in texts] for texts in phrase_lists]
        self.vocabulary: list[str] = []
        self.by_word: dict[str, set[int]] = {}
        self.by_bigram: dict[str, set[int]] = {}
        for owner, phrases in enumerate(self.phrases):
            for phrase in phrases:
                for word, _weight in phrase.words:
                    self.by_word.setdefault(word, set()).add(owner)
                for bigram in phrase.bigrams:
                    self.by_bigram.setdefault(bigram, set()).add(owner)
        self.vocabulary = sorted(self.by_word)

    def covered_words(self, said: Sequence[str]) -> set[str]:
        """Phrase words the user said: the same word, or (4+ letters) one at least 85% similar."""
        from rapidfuzz import fuzz, process

        covered = {word for word in said if word in self.by_word}
        for word in set(said):
            for match, _score, _index in process.extract(word, self.vocabulary, scorer=fuzz.ratio, processor=None,
                                                          score_cutoff=_FUZZY_CUTOFF, limit=None):
                if len(match) >= _FUZZY_MIN_LENGTH:
                    covered.add(match)
        return covered

    def similarities(self, symptom: str) -> dict[int, tuple[float, str | None]]:
        """Best coverage and phrase per owner (entry index), for the owners with any coverage at all."""
        said_bigrams = bigrams(symptom)
        covered = self.covered_words(words(symptom))
        owners: set[int] = set()
        for word in covered:
            owners |= self.by_word.get(word, set())
        for bigram in said_bigrams:
            owners |= self.by_bigram.get(bigram, set())
        results = {}
        for owner in sorted(owners):
            best, best_phrase = 0.0, None
            for phrase in self.phrases[owner]:
                score = phrase.coverage(covered, said_bigrams)
                if score > best:
                    best, best_phrase = score, phrase.text
            results[owner] = (best, best_phrase)
        return results


def symptom_similarity(symptom: str, phrases: Sequence[str]) -> tuple[float, str | None]:
    """Best coverage (0..1) of one of `phrases` by what the user said, and that phrase."""
    return SymptomIndex([phrases]).similarities(symptom).get(0, (0.0, None))
