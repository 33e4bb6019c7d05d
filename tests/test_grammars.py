"""parse/grammars.py: a parser read back from the cache, in either stored form, parses as one built
from the grammar; a stored form that does not load, or would not load as the same parser, is never used."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from logdoctor import cache
from logdoctor.parse import envelope, grammars, messages

from .conftest import SAMPLES, corpus_cases

LOGS = sorted(SAMPLES.glob("*.log")) + [case / "log.txt" for case in corpus_cases()]


def _messages_parser():
    return grammars.lalr_parser("messages", messages._start_rules(), messages.MessageFacts())


def _outcome(parser, text: str, start: str | None = None) -> object:
    try:
        return parser.parse(text, start=start) if start else parser.parse(text)
    except Exception as error:  # the same failure is the same outcome
        return type(error).__name__


def _message_outcomes(parser) -> list:
    """Every template anchored in every message of the samples and the corpus, parsed."""
    outcomes = []
    for log in LOGS:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            message = envelope.split(line).message
            for anchor in messages.anchors():
                position = message.find(anchor.literal)
                if position >= 0:
                    text = message[position:] if anchor.at_anchor else message
                    outcomes.append((anchor.rule, _outcome(parser, text, anchor.rule)))
    return outcomes


def _graph_file(folder: Path, name: str) -> Path:
    (found,) = folder.glob(f"lark-graph-{name}-*.pickle")
    return found


def test_the_stored_graph_parses_every_message_as_the_parser_built_from_the_grammar(cache_dir):
    built = _messages_parser()  # a miss: built from the grammar, then both forms stored
    assert _graph_file(cache_dir, "messages").exists()
    from_graph = _messages_parser()
    assert from_graph is not built
    expected = _message_outcomes(built)
    assert len(expected) > 500 and sum(isinstance(facts, dict) for _rule, facts in expected) > 300
    assert _message_outcomes(from_graph) == expected
    _graph_file(cache_dir, "messages").unlink()
    assert _message_outcomes(_messages_parser()) == expected  # from the saved form (and the graph stored again)
    assert _graph_file(cache_dir, "messages").exists()


def test_the_envelope_parser_from_the_graph_splits_lines_as_the_built_one(cache_dir):
    lines = [line for log in LOGS for line in log.read_text(encoding="utf-8", errors="replace").splitlines()[:200]]
    built = grammars.lalr_parser("envelope", transformer=envelope._EnvelopeBuilder())
    from_graph = grammars.lalr_parser("envelope", transformer=envelope._EnvelopeBuilder())
    assert [_outcome(from_graph, line) for line in lines] == [_outcome(built, line) for line in lines]


def _sealed_payload(path: Path, payload: bytes) -> None:
    path.write_bytes(cache._sealed(pickle.dumps(payload)))


@pytest.mark.parametrize("damage", ["not a pickle", "another Lark's names", "not a parser"])
def test_a_graph_that_does_not_load_falls_back_to_the_saved_form(cache_dir, damage):
    expected = _message_outcomes(_messages_parser())
    path = _graph_file(cache_dir, "messages")
    graph = cache.load(path.name)
    assert isinstance(graph, bytes)
    if damage == "not a pickle":
        graph = b"\x80\x05 not a pickle at all"
    elif damage == "another Lark's names":  # an object this Lark does not have (same length: still a pickle)
        assert b"Reduce" in graph
        graph = graph.replace(b"Reduce", b"Reducf")
    else:
        graph = pickle.dumps({"rules": []})
    _sealed_payload(path, graph)
    assert grammars._from_graph(cache.load(path.name), messages.MessageFacts()) is None
    assert _message_outcomes(_messages_parser()) == expected


def test_a_graph_that_would_not_load_as_the_same_parser_is_not_stored(cache_dir, monkeypatch):
    """Lark compares its Shift and Reduce actions by identity: copied into the graph instead of
    referred to by name, every reduction would read as a shift. The check before storing sees it."""
    _messages_parser()
    saved = cache.load(next(cache_dir.glob("lark-messages-*.pickle")).name)
    assert grammars._checked_graph(saved, messages.MessageFacts()) is not None
    monkeypatch.setattr(grammars, "_lark_module_objects", dict)
    assert grammars._checked_graph(saved, messages.MessageFacts()) is None
