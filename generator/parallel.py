"""Running stages 3 and 5 over forked processes.

Workers are forked, so they inherit the config, the assembled site and the old
manifest without pickling them: the state a worker needs (a Markdown converter,
the render context) is made before the fork and handed to the worker function
as an argument, so nothing is kept at module level. Results come back in input
order, so the output is identical whatever the number of jobs.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import shutil
import signal
import tempfile
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import CACHE_DIR, digest
from .entries import read_entry
from .errors import SourceError
from .feeditems import store_of
from .markup import MarkdownRenderer
from .writer import Outcome, Record, write_file

def default_jobs() -> int:
    return os.cpu_count() or 1


def _as_worker() -> None:
    """A worker dies with its parent, and leaves Ctrl-C to it (which then stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler raises; a worker just ends
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # held by the parent to fork
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: an orphaned worker ends when its queue closes
    if os.getppid() == 1:
        os._exit(1)


PR_SET_PDEATHSIG = 1


def _fork_map(jobs: int, state, work, tasks: list, progress=None) -> list:
    """[work(state, task) for task in tasks], over `jobs` forked processes when it pays.

    A worker receives `state` by inheritance (fork), never pickled; it must not raise (work functions
    return their errors). A worker that dies ends the run with an error rather than a wait for ever.
    """
    if jobs <= 1 or len(tasks) < 2:
        results = []
        for task in tasks:
            results.append(work(state, task))
            if progress:
                progress(task, results[-1])
        return results
    context = multiprocessing.get_context("fork")
    to_render, done = context.Queue(), context.Queue()
    workers = [context.Process(target=_worker, args=(state, work, to_render, done), daemon=True)
               for _ in range(min(jobs, len(tasks)))]
    # Ctrl-C or a TERM while forking would interrupt the fork's own handlers: hold them until all started.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for worker in workers:
            worker.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    results: list = [None] * len(tasks)
    try:
        for index, task in enumerate(tasks):
            to_render.put((index, task))
        for _ in workers:
            to_render.put(None)
        for _ in range(len(tasks)):
            index, result = _next_result(done, workers)
            if isinstance(result, _Raised):
                raise result.exc
            results[index] = result
            if progress:
                progress(tasks[index], result)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    return results


def _next_result(done, workers) -> tuple:
    while True:
        try:
            return done.get(timeout=0.5)
        except queue.Empty:
            dead = [w for w in workers if w.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a worker process stopped (exit status {dead[0].exitcode})") from None


class _Raised:
    """An exception a worker raised, carried to the parent to be raised there (as pool.map would)."""

    def __init__(self, exc: BaseException):
        self.exc = _portable(exc)


def _portable(exc: BaseException) -> BaseException:
    """The exception, or, if it cannot be pickled back to the parent, one of the same name and message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return type(f"{type(exc).__name__}", (Exception,), {})(str(exc))


def _worker(state, work, to_render, done) -> None:
    _as_worker()
    while (item := to_render.get()) is not None:
        index, task = item
        try:
            result = work(state, task)
        except BaseException as exc:  # never a traceback from a worker: the parent reports it
            result = _Raised(exc)
        done.put((index, result))


# ---- stage 3: reading entries ----------------------------------------------


def _read_chunk(state, items):
    config, markdown = state
    out = []
    for source, raw in items:
        try:
            out.append(read_entry(source, raw, config, markdown))
        except Exception as exc:  # reported by the parent as an internal error naming the file
            out.append(("internal", source.path, _portable(exc), traceback.format_exc()))
    return out


def read_many(items: list, config, jobs: int) -> list:
    """read_entry over (source, bytes) pairs; a result is (entry, errors) or ('internal', path, message)."""
    state = (config, MarkdownRenderer(unsafe_html=config.markdown.unsafe_html))
    size = max(1, len(items)) if len(items) < 64 else max(16, len(items) // (jobs * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    with _frozen_heap():
        return [result for chunk in _fork_map(jobs, state, _read_chunk, chunks) for result in chunk]


# ---- stage 5: rendering and writing pages ------------------------------------


@dataclass
class _RenderState:
    """What a render worker inherits: the context, the last manifest, where to write, folders made."""

    renderer: object
    old: dict[str, Record]
    root: Path | None
    dirs: set[str]


def _render_routes(state: _RenderState, indices: list[int]):
    """Render the routes at these indices; returns ('done', outcomes, the feed items this process stored),
    or ('error', SourceError) / ('internal', owner, exception, traceback)."""
    renderer, old, root = state.renderer, state.old, state.root
    outcomes = []
    for index in indices:
        route = renderer.routes[index]
        try:
            previous = old.get(route.path)  # (render_many left out the unchanged ones)
            data, keys = renderer.render(route)
            fingerprint = renderer.fingerprint(route, keys)
        except Exception as exc:
            from .render import TemplateProblem
            if isinstance(exc, TemplateProblem):
                return ("error", exc.error)
            return ("internal", route.owner, _portable(exc), traceback.format_exc())
        inputs = tuple(sorted(keys))
        sha = digest(data)
        if previous is not None and previous.sha == sha:
            outcomes.append(Outcome(route.path, fingerprint, sha, False, 0, inputs))
            continue
        if root is not None:
            write_file(root, route.path, data, state.dirs)
        outcomes.append(Outcome(route.path, fingerprint, sha, True, len(data), inputs))
    return ("done", outcomes, store_of(renderer).added())


class RenderFailed(Exception):
    """A template error, or an unexpected exception (with its formatted traceback) while rendering."""

    def __init__(self, error: SourceError | None = None, owner: str = "", original=None, details: str = ""):
        super().__init__(str(error or original))
        self.error, self.owner, self.original, self.details = error, owner, original, details


def render_many(renderer, old: dict[str, Record], root: Path | None, jobs: int, progress=None) -> list[Outcome]:
    """Render every route of the site, writing changed files under `root` (None: write nothing).

    In two rounds: first the routes whose targets say `renders_first` (entry pages, which store their
    entries' feed items as they go), then the others (feeds among them, which read those items). The items
    are kept in a temporary folder for the length of the render (feeditems.FragmentStore).
    """
    count = len(renderer.routes)
    outcomes: list = [None] * count
    # Which files are unchanged is decided here, once, before any fork: each input is valued once, and the
    # workers (if the changed files are many enough to need them) get only what is to be rendered.
    to_render = []
    for index, route in enumerate(renderer.routes):
        previous = old.get(route.path)
        if previous is not None and renderer.unchanged(route, previous):
            outcomes[index] = Outcome(route.path, previous.fingerprint, previous.sha, False, 0, previous.inputs)
        else:
            to_render.append(index)
    first = [i for i in to_render if getattr(renderer.routes[i].target, "renders_first", False)]
    rounds = [first, sorted(set(to_render).difference(first))]
    jobs = jobs if len(to_render) >= 200 else 1
    state = _RenderState(renderer, old, root, set())
    store = store_of(renderer)
    done = count - len(to_render)
    folder = _items_folder(renderer.site_dir / CACHE_DIR)
    try:
        store.open(folder)
        with _frozen_heap():
            for indices in rounds:
                size = max(50, len(indices) // (max(jobs, 1) * 16))
                chunks = [indices[i:i + size] for i in range(0, len(indices), size)]
                for chunk, result in zip(chunks, _fork_map(jobs, state, _render_routes, chunks)):
                    if result[0] == "error":
                        raise RenderFailed(error=result[1])
                    if result[0] == "internal":
                        raise RenderFailed(owner=result[1], original=result[2], details=result[3])
                    store.merge(result[2])
                    for index, outcome in zip(chunk, result[1]):
                        outcomes[index] = outcome
                    done += len(chunk)
                    if progress:
                        progress("rendering", done, count)
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)
    interned: dict = {}  # one tuple per input key across the routes rendered: the manifest stores each key once
    for index in to_render:
        outcome = outcomes[index]
        if outcome.inputs:
            outcomes[index] = replace(outcome, inputs=tuple(interned.setdefault(key, key) for key in outcome.inputs))
    return outcomes


ITEMS_PREFIX = "feed-items-"


def _items_folder(cache_dir: Path) -> Path:
    """A new folder for this render's feed items, in the cache folder when there is one (else, as for
    `chorus check`, which makes none, or when it cannot be written, the system's temporary folder). A build
    killed outright leaves its folder behind: the next one removes the folders of processes that are gone."""
    try:
        if not cache_dir.is_dir():
            raise FileNotFoundError(cache_dir)
        for stale in cache_dir.glob(ITEMS_PREFIX + "*"):
            pid = stale.name[len(ITEMS_PREFIX):].partition("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=f"{ITEMS_PREFIX}{os.getpid()}-", dir=cache_dir))
    except OSError:
        return Path(tempfile.mkdtemp(prefix=f"chorus-{ITEMS_PREFIX}"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


@contextmanager
def _frozen_heap():
    """Everything made so far (the site, its entries) is left out of the cyclic garbage collector while
    the work runs: it lives until the end anyway, collections do not walk it again and again, and a forked
    worker does not write to its pages (so they stay shared with the parent instead of being copied)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
