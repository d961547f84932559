"""A rebuild does work in proportion to what changed, and its output is still that of a clean build.

A source whose stat is unchanged is not read; one read again whose bytes are the same is not parsed again;
a build whose inputs are all as the last one's, into an output as it left it, renders and writes nothing;
an edit re-renders the files made from what it changed, and no other. Each shortcut is checked here against
what it could miss: a rewrite that puts the mtime back, a tampered output or spare tree, a build that was
published but whose state was not recorded, a change of the private people.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

import generator.build as build_module
import generator.parallel as parallel_module
from generator.build import build
from generator.cache import CACHE_DIR
from generator.errors import BuildFailed, Code
from generator.inputs import Stores
from generator.outputs import opendata
from generator.render import RenderContext
from generator.sources import RACY_NS, signature

from conftest import BASE_CONFIG, entry, run, tree, write_files

SITE = {
    "content/articles/a.md": entry("Alpha", "2017-10-17", body="Alpha body, see [B](b.md).", tags=["x"],
                                   regions=["us"]),
    "content/articles/b.md": entry("Beta", "2017-10-16", tags=["y"], regions=["france"], sectors=["sports"]),
    "content/takes/t.md": entry("Take", "2017-10-18", authors=["Jane"], responds_to=["a"], tags=["x"]),
    "content/threads/th.md": entry("Thread", "2017-10-15", platform="twitter",
                                   author={"name": "P", "handle": "ph", "private": True},
                                   posts=[{"n": 1, "text": "one #x"}]),
    "content/articles/d/index.md": entry("Delta", "2017-08-01", body="![p](p.jpg)"),
    "content/articles/d/p.jpg": b"jpegbytes",
    "content/pages/about.md": entry("About"),
}


@pytest.fixture
def later(monkeypatch):
    """The clock moved on by `seconds` (default: past the racy window), so that files written just now are
    judged by their stat, as they would be by a build run a little later."""
    real = time.time_ns

    def advance(seconds: float = 10.0) -> None:
        offset = int(seconds * 1e9)
        monkeypatch.setattr(time, "time_ns", lambda: real() + offset)
    return advance


@pytest.fixture
def parsed(monkeypatch):
    """The paths of the entries parsed (not taken from the cache) by builds in this process."""
    seen: list[str] = []
    original = parallel_module.read_entry

    def counting(source, raw, config, markdown):
        seen.append(source.path)
        return original(source, raw, config, markdown)
    monkeypatch.setattr(parallel_module, "read_entry", counting)
    return seen


@pytest.fixture
def rendered(monkeypatch):
    """The paths of the files rendered by builds in this process."""
    seen: list[str] = []
    original = RenderContext.render

    def counting(self, route):
        seen.append(route.path)
        return original(self, route)
    monkeypatch.setattr(RenderContext, "render", counting)
    return seen


def site_at(tmp_path: Path, files: dict | None = None, config: str = BASE_CONFIG) -> Path:
    return write_files(tmp_path / "site", {"site.yaml": config, **(files or SITE)})


def clean_tree(site: Path, tmp_path: Path, *args: str) -> dict[str, bytes]:
    """The output of a build of a copy of the site's sources alone."""
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", CACHE_DIR))
    assert run("build", "--site", str(clean), *args).code == 0
    return tree(clean / "output")


def folders(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir()}


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*")}


# ---- the stat of a source ----------------------------------------------------------------------------


