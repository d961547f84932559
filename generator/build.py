"""The build, top to bottom: load, discover, read, assemble, render, write.

Each stage either returns its plain data or adds errors; the build stops after
the first stage with errors, reporting every error of that stage (and of the
stages before it) at once. Nothing is written until everything has been
rendered without error, and then the new tree is swapped in whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import load_config
from .entries import Entry, read_entry
from .errors import BuildFailed, ErrorList, SourceError
from .markup import MarkdownRenderer
from .render import Renderer, TemplateProblem
from .site import assemble
from .sources import discover
from .urls import slugify
from .writer import OutputTree, check_target, locked


@dataclass
class BuildReport:
    """What a build did, for the one-line summary."""

    entries: int = 0
    pages: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    warnings: list[SourceError] = field(default_factory=list)


class InternalError(Exception):
    """An unexpected exception, with the file that was being processed."""

    def __init__(self, where: str, exc: BaseException):
        super().__init__(f"internal error while building {where}: {type(exc).__name__}: {exc}")
        self.where = where
        self.original = exc


def build(site_dir: Path, out_dir: Path | None = None, *, drafts: bool = False, base_url: str | None = None,
          write: bool = True, strict: bool = False) -> BuildReport:
    """Build the site in `site_dir` into `out_dir` (default site_dir/output). Raises BuildFailed."""
    started = time.perf_counter()
    out_dir = out_dir or site_dir / "output"
    errors = ErrorList()

    # 1. Load the config: nothing else can be checked without it.
    config, config_errors = load_config(site_dir, base_url)
    if config is None:
        raise BuildFailed(config_errors)

    # 2. Discover the entry files.
    sources, discover_errors = discover(site_dir)
    errors.extend(discover_errors)

    # 3. Read each entry: a pure function of its bytes and the config.
    markdown = MarkdownRenderer(unsafe_html=config.markdown.unsafe_html)
    warnings = _config_warnings(config)
    entries: list[Entry] = []
    failed_slugs: set[str] = set()
    max_bytes = config.limits.max_file_mb * 1_000_000
    for source in sources:
        size = (site_dir / source.path).stat().st_size
        if size > max_bytes:
            errors.add(source.path, 0, f"the file is {size / 1e6:.1f} MB, over the limit of "
                       f"{config.limits.max_file_mb} MB", "split it, or raise limits.max_file_mb in site.yaml")
            continue
        try:
            entry, entry_errors = read_entry(source, (site_dir / source.path).read_bytes(), config, markdown)
        except Exception as exc:  # a bug of ours must still name the file being processed
            raise InternalError(source.path, exc) from exc
        errors.extend(entry_errors)
        if entry is not None:
            entries.append(entry)
            warnings += entry.warnings
        else:
            failed_slugs.add(slugify(source.name))

    # 4. Assemble: URLs, taxonomies, cross-references, collisions.
    site, site_errors = assemble(config, sources, entries, drafts=drafts)
    # A responds_to naming an entry that failed to read is not a second problem.
    errors.extend(e for e in site_errors if not _about_failed(e.message, failed_slugs))
    if strict:
        errors.extend(warnings)
    if errors:
        raise BuildFailed(errors.sorted())

    # 5-6. Render every route, streaming into a new tree; swap it in only when all succeeded.
    renderer = Renderer(site, site_dir)
    report = BuildReport(entries=len(site.entries), out_dir=out_dir, warnings=sorted(warnings))
    if write:
        check_target(out_dir)
        with locked(out_dir):
            tree = OutputTree(out_dir)
            try:
                _render_all(site.routes, renderer, tree.write)
                tree.commit()
            finally:
                if tree.root.exists():
                    tree.discard()
        report.files, report.bytes = tree.stats.files, tree.stats.bytes
    else:
        _render_all(site.routes, renderer, lambda rel, data: None)
    report.pages = sum(1 for r in site.routes if r.path.endswith(".html"))
    report.seconds = time.perf_counter() - started
    return report


def _render_all(routes, renderer: Renderer, sink) -> None:
    for route in routes:
        try:
            sink(route.path, renderer.render(route))
        except TemplateProblem as problem:
            raise BuildFailed([problem.error]) from None
        except (BuildFailed, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise InternalError(route.owner, exc) from exc


def _config_warnings(config) -> list[SourceError]:
    if config.markdown.unsafe_html:
        return [SourceError("site.yaml", 0, "warning: markdown.unsafe_html is true: raw HTML in bodies is not "
                            "sanitised", "use it only if every editor is trusted")]
    return []


def _about_failed(message: str, failed_slugs: set[str]) -> bool:
    return message.startswith("responds_to: no entry has the slug") and any(
        f"'{slug}'" in message for slug in failed_slugs)
