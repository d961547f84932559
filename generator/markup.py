"""Markdown bodies to safe HTML, and the one HTML sanitiser.

Extensions: tables, footnotes, fenced_code, def_list, abbr, `toc` (heading ids
for deep links) and sane_lists. Not smarty: an archive quotes its sources as
they were written, straight quotes included (and smarty doubles the cost of
every body). Raw HTML is cleaned with `sanitise` (nh3, an allow-list) unless
site.yaml sets markdown.unsafe_html; everything a feed carries as HTML goes
through `sanitise` too, whatever that setting says.

Links to other entries are resolved in two steps through one code path. While
a body is rendered (stage 3, before the site exists), `EntryLinks` visits every
`a` and `img` element Python-Markdown made, whatever the syntax (inline, with a
title, reference-style, in a footnote), records each link to an entry's source
file (`../threads/t.md#part`) and puts a marker in its href or src. When a page
is rendered, `resolve_marked` hands each marked element to one function in
views.py, which knows the site's link map. Raw HTML (`<a href="x.md">`) is not
Markdown's and is left as written; an autolink needs a scheme (`<https://...>`),
so `<x.md>` is text.

A link to one of the site's own URLs (`/articles/x/`) is marked and recorded
the same way, so that the build can check it names a page it makes and show a
link to a draft or a withdrawn entry as one by its file is shown. Links to a
fragment of the page itself (`#part`) and absolute http(s) URLs are recorded
but not marked (their element stays as written): the build checks those that
lead within the site. The ids the body's HTML holds (headings, footnotes) are
recorded too: they are the anchors other links may name.
"""

from __future__ import annotations

from html import unescape
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor
from markupsafe import escape

EXTENSIONS = ["tables", "footnotes", "fenced_code", "def_list", "abbr", "toc", "sane_lists"]
EXTENSION_CONFIGS = {
    "toc": {"permalink": False},
    "footnotes": {"UNIQUE_IDS": False},
}

ALLOWED_TAGS = {
    "a", "abbr", "article", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "reversed", "type"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "details": {"open"},
}
URL_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "cite"}
"""Every allowed attribute that holds a URL. nh3 checks the scheme of href and src only, not of cite."""

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_TAB_OR_NEWLINE = re.compile("[\t\n\r]")


def allowed_url(value: str) -> bool:
    """An http, https or mailto URL, or a relative one (a link within the site).

    The scheme is read as a browser reads it: leading and trailing controls and
    spaces, and tabs and newlines anywhere, are ignored (` java\\tscript:`).
    """
    scheme = _SCHEME.match(_URL_TAB_OR_NEWLINE.sub("", value.strip(_URL_EDGES)))
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


def sanitise(html: str, base_url: str = "") -> str:
    """HTML with only allowed elements, attributes and URLs; relative URLs made absolute against base_url if given."""
    def url_filter(_tag: str, attribute: str, value: str) -> str | None:
        if attribute not in URL_ATTRIBUTES:
            return value
        if not allowed_url(value):
            return None
        if not base_url:
            return value
        try:
            return urljoin(base_url, value.strip(_URL_EDGES))
        except ValueError:  # a malformed host such as '//[': no link rather than a broken one
            return None

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel=None, strip_comments=True, attribute_filter=url_filter)


# ---- links to other entries --------------------------------------------------

