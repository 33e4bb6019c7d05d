"""Issue bodies built the way people file them: vLLM's and Xinference's bug-report forms, filled with a real
log and the user's words, the log fenced, folded in <details>, quoted or pasted bare; GitHub event payloads."""

from __future__ import annotations

import json

VLLM_ENVIRONMENT = """\
Collecting environment information...
PyTorch version: 2.5.1+cu124
Is debug build: False
CUDA used to build PyTorch: 12.4
OS: Ubuntu 22.04.4 LTS (x86_64)
Python version: 3.10.12 (main, Nov 20 2023, 15:14:05) [GCC 11.4.0] (64-bit runtime)
Is CUDA available: True
"""
CHECKLIST = ("- [X] Make sure you already searched for relevant issues, and asked the chatbot living at the bottom "
             "right corner of the [documentation page](https://docs.vllm.ai/en/latest/), which can answer lots of "
             "frequently asked questions.")


def _fenced(log: str) -> str:
    return f"```text\n{log.rstrip()}\n```"


def vllm_fenced(symptom: str, log: str) -> str:
    return (f"### Your current environment\n\n<details>\n<summary>The output of <code>python collect_env.py</code>"
            f"</summary>\n\n{_fenced(VLLM_ENVIRONMENT)}\n\n</details>\n\n\n### 🐛 Describe the bug\n\n{symptom}\n\n"
            f"{_fenced(log)}\n\n### Before submitting a new issue...\n\n{CHECKLIST}\n")


def vllm_details(symptom: str, log: str) -> str:
    return (f"### Your current environment\n\n{_fenced(VLLM_ENVIRONMENT)}\n\n### 🐛 Describe the bug\n\n{symptom}\n\n"
            f"<details>\n<summary>full log</summary>\n\n{log.rstrip()}\n\n</details>\n\n"
            f"### Before submitting a new issue...\n\n{CHECKLIST}\n")


def quoted(symptom: str, log: str) -> str:
    quoted_log = "\n".join(f"> {line}" for line in log.rstrip().splitlines())
    return f"{symptom}\n\nHere is what the server printed:\n\n{quoted_log}\n\nAny idea? Thanks!\n"


def bare(symptom: str, log: str) -> str:
    return f"{symptom}\n\nThe log:\n{log.rstrip()}\nThat is all I have.\n"


def xinference_form(symptom: str, log: str) -> str:
    return (f"### System Info / 系統信息\n\nCUDA 12.4, Ubuntu 22.04\n\n"
            f"### Running Xinference with Docker? / 是否使用 Docker 运行 Xinfernece？\n\n- [X] docker / docker\n"
            f"- [ ] pip install / 通过 pip install 安装\n\n### Version info / 版本信息\n\n1.3.0\n\n"
            f"### The command used to start Xinference / 用以启动 xinference 的命令\n\n"
            f"{_fenced('xinference-local --host 0.0.0.0 --port 9997')}\n\n### Reproduction / 复现过程\n\n"
            f"{symptom}\n\n{_fenced(log)}\n\n### Expected behavior / 期待表现\n\n正常运行 (it should work)\n")


STYLES = {"vllm-fenced": vllm_fenced, "vllm-details": vllm_details, "quoted": quoted, "bare": bare,
          "xinference-form": xinference_form}


def issues_event(title: str, body: str, number: int = 7, action: str = "opened") -> str:
    """An `issues` event payload in GitHub's documented shape (the fields logdoctor reads, and some it does not)."""
    return json.dumps({
        "action": action,
        "issue": {"number": number, "title": title, "body": body, "state": "open", "user": {"login": "reporter"},
                  "labels": [], "html_url": f"https://github.com/acme/serving/issues/{number}"},
        "repository": {"full_name": "acme/serving", "name": "serving", "owner": {"login": "acme"}},
        "sender": {"login": "reporter"},
    })


def issue_comment_event(title: str, body: str, comment: str, number: int = 7) -> str:
    payload = json.loads(issues_event(title, body, number, action="created"))
    payload["comment"] = {"id": 991, "body": comment, "user": {"login": "reporter"}}
    return json.dumps(payload)
