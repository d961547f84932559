"""Stage 4, assemble: entries -> the whole site's structure, always recomputed in full.

Decides which entries are built and listed, their URLs, the taxonomies, the
archive, the listings and cross-references (responds_to, links between entries).
The files each output makes of the site are its routes (generator/outputs/).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import unquote, urlsplit

from .config import SiteConfig
from .entries import Entry, Link
from .errors import Code, SourceError, closest, did_you_mean
from .markup import ABSOLUTE_LINK, PAGE_LINK, PATH_LINK, SOURCE_LINK
from .privacy import Privacy
from .sources import SourceFile
from .kinds import CLOSED_TAXONOMIES, KIND, TAXONOMIES
from .urls import KIND_SECTIONS, RESERVED_DIRS, UnsafePath, entry_path, normalise_alias

WITHDRAWN, UNPUBLISHED = "withdrawn", "unpublished"
"""What a link to an entry becomes when that entry is withdrawn, or a draft not built."""
PAGE_IDS = frozenset({"main", "source-heading", "cite-heading", "responses-heading"})
"""The ids an entry's page may hold besides its body's (base.html, entry.html, _cite.html): a link's
'#fragment' may name them on any entry's page (tests/test_links.py holds them to the built theme's pages)."""
ANCHORS_LISTED = 8
"""How many of a page's anchors a message about a missing one lists."""


@dataclass(frozen=True)
class Term:
    """A term that has at least one listed entry."""

    taxonomy: str
    key: str
    """The URL slug: /tags/<key>/."""
    title: str
    lang: str
    entries: tuple[Entry, ...]
    """Newest first."""
    feed_entries: tuple[Entry, ...] = ()
    """What its feeds carry: entries as listed, plus withdrawn ones (as notices), minus drafts."""

    @property
    def path(self) -> str:
        return f"{self.taxonomy}/{self.key}/"


@dataclass(frozen=True)
class Listing:
    """A paginated list of entries with its own feeds: a kind, a term, or the whole archive."""

    path: str
    """Site-relative directory of page 1, e.g. 'regions/us/'; '' for the home page's list."""
    title: str
    entries: tuple[Entry, ...]
    feed_entries: tuple[Entry, ...] = ()
    """What its feeds carry: entries as listed, plus withdrawn ones (as notices), minus drafts."""


@dataclass(frozen=True)
class Intersection:
    """The entries of one region in one sector: a small listing with its own feeds."""

    region: Term
    sector: Term
    entries: tuple[Entry, ...]
    feed_entries: tuple[Entry, ...]

    @property
    def path(self) -> str:
        return f"regions/{self.region.key}/sectors/{self.sector.key}/"

    @property
    def title(self) -> str:
        return f"{self.region.title}: {self.sector.title}"


@dataclass(frozen=True)
class SiteLink:
    """A link in a body to a URL of the site that is no entry's page (a listing, a feed, a file, a typo)."""

    entry: str
    """The linking entry's source path."""
    link: Link
    path: str
    """Site-relative and decoded: 'tags/metoo/', 'style.css', 'articles/x' ('' for the home page)."""


