"""The knowledge base: YAML entries loaded into Entry objects, built-in first, private layers on top.

`logdoctor --kb DIR` (repeatable) adds a team's own entries; an entry with the id of an earlier
one replaces it, so a team can also correct ours. Loading is tolerant: a broken entry is skipped
and reported as a warning (`kb check` explains it precisely), never silently dropped and never
fatal to a diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from logdoctor.datafiles import data_dir
from logdoctor.match.conditions import Condition, ConditionError, compile_condition
from logdoctor.match.signatures import Signature, SignatureError
from logdoctor.report.redact import excerpt

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

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
    family: bool = False  # a category's general shape, not one known issue: moderate confidence at most
    layer: int = 0  # 0 built-in, then each --kb folder in order: a higher layer wins a tie in the ranking


@dataclass
class KnowledgeBase:
    """All entries in force, with the categories they may declare and the problems met loading."""

    entries: Sequence[Entry] = field(default_factory=list)
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


@cache
def fixture_folders(root: Path) -> tuple[Path, ...]:
    """Where the fixtures of the knowledge base in `root` may live: in it, or in a samples/ folder
    beside it, or in logdoctor's own samples."""
    return tuple(dict.fromkeys(folder.resolve() for folder in (root, root.parent / "samples", data_dir("samples"))))


def resolve_fixture(entry_file: Path, root: Path, name: str) -> Path:
    """A fixture path: beside the entry first, else from the knowledge base's parent folder.

    Fixtures are read by `kb check`, so an entry must not be able to name any file it likes: the
    path must be relative, and where it leads (symbolic links followed) must lie inside one of
    `fixture_folders(root)`. Raises EntryError otherwise.
    """
    if not name.strip() or "\0" in name or Path(name).is_absolute() or Path(name).drive:
        raise EntryError(f"fixture path {name!r} must be relative (to the entry or the knowledge base's folder)")
    beside, from_parent = entry_file.parent / name, root.parent / name
    path = from_parent if not beside.exists() and from_parent.exists() else beside
    resolved = path.resolve()
    if not any(resolved.is_relative_to(folder) for folder in fixture_folders(root)):
        raise EntryError(f"fixture path {name!r} leads outside the knowledge base and samples folders")
    return path


def _container(document: dict, key: str, kind: type) -> dict | list:
    """The list or mapping under `key` (empty when absent); EntryError when it is something else."""
    value = document.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise EntryError(f"{key} must be a {'list' if kind is list else 'mapping'}", (key,))
    return value


def _strings(document: dict, key: str) -> tuple[str, ...]:
    values = document.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise EntryError(f"{key} must be a list of strings", (key,))
    return tuple(values)


def _fixtures(document: dict, kind: str, entry_file: Path, root: Path) -> tuple[Fixture, ...]:
    fixtures = []
    listed = _container(document, "fixtures", dict).get(kind) or []
    if not isinstance(listed, list):
        raise EntryError(f"fixtures.{kind} must be a list", ("fixtures", kind))
    for index, item in enumerate(listed):
        try:
            if isinstance(item, str):
                fixtures.append(Fixture(resolve_fixture(entry_file, root, item)))
            elif (isinstance(item, dict) and isinstance(item.get("log"), str)
                  and isinstance(item.get("symptom"), (str, type(None)))):
                fixtures.append(Fixture(resolve_fixture(entry_file, root, item["log"]), item.get("symptom")))
            else:
                raise EntryError("a fixture is a path or {log: path, symptom: text}")
        except EntryError as error:
            raise EntryError(str(error), ("fixtures", kind, index)) from None
        except (OSError, RuntimeError, ValueError) as error:  # a symlink loop, a name too long…
            raise EntryError(f"fixture path {str(item)[:80]!r} cannot be resolved: {error}",
                             ("fixtures", kind, index)) from None
    return tuple(fixtures)


