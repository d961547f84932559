"""Running stages 3 and 5 over a pool of processes.

Workers are forked, so they inherit the config, the assembled site and the old
manifest without pickling them; each worker keeps its own Markdown converter and
Jinja environment in `_WORKER` (a per-process slot the pool's initializer fills,
never shared between processes). Results come back in input order, so the
output is identical whatever the number of jobs.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import traceback
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .cache import Record, digest
from .entries import read_entry
from .errors import SourceError
from .markup import MarkdownRenderer
from .writer import WriteFailed

_WORKER: dict = {}
"""This process's state as a pool worker (empty in the main process)."""


def default_jobs() -> int:
    return os.cpu_count() or 1


def _as_worker() -> None:
    """A worker dies with its parent, and leaves Ctrl-C to it (which then stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler raises; a worker just ends
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: an orphaned worker ends when its queue closes
    if os.getppid() == 1:
        os._exit(1)


PR_SET_PDEATHSIG = 1


def _pool(jobs: int, initializer, initargs) -> ProcessPoolExecutor:
    # fork: workers share the parent's memory copy-on-write instead of unpickling the site.
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=initializer, initargs=initargs)


@contextmanager
def _stopping(pool: ProcessPoolExecutor):
    """The pool, whose workers are stopped at once if the build is interrupted or fails."""
    try:
        yield pool
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


# ---- stage 3: reading entries ----------------------------------------------


def _init_reader(config, worker: bool = True) -> None:
    if worker:
        _as_worker()
    _WORKER["config"] = config
    _WORKER["markdown"] = MarkdownRenderer(unsafe_html=config.markdown.unsafe_html)


def _read_chunk(items):
    out = []
    for source, raw in items:
        try:
            out.append(read_entry(source, raw, _WORKER["config"], _WORKER["markdown"]))
        except Exception as exc:  # reported by the parent as an internal error naming the file
            out.append(("internal", source.path, exc, traceback.format_exc()))
    return out


def read_many(items: list, config, jobs: int) -> list:
    """read_entry over (source, bytes) pairs; a result is (entry, errors) or ('internal', path, message)."""
    if jobs <= 1 or len(items) < 64:
        _init_reader(config, worker=False)
        try:
            return _read_chunk(items)
        finally:
            _WORKER.clear()
    size = max(16, len(items) // (jobs * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    with _stopping(_pool(jobs, _init_reader, (config,))) as pool:
        return [result for chunk in pool.map(_read_chunk, chunks) for result in chunk]


# ---- stage 5: rendering and writing pages ------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one route."""

    path: str
    fingerprint: str
    sha: str
    written: bool
    """False when the old file was kept (same inputs, or same bytes)."""
    size: int = 0


def _init_renderer(renderer, old: dict[str, Record], root: Path, worker: bool = True) -> None:
    if worker:
        _as_worker()
    _WORKER["renderer"] = renderer
    _WORKER["old"] = old
    _WORKER["root"] = root
    _WORKER["dirs"] = set()


def _render_range(bounds):
    """Render routes[start:stop]; returns outcomes, or ('error', SourceError) / ('internal', owner, message)."""
    start, stop = bounds
    renderer = _WORKER["renderer"]
    old: dict[str, Record] = _WORKER["old"]
    root: Path | None = _WORKER["root"]
    outcomes = []
    for route in renderer.site.routes[start:stop]:
        try:
            fingerprint = renderer.fingerprint(route)
            previous = old.get(route.path)
            if previous is not None and fingerprint is not None and previous.fingerprint == fingerprint:
                outcomes.append(Outcome(route.path, fingerprint, previous.sha, False))
                continue
            data = renderer.render(route)
        except Exception as exc:
            from .render import TemplateProblem
            if isinstance(exc, TemplateProblem):
                return ("error", exc.error)
            return ("internal", route.owner, exc, traceback.format_exc())
        sha = digest(data)
        if previous is not None and previous.sha == sha:
            outcomes.append(Outcome(route.path, fingerprint or "", sha, False))
            continue
        if root is not None:
            _write(root, route.path, data)
        outcomes.append(Outcome(route.path, fingerprint or "", sha, True, len(data)))
    return outcomes


def _write(root: Path, rel: str, data: bytes) -> None:
    """Write one file of the new tree; a failure names `rel` (raised as WriteFailed, reported by the parent
    against the output folder, never the temporary folder)."""
    parent = rel.rpartition("/")[0]
    dirs = _WORKER["dirs"]
    try:
        if parent and parent not in dirs:
            (root / parent).mkdir(parents=True, exist_ok=True)
            dirs.add(parent)
        (root / rel).write_bytes(data)
    except OSError as exc:
        raise WriteFailed.of(rel, exc) from None


class RenderFailed(Exception):
    """A template error, or an unexpected exception (with its formatted traceback) while rendering."""

    def __init__(self, error: SourceError | None = None, owner: str = "", original=None, details: str = ""):
        super().__init__(str(error or original))
        self.error, self.owner, self.original, self.details = error, owner, original, details


def render_many(renderer, old: dict[str, Record], root: Path | None, jobs: int, progress=None) -> list[Outcome]:
    """Render every route of the site, writing changed files under `root` (None: write nothing)."""
    count = len(renderer.site.routes)
    size = max(50, count // (max(jobs, 1) * 16))
    bounds = [(i, min(i + size, count)) for i in range(0, count, size)]
    results = []
    if jobs <= 1 or count < 200:
        _init_renderer(renderer, old, root, worker=False)
        try:
            for bound in bounds:
                results.append(_render_range(bound))
                if progress:
                    progress("rendering", bound[1], count)
        finally:
            _WORKER.clear()
    else:
        with _stopping(_pool(jobs, _init_renderer, (renderer, old, root))) as pool:
            for bound, result in zip(bounds, pool.map(_render_range, bounds)):
                results.append(result)
                if progress:
                    progress("rendering", bound[1], count)
    outcomes = []
    for result in results:
        if isinstance(result, tuple):
            if result[0] == "error":
                raise RenderFailed(error=result[1])
            raise RenderFailed(owner=result[1], original=result[2], details=result[3])
        outcomes.extend(result)
    return outcomes
