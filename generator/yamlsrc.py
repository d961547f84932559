"""YAML with line numbers: every value keeps the line it was written on.

PyYAML's safe_load throws the marks away, so a bad region could only be
reported at the top of the file. We compose the node graph ourselves and keep
each node's line, offset to count in the whole file.

Malformed YAML is explained from the text itself (an unclosed bracket or quote,
a tab in the indentation, ': ' inside a plain value...), using only where the
parser stopped and the class of its error: PyYAML words its errors differently
with and without libyaml, and each release may change the words and its limits.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator

import yaml

from .errors import Invalid

# libyaml's parser is several times faster than PyYAML's own; same nodes, same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document with more nodes than this is refused: aliases can make a small
# file expand into billions of values ("billion laughs").
MAX_NODES = 200_000
MAX_DEPTH = 50
_NESTED = (f"the YAML is nested more than {MAX_DEPTH} levels deep", "flatten the structure")


@dataclass
class Node:
    """A YAML value and where it was written."""

    kind: str
    """'map', 'seq' or 'scalar'."""
    line: int
    """1-based line in the whole file."""
    value: Any
    """map: dict[str, Node]; seq: list[Node]; scalar: the constructed Python value."""
    text: str = ""
    """For scalars, the source text (so 'no' can be read as the string it was written as)."""
    plain: bool = False
    """For scalars, True when written unquoted."""
    key_lines: dict[str, int] = field(default_factory=dict)
    """For maps, the line of each key."""

    def get(self, key: str) -> "Node | None":
        return self.value.get(key) if self.kind == "map" else None


_BREAKS = "\r\n\x85\u2028\u2029"
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # the line breaks PyYAML and libyaml count lines by
# YAML's printable characters: anything else makes both parsers refuse the whole text.
_REFUSED = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Where a quoted value, a flow collection or a comment could begin; everything between is plain text.
_SIGNIFICANT = re.compile(r"[#\"'\[\]{}|>]")
_STRUCTURE = re.compile(r"[ \t]*(?:[-?:][ \t]+)*")  # what starts block collections on a line
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*[ \t]*(#.*)?$")
_CLOSER = {"[": "]", "{": "}"}
# What may follow '\\' in a double-quoted value.
_ESCAPE = re.compile(r'\\([0abt\tnvfre "/\\N_LP\r\n\x85\u2028\u2029]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})')


class _Source:
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


@dataclass
class _Span:
    """A quoted value or a flow collection as the text writes it."""

    opener: str
    """'"', "'", '[' or '{'."""
    start: int
    """Offset of the opener."""
    end: int | None = None
    """Offset just past the matching closer; None when it is never closed (or closed by the wrong bracket)."""


@dataclass
class _Lexed:
    """What a light scan of the text finds: enough to explain an error, not to parse YAML."""

    spans: list[_Span] = field(default_factory=list)
    flow_comments: list[tuple[int, _Span]] = field(default_factory=list)
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
    if before < 0 or text[before] in _BREAKS:
        return True
    if in_flow and text[before] in "[{,":
        return True
    if before == at - 1:
        return False
    word = before
    while word > 0 and text[word - 1] not in " \t" + _BREAKS:
        word -= 1
    if text[word] in "&!":  # an anchor or a tag comes before the value it names: &a "x"
        return _starts_node(text, word, in_flow)
    if text[before] == ":":
        return True
    return text[before] in "-?" and (before == 0 or text[before - 1] in " \t" + _BREAKS)


def _quote_end(text: str, start: int) -> int | None:
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


def _end_of_block_scalar(source: _Source, header: int) -> int:
    """Offset where the text of a '|' or '>' value ends: its lines are blank or indented past the header's line."""
    line = source.line_of(header)
    parent = source.indent(line)
    following = line + 1
    while following < len(source.lines) and (not source.line(following).strip()
                                             or source.indent(following) > parent):
        following += 1
    return source.starts[following] if following < len(source.starts) else len(source.text)


