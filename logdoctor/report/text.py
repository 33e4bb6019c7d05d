"""The terminal report: ranked causes with why and what to do, the memory budget, the fact sheet.

Colour is added with click.style; click.echo drops it when stdout is not a terminal, and the CLI
turns it off for NO_COLOR.
"""

from __future__ import annotations

import textwrap

import click

from logdoctor.api import Report
from logdoctor.match.rank import CONFIDENT, Diagnosis
from logdoctor.report import factsheet
from logdoctor.report.headline import headline

BAR_WIDTH = 40
WRAP_WIDTH = 100
_BAR_SYMBOLS = {"weights": "W", "activations": "A", "non-torch": "X", "KV cache": "K", "CUDA graphs": "G"}


def _confidence(value: float) -> str:
    colour = "red" if value >= 0.75 else "yellow" if value >= CONFIDENT else "bright_black"
    return click.style(f"{value:.2f}", fg=colour, bold=value >= CONFIDENT)


def _diagnosis(rank: int, diagnosis: Diagnosis, report: Report) -> list[str]:
    entry = diagnosis.entry
    out = [f"{rank}. [{_confidence(diagnosis.confidence)}] {click.style(entry.title, bold=True)}"
           f"  ({entry.category}, {entry.id})"]
    why: list[str] = []
    if diagnosis.symptom_similarity:
        why.append(f'symptom matches "{diagnosis.symptom}" ({diagnosis.symptom_similarity:.2f})')
    shown = {n: v for n, v in diagnosis.condition_facts.items() if v is not None}
    if shown:
        verdict = {True: "hold", False: "do not hold", None: "partly known"}[diagnosis.condition]
        facts = ", ".join(f"{n}={factsheet.format_value(n, v)}" for n, v in shown.items())
        why.append(f"facts {verdict}: {facts}")
    for hit in diagnosis.hits[:4]:
        times = f" (×{hit.count})" if hit.count > 1 else ""
        text = hit.text if len(hit.text) <= 140 else hit.text[:137] + "…"
        why.append(f"line {hit.line}{times}: {text}")
    for index, line in enumerate(why):
        out.append(f"     {'why ' if index == 0 else '    '} {line}")
    cause = textwrap.wrap(" ".join(entry.cause.split()), WRAP_WIDTH)
    out.extend(f"     {'cause' if index == 0 else '     '} {line}" for index, line in enumerate(cause))
    for index, remedy in enumerate(entry.remedies, 1):
        prefix = "do   " if index == 1 else "     "
        line = f"     {prefix} {index}. {report.remedy_text(remedy.text)}"
        spellings = [f"vLLM: {report.remedy_text(remedy.vllm)}" if remedy.vllm else "",
                     f"Xinference: {report.remedy_text(remedy.xinference)}" if remedy.xinference else ""]
        out.append(line)
        for spelling in filter(None, spellings):
            out.append(f"              {click.style(spelling, fg='cyan')}")
    if entry.references:
        out.append(f"     see   {entry.references[0]}")
    return out


def memory_budget(report: Report) -> list[str]:
    """Per-GPU memory: weights / activations / KV cache / free, as numbers and a bar."""
    facts = report.analysis.sheet.facts
    total = facts.get("gpu_total_gib")
    parts = [("weights", facts.get("weights_gib")), ("activations", facts.get("activation_peak_gib")),
             ("non-torch", facts.get("non_torch_gib")), ("KV cache", facts.get("kv_cache_gib")),
             ("CUDA graphs", facts.get("cuda_graph_gib"))]
    known = [(name, float(value)) for name, value in parts if isinstance(value, (int, float))]
    if not known:
        return []
    out = ["Memory per GPU"]
    row = " · ".join(f"{name} {value:.2f} GiB" for name, value in known)
    if isinstance(total, (int, float)) and total > 0:
        used = sum(max(0.0, value) for _name, value in known)
        row += f" · free {max(0.0, total - used):.2f} of {total:.2f} GiB"
        bar = "".join(_BAR_SYMBOLS[name] * round(max(0.0, value) / total * BAR_WIDTH) for name, value in known)
        out.append(f"  [{bar[:BAR_WIDTH]:.<{BAR_WIDTH}}]  W weights  A activations  X non-torch  K KV cache"
                   "  G CUDA graphs  . free")
    out.insert(1, f"  {row}")
    if isinstance(facts.get("kv_cache_gib"), (int, float)) and facts["kv_cache_gib"] <= 0:
        out.append(click.style("  nothing is left for the KV cache", fg="red"))
    return out


def render(report: Report, top: int) -> str:
    """The whole text report."""
    stats = report.analysis.stats
    out = [click.style(f"logdoctor: {stats.describe()}", bold=True), ""]
    confident = report.confident
    shown = report.diagnoses[:top]
    verdict = report.verdict
    colour = {"problem": "red", "failed-unknown": "red", "incomplete": "yellow", "risk": "yellow",
              "healthy": "green"}.get(verdict.kind)
    out.insert(0, click.style(headline(report), fg=colour, bold=True))
    if verdict.next_step:
        out.append(f"next: {verdict.next_step}")
    error = report.analysis.sheet.facts.get("error_message")
    if verdict.kind == "failed-unknown" and error:
        out.append(f"  {report.analysis.sheet.facts.get('error_type', 'error')}: {error}")
    if shown:
        out.append("")
        out.append("Ranked causes" if confident else "Possible causes (low confidence)")
        for rank, diagnosis in enumerate(shown, 1):
            out.extend(_diagnosis(rank, diagnosis, report))
            out.append("")
    budget = memory_budget(report)
    if budget:
        out.extend([*budget, ""])
    out.append(factsheet.render(report.analysis.sheet, stats, title="Facts"))
    for warning in report.warnings:
        out.append(click.style(f"warning: {warning}", fg="yellow"))
    return "\n".join(out)
