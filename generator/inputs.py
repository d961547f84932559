"""What each output file is made from, recorded while it is rendered (Lektor's build state).

While a route renders, every input its view models read is recorded as a key: an
entry, a tag, a term list, a page of a listing, an entry's links and responses,
an embedded thread, a bundle file. Nothing is listed by hand: the views record
what they read, as they read it. The next build computes the current digest of
each key from the newly assembled site (`Inputs.value`) and re-renders exactly
the files whose recorded inputs changed. What every file shares (the code,
site.yaml, templates, navigation, private people) is the shell digest, part of
every fingerprint.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .cache import digest
from .site import Listing, Site

Key = tuple[str, ...]


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


class Inputs:
    """The current digest of every kind of recorded key, computed from the assembled site once each."""

    def __init__(self, site: Site, site_dir: Path, tag_title: Callable[[str], str]):
        self.site = site
        self.site_dir = site_dir
        self._tag_title = tag_title
        self._values: dict[Key, str] = {}
        self._listings: dict[str, Listing] | None = None
        self._entries: dict | None = None
        self._kinds = {"entry": self._entry, "tag": self._tag, "terms": self._terms, "listing": self._listing,
                       "related": self._related, "archive": self._archive, "responses": self._responses,
                       "links": self._links, "thread": self._thread, "feed": self._feed, "home": self._home,
                       "entries": self._all_entries, "file": self._file}

    def value(self, key: Key) -> str:
        found = self._values.get(key)
        if found is None:
            # A key of no known kind is a bug: it would never change, and its file never be made again.
            found = self._values[key] = self._kinds[key[0]](*key[1:])
        return found

    def fingerprint(self, shell: str, path: str, keys) -> str:
        return digest(shell, path, *(f"{'/'.join(key)}\0{self.value(key)}" for key in sorted(keys)))

    # ---- one function per kind of key ----

    def _entry(self, path: str) -> str:
        entry = self._by_path().get(path)
        if entry is None:
            return "gone"
        return digest(entry.digest, self.site.urls.get(path, ""))

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
        listing = self._all_listings().get(path)
        if listing is None:
            return "gone"
        per_page = self.site.config.pagination
        page = int(number)
        chunk = listing.entries[(page - 1) * per_page: page * per_page]
        return digest(listing.title, str(len(listing.entries)), *(e.path for e in chunk))

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
        return digest(*(e.path for e in site.responses.get(path, [])), "\0",
                      *(e.path for e in site.responds_to.get(path, [])), str(site.withdrawn_responses.get(path, 0)))

    def _links(self, path: str) -> str:
        return digest(*sorted(f"{k}\0{v}" for k, v in self.site.link_targets.get(path, {}).items()))

    def _thread(self, slug: str) -> str:
        thread = self.site.threads.get(slug)
        return digest(thread.path, self._entry(thread.path)) if thread is not None else "gone"

    def _feed(self, path: str) -> str:
        listing = self._all_listings().get(path)
        if listing is None:
            return "gone"
        return digest(listing.title, *(e.path for e in listing.feed_entries[: self.site.config.feeds.items]))

    def _home(self) -> str:
        """Which entries the home page features and lists, and the count of each kind."""
        site = self.site
        featured = [e.path for e in site.listed if e.meta.featured]
        newest = [e.path for e in site.listed if not e.meta.featured][: site.config.pagination]
        return digest(*featured, "\0", *newest, "\0",
                      *(f"{listing.path}\0{len(listing.entries)}" for listing in site.kinds.values()))

    def _all_entries(self) -> str:
        return digest(*(f"{e.path}\0{e.digest}\0{self.site.urls.get(e.path, '')}" for e in self.site.entries))

    def _file(self, path: str) -> str:
        try:
            st = (self.site_dir / path).stat()
        except OSError:
            return "gone"
        return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
