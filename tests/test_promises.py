"""The archive's promises on any input (issue #13), checked as properties over whole generated sites.

- An error is reported once, at its root: an entry that cannot be read is no
  error of the entries that link to it, respond to it or embed it.
- No traceback, no hang: every run exits 0 or 1 with one-line `path:line:` messages.
- A private handle, placed in any field in any of its forms, either fails the
  build with a message or appears in no output byte and no output path (the
  search index decompressed).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
import tempfile
import urllib.parse
import zlib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_CONFIG, run, write_files
from generator.errors import Code, SourceError
from generator import privacy as privacy_module
from generator.privacy import Privacy
from generator.routes import Route, Target
from generator.urls import UnsafePath, normalise_alias, output_path

MESSAGE = re.compile(r"^[^\s:][^:]*(:\d+)?: \S.*$")
SUMMARY = re.compile(r"^\d+ errors? in \d+ files?$")
PROPERTY = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                    deadline=None)

QUIET_CONFIG = BASE_CONFIG + "search: false\n"


def _front(meta: dict) -> str:
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)


def _site_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="chorus-prop-"))


# ---- 1. errors at their root -------------------------------------------------------

KINDS = ("articles", "takes", "threads")

# Each breaks the entry it is applied to, and nothing else: (name, function of the file's text).
INJECTIONS = {
    "bad date": lambda text: text.replace("date: 2017-10-1", "date: 2017-13-4", 1),
    "unknown key": lambda text: text.replace("---\n", "---\nsurprise: 1\n", 1),
    "unknown region": lambda text: text.replace("---\n", "---\nregions: [atlantis]\n", 1),
    "unclosed front matter": lambda text: text.replace("\n---\n", "\n", 1),
    "malformed yaml": lambda text: text.replace("---\n", "---\ntitle: [unclosed\n", 1),
    "not utf-8": lambda text: text.replace("Body", "B\udcffody", 1),
    "missing title": lambda text: re.sub(r"(?m)^title: .*\n", "", text, count=1),
    "bad post status": lambda text: text.replace("status: live", "status: gone", 1),
    "unclosed post block": lambda text: text + "\n```post\ntext: x\n",
}


@st.composite
def sites(draw):
    """A small site: entries of each kind linking to, responding to and embedding each other."""
    count = draw(st.integers(3, 8))
    names = [f"e{i}" for i in range(count)]
    kinds = {name: draw(st.sampled_from(KINDS)) for name in names}
    if "threads" not in kinds.values():
        kinds[names[-1]] = "threads"
    threads = [n for n in names if kinds[n] == "threads"]
    articles = [n for n in names if kinds[n] != "takes"]
    files = {}
    for index, name in enumerate(names):
        kind = kinds[name]
        meta = {"title": f"Entry {name}", "date": f"2017-10-1{index % 10}"}
        if draw(st.booleans()):
            meta["regions"] = [draw(st.sampled_from(["us", "france"]))]
        if draw(st.booleans()):
            meta["aliases"] = [f"/old/{name}/"]
        if kind == "takes":
            meta["authors"] = ["Jane Doe"]
            targets = draw(st.lists(st.sampled_from(articles), max_size=2, unique=True))
            if targets:
                meta["responds_to"] = targets
        if kind == "threads":
            meta["platform"] = "twitter"
            private = draw(st.booleans())
            meta["author"] = {"name": f"Person {name}", "handle": f"handle_{name}", "private": private}
            meta["posts"] = [{"n": 1, "text": f"Post of {name}, hello @handle_{names[0]}", "status": "live"}]
        body = ["Body of the entry."]
        for other in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            if other != name:
                title = ' "a title"' if draw(st.booleans()) else ""
                body.append(f"See [{other}](../{kinds[other]}/{other}.md{title}).")
        for thread in draw(st.lists(st.sampled_from(threads), max_size=1)):
            if thread != name:
                body.append(f"\n```thread\n{thread}\n```\n")
        files[f"content/{kind}/{name}.md"] = "---\n" + _front(meta).replace(
            f"date: '2017-10-1{index % 10}'", f"date: 2017-10-1{index % 10}") + "---\n" + "\n\n".join(body) + "\n"
    broken = set()
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        path = f"content/{kinds[name]}/{name}.md"
        changed = INJECTIONS[draw(st.sampled_from(sorted(INJECTIONS)))](files[path])
        if changed != files[path]:  # some find nothing to break (no post in an article)
            files[path] = changed
            broken.add(path)
    return files, broken


def _write(site: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


@PROPERTY
@given(sites())
def test_errors_are_reported_once_at_their_root(case):
    files, broken = case
    site = _site_dir()
    try:
        _write(site, {"site.yaml": QUIET_CONFIG, **files})
        result = run("build", "--site", str(site), "--jobs", "1")
    finally:
        shutil.rmtree(site, ignore_errors=True)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    assert result.code in (0, 1), result.err
    lines = result.err.strip().splitlines()
    if result.code == 0:
        assert not broken, result.err
        return
    assert SUMMARY.match(lines[-1]), result.err
    errors = [line for line in lines[:-1] if not line.startswith("    ")]  # not a YAML error's line and caret
    named = set()
    for line in errors:
        assert MESSAGE.match(line), line
        named.add(line.split(":", 1)[0])
    # Every broken entry is reported, and no other: a follow-on error would name a neighbour.
    assert named == broken, result.err
    assert len(errors) == len(set(errors)), "an error was reported twice"


def test_an_entry_that_fails_is_no_error_of_those_that_point_at_it(write_site):
    site = write_site({
        "content/articles/story.md": "---\ntitle: The story\ndate: 2017-13-45\nslug: the-story\n---\nText.\n",
        "content/threads/t.md": "---\ntitle: T\ndate: 2017-10-17\nplatform: twitter\n"
                                "author: {name: J, handle: j}\npostz: []\n---\nNote.\n",
        "content/takes/reply.md": "---\ntitle: Reply\ndate: 2017-10-18\nauthors: [Jane]\n"
                                  "responds_to: [the-story]\n---\n"
                                  'See [the story](../articles/story.md "Its title").\n\n```thread\nt\n```\n',
    }, config=QUIET_CONFIG)
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert "reply.md" not in result.err, result.err
    assert "content/articles/story.md:3:" in result.err and "content/threads/t.md" in result.err


# ---- 2. a private handle, in any field and any form -----------------------------------

HANDLE = "zz_secret"
HOST = "social.example"

FORMS = {
    "as written": lambda h: h,
    "mention": lambda h: "@" + h,
    "upper case": lambda h: h.upper(),
    "percent-encoded": lambda h: h.replace("_", "%5F"),
    "fully percent-encoded": lambda h: "".join(f"%{ord(c):02X}" for c in h),
    "entity": lambda h: h.replace("_", "&#95;"),
    "split by markup": lambda h: h.replace("_", "_<em></em>"),
    "profile path": lambda h: f"{HOST}/@{h}",
    "users path": lambda h: f"https://{HOST}/users/{h}",
    "user at host": lambda h: f"{h}@{HOST}",
    "mention at host": lambda h: f"@{h}@{HOST}",
    "after a word": lambda h: f"x@{h}",
    "in a URL": lambda h: f"https://twitter.com/{h}/status/1",
    "no scheme": lambda h: f"twitter.com/@{h}",
}

POSITIONS = ("title", "summary", "body", "tag", "source.title", "source.publisher", "source.url",
             "author name", "author url", "withdrawn.reason", "post text", "media alt", "media src",
             "public post url", "content warning", "post block text", "post block author url", "alias")


def _private_site(position: str, value: str, mastodon: bool) -> dict[str, str]:
    handle = f"{HANDLE}@{HOST}" if mastodon else HANDLE
    thread = {"title": "A thread", "date": "2017-10-16", "platform": "mastodon" if mastodon else "twitter",
              "author": {"name": "Jamie K", "handle": handle, "private": True,
                         "url": f"https://{HOST}/@{HANDLE}" if mastodon else f"https://twitter.com/{HANDLE}"},
              "posts": [{"n": 1, "text": "A post.", "url": f"https://twitter.com/{HANDLE}/status/9"}]}
    article = {"title": "An article", "date": "2017-10-17", "tags": ["MeToo"]}
    body = "The body."
    url_value = value if value.startswith("http") else f"https://example.org/{value}"
    if position == "title":
        article["title"] = f"On {value}"
    elif position == "summary":
        article["summary"] = f"About {value}."
    elif position == "body":
        body = f"The body names {value} here."
    elif position == "tag":
        article["tags"] = [value]
    elif position.startswith("source."):
        field = position.split(".")[1]
        article["source"] = {field: url_value if field == "url" else value}
    elif position == "author name":
        article["authors"] = [value]
    elif position == "author url":
        article["authors"] = [{"name": "A reporter", "url": url_value}]
    elif position == "withdrawn.reason":
        article["withdrawn"] = {"date": "2018-01-01", "reason": f"Asked by {value}."}
    elif position == "post text":
        thread["posts"][0]["text"] = f"Replying to {value}"
    elif position == "media alt":
        thread["posts"][0]["media"] = [{"src": "https://img.example/a.jpg", "alt": f"A photo of {value}"}]
    elif position == "media src":
        thread["posts"][0]["media"] = [{"src": url_value, "alt": "A photo"}]
    elif position == "public post url":
        body += f"\n\n```post\nplatform: twitter\ntext: A public post\nurl: \"{url_value}\"\n" \
                "author: {name: Someone, handle: someone}\n```\n"
    elif position == "content warning":
        article["content_warnings"] = [value]
    elif position == "post block text":
        body += f"\n\n```post\nplatform: {'mastodon' if mastodon else 'twitter'}\n" \
                f"text: {json.dumps('Hello ' + value)}\nauthor: {{name: Someone, handle: someone}}\n```\n"
    elif position == "post block author url":
        body += f"\n\n```post\nplatform: twitter\ntext: A post\n" \
                f"author: {{name: Someone, handle: someone, url: \"{url_value}\"}}\n```\n"
    elif position == "alias":
        article["aliases"] = ["/" + urllib.parse.quote(value, safe="@") + "/"]
    return {"content/threads/t.md": "---\n" + _front(thread) + "---\nNote.\n",
            "content/articles/a.md": "---\n" + _front(article) + "---\n" + body + "\n"}


def leaks(root: Path, handles: list[str]) -> list[str]:
    """Files and paths under root that hold a handle once decoded: an independent reading, not privacy.py's."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        texts = [urllib.parse.unquote(rel)]
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
            text = data.decode("utf-8", errors="replace")
            text = html.unescape(urllib.parse.unquote(re.sub(r"\\u([0-9a-fA-F]{4})",
                                                             lambda m: chr(int(m.group(1), 16)), text)))
            texts += [text, re.sub(r"<[^>]*>", "", text)]
        for text in texts:
            if any(re.search(rf"(?<![a-z0-9_]){re.escape(h)}(?![a-z0-9_])", text.lower()) for h in handles):
                found.append(rel)
                break
    return found


