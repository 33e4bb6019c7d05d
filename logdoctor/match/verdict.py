"""One verdict per report, decided from what the log shows — never more confident than its evidence.

The ranking answers "which known issue fits best"; the verdict answers the question the user
asked: is something wrong, and do we know what? It combines the ranking with how the run ended
(`parse.outcome`), so that a crash with an error no entry knows is not called healthy, a log cut
inside a traceback says what is missing, and words alone never make a diagnosis.

    problem            a known issue matches with confidence                      exit 1
    failed-unknown     the server failed, but no entry matches with confidence    exit 1
    incomplete         the log is cut inside a traceback (exit 1), or it ends
                       before the server became ready or failed (exit 0)
    risk               the server started (or is starting); facts or the symptom
                       point at a known quiet failure below the confident line     exit 0
    healthy            the server became ready and nothing matches                exit 0
    not-a-serving-log  no line of vLLM or Xinference at all                       exit 2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from logdoctor.match.rank import CONFIDENT, Diagnosis
from logdoctor.parse.outcome import Outcome

RISK = 0.35  # below the confident line: facts (or words) and a line or two that fit a known quiet failure
# Failures that leave the server running and show only in its answers ("!!!!", garbage): the only kind a
# server that started can be at risk of. A start-up failure's entry cannot fit a start that succeeded.
QUIET_CATEGORIES = frozenset({"fp16-numeric-overflow", "quant-kernel-bad-output"})
KINDS = ("problem", "failed-unknown", "incomplete", "risk", "healthy", "not-a-serving-log")
EXIT_CODES = {"problem": 1, "failed-unknown": 1, "risk": 0, "healthy": 0, "not-a-serving-log": 2}


@dataclass(frozen=True)
class Verdict:
    """The report's answer in one word, why, and what the user can do or paste next."""

    kind: str  # one of KINDS
    reason: str  # one sentence a person reads
    exit_code: int
    next_step: str | None = None  # what would make the answer better (paste the end, add an entry...)
    cause: Diagnosis | None = None  # the ranked cause a problem or a risk rests on; None for the other kinds

    def __str__(self) -> str:
        return self.kind

    def as_dict(self) -> dict:
        return {"verdict": self.kind, "reason": self.reason, "next_step": self.next_step}


def decide(diagnoses: Sequence[Diagnosis], facts: Mapping[str, object], outcome: Outcome,
           symptom: str | None = None) -> Verdict:
    """The verdict of one diagnosis: see the table in this module's docstring."""
    confident = [d for d in diagnoses if d.confidence >= CONFIDENT]
    if outcome.serving_lines == 0 and not any(d.hits for d in diagnoses):
        return Verdict("not-a-serving-log", "no line of a vLLM or Xinference server is in the input",
                       EXIT_CODES["not-a-serving-log"],
                       "give the server's own log: docker logs <container> 2>&1 | logdoctor")
    if confident:
        top = confident[0]
        shape = "matches the general shape of" if top.family else "matches"
        return Verdict("problem", f"the log {shape} a known issue: {top.entry.title}", EXIT_CODES["problem"],
                       cause=top)
    error = _error_text(facts)
    if outcome.cut:
        return Verdict("incomplete", f"the log stops inside a traceback (from line {outcome.open_traceback}) before "
                       "its final exception" + (f"; the last error seen: {error}" if error else ""), 1,
                       "paste the end of the log: the last lines of a traceback name the error")
    if outcome.failed or (outcome.ready_line is None and error):
        what = f": {error}" if error else ""
        return Verdict("failed-unknown", f"the server failed{what}, and no known issue matches it with confidence",
                       EXIT_CODES["failed-unknown"],
                       "if you find the cause, add it: logdoctor kb new <id> --from <this log> --category <category>")
    risky = [d for d in diagnoses if d.confidence >= RISK and d.entry.category in QUIET_CATEGORIES
             and (d.condition or d.symptom_similarity)]
    if risky:
        started = "started" if outcome.ready_line is not None else "is starting"
        ask = None if symptom else 'if the output looks wrong, say what you see: --symptom "only outputs !!!!"'
        return Verdict("risk", f"the server {started}, but its setup fits a known quiet failure: "
                       f"{risky[0].entry.title}", EXIT_CODES["risk"], ask, cause=risky[0])
    if outcome.ready_line is not None:
        serving = f" ({outcome.errors_while_serving} request error(s) while serving)" \
            if outcome.errors_while_serving else ""
        return Verdict("healthy", f"the server became ready and no known problem matches{serving}",
                       EXIT_CODES["healthy"])
    return Verdict("incomplete", "the log ends before the server became ready or failed", 0,
                   "paste more of the log, up to 'Application startup complete' or the error")


_ERROR_SHOWN = 160  # characters of the error in a verdict's reason; the fact sheet has all of it


def _error_text(facts: Mapping[str, object]) -> str | None:
    """The final error for a one-line reason: its first sentence when that says enough, else its start."""
    error_type, message = facts.get("error_type"), facts.get("error_message")
    text = f"{error_type}: {message}" if error_type and message else str(error_type or message or "")
    if len(text) <= _ERROR_SHOWN:
        return text or None
    sentence = text.split(". ", 1)[0]
    return sentence + "." if 40 <= len(sentence) <= _ERROR_SHOWN else text[:_ERROR_SHOWN - 1] + "…"
