"""The reports a person reads: every corpus log at three widths, its Markdown rendered by a
CommonMark/GFM renderer, its JSON against the schema.

Rendering goes through the real renderers in-process (one knowledge base, each log read once);
the command-line behaviour (COLUMNS, colour switches) is tested through the real CLI in
test_report_cli.py.
"""

from __future__ import annotations

import html.parser
import importlib.util
import json
import statistics

import jsonschema
import pytest
from markdown_it import MarkdownIt

import logdoctor
from logdoctor.report import factsheet, jsonout, markdown, remedies, terminal, text
from logdoctor.report.headline import first_command
from tests.conftest import ROOT, corpus_cases

SCHEMA = json.loads((ROOT / "logdoctor" / "schemas" / "report.schema.json").read_text())
WIDTHS = (60, 80, 200)
# What the Markdown report may turn into: anything else came from a log and was read as HTML.
ALLOWED_TAGS = {"h3", "h4", "p", "strong", "code", "pre", "ul", "ol", "li", "details", "summary", "table",
                "thead", "tbody", "tr", "th", "td", "sub", "hr", "a", "br"}


@pytest.fixture(scope="module")
def reports() -> dict[str, logdoctor.Report]:
    cases = corpus_cases()
    if not cases:
        pytest.skip("the real-log corpus is not beside the project (../shared/corpus)")
    kb = logdoctor.KnowledgeBase()
    return {case.name: logdoctor.diagnose(case / "log.txt", kb=kb) for case in cases}


def _flat(value: str) -> str:
    return " ".join(value.split())


