"""The terminal report, top down: the answer first, then why, then the detail on request.

1. one headline line: the verdict, and for a problem the first command to run;
2. each confident cause: the lines and facts that show it, its cause folded to the first sentence
   (`-v` or `logdoctor kb show ID` for the rest), its remedies spelled for the engine in the log;
3. the low-confidence causes, one line each (those under FAINT only counted, shown with -v);
4. the memory picture when memory is what went wrong;
5. the fact sheet only with `--facts` or `-v` (or `logdoctor facts`).

Every line fits the width it is given (see `terminal`); colour only when `colour` is true.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import click

from logdoctor.api import Report
from logdoctor.match.rank import CONFIDENT, Diagnosis
from logdoctor.report import factsheet, remedies, terminal
from logdoctor.report import redact as redaction
from logdoctor.report.headline import fitted

BAR_WIDTH = 40
HITS_SHOWN = 3  # evidence lines per cause unless -v
HITS_VERBOSE = 10
EVIDENCE_LINES = 2  # lines of one quoted log line unless -v
FAINT = 0.10  # a low-confidence cause below this is left to -v and JSON in the short report
MIN_LOW_TITLE = 40  # columns a low-confidence title keeps before its id is left out
REMEDY_LINES = 2  # lines of a remedy's words unless -v (its spelling is always whole)
_BAR_SYMBOLS = {"weights": "W", "activations": "A", "non-torch": "X", "KV cache": "K", "CUDA graphs": "G"}
_VERDICT_COLOURS = {"problem": "red", "failed-unknown": "red", "incomplete": "yellow", "risk": "yellow",
                    "healthy": "green"}
# Facts of the memory picture: a cause that names one of these is about memory.
_MEMORY_FACTS = frozenset(name for section, names in factsheet.SECTIONS
                          if section in ("memory per GPU", "KV cache") for name in names)
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!e\.g\.)(?<!i\.e\.)(?<!etc\.)(?<!vs\.)\s+(?=[A-Z0-9\"'(])")
_LABEL = 6  # "why   ", "cause ", "do    ", "see   "


@dataclass(frozen=True)
class Layout:
    """How to draw: columns available, colour or not, everything (-v) or the short report."""

    width: int = terminal.FALLBACK_WIDTH
    colour: bool = False
    verbose: bool = False
    facts: bool = False
    redact: bool = False  # remove secrets (--redact), before any text is cut or wrapped

    def style(self, text: str, **how: object) -> str:
        return click.style(text, **how) if self.colour else text  # type: ignore[arg-type]

    def clean(self, text: str) -> str:
        """`text` as it may be shown: without secrets under --redact. Applied to whole values before
        they are cut or wrapped, since a secret cut in two no longer looks like one."""
        return redaction.redact(text) if self.redact else text


def first_sentence(text: str) -> str:
    """The cause's first sentence (a period inside `0.9` or `e.g.` does not end one)."""
    flat = " ".join(text.split())
    return _SENTENCE_END.split(flat, maxsplit=1)[0]


def _labelled(label: str, lines: list[list[str]], indent: str) -> list[str]:
    """Blocks of already wrapped lines under a label column: `why   …` then aligned continuations."""
    out: list[str] = []
    for block in lines:
        for line in block:
            out.append(f"{indent}{(label if not out else ''):<{_LABEL}}{line}")
    return out


def _why(diagnosis: Diagnosis, room: int, layout: Layout) -> list[list[str]]:
    blocks: list[list[str]] = []
    shown = {n: v for n, v in diagnosis.condition_facts.items() if v is not None}
    if shown:
        state = {True: "hold", False: "do not hold", None: "partly known"}[diagnosis.condition]
        facts = ", ".join(f"{n}={terminal.cut_middle(layout.clean(factsheet.format_value(n, v)), 40)}"
                          for n, v in shown.items())
        blocks.append(terminal.wrap(f"facts {state}: {facts}", room, rest="  "))
    if diagnosis.symptom_similarity:
        blocks.append(terminal.wrap(layout.clean(f'symptom matches "{diagnosis.symptom}" '
                                                 f'({diagnosis.symptom_similarity:.2f})'), room, rest="  "))
    for hit in diagnosis.hits[:HITS_VERBOSE if layout.verbose else HITS_SHOWN]:
        times = f" (×{hit.count:,}, last on line {hit.lines.newest})" if hit.count > 1 else ""
        evidence = terminal.wrap(f"line {hit.line}{times}: {layout.clean(hit.text)}", room, rest="  ")
        blocks.append(evidence if layout.verbose else terminal.clip(evidence, EVIDENCE_LINES, room))
    return blocks


