"""`chorus new`: a new entry with the front matter of its kind, that builds as written."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from conftest import BASE_CONFIG, REPO, entry, read, run
from generator.entries import FrontMatter, Media, Person, Post, Source, Withdrawal
from generator.scaffold import DRAFT_NOTE

KINDS = {"article": "articles", "take": "takes", "thread": "threads", "page": "pages"}
TRICKY_TITLE = '#MeToo: "quoted" & <b>bold</b> — Élysée, yes'


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def page_of(site, kind: str, slug: str):
    return site / "output" / ("" if kind == "page" else KINDS[kind]) / slug / "index.html"


@pytest.mark.parametrize("kind", list(KINDS))
def test_new_entry_is_a_draft_that_builds_as_written(write_site, kind):
    site = write_site({})
    result = run("new", kind, "My first entry", "--site", str(site))
    assert result.code == 0, result.err
    # The path alone on stdout, for a script; on stderr, that the entry is a draft and how to publish it.
    assert result.out == f"content/{KINDS[kind]}/my-first-entry.md\n"
    assert result.err == DRAFT_NOTE + "\n" and "draft: true" in result.err
    assert front_matter(read(site / result.out.strip()))["draft"] is True
    # A build leaves the draft out, and says nothing of its stand-ins: it is not published.
    build = run("build", "--site", str(site))
    assert build.code == 0 and build.err == "", build.err
    assert not page_of(site, kind, "my-first-entry").exists()
    # With --drafts it builds as written.
    build = run("build", "--site", str(site), "--drafts")
    assert build.code == 0, build.err
    assert "My first entry" in read(page_of(site, kind, "my-first-entry"))
    assert run("check", "--site", str(site), "--drafts").code == 0


SAMPLE = "Replace this line with"
SAMPLE_WARNINGS = {
    "article": [(SAMPLE, "the sample line of chorus new is still in the body")],
    "page": [(SAMPLE, "the sample line of chorus new is still in the body")],
    "take": [('authors: ["Author\'s name"]', "authors: 'Author's name' is a stand-in written by chorus new"),
             (SAMPLE, "the sample line of chorus new is still in the body")],
    "thread": [("name: \"Author's name\"", "author.name: 'Author's name' is a stand-in written by chorus new"),
               ("- text: \"The post's text, as published.\"",
                "posts.text: 'The post's text, as published.' is a stand-in written by chorus new"),
               (SAMPLE, "the sample line of chorus new is still in the body")],
}
"""What a build says of a new entry published as written: each stand-in, at the line that writes it."""


def line_of(text: str, written: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if written in line)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_build_warns_about_stand_ins_left_in_a_published_entry(write_site, kind):
    site = write_site({})
    rel = run("new", kind, "Ready or not", "--site", str(site)).out.strip()
    path = site / rel
    text = read(path).replace("\ndraft: true", "\n# draft: true", 1)
    path.write_text(text, encoding="utf-8")
    expected = [f"{rel}:{line_of(text, written)}: warning: {message}" for written, message in SAMPLE_WARNINGS[kind]]
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    warnings = result.err.strip().split("\n")
    assert [w.split(" (", 1)[0] for w in warnings] == expected
    assert "Ready or not" in read(page_of(site, kind, "ready-or-not"))
    # --strict makes them errors: the build stops, with each of them.
    strict = run("build", "--site", str(site), "--strict")
    assert strict.code == 1 and strict.err.split("\n")[:-2] == warnings
    # Written over, the stand-ins are gone and so are the warnings.
    front, body = text.split("\n---\n", 1)[0], "My own words.\n"
    front = front.replace("Author's name", "Jamie K").replace("The post's text, as published.", "Me too.")
    path.write_text(f"{front}\n---\n{body}", encoding="utf-8")
    assert run("build", "--site", str(site), "--strict").code == 0
    # The sample line is found wherever it is in the body, even with text after it on its line.
    sample = text.split("\n---\n", 1)[1].strip()
    text = f"{front}\n---\nFirst paragraph.\n\n{sample} Then mine.\n"
    path.write_text(text, encoding="utf-8")
    again = run("build", "--site", str(site))
    assert again.err == f"{rel}:{line_of(text, 'Then mine.')}: warning: the sample line of chorus new is still in " \
        "the body (write the entry's text in its place)\n"
    # A draft is not published, and is not warned about.
    path.write_text(f"{front}\ndraft: true\n---\n{sample}\n", encoding="utf-8")
    assert run("build", "--site", str(site), "--strict").code == 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_title_is_quoted_safely_for_yaml(write_site, kind):
    site = write_site({})
    result = run("new", kind, TRICKY_TITLE, "--site", str(site))
    assert result.code == 0, result.err
    path = site / result.out.strip()
    assert path.name == "metoo-quoted-b-bold-b-elysee-yes.md"
    assert front_matter(read(path))["title"] == TRICKY_TITLE
    assert run("build", "--site", str(site), "--drafts").code == 0
    html = read(page_of(site, kind, path.stem))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html


REFUSED_BY_KIND = {"article": {"responds_to"}, "take": set(), "thread": {"responds_to"},
                   "page": {"tags", "regions", "sectors", "featured", "responds_to"}}
"""Keys the declarations give every kind but a kind refuses (the kinds column of docs/front-matter.md)."""


def uncommented(text: str) -> str:
    """The file with every optional key in use: '# ' removed before each commented key."""
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("# ") and ":" in stripped.split(" # ")[0] and not stripped.startswith("# Optional"):
            line = line[: len(line) - len(stripped)] + stripped[2:]
        lines.append(line)
    return "\n".join(lines)


def names(record) -> set[str]:
    return {f.name for f in fields(record)}


def test_front_matter_of_each_kind(write_site):
    site = write_site({})
    paths = {kind: site / run("new", kind, f"A {kind}", "--site", str(site)).out.strip() for kind in KINDS}
    texts = {kind: read(path) for kind, path in paths.items()}
    meta = {kind: front_matter(text) for kind, text in texts.items()}
    today = datetime.now(ZoneInfo("UTC")).date()

    # As written, the required keys only, with values that build, and draft: true.
    assert meta["article"] == {"title": "A article", "date": today, "draft": True}
    assert meta["page"] == {"title": "A page", "date": today, "draft": True}
    assert meta["take"] == {"title": "A take", "date": today, "authors": ["Author's name"], "draft": True}
    thread = meta["thread"]
    assert set(thread) == {"title", "date", "draft", "platform", "author", "posts"}
    assert thread["platform"] == "twitter"
    # A new thread's author is private until the editor decides otherwise.
    assert thread["author"] == {"name": "Author's name", "private": True}
    assert len(thread["posts"]) == 1 and set(thread["posts"][0]) == {"text"}

    # The stand-ins say to replace them.
    assert 'authors: ["Author\'s name"]' in texts["take"]
    assert "Change" in texts["take"].split("authors:")[1].split("\n")[0]
    # Each says how it is published.
    for text in texts.values():
        assert "Remove this line to publish" in text.split("\ndraft: true")[1].split("\n")[0]
    assert "Replace it" in texts["thread"].split("- text:")[1].split("\n")[0]
    # The closed vocabularies of site.yaml are listed beside regions and sectors.
    assert "site.yaml has: us, france" in texts["article"] and "site.yaml has: sports, workplace" in texts["article"]

    # Every key the kind may have is there, each with its doc beside it: the optional ones commented out.
    for kind, text in texts.items():
        allowed = {f.name for f in fields(FrontMatter) if f.metadata["only"] in ("", kind)} - REFUSED_BY_KIND[kind]
        full = front_matter(uncommented(text))
        assert set(full) == allowed, kind
        for f in fields(FrontMatter):
            lines = [line for line in text.split("\n") if re.match(rf"(# )?{f.name}:", line)]
            assert len(lines) == (f.name in allowed), (kind, f.name)
            assert all(f.metadata["doc"] in line.split(" # ", 1)[1] for line in lines), (kind, f.name)
        assert set(full["source"]) == names(Source) and set(full["withdrawn"]) == names(Withdrawal)
    full_thread = front_matter(uncommented(texts["thread"]))
    assert set(full_thread["author"]) == names(Person)
    assert set(full_thread["posts"][0]) == names(Post) and set(full_thread["posts"][0]["media"][0]) == names(Media)
    # Pages refuse tags, regions, sectors, featured and responds_to: none of them is there, not even commented.
    for key in REFUSED_BY_KIND["page"]:
        assert f"{key}:" not in texts["page"]


def test_every_commented_key_builds_once_uncommented(write_site):
    """The examples are usable as written: remove '# ' and the entry still builds."""
    site = write_site({"content/articles/target.md": entry("Target")})
    for kind in KINDS:
        path = site / run("new", kind, f"Full {kind}", "--site", str(site)).out.strip()
        text = uncommented(read(path))
        text = (text.replace("[article-slug]", "[target]").replace("/2017/10/old-url/", f"/old/{kind}/")
                .replace("other-name", f"other-{kind}").replace("https://...", "https://example.org/x"))
        path.write_text(text, encoding="utf-8")
    result = run("build", "--site", str(site), "--drafts")
    assert result.code == 0, result.err


def test_date_is_today_in_the_sites_timezone(write_site):
    site = write_site({}, config=BASE_CONFIG.replace("timezone: UTC", "timezone: Pacific/Kiritimati"))
    before = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    path = site / run("new", "article", "Late news", "--site", str(site)).out.strip()
    after = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert front_matter(read(path))["date"] in (before, after)
    assert isinstance(front_matter(read(path))["date"], date)


def test_refuses_to_overwrite(write_site):
    site = write_site({"content/takes/my-take.md": entry("Mine", authors=["Jo"])})
    before = read(site / "content/takes/my-take.md")
    result = run("new", "take", "My take", "--site", str(site))
    assert result.code == 1 and result.out == ""
    assert "content/takes/my-take.md already exists" in result.err
    assert read(site / "content/takes/my-take.md") == before
    # A bundle of that name is the same entry.
    (site / "content/articles/bundle").mkdir(parents=True)
    (site / "content/articles/bundle/index.md").write_text(entry("Bundle"), encoding="utf-8")
    result = run("new", "article", "Bundle", "--site", str(site))
    assert result.code == 1 and "content/articles/bundle/ already exists" in result.err
    assert not (site / "content/articles/bundle.md").exists()


def test_bad_usage(write_site, tmp_path):
    site = write_site({})
    result = run("new", "story", "Title", "--site", str(site))
    assert result.code == 2 and "story" in result.err  # argparse's wording is its own: only that it names the word
    assert run("new", "take", "--site", str(site)).code == 2
    for title in ("", "   ", "!!! ???"):
        result = run("new", "take", title, "--site", str(site))
        assert result.code == 2, title
        assert result.err.startswith("chorus: error: ")
    assert run("new", "take", "Title", "--site", str(tmp_path / "missing")).code == 2
    assert not (site / "content").exists()


def test_site_yaml_errors_are_reported(tmp_path):
    result = run("new", "article", "Title", "--site", str(tmp_path))
    assert result.code == 1
    assert "site.yaml: no such file in the site folder" in result.err
    assert not (tmp_path / "content").exists()


def test_new_lines_in_a_title_become_spaces(write_site):
    site = write_site({})
    result = run("new", "article", "Two\nlines\tand\u2028more", "--site", str(site))
    assert result.out == "content/articles/two-lines-and-more.md\n" and result.err == DRAFT_NOTE + "\n"
    assert front_matter(read(site / result.out.strip()))["title"] == "Two lines and more"


def test_python_m_generator_new(write_site):
    site = write_site({})
    result = subprocess.run([sys.executable, "-m", "generator", "new", "thread", "Jamie's thread", "--site", str(site)],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "content/threads/jamie-s-thread.md\n"


def test_the_docs_show_what_new_writes():
    """docs/serve-and-new.md shows a new take of the demo archive: it is exactly what `chorus new` writes."""
    from generator.config import load_config
    from generator.scaffold import front_matter as written
    config, errors = load_config(REPO)
    assert not errors
    doc = (REPO / "docs" / "serve-and-new.md").read_text(encoding="utf-8")
    shown = doc.split("A new take looks like this:\n\n```yaml\n", 1)[1].split("```\n", 1)[0]
    assert shown == written("take", "Why #MeToo matters: a view from Lyon", date(2017, 10, 20), config), \
        "docs/serve-and-new.md shows another file than `chorus new take` writes: copy its output there"
