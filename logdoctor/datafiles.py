"""Where the data shipped with logdoctor lives: `grammar/`, `kb/` and `samples/`.

In the repository these are top-level folders; an installed package carries them as the
subpackages `logdoctor.grammar`, `logdoctor.kb` and `logdoctor.samples` (setup.cfg maps them).
Running from a checkout without installing (or tests that import the checkout's `logdoctor/`
ahead of an installed copy) finds the top-level folders instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parent.parent


def data_dir(folder: str) -> Path:
    """The folder `grammar`, `kb` or `samples`, installed or in the repository."""
    try:
        return Path(str(resources.files(f"logdoctor.{folder}")))
    except ModuleNotFoundError:
        return _REPOSITORY / folder
