"""The publish gate's byte scan spread over processes finds what one process finds, and reports it the same way."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest

from conftest import REPO, run
from test_promises import _private_site
from generator import parallel
from generator.privacy import Privacy

@pytest.fixture(autouse=True)
def scanned_over_processes_from_one_file(monkeypatch):
    """These trees are small: their scan is spread over processes all the same."""
    monkeypatch.setattr(parallel, "FORK_SCAN", 1)


PRIVACY = Privacy({"zz_secret": "Jamie K", "zz_other@social.example": "Sam P"})

LEAKS = {
    "plain": b"<p>Ask zz_secret today</p>",
    "upper": b"<p>Ask ZZ_Secret today</p>",
    "split by markup": b"<p>zz_<em></em>secret</p>",
    "entity": b"<p>zz&#95;secret</p>",
    "percent": b"<a href=\"/x/zz%5fsecret\">x</a>",
    "profile path": b"<a href=\"https://social.example/@zz_other\">x</a>",
    "json escape": b"{\"a\": \"zz\\u005fsecret\"}",
    "gzip": gzip.compress(b"pagefind text by zz_<b></b>secret"),
    "utf-16": "zz_secret".encode("utf-16-le") + b"\x00",
}
CLEAN = [b"<p>Nothing to see</p>", b"<p>zz_secretive is another word</p>", b"zz_<br>", b""]


def _tree(root: Path, count: int) -> list[str]:
    """`count` files, one in seven leaking a handle in one of its forms, the rest clean."""
    leaks = list(LEAKS.values())
    rels = []
    for index in range(count):
        rel = f"d{index % 5}/f{index:04}.html"
        data = leaks[(index // 7) % len(leaks)] if index % 7 == 3 else CLEAN[index % len(CLEAN)]
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        rels.append(rel)
    return sorted(rels)


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_the_scan_over_processes_finds_what_one_process_finds(tmp_path, jobs):
    rels = _tree(tmp_path, 300)
    expected = [(rel, PRIVACY.scan_file(tmp_path / rel)) for rel in rels]
    assert sum(handle is not None for _, handle in expected) == 300 // 7 + 1
    assert parallel.scan_many(PRIVACY, tmp_path, rels, jobs) == expected


@pytest.mark.parametrize("jobs", [2, 3])
def test_the_gate_reports_the_same_errors_whatever_the_jobs(tmp_path, jobs):
    rels = _tree(tmp_path, 300)
    paths = rels + ["zz_secret/index.html"]  # a path is refused by its name, its bytes unread
    one = PRIVACY.gate(tmp_path, paths, set(paths), [])
    spread = PRIVACY.gate(tmp_path, paths, set(paths), [],
                          lambda root, scanned: parallel.scan_many(PRIVACY, root, scanned, jobs))
    assert [str(error) for error in spread] == [str(error) for error in one]
    assert len(one) == 2


def test_no_worker_is_forked_while_another_thread_runs(tmp_path, monkeypatch):
    rels = _tree(tmp_path, 300)
    asked = []
    fork_map = parallel._fork_map

    def recorded(jobs, *args, **kwargs):
        asked.append(jobs)
        return fork_map(jobs, *args, **kwargs)

    monkeypatch.setattr(parallel, "_fork_map", recorded)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        found = parallel.scan_many(PRIVACY, tmp_path, rels, 2)
    finally:
        release.set()
        thread.join()
    assert asked == [1]
    assert found == [(rel, PRIVACY.scan_file(tmp_path / rel)) for rel in rels]


def _leaking_layout() -> str:
    """The theme's base template, with a private handle (split by markup) in every page's footer."""
    base = (REPO / "generator/theme/templates/base.html").read_text(encoding="utf-8")
    assert base.count("</body>") == 1
    return base.replace("</body>", "<p>zz_<em></em>secret</p></body>")


def test_a_build_refuses_the_same_way_whatever_the_jobs(write_site):
    site = write_site({**_private_site("body", "nothing", False), "layouts/base.html": _leaking_layout()})
    results = [run("build", "--site", str(site), "--jobs", jobs) for jobs in ("1", "2")]
    assert [result.code for result in results] == [1, 1]
    assert results[0].err == results[1].err
    assert "the handle of a private person (Jamie K) would be published in /" in results[0].err
    assert " other files " in results[0].err
    assert not (site / "output").exists()
