"""Facts a log states only indirectly: the engine and executor from the cues that name them, the root
exception behind a wrapper or a cut traceback, GPUs and versions from pasted nvidia-smi / collect_env
pieces. Each line is in the wording of a real release (research/log-catalog.md, the corpus)."""

from __future__ import annotations

from logdoctor.parse import LineParser
from logdoctor.parse.facts import FactSheet, FactSheetBuilder
from logdoctor.read.source import Line


def _sheet(text: str) -> FactSheet:
    parser, builder = LineParser(), FactSheetBuilder()
    for number, line in enumerate(text.strip("\n").splitlines(), 1):
        for event in parser.feed(Line(number, line)):
            builder.add(event)
    return builder.result()


def test_the_root_value_error_wins_over_engine_core_initialization_failed():
    sheet = _sheet("""
(EngineCore_0 pid=3856) ERROR 07-01 10:00:00 [core.py:515] EngineCore failed to start.
(EngineCore_0 pid=3856) ERROR 07-01 10:00:00 [core.py:515] Traceback (most recent call last):
(EngineCore_0 pid=3856) ERROR 07-01 10:00:00 [core.py:515]   File\
 "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 506, in run_engine_core
(EngineCore_0 pid=3856) ERROR 07-01 10:00:00 [core.py:515] ValueError: To serve at least one request with the\
 models's max seq len (131072), (16.00 GiB KV cache is needed, which is larger than the available KV cache memory\
 (9.94 GiB).
Traceback (most recent call last):
  File "/usr/local/bin/vllm", line 8, in <module>
RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {'EngineCore_0': 1}
""")
    assert sheet.facts["error_type"] == "ValueError"
    assert sheet.facts["error_message"].startswith("To serve at least one request")
    assert sheet.facts["engine"] == "v1"


def test_the_root_error_wins_over_the_api_servers_engine_dead_error():
    sheet = _sheet("""
ERROR 07-10 18:08:00 [core.py:517] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 896.00 MiB.
ERROR 07-10 18:08:00 [async_llm.py:420] vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue.\
 See stack trace (above) for the root cause.
""")
    assert sheet.facts["error_type"] == "torch.OutOfMemoryError"


def test_ray_task_error_names_the_root_class_and_the_remote_line_its_message():
    sheet = _sheet("""
ray.exceptions.RayTaskError(ValueError): ray::RayWorkerWrapper.execute_method() (pid=2381, ip=10.0.0.7, actor_id=8f1c)
  File "/usr/local/lib/python3.10/dist-packages/vllm/worker/worker.py", line 264, in determine_num_available_blocks
ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the\
 engine.
""")
    assert sheet.facts["error_type"] == "ValueError"
    assert sheet.facts["error_message"].startswith("No available memory for the cache blocks")
    assert sheet.facts["distributed_backend"] == "ray" and sheet.facts["engine"] == "v0"


def test_a_ray_task_error_alone_still_names_the_class():
    sheet = _sheet("ray.exceptions.RayTaskError(torch.OutOfMemoryError): ray::RayWorkerWrapper.execute_method() "
                   "(pid=2381, ip=10.0.0.7)")
    assert sheet.facts["error_type"] == "torch.OutOfMemoryError"


def test_pydantic_wraps_the_config_value_error():
    sheet = _sheet("""
pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig
  Value error, The checkpoint you are trying to load has model type `qwen3_moe` but Transformers does not recognize\
 this architecture. [type=value_error, input_value=ArgsKwargs((), {'model': 'Qwen/Qwen3-30B-A3B'}),\
 input_type=ArgsKwargs]
    For further information visit https://errors.pydantic.dev/2.11/v/value_error
""")
    assert sheet.facts["error_type"] == "ValueError"
    assert sheet.facts["error_message"].startswith("The checkpoint you are trying to load has model type `qwen3_moe`")


def test_a_value_error_line_without_its_validation_error_is_not_an_exception():
    assert "error_type" not in _sheet("  Value error, something a program printed").facts


def test_an_ipython_traceback_header_cut_short_still_names_the_class():
    sheet = _sheet("""
INFO 08-25 12:31:29 llm_engine.py:70] Initializing an LLM engine with config:\
 model=''meta-llama/Llama-2-13b-chat-hf'', tokenizer=''meta-llama/Llama-2-13b-chat-hf'', tensor_parallel_size=4,\
 seed=0)
OutOfMemoryError                          Tracebac
""")
    assert sheet.facts["error_type"] == "OutOfMemoryError"
    assert sheet.facts["model"] == "meta-llama/Llama-2-13b-chat-hf"


def test_traceback_frames_name_the_engine():
    v1 = '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 69, in __init__'
    v0 = '  File "/opt/venv/lib/python3.10/site-packages/vllm/worker/model_runner.py", line 1560, in execute_model'
    borrowed = '  File "/usr/local/lib/python3.12/dist-packages/vllm/worker/worker_base.py", line 620, in init_device'
    assert _sheet(v1).facts["engine"] == "v1"
    assert _sheet(v0).facts["engine"] == "v0"
    assert "engine" not in _sheet(borrowed).facts  # V1's workers use this V0 file too


def test_a_stated_engine_outranks_every_cue():
    sheet = _sheet("""
INFO 03-05 02:10:26 llm_engine.py:234] Initializing a V0 LLM engine (v0.8.5) with config: model='m',\
 tensor_parallel_size=1
INFO 03-05 02:10:40 [kv_cache_utils.py:634] GPU KV cache size: 1,012,064 tokens
""")
    assert sheet.facts["engine"] == "v0"


def test_nvidia_smi_and_collect_env_pieces():
    sheet = _sheet("""
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |
|   0  NVIDIA A100-SXM...  On   | 00000000:07:00.0 Off |                    0 |
|   1  NVIDIA H100 80GB HBM3          On  |   00000000:18:00.0 Off |                    0 |
GPU models and configuration :
GPU 8: NVIDIA L40S
GPU 12: NVIDIA L40S (UUID: GPU-1f2a3b4c-0000-1111-2222-333344445555)
""")
    assert sheet.facts["driver_version"] == "550.54.15" and sheet.facts["cuda_version"] == "12.4"
    assert sheet.facts["gpus"] == ["NVIDIA A100-SXM", "NVIDIA H100 80GB HBM3", "NVIDIA L40S"]


def test_collect_env_versions_aligned_and_plain():
    aligned = _sheet("""
CUDA runtime version         : 12.8.93
Nvidia driver version        : 570.124.06
vLLM Version                 : 0.8.5
""").facts
    plain = _sheet("Nvidia driver version: 535.54.03\nCUDA runtime version: 12.1.105").facts
    assert (aligned["cuda_version"], aligned["driver_version"], aligned["vllm_version"]) == ("12.8.93", "570.124.06",
                                                                                             "0.8.5")
    assert (plain["driver_version"], plain["cuda_version"]) == ("535.54.03", "12.1.105")


def test_the_cuda_image_banner_names_the_cuda_version():
    assert _sheet("CUDA Version 12.4.1").facts["cuda_version"] == "12.4.1"


def test_a_derived_fact_says_from_what():
    sheet = _sheet("WARNING 06-01 10:00:00 [config.py:3000] Your Tesla T4 device (with compute capability 7.5) "
                   "doesn't support torch.bfloat16. Falling back to torch.float16 for compatibility.")
    assert sheet.derived["pre_ampere"] == ("compute_capability",)
    assert sheet.evidence["pre_ampere"] == [1]
    assert "compute_capability" not in sheet.derived  # stated, not derived
