"""Bad input is normal input: random content never crashes the build or breaks its output."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import time

import feedparser
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conftest import BASE_CONFIG, entry, read, run, tree, unsafe_markup, write_files
from generator.embeds import MARKER_RE, PLACEHOLDER
from generator.schema import clean_text

# The hypothesis profiles (a fixed "ci" one, "dev", "thorough" for more examples) are in conftest.py.

ERROR_LINE = re.compile(r"^\S.*?:(\d+:)? .+$")
SUMMARY_LINE = re.compile(r"^\d+ errors? in \d+ files?$")
FIELDS = ["title", "date", "updated", "slug", "summary", "authors", "tags", "regions", "sectors", "lang",
          "content_warnings", "source", "responds_to", "aliases", "featured", "draft", "withdrawn", "weight",
          "platform", "author", "parts_total", "posts", "surprise"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
                    st.text(max_size=40), st.sampled_from(["2017-10-17", "us", "france", "#MeToo", "]]>",
                                                           "</script>", "javascript:alert(1)", "\u202e", "a: b"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(FIELDS + ["name", "text"]),
                                                                       inner, max_size=4)), max_leaves=12)


def assert_sound(result, out):
    """Either the build failed with file:line errors, or every output file is well-formed and script-free."""
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    if result.code == 1:
        lines = result.err.strip().split("\n")
        assert lines and SUMMARY_LINE.match(lines[-1]), result.err
        assert all(ERROR_LINE.match(line) for line in lines[:-1]), result.err
        return
    assert result.code == 0, result.err
    for path, data in tree(out).items():
        if path.startswith("pagefind/"):
            continue  # Pagefind's own binary index
        text = data.decode("utf-8")
        if path.endswith(".html"):
            assert unsafe_markup(text) == [], path
        elif path.endswith((".xml",)) and not path.endswith("sitemap.xml"):
            assert not feedparser.parse(data).bozo, path
        elif path.endswith(".json"):
            json.loads(text)


def fresh_site(files):
    """A new site folder per example: hypothesis runs many examples inside one test."""
    root = Path(tempfile.mkdtemp(prefix="chorus-hyp-"))
    return write_files(root, {"site.yaml": BASE_CONFIG + "search: false\n", **files})


@given(meta=st.dictionaries(st.sampled_from(FIELDS), values, max_size=6), kind=st.sampled_from(
    ["articles", "takes", "threads", "pages"]))
def test_random_front_matter_never_crashes(meta, kind):
    meta.setdefault("title", "T")
    meta.setdefault("date", "2017-10-17")
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\nBody.\n"
    site = fresh_site({f"content/{kind}/x.md": text})
    assert_sound(run("build", "--site", str(site)), site / "output")
    shutil.rmtree(site)


@given(text=st.text(min_size=1, max_size=200), title=st.text(min_size=1, max_size=60))
def test_random_post_text_and_titles_never_break_output(text, title):
    post = yaml.safe_dump({"text": text}, allow_unicode=True)
    body = "Intro.\n\n```post\nplatform: twitter\nauthor: {name: A, handle: secret, private: true}\n" + post + "```\n"
    site = fresh_site({
        "content/articles/a.md": "---\n" + yaml.safe_dump({"title": title, "date": "2017-10-17", "tags": [title]},
                                                          allow_unicode=True) + "---\n" + body,
        "content/threads/t.md": entry("T", platform="twitter", author={"name": "B"}, posts=[{"text": text}]),
    })
    assert_sound(run("build", "--site", str(site)), site / "output")
    shutil.rmtree(site)


@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
                    min_size=1, max_size=30))
def test_random_file_names_never_crash(name):
    try:
        site = fresh_site({f"content/articles/{name}.md": entry("A")})
    except (OSError, ValueError):
        return  # the file system refused the name: nothing for chorus to read
    assert_sound(run("build", "--site", str(site)), site / "output")
    shutil.rmtree(site)


def test_file_over_the_size_limit_is_an_error(write_site):
    site = write_site({"content/articles/big.md": entry("Big", body="x" * 1_100_000)},
                      config=BASE_CONFIG + "limits: {max_file_mb: 1}\n")
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert result.err.splitlines()[0] == ("content/articles/big.md: the file is 1.1 MB, over the limit of 1 MB "
                                          "(split it, or raise limits.max_file_mb in site.yaml)")


def test_symlink_out_of_the_site_is_an_error(write_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(entry("Secret"))
    site = write_site({"content/articles/a.md": entry("A"), "content/articles/b/index.md": entry("B")})
    os.symlink(secret, site / "content/articles/leak.md")
    os.symlink("/etc/passwd", site / "content/articles/b/passwd")
    result = run("build", "--site", str(site))
    assert result.code == 1
    assert result.err.splitlines() == [
        "content/articles/b/passwd: a link to a file outside the site folder (copy the file into the site instead)",
        "content/articles/leak.md: a link to a file outside the site folder (copy the file into the site instead)",
        "2 errors in 2 files",
    ]


def test_symlink_inside_the_site_is_fine(write_site):
    site = write_site({"content/articles/a.md": entry("A"), "shared/photo.jpg": b"jpg",
                       "content/articles/b/index.md": entry("B")})
    os.symlink(site / "shared/photo.jpg", site / "content/articles/b/photo.jpg")
    assert run("build", "--site", str(site)).code == 0


def _big_site(root, count=250):
    files = {"site.yaml": BASE_CONFIG}
    for i in range(count):
        files[f"content/articles/e{i:04d}.md"] = entry(f"Entry {i}", f"2017-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                                       body=("Some words here. " * 80 + "\n\n") * 3,
                                                       tags=[f"t{i % 40}"], regions=["us"])
    return write_files(root, files)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_build_leaves_last_good_output(tmp_path, sig):
    """Kill real builds at several points: the output is always one whole build, never a mix."""
    site = _big_site(tmp_path / "site")
    changing = site / "content/articles/e0000.md"
    versions = [entry("Version A", body="a"), entry("Version B", body="b")]
    trees = []
    for text in versions:
        changing.write_text(text)
        assert run("build", "--site", str(site)).code == 0
        trees.append(tree(site / "output"))
    command = [sys.executable, "-m", "generator", "build", "--site", str(site)]
    shutil.rmtree(site / ".chorus-cache")
    started = time.perf_counter()
    assert subprocess.run(command, capture_output=True).returncode == 0
    duration = time.perf_counter() - started
    for step, fraction in enumerate((0.3, 0.7, 0.95)):
        changing.write_text(versions[step % 2])
        shutil.rmtree(site / ".chorus-cache", ignore_errors=True)  # a whole build, as long as the first
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(duration * fraction)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err
        assert tree(site / "output") in trees, f"killed at {fraction:.0%} of a build: a mixed or partial output"
    assert run("build", "--site", str(site)).code == 0
    assert tree(site / "output") == trees[0]
    # Replaced trees are deleted by a detached process: give it a moment, then nothing may be left.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        leftovers = [p.name for p in site.iterdir() if p.name.startswith(".output.") and p.name != ".output.lock"]
        if not leftovers:
            break
        time.sleep(0.2)
    assert leftovers == []


def test_an_interrupt_landing_in_a_callback_from_native_code_still_stops_the_command():
    """A signal's handler runs wherever Python code runs next: in nh3's attribute filter, a callback from Rust,
    its KeyboardInterrupt would be printed and dropped, and the build would go on. It is raised again, quietly."""
    script = """
