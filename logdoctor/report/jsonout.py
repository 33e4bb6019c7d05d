"""The JSON report, the contract tools rely on: `logdoctor/schemas/report.schema.json`."""

from __future__ import annotations

from logdoctor import __version__
from logdoctor.api import Report
from logdoctor.match.rank import CONFIDENT, Diagnosis
from logdoctor.pipeline import Analysis
from logdoctor.report.headline import first_command, headline

# The JSON contract's version (logdoctor/schemas/report.schema.json): raised when a field is removed
# or changes meaning, so that a tool can refuse a shape it does not know; new fields keep it.
SCHEMA_VERSION = 2  # 2: evidence became {"lines": [...], "count": N}, bounded


def facts_document(analysis: Analysis) -> dict:
    """`{"schema_version": 2, "logdoctor": version, "facts": {...}, "evidence": {...}}`, derived facts' sources,
    per-process values, input."""
    sheet = analysis.sheet
    document: dict = {
        "schema_version": SCHEMA_VERSION,
        "logdoctor": __version__,
        "facts": dict(sheet.facts),
        "evidence": {name: {"lines": list(lines), "count": sheet.evidence_count.get(name, len(lines))}
                     for name, lines in sheet.evidence.items()},
    }
    if sheet.derived:
        document["derived"] = {name: list(sources) for name, sources in sheet.derived.items()}
    if sheet.per_process:
        document["per_process"] = sheet.per_process
    if sheet.per_process_omitted:
        document["per_process_omitted"] = sheet.per_process_omitted
    document["input"] = analysis.stats.as_dict()
    return document


def diagnosis_document(diagnosis: Diagnosis, report: Report) -> dict:
    """One ranked cause with its evidence (lines, facts, symptom) and rendered remedies."""
    entry = diagnosis.entry
    evidence: list[dict] = [
        {"kind": "line", "line": hit.line, "text": hit.text, "similarity": round(hit.similarity, 3),
         "lines": hit.lines.shown, "count": hit.count, "decisive": hit.signature.decisive}
        for hit in diagnosis.hits
    ]
    evidence += [{"kind": "fact", "fact": name, "value": value} for name, value in diagnosis.condition_facts.items()
                 if value is not None]
    if diagnosis.symptom_similarity is not None:
        evidence.append({"kind": "symptom", "phrase": diagnosis.symptom,
                         "similarity": round(diagnosis.symptom_similarity, 3)})
    return {
        "id": entry.id,
        "category": entry.category,
        "title": entry.title,
        "confidence": diagnosis.confidence,
        "confident": diagnosis.confidence >= CONFIDENT,
        "condition": diagnosis.condition,
        "evidence": evidence,
        "cause": entry.cause,
        "remedies": [
            {key: report.remedy_text(value) for key, value in
             (("text", remedy.text), ("vllm", remedy.vllm), ("xinference", remedy.xinference)) if value}
            for remedy in entry.remedies
        ],
        "references": list(entry.references),
    }


def report_document(report: Report, top: int) -> dict:
    """The whole diagnose report."""
    document = facts_document(report.analysis)
    document["symptom"] = report.symptom
    document["diagnoses"] = [diagnosis_document(d, report) for d in report.diagnoses[:top]]
    document["summary"] = {
        **report.verdict.as_dict(),
        "headline": headline(report),
        "first_command": first_command(report),
        "confident_problems": len(report.confident),
        "server_ready": bool(report.analysis.sheet.facts.get("server_ready")),
    }
    if report.warnings:
        document["warnings"] = report.warnings
    return document
