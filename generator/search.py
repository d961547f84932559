"""The search index: the entries' own text, indexed by Pagefind in shards that are rebuilt only when they change.

What is indexed is each listed entry's text as visitors read it (title, summary,
body, posts, @mentions of private people already replaced by names: the views
make it), with the values a result shows and the search page filters on as
Pagefind metadata. Drafts, withdrawn entries and pages are never indexed.

The archive is split into shards of at most `SHARD_SIZE` entries (a stable hash
of each entry's URL picks its shard; their number doubles as the archive grows),
each a Pagefind index in its own folder, pagefind/<n>/, which the search page
merges in the browser (Pagefind's mergeIndex). A shard's fingerprint digests
what its text is made from (its entries' digests and URLs, the threads they
embed, the code, site.yaml, the private people); an unchanged shard keeps the last output's files, so an
edit re-indexes one shard, and the indexer's memory is bounded by a shard, not
by the archive.

Each shard's records are kept in the cache folder between builds, by what each
is made from: an edit makes its entry's record again, not its shard's 650.

Pagefind's output is made byte-identical from run to run: it lists languages in
a random order, so pagefind-entry.json is rewritten with its languages sorted.
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import queue
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

from .cache import digest, discard_file, load_stored, store
from .embeds import PLACEHOLDER_RE
from .entries import Entry
from .errors import BuildFailed
from .forked import as_child, signals_held
from .pagefind import REPORT, Pagefind, Record, failed
from .site import Site
from .views import Views

INDEX_DIR = "pagefind"
ENTRY_NAME = "pagefind-entry.json"
SHARD_SIZE = 1000
"""Entries per shard, at most: what an edit re-indexes, and what bounds the indexer's memory. A visitor's
first search loads each shard's entry file and metadata (a few kB each), and each word searched loads a
part of every shard's index, so shards are not made smaller, except in a small archive (below)."""
SMALL_SHARDS = 4
SMALL_SHARD_SIZE = 250
"""An archive of up to SMALL_SHARDS x SHARD_SIZE entries is split into up to SMALL_SHARDS shards of at
most SMALL_SHARD_SIZE (while there are more, of up to SHARD_SIZE), so that an edit in a small archive does not
re-index all of it (1,000 entries: 4 shards of about 250, a quarter of the indexing time each), for a few
more files a search loads."""
SCRIPTS = ("pagefind.js", "pagefind-worker.js")
"""Pagefind's own scripts the search page runs, kept in the first shard only; its UI bundles are not used."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""What a language and its hash in the index must look like: Pagefind makes file names of them."""
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
RECORDS_PREFIX = "search-records-"
"""The files of the cache folder that keep each shard's records (see _records)."""


class IndexStage(Protocol):
    """What the index needs of the write stage (generator/writer): it says what the last output holds (its
    outcomes), keeps those files in the new tree, or adds new ones and says what became of each."""

    def kept(self, folder: str) -> list: ...

    def intact(self, folder: str) -> bool: ...

    def link_unchanged(self, outcomes: list) -> None: ...

    def add_files(self, files: dict[str, bytes], fingerprint: str) -> list: ...


@dataclass(frozen=True)
class Shard:
    name: str
    entries: tuple[Entry, ...]
    fingerprint: str
    made_of: tuple[str, ...]
    """What each entry's record is made from besides the key (`_inputs`), in the order of `entries`."""
    key: str
    """What every record is also made from: code, site.yaml, the private people."""


def shard_count(entries: int) -> int:
    """Shards for an archive of this many searchable entries: a power of two, each of at most SHARD_SIZE
    (SMALL_SHARD_SIZE while there are fewer than SMALL_SHARDS)."""
    count = 1
    while entries > count * SHARD_SIZE:
        count *= 2
    while count < SMALL_SHARDS and entries > count * SMALL_SHARD_SIZE:
        count *= 2
    return count


