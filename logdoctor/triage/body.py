"""An issue as it was filed → the log to read and the complaint to match.

People paste logs into issues every way Markdown allows: fenced, inside `<details>`, quoted with
`> `, or bare between two sentences, next to `collect_env` output, `nvidia-smi` tables and
`pip list`. The source step already reads fences and quotes as a log (logdoctor/read/source.py),
and every kind of block is read by the same grammar as a server log, so the whole body is the
log: prose lines simply match no template. What only an issue has is the prose: the title and
the sentences around the blocks say what the user sees, and become the symptom — only the
sentences the user wrote, never the bug-report templates' own headings and boilerplate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from logdoctor.read.source import strip_escapes
from logdoctor.triage.comment import MARKER as _OWN_MARKER

MAX_SYMPTOM_CHARS = 2000  # the title and the first prose, enough for what a user says they see
_FENCE = re.compile(r"^\s*(?:>\s*)*(`{3,}|~{3,})")
_HTML_LINE = re.compile(r"^\s*</?(?:details|summary|br|p|code|pre|div|sub|sup|img)\b[^>]*>.*$", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]{1,200}>")
# What vLLM's and Xinference's issue forms write themselves (headings are dropped as a whole).
_BOILERPLATE = re.compile(
    r"^\s*(?:#{1,6} |- \[[ xX]\] |The output of |Make sure you already searched|"
    r"asked the chatbot|Before submitting a new issue|No response|_No response_)", re.IGNORECASE)
# Sections of the forms that hold no complaint: the environment, versions, the launch command, and what
# the user *expected* (matching that against symptoms would answer the wish, not the problem).
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")
_OTHER_SECTIONS = re.compile(
    r"environment|system info|系統信息|系统信息|version|版本|docker|command used|启动 xinference|expected|期待|"
    r"before submitting|how would you like|motivation|alternatives|additional context", re.IGNORECASE)
# A line that a program printed rather than a person wrote: a log header, a traceback, a table.
_PRINTED = re.compile(
    r"^\s*(?:\(\w[\w.\-]* pid=\d+\)|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b|\[?\d{4}-\d\d-\d\d|\d\d-\d\d \d\d:|"
    r"Traceback|File \"|[\w.]*(?:Error|Exception)\b:|\||\+[-=+]+|\$ |>>> )")

_PROGRESS = re.compile(r"\d+%\s*(?:\||Completed)|[\d.]+(?:it/s|s/it)\]")  # tqdm bars, anywhere in a line


@dataclass(frozen=True)
class Issue:
    """What logdoctor reads of one issue (and, for a comment event, the comment that triggered it)."""

    title: str
    text: str  # the body (and the comment) as filed: read as the log
    symptom: str | None  # the title and the prose the user wrote
    number: int | None = None  # the issue's number, from an event payload
    repository: str | None = None  # owner/name, from an event payload


class IssueError(ValueError):
    """The input is neither Markdown nor a GitHub issues / issue_comment event."""


class OwnComment(Exception):
    """The event is about a comment logdoctor wrote: answering it would start a loop."""


def read(raw: bytes) -> Issue:
    """An issue from a Markdown body, or from a GitHub `issues` / `issue_comment` event payload."""
    text = raw.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        return _from_event(text)
    return from_markdown("", text)


def from_markdown(title: str, body: str, number: int | None = None, repository: str | None = None) -> Issue:
    prose = prose_of(body)
    symptom = " — ".join(part for part in (title.strip(), prose) if part)[:MAX_SYMPTOM_CHARS] or None
    return Issue(title, body, symptom, number, repository)


def _from_event(text: str) -> Issue:
    try:
        event = json.loads(text)
    except ValueError as error:
        raise IssueError(f"not a GitHub event payload: {error}") from None
    issue = event.get("issue") if isinstance(event, dict) else None
    if not isinstance(issue, dict):
        raise IssueError("a JSON input must be a GitHub issues or issue_comment event (no 'issue' in it)")
    body = issue.get("body") or ""
    comment = event.get("comment")
    if isinstance(comment, dict) and str(comment.get("body", "")).startswith(_OWN_MARKER):
        raise OwnComment("the comment is logdoctor's own: nothing to answer")
    if isinstance(comment, dict) and comment.get("body"):
        body = f"{body}\n\n{comment['body']}"  # the comment often brings the log the issue lacked
    repository = (event.get("repository") or {}).get("full_name") if isinstance(event.get("repository"), dict) \
        else None
    number = issue.get("number") if isinstance(issue.get("number"), int) else None
    return from_markdown(str(issue.get("title") or ""), str(body), number, repository)


def prose_of(body: str) -> str:
    """The sentences a person wrote: outside fences, not HTML, not the forms' boilerplate, not printed lines."""
    kept: list[str] = []
    fence: str | None = None
    skipping = False  # inside a section of the form that holds no complaint
    for line in body.splitlines():
        opened = _FENCE.match(line)
        if opened:
            mark = opened.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
            continue
        heading = _HEADING.match(line) if fence is None else None
        if heading:
            skipping = bool(_OTHER_SECTIONS.search(heading.group(1)))
            continue
        if fence is not None or skipping or _HTML_LINE.match(line) or _BOILERPLATE.match(line):
            continue
        unquoted = re.sub(r"^\s*(?:>\s?)+", "", strip_escapes(line))
        if not unquoted.strip() or _PRINTED.match(unquoted) or _PROGRESS.search(unquoted):
            continue
        kept.append(_HTML_TAG.sub(" ", unquoted).strip())
    return " ".join(kept)
