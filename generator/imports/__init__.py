"""`chorus import`: draft threads (or ```post blocks) from the platforms' own exports.

    read     xapi / tweetsjs / outbox   each file, streamed, into one Harvest (records.py)
    rebuild  threads                    posts grouped by conversation and author, ordered, numbered
    decide   people                     public (site.yaml's public_accounts) or private; text made safe
    compare  existing                   threads already in content/threads/, by their posts' ids
    write    files, merge               new files (never over one that exists), or new posts merged

Nothing goes to the network. Every problem of the files is reported as `FILE:line: what (how)`; the
rest is imported, unless `strict` (then nothing is written when any file has an error).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import SiteConfig
from ..errors import Code, SourceError
from ..scaffold import key_walk
from . import existing, files, outbox, threads, tweetsjs, xapi
from .merge import CannotMerge, merged
from .people import People, decide
from .records import Harvest

READERS = {"xapi": (xapi.read, xapi.FORMAT), "tweetsjs": (tweetsjs.read, tweetsjs.FORMAT),
           "outbox": (outbox.read, outbox.FORMAT)}
"""A format's name -> its reader and how the editor's note names it."""
PEEK = 65536
"""Bytes read to tell a file's format."""
_OUTBOX_START = re.compile(rb'^\{\s*"(?:@context|id|type|totalItems|orderedItems|first)"')


@dataclass(frozen=True)
class Request:
    """What `chorus import` was asked to do."""

    files: tuple[str, ...]
    """The files as given on the command line (messages name them so)."""
    into: str = "threads"
    conversation: str = ""
    dry_run: bool = False
    update: bool = False
    strict: bool = False
    again: str = ""
    """The command that runs this import again, for the hint to add --update."""


@dataclass
class Outcome:
    """What the import did or would do, for the command to print."""

    lines: list[str] = field(default_factory=list)
    problems: list[SourceError] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)
    """What happened to the threads: 'written', 'updated', 'unchanged', 'with new posts' -> how many."""

    def count(self, what: str) -> None:
        self.done[what] = self.done.get(what, 0) + 1

    @property
    def errors(self) -> list[SourceError]:
        return [problem for problem in self.problems if not problem.is_warning]


def run(site_dir: Path, config: SiteConfig, request: Request) -> Outcome:
    """Import the request's files into the site (or into ```post blocks)."""
    harvest = Harvest()
    formats = {}
    for shown in request.files:
        fmt = _format(Path(shown), shown, harvest)
        if fmt is not None:
            formats[shown] = fmt
            READERS[fmt][0](Path(shown), shown, harvest)
    found = [t for t in threads.build(harvest) if _selected(t, request.conversation)]
    found = [t for t in found if _within_limits(t, config, harvest)]
    outcome = Outcome(problems=harvest.problems)
    if request.conversation and not found:
        outcome.problems.append(SourceError(request.files[0] if len(request.files) == 1 else "--conversation", 0,
                                            f"no thread of conversation {request.conversation} in the files",
                                            "give the id of a post, or of a conversation, that the files hold",
                                            code=Code.EXPORT))
    people = decide(config.public_accounts, [t.author for t in found], harvest)
    source_format = " and ".join(sorted({READERS[f][1] for f in formats.values()}))
    write = not request.dry_run and not (request.strict and outcome.errors)
    if request.into == "posts":
        outcome.blocks = [files.post_blocks(thread, people) for thread in found]
    else:
        _threads(site_dir, config, request, found, people, source_format, write, outcome)
    outcome.lines += _accounts(found, people) + _skipped(harvest)
    outcome.lines.append(_summary(found, request, write, outcome))
    return outcome


