"""Progress of a long build on a terminal, and the counts of the one-line summary.

`Progress` is a callable `progress(stage, done, total)`: it redraws one status
line on stderr ("rendering 1200/5400"), at most ten times a second, and only
when stderr is a terminal, so logs, pipes and tests never see it. `done()`
clears the line before the summary is printed.

build() has no progress callback yet, so `instrument()` wraps its stages from
the outside for the length of one build: the discovery and assembly steps
announce their stage, and the render-and-write step counts each route.
Nothing is wrapped that a process pool might have to pickle.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

FEED_NAMES = frozenset({"feed.xml", "atom.xml", "feed.json"})


class Progress:
    """A one-line counter per stage on a terminal; silent when the stream is not a terminal."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None, interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _isatty(self.stream) and os.environ.get("TERM") != "dumb"
        self.enabled = enabled
        self.interval = interval
        self._stage = ""
        self._last = 0.0
        self._shown = False

    def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        new_stage = stage != self._stage
        finished = total is not None and done >= total
        if not (new_stage or finished or now - self._last >= self.interval):
            return
        self._stage, self._last = stage, now
        counter = f" {done}/{total}" if total else ("" if not done else f" {done}")
        self.stream.write(f"\r\x1b[K{stage}{counter}")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        """Clear the status line (before the summary or the errors are printed)."""
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        self._shown = False
        self._stage = ""


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def accepts_progress(build_function) -> bool:
    """Whether build() takes a `progress=` callback (the change asked of build.py)."""
    try:
        return "progress" in inspect.signature(build_function).parameters
    except (TypeError, ValueError):
        return False


@contextmanager
def instrument(progress: Progress, module=None):
    """Wrap the stages of generator.build from the outside while one build runs.

    Each wrapper only reports and calls the original; a missing stage (build.py
    changed) is simply not reported. Restored on exit, whatever happens.
    """
    if module is None:
        from . import build as module
    if not progress.enabled:
        yield
        return
    saved: dict[str, object] = {}

    def wrap(name: str, make):
        original = getattr(module, name, None)
        if callable(original):
            saved[name] = original
            setattr(module, name, functools.wraps(original)(make(original)))

    def announcing(stage: str):
        def make(original):
            def wrapper(*args, **kwargs):
                progress(stage)
                return original(*args, **kwargs)
            return wrapper
        return make

    def counting(original):
        def wrapper(routes, renderer, sink, *args, **kwargs):
            total = len(routes) if hasattr(routes, "__len__") else None
            count = 0
            progress("rendering", 0, total)

            def counted(rel, data):
                nonlocal count
                sink(rel, data)
                count += 1
                progress("rendering", count, total)
            return original(routes, renderer, counted, *args, **kwargs)
        return wrapper

    wrap("discover", announcing("reading entries"))
    wrap("assemble", announcing("assembling"))
    wrap("_render_all", counting)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(module, name, original)
        progress.done()


def count_feeds(out_dir: Path) -> int:
    """Files named feed.xml, atom.xml or feed.json in a built site."""
    count = 0
    for _, _, files in os.walk(out_dir):
        count += sum(1 for name in files if name in FEED_NAMES)
    return count
