"""The envelope grammar: every header kind of vLLM, Xinference, uvicorn, Ray and NCCL, and bare lines."""

import io

import pytest

from logdoctor.parse import envelope


@pytest.mark.parametrize(
    ("line", "kind", "level", "source", "message"),
    [
        ("INFO 03-12 10:19:16 model_runner.py:1115] Loading model weights took 4.5686 GB",
         "vllm", "INFO", "model_runner.py:1115", "Loading model weights took 4.5686 GB"),
        ("INFO 05-02 09:14:21 [core.py:58] Initializing a V1 LLM engine (v0.8.5) with config: x",
         "vllm", "INFO", "core.py:58", "Initializing a V1 LLM engine (v0.8.5) with config: x"),
        ("DEBUG 05-02 09:14:21 [v1/engine/core.py:74] Waiting", "vllm", "DEBUG", "v1/engine/core.py:74", "Waiting"),
        ("INFO 07-20 23:02:05.815 ngc_injector.py:146] Profile metadata: tp: 1",
         "vllm", "INFO", "ngc_injector.py:146", "Profile metadata: tp: 1"),
        ("2024-04-02 00:47:19,404 xinference.core.supervisor 3378 INFO     Xinference supervisor 0.0.0.0:1 started",
         "xinference", "INFO", "xinference.core.supervisor", "Xinference supervisor 0.0.0.0:1 started"),
        ("2026-05-20 10:00:01,112 xinference.core.worker 52 [worker@0.0.0.0:30001] WARNING  low memory",
         "xinference", "WARNING", "xinference.core.worker", "low memory"),
        ("2026-08-07T18:25:43.623Z ERROR xinference.core.worker pid:41 role:local address:0.0.0.0:26776 "
         "node:3d67e2e62a71 Failed to load model qwen3-rep0",
         "xinference_iso", "ERROR", "xinference.core.worker", "Failed to load model qwen3-rep0"),
        ("2024-07-10 09:24:30,366\tINFO worker.py:1810 -- Started a local Ray instance.",
         "ray_driver", "INFO", "worker.py:1810", "Started a local Ray instance."),
        ("INFO:     Started server process [1]", "uvicorn", "INFO", None, "Started server process [1]"),
        ("bruce-AI-Server:105927:106732 [0] NCCL INFO Using network Socket", "nccl", "INFO", "NCCL",
         "Using network Socket"),
        ("2025-06-19T11:30:14+08:00 - gpustack.worker.backends.vllm - INFO - Starting vllm server",
         "python", "INFO", "gpustack.worker.backends.vllm", "Starting vllm server"),
        ('{"asctime": "x", "levelname": "INFO", "name": "vllm.v1.engine.core", "message": "Initializing"}',
         "json", "INFO", "vllm.v1.engine.core", "Initializing"),
    ],
)
def test_header_kinds(line, kind, level, source, message):
    env = envelope.split(line)
    assert (env.kind, env.level, env.source, env.message) == (kind, level, source, message)


def test_stacked_process_tags_are_all_kept():
    env = envelope.split("(EngineCore_0 pid=1) (Worker_TP0 pid=402) INFO 08-21 06:02:31 [pynccl.py:70] vLLM is using")
    assert env.tags == ("EngineCore_0 pid=1", "Worker_TP0 pid=402")
    assert env.kind == "vllm"


def test_ray_tag_with_ip_and_uvicorn_under_a_tag():
    env = envelope.split("(RayWorkerWrapper pid=1873, ip=10.0.0.12) INFO 09-12 03:12:31 model_runner.py:1008] x")
    assert env.tags == ("RayWorkerWrapper pid=1873, ip=10.0.0.12",)
    assert envelope.split("(APIServer pid=1) INFO:     Application startup complete.").kind == "uvicorn"


def test_traceback_indentation_is_kept_in_the_message():
    env = envelope.split('ERROR 05-26 07:50:26 [core.py:396]   File "/x/core.py", line 387, in run_engine_core')
    assert env.message == '  File "/x/core.py", line 387, in run_engine_core'


@pytest.mark.parametrize("line", ["INFO something that is not a header", "ValueError: boom", "", "(not a tag) x"])
def test_lines_without_a_header_are_bare_messages(line):
    env = envelope.split(line)
    assert env.kind == "bare"
    assert env.message == line