def _format(path: Path, shown: str, harvest: Harvest) -> str | None:
    """Which export a file is, from its first bytes; None (and an error) when it is none of them."""
    if not path.exists():
        harvest.error(shown, 0, "no such file", "check the path", Code.FILE)
        return None
    if path.is_dir():
        harvest.error(shown, 0, "a folder, not a file", "give the export's file: twarc2's .jsonl, the archive's "
                      "data/tweets.js or the export's outbox.json", Code.FILE)
        return None
    if not path.is_file():  # a pipe would be read twice, and waits for a writer
        harvest.error(shown, 0, "not a regular file", "save the export to a file, then import that file",
                      Code.FILE)
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(PEEK)
    except OSError as exc:
        harvest.error(shown, 0, f"cannot be read ({exc.strerror})", "check its permissions", Code.FILE)
        return None
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start:
        harvest.error(shown, 0, "the file is empty", "give the export's file, as the platform or twarc2 wrote it",
                      Code.FILE)
    elif start.startswith(b"window.YTD."):
        return "tweetsjs"
    elif _OUTBOX_START.match(start) and (b'"orderedItems"' in head or b'"OrderedCollection"' in head):
        return "outbox"
    elif re.match(rb'^\{\s*"@context"', start):
        harvest.error(shown, 1, "an ActivityStreams object, not a collection of posts",
                      "give the outbox.json of the Mastodon export", Code.EXPORT)
    elif start.startswith(b"{") and start.split(b"\n", 1)[0].strip() in (b"{", b"{\r"):
        harvest.error(shown, 1, "one JSON document written over many lines, not twarc2's JSON Lines",
                      "twarc2 writes one JSON object a line: give its output as it wrote it", Code.EXPORT)
    elif start.startswith(b"{"):
        return "xapi"
    else:
        harvest.error(shown, 1, "not an export that chorus import reads",
                      "give twarc2's JSON Lines, Twitter's data/tweets.js or Mastodon's outbox.json", Code.FILE)
    return None


def _selected(thread: threads.Thread, conversation: str) -> bool:
    return not conversation or conversation in (thread.conversation, *thread.ids) \
        or thread.conversation.endswith(f"/{conversation}") or f"objectId={conversation}:" in thread.conversation


def _within_limits(thread: threads.Thread, config: SiteConfig, harvest: Harvest) -> bool:
    """A thread the build would refuse for its size is an error here, with the limit to raise."""
    first = thread.parts[0].post
    limits = config.limits
    highest = max([part.n or 0 for part in thread.parts] + [thread.parts_total or 0])
    if len(thread.parts) > limits.posts_per_thread:
        harvest.error(first.source, first.line, f"the thread of post {first.id} has {len(thread.parts)} posts, over "
                      f"limits.posts_per_thread ({limits.posts_per_thread})",
                      "raise limits.posts_per_thread in site.yaml, or import it with --into posts", Code.LIMIT)
        return False
    if highest > limits.parts_total:
        harvest.error(first.source, first.line, f"the thread of post {first.id} numbers a part {highest}, over "
                      f"limits.parts_total ({limits.parts_total})", "raise limits.parts_total in site.yaml",
                      Code.LIMIT)
        return False
    return True


def _threads(site_dir: Path, config: SiteConfig, request: Request, found: list[threads.Thread], people: People,
             source_format: str, write: bool, outcome: Outcome) -> None:
    site = existing.scan(site_dir)
    taken = set(site.names)
    walk = key_walk()
    verb = "wrote" if write else "would write"
    for thread in found:
        held = site.holding(thread.platform, thread.ids)
        if held is not None:
            _known(site_dir, request, thread, held, people, write, outcome)
            continue
        copies = files.bundle_copies(thread)
        name = _free_name(files.slug_base(thread, people), taken)
        taken.add(name)
        rel = f"content/threads/{name}/index.md" if copies else f"content/threads/{name}.md"
        written = files.thread_file(thread, people, config, source_format, bool(copies), walk)
        if write and not _create(site_dir, rel, written, outcome):
            continue
        kind = f"a thread of {len(thread.parts)} posts" if len(thread.parts) > 1 else "a post"
        outcome.lines.append(f"{verb} {rel}: {kind} by {people.name_of(thread.author)}, as a draft")
        outcome.count("written" if write else "to write")


def _free_name(base: str, taken: set[str]) -> str:
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return name


def _create(site_dir: Path, rel: str, written: files.Written, outcome: Outcome) -> bool:
    """Write a new file and its bundle's images; never over a file that exists."""
    path = site_dir / rel
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as out:
            out.write(written.text)
        for copy in written.copies:
            if not (path.parent / copy.name).exists():
                shutil.copyfile(copy.source, path.parent / copy.name)
    except FileExistsError:
        outcome.problems.append(SourceError(rel, 0, "already exists; nothing was written over it",
                                            "import again: another name is chosen", code=Code.COLLISION))
        return False
    except OSError as exc:
        outcome.problems.append(SourceError(rel, 0, f"cannot be written ({exc.strerror})",
                                            "check the folder's permissions and free space", code=Code.OUTPUT))
        return False
    return True


