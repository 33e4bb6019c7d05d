"""The per-line path: clean line → (cheap literal prefilter) → envelope → typed events.

Almost every line of a long `docker logs` is a request or metrics line that carries no fact. A
line reaches the Lark parsers only if it contains one of the literal anchors: the anchors of the
message templates (derived from grammar/messages.lark), the markers of exceptions and tracebacks,
and the process tags and file names that date the engine. Everything after the prefilter runs on
a few hundred lines per log, whatever its size.

And a line repeated with other numbers (an error storm, a crash loop) is not parsed again: its
envelope is read at the offsets of the first one (parse/memo.py), and its templates' facts are
those of its exact message if seen before, else, from a process already seen with it, those the
first one stated (the fact sheet keeps one value per process and counts the rest as evidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache

from logdoctor.parse import envelope, messages
from logdoctor.parse.memo import HAS_DIGIT as _HAS_DIGIT
from logdoctor.parse.memo import EnvelopeRecipe, Memo
from logdoctor.parse.outcome import OutcomeTracker
from logdoctor.parse.repeats import Tally, masked, numbers_masked
from logdoctor.read.scan import LiteralScanner
from logdoctor.read.source import Line

# Which vLLM engine and executor a process tag or a source file implies (log-catalog.md §1.4, §2).
_TAG_HINTS: tuple[tuple[str, dict], ...] = (
    ("VllmWorkerProcess", {"engine": "v0", "distributed_backend": "mp"}),
    ("RayWorkerWrapper", {"distributed_backend": "ray"}),
    ("RayWorkerProc", {"distributed_backend": "ray", "engine": "v1"}),
    ("RayWorker", {"distributed_backend": "ray"}),
    ("EngineCore", {"engine": "v1"}),
    ("VllmWorker", {"engine": "v1", "distributed_backend": "mp"}),
    ("Worker_", {"engine": "v1", "distributed_backend": "mp"}),
    ("DPEngineCoreActor", {"engine": "v1", "distributed_backend": "ray"}),
    ("APIServer", {}), ("ApiServer", {}), ("DPSupervisor", {}), ("MainProcess", {}), ("Worker", {"engine": "v1"}),
)
_V0_FILES = frozenset({
    "model_runner.py", "llm_engine.py", "gpu_executor.py", "distributed_gpu_executor.py", "worker.py",
    "multiproc_worker_utils.py", "executor_base.py", "ray_gpu_executor.py", "multiproc_gpu_executor.py",
    "selector.py", "engine.py", "async_llm_engine.py", "cache_engine.py", "worker_base.py",
})
_V1_FILES = frozenset({
    "gpu_model_runner.py", "gpu_worker.py", "kv_cache_utils.py", "core.py", "core_client.py",
    "multiproc_executor.py", "async_llm.py", "gpu_input_batch.py",
})
_MP_FILES = frozenset({"multiproc_worker_utils.py", "multiproc_gpu_executor.py", "multiproc_executor.py"})
_RAY_FILES = frozenset({"ray_utils.py", "ray_gpu_executor.py", "ray_distributed_executor.py", "ray_executor.py"})
# Paths in traceback frames: V1's code lives under vllm/v1/, V0's workers under vllm/worker/ (V1 borrows only
# worker_base.py from there) and its async engine in vllm/engine/async_llm_engine.py.
_FRAME_ENGINES = (("/vllm/v1/", "v1"), ("/vllm/worker/model_runner.py", "v0"), ("/vllm/worker/worker.py", "v0"),
                  ("/vllm/engine/async_llm_engine.py", "v0"))
_HINT_ANCHORS = (  # `llm_engine.py` only as a header's file: V0 logs every request from async_llm_engine.py
    "(VllmWorkerProcess", "(RayWorker", "(EngineCore", "(VllmWorker", "(Worker_", "model_runner.py",
    " llm_engine.py", "[llm_engine.py", "/llm_engine.py", "gpu_executor.py", "worker.py:", "executor_base.py",
    "ray_utils.py", "core.py:", "/vllm/v1/", "/vllm/worker/", "/vllm/engine/async_llm_engine.py", "ray.exceptions.",
)
# `ERROR`/`CRITICAL`: an engine's fatal lines often name no exception ("EngineCore failed to start.").
# `/vllm/`, `/xinference/`: a traceback frame in their code makes a bare traceback theirs (parse.outcome).
# `Value error, `: pydantic's line under a ValidationError, the root ValueError's message.
_ERROR_ANCHORS = ("Error", "Exception", "Traceback", "[address=", "Killed", "Aborted", "Segmentation fault", "ERROR",
                  "CRITICAL", "died unexpectedly", "/vllm/", "/xinference/", "KeyboardInterrupt", "SystemExit",
                  "Value error, ")

# `SomeError: message` / `pkg.mod.SomeError: message` / a bare `SomeError` at the end of a traceback.
_EXCEPTION_TYPE = (r"(?P<type>(?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Failure)|"
                   r"KeyboardInterrupt|StopIteration|CancelledError|AssertionError))")
EXCEPTION_LINE = re.compile(r"^" + _EXCEPTION_TYPE + r"(?::\s?(?P<message>.*))?$")
# IPython / Jupyter put the class first: `OutOfMemoryError      Traceback (most recent call last)`, the
# message only at the end of the traceback, which a pasted excerpt often cuts off.
IPYTHON_TRACEBACK_HEADER = re.compile(r"^" + _EXCEPTION_TYPE + r"\s{4,}Traceb")
# Ray's wrapper around an actor's exception, `ray.exceptions.RayTaskError(ValueError): ray::Actor.method()`:
# it names the root exception's class; the root's own line follows in the remote traceback.
RAY_WRAPPED = re.compile(r"^(?:ray\.exceptions\.)?Ray\w*Error\((?P<type>[\w.]+)\): ?(?P<message>.*)$")
# pydantic (vLLM 0.10+ configs) wraps a validator's ValueError: `ValidationError: 1 validation error for
# ModelConfig` then `  Value error, <the root message> [type=value_error, input_value=…]`.
PYDANTIC_VALUE_ERROR = re.compile(r"^\s+Value error, (?P<message>.+?)(?: \[type=value_error.*)?$")
# Messages that only say "see the error above": never the root cause when one was printed.
_GENERIC_ERRORS = re.compile(
    r"Engine core initialization failed|Engine process failed to start|WorkerProc failed to start|"
    r"EngineCore failed to start|Failed to launch model|Worker failed with error|See root cause above|"
    r"(?i:see stack trace)|Error executing method|EngineCore encountered an issue|Background loop has errored|"
    r"^\s*$"
)


_ERROR_FACTS = ("error_type", "error_message")
_XINFERENCE_HEADERS = frozenset({"xinference", "xinference_iso"})
# Templates that are themselves error messages: when one is logged without an exception class
# (`Error initializing vLLM engine: CUDA out of memory…`), it still is the error of the log.
ERROR_RULES = frozenset({
    "cuda_out_of_memory", "kv_cache_too_small_v0", "kv_cache_too_small_v1", "free_memory_on_device",
    "bf16_unsupported", "quant_unsupported_gpu", "heads_not_divisible", "flash_attention_needs_ampere",
    "max_model_len_over_derived", "quant_scheme_unsupported",
})


# What a message's templates state, in order: (rule, facts, offset of the error message or None,
# the error facts a template quotes, taken out of its facts).
_Templates = tuple[tuple[str, dict, "int | None", dict], ...]
# What depends only on the text, not on the log, is remembered for the process: a program that
# diagnoses many logs meets the same messages again (parse/memo.py). The facts dicts are shared:
# nothing downstream changes an event's facts.
_TEMPLATES: Memo[tuple[str, str], _Templates] = Memo()  # (message, header kind) -> its templates
_NUMBERS_MASKED: Memo[bytes, str] = Memo()  # message with digits 0 -> with numbers 0 (repeats.numbers_masked)


@cache
def _message_anchors() -> tuple[dict[str, list[messages.Anchor]], LiteralScanner]:
    """The templates' anchors by literal, and one scanner finding them all in a message."""
    by_literal: dict[str, list[messages.Anchor]] = {}
    for anchor in messages.anchors():
        by_literal.setdefault(anchor.literal, []).append(anchor)
    return by_literal, LiteralScanner(by_literal)


