"""The values templates receive, declared once: frozen dataclasses built by views.py.

Templates can be replaced by editors (layouts/), so what they see is a stable, documented surface. Each
field's docstring is its documentation: docs/templates.md's tables of values are written from them by
generator/reference.py, and tests/test_docs.py fails when the doc is stale. Jinja reads a field as it
would a key (`entry.title`, `t["items"]`).

Only what an editor may publish is here: a withdrawn entry's page gets a `Notice`, nothing of the entry,
and a private person's handle and URLs are empty strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Date:
    """A date as pages show it, in the site's `timezone`."""

    iso: str
    """`2017-10-17`, or `2017-10-17T14:02:00+00:00` when a time was given."""
    text: str
    """`17 October 2017`, or `17 October 2017, 14:02 UTC`."""


@dataclass(frozen=True)
class Link:
    """A titled link."""

    title: str
    """The text of the link."""
    url: str
    """Its address, from the server's root."""


@dataclass(frozen=True)
class FeedLink:
    """One feed of a page."""

    title: str
    """`RSS`, `Atom` or `JSON Feed`; in `page.alternates`, what the feed carries as well, e.g.
    `Region: United States (RSS)`."""
    type: str
    """The feed's media type, e.g. `application/rss+xml`."""
    url: str
    """The feed's link."""


@dataclass(frozen=True)
class Site:
    """The same on every page."""

    title: str
    """`title` from `site.yaml`."""
    description: str
    """`description` from `site.yaml` (may be empty)."""
    lang: str
    """`language` from `site.yaml`."""
    home_url: str
    """The home page's link, e.g. `/` or `/archive/`."""
    nav: list[Link]
    """The sections: Articles, Takes, Threads, the three taxonomies (with their `title` from `site.yaml`:
    Tags, Regions, Sectors), Archive, Timeline and, unless `search: false`, Search, in that order."""
    pages: list[Link]
    """The pages from `content/pages/` that are built and not withdrawn, by `weight`, then title, followed
    by `Open data` for `/data/` (the built-in `base.html` lists them in the footer)."""
    stylesheet: str
    """The link to `style.css`."""


@dataclass(frozen=True)
class Page:
    """Describes the page being rendered."""

    title: str
    """The page's title (see below)."""
    lang: str
    """The entry's `lang` on entry pages; otherwise, or when empty, the site's `language` (a term's `lang`
    is in `listing.lang`, for its heading)."""
    url: str
    """This page's link, e.g. `/articles/metoo-in-sports/` (for an alias page, the target's)."""
    canonical: str
    """This page's absolute URL (for an alias page, the target's)."""
    description: str
    """The entry's summary on entry pages, `This entry was withdrawn.` on notices, a sentence of their own
    on `/data/` and `/timeline/`, else the site's description."""
    noindex: bool
    """True on drafts, withdrawal notices, alias pages, the 404 page and the search page."""
    feeds: list[FeedLink]
    """This page's feeds: the site's feeds on the home page, the listing's on every page of kind, term and
    region-and-sector listings, empty elsewhere."""
    alternates: list[FeedLink]
    """Every feed the page links in its head (`<link rel="alternate">`), each `title` saying what it carries,
    e.g. `Region: United States (Atom)`: the listing's own on pages with `page.feeds`, then the whole
    archive's (`<site title> — all entries (RSS)`) on every page, then on entry pages those of its regions
    and sectors; none twice."""
    og_type: str
    """The OpenGraph type: `article` on entry pages, `website` elsewhere."""
    jsonld: dict | None
    """The page's schema.org description, a plain mapping for a `<script type="application/ld+json">`
    (write it with `tojson`): on entry pages a `NewsArticle` (articles), `OpinionNewsArticle` (takes),
    `SocialMediaPosting` (threads) or `WebPage` (pages) with `headline`, `url`, `datePublished`,
    `inLanguage`, `isPartOf`, `publisher` and, when known, `description`, `dateModified`, `author`,
    `keywords`, `isBasedOn` (the source's URL); on the home page and listings with feeds, a
    `CollectionPage`; `None` elsewhere."""
    search: bool
    """`search` from `site.yaml`: whether the search page exists."""


