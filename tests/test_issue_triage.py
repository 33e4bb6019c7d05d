"""`logdoctor issue`: an issue as it was filed gets the same answer as its log diagnosed by hand, and the
Action's comment is created once, updated on an edit, and never posted without a log (local GitHub stand-in)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from logdoctor import api
from logdoctor.triage import body, comment

from .conftest import CORPUS, ROOT, SAMPLES, corpus_cases, truth_of
from .issuebodies import STYLES, issue_comment_event, issues_event

SEED = SAMPLES / "seed-xinference-t4-gptq-tp4.log"
TITLE = "[Bug]: the model server misbehaves"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the project")


def _cli(*args: str, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logdoctor", *args], input=stdin, capture_output=True, timeout=300,
                          cwd=ROOT, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def kb() -> api.KnowledgeBase:
    return api.KnowledgeBase()


def _cases_with_a_cause() -> list[Path]:
    return [c for c in corpus_cases() if (truth_of(c).get("root_cause") or {}).get("category") not in (None, "healthy")
            and truth_of(c).get("symptom")]


@needs_corpus
@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_corpus_case_filed_in_every_style_gets_the_top_cause_of_its_log(style, kb):
    differ = []
    for case in _cases_with_a_cause():
        truth = truth_of(case)
        log = (case / "log.txt").read_text(encoding="utf-8")
        by_hand = api.diagnose(case / "log.txt", symptom=truth["symptom"], kb=kb)
        filed = body.from_markdown(TITLE, STYLES[style](truth["symptom"], log))
        assert truth["symptom"] in (filed.symptom or ""), "the user's words are the symptom"
        triaged = api.diagnose(filed.text, symptom=filed.symptom, kb=kb)
        want = by_hand.diagnoses[0].entry.id if by_hand.diagnoses else None
        got = triaged.diagnoses[0].entry.id if triaged.diagnoses else None
        if want != got:
            differ.append((case.name, want, got))
    assert not differ


def test_the_forms_boilerplate_and_the_log_are_not_the_symptom():
    log = SEED.read_text(encoding="utf-8")
    filed = body.from_markdown(TITLE, STYLES["vllm-fenced"]("只输出感叹号 (only outputs !!!!)", log))
    assert filed.symptom == f"{TITLE} — 只输出感叹号 (only outputs !!!!)"
    bare = body.from_markdown("", STYLES["bare"]("every answer is !!!!", log))
    assert "Traceback" not in (bare.symptom or "") and "INFO" not in (bare.symptom or "")


def test_the_cli_answers_a_filed_seed_issue_with_the_comment(tmp_path):
    path = tmp_path / "issue.md"
    path.write_text(STYLES["xinference-form"]("回答全是感叹号", SEED.read_text(encoding="utf-8")), encoding="utf-8")
    result = _cli("issue", str(path))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert text.startswith(comment.MARKER)
    assert "fp16-overflow-qwen-pre-ampere" in text and "problem:" in text
    assert result.stderr.decode().count("\n") == 1


@pytest.mark.parametrize("text", ["I upgraded and now it is slow. Any idea?",
                                  "### 🐛 Describe the bug\n\nIt answers in the wrong language.\n"],
                         ids=["one-line", "form-without-log"])
def test_an_issue_without_a_log_gets_no_comment_and_a_reason(text):
    result = _cli("issue", "-", stdin=text.encode())
    assert result.returncode == 0
    assert result.stdout == b""
    assert result.stderr.decode().strip() == "logdoctor: no vLLM or Xinference log in the issue"


def test_secrets_in_the_body_never_reach_the_comment():
    secrets = ["hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "AKIAIOSFODNN7EXAMPLE",
               "http://alice:s3cretPass@proxy.corp:3128"]
    log = SEED.read_text(encoding="utf-8").replace(
        "Xinference", f"Xinference HF_TOKEN={secrets[0]} AWS_ACCESS_KEY_ID={secrets[1]} https_proxy={secrets[2]}", 1)
    event = issues_event(TITLE, STYLES["vllm-fenced"]("only outputs !!!!", log))
    for fmt in ("markdown", "json"):
        result = _cli("issue", "-", "--format", fmt, stdin=event.encode())
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode()
        assert "problem" in out
        for secret in secrets:
            assert secret not in out and "s3cretPass" not in out


def test_a_ten_megabyte_body_is_read_and_answered(tmp_path):
    log = SEED.read_text(encoding="utf-8")
    noise = 'INFO:     10.0.0.7:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n' * 150_000
    path = tmp_path / "big.md"
    path.write_text(STYLES["bare"]("only outputs !!!!", log + noise), encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    result = _cli("issue", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["post"] is True


def test_a_comment_event_brings_the_log_the_issue_lacked():
    event = issue_comment_event(TITLE, "It only outputs !!!!. Log below in a comment.",
                                f"```\n{SEED.read_text(encoding='utf-8')}\n```")
    filed = body.read(event.encode())
    assert (filed.number, filed.repository) == (7, "acme/serving")
    assert "only outputs !!!!" in (filed.symptom or "")
    report = api.diagnose(filed.text, symptom=filed.symptom)
    assert comment.answer(report).post


def test_a_comment_logdoctor_wrote_itself_is_never_answered():
    log = SEED.read_text(encoding="utf-8")
    first = _cli("issue", "-", stdin=issues_event(TITLE, STYLES["vllm-fenced"]("only outputs !!!!", log)).encode())
    own = first.stdout.decode()
    assert own.startswith(comment.MARKER)
    event = issue_comment_event(TITLE, "It only outputs !!!!", own)
    result = _cli("issue", "-", "--format", "json", stdin=event.encode())
    assert (result.returncode, result.stdout) == (0, b"")
    assert result.stderr.decode().strip() == "logdoctor: the comment is logdoctor's own: nothing to answer"


def test_malformed_input_is_one_line_and_exit_2():
    for raw in (b"{not json", b'{"action": "opened"}'):
        result = _cli("issue", "-", stdin=raw)
        assert result.returncode == 2
        assert result.stderr.decode().count("\n") == 1 and result.stderr.startswith(b"logdoctor: cannot read the issue")


# --- the Action's logic against a local stand-in for GitHub's REST API ------------------------------


class _FakeGitHub(BaseHTTPRequestHandler):
    """Speaks the four calls issue triage makes, keeps comments and labels in memory, records every call."""

    comments: ClassVar[dict[int, list[dict]]] = {}
    labels: ClassVar[dict[int, list[str]]] = {}
    calls: ClassVar[list[tuple[str, str, str | None]]] = []
    next_id: ClassVar[list[int]] = [100]

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _reply(self, status: int, document: object) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _payload(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def _record(self) -> None:
        self.calls.append((self.command, self.path, self.headers.get("Authorization")))

    def do_GET(self) -> None:
        self._record()
        match = re.fullmatch(r"/repos/acme/serving/issues/(\d+)/comments\?per_page=(\d+)&page=(\d+)", self.path)
        if not match:
            return self._reply(404, {"message": "Not Found"})
        number, size, page = map(int, match.groups())
        listed = self.comments.get(number, [])
        return self._reply(200, listed[(page - 1) * size:page * size])

    def do_POST(self) -> None:
        self._record()
        payload = self._payload()
        if match := re.fullmatch(r"/repos/acme/serving/issues/(\d+)/comments", self.path):
            self.next_id[0] += 1
            made = {"id": self.next_id[0], "body": payload["body"]}
            self.comments.setdefault(int(match.group(1)), []).append(made)
            return self._reply(201, made)
        if match := re.fullmatch(r"/repos/acme/serving/issues/(\d+)/labels", self.path):
            self.labels.setdefault(int(match.group(1)), []).extend(payload["labels"])
            return self._reply(200, [{"name": name} for name in self.labels[int(match.group(1))]])
        return self._reply(404, {"message": "Not Found"})

    def do_PATCH(self) -> None:
        self._record()
        payload = self._payload()
        match = re.fullmatch(r"/repos/acme/serving/issues/comments/(\d+)", self.path)
        for listed in self.comments.values():
            for made in listed:
                if match and made["id"] == int(match.group(1)):
                    made["body"] = payload["body"]
                    return self._reply(200, made)
        return self._reply(404, {"message": "Not Found"})


@pytest.fixture
def github():
    _FakeGitHub.comments, _FakeGitHub.labels, _FakeGitHub.calls = {}, {}, []
    _FakeGitHub.comments[7] = [{"id": 5, "body": "Thanks for the report, looking."}]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _FakeGitHub, {"GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
                        "GITHUB_TOKEN": "ghs_test_token_not_real", "GITHUB_REPOSITORY": "acme/serving"}
    server.shutdown()
    server.server_close()


def _post(event: str, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return _cli("issue", "-", "--post", *extra, stdin=event.encode(), env=env)


def test_first_run_creates_one_comment_an_edit_updates_it_and_no_log_posts_nothing(github):
    fake, env = github
    log = SEED.read_text(encoding="utf-8")
    opened = issues_event(TITLE, STYLES["vllm-fenced"]("only outputs !!!!", log))
    result = _post(opened, env, "--label")
    assert result.returncode == 0, result.stderr
    assert "created a comment" in result.stderr.decode()
    ours = [c for c in fake.comments[7] if c["body"].startswith(comment.MARKER)]
    assert len(ours) == 1 and "fp16-overflow-qwen-pre-ampere" in ours[0]["body"]
    assert fake.labels[7] == ["logdoctor: fp16-numeric-overflow"]
    assert all(auth == "Bearer ghs_test_token_not_real" for _m, _p, auth in fake.calls)

    edited = issues_event(TITLE, STYLES["vllm-fenced"]("输出全是感叹号", log), action="edited")
    result = _post(edited, env)
    assert result.returncode == 0, result.stderr
    assert f"updated comment {ours[0]['id']}" in result.stderr.decode()
    assert len(fake.comments[7]) == 2  # the reporter's and ours, still one of ours
    assert "输出全是感叹号" in fake.comments[7][1]["body"]

    before = list(fake.calls)
    result = _post(issues_event("Feature request", "Please support a new model.", number=8), env)
    assert result.returncode == 0 and fake.calls == before  # not even a look
    assert 8 not in fake.comments


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(github):
    fake, env = github
    event = issues_event(TITLE, STYLES["bare"]("only outputs !!!!", SEED.read_text(encoding="utf-8")))
    result = _post(event, env, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: POST /repos/acme/serving/issues/7/comments" in result.stderr.decode()
    assert [method for method, _path, _auth in fake.calls] == ["GET"]
    assert len(fake.comments[7]) == 1


def test_a_failed_github_call_is_one_line_and_exit_2(github):
    _fake, env = github
    event = issues_event(TITLE, STYLES["bare"]("only outputs !!!!", SEED.read_text(encoding="utf-8")))
    result = _post(event, {**env, "GITHUB_API_URL": env["GITHUB_API_URL"] + "/nowhere"})
    assert result.returncode == 2
    assert "HTTP 404: Not Found" in result.stderr.decode()


def test_the_action_and_the_example_workflow_are_valid():
    check = pytest.importorskip("check_jsonschema", reason="check-jsonschema comes with the test extra")
    assert check
    for schema, path in (("vendor.github-actions", ROOT / "action.yml"),
                         ("vendor.github-workflows", ROOT / "examples" / "issue-triage.yml"),
                         ("vendor.github-workflows", ROOT / ".github" / "workflows" / "pull-request.yml")):
        result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                                capture_output=True, timeout=120)
        assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
