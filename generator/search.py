"""The search index: Pagefind reads the finished pages and writes a static index beside them.

Only entry pages carry `data-pagefind-body`, so listings, notices and the search
page itself are not indexed; withdrawn entries and drafts never carry it, and
private handles are never in any page to begin with.

Pagefind is an external process, so it is held to what we promise of our own
code: it runs with a timeout and no input, it may write only under the new
tree's pagefind/ folder (checked after it ran), and its output is made
byte-identical from run to run (it lists languages in a random order, so
pagefind-entry.json is rewritten with its languages sorted). Files whose bytes did not
change are kept (hard-linked) from the last output like every other file.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

from .cache import Record, digest
from .errors import BuildFailed, Code, SourceError
from .parallel import Outcome
from .writer import WriteFailed

INDEX_DIR = "pagefind"
ENTRY_FILE = f"{INDEX_DIR}/pagefind-entry.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""What a language and its hash in the index must look like: Pagefind makes file names of them."""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def build_index(root: Path, out_dir: Path, old: dict[str, Record], *, timeout: float, dir_mode: int,
                file_mode: int) -> list[Outcome]:
    """Index the new tree at `root` (to be published as `out_dir`); returns the outcome of each index file.

    Its folders get `dir_mode` and its files `file_mode`, like the rest of the tree.
    """
    if (root / INDEX_DIR).exists():
        raise _failed(f"a page or alias is published under /{INDEX_DIR}/, where the index goes",
                      "move the page or alias elsewhere")
    try:
        before = _walk(root)
    except OSError as exc:
        raise WriteFailed.of("", exc) from None
    # Only entry pages are indexed: the glob spares Pagefind from reading every listing and archive page.
    _run_pagefind([sys.executable, "-m", "pagefind", "--site", str(root), "--output-subdir", INDEX_DIR, "--silent",
                   "--glob", "{*,articles/*,takes/*,threads/*}/index.html"], timeout, root, out_dir)
    produced = _produced(root, before, dir_mode)
    _check_languages(root)
    _canonicalise(root)
    outcomes = []
    for rel in produced:
        path = root / rel
        try:
            if stat.S_IMODE(os.stat(path).st_mode) != file_mode:
                os.chmod(path, file_mode)
            data = path.read_bytes()
            sha = digest(data)
            previous = old.get(rel)
            if previous is not None and previous.sha == sha:
                os.unlink(path)
                os.link(out_dir / rel, path)  # unchanged: keep the old file rather than a new copy
                outcomes.append(Outcome(rel, "", sha, False))
            else:
                outcomes.append(Outcome(rel, "", sha, True, len(data)))
        except OSError as exc:
            raise WriteFailed.of(rel, exc) from None
    return outcomes


def _run_pagefind(command: list[str], timeout: float, root: Path, out_dir: Path) -> None:
    """Run Pagefind with no input and a time limit; its failure is one error naming the cause."""
    # Pagefind must not outlive a killed build: it would go on writing into a folder the next build removed.
    # (preexec_fn is unsafe beside other threads, as under chorus serve, where a build is never killed alone.)
    in_main_thread = threading.current_thread() is threading.main_thread()
    try:
        # Its own session: on a timeout or an interrupt, the whole group is stopped, whatever it started.
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=_die_with_parent if in_main_thread else None)
    except OSError as exc:
        raise _failed(f"Pagefind could not be started: {exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise _failed(f"Pagefind timed out after {timeout:g} s",
                      "raise limits.search_timeout in site.yaml, or set search: false") from None
    except BaseException:
        _stop(proc)
        raise
    if proc.returncode < 0:
        raise _failed(f"Pagefind was stopped by signal {-proc.returncode}")
    if proc.returncode != 0:
        lines = [_ANSI.sub("", line).strip() for line in (err or out).decode("utf-8", "replace").splitlines()]
        last = next((line for line in reversed(lines) if line), "")
        # Pagefind names the folder it indexed: that is the temporary tree, which the editor never sees.
        last = last.replace(str(root), str(out_dir))
        raise _failed(f"Pagefind exited with status {proc.returncode}" + (f": {last}" if last else ""))


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()  # only the direct child: a stray grandchild holding the pipes cannot make us hang
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def _walk(root: Path) -> dict[str, bool]:
    """Every entry under root, relative path -> whether it is a folder (links and others are not folders)."""
    found = {}
    pending = [("", str(root))]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as items:
            for item in items:
                rel = prefix + item.name
                is_dir = item.is_dir(follow_symlinks=False)
                found[rel] = is_dir
                if is_dir:
                    pending.append((rel + "/", item.path))
    return found


def _produced(root: Path, before: dict[str, bool], dir_mode: int) -> list[str]:
    """The files Pagefind wrote, sorted; refuses anything it made outside pagefind/ or that is not a plain file."""
    produced = []
    try:
        for rel, is_dir in sorted(_walk(root).items()):
            if before.get(rel) == is_dir:
                continue
            inside = rel == INDEX_DIR or rel.startswith(INDEX_DIR + "/")
            mode = os.lstat(root / rel).st_mode
            if not inside or not (is_dir or stat.S_ISREG(mode)):
                raise _failed(f"Pagefind wrote {rel}, outside its {INDEX_DIR}/ folder or not a plain file", _REPORT)
            if not is_dir:
                produced.append(rel)
            elif stat.S_IMODE(mode) & 0o777 != dir_mode:
                os.chmod(root / rel, dir_mode)
    except OSError as exc:
        raise WriteFailed.of(INDEX_DIR, exc) from None
    return produced


def _check_languages(root: Path) -> None:
    """Pagefind names files after each language: one that is not a plain tag means files were put elsewhere."""
    try:
        languages = json.loads((root / ENTRY_FILE).read_bytes())["languages"]
        # wasm is null for a language Pagefind has no stemmer for
        names = [(name, value["hash"], value.get("wasm") or name) for name, value in languages.items()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise _failed(f"Pagefind wrote no readable {ENTRY_FILE}", _REPORT) from None
    for parts in names:
        if not all(isinstance(part, str) and _NAME.fullmatch(part) for part in parts):
            raise _failed(f"Pagefind indexed a language that is not a language tag: {parts[0]!r}", _REPORT)


def _canonicalise(root: Path) -> None:
    """Rewrite what Pagefind writes in a random order (the languages of pagefind-entry.json) in a fixed one,
    and the rest as Pagefind wrote it."""
    path = root / ENTRY_FILE
    try:
        data = json.loads(path.read_bytes())
        data["languages"] = dict(sorted(data["languages"].items()))
        path.write_bytes(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except OSError as exc:
        raise WriteFailed.of(ENTRY_FILE, exc) from None


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG, kept across exec
    except (OSError, AttributeError):
        pass


_INSTALL = "install Chorus with its dependencies (pagefind[extended]), or set search: false in site.yaml"
_REPORT = "please report it; search: false in site.yaml builds the site without search"


def _failed(detail: str, hint: str = _INSTALL) -> BuildFailed:
    return BuildFailed([SourceError("site.yaml", 0, f"the search index could not be built: {detail}", hint,
                                    code=Code.SEARCH)])
