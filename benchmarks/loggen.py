"""Deterministic, realistic long vLLM server logs for the benchmark (and for tests, at small sizes).

A log is what `docker logs` of a serving container shows after it ran for days: the start-up
section (V0 style: vLLM 0.6 with a multiprocessing worker; or V1 style: vLLM 0.10 with
`(APIServer pid=…)` / `(EngineCore_0 pid=…)` tags), then millions of serving lines (uvicorn access
lines, health checks and Prometheus scrapes, `Received request` lines with their prompts, `Added` /
`Finished request`, the engine's `Avg prompt throughput` metrics line every few seconds), then a
fatal error with its traceback near the end.

Two more shapes, where the lines logdoctor must parse are the ones repeated: an error storm (a
vLLM 0.4.1 start, then the same OOM traceback and 500 for every request) and a million worker
lines stating their memory, with `\\r\\n` endings.

    python benchmarks/loggen.py OUT.log --size 400M --style v1
    python benchmarks/loggen.py OUT.log --startup 300 --style v0      # a start-up log of 300 lines
    python benchmarks/loggen.py OUT.log --storm 60000                 # start, then 60,000 OOM blocks
    python benchmarks/loggen.py OUT.log --repeated 1000000            # 1,000,000 worker lines, CRLF
"""
# The log text below is verbatim vLLM output: its lines are as long as vLLM makes them, and the
# V1 engine's empty line after a progress bar keeps its trailing space.
# ruff: noqa: E501, W291

from __future__ import annotations

import argparse
import random
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

