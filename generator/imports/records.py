"""What every reader of `chorus import` gives: accounts, posts, and what an export says is missing.

A reader (xapi, tweetsjs, outbox) turns its format into these records and puts them in a Harvest; the
rest of the import (threads, privacy, files) never sees a format's own shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import Code, SourceError

LIVE, DELETED, PROTECTED, SUSPENDED, UNKNOWN = "live", "deleted", "protected", "suspended", "unknown"
"""The statuses a post may have (entries.STATUSES)."""


@dataclass(frozen=True, slots=True)
class Account:
    """The author of posts, or a person they mention or quote."""

    platform: str
    key: str
    """The platform's id of the account: a Twitter user id, a Mastodon actor URI."""
    handle: str
    """Without '@': `jamie`, or `jamie@mastodon.social` on Mastodon; '' when the export does not say."""
    name: str = ""
    """The display name; '' when the export does not say."""
    url: str = ""
    """The profile URL."""
    protected: bool = False
    """The account's posts are visible to its followers only."""


@dataclass(frozen=True, slots=True)
class Media:
    """An image attached to a post."""

    src: str
    """An http(s) URL; '' when only the export's own copy is known."""
    alt: str
    """The description the author gave; '' when none."""
    local: Path | None = None
    """The export's copy of the file (Twitter's tweets_media/, Mastodon's media_attachments/)."""


@dataclass(frozen=True, slots=True)
class Mention:
    """An account a post names with @."""

    handle: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Post:
    """One post as the export gives it, its text already plain (links expanded, entities decoded)."""

    platform: str
    id: str
    author: str
    """The Account.key of its author."""
    date: datetime | None
    """When it was posted (aware); None only for a post the export could not give."""
    text: str
    """Its own text: what an 'n/N' part marker is looked for in."""
    source: str
    """The file it was read from, as given on the command line, and the line."""
    line: int
    lang: str = ""
    media: tuple[Media, ...] = ()
    status: str = LIVE
    conversation: str = ""
    """The platform's conversation id; '' when the export has none (threads are then found by replies)."""
    reply_to: str = ""
    """The id of the post it replies to."""
    reply_to_author: str = ""
    """The Account.key of that post's author, when the export says."""
    url: str = ""
    """Its URL on the platform (it carries the author's handle)."""
    warning: str = ""
    """A content warning the author gave (Mastodon's summary)."""
    quoted: str = ""
    """The post it quotes, as written after its text: 'Quoting @author: text URL'."""
    mentions: tuple[Mention, ...] = ()
    versions: tuple[str, ...] = ()
    """Ids of its earlier versions, oldest first, when it was edited."""
    notes: tuple[str, ...] = ()
    """Facts for the editor's note: 'was edited', 'is withheld in DE'."""

    @property
    def shown_text(self) -> str:
        """The text as the archive shows it: its own, then the post it quotes."""
        return f"{self.text}\n\n{self.quoted}" if self.quoted else self.text
    context: bool = False
    """Known only as a post another one refers to (X API's includes): part of a thread only with its author's."""
    stand_in: bool = False
    """A post the export could not give (an API error, a deletion marker): its text says so."""


@dataclass(frozen=True, slots=True)
class Missing:
    """A post the export says it could not give, and why."""

    id: str
    status: str
    reason: str
    """What the platform said, in its words."""
    source: str
    line: int


@dataclass
class Harvest:
    """Everything read from the files of one import, and the problems found reading them."""

    posts: dict[str, Post] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    missing: dict[str, Missing] = field(default_factory=dict)
    latest: dict[str, str] = field(default_factory=dict)
    """The id of an edited post's earlier version -> the id of its latest version."""
    problems: list[SourceError] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    """What was left out on purpose, by what it is ('boosts') -> how many."""

    def add_post(self, post: Post) -> None:
        """Keep a post; of an edited post's versions, keep the latest; of a post met twice, the first seen
        (a post read from a file's data wins over the same post known only as context)."""
        post_id = self.latest.get(post.id, post.id)
        if post_id != post.id:
            return  # an earlier version of a post already kept
        known = self.posts.get(post.id)
        if known is not None and not (known.context and not post.context):
            return
        for old in post.versions:
            self.latest[old] = post.id
            self.posts.pop(old, None)
        self.posts[post.id] = post

    def add_account(self, account: Account) -> None:
        """Keep an account; a later record fills what an earlier one left empty."""
        known = self.accounts.get(account.key)
        if known is None or (not known.handle and account.handle) or (not known.name and account.name):
            self.accounts[account.key] = account

    def resolve(self, post_id: str) -> str:
        """The id of the latest version of a post."""
        return self.latest.get(post_id, post_id)

    def error(self, source: str, line: int, message: str, hint: str, code: Code) -> None:
        self.problems.append(SourceError(source, line, message, hint, code=code))

    def warn(self, source: str, line: int, message: str, hint: str = "") -> None:
        self.problems.append(SourceError(source, line, f"warning: {message}", hint, code=Code.WARNING))

    def skip(self, what: str) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + 1
