"""What each output file is made from, recorded while it is rendered (Lektor's build state).

While a route renders, every input its view models read is recorded as a key: an
entry, a tag, a term list, a page of a listing, an entry's links and responses,
an embedded thread, a bundle file. Nothing is listed by hand: the views record
what they read, as they read it. Each file's manifest record keeps its inputs as
pairs (key, digest of that input then). The next build computes the current
digest of each key from the newly assembled site (`Inputs.value`), once per key
however many files read it, and re-renders exactly the files one of whose pairs
changed. What every file shares (the code, site.yaml, navigation, private
people) is the shell digest, the input SHELL of every file. The templates and
the theme's files are the input THEME, recorded as any other when a template
or theme file is read: a file made without one (a citation, the open data's
rows) is not made again when a template changes.

Parts of a file kept between builds (`Stores`, used by RenderContext.stored)
are judged the same way, by the pairs of what each part read.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .cache import digest, discard_file, joined_digest, load_stored, store
from .site import Listing, Site
from .sources import file_signature

Key = tuple[str, ...]
Pair = tuple[Key, str]
"""An input as a file was made from it: its key, and its digest then."""

PACKED = "I"
"""The array type of a file's inputs packed as indices into a table of pairs (4 bytes each), as the output
manifest keeps them (generator/writer/manifest.py)."""

SHELL: Key = ("shell",)
"""The input every file is made from: code, site.yaml, navigation, private people."""
THEME: Key = ("theme",)
"""The input of what is made with a template or a theme file: layouts/ and the built-in theme, digested whole."""


class Recorder:
    """Collects the keys read while something is computed; recordings nest (a memo inside a page)."""

    def __init__(self):
        self._open: list[set[Key]] = []
        self._interned: dict[Key, Key] = {}
        """One tuple per key, so that the manifest pickles each key once."""

    def record(self, *key: str) -> None:
        if self._open:
            key = self._interned.setdefault(key, key)
            for keys in self._open:
                keys.add(key)

    def replay(self, keys) -> None:
        for keys_open in self._open:
            keys_open.update(keys)

    @contextmanager
    def recording(self) -> Iterator[set[Key]]:
        keys: set[Key] = set()
        self._open.append(keys)
        try:
            yield keys
        finally:
            self._open.pop()


_SHARED_PAIRS = 1000
"""Sets of pairs at least this large are remembered by `Inputs.recorded` (few files have them; a cold build makes
tens of thousands of small ones, not worth keeping)."""


class Inputs:
    """The current digest of every kind of recorded key, computed from the assembled site once each."""

    def __init__(self, site: Site, site_dir: Path, tag_title: Callable[[str], str], shell: str, theme: str):
        self.site = site
        self.site_dir = site_dir
        self._tag_title = tag_title
        self._shell = shell
        self._theme = theme
        self._now_ns = time.time_ns()
        """When a bundle file is judged by its stat or by its bytes (sources.file_signature): once per build,
        so that every process values it alike."""
        self._values: dict[Key, str] = {}
        self._pairs: dict[Key, Pair] = {}
        self._ordered: dict[frozenset[Pair], tuple[tuple[Pair, ...], str]] = {}
        """Large sets of pairs in their order, with their digest (see recorded)."""
        self._listings: dict[str, Listing] | None = None
        self._listing_pages: dict[str, dict[str, str]] = {}
        self._entry_values: dict[str, str] | None = None
        self._entries: dict | None = None
        self._seen: set[Pair] = set()
        self._changed: set[Pair] = set()
        """Of the pairs recorded by the last build that were seen in this one, those whose digest changed."""
        self._kinds = {"entry": self._entry, "tag": self._tag, "terms": self._terms, "listing": self._listing,
                       "related": self._related, "archive": self._archive, "responses": self._responses,
                       "links": self._links, "thread": self._thread, "feed": self._feed, "home": self._home,
                       "entries": self._all_entries, "dates": self._dates, "file": self._file,
                       "shell": self._shell_value, "theme": self._theme_value}

    def value(self, key: Key) -> str:
        found = self._values.get(key)
        if found is None:
            # A key of no known kind is a bug: it would never change, and its file never be made again.
            found = self._values[key] = self._kinds[key[0]](*key[1:])
        return found

    def pairs(self, keys) -> frozenset[Pair]:
        """The keys read while something was made, each with its digest now: what its record keeps. One tuple
        per pair however many files read it (a record holds many, and a worker sends them back pickled)."""
        return frozenset(self._pair(key) for key in keys)

    def _pair(self, key: Key) -> Pair:
        found = self._pairs.get(key)
        if found is None:
            found = self._pairs[key] = (key, self.value(key))
        return found

    def still(self, pairs) -> bool:
        """Whether every input of these pairs (recorded by an earlier build) has the same digest now."""
        if (SHELL, self._shell) not in pairs:
            # New code or site.yaml: nothing else needs valuing (nor could be, by older code's keys).
            return False
        if not self._seen.issuperset(pairs):
            for pair in pairs:
                if pair not in self._seen:
                    self._seen.add(pair)
                    if self.value(pair[0]) != pair[1]:
                        self._changed.add(pair)
        return self._changed.isdisjoint(pairs)

    def still_each(self, recorded: list) -> list[bool]:
        """`still` of each of many files' pairs (an empty one is never still), judged together: each distinct
        pair is valued once, and a file is still when none of its pairs changed (one set operation in C instead
        of a loop in Python per file: 38,000 files and 780,000 pairs at 10,000 entries)."""
        distinct = set().union(*recorded)
        current = (SHELL, self._shell)
        if any(pair[0] == SHELL and pair != current for pair in distinct):
            # Files made by other code: theirs are judged one at a time, without valuing keys it may not know.
            return [bool(pairs) and self.still(pairs) for pairs in recorded]
        fresh = distinct - self._seen
        self._changed.update(pair for pair in fresh if self.value(pair[0]) != pair[1])
        self._seen |= fresh
        return [bool(pairs) and self._changed.isdisjoint(pairs) for pairs in recorded]

    def still_packed(self, table: list[Pair], packed: list[bytes | None]) -> list[bool]:
        """`still_each` of the files of the last manifest, whose inputs are the indices of their pairs in its table
        (generator/writer/manifest.py), packed: the table is each distinct pair once, valued once; a file is
        still when none of its indices is of a pair that changed. No pair is gathered from any file."""
        current = (SHELL, self._shell)
        shells = [number for number, pair in enumerate(table) if pair[0] == SHELL]
        if any(table[number] != current for number in shells):
            # Files made by other code: judged one at a time, without valuing keys it may not know.
            return self.still_each([unpacked(table, numbers) if numbers else () for numbers in packed])
        if not shells:
            return [False] * len(packed)
        fresh = set(table) - self._seen
        self._changed.update(pair for pair in fresh if self.value(pair[0]) != pair[1])
        self._seen |= fresh
        changed = {number for number, pair in enumerate(table) if pair in self._changed}
        # A file made by this code reads the shell: every file's inputs hold its index.
        return [bool(numbers) and changed.isdisjoint(memoryview(numbers).cast(PACKED)) for numbers in packed]

    def value_site(self) -> None:
        """Value now the keys made from the whole site (every entry's, every listing page's, the archive's
        shape), which an edit's build judges its files by: done while the write stage loads the last manifest
        in a thread, which mostly waits on the disk."""
        self._all_entry_values()
        for path in self._all_listings():
            self._pages(path)
        for kind in (("dates",), ("entries",), ("home",), ("archive",)):
            self.value(kind)

    def recorded(self, path: str, pairs: frozenset[Pair]) -> tuple[tuple[Pair, ...], str]:
        """What a file's record keeps of the pairs it was made from: the pairs in their order, and its fingerprint
        (a digest of its path and of them). The files made from every entry (the open data's six, with 10,000
        pairs each at 10,000 entries) read the same keys: each set that large is ordered and digested once."""
        found = self._ordered.get(pairs) if len(pairs) >= _SHARED_PAIRS else None
        if found is None:
            ordered = tuple(sorted(pairs))
            found = (ordered, digest(*(f"{'/'.join(key)}\0{value}" for key, value in ordered)))
            if len(pairs) >= _SHARED_PAIRS:
                self._ordered[pairs] = found
        return found[0], digest(path, found[1])

    # ---- one function per kind of key ----

    def _entry(self, path: str) -> str:
        return self._all_entry_values().get(path, "gone")

    def _all_entry_values(self) -> dict[str, str]:
        if self._entry_values is None:
            # All at once (one per entry page, feed item, citation...: 10,000 calls at 10,000 entries).
            urls = self.site.urls
            self._entry_values = {path: f"{entry.digest}:{urls.get(path, '')}"  # a digest and a URL: no hashing
                                  for path, entry in self._by_path().items()}
        return self._entry_values

    def _by_path(self) -> dict:
        if self._entries is None:
            # Threads that are not built (drafts) can still be embedded: they are entries to look up too.
            self._entries = {e.path: e for e in self.site.threads.values()}
            self._entries.update((e.path, e) for e in self.site.entries)
        return self._entries

    def _tag(self, key: str) -> str:
        return self._tag_title(key)

    def _terms(self, taxonomy: str) -> str:
        return digest(*(f"{t.key}\0{t.title}\0{len(t.entries)}\0{t.lang}" for t in self.site.terms[taxonomy]))

    def _listing(self, path: str, number: str) -> str:
        found = self._pages(path).get(number)
        if found is None:
            listing = self._all_listings().get(path)
            return "gone" if listing is None else _joined(listing.title, str(len(listing.entries)))  # no such page
        return found

    def _pages(self, path: str) -> dict[str, str]:
        pages = self._listing_pages.get(path)
        if pages is None:
            pages = self._listing_pages[path] = self._pages_of(path)
        return pages

    def _pages_of(self, path: str) -> dict[str, str]:
        """The digest of each page of a listing, by page number: a listing's pages are valued together."""
        listing = self._all_listings().get(path)
        if listing is None:
            return {}
        per_page = self.site.config.pagination
        paths = [e.source.path for e in listing.entries]
        count = str(len(paths))
        return {str(page + 1): _joined(listing.title, count, *paths[start:start + per_page])
                for page, start in enumerate(range(0, len(paths), per_page))}

    def _all_listings(self) -> dict[str, Listing]:
        if self._listings is None:
            listings = [listing for listing, _ in self.site.listings()] + self.site.feed_listings()
            listings += [listing for listing, _, _ in self.site.archive_listings()]
            self._listings = {listing.path: listing for listing in listings}
        return self._listings

    def _related(self, path: str) -> str:
        return digest(*(f"{p.path}\0{p.title}\0{len(p.entries)}" for p in self.site.intersections
                        if p.region.path == path or p.sector.path == path))

    def _archive(self) -> str:
        return digest(*(f"{year}/{month}\0{len(entries)}" for year, months in self.site.archive.items()
                        for month, entries in months.items()))

    def _responses(self, path: str) -> str:
        site = self.site
        responses, responds_to = site.responses.get(path, ()), site.responds_to.get(path, ())
        withdrawn = site.withdrawn_responses.get(path, 0)
        if not responses and not responds_to and not withdrawn:
            return "none"  # most entries: nothing to digest
        return digest(*(e.path for e in responses), "\0", *(e.path for e in responds_to), str(withdrawn))

    def _links(self, path: str) -> str:
        targets = self.site.link_targets.get(path)
        if not targets:
            return "none"
        return digest(*sorted(f"{k}\0{v}" for k, v in targets.items()))

    def _thread(self, slug: str) -> str:
        thread = self.site.threads.get(slug)
        return digest(thread.path, self._entry(thread.path)) if thread is not None else "gone"

    def _feed(self, path: str) -> str:
        listing = self._all_listings().get(path)
        if listing is None:
            return "gone"
        return _joined(listing.title, *(e.path for e in listing.feed_entries[: self.site.config.feeds.items]))

    def _home(self) -> str:
        """Which entries the home page features and lists, and the count of each kind."""
        site = self.site
        featured = [e.path for e in site.listed if e.meta.featured]
        newest = [e.path for e in site.listed if not e.meta.featured][: site.config.pagination]
        return digest(*featured, "\0", *newest, "\0",
                      *(f"{listing.path}\0{len(listing.entries)}" for listing in site.kinds.values()))

    def _all_entries(self) -> str:
        return digest(*(f"{e.path}\0{e.digest}\0{self.site.urls.get(e.path, '')}" for e in self.site.entries))

    def _dates(self) -> str:
        """What a file made from the whole archive's shape reads of each entry (the sitemap, the timeline):
        its URL and its shape (Entry.shape: kind, dates, draft or withdrawn, terms; not its text)."""
        urls = self.site.urls
        return hashlib.sha256("\n".join(f"{entry.shape} {urls.get(entry.source.path, '')}"
                                         for entry in self.site.entries).encode("utf-8")).hexdigest()

    def _file(self, path: str) -> str:
        return file_signature(self.site_dir / path, self._now_ns)

    def _shell_value(self) -> str:
        return self._shell

    def _theme_value(self) -> str:
        return self._theme


