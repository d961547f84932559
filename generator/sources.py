"""Stage 2, discover: which files under content/ are entries, in a stable order.

An entry is content/<kind>/<name>.md, or a bundle content/<kind>/<name>/index.md
whose other files are copied beside its page. Anything else under content/ is
reported, never silently skipped (dotfiles and editor backups excepted).

Only regular files and folders are content. A named pipe, a socket, a device or
a link to nothing is refused here, before anything opens it (opening a named
pipe waits for a writer: the build would hang), and so is a name that is not
UTF-8 (it could not be written into a page or a message). Links to files inside
the site are followed; links out of it are refused.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .kinds import KINDS
from .urls import is_output_path
from .errors import Code, SourceError, did_you_mean

CONTENT_DIR = "content"
KIND_DIRS = {kind.folder: kind.name for kind in KINDS}
"""content/ folder -> entry kind."""


@dataclass(frozen=True)
class SourceFile:
    """An entry's Markdown file, found on disk."""

    path: str
    """Relative to the site folder, with '/' separators: content/takes/x.md."""
    kind: str
    """article, take, thread or page."""
    name: str
    """The file or bundle name, the default slug's source."""
    bundle_files: tuple[str, ...] = ()
    """For a bundle, its other files, relative to the bundle folder."""

    @property
    def bundle_dir(self) -> str:
        return self.path.rsplit("/", 1)[0] if self.bundle_files or self.path.endswith("/index.md") else ""


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.endswith("~") or name.endswith(".swp") or name == "Thumbs.db"


def discover(site_dir: Path) -> tuple[list[SourceFile], list[SourceError]]:
    """Every entry under content/, sorted by path; errors for files that are not entries."""
    content = site_dir / CONTENT_DIR
    root = site_dir.resolve()
    if not content.is_dir():
        return [], [SourceError(CONTENT_DIR, 0, "the content/ folder is missing",
                                "create content/articles/ and put an entry there", code=Code.FILE)]
    sources: list[SourceFile] = []
    errors: list[SourceError] = []
    for entry in _listing(str(content), CONTENT_DIR, errors):
        rel = f"{CONTENT_DIR}/{entry.name}"
        problem = _problem(entry, rel, root)
        if problem is not None:
            errors.append(problem)
        elif not _is_dir(entry):
            errors.append(SourceError(_shown(rel), 0, "a file directly in content/ is not an entry",
                                      "move it into content/articles/, takes/, threads/ or pages/", code=Code.FILE))
        elif entry.name not in KIND_DIRS:
            hint = did_you_mean(entry.name, KIND_DIRS) or "expected one of: " + ", ".join(KIND_DIRS)
            errors.append(SourceError(_shown(rel) + "/", 0, f"'{entry.name}' is not a kind of entry", hint,
                                      code=Code.FILE))
        else:
            _discover_kind(entry.path, rel, KIND_DIRS[entry.name], sources, errors, root)
    sources.sort(key=lambda s: s.path)
    return sources, errors


def _discover_kind(folder: str, rel: str, kind: str, sources: list[SourceFile], errors: list[SourceError],
                   root: Path) -> None:
    for entry in _listing(folder, rel, errors):
        path = f"{rel}/{entry.name}"
        problem = _problem(entry, path, root)
        if problem is not None:
            errors.append(problem)
        elif _is_dir(entry):
            _discover_bundle(entry, path, kind, sources, errors, root)
        elif entry.name.endswith(".md"):
            sources.append(SourceFile(path, kind, entry.name[:-3]))
        else:
            errors.append(SourceError(path, 0, "only Markdown (.md) files are entries",
                                      f"put it in a bundle: {rel}/<name>/index.md with the file beside it",
                                      code=Code.FILE))


def _discover_bundle(folder: os.DirEntry, path: str, kind: str, sources: list[SourceFile],
                     errors: list[SourceError], root: Path) -> None:
    index = os.path.join(folder.path, "index.md")
    if not os.path.lexists(index):
        errors.append(SourceError(path + "/", 0, "a folder without index.md is not an entry",
                                  f"add {path}/index.md to make it a bundle, or move its files out", code=Code.FILE))
        return
    files, bad = _bundle_files(folder.path, path, root)
    errors += bad
    if not any(error.path == f"{path}/index.md" for error in bad):
        # A bad file beside it is reported on its own: the entry itself is still known, and read.
        sources.append(SourceFile(f"{path}/index.md", kind, folder.name, files))


def _bundle_files(folder: str, rel: str, root: Path) -> tuple[tuple[str, ...], list[SourceError]]:
    """A bundle's files (index.md aside), relative to its folder, and errors for those that cannot be content."""
    files: list[str] = []
    errors: list[SourceError] = []
    # Iterative, not recursive: a deep tree of folders must not exhaust Python's stack. Each folder carries
    # the real paths of those it is in, so that a link to any of them is refused rather than walked forever.
    pending = [(folder, "", frozenset({os.path.realpath(folder)}))]
    while pending:
        here, sub, ancestors = pending.pop()
        for entry in _listing(here, f"{rel}/{sub}".rstrip("/"), errors):
            name = sub + entry.name
            problem = _problem(entry, f"{rel}/{name}", root)
            if problem is not None:
                errors.append(problem)
            elif _is_dir(entry):
                real = os.path.realpath(entry.path)
                if any((folder_real + os.sep).startswith(real + os.sep) for folder_real in ancestors):
                    errors.append(SourceError(f"{rel}/{name}", 0, "a link to a folder that contains it",
                                              "remove the link: it makes the folder endless", code=Code.FILE))
                else:
                    pending.append((entry.path, name + "/", ancestors | {real}))
            elif name == "index.md":
                continue
            elif not is_output_path(name):
                # It is copied beside the page under its own name: only a plain name can be a published path.
                errors.append(SourceError(_shown(f"{rel}/{name}"), 0, "this file name cannot be published",
                                          "rename it with letters, digits, '-', '_' and '.' only, not starting "
                                          "with '.' or '-'", code=Code.FILE))
            else:
                files.append(name)
    return tuple(sorted(files)), errors


