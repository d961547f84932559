"""`chorus new`: a new entry file with complete front matter for its kind.

The file builds exactly as written: every required key has a value that
passes the checks (a take's author is a stand-in name to change), the lists are
empty, and each optional key is shown as a comment with an example.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from .config import SiteConfig, load_config
from .errors import BuildFailed
from .urls import slugify

KIND_FOLDERS = {"article": "articles", "take": "takes", "thread": "threads", "page": "pages"}
"""`chorus new KIND` -> the folder under content/."""


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


def _terms(config: SiteConfig, taxonomy: str) -> str:
    terms = [slug for slug, _ in getattr(config.taxonomies, taxonomy).terms]
    return "from site.yaml: " + ", ".join(terms) if terms else "site.yaml lists none yet"


def _line(text: str, comment: str, width: int = 30) -> str:
    return f"{text.ljust(width - 1)} # {comment}" if comment else text


def front_matter(kind: str, title: str, today: date, config: SiteConfig) -> str:
    other_lang = "fr" if config.language != "fr" else "en"
    warnings = [w.label for _, w in config.content_warnings]
    warning_example = warnings[0] if warnings else "sexual harassment"
    warning_comment = ("from site.yaml's content_warnings" if warnings else "shown before the text and in feeds")
    lines = ["---", f"title: {quote(title)}", f"date: {today.isoformat()}"]
    if kind == "take":
        lines.append(_line('authors: ["Editor"]', "required for a take: change \"Editor\" to the author's name"))
    if kind != "page":
        lines += [
            _line("tags: []", "free tags, e.g. [MeToo, NOTokay]"),
            _line("regions: []", _terms(config, "regions")),
            _line("sectors: []", _terms(config, "sectors")),
        ]
    if kind == "thread":
        lines += [
            _line("platform: twitter", "twitter, x, mastodon, bluesky, instagram or facebook"),
            "author:",
            _line('  name: "Author\'s name"', "the name shown: change it (a pseudonym is fine)"),
            _line("  private: true", "a private person: handle and profile URL are never shown"),
            _line("  # handle: their_handle", "without '@'"),
            _line("  # url: https://...", "their profile"),
            _line("# parts_total: 10", "how many parts the thread had, when known"),
            _line("posts:", "the archived posts, in order; gaps allowed"),
            _line('  - text: "The post\'s text, as published."', ""),
            _line("    # n: 1", "its position in the thread"),
            _line('    # id: "1234567890"', "the platform's id, in quotes"),
            "    # url: https://...",
            "    # date: 2017-10-17T14:02:00Z",
            f"    # lang: {config.language}",
            '    # media: [{src: photo.jpg, alt: "What the image shows"}]',
            _line("    # status: unknown", "live, deleted, protected, suspended or unknown"),
        ]
    lines.append("# Optional keys: remove the '# ' to use one (docs/front-matter.md).")
    lines.append(_line('# summary: "..."', "for listings and feeds; default: the first paragraph"))
    if kind != "take":
        lines.append(_line("# authors: [Jane Doe]", "names, or {name: ..., url: https://...}"))
    if kind == "take":
        lines.append(_line("# responds_to: [article-slug]", "the article(s) this take answers, by slug"))
    lines += [
        _line(f"# lang: {other_lang}", f"when not the site's language ({config.language})"),
        _line(f"# content_warnings: [{warning_example}]", warning_comment),
        _line("# content_warnings_collapse: false", "show the text without a click"),
        _line("# source:", "where the material was first published"),
        '#   title: "..."',
        '#   publisher: "..."',
        "#   url: https://...",
        _line("#   archived_url: https://...", "a preserved copy, used when url is dead"),
        "#   published: 2017-10-16",
        _line(f"# updated: {today.isoformat()}", "when it was last changed"),
        _line("# slug: other-name", "the URL name; default: from the file name"),
        _line("# aliases: [/2017/10/old-url/]", "old paths that must keep working"),
    ]
    if kind == "page":
        lines.append(_line("# weight: 0", "order in the navigation, lower first"))
    else:
        lines.append(_line("# featured: true", "listed first on the home page"))
    lines += [
        _line("# draft: true", "built only with --drafts"),
        "---",
        BODIES[kind],
        "",
    ]
    return "\n".join(lines)


BODIES = {
    "article": "Write the article here, in Markdown.",
    "take": "Write the take here, in Markdown.",
    "thread": "An editor's note on the thread: where it was found, which parts are missing, "
              "whether the posts are still online.",
    "page": "Write the page here, in Markdown.",
}
