"""Read `key=value` and `'key': value` pairs out of the config dumps vLLM and Xinference print.

Four shapes reach here, all ending wherever the line does (or at the bracket that closes them):
the engine config (`model='x', dtype=torch.float16, compilation_config={...}, `), an argparse
`Namespace(host=None, port=8000, ...)`, a Python dict (`{'model': 'x', 'max_model_len': 16384}`)
and Xinference's launch kwargs (`model_uid=x,model_name=y,gpu_idx=[0, 1],...`). Values contain
commas inside brackets, enum reprs such as `<CUDAGraphMode.FULL: (2, 1)>` and quoted strings, so
the reader tracks bracket depth and quotes instead of splitting on commas. It is iterative and
linear in the input, so a hostile 200k-deep nesting costs time proportional to its length only.
"""

from __future__ import annotations

import re

_OPENERS = "([{"
_CLOSERS = ")]}"
# vLLM 0.6.3–0.6.4 forgot a comma: `chunked_prefill_enabled=False multi_step_stream_outputs=True`.
_GLUED_KEY = re.compile(r"[A-Za-z_]\w*=")


def _top_level_items(text: str) -> list[str]:
    """Split `text` at commas outside brackets and quotes; stop at an unmatched closing bracket."""
    items: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"" and (index == 0 or text[index - 1] in "=:[(,{ "):
            quote = char
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            if depth == 0:
                items.append(text[start:index])
                return items
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return items


def _unquote(value: str) -> str:
    """The value without its quotes; vLLM 0.1 printed `model=''x''` (its own quotes around repr()'s)."""
    value = value.strip()
    while len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def _split_pair(item: str) -> tuple[str, str] | None:
    item = item.strip()
    if not item:
        return None
    if item[0] in "'\"":
        quote = item[0]
        end = item.find(quote, 1)
        if end > 0 and item[end + 1 : end + 2] == ":":
            return item[1:end], item[end + 2 :].strip()
        return None
    equals = item.find("=")
    colon = item.find(": ")
    if equals > 0 and (colon < 0 or equals < colon):
        return item[:equals].strip(), item[equals + 1 :]
    if colon > 0 and item[:colon].isidentifier():
        return item[:colon], item[colon + 2 :]
    return None


def _unglued(key: str, value: str) -> list[tuple[str, str]]:
    """`key=v1 k2=v2 k3=v3` (pairs that lost their commas) as [(key, v1), (k2, v2), (k3, v3)].

    Walks the value once with positions: a dump of thousands of glued pairs stays linear.
    """
    if any(mark in value for mark in "([{<'\""):
        return [(key, value)]
    text = value.strip()
    found, position = [], 0
    while True:
        space = text.find(" ", position)
        token = text[position:space] if space > position else ""
        glued = _GLUED_KEY.match(text, space + 1) if token and not any(c.isspace() for c in token) else None
        if glued is None:
            found.append((key, text[position:]))
            return found
        found.append((key, text[position:space]))
        key, position = text[space + 1:glued.end() - 1], glued.end()
        while position < len(text) and text[position].isspace():
            position += 1


def read_pairs(text: str) -> dict[str, str]:
    """Every top-level pair of a config dump, values unquoted but otherwise as printed."""
    pairs: dict[str, str] = {}
    for item in _top_level_items(text):
        pair = _split_pair(item)
        if pair is None:
            continue
        for key, value in _unglued(*pair):
            if _cut_inside_quotes(value):
                continue  # the line was cut inside this value: its start is not the value
            if key.isidentifier() or key.replace("-", "_").isidentifier():
                pairs.setdefault(key, _unquote(value))
    return pairs


def _cut_inside_quotes(value: str) -> bool:
    value = value.strip()
    return bool(value) and value[0] in "'\"" and (len(value) < 2 or value[-1] != value[0])
