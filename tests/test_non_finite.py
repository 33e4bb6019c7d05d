"""Non-finite and absurd numbers in a log, through the installed CLI: never a crash, never invalid JSON.

Before: `--max-model-len inf` (or 1e999, or 400 digits) crashed with OverflowError (exit 3), and
`--gpu-memory-utilization nan` put `NaN` in the JSON report (which JSON.parse rejects) and a remedy
"lower … from nan".
"""

from __future__ import annotations

import json

import pytest

from .clirun import logdoctor

HEADER = "INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.8.4\n"
OOM = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 23 GiB\n"
HUGE = "9" * 400


def _strict_json(text: bytes) -> dict:
    """JSON as every parser reads it: NaN and Infinity are not JSON."""
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("option, fact", [
    ("--max-model-len inf", "max_model_len"), ("--max-model-len 1e999", "max_model_len"),
    (f"--max-model-len {HUGE}", "max_model_len"), ("--tensor-parallel-size -inf", "tensor_parallel_size"),
    ("--gpu-memory-utilization nan", "gpu_memory_utilization"),
    ("--gpu-memory-utilization inf", "gpu_memory_utilization"),
    (f"--gpu-memory-utilization {HUGE}.5", "gpu_memory_utilization"),
])
def test_a_non_finite_number_states_no_fact_and_the_report_is_strict_json(tmp_path, option, fact):
    log = tmp_path / "server.log"
    log.write_text(f"$ vllm serve Qwen/Qwen2.5-7B-Instruct {option} --dtype half\n{HEADER}{OOM}")
    for command in (["facts", str(log), "--format", "json"], [str(log), "--format", "json"]):
        result = logdoctor(*command)
        assert result.returncode in (0, 1), result.stderr
        document = _strict_json(result.stdout)
        assert fact not in document["facts"]
        assert document["facts"]["dtype"] == "float16"  # the rest of the command line still counts
    for fmt in ("text", "markdown"):
        shown = logdoctor(str(log), "--format", fmt)
        assert shown.returncode in (0, 1), shown.stderr
        assert b"from nan" not in shown.stdout and b"from inf" not in shown.stdout


def test_a_non_finite_number_in_an_engine_config_dump_states_no_fact(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(HEADER + "INFO 05-10 08:12:02 llm_engine.py:100] Initializing an LLM engine (v0.8.4) with config: "
                   f"model='m', dtype=torch.float16, max_seq_len={HUGE}, tensor_parallel_size=nan, seed=0)\n" + OOM)
    result = logdoctor("facts", str(log), "--format", "json")
    assert result.returncode == 0, result.stderr
    facts = _strict_json(result.stdout)["facts"]
    assert "max_model_len" not in facts and "tensor_parallel_size" not in facts and facts["dtype"] == "float16"
