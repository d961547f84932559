"""For researchers (issue #10): citations, the open data files of /data/ and the timeline."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date

import pytest

from conftest import entry, read, run, tree

from generator.outputs.timeline import DAYS_LIMIT, WEEKS_LIMIT, period_unit

WITHDRAWN = {"date": "2018-02-01", "reason": "Removed at the author's request."}
SVG = "{http://www.w3.org/2000/svg}"
DATA_FILES = ["datapackage.json", "entries.csv", "entries.json", "index.html", "post-ids.txt", "posts.csv"]


def thread(title="A thread", date_="2017-10-17", posts=None, **keys):
    keys.setdefault("platform", "twitter")
    keys.setdefault("author", {"name": "Jamie K", "handle": "secrethandle", "private": True})
    return entry(title, date_, posts=posts or [{"n": 1, "text": "first", "id": "11"}], **keys)


def post_block(name: str, handle: str, text: str, private: bool, post_id: str = "", platform: str = "twitter") -> str:
    lines = ["```post", f"platform: {platform}", f"author: {{name: {name}, handle: '{handle}', private: {str(private).lower()}}}",
             f"text: {json.dumps(text)}"]
    if post_id:
        lines.append(f'id: "{post_id}"')
    return "\n".join(lines + ["```", ""])


def csv_rows(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cite(out, url_dir: str) -> list[dict]:
    return json.loads(read(out / url_dir / "cite.json"))


def cite_block(out, url_dir: str) -> str:
    page = read(out / url_dir / "index.html")
    return page[page.index('<details class="cite"'):page.index("</details>", page.index('<details class="cite"'))]


# ---- a tiny BibTeX reader: strict about braces, as BibTeX and biber are ----


def parse_bibtex(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """[(type, key, {field: raw value})]: fails on anything BibTeX would not read."""
    entries, pos = [], 0
    while True:
        match = re.compile(r"\s*@(\w+)\{([^,\s{}]+),").match(text, pos)
        if not match:
            assert text[pos:].strip() == "", f"unexpected text: {text[pos:pos + 40]!r}"
            return entries
        kind, key, pos = match.group(1).lower(), match.group(2), match.end()
        fields: dict[str, str] = {}
        while True:
            pos = _skip(text, pos)
            if text[pos] == "}":
                pos += 1
                break
            name = re.compile(r"([A-Za-z][\w-]*)\s*=\s*").match(text, pos)
            assert name, f"bad field at {text[pos:pos + 40]!r}"
            pos = name.end()
            if text[pos] == "{":
                depth, start = 0, pos
                while True:
                    char = text[pos]
                    if char == "{":
                        depth += 1
                    elif char == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    pos += 1
                    assert pos < len(text), "unbalanced braces"
                value, pos = text[start + 1:pos], pos + 1
            else:
                bare = re.compile(r"[\w]+").match(text, pos)
                assert bare, f"bad value at {text[pos:pos + 40]!r}"
                value, pos = bare.group(0), bare.end()
            assert name.group(1).lower() not in fields, f"field {name.group(1)} twice"
            fields[name.group(1).lower()] = value
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos += 1
        entries.append((kind, key, fields))


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


LATEX = {r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\%": "%", r"\&": "&",
         r"\$": "$", r"\#": "#", r"\_": "_", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"}


def unlatex(value: str) -> str:
    """A BibTeX text value read back: no LaTeX special character may be left unescaped."""
    pattern = re.compile("|".join(re.escape(k) for k in sorted(LATEX, key=len, reverse=True)))
    rest = pattern.sub("", value)
    assert not re.search(r"[\\%&$#_~^]", rest), f"unescaped special character in {value!r}"
    return pattern.sub(lambda m: LATEX[m.group(0)], value)


def strip_braces(value: str) -> str:
    """{{Title}} -> Title; {{A} and {B}} -> A and B (the braces BibTeX uses for protection)."""
    out, i = [], 0
    while i < len(value):
        for command in LATEX:
            if value.startswith(command, i):
                out.append(command)
                i += len(command)
                break
        else:
            if value[i] not in "{}":
                out.append(value[i])
            i += 1
    return "".join(out)


# ---- citations ----


def test_article_take_and_thread_each_have_a_citation(build_site):
    out = build_site({
        "content/articles/story.md": entry("A story", "2017-10-17", authors=["Jane Doe", "Ann Smith", "Bo Li"],
                                           updated="2017-10-20", summary="What happened."),
        "content/takes/view.md": entry("A view", "2017-10-18", authors=["Sam Roe"]),
        "content/threads/t.md": thread("Jamie's thread", "2017-10-16", authors=["Ed Itor"], platform="mastodon"),
        "content/pages/about.md": entry("About", "2017-10-01"),
    })
    article = cite_block(out, "articles/story")
    assert ("Jane Doe, Ann Smith, and Bo Li. “A story.” Test archive, October 17, 2017. Last modified October 20, "
            "2017. Accessed [date]. https://archive.example.org/articles/story/.") in article
    assert "Chicago style" in article and 'href="/articles/story/cite.json"' in article
    take = cite_block(out, "takes/view")
    assert "Sam Roe. “A view.” Test archive, October 18, 2017. Accessed [date]." in take
    thread_block = cite_block(out, "threads/t")
    assert ("Jamie K. “Jamie&#39;s thread.” Edited by Ed Itor. Thread on Mastodon. Test archive, October 16, 2017. "
            "Accessed [date]. https://archive.example.org/threads/t/.") in thread_block
    # Pages are not cited, and have no cite.json.
    assert '<details class="cite"' not in read(out / "about/index.html")
    assert not (out / "about/cite.json").exists()

    item = cite(out, "articles/story")[0]
    assert item["type"] == "webpage" and item["id"] == "article:story"
    assert item["author"] == [{"literal": "Jane Doe"}, {"literal": "Ann Smith"}, {"literal": "Bo Li"}]
    assert item["container-title"] == "Test archive" and item["issued"] == {"date-parts": [[2017, 10, 17]]}
    assert item["URL"] == "https://archive.example.org/articles/story/"
    assert "accessed" not in item  # the reader's to give: never the build date
    thread_item = cite(out, "threads/t")[0]
    assert thread_item["type"] == "post" and thread_item["author"] == [{"literal": "Jamie K"}]
    assert thread_item["editor"] == [{"literal": "Ed Itor"}] and thread_item["genre"] == "Thread on Mastodon"


def test_csl_json_has_the_required_fields(build_site):
    out = build_site({
        "content/articles/a.md": entry("A", "2017-10-17"),
        "content/takes/b.md": entry("B", "2017-10-18", authors=["X"]),
        "content/threads/c.md": thread("C"),
    })
    for where in ["articles/a", "takes/b", "threads/c"]:
        items = cite(out, where)
        assert isinstance(items, list) and len(items) == 1
        for key in ["type", "id", "title", "URL", "issued", "container-title"]:
            assert items[0][key], (where, key)


def test_an_article_with_a_source_cites_the_original_and_the_archived_copy(build_site):
    out = build_site({"content/articles/a.md": entry(
        "Our copy", "2017-10-17", source={
            "title": "The original story", "publisher": "The Daily Ledger", "url": "https://news.example.com/story",
            "archived_url": "https://web.archive.example/2017/https://news.example.com/story",
            "published": "2017-10-16"})})
    block = cite_block(out, "articles/a")
    # No author: the publisher leads, as Chicago does for a work without one.
    assert ("The Daily Ledger. “Our copy.” Test archive, October 17, 2017. Accessed [date]. "
            "https://archive.example.org/articles/a/. Originally published as “The original story,” October 16, "
            "2017, https://news.example.com/story. Preserved copy of the original: "
            "https://web.archive.example/2017/https://news.example.com/story.") in block
    entry_item, original = cite(out, "articles/a")
    assert entry_item["original-title"] == "The original story"
    assert entry_item["original-publisher"] == "The Daily Ledger"
    assert entry_item["original-date"] == {"date-parts": [[2017, 10, 16]]}
    assert original["id"] == "article:a:original" and original["URL"] == "https://news.example.com/story"
    assert original["container-title"] == "The Daily Ledger" and original["archive"] == "Test archive"
    assert original["archive_location"] == "https://archive.example.org/articles/a/"
    assert "web.archive.example" in original["note"]
    [(kind, key, fields)] = parse_bibtex(html_unescape(block[block.index("<code>") + 6:block.index("</code>")]))
    assert fields["organization"] == "The Daily Ledger" and "author" not in fields
    assert "news.example.com/story" in unlatex(fields["note"])


def html_unescape(text: str) -> str:
    import html
    return html.unescape(text)


def plain_citation(out, url_dir: str) -> str:
    """The Chicago reference as a reader sees it: the cite block's first paragraph, as text."""
    block = html_unescape(re.sub(r"<[^>]+>", "", cite_block(out, url_dir)))
    return next(line.strip() for line in block.split("\n") if "Accessed [date]." in line)


