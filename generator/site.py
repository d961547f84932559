"""Stage 4, assemble: entries -> the whole site's structure, always recomputed in full.

Decides which entries are built and listed, their URLs, the taxonomies, the
archive, cross-references (responds_to, links between entries) and the list of
routes (every output path with who asked for it), checked for collisions
before anything is rendered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .config import SiteConfig
from .entries import Entry
from .errors import Code, SourceError, did_you_mean
from .privacy import Privacy
from .sources import SourceFile
from .urls import (KIND_SECTIONS, RESERVED_DIRS, UnsafePath, dir_segments, entry_path, is_output_path,
                   normalise_alias, output_path, page_path)

TAXONOMIES = ("tags", "regions", "sectors")
WITHDRAWN, UNPUBLISHED = "withdrawn", "unpublished"
"""What a link to an entry becomes when that entry is withdrawn, or a draft not built."""
FEED_FILES = ("feed.xml", "atom.xml", "feed.json")
STATIC_FILES = ("style.css",)
"""Theme files copied to the site root; a file of the same name in layouts/ replaces each."""


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
class Route:
    """One output file to produce, and what produces it."""

    path: str
    """Site-relative file path: 'articles/x/index.html'."""
    owner: str
    """Who asked for it, for collision messages: a source path or a description."""
    kind: str
    """entry, withdrawn, alias, listing, terms, archive, home, 404, sitemap, robots, bundle, feed."""
    ref: object = None
    """What to render: the Entry, Listing, Term list... depending on kind."""
    page: int = 1

    def __post_init__(self):
        # Whoever made the path, it is checked here: no route can name a file outside the output folder.
        if not is_output_path(self.path):
            raise UnsafePath(f"'{self.path}' is not a safe output path (from {self.owner})")


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
    routes: list[Route] = field(default_factory=list)
    drafts: bool = False
    everything: Listing = Listing("", "", ())
    """The whole archive, for the site feeds."""
    feed_only_terms: dict[str, list[Term]] = field(default_factory=dict)
    """Terms whose entries were all withdrawn: no page, but their feeds carry the withdrawal notices."""
    intersections: list[Intersection] = field(default_factory=list)
    """Every region x sector pair that has listed entries, by region then sector."""

    @property
    def private_handles(self) -> dict[str, str]:
        """Lowercased handle of every person marked private anywhere -> the name the editor gave."""
        return self.privacy.people


def newest_first(entries) -> list[Entry]:
    """Date descending, then slug and kind: a total order, so output is byte-identical."""
    ordered = sorted(entries, key=lambda e: (e.slug, e.kind, e.path))
    return sorted(ordered, key=lambda e: e.meta.date.at, reverse=True)


def assemble(config: SiteConfig, sources: list[SourceFile], entries: list[Entry],
             drafts: bool = False, failed: dict[str, set[str]] | None = None) -> tuple[Site | None, list[SourceError]]:
    """The site's structure, or the errors found while making it.

    `failed` maps the path of each source that could not be read to the slugs it
    may have had: that entry's own error is its one report, so a link,
    responds_to or thread block naming it is not reported a second time.
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
    site.terms, site.feed_only_terms = _taxonomies(config, listed, feedable)
    site.intersections = _intersections(site.terms)
    site.privacy = Privacy.of(entries)
    site.threads = {e.slug: e for e in sorted(entries, key=lambda e: e.path) if e.kind == "thread"}
    failed_slugs = {slug for slugs in failed.values() for slug in slugs}
    errors += _privacy_errors(site.privacy, entries)
    errors += _embedded_threads(site, entries, failed_slugs)
    errors += _cross_references(site, sources, entries, failed, failed_slugs)
    site.routes, route_errors = _routes(site)
    errors += route_errors
    errors += _collisions(site.routes)
    return (None if errors else site), errors


def _taxonomies(config: SiteConfig, listed: list[Entry], feedable: list[Entry]) -> tuple[dict, dict]:
    """Terms with listed entries, and regions and sectors whose entries are all withdrawn (feeds only)."""
    listed_terms, feed_only = {}, {}
    for taxonomy in TAXONOMIES:
        in_feeds: dict[str, list[Entry]] = defaultdict(list)
        members: dict[str, list[Entry]] = defaultdict(list)
        for entry in feedable:
            for term_key in dict(_entry_terms(entry, taxonomy)):
                in_feeds[term_key].append(entry)
        for entry in listed:
            for term_key in dict(_entry_terms(entry, taxonomy)):
                members[term_key].append(entry)
        display: dict[str, str] = {}
        for entry in reversed(listed):  # oldest first: a tag is shown as first written
            for term_key, shown in _entry_terms(entry, taxonomy):
                display.setdefault(term_key, shown)
        listed_terms[taxonomy], feed_only[taxonomy] = [], []
        for term_key in sorted(set(members) | set(in_feeds)):
            if taxonomy == "tags":
                title, lang = display.get(term_key, term_key), ""
            else:
                term = getattr(config.taxonomies, taxonomy).term(term_key)
                title, lang = term.title, term.lang
            term = Term(taxonomy, term_key, title, lang, tuple(members.get(term_key, ())),
                        tuple(in_feeds.get(term_key, ())))
            if term.entries:
                listed_terms[taxonomy].append(term)
            elif taxonomy != "tags":
                # A region or sector feed keeps delivering the notice; a free tag may itself name the
                # person, so a tag left with only withdrawn entries disappears with them.
                feed_only[taxonomy].append(term)
    return listed_terms, feed_only


