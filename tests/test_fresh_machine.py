"""A fresh machine passes: the README's two commands install versions known to work, and CI runs them."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO

FIRST_SCREEN = 25
"""Lines a reader sees before scrolling."""


def _first_screen_commands() -> list[str]:
    """The lines of the README's first screen that are commands: the lines of its code blocks."""
    commands, inside = [], False
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN]:
        if line.startswith("```"):
            assert inside or line == "```sh", f"{line}: .ci/run runs the README's ```sh blocks"
            inside = not inside
        elif inside and line.strip():
            commands.append(line)
    assert not inside, "a code block of the README's first screen goes on past it"
    return commands


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_the_first_screen_holds_the_two_commands_each_installing_known_versions():
    commands = _first_screen_commands()
    assert len(commands) == 2, commands  # one builds the demo, one runs the tests: nothing else to choose from
    build, test = commands
    for command in (build, test):
        assert re.search(r"\bpip install .*-c constraints\.txt\b", command), command
    assert build.endswith("chorus build") and " -e . " in build
    assert test.endswith("pytest") and " -e '.[test]' " in test


def test_ci_runs_the_readme_commands_and_tests_the_newest_releases():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in ci  # it runs the README's commands as the README writes them: they cannot drift apart
    newest = [line for line in ci.splitlines() if "pip" in line and "install" in line and "--upgrade" in line]
    assert newest and not any("-c " in line or "constraints" in line for line in newest), newest


def test_constraints_pin_every_dependency_within_its_declared_range():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version) for version in pins.values()), pins
    for line in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (line, pins[name])


def _needed(requirement: Requirement, extras: set[str]) -> bool:
    return requirement.marker is None or any(requirement.marker.evaluate({"extra": extra})
                                             for extra in extras or {""})


def _installed_closure() -> dict[str, str]:
    """Every distribution Chorus and its tests need, as installed here: name -> version."""
    found: dict[str, str] = {}
    extras_of: dict[str, set[str]] = {}
    todo = [Requirement("chorus-archive[test]")]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in extras_of and set(requirement.extras) <= extras_of[name]:
            continue
        extras_of.setdefault(name, set()).update(requirement.extras)
        found[name] = metadata.version(requirement.name)
        todo += [r for r in map(Requirement, metadata.requires(requirement.name) or [])
                 if _needed(r, extras_of[name])]
    del found["chorus-archive"]
    return found


def test_constraints_cover_every_transitive_dependency():
    installed, pins = _installed_closure(), _pins()
    if any(pins.get(name, version) != version for name, version in installed.items()):
        pytest.skip("this venv does not hold the versions of constraints.txt (CI's newest-release run)")
    assert sorted(set(installed) - set(pins)) == []
