"""Every template of grammar/messages.lark, on the exact wording of a real release."""

import pytest

from logdoctor import messages
from logdoctor.parse import LineParser
from logdoctor.source import Line

# (a line as some vLLM / Xinference release prints it, facts it must yield)
EXAMPLES = [
    ("INFO 05-02 09:14:21 [core.py:58] Initializing a V1 LLM engine (v0.8.5) with config: model='Qwen/Qwen2.5-7B', "
     "dtype=torch.bfloat16, max_seq_len=32768, tensor_parallel_size=1, pipeline_parallel_size=1, quantization=None, "
     "enforce_eager=False, kv_cache_dtype=auto,  device_config=cuda, seed=None",
     {"engine": "v1", "vllm_version": "0.8.5", "model": "Qwen/Qwen2.5-7B", "dtype": "bfloat16",
      "max_model_len": 32768, "tensor_parallel_size": 1, "enforce_eager": False}),
    ("INFO 03-05 02:10:26 llm_engine.py:234] Initializing a V0 LLM engine (v0.7.3) with config: model='m', "
     "dtype=torch.float16, quantization=gptq, tensor_parallel_size=4, use_cached_outputs=True, ",
     {"engine": "v0", "vllm_version": "0.7.3", "dtype": "float16", "quantization": "gptq", "tensor_parallel_size": 4}),
    ("INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.4.2", {"vllm_version": "0.4.2"}),
    ("(APIServer pid=1) INFO 08-06 10:08:29 [utils.py:297]  ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.18.0",
     {"vllm_version": "0.18.0"}),
    ("(APIServer pid=1) INFO 08-06 10:08:29 [utils.py:297]   █▄█▀ █     █     █     █  model   /m/Qwen3-8B.gguf",
     {"model": "/m/Qwen3-8B.gguf"}),
    ("INFO 03-05 02:10:13 api_server.py:913] args: Namespace(model='Qwen/Qwen2.5-7B-Instruct', dtype='half', "
     "max_model_len=32768, tensor_parallel_size=2, gpu_memory_utilization=0.9, max_num_seqs=16)",
     {"model": "Qwen/Qwen2.5-7B-Instruct", "dtype": "float16", "max_model_len": 32768, "max_num_seqs": 16}),
    ("(APIServer pid=1) INFO 08-21 06:02:11 [utils.py:326] non-default args: {'model': 'Qwen/Qwen2.5-32B-Instruct', "
     "'max_model_len': 32768, 'tensor_parallel_size': 2, 'gpu_memory_utilization': 0.92}",
     {"tensor_parallel_size": 2, "gpu_memory_utilization": 0.92}),
    ("2024-11-20 10:05:41,877 xinference.core.worker 52 INFO     [request 6a1f] Enter launch_builtin_model, args: "
     "<xinference.core.worker.WorkerActor object at 0x7f3c>, kwargs: model_uid=qwen2.5-instruct-0,"
     "model_name=qwen2.5-instruct,model_size_in_billions=7,model_format=gptq,quantization=Int4,model_engine=vLLM,"
     "n_gpu=4,gpu_idx=None",
     {"model_uid": "qwen2.5-instruct-0", "model_format": "gptq", "xinference_quantization": "Int4",
      "model_size_b": 7.0, "model_engine": "vLLM", "n_gpu": "4"}),
    ("2024-11-20 10:05:46,402 xinference.model.llm.vllm.core 160 INFO     Loading qwen2.5-instruct-0 with following "
     "model config: {'tokenizer_mode': 'auto', 'tensor_parallel_size': 1, 'gpu_memory_utilization': 0.9, "
     "'quantization': None, 'max_model_len': None}Enable lora: False. Lora count: 0.",
     {"tensor_parallel_size": 1, "gpu_memory_utilization": 0.9}),
    ("2025-06-19T11:30:14+08:00 - gpustack.worker.backends.vllm - DEBUG - Run vllm with arguments: serve "
     "/models/gemma-3-27b-it --max-model-len 8192 --tensor-parallel-size 3 --enforce-eager --port 40059",
     {"model": "/models/gemma-3-27b-it", "max_model_len": 8192, "tensor_parallel_size": 3, "enforce_eager": True}),
    ("WARNING 03-05 02:10:20 config.py:2448] Casting torch.bfloat16 to torch.float16.",
     {"model_dtype": "bfloat16", "dtype": "float16"}),
    ("(APIServer pid=1) WARNING 05-06 11:20:07 [model.py:1] Your device 'Tesla T4' (with compute capability 7.5) "
     "doesn't support torch.bfloat16. Falling back to torch.float16 for compatibility.",
     {"gpus": ["Tesla T4"], "compute_capability": 7.5, "dtype": "float16"}),
    ("ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. "
     "Your Tesla V100-SXM2-32GB GPU has compute capability 7.0. You can use float16 instead by explicitly "
     "setting the`dtype` flag in CLI",
     {"gpus": ["Tesla V100-SXM2-32GB"], "compute_capability": 7.0, "error_type": "ValueError"}),
    ("WARNING 05-02 09:14:14 [arg_utils.py:1658] Compute Capability < 8.0 is not supported by the V1 Engine. "
     "Falling back to V0. ", {"pre_ampere": True, "engine_fell_back_to_v0": True}),
    ("INFO 03-12 10:19:04 cuda.py:179] Cannot use FlashAttention-2 backend for Volta and Turing GPUs.",
     {"pre_ampere": True}),
    ("NVIDIA GeForce RTX 5090 D with CUDA capability sm_120 is not compatible with the current PyTorch installation.",
     {"gpus": ["NVIDIA GeForce RTX 5090 D"], "compute_capability": 12.0}),
    ("| NVIDIA-SMI 570.86.15              Driver Version: 570.86.15      CUDA Version: 12.8     |",
     {"driver_version": "570.86.15", "cuda_version": "12.8"}),
    ("|   0  NVIDIA A10G                    On  | 00000000:00:1E.0 Off |                    0 |",
     {"gpus": ["NVIDIA A10G"]}),
    ("|   1  Tesla V100-SXM2...  Off  | 00000000:00:1F.0 Off |                    0 |",
     {"gpus": ["Tesla V100-SXM2..."]}),
    ("(VllmWorkerProcess pid=282) INFO 03-12 10:19:16 model_runner.py:1115] Loading model weights took 4.5686 GB",
     {"weights_gib": 4.5686, "engine": "v0", "distributed_backend": "mp"}),
    ("INFO 05-02 09:14:27 [gpu_model_runner.py:1347] Model loading took 14.2487 GiB and 4.712345 seconds",
     {"weights_gib": 14.2487, "engine": "v1"}),
    ("INFO 03-05 02:10:44 worker.py:267] the current vLLM instance can use total_gpu_memory (31.74GiB) x "
     "gpu_memory_utilization (0.90) = 28.57GiB", {"gpu_total_gib": 31.74, "gpu_memory_utilization": 0.9}),
    ("INFO 03-05 02:10:44 worker.py:267] model weights take 7.10GiB; non_torch_memory takes 0.33GiB; PyTorch "
     "activation peak memory takes 1.39GiB; the rest of the memory reserved for KV Cache is 19.75GiB.",
     {"weights_gib": 7.1, "non_torch_gib": 0.33, "activation_peak_gib": 1.39, "kv_cache_gib": 19.75}),
    ("INFO 03-05 02:10:44 worker.py:267] model weights take 7.10GiB; non_torch_memory takes 0.33GiB; PyTorch "
     "activation peak memory takes 1.39GiB; the rest of the memory reser",
     {"weights_gib": 7.1, "activation_peak_gib": 1.39}),
    ("(VllmWorker TP0 pid=402) INFO 08-21 06:03:57 [gpu_worker.py:276] Available KV cache memory: 39.92 GiB",
     {"kv_cache_gib": 39.92}),
    ("INFO 03-05 02:10:45 executor_base.py:111] # cuda blocks: 46226, # CPU blocks: 9362",
     {"gpu_blocks": 46226, "cpu_blocks": 9362}),
    ("INFO 11-20 10:06:03 gpu_executor.py:122] # GPU blocks: 2839, # CPU blocks: 4681", {"gpu_blocks": 2839}),
    ("(EngineCore_0 pid=268) INFO 08-21 06:03:57 [kv_cache_utils.py:849] GPU KV cache size: 327,024 tokens",
     {"kv_cache_tokens": 327024}),
    ("(EngineCore pid=301) INFO 11-02 09:00:40 [kv_cache_utils.py:1147] GPU KV cache size: 158,224 tokens, "
     "Maximum concurrency for 40,960 tokens per request: 3.86x",
     {"kv_cache_tokens": 158224, "max_model_len": 40960, "max_concurrency": 3.86}),
    ("(APIServer pid=1) INFO 08-21 06:04:04 [loggers.py:142] Engine 000: vllm cache_config_info with initialization "
     "after num_gpu_blocks is: 20439", {"gpu_blocks": 20439}),
    ("ValueError: [address=0.0.0.0:40221, pid=160] The model's max seq len (32768) is larger than the maximum number "
     "of tokens that can be stored in KV cache (22528). Try increasing `gpu_memory_utilization`",
     {"max_model_len": 32768, "kv_cache_tokens": 22528, "remote_address": "0.0.0.0:40221"}),
    ("ERROR 05-02 09:15:02 [core.py:396] ValueError: To serve at least one request with the models's max seq len "
     "(131072), (7.00 GiB KV cache is needed, which is larger than the available KV cache memory (5.21 GiB). Based "
     "on the available memory, the estimated maximum model length is 97520. Try increasing",
     {"max_model_len": 131072, "kv_gib_needed": 7.0, "kv_cache_gib": 5.21, "max_model_len_estimate": 97520}),
    ("INFO 03-12 10:19:04 cuda.py:227] Using XFormers backend.", {"attention_backend": "XFORMERS"}),
    ("INFO 05-02 09:14:22 [cuda.py:221] Using Flash Attention backend on V1 engine.",
     {"attention_backend": "FLASH_ATTN"}),
    ("(EngineCore pid=164) INFO 03-20 10:11:27 [cuda.py:317] Using FLASHINFER attention backend out of potential "
     "backends: ['FLASHINFER', 'TRITON_ATTN'].", {"attention_backend": "FLASHINFER"}),
    ("INFO 12-22 10:55:31 gptq_marlin.py:200] Using MarlinLinearKernel for GPTQMarlinLinearMethod",
     {"quant_kernel": "MarlinLinearKernel", "quantization": "gptq_marlin"}),
    ("WARNING 05-10 08:12:01 config.py:205] awq quantization is not fully optimized yet. The speed can be slower.",
     {"quantization": "awq"}),
    ("ValueError: The quantization method awq_marlin is not supported for the current GPU. Minimum capability: 80. "
     "Current capability: 75.", {"quantization": "awq_marlin", "compute_capability": 7.5}),
    ("INFO 03-05 02:10:20 config.py:1382] Defaulting to use mp for distributed inference",
     {"distributed_backend": "mp"}),
    ("INFO 03-05 02:10:32 pynccl.py:69] vLLM is using nccl==2.21.5", {"nccl_version": "2.21.5"}),
    ("WARNING 03-05 custom_all_reduce.py:1] Custom allreduce is disabled because your platform lacks GPU P2P "
     "capability or P2P test failed.", {"p2p_disabled": True}),
    ("ValueError: Total number of attention heads (40) must be divisible by tensor parallel size (3).",
     {"attention_heads": 40, "tensor_parallel_size": 3}),
    ("INFO:     Application startup complete.", {"server_ready": True}),
    ("2025-05-28 15:32:22,284 transformers.modeling_utils 6486 INFO     Instantiating BaichuanForCausalLM model "
     "under default dtype torch.float16.", {"dtype": "float16"}),
]


