"""What the write stage knows of each file: its `Outcome` in this build, its `Record` in the manifest.

The manifest lists every file of the last output with the fingerprint of its
inputs, the digest of its bytes and its stat, so that a rebuild renders only
what changed and writes only files whose bytes changed. It lives beside the
entry cache in .chorus-cache/ and, like every cache, is checked against the
disk before use and may be lost at any time: the next build is then a full one.

The files' stats are stored apart from the rest (their inputs are most of the
manifest): a build with nothing to do checks the output against them alone.

A file's inputs are stored as indices into the manifest's table of the distinct
inputs (`Manifest.pairs`), packed four bytes each: at 10,000 entries, 38,000
files read 780,000 inputs, of 36,000 distinct ones. Loaded that way, they make
no object per input, and an edit's build judges each distinct input once, from
the table, rather than gathering them again from every file (inputs.py).
"""

from __future__ import annotations

import os
import pickle
import secrets
import stat
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..cache import CACHE_DIR, SCHEMA, collector_paused, digest, discard_file
from ..inputs import PACKED


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
    inputs: tuple | bytes | None = None
    """The inputs its rendering read, as pairs (generator/inputs.py); for a file kept as the last build made it,
    its record's (packed indices into the last manifest's table)."""


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
    inputs: tuple | bytes | None = None
    """The inputs recorded while the file was rendered (pairs of a key and its digest then: generator/inputs.py):
    as loaded, the indices of its pairs in the manifest's table (`Manifest.pairs`), packed (inputs.PACKED); as
    made by this build, the pairs. None for files that are not rendered (the search index)."""


LAYOUT = "base+changes+pairs"
"""How the records are stored (see Manifest): a manifest stored otherwise is not read, and the next build is a
full one."""


