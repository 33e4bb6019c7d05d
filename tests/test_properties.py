"""Property tests (hypothesis, bounded to seconds): whatever the input, logdoctor answers and never raises.

Logs: arbitrary bytes, and arbitrary interleavings of real lines (samples/*.log and the corpus
logs in ../shared/corpus) under every wrapper the source layer removes. Knowledge-base input:
arbitrary YAML text, documents, conditions and regexes only ever fail with their own error types.
Redaction: a planted secret never survives, whatever surrounds it. The long run of the same
targets is benchmarks/fuzz.py.
"""

from __future__ import annotations

import contextlib
import io
import re
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logdoctor import api, knowledge
from logdoctor.knowledge import compiled as kbcache
from logdoctor.knowledge import yamlsafe
from logdoctor.match import conditions
from logdoctor.match.signatures import Signature, SignatureError
from logdoctor.parse import LineParser
from logdoctor.pipeline import analyze
from logdoctor.read import formats, source
from logdoctor.report import redact

from .logpieces import ENDINGS, WRAPPERS, real_lines

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


REAL = real_lines(400)

_KB: list = []


def _kb():
    if not _KB:
        _KB.extend(kbcache.load())
    return _KB


def _check_lines(data: bytes, limit: int = source.MAX_LINE_BYTES) -> source.ReadStats:
    """Read `data` and check what the source layer promises about every line it yields."""
    reader = source.LogReader(["-"], stdin=io.BytesIO(data), max_line_bytes=limit)
    numbers = []
    for line in reader:  # (a CRI partial record comes when its stream continues: numbers need not ascend)
        numbers.append(line.number)
        assert "\n" not in line.text and "\r" not in line.text and "\0" not in line.text
        assert len(line.text) <= limit
    stats = reader.stats
    assert len(set(numbers)) == len(numbers) and all(1 <= n <= stats.physical_lines for n in numbers)
    head = data[:formats.HEAD_BYTES]  # compressed or UTF-16: bytes_read counts what it decoded to
    if formats.compression_of(head) is None and formats.utf16_codec(head) is None:
        assert stats.bytes_read == len(data)  # everything was read, even what was cut
    return stats


def _diagnose(data: bytes) -> None:
    kb, index = _kb()
    report = api.diagnose(data, kb=api.KnowledgeBase.of(kb, index), symptom="only outputs !!!!")
    assert all(0.0 <= d.confidence <= 1.0 for d in report.diagnoses)
    from logdoctor.report import jsonout, markdown, text

    jsonout.report_document(report, 5)
    markdown.render(report, 5)
    text.render(report, 5)


@FAST
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(data):
    _check_lines(data)
    _check_lines(data, limit=64)  # the same with a tiny line limit: every cap is exercised
    _diagnose(data)


@FAST
@given(st.lists(st.tuples(st.sampled_from(REAL), st.sampled_from(WRAPPERS), st.sampled_from(ENDINGS)),
                max_size=80),
       st.binary(max_size=50))
def test_interleavings_of_real_lines_never_raise(picks, junk):
    data = b"".join(wrap(line) + ending for line, wrap, ending in picks) + junk
    _check_lines(data)
    _check_lines(data, limit=80)
    _diagnose(data)
    analyze(["-"], stdin=io.BytesIO(data))


@FAST
@given(st.lists(st.sampled_from(REAL), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_a_shuffled_real_log_keeps_every_line_number(lines, rnd):
    rnd.shuffle(lines)
    data = b"\r\n".join(lines) + b"\r\n"
    stats = _check_lines(data)
    assert stats.physical_lines == len(lines)


# -- knowledge-base input --------------------------------------------------------------------------------
YAML_ALPHABET = st.sampled_from([*":-[]{}&*!|>'\"#%@`,?\n ", "  ", "\n  ", "- ", ": ", "!!python/object", "a", "id",
                                 "1", "&x", "*x", "<<", "~", "\t"])


@FAST
@given(st.lists(YAML_ALPHABET, max_size=120).map("".join) | st.text(max_size=300))
def test_arbitrary_yaml_text_is_a_document_or_a_yaml_error(tmp_path_factory, text):
    path = Path(tmp_path_factory.mktemp("y")) / "entry.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if _encodable(text) else path.write_bytes(b"\xff")
    try:
        document, _node = yamlsafe.load(path, path.parent)
    except yamlsafe.YamlError as error:
        assert error.line >= 1
        return
    with contextlib.suppress(knowledge.EntryError):
        knowledge.entry_from_document(document, path, path.parent)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
FIELDS = ("id", "title", "category", "cause", "symptoms", "signatures", "when", "versions", "remedies",
          "references", "fixtures")


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS), JSONISH, max_size=len(FIELDS)),
       st.sampled_from([{}, {"id": "x", "title": "t", "category": "c", "cause": "c"}]))