V0_STARTUP = """\
INFO 10-28 14:01:02 api_server.py:528] vLLM API server version 0.6.3.post1
INFO 10-28 14:01:02 api_server.py:529] args: Namespace(subparser='serve', model_tag='Qwen/Qwen2.5-14B-Instruct', config='', host='0.0.0.0', port=8000, uvicorn_log_level='info', allow_credentials=False, allowed_origins=['*'], allowed_methods=['*'], allowed_headers=['*'], api_key=None, lora_modules=None, prompt_adapters=None, chat_template=None, response_role='assistant', ssl_keyfile=None, ssl_certfile=None, ssl_ca_certs=None, ssl_cert_reqs=0, root_path=None, middleware=[], return_tokens_as_token_ids=False, disable_frontend_multiprocessing=False, enable_auto_tool_choice=False, tool_call_parser=None, tool_parser_plugin='', model='Qwen/Qwen2.5-14B-Instruct', tokenizer=None, skip_tokenizer_init=False, revision=None, code_revision=None, tokenizer_revision=None, tokenizer_mode='auto', trust_remote_code=False, download_dir=None, load_format='auto', config_format=<ConfigFormat.AUTO: 'auto'>, dtype='auto', kv_cache_dtype='auto', quantization_param_path=None, max_model_len=16384, guided_decoding_backend='outlines', distributed_executor_backend=None, worker_use_ray=False, pipeline_parallel_size=1, tensor_parallel_size=2, max_parallel_loading_workers=None, ray_workers_use_nsight=False, block_size=16, enable_prefix_caching=False, disable_sliding_window=False, use_v2_block_manager=False, num_lookahead_slots=0, seed=0, swap_space=4, cpu_offload_gb=0, gpu_memory_utilization=0.9, num_gpu_blocks_override=None, max_num_batched_tokens=None, max_num_seqs=256, max_logprobs=20, disable_log_stats=False, quantization=None, rope_scaling=None, rope_theta=None, hf_overrides=None, enforce_eager=False, max_context_len_to_capture=None, max_seq_len_to_capture=8192, disable_custom_all_reduce=False, tokenizer_pool_size=0, tokenizer_pool_type='ray', tokenizer_pool_extra_config=None, limit_mm_per_prompt=None, mm_processor_kwargs=None, enable_lora=False, max_loras=1, max_lora_rank=16, lora_extra_vocab_size=256, lora_dtype='auto', long_lora_scaling_factors=None, max_cpu_loras=None, fully_sharded_loras=False, enable_prompt_adapter=False, max_prompt_adapters=1, max_prompt_adapter_token=0, device='auto', num_scheduler_steps=1, multi_step_stream_outputs=True, scheduler_delay_factor=0.0, enable_chunked_prefill=None, speculative_model=None, speculative_model_quantization=None, num_speculative_tokens=None, speculative_disable_mqa_scorer=False, speculative_draft_tensor_parallel_size=None, speculative_max_model_len=None, speculative_disable_by_batch_size=None, ngram_prompt_lookup_max=None, ngram_prompt_lookup_min=None, spec_decoding_acceptance_method='rejection_sampler', typical_acceptance_sampler_posterior_threshold=None, typical_acceptance_sampler_posterior_alpha=None, disable_logprobs_during_spec_decoding=None, model_loader_extra_config=None, ignore_patterns=[], preemption_mode=None, served_model_name=['qwen2.5-14b'], qlora_adapter_name_or_path=None, otlp_traces_endpoint=None, collect_detailed_traces=None, disable_async_output_proc=False, override_neuron_config=None, scheduling_policy='fcfs', disable_log_requests=False, max_log_len=None, disable_fastapi_docs=False, enable_prompt_tokens_details=False, dispatch_function=<function serve at 0x7f3c2b6e1d80>)
INFO 10-28 14:01:02 api_server.py:166] Multiprocessing frontend to use ipc:///tmp/4b6a0c2e-1f0a-4a55-9d0b-8c2f3e1d7a66 for IPC Path.
INFO 10-28 14:01:02 api_server.py:179] Started engine process with PID 87
INFO 10-28 14:01:09 config.py:905] Defaulting to use mp for distributed inference
INFO 10-28 14:01:09 llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: model='Qwen/Qwen2.5-14B-Instruct', speculative_config=None, tokenizer='Qwen/Qwen2.5-14B-Instruct', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, override_neuron_config=None, rope_scaling=None, rope_theta=None, tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=16384, download_dir=None, load_format=LoadFormat.AUTO, tensor_parallel_size=2, pipeline_parallel_size=1, disable_custom_all_reduce=False, quantization=None, enforce_eager=False, kv_cache_dtype=auto, quantization_param_path=None, device_config=cuda, decoding_config=DecodingConfig(guided_decoding_backend='outlines'), observability_config=ObservabilityConfig(otlp_traces_endpoint=None, collect_model_forward_time=False, collect_model_execute_time=False), seed=0, served_model_name=qwen2.5-14b, use_v2_block_manager=False, num_scheduler_steps=1, chunked_prefill_enabled=False multi_step_stream_outputs=True, enable_prefix_caching=False, use_async_output_proc=True, use_cached_outputs=True, mm_processor_kwargs=None)
WARNING 10-28 14:01:09 multiproc_gpu_executor.py:53] Reducing Torch parallelism from 32 threads to 1 to avoid unnecessary CPU contention. Set OMP_NUM_THREADS in the external environment to tune this value as needed.
INFO 10-28 14:01:09 custom_cache_manager.py:17] Setting Triton cache manager to: vllm.triton_utils.custom_cache_manager:CustomCacheManager
INFO 10-28 14:01:10 selector.py:135] Using Flash Attention backend.
(VllmWorkerProcess pid=151) INFO 10-28 14:01:10 selector.py:135] Using Flash Attention backend.
(VllmWorkerProcess pid=151) INFO 10-28 14:01:10 multiproc_worker_utils.py:216] Worker ready; awaiting tasks
INFO 10-28 14:01:11 utils.py:1008] Found nccl from library libnccl.so.2
INFO 10-28 14:01:11 pynccl.py:63] vLLM is using nccl==2.20.5
(VllmWorkerProcess pid=151) INFO 10-28 14:01:11 utils.py:1008] Found nccl from library libnccl.so.2
(VllmWorkerProcess pid=151) INFO 10-28 14:01:11 pynccl.py:63] vLLM is using nccl==2.20.5
INFO 10-28 14:01:12 custom_all_reduce_utils.py:242] reading GPU P2P access cache from /root/.cache/vllm/gpu_p2p_access_cache_for_0,1.json
(VllmWorkerProcess pid=151) INFO 10-28 14:01:12 custom_all_reduce_utils.py:242] reading GPU P2P access cache from /root/.cache/vllm/gpu_p2p_access_cache_for_0,1.json
INFO 10-28 14:01:12 shm_broadcast.py:241] vLLM message queue communication handle: Handle(connect_ip='127.0.0.1', local_reader_ranks=[1], buffer=<vllm.distributed.device_communicators.shm_broadcast.ShmRingBuffer object at 0x7f3bfc1d2a10>, local_subscribe_port=43219, remote_subscribe_port=None)
INFO 10-28 14:01:12 model_runner.py:1056] Starting to load model Qwen/Qwen2.5-14B-Instruct...
(VllmWorkerProcess pid=151) INFO 10-28 14:01:12 model_runner.py:1056] Starting to load model Qwen/Qwen2.5-14B-Instruct...
INFO 10-28 14:01:13 weight_utils.py:243] Using model weights format ['*.safetensors']
(VllmWorkerProcess pid=151) INFO 10-28 14:01:13 weight_utils.py:243] Using model weights format ['*.safetensors']
Loading safetensors checkpoint shards:   0% Completed | 0/8 [00:00<?, ?it/s]
Loading safetensors checkpoint shards:  12% Completed | 1/8 [00:01<00:08,  1.21s/it]
Loading safetensors checkpoint shards:  25% Completed | 2/8 [00:02<00:07,  1.19s/it]
Loading safetensors checkpoint shards:  38% Completed | 3/8 [00:03<00:05,  1.18s/it]
Loading safetensors checkpoint shards:  50% Completed | 4/8 [00:04<00:04,  1.17s/it]
Loading safetensors checkpoint shards:  62% Completed | 5/8 [00:05<00:03,  1.16s/it]
Loading safetensors checkpoint shards:  75% Completed | 6/8 [00:07<00:02,  1.17s/it]
Loading safetensors checkpoint shards:  88% Completed | 7/8 [00:08<00:01,  1.18s/it]
Loading safetensors checkpoint shards: 100% Completed | 8/8 [00:09<00:00,  1.15s/it]
Loading safetensors checkpoint shards: 100% Completed | 8/8 [00:09<00:00,  1.17s/it]

INFO 10-28 14:01:23 model_runner.py:1067] Loading model weights took 13.9281 GB
(VllmWorkerProcess pid=151) INFO 10-28 14:01:23 model_runner.py:1067] Loading model weights took 13.9281 GB
INFO 10-28 14:01:27 distributed_gpu_executor.py:57] # GPU blocks: 5460, # CPU blocks: 2730
INFO 10-28 14:01:27 distributed_gpu_executor.py:61] Maximum concurrency for 16384 tokens per request: 5.33x
(VllmWorkerProcess pid=151) INFO 10-28 14:01:29 model_runner.py:1395] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.
(VllmWorkerProcess pid=151) INFO 10-28 14:01:29 model_runner.py:1399] CUDA graphs can take additional 1~3 GiB memory per GPU. If you are running out of memory, consider decreasing `gpu_memory_utilization` or enforcing eager mode. You can also reduce the `max_num_seqs` as needed to decrease memory usage.
INFO 10-28 14:01:29 model_runner.py:1395] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.
INFO 10-28 14:01:29 model_runner.py:1399] CUDA graphs can take additional 1~3 GiB memory per GPU. If you are running out of memory, consider decreasing `gpu_memory_utilization` or enforcing eager mode. You can also reduce the `max_num_seqs` as needed to decrease memory usage.
(VllmWorkerProcess pid=151) INFO 10-28 14:01:41 custom_all_reduce.py:224] Registering 3395 cuda graph addresses
INFO 10-28 14:01:41 custom_all_reduce.py:224] Registering 3395 cuda graph addresses
(VllmWorkerProcess pid=151) INFO 10-28 14:01:41 model_runner.py:1523] Graph capturing finished in 12 secs.
INFO 10-28 14:01:41 model_runner.py:1523] Graph capturing finished in 12 secs.
INFO 10-28 14:01:42 api_server.py:232] vLLM to use /tmp/tmpq3v0x1b2 as PROMETHEUS_MULTIPROC_DIR
WARNING 10-28 14:01:42 serving_embedding.py:199] embedding_mode is False. Embedding API will not work.
INFO 10-28 14:01:42 launcher.py:19] Available routes are:
INFO 10-28 14:01:42 launcher.py:27] Route: /openapi.json, Methods: HEAD, GET
INFO 10-28 14:01:42 launcher.py:27] Route: /docs, Methods: HEAD, GET
INFO 10-28 14:01:42 launcher.py:27] Route: /docs/oauth2-redirect, Methods: HEAD, GET
INFO 10-28 14:01:42 launcher.py:27] Route: /redoc, Methods: HEAD, GET
INFO 10-28 14:01:42 launcher.py:27] Route: /health, Methods: GET
INFO 10-28 14:01:42 launcher.py:27] Route: /tokenize, Methods: POST
INFO 10-28 14:01:42 launcher.py:27] Route: /detokenize, Methods: POST
INFO 10-28 14:01:42 launcher.py:27] Route: /v1/models, Methods: GET
INFO 10-28 14:01:42 launcher.py:27] Route: /version, Methods: GET
INFO 10-28 14:01:42 launcher.py:27] Route: /v1/chat/completions, Methods: POST
INFO 10-28 14:01:42 launcher.py:27] Route: /v1/completions, Methods: POST
INFO 10-28 14:01:42 launcher.py:27] Route: /v1/embeddings, Methods: POST
INFO:     Started server process [1]
INFO:     Waiting for application startup.
INFO:     Application startup complete.
INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)
"""

