""""Did you mean …?" for a name that is not one of the known ones (categories, fact names, entry keys).

A contributor's typo (`kv-cache-to-small`, `distributed_backen`, `caus`) should cost a glance, not a
search through taxonomy.yaml or factnames.py. rapidfuzz's WRatio also rewards a known name that
contains the typed one (`oom` → the `oom-…` categories), so a fragment finds its candidates too.
"""

from __future__ import annotations

from collections.abc import Iterable

_CUTOFF = 75.0  # below this a "suggestion" is noise
_SPREAD = 8.0  # candidates this close to the best one are shown with it
_MAX = 3


def close_matches(name: str, known: Iterable[str]) -> list[str]:
    """The known names close to `name`, best first (at most three; none when nothing is close)."""
    from rapidfuzz import fuzz, process  # only the error paths need it

    found = process.extract(name, list(known), scorer=fuzz.WRatio, limit=_MAX, score_cutoff=_CUTOFF)
    if not found:
        return []
    best = found[0][1]
    return [choice for choice, score, _index in found if score >= best - _SPREAD]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x' or 'y'?)`, or an empty string when nothing known is close."""
    matches = close_matches(name, known)
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"
