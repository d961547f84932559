"""Feeds: RSS 2.0 and Atom 1.0 with feedgen, JSON Feed 1.1 with the standard library.

Every listing with feeds (the site, each kind, each term) gets all three. An
item's id never changes for the life of the entry (see `entry_id`), its links
are absolute, and a withdrawn entry keeps its place and id with the notice in
place of its content, so that readers overwrite the copy they hold.

Escaping has one place per kind of value: `clean` for plain text (lxml then
escapes it as XML), `rss_description` for an RSS <description> (HTML, as every
reader renders it), and `feed_html` for the HTML of content (RSS
content:encoded, Atom content, JSON Feed content_html), which `FeedItem`
applies to whatever content it is given.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from ..entries import Entry
from ..kinds import CLOSED_TAXONOMIES, FEED_FORMATS
from ..markup import sanitise
from ..routes import Route, Target
from ..site import Listing, Site
from ..urls import entry_id

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RSS_NAMESPACES = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}
# Characters XML 1.0 cannot hold: a post copied from a platform may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """Text safe for an XML document: invalid characters removed."""
    return _INVALID_XML.sub("", text)


def rss_description(text: str) -> str:
    """Plain text as the HTML of an RSS <description>, which every reader renders as HTML.

    HTML-escaped here and XML-escaped when written, so that a reader that
    unescapes the XML once finds text (`&lt;img&gt;`), never an element.
    """
    return html.escape(clean(text), quote=False)


def feed_html(html_text: str, page_url: str) -> str:
    """HTML as a feed carries it: through the sanitiser, every URL absolute, nothing XML cannot hold.

    Sanitised even when markdown.unsafe_html is true: that trusts the editor's
    raw HTML on the site's own pages, not in every subscriber's reader. Relative
    URLs are made absolute against the entry's URL, since readers have no base.
    """
    return sanitise(clean(html_text), base_url=page_url)


class FeedItem:
    """What a feed needs of one entry, computed once and shared by every feed that carries it.

    Its RSS <item> and Atom <entry> are built with feedgen once, then spliced into
    each feed that carries the entry: an entry may be in a dozen feeds.
    """

    __slots__ = ("id", "url", "title", "published", "updated", "authors", "categories", "summary", "content",
                 "lang", "_xml")

    def __init__(self, id, url, title, published, updated, authors, categories, summary, content, lang):
        """`title`, `authors`, `categories` and `summary` are plain text; `content` is HTML, sanitised here."""
        self.id, self.url, self.title = id, url, title
        self.published, self.updated = published, updated
        self.authors, self.categories = authors, categories
        self.summary, self.lang = summary, lang
        self.content = feed_html(content, url) if content else ""
        self._xml: dict[str, str] = {}

    def xml(self, kind: str) -> str:
        """The item as RSS ('feed.xml') or Atom ('atom.xml') markup."""
        cached = self._xml.get(kind)
        if cached is None:
            entry = self._feedgen_entry(kind)
            if kind == "atom.xml":
                element = entry.atom_entry()
                if self.lang:
                    element.set(XML_LANG, self.lang)
            else:
                # Inside a parent that names the namespaces, so that they keep their usual prefixes.
                parent = etree.Element("rss", nsmap=RSS_NAMESPACES)
                element = entry.rss_entry()
                parent.append(element)
            cached = self._xml[kind] = etree.tostring(element, pretty_print=True, encoding="unicode")
        return cached

    def _feedgen_entry(self, kind: str) -> FeedEntry:
        entry = FeedEntry()
        entry.load_extension("dc", atom=False, rss=True)
        entry.id(self.id)
        entry.guid(self.id, permalink=False)
        entry.title(clean(self.title))
        entry.link(href=self.url, rel="alternate")
        entry.published(self.published)
        entry.updated(self.updated)
        for name in self.authors:
            entry.author(name=clean(name))
            entry.dc.dc_creator(clean(name))
        for term, label in self.categories:
            entry.category(term=clean(term), label=clean(label))
        summary = clean(self.summary) or clean(self.title)
        if kind == "atom.xml":
            entry.summary(summary)  # Atom's default type="text": readers show it as text
        else:
            entry.description(rss_description(summary))  # before content, which replaces Atom's copy of it
        if self.content:
            entry.content(self.content, type="html")
        return entry


def feed_updated(items: list[FeedItem], fallback: datetime) -> datetime:
    """The newest item's date: never the build time, so output is byte-identical."""
    return max((i.updated for i in items), default=fallback)


