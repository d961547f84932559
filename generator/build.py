"""The build, top to bottom: load, discover, read, assemble, render, write.

Each stage either returns its plain data or adds errors; the build stops after
the first stage with errors, reporting every error of that stage (and of the
stages before it) at once. Nothing is written until everything has been
rendered without error, and then the new tree is swapped in whole.

Stages 3 and 5 are cached (generator/cache.py) and run in a process pool
(generator/parallel.py); stage 4 is recomputed in full, its privacy check
aside (cached by entry). A build whose inputs are all as the last published
build's, into an output folder that is as that build left it, stops after
stage 3's stat checks: it has nothing to do, and writes nothing.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import (CACHE_DIR, BuildState, EntryCache, code_digest, collections_spaced, collector_paused, current_umask,
                    digest, file_identity, joined_digest, load_state, salt, save_state, state_path)
from .config import CONFIG_FILE, load_config
from .entries import Repeats
from .errors import BuildFailed, Code, ErrorList, SourceError
from .parallel import RenderFailed, default_jobs, read_many, release_free_memory, render_many, scan_many
from .outputs import OUTPUTS
from .outputs.feeds import FeedFile
from .render import LAYOUTS_DIR, RenderContext, theme_digest
from .routes import collisions
from . import search
from .site import Site, assemble, broken_site_links
from .views import Views
from .sources import Unreadable, content_digest, discover, file_signature, read_regular, signature
from .urls import slugify
from .writer import Manifest, WriteStage, check_target, locked, output_intact, writing


@dataclass
class BuildReport:
    """What a build did, for the one-line summary."""

    entries: int = 0
    pages: int = 0
    feeds: int = 0
    files: int = 0
    """Files written (new or changed bytes); unchanged files are kept, not rewritten."""
    outputs: int = 0
    """Files the output folder holds after the build, written or kept."""
    bytes: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    cached: int = 0
    """Entries taken from the cache instead of being parsed again."""
    warnings: list[SourceError] = field(default_factory=list)
    context: RenderContext | None = None
    """What the site was rendered with, the assembled site included: chorus serve keeps it between builds
    to preview an edit (generator/preview.py)."""


class InternalError(Exception):
    """An unexpected exception, with the file that was being processed."""

    def __init__(self, where: str, exc: BaseException, details: str = ""):
        super().__init__(f"internal error while building {where}: {type(exc).__name__}: {exc}")
        self.where = where
        self.original = exc
        self.details = details
        """The formatted traceback, when the exception was raised in a worker process."""


def _quiet(stage: str, done: int = 0, total: int | None = None) -> None:
    """The default progress callback: says nothing."""


@collections_spaced()
def build(site_dir: Path, out_dir: Path | None = None, *, drafts: bool = False, base_url: str | None = None,
          write: bool = True, strict: bool = False, jobs: int | None = None, progress=_quiet,
          use_cache: bool = True) -> BuildReport:
    """Build the site in `site_dir` into `out_dir` (default site_dir/output). Raises BuildFailed."""
    with ExitStack() as held:
        return _build(site_dir, out_dir, held, drafts=drafts, base_url=base_url, write=write, strict=strict,
                      jobs=jobs, progress=progress, use_cache=use_cache)


def _build(site_dir: Path, out_dir: Path | None, held: ExitStack, *, drafts: bool, base_url: str | None, write: bool,
           strict: bool, jobs: int | None, progress, use_cache: bool) -> BuildReport:
    """build(), holding the output folder (its lock, its write stage) in `held` from the entries' reading on."""
    started = time.perf_counter()
    out_dir = out_dir or site_dir / "output"
    jobs = jobs or default_jobs()
    errors = ErrorList()

    # 1. Load the config: nothing else can be checked without it.
    config, config_errors = load_config(site_dir, base_url)
    if config is None:
        raise BuildFailed(config_errors)

    # 2. Discover the entry files.
    progress("reading entries")
    sources, discover_errors = discover(site_dir)
    errors.extend(discover_errors)

    # 3. Read each entry: a pure function of its bytes and the config, cached by their digest. A file whose
    # stat is as when it was last read is not read again; one whose bytes are the same is not parsed again.
    config_bytes = (site_dir / CONFIG_FILE).read_bytes()  # every digest includes it
    code = code_digest()  # and the generator's own code
    now_ns = time.time_ns()
    cache = EntryCache(site_dir) if use_cache else None
    try:
        config_salt = salt(code, config_bytes)
        keyed, read_errors = _source_keys(site_dir, config, config_salt, sources, cache, now_ns)
        inputs = ""
        last = load_state(state_path(site_dir, out_dir)) if write and use_cache else None
        if write and use_cache:
            inputs = _inputs_digest(site_dir, out_dir, code, config_bytes, base_url, drafts, keyed, now_ns)
            if not errors and not read_errors:
                done = _nothing_to_do(site_dir, out_dir, last, inputs, strict, progress)
                if done is not None:
                    done.seconds = time.perf_counter() - started
                    return done
        write_stage = None
        if write:
            check_target(out_dir)
            held.enter_context(locked(out_dir))  # for the rest of the build
            # The write stage's work on the disk (the last output looked at, the spare tree brought to it) starts
            # now, in a process of its own, while the entries are read and the site assembled.
            write_stage = held.enter_context(writing(site_dir, out_dir, use_cache, jobs))
        entries, entry_errors, warnings, cached, final = _read_entries(site_dir, config, config_salt, keyed, cache,
                                                                       jobs, progress)
        errors.extend(read_errors + entry_errors)
        read = {e.path for e in entries}
        failed = {s.path: _possible_slugs(site_dir, s) for s in sources if s.path not in read}

        # 4. Assemble: URLs, taxonomies, cross-references; then every output's routes, checked for collisions.
        # Always in full: it is cheap. An entry that failed to read is still known by its path and slugs:
        # what points at it is no second error. Entries that passed the privacy check are not checked again.
        progress("assembling")
        checked = cache.checked() if cache is not None else set()
        with collector_paused():
            site, site_errors = assemble(config, sources, entries, drafts=drafts, failed=failed, checked=checked)
        if cache is not None:
            cache.put_checked(site.checked, checked)
    finally:
        if cache is not None:
            cache.close()
    if inputs and [key for key, _, _ in final] != [key for key, _, _ in keyed]:
        # What the state records: the keys of the bytes read (a file known by its stat may have changed since).
        inputs = _inputs_digest(site_dir, out_dir, code, config_bytes, base_url, drafts, final, now_ns)
    errors.extend(site_errors)
    indexing = None
    if write and config.search and not errors:
        # Started before the routes are listed: after an edit, this indexing is what the build waits for last.
        # The key is what every search record is made from besides its entry: the URLs' base (--base-url)
        # included.
        search_key = digest(code, config_bytes, repr(site.config), site.privacy.key())
        indexing = search.Indexing(site, Views(site), search_key, dict(last.search) if last else {},
                                   timeout=config.limits.search_timeout, jobs=jobs,
                                   folder=site_dir / CACHE_DIR if use_cache else None)
        held.callback(indexing.stop)
    routes = [route for output in OUTPUTS for route in output.routes(site)]
    errors.extend(collisions(routes))
    errors.extend(broken_site_links(site, {route.path for route in routes}))
    if strict:
        errors.extend(warnings)
    if errors:
        raise BuildFailed(errors.sorted())

    # 5-6. Render what changed into a new tree beside the output; swap it in only when all succeeded.
    renderer = RenderContext(site, site_dir, routes, OUTPUTS, code, config_bytes, use_cache=use_cache and write)
    report = BuildReport(entries=len(site.entries), out_dir=out_dir, warnings=sorted(set(warnings)), cached=cached,
                         pages=sum(1 for r in routes if r.path.endswith(".html")),
                         feeds=sum(1 for r in routes if isinstance(r.target, FeedFile)), context=renderer)
    progress("rendering", 0, len(routes))
    if write_stage is not None:
        if last is not None:
            renderer.inputs.value_site()  # what the last build's files are judged by, meanwhile
        report.files, report.bytes, report.outputs = _render_and_write(site_dir, out_dir, write_stage(), renderer,
                                                                       indexing, jobs, use_cache, progress)
        _record_state(site_dir, out_dir, inputs, report, indexing)
    else:
        _render(renderer, {}, [], None, jobs, progress)
    report.seconds = time.perf_counter() - started
    return report


