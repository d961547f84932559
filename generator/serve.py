"""`chorus serve`: build into a folder of its own, serve it locally, rebuild on change, reload browsers.

- The site is built into a temporary folder (never output/), with base_url set
  to the local address, so every link and feed URL works locally.
- Each batch of changes (watcher) triggers one rebuild; a good rebuild sends
  `reload` to open pages, a failed one `errors` (livereload), and the last
  good site stays served (previewserver, behind the Host check of hostcheck).
- No build failure stops serve: whatever a build raises is shown as one-line
  messages, and the last good site stays served.

This module owns the session (server, watcher, builds, their clean end) and
the command itself.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from .build import InternalError, build
from .errors import BuildFailed, summary_line
from .hostcheck import LOCALHOST, HostCheck, url_literal
from .livereload import BuildState, Hub
from .preview import preview
from .previewserver import ChorusServer, ServeError, open_server
from .render import RenderContext
from .watcher import THEME_DIR, Watcher

WATCH_RETRY_SECONDS = 5.0


def one_line(text: str) -> str:
    """Text safe for one line of the terminal and the browser panel.

    Line breaks and other control characters (a terminal escape sequence in an
    exception's message) become spaces; undecodable bytes of a file name
    (surrogates) are shown escaped, since they cannot be written as UTF-8.
    """
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", text).strip()


def _url_host(bind: str, hosts: HostCheck) -> str:
    """The host for URLs, one that the server answers to: the bound address (a name given to
    --bind, other than localhost, is replaced by its address), or loopback when bound to every interface."""
    if hosts.bound.is_unspecified:
        return "127.0.0.1" if hosts.bound.version == 4 else "[::1]"
    if bind.lower() == LOCALHOST and hosts.bound.is_loopback:
        return LOCALHOST
    return url_literal(hosts.bound)


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
        self.context: RenderContext | None = None
        """What the last good build rendered with (its site in memory), for previews."""
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
        """Build once; whatever the build raises is reported, never raised. Returns whether it succeeded.

        An edit that changes only an entry's own page is shown first (preview.py), and the browser reloads
        then; the build that follows brings the rest up to date without reloading it again.
        """
        what = self._what_changed(changed)
        previewed = self._preview(changed, what) if changed else False
        try:
            # One process: forking a pool beside the server's and watcher's threads is not safe;
            # the cache keeps rebuilds after an edit small anyway.
            report = build(self.site_dir, self.root, drafts=self.drafts, base_url=self.base_url, jobs=1)
        except BuildFailed as failed:
            self.context = None
            self._failed([str(e) for e in failed.errors], summary_line(failed.errors), what)
            return False
        except Exception as exc:  # an internal error, a full disk, a bug: serve goes on with the last good site
            self.context = None
            self._failed([self._describe(exc)], "1 error" if isinstance(exc, OSError) else "internal error",
                         what, exc)
            return False
        # A build that found nothing to do renders nothing: the site it would have rendered is the one held.
        self.context = report.context or self.context
        self._succeeded(report, what, first, reload=not previewed)
        return True

    def _preview(self, changed: set[str], what: str) -> bool:
        """Show an edit of an entry's body at once, when the last build succeeded; False if it cannot be."""
        if self.context is None or self.state.errors:
            return False
        started = time.perf_counter()
        try:
            pages = preview(self.context, self.site_dir, self.root, changed)
        except Exception as exc:  # the build that follows reports what is wrong, once
            if self.debug:
                self._traceback(exc)
            return False
        if not pages:
            return False
        with self.lock:
            self.state.build += 1
            payload = self.state.as_json()
        self.say(f"[{time.strftime('%H:%M:%S')}] showing {', '.join(pages)} "
                 f"in {time.perf_counter() - started:.2f} s{what}; updating the rest")
        self.hub.publish("reload", payload)
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

    def _succeeded(self, report, what: str, first: bool, reload: bool = True) -> None:
        """A good build: open pages reload, unless the page they show was previewed already (`reload` False)."""
        with self.lock:
            if reload:
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
        if reload:
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
            if not remove_folder(self.tmp, REMOVE_WAIT_SECONDS):
                self.say(f"chorus: the temporary folder {self.tmp} is being deleted in the background", error=True)
            self.tmp = None


REMOVE_WAIT_SECONDS = 2.0
"""How long stopping waits for the temporary folder to go; an archive of 50,000 entries (180,000 files)
takes longer, and is left to a process of its own, so that Ctrl-C returns at once."""


def remove_folder(folder: Path, wait: float) -> bool:
    """Delete `folder` with its content; True when it is gone within `wait` seconds, else the deletion goes on
    in a detached process (its own session: a second Ctrl-C in the terminal does not cut it short)."""
    try:
        remover = subprocess.Popen([sys.executable, "-c", _REMOVER, str(folder)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return True
    try:
        remover.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        return False
    return True


_REMOVER = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"


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
