"""The entry cache (generator/cache.py) gives back the very entries it was given, and a row it cannot read
costs a rebuild of the cache, never a wrong site.

Every build takes all its unchanged entries out of the cache, so its rows are pickled compactly
(cache.RowFormat); these tests hold that format to the entries of the demo archive, which has every
kind of entry, embeds, private people and warnings.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, entry, write_files
from generator.build import build
from generator.cache import CACHE_DIR, SCHEMA, EntryCache, RowFormat
from generator.config import load_config
from generator.entries import Entry, read_entry
from generator.errors import Code, SourceError
from generator.markup import MarkdownRenderer
from generator.sources import discover

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_results() -> dict[str, tuple]:
    """The demo archive's read results (entry, errors), by a key per source."""
    config, errors = load_config(REPO)
    assert config is not None, errors
    sources, errors = discover(REPO)
    assert sources and not errors
    markdown = MarkdownRenderer(unsafe_html=config.markdown.unsafe_html)
    return {f"key-{index}": read_entry(source, (REPO / source.path).read_bytes(), config, markdown)
            for index, source in enumerate(sources)}


def cache_with(site: Path, results: dict[str, tuple]) -> EntryCache:
    cache = EntryCache(site)
    cache.put_many(list(results.items()))
    cache.close()
    return EntryCache(site)  # as the next build opens it


def test_entries_come_back_from_the_cache_equal_with_their_bodies(tmp_path, demo_results):
    first = demo_results["key-0"][0]
    warning = SourceError(first.path, 1, "warning: a heading of level 3 follows one of level 1", "use ##",
                          code=Code.WARNING)
    error = SourceError(first.path, 2, "a YAML syntax error", "", code=Code.SYNTAX, excerpt=("title: [", "       ^"))
    results = {**demo_results, "warned": (replace(first, warnings=(warning,)), []), "failed": (None, [error])}
    found = cache_with(tmp_path, results).get_many(list(results))
    assert found == results
    assert found["warned"][0].warnings[0].code is Code.WARNING  # not compared by ==
    assert found["failed"][1][0].code is Code.SYNTAX and found["failed"][1][0].excerpt == error.excerpt
    kinds = {entry.kind for entry, _ in found.values() if entry is not None}
    assert kinds == {"article", "take", "thread", "page"}
    assert any(entry.embeds for entry, _ in found.values() if entry is not None)
    for key, (entry, _) in found.items():
        if entry is not None:
            assert entry.body_html == results[key][0].body_html  # read back from the build's body file


def test_only_the_entries_asked_for_are_taken(tmp_path, demo_results):
    # A few keys are looked up one by one; most of the table is read through (with rows of other keys in it).
    cache = cache_with(tmp_path, demo_results)
    assert cache.get_many(["key-1", "key-3", "missing"]) == {key: demo_results[key] for key in ("key-1", "key-3")}
    most = [key for key in demo_results if key != "key-2"] + ["missing"]
    assert cache.get_many(most) == {key: demo_results[key] for key in most if key != "missing"}


def test_entries_from_the_cache_share_their_key_names(tmp_path, demo_results):
    found = cache_with(tmp_path, demo_results).get_many(list(demo_results))
    entries = [entry for entry, _ in found.values() if entry is not None]
    titles = {id(name) for entry in entries for name, _ in entry.line_of if name == "title"}
    assert len(titles) == 1  # one string for the whole archive, not one per entry


def test_entries_from_the_cache_still_pickle_with_their_bodies_as_text(tmp_path, demo_results):
    # Forked read workers send entries back to the parent by pickle: a cached entry must travel the same way.
    entry, errors = cache_with(tmp_path, demo_results).get_many(["key-0"])["key-0"]
    copied = pickle.loads(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
    assert isinstance(copied, Entry) and type(copied.body) is str and copied == demo_results["key-0"][0]


@pytest.mark.parametrize("value", [b"not a pickle", pickle.dumps(("an", "other", "shape")),
                                   b"\x80\x05K\x7f\x94Q."])  # a persistent id no row format has
def test_an_unreadable_row_empties_the_cache(tmp_path, demo_results, value):
    cache = cache_with(tmp_path, demo_results)
    cache.db.execute("UPDATE entries SET value = ? WHERE key = 'key-2'", (value,))
    assert cache.get_many(list(demo_results)) == {}
    assert EntryCache(tmp_path).get_many(list(demo_results)) == {}  # rebuilt, not read half


def test_rows_of_an_older_schema_are_dropped(tmp_path, demo_results):
    cache_with(tmp_path, demo_results).close()
    db = sqlite3.connect(tmp_path / CACHE_DIR / "entries.sqlite")
    db.execute(f"PRAGMA user_version = {SCHEMA - 1}")
    db.commit()
    db.close()
    assert EntryCache(tmp_path).get_many(list(demo_results)) == {}


def test_a_row_repeats_no_field_names(demo_results):
    entry, errors = demo_results["key-0"]
    _, value, body = RowFormat().row("key-0", (entry, errors))
    assert b"content_warnings_collapse" not in value and b"generator.entries" not in value
    assert body == entry.body.encode("utf-8")


def test_entries_read_apart_share_the_values_they_repeat(tmp_path):
    """A tag, an author, a list of regions: one object for every entry that has it, whether the entries were
    parsed by the reading processes (a first build) or taken from the cache's rows (the next one). At 50,000
    entries, copies of their own would be some tens of MiB held to the build's end."""
    files = {"site.yaml": BASE_CONFIG}
    for i in range(80):  # enough for the reading to be shared with a forked process
        files[f"content/articles/a{i:02d}.md"] = entry(
            f"Article {i}", f"2017-10-{1 + i % 28:02d}", tags=["#MeToo", f"Topic {i % 3}"], regions=["us"],
            sectors=["sports"], authors=["Ann Lee"], content_warnings=["sexual violence"])
    site = write_files(tmp_path / "site", files)
    for taken_from_cache in (0, 80):
        shutil.rmtree(site / "output", ignore_errors=True)  # else the second build would have nothing to do
        report = build(site, jobs=2)
        assert report.cached == taken_from_cache
        metas = [e.meta for e in report.context.site.entries]
        assert len({id(tag) for meta in metas for tag in meta.tags}) == 4  # #MeToo and three topics
        assert len({id(meta.tags) for meta in metas}) == 3
        for name in ("regions", "sectors", "authors", "content_warnings"):
            assert len({id(getattr(meta, name)) for meta in metas}) == 1, name
