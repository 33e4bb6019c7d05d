"""`--follow` with a real writer: a process replays real logs line by line into a pipe or a file, the
installed CLI follows it, and its output is checked stage by stage, against the batch report, across
rotation and truncation, and with a writer that dies mid-line."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.livelog import SEED, Events, batch, logdoctor, verdict_of, writer, written

STAGES = ["config", "weights", "kv-cache", "cuda-graphs", "ready"]
FAILING = ["file-fail-nomem-2", "xinference-3237", "vllm-8189"]  # corpus logs of a failed start


def _follow(*args: str, stdin: object = None) -> tuple[subprocess.Popen, Events]:
    process = subprocess.Popen([logdoctor(), "--follow", "--format", "json", *args], stdin=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, Events(process)


def _replay_into_pipe(log: Path, tmp_path: Path) -> tuple[subprocess.Popen, subprocess.Popen, Events]:
    """A writer replaying `log` into the follower's stdin, then holding the pipe open (it ends when killed)."""
    replay = writer(log, "--delay", "0.004", "--hold", "60", "--stamps", str(tmp_path / "stamps"),
                    stdout=subprocess.PIPE)
    process, events = _follow(stdin=replay.stdout)
    replay.stdout.close()  # type: ignore[union-attr]
    return replay, process, events


def _end_replay(replay: subprocess.Popen, log: Path, tmp_path: Path) -> None:
    """Once every line is written, the writer goes away: the pipe ends."""
    written(tmp_path / "stamps", len(log.read_text().splitlines()))
    replay.kill()
    replay.wait(10)


def test_seed_log_through_a_pipe_stage_by_stage_before_the_replay_ends(tmp_path: Path) -> None:
    """Each stage with its facts, in order, and the ready verdict while the writer still holds the pipe open;
    the final verdict is the batch one."""
    replay, process, events = _replay_into_pipe(SEED, tmp_path)
    _, ready = events.first(lambda e: e.get("stage") == "ready")
    assert replay.poll() is None, "the ready verdict came only after the writer had finished"
    _end_replay(replay, SEED, tmp_path)
    seen = events.wait()
    assert process.wait(10) == 0
    stages = [e for e in seen if e["event"] == "stage"]
    assert [e["stage"] for e in stages] == STAGES
    facts = {e["stage"]: e["facts"] for e in stages}
    assert facts["config"]["tensor_parallel_size"] == 4 and facts["config"]["vllm_version"] == "0.7.3"
    assert facts["weights"] == {"weights_gib": 4.5686}
    assert facts["kv-cache"]["kv_cache_tokens"] == 131888 and facts["kv-cache"]["max_concurrency"] == 1.01
    assert facts["cuda-graphs"] == {"cuda_graph_gib": 0.25}
    assert [e["line"] for e in stages] == sorted(e["line"] for e in stages)
    assert stages[1]["line"] == 56 and stages[2]["line"] == 73  # told at the line that ends the stage
    expected = verdict_of(batch(str(SEED)))
    assert verdict_of(ready["report"]) == expected == ("risk", None)
    assert seen[-1]["event"] == "end" and verdict_of(seen[-1]["report"]) == expected
    assert seen[-1]["report"]["input"]["lines"] == 93 and seen[-1]["report"]["input"]["cut_short"] is None


@pytest.mark.parametrize("case", FAILING)
def test_failing_log_diagnosed_before_the_replay_ends(case: str, tmp_path: Path) -> None:
    log = CORPUS / case / "log.txt"
    if not log.is_file():
        pytest.skip(f"{log} is not here (../shared/corpus)")
    replay, process, events = _replay_into_pipe(log, tmp_path)
    _, diagnosis = events.first(lambda e: e["event"] == "diagnosis")
    assert replay.poll() is None, "the diagnosis came only after the writer had finished"
    _end_replay(replay, log, tmp_path)
    seen = events.wait()
    expected = verdict_of(batch(str(log)))
    assert expected[0] == "problem"
    assert verdict_of(diagnosis["report"]) == expected
    assert verdict_of(seen[-1]["report"]) == expected
    assert process.wait(10) == 1


