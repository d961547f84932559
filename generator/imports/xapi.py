"""twarc2 output: the X API v2 responses it writes, one per line, paged or flattened.

A paged line is an API response: `{"data": [tweet, ...], "includes": {"users", "media", "tweets"},
"errors": [...], "meta": {...}}`. A flattened line (`twarc2 flatten`) is one tweet with what the page
included put in place: `author`, `attachments.media`, `entities.mentions` with each user, and
`referenced_tweets` each with the whole tweet. Both are read here, line by line; so are the API's
error objects (a post it could not return) and compliance markers (`{"id", "action": "delete",
"reason"}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Code
from .jsonstream import Broken, Unreadable, json_lines
from .plaintext import iso_date, language, twitter_text
from .records import DELETED, LIVE, PROTECTED, SUSPENDED, UNKNOWN, Account, Harvest, Media, Mention, Missing, Post

PLATFORM = "twitter"
STATUS_URL = "https://twitter.com/{}/status/{}"
PROFILE_URL = "https://twitter.com/{}"
COMPLIANCE_STATUSES = {"deleted": DELETED, "deactivated": DELETED, "suspended": SUSPENDED, "protected": PROTECTED}
"""A compliance marker's `reason` -> the status of the post it names."""
FORMAT = "twarc2 output (X API v2)"


@dataclass
class _Page:
    """What one line gives to read its tweets by: users, media and tweets by id."""

    users: dict[str, dict] = field(default_factory=dict)
    usernames: dict[str, dict] = field(default_factory=dict)
    media: dict[str, dict] = field(default_factory=dict)
    tweets: dict[str, dict] = field(default_factory=dict)

    def add_user(self, user: object) -> None:
        if isinstance(user, dict) and user.get("id"):
            self.users[str(user["id"])] = user
            if isinstance(user.get("username"), str):
                self.usernames[user["username"].lower()] = user


def read(path: Path, shown: str, harvest: Harvest) -> None:
    """Every line of a twarc2 file into `harvest`; each line that cannot be read is an error of its own."""
    for line, value in json_lines(path):
        if isinstance(value, Unreadable):
            harvest.error(shown, line, "the line is not UTF-8 text", "twarc2 writes UTF-8: is this the right file?",
                          Code.FILE)
        elif isinstance(value, Broken) and value.cut_short:
            harvest.error(shown, line, "the line stops before its JSON ends: the file was cut short",
                          "capture or copy the file again; the other lines are imported", Code.SYNTAX)
        elif isinstance(value, Broken):
            harvest.error(shown, line, f"the line is not JSON: {value.detail}",
                          "each line of twarc2 output is one JSON object; mend or remove the line", Code.SYNTAX)
        else:
            _line(value, shown, line, harvest)


def _line(value: object, shown: str, line: int, harvest: Harvest) -> None:
    if isinstance(value, dict) and isinstance(value.get("data"), dict) and "delete" in value["data"]:
        _marker(value["data"]["delete"], shown, line, harvest)
    elif isinstance(value, dict) and ("data" in value or "includes" in value):
        _page(value, shown, line, harvest)
    elif isinstance(value, dict) and "errors" in value:
        _errors(value["errors"], shown, line, harvest)
    elif isinstance(value, dict) and "id" in value and "text" in value:
        page = _Page()
        _flattened_context(value, page)
        for user in page.users.values():
            harvest.add_account(_account(user))
        for ref in page.tweets.values():
            _tweet(ref, page, shown, line, harvest, context=True)
        _tweet(value, page, shown, line, harvest, context=False)
    elif isinstance(value, dict) and (value.get("action") == "delete" or "delete" in value):
        _marker(value, shown, line, harvest)
    elif isinstance(value, dict) and "title" in value and "detail" in value:
        _errors([value], shown, line, harvest)
    elif isinstance(value, dict) and value.keys() <= {"meta", "__twarc"}:
        return  # a page with no results
    else:
        harvest.error(shown, line, "the line is neither an API response ({\"data\": ...}) nor a tweet ({\"id\", "
                      "\"text\", ...})", "give twarc2's output as it wrote it; remove lines of other tools",
                      Code.EXPORT)


def _page(page_value: dict, shown: str, line: int, harvest: Harvest) -> None:
    includes = page_value.get("includes") if isinstance(page_value.get("includes"), dict) else {}
    page = _Page()
    for user in _list(includes.get("users")):
        page.add_user(user)
    page.media = {str(m["media_key"]): m for m in _list(includes.get("media")) if "media_key" in m}
    page.tweets = {str(t["id"]): t for t in _list(includes.get("tweets")) if "id" in t}
    for user in page.users.values():
        harvest.add_account(_account(user))
    for tweet in page.tweets.values():
        _tweet(tweet, page, shown, line, harvest, context=True)
    data = page_value.get("data")
    for tweet in _list(data) if isinstance(data, list) else _list([data]) if data is not None else []:
        _tweet(tweet, page, shown, line, harvest, context=False)
    if "errors" in page_value:
        _errors(page_value["errors"], shown, line, harvest)


