"""How soon `logdoctor --follow` tells a stage after the server writes its line, and what it costs idle.

    python benchmarks/follow_latency.py [LOG] [--runs 10] [--delay 0.02] [--idle 10] [--mode file|pipe|both]

Each run replays LOG (default: the seed sample) line by line into a file (followed through inotify)
or a pipe (blocking reads), writing from this process with the time of each line written; the
installed `logdoctor --follow --format json` prints one JSON line per stage or diagnosis with the
number of the line it was told at, read here with the time it arrived. Line-to-status latency is
the difference (the monotonic clock is one for all processes). After the last run of each mode the
follower is left following an input that does not move for --idle seconds, and its CPU time over
that span is read from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "seed-xinference-t4-gptq-tp4.log"
_SCRIPT = Path(sys.executable).with_name("logdoctor")
LOGDOCTOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "logdoctor"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_waiting(pid: int, timeout: float = 60) -> None:
    """Until the follower sleeps in the kernel waiting for input (started, knowledge base loaded, file open)."""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and calm < 3:
        waiting = Path(f"/proc/{pid}/wchan").read_text()
        calm = calm + 1 if any(word in waiting for word in ("poll", "select", "pipe_read", "inotify")) else 0
        time.sleep(0.05)


def one_run(lines: list[bytes], mode: str, delay: float, idle: float) -> tuple[list[tuple[str, float]], float | None]:
    """Latencies (stage, seconds) of one replay, and the follower's CPU seconds while idle (when `idle`)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "server.log"
        path.touch()
        if mode == "file":
            follower = subprocess.Popen([*LOGDOCTOR, "--follow", "--format", "json", str(path)],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            sink = open(path, "ab", buffering=0)  # noqa: SIM115 - closed below
        else:
            read_end, write_end = os.pipe()
            follower = subprocess.Popen([*LOGDOCTOR, "--follow", "--format", "json"], stdin=read_end,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            os.close(read_end)
            sink = os.fdopen(write_end, "wb", buffering=0)
        arrived: list[tuple[float, dict]] = []
        reader = threading.Thread(target=lambda: arrived.extend(
            (time.monotonic(), json.loads(raw)) for raw in follower.stdout), daemon=True)  # type: ignore[union-attr]
        reader.start()
        wait_until_waiting(follower.pid)  # started (imports, knowledge base) before the first line
        written: dict[int, float] = {}
        for number, line in enumerate(lines, 1):
            sink.write(line)
            written[number] = time.monotonic()
            time.sleep(delay)
        time.sleep(0.5)
        idle_cpu = None
        if idle:
            before = cpu_seconds(follower.pid)
            time.sleep(idle)
            idle_cpu = cpu_seconds(follower.pid) - before
        sink.close()
        if mode == "file":
            follower.terminate()
        follower.wait(30)
        reader.join(30)
    latencies = [(event.get("stage", event["event"]), at - written[event["line"]])
                 for at, event in arrived if event["event"] != "end" and event["line"] in written]
    return latencies, idle_cpu


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("log", nargs="?", type=Path, default=SEED)
    options.add_argument("--runs", type=int, default=10)
    options.add_argument("--delay", type=float, default=0.02, help="seconds between lines")
    options.add_argument("--idle", type=float, default=10.0, help="seconds idle at the end of the last run")
    options.add_argument("--mode", choices=["file", "pipe", "both"], default="both")
    args = options.parse_args()
    lines = args.log.read_bytes().splitlines(keepends=True)
    for mode in (["file", "pipe"] if args.mode == "both" else [args.mode]):
        latencies: list[tuple[str, float]] = []
        idle_cpu = None
        for run in range(args.runs):
            found, cpu = one_run(lines, mode, args.delay, args.idle if run == args.runs - 1 else 0)
            latencies += found
            idle_cpu = cpu if cpu is not None else idle_cpu
        values = sorted(seconds * 1000 for _, seconds in latencies)
        if not values:
            print(f"{mode}: no status line arrived")
            continue
        p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
        stages = sorted({stage for stage, _ in latencies})
        print(f"{mode}: {len(values)} status lines ({', '.join(stages)}) over {args.runs} replays of {args.log.name}: "
              f"line-to-status median {statistics.median(values):.1f} ms, p99 {p99:.1f} ms, max {values[-1]:.1f} ms")
        if idle_cpu is not None:
            tick = 1000 / os.sysconf("SC_CLK_TCK")
            print(f"{mode}: follower CPU time while idle for {args.idle:.0f} s: {idle_cpu * 1000:.0f} ms "
                  f"(counted in {tick:.0f} ms ticks)")


if __name__ == "__main__":
    main()
