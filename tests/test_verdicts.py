"""The verdict of a report, on real logs: never "healthy" for a server that failed, never a problem from
words alone, a warning not scored like a failure; and the exit status that follows the verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor import api, knowledge
from logdoctor.match.rank import CONFIDENT
from logdoctor.match.verdict import EXIT_CODES, KINDS

from .conftest import CORPUS, ROOT, SAMPLES, corpus_cases, truth_of

SEED = SAMPLES / "seed-xinference-t4-gptq-tp4.log"
HEALTHY_COMPOSE = SAMPLES / "s-v06-l40s-llama70b-awq-dockerts-healthy.log"
KV_TOO_SMALL = SAMPLES / "s-v04-a10g-mistral-kv-too-small.log"
# The real warning of vLLM 0.4-0.6 (config.py) when swap_space x TP is over 40 % of the host's RAM.
SWAP_WARNING = ("WARNING 06-20 11:02:13 config.py:1247] Possibly too large swap space. 8.00 GiB out of the 15.40 GiB "
                "total CPU memory is allocated for the swap space.")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the project")


@pytest.fixture(scope="module")
def kb() -> api.KnowledgeBase:
    return api.KnowledgeBase()


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logdoctor", *args], input=stdin, capture_output=True, timeout=120,
                          cwd=ROOT)


def _verdict(result: subprocess.CompletedProcess) -> str:
    return json.loads(result.stdout)["summary"]["verdict"]


def test_every_verdict_has_one_exit_status_as_documented():
    assert set(EXIT_CODES) | {"incomplete"} == set(KINDS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"`{kind}`" in readme, f"README's exit-status table does not name {kind}"


@needs_corpus
@pytest.mark.parametrize("case", [c for c in corpus_cases() if (truth_of(c).get("root_cause") or {})
                                  .get("category") == "healthy"], ids=lambda c: c.name)
def test_healthy_real_logs_are_healthy(case, kb):
    report = api.diagnose(Path(case / "log.txt"), kb=kb)
    assert report.verdict.kind == "healthy", report.verdict
    assert report.verdict.exit_code == 0


@needs_corpus
def test_with_no_known_issue_a_failed_server_is_failed_unknown_or_incomplete_never_healthy():
    """With an empty knowledge base nothing can be recognised: every failing real log must still be
    answered as a failure (or a cut log), and every healthy one stay healthy."""
    empty = api.KnowledgeBase.of(knowledge.KnowledgeBase(entries=[]))
    seen = set()
    for case in corpus_cases():
        category = (truth_of(case).get("root_cause") or {}).get("category")
        report = api.diagnose(Path(case / "log.txt"), kb=empty)
        kind = report.verdict.kind
        seen.add(kind)
        if category == "healthy":
            assert kind == "healthy", (case.name, report.verdict)
        elif report.analysis.sheet.facts.get("error_type") or report.analysis.outcome.cut:
            assert kind in ("failed-unknown", "incomplete"), (case.name, report.verdict)
            assert report.verdict.exit_code == 1, (case.name, report.verdict)
    assert {"failed-unknown", "incomplete", "healthy"} <= seen


def test_with_no_known_issue_every_failing_sample_is_failed_unknown_and_every_healthy_one_healthy():
    """The samples include a server that died while serving (V0 and V1), a compose file whose other
    service's web server became ready, a console export newest first: none of it is healthy."""
    empty = api.KnowledgeBase.of(knowledge.KnowledgeBase(entries=[]))
    for log in sorted(SAMPLES.glob("*.log")):
        report = api.diagnose(log, kb=empty)
        expected = "healthy" if "healthy" in log.name or log.name.startswith("seed") else "failed-unknown"
        assert report.verdict.kind == expected, (log.name, report.verdict)


@needs_corpus
@pytest.mark.parametrize("name", ["openrlhf-336", "vllm-lighteval-607"])
def test_a_traceback_cut_before_its_exception_is_incomplete_with_errors(name):
    result = _cli(str(CORPUS / name / "log.txt"), "--format", "json", "--symptom", "fails to start")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"]["verdict"] == "incomplete"
    assert "paste the end" in report["summary"]["next_step"]


def test_a_real_failure_cut_inside_its_traceback_is_incomplete_not_healthy(tmp_path):
    lines = KV_TOO_SMALL.read_text(encoding="utf-8").splitlines()
    final = max(i for i, line in enumerate(lines) if "ValueError: The model's max seq len" in line)
    cut = tmp_path / "cut.log"
    cut.write_text("\n".join(lines[:final]) + "\n")  # the frames are there, the exception line is not
    text = _cli(str(cut))
    assert text.returncode == 1
    assert text.stdout.decode().startswith("incomplete: the log stops inside a traceback")
    whole = _cli(str(KV_TOO_SMALL), "--format", "json")
    assert (whole.returncode, _verdict(whole)) == (1, "problem")


