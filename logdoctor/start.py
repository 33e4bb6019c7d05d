"""The `logdoctor` console script and `python -m logdoctor`: the command line, started and ended quickly.

Before anything else is imported, what earlier runs compiled is put where the compilers' callers
look first: regex programs where `re.compile` finds them (regexcache.py), the code of the methods
`@dataclass` writes where `dataclasses` executes it (codecache.py), so that neither logdoctor's
modules nor the libraries they import compile them again at every start. Unless the cache is off:
`--no-cache` anywhere on the command line (the option is read properly later; here a file named
`--no-cache` only costs the shortcut) or LOGDOCTOR_NO_CACHE.

At the end, the interpreter would free every object one by one (the knowledge base's index, the
grammars' tables, the modules): about 10 ms, a sixth of a short log's run, that nobody sees. So
once the command is done, what an exit does that can be seen is done (the functions registered
with `atexit`, which store logdoctor's caches; flushing stdout and stderr) and the process ends
with its status (`_exit_now`). Whenever that could differ from a normal exit, the interpreter exits
as always: another thread running, a process pool or multiprocessing in use, a profiler or tracer
attached (it writes its results at exit), a flush that fails, a status that is not a number.
"""

from __future__ import annotations

import atexit
import os
import sys


def run() -> None:
    if "--no-cache" not in sys.argv[1:]:
        from logdoctor import codecache, regexcache

        regexcache.warm()
        codecache.warm()
    from logdoctor import cli

    try:
        cli.run()
    except SystemExit as done:
        _exit_now(done.code)
        raise


def _exit_now(code: object) -> None:
    """End the process with `code` without the interpreter's teardown, or return when that could
    show (see the module docstring)."""
    status = 0 if code is None else code
    if not isinstance(status, int) or not _only_this_thread() or sys.getprofile() or sys.gettrace():
        return
    if "multiprocessing" in sys.modules or not hasattr(atexit, "_run_exitfuncs"):
        return
    atexit._run_exitfuncs()  # as the interpreter would, first
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # the interpreter's own exit reports it, as before
        return
    os._exit(status)


def _only_this_thread() -> bool:
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1
