"""The benchmark's own measuring tools (bench/): peak memory of a process tree, idle detection, the two
reload channels, and the report. The whole benchmark runs in CI as `bench/run.py --smoke`."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import proctree  # noqa: E402
import reload  # noqa: E402
import run  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

# Run with "parent", it starts itself as a child; each touches 40 MiB of its own, then waits to be killed.
TREE = textwrap.dedent("""
    import subprocess, sys, time
    block = bytearray(40 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    if sys.argv[1:] == ["parent"]:
        child = subprocess.Popen([sys.executable, __file__])
    print("ready", flush=True)
    time.sleep(60)
""")


def test_peak_memory_sums_every_process_of_the_tree(tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(TREE)
    parent = subprocess.Popen([sys.executable, str(script), "parent"], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 20
        while len(proctree.tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # time for the child to touch its 40 MiB
        with proctree.PeakMemory(parent.pid, interval=0.02) as memory:
            time.sleep(0.2)
        assert len(proctree.tree(parent.pid)) == 2
        assert memory.samples >= 2
        assert memory.peak_mib >= 80, "both processes' 40 MiB are counted"
    finally:
        for pid in reversed(proctree.tree(parent.pid)):
            subprocess.run(["kill", str(pid)])
        parent.wait()


SHRINKING = textwrap.dedent("""
    import ctypes, sys
    block = bytearray(60 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    print("big", flush=True)
    sys.stdin.readline()
    del block
    ctypes.CDLL(None).malloc_trim(0)
    print("small", flush=True)
    sys.stdin.readline()
""")


def test_peak_memory_is_kept_while_samples_below_it_skip_the_costly_read(tmp_path):
    """A process's PSS is at most its RSS: once the tree's RSS is below the peak, a sample cannot make a new one,
    and the page-table walk of smaps_rollup (which slows the measured build) is skipped; the peak stays."""
    script = tmp_path / "shrinking.py"
    script.write_text(SHRINKING)
    child = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        memory = proctree.PeakMemory(child.pid)
        assert child.stdout.readline() == "big\n"
        memory.sample()
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline() == "small\n"
        for _ in range(3):
            memory.sample()
        assert memory.peak_mib >= 60
        if proctree.HAS_ROLLUP:
            assert memory.read == 1, "the samples below the peak read no PSS"
    finally:
        child.kill()
        child.wait()


def test_wait_idle_waits_for_the_work_to_end():
    busy = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 1.0\n"
                             "while time.time() < end: pass\ntime.sleep(30)"])
    try:
        started = time.perf_counter()
        ended = reload.wait_idle(busy.pid, started + 20)
        assert 0.7 <= ended - started < 3.0
        assert proctree.running(busy.pid)
    finally:
        busy.kill()
        busy.wait()
    assert not proctree.running(busy.pid)


BUSY_ONE_SECOND = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass\n"
"""A second of CPU, however loaded the machine is."""
REAPER = """
import subprocess, sys, time
print("ready", flush=True)
sys.stdin.readline()
# A child that starts a process working for a second and reaps it itself, not the root: as the build's
# search indexer reaps Pagefind. The root then works for a second too.
subprocess.run([sys.executable, "-c", "import subprocess, sys; subprocess.run([sys.executable, sys.argv[1]])",
                sys.argv[1]])
exec(open(sys.argv[1]).read())
"""


def test_cpu_time_of_a_tree_never_falls_when_a_process_in_it_reaps_its_own(tmp_path):
    """Else the serve phase's wait for idle ends early (a fall reads as idle) and the next save lands mid-build."""
    (tmp_path / "busy.py").write_text(BUSY_ONE_SECOND)
    (tmp_path / "reaper.py").write_text(REAPER)
    root = subprocess.Popen([sys.executable, str(tmp_path / "reaper.py"), str(tmp_path / "busy.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert root.stdout.readline() == "ready\n"
        root.stdin.write("go\n")
        root.stdin.flush()
        seen = []
        while root.poll() is None:
            seen.append(proctree.cpu_seconds(root.pid))
            time.sleep(0.02)
        live = [value for value in seen if value > 0]  # (a last sample may find the root gone)
        assert all(later >= earlier for earlier, later in zip(live, live[1:])), live
        assert live[-1] >= live[0] + 1.5, "the grandchild's second and the root's are both counted"
    finally:
        root.kill()
        root.wait()


def _serve_once(reply: list[bytes]) -> tuple[int, threading.Thread]:
    """A server on a free port that answers one connection with these chunks, then waits for it to close."""
    listener = socket.create_server((reload.HOST, 0))

    def answer():
        with listener, listener.accept()[0] as conn:
            conn.recv(4096)
            for chunk in reply:
                conn.sendall(chunk)
                time.sleep(0.01)
            conn.settimeout(5)
            try:
                conn.recv(1)
            except OSError:
                pass

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def _event(name: str, build: int, errors: list[str] = ()) -> bytes:
    data = json.dumps({"instance": "x", "build": build, "errors": list(errors), "summary": "1 error" if errors else ""})
    return f"event: {name}\ndata: {data}\n\n".encode()


def test_chorus_events_ready_after_a_good_build_then_each_reload():
    port, _ = _serve_once([b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
                           b"retry: 1000\n" + _event("hello", 1), b": keep-alive\n\n", _event("reload", 2)])
    deadline = time.perf_counter() + 10
    channel = reload.ChorusEvents(port, lambda: True, deadline)
    try:
        channel.ready(deadline)
        channel.reload(deadline)
        assert channel.build == 2
    finally:
        channel.close()


def test_chorus_events_a_failed_build_is_a_failure_not_a_reload():
    port, _ = _serve_once([b"HTTP/1.0 200 OK\r\n\r\n", _event("hello", 1), _event("errors", 1, ["a.md:1: bad"])])
    deadline = time.perf_counter() + 10
    channel = reload.ChorusEvents(port, lambda: True, deadline)
    try:
        channel.ready(deadline)
        with pytest.raises(reload.ServeFailed):
            channel.reload(deadline)
    finally:
        channel.close()


def _frame(opcode: int, payload: bytes) -> bytes:
    size = len(payload)
    head = bytes([0x80 | opcode, size]) if size < 126 else bytes([0x80 | opcode, 126]) + struct.pack("!H", size)
    return head + payload


def test_hugo_livereload_skips_other_messages_until_a_reload():
    hello = json.dumps({"command": "hello", "padding": "x" * 300}).encode()  # a 16-bit length
    port, _ = _serve_once([b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                           _frame(0x9, b""), _frame(0x1, hello), _frame(0x1, b'{"command":"reload","path":"/x.js"}')])
    deadline = time.perf_counter() + 10
    channel = reload.HugoLiveReload(port, lambda: True, deadline)
    try:
        channel.reload(deadline)
    finally:
        channel.close()


def test_a_channel_gives_up_when_the_server_has_exited():
    port, _ = _serve_once([b"HTTP/1.0 200 OK\r\n\r\n"])
    deadline = time.perf_counter() + 10
    alive = [True]
    channel = reload.ChorusEvents(port, lambda: alive[0], deadline)
    alive[0] = False
    started = time.perf_counter()
    with pytest.raises(reload.ServeFailed, match="exited"):
        channel.ready(deadline)
    assert time.perf_counter() - started < 2
    channel.close()


def _runs() -> list[run.Run]:
    return [run.Run("Chorus", "cold", 40.0, 80.0, 900.0, 10, 10, 10),
            run.Run("Chorus", "no-change", 1.0, 2.0, 300.0, 0, 0, 10),
            run.Run("Chorus", "serve", 0.6, None, 950.0),
            run.Run("Hugo", "cold", 20.0, 40.0, 1000.0, 8, 8, 8),
            run.Run("Hugo", "serve", 0.3, None, 1000.0)]


def test_each_phase_is_shown_against_its_own_cold_build():
    lines = run.table(_runs()).splitlines()
    no_change = next(line for line in lines if "| no-change |" in line)
    assert "| 2.5% (CPU 2.5%) |" in no_change
    serve = next(line for line in lines if line.startswith("| Chorus | serve: save to reload |"))
    assert "| 1.5% |" in serve and "| 950 |" in serve


def test_chorus_is_compared_with_a_peer_for_the_phases_both_have():
    rows = run.peer_table(_runs()).splitlines()
    assert rows[0] == "| phase | Chorus | Hugo | Chorus ÷ Hugo |"
    assert "| cold, wall s | 40.00 | 20.00 | 2.00× |" in rows
    assert "| serve: save to reload, wall s | 0.60 | 0.30 | 2.00× |" in rows
    assert not any(row.startswith("| no-change") or "serve: save to reload, CPU" in row for row in rows)
    assert run.peer_table([r for r in _runs() if r.tool == "Chorus"]) == ""


def test_results_keep_the_other_sizes_sections(tmp_path):
    results = tmp_path / "RESULTS.md"
    run.write_results(results, 10000, False, "## 10,000 entries\n")
    run.write_results(results, 1000, False, "## 1,000 entries\nold\n")
    run.write_results(results, 1000, False, "## 1,000 entries\nnew\n")
    text = results.read_text()
    assert text.index("## 1,000 entries\nnew") < text.index("## 10,000 entries") and "old" not in text


def test_a_server_that_exits_at_once_fails_the_phase_quickly(tmp_path):
    spec = reload.ServeSpec(lambda port: [sys.executable, "-c", "import sys; sys.exit(3)"], reload.ChorusEvents,
                            [], tmp_path, {})
    started = time.perf_counter()
    result = reload.measure_serve(spec, tmp_path / "logs", "exits", 30, lambda message: None)
    assert time.perf_counter() - started < 10
    assert result.exit == 3 and "exited" in result.problem and result.reloads == []
