"""Stage 2, discover: which files under content/ are entries, in a stable order.

An entry is content/<kind>/<name>.md, or a bundle content/<kind>/<name>/index.md
whose other files are copied beside its page. Anything else under content/ is
reported, never silently skipped (dotfiles and editor backups excepted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError, did_you_mean

CONTENT_DIR = "content"
KIND_DIRS = {"articles": "article", "takes": "take", "threads": "thread", "pages": "page"}
"""content/ folder -> entry kind."""
KINDS = tuple(KIND_DIRS.values())


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
                                "create content/articles/ and put an entry there")]
    sources: list[SourceFile] = []
    errors: list[SourceError] = []
    for entry in sorted(os.scandir(content), key=lambda e: e.name):
        if _ignored(entry.name):
            continue
        rel = f"{CONTENT_DIR}/{entry.name}"
        if _escapes(entry.path, root):
            errors.append(_escape_error(rel))
        elif not entry.is_dir():
            errors.append(SourceError(rel, 0, "a file directly in content/ is not an entry",
                                      "move it into content/articles/, takes/, threads/ or pages/"))
        elif entry.name not in KIND_DIRS:
            hint = did_you_mean(entry.name, KIND_DIRS) or "expected one of: " + ", ".join(KIND_DIRS)
            errors.append(SourceError(rel + "/", 0, f"'{entry.name}' is not a kind of entry", hint))
        else:
            _discover_kind(Path(entry.path), rel, KIND_DIRS[entry.name], sources, errors, root)
    sources.sort(key=lambda s: s.path)
    return sources, errors


def _discover_kind(folder: Path, rel: str, kind: str, sources: list[SourceFile], errors: list[SourceError],
                   root: Path) -> None:
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if _ignored(entry.name):
            continue
        path = f"{rel}/{entry.name}"
        if _escapes(entry.path, root):
            errors.append(_escape_error(path))
        elif entry.is_dir():
            if os.path.isfile(os.path.join(entry.path, "index.md")):
                files, escaped = _bundle_files(Path(entry.path), root)
                errors += [_escape_error(f"{path}/{name}") for name in escaped]
                if not escaped:
                    sources.append(SourceFile(f"{path}/index.md", kind, entry.name, files))
            else:
                errors.append(SourceError(path + "/", 0, "a folder without index.md is not an entry",
                                          f"add {path}/index.md to make it a bundle, or move its files out"))
        elif entry.name.endswith(".md"):
            sources.append(SourceFile(path, kind, entry.name[:-3]))
        else:
            errors.append(SourceError(path, 0, "only Markdown (.md) files are entries",
                                      f"put it in a bundle: {rel}/<name>/index.md with the file beside it"))


def _bundle_files(folder: Path, site_root: Path) -> tuple[tuple[str, ...], list[str]]:
    """A bundle's files, and those that are links out of the site folder."""
    files, escaped = [], []
    for here, dirs, names in os.walk(folder):
        for name in sorted(d for d in dirs if _escapes(os.path.join(here, d), site_root)):
            escaped.append(os.path.relpath(os.path.join(here, name), folder).replace(os.sep, "/"))
        dirs[:] = sorted(d for d in dirs if not _ignored(d) and not _escapes(os.path.join(here, d), site_root))
        for name in names:
            if _ignored(name):
                continue
            rel = os.path.relpath(os.path.join(here, name), folder).replace(os.sep, "/")
            if _escapes(os.path.join(here, name), site_root):
                escaped.append(rel)
            elif rel != "index.md":
                files.append(rel)
    return tuple(sorted(files)), escaped


def _escapes(path: str, root: Path) -> bool:
    """A symbolic link that leads out of the site folder (a build must not publish /etc/passwd)."""
    return os.path.islink(path) and not os.path.realpath(path).startswith(str(root) + os.sep)


def _escape_error(rel: str) -> SourceError:
    return SourceError(rel, 0, "a link to a file outside the site folder", "copy the file into the site instead")
