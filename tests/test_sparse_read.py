"""The block-scanning read path must see a log exactly as the line-by-line path does.

Past the head of a large input, LogReader reads 4 MB blocks and yields only the lines that hold a
literal anchor (with the line before each, and a blank line that ends a traceback). Whatever the
log, the parser must then produce the same events, with the same line numbers, and the reader the
same statistics, as when every line is read. Blocks are made tiny here so that every line, long
line and blank line falls across a block boundary somewhere.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logdoctor.parse import LineParser
from logdoctor.pipeline import analyze
from logdoctor.read import source
from logdoctor.read.scan import ENGINE_VARIABLE, LiteralScanner

from .conftest import sample_logs

NOISE = (
    b'INFO:     172.17.0.1:53422 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n',
    b"INFO 08-27 09:14:14 [logger.py:41] Received request chatcmpl-1: prompt: 'which model has more tokens?'\n",
    b"INFO 08-27 09:14:20 [loggers.py:123] Engine 000: Avg prompt throughput: 912.4 tokens/s, Running: 3 reqs\n",
    b"\n",
    b"\r\n",
    b"    at some frame\n",
)
LIMIT = 200  # the overlong-line limit, small so that long lines are cheap to make


def _read(data: bytes, sparse: bool, block: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, dict]:
    monkeypatch.setattr(source, "_WRAP_SCAN_LINES", 4)
    monkeypatch.setattr(source, "_SPARSE_AFTER", 0 if sparse else 1 << 62)
    monkeypatch.setattr(source, "_BLOCK_BYTES", block)
    parser = LineParser()
    reader = source.LogReader(["-"], stdin=io.BytesIO(data), max_line_bytes=LIMIT, literals=parser.literals)
    events = [(e.line, e.kind, e.facts, e.text) for line in reader for e in parser.feed(line)]
    stats = reader.stats.as_dict()
    # A console export shows itself in the head (then every line is read); a stray timestamp-only
    # line further down carries nothing, and only the line-by-line path counts it.
    del stats["dropped_console_meta"]
    return events, stats


def _real_lines() -> list[bytes]:
    lines: list[bytes] = []
    for log in sample_logs():
        if "-cri-" in log.name:
            continue  # CRI files are read line by line (a partial record continues lines later)
        lines.extend(log.read_bytes().splitlines(keepends=True))
    return lines


REAL = _real_lines()


@pytest.mark.parametrize("engine", ["hyperscan", "re2"])
@pytest.mark.parametrize("log", sample_logs()[:6], ids=lambda p: p.stem)
def test_a_sample_reads_the_same_in_blocks_and_line_by_line(log, engine, monkeypatch):
    monkeypatch.setenv(ENGINE_VARIABLE, engine)
    data = log.read_bytes()
    expected = _read(data, False, 1 << 20, monkeypatch)
    for block in (5, 97, 4096):
        assert _read(data, True, block, monkeypatch) == expected


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.one_of(st.sampled_from(REAL), st.sampled_from(NOISE),
                                 st.integers(LIMIT - 2, 3 * LIMIT).map(lambda n: b"x" * n + b" Error\n")),
                       max_size=120),
       tail=st.sampled_from([b"", b"RuntimeError: no newline at the end", b"y" * (2 * LIMIT)]),
       block=st.integers(1, 700))
def test_any_mix_of_real_lines_noise_and_long_lines_reads_the_same(pieces, tail, block, monkeypatch):
    data = b"".join(pieces) + tail
    assert _read(data, True, block, monkeypatch) == _read(data, False, 1 << 20, monkeypatch)


def test_a_long_serving_log_keeps_the_facts_of_its_start_and_its_late_error(tmp_path, monkeypatch):
    """The late error and the start-up facts survive a body of serving noise read in blocks."""
    seed = next(p for p in sample_logs() if p.name.startswith("seed-"))
    lines = seed.read_bytes().splitlines(keepends=True)
    body = b"".join(NOISE[i % 3] for i in range(60_000))
    error = b"ERROR 03-12 10:19:16 engine.py:99] RuntimeError: CUDA error: an illegal memory access was encountered\n"
    path = tmp_path / "long.log"
    path.write_bytes(b"".join(lines) + body + error)
    monkeypatch.setattr(source, "_SPARSE_AFTER", 4096)
    long = analyze([str(path)]).sheet
    start = analyze([str(seed)]).sheet
    assert long.facts["error_message"].startswith("CUDA error: an illegal memory access")
    assert long.evidence["error_message"] == [len(lines) + 60_001]
    assert {k: v for k, v in long.facts.items() if not k.startswith("error")} == {
        k: v for k, v in start.facts.items() if not k.startswith("error")}


@pytest.mark.parametrize("engine", ["hyperscan", "re2"])
def test_a_scanner_without_literals_finds_nothing(engine, monkeypatch):
    monkeypatch.setenv(ENGINE_VARIABLE, engine)
    scanner = LiteralScanner([])
    assert (scanner.contains("Traceback"), scanner.line_starts(b"Error\nTraceback\n")) == (False, [])
