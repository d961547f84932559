"""A YAML error is explained from the text itself, whichever YAML parser this machine has.

PyYAML parses with libyaml when it was built with it, and with its own Python code
otherwise; the two word their errors differently, and each changes its words and its
limits between releases. Chorus's message must not change with them.
"""

from __future__ import annotations

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
