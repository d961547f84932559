"""The private people of an archive: every form of their handle, redaction, and the publish gate.

A person marked `private: true` (a thread's author or a post block's author) in
any entry is private everywhere. This module is the one place that knows them:

- the read stage drops the fields that carry their identity (`drop_identity`);
- the views replace @mentions of them in prose by the name the editor gave
  (`Privacy.redact`, `Privacy.mention_name`);
- assembly walks every string of every entry, generically, so that a new field
  cannot be forgotten, and refuses any form of a private handle that redaction
  would not remove (`Privacy.check_entry`);
- the write stage scans every byte and every path about to be published, after
  decoding what a browser or a search index would decode (`Privacy.scan`), and
  refuses to publish on a hit. That last gate holds for outputs nobody has
  written yet.

A handle's forms: the handle itself in any case (`zz_secret`), as a mention
(`@zz_secret`, `@user@host`), in a profile path (`host/@user`,
`host/users/user`), percent-encoded (`zz%5Fsecret`), as HTML or JSON escapes,
and split by markup (`zz_<em></em>secret`).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import html.entities
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ahocorasick_rs import BytesAhoCorasick, Implementation
from markupsafe import escape

from .errors import Code, SourceError

PROSE_FIELDS = frozenset({("FrontMatter", "title"), ("FrontMatter", "summary"), ("Post", "text"),
                          ("PostBlock", "text"), ("Media", "alt")})
"""(record, field) pairs whose text the views redact before showing: an @mention there becomes a name.
Every other string is shown as written, so any form of a private handle in it is refused."""
DECLARATION_FIELDS = frozenset({("Person", "handle")})
"""Where a handle is declared, never shown for a private person."""

MAX_DECOMPRESSED = 256 * 1024 * 1024
"""A compressed output file is scanned up to this size once decompressed."""
PIECE = 1 << 20
"""A larger file is searched a piece of about this size at a time (`Privacy._search_pieces`): the search makes
copies of what it reads (lowercased, decoded, markup removed), four of a 53 MB entries.json at 50,000 entries."""

_MENTION_RE = re.compile(
    r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")
"""An @mention: @user, @user.name or @user@host, not preceded by a word character, '@' or '/'."""
ScanFiles = Callable[[Path, list[str]], Iterable[tuple[str, str | None]]]
"""(root, paths) -> (path, the private handle in the bytes of the file at root / path, or None) for each path."""
_TAG = re.compile(rb"<[^>]*>")
_GZIP = b"\x1f\x8b"
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Hit:
    """A private handle found where it would be published."""

    handle: str
    name: str
    where: str
    """The field path (`source.publisher`, `posts[2].url`), or an output path."""
    line: int = 0


def handle_forms(handle: str) -> tuple[str, ...]:
    """Every spelling of a (lowercased) handle that identifies its person outside a mention."""
    if "@" in handle:
        user, host = handle.split("@", 1)
        return (handle, f"{host}/@{user}", f"{host}/users/{user}")
    return (handle,)


_HANDLE_CODES = sorted({ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@/-%"})
"""Characters a handle can hold ([a-z0-9_.@/-], any case), and '%' (for double encoding)."""
_HANDLE_ENTITIES = sorted(name for name, value in html.entities.html5.items()
                          if name.endswith(";") and len(value) == 1 and ord(value) in _HANDLE_CODES)
_ESCAPE_TOKENS = tuple(sorted({token.lower().encode("ascii") for c in _HANDLE_CODES for token in (
    f"%{c:02x}", f"&#{c}", f"&#x{c:x}", f"\\u00{c:02x}")} | {b"&#0", b"&#x0"}
    | {f"&{name}".lower().encode("ascii") for name in _HANDLE_ENTITIES}))
"""Escapes that decode to such a character. Only these can hide a handle: `&#34;` or `%20` decode to a
character that ends one, so the common escapes of quotes and spaces need no decoding at all."""
_ESCAPE = re.compile("|".join([
    rf"%(?:{'|'.join(f'{c:02x}' for c in _HANDLE_CODES)})",
    rf"&#0*(?:{'|'.join(str(c) for c in _HANDLE_CODES)})(?![0-9]);?",
    rf"&#x0*(?:{'|'.join(f'{c:x}' for c in _HANDLE_CODES)})(?![0-9a-f]);?",
    rf"&(?:{'|'.join(re.escape(name) for name in _HANDLE_ENTITIES)})",
    rf"\\u00(?:{'|'.join(f'{c:02x}' for c in _HANDLE_CODES)})"]).encode("ascii"), re.I)


def _unescape(match: re.Match) -> bytes:
    token = match.group(0).decode("ascii").lower()
    if token.startswith("%") or token.startswith("\\u"):
        return chr(int(token[-2:], 16)).encode("ascii")
    if token.startswith("&#x"):
        return chr(int(token[3:].rstrip(";"), 16)).encode("ascii")
    if token.startswith("&#"):
        return chr(int(token[2:].rstrip(";"))).encode("ascii")
    return html.unescape(match.group(0).decode("ascii")).encode("utf-8")


class Privacy:
    """The private people of one site: lowercased handle -> the name the editor gave."""

    def __init__(self, people: dict[str, str]):
        self.people = dict(sorted(people.items()))
        self._users: dict[str, str] = {}
        """The user part of each user@host handle: a Mastodon same-server mention names them too."""
        forms: dict[str, str] = {}
        for handle, name in self.people.items():
            for form in handle_forms(handle):
                forms.setdefault(form, handle)
            if "@" in handle:
                self._users.setdefault(handle.split("@", 1)[0], name)
        self._forms = [(form.encode("utf-8"), handle) for form, handle in sorted(forms.items())]
        # Aho-Corasick: every form of every handle, and every escape that could hide one, in one pass
        # over the bytes at hundreds of MB/s, where a regular expression of a thousand alternatives crawls.
        self._automaton = BytesAhoCorasick([form for form, _ in self._forms] + list(_ESCAPE_TOKENS),
                                           implementation=Implementation.DFA) if forms else None

    def __bool__(self) -> bool:
        return bool(self.people)

    @classmethod
    def of(cls, entries) -> "Privacy":
        """Everyone marked private in any entry (a thread's author, a post block's author)."""
        people: dict[str, str] = {}
        for entry in sorted(entries, key=lambda e: e.path):
            for person in _people(entry):
                if person.private and person.handle:
                    people.setdefault(person.handle.lower(), person.name)
        return cls(people)

    def key(self) -> str:
        """What the published output depends on: who is private and the names shown for them."""
        return "\n".join(f"{handle}\0{name}" for handle, name in self.people.items())

    # ---- redaction: what the views show ----

    def is_private(self, person) -> bool:
        return bool(person.private or (person.handle and person.handle.lower() in self.people))

    def mention_name(self, handle: str, platform: str = "") -> str | None:
        """The name shown for an @mention of `handle` (user, user.name or user@host), or None if public.

        On Mastodon a mention without a host names someone on the post's own server,
        so `@user` is taken as the private `user@host` wherever that host is.
        """
        handle = handle.lower()
        name = self.people.get(handle)
        if name is None and "@" in handle:
            name = self.people.get(handle.split("@", 1)[0])
        if name is None and platform == "mastodon" and "@" not in handle:
            name = self._users.get(handle)
        return name

    def redact(self, text: str, platform: str = "") -> str:
        """Every @mention of a private person replaced by the name the editor gave."""
        if not self.people or "@" not in text:
            return text
        return _MENTION_RE.sub(lambda m: self.mention_name(m.group(1), platform) or m.group(0), text)

    def redact_html(self, html_text: str) -> str:
        """The same in rendered HTML: the replacing name is escaped."""
        if not self.people or "@" not in html_text:
            return html_text
        def replace(match: re.Match) -> str:
            name = self.mention_name(match.group(1))
            return str(escape(name)) if name is not None else match.group(0)
        return _MENTION_RE.sub(replace, html_text)

    # ---- finding: what the checks refuse ----

    def find(self, text: str) -> str | None:
        """The private handle any form of which occurs in `text` once decoded, or None."""
        if self._automaton is None or not text:
            return None
        return self._search(text.encode("utf-8", errors="replace"))

    def scan(self, data: bytes) -> str | None:
        """The private handle in a file's bytes, decompressed first when gzip-framed (Pagefind's index)."""
        if self._automaton is None:
            return None
        if data[:2] == _GZIP:
            data = _gunzip(data)
        if b"\x00" in data:  # binary files may hold text as UTF-16
            return self._search(data) or self._search(data.decode("utf-16-le", errors="ignore").encode("utf-8"))
        if len(data) <= PIECE:
            return self._search(data)
        return self._search_pieces(data[start:start + PIECE] for start in range(0, len(data), PIECE))

    def _search_pieces(self, blocks: Iterable[bytes], piece: int | None = None) -> str | None:
        """`_search` over text given in blocks, a piece of at least `piece` bytes at a time where the text has a
        place to cut it (`_cut`): the same verdict as over the whole text. Raises _NotText at a NUL byte."""
        pending = bytearray()
        looked = 0  # how much of `pending` has no place to cut (`_cut` takes the last)
        for block in blocks:
            if b"\x00" in block:
                raise _NotText
            pending += block
            if len(pending) >= (piece or PIECE):
                if cut := _cut(pending, looked):
                    if found := self._search(bytes(pending[:cut])):
                        return found
                    del pending[:cut]
                looked = len(pending)
        return self._search(bytes(pending)) if pending else None

    def _search(self, data: bytes) -> str | None:
        """Look in the bytes as a reader, a browser or a search index may see them: lowercased, with the
        escapes that can hide a handle decoded (up to three times, for %25255F), with and without markup."""
        text = data.lower()
        found, escaped = self._match(text)
        for _ in range(3):
            if found is not None or not escaped:
                break
            text = _ESCAPE.sub(_unescape, text).lower()
            found, escaped = self._match(text)
        if found is None and b"<" in text:
            found, _ = self._match(_TAG.sub(b"", text))
        return found

    def _match(self, text: bytes) -> tuple[str | None, bool]:
        """The handle of a form found as a whole word, and whether an escape was seen."""
        escaped = False
        count = len(self._forms)
        for index, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True):
            if index >= count:
                escaped = True
            elif (start == 0 or text[start - 1] not in _WORD_BYTES) and (
                    end == len(text) or text[end] not in _WORD_BYTES):
                return self._forms[index][1], escaped
        return None, escaped

    def check_entry(self, entry, *, as_written: bool = False) -> list[Hit]:
        """Every field of an entry that would publish a private handle, found by walking all of its strings.

        Prose fields are checked as the views will show them (mentions redacted);
        every other string (a new field included), the body's HTML once redacted
        and the entry's bundle files are checked as written. With `as_written`,
        prose too is checked as written: where did a handle in the output come from?
        """
        if self._automaton is None:
            return []
        # What the views never show (a private author's profile and post URLs) is not looked at.
        texts = [(value, prose, platform, path, entry.line(re.split(r"[.\[]", path)[0])) for path, value, prose, platform
                 in _strings(drop_identity(entry.meta, self.is_private), "", "FrontMatter", "")]
        texts.append((entry.body_html, False, "", "the body", entry.body_line))
        # A link to another entry is a marker in body_html (see markup.py); its fragment is published.
        texts += [(link.href + link.fragment, False, "", "the body", link.line) for link in entry.links]
        for embed in entry.embeds:
            if embed.post is not None:
                texts += [(value, prose, platform, f"post block: {path}", embed.line) for path, value, prose, platform
                          in _strings(drop_identity(embed.post, self.is_private), "", "PostBlock", "")]
        texts += [(name, False, "", f"the bundle file '{name}'", 1) for name in entry.source.bundle_files]
        # One look at all of it first: redaction only removes, so most entries end here.
        if self.find("\0".join(text for text, *_ in texts)) is None:
            return []
        hits: list[Hit] = []
        for value, prose, platform, where, line in texts:
            if not as_written:
                value = self.redact_html(value) if where == "the body" else (
                    self.redact(value, platform) if prose else value)
            found = self.find(value)
            if found:
                hits.append(Hit(found, self.people[found], where, line))
        return hits

    def locate(self, entry, handle: str) -> Hit | None:
        """The field of an entry that holds a handle as written (to name it when the gate finds one)."""
        hits = Privacy({handle: self.people[handle]}).check_entry(entry, as_written=True)
        return hits[0] if hits else None


    # ---- the publish gate ----

    def scan_file(self, path) -> str | None:
        """The private handle in the bytes of the file at `path` (see `scan`), read a piece at a time when large."""
        if self._automaton is None:
            return None
        with open(path, "rb") as file:
            # Told by its size, not by reading a piece first: a read of 1 MiB allocates 1 MiB, for every small file.
            if os.fstat(file.fileno()).st_size > PIECE and file.peek(2)[:2] != _GZIP:
                try:
                    return self._search_pieces(iter(functools.partial(file.read, PIECE), b""))
                except _NotText:
                    file.seek(0)
            return self.scan(file.read())

    def gate(self, root, paths: list[str], scan_bytes: set[str], entries,
             scan_files: ScanFiles | None = None) -> list[SourceError]:
        """Scan every output path, and the bytes of the files in `scan_bytes`, of the tree at `root`.

        `scan_files(root, rels)` gives (rel, `scan_file(root / rel)`) for each of `rels`, in their order: one
        file after the other when not given, or spread over processes (parallel.scan_many); what is found, and
        so what is reported, is the same either way.
        A hit is reported once per private handle, at each entry field that holds it as
        written, or at the output file when no entry does (a template or site.yaml).
        """
        if self._automaton is None:
            return []
        rels = sorted(paths)
        found = {rel: self.find(rel) for rel in rels}
        unscanned = [rel for rel in rels if found[rel] is None and rel in scan_bytes]
        scanned = scan_files(root, unscanned) if scan_files is not None else (
            (rel, self.scan_file(root / rel)) for rel in unscanned)
        for (rel, handle), expected in zip(scanned, unscanned, strict=True):
            if rel != expected:
                raise RuntimeError(f"the gate scanned {rel} where it expected {expected}")
            found[rel] = handle
        found_in: dict[str, list[str]] = {}
        for rel in rels:
            if found[rel] is not None:
                found_in.setdefault(found[rel], []).append(rel)
        errors = []
        for handle, files in found_in.items():
            where = f"/{files[0]}" + (f" and {len(files) - 1} other files" if len(files) > 1 else "")
            sources = [(entry, hit) for entry in entries if (hit := self.locate(entry, handle))]
            for entry, hit in sources:
                errors.append(SourceError(entry.path, hit.line, f"{hit.where}: the handle of a private person "
                                          f"({hit.name}) would be published in {where}",
                                          "remove it from this field", code=Code.PRIVACY))
            if not sources:
                errors.append(SourceError("output", 0, f"the handle of a private person ({self.people[handle]}) "
                                          f"would be published in {where}",
                                          "a template in layouts/ or site.yaml writes it: remove it there",
                                          code=Code.PRIVACY))
        return errors


def _people(entry) -> Iterator:
    if getattr(entry.meta, "author", None) is not None:
        yield entry.meta.author
    for embed in entry.embeds:
        if embed.post is not None and embed.post.author is not None:
            yield embed.post.author


def _strings(value, path: str, record: str, platform: str) -> Iterator[tuple[str, str, bool, str]]:
    """(field path, text, is prose, platform) for every string inside a record, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        record = type(value).__name__
        platform = getattr(value, "platform", "") or platform
        for name in value.__dataclass_fields__:  # every field, present or future: none can bypass the check
            if (record, name) in DECLARATION_FIELDS:
                continue
            child = getattr(value, name)
            child_path = f"{path}.{name}" if path else name
            if isinstance(child, str):
                if child:
                    yield child_path, child, (record, name) in PROSE_FIELDS, platform
            elif child is not None and not isinstance(child, (bool, int, float)):
                yield from _strings(child, child_path, record, platform)
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield f"{path}[{index}]", item, False, platform
            else:
                yield from _strings(item, f"{path}[{index}]", record, platform)


