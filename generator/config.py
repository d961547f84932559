"""Stage 1, load: site.yaml as a typed, frozen SiteConfig.

Every key is declared once below with its parser, default and doc; docs/site-yaml.md
is written from these declarations. Unknown keys are errors naming the allowed ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import yamlsrc
from .errors import Code, Invalid, SourceError, did_you_mean
from .schema import (Problem, between, boolean, key, language_tag, list_of, mapping_of, optional_text, positive_int,
                     read_record, record, text)
from .sources import Unreadable, read_regular
from .yamlsrc import Node
from .kinds import CLOSED_TAXONOMIES

CONFIG_FILE = "site.yaml"
MAX_CONFIG_BYTES = 10_000_000
"""site.yaml holds settings, never content: a larger file is a mistake."""


def _absolute_base(node: Node, ctx=None) -> str:
    value = text(node).strip()
    if not (value.startswith("https://") or value.startswith("http://")) or len(value.split("/")) < 3 or not value.split("/")[2]:
        raise Invalid(f"'{value}' is not an absolute http(s) URL", "write it as https://example.org/")
    return value if value.endswith("/") else value + "/"


def _timezone(node: Node, ctx=None) -> str:
    name = text(node)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"'{name}' is not a known timezone", "use an IANA name such as UTC or Europe/Paris") from None
    return name


def _term_name(node: Node, ctx=None) -> str:
    return text(node).strip().lower()


@dataclass(frozen=True)
class Term:
    """One term of a closed vocabulary (a region or a sector)."""

    title: str = key("The name shown to visitors.", text)
    aliases: tuple[str, ...] = key("Other names editors may write for this term; they mean the same term.",
                                   list_of(_term_name), ())
    lang: str = key("BCP 47 language of the term's title, when not the site's.", language_tag, "")


@dataclass(frozen=True)
class OpenTaxonomy:
    """A taxonomy whose terms editors make up freely (tags)."""

    title: str = key("The heading of the taxonomy's index page.", text, "Tags")


@dataclass(frozen=True)
class ClosedTaxonomy:
    """A taxonomy whose terms are listed in site.yaml; any other is an error."""

    title: str = key("The heading of the taxonomy's index page.", text)
    terms: tuple[tuple[str, Term], ...] = key("The allowed terms, by slug (lowercase a-z, 0-9, '-').",
                                               mapping_of(record(Term)), ())

    def lookup(self) -> dict[str, str]:
        """Every name an editor may write (slug or alias, lowercased) -> the term's slug."""
        names = {}
        for slug, term in self.terms:
            names[slug] = slug
            for alias in term.aliases:
                names[alias] = slug
        return names

    def term(self, slug: str) -> Term:
        return dict(self.terms)[slug]


@dataclass(frozen=True)
class Taxonomies:
    """The archive's three ways to browse."""

    tags: OpenTaxonomy = key("Free tags ('#' stripped, matched case-insensitively).", record(OpenTaxonomy),
                             OpenTaxonomy())
    regions: ClosedTaxonomy = key("Where an entry's events happened: a closed vocabulary.", record(ClosedTaxonomy),
                                  ClosedTaxonomy(title="Regions"))
    sectors: ClosedTaxonomy = key("Which part of society an entry concerns: a closed vocabulary.",
                                  record(ClosedTaxonomy), ClosedTaxonomy(title="Sectors"))

    def of(self, name: str) -> OpenTaxonomy | ClosedTaxonomy:
        """The settings of the taxonomy `name` (a name of kinds.TAXONOMIES)."""
        return getattr(self, name)


@dataclass(frozen=True)
class Feeds:
    """What feeds carry."""

    items: int = key("How many of the newest entries each feed carries.", positive_int, 50)
    full_content: bool = key("Carry each entry's whole body; false carries the summary only.", boolean, True)


@dataclass(frozen=True)
class Markdown:
    """How Markdown bodies are turned into HTML."""

    unsafe_html: bool = key("Keep raw HTML in bodies as written instead of sanitising it (trusted editors only).",
                            boolean, False)


@dataclass(frozen=True)
class Limits:
    """Limits that protect the machine from a runaway file: each is checked when the file is read.

    Every limit has a ceiling of its own, so that site.yaml cannot ask for a build
    that never ends either.
    """

    max_file_mb: int = key("The largest entry file read, in megabytes; a larger one is an error.",
                           between(1, 10_000), 10)
    parts_total: int = key("The largest `parts_total` a thread may declare, and the largest post number `n`.",
                           between(1, 100_000), 1000)
    posts_per_thread: int = key("The most posts a thread's `posts` may list.", between(1, 100_000), 1000)
    aliases_per_entry: int = key("The most `aliases` an entry may have (each is a page).", between(1, 10_000), 50)
    tags_per_entry: int = key("The most `tags` an entry may have (each may be a page with feeds).",
                              between(1, 10_000), 100)
    media_per_post: int = key("The most `media` items a post may have.", between(1, 1000), 20)
    embeds_per_body: int = key("The most ```post, ```tweet and ```thread blocks a body may hold.",
                               between(1, 10_000), 100)
    title_chars: int = key("The longest `title`, in characters (it is repeated in listings and feeds).",
                           between(1, 100_000), 500)
    summary_chars: int = key("The longest `summary`, in characters (it is repeated in listings and feeds).",
                             between(1, 100_000), 2000)
    search_timeout: int = key("How many seconds the search indexer may run before the build stops with an error.",
                              between(1, 86_400), 600)


@dataclass(frozen=True)
class Warning:
    """One content warning of the site's vocabulary."""

    label: str = key("How the warning is shown to readers.", text)
    aliases: tuple[str, ...] = key("Other names editors may write for it.", list_of(_term_name), ())


