"""Each folder of tests/invalid_sites/ is a broken site; expected.txt is exactly what chorus prints.

To add a case: make a folder with site.yaml and content/, and write the exact
stderr you expect in expected.txt (the last line counts the errors).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import run

CASES = Path(__file__).parent / "invalid_sites"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("command", ["build", "check"])
def test_invalid_site(case, command, tmp_path):
    site = tmp_path / case
    shutil.copytree(CASES / case, site, ignore=shutil.ignore_patterns("expected.txt"))
    result = run(command, "--site", str(site))
    expected = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    assert result.err == expected
    assert result.code == 1
    assert result.out == ""
    assert not (site / "output").exists()


def test_there_are_enough_cases():
    assert len([p for p in CASES.iterdir() if p.is_dir()]) >= 30