def _source_keys(site_dir: Path, config, config_salt: str, sources, cache, now_ns: int):
    """Each readable source's key (what its entry is cached by: the config, its path, its bundle's file list
    and the digest of its bytes) with its bytes when they were read, and errors for the unreadable.

    A source whose stat signature (sources.signature) is the one recorded when it was last read is not read:
    the digest of its bytes recorded then stands for them. Any other is read, and recorded.
    """
    known = cache.sources() if cache is not None else {}
    max_bytes = config.limits.max_file_mb * 1_000_000
    keyed, errors, fresh = [], [], {}
    root = os.fspath(site_dir)  # joined as strings: 10,000 Path objects cost more than the stats
    for source in sources:
        path = os.path.join(root, source.path)
        try:
            stat_now = signature(os.stat(path), now_ns)
        except OSError:
            stat_now = None  # read_regular says what is wrong with it
        recorded = known.get(source.path)
        if stat_now is not None and recorded is not None and recorded[0] == stat_now:
            raw, sha = None, recorded[1]
        else:
            try:
                raw = read_regular(path, max_bytes)  # the str, as for the stat: no Path per file
            except Unreadable as exc:
                errors.append(_unreadable(source, exc, config))
                continue
            sha = content_digest(raw)
            if stat_now is not None:
                fresh[source.path] = (stat_now, sha)
        keyed.append((_entry_key(config_salt, source, sha), source, raw))
    if cache is not None:
        cache.put_sources(fresh, set(known) - {source.path for source in sources})
    return keyed, errors


