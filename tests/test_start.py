"""logdoctor/start.py: ending without the interpreter's teardown shows nothing different from a normal
exit: the status, the output still buffered and what `atexit` does; and when it could, the exit is
left to the interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .clirun import logdoctor
from .conftest import SAMPLES

# A child that buffers output, registers an exit function, sets up `situation`, then asks to exit 3.
_CHILD = """
import atexit, sys, threading, time
from logdoctor import start
atexit.register(lambda: open({marker!r}, "w").write("atexit ran"))
sys.stdout.write("buffered, not flushed")
{situation}
start._exit_now({code})
print(" / the interpreter exits")
"""


def _child(tmp_path: Path, situation: str = "", code: str = "3") -> tuple[subprocess.CompletedProcess, Path]:
    marker = tmp_path / "marker"
    source = _CHILD.format(marker=str(marker), situation=situation, code=code)
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60)
    return done, marker


def test_the_status_the_buffered_output_and_the_exit_functions_are_those_of_a_normal_exit(tmp_path):
    done, marker = _child(tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (3, "buffered, not flushed", "")
    assert marker.read_text() == "atexit ran"


@pytest.mark.parametrize(("situation", "code", "status"), [
    ("threading.Thread(target=time.sleep, args=(0.5,)).start()", "3", 0),  # another thread: joined as always
    ("sys.setprofile(lambda *args: None)", "3", 0),  # a profiler writes its results at exit
    ("import multiprocessing", "3", 0),
    ("", "'a message'", 0),  # a status that is not a number
])
def test_the_interpreter_exits_when_a_quick_end_could_differ(tmp_path, situation, code, status):
    done, marker = _child(tmp_path, situation, code)
    assert (done.returncode, done.stdout) == (status, "buffered, not flushed / the interpreter exits\n")
    assert marker.read_text() == "atexit ran"


def test_the_command_line_ends_with_its_verdict_and_its_caches_stored(tmp_path):
    env_cache = tmp_path / "cache"
    env = {name: value for name, value in os.environ.items() if name != "LOGDOCTOR_NO_CACHE"}
    env["LOGDOCTOR_CACHE_DIR"] = str(env_cache)
    first = logdoctor(str(SAMPLES / "seed-xinference-t4-gptq-tp4.log"), "--format", "json", env=env)
    again = logdoctor(str(SAMPLES / "seed-xinference-t4-gptq-tp4.log"), "--format", "json", env=env)
    assert first.returncode == again.returncode == 0 and first.stdout == again.stdout
    assert first.stdout.rstrip().endswith(b"}")
    assert list(env_cache.glob("regex-*")) and list(env_cache.glob("code-*"))  # stored by atexit functions
