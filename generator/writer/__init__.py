"""Stage 6, write: the one way files reach the output folder.

A build writes a new tree beside the output folder and swaps it in whole
(tree.py), and keeps a manifest of what it wrote (manifest.py). `WriteStage`
is that stage for one build, in this order:

0. the new tree starts from the spare (the tree the last build replaced,
   brought to the last output's files by hard links) when there is one;
1. the render workers write each changed page into the new tree with
   `write_file` (generator/parallel.py), and report an `Outcome` per route;
2. `changed` says whether anything differs from the last output; if nothing
   does, `keep` leaves the output folder exactly as it is (a build with no
   change writes nothing);
3. otherwise unchanged pages join the new tree as hard links
   (`link_unchanged`), and files made from the finished pages (the search
   index) are handed in (`add_files`): each keeps its old file when its bytes
   are the same, else is written;
4. `publish` removes the spare's files this build does not make, makes the
   manifest, runs the gate (the privacy gate, the last step before the
   swap), swaps the tree in and installs the manifest; the replaced tree is
   kept as the next spare.

Every failure to write is one error naming the file as it would be in the
output folder (Code.OUTPUT), and a build that fails anywhere leaves the output
folder and its manifest as they were.
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Protocol

from ..cache import digest, file_identity
from ..errors import BuildFailed
from ..forked import as_child, signals_held
from .manifest import Manifest, Outcome, Record, as_written
from .tree import MARKER, OutputTree, WriteFailed, as_recorded, check_target, locked, output_error, write_file

__all__ = ("MARKER", "Gate", "Manifest", "Outcome", "OutputTree", "Record", "WriteFailed", "WriteStage",
           "check_target", "locked", "output_error", "output_intact", "write_file", "writing")


class Gate(Protocol):
    """The last check before the swap: it may refuse any path or byte about to be published."""

    def check(self, root: Path, paths: list[str], written: set[str]) -> None:
        """Raise BuildFailed if a file of `paths` under `root` must not be published; `written` are the
        files whose bytes are new in this build."""

    def passed(self) -> None:
        """Called once the checked files are published."""


class WriteStage:
    """The write stage of one build: the new tree, the last output's manifest, and what becomes of each file."""

    def __init__(self, out_dir: Path, manifest: Manifest | None, tree: OutputTree, old: dict[str, Record]):
        self.out_dir = out_dir
        self.manifest = manifest
        self.tree = tree
        self.old = old
        """The last output's files that are still as it left them."""
        self.pairs = manifest.pairs if manifest is not None else []
        """The table their records' inputs are indices into (Manifest.pairs)."""
        self._under: dict[tuple[str, int], dict[str, list[str]]] = {}
        """The last output's files grouped by their folder at a depth, per top folder (see kept)."""
        self._lost: list[str] | None = None
        """The files the last output's manifest lists that are no longer as it left them (see intact)."""
        self.root = self.tree.root
        """The new tree, where the render workers write."""

    def changed(self, outcomes: list[Outcome], derived: str | None = None) -> bool:
        """Whether the output folder must be replaced: some file's bytes are new, a file came or went, or the
        folder is not exactly what the last build left (a file edited by hand, a stray file, another mode).

        `derived` is the folder of files made from the rendered ones (the search index): when no rendered
        file changed, the last output's files there are still right.
        """
        if any(o.written for o in outcomes):
            return True
        expected = {o.path for o in outcomes} | {o.path for o in self.kept(derived)}
        return set(self.old) != expected or not self.tree.matches(self.old)

    def kept(self, folder: str | None) -> list[Outcome]:
        """The last output's files under `folder`, kept as they are."""
        if folder is None:
            return []
        kept = []
        for path in self._files_under(folder):
            record = self.old[path]
            kept.append(Outcome(path, record.fingerprint, record.sha, False, 0, record.inputs))
        return kept

    def intact(self, folder: str) -> bool:
        """Whether every file the last output listed under `folder` is still as it left it (one edited or
        removed by hand is not among the kept: the folder must then be made again)."""
        if self._lost is None:
            self._lost = list(self.manifest.listed() - self.old.keys()) if self.manifest is not None else []
        prefix = folder + "/"
        return not any(path.startswith(prefix) for path in self._lost)

    def _files_under(self, folder: str) -> list[str]:
        # Asked once per search shard: the files under the top folder are grouped by their folders at that
        # depth once, and each shard finds its own without looking at the others'.
        top, depth = folder.partition("/")[0], folder.count("/") + 1
        groups = self._under.get((top, depth))
        if groups is None:
            groups = {}
            start = top + "/"
            for path in self.old:
                if path.startswith(start):
                    parts = path.split("/", depth)
                    if len(parts) > depth:
                        groups.setdefault("/".join(parts[:depth]), []).append(path)
            self._under[(top, depth)] = groups
        return groups.get(folder, [])

    def link_unchanged(self, outcomes: list[Outcome]) -> None:
        """The files the renderers did not write join the new tree as hard links to the last output's."""
        self.tree.link_unchanged([o.path for o in outcomes if not o.written])

    def add_files(self, files: dict[str, bytes | Path], fingerprint: str = "") -> list[Outcome]:
        """Files made outside the renderers (the search index), by path in the site: their bytes, or a file
        to read them from, made from inputs of `fingerprint`. Each keeps the last output's file (a hard link)
        when its bytes are the same, else is written into the new tree."""
        outcomes = []
        for rel, source in sorted(files.items()):
            data = source if isinstance(source, bytes) else _read(rel, source)
            sha = digest(data)
            previous = self.old.get(rel)
            if previous is not None and previous.sha == sha:
                self.tree.link_unchanged([rel])
                outcomes.append(Outcome(rel, fingerprint, sha, False))
            else:
                self.tree.write(rel, data)
                outcomes.append(Outcome(rel, fingerprint, sha, True, len(data)))
        return outcomes

    def publish(self, outcomes: list[Outcome], gate: Gate) -> tuple[int, int]:
        """Swap the new tree in, once the gate passed it; returns the number of files written and their bytes."""
        written = [o for o in outcomes if o.written]
        paths = {o.path for o in outcomes}
        self.tree.prune(paths)
        # A tree most of whose files are new is not worth recycling: the next build would replace them all.
        self.tree.spare_replaced = 2 * len(written) <= len(outcomes)
        if self.manifest is not None:
            # Inodes and mtimes survive the rename: the manifest is made from the new tree, before the swap.
            self.manifest.prepare(_changed_records(self.root, outcomes, self.old), paths, self.old)
        # Every byte of the new tree is final here: the gate is the last step before the swap.
        gate.check(self.root, [o.path for o in outcomes], {o.path for o in written})
        self.tree.commit()
        gate.passed()
        if self.manifest is not None:
            self.manifest.install()
        return len(written), sum(o.size for o in written)

    def keep(self, outcomes: list[Outcome], gate: Gate) -> tuple[int, int]:
        """Nothing changed: the output folder stays as it is, and the new tree is dropped. The gate sees the
        published files again (it rescans them only if what it looks for changed); returns (0, 0) written."""
        gate.check(self.out_dir, [o.path for o in outcomes], set())
        gate.passed()
        if self.manifest is not None:
            self.manifest.prepare(_changed_records(self.out_dir, outcomes, self.old), {o.path for o in outcomes},
                                  self.old)
            self.manifest.install()
        return 0, 0

    def close(self) -> None:
        """Remove what was not published: the new tree (or the tree it replaced) and an uninstalled manifest."""
        if self.manifest is not None:
            self.manifest.discard()
        self.tree.discard()