def _flattened_context(tweet: dict, page: _Page) -> None:
    """The users, media and referenced tweets a flattened tweet carries in place."""
    entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
    for user in [tweet.get("author"), tweet.get("in_reply_to_user"), *_list(entities.get("mentions"))]:
        page.add_user(user)
    for item in [tweet, *_list(tweet.get("referenced_tweets"))]:
        attachments = item.get("attachments") if isinstance(item.get("attachments"), dict) else {}
        page.media.update({str(m["media_key"]): m for m in _list(attachments.get("media")) if "media_key" in m})
        page.add_user(item.get("author"))
    page.tweets = {str(ref["id"]): ref for ref in _list(tweet.get("referenced_tweets"))
                   if "id" in ref and "text" in ref}


def _list(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _account(user: dict) -> Account:
    username = user.get("username") if isinstance(user.get("username"), str) else ""
    name = user.get("name") if isinstance(user.get("name"), str) else ""
    return Account(PLATFORM, str(user["id"]), username, name, PROFILE_URL.format(username) if username else "",
                   bool(user.get("protected")))


def _tweet(raw: dict, page: _Page, shown: str, line: int, harvest: Harvest, context: bool) -> None:
    tweet_id, author_id = str(raw.get("id") or ""), str(raw.get("author_id") or "")
    lacking = _lacking(tweet_id, raw.get("text"), author_id)
    if lacking:
        if not context:
            harvest.error(shown, line, f"a tweet without {lacking}",
                          "twarc2 asks for every field: was the file made by another tool?", Code.EXPORT)
        return
    date = iso_date(raw.get("created_at"))
    if date is None:
        if not context:
            harvest.error(shown, line, f"tweet {tweet_id} has no created_at date",
                          "capture it with twarc2, which asks for every field", Code.EXPORT)
        return
    user = page.users.get(author_id)
    if user is None:
        harvest.add_account(Account(PLATFORM, author_id, ""))
    author = harvest.accounts.get(author_id)
    refs = {ref.get("type"): ref for ref in _list(raw.get("referenced_tweets")) if str(ref.get("id", "")).isdigit()}
    notes: list[str] = []
    text, quoted, media = _content(raw, page, refs, notes)
    history = [str(i) for i in raw.get("edit_history_tweet_ids") or [] if str(i).isdigit()]
    versions = tuple(history[:-1]) if len(history) > 1 and history[-1] == tweet_id else ()
    if versions:
        notes.append(f"was edited on the platform: the latest of its {len(history)} versions is archived")
    notes += _withheld(raw.get("withheld"))
    replied = refs.get("replied_to")
    harvest.add_post(Post(
        PLATFORM, tweet_id, author_id, date, text, shown, line, lang=language(raw.get("lang")), media=media,
        status=PROTECTED if author is not None and author.protected else LIVE,
        conversation=str(raw.get("conversation_id") or ""),
        reply_to=str(replied["id"]) if replied else "", reply_to_author=str(raw.get("in_reply_to_user_id") or ""),
        url=STATUS_URL.format(author.handle, tweet_id) if author is not None and author.handle else "",
        quoted=quoted, mentions=_mentions(raw, page), versions=versions, notes=tuple(notes), context=context))


def _lacking(tweet_id: str, text: object, author_id: str) -> str:
    """What a tweet lacks of what every tweet has, or ''."""
    if not tweet_id.isdigit():
        return "an id"
    if not isinstance(text, str):
        return "text"
    return "" if author_id else "author_id"


def _content(raw: dict, page: _Page, refs: dict, notes: list[str]) -> tuple[str, str, tuple[Media, ...]]:
    """The text, the quoted post and the images of a tweet: a retweet as 'RT @author: ' and the whole
    original; a quote with the post it quotes, 'Quoting @author: text URL'."""
    retweeted = refs.get("retweeted")
    if retweeted is not None:
        original = page.tweets.get(str(retweeted["id"]))
        notes.append("is a retweet: it shows another post, as the platform showed it")
        if original is not None:
            handle = _handle_of(original, page)
            text = _text(original, page, set())
            return (f"RT @{handle}: {text}" if handle else text), "", _media(original, page)
        return _text(raw, page, set()), "", _media(raw, page)
    quoted = refs.get("quoted")
    text = _text(raw, page, {str(quoted["id"])} if quoted else set())
    if quoted is None:
        return text, "", _media(raw, page)
    original = page.tweets.get(str(quoted["id"]))
    if original is None:
        notes.append("quotes a post the export does not hold")
        return text, "", _media(raw, page)
    handle = _handle_of(original, page)
    url = STATUS_URL.format(handle, original["id"]) if handle else ""
    who = f"@{handle}" if handle else "another account"
    notes.append("quotes another post, shown after its text")
    return text, f"Quoting {who}: {_text(original, page, set())}" + (f" {url}" if url else ""), _media(raw, page)


def _handle_of(tweet: dict, page: _Page) -> str:
    user = page.users.get(str(tweet.get("author_id") or "")) or tweet.get("author")
    return user.get("username", "") if isinstance(user, dict) else ""


def _text(raw: dict, page: _Page, quoted: set[str]) -> str:
    """The whole text (a long post's note_tweet), its t.co links expanded; links to its own photos and to
    the post it quotes removed, since both are shown otherwise."""
    note = raw.get("note_tweet") if isinstance(raw.get("note_tweet"), dict) else {}
    source = note if isinstance(note.get("text"), str) else raw
    entities = source.get("entities") if isinstance(source.get("entities"), dict) else {}
    links = {}
    for url in _list(entities.get("urls")):
        short, long = url.get("url"), url.get("unwound_url") or url.get("expanded_url") or url.get("url")
        if not isinstance(short, str) or not isinstance(long, str):
            continue
        own_media = url.get("media_key") or re.search(rf"/status/{raw.get('id')}/(photo|video)/\d+$", long)
        quoting = any(re.search(rf"/status/{quoted_id}(?:[/?#]|$)", long) for quoted_id in quoted)
        links[short] = "" if own_media or quoting else long
    return twitter_text(source["text"], links)


def _media(raw: dict, page: _Page) -> tuple[Media, ...]:
    attachments = raw.get("attachments") if isinstance(raw.get("attachments"), dict) else {}
    found = []
    for key in attachments.get("media_keys") or []:
        item = page.media.get(str(key))
        src = item and (item.get("url") or item.get("preview_image_url"))
        if isinstance(src, str) and src.startswith("https://"):
            found.append(Media(src, item.get("alt_text") if isinstance(item.get("alt_text"), str) else ""))
    return tuple(found)


def _mentions(raw: dict, page: _Page) -> tuple[Mention, ...]:
    entities = raw.get("entities") if isinstance(raw.get("entities"), dict) else {}
    found = []
    for mention in _list(entities.get("mentions")):
        username = mention.get("username")
        if isinstance(username, str):
            user = page.usernames.get(username.lower()) or {}
            found.append(Mention(username, user.get("name") or mention.get("name") or ""))
    return tuple(found)


def _withheld(withheld: object) -> list[str]:
    if not isinstance(withheld, dict):
        return []
    countries = [c for c in withheld.get("country_codes") or [] if isinstance(c, str)]
    if withheld.get("copyright"):
        return ["is withheld on the platform after a copyright complaint"]
    return [f"is withheld on the platform in {', '.join(countries)}"] if countries else []


def _errors(errors: object, shown: str, line: int, harvest: Harvest) -> None:
    """Each error of the API: a post it could not return is recorded with the status the error says; any
    other error (a request refused) is an error of the file."""
    for error in errors if isinstance(errors, list) else [errors]:
        error = error if isinstance(error, dict) else {}
        said = ": ".join(dict.fromkeys(str(error[k]) for k in ("title", "detail") if error.get(k))) \
            or str(error.get("message") or "no detail")
        kind, resource = error.get("resource_type"), str(error.get("resource_id") or error.get("value") or "")
        if kind == "tweet" and resource.isdigit():
            status = _status_of(error)
            harvest.missing.setdefault(resource, Missing(resource, status, said, shown, line))
            harvest.warn(shown, line, f"the API could not return post {resource}: {said}",
                         f"a thread that holds it shows it with status {status}")
        elif kind == "user" and resource:
            harvest.warn(shown, line, f"the API could not return user {resource}: {said}")
        else:
            harvest.error(shown, line, f"the API returned an error instead of posts: {said}",
                          "capture this request again; the other lines are imported", Code.EXPORT)


def _status_of(error: dict) -> str:
    words = f"{error.get('title')} {error.get('detail')} {error.get('type')}".lower()
    if "suspended" in words:
        return SUSPENDED
    if "not-authorized" in words or "authorization" in words or "not authorized" in words:
        return PROTECTED
    if "not-found" in words or "not found" in words or "could not find" in words:
        return DELETED
    return UNKNOWN


def _marker(value: dict, shown: str, line: int, harvest: Harvest) -> None:
    """A compliance marker: `{"id", "action": "delete", "reason"}`, or a stream's `{"delete": {"status" or
    "tweet": {"id"}}}`."""
    inner = value.get("delete") if isinstance(value.get("delete"), dict) else value
    target = inner.get("status") or inner.get("tweet") or inner
    post_id = str(target.get("id_str") or target.get("id") or "") if isinstance(target, dict) else ""
    status = COMPLIANCE_STATUSES.get(str(value.get("reason") or "deleted"))
    if not post_id.isdigit():
        harvest.error(shown, line, "a deletion marker without the id of a post", "remove the line", Code.EXPORT)
    elif status is not None:
        harvest.missing[post_id] = Missing(post_id, status, f"marked {value.get('reason') or 'deleted'}", shown,
                                           line)
