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
import re
import shutil
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .bodies import BodyFile, spill
from .cache import CACHE_DIR, RowFormat, digest
from .entries import read_entry
from .errors import SourceError
from .feeditems import process_alive, save_items, store_of
from .forked import as_child, signals_held
from .markup import MarkdownRenderer
from .writer import Outcome, Record, write_file


def default_jobs() -> int:
    return os.cpu_count() or 1


WORKER_MIB = 128
"""A forked worker whose own memory grows past this (MiB) ends after its task, and another is forked in its
place: each task touches more of the heap it inherited (writing an object's reference count copies its page),
and so does the parent, whose every write leaves the worker the only holder of the old page. One worker through
a large archive's whole render would end up holding a second copy of it. A new worker shares the parent's pages
again. At 50,000 entries, 256 MiB checked every 5 s let the render peak at 1,383 MiB for all processes; 128 MiB
checked every second, at about 1,010 MiB, for the same wall time (at 10,000 entries too)."""
MEMORY_CHECK_SECONDS = 1.0
"""How often a worker looks at its own memory: reading it walks the process's page tables (15 ms at 600 MiB)."""
_PRIVATE = re.compile(rb"^Private_(?:Clean|Dirty):\s+(\d+) kB", re.M)
_RETIRED = ("retired",)
"""What a worker that ended for its memory sends: the parent forks another if tasks remain."""


def _private_mib() -> float:
    """This process's own memory (pages no other process shares), in MiB; 0 where the system does not say."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as rollup:
            return sum(int(found) for found in _PRIVATE.findall(rollup.read())) / 1024
    except OSError:
        return 0.0


def _fork_map(jobs: int, state, work, tasks: list, keep=None, parent_first: bool = False) -> list:
    """[work(state, task) for task in tasks], over `jobs` processes when it pays: the parent and jobs - 1
    forked workers; with `keep`, [keep(task, work(state, task)) ...], keep called in the parent as each result
    comes back (so that what it does not keep of a result is let go of at once, not when all are done).

    The parent works too, rather than wait: a forked worker soon holds its own copy of much of the parent's
    memory (touching an object writes its reference count, which copies its page), so each worker fewer is
    one copy fewer. Every process takes the next task from a shared counter; the tasks, like `state`, are
    inherited by the fork, never pickled. A worker must not raise (work functions return their errors); one
    that dies ends the run with an error rather than a wait for ever. With `parent_first`, the first task is
    the parent's, whatever the workers take meanwhile.
    """
    if jobs <= 1 or len(tasks) < 2:
        results = []
        for task in tasks:
            result = work(state, task)
            results.append(keep(task, result) if keep else result)
        return results
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    taken = context.Value("q", 0)
    """How many tasks were taken: the index of the next one."""
    workers: list = []

    def start_worker() -> None:
        worker = context.Process(target=_worker, args=(state, work, tasks, taken, done), daemon=True)
        with signals_held():
            worker.start()
        workers.append(worker)

    if parent_first:
        taken.value = 1
    for _ in range(min(jobs, len(tasks)) - 1):
        start_worker()
    results: list = [None] * len(tasks)

    def take(index: int, result) -> None:
        if isinstance(result, _Raised):
            raise result.exc
        results[index] = keep(tasks[index], result) if keep else result

    def arrived(came) -> int:
        """A worker's message handled: 1 for a result taken, 0 for a retirement (replaced while tasks remain)."""
        if came == _RETIRED:
            if _tasks_left(taken, len(tasks)):
                start_worker()
            return 0
        take(*came)
        return 1

    try:
        pending = len(tasks)
        if parent_first:
            with _received_meanwhile(done) as early:
                first = work(state, tasks[0])
            take(0, first)
            pending -= 1
            for came in early:
                pending -= arrived(came)
        while pending:
            came = _came_back(done)
            if came is None:
                index = _next_task(taken, len(tasks))
                came = (index, work(state, tasks[index])) if index is not None else _next_result(done, workers)
            pending -= arrived(came)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    return results


