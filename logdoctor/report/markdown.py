"""A report to paste into a GitHub issue: facts table, ranked causes, decisive lines, all facts folded."""

from __future__ import annotations

from logdoctor.api import Report
from logdoctor.report import factsheet
from logdoctor.report.headline import headline

_TABLE_FACTS = ("vllm_version", "engine", "xinference_era", "model", "dtype", "quantization", "tensor_parallel_size",
                "pipeline_parallel_size", "gpus", "compute_capability", "max_model_len", "gpu_memory_utilization",
                "weights_gib", "kv_cache_gib", "kv_cache_tokens", "attention_backend", "error_type", "error_message")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in line.split("`") if not run), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def render(report: Report, top: int) -> str:
    sheet = report.analysis.sheet
    verdict = report.verdict
    out = ["### logdoctor report", "", f"**{_cell(headline(report))}**", ""]
    if verdict.next_step:
        out += [f"Next: {_cell(verdict.next_step)}", ""]
    if report.symptom:
        out += [f"**Symptom:** {_cell(report.symptom)}", ""]
    out += ["| fact | value |", "| --- | --- |"]
    for name in _TABLE_FACTS:
        if name in sheet.facts:
            out.append(f"| {name} | {_cell(factsheet.format_value(name, sheet.facts[name]))} |")
    out.append("")
    if report.diagnoses[:top]:
        out += ["**Ranked causes:**" if report.confident else "**Possible causes (low confidence):**", ""]
    decisive: list[str] = []
    for rank, diagnosis in enumerate(report.diagnoses[:top], 1):
        entry = diagnosis.entry
        out.append(f"{rank}. **{_cell(entry.title)}** — confidence {diagnosis.confidence:.2f} "
                   f"(`{entry.category}`, `{entry.id}`)")
        out.append(f"   - cause: {_cell(entry.cause)}")
        for remedy in entry.remedies[:3]:
            spelling = f" (`{report.remedy_text(remedy.vllm)}`)" if remedy.vllm else ""
            out.append(f"   - fix: {_cell(report.remedy_text(remedy.text))}{spelling}")
        if entry.references:
            out.append(f"   - see: {entry.references[0]}")
        decisive += [f"{hit.line}: {hit.text}" for hit in diagnosis.hits if hit.signature.decisive]
    if decisive:
        out += ["", "Decisive lines:", "", *_fence(list(dict.fromkeys(decisive))[:10])]
    out += ["", "<details><summary>All facts</summary>", "", "| fact | value | lines |", "| --- | --- | --- |"]
    for name, value in sheet.facts.items():
        lines = ", ".join(map(str, sheet.evidence.get(name, [])[:6]))
        out.append(f"| {name} | {_cell(factsheet.format_value(name, value))} | {lines} |")
    out += ["", "</details>", "", f"<sub>logdoctor — {_cell(report.analysis.stats.describe())}</sub>"]
    return "\n".join(out)