def searchable(site: Site) -> list[Entry]:
    """What visitors may find: listed entries (no pages, nothing withdrawn), never a draft."""
    return [entry for entry in site.listed if not entry.meta.draft]


def shard_folders(site: Site, base: str) -> list[str]:
    """The URL of each shard's folder, the first one holding Pagefind's scripts."""
    return [f"{base}{INDEX_DIR}/{n}/" for n in range(shard_count(len(searchable(site))))]


def shards(site: Site, key: str) -> list[Shard]:
    """The archive's shards; `key` digests what every record is also made from (code, site.yaml, people)."""
    entries = searchable(site)
    count = shard_count(len(entries))
    members: list[list[Entry]] = [[] for _ in range(count)]
    for entry in entries:
        url = site.urls[entry.path]
        members[int(hashlib.sha256(url.encode("utf-8")).hexdigest()[:8], 16) % count].append(entry)
    found = []
    for number, group in enumerate(members):
        group.sort(key=lambda e: site.urls[e.path])
        made_of = tuple(_inputs(site, e) for e in group)
        found.append(Shard(str(number), tuple(group), digest(key, str(count), str(number), *made_of), made_of, key))
    return found


def record(views: Views, entry: Entry) -> Record:
    """An entry as the index holds it: its own text, as its page shows it, and what a result shows."""
    meta = entry.meta
    title = views.title(entry)
    language = meta.lang or views.config.language
    body = views.site.privacy.redact_html(entry.body_html)
    pieces = PLACEHOLDER_RE.split(body)
    text = [views.redact(entry.summary)]
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            text.append(_plain(piece))
        elif int(piece) < len(entry.embeds):
            embed = entry.embeds[int(piece)]
            if embed.kind == "post":
                text += _post_text(views, embed.post, embed.post.platform)
            elif (thread := _shown_thread(views.site, embed.slug)) is not None:
                # As the page shows it: the thread's posts are part of what a visitor reads here.
                text += [views.title(thread)] + _posts_text(views, thread)
    if entry.kind == "thread":
        text += _posts_text(views, entry)
    # Last: a result shows the title above its excerpt, which then starts with the entry's own words.
    text.append(title)
    date = views.when(meta.date)
    return Record(
        url=views.url(views.site.urls[entry.path]),
        language=language,
        content=" ".join(" ".join(part for part in text if part).split()),
        meta=(("title", title), ("date", date.text), ("kind", entry.kind), ("year", str(meta.date.at.year)),
              ("regions", "|".join(meta.regions)), ("sectors", "|".join(meta.sectors))),
        sort=(("date", date.iso),),
    )


def _records(views: Views, shard: Shard, folder: Path | None) -> list[Record]:
    """The shard's records: each kept from the last build that indexed the shard when it is made from the same
    inputs (its entry, URL and shown threads, and the key), else made now (generator/pagefind.py's Record is
    plain data, pickled as it is). The shard's file is then written again with exactly its records."""
    path = folder / f"{RECORDS_PREFIX}{shard.name}.pickle" if folder is not None else None
    kept = _kept_records(path, shard.key)
    records, made = [], False
    for entry, made_of in zip(shard.entries, shard.made_of):
        found = kept.get(made_of)
        if found is None:
            found, made = record(views, entry), True
        records.append(found)
    if path is not None and (made or len(kept) != len(records)):
        store(path, "records", {"key": shard.key, "records": dict(zip(shard.made_of, records))})
    return records


def _kept_records(path: Path | None, key: str) -> dict[str, Record]:
    """The records kept in `path` (by what each is made from), if they were made under `key`; else none."""
    stored = load_stored(path, "records", dict) if path is not None else None
    if stored is None or stored.get("key") != key or not isinstance(stored.get("records"), dict):
        return {}
    records = stored["records"]
    if not all(type(made_of) is str and type(found) is Record for made_of, found in records.items()):
        return {}  # not this code's records
    return records


