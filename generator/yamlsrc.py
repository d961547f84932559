"""YAML with line numbers: every value keeps the line it was written on.

PyYAML's safe_load throws the marks away, so a bad region could only be
reported at the top of the file. We compose the node graph ourselves and keep
each node's line, offset to count in the whole file. Malformed YAML is
explained by yamlerrors; this module owns loading, the Node type and the
limits on what a document may expand to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Invalid
from .yamlerrors import describe_yaml_error
from .yamltext import MAX_DEPTH, NESTED, Source, lex, too_deep_at

# libyaml's parser is several times faster than PyYAML's own; same nodes, same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document with more nodes than this is refused: aliases can make a small
# file expand into billions of values ("billion laughs").
MAX_NODES = 200_000


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
        return _Builder(loader, first_line).build(root, 0)
    except yaml.YAMLError as exc:
        raise _invalid(exc, text, first_line) from None
    except RecursionError:
        # PyYAML's pure-Python composer recurses once per level: [[[[... a thousand deep exhausts the stack.
        source = Source(text)
        raise Invalid(*NESTED, line=first_line + (too_deep_at(source, lex(source), len(text)) or 0)) from None
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
