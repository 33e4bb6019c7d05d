"""The first line of every human report: the verdict, and for a problem the first thing to run.

A person in a hurry reads one line. It says what logdoctor concluded (the verdict of
`match.verdict`), at what confidence, and — when a known issue matches — the first remedy spelled
for the engine the log shows, so the answer is on the screen before any explanation. On a narrow
terminal the title gives way (cut with `…`) before the command does.
"""

from __future__ import annotations

from collections.abc import Callable

from logdoctor.api import Report
from logdoctor.report import remedies, terminal

MIN_TITLE = 40  # columns of the title kept when the command is too long for the first line anyway
SHORTEST_TITLE = 16  # the least of the title kept so that a whole command fits on the first line


def first_command(report: Report) -> str | None:
    """The top diagnosis's first remedy, as the engine in the log spells it (vLLM flag, Xinference option);
    the other engine's spelling, or the remedy's words, when the entry has no spelling for it."""
    if not report.confident:
        return None
    remedy = report.confident[0].entry.remedies[0]
    engine = remedies.engine_of(report.analysis.sheet.facts) or "vllm"
    spelled = (remedy.xinference if engine == "xinference" else remedy.vllm) or remedy.vllm or remedy.xinference
    return report.remedy_text(spelled or remedy.text)


def _problem_parts(report: Report) -> tuple[str, str, str]:
    """(title, ` (0.93)` and family note, ` → command`) of a problem's headline."""
    top = report.confident[0]
    family = " (family match)" if top.family else ""
    command = first_command(report)
    return top.entry.title, f" ({top.confidence:.2f}){family}", f" → {command}" if command else ""


def headline(report: Report) -> str:
    """`problem: <title> (0.93) → <first command>`, or `<verdict>: <reason>`."""
    verdict = report.verdict
    if verdict.kind == "problem":
        return "problem: " + "".join(_problem_parts(report))
    return f"{verdict.kind}: {verdict.reason}"


def fitted(report: Report, width: int, clean: Callable[[str], str] = str) -> list[str]:
    """The headline in `width` columns: a problem's title is cut first so that the verdict and the
    command share the first line; what still does not fit wraps under it, indented. `clean` removes
    secrets (under --redact) before anything is cut."""
    if report.verdict.kind != "problem":  # the reason holds the error of a failure: all of it is shown
        return terminal.wrap(clean(headline(report)), width, rest="  ")
    title, confidence, command = (clean(part) for part in _problem_parts(report))
    room = width - terminal.columns("problem: " + confidence + command)
    if room < SHORTEST_TITLE:  # the command wraps anyway: the title keeps enough to say what is wrong
        first_word = " ".join(command.split()[:2])  # `→ --flag`
        room = max(6, min(MIN_TITLE, width - terminal.columns("problem: " + confidence + first_word) - 1))
    return terminal.wrap("problem: " + terminal.cut_end(title, room) + confidence + command, width, rest="  ")
