"""What the write stage knows of each file: its `Outcome` in this build, its `Record` in the manifest.

The manifest lists every file of the last output with the fingerprint of its
inputs, the digest of its bytes and its stat, so that a rebuild renders only
what changed and writes only files whose bytes changed. It lives beside the
entry cache in .chorus-cache/ and, like every cache, is checked against the
disk before use and may be lost at any time: the next build is then a full one.

The files' stats are stored apart from the rest (their inputs are most of the
manifest): a build with nothing to do checks the output against them alone.
"""

from __future__ import annotations

import os
import pickle
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..cache import CACHE_DIR, SCHEMA, collector_paused, digest, discard_file


@dataclass(frozen=True, slots=True)
class Outcome:
    """What this build did with one file of the output (one per file: slots, no dict of its own)."""

    path: str
    fingerprint: str
    """Digest of the route's inputs; "" for a file that is not rendered (the search index)."""
    sha: str
    written: bool
    """False when the old file was kept (same inputs, or same bytes)."""
    size: int = 0
    inputs: tuple | None = None
    """The keys of the inputs its rendering read (generator/inputs.py)."""


class Record(NamedTuple):
    """One output file as the last build left it (a named tuple: a manifest holds one per file, and a build
    makes them all when it loads it)."""

    fingerprint: str
    """Digest of the route's inputs."""
    sha: str
    """Digest of the file's bytes."""
    size: int
    mtime_ns: int
    inode: int
    inputs: tuple | None = None
    """The inputs recorded while the file was rendered, as pairs (key, digest then): generator/inputs.py;
    None for files that are not rendered (the search index)."""


class Manifest:
    """The output folder's files as the last build wrote them, checked against the disk before use.

    Like every cache, it may fail to be written (a full disk, a read-only site
    folder): the build goes on, and the next one is a full build.
    """

    def __init__(self, site_dir: Path, out_dir: Path):
        name = digest(str(out_dir.resolve()))[:16]
        self.path = site_dir / CACHE_DIR / f"manifest-{name}.pickle"
        self.spare = site_dir / CACHE_DIR / f"spare-{name}"
        """Where the tree the last build replaced is kept, for the next to start from (see tree.py)."""
        self.pending: Path | None = None
        """The new manifest, written by prepare() and put in place by install()."""

    def _stored(self) -> dict | None:
        try:
            with open(self.path, "rb") as handle:
                stored = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("schema") != SCHEMA:
            return None
        return stored

    def stats(self) -> dict[str, tuple[int, int, int]] | None:
        """Each file's (size, mtime, inode) as the last build left it; None without a manifest."""
        stored = self._stored()
        return stored["stats"] if stored is not None else None

    def load(self, out_dir: Path, file_mode: int) -> dict[str, Record]:
        """The records whose file is still exactly as written (size, mtime, inode and mode match)."""
        with collector_paused():
            return self._load(out_dir, file_mode)

    def _load(self, out_dir: Path, file_mode: int) -> dict[str, Record]:
        stored = self._stored()
        if stored is None:
            return {}
        try:
            rest = pickle.loads(stored["rest"])
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        valid = {}
        base = str(out_dir)
        for rel, (size, mtime_ns, inode) in stored["stats"].items():
            try:
                st = os.stat(f"{base}/{rel}")
            except OSError:
                continue
            # A file of another mode (an older build, another umask) is written anew rather than kept.
            if (st.st_size, st.st_mtime_ns, st.st_ino, stat.S_IMODE(st.st_mode)) == (size, mtime_ns, inode, file_mode):
                kept = rest.get(rel)
                if kept is not None:
                    valid[rel] = Record(kept[0], kept[1], size, mtime_ns, inode, kept[2])
        return valid

    def prepare(self, records: dict[str, Record]) -> None:
        """Write the new manifest beside the old one, before the output is swapped."""
        temp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        try:
            self.path.parent.mkdir(exist_ok=True)
            stats = {rel: (r.size, r.mtime_ns, r.inode) for rel, r in records.items()}
            rest = pickle.dumps({rel: (r.fingerprint, r.sha, r.inputs) for rel, r in records.items()},
                                pickle.HIGHEST_PROTOCOL)
            with open(temp, "wb") as handle:
                pickle.dump({"schema": SCHEMA, "stats": stats, "rest": rest}, handle, pickle.HIGHEST_PROTOCOL)
            self.pending = temp
        except (OSError, pickle.PicklingError):
            discard_file(temp)
            self.pending = None

    def install(self) -> None:
        """Put the prepared manifest in place, after the swap; without one, forget the old (it is stale)."""
        if self.pending is not None:
            try:
                os.replace(self.pending, self.path)
                self.pending = None
                return
            except OSError:
                self.discard()
        discard_file(self.path)

    def discard(self) -> None:
        """Remove a prepared manifest that was not installed (the build failed)."""
        if self.pending is not None:
            discard_file(self.pending)
            self.pending = None