def bibtex_fields(out, url_dir: str) -> dict[str, str]:
    block = cite_block(out, url_dir)
    [(_, _, fields)] = parse_bibtex(html_unescape(block[block.index("<code>") + 6:block.index("</code>")]))
    return fields


def test_quotation_marks_in_a_title_are_nested(build_site):
    out = build_site({
        "content/takes/iceberg.md": entry("“Me too”: the tip of the iceberg", "2017-10-16", authors=["Ann"]),
        "content/articles/said.md": entry('She said "me too"', "2017-10-17", source={
            "title": "The author’s ‘view’ on “Me too”", "url": "https://news.example.com/view"}),
        "content/articles/asked.md": entry("Did they say “me too?”", "2017-10-17"),
    })
    iceberg = plain_citation(out, "takes/iceberg")
    assert iceberg.startswith("Ann. “‘Me too’: the tip of the iceberg.” Test archive,")
    # A stop after a quotation that ends the title goes inside both marks; single marks become double, and an
    # apostrophe stays as it is.
    said = plain_citation(out, "articles/said")
    assert said.startswith("“She said ‘me too.’” Test archive,")
    assert "Originally published as “The author’s “view” on ‘Me too,’” https://news.example.com/view." \
        in said
    assert plain_citation(out, "articles/asked").startswith("“Did they say ‘me too?’” Test archive,")
    # BibTeX and CSL-JSON keep the title as written: their readers add and nest the marks.
    assert cite(out, "takes/iceberg")[0]["title"] == "“Me too”: the tip of the iceberg"
    assert unlatex(strip_braces(bibtex_fields(out, "takes/iceberg")["title"])) == "“Me too”: the tip of the iceberg"


