"""Generate a large, realistic-looking knowledge base to measure how matching scales with entries.

    python benchmarks/kbgen.py DIR --count 10000 [--seed 0]
    logdoctor diagnose samples/seed-xinference-t4-gptq-tp4.log --kb DIR

The entries are deterministic for a (count, seed) pair and valid against kb/schema.json, with
categories from the built-in taxonomy, so `logdoctor kb check --kb DIR --no-fixtures` passes.
They mix literal, regex and template signatures, `when` conditions over real fact names, version
ranges and symptoms in English and Chinese. Most signatures are anchored on words no real log
contains, as most of a real knowledge base does not concern a given log; a few percent reuse
fragments of common vLLM / Xinference messages, so a real log makes the matcher try many
signatures per line and scores a few hundred entries, as a large real knowledge base would.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

from logdoctor import knowledge

# Fragments of messages every vLLM / Xinference start prints: a generated signature made of one is
# tried against many lines (the costly case for the matcher).
COMMON_FRAGMENTS = (
    "Loading model weights took", "Automatically detected platform", "Using XFormers backend",
    "Cannot use FlashAttention-2 backend", "Custom allreduce is disabled", "Memory profiling takes",
    "Capturing cudagraphs for decoding", "Graph capturing finished in", "Maximum concurrency for",
    "Starting to load model", "Worker ready; awaiting tasks", "Found nccl from library",
    "Casting torch.bfloat16 to torch.float16", "Avg prompt throughput", "Defaulting to use mp",
    "quantization is not fully optimized yet", "Initializing a V0 LLM engine", "Added request chatcmpl",
)
COMPONENTS = (
    "CUDA", "NCCL", "Ray", "tokenizer", "scheduler", "KV cache", "FlashAttention", "Marlin kernel", "GPTQ",
    "AWQ", "xformers", "Triton", "cuBLAS", "block manager", "sampler", "LoRA adapter", "speculative decoder",
    "prefix cache", "detokenizer", "multiproc executor", "placement group", "shared memory", "model loader",
)
FAILURES = (
    "failed to initialize", "ran out of memory", "returned an invalid result", "timed out",
    "is not supported", "raised an exception", "could not allocate", "produced NaN values",
    "exceeded the limit", "was not found", "crashed with signal", "refused the configuration",
)
GPUS = ("T4", "V100", "A10", "A100", "L4", "L40S", "H100", "RTX 3090", "RTX 4090", "2080 Ti", "P40")
ZH_SYMPTOMS = ("启动失败", "显存不足", "输出乱码", "服务卡住不动", "加载模型很慢", "多卡启动报错", "回答全是感叹号",
               "显卡不支持", "推理结果不对", "进程被杀掉")
# (fact, kind, plausible values) for `when` conditions
FACTS = (
    ("dtype", "str", ("float16", "bfloat16", "float32", "auto")),
    ("quantization", "str", ("gptq", "gptq_marlin", "awq", "awq_marlin", "fp8", "gguf", "bitsandbytes")),
    ("engine", "str", ("v0", "v1")),
    ("model_family", "str", ("qwen", "qwen2", "qwen3", "llama", "mistral", "gemma", "deepseek", "phi", "glm")),
    ("attention_backend", "str", ("FLASH_ATTN", "XFORMERS", "FLASHINFER", "TORCH_SDPA", "TRITON_ATTN")),
    ("distributed_backend", "str", ("mp", "ray", "uni")),
    ("kv_cache_dtype", "str", ("auto", "fp8", "fp8_e5m2", "bfloat16")),
    ("tensor_parallel_size", "int", (1, 2, 4, 8)),
    ("pipeline_parallel_size", "int", (1, 2, 4)),
    ("max_model_len", "int", (4096, 8192, 32768, 131072)),
    ("gpu_memory_utilization", "float", (0.5, 0.8, 0.9, 0.95)),
    ("compute_capability", "float", (7.0, 7.5, 8.0, 8.6, 9.0)),
    ("gpu_blocks", "int", (0, 100, 1000)),
    ("kv_cache_gib", "float", (0, 1.5, 8.0)),
    ("pre_ampere", "bool", ()),
    ("enforce_eager", "bool", ()),
    ("trust_remote_code", "bool", ()),
    ("server_ready", "bool", ()),
    ("vllm_version", "version", ("0.5.4", "0.6.3", "0.7.3", "0.8.5", "0.10.2")),
    ("error_type", "str", ("RuntimeError", "ValueError", "torch.OutOfMemoryError", "AssertionError")),
)
_SYLLABLES = ("ka", "lo", "mi", "ru", "ten", "vos", "zer", "qua", "pix", "dor", "fen", "gal", "hov", "jin", "nex",
              "plo", "sar", "tiv", "wum", "yel")
_TEMPLATE_TAILS = (" (<*>)", " at <path>", ": <num>", " for <hex>", " on rank <num>", " after <num> s")
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_MARKER = ".kbgen"
_FIXTURE_LOG = "INFO 01-01 00:00:00 llm_engine.py:100] Initializing a V0 LLM engine (v0.7.3) with config: model='x'\n"


def _word(rng: random.Random, parts: int = 3) -> str:
    """An invented identifier no real log contains (so most signatures match nothing, as in a real KB)."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts))