@lru_cache(maxsize=8)
def _line_memo(literals: tuple[str, ...]) -> tuple[list[bytes], Memo[bytes, tuple[bool | None, EnvelopeRecipe | None]]]:
    """For one prefilter: its literals with digits (masked), and the memo of masked lines -> (whether
    the line passes, None: ask for each line; how to read its envelope)."""
    return [masked(literal) for literal in literals if _HAS_DIGIT(literal)], Memo()
# (message, process) pairs a log's replays remember: a crash loop starts new pids without end; past this
# many, a repeat from a new process is read (its exact message's parse is still remembered).
MAX_REPLAYS = 8192
HINT_LINES = 400  # parsed lines read for engine hints: the start-up states them


@dataclass(slots=True)
class Event:
    """Something one line states: facts it carries, an error it raised, or evidence for the KB."""

    line: int
    kind: str  # a rule of grammar/messages.lark, "exception", "error_line" or "hint"
    facts: dict
    text: str
    process: str | None = None
    level: str | None = None
    strength: int = 2  # how much this source is trusted when two disagree (3 > 2 > 1)


@dataclass(slots=True)
class _Context:
    """What the parser remembers between lines: just enough to recognise a traceback's end."""

    previous_message: str = ""
    in_traceback: bool = False
    hint_lines: Tally = field(default_factory=Tally)  # lines read for hints (a run of copies raises it too)
    seen_tags: set = field(default_factory=set)
    last_error_type: str = ""


