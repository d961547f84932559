"""`chorus import`: twarc2 output, Twitter's tweets.js and Mastodon's outbox.json become draft threads that
build as written, every author private unless site.yaml lists them, no private handle ever published.

The fixtures in tests/import_fixtures/ follow each format's public documentation: twarc2/capture.jsonl
(X API v2 pages as twarc2 writes them) and flat.jsonl (the same, flattened), archive/data/ (tweets.js,
account.js, tweets_media/), mastodon/ (outbox.json, actor.json, media_attachments/). Each malformed
input is a folder of tests/import_fixtures/malformed/: its files, args.txt (the command's arguments),
expected.txt (the exact stderr) and written.txt (the files still written, when some are).
"""

from __future__ import annotations

import gzip
import json
import re
import shlex
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BASE_CONFIG, REPO, read, run
from generator.entries import FrontMatter
from generator.imports.files import quote
from generator.reference import top_level
from generator.samples import SAMPLE_BODIES, STAND_IN_ALT
from generator.schema import clean_text

FIXTURES = REPO / "tests" / "import_fixtures"
CAPTURE = FIXTURES / "twarc2" / "capture.jsonl"
FLAT = FIXTURES / "twarc2" / "flat.jsonl"
TWEETS_JS = FIXTURES / "archive" / "data" / "tweets.js"
OUTBOX = FIXTURES / "mastodon" / "outbox.json"
MALFORMED = sorted(path for path in (FIXTURES / "malformed").iterdir() if path.is_dir())
CONFIG = BASE_CONFIG + """\
public_accounts:
  twitter: ["@ExampleNews"]
  mastodon: [newsroom@press.example]
"""
PRIVATE = ("dana_rw", "layla_hd", "zq_quiet", "rosa_lnd", "ana_o", "bea_quiet")
"""The private accounts of the fixtures: authors, and people they mention or link to."""
PROFILE_FORMS = ("twitter.com/{}", "x.com/{}", "social.example/@{}", "social.example/users/{}")


def front_matter(path: Path) -> dict:
    return yaml.safe_load(read(path).split("\n---\n", 1)[0][4:])


def thread_files(site: Path) -> dict[str, Path]:
    """content/threads/ name (without .md, or the bundle's folder) -> the entry's file."""
    folder = site / "content" / "threads"
    return {(p.parent.name if p.name == "index.md" else p.stem): p for p in sorted(folder.rglob("*.md"))}


@pytest.fixture
def site(tmp_path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "site.yaml").write_text(CONFIG, encoding="utf-8")
    return folder


def chorus_import(site: Path, *args: str):
    return run("import", "--site", str(site), *map(str, args))


def published(site: Path) -> None:
    """What the editor does once they have read an imported thread: write the note, remove `draft: true`."""
    for path in thread_files(site).values():
        text = read(path).replace(SAMPLE_BODIES["thread"], "Found on the platform in 2017; the editor's note.")
        text = text.replace(STAND_IN_ALT, "A photo the editor described.")
        path.write_text(text.replace("\ndraft: true ", "\n# draft: true "), encoding="utf-8")


def built(site: Path) -> Path:
    result = run("build", "--site", str(site))
    assert (result.code, result.err) == (0, ""), result.err
    return site / "output"


def assert_no_private_handle(root: Path) -> None:
    """No file or path of the output holds a private handle (the search index's files decompressed)."""
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            data = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).lower()
            found = [handle for handle in PRIVATE if handle.encode() in data or handle in path.name.lower()]
            assert not found, f"{path.relative_to(root)} holds {found}"


# ---- each format, end to end --------------------------------------------------------------


@pytest.mark.parametrize("export", [CAPTURE, FLAT, TWEETS_JS, OUTBOX], ids=["twarc2", "flattened", "tweets.js",
                                                                           "outbox.json"])
