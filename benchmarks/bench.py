"""How fast logdoctor reads a long serving log, against grep looking for the same literals.

    python benchmarks/bench.py [--size 400M] [--style v1] [--runs 7] [--workdir DIR] [--markdown]

In one run: generate (or reuse) a long log with benchmarks/loggen.py; time `LC_ALL=C grep -c -E`
with every literal logdoctor's line prefilter looks for (parse.prefilter_literals: the grammar's
template anchors, the engine hints, the error markers, the knowledge base's anchors) and then
`logdoctor diagnose LOG --format json`, with the fast engine and with the fallback forced;
check that each diagnosis equals that of the log's start-up section plus its late error alone;
time the start-up latency (median of --runs) and a diagnosis with a generated 10,000-entry
knowledge base (benchmarks/kbgen.py). Grep is the yardstick because it is the floor a user
would compare with: it reads every byte once and does nothing else.

Every command runs as a child process, timed with its peak RSS from os.wait4, so the figures are
what a user sees, interpreter start included. The start-up case times logdoctor as `pip install .`
installs it (a venv of its own in --workdir, bytecode compiled at install), not this checkout's
install: an editable one adds an import hook, and where PYTHONDONTWRITEBYTECODE is set (this
project's machines) recompiles every module at each start (--this-install times it anyway).
Generated files are kept in --workdir (by default a folder in the temp dir) under names that
encode their parameters, and reused; --clean deletes the long log afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import loggen

from logdoctor import knowledge, parse
from logdoctor.match.rank import SignatureIndex

try:
    import kbgen
except ImportError:  # written separately; the KB figure is skipped without it
    kbgen = None

ROOT = Path(__file__).resolve().parent.parent
SEED_SAMPLE = ROOT / "samples" / "seed-xinference-t4-gptq-tp4.log"
# The console script a user runs, from this interpreter's environment.
_SCRIPT = Path(sys.executable).with_name("logdoctor")
LOGDOCTOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "logdoctor"]
# The facts a diagnosis rests on: serving noise must not change any of them.
KEY_FACTS = ("vllm_version", "engine", "model", "dtype", "quantization", "tensor_parallel_size", "max_model_len",
             "gpu_memory_utilization", "kv_cache_gib", "gpu_blocks", "server_ready", "error_type", "error_message")
MB = 1 << 20
# Forces the pure-Python/RE2 scan that users get where hyperscan does not install (logdoctor/scan.py).
FALLBACK = {"LOGDOCTOR_ENGINE": "re2"}
# What a diagnosis of a short log cannot avoid importing (python -X importtime -m logdoctor LOG):
# the start-up latency can be no lower than the interpreter with these.
FLOOR_IMPORTS = ("click", "lark", "rapidfuzz", "hyperscan", "re2", "packaging.specifiers")
STORM_COPIES = 60_000  # a vLLM 0.4.1 start, then its OOM block (7 ERROR lines and a 500) this many times
REPEATED_LINES = 1_000_000  # worker lines stating their weights, CRLF
MANY_REPEATS = 10  # the corpus logs, this many times over


# A child forked from this (large) Python process inherits its peak RSS across exec, so the
# child's own peak comes from GNU time, which forks it from a small process. Without GNU time,
# os.wait4's figure is an upper bound that includes this process's size.
TIME = shutil.which("time", path="/usr/bin:/bin")


@dataclass
class Run:
    """One child process: wall seconds, peak RSS in bytes, exit status (None: killed at the timeout)."""

    wall: float
    rss: int
    status: int | None
    stdout: str


def run(command: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Run:
    """Run `command`, its output to a file (no pipe to drain while timing), and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [TIME, "-f", "%M", "-o", peak.name, *command] if TIME else command
        start = time.perf_counter()
        child = subprocess.Popen(wrapped, stdout=out, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        peak_at_kill: list[int] = []
        timer = threading.Timer(timeout, _kill, (child.pid, peak_at_kill)) if timeout else None
        if timer:
            timer.start()
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if timer:
            timer.cancel()
        child.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        killed = code < 0 or (TIME is not None and code > 128)  # GNU time reports a signal as 128 + n
        rss_kb = peak_at_kill[0] if peak_at_kill else int(peak.read().split()[-1]) if TIME else usage.ru_maxrss
        out.seek(0)
        return Run(wall, rss_kb * 1024, None if killed else code, out.read().decode())


def _kill(pid: int, peak_kb: list[int]) -> None:
    """At the timeout: note the largest peak RSS (VmHWM) in the child's process tree, then kill it."""
    pids, peaks = [pid], [0]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
        pids += map(int, children)
    peak_kb.append(max(peaks))
    os.killpg(pid, signal.SIGKILL)


def environment(workdir: Path, engine: dict[str, str] | None = None, cache: Path | None = None) -> dict[str, str]:
    """The children's environment: a private cache folder, and the engine switch when asked."""
    env = {k: v for k, v in os.environ.items() if k not in FALLBACK}
    env["LOGDOCTOR_CACHE_DIR"] = str(cache or workdir / "cache")
    return {**env, **(engine or {})}


def long_log(workdir: Path, size: int, style: str, seed: int) -> Path:
    """The long log for these parameters (and this loggen.py), generated once then reused."""
    return generated(workdir, f"serving-{style}-{size}-seed{seed}",
                     lambda path: loggen.write_log(path, size, style, seed))


def ere(literals: list[str]) -> str:
    """A POSIX extended regex matching any of `literals` (only ERE's special characters escaped)."""
    return "|".join(re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", literal) for literal in literals)


def warm(path: Path) -> None:
    """Read the file once so grep and logdoctor both find it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(8 * MB):
            pass


def summary(document: dict) -> dict:
    """What must not change between a long log and its start-up plus error: ranking and key facts."""
    facts = document.get("facts", {})
    return {"ranking": [(d["id"], d["confidence"]) for d in document.get("diagnoses", [])[:5]],
            "facts": {name: facts.get(name) for name in KEY_FACTS}}


def compare(got: Run, expected: dict) -> str:
    """'same', or what differs from the reference diagnosis."""
    if got.status not in (0, 1):
        return "no report" if got.status is None else f"exit status {got.status}"
    try:
        mine = summary(json.loads(got.stdout))
    except json.JSONDecodeError:
        return "output is not JSON"
    if mine["ranking"] != expected["ranking"]:
        return f"ranking {mine['ranking'][:3]} instead of {expected['ranking'][:3]}"
    diff = [name for name in KEY_FACTS if mine["facts"][name] != expected["facts"][name]]
    return "same" if not diff else "facts differ: " + ", ".join(diff)


def median_wall(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float, float]:
    """(first run, median, fastest of the next `runs`): the first one fills the cache. The fastest
    is shown beside the median because on a shared 2-CPU machine others' work adds ±30 %."""
    first = run(command, env).wall
    walls = [run(command, env).wall for _ in range(runs)]
    return first, statistics.median(walls), min(walls)


def spread(median: float, fastest: float) -> str:
    return f"{median * 1000:.0f} ms (fastest {fastest * 1000:.0f})"


def machine() -> str:
    """What the figures depend on: CPU, load (others' work skews a 2-CPU machine), versions."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
              if line.startswith("model name")]
    try:
        import hyperscan
        fast = f"hyperscan {getattr(hyperscan, '__version__', 'installed')}"
    except ImportError:
        fast = "hyperscan not installed"
    grep = subprocess.run(["grep", "--version"], capture_output=True, text=True).stdout.split("\n", 1)[0]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{models[0] if models else platform.machine()}, {os.cpu_count()} CPUs (load {load}), "
            f"Python {platform.python_version()}, {fast}, {grep}")


Rows = list[tuple[str, str, str, "bool | None"]]  # figure, measured, target, passed (None: no target)
CASES = ("long", "storm", "repeated", "many", "startup", "kb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="400M", help="size of the long log, e.g. 400M or 2G (default 400M)")
    parser.add_argument("--style", choices=loggen.STYLES, default="v1", help="vLLM V0 or V1 log (default v1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=7, help="runs per latency median (default 7)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "logdoctor-bench")
    parser.add_argument("--kb-count", type=int, default=10000, help="entries of the generated KB (default 10000)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a logdoctor run is killed")
    parser.add_argument("--no-fallback", action="store_true", help="skip the run with the fallback engine forced")
    parser.add_argument("--clean", action="store_true", help="delete the long log afterwards")
    parser.add_argument("--markdown", action="store_true", help="print the table for the README")
    parser.add_argument("--this-install", action="store_true",
                        help="start-up case: time this environment's logdoctor, not a `pip install .` in --workdir")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES), help="what to measure (default all)")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus",
                        help="folder of corpus cases (*/log.txt) for the many-logs case")
    parser.add_argument("--many-child", nargs=2, type=int, metavar=("JOBS", "REPEATS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.many_child:
        many_logs_child(args.corpus, *args.many_child)
        return
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    rows: Rows = []
    literals = parse.prefilter_literals(SignatureIndex(knowledge.load().entries).anchors)
    if "long" in args.cases:
        rows += long_log_case(args, workdir, literals)
    for case, write, reference in (
            ("storm", lambda path: loggen.write_lines(path, loggen.storm_lines(STORM_COPIES, args.seed)),
             lambda path: loggen.write_lines(path, loggen.storm_lines(1, args.seed))),
            ("repeated", lambda path: loggen.write_lines(path, loggen.repeated_lines(REPEATED_LINES, args.seed),
                                                         loggen.CRLF),
             lambda path: loggen.write_lines(path, loggen.repeated_lines(1, args.seed), loggen.CRLF))):
        if case in args.cases:
            rows += repeated_case(case, workdir, generated(workdir, f"{case}-seed{args.seed}", write),
                                  generated(workdir, f"{case}-reference-seed{args.seed}", reference), literals,
                                  args.runs)
    if "many" in args.cases:
        rows += many_logs_case(args.corpus, args.runs)
    if "startup" in args.cases:
        rows += startup_case(args, workdir)
    if "kb" in args.cases:
        rows += kb_case(args, workdir)
    notes = [machine()]
    command = (f"python benchmarks/bench.py --size {args.size} --style {args.style} --runs {args.runs}"
               f"{'' if set(args.cases) == set(CASES) else ' --cases ' + ' '.join(args.cases)}"
               f"{' --this-install' if args.this_install else ''}")
    print_table(rows, notes, command, args.markdown)


def generated(workdir: Path, name: str, write) -> Path:  # type: ignore[no-untyped-def]
    """A generated log named for its parameters and this loggen.py, written once then reused."""
    version = hashlib.sha256(Path(loggen.__file__).read_bytes()).hexdigest()[:8]
    path = workdir / f"{name}-{version}.log"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        partial = path.with_suffix(".part")
        write(partial)
        partial.rename(path)
    return path


def grep_run(log: Path, literals: list[str]) -> Run:
    """`LC_ALL=C grep -c -E` with the prefilter's literals, its output to a file (GNU grep stops at the
    first match when its output is /dev/null), the median of 3 (a short run is noisy)."""
    warm(log)
    greps = [run(["grep", "-c", "-E", ere(literals), str(log)], {**os.environ, "LC_ALL": "C"}) for _ in range(3)]
    grep = sorted(greps, key=lambda r: r.wall)[1]
    if grep.status not in (0, 1):
        sys.exit(f"grep failed (status {grep.status})")
    return grep


def long_log_case(args: argparse.Namespace, workdir: Path, literals: list[str]) -> Rows:
    """The long serving log (mostly access and metrics lines) against grep, with both scan engines."""
    rows: Rows = []
    size = loggen.parse_size(args.size)
    log = long_log(workdir, size, args.style, args.seed)
    reference = workdir / f"reference-{args.style}-seed{args.seed}.log"
    loggen.write_log(reference, 0, args.style, args.seed)
    expected_run = run([*LOGDOCTOR, "diagnose", str(reference), "--format", "json"], environment(workdir))
    if expected_run.status not in (0, 1):
        sys.exit(f"logdoctor failed on the reference log {reference} (status {expected_run.status})")
    expected = summary(json.loads(expected_run.stdout))
    grep = grep_run(log, literals)
    label = f"{log.stat().st_size / MB:.0f} MB {args.style} log"
    rows.append((f"{label}: grep -c -E, {len(literals)} literals ({grep.stdout.strip()} lines), median of 3",
                 f"{grep.wall:.2f} s, {grep.rss / MB:.0f} MB", "", None))
    fallback = " ".join(f"{k}={v}" for k, v in FALLBACK.items())
    engines = [("default engine", None)] + ([] if args.no_fallback else [(fallback, FALLBACK)])
    for name, engine in engines:
        doctor = run([*LOGDOCTOR, "diagnose", str(log), "--format", "json"], environment(workdir, engine),
                     args.timeout)
        if doctor.status is None:
            rows.append((f"{label}: logdoctor, {name}", f"killed after {doctor.wall:.0f} s = "
                         f"{doctor.wall / grep.wall:.0f} × grep", "ratio ≤ 1.0", False))
            rows.append((f"  peak RSS until killed, {name}", f"{doctor.rss / MB:.0f} MB", "< 100 MB",
                         doctor.rss < 100 * MB))
            continue
        ratio = doctor.wall / grep.wall
        # The target is the default engine's; the fallback's ratio is reported (issue: "report that path's too").
        target = ("ratio ≤ 1.0", ratio <= 1.0) if engine is None else ("reported", None)
        rows.append((f"{label}: logdoctor, {name}", f"{doctor.wall:.2f} s = {ratio:.1f} × grep", *target))
        rows.append((f"  peak RSS, {name}", f"{doctor.rss / MB:.0f} MB", "< 100 MB", doctor.rss < 100 * MB))
        verdict = compare(doctor, expected)
        rows.append((f"  diagnosis = start-up + error alone, {name}", verdict, "same", verdict == "same"))

    if args.clean:
        log.unlink()
    return rows


def user_install(workdir: Path) -> Path:
    """A venv with logdoctor installed from this checkout as a user installs it (`pip install .`, not
    editable, pip compiling the bytecode), made once and reinstalled when the package's files change;
    its interpreter's path."""
    venv = workdir / "user-install"
    python = venv / "bin" / "python"
    files = sorted(path for folder in ("logdoctor", "grammar", "kb", "samples") for path in (ROOT / folder).rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts)
    digest = hashlib.sha256()
    for path in [*files, ROOT / "setup.cfg", ROOT / "pyproject.toml"]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    stamp = venv / "logdoctor-source.sha256"
    if stamp.exists() and python.exists() and stamp.read_text() == digest.hexdigest():
        return python
    if not python.exists():
        print(f"installing logdoctor into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)], check=True)
    else:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)],
                       check=True)
    stamp.write_text(digest.hexdigest())
    # The compiled KB's cache records its stat shortcut only for files older than 2 s (knowledge/compiled.py):
    # runs right after an install hash every source and KB file, which is not what a user's runs do.
    time.sleep(2.5)
    return python


