"""read/scan.py: the literals a scanner finds in a message are those RE2's `finditer` finds, with
Hyperscan (every occurrence reported, the same ones picked) as with the RE2 fallback."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.parse import _message_anchors, envelope
from logdoctor.read.scan import ENGINE_VARIABLE, LiteralScanner, _hyperscan_installed, literal_pattern

from .conftest import SAMPLES, corpus_cases

ANCHORS = list(_message_anchors()[0])
# Literals that overlap, nest and share prefixes, as template anchors do ("Error" in "ValueError").
OVERLAPPING = ["Error", "ValueError", "rror: x", "x", "Loading", "Loading model", "model weights", "全是", "是!"]

pytestmark = pytest.mark.skipif(not _hyperscan_installed(), reason="Hyperscan is not installed")


def _scanners(literals: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[LiteralScanner, LiteralScanner]:
    with monkeypatch.context() as patch:
        patch.setenv(ENGINE_VARIABLE, "hyperscan")
        fast = LiteralScanner(literals)
        patch.setenv(ENGINE_VARIABLE, "re2")
        fallback = LiteralScanner(literals)
    assert fast._lines_by_hyperscan and not fallback._lines_by_hyperscan
    return fast, fallback


def _finditer(literals: list[str], text: str) -> list[tuple[int, str]]:
    return [(match.start(), match.group()) for match in literal_pattern(literals).finditer(text)]


def test_every_message_of_the_samples_and_corpus_gives_the_anchors_finditer_gives(monkeypatch):
    fast, fallback = _scanners(ANCHORS, monkeypatch)
    logs = sorted(SAMPLES.glob("*.log")) + [case / "log.txt" for case in corpus_cases()]
    found = 0
    for log in logs:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            message = envelope.split(line).message
            expected = _finditer(ANCHORS, message)
            assert fast.occurrences(message) == expected == fallback.occurrences(message), message
            found += len(expected)
    assert found > 500


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(OVERLAPPING), st.text(alphabet="xE rLod!是全é😀\t", max_size=6)),
                max_size=12))
def test_overlapping_literals_and_any_text_give_what_finditer_gives(pieces):
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, fallback = _scanners(OVERLAPPING, monkeypatch)
    text = "".join(pieces)
    expected = _finditer(OVERLAPPING, text)
    assert fast.occurrences(text) == expected == fallback.occurrences(text)