def test_an_export_becomes_drafts_that_build_without_a_warning(site, export):
    result = chorus_import(site, export)
    assert result.code == 0, result.err
    written = thread_files(site)
    assert written and all(front_matter(path)["draft"] is True for path in written.values())
    assert all(f"---\n{SAMPLE_BODIES['thread']}\n" in read(path) for path in written.values())
    assert built(site).is_dir()  # drafts are checked, not built
    published(site)
    output = built(site)
    for name in written:
        assert (output / "threads" / name / "index.html").is_file()
    assert_no_private_handle(output)
    for path in written.values():  # the files may name a private author's handle, never link to their profile
        text = read(path).lower()
        assert not [form for form in PROFILE_FORMS for handle in PRIVATE if form.format(handle) in text], path


def test_the_placeholder_note_is_not_published_unnoticed(site):
    chorus_import(site, CAPTURE, "--conversation", "1580000000000000001")
    path = thread_files(site)["dana-reyes-2017-10-16"]
    path.write_text(read(path).replace("\ndraft: true ", "\n# draft: true "), encoding="utf-8")
    result = run("build", "--site", str(site))
    assert result.code == 0
    assert "content/threads/dana-reyes-2017-10-16.md:75: warning: the sample line of chorus new is still in the " \
           "body (write the entry's text in its place)" in result.err


def test_the_front_matter_has_the_keys_of_chorus_new_in_its_order(site, tmp_path):
    chorus_import(site, CAPTURE)
    imported = read(thread_files(site)["dana-reyes-2017-10-16"])
    blank = tmp_path / "blank"
    blank.mkdir()
    (blank / "site.yaml").write_text(CONFIG, encoding="utf-8")
    new = read(blank / run("new", "thread", "A thread", "--site", str(blank)).out.strip())

    def keys(text: str, commented: bool) -> list[str]:
        meta = text.split("\n---\n", 1)[0]
        return re.findall(r"^# ([a-z_]+):" if commented else r"^([a-z_]+):", meta, re.M)
    assert set(keys(imported, False) + keys(imported, True)) == set(keys(new, False) + keys(new, True))
    declared = keys(new, False) + keys(new, True)
    order = [key.name for key in top_level(FrontMatter) if key.name in declared]
    for commented in (False, True):
        assert keys(imported, commented) == [key for key in order if key in keys(imported, commented)]
    assert keys(imported, False) == ["title", "date", "draft", "platform", "author", "parts_total", "posts"]


# ---- what the X API v2 fixture holds --------------------------------------------------------


def test_a_thread_with_a_gap_an_api_error_and_an_edit(site):
    result = chorus_import(site, CAPTURE)
    meta = front_matter(thread_files(site)["dana-reyes-2017-10-16"])
    posts = meta["posts"]
    assert meta["parts_total"] == 6 and [post["n"] for post in posts] == [1, 2, 4, 5, 6]
    assert meta["author"] == {"name": "Dana Reyes", "handle": "dana_rw", "private": True}
    assert [post["status"] for post in posts] == ["live", "live", "live", "deleted", "live"]
    assert posts[4]["id"] == "1580000000000000007" and "Things are better now" in posts[4]["text"]
    assert "date" not in posts[3] and "could not be archived" in posts[3]["text"]
    assert all(post["url"].startswith("https://twitter.com/i/web/status/") for post in posts)
    assert '& whether I had "encouraged" him' in posts[2]["text"]
    note = read(thread_files(site)["dana-reyes-2017-10-16"]).split("\n---\n", 1)[1]
    assert "Post 4 replies to a post of the same author that the export does not hold." in note
    assert "Post 6 was edited on the platform: the latest of its 2 versions is archived." in note
    assert "Post 5 could not be archived: Not Found Error" in note
    assert f"{CAPTURE}:2: warning: the API could not return post 1580000000000000005" in result.err
    published(site)
    page = read(built(site) / "threads" / "dana-reyes-2017-10-16" / "index.html")
    assert "Part 3 of 6 was not archived." in page and "status-deleted" in page


