"""Run the installed console script, `logdoctor`, as a user does: a child process with real pipes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# The script pip installed beside this interpreter (a virtualenv's bin/); `python -m logdoctor` without one.
_SCRIPT = Path(sys.executable).with_name("logdoctor")
COMMAND = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "logdoctor"]


def logdoctor(*args: str, stdin: bytes | None = None, timeout: float = 120, **options) -> subprocess.CompletedProcess:
    """`logdoctor ARGS` with `stdin` piped in; stdout and stderr captured as bytes."""
    if stdin is not None:
        options["input"] = stdin
    return subprocess.run([*COMMAND, *args], capture_output=True, timeout=timeout, **options)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error a run printed, checked to be one line and no traceback."""
    error = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in error, error
    assert error.count("\n") == 1 and error.startswith("logdoctor: "), error
    return error
