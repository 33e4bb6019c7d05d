"""`logdoctor kb check`: a broken entry of each kind gives a precise file:line error and exit 1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from logdoctor import api
from logdoctor.cli import main

from .conftest import ROOT
from .privatekb import ENTRY, kb_check, write_kb

GOOD = ENTRY.replace("[server does not start]", "[server does not start, 端口被占用]").replace(
    "  - text: Pick another port.\n", '  - text: Pick another port.\n    vllm: "--port 8001"\n')


def test_a_good_entry_passes(tmp_path):
    result = kb_check(write_kb(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert "all entries valid" in result.output


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("title: The port is already in use\n", "title: 42\n"), 2, "schema: title: 42 is not of type 'string'"),
        (("category: port-in-use", "category: port-in-usage"), 3, "unknown category 'port-in-usage'"),
        (("fixtures:", 'when: \'gpu_model == "T4"\'\nfixtures:'), 13, "unknown fact 'gpu_model'"),
        (('literal: "Address already in use"', "regex: '(Address)+ \\1'"), 6, "not valid RE2"),
        (("[port-taken.log]", "[missing.log]"), 14, "positive fixture not found"),
        (("symptoms:", "bogus: 1\nsymptoms:"), 1, "Additional properties are not allowed ('bogus'"),
        (("id: port-taken", "id: port_taken"), 1, "does not match"),
        # a misspelt name comes with the closest known ones
        (("category: port-in-use", "category: port-in-us"), 3, "unknown category 'port-in-us' (did you mean "
                                                               "'port-in-use'?)"),
        (("fixtures:", "when: 'distributed_backen == \"ray\"'\nfixtures:"), 13,
         "unknown fact 'distributed_backen' in condition (did you mean 'distributed_backend'?)"),
        (("cause:", "caus:"), 1, "(did you mean 'cause'?)"),
    ],
)
def test_each_kind_of_broken_entry_names_file_and_line(tmp_path, change, line, message):
    root = write_kb(tmp_path, GOOD.replace(*change))
    result = kb_check(root)
    assert result.exit_code == 1
    where = f"{root / 'serving' / 'port-taken.yaml'}:{line}: "
    assert any(row.startswith(where) and message in row for row in result.output.splitlines()), result.output


def test_backtracking_regex_is_refused_even_if_python_accepts_it(tmp_path):
    entry = GOOD.replace('literal: "Address already in use"', "regex: '(?=Address)Address already'")
    result = kb_check(write_kb(tmp_path, entry))
    assert result.exit_code == 1
    assert ":6: regex is not valid RE2" in result.output


def test_yaml_alias_bomb_is_refused(tmp_path):
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    result = kb_check(write_kb(tmp_path, bomb))
    assert result.exit_code == 1
    assert ":1: YAML anchors (&name) are not allowed" in result.output


def test_fixture_on_which_the_entry_does_not_rank_first(tmp_path):
    root = write_kb(tmp_path, GOOD)
    (root / "serving" / "port-taken.log").write_text("INFO:     Application startup complete.\n")
    result = kb_check(root)
    assert result.exit_code == 1
    assert ":14: positive fixture port-taken.log: ranks nothing first" in result.output


def test_kb_list_json_layers_a_private_kb_over_the_builtin(tmp_path):
    root = write_kb(tmp_path, GOOD)
    result = CliRunner().invoke(main, ["kb", "list", "--format", "json", "--kb", str(root)])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    mine = next(r for r in rows if r["id"] == "port-taken")
    assert (mine["category"], mine["title"]) == ("port-in-use", "The port is already in use")
    assert len(rows) > 1


def test_kb_new_drafts_an_entry_that_kb_check_refuses_until_filled_in(tmp_path):
    root = write_kb(tmp_path, GOOD)
    log = tmp_path / "server.log"
    log.write_text("INFO 07-02 11:20:31 api_server.py:177] vLLM API server version 0.5.0.post1\n"
                   "ValueError: max_num_batched_tokens (8192) is smaller than max_model_len (32768). Increase it\n")
    made = CliRunner().invoke(main, ["kb", "new", "batch-limit", "--from", str(log), "--category", "port-in-use",
                                     "--into", str(root / "serving")])
    assert made.exit_code == 0, made.output
    draft = (root / "serving" / "batch-limit.yaml").read_text()
    assert "template: max_num_batched_tokens (<num>) is smaller than max_model_len (<num>)" in draft
    assert '#   vllm_version = "0.5.0.post1"   (line 1)' in draft
    assert (root / "serving" / "batch-limit.log").read_text() == log.read_text()
    title_line = next(n for n, text in enumerate(draft.splitlines(), 1) if text.startswith("title:"))
    result = kb_check(root)
    assert result.exit_code == 1
    expected = f"{root / 'serving' / 'batch-limit.yaml'}:{title_line}: unfinished draft: 'TODO: one line a user"
    assert expected in result.output


def _check_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logdoctor", "kb", "check", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_github_format_annotates_the_entrys_line(tmp_path):
    root = write_kb(tmp_path, GOOD.replace("category: port-in-use", "category: port-in-us"))
    result = _check_cli("--no-builtin", "--kb", "kb", "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error file=kb/serving/port-taken.yaml,line=3,title=kb check::unknown category 'port-in-us' "
        "(did you mean 'port-in-use'?) (see taxonomy.yaml)"]
    assert (root / "serving" / "port-taken.yaml").is_file()


def test_json_format_lists_every_problem(tmp_path):
    write_kb(tmp_path, GOOD.replace("title: The port is already in use\n", "title: 42\n"))
    result = _check_cli("--no-builtin", "--kb", "kb", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["problems"] == [{"file": "kb/serving/port-taken.yaml", "line": 2, "severity": "error",
                                     "message": "schema: title: 42 is not of type 'string'"}]


BUILTIN_FIXTURE = ROOT / "kb" / "serving" / "batched-tokens-below-max-model-len.log"


def _rival(tmp_path: Path, entry_id: str, when: str | None) -> Path:
    """A team entry with the built-in batched-tokens entry's decisive template, on that entry's own log."""
    builtin = yaml.safe_load((ROOT / "kb" / "serving" / "batched-tokens-below-max-model-len.yaml").read_text())
    team = {**builtin, "id": entry_id, "signatures": builtin["signatures"][:1],
            "fixtures": {"positive": ["batched-tokens-below-max-model-len.log"]}}
    if when:
        team["when"] = when
    else:
        team.pop("when", None)
    root = tmp_path / "team"
    (root / "serving").mkdir(parents=True)
    (root / "serving" / f"{entry_id}.yaml").write_text(yaml.safe_dump(team, sort_keys=False))
    shutil.copyfile(BUILTIN_FIXTURE, root / "serving" / "batched-tokens-below-max-model-len.log")
    return root


def test_a_team_entry_that_ties_a_builtin_one_wins_the_tie_and_is_named(tmp_path):
    root = _rival(tmp_path, "team-batch-limit", None)
    report = api.diagnose(BUILTIN_FIXTURE, kb=api.KnowledgeBase(root))
    first, second = report.diagnoses[:2]
    assert (first.entry.id, second.entry.id) == ("team-batch-limit", "batched-tokens-below-max-model-len")
    assert first.confidence == second.confidence
    result = CliRunner().invoke(main, ["kb", "check", "--kb", str(root)])
    assert result.exit_code == 1
    builtin = ROOT / "kb" / "serving" / "batched-tokens-below-max-model-len.yaml"
    assert (f"positive fixture batched-tokens-below-max-model-len.log: team-batch-limit ties it at "
            f"{first.confidence:.2f}") in result.output
    assert (f"{root / 'serving' / 'team-batch-limit.yaml'}:1: ties batched-tokens-below-max-model-len at "
            f"{first.confidence:.2f} on its positive fixture batched-tokens-below-max-model-len.log ({builtin})"
            ) in result.output


def test_an_entry_that_beats_another_on_its_fixture_is_named_with_the_margin(tmp_path):
    root = _rival(tmp_path, "team-batch-limit", "max_model_len > 1000")
    report = api.diagnose(BUILTIN_FIXTURE, kb=api.KnowledgeBase(root))
    mine = next(d for d in report.diagnoses if d.entry.id == "batched-tokens-below-max-model-len")
    rival = report.diagnoses[0]
    assert rival.entry.id == "team-batch-limit" and rival.confidence > mine.confidence
    result = CliRunner().invoke(main, ["kb", "check", "--kb", str(root)])
    assert result.exit_code == 1
    margin = rival.confidence - mine.confidence
    assert (f"team-batch-limit beats it by {margin:.2f} ({rival.confidence:.2f} vs {mine.confidence:.2f})"
            in result.output)