@dataclass
class Site:
    """Everything render needs, decided once."""

    config: SiteConfig
    entries: list[Entry]
    """Every entry that gets a URL (drafts only with --drafts), sorted newest first."""
    listed: list[Entry]
    """Entries shown in listings, taxonomies and archives: not pages, not withdrawn."""
    pages: list[Entry]
    """Standalone pages, in navigation order."""
    urls: dict[str, str]
    """Source path -> site-relative directory ('takes/x/')."""
    kinds: dict[str, Listing]
    terms: dict[str, list[Term]]
    """Taxonomy -> its terms with entries, sorted by key."""
    archive: dict[int, dict[int, list[Entry]]]
    """Year -> month -> entries, newest first."""
    responses: dict[str, list[Entry]] = field(default_factory=dict)
    """Entry source path -> the takes that respond to it."""
    responds_to: dict[str, list[Entry]] = field(default_factory=dict)
    """Take source path -> the entries it responds to."""
    link_targets: dict[str, dict[str, str]] = field(default_factory=dict)
    """Entry source path -> {href as written: site-relative URL, or WITHDRAWN / UNPUBLISHED}."""
    withdrawn_responses: dict[str, int] = field(default_factory=dict)
    """Take source path -> how many of the entries it responds to were withdrawn."""
    threads: dict[str, Entry] = field(default_factory=dict)
    """Thread slug -> the thread, for ```thread blocks (whether or not it is built)."""
    privacy: Privacy = field(default_factory=lambda: Privacy({}))
    """The people marked private anywhere, every form of their handle, and their redaction."""
    drafts: bool = False
    everything: Listing = Listing("", "", ())
    """The whole archive, for the site feeds."""
    feed_only_terms: dict[str, list[Term]] = field(default_factory=dict)
    """Terms whose entries were all withdrawn: no page, but their feeds carry the withdrawal notices."""
    intersections: list[Intersection] = field(default_factory=list)
    """Every region x sector pair that has listed entries, by region then sector."""
    checked: set[str] = field(default_factory=set)
    """The check keys (check_key) of the entries that passed the privacy check."""
    site_links: list[SiteLink] = field(default_factory=list)
    """Links to URLs of the site that name no entry's page: checked against the routes once they are known
    (broken_site_links)."""

    def listings(self) -> list[tuple[Listing, Term | Intersection | None]]:
        """Every listing with pages and feeds, with what it lists: each kind (None), each term with listed
        entries, each region x sector pair."""
        found: list[tuple[Listing, Term | Intersection | None]] = [(listing, None) for listing in self.kinds.values()]
        for terms in self.terms.values():
            found += [(Listing(t.path, t.title, t.entries, t.feed_entries), t) for t in terms]
        found += [(Listing(p.path, p.title, p.entries, p.feed_entries), p) for p in self.intersections]
        return found

    def archive_listings(self) -> list[tuple[Listing, int, int]]:
        """Each year's entries (month 0) and each month's, as listings."""
        found = []
        for year, months in self.archive.items():
            found.append((Listing(f"archive/{year}/", str(year), tuple(e for m in months.values() for e in m)), year, 0))
            found += [(Listing(f"archive/{year}/{month:02d}/", f"{year}-{month:02d}", tuple(entries)), year, month)
                      for month, entries in months.items()]
        return found

    def feed_listings(self) -> list[Listing]:
        """Every listing with feeds: the whole archive, each listing, and each region or sector whose
        entries were all withdrawn (its feeds keep delivering the notices)."""
        found = [self.everything] + [listing for listing, _ in self.listings()]
        for terms in self.feed_only_terms.values():
            found += [Listing(t.path, t.title, (), t.feed_entries) for t in terms]
        return found

    @property
    def private_handles(self) -> dict[str, str]:
        """Lowercased handle of every person marked private anywhere -> the name the editor gave."""
        return self.privacy.people


def newest_first(entries) -> list[Entry]:
    """Date descending, then slug and kind: a total order, so output is byte-identical."""
    ordered = sorted(entries, key=lambda e: (e.slug, e.kind, e.path))
    return sorted(ordered, key=lambda e: e.meta.date.at, reverse=True)


