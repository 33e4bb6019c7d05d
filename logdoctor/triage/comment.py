"""The comment a maintainer would want a bot to post — or the reason to post nothing.

A bot that answers every issue with a guess trains people to ignore it, so it speaks only when
a known issue matches with confidence: a log that is not there, or a verdict short of `problem`,
gives no comment and a one-line reason. The comment is the Markdown report (redacted) behind a
hidden marker, so that a later run finds and updates it instead of adding another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from logdoctor.api import Report
from logdoctor.match.rank import CONFIDENT

MARKER = "<!-- logdoctor:issue-triage -->"
TOP = 3
_SYMPTOM_SHOWN = 160  # the report repeats the complaint; the issue already holds all of it


@dataclass(frozen=True)
class Answer:
    """What to do about one issue: post `comment` (and label `category`), or nothing, and why."""

    post: bool
    reason: str
    comment: str | None = None
    category: str | None = None
    confidence: float | None = None


def answer(report: Report, min_confidence: float = CONFIDENT) -> Answer:
    """Decide whether the issue gets a comment, and write it."""
    verdict = report.verdict
    if verdict.kind == "not-a-serving-log":
        return Answer(False, "no vLLM or Xinference log in the issue")
    best = report.diagnoses[0] if report.diagnoses else None
    if verdict.kind != "problem" or best is None or best.confidence < min_confidence:
        guess = f" (best guess: {best.entry.id} at {best.confidence:.2f})" if best is not None else ""
        return Answer(False, f"no confident answer: the verdict is {verdict.kind}{guess}")
    shown = report.symptom[:_SYMPTOM_SHOWN] + "…" if report.symptom and len(report.symptom) > _SYMPTOM_SHOWN \
        else report.symptom
    body = replace(report, symptom=shown).to_markdown(top=TOP)
    comment = "\n".join([
        MARKER,
        f"logdoctor read the log in this issue and recognised a known issue "
        f"(`{best.entry.category}`, confidence {best.confidence:.2f}).",
        "",
        body,
        "",
        "<sub>Written by a bot from the log and the words of this issue; it is updated when the issue is "
        "edited. If it is wrong, say so here.</sub>",
    ])
    return Answer(True, f"a known issue matches: {best.entry.id} ({best.confidence:.2f})", comment,
                  best.entry.category, best.confidence)
