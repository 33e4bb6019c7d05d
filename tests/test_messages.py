"""Every template of grammar/messages.lark, on the exact wording of a real release."""

import pytest

from logdoctor.parse import LineParser, messages
from logdoctor.read.source import Line

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
    ("$ docker run --runtime nvidia --gpus all -p 8000:8000 --ipc=host vllm/vllm-openai:v0.8.5.post1 --model "
     "Qwen/Qwen2.5-7B-Instruct -tp 2 --max-model-len 8192",
     {"vllm_version": "0.8.5.post1", "model": "Qwen/Qwen2.5-7B-Instruct", "tensor_parallel_size": 2,
      "max_model_len": 8192}),
    ("docker run -d -p 9997:9997 --gpus all xprobe/xinference:v1.6.1 xinference-local -H 0.0.0.0",
     {"xinference_version": "1.6.1", "model": None}),
    ("docker run --gpus all vllm/vllm-openai:latest Qwen/Qwen3-8B --max-model-len 4096",
     {"vllm_version": None, "model": "Qwen/Qwen3-8B", "max_model_len": 4096}),
    ('Normal  Pulled  2m  kubelet  Successfully pulled image "vllm/vllm-openai:v0.6.3" in 1m2.3s',
     {"vllm_version": "0.6.3", "model": None}),
    ("2025-11-02 10:11:12,345 xinference.model.llm.vllm.core 311 WARNING  Dropping unsupported sampling params for "
     "vLLM 0.10.1.1: ['min_tokens']", {"vllm_version": "0.10.1.1"}),
    ("2025-11-02 10:11:12,345 xinference.model.llm.vllm.core 311 WARNING  No guided decoding support found in vLLM "
     "0.11.0 (GuidedDecodingParams / StructuredOutputsParams).", {"vllm_version": "0.11.0"}),
    ("WARNING 06-01 10:00:00 [config.py:3000] Your Tesla T4 device (with compute capability 7.5) doesn't support "
     "torch.bfloat16. Falling back to torch.float16 for compatibility.",
     {"gpus": ["Tesla T4"], "compute_capability": 7.5, "model_dtype": "bfloat16", "dtype": "float16"}),
    ("WARNING 06-01 10:00:00 [config.py:3000] Your NVIDIA GeForce RTX 2080 Ti device doesn't support torch.bfloat16. "
     "Falling back to torch.float16 for compatibility.", {"gpus": ["NVIDIA GeForce RTX 2080 Ti"], "dtype": "float16"}),
    ("(EngineCore pid=301) INFO 05-06 11:20:56 [gpu_worker.py:455] CUDA graph memory profiling is enabled (default "
     "since v0.21.0). The current --gpu-memory-utilization=0.9000 is equivalent to --gpu-memory-utilization=0.8864 "
     "without CUDA graph memory profiling.", {"gpu_memory_utilization": 0.9}),
    ("INFO 03-05 02:10:11 __init__.py:207] Automatically detected platform cuda.", {"platform": "cuda"}),
    # the platform from each era's and each platform's own lines (known-issues-platforms.md)
    ("INFO 02-10 09:12:01 [__init__.py:239] Automatically detected platform rocm.", {"platform": "rocm"}),
    ("INFO 06-12 08:03:11 [__init__.py:44] Platform plugin ascend is activated", {"platform": "npu"}),
    ("INFO 01-01 llm_engine.py:1] Initializing an LLM engine (v0.6.4) with config: model='m', kv_cache_dtype=auto, "
     "device_config=neuron, seed=0", {"platform": "neuron"}),
    ("INFO 01-01 llm_engine.py:1] Initializing an LLM engine (v0.6.4) with config: model='m', kv_cache_dtype=auto, "
     "device_config=cuda, seed=0", {"platform": None}),  # ROCm prints device_config=cuda too
    ("INFO 02-10 09:12:05 [pynccl_wrapper.py:69] Found nccl from library librccl.so.1", {"platform": "rocm"}),
    ("RuntimeError: HIP error: invalid device function", {"platform": "rocm"}),
    ("RuntimeError: No HIP GPUs are available", {"platform": "rocm"}),
    ("For debugging consider passing AMD_SERIALIZE_KERNEL=3", {"platform": "rocm"}),
    ("INFO 05-01 10:00:00 rocm.py:20] flash_attn is not supported on NAVI GPUs.", {"platform": "rocm"}),
    ("(VllmWorkerProcess pid=402) ERROR 03-02 11:09:41 [multiproc_worker_utils.py:238] vllm_ascend/worker/worker.py "
     "line 101", {"platform": "npu"}),
    ("RuntimeError: init:build/CMakeFiles/torch_npu.dir/compiler_depend.ts:292 NPU function error: "
     "aclrtGetDeviceCount(&device_count), error code is 207004", {"platform": "npu"}),
    ("[ERROR] 2025-02-18-10:21:09 (PID:812, Device:0, RankID:-1) ERR02200 DIST call hccl api failed.",
     {"platform": "npu"}),
    ("RuntimeError: Bad StatusOr access: RESOURCE_EXHAUSTED: XLA:TPU compile permanent error. Ran out of memory in "
     "memory space hbm. Used 20.44G of 15.75G hbm. Exceeded hbm capacity by 4.70G.", {"platform": "tpu"}),
    ("TPU initialization failed: open(/dev/vfio/0): Device or resource busy", {"platform": "tpu"}),
    ("INFO 09-10 16:20:01 tpu.py:44] Using Pallas backend.", {"platform": "tpu"}),
    ("torch.OutOfMemoryError: XPU out of memory. Tried to allocate 1.00 GiB. GPU 0 has a total capacity of 23.86 GiB",
     {"platform": "xpu", "gpu_total_gib": 23.86}),
    ("WARNING 07-14 10:01:02 [xpu.py:120] ZE_AFFINITY_MASK is set to 0,1", {"platform": "xpu"}),
    ("RuntimeError: [Rank:0] FATAL ERROR :: MODULE:PT_DEVMEM Allocation failed for size::234881024 (224)MB",
     {"platform": "hpu"}),
    ("============================= HABANA PT BRIDGE CONFIGURATION ===========================", {"platform": "hpu"}),
    ("INFO ||NEURON_CACHE||: Compile cache path: /var/tmp/neuron-compile-cache", {"platform": "neuron"}),
    ("ERROR ||NEURON_CC_WRAPPER||: Compilation failed for /tmp/neuroncc_compile_workdir/3f1c/model.MODULE_91c.hlo.pb "
     "after 0 retries.", {"platform": "neuron"}),
    ("WARNING 11-20 10:00:00 [cpu.py:104] Environment variable VLLM_CPU_KVCACHE_SPACE (GiB) for CPU backend is not "
     "set, using 4 by default.", {"platform": "cpu"}),
    ("WARNING 11-20 10:00:00 [cpu.py:160] uni is not supported on CPU, fallback to mp distributed executor backend.",
     {"platform": "cpu"}),
    ("INFO 01-01 00:00:00 [executor_base.py:111] # rocm blocks: 12003, # CPU blocks: 2048",
     {"platform": "rocm", "gpu_blocks": 12003}),
    ("INFO 03-20 04:50:03 executor_base.py:110] # CUDA blocks: 2202, # CPU blocks: 512",
     {"platform": None, "gpu_blocks": 2202}),  # torch's dispatch key: `CUDA` on ROCm too
    ("INFO 03-11 10:01:44 executor_base.py:110] # npu blocks: 6533, # CPU blocks: 4681", {"platform": "npu"}),
    # the gfx target, where ROCm's libraries name it
    ("GPU models and configuration: AMD Instinct MI300X (gfx942:sramecc+:xnack-)",
     {"gpus": ["AMD Instinct MI300X"], "gpu_target": "gfx942", "platform": "rocm"}),
    ("GPU 1: AMD Radeon RX 7900 XTX (gfx1100)", {"gpus": ["AMD Radeon RX 7900 XTX"], "gpu_target": "gfx1100"}),
    ("ROCM used to build PyTorch: 6.2.41133-dd7f95766", {"platform": "rocm"}),
    ("ROCM used to build PyTorch: N/A", {"platform": None}),
    ("(EngineCore pid=204) ERROR 10-02 13:14:55 [core.py:700] RuntimeError: One of GPU archs of ['gfx1151'] is "
     "invalid or not supported", {"gpu_target": "gfx1151", "platform": "rocm"}),
    ('RuntimeError: Get GPU arch from rocminfo failed "Unknown GPU architecture: gfx1201. Supported architec',
     {"gpu_target": "gfx1201"}),
    ("AssertionError: mla_gluon requires gfx950 (CDNA4), got gfx942", {"gpu_target": "gfx942"}),
    ("rocblaslt warning: No paths matched /opt/rocm/lib/hipblaslt/library/*gfx1100*co. Make sure that "
     "HIPBLASLT_TENSILE_LIBPATH is set correctly.", {"gpu_target": "gfx1100", "platform": "rocm"}),
    ("(APIServer pid=1) INFO 08-21 06:02:18 [__init__.py:711] Resolved architecture: Qwen2ForCausalLM",
     {"architecture": "Qwen2ForCausalLM"}),
    ("(APIServer pid=1) INFO 08-21 06:02:18 [__init__.py:1750] Using max model len 32768", {"max_model_len": 32768}),
    ("INFO 05-02 09:14:14 [config.py:2003] Chunked prefill is enabled with max_num_batched_tokens=2048.",
     {"max_num_batched_tokens": 2048}),
    ("INFO 03-05 02:10:33 model_runner.py:1110] Starting to load model Qwen/Qwen2.5-7B-Instruct...",
     {"model": "Qwen/Qwen2.5-7B-Instruct"}),
    # NVIDIA NIM's launcher prints the selected profile before vLLM starts (not in log-catalog.md; see corpus)
    ("INFO 08-14 09:41:27.302 ngc_injector.py:146] Profile metadata: tp: 2", {"tensor_parallel_size": 2}),
    ("2026-08-07T18:25:43.623Z ERROR xinference.core.worker pid:41 role:local address:0.0.0.0:26776 "
     "node:3d67e2e62a71 Failed to load model qwen3-rep0", {"model_uid": "qwen3-rep0"}),
    # vLLM 0.2-0.5 config.py (wording from known-issues.md; not in log-catalog.md)
    ("ValueError: User-specified max_model_len (8192) is greater than the derived max_model_len "
     "(max_position_embeddings=4096 or model_max_length=None in model's config.json). This may lead to incorrect "
     "model outputs or CUDA errors. Make sure the value is correct and within the model context size.",
     {"max_model_len": 8192, "error_type": "ValueError"}),
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
    # PyTorch's too-old-GPU UserWarning, continuation lines: torch <= 2.7 and torch >= 2.8 wording
    ("    Found GPU0 Tesla P100-PCIE-16GB which is of cuda capability 6.0.",
     {"gpus": ["Tesla P100-PCIE-16GB"], "compute_capability": 6.0}),
    ("(EngineCore_DP0 pid=253)     Found GPU1 Tesla V100-SXM2-32GB which is of compute capability (CC) 7.0.",
     {"gpus": ["Tesla V100-SXM2-32GB"], "compute_capability": 7.0}),
    # flash-attn's check also rejects Blackwell on old builds, so the GPU is not known to be pre-Ampere
    ("ERROR 09-05 14:21:07 engine.py:366] RuntimeError: FlashAttention only supports Ampere GPUs or newer.",
     {"error_type": "RuntimeError", "pre_ampere": None}),
    ("| NVIDIA-SMI 570.86.15              Driver Version: 570.86.15      CUDA Version: 12.8     |",
     {"driver_version": "570.86.15", "cuda_version": "12.8"}),
    ("|   0  NVIDIA A10G                    On  | 00000000:00:1E.0 Off |                    0 |",
     {"gpus": ["NVIDIA A10G"]}),
    ("|   1  Tesla V100-SXM2...  Off  | 00000000:00:1F.0 Off |                    0 |",
     {"gpus": ["Tesla V100-SXM2"]}),  # cut by nvidia-smi: the dots are not part of the name
    # NVIDIA's CUDA / NGC container images print a banner before the server starts
    ("CUDA Version 12.4.1", {"cuda_version": "12.4.1"}),
    # driver 550+ (nvidia-smi 580 here): the Bus-Id column is wider, the id no longer follows `| `
    ("|   0  NVIDIA H100 80GB HBM3          On  |   00000000:18:00.0 Off |                    0 |",
     {"gpus": ["NVIDIA H100 80GB HBM3"]}),
    # `--max-model-len auto` (0.32+) is -1 in the launch arguments: no length is stated yet
    ("(APIServer pid=1) INFO 10-14 09:12:09 [startup.py:96] non-default args: "
     "{'model': 'meta-llama/Llama-3.3-70B-Instruct', 'max_model_len': -1, 'tensor_parallel_size': 2}",
     {"tensor_parallel_size": 2, "max_model_len": None}),
    # `python collect_env.py` / `vllm collect-env` output pasted with a log (PyTorch's collect_env wording)
    ("PyTorch version: 2.3.0+cu121", {"torch_version": "2.3.0+cu121"}),
    ("CUDA used to build PyTorch: 12.1", {"cuda_version": "12.1"}),
    ("CUDA runtime version: 12.1.105", {"cuda_version": "12.1.105"}),
    ("GPU models and configuration: GPU 0: NVIDIA A10G", {"gpus": ["NVIDIA A10G"]}),
    ("Nvidia driver version: 535.183.01", {"driver_version": "535.183.01"}),
    ("vLLM Version: 0.6.4.post1", {"vllm_version": "0.6.4.post1"}),
    # the aligned layout of later `vllm collect-env`, and one GPU per line below the heading
    ("Nvidia driver version        : 550.90.07", {"driver_version": "550.90.07"}),
    ("CUDA runtime version         : 12.4.131", {"cuda_version": "12.4.131"}),
    ("vLLM Version                 : 0.8.5.post1", {"vllm_version": "0.8.5.post1"}),
    ("GPU models and configuration : GPU 0: NVIDIA H100 80GB HBM3", {"gpus": ["NVIDIA H100 80GB HBM3"]}),
    ("GPU 1: NVIDIA A100-SXM4-80GB", {"gpus": ["NVIDIA A100-SXM4-80GB"]}),
    ("GPU 3: Tesla T4 (UUID: GPU-5a1c2b3d-0000-1111-2222-333344445555)", {"gpus": ["Tesla T4"]}),
    ("RuntimeError: NCCL error on GPU 0: unhandled system error", {"gpus": None}),
    # Unsloth's banner and its vLLM helper (fast_inference)
    ("   \\\\   /|    Tesla T4. Num GPUs = 1. Max memory: 14.741 GB. Platform: Linux.", {"gpus": ["Tesla T4"]}),
    ("O^O/ \\_/ \\    Torch: 2.5.1+cu124. CUDA: 7.5. CUDA Toolkit: 12.4. Triton: 3.1.0", {"cuda_version": "12.4"}),
    ("Unsloth: Your GPU has CUDA compute capability 7.5 with VRAM = 14.74 GB.", {"compute_capability": 7.5}),
    ("WARNING 05-02 09:14:25 [marlin_utils_fp8.py:54] Your GPU does not have native support for FP8 computation but "
     "FP8 quantization is being used. Weight-only FP8 compression will be used leveraging the Marlin kernel. This may "
     "degrade performance for compute-heavy workloads.", {}),
    ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.50 GiB. GPU 0 has a total capacity of 23.64 GiB "
     "of which 1.06 GiB is free. Including non-PyTorch memory, this process has 22.57 GiB memory in use. Of the "
     "allocated memory 21.83 GiB is allocated by PyTorch, and 312.45 MiB is reserved by PyTorch but unallocated.",
     {"gpu_total_gib": 23.64, "gpu_free_gib": 1.06, "error_type": "torch.OutOfMemoryError"}),
    ("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 14.75 GiB total capacity; "
     "13.93 GiB already allocated; 6.81 MiB free; 14.06 GiB reserved in total by PyTorch)",
     {"gpu_total_gib": 14.75, "gpu_free_gib": 0.0067, "platform": None}),
    ("torch.OutOfMemoryError: HIP out of memory. Tried to allocate 64.00 MiB. GPU 0 has a total capacity of 15.98 GiB "
     "of which 22.00 MiB is free. Of the allocated memory 15.21 GiB is allocated by PyTorch, and 325.55 MiB is "
     "reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting "
     "PYTORCH_HIP_ALLOC_CONF=expandable_segments:True to avoid fragmentation.",
     {"gpu_total_gib": 15.98, "gpu_free_gib": 0.0215, "platform": "rocm"}),
    ("RuntimeError: NPU out of memory. Tried to allocate 22.00 MiB (NPU 0; 60.97 GiB total capacity; 10.12 GiB already "
     "allocated; 10.12 GiB current active; 12.31 MiB free; 10.17 GiB reserved in total by PyTorch) If reserved memory "
     "is >> allocated memory try setting max_split_size_mb to avoid fragmentation.",
     {"gpu_total_gib": 60.97, "gpu_free_gib": 0.012, "platform": "npu"}),
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
    ("INFO 11-20 10:06:02 worker.py:232] Memory profiling results: total_gpu_memory=22.06GiB "
     "initial_memory_usage=14.61GiB peak_torch_memory=15.60GiB memory_usage_post_profile=14.85Gib "
     "non_torch_memory=0.24GiB kv_cache_size=4.01GiB gpu_memory_utilization=0.90",
     {"gpu_total_gib": 22.06, "non_torch_gib": 0.24, "kv_cache_gib": 4.01, "gpu_memory_utilization": 0.9}),
    ("(EngineCore_0 pid=268) ERROR 08-21 06:02:40 [core.py:700] ValueError: Free memory on device (13.90/23.55 GiB) "
     "on startup is less than desired GPU memory utilization (0.9, 21.20 GiB). Decrease GPU memory utilization or "
     "reduce GPU memory used by other processes.",
     {"gpu_free_gib": 13.9, "gpu_total_gib": 23.55, "gpu_memory_utilization": 0.9, "error_type": "ValueError"}),
    ("INFO 03-05 02:10:50 model_runner.py:1562] Graph capturing finished in 3 secs, took 0.11 GiB",
     {"cuda_graph_gib": 0.11}),
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
    ("(EngineCore pid=301) INFO 11-02 09:00:40 [kv_cache_utils.py:1302] Auto-fit max_model_len: reduced from 131072 "
     "to 98304 to fit in available KV cache memory (21.73 GiB)", {"max_model_len": 98304}),
    ("INFO 03-12 10:19:04 cuda.py:227] Using XFormers backend.", {"attention_backend": "XFORMERS"}),
    ("INFO 05-02 09:14:22 [cuda.py:221] Using Flash Attention backend on V1 engine.",
     {"attention_backend": "FLASH_ATTN"}),
    ("(EngineCore pid=164) INFO 03-20 10:11:27 [cuda.py:317] Using FLASHINFER attention backend out of potential "
     "backends: ['FLASHINFER', 'TRITON_ATTN'].", {"attention_backend": "FLASHINFER"}),
    ("(EngineCore pid=301) INFO 05-06 11:20:17 [flash_attn.py:646] Using FlashAttention version 3",
     {"flash_attn_version": 3}),
    ("INFO 12-22 10:55:31 gptq_marlin.py:200] Using MarlinLinearKernel for GPTQMarlinLinearMethod",
     {"quant_kernel": "MarlinLinearKernel", "quantization": "gptq_marlin"}),
    ("WARNING 05-10 08:12:01 config.py:205] awq quantization is not fully optimized yet. The speed can be slower.",
     {"quantization": "awq"}),
    ("ValueError: The quantization method awq_marlin is not supported for the current GPU. Minimum capability: 80. "
     "Current capability: 75.", {"quantization": "awq_marlin", "compute_capability": 7.5}),
    ("INFO 11-20 10:05:52 gptq_marlin.py:108] The model is convertible to gptq_marlin during runtime. Using "
     "gptq_marlin kernel.", {"quantization": "gptq_marlin"}),
    ("(EngineCore pid=301) ERROR 11-02 09:00:12 [core.py:1012] ValueError: Quantization scheme is not supported for "
     "the current GPU. Min capability: 80. Current capability: 75.", {"compute_capability": 7.5}),
    # the tuple-repr form real 0.8-0.11 logs show (known-issues.md)
    ("RuntimeError: ('Quantization scheme is not supported for ', 'the current GPU. Min capability: 80. ', "
     "'Current capability: 70.')", {"compute_capability": 7.0}),
    ("INFO 03-05 02:10:20 config.py:1382] Defaulting to use mp for distributed inference",
     {"distributed_backend": "mp"}),
    ("INFO 03-05 02:10:32 pynccl.py:69] vLLM is using nccl==2.21.5", {"nccl_version": "2.21.5"}),
    ("WARNING 03-05 custom_all_reduce.py:1] Custom allreduce is disabled because your platform lacks GPU P2P "
     "capability or P2P test failed.", {"p2p_disabled": True}),
    ("INFO 05-02 09:14:22 [parallel_state.py:1004] rank 0 in world size 1 is assigned as DP rank 0, PP rank 0, "
     "TP rank 0", {}),
    ("(APIServer pid=1) INFO 10-14 08:30:05 [parallel.py:412] Using ray distributed inference because "
     "data_parallel_backend is ray", {"distributed_backend": "ray"}),
    ("2024-09-12 03:11:38,208\tINFO worker.py:1783 -- Started a local Ray instance.", {"distributed_backend": "ray"}),
    ("(EngineCore_DP0 pid=268) WARNING 11-14 09:12:03 [ray_utils.py:344] Tensor parallel size (4) exceeds available "
     "GPUs (2). This may result in Ray placement group allocation failures.",
     {"tensor_parallel_size": 4, "gpu_count": 2}),
    ("ValueError: Total number of attention heads (40) must be divisible by tensor parallel size (3).",
     {"attention_heads": 40, "tensor_parallel_size": 3}),
    ("INFO:     Application startup complete.", {"server_ready": True}),
    ("init engine (profile, create kv cache, warmup model) took 17.27 seconds", {"engine_ready": True}),
    ("2025-05-28 15:32:32,971 xinference.core.model 6486 INFO     ModelActor(TongGu-0) loaded", {"server_ready": True}),
    ("2025-05-28 15:32:32,975 xinference.core.worker 6276 INFO     [request dc2f] Leave launch_builtin_model, "
     "elapsed time: 43 s", {"server_ready": True}),
    ("2025-03-12 10:17:57,566 uvicorn.error 1 INFO     Uvicorn running on http://0.0.0.0:9997 (Press CTRL+C to quit)",
     {"server_ready": None}),
    ("2024-11-26 09:42:27,902 xinference.core.worker 47 ERROR    [request 7c41] Leave launch_builtin_model, error: "
     "[address=0.0.0.0:40123, pid=301] boom, elapsed time: 12 s", {"server_ready": None}),
    ("2025-05-28 15:32:22,284 transformers.modeling_utils 6486 INFO     Instantiating BaichuanForCausalLM model "
     "under default dtype torch.float16.", {"dtype": "float16"}),
    ("(EngineCore_0 pid=212) DEBUG 08-28 14:12:14 [gpu_worker.py:263] Memory profiling takes 41.37 seconds. Total non "
     "KV cache memory: 37.85GiB; torch peak memory increase: 1.41GiB; non-torch forward increase memory: 8.92GiB; "
     "weights memory: 27.52GiB.",
     {"activation_peak_gib": 1.41, "non_torch_gib": 8.92, "weights_gib": 27.52}),
    # what names the engine generation (log-catalog.md §2.5, §2.6, §2.7, §2.8, §2.11)
    ("INFO 04-22 10:01:02 [core_client.py:435] Core engine process 0 ready.", {"engine": "v1"}),
    ("(EngineCore_0 pid=77) ERROR 07-01 10:00:00 [core.py:515] EngineCore failed to start.", {"engine": "v1"}),
    ("INFO 10-10 09:00:00 api_server.py:188] Started engine process with PID 62", {"engine": "v0"}),
    ("INFO 12-01 10:00:00 model_runner.py:1518] Capturing cudagraphs for decoding. This may lead to unexpected "
     "consequences if the model is not static.", {"engine": "v0"}),
    ("WARNING 03-20 10:00:00 [arg_utils.py:1708] --kv-cache-dtype is not supported by the V1 Engine. Falling back "
     "to V0. ", {"engine": "v0"}),
    ("INFO 09-01 10:00:00 metrics.py:449] Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 12.3 "
     "tokens/s, Running: 1 reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: 0.4%, CPU KV cache usage: "
     "0.0%.", {"engine": "v0"}),
    ("INFO 05-02 09:20:01 [loggers.py:111] Engine 000: Avg prompt throughput: 0.0 tokens/s, Avg generation "
     "throughput: 30.1 tokens/s, Running: 1 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.1%, Prefix cache hit "
     "rate: 0.0%", {"engine": "v1"}),
    ("docker run --gpus all -e VLLM_USE_V1=0 vllm/vllm-openai:latest --model Qwen/Qwen2.5-7B", {"engine": "v0"}),
    ("INFO 05-02 09:14:30 [kv_cache_utils.py:634] GPU KV cache size: 1,012,064 tokens",
     {"kv_cache_tokens": 1012064, "engine": "v1"}),
    ("INFO 01-15 10:00:00 executor_base.py:115] # cuda blocks: 46226, # CPU blocks: 9362",
     {"gpu_blocks": 46226, "cpu_blocks": 9362, "engine": "v0"}),
    ("INFO 03-05 02:10:40 [cuda.py:215] Using Flash Attention backend on V1 engine.",
     {"attention_backend": "FLASH_ATTN", "engine": "v1"}),
    ("INFO 03-05 02:10:40 cuda.py:230] Using XFormers backend.", {"attention_backend": "XFORMERS", "engine": "v0"}),
    ("(EngineCore_DP0 pid=5) INFO 12-01 10:00:00 [cuda.py:366] Using AttentionBackendEnum.FLASHINFER backend.",
     {"attention_backend": "FLASHINFER", "engine": "v1"}),
    # ROCm (platforms/rocm.py; known-issues-platforms.md): V0's one word, V1's display names
    ("INFO 06-10 12:00:00 selector.py:56] Using ROCmFlashAttention backend.",
     {"attention_backend": "ROCM_FLASH", "engine": "v0"}),
    ("INFO 06-10 12:00:00 [rocm.py:214] Using Rocm Attention backend on V1 engine.",
     {"attention_backend": "ROCM_ATTN", "engine": "v1"}),
    ("INFO 06-10 12:00:00 [rocm.py:208] Using Aiter Flash Attention backend on V1 engine.",
     {"attention_backend": "ROCM_AITER_FA"}),
    ("INFO 06-10 12:00:00 [rocm.py:220] Using Triton Attention backend on V1 engine.",
     {"attention_backend": "TRITON_ATTN"}),
    # what names the distributed executor (§2.8)
    ("WARNING 03-05 02:10:20 ray_utils.py:315] No existing RAY instance detected. A new instance will be launched "
     "with current node resources.", {"distributed_backend": "ray"}),
    ("(VllmWorkerProcess pid=391) INFO 03-05 02:10:25 multiproc_worker_utils.py:229] Worker ready; awaiting tasks",
     {"distributed_backend": "mp", "engine": "v0"}),
    ("WARNING 03-05 02:10:19 multiproc_gpu_executor.py:56] Reducing Torch parallelism from 32 threads to 1 to avoid "
     "unnecessary CPU contention.", {"distributed_backend": "mp"}),
    # an offline script pasted above its traceback (corpus tensorrtllmchatglm3-3)
    ('    llm = LLM(model="/home/u/vLLM/ChatGLM3-6b", tensor_parallel_size=2, trust_remote_code=True)',
     {"model": "/home/u/vLLM/ChatGLM3-6b", "tensor_parallel_size": 2, "trust_remote_code": True}),
    # the OpenAI-compatible server's error body as a client prints it (corpus agentlightning-57)
    ('{"object":"error","message":"As of transformers v4.44, default chat template is no longer allowed, so you '
     'must provide a chat template if the tokenizer does not define one. None","type":"BadRequestError",'
     '"param":null,"code":400}(base)',
     {"error_type": "BadRequestError", "error_message": "As of transformers v4.44, default chat template is no "
      "longer allowed, so you must provide a chat template if the tokenizer does not define one. None"}),
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
    assert not untested, sorted(untested)