def _shown_thread(site: Site, slug: str) -> Entry | None:
    """The thread an embed shows in full: published and not withdrawn."""
    thread = site.threads.get(slug)
    if thread is None or thread.meta.withdrawn or thread.path not in site.urls:
        return None
    return thread


def _posts_text(views: Views, thread: Entry) -> list[str]:
    return [text for post in thread.meta.posts for text in _post_text(views, post, thread.meta.platform)]


def _post_text(views: Views, post, platform: str) -> list[str]:
    return [views.redact(post.text, platform)] + [views.redact(m.alt, platform) for m in post.media]


def _inputs(site: Site, entry: Entry) -> str:
    """What an entry's record is made from besides the key: the entry, its URL, the threads it shows."""
    parts = [site.urls[entry.path], entry.digest]
    for embed in entry.embeds:
        if embed.kind == "thread":
            thread = _shown_thread(site, embed.slug)
            parts.append(f"{embed.slug}:{thread.digest if thread is not None else '-'}")
    return "\0".join(parts)


def _plain(body_html: str) -> str:
    return html.unescape(_TAG.sub(" ", body_html))


class Indexing:
    """The search index brought up to date in the new tree, in three steps around the render.

    Made as soon as the site is assembled: the shards whose fingerprint differs
    from the one the last published build recorded (`published`) are guessed stale, and when they are few (at
    most one per job, as after an edit), a forked process starts indexing them at once, while the build judges
    and renders the pages. `confirm`, once the write stage is ready, judges the shards by the last
    output's files (what the manifest holds, checked against the disk) and starts again if the guess was
    wrong. `finish` keeps the unchanged shards as the last output left them and adds the new ones' files: after
    the render, those the background process made; before it, when the shards are many (an archive indexed
    whole), indexing them there and then (see build._render_and_write). Whatever happens, `stop` ends the
    background process.
    """

    def __init__(self, site: Site, views: Views, key: str, published: dict[str, str], *, timeout: float,
                 jobs: int = 1, folder: Path | None = None):
        self.views, self.timeout, self.jobs = views, timeout, jobs
        self.folder = folder
        """Where each shard's records are kept between builds (None: nowhere)."""
        self.shards = shards(site, key)
        _discard_other_records(folder, {shard.name for shard in self.shards})
        self.kept: list = []
        """The unchanged shards' files, as the last output holds them (once confirmed)."""
        self.stale: list[Shard] = [shard for shard in self.shards if published.get(shard.name) != shard.fingerprint]
        """The shards to index: guessed from `published`, then confirmed by the last output's files."""
        self.background = None
        self._start()

    def _start(self) -> None:
        if 0 < len(self.stale) <= self.jobs:
            # The child inherits the site and copies only what its shards' records touch: few shards, so
            # bounded; an archive indexed whole (a cold build) is indexed before the render instead.
            self.background = _Background(self.views, self.stale, self.timeout, self.jobs, self.folder)

    def confirm(self, stage: IndexStage) -> None:
        """Judge each shard by the last output's files; a guess that was wrong is indexed again from the start.
        Called once the write stage is made."""
        stale = []
        for shard in self.shards:
            folder = f"{INDEX_DIR}/{shard.name}"
            kept = stage.kept(folder)
            if kept and all(outcome.fingerprint == shard.fingerprint for outcome in kept) and stage.intact(folder):
                self.kept += kept
            else:
                stale.append(shard)
        if [shard.name for shard in stale] != [shard.name for shard in self.stale]:
            self.stop()
            self.background, self.stale = None, stale
            self._start()

    def in_background(self) -> bool:
        """Whether a forked process is indexing the stale shards while the build goes on."""
        return self.background is not None

    def fingerprints(self) -> dict[str, str]:
        """Each shard's fingerprint, for the next build's guess once this index is published."""
        return {shard.name: shard.fingerprint for shard in self.shards}

    def finish(self, stage: IndexStage, after_each: Callable[[], None] = lambda: None) -> list:
        """The index's outcomes, sorted by path; `after_each` is called once each shard's files are added."""
        stage.link_unchanged(self.kept)
        outcomes = list(self.kept)
        if self.background is not None:
            indexed = self.background.results()
        else:
            indexed = _indexed(self.views, self.stale, self.timeout, self.jobs, self.folder)
        for shard, files in indexed:
            outcomes += stage.add_files({f"{INDEX_DIR}/{shard.name}/{rel}": data for rel, data in files.items()},
                                        shard.fingerprint)
            after_each()
        return sorted(outcomes, key=lambda outcome: outcome.path)

    def stop(self) -> None:
        if self.background is not None:
            self.background.stop()