class Prepared(NamedTuple):
    """What `prepare` found of the last output, and did to the new tree."""

    root: str
    """The new tree's folder (another one than it was given, if the spare could not be recycled)."""
    lost: list[str]
    """The files the manifest lists that are no longer as it left them."""
    recycled: bool
    """Whether the tree was brought from the spare: it then holds every other file the manifest lists."""
    dirs: list[str]
    """The tree's folders."""
    touched: list[str]
    """The folders it removed files from (see OutputTree.prune)."""


def prepare(manifest: Manifest, tree: OutputTree, out_dir: Path) -> Prepared:
    """The part of the write stage that waits on the disk: each file of the last output looked at once (is it as
    the manifest recorded it?) and the new tree brought from the spare to those that are. It reads the files'
    stats alone, not their records, so that it can run in a process of its own (see writing)."""
    stats = manifest.stats() or {}
    found = as_written(stats, str(out_dir), tree.file_mode)
    tree.recycle(found)
    return Prepared(str(tree.root), sorted(stats.keys() - found.keys()), bool(tree.present), sorted(tree.dirs),
                    sorted(tree.touched))


@contextmanager
def writing(site_dir: Path, out_dir: Path, use_cache: bool, jobs: int = 1) -> Iterator[Callable[[], WriteStage]]:
    """The write stage of a build into `out_dir` (held under `locked`). Yields a function that returns the stage
    once it is made. With more than one job, its part that waits on the disk (`prepare`: 38,000 stats and a
    walk of 16,500 folders after an edit at 10,000 entries) runs in a forked process from here on, while the
    build reads and assembles: in a thread, each of those system calls waited for the build's hold on the
    interpreter, and made the build wait for its own. A failure to write, here or in a render worker, is raised
    as BuildFailed naming the file in the output folder."""
    manifest = Manifest(site_dir, out_dir) if use_cache else None
    tree: OutputTree | None = None
    stage: WriteStage | None = None
    preparing: _Preparing | None = None

    def taken() -> Prepared | None:
        nonlocal preparing
        prepared, preparing = (preparing.result() if preparing is not None else None), None
        return prepared

    def ready() -> WriteStage:
        nonlocal stage
        if stage is None:
            was_preparing = preparing is not None
            prepared = taken()
            if was_preparing and prepared is None:
                tree.restart()  # the process failed, leaving the tree in no known state: prepared here instead
            stage = _made(out_dir, manifest, tree, prepared)
        return stage

    try:
        tree = OutputTree(out_dir)
        if manifest is not None:
            tree.keep_spare_in(manifest.spare)
            if jobs > 1 and manifest.path.exists():
                preparing = _Preparing(manifest, tree, out_dir)
        yield ready
    except WriteFailed as failed:
        raise BuildFailed([output_error(out_dir, failed)]) from None
    finally:
        if stage is not None:
            stage.close()
        elif tree is not None:
            # Not used (the build failed before it rendered): the tree the process made is kept as the spare.
            prepared = taken()
            if prepared is not None:
                tree.adopt(prepared.root, prepared.dirs, set(), prepared.touched)
            tree.discard()