def test_year_cut_off_by_a_paste_still_reads_as_xinference():
    env = envelope.split("025-04-12 21:57:39,467 xinference.api.restful_api 1 ERROR    [address=0.0.0.0:1, pid=2] x")
    assert env.kind == "xinference"
    assert env.level == "ERROR"


def test_torch_rank_prefix_is_dropped_and_the_exception_line_is_read():
    env = envelope.split("[rank0]: ValueError: The model's max seq len (32768) is larger than the maximum")
    assert env.message.startswith("ValueError: ")
    frame = '  File "/x/worker.py", line 175, in f'
    assert envelope.split("[rank0]: " + frame).message == frame
    env = envelope.split("(VllmWorkerProcess pid=3) [rank1]: Traceback (most recent call last):")
    assert env.tags == ("VllmWorkerProcess pid=3",) and env.message == "Traceback (most recent call last):"


def _clean(text: str) -> list[str]:
    from logdoctor.read.source import LogReader

    return [line.text for line in LogReader(["-"], stdin=io.BytesIO(text.encode()))]


def test_a_fixed_width_table_and_same_size_download_bars_are_not_a_terminal_wrap():
    row = "|" + " " * 87 + "|"
    bar = "model-0000{}-of-00003.safetensors:   0%|          | 0.00/4.54G [00:00<?, ?B/s]"
    text = "\n".join(["+" + "-" * 87 + "+", row, row, row, row, "+" + "-" * 87 + "+",
                     *(bar.format(i) for i in (1, 2, 3)), "INFO 05-14 03:21:47 api_server.py:152] args: " + "x" * 400,
                     "[rank0]: Traceback (most recent call last):"]) + "\n"
    assert len(_clean(text)) == 11


def test_a_real_terminal_wrap_is_still_joined():
    pairs = ", ".join(f"k{i}=v{i}" for i in range(60))
    record = "INFO 05-14 03:21:47 api_server.py:152] args: Namespace(" + pairs + ")"
    wrapped = "\n".join(record[i:i + 100] for i in range(0, len(record), 100))
    assert _clean(wrapped + "\n" + wrapped + "\n") == [record, record]


def test_cri_partial_records_join_with_the_next_record_of_their_own_stream():
    text = ("2025-03-01T10:00:28.118276965Z stdout P INFO 03-01 10:00:28 [core.py:70] Initializing a V1 LLM engi\n"
            "2025-03-01T10:00:28.118296965Z stderr F /x/hub.py:111: FutureWarning: `TRANSFORMERS_CACHE` is deprecated\n"
            "2025-03-01T10:00:28.118316965Z stdout P ne (v0.9.1) with config: model='Qwen/Qwen2.5-72B-Instruct-AWQ', \n"
            "2025-03-01T10:00:28.118326965Z stdout F dtype=torch.float16\n")
    assert _clean(text) == [
        "/x/hub.py:111: FutureWarning: `TRANSFORMERS_CACHE` is deprecated",
        "INFO 03-01 10:00:28 [core.py:70] Initializing a V1 LLM engine (v0.9.1) with config: "
        "model='Qwen/Qwen2.5-72B-Instruct-AWQ', dtype=torch.float16"]


def test_pasted_colour_residue_is_removed_but_a_bracketed_file_name_starting_with_m_is_kept():
    assert _clean("[1;36m(VllmWorker rank=0 pid=312)[0;0m ERROR 03-01 10:00:38 [multiproc_executor.py:527] x[m\n") == [
        "(VllmWorker rank=0 pid=312) ERROR 03-01 10:00:38 [multiproc_executor.py:527] x"]
    assert _clean("INFO 05-02 09:15:06 [monitor.py:33] torch.compile takes 29.53 s in total\n") == [
        "INFO 05-02 09:15:06 [monitor.py:33] torch.compile takes 29.53 s in total"]


