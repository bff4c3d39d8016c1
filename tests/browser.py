"""Headless Chromium for tests, through Playwright's Python client and the system's Chromium.

We never run ``playwright install``: the browser is Debian's Chromium, found at
``$ALVIZ_CHROMIUM``, ``/usr/bin/chromium`` or ``/usr/bin/chromium-browser``.

Use it as a context manager; it yields a Playwright ``Browser``::

    from tests.browser import chromium, open_page

    with chromium() as browser:                 # skips locally / fails under CI=true if missing
        with open_page(browser, "file:///tmp/report.html") as (page, errors):
            page.wait_for_function("window.Plotly !== undefined")
            assert errors == []

``errors`` collects console messages of type "error" and uncaught page
exceptions (``pageerror``), so a test can assert that a page loaded cleanly.

No request leaves the machine: Chromium is started with a proxy that does
not exist for every host but the loopback one (127.0.0.1, localhost, ::1,
which bypass proxies), so such a request fails at once; a test that passes
``requests=[]`` gets every URL the page asked for (:func:`external` picks the
ones that would have left the machine).
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

from .conftest import require_or_skip

__all__ = ["CHROMIUM_ARGS", "find_chromium", "chromium", "open_page", "external", "is_loopback"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # nothing leaves the machine: every non-loopback request goes to a proxy on a port nobody listens on
    "--proxy-server=http://127.0.0.1:9",
]

_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def find_chromium() -> Optional[str]:
    """The Chromium executable to use, or None: ``$ALVIZ_CHROMIUM`` first, then the Debian paths."""
    env = os.environ.get("ALVIZ_CHROMIUM")
    if env:
        return env if Path(env).is_file() and os.access(env, os.X_OK) else None
    for cand in _CANDIDATES:
        if Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


@contextmanager
def chromium(headless: bool = True, extra_args: Tuple[str, ...] = ()) -> Iterator[object]:
    """A launched headless Chromium (a Playwright ``Browser``), closed on exit.

    Skips the calling test when Playwright or Chromium is missing (and fails it
    under ``CI=true``, see :func:`tests.conftest.require_or_skip`).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "playwright (the Python client) is not installed: pip install playwright")
        return  # pragma: no cover  (require_or_skip raises)
    exe = find_chromium()
    require_or_skip(exe is not None,
                    "no Chromium found; set ALVIZ_CHROMIUM or install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=headless,
                                     args=CHROMIUM_ARGS + list(extra_args))
        try:
            yield browser
        finally:
            browser.close()


_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(url: str) -> bool:
    """Whether ``url`` stays on this machine: the loopback host, or no host at all (data:, blob:, file:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "file", "about", "chrome-error", ""):
        return True
    return (parts.hostname or "") in _LOOPBACK


def external(requests: List[str]) -> List[str]:
    """The URLs of ``requests`` that would have left the machine."""
    return [u for u in requests if not is_loopback(u)]


@contextmanager
def open_page(browser, url: str, timeout_ms: float = 30_000, wait_until: str = "load",
              requests: Optional[List[str]] = None) -> Iterator[Tuple[object, List[str]]]:
    """A new page at ``url`` and the list its console errors and page exceptions are appended to.

    Requests to any host but the loopback one fail (see ``CHROMIUM_ARGS``); with ``requests``
    (a list) every requested URL is appended to it, from the first request of the page on.
    """
    context = browser.new_context()
    if requests is not None:  # every request of the page, from the first on (websockets included)
        context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: List[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    if requests is not None:
        page.on("websocket", lambda ws: requests.append(ws.url))
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    try:
        page.goto(url, wait_until=wait_until, timeout=timeout_ms)
        yield page, errors
    finally:
        context.close()
