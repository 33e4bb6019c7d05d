"""logdoctor: read a vLLM / Xinference server log, lay out the facts, rank the likely causes.

The public Python API (logdoctor/api.py): `diagnose`, `diagnose_many`, `facts`, `KnowledgeBase`, `Report`, `Verdict`
(typed: the package ships py.typed). They are imported on first use, so that `import logdoctor` (and
the command line's start) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["KnowledgeBase", "Report", "Verdict", "__version__", "diagnose", "diagnose_many", "facts"]
_PUBLIC = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:
    from logdoctor.api import KnowledgeBase, Report, Verdict, diagnose, diagnose_many, facts


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        from logdoctor import api

        return getattr(api, name)
    raise AttributeError(f"module 'logdoctor' has no attribute {name!r}")
