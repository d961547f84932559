"""Every page tells browsers and feed readers where its feeds are: `<link rel="alternate">` in its head."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from conftest import BASE_CONFIG, entry

TYPES = {"feed.xml": "application/rss+xml", "atom.xml": "application/atom+xml", "feed.json": "application/feed+json"}
LABELS = {"feed.xml": "RSS", "atom.xml": "Atom", "feed.json": "JSON Feed"}
ORIGIN = "https://archive.example.org"


class HeadLinks(HTMLParser):
    """The (type, title, href) of each <link rel="alternate"> in a page's head."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "link" and self.in_head and values.get("rel") == "alternate":
            self.links.append((values.get("type", ""), values.get("title", ""), values.get("href", "")))

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def head_links(page: Path) -> list[tuple[str, str, str]]:
    parser = HeadLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def feeds_of(listing: str, title: str) -> list[tuple[str, str, str]]:
    """The three links to a listing's feeds, as a page should write them."""
    return [(TYPES[name], f"{title} ({LABELS[name]})", f"/{listing}{name}") for name in TYPES]


SITE_FEEDS = feeds_of("", "Test archive — all entries")

SITE = {
    "content/articles/a.md": entry("A", tags=["x"], regions=["us", "france"], sectors=["sports"]),
    "content/takes/b.md": entry("B", "2017-10-18", authors=["Jane"], regions=["us"]),
    "content/articles/d.md": entry("D", draft=True, regions=["usa"], sectors=["workplace"]),
    "content/pages/about.md": entry("About", body="About this archive."),
}


def test_pages_link_the_site_feeds_and_an_entry_those_of_its_regions_and_sectors(build_site):
    out = build_site(SITE)
    assert head_links(out / "index.html") == SITE_FEEDS
    assert head_links(out / "articles/a/index.html") == (
        SITE_FEEDS + feeds_of("regions/us/", "Region: United States") + feeds_of("regions/france/", "Region: France")
        + feeds_of("sectors/sports/", "Sector: Sports"))
    # A term's listing offers its own feeds first (a reader picks the first), then the archive's.
    assert head_links(out / "regions/us/index.html") == feeds_of("regions/us/", "Region: United States") + SITE_FEEDS
    assert head_links(out / "tags/x/index.html") == feeds_of("tags/x/", "Tag: x") + SITE_FEEDS
    assert head_links(out / "takes/index.html") == feeds_of("takes/", "Takes") + SITE_FEEDS
    assert head_links(out / "regions/us/sectors/sports/index.html") == (
        feeds_of("regions/us/sectors/sports/", "United States: Sports") + SITE_FEEDS)
    for page in ("about/index.html", "404.html", "archive/index.html", "regions/index.html"):
        assert head_links(out / page) == SITE_FEEDS, page


def test_every_link_is_distinct_and_reaches_a_feed_that_was_built(build_site):
    # With --drafts a draft is listed, and so are its terms (one by an alias), which only it has.
    out = build_site(SITE, "--drafts", config=BASE_CONFIG.replace(f"base_url: {ORIGIN}/", f"base_url: {ORIGIN}/x/"))
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        links = head_links(page)
        assert [link for link in links if link[2] == "/x/feed.xml"], page
        assert len({href for _, _, href in links}) == len(links), page
        assert len({title for _, title, _ in links}) == len(links), page
        for kind, title, href in links:
            assert href.startswith("/x/") or href.startswith(f"{ORIGIN}/x/"), (page, href)
            path = href.removeprefix(ORIGIN).removeprefix("/x/")
            assert (out / path).is_file(), (page, href)
            assert kind == TYPES[Path(path).name] and title.endswith(f"({LABELS[Path(path).name]})"), (page, title)
    draft = [href for _, _, href in head_links(out / "articles/d/index.html")]
    assert draft == [f"/x/{listing}{name}" for listing in ("", "regions/us/", "sectors/workplace/") for name in TYPES]