def test_lines_without_an_anchor_are_not_parsed():
    parser = LineParser()
    assert parser.feed(Line(1, 'INFO:     10.0.0.5:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK')) == []
    assert parser.last_message is None


def test_backend_word_that_is_not_an_attention_backend_is_ignored():
    assert "attention_backend" not in _facts_of("INFO 01-01 00:00:00 [mxfp4.py:1] Using Marlin backend")


def test_auto_fitted_max_model_len_replaces_the_config_dump(tmp_path):
    from logdoctor.pipeline import analyze

    log = tmp_path / "autofit.log"
    log.write_text(
        "(EngineCore pid=287) INFO 10-14 09:12:24 [core.py:139] Initializing a V1 LLM engine (v0.32.0) with config: "
        "model='m', dtype=torch.bfloat16, max_seq_len=131072, tensor_parallel_size=2\n"
        "(EngineCore pid=287) INFO 10-14 09:14:10 [kv_cache_utils.py:1104] Auto-fit max_model_len: reduced from 131072 "
        "to 21680 to fit in available KV cache memory (3.31 GiB)\n"
        "(EngineCore pid=287) INFO 10-14 09:14:10 [kv_cache_utils.py:1147] GPU KV cache size: 21,680 tokens, "
        "Maximum concurrency for 21,680 tokens per request: 1.00x\n", encoding="utf-8")
    facts = analyze([str(log)]).sheet.facts
    assert facts["max_model_len"] == 21680 and facts["kv_cache_fits_max_model_len"] is True


