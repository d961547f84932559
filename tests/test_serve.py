"""`chorus serve`: a real server in a subprocess, on a small site in a tmp folder.

Each test starts `python -m generator serve` on a free port with TMPDIR set to
a folder of its own, so that the serve folder can be found, and checked gone.
"""

from __future__ import annotations

import errno
import fnmatch
import html
import http.client
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from conftest import BASE_CONFIG, REPO, entry, run

from generator import build as build_module
from generator import serve as serve_module
from generator.build import InternalError
from generator.progress import Progress
from generator.hostcheck import HostCheck
from generator.livereload import SERVE_TEMPLATES, ServePages
from generator.previewserver import content_type, safe_segments
from generator.serve import Session

FEED_NAMES = {"feed.xml", "atom.xml", "feed.json"}

TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Events:
    """An open /__chorus/events stream, read in a thread: (event, data) pairs on a queue."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.queue: queue.Queue = queue.Queue()
        self.conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT * 3)
        self.conn.request("GET", "/__chorus/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name, data = None, []
        try:
            while True:
                line = self.response.readline()
                if not line:
                    return
                line = line.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and name:
                    self.queue.put((name, json.loads("\n".join(data))))
                    name, data = None, []
        except (OSError, ValueError):
            return

    def next(self, timeout: float = TIMEOUT) -> tuple[str, dict]:
        return self.queue.get(timeout=timeout)

    def wait_for(self, wanted: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            name, data = self.next(max(0.01, deadline - time.monotonic()))
            if name == wanted:
                return data

    def close(self) -> None:
        self.conn.close()


def get(port: int, raw_path: str, method: str = "GET", host: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """A request with the path sent exactly as given (http.client does not normalise it)."""
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    conn.putrequest(method, raw_path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    headers = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return response.status, headers, body


class Server:
    def __init__(self, site: Path, tmp: Path, *args: str, host: str = "127.0.0.1"):
        self.site = site
        self.host = host
        """The address the tests connect to."""
        self.tmpdir = tmp / "tmpdir"
        self.tmpdir.mkdir(exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path, self.stderr_path = tmp / "serve.out", tmp / "serve.err"
        env = {**os.environ, "TMPDIR": str(self.tmpdir), "PYTHONUNBUFFERED": "1"}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", str(self.port), *args],
                cwd=REPO, env=env, stdout=out, stderr=err)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}: {self.stderr()}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=1)
                conn.request("GET", "/__chorus/errors")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("serve did not start in time")

    def get(self, raw_path: str, method: str = "GET") -> tuple[int, dict, bytes]:
        return get(self.port, raw_path, method, self.host)

    def text(self, path: str) -> str:
        status, _, body = self.get(path)
        assert status == 200, (path, status)
        return body.decode("utf-8")

    def errors(self) -> dict:
        return json.loads(self.get("/__chorus/errors")[2])

    def serve_folders(self) -> list[Path]:
        return sorted(self.tmpdir.glob("chorus-serve-*"))

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig=signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail("serve did not stop on " + signal.Signals(sig).name)
        return self.proc.returncode


@pytest.fixture
def serve(tmp_path):
    """serve(site, *args) -> a started Server; stopped at the end of the test."""
    started: list[Server] = []

    def start(site: Path, *args: str, ready: bool = True, host: str = "127.0.0.1") -> Server:
        server = Server(site, tmp_path, *args, host=host)
        started.append(server)
        if ready:
            server.wait_ready()
        return server
    yield start
    for server in started:
        server.stop()


def save(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


SITE = {
    "content/articles/a.md": entry("Article A", body="First version of A.", regions=["us"]),
    "content/takes/k.md": entry("Take K", authors=["Jo"], body="A take."),
    "content/pages/about.md": entry("About", body="About this archive."),
}


# ---- live reload -----------------------------------------------------------------


def test_serves_the_site_and_reloads_on_change(write_site, serve):
    site = write_site(SITE)
    server = serve(site)
    page = server.text("/articles/a/")
    assert "First version of A." in page
    assert '<script id="chorus-live">' in page
    # The script is theme/serve/reload.js, given its values by the server.
    script = (SERVE_TEMPLATES / "reload.js").read_text(encoding="utf-8")
    assert all(line in page for line in script.splitlines() if not re.search(r"\{[{#%]|[}#%]\}", line))
    assert panel_of(page).tags == PANEL_TAGS and panel_of(page).text == {"summary": "", "errors": ""}
    events = Events(server.port)
    hello = events.wait_for("hello")
    assert hello["errors"] == [] and hello["build"] >= 1

    save(site / "content/articles/a.md", entry("Article A", body="Second version of A.", regions=["us"]))
    reload = events.wait_for("reload")
    assert reload["build"] > hello["build"] and reload["errors"] == []
    page = server.text("/articles/a/")
    assert "Second version of A." in page and "First version" not in page
    events.close()

    # The site is built into a folder of its own: nothing is added to the site folder or output/.
    assert not (site / "output").exists()
    # (the build cache, .chorus-cache/, is kept beside the site, as for chorus build)
    assert sorted(p.name for p in site.iterdir() if p.name != ".chorus-cache") == ["content", "site.yaml"]
    [folder] = server.serve_folders()
    built = (folder / "site" / "articles/a/index.html").read_text(encoding="utf-8")
    assert "Second version of A." in built
    # The script is added as pages are served, never written into the built files.
    assert not any("chorus-live" in p.read_text(encoding="utf-8", errors="replace")
                   for p in (folder / "site").rglob("*") if p.is_file())
    assert "rebuilt" in server.stdout() and "content/articles/a.md" in server.stdout()


def test_a_body_edit_is_shown_before_the_rest_is_rebuilt_and_reloads_once(write_site, serve):
    """The fast path (generator/preview.py): the entry's page first, one reload, then the build in silence."""
    first = entry("Article A", body="The summary stays.\n\nFirst version of A.", regions=["us"])
    site = write_site({**SITE, "content/articles/a.md": first,
                       "site.yaml": BASE_CONFIG + "feeds: {full_content: true}\n"})
    server = serve(site)
    events = Events(server.port)
    hello = events.wait_for("hello")
    save(site / "content/articles/a.md", first.replace("First", "Second"))
    reload = events.wait_for("reload")
    assert reload["build"] == hello["build"] + 1
    assert "Second version of A." in server.text("/articles/a/")
    deadline = time.monotonic() + TIMEOUT
    while "rebuilt" not in server.stdout() and time.monotonic() < deadline:
        time.sleep(0.05)
    # The build that followed updated the feeds (full text), and sent no second reload.
    assert "Second version of A." in server.text("/articles/feed.xml")
    with pytest.raises(queue.Empty):
        events.wait_for("reload", timeout=1)
    assert "showing articles/a/index.html" in server.stdout()
    # A change to the front matter is no preview: the build alone decides, and reloads.
    save(site / "content/articles/a.md", first.replace("Article A", "Article A, retitled"))
    assert events.wait_for("reload")["build"] == reload["build"] + 1
    assert "Article A, retitled" in server.text("/articles/")
    assert server.stdout().count("showing ") == 1
    events.close()


