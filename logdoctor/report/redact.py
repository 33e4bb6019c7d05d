"""Remove secrets from text before it leaves logdoctor: reports get pasted into public issues.

Covered: Hugging Face tokens (`hf_…`), OpenAI-style keys (`sk-…`), `api_key=` / `--api-key` /
`"api_key": "…"` / `token=` / `--token` values, `Authorization: Bearer …`, bare JSON Web Tokens,
passwords in URLs (`scheme://user:pass@host`, the password may hold `@` and `/`), AWS access key
ids, secret keys and session tokens (`aws_secret_access_key=`, `"SecretAccessKey": "…"`), GitHub
tokens (`ghp_…`), PEM private keys. The fact sheet is redacted always
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
    # `aws_secret_access_key=…`, and AWS's JSON (`"SecretAccessKey": "…"`, `"SessionToken": "…"`)
    (re.compile(r"(?i)((?:aws_)?(?:secret_?access_?key|session_?token)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{20,}"),
     r"\1" + MASK),
    # A bare JSON Web Token: base64url of `{"` (eyJ) in its header and payload.
    (re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), MASK),
    # `token=…`, `"token": "…"`, `--token …`: a bare `token` followed by prose ("token limit") is not one.
    (re.compile(r"(?i)((?<![A-Za-z0-9_\-])(?:--token(?:\s+|=)|token[\"']?\s*[:=]\s*)[\"']?)(?!\[REDACTED\])"
                r"[^\s\"',)}\]]{8,}"), r"\1" + MASK),
    # `api_key=…`, `--api-key …`, `OPENAI_API_KEY=…`, `HF_TOKEN=…`, `"password": "…"`, `api_key=['…']`
    (re.compile(r"(?i)((?<![A-Za-z0-9])(?:api[_-]?key|hf[_-]?token|hub[_-]?token|access[_-]?token|auth[_-]?token"
                r"|api[_-]?token|password|passwd|secret(?:[_-]?key)?)"
                r"[\"']?(?:\s*[:=]\s*|\s+)\[?[\"']?)(?!\*\*\*|\[REDACTED\])[^\s\"',)}\]]{3,}"), r"\1" + MASK),
    # A PEM private key's body: base64 and line breaks up to its END line (no "-" in between).
    (re.compile(r"(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)[^-]+"), r"\1" + MASK),
)
_HINTS = ("hf_", "sk-", "gh", "AKIA", "ASIA", "earer", "uthorization", "key", "KEY", "Key", "token", "TOKEN",
          "Token", "ass", "ASS", "ecret", "ECRET", "://", "PRIVATE KEY", "eyJ", "oken", "OKEN")


_URL_USER = re.compile(r"://[^\s:/@\"'<>]*:")
_URL_END = re.compile(r"[\s\"'<>]")


def _redact_url_passwords(text: str) -> str:
    """`scheme://user:pass@host` with the password masked. A password may hold `@` and `/`
    (`alice:p@ss9word@proxy`, `bob:Ab/Cd9Ef@git…`), so it runs to the last `@` of the URL; where that
    `@` is in a path instead, a little too much is masked, never too little. Linear: a URL is scanned
    once, and a `://` inside one already scanned starts nothing."""
    pieces, done = [], 0
    for user in _URL_USER.finditer(text):
        start = user.end()
        if start <= done:
            continue
        end_match = _URL_END.search(text, start)
        end = end_match.start() if end_match else len(text)
        at = text.rfind("@", start, end)
        if at > start and not text.startswith(MASK, start):
            pieces += [text[done:start], MASK]
            done = at
        else:
            pieces.append(text[done:end])
            done = end
    return "".join(pieces) + text[done:] if pieces else text


def redact(text: str) -> str:
    """`text` with every secret it contains replaced by [REDACTED]."""
    if not any(hint in text for hint in _HINTS):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _redact_url_passwords(text) if "://" in text else text


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
