"""ListViews: the views of listing pages (listmodels.py), a part of `Views` (views.py).

A page of a listing and its page links, the region-and-sector pages next to a term's, the taxonomies' terms,
the home page's kinds and the archive's years. Each method records the inputs it reads, as every view does.
"""

from __future__ import annotations

from datetime import datetime

from . import listmodels as lm
from .site import Intersection, Listing, Term
from .urls import page_path
from .kinds import CLOSED_TAXONOMIES


class ListViews:
    """The listing half of `Views`, which gives it `site`, `config`, `record`, `url`, `card` and `feed_links`."""

    def listing(self, listing: Listing, number: int, heading: str, kicker: str = "",
                term: Term | Intersection | None = None) -> lm.Listing:
        """Page `number` of a listing; `term` is the term or region x sector pair it lists, if any."""
        self.record("listing", listing.path, str(number))
        per_page = self.config.pagination
        total = max(1, -(-len(listing.entries) // per_page))
        chunk = listing.entries[(number - 1) * per_page: number * per_page]
        entries = [self.card(e) for e in chunk]
        return lm.Listing(
            heading=heading,
            kicker=kicker,
            count=len(listing.entries),
            entries=entries,
            related=self.related(term),
            lang=getattr(term, "lang", ""),  # the term's title only: the entries are in their own languages
            pagination=lm.Pagination(
                current=number,
                total=total,
                prev_url=self.url(page_path(listing.path, number - 1)) if number > 1 else "",
                next_url=self.url(page_path(listing.path, number + 1)) if number < total else "",
                pages=[lm.PageLink(n, self.url(page_path(listing.path, n)) if n else "", n == number)
                       for n in _page_window(number, total)],
            ),
        )

    def related(self, term) -> lm.Related | None:
        """Region x sector listings next to a region's or sector's own list, each with its feeds."""
        if not isinstance(term, Term) or term.taxonomy not in CLOSED_TAXONOMIES:
            return None
        self.record("related", term.path)
        if term.taxonomy == "regions":
            pairs = [p for p in self.site.intersections if p.region.key == term.key]
            heading, label = f"{term.title} by sector", (lambda p: p.sector.title)
        else:
            pairs = [p for p in self.site.intersections if p.sector.key == term.key]
            heading, label = f"{term.title} by region", (lambda p: p.region.title)
        if not pairs:
            return None
        return lm.Related(heading, [lm.RelatedItem(label(p), self.url(p.path), len(p.entries),
                                                   self.feed_links(p.path)) for p in pairs])

    def term_list(self, taxonomy: str) -> list[lm.Term]:
        self.record("terms", taxonomy)
        return [lm.Term(t.title, self.url(t.path), len(t.entries), t.lang) for t in self.site.terms[taxonomy]]

    def kinds(self) -> list[lm.KindCount]:
        """The kinds' listings, for the home page."""
        return [lm.KindCount(l.title, self.url(l.path), len(l.entries)) for l in self.site.kinds.values()]

    def archive_years(self) -> list[lm.Year]:
        self.record("archive")
        years = []
        for year in sorted(self.site.archive, reverse=True):
            months = self.site.archive[year]
            years.append(lm.Year(
                year=year, url=self.url(f"archive/{year}/"),
                count=sum(len(m) for m in months.values()),
                months=[lm.Month(datetime(year, month, 1).strftime("%B"), month,
                                 self.url(f"archive/{year}/{month:02d}/"), len(months[month]))
                        for month in sorted(months, reverse=True)],
            ))
        return years


def _page_window(current: int, total: int, around: int = 2) -> list[int]:
    """First, last and the pages around the current one; 0 marks a gap ("…").

    Listing every page would make each of a 500-page listing's pages hold 500 links.
    """
    shown = sorted({1, total, *range(max(1, current - around), min(total, current + around) + 1)})
    window: list[int] = []
    for n in shown:
        if window and n - window[-1] > 1:
            window.append(0)
        window.append(n)
    return window
