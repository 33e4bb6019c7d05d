"""Secrets never leave logdoctor: Markdown reports always, text/JSON with --redact, the fact sheet always.

Each kind of secret is planted where a real log carries it (launch arguments, an engine config's
model path, an error message, a request header) and followed through the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from logdoctor.cli import main
from logdoctor.pipeline import analyze
from logdoctor.report import redact

from .privatekb import write_kb

# kind -> (the text as it appears in a log, the secret part that must not be printed)
SECRETS = {
    "hf token": ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz123456", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz123456"),
    "hf token in a path": ("/cache/hf_QwErTyUiOpAsDfGhJkLzXcVbNm7890_snap", "hf_QwErTyUiOpAsDfGhJkLzXcVbNm7890"),
    "openai key": ("sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234"),
    "api_key=": ("api_key='k3y-value-not-a-known-shape'", "k3y-value-not-a-known-shape"),
    "--api-key": ("--api-key tok3n-from-the-command-line", "tok3n-from-the-command-line"),
    "env api key": ("OPENAI_API_KEY=envv4lue0f4k3y", "envv4lue0f4k3y"),
    "bearer": ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature", "eyJhbGciOiJIUzI1NiJ9"),
    "url password": ("https://admin:hunter2pass@registry.example.com/v2", "hunter2pass"),
    "aws key id": ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "aws secret": ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG"),
    # found by probing (issue 12): a password with `@` or `/`, AWS's JSON, token=, --token, a bare JWT
    "url password with @": ("http://alice:p@ss9word@proxy.corp:3128", "ss9word"),
    "url password with /": ("https://bob:Ab/Cd9Ef@github.com/org/repo.git", "Cd9Ef"),
    "aws json": ('"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', "wJalrXUtnFEMI/K7MDENG"),
    "token=": ("token=Zx81kQ0pLm2nB7vC", "Zx81kQ0pLm2nB7vC"),
    "--token": ("--token Zx81kQ0pLm2nB7vC", "Zx81kQ0pLm2nB7vC"),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl", "eyJzdWIiOiJhbGljZSJ9"),
}


def _log(planted: str) -> str:
    """A failing vLLM start with `planted` in the launch args, the model path and the decisive error line."""
    return (
        "INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.4.2\n"
        f"INFO 05-10 08:12:01 api_server.py:161] args: Namespace(host=None, port=8000, {planted}, model='m')\n"
        "INFO 05-10 08:12:01 llm_engine.py:100] Initializing an LLM engine (v0.4.2) with config: "
        f"model='https://hub.example/{planted}/Qwen2-7B', tokenizer='x', dtype=torch.float16, max_seq_len=8192, "
        "tensor_parallel_size=1, quantization=None, enforce_eager=False, seed=0)\n"
        f"OSError: [Errno 98] Address already in use (while serving with {planted})\n"
    )


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return write_kb(tmp_path, fixture=_log("x=1"))


@pytest.mark.parametrize("kind", SECRETS)
def test_each_secret_is_removed_from_every_report_that_promises_it(tmp_path, kb, kind):
    planted, secret = SECRETS[kind]
    log = tmp_path / "server.log"
    log.write_text(_log(planted))
    runner = CliRunner()
    raw = runner.invoke(main, [str(log), "--kb", str(kb), "--format", "text"])
    assert raw.exit_code == 1, raw.output
    assert secret in raw.stdout  # the decisive line is shown as logged: the case is real, not vacuous
    outputs = {
        "markdown (default)": runner.invoke(main, [str(log), "--kb", str(kb), "--format", "markdown"]),
        "text --redact": runner.invoke(main, [str(log), "--kb", str(kb), "--format", "text", "--redact"]),
        "json --redact": runner.invoke(main, [str(log), "--kb", str(kb), "--format", "json", "--redact"]),
        "facts text": runner.invoke(main, ["facts", str(log)]),
        "facts json": runner.invoke(main, ["facts", str(log), "--format", "json"]),
    }
    for name, result in outputs.items():
        assert result.exit_code in (0, 1), (name, result.output)
        assert secret not in result.stdout, name
    assert redact.MASK in outputs["markdown (default)"].stdout
    assert "port-taken" in outputs["markdown (default)"].stdout  # still a useful report
    document = json.loads(outputs["json --redact"].stdout)
    assert document["diagnoses"][0]["category"] == "port-in-use"


@pytest.mark.parametrize("kind", SECRETS)
def test_the_fact_sheet_never_stores_a_secret(tmp_path, kind):
    planted, secret = SECRETS[kind]
    log = tmp_path / "server.log"
    log.write_text(_log(planted) + _log(planted).replace("INFO", "(VllmWorkerProcess pid=7) INFO")
                   .replace("/Qwen2-7B", "/other/Qwen2-7B"))
    sheet = analyze([str(log)]).sheet
    assert "model" in sheet.facts and "error_message" in sheet.facts
    stored = json.dumps([sheet.facts, sheet.per_process], default=str)
    assert secret not in stored
    assert redact.MASK in str(sheet.facts["model"])


def test_values_of_other_processes_are_redacted_too(tmp_path):
    one = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz123456"
    two = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234"
    config = ("INFO 05-10 08:12:01 llm_engine.py:100] Initializing an LLM engine (v0.4.2) with config: "
              "model='/models/{}/m-7B', dtype=torch.float16, max_seq_len=8192, tensor_parallel_size=1, "
              "quantization=None, enforce_eager=False, seed=0)\n")
    log = tmp_path / "server.log"
    log.write_text(f"(VllmWorkerProcess pid=11) {config.format(one)}(VllmWorkerProcess pid=12) {config.format(two)}")
    sheet = analyze([str(log)]).sheet
    assert len(sheet.per_process["model"]) == 2
    assert one not in json.dumps(sheet.per_process) and two not in json.dumps(sheet.per_process)
    result = CliRunner().invoke(main, ["facts", str(log), "--format", "json"])
    assert one not in result.stdout and two not in result.stdout


@pytest.mark.parametrize("text", [
    "Token indices sequence length is longer than the specified maximum sequence length",
    "max_num_batched_tokens=8192, eos_token: <|endoftext|>, tokenizer='Qwen/Qwen2-7B'",
    "Starting vLLM API server on http://0.0.0.0:8000",
    "disk-usage-is-high-for-this-node task-abcdefghijklmnopqrstuv",
    "/root/.cache/huggingface/hub/models--Qwen--Qwen2-7B/snapshots/abc123",
    "The password is wrong",
])
def test_ordinary_log_text_is_left_alone(text):
    assert redact.redact(text) == text


def test_redaction_is_idempotent_and_keeps_the_key_name():
    once = redact.redact("api_key='sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234' https://u:pw@h/x Bearer abcdefghijklmnopqrstu")
    assert redact.redact(once) == once
    assert once == "api_key='[REDACTED]' https://u:[REDACTED]@h/x Bearer [REDACTED]"


NEW_SHAPES = ("url password with @", "url password with /", "aws json", "token=", "--token", "jwt")


@pytest.mark.parametrize("kind", NEW_SHAPES)
def test_the_shapes_found_by_probing_leave_neither_markdown_nor_facts_through_the_installed_cli(tmp_path, kind):
    from .clirun import logdoctor

    planted, secret = SECRETS[kind]
    log = tmp_path / "server.log"
    log.write_text(_log(planted))
    markdown = logdoctor(str(log), "--format", "markdown")
    assert markdown.returncode in (0, 1), markdown.stderr
    facts_json, facts_text = logdoctor("facts", str(log), "--format", "json"), logdoctor("facts", str(log))
    for result in (markdown, facts_json, facts_text):
        assert secret.encode() not in result.stdout, result.stdout.decode()[-800:]
    assert b"[REDACTED]" in markdown.stdout and b"[REDACTED]" in facts_json.stdout  # (text cuts long values)


def test_prose_about_tokens_is_not_taken_for_a_secret():
    for text in ("the prompt exceeds the max token limit of 4096", "prompt tokens: 512", "token: 42",
                 "http://host:8080/v1/models", "--max-num-batched-tokens 8192"):
        assert redact.redact(text) == text