@settings(PROPERTY, max_examples=min(settings().max_examples, 40))
@given(position=st.sampled_from(POSITIONS), form=st.sampled_from(sorted(FORMS)), mastodon=st.booleans())
def test_a_private_handle_is_refused_or_never_published(position, form, mastodon):
    value = FORMS[form](HANDLE)
    site = _site_dir()
    try:
        write_files(site, {"site.yaml": BASE_CONFIG, **_private_site(position, value, mastodon)})
        result = run("build", "--site", str(site), "--jobs", "1")
        assert "Traceback" not in result.err and "internal error" not in result.err, result.err
        if result.code == 1:
            lines = result.err.strip().splitlines()
            assert all(MESSAGE.match(line) for line in lines[:-1]), result.err
            assert any(line.startswith("content/") for line in lines[:-1]), result.err
            return
        assert result.code == 0, result.err
        identifying = [f"{HOST}/@{HANDLE}", f"{HOST}/users/{HANDLE}", f"{HANDLE}@{HOST}"] if mastodon else [HANDLE]
        assert leaks(site / "output", identifying) == []
    finally:
        shutil.rmtree(site, ignore_errors=True)


def test_mentions_of_a_private_person_are_shown_as_their_name(build_site):
    out = build_site(_private_site("body", "@" + HANDLE, False))
    page = (out / "articles/a/index.html").read_text(encoding="utf-8")
    assert "The body names Jamie K here." in page
    assert leaks(out, [HANDLE]) == []


