"""The stores of parts kept between builds (inputs.Stores): a base and the changes since, as the manifest."""

from __future__ import annotations

import shutil

from generator.inputs import Stores

from conftest import BASE_CONFIG, entry, run, tree, write_files


def written(folder, name: str, parts: dict, used=None) -> None:
    stores = Stores(folder)
    store = stores.open(name)
    for key, value in parts.items():
        store.put(key, value)
    stores.close(name, set(used if used is not None else dict(store.items())))


def stored(folder, name: str) -> dict:
    return dict(Stores(folder).open(name).items())


def bases(folder, name: str) -> list:
    return sorted(folder.glob(f"parts-{name}.base-*"))


def test_a_change_is_stored_beside_the_base_which_stays_as_it_is(tmp_path):
    written(tmp_path, "rows", {f"e{n}": ((), f"row {n}") for n in range(100)})
    [base] = bases(tmp_path, "rows")
    before = (base.stat().st_ino, base.stat().st_mtime_ns)
    written(tmp_path, "rows", {"e7": ((), "row 7, edited")})
    written(tmp_path, "rows", {"e8": ((), "row 8, edited")})
    assert bases(tmp_path, "rows") == [base] and (base.stat().st_ino, base.stat().st_mtime_ns) == before
    found = stored(tmp_path, "rows")
    assert len(found) == 100 and found["e7"] == ((), "row 7, edited") and found["e8"] == ((), "row 8, edited")
    assert found["e9"] == ((), "row 9")


def test_parts_no_longer_used_are_forgotten(tmp_path):
    written(tmp_path, "rows", {f"e{n}": ((), n) for n in range(100)})
    written(tmp_path, "rows", {}, used={f"e{n}" for n in range(100) if n != 3})
    assert sorted(stored(tmp_path, "rows")) == sorted(f"e{n}" for n in range(100) if n != 3)


def test_changes_past_an_eighth_of_the_parts_are_folded_into_a_new_base(tmp_path):
    written(tmp_path, "rows", {f"e{n}": ((), n) for n in range(80)})
    [first] = bases(tmp_path, "rows")
    for n in range(11):
        written(tmp_path, "rows", {f"e{n}": ((), -n)})
    [base] = bases(tmp_path, "rows")
    assert base != first  # the old base is removed once no head points at it
    assert stored(tmp_path, "rows") == {f"e{n}": ((), -n if n < 11 else n) for n in range(80)}


def test_a_lost_or_damaged_base_costs_only_the_parts(tmp_path):
    written(tmp_path, "rows", {f"e{n}": ((), n) for n in range(10)})
    [base] = bases(tmp_path, "rows")
    base.write_bytes(b"not a pickle")
    assert stored(tmp_path, "rows") == {}
    base.unlink()
    assert stored(tmp_path, "rows") == {}
    (tmp_path / "parts-rows.pickle").write_bytes(b"\x80")
    assert stored(tmp_path, "rows") == {}
    written(tmp_path, "rows", {"e1": ((), 1)})  # and the store is written again, whole
    assert stored(tmp_path, "rows") == {"e1": ((), 1)}


def test_an_edit_stores_its_entry_s_open_data_alone_and_the_files_are_a_clean_build_s(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **{
        f"content/articles/e{n}.md": entry(f"Entry {n}", f"2017-10-{10 + n:02d}", body=f"Body {n}.", tags=["work"],
                                           regions=["us"]) for n in range(12)}})
    assert run("build", "--site", str(site)).code == 0
    cache = site / ".chorus-cache"
    [base] = bases(cache, "opendata")
    before = base.read_bytes()
    (site / "content/articles/e1.md").write_text(entry("Entry 1, renamed", "2017-10-11", body="Edited.",
                                                       tags=["work"], regions=["us"]))
    assert run("build", "--site", str(site)).code == 0
    assert bases(cache, "opendata") == [base] and base.read_bytes() == before
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", ".chorus-cache"))
    assert run("build", "--site", str(clean)).code == 0
    assert tree(site / "output") == tree(clean / "output")
    assert "Entry 1, renamed" in (site / "output/data/entries.csv").read_text(encoding="utf-8")


def test_a_saved_store_is_let_go_of_by_name_and_read_again_when_next_opened(tmp_path):
    stores = Stores(tmp_path)
    for name in ("rows", "items"):
        stores.open(name).put("e1", ((), name))
        stores.close(name, {"e1"})
    stores.open("pending").put("e1", ((), "not saved yet"))
    stores.forget({"rows", "pending"})
    assert stores.opened() == {"items", "pending"}  # a store with parts not yet saved is kept
    assert dict(stores.open("rows").items()) == {"e1": ((), "rows")}


def test_what_a_render_computed_since_a_mark_is_let_go_of_and_what_came_before_is_kept(tmp_path):
    from generator.build import build

    write_files(tmp_path, {"site.yaml": BASE_CONFIG, "content/articles/a.md": entry("A", "2017-10-15")})
    context = build(tmp_path).context  # a build that keeps its cache: its stores are saved, then let go of
    calls = []
    context.memo("before", lambda: calls.append("before"))
    mark = context.mark()
    context.memo("rows", lambda: calls.append("rows"))
    context.stored("rows", [("a", 1)], lambda item: item)
    context.forget_since(mark)
    context.memo("before", lambda: calls.append("before"))
    context.memo("rows", lambda: calls.append("rows"))
    assert calls == ["before", "rows", "rows"]
    assert "rows" not in context.stores.opened()