def _privacy_errors(privacy: Privacy, entries: list[Entry]) -> list[SourceError]:
    """Every field that would publish a private handle that redaction cannot replace (see privacy.py)."""
    errors = []
    for entry in entries:
        for hit in privacy.check_entry(entry):
            errors.append(SourceError(entry.path, hit.line, f"{hit.where}: '{hit.handle}' is the handle of a private "
                                      f"person ({hit.name}) and would be published",
                                      f"remove it; in a title, summary, body or post text, write @{hit.handle}, "
                                      "which is shown as their name", code=Code.PRIVACY))
    return errors


def _embedded_threads(site: Site, entries: list[Entry], failed_slugs: set[str]) -> list[SourceError]:
    errors = []
    for entry in entries:
        for embed in entry.embeds:
            if embed.kind == "thread" and embed.slug not in site.threads and embed.slug not in failed_slugs:
                hint = did_you_mean(embed.slug, site.threads) or "write the slug of a file in content/threads/"
                errors.append(SourceError(entry.path, embed.line, f"thread block: no thread has the slug '{embed.slug}'",
                                          hint, code=Code.REFERENCE))
    return errors


def _intersections(terms: dict[str, list[Term]]) -> list[Intersection]:
    result = []
    for region in terms["regions"]:
        for sector in terms["sectors"]:
            listed = tuple(e for e in region.entries if sector.key in e.meta.sectors)
            if listed:
                in_feeds = tuple(e for e in region.feed_entries if sector.key in e.meta.sectors)
                result.append(Intersection(region, sector, listed, in_feeds))
    return result


def _entry_terms(entry: Entry, taxonomy: str) -> list[tuple[str, str]]:
    if taxonomy == "tags":
        return [(t.key, t.display) for t in entry.meta.tags]
    return [(slug, slug) for slug in getattr(entry.meta, taxonomy)]


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
    built = {e.path for e in site.entries}
    by_path = {e.path: e for e in entries}
    by_slug: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: ({"article": 0, "thread": 1, "take": 2}.get(e.kind, 3), e.path)):
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
        targets = {}
        for link in entry.links:
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
        site.link_targets[entry.path] = targets
    for taker in site.responses.values():
        taker[:] = newest_first(taker)
    return errors


