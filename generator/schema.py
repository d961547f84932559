"""Typed records read from YAML: each key declared once, with a parser, a default and a doc.

A record is a frozen dataclass whose fields are made with `key()`. `read_record`
fills one from a located YAML mapping, rejecting unknown keys with the list of
allowed ones (Zola's deny_unknown_fields) and collecting every problem with its
line instead of stopping at the first.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, time
from typing import Any, Callable
from zoneinfo import ZoneInfo

from .errors import Code, Invalid, closest, did_you_mean, one_of
from .urls import MAX_SLUG
from .yamlsrc import Node

REQUIRED = dataclasses.MISSING
Parser = Callable[[Node, Any], Any]


def key(doc: str, parse: Parser, default: Any = REQUIRED, *, only: str = "", required: bool = False) -> Any:
    """Declare a record key: how to parse it, its default (REQUIRED if none) and a one-line doc.

    `only` names the entry kind the key belongs to (e.g. 'thread'); the reader of
    front matter uses it to reject the key elsewhere. `required` makes a key with a
    default required all the same (for keys required of one kind only).
    """
    metadata = {"doc": doc, "parse": parse, "only": only, "required": required or default is REQUIRED}
    return dataclasses.field(default=default, metadata=metadata)


def _made(parser: Parser, factory: Callable, /, **args: Any) -> Parser:
    """Mark a parser with the factory that made it and the factory's arguments, as `parser.made_by`.

    generator/reference.py reads the mark to say in words what a key accepts ('list of tags, at most
    `limits.tags_per_entry`') for the docs and `chorus new`; parsing never reads it.
    """
    parser.made_by = (factory, args)  # type: ignore[attr-defined]
    return parser


@dataclasses.dataclass
class Problem:
    """An Invalid with the line it belongs to and the key path it concerns."""

    line: int
    message: str
    hint: str = ""
    code: Code = Code.FIELD
    excerpt: tuple[str, ...] = ()
    """As SourceError.excerpt: a malformed post block's line and caret."""


def read_record(cls, node: Node | None, ctx: Any, problems: list[Problem], *, path: str = "",
                missing_line: int = 0, kind: str = ""):
    """Build `cls` from a mapping node; append a Problem for each bad key. None if any."""
    prefix = f"{path}." if path else ""
    if node is None:
        node = Node("map", missing_line, {})
    if node.kind != "map":
        problems.append(Problem(node.line, f"{path or 'front matter'}: expected a mapping of keys, got {describe(node)}"))
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}
    allowed = [name for name, f in fields.items() if not (kind and f.metadata.get("only") not in ("", kind))]
    before = len(problems)
    misspelt = set()
    """Keys an unknown key probably meant: their absence is the same mistake, reported once."""
    for name, line in node.key_lines.items():
        if name not in fields:
            meant = closest(name, allowed)
            if meant is not None and meant not in node.key_lines:
                misspelt.add(meant)
            hint = did_you_mean(name, allowed) or one_of(allowed)
            problems.append(Problem(line, f"{prefix}{name}: unknown key", hint))
    values = {}
    for name, f in fields.items():
        only = f.metadata.get("only", "")
        child = node.get(name)
        if only and kind and only != kind:
            if child is not None:
                problems.append(Problem(node.key_lines[name], f"{prefix}{name}: only a {only} has this key",
                                        f"remove it, or move the file to content/{only}s/"))
            continue
        required = f.metadata.get("required", False)
        if child is None or (child.kind == "scalar" and child.value is None and not required):
            if required and name not in misspelt:
                line = node.key_lines.get(name, node.line if path else missing_line)
                problems.append(Problem(line, f"{prefix}{name}: required key is missing", f"add '{name}:'"))
            continue
        try:
            values[name] = f.metadata["parse"](child, _Sub(ctx, problems, f"{prefix}{name}"))
        except _Reported:
            pass
        except Invalid as exc:
            problems.append(Problem(exc.line or child.line, f"{prefix}{name}: {exc.message}", exc.hint, exc.code))
    if len(problems) > before:
        return None
    return cls(**values)


