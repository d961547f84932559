"""The new tree: the site is written beside the output folder and swapped in whole.

A failed or interrupted build leaves the last good output untouched, and files
of entries that are gone do not linger (the new tree holds only this build's
files). A lock keeps two builds into one folder from mixing their trees.

The new tree gets the user's umask (0755 folders, 0644 files by default), so a
web server running as another user, or an `rsync -a` deploy, can read it. A
write that fails (a full disk, a read-only folder) is one error naming the file
as it would be in the output folder, never the temporary folder.

Every file of the new tree is written by `write_file` (rendered pages, in the
render workers, and the files handed to the write stage) or hard-linked from
the last output (`OutputTree.link_unchanged`); nothing else writes in it.

The tree a build replaces is kept in the cache folder as the spare (when it is
on the output's file system), and the next build starts from it (`OutputTree.recycle`):
brought to the last output's files by hard links, it needs a change only
where the output changed since, where a new tree needs a folder made and a
link for every file, and the replaced tree deleted. Its files share their
inodes with the published ones, so no file of the new tree is ever written in
place: `write_file` makes a new file.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import BuildFailed, Code, SourceError

MARKER = ".chorus-output"
"""An empty file in every built site: we only ever replace a folder that we built."""


class WriteFailed(Exception):
    """Writing `rel` (a path inside the site; "" for the output folder itself) failed.

    Raised in worker processes too, so it carries plain values and pickles as its args.
    """

    def __init__(self, rel: str, errno_: int | None, strerror: str):
        super().__init__(rel, errno_, strerror)
        self.rel, self.errno, self.strerror = rel, errno_, strerror

    @classmethod
    def of(cls, rel: str, exc: OSError) -> WriteFailed:
        return cls(rel, exc.errno, exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc)))


def output_error(target: Path, failed: WriteFailed) -> SourceError:
    """The error an editor sees: the path in the output folder, the cause, and what to do."""
    where = target / failed.rel if failed.rel else target
    if failed.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space on that disk, or build elsewhere with --out"
    elif failed.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "make the folder writable, or build elsewhere with --out"
    elif failed.rel and failed.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
        hint = "two outputs want this path: rename the alias or entry that makes it"
    else:
        hint = "check the output folder, or build elsewhere with --out"
    noun = "the output file" if failed.rel else "the output folder"
    return SourceError(str(where), 0, f"{noun} cannot be written: {failed.strerror}", hint, code=Code.OUTPUT)


class OutputTree:
    """A new output tree being written in a temporary folder beside the target."""

    def __init__(self, target: Path):
        self.target = target
        self.replaced: Path | None = None
        """The folder holding the last output once commit() moved it away; discard() deletes it."""
        self.root = _new_folder(target.parent, f".{target.name}.tmp-")
        self.dirs: set[str] = set()
        """Folders of the new tree this process made (the render workers keep their own)."""
        self.present: set[str] = set()
        """Files of the last output already in the new tree (hard links), when it was recycled."""
        self.touched: set[str] = set()
        """Folders of a recycled tree a file was removed from: emptied ones are removed before the swap."""
        self.spare: Path | None = None
        """Where the tree the next build starts from is kept (None: nowhere, each build starts from nothing).
        Never beside the output folder, which may be served: it holds the last output's files."""
        self.spare_replaced = False
        """Whether the replaced tree becomes the spare (else it is deleted)."""
        self.committed = False
        try:
            (self.root / MARKER).write_bytes(b"")
            # mkdir and open applied the umask (and any default ACL): the tree's own folder and its
            # marker have the modes of every folder and file in it, whoever reads them.
            self.dir_mode = stat.S_IMODE(os.stat(self.root).st_mode) & 0o777
            self.file_mode = stat.S_IMODE(os.stat(self.root / MARKER).st_mode)
        except OSError as exc:
            self.discard()
            raise WriteFailed.of("", exc) from None

    def matches(self, old: dict) -> bool:
        """Whether the output folder holds exactly the files of `old` (and no stray one), in folders of our mode."""
        try:
            if not self.target.is_dir() or not self._our_folder(self.target):
                return False
            count = 0
            pending = [("", str(self.target))]
            while pending:
                prefix, folder = pending.pop()
                with os.scandir(folder) as found:
                    for item in found:
                        rel = prefix + item.name
                        if item.is_dir(follow_symlinks=False):
                            if not self._our_folder(item.path):
                                return False
                            pending.append((rel + "/", item.path))
                        elif rel != MARKER:
                            if rel not in old:
                                return False
                            count += 1
        except OSError:
            return False  # an unreadable output is replaced, and its replacement says what is wrong
        return count == len(old)

    def _our_folder(self, path) -> bool:
        return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode) & 0o777 == self.dir_mode

    def link_unchanged(self, paths: list[str]) -> None:
        """Unchanged files join the new tree as hard links: nothing is copied or rewritten."""
        target, root = str(self.target), str(self.root)
        for rel in paths:
            if rel in self.present:
                continue
            try:
                _make_parent(root, rel, self.dirs)
                os.link(f"{target}/{rel}", f"{root}/{rel}")
            except OSError as exc:
                raise WriteFailed.of(rel, exc) from None
            self.present.add(rel)

    def recycle(self, inodes: dict[str, int]) -> None:
        """Start from the spare, if there is one, brought to the last output's files (path -> inode, of those
        still as it left them): each file there whose inode is the output's (a hard link to it) stays, every
        other file goes, and each file of `inodes` missing is linked in. Nothing is recycled that was not made
        with this tree's modes."""
        spare = self.spare
        if spare is None or not inodes or not os.path.isdir(spare) or os.path.islink(spare):
            return
        try:
            if stat.S_IMODE(os.stat(spare).st_mode) & 0o777 != self.dir_mode:
                raise OSError(errno.EPERM, "another mode")
            os.unlink(self.root / MARKER)
            os.rmdir(self.root)
            os.rename(spare, self.root)  # under a temporary name: a killed build's tree is cleared by the next
            _replace_marker(self.root)
            self._bring_to(inodes)
        except OSError:
            # Anything unexpected: start from nothing, as without a spare.
            shutil.rmtree(spare, ignore_errors=True)
            self.restart()

    def restart(self) -> None:
        """Start again from an empty tree (the one begun is deleted, whatever state it is in)."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = _new_folder(self.target.parent, f".{self.target.name}.tmp-")
        try:
            (self.root / MARKER).write_bytes(b"")
        except OSError as exc:
            raise WriteFailed.of("", exc) from None
        self.dirs, self.present, self.touched = set(), set(), set()

    def adopt(self, root: str, dirs: list[str], present: set[str], touched: list[str]) -> None:
        """Take on the tree another process recycled (see writer.prepare): its folder, the folders in it, the
        last output's files it holds, and the folders it removed files from."""
        self.root = Path(root)
        self.dirs, self.present, self.touched = set(dirs), present, set(touched)

    def _bring_to(self, inodes: dict[str, int]) -> None:
        pending = [("", str(self.root))]
        while pending:
            prefix, folder = pending.pop()
            with os.scandir(folder) as found:
                for item in found:
                    rel = prefix + item.name
                    if item.is_dir(follow_symlinks=False):
                        if stat.S_IMODE(item.stat(follow_symlinks=False).st_mode) & 0o777 != self.dir_mode:
                            raise OSError(errno.EPERM, "a folder of another mode")
                        self.dirs.add(rel)
                        pending.append((rel + "/", item.path))
                    elif rel == MARKER:
                        continue
                    else:
                        # readdir's inode number, without a stat: the same inode is the very file published.
                        if inodes.get(rel) == item.inode() and not item.is_symlink():
                            self.present.add(rel)
                        else:
                            os.unlink(item.path)
                            self.touched.add(prefix.rstrip("/"))
        self.link_unchanged([rel for rel in inodes if rel not in self.present])

    def prune(self, keep: set[str]) -> None:
        """Remove the recycled files that are not in this build's output, and the folders left empty."""
        root = str(self.root)
        for rel in self.present - keep:
            try:
                os.unlink(f"{root}/{rel}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise WriteFailed.of(rel, exc) from None
            self.touched.add(rel.rpartition("/")[0])
        self.present &= keep
        for folder in sorted(self.touched, key=lambda f: -f.count("/")):
            while folder:
                try:
                    os.rmdir(f"{root}/{folder}")
                except OSError:
                    break  # not empty (or not there): neither are the folders above it
                self.dirs.discard(folder)
                folder = folder.rpartition("/")[0]
        self.touched = set()

    def write(self, rel: str, data: bytes) -> None:
        """Write one file of the new tree (see write_file)."""
        write_file(self.root, rel, data, self.dirs)

    def commit(self) -> None:
        """Swap the new tree in: rename the old away and the new in (discard() then deletes the old)."""
        old = None
        try:
            if self.target.exists():
                old = _new_folder(self.target.parent, f".{self.target.name}.old-")
                os.rename(self.target, old / "site")
            os.rename(self.root, self.target)
        except OSError as exc:
            if old is not None:
                _put_back(old, self.target)
            raise WriteFailed.of("", exc) from None
        self.replaced = old
        self.committed = True

    def discard(self) -> None:
        """Keep the new tree as the spare if it was not swapped in (else the tree it replaced, when
        spare_replaced says so), and delete what is not kept."""
        if not self._to_spare(self.root):
            shutil.rmtree(self.root, ignore_errors=True)
        if self.replaced is not None:
            if self.spare_replaced and self._to_spare(self.replaced / "site"):
                try:
                    os.rmdir(self.replaced)
                except OSError:
                    pass  # the next build's lock clears it
                self.replaced = None
                return
            try:
                # A tree half deleted must never be taken for the last good site by the next build's lock.
                os.rename(self.replaced / "site", self.replaced / "replaced")
            except OSError:
                pass
            _remove(self.replaced)
            self.replaced = None
        if self.committed and self.spare is not None and not os.path.lexists(self.spare):
            self._spare_from_output()

    def _spare_from_output(self) -> None:
        """After a build that kept no spare (most of its files were new: a first build), one made of hard links
        to the output just published, so that the next build starts from a spare as every later one does: the
        first build pays for the links (38,000 files in 16,500 folders at 10,000 entries, about half a second),
        not the first edit after it. Made under a temporary name beside the output (a killed build's is
        cleared by the next build's lock); anything unexpected leaves no spare, as before."""
        copy = _new_folder(self.target.parent, f".{self.target.name}.tmp-")
        try:
            target = str(self.target)
            for here, folders, files in os.walk(target):
                into = os.path.join(copy, os.path.relpath(here, target))
                for name in folders:
                    os.mkdir(os.path.join(into, name))
                for name in files:
                    os.link(os.path.join(here, name), os.path.join(into, name))
            os.rename(copy, self.spare)
        except OSError:
            shutil.rmtree(copy, ignore_errors=True)

    def keep_spare_in(self, spare: Path) -> None:
        """Keep the spare at `spare` if a folder there can be renamed to and from the output's (one file system)."""
        try:
            spare.parent.mkdir(exist_ok=True)
            if os.stat(spare.parent).st_dev == os.stat(self.root).st_dev:
                self.spare = spare
        except OSError:
            pass

    def _to_spare(self, folder: Path) -> bool:
        spare = self.spare
        if spare is None or os.path.lexists(spare) or not os.path.isdir(folder):
            return False
        try:
            os.rename(folder, spare)
        except OSError:
            return False
        return True


def write_file(root: Path, rel: str, data: bytes, dirs: set[str]) -> None:
    """Write one file of the new tree at `root`, making its folder unless `dirs` says it was made.

    A failure names `rel` (raised as WriteFailed, which pickles, so a render worker's failure is reported
    by the parent against the output folder, never the temporary folder).
    """
    try:
        _make_parent(str(root), rel, dirs)
        path = root / rel
        # A recycled tree's file is the published one (a hard link): it is replaced, never written in place.
        _unlink_any(path)
        path.write_bytes(data)
    except OSError as exc:
        raise WriteFailed.of(rel, exc) from None


def _unlink_any(path: Path) -> None:
    """Remove what is at `path`, if anything: a file, or a folder a recycled tree has where this build has a
    file."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        if not os.path.isdir(path) or os.path.islink(path):  # unlink refuses a folder: EISDIR, or EPERM
            raise
        shutil.rmtree(path)


def _replace_marker(root: Path) -> None:
    """A fresh marker, made with the modes this build makes files with (the old one is the spare's)."""
    try:
        os.unlink(root / MARKER)
    except FileNotFoundError:
        pass
    (root / MARKER).write_bytes(b"")


def _make_parent(root: str, rel: str, dirs: set[str]) -> None:
    """Make the folders above `rel` under `root` that `dirs` does not list (another process may have made them)."""
    parent = rel.rpartition("/")[0]
    missing = []
    while parent and parent not in dirs:
        missing.append(parent)
        parent = parent.rpartition("/")[0]
    for folder in reversed(missing):
        path = f"{root}/{folder}"
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path) or os.path.islink(path):
                os.unlink(path)  # a recycled tree's file where this build has a folder
                os.mkdir(path)
        dirs.add(folder)


def as_recorded(target: Path, stats: dict[str, tuple[int, int, int]]) -> bool:
    """Whether the folder holds exactly the files of `stats`, each regular with its recorded (size, mtime,
    inode), and no other, all with the modes the build gave them (those of its marker and of the folder
    itself). Each file and folder is looked at once."""
    try:
        file_mode = stat.S_IMODE(os.stat(target / MARKER, follow_symlinks=False).st_mode)
        dir_mode = stat.S_IMODE(os.stat(target, follow_symlinks=False).st_mode) & 0o777
        count = 0
        pending = [("", str(target))]
        while pending:
            prefix, folder = pending.pop()
            with os.scandir(folder) as found:
                for item in found:
                    rel = prefix + item.name
                    st = item.stat(follow_symlinks=False)
                    if stat.S_ISDIR(st.st_mode):
                        if stat.S_IMODE(st.st_mode) & 0o777 != dir_mode:
                            return False
                        pending.append((rel + "/", item.path))
                    elif rel != MARKER:
                        recorded = stats.get(rel)
                        if recorded is None or not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != file_mode \
                                or (st.st_size, st.st_mtime_ns, st.st_ino) != recorded:
                            return False
                        count += 1
    except OSError:
        return False
    return count == len(stats)


def _put_back(old: Path, target: Path) -> None:
    """After a failed swap, the last good site goes back where it was."""
    try:
        if not target.exists() and (old / "site").is_dir():
            os.rename(old / "site", target)
        os.rmdir(old)
    except OSError:
        pass  # the next build's lock puts it back (see locked())


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new folder with a random name under `parent`, with the umask's mode (mkdtemp's is 0700)."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(path, 0o777)
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteFailed.of("", exc) from None
    raise WriteFailed("", errno.EEXIST, os.strerror(errno.EEXIST))


