"""The report options through the real CLI: terminal width, colour switches on a real terminal (a
pty) and on a pipe, -v / --facts, `explain`, a subcommand typo, the top-level help, shell
completion, and the paste hint when `logdoctor -` reads a terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from logdoctor.parse.factnames import FACTS
from logdoctor.read.progress import PROGRESS_FROM, ProgressLine
from logdoctor.report import terminal
from tests.conftest import ROOT

SAMPLE = ROOT / "samples" / "s-v04-a10g-mistral-kv-too-small.log"
_CLEAN_ENV = {name: value for name, value in os.environ.items()
              if name not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM", "COLUMNS")}


def _env(**extra: str) -> dict[str, str]:
    return {**_CLEAN_ENV, "TERM": "xterm-256color", **extra}


def _run(*args: str, env: dict[str, str] | None = None, cwd=ROOT, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "logdoctor", *args], input=stdin, capture_output=True,
                          timeout=120, cwd=cwd, env=env or _env())


def _on_a_terminal(*args: str, env: dict[str, str], stdin_text: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run the CLI with stdout (or, given `stdin_text`, stdin) on a pty; return (status, terminal, stderr)."""
    leader, follower = pty.openpty()
    streams = {"stdin": follower} if stdin_text is not None else {"stdout": follower, "stdin": subprocess.DEVNULL}
    child = subprocess.Popen([sys.executable, "-m", "logdoctor", *args], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                             **({"stdout": subprocess.PIPE} if stdin_text is not None else {}), **streams)
    os.close(follower)
    seen = b""
    if stdin_text is not None:
        time.sleep(0.5)
        os.write(leader, stdin_text + b"\n\x04")  # a paste, then Ctrl-D on an empty line
        out, err = child.communicate(timeout=120)
        os.close(leader)
        return child.returncode, out, err
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif child.poll() is not None:
            break
    err = child.stderr.read() if child.stderr else b""
    child.wait(timeout=60)
    os.close(leader)
    return child.returncode, seen, err


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_the_report_wraps_to_columns(columns):
    result = _run(str(SAMPLE), env=_env(COLUMNS=str(columns)))
    lines = result.stdout.decode().rstrip("\n").split("\n")
    assert result.returncode == 1
    assert max(terminal.columns(line) for line in lines) <= columns
    assert lines[0].startswith("problem: ") and lines[0].endswith("→ --max-model-len 16384")
    if columns == 200:
        assert max(terminal.columns(line) for line in lines) > 80  # the width is used, not a fixed 80


@pytest.mark.parametrize(("env", "args", "coloured"), [
    ({}, (), True),
    ({"NO_COLOR": "1"}, (), False),
    ({"TERM": "dumb"}, (), False),
    ({}, ("--color", "never"), False),
    ({"NO_COLOR": "1"}, ("--color", "always"), True),
])
def test_colour_on_a_real_terminal(env, args, coloured):
    status, shown, _err = _on_a_terminal(str(SAMPLE), *args, env=_env(**env))
    assert status == 1
    assert b"problem: " in shown
    assert (b"\x1b[" in shown) is coloured


@pytest.mark.parametrize(("env", "args", "coloured"), [
    ({}, (), False),
    ({"FORCE_COLOR": "1"}, (), True),
    ({"CLICOLOR_FORCE": "1"}, (), True),
    ({"FORCE_COLOR": "0"}, (), False),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),
    ({}, ("--color", "always"), True),
])
def test_colour_on_a_pipe(env, args, coloured):
    result = _run(str(SAMPLE), *args, env=_env(**env))
    assert result.returncode == 1
    assert (b"\x1b[" in result.stdout) is coloured


