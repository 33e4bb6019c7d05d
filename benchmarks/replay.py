"""Replay a log as a server would write it: line by line, with delays, into a pipe or a file.

    python benchmarks/replay.py LOG                      # to stdout, 10 ms between lines
    python benchmarks/replay.py LOG --into server.log    # appended to a file, flushed line by line
    python benchmarks/replay.py LOG --speed 1            # at the pace of the log's own time stamps
    python benchmarks/replay.py LOG --rotate 40:moved    # after line 40: logrotate's `create` (moved, recreated)
    python benchmarks/replay.py LOG --rotate 40:truncated    # after line 40: `copytruncate`
    python benchmarks/replay.py LOG --die-mid-line       # the last line half written, then killed
    python benchmarks/replay.py LOG --stamps times.txt   # "line time" per line written (CLOCK_MONOTONIC)

The writer of the `--follow` tests and of benchmarks/follow_latency.py: a real process, so the
follower sees what it sees in production (partial writes, a writer that dies, a file replaced).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

_CLOCK = re.compile(r"(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?")


def seconds_of(line: str) -> float | None:
    """The time of day a log line was written, from its first HH:MM:SS[.fff] stamp."""
    found = _CLOCK.search(line[:80])
    if not found:
        return None
    hours, minutes, secs, fraction = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(secs) + (float(f"0.{fraction}") if fraction else 0.0)


def pauses(lines: list[str], delay: float, speed: float | None, max_gap: float) -> list[float]:
    """The pause before each line: fixed, or the log's own gaps divided by `speed` (capped at `max_gap`)."""
    if speed is None:
        return [delay] * len(lines)
    result, last = [], None
    for line in lines:
        now = seconds_of(line)
        gap = 0.0 if now is None or last is None else now - last
        if gap < -43200:  # past midnight
            gap += 86400
        gap = max(gap, 0.0) / speed  # a stamp that goes back (processes interleaved): no pause
        result.append(min(gap, max_gap))
        last = now if now is not None else last
    return result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("log", type=Path)
    options.add_argument("--into", type=Path, help="append to this file (default: stdout)")
    options.add_argument("--delay", type=float, default=0.01, help="seconds between lines")
    options.add_argument("--speed", type=float, help="follow the log's time stamps, this many times faster")
    options.add_argument("--max-gap", type=float, default=30.0, help="longest pause with --speed, seconds")
    options.add_argument("--hold", type=float, default=0.0, help="seconds to keep the output open at the end")
    options.add_argument("--rotate", help="LINE:moved or LINE:truncated")
    options.add_argument("--die-mid-line", action="store_true", help="write half the last line, then be killed")
    options.add_argument("--stamps", type=Path, help="write 'line monotonic-time' for each line written")
    args = options.parse_args()

    lines = args.log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    rotate_at, rotate_how = (int(args.rotate.split(":")[0]), args.rotate.split(":")[1]) if args.rotate else (0, "")
    out = open(args.into, "ab", buffering=0) if args.into else sys.stdout.buffer  # noqa: SIM115
    stamps = args.stamps.open("w") if args.stamps else None
    for number, (line, pause) in enumerate(zip(lines, pauses(lines, args.delay, args.speed, args.max_gap),
                                               strict=True), 1):
        time.sleep(pause)
        data = line.encode("utf-8")
        if args.die_mid_line and number == len(lines):
            out.write(data[:len(data) // 2])
            out.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        out.write(data)
        out.flush()
        if stamps is not None:
            stamps.write(f"{number} {time.monotonic():.6f}\n")
            stamps.flush()
        if number == rotate_at and args.into:
            if rotate_how == "moved":
                out.close()
                args.into.rename(args.into.with_name(args.into.name + ".1"))
                out = open(args.into, "ab", buffering=0)  # noqa: SIM115
            else:
                os.truncate(args.into, 0)
    time.sleep(args.hold)
    print(f"replayed {len(lines)} lines at {datetime.now():%H:%M:%S}", file=sys.stderr)


if __name__ == "__main__":
    main()
