"""`--follow`: watch a server start and answer as it goes.

A vLLM / Xinference start-up goes through the same stages: the configuration is read, the weights
are loaded, the KV cache is sized, CUDA graphs are captured, the server becomes ready. An operator
watching `docker logs -f` wants one line per stage with the numbers that matter, the diagnosis the
moment something is known to be wrong, and the verdict when the server is ready — not a report
after the log ends, which for a server is never.

The Follower feeds each line to an `api.Diagnoser` (the same streaming pass and ranking as a batch
diagnosis, so the final verdict is the batch one) and tells `on_update`:

- a stage, once its last line shows (the KV cache line with the concurrency, the config line), or
  a later stage begins, or (but for the config) the input has been quiet for SETTLE_SECONDS;
- a diagnosis as soon as a knowledge-base entry matches with confidence, or once the input has
  been quiet for SETTLE_SECONDS after the run failed (a traceback's lines come in a burst: the
  last one names the error);
- `ready`, with the verdict (healthy, risk or problem), when the server accepts requests;
- the end, with the final report, when the input ends, a stop signal comes, or `until` is reached.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from logdoctor.api import Diagnoser, Report
from logdoctor.parse import Event
from logdoctor.pipeline import Analysis
from logdoctor.read import interrupt
from logdoctor.read.follow import GrowingFile, LiveStream, PipeStream
from logdoctor.read.source import Line, LogReader, check_readable

SETTLE_SECONDS = 1.0  # quiet input after which a stage still open, or a failure, is told
UNTIL = ("ready", "problem", "end")
_FATAL_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})


@dataclass(frozen=True)
class Stage:
    """A step of a start-up: the facts that show it began, the rule or fact that ends it, what it shows."""

    name: str
    title: str
    begun_by: frozenset[str]  # facts
    ended_by: frozenset[str]  # rules of events, or facts
    shows: tuple[str, ...]
    # Told after SETTLE_SECONDS of quiet when its last line has not come. Not the config: Xinference states
    # some of it (the launch options) long before vLLM's config line, which then says it all.
    settles: bool = True


STAGES = (
    Stage("config", "config read", frozenset({"vllm_version", "max_model_len", "tensor_parallel_size", "dtype"}),
          frozenset({"engine_config"}),
          ("model", "vllm_version", "xinference_version", "engine", "dtype", "quantization", "tensor_parallel_size",
           "pipeline_parallel_size", "max_model_len", "gpu_memory_utilization"), settles=False),
    Stage("weights", "weights loaded", frozenset({"weights_gib"}), frozenset({"weights_gib"}), ("weights_gib",)),
    Stage("kv-cache", "KV cache", frozenset({"kv_cache_gib", "gpu_blocks", "kv_cache_tokens", "max_concurrency"}),
          frozenset({"max_concurrency"}), ("kv_cache_gib", "kv_cache_tokens", "max_concurrency", "gpu_blocks")),
    Stage("cuda-graphs", "CUDA graphs", frozenset({"cuda_graph_gib"}), frozenset({"cuda_graph_gib"}),
          ("cuda_graph_gib",)),
    Stage("ready", "ready", frozenset({"engine_ready", "server_ready"}), frozenset({"server_ready"}),
          ("server_ready", "engine_ready")),
)


@dataclass
class Update:
    """What the follower tells: a stage reached, a diagnosis, or the end (with the final report)."""

    kind: str  # "stage", "diagnosis" or "end"
    analysis: Analysis
    report: Report | None = None  # with a knowledge base in use (diagnose --follow)
    stage: Stage | None = None
    line: int = 0  # the number of the last line read when it was told

    @property
    def facts(self) -> dict[str, object]:
        """The stage's key facts that are known, in its order."""
        shown = self.stage.shows if self.stage is not None else ()
        facts = self.analysis.sheet.facts
        return {name: facts[name] for name in shown if name in facts}