V1_STARTUP = """\
(APIServer pid=1) INFO 08-27 09:12:01 [api_server.py:1805] vLLM API server version 0.10.1.1
(APIServer pid=1) INFO 08-27 09:12:01 [utils.py:326] non-default args: {'model_tag': 'Qwen/Qwen3-8B', 'host': '0.0.0.0', 'model': 'Qwen/Qwen3-8B', 'max_model_len': 32768, 'served_model_name': ['qwen3-8b'], 'gpu_memory_utilization': 0.92, 'enable_prefix_caching': True, 'max_num_seqs': 128}
(APIServer pid=1) INFO 08-27 09:12:09 [__init__.py:711] Resolved architecture: Qwen3ForCausalLM
(APIServer pid=1) INFO 08-27 09:12:09 [__init__.py:1750] Using max model len 32768
(APIServer pid=1) INFO 08-27 09:12:10 [scheduler.py:222] Chunked prefill is enabled with max_num_batched_tokens=8192.
(APIServer pid=1) INFO 08-27 09:12:15 [__init__.py:241] Automatically detected platform cuda.
(EngineCore_0 pid=284) INFO 08-27 09:12:17 [core.py:636] Waiting for init message from front-end.
(EngineCore_0 pid=284) INFO 08-27 09:12:17 [core.py:74] Initializing a V1 LLM engine (v0.10.1.1) with config: model='Qwen/Qwen3-8B', speculative_config=None, tokenizer='Qwen/Qwen3-8B', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, override_neuron_config={}, tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=32768, download_dir=None, load_format=auto, tensor_parallel_size=1, pipeline_parallel_size=1, disable_custom_all_reduce=False, quantization=None, enforce_eager=False, kv_cache_dtype=auto, device_config=cuda, decoding_config=DecodingConfig(backend='auto', disable_fallback=False, disable_any_whitespace=False, disable_additional_properties=False, reasoning_backend=''), observability_config=ObservabilityConfig(show_hidden_metrics_for_version=None, otlp_traces_endpoint=None, collect_detailed_traces=None), seed=0, served_model_name=qwen3-8b, enable_prefix_caching=True, chunked_prefill_enabled=True, use_async_output_proc=True, pooler_config=None, compilation_config={"level":3,"debug_dump_path":"","cache_dir":"","backend":"","custom_ops":[],"splitting_ops":["vllm.unified_attention","vllm.unified_attention_with_output","vllm.mamba_mixer2"],"use_inductor":true,"compile_sizes":[],"inductor_compile_config":{"enable_auto_functionalized_v2":false},"inductor_passes":{},"cudagraph_mode":1,"use_cudagraph":true,"cudagraph_num_of_warmups":1,"cudagraph_capture_sizes":[512,504,496,488,480,472,464,456,448,440,432,424,416,408,400,392,384,376,368,360,352,344,336,328,320,312,304,296,288,280,272,264,256,248,240,232,224,216,208,200,192,184,176,168,160,152,144,136,128,120,112,104,96,88,80,72,64,56,48,40,32,24,16,8,4,2,1],"cudagraph_copy_inputs":false,"full_cuda_graph":false,"pass_config":{},"max_capture_size":512,"local_cache_dir":null}
(EngineCore_0 pid=284) INFO 08-27 09:12:19 [parallel_state.py:1134] rank 0 in world size 1 is assigned as DP rank 0, PP rank 0, TP rank 0, EP rank 0
(EngineCore_0 pid=284) WARNING 08-27 09:12:19 [topk_topp_sampler.py:61] FlashInfer is not available. Falling back to the PyTorch-native implementation of top-p & top-k sampling. For the best performance, please install FlashInfer.
(EngineCore_0 pid=284) INFO 08-27 09:12:19 [gpu_model_runner.py:1953] Starting to load model Qwen/Qwen3-8B...
(EngineCore_0 pid=284) INFO 08-27 09:12:19 [gpu_model_runner.py:1985] Loading model from scratch...
(EngineCore_0 pid=284) INFO 08-27 09:12:19 [cuda.py:328] Using Flash Attention backend on V1 engine.
(EngineCore_0 pid=284) INFO 08-27 09:12:20 [weight_utils.py:296] Using model weights format ['*.safetensors']
Loading safetensors checkpoint shards:   0% Completed | 0/5 [00:00<?, ?it/s]
Loading safetensors checkpoint shards:  20% Completed | 1/5 [00:00<00:03,  1.12it/s]
Loading safetensors checkpoint shards:  40% Completed | 2/5 [00:01<00:02,  1.09it/s]
Loading safetensors checkpoint shards:  60% Completed | 3/5 [00:02<00:01,  1.07it/s]
Loading safetensors checkpoint shards:  80% Completed | 4/5 [00:03<00:00,  1.08it/s]
Loading safetensors checkpoint shards: 100% Completed | 5/5 [00:04<00:00,  1.21it/s]
Loading safetensors checkpoint shards: 100% Completed | 5/5 [00:04<00:00,  1.14it/s]
(EngineCore_0 pid=284) 
(EngineCore_0 pid=284) INFO 08-27 09:12:25 [default_loader.py:262] Loading weights took 4.41 seconds
(EngineCore_0 pid=284) INFO 08-27 09:12:25 [gpu_model_runner.py:2007] Model loading took 15.2683 GiB and 5.120741 seconds
(EngineCore_0 pid=284) INFO 08-27 09:12:32 [backends.py:548] Using cache directory: /root/.cache/vllm/torch_compile_cache/3d1f0e2a9b/rank_0_0/backbone for vLLM's torch.compile
(EngineCore_0 pid=284) INFO 08-27 09:12:32 [backends.py:559] Dynamo bytecode transform time: 6.62 s
(EngineCore_0 pid=284) INFO 08-27 09:12:37 [backends.py:194] Cache the graph for dynamic shape for later use
(EngineCore_0 pid=284) INFO 08-27 09:12:58 [backends.py:215] Compiling a graph for dynamic shape takes 25.39 s
(EngineCore_0 pid=284) INFO 08-27 09:13:05 [monitor.py:34] torch.compile takes 32.01 s in total
(EngineCore_0 pid=284) INFO 08-27 09:13:06 [gpu_worker.py:276] Available KV cache memory: 52.49 GiB
(EngineCore_0 pid=284) INFO 08-27 09:13:06 [kv_cache_utils.py:849] GPU KV cache size: 382,208 tokens
(EngineCore_0 pid=284) INFO 08-27 09:13:06 [kv_cache_utils.py:853] Maximum concurrency for 32,768 tokens per request: 11.66x
Capturing CUDA graph shapes: 100%|██████████| 67/67 [00:03<00:00, 19.71it/s]
(EngineCore_0 pid=284) INFO 08-27 09:13:10 [gpu_model_runner.py:2708] Graph capturing finished in 4 secs, took 0.61 GiB
(EngineCore_0 pid=284) INFO 08-27 09:13:10 [core.py:214] init engine (profile, create kv cache, warmup model) took 44.62 seconds
(APIServer pid=1) INFO 08-27 09:13:10 [loggers.py:142] Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: 23888
(APIServer pid=1) INFO 08-27 09:13:11 [api_server.py:1611] Supported_tasks: ['generate']
(APIServer pid=1) WARNING 08-27 09:13:11 [__init__.py:1625] Default sampling parameters have been overridden by the model's Hugging Face generation config recommended from the model creator. If this is not intended, please relaunch vLLM instance with `--generation-config vllm`.
(APIServer pid=1) INFO 08-27 09:13:11 [serving_responses.py:120] Using default chat sampling params from model: {'temperature': 0.6, 'top_k': 20, 'top_p': 0.95}
(APIServer pid=1) INFO 08-27 09:13:11 [serving_chat.py:134] Using default chat sampling params from model: {'temperature': 0.6, 'top_k': 20, 'top_p': 0.95}
(APIServer pid=1) INFO 08-27 09:13:11 [serving_completion.py:77] Using default completion sampling params from model: {'temperature': 0.6, 'top_k': 20, 'top_p': 0.95}
(APIServer pid=1) INFO 08-27 09:13:11 [api_server.py:1880] Starting vLLM API server 0 on http://0.0.0.0:8000
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:29] Available routes are:
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /openapi.json, Methods: HEAD, GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /docs, Methods: HEAD, GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /docs/oauth2-redirect, Methods: HEAD, GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /redoc, Methods: HEAD, GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /health, Methods: GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /load, Methods: GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /ping, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /ping, Methods: GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /tokenize, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /detokenize, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /v1/models, Methods: GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /version, Methods: GET
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /v1/responses, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /v1/chat/completions, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /v1/completions, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /v1/embeddings, Methods: POST
(APIServer pid=1) INFO 08-27 09:13:11 [launcher.py:37] Route: /metrics, Methods: GET
(APIServer pid=1) INFO:     Started server process [1]
(APIServer pid=1) INFO:     Waiting for application startup.
(APIServer pid=1) INFO:     Application startup complete.
"""