def test_a_v0_request_line_from_async_llm_engine_is_not_parsed():
    parser = LineParser()
    line = "INFO 05-10 08:12:01 async_llm_engine.py:173] Added request cmpl-5f1c2a7b9e8d4c3a."
    assert parser.feed(Line(1, line)) == [] and parser.last_message is None
    assert parser.feed(Line(2, "INFO 05-10 08:12:01 llm_engine.py:100] Initializing an LLM engine"))


def test_worker_tags_stop_making_lines_worth_parsing_once_the_hints_are_read():
    parser = LineParser()
    tagged = "(VllmWorkerProcess pid=212) INFO 05-10 08:12:01 custom_all_reduce.py:224] Registering 3395 graphs"
    assert parser.feed(Line(1, tagged)) and parser.last_message is not None
    for number in range(2, 500):
        parser.feed(Line(number, tagged))
    assert parser.feed(Line(500, tagged)) == [] and parser.last_message is None
    assert parser.feed(Line(501, "(VllmWorkerProcess pid=212) RuntimeError: CUDA error: out of memory"))


def _sheet_of(text: str) -> dict:
    import io

    from logdoctor.pipeline import analyze

    return analyze(["-"], stdin=io.BytesIO(text.encode())).sheet.facts


CONFIG = ("INFO 03-12 10:19:16 llm_engine.py:232] Initializing an LLM engine (v0.7.3) with config: "
          "model='Qwen/Qwen2.5-7B-Instruct', speculative_config=None, dtype=torch.float16")
