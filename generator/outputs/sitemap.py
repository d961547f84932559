"""The sitemap and robots.txt: every page a search engine should know, with its last change."""

from __future__ import annotations

from dataclasses import dataclass

from ..outputmodels import SitemapUrl
from ..routes import Route, Target
from ..site import Site


@dataclass(frozen=True, eq=False)
class Sitemap(Target):
    pass


@dataclass(frozen=True, eq=False)
class Robots(Target):
    pass


TARGETS = (Sitemap, Robots)


def routes(site: Site) -> list[Route]:
    return [Route("sitemap.xml", "the sitemap", Sitemap()), Route("robots.txt", "robots.txt", Robots())]


def render(ctx, route: Route) -> bytes:
    absolute = ctx.views.absolute
    if isinstance(route.target, Robots):
        return ctx.template("robots.txt", sitemap_url=absolute("sitemap.xml"))
    ctx.record("dates")  # made from every entry's URL, dates and terms, not from its text
    return ctx.template("sitemap.xml", urls=sitemap_urls(ctx.site, absolute))


def sitemap_urls(site: Site, absolute) -> list[SitemapUrl]:
    """The home page, every published entry, the kind listings, the taxonomy indexes and every term page."""
    rows = [(absolute(""), _newest(site.listed))]
    for entry in site.entries:
        if entry.meta.withdrawn or entry.meta.draft:
            continue
        rows.append((absolute(site.urls[entry.path]), (entry.meta.updated or entry.meta.date).at))
    for listing in site.kinds.values():
        if listing.entries:
            rows.append((absolute(listing.path), _newest(listing.entries)))
    for taxonomy, terms in site.terms.items():
        if terms:
            rows.append((absolute(f"{taxonomy}/"), max(_newest(t.entries) for t in terms)))
        rows += [(absolute(t.path), _newest(t.entries)) for t in terms]
    return [SitemapUrl(loc, lastmod.date().isoformat() if lastmod else "") for loc, lastmod in rows]


def _newest(entries):
    """The newest date (or update) among entries, for lastmod."""
    dates = [(e.meta.updated or e.meta.date).at for e in entries]
    return max(dates) if dates else None
