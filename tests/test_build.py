"""What a built site holds: small sites written inline, built, and read back."""

from __future__ import annotations

import re

import pytest

from conftest import entry, read, run, tree, unsafe_markup


def main_of(page: str) -> str:
    """The page's <main>, without the navigation every page shares."""
    return page[page.index("<main"):page.index("</main>")]


def test_every_url_of_the_contract_exists(build_site):
    out = build_site({
        "content/articles/one.md": entry("One", "2017-10-17", tags=["MeToo"], regions=["us"], sectors=["sports"]),
        "content/takes/two.md": entry("Two", "2017-10-18", authors=["Jane Doe"], responds_to=["one"]),
        "content/threads/three.md": entry("Three", "2017-09-02", platform="twitter", author={"name": "A"},
                                          posts=[{"text": "hello"}]),
        "content/pages/about.md": entry("About"),
    })
    for rel in ["index.html", "articles/one/index.html", "takes/two/index.html", "threads/three/index.html",
                "about/index.html", "articles/index.html", "takes/index.html", "threads/index.html",
                "tags/index.html", "regions/index.html", "sectors/index.html", "tags/metoo/index.html",
                "regions/us/index.html", "sectors/sports/index.html", "archive/index.html",
                "archive/2017/index.html", "archive/2017/10/index.html", "archive/2017/09/index.html",
                "sitemap.xml", "robots.txt", "404.html", "feed.xml", "atom.xml", "feed.json",
                "regions/us/feed.xml", "articles/atom.xml", "tags/metoo/feed.json"]:
        assert (out / rel).is_file(), rel


def test_pages_are_in_navigation_and_sitemap_but_not_listed(build_site):
    out = build_site({"content/articles/one.md": entry("One"), "content/pages/about.md": entry("About us")})
    home = read(out / "index.html")
    assert 'href="/about/">About us</a>' in home
    assert "about/" in read(out / "sitemap.xml")
    for listing in ["articles/index.html", "archive/2017/10/index.html"]:
        assert "About us" not in main_of(read(out / listing))
    assert "About us" not in read(out / "feed.xml")


def test_listings_are_newest_first_with_slug_as_tie_breaker(build_site):
    out = build_site({
        "content/articles/b.md": entry("Bee", "2017-10-17"),
        "content/articles/a.md": entry("Ay", "2017-10-17"),
        "content/articles/c.md": entry("Sea", "2017-10-20"),
    })
    titles = re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', read(out / "articles/index.html"))
    assert titles == ["Sea", "Ay"]  # pagination: 2 per page
    assert re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', read(out / "articles/page/2/index.html")) == ["Bee"]


def test_pagination_has_no_page_one_and_links_prev_next(build_site):
    files = {f"content/articles/e{i}.md": entry(f"E{i}", f"2017-10-{10 + i}") for i in range(5)}
    out = build_site(files)
    assert not (out / "articles/page/1").exists()
    assert (out / "articles/page/3/index.html").is_file()
    assert not (out / "articles/page/4").exists()
    page2 = read(out / "articles/page/2/index.html")
    assert 'rel="prev" href="/articles/"' in page2
    assert 'rel="next" href="/articles/page/3/"' in page2
    assert 'rel="prev"' not in read(out / "articles/index.html")


def test_tags_merge_case_insensitively_and_show_the_oldest_form(build_site):
    out = build_site({
        "content/articles/new.md": entry("New", "2017-10-20", tags=["metoo"]),
        "content/articles/old.md": entry("Old", "2017-10-01", tags=["#MeToo"]),
        "content/articles/mid.md": entry("Mid", "2017-10-10", tags=["METOO", "#NOTokay"]),
    })
    assert sorted(p.name for p in (out / "tags").iterdir() if p.is_dir()) == ["metoo", "notokay"]
    index = read(out / "tags/index.html")
    assert '<a href="/tags/metoo/">MeToo</a> <span class="count">(3)</span>' in index
    assert "NOTokay" in index


def test_region_aliases_and_empty_terms(build_site):
    out = build_site({"content/articles/a.md": entry("A", regions=["USA"])})
    assert (out / "regions/us/index.html").is_file()
    assert not (out / "regions/france").exists()  # a term with no entries has no page
    assert "France" not in read(out / "regions/index.html")


def test_slug_from_file_name_is_transliterated(build_site):
    out = build_site({
        "content/articles/Élysée Palace.md": entry("E"),
        "content/articles/Москва.md": entry("M"),
        "content/articles/日本.md": entry("J"),
    })
    assert (out / "articles/elysee-palace/index.html").is_file()
    assert (out / "articles/moskva/index.html").is_file()
    assert (out / "articles/riben/index.html").is_file()