LOADING = "INFO 03-12 10:19:17 model_runner.py:1110] Starting to load model Qwen/Qwen2.5-7B-Instruct..."


def test_a_model_name_cut_with_its_line_gives_way_to_the_whole_name_on_another_line():
    for cut in (LOADING[:LOADING.index("-Instruct") + 4], CONFIG[:CONFIG.index("-Instruct") + 4]):
        whole = LOADING if cut.startswith(CONFIG[:40]) else CONFIG
        for lines in ((cut, whole), (whole, cut)):
            assert _sheet_of("\n".join(lines) + "\n")["model"] == "Qwen/Qwen2.5-7B-Instruct", lines


def test_rays_repeat_marker_is_not_part_of_the_message():
    ray = "(RayWorkerWrapper pid=1912, ip=10.0.0.12) " + LOADING + " [repeated 5x across cluster]"
    assert _sheet_of(ray + "\n")["model"] == "Qwen/Qwen2.5-7B-Instruct"
    # a longer value with words after the name is not the name uncut
    assert _sheet_of(f"{LOADING}\n{LOADING[:-3]}-AWQ extra words\n")["model"] == "Qwen/Qwen2.5-7B-Instruct"


def test_of_two_equal_sources_the_whole_name_wins_over_the_cut_one():
    cut = "(RayWorkerWrapper pid=1845) " + LOADING[:LOADING.index("-Instruct") + 4]
    for lines in ((cut, LOADING), (LOADING, cut)):
        assert _sheet_of("\n".join(lines) + "\n")["model"] == "Qwen/Qwen2.5-7B-Instruct", lines


