"""Feed items written by hand (generator/feeditems.py) come out byte for byte as feedgen and lxml wrote them,
are made once per entry from its page's view model, and are kept outside memory for every process."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from conftest import assembled_site, entry, write_files
from generator.cache import code_digest
from generator.config import CONFIG_FILE
from generator.feeditems import (FORMATS, FeedItem, FragmentStore, atom_entry, clean, json_item, rss_description,
                                 rss_item, store_of)
from generator.outputs import OUTPUTS
from generator.outputs.feeds import FeedFile, FeedHead, feed_document
from generator.outputs.pages import EntryPage
from generator.render import RenderContext

# ---- the oracle: how feedgen and lxml wrote an item and a feed (the implementation this replaced) ----

RSS_NAMESPACES = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}


def feedgen_item(item: FeedItem, kind: str) -> str:
    fe = FeedEntry()
    fe.load_extension("dc", atom=False, rss=True)
    fe.id(item.id)
    fe.guid(item.id, permalink=False)
    fe.title(clean(item.title))
    fe.link(href=item.url, rel="alternate")
    fe.published(item.published)
    fe.updated(item.updated)
    for name in item.authors:
        fe.author(name=clean(name))
        fe.dc.dc_creator(clean(name))
    for term, label in item.categories:
        fe.category(term=clean(term), label=clean(label))
    summary = clean(item.summary) or clean(item.title)
    if kind == "atom.xml":
        fe.summary(summary)
    else:
        fe.description(rss_description(summary))
    if item.content:
        fe.content(item.content, type="html")
    if kind == "atom.xml":
        element = fe.atom_entry()
        if item.lang:
            element.set("{http://www.w3.org/XML/1998/namespace}lang", item.lang)
    else:
        parent = etree.Element("rss", nsmap=RSS_NAMESPACES)
        element = fe.rss_entry()
        parent.append(element)
    return etree.tostring(element, pretty_print=True, encoding="unicode")


def feedgen_document(kind: str, head: FeedHead, items: list[FeedItem]) -> bytes:
    if kind == "feed.json":
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": head.title, "home_page_url": head.home,
                "feed_url": head.self_url, "description": head.description, "language": head.language,
                "items": [json.loads(json_item(i)) for i in items]}
        return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(head.home)
    fg.title(clean(head.title))
    description = head.description or head.title
    fg.description(rss_description(description) if kind == "feed.xml" else clean(description))
    fg.link(href=head.self_url, rel="self")
    fg.link(href=head.home, rel="alternate")
    fg.language(head.language)
    fg.author(name=clean(head.site_title))
    fg.updated(head.updated)
    fg.generator("Chorus")
    if kind == "atom.xml":
        feed, _doc = fg._create_atom()
        text = etree.tostring(feed, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode("utf-8")
        closing = "</feed>"
    else:
        text = fg.rss_str(pretty=True).decode("utf-8")
        closing = "</channel>"
    cut = text.rindex(closing)
    return (text[:cut] + "".join(feedgen_item(i, kind) for i in items) + text[cut:]).encode("utf-8")


# ---- generated items: the text an archive may hold, hostile parts included ----

# Everything but what clean() removes and lxml refuses, with the characters XML and HTML treat specially
# made frequent.
TEXT = st.text(st.one_of(st.sampled_from('&<>"\'\r\n\t ]]>;#x@'), st.characters(codec="utf-8")), max_size=40)
WORDS = TEXT.filter(lambda t: clean(t).strip() != "")
"""Text that is still text once cleaned: feedgen refused a feed whose title or description was not."""
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
DATES = st.builds(lambda d, tz: d.replace(tzinfo=tz), st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)), OFFSETS)
URLS = st.from_regex(r"https://archive\.example\.org/[a-z0-9/\-]{0,30}", fullmatch=True)
ITEMS = st.builds(
    FeedItem, id=URLS, url=URLS, title=WORDS, published=DATES, updated=DATES,
    authors=st.lists(TEXT, max_size=3).map(tuple),
    categories=st.lists(st.tuples(WORDS, TEXT), max_size=4).map(tuple),
    summary=TEXT, content=st.one_of(st.just(""), TEXT.map(clean)), lang=st.sampled_from(["", "en", "fr", "pt-BR"]))


@settings(max_examples=300, deadline=None)
@given(ITEMS)
def test_an_item_is_written_as_feedgen_wrote_it(item):
    assert rss_item(item) == feedgen_item(item, "feed.xml")
    assert atom_entry(item) == feedgen_item(item, "atom.xml")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ITEMS, max_size=3), WORDS, st.one_of(st.just(""), WORDS), URLS, st.sampled_from(["en", "fr", ""]),
       WORDS, DATES, st.sampled_from(FORMATS))
def test_a_feed_is_written_as_feedgen_wrote_it(items, title, description, home, language, site_title, updated,
                                                kind):
    head = FeedHead(title=title, description=description, home=home, self_url=home + kind, language=language,
                    site_title=site_title, updated=updated)
    parts = [{"feed.xml": rss_item, "atom.xml": atom_entry, "feed.json": json_item}[kind](i).encode("utf-8")
             for i in items]
    assert feed_document(kind, head, parts) == feedgen_document(kind, head, items)


# ---- the store ---------------------------------------------------------------------


def test_items_stored_by_a_worker_are_read_by_processes_forked_later(tmp_path):
    store = FragmentStore()
    store.open(tmp_path)
    moment = datetime(2017, 10, 17, tzinfo=timezone.utc)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # a worker: stores an entry's items and tells the parent where they are
        store.put("a.md", [b"rss", "atom \u00e9".encode(), b""], moment, frozenset({("entry", "a.md")}))
        os.write(writer, json.dumps([(path, s.file, s.offset, s.sizes) for path, s in store.added()]).encode())
        os._exit(0)
    os.waitpid(child, 0)
    (path, file, offset, sizes), = json.loads(os.read(reader, 65536))
    assert file.endswith(f"-{child}")  # the worker's own file
    from generator.feeditems import Stored
    store.merge([(path, Stored(file, offset, tuple(sizes), moment, frozenset({("entry", "a.md")})))])
    store.put("b.md", [b"1", b"22", b"333"], moment, frozenset())  # the parent's own file, beside the worker's
    assert store.get("a.md")[1] == [b"rss", "atom \u00e9".encode(), b""]
    assert store.get("b.md")[1] == [b"1", b"22", b"333"]
    assert store.get("c.md") is None
    store.close()
    assert "a.md" not in store


def test_without_a_folder_items_are_kept_in_memory():
    store = FragmentStore()
    store.put("a.md", [b"x", b"y", b"z"], datetime(2017, 1, 1, tzinfo=timezone.utc), frozenset())
    assert store.get("a.md")[1] == [b"x", b"y", b"z"]


# ---- one view model per entry ------------------------------------------------------------


def context(site_dir: Path) -> RenderContext:
    site = assembled_site(site_dir)
    routes = [route for output in OUTPUTS for route in output.routes(site)]
    return RenderContext(site, site_dir, routes, OUTPUTS, code_digest(), (site_dir / CONFIG_FILE).read_bytes(),
                         use_cache=False)


def test_feeds_from_the_pages_view_models_are_the_feeds_made_alone(tmp_path):
    """Items made while entry pages render (from their view models) make the same feeds, recording the same
    inputs, as items made by the feeds themselves; and an item adds no input to its page."""
    site_dir = write_files(tmp_path / "site", {
        "site.yaml": (Path(__file__).parent / "invalid_sites/unknown-region/site.yaml").read_text(encoding="utf-8"),
        "content/articles/a.md": entry("A <b>&amp;", tags=["x"], regions=["us"], sectors=["sports"],
                                       body="[B](../takes/b.md) and ![p](p.jpg)\n\n```thread\nt\n```"),
        "content/takes/b.md": entry("B", "2017-10-18", authors=["Jane"], responds_to=["a"],
                                    content_warnings=["violence"]),
        "content/threads/t.md": entry("T", "2017-10-16", platform="mastodon", author={"name": "Ann", "handle": "ann@x.org"},
                                      posts=[{"url": "https://x.org/@ann/1", "date": "2017-10-16", "text": "#x hi"}]),
        "content/articles/gone.md": entry("Gone", withdrawn={"date": "2018-01-01", "reason": "Asked."}),
    })
    shared, alone = context(site_dir), context(site_dir)
    pages = [r for r in shared.routes if isinstance(r.target, EntryPage)]
    feeds = [r for r in shared.routes if isinstance(r.target, FeedFile)]
    assert pages and feeds
    for route in pages:
        _, pairs = shared.render(route)
        stored, _ = store_of(shared).get(route.target.entry.path)
        assert stored.keys <= {key for key, _ in pairs}, route.path
    for route in feeds:
        assert shared.render(route) == alone.render(route), route.path


# ---- the worker pool leaves nothing behind ------------------------------------------------


def test_a_build_leaves_no_item_files_and_a_collector_as_it_found_it(tmp_path, monkeypatch):
    """The items' temporary folder is removed, and the heap frozen for the forks is unfrozen (a long-lived
    `chorus serve` would otherwise never collect what an earlier build left)."""
    import gc
    import tempfile

    from generator.build import build
    from test_output import four_languages

    site = four_languages(tmp_path / "site", search=False)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    frozen = gc.get_freeze_count()
    for jobs in (1, 2):
        report = build(site, tmp_path / f"out{jobs}", jobs=jobs, use_cache=False)
        assert report.feeds and (tmp_path / f"out{jobs}/feed.xml").is_file()
        assert gc.get_freeze_count() == frozen
        assert list(temporary.iterdir()) == []
        assert list((site / ".chorus-cache").glob("feed-items-*")) == []


def test_a_killed_build_s_item_folder_is_removed_by_the_next(tmp_path):
    """A build killed outright cannot remove its items' folder: the next build removes those of processes
    that are gone (and never another live build's)."""
    import subprocess
    import sys

    from generator.build import build
    from test_output import four_languages

    site = four_languages(tmp_path / "site", per_language=2, search=False)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = site / ".chorus-cache" / f"feed-items-{gone.stdout.strip()}-abc"
    live = site / ".chorus-cache" / f"feed-items-{os.getppid()}-abc"
    for folder in (stale, live):
        folder.mkdir(parents=True)
        (folder / "1").write_bytes(b"items")
    build(site, tmp_path / "out", jobs=1)
    assert not stale.exists() and live.exists()