def entry_from_document(document: object, entry_file: Path, root: Path) -> Entry:
    """An Entry from a loaded YAML document; raises EntryError naming the faulty field."""
    if not isinstance(document, dict):
        raise EntryError("an entry must be a YAML mapping")
    for key in ("id", "title", "category", "cause"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise EntryError(f"{key} is required and must be a non-empty string", (key,))
    signatures = []
    for index, spec in enumerate(_container(document, "signatures", list)):
        try:
            signature = Signature.build(spec if isinstance(spec, dict) else {})
        except (SignatureError, TypeError, ValueError) as error:
            raise EntryError(str(error), ("signatures", index)) from None
        if not (0.0 <= signature.weight <= 1.0 and 0.0 <= signature.min_similarity <= 100.0):
            raise EntryError("a signature's weight is between 0 and 1, its min_similarity between 0 and 100",
                             ("signatures", index))
        signatures.append(signature)
    when = None
    if document.get("when") is not None:
        try:
            when = compile_condition(str(document["when"]))
        except ConditionError as error:
            raise EntryError(str(error), ("when",)) from None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # only entries with versions need it

    versions = {}
    for product, spec in _container(document, "versions", dict).items():
        try:
            versions[str(product)] = SpecifierSet(str(spec))
        except InvalidSpecifier:
            raise EntryError(f"versions.{product}: {spec!r} is not a version specifier like '>=0.5, <0.8'",
                             ("versions", product)) from None
    remedies = []
    for index, remedy in enumerate(_container(document, "remedies", list)):
        if not isinstance(remedy, dict) or not isinstance(remedy.get("text"), str):
            raise EntryError("a remedy needs a text", ("remedies", index))
        if not all(isinstance(remedy.get(key), (str, type(None))) for key in ("vllm", "xinference")):
            raise EntryError("a remedy's vllm and xinference spellings are strings", ("remedies", index))
        remedies.append(Remedy(remedy["text"], remedy.get("vllm"), remedy.get("xinference")))
    return Entry(
        id=document["id"], title=document["title"], category=document["category"],
        symptoms=_strings(document, "symptoms"), signatures=tuple(signatures), when=when, versions=versions,
        cause=document["cause"].strip(), remedies=tuple(remedies), references=_strings(document, "references"),
        positive=_fixtures(document, "positive", entry_file, root),
        negative=_fixtures(document, "negative", entry_file, root), path=entry_file,
        family=document.get("family") is True,
    )


def load_categories(root: Path) -> dict[str, str]:
    """The categories a knowledge base declares in its taxonomy.yaml (empty if it has none)."""
    from logdoctor.knowledge import yamlsafe  # here, not above: a run whose KB comes from the cache needs no YAML

    path = root / "taxonomy.yaml"
    if not path.exists():
        return {}
    document, _node = yamlsafe.load(path, root)
    categories = document.get("categories") if isinstance(document, dict) else None
    return {str(k): str(v) for k, v in categories.items()} if isinstance(categories, dict) else {}


def entry_text(path: Path, extra_dirs: Sequence[Path] = ()) -> str:
    """The text of an entry file as written (`kb show`), read under the same rules as when it is loaded."""
    from logdoctor.knowledge import yamlsafe

    root = next((root for root in reversed(roots(extra_dirs)) if path.is_relative_to(root)), path.parent)
    return yamlsafe.read_text(path, root)


def roots(extra_dirs: Sequence[Path] = (), include_builtin: bool = True) -> list[Path]:
    """The knowledge-base folders in force, lowest layer first."""
    return [*([builtin_dir()] if include_builtin else []), *extra_dirs]


def load(extra_dirs: Sequence[Path] = (), include_builtin: bool = True) -> KnowledgeBase:
    """The built-in knowledge base with each of `extra_dirs` layered on top, in order."""
    from logdoctor.knowledge import yamlsafe

    kb = KnowledgeBase()
    by_id: dict[str, Entry] = {}
    for layer, root in enumerate(roots(extra_dirs, include_builtin)):
        try:
            kb.categories.update(load_categories(root))
        except yamlsafe.YamlError as error:  # like a broken entry: the layers below keep their categories
            kb.warnings.append(f"{root / 'taxonomy.yaml'}: skipped: {excerpt(str(error))}")
        for entry_file in entry_files(root):
            try:
                document, _node = yamlsafe.load(entry_file, root)
                entry = entry_from_document(document, entry_file, root)
            except (yamlsafe.YamlError, EntryError) as error:
                kb.warnings.append(f"{entry_file}: skipped: {excerpt(str(error))}")
                continue
            entry.layer = layer
            by_id[entry.id] = entry
    kb.entries = list(by_id.values())
    return kb