# vLLM 0.1 in a notebook (corpus vllm-872): its own quotes around repr()'s, and IPython's traceback header
VLLM01_CONFIG = ("INFO 08-25 12:31:29 llm_engine.py:70] Initializing an LLM engine with config: "
                 "model=''meta-llama/Llama-2-13b-chat-hf'', tokenizer=''meta-llama/Llama-2-13b-chat-hf'', "
                 "tokenizer_mode=auto, trust_remote_code=True, dtype=torch.float16, use_dummy_weights=False, "
                 "download_dir=None, use_np_weights=False, tensor_parallel_size=4, seed=0)")


def test_doubled_quotes_around_a_value_are_all_removed():
    assert _sheet_of(VLLM01_CONFIG + "\n")["model"] == "meta-llama/Llama-2-13b-chat-hf"


def test_an_ipython_traceback_header_names_the_exception_even_when_cut():
    for header in ("OutOfMemoryError                          Traceback (most recent call last)",
                   "OutOfMemoryError                          Tracebac"):
        sheet = _sheet_of("-" * 75 + "\n" + header + "\n")
        assert sheet["error_type"] == "OutOfMemoryError", header
    assert "error_type" not in _sheet_of("OutOfMemoryError Traceback is a word pair in prose\n")
def test_an_nvidia_gpu_gives_the_cuda_platform_its_sm_target_and_architecture():
    facts = _sheet_of("WARNING 06-01 10:00:00 [config.py:3000] Your Tesla T4 device (with compute capability 7.5) "
                      "doesn't support torch.bfloat16. Falling back to torch.float16 for compatibility.\n")
    assert (facts["platform"], facts["gpu_target"], facts["gpu_arch"]) == ("cuda", "sm_75", "turing")