def test_a_dumb_terminal_gets_no_escape_codes_in_the_progress_line(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    stream, now = io.StringIO(), [0.0]
    progress = ProgressLine(stream, total=4 * PROGRESS_FROM, clock=lambda: now[0])
    now[0] = 1.0
    progress(2 * PROGRESS_FROM)
    now[0] = 2.0
    progress(3 * PROGRESS_FROM)
    progress.finish()
    drawn = stream.getvalue()
    assert "\x1b" not in drawn
    assert drawn.startswith("\rreading: 100 of 200 MB")
    last = drawn.rsplit("\r", 2)[-2]  # the line is blanked with spaces before the report starts
    assert last.strip() == "" and len(last) >= len("reading: 150 of 200 MB")


def test_verbose_and_facts_add_the_detail():
    short = _run(str(SAMPLE)).stdout.decode()
    with_facts = _run(str(SAMPLE), "--facts").stdout.decode()
    verbose = _run(str(SAMPLE), "-v").stdout.decode()
    assert "Facts:" not in short and "Facts:" in with_facts and "Facts:" in verbose
    assert "After the weights and the profiling peak" not in short + with_facts
    assert "After the weights and the profiling peak" in verbose  # the whole cause
    assert len(short.splitlines()) < len(with_facts.splitlines()) < len(verbose.splitlines())


def test_explain_a_fact_and_list_them_all():
    one = _run("explain", "compute_capability")
    assert one.returncode == 0
    out = " ".join(one.stdout.decode().split())
    assert out.startswith("compute_capability (float)") and " ".join(FACTS["compute_capability"][1].split()) in out
    assert "tested by" in out and "no-kernel-image-new-gpu" in out
    in_a_log = _run("explain", "kv_cache_fits_max_model_len", str(SAMPLE))
    assert in_a_log.returncode == 0
    shown = in_a_log.stdout.decode()
    assert "in this log: no" in shown
    assert "line 66: [rank0]: ValueError: The model's max seq len (32768) is larger than" in shown  # the line itself
    assert "not in this log" in _run("explain", "model_uid", str(SAMPLE)).stdout.decode()
    listed = _run("explain").stdout.decode()
    assert all(name in listed for name in FACTS)
    typo = _run("explain", "compute_capabilty")
    assert typo.returncode == 2 and typo.stdout == b""
    assert "did you mean compute_capability?" in typo.stderr.decode()


def test_a_subcommand_typo_is_suggested_not_read_as_a_file(tmp_path):
    typo = _run("diagnos", str(SAMPLE), cwd=tmp_path)
    assert typo.returncode == 2 and typo.stdout == b""
    assert "did you mean 'diagnose'?" in typo.stderr.decode() and typo.stderr.decode().count("\n") == 1
    (tmp_path / "diagnos").write_bytes(SAMPLE.read_bytes())  # a log that happens to have that name is read
    assert _run("diagnos", cwd=tmp_path).stdout.decode().startswith("problem: ")


def test_the_top_level_help_shows_the_options_of_diagnose():
    shown = _run("--help").stdout.decode()
    for option in ("--symptom", "--format", "--top", "--color", "--facts", "--verbose", "--redact"):
        assert option in shown, option
    assert "explain" in shown


def _completion(**env: str) -> str:
    """What the installed `logdoctor` script answers to the shell's completion protocol."""
    script = Path(sys.executable).parent / "logdoctor"  # completion is keyed on the program's name
    return subprocess.run([str(script)], capture_output=True, timeout=120, cwd=ROOT, env=_env(**env)).stdout.decode()


def test_shell_completion_completes_commands_files_and_options():
    first = _completion(_LOGDOCTOR_COMPLETE="bash_complete", COMP_WORDS="logdoctor ex", COMP_CWORD="1").split()
    assert "plain,explain" in first and "file,ex" in first
    option = _completion(_LOGDOCTOR_COMPLETE="bash_complete", COMP_WORDS="logdoctor x.log --sy", COMP_CWORD="2")
    assert "plain,--symptom" in option.split()
    assert "complete -o nosort -F _logdoctor_completion logdoctor" in _completion(_LOGDOCTOR_COMPLETE="bash_source")


def test_reading_a_paste_from_a_terminal_says_how_to_end_it():
    status, out, err = _on_a_terminal("-", "--format", "json", env=_env(), stdin_text=SAMPLE.read_bytes()[:4000])
    assert "paste the log, then Ctrl-D" in err.decode()
    assert status in (0, 1) and b'"schema_version"' in out
    piped = _run("-", stdin=SAMPLE.read_bytes())
    assert "Ctrl-D" not in piped.stderr.decode()
