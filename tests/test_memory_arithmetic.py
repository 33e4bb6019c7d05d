"""The KV cache a log's memory numbers call for, and the memory they show went to someone else."""

from pathlib import Path

import pytest

from logdoctor.parse import parse_lines
from logdoctor.parse.facts import build
from logdoctor.read.source import LogReader

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _facts(path: Path) -> dict:
    return build(parse_lines(LogReader([str(path)]))).facts


def _facts_of_lines(tmp_path: Path, lines: list[str]) -> dict:
    log = tmp_path / "server.log"
    log.write_text("\n".join(lines) + "\n")
    return _facts(log)


V0_RECORD = [
    "INFO 08-12 22:32:11 [worker.py:295] Memory profiling takes 5.59 seconds",
    "INFO 08-12 22:32:11 [worker.py:295] the current vLLM instance can use total_gpu_memory (47.50GiB) x "
    "gpu_memory_utilization (0.78) = 37.18GiB",
    "INFO 08-12 22:32:11 [worker.py:295] model weights take 0.52GiB; non_torch_memory takes {non_torch}GiB; "
    "PyTorch activation peak memory takes 1.78GiB; the rest of the memory reserved for KV Cache is {kv}GiB.",
]


def test_a_healthy_budget_misses_nothing(tmp_path):
    """The record as a healthy vLLM 0.7 start printed it (corpus file-healthy-rldecision-bnb-1)."""
    lines = [line.format(non_torch="0.08", kv="34.81") for line in V0_RECORD]
    facts = _facts_of_lines(tmp_path, lines)
    assert facts["kv_cache_expected_gib"] == pytest.approx(34.8, abs=0.01)
    assert facts["gpu_memory_missing_gib"] == 0.0


def test_non_torch_memory_beyond_vllms_own_is_missing(tmp_path):
    lines = [line.format(non_torch="10.48", kv="24.40") for line in V0_RECORD]
    facts = _facts_of_lines(tmp_path, lines)
    assert facts["kv_cache_expected_gib"] == pytest.approx(33.88, abs=0.01)
    assert facts["gpu_memory_missing_gib"] == pytest.approx(9.48, abs=0.01)


def test_v1_profiling_summary_gives_the_budget_and_the_shortfall():
    facts = _facts(ROOT / "kb" / "memory" / "kv-cache-shrunk-by-other-process.log")
    assert facts["memory_budget_gib"] == pytest.approx(39.98, abs=0.01)
    assert facts["kv_cache_expected_gib"] == pytest.approx(10.05, abs=0.01)
    assert facts["gpu_memory_missing_gib"] == pytest.approx(7.92, abs=0.01)


def test_without_the_weights_nothing_is_derived(tmp_path):
    facts = _facts_of_lines(tmp_path, ["INFO 08-21 06:03:57 [gpu_worker.py:276] Available KV cache memory: 39.92 GiB"])
    assert "kv_cache_expected_gib" not in facts and "gpu_memory_missing_gib" not in facts


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.glob("file-healthy-*")) if CORPUS.is_dir() else [])
def test_no_healthy_corpus_log_shows_missing_memory(case):
    facts = _facts(CORPUS / case / "log.txt")
    assert facts.get("gpu_memory_missing_gib", 0.0) < 1.0