def test_until_problem_stops_at_the_diagnosis_with_its_exit_status() -> None:
    log = CORPUS / "file-fail-nomem-2" / "log.txt"
    if not log.is_file():
        pytest.skip("../shared/corpus is not here")
    replay = writer(log, "--delay", "0.004", "--hold", "20", stdout=subprocess.PIPE)
    try:
        done = subprocess.run([logdoctor(), "--until", "problem"], stdin=replay.stdout, capture_output=True,
                              text=True, timeout=15)
        assert replay.poll() is None  # it stopped on its own, not at the end of the input
    finally:
        replay.kill()
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "config read:" in lines[0] and "weights loaded: 14.08 GiB per GPU" in lines[1]
    assert lines[2].endswith("KV cache: -3.15 GiB")
    assert lines[3].startswith("problem: gpu_memory_utilization was set s") and "(0.93)" in lines[3]


@pytest.mark.parametrize("how", ["moved", "truncated"])
def test_followed_file_across_rotation(tmp_path: Path, how: str) -> None:
    """logrotate's `create` (moved away, recreated) and `copytruncate` (truncated in place) in the middle
    of the start-up: the follower reads on into the new file, reaches the ready stage and says the
    batch verdict. The writer starts once the follower has read the head (what a file held before it
    was truncated and was never read is gone, for tail -f as for logdoctor)."""
    path, rest = tmp_path / "server.log", tmp_path / "rest.log"
    lines = SEED.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:20]))
    rest.write_text("".join(lines[20:]))
    process, events = _follow(str(path), "--until", "ready")
    events.first(lambda e: e.get("stage") == "config")
    replay = writer(rest, "--delay", "0.01", "--rotate", f"20:{how}", into=path)
    seen = events.wait()
    replay.wait(15)
    assert process.wait(10) == 0
    assert [e.get("stage") for e in seen if e["event"] == "stage"] == STAGES
    assert verdict_of(seen[-1]["report"]) == verdict_of(batch(str(SEED)))
    assert seen[-1]["report"]["facts"]["kv_cache_tokens"] == 131888
    if how == "moved":
        assert (tmp_path / "server.log.1").stat().st_size > 0


def test_config_waits_for_vllms_config_line_however_quiet_the_log(tmp_path: Path) -> None:
    """Xinference states its launch options (TP 4) seconds before vLLM's config line: the config stage is
    told at that line, with all of it, not after a quiet second with half of it."""
    path = tmp_path / "server.log"
    lines = SEED.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:13]))
    process, events = _follow(str(path), "--until", "ready")
    time.sleep(2.5)  # past the settling time, whatever the start-up took
    with path.open("a") as log:
        log.write("".join(lines[13:]))
    seen = events.wait()
    assert process.wait(10) == 0
    config = next(e for e in seen if e.get("stage") == "config")
    assert config["line"] == 19 and config["facts"]["vllm_version"] == "0.7.3"
    assert config["facts"]["tensor_parallel_size"] == 4


def test_writer_dies_mid_line_into_a_pipe(tmp_path: Path) -> None:
    """The half-written last line is read as the last line when the pipe ends, not lost and not waited for."""
    log = tmp_path / "dies.log"
    lines = SEED.read_text().splitlines(keepends=True)[:84]
    last = "ERROR 01-01 00:00:00 engine.py:1] RuntimeError: CUDA error: an illegal memory access\n"
    log.write_text("".join(lines) + last)
    replay = writer(log, "--delay", "0.002", "--die-mid-line", stdout=subprocess.PIPE)
    process, events = _follow(stdin=replay.stdout)
    replay.stdout.close()  # type: ignore[union-attr]
    seen = events.wait()
    assert replay.wait(10) == -signal.SIGKILL
    process.wait(10)
    final = seen[-1]["report"]
    assert final["input"]["lines"] == 85
    assert [e.get("stage") for e in seen if e["event"] == "stage"] == STAGES


