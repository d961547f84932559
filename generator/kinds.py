"""The archive's vocabularies of structure, each declared once as a table: kinds of entry, taxonomies
and feed formats. Everything else (discovery, URLs, views, outputs) reads these tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A kind of entry."""

    name: str
    """As in front matter rules and templates: 'article'."""
    folder: str
    """Its folder under content/: 'articles'."""
    section: str
    """The URL section of its pages and listing ('articles'); '' for pages, which live at the root."""
    label: str
    """One entry of the kind, as shown: 'Article'."""
    title: str
    """Its listing's title: 'Articles'."""
    schema_type: str
    """schema.org type of its pages."""
    citable: bool
    """Cited by researchers (a citation block and cite.json)."""
    slug_rank: int
    """Which kind a responds_to slug names first when two kinds share it (lowest first)."""


KINDS = (
    Kind("article", "articles", "articles", "Article", "Articles", "NewsArticle", True, 0),
    Kind("take", "takes", "takes", "Take", "Takes", "OpinionNewsArticle", True, 2),
    Kind("thread", "threads", "threads", "Thread", "Threads", "SocialMediaPosting", True, 1),
    Kind("page", "pages", "", "Page", "Pages", "WebPage", False, 3),
)
KIND = {kind.name: kind for kind in KINDS}
LISTED_KINDS = tuple(kind for kind in KINDS if kind.section)
"""Kinds with a listing, feeds and a place in the navigation, in navigation order."""


@dataclass(frozen=True)
class Taxonomy:
    """A way to browse: its terms come from entries (open) or from site.yaml (closed)."""

    name: str
    """Its key in site.yaml and front matter, and its URL section: 'regions'."""
    label: str
    """One term of it, as shown: 'Region'."""
    plural: str
    """Its terms, as an entry page heads them: 'Regions'."""
    closed: bool
    """Terms are declared in site.yaml; others are errors."""


TAXONOMIES = (
    Taxonomy("tags", "Tag", "Tags", False),
    Taxonomy("regions", "Region", "Regions", True),
    Taxonomy("sectors", "Sector", "Sectors", True),
)
TAXONOMY = {taxonomy.name: taxonomy for taxonomy in TAXONOMIES}
CLOSED_TAXONOMIES = tuple(taxonomy.name for taxonomy in TAXONOMIES if taxonomy.closed)
"""Regions and sectors: their terms come from site.yaml, and each pair of them has its own listing."""


@dataclass(frozen=True)
class FeedFormat:
    """A feed format every listing with feeds is published in."""

    file: str
    """The file name in the listing's folder."""
    label: str
    mime: str


FEED_FORMATS = (
    FeedFormat("feed.xml", "RSS", "application/rss+xml"),
    FeedFormat("atom.xml", "Atom", "application/atom+xml"),
    FeedFormat("feed.json", "JSON Feed", "application/feed+json"),
)
