"""The demo archive as its readers meet it: feeds a reader can parse, no private handle anywhere."""

from __future__ import annotations

import json

import feedparser
import pytest

from conftest import REPO, run, tree

PRIVATE_HANDLES = ["justagirlyall", "tripledekephoto", "FrenchChefWife"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "output"
    result = run("build", "--site", str(REPO), "--out", str(out))
    assert result.code == 0, result.err
    return out


def test_no_private_handle_anywhere(demo):
    for path, data in tree(demo).items():
        text = data.decode("utf-8", "replace").lower()
        for handle in PRIVATE_HANDLES:
            assert handle.lower() not in text, f"{handle} in {path}"


def test_every_feed_parses_in_feedparser(demo):
    feeds = sorted(demo.rglob("feed.xml")) + sorted(demo.rglob("atom.xml"))
    assert len(feeds) >= 20
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        for item in parsed.entries:
            assert item.link.startswith("https://archive.example.org/")


def test_json_feeds_have_the_required_fields(demo):
    for path in sorted(demo.rglob("feed.json")):
        feed = json.loads(path.read_text())
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["feed_url"] == "https://archive.example.org/" + str(path.relative_to(demo))
        for item in feed["items"]:
            assert item["id"] and ("content_html" in item or "content_text" in item)


def test_us_feed_holds_only_us_entries_newest_first(demo):
    parsed = feedparser.parse((demo / "regions/us/feed.xml").read_bytes())
    dates = [e.published_parsed for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    assert all("United States" in [t.term if t.get("label") is None else t.label for t in e.tags] or
               any(t.term == "us" for t in e.tags) for e in parsed.entries)


def test_three_lines_withdraw_a_demo_entry_everywhere(tmp_path):
    import shutil
    site = tmp_path / "demo"
    shutil.copytree(REPO, site, ignore=shutil.ignore_patterns("output", "tests", ".git", ".venv", "*.egg-info"))
    path = site / "content/takes/me-too-tip-of-the-iceberg.md"
    text = path.read_text()
    path.write_text(text.replace("\n---\n", "\nwithdrawn:\n  date: 2018-02-01\n  reason: At the author's request.\n"
                                 "---\n", 1))
    assert run("build", "--site", str(site)).code == 0
    for rel, data in tree(site / "output").items():
        text = data.decode("utf-8", "replace")
        assert "tip of the iceberg" not in text, rel
        assert "normalize sexuality in women" not in text, rel