def test_new_entry_and_site_yaml_saved_by_rename_trigger_rebuilds(write_site, serve):
    site = write_site(SITE)
    server = serve(site)
    events = Events(server.port)
    events.wait_for("hello")

    save(site / "content/articles/b.md", entry("Article B", body="Brand new B."))
    events.wait_for("reload")
    assert "Brand new B." in server.text("/articles/b/")

    # Many editors save by writing a temporary file and renaming it over the old one.
    config = (site / "site.yaml").read_text(encoding="utf-8").replace("Test archive", "Renamed archive")
    save(site / "site.yaml.tmp", config)
    os.replace(site / "site.yaml.tmp", site / "site.yaml")
    events.wait_for("reload")
    assert "Renamed archive" in server.text("/")

    # A layouts/ folder created while serving is watched too.
    (site / "layouts").mkdir()
    events.wait_for("reload", timeout=TIMEOUT)  # layouts/ appearing is a change
    save(site / "layouts/404.html", "<!doctype html><title>Lost</title><body><p>Custom lost page</p></body>\n")
    deadline = time.monotonic() + TIMEOUT
    while b"Custom lost page" not in server.get("/missing/")[2]:
        events.wait_for("reload", timeout=max(0.01, deadline - time.monotonic()))
    events.close()


# ---- errors in the browser ----------------------------------------------------------


