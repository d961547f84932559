"""The threads already in the site: which post ids each holds, so that an import never writes a thread
twice, and the names already taken in content/threads/.

A thread is recognised by its posts' ids (on its platform), not by its file name: an editor may rename
the file, retitle the thread or reorder its posts, and the next import still finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import Invalid
from ..frontmatter import split
from ..platforms import platform_of

THREADS = Path("content") / "threads"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Existing:
    """A thread file of the site."""

    path: str
    """Relative to the site folder, with '/': content/threads/x.md or content/threads/x/index.md."""
    ids: frozenset[str]
    bundle: bool


@dataclass(frozen=True)
class Site:
    """The threads of a site, by the posts they hold, and the names taken in content/threads/."""

    threads: dict[tuple[str, str], Existing]
    """(platform, post id) -> the thread file that holds the post."""
    names: frozenset[str]

    def holding(self, platform: str, ids: frozenset[str]) -> Existing | None:
        """The thread file that holds any of these posts, or None."""
        for post_id in sorted(ids):
            found = self.threads.get((_family(platform), post_id))
            if found is not None:
                return found
        return None


def _family(platform: str) -> str:
    """Twitter and X posts share their ids."""
    return "twitter" if platform == "x" else platform


def scan(site_dir: Path) -> Site:
    folder = site_dir / THREADS
    threads: dict[tuple[str, str], Existing] = {}
    names: set[str] = set()
    if not folder.is_dir():
        return Site(threads, frozenset())
    for item in sorted(folder.iterdir()):
        names.add(item.name[:-3] if item.name.endswith(".md") else item.name)
        path = item / "index.md" if item.is_dir() else item
        if path.suffix != ".md" or not path.is_file():
            continue
        found = _read(path, site_dir, item.is_dir())
        if found is not None:
            platform, existing = found
            for post_id in existing.ids:
                threads.setdefault((platform, post_id), existing)
    return Site(threads, frozenset(names))


def _read(path: Path, site_dir: Path, bundle: bool) -> tuple[str, Existing] | None:
    """A thread file's platform and post ids; None for a file that cannot be read (the build says why)."""
    try:
        meta = yaml.load(split(path.read_text(encoding="utf-8")).yaml, Loader=_LOADER)
    except (OSError, UnicodeDecodeError, Invalid, yaml.YAMLError):
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("posts"), list):
        return None
    posts = [post for post in meta["posts"] if isinstance(post, dict)]
    platform = meta.get("platform") if isinstance(meta.get("platform"), str) else ""
    if not platform:
        platform = next((platform_of(str(post["url"])) for post in posts if post.get("url")), "")
    ids = frozenset(str(post["id"]) for post in posts if post.get("id") is not None)
    return _family(platform), Existing(path.relative_to(site_dir).as_posix(), ids, bundle)
