"""Long fuzz run of logdoctor's hostile-input surfaces, by hand (the suite runs the bounded version).

    pip install atheris                       # coverage-guided (libFuzzer); without it: seeded random
    python benchmarks/fuzz.py -runs=100000    # ≥100k inputs; libFuzzer flags pass through
    python benchmarks/fuzz.py --random 100000 # the same targets from a seeded random generator
    python benchmarks/fuzz.py --worst         # each template's line with 60 KiB fillers: nothing over 0.25 s

One input drives one of nine targets, chosen by its first byte:

  log        bytes built from real lines (samples/*.log, ../shared/corpus/*/log.txt) under random
             wrappers (docker -t, compose, CRI full/partial, Ray/worker tags, colour, quotes, fences,
             `\\r` bars, cuts mid-line), line endings and raw bytes → LogReader (tiny and normal line
             limits) + diagnose with the built-in KB + every report writer
  yaml       text → yamlsafe.load → knowledge.entry_from_document
  condition  text → conditions.compile_condition → evaluate on random facts
  regex      text → Signature.build (RE2) → similarity on a random line
  redact     text with a planted secret → redact: the secret must be gone
  bytes      raw bytes → the whole pipeline
  utf16      a `log` input in UTF-16 LE/BE, with and without a byte-order mark, one in 100 padded past
             1 MB (where the block scanner takes over): where its head is recognised as UTF-16, the
             facts and line count must equal those of the same text in UTF-8
  compressed a `log` input as a gzip, bzip2, xz, zstd or one-file zip file (and on stdin but zip),
             intact (the facts must equal those of the plain text), cut short or with a flipped byte
             (a report plus a read error, or a one-line InputError; nothing else)
  nonfinite  real lines whose numbers became inf, nan, 1e999, 400 digits… → the report must be JSON
             without NaN or Infinity, and no fact may hold a non-finite number

Every report is also serialised with json.dumps(allow_nan=False), as the CLI does.

Anything but the target's own error types is a finding: atheris stops and saves the input
(`crash-…`); the random mode prints the input and exits 1. Inputs that take more than
-timeout seconds (default here: 10) are findings too; inputs are up to -max_len=4096 bytes.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import math
import os
import random
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.logpieces import ENDINGS, WRAPPERS, real_lines  # noqa: E402  (after the path is set)

try:
    import atheris
except ImportError:  # the random mode needs nothing
    atheris = None


def _import():
    from logdoctor import api, knowledge
    from logdoctor.knowledge import compiled as kbcache
    from logdoctor.knowledge import yamlsafe
    from logdoctor.match import conditions
    from logdoctor.match.signatures import Signature, SignatureError
    from logdoctor.read import formats, source
    from logdoctor.report import jsonout, markdown, redact, text

    return (conditions, api, formats, kbcache, knowledge, redact, source, yamlsafe, jsonout, markdown, text,
            Signature, SignatureError)


if atheris is not None and "--random" not in sys.argv and "--worst" not in sys.argv:
    with atheris.instrument_imports(include=["logdoctor"]):
        MODULES = _import()
else:
    MODULES = _import()
(conditions, api, formats, kbcache, knowledge, redact, source, yamlsafe, jsonout, markdown, text, Signature,
 SignatureError) = MODULES

REAL = real_lines()
FACT_VALUES = (None, True, False, 0, 7.5, -1, "0.4.2", "float16", "Tesla T4", ["Tesla T4", "A100"], float("nan"), "")
FACT_NAMES = ("vllm_version", "pre_ampere", "dtype", "gpus", "tensor_parallel_size", "compute_capability",
              "model_family", "quantization")
SECRETS = ("hf_{}", "sk-{}", "sk-proj-{}", "AKIA{}")
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
KB, INDEX = kbcache.load()
WORK = Path(tempfile.mkdtemp(prefix="logdoctor-fuzz-"))
YAML_FILE, COMPRESSED_FILE = WORK / "entry.yaml", WORK / "server.log"


class Source:
    """The choices one input makes: from atheris' FuzzedDataProvider or from a seeded Random."""

    def __init__(self, provider=None, rnd: random.Random | None = None) -> None:
        self.provider, self.rnd = provider, rnd

    def int(self, low: int, high: int) -> int:
        if self.provider is not None:
            return self.provider.ConsumeIntInRange(low, high)
        return self.rnd.randint(low, high)

    def bytes(self, count: int) -> bytes:
        if self.provider is not None:
            return self.provider.ConsumeBytes(count)
        return self.rnd.randbytes(self.rnd.randint(0, count))

    def text(self, count: int) -> str:
        if self.provider is not None:
            return self.provider.ConsumeUnicodeNoSurrogates(count)
        alphabet = "()[]{}:-&*!|>'\"#,.?= \n\tabcxyz019_\\+$^é中\x00\x1b"
        return "".join(self.rnd.choice(alphabet) for _ in range(self.rnd.randint(0, count)))

    def pick(self, items):
        return items[self.int(0, len(items) - 1)]