def _listing(folder: str, rel: str, errors: list[SourceError]) -> list[os.DirEntry]:
    """A folder's entries by name, ignored names left out; an error if the folder cannot be listed."""
    try:
        with os.scandir(folder) as found:
            return sorted((e for e in found if not _ignored(e.name)), key=lambda e: e.name)
    except OSError as exc:
        errors.append(SourceError(_shown(rel) + "/", 0, f"the folder cannot be read ({_reason(exc)})",
                                  "check its permissions", code=Code.FILE))
        return []


def _problem(entry: os.DirEntry, rel: str, root: Path) -> SourceError | None:
    """Why `entry` cannot be content, or None for a folder or a regular file (or a link to one in the site)."""
    def refuse(message: str, hint: str) -> SourceError:
        return SourceError(_shown(rel), 0, message, hint, code=Code.FILE)

    if not _is_utf8(entry.name):
        return refuse("the name is not valid UTF-8", "rename it: file and folder names must be UTF-8")
    if _escapes(entry, root):
        return _escape_error(rel)
    try:
        mode = os.stat(entry.path).st_mode  # follows links: what a reader of the path would get
    except OSError as exc:
        if entry.is_symlink() and exc.errno == errno.ENOENT:
            return refuse(f"a link to '{_shown(os.readlink(entry.path))}', which does not exist",
                          "remove the link, or restore the file it points to")
        return refuse(f"the file cannot be read ({_reason(exc)})", "check the file and its permissions")
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    return refuse(f"{_special_kind(mode)}, not a regular file", "remove it: content/ may hold only files and folders")


def _special_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows links, like the stat in _problem
    except OSError:
        return False


def _is_utf8(name: str) -> bool:
    # os.scandir gives undecodable bytes of a name as lone surrogates (surrogateescape).
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str) -> str:
    """A path for a message: bytes that are not UTF-8 as \\xNN, so that it can be printed."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _reason(exc: OSError) -> str:
    """'permission denied', 'too many levels of symbolic links'..."""
    return exc.strerror.lower() if exc.strerror else type(exc).__name__


def _escapes(entry: os.DirEntry, root: Path) -> bool:
    """A symbolic link that leads out of the site folder (a build must not publish /etc/passwd). Whether it is a
    link the listing says where the file system tells it: no lstat per file."""
    try:
        if not entry.is_symlink():
            return False
    except OSError:
        return False
    return not os.path.realpath(entry.path).startswith(str(root) + os.sep)


def _escape_error(rel: str) -> SourceError:
    return SourceError(_shown(rel), 0, "a link to a file outside the site folder",
                       "copy the file into the site instead", code=Code.FILE)


RACY_NS = 2_000_000_000
"""A file changed less than this long ago (or dated in the future) is not judged by its stat: within its
timestamps' granularity (up to 2 s on some file systems) it could change again and keep the same stat."""


def signature(st: os.stat_result, now_ns: int) -> str | None:
    """What says a file is as it was when it was last read, or None when its stat cannot be trusted yet.

    Size and mtime change with an ordinary save. The ctime changes with every write and every os.utime, and no
    program can set it: a file rewritten with its size and mtime put back (`cp -p`, `rsync -t`, a tool that
    restores the mtime) is still seen. The inode and device change when a file is replaced by another (an
    editor's save by rename, a checkout, a link pointed elsewhere). A false change only costs a read: the
    content's digest then says whether anything is to be done.
    """
    if max(st.st_mtime_ns, st.st_ctime_ns) >= now_ns - RACY_NS:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


def file_signature(path: Path | str, now_ns: int) -> str:
    """A file's stat signature, or the digest of its bytes when it changed too recently to trust its stat;
    "gone" when it cannot be read. What a copied file (a bundle's image) is judged by."""
    try:
        trusted = signature(os.stat(path), now_ns)
        return trusted if trusted is not None else "sha256:" + content_digest(read_regular(Path(path)))
    except (OSError, Unreadable):
        return "gone"


def content_digest(data: bytes) -> str:
    """The digest of a source's bytes, recorded with its signature (stage 3 reads a file again only when its
    signature changed, and parses it again only when this digest changed)."""
    return hashlib.sha256(data).hexdigest()


class Unreadable(Exception):
    """A file that cannot be read as content, with what to say about it."""

    def __init__(self, message: str, hint: str, size: int = 0):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.size = size
        """For a file over the size limit, its size in bytes; 0 otherwise."""


def read_regular(path: Path | str, most_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, at most `most_bytes` of them; Unreadable for anything else.

    Checked on the open file, not the name: a file swapped for a named pipe after
    discovery is still refused, and opening does not wait for a writer.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            raise Unreadable(f"a link to '{_shown(os.readlink(path))}', which does not exist",
                             "remove the link, or restore the file it points to") from None
        raise Unreadable("the file is gone", "it was removed while the site was being built; build again") from None
    except OSError as exc:
        raise Unreadable(f"the file cannot be read ({_reason(exc)})", "check the file and its permissions") from None
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise Unreadable(f"{_special_kind(mode.st_mode)}, not a regular file",
                             "replace it with a regular file")
        if most_bytes is not None and mode.st_size > most_bytes:
            raise Unreadable("over the size limit", "", size=mode.st_size)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError as exc:
        raise Unreadable(f"the file cannot be read ({_reason(exc)})", "check the file and its disk") from None
    finally:
        os.close(fd)
