"""What a GPU's name implies: platform, compute capability, code target and architecture
(research: log-catalog.md §3.1, known-issues-platforms.md "Telling the platform from the log").

vLLM rarely prints the capability itself; the device name shows up in errors, dtype fallbacks,
PyTorch warnings and nvidia-smi output. The capability decides most precision and kernel issues
(bf16 and FlashAttention-2 need 8.0, native FP8 8.9, Marlin 8.0 before vLLM 0.14). On AMD GPUs the
same role is played by the gfx target (gfx942, gfx1100...): a ROCm build carries code objects for a
list of targets, and a GPU outside that list fails with "HIP error: invalid device function".
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


# AMD GPUs by name (lower-cased, dashes as spaces) -> gfx target. First match wins: specific first.
_AMD_TARGETS: tuple[tuple[str, str], ...] = (
    (r"\bmi3[05]5x?\b|\bmi350x?\b", "gfx950"), (r"\bmi30[08][xa]?\b|\bmi325x?\b", "gfx942"),
    (r"\bmi2[15]0x?\b", "gfx90a"), (r"\bmi100\b", "gfx908"), (r"\bmi50\b|\bmi60\b|radeon vii\b", "gfx906"),
    (r"rx 7900|w7900|w7800|pro w7[89]00", "gfx1100"), (r"rx 7[78]00", "gfx1101"), (r"rx 7600", "gfx1102"),
    (r"rx 9070|r9700", "gfx1201"), (r"rx 9060", "gfx1200"), (r"rx 6[89][05]0|w6800", "gfx1030"),
    (r"8060s|8050s|strix halo|ai max", "gfx1151"), (r"\b7[68]0m\b", "gfx1103"),
)
_AMD_COMPILED = tuple((re.compile(pattern), target) for pattern, target in _AMD_TARGETS)
# gfx target prefix -> AMD architecture family (longest prefix first).
_AMD_FAMILIES: tuple[tuple[str, str], ...] = (
    ("gfx115", "rdna3.5"), ("gfx906", "gcn5"), ("gfx908", "cdna1"), ("gfx90a", "cdna2"), ("gfx94", "cdna3"),
    ("gfx950", "cdna4"), ("gfx103", "rdna2"), ("gfx110", "rdna3"), ("gfx120", "rdna4"), ("gfx101", "rdna1"),
    ("gfx90", "gcn5"),
)
GFX_TARGET = re.compile(r"\bgfx(?:9[0-5][0-9a-f]|1[0-2][0-9a-f]{2})\b")

# Which platform a device name belongs to (its vendor's words); NVIDIA names are known by capability.
_PLATFORM_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"\bamd\b|radeon|instinct", "rocm"), (r"intel.*(?:\barc\b|data center gpu|flex)", "xpu"),
    (r"ascend|atlas \d", "npu"), (r"\btpu\b", "tpu"), (r"\bgaudi|\bhl ?225", "hpu"),
    (r"nvidia|geforce|tesla|quadro", "cuda"),
)
_PLATFORM_COMPILED = tuple((re.compile(pattern), platform) for pattern, platform in _PLATFORM_BY_NAME)


def _plain(device_name: str) -> str:
    return device_name.lower().replace("-", " ").replace("_", " ")


def platform_of(device_name: str) -> str | None:
    """The platform (cuda, rocm, xpu, npu, tpu, hpu) a device name belongs to, or None if unknown."""
    name = _plain(device_name)
    for pattern, platform in _PLATFORM_COMPILED:
        if pattern.search(name):
            return platform
    return "cuda" if capability_of(device_name) is not None else None


def gfx_target_of(device_name: str) -> str | None:
    """The gfx target of an AMD GPU: written in the name (`... (gfx942:sramecc+:xnack-)`) or known from it."""
    written = GFX_TARGET.search(device_name.lower())
    if written:
        return written.group()
    name = _plain(device_name)
    for pattern, target in _AMD_COMPILED:
        if pattern.search(name):
            return target
    return None


def sm_target_of(capability: float) -> str:
    """The CUDA code target of a compute capability: 7.5 -> sm_75, 12.0 -> sm_120."""
    major, minor = divmod(round(capability * 10), 10)
    return f"sm_{major}{minor}"


def amd_architecture_of(target: str) -> str:
    """Architecture family of a gfx target: gfx942 -> cdna3, gfx1100 -> rdna3, gfx1030 -> rdna2."""
    return next((family for prefix, family in _AMD_FAMILIES if target.startswith(prefix)), "unknown")
