"""Fenced ```post / ```tweet and ```thread blocks in a body: archived posts embedded inline.

The blocks are cut out of the Markdown before it is rendered and replaced by a
marker paragraph; the page template puts the post (or the thread) back in
its place. Parsing happens here, in the read stage, so a bad post is an error
at the file and line of the block like any other front-matter error.

The marker is wrapped in U+FDD0, a noncharacter that clean_text removes from
every file as it is read: no text an editor writes can look like a marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import yamlsrc
from .errors import Code, Invalid
from .platforms import PLATFORMS, platform_of
from .schema import Problem, abridged, read_record
from .urls import SLUG_RE

_MARK = "\ufdd0"
PLACEHOLDER = _MARK + "CHORUSEMBED{}" + _MARK
MARKER_RE = re.compile(_MARK + r"CHORUSEMBED(\d+)" + _MARK)
PLACEHOLDER_RE = re.compile(r"(?:<p>)?" + MARKER_RE.pattern + r"(?:</p>)?")
"""The marker as rendered: its own paragraph, or bare where raw HTML around it kept Markdown from wrapping it."""
_FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
EMBED_INFOS = ("post", "tweet", "thread")


@dataclass(frozen=True)
class Embed:
    """One embedded block: a post written in place, or the slug of a thread."""

    kind: str
    """'post' or 'thread'."""
    line: int
    """File line of the opening fence."""
    post: object = None
    """For a post: its PostBlock record."""
    slug: str = ""
    """For a thread: the thread's slug."""


def extract(body: str, body_line: int, ctx, post_block_cls) -> tuple[str, tuple[Embed, ...], list[Problem]]:
    """Cut out embed blocks; returns the Markdown with markers, the embeds and any problems."""
    lines = body.split("\n")
    out: list[str] = []
    embeds: list[Embed] = []
    problems: list[Problem] = []
    most = ctx.config.limits.embeds_per_body
    blocks = 0
    index = 0
    while index < len(lines):
        match = _FENCE_RE.match(lines[index])
        if not match:
            out.append(lines[index])
            index += 1
            continue
        fence = match.group("fence")
        end = _closing(lines, index + 1, fence)
        info = match.group("info").lower()
        if info not in EMBED_INFOS:
            out.extend(lines[index:end + 1])  # an ordinary code block: left to Markdown, contents untouched
            index = end + 1
            continue
        if end >= len(lines):
            problems.append(Problem(body_line + index, f"the ```{info} block is not closed",
                                    f"add a line {fence} after its last line", Code.SYNTAX))
            break
        block_line = body_line + index
        blocks += 1
        if blocks > most:
            problems.append(Problem(block_line, f"more than {most} post and thread blocks in one body",
                                    "split the entry, or raise limits.embeds_per_body in site.yaml", Code.LIMIT))
            break
        content = "\n".join(lines[index + 1:end])
        embed = (_thread_embed if info == "thread" else _post_embed)(content, block_line, ctx, post_block_cls,
                                                                     problems)
        if embed is not None:
            out += ["", PLACEHOLDER.format(len(embeds)), ""]
            embeds.append(embed)
        index = end + 1
    return "\n".join(out), tuple(embeds), problems


def _closing(lines: list[str], start: int, fence: str) -> int:
    for index in range(start, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
            return index
    return len(lines)


def _thread_embed(content: str, line: int, ctx, post_block_cls, problems: list[Problem]) -> Embed | None:
    slug = content.strip()
    if not SLUG_RE.match(slug):
        problems.append(Problem(line, f"thread block: '{abridged(slug)}' is not a thread's slug",
                                "write the slug alone, e.g. jamie-k for content/threads/jamie-k.md"))
        return None
    return Embed("thread", line, slug=slug)


def _post_embed(content: str, line: int, ctx, post_block_cls, problems: list[Problem]) -> Embed | None:
    try:
        node = yamlsrc.load(content, line + 1)
    except Invalid as exc:
        problems.append(Problem(exc.line or line, f"post block: {exc.message}", exc.hint, Code.SYNTAX, exc.excerpt))
        return None
    if node is None:
        problems.append(Problem(line, "post block: the block is empty", "write the post's text:, author: and url: "
                                "or platform:", Code.SYNTAX))
        return None
    before = len(problems)
    post = read_record(post_block_cls, node, ctx, problems, missing_line=line)
    if post is not None and not post.platform:
        post = _with_platform(post, line, problems)
    for problem in problems[before:]:
        problem.message = "post block: " + problem.message
    return Embed("post", line, post=post) if post is not None else None


def _with_platform(post, line: int, problems: list[Problem]):
    """The post with the platform its URL names; None, and a problem, when the URL names none."""
    platform = platform_of(post.url)
    if platform:
        return replace(post, platform=platform)
    told = "its url names no known platform" if post.url else "there is no url to read it from"
    problems.append(Problem(line, f"platform: not given, and {told}",
                            "add 'platform:', one of " + ", ".join(PLATFORMS)))
    return None
