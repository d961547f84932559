"""Save to reload: how long after a source file is written a dev server tells open pages to reload.

A dev server (`chorus serve`, `hugo server`) is started in a session of its
own; a client stands in for the browser and holds the server's reload channel
open:

- Chorus: the Server-Sent Events stream /__chorus/events (generator/livereload.py):
  `hello` on connecting, then `reload` after each good rebuild and `errors`
  after a failed one, each with the build state as JSON (`build` counts good builds);
- Hugo: the LiveReload WebSocket /livereload, which sends
  `{"command": "reload", ...}` after each rebuild.

Once the first site is served and the server is idle, each edit writes one
file and the time until the next reload message is measured. Between edits
the benchmark waits for the server's CPU time to stop growing, so that work
it does after the reload (Chorus's search index) is not charged to the next
save; how long that took is reported as "busy until".
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Protocol

from proctree import PeakMemory, cpu_seconds, running

HOST = "127.0.0.1"
IDLE_WINDOW = 0.5
"""Seconds in which the server's CPU time must grow by less than IDLE_SHARE of it to count as idle."""
IDLE_SHARE = 0.1
STOP_SECONDS = 20.0
"""How long a server gets to stop after SIGINT before its process group is killed."""


class ServeFailed(Exception):
    """The server exited, a build failed, or a message did not come in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---- a socket read against a deadline --------------------------------------------------------


class Connection:
    """A socket read with a deadline, which gives up as soon as the server process has exited."""

    def __init__(self, sock: socket.socket, alive: Callable[[], bool]):
        self.sock = sock
        self.alive = alive
        self.buffer = bytearray()

    @classmethod
    def when_up(cls, port: int, alive: Callable[[], bool], deadline: float) -> Connection:
        """Connect as soon as the server listens (it may still be starting)."""
        while True:
            try:
                return cls(socket.create_connection((HOST, port), timeout=1.0), alive)
            except OSError:
                _check(alive, deadline, "to listen")
                time.sleep(0.05)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def until(self, separator: bytes, deadline: float) -> bytes:
        """The bytes up to and including the next separator."""
        while (at := self.buffer.find(separator)) < 0:
            self._fill(deadline)
        return self._take(at + len(separator))

    def exactly(self, count: int, deadline: float) -> bytes:
        while len(self.buffer) < count:
            self._fill(deadline)
        return self._take(count)

    def close(self) -> None:
        self.sock.close()

    def _take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def _fill(self, deadline: float) -> None:
        # Short timeouts, so that a server that died is noticed rather than waited for until the deadline.
        self.sock.settimeout(max(0.01, min(0.5, deadline - time.perf_counter())))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            _check(self.alive, deadline, "to answer")
            return
        if not data:
            raise ServeFailed("the server closed the connection")
        self.buffer += data


def _check(alive: Callable[[], bool], deadline: float, what: str) -> None:
    if not alive():
        raise ServeFailed("the server exited")
    if time.perf_counter() > deadline:
        raise ServeFailed(f"timed out waiting for the server {what}")


def _http_get(conn: Connection, port: int, path: str, headers: dict[str, str], deadline: float) -> str:
    """Send a GET, return the response's status line and headers."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}"] + [f"{k}: {v}" for k, v in headers.items()]
    conn.send(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    return conn.until(b"\r\n\r\n", deadline).decode("latin-1")


# ---- the two reload channels ------------------------------------------------------------------


class Channel(Protocol):
    def ready(self, deadline: float) -> None:
        """Return once the first build is served."""

    def reload(self, deadline: float) -> None:
        """Return when the next reload message arrives; ServeFailed when a build failed."""

    def close(self) -> None: ...


class ChorusEvents:
    """Chorus's event stream. Its server answers only after the first build (it starts serving then)."""

    def __init__(self, port: int, alive: Callable[[], bool], deadline: float):
        self.conn = Connection.when_up(port, alive, deadline)
        head = _http_get(self.conn, port, "/__chorus/events", {"Accept": "text/event-stream"}, deadline)
        if not head.startswith("HTTP/1.") or head.split()[1] != "200":
            raise ServeFailed(f"the event stream answered {head.splitlines()[0]!r}")
        self.build = 0

    def next_event(self, deadline: float) -> tuple[str, dict]:
        """The next event and its JSON data; keep-alive comments and `retry:` lines are skipped."""
        while True:
            block = self.conn.until(b"\n\n", deadline).decode("utf-8")
            name, data = "message", []
            for line in block.splitlines():
                key, _, value = line.partition(":")
                if key == "event":
                    name = value.strip()
                elif key == "data":
                    data.append(value[1:] if value.startswith(" ") else value)
            if data:
                return name, json.loads("\n".join(data))

    def ready(self, deadline: float) -> None:
        while self.build < 1:
            self._next(deadline)

    def reload(self, deadline: float) -> None:
        while self._next(deadline) != "reload":
            pass

    def _next(self, deadline: float) -> str:
        name, state = self.next_event(deadline)
        if state.get("errors"):
            raise ServeFailed(f"the build failed: {state.get('summary') or state['errors'][0]}")
        self.build = int(state.get("build", 0))
        return name

    def close(self) -> None:
        self.conn.close()


class HugoLiveReload:
    """Hugo's LiveReload WebSocket (a client of RFC 6455 that reads text frames). Hugo listens only
    once its first build is done, so a completed handshake means the site is served."""

    def __init__(self, port: int, alive: Callable[[], bool], deadline: float):
        self.conn = Connection.when_up(port, alive, deadline)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        head = _http_get(self.conn, port, "/livereload", {"Upgrade": "websocket", "Connection": "Upgrade",
                                                          "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"},
                         deadline)
        if head.split()[1:2] != ["101"]:
            raise ServeFailed(f"the LiveReload socket answered {head.splitlines()[0]!r}")

    def message(self, deadline: float) -> dict:
        """The next text message, as JSON. Server frames are not masked; control frames are skipped."""
        while True:
            first, second = self.conn.exactly(2, deadline)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self.conn.exactly(2, deadline))[0]
            elif size == 127:
                size = struct.unpack("!Q", self.conn.exactly(8, deadline))[0]
            payload = self.conn.exactly(size, deadline)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ServeFailed("the server closed the LiveReload socket")
            if opcode == 0x1:
                return json.loads(payload)

    def ready(self, deadline: float) -> None:
        pass

    def reload(self, deadline: float) -> None:
        while self.message(deadline).get("command") != "reload":
            pass

    def close(self) -> None:
        self.conn.close()


