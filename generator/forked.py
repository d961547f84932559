"""What every process the build forks or starts shares: it dies with the build, and leaves Ctrl-C to it.

The render and read workers (generator/parallel.py), the search indexer that
runs beside the render (generator/search.py) and the Pagefind processes
(generator/pagefind.py) all use it, so a killed build leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
from contextlib import contextmanager
from typing import Iterator

PR_SET_PDEATHSIG = 1
_STOPPING = {signal.SIGINT, signal.SIGTERM}


def die_with_parent() -> None:
    """Ask the kernel to kill this process when the thread that made it ends (Linux; elsewhere a no-op).
    Kept across exec: safe as a Popen preexec_fn in a single-threaded parent."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: an orphan ends when its pipes close


def as_child() -> None:
    """In a forked process: die with the parent, and leave Ctrl-C to it (the parent then stops its children)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler raises; a child just ends
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)  # held by the parent while it forked
    die_with_parent()
    if os.getppid() == 1:
        os._exit(1)  # the parent died before the line above took effect


def started_child() -> None:
    """A Popen preexec_fn for a program started under signals_held: it dies with the parent, and takes Ctrl-C
    and TERM again (a blocked signal stays blocked across exec)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
    die_with_parent()


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C or a TERM while forking would interrupt the fork's own handlers: hold them meanwhile."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
