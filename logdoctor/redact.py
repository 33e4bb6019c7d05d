"""Remove secrets from text before it leaves logdoctor: reports get pasted into public issues.

Covered: Hugging Face tokens (`hf_…`), OpenAI-style keys (`sk-…`), `api_key=` / `--api-key` /
`"api_key": "…"` values, `Authorization: Bearer …`, passwords in URLs (`scheme://user:pass@host`),
AWS access key ids and secret keys. The fact sheet is redacted always (it never stores a secret);
Markdown reports always; text and JSON reports with `--redact`.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhf_[A-Za-z0-9]{20,}\b"), MASK),
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}\b"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"(?i)(authorization\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=\-]{6,}"), r"\1" + MASK),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/\-]{16,}=*"), r"\1" + MASK),
    (re.compile(r"(?i)((?:aws_secret_access_key|secret_access_key)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{20,}"),
     r"\1" + MASK),
    (re.compile(r"(?i)((?:--|\b)(?:api[_-]?key|hf[_-]?token|access[_-]?token|auth[_-]?token|password|passwd|secret)"
                r"[\"']?(?:\s*[:=]\s*|\s+)[\"']?)(?!\*\*\*|\[REDACTED\])[^\s\"',)}]{3,}"), r"\1" + MASK),
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:)[^\s/@]+(@)"), r"\1" + MASK + r"\2"),
)
_HINTS = ("hf_", "sk-", "AKIA", "ASIA", "earer", "uthorization", "key", "KEY", "token", "TOKEN", "ass", "ecret",
          "://")


def redact(text: str) -> str:
    """`text` with every secret it contains replaced by [REDACTED]."""
    if not any(hint in text for hint in _HINTS):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: object) -> object:
    """A fact value with secrets removed (strings and lists of strings)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact(item) if isinstance(item, str) else item for item in value]
    return value


def redact_document(document: object) -> object:
    """A JSON-able document with every string in it redacted."""
    if isinstance(document, str):
        return redact(document)
    if isinstance(document, list):
        return [redact_document(item) for item in document]
    if isinstance(document, dict):
        return {key: redact_document(value) for key, value in document.items()}
    return document
