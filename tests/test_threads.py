"""Archived threads and embedded posts: shown from the file, never fetched, private people protected."""

from __future__ import annotations

import re

from conftest import entry, read, run, tree, unsafe_markup


def thread(title="A thread", posts=None, **keys):
    keys.setdefault("platform", "twitter")
    keys.setdefault("author", {"name": "Jamie K", "handle": "jamiek", "private": True})
    return entry(title, posts=posts or [{"n": 1, "text": "first"}], **keys)


def test_thread_page_shows_every_post_in_order_with_missing_parts(build_site):
    out = build_site({"content/threads/t.md": thread(parts_total=6, posts=[
        {"n": 2, "text": "second part\nwith a line break", "date": "2017-10-17T14:02:00Z", "status": "deleted"},
        {"n": 4, "text": "fourth part", "status": "live"},
        {"n": 6, "text": "sixth part", "status": "suspended"},
    ])})
    page = read(out / "threads/t/index.html")
    assert page.index("second part") < page.index("fourth part") < page.index("sixth part")
    assert "Parts 1, 3, 5 of 6 were not archived." in page
    # ...and each gap is marked in place, between the posts around it.
    order = ["Part 1 of 6 was not archived.", "second part", "Part 3 of 6 was not archived.", "fourth part",
             "Part 5 of 6 was not archived.", "sixth part"]
    assert [page.index(s) for s in order] == sorted(page.index(s) for s in order)
    assert '<span class="part">2/6</span>' in page
    assert '<time datetime="2017-10-17T14:02:00+00:00">17 October 2017, 14:02 UTC</time>' in page
    assert "Deleted on the platform; archived copy" in page
    assert "Account suspended on the platform; archived copy" in page
    assert "second part\nwith a line break" in page  # kept; the stylesheet shows it (white-space: pre-line)
    assert "3 of 6 parts" in read(out / "threads/index.html")


def test_hashtags_link_to_the_archive_only_when_the_tag_exists(build_site):
    out = build_site({
        "content/threads/t.md": thread(tags=["MeToo"], posts=[{"text": "#MeToo and #Unknown https://example.org/x."}]),
    })
    page = read(out / "threads/t/index.html")
    assert '<a href="/tags/metoo/" rel="tag">#MeToo</a>' in page
    assert "#Unknown" in page and 'href="/tags/unknown/"' not in page
    assert '<a href="https://example.org/x" rel="nofollow">https://example.org/x</a>.' in page


def test_private_author_never_appears_anywhere(build_site):
    out = build_site({
        "content/threads/t.md": thread(author={"name": "Jamie K", "handle": "SecretHandle",
                                               "url": "https://twitter.com/SecretHandle", "private": True},
                                       posts=[{"text": "hello", "url": "https://twitter.com/SecretHandle/status/1",
                                               "id": "1", "media": [{"src": "a.jpg", "alt": "photo by @SecretHandle"}]}]),
        "content/articles/a.md": entry("A", body="Quoting @SecretHandle here.\n\n```post\nplatform: twitter\n"
                                       "author: {name: Other, handle: other}\ntext: \"thanks @secrethandle!\"\n```\n"),
    })
    for path, data in tree(out).items():
        assert b"secrethandle" not in data.lower(), path
    page = read(out / "articles/a/index.html")
    assert "thanks Jamie K!" in page and "Quoting Jamie K here." in page
    assert 'alt="photo by Jamie K"' in read(out / "threads/t/index.html")


def test_public_author_shows_handle_and_post_link(build_site):
    out = build_site({"content/threads/t.md": thread(
        author={"name": "A Journalist", "handle": "journo", "url": "https://twitter.com/journo"},
        posts=[{"text": "hi @someone", "url": "https://twitter.com/journo/status/1"}])})
    page = read(out / "threads/t/index.html")
    assert "(@journo)" in page and 'href="https://twitter.com/journo/status/1"' in page
    assert '<blockquote dir="auto" cite="https://twitter.com/journo/status/1">' in page
    assert '<a href="https://twitter.com/someone" rel="nofollow">@someone</a>' in page


def test_post_and_thread_blocks_embed_in_place(build_site):
    body = ("Before.\n\n```post\nplatform: mastodon\nauthor: {name: Ann, handle: ann@social.example}\n"
            "text: The post.\nstatus: deleted\n```\n\nBetween.\n\n```thread\nt\n```\n\nAfter.\n")
    out = build_site({"content/articles/a.md": entry("A", body=body), "content/threads/t.md": thread("Thr")})
    page = read(out / "articles/a/index.html")
    positions = [page.index(s) for s in ["Before.", "The post.", "Between.", 'href="/threads/t/">Thr</a>', "After."]]
    assert positions == sorted(positions)
    assert "Deleted on the platform; archived copy" in page
    assert "CHORUSEMBED" not in page