def test_a_same_server_mastodon_mention_is_redacted(build_site):
    site = _private_site("post text", "@" + HANDLE, True)
    out = build_site(site)
    page = (out / "threads/t/index.html").read_text(encoding="utf-8")
    assert "Replying to Jamie K" in page
    assert leaks(out, [f"{HOST}/@{HANDLE}", f"{HANDLE}@{HOST}"]) == []


def test_the_gate_refuses_what_a_template_writes(write_site):
    site = write_site({**_private_site("body", "nothing", False),
                       "layouts/404.html": "<!doctype html><title>x</title><p>Ask zz_secret</p>\n"})
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert "the handle of a private person (Jamie K) would be published in /404.html" in result.err
    assert not (site / "output").exists()


def test_the_gate_reads_compressed_search_index_files():
    privacy = Privacy({"zz_secret": "Jamie K"})
    assert privacy.scan(gzip.compress(b"pagefind_dcd text by zz_<b></b>secret")) == "zz_secret"
    assert privacy.scan(gzip.compress(b"nothing here")) is None
    assert privacy.scan("zz_secret".encode("utf-16-le") + b"\x00") == "zz_secret"


def test_a_handle_escaped_three_times_over_is_found():
    privacy = Privacy({"zz_secret": "Jamie K"})
    assert privacy.scan(b"<a href=\"/zz%25255Fsecret\">x</a>") == "zz_secret"
    assert privacy.find("zz%25255Fsecret") == "zz_secret"