def editable(python: Path) -> bool:
    """Whether `python`'s environment has logdoctor as an editable install (pip's direct_url.json)."""
    probe = ("import importlib.metadata as m, json; u = m.distribution('logdoctor').read_text('direct_url.json'); "
             "print(bool(u and json.loads(u).get('dir_info', {}).get('editable')))")
    return subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout.strip() == "True"


def startup_case(args: argparse.Namespace, workdir: Path) -> Rows:
    """The start-up latency: the seed log against the design's three imports, runs interleaved so that
    others' load falls on both; then the same against every import a diagnosis needs. Both with the
    interpreter of the install measured (user_install, unless --this-install)."""
    rows: Rows = []
    python = Path(sys.executable) if args.this_install else user_install(workdir)
    script = python.with_name("logdoctor")
    logdoctor = [str(script)] if script.exists() else [str(python), "-m", "logdoctor"]
    kind = "editable install" if editable(python) else "pip install . (not editable)"
    bytecode = ", PYTHONDONTWRITEBYTECODE=1" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    rows.append((f"measured: {' '.join(logdoctor)}", f"{kind}{bytecode}", "", None))
    three = [str(python), "-c", "import click, lark, rapidfuzz"]
    seed_run = [*logdoctor, str(SEED_SAMPLE)]
    run(seed_run, environment(workdir))  # fills the cache
    floors, seeds = [], []
    for _ in range(args.runs):
        floors.append(run(three, dict(os.environ)).wall)
        seeds.append(run(seed_run, environment(workdir)).wall)
    ratio = statistics.median(seeds) / statistics.median(floors)
    rows.append((f"floor: python -c 'import click, lark, rapidfuzz', median of {args.runs}",
                 spread(statistics.median(floors), min(floors)), "", None))
    rows.append((f"{SEED_SAMPLE.name} end to end, median of {args.runs} (interleaved)",
                 f"{spread(statistics.median(seeds), min(seeds))} = {ratio:.2f} × that floor "
                 f"(fastest {min(seeds) / min(floors):.2f} ×)", "ratio ≤ 1.25", ratio <= 1.25))
    imports = ", ".join(name for name in FLOOR_IMPORTS if importlib.util.find_spec(name.split(".")[0]))
    floor = [str(python), "-c", f"import {imports}"]
    rows.append((f"floor: interpreter + import {imports}, median of {args.runs}",
                 spread(*median_wall(floor, dict(os.environ), args.runs)[1:]), "", None))
    startup = workdir / f"startup-{args.style}-300.log"
    loggen.write_startup(startup, args.style, 300, args.seed)
    for name, path in ((f"{SEED_SAMPLE.name} ({len(SEED_SAMPLE.read_text().splitlines())} lines)", SEED_SAMPLE),
                       (f"generated {args.style} start-up log (300 lines)", startup)):
        first, median, fastest = median_wall([*logdoctor, str(path)], environment(workdir), args.runs)
        rows.append((f"start-up latency, {name}, median of {args.runs}",
                     f"{spread(median, fastest)}, first run {first * 1000:.0f} ms", "≤ 120 ms", median <= 0.120))
    return rows


