"""Stage 3, read: one entry file -> a typed Entry, or the errors that prevent it.

`read_entry` is a pure function of the file's bytes and the config, so it can be
cached by content hash and run in a process pool.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, replace

from . import samples, yamlsrc
from .bodies import Body, BodyFile, text_of
from .config import SiteConfig
from .errors import Code, Invalid, SourceError, closest, did_you_mean
from .privacy import drop_identity
from .embeds import MARKER_RE, Embed, extract
from .frontmatter import split
from .markup import PAGE_LINK, PATH_LINK, SOURCE_LINK, MarkdownRenderer, WrittenLink
from .platforms import PLATFORMS, platform_of
from .schema import (Problem, When, abridged, at_most, between, boolean, choice, distinct, key, language_tag,
                     list_of, read_record, record, short_text, text, up_to, url, when, clean_text)
from .schema import text as string  # Post has a field named 'text'
from .schema import url as url_value  # Source has a field named 'url'
from .sources import SourceFile
from .urls import MAX_SLUG, SLUG_RE, normalise_alias, slugify
from .yamlsrc import Node
from .kinds import TAXONOMIES

STATUSES = ("live", "deleted", "protected", "suspended", "unknown")


@dataclass(frozen=True)
class ReadContext:
    """What a field parser may consult: the config (for vocabularies) and its timezone."""

    config: SiteConfig

    @property
    def timezone(self):
        return self.config.tz


# ---- field parsers that need the site's vocabularies ----------------------


@dataclass(frozen=True, order=True)
class Tag:
    """A free tag: its URL key and the form the editor wrote."""

    key: str
    """Lowercase slug: '#MeToo', 'metoo' and 'MeToo' all have the key 'metoo'."""
    display: str
    """As written, without '#'."""


def _tag(node: Node, ctx=None) -> Tag:
    if node.kind == "scalar" and node.value is None:
        raise Invalid("is empty: a '#' starts a comment in YAML", "quote the tag: - '#MeToo'")
    display = text(node).strip().lstrip("#").strip()
    term_key = slugify(display)
    if not term_key:
        raise Invalid(f"'{abridged(node.text)}' is not a usable tag", "write a tag with letters or digits")
    if len(term_key) > MAX_SLUG:
        raise Invalid(f"the tag is {len(term_key)} characters long once made a URL, over {MAX_SLUG}",
                      "shorten it")
    return Tag(term_key, display)


def _vocabulary(taxonomy: str):
    def parse_term(node: Node, ctx) -> str:
        vocabulary = ctx.config.taxonomies.of(taxonomy)
        names = vocabulary.lookup()
        written = text(node).strip()
        slug = names.get(written.lower())
        if slug is None:
            meant = closest(written, names)  # a slug or an alias: the hint names the term by its slug
            hint = (f"did you mean '{names[meant]}'?" if meant else "") or (
                "expected one of: " + ", ".join(s for s, _ in vocabulary.terms) if vocabulary.terms
                else f"add taxonomies.{taxonomy}.terms to site.yaml")
            raise Invalid(f"'{abridged(written)}' is not a {taxonomy[:-1]} in site.yaml", hint)
        return slug
    return parse_term


def _warning(node: Node, ctx) -> str:
    """Free text, or a term of site.yaml's content_warnings vocabulary when it declares one."""
    written = text(node).strip()
    names = ctx.config.warning_names()
    if not names:
        return written
    label = names.get(written.lower()) or names.get(slugify(written))
    if label is None:
        hint = did_you_mean(written, names) or "expected one of: " + ", ".join(s for s, _ in ctx.config.content_warnings)
        raise Invalid(f"'{abridged(written)}' is not a content warning in site.yaml", hint)
    return label


def _slug(node: Node, ctx=None) -> str:
    value = text(node)
    if not SLUG_RE.match(value):
        raise Invalid(f"'{abridged(value)}' is not a valid slug",
                      f"use lowercase a-z, 0-9 and '-', e.g. '{slugify(value)[:MAX_SLUG] or 'my-entry'}'")
    if len(value) > MAX_SLUG:
        raise Invalid(f"the slug is {len(value)} characters long, over {MAX_SLUG}", "shorten it")
    return value


