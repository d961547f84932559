"""Slugs and URL paths: the one place that decides where a page lives."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KIND_SECTIONS = {"article": "articles", "take": "takes", "thread": "threads"}
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
    return f"{section}/{slug}/" if section else f"{slug}/"


def page_path(listing: str, number: int) -> str:
    """Page n of a listing: page 1 is the listing itself (no /page/1/)."""
    return listing if number == 1 else f"{listing}page/{number}/"


def normalise_alias(alias: str) -> str | None:
    """An alias as a site-relative output path, or None when it is not a usable path.

    '/2017/10/old/' -> '2017/10/old/index.html'; '/old.html' -> 'old.html'.
    """
    if not alias.startswith("/") or "//" in alias or "\\" in alias or "?" in alias or "#" in alias:
        return None
    parts = [p for p in alias.split("/") if p]
    if not parts or any(p in (".", "..") or any(ord(c) < 32 for c in p) for p in parts):
        return None
    if alias.endswith(".html") or alias.endswith(".htm"):
        return "/".join(parts)
    return "/".join(parts) + "/index.html"
