"""Why a YAML text is malformed, in words an editor understands: the line, what probably happened, how to
mend it, and the line itself with a caret under the place (Explained).

Malformed YAML is explained from the text itself (an unclosed bracket or quote,
a tab in the indentation, ': ' inside a plain value...), using only where the
parser stopped and the class of its error: PyYAML words its errors differently
with and without libyaml, and each release may change the words and its limits.
Each rule below recognises one cause; the first that matches explains the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import yaml

from .yamltext import BREAKS, CLOSER, NESTED, Lexed, Source, abridged, lex, quote_end, quoted, too_deep_at

# YAML's printable characters: anything else makes both parsers refuse the whole text.
_REFUSED = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What may follow '\\' in a double-quoted value.
_ESCAPE = re.compile(r'\\([0abt\tnvfre "/\\N_LP\r\n\x85\u2028\u2029]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})')


def _key_colon(line: str) -> int | None:
    """Column of the ':' that ends the line's key (after any '- '), or None when the line has no key."""
    match = re.match(r"[ \t]*(?:-[ \t]+)*", line)
    at = match.end()
    if at < len(line) and line[at] in "\"'":
        end = quote_end(line, at)
        if end is None:
            return None
        at = end
    for column in range(at, len(line)):
        if line[column] == "#" and column > 0 and line[column - 1] in " \t":
            return None
        if line[column] == ":" and line[column + 1:column + 2] in ("", " ", "\t"):
            return column
    return None


@dataclass
class _Stop:
    """Where the parser stopped, as offsets in the text: the problem, and what it was reading (if it says)."""

    source: Source
    lexed: Lexed
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
"""(offset of the character at fault, message, hint): the line is the offset's, and the caret goes under it."""


def _comment_in_flow(stop: _Stop) -> _Found:
    for at, flow in stop.lexed.flow_comments:
        if flow.end is None and at <= stop.problem:
            if flow.opener == "[":
                return (at, "a '#' in a list starts a YAML comment, so the list is cut short",
                        "quote the value: ['#NOTokay']")
            return (at, "a '#' in a mapping starts a YAML comment, so the mapping is cut short",
                    "quote the value: {name: '#NOTokay'}")
    return None


def _unclosed_flow(stop: _Stop) -> _Found:
    for span in stop.lexed.spans:
        if span.opener in CLOSER and span.end is None and span.start <= stop.problem:
            if span.opener == "[":
                return span.start, "a list opened with '[' is not closed", "add ']' at the end of the list"
            return span.start, "a mapping opened with '{' is not closed", "add '}' at the end of the mapping"
    return None


def _unclosed_quote(stop: _Stop) -> _Found:
    source = stop.source
    for span in stop.lexed.spans:
        if span.opener in CLOSER or span.start > stop.problem:
            continue
        # Never closed, or "closed" by the first quote of a later line, right where the parser stops.
        runs_on = span.end is not None and source.line_of(span.end - 1) != source.line_of(span.start) \
            and stop.right_before(span.end)
        if span.end is None or runs_on:
            return span.start, "a quoted value is never closed", "add the closing quote at the end of the value"
    return None


def _bad_escape(stop: _Stop) -> _Found:
    for span in stop.lexed.spans:
        if span.opener == '"' and span.start < stop.problem and (span.end is None or stop.problem < span.end):
            inside = stop.source.text[span.start + 1:span.end]
            for backslash in re.finditer(r"\\(.?)", inside, re.DOTALL):
                if not _ESCAPE.match(inside, backslash.start()):
                    return span.start + 1 + backslash.start(), \
                        f"'{backslash.group()}' in a double-quoted value is not a valid escape", \
                        "write '\\\\' for a backslash, or quote the value with single quotes"
    return None


def _directive(stop: _Stop) -> _Found:
    for line in range(stop.line + 1):
        if stop.source.line(line).startswith("%"):
            return stop.source.starts[line], "a line that starts with '%' is read as a YAML directive", \
                "quote the value, or remove the line"
    return None


def _tab(stop: _Stop) -> _Found:
    line = stop.source.line(stop.line)
    indentation = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indentation:
        return stop.source.starts[stop.line] + indentation.index("\t"), "a tab is used for indentation", \
            "indent with spaces, not tabs"
    if stop.source.char(stop.problem) == "\t":
        return stop.problem, "a tab is used where YAML needs a space", "use a space, not a tab"
    return None


