"""Markdown bodies to safe HTML.

Extensions: tables, footnotes, fenced_code, def_list, abbr, `toc` (heading ids
for deep links) and sane_lists. Not smarty: an archive quotes its sources as
they were written, straight quotes included (and smarty doubles the cost of
every body). Raw HTML is cleaned with nh3, an allow-list sanitiser, unless
site.yaml sets markdown.unsafe_html.
"""

from __future__ import annotations

import markdown
import nh3

EXTENSIONS = ["tables", "footnotes", "fenced_code", "def_list", "abbr", "toc", "sane_lists"]
EXTENSION_CONFIGS = {
    "toc": {"permalink": False},
    "footnotes": {"UNIQUE_IDS": False},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
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
        return nh3.clean(out, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto"}, link_rel=None, strip_comments=True)
