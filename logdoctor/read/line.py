"""The unit every later stage reads: one clean line of the log, with its number in the input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    """One clean line and where it came from."""

    number: int  # 1-based number of the (first) physical line in the combined input
    text: str  # wrappers, escape codes, fences and quote marks removed; no \n or \r
    stream: str | None = None  # compose service / container name when a compose prefix was removed
    # Columns it took on the terminal it was copied from: its text before the runtime's prefixes
    # (docker's timestamp, compose's service) were removed, wide characters counting two; -1 unknown.
    width: int = -1
    # Whether such a prefix was removed: a runtime stamps every record, so the line starts one.
    prefixed: bool = False