def log_bytes(src: Source) -> bytes:
    parts = []
    for _ in range(src.int(0, 60)):
        kind = src.int(0, 9)
        if kind == 0:
            parts.append(src.bytes(40))
        elif kind == 1:
            parts.append(b"x" * src.int(0, 3000) + src.pick(ENDINGS))
        else:
            parts.append(src.pick(WRAPPERS)(src.pick(REAL)) + src.pick(ENDINGS))
    return b"".join(parts)


def run_log(data: bytes, name: str = "-"):
    """Read `data` (on stdin, or the file `name`) under two line limits, diagnose it and write every report."""
    for limit in (64, source.MAX_LINE_BYTES):
        reader = source.LogReader([name], stdin=io.BytesIO(data), max_line_bytes=limit)
        for line in reader:
            if len(line.text) > limit or "\n" in line.text or "\r" in line.text:
                raise AssertionError(f"line {line.number} breaks the source contract: {line.text[:80]!r}")
    report = api.diagnose(data if name == "-" else Path(name), kb=api.KnowledgeBase.of(KB, INDEX),
                          symptom="only outputs !!!!")
    json.dumps(jsonout.report_document(report, 5), allow_nan=False)  # as the CLI writes it: NaN is not JSON
    markdown.render(report, 5)
    text.render(report, 5)
    return report


def _same_reading(report, expected, what: str) -> None:
    facts, stats = report.analysis.sheet.facts, report.analysis.stats
    if facts != expected.analysis.sheet.facts or stats.physical_lines != expected.analysis.stats.physical_lines:
        raise AssertionError(f"{what} is read otherwise than the same text in UTF-8: {stats.describe()}")


UTF16 = (("utf-16-le", b""), ("utf-16-be", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"))
PADDING = "INFO 07-10 18:07:01 [logger.py:43] Received request cmpl-{}: prompt: 'say hello', params: None.\n"


def run_utf16(src: Source) -> None:
    text = log_bytes(src).decode("utf-8", "replace")
    if src.int(0, 99) == 0:  # past 1 MB, where the body is scanned in blocks
        cut = text.find("\n") + 1
        text = text[:cut] + "".join(PADDING.format(n) for n in range(12_000)) + text[cut:]
    codec, mark = src.pick(UTF16)
    data = mark + text.encode(codec, "surrogatepass")
    report = run_log(data)
    if formats.utf16_codec(data[:formats.HEAD_BYTES]) is not None:
        _same_reading(report, run_log(text.encode("utf-8", "surrogatepass")), f"{codec} {mark!r}")


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("server.log", data)
    return buffer.getvalue()


COMPRESSORS = (("gzip", gzip.compress), ("bzip2", bz2.compress), ("xz", lzma.compress), ("zip", _zip),
               ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)))


