"""Feed items are kept between builds (generator/feeditems.py): after an edit, the feeds that carry the edited
entry come out as a clean build makes them, and only the items whose inputs changed are made again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, entry, run, tree, write_files
from generator import feeditems
from generator.inputs import Stores

TAGGED = {f"content/articles/e{i}.md": entry(f"Entry {i}", f"2017-10-{10 + i:02d}", body=f"Body {i}.",
                                             tags=["Survivors" if i == 0 else "survivors"] if i % 2 == 0 else ["work"],
                                             regions=["us"])
          for i in range(6)}
"""Six entries: the even ones tagged `survivors` (its title as the oldest, e0, writes it), the odd ones `work`."""


def made_by_build(site: Path, monkeypatch, *args: str) -> list[str]:
    """Build the site in this process; returns the entries whose feed items the build made."""
    made = []
    make_item = feeditems.make_item

    def counted(ctx, entry, view=None):
        made.append(entry.path.rsplit("/", 1)[-1])
        return make_item(ctx, entry, view)

    with monkeypatch.context() as patched:
        patched.setattr(feeditems, "make_item", counted)
        result = run("build", "--site", str(site), "--jobs", "1", *args)
    assert result.code == 0, result.err
    return sorted(made)


def clean_build(site: Path, tmp_path: Path) -> dict[str, bytes]:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", ".chorus-cache"))
    assert run("build", "--site", str(clean)).code == 0
    return tree(clean / "output")


def feeds(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path.endswith(("feed.xml", "atom.xml", "feed.json"))}


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **TAGGED})
    assert len(made_by_build(site, monkeypatch)) == 6
    return site


def test_an_edit_remakes_the_edited_entry_s_items_only(site, tmp_path, monkeypatch):
    before = feeds(tree(site / "output"))
    (site / "content/articles/e3.md").write_text(entry("Entry 3", "2017-10-13", body="A new body.", tags=["work"],
                                                       regions=["us"]))
    assert made_by_build(site, monkeypatch) == ["e3.md"]
    after = tree(site / "output")
    assert after == clean_build(site, tmp_path)
    changed = {path for path, data in feeds(after).items() if before.get(path) != data}
    assert "feed.xml" in changed and "tags/work/feed.json" in changed  # the feeds that carry it were remade...
    assert b"A new body." in after["tags/work/atom.xml"]
    assert not any(path.startswith("tags/survivors/") for path in changed)  # ...and only those


def test_a_tag_title_change_remakes_the_items_that_show_it(site, tmp_path, monkeypatch):
    """An entry's items show its tags' titles, which other entries write: e2 and e4 are made again when e0,
    the oldest, writes the tag otherwise, though their own files did not change."""
    (site / "content/articles/e0.md").write_text(TAGGED["content/articles/e0.md"].replace("Survivors", "SURVIVORS"))
    assert made_by_build(site, monkeypatch) == ["e0.md", "e2.md", "e4.md"]
    after = tree(site / "output")
    assert after == clean_build(site, tmp_path)
    assert b"<category>SURVIVORS</category>" in after["tags/survivors/feed.xml"]
    assert b"Survivors" not in after["feed.xml"]


def test_a_template_change_remakes_every_item(site, tmp_path, monkeypatch):
    (site / "layouts").mkdir()
    (site / "layouts/feed_content.html").write_text("<p>{{ entry.title }} in full</p>\n")
    assert len(made_by_build(site, monkeypatch)) == 6
    assert tree(site / "output") == clean_build(site, tmp_path)


@pytest.mark.parametrize("damage", ["index", "cut short", "altered", "lost"])
def test_lost_or_damaged_kept_items_are_made_again(site, tmp_path, monkeypatch, damage):
    cache = site / ".chorus-cache"
    if damage == "index":
        (cache / f"parts-{feeditems.KEPT}.pickle").write_bytes(b"not a pickle")
    for file in cache.glob(f"{feeditems.FILE_PREFIX}*"):
        if damage == "cut short":
            file.write_bytes(file.read_bytes()[:10])
        elif damage == "altered":
            file.write_bytes(file.read_bytes().replace(b"Body", b"Bodi"))
        elif damage == "lost":
            file.unlink()
    # The newest entry edited: the site's feed, which carries every entry, is made again.
    (site / "content/articles/e5.md").write_text(entry("Entry 5", "2017-10-15", body="Edited.", tags=["work"],
                                                       regions=["us"]))
    assert made_by_build(site, monkeypatch) == [f"e{i}.md" for i in range(6)]
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_items_no_feed_carries_are_forgotten_and_their_files_removed(site, monkeypatch):
    cache = site / ".chorus-cache"
    monkeypatch.setattr(feeditems, "MAX_FILES", 2)
    for n in range(4):  # each edit adds a file of its own; the emptied and the small ones are folded together
        (site / "content/articles/e1.md").write_text(entry("Entry 1", "2017-10-11", body=f"Edit {n}.",
                                                           tags=["work"], regions=["us"]))
        assert made_by_build(site, monkeypatch) == ["e1.md"]
    (site / "content/articles/e1.md").unlink()
    made_by_build(site, monkeypatch)
    index = dict(Stores(cache).open(feeditems.KEPT).items())
    assert sorted(path.rsplit("/", 1)[-1] for path in index) == ["e0.md", "e2.md", "e3.md", "e4.md", "e5.md"]
    files = {file.name: file.stat().st_size for file in cache.glob(f"{feeditems.FILE_PREFIX}*")}
    named = {location[0] for _, location in index.values()}
    assert set(files) == named and len(files) <= 2 + 1
    live = sum(sum(location[2]) for _, location in index.values())
    assert sum(files.values()) <= 2 * live


def test_items_made_by_workers_are_kept_for_the_next_build(tmp_path, monkeypatch):
    from test_output import four_languages

    site = four_languages(tmp_path / "site", search=False)
    assert run("build", "--site", str(site), "--jobs", "2").code == 0
    (site / "content/articles/mixed.md").write_text(entry("Mixed", "2017-10-17", body="Edited."))
    assert made_by_build(site, monkeypatch) == ["mixed.md"]
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_a_build_without_the_cache_neither_reads_nor_keeps_items(site, tmp_path, monkeypatch):
    from generator.build import build

    index = site / ".chorus-cache" / f"parts-{feeditems.KEPT}.pickle"
    before = index.read_bytes()
    made = []
    make_item = feeditems.make_item
    monkeypatch.setattr(feeditems, "make_item", lambda ctx, e, view=None: made.append(e.path) or make_item(ctx, e, view))
    build(site, tmp_path / "uncached", jobs=1, use_cache=False)
    assert len(made) == 6 and index.read_bytes() == before