def test_media_with_and_without_alt_text(site):
    chorus_import(site, CAPTURE)
    posts = front_matter(thread_files(site)["dana-reyes-2017-10-16"])["posts"]
    assert posts[0]["media"] == [{"src": "https://pbs.twimg.com/media/FeNews1.jpg",
                                  "alt": "A newsroom at night: rows of empty desks under strip lights."}]
    assert posts[1]["media"][0]["alt"].startswith("No description was given on the platform")
    assert "Post 2 has an image without a description: write its alt text." in read(
        thread_files(site)["dana-reyes-2017-10-16"])
    assert "https://t.co/" not in read(thread_files(site)["dana-reyes-2017-10-16"])


def test_an_image_published_without_a_description_is_a_warning_at_its_line(site):
    chorus_import(site, CAPTURE, "--conversation", "1580000000000000001")
    path = thread_files(site)["dana-reyes-2017-10-16"]
    text = read(path).replace(SAMPLE_BODIES["thread"], "The editor's note.").replace("\ndraft: true ", "\n# draft: true ")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, written in enumerate(text.split("\n"), 1) if STAND_IN_ALT in written)
    result = run("build", "--site", str(site))
    assert result.code == 0
    assert (f"content/threads/dana-reyes-2017-10-16.md:{line}: warning: posts.media.alt: '{STAND_IN_ALT}' is a "
            "stand-in written by chorus import (say what the image shows, for readers who cannot see it)") in result.err
    assert run("build", "--site", str(site), "--strict").code == 1


def test_a_retweet_and_a_quote_are_shown_as_what_they_are(site):
    chorus_import(site, CAPTURE)
    files = thread_files(site)
    retweet = front_matter(files["example-news-2017-10-17-3"])["posts"][0]
    assert retweet["text"] == "RT @layla_hd: أنا أيضاً. لم أعد صامتة بعد الآن. #MeToo"
    quote = front_matter(files["example-news-2017-10-17-2"])
    assert quote["posts"][0]["text"] == (
        "Please read this.\n\nQuoting @dana_rw: I have never told this story in public. It started at my first job, "
        "in a newsroom. #MeToo 1/6 https://twitter.com/i/web/status/1580000000000000001")
    assert "parts_total" not in quote and "n" not in quote["posts"][0]  # the quoted post's 1/6 is not its own
    published(site)
    output = built(site)
    page = read(output / "threads" / "example-news-2017-10-17-3" / "index.html")
    assert "RT ليلى حداد: أنا أيضاً" in page
    # Right to left as the browser finds it in the text: the post's own direction, whatever the page's.
    assert re.search(r'<blockquote dir="auto"[^>]*><p>RT ليلى', page)
    assert "Quoting Dana Reyes: I have never told" in read(output / "threads" / "example-news-2017-10-17-2" /
                                                           "index.html")


def test_a_private_author_mentioned_by_a_public_one(site):
    result = chorus_import(site, CAPTURE)
    meta = front_matter(thread_files(site)["example-news-2017-10-17"])
    assert meta["author"] == {"name": "Example News", "handle": "ExampleNews",
                              "url": "https://twitter.com/ExampleNews", "private": False}
    post = meta["posts"][0]
    assert post["url"] == "https://twitter.com/ExampleNews/status/1580000000000000011"
    assert post["text"] == ("We spoke with @dana_rw about her story. Read her thread: "
                            "https://twitter.com/i/web/status/1580000000000000001")
    assert "private authors (handle and profile never published): Twitter: dana_rw, layla_hd" in result.out
    published(site)
    page = read(built(site) / "threads" / "example-news-2017-10-17" / "index.html")
    assert "We spoke with Dana Reyes about her story" in page
    assert '<a href="https://twitter.com/ExampleNews" rel="nofollow">Example News</a>' in page


def test_a_private_account_only_mentioned_is_written_as_its_name(site):
    result = chorus_import(site, CAPTURE)
    text = read(thread_files(site)["dana-reyes-2017-10-16"])
    assert "Thank you @ExampleNews and Sam Quiet for listening." in text and "zq_quiet" not in text
    assert "private accounts mentioned, written as their names: Twitter: zq_quiet" in result.out