# The fatal error near the end: a CUDA OOM in the engine while serving. `STAMP` stands for the time
# it happened (same width as a real stamp, so the size budget is exact); the in-flight requests'
# 500s and the server's shutdown follow it, as they do when vLLM's engine dies.
STAMP = "MM-DD HH:MM:SS"
V0_ERROR = """\
ERROR MM-DD HH:MM:SS engine.py:135] OutOfMemoryError('CUDA out of memory. Tried to allocate 4.64 GiB. GPU 0 has a total capacity of 22.19 GiB of which 1.86 GiB is free. Process 87 has 20.32 GiB memory in use. Of the allocated memory 19.02 GiB is allocated by PyTorch, and 512.31 MiB is reserved by PyTorch but unallocated.')
ERROR MM-DD HH:MM:SS engine.py:135] Traceback (most recent call last):
ERROR MM-DD HH:MM:SS engine.py:135]   File "/usr/local/lib/python3.12/dist-packages/vllm/engine/multiprocessing/engine.py", line 133, in start
ERROR MM-DD HH:MM:SS engine.py:135]     self.run_engine_loop()
ERROR MM-DD HH:MM:SS engine.py:135]   File "/usr/local/lib/python3.12/dist-packages/vllm/engine/multiprocessing/engine.py", line 196, in run_engine_loop
ERROR MM-DD HH:MM:SS engine.py:135]     request_outputs = self.engine_step()
ERROR MM-DD HH:MM:SS engine.py:135]   File "/usr/local/lib/python3.12/dist-packages/vllm/engine/multiprocessing/engine.py", line 205, in engine_step
ERROR MM-DD HH:MM:SS engine.py:135]     return self.engine.step()
ERROR MM-DD HH:MM:SS engine.py:135]   File "/usr/local/lib/python3.12/dist-packages/vllm/engine/llm_engine.py", line 1454, in step
ERROR MM-DD HH:MM:SS engine.py:135]     outputs = self.model_executor.execute_model(
ERROR MM-DD HH:MM:SS engine.py:135]   File "/usr/local/lib/python3.12/dist-packages/vllm/worker/model_runner.py", line 1700, in execute_model
ERROR MM-DD HH:MM:SS engine.py:135]     logits = self.model.compute_logits(hidden_or_intermediate_states,
ERROR MM-DD HH:MM:SS engine.py:135]   File "/usr/local/lib/python3.12/dist-packages/vllm/model_executor/layers/logits_processor.py", line 72, in forward
ERROR MM-DD HH:MM:SS engine.py:135]     logits = logits.float()
ERROR MM-DD HH:MM:SS engine.py:135] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.64 GiB. GPU 0 has a total capacity of 22.19 GiB of which 1.86 GiB is free. Process 87 has 20.32 GiB memory in use. Of the allocated memory 19.02 GiB is allocated by PyTorch, and 512.31 MiB is reserved by PyTorch but unallocated.
CRITICAL MM-DD HH:MM:SS launcher.py:99] MQLLMEngine is already dead, terminating server process
"""

