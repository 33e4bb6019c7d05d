"""Inputs recognised by their bytes, through the installed CLI: UTF-16 text and compressed logs.

Each case was answered "healthy" (exit 0) before: past the first megabyte the block scanner looked
for UTF-8 anchors in UTF-16 text, and bzip2 / xz / zstd / zip bytes were read as text.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile

import pytest
import zstandard

from .clirun import logdoctor, one_line_error
from .conftest import SAMPLES

OOM_LOG = SAMPLES / "s-v09-l40s-llama8b-serving-oom-v1.log"
REQUEST = "INFO 07-10 18:07:{:02d} [logger.py:43] Received request cmpl-{}: prompt: 'say hello', params: None.\n"


def _serving_oom_over_a_megabyte() -> str:
    """The serving OOM sample with 1.2 MB of request lines between start-up and the crash, so that
    the crash lies where the reader scans in blocks."""
    lines = OOM_LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    crash = next(i for i, line in enumerate(lines) if "Traceback" in line)
    padding = "".join(REQUEST.format(n % 60, n) for n in range(12_000))
    text = "".join(lines[:crash]) + padding + "".join(lines[crash:])
    assert len(text.encode("utf-8")) > 1_200_000
    return text


def _diagnosis(result) -> dict:
    assert result.returncode == 1, result.stderr.decode()
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def utf8_report() -> dict:
    return _diagnosis(logdoctor("--format", "json", stdin=_serving_oom_over_a_megabyte().encode("utf-8")))


@pytest.mark.parametrize("encoding, crlf", [
    ("utf-16", True),  # PowerShell 5.1 `>`: little-endian with a byte-order mark, CRLF
    ("utf-16-le", False), ("utf-16-be", False),
    ("utf-16-be-bom", False),
])
def test_a_utf16_log_over_a_megabyte_gets_the_utf8_diagnosis(tmp_path, utf8_report, encoding, crlf):
    text = _serving_oom_over_a_megabyte()
    if crlf:
        text = text.replace("\n", "\r\n")
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    path = tmp_path / "log.txt"
    path.write_bytes(data)
    for result in (logdoctor(str(path), "--format", "json"), logdoctor("--format", "json", stdin=data)):
        report = _diagnosis(result)
        assert report["diagnoses"][0]["id"] == utf8_report["diagnoses"][0]["id"]
        assert report["facts"]["error_type"] == utf8_report["facts"]["error_type"]
        assert report["input"]["lines"] == utf8_report["input"]["lines"]


def test_random_bytes_with_a_byte_order_mark_are_not_taken_for_utf16(tmp_path):
    path = tmp_path / "latin.log"
    path.write_bytes(b"\xff\xfe" + "INFO caf\xe9 ready\n".encode("latin-1") * 50)
    result = logdoctor("facts", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["input"]["lines"] == 50


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("server.log", data)
    return buffer.getvalue()


COMPRESSORS = {
    "gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data), "zip": _zip,
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_compressed_logs_are_recognised_by_their_bytes_and_read(tmp_path, utf8_report, kind):
    data = COMPRESSORS[kind](_serving_oom_over_a_megabyte().encode("utf-8"))
    path = tmp_path / "server.log"  # the name says nothing
    path.write_bytes(data)
    runs = [logdoctor(str(path), "--format", "json")]
    if kind != "zip":
        runs.append(logdoctor("--format", "json", stdin=data))
    for result in runs:
        report = _diagnosis(result)
        assert report["diagnoses"][0]["id"] == utf8_report["diagnoses"][0]["id"]
        assert report["input"]["lines"] == utf8_report["input"]["lines"]


def test_a_utf16_log_inside_gzip_is_transcoded_after_decompression(tmp_path, utf8_report):
    data = gzip.compress(_serving_oom_over_a_megabyte().encode("utf-16"))
    report = _diagnosis(logdoctor("--format", "json", stdin=data))
    assert report["diagnoses"][0]["id"] == utf8_report["diagnoses"][0]["id"]


@pytest.mark.parametrize("kind", ["bzip2", "xz", "zstd"])
def test_a_truncated_compressed_log_reports_what_it_read_then_one_line_and_exit_2(tmp_path, kind):
    data = COMPRESSORS[kind](_serving_oom_over_a_megabyte().encode("utf-8"))  # over one 900 kB bzip2 block
    path = tmp_path / "cut.log"
    path.write_bytes(data[: len(data) * 3 // 4])
    result = logdoctor("facts", str(path), "--format", "json")
    assert result.returncode == 2
    assert f"{kind} stream is" in one_line_error(result)
    assert json.loads(result.stdout)["input"]["lines"] > 0


def test_a_zip_on_a_pipe_or_of_several_files_is_refused_in_one_line(tmp_path):
    log = OOM_LOG.read_bytes()
    piped = logdoctor("facts", "--format", "json", stdin=_zip(log))
    assert piped.returncode == 2 and "zip archive cannot be read from a pipe" in one_line_error(piped)
    assert json.loads(piped.stdout)["input"]["lines"] == 0  # a report all the same, as for a broken gzip
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.log", log)
        archive.writestr("b.log", log)
    several = logdoctor("facts", str(path))
    assert several.returncode == 2 and "zip archive of 2 files" in one_line_error(several)


def test_a_zipped_log_with_an_overlong_line_is_read_as_the_plain_one(tmp_path):
    """Found by the fuzzer: ZipExtFile.readline(limit) returns up to 512 bytes more than `limit`, so a
    line just over the limit was not cut (nor counted) as it is in the plain file."""
    text = OOM_LOG.read_text(encoding="utf-8")
    cut = text.index("\n") + 1
    overlong = "".join(f"{n}" * 65_700 + "\n" for n in range(5))  # just past the 64 KiB limit: each is cut
    plain = (text[:cut] + overlong + text[cut:]).encode("utf-8")
    (tmp_path / "plain.log").write_bytes(plain)
    (tmp_path / "zipped.log").write_bytes(_zip(plain))
    documents = []
    for name in ("plain.log", "zipped.log"):
        result = logdoctor("facts", str(tmp_path / name), "--format", "json")
        assert result.returncode == 0, result.stderr
        documents.append(json.loads(result.stdout))
    assert documents[0]["input"]["truncated"] >= 5
    assert documents[0]["facts"] == documents[1]["facts"]
    assert {k: v for k, v in documents[0]["input"].items() if k != "inputs"} == \
        {k: v for k, v in documents[1]["input"].items() if k != "inputs"}


def test_a_stream_that_breaks_inside_an_overlong_line_is_not_read_again():
    """Found by the fuzzer (seed 3, input 95,921): a damaged bzip2 stream broke while the rest of an
    overlong line was skipped; the error was swallowed and the stream read again, and libbzip2 then
    raised RuntimeError ("Invalid sequence of commands"). Now the damage is reported once and reading
    stops (the fuzzer's line limit of 64 bytes makes the overlong line)."""
    from logdoctor.read import source

    from .conftest import ROOT

    path = ROOT / "tests" / "data" / "bzip2-runtime-error.log.bz2"
    for name, stdin in ((str(path), None), ("-", io.BytesIO(path.read_bytes()))):
        reader = source.LogReader([name], stdin=stdin, max_line_bytes=64)
        lines = list(reader)
        assert lines and len(reader.stats.errors) == 1
        assert "bzip2 stream is corrupt" in reader.stats.errors[0]
    result = logdoctor("facts", str(path), "--format", "json")
    assert result.returncode == 2 and "bzip2 stream is corrupt" in one_line_error(result)


def test_a_zip_archive_of_an_unsupported_version_is_a_broken_archive_not_a_crash():
    """Found by the fuzzer (seed 4, input 13,280): a flipped byte in a zip's directory makes zipfile
    raise NotImplementedError ("zip file version 23.2"); it was exit 3."""
    from .conftest import ROOT

    result = logdoctor("facts", str(ROOT / "tests" / "data" / "zip-unsupported-version.zip"))
    assert result.returncode == 2
    assert "a broken zip archive (zip file version" in one_line_error(result)
