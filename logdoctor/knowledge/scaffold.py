"""`logdoctor kb new ID --from LOG`: a draft entry a reviewer could merge after a read.

What the log itself can say is written for the contributor; only the title and the cause, which a
person must put in words, are left as TODO (and `kb check` refuses the entry until they are filled in):

- signatures: the final exception, the fatal ERROR lines and the line just before the failure, as
  masked templates cut at a word. The error is `decisive` only when it names this issue: never a
  generic error (a plain CUDA OOM, a wrapper that says "see above", a line that other entries match
  too) unless the contributor says so (`decisive=True`);
- `when`: the facts that set this log apart from the fixtures of the entries that rank on it, so
  the new entry wins there and stays out of its neighbours' way; the whole fact sheet as a comment;
- symptoms from the error, remedies from the error's own advice (else from the entry of the same
  category that ranks best on the log), the references the contributor gives;
- the category checked against the taxonomy, the log copied as the positive fixture.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from logdoctor import api, knowledge
from logdoctor.knowledge import yamlsafe
from logdoctor.match.conditions import compile_condition
from logdoctor.match.rank import Diagnosis
from logdoctor.match.signatures import Signature, SignatureError, mask
from logdoctor.parse import EXCEPTION_LINE, LineParser, envelope, messages
from logdoctor.parse.facts import FactSheet
from logdoctor.pipeline import analyze
from logdoctor.read.source import LogReader
from logdoctor.suggest import did_you_mean

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TEMPLATE_CHARS = 120  # long enough to name the problem, short enough to survive a reworded tail
_FATAL_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})
# Errors that many different causes end in: they say what failed, not why (at the message's start, after
# an optional exception class: "… or CUDA errors" further on is only a warning's wording).
_GENERIC = re.compile(r"^(?:[\w.]+: )?(?:[\w.]*OutOfMemoryError\b|(?:CUDA|HIP|XPU|NPU) out of memory|CUDA error|"
                      r"HIP error|NCCL error|out of memory|Killed|Segmentation fault|Error executing method|"
                      r"Engine core initialization failed|EngineCore failed to start|Engine process failed to start|"
                      r"WorkerProc failed to start|Worker failed|Background loop|EngineCore encountered)", re.I)
# Sentences of an error message that tell the user what to do (vLLM's messages often do).
_ADVICE = re.compile(r"(?:^|(?<=[.!?] ))((?:Please |You can |you must |Try |Consider |Make sure |Set |Use |Increase |"
                     r"Decrease |Reduce |Lower |Raise |Upgrade |Install |Pass |Add |Remove )[^.!?]*[.!?]?)")
# Facts a `when` may test, in the order they are preferred: each splits logs into a few kinds.
_WHEN_FACTS = ("pre_ampere", "kv_cache_fits_max_model_len", "engine", "quantization", "dtype", "distributed_backend",
               "attention_backend", "gpu_arch", "kv_cache_dtype", "enforce_eager", "p2p_disabled",
               "engine_fell_back_to_v0", "trust_remote_code", "model_family")
_COMPARED = 5  # neighbours whose fixtures a `when` is chosen against


class DraftError(ValueError):
    """A draft that cannot be written (bad id, unknown category, an existing file)."""


@dataclass
class Draft:
    """What `kb new` wrote and what it found on the way."""

    entry: Path
    fixture: Path
    when: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    number: int
    level: str | None
    message: str
    launch: bool = False  # a version line, config dump or command: in every log of a setup, no evidence


def kb_root(folder: Path) -> Path:
    """The knowledge base a folder belongs to: the nearest one up with a taxonomy.yaml (else the folder)."""
    for candidate in (folder, *folder.parents):
        if (candidate / "taxonomy.yaml").is_file():
            return candidate
    return folder


def check_category(category: str, categories: dict[str, str]) -> None:
    """DraftError naming the closest categories when `category` is not in the taxonomy."""
    if category not in categories:
        raise DraftError(f"unknown category {category!r}{did_you_mean(category, categories)}; "
                         "pick one of taxonomy.yaml (or add one there, with a one-line meaning)")


def template_of(text: str) -> str:
    """`text` masked (numbers, paths, hex) and cut at a word within TEMPLATE_CHARS."""
    masked = mask(messages.unwrap(text)[0])
    if len(masked) <= TEMPLATE_CHARS:
        return masked
    head = masked[:TEMPLATE_CHARS + 1]
    sentence = head.rfind(". ")
    if sentence >= TEMPLATE_CHARS // 2:  # a whole first sentence reads better than a cut second one
        return head[:sentence + 1]
    return head.rsplit(" ", 1)[0].rstrip(" ,;:(")


def _is_generic(text: str, line: int, ranked: Sequence[Diagnosis]) -> bool:
    """An error many causes end in: by its wording, or because entries of two or more categories already
    match its line (each reading it as its own cause)."""
    claimed_by = {d.entry.category for d in ranked if any(hit.line == line for hit in d.hits)}
    return bool(_GENERIC.match(messages.unwrap(text)[0].strip())) or len(claimed_by) >= 2


_LAUNCH_RULES = frozenset({"engine_config", "args_namespace", "non_default_args", "command_line", "docker_image",
                           "xinference_launch", "xinference_model_config", "llm_constructor", "api_server_version",
                           "logo_version", "logo_model", "xinference_vllm_version"})


def _read(log: Path) -> list[_Line]:
    """Every line of the log with its level, and whether it is a launch dump (small logs: all of it)."""
    parser, lines = LineParser(), []
    for line in LogReader([str(log)]):
        launch = any(event.kind in _LAUNCH_RULES for event in parser.feed(line))
        env = envelope.split(line.text)
        lines.append(_Line(line.number, env.level, env.message, launch))
    return lines


def _in_traceback(message: str) -> bool:
    stripped = message.strip()
    return (message[:1].isspace() or stripped.startswith(("Traceback", "^", "~", "File \"", "During handling",
                                                          "The above exception"))
            or not stripped)


def _failure_lines(lines: list[_Line], error_line: int | None) -> tuple[list[_Line], _Line | None]:
    """The fatal ERROR lines (not traceback content, not the final exception) and the line just before
    the failure began (its first ERROR line or traceback)."""
    fatal: list[_Line] = []
    seen: set[str] = set()
    for line in lines:
        if (line.level in _FATAL_LEVELS and line.number != error_line and not _in_traceback(line.message)
                and not EXCEPTION_LINE.match(line.message.strip())):
            key = template_of(line.message)
            if key not in seen:
                seen.add(key)
                fatal.append(line)
    start = min([line.number for line in fatal[:1]] + ([error_line] if error_line else []), default=None)
    if start is None:
        return fatal, None
    by_number = {line.number: line for line in lines}
    number = start - 1
    while number in by_number and (_in_traceback(by_number[number].message) or by_number[number].launch
                                   or by_number[number].level in _FATAL_LEVELS):
        number -= 1  # back over the traceback, the ERROR lines that wrap it and the launch dumps
    before = by_number.get(number)
    return fatal[:3], before if before is not None and before.message.strip() else None


def _signature(text: str, weight: float | None) -> dict | None:
    """A template signature for `text` (decisive when `weight` is None), or None if it cannot anchor."""
    spec: dict = {"template": template_of(text)}
    if weight is None:
        spec["decisive"] = True
    else:
        spec["weight"] = weight
    try:
        Signature.build(spec)
    except SignatureError:
        return None
    return spec


def _signatures(sheet: FactSheet, lines: list[_Line], ranked: Sequence[Diagnosis],
                decisive: bool | None, notes: list[str]) -> list[dict]:
    """The final exception, the fatal ERROR lines, the line before the failure: at most one decisive."""
    error_type, error_message = sheet.facts.get("error_type"), sheet.facts.get("error_message")
    error_line = (sheet.evidence.get("error_message") or sheet.evidence.get("error_type") or [None])[0]
    final = error_message or error_type if error_line else None
    fatal, before = _failure_lines(lines, error_line)
    specs: list[dict] = []
    named = False  # a decisive signature is in the draft
    if isinstance(final, str) and error_line:
        generic = _is_generic(f"{error_type}: {final}" if error_type else final, error_line, ranked)
        named = decisive if decisive is not None else not generic
        if generic and decisive is None:
            notes.append(f"the final error (line {error_line}) is generic: a context signature, not decisive "
                         "(--decisive if it does name this issue)")
        specs.append(_signature(final, None if named else 0.5))
    for line in fatal:
        if final and template_of(final)[:40] in template_of(line.message):
            continue  # the final error again, logged by its wrapper
        specific = not named and decisive is not False and not _is_generic(line.message, line.number, ranked)
        specs.append(_signature(line.message, None if specific else 0.3))
        named = named or specific
    if before is not None:
        specs.append(_signature(before.message, 0.3))
    unique: list[dict] = []
    for spec in specs:
        if spec is not None and all(spec["template"] != kept["template"] for kept in unique):
            unique.append(spec)
    if not unique:
        notes.append("no error line found: the draft's signature is a TODO")
        unique.append({"literal": "TODO: a line of the log that shows the issue", "weight": 0.5})
    return unique


def _clause(name: str, value: object) -> str | None:
    if isinstance(value, bool):
        return name if value else f"not {name}"
    if isinstance(value, str) and value and '"' not in value and "\\" not in value:
        return f'{name} == "{value}"'
    return None


def positive_fixtures(entry: knowledge.Entry) -> tuple[Path, ...]:
    """An entry's positive fixtures; the compiled cache keeps entries without them, so read its file."""
    if entry.positive or entry.path is None:
        return tuple(fixture.path for fixture in entry.positive)
    try:
        root = kb_root(entry.path.parent)
        document, _node = yamlsafe.load(entry.path, root)
        whole = knowledge.entry_from_document(document, entry.path, root)
    except (yamlsafe.YamlError, knowledge.EntryError):
        return ()
    return tuple(fixture.path for fixture in whole.positive)


