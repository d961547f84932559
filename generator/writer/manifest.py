"""What the write stage knows of each file: its `Outcome` in this build, its `Record` in the manifest.

The manifest lists every file of the last output with the fingerprint of its
inputs, the digest of its bytes and its stat, so that a rebuild renders only
what changed and writes only files whose bytes changed. It lives beside the
entry cache in .chorus-cache/ and, like every cache, is checked against the
disk before use and may be lost at any time: the next build is then a full one.
"""

from __future__ import annotations

import os
import pickle
import stat
from dataclasses import dataclass
from pathlib import Path

from ..cache import CACHE_DIR, SCHEMA, digest, discard_file


@dataclass(frozen=True)
class Outcome:
    """What this build did with one file of the output."""

    path: str
    fingerprint: str
    """Digest of the route's inputs; "" for a file that is not rendered (the search index)."""
    sha: str
    written: bool
    """False when the old file was kept (same inputs, or same bytes)."""
    size: int = 0
    inputs: tuple | None = None
    """The keys of the inputs its rendering read (generator/inputs.py)."""


@dataclass(frozen=True)
class Record:
    """One output file as the last build left it."""

    fingerprint: str
    """Digest of the route's inputs."""
    sha: str
    """Digest of the file's bytes."""
    size: int
    mtime_ns: int
    inode: int
    inputs: tuple | None = None
    """The keys of the inputs recorded while the file was rendered (generator/inputs.py); None for files
    that are not rendered (the search index)."""


class Manifest:
    """The output folder's files as the last build wrote them, checked against the disk before use.

    Like every cache, it may fail to be written (a full disk, a read-only site
    folder): the build goes on, and the next one is a full build.
    """

    def __init__(self, site_dir: Path, out_dir: Path):
        name = digest(str(out_dir.resolve()))[:16]
        self.path = site_dir / CACHE_DIR / f"manifest-{name}.pickle"
        self.pending: Path | None = None
        """The new manifest, written by prepare() and put in place by install()."""

    def load(self, out_dir: Path, file_mode: int) -> dict[str, Record]:
        """The records whose file is still exactly as written (size, mtime, inode and mode match)."""
        try:
            with open(self.path, "rb") as handle:
                stored = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        if not isinstance(stored, dict) or stored.get("schema") != SCHEMA:
            return {}
        valid = {}
        for rel, record in stored["records"].items():
            try:
                st = os.stat(out_dir / rel)
            except OSError:
                continue
            # A file of another mode (an older build, another umask) is written anew rather than kept.
            if (st.st_size, st.st_mtime_ns, st.st_ino, stat.S_IMODE(st.st_mode)) == (
                    record.size, record.mtime_ns, record.inode, file_mode):
                valid[rel] = record
        return valid

    def prepare(self, records: dict[str, Record]) -> None:
        """Write the new manifest beside the old one, before the output is swapped."""
        temp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        try:
            self.path.parent.mkdir(exist_ok=True)
            with open(temp, "wb") as handle:
                pickle.dump({"schema": SCHEMA, "records": records}, handle, pickle.HIGHEST_PROTOCOL)
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
