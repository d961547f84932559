"""The search index: Pagefind reads the finished pages and writes a static index beside them.

Only entry pages carry `data-pagefind-body`, so listings, notices and the search
page itself are not indexed; withdrawn entries and drafts never carry it, and
private handles are never in any page to begin with. Pagefind's output is
deterministic, so files whose bytes did not change are kept (hard-linked) from
the last output like every other file.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .cache import Record, digest
from .errors import BuildFailed, SourceError
from .parallel import Outcome

INDEX_DIR = "pagefind"


def build_index(root: Path, out_dir: Path, old: dict[str, Record]) -> list[Outcome]:
    """Index the new tree at `root`; returns the outcome of each index file."""
    # Only entry pages are indexed: the glob spares Pagefind from reading every listing and archive page.
    command = [sys.executable, "-m", "pagefind", "--site", str(root), "--output-subdir", INDEX_DIR, "--silent",
               "--glob", "{*,articles/*,takes/*,threads/*}/index.html"]
    # Pagefind must not outlive a killed build: it would go on writing into a folder the next build removed.
    # (preexec_fn is unsafe beside other threads, as under chorus serve, where a build is never killed alone.)
    in_main_thread = threading.current_thread() is threading.main_thread()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                              preexec_fn=_die_with_parent if in_main_thread else None)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _failed(str(exc)) from None
    if proc.returncode != 0:
        raise _failed((proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"])
    outcomes = []
    for here, _dirs, names in os.walk(root / INDEX_DIR):
        for name in names:
            path = Path(here) / name
            rel = path.relative_to(root).as_posix()
            data = path.read_bytes()
            sha = digest(data)
            previous = old.get(rel)
            if previous is not None and previous.sha == sha:
                os.unlink(path)
                os.link(out_dir / rel, path)  # unchanged: keep the old file rather than a new copy
                outcomes.append(Outcome(rel, "", sha, False))
            else:
                outcomes.append(Outcome(rel, "", sha, True, len(data)))
    return sorted(outcomes, key=lambda o: o.path)


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG, kept across exec
    except (OSError, AttributeError):
        pass


def _failed(detail) -> BuildFailed:
    detail = detail if isinstance(detail, str) else " ".join(detail)
    return BuildFailed([SourceError("site.yaml", 0, f"the search index could not be built: {detail}",
                                    "install Chorus with its dependencies (pagefind[extended]), or set "
                                    "search: false in site.yaml")])
