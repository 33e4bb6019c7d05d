"""The `logdoctor` console script and `python -m logdoctor`: the command line, started quickly.

Before anything else is imported, the regex programs that earlier runs compiled are put where
`re.compile` finds them (regexcache.py), so that neither logdoctor's modules nor the libraries they
import compile them again. Unless the cache is off: `--no-cache` anywhere on the command line (the
option is read properly later; here a file named `--no-cache` only costs the shortcut) or
LOGDOCTOR_NO_CACHE.
"""

from __future__ import annotations

import sys


def run() -> None:
    if "--no-cache" not in sys.argv[1:]:
        from logdoctor import regexcache

        regexcache.warm()
    from logdoctor import cli

    cli.run()
