"""Standard input and output that are not what a program expects, through the installed CLI.

Before: a closed stdin (`logdoctor <&-`) was exit 3 (AttributeError); `> /dev/full` was exit 3
"internal error"; and a reader that closed the pipe first gave exit 1, which means "a confident
problem". Now: one line and exit 2 for closed stdin and for a failed write; and for a closed pipe
the conventional 141 (128 + SIGPIPE, what a shell reports for `cat` or `yes` whose reader left),
with nothing on stderr.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .clirun import COMMAND, logdoctor, one_line_error
from .conftest import SAMPLES

LOG = SAMPLES / "s-v09-l40s-llama8b-serving-oom-v1.log"


def _closed_stdin(*args: str) -> subprocess.CompletedProcess:
    """Run with descriptor 0 closed, as `<&-` does."""
    return subprocess.run([*COMMAND, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                          preexec_fn=lambda: os.close(0))


def test_a_closed_stdin_is_a_usage_error_when_it_is_the_input():
    result = _closed_stdin()
    assert result.returncode == 2
    assert "standard input is closed" in one_line_error(result)
    assert _closed_stdin("facts", "-").returncode == 2


def test_a_closed_stdin_does_not_matter_when_a_file_is_given():
    result = _closed_stdin(str(LOG), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(b"{")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [[str(LOG)], [str(LOG), "--format", "json"], ["facts", str(LOG)],
                                  ["kb", "list"], ["kb", "show", "flash-attn-fa2-on-turing"]])
def test_a_write_that_fails_is_one_line_and_exit_2(args):
    with open("/dev/full", "wb") as full:
        result = subprocess.run([*COMMAND, *args], stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert result.returncode == 2, result.stderr
    error = result.stderr.decode()
    assert error.count("\n") == 1 and "cannot write the report: No space left on device" in error, error


@pytest.mark.parametrize("args", [[str(LOG)], ["facts", str(LOG)], ["kb", "list"],
                                  [*[str(LOG)] * 40, "--jobs", "2"]])  # (a pool: its workers end too)
def test_a_reader_that_left_gives_141_and_silence_never_a_verdict(args):
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    process.stdout.close()  # the reader is gone before the first byte is written (start-up takes longer)
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert stderr == b""
    assert _in_session(process.pid) == []  # no worker left behind


def _in_session(session: int) -> list[int]:
    """The processes still running in a session (Linux /proc; elsewhere none are seen)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == session and fields[0] != "Z":  # after the name: state, ppid, pgrp, session
            found.append(int(entry.parent.name))
    return found


def test_a_complete_read_keeps_the_verdict():
    assert logdoctor(str(LOG)).returncode == 1
