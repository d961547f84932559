"""Progress of a long build on a terminal, and the counts of the one-line summary.

`Progress` is a callable `progress(stage, done, total)`: it redraws one status
line on stderr ("rendering 1200/5400"), at most ten times a second, and only
when stderr is a terminal, so logs, pipes and tests never see it. `done()`
clears the line before the summary is printed.

build() calls it at each stage, and for every chunk of routes rendered.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

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
