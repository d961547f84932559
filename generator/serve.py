"""`chorus serve`: build into a folder of its own, serve it locally, rebuild on change, reload browsers.

- The site is built into a temporary folder (never output/), with base_url set
  to the local address, so every link and feed URL works locally.
- content/, layouts/, site.yaml and the built-in theme are watched with
  watchfiles; each batch of changes triggers one rebuild.
- Open pages hold a Server-Sent Events stream, /__chorus/events, on the same
  standard-library server. A good rebuild sends `reload`; a failed one sends
  `errors`, shown as an overlay over the last good page, which stays served.
- The small script that listens, and the error panel it shows, are added to
  HTML responses as they are served; the built files never contain them.
  They, and serve's own pages, are templates in theme/serve/.
- Only files inside the served folder are ever served, and only to requests
  whose Host header names the address serve is bound to (DNS rebinding).
- No build failure stops serve: whatever a build raises is shown as one-line
  messages, and the last good site stays served.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import mimetypes
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import jinja2

from .build import InternalError, build
from .errors import BuildFailed, summary_line

PREFIX = "/__chorus/"
EVENTS_PATH = PREFIX + "events"
ERRORS_PATH = PREFIX + "errors"
THEME_DIR = Path(__file__).parent / "theme"
SERVE_TEMPLATES = THEME_DIR / "serve"
WATCHED_TOP = frozenset({"site.yaml", "content", "layouts"})
KEEPALIVE_SECONDS = 15.0
WATCH_RETRY_SECONDS = 5.0
HTTP_DEFAULT_PORT = 80

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


def one_line(text: str) -> str:
    """Text safe for one line of the terminal and the browser panel.

    Line breaks and other control characters (a terminal escape sequence in an
    exception's message) become spaces; undecodable bytes of a file name
    (surrogates) are shown escaped, since they cannot be written as UTF-8.
    """
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", text).strip()


# ---- which requests are ours: the defence against DNS rebinding ------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCALHOST = "localhost"
_BRACKETED_HOST = re.compile(r"\[([0-9a-f:.]+)\](?::([0-9]{1,5}))?")
_PLAIN_HOST = re.compile(r"([a-z0-9.-]+)(?::([0-9]{1,5}))?")


def split_host(value: str) -> tuple[str | IPAddress, int] | None:
    """A Host header's host (an IP address, or a lower-case name) and port; None when malformed.

    An IPv6 address must be in brackets and an IPv4 address in dotted decimal,
    as browsers send them; a port written with leading zeros is malformed;
    no port means 80. An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that
    IPv4 address.
    """
    value = value.strip(" \t").lower()
    bracketed = _BRACKETED_HOST.fullmatch(value)
    match = bracketed or _PLAIN_HOST.fullmatch(value)
    if match is None:
        return None
    name, port_text = match.groups()
    if port_text is None:
        port = HTTP_DEFAULT_PORT
    elif port_text != str(int(port_text)):
        return None
    else:
        port = int(port_text)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None if bracketed else (name, port)
    if (bracketed is not None) != (address.version == 6):
        return None
    return unmapped(address), port


def unmapped(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address as the IPv4 address it is; any other address as it is."""
    return getattr(address, "ipv4_mapped", None) or address


def is_address_of_this_machine(address: IPAddress) -> bool:
    """Whether a socket can be bound to `address`: exactly when one of this machine's interfaces has it."""
    if address.is_unspecified or address.is_multicast:
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:  # a datagram socket: nothing is sent
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class HostCheck:
    """Which Host headers name this server: the bound address, with the bound port.

    DNS rebinding: a web page from a name its owner controls makes that name
    resolve to 127.0.0.1, and reads this server as if it were its own site.
    The browser still sends that name as Host, so answering only to names
    that cannot be rebound stops it: IP literals, and `localhost` (which
    browsers resolve to loopback themselves) when it can reach the server.
    """

    bound: IPAddress
    port: int

    @classmethod
    def of(cls, server_address: tuple) -> HostCheck:
        return cls(unmapped(ipaddress.ip_address(server_address[0].split("%", 1)[0])), server_address[1])

    def allows(self, values: list[str] | None) -> bool:
        """Whether a request with these Host header values (None: no Host header) is for this server."""
        if not values or len(values) != 1:
            return False  # HTTP/1.0 without Host, or two Host headers: nobody can tell whom it is for
        parsed = split_host(values[0])
        if parsed is None or parsed[1] != self.port:
            return False
        host = parsed[0]
        if host == LOCALHOST:
            return self.bound.is_loopback or self.bound.is_unspecified
        if isinstance(host, str):
            return False  # a name other than localhost: the very thing a rebinding attack sends
        if self.bound.is_unspecified:
            return is_address_of_this_machine(host)
        return host == self.bound

    def describe(self) -> str:
        """The accepted hosts, for the refusal's explanation."""
        if self.bound.is_unspecified:
            return f"{LOCALHOST}:{self.port} or an IP address of this machine with port {self.port}"
        literal = f"{url_literal(self.bound)}:{self.port}"
        return f"{literal} or {LOCALHOST}:{self.port}" if self.bound.is_loopback else literal


def url_literal(address: IPAddress) -> str:
    """An address as written in a URL: IPv6 in brackets."""
    return f"[{address}]" if address.version == 6 else str(address)


# ---- serve's own markup: theme/serve/ ---------------------------------------------


class ServePages:
    """The script and error panel added to served pages, and serve's own pages, from theme/serve/.

    Autoescaped like the site's templates; the script receives its values through `tojson`.
    """

    def __init__(self, folder: Path = SERVE_TEMPLATES):
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                                       undefined=jinja2.StrictUndefined, trim_blocks=True,
                                       lstrip_blocks=True, keep_trailing_newline=True)

    def _render(self, name: str, **values) -> bytes:
        return self._env.get_template(name).render(**values).encode("utf-8")

    def live(self, state: dict) -> bytes:
        """The reload script and the error panel's template, for a build state (BuildState.as_json)."""
        return self._render("live.html", state=state, events=EVENTS_PATH,
                            errors=state["errors"], summary=state["summary"])

    def not_found(self) -> bytes:
        return self._render("not_found.html")

    def no_site(self, errors: list[str]) -> bytes:
        return self._render("no_site.html", errors=errors)

    def moved(self, location: str) -> bytes:
        return self._render("moved.html", location=location)