def unpacked(table: list[Pair], numbers: bytes) -> tuple[Pair, ...]:
    """The pairs of a file's inputs packed as indices into `table` (see PACKED)."""
    return tuple(map(table.__getitem__, memoryview(numbers).cast(PACKED)))


def _joined(title: str, *parts: str) -> str:
    """A digest of a title (any text: its length first) and of parts that hold no NUL (paths, numbers)."""
    return joined_digest(f"{len(title)}:{title}", *parts)


class Stores:
    """Named stores of parts of files, kept in the cache folder between builds (None: kept in memory only).

    Each holds {name of a part: (its input pairs, its value)}. A store is read when first opened, and written
    back when closed if a part was added or one was not used (a part no longer made is forgotten). Losing one
    only costs computing its parts again.

    Stored as the manifest is (generator/writer/manifest.py): a base, every part when the store was last
    written whole, in a file that is never changed, and the changes since, in a small file that points at it.
    An edit changes one part of 10,000 (the open data's rows, 25 MB at 10,000 entries): it writes that part,
    not the whole store. A new base is written once the changes pass an eighth of the parts.
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._open: dict[str, dict] = {}
        self._put: dict[str, set[str]] = {}
        """The parts put in each open store since it was read."""
        self._layers: dict[str, tuple[str, dict]] = {}
        """Each open store's base as read: its name, and the changes since it that were stored."""

    def open(self, name: str) -> "_Store":
        if name not in self._open:
            self._open[name] = self._load(name)
            self._put[name] = set()
        return _Store(self._open[name], self._put[name].add)

    def close(self, name: str, used: set[str]) -> None:
        parts = self._open.get(name, {})
        put = self._put.get(name, set())
        gone = set(parts) - used
        if not put and not gone:
            return
        for key in gone:
            del parts[key]
        self._save(name, parts, put, gone)
        put.clear()

    def forget(self, names: set[str] | None = None) -> None:
        """Let go of the parts read or made so far of the stores `names` (default: all), once saved (a store kept
        in memory only is kept)."""
        if self.folder is None:
            return
        for name in set(self._open) if names is None else names & set(self._open):
            if not self._put.get(name):
                del self._open[name]
                self._put.pop(name, None)
                self._layers.pop(name, None)

    def opened(self) -> set[str]:
        """The stores open now."""
        return set(self._open)

    def _path(self, name: str) -> Path:
        return self.folder / f"parts-{name}.pickle"

    def _base_path(self, name: str, base: str) -> Path:
        return self.folder / f"parts-{name}.base-{base}"

    def _load(self, name: str) -> dict:
        self._layers.pop(name, None)
        if self.folder is None:
            return {}
        head = load_stored(self._path(name), "layers", dict)
        base, changes = (head.get("base"), head.get("changes")) if head is not None else (None, None)
        if not isinstance(base, str) or not base.isalnum() or not isinstance(changes, dict):
            return {}
        parts = load_stored(self._base_path(name, base), "parts", dict)
        if parts is None:
            return {}
        for key, value in changes.items():
            if value is None:
                parts.pop(key, None)
            else:
                parts[key] = value
        self._layers[name] = (base, changes)
        return parts

    def _save(self, name: str, parts: dict, put: set[str], gone: set[str]) -> None:
        if self.folder is None:
            return
        base, changes = self._layers.get(name, (None, {}))
        changes = {**changes, **{key: None for key in gone}, **{key: parts[key] for key in put if key in parts}}
        if base is None or 8 * len(changes) > len(parts):
            # A base of a new name: the one the stored head points at stays as it is until the head is replaced.
            base, changes = secrets.token_hex(8), {}
            store(self._base_path(name, base), "parts", parts)
        store(self._path(name), "layers", {"base": base, "changes": changes})
        self._layers[name] = (base, changes)
        self._discard_bases(name, base)

    def _discard_bases(self, name: str, kept: str) -> None:
        """Remove the bases no head points at (the one replaced, one a killed build wrote)."""
        try:
            found = list(self.folder.glob(f"parts-{name}.base-*"))
        except OSError:
            return
        for path in found:
            if path.name != self._base_path(name, kept).name:
                discard_file(path)


class _Store:
    """One open store: get a part, put a part (noting it, to be written)."""

    def __init__(self, parts: dict, put: Callable[[str], None]):
        self._parts = parts
        self._noted = put

    def get(self, key: str):
        return self._parts.get(key)

    def items(self):
        return self._parts.items()

    def put(self, key: str, value) -> None:
        self._parts[key] = value
        self._noted(key)