@contextmanager
def _received_meanwhile(done):
    """A list of what the workers send while the parent works on a task of its own, filled by a thread as it
    comes. A worker's process ends only once what it sent is read: one that has sent its last result (or
    retired) would otherwise hold its memory until the parent is free again (at 50,000 entries, 511 MiB for
    the half minute the parent takes to make the open data). Nothing forks while the thread runs."""
    received: list = []
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                received.append(done.get(timeout=0.05))
            except queue.Empty:
                pass

    thread = threading.Thread(target=receive, name="chorus-results", daemon=True)
    thread.start()
    try:
        yield received
    finally:
        stop.set()
        thread.join()


def _tasks_left(taken, count: int) -> bool:
    with taken.get_lock():
        return taken.value < count


def _next_task(taken, count: int) -> int | None:
    """The index of a task no process has taken yet, now taken; None when all are."""
    with taken.get_lock():
        index = taken.value
        if index >= count:
            return None
        taken.value = index + 1
    return index


def _came_back(done) -> tuple | None:
    """A worker's (index, result) if one is waiting, else None."""
    try:
        return done.get_nowait()
    except queue.Empty:
        return None


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


def _worker(state, work, tasks: list, taken, done) -> None:
    as_child()
    next_check = time.monotonic() + MEMORY_CHECK_SECONDS
    while (index := _next_task(taken, len(tasks))) is not None:
        try:
            result = work(state, tasks[index])
        except BaseException as exc:  # never a traceback from a worker: the parent reports it
            result = _Raised(exc)
        done.put((index, result))
        if time.monotonic() >= next_check:
            if _private_mib() > WORKER_MIB:
                done.put(_RETIRED)
                return
            next_check = time.monotonic() + MEMORY_CHECK_SECONDS


# ---- stage 3: reading entries ----------------------------------------------

READ_CHUNK = 250
"""Entries per task, at most: a chunk's entries and bytes are held at once by its worker and the parent."""
RENDER_CHUNK = 50
"""Routes per task: a worker looks at its own memory between tasks (see WORKER_MIB), so a task is its overshoot.
A template edited at 50,000 entries peaked at 1,184-1,193 MiB for all processes with 500 routes a task, 1,116-1,149
with 100, 1,087 with 50 (1,128 with 25), and took no longer (182-228 s, as the machine's speed varied)."""


@dataclass
class _ReadState:
    """What a reading process inherits: the config, a Markdown converter, and how to send its results back."""

    config: object
    markdown: MarkdownRenderer
    parent: int
    """The process that reads too: its own results are not sent, so not encoded."""
    form: RowFormat
    """How results are sent back: as the entry cache's rows, which the parent makes into entries as lean as those
    taken from the cache (pickled as they are, each record would come back with a dict of its own)."""


_ROW = "row"


def _read_chunk(state: _ReadState, items):
    sent = os.getpid() != state.parent
    out = []
    for source, raw in items:
        try:
            result = read_entry(source, raw, state.config, state.markdown)
        except Exception as exc:  # reported by the parent as an internal error naming the file
            out.append(("internal", source.path, _portable(exc), traceback.format_exc()))
            continue
        out.append((_ROW, state.form.row("", result)) if sent else result)
    return out


def _is_row(result: tuple) -> bool:
    return type(result[0]) is str and result[0] == _ROW


