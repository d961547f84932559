"""The build, top to bottom: load, discover, read, assemble, render, write.

Each stage either returns its plain data or adds errors; the build stops after
the first stage with errors, reporting every error of that stage (and of the
stages before it) at once. Nothing is written until everything has been
rendered without error, and then the new tree is swapped in whole.

Stages 3 and 5 are cached (generator/cache.py) and run in a process pool
(generator/parallel.py); stage 4 is always recomputed in full.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import EntryCache, Manifest, digest, salt
from .config import CONFIG_FILE, load_config
from .errors import BuildFailed, ErrorList, SourceError
from .parallel import Outcome, RenderFailed, default_jobs, read_many, render_many
from .render import Renderer
from .search import INDEX_DIR, build_index
from .site import assemble
from .sources import discover
from .urls import slugify
from .writer import OutputTree, check_target, locked


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
    cache = EntryCache(site_dir) if use_cache else None
    try:
        entries, read_errors, warnings, cached = _read_entries(site_dir, config, config_bytes, sources, cache, jobs,
                                                               progress)
    finally:
        if cache is not None:
            cache.close()
    errors.extend(read_errors)
    failed_slugs = {slugify(s.name) for s in sources} - {e.slug for e in entries} if read_errors else set()

    # 4. Assemble: URLs, taxonomies, cross-references, collisions. Always in full: it is cheap.
    progress("assembling")
    site, site_errors = assemble(config, sources, entries, drafts=drafts)
    # A responds_to naming an entry that failed to read is not a second problem.
    errors.extend(e for e in site_errors if not _about_failed(e.message, failed_slugs))
    if strict:
        errors.extend(warnings)
    if errors:
        raise BuildFailed(errors.sorted())

    # 5-6. Render what changed into a new tree beside the output; swap it in only when all succeeded.
    renderer = Renderer(site, site_dir, config_bytes=config_bytes)
    report = BuildReport(entries=len(site.entries), out_dir=out_dir, warnings=sorted(set(warnings)), cached=cached,
                         pages=sum(1 for r in site.routes if r.path.endswith(".html")),
                         feeds=sum(1 for r in site.routes if r.kind == "feed"))
    progress("rendering", 0, len(site.routes))
    if write:
        check_target(out_dir)
        with locked(out_dir):
            report.files, report.bytes = _render_and_write(site_dir, out_dir, renderer, jobs, use_cache, progress)
    else:
        _render(renderer, {}, None, jobs, progress)
    report.seconds = time.perf_counter() - started
    return report


def _read_entries(site_dir: Path, config, config_bytes: bytes, sources, cache, jobs: int, progress):
    """Every source read from the cache or parsed (in parallel); returns entries, errors, warnings, cache hits."""
    config_salt = salt(config_bytes)
    max_bytes = config.limits.max_file_mb * 1_000_000
    errors: list[SourceError] = []
    keyed = []
    for source in sources:
        path = site_dir / source.path
        size = path.stat().st_size
        if size > max_bytes:
            errors.append(SourceError(source.path, 0, f"the file is {size / 1e6:.1f} MB, over the limit of "
                                      f"{config.limits.max_file_mb} MB",
                                      "split it, or raise limits.max_file_mb in site.yaml"))
            continue
        raw = path.read_bytes()
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


def _render(renderer: Renderer, old, root, jobs: int, progress):
    try:
        return render_many(renderer, old, root, jobs, progress)
    except RenderFailed as failed:
        if failed.error is not None:
            raise BuildFailed([failed.error]) from None
        raise InternalError(failed.owner, failed.original, failed.details) from None


def _render_and_write(site_dir: Path, out_dir: Path, renderer: Renderer, jobs: int, use_cache: bool, progress):
    """Render changed routes into a new tree, link unchanged files from the old one, swap.

    When no file's bytes changed and no file came or went, the output folder is
    left exactly as it is: a build with no change writes nothing.
    """
    manifest = Manifest(site_dir, out_dir)
    old = manifest.load(out_dir) if use_cache else {}
    search = renderer.site.config.search
    tree = OutputTree(out_dir)
    try:
        outcomes = _render(renderer, old, tree.root, jobs, progress)
        written = [o for o in outcomes if o.written]
        expected = {o.path for o in outcomes} | ({p for p in old if p.startswith(INDEX_DIR + "/")} if search else set())
        if written or set(old) != expected or not tree.matches(old):
            tree.link_unchanged([o.path for o in outcomes if not o.written])
            if search:
                progress("indexing for search")
                index = build_index(tree.root, out_dir, old)
                outcomes += index
                written += [o for o in index if o.written]
            tree.commit()
        else:
            # Nothing changed: the search index stays as it is, and so do its records.
            outcomes += [Outcome(path, "", record.sha, False) for path, record in old.items()
                         if path.startswith(INDEX_DIR + "/")]
        records = tree.records(outcomes)
        if use_cache:
            manifest.save(records)
        return len(written), sum(o.size for o in written)
    finally:
        tree.discard()


def _config_warnings(config) -> list[SourceError]:
    if config.markdown.unsafe_html:
        return [SourceError("site.yaml", 0, "warning: markdown.unsafe_html is true: raw HTML in bodies is not "
                            "sanitised", "use it only if every editor is trusted")]
    return []


def _about_failed(message: str, failed_slugs: set[str]) -> bool:
    return message.startswith("responds_to: no entry has the slug") and any(
        f"'{slug}'" in message for slug in failed_slugs)
