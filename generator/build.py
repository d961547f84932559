"""The build, top to bottom: load, discover, read, assemble, render, write.

Each stage either returns its plain data or adds errors; the build stops after
the first stage with errors, reporting every error of that stage (and of the
stages before it) at once. Nothing is written until everything has been
rendered without error, and then the new tree is swapped in whole.

Stages 3 and 5 are cached (generator/cache.py) and run in a process pool
(generator/parallel.py); stage 4 is always recomputed in full.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import CACHE_DIR, EntryCache, code_digest, digest, salt
from .config import CONFIG_FILE, load_config
from .errors import BuildFailed, Code, ErrorList, SourceError
from .parallel import RenderFailed, default_jobs, read_many, render_many
from .outputs import OUTPUTS
from .outputs.feeds import FeedFile
from .render import RenderContext
from .routes import collisions
from .search import INDEX_DIR, build_index
from .site import Site, assemble
from .sources import Unreadable, discover, read_regular
from .urls import slugify
from .writer import check_target, locked, writing


@dataclass
class BuildReport:
    """What a build did, for the one-line summary."""

    entries: int = 0
    pages: int = 0
    feeds: int = 0
    files: int = 0
    """Files written (new or changed bytes); unchanged files are kept, not rewritten."""
    bytes: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    cached: int = 0
    """Entries taken from the cache instead of being parsed again."""
    warnings: list[SourceError] = field(default_factory=list)


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


def build(site_dir: Path, out_dir: Path | None = None, *, drafts: bool = False, base_url: str | None = None,
          write: bool = True, strict: bool = False, jobs: int | None = None, progress=_quiet,
          use_cache: bool = True) -> BuildReport:
    """Build the site in `site_dir` into `out_dir` (default site_dir/output). Raises BuildFailed."""
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

    # 3. Read each entry: a pure function of its bytes and the config, cached by their digest.
    config_bytes = (site_dir / CONFIG_FILE).read_bytes()  # every digest includes it
    code = code_digest()  # and the generator's own code
    cache = EntryCache(site_dir) if use_cache else None
    try:
        entries, read_errors, warnings, cached = _read_entries(site_dir, config, code, config_bytes, sources, cache,
                                                               jobs, progress)
    finally:
        if cache is not None:
            cache.close()
    errors.extend(read_errors)
    read = {e.path for e in entries}
    failed = {s.path: _possible_slugs(site_dir, s) for s in sources if s.path not in read}

    # 4. Assemble: URLs, taxonomies, cross-references; then every output's routes, checked for collisions.
    # Always in full: it is cheap. An entry that failed to read is still known by its path and slugs:
    # what points at it is no second error.
    progress("assembling")
    site, site_errors = assemble(config, sources, entries, drafts=drafts, failed=failed)
    errors.extend(site_errors)
    routes = [route for output in OUTPUTS for route in output.routes(site)]
    errors.extend(collisions(routes))
    if strict:
        errors.extend(warnings)
    if errors:
        raise BuildFailed(errors.sorted())

    # 5-6. Render what changed into a new tree beside the output; swap it in only when all succeeded.
    renderer = RenderContext(site, site_dir, routes, OUTPUTS, code, config_bytes)
    report = BuildReport(entries=len(site.entries), out_dir=out_dir, warnings=sorted(set(warnings)), cached=cached,
                         pages=sum(1 for r in routes if r.path.endswith(".html")),
                         feeds=sum(1 for r in routes if isinstance(r.target, FeedFile)))
    progress("rendering", 0, len(routes))
    if write:
        check_target(out_dir)
        with locked(out_dir):
            report.files, report.bytes = _render_and_write(site_dir, out_dir, renderer, jobs, use_cache, progress)
    else:
        _render(renderer, {}, None, jobs, progress)
    report.seconds = time.perf_counter() - started
    return report


def _read_entries(site_dir: Path, config, code: str, config_bytes: bytes, sources, cache, jobs: int, progress):
    """Every source read from the cache or parsed (in parallel); returns entries, errors, warnings, cache hits."""
    config_salt = salt(code, config_bytes)
    max_bytes = config.limits.max_file_mb * 1_000_000
    errors: list[SourceError] = []
    keyed = []
    for source in sources:
        try:
            raw = read_regular(site_dir / source.path, max_bytes)
        except Unreadable as exc:
            if exc.size:
                errors.append(SourceError(source.path, 0, f"the file is {exc.size / 1e6:.1f} MB, over the limit of "
                                          f"{config.limits.max_file_mb} MB",
                                          "split it, or raise limits.max_file_mb in site.yaml", code=Code.LIMIT))
            else:
                errors.append(SourceError(source.path, 0, exc.message, exc.hint, code=Code.FILE))
            continue
        keyed.append((digest(config_salt, source.path, "\n".join(source.bundle_files), raw), source, raw))
    hits = cache.get_many([key for key, _, _ in keyed]) if cache is not None else {}
    misses = [(source, raw) for key, source, raw in keyed if key not in hits]
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
    entries, warnings = [], _config_warnings(config)
    for entry, entry_errors in results:
        errors.extend(entry_errors)
        if entry is not None:
            entries.append(entry)
            warnings += entry.warnings
    progress("reading entries", len(sources), len(sources))
    return entries, errors, warnings, len(hits)


def _render(renderer: RenderContext, old, root, jobs: int, progress):
    try:
        return render_many(renderer, old, root, jobs, progress)
    except RenderFailed as failed:
        if failed.error is not None:
            raise BuildFailed([failed.error]) from None
        raise InternalError(failed.owner, failed.original, failed.details) from None


def _render_and_write(site_dir: Path, out_dir: Path, renderer: RenderContext, jobs: int, use_cache: bool, progress):
    """Render, index, publish: changed pages are rendered into a new tree, the search index is made from it,
    and the write stage swaps it in once the privacy gate passed it; returns the files and bytes written.

    Every step that can fail (rendering, writing, the search index, the manifest, the gate) runs before
    the swap: a build that fails leaves the output folder as it was. When no file's bytes changed and no
    file came or went, the output folder is left exactly as it is: a build with no change writes nothing.
    """
    config = renderer.site.config
    index = INDEX_DIR if config.search else None
    gate = _PrivacyGate(site_dir, out_dir, renderer.site, use_cache)
    with writing(site_dir, out_dir, use_cache) as stage:
        outcomes = _render(renderer, stage.old, stage.root, jobs, progress)
        if not stage.changed(outcomes, derived=index):
            # Nothing changed: the search index stays as it is, and so does the output folder.
            return stage.keep(outcomes + stage.kept(index), gate)
        stage.link_unchanged(outcomes)
        if index:
            progress("indexing for search")
            with stage.staging() as staging:
                outcomes += stage.add_files(build_index(stage.root, staging, out_dir,
                                                        timeout=config.limits.search_timeout))
        return stage.publish(outcomes, gate)


def _config_warnings(config) -> list[SourceError]:
    if config.markdown.unsafe_html:
        return [SourceError("site.yaml", 0, "warning: markdown.unsafe_html is true: raw HTML in bodies is not "
                            "sanitised", "use it only if every editor is trusted", code=Code.WARNING)]
    return []


@dataclass
class _PrivacyGate:
    """The last step before the swap: no path or byte about to be published holds a private handle.

    Files whose bytes are unchanged were scanned by the last build, under the same
    private people (a digest of them is kept beside the cache); when the people
    change, every file is scanned again.
    """

    site_dir: Path
    out_dir: Path
    site: Site
    use_cache: bool
    key_file: Path | None = None
    """Where the people's digest is recorded once the scanned files are published (None: nowhere)."""

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
        errors = privacy.gate(root, paths, written if scanned_before else set(paths), self.site.entries)
        if errors:
            raise BuildFailed(sorted(errors))
        self.key_file = key_file if self.use_cache else None

    def passed(self) -> None:
        """After the swap: the people the published files were scanned for. Losing it only costs a rescan."""
        if self.key_file is None:
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