def read_many(items: list, config, jobs: int) -> list:
    """read_entry over (source, bytes) pairs; a result is (entry, errors) or ('internal', path, message).

    Each entry's body is written out of memory as its chunk comes back (generator/bodies.py), and the
    chunk's bytes are let go of (`items` is emptied): the sources and bodies of an archive are never all
    held at once."""
    state = _ReadState(config, MarkdownRenderer(unsafe_html=config.markdown.unsafe_html), os.getpid(), RowFormat())
    # Chunks of at most READ_CHUNK: each comes back (pickled) whole, and the parent lets its bytes go after.
    size = max(1, len(items)) if len(items) < 64 else min(READ_CHUNK, max(16, len(items) // (jobs * 8)))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    items.clear()
    bodies = BodyFile()

    def spill_chunk(chunk: list, results: list) -> list:
        chunk.clear()
        rows = [result[1] for result in results if _is_row(result)]
        decoded = iter(state.form.results(rows, bodies))
        return [next(decoded) if _is_row(result) else spill(result, bodies) for result in results]

    with _frozen_heap():
        return [result for chunk in _fork_map(jobs, state, _read_chunk, chunks, spill_chunk) for result in chunk]


# ---- the publish gate: scanning the new tree's bytes ---------------------------

SCAN_CHUNK = 400
"""Files per task, at most: small enough that the last tasks of the processes end close together."""
FORK_SCAN = 1000
"""Files from which the scan is spread over processes (a first build's tens of thousands); fewer (an edit's
few dozen) are scanned sooner by the calling process alone."""


def _scan_chunk(state, joined: str) -> list[str | None]:
    privacy, root = state
    return [privacy.scan_file(root / rel) for rel in joined.split("\0")]


def scan_many(privacy, root: Path, rels: list[str], jobs: int) -> list[tuple[str, str | None]]:
    """(rel, privacy.scan_file(root / rel)) for each of `rels`, in their order, over `jobs` processes: the byte
    scan of the publish gate (privacy.Privacy.gate, which stays the one place that decides what a hit is).
    Forked only for FORK_SCAN files or more, and only while no other thread runs (a worker would have none of
    them, nor the locks they held): at the gate, the indexer's has ended."""
    jobs = jobs if threading.active_count() == 1 and len(rels) >= FORK_SCAN else 1
    size = min(SCAN_CHUNK, max(16, len(rels) // (max(jobs, 1) * 32)))
    chunks = [rels[i:i + size] for i in range(0, len(rels), size)]
    if jobs > 1:
        # What the publish freed just before (the manifest encoded): else the workers share pages the parent then
        # reuses, and each page it writes is held twice.
        release_free_memory()
    # A task is one string made now, its paths joined: a worker that took the paths themselves would write to the
    # reference count of each, and so copy every page of the build's memory that holds one (at 50,000 entries,
    # most of it: they lie among the outcomes). A worker sends back what it found, in order, not the paths.
    tasks = ["\0".join(chunk) for chunk in chunks]
    with _frozen_heap():
        found = _fork_map(jobs, (privacy, root), _scan_chunk, tasks)
    return [pair for chunk, hits in zip(chunks, found) for pair in zip(chunk, hits)]


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
            inputs, fingerprint = renderer.recorded(route, keys)
        except Exception as exc:
            from .render import TemplateProblem
            if isinstance(exc, TemplateProblem):
                return ("error", exc.error)
            return ("internal", route.owner, _portable(exc), traceback.format_exc())
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


def render_many(renderer, old: dict[str, Record], pairs: list, root: Path | None, jobs: int,
                progress=None) -> list[Outcome]:
    """Render every route of the site, writing changed files under `root` (None: write nothing). `old` are the
    last output's records, whose inputs are indices into the table `pairs` (the last manifest's).

    In two rounds: first the routes whose targets say `renders_first` (entry pages, which store their
    entries' feed items as they go), then the others (feeds among them, which read those items). The items
    are kept in the cache folder between builds (a temporary folder when the build keeps no cache), and the
    parent alone records them for the next build, once all succeeded (feeditems.FragmentStore). Targets that
    say `renders_in_parent` (made from every entry) are the second round's first task, the parent's own.
    """
    count = len(renderer.routes)
    outcomes: list = [None] * count
    # Which files are unchanged is decided here, once, before any fork: each input is valued once, and the
    # workers (if the changed files are many enough to need them) get only what is to be rendered.
    known = [(index, old[route.path]) for index, route in enumerate(renderer.routes) if route.path in old]
    for (index, previous), unchanged in zip(known, renderer.unchanged_each([previous for _, previous in known], pairs)):
        if unchanged:
            outcomes[index] = Outcome(renderer.routes[index].path, previous.fingerprint, previous.sha, False, 0,
                                      previous.inputs)
    to_render = [index for index in range(count) if outcomes[index] is None]
    first, in_parent, others = [], [], []
    for index in to_render:
        target = renderer.routes[index].target
        (first if target.renders_first else in_parent if target.renders_in_parent else others).append(index)
    rounds = [([], first), (in_parent, others)]
    jobs = jobs if len(to_render) >= 200 else 1
    state = _RenderState(renderer, old, root, set())
    store = store_of(renderer)
    done = [count - len(to_render)]
    interned: dict = {}

    def take(chunk: list[int], result: tuple):
        """A chunk's outcomes, as it comes back; a failure is kept, to be raised in the order of the chunks."""
        if result[0] != "done":
            return result
        store.merge(result[2])
        for index, outcome in zip(chunk, result[1]):
            outcomes[index] = _interned(outcome, interned)
        done[0] += len(chunk)
        if progress:
            progress("rendering", done[0], count)
        if chunk is in_parent:
            # What the parent computed for the files made from every entry (the open data's rows), which no other
            # file reads, is let go of at once, not at the render's end: the workers forked from now on share a
            # smaller parent.
            renderer.forget_since(mark)
            release_free_memory()
        return None

    folder, kept = _items_folder(renderer.site_dir / CACHE_DIR, renderer.stores.folder is not None)
    try:
        store.open(folder, renderer.stores if kept else None)
        release_free_memory()  # before the workers fork: what reading and assembly let go of
        with _frozen_heap():
            for parents, indices in rounds:
                mark = renderer.mark()
                chunks = [parents] if parents else []
                chunks += [indices[i:i + RENDER_CHUNK] for i in range(0, len(indices), RENDER_CHUNK)]
                for failed in _fork_map(jobs, state, _render_routes, chunks, take, parent_first=bool(parents)):
                    if failed is not None and failed[0] == "error":
                        raise RenderFailed(error=failed[1])
                    if failed is not None:
                        raise RenderFailed(owner=failed[1], original=failed[2], details=failed[3])
        if kept:
            save_items(renderer)
    finally:
        store.close()
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)
    release_free_memory()  # the workers' results, unpickled and interned: the copies are gone
    return outcomes


def _interned(outcome: Outcome, interned: dict) -> Outcome:
    """The outcome with each of its inputs the one object all outcomes share for it. A worker's chunk comes back
    with its own copies of the inputs many files share: each chunk is interned as it arrives, so that the copies
    are let go of at once and the manifest stores each input once."""
    if not outcome.inputs:
        return outcome
    return replace(outcome, inputs=tuple(interned.setdefault(pair, pair) for pair in outcome.inputs))


ITEMS_PREFIX = "feed-items-"


def _items_folder(cache_dir: Path, keep: bool) -> tuple[Path, bool]:
    """The folder of this render's feed items, and whether they are kept between builds: with `keep`, the
    cache folder itself; else a new folder there, or, as for `chorus check`, which makes no cache, or when it
    cannot be written, in the system's temporary folder. A build killed outright leaves a new folder behind:
    the next one removes the folders of processes that are gone."""
    try:
        if not cache_dir.is_dir():
            raise FileNotFoundError(cache_dir)
        for stale in cache_dir.glob(ITEMS_PREFIX + "*"):
            pid = stale.name[len(ITEMS_PREFIX):].partition("-")[0]
            if pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        if keep:
            return cache_dir, True
        return Path(tempfile.mkdtemp(prefix=f"{ITEMS_PREFIX}{os.getpid()}-", dir=cache_dir)), False
    except OSError:
        return Path(tempfile.mkdtemp(prefix=f"chorus-{ITEMS_PREFIX}")), False


def release_free_memory() -> None:
    """Hand the memory freed so far back to the system. The C allocator keeps what Python frees (the bytes
    read, the bodies and results let go of) for reuse, and in a long build most of it never is: it would
    count in the build's memory to its end. (glibc's malloc_trim; elsewhere nothing is done.)"""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


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
