"""What an import writes: a thread's file (front matter as `chorus new` writes it, a draft, with a marked
stand-in for the editor's note) or its posts as ```post blocks.

Nothing here touches the disk: `thread_file` and `post_blocks` return text, and the media to copy.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..config import SiteConfig
from ..entries import Post as PostKeys
from ..platforms import PLATFORM_NAMES
from ..reference import Key
from ..samples import SAMPLE_BODIES, STAND_IN_ALT
from ..scaffold import front_matter
from ..urls import slugify
from .people import PRIVATE_NAME, People
from .plaintext import written_date
from .records import Media
from .threads import Part, Thread

POST_KEYS = tuple(f.name for f in dataclasses.fields(PostKeys))
"""The keys of a post, in the order entries.py declares them (and `chorus new` writes them)."""
HIDDEN_STATUS_URL = {"twitter": "https://twitter.com/i/web/status/{}", "x": "https://x.com/i/web/status/{}"}
"""A post's address without its author's handle, where the platform has one."""
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
STAND_IN_NOTE = SAMPLE_BODIES["thread"]
"""The body's first line, as `chorus new` writes it: a build warns while it is left in a published thread."""
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Copy:
    """A file of the export to copy into the thread's bundle."""

    source: Path
    name: str
    """Its name in the bundle."""


@dataclass(frozen=True)
class Written:
    """A thread's file as it will be written."""

    text: str
    copies: tuple[Copy, ...]
    findings: tuple[str, ...]
    """What the editor's note lists: edits, withheld posts, gaps, images without a description."""


def slug_base(thread: Thread, people: People) -> str:
    """The author's name and the thread's date, never the handle: jamie-k-2017-10-17."""
    return slugify(f"{people.name_of(thread.author)} {thread.first_date.date().isoformat()}") or "thread"


def bundle_copies(thread: Thread) -> tuple[Copy, ...]:
    """The export's files of the thread's images, each with its name in the bundle."""
    copies: dict[str, Copy] = {}
    for part in thread.parts:
        for media in part.post.media:
            if media.local is not None:
                name = _bundle_name(part.post.id, media.local)
                copies.setdefault(name, Copy(media.local, name))
    return tuple(copies.values())


def _bundle_name(post_id: str, local: Path) -> str:
    name = _UNSAFE_NAME.sub("-", local.name).strip("-.") or "image"
    return name if name.startswith(f"{post_id}-") else f"{post_id}-{name}"


def quote(value: str) -> str:
    """A YAML double-quoted scalar: JSON's string form, which YAML reads back as written (the line
    separators U+2028 and U+2029 escaped, since YAML would fold them). scaffold.quote says the same through
    PyYAML's emitter, a hundred times slower: an import writes a hundred thousand of them."""
    return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def thread_file(thread: Thread, people: People, config: SiteConfig, source_format: str, bundle: bool,
                walk: Mapping[str, list[Key]]) -> Written:
    """The file of a new thread: every key as `chorus new` writes it (`walk`: scaffold.key_walk()), the
    values read from the export."""
    name = people.name_of(thread.author)
    first = thread.first_date.date()
    warnings, left_out = _content_warnings(thread, people, config)
    findings = _findings(thread, people, bundle) + tuple(left_out)
    kind = "a thread" if len(thread.parts) > 1 else "a post"
    given = {"title": quote(f"{name}: {kind}, {_day(first)}"), "date": written_date(thread.first_date),
             "platform": thread.platform,
             "author.name": quote(name), "author.private": "false" if people.is_public(thread.author) else "true",
             "posts": "\n" + "\n".join(post_items(thread.parts, thread, people, "  ", bundle))}
    if thread.author.handle:
        given["author.handle"] = quote(thread.author.handle)
    if people.is_public(thread.author) and thread.author.url:
        given["author.url"] = thread.author.url
    if thread.parts_total:
        given["parts_total"] = str(thread.parts_total)
    if warnings:
        given["content_warnings"] = "[" + ", ".join(quote(w) for w in warnings) + "]"
    text = front_matter("thread", "", first, config, given, _editors_note(source_format, findings), walk)
    return Written(text, bundle_copies(thread) if bundle else (), findings)


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def post_items(parts: tuple[Part, ...], thread: Thread, people: People, indent: str, bundle: bool) -> list[str]:
    """The posts as items of a YAML list, each key on its line, in the declared order."""
    lines = []
    for part in parts:
        values = post_values(part, thread, people, bundle)
        for index, key in enumerate(k for k in POST_KEYS if k in values):
            lead = f"{indent}- " if index == 0 else f"{indent}  "
            lines += _key(lead, f"{indent}  ", key, values[key])
    return lines


def _key(lead: str, inner: str, key: str, value: str | list[tuple[str, str]]) -> list[str]:
    if isinstance(value, str):
        return [f"{lead}{key}: {value}"]
    lines = [f"{lead}{key}:"]
    for src, alt in value:
        lines += [f"{inner}  - src: {src}", f"{inner}    alt: {alt}"]
    return lines


