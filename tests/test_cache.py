"""The on-disk caches (logdoctor/cache.py, logdoctor/kbcache.py) must never change an answer.

Each test points LOGDOCTOR_CACHE_DIR at its own folder, and compares reports made through the
cache with reports made without it.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rapidfuzz import fuzz

from logdoctor import api, cache
from logdoctor.cli import main
from logdoctor.knowledge import compiled as kbcache
from logdoctor.match.symptoms import SymptomIndex, _weight, bigrams, words
from logdoctor.report import jsonout

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import kbgen

SEED = Path(__file__).resolve().parent.parent / "samples" / "seed-xinference-t4-gptq-tp4.log"
SYMPTOM = "only outputs !!!! on a T4"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache" / "logdoctor"
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(folder))
    monkeypatch.delenv(cache.DISABLE_VARIABLE, raising=False)
    monkeypatch.setattr(cache, "_switched_off", False)
    return folder


@pytest.fixture
def team_kb(tmp_path) -> Path:
    folder = tmp_path / "team-kb"
    kbgen.generate(folder, 40, seed=7)
    return folder


def _report(kb_dirs: list[Path], symptom: str | None = SYMPTOM) -> str:
    kb, index = kbcache.load(kb_dirs)
    report = api.diagnose(SEED, kb=api.KnowledgeBase.of(kb, index), symptom=symptom)
    return json.dumps(jsonout.report_document(report, 50), sort_keys=True, default=str)


def _uncached(kb_dirs: list[Path], monkeypatch, symptom: str | None = SYMPTOM) -> str:
    with monkeypatch.context() as patch:
        patch.setenv(cache.DISABLE_VARIABLE, "1")
        return _report(kb_dirs, symptom)


def _kb_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("kb-*.pickle"))


def test_a_cache_hit_gives_the_same_report_as_no_cache(cache_dir, team_kb, monkeypatch):
    for symptom in (SYMPTOM, None, "回答全是感叹号"):
        expected = _uncached([team_kb], monkeypatch, symptom)
        assert _report([team_kb], symptom) == expected  # builds and stores
        assert _report([team_kb], symptom) == expected  # read from the cache
    assert len(_kb_files(cache_dir)) == 1


def test_the_cache_dir_is_created_private(cache_dir):
    _report([])
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert _kb_files(cache_dir)


def test_a_changed_kb_file_invalidates_the_cache(cache_dir, team_kb, monkeypatch):
    monkeypatch.setattr(kbcache, "_SETTLED_NS", 0)  # record the stat-signature shortcut at once
    _report([team_kb])
    entry = next(team_kb.rglob("gen-*.yaml"))
    text = entry.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    changed = title[:-4] + "Zyxw"  # same size: only the content (and the ctime) changes
    entry.write_text(text.replace(title, changed), encoding="utf-8")
    kb, _index = kbcache.load([team_kb])
    assert kb.get(entry.stem).title.endswith("Zyxw")
    assert _report([team_kb]) == _uncached([team_kb], monkeypatch)


def test_a_new_or_removed_entry_invalidates_the_cache(cache_dir, team_kb, monkeypatch):
    _report([team_kb])
    entry = next(team_kb.rglob("gen-*.yaml"))
    entry.unlink()
    kb, _index = kbcache.load([team_kb])
    assert kb.get(entry.stem) is None
    (team_kb / "late-addition.yaml").write_text("id: [not, an, entry]\n", encoding="utf-8")
    kb, _index = kbcache.load([team_kb])
    assert any("late-addition.yaml" in warning for warning in kb.warnings)
    assert _report([team_kb]) == _uncached([team_kb], monkeypatch)


def test_a_corrupt_cache_file_is_rebuilt(cache_dir, team_kb, monkeypatch):
    expected = _report([team_kb])
    for path in cache_dir.iterdir():
        path.write_bytes(b"\x80\x05not a pickle at all")
    assert _report([team_kb]) == expected
    truncated = _kb_files(cache_dir)[0]
    truncated.write_bytes(truncated.read_bytes()[:100])
    assert _report([team_kb]) == expected
    assert _report([team_kb]) == _uncached([team_kb], monkeypatch)


def test_an_unusable_cache_dir_still_diagnoses(tmp_path, team_kb, monkeypatch):
    monkeypatch.setattr(cache, "_switched_off", False)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(blocker / "logdoctor"))  # cannot be created
    expected = _uncached([team_kb], monkeypatch)
    assert cache.directory() is None
    assert _report([team_kb]) == expected


def test_a_folder_others_can_write_is_never_trusted(tmp_path, team_kb, monkeypatch):
    monkeypatch.setattr(cache, "_switched_off", False)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(shared))
    assert cache.directory() is None
    assert _report([team_kb]) == _uncached([team_kb], monkeypatch)
    assert not any(shared.iterdir())


def test_the_cache_can_be_switched_off(cache_dir, team_kb, monkeypatch):
    monkeypatch.setenv(cache.DISABLE_VARIABLE, "1")
    _report([team_kb])
    assert not cache_dir.exists()
    monkeypatch.delenv(cache.DISABLE_VARIABLE)
    result = CliRunner().invoke(main, ["diagnose", str(SEED), "--kb", str(team_kb), "--no-cache", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert not cache_dir.exists()


def test_xdg_cache_home_is_respected(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.DIRECTORY_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.location() == tmp_path / "xdg" / "logdoctor"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache.location() == Path.home() / ".cache" / "logdoctor"


def _pairwise(symptom: str, phrases: list[str]) -> tuple[float, str | None]:
    """The symptom coverage as first written: every phrase word against every word said."""
    said_words, said_bigrams = words(symptom), bigrams(symptom)
    best, best_phrase = 0.0, None
    for phrase in phrases:
        covered = total = 0.0
        for word in words(phrase):
            weight = _weight(word)
            total += weight
            if any(word == said or (len(word) > 3 and fuzz.ratio(word, said) >= 85) for said in said_words):
                covered += weight
        phrase_bigrams = bigrams(phrase)
        if phrase_bigrams:
            weight = 2.0 * len(phrase_bigrams)
            total += weight
            covered += weight * len(phrase_bigrams & said_bigrams) / len(phrase_bigrams)
        score = covered / total if total else 0.0
        if score > best:
            best, best_phrase = score, phrase
    return best, best_phrase


def test_the_symptom_index_scores_as_the_pairwise_comparison():
    entries = [
        ["only outputs !!!!", "只输出感叹号", "garbled output with tensor parallel"],
        ["CUDA out of memory while loading weights", "显存不足"],
        ["server hangs after the first request", "the model answers with repeated tokens"],
        [],
    ]
    index = SymptomIndex(entries)
    for symptom in ("outputs !!!!! only", "回答全是感叹号", "out of memroy when loading", "server hang", "nothing"):
        found = index.similarities(symptom)
        for owner, phrases in enumerate(entries):
            assert found.get(owner, (0.0, None)) == _pairwise(symptom, phrases)


def test_stored_lexer_programs_behave_as_re_compiles_them(tmp_path):
    from logdoctor.parse.lexercache import CompiledPrograms

    patterns = [r"(?P<NUMBER>-?\d+(?:\.\d+)?)|(?P<NAME>(?!(?:and|or)\b)[a-z_][a-z0-9_]*)|(?P<WS>\s+)",
                r"(?i)bfloat16 is only supported", r"[\u3400-\u9fff]+|(?P<X>!{2,})"]
    first = CompiledPrograms("lexer-test", {})
    for pattern in patterns:
        first.compile(pattern)
    again = CompiledPrograms("lexer-test", pickle.loads(pickle.dumps(first.programs)))
    for pattern in patterns:
        expected, stored = re.compile(pattern), again.compile(pattern)
        assert (stored.pattern, stored.flags) == (expected.pattern, expected.flags)
        assert stored.groupindex == expected.groupindex
        for text in ("and x1 -2.5", "BFloat16 is only supported", "全是!!!!", "or_not 7"):
            for position in range(len(text)):
                got, want = stored.match(text, position), expected.match(text, position)
                assert (got and (got.group(0), got.lastgroup)) == (want and (want.group(0), want.lastgroup))
    assert not again.added


class _Poison:
    """Unpickling this raises: shows which items of a PickledList are unpickled."""

    def __reduce__(self):
        return (_refuse, ())


def _refuse():
    raise RuntimeError("unpickled")


def test_a_pickled_list_unpickles_only_the_items_read():
    stored = pickle.loads(pickle.dumps(cache.PickledList(["a", _Poison(), ("b", 2)])))
    assert len(stored) == 3
    assert stored[0] == "a" and stored[2] == ("b", 2) and stored[-1] == ("b", 2)
    assert stored[0] is stored[0]  # unpickled once, then kept
    with pytest.raises(RuntimeError, match="unpickled"):
        stored[1]
    again = pickle.loads(pickle.dumps(stored))  # pickles the stored items, without reading them
    assert again[2] == ("b", 2)


@pytest.mark.parametrize("collecting", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_was(cache_dir, collecting):
    import gc

    cache.store("thing", {"a": [1, 2]})
    was = gc.isenabled()
    try:
        gc.enable() if collecting else gc.disable()
        assert cache.load("thing") == {"a": [1, 2]}
        assert cache.load("missing") is None
        assert gc.isenabled() is collecting
    finally:
        gc.enable() if was else gc.disable()


def test_a_changed_source_of_logdoctor_gives_other_keys_and_its_bytecode_does_not(tmp_path, monkeypatch):
    """The stat key reads no source (only their stat signatures), yet an edit of one changes it and
    the content key; a rewritten __pycache__ file or a data file changes neither."""
    package = tmp_path / "logdoctor"
    (package / "parse" / "__pycache__").mkdir(parents=True)
    (package / "kb").mkdir()
    (package / "__init__.py").write_text("version = 1\n")
    (package / "parse" / "rules.py").write_text("RULES = ['a']\n")
    monkeypatch.setattr(kbcache, "_PACKAGE", package)

    def keys() -> tuple[str, str]:
        return kbcache._StatKey([]).value, kbcache._digest([], kbcache._content, kbcache._source)

    before = keys()
    (package / "parse" / "__pycache__" / "rules.cpython-311.pyc").write_bytes(b"bytecode")
    (package / "kb" / "new.py").write_text("not code: an entry's fixture\n")
    assert keys() == before
    os.utime(package / "parse" / "rules.py", ns=(1, 1))
    touched = keys()
    assert touched[0] != before[0] and touched[1] == before[1]  # the same bytes: the same content key
    (package / "parse" / "rules.py").write_text("RULES = ['b']\n")
    edited = keys()
    assert edited[0] not in (before[0], touched[0]) and edited[1] != before[1]


def test_the_stat_key_follows_entries_and_which_fixtures_exist_not_the_fixtures_bytes(tmp_path):
    """Fixtures are never read into the compiled KB, so the stat key does not stat them (the built-in
    KB has 140): rewriting one keeps the key; adding one, or editing an entry, changes it."""
    kb = tmp_path / "kb"
    (kb / "fixtures").mkdir(parents=True)
    (kb / "entry.yaml").write_text("id: entry\n")
    (kb / "fixtures" / "entry.log").write_text("INFO a line\n")

    def key() -> str:
        return kbcache._StatKey([kb]).value

    before = key()
    (kb / "fixtures" / "entry.log").write_text("INFO another line, longer\n")
    assert key() == before
    (kb / "fixtures" / "second.log").write_text("INFO\n")
    added = key()
    assert added != before
    (kb / "entry.yaml").write_text("id: entry2\n")
    assert key() not in (before, added)
