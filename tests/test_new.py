"""`chorus new`: a new entry with the front matter of its kind, that builds as written."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from conftest import BASE_CONFIG, REPO, entry, read, run

KINDS = {"article": "articles", "take": "takes", "thread": "threads", "page": "pages"}
TRICKY_TITLE = '#MeToo: "quoted" & <b>bold</b> — Élysée, yes'


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


@pytest.mark.parametrize("kind", list(KINDS))
def test_new_entry_builds_exactly_as_written(write_site, kind):
    site = write_site({})
    result = run("new", kind, "My first entry", "--site", str(site))
    assert result.code == 0, result.err
    assert result.out == f"content/{KINDS[kind]}/my-first-entry.md\n" and result.err == ""
    build = run("build", "--site", str(site))
    assert build.code == 0, build.err
    assert build.err == ""
    page = site / "output" / ("" if kind == "page" else KINDS[kind]) / "my-first-entry" / "index.html"
    assert "My first entry" in read(page)
    assert run("check", "--site", str(site), "--drafts").code == 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_title_is_quoted_safely_for_yaml(write_site, kind):
    site = write_site({})
    result = run("new", kind, TRICKY_TITLE, "--site", str(site))
    assert result.code == 0, result.err
    path = site / result.out.strip()
    assert path.name == "metoo-quoted-b-bold-b-elysee-yes.md"
    assert front_matter(read(path))["title"] == TRICKY_TITLE
    assert run("build", "--site", str(site)).code == 0
    html = read(site / "output" / ("" if kind == "page" else KINDS[kind]) / path.stem / "index.html")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html


def test_front_matter_of_each_kind(write_site):
    site = write_site({})
    paths = {kind: site / run("new", kind, f"A {kind}", "--site", str(site)).out.strip() for kind in KINDS}
    texts = {kind: read(path) for kind, path in paths.items()}
    meta = {kind: front_matter(text) for kind, text in texts.items()}
    today = datetime.now(ZoneInfo("UTC")).date()

    assert meta["article"] == {"title": "A article", "date": today, "tags": [], "regions": [], "sectors": []}
    assert meta["take"] == {"title": "A take", "date": today, "authors": ["Editor"], "tags": [], "regions": [],
                            "sectors": []}
    assert meta["page"] == {"title": "A page", "date": today}
    thread = meta["thread"]
    assert thread["platform"] == "twitter"
    assert thread["author"]["private"] is True and thread["author"]["name"]
    assert len(thread["posts"]) == 1 and thread["posts"][0]["text"]
    assert {"tags", "regions", "sectors"} <= set(thread)

    # The take's author is a placeholder, with a comment saying to change it.
    assert 'authors: ["Editor"]' in texts["take"] and "change" in texts["take"].split("authors:")[1].split("\n")[0]
    # The closed vocabularies of site.yaml are listed beside the empty lists.
    assert "from site.yaml: us, france" in texts["article"] and "from site.yaml: sports, workplace" in texts["article"]
    # Optional keys are there as comments.
    for kind, text in texts.items():
        for key in ("summary", "lang", "content_warnings", "source", "aliases", "draft", "slug", "updated"):
            assert f"\n# {key}:" in text, (kind, key)
        assert ("\n# featured:" in text) == (kind != "page")
        assert ("\n# weight:" in text) == (kind == "page")
        assert ("\n# responds_to:" in text) == (kind == "take")
    # Pages reject tags, regions, sectors, featured and responds_to: none of them, not even commented.
    for key in ("tags", "regions", "sectors", "featured", "responds_to"):
        assert f"{key}:" not in texts["page"]


def test_every_commented_key_builds_once_uncommented(write_site):
    """The hints are usable as written: remove '# ' and the entry still builds."""
    site = write_site({"content/articles/target.md": entry("Target")})
    for kind in KINDS:
        path = site / run("new", kind, f"Full {kind}", "--site", str(site)).out.strip()
        lines = []
        for line in read(path).split("\n"):
            stripped = line.lstrip()
            if stripped.startswith("# ") and ":" in stripped and not stripped.startswith("# Optional"):
                indent = line[: len(line) - len(stripped)]
                line = indent + stripped[2:]
            lines.append(line)
        text = "\n".join(lines)
        text = (text.replace("[article-slug]", "[target]").replace("/2017/10/old-url/", f"/old/{kind}/")
                .replace("other-name", f"other-{kind}").replace("https://...", "https://example.org/x")
                .replace('"What the image shows"', '"A photo"').replace("photo.jpg", "https://example.org/p.jpg"))
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
    assert result.out == "content/articles/two-lines-and-more.md\n"
    assert front_matter(read(site / result.out.strip()))["title"] == "Two lines and more"


def test_python_m_generator_new(write_site):
    site = write_site({})
    result = subprocess.run([sys.executable, "-m", "generator", "new", "thread", "Jamie's thread", "--site", str(site)],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "content/threads/jamie-s-thread.md\n"