class _Sub:
    """The context handed to a field parser: the caller's context plus where to report nested problems."""

    def __init__(self, ctx: Any, problems: list[Problem], path: str):
        self.ctx = ctx
        self.problems = problems
        self.path = path

    def __getattr__(self, name):
        return getattr(self.ctx, name)


def describe(node: Node) -> str:
    if node.kind == "map":
        return "a mapping"
    if node.kind == "seq":
        return "a list"
    v = node.value
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"'{node.text}' (a yes/no value)"
    if isinstance(v, (int, float)):
        return f"the number {abridged(node.text)}"
    if isinstance(v, (date, datetime)):
        return f"the date {abridged(node.text)}"
    return f"'{abridged(node.text)}'"


def abridged(written: str, most: int = 60) -> str:
    """A value quoted in a message: a megabyte of text would make a megabyte of message."""
    return written if len(written) <= most else written[:most] + "…"


# ---- field parsers -------------------------------------------------------


# Code points no HTML or XML document may hold (C0 and C1 controls but tab and newlines, DEL,
# lone surrogates, noncharacters): text pasted from a platform can carry them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def clean_text(value: str) -> str:
    """Text with the code points that break HTML, XML or UTF-8 removed."""
    return _FORBIDDEN.sub("", value)


def text(node: Node, ctx=None) -> str:
    """A string. Unquoted YAML that happens to look like a number, date or yes/no is read as written."""
    if node.kind != "scalar" or node.value is None:
        raise Invalid(f"expected text, got {describe(node)}", "write it as a quoted string")
    value = clean_text(node.value if isinstance(node.value, str) else node.text)
    if not value.strip():
        raise Invalid("is empty", "write some text or remove the key")
    return value


def optional_text(node: Node, ctx=None) -> str:
    if node.kind == "scalar" and node.value == "":
        return ""
    return text(node, ctx)


def integer(node: Node, ctx=None) -> int:
    if node.kind != "scalar" or isinstance(node.value, bool) or not isinstance(node.value, int):
        raise Invalid(f"expected a whole number, got {describe(node)}")
    return node.value


def positive_int(node: Node, ctx=None) -> int:
    value = integer(node, ctx)
    if value < 1:
        raise Invalid(f"expected a number of at least 1, got {value}")
    return value


def _limit(ctx, limit: str) -> int:
    """site.yaml's `limits.<limit>`: the parsers below are used in entries, whose context has the config."""
    return getattr(ctx.config.limits, limit)


def up_to(limit: str) -> Parser:
    """A whole number from 1 to `limits.<limit>` (a thread of 2,000,000 parts would list 2,000,000 gaps)."""
    def parse_up_to(node: Node, ctx) -> int:
        value = positive_int(node, ctx)
        most = _limit(ctx, limit)
        if value > most:
            raise Invalid(f"{describe(node)} is over the limit of {most}",
                          f"raise limits.{limit} in site.yaml if it is right", code=Code.LIMIT)
        return value
    return _made(parse_up_to, up_to, limit=limit)


def between(low: int, high: int) -> Parser:
    """A whole number from `low` to `high`."""
    def parse_between(node: Node, ctx=None) -> int:
        value = integer(node, ctx)
        if not low <= value <= high:
            raise Invalid(f"expected a number from {low} to {high}, got {describe(node)}")
        return value
    return _made(parse_between, between, low=low, high=high)


def at_most(limit: str, noun: str, parse: Parser) -> Parser:
    """A list of at most `limits.<limit>` items, counted before any item is parsed."""
    def parse_at_most(node: Node, ctx) -> Any:
        found = items(node)
        most = _limit(ctx, limit)
        if len(found) > most:
            raise Invalid(f"{len(found)} {noun}, over the limit of {most}",
                          f"remove some, or raise limits.{limit} in site.yaml", line=found[most].line,
                          code=Code.LIMIT)
        return parse(node, ctx)
    return _made(parse_at_most, at_most, limit=limit, parse=parse)


