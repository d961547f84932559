"""Each citable entry's citation as CSL-JSON at <entry URL>cite.json (the page shows Chicago and BibTeX)."""

from __future__ import annotations

from dataclasses import dataclass

from ..citation import citable, json_bytes, csl_items
from ..entries import Entry
from ..routes import Route, Target
from ..site import Site


@dataclass(frozen=True, eq=False)
class CitationFile(Target):
    entry: Entry


TARGETS = (CitationFile,)


def routes(site: Site) -> list[Route]:
    found, directories = [], set()
    for entry in filter(citable, site.entries):
        directory = site.urls[entry.path]
        # Two entries with one URL are already an error at their index.html: not a second one here.
        if directory not in directories:
            directories.add(directory)
            found.append(Route(directory + "cite.json", f"{entry.path} (its citation)", CitationFile(entry)))
    return found


def render(ctx, route: Route) -> bytes:
    ctx.record("entry", route.target.entry.path)
    return json_bytes(csl_items(ctx.views, route.target.entry))
