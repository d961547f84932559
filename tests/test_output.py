"""The output folder: byte-identical anywhere, readable by others, and untouched by a build that fails."""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, REPO, entry, run, tree, write_files
from generator.build import build
from generator.errors import BuildFailed, Code

WORDS = {"en": "The quick brown fox jumps over the lazy dog",
         "fr": "Le renard brun rapide saute par-dessus le chien paresseux",
         "de": "Der schnelle braune Fuchs springt über den faulen Hund",
         "es": "El rápido zorro marrón salta sobre el perro perezoso"}


def four_languages(root: Path, per_language: int = 20, search: bool = True) -> Path:
    """A site with entries in four languages; 80 entries are enough for --jobs 2 to use the process pool."""
    files = {"site.yaml": BASE_CONFIG + f"search: {'true' if search else 'false'}\n"}
    for lang, words in WORDS.items():
        for i in range(per_language):
            files[f"content/articles/{lang}-{i:02d}.md"] = entry(
                f"{lang} {i}", f"2017-{1 + i % 12:02d}-{1 + i % 28:02d}", body=f"{words} {i}. " * 12,
                lang=lang, tags=[f"t{i % 5}"], regions=["us" if i % 2 else "france"])
    files["content/articles/mixed.md"] = entry("Mixed", "2017-10-17", body="No lang of its own.")
    return write_files(root, files)


