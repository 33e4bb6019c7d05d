"""Shared test data: the real-log corpus beside the project and our own samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True, scope="session")
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The tests' compiled knowledge bases and grammars go to a folder of their own, never to the
    user's ~/.cache/logdoctor (CLI tests run in-process or as children, which inherit it)."""
    os.environ["LOGDOCTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("logdoctor-cache"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder of the test's own, switched on whatever the environment says."""
    from logdoctor import cache

    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(folder))
    monkeypatch.delenv(cache.DISABLE_VARIABLE, raising=False)
    monkeypatch.setattr(cache, "_switched_off", False)
    return folder


def corpus_cases() -> list[Path]:
    """Every corpus case folder (log.txt + truth.yaml); empty when ../shared is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if (p / "truth.yaml").is_file() and (p / "log.txt").is_file())


def truth_of(case: Path) -> dict:
    return yaml.safe_load((case / "truth.yaml").read_text(encoding="utf-8")) or {}


def sample_logs() -> list[Path]:
    """Our own sample logs that have a golden fact sheet beside them."""
    return sorted(p for p in SAMPLES.glob("*.log") if p.with_suffix(".facts.yaml").is_file())


@pytest.fixture
def corpus() -> list[Path]:
    cases = corpus_cases()
    if not cases:
        pytest.skip(f"the real-log corpus is not at {CORPUS} (it lives in ../shared beside the project)")
    return cases