def _fixture_facts(diagnoses: Sequence[Diagnosis]) -> list[dict]:
    return [analyze([str(path)]).sheet.facts for diagnosis in diagnoses
            for path in positive_fixtures(diagnosis.entry) if path.is_file()]


def propose_when(sheet: FactSheet, neighbours: Sequence[Diagnosis]) -> tuple[str | None, str]:
    """A `when` from the facts that tell this log from the neighbours' fixtures, and why (for a comment).

    Each candidate clause holds on this log; it counts for every neighbour fixture on which it is
    false (a fact that fixture does not show cannot tell them apart). The two best clauses are kept.
    """
    others = _fixture_facts(neighbours)
    scored = []
    for position, name in enumerate(_WHEN_FACTS):
        clause = _clause(name, sheet.facts.get(name))
        if clause is None:
            continue
        condition = compile_condition(clause)
        apart = sum(1 for facts in others if condition.evaluate(facts) is False)
        if apart:
            scored.append((-apart, position, clause))
    if not others:
        return None, "no other entry ranks on this log: nothing to tell it apart from"
    if not scored:
        return None, "no fact of this log differs from the neighbours' fixtures"
    chosen = [clause for _apart, _position, clause in sorted(scored)[:2]]
    when = " and ".join(chosen)
    names = ", ".join(d.entry.id for d in neighbours)
    return when, f"true here, false on {-sorted(scored)[0][0]} of {len(others)} fixtures of {names}"


