"""Twitter's account archive: data/tweets.js (`window.YTD.tweets.part0 = [{"tweet": {...}}, ...]`).

Each tweet has the shape of the v1.1 API (`id_str`, `full_text`, `created_at` as 'Tue Oct 17 14:02:00
+0000 2017', `entities`, `extended_entities`, `in_reply_to_status_id_str`), without its author: every
tweet of the archive is the account's own, named in data/account.js beside it. Images are in
data/tweets_media/ (data/tweet_media/ in older archives) as `<tweet id>-<file name>`. The array is read
one tweet at a time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import Code
from .jsonstream import Broken, JsonReader, Unreadable, open_text
from .plaintext import language, twitter_date, twitter_text
from .records import LIVE, Account, Harvest, Media, Mention, Post

PLATFORM = "twitter"
STATUS_URL = "https://twitter.com/{}/status/{}"
PROFILE_URL = "https://twitter.com/{}"
PREFIX = re.compile(r"\ufeff?\s*window\.YTD\.(\w+)\.part\d+\s*=\s*")
TWEET_FILES = ("tweets", "tweet")
"""The name the archive gives its tweets (tweet.js in archives made before 2020)."""
MEDIA_FOLDERS = ("tweets_media", "tweet_media")
FORMAT = "Twitter's account archive (tweets.js)"


def read(path: Path, shown: str, harvest: Harvest) -> None:
    """Every tweet of a tweets.js into `harvest`, its author from the account.js beside it."""
    account = _account(path.parent / "account.js")
    if account is None:
        harvest.error(shown, 1, "the archive's account.js is not beside this file, so its author is unknown",
                      "import data/tweets.js from the unzipped archive, where account.js is", Code.FILE)
        return
    harvest.add_account(account)
    media_dir = next((path.parent / name for name in MEDIA_FOLDERS if (path.parent / name).is_dir()), None)
    try:
        with open_text(path) as handle:
            _tweets(JsonReader(handle), account, media_dir, shown, harvest)
    except Unreadable as unreadable:
        harvest.error(shown, unreadable.line, "the file is not UTF-8 text from here on",
                      "give the archive's data/tweets.js as the archive holds it", Code.FILE)


def _tweets(reader: JsonReader, account: Account, media_dir: Path | None, shown: str, harvest: Harvest) -> None:
    name = _prefix(reader)
    if name not in TWEET_FILES:
        what = f"this is the archive's {name}.js, not its tweets" if name else \
            "the file does not start as an archive's tweets.js does (window.YTD.tweets.part0 = [)"
        harvest.error(shown, reader.line, what, "give data/tweets.js, or tweets-part1.js and so on for the next parts",
                      Code.EXPORT)
        return
    for index, (line, item) in enumerate(reader.items(), 1):
        if isinstance(item, Broken):
            cut = f"the file stops inside tweet {index}: it was cut short" if item.cut_short else \
                f"tweet {index} is not JSON: {item.detail}"
            harvest.error(shown, item.line, cut, "unzip the archive again; the other tweets are imported",
                          Code.SYNTAX)
            continue
        tweet = item.get("tweet") if isinstance(item, dict) and isinstance(item.get("tweet"), dict) else item
        if not isinstance(tweet, dict) or "id_str" not in tweet:
            harvest.error(shown, line, f"item {index} is not a tweet: it has no \"id_str\"",
                          "give the archive's data/tweets.js as the archive holds it", Code.EXPORT)
            continue
        _tweet(tweet, account, media_dir, shown, line, harvest)


def _prefix(reader: JsonReader) -> str:
    """The archive's name for what the file holds ('tweets'), after its `window.YTD.<name>.part0 = [`."""
    match = reader.skip_text(PREFIX)
    return match.group(1) if match is not None and reader.expect("[") else ""


