"""Repeated lines: an error storm and a crash loop cost a parse per distinct message, their evidence
stays bounded in every format, and what changes per process is still kept.

The logs are benchmarks/loggen.py's storm (a real vLLM 0.4.1 start, then an OOM traceback and a 500
repeated with other numbers) and its repeated worker lines, at a size that runs in a second.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import jsonschema
import pytest

import logdoctor
from logdoctor.knowledge import compiled
from logdoctor.match.rank import SignatureMatcher
from logdoctor.parse import LineParser
from logdoctor.parse.facts import MAX_PROCESSES_PER_FACT
from logdoctor.parse.memo import MAX_ENTRIES, MAX_TEXT, Memo
from logdoctor.parse.repeats import FIRST_LINES, LAST_LINES, Lines, union
from logdoctor.read.source import Line

from .conftest import ROOT
from .test_loggen import loggen

SCHEMA = json.loads((ROOT / "logdoctor" / "schemas" / "report.schema.json").read_text())
COPIES = 400
STORM_BLOCK = 8  # lines per repeated block: 7 ERROR lines and the 500


def _write(path, lines, newline="\n"):
    loggen.write_lines(path, lines, newline)
    return path


@pytest.fixture(scope="module")
def storm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("storm")
    return (_write(folder / "storm.log", loggen.storm_lines(COPIES)),
            _write(folder / "reference.log", loggen.storm_lines(1)))


def _cli(*args):
    env = {**os.environ, "COLUMNS": "200"}  # wide enough for the facts' line column
    return subprocess.run([sys.executable, "-m", "logdoctor", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)


def test_a_storm_reads_as_its_start_plus_one_copy(storm):
    log, reference = storm
    got, expected = logdoctor.diagnose(log), logdoctor.diagnose(reference)
    assert [(d.entry.id, d.confidence) for d in got.diagnoses] == [(d.entry.id, d.confidence)
                                                                     for d in expected.diagnoses]
    assert got.facts == expected.facts  # the error is the first of its kind; its repeats are one error
    assert got.facts["error_count"] == 1


def test_storm_evidence_is_the_first_and_last_lines_and_a_count_in_json(storm):
    log, _reference = storm
    result = _cli("diagnose", log, "--format", "json")
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert len(result.stdout.encode()) < 64 * 1024
    error = document["evidence"]["error_message"]
    first = len(loggen.V041_STARTUP.splitlines()) + STORM_BLOCK - 1  # the OOM line of the first block
    assert error["count"] == COPIES
    assert error["lines"][:FIRST_LINES] == [first + STORM_BLOCK * n for n in range(FIRST_LINES)]
    assert error["lines"][-1] == first + STORM_BLOCK * (COPIES - 1)
    assert len(error["lines"]) == FIRST_LINES + LAST_LINES
    lines = [item for diagnosis in document["diagnoses"] for item in diagnosis["evidence"] if item["kind"] == "line"]
    assert lines and all(len(item["lines"]) <= FIRST_LINES + LAST_LINES for item in lines)
    assert max(item["count"] for item in lines) == COPIES


def test_storm_evidence_shows_the_count_in_text_and_markdown(storm):
    log, _reference = storm
    last = len(loggen.V041_STARTUP.splitlines()) + STORM_BLOCK * COPIES - 1
    text = _cli("diagnose", log, "-v", "--facts").stdout
    assert f"×{COPIES}, last on line {last})" in text  # the lines a signature matched
    assert f"…, {last} ({COPIES} lines)" in text  # the lines that show a fact
    assert f"…, {last} ({COPIES} lines)" in _cli("diagnose", log, "--format", "markdown").stdout


def test_repeated_worker_lines_keep_each_process_value(tmp_path):
    lines = list(loggen.repeated_lines(3000))
    log = _write(tmp_path / "workers.log", lines, loggen.CRLF)
    first_value: dict[str, float] = {}
    printed: dict[str, set[float]] = {}
    for line in lines:
        tag, weights = re.match(r"\((VllmWorkerProcess pid=\d+)\).*weights take ([\d.]+)GiB", line).groups()
        first_value.setdefault(tag, float(weights))
        printed.setdefault(tag, set()).add(float(weights))
    sheet = logdoctor.facts(log)
    first_process, value = next(iter(first_value.items()))
    assert sheet.facts["weights_gib"] == value
    # Listed when it differs from the fact's value, bounded (issue 12): the fact's own process and the
    # newest others are kept, each with a value it printed, and the rest counted.
    differing = {process for process, weights in first_value.items() if weights != value}
    kept = sheet.per_process["weights_gib"]
    assert len(kept) == MAX_PROCESSES_PER_FACT and kept[first_process] == value
    assert all(weights in printed[process] for process, weights in kept.items())
    assert sheet.per_process_omitted["weights_gib"] >= len(differing) + 1 - MAX_PROCESSES_PER_FACT
    assert sheet.evidence_count["non_torch_gib"] == len(lines)  # every line states it
    assert len(sheet.evidence["non_torch_gib"]) == FIRST_LINES + LAST_LINES


def test_a_literal_with_digits_is_looked_for_in_each_line():
    """The prefilter's verdict is remembered per masked line, but not where a literal has digits."""
    parser = LineParser(["exit code: -6"])
    assert parser.feed(Line(1, "worker 3 died, exit code: -5")) == [] and parser.last_message is None
    parser.feed(Line(2, "worker 3 died, exit code: -6"))
    assert parser.last_message == "worker 3 died, exit code: -6"
    parser.feed(Line(3, "worker 4 died, exit code: -5"))
    assert parser.last_message is None


