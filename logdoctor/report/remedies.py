"""Remedies with numbers computed from the facts: `{max_model_len_fit|a smaller value}` in KB text.

A remedy that says "lower max_model_len" is a chore; one that says "lower it to 17,744, which is
what your KV cache holds" is an answer. The values here are derived only from facts the log
showed; when one is unknown the entry's fallback words are used instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from logdoctor.knowledge import Remedy

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|([^{}]*))?\}")


def _nice_floor(tokens: int) -> int:
    """Round a token count down to a value people use (a multiple of 1024 above 8k, 256 below)."""
    step = 1024 if tokens >= 8192 else 256 if tokens >= 1024 else 16
    return max(step, tokens // step * step) if tokens >= step else tokens


def computed_values(facts: Mapping[str, object]) -> dict[str, object]:
    """Numbers a remedy may quote, from the facts that allow them."""
    values: dict[str, object] = {}
    tokens = facts.get("max_model_len_estimate") or facts.get("kv_cache_tokens")
    if isinstance(tokens, int) and tokens > 0:
        values["max_model_len_fit"] = _nice_floor(tokens)
    utilization = facts.get("gpu_memory_utilization")
    total = facts.get("gpu_total_gib")
    free = facts.get("gpu_free_gib")
    needed, available = facts.get("kv_gib_needed"), facts.get("kv_cache_gib")
    if isinstance(free, (int, float)) and isinstance(total, (int, float)) and total > 0 and free < total:
        values["gpu_memory_utilization_fit"] = max(0.05, math.floor(free / total * 100 - 1) / 100)
    if all(isinstance(v, (int, float)) for v in (utilization, total, needed, available)) and total:
        wanted = utilization + (needed - available) / total  # type: ignore[operator]
        values["gpu_memory_utilization_needed"] = min(0.99, math.ceil(wanted * 100) / 100)
    weights, tp = facts.get("weights_gib"), facts.get("tensor_parallel_size") or 1
    if isinstance(weights, (int, float)) and isinstance(tp, int):
        values["weights_total_gib"] = round(weights * tp, 2)
    estimate = _weights_estimate_gib(facts)
    if estimate is not None:
        values["weights_estimate_gib"] = round(estimate, 1)
        usable = (facts.get("gpu_total_gib") or 0) * (utilization if isinstance(utilization, float) else 0.9)
        if usable:
            needed = math.ceil(estimate / (usable * 0.85))  # leave room for activations and some KV cache
            values["tp_size_to_fit_weights"] = next(n for n in (1, 2, 4, 8, 16, 32) if n >= needed or n == 32)
    heads = facts.get("attention_heads")
    if isinstance(heads, int) and heads > 0:
        sizes = [n for n in (1, 2, 4, 8, 16) if heads % n == 0]
        values["tp_sizes_dividing_heads"] = ", ".join(map(str, sizes))
    return values


_BYTES_PER_PARAMETER = {"float32": 4.0, "float16": 2.0, "bfloat16": 2.0, "auto": 2.0}
_QUANTIZED_BYTES = {"gptq": 0.55, "gptq_marlin": 0.55, "awq": 0.55, "awq_marlin": 0.55, "bitsandbytes": 0.55,
                    "gguf": 0.6, "fp8": 1.05, "compressed-tensors": 0.55}


def _weights_estimate_gib(facts: Mapping[str, object]) -> float | None:
    """Total weights from the parameter count and the precision, when both are known."""
    size = facts.get("model_size_b")
    if not isinstance(size, (int, float)):
        return None
    quantization = facts.get("quantization")
    per_parameter = _QUANTIZED_BYTES.get(str(quantization)) or _BYTES_PER_PARAMETER.get(str(facts.get("dtype")), 2.0)
    return size * 1e9 * per_parameter / 2**30


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def render(text: str, facts: Mapping[str, object], values: Mapping[str, object]) -> str:
    """`text` with each `{name|fallback}` replaced by the value, or by the fallback when unknown."""

    def replace(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        value = values.get(name, facts.get(name))
        if value is None:
            return fallback if fallback is not None else f"<{name} unknown>"
        return _show(value)

    return _PLACEHOLDER.sub(replace, text)


def placeholder_names(text: str) -> list[str]:
    """The value names a remedy text refers to (for `kb check`)."""
    return [match.group(1) for match in _PLACEHOLDER.finditer(text)]


COMPUTED = ("max_model_len_fit", "gpu_memory_utilization_fit", "gpu_memory_utilization_needed",
            "weights_total_gib", "weights_estimate_gib", "tp_size_to_fit_weights", "tp_sizes_dividing_heads")


ENGINE_LABELS = {"vllm": "vLLM", "xinference": "Xinference"}


def engine_of(facts: Mapping[str, object]) -> str | None:
    """The server the log comes from: "xinference" (it runs vLLM inside, so it is asked first),
    "vllm", or None when the log does not say (then a report spells remedies for both)."""
    if any(facts.get(name) for name in ("xinference_version", "xinference_era", "model_uid", "model_engine")):
        return "xinference"
    if facts.get("vllm_version") or facts.get("engine"):
        return "vllm"
    return None


def spellings(remedy: Remedy, engine: str | None) -> list[tuple[str, str]]:
    """(label, raw text) of the remedy's spellings a reader of this log needs: the log's engine's
    only (a vLLM log gets no Xinference line), every engine's when the log does not say which."""
    spelled = {"vllm": remedy.vllm, "xinference": remedy.xinference}
    return [(ENGINE_LABELS[key], text) for key, text in spelled.items() if text and engine in (None, key)]