def test_an_rtl_post_and_a_withheld_post(site):
    chorus_import(site, CAPTURE)
    files = thread_files(site)
    withheld = files["lyla-hdd-2017-10-17-2"]
    assert front_matter(withheld)["posts"][0]["lang"] == "ar"
    assert "The post is withheld on the platform in DE, FR." in read(withheld)
    published(site)
    page = read(built(site) / "threads" / "lyla-hdd-2017-10-17" / "index.html")
    assert '<article class="post" lang="ar">' in page and "أنا أيضاً. لم أعد صامتة بعد الآن." in page


def test_paged_and_flattened_output_give_the_same_threads(site, tmp_path):
    chorus_import(site, FLAT)
    flat = {name: front_matter(path)["posts"] for name, path in thread_files(site).items()}
    dana = flat.pop("dana-reyes-2017-10-16")
    assert [post["n"] for post in dana] == [1, 2, 4, 6]  # flattening drops the API's errors: two gaps
    other = tmp_path / "paged"
    other.mkdir()
    (other / "site.yaml").write_text(CONFIG, encoding="utf-8")
    chorus_import(other, CAPTURE)
    paged = {name: front_matter(path)["posts"] for name, path in thread_files(other).items()}
    paged.pop("dana-reyes-2017-10-16")
    assert flat == paged


def test_a_listed_account_is_public(site):
    (site / "site.yaml").write_text(CONFIG.replace('["@ExampleNews"]', "[ExampleNews, Dana_RW]"), encoding="utf-8")
    result = chorus_import(site, CAPTURE)
    meta = front_matter(thread_files(site)["dana-reyes-2017-10-16"])
    assert meta["author"]["private"] is False and meta["author"]["url"] == "https://twitter.com/dana_rw"
    assert meta["posts"][0]["url"] == "https://twitter.com/dana_rw/status/1580000000000000001"
    assert "dana_rw" not in result.out.split("private authors")[1].split("\n")[0]


def test_links_to_private_profiles_and_posts_lose_the_handle(site, tmp_path):
    capture = tmp_path / "capture.jsonl"
    capture.write_text(CAPTURE.read_text(encoding="utf-8").replace(
        "Things are better now.", "Things are better now (see https://twitter.com/zq_quiet). Her post: "
        "https://x.com/dana_rw/status/1580000000000000002/photo/1, and a blog: https://medium.com/@someone/post-1."),
        encoding="utf-8")
    chorus_import(site, capture)
    text = front_matter(thread_files(site)["dana-reyes-2017-10-16"])["posts"][-1]["text"]
    assert text.startswith("Thank you @ExampleNews and Sam Quiet for listening. Things are better now (see Sam "
                           "Quiet). Her post: https://twitter.com/i/web/status/1580000000000000002, and a blog: "
                           "https://medium.com/@someone/post-1. 6/6")


# ---- Twitter's archive and Mastodon's export -------------------------------------------------


def test_the_archive_thread_its_images_and_its_edits(site):
    result = chorus_import(site, TWEETS_JS)
    files = thread_files(site)
    thread = files["rosa-lind-2017-10-17"]
    assert thread.name == "index.md" and (thread.parent / "920000000000000302-DMa2Yy302.png").is_file()
    meta = front_matter(thread)
    assert meta["author"] == {"name": "Rosa Lind", "handle": "rosa_lnd", "private": True}
    assert [(p["n"], p["id"]) for p in meta["posts"]] == [(1, "920000000000000301"), (2, "920000000000000302"),
                                                         (3, "920000000000000304")]
    assert meta["posts"][0]["media"][0]["alt"] == "A handwritten page in a notebook, the words too small to read."
    assert meta["posts"][1]["media"][0]["src"] == "920000000000000302-DMa2Yy302.png"
    assert meta["posts"][1]["text"] == ("The manager of the shop said it was a compliment & that I should smile "
                                        "more. 2/3")
    gap = front_matter(files["rosa-lind-2017-10-18-2"])
    assert gap["parts_total"] == 3 and gap["posts"][0]["n"] == 3
    assert "replies to a post of the same author that the export does not hold" in read(files["rosa-lind-2017-10-18-2"])
    assert "is a retweet" in read(files["rosa-lind-2017-10-17-2"])
    lone = files["rosa-lind-2017-10-18"]
    assert "n" not in front_matter(lone)["posts"][0] and "parts_total" not in front_matter(lone)
    assert "- The post carries the part number 1/3, but the export holds no other part of its thread." in read(lone)
    reply = front_matter(files["rosa-lind-2017-10-19"])["posts"][0]["text"]
    assert reply == "@ExampleNews thank you for covering this. Also read this: a private account"
    assert "Twitter: rosa_lnd" in result.out


