"""`chorus serve`'s fast path: an edit to an entry's body shown in well under a second, whatever the archive's size.

A save that changes only an entry's own page (its body: same front matter,
same summary, the same links and embedded threads) is re-read and its page
re-rendered with the site kept in memory from the last build, and written into
the served folder; the browser reloads at once. The full incremental build
follows, as for any change, and brings everything else up to date (feeds with
full text, open data, the search index); it writes the same bytes for the
previewed page. Any other change (front matter, a new or deleted file,
site.yaml, templates, an error) skips the fast path: the build alone decides.

The previewed entry passes the same privacy check as at assembly; the page is
only served locally, never published: publishing is the build's, behind its gate.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import replace
from pathlib import Path

from .entries import Entry, read_entry
from .markup import MarkdownRenderer
from .outputs.pages import EntryPage
from .render import RenderContext
from .routes import Route
from .sources import Unreadable, read_regular


def preview(context: RenderContext, site_dir: Path, root: Path, changed: set[str]) -> list[str]:
    """Re-render the pages of the entries whose edit changed nothing but their own page, into `root` (the
    served folder); returns their paths in the site, or [] when any change needs the full build."""
    site = context.site
    by_path = {entry.path: entry for entry in site.entries}
    edited: list[Entry] = []
    for changed_path in sorted(changed):
        rel = _relative(site_dir, changed_path)
        old = by_path.get(rel) if rel is not None else None
        if old is None or old.meta.withdrawn:
            return []
        try:
            raw = read_regular(site_dir / rel, site.config.limits.max_file_mb * 1_000_000)
        except Unreadable:
            return []
        new, errors = read_entry(old.source, raw, site.config, MarkdownRenderer(site.config.markdown.unsafe_html))
        if errors or new is None or not _only_its_page(old, new) or site.privacy.check_entry(new):
            return []
        edited.append(new)
    pages = []
    for new in edited:
        for route in context.routes:
            if isinstance(route.target, EntryPage) and route.target.entry.path == new.path:
                data, _ = context.fresh().render(Route(route.path, route.owner, replace(route.target, entry=new)))
                _replace(root, route.path, data)
                pages.append(route.path)
    return pages


def _only_its_page(old: Entry, new: Entry) -> bool:
    """Whether the edit changes no other page: everything but the body's text is as it was."""
    return (new.meta == old.meta and new.summary == old.summary and new.links == old.links
            and [e.slug for e in new.embeds if e.kind == "thread"] == [e.slug for e in old.embeds if e.kind == "thread"]
            and new.warnings == old.warnings)


def _relative(site_dir: Path, path: str) -> str | None:
    try:
        return Path(path).relative_to(site_dir).as_posix()
    except ValueError:
        return None


def _replace(root: Path, rel: str, data: bytes) -> None:
    """Write the file whole, then put it in place: the server never sends half a page."""
    target = root / rel
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".preview-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))  # the build's mode for the same file
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise

