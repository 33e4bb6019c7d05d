"""How the run ended, as far as the log shows: ready, failed, cut short, or not a serving log at all.

The ranking says *which* known issue fits; a verdict also needs to know what happened to the
server, whatever the knowledge base knows. A crash with an error no entry describes is still a
crash, a traceback whose last lines were not pasted is still a failure, and a README is not a
healthy server. The tracker watches the events of the lines that passed the prefilter (a small
fraction of a long log) and keeps a handful of line numbers:

- whether a vLLM or Xinference process wrote anything at all (a header of theirs, a message
  template, an engine hint) — without one there is nothing to diagnose;
- the last line where the server (or, for an offline `LLM(...)`, the engine) became ready;
- the lines that say the run failed after that: a final exception, an ERROR/CRITICAL line of the
  engine, a process that died or was killed;
- a traceback that begins and never reaches its final exception line (a paste cut short).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from logdoctor.parse.repeats import Tally

# Headers that only vLLM / Xinference processes write (envelope kinds).
_SERVING_HEADERS = frozenset({"vllm", "xinference", "xinference_iso"})
# Events any Python web app or Ray job produces: alone they do not make a log a vLLM/Xinference log
# (uvicorn's "Application startup complete" of some other FastAPI app is not a model server).
_GENERIC_RULES = frozenset({"exception", "error_line", "server_ready", "ray_started"})
_READY_RULES = frozenset({"server_ready", "xinference_model_loaded", "engine_ready"})
_FATAL_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})
_CALM_LEVELS = frozenset({"INFO", "DEBUG", "WARNING", "WARN"})
# A process that is gone: these end a server whatever it printed before.
_DIED = re.compile(
    r"EngineDeadError|Engine loop has died|died unexpectedly|Killed$|^Killed\b|Segmentation fault|core dumped|"
    r"is already dead|terminating server process|Background loop has errored|"
    r"Engine (?:core )?(?:process|initialization) failed|"
    r"EngineCore failed to start|Failed to launch model|WorkerProc failed to start"
)
# A process's exit code: the one death told by a number (0 is a clean exit).
_EXIT_CODE = re.compile(r"(?:exited with (?:exit )?|exit )code ([0-9]+)")
# A server stopped on purpose (Ctrl-C, docker stop) prints these tracebacks; they are not failures.
_STOPPED = re.compile(r"^(?:[\w.]*\.)?(?:KeyboardInterrupt|CancelledError|SystemExit)\b")
_TRACEBACK = "Traceback (most recent call last)"
_OWN_FRAME = re.compile(r'File "[^"]*/(?:vllm|xinference)/')  # a traceback frame in vLLM's or Xinference's code
MAX_LINES = 5  # line numbers kept per kind: the first few say where it went wrong
_LAST_LINES = 3  # a log that ends this close after an error ended in it (a paste of the crash, a dead server)


@dataclass
class Outcome:
    """What the end of the log says about the run (line numbers are the input's)."""

    serving_lines: int = 0  # lines a vLLM/Xinference process visibly wrote or a template recognised
    ready_line: int | None = None  # the last line where the server (or offline engine) became ready
    failure_lines: list[int] = field(default_factory=list)  # failures after the last ready (first few)
    died: bool = False  # a process died or was killed (after the last ready)
    open_traceback: int | None = None  # a traceback that starts here never reached its exception line
    errors_while_serving: int = 0  # exceptions/ERROR lines after ready that did not end the server
    ended_in_error: bool = False  # the log's last lines are an error (nothing after it but a few lines)

    @property
    def failed(self) -> bool:
        """The run failed: before it was ever ready, or after it, a process died or the log ends in the error."""
        return bool(self.failure_lines) and (self.ready_line is None or self.died or self.ended_in_error)

    @property
    def cut(self) -> bool:
        """The log stops inside a traceback: its final exception is missing."""
        return self.open_traceback is not None


class OutcomeTracker:
    """Fed by the line parser with every parsed line's envelope and events; `result()` at the end."""

    def __init__(self) -> None:
        self._outcome = Outcome()
        self._serving_lines = Tally()
        self._errors_while_serving = Tally()
        self._failures_after_ready: list[int] = []
        self._last_failure: int | None = None
        self._serving_streams: set[str] = set()  # compose services that showed a vLLM/Xinference line
        self._stopped = False  # the server was stopped on purpose after it was ready: what follows is its echo

    def observe(self, number: int, kind: str, level: str | None, message: str, rules: list[str],
                stream: str | None = None) -> None:
        """One prefiltered line: its envelope kind and level, its message, the rules of its events, and the
        compose service (or container) that printed it."""
        outcome = self._outcome
        stripped = message.strip()
        if (kind in _SERVING_HEADERS or any(rule not in _GENERIC_RULES for rule in rules)
                or (stripped.startswith("File") and _OWN_FRAME.match(stripped))):
            self._serving_lines.add()
            if stream is not None:
                self._serving_streams.add(stream)
        in_traceback = outcome.open_traceback is not None
        if _TRACEBACK in stripped:
            outcome.open_traceback = number
            in_traceback = True
        if "exception" in rules:
            outcome.open_traceback = None
            in_traceback = False
        if _READY_RULES.intersection(rules) and (stream is None or stream in self._serving_streams):
            outcome.ready_line = number  # (another service's web server starting, e.g. Open WebUI's, is not it)
            self._failures_after_ready = []
            outcome.died = self._stopped = False
            return
        if _STOPPED.match(stripped):
            self._stopped = outcome.ready_line is not None
            return
        if self._stopped:  # Ctrl-C: engine processes "die unexpectedly" as they are told to
            return
        # Deaths are told at ERROR/CRITICAL level or with none (`Killed`); an INFO line is spared the search.
        died = level in ("CRITICAL", "FATAL") or (level not in _CALM_LEVELS and tells_death(stripped))
        # A traceback's frames (ERROR-prefixed in V1 logs) are one failure, its exception line, not dozens.
        failing = died or "exception" in rules or "error_line" in rules or (level in _FATAL_LEVELS and not in_traceback)
        if not failing:
            return
        if outcome.ready_line is not None and not died:
            self._errors_while_serving.add()
        if died:
            outcome.died = True
        self._last_failure = number
        if len(self._failures_after_ready) < MAX_LINES:
            self._failures_after_ready.append(number)

    def result(self, last_line: int | None, newest_first: bool = False) -> Outcome:
        """The outcome of the lines so far, as a copy (the tracker may be fed on: --follow asks as lines
        arrive). `last_line` is the log's last line's number once it is read, None while it goes on (a log
        that is still being written does not "end in" its last error); `newest_first` says the lines came
        in reverse (a console export), where "after" and "cut" mean nothing."""
        outcome = replace(self._outcome, failure_lines=list(self._failures_after_ready),
                          serving_lines=self._serving_lines.count,
                          errors_while_serving=self._errors_while_serving.count)
        outcome.ended_in_error = (last_line is not None and self._last_failure is not None
                                  and last_line - self._last_failure < _LAST_LINES)
        if newest_first:
            outcome.open_traceback = None
        return outcome


def tells_death(text: str) -> bool:
    """Whether a line tells that a process died (or exited with an error code)."""
    if _DIED.search(text):
        return True
    code = _EXIT_CODE.search(text) if "code " in text else None
    return code is not None and int(code.group(1)) != 0


def depends_on_digits(message: str) -> bool:
    """Whether what this message says of the run may change with its numbers alone (an exit code)."""
    return "code " in message and _EXIT_CODE.search(message) is not None