def render_feed(kind: str, listing: Listing, items: list[FeedItem], *, site_title: str, description: str,
                base_url: str, language: str, fallback: datetime) -> bytes:
    title = site_title if not listing.path else f"{site_title} - {listing.title}"
    home = base_url + listing.path
    self_url = home + kind
    updated = feed_updated(items, fallback)
    if kind == "feed.json":
        return _json_feed(title, description, home, self_url, language, items)
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(home)
    fg.title(clean(title))
    # One call sets both RSS's <description> (HTML) and Atom's <subtitle> (text): each feed gets its own.
    fg.description(rss_description(description or title) if kind == "feed.xml" else clean(description or title))
    fg.link(href=self_url, rel="self")
    fg.link(href=home, rel="alternate")  # last: feedgen makes the last link RSS's <channel><link>
    fg.language(language)
    fg.author(name=clean(site_title))  # Atom needs an author for entries that credit none
    fg.updated(updated)
    fg.generator("Chorus")
    if kind == "atom.xml":
        feed, _doc = fg._create_atom()
        head = etree.tostring(feed, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode("utf-8")
        closing = "</feed>"
    else:
        head = fg.rss_str(pretty=True).decode("utf-8")
        closing = "</channel>"
    cut = head.rindex(closing)
    return (head[:cut] + "".join(item.xml(kind) for item in items) + head[cut:]).encode("utf-8")


def _json_feed(title: str, description: str, home: str, self_url: str, language: str,
               items: list[FeedItem]) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": home,
        "feed_url": self_url,
        "description": description,
        "language": language,
        "items": [],
    }
    for item in items:
        entry = {"id": item.id, "url": item.url, "title": item.title}
        if item.content:
            entry["content_html"] = item.content
        else:
            entry["content_text"] = item.summary or item.title
        entry["summary"] = item.summary
        entry["date_published"] = item.published.isoformat()
        entry["date_modified"] = item.updated.isoformat()
        if item.authors:
            entry["authors"] = [{"name": name} for name in item.authors]
        if item.categories:
            entry["tags"] = [label for _term, label in item.categories]
        if item.lang:
            entry["language"] = item.lang
        feed["items"].append(entry)
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---- the output: a feed in each format for every listing with feeds ----


@dataclass(frozen=True, eq=False)
class FeedFile(Target):
    listing: Listing
    format: str
    """The file name of the format (kinds.FEED_FORMATS)."""


TARGETS = (FeedFile,)


def routes(site: Site) -> list[Route]:
    found = []
    for listing in site.feed_listings():
        owner = "the site feed" if not listing.path else f"the feed of {listing.path}"
        found += [Route(listing.path + f.file, owner, FeedFile(listing, f.file)) for f in FEED_FORMATS]
    return found


def render(ctx, route: Route) -> bytes:
    listing, config = route.target.listing, ctx.site.config
    ctx.record("feed", listing.path)
    items = [_item(ctx, e) for e in listing.feed_entries[: config.feeds.items]]
    if not items:
        ctx.record("entries")  # an empty feed says it was updated at the archive's newest date
    return render_feed(route.target.format, listing, items, site_title=config.title,
                       description=config.description, base_url=config.base_url, language=config.language,
                       fallback=ctx.memo("newest date", lambda: _newest(ctx.site)))


def _newest(site: Site) -> datetime:
    """The newest date of the archive: a feed with no item says it was updated then, never the build time."""
    dates = [(e.meta.updated or e.meta.date).at for e in site.everything.feed_entries]
    return max(dates) if dates else datetime(1970, 1, 1, tzinfo=timezone.utc)


def _item(ctx, entry: Entry) -> FeedItem:
    """Computed once per entry: every feed that carries it reuses it."""
    return ctx.memo(("feed item", entry.path), lambda: _make_item(ctx, entry))


def _make_item(ctx, entry: Entry) -> FeedItem:
    views, config = ctx.views, ctx.site.config
    ctx.record("entry", entry.path)
    url = views.absolute(ctx.site.urls[entry.path])
    meta = entry.meta
    if meta.withdrawn:
        notice = ctx.template("feed_withdrawn.html", notice=views.notice(entry)).decode("utf-8")
        text = f"This entry was withdrawn. {meta.withdrawn.reason}"
        return FeedItem(entry_id(entry, config.base_url), url, "Withdrawn", meta.date.at, meta.withdrawn.date.at,
                        [], [], text, notice.strip(), "")
    view = views.entry(entry)
    summary = view.summary
    if meta.content_warnings:
        summary = f"Content warning: {', '.join(meta.content_warnings)}. {summary}".strip()
    if config.feeds.full_content:
        content = ctx.template("feed_content.html", entry=view).decode("utf-8").strip()
    else:
        content = ctx.template("feed_summary.html", entry=view, summary=summary).decode("utf-8").strip()
    authors = [a.name for a in meta.authors] or ([meta.author.name] if meta.author else [])
    categories = [(t.key, views.tag_title(t)) for t in meta.tags]
    for taxonomy in CLOSED_TAXONOMIES:
        vocabulary = config.taxonomies.of(taxonomy)
        categories += [(slug, vocabulary.term(slug).title) for slug in getattr(meta, taxonomy)]
    return FeedItem(entry_id(entry, config.base_url), url, view.title, meta.date.at,
                    (meta.updated or meta.date).at, authors, categories, summary, content,
                    meta.lang or config.language)