class Follower:
    """One followed log: feeds the Diagnoser, decides what to tell and when (module docstring)."""

    def __init__(self, diagnoser: Diagnoser, on_update: Callable[[Update], None], until: str = "end",
                 clock: Callable[[], float] = time.monotonic) -> None:
        if until not in UNTIL:
            raise ValueError(f"until must be one of {', '.join(UNTIL)}")
        self._diagnoser, self._on_update, self._until, self._clock = diagnoser, on_update, until, clock
        self._told: set[str] = set()  # stages told
        self._begun: list[Stage] = []  # stages begun and not yet told, in order
        self._last_line_at = clock()
        self._failure_pending = False
        self._matched = 0
        self._diagnosed: str | None = None  # the verdict and top entry last told as a diagnosis
        self._stopped = False
        self._stream: LiveStream | None = None
        self._reader: LogReader | None = None

    def run(self, source: os.PathLike[str] | IO[bytes] | None) -> Report | Analysis:
        """Follow `source` (a path, a binary stream, None: standard input) to its end; the final result."""
        try:
            self._stream = live_stream(source, self._idle)
        except interrupt.Interrupted:  # stopped while a FIFO waited for its writer: nothing was read
            self._stream = LiveStream()
        self._reader = LogReader(["-"], stdin=self._stream, literals=self._diagnoser.literals, live=True)  # type: ignore[arg-type]
        try:
            for line in self._reader:
                if not self._stopped:
                    self._line(line)
        finally:
            self._stream.close()
        if not self._stopped:
            self._settle(force=True)
        final = self._result()
        self._tell(Update("end", self._analysis(final), final if isinstance(final, Report) else None))
        return final

    # -- per line ----------------------------------------------------------------------------------
    def _line(self, line: Line) -> None:
        self._last_line_at = self._clock()
        events = self._diagnoser.feed(line)
        if not events and self._diagnoser.matched_lines == self._matched:
            return
        analysis = self._diagnoser.analysis(self._stats, ended=False)
        self._stages(analysis, events)
        if self._stopped:
            return
        outcome = analysis.outcome
        if self._diagnoser.kb is not None and (self._diagnoser.matched_lines > self._matched
                                               or any(e.level in _FATAL_LEVELS for e in events)):
            self._matched = self._diagnoser.matched_lines
            report = self._diagnoser.report(self._stats, ended=False)
            if report.confident:
                self._diagnosis(report)
                return
        if outcome.failed and not outcome.cut:
            self._failure_pending = True

    def _stages(self, analysis: Analysis, events: list[Event]) -> None:
        facts = analysis.sheet.facts
        closing = {event.kind for event in events} | {name for event in events for name in event.facts}
        for position, stage in enumerate(STAGES):
            if stage.name in self._told or stage in self._begun or not stage.begun_by.intersection(facts):
                continue
            for earlier in [s for s in self._begun if STAGES.index(s) < position]:
                self._tell_stage(earlier, analysis)
            self._begun.append(stage)
        for stage in list(self._begun):
            if stage.ended_by.intersection(closing):
                for earlier in [s for s in self._begun if STAGES.index(s) <= STAGES.index(stage)]:
                    self._tell_stage(earlier, analysis)

    def _tell_stage(self, stage: Stage, analysis: Analysis) -> None:
        self._begun.remove(stage)
        self._told.add(stage.name)
        report = None
        if stage.name == "ready" and self._diagnoser.kb is not None:
            report = self._diagnoser.report(self._stats, ended=False)
            self._diagnosed = _key(report)
        self._tell(Update("stage", analysis, report, stage))
        if stage.name == "ready" and self._until == "ready":
            self._stop()

    def _diagnosis(self, report: Report) -> None:
        self._failure_pending = False
        if _key(report) == self._diagnosed:
            return
        self._diagnosed = _key(report)
        for stage in list(self._begun):  # the stages it went through come first
            self._tell_stage(stage, report.analysis)
        self._tell(Update("diagnosis", report.analysis, report))
        if self._until == "problem" or (self._until == "ready" and report.analysis.outcome.failed):
            self._stop()

    # -- when the input pauses ---------------------------------------------------------------------
    def _idle(self) -> bool | float | None:
        """Called by the live stream before it waits: True to end, else how long to wait at most."""
        if not self._stopped:
            self._settle()
        if self._stopped:
            return True
        if not (self._failure_pending or any(stage.settles for stage in self._begun)):
            return None
        return max(self._last_line_at + SETTLE_SECONDS - self._clock(), 0.0)

    def _settle(self, force: bool = False) -> None:
        """After SETTLE_SECONDS of quiet (or at the end): tell the stages begun and a failure."""
        if not force and self._clock() < self._last_line_at + SETTLE_SECONDS:
            return
        analysis = self._diagnoser.analysis(self._stats, ended=force)
        for stage in list(self._begun):
            if not self._stopped and (force or stage.settles):
                self._tell_stage(stage, analysis)
        if self._failure_pending and not self._stopped:
            self._failure_pending = False  # a traceback still open is told when its exception line comes
            if analysis.outcome.cut:
                return
            if self._diagnoser.kb is not None:
                self._diagnosis(self._diagnoser.report(self._stats, ended=force))
            elif not force:
                self._tell(Update("diagnosis", analysis))
                if self._until != "end":
                    self._stop()

    # -- helpers -----------------------------------------------------------------------------------
    def _tell(self, update: Update) -> None:
        update.line = self._stats.physical_lines
        self._on_update(update)

    def _stop(self) -> None:
        self._stopped = True
        if self._stream is not None:
            self._stream.stop()

    @property
    def _stats(self):  # type: ignore[no-untyped-def]
        assert self._reader is not None
        return self._reader.stats

    def _result(self) -> Report | Analysis:
        if self._diagnoser.kb is not None:
            return self._diagnoser.report(self._stats)
        return self._diagnoser.analysis(self._stats)

    @staticmethod
    def _analysis(result: Report | Analysis) -> Analysis:
        return result.analysis if isinstance(result, Report) else result


def _key(report: Report) -> str:
    confident = report.confident
    return f"{report.verdict.kind}:{confident[0].entry.id if confident else ''}"


def live_stream(source: os.PathLike[str] | IO[bytes] | None,
                on_idle: Callable[[], bool | float | None]) -> LiveStream:
    """The live stream of a followed input: a regular file grows, anything else (a pipe, a FIFO,
    /dev/stdin, a process substitution) is read until it ends."""
    if source is None:
        source = sys.stdin.buffer
    if isinstance(source, os.PathLike):
        name = os.fspath(source)
        check_readable(name)
        if stat.S_ISREG(os.stat(name).st_mode):
            return GrowingFile(name, on_idle)
        with interrupt.blocking():  # a FIFO's open waits for its writer
            fd = os.open(name, os.O_RDONLY)
        return PipeStream(fd, on_idle, label=name, owned=True)
    fd = source.fileno()
    if stat.S_ISREG(os.fstat(fd).st_mode):  # `logdoctor --follow < server.log`: the file it is
        return GrowingFile(f"/dev/fd/{fd}", on_idle, label="stdin")
    return PipeStream(fd, on_idle, label="stdin")