# ---- one serve session -------------------------------------------------------------------------


@dataclass
class ServeSpec:
    argv: Callable[[int], list[str]]
    """The server's command line for a port."""
    channel: Callable[[int, Callable[[], bool], float], Channel]
    edits: list[Callable[[], str]]
    """Each writes one source file and says which."""
    cwd: Path
    env: dict


@dataclass
class ServeResult:
    first: float = 0.0
    """Seconds from starting the server to the first site served."""
    reloads: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    """Seconds from each write until the server was idle again."""
    peak_mib: float = 0.0
    cpu: float = 0.0
    """User + system time of the whole session and the processes it waited for."""
    exit: int = 0
    problem: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.reloads) if self.reloads else 0.0


def measure_serve(spec: ServeSpec, log_dir: Path, label: str, timeout: float,
                  log: Callable[[str], None]) -> ServeResult:
    """Start the server, wait for its first site, time each edit's reload, stop it; never raises ServeFailed."""
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    result = ServeResult()
    with open(log_dir / f"{label}.out", "wb") as out, open(log_dir / f"{label}.err", "wb") as err:
        started = time.perf_counter()
        # A session of its own: its process group can be killed whole if SIGINT does not end it.
        server = subprocess.Popen(spec.argv(port), cwd=spec.cwd, env=spec.env, stdout=out, stderr=err,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        with PeakMemory(server.pid) as memory:
            try:
                _session(spec, server.pid, port, started, timeout, result, log)
            except (ServeFailed, OSError, ValueError) as failed:  # a socket error, a malformed message
                result.problem = str(failed) or type(failed).__name__
            finally:
                code, usage = stop(server)
        result.peak_mib, result.cpu = memory.peak_mib, usage.ru_utime + usage.ru_stime
    result.exit = code if not result.problem else (code or 1)
    return result


def _session(spec: ServeSpec, pid: int, port: int, started: float, timeout: float, result: ServeResult,
             log: Callable[[str], None]) -> None:
    channel = spec.channel(port, partial(running, pid), started + timeout)
    try:
        channel.ready(started + timeout)
        result.first = time.perf_counter() - started
        wait_idle(pid, time.perf_counter() + timeout)
        for edit in spec.edits:
            what = edit()
            written = time.perf_counter()
            channel.reload(written + timeout)
            result.reloads.append(time.perf_counter() - written)
            result.busy.append(wait_idle(pid, written + timeout) - written)
            log(f"saved {what}: reload after {result.reloads[-1]:.2f} s, "
                f"server idle after {result.busy[-1]:.2f} s")
    finally:
        channel.close()


def wait_idle(pid: int, deadline: float) -> float:
    """Wait until the server's tree has used under IDLE_SHARE of a core for IDLE_WINDOW seconds;
    returns when that quiet window began (about when its work ended), or the time it gave up."""
    samples: deque[tuple[float, float]] = deque()
    while (now := time.perf_counter()) < deadline and running(pid):
        samples.append((now, cpu_seconds(pid)))
        while len(samples) > 1 and samples[1][0] <= now - IDLE_WINDOW:
            samples.popleft()
        since, used = samples[0]
        if now - since >= IDLE_WINDOW and samples[-1][1] - used < IDLE_SHARE * (now - since):
            return since
        time.sleep(0.1)
    return time.perf_counter()


def stop(server: subprocess.Popen) -> tuple[int, os.struct_rusage]:
    """SIGINT (Ctrl-C, which both servers handle), then SIGKILL to whatever is left of its process group."""
    try:
        os.kill(server.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    deadline = time.perf_counter() + STOP_SECONDS
    while running(server.pid) and time.perf_counter() < deadline:
        time.sleep(0.05)
    try:
        # Not reaped yet, so its pid (the group's id) cannot have been reused: children it left, or itself.
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status, usage = os.wait4(server.pid, 0)
    server.returncode = code = os.waitstatus_to_exitcode(status)
    return code, usage