V1_ERROR = """\
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700] EngineCore encountered a fatal error.
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700] Traceback (most recent call last):
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 691, in run_engine_core
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]     engine_core.run_busy_loop()
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 718, in run_busy_loop
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]     self._process_engine_step()
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_model_runner.py", line 1601, in execute_model
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]     sampler_output = self.sampler(
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]                      ^^^^^^^^^^^^^
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/sample/sampler.py", line 65, in forward
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700]     logits = self.apply_logits_processors(logits, sampling_metadata)
(EngineCore_0 pid=284) ERROR MM-DD HH:MM:SS [core.py:700] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 9.28 GiB. GPU 0 has a total capacity of 79.19 GiB of which 6.12 GiB is free. Process 284 has 73.06 GiB memory in use. Of the allocated memory 70.21 GiB is allocated by PyTorch, and 1.37 GiB is reserved by PyTorch but unallocated.
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416] AsyncLLM output_handler failed.
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416] Traceback (most recent call last):
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/async_llm.py", line 375, in output_handler
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416]     outputs = await engine_core.get_output_async()
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416]               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core_client.py", line 751, in get_output_async
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416]     raise self._format_exception(outputs) from None
(APIServer pid=1) ERROR MM-DD HH:MM:SS [async_llm.py:416] vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.
"""

