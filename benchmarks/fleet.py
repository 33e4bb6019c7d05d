"""How many logs a second `logdoctor fleet` diagnoses: one process, a pool of two, and Ray Data.

    python benchmarks/fleet.py [--logs 1000] [--workdir DIR] [--no-ray]

Generates a fleet folder (tests/fleetgen.py: the corpus and samples copied under varied names and
wrappers), then times `logdoctor fleet DIR --format jsonl` as a child process with `--jobs 1`,
`--jobs 2` and `--ray` (a local Ray instance started by the command, so its start-up is in the
figure), and checks that the three give every log the same verdict and cause. The machine's load
average is printed before and after: on a shared machine it says how much of the CPU was ours.
The CPU seconds are those of the command and the processes it waited for (the pool's workers; not
Ray's, which Ray's own daemons start and reap).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import fleetgen  # noqa: E402  (after the path is set)


def _run(folder: Path, *flags: str) -> tuple[float, float, dict[str, tuple[str, str | None]]]:
    """Wall seconds, CPU seconds of the command and the processes it waited for, and each log's answer."""
    start, before = time.perf_counter(), _children_cpu()
    result = subprocess.run([sys.executable, "-m", "logdoctor", "fleet", str(folder), "--format", "jsonl", *flags],
                            capture_output=True, check=False)
    seconds, cpu = time.perf_counter() - start, _children_cpu() - before
    if result.returncode not in (0, 1):
        sys.exit(f"fleet {' '.join(flags)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()][:-1]
    return seconds, cpu, {row["log"]: (row["verdict"], row["cause"]) for row in rows}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, default=1000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    options = parser.parse_args()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="logdoctor-fleet-"))
    folder = workdir / f"fleet-{options.logs}"
    if not folder.is_dir():
        fleetgen.generate(folder, options.logs)
    runs = [("one process", ("--jobs", "1")), ("--jobs 2", ("--jobs", "2"))]
    if not options.no_ray and importlib.util.find_spec("ray") is not None:
        runs.append(("--ray (local Ray, start-up included)", ("--ray",)))
    print(f"{options.logs} logs in {folder}; {os.cpu_count()} CPUs; load average before: "
          + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    answers = []
    for name, flags in runs:
        seconds, cpu, rows = _run(folder, *flags)
        answers.append(rows)
        print(f"{name:<40} {seconds:7.1f} s  {len(rows) / seconds:7.1f} logs/s  ({cpu:.1f} CPU s)")
    print("load average after: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    same = all(rows == answers[0] for rows in answers) and len(answers[0]) == options.logs
    print(f"every run gives every log the same verdict and cause: {'yes' if same else 'NO'}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