def _routes(site: Site) -> tuple[list[Route], list[SourceError]]:
    """Every file of the site; a bundle file whose name cannot be a published path is an error instead."""
    errors: list[SourceError] = []
    routes: list[Route] = [Route("index.html", "the home page", "home")]
    for entry in site.entries:
        directory = site.urls[entry.path]
        routes.append(Route(directory + "index.html", entry.path, "withdrawn" if entry.meta.withdrawn else "entry",
                            entry))
        for alias in entry.meta.aliases:
            # A withdrawn entry's old URLs serve the notice too, rather than redirecting to it.
            routes.append(Route(normalise_alias(alias), f"{entry.path} (alias {alias})",
                                "withdrawn-alias" if entry.meta.withdrawn else "alias", entry))
        if not entry.meta.withdrawn:
            bundle = entry.source.bundle_dir
            for name in entry.source.bundle_files:
                try:
                    path = output_path(*dir_segments(directory), *name.split("/"))
                except UnsafePath:
                    errors.append(SourceError(f"{bundle}/{name}", 0, "this file name cannot be published",
                                              "rename it with letters, digits, '-', '_' and '.' only, not "
                                              "starting with '.' or '-'", code=Code.FILE))
                    continue
                routes.append(Route(path, f"{bundle}/{name}", "bundle", (entry, name)))
    for listing in site.kinds.values():
        routes += _listing_routes(site, listing, "listing")
    for taxonomy, terms in site.terms.items():
        routes.append(Route(f"{taxonomy}/index.html", f"the {taxonomy} index", "terms", taxonomy))
        for term in terms:
            routes += _listing_routes(site, Listing(term.path, term.title, term.entries, term.feed_entries),
                                      "listing", term)
        for term in site.feed_only_terms.get(taxonomy, []):
            listing = Listing(term.path, term.title, (), term.feed_entries)
            routes += [Route(term.path + name, f"the feed of {term.path}", "feed", listing) for name in FEED_FILES]
    for pair in site.intersections:
        routes += _listing_routes(site, Listing(pair.path, pair.title, pair.entries, pair.feed_entries), "listing",
                                  pair)
    routes.append(Route("archive/index.html", "the archive", "archive", None))
    for year, months in site.archive.items():
        year_entries = tuple(e for month in months.values() for e in month)
        routes += _listing_routes(site, Listing(f"archive/{year}/", str(year), year_entries), "archive-year", year)
        for month, month_entries in months.items():
            routes += _listing_routes(site, Listing(f"archive/{year}/{month:02d}/", f"{year}-{month:02d}",
                                                    tuple(month_entries)), "archive-month", (year, month))
    routes += [Route(name, "the site feed", "feed", site.everything) for name in FEED_FILES]
    routes += [Route("sitemap.xml", "the sitemap", "sitemap"), Route("robots.txt", "robots.txt", "robots"),
               Route("404.html", "the 404 page", "404")]
    routes += [Route(name, "the theme", "static", name) for name in STATIC_FILES]
    if site.config.search:
        routes += [Route("search/index.html", "the search page", "search"),
                   Route("search.js", "the search page", "static", "search.js")]
    routes += research_routes(site)
    return routes, errors


def research_routes(site: Site) -> list[Route]:
    """For researchers: a citation file per entry, the open data files and the timeline."""
    from .research import routes
    return routes(site)


def _listing_routes(site: Site, listing: Listing, kind: str, ref: object = None) -> list[Route]:
    per_page = site.config.pagination
    count = max(1, -(-len(listing.entries) // per_page))
    routes = [Route(page_path(listing.path, n) + "index.html", f"the listing {listing.path}", kind, (listing, ref), n)
              for n in range(1, count + 1)]
    if kind == "listing":
        routes += [Route(listing.path + name, f"the feed of {listing.path}", "feed", listing) for name in FEED_FILES]
    return routes


def _collisions(routes: list[Route]) -> list[SourceError]:
    """Two routes to one path, a route inside another's file, or one in a reserved folder: an error naming
    the source to change (Zola's find_path_collisions, extended to file/folder clashes)."""
    seen: dict[str, Route] = {}
    errors = []
    for route in routes:
        other = seen.setdefault(route.path, route)
        if other is route:
            continue
        url = "/" + route.path.removesuffix("index.html")
        first, second = _ordered(other, route)
        errors.append(_collision_error(first, f"{url} is built twice: by {first.owner} and by {second.owner}",
                                       "give one of them another slug or alias"))
    for route in routes:
        parts = route.path.split("/")
        if parts[0] in RESERVED_DIRS and len(parts) > 1:
            errors.append(_collision_error(route, f"/{route.path.removesuffix('index.html')} is inside "
                                           f"/{parts[0]}/, which the search index fills",
                                           "choose another path"))
            continue
        for depth in range(1, len(parts)):
            clash = seen.get("/".join(parts[:depth]))
            if clash is not None:
                first, second = _ordered(clash, route)
                errors.append(_collision_error(first, f"/{route.path.removesuffix('index.html')} cannot be built: "
                                               f"/{clash.path} is a file, made by {clash.owner}",
                                               "give the page or alias another path"))
                break
    return errors


def _ordered(one: Route, other: Route) -> tuple[Route, Route]:
    return tuple(sorted([one, other], key=lambda r: (BLAME_ORDER.get(r.kind, 9), r.owner)))


def _collision_error(route: Route, message: str, hint: str) -> SourceError:
    path, line = _blame(route) or ("site.yaml", 0)
    return SourceError(path, line, message, hint, code=Code.COLLISION)


BLAME_ORDER = {"alias": 0, "withdrawn-alias": 0, "bundle": 1, "entry": 2, "withdrawn": 2}
"""Which of two colliding routes to report the error at: an alias is most likely the newer edit."""


def _blame(route: Route) -> tuple[str, int] | None:
    """The file and line an editor should change to resolve a collision, when it is a source."""
    if route.kind in ("entry", "withdrawn"):
        entry: Entry = route.ref
        return entry.path, entry.line("slug")
    if route.kind in ("alias", "withdrawn-alias"):
        return route.ref.path, route.ref.line("aliases")
    if route.kind == "bundle":
        return route.owner, 0
    return None