def test_an_unknown_author_is_shown_but_not_cited(build_site):
    unnamed = {"name": "Unnamed author", "unknown": True}
    out = build_site({
        "content/takes/anon.md": entry("An opinion", "2017-10-16", authors=[unnamed]),
        "content/takes/pair.md": entry("Two voices", "2017-10-16", authors=[unnamed, "Sam Roe"]),
        "content/articles/copy.md": entry("Our copy", "2017-10-17", authors=[unnamed],
                                          source={"publisher": "The Daily Ledger"}),
        "content/threads/t.md": thread("A thread", authors=[{"name": "An archivist", "unknown": True}]),
    })
    # The page shows the name the editor gave.
    assert "Unnamed author" in read(out / "takes/anon/index.html")
    # The citation starts with the title, as Chicago cites a work without an author; BibTeX and CSL-JSON have
    # no author at all.
    anon = plain_citation(out, "takes/anon")
    assert anon.startswith("“An opinion.” Test archive, October 16, 2017.") and "Unnamed" not in anon
    assert "author" not in bibtex_fields(out, "takes/anon") and "author" not in cite(out, "takes/anon")[0]
    # Known authors are cited, the unknown one is not.
    assert plain_citation(out, "takes/pair").startswith("Sam Roe. “Two voices.”")
    assert cite(out, "takes/pair")[0]["author"] == [{"literal": "Sam Roe"}]
    assert unlatex(strip_braces(bibtex_fields(out, "takes/pair")["author"])) == "Sam Roe"
    # With no known author, the source's publisher leads.
    assert plain_citation(out, "articles/copy").startswith("The Daily Ledger. “Our copy.”")
    assert bibtex_fields(out, "articles/copy")["organization"] == "The Daily Ledger"
    # A thread is cited under its author on the platform; an unknown editor is left out.
    assert plain_citation(out, "threads/t").startswith("Jamie K. “A thread.” Thread on Twitter.")
    assert "editor" not in cite(out, "threads/t")[0] and "editor" not in bibtex_fields(out, "threads/t")
    # Nor is a stand-in name a person in the page's structured data (search engines read it as one).
    assert jsonld(out, "takes/anon").get("author") is None
    assert jsonld(out, "takes/pair")["author"] == [{"@type": "Person", "name": "Sam Roe"}]


