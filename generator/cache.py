"""The build state beside the site, in .chorus-cache/ (safe to delete at any time).

Parsed entries, keyed by a digest of everything that changes the result: the
file's path and bytes, its bundle's file list, site.yaml and the generator's
version (Lektor's artifact_config_hashes). Stored in SQLite, which keeps two
builds at once safe; an unreadable cache is deleted and rebuilt, never trusted.
The output manifest, also kept there, belongs to the write stage
(generator/writer/manifest.py).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from pathlib import Path

from . import __version__

CACHE_DIR = ".chorus-cache"
SCHEMA = 2
"""Bump when the shape of cached values changes (entries, or the output manifest's records)."""


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
            discard_file(Path(str(self.path) + suffix))


def discard_file(path: Path) -> None:
    """Delete a file of the cache if it is there: a cache that cannot be cleaned up is no error."""
    try:
        os.unlink(path)
    except OSError:
        pass
