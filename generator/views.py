"""Views: builds the values templates receive (viewmodels.py, and listmodels.py through listviews.py), never
internal objects.

Templates can be replaced by editors (layouts/), so what they see is a stable,
documented surface (docs/templates.md, written from viewmodels.py): frozen
dataclasses of strings, numbers, lists and Markup for HTML we made safe ourselves.
"""

from __future__ import annotations

import functools
import re

from markupsafe import Markup, escape

from . import viewmodels as vm

from .embeds import PLACEHOLDER_RE
from .markup import MarkedElement, resolve_marked
from .entries import Entry, Post
from .schema import When
from .citation import citation
from .listviews import ListViews
from .platforms import PLATFORM_NAMES
from .kinds import CLOSED_TAXONOMIES, FEED_FORMATS, KIND, LISTED_KINDS, TAXONOMIES, TAXONOMY
from .site import UNPUBLISHED, WITHDRAWN, Site, Term
from .urls import slugify

STATUS_TEXT = {
    "live": "Live on the platform when archived",
    "deleted": "Deleted on the platform; archived copy",
    "protected": "Protected on the platform; archived copy",
    "suspended": "Account suspended on the platform; archived copy",
    "unknown": "Status on the platform unknown; archived copy",
}
THREAD_STATUS_TEXT = {
    "live": "Every post was live on the platform when archived",
    "deleted": "Every post has been deleted on the platform; these are archived copies",
    "protected": "Every post is protected on the platform; these are archived copies",
    "suspended": "The account is suspended on the platform; these are archived copies",
    "unknown": "The posts' status on the platform is unknown; these are archived copies",
}
"""A status that every post of a thread has, said once for the thread."""
_HEADING_RE = re.compile(r"<h([1-6])[\s>]")