def _remedies(error_message: object, ranked: Sequence[Diagnosis], kb: api.KnowledgeBase, category: str,
              notes: list[str]) -> list[dict]:
    text = " ".join(error_message.split()) if isinstance(error_message, str) else ""
    advice = [match.group(1).strip() for match in _ADVICE.finditer(text)]
    if advice:
        notes.append("remedies: the error's own advice; order them, add the exact vLLM / Xinference spellings")
        return [{"text": text} for text in dict.fromkeys(advice)][:3]
    kin = next((d.entry for d in ranked if d.entry.category == category and d.entry.remedies),
               next((e for e in kb.entries if e.category == category and e.remedies), None))
    if kin is not None:
        notes.append(f"remedies: copied from {kin.id} (same category): keep those that apply, add this log's")
        return [{key: value for key, value in (("text", r.text), ("vllm", r.vllm), ("xinference", r.xinference))
                 if value} for r in kin.remedies]
    return [{"text": "TODO: the most promising fix first", "vllm": "TODO --flag", "xinference": "TODO"}]


def _symptoms(sheet: FactSheet, signatures: Sequence[dict], given: Sequence[str]) -> list[str]:
    """The contributor's words first, then the error as a user would paste it (placeholders as `…`)."""
    drafted = []
    template = signatures[0].get("template") if signatures else None
    if template:
        short = re.sub(r"<(?:num|path|hex|\*)>", "…", template)
        short = short if len(short) <= 80 else short[:81].rsplit(" ", 1)[0]
        error_type = sheet.facts.get("error_type")
        drafted.append(f"{str(error_type).rsplit('.', 1)[-1]}: {short}" if error_type else short)
    return list(dict.fromkeys([*given, *drafted])) or ["TODO: what a user says, e.g. server exits at startup"]


