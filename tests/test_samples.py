"""Our own sample logs (samples/*.log), each checked against its golden fact sheet (*.facts.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from logdoctor import api
from logdoctor.pipeline import analyze

from .conftest import sample_logs
from .factcompare import same

# The facts of the facts issue: a sample's golden file lists every one the log shows, so
# reporting one it does not list is a wrong fact.
CORE = ("vllm_version", "xinference_version", "engine", "model", "dtype", "quantization", "tensor_parallel_size",
        "pipeline_parallel_size", "max_model_len", "gpu_memory_utilization", "gpus", "compute_capability",
        "driver_version", "cuda_version", "weights_gib", "kv_cache_gib", "gpu_blocks", "kv_cache_tokens",
        "attention_backend", "distributed_backend", "error_type", "error_message")
SAMPLES = sample_logs()


def _golden(log: Path) -> dict:
    return yaml.safe_load(log.with_suffix(".facts.yaml").read_text(encoding="utf-8"))


def test_there_are_enough_samples():
    assert len(SAMPLES) >= 1
    assert (Path(__file__).parent.parent / "samples" / "seed-xinference-t4-gptq-tp4.log") in SAMPLES


@pytest.mark.parametrize("log", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_facts_match_the_golden_sheet(log):
    golden = _golden(log)["facts"]
    facts = analyze([str(log)]).sheet.facts
    wrong = {key: (value, facts.get(key)) for key, value in golden.items() if not same(key, value, facts.get(key))}
    extra = {key: facts[key] for key in CORE if key in facts and key not in golden}
    assert not wrong, f"golden vs reported: {wrong}"
    assert not extra, f"reported but not in the golden sheet: {extra}"


@pytest.mark.parametrize("log", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_diagnosis_matches_the_expected_category(log):
    golden = _golden(log)
    report = api.diagnose(log, symptom=golden.get("symptom"))
    if golden["expect_category"] == "healthy":
        assert not report.confident, [(d.entry.id, d.confidence) for d in report.confident]
    else:
        assert report.diagnoses, "nothing diagnosed"
        assert report.diagnoses[0].entry.category == golden["expect_category"], [
            (d.entry.id, d.confidence) for d in report.diagnoses[:3]]


def test_seed_sample_ranks_both_of_its_causes_on_top_with_remedies():
    log = next(p for p in SAMPLES if p.name == "seed-xinference-t4-gptq-tp4.log")
    report = api.diagnose(log, symptom="only outputs !!!!")
    top = report.diagnoses[:2]
    assert [d.entry.category for d in top] == ["fp16-numeric-overflow", "quant-kernel-bad-output"]
    assert all(d.confidence >= 0.5 for d in top)
    assert top[0].condition_facts["pre_ampere"] is True and top[0].condition_facts["dtype"] == "float16"
    remedies = " ".join(r.text + (r.vllm or "") for d in top for r in d.entry.remedies)
    assert "--dtype float32" in remedies and "AWQ" in remedies and "--tensor-parallel-size 1" in remedies
