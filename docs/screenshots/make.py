"""Screenshots of the demo archive in headless Chromium, for docs/screenshots/.

    python docs/screenshots/make.py      # builds the demo, serves it on 127.0.0.1, shoots

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

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PAGES = {"home": "", "thread": "threads/jamie-k/", "article": "articles/metoo-in-sports/"}
WIDTHS = (390, 1280)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "site"
        subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(REPO), "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
                for name, path in PAGES.items():
                    for width in WIDTHS:
                        page = browser.new_page(viewport={"width": width, "height": 900})
                        page.goto(base + path)
                        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                        target = HERE / f"{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(target.relative_to(REPO))
                        page.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