def _lex(source: _Source) -> _Lexed:
    """Quoted values, flow collections and the comments inside them, from the text's first character to its last."""
    text, found, open_flows = source.text, _Lexed(), []
    match = _SIGNIFICANT.search(text)
    while match:
        at, char = match.start(), match.group()
        resume = at + 1
        if char == "#":
            if at == 0 or text[at - 1] in " \t" + _BREAKS:
                if open_flows:
                    found.flow_comments.append((at, open_flows[-1]))
                resume = source.next_line(at)
        elif char in "\"'" and _starts_node(text, at, bool(open_flows)):
            span = _Span(char, at, _quote_end(text, at))
            found.spans.append(span)
            if span.end is None:
                break
            resume = span.end
        elif char in "[{" and (open_flows or _starts_node(text, at, False)):
            span = _Span(char, at)
            found.spans.append(span)
            open_flows.append(span)
            found.flow_depth = max(found.flow_depth, len(open_flows))
            if found.flow_depth > MAX_DEPTH and found.too_deep is None:
                found.too_deep = at
        elif char in "]}" and open_flows:
            span = open_flows.pop()
            if _CLOSER[span.opener] == char:
                span.end = at + 1
        elif char in "|>" and not open_flows and _starts_node(text, at, False) \
                and _BLOCK_HEADER.match(source.line(source.line_of(at))[source.column_of(at):]):
            resume = _end_of_block_scalar(source, at)
        match = _SIGNIFICANT.search(text, resume)
    return found


def _key_colon(line: str) -> int | None:
    """Column of the ':' that ends the line's key (after any '- '), or None when the line has no key."""
    match = re.match(r"[ \t]*(?:-[ \t]+)*", line)
    at = match.end()
    if at < len(line) and line[at] in "\"'":
        end = _quote_end(line, at)
        if end is None:
            return None
        at = end
    for column in range(at, len(line)):
        if line[column] == "#" and column > 0 and line[column - 1] in " \t":
            return None
        if line[column] == ":" and line[column + 1:column + 2] in ("", " ", "\t"):
            return column
    return None


def _too_deep_at(source: _Source, lexed: _Lexed, before: int) -> int | None:
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


def _depth_bound(source: _Source, lexed: _Lexed) -> int:
    """A depth no node of the text can exceed.

    A block collection inside another starts at a greater column, or at the same
    one for a sequence that is a mapping's value, whose items then start further
    right: so block nesting is at most twice the greatest column a line's
    structure reaches (indentation and '- ', '? ', ': ' indicators). Flow
    collections hold no block ones, and come on top.
    """
    deepest_column = max(len(_STRUCTURE.match(line).group()) for line in source.lines)
    return 2 * (deepest_column + 1) + lexed.flow_depth + 1


@dataclass
class _Stop:
    """Where the parser stopped, as offsets in the text: the problem, and what it was reading (if it says)."""

    source: _Source
    lexed: _Lexed
    problem: int
    context: int | None

    @property
    def line(self) -> int:
        return self.source.line_of(self.problem)

    @property
    def column(self) -> int:
        return self.source.column_of(self.problem)

    @cached_property
    def after_last_word(self) -> int:
        """Offset just past the last character before the problem that is not a space."""
        return len(self.source.text[:self.problem].rstrip(" \t"))

    def right_before(self, offset: int) -> bool:
        """Whether only spaces stand between `offset` and the problem."""
        return self.after_last_word <= offset <= self.problem


_Found = tuple[int, str, str] | None


def _comment_in_flow(stop: _Stop) -> _Found:
    for at, flow in stop.lexed.flow_comments:
        if flow.end is None and at <= stop.problem:
            if flow.opener == "[":
                return (stop.source.line_of(at), "a '#' in a list starts a YAML comment, so the list is cut short",
                        "quote the value: ['#NOTokay']")
            return (stop.source.line_of(at), "a '#' in a mapping starts a YAML comment, so the mapping is cut short",
                    "quote the value: {name: '#NOTokay'}")
    return None


def _unclosed_flow(stop: _Stop) -> _Found:
    for span in stop.lexed.spans:
        if span.opener in _CLOSER and span.end is None and span.start <= stop.problem:
            if span.opener == "[":
                return stop.source.line_of(span.start), "a list opened with '[' is not closed", \
                    "add ']' at the end of the list"
            return stop.source.line_of(span.start), "a mapping opened with '{' is not closed", \
                "add '}' at the end of the mapping"
    return None


def _unclosed_quote(stop: _Stop) -> _Found:
    source = stop.source
    for span in stop.lexed.spans:
        if span.opener in _CLOSER or span.start > stop.problem:
            continue
        # Never closed, or "closed" by the first quote of a later line, right where the parser stops.
        runs_on = span.end is not None and source.line_of(span.end - 1) != source.line_of(span.start) \
            and stop.right_before(span.end)
        if span.end is None or runs_on:
            return source.line_of(span.start), "a quoted value is never closed", \
                "add the closing quote at the end of the value"
    return None


