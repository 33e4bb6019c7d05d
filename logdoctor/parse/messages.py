"""Turn a fact-bearing message into fact values, with `grammar/messages.lark`.

Each start rule of the grammar is one message template; `MessageFacts` has one method per rule,
same name, returning the facts that message states. `ANCHORS` maps the literal that identifies a
template to its rule, derived from the grammar itself so the two can never drift apart: the
prefilter looks for these literals, and only a line containing one is parsed at all.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import shlex
from dataclasses import dataclass
from functools import cache

from lark import Token, Transformer
from lark.exceptions import LarkError
from lark.lexer import PatternStr

from logdoctor.parse import hardware, kvdump
from logdoctor.parse.grammars import lalr_parser

_MIN_ANCHOR = 6
# An xoscar remote-exception wrapper in front of a message: `[address=0.0.0.0:38873, pid=236010] `.
XOSCAR_WRAPPER = re.compile(r"\[address=([^,\]]*), pid=(\d+)\] ?")
_GIB_PER_UNIT = {"GIB": 1.0, "GB": 1.0, "MIB": 1 / 1024, "MB": 1 / 1024, "KIB": 1 / 1024**2, "KB": 1 / 1024**2}


@dataclass(frozen=True, slots=True)
class Anchor:
    """A literal that marks a template in a line; `at_anchor`: parsing starts at the literal."""

    literal: str
    rule: str
    at_anchor: bool


def _number(token: str) -> float | int:
    """A number as printed; ValueError for one no server prints (inf, nan, 1e999, 400 digits)."""
    text = str(token).replace(",", "")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text[:20]}")
    return int(value) if value.is_integer() and "." not in text else value


def _gib(number: Token, unit: Token | None) -> float:
    scale = _GIB_PER_UNIT.get(str(unit).strip().upper(), 1.0) if unit is not None else 1.0
    return round(float(_number(number)) * scale, 4)


def _dtype(token: str) -> str:
    name = str(token).removeprefix("torch.")
    return {"half": "float16", "float": "float32"}.get(name, name)


def _tokens(items: list) -> dict[str, list[Token]]:
    by_type: dict[str, list[Token]] = {}
    for item in items:
        if isinstance(item, Token):
            by_type.setdefault(item.type, []).append(item)
    return by_type


# Display spellings, compared without case, spaces, dashes and underscores (`Rocm Attention`, `ROCmFlashAttention`).
_BACKENDS = {
    "xformers": "XFORMERS", "flashattention": "FLASH_ATTN", "flashattention2": "FLASH_ATTN", "flashattn": "FLASH_ATTN",
    "flashinfer": "FLASHINFER", "torchsdpa": "TORCH_SDPA", "triton": "TRITON_ATTN", "tritonattention": "TRITON_ATTN",
    "tritonattn": "TRITON_ATTN", "flexattention": "FLEX_ATTENTION", "tritonmla": "TRITON_MLA", "flashmla": "FLASHMLA",
    "cutlassmla": "CUTLASS_MLA", "flashinfermla": "FLASHINFER_MLA", "flashattentionmla": "FLASH_ATTN_MLA",
    "treeattention": "TREE_ATTN", "dualchunkflashattention": "DUAL_CHUNK",
    # ROCm (platforms/rocm.py): V0 `ROCmFlashAttention`, V1 `Rocm Attention`, `Aiter Flash Attention`, …
    "rocmflashattention": "ROCM_FLASH", "rocmflash": "ROCM_FLASH", "rocmattention": "ROCM_ATTN",
    "rocmattn": "ROCM_ATTN", "aiterflashattention": "ROCM_AITER_FA", "rocmaiterfa": "ROCM_AITER_FA",
    "aiterunifiedattention": "ROCM_AITER_UNIFIED_ATTN", "rocmaiterunifiedattn": "ROCM_AITER_UNIFIED_ATTN",
    "aitermla": "ROCM_AITER_MLA", "rocmaitermla": "ROCM_AITER_MLA", "aitertritonmla": "ROCM_AITER_TRITON_MLA",
}
_BACKEND_ENUMS = {
    "FLASH_ATTN", "XFORMERS", "FLASHINFER", "TORCH_SDPA", "TRITON_ATTN", "FLEX_ATTENTION", "TRITON_MLA",
    "FLASHMLA", "CUTLASS_MLA", "FLASHINFER_MLA", "FLASH_ATTN_MLA", "FLASHMLA_SPARSE", "ROCM_FLASH", "ROCM_ATTN",
    "ROCM_AITER_FA", "ROCM_AITER_UNIFIED_ATTN", "ROCM_AITER_MLA", "ROCM_AITER_TRITON_MLA", "TREE_ATTN", "CPU_ATTN",
    "PALLAS", "IPEX", "TURBOQUANT",
}
# How V0 (0.4–0.10) named its backends in `Using X backend.`; V1 says `… backend on V1 engine.` (0.7–0.11),
# then prints enum names (0.11.1+). Compared as printed: `FLASHINFER` is not `FlashInfer`.
_V0_BACKEND_SPELLINGS = frozenset({"Flash Attention", "FlashAttention", "FlashAttention-2", "XFormers", "Flashinfer",
                                   "FlashInfer", "ROCmFlashAttention"})


def backend_name(raw: str) -> str | None:
    """Canonical attention-backend name for the way a release printed it, or None if not a backend."""
    name = raw.strip().removeprefix("AttentionBackendEnum.").removeprefix("_Backend.")
    name = re.sub(r"(?i)_VLLM_V1$|[ _]?backend$", "", name)
    if name.upper() in _BACKEND_ENUMS:
        return name.upper()
    return _BACKENDS.get(re.sub(r"[\s_\-]", "", name).lower().removesuffix("attentionbackend"))


class MessageFacts(Transformer):
    """One method per rule of grammar/messages.lark: the facts that message states."""

    # -- versions, engine, launch arguments
    def engine_config(self, items: list) -> dict:
        tokens = _tokens(items)
        facts: dict = {}
        kind = next(iter(t for t in tokens if t.startswith("ENGINE_")), None)
        if kind == "ENGINE_V0":
            facts["engine"] = "v0"
        elif kind == "ENGINE_V1":
            facts["engine"] = "v1"
        if "VERSION_PAREN" in tokens:
            facts["vllm_version"] = tokens["VERSION_PAREN"][0].strip()[2:-1]
        if "REST" in tokens:
            facts.update(config_facts(kvdump.read_pairs(tokens["REST"][0])))
        return facts

    def api_server_version(self, items: list) -> dict:
        return {"vllm_version": str(_tokens(items)["VERSION"][0]).lstrip("v").rstrip(",")}

    def cudagraph_profiling_utilization(self, items: list) -> dict:
        return {"gpu_memory_utilization": float(items[0])}

    def xinference_vllm_version(self, items: list) -> dict:
        return self.api_server_version(items)

    def logo_version(self, items: list) -> dict:
        return self.api_server_version(items)

    def logo_model(self, items: list) -> dict:
        return {"model": str(items[0]).strip()}

    def args_namespace(self, items: list) -> dict:
        return config_facts(kvdump.read_pairs(items[0]))

    non_default_args = args_namespace
    xinference_model_config = args_namespace

    def xinference_launch(self, items: list) -> dict:
        text = str(items[0])
        kwargs = text.split("kwargs: ", 1)[1] if "kwargs: " in text else text
        return xinference_launch_facts(kvdump.read_pairs(kwargs))

    def xinference_failed_load(self, items: list) -> dict:
        return {"model_uid": str(items[0])}

    def platform_detected(self, items: list) -> dict:
        return {"platform": platform_name(str(items[0]).rstrip("."))}

    def platform_plugin(self, items: list) -> dict:
        return {"platform": platform_name(str(items[0]))}

    def platform_cue(self, items: list) -> dict:
        cue = next(item for item in items if isinstance(item, Token) and item.type != "REST")
        return {"platform": cue.type.split("_", 1)[0].lower()}

    def aiter_gpu_arch(self, items: list) -> dict:
        text = str(_tokens(items)["REST"][0])
        if "mla_gluon" in text or " got " in text:  # `requires gfx950 (CDNA4), got gfx942`: the GPU is the one got
            text = text.rsplit(" got ", 1)[-1]
        return _gfx_facts(text)

    def hipblaslt_no_paths(self, items: list) -> dict:
        return _gfx_facts(str(items[0]))

    def collect_env_rocm(self, items: list) -> dict:
        return {"platform": "rocm"}

    def resolved_architecture(self, items: list) -> dict:
        return {"architecture": str(items[0])}

    def max_model_len_used(self, items: list) -> dict:
        return {"max_model_len": _number(items[0])}

    def chunked_prefill(self, items: list) -> dict:
        return {"max_num_batched_tokens": _number(items[0])}

    def starting_to_load(self, items: list) -> dict:
        return {"model": str(items[0]).strip().removesuffix("...")}

    def command_line(self, items: list) -> dict:
        return command_line_facts(str(_tokens(items)["REST"][0]))

    def docker_image(self, items: list) -> dict:
        tokens = _tokens(items)
        release = _IMAGE_RELEASE.match(str(tokens["IMAGE_TAG"][0])) if "IMAGE_TAG" in tokens else None
        if "XINFERENCE_IMAGE" in tokens:
            return {"xinference_version": release.group(1)} if release else {}
        rest = str(tokens["REST"][0]) if "REST" in tokens else ""
        facts = command_line_facts(rest) if rest[:1].isspace() else {}  # not `"vllm/vllm-openai:v1" in 3s`
        if release:
            facts["vllm_version"] = release.group(1)
        return facts

    def nim_profile_tp(self, items: list) -> dict:
        return {"tensor_parallel_size": _number(items[0])}

    def transformers_default_dtype(self, items: list) -> dict:
        return {"dtype": _dtype(items[0])}

    # -- dtype and GPU generation
    def casting(self, items: list) -> dict:
        source, target = items[0], items[1]
        return {"model_dtype": _dtype(source), "dtype": _dtype(target)}

    def dtype_fallback(self, items: list) -> dict:
        tokens = _tokens(items)
        return {"gpus": [tokens["QUOTED"][0].strip("'")], "compute_capability": float(tokens["NUMBER"][0]),
                "model_dtype": _dtype(tokens["DTYPE_WORD"][0]), "dtype": _dtype(tokens["DTYPE_WORD"][1])}

    def dtype_fallback_named(self, items: list) -> dict:
        tokens = _tokens(items)
        facts = {"gpus": [str(tokens["GPU_NAME_BEFORE_DEVICE"][0]).strip()],
                 "model_dtype": _dtype(tokens["DTYPE_WORD"][0]), "dtype": _dtype(tokens["DTYPE_WORD"][1])}
        if "CAPABILITY_PAREN" in tokens:
            facts["compute_capability"] = float(str(tokens["CAPABILITY_PAREN"][0]).rsplit(" ", 1)[1].rstrip(")"))
        return facts

    def bf16_unsupported(self, items: list) -> dict:
        tokens = _tokens(items)
        facts: dict = {"gpus": [str(tokens["GPU_NAME_BEFORE_GPU"][0]).strip()], "dtype": "bfloat16"}
        capability = re.search(r"\d+\.\d+", tokens["CAPABILITY_CLAUSE"][0])
        if capability:
            facts["compute_capability"] = float(capability.group())
        return facts

    def v1_refused_capability(self, items: list) -> dict:
        return {"pre_ampere": True, "engine_fell_back_to_v0": True, "engine": "v0"}

    def cannot_use_flash_attention(self, items: list) -> dict:
        rest = str(items[0]) if items else ""
        return {"pre_ampere": True} if "Volta" in rest or "Turing" in rest else {}

    def flash_attention_needs_ampere(self, items: list) -> dict:
        return {}

    def torch_arch_incompatible(self, items: list) -> dict:
        tokens = _tokens(items)
        sm = str(tokens["NUMBER"][0])
        return {"gpus": [str(tokens["GPU_NAME_BEFORE_CUDA"][0]).strip()],
                "compute_capability": float(f"{sm[:-1]}.{sm[-1]}")}

    def torch_found_gpu(self, items: list) -> dict:
        tokens = _tokens(items)
        return {"gpus": [str(tokens["GPU_NAME_BEFORE_WHICH"][0]).strip()],
                "compute_capability": float(tokens["NUMBER"][1])}

    def nvidia_smi_versions(self, items: list) -> dict:
        versions = _tokens(items)["VERSION"]
        return {"driver_version": str(versions[0]), "cuda_version": str(versions[1])}

    def nvidia_smi_gpu_row(self, items: list) -> dict:
        cell = str(_tokens(items)["NVSMI_GPU_CELL"][0])
        name = re.match(r"\|\s+\d+\s+(.+?)\s+(?:On|Off)\s+$", cell)
        return {"gpus": [name.group(1).removesuffix("...")]} if name else {}  # a long name is cut: `A100-SXM...`

    def collect_env_driver(self, items: list) -> dict:
        return {"driver_version": str(_tokens(items)["VERSION"][0])}

    def collect_env_cuda(self, items: list) -> dict:
        return {"cuda_version": str(_tokens(items)["VERSION"][0])}

    def collect_env_torch(self, items: list) -> dict:
        return {"torch_version": str(_tokens(items)["VERSION"][0])}

    def collect_env_gpu(self, items: list) -> dict:
        tokens = _tokens(items)
        return _collect_env_gpu_facts(str((tokens.get("REST") or tokens["COLLECT_ENV_GPU_NAME"])[0]))

    def collect_env_gpu_row(self, items: list) -> dict:
        return _collect_env_gpu_facts(str(_tokens(items)["COLLECT_ENV_GPU_NAME"][0]))

    def collect_env_vllm(self, items: list) -> dict:
        return {"vllm_version": str(_tokens(items)["VERSION"][0])}

    def unsloth_capability(self, items: list) -> dict:
        return {"compute_capability": float(_number(items[0]))}

    def unsloth_banner_gpu(self, items: list) -> dict:
        name = re.search(r"(?:NVIDIA|Tesla|Quadro)[^|\\]*$", str(items[0]))
        return {"gpus": [name.group().strip()]} if name else {}

    def cuda_toolkit(self, items: list) -> dict:
        return {"cuda_version": str(_tokens(items)["VERSION"][0]).rstrip(".")}

    cuda_banner = cuda_toolkit

    def free_memory_on_device(self, items: list) -> dict:
        text = str(items[0])
        facts: dict = {}
        free = re.search(r"\((-?[\d.]+)/([\d.]+) GiB\)", text)
        if free:
            facts["gpu_free_gib"], facts["gpu_total_gib"] = float(free.group(1)), float(free.group(2))
        utilization = re.search(r"\(([\d.]+), [\d.]+ GiB\)", text)
        if utilization:
            facts["gpu_memory_utilization"] = float(utilization.group(1))
        return facts

    def cuda_out_of_memory(self, items: list) -> dict:
        tokens = _tokens(items)
        rest = str(tokens["REST"][0]) if "REST" in tokens else ""
        facts: dict = {}
        device = next((kind for kind in _OOM_PLATFORMS if kind in tokens), None)
        if device:
            facts["platform"] = _OOM_PLATFORMS[device]
        total = re.search(r"total capac\w* of ([\d.]+) GiB|\([GN]PU \d+; ([\d.]+) GiB total", rest)
        if total:
            facts["gpu_total_gib"] = float(total.group(1) or total.group(2))
        free = re.search(r"of which ([\d.]+) (GiB|MiB) is free|([\d.]+) (GiB|MiB) free", rest)
        if free:
            value, unit = (free.group(1), free.group(2)) if free.group(1) else (free.group(3), free.group(4))
            facts["gpu_free_gib"] = round(float(value) / (1024 if unit == "MiB" else 1), 4)
        return facts

    def fp8_weight_only_marlin(self, items: list) -> dict:
        return {}

    # -- model loading and the memory budget
    def weights_loaded(self, items: list) -> dict:
        tokens = _tokens(items)
        return {"weights_gib": _gib(tokens["NUMBER"][0], tokens["UNIT"][0])}

    def profile_budget(self, items: list) -> dict:
        tokens = _tokens(items)
        total, utilization = (float(_number(n)) for n in tokens["NUMBER"][:2])
        stated = re.match(r" = (\d+(?:\.\d+)?)GiB", str(tokens.get("REST", [""])[0]))
        budget = float(stated.group(1)) if stated else round(total * utilization, 2)
        return {"gpu_total_gib": total, "gpu_memory_utilization": utilization, "memory_budget_gib": budget}

    def profile_weights(self, items: list) -> dict:
        return {"weights_gib": float(_number(items[0]))}

    def profile_non_torch(self, items: list) -> dict:
        return {"non_torch_gib": float(_number(items[0]))}

    def profile_activation(self, items: list) -> dict:
        return {"activation_peak_gib": float(_number(items[0]))}

    def profile_kv_cache(self, items: list) -> dict:
        return {"kv_cache_gib": float(_number(items[0]))}

    def profile_results_v064(self, items: list) -> dict:
        pairs = {key: value.rstrip("GiBb").strip() for key, value in
                 (part.split("=", 1) for part in str(items[0]).split() if "=" in part)}
        facts: dict = {}
        for key, fact in (("total_gpu_memory", "gpu_total_gib"), ("kv_cache_size", "kv_cache_gib"),
                          ("non_torch_memory", "non_torch_gib"),
                          ("gpu_memory_utilization", "gpu_memory_utilization")):
            if key in pairs:
                facts[fact] = float(pairs[key])
        return facts

    def profile_summary_v1(self, items: list) -> dict:
        rest = str(items[0])
        facts: dict = {}
        for label, fact in (("torch peak memory increase", "activation_peak_gib"),
                            ("non-torch forward increase memory", "non_torch_gib"), ("weights memory", "weights_gib")):
            stated = re.search(re.escape(label) + r": (-?[\d.]+)GiB", rest)
            if stated:
                facts[fact] = float(stated.group(1))
        return facts

    def available_kv_cache(self, items: list) -> dict:  # v1/worker/gpu_worker.py
        tokens = _tokens(items)
        return {"kv_cache_gib": _gib(tokens["NUMBER"][0], tokens["UNIT"][0]), "engine": "v1"}

    def graph_capture(self, items: list) -> dict:
        tokens = _tokens(items)
        if "GRAPH_MEMORY" in tokens:
            return {"cuda_graph_gib": float(re.findall(r"-?[\d.]+", tokens["GRAPH_MEMORY"][0])[0])}
        return {}

    # -- KV-cache capacity
    def gpu_blocks(self, items: list) -> dict:
        tokens = _tokens(items)
        facts: dict = {"gpu_blocks": _number(tokens["NUMBER"][0])}
        device = str(tokens["BLOCK_DEVICE"][0])
        if device not in ("GPU", "CUDA"):  # 0.7.0-0.7.2 print torch's dispatch key, `CUDA` on ROCm too
            facts["platform"] = platform_name(device.lower())
        if "CPU_BLOCKS" in tokens:  # V1 has no swap space: only V0 prints CPU blocks
            facts["cpu_blocks"] = int(tokens["CPU_BLOCKS"][0].rsplit(" ", 1)[1])
            facts["engine"] = "v0"
        return facts

    def num_gpu_blocks_v1(self, items: list) -> dict:
        return {"gpu_blocks": _number(items[0])}

    def kv_cache_size_tokens(self, items: list) -> dict:  # v1/core/kv_cache_utils.py
        return {"kv_cache_tokens": _number(items[0]), "engine": "v1"}

    def max_concurrency(self, items: list) -> dict:
        length, concurrency = _tokens(items)["NUMBER"][:2]
        return {"max_model_len": _number(length), "max_concurrency": float(_number(concurrency))}

    def auto_fit_max_model_len(self, items: list) -> dict:
        return {"max_model_len": _number(_tokens(items)["NUMBER"][1])}

    def kv_cache_too_small_v0(self, items: list) -> dict:
        wanted, held = _tokens(items)["NUMBER"][:2]
        return {"max_model_len": _number(wanted), "kv_cache_tokens": _number(held),
                "kv_tokens_needed": _number(wanted)}

    def kv_cache_too_small_v1(self, items: list) -> dict:
        tokens = _tokens(items)
        wanted, needed, available = tokens["NUMBER"][:3]
        units = tokens.get("UNIT", [None, None])
        facts = {"max_model_len": _number(wanted), "kv_tokens_needed": _number(wanted),
                 "kv_gib_needed": _gib(needed, units[0]), "kv_cache_gib": _gib(available, units[-1])}
        estimate = re.search(r"estimated maximum model length is (\d+)", str(tokens.get("REST", [""])[0]))
        if estimate:
            facts["max_model_len_estimate"] = int(estimate.group(1))
        return facts

    def estimated_max_len(self, items: list) -> dict:
        return {"max_model_len_estimate": _number(items[0])}

    def max_model_len_over_derived(self, items: list) -> dict:
        return {"max_model_len": _number(items[0])}

    # -- attention backend
    def attention_backend_v0(self, items: list) -> dict:
        tokens = _tokens(items)
        raw = str(tokens["BACKEND_NAME"][0])
        name = backend_name(raw)
        if not name:
            return {}
        facts: dict = {"attention_backend": name}
        if "on V1 engine" in str(tokens.get("REST", [""])[0]) or raw.startswith("AttentionBackendEnum."):
            facts["engine"] = "v1"
        elif raw in _V0_BACKEND_SPELLINGS:
            facts["engine"] = "v0"
        return facts

    def attention_backend_choice(self, items: list) -> dict:  # 0.12+: V1 only
        name = backend_name(_tokens(items)["BACKEND_NAME"][0])
        return {"attention_backend": name, "engine": "v1"} if name else {}

    def flash_attention_version(self, items: list) -> dict:  # v1/attention/backends/flash_attn.py, 0.17+
        return {"flash_attn_version": _number(items[0]), "engine": "v1"}

    # -- quantization
    def quant_not_optimized(self, items: list) -> dict:
        return {"quantization": str(items[0]).lower()}

    def marlin_conversion(self, items: list) -> dict:
        return {"quantization": str(items[0])}

    def quant_linear_kernel(self, items: list) -> dict:
        tokens = _tokens(items)
        facts: dict = {"quant_kernel": str(tokens["KERNEL_NAME"][0])}
        method = str(tokens["WORD"][0])
        for prefix, quantization in _METHOD_QUANTIZATION:
            if method.startswith(prefix):
                facts["quantization"] = quantization
                break
        return facts

    def quant_unsupported_gpu(self, items: list) -> dict:
        tokens = _tokens(items)
        current = int(_number(tokens["NUMBER"][1]))
        return {"quantization": str(tokens["WORD"][0]), "compute_capability": current / 10}

    def quant_scheme_unsupported(self, items: list) -> dict:
        current = re.search(r"Current capability: (\d+)", str(items[0]))
        return {"compute_capability": int(current.group(1)) / 10} if current else {}

    # -- parallelism and distributed execution
    def distributed_default(self, items: list) -> dict:
        return {"distributed_backend": str(items[0])}

    def ray_distributed(self, items: list) -> dict:
        return {"distributed_backend": "ray"}

    ray_started = ray_distributed
    ray_cue = ray_distributed

    def mp_worker_cue(self, items: list) -> dict:  # V0's multiproc_worker_utils and the mp executors
        return {"distributed_backend": "mp"}

    def nccl_version(self, items: list) -> dict:
        return {"nccl_version": str(_tokens(items)["VERSION"][0])}

    def custom_allreduce_no_p2p(self, items: list) -> dict:
        return {"p2p_disabled": True}

    def rank_assignment(self, items: list) -> dict:
        return {}

    def heads_not_divisible(self, items: list) -> dict:
        heads, tp = _tokens(items)["NUMBER"][:2]
        return {"attention_heads": _number(heads), "tensor_parallel_size": _number(tp)}

    def tp_exceeds_gpus(self, items: list) -> dict:
        tp, gpus = _tokens(items)["NUMBER"][:2]
        return {"tensor_parallel_size": _number(tp), "gpu_count": _number(gpus)}

    # -- engine generation
    def engine_v1_cue(self, items: list) -> dict:
        return {"engine": "v1"}

    def engine_v0_cue(self, items: list) -> dict:
        return {"engine": "v0"}

    def engine_stats(self, items: list) -> dict:
        rest = str(items[0])
        return {"engine": "v0"} if "Swapped: " in rest else {"engine": "v1"} if "Waiting: " in rest else {}

    def vllm_use_v1(self, items: list) -> dict:
        flag = _number(items[0])
        return {"engine": "v1"} if flag == 1 else {"engine": "v0"} if flag == 0 else {}

    # -- scripts and clients
    def llm_constructor(self, items: list) -> dict:
        return config_facts(kvdump.read_pairs("model=" + str(items[0])))

    def openai_error_body(self, items: list) -> dict:
        try:  # the body is JSON, whatever the shell printed after it (`…"code":400}(base)`)
            body, _end = json.JSONDecoder().raw_decode('{"object":"error",' + str(items[0]).lstrip())
        except ValueError:
            return {}
        facts = {"error_type": body.get("type"), "error_message": body.get("message")}
        return {name: value.strip() for name, value in facts.items() if isinstance(value, str) and value.strip()}

    # -- readiness
    def server_ready(self, items: list) -> dict:
        return {"server_ready": True}

    def xinference_model_loaded(self, items: list) -> dict:
        return {"server_ready": True}

    def engine_ready(self, items: list) -> dict:
        return {"engine_ready": True}


# Names a platform goes by in vLLM's lines -> the `platform` fact's value (factnames.py).
_PLATFORM_NAMES = {"ascend": "npu", "gaudi": "hpu", "habana": "hpu", "xla": "tpu"}
# Which device's OOM text torch printed (the CUDA one says nothing: HIP is the only other torch.cuda spelling).
_OOM_PLATFORMS = {"HIP_OOM": "rocm", "XPU_OOM": "xpu", "NPU_OOM": "npu"}


def platform_name(name: str) -> str:
    """The `platform` value for a platform as vLLM or a plugin names it (`ascend` -> npu)."""
    name = name.lower()
    return _PLATFORM_NAMES.get(name, name)


def _gfx_facts(text: str) -> dict:
    target = hardware.GFX_TARGET.search(text)
    return {"gpu_target": target.group(), "platform": "rocm"} if target else {}


def _collect_env_gpu_facts(text: str) -> dict:
    """`AMD Instinct MI300X (gfx942:sramecc+:xnack-)` or `NVIDIA A10G (UUID: GPU-...)`: the name, and a gfx target."""
    name = re.split(r" \((?:UUID|gfx)", text, maxsplit=1)[0].strip()
    return {"gpus": [name], **_gfx_facts(text)}


# `Using <Kernel> for <Method>`: the linear method names the quantization after runtime conversion.
_METHOD_QUANTIZATION = (("GPTQMarlin", "gptq_marlin"), ("AWQMarlin", "awq_marlin"),
                        ("CompressedTensors", "compressed-tensors"), ("Fp8", "fp8"))
_BOOL = {"true": True, "false": False}
# vLLM command-line spellings that are not the config key with dashes turned into underscores.
_FLAG_ALIASES = {"tp": "tensor_parallel_size", "pp": "pipeline_parallel_size", "dp": "data_parallel_size",
                 "q": "quantization"}
_BOOLEAN_FLAGS = frozenset({"enforce_eager", "trust_remote_code"})
# config key -> (fact, converter); the first key present wins for a fact
_CONFIG_KEYS: tuple[tuple[str, str], ...] = (
    ("model", "model"), ("served_model_name", "served_model_name"), ("dtype", "dtype"),
    ("quantization", "quantization"), ("tensor_parallel_size", "tensor_parallel_size"),
    ("pipeline_parallel_size", "pipeline_parallel_size"), ("data_parallel_size", "data_parallel_size"),
    ("max_seq_len", "max_model_len"), ("max_model_len", "max_model_len"),
    ("gpu_memory_utilization", "gpu_memory_utilization"), ("enforce_eager", "enforce_eager"),
    ("kv_cache_dtype", "kv_cache_dtype"), ("max_num_seqs", "max_num_seqs"),
    ("max_num_batched_tokens", "max_num_batched_tokens"), ("trust_remote_code", "trust_remote_code"),
    ("distributed_executor_backend", "distributed_backend"), ("block_size", "block_size"),
    ("tp", "tensor_parallel_size"), ("device_config", "platform"),
)


def _config_value(fact: str, raw: str) -> object | None:
    value = raw.strip().rstrip(",").strip()
    if value in ("None", "null") and fact == "quantization":
        return "none"  # an unquantized model: a fact conditions can rely on
    if value in ("", "None", "null", "[]", "{}"):
        return None
    kind = _fact_kind(fact)
    try:
        if kind == "int":
            number = int(_number(value))
            # `--max-model-len auto` is stored as -1: the length is fitted later, not stated here
            return None if fact == "max_model_len" and number <= 0 else number
        if kind == "float":
            return float(_number(value))
    except ValueError:  # not a number, or not a finite one: `--max-model-len inf` states nothing
        return None
    if kind == "bool":
        return _BOOL.get(value.lower())
    if fact == "dtype":
        return _dtype(value)
    if fact == "platform":  # device_config=cuda is printed on ROCm too (torch.cuda API): only other devices count
        device = platform_name(value.strip("'\"").split(":", 1)[0])
        return None if device in ("cuda", "auto") else device
    return value


@cache
def _fact_kind(fact: str) -> str:
    from logdoctor.parse.factnames import FACTS

    return FACTS.get(fact, ("str", ""))[0]


def config_facts(pairs: dict[str, str]) -> dict:
    """Facts from an engine-config / Namespace / dict dump."""
    facts: dict = {}
    for key, fact in _CONFIG_KEYS:
        if key in pairs and fact not in facts:
            value = _config_value(fact, pairs[key])
            if value is not None:
                facts[fact] = value
    if facts.get("model", "").startswith("<"):
        facts.pop("model")
    return facts


# An image tag that names a release (`:v0.8.5.post1`, `:0.6.3`), not `:latest` or `:nightly-<sha>`.
_IMAGE_RELEASE = re.compile(r":v?(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)(?![\w.])")
_NAME_START = re.compile(r"[\w./~]")  # a model name or path, not a quote or pipe left in the text
_SHLEX_MAX_CHARS = 8192  # a real command line is a few hundred characters


def command_line_facts(command: str) -> dict:
    """Facts from a vLLM / Xinference command line (`serve MODEL --max-model-len 8192 -tp 2`)."""
    try:  # shlex builds each token a character at a time (quadratic): not on a hostile 64 KiB line
        words = shlex.split(command) if len(command) <= _SHLEX_MAX_CHARS else command.split()
    except ValueError:
        words = command.split()
    pairs: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            key, _, value = word.lstrip("-").partition("=")
            key = _FLAG_ALIASES.get(key, key.replace("-", "_"))
            if not value and key not in _BOOLEAN_FLAGS and index + 1 < len(words):
                index += 1
                value = words[index]
            pairs.setdefault(key, value or "True")
        elif word not in ("serve", "launch") and "model" not in pairs and index <= 1 and _NAME_START.match(word):
            pairs["model"] = word
        index += 1
    if "model_name" in pairs:
        pairs.setdefault("model", pairs["model_name"])
    return config_facts(pairs)


def xinference_launch_facts(pairs: dict[str, str]) -> dict:
    """Facts from Xinference's `Enter launch_builtin_model ... kwargs: k=v,...` line."""
    facts = config_facts({key: value for key, value in pairs.items() if key not in ("model", "quantization")})
    renames = {"model_uid": "model_uid", "model_engine": "model_engine", "model_format": "model_format",
               "quantization": "xinference_quantization", "n_gpu": "n_gpu", "model_name": "model"}
    for key, fact in renames.items():
        value = pairs.get(key, "").strip()
        if value and value != "None":
            facts[fact] = value
    size = pairs.get("model_size_in_billions", "").replace("_", ".")
    with contextlib.suppress(ValueError):
        facts["model_size_b"] = float(size)
    return facts