def _alias(node: Node, ctx=None) -> str:
    value = text(node).strip()
    if normalise_alias(value) is None:
        raise Invalid(f"'{abridged(value)}' is not a site path",
                      "write a path from the site root, e.g. /2017/10/old-page/")
    return value


@dataclass(frozen=True)
class Author:
    """A person credited for an entry."""

    name: str = key("The name shown.", text)
    url: str = key("A link to the author's page (http, https or mailto).", url, "")
    unknown: bool = key("The source names no author: the name shown stands in for one, and citations leave it "
                        "out.", boolean, False)


def _author(node: Node, ctx) -> Author:
    if node.kind == "scalar":
        return Author(text(node))
    return record(Author)(node, ctx)


@dataclass(frozen=True)
class Source:
    """Where material from elsewhere was first published."""

    title: str = key("The original's title.", text, "")
    publisher: str = key("Who published it.", text, "")
    url: str = key("The original URL.", url, "")
    archived_url: str = key("A preserved copy, used when the original is gone.", url_value, "")
    published: When | None = key("When the original was published.", when, None)


@dataclass(frozen=True)
class Withdrawal:
    """A takedown: the entry leaves the site, and its URL serves this notice."""

    date: When = key("When it was withdrawn.", when)
    reason: str = key("One sentence shown in place of the entry, e.g. 'Removed at the author's request.'", text)


@dataclass(frozen=True)
class Person:
    """The author of a thread or post on another platform."""

    name: str = key("The name shown (may be a pseudonym chosen by the editor).", text)
    handle: str = key("The platform handle, without '@'; never shown when private.", text, "")
    url: str = key("The profile URL; never shown when private.", url, "")
    private: bool = key("A private individual: handle and profile URL appear nowhere in the output.", boolean, False)


def _person(node: Node, ctx) -> Person:
    person = record(Person)(node, ctx)
    return Person(person.name, person.handle.lstrip("@"), person.url, person.private)


def _media_src(node: Node, ctx=None) -> str:
    """A file in the entry's bundle, or an http(s) URL: never javascript: or data:."""
    value = text(node).strip()
    if re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I):
        if not re.match(r"^https?://[^/\s]+", value, re.I):
            raise Invalid(f"'{abridged(value)}' is not an http or https URL",
                          "write a file name from the entry's bundle, or an https:// URL")
        return url(node, ctx)
    if value.startswith("/") or "\\" in value:
        raise Invalid(f"'{abridged(value)}' is not a file in the entry's bundle",
                      "write a path relative to the entry's folder")
    return value


@dataclass(frozen=True)
class Media:
    """An image attached to a post."""

    src: str = key("The file, relative to the entry's bundle, or an http(s) URL.", _media_src)
    alt: str = key("Text describing the image for people who cannot see it (required).", text)


POST_ID_MAX = 200
"""Longer than any platform's id (a Bluesky at:// URI is under 150 characters)."""


def _post_id(node: Node, ctx=None) -> str:
    if node.kind == "scalar" and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        raise Invalid(f"the id {abridged(node.text)} is written as a number",
                      f"quote it, id: \"{abridged(node.text)}\", since YAML numbers lose digits")
    value = text(node).strip()
    if len(value) > POST_ID_MAX or any(c.isspace() or not c.isprintable() for c in value):
        raise Invalid(f"'{abridged(value)}' is not a post id", f"copy the id from the post's URL: at most "
                      f"{POST_ID_MAX} characters, without spaces or line breaks")
    return value


@dataclass(frozen=True)
class Post:
    """One archived post, from a thread's `posts` or a ```post block."""

    text: str = key("The post's text as published.", string)
    n: int | None = key("Its position in the thread, when known (at most limits.parts_total).", up_to("parts_total"),
                        None)
    id: str = key("The platform's id, as a quoted string.", _post_id, "")
    url: str = key("The post's URL on the platform; never shown when its author is private.", url, "")
    date: When | None = key("When it was posted.", when, None)
    lang: str = key("BCP 47 language of the text.", language_tag, "")
    media: tuple[Media, ...] = key("Images, each {src, alt}.", at_most("media_per_post", "images",
                                                                        list_of(record(Media))), ())
    status: str = key("live, deleted, protected, suspended or unknown.", choice(STATUSES), "unknown")


