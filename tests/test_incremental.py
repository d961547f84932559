"""The cache and the process pool never change what is built: incremental == clean, any --jobs."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import note, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conftest import BASE_CONFIG, entry, run, tree, write_files

SITE = {
    "content/articles/a.md": entry("Alpha", "2017-10-17", body="Alpha body, see [B](b.md).", tags=["x", "y"],
                                   regions=["us"], sectors=["sports"]),
    "content/articles/b.md": entry("Beta", "2017-10-16", tags=["y"], regions=["france"], sectors=["sports"]),
    "content/articles/c.md": entry("Gamma", "2017-09-01", tags=["z"], regions=["us"]),
    "content/takes/t.md": entry("Take", "2017-10-18", authors=["Jane"], responds_to=["a"], tags=["x"]),
    "content/threads/th.md": entry("Thread", "2017-10-15", platform="twitter",
                                   author={"name": "P", "handle": "ph", "private": True},
                                   posts=[{"n": 1, "text": "one #x"}]),
    "content/articles/d/index.md": entry("Delta", "2017-08-01", body="![p](p.jpg)\n\n```thread\nth\n```"),
    "content/articles/d/p.jpg": b"jpegbytes",
    "content/pages/about.md": entry("About"),
}


def edit_body(site):
    (site / "content/articles/c.md").write_text(entry("Gamma", "2017-09-01", body="New body.", tags=["z"],
                                                      regions=["us"]))


def edit_tags(site):
    (site / "content/articles/b.md").write_text(entry("Beta", "2017-10-16", tags=["y", "new-tag"],
                                                      regions=["france"], sectors=["sports"]))


def edit_region(site):
    (site / "content/articles/c.md").write_text(entry("Gamma", "2017-09-01", tags=["z"], regions=["france"]))


def withdraw(site):
    (site / "content/articles/b.md").write_text(entry("Beta", "2017-10-16", tags=["y"], regions=["france"],
                                                      withdrawn={"date": "2018-01-01", "reason": "Asked."}))


def delete(site):
    (site / "content/articles/a.md").unlink()
    (site / "content/takes/t.md").write_text(entry("Take", "2017-10-18", authors=["Jane"], tags=["x"]))


def edit_template(site):
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/404.html").write_text('{% extends "base.html" %}{% block main %}<h1>Lost</h1>{% endblock %}')


def edit_config(site):
    (site / "site.yaml").write_text(BASE_CONFIG.replace("Test archive", "Renamed archive"))


def edit_bundle_file(site):
    (site / "content/articles/d/p.jpg").write_bytes(b"other jpeg bytes")


def edit_thread(site):
    (site / "content/threads/th.md").write_text(entry("Thread", "2017-10-15", platform="twitter",
                                                      author={"name": "P", "handle": "ph", "private": True},
                                                      posts=[{"n": 1, "text": "one changed #x"}]))


@pytest.mark.parametrize("edit", [edit_body, edit_tags, edit_region, withdraw, delete, edit_template, edit_config,
                                  edit_bundle_file, edit_thread])
def test_incremental_build_equals_clean_build(tmp_path, edit):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    edit(site)
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("output", ".chorus-cache"))
    assert run("build", "--site", str(clean)).code == 0
    assert tree(site / "output") == tree(clean / "output")


def test_second_build_writes_nothing(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "output").rglob("*")}
    result = run("build", "--site", str(site))
    assert result.code == 0 and " files (0 written) " in result.out
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "output").rglob("*")}
    assert before == after
    assert (site / "output").stat().st_ino == os.stat(site / "output").st_ino


def test_one_edit_writes_only_the_files_it_changes(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    edit_body(site)
    result = run("build", "--site", str(site))
    written = int(result.out.split(" files (")[1].split(" written")[0])
    # its page, the listings and feeds that show it, the data files and the search index: not the whole site
    assert 0 < written < 45, result.out


def test_output_is_the_same_whatever_the_number_of_jobs(tmp_path):
    files = dict(SITE)
    for i in range(150):  # enough routes for the pool to be used
        files[f"content/articles/n{i:03d}.md"] = entry(f"N{i}", f"2016-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                                       tags=[f"t{i % 7}"], regions=["us"])
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **files})
    assert run("build", "--site", str(site), "--jobs", "1", "--out", str(tmp_path / "one")).code == 0
    shutil.rmtree(site / ".chorus-cache")
    assert run("build", "--site", str(site), "--jobs", "2", "--out", str(tmp_path / "two")).code == 0
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_corrupt_cache_is_rebuilt_not_trusted(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    good = tree(site / "output")
    corrupted = [path for path in (site / ".chorus-cache").rglob("*") if path.is_file()]
    assert any(path.parent.name == "templates" for path in corrupted)  # compiled templates among them
    for path in corrupted:
        path.write_bytes(b"garbage" * 100)
    shutil.rmtree(site / "output")
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    assert tree(site / "output") == good


def test_a_cache_folder_that_cannot_keep_compiled_templates_costs_only_time(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    good = tree(site / "output")
    shutil.rmtree(site / ".chorus-cache/templates")
    (site / ".chorus-cache/templates").write_text("not a folder")
    shutil.rmtree(site / "output")
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    assert tree(site / "output") == good


def test_a_hand_edited_output_file_is_rewritten(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG, **SITE})
    assert run("build", "--site", str(site)).code == 0
    good = tree(site / "output")
    (site / "output/articles/a/index.html").write_text("vandalised")
    (site / "output/stray.html").write_text("stray")
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == good


def test_an_edit_after_a_no_change_build_keeps_the_unchanged_search_index(tmp_path):
    site = write_files(tmp_path / "site", {"site.yaml": BASE_CONFIG + "search: true\n", **SITE})
    assert run("build", "--site", str(site)).code == 0
    assert run("build", "--site", str(site)).code == 0  # no change
    index = {p: p.stat().st_ino for p in (site / "output/pagefind").rglob("*") if p.is_file()}
    edit_body(site)
    assert run("build", "--site", str(site)).code == 0
    kept = [p for p, inode in index.items() if p.exists() and p.stat().st_ino == inode]
    assert len(kept) > len(index) / 2  # the index's unchanged files are the old files, not copies


# ---- the property: after any sequence of edits, the incremental build equals a clean build, byte for byte ----
#
# A model of a small archive (every kind, with what ties entries together: links in each Markdown form,
# responses, thread and post blocks whose #hashtags link to tag pages, aliases, a bundle's image, pages, private
# people) is edited at random; each edit is written to disk and the site is built twice: incrementally in place,
# and from a copy of its sources alone (no output/, no .chorus-cache/). Entries are named by a stable key ("a1",
# "h3"...) that outlives renames. A failing run prints its steps, each with a note of what it did to which file.

KIND_DIRS = {"article": "articles", "take": "takes", "thread": "threads", "page": "pages"}
WORDS = ("harbour", "lantern", "meadow", "orchard", "quarry", "tundra")
TAGS = ("MeToo", "METOO", "sports", "law", "OnlyA2", "OnlyH3", "Fresh")
"""Tags edits add or remove, and #hashtags they put in posts: "METOO" is how "MeToo" is shown when the oldest
entry with it writes it so, each "Only..." is the tag of one entry, and no entry has "Fresh" at first."""
REGIONS = ("us", "usa", "france", "india")  # "usa" is an alias of "us" in site.yaml
THEME = Path(__file__).resolve().parent.parent / "generator" / "theme"
TEMPLATE_EDITS = {  # a layouts/ override: the theme's file with one change a reader would see
    "base.html": ("templates/base.html", '<footer class="colophon">', '<footer class="colophon edited">'),
    "_posts.html": ("templates/_posts.html", '<article class="post"', '<article class="post edited"'),
    "entry.html": ("templates/entry.html", "{% block main %}", "{% block main %}<p>Edited.</p>"),
    "style.css": ("static/style.css", "box-sizing: border-box;", "box-sizing: content-box;"),
}


@dataclass
class Doc:
    """One entry file of the model; references to other entries are by key, written as their current path or slug."""

    kind: str
    name: str
    title: str
    date: str
    words: str = "Plain words."
    slug: str | None = None
    bundle: bool = False
    tags: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    thread_block: str | None = None
    quote: list[str] | None = None
    """The #hashtags of the entry's post block (a private person's post); None: it has none."""
    responds_to: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    private: bool = False
    updated: str | None = None
    featured: bool = False
    draft: bool = False
    withdrawn: bool = False