def test_the_mastodon_export(site):
    result = chorus_import(site, OUTBOX)
    files = thread_files(site)
    thread = files["ana-ortiz-2017-10-17"]
    meta = front_matter(thread)
    assert meta["content_warnings"] == ["sexual harassment"] and meta["platform"] == "mastodon"
    assert meta["author"] == {"name": "Ana Ortiz", "handle": "ana_o@social.example", "private": True}
    posts = meta["posts"]
    assert [post["id"] for post in posts] == ["109000000000000401", "109000000000000402", "109000000000000403"]
    assert not any("url" in post for post in posts)  # every Mastodon post address holds the handle
    assert posts[0]["media"] == [{"src": "109000000000000401-5f2a9c0e1b7d.png",
                                  "alt": "The festival's main stage at dusk, seen from the crowd."}]
    assert (thread.parent / "109000000000000402-8c1d3e4f5a6b.png").is_file()
    assert posts[1]["text"] == "Security did nothing when I reported him. #MeToo 2/3"
    assert posts[2]["text"] == ("Thanks to @newsroom@press.example and a private account for listening.\n"
                                "Where to get help: https://example.org/help/festivals 3/3")
    assert ("left out on purpose: boosts (the export holds only their address): 1; followers-only posts and direct "
            "messages: 2") in result.out
    assert "are you all right" not in "".join(read(path) for path in files.values())
    published(site)
    page = read(built(site) / "threads" / "ana-ortiz-2017-10-17" / "index.html")
    assert "<strong>Content warning:</strong> sexual harassment." in page
    assert '<a href="https://press.example/@newsroom" rel="nofollow">@newsroom@press.example</a>' in page


# ---- re-import, --update, --dry-run, --into posts, --conversation, --strict --------------------


def test_importing_again_writes_nothing(site):
    chorus_import(site, CAPTURE, TWEETS_JS, OUTBOX)
    before = {name: path.read_bytes() for name, path in thread_files(site).items()}
    again = chorus_import(site, CAPTURE, TWEETS_JS, OUTBOX)
    assert again.code == 0 and "wrote" not in again.out
    assert again.out.count("unchanged content/threads/") == len(before)
    assert {name: path.read_bytes() for name, path in thread_files(site).items()} == before


