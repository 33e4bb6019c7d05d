"""Events → one fact sheet: the values, the lines that show them, and what they imply.

Several lines often state the same fact (every TP rank prints its weights; the launch arguments,
the engine config and a dtype fallback all speak of the dtype). Each event carries a strength: a
stronger source replaces a weaker one, equal sources keep the first value, and a different value
from another process is kept per process instead of being lost. Derived facts (compute capability
from the GPU name, KV tokens from blocks, model family from the name) are added only where the
log did not state them.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from logdoctor.parse import Event, hardware
from logdoctor.parse.repeats import Lines, Tally, numbers_masked, union
from logdoctor.report.redact import redact_value

MAX_FACT_INTEGER = 2**63  # no count, length or size in a server log is larger
# Processes whose differing value of one fact is kept: the fact's own process and the newest others.
# A restart loop or a pool of short-lived workers can print a fact from 200,000 pids; the start-up
# a diagnosis is about is the latest one, whose workers (a TP x PP of 16 is a large one) came last.
MAX_PROCESSES_PER_FACT = 17
_LIST_FACTS = frozenset({"gpus"})
# The engine's auto-fit (0.32+, `--max-model-len auto`) comes after the config dump and replaces its
# max_seq_len: the length it states is the one the server runs with.
_RULE_STRENGTH = {"engine_config": 3, "auto_fit_max_model_len": 4, "xinference_launch": 1, "xinference_model_config": 1,
                  "docker_image": 1}  # a pasted command says what was asked for; the log, what ran
_WEAK_VALUES = {("dtype", "auto"), ("quantization", "none"), ("distributed_backend", "uni")}
_ERROR_FACTS = ("error_type", "error_message")
# A model name or path is often the last thing on its line, so a line cut mid-way (a paste, a log
# viewer) leaves the start of it: a value that another line shows whole, longer, is that one cut.
_CUT_PRONE = frozenset({"model"})
# Templates only vLLM / Xinference print: a compose service that shows one is the engine's.
_ENGINE_RULES = frozenset({"engine_config", "api_server_version", "logo_version", "args_namespace", "non_default_args",
                           "xinference_launch", "xinference_model_config", "starting_to_load", "weights_loaded"})

# (pattern on the lower-cased model name or architecture, family). First match wins.
_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"distill[-_]?qwen|qwq|qwen2|qwen-?2\.5|qwen2\.5", "qwen2"), (r"qwen3", "qwen3"), (r"qwen", "qwen"),
    (r"distill[-_]?llama|llama|vicuna|codellama", "llama"), (r"mixtral", "mixtral"), (r"mistral", "mistral"),
    (r"gemma", "gemma"), (r"deepseek", "deepseek"), (r"phi", "phi"), (r"chatglm|glm", "glm"),
    (r"baichuan", "baichuan"), (r"internlm", "internlm"), (r"yi-|\byi\b", "yi"), (r"falcon", "falcon"),
    (r"llava", "llava"), (r"gpt-oss", "gpt-oss"),
)
# What vLLM's own memory outside the KV cache may be when the log does not say: its CUDA context,
# cuBLAS workspaces and NCCL buffers (0.06-0.90 GiB in the profiling lines of the corpus and samples),
# and the activation peak of the profiling run (0.4-2.9 GiB there). Memory beyond these that the
# budget counted as used belongs to something else on the GPU.
_OWN_NON_TORCH_GIB = 1.0
_ACTIVATION_ALLOWANCE_GIB = 3.0
_SIZE_IN_NAME = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)[bB](?![a-zA-Z])")


@dataclass(slots=True)
class _Candidate:
    value: object
    strength: int
    lines: Lines
    process: str | None


@dataclass
class FactSheet:
    """The facts of one log: values, evidence line numbers, and values that differ per process.

    `evidence` keeps, per fact, the first and the last few line numbers that show it (repeats.py);
    `evidence_count` says how many lines did."""

    facts: dict[str, object] = field(default_factory=dict)
    evidence: dict[str, list[int]] = field(default_factory=dict)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fact -> the facts it was derived from
    per_process: dict[str, dict[str, object]] = field(default_factory=dict)
    # per fact, how many other processes' values were not kept (MAX_PROCESSES_PER_FACT)
    per_process_omitted: dict[str, int] = field(default_factory=dict)
    evidence_count: dict[str, int] = field(default_factory=dict)

    def set_evidence(self, name: str, lines: Lines) -> None:
        self.evidence[name] = lines.shown
        self.evidence_count[name] = lines.count

    def evidence_lines(self, name: str) -> Lines:
        """The evidence of `name` as it was kept (its shown lines and its count)."""
        lines = Lines.of(self.evidence.get(name, []))
        lines.count = self.evidence_count.get(name, lines.count)
        return lines

    def get(self, name: str, default: object = None) -> object:
        return self.facts.get(name, default)


class FactSheetBuilder:
    """Collects events one at a time (streaming) and resolves them into a FactSheet."""

    def __init__(self) -> None:
        self._best: dict[str, _Candidate] = {}
        self._per_process: dict[str, dict[str, object]] = {}
        self._omitted: dict[str, Tally] = {}
        self._gpus: dict[str, Lines] = {}
        self._error: Event | None = None
        self._error_key: tuple[str, str] = ("", "")
        self._error_lines = Lines()
        # Distinct errors, by their text with the numbers masked: an error storm is one error.
        self._errors_seen: set[tuple[str, str]] = set()
        self._engine_streams: set[str] = set()
        self._held: dict[str, list[Event]] = {}

    def add(self, event: Event, stream: str | None = None) -> None:
        """Take one event; `stream` is the compose service (or container) that printed its line.

        In a compose log several services interleave (vLLM beside Open WebUI, a proxy...). Their
        facts count only once the service has shown a vLLM / Xinference line; until then they are
        held, and if no service ever shows one, all of them count after all.
        """
        if stream is None or stream in self._engine_streams:
            self._add(event)
        elif _speaks_for_the_engine(event):
            self._engine_streams.add(stream)
            for held in self._held.pop(stream, []):
                self._add(held)
            self._add(event)
        else:
            self._held.setdefault(stream, []).append(event)

    def _add(self, event: Event) -> None:
        if event.kind in ("exception", "error_line"):
            self._add_error(event)
            return
        strength = _RULE_STRENGTH.get(event.kind, event.strength)
        for name, value in event.facts.items():
            if name == "gpus":
                for gpu in value:  # type: ignore[union-attr]
                    self._gpus.setdefault(gpu, Lines()).add(event.line)
                continue
            self._offer(name, value, strength, event)

    def _offer(self, name: str, value: object, strength: int, event: Event) -> None:
        if not _finite(value):  # the fact boundary: nan, inf and absurd integers state nothing
            return
        if (name, value) in _WEAK_VALUES:
            strength = 0
        current = self._best.get(name)
        if current is not None and name in _CUT_PRONE:
            if _cut_of(value, current.value):
                return
            if _cut_of(current.value, value):  # the whole name replaces its cut, whatever the sources
                self._best[name] = _Candidate(value, max(strength, current.strength), Lines.of([event.line]),
                                              event.process)
                return
        if current is None or strength > current.strength:
            self._best[name] = _Candidate(value, strength, Lines.of([event.line]), event.process)
        elif _same(value, current.value):
            current.lines.add(event.line)
        elif strength == current.strength and event.process != current.process and event.process:
            self._note_process(name, current.process or "main", current.value)
            self._note_process(name, event.process, value)

    def keeps(self, name: str, value: object) -> bool:
        """Whether `value` is the value kept for `name` so far."""
        current = self._best.get(name)
        return current is not None and _same(value, current.value)

    def _note_process(self, name: str, process: str, value: object) -> None:
        """Keep `process`'s first value of `name`; past the limit the oldest kept process but the first
        (the fact's own) makes room, and is counted."""
        per = self._per_process.setdefault(name, {})
        if process in per:
            return
        if len(per) >= MAX_PROCESSES_PER_FACT:
            del per[next(itertools.islice(iter(per), 1, None))]
            self._omitted.setdefault(name, Tally()).add()
        per[process] = value

    def _add_error(self, event: Event) -> None:
        """The error of the log is the strongest, the last of equal strength; one repeated with other
        numbers (an error storm) stays the first of its kind, its repeats counted as its evidence."""
        key = (event.facts.get("error_type", ""), numbers_masked(event.facts.get("error_message", "")))
        self._errors_seen.add(key)
        current = self._error
        if current is not None and key == self._error_key:
            self._error_lines.add(event.line)
            if event.strength > current.strength:  # the same error, from a surer source (its exception line)
                self._error = event
        elif current is None or event.strength >= current.strength:
            self._error, self._error_key, self._error_lines = event, key, Lines.of([event.line])

    def result(self) -> FactSheet:
        """The fact sheet of the events so far; adding more events afterwards is fine (`--follow` asks often)."""
        if not self._engine_streams and self._held:  # no service spoke for the engine (yet): all of them count
            settled = copy.deepcopy(self)
            for events in settled._held.values():
                for event in events:
                    settled._add(event)
            settled._held.clear()
            return settled.result()
        sheet = FactSheet()
        for name, candidate in self._best.items():
            sheet.facts[name] = candidate.value
            sheet.set_evidence(name, candidate.lines)
        if self._gpus:
            sheet.facts["gpus"] = list(self._gpus)
            sheet.set_evidence("gpus", union(self._gpus.values()))
        if self._error is not None:
            for name in _ERROR_FACTS:
                if self._error.facts.get(name):
                    sheet.facts[name] = self._error.facts[name]
                    sheet.set_evidence(name, self._error_lines)
            sheet.facts["error_count"] = len(self._errors_seen)
        sheet.per_process = {k: v for k, v in self._per_process.items() if len(set(map(str, v.values()))) > 1}
        sheet.per_process_omitted = {name: tally.count for name, tally in self._omitted.items()
                                    if name in sheet.per_process}
        sheet.facts = {name: redact_value(value) for name, value in sheet.facts.items()}
        sheet.per_process = {name: {process: redact_value(value) for process, value in values.items()}
                             for name, values in sheet.per_process.items()}
        _derive(sheet)
        return sheet


def _finite(value: object) -> bool:
    """Whether a value can be a fact: not a NaN or infinite float (JSON has no spelling for them and a
    remedy would say "lower it from nan"), not an integer no server prints (`--max-model-len` with
    400 digits)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return abs(value) <= MAX_FACT_INTEGER
    return True


def _cut_of(shorter: object, longer: object) -> bool:
    """Whether `shorter` is `longer` cut short: both text, `longer` one word (not a name with
    something appended) that starts with `shorter`."""
    return (isinstance(shorter, str) and isinstance(longer, str) and len(shorter) < len(longer)
            and longer.startswith(shorter) and not any(char.isspace() for char in longer))


def _speaks_for_the_engine(event: Event) -> bool:
    """The event's line comes from vLLM or Xinference themselves (a header, tag or template of theirs)."""
    if event.kind == "hint":
        return "engine" in event.facts or "xinference_era" in event.facts
    return event.kind in _ENGINE_RULES


def _same(a: object, b: object) -> bool:
    """Equal, or the same number printed at another precision (4.5686 GB vs 4.57GiB)."""
    if isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        return abs(a - b) <= 0.006 * max(abs(a), abs(b), 1e-9) or abs(a - b) < 0.006
    return a == b


def _set_derived(sheet: FactSheet, name: str, value: object, *sources: str) -> None:
    """Add a fact the log implies (unless it stated it), saying from which facts: their lines are its evidence."""
    if name in sheet.facts or value is None:
        return
    sheet.facts[name] = value
    sheet.derived[name] = tuple(source for source in sources if source in sheet.facts)
    sheet.set_evidence(name, union(sheet.evidence_lines(source) for source in sources if source in sheet.evidence))


def model_family(*names: object) -> str | None:
    """Model family from a model path/name or an architecture class name."""
    for name in names:
        if not isinstance(name, str):
            continue
        lowered = name.lower().rsplit("/", 1)[-1] if "/" in name else name.lower()
        for pattern, family in _FAMILIES:
            if re.search(pattern, lowered):
                return family
    return None


def engine_of_version(version: object) -> str | None:
    """The engine a vLLM release can only have run: V0 before 0.6.4 (no V1 yet), V1 from 0.11.0 (V0 removed)."""
    numbers = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", str(version or ""))
    if not numbers:
        return None
    release = tuple(int(n or 0) for n in numbers.groups())
    if release >= (0, 11, 0):
        return "v1"
    if release < (0, 6, 4):
        return "v0"
    return None


def _derive(sheet: FactSheet) -> None:
    """Add what the stated facts imply; never overwrite a stated fact."""
    facts = sheet.facts
    gpus = facts.get("gpus") or []
    _derive_platform(sheet, gpus)
    if facts.get("platform") == "rocm":
        _derive_amd_target(sheet, gpus)
    else:
        capabilities = [c for c in (hardware.capability_of(g) for g in gpus) if c is not None]
        if capabilities:
            _set_derived(sheet, "compute_capability", min(capabilities), "gpus")
    capability = facts.get("compute_capability")
    if isinstance(capability, (int, float)) and facts.get("platform", "cuda") == "cuda":
        _set_derived(sheet, "gpu_target", hardware.sm_target_of(float(capability)), "compute_capability")
        _set_derived(sheet, "gpu_arch", hardware.architecture_of(float(capability)), "compute_capability")
        _set_derived(sheet, "pre_ampere", float(capability) < 8.0, "compute_capability")
    if facts.get("attention_backend") == "FLASH_ATTN" and facts.get("platform", "cuda") == "cuda":
        _set_derived(sheet, "pre_ampere", False, "attention_backend")  # FlashAttention-2/3 run on 8.0+ only
    _set_derived(sheet, "engine", engine_of_version(facts.get("vllm_version")), "vllm_version")
    family_source = [facts.get("architecture"), facts.get("model"), facts.get("served_model_name")]
    _set_derived(sheet, "model_family", model_family(*family_source), "architecture", "model")
    for name in (facts.get("model"), facts.get("served_model_name")):
        size = _SIZE_IN_NAME.search(name.rsplit("/", 1)[-1]) if isinstance(name, str) else None
        if size:
            _set_derived(sheet, "model_size_b", float(size.group(1)), "model")
            break
    blocks = facts.get("gpu_blocks")
    if isinstance(blocks, int) and blocks >= 0:
        block_size = facts.get("block_size") if isinstance(facts.get("block_size"), int) else 16
        _set_derived(sheet, "kv_cache_tokens", blocks * block_size, "gpu_blocks")
    tokens, max_len = facts.get("kv_cache_tokens"), facts.get("max_model_len")
    if isinstance(tokens, int) and isinstance(max_len, int):
        _set_derived(sheet, "kv_cache_fits_max_model_len", tokens >= max_len, "kv_cache_tokens", "max_model_len")
    if facts.get("kv_tokens_needed") and "kv_cache_fits_max_model_len" not in facts:
        _set_derived(sheet, "kv_cache_fits_max_model_len", False, "kv_tokens_needed")
    _derive_memory_shortfall(sheet)
    tp, pp = facts.get("tensor_parallel_size"), facts.get("pipeline_parallel_size") or 1
    if isinstance(tp, int) and isinstance(pp, int):
        _set_derived(sheet, "gpu_count", tp * pp, "tensor_parallel_size")
    elif gpus:
        _set_derived(sheet, "gpu_count", len(gpus), "gpus")


def _number_fact(facts: dict[str, object], name: str) -> float | None:
    value = facts.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _derive_memory_shortfall(sheet: FactSheet) -> None:
    """What the KV cache should have been, and how much of the budget went to something that is not vLLM.

    vLLM sizes the KV cache as budget (total x utilization) minus weights, the profiling run's
    activation peak and the non-torch memory it measured. Memory another process takes while vLLM
    measures (a second instance starting on the same GPU, a trainer) is counted as vLLM's own
    non-torch memory, so the cache shrinks and the numbers show it: the difference between the
    cache the budget allows and the one vLLM reserved. The remedy then differs from a plain
    too-small cache: free the GPU rather than shorten the context.
    """
    facts = sheet.facts
    weights, kv_cache = _number_fact(facts, "weights_gib"), _number_fact(facts, "kv_cache_gib")
    activation, non_torch = _number_fact(facts, "activation_peak_gib"), _number_fact(facts, "non_torch_gib")
    total, utilization = _number_fact(facts, "gpu_total_gib"), _number_fact(facts, "gpu_memory_utilization")
    if weights is None or kv_cache is None:
        return
    if total is not None and utilization is not None:
        _set_derived(sheet, "memory_budget_gib", round(total * utilization, 2),
                     "gpu_total_gib", "gpu_memory_utilization")
    elif activation is not None and non_torch is not None:  # V1's profiling summary: budget = its parts
        _set_derived(sheet, "memory_budget_gib", round(weights + activation + non_torch + kv_cache, 2),
                     "weights_gib", "activation_peak_gib", "non_torch_gib", "kv_cache_gib")
    budget = _number_fact(facts, "memory_budget_gib")
    if budget is None:
        return
    own_non_torch = min(non_torch, _OWN_NON_TORCH_GIB) if non_torch is not None else _OWN_NON_TORCH_GIB
    expected = budget - weights - (activation if activation is not None else _ACTIVATION_ALLOWANCE_GIB) - own_non_torch
    sources = ("memory_budget_gib", "weights_gib", "activation_peak_gib", "non_torch_gib", "kv_cache_gib")
    _set_derived(sheet, "kv_cache_expected_gib", round(expected, 2), *sources)
    _set_derived(sheet, "gpu_memory_missing_gib", round(max(0.0, expected - kv_cache), 2), *sources)


# Attention backends only one platform has (messages.py's canonical names).
_PLATFORM_OF_BACKEND = {"ROCM_FLASH": "rocm", "ROCM_ATTN": "rocm", "ROCM_AITER_FA": "rocm", "PALLAS": "tpu",
                        "IPEX": "xpu", "CPU_ATTN": "cpu"}


def _derive_platform(sheet: FactSheet, gpus: list) -> None:
    """The platform when no line named it: a gfx target, a platform's own attention backend, the devices'
    vendor, and last a compute capability (vLLM states one only for NVIDIA GPUs)."""
    facts = sheet.facts
    if isinstance(facts.get("gpu_target"), str) and str(facts["gpu_target"]).startswith("gfx"):
        _set_derived(sheet, "platform", "rocm", "gpu_target")
    _set_derived(sheet, "platform", _PLATFORM_OF_BACKEND.get(str(facts.get("attention_backend"))), "attention_backend")
    _set_derived(sheet, "platform", next(filter(None, map(hardware.platform_of, gpus)), None), "gpus")
    if isinstance(facts.get("compute_capability"), (int, float)):
        _set_derived(sheet, "platform", "cuda", "compute_capability")


def _derive_amd_target(sheet: FactSheet, gpus: list) -> None:
    """An AMD GPU's gfx target from its name, and the architecture family of the target."""
    _set_derived(sheet, "gpu_target", next(filter(None, map(hardware.gfx_target_of, gpus)), None), "gpus")
    target = sheet.facts.get("gpu_target")
    if isinstance(target, str) and target.startswith("gfx"):
        _set_derived(sheet, "gpu_arch", hardware.amd_architecture_of(target), "gpu_target")


def build(events: Iterable[Event]) -> FactSheet:
    """The fact sheet of a stream of events."""
    builder = FactSheetBuilder()
    for event in events:
        builder.add(event)
    return builder.result()