@dataclass(frozen=True)
class SiteSettings:
    """site.yaml as edits change it."""

    title: str = "Generated archive"
    pagination: int = 2
    france: str = "France"
    feed_items: int = 50
    full_content: bool = True
    search: bool = False

    def yaml(self) -> str:
        return f"""\
title: {self.title}
description: A generated archive.
base_url: https://archive.example.org/
language: en
timezone: UTC
search: {str(self.search).lower()}
taxonomies:
  tags: {{title: Tags}}
  regions:
    title: Regions
    terms:
      us: {{title: United States, aliases: [usa]}}
      france: {{title: {self.france}, lang: fr}}
      india: {{title: India}}
  sectors:
    title: Sectors
    terms:
      sports: {{title: Sports}}
      workplace: {{title: Workplace}}
feeds:
  items: {self.feed_items}
  full_content: {str(self.full_content).lower()}
pagination: {self.pagination}
"""


@dataclass
class Model:
    """The site's sources: entries by key, site.yaml, layouts/ overrides, the bundles' files."""

    docs: dict[str, Doc]
    settings: SiteSettings
    layouts: dict[str, str] = field(default_factory=dict)
    image: bytes = b"\xff\xd8\xff\xe0 first image"
    notes: bool = False
    """Whether every bundle also holds notes.pdf."""
    made: int = 0
    """How many names were made (renames, new entries): each new name is unique."""

    def path(self, key: str) -> str:
        doc = self.docs[key]
        folder = f"content/{KIND_DIRS[doc.kind]}/{doc.name}"
        return f"{folder}/index.md" if doc.bundle else f"{folder}.md"

    def slug(self, key: str) -> str:
        return self.docs[key].slug or self.docs[key].name

    def url(self, key: str) -> str:
        doc = self.docs[key]
        return f"/{self.slug(key)}/" if doc.kind == "page" else f"/{KIND_DIRS[doc.kind]}/{self.slug(key)}/"

    def new_name(self, stem: str) -> str:
        self.made += 1
        return f"{stem}-{self.made}"

    def pick(self, i: int, wanted=lambda doc: True) -> tuple[str, Doc]:
        """The entry at i among those wanted (a rule that wants some has a precondition that there are)."""
        keys = [key for key, doc in self.docs.items() if wanted(doc)]
        return keys[i % len(keys)], self.docs[keys[i % len(keys)]]

    def has(self, wanted) -> bool:
        return any(wanted(doc) for doc in self.docs.values())

    def forget(self, gone: str) -> None:
        """What an editor does before deleting an entry: take out every reference to it."""
        for doc in self.docs.values():
            doc.links = [key for key in doc.links if key != gone]
            doc.responds_to = [key for key in doc.responds_to if key != gone]
            if doc.thread_block == gone:
                doc.thread_block = None

    def files(self) -> dict[str, bytes]:
        files = {"site.yaml": self.settings.yaml().encode()}
        files.update({f"layouts/{name}": text.encode() for name, text in self.layouts.items()})
        for key, doc in self.docs.items():
            files[self.path(key)] = self._text(key, doc).encode()
            if doc.bundle:
                files[self.path(key).replace("index.md", "photo.jpg")] = self.image
                if self.notes:
                    files[self.path(key).replace("index.md", "notes.pdf")] = b"%PDF-1.4 notes"
        return files

    def _text(self, key: str, doc: Doc) -> str:
        keys: dict = {}
        if doc.slug:
            keys["slug"] = doc.slug
        for name in ("tags", "regions", "sectors", "aliases"):
            if getattr(doc, name):
                keys[name] = getattr(doc, name)
        if doc.kind == "take":
            keys["authors"] = ["Jane Roe"]
        if doc.responds_to:
            keys["responds_to"] = [self.slug(target) for target in doc.responds_to]
        if doc.kind == "thread":
            keys |= {"platform": "twitter", "author": {"name": f"Author {key}", "handle": f"{key}person",
                                                       "private": doc.private},
                     "posts": [{"n": n, "text": text} for n, text in enumerate(doc.posts, 1)]}
        if doc.updated:
            keys["updated"] = doc.updated
        if doc.featured:
            keys["featured"] = True
        if doc.draft:
            keys["draft"] = True
        if doc.withdrawn:
            keys["withdrawn"] = {"date": "2018-01-01", "reason": "Removed at the author's request."}
        return entry(doc.title, doc.date, body=self._body(key, doc), **keys)

    def _body(self, key: str, doc: Doc) -> str:
        here = os.path.dirname(self.path(key))
        parts = [doc.words]
        references = []
        for n, target in enumerate(doc.links):
            href = os.path.relpath(self.path(target), here)
            # every form a link can take in Markdown: inline, inline with a title, by reference
            if n % 3 == 0:
                parts.append(f"See [this entry]({href}).")
            elif n % 3 == 1:
                parts.append(f'See [that entry]({href} "a title").')
            else:
                parts.append(f"See [another entry][ref{n}].")
                references.append(f"[ref{n}]: {href}")
        if doc.bundle:
            parts.append("![A photograph](photo.jpg)")
        if doc.quote is not None:
            text = " ".join(["It happened to me too"] + [f"#{tag}" for tag in doc.quote])
            parts.append(f"```post\nplatform: twitter\nauthor: {{name: Quoted Person, handle: quoted{key}, "
                         f"private: true}}\ndate: 2017-10-16\ntext: \"{text}\"\n```")
        if doc.thread_block:
            parts.append(f"```thread\n{self.slug(doc.thread_block)}\n```")
        return "\n\n".join(parts + references)


