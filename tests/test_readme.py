"""The README's "Python API" section is a doctest: the documented calls run and print what it says."""

from __future__ import annotations

import doctest
import re

import pytest

from .conftest import ROOT


def _api_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API"):]
    section = section[:section.index("\n## ", 1)]
    return "\n".join(re.findall(r"^```pycon\n(.*?)^```", section, re.MULTILINE | re.DOTALL))


def test_the_readme_python_api_section_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # its paths are the project's, as a reader of a clone would run it
    examples = doctest.DocTestParser().get_doctest(_api_section(), {}, "README.md#python-api", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(examples)
    assert len(examples.examples) >= 10 and runner.failures == 0
