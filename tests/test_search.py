"""The search index: each entry's own text, in shards that an edit rebuilds one at a time.

What the browser finds in it (a merged, sharded index included) is tested in test_judges.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, assembled_site, entry, run, tree, write_files
from generator import search
from generator.build import build
from generator.views import Views

PRIVATE = {"name": "Sam R.", "handle": "@samr_private", "private": True}


def archive(root: Path, count: int = 12) -> Path:
    files = {"site.yaml": BASE_CONFIG + "search: true\n"}
    for i in range(count):
        files[f"content/articles/a{i:02d}.md"] = entry(f"Article {i}", f"2017-10-{1 + i % 28:02d}",
                                                      body=f"Words of article number{i}, about harassment.",
                                                      regions=["us"], sectors=["sports"])
    files["content/threads/t.md"] = entry(
        "A thread", "2017-10-20", platform="twitter", author=PRIVATE,
        posts=[{"n": 1, "text": "It happened to me too, @samr_private knows. #MeToo"},
               {"n": 2, "text": "Second post, quietly.", "media": [{"src": "https://x.example/i.jpg",
                                                                   "alt": "a photo of a badge"}]}])
    files["content/articles/embeds.md"] = entry(
        "Embeds", "2017-10-21",
        body="Before.\n\n```post\nplatform: twitter\nauthor: {name: Ann, handle: '@ann'}\n"
             "url: https://twitter.com/ann/status/1\ndate: 2017-10-16\ntext: An embedded post, uniqueword.\n```\n\n"
             "```thread\nt\n```\n\nAfter.")
    files["content/articles/draft.md"] = entry("A draft", "2017-10-22", body="draftword", draft=True)
    files["content/articles/gone.md"] = entry("Gone", "2017-10-23", body="goneword",
                                              withdrawn={"date": "2018-01-01", "reason": "At a person's request."})
    files["content/pages/about.md"] = entry("About", "2017-10-01", body="pageword")
    return write_files(root, files)


def assembled(site_dir: Path):
    """The site as assembled for rendering, and its views."""
    site = assembled_site(site_dir)
    return site, Views(site, record=lambda *key: None)


def test_a_record_is_the_entry_text_a_visitor_reads(tmp_path):
    site, views = assembled(archive(tmp_path / "site"))
    records = {r.url: r for r in (search.record(views, e) for e in search.searchable(site))}
    embeds = records["/articles/embeds/"]
    # The body, the embedded post, and the embedded thread's posts as its page shows them.
    for words in ("Before.", "After.", "An embedded post, uniqueword.", "Second post, quietly.", "a photo of a badge"):
        assert words in embeds.content
    thread = records["/threads/t/"]
    assert "samr_private" not in thread.content and "Sam R." in thread.content
    assert dict(thread.meta) == {"title": "A thread", "date": "20 October 2017", "kind": "thread", "year": "2017",
                                 "regions": "", "sectors": ""}
    assert dict(records["/articles/a01/"].meta)["regions"] == "us"
    # Markup is gone: excerpts read as prose, from the entry's own words (the result shows the title above).
    assert all("<" not in r.content for r in records.values())
    article = records["/articles/a01/"]
    assert article.content.startswith("Words of article number1") and article.content.endswith("Article 1")


def test_drafts_withdrawn_entries_and_pages_are_never_indexed(tmp_path):
    site_dir = archive(tmp_path / "site")
    assert run("build", "--site", str(site_dir), "--drafts").code == 0
    site, _ = assembled(site_dir)
    urls = {site.urls[e.path] for e in search.searchable(site)}
    assert not urls & {"articles/draft/", "articles/gone/", "about/"}
    index = b"".join(data for rel, data in tree(site_dir / "output").items() if rel.startswith("pagefind/"))
    assert b"/articles/gone/" not in index  # (fragments are gzip: the gate's scan reads them; see test_promises)


@pytest.mark.parametrize("entries, shards", [(0, 1), (1, 1), (250, 1), (251, 2), (500, 2), (501, 4), (1000, 4),
                                             (4000, 4), (4001, 8), (8001, 16), (10_000, 16), (50_000, 64)])
def test_shards_double_as_the_archive_grows(entries, shards):
    """Up to a thousand entries a shard; in a small archive, up to four shards of 250, so that an edit there
    re-indexes a quarter of it."""
    assert search.shard_count(entries) == shards
    assert entries <= shards * search.SHARD_SIZE
    if shards < search.SMALL_SHARDS:
        assert entries <= shards * search.SMALL_SHARD_SIZE


def shard_files(output: Path) -> dict[str, dict[str, int]]:
    """Each shard's files, with their inodes (a file kept from the last build keeps its inode)."""
    found: dict[str, dict[str, int]] = {}
    for path in sorted((output / "pagefind").rglob("*")):
        if path.is_file():
            shard = path.relative_to(output / "pagefind").parts[0]
            found.setdefault(shard, {})[str(path.relative_to(output))] = path.stat().st_ino
    return found