def short_text(limit: str, optional: bool = False) -> Parser:
    """Text of at most `limits.<limit>` characters: it is repeated on listing pages and in every feed."""
    def parse_short_text(node: Node, ctx) -> str:
        value = optional_text(node, ctx) if optional else text(node, ctx)
        most = _limit(ctx, limit)
        if len(value) > most:
            raise Invalid(f"{len(value)} characters, over the limit of {most}",
                          f"shorten it, or raise limits.{limit} in site.yaml", code=Code.LIMIT)
        return value
    return _made(parse_short_text, short_text, limit=limit, optional=optional)


def boolean(node: Node, ctx=None) -> bool:
    if node.kind != "scalar" or not isinstance(node.value, bool):
        raise Invalid(f"expected true or false, got {describe(node)}")
    return node.value


def items(node: Node) -> list[Node]:
    """A list's items; a single scalar is taken as a list of one (`tags: MeToo`)."""
    if node.kind == "seq":
        return node.value
    if node.kind == "scalar":
        return [node]
    raise Invalid(f"expected a list, got {describe(node)}", "write [a, b] or one '- item' per line")


def list_of(parse: Parser) -> Parser:
    """A list whose every item is parsed; each bad item is reported, not only the first."""
    def parse_list(node: Node, ctx=None) -> tuple:
        out, failed = [], False
        for item in items(node):
            try:
                out.append(parse(item, ctx))
            except _Reported:
                failed = True
            except Invalid as exc:
                if not isinstance(ctx, _Sub):
                    raise Invalid(exc.message, exc.hint, line=exc.line or item.line, code=exc.code) from None
                ctx.problems.append(Problem(exc.line or item.line, f"{ctx.path}: {exc.message}", exc.hint, exc.code))
                failed = True
        if failed:
            raise _Reported()
        return tuple(out)
    return _made(parse_list, list_of, parse=parse)


def distinct(parse: Parser, identity: Callable[[Any], Any] = lambda value: value) -> Parser:
    """A list parser whose repeated items are dropped, the first kept: `regions: [us, usa]` is one region."""
    def parse_distinct(node: Node, ctx=None) -> tuple:
        kept: dict[Any, Any] = {}
        for value in parse(node, ctx):
            kept.setdefault(identity(value), value)
        return tuple(kept.values())
    return _made(parse_distinct, distinct, parse=parse)


SAFE_SCHEMES = ("http", "https", "mailto")


def url(node: Node, ctx=None) -> str:
    """An absolute http(s) or mailto URL: nothing else is safe to put in a visitor's page."""
    value = text(node, ctx).strip()
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in SAFE_SCHEMES:
        raise Invalid(f"'{abridged(value)}' is not an http, https or mailto URL",
                      "write an absolute URL starting with https://")
    if scheme != "mailto" and not re.match(r"^https?://[^/\s]+", value, re.I):
        raise Invalid(f"'{abridged(value)}' has no host", "write it as https://host/path")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise Invalid(f"'{abridged(value)}' contains spaces or control characters", "encode spaces as %20")
    return value


@dataclasses.dataclass(frozen=True, order=True)
class When:
    """A point in time from front matter: always timezone-aware, plus whether a time was given."""

    at: datetime
    """The instant, in the site's timezone."""
    has_time: bool
    """False when only a day was written (shown without a time)."""

    def iso(self) -> str:
        return self.at.isoformat() if self.has_time else self.at.date().isoformat()


FIRST_YEAR, LAST_YEAR = 1000, 9998
"""The supported dates: far enough from the calendar's ends (years 1 and 9999) that moving a date to
another timezone, or formatting it for a feed or an archive path, can never overflow."""


def when(node: Node, ctx) -> When:
    """A date (2017-10-17) or ISO 8601 date-time; without an offset, the site's timezone applies."""
    tz: ZoneInfo = ctx.timezone
    value = node.value
    if node.kind == "scalar" and isinstance(value, str):
        value = _iso_date(value.strip())
    if node.kind != "scalar" or not isinstance(value, (date, datetime)):
        raise Invalid(f"{describe(node)} is not a date",
                      "write YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+HH:MM for a time")
    _check_year(value.year, node)
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=tz)
        result = When(dt.astimezone(tz), True)
    else:
        result = When(datetime.combine(value, time(0), tzinfo=tz), False)
    _check_year(result.at.year, node, f" once in the site's timezone ({tz})")  # an offset can cross a year's end
    return result