def _text_after_quote(stop: _Stop) -> _Found:
    """A quoted value, or a [list] or {mapping}, with more text after it on its line."""
    char = stop.source.char(stop.problem)
    if not char or char in ":,]}#" + BREAKS:
        return None
    line = stop.source.line(stop.line)
    for span in stop.lexed.spans:
        if span.end is None or not stop.right_before(span.end):
            continue
        if span.opener == "'" and char.isalpha() and stop.source.char(span.end - 2).isalpha():
            fix = _value_quoted(line, strip_quotes=True)
            return span.end - 1, "an apostrophe ends the value quoted with single quotes", \
                f"quote it with double quotes: {fix}" if fix else "write the apostrophe twice: 'It''s'"
        fix = _value_quoted(line)
        how = f"quote the whole value: {fix}" if fix else "quote the whole value"
        if span.opener in CLOSER:
            noun = "list" if span.opener == "[" else "mapping"
            return stop.problem, f"a {noun} written with '{span.opener}' is followed by more text", \
                f"remove the text after '{CLOSER[span.opener]}', or, if it is one value, {how}"
        return stop.problem, "a quoted value is followed by more text", how
    return None


def _colon(stop: _Stop) -> _Found:
    if stop.source.char(stop.problem) != ":":
        return None
    line = stop.source.line(stop.line)
    key_colon = _key_colon(line)
    if key_colon is not None and key_colon < stop.column:
        fix = _value_quoted(line)
        return stop.problem, "the value holds ': ' without quotes, which YAML reads as the start of a key", \
            f"quote the whole value: {fix}" if fix else "quote the whole value"
    above = next(stop.source.content_lines_before(stop.line), None)
    if above is None:
        return None
    if stop.source.indent(stop.line) > stop.source.indent(above):
        return stop.source.starts[stop.line] + stop.source.indent(stop.line), \
            "this line is indented more than the line above it, so YAML reads it as part of that line's value", \
            "indent the keys of one mapping equally; if the line continues the value above, quote that value"
    return _no_colon(stop.source, above)


def _no_colon(source: Source, line: int) -> _Found:
    stripped = source.line(line).strip()
    if _key_colon(source.line(line)) is None and stripped[:1] not in ("-", "[", "{", '"', "'", "|", ">", "#", ""):
        return source.starts[line] + source.indent(line), "this line has no ':' after its key", "write 'key: value'"
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
        return _value_start(stop), "a value starts with '*', which YAML reads as an alias", \
            "quote values that start with '*'"
    if char in ("@", "`"):
        return stop.problem, f"a value starts with '{char}', which YAML reserves", "quote the value"
    if char in ("]", "}"):
        return stop.problem, f"a '{char}' closes no list or mapping", "remove it, or quote the value it is part of"
    if char == ",":
        in_flow = any(span.opener in CLOSER and span.start < stop.problem < (span.end or len(stop.source.text))
                      for span in stop.lexed.spans)
        if in_flow:
            return stop.problem, "a ',' follows no item", "remove it, or write the missing item"
        return stop.problem, "a value starts with ','", "quote the value"
    return None


def _value_start(stop: _Stop) -> int:
    """Where the value the parser stopped in starts on its line (after 'key: '), or where it stopped."""
    line = stop.source.line(stop.line)
    colon = _key_colon(line)
    if colon is None or colon > stop.column:
        return stop.problem
    return stop.source.starts[stop.line] + len(line) - len(line[colon + 1:].lstrip(" \t"))


def _indicator(stop: _Stop) -> _Found:
    """A marker of YAML's own syntax where the parser stopped: a document marker, a block of text's header."""
    rest = stop.source.line(stop.line)[stop.column:]
    if stop.column == 0 and re.match(r"(---|\.\.\.)([ \t]|$)", rest):
        return stop.problem, f"a line '{rest[:3]}' starts a second YAML document", \
            "remove it: one YAML text, one document"
    if stop.source.char(stop.context) in ("|", ">"):
        opener = stop.source.char(stop.context)
        return stop.problem, f"text follows '{opener}' on its line", \
            f"start the text on the line after '{opener}', indented under the key"
    return None


