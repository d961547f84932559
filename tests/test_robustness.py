"""Bad input is normal input: random content never crashes the build or breaks its output."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
import re
import signal
import subprocess
import sys
import time

import feedparser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_CONFIG, entry, run, tree, unsafe_markup, write_files

# CI runs a bounded number of examples; set HYPOTHESIS_PROFILE=thorough locally for more.
settings.register_profile("ci", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
