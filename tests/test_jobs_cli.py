"""`logdoctor diagnose a.log b.log … --jobs N` and `logdoctor facts … --jobs N`: several logs, each its own,
read by N processes (api.map_logs, the one pool), printed as one process prints them; standard input
stays with the command; Ctrl-C stops the pool like a single run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from .clirun import COMMAND, logdoctor
from .conftest import sample_logs

LOGS = [str(path) for path in sample_logs()][:12]


@pytest.mark.parametrize("command", ["diagnose", "facts"])
def test_several_logs_read_by_a_pool_print_what_one_process_prints(command):
    alone = logdoctor(command, *LOGS, "--format", "json")
    for jobs in ("2", "0"):
        pooled = logdoctor(command, *LOGS, "--format", "json", "--jobs", jobs)
        assert (pooled.returncode, pooled.stdout, pooled.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert [document["input"]["inputs"][0]["name"] for document in json.loads(alone.stdout)] == LOGS


def test_a_pool_reports_an_unreadable_log_in_its_place(tmp_path):
    missing = str(tmp_path / "gone.log")
    result = logdoctor("diagnose", LOGS[0], missing, LOGS[1], "--jobs", "2", "--format", "json")
    documents = json.loads(result.stdout)
    assert result.returncode == 2 and documents[1] == {"input": missing, "error": documents[1]["error"]}
    assert [document.get("input", {}).get("inputs", [{}])[0].get("name") for document in documents[::2]] == LOGS[:2]


def test_standard_input_among_the_logs_is_read_by_the_command_itself():
    seed = next(path for path in sample_logs() if path.name.startswith("seed-"))
    alone = logdoctor("diagnose", "-", LOGS[0], "--format", "json", stdin=seed.read_bytes())
    pooled = logdoctor("diagnose", "-", LOGS[0], "--format", "json", "--jobs", "2", stdin=seed.read_bytes())
    assert pooled.returncode == alone.returncode and pooled.stdout == alone.stdout
    assert json.loads(pooled.stdout)[0]["input"]["inputs"][0]["name"] == "stdin"


def test_ctrl_c_stops_a_pool_with_the_reports_so_far_and_status_130():
    """The terminal sends SIGINT to the whole process group: the command and its workers."""
    many = LOGS * 100  # more than any machine reads in the 1.5 s before the signal
    process = subprocess.Popen([*COMMAND, "diagnose", *many, "--jobs", "2", "--format", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.5)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert b"Traceback" not in stderr
    documents = json.loads(stdout)
    assert 0 < len(documents) < len(many)