def jsonld(out, entry_path: str) -> dict:
    page = read(out / entry_path / "index.html")
    start = page.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    return json.loads(page[start:page.index("</script>", start)])


def test_bibtex_parses_and_escapes_every_special_character(build_site):
    title = r"Braces {x} back\slash 100% R&D $5 #tag snake_case ~tilde ^caret"
    out = build_site({"content/articles/a.md": entry(title, "2017-10-17", authors=["Ann {Curly} Ray_"])})
    block = cite_block(out, "articles/a")
    source = html_unescape(block[block.index("<code>") + 6:block.index("</code>")])
    [(kind, key, fields)] = parse_bibtex(source)
    assert kind == "misc" and key == "article:a"
    assert unlatex(strip_braces(fields["title"])) == title
    assert unlatex(strip_braces(fields["author"])) == "Ann {Curly} Ray_"
    assert fields["month"] == "oct" and fields["year"] == "2017" and fields["date"] == "2017-10-17"
    assert fields["url"] == "https://archive.example.org/articles/a/"
    assert fields["howpublished"] == "Test archive"
    pybtex = pytest.importorskip("pybtex.database")
    parsed = pybtex.parse_string(source, "bibtex")
    assert list(parsed.entries) == ["article:a"]
    assert len(parsed.entries["article:a"].persons["author"]) == 1


def test_private_handles_never_reach_a_citation(build_site):
    out = build_site({"content/threads/t.md": thread(
        "Thread by @secrethandle", author={"name": "Jamie K", "handle": "secrethandle",
                                           "url": "https://twitter.com/secrethandle", "private": True})})
    assert b"secrethandle" not in (out / "threads/t/cite.json").read_bytes().lower()
    assert "secrethandle" not in cite_block(out, "threads/t").lower()
    assert "“Thread by Jamie K.”" in cite_block(out, "threads/t")


def test_citations_keep_the_permanent_url_after_a_slug_change(build_site):
    out = build_site({"content/articles/new.md": entry("Renamed", "2017-10-17", aliases=["/articles/old/"])})
    item = cite(out, "articles/new")[0]
    assert item["URL"] == "https://archive.example.org/articles/old/" and item["id"] == "article:old"


# ---- open data ----


def site_for_data():
    return {
        "content/articles/story.md": entry(
            "A story, with \"quotes\"", "2017-10-17T22:30:00-05:00", authors=["Jane Doe", "Ann Smith"],
            tags=["MeToo", "#NOTokay"], regions=["us", "france"], sectors=["sports"],
            content_warnings=["sexual harassment"], updated="2017-10-20",
            source={"url": "https://news.example.com/a", "publisher": "Ledger"},
            body="Text with a quoted post.\n\n" + post_block("Pub Lic", "publicperson", "public post @secrethandle",
                                                               False, "900") +
                 "\n" + post_block("Pri Vate", "hiddenone", "private post", True, "901")),
        "content/threads/t.md": thread("Thread", "2017-10-16", posts=[
            {"n": 1, "text": "one", "id": "111", "url": "https://twitter.com/secrethandle/status/111",
             "date": "2017-10-16T08:00:00Z", "status": "deleted"},
            {"n": 2, "text": "two, line\nbreak", "id": "112"}]),
        "content/threads/public.md": thread("Public thread", "2017-10-15", author={
            "name": "Open Person", "handle": "openperson", "private": False}, posts=[
            {"n": 1, "text": "hi", "id": "20", "url": "https://twitter.com/openperson/status/20"},
            {"n": 2, "text": "hi again", "id": "3"}, {"n": 3, "text": "repeat", "id": "20"}]),
        "content/pages/about.md": entry("About", "2017-10-01"),
    }


