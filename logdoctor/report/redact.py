"""Remove secrets from text before it leaves logdoctor: reports get pasted into public issues.

Covered: Hugging Face tokens (`hf_…`), OpenAI-style keys (`sk-…`), `api_key=` / `--api-key` /
`"api_key": "…"` values, `Authorization: Bearer …`, passwords in URLs (`scheme://user:pass@host`),
AWS access key ids and secret keys, GitHub tokens (`ghp_…`), PEM private keys. The fact sheet is redacted always
(it never stores a secret); Markdown reports always; text and JSON reports with `--redact`.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"
EXCERPT_CHARACTERS = 400

# Every pattern is anchored on a literal (`hf_`, `sk-`, a key name, `://`) and scans forward only:
# linear in the text, whatever it holds (they run on reports built from hostile logs).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{20,}"), MASK),
    (re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"), MASK),
    (re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), MASK),
    (re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"), MASK),
    (re.compile(r"(?i)(authorization\s*[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=\-]{6,}"),
     r"\1" + MASK),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/\-]{16,}=*"), r"\1" + MASK),
    (re.compile(r"(?i)((?:aws_secret_access_key|secret_access_key)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{20,}"),
     r"\1" + MASK),
    # `api_key=…`, `--api-key …`, `OPENAI_API_KEY=…`, `HF_TOKEN=…`, `"password": "…"`, `api_key=['…']`
    (re.compile(r"(?i)((?<![A-Za-z0-9])(?:api[_-]?key|hf[_-]?token|hub[_-]?token|access[_-]?token|auth[_-]?token"
                r"|api[_-]?token|password|passwd|secret(?:[_-]?key)?)"
                r"[\"']?(?:\s*[:=]\s*|\s+)\[?[\"']?)(?!\*\*\*|\[REDACTED\])[^\s\"',)}\]]{3,}"), r"\1" + MASK),
    (re.compile(r"(://[^\s:/@]*:)(?!\[REDACTED\])[^\s/@]+(@)"), r"\1" + MASK + r"\2"),  # scheme://user:pass@
    # A PEM private key's body: base64 and line breaks up to its END line (no "-" in between).
    (re.compile(r"(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)[^-]+"), r"\1" + MASK),
)
_HINTS = ("hf_", "sk-", "gh", "AKIA", "ASIA", "earer", "uthorization", "key", "KEY", "Key", "token", "TOKEN",
          "Token", "ass", "ASS", "ecret", "ECRET", "://", "PRIVATE KEY")


def redact(text: str) -> str:
    """`text` with every secret it contains replaced by [REDACTED]."""
    if not any(hint in text for hint in _HINTS):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def excerpt(text: str, limit: int = EXCERPT_CHARACTERS) -> str:
    """`text` redacted and cut to `limit` characters: what an error message may show of a file it
    did not write (a KB file that is really someone's key must not be printed whole)."""
    text = redact(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


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