def test_in_a_compose_log_only_the_engine_service_states_facts():
    from logdoctor.pipeline import analyze

    text = "\n".join([
        "vllm-1        | (APIServer pid=1) INFO 08-27 14:01:52 [api_server.py:1805] vLLM API server version 0.10.1.1",
        "open-webui-1  | INFO:     Waiting for application startup.",
        "open-webui-1  | 2025-08-27 14:02:33.412 | INFO     | uvicorn.lifespan.on:startup:62 - Application startup "
        "complete.",
        "vllm-1        | (EngineCore_0 pid=116) INFO 08-27 14:04:22 [gpu_worker.py:276] Available KV cache memory: "
        "3.58 GiB",
    ]) + "\n"
    facts = analyze(["-"], stdin=io.BytesIO(text.encode())).sheet.facts
    assert facts["vllm_version"] == "0.10.1.1" and facts["kv_cache_gib"] == 3.58
    assert "server_ready" not in facts
    alone = "open-webui-1  | INFO:     Application startup complete.\n"
    assert analyze(["-"], stdin=io.BytesIO(alone.encode())).sheet.facts.get("server_ready") is True


def test_the_release_alone_dates_the_engine_when_only_one_existed():
    from logdoctor.parse.facts import engine_of_version

    assert engine_of_version("0.11.0") == "v1" and engine_of_version("v0.33.0") == "v1"
    assert engine_of_version("0.4.2") == "v0" and engine_of_version("0.6.3.post1") == "v0"
    assert engine_of_version("0.8.5") is None and engine_of_version("0.10.2") is None  # both engines existed
    assert engine_of_version(None) is None and engine_of_version("dev") is None


@pytest.mark.parametrize("inner", ["2024-06-28T06:11:52.685300953Z ", "vllm-1  | ", "May 10 08:12:01 host vllm[212]: ",
                                   "2024-06-28T06:11:52.685300953Z stdout F ", ""])
def test_a_markdown_quote_is_the_outermost_wrapper(inner):
    """A log quoted in a GitHub comment: `> ` comes before docker's timestamp or compose's service."""
    record = "INFO 06-28 06:11:45 distributed_gpu_executor.py:45] # GPU blocks: 378, # CPU blocks: 1638"
    assert _clean(f"> {inner}{record}\n> > {inner}{record}\n> ```\n") == [record, record]


def test_a_short_paste_of_one_record_wrapped_in_three_pieces_is_joined():
    record = ("2025-04-12 21:57:39,467 xinference.api.restful_api 1 ERROR    [address=0.0.0.0:43423, pid=167] The "
              "model's max seq len (32768) is larger than the maximum number of tokens that can be stored in KV cache "
              "(17744). Try increasing `gpu_memory_utilization` or decreasing `max_model_len`.")
    pieces = [record[i:i + 120] for i in range(0, len(record), 120)]
    assert len(pieces) == 3
    after = ["Traceback (most recent call last):", '  File "x.py", line 3, in f']
    assert _clean("\n".join([*pieces, *after]) + "\n") == [record, *after]


def test_two_lines_of_one_width_are_not_a_wrap_beside_a_wider_line_or_before_indented_code():
    frame = '  File "/usr/local/lib/python3.10/dist-packages/vllm/engine/llm_engine.py", line 1, in from_engine_args'
    other = '  File "/usr/local/lib/python3.10/dist-packages/vllm/engine/arg_utils.py", line 1234, in create_configs'
    assert len(frame) == len(other) >= 80
    traceback = ["Traceback (most recent call last):", frame, "    engine = cls(**engine_config)", other,
                 "    raise ValueError(msg)", "ValueError: no"]
    assert _clean("\n".join(traceback) + "\n") == traceback
    record = "INFO 05-14 03:21:47 api_server.py:152] " + "x" * 80
    wider = [record, "continued", record, "continued", "INFO 05-14 03:21:48 api_server.py:152] " + "y" * 200]
    assert _clean("\n".join(wider) + "\n") == wider


def test_a_timestamped_log_stamped_again_by_the_runtime_loses_both_stamps():
    record = "(LLMRayActor pid=20770) INFO 06-28 06:11:45 distributed_gpu_executor.py:45] # GPU blocks: 378"
    inner = "2024-06-28T06:11:52.685300953Z "
    assert _clean(f"2025-03-10T10:00:01.000000001Z {inner}{record}\n2025-03-10T10:00:01.000000002Z stdout F "
                  f"{inner}{record}\n") == [record, record]
    iso = "2026-08-07T18:25:43.623Z ERROR xinference.core.worker pid:41 role:local address:0.0.0.0:2 node:x Failed"
    assert _clean(f"2025-03-10T10:00:01.000000001Z {iso}\n") == [iso]  # Xinference's own header stays