DPKG = """\
2026-11-30 06:25:01 startup archives unpack
2026-11-30 06:25:02 install libre2-11:amd64 <none> 20230301-3
2026-11-30 06:25:02 status half-installed libre2-11:amd64 20230301-3
2026-11-30 06:25:03 status unpacked libre2-11:amd64 20230301-3
2026-11-30 06:25:04 configure libre2-11:amd64 20230301-3 <none>
2026-11-30 06:25:04 status installed libre2-11:amd64 20230301-3
"""
README_TEXT = """\
# Project

Install the package and run it on your data. The model and the tokenizer are loaded once.
If an error occurs, see the FAQ. Error handling: every Exception is logged, never raised.
"""
OTHER_APP = """\
INFO:     Started server process [4121]
INFO:     Waiting for application startup.
INFO:     Application startup complete.
INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)
"""


@pytest.mark.parametrize("text", [DPKG, README_TEXT, OTHER_APP, ""], ids=["dpkg", "readme", "other-app", "empty"])
def test_what_is_not_a_serving_log_says_so_with_exit_2(text, tmp_path):
    path = tmp_path / "input.txt"
    path.write_text(text)
    result = _cli(str(path), "--format", "json")
    assert result.returncode == 2
    assert _verdict(result) == "not-a-serving-log"
    assert result.stderr.decode().count("\n") == 1 and "not a vLLM or Xinference log" in result.stderr.decode()
    assert json.loads(result.stdout)["facts"].get("model") is None


def test_a_symptom_alone_never_makes_a_confident_diagnosis():
    result = _cli("--format", "json", "--symptom", "only outputs !!!!", stdin=b"")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert all(d["confidence"] < CONFIDENT for d in report["diagnoses"])
    assert report["diagnoses"], "the symptom's guesses are still shown, as guesses"


def test_on_a_healthy_start_words_without_log_evidence_stay_guesses(kb):
    for entry in kb.entries:
        report = api.diagnose(Path(HEALTHY_COMPOSE), kb=kb, symptom=entry.symptoms[0])
        for diagnosis in report.diagnoses:
            if not diagnosis.hits and not diagnosis.condition:
                assert diagnosis.confidence < CONFIDENT, (entry.id, diagnosis.entry.id, diagnosis.confidence)


def test_a_warning_in_a_start_that_became_ready_is_context_not_a_failure(tmp_path, kb):
    lines = HEALTHY_COMPOSE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "swap-warning.log"
    path.write_text("\n".join([*lines[:5], SWAP_WARNING, *lines[5:]]) + "\n")
    report = api.diagnose(Path(path), kb=kb)
    assert report.verdict.kind == "healthy", [(d.entry.id, d.confidence) for d in report.diagnoses[:3]]
    swap = next(d for d in report.diagnoses if d.entry.id == "swap-space-too-large")
    assert swap.confidence < CONFIDENT
    assert len({hit.line for hit in swap.hits}) == len(swap.hits) == 1  # the line is listed once


def test_the_same_error_line_that_stops_a_start_is_still_decisive(kb):
    """Demotion is for warnings and lines the server got past, not for the error that ended it."""
    report = api.diagnose(Path(KV_TOO_SMALL), kb=kb)
    assert report.verdict.kind == "problem"
    assert any(hit.decisive(report.analysis.outcome.ready_line) for hit in report.confident[0].hits)


@pytest.mark.parametrize("symptom", ["全是感叹号", "只输出感叹号", "一直输出感叹号", "回答都是!!!!", "输出全是！！！！",
                                     "only outputs !!!!", "only outputs !!!!!!!!", "every answer is exclamation marks",
                                     "输出乱码", "output is garbled gibberish"])
def test_the_seed_symptom_said_many_ways_gives_the_same_diagnosis(symptom, kb):
    report = api.diagnose(Path(SEED), kb=kb, symptom=symptom)
    assert report.verdict.kind == "problem"
    assert report.diagnoses[0].entry.id == "fp16-overflow-qwen-pre-ampere"
    assert report.diagnoses[0].confidence >= 0.6


def test_the_seed_without_a_symptom_is_a_risk_and_exits_0():
    result = _cli(str(SEED))
    assert result.returncode == 0
    assert result.stdout.decode().startswith("risk: the server started, but its setup fits a known quiet failure")


_NOT_SERVING_LINE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120).filter(
    lambda line: "vllm" not in line.lower() and "xinference" not in line.lower())


@settings(max_examples=60, deadline=None)
@given(st.lists(_NOT_SERVING_LINE, max_size=30))
def test_no_input_without_a_serving_line_is_ever_healthy(lines):
    report = api.diagnose("\n".join(lines), kb=api.default_knowledge_base())
    assert report.verdict.kind != "healthy"