def test_any_entry_document_is_an_entry_or_an_entry_error(tmp_path_factory, fields, base):
    root = Path(tmp_path_factory.mktemp("kb"))
    try:
        entry = knowledge.entry_from_document({**base, **fields}, root / "x.yaml", root)
    except knowledge.EntryError:
        return
    for fixture in (*entry.positive, *entry.negative):
        assert fixture.path.resolve().is_relative_to(root.resolve()) or any(
            fixture.path.resolve().is_relative_to(folder) for folder in knowledge.fixture_folders(root))


FACT_VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)


@FAST
@given(st.text(max_size=200) | st.lists(st.sampled_from(
    ["(", ")", " and ", " or ", "not ", "==", "!=", "<", ">=", " in ", "[", "]", ",", "'x'", '"y"', "1.5", "true",
     "vllm_version", "pre_ampere", "dtype", "gpus", "tensor_parallel_size", "defined(", "__import__", "."]),
    max_size=40).map("".join),
    st.dictionaries(st.sampled_from(["vllm_version", "pre_ampere", "dtype", "gpus", "tensor_parallel_size"]),
                    FACT_VALUES | st.lists(FACT_VALUES, max_size=3)))
def test_conditions_parse_or_refuse_and_evaluate_without_raising(source_text, facts):
    try:
        condition = conditions.compile_condition(source_text)
    except conditions.ConditionError:
        return
    assert condition.evaluate(facts) in (True, False, None)


REGEX_PARTS = st.lists(st.sampled_from(
    ["(", ")", "a", "+", "*", "?", "{2,}", "|", "\\1", "(?=", "(?<=", "[", "]", "^", "$", ".", "\\", "Address ",
     "\\d", "(?i)", "(?P<n>", "{1000}"]), max_size=20).map("".join)


@FAST
@given(REGEX_PARTS | st.text(max_size=40), st.text(max_size=200))
def test_any_regex_is_refused_or_runs_in_re2(pattern, line):
    try:
        signature = Signature.build({"regex": pattern})
    except SignatureError:
        return
    assert type(signature._regex).__module__.startswith("re2")
    assert signature.similarity(line) in (0.0, 1.0)


# -- redaction -------------------------------------------------------------------------------------------
ALNUM = string.ascii_letters + string.digits
SECRETS = st.one_of(
    st.text(ALNUM, min_size=34, max_size=40).map(lambda s: "hf_" + s),
    st.text(ALNUM, min_size=20, max_size=48).map(lambda s: "sk-" + s),
    st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(lambda s: "AKIA" + s),
)
FILLER = st.lists(st.sampled_from([*list(" .,:;=/'\"()[]{}\t"), "api_key=", "Bearer ", "https://", "x", "_"]),
                  max_size=30).map("".join)


@FAST
@given(FILLER, SECRETS, FILLER)
def test_a_planted_secret_never_survives_redaction(before, secret, after):
    separated = f"{before} {secret} {after}"
    redacted = redact.redact(separated)
    assert secret not in redacted
    assert secret[:3] + secret[3:12] not in redacted


@FAST
@given(st.text(max_size=300))
def test_redaction_never_raises_and_keeps_text_without_hints(text):
    redacted = redact.redact(text)
    if not re.search(r"hf_|sk-|gh|AKIA|ASIA|earer|uthorization|key|KEY|Key|token|TOKEN|Token|ass|ASS|ecret|ECRET|://",
                     text):
        assert redacted == text


@FAST
@given(st.lists(st.sampled_from(REAL), max_size=30))
def test_the_line_parser_accepts_every_real_line_in_any_order(lines):
    parser = LineParser()
    for number, raw in enumerate(lines, 1):
        parser.feed(source.Line(number, raw.decode("utf-8", "replace")))
