"""The platforms posts are archived from, and which one a post's URL belongs to.

A ```post block (or a thread) may leave `platform` out when its URL says it:
https://twitter.com/jamie/status/1 is Twitter, https://x.com/... is X, and a URL
of the form https://<host>/@<user>/<number> is a Mastodon post on any server.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PLATFORMS = ("twitter", "x", "mastodon", "bluesky", "instagram", "facebook")
PLATFORM_NAMES = {"twitter": "Twitter", "x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky",
                  "instagram": "Instagram", "facebook": "Facebook"}

HOSTS = (("twitter.com", "twitter"), ("x.com", "x"), ("bsky.app", "bluesky"), ("instagram.com", "instagram"),
         ("facebook.com", "facebook"))
"""A registered domain -> its platform; its subdomains (www., mobile., m.) belong to it too."""

_FEDIVERSE_POST_PATH = re.compile(r"^/@[A-Za-z0-9_.-]+(?:@[A-Za-z0-9.-]+)?/[0-9]+/?$")
"""/@user/123456: the path of a post on a Mastodon server (a user@host form for remote posts seen there)."""


def platform_of(url: str) -> str:
    """The platform a post's URL is on, or '' when the URL does not say."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:  # a malformed host such as '[': the URL says nothing
        return ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    for domain, platform in HOSTS:
        if host == domain or host.endswith("." + domain):
            return platform
    return "mastodon" if _FEDIVERSE_POST_PATH.match(parts.path) else ""