def test_build_error_keeps_last_good_pages_and_shows_escaped_overlay(write_site, serve):
    site = write_site(SITE)
    server = serve(site)
    events = Events(server.port)
    events.wait_for("hello")

    bad = "</script><script>alert(1)</script>"
    save(site / "content/articles/a.md", entry("Article A", body="Broken version.", regions=[bad]))
    expected = (f"content/articles/a.md:4: regions: '{bad}' is not a region in site.yaml "
                "(expected one of: us, france)")
    failed = events.wait_for("errors")
    assert failed["errors"] == [expected]
    assert failed["summary"] == "1 error in 1 file"

    # The last good page is still served, and carries the error for its overlay, escaped.
    status, headers, body = server.get("/articles/a/")
    page = body.decode("utf-8")
    assert status == 200 and "First version of A." in page and "Broken version." not in page
    assert bad not in page and "alert(1)" in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    # the page's own JSON-LD, then the injected reload script: no other script tag was opened by the error text
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert page.count('<script type="application/ld+json">') == 1
    state = json.loads(re.search(r"var state = (.*);\n", page).group(1))
    assert state["errors"] == [expected]
    panel = panel_of(page)  # the panel's template shows it too, as text
    assert panel.tags == PANEL_TAGS and panel.text == {"summary": "1 error in 1 file", "errors": expected}
    assert server.errors()["errors"] == [expected]
    # ... and the terminal shows the same lines as chorus build.
    deadline = time.monotonic() + TIMEOUT
    while expected not in server.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert expected in server.stderr() and "1 error in 1 file" in server.stderr()
    assert "Traceback" not in server.stderr()

    # Fixing the file reloads the page, and the overlay is gone.
    save(site / "content/articles/a.md", entry("Article A", body="Fixed version of A.", regions=["us"]))
    events.wait_for("reload")
    page = server.text("/articles/a/")
    assert "Fixed version of A." in page
    assert json.loads(re.search(r"var state = (.*);\n", page).group(1))["errors"] == []
    assert server.errors()["errors"] == []
    events.close()


def test_a_site_that_fails_its_first_build_is_served_once_fixed(write_site, serve):
    site = write_site({"content/articles/a.md": entry("A", regions=["frnace"])})
    server = serve(site)
    status, headers, body = server.get("/")
    assert status == 503 and headers["content-type"] == "text/html; charset=utf-8"
    message = "content/articles/a.md:4: regions: 'frnace' is not a region in site.yaml (did you mean 'france'?)"
    assert str(escape(message)) in body.decode("utf-8")
    assert server.errors()["errors"] == [message]
    events = Events(server.port)
    events.wait_for("hello")
    save(site / "content/articles/a.md", entry("A", regions=["france"]))
    events.wait_for("reload")
    assert "Body text." in server.text("/articles/a/")
    events.close()


# ---- serve's own markup: theme/serve/ ----------------------------------------------

PANEL_TAGS = ["div", "button", "p", "span", "pre", "p"]


class _Panel(HTMLParser):
    """The error panel's <template> in a served page: its tags, and the text of its two slots."""

    SLOTS = {"data-chorus-summary": "summary", "data-chorus-errors": "errors"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = {"summary": "", "errors": ""}
        self._inside = False
        self._slot: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "template" and dict(attrs).get("id") == "chorus-panel":
            self._inside = True
        elif self._inside:
            self.tags.append(tag)
            self._slot = next((self.SLOTS[name] for name, _ in attrs if name in self.SLOTS), self._slot)

    def handle_endtag(self, tag):
        if tag == "template":
            self._inside = False
        self._slot = None

    def handle_data(self, data):
        if self._inside and self._slot:
            self.text[self._slot] += data


def panel_of(page: str) -> _Panel:
    panel = _Panel()
    panel.feed(page)
    return panel


HOSTILE_ERROR = '</template></pre></script><script>alert(1)</script><img src=x onerror=alert(2)>"\'&\u2028'


def test_panel_and_script_hold_a_hostile_error_as_text():
    state = {"instance": "0a1b", "build": 3, "errors": [HOSTILE_ERROR, "second"],
             "summary": f"2 errors {HOSTILE_ERROR}"}
    snippet = ServePages().live(state).decode("utf-8")
    panel = panel_of(snippet)
    assert panel.tags == PANEL_TAGS
    assert panel.text == {"summary": state["summary"], "errors": HOSTILE_ERROR + "\nsecond"}
    assert snippet.count("<script") == 1 and snippet.count("</script>") == 1
    script = snippet[snippet.index("<script"):]
    assert "\u2028" not in script  # a line break to older JavaScript, even inside a string
    assert json.loads(re.search(r"var state = (.*);\n", script).group(1)) == state


def test_serve_pages_escape_what_they_show():
    pages = ServePages()
    location = '/a"><script>alert(1)</script>/'
    moved = pages.moved(location).decode("utf-8")
    assert "<script" not in moved
    assert html.unescape(re.search(r'href="([^"]*)"', moved).group(1)) == location
    no_site = pages.no_site([HOSTILE_ERROR]).decode("utf-8")
    assert "<script" not in no_site and "<img" not in no_site
    assert html.unescape(re.search(r"<pre>(.*)</pre>", no_site, re.S).group(1)) == HOSTILE_ERROR
    assert "Building" in pages.no_site([]).decode("utf-8")
    assert "<h1>Not found</h1>" in pages.not_found().decode("utf-8")


def test_serve_templates_are_installed_with_the_package():
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = package_data["tool"]["setuptools"]["package-data"]["generator"]
    files = [p.relative_to(REPO / "generator").as_posix() for p in SERVE_TEMPLATES.iterdir()]
    assert files and all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in files)


# ---- what is served, and what never is ---------------------------------------------


def test_pretty_urls_404_and_content_types(write_site, serve):
    site = write_site(SITE)
    server = serve(site)
    status, headers, _ = server.get("/articles/a")
    assert status == 301 and headers["location"] == "/articles/a/"
    status, headers, _ = server.get("/articles/a?x=1")
    assert status == 301 and headers["location"] == "/articles/a/?x=1"
    status, headers, body = server.get("/articles/a/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert int(headers["content-length"]) == len(body)
    assert server.get("/articles/a/index.html")[0] == 200
    assert server.get("/about/")[0] == 200

    status, headers, body = server.get("/no/such/page/")
    assert status == 404 and headers["content-type"] == "text/html; charset=utf-8"
    [folder] = server.serve_folders()
    not_found = (folder / "site/404.html").read_bytes()
    assert body.startswith(not_found[: not_found.lower().rfind(b"</body>")])
    assert server.get("/style.css/")[0] == 404
    assert server.get("/__chorus/unknown")[0] == 404

    types = {
        "/feed.xml": "application/rss+xml; charset=utf-8",
        "/atom.xml": "application/atom+xml; charset=utf-8",
        "/feed.json": "application/feed+json; charset=utf-8",
        "/articles/feed.xml": "application/rss+xml; charset=utf-8",
        "/regions/us/atom.xml": "application/atom+xml; charset=utf-8",
        "/style.css": "text/css; charset=utf-8",
        "/sitemap.xml": "application/xml; charset=utf-8",
        "/robots.txt": "text/plain; charset=utf-8",
        "/": "text/html; charset=utf-8",
    }
    for path, expected in types.items():
        status, headers, body = server.get(path)
        assert (path, status, headers["content-type"]) == (path, 200, expected)
        if not path.endswith("/"):
            assert b"chorus-live" not in body  # only HTML gets the script
    status, headers, body = server.get("/feed.xml", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0

    # Links and feed URLs point at the local server.
    assert f"http://127.0.0.1:{server.port}/articles/a/" in server.text("/feed.xml")


TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/articles/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/secret.txt",
    "/.%2e/secret.txt",
    "/articles%2f..%2f..%2fsecret.txt",
    "/%2f..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/articles\\..\\..\\secret.txt",
    "//secret.txt",
    "/%00/secret.txt",
    "/%ff/secret.txt",
    "http://evil.example/../secret.txt",
    "secret.txt",
    "/leak.txt",
    "/leak-dir/secret.txt",
    "/leak-dir/",
    "/leak-dir",
]


def test_no_file_outside_the_served_folder(write_site, serve, tmp_path):
    site = write_site(SITE)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    (tmp_path / "secret-dir").mkdir()
    (tmp_path / "secret-dir" / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    (tmp_path / "secret-dir" / "index.html").write_text("TOP SECRET", encoding="utf-8")
    server = serve(site)
    [folder] = server.serve_folders()
    # Symlinks planted in the served folder, pointing out of it.
    (folder / "site" / "leak.txt").symlink_to(secret)
    (folder / "site" / "leak-dir").symlink_to(tmp_path / "secret-dir", target_is_directory=True)
    for raw in TRAVERSALS:
        status, _, body = server.get(raw)
        assert status in (400, 404, 421), (raw, status)  # 421: http.client sends Host: evil.example for a URL
        assert b"TOP SECRET" not in body, raw
    # An absolute path is a path in the site, not on the disk.
    status, _, body = server.get("/" + str(secret).lstrip("/"))
    assert status == 404 and b"TOP SECRET" not in body


def test_safe_segments_and_content_types():
    assert safe_segments("/") == [""]
    assert safe_segments("/takes/x/") == ["takes", "x", ""]
    assert safe_segments("/takes/%C3%A9t%C3%A9/?q=1#f") == ["takes", "été", ""]
    for raw in ("/..", "/a/../b", "/%2e%2e/x", "/a%2Fb", "/a%5Cb", "/a\\b", "//x", "/a//b", "x", "",
                "/%00", "/%ff", "/.", "/%2e/x"):
        assert safe_segments(raw) is None, raw
    assert content_type("feed.xml") == "application/rss+xml; charset=utf-8"
    assert content_type("atom.xml") == "application/atom+xml; charset=utf-8"
    assert content_type("feed.json") == "application/feed+json; charset=utf-8"
    assert content_type("photo.JPG") == "image/jpeg"
    assert content_type("report.pdf") == "application/pdf"


def test_base_url_with_a_path_is_served_at_the_local_root(write_site, serve):
    site = write_site(SITE, config=BASE_CONFIG.replace("https://archive.example.org/", "https://example.org/archive/"))
    server = serve(site)
    home = server.text("/")
    assert 'href="/articles/a/"' in home and "/archive/" not in home.replace('href="/archive/', "")
    assert server.get("/articles/a/")[0] == 200
    assert f"http://127.0.0.1:{server.port}/articles/a/" in server.text("/feed.xml")
    assert "example.org/archive" not in server.text("/feed.xml")


def test_drafts_are_served_only_with_drafts(write_site, serve):
    site = write_site({**SITE, "content/articles/d.md": entry("Draft D", draft=True)})
    assert serve(site).get("/articles/d/")[0] == 404
    assert serve(site, "--drafts").get("/articles/d/")[0] == 200


# ---- only requests addressed to the server (DNS rebinding) -------------------------------


def ask(port: int, path: str = "/", host: str | None = "127.0.0.1", method: str = "GET",
        version: str = "HTTP/1.1", extra: tuple[str, ...] = ()) -> tuple[int, dict, bytes]:
    """A request written byte for byte (http.client always adds a Host); `host` None sends none.

    The server closes the connection after its answer, or this times out: an
    event stream that was opened would make it fail.
    """
    lines = [f"{method} {path} {version}"] + ([f"Host: {host}"] if host is not None else []) + \
        list(extra) + ["Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


SERVED_PATHS = ["/", "/articles/a/", "/articles/a", "/style.css", "/feed.xml", "/no/such/page/",
                "/__chorus/errors", "/__chorus/events", "/__chorus/unknown"]


def wrong_hosts(port: int) -> list[str | None]:
    return [
        f"evil.example:{port}",
        "evil.example",
        f"EVIL.EXAMPLE:{port}",
        f"rebind.127.0.0.1.nip.io:{port}",  # a name that resolves to 127.0.0.1: the attack itself
        f"localhost.:{port}",
        f"localhost.evil.example:{port}",
        f"127.0.0.1.evil.example:{port}",
        f"127.0.0.1:{port}@evil.example",
        f"127.0.0.1:{port} evil.example",
        f"127.0.0.1:{port + 1}",
        f"127.0.0.1:0{port}",
        f"127.0.0.1:{port}:{port}",
        "127.0.0.1",
        f"[::1]:{port}",  # bound to 127.0.0.1, not ::1
        f"[127.0.0.1]:{port}",
        f"0.0.0.0:{port}",
        f"2130706433:{port}",
        "",
        None,
    ]


def assert_refused(status: int, headers: dict, body: bytes, what) -> None:
    assert status == 421, what
    assert headers["content-type"] == "text/plain; charset=utf-8", what
    assert b"DNS rebinding" in body, what
    for site_bytes in (b"Test archive", b"First version", b"chorus-live", b"<", b"event:", b'"build"'):
        assert site_bytes not in body, (what, site_bytes)


def test_requests_for_another_host_are_refused_with_421(write_site, serve):
    site = write_site(SITE)
    server = serve(site)
    port = server.port
    for host in wrong_hosts(port):
        for path in SERVED_PATHS:
            assert_refused(*ask(port, path, host), (host, path))
        for method in ("HEAD", "POST", "PUT", "OPTIONS", "DELETE"):
            status, headers, body = ask(port, "/articles/a/", host, method)
            assert status == 421, (host, method)
            if method == "HEAD":
                assert body == b""
            else:
                assert_refused(status, headers, body, (host, method))
    # Two Host headers, one of them right: nobody can tell which one the browser meant.
    assert_refused(*ask(port, "/articles/a/", f"127.0.0.1:{port}", extra=(f"Host: evil.example:{port}",)), "two")
    assert_refused(*ask(port, "/articles/a/", f"evil.example:{port}", extra=(f"Host: 127.0.0.1:{port}",)), "two")
    # An HTTP/1.0 client that sends no Host is refused too; with the right Host it is served.
    assert_refused(*ask(port, "/articles/a/", None, version="HTTP/1.0"), "HTTP/1.0")
    assert ask(port, "/articles/a/", f"127.0.0.1:{port}", version="HTTP/1.0")[0] == 200

    # The names of this server, in any case, get the page.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}", f"[::ffff:127.0.0.1]:{port}"):
        status, headers, body = ask(port, "/articles/a/", host)
        assert status == 200 and b"First version of A." in body, host
    assert server.proc.poll() is None


def test_event_stream_is_refused_for_another_host(write_site, serve):
    site = write_site(SITE)
    server = serve(site)
    started = time.monotonic()
    status, headers, body = ask(server.port, "/__chorus/events", f"evil.example:{server.port}")
    assert_refused(status, headers, body, "events")
    assert time.monotonic() - started < 2  # answered and closed, not held open as a stream
    # With the right Host the stream opens and says hello.
    events = Events(server.port)
    assert events.wait_for("hello")["build"] >= 1
    events.close()


def test_serve_bound_to_ipv6_loopback_answers_to_its_own_names(write_site, serve):
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    site = write_site(SITE)
    server = serve(site, "--bind", "::1", host="::1")
    assert "First version of A." in server.text("/articles/a/")  # http.client sends Host: [::1]:PORT
    assert f"http://[::1]:{server.port}/articles/a/" in server.text("/feed.xml")
    for host, expected in ((f"[::1]:{server.port}", 200), (f"localhost:{server.port}", 200),
                           (f"[0:0:0:0:0:0:0:1]:{server.port}", 200), (f"127.0.0.1:{server.port}", 421),
                           (f"evil.example:{server.port}", 421), (f"::1:{server.port}", 421)):
        conn = http.client.HTTPConnection("::1", server.port, timeout=TIMEOUT)
        conn.putrequest("GET", "/articles/a/", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        assert (host, response.status) == (host, expected)
        assert (b"First version of A." in response.read()) == (expected == 200)
        conn.close()


def check(bound: str, port: int = 8000) -> HostCheck:
    return HostCheck.of((bound, port))


def test_host_check_for_each_kind_of_bound_address():
    loopback = check("127.0.0.1")
    assert loopback.allows(["127.0.0.1:8000"]) and loopback.allows(["localhost:8000"])
    assert loopback.allows(["LOCALHOST:8000"]) and loopback.allows([" 127.0.0.1:8000 "])
    for refused in (["127.0.0.1:8001"], ["127.0.0.1"], ["localhost"], ["[::1]:8000"], ["127.0.0.2:8000"],
                    ["evil.example:8000"], ["localhost.:8000"], ["127.1:8000"], ["127.000.000.001:8000"],
                    ["127.0.0.1:08000"], ["127.0.0.1:"], ["127.0.0.1:8000", "127.0.0.1:8000"], [], None):
        assert not loopback.allows(refused), refused
    assert check("127.0.0.1", 80).allows(["127.0.0.1"])  # no port in Host is port 80

    ipv6 = check("::1")
    assert ipv6.allows(["[::1]:8000"]) and ipv6.allows(["localhost:8000"]) and ipv6.allows(["[0::1]:8000"])
    assert not ipv6.allows(["127.0.0.1:8000"]) and not ipv6.allows(["::1:8000"])

    # Bound to a LAN address: that address only; localhost and loopback do not even reach it.
    lan = check("192.0.2.7")
    assert lan.allows(["192.0.2.7:8000"])
    for refused in ("localhost:8000", "127.0.0.1:8000", "laptop.local:8000", "192.0.2.8:8000", "192.0.2.7:8001"):
        assert not lan.allows([refused]), refused

    # Bound to every interface: an IP literal of this machine (it cannot be rebound), or localhost.
    every = check("0.0.0.0")
    assert every.allows(["127.0.0.1:8000"]) and every.allows(["localhost:8000"])
    for refused in ("192.0.2.1:8000", "0.0.0.0:8000", "224.0.0.1:8000", "laptop.local:8000",
                    "evil.example:8000", "127.0.0.1:8001"):
        assert not every.allows([refused]), refused
    for hosts in (loopback, ipv6, lan, every):
        assert str(hosts.port) in hosts.describe()


# ---- no build failure stops serve ------------------------------------------------------


def test_serve_survives_templates_that_raise_and_serves_the_fixed_site(write_site, serve):
    lost = "<!doctype html><title>Lost</title><body><p>{}</p></body>\n"
    site = write_site({**SITE, "layouts/404.html": lost.format("Custom lost page")})
    server = serve(site)
    assert b"Custom lost page" in server.get("/missing/")[2]
    events = Events(server.port)
    events.wait_for("hello")

    for raising in ("{{ [].pop() }}", "{{ nothing.attribute.here }}", "{{ range(3) | sum(attribute='x') }}"):
        save(site / "layouts/404.html", lost.format(raising))
        failed = events.wait_for("errors")
        assert failed["errors"] and all("\n" not in line for line in failed["errors"]), failed
        # The last good site is still served, in full.
        assert "First version of A." in server.text("/articles/a/")
        status, _, body = server.get("/missing/")
        assert status == 404 and b"Custom lost page" in body
        assert server.errors()["errors"] == failed["errors"]
    assert server.errors()["errors"][0].startswith("layouts/404.html:1:")

    save(site / "layouts/404.html", lost.format("Mended lost page"))
    events.wait_for("reload")
    assert b"Mended lost page" in server.get("/missing/")[2]
    assert server.errors()["errors"] == []
    events.close()
    assert server.proc.poll() is None
    assert "Traceback" not in server.stderr()


class FailingBuild:
    """Stands in for build(): the next queued failure is raised (after its action, if any); else it builds."""

    def __init__(self, real):
        self.real = real
        self.failures: list[tuple[BaseException, object]] = []

    def fail_next(self, exc: BaseException, action=None) -> None:
        self.failures.append((exc, action))

    def __call__(self, site_dir, out_dir, **kwargs):
        if self.failures:
            exc, action = self.failures.pop(0)
            if action is not None:
                action(out_dir)
            raise exc
        return self.real(site_dir, out_dir, **kwargs)


def fail_between_the_renames(out_dir: Path) -> None:
    """What a build that stops half-way through its swap leaves: the served site moved aside, nothing in."""
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rename(out_dir, old / "site")


@pytest.fixture
def failing_build(monkeypatch) -> FailingBuild:
    """serve's build function, made to fail on demand."""
    failing = FailingBuild(serve_module.build)
    monkeypatch.setattr(serve_module, "build", failing)
    return failing


@pytest.fixture
def in_process(tmp_path, monkeypatch):
    """in_process(site, debug=False) -> a Session started in this process, its loop running in a thread."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(serve_module, "WATCH_RETRY_SECONDS", 0.2)
    started: list[tuple[Session, threading.Thread]] = []

    def start(site: Path, debug: bool = False) -> Session:
        session = Session(site, port=0, bind="127.0.0.1", drafts=False, open_browser=False, debug=debug,
                          out=io.StringIO(), err=io.StringIO())
        session.start()
        loop = threading.Thread(target=session.loop, name="chorus-loop", daemon=True)
        loop.start()
        started.append((session, loop))
        return session
    yield start
    for session, loop in started:
        session.close()
        loop.join(TIMEOUT)
        assert not loop.is_alive()
    assert list(tmp.iterdir()) == []


def test_serve_survives_any_exception_a_build_raises(write_site, in_process, failing_build):
    site = write_site(SITE)
    article = site / "content/articles/a.md"
    # The first build fails with an unexpected exception whose message spans lines and holds an escape.
    failing_build.fail_next(RuntimeError("boom\n\x1b[31mred"))
    session = in_process(site)
    port = session.port
    status, headers, body = get(port, "/articles/a/")
    assert status == 503 and b"RuntimeError" in body
    [line] = json.loads(get(port, "/__chorus/errors")[2])["errors"]
    assert "RuntimeError" in line and "\n" not in line and "\x1b" not in line
    assert line in session.err.getvalue()
    events = Events(port)
    events.wait_for("hello")

    # The editor saves: the build succeeds, the site is served.
    save(article, entry("Article A", body="Second version of A.", regions=["us"]))
    events.wait_for("reload")
    assert b"Second version of A." in get(port, "/articles/a/")[2]

    # (exception, what the build did before raising it, what the one line must name)
    page_file = str(session.root / "articles/a/index.html")
    failures = [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), page_file), None, page_file),
        (InternalError("content/articles/a.md", ValueError("an unexpected value")), None, "ValueError"),
        (MemoryError(), None, "MemoryError"),
        (KeyError("slug"), None, "KeyError"),
        (OSError(errno.EROFS, os.strerror(errno.EROFS), str(session.root)), fail_between_the_renames,
         os.strerror(errno.EROFS)),
    ]
    for number, (exc, action, named) in enumerate(failures, start=3):
        failing_build.fail_next(exc, action)
        save(article, entry("Article A", body=f"Version {number} of A.", regions=["us"]))
        [line] = events.wait_for("errors")["errors"]
        assert named in line and "\n" not in line, line
        # The last good site is still served, with the error for the panel.
        status, _, body = get(port, "/articles/a/")
        assert status == 200 and b"Second version of A." in body, exc
        assert json.loads(get(port, "/__chorus/errors")[2])["errors"] == [line]

    save(article, entry("Article A", body="Fixed version of A.", regions=["us"]))
    events.wait_for("reload")
    assert b"Fixed version of A." in get(port, "/articles/a/")[2]
    assert json.loads(get(port, "/__chorus/errors")[2])["errors"] == []
    events.close()
    terminal = session.err.getvalue()
    assert "Traceback" not in terminal
    assert terminal.count("build failed") == 1 + len(failures)
    assert "the site is served once it builds" in terminal and "the last good pages are still served" in terminal


def test_debug_shows_the_traceback_of_a_failed_build(write_site, in_process, failing_build):
    site = write_site(SITE)
    failing_build.fail_next(RuntimeError("boom"))
    session = in_process(site, debug=True)
    assert "Traceback" in session.err.getvalue() and "RuntimeError: boom" in session.err.getvalue()


def test_a_watcher_that_fails_is_replaced_and_serving_goes_on(write_site, in_process):
    site = write_site(SITE)
    session = in_process(site)
    events = Events(session.port)
    events.wait_for("hello")
    session.watcher.changes.put(RuntimeError("too many open files"))
    events.wait_for("reload")  # the new watcher's first build, for the changes the old one may have missed
    assert "watching for changes failed" in session.err.getvalue()
    # The new watcher sets itself up in its own threads: save again until it has seen a save.
    deadline = time.monotonic() + TIMEOUT
    for attempt in range(100):
        save(site / "content/articles/a.md", entry("Article A", body=f"Seen by the new watcher ({attempt}).",
                                                   regions=["us"]))
        try:
            events.wait_for("reload", timeout=min(3.0, max(0.01, deadline - time.monotonic())))
            break
        except queue.Empty:
            assert time.monotonic() < deadline, "the new watcher saw no save"
    assert b"Seen by the new watcher" in get(session.port, "/articles/a/")[2]
    events.close()


# ---- starting and stopping ------------------------------------------------------------


def test_port_in_use_is_bad_usage_with_a_hint(write_site, tmp_path):
    site = write_site(SITE)
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "generator", "serve", "--site", str(site),
                                 "--port", str(port)], cwd=REPO, env={**os.environ, "TMPDIR": str(tmp)},
                                capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp.iterdir()) == []
    assert not (site / "output").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_cleanly(write_site, serve, sig):
    site = write_site(SITE)
    server = serve(site)
    events = Events(server.port)  # an open event stream must not keep the server alive
    events.wait_for("hello")
    assert len(server.serve_folders()) == 1
    started = time.monotonic()
    code = server.stop(sig)
    assert code in (0, 130)
    assert time.monotonic() - started < 5
    assert "Traceback" not in server.stderr()
    assert server.serve_folders() == [] and list(server.tmpdir.iterdir()) == []
    # (the build cache, .chorus-cache/, is kept beside the site, as for chorus build)
    assert sorted(p.name for p in site.iterdir() if p.name != ".chorus-cache") == ["content", "site.yaml"]
    events.close()


def test_a_temporary_folder_too_large_to_delete_at_once_is_left_to_a_process_of_its_own(tmp_path):
    """At 50,000 entries the served site is 180,000 files: Ctrl-C returns at once, and the folder still goes."""
    from generator.serve import remove_folder
    folder = tmp_path / "chorus-serve-large"
    for n in range(200):
        (folder / "site" / f"d{n}").mkdir(parents=True)
        for m in range(10):
            (folder / "site" / f"d{n}" / f"{m}.html").write_text("x")
    started = time.monotonic()
    assert remove_folder(folder, wait=0) is False
    assert time.monotonic() - started < 2
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert remove_folder(tmp_path / "never-there", wait=10) is True


def test_bad_port_and_missing_site_are_bad_usage(tmp_path):
    assert run("serve", "--port", "http").code == 2
    assert run("serve", "--port", "70000").code == 2
    result = run("serve", "--site", str(tmp_path / "missing"))
    assert result.code == 2 and "no such folder" in result.err


# ---- progress and the build summary -----------------------------------------------------


def test_build_summary_counts_feeds(build_site):
    out = build_site(SITE)
    result = run("build", "--site", str(out.parent))
    match = re.fullmatch(r"built 3 entries: (\d+) pages, (\d+) feeds, (\d+) files \(0 written\) in [\d.]+ s -> .*\n",
                         result.out)
    assert match, result.out
    feeds = sum(1 for p in out.rglob("*") if p.name in FEED_NAMES)
    assert int(match.group(2)) == feeds > 3
    # What exists, and what changed: every file of the output (its marker aside), none of them written again.
    assert int(match.group(3)) == sum(1 for p in out.rglob("*") if p.is_file() and p.name != ".chorus-output")
    (out.parent / "content/articles/a.md").write_text(entry("Article A", body="Edited.", regions=["us"]),
                                                      encoding="utf-8")
    result = run("build", "--site", str(out.parent))
    match = re.fullmatch(r"built 3 entries: \d+ pages, \d+ feeds, (\d+) files \((\d+) written, [\d.]+ MB\) in .*\n",
                         result.out)
    assert match and 0 < int(match.group(2)) < int(match.group(1)), result.out
    assert "\r" not in result.err and result.err == ""  # no progress when stderr is not a terminal


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_counts_each_stage_and_clears_its_line(write_site):
    site = write_site(SITE)
    stream = FakeTerminal()
    progress = Progress(stream, enabled=True, interval=0)
    report = build_module.build(site, site / "output", progress=progress)
    progress.done()
    shown = stream.getvalue()
    assert "reading entries" in shown and "assembling" in shown
    assert re.search(r"rendering (\d+)/\1", shown), shown
    assert shown.endswith("\r\x1b[K")
    assert Progress(io.StringIO()).enabled is False
    assert report.entries == 3
