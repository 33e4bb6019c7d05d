"""The `logdoctor` console script and `python -m logdoctor`: the command line, started quickly.

Before anything else is imported, what earlier runs compiled is put where the compilers' callers
look first: regex programs where `re.compile` finds them (regexcache.py), the code of the methods
`@dataclass` writes where `dataclasses` executes it (codecache.py), so that neither logdoctor's
modules nor the libraries they import compile them again at every start. Unless the cache is off:
`--no-cache` anywhere on the command line (the option is read properly later; here a file named
`--no-cache` only costs the shortcut) or LOGDOCTOR_NO_CACHE.
"""

from __future__ import annotations

import sys


def run() -> None:
    if "--no-cache" not in sys.argv[1:]:
        from logdoctor import codecache, regexcache

        regexcache.warm()
        codecache.warm()
    from logdoctor import cli

    cli.run()
