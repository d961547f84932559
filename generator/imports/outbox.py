"""A Mastodon account export: outbox.json, an ActivityStreams 2.0 OrderedCollection of the account's
activities, with actor.json (the account) and media_attachments/ (its images) beside it.

Each `Create` activity holds a `Note`: `content` in HTML (turned back into text with its links and
mentions), `contentMap` by language, `summary` (a content warning when `sensitive`), `inReplyTo`,
`attachment` (each with its `name` as alt text), `tag` (mentions). `Announce` activities (boosts) hold
only the boosted post's address and are left out, and so is every post not addressed to the public
(followers-only posts and direct messages are in the export too). Mastodon writes the whole collection
on one line: it is read one activity at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Code
from .jsonstream import Broken, JsonReader, Unreadable, open_text
from .plaintext import iso_date, language, mastodon_handle, plain, text_of_html
from .records import LIVE, Account, Harvest, Media, Mention, Post

PLATFORM = "mastodon"
PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
"""The audience of a public (or unlisted) post."""
POST_TYPES = frozenset({"Note", "Question", "Article", "Page"})
FORMAT = "Mastodon's account export (outbox.json)"


def read(path: Path, shown: str, harvest: Harvest) -> None:
    """Every public post of an outbox.json into `harvest`, its author from the actor.json beside it."""
    actor = _actor(path.parent / "actor.json")
    if actor is None:
        harvest.error(shown, 1, "the export's actor.json is not beside this file, so its author is unknown",
                      "import outbox.json from the unpacked export, where actor.json is", Code.FILE)
        return
    harvest.add_account(actor)
    try:
        with open_text(path) as handle:
            reader = JsonReader(handle)
            if not _to_items(reader):
                harvest.error(shown, reader.line, "not an ActivityStreams collection: there is no \"orderedItems\"",
                              "give the outbox.json of a Mastodon export", Code.EXPORT)
                return
            for index, (line, item) in enumerate(reader.items(), 1):
                if isinstance(item, Broken):
                    cut = f"the file stops inside activity {index}: it was cut short" if item.cut_short else \
                        f"activity {index} is not JSON: {item.detail}"
                    harvest.error(shown, item.line, cut, "unpack the export again; the other activities are "
                                  "imported", Code.SYNTAX)
                else:
                    _activity(item, index, actor, path.parent, shown, line, harvest)
    except Unreadable as unreadable:
        harvest.error(shown, unreadable.line, "the file is not UTF-8 text from here on",
                      "give the export's outbox.json as the export holds it", Code.FILE)
    except Broken as broken:
        harvest.error(shown, broken.line, f"the file is not JSON: {broken.detail}",
                      "give the export's outbox.json as the export holds it", Code.SYNTAX)


def _to_items(reader: JsonReader) -> bool:
    """Move to the first activity: past the collection's other keys and the '[' of its orderedItems."""
    if not reader.expect("{"):
        return False
    while True:
        name = reader.value()
        if not isinstance(name, str) or not reader.expect(":"):
            return False
        if name == "orderedItems":
            return bool(reader.expect("["))
        reader.value()
        if not reader.expect(","):
            return False


def _actor(path: Path) -> Account | None:
    """The account, from actor.json: `{"id": "https://host/users/jamie", "preferredUsername", "name", "url"}`."""
    try:
        found = json.loads(path.read_text(encoding="utf-8-sig"))
        actor_id, username = str(found["id"]), str(found["preferredUsername"])
        host = urlsplit(actor_id).hostname or ""
    except (OSError, UnicodeDecodeError, ValueError, LookupError, TypeError):
        return None
    url = found.get("url") if isinstance(found.get("url"), str) else ""
    name = found.get("name") if isinstance(found.get("name"), str) else ""
    return Account(PLATFORM, actor_id, f"{username}@{host}".lower() if host else username.lower(), plain(name), url)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _activity(item: object, index: int, actor: Account, root: Path, shown: str, line: int,
              harvest: Harvest) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        harvest.error(shown, line, f"activity {index} is not an ActivityStreams activity: it has no \"type\"",
                      "give the outbox.json of a Mastodon export", Code.EXPORT)
        return
    note = item.get("object")
    if item["type"] == "Announce":
        harvest.skip("boosts (the export holds only their address)")
    elif item["type"] != "Create" or not isinstance(note, dict) or note.get("type") not in POST_TYPES:
        harvest.skip("activities that are not posts")
    elif not PUBLIC & {*_strings(note.get("to")), *_strings(note.get("cc")), *_strings(item.get("to")),
                       *_strings(item.get("cc"))}:
        harvest.skip("followers-only posts and direct messages")
    else:
        _note(note, index, actor, root, shown, line, harvest)


def _note(note: dict, index: int, actor: Account, root: Path, shown: str, line: int, harvest: Harvest) -> None:
    post_id = _last_segment(note.get("id"))
    date = iso_date(note.get("published"))
    languages = note.get("contentMap") if isinstance(note.get("contentMap"), dict) else {}
    content = note.get("content") if isinstance(note.get("content"), str) else next(
        (html for html in languages.values() if isinstance(html, str)), None)
    if not post_id or date is None or content is None:
        lacking = "id" if not post_id else "published date" if date is None else "content"
        harvest.error(shown, line, f"activity {index}: the post has no {lacking}",
                      "give the outbox.json of a Mastodon export", Code.EXPORT)
        return
    mentions = {str(tag["href"]): str(tag["name"]).lstrip("@") for tag in _dicts(note.get("tag"))
                if tag.get("type") == "Mention" and tag.get("href") and tag.get("name")}
    mentions = {href: name if "@" in name else mastodon_handle(href) or name for href, name in mentions.items()}
    in_reply_to = note.get("inReplyTo") if isinstance(note.get("inReplyTo"), str) else ""
    own_reply = in_reply_to.startswith(actor.key.rstrip("/") + "/")
    harvest.add_post(Post(
        PLATFORM, post_id, actor.key, date, text_of_html(content, mentions), shown, line,
        lang=language(next(iter(languages), "")), media=_media(note, root), status=LIVE,
        conversation=str(note.get("conversation") or note.get("context") or ""),
        reply_to=_last_segment(in_reply_to) if own_reply else in_reply_to,
        reply_to_author=actor.key if own_reply else "", url=_url(note.get("url")),
        warning=plain(note["summary"]) if isinstance(note.get("summary"), str) else "",
        mentions=tuple(Mention(handle) for handle in mentions.values()), notes=tuple(_notes(note))))


def _dicts(value: object) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _last_segment(uri: object) -> str:
    """A post's id: the last part of its URI (https://host/users/jamie/statuses/109 -> 109)."""
    if not isinstance(uri, str):
        return ""
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return last if last and all(c.isalnum() or c in "-_." for c in last) else ""


def _url(value: object) -> str:
    for candidate in [value, *(value if isinstance(value, list) else [])]:
        href = candidate.get("href") if isinstance(candidate, dict) else candidate
        if isinstance(href, str) and href.startswith("https://"):
            return href
    return ""


def _media(note: dict, root: Path) -> tuple[Media, ...]:
    """Each attachment: the export's copy (its url is a path in the export), or its https URL."""
    found = []
    for attachment in _dicts(note.get("attachment")):
        url = attachment.get("url") if isinstance(attachment.get("url"), str) else ""
        alt = plain(attachment["name"]) if isinstance(attachment.get("name"), str) else ""
        local = _local_file(root, url)
        src = url if url.startswith("https://") else ""
        if local is not None or src:
            found.append(Media(src, alt, local))
    return tuple(found)


def _local_file(root: Path, url: str) -> Path | None:
    """The export's copy of an attachment, never a file outside the export's folder."""
    path = urlsplit(url).path if "://" in url else url
    candidate = root / path.lstrip("/")
    try:
        if candidate.resolve().is_relative_to(root.resolve()) and candidate.is_file():
            return candidate
    except (OSError, ValueError):
        return None
    return None


def _notes(note: dict) -> list[str]:
    notes = []
    if isinstance(note.get("updated"), str):
        notes.append(f"was edited on the platform (last on {note['updated'][:10]}): its latest version is archived")
    if note.get("type") == "Question":
        notes.append("is a poll: its options and votes are not archived")
    if note.get("sensitive") and not note.get("summary") and note.get("attachment"):
        notes.append("has images the author marked sensitive")
    return notes
