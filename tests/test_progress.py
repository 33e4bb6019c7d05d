"""The progress line shown on a terminal while a large log is read."""

from __future__ import annotations

import gzip
import io

import pytest

from logdoctor.read.progress import PROGRESS_FROM, ProgressLine, known_size


@pytest.fixture(autouse=True)
def _a_terminal_that_knows_escape_codes(monkeypatch):
    """These tests draw for an ordinary terminal; TERM=dumb is tested in test_report_cli.py."""
    monkeypatch.setenv("TERM", "xterm")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_large_file_shows_bytes_rate_and_time_left_then_is_erased():
    stream, clock = io.StringIO(), Clock()
    progress = ProgressLine(stream, total=4 * PROGRESS_FROM, clock=clock)
    clock.now += 1.0
    progress(PROGRESS_FROM)
    assert stream.getvalue() == "\rreading: 50 of 200 MB, 50 MB/s, 3 s left\x1b[K"
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_a_small_input_shows_nothing():
    stream, clock = io.StringIO(), Clock()
    progress = ProgressLine(stream, total=PROGRESS_FROM // 10, clock=clock)
    clock.now += 5
    progress(PROGRESS_FROM // 10)
    progress.finish()
    assert stream.getvalue() == ""


def test_a_pipe_of_unknown_size_shows_bytes_and_rate_once_it_is_large():
    stream, clock = io.StringIO(), Clock()
    progress = ProgressLine(stream, total=None, clock=clock)
    clock.now += 1
    progress(PROGRESS_FROM - 1)
    assert stream.getvalue() == ""
    clock.now += 1
    progress(2 * PROGRESS_FROM)
    assert stream.getvalue() == "\rreading: 100 MB, 50 MB/s\x1b[K"


def test_updates_are_throttled():
    stream, clock = io.StringIO(), Clock()
    progress = ProgressLine(stream, total=None, clock=clock)
    clock.now += 1
    for step in range(100):
        progress(PROGRESS_FROM + step)
    assert stream.getvalue().count("\r") == 1


def test_known_size_is_the_sum_of_plain_files_and_unknown_for_gzip_or_stdin(tmp_path):
    plain, packed = tmp_path / "a.log", tmp_path / "b.log.gz"
    plain.write_bytes(b"x" * 10)
    packed.write_bytes(gzip.compress(b"y" * 10))
    assert known_size([str(plain), str(plain)]) == 20
    assert known_size([str(plain), str(packed)]) is None
    assert known_size(["-"]) is None
    assert known_size([]) is None