# A crash-looping server: vLLM 0.4.1 starts (verbatim, from the README cited in the corpus case
# file-healthy-vllm041-3090-1: https://github.com/zhjunqin/LLM-Learning/blob/17aa102b6480db679f98eedd97926f54ac0b8812/inference/benchmark/README.md),
# then every request fails the same way: the engine's OOM traceback (7 ERROR lines) and the
# request's 500. The storm repeats that block with other numbers each time.
V041_STARTUP = """\
python -m vllm.entrypoints.openai.api_server --model Meta-Llama-3-8B-Instruct --dtype auto  --disable-log-requests

INFO 05-04 14:43:16 api_server.py:151] vLLM API server version 0.4.1
INFO 05-04 14:43:16 api_server.py:152] args: Namespace(host=None, port=8000, uvicorn_log_level='info', allow_credentials=False, allowed_origins=['*'], allowed_methods=['*'], allowed_headers=['*'], api_key=None, served_model_name=None, lora_modules=None, chat_template=None, response_role='assistant', ssl_keyfile=None, ssl_certfile=None, ssl_ca_certs=None, ssl_cert_reqs=0, root_path=None, middleware=[], model='Meta-Llama-3-8B-Instruct', tokenizer=None, skip_tokenizer_init=False, revision=None, code_revision=None, tokenizer_revision=None, tokenizer_mode='auto', trust_remote_code=False, download_dir=None, load_format='auto', dtype='auto', kv_cache_dtype='auto', quantization_param_path=None, max_model_len=None, guided_decoding_backend='outlines', worker_use_ray=False, pipeline_parallel_size=1, tensor_parallel_size=1, max_parallel_loading_workers=None, ray_workers_use_nsight=False, block_size=16, enable_prefix_caching=False, use_v2_block_manager=False, num_lookahead_slots=0, seed=0, swap_space=4, gpu_memory_utilization=0.9, num_gpu_blocks_override=None, max_num_batched_tokens=None, max_num_seqs=256, max_logprobs=5, disable_log_stats=False, quantization=None, enforce_eager=False, max_context_len_to_capture=8192, disable_custom_all_reduce=False, tokenizer_pool_size=0, tokenizer_pool_type='ray', tokenizer_pool_extra_config=None, enable_lora=False, max_loras=1, max_lora_rank=16, lora_extra_vocab_size=256, lora_dtype='auto', max_cpu_loras=None, device='auto', image_input_type=None, image_token_id=None, image_input_shape=None, image_feature_size=None, scheduler_delay_factor=0.0, enable_chunked_prefill=False, speculative_model=None, num_speculative_tokens=None, speculative_max_model_len=None, model_loader_extra_config=None, engine_use_ray=False, disable_log_requests=True, max_log_len=None)
INFO 05-04 14:43:16 llm_engine.py:98] Initializing an LLM engine (v0.4.1) with config: model='Meta-Llama-3-8B-Instruct', speculative_config=None, tokenizer='Meta-Llama-3-8B-Instruct', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=8192, download_dir=None, load_format=auto, tensor_parallel_size=1, disable_custom_all_reduce=False, quantization=None, enforce_eager=False, kv_cache_dtype=auto, quantization_param_path=None, device_config=cuda, decoding_config=DecodingConfig(guided_decoding_backend='outlines'), seed=0)
Special tokens have been added in the vocabulary, make sure the associated word embeddings are fine-tuned or trained.
INFO 05-04 14:43:16 utils.py:608] Found nccl from library /root/.config/vllm/nccl/cu12/libnccl.so.2.18.1
INFO 05-04 14:43:17 selector.py:77] Cannot use FlashAttention backend because the flash_attn package is not found. Please install it for better performance.
INFO 05-04 14:43:17 selector.py:33] Using XFormers backend.
[rank0]:[W ProcessGroupGloo.cpp:721] Warning: Unable to resolve hostname to a (local) address. Using the loopback address as fallback. Manually set the network interface to bind to with GLOO_SOCKET_IFNAME. (function operator())
INFO 05-04 14:43:20 model_runner.py:173] Loading model weights took 14.9595 GB
INFO 05-04 14:43:23 gpu_executor.py:119] # GPU blocks: 2358, # CPU blocks: 2048
INFO 05-04 14:43:24 model_runner.py:976] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.
INFO 05-04 14:43:24 model_runner.py:980] CUDA graphs can take additional 1~3 GiB memory per GPU. If you are running out of memory, consider decreasing `gpu_memory_utilization` or enforcing eager mode. You can also reduce the `max_num_seqs` as needed to decrease memory usage.
INFO 05-04 14:43:29 model_runner.py:1057] Graph capturing finished in 5 secs.
Special tokens have been added in the vocabulary, make sure the associated word embeddings are fine-tuned or trained.
INFO 05-04 14:43:29 serving_chat.py:344] Using default chat template:
INFO 05-04 14:43:29 serving_chat.py:344] {% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>
INFO 05-04 14:43:29 serving_chat.py:344]
INFO 05-04 14:43:29 serving_chat.py:344] '+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>
INFO 05-04 14:43:29 serving_chat.py:344]
INFO 05-04 14:43:29 serving_chat.py:344] ' }}{% else %}{{ eos_token }}{% endif %}
Special tokens have been added in the vocabulary, make sure the associated word embeddings are fine-tuned or trained.
INFO:     Started server process [23347]
INFO:     Waiting for application startup.
INFO:     Application startup complete.
INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)
"""
_V041_OOM = """\
ERROR {stamp} async_llm_engine.py:43] Engine background task failed
ERROR {stamp} async_llm_engine.py:43] Traceback (most recent call last):
ERROR {stamp} async_llm_engine.py:43]   File "/usr/local/lib/python3.10/dist-packages/vllm/engine/async_llm_engine.py", line 38, in _raise_exception_on_finish
ERROR {stamp} async_llm_engine.py:43]     task.result()
ERROR {stamp} async_llm_engine.py:43]   File "/usr/local/lib/python3.10/dist-packages/vllm/worker/model_runner.py", line {frame}, in execute_model
ERROR {stamp} async_llm_engine.py:43]     hidden_states = model_executable(**execute_model_kwargs)
ERROR {stamp} async_llm_engine.py:43] torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate {ask:.2f} GiB. GPU 0 has a total capacity of 23.69 GiB of which {free:.2f} MiB is free. Process {pid} has {used:.2f} GiB memory in use. Of the allocated memory {torch:.2f} GiB is allocated by PyTorch, and {reserved:.2f} MiB is reserved by PyTorch but unallocated.
INFO:     172.17.0.{host}:{port} - "POST /v1/chat/completions HTTP/1.1" 500 Internal Server Error
"""
_STORM_START = datetime(2024, 5, 4, 14, 44)

_SHUTDOWN = ("INFO:     Shutting down", "INFO:     Waiting for application shutdown.",
             "INFO:     Application shutdown complete.", "INFO:     Finished server process [1]")

# Prompts of the chat requests (vLLM logs each one when request logging is on, the default).
_QUESTIONS = (
    "Summarize the following meeting notes in three bullet points.",
    "Translate this paragraph into French: The weather is nice today and we plan to go hiking.",
    "Write a Python function that checks whether a string is a palindrome.",
    "What is the capital of Australia?",
    "介绍一下你自己",
    "请用简单的语言解释量子计算。",
    "Explain the difference between TCP and UDP for a beginner.",
    "Give me three ideas for a birthday party for a seven year old.",
    "Rewrite this sentence to sound more polite: send me the report now.",
    "List the planets of the solar system in order from the sun.",
    "How do I reverse a linked list in C++?",
    "What are the health benefits of green tea?",
    "Draft a short email asking a colleague to review my pull request.",
    "Classify the sentiment of this review: the food was cold and the service slow.",
    "写一首关于秋天的短诗",
    "Extract all dates from: the contract starts on 2024-03-01 and ends on 2025-02-28.",
)
_SYSTEM = "You are a helpful assistant."
_SERVING_START = {"v0": datetime(2024, 10, 28, 14, 2), "v1": datetime(2025, 8, 27, 9, 14)}
_TICK = timedelta(milliseconds=137)
STYLES = ("v0", "v1")
CRLF = "\r\n"  # a TTY's line ends, kept by `docker logs`