def _remedies(diagnosis: Diagnosis, report: Report, room: int, layout: Layout) -> list[list[str]]:
    """Each remedy's words (one line unless -v), then `→ ` its spelling for the log's engine, or
    `→ vLLM: …` and `→ Xinference: …` when the log does not say which engine it is."""
    engine = remedies.engine_of(report.analysis.sheet.facts)
    blocks = []
    for number, remedy in enumerate(diagnosis.entry.remedies, 1):
        words = layout.clean(report.remedy_text(remedy.text))
        block = terminal.wrap(words, room, first=f"{number}. ")
        block = block if layout.verbose else terminal.clip(block, REMEDY_LINES, room)
        for label, spelled in remedies.spellings(remedy, engine):
            spelling = layout.clean(report.remedy_text(spelled))
            spelling = spelling if engine else f"{label}: {spelling}"
            block += [layout.style(line, fg="cyan") for line in terminal.wrap(spelling, room, first="   → ",
                                                                              rest="       ")]
        blocks.append(block)
    return blocks


def _confident(rank: int, diagnosis: Diagnosis, report: Report, layout: Layout) -> list[str]:
    entry = diagnosis.entry
    room = layout.width - 3 - _LABEL
    confidence = f"({diagnosis.confidence:.2f})"
    family = " (family match)" if diagnosis.family else ""
    out = terminal.wrap(f"{entry.title} {confidence}{family}", layout.width, first=f"{rank}. ")
    if layout.colour:  # styled after wrapping: escape codes take no columns
        colour = "red" if diagnosis.confidence >= 0.75 else "yellow" if diagnosis.confidence >= CONFIDENT else None
        at = max(index for index, line in enumerate(out) if confidence in line)
        head, _, tail = out[at].rpartition(confidence)
        out = [layout.style(line, bold=True) for line in out[:at]] + \
            [layout.style(head, bold=True) + layout.style(confidence, fg=colour, bold=True) + tail, *out[at + 1:]]
    if layout.verbose:
        out += terminal.wrap(f"{entry.category} · {entry.id}", layout.width, first="   ")
    out += _labelled("why", _why(diagnosis, room, layout), "   ")
    cause = " ".join(entry.cause.split()) if layout.verbose else first_sentence(entry.cause)
    if cause != " ".join(entry.cause.split()):
        cause += f" (more: logdoctor kb show {entry.id})"
    out += _labelled("cause", [terminal.wrap(cause, room)], "   ")
    out += _labelled("do", _remedies(diagnosis, report, room, layout), "   ")
    references = entry.references[:None if layout.verbose else 1]
    out += _labelled("see", [[terminal.cut_middle(reference, room)] for reference in references], "   ")
    return out


def _low(diagnoses: Sequence[Diagnosis], layout: Layout) -> list[str]:
    """Low-confidence causes, one line each: confidence and title, and the entry's id when every
    title keeps at least MIN_LOW_TITLE columns beside it (the same shape for all, or none)."""
    ids = all(layout.width - 8 - len(f"  ({d.entry.id})") >= MIN_LOW_TITLE for d in diagnoses)
    lines = []
    for diagnosis in diagnoses:
        suffix = f"  ({diagnosis.entry.id})" if ids else ""
        title = terminal.cut_end(diagnosis.entry.title, layout.width - 8 - terminal.columns(suffix))
        lines.append(layout.style(f"  {diagnosis.confidence:.2f}  {title}{suffix}", fg="bright_black"))
    return lines