def chorus(site: Path, *args: str, env: dict[str, str] | None = None, umask: int | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The chorus command in a process of its own, with the given environment and umask."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONHASHSEED", "TZ", "LC_ALL", "LANG", "LC_CTYPE")}
    environment["PYTHONPATH"] = str(REPO)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site), *args],
                          env=environment, cwd=cwd or site, capture_output=True, text=True, timeout=600,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def modes(root: Path) -> dict[str, int]:
    """The permission bits of the folder and of everything in it."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def snapshot(out: Path) -> tuple[dict[str, bytes], int]:
    return tree(out), out.stat().st_ino


# ---- byte-identical, always ---------------------------------------------------


def test_four_languages_give_byte_identical_output_anywhere(tmp_path):
    one = four_languages(tmp_path / "one" / "site")
    two = four_languages(tmp_path / "somewhere" / "else" / "archive")
    first = chorus(one, "--jobs", "1", env={"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C.UTF-8"})
    second = chorus(two, "--jobs", "2", cwd=tmp_path,
                    env={"PYTHONHASHSEED": "4242", "TZ": "Pacific/Chatham", "LC_ALL": "POSIX", "LANG": "fr_FR.UTF-8"})
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    a, b = tree(one / "output"), tree(two / "output")
    assert sorted(a) == sorted(b)  # the same files, including the index's content-hashed names
    assert [path for path in a if a[path] != b[path]] == []
    languages = json.loads(a["pagefind/0/pagefind-entry.json"])["languages"]
    assert sorted(languages) == ["de", "en", "es", "fr"]


def index_of(site: Path, out: Path) -> dict[str, bytes]:
    """The search index of a clean build of `site` into `out` (no cache): its files by path, with their bytes."""
    build(site, out, use_cache=False, jobs=1)
    return {rel: data for rel, data in tree(out).items() if rel.startswith("pagefind/")}


def test_the_search_index_is_the_same_on_every_run(tmp_path):
    """Pagefind lists languages in a random order: several runs must still agree."""
    site = four_languages(tmp_path / "site", per_language=3)
    indexes = [index_of(site, tmp_path / f"out{attempt}") for attempt in range(4)]
    assert all(index == indexes[0] for index in indexes[1:])
    assert "pagefind/0/pagefind-entry.json" in indexes[0] and "pagefind/0/pagefind.js" in indexes[0]


# ---- the user's umask --------------------------------------------------------


def test_output_is_readable_by_others_with_the_default_umask(tmp_path):
    site = four_languages(tmp_path / "site", per_language=2)
    assert chorus(site, umask=0o022).returncode == 0
    found = modes(site / "output")
    assert {mode for path, mode in found.items() if (site / "output" / path).is_dir()} == {0o755}
    assert {mode for path, mode in found.items() if not (site / "output" / path).is_dir()} == {0o644}
    assert any(path.startswith("pagefind/0/index/") for path in found)
    # An edit: unchanged files join the new tree as hard links, the search index is partly rebuilt.
    (site / "content/articles/en-00.md").write_text(entry("Edited", "2017-01-01", lang="en"))
    assert chorus(site, umask=0o022).returncode == 0
    assert set(modes(site / "output").values()) <= {0o755, 0o644}


def test_output_follows_the_umask_even_when_nothing_else_changed(tmp_path):
    site = four_languages(tmp_path / "site", per_language=2)
    assert chorus(site, umask=0o022).returncode == 0
    assert chorus(site, umask=0o027).returncode == 0
    found = modes(site / "output")
    assert {mode for path, mode in found.items() if (site / "output" / path).is_dir()} == {0o750}
    assert {mode for path, mode in found.items() if not (site / "output" / path).is_dir()} == {0o640}


def test_an_output_folder_left_private_by_an_older_build_is_opened_up(tmp_path):
    site = four_languages(tmp_path / "site", per_language=2, search=False)
    assert chorus(site, umask=0o022).returncode == 0
    os.chmod(site / "output", 0o700)  # what tempfile.mkdtemp used to leave
    assert chorus(site, umask=0o022).returncode == 0
    assert stat.S_IMODE((site / "output").stat().st_mode) == 0o755
    # and then a build with no change writes nothing again
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "output").rglob("*")}
    assert " files (0 written) " in chorus(site, umask=0o022).stdout
    assert before == {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "output").rglob("*")}


# ---- a build that fails changes nothing -----------------------------------------


@pytest.fixture
def built(tmp_path):
    """A site built once (search on), with its output's files and the output folder's inode."""
    site = four_languages(tmp_path / "site", per_language=16)
    assert run("build", "--site", str(site)).code == 0
    (site / "content/articles/en-00.md").write_text(entry("Edited", "2017-01-01", body="Changed.", lang="en"))
    return site, snapshot(site / "output")


def failure(site: Path, *args: str) -> BuildFailed:
    """Build in this process (so that monkeypatching reaches it, and forked workers); return the failure."""
    with pytest.raises(BuildFailed) as caught:
        build(site, *args)
    return caught.value


def assert_unchanged(site: Path, before) -> None:
    assert snapshot(site / "output") == before
    leftovers = [p.name for p in site.iterdir() if p.name.startswith((".output.tmp-", ".output.old-"))]
    assert leftovers == []


def assert_reported(result, path: Path, cause: int) -> None:
    """One error, naming the file as it is in the output folder and the cause, and no traceback."""
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{path}: "), result.err
    assert os.strerror(cause) in lines[0]
    assert ".tmp-" not in result.err and "Traceback" not in result.err


def failing_write(target_name: str, cause: int):
    original = Path.write_bytes

    def write_bytes(self, data):
        if self.name == "index.html" and self.parent.name == target_name and ".tmp-" in str(self):
            raise OSError(cause, os.strerror(cause), str(self))
        return original(self, data)
    return write_bytes


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_while_writing_a_page_names_the_page(built, monkeypatch, jobs):
    site, before = built
    monkeypatch.setattr(Path, "write_bytes", failing_write("en-00", errno.ENOSPC))  # forked workers inherit it
    result = run("build", "--site", str(site), "--jobs", jobs)
    assert_reported(result, site / "output/articles/en-00/index.html", errno.ENOSPC)
    assert_unchanged(site, before)
    assert [e.code for e in failure(site).errors] == [Code.OUTPUT]


def test_a_read_only_output_folder_is_a_message_not_a_traceback(built, monkeypatch):
    site, before = built
    original = os.mkdir

    def mkdir(path, mode=0o777, **kwargs):
        if ".output.tmp-" in str(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return original(path, mode, **kwargs)
    monkeypatch.setattr(os, "mkdir", mkdir)
    assert_reported(run("build", "--site", str(site)), site / "output", errno.EROFS)
    assert_unchanged(site, before)
    assert [e.code for e in failure(site).errors] == [Code.OUTPUT]


def test_an_entry_error_found_while_the_write_stage_is_made_leaves_the_output_and_no_new_tree(built):
    """The write stage is made beside the assembly: an error the assembly finds must undo it (the new tree
    removed, the lock released), and the next build must work."""
    site, before = built
    (site / "content/articles/en-01.md").write_text(entry("Broken", "2017-01-01", body="[x](missing.md)", lang="en"))
    errors = failure(site).errors
    assert [e.code for e in errors] == [Code.REFERENCE]
    assert_unchanged(site, before)
    (site / "content/articles/en-01.md").write_text(entry("Mended", "2017-01-01", body="Fine.", lang="en"))
    assert run("build", "--site", str(site)).code == 0
    assert "Mended" in (site / "output/articles/en-01/index.html").read_text()


def test_a_failed_hard_link_names_the_file(built, monkeypatch):
    site, before = built
    for spare in (site / ".chorus-cache").glob("spare-*"):
        shutil.rmtree(spare)  # without a spare tree, the build links every unchanged file into a new one
    original = os.link

    def link(source, target, **kwargs):
        if str(target).endswith("articles/fr-03/index.html"):
            raise OSError(errno.EMLINK, os.strerror(errno.EMLINK))
        return original(source, target, **kwargs)
    monkeypatch.setattr(os, "link", link)
    assert_reported(run("build", "--site", str(site)), site / "output/articles/fr-03/index.html", errno.EMLINK)
    assert_unchanged(site, before)


@pytest.mark.parametrize("step", ["away", "in"])
def test_a_failed_swap_keeps_the_last_good_output_and_its_manifest(built, monkeypatch, step):
    site, before = built
    original = os.rename

    def rename(source, target):
        failing = ".output.tmp-" in str(source) if step == "in" else Path(source) == site / "output"
        if failing:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return original(source, target)
    monkeypatch.setattr(os, "rename", rename)
    assert_reported(run("build", "--site", str(site)), site / "output", errno.EROFS)
    assert_unchanged(site, before)
    monkeypatch.undo()
    # The manifest still describes the output: the next build is incremental, and right.
    result = run("build", "--site", str(site))
    written = int(result.out.split(" files (")[1].split(" written")[0])
    assert result.code == 0 and written < len(before[0]) / 4, result.out
    clean = site.parent / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", ".chorus-cache", ".output*"))
    assert run("build", "--site", str(clean)).code == 0
    assert tree(site / "output") == tree(clean / "output")


def test_a_manifest_that_cannot_be_saved_does_not_fail_the_build(built, monkeypatch):
    site, _ = built
    monkeypatch.setattr(pickle, "dump", lambda *args, **kwargs: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    monkeypatch.undo()
    assert list((site / ".chorus-cache").glob("manifest-*")) == []  # the stale one is not trusted
    good = tree(site / "output")
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == good


def test_an_entry_cache_that_cannot_be_written_does_not_fail_the_build(built, monkeypatch):
    import sqlite3
    from generator import cache
    site, _ = built
    shutil.rmtree(site / ".chorus-cache")
    assert run("build", "--site", str(site)).code == 0  # writes the cache afresh
    good = tree(site / "output")
    (site / "content/articles/de-01.md").write_text(entry("Neu", "2017-02-02", lang="de"))

    def read_only(self):
        self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
    monkeypatch.setattr(cache.EntryCache, "_open", read_only)
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    monkeypatch.undo()
    assert tree(site / "output") != good


# ---- the search indexer ---------------------------------------------------------


def fake_pagefind(folder: Path, program: str) -> Path:
    """A Pagefind program that runs the Python `program` instead."""
    write_files(folder, {"pagefind": f"#!{sys.executable}\n" + textwrap.dedent(program)})
    (folder / "pagefind").chmod(0o755)
    return folder / "pagefind"


FAKE_SERVICE = """
import base64, json, sys
def answer(message_id, payload):
    message = json.dumps({"message_id": message_id, "payload": payload}).encode()
    sys.stdout.buffer.write(base64.b64encode(message) + b",")
    sys.stdout.flush()