class _Background:
    """Shards indexed by a forked process (which runs `_indexed`) while the parent goes on; `results` waits."""

    def __init__(self, views: Views, stale: list[Shard], timeout: float, jobs: int, folder: Path | None):
        context = multiprocessing.get_context("fork")
        self.stale, self.timeout = stale, timeout
        self.answers, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_index_in_child, args=(send, views, stale, timeout, jobs, folder),
                                       daemon=True)
        with signals_held():
            self.process.start()
        send.close()  # the child's end: its death is then the end of the pipe here
        self.deadline = time.monotonic() + timeout + _GRACE
        # The answer (its shards' files, megabytes) is taken as soon as it is sent, not after the render: the
        # child, blocked on a full pipe until then, would hold its copy of the build's pages (350 MiB at 50,000
        # entries) for the rest of the build.
        self.answer: list = []
        self.receiver = threading.Thread(target=self._receive, name="chorus-index-answer", daemon=True)
        self.receiver.start()

    def _receive(self) -> None:
        try:
            self.answer.append(self.answers.recv())
        except (EOFError, OSError):
            pass  # ended without an answer: `results` reports it

    def results(self) -> list[tuple[Shard, dict]]:
        try:
            # The receiver ends with the answer, or when the process ends without one (the pipe's end).
            while self.receiver.is_alive() and time.monotonic() <= self.deadline:
                self.receiver.join(1.0)
            if self.receiver.is_alive():
                raise failed(f"Pagefind timed out after {self.timeout:g} s",
                             "raise limits.search_timeout in site.yaml, or set search: false")
            if not self.answer:
                self.process.join(5)
                raise failed(f"the indexing process stopped without an answer (exit status "
                             f"{self.process.exitcode})", REPORT)
            kind, value = self.answer[0]
        finally:
            self.stop()
        if kind == "failed":
            raise BuildFailed(value)
        if kind == "internal":
            raise RuntimeError(f"while indexing for search: {value}")
        return [(shard, value[shard.name]) for shard in self.stale]

    def stop(self) -> None:
        if self.process.exitcode is None:
            self.process.terminate()  # it stops its Pagefind process groups, then ends
            self.process.join(timeout=5)
            if self.process.exitcode is None:
                self.process.kill()  # its Pagefind processes die with it (though not what they started)
        self.process.join()
        self.receiver.join(5)  # the pipe's only writer has ended: the receiver has its answer or the end
        self.answers.close()


def _stopped(signum, frame) -> None:
    raise SystemExit(1)


_GRACE = 30.0
"""Seconds the build waits for the indexing process beyond Pagefind's own time limit, which the process
enforces itself: only a process that stopped answering altogether is waited for that long."""


def _index_in_child(send, views: Views, stale: list[Shard], timeout: float, jobs: int, folder: Path | None) -> None:
    as_child()
    signal.signal(signal.SIGTERM, _stopped)  # `_indexed` then stops its Pagefind process groups on its way out
    try:
        message = ("done", {shard.name: files for shard, files in _indexed(views, stale, timeout, jobs, folder)})
    except SystemExit:
        return  # stopped by the parent, which wants no answer
    except BuildFailed as exc:
        message = ("failed", exc.errors)
    except BaseException as exc:  # the parent reports it: never a traceback from a child
        message = ("internal", f"{type(exc).__name__}: {exc}")
    try:
        send.send(message)
    except (OSError, SystemExit):
        pass  # the parent stopped listening: it has its own failure to report


