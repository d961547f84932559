"""Errors an editor can act on: a file, a line, what is wrong and how to mend it.

Errors are collected, never swallowed: every stage appends to an ErrorList and
the build stops at the end of the stage that found any, reporting them all.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


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

    def __str__(self) -> str:
        # A file name may hold any character: one error must stay one line.
        path = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in self.path)
        where = f"{path}:{self.line}" if self.line else path
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


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

    def __init__(self, message: str, hint: str = "", line: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line


def did_you_mean(word: str, choices) -> str:
    """A hint naming the closest of `choices` to `word`, or '' when none is close."""
    close = difflib.get_close_matches(str(word).lower(), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def one_of(choices) -> str:
    return "expected one of: " + ", ".join(sorted(choices))


def summary_line(errors: list[SourceError]) -> str:
    files = len({e.path for e in errors})
    noun = "error" if len(errors) == 1 else "errors"
    fnoun = "file" if files == 1 else "files"
    return f"{len(errors)} {noun} in {files} {fnoun}"
