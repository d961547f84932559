"""What serve adds to served pages so browsers reload: build state, event hub, and serve's own markup.

- Open pages hold a Server-Sent Events stream, /__chorus/events; a good
  rebuild publishes `reload`, a failed one `errors`, shown as an overlay over
  the last good page.
- The small script that listens, and the error panel it shows, are added to
  HTML responses as they are served; the built files never contain them.
  They, and serve's own pages, are templates in theme/serve/.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

PREFIX = "/__chorus/"
EVENTS_PATH = PREFIX + "events"
ERRORS_PATH = PREFIX + "errors"
SERVE_TEMPLATES = Path(__file__).parent / "theme" / "serve"


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