def base_model(search: bool = False) -> Model:
    """Seven articles, six takes, six threads and two pages. Six entries have a tag of their own ("OnlyA2"...) that
    posts elsewhere (the thread h6, the post blocks of a1 and a4) name as a #hashtag: a withdrawal, a draft, a
    deletion or a tag's removal takes away a tag page those posts link to."""
    docs = {
        "a1": Doc("article", "a1", "Alpha report", "2017-10-17", tags=["MeToo", "sports"], regions=["us"],
                  sectors=["sports"], links=["t1", "h2", "p1"], quote=["MeToo", "OnlyT2", "OnlyH3", "Fresh"]),
        "a2": Doc("article", "a2", "Beta report", "2017-10-16", tags=["OnlyA2"], regions=["france"],
                  aliases=["/2017/10/beta/", "/old/beta.html"], featured=True),
        "a3": Doc("article", "a3", "Gamma report", "2017-10-01", bundle=True, tags=["film"], regions=["india"],
                  thread_block="h1", links=["a2"]),
        "a4": Doc("article", "a4", "Delta report", "2017-09-20", slug="delta-story", tags=["law", "MeToo", "OnlyA4"],
                  regions=["usa"], sectors=["workplace"], quote=["OnlyH5", "OnlyT4"], updated="2017-12-01"),
        "a5": Doc("article", "a5", "Epsilon report", "2017-11-02", tags=["media"], draft=True),
        "a6": Doc("article", "a6", "Zeta report", "2017-10-17", tags=["sports"], regions=["us", "france"],
                  links=["a5", "a4"]),
        "a7": Doc("article", "a7", "Eta report", "2017-08-30", tags=["MeToo"], sectors=["sports"],
                  thread_block="h4"),
        "t1": Doc("take", "t1", "First take", "2017-10-18", tags=["MeToo"], responds_to=["a1"]),
        "t2": Doc("take", "t2", "Second take", "2017-10-19", tags=["law", "OnlyT2"], responds_to=["a2"],
                  regions=["france"]),
        "t3": Doc("take", "t3", "Third take", "2017-10-20", responds_to=["a1", "a4"], links=["h1"]),
        "t4": Doc("take", "t4", "Fourth take", "2017-11-03", responds_to=["a5"], tags=["media", "OnlyT4"]),
        "t5": Doc("take", "t5", "Fifth take", "2017-09-21", responds_to=["a6"], sectors=["workplace"]),
        "t6": Doc("take", "t6", "Sixth take", "2017-10-02", tags=["film"], featured=True),
        "h1": Doc("thread", "h1", "First thread", "2017-10-15", tags=["MeToo"], regions=["us"], private=True,
                  posts=["It started at work #OnlyA2", "Nobody listened #MeToo"]),
        "h2": Doc("thread", "h2", "Second thread", "2017-10-14", tags=["sports"], posts=["On the team #sports"]),
        "h3": Doc("thread", "h3", "Third thread", "2017-10-13", tags=["OnlyH3"], regions=["india"],
                  posts=["Part one, after @h2person", "Part two #film"]),
        "h4": Doc("thread", "h4", "Fourth thread", "2017-09-12", tags=["law", "METOO"], posts=["About the law #law"],
                  private=True),
        "h5": Doc("thread", "h5", "Fifth thread", "2017-10-11", slug="fifth", tags=["OnlyH5"], posts=["Plain #media"]),
        "h6": Doc("thread", "h6", "Sixth thread", "2017-11-10", tags=["film", "MeToo"], sectors=["sports"],
                  posts=["In the studio", "Later #OnlyA2 #OnlyA4 #OnlyT4 #OnlyH5 #Fresh #film"]),
        "p1": Doc("page", "p1", "About", "2017-10-20", links=["a1"]),
        "p2": Doc("page", "p2", "Ethics", "2017-10-21"),
    }
    return Model(docs, SiteSettings(search=search))


