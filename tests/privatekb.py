"""A one-entry private knowledge base in a temporary folder, for tests that run `--kb DIR`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from logdoctor.cli import main

TAXONOMY = "version: 1\ncategories:\n  port-in-use: the server port is already taken\n"
FIXTURE = ("INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.4.2\n"
           "OSError: [Errno 98] Address already in use\n")
ENTRY = """\
id: port-taken
title: The port is already in use
category: port-in-use
symptoms: [server does not start]
signatures:
  - literal: "Address already in use"
    decisive: true
cause: Another process listens on the port.
remedies:
  - text: Pick another port.
references: [https://github.com/vllm-project/vllm/issues/1]
fixtures:
  positive: [port-taken.log]
"""


def write_kb(tmp_path: Path, entry: str = ENTRY, name: str = "port-taken", fixture: str = FIXTURE) -> Path:
    """kb/taxonomy.yaml, kb/serving/<name>.yaml and the fixture kb/serving/port-taken.log; the kb folder."""
    root = tmp_path / "kb"
    (root / "serving").mkdir(parents=True, exist_ok=True)
    (root / "taxonomy.yaml").write_text(TAXONOMY)
    (root / "serving" / f"{name}.yaml").write_text(entry)
    (root / "serving" / "port-taken.log").write_text(fixture)
    return root


def kb_check(root: Path) -> Result:
    """`logdoctor kb check` of that folder alone, through the real CLI."""
    return CliRunner().invoke(main, ["kb", "check", "--no-builtin", "--kb", str(root)])
