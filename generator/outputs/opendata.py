"""Open data for researchers at /data/: the listed entries and their archived posts as CSV and JSON, the
ids of posts by people who are not private, a Frictionless Data Package describing the files, and a page
that explains them (docs/data.md). Never pages, withdrawn entries, drafts or private handles."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass

from markupsafe import Markup

from ..citation import CITABLE, local_day, json_bytes, utc_stamp
from ..entries import PLATFORMS, STATUSES, Entry
from ..outputmodels import DataPageField, DataPageFile
from ..routes import Route, Target
from ..site import Site
from ..urls import entry_id, slugify

DATA_FILES = ("index.html", "entries.csv", "entries.json", "posts.csv", "post-ids.txt", "datapackage.json")


@dataclass(frozen=True, eq=False)
class DataFile(Target):
    name: str
    """One of DATA_FILES."""
    renders_in_parent = True  # made from every entry: at 50,000 entries, a worker making them grew past 1 GiB


TARGETS = (DataFile,)


def routes(site: Site) -> list[Route]:
    return [Route(f"data/{name}", "the open data (/data/)", DataFile(name)) for name in DATA_FILES]


def render(ctx, route: Route) -> bytes:
    ctx.record("entries")  # made from every entry
    return DATA_RENDERERS[route.target.name](ctx)



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
        authors = [views.person(meta.author).name] if entry.kind == "thread" and meta.author else []
    posts = len(meta.posts) + sum(1 for embed in entry.embeds if embed.kind == "post")
    day, updated = local_day(views, meta.date), local_day(views, meta.updated)
    published = local_day(views, source.published) if source else None
    return {
        "id": entry_id(entry, views.config.base_url),
        "kind": entry.kind,
        "slug": entry.slug,
        "url": views.absolute(views.site.urls[entry.path]),
        "title": views.title(entry),
        "date": day.isoformat(),
        "datetime": utc_stamp(meta.date),
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
        private = author.private
        day = local_day(views, post.date)
        rows.append({
            **holder,
            "container": container,
            "n": post.n if post.n else "",
            "platform": platform,
            "author": author.name,
            "author_private": "true" if private else "false",
            "author_handle": "" if private else author.handle,
            "id": "" if private else post.id,
            "url": shown.url,
            "date": day.isoformat() if day else "",
            "datetime": utc_stamp(post.date),
            "status": post.status,
            "lang": post.lang,
            "text": _plain(views, shown.text),
            "media": len(post.media),
        })
    return rows


@dataclass(frozen=True)
class EntryData:
    """One entry's share of the data files, encoded: each file is its header and every entry's share in turn."""

    entry_csv: bytes
    """Its line of entries.csv."""
    entry_json: bytes
    """Its object in entries.json, indented as an item of the file's array (UTF-8: a str of text beyond
    Latin-1 takes two or four bytes a character, and the file is bytes in the end)."""
    posts_csv: bytes
    """Its posts' lines of posts.csv."""
    posts: int
    ids: tuple[str, ...]
    """The ids of its posts whose authors are not private."""


def entry_data(ctx) -> list[EntryData]:
    """Each listed entry's share of the data files, once per build; an entry's share is kept between builds
    while what it was made from is unchanged (RenderContext.stored), so that an edit encodes one entry again."""
    return ctx.memo("entry data", lambda: ctx.stored("opendata", [(e.path, e) for e in _researchable(ctx.site)],
                                                     lambda entry: _encoded(ctx, entry)))


def _encoded(ctx, entry: Entry) -> EntryData:
    ctx.record("entry", entry.path)
    row = _entry_row(ctx.views, entry)
    posts = _post_rows(ctx.views, entry)
    ids = tuple(post["id"] for post in posts if post["id"] and post["author_private"] == "false")
    return EntryData(_csv_lines(ENTRY_FIELDS, [row]), _json_item(ENTRY_FIELDS, row), _csv_lines(POST_FIELDS, posts),
                     len(posts), ids)


@dataclass(frozen=True)
class DataCounts:
    """What the data page and the package say of the files, without their rows."""

    entries: int
    posts: int
    ids: int


def data_counts(ctx) -> DataCounts:
    """The files' counts, kept between builds as a part of their own: the data page, made again when a template
    changes, then reads this part, not every entry's share (at 50,000 entries, 125 MB that the build would
    otherwise load and hold for one page). Made from every entry's share, and from the list of entries, so
    that an entry added, removed or edited makes it again."""
    return ctx.memo("data counts", lambda: ctx.stored("opendata-counts", [("counts", None)],
                                                      lambda _: _counted(ctx))[0])


def _counted(ctx) -> DataCounts:
    ctx.record("entries")
    data = entry_data(ctx)
    return DataCounts(len(data), sum(d.posts for d in data), len(_public_ids(data)))


