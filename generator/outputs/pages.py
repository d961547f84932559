"""Pages: the home page, each entry's page (a notice once withdrawn) and old addresses, the listings of
kinds, terms and region x sector pairs, the archive, term indexes, the 404 page, bundle files and the
theme's static files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..entries import Entry
from ..feeditems import keep_items
from ..kinds import TAXONOMIES, TAXONOMY
from ..routes import Route, Target
from ..site import Intersection, Listing, Site, Term
from ..urls import dir_segments, normalise_alias, output_path, page_path

STATIC_FILES = ("style.css",)
"""Theme files copied to the site root; a file of the same name in layouts/ replaces each."""


@dataclass(frozen=True, eq=False)
class HomePage(Target):
    pass


@dataclass(frozen=True, eq=False)
class EntryPage(Target):
    """An entry's page, or the notice that replaces it once withdrawn."""

    entry: Entry
    blame_rank = 2
    renders_first = True
    """Rendered before every other route: the page stores the entry's feed items, which feeds reuse."""

    def blame(self):
        return self.entry.path, self.entry.line("slug")


@dataclass(frozen=True, eq=False)
class AliasPage(Target):
    """An old address of an entry: a pointer to its page, or the notice once withdrawn."""

    entry: Entry
    alias: str
    blame_rank = 0

    def blame(self):
        return self.entry.path, self.entry.line("aliases")


@dataclass(frozen=True, eq=False)
class ListingPage(Target):
    """Page n of the listing of a kind (term None), a term or a region x sector pair."""

    listing: Listing
    term: Term | Intersection | None
    page: int


@dataclass(frozen=True, eq=False)
class ArchivePage(Target):
    """Page n of a year's (month 0) or a month's entries."""

    listing: Listing
    year: int
    month: int
    page: int


@dataclass(frozen=True, eq=False)
class ArchiveIndex(Target):
    pass


@dataclass(frozen=True, eq=False)
class TermsPage(Target):
    taxonomy: str


@dataclass(frozen=True, eq=False)
class NotFoundPage(Target):
    pass


@dataclass(frozen=True, eq=False)
class BundleFile(Target):
    """A file of an entry's bundle, copied beside its page."""

    entry: Entry
    name: str
    blame_rank = 1

    def blame(self):
        return f"{self.entry.source.bundle_dir}/{self.name}", 0


@dataclass(frozen=True, eq=False)
class StaticFile(Target):
    """A file of the theme (or its replacement in layouts/)."""

    name: str


TARGETS = (HomePage, EntryPage, AliasPage, ListingPage, ArchivePage, ArchiveIndex, TermsPage, NotFoundPage,
           BundleFile, StaticFile)


def routes(site: Site) -> list[Route]:
    found: list[Route] = [Route("index.html", "the home page", HomePage())]
    for entry in site.entries:
        directory = site.urls[entry.path]
        found.append(Route(directory + "index.html", entry.path, EntryPage(entry)))
        for alias in entry.meta.aliases:
            # A withdrawn entry's old URLs serve the notice too, rather than redirecting to it.
            found.append(Route(normalise_alias(alias), f"{entry.path} (alias {alias})", AliasPage(entry, alias)))
        if entry.source.bundle_files and not entry.meta.withdrawn:
            bundle = entry.source.bundle_dir
            for name in entry.source.bundle_files:
                path = output_path(*dir_segments(directory), *name.split("/"))
                found.append(Route(path, f"{bundle}/{name}", BundleFile(entry, name)))
    for listing, term in site.listings():
        found += _paged(listing, lambda n, listing=listing, term=term: ListingPage(listing, term, n),
                        site.config.pagination)
    for taxonomy in TAXONOMIES:
        found.append(Route(f"{taxonomy.name}/index.html", f"the {taxonomy.name} index", TermsPage(taxonomy.name)))
    found.append(Route("archive/index.html", "the archive", ArchiveIndex()))
    for listing, year, month in site.archive_listings():
        found += _paged(listing, lambda n, listing=listing, year=year, month=month:
                        ArchivePage(listing, year, month, n), site.config.pagination)
    found.append(Route("404.html", "the 404 page", NotFoundPage()))
    found += [Route(name, "the theme", StaticFile(name)) for name in STATIC_FILES]
    return found


