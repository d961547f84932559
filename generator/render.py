"""Stage 5, render: each route -> the bytes of its file.

Jinja2 with autoescape and StrictUndefined: a typo in a template is an error
naming the template and line, never an empty string on the page. Templates
in the site's layouts/ replace the built-in theme's, name by name.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import jinja2

from .cache import code_digest, digest

from .errors import Code, SourceError
from .entries import Entry
from . import research
from .feeds import FeedItem, entry_id, render_feed
from .site import Intersection, Listing, Route, Site
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


class Renderer:
    def __init__(self, site: Site, site_dir: Path, config_bytes: bytes = b""):
        self.site = site
        self.site_dir = site_dir
        self.layouts = site_dir / LAYOUTS_DIR
        self.views = Views(site)
        self._feed_items: dict[str, FeedItem] = {}
        self._entry_inputs: dict[str, str] = {}
        self._fallback_date: datetime | None = None
        """The newest date of the archive: a feed with no item says it was updated then."""
        self.shell = self._shell_digest(config_bytes)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(self.layouts)),
                                        jinja2.FileSystemLoader(str(THEME_DIR / "templates"))]),
            autoescape=True, undefined=_Undefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True)

    def render(self, route: Route) -> bytes:
        handler = getattr(self, "_" + route.kind.replace("-", "_"))
        return handler(route)

    # ---- what each page depends on, so that unchanged pages are not rendered again ----

    def _shell_digest(self, config_bytes: bytes) -> str:
        """Inputs every page shares: version, site.yaml, templates, navigation, private people."""
        parts = [code_digest(), config_bytes, repr(self.site.config), str(self.site.drafts)]
        for folder in (self.layouts, THEME_DIR):
            if folder.is_dir():
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        parts += [str(path.relative_to(folder)), path.read_bytes()]
        parts += [f"{p.meta.title}\0{self.site.urls[p.path]}" for p in self.site.pages]
        parts += sorted(f"{k}\0{v}" for k, v in self.site.private_handles.items())
        return digest(*parts)

    def entry_inputs(self, entry: Entry) -> str:
        """An entry's own digest plus everything of other entries its page and feed items show."""
        cached = self._entry_inputs.get(entry.path)
        if cached is not None:
            return cached
        site = self.site
        parts = [entry.digest, site.urls.get(entry.path, "")]
        parts += [e.digest for e in site.responses.get(entry.path, [])]
        parts += [e.digest for e in site.responds_to.get(entry.path, [])]
        parts.append(str(site.withdrawn_responses.get(entry.path, 0)))
        parts += sorted(f"{k}\0{v}" for k, v in site.link_targets.get(entry.path, {}).items())
        for embed in entry.embeds:
            thread = site.threads.get(embed.slug) if embed.kind == "thread" else None
            if thread is not None:
                parts += [thread.digest, site.urls.get(thread.path, "")]
        parts += [self.views.tag_title(t) for t in entry.meta.tags]
        result = digest(*parts)
        self._entry_inputs[entry.path] = result
        return result

    def fingerprint(self, route: Route) -> str | None:
        """A digest of everything the route's file is made from; None: always render it (cheap pages)."""
        kind = route.kind
        if kind in ("entry", "withdrawn", "withdrawn-alias", "alias"):
            parts = [self.entry_inputs(route.ref)]
        elif kind in ("listing", "archive-year", "archive-month"):
            listing, term = route.ref
            per_page = self.site.config.pagination
            chunk = listing.entries[(route.page - 1) * per_page: route.page * per_page]
            parts = [listing.title, str(len(listing.entries)), repr(self.views.related(term) if kind == "listing"
                                                                    else None)]
            parts += [self.entry_inputs(e) for e in chunk]
        elif kind == "feed":
            listing = route.ref
            parts = [listing.title] + [self.entry_inputs(e) for e in
                                       listing.feed_entries[: self.site.config.feeds.items]]
        elif kind == "bundle":
            entry, name = route.ref
            st = (self.site_dir / entry.source.bundle_dir / name).stat()
            parts = [str(st.st_size), str(st.st_mtime_ns), str(st.st_ino)]
        else:
            return None
        return digest(self.shell, kind, route.path, str(route.page), *parts)

    # ---- templates ----

    def template(self, name: str, **context) -> bytes:
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

    def _page(self, template: str, rel: str, title: str, **context) -> bytes:
        frame = self.views.common(rel, title, lang=context.pop("lang", ""),
                                  description=context.pop("description", ""),
                                  noindex=context.pop("noindex", False), feeds=context.pop("feeds", None),
                                  structured=context.pop("structured", None),
                                  og_type=context.pop("og_type", "website"))
        return self.template(template, **frame, **context)

    # ---- one method per route kind ----

    def _home(self, route: Route) -> bytes:
        views, site = self.views, self.site
        featured = [e for e in site.listed if e.meta.featured]
        newest = [e for e in site.listed if not e.meta.featured][: site.config.pagination]
        return self._page("home.html", "", site.config.title, feeds="",
                          featured=[views.card(e) for e in featured],
                          newest=[views.card(e) for e in newest],
                          kinds=[{"title": l.title, "url": views.url(l.path), "count": len(l.entries)}
                                 for l in site.kinds.values()],
                          regions=views.term_list("regions"), sectors=views.term_list("sectors"),
                          tags=views.term_list("tags"))

    def _entry(self, route: Route) -> bytes:
        entry = route.ref
        view = self.views.entry(entry)
        return self._page("entry.html", self.site.urls[entry.path], view["title"], lang=entry.meta.lang,
                          description=view["summary"], noindex=entry.meta.draft, entry=view,
                          structured=self.views.structured(entry, view), og_type="article")

    def _withdrawn(self, route: Route) -> bytes:
        # Nothing of the entry but the notice: a title can name a person.
        withdrawal = route.ref.meta.withdrawn
        notice = {"date": self.views.when(withdrawal.date), "reason": withdrawal.reason}
        return self._page("withdrawn.html", self.site.urls[route.ref.path], "Withdrawn", noindex=True,
                          description="This entry was withdrawn.", notice=notice)

    _withdrawn_alias = _withdrawn

    def _alias(self, route: Route) -> bytes:
        target = self.site.urls[route.ref.path]
        return self._page("alias.html", target, "Moved", noindex=True,
                          target={"url": self.views.url(target), "absolute": self.views.absolute(target)})

    def _listing(self, route: Route) -> bytes:
        listing, term = route.ref
        views = self.views
        if term is None:
            heading, kicker = listing.title, ""
        elif isinstance(term, Intersection):
            heading, kicker = listing.title, "Region and sector"
        else:
            heading, kicker = term.title, views.term_of(term)["label"]
        view = views.listing(listing, route.page, heading, kicker)
        view["related"] = views.related(term)
        title = heading if route.page == 1 else f"{heading}, page {route.page}"
        view["lang"] = getattr(term, "lang", "")  # the term's title only: the entries are in their own languages
        return self._page("list.html", route.path.removesuffix("index.html"), title, feeds=listing.path,
                          listing=view)

    def _archive_year(self, route: Route) -> bytes:
        listing, _year = route.ref
        view = self.views.listing(listing, route.page, f"Archive: {listing.title}", "")
        return self._page("list.html", route.path.removesuffix("index.html"), view["heading"], listing=view)

    def _archive_month(self, route: Route) -> bytes:
        listing, (year, month) = route.ref
        heading = f"Archive: {date(year, month, 1):%B %Y}"
        view = self.views.listing(listing, route.page, heading, "")
        return self._page("list.html", route.path.removesuffix("index.html"), heading, listing=view)

    def _archive(self, route: Route) -> bytes:
        return self._page("archive.html", "archive/", "Archive", years=self.views.archive_years())

    def _terms(self, route: Route) -> bytes:
        taxonomy = route.ref
        title = getattr(self.site.config.taxonomies, taxonomy).title
        return self._page("terms.html", f"{taxonomy}/", title, heading=title, taxonomy=taxonomy,
                          terms=self.views.term_list(taxonomy))

    def _search(self, route: Route) -> bytes:
        views, site = self.views, self.site
        indexes = [{"title": getattr(site.config.taxonomies, t).title, "url": views.url(f"{t}/")}
                   for t in ("tags", "regions", "sectors")] + [{"title": "Archive", "url": views.url("archive/")}]
        filters = [
            {"name": "kind", "label": "Kind", "options": [{"value": kind, "title": listing.title}
                                                          for kind, listing in site.kinds.items() if listing.entries]},
            {"name": "regions", "label": "Region", "options": [{"value": t.key, "title": t.title}
                                                               for t in site.terms["regions"]]},
            {"name": "sectors", "label": "Sector", "options": [{"value": t.key, "title": t.title}
                                                               for t in site.terms["sectors"]]},
            {"name": "year", "label": "Year", "options": [{"value": str(y), "title": str(y)}
                                                          for y in sorted(site.archive, reverse=True)]},
        ]
        return self._page("search.html", "search/", "Search", noindex=True, indexes=indexes, filters=filters)

    def _404(self, route: Route) -> bytes:
        return self._page("404.html", "404.html", "Page not found", noindex=True)

    def _bundle(self, route: Route) -> bytes:
        entry, name = route.ref
        return (self.site_dir / entry.source.bundle_dir / name).read_bytes()

    def _static(self, route: Route) -> bytes:
        override = self.layouts / route.ref
        return (override if override.is_file() else THEME_DIR / "static" / route.ref).read_bytes()

    def _feed(self, route: Route) -> bytes:
        listing: Listing = route.ref
        config = self.site.config
        items = [self._feed_item(e) for e in listing.feed_entries[: config.feeds.items]]
        if self._fallback_date is None:
            self._fallback_date = _newest(self.site.everything.feed_entries) or datetime(1970, 1, 1, tzinfo=timezone.utc)
        fallback = self._fallback_date
        return render_feed(route.path.rsplit("/", 1)[-1], listing, items, site_title=config.title,
                           description=config.description, base_url=config.base_url, language=config.language,
                           fallback=fallback)

    def _feed_item(self, entry: Entry) -> FeedItem:
        """Computed once per entry: every feed that carries it reuses it."""
        cached = self._feed_items.get(entry.path)
        if cached is not None:
            return cached
        views, config = self.views, self.site.config
        url = views.absolute(self.site.urls[entry.path])
        meta = entry.meta
        if meta.withdrawn:
            notice = self.template("feed_withdrawn.html", notice={
                "date": views.when(meta.withdrawn.date), "reason": meta.withdrawn.reason}).decode("utf-8")
            text = f"This entry was withdrawn. {meta.withdrawn.reason}"
            item = FeedItem(entry_id(entry, config.base_url), url, "Withdrawn", meta.date.at,
                            meta.withdrawn.date.at, [], [], text, notice.strip(), "")
        else:
            view = views.entry(entry)
            summary = view["summary"]
            if meta.content_warnings:
                summary = f"Content warning: {', '.join(meta.content_warnings)}. {summary}".strip()
            content = ""
            if config.feeds.full_content:
                content = self.template("feed_content.html", entry=view).decode("utf-8").strip()
            else:
                content = self.template("feed_summary.html", entry=view, summary=summary).decode("utf-8").strip()
            authors = [a.name for a in meta.authors] or ([meta.author.name] if meta.author else [])
            categories = [(t.key, views.tag_title(t)) for t in meta.tags]
            for taxonomy in ("regions", "sectors"):
                vocabulary = getattr(config.taxonomies, taxonomy)
                categories += [(slug, vocabulary.term(slug).title) for slug in getattr(meta, taxonomy)]
            item = FeedItem(entry_id(entry, config.base_url), url, view["title"], meta.date.at,
                            (meta.updated or meta.date).at, authors, categories, summary, content,
                            meta.lang or config.language)
        self._feed_items[entry.path] = item
        return item

    def _sitemap(self, route: Route) -> bytes:
        absolute = self.views.absolute
        rows = [(absolute(""), _newest(self.site.listed))]
        for entry in self.site.entries:
            if entry.meta.withdrawn or entry.meta.draft:
                continue
            rows.append((absolute(self.site.urls[entry.path]), (entry.meta.updated or entry.meta.date).at))
        for listing in self.site.kinds.values():
            if listing.entries:
                rows.append((absolute(listing.path), _newest(listing.entries)))
        for taxonomy, terms in self.site.terms.items():
            if terms:
                rows.append((absolute(f"{taxonomy}/"), max(_newest(t.entries) for t in terms)))
            rows += [(absolute(t.path), _newest(t.entries)) for t in terms]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for loc, lastmod in rows:
            stamp = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
            lines.append(f"  <url><loc>{xml_escape(loc)}</loc>{stamp}</url>")
        lines.append("</urlset>")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def _research(self, route: Route) -> bytes:
        """/data/ files, /timeline/ and each entry's cite.json: see generator/research.py."""
        return research.render(self, route)

    def _robots(self, route: Route) -> bytes:
        return f"User-agent: *\nAllow: /\n\nSitemap: {self.views.absolute('sitemap.xml')}\n".encode("utf-8")


def _newest(entries):
    """The newest date (or update) among entries, for lastmod."""
    dates = [(e.meta.updated or e.meta.date).at for e in entries]
    return max(dates) if dates else None


def _source_line(source: str | None, line: int | None) -> str:
    """The template's own line, shortened, to show with a syntax error."""
    if not source or not line:
        return ""
    lines = source.splitlines()
    text = " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
    return text if len(text) <= 80 else text[:77] + "..."