def test_entries_csv_and_json(build_site):
    out = build_site(site_for_data())
    rows = csv_rows(out / "data/entries.csv")
    assert [r["slug"] for r in rows] == ["story", "t", "public"]  # newest first; no page
    story = rows[0]
    assert story["id"] == "https://archive.example.org/articles/story/"
    assert story["url"] == "https://archive.example.org/articles/story/" and story["kind"] == "article"
    assert story["title"] == 'A story, with "quotes"'
    assert story["date"] == "2017-10-18" and story["datetime"] == "2017-10-18T03:30:00Z"  # UTC site
    assert story["updated"] == "2017-10-20"
    assert story["authors"] == "Jane Doe; Ann Smith" and story["tags"] == "metoo; notokay"
    assert story["regions"] == "us; france" and story["sectors"] == "sports"
    assert story["content_warnings"] == "sexual harassment" and story["source_url"] == "https://news.example.com/a"
    assert story["words"].isdigit() and story["posts"] == "2"
    assert rows[1]["authors"] == "Jamie K" and rows[1]["posts"] == "2"
    raw = (out / "data/entries.csv").read_bytes()
    assert raw.startswith(b"id,kind,slug,url,title,") and b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    data = json.loads(read(out / "data/entries.json"))
    assert [d["slug"] for d in data] == ["story", "t", "public"]
    assert data[0]["authors"] == ["Jane Doe", "Ann Smith"] and data[0]["words"] == int(story["words"])
    assert data[1]["updated"] is None and data[1]["source_url"] is None
    assert list(data[0]) == list(rows[0])


def test_posts_csv_and_post_ids(build_site):
    out = build_site(site_for_data())
    rows = csv_rows(out / "data/posts.csv")
    assert [(r["entry_url"].rsplit("/", 2)[-2], r["container"], r["text"]) for r in rows] == [
        ("story", "block", "public post Jamie K"), ("story", "block", "private post"),
        ("t", "thread", "one"), ("t", "thread", "two, line\nbreak"),
        ("public", "thread", "hi"), ("public", "thread", "hi again"), ("public", "thread", "repeat")]
    public, private = rows[0], rows[1]
    assert public["id"] == "900" and public["author_handle"] == "publicperson" and public["author_private"] == "false"
    assert private["id"] == "" and private["author_handle"] == "" and private["author_private"] == "true"
    thread_post = rows[2]
    assert thread_post["id"] == "" and thread_post["url"] == "" and thread_post["author"] == "Jamie K"
    assert thread_post["status"] == "deleted" and thread_post["datetime"] == "2017-10-16T08:00:00Z"
    assert thread_post["n"] == "1" and thread_post["entry_id"] == "https://archive.example.org/threads/t/"
    assert rows[4]["url"] == "https://twitter.com/openperson/status/20"
    # Public authors' ids only, sorted as numbers, each once.
    assert read(out / "data/post-ids.txt") == "3\n20\n900\n"


def test_withdrawn_entries_appear_in_no_data_file_nor_the_timeline(write_site):
    site = write_site({
        "content/articles/story.md": entry(
            "Jane Roe names her employer", "2017-10-18", body="A distinctive sentence only this entry holds.\n\n"
            + post_block("Quoted", "quotedperson", "a distinctive post", False, "777"),
            authors=["Reporter Name"], tags=["onlyhere"], regions=["france"], withdrawn=WITHDRAWN),
        "content/articles/other.md": entry("Other", "2017-10-17", regions=["us"]),
    })
    assert run("build", "--site", str(site)).code == 0
    out = site / "output"
    files = {**{f"data/{k}": v for k, v in tree(out / "data").items()},
             **{f"timeline/{k}": v for k, v in tree(out / "timeline").items()}}
    assert sorted(files) == [f"data/{n}" for n in DATA_FILES] + ["timeline/index.html"]
    for path, data in files.items():
        text = data.decode("utf-8")
        for secret in ["Jane Roe", "distinctive", "Reporter Name", "onlyhere", "777", "articles/story",
                       "France", "2017-10-18", "18 October"]:
            assert secret not in text, (secret, path)
    assert not (out / "articles/story/cite.json").exists()
    assert '<details class="cite"' not in read(out / "articles/story/index.html")