@pytest.mark.parametrize("order", [(1, 0), (0, 1)])
def test_a_regex_that_reads_digits_is_tried_on_each_line(order):
    """`# GPU blocks: 0,` (no room for the KV cache) and `# GPU blocks: 1,` share a masked text."""
    _kb, index = compiled.load()
    matcher = SignatureMatcher(index)
    for number, blocks in enumerate(order, 1):
        matcher.observe(number, f"# GPU blocks: {blocks}, # CPU blocks: 2048", "INFO")
    hits = [hit for hit in matcher.hits.values() if "blocks: 0," in hit.signature.pattern]
    assert [(hit.line, hit.count) for hit in hits] == [(order.index(0) + 1, 1)]


def test_lines_keep_the_first_and_last_few_and_count_all():
    lines = Lines.of(range(1, 1001))
    assert lines.count == 1000 and lines.shown == [1, 2, 3, 4, 5, 6, 995, 996, 997, 998, 999, 1000]
    assert not lines.complete
    lines.add(1000)  # the same line again (two facts of one line) counts once
    assert lines.count == 1000
    merged = union([Lines.of([3, 9]), Lines.of([5])])
    assert (merged.shown, merged.count) == ([3, 5, 9], 3)
    assert union([lines, Lines.of([2000])]).count == 1001


def test_many_logs_one_by_one_or_in_a_pool_give_the_reports_of_single_runs():
    logs = sorted((ROOT / "samples").glob("s-*.log"))[:6]
    kb = logdoctor.KnowledgeBase()
    alone = [logdoctor.diagnose(log, kb=kb).to_dict() for log in logs]
    assert [report.to_dict() for report in logdoctor.diagnose_many(logs, kb=kb)] == alone
    assert [report.to_dict() for report in logdoctor.diagnose_many(logs, kb=kb, jobs=2)] == alone


def test_the_memos_stay_bounded_on_long_or_many_distinct_lines():
    memo = Memo()
    assert memo.remember("long", 1, MAX_TEXT + 1) == 1 and "long" not in memo  # a long text is not kept
    for number in range(MAX_ENTRIES + 10):
        memo.remember(number, number, 10)
    assert len(memo) <= MAX_ENTRIES
    parser = LineParser()  # and through the parser: long distinct error lines are parsed, not kept
    for number in range(50):
        parser.feed(Line(number, f"RuntimeError: {number:06d} " + "x" * MAX_TEXT))
    assert parser.last_message.startswith("RuntimeError: 000049")
    assert not any(len(key) > MAX_TEXT for key in parser._lines)
