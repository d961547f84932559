"""Pagefind, the search indexer, run as a service: records in, the index's files out.

Pagefind's `--service` mode reads requests on stdin and answers on stdout, each
a base64-encoded JSON message followed by a comma (its Python API speaks the
same protocol, but polls for each answer with a 0.1 s sleep: 10,000 records
would take 1,000 s). We hand it the text of each entry (`add_record`), never a
folder, and receive the files of the index as bytes (`files`): Pagefind reads
and writes nothing on disk, so there is nothing of ours it could change.

It is an external process, so it is held to what we promise of our own code:
no input but ours, one time limit for all its work, its own process group
(stopped whole on a timeout or an interrupt), death with the build (a killed
build leaves no indexer behind), and every failure one message naming the
cause. Its answers are checked before use: a file must be a plain relative
path, which the write stage then places under pagefind/.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

from .errors import BuildFailed, Code, SourceError
from .forked import signals_held, started_child

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
"""A file Pagefind may make: plain relative segments, none hidden and none `..`."""
_STDERR_KEPT = 65536
_INSTALL = "install Chorus with its dependencies (pagefind[extended]), or set search: false in site.yaml"
REPORT = "please report it; search: false in site.yaml builds the site without search"


@dataclass(frozen=True)
class Record:
    """One searchable entry, as Pagefind's AddRecord takes it."""

    url: str
    language: str
    content: str
    """Plain text: what a search matches and an excerpt shows."""
    meta: tuple[tuple[str, str], ...]
    """What a result shows and the search page filters on (title, date, kind...)."""
    sort: tuple[tuple[str, str], ...] = ()


def executable() -> str:
    """Pagefind's program, found where its Python package looks for it: PAGEFIND_BINARY_PATH, the binary of
    pagefind[extended], of plain pagefind, then the PATH. Run directly: `python -m pagefind` starts an interpreter
    only to exec it (0.15 s before Pagefind's first answer, against 0.005 s)."""
    given = os.environ.get("PAGEFIND_BINARY_PATH")
    if given:
        return given
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            return os.fspath(importlib.import_module(package).get_executable())
        except (ImportError, OSError):  # not installed, or installed without its binary
            continue
    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    if found is None:
        raise failed("Pagefind is not installed")
    return found


def failed(detail: str, hint: str = _INSTALL) -> BuildFailed:
    return BuildFailed([SourceError("site.yaml", 0, f"the search index could not be built: {detail}", hint,
                                    code=Code.SEARCH)])