def assemble(config: SiteConfig, sources: list[SourceFile], entries: list[Entry],
             drafts: bool = False, failed: dict[str, set[str]] | None = None,
             checked: set[str] | frozenset[str] = frozenset()) -> tuple[Site, list[SourceError]]:
    """The site's structure, and the errors found while making it (the build stops on any).

    `failed` maps the path of each source that could not be read to the slugs it
    may have had: that entry's own error is its one report, so a link,
    responds_to or thread block naming it is not reported a second time.
    `checked` holds the check keys of entries that passed the privacy check before:
    they are not checked again (the site's `checked` holds those that pass now).
    """
    failed = failed or {}
    errors: list[SourceError] = []
    built = newest_first(e for e in entries if drafts or not e.meta.draft)
    urls = {e.path: entry_path(e.kind, e.slug) for e in built}
    listed = [e for e in built if e.kind != "page" and not e.meta.withdrawn]
    # Withdrawn entries stay in feeds as notices, so readers overwrite their copy; drafts never.
    feedable = [e for e in built if e.kind != "page" and not e.meta.draft]
    pages = sorted((e for e in built if e.kind == "page" and not e.meta.withdrawn),
                   key=lambda e: (e.meta.weight, e.meta.title.lower(), e.slug))

    site = Site(config=config, entries=built, listed=listed, pages=pages, urls=urls,
                kinds={kind: Listing(f"{section}/", section.capitalize(), tuple(e for e in listed if e.kind == kind),
                                     tuple(e for e in feedable if e.kind == kind))
                       for kind, section in KIND_SECTIONS.items()},
                terms={}, archive=_archive(listed), drafts=drafts,
                everything=Listing("", config.title, tuple(listed), tuple(feedable)))
    members, in_feeds, shown = _memberships(built, listed, feedable)
    site.terms, site.feed_only_terms = _taxonomies(config, members, in_feeds, shown)
    site.intersections = _intersections(site.terms, members, in_feeds)
    site.privacy = Privacy.of(entries)
    threads = sorted((e for e in entries if e.kind == "thread"), key=lambda e: e.path)
    site.threads = {thread.slug: thread for thread in threads}
    failed_slugs = {slug for slugs in failed.values() for slug in slugs}
    privacy_errors, site.checked = _privacy_errors(site.privacy, entries, checked)
    errors += privacy_errors
    errors += _embedded_threads(site, entries, failed_slugs)
    errors += _cross_references(site, sources, entries, failed, failed_slugs)
    return site, errors


REGION_SECTOR = "regions x sectors"
"""Where _memberships keeps each (region, sector) pair's entries, beside the taxonomies' terms."""


def _memberships(built: list[Entry], listed: list[Entry],
                 feedable: list[Entry]) -> tuple[dict, dict, dict[str, str]]:
    """Which entries each term lists and which its feeds carry (taxonomy -> term key -> entries, newest first;
    REGION_SECTOR -> (region, sector) -> entries), and each tag's form as the oldest listed entry first wrote it.

    One pass over the built entries, each entry's terms read once: `listed` and `feedable` are both `built`
    filtered (mostly the same entries), so each list keeps their order.
    """
    listed_ids, feedable_ids = {id(e) for e in listed}, {id(e) for e in feedable}
    members: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    in_feeds: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    shown: dict[str, str] = {}
    for entry in built:
        is_listed, is_fed = id(entry) in listed_ids, id(entry) in feedable_ids
        if not (is_listed or is_fed):
            continue
        terms = _terms_of(entry)
        if is_listed:
            for name, keys in terms:
                entries_of = members[name]
                for key in keys:
                    entries_of[key].append(entry)
            for tag in reversed(entry.meta.tags):  # older entries come later and overwrite
                shown[tag.key] = tag.display
        if is_fed:
            for name, keys in terms:
                entries_of = in_feeds[name]
                for key in keys:
                    entries_of[key].append(entry)
    return members, in_feeds, shown


def _terms_of(entry: Entry) -> list[tuple[str, Iterable]]:
    """The keys of the entry's terms in each taxonomy, each once, in the order written; and its region and sector
    pairs (REGION_SECTOR)."""
    meta = entry.meta
    closed = {name: dict.fromkeys(getattr(meta, name)) for name in CLOSED_TAXONOMIES}
    return [("tags", dict.fromkeys(tag.key for tag in meta.tags)), *closed.items(),
            (REGION_SECTOR, [(region, sector) for region in closed["regions"] for sector in closed["sectors"]])]


def _taxonomies(config: SiteConfig, members: dict, in_feeds: dict,
                shown: dict[str, str]) -> tuple[dict, dict]:
    """Terms with listed entries, and regions and sectors whose entries are all withdrawn (feeds only); the
    arguments are _memberships'."""
    listed_terms, feed_only = {}, {}
    for name in (taxonomy.name for taxonomy in TAXONOMIES):
        listed_terms[name], feed_only[name] = [], []
        for term_key in sorted(members[name].keys() | in_feeds[name].keys()):
            if name == "tags":
                title, lang = shown.get(term_key, term_key), ""
            else:
                term = config.taxonomies.of(name).term(term_key)
                title, lang = term.title, term.lang
            term = Term(name, term_key, title, lang, tuple(members[name].get(term_key, ())),
                        tuple(in_feeds[name].get(term_key, ())))
            if term.entries:
                listed_terms[name].append(term)
            elif name != "tags":
                # A region or sector feed keeps delivering the notice; a free tag may itself name the
                # person, so a tag left with only withdrawn entries disappears with them.
                feed_only[name].append(term)
    return listed_terms, feed_only


