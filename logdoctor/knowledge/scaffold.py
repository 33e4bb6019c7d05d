"""`logdoctor kb new ID --from LOG`: a first draft of an entry, built from a log that shows the issue.

The draft carries the log's facts (as comments, to pick `when` conditions from), its final error
as a decisive template signature with numbers and paths masked, and the log itself as the
positive fixture. What only a person can write (title, cause, remedies, references) is marked
TODO, and `kb check` refuses the entry until it is filled in.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from logdoctor.match.signatures import mask
from logdoctor.pipeline import analyze

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FACTS_TO_SUGGEST = ("vllm_version", "engine", "model_family", "dtype", "quantization", "tensor_parallel_size",
                     "compute_capability", "pre_ampere", "attention_backend", "kv_cache_fits_max_model_len")


def new_entry(entry_id: str, log: Path, category: str, folder: Path) -> list[Path]:
    """Write `<folder>/<id>.yaml` and its fixture `<folder>/<id>.log`; return the paths written."""
    if not _ID.match(entry_id):
        raise ValueError(f"id {entry_id!r}: use lowercase letters, digits and dashes")
    entry_path, fixture_path = folder / f"{entry_id}.yaml", folder / f"{entry_id}.log"
    for path in (entry_path, fixture_path):
        if path.exists():
            raise FileExistsError(f"{path} exists already")
    sheet = analyze([str(log)]).sheet
    error = sheet.facts.get("error_message")
    signatures = []
    if isinstance(error, str) and error:
        signatures.append({"template": mask(error)[:300], "decisive": True})
    else:
        signatures.append({"literal": "TODO: a line of the log that shows the issue", "weight": 0.5})
    document = {
        "id": entry_id,
        "title": "TODO: one line a user recognises",
        "category": category,
        "symptoms": ["TODO: what a user says, e.g. server exits at startup", "TODO: 中文说法"],
        "signatures": signatures,
        "cause": "TODO: two or three sentences in your own words.",
        "remedies": [{"text": "TODO: the most promising fix first", "vllm": "TODO --flag", "xinference": "TODO"}],
        "references": ["https://github.com/vllm-project/vllm/issues/TODO"],
        "fixtures": {"positive": [fixture_path.name], "negative": []},
    }
    suggestions = [f"#   {name} = {sheet.facts[name]!r}" for name in _FACTS_TO_SUGGEST if name in sheet.facts]
    header = [f"# Draft made by `logdoctor kb new` from {log.name}. Facts of that log, for a `when:` condition:",
              *(suggestions or ["#   (none found)"]), "# e.g. when: 'pre_ampere and dtype == \"float16\"'", ""]
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    entry_path.write_text("\n".join(header) + text, encoding="utf-8")
    shutil.copyfile(log, fixture_path)
    return [entry_path, fixture_path]
