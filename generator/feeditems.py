"""Feed items: each entry's RSS <item>, Atom <entry> and JSON Feed item, made once and kept outside memory.

An entry is carried by a dozen feeds (the site's, its kind's, each of its terms'); its three items are
serialised once, from the view model its page was rendered with, and every feed splices them in
(outputs/feeds.py). The XML is written here rather than built with feedgen and lxml, byte for byte as
they wrote it (tests/test_feeds.py compares the two on hostile text): one element tree per item and per
feed cost about a tenth of a cold build.

Escaping has one place per kind of value: `clean` for plain text, `rss_description` for an RSS
<description> (HTML, as every reader renders it), `feed_html` for the HTML of content (RSS
content:encoded, Atom content, JSON Feed content_html), and `xml_text` / `xml_attribute` for whatever
goes into the XML.

The items live in a `FragmentStore`: files of a folder, one per process, written by whichever process
renders the entry's page and read by any process forked later, so that neither the parent nor a worker
holds every entry's items in memory. With a cache, the folder is kept between builds with an index of
each entry's items and the input pairs they were made from (judged as a file's are, generator/inputs.py):
after an edit, a feed remakes the items of the entries whose inputs changed, and splices in the others'.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from .entries import Entry
from .inputs import SHELL, Stores
from .kinds import CLOSED_TAXONOMIES
from .markup import sanitise
from .urls import entry_id

RSS_NAMESPACES = (("content", "http://purl.org/rss/1.0/modules/content/"),
                  ("dc", "http://purl.org/dc/elements/1.1/"))
FORMATS = ("feed.xml", "atom.xml", "feed.json")
"""The order of an entry's three items in its stored fragments."""

# Characters XML 1.0 cannot hold: a post copied from a platform may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clean(text: str) -> str:
    """Text safe for an XML document: invalid characters removed."""
    return _INVALID_XML.sub("", text)


def rss_description(text: str) -> str:
    """Plain text as the HTML of an RSS <description>, which every reader renders as HTML.

    HTML-escaped here and XML-escaped when written, so that a reader that
    unescapes the XML once finds text (`&lt;img&gt;`), never an element.
    """
    return html.escape(clean(text), quote=False)


def feed_html(html_text: str, page_url: str) -> str:
    """HTML as a feed carries it: through the sanitiser, every URL absolute, nothing XML cannot hold.

    Sanitised even when markdown.unsafe_html is true: that trusts the editor's
    raw HTML on the site's own pages, not in every subscriber's reader. Relative
    URLs are made absolute against the entry's URL, since readers have no base.
    """
    return sanitise(clean(html_text), base_url=page_url)


def xml_text(value: str) -> str:
    """Text as the content of an XML element (as lxml writes it: quotes as they are, CR as a reference)."""
    # str.replace, not str.translate: a dozen times faster on an entry's whole content.
    text = clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text


def xml_attribute(value: str) -> str:
    """Text as a double-quoted XML attribute value (as lxml writes it: whitespace other than spaces as
    references, so that a reader's attribute normalisation cannot change it)."""
    text = xml_text(value).replace('"', "&quot;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;")


def rfc822(moment: datetime) -> str:
    """An RSS date, in English whatever the locale: `Tue, 17 Oct 2017 00:00:00 +0000`."""
    return f"{_DAYS[moment.weekday()]}, {moment:%d} {_MONTHS[moment.month - 1]} {moment:%Y %H:%M:%S %z}"


def element(name: str, text: str, indent: str = "  ") -> str:
    return f"{indent}<{name}>{xml_text(text)}</{name}>\n"


@dataclass(frozen=True)
class FeedItem:
    """What a feed needs of one entry; `content` is HTML already made safe with `feed_html`, the rest is
    plain text."""

    id: str
    url: str
    title: str
    published: datetime
    updated: datetime
    authors: tuple[str, ...]
    categories: tuple[tuple[str, str], ...]
    """(term, label) pairs."""
    summary: str
    content: str
    lang: str