def post_ids(ctx) -> list[str]:
    """Ids of posts whose authors are not private, sorted (numerically when all digits), each once."""
    return sorted(_public_ids(entry_data(ctx)), key=lambda i: (0, len(i), i) if i.isascii() and i.isdigit()
                  else (1, 0, i))


def _public_ids(data: list[EntryData]) -> set[str]:
    return {i for share in data for i in share.ids}


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


def _csv_lines(fields: tuple[Field, ...], rows: list[dict]) -> bytes:
    """The rows as lines of CSV: a line depends on its row alone, so a file is its header and lines joined."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    for row in rows:
        writer.writerow([csv_cell(LIST_SEPARATOR.join(row[f.name]) if f.list else row[f.name]) for f in fields])
    return buffer.getvalue().encode("utf-8")


def _csv_header(fields: tuple[Field, ...]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([f.name for f in fields])
    return buffer.getvalue().encode("utf-8")


def _json_item(fields: tuple[Field, ...], row: dict) -> bytes:
    """A row as json_bytes writes it inside an array: indented one level more (JSON strings hold no newline)."""
    text = json.dumps(_json_rows(fields, [row])[0], ensure_ascii=False, indent=2)
    return ("  " + text.replace("\n", "\n  ")).encode("utf-8")


def _json_array(items: list[bytes]) -> bytes:
    """What json_bytes makes of a list whose items json_item encoded: joined as bytes, in one join (the file is
    made once, not held twice: as text and bytes, or as its items and again with its brackets)."""
    if not items:
        return b"[]\n"
    parts = [b",\n"] * (2 * len(items) + 1)
    parts[0], parts[-1] = b"[\n", b"\n]\n"
    parts[1::2] = items
    return b"".join(parts)


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


def _entries_csv(ctx) -> bytes:
    # One join, header included: a file of the whole archive is made once, not copied again to add a line.
    return b"".join([_csv_header(ENTRY_FIELDS), *(data.entry_csv for data in entry_data(ctx))])


def _entries_json(ctx) -> bytes:
    return _json_array([data.entry_json for data in entry_data(ctx)])


def _posts_csv(ctx) -> bytes:
    return b"".join([_csv_header(POST_FIELDS), *(data.posts_csv for data in entry_data(ctx))])


def _post_ids(ctx) -> bytes:
    return "".join(i + "\n" for i in post_ids(ctx)).encode("utf-8")


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


def datapackage(ctx) -> dict:
    """The Frictionless Data Package (profile tabular-data-package) describing the files of /data/."""
    views = ctx.views
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
    if data_counts(ctx).ids:  # a file with no line is no table: described only when it has ids
        package["resources"].append(
            {"name": "post-ids", "path": "post-ids.txt", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/plain", "encoding": "utf-8",
             "title": "Post ids", "description": "The platform ids of the archived posts whose authors are not "
             "private people, one a line, sorted, without a header; posts.csv tells the platform of each.",
             "dialect": {"header": False},
             "schema": {"fields": [{"name": "id", "type": "string", "description": "A post's id on its platform."}]}})
    return package


def _datapackage(ctx) -> bytes:
    return json_bytes(datapackage(ctx))


def _data_page(ctx) -> bytes:
    views = ctx.views
    counted = data_counts(ctx)
    entries, posts, ids = counted.entries, counted.posts, counted.ids
    package = datapackage(ctx)
    descriptions = {r["path"]: r for r in package["resources"]}

    def fields_of(name):
        return [DataPageField(f["name"], f["type"], f["description"]) for f in descriptions[name]["schema"]["fields"]]

    def count(n, one, many):
        return f"{n:,} {one if n == 1 else many}"

    files = [
        DataPageFile("entries.csv", views.url("data/entries.csv"), "CSV", count(entries, "entry", "entries"),
                     "One row per entry, newest first.", fields_of("entries.csv")),
        DataPageFile("entries.json", views.url("data/entries.json"), "JSON", count(entries, "entry", "entries"),
                     "The same rows as an array of objects: lists are arrays, empty values null.", []),
        DataPageFile("posts.csv", views.url("data/posts.csv"), "CSV", count(posts, "post", "posts"),
                     "One row per archived post: the posts of every thread, and each post embedded in an "
                     "entry's text.", fields_of("posts.csv")),
        DataPageFile("post-ids.txt", views.url("data/post-ids.txt"), "Text", count(ids, "id", "ids"),
                     "The platform ids of the posts whose authors are not private people, one a line, sorted: "
                     "the form tools that fetch posts again from a platform take.", []),
        DataPageFile("datapackage.json", views.url("data/datapackage.json"), "JSON", "",
                     "A Frictionless Data Package: every file's fields, types and meaning, for "
                     "tools that load it in one step.", []),
    ]
    return ctx.page("data.html", "data/", "Open data",
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