class Views(ListViews):
    """Builds view models for one site; holds nothing but the site and its config. The views of listing
    pages are in ListViews (listviews.py); outputs use this one object."""

    def __init__(self, site: Site, record=lambda *key: None):
        self.site = site
        self.record = record
        """Called with the key of every input a view reads (generator/inputs.py): what a page is made of."""
        self.config = site.config
        self.base = site.config.base_path
        self._tag_titles = {t.key: t.title for t in site.terms["tags"]}
        self._tag_keys = set(self._tag_titles)
        # An entry's card is shown on a dozen listing pages, and the same dates on many: each is made once.
        self._cards: dict[str, vm.Card] = {}
        self._dates: dict[When, vm.Date] = {}

    # ---- URLs and dates ----

    def url(self, rel: str) -> str:
        """A site-relative path as a link that works under base_url's path."""
        return self.base + rel

    def absolute(self, rel: str) -> str:
        return self.config.base_url + rel

    def when(self, value: When | None) -> vm.Date | None:
        if value is None:
            return None
        found = self._dates.get(value)
        if found is None:
            found = self._dates[value] = self._date(value)
        return found

    def _date(self, value: When) -> vm.Date:
        at = value.at.astimezone(self.config.tz)
        text = f"{at.day} {at:%B %Y}"
        if value.has_time:
            text += f", {at:%H:%M} {at.tzname()}"
            return vm.Date(at.isoformat(), text)
        return vm.Date(at.date().isoformat(), text)

    # ---- the frame every page shares ----

    def common(self, rel: str, title: str, lang: str = "", description: str = "", noindex: bool = False,
               feeds: str | None = None, structured: dict | None = None,
               og_type: str = "website", entry: Entry | None = None) -> dict[str, vm.Site | vm.Page]:
        """The variables every page receives, `site` and `page`, by name; `feeds` is the path of the listing
        whose feeds the page offers, `entry` the entry an entry page shows (its regions' and sectors' feeds)."""
        config = self.config
        if structured is None and feeds is not None and not noindex:
            structured = {"@context": "https://schema.org", "@type": "CollectionPage", "name": title,
                          "url": self.absolute(rel), "isPartOf": self.website()}
        nav = [vm.Link(kind.title, self.url(f"{kind.section}/")) for kind in LISTED_KINDS]
        nav += [vm.Link(config.taxonomies.of(t.name).title, self.url(f"{t.name}/")) for t in TAXONOMIES]
        nav += [vm.Link("Archive", self.url("archive/")), vm.Link("Timeline", self.url("timeline/"))]
        if config.search:
            nav.append(vm.Link("Search", self.url("search/")))
        site = vm.Site(
            title=config.title,
            description=config.description,
            lang=config.language,
            home_url=self.url(""),
            nav=nav,
            pages=[vm.Link(self.title(p), self.url(self.site.urls[p.path])) for p in self.site.pages]
            + [vm.Link("Open data", self.url("data/"))],
            stylesheet=self.url("style.css"),
        )
        page = vm.Page(
            title=title,
            lang=lang or config.language,
            url=self.url(rel),
            canonical=self.absolute(rel),
            description=description or config.description,
            noindex=noindex,
            feeds=self.feed_links(feeds) if feeds is not None else [],
            alternates=self.alternates(feeds, entry),
            og_type=og_type,
            jsonld=structured,
            search=config.search,
        )
        return {"site": site, "page": page}

    def website(self) -> dict:
        return {"@type": "WebSite", "name": self.config.title, "url": self.config.base_url}

    def structured(self, entry: Entry, view: vm.Entry) -> dict:
        """schema.org JSON-LD of an entry page (escaped for the script tag by the template's tojson)."""
        meta = entry.meta
        data = {
            "@context": "https://schema.org",
            "@type": KIND[entry.kind].schema_type,
            "headline": view.title,
            "url": self.absolute(self.site.urls[entry.path]),
            "datePublished": view.date.iso,
            "inLanguage": meta.lang or self.config.language,
            "isPartOf": self.website(),
            "publisher": {"@type": "Organization", "name": self.config.title},
        }
        if view.summary:
            data["description"] = view.summary
        if view.updated:
            data["dateModified"] = view.updated.iso
        # A stand-in name for an unknown author is no person: left out, as citations leave it out.
        people = [a.name for a in meta.authors if not a.unknown] or ([view.thread.author.name] if view.thread else [])
        if people:
            data["author"] = [{"@type": "Person", "name": name} for name in people]
        keywords = [t.title for group in view.terms for t in group.terms]
        if keywords:
            data["keywords"] = keywords
        if meta.source and meta.source.url:
            data["isBasedOn"] = meta.source.url
        return data

    def feed_links(self, listing_rel: str) -> list[vm.FeedLink]:
        return [vm.FeedLink(f.label, f.mime, self.url(listing_rel + f.file)) for f in FEED_FORMATS]

    def alternates(self, listing_rel: str | None, entry: Entry | None) -> list[vm.FeedLink]:
        """The feeds a page links in its head, each titled in full: its own listing's first (a reader offers
        the first of a type), then the whole archive's, then an entry's regions' and sectors'."""
        listings = [(listing_rel, self._listing_feed_titles[listing_rel])] if listing_rel else []
        listings.append(("", f"{self.config.title} — all entries"))
        # Every entry with a page is listed (drafts too, when built) but pages: its terms have listings.
        if entry is not None and entry.kind != "page":
            for taxonomy in CLOSED_TAXONOMIES:
                terms = self.config.taxonomies.of(taxonomy)
                listings += [(f"{taxonomy}/{key}/", f"{TAXONOMY[taxonomy].label}: {terms.term(key).title}")
                             for key in getattr(entry.meta, taxonomy)]
        found, seen = [], set()
        for rel, title in listings:
            if rel in seen:
                continue
            seen.add(rel)
            found += [vm.FeedLink(f"{title} ({f.label})", f.mime, self.url(rel + f.file)) for f in FEED_FORMATS]
        return found

    @functools.cached_property
    def _listing_feed_titles(self) -> dict[str, str]:
        """What each listing's feeds carry, as their titles say: `Articles`, `Region: United States`."""
        return {listing.path: f"{TAXONOMY[term.taxonomy].label}: {term.title}" if isinstance(term, Term)
                else listing.title for listing, term in self.site.listings()}

    # ---- entries ----

    def card(self, entry: Entry) -> vm.Card:
        """An entry as listings show it: made of the entry alone (and what every file shares)."""
        found = self._cards.get(entry.path)
        if found is None:
            found = self._cards[entry.path] = vm.Card(**self._card_fields(entry))
        else:
            self.record("entry", entry.path)  # what _card_fields records
        return found

    def forget_cards(self) -> None:
        """Let go of the cards made so far (one per entry once every listing is rendered): the rest of a build
        needs none, and a card asked for again is made again."""
        self._cards = {}

    def _card_fields(self, entry: Entry) -> dict:
        """The fields of a card, which an entry's page view shares."""
        self.record("entry", entry.path)
        meta = entry.meta
        return {
            "title": self.title(entry),
            "url": self.url(self.site.urls[entry.path]),
            "kind": entry.kind,
            "kind_label": KIND[entry.kind].label,
            "date": self.when(meta.date),
            "summary": self.redact(entry.summary),
            "authors": self.authors(entry),
            "content_warnings": list(meta.content_warnings),
            "collapse": bool(meta.content_warnings) and meta.content_warnings_collapse,
            "featured": meta.featured,
            "draft": meta.draft,
            "lang": meta.lang,
            "parts": self.parts_note(entry) if entry.kind == "thread" else "",
        }

    def known_tag_title(self, key: str) -> str:
        """The title of the tag with this key, or '' when no listed entry has it (it has no page)."""
        return self._tag_titles.get(key, "")

    def tag_title(self, tag) -> str:
        """A tag as first written in the oldest listed entry that uses it."""
        self.record("tag", tag.key)
        return self._tag_titles.get(tag.key, tag.display)

    def title(self, entry: Entry) -> str:
        """An entry's title as shown anywhere: @mentions of private people replaced by their names."""
        self.record("entry", entry.path)
        return self.redact(entry.meta.title)

    def authors(self, entry: Entry) -> list[vm.Author]:
        return [vm.Author(a.name, a.url) for a in entry.meta.authors]

    def terms_of(self, entry: Entry) -> list[vm.TermGroup]:
        groups = []
        # Closed vocabularies first (where, which part of society), then the free tags.
        for taxonomy, label in ((t.name, t.plural) for t in sorted(TAXONOMIES, key=lambda t: not t.closed)):
            if taxonomy == "tags":
                # Shown as first written in the oldest entry, on every page.
                items = [vm.Link(self.tag_title(t), self.url(f"tags/{t.key}/")) for t in entry.meta.tags]
            else:
                vocabulary = self.config.taxonomies.of(taxonomy)
                items = [vm.Link(vocabulary.term(s).title, self.url(f"{taxonomy}/{s}/"))
                         for s in getattr(entry.meta, taxonomy)]
            if items:
                groups.append(vm.TermGroup(taxonomy, label, items))
        return groups

    def entry(self, entry: Entry) -> vm.Entry:
        meta = entry.meta
        card = self._card_fields(entry)
        self.record("responses", entry.path)
        links = [vm.Response(self.title(e), self.url(self.site.urls[e.path]), KIND[e.kind].label)
                 for e in self.site.responds_to.get(entry.path, [])]
        # A withdrawn entry's title may name a person: only say that it was withdrawn.
        links += [vm.Response("an entry since withdrawn", "", "")] * self.site.withdrawn_responses.get(entry.path, 0)
        responses = [self.card(e) for e in self.site.responses.get(entry.path, [])]
        return vm.Entry(
            **card,
            updated=self.when(meta.updated),
            # A summary taken from the body's first paragraph is not a dek: the body shows it already.
            dek=self.redact(meta.summary) if meta.summary else "",
            body_parts=self.body_parts(entry),
            terms=self.terms_of(entry),
            responds_to=links,
            responses=responses,
            source=self.source(entry),
            thread=self.thread(entry) if entry.kind == "thread" else None,
            cite=self.citation(entry),
        )

    def notice(self, entry: Entry) -> vm.Notice:
        """All a withdrawn entry's page and feed items show: a title can name a person."""
        withdrawal = entry.meta.withdrawn
        return vm.Notice(self.when(withdrawal.date), withdrawal.reason)

    def alias_target(self, rel: str) -> vm.AliasTarget:
        return vm.AliasTarget(self.url(rel), self.absolute(rel))

    def citation(self, entry: Entry) -> vm.Citation | None:
        """How to cite the entry (see generator/citation.py)."""
        self.record("entry", entry.path)
        return citation(self, entry)

    def resolve_links(self, entry: Entry) -> str:
        """The body with each link to another entry's file (marked as it was rendered, see markup.py) made the
        target's URL, and each link to a URL of the site as written; to a draft or a withdrawn entry, either
        way, its text, marked unavailable."""
        self.record("links", entry.path)
        targets = self.site.link_targets.get(entry.path, {})

        def resolve(element: MarkedElement) -> str:
            if element.index >= len(entry.links):
                return element.content  # no text can forge a marker (see markup.py); never an IndexError
            link = entry.links[element.index]
            target = targets.get(link.href + link.fragment)
            if target == WITHDRAWN:
                return f'<span class="unavailable">{element.content} <em>(withdrawn)</em></span>'
            if target == UNPUBLISHED:
                return f'<span class="unavailable">{element.content}</span>'
            if target is None:  # a URL of the site, kept as written; else the build stopped with an error
                return element.with_url(link.href + link.fragment)
            return element.with_url(self.url(target))

        return resolve_marked(entry.body_html, resolve)

    def source(self, entry: Entry) -> vm.Source | None:
        source = entry.meta.source
        if source is None:
            return None
        return vm.Source(source.title, source.publisher, source.url, source.archived_url,
                         self.when(source.published))

    def parts_note(self, entry: Entry) -> str:
        meta = entry.meta
        count = len(meta.posts)
        if meta.parts_total:
            return f"{count} of {meta.parts_total} parts"
        return f"{count} post" + ("" if count == 1 else "s")

    def thread(self, entry: Entry) -> vm.Thread:
        meta = entry.meta
        author = self.person(meta.author)
        posts = [self.post(p, meta.platform, author, meta.parts_total) for p in meta.posts]
        missing = []
        if meta.parts_total:
            captured = {p.n for p in meta.posts if p.n}
            missing = [n for n in range(1, meta.parts_total + 1) if n not in captured]
        statuses = {p.status for p in posts}
        shared = statuses.pop() if len(statuses) == 1 else ""
        return vm.Thread(
            title=self.title(entry),
            url=self.url(self.site.urls[entry.path]) if entry.path in self.site.urls else "",
            platform=PLATFORM_NAMES[meta.platform],
            author=author,
            parts_total=meta.parts_total,
            posts=posts,
            missing=missing,
            missing_text=_missing_text(missing, meta.parts_total),
            items=_with_gaps(posts, meta.parts_total),
            status=shared,
            status_text=THREAD_STATUS_TEXT[shared] if shared else "",
        )

    def person(self, person) -> vm.Person:
        """A platform author; a private person's handle and profile URL never leave this method."""
        private = self.site.privacy.is_private(person)
        return vm.Person(person.name, "" if private else person.handle, "" if private else person.url, private)

    def post(self, post: Post, platform: str, author: vm.Person, parts_total: int | None = None) -> vm.Post:
        return vm.Post(
            n=post.n,
            position=f"{post.n}/{parts_total}" if post.n and parts_total else (str(post.n) if post.n else ""),
            platform=PLATFORM_NAMES[platform],
            author=author,
            text=self.post_text(post.text, platform),
            date=self.when(post.date),
            # On most platforms a post's URL carries its author's handle.
            url="" if author.private else post.url,
            lang=post.lang,
            status=post.status,
            status_text=STATUS_TEXT[post.status],
            media=[vm.Image(m.src, self.redact(m.alt, platform)) for m in post.media],
        )

    def redact(self, text: str, platform: str = "") -> str:
        """Every @mention of a private person replaced by the name the editor gave (see privacy.py)."""
        return self.site.privacy.redact(text, platform)

    def post_text(self, text: str, platform: str) -> Markup:
        """Escaped post text with its URLs, known #hashtags and public @mentions as links."""
        out = []
        last = 0
        for match in _TOKEN_RE.finditer(text):
            out.append(escape(text[last:match.start()]))
            out.append(self._token(match, platform))
            last = match.end()
        out.append(escape(text[last:]))
        return Markup("".join(str(part) for part in out))

    def _token(self, match: re.Match, platform: str) -> Markup:
        url, tag, mention = match.group("url"), match.group("tag"), match.group("mention")
        if url:
            trimmed = url.rstrip(".,;:!?)\u2026")
            rest = url[len(trimmed):]
            return Markup('<a href="{0}" rel="nofollow">{0}</a>{1}').format(trimmed, rest)
        if tag:
            key = slugify(tag[1:])
            self.record("tag", key)  # a link while the tag has a page, text once it has none
            if key in self._tag_keys:
                return Markup('<a href="{}" rel="tag">{}</a>').format(self.url(f"tags/{key}/"), tag)
            return escape(tag)
        handle = mention[1:]
        name = self.site.privacy.mention_name(handle, platform)
        if name is not None:
            return escape(name)
        profile = _profile_url(platform, handle)
        return Markup('<a href="{}" rel="nofollow">{}</a>').format(profile, mention) if profile else escape(mention)

    def body_parts(self, entry: Entry) -> list[vm.BodyPart]:
        """The body as HTML pieces with the embedded posts and threads between them."""
        body = self.site.privacy.redact_html(self.resolve_links(entry))
        parts = []
        heading = 1  # the page's title; an embedded thread's heading goes one below the last heading before it
        pieces = PLACEHOLDER_RE.split(body)
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                if piece.strip():
                    parts.append(vm.BodyPart("html", html=Markup(piece)))
                    levels = _HEADING_RE.findall(piece) if index + 1 < len(pieces) else ()  # an embed follows
                    heading = int(levels[-1]) if levels else heading
                continue
            if int(piece) >= len(entry.embeds):
                continue  # no content can forge a marker (see embeds.py); never an IndexError all the same
            embed = entry.embeds[int(piece)]
            if embed.kind == "post":
                block = embed.post
                parts.append(vm.BodyPart("post", post=self.post(block, block.platform, self.person(block.author))))
            else:
                parts.append(self.embedded_thread(embed.slug, min(heading + 1, 6)))
        return parts

    def embedded_thread(self, slug: str, heading_level: int = 2) -> vm.BodyPart:
        self.record("thread", slug)
        thread = self.site.threads[slug]
        if thread.meta.withdrawn:
            return vm.BodyPart("withdrawn", text="An archived thread embedded here has been withdrawn.")
        if thread.path not in self.site.urls:
            return vm.BodyPart("unavailable", text="An archived thread embedded here is not published.")
        return vm.BodyPart("thread", thread=self.thread(thread), heading_level=heading_level)


