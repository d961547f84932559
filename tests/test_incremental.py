"""The cache and the process pool never change what is built: incremental == clean, any --jobs."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import BASE_CONFIG, entry, run, tree, write_files

SITE = {
    "content/articles/a.md": entry("Alpha", "2017-10-17", body="Alpha body, see [B](b.md).", tags=["x", "y"],
                                   regions=["us"], sectors=["sports"]),
    "content/articles/b.md": entry("Beta", "2017-10-16", tags=["y"], regions=["france"], sectors=["sports"]),
    "content/articles/c.md": entry("Gamma", "2017-09-01", tags=["z"], regions=["us"]),
    "content/takes/t.md": entry("Take", "2017-10-18", authors=["Jane"], responds_to=["a"], tags=["x"]),
    "content/threads/th.md": entry("Thread", "2017-10-15", platform="twitter",
                                   author={"name": "P", "handle": "ph", "private": True},
                                   posts=[{"n": 1, "text": "one #x"}]),
    "content/articles/d/index.md": entry("Delta", "2017-08-01", body="![p](p.jpg)\n\n```thread\nth\n```"),
    "content/articles/d/p.jpg": b"jpegbytes",
    "content/pages/about.md": entry("About"),
}


def edit_body(site):
    (site / "content/articles/c.md").write_text(entry("Gamma", "2017-09-01", body="New body.", tags=["z"],
                                                      regions=["us"]))


def edit_tags(site):
    (site / "content/articles/b.md").write_text(entry("Beta", "2017-10-16", tags=["y", "new-tag"],
                                                      regions=["france"], sectors=["sports"]))


def edit_region(site):
    (site / "content/articles/c.md").write_text(entry("Gamma", "2017-09-01", tags=["z"], regions=["france"]))


def withdraw(site):
    (site / "content/articles/b.md").write_text(entry("Beta", "2017-10-16", tags=["y"], regions=["france"],
                                                      withdrawn={"date": "2018-01-01", "reason": "Asked."}))


def delete(site):
    (site / "content/articles/a.md").unlink()
    (site / "content/takes/t.md").write_text(entry("Take", "2017-10-18", authors=["Jane"], tags=["x"]))


def edit_template(site):
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/404.html").write_text('{% extends "base.html" %}{% block main %}<h1>Lost</h1>{% endblock %}')


def edit_config(site):
    (site / "site.yaml").write_text(BASE_CONFIG.replace("Test archive", "Renamed archive"))


def edit_bundle_file(site):
    (site / "content/articles/d/p.jpg").write_bytes(b"other jpeg bytes")


def edit_thread(site):
    (site / "content/threads/th.md").write_text(entry("Thread", "2017-10-15", platform="twitter",
                                                      author={"name": "P", "handle": "ph", "private": True},
                                                      posts=[{"n": 1, "text": "one changed #x"}]))


@pytest.mark.parametrize("edit", [edit_body, edit_tags, edit_region, withdraw, delete, edit_template, edit_config,
                                  edit_bundle_file, edit_thread])
def test_incremental_build_equals_clean_build(tmp_path, edit):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    edit(site)
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", ".chorus-cache"))
    assert run("build", "--site", str(clean)).code == 0
    assert tree(site / "output") == tree(clean / "output")


def test_second_build_writes_nothing(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "output").rglob("*")}
    result = run("build", "--site", str(site))
    assert result.code == 0 and " 0 files (0.0 MB)" in result.out
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "output").rglob("*")}
    assert before == after
    assert (site / "output").stat().st_ino == os.stat(site / "output").st_ino


def test_one_edit_writes_only_the_files_it_changes(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    edit_body(site)
    result = run("build", "--site", str(site))
    written = int(result.out.split(" files (")[0].rsplit(" ", 1)[1])
    # its page, the listings and feeds that show it, the data files and the search index: not the whole site
    assert 0 < written < 45, result.out


def test_output_is_the_same_whatever_the_number_of_jobs(tmp_path):
    files = dict(SITE)
    for i in range(150):  # enough routes for the pool to be used
        files[f"content/articles/n{i:03d}.md"] = entry(f"N{i}", f"2016-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                                       tags=[f"t{i % 7}"], regions=["us"])
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **files})
    assert run("build", "--site", str(site), "--jobs", "1", "--out", str(tmp_path / "one")).code == 0
    shutil.rmtree(site / ".chorus-cache")
    assert run("build", "--site", str(site), "--jobs", "2", "--out", str(tmp_path / "two")).code == 0
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_corrupt_cache_is_rebuilt_not_trusted(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    good = tree(site / "output")
    for path in (site / ".chorus-cache").iterdir():
        path.write_bytes(b"garbage" * 100)
    shutil.rmtree(site / "output")
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    assert tree(site / "output") == good


def test_a_hand_edited_output_file_is_rewritten(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    good = tree(site / "output")
    (site / "output/articles/a/index.html").write_text("vandalised")
    (site / "output/stray.html").write_text("stray")
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == good


def test_an_edit_after_a_no_change_build_keeps_the_unchanged_search_index(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG + "search: true\n", **SITE})
    assert run("build", "--site", str(site)).code == 0
    assert run("build", "--site", str(site)).code == 0  # no change
    index = {p: p.stat().st_ino for p in (site / "output/pagefind").rglob("*") if p.is_file()}
    edit_body(site)
    assert run("build", "--site", str(site)).code == 0
    kept = [p for p, inode in index.items() if p.exists() and p.stat().st_ino == inode]
    assert len(kept) > len(index) / 2  # the index's unchanged files are the old files, not copies
