"""The pieces hostile-input tests and the long fuzz run (benchmarks/fuzz.py) build logs from.

Real lines of our samples and the corpus, the wrappers a line arrives in (docker -t, compose, CRI
full and partial, process tags, colour and its pasted residue, quotes, fences, progress bars,
journald, a cut mid-line or mid UTF-8 sequence, a shell continuation, wide characters), and line
endings.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"

WRAPPERS = (
    lambda line: line,
    lambda line: b"2024-05-10T08:12:01.123456789Z " + line,
    lambda line: b"vllm-1  | " + line,
    lambda line: b"2024-05-10T08:12:01.123456789Z stdout F " + line,
    lambda line: b"2024-05-10T08:12:01.123456789Z stderr P " + line[: len(line) // 2],
    lambda line: b"(VllmWorkerProcess pid=212) " + line,
    lambda line: b"\x1b[1;36m(RayWorkerWrapper pid=9, ip=10.0.0.2)\x1b[0m " + line,
    lambda line: b"> > " + line,
    lambda line: b"```text",
    lambda line: line + b"\r" + line[:10],
    lambda line: line[: len(line) // 3],
    lambda line: b"May 10 08:12:01 host vllm[212]: " + line,
    lambda line: b"[1;36m" + line + b"[0m",
    lambda line: b"2024-05-10 08:12:01",
    lambda line: line.replace(b" ", b"\t"),
    lambda line: line + b" \\",  # a shell command continued on the next line
    lambda line: "宽字符 ".encode() + line,  # wide characters count two columns in a terminal wrap
)
ENDINGS = (b"\n", b"\r\n", b"\r\r\n", b"", b"\n\n")


def real_lines(per_log: int | None = None) -> list[bytes]:
    """Distinct non-blank lines of every sample and corpus log (the first `per_log` of each)."""
    logs = sorted(SAMPLES.glob("*.log")) + sorted(CORPUS.glob("*/log.txt"))
    return sorted({line for log in logs for line in log.read_bytes().splitlines()[:per_log] if line.strip()})