def _entry_key(config_salt: str, source, sha: str) -> str:
    return joined_digest(config_salt, source.path, "\n".join(source.bundle_files), sha)


def _unreadable(source, exc: Unreadable, config) -> SourceError:
    if exc.size:
        return SourceError(source.path, 0, f"the file is {exc.size / 1e6:.1f} MB, over the limit of "
                           f"{config.limits.max_file_mb} MB", "split it, or raise limits.max_file_mb in site.yaml",
                           code=Code.LIMIT)
    return SourceError(source.path, 0, exc.message, exc.hint, code=Code.FILE)


def _inputs_digest(site_dir: Path, out_dir: Path, code: str, config_bytes: bytes, base_url: str | None,
                   drafts: bool, keyed, now_ns: int) -> str:
    """The digest of everything a build reads: the code, site.yaml and the options, the theme and layouts/,
    every entry's key, and the signature of every bundle file (copied as they are)."""
    parts = [code, config_bytes, repr(base_url), repr(drafts), str(out_dir.resolve()),
             theme_digest(site_dir / LAYOUTS_DIR)]
    for key, source, _ in keyed:
        parts.append(key)
        for name in source.bundle_files:
            parts += [name, file_signature(site_dir / source.bundle_dir / name, now_ns)]
    return digest(*parts)


def _nothing_to_do(site_dir: Path, out_dir: Path, state: BuildState | None, inputs: str, strict: bool,
                   progress) -> BuildReport | None:
    """The last build's report (`state`) when it was made from these very inputs and its output is as it left it
    (then there is nothing to render, check or write); None when the build must run."""
    if state is None or state.inputs != inputs or state.umask != current_umask() or (strict and state.warnings):
        return None
    check_target(out_dir)
    with locked(out_dir):
        if not output_intact(site_dir, out_dir, state.manifest):
            return None
    progress("reading entries", state.entries, state.entries)
    return BuildReport(entries=state.entries, pages=state.pages, feeds=state.feeds, out_dir=out_dir,
                       cached=state.entries, warnings=list(state.warnings), outputs=state.outputs)