def test_explicit_slug_wins(build_site):
    out = build_site({"content/articles/file-name.md": entry("A", slug="chosen")})
    assert (out / "articles/chosen/index.html").is_file()
    assert not (out / "articles/file-name").exists()


def test_bundle_files_are_copied_beside_the_page(build_site):
    out = build_site({
        "content/articles/story/index.md": entry("Story", body="![A photo](photo.jpg)"),
        "content/articles/story/photo.jpg": b"\xff\xd8fakejpeg",
        "content/articles/story/docs/report.pdf": b"%PDF",
    })
    assert (out / "articles/story/photo.jpg").read_bytes() == b"\xff\xd8fakejpeg"
    assert (out / "articles/story/docs/report.pdf").is_file()
    assert '<img alt="A photo" src="photo.jpg">' in read(out / "articles/story/index.html")


def test_links_to_source_files_become_urls_and_keep_fragments(build_site):
    out = build_site({
        "content/articles/a.md": entry("A", body="See [the thread](../threads/t.md#part-2) and [B](b.md)."),
        "content/articles/b.md": entry("B", slug="bee"),
        "content/threads/t.md": entry("T", platform="twitter", author={"name": "X"}, posts=[{"text": "x"}],
                                      body="## Part 2\n\nA note."),
    })
    page = read(out / "articles/a/index.html")
    assert '<a href="/threads/t/#part-2">the thread</a>' in page
    assert '<a href="/articles/bee/">B</a>' in page


def test_summary_defaults_to_first_paragraph_as_text(build_site):
    out = build_site({"content/articles/a.md": entry("A", body="# Heading\n\nFirst *para*graph & more.\n\nSecond.")})
    listing = read(out / "articles/index.html")
    assert '<p class="summary">First paragraph &amp; more.</p>' in listing


def test_responds_to_is_shown_both_ways(build_site):
    out = build_site({
        "content/articles/story.md": entry("The story"),
        "content/takes/view.md": entry("A view", authors=["Jane Doe"], responds_to=["story"]),
    })
    assert 'In response to <a href="/articles/story/">The story</a>' in read(out / "takes/view/index.html")
    story = read(out / "articles/story/index.html")
    assert "Responses" in story and 'href="/takes/view/">A view</a>' in story


def test_content_warning_comes_before_the_body(build_site):
    out = build_site({"content/articles/a.md": entry("A", body="The body text.",
                                                     content_warnings=["sexual assault"])})
    page = main_of(read(out / "articles/a/index.html"))
    assert page.index("Content warning:") < page.index("The body text.")
    assert "<details class=\"cw\">" in page


def test_drafts_only_with_flag_and_never_in_feeds_or_sitemap(build_site, write_site):
    files = {"content/articles/d.md": entry("Draft entry", draft=True), "content/articles/p.md": entry("Public")}
    out = build_site(files)
    assert not (out / "articles/d").exists()
    assert "Draft entry" not in read(out / "articles/index.html")
    out = build_site(files, "--drafts")
    assert "Draft: not published" in read(out / "articles/d/index.html")
    assert "Draft entry" not in read(out / "feed.xml")
    assert "/articles/d/" not in read(out / "sitemap.xml")


def test_withdrawn_entry_serves_only_a_notice(build_site):
    out = build_site({
        "content/articles/w.md": entry("Secret title", body="A distinctive withdrawn sentence.", tags=["gone"],
                                       aliases=["/2017/10/old/"],
                                       withdrawn={"date": "2018-02-01", "reason": "Removed at the author's request."}),
        "content/articles/k.md": entry("Kept"),
    })
    notice = read(out / "articles/w/index.html")
    assert "Removed at the author&#39;s request." in notice and "noindex" in notice
    assert not (out / "tags/gone").exists()
    for path, data in tree(out).items():
        if path.endswith((".xml", ".json", ".html")):
            text = data.decode()
            assert "Secret title" not in text, path
            assert "distinctive withdrawn sentence" not in text, path
    assert "Withdrawn" in read(out / "feed.xml")  # kept in feeds as a notice


def test_alias_redirects(build_site):
    out = build_site({"content/articles/a.md": entry("A", aliases=["/2017/10/old/", "/old.html"])})
    for rel in ["2017/10/old/index.html", "old.html"]:
        page = read(out / rel)
        assert 'http-equiv="refresh" content="0; url=/articles/a/"' in page
        assert 'rel="canonical" href="https://archive.example.org/articles/a/"' in page


