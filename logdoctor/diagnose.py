"""The main job: one pass over the log, then rank the knowledge base against what it showed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import takewhile
from typing import BinaryIO

from logdoctor import knowledge
from logdoctor.knowledge import compiled as kbcache
from logdoctor.match.rank import CONFIDENT, Diagnosis, SignatureIndex, SignatureMatcher, rank
from logdoctor.match.verdict import Verdict, decide
from logdoctor.pipeline import Analysis, analyze
from logdoctor.report import remedies


@dataclass
class Report:
    """Everything the report writers need."""

    analysis: Analysis
    diagnoses: Sequence[Diagnosis]  # best first
    symptom: str | None
    values: dict[str, object]
    warnings: list[str] = field(default_factory=list)

    @property
    def confident(self) -> list[Diagnosis]:
        return list(takewhile(lambda d: d.confidence >= CONFIDENT, self.diagnoses))  # best first

    @property
    def verdict(self) -> Verdict:
        """The report's one-word answer (problem, failed-unknown, incomplete, risk, healthy, not-a-serving-log)."""
        return decide(self.diagnoses, self.analysis.sheet.facts, self.analysis.outcome)

    def remedy_text(self, text: str) -> str:
        return remedies.render(text, self.analysis.sheet.facts, self.values)


def run(inputs: Sequence[str], stdin: BinaryIO | None = None, kb: knowledge.KnowledgeBase | None = None,
        symptom: str | None = None, index: SignatureIndex | None = None,
        on_progress: Callable[[int], None] | None = None) -> Report:
    """Diagnose a log; raises source.InputError when an input cannot be opened.

    `index` lets a caller that diagnoses many logs with one knowledge base (kb check) build the
    signature index once; `on_progress` hears the number of bytes read now and then.
    """
    if kb is None:
        kb, cached_index = kbcache.load()
        index = index if index is not None else cached_index
    matcher = SignatureMatcher(index if index is not None else SignatureIndex(kb.entries))
    analysis = analyze(inputs, stdin=stdin, extra_anchors=matcher.anchors, observer=matcher.observe,
                       on_progress=on_progress)
    facts = analysis.sheet.facts
    diagnoses = rank(matcher, facts, symptom, ready_line=analysis.outcome.ready_line)
    return Report(analysis, diagnoses, symptom, remedies.computed_values(facts), list(kb.warnings))
