"""Text as the platforms give it, made plain: HTML entities decoded, short links expanded, Mastodon's HTML
turned back into text with its links and mentions, languages and dates normalised.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urlsplit

from ..schema import clean_text

TWITTER_LANGUAGES = {"iw": "he", "in": "id", "ji": "yi"}
"""Twitter's old codes -> their BCP 47 tags."""
_NO_LANGUAGE = re.compile(r"^(und|zxx|q[a-t][a-z])$")
"""Codes that name no language: undetermined, no linguistic content, and Twitter's private q.. codes
(qme: media only, qht: hashtags only...)."""
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def language(code: object) -> str:
    """A post's language as a BCP 47 tag, or '' when the platform's code names none."""
    if not isinstance(code, str):
        return ""
    code = TWITTER_LANGUAGES.get(code.strip(), code.strip())
    return code if _LANGUAGE.match(code) and not _NO_LANGUAGE.match(code) else ""


def plain(text: str) -> str:
    """Text with what no page may hold removed and line endings made '\\n'."""
    return clean_text(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def iso_date(value: object) -> datetime | None:
    """An ISO 8601 time (X API, ActivityStreams: 2017-10-17T14:02:00.000Z) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def twitter_date(value: object) -> datetime | None:
    """Twitter v1.1's time, 'Tue Oct 17 14:02:00 +0000 2017', as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return iso_date(value)


def written_date(moment: datetime) -> str:
    """2017-10-17T14:02:00Z: UTC, to the second, as front matter takes it."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def expand_links(text: str, links: dict[str, str]) -> str:
    """Twitter's text with each t.co link replaced by what it stands for ('' removes it: a photo's link)."""
    for short, long in sorted(links.items(), key=lambda item: -len(item[0])):
        text = text.replace(short, long)
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", text)).strip()


def twitter_text(raw: str, links: dict[str, str]) -> str:
    """A tweet's text: entities decoded (Twitter writes &amp; &lt; &gt;), short links expanded."""
    return plain(expand_links(html.unescape(raw), links))


# ---- part markers: "2/10" ------------------------------------------------------------

_TRAILING_LINKS = re.compile(r"(?:\s+https?://\S+)+\s*$")
_MARKER_AT_END = re.compile(r"(?:^|[\s(\[])(\d{1,4})\s?/\s?(\d{1,4})[)\].]?\s*$")
_MARKER_AT_START = re.compile(r"^\W{0,3}?[(\[]?(\d{1,4})\s?/\s?(\d{1,4})[)\]]?(?=\s|$)")


def part_marker(text: str) -> tuple[int, int] | None:
    """(n, N) of an 'n/N' marker that opens or closes a post ('... #MeToo 2/10', '(1/5) ...'), or None."""
    body = _TRAILING_LINKS.sub("", text).strip()
    for pattern in (_MARKER_AT_END, _MARKER_AT_START):
        match = pattern.search(body)
        if match:
            n, total = int(match.group(1)), int(match.group(2))
            if 1 <= n <= total:
                return n, total
    return None


# ---- Mastodon's HTML -------------------------------------------------------------------


def mastodon_handle(href: str, fallback_host: str = "") -> str:
    """user@host from a profile URL (https://host/@user, https://host/users/user), or ''."""
    try:
        parts = urlsplit(href)
    except ValueError:
        return ""
    host = (parts.hostname or fallback_host).lower()
    match = re.match(r"^/(?:@|users/)([A-Za-z0-9_.-]+)(?:@([A-Za-z0-9.-]+))?/?$", parts.path)
    if not match or not host:
        return ""
    return f"{match.group(1)}@{match.group(2) or host}".lower()


class _TextOfHtml(HTMLParser):
    """Paragraphs and line breaks as text; a link as its URL (or 'text (URL)' when its text is other);
    a mention as @user@host, so that it names one account wherever it is read."""

    def __init__(self, mentions: dict[str, str]):
        super().__init__(convert_charrefs=True)
        self.mentions = mentions
        """Profile URL -> user@host, from the post's Mention tags."""
        self.out: list[str] = []
        self.link: tuple[str, str] | None = None
        """(href, class) of the link being read."""
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and "".join(self.out).strip():
            self.out.append("\n\n")
        elif tag == "br":
            self._write("\n")
        elif tag == "a":
            found = dict(attrs)
            self.link = (found.get("href") or "", found.get("class") or "")
            self.link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            href, classes = self.link
            self.link = None
            self.out.append(self._link(href, classes.split(), "".join(self.link_text)))
        elif tag == "p":
            self.out.append("")

    def handle_data(self, data: str) -> None:
        self._write(data)

    def _write(self, text: str) -> None:
        (self.link_text if self.link is not None else self.out).append(text)

    def _link(self, href: str, classes: list[str], text: str) -> str:
        if "mention" in classes and "hashtag" not in classes:
            handle = self.mentions.get(href) or mastodon_handle(href)
            return f"@{handle}" if handle else text
        if "hashtag" in classes or not re.match(r"^https?://", href, re.I):
            return text
        shown = text.strip()
        if shown in (href, href.rstrip("/")) or not shown:
            return href
        return f"{shown} ({href})"


def text_of_html(content: str, mentions: dict[str, str]) -> str:
    """A Mastodon post's HTML content as plain text."""
    parser = _TextOfHtml(mentions)
    parser.feed(content)
    parser.close()
    text = "".join(parser.out)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return plain(re.sub(r"\n{3,}", "\n\n", text))
