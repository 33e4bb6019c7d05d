"""The bracket-aware key=value reader of config dumps."""

from logdoctor.parse.kvdump import read_pairs


def test_engine_config_with_nested_reprs_and_quirks():
    text = ("model='Qwen/Qwen2.5-7B-Instruct', dtype=torch.float16, max_seq_len=32768, kv_cache_dtype=auto,  "
            "device_config=cuda, decoding_config=DecodingConfig(guided_decoding_backend='xgrammar', "
            "reasoning_backend=None), chunked_prefill_enabled=False multi_step_stream_outputs=True, "
            "compilation_config={'mode': <CompilationMode.VLLM_COMPILE: 3>, 'x': (2, 1)}, use_cached_outputs=True, ")
    pairs = read_pairs(text)
    assert pairs["model"] == "Qwen/Qwen2.5-7B-Instruct"
    assert pairs["dtype"] == "torch.float16"
    assert pairs["device_config"] == "cuda"
    assert pairs["decoding_config"].endswith("reasoning_backend=None)")
    assert pairs["chunked_prefill_enabled"] == "False"
    assert pairs["multi_step_stream_outputs"] == "True"
    assert pairs["compilation_config"].startswith("{'mode'")
    assert pairs["use_cached_outputs"] == "True"


def test_python_dict_stops_at_its_closing_brace():
    pairs = read_pairs("'model': 'Qwen/Qwen3-8B', 'max_model_len': 16384}Enable lora: False. Lora count: 0.")
    assert pairs == {"model": "Qwen/Qwen3-8B", "max_model_len": "16384"}


def test_xinference_kwargs_with_a_list_value():
    pairs = read_pairs("model_uid=qwen2-0,model_name=qwen2,gpu_idx=[0, 1],n_gpu=auto")
    assert pairs == {"model_uid": "qwen2-0", "model_name": "qwen2", "gpu_idx": "[0, 1]", "n_gpu": "auto"}


def test_namespace_dump_ends_at_its_parenthesis():
    pairs = read_pairs("host=None, dtype='half', max_model_len=8192) trailing=1")
    assert pairs == {"host": "None", "dtype": "half", "max_model_len": "8192"}


def test_deep_nesting_does_not_recurse():
    pairs = read_pairs("a=" + "[" * 200_000 + "]" * 200_000 + ", b=2")
    assert pairs["b"] == "2"
    assert len(pairs["a"]) == 400_000


def test_a_dump_cut_inside_a_quoted_value_keeps_the_pairs_before_it():
    pairs = read_pairs("model='Qwen/Qwen2.5-7B-Instruct', dtype=torch.float16, tokenizer='Qwen/Qwen2.5-7B-Ins")
    assert pairs == {"model": "Qwen/Qwen2.5-7B-Instruct", "dtype": "torch.float16"}
    assert read_pairs("model='") == {} and read_pairs('{"model": "x') == {}