def _record_state(site_dir: Path, out_dir: Path, inputs: str, report: BuildReport,
                  indexing: search.Indexing | None) -> None:
    """After a build was published: what it was made from, so that a build of the same inputs has nothing to do,
    and the search shards it published. Bound to the manifest just installed (a later build installs another);
    without a manifest, forgotten."""
    manifest = file_identity(Manifest(site_dir, out_dir).path)
    umask = current_umask()
    if not inputs or manifest is None or umask is None:
        save_state(state_path(site_dir, out_dir), None)
        return
    save_state(state_path(site_dir, out_dir), BuildState(inputs, manifest, umask, report.entries, report.pages,
                                                         report.feeds, tuple(report.warnings), report.outputs,
                                                         tuple(indexing.fingerprints().items()) if indexing else ()))


def _read_entries(site_dir: Path, config, config_salt: str, keyed, cache, jobs: int, progress):
    """Every source's entry, from the cache or parsed (in parallel); returns entries, errors, warnings, cache hits,
    and the sources' keys (a source that had to be read after all is keyed by the bytes read)."""
    total = len(keyed)
    hits = cache.get_many([key for key, _, _ in keyed]) if cache is not None else {}
    errors: list[SourceError] = []
    misses, final = [], []
    for key, source, raw in keyed:
        if key not in hits and raw is None:
            # Known by its stat, but its entry is not in the cache (a new site.yaml, a cache pruned): read it.
            try:
                raw = read_regular(site_dir / source.path, config.limits.max_file_mb * 1_000_000)
            except Unreadable as exc:
                errors.append(_unreadable(source, exc, config))
                continue
            key = _entry_key(config_salt, source, content_digest(raw))
        final.append((key, source, None))
        if key not in hits:
            misses.append((source, raw))
    keyed[:] = [(key, source, None) for key, source, _ in keyed]  # the bytes live on in misses only, until parsed
    keyed = final
    parsed = iter(read_many(misses, config, jobs))
    results, fresh = [], []
    for key, source, raw in keyed:
        if key in hits:
            results.append(hits[key])
            continue
        result = next(parsed)
        if result[0] == "internal":
            raise InternalError(result[1], result[2], result[3])
        entry, entry_errors = result
        result = (replace(entry, digest=key) if entry is not None else None, entry_errors)
        results.append(result)
        fresh.append((key, result))
    if cache is not None:
        cache.put_many(fresh)
        cache.prune({key for key, _, _ in keyed})
    entries, warnings, repeats = [], _config_warnings(config), Repeats()
    for entry, entry_errors in results:
        errors.extend(entry_errors)
        if entry is not None:
            entries.append(repeats.shared(entry))
            warnings += entry.warnings
    progress("reading entries", total, total)
    return entries, errors, warnings, len(hits), keyed


def _render(renderer: RenderContext, old, pairs, root, jobs: int, progress):
    try:
        return render_many(renderer, old, pairs, root, jobs, progress)
    except RenderFailed as failed:
        if failed.error is not None:
            raise BuildFailed([failed.error]) from None
        raise InternalError(failed.owner, failed.original, failed.details) from None