def test_a_stat_is_trusted_only_when_nothing_but_a_rewrite_could_change_it(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"one")
    st = os.stat(path)
    now = max(st.st_mtime_ns, st.st_ctime_ns) + 2 * RACY_NS
    fields = list(st)
    assert signature(st, now) is not None and signature(st, now) == signature(os.stat(path), now)

    def changed(**values) -> os.stat_result:
        # os.stat_result's float times come before the *_ns fields; build one with only these changed.
        return os.stat_result(fields[:10], {**{name: getattr(st, name) for name in
                                               ("st_atime_ns", "st_mtime_ns", "st_ctime_ns")}, **values})

    # A rewrite with the same size and the mtime put back is seen by its ctime, which no program can set.
    assert signature(changed(st_ctime_ns=st.st_ctime_ns + 1), now + 1) != signature(st, now)
    # A file replaced by another (a save by rename) is seen by its inode.
    replaced = list(fields)
    replaced[1] = st.st_ino + 1
    assert signature(os.stat_result(replaced, {"st_mtime_ns": st.st_mtime_ns, "st_ctime_ns": st.st_ctime_ns}),
                     now) != signature(st, now)
    # A file changed just now, or dated in the future, may change again within its timestamps' granularity.
    assert signature(st, st.st_ctime_ns + RACY_NS // 2) is None
    assert signature(changed(st_mtime_ns=now + RACY_NS), now) is None


def test_a_source_touched_but_unchanged_is_not_parsed_again(tmp_path, later, parsed):
    site = site_at(tmp_path)
    later()
    assert run("build", "--site", str(site)).code == 0
    assert len(parsed) == 6
    parsed.clear()
    path = site / "content/articles/a.md"
    os.utime(path, ns=(time.time_ns(), time.time_ns()))  # touched: its bytes are read again, and are the same
    later(20)
    report = build(site)
    assert parsed == [] and report.cached == report.entries


def test_a_rewrite_that_puts_size_and_mtime_back_is_seen(tmp_path, later, parsed):
    site = site_at(tmp_path)
    later()
    assert run("build", "--site", str(site)).code == 0
    path = site / "content/articles/a.md"
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Alpha body", "Gamma body"), encoding="utf-8")  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size and os.stat(path).st_mtime_ns == before.st_mtime_ns
    parsed.clear()
    later(20)
    assert run("build", "--site", str(site)).code == 0
    assert parsed == ["content/articles/a.md"]
    assert "Gamma body" in (site / "output/articles/a/index.html").read_text(encoding="utf-8")
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_bundle_file_rewritten_with_its_mtime_put_back_is_copied_again(tmp_path, later):
    site = site_at(tmp_path)
    later()
    assert run("build", "--site", str(site)).code == 0
    image = site / "content/articles/d/p.jpg"
    before = os.stat(image)
    image.write_bytes(b"JPEGBYTES")  # the same size
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))
    later(20)
    assert run("build", "--site", str(site)).code == 0
    assert (site / "output/articles/d/p.jpg").read_bytes() == b"JPEGBYTES"


# ---- a build with nothing to do ----------------------------------------------------------------------


def test_a_build_without_change_renders_nothing_and_writes_nothing(tmp_path, later, rendered, parsed):
    site = site_at(tmp_path)
    later()
    assert run("build", "--site", str(site)).code == 0
    rendered.clear()
    parsed.clear()
    output, cache = snapshot(site / "output"), snapshot(site / CACHE_DIR)
    later(20)
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    assert rendered == [] and parsed == []
    assert snapshot(site / "output") == output
    assert snapshot(site / CACHE_DIR) == cache  # not even the cache is written
    assert "built 6 entries" in result.out


def test_a_build_without_change_reports_the_warnings_again(tmp_path):
    config = BASE_CONFIG + "markdown: {unsafe_html: true}\n"
    site = site_at(tmp_path, config=config)
    first = run("build", "--site", str(site))
    second = run("build", "--site", str(site))
    assert first.code == second.code == 0
    assert "unsafe_html" in first.err and second.err == first.err
    assert run("build", "--site", str(site), "--strict").code == 1


