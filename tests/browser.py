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
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from .conftest import require_or_skip

__all__ = ["CHROMIUM_ARGS", "find_chromium", "chromium", "open_page"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
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


@contextmanager
def open_page(browser, url: str, timeout_ms: float = 30_000,
              wait_until: str = "load") -> Iterator[Tuple[object, List[str]]]:
    """A new page at ``url`` and the list its console errors and page exceptions are appended to."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: List[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    try:
        page.goto(url, wait_until=wait_until, timeout=timeout_ms)
        yield page, errors
    finally:
        context.close()