# Pieces of text that build every form of a handle, and what could join or part them across a cut.
SCAN_TOKENS = ["zz", "_", "secret", "ZZ_Secret", "zz_secret", "&#95;", "&#x5F;", "&lowbar;", "%5f", "%255F",
               "%25255f", "\\u005f", "<em>", "</em>", "<", ">", "\n", " ", "a", "@", f"{HOST}/@", "other",
               "other@" + HOST, "é"]
TWO_PEOPLE = Privacy({"zz_secret": "Jamie K", f"other@{HOST}": "Sam P"})


@settings(PROPERTY, max_examples=max(settings().max_examples, 300))
@given(tokens=st.lists(st.sampled_from(SCAN_TOKENS), max_size=60), cuts=st.lists(st.integers(0, 400), max_size=8),
       piece=st.integers(1, 40))
def test_a_large_file_searched_in_pieces_gets_the_verdict_of_the_whole(tokens, cuts, piece):
    """The gate reads a large file a piece at a time (its copies stay small): whatever the blocks the file comes
    in, and wherever it can be cut, the handle found is the one found in the whole file at once."""
    data = "".join(tokens).encode("utf-8")
    bounds = sorted({0, len(data), *(cut for cut in cuts if cut < len(data))})
    blocks = [data[start:end] for start, end in zip(bounds, bounds[1:])]
    one = Privacy({"zz_secret": "Jamie K"})
    assert one._search_pieces(blocks, piece) == one._search(data)
    assert (TWO_PEOPLE._search_pieces(blocks, piece) is None) == (TWO_PEOPLE._search(data) is None)


def test_the_gate_reads_a_large_file_in_pieces(tmp_path, monkeypatch):
    """A file larger than a piece is read in pieces and found all the same; one with a NUL byte is read whole."""
    monkeypatch.setattr(privacy_module, "PIECE", 64)
    privacy = Privacy({"zz_secret": "Jamie K"})
    lines = [f"<p>line {n} of a long page</p>\n" for n in range(100)]
    cases = {"clean.html": ("".join(lines).encode(), None),
             "late.html": ("".join(lines + ["<p>zz_<em\nclass=x></em>secret</p>\n"]).encode(), "zz_secret"),
             "across lines.csv": ("".join(lines + ["a < b\n", *lines, "zz&#95;\n"]).encode(), None),
             "utf-16.bin": ("".join(lines).encode() + "zz_secret".encode("utf-16-le"), "zz_secret")}
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert privacy.scan_file(tmp_path / name) == expected, name
    reads = []
    real_search = Privacy._search
    monkeypatch.setattr(Privacy, "_search", lambda self, text: reads.append(len(text)) or real_search(self, text))
    privacy.scan_file(tmp_path / "clean.html")
    assert len(reads) > 10 and max(reads) < 200


# ---- 3. nothing outside the output folder ------------------------------------------------

@pytest.mark.parametrize("segments", [("..", "x"), ("a", ""), (".hidden",), ("a/b",), ("-x",), ("a b",),
                                      ("x" * 201,), ("\u00e9",), ("a\n",), ("a", "b\n")])
def test_output_path_refuses_anything_but_plain_segments(segments):
    with pytest.raises(UnsafePath):
        output_path(*segments)


@pytest.mark.parametrize("path", ["../x/index.html", "/etc/passwd", "a//b", "a/./b", ""])
def test_a_route_cannot_name_a_path_outside_the_output(path):
    with pytest.raises(UnsafePath):
        Route(path, "a test", Target())


@given(st.text(max_size=60))
def test_an_alias_is_a_safe_path_or_refused(alias):
    path = normalise_alias(alias)
    if path is not None:
        assert all(part not in ("", ".", "..") and not part.startswith((".", "-")) for part in path.split("/"))
        assert not any(ch.isspace() for ch in path), "a folder or file name with a space or line break in it"
        Route(path, "a test", Target())


@pytest.mark.parametrize("alias", ["/foo\n/", "/articles/old\n/", "/a/b.html\n"])
def test_an_alias_ending_in_a_line_break_is_refused(alias):
    assert normalise_alias(alias) is None


def test_errors_carry_codes_and_stay_on_one_line():
    error = SourceError("content/a.md", 3, "tags: 'a\nb' is wrong", "fix\rit", code=Code.FIELD)
    assert "\n" not in str(error) and "\r" not in str(error)
    assert error.code is Code.FIELD and not error.is_warning
