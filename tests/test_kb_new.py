"""`logdoctor kb new --from LOG`: from an unknown failure to an entry that passes `kb check`, through the
real CLI, on real logs (../shared/corpus, samples/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from logdoctor import api
from logdoctor.knowledge import scaffold
from logdoctor.match.conditions import compile_condition
from logdoctor.pipeline import analyze

from .conftest import CORPUS, ROOT, truth_of


def _logdoctor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logdoctor", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def _kb_copy(tmp_path: Path, without: tuple[str, ...] = ()) -> Path:
    """The repository's kb/ and samples/ in `tmp_path`, without the entries named (their logs stay: other
    entries use them as negative fixtures)."""
    shutil.copytree(ROOT / "kb", tmp_path / "kb")
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    for entry_id in without:
        (entry,) = (tmp_path / "kb").glob(f"*/{entry_id}.yaml")
        entry.unlink()
    return tmp_path / "kb"


def _empty_kb(tmp_path: Path) -> Path:
    """A knowledge base with the repository's taxonomy and no entry: for what a draft says of its log alone."""
    (tmp_path / "kb").mkdir()
    shutil.copyfile(ROOT / "kb" / "taxonomy.yaml", tmp_path / "kb" / "taxonomy.yaml")
    return tmp_path / "kb"


def _case(name: str) -> Path:
    case = CORPUS / name
    if not case.is_dir():
        pytest.skip(f"the real-log corpus is not at {CORPUS}")
    return case


def _fill_in_title_and_cause(entry: Path) -> None:
    """The only edit the contributor makes in the walk-through: the title and the cause, in their words."""
    text = entry.read_text()
    assert text.count("TODO") == 2, text  # nothing else is left to do
    text = text.replace("'TODO: one line a user recognises'", "The server refuses this model at start")
    entry.write_text(text.replace("'TODO: two or three sentences in your own words.'", "What the log says."))


# (corpus case, the built-in entry that knows it, its category, the area folder)
WALKS = [
    ("tensorrtllmchatglm3-3", "trust-remote-code-required", "trust-remote-code-required", "model"),
    ("llmcompressor-57", "marlin-min-thread-k-tp", "quant-tp-misaligned", "quantization"),
    ("xinference-1715", "max-model-len-over-derived", "max-model-len-exceeds-model-limit", "serving"),
]


@pytest.mark.parametrize(("case_name", "known", "category", "area"), WALKS, ids=[w[0] for w in WALKS])
def test_the_whole_path_from_an_unknown_failure_to_a_passing_entry(tmp_path, case_name, known, category, area):
    case = _case(case_name)
    kb = _kb_copy(tmp_path, without=(known,))
    before = api.diagnose(case / "log.txt", kb=api.KnowledgeBase(kb, builtin=False))
    assert not before.confident or before.confident[0].entry.category != category  # it is unknown now

    url = truth_of(case)["source"]["url"]
    made = _logdoctor("kb", "new", f"new-{case_name}", "--from", str(case / "log.txt"), "--category", category,
                      "--into", str(kb / area), "--reference", url, "--kb", str(kb), "--no-builtin")
    assert made.returncode == 0, made.stderr
    entry = kb / area / f"new-{case_name}.yaml"
    assert f"wrote {entry}" in made.stdout
    assert made.stdout.rstrip().splitlines()[-1].startswith("kb check: 2 problems")  # the title and the cause
    _fill_in_title_and_cause(entry)

    checked = _logdoctor("kb", "check", "--no-builtin", "--kb", str(kb))
    assert checked.returncode == 0, checked.stdout
    assert "kb check: all entries valid" in checked.stderr
    after = api.diagnose(case / "log.txt", kb=api.KnowledgeBase(kb, builtin=False))
    assert after.diagnoses[0].entry.id == f"new-{case_name}" and after.diagnoses[0].confidence >= 0.5


