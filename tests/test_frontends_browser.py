"""The quickstart explorer in Jupyter Notebook 7 and as a Voilà app, driven in headless Chromium.

The notebook is ``notebooks/apps/quickstart_explorer.ipynb`` (the quickstart's
session and explorer, what ``make demo`` serves). In each front end: the page
draws every pool point (counted in the rendered SVG), "Next round" advances
the round and redraws, the reference / model-space toggle works, a click on a
pick inspects that sample, no text on any canvas is clipped, and no request
that alviz's outputs cause leaves the machine (the request log). JupyterLab 4
runs the same checks in tests/test_lab_browser.py. Both servers share the
test session's alviz cache, so the second front end reads the first one's
UMAP fits from the disk. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import shutil
import uuid

import pytest

from . import frontends as F
from .browser import chromium, external, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = F.ROOT / "notebooks" / "apps" / "quickstart_explorer.ipynb"
BUDGET = 10  # the app's Session(budget=10)


@pytest.fixture(scope="module")
def pool_size() -> int:
    import alviz

    return len(alviz.datasets.load_mnist(seed=0, test_size=0.6).X)


def _checked_requests(page, requests, own=()):
    """The request log: nothing off the machine but the front end's own template links."""
    off = [u for u in external(requests) if u not in set(own)]
    assert off == [], f"requests that would have left the machine: {off}"
    assert any("127.0.0.1" in u for u in requests)


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb7")
    root = tmp / "notebooks"
    root.mkdir()
    shutil.copy(APP, root / APP.name)
    port, token = F.free_port(), uuid.uuid4().hex
    base = f"http://127.0.0.1:{port}"
    with F.server(F.jupyter_cmd("notebook", port, token, root, tmp), tmp, base, "/api/status", token,
                  what="jupyter notebook"):
        yield {"base": base, "token": token}


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    import sys

    tmp = tmp_path_factory.mktemp("voila")
    app = tmp / APP.name
    shutil.copy(APP, app)
    port = F.free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "voila", str(app), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--ServerApp.port_retries=0"]
    with F.server(cmd, tmp, base, "/api/status", what="voila"):
        yield {"base": base}


def test_quickstart_explorer_in_notebook7(notebook7, pool_size):
    url = f"{notebook7['base']}/notebooks/{APP.name}?token={notebook7['token']}"
    requests: list = []
    with chromium() as browser, open_page(browser, url, timeout_ms=90_000, requests=requests) as (page, errors):
        page.set_viewport_size({"width": 1400, "height": 1100})
        F.open_notebook(page)  # the kernel starts; Run -> Run All Cells
        try:
            F.wait_status(page, 240_000, state="idle", round="2", projection="ready")
        except Exception:
            F.ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(F.ARTIFACTS / "notebook7_failed.png"))
            raise
        seen = F.drive_explorer(page, pool_size, BUDGET, "notebook7")
        assert seen["now"]["round"] == "3"
        _checked_requests(page, requests)
        widget_errors = [e for e in errors if any(w in e.lower() for w in ("alviz", "plotly", "widget", "anywidget"))]
        assert widget_errors == [], widget_errors


def test_quickstart_explorer_as_a_voila_app(voila, pool_size):
    requests: list = []
    with chromium() as browser, open_page(browser, voila["base"] + "/", timeout_ms=240_000,
                                          requests=requests) as (page, errors):
        page.set_viewport_size({"width": 1400, "height": 1100})
        F.wait_status(page, 240_000, state="idle", round="2", projection="ready")
        seen = F.drive_explorer(page, pool_size, BUDGET, "voila")
        assert seen["now"]["round"] == "3"
        page.screenshot(path=str(F.ARTIFACTS / "voila_page.png"), full_page=True)
        _checked_requests(page, requests, own=F.own_links(page))  # Voilà's template links Font Awesome from a CDN
        widget_errors = [e for e in errors if any(w in e.lower() for w in ("alviz", "plotly", "anywidget"))]
        assert widget_errors == [], widget_errors