def _made(out_dir: Path, manifest: Manifest | None, tree: OutputTree, prepared: Prepared | None) -> WriteStage:
    """The write stage, from what `prepare` did in another process, or else preparing it here."""
    if manifest is None:
        return WriteStage(out_dir, None, tree, {})
    if prepared is None:
        prepared = prepare(manifest, tree, out_dir)
    lost = set(prepared.lost)
    old = manifest.load(out_dir, tree.file_mode, lost=lost)
    # Every file the manifest lists that was as recorded is in a recycled tree: those left out of `old` (a record
    # without its rest, in a damaged manifest) are rendered and written anew, as they would be in a new tree.
    present = manifest.listed() - lost if prepared.recycled else set()
    tree.adopt(prepared.root, prepared.dirs, present, prepared.touched)
    if prepared.recycled and not present:
        tree.restart()  # the records could not be read here: nothing would account for the tree's files
    return WriteStage(out_dir, manifest, tree, old)


class _Preparing:
    """`prepare` run by a forked process while the build goes on; `result` waits for it (None: it failed, and
    the tree it was given is in no known state)."""

    def __init__(self, manifest: Manifest, tree: OutputTree, out_dir: Path):
        context = multiprocessing.get_context("fork")
        self.answers, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_prepare_in_child, args=(send, manifest, tree, out_dir), daemon=True)
        with signals_held():
            self.process.start()
        send.close()  # the child's end: its death is then the end of the pipe here

    def result(self) -> Prepared | None:
        try:
            answer = self.answers.recv()
        except (EOFError, OSError):
            answer = None
        self.process.join()
        self.answers.close()
        return answer if isinstance(answer, Prepared) else None


def _prepare_in_child(send, manifest: Manifest, tree: OutputTree, out_dir: Path) -> None:
    as_child()
    try:
        answer = prepare(manifest, tree, out_dir)
    except BaseException:  # the parent prepares again by itself: never a traceback from a child
        answer = None
    try:
        send.send(answer)
    except OSError:
        pass  # the parent is gone


def _read(rel: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WriteFailed.of(rel, exc) from None


def output_intact(site_dir: Path, out_dir: Path, manifest: tuple[int, int, int]) -> bool:
    """Whether the output folder is exactly as the build that installed this manifest (its file_identity) left
    it: every file with its recorded stat and mode, no file more or less."""
    recorded = Manifest(site_dir, out_dir)
    if file_identity(recorded.path) != manifest:
        return False
    stats = recorded.stats()
    return stats is not None and as_recorded(out_dir, stats)


def _changed_records(base: Path, outcomes: list[Outcome], old: dict[str, Record]) -> dict[str, Record]:
    """The records of the outcomes' files that differ from the last manifest's: each file written, with its stat
    under `base`, and each kept file whose inputs changed (rendered again to the same bytes). A file kept from
    the last output (a hard link) has the stat recorded then, so only the files written are looked at."""
    changed = {}
    for outcome in outcomes:
        previous = None if outcome.written else old.get(outcome.path)
        if previous is None:
            try:
                st = os.stat(base / outcome.path)
            except OSError as exc:
                raise WriteFailed.of(outcome.path, exc) from None
            changed[outcome.path] = Record(outcome.fingerprint, outcome.sha, st.st_size, st.st_mtime_ns, st.st_ino,
                                           outcome.inputs)
        elif outcome.fingerprint != previous.fingerprint or outcome.sha != previous.sha:
            # (The same fingerprint is the same inputs: it is their digest.)
            changed[outcome.path] = Record(outcome.fingerprint, outcome.sha, previous.size, previous.mtime_ns,
                                           previous.inode, outcome.inputs)
    return changed
