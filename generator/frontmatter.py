"""Split an entry file into its YAML front matter and Markdown body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Invalid

FENCE = "---"


@dataclass(frozen=True)
class Split:
    """An entry file cut at its fences."""

    yaml: str
    """The front matter text, without the fences."""
    yaml_line: int
    """File line of the front matter's first line (2: just after the opening fence)."""
    body: str
    """The Markdown body."""
    body_line: int
    """File line of the body's first line."""


def split(text: str) -> Split:
    """Raise Invalid(line=...) when the fences are missing."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        raise Invalid("the file does not start with front matter",
                      "put a line '---' first, then 'title: ...' and 'date: ...', then a line '---'", line=1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            return Split("\n".join(lines[1:index]), 2, "\n".join(lines[index + 1:]), index + 2)
    raise Invalid("the front matter is not closed", "add a line '---' after the last front-matter key", line=1)
