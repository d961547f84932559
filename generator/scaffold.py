"""`chorus new`: a new entry file whose front matter is written from the key declarations.

Every key the kind may have is there, in the order generator/entries.py declares them, each with its
doc as a comment (generator/reference.py walks the declarations). Required keys have a value that
passes the checks, so the file builds as written (a take's author, a thread's author and post are
stand-ins to replace); every other key is commented out with an example, to use by removing '# '.
The entry is a draft (`draft: true`) with a sample line for a body: it is published once the editor
removes that line, and a build warns about any stand-in still in it then (generator/samples.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from . import reference, schema
from .samples import SAMPLE_BODIES, STAND_IN_NAME, STAND_IN_POST
from .config import SiteConfig, load_config
from .entries import FrontMatter
from .errors import BuildFailed
from .kinds import KINDS, TAXONOMY
from .reference import REFUSED, REQUIRED, Key
from .urls import slugify

KIND_FOLDERS = {kind.name: kind.folder for kind in KINDS}
"""`chorus new KIND` -> the folder under content/."""

DRAFT_NOTE = "It is a draft: remove its line 'draft: true' to publish it (chorus serve --drafts shows it meanwhile)."
"""What `chorus new` says on stderr of the file it wrote, after its path on stdout."""


class NewEntryError(Exception):
    """`chorus new` cannot write the file: a message, a hint and the exit status."""

    def __init__(self, message: str, hint: str = "", code: int = 1):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


@dataclass(frozen=True)
class NewEntry:
    path: str
    """Relative to the site folder, with '/' separators: content/takes/x.md."""
    text: str


def clean_title(title: str) -> str:
    """One line: runs of whitespace (newlines, tabs) become one space, control characters go."""
    title = "".join(c for c in title if unicodedata.category(c) != "Cc" or c in "\t\n\r")
    return " ".join(title.split())


def quote(value: str) -> str:
    """A YAML double-quoted scalar for any text: '#MeToo: "x"' stays a string, 'yes' stays 'yes'."""
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=float("inf")).strip()


def plan(site_dir: Path, kind: str, title: str, today: date | None = None) -> NewEntry:
    """The file `chorus new KIND TITLE` would write. Raises NewEntryError, or BuildFailed for site.yaml."""
    if kind not in KIND_FOLDERS:
        raise NewEntryError(f"'{kind}' is not a kind of entry", "expected one of: " + ", ".join(KIND_FOLDERS), 2)
    title = clean_title(title)
    if not title:
        raise NewEntryError("the title is empty", 'give the title in quotes: chorus new take "My title"', 2)
    slug = slugify(title)
    if not slug:
        raise NewEntryError(f"no file name can be made from the title '{title}'",
                            "give a title with letters or digits", 2)
    config, errors = load_config(site_dir)
    if config is None:
        raise BuildFailed(errors)
    if today is None:
        today = datetime.now(config.tz).date()
    folder = KIND_FOLDERS[kind]
    rel = f"content/{folder}/{slug}.md"
    for taken in (site_dir / rel, site_dir / "content" / folder / slug):
        if taken.exists() or taken.is_symlink():
            shown = taken.relative_to(site_dir).as_posix() + ("/" if taken.is_dir() else "")
            raise NewEntryError(f"{shown} already exists; nothing was written",
                                "choose another title, or edit that file")
    return NewEntry(rel, front_matter(kind, title, today, config))


def write(site_dir: Path, entry: NewEntry) -> None:
    """Create the file; never overwrite (a file created meanwhile is refused too)."""
    path = site_dir / entry.path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as out:
            out.write(entry.text)
    except FileExistsError:
        raise NewEntryError(f"{entry.path} already exists; nothing was written",
                            "choose another title, or edit that file") from None


def new_entry(site_dir: Path, kind: str, title: str, today: date | None = None) -> str:
    """Write a new entry; returns its path relative to the site folder."""
    entry = plan(site_dir, kind, title, today)
    write(site_dir, entry)
    return entry.path


# ---- the front matter of each kind ---------------------------------------------


STAND_INS = {
    "authors": (f"[{quote(STAND_IN_NAME)}]", "Change it to the author's name."),
    "author.name": (quote(STAND_IN_NAME), "Change it."),
    "posts.text": (quote(STAND_IN_POST), "Replace it."),
}
"""Values for required keys that an editor has to replace: the file builds with them all the same, and a
build warns about them once the entry is no draft."""

EXAMPLES = {
    "author.handle": "their_handle",
    "responds_to": "[article-slug]",
}
"""Examples for keys whose type alone gives a poor one: a handle of '...' would match every '...' in the file."""

FILLED = frozenset({"draft", "platform", "author.private"})
"""Optional keys a new file writes all the same, with their example: `draft: true`, since a new entry is
not ready to publish; a thread's `platform`, since its stand-in post has no url to read it from, and
`private: true` for its author, since a person stays private until the editor decides otherwise."""
DRAFT_LINE_NOTE = "Remove this line to publish the entry."

OPTIONAL_HEADING = "# Optional keys: remove the '# ' to use one (docs/front-matter.md)."
COMMENT_COLUMN = 32


@dataclass(frozen=True)
class _Context:
    """What the values of a new entry's keys depend on."""

    kind: str
    title: str
    today: date
    config: SiteConfig
    given: Mapping[str, str] = field(default_factory=dict)
    """Values written as they are, by key path (`date`, `author.handle`); a value starting with a line
    break is a block written below its key (`posts`)."""
    walk: Mapping[str, list[Key]] = field(default_factory=dict)
    """key_walk(): the keys of each record."""