def test_ctrl_c_while_following_a_file_reports_what_was_read(tmp_path: Path) -> None:
    """A file that stops growing in the middle of a line; Ctrl-C: the final report holds that line too,
    is marked cut short, and the exit status is 130."""
    path = tmp_path / "server.log"
    text = "".join(SEED.read_text().splitlines(keepends=True)[:60])
    path.write_text(text + "INFO 12-01 10:21:02 model_runner.py:1115] Loading model weights took 4.56")
    process, events = _follow(str(path))
    events.first(lambda e: e.get("stage") == "weights")
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    seen = events.wait()
    assert process.wait(10) == 130
    final = seen[-1]["report"]
    assert final["input"]["lines"] == 61 and final["input"]["cut_short"] == "SIGINT after 61 lines"
    assert final["summary"]["verdict"] == "risk" and "is starting" in final["summary"]["reason"]


def test_a_request_error_while_serving_is_no_failure_while_the_log_goes_on(tmp_path: Path) -> None:
    """A live server's last line being an error says nothing of its end: no diagnosis while it is quiet,
    and none after Ctrl-C (the log was cut, it did not end in that error)."""
    path = tmp_path / "server.log"
    error = ("ERROR 12-01 10:24:20 serving_chat.py:200] Error in request handling\n"
             "RuntimeError: unexpected token id 151643 in response stream\n")  # no entry knows it
    path.write_text(SEED.read_text() + error)
    process, events = _follow(str(path))
    events.first(lambda e: e.get("stage") == "ready")
    time.sleep(1.4)  # longer than the follower's settling time (1 s)
    process.send_signal(signal.SIGINT)
    seen = events.wait()
    assert process.wait(10) == 130
    assert [e for e in seen if e["event"] == "diagnosis"] == []
    assert seen[-1]["report"]["summary"]["verdict"] == "risk"
    assert batch(str(path))["summary"]["verdict"] == "failed-unknown"  # a whole log that ends in it: failed


def test_facts_follow_prints_a_line_per_stage(tmp_path: Path) -> None:
    replay = writer(SEED, "--delay", "0.002", stdout=subprocess.PIPE)
    done = subprocess.run([logdoctor(), "facts", "--follow"], stdin=replay.stdout, capture_output=True, text=True,
                          timeout=30)
    replay.wait(10)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ", 1)[1].split(":")[0] for line in lines[:5]] == [
        "config read", "weights loaded", "KV cache", "CUDA graphs", "ready (serving)"]
    assert "131,888 tokens, max concurrency 1.01x" in lines[2]
    assert lines[5].startswith("facts: stdin: 93 lines")


def test_follow_takes_one_input() -> None:
    done = subprocess.run([logdoctor(), "--follow", str(SEED), str(SEED)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--follow takes one input" in done.stderr


OPEN_TRACEBACK = ("ERROR 12-01 10:19:10 engine.py:400] Engine background task failed\n"
                  "Traceback (most recent call last):\n"
                  '  File "/usr/local/lib/python3.10/site-packages/vllm/engine/llm_engine.py", line 12, in step\n')


@pytest.mark.parametrize(("lines", "tail", "waits_for"), [
    (93, "", "ready"),  # a server that is up and quiet
    (60, OPEN_TRACEBACK, "weights"),  # a failure whose traceback has not reached its exception yet
], ids=["ready", "open-traceback"])
def test_idle_follower_sleeps(tmp_path: Path, lines: int, tail: str, waits_for: str) -> None:
    """No busy polling: following a file that does not move costs next to no CPU time, whatever is pending."""
    path = tmp_path / "server.log"
    path.write_text("".join(SEED.read_text().splitlines(keepends=True)[:lines]) + tail)
    process, events = _follow(str(path))
    events.first(lambda e: e.get("stage") == waits_for)
    time.sleep(1.2)  # past the settling time (1 s)
    before = _cpu_seconds(process.pid)
    time.sleep(0.6)
    spent = _cpu_seconds(process.pid) - before
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 143
    assert spent < 0.05, f"{spent:.3f} s of CPU in 0.6 s idle"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
