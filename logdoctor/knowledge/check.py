"""`logdoctor kb check`: everything a reviewer would check in a knowledge-base pull request.

One `file:line: message` per problem: YAML that does not load safely, schema violations (with the
schema path), an id that is not the file name or is used twice, an unknown category, a condition
that does not parse or names an unknown fact, a regex RE2 rejects or that has no literal to index,
a remedy placeholder that names nothing, a missing fixture, and fixtures that do not behave (the
entry must rank first on its positive fixtures, with no other entry tying it there, and must not be
confident on its negative ones). A misspelt category, fact name or key comes with "did you mean".
An entry that ties or beats another on that other's positive fixture is named on both sides, with the
margin: a new entry that steals a neighbour's log is the commonest way to break a knowledge base.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logdoctor import api, knowledge
from logdoctor.knowledge import yamlsafe
from logdoctor.match.rank import CONFIDENT, SignatureIndex
from logdoctor.parse.factnames import FACTS
from logdoctor.read.source import InputError
from logdoctor.report.redact import excerpt
from logdoctor.report.remedies import COMPUTED, placeholder_names
from logdoctor.suggest import did_you_mean

QUOTED_CHARACTERS = 60  # of a value from the file, in a message about it


@dataclass(frozen=True)
class Problem:
    """One problem in one file."""

    file: Path
    line: int
    message: str
    warning: bool = False  # worth a look, not a failure (an entry first on its fixture only by a tie-break)

    def __post_init__(self) -> None:  # the message may quote the file: never more than a short redacted excerpt
        object.__setattr__(self, "message", excerpt(self.message))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"

    def as_dict(self) -> dict:
        return {"file": str(self.file), "line": self.line, "severity": "warning" if self.warning else "error",
                "message": self.message}

    def github(self) -> str:
        """A GitHub Actions workflow command: an annotation on this line of the pull request's file."""
        try:
            shown = self.file.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            shown = self.file
        level = "warning" if self.warning else "error"
        return f"::{level} file={_escape(str(shown), True)},line={self.line},title=kb check::{_escape(self.message)}"


