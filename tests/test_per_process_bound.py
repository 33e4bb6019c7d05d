"""Per-process values are bounded, through the installed CLI.

Before: every worker pid with a differing value was kept, so 200,000 worker lines with distinct pids
gave 199,801 per-process entries (9 MB text and JSON reports, 138 MB peak RSS). Now the fact's own
process and the newest others are kept (the latest start-up's workers), and the rest is counted.
"""

from __future__ import annotations

import json

from logdoctor.parse.facts import MAX_PROCESSES_PER_FACT

from .clirun import logdoctor

WORKERS = 20_000


def _worker_log(path) -> None:
    with path.open("w") as log:
        log.write("INFO 05-10 08:12:01 api_server.py:160] vLLM API server version 0.6.3\n")
        for pid in range(1000, 1000 + WORKERS):
            log.write(f"(VllmWorkerProcess pid={pid}) INFO 05-10 08:12:01 model_runner.py:1008] "
                      f"Loading model weights took {4 + pid % 97 / 100:.4f} GB\n")


def test_a_pool_of_distinct_worker_pids_keeps_a_bounded_set_and_counts_the_rest(tmp_path):
    log = tmp_path / "workers.log"
    _worker_log(log)
    result = logdoctor("facts", str(log), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    kept = document["per_process"]["weights_gib"]
    assert len(kept) == MAX_PROCESSES_PER_FACT
    assert "VllmWorkerProcess pid=20999" in kept  # the newest worker is among those kept
    assert WORKERS * 0.9 < document["per_process_omitted"]["weights_gib"] < WORKERS
    assert len(result.stdout) < 10_000
    text = logdoctor("facts", str(log))
    assert b"other processes, not kept" in text.stdout and len(text.stdout) < 10_000
    report = logdoctor(str(log), "--format", "json")
    assert report.returncode in (0, 1) and len(report.stdout) < 20_000
