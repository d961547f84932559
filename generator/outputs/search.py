"""The search page and its script. The index itself, in shards, is made by generator/search.py and handed
to the write stage; the page names the shards' folders, which its script merges."""

from __future__ import annotations

from dataclasses import dataclass

from ..outputmodels import FilterOption, SearchFilter
from ..routes import Route, Target
from ..site import Site
from ..viewmodels import Link
from ..kinds import KIND, TAXONOMIES
from ..search import shard_folders


@dataclass(frozen=True, eq=False)
class SearchPage(Target):
    pass


@dataclass(frozen=True, eq=False)
class SearchScript(Target):
    """The theme's search.js (or its replacement in layouts/)."""


TARGETS = (SearchPage, SearchScript)


def routes(site: Site) -> list[Route]:
    if not site.config.search:
        return []
    return [Route("search/index.html", "the search page", SearchPage()),
            Route("search.js", "the search page", SearchScript())]


def render(ctx, route: Route) -> bytes:
    if isinstance(route.target, SearchScript):
        return ctx.static("search.js")
    ctx.record("entries")  # its filters list every kind, term and year with entries
    views, site = ctx.views, ctx.site
    indexes = [Link(site.config.taxonomies.of(t).title, views.url(f"{t}/"))
               for t in (taxonomy.name for taxonomy in TAXONOMIES)] + [Link("Archive", views.url("archive/"))]
    filters = [
        SearchFilter("kind", "Kind", [FilterOption(kind, KIND[kind].label)
                                      for kind, listing in site.kinds.items() if listing.entries]),
        SearchFilter("regions", "Region", [FilterOption(t.key, t.title) for t in site.terms["regions"]]),
        SearchFilter("sectors", "Sector", [FilterOption(t.key, t.title) for t in site.terms["sectors"]]),
        SearchFilter("year", "Year", [FilterOption(str(y), str(y)) for y in sorted(site.archive, reverse=True)]),
    ]
    return ctx.page("search.html", "search/", "Search", noindex=True, indexes=indexes, filters=filters,
                    shards=shard_folders(site, views.url("")))
