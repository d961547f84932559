"""The build state beside the site, in .chorus-cache/ (safe to delete at any time).

Parsed entries, keyed by a digest of everything that changes the result: the
file's path and bytes, its bundle's file list, site.yaml and the generator's
version (Lektor's artifact_config_hashes). Beside them, each source's stat
signature and the digest of its bytes (a file whose stat is unchanged is not
read again), and the entries that passed the privacy check, by entry and
private people. Stored in SQLite, which keeps two builds at once safe; an
unreadable cache is deleted and rebuilt, never trusted.

`BuildState` says what the last published build was made from (the digest of
all its inputs) and what it reported: a build with the very same inputs, whose
output is as that build left it, has nothing to do. The output manifest, also
kept here, belongs to the write stage (generator/writer/manifest.py).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import os
import pickle
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from . import __version__
from .bodies import BodyFile, encoded_of
from .embeds import Embed
from .entries import STATUSES, Author, Entry, FrontMatter, Link, Media, Person, Post, PostBlock, Source, Tag, Withdrawal
from .errors import Code, SourceError
from .kinds import KINDS
from .markup import ABSOLUTE_LINK, PAGE_LINK, PATH_LINK, SOURCE_LINK
from .platforms import PLATFORMS
from .schema import When
from .sources import SourceFile

CACHE_DIR = ".chorus-cache"
SCHEMA = 5
"""Bump when the shape of cached values changes (entries, sources, the output manifest, the build state)."""


def digest(*parts: bytes | str) -> str:
    """SHA-256 of the parts, each preceded by its length (so that no two lists of parts hash alike)."""
    h = hashlib.sha256()
    if len(parts) > 2:
        # One update of the joined parts hashes the same bytes as one update per part, in fewer calls.
        encoded = [part.encode("utf-8") if isinstance(part, str) else part for part in parts]
        h.update(b"".join(piece for data in encoded for piece in (len(data).to_bytes(8, "little"), data)))
        return h.hexdigest()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def joined_digest(*parts: str) -> str:
    """SHA-256 of parts that hold no NUL (hex digests, paths, numbers), joined by NUL: one hash of one string,
    cheaper than `digest` where it runs once per entry or per listing page."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def code_digest() -> str:
    """Digest of the generator's own source: any change to the code invalidates what it made."""
    package = Path(__file__).parent
    parts = [__version__, str(SCHEMA)]
    for path in sorted(package.rglob("*.py")):
        parts += [str(path.relative_to(package)), path.read_bytes()]
    return digest(*parts)


@contextmanager
def collector_paused() -> Iterator[None]:
    """While many objects that live on are made (entries unpickled, the site assembled, the manifest loaded),
    the cyclic garbage collector would walk all of them again each time they grew by a quarter, and find
    nothing to free: it is paused meanwhile, and what was made is then frozen (left out of the collections to
    come, the first of which would otherwise walk it all: 0.1 s at 10,000 entries) until the build ends
    (collections_spaced)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


@contextmanager
def collections_spaced() -> Iterator[None]:
    """For the length of a build: the cyclic garbage collector runs after 50,000 new objects instead of 700.
    A build keeps nearly all it makes (entries, the site, routes, the manifest), so each frequent collection
    walked a growing heap to free little: at 10,000 entries they cost 0.7 s of a 5 s edit. What a build
    does let go of is freed by reference counting; the rare cycles are still collected."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 50_000), max(thresholds[1], 20), max(thresholds[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()  # what collector_paused froze: a server's next build must be able to free it


ROW_RECORDS = (Entry, SourceFile, FrontMatter, When, Tag, Author, Source, Withdrawal, Person, Media, Post, PostBlock,
               Embed, Link, SourceError)
"""The records a read result is made of: an entry-cache row keeps each as its class and its fields' values."""

SHARED_LINES = 40
"""An entry's (front-matter key, line) pairs up to this line are shared by every row: see RowFormat."""