def test_an_edit_reindexes_only_the_shard_of_the_entry_and_equals_a_clean_build(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    build(site_dir)
    before = shard_files(site_dir / "output")
    assert sorted(before) == ["0", "1", "2", "3"]
    edited = "content/articles/a03.md"
    (site_dir / edited).write_text(entry("Article 3", "2017-10-04", body="Rewritten: newword.", regions=["us"],
                                         sectors=["sports"]))
    build(site_dir)
    after = shard_files(site_dir / "output")
    site, _ = assembled(site_dir)
    [shard] = [s.name for s in search.shards(site, "") if any(e.path.endswith("a03.md") for e in s.entries)]
    for name in before:
        if name == shard:
            assert after[name] != before[name]
        else:
            assert after[name] == before[name], f"shard {name} was rebuilt for an edit in shard {shard}"
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")


def test_an_edit_makes_the_search_record_of_its_entry_alone(tmp_path, monkeypatch):
    """Each shard's records are kept between builds: an edit makes its entry's record again, not its shard's
    (whichever process indexes: the records made are logged to a file, which a forked process also writes)."""
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    log = tmp_path / "made.log"
    real = search.record

    def logged(views, entry):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(entry.path + "\n")
        return real(views, entry)
    monkeypatch.setattr(search, "record", logged)
    site_dir = archive(tmp_path / "site")
    build(site_dir, jobs=2)
    site, _ = assembled(site_dir)
    assert sorted(log.read_text(encoding="utf-8").split()) == sorted(e.path for e in search.searchable(site))
    log.unlink()
    edited = "content/articles/a03.md"
    (site_dir / edited).write_text(entry("Article 3", "2017-10-04", body="Rewritten: newword.", regions=["us"],
                                         sectors=["sports"]))
    build(site_dir, jobs=2)
    assert log.read_text(encoding="utf-8").split() == [edited]
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")


@pytest.mark.parametrize("damage", ["garbage", "another key"])
def test_kept_search_records_that_cannot_be_used_are_made_again(tmp_path, monkeypatch, damage):
    """A shard's kept records that cannot be read, or were made under other code, site.yaml or private people,
    are made again: the index is a clean build's."""
    import pickle
    from generator.cache import CACHE_DIR, SCHEMA
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    build(site_dir, jobs=2)
    kept = sorted((site_dir / CACHE_DIR).glob(f"{search.RECORDS_PREFIX}*.pickle"))
    assert [path.name for path in kept] == [f"{search.RECORDS_PREFIX}{n}.pickle" for n in range(4)]
    for path in kept:
        if damage == "garbage":
            path.write_bytes(b"not a pickle")
        else:
            stored = pickle.loads(path.read_bytes())
            records = {made_of: search.Record(found.url, found.language, "wrong text", found.meta, found.sort)
                       for made_of, found in stored["records"]["records"].items()}
            path.write_bytes(pickle.dumps({"schema": SCHEMA, "records": {"key": "another", "records": records}}))
    (site_dir / "content/articles/a03.md").write_text(entry("Article 3", "2017-10-04", body="Rewritten: newword.",
                                                            regions=["us"], sectors=["sports"]))
    build(site_dir, jobs=2)
    (site_dir / "content/articles/a03.md").write_text(entry("Article 3", "2017-10-04", body="Again: otherword.",
                                                            regions=["us"], sectors=["sports"]))
    build(site_dir, jobs=2)
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")


def _started(monkeypatch) -> list[list[str]]:
    """The shards each background indexing process of the builds that follow was started with."""
    started: list[list[str]] = []
    real = search._Background.__init__

    def recorded(self, views, stale, *args, **kwargs):
        started.append([shard.name for shard in stale])
        real(self, views, stale, *args, **kwargs)
    monkeypatch.setattr(search._Background, "__init__", recorded)
    return started


def test_the_edited_shard_is_indexed_from_the_guess_before_the_write_stage_is_made(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    build(site_dir, jobs=2)
    started = _started(monkeypatch)
    confirmed = []
    real_confirm = search.Indexing.confirm
    monkeypatch.setattr(search.Indexing, "confirm",
                        lambda self, stage: (confirmed.append(len(started)), real_confirm(self, stage))[1])
    (site_dir / "content/articles/a03.md").write_text(entry("Article 3", "2017-10-04", body="Rewritten.",
                                                            regions=["us"], sectors=["sports"]))
    build(site_dir, jobs=2)
    site, _ = assembled(site_dir)
    [shard] = [s.name for s in search.shards(site, "") if any(e.path.endswith("a03.md") for e in s.entries)]
    assert started == [[shard]] and confirmed == [1], "the edited shard was not indexed from the guess, once"


def test_the_indexing_process_ends_once_it_has_indexed_not_when_the_build_collects_its_files(tmp_path, monkeypatch):
    """Its shard's files (more than a pipe holds) are taken as soon as they are sent: the process, and the copy
    of the build's memory it holds, does not wait for the render to end."""
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    build(site_dir, jobs=2)
    ended_before_collected = []
    real_results = search._Background.results

    def collected(self):
        self.process.join(timeout=30)  # the render would still be going on here, in a large archive
        ended_before_collected.append(self.process.exitcode)
        return real_results(self)
    monkeypatch.setattr(search._Background, "results", collected)
    words = " ".join(hashlib.sha256(str(i).encode()).hexdigest()[:12] for i in range(40_000))  # 500 kB indexed
    (site_dir / "content/articles/a03.md").write_text(entry("Article 3", "2017-10-04", body=words,
                                                            regions=["us"], sectors=["sports"]))
    build(site_dir, jobs=2)
    assert ended_before_collected == [0]
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")


@pytest.mark.parametrize("wrong", ["a shard's files changed on disk", "the recorded fingerprints"])
def test_a_wrong_guess_of_the_stale_shards_is_corrected_and_equals_a_clean_build(tmp_path, monkeypatch, wrong):
    """The guess (the shards the last build recorded) is judged by the last output's files: when they disagree
    (a shard's files were changed by hand, a state from elsewhere), the shards the files say are stale are
    indexed, and the output is a clean build's."""
    from generator.cache import load_state, save_state, state_path
    from dataclasses import replace as replaced
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    build(site_dir, jobs=2)
    site, _ = assembled(site_dir)
    shard_of = {e.path: s.name for s in search.shards(site, "") for e in s.entries}
    edited = "content/articles/a03.md"
    other = next(path for path, name in sorted(shard_of.items()) if name != shard_of[edited])
    if wrong == "the recorded fingerprints":
        path = state_path(site_dir, site_dir / "output")
        state = load_state(path)
        save_state(path, replaced(state, search=tuple((name, "stale") for name, _ in state.search)))
    else:
        for found in (site_dir / "output/pagefind" / shard_of[other]).rglob("*.pf_fragment"):
            found.unlink()
            found.write_bytes(b"changed by hand")
            break
    started = _started(monkeypatch)
    (site_dir / edited).write_text(entry("Article 3", "2017-10-04", body="Rewritten: newword.", regions=["us"],
                                         sectors=["sports"]))
    build(site_dir, jobs=2)
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")
    assert sorted([shard_of[edited], shard_of[other]]) in [sorted(names) for names in started] or \
        wrong == "the recorded fingerprints" and started == [[shard_of[edited]]]
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")


def test_only_the_first_shard_carries_pagefinds_scripts_and_language_modules(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    build(site_dir)
    files = shard_files(site_dir / "output")
    first = {Path(rel).name for rel in files["0"]}
    assert {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind", "pagefind-entry.json"} <= first
    assert not any(name.startswith("pagefind-ui") or name.startswith("pagefind-component") for name in first)
    for name in ("1", "2", "3"):
        names = {Path(rel).name for rel in files[name]}
        assert "pagefind-entry.json" in names and not {"pagefind.js", "wasm.en.pagefind"} & names
    page = (site_dir / "output/search/index.html").read_text()
    assert 'data-shards="/pagefind/0/ /pagefind/1/ /pagefind/2/ /pagefind/3/"' in page
    entry_json = json.loads((site_dir / "output/pagefind/1/pagefind-entry.json").read_bytes())
    assert list(entry_json["languages"]) == sorted(entry_json["languages"])


def test_an_archive_with_nothing_to_search_still_has_a_working_index(tmp_path):
    site_dir = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG + "search: true\n",
                                               "content/pages/about.md": entry("About", body="Hello.")})
    assert run("build", "--site", str(site_dir)).code == 0
    assert json.loads((site_dir / "output/pagefind/0/pagefind-entry.json").read_bytes())["languages"] == {}
    assert (site_dir / "output/pagefind/0/pagefind.js").is_file()


def test_a_new_base_url_reindexes_every_shard(tmp_path):
    """The records hold the entries' URLs: a build with --base-url elsewhere must not keep the old index."""
    import gzip
    site_dir = archive(tmp_path / "site")
    assert run("build", "--site", str(site_dir)).code == 0
    assert run("build", "--site", str(site_dir), "--base-url", "https://example.org/sub/").code == 0
    fragments = [gzip.decompress(p.read_bytes()) for p in (site_dir / "output/pagefind").rglob("*.pf_fragment")]
    assert fragments and all(b'"/sub/' in data for data in fragments)


def test_new_code_that_changes_records_and_no_page_reindexes_once(tmp_path, monkeypatch):
    """An upgrade whose pages come out the same must still bring the index up to date, in that build; the
    builds after it then index nothing again."""
    import gzip
    from dataclasses import replace as replaced
    from generator import build as build_module
    site_dir = archive(tmp_path / "site")
    build(site_dir)
    original = search.record
    monkeypatch.setattr(build_module, "code_digest", lambda: "the next version's code")
    monkeypatch.setattr(search, "record", lambda views, e: replaced(original(views, e),
                                                                     content=original(views, e).content + " upgradeword"))
    build(site_dir)
    fragments = [gzip.decompress(p.read_bytes()) for p in (site_dir / "output/pagefind").rglob("*.pf_fragment")]
    assert fragments and all(b"upgradeword" in data for data in fragments)
    stale = []
    real_confirm = search.Indexing.confirm

    def counted(self, *args, **kwargs):
        real_confirm(self, *args, **kwargs)
        stale.append(len(self.stale))
    monkeypatch.setattr(search.Indexing, "confirm", counted)
    (site_dir / "content/articles/a01.md").write_text(entry("Article 1", "2017-10-02", body="Edited.",
                                                            regions=["us"], sectors=["sports"]))
    build(site_dir)
    assert stale == [1], "the build after the upgrade re-indexed more than the edited entry's shard"


def test_a_first_build_indexes_before_it_renders_and_an_edit_while_it_renders(tmp_path, monkeypatch):
    """Indexed whole, the archive is indexed while the build holds little more than the site: Pagefind's
    processes are never run beside the render's results (a first build's largest moment for memory). An edit's
    few shards are indexed by a forked process while the pages render."""
    import generator.build as build_module
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    site_dir = archive(tmp_path / "site")
    events: list[str] = []
    real_indexed, real_render = search._indexed, build_module._render
    monkeypatch.setattr(search, "_indexed", lambda *args, **kwargs: (events.append("index"),
                                                                     real_indexed(*args, **kwargs))[1])
    monkeypatch.setattr(build_module, "_render", lambda *args: (events.append("render"), real_render(*args))[1])
    started = _started(monkeypatch)
    build(site_dir, jobs=2)
    assert events == ["index", "render"] and started == []
    events.clear()
    (site_dir / "content/articles/a03.md").write_text(entry("Article 3", "2017-10-04", body="Rewritten.",
                                                            regions=["us"], sectors=["sports"]))
    build(site_dir, jobs=2)
    assert events == ["render"] and len(started) == 1  # the forked process's own call is not seen here
    build(site_dir, tmp_path / "clean", use_cache=False)
    assert tree(site_dir / "output") == tree(tmp_path / "clean")