def kb_case(args: argparse.Namespace, workdir: Path) -> Rows:
    """A diagnosis with a generated 10,000-entry knowledge base, first (compiling it) and cached."""
    rows: Rows = []
    if kbgen is None:
        rows.append((f"{args.kb_count}-entry KB", "benchmarks/kbgen.py missing", "< 1 s", None))
    else:
        kb_dir = workdir / f"kb-{args.kb_count}-seed{args.seed}"
        if not kb_dir.exists():
            partial = kb_dir.with_name(kb_dir.name + ".part")
            kbgen.generate(partial, args.kb_count, args.seed)
            partial.rename(kb_dir)
        command = [*LOGDOCTOR, "diagnose", str(SEED_SAMPLE), "--kb", str(kb_dir)]
        cold_cache = Path(tempfile.mkdtemp(dir=workdir, prefix="cache-cold-"))
        cold = run(command, environment(workdir, cache=cold_cache))
        warm_runs = [run(command, environment(workdir, cache=cold_cache)) for _ in range(args.runs)]
        shutil.rmtree(cold_cache)
        works = all(r.status in (0, 1) for r in [cold, *warm_runs])
        warm_median = statistics.median(r.wall for r in warm_runs)
        warm_fastest = min(r.wall for r in warm_runs)
        # Once per change of the KB: reading and compiling every YAML file (the issue's "KB compiled
        # once into a cache keyed by its files' hashes"); the target is for a diagnosis.
        rows.append((f"{args.kb_count}-entry KB, seed sample, first run (compiles the KB into the cache)",
                     f"{cold.wall:.2f} s, {cold.rss / MB:.0f} MB", "reported", None if works else False))
        rows.append((f"{args.kb_count}-entry KB, seed sample, median of {args.runs}",
                     f"{spread(warm_median, warm_fastest)}",
                     "< 1 s", warm_median < 1 and works))

    return rows


