"""The local HTTP server of `chorus serve`: serves the built folder, and nothing outside it.

- Only files inside the served folder are ever served (no '..', encoded
  slashes or symlinks out of it), with a Content-Type and charset per file.
- Every request passes the Host check (hostcheck) before it is dispatched.
- HTML responses get the live-reload script (livereload); the event stream
  and the latest build's errors are served under /__chorus/.
- Opening the server binds its port at once, so a usage problem (a port in
  use, an address not of this machine) is a ServeError before anything is built.
"""

from __future__ import annotations

import errno
import json
import mimetypes
import os
import queue
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from .hostcheck import HostCheck
from .livereload import ERRORS_PATH, EVENTS_PATH, BuildState, Hub, ServePages

KEEPALIVE_SECONDS = 15.0

CONTENT_TYPES = {
    "feed.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}
EXTENSION_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".json": "application/json", ".xml": "application/xml", ".txt": "text/plain", ".md": "text/plain",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".pdf": "application/pdf", ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg",
    ".woff2": "font/woff2", ".woff": "font/woff",
}


class ServeError(Exception):
    """A problem of usage (port in use, bad address): exit 2 with this message."""


def content_type(name: str) -> str:
    """The Content-Type header for a served file, with charset=utf-8 for text."""
    ctype = CONTENT_TYPES.get(name)
    if ctype is None:
        ext = os.path.splitext(name)[1].lower()
        ctype = EXTENSION_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype.endswith(("+xml", "/xml", "/json", "+json", "/javascript")):
        ctype += "; charset=utf-8"
    return ctype


def safe_segments(raw_path: str) -> list[str] | None:
    """The decoded path segments of a request target, or None when it could leave the served folder.

    Refused: anything not starting with a single '/', '//' anywhere, '.' and
    '..' segments (also written %2e%2e), '/' or '\\' inside a segment (%2f,
    %5c), backslashes, NUL and other control characters, invalid UTF-8.
    The last segment is '' for a path ending in '/'.
    """
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or "\\" in path:
        return None
    pieces = path[1:].split("/")
    segments = []
    for i, piece in enumerate(pieces):
        if piece == "" and i != len(pieces) - 1:
            return None
        try:
            segment = unquote(piece, errors="strict")
        except UnicodeDecodeError:
            return None
        if segment in (".", "..") or "/" in segment or "\\" in segment or any(ord(c) < 32 for c in segment):
            return None
        segments.append(segment)
    return segments


