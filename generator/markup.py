"""Markdown bodies to safe HTML, and the one HTML sanitiser.

Extensions: tables, footnotes, fenced_code, def_list, abbr, `toc` (heading ids
for deep links) and sane_lists. Not smarty: an archive quotes its sources as
they were written, straight quotes included (and smarty doubles the cost of
every body). Raw HTML is cleaned with `sanitise` (nh3, an allow-list) unless
site.yaml sets markdown.unsafe_html; everything a feed carries as HTML goes
through `sanitise` too, whatever that setting says.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import markdown
import nh3

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


class MarkdownRenderer:
    """One configured Markdown converter, reused for every body (creating one costs ~1 ms)."""

    def __init__(self, unsafe_html: bool = False):
        self.unsafe_html = unsafe_html
        self._md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                     output_format="html")

    def render(self, text: str) -> str:
        self._md.reset()
        out = self._md.convert(text)
        if self.unsafe_html:
            return out
        return sanitise(out)
