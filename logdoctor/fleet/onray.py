"""A fleet past one machine, on Ray Data (`pip install 'logdoctor[ray]'`).

`ray.data.read_binary_files` reads the logs from any filesystem Ray and pyarrow know (a local
folder, `s3://`, `gs://`, `abfs://`, HDFS…, gzip undone by the `.gz` suffix), `map_batches` hands
them to a pool of actors that each load the knowledge base once (`Diagnoser`), and the summary is
a Ray `groupby` over the rows' groups. Each log is diagnosed by `api.diagnose`, as everywhere else.

On a cluster, run it on the head node or submit it as a job; `ray.init()` joins the cluster named
by RAY_ADDRESS (which `ray job submit` sets) and starts a local instance otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from logdoctor import api
from logdoctor.fleet import inputs
from logdoctor.fleet.rows import Group, Row, row_of
from logdoctor.read.source import InputError

BATCH = 16  # logs per actor call: large enough to amortise Ray's per-batch cost, small enough to spread


class RayUnavailable(RuntimeError):
    """Ray (with Ray Data) is not installed: the message says how to install it."""


class Diagnoser:
    """A Ray Data actor: loads the knowledge base once in __init__, then diagnoses batch after batch."""

    def __init__(self, kb_dirs: Sequence[str] = (), symptom: str | None = None) -> None:
        self.kb = api.KnowledgeBase(*kb_dirs)
        self.symptom = symptom

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        rows = [row_of(str(path), bytes(data), self.kb, self.symptom)
                for path, data in zip(batch["path"], batch["bytes"], strict=True)]
        return {"group": [row.group for row in rows], "verdict": [row.verdict for row in rows],
                "log": [row.log for row in rows], "row": [json.dumps(row.as_dict()) for row in rows]}


def diagnose_all(locations: Sequence[str], *, address: str | None = None, symptom: str | None = None,
                 kb_dirs: Sequence[str] = (), actors: int | None = None,
                 progress: bool = False) -> tuple[list[Row], list[Group]]:
    """The rows (in log-name order) and the summary of every log under `locations` (paths or URIs).

    Joins the Ray cluster at `address` (or RAY_ADDRESS, or a new local instance) unless this
    process is already connected. `actors`: how many diagnose at once (default: one per CPU of the cluster).
    """
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    paths = [path for location in locations for path in _local_or_uri(location)]
    actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    try:
        logs = ray.data.read_binary_files(paths, include_paths=True)
    except OSError as error:  # a missing folder, a bucket that cannot be listed
        reason = "no such file or folder" if isinstance(error, FileNotFoundError) else str(error)
        raise InputError(f"{', '.join(locations)}: {reason}") from error
    diagnosed = logs.map_batches(
        Diagnoser, fn_constructor_kwargs={"kb_dirs": tuple(kb_dirs), "symptom": symptom}, batch_size=BATCH,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors)).materialize()
    rows = sorted((Row.from_dict(json.loads(record["row"])) for record in diagnosed.take_all()), key=lambda r: r.log)
    summary = diagnosed.groupby("group").map_groups(_group).take_all()
    groups = [Group(str(g["group"]), str(g["verdict"]), sorted(json.loads(g["logs"]))) for g in summary]
    return rows, sorted(groups, key=lambda g: (-g.count, g.name))


def _group(batch: dict[str, Any]) -> dict[str, list]:
    """One group of the summary (Ray hands map_groups each group whole)."""
    return {"group": [batch["group"][0]], "verdict": [batch["verdict"][0]],
            "logs": [json.dumps([str(log) for log in batch["log"]])]}


def _local_or_uri(location: str) -> list[str]:
    """A URI goes to Ray as it is; a local folder or glob is expanded here, the way `fleet` does without Ray."""
    return [location] if "://" in location else [str(path) for path in inputs.log_files([location])]


def _ray() -> Any:
    try:
        import ray
        import ray.data  # Ray Data comes with the ray[data] extra, not with ray alone
    except ImportError as error:
        raise RayUnavailable(f"--ray needs Ray Data ({error.name} is missing): pip install 'logdoctor[ray]'") from error
    return ray