@cache
def anchors() -> tuple[Anchor, ...]:
    """The literal anchors of every template alternative in grammar/messages.lark."""
    parser = _parser()
    literal_of = {t.name: t.pattern.value for t in parser.terminals if isinstance(t.pattern, PatternStr)}
    found: dict[str, Anchor] = {}
    for rule in parser.rules:
        origin = rule.origin.name
        if origin.startswith("_") or origin not in _start_rules():
            continue
        literals = [(i, literal_of[s.name]) for i, s in enumerate(rule.expansion) if s.name in literal_of]
        if not literals:
            raise ValueError(f"grammar/messages.lark: rule {origin} has no literal to anchor it")
        index, literal = next(((i, lit) for i, lit in literals if len(lit.strip()) >= _MIN_ANCHOR), literals[0])
        found.setdefault(literal + "\0" + origin, Anchor(literal, origin, index == 0))
    return tuple(found.values())


@cache
def _start_rules() -> tuple[str, ...]:
    from logdoctor.parse.grammars import grammar_text

    names = re.findall(r"^([a-z][a-z0-9_]*):", grammar_text("messages"), flags=re.MULTILINE)
    return tuple(dict.fromkeys(names))


@cache
def _parser():
    return lalr_parser("messages", _start_rules(), MessageFacts())


def unwrap(message: str) -> tuple[str, str | None]:
    """Remove leading xoscar `[address=…, pid=…]` wrappers; return the message and the address."""
    address = None
    match = XOSCAR_WRAPPER.match(message)
    while match:
        address = address or match.group(1)
        message = message[match.end():]
        match = XOSCAR_WRAPPER.match(message)
    return message, address


def parse(message: str, anchor: Anchor, position: int) -> dict | None:
    """Facts from `message` for the template `anchor` found at `position`; None if it does not parse."""
    text = message[position:] if anchor.at_anchor else message
    try:
        return _parser().parse(text, start=anchor.rule)
    except (LarkError, ValueError, ArithmeticError, IndexError, KeyError, RecursionError):
        return None
