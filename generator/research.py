"""For researchers: citations, open data files and the timeline (issue #10).

`routes(site)` adds the outputs; `render(renderer, route)` makes each one's bytes;
`citation(views, entry)` is the citation block of an entry page.

What these outputs hold, and what they leave out, is documented for
researchers in docs/data.md. In short:

- Every article, take and thread that is built and not withdrawn can be cited:
  a Chicago-style reference, BibTeX, and CSL-JSON at `<entry URL>cite.json`.
- /data/ holds the listed entries (never pages, withdrawn entries or drafts)
  and their archived posts as CSV and JSON, the ids of posts by people who are
  not private, and a Frictionless Data Package describing the files.
- /timeline/ counts the listed entries per day, week or month as SVG bar
  charts drawn here, with the same numbers in a table.

A private person's handle never reaches these files: every text comes from the
views, which redact it, assembly refuses any form of a handle that redaction
cannot replace, and the publish gate scans these files like every other
(generator/privacy.py).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import weakref
from dataclasses import dataclass
from datetime import date, timedelta, timezone

from markupsafe import Markup, escape

from .entries import PLATFORMS, STATUSES, Entry
from .feeds import clean, entry_id
from .schema import When
from .site import Route
from .urls import slugify
from .views import PLATFORM_NAMES

CITABLE = ("article", "take", "thread")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
BIBTEX_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
ACCESSED = "Accessed [date]."
"""The access date is the reader's to give: a build date would make every build differ."""


# ---- routes and rendering ---------------------------------------------------


DATA_FILES = ("index.html", "entries.csv", "entries.json", "posts.csv", "post-ids.txt", "datapackage.json")


def routes(site) -> list:
    found, directories = [], set()
    for entry in site.entries:
        directory = site.urls[entry.path]
        # Two entries with one URL are already an error at their index.html: not a second one here.
        if _citable(entry) and directory not in directories:
            directories.add(directory)
            found.append(Route(directory + "cite.json", f"{entry.path} (its citation)", "research",
                               ("cite", entry)))
    found += [Route(f"data/{name}", "the open data (/data/)", "research", ("data", name)) for name in DATA_FILES]
    found.append(Route("timeline/index.html", "the timeline (/timeline/)", "research", ("timeline", None)))
    return found


def render(renderer, route) -> bytes:
    what, ref = route.ref if isinstance(route.ref, tuple) else (None, None)
    if what == "cite":
        return _json_bytes(csl_items(renderer.views, ref))
    if what == "data" and ref in DATA_RENDERERS:
        return DATA_RENDERERS[ref](renderer)
    if what == "timeline":
        return _timeline_page(renderer)
    raise ValueError(f"no research output at {route.path}")


def _citable(entry: Entry) -> bool:
    return entry.kind in CITABLE and not entry.meta.withdrawn


