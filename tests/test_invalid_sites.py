"""Each folder of tests/invalid_sites/ is a broken site; expected.txt is exactly what chorus prints.

To add a case: make a folder with site.yaml and content/, and write the exact
stderr you expect in expected.txt (the last line counts the errors).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import run

CASES = Path(__file__).parent / "invalid_sites"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("command", ["build", "check"])
def test_invalid_site(case, command, tmp_path):
    site = tmp_path / case
    shutil.copytree(CASES / case, site, ignore=shutil.ignore_patterns("expected.txt"), symlinks=True)
    result = run(command, "--site", str(site))
    expected = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    assert result.err == expected
    assert result.code == 1
    assert result.out == ""
    assert not (site / "output").exists()


def test_there_are_enough_cases():
    assert len([p for p in CASES.iterdir() if p.is_dir()]) >= 30


ERRORS_DOC = Path(__file__).parent.parent / "docs" / "errors.md"
DOC_HEAD = """# Error messages

Every message Chorus gives for a broken site, each with the file that causes it and
how to mend it (the part in parentheses). Errors are printed to stderr, one per
line, sorted by file and line, and followed by a count; the exit status is 1.

    path:line: what is wrong (how to fix it)

This page is generated from the test cases in `tests/invalid_sites/`, so every
message here is exactly what Chorus prints. Regenerate it with
`pytest tests/test_invalid_sites.py --update-golden`.
"""


def _errors_doc() -> str:
    parts = [DOC_HEAD]
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        parts.append(f"\n## {case.name.replace('-', ' ').capitalize()}\n")
        for source in sorted(p for p in case.rglob("*") if (p.is_file() or p.is_symlink())
                             and p.name != "expected.txt"
                             and not p.name.startswith(".")):  # a build's lock or cache is not part of the case
            rel = source.relative_to(case).as_posix()
            if source.is_symlink():
                parts.append(f"\n`{rel}` is a symbolic link to `{os.readlink(source)}`.\n")
                continue
            if rel == "site.yaml" and (CASES / "unknown-region" / "site.yaml").read_bytes() == source.read_bytes():
                continue  # the common site.yaml says nothing about this case
            data = source.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("latin-1") + "\n(saved in Latin-1, not UTF-8)"
            if len(text) > 600:
                text = text[:600] + "\n..."
            parts.append(f"\n`{rel}`:\n\n" + "\n".join("    " + line for line in text.rstrip("\n").split("\n")) + "\n")
        expected = (case / "expected.txt").read_text(encoding="utf-8")
        parts.append("\nChorus says:\n\n" + "\n".join("    " + line for line in expected.rstrip("\n").split("\n")) + "\n")
    return "".join(parts)


def test_errors_doc_lists_every_case(request):
    if request.config.getoption("--update-golden"):
        ERRORS_DOC.write_text(_errors_doc(), encoding="utf-8")
    assert ERRORS_DOC.read_text(encoding="utf-8") == _errors_doc(), \
        "docs/errors.md is out of date: run pytest tests/test_invalid_sites.py --update-golden"
