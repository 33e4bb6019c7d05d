"""Signature anchors: what decides which lines of a long log reach the knowledge base's matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from logdoctor import knowledge
from logdoctor.match.rank import SignatureIndex
from logdoctor.match.signatures import Signature, mask

# Serving traffic: millions of these in a week-old `docker logs`; none may reach the fuzzy matcher.
SERVING = (
    "INFO 08-27 09:14:14 [logger.py:41] Received request chatcmpl-f87: prompt: '<|im_start|>user\\nWhich "
    "model is available on this system, and how many tokens does a request use?<|im_end|>', params: "
    "SamplingParams(n=1, temperature=0.7, max_tokens=2048), prompt_token_ids: None, lora_request: None.",
    'INFO:     172.17.0.151:44258 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
    "INFO 08-27 09:14:20 [loggers.py:123] Engine 000: Avg prompt throughput: 912.4 tokens/s, Avg generation "
    "throughput: 85.2 tokens/s, Running: 3 reqs, Waiting: 0 reqs, GPU KV cache usage: 4.1%, Prefix cache "
    "hit rate: 0.0%",
)


def test_a_template_is_anchored_by_pairs_of_its_words():
    signature = Signature.build({"template": "No available memory for the cache blocks. Try increasing "
                                             "`gpu_memory_utilization` when initializing the engine."})
    assert signature.anchors[:2] == ("available memory", "cache blocks")
    assert all(" " in anchor for anchor in signature.anchors)


def test_a_template_of_single_words_falls_back_to_its_longest_words():
    assert Signature.build({"template": "Segmentation <*> fault"}).anchors == ("Segmentation", "fault")


def test_serving_traffic_reaches_no_signature_of_the_builtin_knowledge_base():
    index = SignatureIndex(knowledge.load().entries)
    assert [index.anchors_in(line) for line in SERVING] == [[]] * len(SERVING)


def test_a_reworded_message_still_reaches_its_template():
    index = SignatureIndex(knowledge.load().entries)
    reworded = ("ValueError: No available memory for the cache blocks. Try to increase `gpu_memory_utilization` "
                "when you initialize the engine.")
    assert "available memory" in index.anchors_in(reworded)


PLACEMENT = Signature.build({"template": "Waiting for creating a placement group of specs for <num> seconds. "
                                         "specs=<*>. Check `ray status` to see if you have enough resources."})


def test_a_line_cut_inside_a_placeholder_counts_in_proportion_to_what_is_left():
    full = ("Waiting for creating a placement group of specs for 150 seconds. specs=[{'GPU': 1.0}]. Check `ray "
            "status` to see if you have enough resources.")
    cut = "Waiting for creating a placement group of specs for 150 seconds. specs=[{'node:10.0.0.2': 0.001, {'GPU'"
    assert PLACEMENT.similarity(full) == 1.0
    assert 0.5 <= PLACEMENT.similarity(cut) < 1.0


def test_a_line_cut_inside_the_text_counts_when_half_of_the_message_is_there():
    signature = Signature.build({"template": "No available memory for the cache blocks. Try increasing "
                                             "`gpu_memory_utilization` when initializing the engine."})
    assert signature.similarity("No available memory for the cache blocks. Try increasing `gpu_memory_util") > 0.5


def test_a_short_start_of_a_message_is_not_enough():
    assert PLACEMENT.similarity("Waiting for creating a placement group") == 0.0
    assert PLACEMENT.similarity("Waiting for creating a placement group of specs for 3 seconds. Done.") == 0.0


def _similarity_in_full(signature: Signature, message: str) -> float:
    """The template score as first written: every segment scored in full, no cut-off, no early stop."""
    from rapidfuzz import fuzz

    masked = mask(message)
    total = sum(len(segment) for segment in signature._segments)
    score = 0.0
    for segment in signature._segments:
        value = 100.0 if segment in masked else fuzz.partial_ratio(segment, masked)
        if segment not in masked and len(masked) < len(segment):
            value *= len(masked) / len(segment)
        score += value * len(segment)
    score /= total
    return score / 100 if score >= signature.min_similarity else signature._cut_similarity(masked, total)


def test_the_early_stopping_template_score_equals_the_full_comparison():
    """Every template of the built-in knowledge base against every line of the samples and near
    misses of its own text: asking rapidfuzz only for what a segment must reach changes no score."""
    templates = [signature for entry in knowledge.load().entries for signature in entry.signatures
                 if signature.kind == "template"]
    samples = Path(__file__).resolve().parent.parent / "samples"
    lines = [line for log in sorted(samples.glob("*.log")) for line in log.read_text(encoding="utf-8").splitlines()
             if line.strip()][::9]  # every 9th: a spread of message kinds, quick enough for every run
    compared = near = 0
    for signature in templates:
        own = signature.pattern.replace("<num>", "42").replace("<*>", "x")
        variants = [own, own[: len(own) // 2], own[: len(own) * 3 // 4], own.replace("e", "a"), own.upper(),
                    "prefix " + own[::2]]
        for message in [*lines, *variants]:
            expected = _similarity_in_full(signature, message)
            assert signature.similarity(message) == pytest.approx(expected, abs=1e-9), (signature.pattern, message)
            compared += 1
            near += 0 < expected < 1
    assert compared > 10_000 and near > 50  # the comparison met partial scores, not only 0 and 1