class _Clock:
    """Serving time, one tick per log event, so that stamps (the error's too) only move forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> str:
        self.now += _TICK
        return self.now.strftime("%m-%d %H:%M:%S")


def _received_v0(stamp: str, request: str, question: str, rng: random.Random) -> str:
    ids = ", ".join(str(rng.randint(10, 151000)) for _ in range(rng.randint(12, 40)))
    return (f"INFO {stamp} logger.py:37] Received request {request}: prompt: '<|im_start|>system\\n{_SYSTEM}"
            f"<|im_end|>\\n<|im_start|>user\\n{question}<|im_end|>\\n<|im_start|>assistant\\n', params: "
            f"SamplingParams(n=1, presence_penalty=0.0, frequency_penalty=0.0, repetition_penalty=1.05, "
            f"temperature=0.7, top_p=0.8, top_k=20, min_p=0.0, seed=None, stop=[], stop_token_ids=[], "
            f"bad_words=[], include_stop_str_in_output=False, ignore_eos=False, "
            f"max_tokens={rng.choice((256, 512, 1024, 2048))}, min_tokens=0, logprobs=None, "
            f"prompt_logprobs=None, skip_special_tokens=True, spaces_between_special_tokens=True, "
            f"truncate_prompt_tokens=None), guided_decoding=None, prompt_token_ids: [151644, 8948, 198, "
            f"{ids}], lora_request: None, prompt_adapter_request: None.")


def _received_v1(stamp: str, request: str, question: str, rng: random.Random) -> str:
    return (f"(APIServer pid=1) INFO {stamp} [logger.py:41] Received request {request}: prompt: '<|im_start|>"
            f"system\\n{_SYSTEM}<|im_end|>\\n<|im_start|>user\\n{question}<|im_end|>\\n<|im_start|>assistant\\n', "
            f"params: SamplingParams(n=1, presence_penalty=0.0, frequency_penalty=0.0, repetition_penalty=1.0, "
            f"temperature=0.6, top_p=0.95, top_k=20, min_p=0.0, seed=None, stop=[], stop_token_ids=[], "
            f"bad_words=[], include_stop_str_in_output=False, ignore_eos=False, "
            f"max_tokens={rng.choice((512, 1024, 4096))}, min_tokens=0, logprobs=None, prompt_logprobs=None, "
            f"skip_special_tokens=True, spaces_between_special_tokens=True, truncate_prompt_tokens=None, "
            f"guided_decoding=None, extra_args=None), prompt_token_ids: None, prompt_embeds shape: None, "
            f"lora_request: None.")


def _metrics_v0(stamp: str, rng: random.Random, running: int) -> str:
    return (f"INFO {stamp} metrics.py:349] Avg prompt throughput: {rng.uniform(0, 3000):.1f} tokens/s, "
            f"Avg generation throughput: {rng.uniform(0, 900):.1f} tokens/s, Running: {running} reqs, "
            f"Swapped: 0 reqs, Pending: {rng.randint(0, 3)} reqs, GPU KV cache usage: "
            f"{rng.uniform(0, 60):.1f}%, CPU KV cache usage: 0.0%.")


def _metrics_v1(stamp: str, rng: random.Random, running: int) -> str:
    return (f"(APIServer pid=1) INFO {stamp} [loggers.py:123] Engine 000: Avg prompt throughput: "
            f"{rng.uniform(0, 3000):.1f} tokens/s, Avg generation throughput: {rng.uniform(0, 900):.1f} "
            f"tokens/s, Running: {running} reqs, Waiting: {rng.randint(0, 3)} reqs, GPU KV cache "
            f"usage: {rng.uniform(0, 60):.1f}%, Prefix cache hit rate: {rng.uniform(0, 90):.1f}%")


def _serving(style: str, rng: random.Random, clock: _Clock) -> Iterator[str]:
    """Endless serving lines: chat requests received, added, finished (with their access line),
    Prometheus scrapes, health checks, a few 400s, and the engine's metrics line every few seconds.

    Requests are tracked, so a `Finished request` / `200 OK` closes a request that was received.
    """
    v0 = style == "v0"
    prefix = "" if v0 else "(APIServer pid=1) "
    received, metrics = (_received_v0, _metrics_v0) if v0 else (_received_v1, _metrics_v1)
    request_prefix, subnet = ("chat-", "10.42.0.") if v0 else ("chatcmpl-", "172.17.0.")
    added = "INFO {} engine.py:290] Added request {}." if v0 else "(APIServer pid=1) INFO {} [async_llm.py:273] " \
        "Added request {}."
    metrics_every = 37 if v0 else 73  # every 5 s (V0) / 10 s (V1) at one event per 137 ms
    in_flight: deque[tuple[str, str]] = deque()
    ticks = 0
    while True:
        stamp = clock.tick()
        ticks += 1
        if ticks % metrics_every == 0:
            yield metrics(stamp, rng, len(in_flight))
            continue
        kind = rng.random()
        client = f"{subnet}{rng.randint(2, 250)}:{rng.randint(32768, 60999)}"
        if kind < 0.34 and len(in_flight) < 48:
            request = f"{request_prefix}{rng.getrandbits(128):032x}"
            in_flight.append((request, client))
            yield received(stamp, request, rng.choice(_QUESTIONS), rng)
            yield added.format(stamp, request)
        elif kind < 0.68 and in_flight:
            request, client = in_flight.popleft()
            if v0:
                yield f"INFO {stamp} engine.py:308] Finished request {request}."
            yield f'{prefix}INFO:     {client} - "POST /v1/chat/completions HTTP/1.1" 200 OK'
        elif kind < 0.83:
            yield f'{prefix}INFO:     {client} - "GET /metrics HTTP/1.1" 200 OK'
        elif kind < 0.97:
            yield f'{prefix}INFO:     {client} - "GET /health HTTP/1.1" 200 OK'
        elif kind < 0.99:
            yield f'{prefix}INFO:     {client} - "GET /v1/models HTTP/1.1" 200 OK'
        else:
            yield f'{prefix}INFO:     {client} - "POST /v1/chat/completions HTTP/1.1" 400 Bad Request'


def _as_docker_logs(text: str) -> str:
    """tqdm redraws its bar with `\\r`: `docker logs` shows one physical line per bar, not one per update."""
    out: list[str] = []
    for line in text.split("\n"):
        bar = line.startswith(("Loading safetensors checkpoint shards:", "Capturing CUDA graph shapes:"))
        if bar and out and out[-1].startswith(line[:20]):
            out[-1] += "\r" + line
        else:
            out.append(line)
    return "\n".join(out)


def startup_lines(style: str) -> list[str]:
    """The start-up section, one string per physical line (tqdm bars keep their `\\r`)."""
    return _as_docker_logs(V0_STARTUP if style == "v0" else V1_STARTUP).rstrip("\n").split("\n")


def error_lines(style: str, rng: random.Random) -> list[str]:
    """The fatal error, the in-flight requests' 500s, the shutdown; stamps still `STAMP`."""
    prefix = "" if style == "v0" else "(APIServer pid=1) "
    subnet = "10.42.0." if style == "v0" else "172.17.0."
    failed = [f'{prefix}INFO:     {subnet}{rng.randint(2, 250)}:{rng.randint(32768, 60999)} - '
              f'"POST /v1/chat/completions HTTP/1.1" 500 Internal Server Error' for _ in range(rng.randint(3, 12))]
    error = (V0_ERROR if style == "v0" else V1_ERROR).rstrip("\n").split("\n")
    return [*error, *failed, *(prefix + line for line in _SHUTDOWN)]


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def generate_lines(size_bytes: int, style: str = "v1", seed: int = 0) -> Iterator[str]:
    """Every line (without its newline) of a log of about `size_bytes` bytes: start-up, serving, error.

    The log is deterministic for (size_bytes, style, seed), and its size is `size_bytes` minus less
    than one serving line (about 1 KB at most); a size below that of start-up + error gives just
    those two (the reference log the benchmark compares the diagnosis with).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    rng = random.Random(f"{style}-{seed}")  # str seeds hash with SHA-512: stable across runs and platforms
    head = startup_lines(style)
    tail = error_lines(style, random.Random(f"{style}-{seed}-error"))
    budget = size_bytes - _size(head) - _size(tail)
    clock = _Clock(_SERVING_START[style])
    yield from head
    for line in _serving(style, rng, clock):
        cost = len(line.encode()) + 1
        if cost > budget:
            break
        budget -= cost
        yield line
    stamp = clock.tick()
    yield from (line.replace(STAMP, stamp) for line in tail)


def write_log(path: str | Path, size_bytes: int, style: str = "v1", seed: int = 0) -> int:
    """Write `generate_lines(size_bytes, style, seed)` to `path`; returns the bytes written."""
    return write_lines(path, generate_lines(size_bytes, style, seed))


def write_startup(path: str | Path, style: str = "v1", lines: int = 300, seed: int = 0) -> None:
    """A start-up log of `lines` lines: the start-up section, then its first serving lines."""
    body = startup_lines(style)
    serving = _serving(style, random.Random(f"{style}-{seed}"), _Clock(_SERVING_START[style]))
    body += [next(serving) for _ in range(max(0, lines - len(body)))]
    Path(path).write_text("\n".join(body[:lines]) + "\n", encoding="utf-8", newline="\n")


def storm_lines(copies: int, seed: int = 0) -> Iterator[str]:
    """A vLLM 0.4.1 start, then `copies` times the same failing request (an OOM traceback of 7 ERROR
    lines and a 500 access line) with other numbers each time: stamps, sizes, pids, client ports.

    `copies=1` is the reference the benchmark compares the storm's diagnosis with."""
    rng = random.Random(f"storm-{seed}")
    clock = _Clock(_STORM_START)
    yield from V041_STARTUP.rstrip("\n").split("\n")
    for _ in range(copies):
        free = rng.uniform(40, 900)
        yield from _V041_OOM.format(
            stamp=clock.tick(), frame=rng.choice((800, 801, 812)), ask=rng.uniform(0.1, 4), free=free,
            pid=rng.randint(100, 32767), used=23.69 - free / 1024, torch=rng.uniform(20, 22.5),
            reserved=rng.uniform(1, 900), host=rng.randint(2, 250), port=rng.randint(32768, 60999),
        ).rstrip("\n").split("\n")