def _bad_escape(stop: _Stop) -> _Found:
    for span in stop.lexed.spans:
        if span.opener == '"' and span.start < stop.problem and (span.end is None or stop.problem < span.end):
            inside = stop.source.text[span.start + 1:span.end]
            for backslash in re.finditer(r"\\(.?)", inside, re.DOTALL):
                if not _ESCAPE.match(inside, backslash.start()):
                    return stop.source.line_of(span.start + 1 + backslash.start()), \
                        f"'{backslash.group()}' in a double-quoted value is not a valid escape", \
                        "write '\\\\' for a backslash, or quote the value with single quotes"
    return None


def _directive(stop: _Stop) -> _Found:
    for line in range(stop.line + 1):
        if stop.source.line(line).startswith("%"):
            return line, "a line that starts with '%' is read as a YAML directive", \
                "quote the value, or remove the line"
    return None


def _tab(stop: _Stop) -> _Found:
    line = stop.source.line(stop.line)
    if "\t" in line[: len(line) - len(line.lstrip(" \t"))]:
        return stop.line, "a tab is used for indentation", "indent with spaces, not tabs"
    if stop.source.char(stop.problem) == "\t":
        return stop.line, "a tab is used where YAML needs a space", "use a space, not a tab"
    return None


def _text_after_quote(stop: _Stop) -> _Found:
    char = stop.source.char(stop.problem)
    if not char or char in ":,]}#" + _BREAKS:
        return None
    for span in stop.lexed.spans:
        if span.opener not in _CLOSER and span.end is not None and stop.right_before(span.end):
            return stop.line, "a quoted value is followed by more text", \
                "quote the whole value: title: '\"A\" and B'"
    return None


def _colon(stop: _Stop) -> _Found:
    if stop.source.char(stop.problem) != ":":
        return None
    key_colon = _key_colon(stop.source.line(stop.line))
    if key_colon is not None and key_colon < stop.column:
        return stop.line, "a value contains ': '", "quote the whole value: title: \"A: B\""
    above = next(stop.source.content_lines_before(stop.line), None)
    if above is None:
        return None
    if stop.source.indent(stop.line) > stop.source.indent(above):
        return stop.line, "this line is indented more than the line above it", \
            "indent the keys of one mapping equally; if the line continues the value above, quote that value"
    return _no_colon(stop.source, above)


def _no_colon(source: _Source, line: int) -> _Found:
    stripped = source.line(line).strip()
    if _key_colon(source.line(line)) is None and stripped[:1] not in ("-", "[", "{", '"', "'", "|", ">", "#", ""):
        return line, "this line has no ':' after its key", "write 'key: value'"
    return None


def _key_without_colon(stop: _Stop) -> _Found:
    if stop.context is None:
        return None
    line = stop.source.line_of(stop.context)
    if stop.source.column_of(stop.context) != stop.source.indent(line):
        return None
    return _no_colon(stop.source, line)


def _reserved(stop: _Stop) -> _Found:
    """A value starting with a character YAML reserves, where the parser stopped."""
    char = stop.source.char(stop.problem)
    if char == "*":
        return stop.line, "a value starts with '*', which YAML reads as an alias", "quote values that start with '*'"
    if char in ("@", "`"):
        return stop.line, f"a value starts with '{char}', which YAML reserves", "quote the value"
    if char in ("]", "}"):
        return stop.line, f"a '{char}' closes no list or mapping", "remove it, or quote the value it is part of"
    if char == ",":
        in_flow = any(span.opener in _CLOSER and span.start < stop.problem < (span.end or len(stop.source.text))
                      for span in stop.lexed.spans)
        if in_flow:
            return stop.line, "a ',' follows no item", "remove it, or write the missing item"
        return stop.line, "a value starts with ','", "quote the value"
    return None


def _indicator(stop: _Stop) -> _Found:
    """A marker of YAML's own syntax where the parser stopped: a document marker, a block of text's header."""
    rest = stop.source.line(stop.line)[stop.column:]
    if stop.column == 0 and re.match(r"(---|\.\.\.)([ \t]|$)", rest):
        return stop.line, f"a line '{rest[:3]}' starts a second YAML document", "remove it: one YAML text, one document"
    if stop.source.char(stop.context) in ("|", ">"):
        opener = stop.source.char(stop.context)
        return stop.line, f"text follows '{opener}' on its line", \
            f"start the text on the line after '{opener}', indented under the key"
    return None


