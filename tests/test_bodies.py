"""Entry bodies kept out of memory during a build (generator/bodies.py) still publish as written.

The build writes each entry's body to a file as the entry is read, and reads it back when a page, a
feed or the search index needs it; the entry cache must hold the text itself, not a reference into a
file that is gone once the build ends.
"""

from __future__ import annotations

import os
import pickle

from conftest import entry, read, run

from generator.bodies import Body, BodyFile, spill


def test_a_body_reads_back_as_written_and_pickles_as_its_text():
    bodies = BodyFile()
    text = "<p>Tarana Burke’s “me too” — 2006 ✊</p>\n"
    body = bodies.put(text)
    other = bodies.put("<p>another</p>")
    assert body.text() == text and other.text() == "<p>another</p>"
    assert body == text and body == Body(bodies, body.offset, body.length)
    copied = pickle.loads(pickle.dumps(body))
    assert type(copied) is str and copied == text  # the cache holds the text, never an offset


def test_bodies_written_together_read_back_each_as_written():
    bodies = BodyFile()
    texts = ["<p>first</p>", "", "<p>“third” ✊</p>\n"]
    written = bodies.put_many_encoded([text.encode("utf-8") for text in texts])
    after = bodies.put("<p>after them</p>")
    assert [body.text() for body in written] == texts and after.text() == "<p>after them</p>"
    assert bodies.put_many_encoded([]) == []


def test_a_forked_process_reads_the_bodies_of_its_parent():
    body = BodyFile().put("<p>read in the child</p>")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(writer, body.text().encode("utf-8"))
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    assert os.read(reader, 1000).decode("utf-8") == "<p>read in the child</p>"
    os.close(reader)


def test_spill_leaves_results_without_an_entry_as_they_are():
    bodies = BodyFile()
    assert spill((None, ["an error"]), bodies) == (None, ["an error"])
    assert spill(("internal", "content/a.md", "boom", ""), bodies) == ("internal", "content/a.md", "boom", "")


def test_bodies_read_from_the_cache_and_an_edited_one_publish_as_written(write_site):
    site = write_site({
        "content/articles/first.md": entry("First", body="The first body, with “quotes”."),
        "content/articles/second.md": entry("Second", body="The second body."),
    })
    assert run("build", "--site", str(site)).code == 0
    # Built again with every entry from the cache (their bodies written out of memory), one of them edited.
    (site / "content/articles/second.md").write_text(entry("Second", body="The second body, edited."),
                                                     encoding="utf-8")
    os.utime(site / "content/articles/first.md")  # read again by its stat, taken from the cache by its bytes
    result = run("build", "--site", str(site))
    assert result.code == 0, result.err
    first = next((site / "output").rglob("first/index.html"))
    second = next((site / "output").rglob("second/index.html"))
    assert "The first body, with “quotes”." in read(first)
    assert "The second body, edited." in read(second)
    assert "The second body, edited." in read(site / "output/atom.xml")