def repeated_lines(copies: int, seed: int = 0) -> Iterator[str]:
    """`copies` V0 worker lines stating their weights and non-torch memory, each from another worker
    process (a server restarted over and over), with other numbers each time."""
    rng = random.Random(f"repeated-{seed}")
    clock = _Clock(_SERVING_START["v0"])
    for _ in range(copies):
        yield (f"(VllmWorkerProcess pid={rng.randint(100, 32767)}) INFO {clock.tick()} worker.py:267] "
               f"model weights take {rng.randint(1, 70)}.57GiB; non_torch_memory takes 0.10GiB;")


def write_lines(path: str | Path, lines: Iterable[str], newline: str = "\n") -> int:
    """Write `lines`, each ended by `newline`; returns the bytes written."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == 8192:
                out.write(newline.join(batch) + newline)
                batch.clear()
        if batch:
            out.write(newline.join(batch) + newline)
    return Path(path).stat().st_size


def parse_size(text: str) -> int:
    """Bytes from `400M`, `2G`, `1.5GB`, `300K` (binary units) or a plain number."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="400M", help="size of the log, e.g. 400M or 2G (default 400M)")
    parser.add_argument("--style", choices=STYLES, default="v1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--startup", type=int, metavar="LINES", help="write a start-up log of LINES lines instead")
    parser.add_argument("--storm", type=int, metavar="COPIES", help="write a vLLM 0.4.1 start and COPIES OOM blocks")
    parser.add_argument("--repeated", type=int, metavar="LINES", help="write LINES worker memory lines (CRLF)")
    args = parser.parse_args()
    if args.startup:
        write_startup(args.out, args.style, args.startup, args.seed)
    elif args.storm is not None:
        print(f"{write_lines(args.out, storm_lines(args.storm, args.seed))} bytes written to {args.out}")
    elif args.repeated is not None:
        print(f"{write_lines(args.out, repeated_lines(args.repeated, args.seed), CRLF)} bytes written to {args.out}")
    else:
        print(f"{write_log(args.out, parse_size(args.size), args.style, args.seed)} bytes written to {args.out}")


if __name__ == "__main__":
    main()
