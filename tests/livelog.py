"""Helpers of the live-input tests: the installed CLI, the replaying writer, a reader of NDJSON events."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPLAY = ROOT / "benchmarks" / "replay.py"
SEED = ROOT / "samples" / "seed-xinference-t4-gptq-tp4.log"


def logdoctor() -> str:
    """The installed console script (not `python -m`): what a user runs."""
    found = shutil.which("logdoctor", path=str(Path(sys.executable).parent)) or shutil.which("logdoctor")
    assert found, "logdoctor is not installed in this environment"
    return found


def writer(log: Path, *options: str, into: Path | None = None, **popen: object) -> subprocess.Popen:
    """A real process replaying `log` line by line (benchmarks/replay.py), to stdout or into a file."""
    command = [sys.executable, str(REPLAY), str(log), *options, *(["--into", str(into)] if into else [])]
    return subprocess.Popen(command, stderr=subprocess.DEVNULL, **popen)  # type: ignore[call-overload]


class Events:
    """The follower's NDJSON lines as they arrive, each with the time it was read."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.items: list[tuple[float, dict]] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for raw in process.stdout:  # type: ignore[union-attr]
            self.items.append((time.monotonic(), json.loads(raw)))

    def wait(self, timeout: float = 30) -> list[dict]:
        self._thread.join(timeout)
        return [event for _, event in self.items]

    def first(self, predicate, timeout: float = 30) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
        """The first event that satisfies `predicate`, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in list(self.items):
                if predicate(item[1]):
                    return item
            time.sleep(0.02)
        got = [event.get("stage", event["event"]) for _, event in self.items]
        raise AssertionError(f"no such event within {timeout} s; got {got}")


def written(stamps: Path, count: int, timeout: float = 30) -> None:
    """Wait until the writer has written `count` lines (its --stamps file says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stamps.is_file() and len(stamps.read_text().splitlines()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the writer did not write {count} lines within {timeout} s")


def batch(log: str) -> dict:
    """The batch JSON report of a log (in this process: the same api.diagnose the CLI calls, without
    another interpreter start)."""
    from logdoctor import api

    return api.diagnose(Path(log)).to_dict()


def verdict_of(document: dict) -> tuple[str, str | None]:
    """A report's verdict and its top confident diagnosis (what a batch and a follow must agree on)."""
    confident = [d["id"] for d in document["diagnoses"] if d["confidence"] >= 0.5]
    return document["summary"]["verdict"], confident[0] if confident else None
