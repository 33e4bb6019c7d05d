"""End to end through the real CLI: a file, a real pipe, .gz, a markdown paste, each format, exit codes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from logdoctor.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "logdoctor" / "schemas" / "report.schema.json").read_text())
BF16_LOG = """\
INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.4.2
INFO 05-10 08:12:01 llm_engine.py:100] Initializing an LLM engine (v0.4.2) with config: model='Qwen/Qwen1.5-4B-Chat', \
tokenizer='Qwen/Qwen1.5-4B-Chat', dtype=torch.bfloat16, max_seq_len=8192, tensor_parallel_size=1, quantization=None, \
enforce_eager=False, seed=0)
Traceback (most recent call last):
  File "/usr/lib/python3.10/runpy.py", line 196, in _run_module_as_main
    return _run_code(code, main_globals, None,
  File "/usr/local/lib/python3.10/dist-packages/vllm/worker/worker.py", line 322, in _check_if_gpu_supports_dtype
    raise ValueError(
ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your Tesla T4 GPU has \
compute capability 7.5. You can use float16 instead by explicitly setting the`dtype` flag in CLI, for example: \
--dtype=half.
"""
HEALTHY_LOG = """\
INFO 05-02 09:14:06 [api_server.py:1043] vLLM API server version 0.8.5
INFO 05-02 09:14:21 [core.py:58] Initializing a V1 LLM engine (v0.8.5) with config: model='Qwen/Qwen2.5-7B-Instruct', \
dtype=torch.bfloat16, max_seq_len=32768, tensor_parallel_size=1, pipeline_parallel_size=1, quantization=None
INFO 05-02 09:14:22 [cuda.py:221] Using Flash Attention backend on V1 engine.
INFO 05-02 09:14:27 [gpu_model_runner.py:1347] Model loading took 14.2487 GiB and 4.712345 seconds
INFO 05-02 09:15:07 [kv_cache_utils.py:634] GPU KV cache size: 1,012,064 tokens
INFO 05-02 09:15:07 [kv_cache_utils.py:637] Maximum concurrency for 32,768 tokens per request: 30.89x
INFO 05-02 09:15:28 [api_server.py:1090] Starting vLLM API server on http://0.0.0.0:8000
INFO:     Application startup complete.
"""


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logdoctor", *args], input=stdin, capture_output=True, timeout=120,
                          cwd=ROOT)


@pytest.fixture
def bf16_log(tmp_path: Path) -> Path:
    path = tmp_path / "server.log"
    path.write_text(BF16_LOG)
    return path


def test_a_file_with_a_known_error_exits_1_and_names_the_cause(bf16_log):
    result = _run(str(bf16_log))
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode()
    assert out.startswith("problem: ") and "bfloat16 model on a Volta/Turing/Pascal GPU" in out
    assert "logdoctor kb show bf16-unsupported-pre-ampere" in out  # where the whole entry is
    assert "--dtype" in out and "Tesla T4" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_a_real_pipe_is_read_when_no_file_is_given():
    shell = subprocess.run(f"printf '%s' {json.dumps(BF16_LOG)} | {sys.executable} -m logdoctor --format json",
                           shell=True, capture_output=True, timeout=120, cwd=ROOT)
    assert shell.returncode == 1, shell.stderr
    report = json.loads(shell.stdout)
    assert report["diagnoses"][0]["category"] == "bf16-unsupported-gpu"
    assert report["facts"]["gpus"] == ["Tesla T4"]


def test_gzip_input_is_decompressed(tmp_path):
    path = tmp_path / "server.log.gz"
    path.write_bytes(gzip.compress(BF16_LOG.encode()))
    report = json.loads(_run("facts", str(path), "--format", "json").stdout)
    assert report["facts"]["compute_capability"] == 7.5
    assert report["facts"]["error_type"] == "ValueError"


def test_markdown_fenced_paste_with_ansi_residue(tmp_path):
    paste = "I get this error, please help:\n\n```text\n" + BF16_LOG.replace(
        "INFO 05-10", "[1;36m(VllmWorkerProcess pid=212)[0;0m INFO 05-10", 1) + "```\n\nThanks!\n"
    path = tmp_path / "issue.md"
    path.write_text(paste)
    report = json.loads(_run(str(path), "--format", "json").stdout)
    assert report["diagnoses"][0]["category"] == "bf16-unsupported-gpu"
    assert report["facts"]["vllm_version"] == "0.4.2"
    assert report["input"]["dropped_fences"] == 2


@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
def test_each_format_on_a_failing_log(bf16_log, fmt):
    result = _run(str(bf16_log), "--format", fmt)
    out = result.stdout.decode()
    if fmt == "json":
        report = json.loads(out)
        jsonschema.validate(report, SCHEMA)
        best = report["diagnoses"][0]
        assert best["confidence"] >= 0.5
        assert any(e["kind"] == "line" and e.get("decisive") for e in best["evidence"])
        assert best["remedies"] and best["references"]
    elif fmt == "markdown":
        assert out.startswith("### logdoctor: problem")
        assert "| fact | value | lines |" in out and "<details>" in out and "```text" in out
        assert "Bfloat16 is only supported on GPUs with compute capability of at least 8.0" in out  # evidence
    else:
        assert out.startswith("problem: ") and "\n1. bfloat16 model" in out and "   do    1. " in out


def test_healthy_log_exits_0_and_says_so(tmp_path):
    path = tmp_path / "ok.log"
    path.write_text(HEALTHY_LOG)
    result = _run(str(path))
    assert result.returncode == 0
    assert result.stdout.decode().startswith("healthy: the server became ready")
    report = json.loads(_run(str(path), "--format", "json").stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["summary"]["verdict"] == "healthy"
    assert all(d["confidence"] < 0.5 for d in report["diagnoses"])


def test_missing_file_is_one_line_and_exit_2():
    result = _run("/nonexistent/server.log")
    assert result.returncode == 2
    assert result.stderr.decode().strip().count("\n") == 0
    assert "no such file" in result.stderr.decode()


def test_facts_json_contract(bf16_log):
    result = CliRunner().invoke(main, ["facts", str(bf16_log), "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    jsonschema.validate(document, SCHEMA)
    assert set(document) >= {"logdoctor", "facts", "evidence"}
    assert document["evidence"]["compute_capability"] == {"lines": [8], "count": 1}  # the ValueError line


def test_bare_logdoctor_means_diagnose(bf16_log):
    assert CliRunner().invoke(main, [str(bf16_log)]).exit_code == 1
    assert CliRunner().invoke(main, ["diagnose", str(bf16_log)]).exit_code == 1
