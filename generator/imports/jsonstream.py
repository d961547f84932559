"""JSON read a piece at a time, with the line each piece starts on: exports can be larger than memory.

twarc2 writes JSON Lines, read line by line (`json_lines`). Twitter's tweets.js and Mastodon's
outbox.json are one document holding a long array: `JsonReader` decodes one value of it at a time from
a buffer of a megabyte or so, so that only the post being read is in memory. A broken value in such an
array is reported and, when the array is written one item to a line block (as both exports write it),
reading goes on at the next item.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator, TextIO

CHUNK = 1 << 20
"""Characters read at a time from an array document."""
NEAR_END = 64
"""A decoding error this close to the end of the buffer may only mean the value goes on in the next chunk."""
_SPACE = re.compile(r"[ \t\r\n]*")


class Broken(Exception):
    """A value that is not JSON: where, what the decoder said ("Expecting ',' delimiter at column 17"), and
    whether the text simply stops there (a file cut short)."""

    def __init__(self, line: int, detail: str, cut_short: bool):
        super().__init__(detail)
        self.line = line
        self.detail = detail
        self.cut_short = cut_short


class Unreadable(Exception):
    """A line or a file that is not UTF-8 text."""

    def __init__(self, line: int):
        super().__init__(f"line {line} is not UTF-8")
        self.line = line


def _is_cut_short(error: json.JSONDecodeError, length: int) -> bool:
    return error.pos >= length - 1 or error.msg.startswith("Unterminated string")


def json_lines(path: Path) -> Iterator[tuple[int, object | Broken | Unreadable]]:
    """(line number, value) for every line of a JSON Lines file that is not blank; never the file whole."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, Unreadable(number)
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as error:
                stripped = text.rstrip()
                yield number, Broken(number, f"{error.msg} at column {error.colno}",
                                     _is_cut_short(error, len(stripped)))


class JsonReader:
    """One JSON document, read value by value: `expect` punctuation, `value()` a whole value, `items()` the
    values of an array."""

    def __init__(self, handle: TextIO, start: str = ""):
        self._handle = handle
        self._buffer = start
        self._pos = 0
        self._line = 1
        """The line of the character at _pos."""
        self._eof = False
        self._decoder = json.JSONDecoder()
        self._indent: str | None = None
        """What precedes the first item of the array on its line: where to look for the next item after a
        broken one. None until the first item is met, or when it does not start a line (then no item can
        be found again after a broken one)."""
        self._first = True

    @property
    def line(self) -> int:
        return self._line

    def _fill(self) -> bool:
        """Read the next chunk; False at the end of the file. What was read already is dropped."""
        if self._eof:
            return False
        try:
            chunk = self._handle.read(CHUNK)
        except UnicodeDecodeError:
            raise Unreadable(self._line) from None
        if not chunk:
            self._eof = True
            return False
        self._buffer = self._buffer[self._pos:] + chunk
        self._pos = 0
        return True

    def _move(self, to: int) -> None:
        self._line += self._buffer.count("\n", self._pos, to)
        self._pos = to

    def peek(self) -> str:
        """The next character that is not white space; '' at the end of the file."""
        while True:
            self._move(_SPACE.match(self._buffer, self._pos).end())
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def expect(self, chars: str) -> str:
        """Consume the next character if it is one of `chars`; returns it, or '' (nothing consumed)."""
        found = self.peek()
        if found and found in chars:
            self._move(self._pos + 1)
            return found
        return ""

    def skip_text(self, pattern: re.Pattern) -> re.Match | None:
        """Consume text matching `pattern` at the current position (a `window.YTD.x.part0 = ` prefix)."""
        self.peek()
        match = pattern.match(self._buffer, self._pos)
        if match is not None:
            self._move(match.end())
        return match

    def value(self) -> object:
        """Decode the value starting at the next character. Raises Broken."""
        self.peek()
        while True:
            try:
                found, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                may_go_on = error.pos >= len(self._buffer) - NEAR_END or error.msg.startswith("Unterminated")
                if may_go_on and self._fill():
                    continue
                line = self._line + self._buffer.count("\n", self._pos, error.pos)
                column = error.pos - self._buffer.rfind("\n", 0, error.pos)
                raise Broken(line, f"{error.msg} at column {column}",
                             self._eof and _is_cut_short(error, len(self._buffer.rstrip()))) from None
            self._move(end)
            return found

    def items(self) -> Iterator[tuple[int, object | Broken]]:
        """(line, value) of each item of the array whose '[' was just consumed; a Broken item is yielded and
        reading goes on at the next item when one can be found."""
        if self.expect("]"):
            return
        while True:
            self.peek()
            if self._first:
                self._first = False
                line_start = self._buffer.rfind("\n", 0, self._pos) + 1
                before = self._buffer[line_start:self._pos]
                self._indent = before if line_start > 0 and not before.strip() else None
            line = self._line
            try:
                yield line, self.value()
                after = self.expect(",]")
                if after == "]":
                    return
                if not after:
                    at = self.peek()
                    raise Broken(self._line, f"Expecting ',' delimiter, found {at!r}" if at else
                                 "the array is not closed", not at)
            except Broken as broken:
                yield broken.line, broken
                if broken.cut_short or not self._next_item():
                    return

    def _next_item(self) -> bool:
        """Move to the start of the next item after a broken one: a line that starts as the first item's did,
        after a line ending with ','. False when there is none."""
        if self._indent is None:
            return False
        pattern = re.compile(r",[ \t]*\r?\n(?=" + re.escape(self._indent) + r"[{\[])")
        while True:
            match = pattern.search(self._buffer, self._pos)
            if match:
                self._move(match.end())
                return True
            self._move(max(self._pos, len(self._buffer) - NEAR_END))
            if not self._fill():
                return False


def open_text(path: Path) -> TextIO:
    """A text handle that decodes UTF-8 (a byte-order mark skipped) and fails on bytes that are not."""
    return open(path, encoding="utf-8-sig", errors="strict", newline="")