def _indexed(views: Views, stale: list[Shard], timeout: float, jobs: int,
             folder: Path | None = None) -> Iterator[tuple[Shard, dict]]:
    """Each shard of `stale` with its files, as Pagefind processes (one per thread, which only waits on it)
    finish them. A failure in one stops them all: the first failure is raised, after every thread ended."""
    if not stale:
        return
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for shard in stale:
        pending.put(shard)
    done: queue.SimpleQueue = queue.SimpleQueue()
    processes: list[Pagefind] = []
    threads = []
    try:
        # Every process is started before any thread: starting one runs code in the child before exec.
        for _ in range(max(1, min(jobs, len(stale)))):
            processes.append(Pagefind(timeout))
        for pagefind in processes:
            thread = threading.Thread(target=_index_shards, args=(views, pagefind, pending, done, folder),
                                      daemon=True)
            thread.start()
            threads.append(thread)
        for _ in stale:
            shard, files = done.get()
            if isinstance(files, BaseException):
                raise files
            yield shard, files
    finally:
        for pagefind in processes:
            pagefind.kill()  # a thread still waiting on its process then ends at once
        for thread in threads:
            thread.join()
        for pagefind in processes:
            pagefind.close()


def _index_shards(views: Views, pagefind: Pagefind, pending: queue.SimpleQueue, done: queue.SimpleQueue,
                  folder: Path | None) -> None:
    while True:
        try:
            shard = pending.get_nowait()
        except queue.Empty:
            return
        try:
            files = _bundle(pagefind.index(_records(views, shard, folder)), shard.name)
        except BaseException as exc:  # handed to the main thread, which raises it
            done.put((shard, exc))
            return
        done.put((shard, files))


def _discard_other_records(folder: Path | None, names: set[str]) -> None:
    """Remove the kept records of shards the archive no longer has (it grew into more shards, or fewer)."""
    if folder is None:
        return
    try:
        found = list(folder.glob(f"{RECORDS_PREFIX}*.pickle"))
    except OSError:
        return
    for path in found:
        if path.name[len(RECORDS_PREFIX):-len(".pickle")] not in names:
            discard_file(path)


def _bundle(files: dict[str, bytes], shard: str) -> dict[str, bytes]:
    """The files a shard publishes: its index; and in the first shard, which the search page loads first,
    Pagefind's scripts and its language modules (merged shards use the first one's)."""
    if ENTRY_NAME not in files:
        raise failed(f"Pagefind made no {ENTRY_NAME}", REPORT)
    kept = {rel: data for rel, data in files.items()
            if "/" in rel or rel.endswith(".pf_meta")
            or (shard == "0" and (rel in SCRIPTS or rel.endswith(".pagefind")))}
    kept[ENTRY_NAME] = _canonical(files[ENTRY_NAME])
    return kept


def _canonical(data: bytes) -> bytes:
    """pagefind-entry.json with what Pagefind writes in a random order (its languages) in a fixed one, and
    the rest as Pagefind wrote it; refuses languages that are no plain names (Pagefind makes file names
    of them)."""
    try:
        entry = json.loads(data)
        names = [(name, value["hash"], value.get("wasm") or name)  # wasm is null without a stemmer
                 for name, value in entry["languages"].items()]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise failed(f"Pagefind wrote no readable {ENTRY_NAME}", REPORT) from None
    for parts in names:
        if not all(isinstance(part, str) and _NAME.fullmatch(part) for part in parts):
            raise failed(f"Pagefind indexed a language that is not a language tag: {parts[0]!r}", REPORT)
    entry = dict(entry, languages=dict(sorted(entry["languages"].items())))
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