def describe(incremental: dict[str, bytes], clean: dict[str, bytes], most: int = 12) -> str:
    """Which files differ between the incremental and the clean output (the first `most`), each with its first
    difference."""
    found = []
    for rel in sorted(set(incremental) | set(clean)):
        if rel not in clean:
            found.append(f"only in the incremental build: {rel}")
        elif rel not in incremental:
            found.append(f"only in the clean build: {rel}")
        elif incremental[rel] != clean[rel]:
            at = next((n for n, (a, b) in enumerate(zip(incremental[rel], clean[rel])) if a != b),
                      min(len(incremental[rel]), len(clean[rel])))
            found.append(f"differs: {rel}\n    clean:       {clean[rel][max(0, at - 60):at + 80]!r}"
                         f"\n    incremental: {incremental[rel][max(0, at - 60):at + 80]!r}")
    return "\n".join(found[:most] + ([f"... and {len(found) - most} more files"] if len(found) > most else []))


PICK = st.integers(0, 63)
"""An entry, by position among the entries an edit applies to (modulo their number)."""


def _has_posts(doc: Doc) -> bool:
    return bool(doc.posts) or doc.quote is not None


def _is_thread(doc: Doc) -> bool:
    return doc.kind == "thread"


def _not_page(doc: Doc) -> bool:
    return doc.kind != "page"


