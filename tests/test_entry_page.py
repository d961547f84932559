"""An entry's page as a visitor reads it (#16.7, #16.8): the dek before a closed warning, "Cite this" after the
body and closed, an embedded thread's heading inside the article's outline, a thread's shared status said once,
and a run of uncaptured parts said in one line."""

from __future__ import annotations

import re

import lxml.html
import pytest

from conftest import BASE_CONFIG, entry, read, run, write_files

SUMMARY = "How a hashtag reached the locker room."
FIRST_PARAGRAPH = "The opening paragraph, which is the only summary this take has."


def thread(posts: list[dict], **keys) -> str:
    return entry("Jamie's thread", platform="twitter", author={"name": "Jamie K", "handle": "jamiek"}, posts=posts,
                 **keys)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    site = tmp_path_factory.mktemp("entry-page") / "site"
    write_files(site, {
        "site.yaml": BASE_CONFIG + "search: false\n",
        "content/articles/story.md": entry(
            "A story", summary=SUMMARY, content_warnings=["sexual harassment"],
            body="The story's first paragraph.\n\n```thread\nrun\n```\n\n## A subhead\n\nText.\n\n"
                 "```thread\nrun\n```\n\n### A deeper subhead\n\n```thread\nrun\n```\n\n"
                 "## Another subhead\n\n```thread\nmixed\n```\n"),
        "content/takes/plain.md": entry("A plain take", authors=["Sam Roe"], body=FIRST_PARAGRAPH + "\n\nMore.\n"),
        "content/threads/run.md": thread(parts_total=10, posts=[
            {"n": n, "text": f"part {n}", "status": "deleted", "url": f"https://twitter.com/jamiek/status/{n}"}
            for n in (1, 2, 3, 10)]),
        "content/threads/mixed.md": thread(parts_total=10, posts=[
            {"n": 2, "text": "two", "status": "deleted"}, {"n": 10, "text": "ten", "status": "live"}]),
    })
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    return site / "output"


def page(out, path: str):
    return lxml.html.fromstring(read(out / path / "index.html"))


def select(element, selector: str) -> list:
    """The elements a small CSS selector matches: steps `tag`, `.class` or `tag.class`, joined by ` > ` (child)
    or a space (descendant); a leading `>` starts from element's children."""
    path = "."
    for combinator, step in re.findall(r"(\s*>\s*|\s+|^)([\w.-]+)", selector):
        tag, *classes = step.split(".")
        path += "/" if ">" in combinator else "//"
        path += (tag or "*") + "".join(f"[contains(concat(' ', @class, ' '), ' {c} ')]" for c in classes)
    return element.xpath(path)


def position(doc, element) -> int:
    return list(doc.iter()).index(element)


def test_the_dek_comes_before_a_closed_content_warning(out):
    doc = page(out, "articles/story")
    [dek] = select(doc, "article.entry > header > p.dek")
    [warning] = select(doc, "details.cw")
    assert dek.text_content() == SUMMARY
    assert position(doc, select(doc, "h1")[0]) < position(doc, dek) < position(doc, warning)
    assert warning.get("open") is None


def test_a_summary_taken_from_the_first_paragraph_is_not_repeated_as_a_dek(out):
    doc = page(out, "takes/plain")
    assert select(doc, ".dek") == []
    assert select(doc, "div.body > p")[0].text_content() == FIRST_PARAGRAPH
    # Listings still show it: there it is the only text of the entry.
    assert FIRST_PARAGRAPH in read(out / "takes/index.html")


def test_cite_this_comes_after_the_article_closed_with_its_heading_in_the_summary(out):
    doc = page(out, "articles/story")
    [cite] = select(doc, "details.cite")
    assert cite.get("open") is None
    assert position(doc, select(doc, "article.entry > footer")[0]) < position(doc, cite)
    assert not cite.xpath("ancestor::article")
    [summary] = select(cite, "> summary")
    assert [h.text_content() for h in select(summary, "> h2")] == ["Cite this"]
    assert cite.getparent().get("aria-labelledby") == select(summary, "> h2")[0].get("id")
    [text] = select(cite, "> p.cite-text")
    assert "“A story.” Test archive" in text.text_content()
    assert select(cite, "pre.cite-bibtex") and cite.xpath(".//a[@href='/articles/story/cite.json']")


def test_an_embedded_threads_heading_is_one_below_the_heading_before_it(out):
    doc = page(out, "articles/story")
    threads = [section.getchildren()[0].tag for section in select(doc, "section.thread")]
    assert threads == ["h2", "h3", "h4", "h3"]
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels


def test_a_status_every_post_shares_is_said_once_for_the_thread(out):
    doc = page(out, "threads/run")
    [thread] = select(doc, "section.thread")
    [said] = select(thread, "> p.thread-meta > .status")
    assert said.text_content() == "Every post has been deleted on the platform; these are archived copies."
    posts = select(thread, "article.post")
    assert len(posts) == 4
    for post in posts:
        assert "Deleted" not in post.text_content() and "Twitter" not in post.text_content()
        assert [a.text_content() for a in select(post, "> p.status > a")] == ["Original post"]
    assert read(out / "threads/run/index.html").count("deleted on the platform") == 1


def test_posts_whose_statuses_differ_each_say_their_own(out):
    doc = page(out, "threads/mixed")
    [thread] = select(doc, "section.thread")
    assert select(thread, "> p.thread-meta > .status") == []
    assert [p.text_content() for p in select(thread, "article.post > p.status")] == [
        "Deleted on the platform; archived copy", "Live on the platform when archived"]


def test_a_run_of_six_missing_parts_is_one_line(out):
    doc = page(out, "threads/run")
    [thread] = select(doc, "section.thread")
    assert [gap.text_content() for gap in select(thread, "li.gap")] == ["Parts 4 to 9 of 10 were not archived."]
    items = [("gap" if li.get("class") == "gap" else select(li, "blockquote")[0].text_content())
             for li in select(thread, "> ol.posts > li")]
    assert items == ["part 1", "part 2", "part 3", "gap", "part 10"]
    assert select(thread, "> p.missing-note")[0].text_content() == "Parts 4 to 9 of 10 were not archived."
    mixed = select(page(out, "threads/mixed"), "p.missing-note")[0].text_content()
    assert mixed == "Parts 1, 3 to 9 of 10 were not archived."