def _remove(folder: Path, budget: float = 0.25) -> None:
    """Delete the replaced tree now if that is quick (so that nothing lingers beside the site once the
    build is over), and hand what is left to a detached process if it is not."""
    deadline = time.monotonic() + budget
    try:
        for here, folders, files in os.walk(folder, topdown=False):
            for name in files:
                os.unlink(os.path.join(here, name))
            for name in folders:
                os.rmdir(os.path.join(here, name))
            if time.monotonic() > deadline:
                _remove_later(folder)
                return
        os.rmdir(folder)
    except OSError:
        _remove_later(folder)


def _remove_later(folder: Path) -> None:
    """Delete the replaced tree in a detached process: freeing tens of thousands of files can take
    longer than the build, and nobody needs to wait for it. The next build removes what is left."""
    try:
        subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", str(folder)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def check_target(target: Path) -> None:
    """Refuse to replace a folder that is not a site we built (an editor's --out ~ must not wipe home)."""
    try:
        foreign = target.exists() and (not target.is_dir() or (any(target.iterdir()) and
                                                               not (target / MARKER).exists()))
    except OSError as exc:
        raise BuildFailed([output_error(target, WriteFailed.of("", exc))]) from None
    if foreign:
        raise BuildFailed([SourceError(str(target), 0, "the output folder exists and was not built by Chorus",
                                       "choose an empty or new folder with --out, or delete this one",
                                       code=Code.OUTPUT)])


@contextmanager
def locked(target: Path):
    """Hold an exclusive lock on the output folder and clear what an interrupted build left."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.parent / f".{target.name}.lock", "w")
    except OSError as exc:
        raise BuildFailed([output_error(target, WriteFailed.of("", exc))]) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _clear_stale(target)
        except OSError as exc:
            raise BuildFailed([output_error(target, WriteFailed.of("", exc))]) from None
        yield


def _clear_stale(target: Path) -> None:
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in sorted(target.parent.glob(f".{target.name}.old-*")):
        # Killed between the two renames of commit(): the last good site is here.
        if not target.exists() and (stale / "site").is_dir():
            os.rename(stale / "site", target)
        shutil.rmtree(stale, ignore_errors=True)