def _indentation(stop: _Stop) -> _Found:
    """The parser stopped at the start of a line whose indentation lines up with nothing above it, or with
    the '-' of a list while the line is no item of it."""
    char = stop.source.char(stop.problem)
    if stop.column != stop.source.indent(stop.line) or not char or char in BREAKS:
        return None
    levels: set[int] = set()
    nearest = None
    item = None  # the nearest line above at this line's indentation, when it is a list item: '- text: a'
    for above in stop.source.content_lines_before(stop.line):
        indent = stop.source.indent(above)
        if item is None and nearest is None and indent == stop.column \
                and re.match(r"-([ \t]|$)", stop.source.line(above)[indent:]):
            item = above
        if nearest is None or indent < nearest:
            nearest = indent
            line = stop.source.line(above)
            levels |= {nearest, len(line) - len(re.sub(r"^[ \t]*(?:-[ \t]+)*", "", line))}
            if nearest == 0:
                break
    if not levels:
        return None
    if stop.column in levels:
        if char == "-":
            return stop.problem, "a list item stands among the keys of a mapping", \
                "put the list under its key, indented: tags: then '  - item'"
        if item is not None:
            return _key_in_list(stop, stop.source.line(item))
        return None
    return stop.problem, "this line's indentation lines up with no line above it", \
        "indent the keys of one mapping, and the items of one list, equally"


def _key_in_list(stop: _Stop, item: str) -> _Found:
    """A key written at the column of a list's '-': meant for the item above (a mapping), or for the mapping the
    list belongs to."""
    structure = re.match(r"[ \t]*(?:-[ \t]+)+", item)
    colon = _key_colon(item)
    if structure is not None and colon is not None and colon > structure.end():
        return stop.problem, "this key lines up with the '-' of the list item above, not with that item's keys", \
            f"indent it under '{abridged(item[structure.end():colon], 30)}' above to make it a key of that item, " \
            "or start it with '- ' to make it an item of its own"
    owner = next((above for above in stop.source.content_lines_before(stop.line)
                  if stop.source.indent(above) < stop.column), None)
    owner_key = _key_colon(stop.source.line(owner)) if owner is not None else None
    if owner is None or owner_key is None:
        return stop.problem, "a key stands among the items of a list", "start it with '- ' to make it an item"
    key = stop.source.line(owner)[:owner_key].strip()
    return stop.problem, "a key stands among the items of a list", \
        f"line it up with '{abridged(key, 30)}:', the key the list belongs to, or start it with '- ' to make it an item"


def _value_quoted(line: str, strip_quotes: bool = False) -> str:
    """The line as it should be written, its value in quotes (without its indentation or a '# comment');
    '' when the line has no value. `strip_quotes` first removes the quotes the value is written in."""
    colon = _key_colon(line)
    if colon is None:
        colon = re.match(r"[ \t]*(?:-[ \t]+)*", line).end() - 1
    head, value = line[:colon + 1].strip(), re.split(r"[ \t]#([ \t]|$)", line[colon + 1:], maxsplit=1)[0].strip()
    if strip_quotes and len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if not value:
        return ""
    return f"{head} {quoted(abridged(value))}".strip()


# In order: a cause the text shows for sure (an unclosed bracket or quote) before what the parser's stop suggests.
_RULES = (_comment_in_flow, _unclosed_flow, _unclosed_quote, _bad_escape, _directive, _tab, _reserved,
          _text_after_quote, _colon, _key_without_colon, _indicator, _indentation)


@dataclass(frozen=True)
class Explained:
    """Why a YAML text is malformed, in an editor's words."""

    line: int
    """0-based, in the YAML text."""
    message: str
    hint: str
    excerpt: tuple[str, ...] = ()
    """The line at fault with a caret under the column (yamltext.Source.excerpt)."""


def describe_yaml_error(exc: yaml.YAMLError, text: str) -> Explained:
    """Turn a PyYAML error into what an editor understands: the line, what is wrong, how to mend it.

    Decided from the source text, the error's class and the place the parser
    stopped, never from PyYAML's wording, which differs between libyaml and
    pure-Python PyYAML and changes between releases.
    """
    source = Source(text)
    if isinstance(exc, yaml.reader.ReaderError):
        refused = _REFUSED.search(text)
        if refused:
            return Explained(source.line_of(refused.start()),
                             f"the text holds U+{ord(refused.group()):04X}, a character YAML does not allow",
                             "remove it")
    problem = source.offset(getattr(exc, "problem_mark", None))
    context = source.offset(getattr(exc, "context_mark", None))
    stop = _Stop(source, lex(source), problem if problem is not None else context or 0, context)
    deep = too_deep_at(source, stop.lexed, stop.problem)
    if deep is not None:
        return Explained(deep, *NESTED)
    for rule in _RULES:
        found = rule(stop)
        if found:
            at, message, hint = found
            return Explained(source.line_of(at), message, hint, source.excerpt(at))
    return Explained(stop.line, f"the YAML is malformed at column {stop.column + 1}",
                     "check quoting and indentation near this line", source.excerpt(stop.problem))
