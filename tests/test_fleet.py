"""`logdoctor fleet`: a generated folder of 1,000 logs gives, log by log, the answer `diagnose` gives."""

from __future__ import annotations

import csv
import doctest
import io
import json
import os
import pty
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from logdoctor import api
from logdoctor.fleet import rows as fleet_rows

from . import fleetgen
from .conftest import SAMPLES

FLEET_SIZE = 1000


def _fleet(*args: str, stderr: int = subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logdoctor", "fleet", *args], stdout=subprocess.PIPE, stderr=stderr,
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def fleet_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("fleet")
    return folder, fleetgen.generate(folder, FLEET_SIZE)


@pytest.fixture(scope="module")
def kb() -> api.KnowledgeBase:
    return api.KnowledgeBase()


def _jsonl(output: bytes) -> tuple[dict[str, dict], list[dict]]:
    records = [json.loads(line) for line in output.decode().splitlines()]
    *rows, summary = records
    return {row["log"]: row for row in rows}, summary["summary"]


def test_the_docstring_examples_run():
    failures, tried = doctest.testmod(fleet_rows)
    assert tried >= 2 and failures == 0


def test_a_thousand_logs_get_the_answer_diagnose_gives_each(fleet_folder, kb):
    folder, paths = fleet_folder
    result = _fleet(str(folder), "--jobs", "2", "--format", "jsonl")
    assert result.returncode == 1, result.stderr  # some logs show a problem
    rows, summary = _jsonl(result.stdout)
    assert sorted(rows) == sorted(map(str, paths))
    for path in paths:
        verdict = api.diagnose(path, kb=kb).verdict
        row = rows[str(path)]
        assert (row["verdict"], row["cause"]) == (verdict.kind, verdict.cause.entry.id if verdict.cause else None), path
    # the summary counts every log once, under its cause or (without one) its verdict
    assert {group["group"]: group["count"] for group in summary} == Counter(r["cause"] or r["verdict"]
                                                                            for r in rows.values())
    assert sum(len(group["logs"]) for group in summary) == FLEET_SIZE
    wrapped = {pattern.split("/")[0] for pattern, _ in fleetgen.WRAPPINGS}
    assert {Path(log).relative_to(folder).parts[0] for log in rows} == wrapped
    assert not any(row["verdict"] in ("unreadable", "not-a-serving-log") for row in rows.values())


def test_the_command_line_diagnose_agrees_on_every_wrapping(fleet_folder):
    """The per-log answer of the real `logdoctor diagnose`, on one log of each wrapping (gzip, docker -t…)."""
    folder, paths = fleet_folder
    chosen = [next(p for p in paths if p.relative_to(folder).parts[0] == pattern.split("/")[0])
              for pattern, _ in fleetgen.WRAPPINGS]
    rows, _ = _jsonl(_fleet(*map(str, chosen), "--format", "jsonl").stdout)
    for path in chosen:
        report = json.loads(subprocess.run([sys.executable, "-m", "logdoctor", "diagnose", str(path), "--format",
                                            "json"], capture_output=True, timeout=120, check=False).stdout)
        row = rows[str(path)]
        assert row["verdict"] == report["summary"]["verdict"], path
        ranked = [diagnosis["id"] for diagnosis in report["diagnoses"]]
        if row["verdict"] == "problem":
            assert row["cause"] == ranked[0], path
        elif row["cause"]:
            assert row["cause"] in ranked, path


def test_one_process_and_a_pool_print_the_same(tmp_path):
    paths = fleetgen.generate(tmp_path, 60)
    alone, pooled = (_fleet(str(tmp_path), "--jobs", jobs) for jobs in ("1", "2"))
    assert alone.stdout == pooled.stdout and alone.returncode == pooled.returncode == 1
    text = alone.stdout.decode()
    assert text.startswith("log ") and f"{len(paths)} logs: " in text


def test_every_format_holds_the_same_rows(tmp_path):
    fleetgen.generate(tmp_path, 30)
    rows, summary = _jsonl(_fleet(str(tmp_path), "--format", "jsonl").stdout)
    as_csv = _fleet(str(tmp_path), "--format", "csv")
    table = {row["log"]: row for row in csv.DictReader(io.StringIO(as_csv.stdout.decode()))}
    assert table.keys() == rows.keys()
    assert all(table[log]["verdict"] == row["verdict"] and (table[log]["cause"] or None) == row["cause"]
               for log, row in rows.items())
    assert as_csv.stderr.decode().startswith("30 logs: ")  # CSV holds rows only: the summary goes to stderr
    markdown = _fleet(str(tmp_path), "--format", "markdown").stdout.decode()
    assert markdown.startswith("| log | verdict |") and f"**{summary[0]['group']}** ({summary[0]['count']}" in markdown


def test_globs_and_files_and_healthy_fleets(tmp_path):
    result = _fleet(str(SAMPLES / "*healthy.log"), "--format", "jsonl")
    rows, summary = _jsonl(result.stdout)
    assert result.returncode == 0  # no log shows a problem
    assert len(rows) == len(list(SAMPLES.glob("*healthy.log"))) >= 3
    assert [group["group"] for group in summary] == ["healthy"]


def test_a_location_with_no_log_is_one_line_and_exit_2(tmp_path):
    result = _fleet(str(tmp_path / "nowhere"), str(SAMPLES))
    assert result.returncode == 2 and result.stdout == b""
    message = f"logdoctor: {tmp_path / 'nowhere'}: no such file or folder, or no log in it"
    assert result.stderr.decode().strip() == message


def test_an_unreadable_log_is_a_row_not_a_crash(tmp_path):
    (tmp_path / "good.log").write_bytes((SAMPLES / "s-v04-a10g-mistral-kv-too-small.log").read_bytes())
    (tmp_path / "broken.log.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    rows, _ = _jsonl(_fleet(str(tmp_path), "--format", "jsonl").stdout)
    assert rows[str(tmp_path / "good.log")]["cause"] == "kv-cache-too-small-v0"
    assert rows[str(tmp_path / "broken.log.gz")]["error"]


def test_a_progress_bar_on_a_terminal_only(tmp_path):
    fleetgen.generate(tmp_path, 20)
    leader, follower = pty.openpty()
    try:
        result = _fleet(str(tmp_path), "--format", "csv", stderr=follower)
        os.close(follower)
        shown = os.read(leader, 1 << 16).decode(errors="replace")
    finally:
        os.close(leader)
    assert "diagnosing" in shown and "100%" in shown
    assert "diagnosing" not in _fleet(str(tmp_path), "--format", "csv").stderr.decode()
    assert result.stdout.decode().count("\n") == 21
