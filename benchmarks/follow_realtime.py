"""Replay logs at the pace of their own time stamps into `logdoctor --follow` and say when it answered.

    python benchmarks/follow_realtime.py LOG... [--speed 1] [--max-gap 60]

For each log (in parallel): benchmarks/replay.py writes it into a pipe as its time stamps say
(pauses capped at --max-gap seconds), the installed `logdoctor --follow --format json` reads the
pipe. Printed per log: the second after the replay started at which each stage and diagnosis was
told, the second the replay ended, at which line and how long before the end of the input the
follower's answer (the ready verdict or the first diagnosis) came, and whether the final verdict
equals the batch report's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_SCRIPT = Path(sys.executable).with_name("logdoctor")
LOGDOCTOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "logdoctor"]


def verdict_of(document: dict) -> tuple[str, str | None]:
    confident = [d["id"] for d in document["diagnoses"] if d["confidence"] >= 0.5]
    return document["summary"]["verdict"], confident[0] if confident else None


def follow(log: Path, speed: float, max_gap: float, out: list[str]) -> None:
    started = time.monotonic()
    replay = subprocess.Popen([sys.executable, str(HERE / "replay.py"), str(log), "--speed", str(speed),
                               "--max-gap", str(max_gap)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    follower = subprocess.Popen([*LOGDOCTOR, "--follow", "--format", "json"], stdin=replay.stdout,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    replay.stdout.close()  # type: ignore[union-attr]
    events = [(time.monotonic() - started, json.loads(raw)) for raw in follower.stdout]  # type: ignore[union-attr]
    replay.wait()
    follower.wait()
    ended = max(at for at, event in events if event["event"] == "end")
    batch = json.loads(subprocess.run([*LOGDOCTOR, str(log), "--format", "json"], capture_output=True,
                                      text=True).stdout)
    told = [(at, event) for at, event in events if event["event"] != "end"]
    answer = next(((at, e) for at, e in told if e["event"] == "diagnosis" or e.get("stage") == "ready"), None)
    lines = [f"{log}: replay {ended:.0f} s, exit {follower.returncode}"]
    lines += [f"  {at:7.1f} s  line {event['line']:>4}  {event.get('stage', event['event'])}"
              + (f"  {verdict_of(event['report'])}" if "report" in event else "") for at, event in told]
    final = verdict_of(events[-1][1]["report"])
    total = events[-1][1]["report"]["input"]["lines"]
    when = (f"at line {answer[1]['line']} of {total}, {ended - answer[0]:.1f} s before the input ended"
            if answer is not None else "never")
    lines.append(f"  answer (ready verdict or first diagnosis) told {when}; "
                 f"final {final} {'==' if final == verdict_of(batch) else '!='} batch {verdict_of(batch)}")
    out.append("\n".join(lines))


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("logs", nargs="+", type=Path)
    options.add_argument("--speed", type=float, default=1.0)
    options.add_argument("--max-gap", type=float, default=60.0)
    args = options.parse_args()
    out: list[str] = []
    threads = [threading.Thread(target=follow, args=(log, args.speed, args.max_gap, out)) for log in args.logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("\n".join(out))


if __name__ == "__main__":
    main()