def run_compressed(src: Source) -> None:
    plain = log_bytes(src)
    kind, compress = src.pick(COMPRESSORS)
    data = compress(plain)
    damage = src.int(0, 2)  # intact, cut short, a flipped byte
    if damage == 1:
        data = data[:src.int(0, len(data))]
    elif damage == 2 and data:
        at = src.int(0, len(data) - 1)
        data = data[:at] + bytes([data[at] ^ (1 + src.int(0, 254))]) + data[at + 1:]
    COMPRESSED_FILE.write_bytes(data)
    for name in ([str(COMPRESSED_FILE)] if kind == "zip" else [str(COMPRESSED_FILE), "-"]):
        try:
            report = run_log(data, name)
        except source.InputError:
            if damage == 0:
                raise
            continue
        if damage == 0 and formats.compression_of(plain[:formats.HEAD_BYTES]) is None:
            _same_reading(report, run_log(plain), kind)


NON_FINITE = ("inf", "-inf", "nan", "NaN", "Infinity", "1e999", "-1e999", "9" * 400, "1" + "0" * 330 + ".5")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def run_nonfinite(src: Source) -> None:
    lines = []
    for _ in range(src.int(1, 40)):
        line = src.pick(REAL).decode("utf-8", "replace")
        lines.append(NUMBER.sub(lambda _match: src.pick(NON_FINITE) if src.int(0, 2) == 0 else _match.group(), line))
    report = run_log("\n".join(lines).encode("utf-8", "surrogatepass"))
    sheet = report.analysis.sheet
    for name, value in [*sheet.facts.items(), *((n, v) for per in sheet.per_process.values() for n, v in per.items())]:
        if isinstance(value, float) and not math.isfinite(value):
            raise AssertionError(f"fact {name} is {value}")


def run_yaml(src: Source) -> None:
    YAML_FILE.write_bytes(src.text(400).encode("utf-8", "surrogatepass"))
    try:
        document, _node = yamlsafe.load(YAML_FILE, YAML_FILE.parent)
    except yamlsafe.YamlError:
        return
    with contextlib.suppress(knowledge.EntryError):
        knowledge.entry_from_document(document, YAML_FILE, YAML_FILE.parent)


def run_condition(src: Source) -> None:
    try:
        condition = conditions.compile_condition(src.text(200))
    except conditions.ConditionError:
        return
    facts = {src.pick(FACT_NAMES): src.pick(FACT_VALUES) for _ in range(src.int(0, 5))}
    if condition.evaluate(facts) not in (True, False, None):
        raise AssertionError("a condition evaluated to something else than true, false or unknown")


def run_regex(src: Source) -> None:
    try:
        signature = Signature.build({"regex": src.text(60)})
    except SignatureError:
        return
    signature.similarity(src.text(300))


def run_redact(src: Source) -> None:
    shape = src.pick(SECRETS)
    alphabet, length = (ALNUM[26:], 16) if shape.startswith("AKIA") else (ALNUM, 34)  # AWS: 16 of [A-Z0-9]
    secret = shape.format("".join(alphabet[src.int(0, len(alphabet) - 1)] for _ in range(length)))
    text_ = f"{src.text(40)} {secret} {src.text(40)}"
    if secret in redact.redact(text_):
        raise AssertionError(f"secret survived redaction: {text_!r}")


def one_input(src: Source) -> None:
    target = src.int(0, 8)
    if target == 0:
        run_log(log_bytes(src))
    elif target == 1:
        run_yaml(src)
    elif target == 2:
        run_condition(src)
    elif target == 3:
        run_regex(src)
    elif target == 4:
        run_redact(src)
    elif target == 5:
        run_log(src.bytes(2000))
    elif target == 6:
        run_utf16(src)
    elif target == 7:
        run_compressed(src)
    else:
        run_nonfinite(src)