_MARK = "\ufdd0"
"""A noncharacter that clean_text removes from every file as it is read (as embeds.py's markers are wrapped
in): no text an editor writes can look like a link marker."""
LINK_MARKER = _MARK + "CHORUSLINK{}" + _MARK
ENTRY_SOURCE_RE = re.compile(r"([^#:?]+\.md)(#.*)?", re.S)
"""A link to an entry's source file, relative to the linking file, with an optional fragment."""
SITE_PATH_RE = re.compile(r"(/(?![/\\])[^#]*)(#.*)?", re.S)
"""A root-relative link ('/articles/x/?q#part'), not a network-path one ('//host/')."""
PAGE_FRAGMENT_RE = re.compile(r"()(#.*)", re.S)
"""A link to a fragment of the page itself: '#part'."""
ABSOLUTE_RE = re.compile(r"((?i:https?)://[^#]*)(#.*)?", re.S)
"""An absolute http(s) URL: the build checks it when it names the site's own base URL."""
LINKING_ATTRIBUTES = {"a": "href", "img": "src"}
_ID_RE = re.compile(r"""<[a-zA-Z][^\s/>]*(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*?"""
                    r"""\s+id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
"""An element's id in HTML: double-quoted as both serialisers write it, any form in raw HTML."""

_ATTRIBUTES = r'(?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*'
"""Attributes as both serialisers write them (Python-Markdown's and nh3's): every value in double quotes."""
_MARKED_RE = re.compile(rf'<(?P<tag>a|img)(?P<before>{_ATTRIBUTES})\s+(?:href|src)="{_MARK}CHORUSLINK(?P<index>\d+)'
                        rf'{_MARK}"(?P<after>{_ATTRIBUTES})\s*/?>')
_ANCHOR_TAG_RE = re.compile(r"<a[\s>]|</a>")
_ALT_RE = re.compile(r'\salt="([^"]*)"')


SOURCE_LINK, PATH_LINK, PAGE_LINK, ABSOLUTE_LINK = "source", "path", "page", "absolute"
"""What a written link names: an entry's source file, a root-relative URL, a fragment of the page itself, an
absolute http(s) URL. The first two are marked in the body (Rendered.links), the others only recorded."""


@dataclass(frozen=True)
class WrittenLink:
    """A link that may lead within the site, as the body's Markdown wrote it."""

    path: str
    """'../threads/t.md', relative to the linking file; '/articles/x/?q' for a root-relative URL (its query
    kept); an absolute URL without its fragment; '' for the page itself."""
    fragment: str
    """'#part' or ''."""
    kind: str = SOURCE_LINK


class Rendered(NamedTuple):
    """A body as HTML, each marked link (to an entry's source file or a root-relative URL) replaced by
    LINK_MARKER of its index in `links`."""

    html: str
    links: tuple[WrittenLink, ...]
    unmarked: tuple[WrittenLink, ...] = ()
    """Links to a fragment of the page itself and absolute http(s) URLs, in the order of the body."""
    anchors: tuple[str, ...] = ()
    """Every id the HTML holds (heading ids, footnotes, raw HTML), sorted: what a link's '#fragment' may name."""


_MARKED_KINDS = ((ENTRY_SOURCE_RE, SOURCE_LINK), (SITE_PATH_RE, PATH_LINK))
_UNMARKED_KINDS = ((PAGE_FRAGMENT_RE, PAGE_LINK), (ABSOLUTE_RE, ABSOLUTE_LINK))


class EntryLinks(Treeprocessor):
    """Marks every link to an entry's source file or to a site URL, and records links to a fragment of the
    page or to an absolute URL, whatever Markdown syntax made the a or img element."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.found: list[WrittenLink] = []
        self.unmarked: list[WrittenLink] = []

    def run(self, root: Element) -> None:
        for element in root.iter():
            attribute = LINKING_ATTRIBUTES.get(element.tag)
            value = element.get(attribute) if attribute else None
            if not value:
                continue
            # Python-Markdown writes an entity in an attribute as it was written ('a&amp;b.md' is a&b.md).
            value = unescape(value)
            written = _written(value, _MARKED_KINDS)
            if written is not None:
                element.set(attribute, LINK_MARKER.format(len(self.found)))
                self.found.append(written)
            elif (written := _written(value, _UNMARKED_KINDS)) is not None:
                self.unmarked.append(written)


def _written(value: str, kinds) -> WrittenLink | None:
    for pattern, kind in kinds:
        match = pattern.fullmatch(value)
        if match:
            return WrittenLink(match.group(1), match.group(2) or "", kind)
    return None


def anchors_of(html: str) -> tuple[str, ...]:
    """The ids of the elements of `html`, sorted, each once."""
    return tuple(sorted({unescape(next(filter(None, found), "")) for found in _ID_RE.findall(html)} - {""}))


@dataclass(frozen=True)
class MarkedElement:
    """An a or img element whose href or src is a link marker, as found in rendered HTML."""

    tag: str
    index: int
    """The link's index in the body's links."""
    before: str
    """The attributes before the marked one, as serialised."""
    after: str
    """The attributes after it."""
    content: str
    """What the element shows, as HTML: an a's content (its marked links resolved), an img's alt text."""

    def with_url(self, url: str) -> str:
        """The element itself, linking to url."""
        name = LINKING_ATTRIBUTES[self.tag]
        start = f'<{self.tag}{self.before} {name}="{escape(url)}"{self.after}>'
        return start + self.content + "</a>" if self.tag == "a" else start


def resolve_marked(body_html: str, resolve: Callable[[MarkedElement], str]) -> str:
    """body_html with each marked element replaced by what `resolve` makes of it."""
    out: list[str] = []
    position = 0
    while (found := _MARKED_RE.search(body_html, position)) is not None:
        out.append(body_html[position:found.start()])
        position = found.end()
        if found.group("tag") == "a":
            closing = _closing_anchor(body_html, position)
            content = resolve_marked(body_html[position:closing], resolve) if closing >= 0 else ""
            position = closing + len("</a>") if closing >= 0 else position
        else:
            alt = _ALT_RE.search(found.group("before") + found.group("after"))
            content = alt.group(1) if alt else ""
        out.append(resolve(MarkedElement(found.group("tag"), int(found.group("index")), found.group("before"),
                                         found.group("after"), content)))
    out.append(body_html[position:])
    return "".join(out)


def _closing_anchor(body_html: str, start: int) -> int:
    """Where the a element whose content begins at `start` ends, or -1.

    Markdown can nest links ('[a <https://x.org>](b.md)'): the sanitiser splits them, but with
    markdown.unsafe_html they stay nested, so nesting is counted rather than the first '</a>' taken.
    """
    depth = 1
    for tag in _ANCHOR_TAG_RE.finditer(body_html, start):
        depth += -1 if tag.group() == "</a>" else 1
        if depth == 0:
            return tag.start()
    return -1


class MarkdownRenderer:
    """One configured Markdown converter, reused for every body (creating one costs ~1 ms)."""

    def __init__(self, unsafe_html: bool = False):
        self.unsafe_html = unsafe_html
        self._md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                     output_format="html")
        self._links = EntryLinks(self._md)
        # Last of all treeprocessors, after 'unescape' (priority 0): every href is then as it will be written.
        self._md.treeprocessors.register(self._links, "entry-links", -10)

    def render(self, text: str) -> Rendered:
        self._md.reset()
        self._links.found, self._links.unmarked = [], []
        out = self._md.convert(text)
        # The marker is a relative URL to the sanitiser, and kept (tests/test_links.py).
        html = out if self.unsafe_html else sanitise(out)
        return Rendered(html, tuple(self._links.found), tuple(self._links.unmarked), anchors_of(html))
