"""YAML with line numbers: every value keeps the line it was written on.

PyYAML's safe_load throws the marks away, so a bad region could only be
reported at the top of the file. We compose the node graph ourselves and keep
each node's line, offset to count in the whole file. Malformed YAML is
explained by yamlerrors; this module owns loading, the Node type, the limits
on what a document may expand to, and two mistakes that are valid YAML but
never what an editor meant (see _Builder.check_plain): `title: #MeToo in
Hollywood`, whose '#' starts a comment, and a list item indented under the
one above it, which YAML reads as the same item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Invalid
from .yamlerrors import describe_yaml_error
from .yamltext import MAX_DEPTH, NESTED, Source, abridged, lex, quoted, too_deep_at

# libyaml's parser is several times faster than PyYAML's own; same nodes, same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document with more nodes than this is refused: aliases can make a small
# file expand into billions of values ("billion laughs").
MAX_NODES = 200_000

# A comment that starts right after a value, and reads as a hashtag: ' #MeToo in Hollywood'. A comment an
# editor means has a space after its '#' ('# to check').
_HASHTAG_COMMENT = re.compile(r"[ \t]+(#\w[^\r\n\x85\u2028\u2029]*)")
# A line inside a plain value that starts like a list item: the value's text runs on to the item.
_ITEM_LINE = re.compile(r"[\r\n\x85\u2028\u2029][ \t]*(-)(?:[ \t]|$)", re.M)
_TEXT_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null")


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
        return _Builder(loader, text, first_line).build(root, 0)
    except yaml.YAMLError as exc:
        raise _invalid(exc, text, first_line) from None
    except RecursionError:
        # PyYAML's pure-Python composer recurses once per level: [[[[... a thousand deep exhausts the stack.
        source = Source(text)
        raise Invalid(*NESTED, line=first_line + (too_deep_at(source, lex(source), len(text)) or 0)) from None
    finally:
        loader.dispose()


def _invalid(exc: yaml.YAMLError, text: str, first_line: int) -> Invalid:
    explained = describe_yaml_error(exc, text)
    return Invalid(explained.message, explained.hint, line=first_line + explained.line, excerpt=explained.excerpt)


class _Builder:
    def __init__(self, loader, text: str, first_line: int):
        self.loader = loader
        self.text = text
        self.first_line = first_line
        self.count = 0

    def line(self, node) -> int:
        return self.first_line + node.start_mark.line

    def build(self, node, depth: int, path: str = "", item: bool = False) -> Node:
        """The located value of `node`: `path` names it in messages (source.title), `item` when it is a list's."""
        self.count += 1
        if self.count > MAX_NODES:
            raise Invalid(f"the YAML expands to more than {MAX_NODES:,} values",
                          "remove the aliases, *name, that repeat large values", line=self.line(node))
        if depth > MAX_DEPTH:
            raise Invalid(*NESTED, line=self.line(node))
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
                items[key] = self.build(value_node, depth + 1, f"{path}.{key}" if path else key)
                key_lines[key] = self.line(key_node)
            return Node("map", self.line(node), items, key_lines=key_lines)
        if isinstance(node, yaml.SequenceNode):
            return Node("seq", self.line(node), [self.build(n, depth + 1, path, item=True) for n in node.value])
        if not node.style and node.tag in _TEXT_TAGS:
            self.check_plain(node, path, item)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            # 2017-13-45 matches YAML's timestamp pattern but is no date: keep the text,
            # and let the field's parser say what is wrong with it.
            value = node.value
        return Node("scalar", self.line(node), value, text=node.value, plain=not node.style)

    def check_plain(self, node, path: str, item: bool) -> None:
        """Refuse an unquoted value that a '#' cuts short, or that runs on to a list item indented under it."""
        comment = _HASHTAG_COMMENT.match(self.text, node.end_mark.index)
        if comment is not None:
            raise self.comment_cuts(node, comment, path, item)
        runs_on = _ITEM_LINE.search(self.text, node.start_mark.index, node.end_mark.index)
        if runs_on is not None:
            raise self.item_runs_on(node, runs_on.start(1), path, item)

    def comment_cuts(self, node, comment: re.Match, path: str, item: bool) -> Invalid:
        """`title: #MeToo in Hollywood`: the title is empty; `title: Why #MeToo matters`: it is 'Why'."""
        hashtag = comment.group(1).rstrip()
        if node.value:
            what, read = "is cut short", f"to '{abridged(node.value)}'"
            meant = " ".join((self.text[node.start_mark.index:comment.start(1)] + hashtag).split())
        else:
            what, read, meant = ("an item is empty" if item else "is empty"), "", hashtag
        source = Source(self.text)
        first = source.line(node.start_mark.line)
        colon = first.rfind(":", 0, node.start_mark.column)
        if item:
            key = "-"
        elif colon >= 0:
            key = first[:colon + 1].strip()  # as written before the value: '- text:'
        else:
            key = f"{path.rsplit('.', 1)[-1]}:" if path else ""  # the value has a line of its own
        kind = "item" if item else "value"
        return Invalid(f"{path + ': ' if path else ''}{what}{' ' + read if read else ''}: '#' after a space starts "
                       f"a comment in YAML, so '{abridged(hashtag)}' is not read",
                       f"quote the {kind}: {f'{key} ' if key else ''}{quoted(abridged(meant))}; to keep a comment, "
                       "write '# ' with a space",
                       line=self.first_line + source.line_of(comment.start(1)),
                       excerpt=source.excerpt(comment.start(1)))

    def item_runs_on(self, node, dash: int, path: str, item: bool) -> Invalid:
        """`- sports` then `  - workplace` on the next line: one item, 'sports - workplace'."""
        source = Source(self.text)
        written = source.line(source.line_of(dash)).strip()
        first = self.text[node.start_mark.index:dash].split("\n", 1)[0].strip()
        if item:
            message = f"'{abridged(written, 40)}' is indented under the item above, so YAML reads both as one item, " \
                      f"'{abridged(node.value)}'"
            hint = f"line up its '-' with the '-' of the item above, '- {abridged(first, 40)}'"
        else:
            message = f"'{abridged(written, 40)}' is indented under the value above, so YAML reads both as one " \
                      f"value, '{abridged(node.value)}'"
            hint = "to write a list, put each item on a line of its own under the key, each '-' lined up"
        return Invalid(f"{path + ': ' if path else ''}{message}", hint, line=self.first_line + source.line_of(dash),
                       excerpt=source.excerpt(dash))