class Manifest:
    """The output folder's files as the last build wrote them, checked against the disk before use.

    Stored as a base (every file's record when it was last written whole, in a file of its own that is never
    changed) and the changes since: an edit changes a few files of tens of thousands, and its manifest is the
    changes alone, pointing at the same base; a new base is written only when the changes grow past an eighth
    of the files or half the base's bytes.

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
        self.same = False
        """Whether prepare() found the stored manifest still right: install() then leaves it in place."""
        self.pending_base: Path | None = None
        """The new base prepare() wrote, if it wrote one: it goes with the pending manifest."""
        self._base: str | None = None
        """The name of the stored manifest's base, once loaded."""
        self._base_size = 0
        """Its size in bytes: changes that grow to half of it are folded into a new base."""
        self._changes: dict[str, tuple | None] = {}
        """The stored changes since the base: a record as a tuple, or None for a file gone."""
        self._paths: set[str] = set()
        """The files the stored manifest lists (those changed on disk since among them)."""
        self.pairs: list = []
        """The table of the loaded records' inputs: the base's pairs, then those the changes since added."""
        self._extra: list = []
        """The pairs the stored changes added to the base's (the end of `pairs`)."""
        self._index: dict | None = None
        """Each pair of `pairs` -> its index, made when records are packed (see _packed)."""

    def _stored(self) -> dict | None:
        """The stored manifest: "stats", "rest" and "pairs" (its base's), "changes", and "base" (the base's
        name)."""
        stored = _read(self.path)
        if stored is None or not isinstance(stored.get("base"), str) or not stored["base"].isalnum():
            return None
        base = _read(self._base_path(stored["base"]))
        if base is None:
            return None
        return {"stats": base.get("stats"), "rest": base.get("rest"), "pairs": base.get("pairs"),
                "changes": stored.get("changes"), "base": stored["base"]}

    def _base_path(self, name: str) -> Path:
        return self.path.with_name(f"{self.path.stem}.base-{name}")

    def stats(self) -> dict[str, tuple[int, int, int]] | None:
        """Each file's (size, mtime, inode) as the last build left it; None without a manifest."""
        stored = self._stored()
        if stored is None:
            return None
        try:
            stats = pickle.loads(stored["stats"])
            _apply(pickle.loads(stored["changes"])[1], stats)
        except _UNREADABLE:
            return None
        return stats

    def load(self, out_dir: Path, file_mode: int, lost: set[str] | None = None) -> dict[str, Record]:
        """The records whose file is still exactly as written (size, mtime, inode and mode match): each file is
        looked at, unless `lost` already says which are not (as_written found them, under the same lock)."""
        with collector_paused():
            return self._load(out_dir, file_mode, lost)

    def _load(self, out_dir: Path, file_mode: int, lost: set[str] | None) -> dict[str, Record]:
        stored = self._stored()
        if stored is None:
            return {}
        try:
            stats, rest, pairs = pickle.loads(stored["stats"]), pickle.loads(stored["rest"]), \
                pickle.loads(stored["pairs"])
            extra, changes = pickle.loads(stored["changes"])
            _apply(changes, stats, rest)
            pairs += extra
            if not _indices_within(rest.values(), len(pairs)):
                return {}
            if lost is None:
                lost = stats.keys() - as_written(stats, str(out_dir), file_mode).keys()
            valid = {}
            for rel, (size, mtime_ns, inode) in stats.items():
                kept = rest.get(rel)
                if kept is not None and rel not in lost:
                    valid[rel] = Record(kept[0], kept[1], size, mtime_ns, inode, kept[2])
        except _UNREADABLE:
            return {}
        self._base, self._changes, self._paths = stored["base"], changes, set(stats)
        self.pairs, self._extra, self._index = pairs, extra, None
        self._base_size = len(stored["stats"]) + len(stored["rest"]) + len(stored["pairs"])
        return valid

    def listed(self) -> set[str]:
        """The files the loaded manifest lists, those changed on disk since among them (see load)."""
        return self._paths

    def prepare(self, changed: dict[str, Record], paths: set[str], old: dict[str, Record]) -> None:
        """Write the new manifest beside the old one, before the output is swapped: it lists the files of
        `paths`, each with its record in `changed`, or else its loaded record in `old` (unchanged)."""
        gone = self._paths - paths
        if self._base is not None and not changed and not gone:
            self.same = True
            return
        temp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        try:
            self.path.parent.mkdir(exist_ok=True)
            base, encoded = self._base, b""
            if base is not None and 8 * len(self._changes.keys() | gone | changed.keys()) <= len(paths):
                changes = self._changes
                changes.update((rel, None) for rel in gone)
                changes.update((rel, (*record[:5], self._packed(record.inputs))) for rel, record in changed.items())
                encoded = pickle.dumps((self._extra, changes), pickle.HIGHEST_PROTOCOL)
            # Past an eighth of the files, or half the base's bytes, the changes are folded into a new base.
            if not encoded or 2 * len(encoded) > self._base_size:
                # A base of its own name: the one the installed manifest points at stays as it is.
                base, encoded = secrets.token_hex(8), pickle.dumps(([], {}), pickle.HIGHEST_PROTOCOL)
                self.pending_base = self._base_path(base)
                _write(self.pending_base, self._encoded({rel: changed.get(rel) or old[rel] for rel in sorted(paths)}))
            _write(temp, {"schema": SCHEMA, "layout": LAYOUT, "base": base, "changes": encoded})
            self.pending = temp
        except (OSError, pickle.PicklingError):
            discard_file(temp)
            self.discard()  # and the new base, if it was written

    def _packed(self, inputs: tuple | bytes | None) -> bytes | None:
        """A record's inputs as the stored changes keep them: the indices of its pairs in `pairs` (a pair not in
        it yet is added, as the changes' own)."""
        if inputs is None or isinstance(inputs, bytes):
            return inputs
        if self._index is None:
            self._index = _Numbering(self.pairs, self._extra)
        return array(PACKED, map(self._index.__getitem__, inputs)).tobytes()

    def _encoded(self, records: dict[str, Record]) -> dict:
        """A base: the records' stats, the rest (their inputs are most of the manifest), stored apart so that a
        build with nothing to do decodes the stats alone, and the table of the inputs' distinct pairs, made anew
        (the pairs no file reads any more are left out)."""
        table = _Numbering([])
        packed = [r.inputs for r in records.values() if isinstance(r.inputs, bytes)]
        renumbered = [0] * len(self.pairs)
        for number in sorted(set(array(PACKED, b"".join(packed)))):
            renumbered[number] = table[self.pairs[number]]
        rest = {}
        for rel, r in records.items():
            inputs = r.inputs
            if isinstance(inputs, bytes):
                inputs = array(PACKED, map(renumbered.__getitem__, array(PACKED, inputs))).tobytes()
            elif inputs is not None:
                inputs = array(PACKED, map(table.__getitem__, inputs)).tobytes()
            rest[rel] = (r.fingerprint, r.sha, inputs)
        stats = {rel: (r.size, r.mtime_ns, r.inode) for rel, r in records.items()}
        return {"schema": SCHEMA, "layout": LAYOUT, "stats": pickle.dumps(stats, pickle.HIGHEST_PROTOCOL),
                "rest": pickle.dumps(rest, pickle.HIGHEST_PROTOCOL),
                "pairs": pickle.dumps(table.pairs, pickle.HIGHEST_PROTOCOL)}

    def install(self) -> None:
        """Put the prepared manifest in place, after the swap; without one, forget the old (it is stale)."""
        if self.same:
            self.same = False
            return
        if self.pending is not None:
            try:
                os.replace(self.pending, self.path)
                self.pending = None
                kept = self.pending_base or (self._base_path(self._base) if self._base else None)
                self.pending_base = None
                self._discard_bases(kept)
                return
            except OSError:
                self.discard()
        discard_file(self.path)
        self._discard_bases(None)

    def discard(self) -> None:
        """Remove a prepared manifest that was not installed (the build failed), and its base."""
        self.same = False
        if self.pending is not None:
            discard_file(self.pending)
            self.pending = None
        if self.pending_base is not None:
            discard_file(self.pending_base)
            self.pending_base = None

    def _discard_bases(self, kept: Path | None) -> None:
        """Remove the bases no manifest points at (the one replaced, one a killed build wrote)."""
        try:
            found = list(self.path.parent.glob(f"{self.path.stem}.base-*"))
        except OSError:
            return
        for path in found:
            if path != kept:
                discard_file(path)


_UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, KeyError, TypeError,
               ValueError)
"""What a damaged or foreign manifest raises while it is read: it is then no manifest."""


def _apply(changes: dict[str, tuple | None], stats: dict, rest: dict | None = None) -> None:
    """Bring a base's stats (and the rest) to the changes since, in place."""
    for rel, change in changes.items():
        if change is None:
            stats.pop(rel, None)
            if rest is not None:
                rest.pop(rel, None)
        else:
            stats[rel] = (change[2], change[3], change[4])
            if rest is not None:
                rest[rel] = (change[0], change[1], change[5])


def as_written(stats: dict[str, tuple[int, int, int]], base: str, file_mode: int) -> dict[str, int]:
    """The inode of each file of `stats` (path -> size, mtime, inode) under `base` that is exactly as recorded:
    size, mtime, inode, and the mode this build makes files with (a file of another mode, from an older build
    or another umask, is written anew rather than kept). One stat per file, the cheapest comparison first."""
    found = {}
    stat_of = os.stat
    for rel, (size, mtime_ns, inode) in stats.items():
        try:
            st = stat_of(f"{base}/{rel}")
        except OSError:
            continue
        if st.st_ino == inode and st.st_mtime_ns == mtime_ns and st.st_size == size \
                and stat.S_IMODE(st.st_mode) == file_mode:
            found[rel] = inode
    return found


class _Numbering(dict):
    """Pair -> its index in a table of pairs: a pair not in it yet is added at its end (and to `added`), in C
    but for the new ones (a record reads 20 to 10,000 pairs)."""

    def __init__(self, pairs: list, added: list | None = None):
        super().__init__((pair, number) for number, pair in enumerate(pairs))
        self.pairs, self.added = pairs, added

    def __missing__(self, pair) -> int:
        number = self[pair] = len(self.pairs)
        self.pairs.append(pair)
        if self.added is not None:
            self.added.append(pair)
        return number


def _indices_within(rest, count: int) -> bool:
    """Whether every record's packed inputs are whole indices into a table of `count` pairs (a damaged manifest's
    may not be: it is then no manifest)."""
    packed = [kept[2] for kept in rest if kept[2] is not None]
    if any(len(inputs) % 4 for inputs in packed):
        return False
    joined = array(PACKED, b"".join(packed))
    return not joined or max(joined) < count


def _read(path: Path) -> dict | None:
    """A manifest file or a base, if it is one of this layout."""
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("schema") != SCHEMA or stored.get("layout") != LAYOUT:
        return None
    return stored


def _write(path: Path, stored: dict) -> None:
    with open(path, "wb") as handle:
        pickle.dump(stored, handle, pickle.HIGHEST_PROTOCOL)