def inside(root: Path, path: Path) -> bool:
    """Whether `path`, with every symlink resolved, is `root` or below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


class ChorusServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address, root: Path, state: BuildState, hub: Hub, lock: threading.Lock):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.root = root
        self.state = state
        self.hub = hub
        self.state_lock = lock
        self.pages = ServePages()
        super().__init__(address, Handler)

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can take seconds; we do not need it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.hosts = HostCheck.of(self.server_address)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a browser closed its connection: nothing to report
        super().handle_error(request, client_address)

    def snapshot(self) -> dict:
        with self.state_lock:
            return self.state.as_json()


class Handler(BaseHTTPRequestHandler):
    server: ChorusServer

    def version_string(self) -> str:
        return "chorus-serve"

    def log_message(self, format, *args):  # quiet: one line per request would drown the build messages
        pass

    def parse_request(self) -> bool:
        """The request line and headers; False (after answering) for a request not addressed to us.

        Every method and path passes here before it is dispatched, so no
        content, event stream or state reaches a page served from another name.
        """
        if not super().parse_request():
            return False
        if self.server.hosts.allows(self.headers.get_all("Host")):
            return True
        self._misdirected()
        return False

    def _misdirected(self) -> None:
        body = ("421 Misdirected Request\n"
                f"chorus serve answers only requests addressed to {self.server.hosts.describe()}. "
                "Other host names are refused, so that no web page can read this preview through a "
                "DNS name it controls (DNS rebinding). Open the address that chorus serve printed.\n")
        self.close_connection = True
        self._send(421, "text/plain; charset=utf-8", body.encode("utf-8"), self.command == "HEAD",
                   {"Connection": "close"})

    def do_GET(self):
        self._respond(head=False)

    def do_HEAD(self):
        self._respond(head=True)

    # ---- routing ----

    def _respond(self, head: bool) -> None:
        raw = self.path
        if raw == EVENTS_PATH or raw.startswith(EVENTS_PATH + "?"):
            return self._events(head)
        if raw == ERRORS_PATH or raw.startswith(ERRORS_PATH + "?"):
            body = json.dumps(self.server.snapshot(), ensure_ascii=False, indent=1).encode("utf-8")
            return self._send(200, "application/json; charset=utf-8", body, head)
        segments = safe_segments(raw)
        root = self.server.root
        if not root.is_dir():
            # Between the two renames of a build's swap the folder is briefly absent.
            for _ in range(50 if self.server.snapshot()["build"] else 0):
                time.sleep(0.01)
                if root.is_dir():
                    break
            else:
                return self._no_site(head)
        if segments is None:
            return self._not_found(head)
        target = root.joinpath(*segments)
        if not inside(root, target):
            return self._not_found(head)
        if target.is_dir():
            if segments and segments[-1] != "":
                query = raw.split("?", 1)[1] if "?" in raw else ""
                location = raw.split("?", 1)[0].split("#", 1)[0] + "/" + (f"?{query}" if query else "")
                return self._redirect(location, head)
            target = target / "index.html"
            if not inside(root, target):
                return self._not_found(head)
        if not target.is_file() or (segments and segments[-1] == "" and target.name != "index.html"):
            return self._not_found(head)
        self._file(200, target, head)

    # ---- responses ----

    def _file(self, status: int, path: Path, head: bool) -> None:
        try:
            data = path.read_bytes()
        except OSError:
            return self._not_found(head) if status != 404 else self._send(404, "text/plain; charset=utf-8",
                                                                          b"Not found\n", head)
        ctype = content_type(path.name)
        if ctype.startswith("text/html"):
            data = self._inject(data)
        self._send(status, ctype, data, head)

    def _not_found(self, head: bool) -> None:
        page = self.server.root / "404.html"
        if page.is_file() and inside(self.server.root, page):
            return self._file(404, page, head)
        body = self._inject(self.server.pages.not_found())
        self._send(404, "text/html; charset=utf-8", body, head)

    def _no_site(self, head: bool) -> None:
        body = self.server.pages.no_site(self.server.snapshot()["errors"])
        self._send(503, "text/html; charset=utf-8", self._inject(body), head)

    def _redirect(self, location: str, head: bool) -> None:
        body = self.server.pages.moved(location)
        self._send(301, "text/html; charset=utf-8", body, head, {"Location": location})

    def _send(self, status: int, ctype: str, body: bytes, head: bool, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _inject(self, data: bytes) -> bytes:
        """The reload script and the error panel's template, before </body> (or at the end): served pages only."""
        script = self.server.pages.live(self.server.snapshot())
        at = data.lower().rfind(b"</body>")
        return data[:at] + script + data[at:] if at >= 0 else data + script

    def _events(self, head: bool) -> None:
        hub = self.server.hub
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if head:
            return
        q = hub.subscribe()
        try:
            hello = json.dumps(self.server.snapshot(), ensure_ascii=False)
            self.wfile.write(f"retry: 1000\nevent: hello\ndata: {hello}\n\n".encode("utf-8"))
            self.wfile.flush()
            while not hub.closed.is_set():
                try:
                    message = q.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    message = b": keep-alive\n\n"
                if message is None:
                    break
                self.wfile.write(message)
                self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            hub.unsubscribe(q)
            self.close_connection = True


def open_server(bind: str, port: int, root: Path, state: BuildState, hub: Hub,
                lock: threading.Lock) -> ChorusServer:
    """Bind the port now, so that a port in use is reported before anything is built."""
    try:
        return ChorusServer((bind, port), root, state, hub, lock)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {bind} is already in use (is another chorus serve running? "
                             f"choose another port with --port, e.g. --port {port + 1 if port < 65535 else 8001})") \
                from None
        if exc.errno == errno.EACCES:
            raise ServeError(f"port {port} on {bind} needs administrator rights "
                             "(choose a port above 1023 with --port, e.g. --port 8000)") from None
        if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise ServeError(f"--bind {bind}: not an address of this machine "
                             "(leave it out to serve on 127.0.0.1)") from None
        raise ServeError(f"cannot serve on {bind}:{port}: {exc.strerror or exc} "
                         "(choose another port with --port)") from None
