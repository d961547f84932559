"""The search index: Pagefind reads the finished pages and makes a static index of them.

Only entry pages carry `data-pagefind-body`, so listings, notices and the search
page itself are not indexed; withdrawn entries and drafts never carry it, and
private handles are never in any page to begin with.

Pagefind is an external process, so it is held to what we promise of our own
code: it runs with a timeout and no input, it may write only into a staging
folder beside the new tree (checked after it ran: the tree it reads is left as
it was, and it made nothing but plain files), and its output is made
byte-identical from run to run (it lists languages in a random order, so
pagefind-entry.json is rewritten with its languages sorted). The index's files
are handed to the write stage, which keeps (hard-links) those whose bytes did
not change from the last output, like every other file; this module writes
nothing into the tree.
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

from .errors import BuildFailed, Code, SourceError
from .writer import WriteFailed

INDEX_DIR = "pagefind"
ENTRY_NAME = "pagefind-entry.json"
ENTRY_FILE = f"{INDEX_DIR}/{ENTRY_NAME}"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""What a language and its hash in the index must look like: Pagefind makes file names of them."""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def build_index(root: Path, staging: Path, out_dir: Path, *, timeout: float) -> dict[str, bytes | Path]:
    """Index the new tree at `root` (to be published as `out_dir`), with Pagefind writing into the empty
    folder `staging`; returns the index's files by their path in the site (pagefind/...), each as a file in
    `staging` or as bytes, for the write stage to put into the tree.
    """
    if (root / INDEX_DIR).exists():
        raise _failed(f"a page or alias is published under /{INDEX_DIR}/, where the index goes",
                      "move the page or alias elsewhere")
    try:
        before = _walk(root)
    except OSError as exc:
        raise WriteFailed.of("", exc) from None
    # Only entry pages are indexed: the glob spares Pagefind from reading every listing and archive page.
    _run_pagefind([sys.executable, "-m", "pagefind", "--site", str(root), "--output-path", str(staging), "--silent",
                   "--glob", "{*,articles/*,takes/*,threads/*}/index.html"], timeout,
                  {root: out_dir, staging: out_dir / INDEX_DIR})
    _check_untouched(root, before)
    files = _produced(staging)
    entry = _entry(staging)
    _check_languages(entry)
    files[ENTRY_FILE] = _canonical(entry)
    return files


def _run_pagefind(command: list[str], timeout: float, shown: dict[Path, Path]) -> None:
    """Run Pagefind with no input and a time limit; its failure is one error naming the cause, with each
    folder of `shown` named as the editor knows it (the value)."""
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
        # Pagefind names the folders it read and wrote: temporary ones, which the editor never sees.
        for folder, known_as in shown.items():
            last = last.replace(str(folder), str(known_as))
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


def _check_untouched(root: Path, before: dict[str, bool]) -> None:
    """Refuse a tree Pagefind changed: it reads the new tree, and only the write stage writes in it."""
    try:
        after = _walk(root)
    except OSError as exc:
        raise WriteFailed.of("", exc) from None
    for rel, is_dir in sorted(after.items()):
        if before.get(rel) != is_dir:
            raise _failed(f"Pagefind wrote {rel}, outside its {INDEX_DIR}/ folder or not a plain file", _REPORT)


def _produced(staging: Path) -> dict[str, bytes | Path]:
    """The files Pagefind wrote, by their path in the site, sorted; refuses anything that is not a plain
    file or folder (a link could make the index show a file from anywhere)."""
    produced: dict[str, bytes | Path] = {}
    try:
        for rel, is_dir in sorted(_walk(staging).items()):
            if not (is_dir or stat.S_ISREG(os.lstat(staging / rel).st_mode)):
                raise _failed(f"Pagefind wrote {INDEX_DIR}/{rel}, outside its {INDEX_DIR}/ folder or not a plain "
                              "file", _REPORT)
            if not is_dir:
                produced[f"{INDEX_DIR}/{rel}"] = staging / rel
    except OSError as exc:
        raise WriteFailed.of(INDEX_DIR, exc) from None
    return produced


def _entry(staging: Path) -> dict:
    """Pagefind's pagefind-entry.json, which names the index's languages."""
    try:
        entry = json.loads((staging / ENTRY_NAME).read_bytes())
        if isinstance(entry, dict) and isinstance(entry["languages"], dict):
            return entry
    except (OSError, ValueError, KeyError, TypeError):
        pass
    raise _failed(f"Pagefind wrote no readable {ENTRY_FILE}", _REPORT)


def _check_languages(entry: dict) -> None:
    """Pagefind names files after each language: one that is not a plain tag means files were put elsewhere."""
    try:
        # wasm is null for a language Pagefind has no stemmer for
        names = [(name, value["hash"], value.get("wasm") or name) for name, value in entry["languages"].items()]
    except (KeyError, TypeError, AttributeError):
        raise _failed(f"Pagefind wrote no readable {ENTRY_FILE}", _REPORT) from None
    for parts in names:
        if not all(isinstance(part, str) and _NAME.fullmatch(part) for part in parts):
            raise _failed(f"Pagefind indexed a language that is not a language tag: {parts[0]!r}", _REPORT)


def _canonical(entry: dict) -> bytes:
    """pagefind-entry.json with what Pagefind writes in a random order (its languages) in a fixed one, and
    the rest as Pagefind wrote it."""
    entry = dict(entry, languages=dict(sorted(entry["languages"].items())))
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
