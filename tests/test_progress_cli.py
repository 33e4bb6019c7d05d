"""The progress line through the real CLI: on a terminal for a large log, never in a pipe or with --quiet."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from logdoctor.read.progress import PROGRESS_FROM

from .conftest import sample_logs


def _large_log(tmp_path):
    seed = next(p for p in sample_logs() if p.name.startswith("seed-"))
    noise = b'INFO:     172.17.0.1:53422 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n' * 1000
    path = tmp_path / "large.log"
    with path.open("wb") as handle:
        handle.write(seed.read_bytes())
        for _ in range(PROGRESS_FROM // len(noise) + 1):
            handle.write(noise)
    return path


def _run_with_terminal_stderr(*args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (as in a shell) and stdout on a pipe."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "logdoctor", *args], stdout=subprocess.PIPE,
                               stderr=follower, env={**os.environ, "LOGDOCTOR_NO_CACHE": "1"})
    os.close(follower)
    stderr = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        stderr += chunk
    stdout = process.stdout.read()  # type: ignore[union-attr]
    os.close(leader)
    return process.wait(), stdout.decode(), stderr.decode(errors="replace")


def test_a_large_log_on_a_terminal_shows_progress_then_erases_it(tmp_path):
    status, stdout, stderr = _run_with_terminal_stderr("facts", str(_large_log(tmp_path)))
    assert status == 0
    assert "reading: " in stderr and " MB/s" in stderr and " s left" in stderr
    assert stderr.endswith("\r\x1b[K")
    assert "tensor_parallel_size" in stdout and "reading" not in stdout


def test_quiet_or_a_pipe_shows_no_progress(tmp_path):
    log = _large_log(tmp_path)
    status, _stdout, stderr = _run_with_terminal_stderr("facts", "--quiet", str(log))
    assert (status, stderr) == (0, "")
    piped = subprocess.run([sys.executable, "-m", "logdoctor", "facts", str(log)], capture_output=True, check=True)
    assert piped.stderr == b""
