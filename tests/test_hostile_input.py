"""Hostile input through the real CLI: never a traceback, never super-linear, one line per error.

No timing asserts: each input is sized so that a quadratic path would take minutes (the sizes
that made the old hard-wrap and CRI joins run for minutes are noted), while a linear one takes a
second or two. Exit codes are the README's: 0/1 for a report, 2 for unreadable input.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from logdoctor.cli import main
from logdoctor.parse import kvdump
from logdoctor.read import source

ROOT = Path(__file__).resolve().parent.parent
VERSION = "INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.4.2"
CONFIG = ("INFO 05-10 08:12:01 llm_engine.py:100] Initializing an LLM engine (v0.4.2) with config: "
          "model='Qwen/Qwen1.5-4B-Chat', tokenizer='Qwen/Qwen1.5-4B-Chat', dtype=torch.bfloat16, max_seq_len=8192, "
          "tensor_parallel_size=4, quantization=None, enforce_eager=False, seed=0)")
ERROR = "ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0."


def _diagnose(path: Path, *args: str):
    result = CliRunner().invoke(main, [str(path), "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _report(result) -> dict:
    assert result.exit_code in (0, 1, 2), result.output[-2000:]
    report = json.loads(result.stdout)
    assert (result.exit_code == 2) == (report["summary"]["verdict"] == "not-a-serving-log")
    return report


def test_random_bytes(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(random.Random(1).randbytes(1 << 20))
    report = _report(_diagnose(path))
    assert report["input"]["bytes"] == 1 << 20  # every byte was read, none was fatal
    assert report["summary"]["verdict"] == "not-a-serving-log"  # and noise is not a healthy server


def test_nul_bytes_are_removed_and_the_log_still_read(tmp_path):
    path = tmp_path / "nul.log"
    path.write_bytes(b"\0" * 100_000 + b"\n" + (VERSION + "\0\n").encode() + b"\0\0" + CONFIG.encode() + b"\n")
    report = _report(_diagnose(path))
    assert report["facts"]["vllm_version"] == "0.4.2"
    assert report["facts"]["tensor_parallel_size"] == 4
    assert report["input"]["truncated"] == 1  # 100 000 NULs without a newline: one overlong line, marked


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "latin.log"
    path.write_bytes(b"\xff\xfe\xc3\x28 caf\xe9 \xed\xa0\x80\n" + VERSION.encode() + b" \xe9\xe8\n" + CONFIG.encode()
                     + b"\n\xf0\x28\x8c\xbc" + ERROR.encode() + b"\n" + ERROR.encode() + b"\n")
    report = _report(_diagnose(path))
    assert report["facts"]["vllm_version"] == "0.4.2"
    assert report["facts"]["error_type"] == "ValueError"


def test_a_50_mb_single_line_is_cut_marked_and_costs_constant_memory(tmp_path):
    path = tmp_path / "huge.log"
    with path.open("wb") as handle:
        handle.write(CONFIG[:-1].encode() + b", hf_config=")
        handle.write(b"x" * (50 << 20))
        handle.write(b")\n" + ERROR.encode() + b"\n")
    probe = ("import resource, subprocess, sys; "
             "r = subprocess.run([sys.executable, '-m', 'logdoctor', sys.argv[1], '--format', 'json'], "
             "capture_output=True); sys.stdout.write(r.stdout.decode()); sys.stderr.write(r.stderr.decode()); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")
    result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, timeout=300, cwd=ROOT)
    assert result.returncode == 1, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["input"]["truncated"] == 1 and report["input"]["truncated_at"] == [1]
    assert report["input"]["bytes"] == path.stat().st_size  # read to the end, not dropped
    assert report["facts"]["tensor_parallel_size"] == 4  # the cut line still counts for matching
    assert report["facts"]["error_type"] == "ValueError"  # and so does the line after it
    assert report["diagnoses"][0]["category"] == "bf16-unsupported-gpu"
    peak_kib = int(result.stderr.decode().strip().splitlines()[-1])
    assert peak_kib < 300 * 1024, f"peak RSS {peak_kib} KiB for a 50 MB line: it was held in memory"


def test_the_overlong_line_limit_is_marked_in_the_text_and_markdown_reports(tmp_path):
    path = tmp_path / "long.log"
    path.write_text(VERSION + "\n" + "y" * (source.MAX_LINE_BYTES * 3) + "\n" + ERROR + "\n")
    for fmt in ("text", "markdown"):
        result = CliRunner().invoke(main, [str(path), "--format", fmt])
        assert result.exit_code in (0, 1)
        assert f"1 overlong line cut at {source.MAX_LINE_BYTES // 1024} KiB (line 2)" in " ".join(result.stdout.split())


@pytest.mark.parametrize("levels", [200_000, 3_000])  # cut at the line limit / all within it
def test_deeply_nested_brackets_in_a_config_dump(tmp_path, levels):
    path = tmp_path / "nested.log"
    dump = "{'rope_scaling': [" * levels + "]}" * levels
    path.write_text(VERSION + "\n" + CONFIG[:-1] + ", hf_config=" + dump + ")\n" + "(" * levels + "\n" + ERROR + "\n")
    report = _report(_diagnose(path))
    assert report["facts"]["vllm_version"] == "0.4.2"
    assert report["facts"]["error_type"] == "ValueError"
    assert report["input"]["truncated"] == (2 if levels == 200_000 else 0)


def test_a_truncated_gz_reports_what_it_read_then_one_line_and_exit_2(tmp_path):
    noise = "".join(f"INFO 05-10 08:12:01 metrics.py:1] line {i} {random.Random(i).random()}\n" for i in range(5000))
    packed = gzip.compress((VERSION + "\n" + CONFIG + "\n" + noise + ERROR + "\n").encode())
    path = tmp_path / "server.log.gz"
    path.write_bytes(packed[: len(packed) // 2])
    result = subprocess.run([sys.executable, "-m", "logdoctor", str(path), "--format", "json"], capture_output=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert stderr.count("\n") == 1 and stderr.startswith("logdoctor: ") and "Traceback" not in stderr
    assert "gzip stream is truncated after" in stderr
    report = json.loads(result.stdout)  # the report of what could be read came first
    assert report["facts"]["tensor_parallel_size"] == 4
    assert report["input"]["errors"] and "truncated" in report["input"]["errors"][0]
    assert 1000 < report["input"]["lines"] < 5000 and "error_type" not in report["facts"]  # cut in the middle


def test_a_corrupt_gz_says_so_in_one_line(tmp_path):
    packed = bytearray(gzip.compress(("\n".join([VERSION, CONFIG] * 2000) + "\n").encode()))
    packed[len(packed) // 2: len(packed) // 2 + 64] = bytes(64)
    path = tmp_path / "server.log.gz"
    path.write_bytes(bytes(packed))
    result = CliRunner().invoke(main, ["facts", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "gzip stream is" in result.stderr
    assert "vllm_version" in result.stdout


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_empty_input(tmp_path, how):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    if how == "file":
        result = subprocess.run([sys.executable, "-m", "logdoctor", str(path)], capture_output=True, timeout=120,
                                cwd=ROOT)
    else:
        result = subprocess.run([sys.executable, "-m", "logdoctor", "-"], input=b"", capture_output=True,
                                timeout=120, cwd=ROOT)
    assert result.returncode == 2, result.stderr  # nothing to diagnose is not "healthy"
    assert result.stderr.decode().startswith("logdoctor: not a vLLM or Xinference log")
    assert result.stderr.count(b"\n") == 1
    assert ": 0 lines" in result.stdout.decode()


def test_a_million_interleaved_multi_process_lines_with_crlf(tmp_path):
    workers = [f"(VllmWorkerProcess pid={pid}) " for pid in (101, 102, 103)]
    noise = ["INFO 05-10 08:12:{s:02d} metrics.py:341] Avg prompt throughput: 0.0 tokens/s, Running: 1 reqs",
             'INFO:     127.0.0.1:5{s:04d} - "POST /v1/chat/completions HTTP/1.1" 200 OK']
    lines = [VERSION, CONFIG]
    for i in range(1_000_000):
        if i % 100 == 0:
            lines.append(workers[i // 100 % 3] + f"INFO 05-10 08:12:01 custom_all_reduce.py:1] Registering {i} graphs")
        else:
            lines.append(noise[i % 2].format(s=i % 60))
    lines.append(workers[1] + ERROR)
    path = tmp_path / "million.log"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    report = _report(_diagnose(path))
    assert report["input"]["lines"] == 1_000_003
    assert report["facts"]["tensor_parallel_size"] == 4 and report["facts"]["error_type"] == "ValueError"
    assert report["facts"]["engine"] == "v0"


# -- the shapes that were quadratic: each size here took minutes before the fix ----------------------
def test_a_hard_wrapped_log_joins_in_linear_time_and_caps_the_record(tmp_path):
    # 50 000 wrapped 79-column lines took 113 s when each join copied the record so far.
    path = tmp_path / "wrapped.log"
    path.write_bytes(b"x" * 79 + b"\n" + (b"y" * 79 + b"\n") * 100_000 + ERROR.encode() + b"\n")
    report = _report(_diagnose(path))
    assert report["input"]["joined"] >= 100_000 - 1
    assert report["input"]["truncated"] == 1 and report["input"]["truncated_at"] == [1]
    assert report["facts"]["error_type"] == "ValueError"


def test_cri_partial_records_join_in_linear_time_and_cap_the_record(tmp_path):
    partial = b"2024-01-01T00:00:00.000000000Z stdout P y\n"
    path = tmp_path / "cri.log"
    path.write_bytes(partial * 200_000 + b"2024-01-01T00:00:00.000000000Z stdout F end\n"
                     + b"2024-01-01T00:00:01.000000000Z stderr F " + ERROR.encode() + b"\n")
    report = _report(_diagnose(path))
    assert report["input"]["truncated"] == 1
    assert report["facts"]["error_type"] == "ValueError"


def test_a_shell_command_continued_over_200k_lines_joins_in_linear_time_and_caps_the_record(tmp_path):
    path = tmp_path / "continued.log"
    path.write_bytes(b"vllm serve x \\\n" + b"  --a b \\\n" * 200_000 + b"  --tp 2\n" + ERROR.encode() + b"\n")
    report = _report(_diagnose(path))
    assert report["input"]["truncated"] == 1 and report["input"]["truncated_at"] == [1]
    assert report["facts"]["model"] == "x" and report["facts"]["error_type"] == "ValueError"


def test_a_fact_of_64_kib_is_redacted_in_linear_time(tmp_path):
    # `a.a.a.…` made the URL-password pattern rescan the rest of the value at every dot.
    path = tmp_path / "model.log"
    path.write_text(CONFIG.replace("model='Qwen/Qwen1.5-4B-Chat'", "model='" + "a." * 30_000 + "'") + "\n")
    result = CliRunner().invoke(main, [str(path), "--format", "markdown"])
    assert result.exit_code in (0, 1)
    assert "a.a.a.a." in result.stdout


@pytest.mark.parametrize("args", [["/nonexistent/x.log"], ["."], ["--top", "0", "x"], ["--format", "yaml", "x"]])
def test_usage_and_input_errors_are_one_line_and_exit_2(args):
    result = subprocess.run([sys.executable, "-m", "logdoctor", *args], capture_output=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    stderr = result.stderr.decode()
    assert stderr.count("\n") == 1 and stderr.startswith("logdoctor: "), stderr


# -- found by a worst-case scan of every template with 60 KiB fillers (see README "Robustness") -----------
@pytest.mark.parametrize("dump", [
    "a=1" + "," * 1_000_000 + ")",  # a million empty items: each was popped off the front of a list
    "a=" + " ".join(f"k{i}=1" for i in range(100_000)) + ")",  # pairs that lost their commas, re-split each time
])
def test_config_dump_reading_is_linear(dump):
    # Lines are cut at 64 KiB, which bounded the damage to ~0.7 s a line; unbounded text shows the shape.
    pairs = kvdump.read_pairs(dump)
    if "k99999" in dump:
        assert len(pairs) == 100_000 and pairs["a"] == "k0=1" and pairs["k99999"] == "1"
    else:
        assert pairs == {"a": "1"}


def test_glued_config_pairs_still_split():
    assert kvdump.read_pairs("chunked_prefill_enabled=False multi_step_stream_outputs=True, x='a b=c'") == {
        "chunked_prefill_enabled": "False", "multi_step_stream_outputs": "True", "x": "a b=c"}


def test_a_command_line_with_a_huge_token_is_read_in_linear_time():
    # shlex grows a token one character at a time: ~0.25 s for one 64 KiB line, minutes for 1 MB.
    from logdoctor.parse.messages import command_line_facts

    facts = command_line_facts("serve /models/Qwen2-7B --max-model-len 4096 --x " + "(a" * 500_000)
    assert facts["max_model_len"] == 4096
    assert command_line_facts("serve 'my model' --dtype half")["dtype"] == "float16"


def test_overlong_lines_deep_in_a_large_log_are_cut_and_marked_too(tmp_path):
    # past the head, the body is read in blocks (scan.py): the limit and its marks must hold there as well
    noise = 'INFO:     127.0.0.1:5000 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n' * 60_000
    path = tmp_path / "deep.log"
    overlong = CONFIG[:-1] + ", hf_config=" + "z" * 1_000_000 + ")\n" + "y" * 200_000 + "\n"
    path.write_text(noise + overlong + ERROR + "\n")
    report = _report(_diagnose(path))
    assert report["input"]["truncated"] == 2 and report["input"]["truncated_at"] == [60_001, 60_002]
    assert report["input"]["lines"] == 60_003
    assert report["facts"]["tensor_parallel_size"] == 4 and report["facts"]["error_type"] == "ValueError"
