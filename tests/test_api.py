"""The public Python API (logdoctor/api.py): the documented examples run, and every kind of source reads alike."""

from __future__ import annotations

import doctest
import gzip
import io
import pickle

import pytest

import logdoctor
from logdoctor import api

from .conftest import SAMPLES

SEED = SAMPLES / "seed-xinference-t4-gptq-tp4.log"
SYMPTOM = "only outputs !!!!"


def test_the_docstring_examples_run():
    failures, tried = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert tried >= 5 and failures == 0


@pytest.fixture(scope="module")
def kb() -> logdoctor.KnowledgeBase:
    return logdoctor.KnowledgeBase()


class _ReadOnlyBody:
    """An object with `read()` and nothing else, like some HTTP response bodies."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def _sources(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    zipped = tmp_path / "seed.log.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    half = len(text.splitlines(keepends=True)) // 2
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    first.write_text("".join(text.splitlines(keepends=True)[:half]), encoding="utf-8")
    second.write_text("".join(text.splitlines(keepends=True)[half:]), encoding="utf-8")
    return {
        "str": text,
        "bytes": text.encode(),
        "path": SEED,
        "binary file": SEED.open("rb"),
        "text file": SEED.open(encoding="utf-8"),
        "StringIO": io.StringIO(text),
        "BytesIO": io.BytesIO(text.encode()),
        "gzip bytes": gzip.compress(text.encode()),
        "gzip path": zipped,
        "gzip binary file": zipped.open("rb"),
        "object with read() only": _ReadOnlyBody(text.encode()),
        "list of pieces": [first, second],
        "list with one stream": [first, io.StringIO(second.read_text(encoding="utf-8"))],
    }


KINDS = ["str", "bytes", "path", "binary file", "text file", "StringIO", "BytesIO", "gzip bytes", "gzip path",
         "gzip binary file", "object with read() only", "list of pieces", "list with one stream"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_source_gives_the_same_report(kind, kb, tmp_path):
    expected = logdoctor.diagnose(SEED, symptom=SYMPTOM, kb=kb).to_dict()
    got = logdoctor.diagnose(_sources(tmp_path)[kind], symptom=SYMPTOM, kb=kb).to_dict()
    for document in (expected, got):
        document.pop("input")
    assert got == expected
    assert got["summary"]["verdict"] == "problem"


def test_a_plain_string_is_text_never_a_path(kb):
    report = logdoctor.diagnose(str(SEED), kb=kb)  # the path's characters, read as a log
    assert str(report.verdict) == "not-a-serving-log"


def test_reports_pickle_and_keep_their_answer(kb):
    report = logdoctor.diagnose(SEED, symptom=SYMPTOM, kb=kb)
    again = pickle.loads(pickle.dumps(report))
    assert again.to_dict() == report.to_dict()
    assert again.to_markdown() == report.to_markdown() == report._repr_markdown_()


def test_facts_without_ranking():
    sheet = logdoctor.facts(SEED)
    assert sheet.facts["tensor_parallel_size"] == 4 and sheet.evidence["tensor_parallel_size"]


def test_an_unreadable_source_is_a_clear_type_error(kb):
    with pytest.raises(TypeError, match="cannot read a log from int"):
        logdoctor.diagnose(42, kb=kb)  # type: ignore[arg-type]


def test_the_top_level_names_are_the_facades():
    assert logdoctor.Verdict is api.Verdict and logdoctor.diagnose is api.diagnose
    assert set(logdoctor.__all__) <= set(dir(api)) | {"__version__"}
    with pytest.raises(AttributeError, match="no attribute 'run'"):
        logdoctor.run  # noqa: B018  (the old internal route is not public)
