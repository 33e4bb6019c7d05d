"""A hostile knowledge-base *folder*, through the installed CLI: entry files that are not what they seem.

Before, `*.yaml` entry files were opened wherever they led: a symbolic link to a private key had the
key printed in the schema error, a FIFO hung `kb check` and diagnose, a link to /dev/zero grew
memory until MemoryError (its `stat` size is 0), and a malformed taxonomy.yaml crashed (exit 3).
"""

from __future__ import annotations

import os

import pytest

from .clirun import logdoctor
from .privatekb import FIXTURE, write_kb

SECRET = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ"
KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\nQyNTUxOQAAACBkZXNrdG9w\n-----END OPENSSH PRIVATE KEY-----\n"
TIMEOUT = 60  # a FIFO made them wait forever


def _runs(root, tmp_path):
    """kb check, kb list and a diagnosis with the folder layered on."""
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    return {
        "check": logdoctor("kb", "check", "--no-builtin", "--no-fixtures", "--kb", str(root), timeout=TIMEOUT),
        "list": logdoctor("kb", "list", "--kb", str(root), timeout=TIMEOUT),
        "diagnose": logdoctor(str(log), "--kb", str(root), "--no-cache", "--format", "json", timeout=TIMEOUT),
    }


def _assert_refused(runs, message: str) -> None:
    check = runs["check"]
    assert check.returncode == 1, check.stderr
    assert f"a.yaml:1: {message}" in check.stdout.decode()
    for name in ("list", "diagnose"):
        result = runs[name]
        assert result.returncode in (0, 1), result.stderr
        assert f"a.yaml: skipped: {message}" in (result.stdout + result.stderr).decode()  # JSON or stderr
        assert b"Traceback" not in result.stderr


def test_an_entry_that_links_out_of_the_folder_is_never_read(tmp_path):
    key = tmp_path / "id_ed25519"
    key.write_text(KEY)
    root = write_kb(tmp_path)
    (root / "a.yaml").symlink_to(key)
    runs = _runs(root, tmp_path)
    _assert_refused(runs, "a symbolic link that leads outside the knowledge base's folder")
    for result in runs.values():
        assert SECRET[:12].encode() not in result.stdout + result.stderr


def test_a_link_inside_the_folder_is_followed(tmp_path):
    root = write_kb(tmp_path)
    (root / "serving" / "port-taken.yaml").rename(root / "real.yaml")
    (root / "serving" / "port-taken.yaml").symlink_to(root / "real.yaml")
    listed = logdoctor("kb", "list", "--kb", str(root))
    assert b"port-taken" in listed.stdout, listed.stderr


def test_a_fifo_entry_is_refused_without_waiting_for_a_writer(tmp_path):
    root = write_kb(tmp_path)
    os.mkfifo(root / "a.yaml")
    _assert_refused(_runs(root, tmp_path), "not a regular file")


def test_a_link_to_dev_zero_is_refused_not_read_into_memory(tmp_path):
    root = write_kb(tmp_path)
    link = root / "inner"
    link.symlink_to("/dev/zero")
    (root / "a.yaml").symlink_to(link)  # inside the folder by name: where it leads is what counts
    _assert_refused(_runs(root, tmp_path), "a symbolic link that leads outside")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_inside_the_folder_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    root = write_kb(tmp_path)
    os.mknod(root / "a.yaml", 0o600 | 0o020000, os.makedev(1, 5))  # a character device like /dev/zero
    _assert_refused(_runs(root, tmp_path), "not a regular file")


def test_a_key_copied_in_as_an_entry_shows_only_a_short_redacted_excerpt(tmp_path):
    root = write_kb(tmp_path)
    (root / "a.yaml").write_text(KEY + "x" * 5000)
    runs = _runs(root, tmp_path)
    for result in runs.values():
        output = (result.stdout + result.stderr).decode()
        assert SECRET[:12] not in output
        assert "x" * 200 not in output
    assert "[REDACTED]" in runs["check"].stdout.decode()


@pytest.mark.parametrize("taxonomy", ["categories: [\n", "version: 1\ncategories: {a: &x b}\n", "\xff\xfe"])
def test_a_malformed_taxonomy_is_a_warning_and_the_builtin_categories_stay(tmp_path, taxonomy):
    root = write_kb(tmp_path)
    (root / "taxonomy.yaml").write_bytes(taxonomy.encode("latin-1"))
    log = tmp_path / "server.log"
    log.write_text(FIXTURE)
    for args in (["kb", "list", "--kb", str(root)], [str(log), "--kb", str(root), "--format", "json"]):
        result = logdoctor(*args)
        assert result.returncode in (0, 1), (args, result.stderr)
        assert b"taxonomy.yaml: skipped: " in result.stdout + result.stderr, args
        assert b"Traceback" not in result.stderr
    listed = logdoctor("kb", "list", "--kb", str(root), "--format", "json")
    assert b'"port-taken"' in listed.stdout
    shown = logdoctor("kb", "show", "port-taken", "--kb", str(root))
    assert shown.returncode == 0 and b"id: port-taken" in shown.stdout, shown.stderr