def rss_item(item: FeedItem, content: str | None = None) -> str:
    """The entry's RSS 2.0 <item>, declaring the namespaces it may use (it is spliced into a feed).
    `content`: item.content already escaped with xml_text, when at hand."""
    content = xml_text(item.content) if content is None else content
    title, summary = clean(item.title), clean(item.summary) or clean(item.title)
    namespaces = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in RSS_NAMESPACES)
    out = [f"<item {namespaces}>\n"]
    if title:
        out.append(element("title", title))
    if item.url:
        out.append(element("link", item.url))
    description = rss_description(summary)
    if description:
        out.append(element("description", description))
        if item.content:
            out.append(f"  <content:encoded>{content}</content:encoded>\n")
    elif item.content:
        out.append(f"  <description>{content}</description>\n")
    out.append(f'  <guid isPermaLink="false">{xml_text(item.id)}</guid>\n')
    out += [element("category", clean(label)) for _term, label in item.categories]
    out.append(element("pubDate", rfc822(item.published)))
    out += [element("dc:creator", clean(name)) for name in item.authors]
    out.append("</item>\n")
    return "".join(out)


def atom_entry(item: FeedItem, content: str | None = None) -> str:
    """The entry's Atom <entry> (in the feed's default namespace once spliced in). `content`: as for
    rss_item."""
    content = xml_text(item.content) if content is None else content
    lang = f' xml:lang="{xml_attribute(item.lang)}"' if item.lang else ""
    out = [f"<entry{lang}>\n", element("id", item.id), element("title", clean(item.title)),
           element("updated", item.updated.isoformat())]
    out += [f"  <author>\n{element('name', name, '    ')}  </author>\n"
            for name in (clean(n) for n in item.authors) if name]
    if item.content:
        out.append(f'  <content type="html">{content}</content>\n')
    out.append(f'  <link href="{xml_attribute(item.url)}"/>\n')  # feedgen leaves out rel="alternate" (the default)
    summary = clean(item.summary) or clean(item.title)
    out.append(element("summary", summary) if summary else "  <summary/>\n")
    for term, label in item.categories:
        label = clean(label)
        label_attribute = f' label="{xml_attribute(label)}"' if label else ""
        out.append(f'  <category term="{xml_attribute(clean(term))}"{label_attribute}/>\n')
    out.append(element("published", item.published.isoformat()))
    out.append("</entry>\n")
    return "".join(out)


def json_item(item: FeedItem) -> str:
    """The entry's JSON Feed 1.1 item, indented as it sits in the feed's `items` list."""
    entry: dict = {"id": item.id, "url": item.url, "title": item.title}
    if item.content:
        entry["content_html"] = item.content
    else:
        entry["content_text"] = item.summary or item.title
    entry["summary"] = item.summary
    entry["date_published"] = item.published.isoformat()
    entry["date_modified"] = item.updated.isoformat()
    if item.authors:
        entry["authors"] = [{"name": name} for name in item.authors]
    if item.categories:
        entry["tags"] = [label for _term, label in item.categories]
    if item.lang:
        entry["language"] = item.lang
    # A JSON string never holds a line break, so every line of the item can be indented by its depth.
    return "\n".join("    " + line for line in json.dumps(entry, ensure_ascii=False, indent=2).split("\n"))


# ---- where the items are kept ------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """Where one entry's items are, and what they were made from."""

    file: str
    """The name of the file in the store's folder ('' when kept in memory)."""
    offset: int
    sizes: tuple[int, ...]
    """The byte length of each format's item, in the order of FORMATS."""
    updated: datetime
    """The entry's last update: a feed says it was updated at its newest item's."""
    keys: frozenset
    """The input keys read to make the items; they count for every feed that carries them."""
    check: int = 0
    """The CRC-32 of the items' bytes: an earlier build's are used only if their bytes are as it wrote them."""


KEPT = "feed-items"
"""The name of the index of the items kept between builds, among the cache's stores (inputs.Stores)."""
FILE_PREFIX = "items-"
"""The start of the name of every file of items (in the cache folder when they are kept between builds)."""
MAX_FILES = 16
"""Item files kept between builds, at most, before the small ones are copied into one (each build that makes
items adds a file per process; each is opened by every process that reads from it)."""