def test_embedding_a_withdrawn_thread_shows_a_notice(build_site):
    out = build_site({
        "content/articles/a.md": entry("A", body="```thread\nt\n```"),
        "content/threads/t.md": thread("Named title", posts=[{"text": "secret words"}],
                                       withdrawn={"date": "2018-01-01", "reason": "Asked."}),
    })
    page = read(out / "articles/a/index.html")
    assert "has been withdrawn" in page and "secret words" not in page and "Named title" not in page


def test_other_code_blocks_are_left_alone(build_site):
    body = "````markdown\n```post\nnot: parsed\n```\n````\n\n```python\nprint(1)\n```\n"
    out = build_site({"content/articles/a.md": entry("A", body=body)})
    page = read(out / "articles/a/index.html")
    assert "not: parsed" in page and "print(1)" in page


def test_no_page_loads_anything_from_another_host(build_site):
    out = build_site({
        "content/threads/t.md": thread(posts=[{"text": "x https://evil.example/a.js", "media": [
            {"src": "photo.jpg", "alt": "a photo"}]}]),
    })
    for path, data in tree(out).items():
        if path.endswith(".html"):
            html = data.decode()
            assert unsafe_markup(html) == [], path
            assert not re.search(r'\ssrc="(https?:)?//', html), path
            assert not re.search(r'<link rel="(stylesheet|preconnect|icon|preload)"[^>]+href="(https?:)?//', html), path


def test_bad_post_blocks_are_errors_at_their_lines(write_site):
    body = ("Intro.\n\n```post\nplatform: myspace\nauthor: {name: A}\ntext: hi\n```\n\n"
            "```tweet\nplatform: twitter\nauthor: {name: A}\nmedia: [{src: a.jpg}]\n```\n")
    site = write_site({"content/articles/a.md": entry("A", body=body),
                       "content/articles/b.md": entry("B", body="Intro.\n\n```thread\nnope\n```\n")})
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert result.err.splitlines() == [
        "content/articles/a.md:8: post block: platform: 'myspace' is not allowed (expected one of: bluesky, "
        "facebook, instagram, mastodon, twitter, x)",
        "content/articles/a.md:13: post block: text: required key is missing (add 'text:')",
        "content/articles/a.md:16: post block: media.alt: required key is missing (add 'alt:')",
        "content/articles/b.md:7: thread block: no thread has the slug 'nope' (write the slug of a file in "
        "content/threads/)",
        "4 errors in 2 files",
    ]


def test_private_handle_outside_a_mention_is_an_error(write_site):
    site = write_site({
        "content/threads/t.md": thread(author={"name": "Jamie K", "handle": "SecretHandle", "private": True}),
        "content/articles/a.md": entry("A", body="See https://twitter.com/secrethandle/status/1 here."),
    })
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "content/articles/a.md:5: the body: 'secrethandle' is the handle of a private person (Jamie K) and would "
        "be published (remove it; in a title, summary, body or post text, write @secrethandle, which is shown as "
        "their name)")


def test_mastodon_handles_are_protected_in_every_form(write_site, build_site):
    private = {"name": "Pat Q", "handle": "patq@social.example", "private": True}
    out = build_site({
        "content/threads/t.md": thread(platform="mastodon", author=private),
        "content/articles/a.md": entry("Naming @patq@social.example", body="Thanks @patq@social.example."),
    })
    for path, data in tree(out).items():
        assert b"patq" not in data.lower(), path
    assert "Naming Pat Q" in read(out / "articles/a/index.html")
    for text in ["See https://social.example/@patq for more.", "Profile: https://social.example/users/patq"]:
        site = write_site({"content/threads/t.md": thread(platform="mastodon", author=private),
                           "content/articles/b.md": entry("B", body=text)})
        result = run("build", "--site", str(site))
        assert result.code == 1 and "'patq@social.example' is the handle of a private person" in result.err
        (site / "content/articles/b.md").unlink()
    site = write_site({"content/threads/t.md": thread(platform="mastodon", author=private),
                       "content/articles/c.md": entry("C", source={"url": "https://social.example/@patq@social.example"})})
    assert run("build", "--site", str(site)).code == 1
