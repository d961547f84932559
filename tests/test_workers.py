"""Forked workers that grow past their memory budget end, and others take their place: nothing built changes."""

from __future__ import annotations

import multiprocessing
import os
import time

from conftest import entry, run, tree
from generator import parallel


def _pid_of_task(state, task: int) -> tuple[int, int]:
    time.sleep(0.02)  # long enough for the workers to take their share
    return task * state, os.getpid()


def test_workers_past_their_budget_are_replaced_and_every_result_comes_back_in_order(monkeypatch):
    monkeypatch.setattr(parallel, "WORKER_MIB", -1)  # every worker ends after its first task
    monkeypatch.setattr(parallel, "MEMORY_CHECK_SECONDS", 0)
    results = parallel._fork_map(2, 3, _pid_of_task, list(range(40)))
    assert [value for value, _ in results] == [3 * task for task in range(40)]
    workers = {pid for _, pid in results} - {os.getpid()}
    assert len(workers) > 1, "no worker was forked in the place of one that ended"


def test_a_site_built_by_workers_that_keep_ending_is_the_same_site(tmp_path, monkeypatch):
    """Read and render with a worker replaced after every task (feed items stored by many processes
    included), then an edit: the same bytes as a build by long-lived workers, and as a clean build."""
    from test_output import four_languages

    site = four_languages(tmp_path / "site", search=False)
    assert run("build", "--site", str(site), "--jobs", "2", "--out", str(tmp_path / "steady")).code == 0
    with monkeypatch.context() as patched:
        patched.setattr(parallel, "WORKER_MIB", -1)
        patched.setattr(parallel, "MEMORY_CHECK_SECONDS", 0)
        assert run("build", "--site", str(site), "--jobs", "2").code == 0
        assert tree(site / "output") == tree(tmp_path / "steady")
        (site / "content/articles/mixed.md").write_text(entry("Mixed", "2017-10-17", body="Edited."))
        assert run("build", "--site", str(site), "--jobs", "2").code == 0
    assert run("build", "--site", str(site), "--jobs", "2", "--out", str(tmp_path / "clean")).code == 0
    assert tree(site / "output") == tree(tmp_path / "clean")


def test_a_process_knows_its_own_memory():
    own = parallel._private_mib()
    assert own > 1 or not os.path.exists("/proc/self/smaps_rollup")


def test_the_parent_takes_the_first_task_when_told_whatever_the_workers_take(monkeypatch):
    results = parallel._fork_map(2, 3, _pid_of_task, list(range(40)), parent_first=True)
    assert [value for value, _ in results] == [3 * task for task in range(40)]
    assert results[0][1] == os.getpid()
    assert {pid for _, pid in results} != {os.getpid()}, "no worker took part"


def _wait_for_the_workers(parent: int, task: int):
    """The parent's task waits (10 s at most) for every worker to end, and says whether they did; the workers'
    results are more than a pipe holds, so a worker ends only once the parent has read them."""
    if task == 0 and os.getpid() == parent:
        deadline = time.monotonic() + 10
        while multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.05)
        return not multiprocessing.active_children()
    return b"x" * 200_000


def test_a_worker_that_sent_its_last_result_ends_while_the_parent_is_still_at_its_own_task():
    """Else it would hold its memory (a copy of much of the parent's) until the parent is free again."""
    results = parallel._fork_map(2, os.getpid(), _wait_for_the_workers, list(range(6)), parent_first=True)
    assert results[0] is True, "a worker was still waiting for its results to be read"
    assert results[1:] == [b"x" * 200_000] * 5


def test_the_open_data_files_are_made_by_the_build_s_own_process(tmp_path, monkeypatch):
    """They are made from every entry: a worker that made them would copy the whole archive's memory."""
    from conftest import BASE_CONFIG, write_files
    from generator.outputs import opendata

    site = tmp_path / "site"
    files = {"site.yaml": BASE_CONFIG}
    for i in range(80):
        files[f"content/articles/a{i:02d}.md"] = entry(f"Article {i}", f"2017-10-{1 + i % 28:02d}",
                                                      body=f"Words of article {i}.", regions=["us"])
    write_files(site, files)
    makers, pages = tmp_path / "makers", tmp_path / "pages"
    monkeypatch.setattr(opendata, "render", _pid_written_to(makers, opendata.render))
    monkeypatch.setattr(parallel, "_render_routes", _pid_written_to(pages, parallel._render_routes))
    assert run("build", "--site", str(site), "--jobs", "2").code == 0
    assert set(makers.read_text().split()) == {str(os.getpid())}
    assert set(pages.read_text().split()) != {str(os.getpid())}, "no worker rendered: the test tests nothing"
    assert run("build", "--site", str(site), "--jobs", "1", "--out", str(tmp_path / "one")).code == 0
    assert tree(site / "output") == tree(tmp_path / "one")


def _pid_written_to(path, real):
    """`real`, which first appends the pid of the process calling it to `path` (workers' lists would be lost)."""
    def called(*args):
        with open(path, "a") as out:
            out.write(f"{os.getpid()}\n")
        return real(*args)
    return called
