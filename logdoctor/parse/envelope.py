"""Split one clean line into its envelope (process tags, header kind, level, source) and message.

The grammar is `grammar/envelope.lark`; the Transformer methods below are named after its rules,
the way lark's own examples do it. JSON-formatted lines (vLLM 0.32+ `--log-format json`,
Xinference 2.10+ `XINFERENCE_LOG_FORMAT=json`) carry their fields explicitly and are read with
the json module instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from lark import Token, Transformer
from lark.exceptions import LarkError

from logdoctor.parse.grammars import lalr_parser


@dataclass(frozen=True, slots=True)
class Envelope:
    """What surrounds a message: who wrote it, how, at which level."""

    message: str
    kind: str = "bare"  # vllm | xinference | xinference_iso | ray_driver | uvicorn | nccl | python | json | bare
    level: str | None = None
    source: str | None = None  # vLLM `file.py:123`, or a logger name such as xinference.core.worker
    tags: tuple[str, ...] = ()  # process tags without parentheses, e.g. "VllmWorkerProcess pid=282"
    pid: str | None = None
    role: str | None = None  # Xinference 2.9+ role (worker, supervisor, local)


class _EnvelopeBuilder(Transformer):
    """Turns the parse of `start: tag* header? MESSAGE?` into an Envelope."""

    def start(self, items: list) -> Envelope:
        tags: list[str] = []
        header: dict = {}
        message = ""
        for item in items:
            if isinstance(item, dict):
                header = item
            elif isinstance(item, Token) and item.type == "MESSAGE":
                message = str(item)
            else:
                tags.append(item)
        return Envelope(message=message, tags=tuple(tags), **header)

    def tag(self, items: list[Token]) -> str:
        return items[0].strip()[1:-1]

    def vllm_header(self, items: list[Token]) -> dict:
        level, _stamp, source = items
        return {"kind": "vllm", "level": level.strip(), "source": source.strip().strip("[]")}

    def xinference_header(self, items: list[Token]) -> dict:
        values = {tok.type: tok.strip() for tok in items}
        role = values.get("ROLE_AT", "").strip("[]").split("@", 1)[0] or None
        return {"kind": "xinference", "level": values["LEVEL_PADDED"], "source": values["LOGGER"],
                "pid": values["PID"], "role": role}

    def xinference_iso_header(self, items: list[Token]) -> dict:
        values = {tok.type: tok.strip() for tok in items}
        return {"kind": "xinference_iso", "level": values["LEVEL_WORD"], "source": values["LOGGER"],
                "pid": values["KV_PID"].split(":", 1)[1], "role": values["KV_ROLE"].split(":", 1)[1] or None}

    def ray_driver_header(self, items: list[Token]) -> dict:
        return {"kind": "ray_driver", "level": items[1].strip(), "source": items[2].strip().removesuffix(" --")}

    def uvicorn_header(self, items: list[Token]) -> dict:
        return {"kind": "uvicorn", "level": items[0].split(":", 1)[0]}

    def nccl_header(self, items: list[Token]) -> dict:
        words = items[0].split()
        return {"kind": "nccl", "level": words[-1], "source": "NCCL"}

    def python_logging_header(self, items: list[Token]) -> dict:
        parts = items[0].split(" - ")
        return {"kind": "python", "level": parts[2].strip(), "source": parts[1].strip()}


@cache
def _parser():
    return lalr_parser("envelope", transformer=_EnvelopeBuilder())


def _json_envelope(text: str) -> Envelope | None:
    """Read a JSON log record (vLLM or Xinference); None when the line is not one."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    message = record.get("message")
    if not isinstance(message, str):
        return None
    level = record.get("levelname") or record.get("level")
    source = record.get("name") or record.get("module")
    pid = record.get("process") or record.get("pid")
    return Envelope(message=message, kind="json", level=str(level) if level else None,
                    source=str(source) if source else None, pid=str(pid) if pid is not None else None,
                    role=record.get("role"))


def split(text: str) -> Envelope:
    """The envelope and message of one clean line; never raises."""
    if text.startswith('{"') and text.endswith("}"):
        found = _json_envelope(text)
        if found is not None:
            return found
    try:
        return _parser().parse(text)
    except (LarkError, RecursionError):
        return Envelope(message=text)