def drop_identity(record, is_private=lambda person: person.private):
    """A record with its private author's profile URL and post URLs removed (they carry the handle).

    Used at read time on front matter and post blocks (what is never shown is not
    kept), and by the check with the site's whole list of private people.
    """
    author = getattr(record, "author", None)
    if author is None or not is_private(author):
        return record
    changes = {"author": dataclasses.replace(author, url="")}
    if getattr(record, "url", ""):
        changes["url"] = ""
    posts = getattr(record, "posts", None)
    if posts:
        changes["posts"] = tuple(dataclasses.replace(p, url="") if p.url else p for p in posts)
    return dataclasses.replace(record, **changes)


class _NotText(Exception):
    """A NUL byte: the file may hold UTF-16, which is searched whole."""


def _cut(text: bytearray, start: int = 0) -> int:
    """Where the text can be cut, after `start`, so that its two parts searched apart give the whole's verdict,
    as late as possible (0: nowhere): just after a line break outside markup. No form of a handle and no escape
    holds a line break, which decoding keeps; markup removed (`_TAG`, from a '<' to the next '>') could join the
    text across one, so the cut must leave no '<' after the last '>' before it."""
    end = len(text)
    closed = text.rfind(b">")
    while (end := text.rfind(b"\n", start, end)) >= 0:
        if closed >= end:
            closed = text.rfind(b">", 0, end)
        opened = text.rfind(b"<", 0, end)
        if opened <= closed:
            return end + 1
        end = opened
    return 0


def _gunzip(data: bytes) -> bytes:
    """Decompress a gzip stream, up to MAX_DECOMPRESSED bytes; what cannot be decompressed is scanned as is."""
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return inflater.decompress(data, MAX_DECOMPRESSED)
    except zlib.error:
        return data