def _escape(text: str, in_property: bool = False) -> str:
    """Workflow-command escaping (GitHub's toolkit: %, CR, LF; in a property also : and ,)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def _schema_validator():
    import jsonschema  # loaded here only: it is slow to import and only `kb check` needs it

    schema = json.loads((knowledge.builtin_dir() / "schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _check_document(path: Path, root: Path, categories: dict[str, str], validator, seen: dict[str, Path],
                    problems: list[Problem]) -> knowledge.Entry | None:
    try:
        document, node = yamlsafe.load(path, root)
    except yamlsafe.YamlError as error:
        problems.append(Problem(path, error.line, str(error)))
        return None
    schema_errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    for error in schema_errors:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        quoted = repr(error.instance)  # jsonschema quotes the value whole: a key file would be printed
        message = error.message.replace(quoted, excerpt(quoted, QUOTED_CHARACTERS))
        problems.append(Problem(path, yamlsafe.line_of(node, tuple(error.absolute_path)),
                                f"schema: {where}: {message}{_key_suggestions(error)}"))
    if schema_errors or not isinstance(document, dict):
        return None
    entry_id = document["id"]
    if entry_id != path.stem:
        problems.append(Problem(path, yamlsafe.line_of(node, ("id",)), f"id {entry_id!r} must equal the file name"))
    if entry_id in seen:
        problems.append(Problem(path, yamlsafe.line_of(node, ("id",)),
                                f"id {entry_id!r} is also used by {seen[entry_id]}"))
    seen[entry_id] = path
    if document["category"] not in categories:
        problems.append(Problem(path, yamlsafe.line_of(node, ("category",)),
                                f"unknown category {document['category']!r}"
                                f"{did_you_mean(document['category'], categories)} (see taxonomy.yaml)"))
    try:
        entry = knowledge.entry_from_document(document, path, root)
    except knowledge.EntryError as error:
        problems.append(Problem(path, yamlsafe.line_of(node, error.path), str(error)))
        return None
    for index, signature in enumerate(entry.signatures):
        if signature.kind == "regex" and not signature.anchors:
            problems.append(Problem(path, yamlsafe.line_of(node, ("signatures", index)),
                                    "regex has no literal of 4+ characters outside alternations to index it by"))
    known_values = set(FACTS) | set(COMPUTED)
    for index, remedy in enumerate(entry.remedies):
        for text in filter(None, (remedy.text, remedy.vllm, remedy.xinference)):
            for name in placeholder_names(text):
                if name not in known_values:
                    problems.append(Problem(path, yamlsafe.line_of(node, ("remedies", index)),
                                            f"remedy placeholder {{{name}}} names no fact or computed value"))
    for where, text in _strings_in(document):
        if "TODO" in text:
            problems.append(Problem(path, yamlsafe.line_of(node, where), f"unfinished draft: {text[:60]!r}"))
    for kind in ("positive", "negative"):
        for index, fixture in enumerate(getattr(entry, kind)):
            if not fixture.path.is_file():
                problems.append(Problem(path, yamlsafe.line_of(node, ("fixtures", kind, index)),
                                        f"{kind} fixture not found: {fixture.path}"))
    return entry


def _key_suggestions(error) -> str:
    """For keys the schema does not allow: the allowed key each was probably meant to be."""
    allowed = error.schema.get("properties") if isinstance(error.schema, dict) else None
    if error.validator != "additionalProperties" or not isinstance(allowed, dict) or not isinstance(error.instance,
                                                                                                     dict):
        return ""
    return "".join(did_you_mean(str(key), allowed) for key in error.instance if key not in allowed)


def _strings_in(document: object, where: tuple = ()) -> list[tuple[tuple, str]]:
    """Every string of a document with its path (for the `kb new` draft's TODO markers)."""
    if isinstance(document, str):
        return [(where, document)]
    if isinstance(document, dict):
        return [found for key, value in document.items() for found in _strings_in(value, (*where, key))]
    if isinstance(document, list):
        return [found for index, value in enumerate(document) for found in _strings_in(value, (*where, index))]
    return []


def _check_fixtures(entry: knowledge.Entry, root: Path, kb: knowledge.KnowledgeBase, index: SignatureIndex,
                    problems: list[Problem]) -> None:
    path = entry.path or Path(entry.id)
    document_node = yamlsafe.load(path, root)[1]
    for kind in ("positive", "negative"):
        for position, fixture in enumerate(getattr(entry, kind)):
            if not fixture.path.is_file():
                continue
            line = yamlsafe.line_of(document_node, ("fixtures", kind, position))
            try:
                report = api.diagnose(fixture.path, kb=api.KnowledgeBase.of(kb, index), symptom=fixture.symptom)
            except InputError as error:
                problems.append(Problem(path, line, f"fixture cannot be read: {error}"))
                continue
            ranked = report.diagnoses
            mine = next((d for d in ranked if d.entry.id == entry.id), None)
            if kind == "positive":
                problems.extend(_rivals(entry, path, line, fixture.path, ranked, mine))
            if kind == "negative" and mine is not None and mine.confidence >= CONFIDENT:
                problems.append(Problem(path, line, f"negative fixture {fixture.path.name}: this entry is confident "
                                                    f"({mine.confidence:.2f})"))


def _rivals(entry: knowledge.Entry, path: Path, line: int, fixture: Path, ranked, mine) -> list[Problem]:
    """What is wrong on a positive fixture: nothing ranked, or other entries that beat or tie this one there.

    A rival is named on this entry's fixture line and on its own file, with the margin, so that whoever
    changed either file sees which entry took the log and by how much.
    """
    if not ranked:
        return [Problem(path, line, f"positive fixture {fixture.name}: ranks nothing first, this entry not ranked")]
    if mine is None:
        top = ranked[0]
        return [Problem(path, line, f"positive fixture {fixture.name}: ranks {top.entry.id} first "
                                    f"({top.confidence:.2f}), this entry not ranked")]
    problems = []
    first = ranked[0].entry.id == entry.id
    for rival in ranked:
        if rival.entry.id == entry.id or rival.confidence < mine.confidence:
            continue
        margin = rival.confidence - mine.confidence
        how = (f"beats it by {margin:.2f} ({rival.confidence:.2f} vs {mine.confidence:.2f})" if margin > 0 else
               f"ties it at {mine.confidence:.2f}{'; this entry is first only by the tie-break' if first else ''}")
        where = f" ({rival.entry.path})" if rival.entry.path else ""
        problems.append(Problem(path, line, f"positive fixture {fixture.name}: {rival.entry.id} {how}{where}", first))
        if rival.entry.path is not None and rival.entry.path != path:
            verb = f"beats {entry.id} by {margin:.2f}" if margin > 0 else f"ties {entry.id} at {mine.confidence:.2f}"
            problems.append(Problem(rival.entry.path, 1, f"{verb} on its positive fixture {fixture.name} ({path})",
                                    first))
    return problems


def check(extra_dirs: Sequence[Path] = (), include_builtin: bool = True, fixtures: bool = True) -> list[Problem]:
    """Every problem in the built-in knowledge base and the given layers."""
    validator = _schema_validator()
    roots = [*([knowledge.builtin_dir()] if include_builtin else []), *extra_dirs]
    problems: list[Problem] = []
    categories: dict[str, str] = {}
    for root in roots:
        try:
            categories.update(knowledge.load_categories(root))
        except yamlsafe.YamlError as error:
            problems.append(Problem(root / "taxonomy.yaml", error.line, str(error)))
    if not categories:
        problems.append(Problem(roots[0] / "taxonomy.yaml" if roots else Path("taxonomy.yaml"), 1,
                                "no categories: a knowledge base needs a taxonomy.yaml"))
    checked: list[tuple[knowledge.Entry, Path]] = []
    for root in roots:
        seen: dict[str, Path] = {}
        for path in knowledge.entry_files(root):
            entry = _check_document(path, root, categories, validator, seen, problems)
            if entry is not None:
                checked.append((entry, root))
                if not entry.positive:
                    problems.append(Problem(path, 1, "an entry needs at least one positive fixture"))
    if fixtures and checked:
        kb = knowledge.load(list(extra_dirs), include_builtin=include_builtin)
        index = SignatureIndex(kb.entries)
        for entry, root in checked:
            if kb.get(entry.id) is entry or (kb.get(entry.id) and kb.get(entry.id).path == entry.path):
                _check_fixtures(entry, root, kb, index, problems)
    return problems


def verdict(problems: Sequence[Problem]) -> str:
    """The one-line summary: `kb check: all entries valid`, or how many problems (and warnings)."""
    warnings = sum(problem.warning for problem in problems)
    errors = len(problems) - warnings
    noted = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
    if not errors:
        return f"kb check: all entries valid{noted}"
    return f"kb check: {errors} problem{'s' if errors != 1 else ''}{noted}"
