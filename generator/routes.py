"""Routes: every file of the site, with its typed target and who asked for it.

Each output module (generator/outputs/) declares the targets it renders, as
frozen dataclasses, and gives the routes for a site; rendering dispatches on
the target's type. A route's path is checked here, whoever made it, so no
route can name a file outside the output folder. Collisions are found here,
before anything is rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Code, SourceError
from .urls import RESERVED_DIRS, SEGMENT_RE, UnsafePath, is_output_path

_SEGMENT = SEGMENT_RE.pattern.removeprefix("^").removesuffix(r"\Z")
_PLAIN_OUTPUT_PATH = re.compile(f"{_SEGMENT}(?:/{_SEGMENT})*")
"""A path whose every segment is as SEGMENT_RE takes it, matched whole (fullmatch): one match per route instead
of one per segment. It takes no path that is_output_path refuses."""


class Target:
    """What a route renders. Subclasses are frozen dataclasses declared by the output that renders them."""

    blame_rank = 9
    """Which of two colliding routes to report the error at (lowest first): an alias is most likely the
    newer edit, then a bundle file, then an entry's own page; generated files last."""
    renders_first = False
    """Rendered in the first round, before every other route (parallel.render_many)."""
    renders_in_parent = False
    """Rendered by the build's own process, never a forked worker (parallel.render_many): for files made from
    every entry, which a worker would copy the whole archive's memory to make."""

    def blame(self) -> tuple[str, int] | None:
        """The file and line an editor should change when this route collides, if it comes from a source."""
        return None


@dataclass(frozen=True, eq=False)
class Route:
    """One output file to produce, and what produces it."""

    path: str
    """Site-relative file path: 'articles/x/index.html'."""
    owner: str
    """Who asked for it, for messages: a source path or a description."""
    target: Target

    def __post_init__(self):
        # Whoever made the path, it is checked here: no route can name a file outside the output folder.
        # The whole-path match settles nearly every path; is_output_path has the last word on the others.
        if not (_PLAIN_OUTPUT_PATH.fullmatch(self.path) or is_output_path(self.path)):
            raise UnsafePath(f"'{self.path}' is not a safe output path (from {self.owner})")

    @property
    def url(self) -> str:
        return "/" + self.path.removesuffix("index.html")


def collisions(routes: list[Route]) -> list[SourceError]:
    """Two routes to one path, a route inside another's file, or one in a reserved folder: an error naming
    the source to change (Zola's find_path_collisions, extended to file/folder clashes)."""
    seen: dict[str, Route] = {}
    errors = []
    for route in routes:
        other = seen.setdefault(route.path, route)
        if other is route:
            continue
        first, second = _ordered(other, route)
        errors.append(_error(first, f"{route.url} is built twice: by {first.owner} and by {second.owner}",
                             "give one of them another slug or alias"))
    for route in routes:
        path = route.path
        # Each folder the path is inside ('a', 'a/b' of 'a/b/c'), outermost first: it ends at each '/'.
        slash = path.find("/")
        if slash >= 0 and path[:slash] in RESERVED_DIRS:
            errors.append(_error(route, f"{route.url} is inside /{path[:slash]}/, which the search index fills",
                                 "choose another path"))
            continue
        while slash >= 0:
            clash = seen.get(path[:slash])
            if clash is not None:
                first, _ = _ordered(clash, route)
                errors.append(_error(first, f"{route.url} cannot be built: /{clash.path} is a file, made by "
                                     f"{clash.owner}", "give the page or alias another path"))
                break
            slash = path.find("/", slash + 1)
    return errors


def _ordered(one: Route, other: Route) -> tuple[Route, Route]:
    first, second = sorted([one, other], key=lambda r: (r.target.blame_rank, r.owner))
    return first, second


def _error(route: Route, message: str, hint: str) -> SourceError:
    path, line = route.target.blame() or ("site.yaml", 0)
    return SourceError(path, line, message, hint, code=Code.COLLISION)