def _account(path: Path) -> Account | None:
    """The archive's own account, from account.js: `[{"account": {"accountId", "username", ...}}]`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        found = json.loads(PREFIX.sub("", text, count=1))[0]["account"]
        return Account(PLATFORM, str(found["accountId"]), str(found["username"]),
                       str(found.get("accountDisplayName") or ""), PROFILE_URL.format(found["username"]))
    except (OSError, UnicodeDecodeError, ValueError, LookupError, TypeError):
        return None


def _tweet(tweet: dict, account: Account, media_dir: Path | None, shown: str, line: int, harvest: Harvest) -> None:
    tweet_id = str(tweet.get("id_str") or "")
    date = twitter_date(tweet.get("created_at"))
    raw_text = tweet.get("full_text", tweet.get("text"))
    if not tweet_id.isdigit() or date is None or not isinstance(raw_text, str):
        harvest.error(shown, line, f"tweet {tweet_id or '(no id)'} has no {'date' if date is None else 'text'}",
                      "give the archive's data/tweets.js as the archive holds it", Code.EXPORT)
        return
    entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
    media_items = _media_items(tweet)
    links = {u["url"]: u.get("expanded_url") or u["url"] for u in _dicts(entities.get("urls")) if "url" in u}
    links.update({m["url"]: "" for m in media_items if isinstance(m.get("url"), str)})
    notes = []
    history = _edit_history(tweet)
    versions = tuple(history[:-1]) if len(history) > 1 and history[-1] == tweet_id else ()
    if versions:
        notes.append(f"was edited on the platform: the latest of its {len(history)} versions is archived")
    text = twitter_text(raw_text, links)
    if text.startswith("RT @"):
        notes.append("is a retweet: it shows another post, as the archive holds it (shortened by the platform)")
    countries = [c for c in tweet.get("withheld_in_countries") or [] if isinstance(c, str)]
    if countries:
        notes.append(f"is withheld on the platform in {', '.join(countries)}")
    in_reply_to = str(tweet.get("in_reply_to_status_id_str") or "")
    harvest.add_post(Post(
        PLATFORM, tweet_id, account.key, date, text, shown, line, lang=language(tweet.get("lang")),
        media=tuple(found for found in (_media(m, tweet_id, media_dir) for m in media_items) if found),
        status=LIVE, reply_to=in_reply_to if in_reply_to.isdigit() else "",
        reply_to_author=str(tweet.get("in_reply_to_user_id_str") or ""),
        url=STATUS_URL.format(account.handle, tweet_id), versions=versions, notes=tuple(notes),
        mentions=tuple(Mention(str(m["screen_name"]), str(m.get("name") or ""))
                       for m in _dicts(entities.get("user_mentions")) if "screen_name" in m)))


def _dicts(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _media_items(tweet: dict) -> list[dict]:
    for holder in ("extended_entities", "entities"):
        found = tweet.get(holder)
        if isinstance(found, dict) and _dicts(found.get("media")):
            return _dicts(found["media"])
    return []


def _media(item: dict, tweet_id: str, media_dir: Path | None) -> Media | None:
    """An image: its URL on the platform, and the archive's copy when it has one."""
    src = item.get("media_url_https") or item.get("media_url")
    if not isinstance(src, str) or not src:
        return None
    src = "https://" + src.split("://", 1)[1] if src.startswith("http://") else src
    local = media_dir / f"{tweet_id}-{src.rsplit('/', 1)[-1]}" if media_dir is not None else None
    alt = item.get("ext_alt_text") if isinstance(item.get("ext_alt_text"), str) else ""
    return Media(src, alt, local if local is not None and local.is_file() else None)


def _edit_history(tweet: dict) -> list[str]:
    """The ids of every version of an edited tweet, oldest first (`edit_info`), or []."""
    info = tweet.get("edit_info") if isinstance(tweet.get("edit_info"), dict) else {}
    initial = info.get("initial") if isinstance(info.get("initial"), dict) else {}
    edit = info.get("edit") if isinstance(info.get("edit"), dict) else {}
    control = edit.get("editControlInitial") if isinstance(edit.get("editControlInitial"), dict) else {}
    ids = initial.get("editTweetIds") or control.get("editTweetIds") or []
    return [str(i) for i in ids if str(i).isdigit()]