def test_private_handles_appear_in_no_data_file(write_site):
    site = write_site({
        "content/threads/t.md": thread(
            "Thread by @secrethandle", author={"name": "Jamie K", "handle": "SecretHandle",
                                               "url": "https://twitter.com/SecretHandle", "private": True},
            posts=[{"n": 1, "text": "hi @secrethandle", "id": "5", "url": "https://twitter.com/SecretHandle/status/5",
                    "media": [{"src": "https://img.example/a.jpg", "alt": "photo of @SecretHandle"}]}]),
        "content/threads/m.md": thread("Mastodon", platform="mastodon", author={
            "name": "Pat Q", "handle": "patq@social.example", "private": True}, posts=[{"text": "toot", "id": "9"}]),
        "content/articles/a.md": entry(
            "Naming @patq@social.example", "2017-10-16", summary="About @SecretHandle.",
            body=post_block("Al", "al", "cc @SecretHandle and @patq@social.example", False, "42")),
    })
    assert run("build", "--site", str(site)).code == 0
    out = site / "output"
    for path, data in tree(out / "data").items():
        lowered = data.decode("utf-8").lower()
        assert "secrethandle" not in lowered and "patq" not in lowered, path
    for where in ["threads/t", "threads/m", "articles/a"]:
        lowered = (out / where / "cite.json").read_text(encoding="utf-8").lower()
        assert "secrethandle" not in lowered and "patq" not in lowered, where
    posts = csv_rows(out / "data/posts.csv")
    # (a profile URL of a private person in a post is refused by the build: tests/test_threads.py)
    assert [p["text"] for p in posts if p["author"] == "Al"] == ["cc Jamie K and Pat Q"]
    assert read(out / "data/post-ids.txt") == "42\n"


def test_drafts_are_never_in_the_data_files(write_site):
    site = write_site({
        "content/articles/draft.md": entry("Draft title", "2017-10-18", draft=True,
                                           body=post_block("P", "pp", "draft post", False, "98765")),
        "content/articles/a.md": entry("A", "2017-10-17"),
    })
    for args in [(), ("--drafts",)]:
        assert run("build", "--site", str(site), *args).code == 0, args
        out = site / "output"
        for path, data in tree(out / "data").items():
            assert b"Draft title" not in data and b"draft post" not in data and b"98765" not in data, (args, path)
        assert [r["slug"] for r in csv_rows(out / "data/entries.csv")] == ["a"]
    # The --drafts preview cites the draft as it would be cited once published.
    assert (site / "output/articles/draft/cite.json").exists()


def check_schema_by_hand(data_dir):
    """Every resource exists, every CSV header equals its schema's fields, and every value parses as its type."""
    package = json.loads(read(data_dir / "datapackage.json"))
    assert package["profile"] == "tabular-data-package"
    for resource in package["resources"]:
        assert resource["profile"] == "tabular-data-resource"
        fields = resource["schema"]["fields"]
        names = [f["name"] for f in fields]
        assert all(f["description"] for f in fields)
        path = data_dir / resource["path"]
        assert path.is_file()
        if resource["format"] == "json":
            rows = json.loads(read(path))
            assert all(list(row) == names for row in rows)
            values = [(f, row[f["name"]]) for row in rows for f in fields]
        elif resource.get("dialect", {}).get("header", True):
            reader = csv.reader(io.StringIO(read(path), newline=""))
            header, *rows = list(reader)
            assert header == names
            values = [(f, value) for row in rows for f, value in zip(fields, row, strict=True)]
        else:
            values = [(fields[0], line) for line in read(path).splitlines()]
        for field, value in values:
            if value in ("", None):
                continue
            kind = field["type"]
            if kind == "integer":
                int(value)
            elif kind == "date":
                date.fromisoformat(value)
            elif kind == "datetime":
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
            elif kind == "boolean":
                assert value in ("true", "false", True, False)
            elif kind == "array":
                assert isinstance(value, list)
            else:
                assert kind == "string" and isinstance(value, str)
            if "enum" in field.get("constraints", {}):
                assert value in field["constraints"]["enum"]
    return package