def test_dates_with_offsets_are_grouped_in_the_site_timezone(build_site):
    config = __import__("conftest").BASE_CONFIG.replace("timezone: UTC", "timezone: Asia/Kolkata")
    out = build_site({"content/articles/a.md": entry("A", date="2017-10-31T22:00:00+00:00")}, config=config)
    # 22:00 UTC on 31 October is 03:30 on 1 November in India.
    assert (out / "archive/2017/11/index.html").is_file()
    assert '<time datetime="2017-11-01T03:30:00+05:30">1 November 2017, 03:30 IST</time>' in read(
        out / "articles/a/index.html")


def test_base_url_with_a_path_prefixes_every_link(build_site):
    config = __import__("conftest").BASE_CONFIG.replace("https://archive.example.org/",
                                                        "https://example.org/archive/")
    out = build_site({"content/articles/a.md": entry("A", tags=["x"])}, config=config)
    home = read(out / "index.html")
    assert 'href="/archive/articles/a/"' in home and 'href="/archive/style.css"' in home
    assert not re.search(r'href="/(?!archive/)', home)
    assert "<loc>https://example.org/archive/articles/a/</loc>" in read(out / "sitemap.xml")
    assert read(out / "robots.txt").endswith("Sitemap: https://example.org/archive/sitemap.xml\n")


def test_base_url_option_overrides_config(build_site):
    out = build_site({"content/articles/a.md": entry("A")}, "--base-url", "https://other.example/")
    assert 'href="https://other.example/articles/a/"' in read(out / "articles/a/index.html")


def test_site_option_defaults_output_to_site_output(write_site, tmp_path):
    site = write_site({"content/articles/a.md": entry("A")})
    assert run("build", "--site", str(site)).code == 0
    assert (site / "output/index.html").is_file()
    assert run("build", "--site", str(site), "--out", str(tmp_path / "elsewhere")).code == 0
    assert (tmp_path / "elsewhere/articles/a/index.html").is_file()


def test_removed_entries_do_not_linger(write_site):
    site = write_site({"content/articles/a.md": entry("A"), "content/articles/b.md": entry("B")})
    assert run("build", "--site", str(site)).code == 0
    (site / "content/articles/b.md").unlink()
    assert run("build", "--site", str(site)).code == 0
    assert not (site / "output/articles/b").exists()


def test_same_input_gives_byte_identical_output(write_site, tmp_path):
    site = write_site({
        "content/articles/a.md": entry("A", tags=["x", "Y"], regions=["us", "france"]),
        "content/articles/b.md": entry("B", tags=["y"]),
        "content/takes/c.md": entry("C", authors=["Z"], responds_to=["a"]),
    })
    assert run("build", "--site", str(site), "--out", str(tmp_path / "one")).code == 0
    assert run("build", "--site", str(site), "--out", str(tmp_path / "two")).code == 0
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_failed_build_leaves_previous_output_untouched(write_site):
    site = write_site({"content/articles/a.md": entry("A")})
    assert run("build", "--site", str(site)).code == 0
    before = tree(site / "output")
    (site / "content/articles/b.md").write_text(entry("B", regions=["nowhere"]))
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert tree(site / "output") == before
    assert [p.name for p in site.iterdir() if p.name.startswith(".output")] == [".output.lock"]


def test_template_error_fails_without_touching_output(write_site):
    site = write_site({"content/articles/a.md": entry("A")})
    assert run("build", "--site", str(site)).code == 0
    before = tree(site / "output")
    (site / "layouts").mkdir()
    (site / "layouts/entry.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ entry.nope }}\n'
                                            '{% endblock %}\n')
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert result.err.startswith("layouts/entry.html:3: template error:")
    assert tree(site / "output") == before


def test_layouts_override_a_builtin_template(build_site):
    out = build_site({
        "content/articles/a.md": entry("A"),
        "layouts/404.html": '{% extends "base.html" %}{% block main %}<h1>Nothing here, friend</h1>{% endblock %}',
    })
    assert "Nothing here, friend" in read(out / "404.html")


def test_output_folder_not_built_by_chorus_is_never_replaced(write_site, tmp_path):
    site = write_site({"content/articles/a.md": entry("A")})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = run("build", "--site", str(site), "--out", str(precious))
    assert result.code == 1
    assert "was not built by Chorus" in result.err
    assert (precious / "thesis.txt").read_text() == "years of work"


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'


