"""Where the data shipped with logdoctor lives: `grammar/`, `kb/` and `samples/`.

In the repository these are top-level folders; an installed package carries them as the
subpackages `logdoctor.grammar`, `logdoctor.kb` and `logdoctor.samples` (setup.cfg maps them), that
is, as folders inside the package's own. Running from a checkout without installing, an editable
install, or tests that import the checkout's `logdoctor/` ahead of an installed copy, find the
top-level folders instead. (A plain path check, not importlib.resources: that module's import
pulls in tempfile, shutil and random, a tenth of a short log's run.)
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parent


def data_dir(folder: str) -> Path:
    """The folder `grammar`, `kb` or `samples`, installed or in the repository."""
    installed = _PACKAGE / folder
    return installed if installed.is_dir() else _REPOSITORY / folder
