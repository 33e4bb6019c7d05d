"""`logdoctor kb check`: everything a reviewer would check in a knowledge-base pull request.

One `file:line: message` per problem: YAML that does not load safely, schema violations (with the
schema path), an id that is not the file name or is used twice, an unknown category, a condition
that does not parse or names an unknown fact, a regex RE2 rejects or that has no literal to index,
a remedy placeholder that names nothing, a missing fixture, and fixtures that do not behave (the
entry must rank first on its positive fixtures and must not be confident on its negative ones).
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
from logdoctor.report.remedies import COMPUTED, placeholder_names


@dataclass(frozen=True)
class Problem:
    """One problem in one file."""

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _schema_validator():
    import jsonschema  # loaded here only: it is slow to import and only `kb check` needs it

    schema = json.loads((knowledge.builtin_dir() / "schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _check_document(path: Path, root: Path, categories: dict[str, str], validator, seen: dict[str, Path],
                    problems: list[Problem]) -> knowledge.Entry | None:
    try:
        document, node = yamlsafe.load(path)
    except yamlsafe.YamlError as error:
        problems.append(Problem(path, error.line, str(error)))
        return None
    schema_errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    for error in schema_errors:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        problems.append(Problem(path, yamlsafe.line_of(node, tuple(error.absolute_path)),
                                f"schema: {where}: {error.message}"))
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
                                f"unknown category {document['category']!r} (see taxonomy.yaml)"))
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


def _strings_in(document: object, where: tuple = ()) -> list[tuple[tuple, str]]:
    """Every string of a document with its path (for the `kb new` draft's TODO markers)."""
    if isinstance(document, str):
        return [(where, document)]
    if isinstance(document, dict):
        return [found for key, value in document.items() for found in _strings_in(value, (*where, key))]
    if isinstance(document, list):
        return [found for index, value in enumerate(document) for found in _strings_in(value, (*where, index))]
    return []


def _check_fixtures(entry: knowledge.Entry, kb: knowledge.KnowledgeBase, index: SignatureIndex,
                    problems: list[Problem]) -> None:
    path = entry.path or Path(entry.id)
    document_node = yamlsafe.load(path)[1]
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
            if kind == "positive" and (not ranked or ranked[0].entry.id != entry.id):
                top = f"{ranked[0].entry.id} ({ranked[0].confidence:.2f})" if ranked else "nothing"
                got = f"{mine.confidence:.2f}" if mine else "not ranked"
                problems.append(Problem(path, line, f"positive fixture {fixture.path.name}: ranks {top} first, "
                                                    f"this entry {got}"))
            if kind == "negative" and mine is not None and mine.confidence >= CONFIDENT:
                problems.append(Problem(path, line, f"negative fixture {fixture.path.name}: this entry is confident "
                                                    f"({mine.confidence:.2f})"))


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
    checked: list[knowledge.Entry] = []
    for root in roots:
        seen: dict[str, Path] = {}
        for path in knowledge.entry_files(root):
            entry = _check_document(path, root, categories, validator, seen, problems)
            if entry is not None:
                checked.append(entry)
                if not entry.positive:
                    problems.append(Problem(path, 1, "an entry needs at least one positive fixture"))
    if fixtures and checked:
        kb = knowledge.load(list(extra_dirs), include_builtin=include_builtin)
        index = SignatureIndex(kb.entries)
        for entry in checked:
            if kb.get(entry.id) is entry or (kb.get(entry.id) and kb.get(entry.id).path == entry.path):
                _check_fixtures(entry, kb, index, problems)
    return problems
