"""Errors an editor can act on: a file, a line, what is wrong and how to mend it.

Errors are collected, never swallowed: every stage appends to an ErrorList and
the build stops at the end of the stage that found any, reporting them all.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field


class Code(enum.Enum):
    """What kind of problem an error is. Code decides (what to suppress, what is a warning), never the text."""

    CONFIG = "config"
    """site.yaml is missing, malformed or has a bad value."""
    SYNTAX = "syntax"
    """An entry's front matter or an embedded block cannot be parsed (fences, YAML)."""
    FIELD = "field"
    """A front-matter key has a value that is not allowed."""
    LIMIT = "limit"
    """A size or count is over a limit of site.yaml's `limits`."""
    FILE = "file"
    """A file under content/ is not what an entry or bundle may hold (not regular, not UTF-8, a link out)."""
    REFERENCE = "reference"
    """A link, responds_to, thread block or alias names something that does not exist."""
    COLLISION = "collision"
    """Two things would be published at one path, or at a path the generator reserves."""
    PRIVACY = "privacy"
    """A private person's handle would be published."""
    TEMPLATE = "template"
    """A template failed to compile or render."""
    OUTPUT = "output"
    """The output folder cannot be written (full disk, read-only, not ours)."""
    SEARCH = "search"
    """The search indexer failed or timed out."""
    EXPORT = "export"
    """A file given to `chorus import` holds what it cannot import: an unknown shape, an API error instead of posts."""
    WARNING = "warning"
    """Not an error: the build goes on (an error with --strict)."""


@dataclass(frozen=True, order=True)
class SourceError:
    """One problem in one file, at a line counted in the whole file."""

    path: str
    """The file, relative to the site folder (``content/takes/x.md``, ``site.yaml``)."""
    line: int
    """1-based line in the whole file (front matter is offset past the ``---`` fence)."""
    message: str
    """What is wrong."""
    hint: str = ""
    """How to mend it; empty when the message says it all."""
    code: Code = field(default=Code.FIELD, compare=False)
    """What kind of problem it is: callers decide by this, never by the message."""
    excerpt: tuple[str, ...] = field(default=(), compare=False)
    """Lines shown under the error, indented: the line of the file at fault and a caret under the column
    (YAML syntax errors); empty for most errors."""

    @property
    def is_warning(self) -> bool:
        return self.code is Code.WARNING

    def __str__(self) -> str:
        # Any part may quote content (a file name, a tag, a value): one error must stay one line, and each
        # line of its excerpt one line, indented so that it never reads as an error of its own.
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        shown = _one_line(f"{text} ({self.hint})" if self.hint else text)
        return "\n".join([shown] + ["    " + _one_line(line) for line in self.excerpt])


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


@dataclass
class ErrorList:
    """Errors of one run, in the order found; printed sorted by path and line."""

    errors: list[SourceError] = field(default_factory=list)

    def extend(self, errors) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def sorted(self) -> list[SourceError]:
        # dict.fromkeys drops exact repeats (one bad alias met twice) but keeps order.
        return sorted(dict.fromkeys(self.errors))


class BuildFailed(Exception):
    """Raised at the end of a stage that found errors; carries all of them."""

    def __init__(self, errors: list[SourceError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


class Invalid(Exception):
    """A value is wrong: raised by field parsers, turned into a SourceError by the caller."""

    def __init__(self, message: str, hint: str = "", line: int | None = None, code: Code = Code.FIELD,
                 excerpt: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.code = code
        self.excerpt = excerpt  # as SourceError.excerpt


def closest(word: str, choices) -> str | None:
    """The one of `choices` closest to `word`, or None when none is close."""
    close = difflib.get_close_matches(str(word).lower(), sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices) -> str:
    """A hint naming the closest of `choices` to `word`, or '' when none is close."""
    close = closest(word, choices)
    return f"did you mean '{close}'?" if close else ""


def one_of(choices) -> str:
    return "expected one of: " + ", ".join(sorted(choices))


def summary_line(errors: list[SourceError]) -> str:
    files = len({e.path for e in errors})
    noun = "error" if len(errors) == 1 else "errors"
    fnoun = "file" if files == 1 else "files"
    return f"{len(errors)} {noun} in {files} {fnoun}"
