"""benchmarks/loggen.py: the long logs of the performance benchmark, checked at small sizes.

The benchmark's figures mean something only if the generated log is the same on every machine,
has the size asked for, and hides the start-up and the late error in serving noise that changes
nothing about the diagnosis.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re

import pytest

from logdoctor import api

from .conftest import ROOT

_SPEC = importlib.util.spec_from_file_location("loggen", ROOT / "benchmarks" / "loggen.py")
loggen = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(loggen)

_STAMP = re.compile(r"\b(\d\d-\d\d \d\d:\d\d:\d\d)\b")


def _text(size: int, style: str, seed: int = 0) -> str:
    return "\n".join(loggen.generate_lines(size, style, seed)) + "\n"


@pytest.mark.parametrize("style", loggen.STYLES)
def test_same_parameters_same_log_and_another_seed_another_log(style):
    first = hashlib.sha256(_text(300_000, style).encode()).hexdigest()
    assert hashlib.sha256(_text(300_000, style).encode()).hexdigest() == first
    assert hashlib.sha256(_text(300_000, style, seed=1).encode()).hexdigest() != first


@pytest.mark.parametrize("style", loggen.STYLES)
@pytest.mark.parametrize("size", [200_000, 1 << 20])
def test_size_within_one_percent(style, size):
    assert abs(len(_text(size, style).encode()) - size) <= size // 100


@pytest.mark.parametrize("style", loggen.STYLES)
def test_startup_first_error_near_the_end_and_time_moves_forward(style):
    lines = list(loggen.generate_lines(1 << 20, style))
    startup = loggen.startup_lines(style)
    assert lines[:len(startup)] == startup
    fatal = next(i for i, line in enumerate(lines) if "torch.OutOfMemoryError" in line)
    assert len(lines) - fatal < 40 and "Error" not in "".join(lines[len(startup):fatal - 20])
    assert all(loggen.STAMP not in line for line in lines)
    stamps = [m.group(1) for line in lines[len(startup):] if (m := _STAMP.search(line))]
    assert stamps == sorted(stamps) and len(stamps) > 1000


@pytest.mark.parametrize("style", loggen.STYLES)
def test_serving_noise_changes_nothing_in_the_diagnosis(style, tmp_path):
    """The benchmark's correctness check, small: the long log reads as its start-up plus its error."""
    reference, long = tmp_path / "reference.log", tmp_path / "long.log"
    loggen.write_log(reference, 0, style)
    loggen.write_log(long, 200_000, style)
    expected, got = api.diagnose(reference), api.diagnose(long)
    ranked = [(d.entry.id, d.confidence) for d in expected.diagnoses]
    assert [(d.entry.id, d.confidence) for d in got.diagnoses] == ranked
    assert got.analysis.sheet.facts == expected.analysis.sheet.facts