def test_a_shell_command_pasted_over_several_lines_is_one_line():
    command = ["docker run --runtime nvidia --gpus all \\", "    -p 8000:8000 --ipc=host \\",
               "    vllm/vllm-openai:v0.7.3 \\", "    --model mistralai/Mistral-7B-v0.1 \\", "    -tp 2"]
    joined = "docker run --runtime nvidia --gpus all -p 8000:8000 --ipc=host vllm/vllm-openai:v0.7.3 " \
             "--model mistralai/Mistral-7B-v0.1 -tp 2"
    assert _clean("\n".join([*command, "INFO 03-12 10:19:16 x.py:1] next"]) + "\n") == \
        [joined, "INFO 03-12 10:19:16 x.py:1] next"]
    assert _clean("vllm serve x \\\n\n--max-model-len 8\n") == ["vllm serve x", "", "--max-model-len 8"]


def test_a_docker_log_copied_from_a_terminal_joins_at_the_terminal_width():
    """The terminal wrapped the line with docker's timestamp in it; a stamped line is never a piece."""
    stamp = "2025-03-08T10:25:55.969429506Z "
    pairs = ", ".join(f"'k{i}': {i}" for i in range(40))
    records = ["INFO 08-12 22:31:18 [config.py:1] non-default args: {" + pairs + "}",
               "INFO 08-12 22:31:18 [__init__.py:235] Automatically detected platform cuda. " + "x" * 5,
               "/workspace/art/__init__.py:10: UserWarning: Unsloth should be imported before transformers"] * 3
    screen = []
    for record in records:
        raw = stamp + record
        screen += [raw[i:i + 120] for i in range(0, len(raw), 120)]
    assert _clean("\n".join(screen) + "\n") == records


def test_a_wrapped_records_last_piece_does_not_swallow_the_next_line():
    record = "[rank0]: ValueError: The model's max seq len (32768) is larger than the maximum number of tokens " \
             "that can be stored in KV cache (16464). Try increasing `gpu_memory_utilization` or decreasing " \
             "`max_model_len` when initializing the engine. " + "y" * 113
    pieces = [record[i:i + 120] for i in range(0, len(record), 120)]
    assert 100 <= len(pieces[-1]) < 119
    prompt = "ubuntu@ip-172-31-40-17:~$ "
    assert _clean("\n".join([*pieces, prompt, *pieces, prompt]) + "\n") == [record, prompt, record, prompt]


def test_kubectls_pod_and_container_prefix_is_a_stream_like_composes_service():
    from logdoctor.read.source import LogReader

    text = ("[pod/vllm-7d9f8c-x2k4p/vllm] (EngineCore_0 pid=301) INFO 05-06 11:20:56 [gpu_worker.py:440] Available "
            "KV cache memory: 21.73 GiB\n[pod/vllm-7d9f8c-x2k4p/istio-proxy] 2025-05-06T11:20:57.001Z info ready\n")
    lines = list(LogReader(["-"], stdin=io.BytesIO(text.encode())))
    assert [line.stream for line in lines] == ["pod/vllm-7d9f8c-x2k4p/vllm", "pod/vllm-7d9f8c-x2k4p/istio-proxy"]
    assert lines[0].text.startswith("(EngineCore_0 pid=301) INFO 05-06")
    assert lines[1].text == "info ready"


def test_journalctl_short_iso_loses_its_stamp_host_and_unit():
    record = "(EngineCore_0 pid=301) INFO 05-06 11:20:56 [gpu_worker.py:440] Available KV cache memory: 21.73 GiB"
    assert _clean(f"2025-05-06T11:20:56+0000 gpu-box vllm[212]: {record}\n"
                  f"2025-05-06T11:20:56+08:00 gpu-box python3[212]: {record}\n") == [record, record]
    kept = "2025-05-06T11:20:56Z message with brackets[1]: and a colon"
    assert _clean(kept + "\n") == ["message with brackets[1]: and a colon"]  # one word before [pid]: not a host