def _paged(listing: Listing, target, per_page: int) -> list[Route]:
    count = max(1, -(-len(listing.entries) // per_page))
    return [Route(page_path(listing.path, n) + "index.html", f"the listing {listing.path}", target(n))
            for n in range(1, count + 1)]


def render(ctx, route: Route) -> bytes:
    target, views, site = route.target, ctx.views, ctx.site
    if isinstance(target, EntryPage) and not target.entry.meta.withdrawn:
        entry = target.entry
        with ctx.recorder.recording() as view_keys:
            view = views.entry(entry)
        data = ctx.page("entry.html", site.urls[entry.path], view.title, lang=entry.meta.lang,
                        description=view.summary, noindex=entry.meta.draft, entry=view,
                        structured=views.structured(entry, view), og_type="article", feeds_of_entry=entry)
        keep_items(ctx, entry, view, frozenset(view_keys))  # its feed items, from the same view model
        return data
    if isinstance(target, (EntryPage, AliasPage)) and target.entry.meta.withdrawn:
        # Nothing of the entry but the notice: a title can name a person.
        ctx.record("entry", target.entry.path)
        data = ctx.page("withdrawn.html", site.urls[target.entry.path], "Withdrawn", noindex=True,
                        description="This entry was withdrawn.", notice=views.notice(target.entry))
        if isinstance(target, EntryPage):
            keep_items(ctx, target.entry, None, frozenset())
        return data
    if isinstance(target, AliasPage):
        ctx.record("entry", target.entry.path)
        url = site.urls[target.entry.path]
        return ctx.page("alias.html", url, "Moved", noindex=True,
                        target=views.alias_target(url))
    if isinstance(target, ListingPage):
        return _listing(ctx, route, target)
    if isinstance(target, ArchivePage):
        heading = (f"Archive: {date(target.year, target.month, 1):%B %Y}" if target.month
                   else f"Archive: {target.listing.title}")
        view = views.listing(target.listing, target.page, heading, "")
        return ctx.page("list.html", route.path.removesuffix("index.html"), heading, listing=view)
    if isinstance(target, HomePage):
        ctx.record("home")
        featured = [e for e in site.listed if e.meta.featured]
        newest = [e for e in site.listed if not e.meta.featured][: site.config.pagination]
        return ctx.page("home.html", "", site.config.title, feeds="",
                        featured=[views.card(e) for e in featured], newest=[views.card(e) for e in newest],
                        kinds=views.kinds(),
                        regions=views.term_list("regions"), sectors=views.term_list("sectors"),
                        tags=views.term_list("tags"))
    if isinstance(target, ArchiveIndex):
        return ctx.page("archive.html", "archive/", "Archive", years=views.archive_years())
    if isinstance(target, TermsPage):
        title = site.config.taxonomies.of(target.taxonomy).title
        return ctx.page("terms.html", f"{target.taxonomy}/", title, heading=title, taxonomy=target.taxonomy,
                        terms=views.term_list(target.taxonomy))
    if isinstance(target, NotFoundPage):
        return ctx.page("404.html", "404.html", "Page not found", noindex=True)
    if isinstance(target, BundleFile):
        path = f"{target.entry.source.bundle_dir}/{target.name}"
        ctx.record("file", path)
        return (ctx.site_dir / path).read_bytes()
    if isinstance(target, StaticFile):
        return ctx.static(target.name)
    raise TypeError(f"pages cannot render {target!r}")


def _listing(ctx, route: Route, target: ListingPage) -> bytes:
    listing, term, views = target.listing, target.term, ctx.views
    if term is None:
        heading, kicker = listing.title, ""
    elif isinstance(term, Intersection):
        heading, kicker = listing.title, "Region and sector"
    else:
        heading, kicker = term.title, TAXONOMY[term.taxonomy].label
    view = views.listing(listing, target.page, heading, kicker, term)
    title = heading if target.page == 1 else f"{heading}, page {target.page}"
    return ctx.page("list.html", route.path.removesuffix("index.html"), title, feeds=listing.path, listing=view)