_TOKEN_RE = re.compile(r"(?P<url>https?://[^\s<>\"]+)|(?P<tag>(?<![\w&])#\w+)"
                       r"|(?P<mention>(?<![\w@/])@[A-Za-z0-9_](?:[A-Za-z0-9_.@-]*[A-Za-z0-9_])?)")
PROFILE_URLS = {"twitter": "https://twitter.com/{}", "x": "https://x.com/{}",
                "bluesky": "https://bsky.app/profile/{}", "instagram": "https://www.instagram.com/{}/"}


def _profile_url(platform: str, handle: str) -> str:
    if platform == "mastodon" and handle.count("@") == 1:
        user, host = handle.split("@")
        return f"https://{host}/@{user}"
    template = PROFILE_URLS.get(platform)
    return template.format(handle) if template and "@" not in handle else ""


def _with_gaps(posts: list[vm.Post], total: int | None) -> list[vm.ThreadItem]:
    """The posts with a marker, in place, for each run of parts that was not archived."""
    if not total:
        return [vm.ThreadItem("post", post=p) for p in posts]
    items, expected = [], 1
    for post in posts:
        if post.n and post.n > expected:
            items.append(vm.ThreadItem("gap", text=_gap_text(expected, post.n - 1, total)))
        items.append(vm.ThreadItem("post", post=post))
        expected = max(expected, (post.n or 0) + 1)
    if expected <= total:
        items.append(vm.ThreadItem("gap", text=_gap_text(expected, total, total)))
    return items


def _gap_text(first: int, last: int, total: int) -> str:
    if first == last:
        return f"Part {first} of {total} was not archived."
    return f"Parts {first} to {last} of {total} were not archived."


def _missing_text(missing: list[int], total: int | None) -> str:
    if not missing or not total:
        return ""
    # A run of three or more is said as one ("4 to 9"); a pair reads better as two numbers.
    listed = ", ".join(f"{first} to {last}" if last - first >= 2 else ", ".join(map(str, range(first, last + 1)))
                       for first, last in _runs(missing))
    noun = "Part" if len(missing) == 1 else "Parts"
    verb = "was" if len(missing) == 1 else "were"
    return f"{noun} {listed} of {total} {verb} not archived."


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Ascending numbers as (first, last) of each run of consecutive ones: [1, 4, 5, 6] is [(1, 1), (4, 6)]."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
