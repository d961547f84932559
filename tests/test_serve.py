"""`chorus serve`: a real server in a subprocess, on a small site in a tmp folder.

Each test starts `python -m generator serve` on a free port with TMPDIR set to
a folder of its own, so that the serve folder can be found, and checked gone.
"""

from __future__ import annotations

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
import threading
import time
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, REPO, entry, run

from generator import build as build_module
from generator.progress import Progress

FEED_NAMES = {"feed.xml", "atom.xml", "feed.json"}
from generator.serve import content_type, safe_segments, script_json

TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Events:
    """An open /__chorus/events stream, read in a thread: (event, data) pairs on a queue."""

    def __init__(self, port: int):
        self.queue: queue.Queue = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT * 3)
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


class Server:
    def __init__(self, site: Path, tmp: Path, *args: str):
        self.site = site
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
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/__chorus/errors")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("serve did not start in time")

    def get(self, raw_path: str, method: str = "GET") -> tuple[int, dict, bytes]:
        """A request with the path sent exactly as given (http.client does not normalise it)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        conn.putrequest(method, raw_path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        conn.close()
        return response.status, headers, body

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

    def start(site: Path, *args: str, ready: bool = True) -> Server:
        server = Server(site, tmp_path, *args)
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
    assert message.replace("'", "&#x27;") in body.decode("utf-8")
    assert server.errors()["errors"] == [message]
    events = Events(server.port)
    events.wait_for("hello")
    save(site / "content/articles/a.md", entry("A", regions=["france"]))
    events.wait_for("reload")
    assert "Body text." in server.text("/articles/a/")
    events.close()


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
        assert status in (400, 404), (raw, status)
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
    assert "<" not in script_json({"e": ["</script><!--", "\u2028"]})
    assert json.loads(script_json({"e": ["</script>&"]})) == {"e": ["</script>&"]}


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


def test_bad_port_and_missing_site_are_bad_usage(tmp_path):
    assert run("serve", "--port", "http").code == 2
    assert run("serve", "--port", "70000").code == 2
    result = run("serve", "--site", str(tmp_path / "missing"))
    assert result.code == 2 and "no such folder" in result.err


# ---- progress and the build summary -----------------------------------------------------


def test_build_summary_counts_feeds(build_site):
    out = build_site(SITE)
    result = run("build", "--site", str(out.parent))
    match = re.fullmatch(r"built 3 entries: (\d+) pages, (\d+) feeds, (\d+) files \([\d.]+ MB\) in [\d.]+ s -> .*\n",
                         result.out)
    assert match, result.out
    feeds = sum(1 for p in out.rglob("*") if p.name in FEED_NAMES)
    assert int(match.group(2)) == feeds > 3
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