def test_titles_tags_and_summaries_cannot_inject_script(build_site):
    out = build_site({
        "content/articles/a.md": entry(HOSTILE, summary=HOSTILE, tags=[HOSTILE], authors=[HOSTILE],
                                       content_warnings=[HOSTILE],
                                       body=f"{HOSTILE}\n\n[click](javascript:alert(3))\n\n<a href=\"#\" onclick=\"x()\">a</a>"),
    })
    for path, data in tree(out).items():
        if path.endswith(".html"):
            assert unsafe_markup(data.decode()) == [], path


def test_check_validates_and_writes_nothing(write_site):
    site = write_site({"content/articles/a.md": entry("A")})
    result = run("check", "--site", str(site))
    assert result.code == 0 and "no errors" in result.out
    assert not (site / "output").exists() and not (site / ".chorus-cache").exists()
    (site / "content/articles/b.md").write_text(entry("B", regions=["nowhere"]))
    assert run("check", "--site", str(site)).code == 1


@pytest.mark.parametrize("args", [["build", "--site", "/no/such/folder"], ["check", "--site", "/no/such/folder"],
                                  ["frobnicate"], [], ["build", "--nope"]])
def test_bad_usage_exits_2(args):
    result = run(*args)
    assert result.code == 2
    assert "Traceback" not in result.err


def test_help_for_each_command():
    for command in ("build", "check"):
        result = run(command, "--help")
        assert result.code == 0 and "--site" in result.out


def test_internal_error_names_the_file_and_hides_the_traceback(write_site, monkeypatch):
    import generator.parallel

    def broken(source, *args):
        raise RuntimeError("boom")
    monkeypatch.setattr(generator.parallel, "read_entry", broken)
    site = write_site({"content/articles/a.md": entry("A")})
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert "internal error while building content/articles/a.md: RuntimeError: boom" in result.err
    assert "Traceback" not in result.err
    debug = run("build", "--site", str(site), "--debug")
    assert "Traceback" in debug.err


def test_python_dash_m_generator_is_the_chorus_command(write_site):
    import subprocess
    import sys
    site = write_site({"content/articles/a.md": entry("A", regions=["frnace"])})
    proc = subprocess.run([sys.executable, "-m", "generator", "check", "--site", str(site)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == ("content/articles/a.md:4: regions: 'frnace' is not a region in site.yaml "
                           "(did you mean 'france'?)\n1 error in 1 file\n")


def test_long_listings_link_a_window_of_pages(build_site):
    files = {f"content/articles/e{i:02d}.md": entry(f"E{i}", f"2017-01-{1 + i % 28:02d}") for i in range(30)}
    out = build_site(files)  # 2 per page: 15 pages
    page = read(out / "articles/page/8/index.html")
    page = page[page.index('<nav class="pagination"'):]
    numbers = re.findall(r'<a href="/articles/(?:page/(\d+)/)?"', page)
    assert [int(n or 1) for n in numbers] == [1, 6, 7, 8, 9, 10, 15]  # first, the window, last
    assert 'rel="prev" href="/articles/page/7/"' in page and 'rel="next" href="/articles/page/9/"' in page
    assert page.count("…") == 2


def test_a_skipped_heading_level_is_a_warning(write_site):
    site = write_site({"content/articles/a.md": entry("A", body="### Too deep\n\nText.")})
    result = run("build", "--site", str(site))
    assert result.code == 0
    assert ("content/articles/a.md:1: warning: a heading of level 3 follows one of level 1 (use ## for the "
            "body's first headings: the title is level 1)") in result.err
    assert run("build", "--site", str(site), "--strict").code == 1


def test_a_build_leaves_the_garbage_collector_as_it_found_it(write_site):
    """A build tunes and freezes the collector while it runs (generator/cache.py); `chorus serve` builds again and
    again in one process, which must not keep a past build's objects out of reach of the collector, whether
    that build succeeded or failed."""
    import gc
    before = gc.get_threshold()
    site = write_site({"content/articles/a.md": entry("A", body="Words, and [a link](missing.md).")})
    assert run("build", "--site", str(site)).code == 1
    assert gc.get_threshold() == before and gc.isenabled() and gc.get_freeze_count() == 0
    (site / "content/articles/a.md").write_text(entry("A", body="Words."))
    assert run("build", "--site", str(site)).code == 0
    assert gc.get_threshold() == before and gc.isenabled() and gc.get_freeze_count() == 0
