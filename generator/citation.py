"""How to cite an entry: a Chicago-style reference, BibTeX and CSL-JSON, made from the views' redacted values.

Used by the entry page's citation block (views.py) and by the citations output
(generator/outputs/citations.py, each entry's cite.json); docs/data.md describes
them for researchers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timezone

from .entries import Entry
from .kinds import KINDS
from .platforms import PLATFORM_NAMES
from .schema import When
from .urls import entry_id
from .viewmodels import Citation

CITABLE = tuple(kind.name for kind in KINDS if kind.citable)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
BIBTEX_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
ACCESSED = "Accessed [date]."
"""The access date is the reader's to give: a build date would make every build differ."""


def citable(entry: Entry) -> bool:
    return entry.kind in CITABLE and not entry.meta.withdrawn


def json_bytes(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")



# ---- dates ---------------------------------------------------------------------


def local_day(views, value: When | None) -> date | None:
    return value.at.astimezone(views.config.tz).date() if value is not None else None


def long_date(day: date) -> str:
    """As the site shows dates: 17 October 2017."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _chicago_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def utc_stamp(value: When | None) -> str:
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
    # An author the source does not name is shown on the page under the name the editor gave, but cited as
    # Chicago cites a work without one: by its title.
    known = tuple(a.name for a in meta.authors if not a.unknown)
    if entry.kind == "thread":
        author = views.person(meta.author)  # never the handle of a private person
        creators = (author.name,)
        editors = known
        genre = f"Thread on {PLATFORM_NAMES.get(meta.platform, meta.platform)}"
    else:
        creators, editors, genre = known, (), ""
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
        issued=local_day(views, meta.date),
        modified=local_day(views, meta.updated),
        url=permanent,
        lang=meta.lang or config.language,
        source_title=views.redact(source.title) if source else "",
        source_publisher=publisher,
        source_date=local_day(views, source.published) if source else None,
        source_url=source.url if source else "",
        source_archived_url=source.archived_url if source else "",
    )


def citation(views, entry) -> Citation | None:
    """The citation block of an entry page: articles, takes and threads; never pages or withdrawn entries."""
    if not citable(entry):
        return None
    ref = reference(views, entry)
    return Citation(
        style="Chicago",
        text=chicago(ref),
        bibtex=bibtex(ref),
        key=ref.key,
        url=ref.url,
        csl_url=views.url(views.site.urls[entry.path] + "cite.json"),
        csl_type=CSL_MEDIA_TYPE,
        data_url=views.url("data/"),
    )


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
    """A title in quotation marks with the following stop inside, as Chicago does: “Title,” or “Title.”

    Quotation marks in the title are nested: “‘Me too’: the tip of the iceberg.” A stop after a quotation
    that ends the title goes inside both marks: “She said ‘me too.’”
    """
    title = title.rstrip()
    nested = _nested(title)
    inner, closing = (nested[:-1], nested[-1]) if title.endswith(("”", '"')) else (nested, "")
    if inner.endswith(("?", "!", "…")) or (stop == "." and inner.endswith(".")):
        return f"“{nested}”"
    return f"“{inner}{stop}{closing}”"


_OPENS_AFTER = " \t\n([{/—–-"
"""What a straight quotation mark follows when it opens a quotation (else it closes one)."""


def _nested(title: str) -> str:
    """The title as it reads inside double quotation marks, as Chicago nests quotations: its double marks
    become single, and its single marks double.

    A straight double mark opens at the start or after a space or an opening bracket, and closes
    elsewhere. Of single marks, only a pair opened with ‘ is turned, closed by the next ’ that no letter
    follows, so that an apostrophe (it’s, the author’s) stays as it is; straight single marks are left
    alone, since they cannot be told from apostrophes.
    """
    out, open_single = [], False
    for index, char in enumerate(title):
        after = title[index + 1:index + 2]
        if char == "“" or (char == '"' and (index == 0 or title[index - 1] in _OPENS_AFTER)):
            out.append("‘")
        elif char in '”"':
            out.append("’")
        elif char == "‘":
            out.append("“")
            open_single = True
        elif char == "’" and open_single and not after.isalpha():
            out.append("”")
            open_single = False
        else:
            out.append(char)
    return "".join(out)


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
        # Each name braced: names here are free text (pseudonyms, a first name and an initial) and must not be split.
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