def _known(site_dir: Path, request: Request, thread: threads.Thread, held: existing.Existing, people: People,
           write: bool, outcome: Outcome) -> None:
    """A thread the site holds already: unchanged, or its new posts reported (or merged, with --update)."""
    new = [part for part in thread.parts if not ({part.post.id, *part.post.versions} & held.ids)]
    for part in thread.parts:
        if part.post.id not in held.ids and set(part.post.versions) & held.ids:
            outcome.lines.append(f"{held.path}: post {part.post.id} was edited on the platform after the version "
                                 "the file holds, which is kept")
    if not new:
        outcome.lines.append(f"unchanged {held.path}: it holds this thread already")
        outcome.count("unchanged")
        return
    noun = "post" if len(new) == 1 else "posts"
    if not request.update:
        outcome.lines.append(f"{held.path}: {len(new)} new {noun} in the export; add them with: {request.again} "
                             "--update")
        outcome.count("with new posts not added")
        return
    if not held.bundle and any(m.local is not None and not m.src for part in new for m in part.post.media):
        outcome.lines.append(f"{held.path}: images of the new posts are in the export's media folder but the "
                             "thread is not a bundle: they are left out (move the file to <name>/index.md and add "
                             "them by hand)")
    path = site_dir / held.path
    try:
        text, count = merged(path.read_text(encoding="utf-8"), thread, held.ids, people, held.bundle)
    except (CannotMerge, OSError, UnicodeDecodeError) as exc:
        outcome.problems.append(SourceError(held.path, 0, f"{len(new)} new {noun} cannot be added: {exc}",
                                            code=Code.FILE))
        return
    if write:
        _replace(path, text)
        for copy in files.bundle_copies(thread) if held.bundle else ():
            if not (path.parent / copy.name).exists():
                shutil.copyfile(copy.source, path.parent / copy.name)
    outcome.lines.append(f"{'added' if write else 'would add'} {count} new {noun} to {held.path}")
    outcome.count("updated" if write else "to update")


def _replace(path: Path, text: str) -> None:
    """Write a file whole or not at all: an interrupted write leaves the old one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".md")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _accounts(found: list[threads.Thread], people: People) -> list[str]:
    """Which accounts were treated as private: authors declared private, and accounts written as names."""
    authors: dict[str, set[str]] = {}
    named: dict[str, set[str]] = {}
    for thread in found:
        if thread.author.handle and not people.is_public(thread.author):
            authors.setdefault(thread.platform, set()).add(thread.author.handle)
        for part in thread.parts:
            named.setdefault(thread.platform, set()).update(people.named(part.post.shown_text, thread.platform))
    lines = []
    if any(authors.values()):
        lines.append("private authors (handle and profile never published): " + _by_platform(authors))
    if any(named.values()):
        lines.append("private accounts mentioned, written as their names: " + _by_platform(named))
    if lines:
        lines.append("a public figure or organisation among them? list their handle in site.yaml's "
                     "public_accounts, then import again")
    return lines


def _by_platform(handles: dict[str, set[str]]) -> str:
    return "; ".join(f"{files.platform_name(platform)}: " + ", ".join(sorted(found, key=str.lower))
                     for platform, found in sorted(handles.items()) if found)


def _skipped(harvest: Harvest) -> list[str]:
    if not harvest.skipped:
        return []
    listed = "; ".join(f"{what}: {count}" for what, count in sorted(harvest.skipped.items()))
    return [f"left out on purpose: {listed}"]


def _summary(found: list[threads.Thread], request: Request, write: bool, outcome: Outcome) -> str:
    posts = sum(len(thread.parts) for thread in found)
    what = f"{len(found)} {'thread' if len(found) == 1 else 'threads'} ({posts} {'post' if posts == 1 else 'posts'})"
    files_read = f"{len(request.files)} {'file' if len(request.files) == 1 else 'files'}"
    if request.into == "posts":
        return f"{files_read}: {what}, printed as ```post blocks"
    done = ", ".join(f"{count} {what}" for what, count in outcome.done.items())
    if request.strict and outcome.errors and not request.dry_run:
        return f"{files_read}: {what}; nothing was written, since the files have errors (--strict)"
    return f"{files_read}: {what}" + (f": {done}" if done else "") + ("; dry run, nothing was written"
                                                                     if request.dry_run else "")