class RowFormat:
    """How entry-cache rows are pickled, and unpickled again at the start of every build (10,000 rows at 10k).

    Pickled as they are, each row would repeat every record's field names (a dict per record), look each class
    up by its module and name, and make the site's timezone again. Here a record is its class and its fields'
    values, made again by the class itself (its frozen __init__: the instance keeps its values without a dict
    of its own); what every row holds (the classes, the field names, the timezones, a few common words, and
    the pairs of Entry.line_of, mostly the same few in every entry) is a persistent id, one object for all
    rows. The table of ids is derived from the code, as are the rows' keys (salt()): no row is read by code
    with another table."""

    def __init__(self) -> None:
        self.fields = {record: tuple(field.name for field in dataclasses.fields(record)) for record in ROW_RECORDS
                       if all(field.init and not field.kw_only for field in dataclasses.fields(record))}
        words = sorted({name for names in self.fields.values() for name in names}
                       | {kind.name for kind in KINDS} | set(STATUSES) | set(PLATFORMS)
                       | {SOURCE_LINK, PATH_LINK, PAGE_LINK, ABSOLUTE_LINK})
        lines = [(name, line) for name in self.fields[FrontMatter] for line in range(1, SHARED_LINES + 1)]
        shared = (*ROW_RECORDS, datetime, *Code, *words, *lines)
        self.ids = {id(thing): pid for pid, thing in enumerate(shared) if not isinstance(thing, (str, tuple))}
        """Persistent ids of the classes and enum members, by identity."""
        self.values = {value: pid for pid, value in enumerate(shared) if isinstance(value, (str, tuple))}
        """Persistent ids of the words and line pairs, by value."""
        self.shared = _Shared(enumerate(shared))

    def row(self, key: str, result) -> tuple[str, bytes, bytes | None]:
        """A read result (entry, errors) as the entry cache keeps it: the key, the result pickled without the
        entry's body, and the body's UTF-8 bytes (None without an entry)."""
        data = io.BytesIO()
        _RowPickler(data, self).dump(result)
        entry = result[0] if isinstance(result, tuple) and result else None
        return key, data.getvalue(), encoded_of(entry.body) if isinstance(entry, Entry) else None

    def result(self, value: bytes):
        """A row's result as pickled by `row` (its entry without a body)."""
        unpickler = pickle.Unpickler(io.BytesIO(value))
        unpickler.persistent_load = self.shared.__getitem__  # a lookup in C for each id: no Python call
        return unpickler.load()

    def results(self, rows: list[tuple[str, bytes, bytes | None]], bodies: BodyFile) -> list:
        """The read results (entry, errors) of rows made by `row`, each entry given its body, the bodies written
        to `bodies` together. Raises pickle.UnpicklingError for a row of another format."""
        results = [(self.result(value), body) for _, value, body in rows]
        for result, body in results:
            if not (type(result) is tuple and len(result) == 2 and isinstance(result[1], (list, tuple))
                    and (result[0] is None and body is None or type(result[0]) is Entry and body is not None)):
                raise pickle.UnpicklingError("not a row of this format")  # written by another version
        written = iter(bodies.put_many_encoded([body for _, body in results if body is not None]))
        return [(entry.given_body(next(written)), errors) if entry is not None else (None, errors)
                for (entry, errors), _ in results]


class _Shared(dict):
    """Persistent id -> object; a timezone is named by its key."""

    def __missing__(self, pid):
        if not isinstance(pid, str):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        try:
            zone = self[pid] = ZoneInfo(pid)
        except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise pickle.UnpicklingError(f"unknown timezone {pid!r}") from exc
        return zone


class _RowPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, form: RowFormat):
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.form = form

    def persistent_id(self, obj: object) -> int | str | None:
        if type(obj) is str:
            return self.form.values.get(obj)
        if type(obj) is tuple:  # a line pair?
            return self.form.values.get(obj) if len(obj) == 2 and type(obj[0]) is str and type(obj[1]) is int else None
        if type(obj) is ZoneInfo:
            # Only a zone from ZoneInfo's cache is the one ZoneInfo(key) gives back (as its own pickling assumes).
            return obj.key if obj.key is not None and ZoneInfo(obj.key) is obj else None
        return self.form.ids.get(id(obj))

    def reducer_override(self, obj: object):
        names = self.form.fields.get(type(obj))
        if names is None:
            return NotImplemented
        values = [getattr(obj, name) for name in names]
        if type(obj) is Entry:
            values[names.index("body")] = ""  # the body is kept in the row's body column
        return type(obj), tuple(values)


