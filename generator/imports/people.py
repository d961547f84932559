"""Who is public and who is private, and imported text made safe to keep.

Every account is private unless site.yaml's `public_accounts` lists its handle. The author of an
imported thread is declared in its file (`private: true` with the handle), so the build replaces each
@mention of them by their name: their mentions are kept as written. A private account the import does
not declare (one that is only mentioned or quoted) is unknown to the build, so a mention of them is
written as their name here, and a link to their profile becomes a mention. A link to a private
person's post becomes one without their handle (twitter.com/i/web/status/<id>), or, on Mastodon, where
every post address holds it, a mention. What the build would still refuse (a private handle written as
a plain word) is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import PublicAccounts
from ..privacy import Privacy
from ..schema import clean_text
from .records import Account, Harvest

PRIVATE_NAME = "A private account"
"""The name given when the platform's display name is empty or holds a private handle."""
MENTIONED_NAME = "a private account"
_MENTION = re.compile(
    r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")
"""An @mention as the build reads one (privacy.py)."""
_TWITTER_LINK = re.compile(r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?!i/|intent/|hashtag/|search)"
                           r"([A-Za-z0-9_]{1,20})(?:/status(?:es)?/(\d+))?(?![A-Za-z0-9_])((?:[/?#]\S*)?)", re.I)
"""A link to a Twitter (or X) profile or post: (handle, post id or None, the rest of the address)."""
_FEDIVERSE_LINK = re.compile(r"https?://([A-Za-z0-9.-]+)/(?:@([A-Za-z0-9_.]+)|users/([A-Za-z0-9_.]+))"
                            r"(?:/(?:statuses/)?(\d+))?(?![A-Za-z0-9_])((?:[/?#]\S*)?)")
"""A link to a profile or post on a Mastodon server: (host, user, user, post id or None, the rest)."""
_TRAILING = re.compile(r"[)\]}>.,;:!?'\"]+$")
"""What ends a sentence after a link, kept when the link is rewritten."""


@dataclass(frozen=True)
class People:
    """The accounts of one import: public handles, the private authors it declares, the names it knows."""

    public: PublicAccounts
    declared: dict[str, str]
    """Lowercased handle of each private author of a written thread -> the name written for them."""
    names: dict[str, str]
    """Lowercased handle -> the display name the export gives."""
    guard: Privacy
    """The declared private people, as the build will know them."""
    written: dict[str, str]
    """Account.key -> the name written for the account (name_of)."""
    servers: frozenset[str]
    """The Mastodon servers of the import's accounts: only a link to one of them is read as a profile (a
    path /@name on another site, a blog's, names no Mastodon account)."""

    def is_public(self, account: Account) -> bool:
        return bool(account.handle) and account.handle.lower() in self.public.of(account.platform)

    def name_of(self, account: Account) -> str:
        """The name to write for an author: their display name, unless it is empty or holds a private handle."""
        known = self.written.get(account.key)
        if known is not None:
            return known
        name = _one_line(account.name) or (account.handle if self.is_public(account) else "")
        return name if name and not self.guard.find(name) else PRIVATE_NAME

    def clean(self, text: str, platform: str) -> str:
        """Text with links to private people's profiles and posts made mentions or handle-free links, and
        mentions of the private people the import does not declare written as their names."""
        return _MENTION.sub(lambda m: self._mention(m.group(1), platform) or m.group(0), self._links(text))

    def named(self, text: str, platform: str) -> set[str]:
        """The private accounts that `clean` writes as their names in this text (they are not declared)."""
        return {m.group(1).lower() for m in _MENTION.finditer(self._links(text)) if self._mention(m.group(1), platform)}

    def _links(self, text: str) -> str:
        return _FEDIVERSE_LINK.sub(self._mastodon_link, _TWITTER_LINK.sub(self._twitter_link, text))

    def leaks(self, text: str, platform: str) -> str | None:
        """The private handle the build would find in this text once it has replaced mentions, or None."""
        return self.guard.find(self.guard.redact(text, platform))

    def _public_handle(self, handle: str, platform: str) -> bool:
        return handle.lower() in self.public.of(platform)

    def _twitter_link(self, match: re.Match) -> str:
        handle, status, rest = match.groups()
        if self._public_handle(handle, "twitter"):
            return match.group(0)
        return (f"https://twitter.com/i/web/status/{status}" if status else f"@{handle}") + _trailing(rest)

    def _mastodon_link(self, match: re.Match) -> str:
        host, user, other_user, status, rest = match.groups()
        handle = f"{user or other_user}@{host}".lower()
        if host.lower() not in self.servers or self._public_handle(handle, "mastodon"):
            return match.group(0)
        return (f"(a post by @{handle})" if status else f"@{handle}") + _trailing(rest)

    def _mention(self, handle: str, platform: str) -> str | None:
        """The name a mention is written as, or None to keep it as written (public, or declared)."""
        key = handle.lower()
        where = "mastodon" if "@" in key else platform
        if self._public_handle(key, where) or key in self.declared or self.guard.mention_name(key, platform):
            return None
        name = _one_line(self.names.get(key, ""))
        return name if name and not self.guard.find(name) and key not in name.lower() else MENTIONED_NAME


def _one_line(name: str) -> str:
    return " ".join(clean_text(name).split())


def _trailing(rest: str) -> str:
    found = _TRAILING.search(rest)
    return found.group(0) if found else ""


def _servers(harvest: Harvest) -> frozenset[str]:
    handles = [a.handle for a in harvest.accounts.values() if a.platform == "mastodon"]
    handles += [m.handle for p in harvest.posts.values() if p.platform == "mastodon" for m in p.mentions]
    return frozenset(handle.split("@", 1)[1].lower() for handle in handles if "@" in handle)


def decide(public: PublicAccounts, authors: list[Account], harvest: Harvest) -> People:
    """The people of an import whose threads are by `authors`."""
    names = {account.handle.lower(): account.name for account in harvest.accounts.values() if account.handle}
    for post in harvest.posts.values():
        for mention in post.mentions:
            if mention.name:
                names.setdefault(mention.handle.lower(), mention.name)
    private = [a for a in authors if a.handle and a.handle.lower() not in public.of(a.platform)]
    handles = {a.handle.lower(): PRIVATE_NAME for a in private}
    servers = _servers(harvest)
    first = People(public, handles, names, Privacy(handles), {}, servers)
    written = {a.key: first.name_of(a) for a in authors}
    declared = {a.handle.lower(): written[a.key] for a in private}
    return People(public, declared, names, Privacy(declared), written, servers)
