"""The demo archive, built, must equal tests/golden/ byte for byte.

After an intended change to the output, refresh it and review the diff:
    pytest tests/test_golden.py --update-golden && git diff --stat tests/golden
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, run, tree

GOLDEN = Path(__file__).parent / "golden"


def test_demo_matches_golden(tmp_path, request):
    out = tmp_path / "output"
    result = run("build", "--site", str(REPO), "--out", str(out))
    assert result.code == 0, result.err
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    built, golden = tree(out), tree(GOLDEN)
    assert sorted(built) == sorted(golden), "files differ: run pytest --update-golden and review the diff"
    changed = [path for path in built if built[path] != golden[path]]
    assert changed == [], "content differs: run pytest --update-golden and review the diff"
