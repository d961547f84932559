"""The sitemap and robots.txt: every page a search engine should know, with its last change."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

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


def inputs(ctx, route: Route) -> None:
    return None


def render(ctx, route: Route) -> bytes:
    if isinstance(route.target, Robots):
        return f"User-agent: *\nAllow: /\n\nSitemap: {ctx.views.absolute('sitemap.xml')}\n".encode("utf-8")
    site, absolute = ctx.site, ctx.views.absolute
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
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for loc, lastmod in rows:
        stamp = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{xml_escape(loc)}</loc>{stamp}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _newest(entries):
    """The newest date (or update) among entries, for lastmod."""
    dates = [(e.meta.updated or e.meta.date).at for e in entries]
    return max(dates) if dates else None
