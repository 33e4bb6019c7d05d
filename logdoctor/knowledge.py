"""The knowledge base: YAML entries loaded into Entry objects, built-in first, private layers on top.

`logdoctor --kb DIR` (repeatable) adds a team's own entries; an entry with the id of an earlier
one replaces it, so a team can also correct ours. Loading is tolerant: a broken entry is skipped
and reported as a warning (`kb check` explains it precisely), never silently dropped and never
fatal to a diagnosis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from logdoctor import yamlsafe
from logdoctor.conditions import Condition, ConditionError, compile_condition
from logdoctor.datafiles import data_dir
from logdoctor.signatures import Signature, SignatureError

MAX_ENTRY_FILES = 20000


@dataclass(frozen=True)
class Remedy:
    """One remedy: prose plus the exact vLLM and Xinference spellings where they differ."""

    text: str
    vllm: str | None = None
    xinference: str | None = None


@dataclass(frozen=True)
class Fixture:
    """A log on which an entry must (positive) or must not (negative) be the confident answer."""

    path: Path
    symptom: str | None = None


@dataclass
class Entry:
    """One known issue."""

    id: str
    title: str
    category: str
    symptoms: tuple[str, ...]
    signatures: tuple[Signature, ...]
    when: Condition | None
    versions: dict[str, SpecifierSet]
    cause: str
    remedies: tuple[Remedy, ...]
    references: tuple[str, ...]
    positive: tuple[Fixture, ...] = ()
    negative: tuple[Fixture, ...] = ()
    path: Path | None = None


@dataclass
class KnowledgeBase:
    """All entries in force, with the categories they may declare and the problems met loading."""

    entries: list[Entry] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, entry_id: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)


class EntryError(ValueError):
    """An entry that cannot be used; `path` names where in the document (for the line number)."""

    def __init__(self, message: str, path: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


def builtin_dir() -> Path:
    """The knowledge base shipped with logdoctor (top-level kb/ in the repository)."""
    return data_dir("kb")


def entry_files(root: Path) -> list[Path]:
    """Every entry file under `root` (not the taxonomy, not the schema)."""
    files = sorted(p for p in root.rglob("*.yaml") if p.name != "taxonomy.yaml" and not p.name.startswith("."))
    return files[:MAX_ENTRY_FILES]


def resolve_fixture(entry_file: Path, root: Path, name: str) -> Path:
    """A fixture path: beside the entry first, else from the knowledge base's parent folder."""
    beside = entry_file.parent / name
    return beside if beside.exists() else root.parent / name


def _strings(document: dict, key: str) -> tuple[str, ...]:
    values = document.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise EntryError(f"{key} must be a list of strings", (key,))
    return tuple(values)


def _fixtures(document: dict, kind: str, entry_file: Path, root: Path) -> tuple[Fixture, ...]:
    fixtures = []
    for index, item in enumerate((document.get("fixtures") or {}).get(kind) or []):
        if isinstance(item, str):
            fixtures.append(Fixture(resolve_fixture(entry_file, root, item)))
        elif isinstance(item, dict) and isinstance(item.get("log"), str):
            fixtures.append(Fixture(resolve_fixture(entry_file, root, item["log"]), item.get("symptom")))
        else:
            raise EntryError("a fixture is a path or {log: path, symptom: text}", ("fixtures", kind, index))
    return tuple(fixtures)


def entry_from_document(document: object, entry_file: Path, root: Path) -> Entry:
    """An Entry from a loaded YAML document; raises EntryError naming the faulty field."""
    if not isinstance(document, dict):
        raise EntryError("an entry must be a YAML mapping")
    for key in ("id", "title", "category", "cause"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise EntryError(f"{key} is required and must be a non-empty string", (key,))
    signatures = []
    for index, spec in enumerate(document.get("signatures") or []):
        try:
            signatures.append(Signature.build(spec if isinstance(spec, dict) else {}))
        except (SignatureError, TypeError, ValueError) as error:
            raise EntryError(str(error), ("signatures", index)) from None
    when = None
    if document.get("when") is not None:
        try:
            when = compile_condition(str(document["when"]))
        except ConditionError as error:
            raise EntryError(str(error), ("when",)) from None
    versions = {}
    for product, spec in (document.get("versions") or {}).items():
        try:
            versions[str(product)] = SpecifierSet(str(spec))
        except InvalidSpecifier:
            raise EntryError(f"versions.{product}: {spec!r} is not a version specifier like '>=0.5, <0.8'",
                             ("versions", product)) from None
    remedies = []
    for index, remedy in enumerate(document.get("remedies") or []):
        if not isinstance(remedy, dict) or not isinstance(remedy.get("text"), str):
            raise EntryError("a remedy needs a text", ("remedies", index))
        remedies.append(Remedy(remedy["text"], remedy.get("vllm"), remedy.get("xinference")))
    return Entry(
        id=document["id"], title=document["title"], category=document["category"],
        symptoms=_strings(document, "symptoms"), signatures=tuple(signatures), when=when, versions=versions,
        cause=document["cause"].strip(), remedies=tuple(remedies), references=_strings(document, "references"),
        positive=_fixtures(document, "positive", entry_file, root),
        negative=_fixtures(document, "negative", entry_file, root), path=entry_file,
    )


def load_categories(root: Path) -> dict[str, str]:
    """The categories a knowledge base declares in its taxonomy.yaml (empty if it has none)."""
    path = root / "taxonomy.yaml"
    if not path.exists():
        return {}
    document, _node = yamlsafe.load(path)
    categories = document.get("categories") if isinstance(document, dict) else None
    return {str(k): str(v) for k, v in categories.items()} if isinstance(categories, dict) else {}


def load(extra_dirs: Sequence[Path] = (), include_builtin: bool = True) -> KnowledgeBase:
    """The built-in knowledge base with each of `extra_dirs` layered on top, in order."""
    roots: Iterable[Path] = [*([builtin_dir()] if include_builtin else []), *extra_dirs]
    kb = KnowledgeBase()
    by_id: dict[str, Entry] = {}
    for root in roots:
        kb.categories.update(load_categories(root))
        for entry_file in entry_files(root):
            try:
                document, _node = yamlsafe.load(entry_file)
                entry = entry_from_document(document, entry_file, root)
            except (yamlsafe.YamlError, EntryError) as error:
                kb.warnings.append(f"{entry_file}: skipped: {error}")
                continue
            by_id[entry.id] = entry
    kb.entries = list(by_id.values())
    return kb