@dataclass(frozen=True)
class Author:
    """One of an entry's `authors`."""

    name: str
    """The name the editor gave."""
    url: str
    """The author's link; may be empty."""


@dataclass(frozen=True)
class Card:
    """An entry as listings show it."""

    title: str
    """The entry's title, with private handles replaced."""
    url: str
    """Its link."""
    kind: str
    """`article`, `take`, `thread` or `page`."""
    kind_label: str
    """`Article`, `Take`, `Thread` or `Page`."""
    date: Date
    """Its `date`."""
    summary: str
    """Its summary, plain text, with private handles replaced."""
    authors: list[Author]
    """Its `authors`."""
    content_warnings: list[str]
    """Its content warnings (the labels, when `site.yaml` has a vocabulary)."""
    collapse: bool
    """True when it has content warnings and `content_warnings_collapse` is not false: the body should be
    hidden until opened."""
    featured: bool
    """`featured`."""
    draft: bool
    """`draft` (true only in a `--drafts` build)."""
    lang: str
    """Its `lang`, empty when not given."""
    parts: str
    """For a thread, `5 of 10 parts` or `5 posts`; else empty."""


@dataclass(frozen=True)
class TermGroup:
    """The terms of one taxonomy that an entry uses."""

    name: str
    """`regions`, `sectors` or `tags`."""
    title: str
    """`Regions`, `Sectors` or `Tags`."""
    terms: list[Link]
    """The entry's terms of this taxonomy, each linked to its page."""


@dataclass(frozen=True)
class Response:
    """An entry that a take responds to."""

    title: str
    """Its title; `an entry since withdrawn` for a withdrawn one."""
    url: str
    """Its link; empty for a withdrawn one."""
    kind_label: str
    """`Article`, `Take`, `Thread` or `Page`; empty for a withdrawn one."""


@dataclass(frozen=True)
class Source:
    """Where an entry's material comes from (its `source`)."""

    title: str
    """The source's title, empty when not given."""
    publisher: str
    """Its publisher, empty when not given."""
    url: str
    """Its URL, empty when not given."""
    archived_url: str
    """An archived copy's URL, empty when not given."""
    published: Date | None
    """When it was published."""


@dataclass(frozen=True)
class Person:
    """A thread's or a post's author on a platform."""

    name: str
    """The name the editor gave."""
    handle: str
    """The handle without `@`; empty when the person is private."""
    url: str
    """The profile URL; empty when not given or when the person is private."""
    private: bool
    """True when marked private in this or any other entry."""


@dataclass(frozen=True)
class Image:
    """An image of a post."""

    src: str
    """As written."""
    alt: str
    """With private handles replaced."""


@dataclass(frozen=True)
class Post:
    """An archived post: in `thread.posts`, in the `post` items of `thread["items"]`, and in a `post` piece
    of `body_parts`."""

    n: int | None
    """Its position."""
    position: str
    """`2/10` when `n` and `parts_total` are known, `2` when only `n` is, else empty."""
    platform: str
    """The platform's display name."""
    author: Person
    """For a thread's posts, the thread's author; for a `post` block, its author."""
    text: Markup
    """The text, escaped, with URLs, known hashtags and public mentions as links and private mentions
    replaced by the name; line breaks are kept in the string (the theme shows them with
    `white-space: pre-line`)."""
    date: Date | None
    """When it was posted."""
    url: str
    """Its URL; empty when not given or when the author is private."""
    lang: str
    """Its `lang`, may be empty."""
    status: str
    """`live`, `deleted`, `protected`, `suspended` or `unknown`."""
    status_text: str
    """E.g. `Deleted on the platform; archived copy`."""
    media: list[Image]
    """Its images."""


@dataclass(frozen=True)
class ThreadItem:
    """A post of a thread, or a gap where parts were not archived."""

    kind: str
    """`post`, or `gap` (only when `parts_total` is given) for each run of missing parts."""
    post: Post | None = None
    """The post, for a `post` item."""
    text: str = ""
    """For a `gap`, e.g. `Parts 4 to 9 of 10 were not archived.`: one item for a whole run of missing parts."""


