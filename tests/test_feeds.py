"""Feeds as a subscriber's reader sees them: feedparser for RSS and Atom, the JSON Feed 1.1 fields."""

from __future__ import annotations

import json

import feedparser
import pytest

from conftest import BASE_CONFIG, entry, run

FEEDS = ("feed.xml", "atom.xml", "feed.json")


def parse(path):
    if path.name == "feed.json":
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        for item in data["items"]:
            assert item["id"] and ("content_html" in item or "content_text" in item)
        return data
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def items(path):
    feed = parse(path)
    if path.name == "feed.json":
        return [{"id": i["id"], "title": i["title"], "link": i["url"], "content": i.get("content_html", ""),
                 "lang": i.get("language", "")} for i in feed["items"]]
    return [{"id": e.id, "title": e.title, "link": e.link,
             "content": e.content[0].value if "content" in e else "", "lang": e.get("language", "")}
            for e in feed.entries]


def test_every_listing_has_three_feeds_that_parse(build_site):
    out = build_site({
        "content/articles/a.md": entry("A", tags=["x"], regions=["us"], sectors=["sports"]),
        "content/takes/b.md": entry("B", authors=["Jane"], regions=["france"], sectors=["sports"]),
    })
    for listing in ["", "articles/", "takes/", "threads/", "tags/x/", "regions/us/", "regions/france/",
                    "sectors/sports/", "regions/us/sectors/sports/", "regions/france/sectors/sports/"]:
        for name in FEEDS:
            parse(out / listing / name)
        page = (out / listing / "index.html").read_text()
        for name in FEEDS:
            assert '<link rel="alternate" type="' in page and f'href="/{listing}{name}"' in page


def test_items_newest_first_limited_with_absolute_links(build_site):
    config = BASE_CONFIG + "feeds: {items: 3}\n"
    files = {f"content/articles/e{i}.md": entry(f"E{i}", f"2017-10-1{i}", body=f"[link](../takes/t.md) ![p](p{i}.jpg)")
             for i in range(5)}
    files["content/takes/t.md"] = entry("T", "2017-09-01", authors=["Jane"])
    out = build_site(files, config=config)
    for name in FEEDS:
        got = items(out / "articles" / name)
        assert [i["title"] for i in got] == ["E4", "E3", "E2"]
        assert got[0]["link"] == "https://archive.example.org/articles/e4/"
        assert 'href="https://archive.example.org/takes/t/"' in got[0]["content"]
        assert 'src="https://archive.example.org/articles/e4/p4.jpg"' in got[0]["content"]


def test_feed_titles_name_the_archive_and_the_term(build_site):
    out = build_site({"content/articles/a.md": entry("A", sectors=["sports"])})
    assert parse(out / "sectors/sports/feed.xml").feed.title == "Test archive - Sports"
    assert parse(out / "sectors/sports/feed.json")["title"] == "Test archive - Sports"
    assert parse(out / "feed.xml").feed.title == "Test archive"


def test_self_links_and_updated_come_from_content(build_site):
    out = build_site({"content/articles/a.md": entry("A", date="2017-10-17T10:00:00+02:00",
                                                     updated="2017-10-20", regions=["us"])})
    atom = parse(out / "regions/us/atom.xml")
    self_links = [l.href for l in atom.feed.links if l.rel == "self"]
    assert self_links == ["https://archive.example.org/regions/us/atom.xml"]
    assert atom.feed.updated.startswith("2017-10-20")
    rss = parse(out / "regions/us/feed.xml")
    assert rss.feed.updated_parsed[:3] == (2017, 10, 20)
    assert parse(out / "regions/us/feed.json")["feed_url"] == "https://archive.example.org/regions/us/feed.json"


