"""For researchers: citations, open data files and the timeline (issue #10).

`routes(site)` adds the outputs; `render(renderer, route)` makes each one's bytes;
`citation(views, entry)` is the citation block of an entry page.
"""

from __future__ import annotations


def routes(site) -> list:
    return []


def render(renderer, route) -> bytes:
    raise ValueError(f"no research output at {route.path}")


def citation(views, entry) -> dict | None:
    return None
