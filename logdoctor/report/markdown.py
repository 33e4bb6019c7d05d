"""A report to paste into a GitHub issue as it is: the answer first, the evidence quoted, the rest folded.

What a reader of the issue sees, top down: the headline (verdict, and for a problem the first
command); each confident cause with the log lines that show it in a fenced block, the facts that
hold, the cause's first sentence (the whole of it folded in `<details>`), and the remedies spelled
for the log's engine (for both vLLM and Xinference when the log does not say which); the
low-confidence causes marked as such, one line each; the memory picture when memory is the
problem; every fact in a folded table; and a footer with logdoctor's version and the command that
made the report, so a maintainer can reproduce it.

Text from a log is untrusted Markdown: `<GPU>` or `snapshots/<hash>` would be swallowed as HTML,
`*` and `_` would turn into emphasis, so prose is escaped (`escape`) and log lines go in code
blocks whose fence is longer than any backtick run inside. Secrets are removed from each value
before it is escaped (an escaped `hf\\_…` token would no longer look like one) and from the whole.
"""

from __future__ import annotations

import re

from logdoctor import __version__
from logdoctor.api import Report
from logdoctor.match.rank import Diagnosis
from logdoctor.report import factsheet, remedies
from logdoctor.report.headline import first_command, headline
from logdoctor.report.redact import redact
from logdoctor.report.text import first_sentence, memory_budget, memory_matters

EVIDENCE_LINES = 8  # log lines quoted per cause
# `_` inside a word (max_model_len) is no emphasis in CommonMark, so only a word-edge `_` is escaped.
_PUNCTUATION = re.compile(r"([\\`*\[\]<>|&~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LINE_START = re.compile(r"^(\s*)([#+=>-]|\d+(?=[.)]))")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """Untrusted text as Markdown prose that renders as itself, on one line, secrets removed."""
    flat = " ".join(redact(str(text)).split())
    escaped = _PUNCTUATION.sub(r"\\\1", flat)
    return _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else
                                                     "\\" + m.group(2)), escaped, count=1)


def code(text: str) -> str:
    """Untrusted text as an inline code span (shown verbatim, whatever backticks it holds)."""
    flat = " ".join(redact(str(text)).split())
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(flat)), default=0) + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}"


def fenced(lines: list[str]) -> list[str]:
    """Lines as a fenced code block whose fence no line can close."""
    clean = [redact(line) for line in lines]
    longest = max((len(run) for line in clean for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *clean, fence]


def _cell(text: str) -> str:
    return escape(text) or " "


def _details(summary: str, body: list[str]) -> list[str]:
    """A folded section (GitHub renders `<details>`; the blank lines let Markdown work inside)."""
    return [f"<details><summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _remedies(diagnosis: Diagnosis, report: Report) -> list[str]:
    engine = remedies.engine_of(report.analysis.sheet.facts)
    out = ["What to do:", ""]
    for number, remedy in enumerate(diagnosis.entry.remedies, 1):
        out.append(f"{number}. {escape(report.remedy_text(remedy.text))}")
        out += [f"   - {label}: {code(report.remedy_text(spelled))}"
                for label, spelled in remedies.spellings(remedy, engine)]
    return [*out, ""]


def _evidence(diagnosis: Diagnosis) -> list[str]:
    lines = [f"{hit.line}{f' (×{hit.count:,}, last on line {hit.lines.newest})' if hit.count > 1 else ''}: {hit.text}"
             for hit in diagnosis.hits[:EVIDENCE_LINES]]
    return ["Evidence from the log (line: text):", "", *fenced(lines), ""] if lines else []


def _why(diagnosis: Diagnosis) -> list[str]:
    out = []
    shown = {n: v for n, v in diagnosis.condition_facts.items() if v is not None}
    if shown:
        state = {True: "hold", False: "do not hold", None: "partly known"}[diagnosis.condition]
        out.append(f"Facts that {state}: " + ", ".join(code(f"{n}={factsheet.format_value(n, v)}")
                                                     for n, v in shown.items()))
    if diagnosis.symptom_similarity:
        out.append(f"Symptom matches {code(diagnosis.symptom or '')} ({diagnosis.symptom_similarity:.2f})")
    return ["  \n".join(out), ""] if out else []


def _cause(diagnosis: Diagnosis) -> list[str]:
    whole = " ".join(diagnosis.entry.cause.split())
    first = first_sentence(whole)
    if first == whole:
        return [escape(whole), ""]
    return [escape(first), "", *_details("The whole cause", [escape(whole)])]


def _confident(rank: int, diagnosis: Diagnosis, report: Report) -> list[str]:
    entry = diagnosis.entry
    family = " · family match" if diagnosis.family else ""
    out = [f"#### {rank}. {escape(entry.title)}", "",
           f"Confidence {diagnosis.confidence:.2f}{family} · {code(entry.category)} · {code(entry.id)}", ""]
    out += _evidence(diagnosis) + _why(diagnosis) + _cause(diagnosis) + _remedies(diagnosis, report)
    if entry.references:
        out += ["See: " + ", ".join(f"<{reference}>" if re.fullmatch(r"https?://[^\s<>]+", reference)
                                    else escape(reference) for reference in entry.references), ""]
    return out


def _headline(report: Report) -> str:
    """The headline with the command in a code span (it is what the reader copies)."""
    command = first_command(report) if report.verdict.kind == "problem" else None
    if command is None:
        return f"**{escape(headline(report))}**"
    before = headline(report).removesuffix(f" → {command}")
    return f"**{escape(before)}** → {code(command)}"


def _memory(report: Report) -> list[str]:
    budget = memory_budget(report)
    return [*fenced(budget), ""] if budget and memory_matters(report) else []


def _facts_table(report: Report) -> list[str]:
    sheet = report.analysis.sheet
    rows = ["| fact | value | lines |", "| --- | --- | --- |"]
    rows += [f"| {name} | {_cell(factsheet.format_value(name, value))} | "
             f"{factsheet.line_numbers(sheet.evidence.get(name, []), sheet.evidence_count.get(name), head=6) or ' '} |"
             for name, value in sheet.facts.items()]
    return _details(f"All facts ({len(sheet.facts)})", rows) if sheet.facts else []


def render(report: Report, top: int, command: str | None = None) -> str:
    """The Markdown report; `command` is the command line that made it, for the footer."""
    verdict = report.verdict
    out = [f"### logdoctor: {verdict.kind}", "", _headline(report), ""]
    if verdict.next_step:
        out += [f"Next: {escape(verdict.next_step)}", ""]
    if report.symptom:
        out += [f"Symptom: {escape(report.symptom)}", ""]
    facts = report.analysis.sheet.facts
    if verdict.kind == "failed-unknown" and facts.get("error_message"):
        out += ["The error:", "", *fenced([f"{facts.get('error_type', 'error')}: {facts['error_message']}"]), ""]
    shown = report.diagnoses[:top]
    confident = [d for d in shown if d in report.confident]
    for rank, diagnosis in enumerate(confident, 1):
        out += _confident(rank, diagnosis, report)
    low = shown[len(confident):]
    if low:
        out += ["#### Less likely (low confidence)", ""]
        out += [f"- {d.confidence:.2f}, low confidence: {escape(d.entry.title)} ({code(d.entry.id)})" for d in low]
        out.append("")
    out += _memory(report) + _facts_table(report)
    made_by = f" · {code(command)}" if command else ""
    out += ["---", f"<sub>logdoctor {__version__}{made_by} · {escape(report.analysis.stats.describe())}</sub>"]
    return "\n".join(out)
