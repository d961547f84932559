"""Links from one entry's body to another's source file: every Markdown form resolved by one code path."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, strategies as st

from conftest import BASE_CONFIG, entry, read, run
from generator.markup import LINK_MARKER, MarkdownRenderer, WrittenLink, anchors_of, sanitise
from generator.site import PAGE_IDS

WITHDRAWAL = {"date": "2018-02-01", "reason": "Removed at the editor's request."}
TARGETS = {
    "content/articles/built.md": entry("Built", slug="shown", body="## Part\n\nIts text."),
    "content/articles/draft.md": entry("Draft", draft=True, body="## Part\n\nIts text."),
    "content/articles/gone.md": entry("Gone", withdrawn=WITHDRAWAL),
}

FORMS = """\
Inline [one](TARGET#part).

Titled [two](TARGET "A title").

Reference [three][r1] and titled reference [four][r2].

Image ![five](TARGET).

[r1]: TARGET#part
[r2]: TARGET "Another title"
"""


def body_of(page: str) -> str:
    """The entry's body, without the citation that follows it."""
    return page[page.index('<div class="body">'):page.index("</article>")]


def build_links_to(build_site, target: str, *args: str) -> str:
    out = build_site({**TARGETS, "content/articles/a.md": entry("A", body=FORMS.replace("TARGET", target))}, *args)
    return body_of(read(out / "articles/a/index.html"))


def test_every_link_form_to_a_built_entry_becomes_its_url(build_site):
    body = build_links_to(build_site, "built.md")
    assert '<a href="/articles/shown/#part">one</a>' in body
    assert '<a href="/articles/shown/" title="A title">two</a>' in body
    assert '<a href="/articles/shown/#part">three</a>' in body
    assert '<a href="/articles/shown/" title="Another title">four</a>' in body
    assert '<img alt="five" src="/articles/shown/">' in body
    assert "built.md" not in body


def test_every_link_form_to_a_draft_is_its_text_marked_unavailable(build_site):
    body = build_links_to(build_site, "draft.md")
    for text in ("one", "two", "three", "four", "five"):
        assert f'<span class="unavailable">{text}</span>' in body
    assert "draft.md" not in body and "title=" not in body


def test_with_drafts_a_link_to_a_draft_is_a_link(build_site):
    body = build_links_to(build_site, "draft.md", "--drafts")
    assert '<a href="/articles/draft/" title="A title">two</a>' in body


def test_every_link_form_to_a_withdrawn_entry_says_so(build_site):
    body = build_links_to(build_site, "gone.md")
    for text in ("one", "two", "three", "four", "five"):
        assert f'<span class="unavailable">{text} <em>(withdrawn)</em></span>' in body
    assert "gone.md" not in body


def test_a_titled_link_to_a_draft_keeps_no_file_name(build_site):
    """The bug of issue #14: a title kept the regex over the HTML from seeing the link."""
    out = build_site({**TARGETS, "content/takes/t.md": entry(
        "T", authors=["Jo"], body='See [d](../articles/draft.md "title").')})
    page = read(out / "takes/t/index.html")
    assert '<span class="unavailable">d</span>' in page
    assert "draft.md" not in page


def test_links_in_footnotes_nested_markup_and_repeats_resolve(build_site):
    out = build_site({**TARGETS, "content/articles/a.md": entry("A", body=(
        "[**Bold** and `code`](draft.md) then [again](draft.md) and a note[^1].\n\n"
        "[![in a link](built.md)](draft.md)\n\n"
        "[^1]: In the note, [the entry](built.md#part).\n"))})
    body = body_of(read(out / "articles/a/index.html"))
    assert '<span class="unavailable"><strong>Bold</strong> and <code>code</code></span>' in body
    assert '<span class="unavailable">again</span>' in body
    assert '<span class="unavailable"><img alt="in a link" src="/articles/shown/"></span>' in body
    assert '<a href="/articles/shown/#part">the entry</a>' in body


def test_a_link_around_an_autolink_to_a_draft_keeps_no_file_name(build_site):
    for config_extra in ("", "markdown: {unsafe_html: true}\n"):
        out = build_site({**TARGETS, "content/articles/a.md": entry(
            "A", body="See [the draft, <https://example.org/>, here](draft.md).")}, config=BASE_CONFIG + config_extra)
        body = body_of(read(out / "articles/a/index.html"))
        assert "draft.md" not in body
        assert '<span class="unavailable">the draft, ' in body
        assert body.count("<a ") == body.count("</a>")  # still well formed


def test_an_autolink_needs_a_scheme_so_a_file_name_in_angle_brackets_is_text(build_site):
    """As in CommonMark: <./built.md> is no link; <https://...x.md> is a link elsewhere, left as it is."""
    out = build_site({**TARGETS, "content/articles/a.md": entry(
        "A", body="Text <./built.md> and <https://example.org/built.md>.")})
    body = body_of(read(out / "articles/a/index.html"))
    assert "Text &lt;./built.md&gt; and" in body
    assert '<a href="https://example.org/built.md">https://example.org/built.md</a>' in body


def test_links_elsewhere_and_within_the_page_are_left_alone(build_site):
    out = build_site({**TARGETS, "content/articles/a.md": entry("A", body=(
        "[up](#main) [site](https://example.org/a.md) [query](built.md?x=1) [file](report.pdf)"))})
    body = body_of(read(out / "articles/a/index.html"))
    for kept in ('href="#main"', 'href="https://example.org/a.md"', 'href="built.md?x=1"', 'href="report.pdf"'):
        assert kept in body


def test_a_typed_marker_lookalike_stays_text(build_site):
    lookalike = LINK_MARKER.format(0)
    out = build_site({**TARGETS, "content/articles/a.md": entry("A", body=(
        f"Before {lookalike} after, [built](built.md) and [odd]({lookalike}) and ![odd]({lookalike}).\n"))})
    body = body_of(read(out / "articles/a/index.html"))
    assert "Before CHORUSLINK0 after" in body
    assert '<a href="/articles/shown/">built</a>' in body
    assert '<a href="CHORUSLINK0">odd</a>' in body and '<img alt="odd" src="CHORUSLINK0">' in body
    assert "\ufdd0" not in body


def test_the_sanitiser_keeps_the_marker_and_markdown_records_each_link():
    rendered = MarkdownRenderer().render('[a](../x.md#f "t") ![b](y.md) [c](https://e.org/z.md) [d][r]\n\n'
                                         '[r]: x.md\n')
    assert rendered.links == (WrittenLink("../x.md", "#f"), WrittenLink("y.md", ""), WrittenLink("x.md", ""))
    assert f'<a href="{LINK_MARKER.format(0)}" title="t">a</a>' in rendered.html
    assert f'src="{LINK_MARKER.format(1)}"' in rendered.html
    assert f'<a href="{LINK_MARKER.format(2)}">d</a>' in rendered.html
    marked = f'<a href="{LINK_MARKER.format(7)}">x</a><img src="{LINK_MARKER.format(8)}" alt="y">'
    assert sanitise(marked) == marked


def error_places(err: str) -> list[str]:
    """path:line of each error reported."""
    return re.findall(r"^(content/\S+?:\d+):", err, re.M)


@pytest.mark.parametrize("body, line", [
    ("Intro.\n\nSee [m](../threads/missing.md).", 7),
    ('Intro.\n\nSee [m](../threads/missing.md "A title").', 7),
    ("Intro [m][r].\n\n[r]: ../threads/missing.md", 7),
    ("Intro.\n\n![m](../threads/missing.md#part)", 7),
])
def test_a_link_to_a_missing_file_is_an_error_at_its_line(write_site, body, line):
    site = write_site({"content/articles/a.md": entry("A", body=body)})
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert error_places(result.err) == [f"content/articles/a.md:{line}"]


def test_each_line_linking_a_missing_file_is_reported(write_site):
    site = write_site({"content/articles/a.md": entry("A", body=(
        "One [m](missing.md) and [m again](missing.md).\n\nTwo [m](missing.md#x).\n"))})
    result = run("build", "--site", str(site))
    assert error_places(result.err) == ["content/articles/a.md:5", "content/articles/a.md:7"]


def test_a_link_to_a_file_that_cannot_be_read_is_not_a_second_error(write_site):
    site = write_site({"content/articles/a.md": entry("A", body='See [b](b.md "B").'),
                       "content/articles/b.md": "---\ntitle: [unclosed\n---\n"})
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert [place for place in error_places(result.err) if place.startswith("content/articles/a.md")] == []


def test_a_private_handle_in_a_links_fragment_is_refused_at_the_link(write_site):
    site = write_site({
        "content/threads/t.md": entry("T", platform="twitter", posts=[{"text": "x"}],
                                      author={"name": "Jamie K", "handle": "jamie_secret", "private": True}),
        "content/articles/a.md": entry("A", body="Intro.\n\nSee [the thread](../threads/t.md#jamie_secret)."),
    })
    result = run("build", "--site", str(site))
    assert result.code == 1
    # The fragment also names no anchor of the thread's page: that is said at the same line.
    assert set(error_places(result.err)) == {"content/articles/a.md:7"}


# ---- links to URLs of the site, and to anchors ---------------------------------

SITE = {
    **TARGETS,
    "content/articles/tagged.md": entry("Tagged", tags=["MeToo"], regions=["us"], sectors=["sports"],
                                        aliases=["/2017/10/old-story/"], body="## First\n\n## Second\n"),
}


def check(write_site, body: str, *args: str, config: str | None = None, kind: str = "articles"):
    site = write_site({**SITE, f"content/{kind}/a.md": entry("A", body=body, authors=["Jo"])}, config)
    return run("check", "--site", str(site), *args)


VALID = [
    "/articles/shown/", "/articles/shown", "/articles/shown/?from=a", "/articles/shown/#part",
    "/articles/shown/index.html", "/articles/", "/", "/tags/metoo/", "/tags/", "/regions/us/", "/sectors/sports/",
    "/regions/us/sectors/sports/", "/feed.xml", "/regions/us/atom.xml", "/tags/metoo/feed.json", "/style.css",
    "/data/", "/search/", "/archive/2017/10/", "/timeline/", "/2017/10/old-story/", "/articles/shown/cite.json",
    "/pagefind/0/pagefind.js", "/articles/tagged/#second", "/articles/shown/#cite-heading", "#main",
    "https://archive.example.org/articles/shown/#part", "http://archive.example.org/tags/metoo/",
    "https://example.org/no/such/page/", "//example.org/nope/", "mailto:editors@example.org",
    "/articles/draft/", "/articles/gone/#nope", "https://[/x", "https://archive.example.org:x/nope/",
    "https://archive.example.org:8080/nope/",
]


def test_links_to_what_the_build_makes_are_no_error(write_site):
    body = "## Own heading\n\n" + "\n\n".join(f"[link {n}]({url})" for n, url in enumerate(VALID))
    body += "\n\n[own](#own-heading) and ![image](/style.css) and [ref][r].\n\n[r]: /regions/us/\n"
    result = check(write_site, body)
    assert result.code == 0, result.err


BROKEN = [
    "/articles/no-such-story/", "/regions/xx/", "/tags/nope/", "/articles/x", "/articles/x/#part",
    "/articles/x?q=1", "https://archive.example.org/articles/nope/", "built.md#nope", "/articles/shown/#nope",
    "#nope", "/style.css/", "/2017/10/old-story/nope/",
]


def test_each_link_to_what_the_build_does_not_make_is_an_error_at_its_line(write_site):
    body = "\n\n".join(f"[link {n}]({url})" for n, url in enumerate(BROKEN))
    result = check(write_site, body)
    assert result.code == 1
    assert "Traceback" not in result.err
    first = 6  # the body's first line in the file
    assert error_places(result.err) == [f"content/articles/a.md:{first + 2 * n}" for n in range(len(BROKEN))]
    assert result.err.endswith(f"{len(BROKEN)} errors in 1 file\n")


def test_a_broken_link_in_every_entry_is_reported(write_site):
    site = write_site({**SITE, **{f"content/{kind}/b.md": entry("B", authors=["Jo"], body="[x](/tags/nope/)")
                                  for kind in ("articles", "takes", "pages")}})
    result = run("check", "--site", str(site))
    assert error_places(result.err) == [f"content/{kind}/b.md:6" for kind in ("articles", "pages", "takes")]


def test_a_link_to_a_draft_or_a_withdrawn_entrys_url_is_shown_as_by_its_file(build_site):
    body = "[d](/articles/draft/) and [g](/articles/gone/#x) and [b](/articles/shown)."
    page = body_of(read(build_site({**SITE, "content/articles/a.md": entry("A", body=body)})
                        / "articles/a/index.html"))
    assert '<span class="unavailable">d</span>' in page
    assert '<span class="unavailable">g <em>(withdrawn)</em></span>' in page
    assert '<a href="/articles/shown">b</a>' in page


def test_with_drafts_a_link_to_a_drafts_url_is_a_link_and_its_anchors_are_checked(write_site):
    assert check(write_site, "[d](/articles/draft/)", "--drafts").code == 0
    result = check(write_site, "[d](/articles/draft/#nope)", "--drafts")
    assert error_places(result.err) == ["content/articles/a.md:6"]


def test_under_a_base_path_only_links_below_it_are_the_sites(write_site):
    config = BASE_CONFIG.replace("https://archive.example.org/", "https://example.org/archive/")
    assert check(write_site, "[a](/articles/nope/) [b](/archive/articles/shown/)", config=config).code == 0
    result = check(write_site, "[a](/archive/articles/nope/)\n\n[b](https://example.org/archive/tags/nope/)",
                   config=config)
    assert error_places(result.err) == ["content/articles/a.md:6", "content/articles/a.md:8"]


def test_without_search_a_link_into_its_index_is_an_error(write_site):
    config = BASE_CONFIG + "search: false\n"
    assert check(write_site, "[a](/pagefind/0/pagefind.js)", config=config).code == 1


def test_a_link_to_a_page_of_an_unreadable_entry_is_not_a_second_error(write_site):
    site = write_site({**SITE, "content/articles/a.md": entry("A", body="[b](/articles/b/) [c](/articles/c/#x)"),
                       "content/articles/b.md": "---\ntitle: [unclosed\n---\n",
                       "content/articles/c.md": "---\ntitle: [unclosed\nslug: c\n---\n",
                       "content/articles/-.md": "---\ntitle: [unclosed\n---\n"})
    result = run("check", "--site", str(site))
    assert result.code == 1
    assert [place for place in error_places(result.err) if place.startswith("content/articles/a.md")] == []


def test_an_edit_of_the_target_rechecks_the_links_to_its_anchors(write_site):
    site = write_site({**SITE, "content/articles/a.md": entry("A", body="See [part](built.md#part).")})
    assert run("build", "--site", str(site)).code == 0
    (site / "content/articles/built.md").write_text(entry("Built", slug="shown", body="## Renamed\n"),
                                                   encoding="utf-8")
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert error_places(result.err) == ["content/articles/a.md:5"]
    (site / "content/articles/built.md").write_text(entry("Built", slug="shown", body="## Part\n"),
                                                   encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id" and value)


def ids_in(html: str) -> set[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


def test_an_entry_page_holds_no_id_the_check_does_not_know(build_site):
    """PAGE_IDS are the ids entry.html and its parts write besides the body's: a template that adds, renames or
    drops one must update PAGE_IDS in generator/site.py, or links to it are refused (or wrongly allowed)."""
    out = build_site({**SITE, "content/articles/a.md": entry(
        "A", body="## Heading\n\nText[^1].\n\n[^1]: A note.", source={"title": "T", "url": "https://e.org/"}),
        "content/takes/t.md": entry("T", authors=["Jo"], responds_to=["a"])})
    body_ids = {"heading", "fn:1", "fnref:1"}
    assert body_ids <= ids_in(body_of(read(out / "articles/a/index.html")))
    assert ids_in(read(out / "articles/a/index.html")) - body_ids == PAGE_IDS


BODY_PIECES = st.sampled_from([
    "## A heading", "## A heading", "### Ça & là", "Text[^n].\n\n[^n]: Note.", '<div id="raw" title="a>b">x</div>',
    "`<h2 id=\"code\">`", "    <p id='indented'>", "## ", "## 2017: #MeToo", "<span id=''>empty</span>",
    "- item\n- item", "[x](#a-heading)",
])


@given(st.lists(BODY_PIECES, max_size=8), st.booleans())
def test_the_anchors_of_a_body_are_the_ids_its_html_holds(pieces, unsafe):
    rendered = MarkdownRenderer(unsafe).render("\n\n".join(pieces))
    assert set(rendered.anchors) == ids_in(rendered.html)
    assert anchors_of(rendered.html) == rendered.anchors


def test_a_link_to_a_drafts_url_becomes_a_link_once_it_is_published(write_site):
    site = write_site({**SITE, "content/articles/a.md": entry("A", body="See [d](/articles/draft/).")})
    assert run("build", "--site", str(site)).code == 0
    assert '<span class="unavailable">d</span>' in read(site / "output/articles/a/index.html")
    (site / "content/articles/draft.md").write_text(entry("Draft", body="## Part\n"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert '<a href="/articles/draft/">d</a>' in read(site / "output/articles/a/index.html")
