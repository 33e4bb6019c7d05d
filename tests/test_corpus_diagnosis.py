"""Diagnoses on the real logs of ../shared/corpus, with the user's symptom, as the score tool runs them."""

from __future__ import annotations

from logdoctor import api, knowledge
from logdoctor.match.rank import CONFIDENT, SignatureIndex

from .conftest import truth_of


def _rank_all(cases):
    kb = knowledge.load()
    index = SignatureIndex(kb.entries)
    ranks, false_alarms = {}, []
    for case in cases:
        truth = truth_of(case)
        cause = truth.get("root_cause") or {}
        report = api.diagnose(case / "log.txt", kb=api.KnowledgeBase.of(kb, index), symptom=truth.get("symptom"))
        categories = [d.entry.category for d in report.diagnoses]
        if cause.get("category") == "healthy":
            if report.confident:
                false_alarms.append(f"{case.name}: {[(d.entry.id, d.confidence) for d in report.confident]}")
        elif cause.get("category") and cause.get("evidence") in ("confirmed", "likely"):
            wanted = cause["category"]
            ranks[case.name] = (categories.index(wanted) + 1 if wanted in categories else None, wanted, categories[:3])
    return ranks, false_alarms


def test_top1_top3_and_no_false_alarm_on_healthy_logs(corpus):
    ranks, false_alarms = _rank_all(corpus)
    misses = {name: r for name, r in ranks.items() if r[0] != 1}
    top1 = sum(1 for r in ranks.values() if r[0] == 1) / len(ranks)
    top3 = sum(1 for r in ranks.values() if r[0] and r[0] <= 3) / len(ranks)
    assert not false_alarms
    assert top1 >= 0.85, misses
    assert top3 >= 0.95, misses


def test_seed_case_ranks_fp16_overflow_first_with_its_evidence(corpus):
    case = next(c for c in corpus if c.name == "xinference-3049")
    report = api.diagnose(case / "log.txt", symptom=truth_of(case)["symptom"])
    best = report.diagnoses[0]
    assert best.entry.category == "fp16-numeric-overflow"
    assert best.confidence >= CONFIDENT
    assert any("Volta and Turing" in hit.text for hit in best.hits)