def _facts_of(line: str) -> dict:
    facts: dict = {}
    for event in LineParser().feed(Line(1, line)):
        for name, value in event.facts.items():
            facts.setdefault(name, value)
    return facts


@pytest.mark.parametrize(("line", "expected"), EXAMPLES, ids=[e[0][:60] for e in EXAMPLES])
def test_template_yields_its_facts(line, expected):
    facts = _facts_of(line)
    for name, value in expected.items():
        assert facts.get(name) == pytest.approx(value) if isinstance(value, float) else facts.get(name) == value, name


def test_every_rule_has_an_example_here():
    rules = {anchor.rule for anchor in messages.anchors()}
    exercised = set()
    for line, _expected in EXAMPLES:
        exercised |= {event.kind for event in LineParser().feed(Line(1, line))}
    untested = rules - exercised
    assert len(untested) <= len(rules) // 2, sorted(untested)


def test_lines_without_an_anchor_are_not_parsed():
    parser = LineParser()
    assert parser.feed(Line(1, 'INFO:     10.0.0.5:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK')) == []
    assert parser.last_message is None


def test_backend_word_that_is_not_an_attention_backend_is_ignored():
    assert "attention_backend" not in _facts_of("INFO 01-01 00:00:00 [mxfp4.py:1] Using Marlin backend")
