"""Editorial care: withdrawal everywhere, content warnings, featured and updated entries."""

from __future__ import annotations

from conftest import BASE_CONFIG, entry, read, run, tree
from test_build import main_of

WITHDRAWN = {"date": "2018-02-01", "reason": "Removed at the author's request."}


def test_withdrawing_removes_the_entry_from_every_output(write_site):
    site = write_site({
        "content/articles/story/index.md": entry(
            "Jane Roe names her employer", "2017-10-18", body="A distinctive sentence only this entry holds.",
            summary="Summary naming Jane Roe.", authors=["Reporter Name"], tags=["onlyhere"], regions=["france"],
            sectors=["workplace"], aliases=["/old/story/"], featured=True, withdrawn=WITHDRAWN),
        "content/articles/story/photo.jpg": b"\xff\xd8 face photo",
        "content/articles/other.md": entry("Other", "2017-10-17", regions=["us"],
                                           body="See [the story](story/index.md)."),
        "content/takes/view.md": entry("A view", authors=["Jane"], responds_to=["story"]),
    })
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    out = site / "output"
    for path, data in tree(out).items():
        text = data.decode("utf-8", "replace")
        for secret in ["Jane Roe", "distinctive sentence", "Reporter Name", "onlyhere", "face photo"]:
            assert secret not in text, (secret, path)
    assert not (out / "articles/story/photo.jpg").exists()
    # No page for a term left with only withdrawn entries; a region's feed still delivers the notice.
    assert not (out / "regions/france/index.html").exists() and not (out / "sectors/workplace/index.html").exists()
    assert "Withdrawn" in read(out / "regions/france/feed.xml")
    assert not (out / "tags/onlyhere").exists()
    notice = read(out / "articles/story/index.html")
    assert "Removed at the author&#39;s request." in notice and '<meta name="robots" content="noindex">' in notice
    assert "/articles/story/" in read(out / "old/story/index.html")  # the alias still leads to the notice
    assert "/articles/story/" not in read(out / "sitemap.xml")
    assert "the story <em>(withdrawn)</em>" in read(out / "articles/other/index.html")
    assert "In response to <span class=\"unavailable\">an entry since withdrawn</span>" in read(
        out / "takes/view/index.html")
    assert "2 entries" not in main_of(read(out / "articles/index.html"))
    assert "(1)" in read(out / "regions/index.html")


def test_content_warning_vocabulary_labels_and_aliases(build_site):
    config = BASE_CONFIG + "content_warnings:\n  sexual-assault: {label: Sexual assault, aliases: [assault]}\n"
    out = build_site({"content/articles/a.md": entry("A", content_warnings=["assault"])}, config=config)
    assert "<strong>Content warning:</strong> Sexual assault" in read(out / "articles/a/index.html")
    assert "Content warning: Sexual assault." in read(out / "feed.xml")


def test_content_warning_collapse_opt_out(build_site):
    out = build_site({"content/articles/a.md": entry("A", content_warnings=["x"], content_warnings_collapse=False,
                                                     body="Visible body.")})
    page = main_of(read(out / "articles/a/index.html"))
    assert '<details class="cw"' not in page
    assert page.index("Content warning:") < page.index("Visible body.")


def test_content_warnings_are_shown_in_listings(build_site):
    out = build_site({"content/articles/a.md": entry("A", content_warnings=["violence"])})
    for listing in ["index.html", "articles/index.html", "archive/2017/10/index.html"]:
        assert "<strong>Content warning:</strong> violence" in read(out / listing)


def test_featured_entries_come_first_on_home_in_date_order(build_site):
    out = build_site({
        "content/articles/old-featured.md": entry("Old featured", "2017-01-01", featured=True),
        "content/articles/new-featured.md": entry("New featured", "2017-06-01", featured=True),
        "content/articles/newest.md": entry("Newest", "2017-12-01"),
    })
    home = main_of(read(out / "index.html"))
    order = [home.index(t) for t in ["New featured", "Old featured", "Newest"]]
    assert order == sorted(order)


def test_updated_date_is_shown_and_used_by_feeds_and_sitemap(build_site):
    out = build_site({"content/articles/a.md": entry("A", "2017-10-17", updated="2017-10-18")})
    assert 'Updated <time datetime="2017-10-18">18 October 2017</time>' in read(out / "articles/a/index.html")
    sitemap = read(out / "sitemap.xml")
    assert "<loc>https://archive.example.org/articles/a/</loc><lastmod>2017-10-18</lastmod>" in sitemap
    assert "<updated>2017-10-18T00:00:00+00:00</updated>" in read(out / "atom.xml")


def test_link_to_a_draft_is_plain_text_without_drafts(build_site):
    files = {"content/articles/a.md": entry("A", body="See [the draft](d.md)."),
             "content/articles/d.md": entry("D", draft=True)}
    out = build_site(files)
    assert '<span class="unavailable">the draft</span>' in read(out / "articles/a/index.html")
    out = build_site(files, "--drafts")
    assert '<a href="/articles/d/">the draft</a>' in read(out / "articles/a/index.html")
