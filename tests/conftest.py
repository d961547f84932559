"""Fixtures: small sites written inline, and the chorus command run in-process."""

from __future__ import annotations

import io
import os
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from generator.cli import main

REPO = Path(__file__).resolve().parent.parent

# Property tests: the same examples on every CI run (a failure there can be rerun as it was), fresh ones on
# a developer's machine. A failing example is printed, with a blob for @reproduce_failure. Each example
# builds a site, which hypothesis would call too slow. HYPOTHESIS_PROFILE names a profile; otherwise CI
# (set by CI services and by .ci/run) selects "ci". Hypothesis loads a "ci" profile of its own when CI is
# set, so each of ours starts from the plain defaults.
_PROPERTY = settings(settings.get_profile("default"), deadline=None, print_blob=True,
                     suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", _PROPERTY, max_examples=25, derandomize=True, database=None)
settings.register_profile("dev", _PROPERTY, max_examples=25)
settings.register_profile("thorough", _PROPERTY, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() not in ("", "0", "false") else "dev"))

BASE_CONFIG = """\
title: Test archive
description: A test archive.
base_url: https://archive.example.org/
language: en
timezone: UTC
taxonomies:
  tags: {title: Tags}
  regions:
    title: Regions
    terms:
      us: {title: United States, aliases: [usa]}
      france: {title: France, lang: fr}
  sectors:
    title: Sectors
    terms:
      sports: {title: Sports}
      workplace: {title: Workplace}
pagination: 2
"""


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from a fresh build of the demo archive")


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(*args: str) -> Result:
    """Run `chorus ARGS` in this process, capturing its output and exit status."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
    return Result(code, out.getvalue(), err.getvalue())


def assembled_site(site_dir: Path):
    """The site as the build assembles it before rendering, read in this process (each entry must read and
    assemble without error)."""
    from generator.config import load_config
    from generator.entries import read_entry
    from generator.markup import MarkdownRenderer
    from generator.site import assemble
    from generator.sources import discover
    config, errors = load_config(site_dir, None)
    assert not errors
    sources, _ = discover(site_dir)
    markdown = MarkdownRenderer(config.markdown.unsafe_html)
    entries = []
    for source in sources:
        found, errors = read_entry(source, (site_dir / source.path).read_bytes(), config, markdown)
        assert not errors
        entries.append(found)
    site, errors = assemble(config, sources, entries)
    assert not errors
    return site


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return root


def entry(title: str = "An entry", date: str = "2017-10-17", body: str = "Body text.", **keys) -> str:
    """Front matter and body for an entry; keys are written as YAML (flow style for lists)."""
    import yaml
    meta = {"title": title, "date": date, **keys}
    lines = ["---"]
    for key, value in meta.items():
        if key == "date" and isinstance(value, str) and len(value) == 10:
            lines.append(f"date: {value}")
        else:
            lines.append(yaml.safe_dump({key: value}, default_flow_style=True, allow_unicode=True,
                                        width=10_000).strip()[1:-1])
    lines += ["---", body, ""]
    return "\n".join(lines)


@pytest.fixture
def write_site(tmp_path):
    """write_site({path: text}) -> a site folder with BASE_CONFIG unless site.yaml is given."""
    def write(files: dict[str, str | bytes], config: str | None = None) -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        all_files = {"site.yaml": config if config is not None else BASE_CONFIG, **files}
        return write_files(site, all_files)
    return write


@pytest.fixture
def build_site(write_site):
    """build_site({path: text}) -> the output folder of a successful build."""
    def build(files: dict[str, str | bytes], *args: str, config: str | None = None) -> Path:
        site = write_site(files, config)
        result = run("build", "--site", str(site), *args)
        assert result.code == 0, result.err
        return site / "output"
    return build


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root, relative path -> bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class _MarkupCheck(HTMLParser):
    """Collects markup that could run script: any script but our JSON-LD and same-site search scripts,
    event-handler attributes, javascript: URLs, frames and objects."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            src = values.get("src") or ""
            if values.get("type") == "application/ld+json":
                self._in_jsonld = True
            elif not (src.startswith("/") and not src.startswith("//") and src.endswith("/search.js")):
                self.found.append(f"<script src={src!r}>")
        if tag in ("iframe", "object", "embed", "frame"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")) and value != "data:,":  # "data:," is our empty icon
                self.found.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld and "<" in data:
            self.found.append("JSON-LD holding '<'")


def unsafe_markup(html: str) -> list[str]:
    checker = _MarkupCheck()
    checker.feed(html)
    return checker.found
