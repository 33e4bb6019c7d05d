"""A fleet row: what one log's report says, in the few fields a table of many logs can show.

The row comes from `api.diagnose` alone: its verdict and cause are the report's own (the cause a
problem or a risk rests on, `Verdict.cause`), so a fleet answer is the per-log answer. Rows are
plain data (they cross process and Ray boundaries as dicts) and group by cause for the summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields

from logdoctor import api
from logdoctor.read.source import InputError


@dataclass(frozen=True)
class Row:
    """One log of the fleet."""

    log: str  # the name it was found under (a path or a URI)
    verdict: str  # problem, failed-unknown, incomplete, risk, healthy, not-a-serving-log, or unreadable
    cause: str | None = None  # the knowledge-base entry a problem or a risk rests on
    confidence: float | None = None  # that cause's confidence
    vllm_version: str | None = None
    xinference_version: str | None = None
    gpu: str | None = None  # the GPU model(s) as logged, or the architecture when only that is known
    model: str | None = None
    tensor_parallel_size: int | None = None
    error: str | None = None  # why the log could not be read (in full or at all)

    @property
    def group(self) -> str:
        """What the summary counts this log under: its cause, or its verdict when it has none."""
        return self.cause or self.verdict

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> Row:
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})  # type: ignore[arg-type]


COLUMNS = tuple(f.name for f in fields(Row))


@dataclass
class Group:
    """The logs the summary counts under one cause (or verdict)."""

    name: str
    verdict: str  # the verdict of the group's logs (a cause always comes with the same one)
    logs: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.logs)


def row_of(name: str, source: api.Source, kb: api.KnowledgeBase, symptom: str | None = None) -> Row:
    """Diagnose one log and keep what the fleet table shows; a log that cannot be read is a row too."""
    try:
        report = api.diagnose(source, symptom=symptom, kb=kb)
    except InputError as error:
        return Row(log=name, verdict="unreadable", error=str(error))
    verdict, values = report.verdict, report.facts
    errors = report.analysis.stats.errors
    return Row(
        log=name,
        verdict=verdict.kind,
        cause=verdict.cause.entry.id if verdict.cause else None,
        confidence=round(verdict.cause.confidence, 3) if verdict.cause else None,
        vllm_version=_text(values.get("vllm_version")),
        xinference_version=_text(values.get("xinference_version")),
        gpu=_gpu(values),
        model=_text(values.get("model")),
        tensor_parallel_size=_int(values.get("tensor_parallel_size")),
        error=errors[0] if errors else None,
    )


def summarize(rows: Iterable[Row]) -> list[Group]:
    """Groups by cause, largest first (then by name), each with its logs in name order.

    >>> rows = [Row("b.log", "healthy"), Row("c.log", "problem", "nccl-shm-no-space", 0.9), Row("a.log", "healthy")]
    >>> [(group.name, group.count, group.logs) for group in summarize(rows)]
    [('healthy', 2, ['a.log', 'b.log']), ('nccl-shm-no-space', 1, ['c.log'])]
    """
    groups: dict[str, Group] = {}
    for row in rows:
        groups.setdefault(row.group, Group(row.group, row.verdict)).logs.append(row.log)
    for group in groups.values():
        group.logs.sort()
    return sorted(groups.values(), key=lambda g: (-g.count, g.name))


def _gpu(values: dict[str, object]) -> str | None:
    gpus = values.get("gpus")
    if isinstance(gpus, list) and gpus:
        names = sorted(set(map(str, gpus)))
        return ", ".join(names)
    return _text(values.get("gpu_arch"))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