def salt(code: str, config_bytes: bytes) -> str:
    """What every entry's digest includes: new code or a new site.yaml re-reads every entry."""
    return digest(code, config_bytes)


class EntryCache:
    """Parsed entries by digest, in SQLite."""

    def __init__(self, site_dir: Path):
        self.path = site_dir / CACHE_DIR / "entries.sqlite"
        self.db: sqlite3.Connection | None = None
        self.bodies: BodyFile | None = None
        self.form: RowFormat | None = None
        try:
            self.path.parent.mkdir(exist_ok=True)
            self._open()
        except (OSError, sqlite3.Error):
            self._reset()

    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            # Written by another version: its rows may not mean what this one reads them as.
            self.db.execute("BEGIN IMMEDIATE")
            for table in ("entries", "sources", "checked"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            # An entry's body (most of its bytes) apart from the rest: a build writes it to its body file as it
            # is, without decoding and encoding it again (generator/bodies.py).
            self.db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB, body BLOB)")
            self.db.execute("CREATE TABLE sources (path TEXT PRIMARY KEY, signature TEXT, sha TEXT)")
            self.db.execute("CREATE TABLE checked (key TEXT PRIMARY KEY)")
            self.db.execute(f"PRAGMA user_version = {SCHEMA}")
            self.db.execute("COMMIT")
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
        found: dict[str, object] = {}
        try:
            with collector_paused():
                for rows in self._rows(keys):
                    self._take(rows, found)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
                KeyError, IndexError):
            self._reset()
            return {}
        return found

    def _rows(self, keys: list[str]) -> Iterator[list[tuple[str, bytes, bytes | None]]]:
        """The rows of `keys`, some hundreds at a time. When they are most of the table (a build after the first),
        it is read through in one pass rather than looked up key by key."""
        (count,) = self.db.execute("SELECT count(*) FROM entries").fetchone()
        if 2 * len(keys) >= count:
            wanted = set(keys)
            cursor = self.db.execute("SELECT key, value, body FROM entries")
            while rows := cursor.fetchmany(900):
                yield [row for row in rows if row[0] in wanted]
            return
        for start in range(0, len(keys), 900):
            chunk = keys[start:start + 900]
            yield self.db.execute(f"SELECT key, value, body FROM entries WHERE key IN "
                                  f"({','.join('?' * len(chunk))})", chunk).fetchall()

    def _take(self, rows: list[tuple[str, bytes, bytes | None]], found: dict[str, object]) -> None:
        """Read results (entry, errors) from their rows, each entry given its body, the bodies written to the body
        file together."""
        for (key, _, _), result in zip(rows, self._form().results(rows, self._bodies())):
            found[key] = result

    def _form(self) -> RowFormat:
        if self.form is None:
            self.form = RowFormat()
        return self.form

    def _bodies(self) -> BodyFile:
        """Where the bodies of the entries taken from the cache are kept (generator/bodies.py)."""
        if self.bodies is None:
            self.bodies = BodyFile(self.path.parent)
        return self.bodies

    def put_many(self, items: list[tuple[str, object]]) -> None:
        if self.db is None or not items:
            return
        try:
            self.db.execute("BEGIN")
            # One entry pickled at a time: an archive's entries pickled at once would weigh more than the entries.
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                                (self._form().row(key, value) for key, value in items))
            self.db.execute("COMMIT")
        except (sqlite3.Error, OSError, pickle.PicklingError):
            self._disable()

    def prune(self, keep: set[str]) -> None:
        """Forget entries no longer in the site, so the cache does not grow forever."""
        self._prune("entries", "key", keep)

    def _prune(self, table: str, column: str, keep: set[str]) -> None:
        if self.db is None:
            return
        try:
            stale = [k for (k,) in self.db.execute(f"SELECT {column} FROM {table}") if k not in keep]
            if stale:
                self.db.execute("BEGIN")
                self.db.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(k,) for k in stale])
                self.db.execute("COMMIT")
        except (sqlite3.Error, OSError):
            self._disable()

    # ---- sources: each file's stat signature and the digest of its bytes ----

    def sources(self) -> dict[str, tuple[str, str]]:
        """Source path -> (stat signature, digest of its bytes) as last read."""
        if self.db is None:
            return {}
        try:
            return {path: (signature, sha) for path, signature, sha in self.db.execute("SELECT * FROM sources")}
        except sqlite3.Error:
            self._reset()
            return {}

    def put_sources(self, changed: dict[str, tuple[str, str]], gone: set[str]) -> None:
        """Record the sources read again, and forget those that are gone."""
        if self.db is None or not (changed or gone):
            return
        try:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
                                [(path, signature, sha) for path, (signature, sha) in changed.items()])
            self.db.executemany("DELETE FROM sources WHERE path = ?", [(path,) for path in gone])
            self.db.execute("COMMIT")
        except (sqlite3.Error, OSError):
            self._disable()

    # ---- the privacy check: entries that passed it, by entry and private people ----

    def checked(self) -> set[str]:
        """Keys (see site.check_key) of the entries that passed the privacy check."""
        if self.db is None:
            return set()
        try:
            return {key for (key,) in self.db.execute("SELECT key FROM checked")}
        except sqlite3.Error:
            self._reset()
            return set()

    def put_checked(self, passed: set[str], known: set[str]) -> None:
        """Record the entries that passed this time, and forget the others (`known`: what was recorded)."""
        if self.db is None:
            return
        new = passed - known
        if new:
            try:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO checked VALUES (?)", [(key,) for key in new])
                self.db.execute("COMMIT")
            except (sqlite3.Error, OSError):
                self._disable()
                return
        if known - passed:
            self._prune("checked", "key", passed)

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


