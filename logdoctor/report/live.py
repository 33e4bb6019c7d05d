"""What `--follow` prints as a server starts: one status line per stage with its key facts.

    12:00:03 config read: /models/qwen, vLLM 0.7.3, engine v0, float16, gptq, TP 4, max_model_len 131072
    12:00:41 weights loaded: 4.57 GiB per GPU
    12:00:52 KV cache: 8.05 GiB, 131,888 tokens, max concurrency 1.01x
    12:00:58 CUDA graphs: 0.25 GiB
    12:00:59 ready (serving) — risk: the server started, but its setup fits a known quiet failure: …

The time is when logdoctor saw the stage (the log's own stamps vary by engine and wrapper).
A diagnosis and the final report are the usual reports (report/text.py, jsonout.py, markdown.py).
"""

from __future__ import annotations

import time

from logdoctor.follow import Update
from logdoctor.report import headline

_SHOWN = {
    "vllm_version": "vLLM {}", "xinference_version": "Xinference {}", "engine": "engine {}",
    "tensor_parallel_size": "TP {}", "pipeline_parallel_size": "PP {}", "max_model_len": "max_model_len {}",
    "gpu_memory_utilization": "gpu_memory_utilization {}", "weights_gib": "{:.2f} GiB per GPU",
    "kv_cache_gib": "{:.2f} GiB", "kv_cache_tokens": "{:,} tokens", "max_concurrency": "max concurrency {}x",
    "gpu_blocks": "{:,} blocks", "cuda_graph_gib": "{:.2f} GiB",
}
_QUIET = {"pipeline_parallel_size": 1}  # values not worth a word
_SKIPPED = {"kv-cache": ("gpu_blocks",), "ready": ("server_ready", "engine_ready")}


def status_line(update: Update) -> str:
    """The line for a stage reached, or for a failure seen without a knowledge base (facts --follow)."""
    stamp = time.strftime("%H:%M:%S")
    if update.kind == "diagnosis":
        facts = update.analysis.sheet.facts
        error = ": ".join(str(facts[name]) for name in ("error_type", "error_message") if facts.get(name))
        return f"{stamp} failed" + (f": {error}" if error else "")
    stage = update.stage
    assert stage is not None
    facts = update.facts
    if stage.name == "kv-cache" and "kv_cache_tokens" not in facts and "gpu_blocks" in facts:
        skipped: tuple[str, ...] = ()  # an old vLLM says blocks, not tokens
    else:
        skipped = _SKIPPED.get(stage.name, ())
    words = [_SHOWN.get(name, "{}").format(value) for name, value in facts.items()
             if name not in skipped and _QUIET.get(name) != value]
    title = stage.title
    if stage.name == "ready":
        title += " (serving)" if facts.get("server_ready") else " (engine started)"
    line = f"{stamp} {title}" + (f": {', '.join(words)}" if words else "")
    if update.report is not None:
        line += f" — {headline.headline(update.report)}"
    return line
