"""The YAML text as written: lines, quoted values, flow collections and how deep they nest.

A light scan, not a parser: it finds where each quoted value and each '[' or
'{' opens and closes, and the comments inside them, so that yamlerrors can
explain where a parser stopped. It also owns the depth limit, which both the
loader (yamlsrc) and the explanations apply.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Iterator

import yaml

MAX_DEPTH = 50
NESTED = (f"the YAML is nested more than {MAX_DEPTH} levels deep", "flatten the structure")

BREAKS = "\r\n\x85\u2028\u2029"
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # the line breaks PyYAML and libyaml count lines by
# Where a quoted value, a flow collection or a comment could begin; everything between is plain text.
_SIGNIFICANT = re.compile(r"[#\"'\[\]{}|>]")
_STRUCTURE = re.compile(r"[ \t]*(?:[-?:][ \t]+)*")  # what starts block collections on a line
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*[ \t]*(#.*)?$")
CLOSER = {"[": "]", "{": "}"}
EXCERPT_WIDTH = 72
"""The most characters of a line shown under a message."""


class Source:
    """The YAML text by lines, so a parser's (line, column) mark reads back as the character it points at."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in _BREAK.finditer(text)]
        self.lines = _BREAK.split(text)

    def offset(self, mark) -> int | None:
        if mark is None:
            return None
        if mark.line >= len(self.starts):  # the end of a text without a final line break
            return len(self.text)
        return min(self.starts[mark.line] + mark.column, len(self.text))

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def next_line(self, offset: int) -> int:
        """Offset where the line after the one holding `offset` starts (the text's end after the last line)."""
        following = self.line_of(offset) + 1
        return self.starts[following] if following < len(self.starts) else len(self.text)

    def column_of(self, offset: int) -> int:
        return offset - self.starts[self.line_of(offset)]

    def char(self, offset: int | None) -> str:
        return self.text[offset] if offset is not None and offset < len(self.text) else ""

    def line(self, number: int) -> str:
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def indent(self, number: int) -> int:
        line = self.line(number)
        return len(line) - len(line.lstrip(" "))

    def content_lines_before(self, number: int) -> Iterator[int]:
        """Numbers of the lines above `number` that hold more than a comment, nearest first."""
        for above in range(number - 1, -1, -1):
            stripped = self.line(above).strip()
            if stripped and not stripped.startswith("#"):
                yield above

    def excerpt(self, offset: int) -> tuple[str, ...]:
        """The line holding `offset` and a caret under that column, to show under a message; () for a blank line.

        A tab is shown as '→', so that it is seen and the caret lines up under it; a line longer than
        EXCERPT_WIDTH is cut around the column, with '…' where it was cut.
        """
        line = self.line(self.line_of(offset))
        if not line.strip():
            return ()
        column = min(self.column_of(offset), len(line))
        shown = "".join("→" if c == "\t" else c if c.isprintable() else "\ufffd" for c in line)
        start = max(0, min(column - EXCERPT_WIDTH // 2, len(shown) - EXCERPT_WIDTH))
        end = start + EXCERPT_WIDTH
        before, after = ("…" if start else ""), ("…" if end < len(shown) else "")
        return before + shown[start:end] + after, " " * (column - start + len(before)) + "^"


@dataclass
class Span:
    """A quoted value or a flow collection as the text writes it."""

    opener: str
    """'"', "'", '[' or '{'."""
    start: int
    """Offset of the opener."""
    end: int | None = None
    """Offset just past the matching closer; None when it is never closed (or closed by the wrong bracket)."""


@dataclass
class Lexed:
    """What a light scan of the text finds: enough to explain an error, not to parse YAML."""

    spans: list[Span] = field(default_factory=list)
    flow_comments: list[tuple[int, Span]] = field(default_factory=list)
    """Each '#' comment that starts inside a flow collection, with the innermost open collection."""
    flow_depth: int = 0
    """The most flow collections open at once."""
    too_deep: int | None = None
    """Offset of the first bracket that opens more than MAX_DEPTH flow collections at once."""


def _starts_node(text: str, at: int, in_flow: bool) -> bool:
    """Whether a value may begin at `at`: a quote or bracket inside plain text ("it's") is just a character."""
    before = at - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    if before < 0 or text[before] in BREAKS:
        return True
    if in_flow and text[before] in "[{,":
        return True
    if before == at - 1:
        return False
    word = before
    while word > 0 and text[word - 1] not in " \t" + BREAKS:
        word -= 1
    if text[word] in "&!":  # an anchor or a tag comes before the value it names: &a "x"
        return _starts_node(text, word, in_flow)
    if text[before] == ":":
        return True
    return text[before] in "-?" and (before == 0 or text[before - 1] in " \t" + BREAKS)


def quoted(value: str) -> str:
    """`value` as a quoted YAML scalar, to show in a hint: single quotes when it holds '"' alone, else double."""
    if '"' in value and "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def abridged(written: str, most: int = 60) -> str:
    """A value quoted in a message: a megabyte of text would make a megabyte of message."""
    return written if len(written) <= most else written[:most] + "…"


def quote_end(text: str, start: int) -> int | None:
    quote, at = text[start], start + 1
    while at < len(text):
        if quote == '"' and text[at] == "\\":
            at += 2
        elif text[at] == quote and quote == "'" and text[at + 1:at + 2] == "'":
            at += 2  # '' is a quote inside a single-quoted value
        elif text[at] == quote:
            return at + 1
        else:
            at += 1
    return None


def _end_of_block_scalar(source: Source, header: int) -> int:
    """Offset where the text of a '|' or '>' value ends: its lines are blank or indented past the header's line."""
    line = source.line_of(header)
    parent = source.indent(line)
    following = line + 1
    while following < len(source.lines) and (not source.line(following).strip()
                                             or source.indent(following) > parent):
        following += 1
    return source.starts[following] if following < len(source.starts) else len(source.text)


def lex(source: Source) -> Lexed:
    """Quoted values, flow collections and the comments inside them, from the text's first character to its last."""
    text, found, open_flows = source.text, Lexed(), []
    match = _SIGNIFICANT.search(text)
    while match:
        at, char = match.start(), match.group()
        resume = at + 1
        if char == "#":
            if at == 0 or text[at - 1] in " \t" + BREAKS:
                if open_flows:
                    found.flow_comments.append((at, open_flows[-1]))
                resume = source.next_line(at)
        elif char in "\"'" and _starts_node(text, at, bool(open_flows)):
            span = Span(char, at, quote_end(text, at))
            found.spans.append(span)
            if span.end is None:
                break
            resume = span.end
        elif char in "[{" and (open_flows or _starts_node(text, at, False)):
            span = Span(char, at)
            found.spans.append(span)
            open_flows.append(span)
            found.flow_depth = max(found.flow_depth, len(open_flows))
            if found.flow_depth > MAX_DEPTH and found.too_deep is None:
                found.too_deep = at
        elif char in "]}" and open_flows:
            span = open_flows.pop()
            if CLOSER[span.opener] == char:
                span.end = at + 1
        elif char in "|>" and not open_flows and _starts_node(text, at, False) \
                and _BLOCK_HEADER.match(source.line(source.line_of(at))[source.column_of(at):]):
            resume = _end_of_block_scalar(source, at)
        match = _SIGNIFICANT.search(text, resume)
    return found


def too_deep_at(source: Source, lexed: Lexed, before: int) -> int | None:
    """The 0-based line where nesting first goes past MAX_DEPTH before offset `before`, or None.

    Brackets are counted by the scan of the text. Block nesting is measured on
    PyYAML's pure-Python event stream, which keeps its own stack (no recursion) and
    has no depth limit of its own, so the answer depends neither on the limits nor on
    the wording of the installed PyYAML or libyaml. That stream is slow on a large
    text, so it is read only when the text's shape allows the depth.
    """
    if lexed.too_deep is not None and lexed.too_deep <= before:
        return source.line_of(lexed.too_deep)
    if _depth_bound(source, lexed) <= MAX_DEPTH:
        return None
    depth = 0
    try:
        for event in yaml.parse(source.text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.CollectionStartEvent, yaml.ScalarEvent, yaml.AliasEvent)) \
                    and depth > MAX_DEPTH:
                line = event.start_mark.line
                return line if source.starts[min(line, len(source.starts) - 1)] <= before else None
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


def _depth_bound(source: Source, lexed: Lexed) -> int:
    """A depth no node of the text can exceed.

    A block collection inside another starts at a greater column, or at the same
    one for a sequence that is a mapping's value, whose items then start further
    right: so block nesting is at most twice the greatest column a line's
    structure reaches (indentation and '- ', '? ', ': ' indicators). Flow
    collections hold no block ones, and come on top.
    """
    deepest_column = max(len(_STRUCTURE.match(line).group()) for line in source.lines)
    return 2 * (deepest_column + 1) + lexed.flow_depth + 1

