"""The first line of every human report: the verdict, and for a problem the first thing to run.

A person in a hurry reads one line. It says what logdoctor concluded (the verdict of
`match.verdict`), at what confidence, and — when a known issue matches — the first remedy spelled
for the engine the log shows, so the answer is on the screen before any explanation.
"""

from __future__ import annotations

from logdoctor.api import Report


def first_command(report: Report) -> str | None:
    """The top diagnosis's first remedy, as the engine in the log spells it (vLLM flag, Xinference option)."""
    if not report.confident:
        return None
    remedy = report.confident[0].entry.remedies[0]
    xinference = bool(report.analysis.sheet.facts.get("xinference_era")
                      or report.analysis.sheet.facts.get("xinference_version"))
    spelled = (remedy.xinference if xinference else remedy.vllm) or remedy.vllm or remedy.xinference
    return report.remedy_text(spelled or remedy.text)


def headline(report: Report) -> str:
    """`problem: <title> (0.93) → <first command>`, or `<verdict>: <reason>`."""
    verdict = report.verdict
    if verdict.kind == "problem":
        top = report.confident[0]
        family = " (family match)" if top.family else ""
        command = first_command(report)
        return f"problem: {top.entry.title} ({top.confidence:.2f}){family}" + (f" → {command}" if command else "")
    return f"{verdict.kind}: {verdict.reason}"
