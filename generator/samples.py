"""The stand-in text `chorus new` and `chorus import` write, and the warnings for an entry that still holds it.

A new entry (generator/scaffold.py) is a draft whose body is one sample line, and a take's or a thread's
has stand-ins for what only the editor knows: a name and a post's text; an imported image the platform
had no description for has a stand-in description. It builds as written, but is not ready: once its `draft: true` is removed, a build warns about each stand-in left in it (an error under
--strict). Each is an exact text, written by chorus new or import and by nobody else, so it is recognised as it is,
never guessed at.
"""

from __future__ import annotations

from .errors import Code, SourceError

SAMPLE_BODIES = {
    "article": "Replace this line with the article, in Markdown.",
    "take": "Replace this line with the take, in Markdown.",
    "thread": "Replace this line with an editor's note on the thread: where it was found, which parts are missing, "
              "whether the posts are still online.",
    "page": "Replace this line with the page, in Markdown.",
}
"""The body of a new entry of each kind."""

STAND_IN_NAME = "Author's name"
"""A new take's author and a new thread's `author.name`."""
STAND_IN_POST = "The post's text, as published."
"""The text of a new thread's post."""
STAND_IN_ALT = "No description was given on the platform: describe the image here."
"""The alt text `chorus import` writes for an image the platform gave none for (generator/imports/)."""


def left_in(path: str, meta, body: str, body_line: int, node) -> list[SourceError]:
    """A warning for each stand-in of chorus new still in an entry that is to be published (not a draft).

    `meta` is the entry's FrontMatter, read from the YAML `node` (a yamlsrc.Node, for the line of each
    value), and `body` its text below the front matter, starting at file line `body_line`.
    """
    if meta.draft:
        return []
    found = []
    for index, line in enumerate(body.split("\n")):
        if any(sample in line for sample in SAMPLE_BODIES.values()):
            found.append(SourceError(path, body_line + index, "warning: the sample line of chorus new is still in "
                                     "the body", "write the entry's text in its place", code=Code.WARNING))
        elif STAND_IN_ALT in line:  # a post block's media, as chorus import --into posts writes them
            found.append(_stand_in(path, body_line + index, "alt", STAND_IN_ALT, _DESCRIBE, "chorus import"))
    for index, author in enumerate(meta.authors):
        if author.name == STAND_IN_NAME:
            found.append(_stand_in(path, _line(node, "authors", index), "authors", STAND_IN_NAME,
                                   "write the author's name in its place"))
    if meta.author is not None and meta.author.name == STAND_IN_NAME:
        found.append(_stand_in(path, _line(node, "author", "name"), "author.name", STAND_IN_NAME,
                               "write the author's name in its place"))
    for index, post in enumerate(meta.posts):
        if post.text.strip() == STAND_IN_POST:
            found.append(_stand_in(path, _line(node, "posts", index, "text"), "posts.text", STAND_IN_POST,
                                   "copy the post's text in its place"))
        for number, media in enumerate(post.media):
            if media.alt.strip() == STAND_IN_ALT:
                found.append(_stand_in(path, _line(node, "posts", index, "media", number, "alt"),
                                       "posts.media.alt", STAND_IN_ALT, _DESCRIBE, "chorus import"))
    return found


_DESCRIBE = "say what the image shows, for readers who cannot see it"


def _stand_in(path: str, line: int, key: str, text: str, hint: str, tool: str = "chorus new") -> SourceError:
    return SourceError(path, line, f"warning: {key}: '{text}' is a stand-in written by {tool}", hint,
                       code=Code.WARNING)


def _line(node, *steps: str | int) -> int:
    """The file line of the value reached from `node` by keys and list indexes; the nearest line known."""
    line = node.line if node is not None else 1
    for step in steps:
        if node is None:
            break
        if isinstance(step, str) and node.kind == "map" and step in node.value:
            line, node = node.key_lines[step], node.value[step]
        elif isinstance(step, int) and node.kind == "seq" and step < len(node.value):
            node = node.value[step]
            line = node.line
        else:
            break
    return line