@dataclass(frozen=True)
class PostBlock(Post):
    """A ```post block: one post with its platform and author, embedded in a body."""

    platform: str = key("Where it was posted; default: read from its url.", choice(PLATFORMS), "")
    author: Person | None = key("Its author: {name, handle, url, private}.", _person, None, required=True)


@dataclass(frozen=True)
class FrontMatter:
    """The keys an entry's front matter may have. Any other key is an error."""

    title: str = key("The entry's title.", short_text("title_chars"))
    date: When = key("Date, or ISO 8601 date-time with offset, of first publication.", when)
    updated: When | None = key("When it was last changed.", when, None)
    slug: str = key("The URL name; default: the file name, transliterated.", _slug, "")
    summary: str = key("A sentence or two for listings and feeds; default: the first paragraph.",
                       short_text("summary_chars", optional=True), "")
    authors: tuple[Author, ...] = key("Names, or {name, url} mappings. A take needs at least one.",
                                      list_of(_author), ())
    tags: tuple[Tag, ...] = key("Free tags; '#' is stripped and case is ignored.",
                                at_most("tags_per_entry", "tags", distinct(list_of(_tag), lambda t: t.key)), ())
    regions: tuple[str, ...] = key("Regions from site.yaml.", distinct(list_of(_vocabulary("regions"))), ())
    sectors: tuple[str, ...] = key("Sectors from site.yaml.", distinct(list_of(_vocabulary("sectors"))), ())
    lang: str = key("BCP 47 language; default: the site's.", language_tag, "")
    content_warnings: tuple[str, ...] = key("Shown before the body and in feeds; from site.yaml's vocabulary if it "
                                            "has one.", distinct(list_of(_warning)), ())
    content_warnings_collapse: bool = key("Hide the body behind the warning until the reader opens it.", boolean,
                                          True)
    source: Source | None = key("Provenance of material first published elsewhere.", record(Source), None)
    responds_to: tuple[str, ...] = key("Slugs of the articles a take responds to.", distinct(list_of(_slug)), ())
    aliases: tuple[str, ...] = key("Old paths that must keep working (/2017/10/old/ or /old.html).",
                                   at_most("aliases_per_entry", "aliases", list_of(_alias)), ())
    featured: bool = key("List first on the home page.", boolean, False)
    draft: bool = key("Built only with --drafts.", boolean, False)
    withdrawn: Withdrawal | None = key("A takedown: {date, reason}.", record(Withdrawal), None)
    weight: int = key("Order in the navigation (pages only; lower first).", between(-1_000_000, 1_000_000), 0,
                      only="page")
    platform: str = key("Where the thread was posted; default: read from its posts' URLs when they all agree.",
                        choice(PLATFORMS), "", only="thread")
    author: Person | None = key("The thread's author: {name, handle, url, private}.", _person, None,
                                only="thread", required=True)
    parts_total: int | None = key("How many parts the thread had, when known (at most limits.parts_total).",
                                  up_to("parts_total"), None, only="thread")
    posts: tuple[Post, ...] = key("The archived posts, in order.",
                                  at_most("posts_per_thread", "posts", list_of(record(Post))), (),
                                  only="thread", required=True)


PAGE_UNUSED = {t.name for t in TAXONOMIES} | {"featured", "responds_to"}


@dataclass(frozen=True)
class Link:
    """A link in a body that may lead within the site; those in Entry.links (to an entry's source file, to a
    root-relative URL) are marked in the body by their index there."""

    href: str
    """As written, without its fragment: '../threads/t.md', '/articles/x/?q', 'https://...', '' (the page)."""
    target: str
    """The linked source file, relative to the site folder; for a URL, its path ('/articles/x/')."""
    fragment: str
    """'#part' or ''."""
    line: int
    """Where it is written."""
    kind: str = SOURCE_LINK
    """What it names: markup.SOURCE_LINK, PATH_LINK, PAGE_LINK or ABSOLUTE_LINK."""