class FragmentStore:
    """Each entry's feed items, by entry path: appended to one file per process in `folder`.

    A process forked after an entry's items were stored (and told where, by `merge`) reads them with
    pread from the writer's file. With no folder (a context rendered outside `render_many`), the items
    are kept in memory.

    Opened with the cache's stores, the folder is kept between builds: an earlier build's items are used
    where every input they were made from is unchanged (judged as the files are, by their input pairs), and
    `save` (by the parent, once, after a render that succeeded) keeps this build's for the next. A lost
    index or file only means making items again.
    """

    def __init__(self) -> None:
        self.folder: Path | None = None
        self._index: dict[str, Stored] = {}
        """The items this build may use: made, merged from a worker, or an earlier build's judged unchanged."""
        self._made: set[str] = set()
        """The entries whose items this build made (or merged): their index records change."""
        self._stores: Stores | None = None
        self._kept = None
        """The earlier builds' items, if kept: entry path -> (input pairs, (file, offset, sizes, updated, check))."""
        self._prefix = ""
        """The start of this build's file names: the building process's id and a token of this build."""
        self._memory: dict[str, bytes] = {}
        self._added: list[tuple[str, Stored]] = []
        self._writer: tuple[int, int] | None = None
        """(pid, file descriptor) of the file this process appends to."""
        self._size = 0
        """The length of that file."""
        self._readers: dict[str, int] = {}

    def open(self, folder: Path, stores: Stores | None = None) -> None:
        """Start storing in `folder`, forgetting what an earlier render stored; with `stores` (the cache's),
        `folder` is the one kept between builds, and the items kept there are used where still valid."""
        self.close()
        self.folder = folder
        self._prefix = f"{FILE_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        if stores is not None and stores.folder is not None:
            self._stores, self._kept = stores, stores.open(KEPT)

    def close(self) -> None:
        """Forget every item and close this process's files (the folder is its owner's to remove)."""
        for fd in self._readers.values():
            os.close(fd)
        if self._writer is not None and self._writer[0] == os.getpid():
            os.close(self._writer[1])
        self.folder, self._writer, self._size, self._stores, self._kept = None, None, 0, None, None
        self._index, self._memory, self._added, self._readers, self._made = {}, {}, [], {}, set()

    def __contains__(self, path: str) -> bool:
        return path in self._index

    def has(self, path: str, still: Callable[[object], bool]) -> bool:
        """Whether the entry's items are at hand: made by this build, or kept by an earlier one from inputs
        `still` finds unchanged."""
        return path in self._index or self._judged(path, still) is not None

    def get(self, path: str, still: Callable[[object], bool] | None = None) -> tuple[Stored, list[bytes]] | None:
        """The entry's items, if this build made them or (given `still`) an earlier build's are still valid;
        None when they are to be made (never made, changed, or their file is lost)."""
        found = self._index.get(path)
        if found is None and still is not None:
            found = self._judged(path, still)
        if found is None:
            return None
        data = self._memory.get(path) if not found.file else self._read(found, path not in self._made)
        if data is None:
            del self._index[path]
            self._made.discard(path)
            return None
        parts, start = [], 0
        for size in found.sizes:
            parts.append(data[start:start + size])
            start += size
        return found, parts

    def put(self, path: str, parts: list[bytes], updated: datetime, keys: frozenset) -> Stored:
        data = b"".join(parts)
        sizes = tuple(len(part) for part in parts)
        if self.folder is None:
            self._memory[path] = data
            stored = Stored("", 0, sizes, updated, keys)
        else:
            stored = Stored(self._append(data), self._size - len(data), sizes, updated, keys, zlib.crc32(data))
        self._index[path] = stored
        self._made.add(path)
        self._added.append((path, stored))
        return stored

    def added(self) -> list[tuple[str, Stored]]:
        """What this process stored since the last call: for the parent to `merge` before it forks again."""
        added, self._added = self._added, []
        return added

    def merge(self, added: list[tuple[str, Stored]]) -> None:
        self._index.update(added)
        self._made.update(path for path, _ in added)

    def save(self, inputs, fed: frozenset[str]) -> None:
        """Keep the items of the entries some feed carries for the next build, each with the pairs of the
        inputs it was made from; forget the others, remove the files no item is in any more, and copy the
        live items of wasteful files (more dead bytes than live, or too many small files) into one."""
        if self._stores is None or self.folder is None:
            return
        kept, changed, live = {}, {}, {}
        for path in fed:
            if path in self._made:
                stored = self._index[path]
                record = changed[path] = (inputs.pairs(stored.keys | {SHELL}),
                                          (stored.file, stored.offset, stored.sizes, stored.updated, stored.check))
            else:
                record = self._kept.get(path)
                if not _well_formed(record):
                    continue
            kept[path] = record
            file, _, sizes, _, _ = record[1]
            live[file] = live.get(file, 0) + sum(sizes)
        on_disk = self._file_sizes()
        try:
            copied, emptied = self._copy_wasteful(kept, live, on_disk)
        except OSError:  # no room to copy them: the wasteful files stay as they are
            copied, emptied = {}, set()
        changed.update(copied)
        kept.update(copied)
        index = self._stores.open(KEPT)
        for path, value in changed.items():
            index.put(path, value)
        self._stores.close(KEPT, set(kept))
        # Only once the index no longer names them, so that a build killed meanwhile finds every file it names;
        # another build's files only when it is over (it may be reading them).
        named = {location[0] for _, location in kept.values()}
        for name in on_disk:
            if name not in named and (name in emptied or self._abandoned(name)):
                _remove(self.folder / name)

    def _file_sizes(self) -> dict[str, int]:
        """The item files in the folder, by name, with their lengths."""
        try:
            with os.scandir(self.folder) as found:
                return {f.name: f.stat().st_size for f in found if f.name.startswith(FILE_PREFIX) and f.is_file()}
        except OSError:
            return {}

    def _copy_wasteful(self, kept: dict, live: dict[str, int], on_disk: dict[str, int]) -> tuple[dict, set[str]]:
        """Copy the items kept (`live`: their bytes in each file) of the files that waste the most into this
        process's file: those with more bytes of items no longer used than of items used, and, past MAX_FILES
        files, the small ones (each edit adds a small file). Returns the items' new index records (the items
        that could not be read are left out of `kept`), and the files emptied."""
        own = f"{self._prefix}-{os.getpid()}"
        # A file named but not there is lost: its items are forgotten (and made again when needed).
        wasteful = {name for name, size in live.items()
                    if name != own and (name not in on_disk or size < on_disk[name] - size)}
        if len(live) > MAX_FILES:
            small = sum(live.values()) // MAX_FILES
            wasteful |= {name for name, size in live.items() if size < small and name != own}
        copied, lost = {}, []
        if not wasteful:
            return copied, wasteful
        for path, (pairs, (file, offset, sizes, updated, check)) in kept.items():
            if file in wasteful:
                data = self._read(Stored(file, offset, sizes, updated, frozenset(), check), True)
                if data is None:  # made again by the next build that needs them
                    lost.append(path)
                else:
                    copied[path] = (pairs, (self._append(data), self._size - len(data), sizes, updated, check))
        for path in lost:
            del kept[path]
        return copied, wasteful

    def _abandoned(self, name: str) -> bool:
        """Whether a file no item is in belongs to this build or to one that is over (a build killed, or
        one whose index this build's replaced); not to a build still running, which may read it."""
        builder = name[len(FILE_PREFIX):].partition("-")[0]
        return not builder.isdigit() or int(builder) == os.getpid() or not process_alive(int(builder))

    def _judged(self, path: str, still: Callable[[object], bool]) -> Stored | None:
        """An earlier build's items of the entry, if every input they were made from is unchanged."""
        found = self._kept.get(path) if self._kept is not None else None
        if not _well_formed(found) or not still(found[0]):
            return None
        pairs, (file, offset, sizes, updated, check) = found
        stored = self._index[path] = Stored(file, offset, sizes, updated,
                                            frozenset(key for key, _ in pairs if key != SHELL), check)
        return stored

    def _read(self, stored: Stored, checked: bool) -> bytes | None:
        """The bytes of the entry's items; None if an earlier build's are lost: their file gone, shorter, or
        (`checked`: not made by this build) not as it wrote them."""
        length = sum(stored.sizes)
        try:
            data = os.pread(self._reader(stored.file), length, stored.offset)
        except OSError:
            return None
        if len(data) != length or (checked and zlib.crc32(data) != stored.check):
            return None
        return data

    def _append(self, data: bytes) -> str:
        """Append to this process's own file (a forked worker inherits its parent's writer, and must not
        append to it); returns the file's name."""
        pid = os.getpid()
        if self._writer is None or self._writer[0] != pid:
            name = f"{self._prefix}-{pid}"
            self._writer = (pid, os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            self._size = os.fstat(self._writer[1]).st_size
        os.write(self._writer[1], data)  # unbuffered: a worker ends with os._exit, and others read the file after
        self._size += len(data)
        return f"{self._prefix}-{pid}"

    def _reader(self, name: str) -> int:
        fd = self._readers.get(name)
        if fd is None:
            fd = self._readers[name] = os.open(self.folder / name, os.O_RDONLY)
        return fd


def _well_formed(found) -> bool:
    """Whether an index record read back from the cache has the shape this code writes (a cache written by
    other code is judged changed, never trusted)."""
    return (isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], frozenset)
            and isinstance(found[1], tuple) and len(found[1]) == 5)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def process_alive(pid: int) -> bool:
    """Whether a process of this id is running (whose files, then, are not to be removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


# ---- making an entry's items ---------------------------------------------------

STORE = ("feed items",)
"""The memo key of the context's FragmentStore (one per context, inherited by forked workers)."""