def test_samples_keep_their_verdicts(kb):
    """Each bundled sample's verdict follows from its golden category: healthy ones healthy, the rest not."""
    for log in sorted(Path(SAMPLES).glob("*.log")):
        report = api.diagnose(Path(log), kb=kb)
        if "healthy" in log.name:
            assert report.verdict.kind == "healthy", (log.name, report.verdict)
        else:
            assert report.verdict.kind != "healthy", (log.name, report.verdict)


# What `vllm serve` prints when it is stopped with Ctrl-C (uvicorn's shutdown, then asyncio's tracebacks).
CTRL_C = """\
INFO:     Shutting down
INFO:     Waiting for application shutdown.
INFO:     Application shutdown complete.
Traceback (most recent call last):
  File "/usr/lib/python3.12/asyncio/runners.py", line 118, in run
    return self._loop.run_until_complete(task)
asyncio.exceptions.CancelledError

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/local/bin/vllm", line 8, in <module>
    sys.exit(main())
KeyboardInterrupt
"""


# V1 (0.10+): the engine core's traceback ends in KeyboardInterrupt, then the API server sees it die.
CTRL_C_V1 = """\
(APIServer pid=1) INFO 08-20 10:12:01 [launcher.py:80] Shutting down FastAPI HTTP server.
(EngineCore_DP0 pid=262) ERROR 08-20 10:12:01 [core.py:700] Traceback (most recent call last):
(EngineCore_DP0 pid=262) ERROR 08-20 10:12:01 [core.py:700]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/\
engine/core.py", line 691, in run_engine_core
(EngineCore_DP0 pid=262) ERROR 08-20 10:12:01 [core.py:700]     engine_core.run_busy_loop()
(EngineCore_DP0 pid=262) ERROR 08-20 10:12:01 [core.py:700] KeyboardInterrupt
(APIServer pid=1) ERROR 08-20 10:12:02 [core_client.py:564] Engine core proc EngineCore_DP0 died unexpectedly, \
shutting down client.
(APIServer pid=1) INFO:     Shutting down
"""


def test_a_v1_server_stopped_with_ctrl_c_is_healthy_though_its_engine_core_dies(tmp_path, kb):
    path = tmp_path / "stopped-v1.log"
    healthy = SAMPLES / "s-v031-h100x2-llama70b-tp2-autofit-healthy.log"
    path.write_text(healthy.read_text(encoding="utf-8") + CTRL_C_V1)
    assert api.diagnose(path, kb=kb).verdict.kind == "healthy"


def test_a_server_stopped_on_purpose_is_still_healthy(tmp_path, kb):
    path = tmp_path / "stopped.log"
    path.write_text(HEALTHY_COMPOSE.read_text(encoding="utf-8") + CTRL_C)
    assert api.diagnose(path, kb=kb).verdict.kind == "healthy"
    cut = tmp_path / "cut.log"  # the same log cut inside the last traceback is cut, whatever it was
    cut.write_text(HEALTHY_COMPOSE.read_text(encoding="utf-8") + CTRL_C.rsplit("\n", 2)[0] + "\n")
    assert api.diagnose(cut, kb=kb).verdict.kind == "incomplete"


def test_a_quiet_failures_setup_is_a_risk_and_a_start_up_entry_never_is(kb):
    """The silent fp16 overflow's own fixture (a T4, Qwen, fp16, GPTQ over 4 GPUs) is a risk like the seed;
    a healthy server said to 'fail to start' is not made a risk by a start-up failure's entry."""
    fixture = ROOT / "kb" / "precision" / "fp16-overflow-qwen-pre-ampere-xinference-t4.log"
    assert api.diagnose(fixture, kb=kb).verdict.kind == "risk"
    healthy = api.diagnose(HEALTHY_COMPOSE, kb=kb, symptom="fails to start on 3 GPUs (TP=3)")
    assert healthy.verdict.kind == "healthy", [(d.entry.id, d.confidence) for d in healthy.diagnoses[:3]]
    assert healthy.verdict.next_step is None or "--symptom" not in healthy.verdict.next_step


def test_a_bare_cuda_oom_message_is_a_family_match_that_yields_to_a_specific_entry(kb):
    family = api.diagnose(ROOT / "kb" / "memory" / "cuda-oom-family-after-weights.log", kb=kb)
    assert family.verdict.kind == "problem" and family.diagnoses[0].family
    assert family.diagnoses[0].confidence <= 0.55
    specific = api.diagnose(SAMPLES / "s-console-v085-70b-oom-weights.log", kb=kb)
    assert not specific.diagnoses[0].family  # the OOM there has its class and phase: the specific entry leads
