"""How a reported fact is compared with a hand-written truth (corpus truth.yaml, sample golden files).

Lenient only where the log itself is: versions with or without a `v`, dtype spellings, GPU names
with or without vendor words, backend aliases, numbers printed at another precision, and error
messages that a paste cut short.
"""

from __future__ import annotations

import math
import re

from logdoctor.parse.messages import backend_name

_DTYPES = {"half": "float16", "fp16": "float16", "torch.float16": "float16", "bf16": "bfloat16",
           "torch.bfloat16": "bfloat16", "float": "float32", "fp32": "float32", "torch.float32": "float32"}


def _gpu(name: object) -> str:
    text = str(name).lower()
    for word in ("nvidia", "geforce", "tesla", "(tm)", "corporation"):
        text = text.replace(word, " ")
    return re.sub(r"[\s_-]+", " ", text).strip()


def _number(a: object, b: object) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=0.01, abs_tol=0.011)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def same(key: str, truth: object, got: object) -> bool:
    """True when `got` states what `truth` says for fact `key`."""
    if got is None:
        return False
    if key in ("vllm_version", "xinference_version"):
        return str(truth).lower().lstrip("v") == str(got).lower().lstrip("v")
    if key == "gpus":
        wanted = {_gpu(x) for x in (truth if isinstance(truth, list) else [truth])}
        found = {_gpu(x) for x in (got if isinstance(got, list) else [got])}
        return all(any(w in f or f in w for f in found) for w in wanted)
    if key == "dtype":
        return _DTYPES.get(str(truth).lower(), str(truth).lower()) == _DTYPES.get(str(got).lower(), str(got).lower())
    if key == "attention_backend":  # a truth may spell it as the log did: `ROCmFlashAttention`, `Flash Attention`
        return (backend_name(str(truth)) or str(truth).upper()) == (backend_name(str(got)) or str(got).upper())
    if key == "error_type":
        return str(truth).split(".")[-1] == str(got).split(".")[-1]
    if key == "error_message":
        t, g = str(truth).strip().lower(), str(got).strip().lower()
        return bool(t) and (t in g or g in t)
    if key == "model":
        t, g = str(truth).strip("/").lower(), str(got).strip("/").lower()
        return t == g or t.endswith("/" + g) or g.endswith("/" + t)
    if isinstance(truth, bool) or isinstance(got, bool):
        return truth == got
    if isinstance(truth, (int, float)) or isinstance(got, (int, float)):
        return _number(truth, got)
    return str(truth).strip().lower() == str(got).strip().lower()