@dataclass(frozen=True)
class PublicAccounts:
    """Accounts `chorus import` names as they are: public figures and organisations, by platform."""

    twitter: tuple[str, ...] = key("Twitter handles, without '@' (they count for X too).", list_of(_term_name), ())
    mastodon: tuple[str, ...] = key("Mastodon handles as user@server.", list_of(_term_name), ())

    def of(self, platform: str) -> frozenset[str]:
        """The public handles of a platform, lowercased, without a leading '@'."""
        handles = self.twitter if platform in ("twitter", "x") else getattr(self, platform, ())
        return frozenset(handle.lstrip("@") for handle in handles)


@dataclass(frozen=True)
class SiteConfig:
    """site.yaml: the archive's settings."""

    title: str = key("The archive's name, shown on every page and in feed titles.", text)
    base_url: str = key("The absolute URL the site is served at; used for feeds, the sitemap and canonical links.",
                        _absolute_base)
    description: str = key("One or two sentences shown on the home page and in feeds.", optional_text, "")
    language: str = key("BCP 47 language of the archive; entries may override it with `lang`.", language_tag, "en")
    timezone: str = key("IANA timezone for dates given without an offset, and for showing and grouping dates.",
                        _timezone, "UTC")
    taxonomies: Taxonomies = key("Tags, regions and sectors.", record(Taxonomies), Taxonomies())
    feeds: Feeds = key("Feed settings.", record(Feeds), Feeds())
    pagination: int = key("Entries per listing page.", positive_int, 20)
    markdown: Markdown = key("Markdown settings.", record(Markdown), Markdown())
    limits: Limits = key("Limits that protect the machine.", record(Limits), Limits())
    search: bool = key("Build a search page and its static index (Pagefind); false leaves both out.", boolean,
                       True)
    content_warnings: tuple[tuple[str, Warning], ...] = key(
        "A vocabulary of content warnings by slug; when given, entries may use only these.",
        mapping_of(record(Warning)), ())
    public_accounts: PublicAccounts = key(
        "Handles that `chorus import` keeps public; every other author it imports is private (`private: true`).",
        record(PublicAccounts), PublicAccounts())

    def warning_names(self) -> dict[str, str]:
        """Every name an editor may write for a warning (slug, alias or label, lowercased) -> its label."""
        names = {}
        for slug, warning in self.content_warnings:
            for name in (slug, *warning.aliases, warning.label.lower()):
                names[name] = warning.label
        return names

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path part of base_url ('/' or '/archive/'): every internal link starts with it."""
        rest = self.base_url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def load_config(site_dir: Path, base_url: str | None = None) -> tuple[SiteConfig | None, list[SourceError]]:
    """Read site.yaml; returns the config, or None with the errors that prevent it."""
    path = site_dir / CONFIG_FILE
    if not path.exists() and not path.is_symlink():
        return None, [SourceError(CONFIG_FILE, 0, "no such file in the site folder",
                                  "create it; docs/site-yaml.md lists its keys", code=Code.CONFIG)]
    try:
        raw = read_regular(path, MAX_CONFIG_BYTES)
    except Unreadable as exc:
        if exc.size:
            return None, [SourceError(CONFIG_FILE, 0, f"the file is {exc.size / 1e6:.1f} MB, over the limit of "
                                      f"{MAX_CONFIG_BYTES // 1_000_000} MB", "keep settings only in site.yaml",
                                      code=Code.CONFIG)]
        return None, [SourceError(CONFIG_FILE, 0, exc.message, exc.hint, code=Code.CONFIG)]
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [SourceError(CONFIG_FILE, line, "the file is not valid UTF-8", "save it as UTF-8",
                                  code=Code.CONFIG)]
    try:
        node = yamlsrc.load(content, 1)
    except Invalid as exc:
        return None, [SourceError(CONFIG_FILE, exc.line or 1, exc.message, exc.hint, code=Code.CONFIG,
                                  excerpt=exc.excerpt)]
    problems: list[Problem] = []
    config = read_record(SiteConfig, node, None, problems, missing_line=1)
    errors = [SourceError(CONFIG_FILE, p.line, p.message, p.hint, code=Code.CONFIG) for p in problems]
    if config is not None:
        errors += _check_vocabularies(config, node)
    if errors:
        return None, sorted(errors)
    if base_url:
        try:
            config = dataclasses.replace(config, base_url=_absolute_base(Node("scalar", 0, base_url, base_url)))
        except Invalid as exc:
            return None, [SourceError("--base-url", 0, exc.message, exc.hint, code=Code.CONFIG)]
    return config, []


def _check_vocabularies(config: SiteConfig, node: Node) -> list[SourceError]:
    """An alias must not name another term, or an editor's 'usa' would be ambiguous."""
    errors = []
    for name in CLOSED_TAXONOMIES:
        taxonomy: ClosedTaxonomy = config.taxonomies.of(name)
        seen: dict[str, str] = {}
        for slug, term in taxonomy.terms:
            for alias in (slug, *term.aliases):
                if alias in seen and seen[alias] != slug:
                    errors.append(SourceError(CONFIG_FILE, _line(node, "taxonomies", name, "terms", slug),
                                              f"taxonomies.{name}.terms.{slug}: '{alias}' already names '{seen[alias]}'",
                                              "give each alias to one term only", code=Code.CONFIG))
                seen.setdefault(alias, slug)
    return errors


def _line(node: Node, *path: str) -> int:
    line = node.line
    for part in path:
        child = node.get(part) if node else None
        if child is None:
            break
        line = node.key_lines.get(part, child.line)
        node = child
    return line


__all__ = ["SiteConfig", "load_config", "did_you_mean"]