@dataclass(frozen=True)
class BuildState:
    """What the last published build into one output folder was made from, and what it reported."""

    inputs: str
    """The digest of everything the build read (see build.py: _inputs_digest)."""
    manifest: tuple[int, int, int]
    """The output manifest that build installed (inode, size, mtime): another build since makes another."""
    umask: int
    """The umask the output's files and folders were made with."""
    entries: int
    pages: int
    feeds: int
    warnings: tuple[SourceError, ...]
    outputs: int = 0
    """The files of the output folder."""
    search: tuple[tuple[str, str], ...] = ()
    """Each search shard published, with its fingerprint: the next build's guess of what to index first."""


def state_path(site_dir: Path, out_dir: Path) -> Path:
    return site_dir / CACHE_DIR / f"state-{digest(str(out_dir.resolve()))[:16]}.pickle"


def load_state(path: Path) -> BuildState | None:
    return load_stored(path, "state", BuildState)


def save_state(path: Path, state: BuildState | None) -> None:
    """Record the state of a build just published (None: forget it). Losing it only costs a full build."""
    if state is None:
        discard_file(path)
    else:
        store(path, "state", state)


def load_stored(path: Path, field: str, kind: type):
    """What `store` put in the file under `field`, if it is a `kind` written under this SCHEMA; else None (an
    unreadable file, an older build's, or none at all)."""
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("schema") != SCHEMA or not isinstance(stored.get(field), kind):
        return None
    return stored[field]


def store(path: Path, field: str, value) -> None:
    """Pickle `value` into the file whole, then put it in place; a file of the cache that cannot be written is
    removed rather than left stale."""
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(exist_ok=True)
        with open(temp, "wb") as handle:
            pickle.dump({"schema": SCHEMA, field: value}, handle, pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except (OSError, pickle.PicklingError):
        discard_file(temp)
        discard_file(path)


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of a file, None if it is not there: a file replaced by os.replace has a new inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def current_umask() -> int | None:
    """The process's umask, read without changing it (Linux); None where it cannot be."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def discard_file(path: Path) -> None:
    """Delete a file of the cache if it is there: a cache that cannot be cleaned up is no error."""
    try:
        os.unlink(path)
    except OSError:
        pass
