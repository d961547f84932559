"""Stage 6, write: the new site is written beside the output folder and swapped in whole.

A failed or interrupted build leaves the last good output untouched, and files
of entries that are gone do not linger (the new tree holds only this build's
files). A lock keeps two builds into one folder from mixing their trees.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildFailed, SourceError

MARKER = ".chorus-output"
"""An empty file in every built site: we only ever replace a folder that we built."""


class OutputTree:
    """A new output tree being written in a temporary folder beside the target."""

    def __init__(self, target: Path):
        self.target = target
        self.root = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))

    def matches(self, old: dict) -> bool:
        """Whether the output folder holds exactly the files of `old` (and no stray one)."""
        if not self.target.is_dir():
            return False
        count = 0
        pending = [("", str(self.target))]
        while pending:
            prefix, folder = pending.pop()
            with os.scandir(folder) as found:
                for item in found:
                    rel = prefix + item.name
                    if item.is_dir(follow_symlinks=False):
                        pending.append((rel + "/", item.path))
                    elif rel != MARKER:
                        if rel not in old:
                            return False
                        count += 1
        return count == len(old)

    def link_unchanged(self, paths: list[str]) -> None:
        """Unchanged files join the new tree as hard links: nothing is copied or rewritten."""
        made: set[str] = set()
        for rel in paths:
            parent = rel.rpartition("/")[0]
            if parent and parent not in made:
                (self.root / parent).mkdir(parents=True, exist_ok=True)
                made.add(parent)
            os.link(self.target / rel, self.root / rel)

    def records(self, outcomes) -> dict:
        """The manifest of the output as it now is."""
        from .cache import Record
        records = {}
        for outcome in sorted(outcomes, key=lambda o: o.path):
            st = os.stat(self.target / outcome.path)
            records[outcome.path] = Record(outcome.fingerprint, outcome.sha, st.st_size, st.st_mtime_ns, st.st_ino)
        return records

    def commit(self) -> None:
        """Swap the new tree in: rename the old away, the new in, then delete the old."""
        (self.root / MARKER).write_bytes(b"")
        old = None
        if self.target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
            os.rename(self.target, old / "site")
        os.rename(self.root, self.target)
        if old is not None:
            _remove_later(old)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _remove_later(folder: Path) -> None:
    """Delete the replaced tree in a detached process: freeing tens of thousands of files can take
    longer than the build, and nobody needs to wait for it. The next build removes what is left."""
    try:
        subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", str(folder)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def check_target(target: Path) -> None:
    """Refuse to replace a folder that is not a site we built (an editor's --out ~ must not wipe home)."""
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).exists())):
        raise BuildFailed([SourceError(str(target), 0, "the output folder exists and was not built by Chorus",
                                       "choose an empty or new folder with --out, or delete this one")])


@contextmanager
def locked(target: Path):
    """Hold an exclusive lock on the output folder and clear what an interrupted build left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in target.parent.glob(f".{target.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in sorted(target.parent.glob(f".{target.name}.old-*")):
            # Killed between the two renames of commit(): the last good site is here.
            if not target.exists() and (stale / "site").is_dir():
                os.rename(stale / "site", target)
            shutil.rmtree(stale, ignore_errors=True)
        yield