def prefilter_literals(extra_anchors: Iterable[str] = (), hints: bool = True) -> list[str]:
    """Every literal the line prefilter looks for, once each, in the order of their sources: the
    template anchors, the engine hints (unless `hints` is false), the error markers and
    `extra_anchors` (the knowledge base's). One list, so that the prefilter and anything measured
    against it (benchmarks/bench.py's `grep -E`) cannot drift apart; a fixed order, not a sorted one
    (sorting a large knowledge base's anchors costs more than scanning with them), keys the
    scanner's cached database.
    """
    literals = (*(anchor.literal for anchor in messages.anchors()), *(_HINT_ANCHORS if hints else ()),
                *_ERROR_ANCHORS, *extra_anchors)
    return list(dict.fromkeys(literals))


class LineParser:
    """Turns clean lines into events; one instance per log (it keeps traceback context)."""

    def __init__(self, extra_anchors: Iterable[str] = ()) -> None:
        self._by_literal, self._message_anchors = _message_anchors()
        self._extra_anchors = tuple(extra_anchors)
        self.literals = prefilter_literals(self._extra_anchors)  # the reader may skip lines holding none of these
        self._set_prefilter(self.literals)
        self._context = _Context()
        self.last_message: str | None = None  # message of the last line that passed the prefilter
        self.last_level: str | None = None  # and its level (INFO, WARNING, ERROR...), None when it has none
        self.last_kind = ""  # and its header's kind (envelope.py)
        self.outcome = OutcomeTracker()
        # (masked message, header kind) -> (process, stream) -> the templates of the first such line
        self._repeats: Memo[tuple[str, str], dict[tuple[str | None, str | None], _Templates]] = Memo()
        self._replays = 0
        self._hints_done = False

    def feed(self, line: Line) -> list[Event]:
        """Events of one line (most lines: none, after one regex search)."""
        text = line.text
        key = masked(text)
        known = self._lines.get(key)
        passes = known[0] if known is not None else None
        if passes is None:
            passes = self.prefilter.contains(text)
        if not passes:
            if known is None:
                self._lines.remember(key, (self._same_verdict(key, passes), None), len(text))
            self.last_message = None
            self._remember(text)
            return []
        if known is None:
            env = envelope.split(text)
            self._lines.remember(key, (self._same_verdict(key, passes), EnvelopeRecipe.of(env, text)), len(text))
        else:
            env = known[1].apply(text) if known[1] is not None else envelope.split(text)
        self.last_message, self.last_level, self.last_kind = env.message, env.level, env.kind
        message, _address = messages.unwrap(env.message)
        wrapper = messages.XOSCAR_WRAPPER.search(env.message) if "[address=" in env.message else None
        address = wrapper.group(1) if wrapper else None
        process = env.tags[-1] if env.tags else env.pid
        events: list[Event] = []
        hints = self._hints(env)
        if hints:
            events.append(Event(line.number, "hint", hints, message, process, env.level, strength=1))
        if address:
            events.append(Event(line.number, "hint", {"remote_address": address}, message, process, env.level, 1))
        error_text = None
        rule_error: Event | None = None
        for rule, facts, error_start, stated_error in self._templates_of(message, env.kind, process, line.stream):
            if stated_error and rule_error is None:  # a template that quotes an error (a client's body)
                rule_error = Event(line.number, "error_line", stated_error, message, process, env.level, 2)
            events.append(Event(line.number, rule, facts, message, process, env.level))
            if error_start is not None and error_text is None:
                error_text = message[error_start:]
        error = self._error(message, env, line.number, process) or rule_error
        if error is None and error_text is not None:
            error = Event(line.number, "error_line", {"error_message": error_text.strip()}, message, process,
                          env.level, strength=1)
        if error is not None:
            events.append(error)
        self.outcome.observe(line.number, env.kind, env.level, env.message, [event.kind for event in events],
                             line.stream)
        self._remember(env.message, parsed=True)
        return events

    def _set_prefilter(self, literals: list[str]) -> None:
        self.prefilter = LiteralScanner(literals)
        self._digit_literals, self._lines = _line_memo(tuple(literals))

    def _same_verdict(self, key: bytes, passes: bool) -> bool | None:
        """The prefilter's verdict on every line with this masked text: the same, unless one of its
        literals with digits may be there (in a line with other digits, it may not)."""
        return None if any(literal in key for literal in self._digit_literals) else passes

    def _templates_of(self, message: str, kind: str, process: str | None, stream: str | None) -> _Templates:
        """The templates a message states, each (rule, facts, where an error message starts or None).

        Parsed once per exact message; a message repeated with other numbers (of any length) by a process (and
        stream) that already printed it replays what the first one stated, unparsed: the fact
        sheet keeps the first value per process anyway, and counts the repeats as its evidence."""
        digits_masked = masked(message)
        numbers = _NUMBERS_MASKED.get(digits_masked)
        if numbers is None:  # (a regex substitution: once per masked text)
            numbers = _NUMBERS_MASKED.remember(digits_masked, numbers_masked(message), len(message))
        key = (numbers, kind)
        seen = self._repeats.get(key)
        if seen is not None:
            replay = seen.get((process, stream))
            if replay is not None:
                return replay
        found = self._parsed(message, kind)
        if seen is None:
            seen = self._repeats.remember(key, {}, len(message))
        if self._replays < MAX_REPLAYS:
            seen[(process, stream)] = found
            self._replays += 1
        return found

    def stated_facts(self, message: str, kind: str) -> list[dict]:
        """The facts the templates of a line's message (after its header) state, parsed once per exact message;
        nothing else is changed."""
        message, _address = messages.unwrap(message)
        return [facts for _rule, facts, _error_start, _stated_error in self._parsed(message, kind)]

    def _parsed(self, message: str, kind: str) -> _Templates:
        found = _TEMPLATES.get((message, kind))
        if found is None:
            found = _TEMPLATES.remember((message, kind), self._parse_templates(message, kind), len(message))
        return found

    def _parse_templates(self, message: str, kind: str) -> _Templates:
        found: list[tuple[str, dict, int | None, dict]] = []
        parsed_from_start: set[str] = set()
        has_error = False
        for start, literal in self._message_anchors.occurrences(message):
            for anchor in self._by_literal[literal]:
                if not anchor.at_anchor:
                    if anchor.rule in parsed_from_start:
                        continue
                    parsed_from_start.add(anchor.rule)
                if anchor.rule == "server_ready" and kind in _XINFERENCE_HEADERS:
                    continue  # Xinference's own REST server is up: that says nothing of the model
                facts = messages.parse(message, anchor, start)
                if facts is not None:
                    error_start = None
                    if anchor.rule in ERROR_RULES and not has_error:
                        error_start, has_error = (start if anchor.at_anchor else 0), True
                    stated_error = {name: facts.pop(name) for name in _ERROR_FACTS if name in facts}
                    found.append((anchor.rule, facts, error_start, stated_error))
        return tuple(found)

    def _remember(self, message: str, parsed: bool = False) -> None:
        context = self._context
        stripped = message.strip()
        if stripped.startswith("Traceback (most recent call last)"):
            context.in_traceback = True
        elif not parsed and not stripped:
            context.in_traceback = False
        context.previous_message = message

    def _hints(self, env: envelope.Envelope) -> dict:
        hint_lines = self._context.hint_lines
        if hint_lines.count >= HINT_LINES:  # (raised past it by copies not read, see read/fold.py)
            self._stop_hints()
            return {}
        hint_lines.add()
        if hint_lines.count >= HINT_LINES:
            self._stop_hints()
        hints: dict = {}
        for tag in env.tags:
            name = tag.split(" ", 1)[0]
            for prefix, implied in _TAG_HINTS:
                if name.startswith(prefix):
                    hints.update({k: v for k, v in implied.items() if k not in hints})
                    break
            else:
                hints.setdefault("distributed_backend", "ray")  # Ray forwards actor output as `(Actor pid=N)`
        if env.kind == "vllm" and env.source:
            filename = env.source.rsplit("/", 1)[-1].split(":", 1)[0]
            if "engine" not in hints:
                if filename in _V0_FILES and "/v1/" not in env.source:
                    hints["engine"] = "v0"
                elif filename in _V1_FILES or env.source.startswith("v1/"):
                    hints["engine"] = "v1"
            if "distributed_backend" not in hints:
                if filename in _MP_FILES:
                    hints["distributed_backend"] = "mp"
                elif filename in _RAY_FILES:
                    hints["distributed_backend"] = "ray"
        if "engine" not in hints and "/vllm/" in env.message:
            hints.update(next(({"engine": engine} for path, engine in _FRAME_ENGINES if path in env.message), {}))
        if "distributed_backend" not in hints and "ray.exceptions." in env.message:
            hints["distributed_backend"] = "ray"
        if env.kind in ("xinference", "xinference_iso") or (env.source or "").startswith("xinference"):
            hints["xinference_era"] = {"xinference": "<=2.9", "xinference_iso": ">=2.10"}.get(env.kind, "unknown")
            if env.kind == "xinference" and env.role:
                hints["xinference_era"] = "2.9"
        return hints

    @property
    def reads_hints(self) -> bool:
        """Whether lines are still read for engine hints (the first HINT_LINES parsed lines are)."""
        return not self._hints_done

    def _stop_hints(self) -> None:
        """Hints are read no more: a worker tag alone no longer makes a line worth parsing."""
        if not self._hints_done:
            self._hints_done = True
            self._set_prefilter(prefilter_literals(self._extra_anchors, hints=False))

    def _error(self, message: str, env: envelope.Envelope, number: int, process: str | None) -> Event | None:
        stripped = message.strip()
        context = self._context
        wrapped = self._wrapped_error(message, stripped)
        if wrapped is not None:
            error_type, text, strength = wrapped
            context.last_error_type = error_type
            return Event(number, "exception", {"error_type": error_type, "error_message": text}, stripped, process,
                         env.level, strength)
        match = EXCEPTION_LINE.match(stripped)
        if match and message == stripped:
            text, _address = messages.unwrap(match.group("message") or "")
            previous = context.previous_message
            after_frame = context.in_traceback or previous.startswith((" ", "\t")) or "^^^" in previous
            strength = 1 if _GENERIC_ERRORS.search(text) else (3 if after_frame else 2)
            context.in_traceback = False
            context.last_error_type = match.group("type")
            return Event(number, "exception", {"error_type": match.group("type"), "error_message": text.strip()},
                         stripped, process, env.level, strength)
        header = IPYTHON_TRACEBACK_HEADER.match(stripped)
        if header:
            context.in_traceback = True
            return Event(number, "exception", {"error_type": header.group("type")}, stripped, process, env.level, 2)
        if env.level in ("ERROR", "CRITICAL") and XOSCAR_PREFIX.match(env.message):
            text, _address = messages.unwrap(env.message)
            if not _GENERIC_ERRORS.search(text):
                return Event(number, "error_line", {"error_message": text.strip()}, text, process, env.level, 1)
        return None

    def _wrapped_error(self, message: str, stripped: str) -> tuple[str, str, int] | None:
        """(class, message, strength) of an exception shown through a wrapper: Ray's task error (the
        root's class, a generic message), pydantic's `Value error, …` under a ValidationError (the root
        ValueError itself)."""
        ray = RAY_WRAPPED.match(stripped)
        if ray:
            return ray.group("type"), ray.group("message").strip(), 1
        value_error = PYDANTIC_VALUE_ERROR.match(message)
        if value_error and self._context.last_error_type.endswith("ValidationError"):
            return "ValueError", value_error.group("message").strip(), 3
        return None


XOSCAR_PREFIX = messages.XOSCAR_WRAPPER


def parse_lines(lines: Iterable[Line], parser: LineParser | None = None) -> Iterator[Event]:
    """Every event of a stream of clean lines, in order."""
    parser = parser or LineParser()
    for line in lines:
        yield from parser.feed(line)