def check_key(people: str, entry: Entry) -> str | None:
    """What an entry's privacy check result depends on: the entry (its digest: its bytes, path, bundle files,
    site.yaml and the code) and the private people (`people`: a digest of Privacy.key()); None for an entry
    without a digest, which is always checked."""
    if not entry.digest:
        return None
    return hashlib.sha256(f"{people}\0{entry.digest}".encode("ascii")).hexdigest()


def _privacy_errors(privacy: Privacy, entries: list[Entry],
                    checked: set[str] | frozenset[str]) -> tuple[list[SourceError], set[str]]:
    """Every field that would publish a private handle that redaction cannot replace (see privacy.py), and the
    check keys of the entries that passed (those in `checked` passed before, and are not checked again)."""
    errors = []
    passed = set()
    people = hashlib.sha256(privacy.key().encode("utf-8")).hexdigest()
    for entry in entries:
        key = check_key(people, entry)
        if key is not None and key in checked:
            passed.add(key)
            continue
        hits = privacy.check_entry(entry)
        for hit in hits:
            errors.append(SourceError(entry.path, hit.line, f"{hit.where}: '{hit.handle}' is the handle of a private "
                                      f"person ({hit.name}) and would be published",
                                      f"remove it; in a title, summary, body or post text, write @{hit.handle}, "
                                      "which is shown as their name", code=Code.PRIVACY))
        if not hits and key is not None:
            passed.add(key)
    return errors, passed


def _embedded_threads(site: Site, entries: list[Entry], failed_slugs: set[str]) -> list[SourceError]:
    errors = []
    for entry in entries:
        for embed in entry.embeds:
            if embed.kind == "thread" and embed.slug not in site.threads and embed.slug not in failed_slugs:
                hint = did_you_mean(embed.slug, site.threads) or "write the slug of a file in content/threads/"
                errors.append(SourceError(entry.path, embed.line, f"thread block: no thread has the slug '{embed.slug}'",
                                          hint, code=Code.REFERENCE))
    return errors


def _intersections(terms: dict[str, list[Term]], members: dict, in_feeds: dict) -> list[Intersection]:
    """Each region x sector pair with listed entries, by region then sector; `members` and `in_feeds` are
    _memberships'."""
    listed, carried = members[REGION_SECTOR], in_feeds[REGION_SECTOR]
    result = []
    for region in terms["regions"]:
        for sector in terms["sectors"]:
            pair = (region.key, sector.key)
            if pair in listed:
                result.append(Intersection(region, sector, tuple(listed[pair]), tuple(carried.get(pair, ()))))
    return result


def _archive(listed: list[Entry]) -> dict[int, dict[int, list[Entry]]]:
    archive: dict[int, dict[int, list[Entry]]] = {}
    for entry in listed:
        day = entry.meta.date.at
        archive.setdefault(day.year, {}).setdefault(day.month, []).append(entry)
    return archive