buffer = b""
while chunk := sys.stdin.buffer.read1(65536):
    buffer += chunk
    while b"," in buffer:
        message, _, buffer = buffer.partition(b",")
        request = json.loads(base64.b64decode(message))
        kind = request["payload"]["type"]
        if kind == "NewIndex":
            answer(request["message_id"], {"type": "NewIndex", "index_id": 1})
        elif kind == "GetFiles":
            answer(request["message_id"], {"type": "GetFiles", "files": [
                {"path": path, "content": base64.b64encode(content.encode()).decode()}
                for path, content in FILES.items()]})
        else:
            answer(request["message_id"], {"type": "IndexedFile" if kind == "AddRecord" else kind})
"""
"""A Pagefind service that answers every request, and GetFiles with FILES (set before it)."""


def fake_service(files: dict[str, str]) -> str:
    return f"FILES = {files!r}\n" + FAKE_SERVICE


@pytest.fixture
def with_fake_pagefind(tmp_path, monkeypatch):
    def install(program: str) -> None:
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake_pagefind(tmp_path / "fake", program)))
    return install


def test_the_fake_service_speaks_pagefinds_protocol(built, with_fake_pagefind):
    """The fakes below are faithful: with good answers, the build publishes what the fake made."""
    site, _ = built
    with_fake_pagefind(fake_service({"pagefind-entry.json": '{"languages": {"en": {"hash": "en_1", "wasm": "en"}}}',
                                     "pagefind.js": "// js", "index/en_1.pf_index": "x"}))
    assert run("build", "--site", str(site)).code == 0
    index = {rel for rel in tree(site / "output") if rel.startswith("pagefind/")}
    assert index == {"pagefind/0/pagefind-entry.json", "pagefind/0/pagefind.js", "pagefind/0/index/en_1.pf_index"}


def test_a_failing_indexer_is_one_message_naming_its_status_and_last_line(built, with_fake_pagefind):
    site, before = built
    with_fake_pagefind("""
        import sys
        print("Error: something went wrong", file=sys.stderr)
        print("the disk is on fire", file=sys.stderr)
        sys.exit(3)
    """)
    result = run("build", "--site", str(site))
    assert result.code == 1 and "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 2 and "3" in lines[0] and "the disk is on fire" in lines[0], result.err
    assert_unchanged(site, before)
    assert [e.code for e in failure(site).errors] == [Code.SEARCH]


def test_an_indexer_that_cannot_be_started_is_one_message_naming_why(built, monkeypatch, tmp_path):
    site, before = built
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    result = run("build", "--site", str(site))
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err == ("site.yaml: the search index could not be built: Pagefind could not be started: No such "
                          "file or directory (install Chorus with its dependencies (pagefind[extended]), or set "
                          "search: false in site.yaml)\n1 error in 1 file\n")
    assert_unchanged(site, before)
    assert [e.code for e in failure(site).errors] == [Code.SEARCH]


def test_an_indexer_that_hangs_is_stopped_with_its_children(tmp_path, with_fake_pagefind):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG + "limits: {search_timeout: 2}\n",
                                           "content/articles/a.md": entry("A")})
    # It never answers, and a child of its own holds its output open.
    with_fake_pagefind("""
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        time.sleep(3600)
    """)
    started = time.monotonic()
    result = run("build", "--site", str(site))
    assert time.monotonic() - started < 30
    assert result.code == 1 and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 2 and "2 s" in result.err, result.err
    assert [e.code for e in failure(site).errors] == [Code.SEARCH]


def test_an_indexer_whose_last_words_come_after_its_output_closed_is_still_quoted(built, with_fake_pagefind):
    """Its stderr is read to the end once it exited: the end of its output is often seen first."""
    site, before = built
    with_fake_pagefind("""
        import os, sys, time
        os.close(1)
        time.sleep(0.3)
        print("the disk is on fire", file=sys.stderr)
        sys.exit(3)
    """)
    result = run("build", "--site", str(site))
    assert result.code == 1 and "Traceback" not in result.err
    assert "status 3: the disk is on fire" in result.err.splitlines()[0], result.err
    assert_unchanged(site, before)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["killed", "interrupted"])
def test_a_build_stopped_while_it_indexes_beside_the_render_leaves_no_indexer(tmp_path, with_fake_pagefind, how):
    """An edit's shard is indexed by a forked process while the pages render: it and its Pagefind end with the
    build, whether the build is killed outright or interrupted."""
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, "content/articles/a.md": entry("A")})
    started = tmp_path / "indexer-started"
    with_fake_pagefind(f"""
        import os, pathlib, time
        pathlib.Path({str(started)!r}).write_text(str(os.getpid()))
        time.sleep(3600)
    """)
    build_process = subprocess.Popen([sys.executable, "-m", "generator", "build", "--site", str(site)], cwd=REPO,
                                     env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    indexer = int(started.read_text())
    build_process.send_signal(how)
    _, err = build_process.communicate(timeout=30)
    assert "Traceback" not in err.decode()
    deadline = time.monotonic() + 10
    while _alive(indexer) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(indexer), "Pagefind outlived the build"
    assert not (site / "output").exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_indexer_time_limit_comes_from_site_yaml(tmp_path, with_fake_pagefind):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG + "limits: {search_timeout: 1}\n",
                                           "content/articles/a.md": entry("A")})
    with_fake_pagefind("import time; time.sleep(3600)")
    started = time.monotonic()
    result = run("build", "--site", str(site))
    assert time.monotonic() - started < 30
    assert result.code == 1 and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 2 and "1 s" in result.err, result.err
    assert not (site / "output").exists()
    assert [e.code for e in failure(site).errors] == [Code.SEARCH]


@pytest.mark.parametrize("path", ["../stray.html", "/etc/passwd", "fragment/../../x", ".hidden", "a//b"])
def test_an_indexer_making_a_file_outside_its_folder_fails_the_build(built, with_fake_pagefind, path):
    site, before = built
    with_fake_pagefind(fake_service({"pagefind-entry.json": '{"languages": {}}', path: "not ours"}))
    assert [e.code for e in failure(site).errors] == [Code.SEARCH]
    assert_unchanged(site, before)


def test_an_indexer_answering_garbage_fails_the_build(built, with_fake_pagefind):
    site, before = built
    with_fake_pagefind("""
        import sys
        sys.stdout.write("Listening... ready,")
        sys.stdout.flush()
        sys.stdin.read()
    """)
    errors = failure(site).errors
    assert [e.code for e in errors] == [Code.SEARCH] and "not a message" in errors[0].message
    assert_unchanged(site, before)


def test_a_full_disk_while_writing_the_search_index_names_its_file(built, monkeypatch):
    """The index is written by the write stage like every page: same message, nothing changed."""
    site, before = built
    original = Path.write_bytes

    def write_bytes(self, data):
        if self.name == "pagefind-entry.json" and ".output.tmp-" in str(self):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return original(self, data)
    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    assert_reported(run("build", "--site", str(site)), site / "output/pagefind/0/pagefind-entry.json", errno.ENOSPC)
    assert_unchanged(site, before)
    assert [e.code for e in failure(site).errors] == [Code.OUTPUT]


def test_a_build_with_search_leaves_no_temporary_folder_beside_the_output(built):
    site, before = built
    assert run("build", "--site", str(site)).code == 0
    assert [p.name for p in site.iterdir() if p.name.startswith(".output.tmp-")] == []
    assert tree(site / "output") != before[0] and "pagefind/0/pagefind-entry.json" in tree(site / "output")


def test_an_index_naming_a_language_that_is_no_tag_fails_the_build(built, with_fake_pagefind):
    site, before = built
    languages = {"../../x": {"hash": "../../x_1", "wasm": None, "page_count": 1}}
    with_fake_pagefind(fake_service({"pagefind-entry.json": json.dumps({"languages": languages})}))
    assert [e.code for e in failure(site).errors] == [Code.SEARCH]
    assert_unchanged(site, before)
