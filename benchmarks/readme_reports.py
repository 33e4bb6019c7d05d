"""The README's example reports, generated from a bundled sample so that they show what logdoctor prints.

    python benchmarks/readme_reports.py           # print the blocks
    python benchmarks/readme_reports.py --write   # put them into README.md between their markers

tests/test_reports.py checks that README.md holds the blocks as this script makes them today.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "samples/s-v04-a10g-mistral-kv-too-small.log"  # short, one confident cause, memory matters
WIDTH = 80


def _report():  # type: ignore[no-untyped-def]
    import logdoctor

    here = Path.cwd()
    os.chdir(ROOT)  # the report names the log as a user in the repository would
    try:
        return logdoctor.diagnose(Path(SAMPLE))
    finally:
        os.chdir(here)


def blocks() -> dict[str, str]:
    """Marker name → the README text between `<!-- NAME -->` and `<!-- /NAME -->`."""
    from logdoctor.report import jsonout, markdown, text

    report = _report()
    shown = text.render(report, 5, text.Layout(width=WIDTH))
    pasted = markdown.render(report, 5, command=f"logdoctor {SAMPLE} --format markdown")
    return {
        "text-report": "\n".join([f"$ logdoctor {SAMPLE}", shown]).join(["```text\n", "\n```"]),
        "markdown-report": "\n".join(f"> {line}".rstrip() for line in pasted.split("\n")),
        "json-report": json.dumps(_shortened(jsonout.report_document(report, 1)), indent=2,
                                  ensure_ascii=False).join(["```json\n", "\n```"]),
    }


def _shortened(document: dict) -> dict:
    """The JSON report with its long parts cut to a few items, to show its shape."""
    kept = ("vllm_version", "engine", "max_model_len", "gpu_blocks", "kv_cache_fits_max_model_len")
    diagnosis = document["diagnoses"][0]
    return {**document,
            "facts": {name: document["facts"][name] for name in kept if name in document["facts"]},
            "evidence": {name: document["evidence"][name] for name in kept if name in document["evidence"]},
            "diagnoses": [{**diagnosis, "evidence": diagnosis["evidence"][:2], "cause": diagnosis["cause"][:60] + "…",
                           "remedies": diagnosis["remedies"][:1], "references": diagnosis["references"][:1]}],
            "input": {name: document["input"][name] for name in ("inputs", "lines", "bytes", "errors")}}


def write(readme: Path = ROOT / "README.md") -> None:
    content = readme.read_text(encoding="utf-8")
    for name, block in blocks().items():
        pattern = re.compile(rf"(<!-- {name} -->\n)(?:.*?\n)?(<!-- /{name} -->)", re.S)
        if not pattern.search(content):
            raise SystemExit(f"README.md has no <!-- {name} --> … <!-- /{name} --> markers")
        content = pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), content)  # noqa: B023
    readme.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    else:
        print("\n\n".join(blocks().values()))