@dataclass(frozen=True)
class Entry:
    """One entry, read and rendered: everything later stages need, and nothing of the file."""

    source: SourceFile
    kind: str
    slug: str
    meta: FrontMatter
    body: str | Body
    """The rendered body (see body_html): its text, or, once the entry is kept for the rest of the build, where
    it was written out of memory (generator/bodies.py)."""
    summary: str
    """Plain text."""
    links: tuple[Link, ...]
    """Links to other entries, in the order of the body (one per link, repeats included)."""
    words: int
    embeds: tuple[Embed, ...]
    """Posts and threads embedded with fenced blocks, in order; the body holds a marker paragraph for each."""
    line_of: tuple[tuple[str, int], ...]
    """File line of each front-matter key, for errors found during assembly."""
    warnings: tuple[SourceError, ...] = ()
    """Problems that do not stop the build (errors with --strict)."""
    digest: str = ""
    """Digest of the file, its path, site.yaml and the generator version: what the cache keys it by."""
    body_line: int = 1
    """File line of the body's first line."""
    other_links: tuple[Link, ...] = ()
    """Links to a fragment of the page itself ('#part') and absolute http(s) URLs, left as written: the build
    checks those that lead within the site."""
    anchors: tuple[str, ...] = ()
    """The ids of the body's elements (its headings', its footnotes'), sorted: what '#fragment' may name."""
    shape: str = ""
    """What a file made from the whole archive's shape reads of the entry (the sitemap, the timeline; see
    inputs.py): its path, kind, dates, whether it is a draft or withdrawn, and its terms; not its text. Made
    once, when the entry is read (and kept in the cache), not at every build."""

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def body_html(self) -> str:
        """The rendered body; each link to another entry is a marker (markup.LINK_MARKER) of its index in `links`.
        Read from its BodyFile at each use when written out: keep what you need of it, not the text."""
        return text_of(self.body)

    def spilled(self, bodies: BodyFile) -> Entry:
        """This entry as a build keeps it while it runs: its body written to `bodies` (read back when used), and
        the names of its front matter's keys shared with every other entry's rather than copies of its own."""
        if isinstance(self.body, Body):
            return self
        return replace(self, body=bodies.put(self.body),
                       line_of=tuple((sys.intern(name), line) for name, line in self.line_of))

    def given_body(self, body: Body) -> Entry:
        """This entry, just unpickled from the entry cache (which keeps bodies apart from entries), with its body
        as written out, as `spilled` makes it (the cache's rows share its front matter's key names already:
        cache.RowFormat). Set in place: nothing else holds the entry yet, and a replace() per entry would cost
        as much as the rest of the unpickling."""
        object.__setattr__(self, "body", body)
        return self

    def line(self, name: str) -> int:
        return dict(self.line_of).get(name, 1)


def read_entry(source: SourceFile, raw: bytes, config: SiteConfig,
               markdown: MarkdownRenderer) -> tuple[Entry | None, list[SourceError]]:
    """Parse and render one entry file."""
    def fail(line: int, message: str, hint: str, code: Code,
             excerpt: tuple[str, ...] = ()) -> tuple[None, list[SourceError]]:
        return None, [SourceError(source.path, line, message, hint, code=code, excerpt=excerpt)]

    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(raw[: exc.start].count(b"\n") + 1, "the file is not valid UTF-8",
                    "save it with the UTF-8 encoding", Code.FILE)
    content = clean_text(content.replace("\r\n", "\n"))
    try:
        parts = split(content)
        node = yamlsrc.load(parts.yaml, parts.yaml_line)
    except Invalid as exc:
        return fail(exc.line or 1, exc.message, exc.hint, Code.SYNTAX, exc.excerpt)

    problems: list[Problem] = []
    context = ReadContext(config)
    meta = read_record(FrontMatter, node, context, problems, missing_line=1, kind=source.kind)
    if meta is not None:
        problems += _kind_rules(source, meta, node)
        meta = _thread_platform(meta, problems)
    default_slug = slugify(source.name)
    if meta is not None and not meta.slug and not default_slug:
        problems.append(Problem(1, f"no slug can be made from the file name '{source.name}'",
                                "add 'slug: my-entry' to the front matter"))
    elif meta is not None and not meta.slug and len(default_slug) > MAX_SLUG:
        problems.append(Problem(1, f"the slug made from the file name is {len(default_slug)} characters long, "
                                f"over {MAX_SLUG}", "rename the file, or add a shorter 'slug:'"))
    body, embeds, embed_problems = extract(parts.body, parts.body_line, context, PostBlock)
    problems += embed_problems
    if problems:
        return None, [SourceError(source.path, p.line, p.message, p.hint, code=p.code, excerpt=p.excerpt)
                      for p in problems]

    rendered = markdown.render(body)
    body_html = rendered.html
    links = _collect_links(source, rendered.links, parts.body, parts.body_line)
    summary = meta.summary or first_paragraph_text(body_html)
    # A private author's profile and post URLs carry their handle and are never shown: they are not kept.
    embeds = tuple(replace(e, post=drop_identity(e.post)) if e.post is not None else e for e in embeds)
    entry = Entry(source=source, kind=source.kind, slug=meta.slug or default_slug, meta=drop_identity(meta),
                  body=body_html, summary=summary, links=links, body_line=parts.body_line,
                  other_links=_collect_links(source, rendered.unmarked, parts.body, parts.body_line),
                  anchors=rendered.anchors,
                  words=len(re.findall(r"\w+", body)) - len(embeds), embeds=embeds,
                  line_of=tuple(sorted(node.key_lines.items())) if node else (),
                  warnings=tuple(_warnings(source, meta, summary, body_html)
                                 + samples.left_in(source.path, meta, parts.body, parts.body_line, node)),
                  shape=_shape(source, meta))
    return entry, []