def _json_bytes(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_STATE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per Views object (so per build and per worker process): the data rows, computed once."""


def _state(views) -> dict:
    state = _STATE.get(views)
    if state is None:
        state = {}
        _STATE[views] = state
    return state


# ---- dates ---------------------------------------------------------------------


def _day(views, value: When | None) -> date | None:
    return value.at.astimezone(views.config.tz).date() if value is not None else None


def _long_date(day: date) -> str:
    """As the site shows dates: 17 October 2017."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _chicago_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def _utc(value: When | None) -> str:
    """ISO 8601 in UTC (Table Schema's default datetime format), only when a time was given."""
    if value is None or not value.has_time:
        return ""
    return value.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- citations -----------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """What every citation format is made from: plain strings, already redacted."""

    key: str
    kind: str
    title: str
    creators: tuple[str, ...]
    """Authors of the entry; for a thread, the platform author as the editor named them."""
    editors: tuple[str, ...]
    """A thread's `authors`: the people who archived and introduced it."""
    lead_publisher: str
    """The source's publisher, cited in the authors' place when the entry names no author."""
    genre: str
    """'Thread on Twitter' for threads."""
    container: str
    issued: date
    modified: date | None
    url: str
    """The permanent URL: the entry's first URL, which keeps working when its slug changes."""
    lang: str
    source_title: str
    source_publisher: str
    source_date: date | None
    source_url: str
    source_archived_url: str

    @property
    def has_source(self) -> bool:
        return bool(self.source_title or self.source_url or self.source_archived_url or self.source_publisher)


def reference(views, entry: Entry) -> Reference:
    meta, config = entry.meta, views.config
    permanent = entry_id(entry, config.base_url)
    section_slug = permanent[len(config.base_url):].strip("/").rsplit("/", 1)[-1] or entry.slug
    if entry.kind == "thread":
        author = views.person(meta.author)  # never the handle of a private person
        creators = (author["name"],)
        editors = tuple(a.name for a in meta.authors)
        genre = f"Thread on {PLATFORM_NAMES.get(meta.platform, meta.platform)}"
    else:
        creators, editors, genre = tuple(a.name for a in meta.authors), (), ""
    source = meta.source
    publisher = source.publisher if source else ""
    return Reference(
        key=f"{entry.kind}:{section_slug}",
        kind=entry.kind,
        title=views.title(entry),
        creators=tuple(c for c in creators),
        editors=tuple(e for e in editors),
        lead_publisher=publisher if not creators else "",
        genre=genre,
        container=config.title,
        issued=_day(views, meta.date),
        modified=_day(views, meta.updated),
        url=permanent,
        lang=meta.lang or config.language,
        source_title=views.redact(source.title) if source else "",
        source_publisher=publisher,
        source_date=_day(views, source.published) if source else None,
        source_url=source.url if source else "",
        source_archived_url=source.archived_url if source else "",
    )


def citation(views, entry) -> dict | None:
    """The citation block of an entry page: articles, takes and threads; never pages or withdrawn entries."""
    if not _citable(entry):
        return None
    ref = reference(views, entry)
    return {
        "style": "Chicago",
        "text": chicago(ref),
        "bibtex": bibtex(ref),
        "key": ref.key,
        "url": ref.url,
        "csl_url": views.url(views.site.urls[entry.path] + "cite.json"),
        "csl_type": CSL_MEDIA_TYPE,
        "data_url": views.url("data/"),
    }


# -- Chicago-like plain text (notes and bibliography, bibliography entry of a web page) --


def _names(names: tuple[str, ...]) -> str:
    """Chicago joins names with commas and 'and'; they are kept as the editor wrote them, never inverted."""
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _period(text: str) -> str:
    """A sentence's end, without doubling the stop an abbreviation or a question already gives."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!", "…")) else text + "."


def _quoted(title: str, stop: str) -> str:
    """A title in quotation marks with the following stop inside, as Chicago does: “Title,” or “Title.”"""
    title = title.rstrip()
    if title.endswith(("?", "!", "…")) or (stop == "." and title.endswith(".")):
        return f"“{title}”"
    return f"“{title}{stop}”"


def chicago(ref: Reference) -> str:
    parts = []
    lead = _names(ref.creators) or ref.lead_publisher
    if lead:
        parts.append(_period(lead))
    parts.append(_quoted(ref.title, "."))
    if ref.editors:
        parts.append(_period("Edited by " + _names(ref.editors)))
    if ref.genre:
        parts.append(_period(ref.genre))
    parts.append(_period(f"{ref.container}, {_chicago_date(ref.issued)}"))
    if ref.modified and ref.modified != ref.issued:
        parts.append(_period(f"Last modified {_chicago_date(ref.modified)}"))
    parts.append(ACCESSED)
    parts.append(_period(ref.url))
    if ref.has_source:
        parts.append(_original(ref))
    return " ".join(parts)


def _original(ref: Reference) -> str:
    """The original the entry is a copy of, and its preserved copy: 'Originally published as “…,” …'."""
    bits = []
    if ref.source_publisher and not ref.lead_publisher:
        bits.append(ref.source_publisher)
    if ref.source_date:
        bits.append(_chicago_date(ref.source_date))
    if ref.source_url:
        bits.append(ref.source_url)
    if ref.source_title:
        head = "Originally published as " + _quoted(ref.source_title, "," if bits else ".")
        sentence = head + (" " + ", ".join(bits) + "." if bits else "")
    elif bits:
        sentence = "Originally published " + ("by " if ref.source_publisher and not ref.lead_publisher else "") + \
            ", ".join(bits) + "."
    else:
        sentence = ""
    if ref.source_archived_url:
        sentence = (sentence + " " if sentence else "") + f"Preserved copy of the original: {ref.source_archived_url}."
    return sentence


# -- BibTeX --


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile(r"[\\{}%&$#_~^]")
_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


def bibtex_text(value: str) -> str:
    """A value for a BibTeX text field: LaTeX's special characters written as commands.

    Braces become \\textbraceleft{} and \\textbraceright{} rather than \\{ and \\}:
    BibTeX counts every brace, escaped or not, so \\{ alone would unbalance the field.
    """
    value = _CONTROL_RE.sub("", " ".join(value.split()))  # no LaTeX engine reads control characters as text
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], value)


def bibtex_url(value: str) -> str:
    """A value for the verbatim `url` field: characters that could end the field, and controls, percent-encoded."""
    return "".join(f"%{ord(c):02X}" if c in "{}\\\"" or c.isspace() or _CONTROL_RE.match(c) else c for c in value)


def bibtex(ref: Reference) -> str:
    fields: list[tuple[str, str]] = []
    if ref.creators:
        # Each name braced: names here are free text (pseudonyms, 'Unnamed author') and must not be split.
        fields.append(("author", "{" + " and ".join("{" + bibtex_text(n) + "}" for n in ref.creators) + "}"))
    elif ref.lead_publisher:
        fields.append(("organization", "{" + bibtex_text(ref.lead_publisher) + "}"))
    if ref.editors:
        fields.append(("editor", "{" + " and ".join("{" + bibtex_text(n) + "}" for n in ref.editors) + "}"))
    fields.append(("title", "{{" + bibtex_text(ref.title) + "}}"))
    fields.append(("howpublished", "{" + bibtex_text(ref.container) + "}"))
    fields.append(("year", "{" + str(ref.issued.year) + "}"))
    fields.append(("month", BIBTEX_MONTHS[ref.issued.month - 1]))
    fields.append(("date", "{" + ref.issued.isoformat() + "}"))
    fields.append(("url", "{" + bibtex_url(ref.url) + "}"))
    notes = []
    if ref.genre:
        notes.append(_period(ref.genre))
    if ref.modified and ref.modified != ref.issued:
        notes.append(_period(f"Last modified {_chicago_date(ref.modified)}"))
    if ref.has_source:
        notes.append(_original(ref))
    if notes:
        fields.append(("note", "{" + bibtex_text(" ".join(notes)) + "}"))
    width = max(len(name) for name, _ in fields)
    lines = [f"@misc{{{ref.key},"] + [f"  {name.ljust(width)} = {value}," for name, value in fields] + ["}"]
    return "\n".join(lines)


# -- CSL-JSON --


def _csl_date(day: date) -> dict:
    return {"date-parts": [[day.year, day.month, day.day]]}


def _csl_names(names: tuple[str, ...]) -> list[dict]:
    return [{"literal": n} for n in names]


def csl_items(views, entry: Entry) -> list[dict]:
    """CSL-JSON (an array, as Zotero, Mendeley, citeproc and pandoc read it): the entry, then its original."""
    ref = reference(views, entry)
    item = {
        "id": ref.key,
        "type": "post" if ref.kind == "thread" else "webpage",
        "title": ref.title,
    }
    if ref.creators:
        item["author"] = _csl_names(ref.creators)
    if ref.editors:
        item["editor"] = _csl_names(ref.editors)
    item["container-title"] = ref.container
    if ref.genre:
        item["genre"] = ref.genre
    item["issued"] = _csl_date(ref.issued)
    item["URL"] = ref.url
    item["language"] = ref.lang
    notes = []
    if ref.modified and ref.modified != ref.issued:
        notes.append(_period(f"Last modified {_chicago_date(ref.modified)}"))
    if ref.has_source:
        if ref.source_title:
            item["original-title"] = ref.source_title
        if ref.source_publisher:
            item["original-publisher"] = ref.source_publisher
        if ref.source_date:
            item["original-date"] = _csl_date(ref.source_date)
        notes.append(_original(ref))
    if notes:
        item["note"] = " ".join(notes)
    items = [item]
    if ref.has_source:
        original = {"id": ref.key + ":original", "type": "webpage",
                    "title": ref.source_title or ref.title}
        if ref.creators:
            original["author"] = _csl_names(ref.creators)
        if ref.source_publisher:
            original["container-title"] = ref.source_publisher
            original["publisher"] = ref.source_publisher
        if ref.source_date:
            original["issued"] = _csl_date(ref.source_date)
        if ref.source_url or ref.source_archived_url:
            original["URL"] = ref.source_url or ref.source_archived_url
        original["archive"] = ref.container
        original["archive_location"] = ref.url
        if ref.source_url and ref.source_archived_url:
            original["note"] = f"Preserved copy of the original: {ref.source_archived_url}."
        items.append(original)
    return items


# ---- open data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    list: bool = False
    """A list of values: '; '-joined text in CSV, an array in JSON."""
    enum: tuple[str, ...] = ()
    format: str = ""


ENTRY_FIELDS = (
    Field("id", "string", "The entry's permanent id: its first URL, which never changes for the life of the entry "
          "(the guid of its feed items).", format="uri"),
    Field("kind", "string", "article, take or thread.", enum=CITABLE),
    Field("slug", "string", "The last part of the entry's URL."),
    Field("url", "string", "The entry's page, absolute.", format="uri"),
    Field("title", "string", "The title as shown on the site."),
    Field("date", "date", "The day of first publication, in the archive's timezone (the day the archive pages "
          "group it under)."),
    Field("datetime", "datetime", "The time of first publication in UTC, when the entry gives one; empty otherwise."),
    Field("updated", "date", "The day of the last change worth noting, in the archive's timezone; empty if none."),
    Field("authors", "string", "The authors' names; for a thread without authors, its author on the platform, by "
          "the name the editor gave.", list=True),
    Field("tags", "string", "Tags, as the slug of their page /tags/<tag>/.", list=True),
    Field("regions", "string", "Regions, as the slug of their page /regions/<region>/.", list=True),
    Field("sectors", "string", "Sectors, as the slug of their page /sectors/<sector>/.", list=True),
    Field("content_warnings", "string", "Content warnings, as shown before the entry.", list=True),
    Field("lang", "string", "The entry's language (BCP 47)."),
    Field("summary", "string", "The summary shown in listings and feeds."),
    Field("source_title", "string", "The title of the original, for material first published elsewhere."),
    Field("source_publisher", "string", "Who published the original."),
    Field("source_published", "date", "When the original was published."),
    Field("source_url", "string", "The original's URL."),
    Field("source_archived_url", "string", "A preserved copy of the original (e.g. in a web archive)."),
    Field("words", "integer", "Words in the body (the editor's note, for a thread), not counting embedded posts."),
    Field("posts", "integer", "Archived posts the entry holds: a thread's posts plus the post blocks in its body."),
)

POST_FIELDS = (
    Field("entry_id", "string", "The id of the entry that holds the post (entries.csv's id).", format="uri"),
    Field("entry_url", "string", "The page of that entry, absolute.", format="uri"),
    Field("container", "string", "thread: one of the posts of a thread entry; block: a post embedded in an "
          "entry's body.", enum=("thread", "block")),
    Field("n", "integer", "The post's position in its thread, when known."),
    Field("platform", "string", "Where it was posted.", enum=PLATFORMS),
    Field("author", "string", "Its author, by the name the editor gave."),
    Field("author_private", "boolean", "true if the author is a private person: then handle, id and url are "
          "empty."),
    Field("author_handle", "string", "The author's handle on the platform, without '@'; empty for a private "
          "person."),
    Field("id", "string", "The platform's id of the post; empty for a private person's post."),
    Field("url", "string", "The post's URL on the platform; empty for a private person's post."),
    Field("date", "date", "The day it was posted, in the archive's timezone, when known."),
    Field("datetime", "datetime", "When it was posted, in UTC, when the time is known."),
    Field("status", "string", "On the platform when archived: live, deleted, protected, suspended or unknown.",
          enum=STATUSES),
    Field("lang", "string", "The post's language (BCP 47), when given."),
    Field("text", "string", "The text as archived; @mentions of private people are replaced by their names."),
    Field("media", "integer", "How many images it had."),
)

LIST_SEPARATOR = "; "


def _researchable(site) -> list[Entry]:
    """What the data files hold: the listed entries (never pages or withdrawn ones), and never drafts."""
    return [e for e in site.listed if not e.meta.draft]


def _entry_row(views, entry: Entry) -> dict:
    meta = entry.meta
    source = meta.source
    if meta.authors:
        authors = [a.name for a in meta.authors]
    else:
        authors = [views.person(meta.author)["name"]] if entry.kind == "thread" and meta.author else []
    posts = len(meta.posts) + sum(1 for embed in entry.embeds if embed.kind == "post")
    day, updated = _day(views, meta.date), _day(views, meta.updated)
    published = _day(views, source.published) if source else None
    return {
        "id": entry_id(entry, views.config.base_url),
        "kind": entry.kind,
        "slug": entry.slug,
        "url": views.absolute(views.site.urls[entry.path]),
        "title": views.title(entry),
        "date": day.isoformat(),
        "datetime": _utc(meta.date),
        "updated": updated.isoformat() if updated else "",
        "authors": [a for a in authors],
        "tags": [t.key for t in meta.tags],
        "regions": list(meta.regions),
        "sectors": list(meta.sectors),
        "content_warnings": [w for w in meta.content_warnings],
        "lang": meta.lang or views.config.language,
        "summary": views.redact(entry.summary),
        "source_title": views.redact(source.title) if source else "",
        "source_publisher": source.publisher if source else "",
        "source_published": published.isoformat() if published else "",
        "source_url": source.url if source else "",
        "source_archived_url": source.archived_url if source else "",
        "words": entry.words,
        "posts": posts,
    }


_TAGS_RE = re.compile(r"<[^>]+>")


def _plain(views, shown: Markup) -> str:
    """A post's text as its page shows it (private @mentions replaced by names), as plain text."""
    return html.unescape(_TAGS_RE.sub("", str(shown)))


def _post_rows(views, entry: Entry) -> list[dict]:
    meta = entry.meta
    holder = {"entry_id": entry_id(entry, views.config.base_url),
              "entry_url": views.absolute(views.site.urls[entry.path])}
    posts = []
    if entry.kind == "thread" and meta.author is not None:
        posts += [("thread", p, meta.platform, meta.author) for p in meta.posts]
    posts += [("block", embed.post, embed.post.platform, embed.post.author) for embed in entry.embeds
              if embed.kind == "post"]
    rows = []
    for container, post, platform, person in posts:
        author = views.person(person)  # a private person's handle and URLs never leave views.person / views.post
        shown = views.post(post, platform, author)
        private = author["private"]
        day = _day(views, post.date)
        rows.append({
            **holder,
            "container": container,
            "n": post.n if post.n else "",
            "platform": platform,
            "author": author["name"],
            "author_private": "true" if private else "false",
            "author_handle": "" if private else author["handle"],
            "id": "" if private else post.id,
            "url": shown["url"],
            "date": day.isoformat() if day else "",
            "datetime": _utc(post.date),
            "status": post.status,
            "lang": post.lang,
            "text": _plain(views, shown["text"]),
            "media": len(post.media),
        })
    return rows


def entry_rows(views) -> list[dict]:
    state = _state(views)
    if "entries" not in state:
        state["entries"] = [_entry_row(views, e) for e in _researchable(views.site)]
    return state["entries"]


def post_rows(views) -> list[dict]:
    state = _state(views)
    if "posts" not in state:
        state["posts"] = [row for e in _researchable(views.site) for row in _post_rows(views, e)]
    return state["posts"]


def post_ids(views) -> list[str]:
    """Ids of posts whose authors are not private, sorted (numerically when all digits), each once."""
    ids = {row["id"] for row in post_rows(views) if row["id"] and row["author_private"] == "false"}
    return sorted(ids, key=lambda i: (0, len(i), i) if i.isascii() and i.isdigit() else (1, 0, i))


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | int) -> str | int:
    """A CSV cell that a spreadsheet shows as the text it is.

    Excel, LibreOffice and Google Sheets read a cell that starts with =, +, -,
    @, a tab or a carriage return as a formula (`=HYPERLINK(...)` runs when
    the file is opened): such a cell gets a leading apostrophe, which makes it
    text. entries.json keeps the values as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_bytes(fields: tuple[Field, ...], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow([f.name for f in fields])
    for row in rows:
        writer.writerow([csv_cell(LIST_SEPARATOR.join(row[f.name]) if f.list else row[f.name]) for f in fields])
    return buffer.getvalue().encode("utf-8")


def _json_rows(fields: tuple[Field, ...], rows: list[dict]) -> list[dict]:
    """JSON rows: empty values are null, integers are numbers, booleans true/false, lists arrays."""
    out = []
    for row in rows:
        item = {}
        for f in fields:
            value = row[f.name]
            if f.list:
                item[f.name] = list(value)
            elif value == "":
                item[f.name] = None
            elif f.type == "boolean":
                item[f.name] = value == "true"
            else:
                item[f.name] = value
        out.append(item)
    return out


def _entries_csv(renderer) -> bytes:
    return _csv_bytes(ENTRY_FIELDS, entry_rows(renderer.views))


def _entries_json(renderer) -> bytes:
    return _json_bytes(_json_rows(ENTRY_FIELDS, entry_rows(renderer.views)))


def _posts_csv(renderer) -> bytes:
    return _csv_bytes(POST_FIELDS, post_rows(renderer.views))


def _post_ids(renderer) -> bytes:
    return "".join(i + "\n" for i in post_ids(renderer.views)).encode("utf-8")


def _schema(fields: tuple[Field, ...], as_json: bool) -> dict:
    described = []
    for f in fields:
        item = {"name": f.name, "type": f.type, "description": f.description}
        if f.list:
            if as_json:
                item["type"] = "array"
            else:
                item["description"] += f" Several are separated by '{LIST_SEPARATOR}'."
        if f.format:
            item["format"] = f.format
        if f.enum:
            item["constraints"] = {"enum": list(f.enum)}
        described.append(item)
    return {"fields": described, "missingValues": [""]}


def datapackage(views) -> dict:
    """The Frictionless Data Package (profile tabular-data-package) describing the files of /data/."""
    config = views.config
    timezone_note = f"Dates are days in the archive's timezone ({config.timezone}); datetimes are in UTC."
    csv_dialect = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True,
                   "lineTerminator": "\r\n"}
    package = {
        "profile": "tabular-data-package",
        "name": slugify(config.title) or "chorus-archive",
        "title": config.title,
        "description": (f"{config.description} The entries listed on the archive (never withdrawn entries, drafts "
                        f"or pages) and the social-media posts they hold; post-ids.txt lists the ids of the posts whose authors are not "
                        f"private people, one a line. {timezone_note}").strip(),
        "homepage": views.absolute("data/"),
        "resources": [
            {"name": "entries", "path": "entries.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8",
             "title": "Entries", "description": "One row per entry, newest first.",
             "dialect": csv_dialect, "schema": _schema(ENTRY_FIELDS, as_json=False)},
            {"name": "entries-json", "path": "entries.json", "profile": "tabular-data-resource", "format": "json",
             "mediatype": "application/json", "encoding": "utf-8",
             "title": "Entries (JSON)", "description": "The same rows as entries.csv, as an array of objects "
             "with lists as arrays and empty values as null.",
             "schema": _schema(ENTRY_FIELDS, as_json=True)},
            {"name": "posts", "path": "posts.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8",
             "title": "Archived posts", "description": "One row per archived post: every post of every thread, "
             "and every post embedded in a body, in the order of entries.csv and then of each entry.",
             "dialect": csv_dialect, "schema": _schema(POST_FIELDS, as_json=False)},
        ],
    }
    if post_ids(views):  # a file with no line is no table: described only when it has ids
        package["resources"].append(
            {"name": "post-ids", "path": "post-ids.txt", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/plain", "encoding": "utf-8",
             "title": "Post ids", "description": "The platform ids of the archived posts whose authors are not "
             "private people, one a line, sorted, without a header; posts.csv tells the platform of each.",
             "dialect": {"header": False},
             "schema": {"fields": [{"name": "id", "type": "string", "description": "A post's id on its platform."}]}})
    return package


def _datapackage(renderer) -> bytes:
    return _json_bytes(datapackage(renderer.views))


def _data_page(renderer) -> bytes:
    views = renderer.views
    entries, posts, ids = entry_rows(views), post_rows(views), post_ids(views)
    package = datapackage(views)
    descriptions = {r["path"]: r for r in package["resources"]}

    def fields_of(name):
        return [{"name": f["name"], "type": f["type"], "description": f["description"]}
                for f in descriptions[name]["schema"]["fields"]]

    def count(n, one, many):
        return f"{n:,} {one if n == 1 else many}"

    files = [
        {"name": "entries.csv", "url": views.url("data/entries.csv"), "type": "CSV",
         "count": count(len(entries), "entry", "entries"),
         "description": "One row per entry, newest first.", "fields": fields_of("entries.csv")},
        {"name": "entries.json", "url": views.url("data/entries.json"), "type": "JSON",
         "count": count(len(entries), "entry", "entries"),
         "description": "The same rows as an array of objects: lists are arrays, empty values null.",
         "fields": []},
        {"name": "posts.csv", "url": views.url("data/posts.csv"), "type": "CSV",
         "count": count(len(posts), "post", "posts"),
         "description": "One row per archived post: the posts of every thread, and each post embedded in an "
                        "entry's text.", "fields": fields_of("posts.csv")},
        {"name": "post-ids.txt", "url": views.url("data/post-ids.txt"), "type": "Text",
         "count": count(len(ids), "id", "ids"),
         "description": "The platform ids of the posts whose authors are not private people, one a line, sorted: "
                        "the form tools that fetch posts again from a platform take.", "fields": []},
        {"name": "datapackage.json", "url": views.url("data/datapackage.json"), "type": "JSON",
         "count": "", "description": "A Frictionless Data Package: every file's fields, types and meaning, for "
                                     "tools that load it in one step.", "fields": []},
    ]
    return renderer._page("data.html", "data/", "Open data",
                          description="The archive's entries and archived posts as CSV and JSON files.",
                          files=files, timezone=views.config.timezone, separator=LIST_SEPARATOR,
                          timeline_url=views.url("timeline/"))


DATA_RENDERERS = {
    "index.html": _data_page,
    "entries.csv": _entries_csv,
    "entries.json": _entries_json,
    "posts.csv": _posts_csv,
    "post-ids.txt": _post_ids,
    "datapackage.json": _datapackage,
}


# ---- timeline ------------------------------------------------------------------------


DAYS_LIMIT = 60
"""A span of up to 60 days is counted per day..."""
WEEKS_LIMIT = 731
"""...up to two years per week (Monday to Sunday), and anything longer per month."""
UNIT_NOUN = {"day": "day", "week": "week", "month": "month"}


@dataclass(frozen=True)
class Period:
    start: date
    count: int
    link: tuple[int, int] | None
    """The archive month page a bar leads to (there are no day or week pages); None when empty."""


def period_unit(first: date, last: date) -> str:
    span = (last - first).days
    if span <= DAYS_LIMIT:
        return "day"
    if span <= WEEKS_LIMIT:
        return "week"
    return "month"


def _period_start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, unit: str) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def periods(days: list[date], unit: str, first: date, last: date) -> list[Period]:
    """Every period from the first to the last (empty ones too), with its count and archive month."""
    counts: dict[date, int] = {}
    oldest: dict[date, date] = {}
    for day in days:
        start = _period_start(day, unit)
        counts[start] = counts.get(start, 0) + 1
        if start not in oldest or day < oldest[start]:
            oldest[start] = day
    found = []
    start, end = _period_start(first, unit), _period_start(last, unit)
    while start <= end:
        n = counts.get(start, 0)
        link = (oldest[start].year, oldest[start].month) if n else None
        found.append(Period(start, n, link))
        start = _next(start, unit)
    return found


def period_label(start: date, unit: str) -> str:
    if unit == "day":
        return _long_date(start)
    if unit == "week":
        return f"Week of {_long_date(start)}"
    return f"{MONTHS[start.month - 1]} {start.year}"


def _entries_text(n: int) -> str:
    return f"{n:,} {'entry' if n == 1 else 'entries'}"


def _nice_top(value: int) -> tuple[int, int]:
    """A round top for the y axis and its step: about four gridlines."""
    if value <= 4:
        return max(value, 1), 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def _num(value: float) -> str:
    """SVG coordinates with two decimals at most: compact and byte-identical."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _tick_labels(items: list[Period], unit: str, slot: float) -> dict[int, tuple[str, str]]:
    """Which bars get an axis label: (label, year shown under it), spaced so that labels never overlap."""
    room = 44.0
    labels: dict[int, tuple[str, str]] = {}
    if unit == "day":
        every_day = slot >= room
        for i, p in enumerate(items):
            if every_day or p.start.weekday() == 0:
                labels[i] = (f"{p.start.day} {MONTHS[p.start.month - 1][:3]}", "")
    else:
        per_month = slot * (4.35 if unit == "week" else 1)
        step = next((s for s in (1, 3, 6, 12, 24, 60) if per_month * s >= room), 120)
        for i, p in enumerate(items):
            first_of_month = i == 0 or p.start.month != items[i - 1].start.month
            if first_of_month and (p.start.year * 12 + p.start.month - 1) % step == 0:
                labels[i] = (MONTHS[p.start.month - 1][:3] if step < 12 else str(p.start.year), "")
    year = None
    for i in sorted(labels):
        y = items[i].start.year
        if y != year and not labels[i][0].isdigit():
            labels[i] = (labels[i][0], str(y))
        year = y
    return labels


def _svg(value: str) -> Markup:
    """Text or an attribute value in the SVG: escaped for HTML and XML alike, characters XML cannot hold removed."""
    return escape(clean(value))


def chart_svg(views, items: list[Period], unit: str, title: str, desc: str, ident: str) -> Markup:
    """The main chart: a bar per period, each linked to its archive month, with axes and a title per bar."""
    width, height = 672, 280
    left, right, top, bottom = 48, 12, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((p.count for p in items), default=0)
    ceiling, step = _nice_top(peak)
    n = max(len(items), 1)
    slot = plot_w / n
    bar = min(48.0, slot * 0.8) if slot >= 4 else max(slot - 0.5, 0.5)
    # Hidden from assistive technology, whose users get the table of the same numbers: a role="img" may not
    # hold links. The bars' links are for the mouse; the keyboard has the same links in the table.
    out = [f'<svg class="chart" id="{_svg(ident)}" aria-hidden="true" focusable="false" viewBox="0 0 {width} {height}" '
           f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
           f'<title>{_svg(title)}</title>', f'<desc>{_svg(desc)}</desc>']
    out.append('<g class="chart-grid">')
    for value in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * value / ceiling
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" stroke="currentColor" '
                   f'stroke-opacity="0.25" stroke-width="1"/>')
        out.append(f'<text class="chart-label" x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" font-size="12" '
                   f'fill="currentColor">{value:,}</text>')
    out.append('</g>')
    labels = _tick_labels(items, unit, slot)
    show_values = len(items) <= 31
    out.append('<g class="chart-bars">')
    for i, p in enumerate(items):
        x = left + slot * i + (slot - bar) / 2
        if p.count:
            h = max(plot_h * p.count / ceiling, 1.0)
            y = top + plot_h - h
            tip = f"{period_label(p.start, unit)}: {_entries_text(p.count)}"
            rect = (f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" height="{_num(h)}" '
                    f'fill="currentColor"><title>{_svg(tip)}</title></rect>')
            href = views.url(f"archive/{p.link[0]}/{p.link[1]:02d}/")
            out.append(f'<a href="{_svg(href)}" tabindex="-1">{rect}</a>')
            if show_values:
                out.append(f'<text class="chart-value" x="{_num(x + bar / 2)}" y="{_num(y - 5)}" '
                           f'text-anchor="middle" font-size="12" fill="currentColor">{p.count:,}</text>')
    out.append('</g>')
    out.append(f'<line class="chart-axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
               f'stroke="currentColor" stroke-width="1"/>')
    out.append('<g class="chart-ticks">')
    for i in sorted(labels):
        cx = left + slot * i + slot / 2
        out.append(f'<line x1="{_num(cx)}" x2="{_num(cx)}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                   f'stroke="currentColor" stroke-width="1"/>')
        text, year = labels[i]
        out.append(f'<text class="chart-label" x="{_num(cx)}" y="{top + plot_h + 18}" text-anchor="middle" '
                   f'font-size="12" fill="currentColor">{_svg(text)}</text>')
        if year:
            out.append(f'<text class="chart-label" x="{_num(cx)}" y="{top + plot_h + 33}" text-anchor="middle" '
                       f'font-size="12" fill="currentColor">{_svg(year)}</text>')
    out.append('</g></svg>')
    return Markup("".join(out))


def small_svg(items: list[Period], unit: str, ceiling: int, title: str, desc: str, ident: str) -> Markup:
    """One small multiple: the same periods as the main chart, on a scale shared by its taxonomy."""
    width, height, top = 240, 56, 4
    plot_h = height - top - 1
    n = max(len(items), 1)
    slot = width / n
    bar = min(16.0, slot * 0.8) if slot >= 3 else max(slot - 0.25, 0.4)
    ident = _svg(ident)
    out = [f'<svg class="chart chart-small" role="img" aria-labelledby="{ident}-title {ident}-desc" '
           f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{ident}-title">{_svg(title)}</title>', f'<desc id="{ident}-desc">{_svg(desc)}</desc>']
    for i, p in enumerate(items):
        if not p.count:
            continue
        h = max(plot_h * p.count / max(ceiling, 1), 1.0)
        x = slot * i + (slot - bar) / 2
        tip = f"{period_label(p.start, unit)}: {_entries_text(p.count)}"
        out.append(f'<rect class="bar" x="{_num(x)}" y="{_num(top + plot_h - h)}" width="{_num(bar)}" '
                   f'height="{_num(h)}" fill="currentColor"><title>{_svg(tip)}</title></rect>')
    out.append(f'<line class="chart-axis" x1="0" x2="{width}" y1="{height - 0.5}" y2="{height - 0.5}" '
               f'stroke="currentColor" stroke-width="1"/></svg>')
    return Markup("".join(out))


def _busiest(items: list[Period], unit: str) -> str:
    if not items:
        return ""
    top = max(items, key=lambda p: p.count)  # the first of equals: the earliest
    return f"busiest {UNIT_NOUN[unit]}: {period_label(top.start, unit)}, with {_entries_text(top.count)}"


def timeline(views) -> dict:
    """Everything timeline.html shows: the chart, its table and the small multiples."""
    site = views.site
    listed = site.listed  # as the archive pages count them (drafts too, in a --drafts preview)
    if not listed:
        return {"empty": True}
    days = [e.meta.date.at.date() for e in listed]
    first, last = min(days), max(days)
    unit = period_unit(first, last)
    items = periods(days, unit, first, last)
    noun = UNIT_NOUN[unit]
    span = f"{period_label(items[0].start, unit)} to {period_label(items[-1].start, unit)}" if len(items) > 1 \
        else period_label(items[0].start, unit)
    title = f"Entries per {noun}, {span}" if len(items) > 1 else f"Entries, {span}"
    summary = f"{_entries_text(len(listed))} from {_long_date(first)} to {_long_date(last)}; {_busiest(items, unit)}."
    chart = chart_svg(views, items, unit, title, summary, "timeline-chart")
    rows = [{"label": period_label(p.start, unit), "count": p.count,
             "url": views.url(f"archive/{p.link[0]}/{p.link[1]:02d}/") if p.link else ""} for p in items]
    groups = []
    for taxonomy in ("regions", "sectors"):
        terms = site.terms.get(taxonomy, [])
        if not terms:
            continue
        per_term = [(t, periods([e.meta.date.at.date() for e in t.entries], unit, first, last)) for t in terms]
        ceiling = max(p.count for _, ps in per_term for p in ps)
        label = getattr(site.config.taxonomies, taxonomy).title
        multiples = []
        for term, ps in per_term:
            ident = f"{taxonomy}-{term.key}"
            term_title = f"{term.title}: entries per {noun}"
            desc = f"{_entries_text(len(term.entries))}; {_busiest(ps, unit)}."
            multiples.append({
                "title": term.title, "lang": term.lang, "url": views.url(term.path), "count": len(term.entries),
                "count_text": _entries_text(len(term.entries)),
                "svg": small_svg(ps, unit, ceiling, term_title, desc, ident),
                "feeds": views.feed_links(term.path),
                "rows": [{"label": period_label(p.start, unit), "count": p.count} for p in ps if p.count],
            })
        groups.append({"name": taxonomy, "title": label, "ceiling": ceiling, "multiples": multiples,
                       "scale": f"Every chart here has the same scale: the tallest bar possible is "
                                f"{_entries_text(ceiling)} in a {noun}."})
    return {"empty": False, "unit": noun, "title": title, "summary": summary[0].upper() + summary[1:],
            "chart": chart, "rows": rows, "groups": groups, "period_header": noun.capitalize()}


def _timeline_page(renderer) -> bytes:
    views = renderer.views
    return renderer._page("timeline.html", "timeline/", "Timeline",
                          description="The campaign over time: entries per day, week or month, by region and "
                                      "by sector.",
                          timeline=timeline(views), archive_url=views.url("archive/"), data_url=views.url("data/"))

