"""Screenshots of the demo archive in headless Chromium, for docs/screenshots/.

    python docs/screenshots/make.py      # builds the demo, serves it on 127.0.0.1, shoots

Home, an article, a thread and the search page (with words typed and the results shown), each at
390 and 1280 px wide, in the light and the dark colour scheme: `home-390-light.png` and so on.
Pages are shot whole, not cut: the largest picture, the article at 1280 px, weighs under 600 kB.

Needs Debian's chromium and Playwright's Python package (pip install playwright);
the browser is Debian's, never one Playwright downloads. Content warnings are
opened first, so that the pictures show what a reader sees after choosing to read.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PAGES = {"home": "", "article": "articles/metoo-in-sports/", "thread": "threads/jamie-k/", "search": "search/"}
SEARCH_WORDS = "harassment"
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _prepare(page: Page, name: str) -> None:
    """What a reader would have done before looking: warnings opened, or words typed into search."""
    if name == "search":
        page.wait_for_selector("form.search:not([hidden])")
        page.fill("#search-words", SEARCH_WORDS)
        page.wait_for_selector("#search-results li", timeout=15000)
        page.wait_for_function("!document.querySelector('#search-status').textContent.startsWith('Searching')")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "site"
        subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(REPO), "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
                for name, path in PAGES.items():
                    for width in WIDTHS:
                        for scheme in SCHEMES:
                            page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
                            page.goto(base + path)
                            _prepare(page, name)
                            target = HERE / f"{name}-{width}-{scheme}.png"
                            page.screenshot(path=str(target), full_page=True)
                            print(target.relative_to(REPO))
                            page.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
