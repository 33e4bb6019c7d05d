"""Load untrusted YAML (knowledge-base entries from strangers' pull requests) safely.

Only PyYAML's SafeLoader constructs values, so no tag can build an object or run code. On top:
a file is read only if it is a regular file whose real path lies inside its knowledge base's folder
(a symbolic link to ~/.ssh/id_ed25519, a FIFO that would block, /dev/zero that would fill memory
are refused before a byte is read), and at most MAX_YAML_BYTES of it are ever read; no anchors or
aliases at all (they are not needed in an entry, and they are how "billion laughs" bombs expand),
and a node depth limit. The composed node tree is kept so that errors can name the line of any
value by its path in the document.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

MAX_YAML_BYTES = 256 * 1024
MAX_DEPTH = 32


class YamlError(ValueError):
    """A YAML problem with the 1-based line it is on."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


# libyaml's loader where PyYAML was built with it (the wheels are), else the pure-Python one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_events(text: str) -> None:
    """Refuse aliases, anchors and deep nesting before anything is constructed."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlError("YAML aliases (*name) are not allowed in knowledge-base files", line)
        if getattr(event, "anchor", None):
            raise YamlError("YAML anchors (&name) are not allowed in knowledge-base files", line)
        if isinstance(event, _OPENING):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"YAML nested deeper than {MAX_DEPTH} levels", line)
        elif isinstance(event, _CLOSING):
            depth -= 1


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def read_bounded(path: Path, root: Path) -> bytes:
    """The bytes of a knowledge-base file: a regular file whose real path lies inside `root`, of at most
    MAX_YAML_BYTES (read with that limit, whatever `stat` says). Raises YamlError otherwise.

    The real path is opened without following a link (O_NOFOLLOW) and without blocking (O_NONBLOCK:
    opening a FIFO waits for a writer otherwise), then checked on the open descriptor, so what is
    read is what was checked."""
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(root.resolve())
    except (OSError, RuntimeError) as error:  # missing, a symlink loop
        raise YamlError(f"cannot read: {getattr(error, 'strerror', None) or error}") from None
    if not inside:
        raise YamlError("a symbolic link that leads outside the knowledge base's folder: not read")
    try:
        descriptor = os.open(real, _OPEN_FLAGS)
    except OSError as error:
        raise YamlError(f"cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise YamlError("not a regular file (a FIFO, device or socket is never read)")
        if info.st_size > MAX_YAML_BYTES:
            raise YamlError(f"file is {info.st_size} bytes, more than the {MAX_YAML_BYTES} allowed")
        chunks, size = [], 0
        while size <= MAX_YAML_BYTES:
            chunk = os.read(descriptor, MAX_YAML_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise YamlError(f"cannot read: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if size > MAX_YAML_BYTES:
        raise YamlError(f"file is over the {MAX_YAML_BYTES} bytes allowed")
    return b"".join(chunks)


def read_text(path: Path, root: Path) -> str:
    """The text of a knowledge-base file (read_bounded), which must be UTF-8."""
    try:
        return read_bounded(path, root).decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlError(f"not UTF-8 text: {error.reason}") from None


def load(path: Path, root: Path) -> tuple[object, yaml.Node | None]:
    """The document in `path`, a file of the knowledge base in `root`, and its node tree; raises
    YamlError with a line number."""
    text = read_text(path, root)
    try:
        _check_events(text)
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            return (loader.construct_document(node), node) if node is not None else (None, None)
        finally:
            loader.dispose()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlError(f"YAML syntax: {error.problem or error}", mark.line + 1 if mark else 1) from None
    except yaml.YAMLError as error:
        raise YamlError(f"YAML: {error}") from None


def line_of(node: yaml.Node | None, path: tuple[object, ...]) -> int:
    """1-based line of the value at `path` (keys and list indexes), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((value for key, value in node.value if key.value == step), None)
            if found is None:
                key_node = next((key for key, _ in node.value if key.value == step), None)
                return key_node.start_mark.line + 1 if key_node is not None else line
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return line
        line = node.start_mark.line + 1
    return line