def test_a_cut_traceback_still_gives_its_error_lines_and_the_whole_fact_sheet(tmp_path):
    """openrlhf-336: the traceback is cut, only `ERROR … Error executing method initialize_cache` is left."""
    log = _case("openrlhf-336") / "log.txt"
    kb = _empty_kb(tmp_path)
    made = _logdoctor("kb", "new", "initialize-cache-failed", "--from", str(log), "--category",
                      "kv-cache-too-small-for-max-model-len", "--into", str(kb / "memory"), "--kb", str(kb),
                      "--no-builtin")
    assert made.returncode == 0, made.stderr
    text = (kb / "memory" / "initialize-cache-failed.yaml").read_text()
    draft = yaml.safe_load(text)
    templates = [s.get("template") for s in draft["signatures"]]
    assert "Error executing method initialize_cache. This might cause deadlock in distributed execution." in templates
    assert "# GPU blocks: <num>, # CPU blocks: <num>" in templates  # the line just before the failure
    assert not any(s.get("decisive") for s in draft["signatures"])  # a wrapper's words name no cause
    facts = ('#   distributed_backend = "ray"', "#   gpu_blocks = 378", "#   kv_cache_tokens = 6048   (from gpu_blocks")
    for fact in facts:
        assert fact in text


def test_a_generic_cuda_oom_is_cut_at_a_word_and_not_decisive_unless_said(tmp_path):
    log = ROOT / "samples" / "s-v07-rtx4090-qwen7b-serving-oom-v0.log"
    message = analyze([str(log)]).sheet.facts["error_message"]
    assert message.startswith("CUDA out of memory") and len(message) > scaffold.TEMPLATE_CHARS
    kb = _empty_kb(tmp_path)  # no entry matches the line: the wording alone makes it generic
    drafts = {}
    for entry_id, extra in (("plain-oom", ()), ("said-oom", ("--decisive",))):
        made = _logdoctor("kb", "new", entry_id, "--from", str(log), "--category", "oom-profiling-or-cuda-graphs",
                          "--into", str(kb / "memory"), "--kb", str(kb), "--no-builtin", *extra)
        assert made.returncode == 0, made.stderr
        drafts[entry_id] = yaml.safe_load((kb / "memory" / f"{entry_id}.yaml").read_text())["signatures"][0]
    plain, said = drafts["plain-oom"], drafts["said-oom"]
    assert plain["template"].startswith("CUDA out of memory. Tried to allocate <num>")
    assert len(plain["template"]) <= scaffold.TEMPLATE_CHARS
    words = set(" ".join(plain["template"].split()).split(" "))
    assert words <= set(scaffold.mask(message).split(" "))  # every word whole: cut between two
    assert "decisive" not in plain and plain["weight"] < 1
    assert said.get("decisive") is True


def test_the_proposed_when_holds_here_and_tells_the_neighbours_apart():
    log = _case("workervllm-40") / "log.txt"
    report = api.diagnose(log)
    neighbours = list(report.diagnoses[:5])
    when, why = scaffold.propose_when(report.analysis.sheet, neighbours)
    assert when is not None, why
    condition = compile_condition(when)
    assert condition.evaluate(report.analysis.sheet.facts) is True
    fixtures = [path for d in neighbours for path in scaffold.positive_fixtures(d.entry)]
    assert fixtures  # the cached entries carry none: they are read from the entries' files
    assert any(condition.evaluate(analyze([str(path)]).sheet.facts) is False for path in fixtures)


def test_an_unknown_category_is_refused_with_the_closest_ones(tmp_path):
    log = ROOT / "samples" / "s-v04-a10g-mistral-kv-too-small.log"
    made = _logdoctor("kb", "new", "x", "--from", str(log), "--category", "kv-cache-to-small", "--into",
                      str(tmp_path / "kb" / "memory"))
    assert made.returncode == 2
    assert "did you mean 'kv-cache-too-small-for-max-model-len'" in made.stderr
    assert len(made.stderr.strip().splitlines()) == 1 and not (tmp_path / "kb").exists()
    refused = _logdoctor("kb", "new", "x", "--from", str(log), "--category", "not-a-category", "--into",
                         str(tmp_path / "kb" / "memory"))
    assert refused.returncode == 2 and "unknown category 'not-a-category'" in refused.stderr
