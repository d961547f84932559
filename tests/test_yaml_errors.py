"""A YAML error is explained from the text itself, whichever YAML parser this machine has.

PyYAML parses with libyaml when it was built with it, and with its own Python code
otherwise; the two word their errors differently, and each changes its words and its
limits between releases. Chorus's message must not change with them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import BASE_CONFIG, run
from generator import yamlsrc

CASES = Path(__file__).parent / "invalid_sites"
YAML_CASES = sorted(p.name for p in CASES.iterdir() if p.is_dir() and "yaml" in p.name)


@pytest.mark.parametrize("case", YAML_CASES)
def test_pure_python_pyyaml_gives_the_same_message(case, tmp_path, monkeypatch):
    monkeypatch.setattr(yamlsrc, "_Loader", yaml.SafeLoader)
    site = tmp_path / case
    shutil.copytree(CASES / case, site, ignore=shutil.ignore_patterns("expected.txt"), symlinks=True)
    result = run("check", "--site", str(site))
    assert result.err == (CASES / case / "expected.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)])
def test_a_control_character_in_site_yaml_is_reported_at_its_line(loader, write_site, monkeypatch):
    monkeypatch.setattr(yamlsrc, "_Loader", loader)
    site = write_site({}, config=BASE_CONFIG.replace("description: A test archive.",
                                                     "description: A test\x07archive."))
    result = run("check", "--site", str(site))
    assert result.code == 1
    assert result.err.startswith("site.yaml:2: ") and "Traceback" not in result.err


# ---- what an editor reads: the line at fault, a caret, and a fix that works ----------------------------


FIXED_BY_THE_HINT = ["yaml-unquoted-colon", "yaml-text-after-quote", "yaml-apostrophe-in-single-quotes",
                     "yaml-hash-empties-title", "yaml-hash-cuts-value-short", "site-yaml-hash-cuts-value-short"]


@pytest.mark.parametrize("case", FIXED_BY_THE_HINT)
def test_the_line_the_hint_writes_mends_the_file(case, tmp_path):
    """The hint quotes the editor's own value: written in place of the line at fault, the site builds."""
    site = tmp_path / case
    shutil.copytree(CASES / case, site, ignore=shutil.ignore_patterns("expected.txt"))
    first = (CASES / case / "expected.txt").read_text(encoding="utf-8").split("\n")[0]
    where, line = re.match(r"([^:]+):(\d+): ", first).groups()
    fix = re.search(r"\(quote [^:]*: (.+?)(?:; [^;]*)?\)$", first).group(1)
    path = site / where
    lines = path.read_text(encoding="utf-8").split("\n")
    at_fault = lines[int(line) - 1]
    lines[int(line) - 1] = at_fault[:len(at_fault) - len(at_fault.lstrip())] + fix
    path.write_text("\n".join(lines), encoding="utf-8")
    if not (site / "content").exists():
        (site / "content/articles").mkdir(parents=True)
        (site / "content/articles/a.md").write_text("---\ntitle: A\ndate: 2017-10-17\n---\nBody.\n", encoding="utf-8")
    result = run("check", "--site", str(site))
    assert result.code == 0, result.err
    written = yaml.safe_load(fix)
    assert "#" not in fix or "#" in str(written), "the hashtag is kept"


def test_the_caret_is_under_the_character_at_fault(write_site):
    cases = {
        "title: MeToo: the sports world\n": ("title: MeToo: the sports world", 12),
        "title: Fine\ntags: [MeToo, #NOTokay]\n": ("tags: [MeToo, #NOTokay]", 14),
        "title: Fine\n\tdate: 2017-10-17\n": ("→date: 2017-10-17", 0),  # a tab is seen, and the caret under it
        'title: "' + "x" * 200 + '" and more\n': (None, None),
    }
    for front, (shown, column) in cases.items():
        site = write_site({"content/articles/a.md": f"---\n{front}---\nBody.\n"})
        result = run("check", "--site", str(site))
        error, excerpt, caret = result.err.split("\n")[:3]
        assert error.startswith("content/articles/a.md:") and result.code == 1
        assert excerpt.startswith("    ") and caret.startswith("    ") and caret.strip() == "^", result.err
        if shown is None:  # a long line is cut around the place, with '…' where it was cut
            assert excerpt.startswith("    …") and len(excerpt) < 100
            assert excerpt[len(caret) - 1:] == "and more", result.err
            continue
        assert excerpt == "    " + shown and caret == "    " + " " * column + "^", result.err


@pytest.mark.parametrize("front", [
    "title: Fine # a note: with a space after '#', a comment\n",
    "title: Fine\nsummary: >\n  Why #MeToo matters\n",
    "title: Fine\nsummary: A summary\n  over two lines\n",
    "title: Fine\nsummary: A summary\n  -5 degrees\n",
    "title: Fine\ntags: [MeToo]  # tags\n",
    "title: 'Quoted #MeToo'\n",
    "title: Fine#MeToo\n",
])
def test_valid_yaml_an_editor_means_still_builds(write_site, front):
    site = write_site({"content/articles/a.md": f"---\n{front}date: 2017-10-17\n---\nBody.\n"})
    result = run("check", "--site", str(site))
    assert result.code == 0, result.err


def test_a_list_started_under_a_value_is_recognised(write_site):
    site = write_site({"content/articles/a.md": "---\ntitle: Fine\ndate: 2017-10-17\nsectors: sports\n"
                                                "  - workplace\n---\nBody.\n"})
    result = run("check", "--site", str(site))
    assert result.err.split("\n")[0] == (
        "content/articles/a.md:5: sectors: '- workplace' is indented under the value above, so YAML reads both as "
        "one value, 'sports - workplace' (to write a list, put each item on a line of its own under the key, each "
        "'-' lined up)")


def test_a_hashtag_comment_in_a_post_block_is_reported_at_its_line(write_site):
    body = "Intro.\n\n```post\nplatform: twitter\nauthor: {name: A}\ntext: #MeToo\n```\n"
    site = write_site({"content/articles/a.md": f"---\ntitle: Fine\ndate: 2017-10-17\n---\n{body}"})
    result = run("check", "--site", str(site))
    assert result.err.split("\n")[:3] == [
        "content/articles/a.md:10: post block: text: is empty: '#' after a space starts a comment in YAML, so "
        "'#MeToo' is not read (quote the value: text: \"#MeToo\"; to keep a comment, write '# ' with a space)",
        "    text: #MeToo",
        "          ^"]
