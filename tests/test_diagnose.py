"""Diagnosis behaviour: several problems in one log, private KB layers, colour rules, kb show."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from logdoctor import api
from logdoctor.cli import main

TWO_PROBLEMS = """\
INFO 08-21 06:02:11 [api_server.py:1805] vLLM API server version 0.10.1.1
WARNING 08-21 06:02:31 [custom_all_reduce.py:85] Custom allreduce is disabled because your platform lacks GPU \
P2P capability or P2P test failed. To silence this warning, specify disable_custom_all_reduce=True explicitly.
ERROR 08-21 06:02:40 [core.py:700] EngineCore failed to start.
ERROR 08-21 06:02:40 [core.py:700] Traceback (most recent call last):
ERROR 08-21 06:02:40 [core.py:700]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 691
ERROR 08-21 06:02:40 [core.py:700]     raise ValueError(
ERROR 08-21 06:02:40 [core.py:700] ValueError: Free memory on device (13.91/79.33 GiB) on startup is less than \
desired GPU memory utilization (0.95, 75.36 GiB). Decrease GPU memory utilization or reduce GPU memory used by other \
processes.
OSError: [Errno 98] Address already in use
"""


def test_several_independent_problems_are_all_reported(tmp_path):
    log = tmp_path / "two.log"
    log.write_text(TWO_PROBLEMS)
    report = api.diagnose(log)
    confident = {d.entry.category for d in report.confident}
    assert {"gpu-memory-held-by-other-process", "port-in-use"} <= confident
    held = next(d for d in report.confident if d.entry.category == "gpu-memory-held-by-other-process")
    assert report.values["gpu_memory_utilization_fit"] == 0.16
    assert any("0.16" in report.remedy_text(r.vllm or r.text) for r in held.entry.remedies)


def test_a_private_kb_adds_and_overrides_entries_for_diagnose(tmp_path):
    private = tmp_path / "team-kb"
    (private / "ours").mkdir(parents=True)
    (private / "ours" / "port-taken-here.yaml").write_text("""\
id: api-port-in-use
title: "On our cluster: port 8000 is taken by the sidecar"
category: port-in-use
symptoms: [server does not start]
signatures:
  - literal: "Address already in use"
    decisive: true
cause: Our sidecar listens on 8000.
remedies:
  - text: Use port 8100 on our cluster.
references: [https://wiki.example.org/llm/ports]
fixtures:
  positive: [x.log]
""")
    log = tmp_path / "two.log"
    log.write_text(TWO_PROBLEMS)
    result = CliRunner().invoke(main, [str(log), "--kb", str(private)])
    assert result.exit_code == 1
    assert "On our cluster: port 8000 is taken by the sidecar" in result.output
    assert "Use port 8100 on our cluster." in result.output


def test_colour_follows_the_color_option_and_no_color(tmp_path):
    log = tmp_path / "two.log"
    log.write_text(TWO_PROBLEMS)
    coloured = CliRunner(env={"NO_COLOR": "1"}).invoke(main, [str(log), "--color", "always"])
    assert "\x1b[" in coloured.output
    plain = CliRunner(env={"NO_COLOR": "1"}).invoke(main, [str(log)], color=True)
    assert "\x1b[" not in plain.output
    assert plain.output.startswith("problem: ")


def test_kb_show_prints_the_entry_and_fails_cleanly_on_an_unknown_id():
    shown = CliRunner().invoke(main, ["kb", "show", "fp16-overflow-qwen-pre-ampere"])
    assert shown.exit_code == 0
    assert "category: fp16-numeric-overflow" in shown.output
    missing = CliRunner().invoke(main, ["kb", "show", "no-such-entry"])
    assert missing.exit_code == 2
    assert "no entry 'no-such-entry'" in missing.output


def test_memory_budget_is_in_the_text_report_where_memory_matters():
    seed = Path(__file__).parent.parent / "samples" / "seed-xinference-t4-gptq-tp4.log"
    assert "Memory per GPU" not in CliRunner().invoke(main, [str(seed)]).output  # a precision problem
    result = CliRunner().invoke(main, [str(seed), "-v"])
    assert "Memory per GPU" in result.output
    assert "weights 4.57 GiB" in result.output and "KV cache 8.05 GiB" in result.output
    assert "CUDA graphs 0.25 GiB · free 1.20 of 14.56 GiB" in " ".join(result.output.split())
    kv_cache = Path(__file__).parent.parent / "kb" / "memory" / "kv-cache-too-small-v1.log"
    assert "Memory per GPU: weights 14.99 GiB · KV cache 4.91 GiB" in CliRunner().invoke(main, [str(kv_cache)]).output


class _CountingEntries(list):
    """A knowledge base's entries that remember which were read."""

    def __init__(self, entries):
        super().__init__(entries)
        self.read: set[int] = set()

    def __getitem__(self, position):
        if isinstance(position, int):
            self.read.add(position)
        return super().__getitem__(position)


def test_ranking_reads_an_entry_only_when_its_diagnosis_is_read():
    """Ranking works on the index; a report that shows the first two causes reads two entries."""
    from logdoctor import knowledge
    from logdoctor.match.rank import SignatureIndex, SignatureMatcher, rank
    from logdoctor.pipeline import analyze

    entries = knowledge.load().entries
    index = SignatureIndex(entries)
    matcher = SignatureMatcher(index)
    seed = Path(__file__).resolve().parent.parent / "samples" / "seed-xinference-t4-gptq-tp4.log"
    facts = analyze([str(seed)], extra_anchors=matcher.anchors, observer=matcher.observe).sheet.facts
    counting = matcher.entries = index.entries = _CountingEntries(entries)
    ranking = rank(matcher, facts, "only outputs !!!!")
    assert len(ranking) > 3 and not counting.read
    top = ranking[:2]
    assert len(counting.read) == 2 and top[0] is ranking[0]
    assert top[0].entry.id == "fp16-overflow-qwen-pre-ampere"
    everything = list(ranking)
    assert len(counting.read) == len(ranking) and everything[-1] is ranking[-1]
    confidences = [d.confidence for d in everything]
    assert confidences == sorted(confidences, reverse=True)


XINFERENCE_LOAD_OOM = """\
2025-03-12 10:17:49,112 xinference.core.supervisor 47 INFO     Xinference supervisor 0.0.0.0:41387 started
2025-03-12 10:17:51,416 xinference.core.worker 47 INFO     Xinference worker 0.0.0.0:41387 started
2025-03-12 10:17:57,566 uvicorn.error 1 INFO     Uvicorn running on http://0.0.0.0:9997 (Press CTRL+C to quit)
INFO 03-12 10:18:35 model_runner.py:1110] Starting to load model /root/.xinference/cache/qwen2_5-instruct-pytorch-32b...
2025-03-12 10:19:02,005 xinference.core.worker 47 ERROR    Failed to load model qwen2.5-instruct-0
Traceback (most recent call last):
  File "/usr/local/lib/python3.10/dist-packages/xinference/core/worker.py", line 926, in launch_builtin_model
    await model_ref.load()
torch.OutOfMemoryError: [address=0.0.0.0:40123, pid=301] CUDA out of memory. Tried to allocate 270.00 MiB. GPU 0 \
has a total capacity of 23.65 GiB of which 85.06 MiB is free. Process has 23.55 GiB memory in use.
"""


def test_xinferences_own_server_being_up_is_not_the_model_being_ready(tmp_path):
    """Xinference's supervisor, worker and REST server start before any model: an OOM while the
    model loads is a loading OOM, not one while serving."""
    log = tmp_path / "xinference-oom.log"
    log.write_text(XINFERENCE_LOAD_OOM)
    report = api.diagnose(log)
    assert "server_ready" not in report.analysis.sheet.facts
    assert report.diagnoses[0].entry.id == "oom-loading-weights"
    assert all(d.confidence < 0.3 for d in report.diagnoses if d.entry.id == "oom-during-serving")
