"""`chorus import --update`: new posts of a thread already imported, added to its file in their place.

Only lines are inserted: the editor's note, the front matter's other keys and every existing post stay
exactly as the editor left them (edits included). A new post goes before the first post of the file
that follows it in the thread, or after the file's last post.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from ..errors import Invalid
from ..frontmatter import split
from .people import People
from .files import post_items
from .threads import Part, Thread

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CannotMerge(Exception):
    """The file's posts are not a list the new ones can be inserted into: why, for the editor."""


@dataclass(frozen=True)
class _Item:
    """One post of the file: its id and the lines it takes (0-based, end excluded)."""

    post_id: str
    start: int
    end: int


def merged(text: str, thread: Thread, known: frozenset[str], people: People, bundle: bool) -> tuple[str, int]:
    """The file with the thread's posts that are not in it inserted; and how many were. Raises CannotMerge."""
    lines = text.split("\n")
    items, indent = _items(text, lines)
    order = thread.parts
    new_ids = {part.post.id for part in order if not ({part.post.id, *part.post.versions} & known)}
    inserts: dict[int, list[Part]] = {}
    position_of = {item.post_id: item for item in items}
    for index, part in enumerate(order):
        if part.post.id not in new_ids:
            continue
        at = next((position_of[i].start for p in order[index + 1:] for i in (p.post.id, *p.post.versions)
                   if i in position_of), items[-1].end)
        inserts.setdefault(at, []).append(part)
    for at in sorted(inserts, reverse=True):
        lines[at:at] = post_items(tuple(inserts[at]), thread, people, indent, bundle)
    result = "\n".join(lines)
    _check(result, frozenset(item.post_id for item in items) | new_ids)
    return result, len(new_ids)


def _items(text: str, lines: list[str]) -> tuple[list[_Item], str]:
    """The file's posts and the indentation of their '- '."""
    try:
        parts = split(text)
        root = yaml.compose(parts.yaml, Loader=_LOADER)
        values = yaml.load(parts.yaml, Loader=_LOADER)
    except (Invalid, yaml.YAMLError):
        raise CannotMerge("its front matter cannot be read: mend it first (chorus check says how)") from None
    posts = next((value for key, value in root.value if key.value == "posts"), None) \
        if isinstance(root, yaml.MappingNode) else None
    if not isinstance(posts, yaml.SequenceNode) or posts.flow_style or not posts.value:
        raise CannotMerge("its posts are not written as a list with one '- ' per post: add the new ones by hand")
    offset = parts.yaml_line - 1
    starts = [offset + node.start_mark.line for node in posts.value]
    first = lines[starts[0]]
    dash = first.find("- ")
    if dash < 0 or first[:dash].strip():
        raise CannotMerge("its posts are not written as a list with one '- ' per post: add the new ones by hand")
    ids = [str(post.get("id", "")) if isinstance(post, dict) else "" for post in values["posts"]]
    ends = starts[1:] + [_end_of_last(lines, starts[-1], dash)]
    return [_Item(post_id, start, end) for post_id, start, end in zip(ids, starts, ends)], first[:dash]


def _end_of_last(lines: list[str], start: int, dash: int) -> int:
    """The line after the last post: the first line, not blank, indented no deeper than the posts' '- '."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > dash):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _check(text: str, ids: frozenset[str]) -> None:
    """The merged file still reads, and holds every post it should."""
    try:
        values = yaml.load(split(text).yaml, Loader=_LOADER)
        found = {str(post.get("id")) for post in values["posts"] if isinstance(post, dict)}
    except (Invalid, yaml.YAMLError, TypeError, KeyError):
        found = set()
    if not ids <= found:
        raise CannotMerge("the new posts cannot be inserted without breaking the file: add them by hand")
