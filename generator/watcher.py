"""Which files `chorus serve` watches, and the batches of their changes.

content/, layouts/, site.yaml and the built-in theme are watched with
watchfiles; changes arrive as batches on a queue, one rebuild per batch.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

THEME_DIR = Path(__file__).parent / "theme"
WATCHED_TOP = frozenset({"site.yaml", "content", "layouts"})


class _TopFilter:
    """Direct children of the site folder that matter: site.yaml, and content/ or layouts/ appearing."""

    def __call__(self, change, path: str) -> bool:
        return os.path.basename(path) in WATCHED_TOP


def _tree_filter():
    from watchfiles import DefaultFilter
    return DefaultFilter()


class Watcher:
    """Changes under content/, layouts/, the theme and to site.yaml, as batches on a queue.

    Two watchers run in threads: one recursive over the folders that exist,
    one on the site folder alone, which sees site.yaml however an editor saves
    it (many write a new file and rename it over the old) and sees content/ or
    layouts/ being created, which restarts the first with the new folders.
    """

    def __init__(self, site_dir: Path, theme_dir: Path = THEME_DIR):
        self.site_dir = site_dir
        self.theme_dir = theme_dir
        self.changes: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._tree_stop: threading.Event | None = None
        self._tree_roots: tuple[str, ...] = ()
        self._threads: list[threading.Thread] = []

    def roots(self) -> tuple[str, ...]:
        folders = [self.site_dir / "content", self.site_dir / "layouts", self.theme_dir]
        return tuple(str(p) for p in folders if p.is_dir())

    def start(self) -> None:
        self._spawn([str(self.site_dir)], False, _TopFilter(), self._stop)
        self.refresh()

    def refresh(self) -> None:
        """(Re)start the recursive watcher when the set of watched folders changed."""
        roots = self.roots()
        if roots == self._tree_roots:
            return
        if self._tree_stop is not None:
            self._tree_stop.set()
        self._tree_stop = threading.Event()
        self._tree_roots = roots
        if roots:
            self._spawn(list(roots), True, _tree_filter(), self._tree_stop)

    def _spawn(self, paths, recursive, watch_filter, stop) -> None:
        thread = threading.Thread(target=self._run, args=(paths, recursive, watch_filter, stop),
                                  name="chorus-watch", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run(self, paths, recursive, watch_filter, stop) -> None:
        from watchfiles import watch
        try:
            for changes in watch(*paths, recursive=recursive, watch_filter=watch_filter, stop_event=stop,
                                 raise_interrupt=False, debounce=1600, step=50, rust_timeout=1000):
                if self._stop.is_set():
                    return
                self.changes.put(changes)
        except Exception as exc:  # a watcher that dies must be heard of, not leave serve deaf
            if not stop.is_set() and not self._stop.is_set():
                self.changes.put(exc)

    def next_batch(self, timeout: float = 0.5):
        """The changed paths of the next batch (several batches merged), or None on timeout."""
        try:
            first = self.changes.get(timeout=timeout)
        except queue.Empty:
            return None
        batches = [first]
        while True:
            try:
                batches.append(self.changes.get_nowait())
            except queue.Empty:
                break
        for batch in batches:
            if isinstance(batch, Exception):
                raise batch
        return {path for batch in batches for _, path in batch}

    def stop(self) -> None:
        self._stop.set()
        if self._tree_stop is not None:
            self._tree_stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
