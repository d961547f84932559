"""The build state beside the site, in .chorus-cache/ (safe to delete at any time).

(a) Parsed entries, keyed by a digest of everything that changes the result:
    the file's path and bytes, its bundle's file list, site.yaml and the
    generator's version (Lektor's artifact_config_hashes). Stored in SQLite,
    which keeps two builds at once safe; an unreadable cache is deleted and
    rebuilt, never trusted.
(b) The output manifest: for every file of the last output, the fingerprint of
    its inputs, the digest of its bytes and its stat, so that a rebuild renders
    only what changed and writes only files whose bytes changed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from . import __version__

CACHE_DIR = ".chorus-cache"
SCHEMA = 1
"""Bump when the shape of cached values changes."""


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def code_digest() -> str:
    """Digest of the generator's own source: any change to the code invalidates what it made."""
    package = Path(__file__).parent
    parts = [__version__, str(SCHEMA)]
    for path in sorted(package.rglob("*.py")):
        parts += [str(path.relative_to(package)), path.read_bytes()]
    return digest(*parts)


def salt(code: str, config_bytes: bytes) -> str:
    """What every entry's digest includes: new code or a new site.yaml re-reads every entry."""
    return digest(code, config_bytes)


class EntryCache:
    """Parsed entries by digest, in SQLite."""

    def __init__(self, site_dir: Path):
        self.path = site_dir / CACHE_DIR / "entries.sqlite"
        self.db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(exist_ok=True)
            self._open()
        except (OSError, sqlite3.Error):
            self._reset()

    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB)")
        self.db.execute("SELECT count(*) FROM entries LIMIT 1").fetchone()

    def _reset(self) -> None:
        """A corrupt or unreadable cache is thrown away: it must never be the cause of a wrong site."""
        self._disable()
        try:
            self._open()
        except (OSError, sqlite3.Error):
            self._disable()  # build without a cache

    def get_many(self, keys: list[str]) -> dict[str, object]:
        if self.db is None or not keys:
            return {}
        found = {}
        try:
            for start in range(0, len(keys), 900):
                chunk = keys[start:start + 900]
                rows = self.db.execute(f"SELECT key, value FROM entries WHERE key IN ({','.join('?' * len(chunk))})",
                                       chunk).fetchall()
                for key, value in rows:
                    found[key] = pickle.loads(value)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            self._reset()
            return {}
        return found

    def put_many(self, items: list[tuple[str, object]]) -> None:
        if self.db is None or not items:
            return
        try:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)",
                                [(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) for key, value in items])
            self.db.execute("COMMIT")
        except (sqlite3.Error, OSError, pickle.PicklingError):
            self._disable()

    def prune(self, keep: set[str]) -> None:
        """Forget entries no longer in the site, so the cache does not grow forever."""
        if self.db is None:
            return
        try:
            stale = [k for (k,) in self.db.execute("SELECT key FROM entries") if k not in keep]
            if stale:
                self.db.execute("BEGIN")
                self.db.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in stale])
                self.db.execute("COMMIT")
        except (sqlite3.Error, OSError):
            self._disable()

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                self._disable()

    def _disable(self) -> None:
        """A cache that cannot be written (a full disk, a read-only folder) is dropped, never half-trusted:
        the build goes on without it, and the next one rebuilds it."""
        db, self.db = self.db, None
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass
        for suffix in ("", "-wal", "-shm"):
            _unlink(Path(str(self.path) + suffix))


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
            _unlink(temp)
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
        _unlink(self.path)

    def discard(self) -> None:
        """Remove a prepared manifest that was not installed (the build failed)."""
        if self.pending is not None:
            _unlink(self.pending)
            self.pending = None


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
