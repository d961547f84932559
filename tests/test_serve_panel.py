"""`chorus serve`'s error panel, as an editor sees it in Chromium: readable in the light and the dark scheme.

A real serve (tests/test_serve.py's Server) whose rebuild fails; the last good page is opened with the panel
over it, and axe checks the page, panel included, as test_judges.py checks the demo's pages.
"""

from __future__ import annotations

import pytest

from conftest import entry
from test_judges import _open, axe_source, browser  # noqa: F401 (fixtures)
from test_serve import SITE, Events, save, serve  # noqa: F401 (fixture)

pytestmark = pytest.mark.judges

BAD_REGION = "content/articles/a.md:4: regions: 'atlantis' is not a region in site.yaml (expected one of: us, france)"


@pytest.fixture
def failing(write_site, serve):  # noqa: F811 (the fixture imported above)
    """A served site whose latest build failed: its last good pages carry the error panel."""
    site = write_site(SITE)
    server = serve(site)
    events = Events(server.port)
    events.wait_for("hello")
    save(site / "content/articles/a.md", entry("Article A", body="Broken version.", regions=["atlantis"]))
    assert events.wait_for("errors")["errors"] == [BAD_REGION]
    events.close()
    return server


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_error_panel_passes_axe_in_both_schemes(browser, axe_source, failing, dark):  # noqa: F811
    page, _ = _open(browser, failing.url + "/articles/a/", dark=dark)
    panel = page.wait_for_selector("#chorus-errors", state="visible", timeout=10000)
    assert BAD_REGION in panel.inner_text() and "1 error in 1 file" in panel.inner_text()
    assert page.evaluate("window.matchMedia('(prefers-color-scheme: dark)').matches") is dark
    page.add_script_tag(content=axe_source)
    # The panel alone first (every node of it is judged), then the page it covers.
    for context in ("'#chorus-errors'", "document"):
        result = page.evaluate(f"""() => axe.run({context}, {{runOnly: {{type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}})""")
        failures = [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in result["violations"]
                    if v["impact"] in ("serious", "critical")]
        assert failures == [], "\n".join(failures)
        if context != "document":
            # Its text was measured, not left undecided: a contrast axe could not compute is no pass.
            assert any(p["id"] == "color-contrast" for p in result["passes"])
            assert not [i for i in result["incomplete"] if i["id"] == "color-contrast"], result["incomplete"]
    page.close()
