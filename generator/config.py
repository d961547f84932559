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
from .errors import Invalid, SourceError, did_you_mean
from .schema import Problem, boolean, key, list_of, mapping_of, optional_text, positive_int, read_record, record, text
from .yamlsrc import Node

CONFIG_FILE = "site.yaml"


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
    lang: str = key("BCP 47 language of the term's title, when not the site's.", text, "")


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
    """Limits that protect the machine from a runaway file."""

    max_file_mb: int = key("The largest entry file read, in megabytes; a larger one is an error.", positive_int, 10)


@dataclass(frozen=True)
class Warning:
    """One content warning of the site's vocabulary."""

    label: str = key("How the warning is shown to readers.", text)
    aliases: tuple[str, ...] = key("Other names editors may write for it.", list_of(_term_name), ())


@dataclass(frozen=True)
class SiteConfig:
    """site.yaml: the archive's settings."""

    title: str = key("The archive's name, shown on every page and in feed titles.", text)
    base_url: str = key("The absolute URL the site is served at; used for feeds, the sitemap and canonical links.",
                        _absolute_base)
    description: str = key("One or two sentences shown on the home page and in feeds.", optional_text, "")
    language: str = key("BCP 47 language of the archive; entries may override it with `lang`.", text, "en")
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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [SourceError(CONFIG_FILE, 0, "no such file in the site folder",
                                  "create it; docs/site-yaml.md lists its keys")]
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [SourceError(CONFIG_FILE, line, "the file is not valid UTF-8", "save it as UTF-8")]
    try:
        node = yamlsrc.load(content, 1)
    except Invalid as exc:
        return None, [SourceError(CONFIG_FILE, exc.line or 1, exc.message, exc.hint)]
    problems: list[Problem] = []
    config = read_record(SiteConfig, node, None, problems, missing_line=1)
    errors = [SourceError(CONFIG_FILE, p.line, p.message, p.hint) for p in problems]
    if config is not None:
        errors += _check_vocabularies(config, node)
    if errors:
        return None, sorted(errors)
    if base_url:
        try:
            config = dataclasses.replace(config, base_url=_absolute_base(Node("scalar", 0, base_url, base_url)))
        except Invalid as exc:
            return None, [SourceError("--base-url", 0, exc.message, exc.hint)]
    return config, []


def _check_vocabularies(config: SiteConfig, node: Node) -> list[SourceError]:
    """An alias must not name another term, or an editor's 'usa' would be ambiguous."""
    errors = []
    for name in ("regions", "sectors"):
        taxonomy: ClosedTaxonomy = getattr(config.taxonomies, name)
        seen: dict[str, str] = {}
        for slug, term in taxonomy.terms:
            for alias in (slug, *term.aliases):
                if alias in seen and seen[alias] != slug:
                    errors.append(SourceError(CONFIG_FILE, _line(node, "taxonomies", name, "terms", slug),
                                              f"taxonomies.{name}.terms.{slug}: '{alias}' already names '{seen[alias]}'",
                                              "give each alias to one term only"))
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