def _shape(source: SourceFile, meta: FrontMatter) -> str:
    tags = " ".join(f"{t.key}={len(t.display)}:{t.display}" for t in meta.tags)  # as written: any text
    return (f"{source.path} {source.kind} {meta.date.at.isoformat()} "
            f"{meta.updated.at.isoformat() if meta.updated else '-'} {meta.draft} {meta.withdrawn is not None} "
            f"{','.join(meta.regions)} {','.join(meta.sectors)} {tags}")


def _warnings(source: SourceFile, meta: FrontMatter, summary: str, body_html: str) -> list[SourceError]:
    warnings = []
    if not summary and not body_html.strip() and not meta.posts:
        warnings.append(SourceError(source.path, 1, "warning: the entry has no summary and an empty body",
                                    "write its text below the front matter, or a summary", code=Code.WARNING))
    level = 1  # the page's title is the h1
    for found in re.finditer(r"<h([1-6])[ >]", body_html):
        if int(found.group(1)) > level + 1:
            warnings.append(SourceError(source.path, 1, f"warning: a heading of level {found.group(1)} follows one of "
                                        f"level {level}", "use ## for the body's first headings: the title is level 1",
                                        code=Code.WARNING))
            break
        level = int(found.group(1))
    seen: set[int] = set()
    for post in meta.posts:
        if post.n and meta.parts_total and post.n > meta.parts_total:
            warnings.append(SourceError(source.path, 1, f"warning: post {post.n} is beyond parts_total "
                                        f"({meta.parts_total})", "correct n or parts_total", code=Code.WARNING))
        if post.n and post.n in seen:
            warnings.append(SourceError(source.path, 1, f"warning: two posts are numbered {post.n}",
                                        "give each post its own n", code=Code.WARNING))
        seen.add(post.n or 0)
    return warnings


def _kind_rules(source: SourceFile, meta: FrontMatter, node: Node) -> list[Problem]:
    problems = []
    if source.kind == "take" and not meta.authors:
        problems.append(Problem(node.key_lines.get("authors", 1), "authors: a take needs at least one author",
                                "add 'authors: [Your Name]'"))
    if source.kind == "page":
        for name in sorted(PAGE_UNUSED & set(node.key_lines)):
            problems.append(Problem(node.key_lines[name], f"{name}: pages are not listed or classified",
                                    f"remove '{name}', or move the file to content/articles/"))
    if source.kind != "take" and meta.responds_to:
        problems.append(Problem(node.key_lines["responds_to"], "responds_to: only a take responds to articles",
                                "move the file to content/takes/, or remove 'responds_to'"))
    return problems


