"""What a GPU's name implies: compute capability and architecture (research: log-catalog.md §3.1).

vLLM rarely prints the capability itself; the device name shows up in errors, dtype fallbacks,
PyTorch warnings and nvidia-smi output. The capability decides most precision and kernel issues
(bf16 and FlashAttention-2 need 8.0, native FP8 8.9, Marlin 8.0 before vLLM 0.14).
"""

from __future__ import annotations

import re

# (pattern on the lower-cased device name, compute capability). First match wins: specific first.
_CAPABILITIES: tuple[tuple[str, float], ...] = (
    (r"\bp100\b", 6.0), (r"\bp40\b|\bp4\b|gtx 10\d0|titan xp?\b", 6.1),
    (r"\bv100s?\b|titan v\b", 7.0),
    (r"\bt4\b|rtx 20\d0|titan rtx|quadro rtx|rtx [4568]000\b(?! ada)|gtx 16\d0", 7.5),
    (r"\ba100\b|\ba800\b|\ba30\b", 8.0),
    (r"\ba10g?\b|\ba40\b|\ba16\b|\ba2\b|rtx 30\d0|rtx a\d000", 8.6),
    (r"\borin\b", 8.7),
    (r"\bl4\b|\bl20\b|\bl40s?\b|rtx 40\d0|ada generation", 8.9),
    (r"\bh100\b|\bh800\b|\bh20\b|\bh200\b|gh200", 9.0),
    (r"\bb300\b|gb300", 10.3), (r"\bb200\b|\bb100\b|gb200", 10.0),
    (r"\bthor\b", 11.0),
    (r"rtx 50\d0|rtx pro \d000 blackwell", 12.0), (r"\bgb10\b", 12.1),
)
_COMPILED = tuple((re.compile(pattern), capability) for pattern, capability in _CAPABILITIES)

_ARCH_BY_MAJOR = {6: "pascal", 7: "volta", 8: "ampere", 9: "hopper", 10: "blackwell", 11: "blackwell",
                  12: "blackwell"}


def capability_of(device_name: str) -> float | None:
    """Compute capability of a GPU named as PyTorch / nvidia-smi print it, or None if unknown."""
    name = device_name.lower().replace("-", " ").replace("_", " ")
    for pattern, capability in _COMPILED:
        if pattern.search(name):
            return capability
    return None


def architecture_of(capability: float) -> str:
    """Architecture family name for a compute capability."""
    if capability == 7.5:
        return "turing"
    if capability == 8.9:
        return "ada"
    return _ARCH_BY_MAJOR.get(int(capability), "unknown")