def _message(rng: random.Random) -> tuple[str, bool]:
    """A made-up error message with a rare anchor word, or (a few percent) a common log fragment;
    and whether it is common (then it is context, never decisive: healthy lines print it too)."""
    if rng.random() < 0.02:
        return rng.choice(COMMON_FRAGMENTS), True
    name = _word(rng)
    shape = rng.randrange(4)
    if shape == 0:
        return f"{rng.choice(COMPONENTS)} {rng.choice(FAILURES)} in {name}_{_word(rng, 2)}", False
    if shape == 1:
        return f"{name.capitalize()}Error: {rng.choice(COMPONENTS)} {rng.choice(FAILURES)}", False
    if shape == 2:
        return f"vllm.{_word(rng, 2)}.{name} {rng.choice(FAILURES)} (--enable-{_word(rng, 2)})", False
    return f"Unsupported {rng.choice(COMPONENTS)} setting {name}={_word(rng, 2)}", False


def _signature(rng: random.Random, decisive: bool) -> dict:
    message, common = _message(rng)
    kind = rng.choices(("literal", "regex", "template"), (0.4, 0.25, 0.35))[0]
    if kind == "literal":
        spec: dict = {"literal": message}
    elif kind == "regex":
        word = max(message.replace("=", " ").split(), key=len)
        escaped = "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in word)
        spec = {"regex": f"{escaped}\\S* .*(?:rank|device|shard) \\d+"}
    else:
        spec = {"template": message + rng.choice(_TEMPLATE_TAILS)}
        if rng.random() < 0.3:
            spec["min_similarity"] = rng.choice((80, 85, 95))
    if decisive and not common:
        spec["decisive"] = True
    else:
        spec["weight"] = rng.choice((0.1, 0.2, 0.3)) if common else rng.choice((0.2, 0.3, 0.4, 0.5, 0.6))
    return spec


def _comparison(rng: random.Random) -> str:
    """One test of a fact, mostly a positive one (a setup is described by what it is)."""
    fact, kind, values = rng.choice(FACTS)
    if kind == "bool":
        return rng.choice((fact, fact, f"not {fact}"))
    if rng.random() < 0.05:
        return rng.choice((f"defined({fact})", f"not defined({fact})"))
    quote = (lambda v: f'"{v}"') if kind in ("str", "version") else str
    if kind == "str":
        if rng.random() < 0.4:
            chosen = rng.sample(values, min(2, len(values)))
            return f"{fact} in [{', '.join(map(quote, chosen))}]"
        return f"{fact} {rng.choice(('==', '==', '==', '!='))} {quote(rng.choice(values))}"
    return f"{fact} {rng.choice(('==', '<', '<=', '>', '>='))} {quote(rng.choice(values))}"


def _condition(rng: random.Random) -> str:
    """Two or three tests, as real entries name the combination that goes wrong."""
    parts = [_comparison(rng) for _ in range(rng.choice((2, 2, 3)))]
    if len(parts) == 3 and rng.random() < 0.3:
        return f"{parts[0]} and ({parts[1]} or {parts[2]})"
    return " and ".join(parts)