def store_of(ctx) -> FragmentStore:
    return ctx.memo(STORE, FragmentStore)


def items_of(ctx, entry: Entry) -> tuple[Stored, list[bytes]]:
    """The entry's items in every format: stored by the render of its page, kept from an earlier build whose
    items were made from the same inputs, or made now."""
    store = store_of(ctx)
    found = store.get(entry.path, ctx.inputs.still)
    if found is not None:
        ctx.recorder.replay(found[0].keys)
        return found
    return _keep(ctx, store, entry, None, frozenset())


def keep_items(ctx, entry: Entry, view, view_keys: frozenset) -> None:
    """Called as the entry's page is rendered: its items, made from the page's view model (None for a
    withdrawn entry) while it is at hand, if a feed carries the entry and they are not at hand already.

    An item reads nothing its page does not (the entry, its tags' titles, the view's inputs), so the
    page's recorded inputs are unchanged (tests/test_feeds.py)."""
    store = store_of(ctx)
    if entry.path in _fed(ctx) and not store.has(entry.path, ctx.inputs.still):
        _keep(ctx, store, entry, view, view_keys)


def save_items(ctx) -> None:
    """Keep this build's items for the next (by the parent, once its render succeeded)."""
    store_of(ctx).save(ctx.inputs, _fed(ctx))


