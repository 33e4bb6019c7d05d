"""api.Diagnoser, the incremental diagnosis `--follow` uses: asking for reports while lines are fed
changes nothing in the final answer, which is the batch one (held compose events, outcome, ranking)."""

from __future__ import annotations

from pathlib import Path

import pytest

from logdoctor import api
from logdoctor.read.source import LogReader
from tests.conftest import SAMPLES, corpus_cases

LOGS = sorted(SAMPLES.glob("*.log")) + [case / "log.txt" for case in corpus_cases()]


@pytest.fixture(scope="module")
def kb() -> api.KnowledgeBase:
    return api.KnowledgeBase()


def _answer(report: api.Report) -> tuple:
    return (report.verdict.kind, [(d.entry.id, d.confidence) for d in report.diagnoses[:5]], report.facts,
            report.analysis.sheet.evidence, report.analysis.outcome)


@pytest.mark.parametrize("log", LOGS, ids=lambda path: path.parent.name if path.name == "log.txt" else path.stem)
def test_reports_along_the_way_leave_the_final_one_as_the_batch_one(log: Path, kb: api.KnowledgeBase) -> None:
    diagnoser = api.Diagnoser(kb=kb)
    reader = LogReader([str(log)], literals=diagnoser.literals)
    for count, line in enumerate(reader):
        diagnoser.feed(line)
        if count % 7 == 0:
            diagnoser.report(reader.stats).verdict  # noqa: B018 - asked for, as --follow does
    assert _answer(diagnoser.report(reader.stats)) == _answer(api.diagnose(log, kb=kb))


def test_a_facts_only_diagnoser_gives_no_report() -> None:
    diagnoser = api.Diagnoser(ranked=False)
    reader = LogReader([str(SAMPLES / "seed-xinference-t4-gptq-tp4.log")], literals=diagnoser.literals)
    for line in reader:
        diagnoser.feed(line)
    assert diagnoser.analysis(reader.stats).sheet.facts["kv_cache_tokens"] == 131888
    with pytest.raises(ValueError, match="only lays out facts"):
        diagnoser.report(reader.stats)


def test_a_compose_service_held_back_stays_held_however_often_facts_are_asked_for(tmp_path: Path) -> None:
    """Open WebUI's 'Application startup complete' before vLLM's first line: held, then dropped once vLLM
    speaks; a fact sheet asked for in between (as --follow does) must not let it in for good."""
    log = tmp_path / "compose.log"
    log.write_text("\n".join([
        "open-webui-1  | INFO:     Application startup complete.",
        "vllm-1        | (APIServer pid=1) INFO 08-27 14:01:52 [api_server.py:1805] vLLM API server version 0.10.1.1",
    ]) + "\n")
    diagnoser = api.Diagnoser(ranked=False)
    reader = LogReader([str(log)], literals=diagnoser.literals, live=True)
    asked = []
    for line in reader:
        diagnoser.feed(line)
        asked.append(diagnoser.analysis(reader.stats).sheet.facts.get("server_ready"))
    assert asked == [True, None]  # alone it counts; once vLLM speaks, it is another service's
    assert "server_ready" not in api.facts(log).facts
