"""Any readable input, through the installed CLI: /dev/stdin, a FIFO, process substitution, gzip without
its name, several logs each on its own (or --merge), a directory or a missing path, and a stop signal
in the middle of a read (the report of what was read, marked cut short, exit 130 / 143)."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shlex
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.livelog import SEED, logdoctor

SEED_LINES = 93


def _json(*args: str, **run: object) -> tuple[int, dict | list, str]:
    done = subprocess.run([logdoctor(), *args, "--format", "json"], capture_output=True, text=True, timeout=60,
                          **run)  # type: ignore[call-overload]
    return done.returncode, json.loads(done.stdout), done.stderr


def test_dev_stdin() -> None:
    with SEED.open("rb") as log:
        code, report, _ = _json("/dev/stdin", stdin=log)
    assert code == 0 and report["input"]["lines"] == SEED_LINES and report["summary"]["verdict"] == "risk"


def test_dev_stdin_from_a_pipe() -> None:
    done = subprocess.run(["bash", "-c", f"cat {shlex.quote(str(SEED))} | {shlex.quote(logdoctor())} /dev/stdin"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("risk:"), done.stderr


def test_process_substitution() -> None:
    command = f"{shlex.quote(logdoctor())} <(cat {shlex.quote(str(SEED))}) --format json"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["input"]["lines"] == SEED_LINES
    assert report["input"]["inputs"][0]["name"].startswith("/dev/fd/")


def test_process_substitution_of_gzip() -> None:
    command = f"{shlex.quote(logdoctor())} <(gzip -c {shlex.quote(str(SEED))}) --format json"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["input"]["lines"] == SEED_LINES


def test_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "server.fifo"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(SEED.read_bytes()))
    feeder.start()
    code, report, _ = _json(str(fifo))
    feeder.join(10)
    assert code == 0 and report["input"]["lines"] == SEED_LINES and report["summary"]["verdict"] == "risk"


def test_gzip_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    packed = tmp_path / "server.log"  # no .gz
    packed.write_bytes(gzip.compress(SEED.read_bytes()))
    code, report, _ = _json(str(packed))
    assert code == 0 and report["input"]["lines"] == SEED_LINES


@pytest.mark.parametrize(("make", "reason"), [
    (lambda tmp: tmp, "it is a directory"),
    (lambda tmp: tmp / "missing.log", "no such file"),
    (lambda tmp: tmp / "a-file" / "below-it.log", "Not a directory"),
])
def test_a_path_that_cannot_be_read_is_one_line_and_exit_2(tmp_path: Path, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a-file").write_text("x")
    path = make(tmp_path)
    done = subprocess.run([logdoctor(), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"logdoctor: cannot read {path}: {reason}\n"


def test_two_logs_are_two_reports_and_a_summary_with_the_worst_status() -> None:
    failing = CORPUS / "file-fail-nomem-2" / "log.txt"
    if not failing.is_file():
        pytest.skip("../shared/corpus is not here")
    done = subprocess.run([logdoctor(), str(SEED), str(failing)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1  # risk (0) and problem (1)
    out = done.stdout
    assert out.index(f"==> {SEED} <==") < out.index("risk:") < out.index(f"==> {failing} <==") < out.index("problem:")
    assert out.splitlines()[-1] == f"logdoctor: 2 logs: {SEED} risk, {failing} problem"
    code, documents, _ = _json(str(SEED), str(failing))
    assert code == 1
    assert [d["summary"]["verdict"] for d in documents] == ["risk", "problem"]  # type: ignore[index]
    assert documents[0]["facts"]["tensor_parallel_size"] == 4  # type: ignore[index]
    assert documents[1]["facts"]["tensor_parallel_size"] == 1  # type: ignore[index]
    _, merged, _ = _json("--merge", str(SEED), str(failing))
    assert merged["input"]["lines"] == SEED_LINES + 92 and len(merged["input"]["inputs"]) == 2  # type: ignore[index]


def test_an_unreadable_log_among_several_is_reported_and_the_rest_diagnosed(tmp_path: Path) -> None:
    missing = tmp_path / "missing.log"
    done = subprocess.run([logdoctor(), "facts", str(SEED), str(missing)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert f"facts: {SEED}: 93 lines" in done.stdout
    assert done.stdout.splitlines()[-1] == f"logdoctor: 2 logs: {SEED} read, {missing} unreadable"
    assert done.stderr == f"logdoctor: {missing}: no such file\n"


def _wait_drained(pipe_writer: int, timeout: float = 30) -> None:
    """Until the reader has taken every byte written into the pipe (it is then waiting for more)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = struct.unpack("i", fcntl.ioctl(pipe_writer, termios.FIONREAD, b"\0\0\0\0"))[0]
        if pending == 0:
            return
        time.sleep(0.02)
    raise AssertionError("the pipe was not read")


@pytest.mark.parametrize(("signum", "code", "fmt"), [
    (signal.SIGINT, 130, "json"), (signal.SIGTERM, 143, "json"), (signal.SIGINT, 130, "markdown"),
])
def test_stop_signal_mid_read_reports_what_was_read(signum: int, code: int, fmt: str) -> None:
    """`(cat LOG; sleep 60) | logdoctor`, then Ctrl-C: the report of the 93 lines, marked cut short."""
    process = subprocess.Popen([logdoctor(), "--format", fmt], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdin is not None
    process.stdin.write(SEED.read_text())
    process.stdin.flush()
    _wait_drained(process.stdin.fileno())
    time.sleep(0.2)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    process.stdin.close()
    assert process.returncode == code, err
    name = signal.Signals(signum).name
    if fmt == "json":
        report = json.loads(out)
        assert report["input"]["cut_short"] == f"{name} after 93 lines" and report["input"]["lines"] == 93
        assert report["summary"]["verdict"] == "risk"
    else:
        assert f"cut short: {name} after 93 lines" in out and out.splitlines()[2].startswith("**risk:")
    assert "interrupted" not in err
