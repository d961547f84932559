"""Stage 5, render: each route -> the bytes of its file, by the output that declared its target.

Jinja2 with autoescape and StrictUndefined: a typo in a template is an error
naming the template and line, never an empty string on the page. Templates
in the site's layouts/ replace the built-in theme's, name by name.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import jinja2

from typing import Callable

from .cache import CACHE_DIR, digest
from .errors import Code, SourceError
from .inputs import SHELL, THEME, Inputs, Recorder, Stores
from .routes import Route
from .site import Site
from .views import Views

THEME_DIR = Path(__file__).parent / "theme"
LAYOUTS_DIR = "layouts"


class MissingValue(jinja2.UndefinedError):
    """A template used a value it was not given; carries the value's name, so the message is ours."""

    def __init__(self, name: str | None):
        super().__init__(f"no value {name!r}" if name else "a value that is not defined")
        self.name = name


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose every failure raises MissingValue with the missing name."""

    __slots__ = ()

    def _fail_with_missing_value(self, *args, **kwargs):
        raise MissingValue(self._undefined_name)


# StrictUndefined binds its failing operations (str, iteration, comparison...) to one function at class
# creation: point each of them at ours.
for _name in dir(jinja2.StrictUndefined):
    if getattr(jinja2.StrictUndefined, _name) is jinja2.Undefined._fail_with_undefined_error:
        setattr(_Undefined, _name, _Undefined._fail_with_missing_value)


class TemplateProblem(Exception):
    """A template failed: carries the SourceError naming the template file and line."""

    def __init__(self, error: SourceError):
        super().__init__(str(error))
        self.error = error


def _compiled_templates(cache_dir: Path, use_cache: bool) -> jinja2.BytecodeCache | None:
    """Templates compiled by an earlier build, kept in the cache folder: compiling the theme's is a tenth of a
    second of every build. Jinja checks each against its template's source (and its own and Python's version),
    and writes each atomically."""
    if not use_cache:
        return None
    folder = cache_dir / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder), "%s.jinja")


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """A compiled template that cannot be read or kept (a full disk, a folder not writable) is compiled again:
    never a failed build."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


