"""The write stage's manifest: stored as a base and the changes since, it must describe the output exactly
after any run of edits, and a manifest that cannot be read must only ever mean a full write."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

from generator.cache import CACHE_DIR, SCHEMA
from generator.inputs import unpacked
from generator.writer import Manifest, Record

from conftest import BASE_CONFIG, entry, run, tree, write_files

ENTRIES = 40
"""Enough entries that an edit changes far fewer than an eighth of the files: its manifest is base and changes."""


def article(n: int, body: str = "", tag: int | None = None) -> str:
    return entry(f"Article {n}", f"2017-{1 + n % 12:02}-{1 + n % 27:02}", body=body or f"Body {n}.",
                 tags=[f"t{n % 5 if tag is None else tag}"])


def site_with_entries(tmp_path: Path) -> Path:
    files = {f"content/articles/a{n:02}.md": article(n) for n in range(ENTRIES)}
    return write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **files})


def built(site: Path) -> tuple[int, int]:
    """(files written, files of the output) of a successful build."""
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    counts = result.out.split(" files (")
    return int(counts[1].split(" written")[0]), int(counts[0].rsplit(" ", 1)[1])


def clean_tree(site: Path, tmp_path: Path) -> dict[str, bytes]:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", CACHE_DIR, ".output*"))
    assert run("build", "--site", str(clean)).code == 0
    return tree(clean / "output")


def edit(site: Path, n: int, body: str = "", tag: int | None = None) -> None:
    (site / f"content/articles/a{n:02}.md").write_text(article(n, body, tag), encoding="utf-8")


def test_a_run_of_edits_writes_only_what_changed_and_ends_as_a_clean_build(tmp_path):
    site = site_with_entries(tmp_path)
    _, total = built(site)
    for round_ in range(12):  # past the point where the changes are folded into a new base
        n = round_ % 4
        edit(site, n, f"Body {n}, edit {round_}.", tag=(n + round_) % 5)
        written, _ = built(site)
        assert 0 < written < total / 4
    (site / "content/articles/a07.md").unlink()  # a file gone, among the changes
    assert built(site)[1] < total
    assert tree(site / "output") == clean_tree(site, tmp_path)
    assert built(site)[0] == 0  # the manifest describes the output: nothing to write


def test_the_manifest_lists_the_output_after_each_edit(tmp_path):
    site = site_with_entries(tmp_path)
    built(site)
    for round_ in range(10):
        edit(site, round_, f"Edited body {round_}.")
        built(site)
        out = site / "output"
        stats = Manifest(site, out).stats()
        on_disk = {str(p.relative_to(out)): p.stat() for p in out.rglob("*") if p.is_file()}
        on_disk.pop(".chorus-output")
        assert stats == {rel: (st.st_size, st.st_mtime_ns, st.st_ino) for rel, st in on_disk.items()}


def test_a_manifest_stored_another_way_means_a_full_write(tmp_path):
    site = site_with_entries(tmp_path)
    _, total = built(site)
    good = tree(site / "output")
    [path] = (site / CACHE_DIR).glob("manifest-*.pickle")
    path.write_bytes(pickle.dumps({"schema": SCHEMA, "stats": {}, "rest": b""}))  # an older layout
    edit(site, 1, "Edited.")
    written, files = built(site)
    assert written == files == total
    edit(site, 1)
    built(site)
    assert tree(site / "output") == good


def test_a_manifest_whose_inputs_point_past_its_table_means_a_full_write(tmp_path):
    """A file's inputs are indices into the manifest's table of pairs: one that points past it (a damaged
    manifest) must not be taken for a pair, nor crash the build."""
    site = site_with_entries(tmp_path)
    _, total = built(site)
    [base] = (site / CACHE_DIR).glob("manifest-*.base-*")
    stored = pickle.loads(base.read_bytes())
    stored["pairs"] = pickle.dumps(pickle.loads(stored["pairs"])[:-1])
    base.write_bytes(pickle.dumps(stored))
    edit(site, 3, "Edited.")
    written, _ = built(site)
    assert written == total
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_manifest_whose_base_is_lost_means_a_full_write(tmp_path):
    site = site_with_entries(tmp_path)
    _, total = built(site)
    [base] = (site / CACHE_DIR).glob("manifest-*.base-*")
    base.unlink()
    edit(site, 3, "Edited.")
    written, _ = built(site)
    assert written == total
    assert tree(site / "output") == clean_tree(site, tmp_path)


def test_a_damaged_change_list_means_a_full_write(tmp_path):
    site = site_with_entries(tmp_path)
    _, total = built(site)
    edit(site, 2, "Edited.")
    built(site)
    [path] = (site / CACHE_DIR).glob("manifest-*.pickle")
    stored = pickle.loads(path.read_bytes())
    stored["changes"] = stored["changes"][: len(stored["changes"]) // 2]
    path.write_bytes(pickle.dumps(stored))
    edit(site, 2, "Edited again.")
    written, _ = built(site)
    assert written == total
    assert tree(site / "output") == clean_tree(site, tmp_path)


def install(manifest: Manifest, changed: dict[str, Record], paths: set[str], old: dict[str, Record]) -> None:
    manifest.prepare(changed, paths, old)
    manifest.install()


def test_the_changes_and_the_base_load_as_the_records_of_the_last_build(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    files = {f"f{n}.html": out / f"f{n}.html" for n in range(64)}
    for path in files.values():
        path.write_bytes(b"x")

    def on_disk(rel: str, n: int) -> Record:
        st = os.stat(files[rel])
        return Record(f"fp{n}", f"sha{n}", st.st_size, st.st_mtime_ns, st.st_ino, ((("entry", rel), f"d{n}"),))
    def loaded(manifest: Manifest) -> dict[str, Record]:
        """The records as the manifest loads them, their inputs unpacked from its table of pairs."""
        records = manifest.load(out, 0o777 & ~_umask() & 0o666)
        assert all(isinstance(record.inputs, bytes) for record in records.values())
        return {rel: record._replace(inputs=unpacked(manifest.pairs, record.inputs)) for rel, record in records.items()}
    first = {rel: on_disk(rel, 0) for rel in files}
    install(Manifest(tmp_path, out), first, set(first), {})
    manifest = Manifest(tmp_path, out)
    assert loaded(manifest) == first
    old = manifest.load(out, 0o777 & ~_umask() & 0o666)
    # Two files have new records, one is gone: an eighth of the files or fewer, stored as changes.
    changed = {"f1.html": on_disk("f1.html", 1), "f2.html": on_disk("f2.html", 2)}
    paths = set(first) - {"f3.html"}
    install(manifest, changed, paths, old)
    extra, changes = pickle.loads(pickle.loads(manifest.path.read_bytes())["changes"])
    assert set(changes) == {"f1.html", "f2.html", "f3.html"}
    assert extra == [(("entry", "f1.html"), "d1"), (("entry", "f2.html"), "d2")], "the pairs the base lacks"
    again = Manifest(tmp_path, out)
    expected = {rel: changed.get(rel) or first[rel] for rel in paths}
    assert loaded(again) == expected
    # Nothing changed: the stored manifest stays as it is.
    before = os.stat(again.path).st_ino
    kept = again.load(out, 0o777 & ~_umask() & 0o666)
    install(again, {}, set(kept), kept)
    assert os.stat(again.path).st_ino == before
    # Most files changed: the changes are folded into a new base, whose table holds only the pairs still read.
    many = {rel: on_disk(rel, 5) for rel in sorted(expected)[:20]}
    install(again, many, set(kept), kept)
    stored = pickle.loads(again.path.read_bytes())
    assert pickle.loads(stored["changes"]) == ([], {})
    assert [p.name for p in again.path.parent.glob("manifest-*.base-*")] == [f"{again.path.stem}.base-{stored['base']}"]
    final = Manifest(tmp_path, out)
    assert loaded(final) == expected | many
    assert sorted(final.pairs) == sorted({pair for record in (expected | many).values() for pair in record.inputs})


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
