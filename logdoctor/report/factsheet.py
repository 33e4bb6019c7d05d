"""The fact sheet as a person scans it: grouped, aligned, with the lines that show each fact."""

from __future__ import annotations

from logdoctor.parse.facts import FactSheet
from logdoctor.read.source import ReadStats
from logdoctor.report.terminal import FALLBACK_WIDTH, columns, cut_middle, wrap

# (section title, facts in display order). Facts not listed here go under "other".
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("software", ("vllm_version", "engine", "engine_fell_back_to_v0", "xinference_version", "xinference_era",
                  "platform", "torch_version", "driver_version", "cuda_version", "nccl_version")),
    ("model", ("model", "served_model_name", "architecture", "model_family", "model_size_b", "model_dtype",
               "dtype", "quantization", "quant_kernel", "kv_cache_dtype", "model_uid", "model_engine",
               "model_format", "xinference_quantization", "n_gpu")),
    ("parallelism", ("tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size",
                     "distributed_backend", "gpu_count", "p2p_disabled", "remote_address")),
    ("hardware", ("gpus", "compute_capability", "gpu_target", "gpu_arch", "pre_ampere", "gpu_total_gib")),
    ("memory per GPU", ("gpu_memory_utilization", "memory_budget_gib", "weights_gib", "activation_peak_gib",
                        "non_torch_gib", "kv_cache_gib", "kv_cache_expected_gib", "gpu_memory_missing_gib",
                        "cuda_graph_gib", "gpu_free_gib")),
    ("KV cache", ("max_model_len", "gpu_blocks", "cpu_blocks", "block_size", "kv_cache_tokens",
                  "max_concurrency", "kv_cache_fits_max_model_len", "kv_tokens_needed", "kv_gib_needed",
                  "max_model_len_estimate", "max_num_seqs", "max_num_batched_tokens")),
    ("runtime", ("attention_backend", "flash_attn_version", "enforce_eager", "trust_remote_code",
                 "server_ready")),
    ("error", ("error_type", "error_message", "error_count")),
)
_NAME, _VALUE, _MIN_VALUE = 28, 44, 12  # columns: fact name, value (aligned), value at least
_UNITS = {"weights_gib": " GiB", "activation_peak_gib": " GiB", "non_torch_gib": " GiB", "kv_cache_gib": " GiB",
          "cuda_graph_gib": " GiB", "gpu_free_gib": " GiB", "gpu_total_gib": " GiB", "memory_budget_gib": " GiB",
          "kv_gib_needed": " GiB", "kv_cache_expected_gib": " GiB", "gpu_memory_missing_gib": " GiB",
          "model_size_b": "B"}


def format_value(name: str, value: object) -> str:
    """A fact value the way a person reads it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        counts: dict[str, int] = {}
        for item in value:
            counts[str(item)] = counts.get(str(item), 0) + 1
        return ", ".join(f"{n} × {item}" if n > 1 else item for item, n in counts.items())
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text + _UNITS.get(name, "")
    if isinstance(value, int) and value >= 10000:
        return f"{value:,}"
    return str(value) + _UNITS.get(name, "")


def line_numbers(numbers: list[int], count: int | None = None, head: int = 4) -> str:
    """Evidence lines as a person reads them: `5`, `3, 9, 12`, or, when more lines show it than are
    listed, the first few, the last and the count: `1, 2, 3, 4, …, 999998 (1,000,000 lines)`."""
    count = len(numbers) if count is None else count
    if count <= head or len(numbers) <= head:
        return ", ".join(map(str, numbers))
    return f"{', '.join(map(str, numbers[:head]))}, …, {numbers[-1]} ({count:,} lines)"


def _lines(numbers: list[int], count: int | None = None) -> str:
    if not numbers:
        return ""
    return f"{'line' if len(numbers) == 1 else 'lines'} {line_numbers(numbers, count)}"


def _shown_by(sheet: FactSheet, name: str) -> str:
    """What shows a fact: its lines, or for a derived fact the facts it comes from (`from gpus`), whose
    lines are its evidence."""
    if name in sheet.derived:
        return f"from {', '.join(sheet.derived[name])}" if sheet.derived[name] else ""
    return _lines(sheet.evidence.get(name, []), sheet.evidence_count.get(name))


def render(sheet: FactSheet, stats: ReadStats, title: str = "facts", width: int = FALLBACK_WIDTH) -> str:
    """The fact sheet as aligned text in `width` columns, one section per group, evidence lines on the
    right (dropped when the terminal is too narrow for them); long values are cut in the middle."""
    out = wrap(stats.describe(), width, first=f"{title}: ", rest="  ")
    header = len(out)
    sections = [*SECTIONS, ("other", tuple(sorted(set(sheet.facts) - {n for _, ns in SECTIONS for n in ns})))]
    room = width - 4 - _NAME - 1  # for the value and the lines
    lines_width = max((columns(_lines(numbers, sheet.evidence_count.get(name))) for name, numbers in
                       sheet.evidence.items()), default=0)
    value_width = min(_VALUE, room - 1 - lines_width)
    if value_width < _MIN_VALUE:  # too narrow for the lines column: values only
        value_width, lines_width = room, 0
    for section, names in sections:
        rows = [(name, sheet.facts[name]) for name in names if name in sheet.facts]
        if not rows:
            continue
        out.append(f"  {section}")
        for name, value in rows:
            text = cut_middle(format_value(name, value), value_width)
            lines = cut_middle(_shown_by(sheet, name), lines_width) if lines_width else ""
            out.append(f"    {name:<{_NAME}} {text}{' ' * (value_width - columns(text) + 1)}{lines}".rstrip())
            for process, value_of in sheet.per_process.get(name, {}).items():
                out.append(cut_middle(f"      {process:<{_NAME - 2}} {format_value(name, value_of)}", width))
            omitted = sheet.per_process_omitted.get(name)
            if omitted:
                out.append(f"      … and {omitted} other process{'es' * (omitted > 1)}, not kept")
    if len(out) == header:
        out.append("  no facts found: is this a vLLM or Xinference log?")
    return "\n".join(out)