def _fact_comment(sheet: FactSheet) -> list[str]:
    rows = []
    for name, value in sheet.facts.items():
        lines = sheet.evidence.get(name, [])
        where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines[:3]))}" if lines else ""
        source = f"from {', '.join(sheet.derived[name])}, " if name in sheet.derived else ""
        shown = json.dumps(value, ensure_ascii=False)  # as a `when` writes it: "v0", true, 32768
        shown = shown if len(shown) <= 70 else shown[:67] + "..."
        rows.append(f"#   {name} = {shown}" + (f"   ({source}{where})" if source or where else ""))
    return rows or ["#   (none found)"]


def new_entry(entry_id: str, log: Path, category: str, folder: Path, kb: api.KnowledgeBase,
              decisive: bool | None = None,
              references: Sequence[str] = (), symptoms: Sequence[str] = ()) -> Draft:
    """Write `<folder>/<id>.yaml` and its fixture `<folder>/<id>.log`, drafted from `log` against `kb`."""
    if not _ID.match(entry_id):
        raise DraftError(f"id {entry_id!r}: use lowercase letters, digits and dashes")
    check_category(category, kb.base.categories)
    entry_path, fixture_path = folder / f"{entry_id}.yaml", folder / f"{entry_id}.log"
    for path in (entry_path, fixture_path):
        if path.exists():
            raise DraftError(f"{path} exists already")
    report = api.diagnose(log, kb=kb)
    sheet = report.analysis.sheet
    ranked = [d for d in report.diagnoses if d.entry.id != entry_id]
    draft = Draft(entry_path, fixture_path)
    signatures = _signatures(sheet, _read(log), ranked, decisive, draft.notes)
    draft.when, why = propose_when(sheet, ranked[:_COMPARED])
    document: dict = {
        "id": entry_id,
        "title": "TODO: one line a user recognises",
        "category": category,
        "symptoms": _symptoms(sheet, signatures, symptoms),
        "signatures": signatures,
        **({"when": draft.when} if draft.when else {}),
        "cause": "TODO: two or three sentences in your own words.",
        "remedies": _remedies(sheet.facts.get("error_message"), ranked, kb, category, draft.notes),
        "references": list(references) or ["https://github.com/vllm-project/vllm/issues/TODO"],
        "fixtures": {"positive": [fixture_path.name]},
    }
    header = [f"# Draft made by `logdoctor kb new` from {log.name}. Write the title and the cause; check the rest.",
              f"# when: {draft.when or '(none)'}: {why}",
              *(f"# {note}" for note in draft.notes),
              "# The facts of the log (what a `when` may test; kb/README.md, Conditions):",
              *_fact_comment(sheet), ""]
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=4096)  # a template on one line
    entry_path.write_text("\n".join(header) + text, encoding="utf-8")
    shutil.copyfile(log, fixture_path)
    return draft


def layers_for(folder: Path, kb_dirs: Sequence[Path], include_builtin: bool) -> list[Path]:
    """The --kb layers in force for a draft written into `folder`: the given ones, plus the knowledge
    base the folder belongs to unless it is the built-in one (or already given)."""
    root = kb_root(folder).resolve()
    known = {path.resolve() for path in kb_dirs} | ({knowledge.builtin_dir().resolve()} if include_builtin else set())
    return [*kb_dirs, *([root] if root not in known else [])]
