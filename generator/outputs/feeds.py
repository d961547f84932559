"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for every listing with feeds (the site, each kind, each term).

An item's id never changes for the life of the entry (see `entry_id`), its links
are absolute, and a withdrawn entry keeps its place and id with the notice in
place of its content, so that readers overwrite the copy they hold.

Each entry's item in each format is made once (feeditems.py, mostly while its
page is rendered) and spliced into every feed that carries it; this module
writes each feed's own head around them, byte for byte as feedgen and lxml did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from ..feeditems import FORMATS, element, items_of, rfc822, rss_description, xml_attribute, clean
from ..kinds import FEED_FORMATS
from ..routes import Route, Target
from ..site import Listing, Site

XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
RSS_ROOT = ('<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n')


@dataclass(frozen=True)
class FeedHead:
    """What a feed says of itself."""

    title: str
    description: str
    home: str
    """The listing's absolute URL."""
    self_url: str
    language: str
    site_title: str
    updated: datetime
    """The newest item's date: never the build time, so output is byte-identical."""


def feed_document(kind: str, head: FeedHead, items: list[bytes]) -> bytes:
    """A whole feed of format `kind` (a file name of kinds.FEED_FORMATS), its items already serialised."""
    if kind == "feed.json":
        return _json_document(head, items)
    start, end = (_atom_head(head), "</feed>\n") if kind == "atom.xml" else (_rss_head(head), "</channel>\n</rss>\n")
    return start.encode("utf-8") + b"".join(items) + end.encode("utf-8")


def _rss_head(head: FeedHead) -> str:
    lines = [XML_DECLARATION, RSS_ROOT, "  <channel>\n", element("title", clean(head.title), "    "),
             element("link", head.home, "    "),
             element("description", rss_description(head.description or head.title), "    "),
             f'    <atom:link href="{xml_attribute(head.self_url)}" rel="self"/>\n',
             "    <docs>http://www.rssboard.org/rss-specification</docs>\n", "    <generator>Chorus</generator>\n"]
    if head.language:
        lines.append(element("language", head.language, "    "))
    lines += [element("lastBuildDate", rfc822(head.updated), "    "), "  "]
    return "".join(lines)


def _atom_head(head: FeedHead) -> str:
    lang = f' xml:lang="{xml_attribute(head.language)}"' if head.language else ""
    lines = [XML_DECLARATION, f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>\n', element("id", head.home),
             element("title", clean(head.title)), element("updated", head.updated.isoformat())]
    author = clean(head.site_title)  # Atom needs an author for entries that credit none
    if author:
        lines.append(f"  <author>\n{element('name', author, '    ')}  </author>\n")
    lines += [f'  <link href="{xml_attribute(head.self_url)}" rel="self"/>\n',
              f'  <link href="{xml_attribute(head.home)}" rel="alternate"/>\n', "  <generator>Chorus</generator>\n"]
    subtitle = clean(head.description or head.title)
    if subtitle:
        lines.append(element("subtitle", subtitle))
    return "".join(lines)


def _json_document(head: FeedHead, items: list[bytes]) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": head.title,
        "home_page_url": head.home,
        "feed_url": head.self_url,
        "description": head.description,
        "language": head.language,
        "items": [],
    }
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    if not items:
        return (text + "\n").encode("utf-8")
    # The empty list closes the document ('[]\n}'): the items go between its brackets.
    return text[:-len("]\n}")].encode("utf-8") + b"\n" + b",\n".join(items) + b"\n  ]\n}\n"


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
    found = [items_of(ctx, e) for e in listing.feed_entries[: config.feeds.items]]
    if not found:
        ctx.record("entries")  # an empty feed says it was updated at the archive's newest date
    updated = max((stored.updated for stored, _ in found), default=None)
    if updated is None:
        updated = ctx.memo("newest date", lambda: _newest(ctx.site))
    home = config.base_url + listing.path
    head = FeedHead(title=config.title if not listing.path else f"{config.title} - {listing.title}",
                    description=config.description, home=home, self_url=home + route.target.format,
                    language=config.language, site_title=config.title, updated=updated)
    position = FORMATS.index(route.target.format)
    return feed_document(route.target.format, head, [parts[position] for _, parts in found])


def _newest(site: Site) -> datetime:
    """The newest date of the archive: a feed with no item says it was updated then, never the build time."""
    dates = [(e.meta.updated or e.meta.date).at for e in site.everything.feed_entries]
    return max(dates) if dates else datetime(1970, 1, 1, tzinfo=timezone.utc)
