"""The values of the outputs' own pages, declared once: the search page, the timeline, the data page and the
sitemap (generator/outputs/ builds them).

Documented as viewmodels.py's are: each field's docstring is its documentation, and docs/templates.md and
docs/data.md write their tables from them (generator/viewdocs.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from .viewmodels import FeedLink


@dataclass(frozen=True)
class FilterOption:
    """One value a search filter can take."""

    value: str
    """As the search index's metadata holds it (generator/search.py): a kind, a term's slug or a year."""
    title: str
    """As the menu shows it: the kind's label (Article, Take, Thread), the term's title, or the year."""


@dataclass(frozen=True)
class SearchFilter:
    """One menu of the search form."""

    name: str
    """`kind`, `regions`, `sectors` or `year`: a name of the search index's metadata."""
    label: str
    """`Kind`, `Region`, `Sector` or `Year`."""
    options: list[FilterOption]
    """Only values that have entries: kinds and terms in the order of their listings, years newest first."""


@dataclass(frozen=True)
class PeriodRow:
    """A period of the timeline, as its tables show it."""

    label: str
    """E.g. `17 October 2017`, `Week of 16 October 2017` or `October 2017`."""
    count: int
    """Listed entries dated in it."""
    url: str = ""
    """In `timeline.rows`, the archive month it leads to; empty for a period without entries, and in a small
    multiple's `rows`."""


@dataclass(frozen=True)
class Multiple:
    """One small multiple: a region's or a sector's entries over the same periods as the main chart."""

    title: str
    """The term's title."""
    lang: str
    """The term's `lang` from `site.yaml`; empty when not given."""
    url: str
    """The term's page."""
    count: int
    """How many listed entries have the term."""
    count_text: str
    """The same, in words: `12 entries`."""
    svg: Markup
    """Its chart, drawn by `_small_chart.svg`."""
    feeds: list[FeedLink]
    """The term's feeds, as in `page.feeds`."""
    rows: list[PeriodRow]
    """Its periods with entries, oldest first."""


@dataclass(frozen=True)
class MultiplesGroup:
    """The small multiples of one taxonomy, all on one scale."""

    name: str
    """`regions` or `sectors`."""
    title: str
    """The taxonomy's `title` from `site.yaml`."""
    ceiling: int
    """The most entries of one term in one period: the height of the tallest bar possible in each of its
    charts."""
    multiples: list[Multiple]
    """One per term with entries, sorted by slug."""
    scale: str
    """A sentence saying so: `Every chart here has the same scale: the tallest bar possible is 20 entries in a
    week.`"""


@dataclass(frozen=True)
class Timeline:
    """Everything `timeline.html` shows: the chart, its table and the small multiples."""

    empty: bool
    """True when no entry is listed; then every other value is empty."""
    unit: str = ""
    """`day`, `week` or `month`: what a bar counts (a span of up to 60 days is counted per day, up to two years
    per week, longer per month)."""
    title: str = ""
    """E.g. `Entries per week, Week of 2 October 2017 to Week of 25 December 2017`."""
    summary: str = ""
    """E.g. `120 entries from 2 October 2017 to 28 December 2017; busiest week: …`."""
    chart: Markup = Markup("")
    """The main chart, drawn by `_chart.svg`."""
    rows: list[PeriodRow] = field(default_factory=list)
    """Every period from the first entry's to the last's, empty ones too, oldest first."""
    groups: list[MultiplesGroup] = field(default_factory=list)
    """The small multiples of regions, then of sectors (a taxonomy without terms has none)."""
    period_header: str = ""
    """The tables' first column heading: `Day`, `Week` or `Month`."""


@dataclass(frozen=True)
class DataPageField:
    """A field of a data file, as datapackage.json describes it."""

    name: str
    """The column's (or key's) name."""
    type: str
    """Its Frictionless type, e.g. `string`, `date`, `integer`."""
    description: str
    """What it holds."""


@dataclass(frozen=True)
class DataPageFile:
    """One file of `/data/`, as the data page lists it."""

    name: str
    """`entries.csv`, `entries.json`, `posts.csv`, `post-ids.txt` or `datapackage.json`."""
    url: str
    """Its link."""
    type: str
    """`CSV`, `JSON` or `Text`."""
    count: str
    """How many rows it has, in words (`1,000 entries`); empty for `datapackage.json`."""
    description: str
    """A sentence on what it holds."""
    fields: list[DataPageField]
    """Its fields, in order, for the CSV files; empty for the others."""


@dataclass(frozen=True)
class SitemapUrl:
    """One `<url>` of sitemap.xml."""

    loc: str
    """The page's absolute URL, e.g. `https://example.org/articles/metoo-in-sports/`."""
    lastmod: str
    """The date of the entry's `updated` (or `date`), or of the newest among a listing's entries, e.g.
    `2017-10-17`; empty when there is none (the home page of an archive without listed entries)."""
