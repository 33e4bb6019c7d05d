"""The fact-sheet contract: every fact name logdoctor may report, its kind and meaning.

This table is the single list that the parser fills, the JSON report publishes and the knowledge
base's `when` conditions may name: a condition naming a fact that is not here is an error in
`kb check`, so a typo cannot silently make an entry never fire.

Kinds: ``str``, ``int``, ``float``, ``bool``, ``version`` (compared as versions), ``list`` (of str).
"""

from __future__ import annotations

FACTS: dict[str, tuple[str, str]] = {
    # versions and engine
    "vllm_version": ("version", "vLLM version, e.g. 0.7.3 (engine-config line, API-server line or logo)"),
    "xinference_version": ("version", "Xinference version when the log states one"),
    "xinference_era": ("str", "Xinference log-format era when no version is printed: <=2.8, 2.9, >=2.10"),
    "engine": ("str", "vLLM engine generation: v0 or v1"),
    "engine_fell_back_to_v0": ("bool", "vLLM refused the V1 engine and fell back to V0 (e.g. capability < 8.0)"),
    "platform": ("str", "device platform the log comes from: cuda (NVIDIA), rocm (AMD), xpu (Intel GPU), tpu, "
                        "npu (Huawei Ascend), neuron (AWS Inferentia/Trainium), hpu (Intel Gaudi) or cpu; from "
                        "vLLM's platform line, the platform's own words (HIP, librccl, torch_npu, XLA:TPU...) "
                        "or the device names"),
    # model
    "model": ("str", "model path or Hugging Face id as logged"),
    "served_model_name": ("str", "served model name"),
    "architecture": ("str", "Hugging Face architecture class, e.g. Qwen2ForCausalLM"),
    "model_family": ("str", "model family from name/architecture: qwen, qwen2, qwen3, llama, mistral, gemma, "
                            "deepseek, phi, glm, baichuan..."),
    "model_size_b": ("float", "parameter count in billions when the name or launch arguments state it"),
    "model_dtype": ("str", "the checkpoint's own dtype, from a `Casting X to Y` line"),
    "dtype": ("str", "compute dtype the engine runs in: float16, bfloat16, float32 or auto"),
    "quantization": ("str", "quantization method as vLLM reports it (gptq, gptq_marlin, awq, awq_marlin, fp8, "
                            "gguf, bitsandbytes, compressed-tensors...)"),
    "quant_kernel": ("str", "quantized linear kernel in use, e.g. MarlinLinearKernel, ExllamaLinearKernel"),
    "kv_cache_dtype": ("str", "KV-cache dtype: auto, fp8, fp8_e5m2..."),
    "trust_remote_code": ("bool", "trust_remote_code setting"),
    # parallelism and limits
    "tensor_parallel_size": ("int", "tensor-parallel size"),
    "pipeline_parallel_size": ("int", "pipeline-parallel size"),
    "data_parallel_size": ("int", "data-parallel size"),
    "max_model_len": ("int", "maximum model length (context) the engine was configured with"),
    "max_num_seqs": ("int", "maximum concurrent sequences"),
    "max_num_batched_tokens": ("int", "maximum tokens per batch (chunked prefill)"),
    "gpu_memory_utilization": ("float", "fraction of GPU memory vLLM may use"),
    "enforce_eager": ("bool", "CUDA graphs disabled (eager mode)"),
    "distributed_backend": ("str", "distributed executor: mp, ray or uni"),
    "block_size": ("int", "KV-cache block size in tokens"),
    "attention_heads": ("int", "number of attention heads, when an error states it"),
    # hardware
    "gpus": ("list", "GPU device names as logged"),
    "gpu_count": ("int", "number of GPUs the log shows in use"),
    "compute_capability": ("float", "GPU compute capability, e.g. 7.5 (from the log or from the GPU name)"),
    "gpu_arch": ("str", "GPU architecture family: pascal, volta, turing, ampere, ada, hopper, blackwell (NVIDIA); "
                        "gcn5, cdna1, cdna2, cdna3, cdna4, rdna2, rdna3, rdna3.5, rdna4 (AMD)"),
    "gpu_target": ("str", "the GPU's compiled-code target: sm_75, sm_90, sm_120... (NVIDIA, from the compute "
                          "capability) or gfx906, gfx90a, gfx942, gfx1030, gfx1100... (AMD, as ROCm names it "
                          "or from the GPU's name)"),
    "pre_ampere": ("bool", "the GPU is older than Ampere (compute capability < 8.0): no bf16, no FlashAttention-2"),
    "gpu_total_gib": ("float", "usable memory of one GPU in GiB"),
    "driver_version": ("str", "NVIDIA driver version"),
    "cuda_version": ("str", "CUDA version"),
    "torch_version": ("version", "PyTorch version"),
    "nccl_version": ("str", "NCCL version vLLM uses"),
    "p2p_disabled": ("bool", "custom all-reduce disabled because GPUs lack P2P"),
    # memory budget (per GPU)
    "weights_gib": ("float", "model weights per GPU in GiB"),
    "activation_peak_gib": ("float", "PyTorch activation peak during profiling, GiB"),
    "non_torch_gib": ("float", "non-torch memory (NCCL, CUDA context), GiB"),
    "memory_budget_gib": ("float", "total_gpu_memory x gpu_memory_utilization, GiB"),
    "kv_cache_gib": ("float", "memory reserved for the KV cache per GPU in GiB (may be negative)"),
    "cuda_graph_gib": ("float", "memory taken by CUDA graphs, GiB"),
    "gpu_blocks": ("int", "number of GPU KV-cache blocks"),
    "cpu_blocks": ("int", "number of CPU swap blocks"),
    "kv_cache_tokens": ("int", "tokens the KV cache holds (blocks x block size, or as logged)"),
    "max_concurrency": ("float", "how many max_model_len requests fit in the KV cache at once"),
    "kv_cache_fits_max_model_len": ("bool", "derived: the KV cache holds at least one max_model_len sequence"),
    "kv_tokens_needed": ("int", "max_model_len an error says must fit in the KV cache"),
    "kv_gib_needed": ("float", "KV-cache GiB an error says one max_model_len sequence needs"),
    "kv_cache_expected_gib": ("float", "derived: the KV cache the memory budget should have left: budget - weights "
                                       "- activation peak - vLLM's own non-torch memory (allowances where unstated)"),
    "gpu_memory_missing_gib": ("float", "derived: expected minus actual KV cache, memory counted as used that is not "
                                        "vLLM's own (another process on the GPU); 0 when nothing is missing"),
    "gpu_free_gib": ("float", "free GPU memory at startup, from an error or OOM message"),
    "max_model_len_estimate": ("int", "largest max_model_len vLLM estimated would fit"),
    # attention and compilation
    "attention_backend": ("str", "attention backend: FLASH_ATTN, XFORMERS, FLASHINFER, TORCH_SDPA, TRITON_ATTN, "
                                 "FLEX_ATTENTION..."),
    "flash_attn_version": ("int", "FlashAttention generation in use (2, 3, 4)"),
    # Xinference launch
    "model_uid": ("str", "Xinference model uid"),
    "model_engine": ("str", "Xinference model engine (vLLM, transformers, llama.cpp, SGLang...)"),
    "model_format": ("str", "Xinference model format (pytorch, gptq, awq, gguf...)"),
    "xinference_quantization": ("str", "Xinference quantization option (Int4, 4-bit, none...)"),
    "n_gpu": ("str", "Xinference n_gpu option"),
    "remote_address": ("str", "xoscar actor address from an [address=..., pid=...] wrapper"),
    # outcome
    "server_ready": ("bool", "the model accepts requests: vLLM's API server is up, or under Xinference the model's "
                             "launch returned (Xinference's own server starting is not enough)"),
    "engine_ready": ("bool", "the engine finished start-up (profiling, KV cache, warm-up): an offline LLM(...) can "
                             "generate, a server is about to listen"),
    "error_type": ("str", "class of the final (root-cause) exception"),
    "error_message": ("str", "first line of the final exception message"),
    "error_count": ("int", "number of distinct exceptions seen (one repeated with other numbers counts once)"),
}


def is_known(name: str) -> bool:
    """True if `name` is a fact a condition may refer to."""
    return name in FACTS