def _symptoms(rng: random.Random) -> list[str]:
    phrases = [f"{rng.choice(COMPONENTS)} {rng.choice(FAILURES)} on {rng.choice(GPUS)}",
               f"server {rng.choice(('hangs', 'exits', 'restarts', 'is slow'))} when {rng.choice(COMPONENTS)} "
               f"{rng.choice(FAILURES)}",
               f"{_word(rng)} {rng.choice(FAILURES)}"]
    if rng.random() < 0.4:
        phrases.append(rng.choice(ZH_SYMPTOMS) + rng.choice(("", "，" + rng.choice(ZH_SYMPTOMS))))
    return rng.sample(phrases, rng.randint(1, len(phrases)))


def entry(rng: random.Random, index: int, category: str) -> dict:
    """One generated entry as a YAML-ready mapping."""
    entry_id = f"gen-{index:05d}-{_word(rng, 2)}"
    signatures = [_signature(rng, decisive=(i == 0 and rng.random() < 0.7)) for i in range(rng.randint(1, 4))]
    document: dict = {
        "id": entry_id,
        "title": f"{rng.choice(COMPONENTS)} {rng.choice(FAILURES)} ({entry_id})",
        "category": category,
        "symptoms": _symptoms(rng),
        "signatures": signatures,
    }
    if rng.random() < 0.6:
        document["when"] = _condition(rng)
    if rng.random() < 0.3:
        low = rng.choice(("0.5.0", "0.6.0", "0.7.0", "0.8.0"))
        document["versions"] = {"vllm": f">={low}, <{rng.choice(('0.9', '0.10', '0.12'))}"}
    document["cause"] = (f"The {rng.choice(COMPONENTS)} {rng.choice(FAILURES)} because the "
                         f"{rng.choice(COMPONENTS)} {rng.choice(FAILURES)} first (generated entry).")
    remedies = [{"text": f"Disable the {rng.choice(COMPONENTS)} path or upgrade vLLM."}]
    if rng.random() < 0.5:
        remedies.append({"text": "Run with a smaller tensor-parallel size than {tensor_parallel_size|now}.",
                         "vllm": "--tensor-parallel-size 1", "xinference": "launch with n_gpu=1"})
    document["remedies"] = remedies
    document["references"] = [f"https://github.com/vllm-project/vllm/issues/{rng.randint(1000, 20000)}"]
    document["fixtures"] = {"positive": ["generated.log"]}
    return document


def generate(directory: Path, count: int, seed: int = 0) -> None:
    """Write `count` entries (and the taxonomy and fixtures they need) into `directory`.

    A folder this function wrote before is replaced; any other non-empty folder is refused.
    """
    rng = random.Random(seed)
    categories = knowledge.load_categories(knowledge.builtin_dir())
    names = sorted(name for name in categories if name != "healthy")
    if directory.exists() and any(directory.iterdir()):
        if not (directory / _MARKER).is_file():
            raise ValueError(f"{directory} is not empty and was not written by kbgen: refusing to replace it")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / _MARKER).write_text(f"count={count} seed={seed}\n", encoding="utf-8")
    (directory / "taxonomy.yaml").write_text(yaml.safe_dump({"version": 1, "categories": categories},
                                                            allow_unicode=True), encoding="utf-8")
    for index in range(count):
        category = rng.choice(names)
        folder = directory / f"area-{index // 500:02d}"
        if not folder.exists():
            folder.mkdir()
            (folder / "generated.log").write_text(_FIXTURE_LOG, encoding="utf-8")
        document = entry(rng, index, category)
        (folder / f"{document['id']}.yaml").write_text(
            yaml.dump(document, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="folder to write (replaced if it exists)")
    parser.add_argument("--count", type=int, default=10000, help="number of entries (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    arguments = parser.parse_args()
    try:
        generate(arguments.directory, arguments.count, arguments.seed)
    except ValueError as error:
        parser.error(str(error))
    print(f"{arguments.count} entries in {arguments.directory}")


if __name__ == "__main__":
    main()