def _indentation(stop: _Stop) -> _Found:
    """The parser stopped at the start of a line whose indentation lines up with nothing above it."""
    char = stop.source.char(stop.problem)
    if stop.column != stop.source.indent(stop.line) or not char or char in _BREAKS:
        return None
    levels: set[int] = set()
    nearest = None
    for above in stop.source.content_lines_before(stop.line):
        if nearest is None or stop.source.indent(above) < nearest:
            nearest = stop.source.indent(above)
            line = stop.source.line(above)
            levels |= {nearest, len(line) - len(re.sub(r"^[ \t]*(?:-[ \t]+)*", "", line))}
            if nearest == 0:
                break
    if not levels:
        return None
    if stop.column in levels:
        if char == "-":
            return stop.line, "a list item stands among the keys of a mapping", \
                "put the list under its key, indented: tags: then '  - item'"
        return None
    return stop.line, "this line's indentation lines up with no line above it", \
        "indent the keys of one mapping, and the items of one list, equally"


# In order: a cause the text shows for sure (an unclosed bracket or quote) before what the parser's stop suggests.
_RULES = (_comment_in_flow, _unclosed_flow, _unclosed_quote, _bad_escape, _directive, _tab, _reserved,
          _text_after_quote, _colon, _key_without_colon, _indicator, _indentation)


def describe_yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str, str]:
    """Turn a PyYAML error into (0-based line, message, hint) an editor understands.

    Decided from the source text, the error's class and the place the parser
    stopped, never from PyYAML's wording, which differs between libyaml and
    pure-Python PyYAML and changes between releases.
    """
    source = _Source(text)
    if isinstance(exc, yaml.reader.ReaderError):
        refused = _REFUSED.search(text)
        if refused:
            return source.line_of(refused.start()), \
                f"the text holds U+{ord(refused.group()):04X}, a character YAML does not allow", \
                "remove it"
    problem = source.offset(getattr(exc, "problem_mark", None))
    context = source.offset(getattr(exc, "context_mark", None))
    stop = _Stop(source, _lex(source), problem if problem is not None else context or 0, context)
    deep = _too_deep_at(source, stop.lexed, stop.problem)
    if deep is not None:
        return deep, *_NESTED
    for rule in _RULES:
        found = rule(stop)
        if found:
            return found
    return stop.line, f"the YAML is malformed at column {stop.column + 1}", \
        "check quoting and indentation near this line"


def load(text: str, first_line: int) -> Node | None:
    """Parse one YAML document; `first_line` is the file line of the text's first line.

    Raises Invalid with a file line for malformed YAML. Returns None for an
    empty document.
    """
    try:
        loader = _Loader(text)  # pure-Python PyYAML refuses control characters here already
    except yaml.YAMLError as exc:
        raise _invalid(exc, text, first_line) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        return _Builder(loader, first_line).build(root, 0)
    except yaml.YAMLError as exc:
        raise _invalid(exc, text, first_line) from None
    except RecursionError:
        # PyYAML's pure-Python composer recurses once per level: [[[[... a thousand deep exhausts the stack.
        source = _Source(text)
        raise Invalid(*_NESTED, line=first_line + (_too_deep_at(source, _lex(source), len(text)) or 0)) from None
    finally:
        loader.dispose()


def _invalid(exc: yaml.YAMLError, text: str, first_line: int) -> Invalid:
    line, message, hint = describe_yaml_error(exc, text)
    return Invalid(message, hint, line=first_line + line)


class _Builder:
    def __init__(self, loader, first_line: int):
        self.loader = loader
        self.first_line = first_line
        self.count = 0

    def line(self, node) -> int:
        return self.first_line + node.start_mark.line

    def build(self, node, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise Invalid(f"the YAML expands to more than {MAX_NODES:,} values",
                          "remove the aliases, *name, that repeat large values", line=self.line(node))
        if depth > MAX_DEPTH:
            raise Invalid(*_NESTED, line=self.line(node))
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves '<<' merge keys
            items: dict[str, Node] = {}
            key_lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is None:
                    raise Invalid("a key must be a plain name", "write 'key: value'", line=self.line(key_node))
                if key in items:
                    raise Invalid(f"'{key}' is given twice", "keep one of them", line=self.line(key_node))
                items[key] = self.build(value_node, depth + 1)
                key_lines[key] = self.line(key_node)
            return Node("map", self.line(node), items, key_lines=key_lines)
        if isinstance(node, yaml.SequenceNode):
            return Node("seq", self.line(node), [self.build(n, depth + 1) for n in node.value])
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            # 2017-13-45 matches YAML's timestamp pattern but is no date: keep the text,
            # and let the field's parser say what is wrong with it.
            value = node.value
        return Node("scalar", self.line(node), value, text=node.value, plain=node.style is None)
