"""Remedies with numbers computed from the facts."""

from logdoctor.report.remedies import computed_values, render


def test_max_model_len_that_the_kv_cache_holds():
    assert computed_values({"kv_cache_tokens": 17744})["max_model_len_fit"] == 17408
    assert computed_values({"kv_cache_tokens": 6048})["max_model_len_fit"] == 5888
    # vLLM's own estimate, when the error prints one, wins over the raw token count
    assert computed_values({"kv_cache_tokens": 90000, "max_model_len_estimate": 97520})["max_model_len_fit"] == 97280


def test_gpu_memory_utilization_from_the_kv_shortfall_and_from_free_memory():
    values = computed_values({"gpu_memory_utilization": 0.9, "gpu_total_gib": 79.33, "kv_gib_needed": 7.0,
                              "kv_cache_gib": 5.21, "gpu_free_gib": 13.91})
    assert values["gpu_memory_utilization_needed"] == 0.93
    assert values["gpu_memory_utilization_fit"] == 0.16


def test_tensor_parallel_sizes():
    assert computed_values({"attention_heads": 40})["tp_sizes_dividing_heads"] == "1, 2, 4, 8"
    assert computed_values({"attention_heads": 28})["tp_sizes_dividing_heads"] == "1, 2, 4"
    values = computed_values({"model_size_b": 32.0, "dtype": "float16", "gpu_total_gib": 22.0})
    assert values["weights_estimate_gib"] == 59.6
    assert values["tp_size_to_fit_weights"] == 4
    assert computed_values({"model_size_b": 32.0, "quantization": "awq", "gpu_total_gib": 22.0})[
        "tp_size_to_fit_weights"] == 1


def test_render_uses_the_value_or_the_fallback():
    facts = {"max_model_len": 32768}
    text = "--max-model-len {max_model_len_fit|8192} (now {max_model_len})"
    assert render(text, facts, {"max_model_len_fit": 17408}) == "--max-model-len 17408 (now 32768)"
    assert render(text, facts, {}) == "--max-model-len 8192 (now 32768)"
    assert render("{nothing}", {}, {}) == "<nothing unknown>"