def test_guid_survives_a_slug_change_kept_in_aliases(write_site, tmp_path):
    site = write_site({"content/articles/first-name.md": entry("Old title", tags=["x"])})
    assert run("build", "--site", str(site), "--out", str(tmp_path / "before")).code == 0
    (site / "content/articles/first-name.md").unlink()
    (site / "content/articles/renamed.md").write_text(
        entry("New title", tags=["x"], slug="new-slug", aliases=["/articles/first-name/", "/s/short/"]))
    assert run("build", "--site", str(site), "--out", str(tmp_path / "after")).code == 0
    for listing in ["", "articles/", "tags/x/"]:
        for name in FEEDS:
            before = items(tmp_path / "before" / listing / name)[0]
            after = items(tmp_path / "after" / listing / name)[0]
            assert before["id"] == after["id"]
            assert after["link"] == "https://archive.example.org/articles/new-slug/"


def test_content_warning_opens_the_content_and_summary(build_site):
    out = build_site({"content/articles/a.md": entry("A", body="The body.", content_warnings=["assault"])})
    for name in FEEDS:
        content = items(out / name)[0]["content"]
        assert content.lstrip().startswith("<p><strong>Content warning: assault.</strong></p>")
    assert parse(out / "feed.json")["items"][0]["summary"].startswith("Content warning: assault.")


def test_language_of_entry_and_site(build_site):
    config = BASE_CONFIG.replace("language: en", "language: en-GB")
    out = build_site({"content/articles/a.md": entry("A", lang="fr", date="2017-10-18"),
                      "content/articles/b.md": entry("B", date="2017-10-17")}, config=config)
    atom = (out / "atom.xml").read_text()
    assert 'xml:lang="fr"' in atom and '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">' in atom
    data = parse(out / "feed.json")
    assert data["language"] == "en-GB" and [i["language"] for i in data["items"]] == ["fr", "en-GB"]


def test_withdrawn_entry_keeps_its_place_and_id_as_a_notice(write_site, tmp_path):
    files = {"content/articles/a.md": entry("Named person", "2017-10-18", body="Secret words."),
             "content/articles/b.md": entry("Other", "2017-10-17")}
    site = write_site(files)
    assert run("build", "--site", str(site), "--out", str(tmp_path / "before")).code == 0
    (site / "content/articles/a.md").write_text(entry("Named person", "2017-10-18", body="Secret words.",
                                                      withdrawn={"date": "2018-02-01", "reason": "At her request."}))
    assert run("build", "--site", str(site), "--out", str(tmp_path / "after")).code == 0
    for name in FEEDS:
        before, after = items(tmp_path / "before" / name), items(tmp_path / "after" / name)
        assert [i["id"] for i in before] == [i["id"] for i in after]
        assert after[0]["title"] == "Withdrawn"
        text = (tmp_path / "after" / name).read_text()
        assert "At her request." in text
        assert "Named person" not in text and "Secret words" not in text


def test_full_content_false_carries_the_summary(build_site):
    out = build_site({"content/articles/a.md": entry("A", summary="Short.", body="Long body only on the page.")},
                     config=BASE_CONFIG + "feeds: {full_content: false}\n")
    for name in FEEDS:
        text = (out / name).read_text()
        assert "Short." in text and "Long body only on the page." not in text


@pytest.mark.parametrize("hostile", ["]]> <script>alert(1)</script> & co", "ctrl \x01\x02\x0b\x1f chars",
                                     "nul \x00 byte", "rtl \u202e mark"])
def test_hostile_text_still_yields_valid_feeds(build_site, hostile):
    title = json.dumps(hostile)  # a YAML double-quoted string with escapes
    text = f"---\ntitle: {title}\ndate: 2017-10-17\nsummary: {title}\nauthors: [{title}]\ntags: [{title}]\n---\n" \
           f"Body {hostile.replace(chr(0), '')}\n"
    out = build_site({"content/takes/a.md": text})
    for listing in ["", "takes/"]:
        for name in FEEDS:
            got = items(out / listing / name)
            assert len(got) == 1
            if name != "feed.json":
                assert "<script>" not in (out / listing / name).read_text()