def test_options_are_inputs_too(tmp_path):
    site = site_at(tmp_path, {**SITE, "content/articles/e.md": entry("Draft", draft=True)})
    assert run("build", "--site", str(site)).code == 0
    assert run("build", "--site", str(site), "--base-url", "https://elsewhere.example/").code == 0
    assert "https://elsewhere.example/articles/a/" in (site / "output/sitemap.xml").read_text(encoding="utf-8")
    assert run("build", "--site", str(site), "--drafts").code == 0
    assert (site / "output/articles/e/index.html").is_file()
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_build_published_but_not_recorded_is_never_taken_for_the_last(tmp_path, monkeypatch):
    """Killed between the swap and the record of what it was made from: the record still names the build
    before, whose inputs may come back; the output is then the killed build's, and must be made again."""
    site = site_at(tmp_path)
    path = site / "content/articles/a.md"
    first = path.read_text(encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    path.write_text(first.replace("Alpha body", "Edited body"), encoding="utf-8")
    monkeypatch.setattr(build_module, "_record_state", lambda *args: None)
    assert run("build", "--site", str(site)).code == 0
    monkeypatch.undo()
    path.write_text(first, encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert "Alpha body" in (site / "output/articles/a/index.html").read_text(encoding="utf-8")
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_tampered_output_is_rebuilt_after_a_build_without_change(tmp_path):
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    assert run("build", "--site", str(site)).code == 0
    good = tree(site / "output")
    page = site / "output/articles/b/index.html"
    page.write_bytes(page.read_bytes().replace(b"Beta", b"Bad!"))  # in place, same size
    (site / "output/articles/stray.html").write_text("stray")
    os.chmod(site / "output/tags", 0o700)
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == good
    assert (site / "output/tags").stat().st_mode & 0o777 == (site / "output").stat().st_mode & 0o777


# ---- an edit -----------------------------------------------------------------------------------------


def test_an_edited_title_renders_its_citation_again_and_no_other(tmp_path, rendered):
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    cite_b = site / "output/articles/b/cite.json"
    inode_b = cite_b.stat().st_ino
    rendered.clear()
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("title: Alpha", "title: Alpha revised"),
                    encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert "articles/a/cite.json" in rendered and "articles/b/cite.json" not in rendered
    assert json.loads((site / "output/articles/a/cite.json").read_text(encoding="utf-8"))[0]["title"] == \
        "Alpha revised"
    assert cite_b.stat().st_ino == inode_b
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_body_edit_leaves_the_sitemap_and_timeline_alone(tmp_path, rendered):
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    rendered.clear()
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Alpha's new body"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert "articles/a/index.html" in rendered and "data/entries.csv" in rendered
    assert "sitemap.xml" not in rendered and "timeline/index.html" not in rendered
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_the_data_files_encode_only_the_edited_entry_again(tmp_path, monkeypatch):
    files = dict(SITE)
    for i in range(20):
        files[f"content/articles/n{i:02d}.md"] = entry(f"N{i}", f"2016-01-{1 + i:02d}", tags=["t"])
    site = site_at(tmp_path, files)
    assert run("build", "--site", str(site)).code == 0
    encoded: list[str] = []
    original = opendata._encoded

    def counting(ctx, one):
        encoded.append(one.path)
        return original(ctx, one)
    monkeypatch.setattr(opendata, "_encoded", counting)
    path = site / "content/articles/n05.md"
    path.write_text(entry("N5 renamed", "2016-01-06", tags=["t"]), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert encoded == ["content/articles/n05.md"]
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_template_edited_makes_again_what_is_made_with_templates_and_nothing_else(tmp_path, rendered,
                                                                                     monkeypatch):
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    encoded: list[str] = []
    original = opendata._encoded
    monkeypatch.setattr(opendata, "_encoded", lambda ctx, one: encoded.append(one.path) or original(ctx, one))
    loaded: list[str] = []
    load = Stores._load
    monkeypatch.setattr(Stores, "_load", lambda self, name: loaded.append(name) or load(self, name))
    rendered.clear()
    (site / "layouts").mkdir()
    base_html = (Path(build_module.__file__).parent / "theme/templates/base.html").read_text(encoding="utf-8")
    (site / "layouts/base.html").write_text(base_html + "<!-- edited -->\n", encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    # Every page and feed is made with a template (a feed's items are): all made again.
    assert {"articles/a/index.html", "index.html", "data/index.html", "feed.xml"} <= set(rendered)
    assert "<!-- edited -->" in (site / "output/articles/a/index.html").read_text(encoding="utf-8")
    # A citation and the open data's files and rows are made without one: none is made again.
    assert not [path for path in rendered if "/cite." in path or path.startswith("data/") and path != "data/index.html"]
    assert encoded == []
    # The data page says how many entries, posts and ids the files hold: from a part of its own, not from every
    # entry's share of the files (the store of those is not even read).
    assert "opendata-counts" in loaded and "opendata" not in loaded
    assert tree(site / "output") == clean_tree(site, tmp_path)
    # And a stylesheet replaced in layouts/ is the theme too: it is copied again.
    rendered.clear()
    (site / "layouts/style.css").write_text("body { color: black }\n", encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert "style.css" in rendered and "articles/a/cite.json" not in rendered
    assert (site / "output/style.css").read_text(encoding="utf-8") == "body { color: black }\n"
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_the_data_files_are_byte_for_byte_what_json_and_csv_make():
    rows = [{f.name: ([] if f.list else "") for f in opendata.ENTRY_FIELDS},
            {f.name: (["a", "=b; c"] if f.list else ("=1+1" if f.type == "string" else 7))
             for f in opendata.ENTRY_FIELDS} | {"summary": 'Quotes " and \\ and é, a tab\tand\nlines'}]
    items = [opendata._json_item(opendata.ENTRY_FIELDS, row) for row in rows]
    assert opendata._json_array(items) == opendata.json_bytes(opendata._json_rows(opendata.ENTRY_FIELDS, rows))
    assert opendata._json_array([]) == opendata.json_bytes([])
    assert opendata._csv_lines(opendata.ENTRY_FIELDS, rows[:1]) + opendata._csv_lines(opendata.ENTRY_FIELDS,
                                                                                      rows[1:]) == \
        opendata._csv_lines(opendata.ENTRY_FIELDS, rows)


def test_a_deleted_entry_leaves_no_file_and_no_folder(tmp_path):
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    (site / "content/articles/b.md").write_text(entry("Beta", "2017-10-16", tags=["y", "z"]), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0  # the replaced tree is kept, to start the next from
    shutil.rmtree(site / "content/articles/d")
    (site / "content/articles/b.md").unlink()
    (site / "content/articles/a.md").write_text(entry("Alpha", "2017-10-17", tags=["x"], regions=["us"]),
                                                encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == clean_tree(site, tmp_path)
    assert folders(site / "output") == folders(tmp_path / "clean/output")


def test_a_tampered_spare_tree_is_brought_back_to_the_output(tmp_path):
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Second body"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    [spare] = (site / CACHE_DIR).glob("spare-*")
    (spare / "articles/b/index.html").unlink()
    (spare / "articles/b/index.html").write_text("not the published page")
    (spare / "stray.html").write_text("stray")
    (spare / "tags/y/index.html").unlink()
    path.write_text(path.read_text(encoding="utf-8").replace("Second body", "Third body"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == clean_tree(site, tmp_path)
    assert folders(site / "output") == folders(tmp_path / "clean/output")


def test_the_first_edit_after_a_first_build_starts_from_a_spare_tree(tmp_path, monkeypatch):
    """A first build leaves a spare made of hard links to its output, so the first edit links in only what its
    spare lacks (nothing), as every later edit does, instead of linking every file of the site into new
    folders. The spare is never the output: the edit still makes its changed files as new files."""
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    [spare] = (site / CACHE_DIR).glob("spare-*")
    output = site / "output"
    assert {p.relative_to(spare) for p in spare.rglob("*")} == {p.relative_to(output) for p in output.rglob("*")}
    page = output / "articles/a/index.html"
    assert (spare / "articles/a/index.html").stat().st_ino == page.stat().st_ino
    held, inode = page.read_bytes(), page.stat().st_ino
    links = []
    real_link = os.link
    monkeypatch.setattr(os, "link", lambda *args, **kwargs: links.append(args) or real_link(*args, **kwargs))
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Second body"), encoding="utf-8")
    # One job: the spare is brought to the output in this process, where the links are counted.
    assert run("build", "--site", str(site), "--jobs", "1").code == 0
    monkeypatch.undo()
    assert len(links) < 10, f"the first edit linked {len(links)} files"
    assert page.stat().st_ino != inode and b"Second body" in page.read_bytes()
    assert tree(output) == clean_tree(site, tmp_path)
    assert b"Second body" not in held


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_edit_after_the_output_was_tampered_with_gives_the_clean_site(tmp_path, jobs):
    """The last output is judged file by file (in a process of its own with more than one job): a page edited in
    place, one removed, a stray file, a folder of another mode are all made right by an edit's build."""
    site = site_at(tmp_path)
    assert run("build", "--site", str(site), "--jobs", jobs).code == 0
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Second body"), encoding="utf-8")
    assert run("build", "--site", str(site), "--jobs", jobs).code == 0  # an edit: the spare is kept
    page = site / "output/articles/b/index.html"
    page.write_bytes(page.read_bytes().replace(b"Beta", b"Bad!"))  # in place, same size
    (site / "output/tags/y/index.html").unlink()
    (site / "output/articles/stray.html").write_text("stray")
    os.chmod(site / "output/regions", 0o700)
    path.write_text(path.read_text(encoding="utf-8").replace("Second body", "Third body"), encoding="utf-8")
    assert run("build", "--site", str(site), "--jobs", jobs).code == 0
    assert tree(site / "output") == clean_tree(site, tmp_path)
    assert folders(site / "output") == folders(tmp_path / "clean/output")
    assert (site / "output/regions").stat().st_mode & 0o777 == (site / "output").stat().st_mode & 0o777
    assert not [p for p in site.glob(".output.*") if p.name != ".output.lock"]


def test_a_build_whose_preparing_process_died_prepares_the_output_itself(tmp_path, monkeypatch):
    """The process that brings the spare tree to the output may die half-way (killed, out of memory): the build
    then starts from an empty tree and still publishes the clean site, leaving nothing behind."""
    from generator.writer import tree as tree_module
    site = site_at(tmp_path)
    assert run("build", "--site", str(site), "--jobs", "2").code == 0
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Second body"), encoding="utf-8")
    assert run("build", "--site", str(site), "--jobs", "2").code == 0
    me = os.getpid()
    bring_to = tree_module.OutputTree._bring_to

    def dying(self, inodes):
        if os.getpid() != me:
            for rel in list(inodes)[:3]:
                (self.root / rel).unlink(missing_ok=True)  # half-way
            os._exit(9)
        bring_to(self, inodes)
    monkeypatch.setattr(tree_module.OutputTree, "_bring_to", dying)
    path.write_text(path.read_text(encoding="utf-8").replace("Second body", "Third body"), encoding="utf-8")
    assert run("build", "--site", str(site), "--jobs", "2").code == 0
    monkeypatch.undo()
    assert b"Third body" in (site / "output/articles/a/index.html").read_bytes()
    assert tree(site / "output") == clean_tree(site, tmp_path)
    assert not [p for p in site.glob(".output.*") if p.name != ".output.lock"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_manifest_whose_records_cannot_be_read_gives_a_full_build(tmp_path, jobs):
    """The files' stats and their records are stored apart: stats that read well beside records that do not
    must not leave the spare's files in the new tree with nothing to account for them (a removed entry's page
    would be published again)."""
    import pickle
    site = site_at(tmp_path)
    assert run("build", "--site", str(site), "--jobs", jobs).code == 0
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Second body"), encoding="utf-8")
    assert run("build", "--site", str(site), "--jobs", jobs).code == 0
    for base in (site / CACHE_DIR).glob("manifest-*.base-*"):
        stored = pickle.loads(base.read_bytes())
        stored["rest"] = b"not a pickle"
        base.write_bytes(pickle.dumps(stored))
    shutil.rmtree(site / "content/articles/d")
    path.write_text(path.read_text(encoding="utf-8").replace("Second body", "Third body"), encoding="utf-8")
    assert run("build", "--site", str(site), "--jobs", jobs).code == 0
    assert not (site / "output/articles/d").exists()
    assert tree(site / "output") == clean_tree(site, tmp_path)
    assert folders(site / "output") == folders(tmp_path / "clean/output")


def test_a_failed_build_keeps_the_spare_tree_for_the_next(tmp_path):
    """A build that fails on an entry has already started bringing the spare to the output: the output stays
    as it was, the spare is kept, and the fixed build publishes the clean site."""
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    path = site / "content/articles/a.md"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("Alpha body", "Second body"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    published = tree(site / "output")
    path.write_text(good.replace("title: Alpha", "title: [unclosed"), encoding="utf-8")
    failed = run("build", "--site", str(site))
    assert failed.code == 1 and "content/articles/a.md" in failed.err
    assert tree(site / "output") == published
    [spare] = (site / CACHE_DIR).glob("spare-*")
    assert (spare / "articles/b/index.html").stat().st_ino == (site / "output/articles/b/index.html").stat().st_ino
    assert not [p for p in site.glob(".output.*") if p.name != ".output.lock"]
    path.write_text(good.replace("Alpha body", "Third body"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_published_file_is_never_written_in_place(tmp_path):
    """The spare's files are hard links to the published ones: a changed file is a new file."""
    site = site_at(tmp_path)
    assert run("build", "--site", str(site)).code == 0
    path = site / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha body", "Second body"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    page = site / "output/articles/a/index.html"
    held = page.read_bytes()
    inode = page.stat().st_ino
    path.write_text(path.read_text(encoding="utf-8").replace("Second body", "Third body"), encoding="utf-8")
    with open(page, "rb") as published:  # a reader that opened the page before the build
        assert run("build", "--site", str(site)).code == 0
        assert published.read() == held
    assert page.stat().st_ino != inode and b"Third body" in page.read_bytes()


# ---- the privacy check -------------------------------------------------------------------------------


def test_an_entry_that_passed_the_privacy_check_is_checked_again_when_the_people_change(tmp_path, monkeypatch):
    files = {"content/articles/a.md": entry("Alpha", source={"publisher": "zz_secret", "title": "Original"}),
             "content/articles/b.md": entry("Beta")}
    site = site_at(tmp_path, files)
    checked: list[str] = []
    from generator.privacy import Privacy
    original = Privacy.check_entry

    def counting(self, one, **kwargs):
        checked.append(one.path)
        return original(self, one, **kwargs)
    monkeypatch.setattr(Privacy, "check_entry", counting)
    assert run("build", "--site", str(site)).code == 0
    checked.clear()
    (site / "content/articles/b.md").write_text(entry("Beta edited"), encoding="utf-8")
    assert run("build", "--site", str(site)).code == 0
    assert checked == ["content/articles/b.md"]  # the entry edited, not the other
    (site / "content/threads").mkdir()
    (site / "content/threads/th.md").write_text(entry("Thread", platform="twitter",
                                                      author={"name": "Z", "handle": "zz_secret", "private": True},
                                                      posts=[{"n": 1, "text": "one"}]), encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(site)
    assert [(e.path, e.code) for e in failed.value.errors] == [("content/articles/a.md", Code.PRIVACY)]
    (site / "content/articles/a.md").write_text(entry("Alpha", source={"publisher": "Someone"}), encoding="utf-8")
    checked.clear()
    assert run("build", "--site", str(site)).code == 0
    (site / "content/articles/a.md").write_text(entry("Alpha", source={"publisher": "Someone else"}),
                                                encoding="utf-8")
    checked.clear()
    assert run("build", "--site", str(site)).code == 0
    assert checked == ["content/articles/a.md"]  # the others passed under the same people