def _published(doc: Doc) -> bool:
    return not doc.draft


class IncrementalEqualsClean(RuleBasedStateMachine):
    """The model's site on disk, built once; each rule edits the model, the invariant writes and compares."""

    search = False

    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="chorus-incremental-"))
        self.site = self.tmp / "site"
        self.model = base_model(self.search)
        self.clock = time.time_ns()
        self.changed = False
        self._write()
        first = run("build", "--site", str(self.site))
        assert first.code == 0, first.err

    def teardown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- writing the model to disk, building, comparing ----

    def _write(self) -> None:
        """Bring the site folder to the model: write files whose bytes changed, delete files that are gone."""
        want = self.model.files()
        have = {str(p.relative_to(self.site)) for folder in ("content", "layouts") if (self.site / folder).is_dir()
                for p in (self.site / folder).rglob("*") if p.is_file()}
        have |= {"site.yaml"} if (self.site / "site.yaml").is_file() else set()
        for rel in sorted(have - set(want)):
            (self.site / rel).unlink()
            self.changed = True
        for folder in sorted({p for rel in have for p in (self.site / rel).parents if self.site in p.parents},
                             reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        for rel, data in want.items():
            path = self.site / rel
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            # Bundle files are fingerprinted by their stat: a later edit must never share an mtime with the last.
            self.clock += 1_000_000_000
            os.utime(path, ns=(self.clock, self.clock))
            self.changed = True

    def _clean_build(self):
        """A build of a copy of the site's sources alone (not its output, its cache, or the replaced output
        that a build may leave to a background process to delete)."""
        clean = self.tmp / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir()
        shutil.copy2(self.site / "site.yaml", clean / "site.yaml")
        for folder in ("content", "layouts"):
            if (self.site / folder).is_dir():
                shutil.copytree(self.site / folder, clean / folder)
        return run("build", "--site", str(clean)), clean / "output"

    def _both_fail_alike(self) -> None:
        incremental = run("build", "--site", str(self.site))
        clean, _ = self._clean_build()
        assert incremental.code == clean.code == 1, (incremental.err, clean.err)
        assert incremental.err == clean.err

    @invariant()
    def incremental_build_equals_clean_build(self):
        """The edit written, an incremental build in place gives the very bytes of a build from nothing."""
        self._write()
        if not self.changed:
            return  # the same files as at the last comparison (or the first build)
        self.changed = False
        incremental = run("build", "--site", str(self.site))
        assert incremental.code == 0, incremental.err
        clean, clean_out = self._clean_build()
        assert clean.code == 0, clean.err
        difference = describe(tree(self.site / "output"), tree(clean_out))
        assert not difference, difference

    def _note(self, what: str, key: str | None = None) -> None:
        note(f"{what} {self.model.path(key)}" if key else what)

    # ---- edits ----

    @rule(i=PICK, word=st.sampled_from(WORDS))
    def edit_body(self, i, word):
        key, doc = self.model.pick(i)
        doc.words = f"Plain words about the {word}."
        self._note(f"body: {word} in", key)

    @rule(i=PICK, word=st.sampled_from(WORDS))
    def edit_title(self, i, word):
        key, doc = self.model.pick(i)
        doc.title = f"{doc.title.split()[0]} {word}"
        self._note(f"title: {doc.title!r} in", key)

    @rule(i=PICK, month=st.integers(8, 11), day=st.integers(1, 28), updated=st.booleans())
    def edit_date(self, i, month, day, updated):
        """The date, or the date of the last update (a month later, so after every date)."""
        key, doc = self.model.pick(i)
        if updated:
            doc.updated = f"2017-{month + 1:02d}-{day:02d}"
        else:
            doc.date = f"2017-{month:02d}-{day:02d}"
        self._note(f"{'updated' if updated else 'date'}: {doc.updated if updated else doc.date} in", key)

    @precondition(lambda self: self.model.has(_not_page))
    @rule(i=PICK, tag=st.sampled_from(TAGS))
    def add_or_remove_tag(self, i, tag):
        """Removes the tag however it is written, or adds it as written here."""
        key, doc = self.model.pick(i, _not_page)
        same = [t for t in doc.tags if t.lower() == tag.lower()]
        doc.tags = [t for t in doc.tags if t not in same] if same else doc.tags + [tag]
        self._note(f"tags: {doc.tags} in", key)

    @precondition(lambda self: self.model.has(_not_page))
    @rule(i=PICK, region=st.sampled_from(REGIONS + ("",)))
    def edit_region(self, i, region):
        key, doc = self.model.pick(i, _not_page)
        doc.regions = [region] if region else []
        self._note(f"regions: {doc.regions} in", key)

    @precondition(lambda self: self.model.has(_has_posts))
    @rule(i=PICK, tag=st.sampled_from(TAGS))
    def add_or_remove_hashtag(self, i, tag):
        """A #hashtag in a thread's last post or in a post block: taken out if there, else added."""
        key, doc = self.model.pick(i, _has_posts)
        words = doc.posts[-1].split() if doc.posts else [f"#{t}" for t in doc.quote]
        words = [w for w in words if w != f"#{tag}"] if f"#{tag}" in words else words + [f"#{tag}"]
        if doc.posts:
            doc.posts[-1] = " ".join(words)
        else:
            doc.quote = [w[1:] for w in words]
        self._note(f"#{tag} in a post: {' '.join(words)!r} in", key)

    @precondition(lambda self: self.model.has(_not_page))
    @rule(i=PICK)
    def feature_or_unfeature(self, i):
        key, doc = self.model.pick(i, _not_page)
        doc.featured = not doc.featured
        self._note("featured" if doc.featured else "not featured", key)

    @rule(i=PICK)
    def withdraw_or_reinstate(self, i):
        key, doc = self.model.pick(i)
        doc.withdrawn = not doc.withdrawn
        self._note("withdrawn" if doc.withdrawn else "reinstated", key)

    @rule(i=PICK)
    def draft_or_publish(self, i):
        key, doc = self.model.pick(i)
        doc.draft = not doc.draft
        self._note("draft" if doc.draft else "published", key)

    @precondition(lambda self: len(self.model.docs) > 12)  # a dozen entries or more, to edit and link
    @rule(i=PICK)
    def delete(self, i):
        key, _ = self.model.pick(i)
        self._note("deleted (and every reference to it)", key)
        self.model.forget(key)
        del self.model.docs[key]

    @rule(i=PICK, keep_old_url=st.booleans())
    def rename(self, i, keep_old_url):
        """A new file name (and slug, if it has one); every link, response and thread block follows it."""
        key, doc = self.model.pick(i)
        old_path, old_url = self.model.path(key), self.model.url(key)
        doc.name = self.model.new_name(doc.name.split("-")[0])
        if doc.slug:
            doc.slug = doc.name
        if keep_old_url:
            doc.aliases = doc.aliases + [old_url]
        self._note(f"renamed {old_path} to {self.model.path(key)}, references updated"
                   + (f", alias {old_url}" if keep_old_url else ""))

    @rule(kind=st.sampled_from(sorted(KIND_DIRS)), tag=st.sampled_from(TAGS), link=PICK)
    def add_entry(self, kind, tag, link):
        name = self.model.new_name("new")
        target, target_doc = self.model.pick(link)
        self.model.docs[name] = Doc(kind, name, f"New {kind}", "2017-10-10", links=[target],
                                    tags=[tag] if kind != "page" else [],
                                    posts=[f"New post #{tag}"] if kind == "thread" else [],
                                    responds_to=[target] if kind == "take" and target_doc.kind == "article" else [])
        self._note(f"added with #{tag}, linking {self.model.path(target)}:", name)

    @rule(data=st.binary(min_size=1, max_size=40))
    def edit_bundle_file(self, data):
        self.model.image = b"\xff\xd8\xff\xe0" + data
        self._note(f"new bytes of every bundle's photo.jpg ({len(self.model.image)} bytes)")

    @rule()
    def add_or_remove_bundle_file(self):
        self.model.notes = not self.model.notes
        self._note(f"{'added' if self.model.notes else 'removed'} notes.pdf in every bundle")

    @precondition(lambda self: self.model.has(_is_thread))
    @rule(i=PICK)
    def private_or_public(self, i):
        """A thread's author made private (their handle and profile hidden, @mentions of them shown as their
        name, in every post) or public."""
        key, doc = self.model.pick(i, _is_thread)
        doc.private = not doc.private
        self._note(f"author {'private' if doc.private else 'public'} in", key)

    @rule(name=st.sampled_from(sorted(TEMPLATE_EDITS)))
    def add_or_remove_template(self, name):
        if name in self.model.layouts:
            del self.model.layouts[name]
            self._note(f"removed layouts/{name}")
            return
        theme_file, old, new = TEMPLATE_EDITS[name]
        text = (THEME / theme_file).read_text(encoding="utf-8")
        assert old in text, f"the theme's {theme_file} changed: pick another edit for this test"
        self.model.layouts[name] = text.replace(old, new, 1)
        self._note(f"added layouts/{name} (the theme's, edited)")

    @rule(change=st.one_of(st.builds(lambda w: ("title", f"Archive of the {w}"), st.sampled_from(WORDS)),
                           st.tuples(st.just("pagination"), st.integers(1, 4)),
                           st.builds(lambda w: ("france", f"France {w}"), st.sampled_from(WORDS)),
                           st.tuples(st.just("feed_items"), st.integers(1, 4)),
                           st.tuples(st.just("full_content"), st.booleans())))
    def edit_site_yaml(self, change):
        self.model.settings = replace(self.model.settings, **{change[0]: change[1]})
        self._note(f"site.yaml: {change[0]} = {change[1]!r}")

    @precondition(lambda self: self.model.has(_published))
    @rule(i=PICK, what=st.sampled_from(["link", "template", "site.yaml"]))
    def break_then_mend(self, i, what):
        """An edit that makes the site invalid: both builds fail with the same errors; then it is mended."""
        settings_before = self.model.settings
        if what == "link":
            key, doc = self.model.pick(i, _published)  # a draft's links are checked only with --drafts
            doc.words += " A [broken link](missing.md)."
            self._note("a link to a missing file in", key)
        elif what == "template":
            self.model.layouts["list.html"] = '{% extends "base.html" %}{% block main %}{% if %}{% endblock %}'
            self._note("added layouts/list.html with a syntax error")
        else:
            self.model.settings = replace(self.model.settings, pagination=0)
            self._note("site.yaml: pagination = 0")
        self._write()
        self._both_fail_alike()
        if what == "link":
            doc.words = doc.words.removesuffix(" A [broken link](missing.md).")
        elif what == "template":
            del self.model.layouts["list.html"]
        else:
            self.model.settings = settings_before
        self._note("mended")


class IncrementalEqualsCleanWithSearch(IncrementalEqualsClean):
    """The same, with the search index (Pagefind) in both outputs."""

    search = True


def _examples(wanted: int) -> int:
    """Each example is 13 builds (about 4 s of CPU here): the CI and dev profiles' 25 examples would take minutes,
    so these tests run fewer; a profile that asks for more (thorough) gets what it asks."""
    return wanted if settings.default.max_examples <= 25 else settings.default.max_examples


IncrementalEqualsClean.TestCase.settings = settings(max_examples=_examples(10), stateful_step_count=6)
IncrementalEqualsCleanWithSearch.TestCase.settings = settings(max_examples=_examples(2), stateful_step_count=6)
test_incremental_equals_clean_after_any_edits = IncrementalEqualsClean.TestCase
test_incremental_equals_clean_after_any_edits_with_search = IncrementalEqualsCleanWithSearch.TestCase