def test_the_data_package_describes_the_files(build_site):
    out = build_site(site_for_data())
    package = check_schema_by_hand(out / "data")
    assert [r["path"] for r in package["resources"]] == ["entries.csv", "entries.json", "posts.csv", "post-ids.txt"]
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(out / "data/datapackage.json"))
    assert report.valid, report.flatten(["title", "message"])


def test_data_files_of_an_empty_archive(build_site):
    out = build_site({"content/pages/about.md": entry("About")})
    assert read(out / "data/entries.csv").startswith("id,kind,slug,") and len(csv_rows(out / "data/entries.csv")) == 0
    assert json.loads(read(out / "data/entries.json")) == [] and read(out / "data/post-ids.txt") == ""
    check_schema_by_hand(out / "data")
    assert "No entries yet." in read(out / "timeline/index.html")


def test_data_page_links_every_file(build_site):
    out = build_site(site_for_data())
    page = read(out / "data/index.html")
    for name in DATA_FILES:
        if name != "index.html":
            assert f'href="/data/{name}"' in page, name
    assert "The fields of entries.csv, in order" in page and "<dt><code>source_archived_url</code>" in page


def test_research_outputs_collide_with_a_page_of_the_same_name(write_site):
    site = write_site({"content/pages/data.md": entry("Data"), "content/pages/timeline.md": entry("Timeline")})
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert "content/pages/data.md:1: /data/ is built twice: by content/pages/data.md and by the open data" in result.err
    assert "/timeline/ is built twice" in result.err


# ---- timeline ----


def test_period_is_chosen_by_span():
    start = date(2017, 1, 1)
    assert period_unit(start, start) == "day"
    assert period_unit(start, date.fromordinal(start.toordinal() + DAYS_LIMIT)) == "day"
    assert period_unit(start, date.fromordinal(start.toordinal() + DAYS_LIMIT + 1)) == "week"
    assert period_unit(start, date.fromordinal(start.toordinal() + WEEKS_LIMIT)) == "week"
    assert period_unit(start, date.fromordinal(start.toordinal() + WEEKS_LIMIT + 1)) == "month"


def chart(page: str, css_class: str = "chart") -> ET.Element:
    match = re.search(r'<svg class="%s".*?</svg>' % css_class, page, re.S)
    assert match, css_class
    return ET.fromstring(match.group(0))  # well-formed XML, or this fails


def bars(svg: ET.Element) -> list[tuple[str, int, str]]:
    """(title, count, href or '') of each bar."""
    found = []
    parents = {child: parent for parent in svg.iter() for child in parent}
    for rect in svg.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title").text
        count = int(re.search(r": ([\d,]+) entr", title).group(1).replace(",", ""))
        parent = parents[rect]
        found.append((title, count, parent.get("href", "") if parent.tag == f"{SVG}a" else ""))
    return found


def archive_counts(out) -> dict[str, int]:
    """/archive/YYYY/MM/ -> its count, as /archive/ shows it."""
    page = read(out / "archive/index.html")
    return {href: int(n) for href, n in re.findall(r'<a href="(/archive/\d{4}/\d\d/)">[^<]+</a> '
                                                     r'<span class="count">\((\d+)\)</span>', page)}


def dated_site(dates: list[str]) -> dict:
    regions = ["us", "france"]
    return {f"content/articles/e{i}.md": entry(f"Entry {i}", d, regions=[regions[i % 2]], sectors=["sports"])
            for i, d in enumerate(dates)}


def assert_timeline_matches_archive(out, unit: str):
    page = read(out / "timeline/index.html")
    svg = chart(page)
    # Hidden from assistive technology (a role="img" may not hold links): the table is its accessible version.
    assert svg.get("aria-hidden") == "true" and all(a.get("tabindex") == "-1" for a in svg.iter(f"{SVG}a"))
    assert svg.find(f"{SVG}title").text.startswith(f"Entries per {unit}")
    found = bars(svg)
    per_month: Counter = Counter()
    for title, count, href in found:
        assert href and (out / href.strip("/") / "index.html").is_file(), href
        if unit != "week":
            per_month[href] += count
    if unit != "week":
        assert dict(per_month) == archive_counts(out)
    assert sum(c for _, c, _ in found) == sum(archive_counts(out).values())
    # The table holds the same numbers as the bars.
    table = page[page.index('<details class="timeline-table">'):page.index("</details>")]
    assert "<caption>" in table and '<th scope="col">' in table and '<th scope="row">' in table
    numbers = [int(n.replace(",", "")) for n in re.findall(r"<td>([\d,]+)</td>", table)]
    assert [n for n in numbers if n] == [c for _, c, _ in found]
    return page, found