def _thread_platform(meta: FrontMatter, problems: list[Problem]) -> FrontMatter:
    """A thread without `platform` is on the platform its posts' URLs name, when they all name the same one."""
    if not meta.posts or meta.platform:
        return meta
    named = {platform_of(post.url) for post in meta.posts if post.url}
    if len(named) == 1 and "" not in named:
        return replace(meta, platform=named.pop())
    if not named:
        told = "no post has a url to read it from"
    elif len(named - {""}) > 1:
        told = "the posts' URLs name " + " and ".join(sorted(named - {""}))
    else:
        told = "a post's url names no known platform"
    problems.append(Problem(1, f"platform: not given, and {told}", "add 'platform:', one of " + ", ".join(PLATFORMS)))
    return meta


def _collect_links(source: SourceFile, written: tuple[WrittenLink, ...], body: str,
                   body_line: int) -> tuple[Link, ...]:
    """The links the body's Markdown wrote, each with its target and line."""
    lines = body.split("\n")
    seen: dict[str, int] = {}
    links = []
    for link in written:
        if link.kind == SOURCE_LINK:
            target = _source_target(source, link.path)
        else:
            target = link.path.split("?", 1)[0]
        looked_for = link.path or link.fragment
        nth = seen[looked_for] = seen.get(looked_for, -1) + 1
        line = _line_index(lines, looked_for, nth, alone=link.kind in (PATH_LINK, PAGE_LINK))
        links.append(Link(link.path, target, link.fragment, body_line + line, link.kind))
    return tuple(links)


def _source_target(source: SourceFile, path: str) -> str:
    """The source file a link written in `source` names, relative to the site folder."""
    parts = source.path.rsplit("/", 1)[0].split("/")
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _line_index(lines: list[str], path: str, nth: int, alone: bool = False) -> int:
    """The line of the nth link to `path` in the body: the nth line that writes it, or the last one.

    Markdown does not say where an element came from, so the path is looked for as written, then with
    backslash escapes and character references decoded ('a\\_b.md', 'a&amp;b.md'). `alone`: only where it
    starts a URL ('#part' but not 'x.md#part', '/x/' but not 'https://e.org/x/'). The body's first line
    when it cannot be found.
    """
    count = re.compile(r"(?<![^\s(<\[\]:'\"])" + re.escape(path)).findall if alone else None
    for read in (str, _decoded):
        found = [index for index, line in enumerate(lines)
                 for _ in range(len(count(read(line))) if count else read(line).count(path))]
        if found:
            return found[min(nth, len(found) - 1)]
    return 0


def _decoded(line: str) -> str:
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", line))


_TAG_RE = re.compile(r"<[^>]+>")
SUMMARY_LIMIT = 300


def first_paragraph_text(body_html: str) -> str:
    """The first paragraph as plain text, cut at a word near SUMMARY_LIMIT characters."""
    match = re.search(r"<p>(?!%s</p>)(?P<text>.*?)</p>" % MARKER_RE.pattern, body_html, re.S)
    if not match:
        return ""
    plain = " ".join(html.unescape(_TAG_RE.sub("", MARKER_RE.sub("", match.group("text")))).split())
    if len(plain) <= SUMMARY_LIMIT:
        return plain
    cut = plain[:SUMMARY_LIMIT].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


REPEATED = ("tags", "regions", "sectors", "authors", "content_warnings")
"""Front-matter keys whose values many entries repeat (see Repeats)."""


class Repeats:
    """One object for each value that many entries repeat (a tag, an author, a list of regions), for a build's
    entries. Read apart (from the entry cache's rows, from the reading processes), each entry holds copies of
    its own: at 10,000 entries, 34,000 tags where a few hundred differ, held to the build's end."""

    def __init__(self) -> None:
        self._seen: dict = {}

    def shared(self, entry: Entry) -> Entry:
        """`entry`, each of its repeated values replaced in place by the equal one other entries hold. Set in place,
        as for given_body: the entry was just read, and nothing else holds it yet."""
        meta, seen = entry.meta, self._seen
        for name in REPEATED:
            values = getattr(meta, name)
            if values:
                values = tuple([seen.setdefault(value, value) for value in values])
                object.__setattr__(meta, name, seen.setdefault(values, values))
        return entry
