"""Threads rebuilt from posts: the posts of one conversation by one author, in reply-chain order, numbered.

A conversation is the platform's (X API's `conversation_id`, Mastodon's `conversation`), or else the
first post of a chain of the author's replies to themselves (Twitter's archive). Posts are ordered by
the reply chain, then by time; a post that replies to a post of the author's that the export lacks
starts after a gap. A post the export says it could not give (an API error, a deletion marker) takes
its place in the thread with the status the export gives, when one of the thread's posts replies to it.

Positions `n` come from 'n/N' markers when every post has one (then `parts_total` is N); otherwise
they count along the chain, one number left out for each gap. A post alone (no other post of its thread,
no gap) has no position: its '3/5' is as likely a score as a part, so the editor's note only mentions it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone

from .plaintext import part_marker
from .records import Account, Harvest, Missing, Post

LATEST = datetime.max.replace(tzinfo=timezone.utc)
CHAIN_STEPS = 10_000
"""The longest reply chain followed: a loop in a broken export cannot hold the import."""


@dataclass(frozen=True)
class Part:
    """A post at its place in a thread."""

    post: Post
    n: int | None
    gap_before: bool = False
    """The post it replies to, by the same author, is not in the export."""


@dataclass(frozen=True)
class Thread:
    """One conversation's posts by one author."""

    platform: str
    author: Account
    conversation: str
    parts: tuple[Part, ...]
    parts_total: int | None
    notes: tuple[str, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        """The ids of its posts and of their earlier versions."""
        return frozenset(i for part in self.parts for i in (part.post.id, *part.post.versions))

    @property
    def first_date(self) -> datetime:
        return min((part.post.date for part in self.parts if part.post.date), default=LATEST)


def build(harvest: Harvest) -> list[Thread]:
    """Every thread of the harvest, oldest first."""
    posts = _with_marked_statuses(harvest)
    groups: dict[tuple[str, str, str], dict[str, Post]] = {}
    for post in sorted(posts.values(), key=lambda p: p.context):  # a post read as data makes a group
        key = (post.platform, post.conversation or _chain_root(post, posts, harvest), post.author)
        if not post.context or key in groups:
            groups.setdefault(key, {})[post.id] = post
    threads = [_thread(key, members, posts, harvest) for key, members in groups.items()]
    return sorted(threads, key=lambda t: (t.first_date, t.platform, t.conversation, t.author.key))


def _with_marked_statuses(harvest: Harvest) -> dict[str, Post]:
    """The posts, each that the export also says is gone with that status and a note saying so."""
    posts = dict(harvest.posts)
    for missing in harvest.missing.values():
        post = posts.get(harvest.resolve(missing.id))
        if post is not None and post.status != missing.status:
            note = f"is {missing.status} on the platform, the export says ({missing.reason})"
            posts[post.id] = dataclasses.replace(post, status=missing.status, notes=post.notes + (note,))
    return posts


def _chain_root(post: Post, posts: dict[str, Post], harvest: Harvest) -> str:
    """The first of the author's posts up the chain of their replies to themselves."""
    current, steps = post, 0
    while current.reply_to and steps < CHAIN_STEPS:
        parent = posts.get(harvest.resolve(current.reply_to))
        if parent is None or parent.author != post.author:
            break
        current, steps = parent, steps + 1
    return current.id


def _thread(key: tuple[str, str, str], members: dict[str, Post], posts: dict[str, Post],
            harvest: Harvest) -> Thread:
    platform, conversation, author_key = key
    members = {**members, **_stand_ins(members, posts, harvest, author_key)}
    ordered = _ordered(members, posts, harvest, author_key)
    parts, total, notes = _numbered(ordered)
    account = harvest.accounts.get(author_key) or Account(platform, author_key, "")
    return Thread(platform, account, conversation, parts, total, notes)


def _stand_ins(members: dict[str, Post], posts: dict[str, Post], harvest: Harvest,
                  author_key: str) -> dict[str, Post]:
    """The author's posts the export says it could not give, that posts of the thread reply to."""
    found = {}
    for post in members.values():
        target = harvest.resolve(post.reply_to)
        missing: Missing | None = harvest.missing.get(target)
        if missing is None or target in posts or target in members or post.reply_to_author != author_key:
            continue
        found[target] = Post(post.platform, target, author_key, None, _stand_in_text(missing), missing.source,
                             missing.line, status=missing.status, conversation=post.conversation,
                             stand_in=True, notes=(f"could not be archived: {missing.reason}",))
    return found


def _stand_in_text(missing: Missing) -> str:
    return f"This post could not be archived: the platform says it is {missing.status}."


def _parent(post: Post, members: dict[str, Post], posts: dict[str, Post], harvest: Harvest,
            author_key: str) -> tuple[str | None, bool]:
    """(the id of the nearest post of the thread up the reply chain, or None; whether the chain breaks at a
    post of the author's that the export lacks)."""
    current, steps = post, 0
    while current.reply_to and steps < CHAIN_STEPS:
        target = harvest.resolve(current.reply_to)
        if target in members:
            return target, False
        above = posts.get(target)
        if above is None:
            return None, current.reply_to_author == author_key
        current, steps = above, steps + 1
    return None, False


def _ordered(members: dict[str, Post], posts: dict[str, Post], harvest: Harvest,
             author_key: str) -> list[tuple[Post, bool]]:
    """(post, gap before it) in reply-chain order: each post after the one it replies to, siblings and
    separate chains by time."""
    children: dict[str, list[Post]] = {}
    tops: list[tuple[Post, bool]] = []
    for post in members.values():
        parent, gap = _parent(post, members, posts, harvest, author_key)
        if parent is None:
            tops.append((post, gap))
        else:
            children.setdefault(parent, []).append(post)

    def when(post: Post) -> datetime:
        if post.date is not None:
            return post.date
        return min((when(child) for child in children.get(post.id, [])), default=LATEST)

    ordered: list[tuple[Post, bool]] = []
    stack = [(top, gap) for top, gap in sorted(tops, key=lambda item: (when(item[0]), item[0].id), reverse=True)]
    while stack:
        post, gap = stack.pop()
        ordered.append((post, gap))
        below = sorted(children.get(post.id, []), key=lambda p: (when(p), p.id), reverse=True)
        stack += [(child, False) for child in below]
    return ordered


def _numbered(ordered: list[tuple[Post, bool]]) -> tuple[tuple[Part, ...], int | None, tuple[str, ...]]:
    """The parts with their n, parts_total when the posts' markers say it, and notes on what was found."""
    real = [post for post, _ in ordered if not post.stand_in]
    markers = [part_marker(post.text) for post in real]
    alone = len(ordered) == 1 and not ordered[0][1]
    if alone:  # a lone post's '3/5' is as likely a score as a part: it is noted, not believed
        note = f"carries the part number {markers[0][0]}/{markers[0][1]}, but the export holds no other part of " \
            "its thread" if markers[0] else ""
        return (Part(ordered[0][0], None),), None, (f"The post {note}.",) if note else ()
    if real and all(markers) and len({m[1] for m in markers}) == 1 \
            and all(a[0] < b[0] for a, b in zip(markers, markers[1:])):
        return _by_markers(ordered, dict(zip((p.id for p in real), (m[0] for m in markers))), markers[0][1])
    notes = ("Some posts carry a part number (n/N) and some do not, or the numbers disagree with the reply "
             "chain: the positions n follow the reply chain.",) if any(markers) and len(real) > 1 else ()
    parts, n = [], 0
    for post, gap in ordered:
        n += 2 if gap else 1
        parts.append(Part(post, n, gap))
    return tuple(parts), None, notes


def _by_markers(ordered: list[tuple[Post, bool]], numbers: dict[str, int],
                total: int) -> tuple[tuple[Part, ...], int, tuple[str, ...]]:
    parts: list[Part] = []
    for index, (post, gap) in enumerate(ordered):
        n = numbers.get(post.id)
        if n is None:  # a stand-in: the number between its neighbours, when there is one
            before = parts[-1].n if parts and parts[-1].n else 0
            after = next((numbers[p.id] for p, _ in ordered[index + 1:] if p.id in numbers), total + 1)
            n = before + 1 if before + 1 < after else None
        parts.append(Part(post, n, gap))
    return tuple(parts), total, ()