def test_timeline_per_day_for_a_short_campaign(build_site):
    out = build_site(dated_site(["2017-10-15", "2017-10-17", "2017-10-17", "2017-11-02T23:30:00Z"]))
    page, found = assert_timeline_matches_archive(out, "day")
    assert [t for t, _, _ in found] == ["15 October 2017: 1 entry", "17 October 2017: 2 entries",
                                        "2 November 2017: 1 entry"]
    assert found[2][2] == "/archive/2017/11/"  # a day links to its month: there are no day pages
    table = page[page.index('<details class="timeline-table">'):page.index("</details>")]
    assert table.count("<tr>") - 1 == 19  # every day from 15 October to 2 November, empty ones too


def test_timeline_per_week_links_weeks_to_a_month_that_exists(build_site):
    # The week of Monday 25 September 2017 has entries only on Sunday 1 October: it must lead to October.
    out = build_site(dated_site(["2017-01-02", "2017-10-01", "2017-10-01", "2018-06-01"]))
    _, found = assert_timeline_matches_archive(out, "week")
    assert ("Week of 25 September 2017: 2 entries", 2, "/archive/2017/10/") in found


def test_timeline_per_month_over_years(build_site):
    out = build_site(dated_site(["2015-03-01", "2016-01-05", "2016-01-20", "2017-06-01", "2018-03-03"]))
    _, found = assert_timeline_matches_archive(out, "month")
    assert ("January 2016: 2 entries", 2, "/archive/2016/01/") in found


def test_small_multiples_link_terms_and_feeds(build_site):
    out = build_site(dated_site(["2017-10-15", "2017-10-17", "2017-10-17"]))
    page = read(out / "timeline/index.html")
    for taxonomy, key in [("regions", "us"), ("regions", "france"), ("sectors", "sports")]:
        assert f'<a href="/{taxonomy}/{key}/"' in page
        for feed in ["feed.xml", "atom.xml", "feed.json"]:
            assert f'href="/{taxonomy}/{key}/{feed}"' in page
    small = re.findall(r'<svg class="chart chart-small".*?</svg>', page, re.S)
    assert len(small) == 3
    counts = {}
    for svg_text in small:
        svg = ET.fromstring(svg_text)
        counts[svg.find(f"{SVG}title").text.split(":")[0]] = sum(c for _, c, _ in bars(svg))
    assert counts == {"France": 1, "United States": 2, "Sports": 3}
    assert 'lang="fr">France</a>' in page


def test_timeline_under_a_base_path(build_site):
    out = build_site(dated_site(["2017-10-15"]), "--base-url", "https://example.org/archive/")
    page = read(out / "timeline/index.html")
    assert 'href="/archive/archive/2017/10/"' in page and 'href="/archive/regions/us/"' in page
    assert json.loads(read(out / "articles/e0/cite.json"))[0]["URL"] == "https://example.org/archive/articles/e0/"


def test_research_outputs_are_byte_identical(write_site, tmp_path):
    site = write_site(site_for_data())
    outputs = []
    for name in ["one", "two"]:
        assert run("build", "--site", str(site), "--out", str(tmp_path / name), "--jobs", "2").code == 0
        outputs.append({k: v for k, v in tree(tmp_path / name).items() if k.startswith(("data/", "timeline/"))
                        or k.endswith("cite.json")})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 10


def test_docs_describe_every_field():
    from conftest import REPO
    from generator.outputs.opendata import ENTRY_FIELDS, POST_FIELDS
    docs = (REPO / "docs/data.md").read_text(encoding="utf-8")
    for field in ENTRY_FIELDS + POST_FIELDS:
        assert f"| `{field.name}` | " in docs, field.name