class Pagefind:
    """One Pagefind service process for a build: `index()` as often as needed, then `close()`.

    `timeout` bounds all of its work together, from the start of the process.
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._next_id = 0
        self._out = bytearray()
        self._err = bytearray()
        # Pagefind must not outlive a killed build. (preexec_fn is unsafe beside other threads, as under
        # chorus serve, where a build is never killed alone.)
        in_main_thread = threading.current_thread() is threading.main_thread()
        try:
            # Its own session: on a timeout or an interrupt, the whole group is stopped, whatever it started. A
            # TERM during the fork would be raised in its handlers (in the indexing process, which a stopped
            # build terminates): held meanwhile.
            with signals_held() if in_main_thread else nullcontext():
                self.proc = subprocess.Popen([executable(), "--service"], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                             preexec_fn=started_child if in_main_thread else None)
        except OSError as exc:
            raise failed(f"Pagefind could not be started: {exc.strerror or exc}") from None
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(pipe.fileno(), False)

    def __enter__(self) -> "Pagefind":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def index(self, records: list[Record]) -> dict[str, bytes]:
        """The files of an index of `records`, by their path in the index's folder."""
        [created] = self._exchange([{"type": "NewIndex", "config": {}}])
        index_id = created.get("index_id")
        if not isinstance(index_id, int):
            raise failed("Pagefind answered a request with something else", REPORT)
        self._exchange([{"type": "AddRecord", "index_id": index_id, "url": r.url, "content": r.content,
                         "language": r.language, "meta": dict(r.meta), "filters": None,
                         "sort": dict(r.sort) or None} for r in records])
        [answer] = self._exchange([{"type": "GetFiles", "index_id": index_id}])
        files = _decoded(answer.get("files"))
        # One index at a time: its memory is returned before the next shard is indexed.
        self._exchange([{"type": "DeleteIndex", "index_id": index_id}])
        return files

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=max(0.1, min(5.0, self.deadline - time.monotonic())))
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def kill(self) -> None:
        """Stop the process group at once, from any thread; a thread waiting on it then sees it end."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass

    # ---- the protocol ----

    def _exchange(self, payloads: list[dict]) -> list[dict]:
        """Send every request, then wait for an answer to each; returns the answers' payloads in order.

        Requests and answers flow at once (one selector, no threads): the pipes never fill up and block
        either side, and the deadline holds whatever Pagefind does.
        """
        first = self._next_id + 1
        pending = bytearray()
        for payload in payloads:
            self._next_id += 1
            message = json.dumps({"message_id": self._next_id, "payload": payload}, ensure_ascii=False)
            pending += base64.b64encode(message.encode("utf-8")) + b","
        answers: dict[int, dict] = {}
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            selector.register(self.proc.stderr, selectors.EVENT_READ)
            if pending:
                selector.register(self.proc.stdin, selectors.EVENT_WRITE)
            while len(answers) < len(payloads):
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    self._stop()
                    raise failed(f"Pagefind timed out after {self.timeout:g} s",
                                 "raise limits.search_timeout in site.yaml, or set search: false")
                events = selector.select(timeout=min(remaining, 1.0))
                for key, _ in events:
                    if key.fileobj is self.proc.stdin:
                        pending = self._write(pending)
                        if not pending:
                            selector.unregister(self.proc.stdin)
                    elif not self._read(key.fileobj):
                        selector.unregister(key.fileobj)
                        if key.fileobj is self.proc.stdout:
                            self._ended()
                for message in self._messages():
                    message_id, payload = _answer(message)
                    if payload.get("type") == "Error":
                        raise failed(f"Pagefind refused a request: {_shown(str(payload.get('message', '')))}",
                                     REPORT)
                    if message_id is not None and first <= message_id <= self._next_id:
                        answers[message_id] = payload
        return [answers[message_id] for message_id in range(first, self._next_id + 1)]

    def _write(self, pending: bytearray) -> bytearray:
        try:
            written = os.write(self.proc.stdin.fileno(), pending[:1 << 16])
        except BlockingIOError:
            return pending
        except BrokenPipeError:
            self._ended()
        del pending[:written]
        return pending

    def _read(self, pipe) -> bool:
        """Read what is there; False at the end of the stream."""
        try:
            chunk = os.read(pipe.fileno(), 1 << 20)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        if pipe is self.proc.stdout:
            self._out += chunk
        else:
            self._err = (self._err + chunk)[-_STDERR_KEPT:]
        return True

    def _messages(self) -> list[bytes]:
        found = []
        while (end := self._out.find(b",")) >= 0:
            found.append(bytes(self._out[:end]))
            del self._out[:end + 1]
        return found

    def _ended(self) -> None:
        """Pagefind closed its output: it exited, or is about to."""
        try:
            status = self.proc.wait(timeout=max(0.1, min(5.0, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            status = None
        self._drain_stderr()  # its last words may still be in the pipe when its output's end is seen
        self._stop()
        if status is not None and status < 0:
            raise failed(f"Pagefind was stopped by signal {-status}")
        lines = [_ANSI.sub("", line).strip() for line in self._err.decode("utf-8", "replace").splitlines()]
        last = next((line for line in reversed(lines) if line), "")
        what = f"Pagefind exited with status {status}" if status else "Pagefind stopped answering"
        raise failed(what + (f": {last}" if last else ""))

    def _drain_stderr(self) -> None:
        try:
            while chunk := os.read(self.proc.stderr.fileno(), 1 << 16):
                self._err = (self._err + chunk)[-_STDERR_KEPT:]
        except OSError:
            pass  # nothing more now (a process it started may hold the pipe), or closed

    def _stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        self.proc.wait()  # only the direct child: a stray grandchild holding the pipes cannot make us hang
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass


def _answer(message: bytes) -> tuple[int | None, dict]:
    try:
        answer = json.loads(base64.b64decode(message, validate=True))
        payload = answer["payload"]
        message_id = answer.get("message_id")
        if isinstance(payload, dict) and (message_id is None or isinstance(message_id, int)):
            return message_id, payload
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise failed("Pagefind answered with something that is not a message", REPORT)


def _decoded(files) -> dict[str, bytes]:
    """The index's files from a GetFiles answer; refuses a path that would leave the index's folder."""
    if not isinstance(files, list):
        raise failed("Pagefind answered a request with something else", REPORT)
    decoded = {}
    for item in files:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or not _FILE.fullmatch(path) or ".." in path.split("/"):
            raise failed(f"Pagefind made a file outside its folder: {_shown(str(path))}", REPORT)
        try:
            decoded[path] = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, KeyError, TypeError, ValueError):
            raise failed(f"Pagefind made a file that could not be read: {path}", REPORT) from None
    return decoded


def _shown(text: str) -> str:
    text = " ".join(_ANSI.sub("", text).split())
    return text if len(text) <= 120 else text[:117] + "..."
