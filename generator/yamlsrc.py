"""YAML with line numbers: every value keeps the line it was written on.

PyYAML's safe_load throws the marks away, so a bad region could only be
reported at the top of the file. We compose the node graph ourselves and keep
each node's line, offset to count in the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Invalid

# libyaml's parser is several times faster than PyYAML's own; same nodes, same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document with more nodes than this is refused: aliases can make a small
# file expand into billions of values ("billion laughs").
MAX_NODES = 200_000
MAX_DEPTH = 50


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



def describe_yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str, str]:
    """Turn a PyYAML error into (0-based line, message, hint) an editor understands."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line if mark else 0
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    lines = text.splitlines()
    for number, source in enumerate(lines):
        # tags: [MeToo, #NOTokay]: the '#' starts a comment, which swallows the closing ']'.
        if re.search(r"\[[^\]#'\"]*\s#", source):
            return number, "a '#' in a list starts a YAML comment, so the list is cut short", \
                "quote the value: ['#NOTokay']"
    if "flow sequence" in context and exc.context_mark is not None:
        opened = exc.context_mark.line
        return opened, "a list opened with '[' is not closed", "add ']' at the end of the list"
    if "flow mapping" in context and exc.context_mark is not None:
        return exc.context_mark.line, "a mapping opened with '{' is not closed", "add '}' at the end of the mapping"
    if "quoted scalar" in context and exc.context_mark is not None:
        return exc.context_mark.line, "a quoted value is never closed", "add the closing quote at the end of the value"
    lines = text.splitlines()
    source_line = lines[line] if 0 <= line < len(lines) else ""
    if "\t" in source_line[: len(source_line) - len(source_line.lstrip())] or "found character '\\t'" in problem:
        return line, "a tab is used for indentation", "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return line, "a value contains ': '", "quote the whole value: title: \"A: B\""
    if "found character '@'" in problem or "found character '`'" in problem:
        return line, "a value starts with a reserved character", "quote the value"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return line, f"the YAML is malformed here ({problem})", "check the indentation and that every key ends with ':'"
    if "found undefined alias" in problem:
        return line, f"YAML: {problem}", "quote values that start with '*'"
    return line, f"the YAML is malformed here ({problem})", "check quoting and indentation near this line"


def load(text: str, first_line: int) -> Node | None:
    """Parse one YAML document; `first_line` is the file line of the text's first line.

    Raises Invalid with a file line for malformed YAML. Returns None for an
    empty document.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        return _Builder(loader, first_line).build(root, 0)
    except yaml.YAMLError as exc:
        line, message, hint = describe_yaml_error(exc, text)
        raise Invalid(message, hint, line=first_line + line) from None
    except RecursionError:
        # PyYAML's composer recurses once per level: [[[[... thousands deep exhausts the stack.
        raise Invalid(f"the YAML is nested more than {MAX_DEPTH} levels deep", "flatten the structure",
                      line=first_line) from None
    finally:
        loader.dispose()


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
            raise Invalid(f"the YAML is nested more than {MAX_DEPTH} levels deep",
                          "flatten the structure", line=self.line(node))
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
