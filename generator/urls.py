"""Slugs and URL paths: the one place that decides where a page lives.

`output_path` is the only maker of output paths: every value that reaches a
path (a slug, an alias, a term, a bundle file name, a page number) goes through
it, and it refuses anything but plain name segments, so no value from content
can name a file outside the output folder. `Route` checks its path again with
`is_output_path`, so a path made some other way cannot be written either.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from .kinds import LISTED_KINDS

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
MAX_SLUG = 200
"""The longest slug: a path segment must stay under the file system's 255 bytes."""
SEGMENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._~-]{0,199}\Z")
"""One segment of an output path: letters, digits, '.', '_', '~' and '-', not starting with '.' or '-'."""
RESERVED_DIRS = ("pagefind",)
"""Folders the generator fills itself (the search index): no page or alias may live under them."""


class UnsafePath(ValueError):
    """A value that cannot be part of an output path."""


def output_path(*segments: str) -> str:
    """Segments joined into a site-relative path ('articles/x/index.html'); refuses any unsafe segment."""
    for segment in segments:
        if not SEGMENT_RE.match(segment):
            raise UnsafePath(f"'{segment}' cannot be part of a published path")
    return "/".join(segments)


def output_dir(*segments: str) -> str:
    """A site-relative directory with its trailing '/' ('' for the root)."""
    return output_path(*segments) + "/" if segments else ""


def is_output_path(path: str) -> bool:
    """Whether `path` is one output_path could have made."""
    return bool(path) and all(SEGMENT_RE.match(segment) for segment in path.split("/"))


def dir_segments(directory: str) -> list[str]:
    """'regions/us/' -> ['regions', 'us']."""
    return [part for part in directory.split("/") if part]
KIND_SECTIONS = {kind.name: kind.section for kind in LISTED_KINDS}
"""Entry kind -> the URL section of its pages and listing; pages live at the root."""


def slugify(value: str) -> str:
    """Lowercase a-z, 0-9 and '-': "Élysée" -> "elysee", "Москва" -> "moskva", "#MeToo" -> "metoo".

    anyascii transliterates every script, so a name with no Latin letters still
    gets a readable slug rather than an empty one.
    """
    ascii_text = anyascii(unicodedata.normalize("NFC", value)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def entry_path(kind: str, slug: str) -> str:
    """The site-relative directory of an entry's page: 'articles/x/' or, for a page, 'about/'."""
    section = KIND_SECTIONS.get(kind)
    return output_dir(section, slug) if section else output_dir(slug)


def page_path(listing: str, number: int) -> str:
    """Page n of a listing: page 1 is the listing itself (no /page/1/)."""
    return listing if number == 1 else output_dir(*dir_segments(listing), "page", str(number))


def normalise_alias(alias: str) -> str | None:
    """An alias as a site-relative output path, or None when it is not a usable path.

    '/2017/10/old/' -> '2017/10/old/index.html'; '/old.html' -> 'old.html'.
    """
    if not alias.startswith("/") or "//" in alias:
        return None
    parts = [p for p in alias.split("/") if p]
    if not parts:
        return None
    if not (alias.endswith(".html") or alias.endswith(".htm")):
        parts.append("index.html")
    try:
        return output_path(*parts)
    except UnsafePath:
        return None


def entry_id(entry, base_url: str) -> str:
    """The entry's original URL: an id that stays the same for the life of the entry.

    The original URL is the first alias of the form of this kind's entry URLs
    (/articles/<old-slug>/), else the current URL. Renaming a slug while keeping
    the old URL in `aliases`, as the docs ask, therefore keeps the id; changing
    the title, the date or the file name never touches it. Only moving the whole
    archive to another base_url changes every id, as it changes every URL.
    """
    section = KIND_SECTIONS.get(entry.kind, "")
    original = f"{section}/{entry.slug}/"
    pattern = re.compile(rf"^/{section}/[a-z0-9-]+/\Z")
    for alias in entry.meta.aliases:
        if pattern.match(alias):
            original = alias[1:]
            break
    return base_url + original