def _render_and_write(site_dir: Path, out_dir: Path, stage: WriteStage, renderer: RenderContext,
                      indexing: search.Indexing | None, jobs: int, use_cache: bool, progress):
    """Render, index, publish: changed pages are rendered into a new tree, the search index's changed shards
    are made from the entries' text (`indexing`, started before the write stage: see generator/search.py),
    and the write stage swaps the tree in once the privacy gate passed it; returns the files and bytes written
    and the files of the output.

    Every step that can fail (rendering, writing, the search index, the manifest, the gate) runs before
    the swap: a build that fails leaves the output folder as it was. When no file's bytes changed and no
    file came or went, the output folder is left exactly as it is: a build with no change writes nothing.
    """
    index = search.INDEX_DIR if indexing is not None else None
    gate = _PrivacyGate(site_dir, out_dir, renderer.site, use_cache, jobs)
    indexed = None
    try:
        if indexing is not None:
            indexing.confirm(stage)
            if indexing.stale and not indexing.in_background():
                # Many shards (a first build; few are indexed meanwhile): indexed now, while the build holds little
                # more than the site, not also the render's outcomes beside Pagefind's processes (at 50,000 entries,
                # the build's largest moment). What reading let go of, then each shard's records and files once
                # added (in the threads' own allocator arenas), are handed back to the system, not kept for reuse.
                progress("indexing for search")
                release_free_memory()
                indexed = indexing.finish(stage, after_each=release_free_memory)
        outcomes = _render(renderer, stage.old, stage.pairs, stage.root, jobs, progress)
        renderer.forget()  # held through the index and the publish otherwise
        release_free_memory()  # and what the render let go of, before the publish
        if not stage.changed(outcomes, derived=index) and (indexing is None or not indexing.stale):
            # Nothing changed, not even what a search record is made from (new code may change a record
            # and no page): the search index stays as it is, and so does the output folder.
            outcomes += stage.kept(index)
            return (*stage.keep(outcomes, gate), len(outcomes))
        stage.link_unchanged(outcomes)
        if indexed is not None:
            outcomes += indexed
        elif indexing is not None:
            progress("indexing for search")
            outcomes += indexing.finish(stage)
    finally:
        if indexing is not None:
            indexing.stop()
    return (*stage.publish(outcomes, gate), len(outcomes))


def _config_warnings(config) -> list[SourceError]:
    if config.markdown.unsafe_html:
        return [SourceError("site.yaml", 0, "warning: markdown.unsafe_html is true: raw HTML in bodies is not "
                            "sanitised", "use it only if every editor is trusted", code=Code.WARNING)]
    return []


@dataclass
class _PrivacyGate:
    """The last step before the swap: no path or byte about to be published holds a private handle.

    Files whose bytes are unchanged were scanned by the last build, under the same
    private people (a digest of them is kept beside the cache), and so were their
    paths (a file not written is the last output's, at the same path); when the
    people change, every path and file is scanned again.
    """

    site_dir: Path
    out_dir: Path
    site: Site
    use_cache: bool
    jobs: int = 1
    """Processes the byte scan may run on (parallel.scan_many, which forks only for many files)."""
    key_file: Path | None = None
    """Where the people's digest is recorded once the scanned files are published (None: nowhere)."""
    recorded: bool = False
    """Whether the key file already holds the people's digest."""

    def check(self, root: Path, paths: list[str], written: set[str]) -> None:
        """Raises BuildFailed on a hit."""
        privacy = self.site.privacy
        if not privacy:
            return
        key_file = self.site_dir / CACHE_DIR / f"gate-{digest(str(self.out_dir.resolve()))[:16]}"
        try:
            scanned_before = self.use_cache and key_file.read_text(encoding="ascii") == digest(privacy.key())
        except OSError:
            scanned_before = False
        scan_files = lambda root, rels: scan_many(privacy, root, rels, self.jobs)
        if scanned_before:
            errors = privacy.gate(root, sorted(written), written, self.site.entries, scan_files)
        else:
            errors = privacy.gate(root, paths, set(paths), self.site.entries, scan_files)
        if errors:
            raise BuildFailed(sorted(errors))
        self.key_file = key_file if self.use_cache else None
        self.recorded = scanned_before

    def passed(self) -> None:
        """After the swap: the people the published files were scanned for. Losing it only costs a rescan."""
        if self.key_file is None or self.recorded:
            return
        try:
            self.key_file.parent.mkdir(exist_ok=True)
            self.key_file.write_text(digest(self.site.privacy.key()), encoding="ascii")
        except OSError:
            pass


_SLUG_LINE = re.compile(rb"^slug:[ \t]*[\"']?([a-z0-9]+(?:-[a-z0-9]+)*)[\"']?[ \t]*$", re.M)


def _possible_slugs(site_dir: Path, source) -> set[str]:
    """The slugs an unreadable entry may have had: its file name's, and a `slug:` line if it has one."""
    slugs = {slugify(source.name)}
    try:
        head = read_regular(site_dir / source.path, 100_000_000)[:65536]
    except Unreadable:
        return slugs
    slugs.update(match.decode("ascii") for match in _SLUG_LINE.findall(head))
    return slugs
