"""Assembly (generator/site.py) and the route checks (generator/routes.py): what each term lists and shows, and
errors that each occurrence of a cause gets, however the work is shared between entries and links."""

from __future__ import annotations

import re

from conftest import entry, read, run

WITHDRAWAL = {"date": "2018-02-01", "reason": "Removed at the editor's request."}


def error_places(err: str) -> list[str]:
    """path:line of each error reported."""
    return re.findall(r"^(content/\S+?:\d+):", err, re.M)


def test_a_tag_is_shown_as_the_oldest_listed_entry_first_wrote_it(build_site):
    out = build_site({
        "content/articles/new.md": entry("New", "2017-10-20", tags=["metoo"]),
        "content/articles/old.md": entry("Old", "2017-10-02", tags=["#MeToo", "METOO"]),
        # Older still, but withdrawn: no longer listed, so its form is not shown.
        "content/articles/gone.md": entry("Gone", "2017-10-01", tags=["meTOO"], withdrawn=WITHDRAWAL),
    })
    assert '<a href="/tags/metoo/">MeToo</a> <span class="count">(2)</span>' in read(out / "tags/index.html")


def test_an_entry_naming_a_term_twice_is_listed_once(build_site):
    out = build_site({"content/articles/a.md": entry("A", regions=["us", "USA"], sectors=["sports", "sports"],
                                                     tags=["MeToo", "metoo"])})
    for page in ("regions/us/", "sectors/sports/", "regions/us/sectors/sports/", "tags/metoo/"):
        assert read(out / page / "index.html").count('href="/articles/a/"') == 1, page
    assert '<span class="count">(1)</span>' in read(out / "regions/index.html")


def test_each_region_and_sector_pair_lists_its_entries_newest_first(build_site):
    out = build_site({
        "content/articles/a.md": entry("A", "2017-10-01", regions=["us"], sectors=["sports", "workplace"]),
        "content/articles/b.md": entry("B", "2017-10-03", regions=["us", "france"], sectors=["workplace"]),
        "content/articles/c.md": entry("C", "2017-10-02", regions=["france"], sectors=["sports"]),
    })
    page = read(out / "regions/us/sectors/workplace/index.html")
    assert page.index('href="/articles/b/"') < page.index('href="/articles/a/"')
    assert 'href="/articles/c/"' not in page
    page = read(out / "regions/france/sectors/workplace/index.html")
    assert 'href="/articles/b/"' in page and 'href="/articles/c/"' not in page
    assert not (out / "regions/us/sectors/sports/page/2").exists()  # one entry: A


def test_a_broken_link_to_the_site_is_reported_wherever_it_is_written(write_site):
    """The same URL written in several entries, and twice in one: each place is an error of its own."""
    url = "https://archive.example.org/articles/nope/"
    site = write_site({
        "content/articles/a.md": entry("A", body=f"[x]({url})\n\n[y]({url})"),
        "content/articles/b.md": entry("B", body=f"[x]({url})"),
        "content/articles/c.md": entry("C", body="[x](https://elsewhere.example.org/articles/nope/)"),
    })
    result = run("check", "--site", str(site))
    assert result.code == 1
    assert error_places(result.err) == ["content/articles/a.md:5", "content/articles/a.md:7",
                                        "content/articles/b.md:5"]


def test_an_alias_inside_a_page_file_a_few_folders_down_is_reported(write_site):
    site = write_site({
        "content/articles/a.md": entry("A"),
        "content/articles/b.md": entry("B", aliases=["/articles/a/index.html/old/"]),
    })
    result = run("check", "--site", str(site))
    assert result.code == 1
    assert ("/articles/a/index.html/old/ cannot be built: /articles/a/index.html is a file, made by "
            "content/articles/a.md") in result.err
    assert error_places(result.err) == ["content/articles/b.md:4"]