def _cross_references(site: Site, sources: list[SourceFile], entries: list[Entry], failed: dict[str, set[str]],
                      failed_slugs: set[str]) -> list[SourceError]:
    errors = []
    existing = {s.path for s in sources}
    built = site.urls.keys()  # the built entries' paths
    by_path = {e.path: e for e in entries}
    resolver = _UrlResolver(site.config, _pages_of(site, entries), _failed_pages(sources, failed))
    by_slug: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: (KIND[e.kind].slug_rank, e.path)):
        if entry.kind != "page":
            by_slug.setdefault(entry.slug, entry)
    for entry in site.entries:
        for slug in entry.meta.responds_to:
            target = by_slug.get(slug)
            if target is None and slug not in failed_slugs:
                errors.append(SourceError(entry.path, entry.line("responds_to"),
                                          f"responds_to: no entry has the slug '{slug}'",
                                          "write the slug of an article, as in its URL /articles/<slug>/",
                                          code=Code.REFERENCE))
            elif target is None:
                continue
            elif target.meta.withdrawn:
                site.withdrawn_responses[entry.path] = site.withdrawn_responses.get(entry.path, 0) + 1
            elif target.path in built and not entry.meta.withdrawn:
                site.responds_to.setdefault(entry.path, []).append(target)
                site.responses.setdefault(target.path, []).append(entry)
        targets: dict[str, str] = {}
        for link in entry.links:
            if link.kind != SOURCE_LINK:
                continue
            if link.target in failed:
                continue  # that file's own error says what is wrong with it
            if link.target not in existing:
                errors.append(SourceError(entry.path, link.line, f"link to '{link.href}': no such entry file",
                                          f"check the path; it is read from {entry.path.rsplit('/', 1)[0]}/",
                                          code=Code.REFERENCE))
            elif link.target not in by_path:
                continue  # a source that is not an entry (refused at discovery)
            else:
                target = by_path[link.target]
                if target.meta.withdrawn:
                    targets[link.href + link.fragment] = WITHDRAWN
                elif link.target not in built:
                    targets[link.href + link.fragment] = UNPUBLISHED
                else:
                    targets[link.href + link.fragment] = site.urls[link.target] + link.fragment
                    errors += _anchor_errors(entry, link, target)
        errors += _url_links(site, entry, resolver, targets)
        site.link_targets[entry.path] = targets
    for taker in site.responses.values():
        taker[:] = newest_first(taker)
    return errors


# ---- links to URLs of the site, and to anchors --------------------------------


def _pages_of(site: Site, entries: list[Entry]) -> dict[str, tuple[Entry, bool]]:
    """Output path -> the entry whose page or alias it is (drafts included), and whether it is its own page.
    A built entry's first: a draft at the same URL is no second owner."""
    found: dict[str, tuple[Entry, bool]] = {}
    for entry in site.entries + [e for e in entries if e.path not in site.urls]:
        directory = site.urls.get(entry.path) or entry_path(entry.kind, entry.slug)
        found.setdefault(directory + "index.html", (entry, True))
        for alias in entry.meta.aliases:
            path = normalise_alias(alias)
            if path is not None:
                found.setdefault(path, (entry, False))
    return found


def _failed_pages(sources: list[SourceFile], failed: dict[str, set[str]]) -> set[str]:
    """The output paths the pages of the entries that could not be read may have had."""
    kinds = {s.path: s.kind for s in sources}
    found = set()
    for path, slugs in failed.items():
        for slug in slugs:
            try:
                found.add(entry_path(kinds[path], slug) + "index.html")
            except (KeyError, UnsafePath):
                continue  # no page could be made with that slug
    return found


class _UrlResolver:
    """What the build knows to resolve links to URLs of the site, made once for all the entries' links: the
    base URL is parsed once (not per link), and each absolute URL's path found once however many bodies cite
    it (a few sources are cited thousands of times)."""

    def __init__(self, config: SiteConfig, pages: dict[str, tuple[Entry, bool]], failed_pages: set[str]):
        self.pages = pages
        """Output path -> the entry whose page or alias it is, and whether it is its own page (_pages_of)."""
        self.failed_pages = failed_pages
        """The output paths the pages of the entries that could not be read may have had."""
        self.base_path = config.base_path
        self.base_address: tuple[str | None, int | None] | None = None
        """base_url's host and port; None when either is malformed (then no absolute URL is one of the site's)."""
        try:
            base = urlsplit(config.base_url)
            self.base_address = (base.hostname, base.port)
        except ValueError:
            pass
        self.absolute: dict[str, str | None] = {}
        """Absolute URL as written -> its site path (None: outside the site)."""

    def site_path(self, link: Link) -> str | None:
        """The site-relative, decoded path a root-relative or absolute link names; None when it is outside the
        site."""
        if link.kind != ABSOLUTE_LINK:
            return self._within(link.target)
        if link.href not in self.absolute:
            self.absolute[link.href] = self._absolute_path(link.href)
        return self.absolute[link.href]

    def _absolute_path(self, href: str) -> str | None:
        if self.base_address is None:
            return None
        try:
            written = urlsplit(href)
            if written.hostname != self.base_address[0] or written.port != self.base_address[1]:
                return None  # another host
        except ValueError:  # a malformed host or port ('https://[', 'https://x:y/'): no URL of the site
            return None
        return self._within(written.path or "/")

    def _within(self, path: str) -> str | None:
        if not path.startswith(self.base_path):
            return None  # above base_url's path
        return unquote(path[len(self.base_path):])