def _iso_date(raw: str) -> date | datetime | None:
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
    except ValueError:
        return None


def _check_year(year: int, node: Node, where: str = "") -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"{describe(node)} is outside the supported range of dates{where}",
                      f"write a date from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")


# RFC 5646 section 2.1, well-formed tags: language[-extlang][-script][-region](-variant)*(-extension)*[-x-private],
# or a private-use tag alone. Grandfathered tags (i-klingon, en-GB-oed) are not accepted.
_LANGUAGE_TAG = re.compile(r"""
    ^(?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})   # language, with up to three extended subtags
      (?:-[a-z]{4})?                                # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                   # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*      # variants
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*           # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                    # private use
    | x(?:-[a-z0-9]{1,8})+                          # private use alone
    )$""", re.I | re.X | re.A)
LANGUAGE_TAG_MAX = 64
"""Longer tags are well-formed in theory only; RFC 5646 asks implementations to handle 35 characters."""


def language_tag(node: Node, ctx=None) -> str:
    """A well-formed BCP 47 language tag (en, fr, pt-BR, zh-Hant-TW), as written."""
    value = text(node).strip()
    if len(value) > LANGUAGE_TAG_MAX or not _LANGUAGE_TAG.match(value):
        raise Invalid(f"'{abridged(value)}' is not a BCP 47 language tag",
                      "write a tag such as en, fr, pt-BR or zh-Hant")
    return value


def choice(choices: tuple[str, ...]) -> Parser:
    def parse_choice(node: Node, ctx=None) -> str:
        value = text(node, ctx)
        if value not in choices:
            raise Invalid(f"'{abridged(value)}' is not allowed", did_you_mean(value, choices) or one_of(choices))
        return value
    return _made(parse_choice, choice, choices=choices)


def record(cls, **options) -> Parser:
    """Parse a nested record; its problems are reported under the parent key's path."""
    def parse_record(node: Node, ctx) -> Any:
        problems: list[Problem] = []
        value = read_record(cls, node, ctx.ctx, problems, path=ctx.path, **options)
        if problems:
            ctx.problems.extend(problems)
            raise _Reported()
        return value
    return _made(parse_record, record, cls=cls)


def mapping_of(parse_value: Parser, key_pattern: str = r"^[a-z0-9]+(-[a-z0-9]+)*$",
               key_hint: str = "use lowercase letters, digits and '-'") -> Parser:
    """A mapping from slug-like names to parsed values, in file order."""
    def parse_mapping(node: Node, ctx) -> tuple:
        if node.kind != "map":
            raise Invalid(f"expected a mapping, got {describe(node)}")
        out = []
        failed = False
        for name, child in node.value.items():
            if not re.match(key_pattern, name) or len(name) > MAX_SLUG:
                hint = key_hint if len(name) <= MAX_SLUG else f"use at most {MAX_SLUG} characters"
                ctx.problems.append(Problem(node.key_lines[name], f"{ctx.path}: '{abridged(name)}' is not a valid name",
                                            hint))
                failed = True
                continue
            try:
                out.append((name, parse_value(child, _Sub(ctx.ctx, ctx.problems, f"{ctx.path}.{name}"))))
            except _Reported:
                failed = True
            except Invalid as exc:
                ctx.problems.append(Problem(exc.line or child.line, f"{ctx.path}.{name}: {exc.message}", exc.hint,
                                            exc.code))
                failed = True
        if failed:
            raise _Reported()
        return tuple(out)
    return _made(parse_mapping, mapping_of, parse_value=parse_value)


class _Reported(Invalid):
    """The problems were already recorded by a nested parser."""

    def __init__(self):
        super().__init__("")