@dataclass
class BuildState:
    """What the server knows of the builds: the last good one, and the errors of the latest."""

    instance: str = field(default_factory=lambda: secrets.token_hex(8))
    build: int = 0
    """Number of the last good build; 0 while none has succeeded."""
    errors: list[str] = field(default_factory=list)
    """The error lines of the latest build, empty when it succeeded."""
    summary: str = ""

    def as_json(self) -> dict:
        return {"instance": self.instance, "build": self.build, "errors": list(self.errors),
                "summary": self.summary}


class Hub:
    """Every open event stream, and the events to send them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._clients: set[queue.Queue] = set()
        self.closed = threading.Event()

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue()
        with self._lock:
            self._clients.add(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._clients.discard(q)

    def publish(self, event: str, data: dict) -> None:
        message = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8")
        with self._lock:
            for q in self._clients:
                q.put(message)

    def close(self) -> None:
        self.closed.set()
        with self._lock:
            for q in self._clients:
                q.put(None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)


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


# ---- watching ---------------------------------------------------------------------


class _TopFilter:
    """Direct children of the site folder that matter: site.yaml, and content/ or layouts/ appearing."""

    def __call__(self, change, path: str) -> bool:
        return os.path.basename(path) in WATCHED_TOP


def _tree_filter():
    from watchfiles import DefaultFilter
    return DefaultFilter()


class Watcher:
    """Changes under content/, layouts/, the theme and to site.yaml, as batches on a queue.

    Two watchers run in threads: one recursive over the folders that exist,
    one on the site folder alone, which sees site.yaml however an editor saves
    it (many write a new file and rename it over the old) and sees content/ or
    layouts/ being created, which restarts the first with the new folders.
    """

    def __init__(self, site_dir: Path, theme_dir: Path = THEME_DIR):
        self.site_dir = site_dir
        self.theme_dir = theme_dir
        self.changes: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._tree_stop: threading.Event | None = None
        self._tree_roots: tuple[str, ...] = ()
        self._threads: list[threading.Thread] = []

    def roots(self) -> tuple[str, ...]:
        folders = [self.site_dir / "content", self.site_dir / "layouts", self.theme_dir]
        return tuple(str(p) for p in folders if p.is_dir())

    def start(self) -> None:
        self._spawn([str(self.site_dir)], False, _TopFilter(), self._stop)
        self.refresh()

    def refresh(self) -> None:
        """(Re)start the recursive watcher when the set of watched folders changed."""
        roots = self.roots()
        if roots == self._tree_roots:
            return
        if self._tree_stop is not None:
            self._tree_stop.set()
        self._tree_stop = threading.Event()
        self._tree_roots = roots
        if roots:
            self._spawn(list(roots), True, _tree_filter(), self._tree_stop)

    def _spawn(self, paths, recursive, watch_filter, stop) -> None:
        thread = threading.Thread(target=self._run, args=(paths, recursive, watch_filter, stop),
                                  name="chorus-watch", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run(self, paths, recursive, watch_filter, stop) -> None:
        from watchfiles import watch
        try:
            for changes in watch(*paths, recursive=recursive, watch_filter=watch_filter, stop_event=stop,
                                 raise_interrupt=False, debounce=1600, step=50, rust_timeout=1000):
                if self._stop.is_set():
                    return
                self.changes.put(changes)
        except Exception as exc:  # a watcher that dies must be heard of, not leave serve deaf
            if not stop.is_set() and not self._stop.is_set():
                self.changes.put(exc)

    def next_batch(self, timeout: float = 0.5):
        """The changed paths of the next batch (several batches merged), or None on timeout."""
        try:
            first = self.changes.get(timeout=timeout)
        except queue.Empty:
            return None
        batches = [first]
        while True:
            try:
                batches.append(self.changes.get_nowait())
            except queue.Empty:
                break
        for batch in batches:
            if isinstance(batch, Exception):
                raise batch
        return {path for batch in batches for _, path in batch}

    def stop(self) -> None:
        self._stop.set()
        if self._tree_stop is not None:
            self._tree_stop.set()
        for thread in self._threads:
            thread.join(timeout=2)


# ---- the command ----------------------------------------------------------------


def _url_host(bind: str, hosts: HostCheck) -> str:
    """The host for URLs, one that the server answers to: the bound address (a name given to
    --bind, other than localhost, is replaced by its address), or loopback when bound to every interface."""
    if hosts.bound.is_unspecified:
        return "127.0.0.1" if hosts.bound.version == 4 else "[::1]"
    if bind.lower() == LOCALHOST and hosts.bound.is_loopback:
        return LOCALHOST
    return url_literal(hosts.bound)


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


class Session:
    """One `chorus serve`: the server, the watcher, the builds, and their clean end."""

    def __init__(self, site_dir: Path, *, port: int, bind: str, drafts: bool, open_browser: bool,
                 debug: bool = False, out=None, err=None):
        self.site_dir = site_dir.resolve()
        self.port = port
        self.bind = bind
        self.drafts = drafts
        self.open_browser = open_browser
        self.debug = debug
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.state = BuildState()
        self.lock = threading.Lock()
        self.hub = Hub()
        self.tmp: Path | None = None
        self.server: ChorusServer | None = None
        self.watcher: Watcher | None = None
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._warnings: list[str] = []
        self._watch_problem = ""

    def say(self, text: str, error: bool = False) -> None:
        stream = self.err if error else self.out
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            # A file name's undecodable bytes, or a character the terminal lacks, are shown escaped.
            print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream, flush=True)
        except (OSError, ValueError):
            pass  # the terminal is gone (a closed pipe): serving goes on without it

    @property
    def root(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "site"

    def start(self) -> str:
        """Bind, build once, serve, watch. Returns the site's local URL. Raises ServeError."""
        self.tmp = Path(tempfile.mkdtemp(prefix="chorus-serve-"))
        self.server = open_server(self.bind, self.port, self.root, self.state, self.hub, self.lock)
        self.port = self.server.server_address[1]
        self.base_url = f"http://{_url_host(self.bind, self.server.hosts)}:{self.port}/"
        self.watcher = Watcher(self.site_dir)
        self.watcher.start()  # before the first build: a save during it is not lost
        self.rebuild(first=True)
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="chorus-http", daemon=True)
        self._thread.start()
        return self.base_url

    def rebuild(self, changed: set[str] | None = None, first: bool = False) -> bool:
        """Build once; whatever the build raises is reported, never raised. Returns whether it succeeded."""
        what = self._what_changed(changed)
        try:
            # One process: forking a pool beside the server's and watcher's threads is not safe;
            # the cache keeps rebuilds after an edit small anyway.
            report = build(self.site_dir, self.root, drafts=self.drafts, base_url=self.base_url, jobs=1)
        except BuildFailed as failed:
            self._failed([str(e) for e in failed.errors], summary_line(failed.errors), what)
            return False
        except Exception as exc:  # an internal error, a full disk, a bug: serve goes on with the last good site
            self._failed([self._describe(exc)], "1 error" if isinstance(exc, OSError) else "internal error",
                         what, exc)
            return False
        self._succeeded(report, what, first)
        return True

    def _what_changed(self, changed: set[str] | None) -> str:
        if not changed:
            return ""
        # An editor's save may touch a temporary file too: name the files that are there.
        names = sorted(self._relative(p) for p in changed if os.path.exists(p)) or \
            sorted(self._relative(p) for p in changed)
        return " " + one_line(f"({names[0]}{f' and {len(names) - 1} more' if len(names) > 1 else ''} changed)")

    def _describe(self, exc: Exception) -> str:
        """One line for a failure that is not an error in the content, worded as chorus build words it."""
        if isinstance(exc, OSError):
            where = f"{exc.filename}: " if exc.filename else ""
            return f"chorus: {where}{exc.strerror or exc}"
        if isinstance(exc, InternalError):
            return f"chorus: {exc} (run with --debug for details, and please report it)"
        return (f"chorus: internal error while building: {type(exc).__name__}: {exc} "
                "(run with --debug for details, and please report it)")

    def _failed(self, lines: list[str], summary: str, what: str, exc: Exception | None = None) -> None:
        if exc is not None and self.debug:
            self._traceback(exc)
        self._restore_last_good()
        lines = [one_line(line) for line in lines]
        with self.lock:
            self.state.errors, self.state.summary = lines, summary
            served = self.state.build > 0
            payload = self.state.as_json()
        after = "the last good pages are still served" if served else "the site is served once it builds"
        self.say(f"[{time.strftime('%H:%M:%S')}] build failed{what}: {after}", error=True)
        for line in lines:
            self.say(line, error=True)
        self.say(summary, error=True)
        self.hub.publish("errors", payload)

    def _traceback(self, exc: Exception) -> None:
        try:
            if isinstance(exc, InternalError) and exc.details:
                print(exc.details, file=self.err, end="", flush=True)
            else:
                traceback.print_exception(exc.original if isinstance(exc, InternalError) else exc, file=self.err)
        except (OSError, ValueError):
            pass

    def _restore_last_good(self) -> None:
        """Put back the last good site when a build failed between the two renames of its swap.

        The build moves the served folder into a `.site.old-*` folder beside it
        before moving the new one in; the newest such folder holds it.
        """
        if self.tmp is None or self.root.exists():
            return
        olds = [p / "site" for p in self.tmp.glob(f".{self.root.name}.old-*") if (p / "site").is_dir()]
        if not olds:
            return
        try:
            os.rename(max(olds, key=lambda p: p.parent.stat().st_mtime_ns), self.root)
        except OSError as exc:
            self.say(f"chorus: {exc.filename or self.root}: {exc.strerror or exc} "
                     "(the last good pages cannot be served)", error=True)

    def _succeeded(self, report, what: str, first: bool) -> None:
        with self.lock:
            self.state.build += 1
            self.state.errors, self.state.summary = [], ""
            payload = self.state.as_json()
        warnings = [str(w) for w in getattr(report, "warnings", None) or []]
        if warnings != self._warnings:  # once, not at every rebuild
            for warning in warnings:
                self.say(warning, error=True)
            self._warnings = warnings
        verb = "built" if first else "rebuilt"
        self.say(f"[{time.strftime('%H:%M:%S')}] {verb} {report.entries} entries, {report.pages} pages "
                 f"in {report.seconds:.2f} s{what}")
        self.hub.publish("reload", payload)

    def _relative(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.site_dir).as_posix()
        except ValueError:
            try:
                return "(built-in theme) " + Path(path).relative_to(THEME_DIR).as_posix()
            except ValueError:
                return path

    def loop(self) -> None:
        """Rebuild on every batch of changes, until interrupted or closed."""
        assert self.watcher is not None
        while not self.stopping.is_set():
            try:
                changed = self.watcher.next_batch(timeout=0.5)
                if changed is None:
                    continue
                self.watcher.refresh()
            except Exception as exc:  # the watcher died (e.g. the system's limit of watches): start a new one
                self._rewatch(exc)
                continue
            self._watch_problem = ""
            self.rebuild(changed)

    def _rewatch(self, exc: Exception) -> None:
        """Report a failed watcher once, wait, start a new one, and rebuild for the changes it may have missed."""
        problem = one_line(f"chorus: watching for changes failed: {type(exc).__name__}: {exc}")
        if problem != self._watch_problem:
            self.say(f"{problem} (the site is still served; trying again every {WATCH_RETRY_SECONDS:.0f} s)",
                     error=True)
            self._watch_problem = problem
        if self.stopping.wait(WATCH_RETRY_SECONDS):
            return
        assert self.watcher is not None
        self.watcher.stop()
        self.watcher = Watcher(self.site_dir)
        try:
            self.watcher.start()
        except Exception as again:  # tried again at the next turn of the loop
            self.watcher.changes.put(again)
            return
        self.rebuild()

    def close(self) -> None:
        """Stop everything and delete the temporary folder; safe to call more than once."""
        self.stopping.set()
        self.hub.close()
        if self.watcher is not None:
            self.watcher.stop()
        if self.server is not None:
            if self._thread is not None:
                self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def _open_browser(session: Session, url: str) -> None:
    """Open the site in a graphical browser; never a text browser that would take over the terminal."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        session.say(f"chorus: no graphical display to open a browser on; open {url} yourself", error=True)
        return
    import webbrowser
    threading.Thread(target=webbrowser.open, args=(url,), name="chorus-open", daemon=True).start()


def serve(site_dir: Path, *, port: int = 8000, bind: str = "127.0.0.1", drafts: bool = False,
          open_browser: bool = False, debug: bool = False) -> int:
    """Run `chorus serve` until Ctrl-C (or SIGTERM); returns the exit status."""
    session = Session(site_dir, port=port, bind=bind, drafts=drafts, open_browser=open_browser, debug=debug)
    previous_term = signal.getsignal(signal.SIGTERM)
    previous_int = signal.getsignal(signal.SIGINT)

    def terminate(signum, frame):
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGTERM, terminate)
    try:
        url = session.start()
        if session.server is not None and not session.server.hosts.bound.is_loopback:
            session.say(f"chorus: warning: serving on {bind}: other machines on the network can see the site",
                        error=True)
        session.say(f"serving {session.site_dir} at {url} (press Ctrl-C to stop)")
        if open_browser:
            _open_browser(session, url)
        session.loop()
        return 0
    except KeyboardInterrupt:
        if in_main:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleaning short
        session.say("\nchorus: stopped serving", error=True)
        return 0
    except ServeError as exc:
        session.say(f"chorus: error: {exc}", error=True)
        return 2
    finally:
        session.close()
        if in_main:
            signal.signal(signal.SIGTERM, previous_term)
            signal.signal(signal.SIGINT, previous_int)
