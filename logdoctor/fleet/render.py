"""A fleet as text, JSON lines, CSV or Markdown: the rows, then the summary by cause.

JSON lines and CSV are for programs: JSON lines give one object per log (`Row` fields) and end
with one `{"summary": [...]}` object; CSV holds the rows only, with a header, and the caller
prints the summary on stderr. Text and Markdown are for people: a table, then each cause with
its count and the logs under it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from logdoctor.fleet.rows import COLUMNS, Group, Row

FORMATS = ("text", "jsonl", "csv", "markdown")
_HEADINGS = ("log", "verdict", "cause", "conf", "version", "gpu", "model", "tp")
_WIDEST = 48  # a cell wider than this is cut (text only), so one long model path does not push the table off screen


def render(rows: Sequence[Row], groups: Sequence[Group], fmt: str) -> str:
    return {"text": text, "jsonl": jsonl, "csv": csv_rows, "markdown": markdown}[fmt](rows, groups)


def headline(rows: Sequence[Row], groups: Sequence[Group]) -> str:
    """`43 logs: 14 healthy, 3 kv-cache-too-small-v0, …`"""
    return f"{len(rows)} log{'s' if len(rows) != 1 else ''}: " + ", ".join(f"{g.count} {g.name}" for g in groups)


def text(rows: Sequence[Row], groups: Sequence[Group]) -> str:
    table = [_HEADINGS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADINGS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    lines += ["", headline(rows, groups)]
    for group in groups:
        lines += ["", f"{group.name} ({group.count}, {group.verdict}):", *(f"  {log}" for log in group.logs)]
    return "\n".join(lines)


def markdown(rows: Sequence[Row], groups: Sequence[Group]) -> str:
    lines = ["| " + " | ".join(_HEADINGS) + " |", "|" + " --- |" * len(_HEADINGS)]
    lines += ["| " + " | ".join(_escaped(cell) for cell in _cells(row, cut=False)) + " |" for row in rows]
    lines += ["", f"**{headline(rows, groups)}**", ""]
    for group in groups:
        lines.append(f"- **{_escaped(group.name)}** ({group.count}, {group.verdict}): "
                     + ", ".join(f"`{log}`" for log in group.logs))
    return "\n".join(lines)


def jsonl(rows: Sequence[Row], groups: Sequence[Group]) -> str:
    lines = [json.dumps(row.as_dict(), ensure_ascii=False, allow_nan=False) for row in rows]
    summary = [{"group": g.name, "verdict": g.verdict, "count": g.count, "logs": g.logs} for g in groups]
    lines.append(json.dumps({"summary": summary}, ensure_ascii=False, allow_nan=False))
    return "\n".join(lines)


def csv_rows(rows: Sequence[Row], _groups: Sequence[Group]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.as_dict() for row in rows)
    return out.getvalue().rstrip("\n")


def _cells(row: Row, cut: bool = True) -> tuple[str, ...]:
    version = ", ".join(f"{engine} {value}" for engine, value in
                        (("xinference", row.xinference_version), ("vllm", row.vllm_version)) if value)
    confidence = "" if row.confidence is None else f"{row.confidence:.2f}"
    tp = "" if row.tensor_parallel_size is None else str(row.tensor_parallel_size)
    cells = (row.log, row.verdict, row.cause or "", confidence, version, row.gpu or "", row.model or "", tp)
    return tuple(_cut(cell) for cell in cells) if cut else cells


def _cut(cell: str) -> str:
    return cell if len(cell) <= _WIDEST else "…" + cell[-(_WIDEST - 1):]


def _escaped(cell: str) -> str:
    return cell.replace("|", "\\|")
