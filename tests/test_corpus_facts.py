"""The fact sheet on the real logs of ../shared/corpus: the bars of the facts issue, per case detail."""

from __future__ import annotations

from logdoctor.pipeline import analyze

from .conftest import truth_of
from .factcompare import same


def _score(cases):
    ok, wrong, missed, misses = 0, 0, 0, []
    for case in cases:
        facts = analyze([str(case / "log.txt")]).sheet.facts
        for key, truth in (truth_of(case).get("facts_in_log") or {}).items():
            if truth in (None, [], ""):
                continue
            got = facts.get(key)
            if got is None:
                missed += 1
                misses.append(f"{case.name}: {key} missed (truth {truth!r})")
            elif same(key, truth, got):
                ok += 1
            else:
                wrong += 1
                misses.append(f"{case.name}: {key} wrong: {got!r} (truth {truth!r})")
    return ok, wrong, missed, misses


def test_fact_precision_and_recall_meet_the_bar(corpus):
    ok, wrong, missed, misses = _score(corpus)
    precision = ok / (ok + wrong)
    recall = ok / (ok + wrong + missed)
    assert precision >= 0.99, misses
    assert recall >= 0.95, misses


def test_the_seed_case_facts(corpus):
    case = next(c for c in corpus if c.name == "xinference-3049")
    facts = analyze([str(case / "log.txt")]).sheet.facts
    assert facts["engine"] == "v0"
    assert facts["distributed_backend"] == "mp"
    assert facts["attention_backend"] == "XFORMERS"
    assert facts["pre_ampere"] is True
    assert abs(facts["weights_gib"] - 4.57) < 0.01
    assert facts["kv_cache_gib"] == 8.05