class _Visible(html.parser.HTMLParser):
    """The text a reader sees in rendered HTML, and the tags it used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def rendered(source: str) -> _Visible:
    """Markdown rendered as GitHub does it (CommonMark with GFM tables, raw HTML allowed), then read back."""
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(source)
    seen = _Visible()
    seen.feed(page)
    return seen


def visible_text(source: str) -> str:
    return _flat("".join(rendered(source).parts))


@pytest.mark.parametrize("width", WIDTHS)
def test_every_corpus_report_fits_the_width_and_starts_with_the_answer(reports, width):
    for name, report in reports.items():
        lines = text.render(report, 5, text.Layout(width=width)).split("\n")
        verbose = text.render(report, 5, text.Layout(width=width, verbose=True)).split("\n")  # facts too
        too_wide = [line for line in lines + verbose if terminal.columns(line) > width]
        assert not too_wide, (name, width, too_wide)
        verdict = report.verdict.kind
        assert lines[0].startswith(f"{verdict}: "), (name, lines[0])
        if verdict == "problem":
            command = first_command(report)
            assert command
            assert f"→ {command.split()[0]}" in lines[0], (name, width, lines[0])  # the command starts on line 1
            if width == 200:
                assert lines[0].endswith(f"→ {' '.join(command.split())}"), (name, lines[0])


def test_the_headline_keeps_the_whole_command_on_the_first_line_when_it_fits(reports):
    fitting = [(name, r) for name, r in reports.items()
               if r.verdict.kind == "problem" and len(first_command(r)) <= 40]
    assert len(fitting) >= 3
    for name, report in fitting:
        first = text.render(report, 5, text.Layout(width=80)).split("\n")[0]
        assert first.endswith(f"→ {first_command(report)}"), (name, first)


def test_a_report_with_one_confident_cause_is_short(reports):
    single = {name: text.render(report, 5, text.Layout(width=80)).count("\n") + 1
              for name, report in reports.items() if len(report.confident) == 1}
    assert len(single) >= 8, single
    assert statistics.median(single.values()) <= 25, single


def test_the_short_report_folds_the_cause_and_low_confidence_causes_but_verbose_shows_all(reports):
    name, report = next((n, r) for n, r in reports.items() if r.confident and len(r.diagnoses) > 2
                        and text.first_sentence(r.confident[0].entry.cause) != _flat(r.confident[0].entry.cause))
    short = text.render(report, 5, text.Layout(width=100))
    whole = _flat(report.confident[0].entry.cause)
    assert text.first_sentence(whole) in _flat(short) and whole not in _flat(short), name
    assert f"logdoctor kb show {report.confident[0].entry.id}" in _flat(short)
    low = report.diagnoses[len(report.confident)]
    assert f"({low.entry.id})" in short and _flat(low.entry.cause)[:60] not in _flat(short)
    assert "Facts:" not in short
    verbose = _flat(text.render(report, 5, text.Layout(width=100, verbose=True)))
    assert whole in verbose and _flat(low.entry.cause) in verbose and "Facts:" in verbose
    with_facts = text.render(report, 5, text.Layout(width=100, facts=True))
    assert "Facts:" in with_facts and whole not in _flat(with_facts)


def _labels(rendered_text: str) -> set[str]:
    return {label for label in ("vLLM: ", "Xinference: ") if f"→ {label}" in rendered_text}


def test_remedies_are_spelled_for_the_engine_the_log_shows(reports):
    by_engine: dict[str | None, list[str]] = {}
    for name, report in reports.items():
        if report.confident:
            by_engine.setdefault(remedies.engine_of(report.facts), []).append(name)
    assert by_engine.get("vllm") and by_engine.get("xinference") and by_engine.get(None), by_engine
    for engine in ("vllm", "xinference"):
        for name in by_engine[engine]:
            short = text.render(reports[name], 5, text.Layout(width=100))
            assert _labels(short) == set(), name  # one engine: its spelling only, no labels needed
            for spelling in filter(None, (getattr(r, engine) for r in reports[name].confident[0].entry.remedies)):
                assert _flat(reports[name].remedy_text(spelling)) in _flat(short), (name, spelling)
    both = [name for name in by_engine[None]
            if any(r.vllm and r.xinference for r in reports[name].confident[0].entry.remedies)]
    assert both
    for name in both:
        assert _labels(text.render(reports[name], 5, text.Layout(width=100))) == {"vLLM: ", "Xinference: "}, name


def test_a_pure_vllm_log_gets_no_xinference_remedy_in_any_format(reports):
    name, report = next((n, r) for n, r in reports.items() if r.confident
                        and remedies.engine_of(r.facts) == "vllm"
                        and any(remedy.xinference for remedy in r.confident[0].entry.remedies))
    spellings = [r.xinference for r in report.confident[0].entry.remedies if r.xinference]
    for output in (text.render(report, 5, text.Layout(width=100, verbose=True)), markdown.render(report, 5)):
        assert not any(report.remedy_text(s) in output for s in spellings), name
        assert "Xinference:" not in output


def test_every_corpus_markdown_report_shows_its_evidence_and_loses_no_text(reports):
    for name, report in reports.items():
        source = markdown.render(report, 5, command="logdoctor diagnose log.txt --format markdown")
        seen = rendered(source)
        assert seen.tags <= ALLOWED_TAGS, (name, seen.tags - ALLOWED_TAGS)
        visible = _flat("".join(seen.parts))
        assert _flat(markdown.headline(report)) in visible, name
        for diagnosis in report.diagnoses[:5]:
            assert _flat(diagnosis.entry.title) in visible, name
        for diagnosis in report.confident[:5]:
            for hit in diagnosis.hits[:markdown.EVIDENCE_LINES]:
                assert _flat(hit.text) in visible, (name, hit.text)
            assert _flat(diagnosis.entry.cause) in visible, name
            for remedy in diagnosis.entry.remedies:
                assert _flat(report.remedy_text(remedy.text)) in visible, (name, remedy.text)
        for fact, value in report.facts.items():
            assert f"{fact} {_flat(factsheet.format_value(fact, value))}" in visible, (name, fact)
        assert f"logdoctor {logdoctor.__version__}" in visible
        assert "logdoctor diagnose log.txt --format markdown" in visible
        if report.verdict.kind == "problem":
            assert f"→ {_flat(first_command(report))}" in visible, name


def test_unknown_engine_markdown_gives_both_spellings_and_marks_low_confidence(reports):
    name, report = next((n, r) for n, r in reports.items()
                        if r.confident and remedies.engine_of(r.facts) is None
                        and any(x.vllm and x.xinference for x in r.confident[0].entry.remedies)
                        and len(r.diagnoses) > len(r.confident))
    visible = visible_text(markdown.render(report, 5))
    remedy = next(x for x in report.confident[0].entry.remedies if x.vllm and x.xinference)
    assert f"vLLM: {_flat(report.remedy_text(remedy.vllm))}" in visible, name
    assert f"Xinference: {_flat(report.remedy_text(remedy.xinference))}" in visible, name
    low = report.diagnoses[len(report.confident)]
    assert f"low confidence: {_flat(low.entry.title)}" in visible


def test_angle_brackets_and_markdown_characters_from_a_log_survive_rendering():
    model = "/root/.cache/huggingface/hub/models--Qwen/snapshots/<hash>/*weights*_[v2]"
    log = (
        "INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.4.2\n"
        f"INFO 05-10 08:12:01 llm_engine.py:100] Initializing an LLM engine (v0.4.2) with config: model='{model}', "
        "tokenizer='x', dtype=torch.bfloat16, max_seq_len=8192, tensor_parallel_size=1, quantization=None, seed=0)\n"
        "ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your <GPU> "
        "**Tesla T4** `sm_75` | & <b>bold</b> GPU has compute capability 7.5.\n"
    )
    report = logdoctor.diagnose(log)
    assert report.verdict.kind == "problem" and report.facts["model"] == model
    seen = rendered(markdown.render(report, 5))
    visible = _flat("".join(seen.parts))
    assert seen.tags <= ALLOWED_TAGS, seen.tags - ALLOWED_TAGS  # <b>, <GPU>, <hash> stayed text
    assert f"model {model}" in visible  # the fact table
    assert "Your <GPU> **Tesla T4** `sm_75` | & <b>bold</b> GPU" in visible  # the evidence and the error


def test_every_corpus_json_report_validates_and_says_what_is_confident(reports):
    for name, report in reports.items():
        document = json.loads(json.dumps(jsonout.report_document(report, 5)))
        jsonschema.validate(document, SCHEMA)
        assert document["schema_version"] == jsonout.SCHEMA_VERSION
        assert document["summary"]["verdict"] == report.verdict.kind
        assert document["summary"]["headline"].startswith(report.verdict.kind)
        assert [d["confident"] for d in document["diagnoses"]] == \
            [d.confidence >= 0.5 for d in report.diagnoses[:5]], name
        assert sum(d["confident"] for d in document["diagnoses"]) == min(5, len(report.confident))


def test_the_readme_shows_reports_as_they_look():
    """The README's examples are generated (benchmarks/readme_reports.py), not typed: they must match."""
    readme = (ROOT / "README.md").read_text()
    spec = importlib.util.spec_from_file_location("readme_reports", ROOT / "benchmarks" / "readme_reports.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for name, block in generator.blocks().items():
        assert f"<!-- {name} -->\n{block}\n<!-- /{name} -->" in readme, "python benchmarks/readme_reports.py --write"


def test_middle_cut_and_wrap_keep_within_the_width():
    path = "/models/Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4/snapshots/0123456789abcdef"
    cut = terminal.cut_middle(path, 30)
    assert terminal.columns(cut) == 30 and cut.startswith("/models/Qwen/") and cut.endswith("89abcdef")
    assert terminal.cut_middle("短い", 10) == "短い"
    wide = terminal.cut_middle("显存不足" * 10, 11)
    assert terminal.columns(wide) <= 11 and "…" in wide
    lines = terminal.wrap("word " * 30 + "x" * 90, 40, first="do    1. ")
    assert all(terminal.columns(line) <= 40 for line in lines)
    assert lines[0].startswith("do    1. word") and all(line.startswith(" " * 9) for line in lines[1:])


def test_faint_causes_are_counted_in_the_short_report_and_shown_with_verbose(reports):
    name, report = next((n, r) for n, r in reports.items()
                        if sum(d.confidence < text.FAINT for d in r.diagnoses[len(r.confident):5]) >= 2)
    faint = [d for d in report.diagnoses[len(report.confident):5] if d.confidence < text.FAINT]
    short = _flat(text.render(report, 5, text.Layout(width=100)))
    assert f"({len(faint)} causes under {text.FAINT:.2f})" in short, name
    assert not any(f"({d.entry.id})" in short for d in faint), name
    verbose = _flat(text.render(report, 5, text.Layout(width=100, verbose=True)))
    assert all(_flat(d.entry.title) in verbose for d in faint), name