@pytest.mark.parametrize(("line", "target", "family"), [
    ("GPU models and configuration: AMD Instinct MI300X (gfx942:sramecc+:xnack-)", "gfx942", "cdna3"),
    ("GPU 0: AMD Radeon RX 6800 XT", "gfx1030", "rdna2"),  # no target written: known from the name
    ("GPU 0: AMD Instinct MI250X/MI250", "gfx90a", "cdna2"),
])
def test_an_amd_gpu_gives_rocm_its_gfx_target_and_family_and_no_nvidia_facts(line, target, family):
    facts = _sheet_of(line + "\n")
    assert (facts["platform"], facts["gpu_target"], facts["gpu_arch"]) == ("rocm", target, family)
    assert "compute_capability" not in facts and "pre_ampere" not in facts


def test_cuda_words_in_a_rocm_log_do_not_make_it_cuda():
    facts = _sheet_of(
        "INFO 02-13 06:10:01 __init__.py:183] Automatically detected platform rocm.\n"
        "INFO 02-13 06:10:20 llm_engine.py:232] Initializing an LLM engine (v0.7.2) with config: model='m', "
        "kv_cache_dtype=auto,  device_config=cuda, seed=0\n"
        "INFO 02-13 06:10:25 selector.py:134] Using ROCmFlashAttention backend.\n"
        "INFO 02-13 06:11:02 executor_base.py:110] # CUDA blocks: 2202, # CPU blocks: 512\n")
    assert facts["platform"] == "rocm" and facts["attention_backend"] == "ROCM_FLASH"


def test_a_platforms_own_attention_backend_names_the_platform():
    assert _sheet_of("INFO 05-01 10:00:00 selector.py:134] Using ROCmFlashAttention backend.\n")["platform"] == "rocm"
