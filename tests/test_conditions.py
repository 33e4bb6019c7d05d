"""The `when` language: parsing, unknown facts, three-valued evaluation, versions."""

import pytest

from logdoctor.match.conditions import ConditionError, compile_condition

SEED = {"pre_ampere": True, "dtype": "float16", "model_family": "qwen2", "vllm_version": "0.7.3",
        "tensor_parallel_size": 4, "compute_capability": 7.5, "quantization": "gptq"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('pre_ampere and dtype in ["float16", "auto"] and model_family in ["qwen", "qwen2"]', True),
        ("compute_capability < 8.0", True),
        ("compute_capability >= 8.0", False),
        ('vllm_version >= "0.8.0"', False),
        ('vllm_version >= "0.7.3" and vllm_version < "0.7.10"', True),  # version order, not string order
        ('quantization not in ["awq", "awq_marlin"]', True),
        ("not defined(error_type)", True),
        ("tensor_parallel_size > 1 and not pre_ampere", False),
    ],
)
def test_evaluates_known_facts(condition, expected):
    assert compile_condition(condition).evaluate(SEED) is expected


def test_missing_fact_makes_the_condition_unknown_not_false():
    condition = compile_condition('kv_cache_fits_max_model_len == false and dtype == "float16"')
    assert condition.evaluate(SEED) is None
    assert compile_condition('dtype == "bfloat16" and kv_cache_fits_max_model_len == false').evaluate(SEED) is False
    assert compile_condition("kv_cache_fits_max_model_len == false or pre_ampere").evaluate(SEED) is True
    assert compile_condition("not engine_fell_back_to_v0").evaluate(SEED) is None


def test_unknown_fact_is_an_error():
    with pytest.raises(ConditionError, match="unknown fact 'gpu_model'"):
        compile_condition('gpu_model == "T4"')


@pytest.mark.parametrize("text", ['dtype = "x"', "dtype ==", "(pre_ampere", "__import__('os')", "1 == 1"])
def test_syntax_errors_are_reported_not_evaluated(text):
    with pytest.raises(ConditionError):
        compile_condition(text)


def test_names_lists_the_facts_read():
    assert compile_condition("pre_ampere and tensor_parallel_size > 1").names == {"pre_ampere", "tensor_parallel_size"}


def test_verdicts_shared_across_conditions_equal_verdicts_alone():
    """rank() evaluates a knowledge base's conditions with one memo of their comparisons; a shared
    comparison must not carry a verdict over to one that only looks equal (true == 1.0 in Python)."""
    from logdoctor import knowledge
    from logdoctor.match.conditions import evaluate

    sources = [entry.when.source for entry in knowledge.load().entries if entry.when is not None]
    sources += ["tensor_parallel_size == true", "tensor_parallel_size == 1", "tensor_parallel_size in [true, 4]",
                "tensor_parallel_size in [1, 4]", "pre_ampere == 1", "pre_ampere == true"]
    sheets = [SEED, {**SEED, "tensor_parallel_size": 1, "pre_ampere": False}, {}]
    for facts in sheets:
        memo: dict = {}
        for source in sources:
            tree = compile_condition(source).tree
            assert evaluate(tree, facts, memo) is evaluate(tree, facts), (source, facts)
    assert len(sources) > 20