def _fed(ctx) -> frozenset[str]:
    """The entries some feed carries."""
    def compute():
        count = ctx.site.config.feeds.items
        return frozenset(e.path for listing in ctx.site.feed_listings() for e in listing.feed_entries[:count])
    return ctx.memo(("fed entries",), compute)


def _keep(ctx, store: FragmentStore, entry: Entry, view, view_keys: frozenset) -> tuple[Stored, list[bytes]]:
    with ctx.recorder.recording() as keys:
        ctx.recorder.replay(view_keys)
        item = make_item(ctx, entry, view)
    content = xml_text(item.content)
    parts = [rss_item(item, content).encode("utf-8"), atom_entry(item, content).encode("utf-8"),
             json_item(item).encode("utf-8")]
    return store.put(entry.path, parts, item.updated, frozenset(keys)), parts


def make_item(ctx, entry: Entry, view=None) -> FeedItem:
    """The entry as a feed item; `view` is its page's view model when already made."""
    views, config = ctx.views, ctx.site.config
    ctx.record("entry", entry.path)
    url = views.absolute(ctx.site.urls[entry.path])
    meta = entry.meta
    if meta.withdrawn:
        notice = ctx.template("feed_withdrawn.html", notice=views.notice(entry)).decode("utf-8")
        text = f"This entry was withdrawn. {meta.withdrawn.reason}"
        return FeedItem(entry_id(entry, config.base_url), url, "Withdrawn", meta.date.at, meta.withdrawn.date.at,
                        (), (), text, feed_html(notice.strip(), url), "")
    view = view if view is not None else views.entry(entry)
    summary = view.summary
    if meta.content_warnings:
        summary = f"Content warning: {', '.join(meta.content_warnings)}. {summary}".strip()
    if config.feeds.full_content:
        content = ctx.template("feed_content.html", entry=view).decode("utf-8").strip()
    else:
        content = ctx.template("feed_summary.html", entry=view, summary=summary).decode("utf-8").strip()
    authors = [a.name for a in meta.authors] or ([meta.author.name] if meta.author else [])
    categories = [(t.key, views.tag_title(t)) for t in meta.tags]
    for taxonomy in CLOSED_TAXONOMIES:
        vocabulary = config.taxonomies.of(taxonomy)
        categories += [(slug, vocabulary.term(slug).title) for slug in getattr(meta, taxonomy)]
    return FeedItem(entry_id(entry, config.base_url), url, view.title, meta.date.at, (meta.updated or meta.date).at,
                    tuple(authors), tuple(categories), summary, feed_html(content, url) if content else "",
                    meta.lang or config.language)
