"""`chorus serve`: build into a folder of its own, serve it locally, rebuild on change, reload browsers.

- The site is built into a temporary folder (never output/), with base_url set
  to the local address, so every link and feed URL works locally.
- content/, layouts/, site.yaml and the built-in theme are watched with
  watchfiles; each batch of changes triggers one rebuild.
- Open pages hold a Server-Sent Events stream, /__chorus/events, on the same
  standard-library server. A good rebuild sends `reload`; a failed one sends
  `errors`, shown as an overlay over the last good page, which stays served.
- The small script that listens is added to HTML responses as they are
  served; the built files never contain it.
- Only files inside the served folder are ever served.
"""

from __future__ import annotations

import errno
import html
import json
import mimetypes
import os
import queue
import secrets
import shutil
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from .build import InternalError, build
from .errors import BuildFailed, summary_line

PREFIX = "/__chorus/"
EVENTS_PATH = PREFIX + "events"
ERRORS_PATH = PREFIX + "errors"
THEME_DIR = Path(__file__).parent / "theme"
WATCHED_TOP = frozenset({"site.yaml", "content", "layouts"})
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


def script_json(value) -> str:
    """JSON that is safe inside an HTML <script>: no '<', '>' or '&' can close the element."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


LIVE_SCRIPT = """<script id="chorus-live">
(function () {
  var state = %(state)s;
  var box = null;
  function show(errors, summary) {
    if (!errors || !errors.length) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "chorus-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:1.5em;" +
        "background:rgba(20,20,20,.94);color:#fff;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;";
      var close = document.createElement("button");
      close.textContent = "\\u00d7";
      close.title = "Hide until the next build";
      close.style.cssText = "float:right;font-size:20px;background:none;color:#fff;border:0;cursor:pointer";
      close.onclick = function () { box.style.display = "none"; };
      var head = document.createElement("p");
      head.style.cssText = "margin:0 0 1em;color:#ff8a80;font-weight:bold";
      var pre = document.createElement("pre");
      pre.style.cssText = "margin:0;white-space:pre-wrap;word-break:break-word";
      var foot = document.createElement("p");
      foot.style.cssText = "margin:1em 0 0;color:#bbb";
      foot.textContent = "The last good build is still served. Fix the file and save: the page reloads.";
      box.appendChild(close); box.appendChild(head); box.appendChild(pre); box.appendChild(foot);
      (document.body || document.documentElement).appendChild(box);
    }
    box.style.display = "";
    box.children[1].textContent = "chorus: the site could not be rebuilt (" + summary + ")";
    box.children[2].textContent = errors.join("\\n");
  }
  function ready(f) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", f); else f();
  }
  ready(function () { show(state.errors, state.summary); });
  if (!window.EventSource) return;
  var events = new EventSource("%(events)s");
  events.addEventListener("hello", function (e) {
    var now = JSON.parse(e.data);
    if (now.instance !== state.instance || now.build !== state.build) { location.reload(); return; }
    ready(function () { show(now.errors, now.summary); });
  });
  events.addEventListener("reload", function () { events.close(); location.reload(); });
  events.addEventListener("errors", function (e) {
    var now = JSON.parse(e.data);
    ready(function () { show(now.errors, now.summary); });
  });
})();
</script>
"""


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
        super().__init__(address, Handler)

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can take seconds; we do not need it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

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
        body = self._inject(b"<!doctype html><meta charset=utf-8><title>Not found</title><h1>Not found</h1>\n")
        self._send(404, "text/html; charset=utf-8", body, head)

    def _no_site(self, head: bool) -> None:
        state = self.server.snapshot()
        lines = "\n".join(html.escape(line) for line in state["errors"]) or "Building…"
        body = ("<!doctype html><meta charset=utf-8><title>chorus serve: no site yet</title>"
                "<h1>The site has not been built yet</h1>"
                f"<pre>{lines}</pre>\n").encode("utf-8")
        self._send(503, "text/html; charset=utf-8", self._inject(body), head)

    def _redirect(self, location: str, head: bool) -> None:
        body = f'<!doctype html><meta charset=utf-8><a href="{html.escape(location)}">Moved</a>\n'.encode()
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
        """The reload-and-errors script, before </body> (or at the end): served pages only."""
        script = (LIVE_SCRIPT % {"state": script_json(self.server.snapshot()), "events": EVENTS_PATH}).encode()
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


def _url_host(bind: str) -> str:
    """The host for URLs: the bound address, or loopback when bound to every interface."""
    if bind in ("0.0.0.0", ""):
        return "127.0.0.1"
    if bind == "::":
        return "[::1]"
    return f"[{bind}]" if ":" in bind else bind


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
        self._thread: threading.Thread | None = None
        self._warnings: list[str] = []

    def say(self, text: str, error: bool = False) -> None:
        stream = self.err if error else self.out
        print(text, file=stream, flush=True)

    @property
    def root(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "site"

    def start(self) -> str:
        """Bind, build once, serve, watch. Returns the site's local URL. Raises ServeError."""
        self.tmp = Path(tempfile.mkdtemp(prefix="chorus-serve-"))
        self.server = open_server(self.bind, self.port, self.root, self.state, self.hub, self.lock)
        self.port = self.server.server_address[1]
        self.base_url = f"http://{_url_host(self.bind)}:{self.port}/"
        self.watcher = Watcher(self.site_dir)
        self.watcher.start()  # before the first build: a save during it is not lost
        self.rebuild(first=True)
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="chorus-http", daemon=True)
        self._thread.start()
        return self.base_url

    def rebuild(self, changed: set[str] | None = None, first: bool = False) -> bool:
        what = ""
        if changed:
            # An editor's save may touch a temporary file too: name the files that are there.
            names = sorted(self._relative(p) for p in changed if os.path.exists(p)) or \
                sorted(self._relative(p) for p in changed)
            what = f" ({names[0]}{f' and {len(names) - 1} more' if len(names) > 1 else ''} changed)"
        try:
            # One process: forking a pool beside the server's and watcher's threads is not safe;
            # the cache keeps rebuilds after an edit small anyway.
            report = build(self.site_dir, self.root, drafts=self.drafts, base_url=self.base_url, jobs=1)
        except BuildFailed as failed:
            lines = [str(e) for e in failed.errors]
            summary = summary_line(failed.errors)
            with self.lock:
                self.state.errors, self.state.summary = lines, summary
                payload = self.state.as_json()
            self.say(f"[{time.strftime('%H:%M:%S')}] build failed{what}: the last good pages are still served",
                     error=True)
            for line in lines:
                self.say(line, error=True)
            self.say(summary, error=True)
            self.hub.publish("errors", payload)
            return False
        except InternalError as exc:
            if self.debug:
                import traceback
                traceback.print_exception(exc.original, file=self.err)
            line = f"chorus: {exc} (run with --debug for details, and please report it)"
            with self.lock:
                self.state.errors, self.state.summary = [line], "internal error"
                payload = self.state.as_json()
            self.say(line, error=True)
            self.hub.publish("errors", payload)
            return False
        except OSError as exc:
            line = f"chorus: {exc.filename or ''}: {exc.strerror or exc}"
            with self.lock:
                self.state.errors, self.state.summary = [line], "1 error"
                payload = self.state.as_json()
            self.say(line, error=True)
            self.hub.publish("errors", payload)
            return False
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
        return True

    def _relative(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.site_dir).as_posix()
        except ValueError:
            try:
                return "(built-in theme) " + Path(path).relative_to(THEME_DIR).as_posix()
            except ValueError:
                return path

    def loop(self) -> None:
        """Rebuild on every batch of changes, until interrupted."""
        assert self.watcher is not None
        while True:
            changed = self.watcher.next_batch(timeout=0.5)
            if changed is None:
                continue
            self.watcher.refresh()
            self.rebuild(changed)

    def close(self) -> None:
        """Stop everything and delete the temporary folder; safe to call more than once."""
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
        if bind not in ("127.0.0.1", "localhost", "::1"):
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