class RenderContext:
    """What every output renders with: the site, its views, the templates, and what each file is made of.

    One per build (and per worker process, which inherits it): its memo holds what
    several files share (an entry's feed item, the open data rows), computed once.
    While a route renders, every input its views read is recorded (generator/inputs.py).
    """

    def __init__(self, site: Site, site_dir: Path, routes: list[Route], outputs, code: str, config_bytes: bytes,
                 use_cache: bool = True):
        self.site = site
        self.site_dir = site_dir
        self.routes = routes
        self.layouts = site_dir / LAYOUTS_DIR
        self.recorder = Recorder()
        self.views = Views(site, record=self.recorder.record)
        self._outputs = {target: output for output in outputs for target in output.TARGETS}
        """Route target type -> the output module that renders it."""
        self._memo: dict = {}
        self.shell = self._shell_digest(code, config_bytes)
        self.inputs = Inputs(site, site_dir, self.views.known_tag_title, self.shell, theme_digest(self.layouts))
        self._stores = Stores(site_dir / CACHE_DIR if use_cache else None)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(self.layouts)),
                                        jinja2.FileSystemLoader(str(THEME_DIR / "templates"))]),
            autoescape=True, undefined=_Undefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True, bytecode_cache=_compiled_templates(site_dir / CACHE_DIR, use_cache))

    def render(self, route: Route) -> tuple[bytes, frozenset]:
        """The route's bytes, and every input read to make them, each a pair (key, its digest now): see
        generator/inputs.py. What every file shares (the shell) is one of them."""
        with self.recorder.recording() as keys:
            data = self._outputs[type(route.target)].render(self, route)
        keys.add(SHELL)
        return data, self.inputs.pairs(keys)

    def fresh(self) -> "RenderContext":
        """This context with nothing computed yet (an empty memo): to render an entry read since it was made
        (chorus serve's preview, generator/preview.py)."""
        other = copy.copy(self)
        other._memo = {}
        return other

    def forget(self) -> None:
        """Let go of what the render computed for its files (the memo, the views' cards, the stores' parts once
        saved): at 50,000 entries some hundreds of MiB the rest of the build (the index, the publish) never reads.
        What is asked for again is computed again."""
        self._memo = {}
        self.views.forget_cards()
        self._stores.forget()

    def mark(self) -> tuple[set, set[str]]:
        """What has been computed so far: for `forget_since`."""
        return set(self._memo), self._stores.opened()

    def forget_since(self, mark: tuple[set, set[str]]) -> None:
        """Let go of what was computed since `mark` (what was memoized, the stores opened, once saved): after
        files whose shared parts no other file reads (the open data's rows, made from every entry)."""
        memo_before, stores_before = mark
        for key in set(self._memo) - memo_before:
            del self._memo[key]
        self._stores.forget(self._stores.opened() - stores_before)

    def record(self, *key: str) -> None:
        """For outputs that read the site directly rather than through the views."""
        self.recorder.record(*key)

    def memo(self, key, compute):
        """compute() once per key for this build (per process); its recorded inputs count for every file
        that uses it."""
        hit = self._memo.get(key)
        if hit is None:
            with self.recorder.recording() as keys:
                value = compute()
            hit = self._memo[key] = (value, frozenset(keys))
        self.recorder.replay(hit[1])
        return hit[0]

    @property
    def stores(self) -> Stores:
        """The stores of parts kept between builds (their folder None when this build keeps no cache): for
        parts a render's processes make together, such as feed items (generator/feeditems.py)."""
        return self._stores

    def stored(self, name: str, items: list[tuple[str, object]], compute: Callable[[object], object]) -> list:
        """[compute(item) for each item], each value taken from the store `name` (kept in the cache folder
        between builds) when every input it read last time is unchanged; its inputs count for the file being
        rendered. `items` are (a name unique in the store, the item); what compute reads of the item itself,
        it records, as any view does. For parts of a file made from every entry (the open data's rows): an
        edit computes its entry's part again, not every entry's."""
        store = self._stores.open(name)
        found = [store.get(item_key) for item_key, _ in items]
        # All judged at once, and what the kept parts read replayed at once: 10,000 parts at 10,000 entries.
        unchanged = self.inputs.still_each([hit[0] if hit is not None else () for hit in found])
        values, kept = [], []
        for (item_key, item), hit, still in zip(items, found, unchanged):
            if still:
                kept.append(hit[0])
                values.append(hit[1])
                continue
            with self.recorder.recording() as keys:
                value = compute(item)
            keys.add(SHELL)
            store.put(item_key, (self.inputs.pairs(keys), value))
            values.append(value)
        self.recorder.replay({key for key, _ in set().union(*kept)})
        self._stores.close(name, {item_key for item_key, _ in items})
        return values

    # ---- what each file depends on, so that unchanged files are not rendered again ----

    def _shell_digest(self, code: str, config_bytes: bytes) -> str:
        """Inputs every file shares: the generator's code, site.yaml, navigation, private people (the templates are
        an input of their own, THEME, read by what is made with one)."""
        parts = [code, config_bytes, repr(self.site.config), str(self.site.drafts)]
        parts += [f"{p.meta.title}\0{self.site.urls[p.path]}" for p in self.site.pages]
        parts += sorted(f"{k}\0{v}" for k, v in self.site.private_handles.items())
        return digest(*parts)

    def recorded(self, route: Route, pairs: frozenset) -> tuple[tuple, str]:
        """The inputs the route's file was made from (as render() gave them) in their order, and its
        fingerprint: the digest of everything it was made from."""
        return self.inputs.recorded(route.path, pairs)

    def unchanged_each(self, previous: list, pairs: list) -> list[bool]:
        """Whether each file the last build made (its manifest record, its inputs packed as indices into the
        manifest's table `pairs`) would come out the same: every input it was made from (the shell among them)
        has the digest it had then. Each input is valued once per build."""
        return self.inputs.still_packed(pairs, [record.inputs for record in previous])

    # ---- templates ----

    def template(self, name: str, **context) -> bytes:
        self.recorder.record(*THEME)
        try:
            return self.env.get_template(name).render(**context).encode("utf-8")
        except jinja2.TemplateSyntaxError as exc:
            shown = _source_line(exc.source, exc.lineno)
            raise TemplateProblem(SourceError(self._template_path(exc.name or name), exc.lineno or 0,
                                              "template error: this line is not valid template syntax"
                                              + (f": {shown}" if shown else ""),
                                              "check that every {{ is closed by }} and every {% by %}",
                                              code=Code.TEMPLATE)) from None
        except MissingValue as exc:
            path, line = self._failing_template(name)
            what = f"no value '{exc.name}' here" if exc.name else "a value used here is not defined"
            raise TemplateProblem(SourceError(path, line, f"template error: {what}",
                                              "see docs/templates.md for the values each template receives",
                                              code=Code.TEMPLATE)) from None
        except jinja2.TemplateError as exc:
            path, line = self._failing_template(name)
            raise TemplateProblem(SourceError(path, line, f"template error: {type(exc).__name__}",
                                              "see docs/templates.md for the values each template receives",
                                              code=Code.TEMPLATE)) from None
        except Exception as exc:
            # An editor's template that fails as it runs (1 // 0, a filter given the wrong value) is theirs to mend.
            path, line = self._failing_template(name)
            if not path.startswith(LAYOUTS_DIR + "/"):
                raise
            raise TemplateProblem(SourceError(path, line, f"template error: {type(exc).__name__}: {exc}",
                                              "fix the expression on this line", code=Code.TEMPLATE)) from None

    def _template_path(self, name: str) -> str:
        if (self.layouts / name).is_file():
            return f"{LAYOUTS_DIR}/{name}"
        return f"(built-in theme) templates/{name}"

    def _failing_template(self, name: str) -> tuple[str, int]:
        """The innermost template frame of the exception being handled.

        Jinja rewrites tracebacks so that template frames carry the template's
        own file name and line.
        """
        tb = sys.exc_info()[2]
        found = (self._template_path(name), 0)
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            for folder, label in ((self.layouts, LAYOUTS_DIR), (THEME_DIR / "templates", "(built-in theme) templates")):
                if filename.startswith(str(folder) + "/"):
                    found = (f"{label}/{filename[len(str(folder)) + 1:]}", tb.tb_lineno)
            tb = tb.tb_next
        return found

    def page(self, template: str, rel: str, title: str, **context) -> bytes:
        """A page: the frame every page shares (views.common) and the template's own values."""
        frame = self.views.common(rel, title, lang=context.pop("lang", ""),
                                  description=context.pop("description", ""),
                                  noindex=context.pop("noindex", False), feeds=context.pop("feeds", None),
                                  structured=context.pop("structured", None),
                                  og_type=context.pop("og_type", "website"),
                                  entry=context.pop("feeds_of_entry", None))
        return self.template(template, **frame, **context)

    def static(self, name: str) -> bytes:
        """A theme file, or the file of the same name in layouts/ that replaces it."""
        self.recorder.record(*THEME)
        override = self.layouts / name
        return (override if override.is_file() else THEME_DIR / "static" / name).read_bytes()


def theme_digest(layouts: Path) -> str:
    """The digest of the templates and theme files a build may use: the site's layouts/ and the built-in theme."""
    parts = []
    for folder in (layouts, THEME_DIR):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    parts += [str(path.relative_to(folder)), path.read_bytes()]
        parts.append("\0")
    return digest(*parts)


def _source_line(source: str | None, line: int | None) -> str:
    """The template's own line, shortened, to show with a syntax error."""
    if not source or not line:
        return ""
    lines = source.splitlines()
    text = " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
    return text if len(text) <= 80 else text[:77] + "..."