def memory_matters(report: Report) -> bool:
    """Whether the memory picture helps: a confident cause names a memory fact, the error is an
    out-of-memory error, or nothing was left for the KV cache."""
    facts = report.analysis.sheet.facts
    if any(name in _MEMORY_FACTS for d in report.confident for name in d.condition_facts):
        return True
    error = f"{facts.get('error_type', '')} {facts.get('error_message', '')}".lower()
    kv_cache = facts.get("kv_cache_gib")
    return "out of memory" in error or "outofmemory" in error or (isinstance(kv_cache, (int, float)) and kv_cache <= 0)


def memory_budget(report: Report, layout: Layout = Layout()) -> list[str]:
    """Per-GPU memory: weights / activations / KV cache / free, as numbers and a bar."""
    facts = report.analysis.sheet.facts
    total = facts.get("gpu_total_gib")
    parts = [("weights", facts.get("weights_gib")), ("activations", facts.get("activation_peak_gib")),
             ("non-torch", facts.get("non_torch_gib")), ("KV cache", facts.get("kv_cache_gib")),
             ("CUDA graphs", facts.get("cuda_graph_gib"))]
    known = [(name, float(value)) for name, value in parts if isinstance(value, (int, float))]
    if not known or (len(known) == 1 and not isinstance(total, (int, float))):  # one number is no picture
        return []
    row = " · ".join(f"{name} {value:.2f} GiB" for name, value in known)
    out: list[str] = []
    if isinstance(total, (int, float)) and total > 0:
        used = sum(max(0.0, value) for _name, value in known)
        row += f" · free {max(0.0, total - used):.2f} of {total:.2f} GiB"
        bar = "".join(_BAR_SYMBOLS[name] * round(max(0.0, value) / total * BAR_WIDTH) for name, value in known)
        legend = "  ".join(f"{symbol} {name}" for name, symbol in _BAR_SYMBOLS.items()) + "  . free"
        out += terminal.wrap(f"[{bar[:BAR_WIDTH]:.<{BAR_WIDTH}}] {legend}", layout.width, first="  ",
                             rest=" " * (BAR_WIDTH + 5))
    out = terminal.wrap(row, layout.width, first="Memory per GPU: ", rest="  ") + out
    if isinstance(facts.get("kv_cache_gib"), (int, float)) and facts["kv_cache_gib"] <= 0:
        out.append(layout.style("  nothing is left for the KV cache", fg="red"))
    return out


def render(report: Report, top: int, layout: Layout = Layout()) -> str:
    """The whole text report (see the module docstring for its order)."""
    verdict = report.verdict
    colour = _VERDICT_COLOURS.get(verdict.kind)
    out = [layout.style(line, fg=colour, bold=True) for line in fitted(report, layout.width, layout.clean)]
    if verdict.next_step:
        out += terminal.wrap(layout.clean(verdict.next_step), layout.width, first="next: ", rest="  ")
    shown = report.diagnoses[:top]
    confident = [d for d in shown if d in report.confident]
    for rank, diagnosis in enumerate(confident, 1):
        out += ["", *_confident(rank, diagnosis, report, layout)]
    low = shown[len(confident):]
    faint = [] if layout.verbose else [d for d in low if d.confidence < FAINT]  # noise in a short report
    if low and layout.verbose:
        out += ["", "Less likely (low confidence):"]
        for rank, diagnosis in enumerate(low, len(confident) + 1):
            out += _confident(rank, diagnosis, report, layout)
    elif len(low) > len(faint):
        out += ["", "Less likely (low confidence):", *_low(low[:len(low) - len(faint)], layout)]
    if layout.verbose or memory_matters(report):
        budget = memory_budget(report, layout)
        out += ["", *budget] if budget else []
    if layout.verbose or layout.facts:  # the fact sheet's first line says what was read
        out += ["", layout.clean(factsheet.render(report.analysis.sheet, report.analysis.stats, title="Facts",
                                                  width=layout.width))]
    else:
        hidden = f" ({len(faint)} cause{'s' * (len(faint) > 1)} under {FAINT:.2f})" if faint else ""
        footer = f"{report.analysis.stats.describe()} · more: -v{hidden}, --facts"
        out += ["", *terminal.wrap(layout.clean(footer), layout.width, rest="  ")]
    for warning in report.warnings:
        out += [layout.style(line, fg="yellow")
                for line in terminal.wrap(layout.clean(f"warning: {warning}"), layout.width, rest="  ")]
    return "\n".join(out)