_TOUCH_EVERY_BYTE = "import sys, click, lark, rapidfuzz; open(sys.argv[1], 'rb').read().count(b'\\n')"


def repeated_case(name: str, workdir: Path, log: Path, reference: Path, literals: list[str], runs: int) -> Rows:
    """A log whose parsed lines repeat (an error storm, a million worker lines) against grep: the wall
    (median of `runs`, at least 3), the peak RSS, the JSON report's size, and whether the diagnosis
    is that of the log's first part alone (its start and one copy of what repeats)."""
    rows: Rows = []
    expected_run = run([*LOGDOCTOR, "diagnose", str(reference), "--format", "json"], environment(workdir))
    expected = summary(json.loads(expected_run.stdout))
    grep = grep_run(log, literals)
    command = [*LOGDOCTOR, "diagnose", str(log), "--format", "json"]
    doctors = [run(command, environment(workdir)) for _ in range(max(3, runs))]
    doctor = sorted(doctors, key=lambda r: r.wall)[len(doctors) // 2]
    label = f"{name}: {log.stat().st_size / MB:.0f} MB, {grep.stdout.strip()} lines grep counts"
    rows.append((f"{label}; grep -c -E, median of 3", f"{grep.wall:.2f} s", "", None))
    # What no Python program that reads the log can go below: the interpreter, the design's three
    # imports and one C pass over the bytes (reading them and counting their lines).
    floors = [run([sys.executable, "-c", _TOUCH_EVERY_BYTE, str(log)]) for _ in range(3)]
    floor = sorted(floors, key=lambda r: r.wall)[1]
    rows.append(("  floor: python, import click, lark, rapidfuzz, read the file and count its lines, median of 3",
                 f"{floor.wall:.2f} s = {floor.wall / grep.wall:.1f} × grep", "", None))
    walls = [r.wall for r in doctors]
    ratio = doctor.wall / grep.wall
    rows.append((f"  logdoctor diagnose --format json, median of {len(doctors)}",
                 f"{doctor.wall:.2f} s (fastest {min(walls):.2f}) = {ratio:.1f} × grep", "ratio ≤ 1.5", ratio <= 1.5))
    peak = max(r.rss for r in doctors)
    rows.append(("  peak RSS (largest run)", f"{peak / MB:.0f} MB", "< 100 MB", peak < 100 * MB))
    size = len(doctor.stdout.encode())
    rows.append(("  JSON report", f"{size / 1024:.1f} KB", "< 64 KB", size < 64 * 1024))
    read = json.loads(doctor.stdout)["input"]
    rows.append(("  lines counted as copies of a repeated block, not parsed (input.folded)",
                 f"{read['folded']:,} of {read['lines']:,}", "", None))
    verdict = compare(doctor, expected)
    rows.append(("  diagnosis = its start + one copy of the repeated part", verdict, "same", verdict == "same"))
    return rows


def many_logs_case(corpus: Path, runs: int) -> Rows:
    """Many start-up logs in one process (the corpus logs, repeated) through logdoctor.diagnose_many,
    with one process and with a pool of two, each measured in a fresh child process; then the same
    through the command line (`logdoctor diagnose LOG… --format json --jobs N`)."""
    if not list(corpus.glob("*/log.txt")):
        return [("many logs", f"no corpus at {corpus}", "≥ 100 logs/s", None)]
    rates: dict[int, list[float]] = {1: [], 2: []}
    per_cpu: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(max(3, runs // 2)):
        for jobs in rates:
            command = [sys.executable, __file__, "--corpus", str(corpus), "--many-child", str(jobs), str(MANY_REPEATS)]
            wall_rate, cpu_rate = map(float, run(command, dict(os.environ)).stdout.split()[:2])
            rates[jobs].append(wall_rate)
            per_cpu[jobs].append(cpu_rate)
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    count = len(list(corpus.glob("*/log.txt")))
    logs = [str(log) for log in sorted(corpus.glob("*/log.txt"))] * MANY_REPEATS
    cli: dict[int, list[float]] = {1: [], 2: []}  # the command line: one report each, JSON, in a fresh process
    for _ in range(max(3, runs // 2)):
        for jobs in cli:
            cli[jobs].append(run([*LOGDOCTOR, "diagnose", *logs, "--format", "json", "--jobs", str(jobs)]).wall)
    cli_one, cli_two = (len(logs) / statistics.median(cli[jobs]) for jobs in (1, 2))
    cli_rows = [(f"  logdoctor diagnose LOG × {len(logs)} --format json, median of {len(cli[1])}",
                 f"{cli_one:.0f} logs/s, start included", "≥ 100 logs/s", cli_one >= 100),
                (f"  the same with --jobs 2, median of {len(cli[2])}",
                 f"{cli_two:.0f} logs/s = {cli_two / cli_one:.2f} × --jobs 1", "≥ 1.7 ×", cli_two / cli_one >= 1.7)]
    return [(f"many logs: {count} corpus logs × {MANY_REPEATS}, one process, median of {len(rates[1])}",
             f"{one:.0f} logs/s (best {max(rates[1]):.0f}; {statistics.median(per_cpu[1]):.0f} per CPU second)",
             "≥ 100 logs/s", one >= 100),
            (f"  the same with jobs=2, median of {len(rates[2])}",
             f"{two:.0f} logs/s (best {max(rates[2]):.0f}; {statistics.median(per_cpu[2]):.0f} per CPU second) "
             f"= {two / one:.2f} × one process", "≥ 1.7 ×", two / one >= 1.7), *cli_rows]


def many_logs_child(corpus: Path, jobs: int, repeats: int) -> None:
    """In a child: diagnose the corpus logs `repeats` times with one knowledge base; print logs per
    second of wall time and per second of CPU time (its own and its workers': on a shared machine
    the wall depends on what else runs)."""
    import logdoctor

    logs = sorted(corpus.glob("*/log.txt")) * repeats
    kb = logdoctor.KnowledgeBase()
    start, cpu = time.perf_counter(), os.times()
    count = sum(1 for _report in logdoctor.diagnose_many(logs, kb=kb, jobs=jobs))
    wall, used = time.perf_counter() - start, os.times()
    cpu_seconds = sum(used[:4]) - sum(cpu[:4])  # user and system, of this process and its reaped workers
    print(f"{count / wall:.1f} {count / cpu_seconds:.1f} logs/s (wall, CPU)")


def print_table(rows: list[tuple[str, str, str, bool | None]], notes: list[str], command: str,
                markdown: bool) -> None:
    verdict = {True: "PASS", False: "FAIL", None: ""}
    if markdown:
        print("| figure | measured | target | |\n| --- | --- | --- | --- |")
        for figure, measured, target, passed in rows:
            print(f"| {figure.strip()} | {measured} | {target} | {verdict[passed]} |")
        print(f"\n`{command}` on {'; '.join(notes)}.")
        return
    width = max(len(row[0]) for row in rows)
    measured_width = max(len(row[1]) for row in rows)
    for figure, measured, target, passed in rows:
        print(f"{figure:<{width}}  {measured:<{measured_width}}  {target:<11}  {verdict[passed]}")
    for note in notes:
        print(f"note: {note}")
    print(f"command: {command}")


if __name__ == "__main__":
    main()