def key_walk() -> dict[str, list[Key]]:
    """The keys of front matter ('') and of each record a key holds (`author`, `posts.media`), by that key's
    path: what front_matter walks, worked out once by a caller that writes many files (chorus import)."""
    walk = {"": reference.top_level(FrontMatter)}
    for key in reference.keys(FrontMatter):
        if key.nested is not None and not key.by_name:
            walk[key.path] = reference.top_level(key.nested, key.path)
    return walk


def front_matter(kind: str, title: str, today: date, config: SiteConfig, given: Mapping[str, str] | None = None,
                 body: str | None = None, walk: Mapping[str, list[Key]] | None = None) -> str:
    """The file `chorus new` writes: front matter, then a line saying what to write in the body.

    `chorus import` passes the values it read (`given`, written uncommented in their place among the
    keys), the body it writes and the key_walk() it made once; every other key is written as `chorus new`
    writes it."""
    ctx = _Context(kind, title, today, config, given or {}, walk or key_walk())
    present = [key for key in ctx.walk[""] if reference.rule(key, kind) != REFUSED]
    written = [key for key in present if _written(key, ctx)]
    lines = ["---"]
    for key in written:
        lines += _key_lines(key, "", None, ctx)
    lines.append(OPTIONAL_HEADING)
    for key in present:
        if key not in written:
            lines += _key_lines(key, "", "", ctx)
    return "\n".join(lines + ["---", SAMPLE_BODIES[kind] if body is None else body, ""])


def _written(key: Key, ctx: _Context) -> bool:
    """Whether a key is written uncommented: required of the kind (or of its record), FILLED, or given."""
    required = reference.rule(key, ctx.kind) == REQUIRED if key.depth == 0 else key.required
    return required or key.path in FILLED or key.path in ctx.given


def _key_lines(key: Key, indent: str, hash_at: str | None, ctx: _Context, item: bool = False) -> list[str]:
    """A key and what it holds. `hash_at` is where the '# ' of a commented key goes (None: not commented);
    `item` starts a list item ('- ')."""
    value, note = _value(key, ctx)
    comment = reference.sentence(key.doc) + (f" {note}" if note else "")
    if value is not None and value.startswith("\n"):
        return [_line(indent, hash_at, f"{key.name}:", comment, item)] + value[1:].split("\n")
    if value is not None or key.nested is None or key.by_name:
        return [_line(indent, hash_at, f"{key.name}: {value or ''}".rstrip(), comment, item)]
    lines = [_line(indent, hash_at, f"{key.name}:", comment, item)]
    inner = indent + ("    " if key.many else "  ")
    for index, child in enumerate(ctx.walk[key.path]):
        child_hash = hash_at if hash_at is not None else (None if _written(child, ctx) else inner)
        lines += _key_lines(child, inner, child_hash, ctx, item=key.many and index == 0)
    return lines