def _url_links(site: Site, entry: Entry, resolver: _UrlResolver, targets: dict[str, str]) -> list[SourceError]:
    """Errors of the entry's links to URLs of the site and to its own anchors; a marked link to a draft or a
    withdrawn entry's URL is recorded in `targets`, as a link to its file is. Links to other pages of the site
    wait in site.site_links for the routes."""
    errors = []
    for link in entry.links + entry.other_links:
        if link.kind == PAGE_LINK:
            errors += _anchor_errors(entry, link, entry)
            continue
        if link.kind not in (PATH_LINK, ABSOLUTE_LINK):
            continue
        path = resolver.site_path(link)
        if path is None:
            continue  # outside the site (another host, or above base_url's path): not the build's to check
        candidates = _output_candidates(path)
        if any(candidate in resolver.failed_pages for candidate in candidates):
            continue  # the entry that would be there could not be read: its own error says why
        found = next((resolver.pages[c] for c in candidates if c in resolver.pages), None)
        if found is None:
            site.site_links.append(SiteLink(entry.path, link, path))
            continue
        target, own_page = found
        unavailable = WITHDRAWN if target.meta.withdrawn else UNPUBLISHED if target.path not in site.urls else None
        if unavailable is not None:
            if link.kind == PATH_LINK:  # marked in the body: shown as a link to its file would be
                targets[link.href + link.fragment] = unavailable
        elif own_page:
            errors += _anchor_errors(entry, link, target)
    return errors


def _output_candidates(path: str) -> tuple[str, ...]:
    """The output files a site-relative path may be served from: a folder's index.html, or the file itself."""
    if not path or path.endswith("/"):
        return (path + "index.html",)
    return (path, path + "/index.html")


def _anchor_errors(entry: Entry, link: Link, target: Entry) -> list[SourceError]:
    """An error when the link's fragment names no anchor of the target entry's page."""
    anchor = unquote(link.fragment[1:])
    if not anchor or anchor in target.anchors or anchor in PAGE_IDS:
        return []
    page = "this entry" if link.kind == PAGE_LINK else target.path
    listed = [f"#{a}" for a in target.anchors[:ANCHORS_LISTED]]
    more = len(target.anchors) - len(listed)
    hint = (did_you_mean(f"#{anchor}", [f"#{a}" for a in target.anchors + tuple(sorted(PAGE_IDS))])
            or (f"its anchors: {', '.join(listed)}" + (f" and {more} more" if more else "") if listed
                else f"its body has no headings to link to: remove '#{anchor}'"))
    return [SourceError(entry.path, link.line, f"link to '{link.href + link.fragment}': {page} has no anchor "
                        f"'{anchor}'", hint, code=Code.REFERENCE)]


def broken_site_links(site: Site, outputs: set[str]) -> list[SourceError]:
    """An error for each link to a URL of the site that names no file the build makes (`outputs`: every route's
    path). The search index's folder is filled after rendering: a link into it is taken as made when the site
    has search."""
    errors = []
    urls: list[str] | None = None
    for found in site.site_links:
        if any(c in outputs for c in _output_candidates(found.path)):
            continue
        if site.config.search and found.path.split("/", 1)[0] in RESERVED_DIRS:
            continue
        if urls is None:
            urls = sorted({path.removesuffix("index.html") for path in outputs})
        link = found.link
        prefix = site.config.base_url if link.kind == ABSOLUTE_LINK else site.config.base_path
        section = found.path.split("/", 1)[0] + "/"
        near = closest(found.path, [u for u in urls if u.startswith(section)] or urls)
        hint = (f"did you mean '{prefix + near}'?" if near is not None
                else "check the URL, or link the entry by its file (../articles/story.md): its URL follows it")
        errors.append(SourceError(found.entry, link.line, f"link to '{link.href + link.fragment}': no such page "
                                  "in the site", hint, code=Code.REFERENCE))
    return errors
