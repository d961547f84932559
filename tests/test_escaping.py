"""Everything from content is escaped in every context it reaches; raw HTML in bodies is sanitised."""

from __future__ import annotations

import json

import feedparser

from conftest import BASE_CONFIG, entry, read, run

NASTY = "</script><script>alert(1)</script>\"'<b>&amp;"


def test_html_text_and_attributes(build_site):
    out = build_site({"content/articles/a.md": entry(NASTY, summary=NASTY, tags=["x"])})
    page = read(out / "articles/a/index.html")
    assert "<script>alert(1)</script>" not in page
    assert "<h1>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&lt;b&gt;&amp;amp;</h1>" in page
    # in an attribute (the meta description), quotes are escaped too
    assert 'content="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&lt;b&gt;&amp;amp;"' in page


def test_urls_from_content_only_http_https_mailto(write_site):
    for bad in ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "JaVaScRiPt:alert(1)"]:
        site = write_site({"content/articles/a.md": entry("A", source={"url": bad})})
        result = run("build", "--site", str(site))
        assert result.code == 1 and "is not an http, https or mailto URL" in result.err, bad


def test_url_attribute_escaping(build_site):
    out = build_site({"content/articles/a.md": entry("A", authors=[{"name": "N", "url": 'https://e.org/"onmouseover="x'}])})
    page = read(out / "articles/a/index.html")
    assert 'href="https://e.org/&#34;onmouseover=&#34;x"' in page


def test_feeds_escape_text_and_parse(build_site):
    out = build_site({"content/articles/a.md": entry(NASTY, body=NASTY)})
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((out / name).read_bytes())
        assert not parsed.bozo
        assert "<script>" not in (out / name).read_text()  # escaped as text, never markup
    data = json.loads(read(out / "feed.json"))
    assert data["items"][0]["title"] == NASTY
    assert "<script>" not in data["items"][0]["content_html"]


def test_raw_html_in_bodies_is_sanitised(build_site):
    body = """<script>alert(1)</script>
<iframe src="https://evil.example/"></iframe>
<p onclick="steal()" style="background:url(https://evil.example/x.png)">para</p>
<a href="javascript:alert(2)">js link</a>
<img src="x.jpg" onerror="alert(3)" alt="kept">

<details><summary>More</summary>Hidden text</details>

<figure><img src="f.jpg" alt="fig"><figcaption>Caption</figcaption></figure>

| a | b |
|---|---|
| 1 | 2 |
"""
    out = build_site({"content/articles/a.md": entry("A", body=body)})
    page = read(out / "articles/a/index.html")
    body = page[page.index('<div class="body">'):]
    for gone in ["<script", "<iframe", "onclick", "onerror", "javascript:", "style=", "evil.example"]:
        assert gone not in body, gone
    for kept in ["<details><summary>More</summary>", "<figcaption>Caption</figcaption>", "<table>", "para",
                 'alt="kept"']:
        assert kept in page, kept


def test_unsafe_html_switch_keeps_raw_html_and_warns(write_site):
    site = write_site({"content/articles/a.md": entry("A", body='<div style="color:red">raw</div>')},
                      config=BASE_CONFIG + "markdown: {unsafe_html: true}\n")
    result = run("build", "--site", str(site))
    assert result.code == 0
    assert '<div style="color:red">raw</div>' in read(site / "output/articles/a/index.html")
    assert "warning: markdown.unsafe_html is true" in result.err