FILLERS = ("a", " ", "'", "(", "=", ",", "0", "1.", "a=", "'a', ", "x ", "(a", "[", "{'a': ", "\\", "/a", ":",
           "GiB ", "-", "\t", "a=1 ", "hf_", "://a:", "Error: ")


def worst_case_main(budget: float) -> None:
    """Every template's example line with 60 KiB of one repeated filler at its start, middle and end:
    a super-linear path in the parser, the masks or redaction shows as a slow line (each line is
    at most 64 KiB, so a quadratic path costs ~seconds a line rather than forever)."""
    from logdoctor.match.signatures import mask
    from logdoctor.parse import LineParser
    from logdoctor.read.source import Line

    examples: dict[tuple, str] = {}
    for raw in REAL:
        line = raw.decode("utf-8", "replace")
        kinds = tuple(sorted({event.kind for event in LineParser().feed(Line(1, line))}))
        examples.setdefault(kinds, line)
    size = source.MAX_LINE_BYTES - 4096
    timings = []
    for kinds, example in examples.items():
        for unit in FILLERS:
            filler = (unit * (size // len(unit)))[:size]
            half = len(example) // 2
            for line in (example + filler, example[:half] + filler + example[half:], filler + example):
                started = time.perf_counter()
                LineParser().feed(Line(1, line))
                mask(line)
                redact.redact(line)
                timings.append((time.perf_counter() - started, kinds, unit, line[:60]))
    timings.sort(key=lambda item: item[0], reverse=True)
    slow = [item for item in timings if item[0] > budget]
    for seconds, kinds, unit, start in timings[:5]:
        print(f"{seconds:.3f} s  {'/'.join(kinds) or '-'}  filler {unit!r}  {start!r}")
    print(f"worst case: {len(timings)} lines of {size} bytes from {len(examples)} templates, "
          f"{len(slow)} over {budget} s")
    sys.exit(1 if slow else 0)


def atheris_main() -> None:
    def test_one_input(data: bytes) -> None:
        one_input(Source(provider=atheris.FuzzedDataProvider(data)))

    argv = [sys.argv[0], *(a for a in sys.argv[1:])]
    for flag, default in (("-timeout=", "10"), ("-max_len=", "4096"), ("-len_control=", "20")):
        if not any(a.startswith(flag) for a in argv):
            argv.append(flag + default)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def random_main(runs: int, seed: int) -> None:
    started = time.perf_counter()
    slowest = (0.0, -1)
    for number in range(runs):
        rnd = random.Random(seed * 1_000_003 + number)
        t0 = time.perf_counter()
        try:
            one_input(Source(rnd=rnd))
        except Exception:
            print(f"finding at input {number} (seed {seed}): replay with --random-one {seed} {number}", file=sys.stderr)
            raise
        elapsed = time.perf_counter() - t0
        if elapsed > slowest[0]:
            slowest = (elapsed, number)
        if number and number % 10_000 == 0:
            print(f"#{number} {time.perf_counter() - started:.0f}s", file=sys.stderr)
    print(f"random fuzz: {runs} inputs, seed {seed}, {time.perf_counter() - started:.0f} s, no finding; "
          f"slowest input {slowest[1]} took {slowest[0]:.2f} s")


if __name__ == "__main__":
    os.environ.setdefault("LOGDOCTOR_NO_PROGRESS", "1")
    if "--worst" in sys.argv:
        worst_case_main(0.25)
    elif "--random-one" in sys.argv:
        at = sys.argv.index("--random-one")
        seed, number = int(sys.argv[at + 1]), int(sys.argv[at + 2])
        one_input(Source(rnd=random.Random(seed * 1_000_003 + number)))
    elif "--random" in sys.argv:
        at = sys.argv.index("--random")
        random_main(int(sys.argv[at + 1]), int(sys.argv[at + 2]) if len(sys.argv) > at + 2 else 1)
    elif atheris is None:
        sys.exit("atheris is not installed: pip install atheris, or run with --random N")
    else:
        atheris_main()