def test_update_adds_new_posts_and_keeps_the_editors_work(site, tmp_path):
    first_page = tmp_path / "first-page.jsonl"
    first_page.write_text(CAPTURE.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    chorus_import(site, first_page)
    path = thread_files(site)["dana-reyes-2017-10-16"]
    edited = read(path).replace("far too close", "FAR too close").split("\n---\n")[0] + "\n---\nMy own note.\n"
    path.write_text(edited, encoding="utf-8")
    told = chorus_import(site, CAPTURE)
    command = f"chorus import {CAPTURE} --site {shlex.quote(str(site))} --update"
    assert f"content/threads/dana-reyes-2017-10-16.md: 2 new posts in the export; add them with: {command}" in told.out
    assert read(path) == edited
    result = chorus_import(site, CAPTURE, "--update")
    assert result.code == 0 and "added 2 new posts to content/threads/dana-reyes-2017-10-16.md" in result.out
    assert "post 1580000000000000007 was edited on the platform after the version the file holds" in result.out
    text = read(path)
    assert text.endswith("\n---\nMy own note.\n") and "FAR too close" in text
    posts = front_matter(path)["posts"]
    assert [(p["n"], p["id"][-2:]) for p in posts] == [(1, "01"), (2, "02"), (4, "04"), (5, "05"), (6, "06")]
    assert text.replace("""  - text: "When I finally spoke""", "").count("  - text: ") == 4
    assert chorus_import(site, CAPTURE, "--update").out.count("unchanged content/threads/") == 6
    published(site)
    built(site)


def test_a_dry_run_writes_nothing(site):
    result = chorus_import(site, CAPTURE, "--dry-run")
    assert result.code == 0
    assert "would write content/threads/dana-reyes-2017-10-16.md: a thread of 5 posts by Dana Reyes, as a draft" \
        in result.out
    assert result.out.rstrip().endswith("dry run, nothing was written")
    assert not (site / "content").exists()


def test_into_posts_prints_blocks_to_paste(site):
    result = chorus_import(site, CAPTURE, "--into", "posts", "--conversation", "1580000000000000001")
    assert result.code == 0 and not (site / "content").exists()
    blocks = re.findall(r"```post\n(.*?)```", result.out, re.S)
    assert len(blocks) == 5
    first = yaml.safe_load(blocks[0])
    assert first["author"] == {"name": "Dana Reyes", "handle": "dana_rw", "private": True}
    assert first["platform"] == "twitter" and first["n"] == 1
    article = "---\ntitle: A story\ndate: 2017-10-18\n---\nAs she wrote:\n\n" + result.out
    (site / "content" / "articles").mkdir(parents=True)
    story = site / "content" / "articles" / "story.md"
    story.write_text(article, encoding="utf-8")
    line = next(n for n, written in enumerate(article.split("\n"), 1) if STAND_IN_ALT in written)
    assert f"content/articles/story.md:{line}: warning: alt: '{STAND_IN_ALT}' is a stand-in written by chorus " \
           "import" in run("build", "--site", str(site)).err
    story.write_text(article.replace(STAND_IN_ALT, "A photo the editor described."), encoding="utf-8")
    output = built(site)
    assert "My editor would stand behind my chair" in read(output / "articles" / "story" / "index.html")
    assert_no_private_handle(output)


def test_conversation_picks_one_thread(site):
    result = chorus_import(site, CAPTURE, "--conversation", "1580000000000000004")
    assert result.code == 0 and list(thread_files(site)) == ["dana-reyes-2017-10-16"]
    missing = chorus_import(site, CAPTURE, "--conversation", "42")
    assert missing.code == 1
    assert f"{CAPTURE}: no thread of conversation 42 in the files (give the id of a post, or of a conversation, " \
           "that the files hold)" in missing.err


def test_strict_writes_nothing_when_a_file_has_an_error(site):
    case = FIXTURES / "malformed" / "twarc2-not-json"
    result = chorus_import(site, case / "capture.jsonl", "--strict")
    assert result.code == 1 and not (site / "content").exists()
    assert "nothing was written, since the files have errors (--strict)" in result.out


def test_an_existing_file_is_never_written_over(site):
    taken = site / "content" / "threads" / "dana-reyes-2017-10-16.md"
    taken.parent.mkdir(parents=True)
    taken.write_text("an editor's file\n", encoding="utf-8")
    result = chorus_import(site, CAPTURE, "--conversation", "1580000000000000001")
    assert "wrote content/threads/dana-reyes-2017-10-16-2.md" in result.out
    assert read(taken) == "an editor's file\n"


def test_a_display_name_holding_the_handle_is_not_written(site, tmp_path):
    capture = tmp_path / "capture.jsonl"
    capture.write_text(CAPTURE.read_text(encoding="utf-8").replace('"name": "Dana Reyes"', '"name": "dana_rw"'),
                       encoding="utf-8")
    chorus_import(site, capture)
    files = thread_files(site)
    meta = front_matter(files["a-private-account-2017-10-16"])
    assert meta["author"]["name"] == "A private account" and meta["title"].startswith("A private account: ")
    assert "The author's display name is empty or holds a private handle" in read(files["a-private-account-2017-10-16"])
    published(site)
    assert_no_private_handle(built(site))


# ---- bad input is normal input ---------------------------------------------------------------


@pytest.mark.parametrize("case", MALFORMED, ids=[case.name for case in MALFORMED])
def test_malformed_input_gives_its_message_and_the_rest_is_imported(site, case, monkeypatch):
    monkeypatch.chdir(case)
    result = chorus_import(site, *shlex.split((case / "args.txt").read_text()))
    assert result.code == 1
    assert result.err == (case / "expected.txt").read_text(encoding="utf-8")
    expected = (case / "written.txt").read_text().split() if (case / "written.txt").exists() else []
    assert sorted(re.findall(r"^wrote ([^:]+):", result.out, re.M)) == sorted(expected)
    assert "Traceback" not in result.err


def test_docs_quote_every_message():
    doc = read(REPO / "docs" / "import.md")
    for case in MALFORMED:
        for line in read(case / "expected.txt").splitlines():
            if not re.match(r"^\d+ errors? in \d+ files?$", line):
                message = line.split(": ", 1)[1] if ": " in line else line
                assert message in doc, f"docs/import.md does not quote {case.name}'s message: {message}"


def test_public_accounts_is_declared_in_site_yaml(write_site):
    site = write_site({}, config=BASE_CONFIG + "public_accounts:\n  twiter: [MLB]\n")
    result = run("check", "--site", str(site))
    assert result.code == 1 and "public_accounts.twiter: unknown key (did you mean 'twitter'?)" in result.err


@settings(max_examples=300)
@given(st.text())
def test_a_quoted_value_reads_back_as_written(value):
    assert yaml.safe_load(f"text: {quote(clean_text(value))}") == {"text": clean_text(value)}


# ---- a large capture is streamed ---------------------------------------------------------------


def capture_lines(count: int, per_thread: int = 10):
    """Flattened twarc2 lines: `count` tweets, threads of `per_thread` posts by 50 authors."""
    for index in range(count):
        thread, part = divmod(index, per_thread)
        author = thread % 50
        tweet_id = str(1_600_000_000_000_000_000 + index)
        root = str(1_600_000_000_000_000_000 + thread * per_thread)
        tweet = {"id": tweet_id, "text": f"Part {part + 1} of a long story, about what happened at work, told in "
                 f"several posts so that it can be read in order. #MeToo {part + 1}/{per_thread}",
                 "author_id": str(5000 + author), "conversation_id": root, "lang": "en",
                 "created_at": f"2017-10-{16 + thread % 10}T{part % 24:02d}:{thread % 60:02d}:00.000Z",
                 "edit_history_tweet_ids": [tweet_id],
                 "author": {"id": str(5000 + author), "username": f"writer_{author}", "name": f"Writer {author}",
                            "description": "Writes. " * 20, "public_metrics": {"followers_count": 10}},
                 "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0},
                 "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.13.0"}}
        if part:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": str(int(tweet_id) - 1)}]
            tweet["in_reply_to_user_id"] = tweet["author_id"]
        yield json.dumps(tweet)


def test_a_large_capture_is_imported_in_one_pass(site, tmp_path):
    capture = tmp_path / "large.jsonl"
    capture.write_text("\n".join(capture_lines(3000)) + "\n", encoding="utf-8")
    started = time.perf_counter()
    result = chorus_import(site, capture)
    assert result.code == 0, result.err
    assert result.out.rstrip().endswith("1 file: 300 threads (3000 posts): 300 written")
    assert time.perf_counter() - started < 60
    meta = front_matter(thread_files(site)["writer-0-2017-10-16"])
    assert meta["parts_total"] == 10 and [post["n"] for post in meta["posts"]] == list(range(1, 11))
