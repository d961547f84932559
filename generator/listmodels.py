"""The values of listing pages, declared once: frozen dataclasses built by listviews.py.

A page of a listing (a kind, a term, a region and sector, a month of the archive), where it is in its
pages, the region-and-sector pages next to a term's, the taxonomies' terms, the home page's kinds and the
archive's years and months. Documented as viewmodels.py's are (docs/templates.md is written from both).
"""

from __future__ import annotations

from dataclasses import dataclass

from .viewmodels import Card, FeedLink


@dataclass(frozen=True)
class PageLink:
    """One page of a listing, in its page links."""

    number: int
    """The page's number; 0 marks a gap between the numbers, shown as "…" by the built-in `pagination`
    macro."""
    url: str
    """The page's link; empty for a gap."""
    current: bool
    """True for the page being rendered."""


@dataclass(frozen=True)
class Pagination:
    """Where a page is in its listing."""

    current: int
    """This page's number, from 1."""
    total: int
    """How many pages (at least 1)."""
    prev_url: str
    """The newer page's link; empty on page 1."""
    next_url: str
    """The older page's link; empty on the last page."""
    pages: list[PageLink]
    """The pages to link: the first page, the last, and the current one with the two before and after it,
    with gaps between them. On page 5 of 10 the numbers are `1, 0, 3, 4, 5, 6, 7, 0, 10`."""


@dataclass(frozen=True)
class RelatedItem:
    """One region-and-sector page next to a region's or a sector's listing."""

    title: str
    """The other term's title: the sector's on a region's page, the region's on a sector's."""
    url: str
    """The region-and-sector page's link."""
    count: int
    """How many entries it lists."""
    feeds: list[FeedLink]
    """Its feeds, as in `page.feeds`."""


@dataclass(frozen=True)
class Related:
    """A region's sectors or a sector's regions."""

    heading: str
    """E.g. `United States by sector`."""
    items: list[RelatedItem]
    """One for each region-and-sector page with entries. Write `listing.related["items"]` or
    `listing.related.items`."""


@dataclass(frozen=True)
class Listing:
    """One page of a listing of entries."""

    heading: str
    """`Articles`, `Takes`, `Threads`; a term's title; `United States: Sports`; `Archive: 2017`;
    `Archive: October 2017`."""
    kicker: str
    """On term pages `Tag`, `Region` or `Sector`; on region-and-sector pages `Region and sector`; else
    empty."""
    count: int
    """How many entries the whole listing has."""
    entries: list[Card]
    """This page's entries, newest first."""
    related: Related | None
    """On a region's page, its sectors; on a sector's page, its regions; `None` elsewhere or when there
    are none."""
    lang: str
    """On a term page, the term's `lang` from `site.yaml` (for the heading: the built-in `list.html` sets
    it on the `<h1>`); empty elsewhere."""
    pagination: Pagination
    """Where this page is in the listing."""


@dataclass(frozen=True)
class Term:
    """A term with its page: in `regions`, `sectors`, `tags` (home) and `terms` (`terms.html`), sorted by
    slug, only terms with at least one listed entry."""

    title: str
    """The term's title (`site.yaml`), or the tag as first written."""
    url: str
    """Its page, e.g. `/regions/us/`."""
    count: int
    """How many listed entries have it."""
    lang: str
    """The term's `lang` from `site.yaml`; empty for tags and when not given."""


@dataclass(frozen=True)
class KindCount:
    """A kind's listing, on the home page."""

    title: str
    """`Articles`, `Takes` or `Threads`."""
    url: str
    """The listing's link."""
    count: int
    """How many listed entries it has."""


@dataclass(frozen=True)
class Month:
    """A month of the archive."""

    name: str
    """E.g. `October`."""
    month: int
    """E.g. `10`."""
    url: str
    """E.g. `/archive/2017/10/`."""
    count: int
    """Entries that month."""


@dataclass(frozen=True)
class Year:
    """A year of the archive."""

    year: int
    """E.g. `2017`."""
    url: str
    """E.g. `/archive/2017/`."""
    count: int
    """Entries that year."""
    months: list[Month]
    """Its months with entries, newest first."""