import sys, time, nh3
from generator import cli
cli.handle_interrupts()
calls = []
def interrupted_in_the_filter(tag, attribute, value):
    calls.append(attribute)
    if len(calls) == 1:
        raise KeyboardInterrupt
    return value
try:
    cleaned = nh3.clean('<a href="/a" title="t">x</a>' * 50, attribute_filter=interrupted_in_the_filter)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sum(range(1000))
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted after", len(calls), "attributes")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("interrupted after"), result.stdout + result.stderr
    assert result.stderr == ""


# ---- every value from content checked as it is read: no traceback, no hang (issue #13) ----


def chorus(site: Path, command: str = "build", timeout: float = 60) -> subprocess.CompletedProcess:
    """chorus in a child process: a build that hangs fails the test (TimeoutExpired) instead of the suite."""
    return subprocess.run([sys.executable, "-m", "generator", command, "--site", str(site)], capture_output=True,
                          text=True, timeout=timeout)


def assert_refused(proc: subprocess.CompletedProcess, *paths: str) -> None:
    """Exit 1, one line per refused file naming it, nothing else, no traceback."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().split("\n")
    assert SUMMARY_LINE.match(lines[-1]), proc.stderr
    assert sorted(line.split(": ", 1)[0] for line in lines[:-1]) == sorted(paths), proc.stderr


@pytest.mark.parametrize("command", ["build", "check"])
def test_named_pipes_and_sockets_are_refused_unopened(write_site, monkeypatch, command):
    site = write_site({"content/articles/a.md": entry("A"), "content/articles/b/index.md": entry("B")})
    os.mkfifo(site / "content/articles/pipe.md")  # opening it would wait for a writer forever
    os.mkfifo(site / "content/articles/b/photo.jpg")
    monkeypatch.chdir(site / "content/articles")  # a socket's path must be short: bind it by a relative one
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock.md")
        proc = chorus(site, command)
    assert_refused(proc, "content/articles/b/photo.jpg", "content/articles/pipe.md", "content/articles/sock.md")


def test_a_named_pipe_as_site_yaml_is_refused(write_site):
    site = write_site({"content/articles/a.md": entry("A")})
    (site / "site.yaml").unlink()
    os.mkfifo(site / "site.yaml")
    assert_refused(chorus(site), "site.yaml")


def test_names_that_are_not_utf8_are_refused(write_site):
    site = write_site({"content/articles/a.md": entry("A"), "content/articles/b/index.md": entry("B")})
    articles = os.fsencode(site / "content/articles")
    try:
        for name in (b"caf\xe9.md", b"b/photo-\xff.jpg"):
            with open(articles + b"/" + name, "wb") as handle:
                handle.write(entry("Latin-1").encode("utf-8"))
        os.mkdir(articles + b"/d\xe9j\xe0")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (site / "content/articles/a.md").write_text(entry("A", body="See [b](b/index.md)."))
    proc = chorus(site)
    # The bundle itself is still read, so the link to it is no second error.
    assert_refused(proc, r"content/articles/b/photo-\xff.jpg", r"content/articles/caf\xe9.md",
                   r"content/articles/d\xe9j\xe0")


def test_a_link_to_a_folder_that_contains_it_ends(write_site):
    site = write_site({"content/articles/b/index.md": entry("B")})
    os.symlink("..", site / "content/articles/b/loop")
    assert_refused(chorus(site), "content/articles/b/loop")


EDGE_DATES = {  # as written -> accepted in a site whose timezone is UTC+14
    "9999-12-31T23:59:59-12:00": False, "0001-01-01": False, "0001-01-01T00:00:00+14:00": False, "9999-12-31": False,
    "9998-12-31T23:59:59-14:00": False, "9998-12-31T23:59:59Z": False,  # in the site's timezone, 9999-01-01
    "9998-12-31T09:59:59Z": True, "1000-01-03T00:00:00+14:00": True, "1000-01-01": True,
    "1000-01-01T00:00:00+14:00": False,  # before 1901 the zone is on local mean time, UTC-10:29: 0999-12-31
}


@pytest.mark.parametrize("field", ["date", "updated", "source.published", "withdrawn.date", "post.date"])
@pytest.mark.parametrize("value", EDGE_DATES)
def test_dates_at_the_edge_of_the_calendar_never_crash(write_site, field, value):
    """Timezones, feeds and the archive all see the date: each date is accepted whole, or refused at its line."""
    keys = {"date": "2017-10-17"}
    body = "Body."
    if field == "post.date":
        body = f"```post\nplatform: twitter\nauthor: {{name: A}}\ntext: hi\ndate: '{value}'\n```\n"
    elif "." in field:
        outer, inner = field.split(".")
        keys[outer] = {inner: value, "reason": "Gone."} if outer == "withdrawn" else {inner: value}
    else:
        keys[field] = value
    site = write_site({"content/articles/a.md": entry("A", body=body, **keys)},
                      config=BASE_CONFIG.replace("timezone: UTC", "timezone: Pacific/Kiritimati") + "search: false\n")
    result = run("build", "--site", str(site))
    assert_sound(result, site / "output")
    assert (result.code == 0) == EDGE_DATES[value], result.err


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hant-TW", "sr-Latn-RS", "de-CH-1901", "es-419", "x-whatever",
                                 "en-a-bbb-x-a-ccc", "gsw-u-sd-chzh"])
def test_well_formed_language_tags_are_accepted(build_site, tag):
    out = build_site({"content/articles/a.md": entry("A", lang=tag)}, config=BASE_CONFIG + "search: false\n")
    assert f'lang="{tag}"' in read(out / "articles/a/index.html")


@pytest.mark.parametrize("tag", ["../../../../tmp/x", "en_US", "e", "en US", "en--US", "en-", "fr/x",
                                 "en.US", "-en", "en-abcdefghi", "a" * 70])
@pytest.mark.parametrize("where", ["entry", "post", "site"])
def test_anything_else_as_a_language_is_refused_at_its_line(write_site, tag, where):
    if where == "site":
        site = write_site({"content/articles/a.md": entry("A")}, config=BASE_CONFIG + f"language: '{tag}'\n")
    elif where == "post":
        body = f"```post\nplatform: twitter\nauthor: {{name: A}}\ntext: hi\nlang: '{tag}'\n```\n"
        site = write_site({"content/articles/a.md": entry("A", body=body)})
    else:
        site = write_site({"content/articles/a.md": entry("A", lang=tag)})
    result = run("check", "--site", str(site))
    assert result.code == 1
    expected_at = {"site": f"site.yaml:{BASE_CONFIG.count(chr(10)) + 1}:", "entry": "content/articles/a.md:4:",
                   "post": "content/articles/a.md:9:"}[where]
    assert result.err.startswith(expected_at) and result.err.count("\n") == 2, result.err


PLATFORM_URLS = [
    ("https://twitter.com/jamie/status/920384000000000000", "Twitter"),
    ("https://mobile.twitter.com/jamie/status/920384000000000000", "Twitter"),
    ("https://x.com/jamie/status/1", "X"),
    ("https://bsky.app/profile/jamie.bsky.social/post/3k2a4xyz", "Bluesky"),
    ("https://www.instagram.com/p/CaBcDeF/", "Instagram"),
    ("https://www.facebook.com/jamie/posts/1", "Facebook"),
    ("https://mastodon.social/@jamie/109876543210", "Mastodon"),
    ("https://kolektiva.social/@jamie@mastodon.social/109876543210", "Mastodon"),
]


@pytest.mark.parametrize("url,name", PLATFORM_URLS)
def test_a_post_block_without_platform_is_on_its_urls_platform(build_site, url, name):
    body = f"```post\nauthor: {{name: Jamie}}\nurl: {url}\ntext: Archived.\n```\n"
    out = build_site({"content/articles/a.md": entry("A", body=body)}, config=BASE_CONFIG + "search: false\n")
    assert re.search(rf'class="post-meta">(?:[^<]* · )?{name}</p>', read(out / "articles/a/index.html"))


def test_a_thread_without_platform_is_on_its_posts_platform(build_site):
    posts = [{"text": "One.", "url": "https://bsky.app/profile/j.bsky.social/post/1"}, {"text": "Two, no URL."},
             {"text": "Three.", "url": "https://bsky.app/profile/j.bsky.social/post/3"}]
    out = build_site({"content/threads/t.md": entry("T", author={"name": "J"}, posts=posts)},
                     config=BASE_CONFIG + "search: false\n")
    assert "Bluesky thread by J" in read(out / "threads/t/index.html")


def test_text_that_looks_like_an_embed_marker_stays_text(build_site):
    """A paragraph reading like the marker of an embedded post neither crashes nor takes the post's place."""
    body = ("CHORUSEMBED0X\n\nCHORUSEMBED7X\n\n\ufdd0CHORUSEMBED3\ufdd0\n\n"
            "```post\nplatform: twitter\nauthor: {name: A}\ntext: The real post.\n```\n\nAfter.\n")
    out = build_site({"content/articles/a.md": entry("A", body=body)}, config=BASE_CONFIG + "search: false\n")
    page = read(out / "articles/a/index.html")
    order = [page.index(text) for text in ("<p>CHORUSEMBED0X</p>", "<p>CHORUSEMBED7X</p>", "<p>CHORUSEMBED3</p>",
                                           "The real post.", "<p>After.</p>")]
    assert order == sorted(order) and page.count("The real post.") == 1
    assert "\ufdd0" not in page


def test_no_text_can_hold_the_embed_marker():
    """The marker's U+FDD0 is one of the code points every file loses as it is read."""
    marker = PLACEHOLDER.format(0)
    assert MARKER_RE.fullmatch(marker) and not MARKER_RE.search(clean_text(marker))