def _line(indent: str, hash_at: str | None, text: str, comment: str, item: bool) -> str:
    """'  name: x   # doc'; commented at `hash_at`: '# ' + the rest, so removing '# ' gives the key back."""
    if item:
        indent = indent[:-2] + "- "
    body = indent + text if hash_at is None else f"{hash_at}# {indent[len(hash_at):]}{text}"
    return f"{body.ljust(COMMENT_COLUMN - 1)} # {comment}"


def _value(key: Key, ctx: _Context) -> tuple[str | None, str]:
    """The key's value as YAML and a note for its comment; None for a key whose value is a block."""
    if key.path in ctx.given:
        return ctx.given[key.path], ""
    if key.path == "title":
        return quote(ctx.title), ""
    if key.path == "date":
        return ctx.today.isoformat(), ""
    if key.path == "draft":
        return "true", DRAFT_LINE_NOTE
    if key.path in STAND_INS and _written(key, ctx):
        return STAND_INS[key.path]
    if key.path in EXAMPLES:
        return EXAMPLES[key.path], ""
    parse, many = reference.item_parser(key.parse)
    example = _example(key, parse, ctx)
    note = _vocabulary_note(key, parse, ctx)
    if example is None:
        return None, note
    return (f"[{example}]" if example else "[]") if many else example, note


def _example(key: Key, parse: schema.Parser, ctx: _Context) -> str | None:
    """An example value of one item; None when the key holds a record, written as a block."""
    factory, args = reference.made_by(parse)
    if factory is schema.record:
        return None
    if factory is schema.choice:
        return key.field.default or args["choices"][0]
    if factory in (schema.up_to, schema.between):
        return str(key.field.default if isinstance(key.field.default, int) else 1)
    other_language = "fr" if ctx.config.language.split("-")[0] != "fr" else "en"
    warnings = [warning.label for _, warning in ctx.config.content_warnings]
    examples = {
        "schema.boolean": "false" if key.field.default else "true",
        "schema.when": ctx.today.isoformat(),
        "schema.url": "https://...",
        "schema.language_tag": other_language,
        reference.TERM_PARSER: ", ".join(_terms(key.name, ctx)[:1]),
        "entries._warning": warnings[0] if warnings else "sexual harassment",
        "entries._tag": "MeToo",
        "entries._slug": "other-name",
        "entries._alias": "/2017/10/old-url/",
        "entries._author": "Jane Doe",
        "entries._media_src": "photo.jpg",
        "entries._post_id": '"1234567890"',
    }
    name = reference.parser_name(parse)
    if name in examples:
        return examples[name]
    return None if key.nested is not None else '"..."'


def _terms(name: str, ctx: _Context) -> list[str]:
    """The terms site.yaml declares for the taxonomy a front-matter key is named after."""
    if name in TAXONOMY and TAXONOMY[name].closed:
        return [slug for slug, _ in ctx.config.taxonomies.of(name).terms]
    return []


def _vocabulary_note(key: Key, parse: schema.Parser, ctx: _Context) -> str:
    """For a key whose values come from site.yaml: the values it lists."""
    name = reference.parser_name(parse)
    if name == reference.TERM_PARSER:
        terms = _terms(key.name, ctx)
    elif name == "entries._warning" and ctx.config.content_warnings:
        terms = [slug for slug, _ in ctx.config.content_warnings]
    else:
        return ""
    return "site.yaml has: " + ", ".join(terms) + "." if terms else "site.yaml lists none yet."