@dataclass(frozen=True)
class Thread:
    """An archived thread."""

    title: str
    """The thread entry's title, with private handles replaced."""
    url: str
    """The link to the thread's page; empty when it has none."""
    platform: str
    """`Twitter`, `X`, `Mastodon`, `Bluesky`, `Instagram` or `Facebook`."""
    author: Person
    """The thread's author."""
    parts_total: int | None
    """`parts_total`."""
    posts: list[Post]
    """The posts, in file order."""
    missing: list[int]
    """The part numbers from 1 to `parts_total` that no post has; empty without `parts_total`."""
    missing_text: str
    """E.g. `Parts 1, 3, 5, 7, 9 of 10 were not archived.`, a run of three or more written as one (`Parts 1,
    4 to 9 of 10`); empty when nothing is missing."""
    items: list[ThreadItem]
    """The posts with the gaps between them. Write `t["items"]` or `t.items`."""
    status: str = ""
    """The status every post has (`live`, `deleted`, `protected`, `suspended` or `unknown`), said once for the
    thread instead of on each post; empty when the posts' statuses differ."""
    status_text: str = ""
    """That status as a sentence, e.g. `Every post has been deleted on the platform; these are archived
    copies`; empty with `status`."""


@dataclass(frozen=True)
class BodyPart:
    """A piece of an entry's body, in order."""

    kind: str
    """`html`, `post`, `thread`, `withdrawn` or `unavailable`."""
    html: Markup = Markup("")
    """For `html`: a piece of the rendered, sanitised body, with links between entries resolved and private
    handles replaced."""
    post: Post | None = None
    """For `post`: the post of a `post` block."""
    thread: Thread | None = None
    """For `thread`: the thread of a `thread` block."""
    text: str = ""
    """For `withdrawn` and `unavailable`: why an embedded thread is not shown, e.g. `An archived thread
    embedded here has been withdrawn.`"""
    heading_level: int = 2
    """For `thread`: the level of the thread's heading, one below the body's last heading before it (a
    thread under a `##` subhead has an `<h3>`), 2 when no heading comes before it, at most 6."""


@dataclass(frozen=True)
class Citation:
    """How to cite an entry, for `_cite.html` (see [data.md](data.md))."""

    style: str
    """`Chicago`."""
    text: str
    """The reference in that style, as plain text."""
    bibtex: str
    """The BibTeX record."""
    key: str
    """The BibTeX key."""
    url: str
    """The entry's absolute URL."""
    csl_url: str
    """The link to the entry's CSL-JSON file, `cite.json` beside its page."""
    csl_type: str
    """The CSL-JSON file's media type."""
    data_url: str
    """The link to `/data/`."""


@dataclass(frozen=True)
class Entry(Card):
    """An entry as its page shows it: a card, with more."""

    updated: Date | None
    """`updated`."""
    dek: str
    """The `summary` written in the front matter, plain text, with private handles replaced, shown under
    the title (before a content warning); empty when the summary is the body's first paragraph, which
    the dek would repeat."""
    body_parts: list[BodyPart]
    """The body, cut where posts and threads are embedded."""
    terms: list[TermGroup]
    """One group per taxonomy that the entry uses, in the order regions, sectors, tags."""
    responds_to: list[Response]
    """For a take, the entries it responds to; withdrawn ones at the end."""
    responses: list[Card]
    """The takes that respond to this entry, newest first."""
    source: Source | None
    """Its `source`."""
    thread: Thread | None
    """For a thread, the archived thread; `None` for other kinds."""
    cite: Citation | None
    """How to cite the entry; `None` for pages."""


@dataclass(frozen=True)
class Notice:
    """What is left of a withdrawn entry."""

    date: Date
    """The withdrawal date."""
    reason: str
    """The `reason` text."""


@dataclass(frozen=True)
class AliasTarget:
    """The entry an old address points to."""

    url: str
    """The link to the entry, e.g. `/articles/metoo-sports-2017/`."""
    absolute: str
    """The entry's absolute URL."""

