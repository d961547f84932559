"""Links from one entry's body to another's source file: every Markdown form resolved by one code path."""

from __future__ import annotations

import re

import pytest

from conftest import BASE_CONFIG, entry, read, run
from generator.markup import LINK_MARKER, MarkdownRenderer, WrittenLink, sanitise

WITHDRAWAL = {"date": "2018-02-01", "reason": "Removed at the editor's request."}
TARGETS = {
    "content/articles/built.md": entry("Built", slug="shown"),
    "content/articles/draft.md": entry("Draft", draft=True),
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
        "[^1]: In the note, [the entry](built.md#x).\n"))})
    body = body_of(read(out / "articles/a/index.html"))
    assert '<span class="unavailable"><strong>Bold</strong> and <code>code</code></span>' in body
    assert '<span class="unavailable">again</span>' in body
    assert '<span class="unavailable"><img alt="in a link" src="/articles/shown/"></span>' in body
    assert '<a href="/articles/shown/#x">the entry</a>' in body


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
        "[up](#top) [site](https://example.org/a.md) [query](built.md?x=1) [file](report.pdf)"))})
    body = body_of(read(out / "articles/a/index.html"))
    for kept in ('href="#top"', 'href="https://example.org/a.md"', 'href="built.md?x=1"', 'href="report.pdf"'):
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
    assert error_places(result.err) == ["content/articles/a.md:7"]