def post_values(part: Part, thread: Thread, people: People, bundle: bool) -> dict[str, str | list[tuple[str, str]]]:
    """A post's keys as YAML values: its text made safe (people.clean), its URL only for a public author."""
    post = part.post
    values: dict[str, str | list[tuple[str, str]]] = {"text": quote(people.clean(post.shown_text, thread.platform)),
                                                      "id": quote(post.id), "status": post.status}
    if part.n:
        values["n"] = str(part.n)
    url = _post_url(part, thread, people)
    if url:
        values["url"] = url
    if post.date is not None:
        values["date"] = written_date(post.date)
    if post.lang:
        values["lang"] = post.lang
    media = [(src, quote(people.clean(m.alt, thread.platform) if m.alt else STAND_IN_ALT))
             for m in post.media if (src := _media_src(m, post.id, bundle))]
    if media:
        values["media"] = media
    return values


def _post_url(part: Part, thread: Thread, people: People) -> str:
    """The post's URL for a public author; for a private one, an address without the handle or none."""
    if people.is_public(thread.author) and part.post.url:
        return part.post.url
    hidden = HIDDEN_STATUS_URL.get(thread.platform)
    return hidden.format(part.post.id) if hidden and part.post.id.isdigit() else ""


def _media_src(media: Media, post_id: str, bundle: bool) -> str:
    if bundle and media.local is not None:
        return _bundle_name(post_id, media.local)
    return media.src


def _label(part: Part, index: int, count: int) -> str:
    if count == 1:
        return "The post"
    return f"Post {part.n}" if part.n else f"The post at place {index} in the file"


def _findings(thread: Thread, people: People, bundle: bool) -> tuple[str, ...]:
    """What the editor should know: facts the export gives about posts, gaps, images, names."""
    found = list(thread.notes)
    if people.name_of(thread.author) == PRIVATE_NAME:
        found.append("The author's display name is empty or holds a private handle: a stand-in name is written; "
                     "choose the name to show.")
    for index, part in enumerate(thread.parts, 1):
        label = _label(part, index, len(thread.parts))
        if part.gap_before:
            found.append(f"{label} replies to a post of the same author that the export does not hold.")
        found += [f"{label} {note.rstrip('.')}." for note in part.post.notes]
        media = part.post.media
        if any(not m.alt for m in media):
            found.append(f"{label} has an image without a description: write its alt text.")
        if any(not _media_src(m, part.post.id, bundle) for m in media):
            found.append(f"{label} has an image the export holds no copy or address of: it is left out.")
        leak = people.leaks(people.clean(part.post.shown_text, thread.platform), thread.platform)
        if leak:
            found.append(f"{label} holds a private account's handle as a plain word: the build refuses it until "
                         "it is reworded (write it as an @mention, which is shown as their name).")
    return tuple(found)


def _content_warnings(thread: Thread, people: People, config: SiteConfig) -> tuple[list[str], list[str]]:
    """The posts' content warnings as the entry's (from site.yaml's vocabulary when it has one), and what
    could not be kept."""
    given = list(dict.fromkeys(people.clean(p.post.warning, thread.platform) for p in thread.parts if p.post.warning))
    vocabulary = config.warning_names()
    kept, left = [], []
    for warning in given:
        label = vocabulary.get(warning.lower()) or vocabulary.get(slugify(warning)) if vocabulary else warning
        if people.guard.find(warning):
            left.append("A post's content warning names a private account, so it is left out: choose the "
                        "warnings to show.")
        elif label is None:
            left.append(f"The posts carry the content warning \"{warning}\", which is not in site.yaml's "
                        "content_warnings: choose the warnings to show.")
        elif label not in kept:
            kept.append(label)
    return kept, left


def _editors_note(source_format: str, findings: tuple[str, ...]) -> str:
    lines = [STAND_IN_NOTE, "", f"Imported by `chorus import` from {source_format}."]
    if findings:
        lines[-1] += " What it found, for the note:"
        lines += [""] + [f"- {finding}" for finding in findings]
    return "\n".join(lines)


def post_blocks(thread: Thread, people: People) -> str:
    """The thread's posts as ```post blocks to paste into an entry's body."""
    author = thread.author
    lines = ["author:", f"  name: {quote(people.name_of(author))}"]
    if author.handle:
        lines.append(f"  handle: {quote(author.handle)}")
    if people.is_public(author) and author.url:
        lines.append(f"  url: {author.url}")
    lines.append(f"  private: {'false' if people.is_public(author) else 'true'}")
    blocks = []
    for part in thread.parts:
        item = [line[2:] for line in post_items((part,), thread, people, "", False)]
        blocks.append("\n".join(["```post", *item, f"platform: {thread.platform}", *lines, "```"]))
    return "\n\n".join(blocks)


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)
