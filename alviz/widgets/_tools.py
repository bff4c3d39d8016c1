"""Wiring shared by the explorers: the round runner, background jobs, status and error boxes, the PNG encoder.

Nothing here knows about active learning; :mod:`alviz.widgets` composes these
pieces with a Session and the figure builders of :mod:`alviz.plot`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["POINT_TRACES", "Background", "RoundRunner", "error_html", "png_bytes", "status_html"]

#: the trace names whose points are pool samples (customdata = pool index)
POINT_TRACES = ("unlabeled", "labeled", "selected")

log = logging.getLogger("alviz.widgets")


def status_html(text: str, css: str = "alviz-status", **data) -> str:
    """A one-line status ``<div>`` whose ``data-*`` attributes state the same facts, machine-readably."""
    attrs = " ".join(f'data-{k.replace("_", "-")}="{html.escape(str(v), quote=True)}"' for k, v in data.items())
    return f'<div class="{css}" {attrs}>{html.escape(text)}</div>'


def error_html(title: str, exc: BaseException) -> str:
    """A visible error box naming the exception type and its message."""
    return (
        f'<div class="alviz-error-message" data-error-type="{html.escape(type(exc).__name__, quote=True)}" '
        'style="color:#a00;border:1px solid #e99;background:#fff4f4;padding:4px 8px;border-radius:3px">'
        f"<b>{html.escape(title)}</b><br><code>{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</code>"
        "</div>"
    )


class RoundRunner:
    """Run requested rounds one at a time, in request order, with a visible busy state.

    Every request (a button click) adds one round to a queue; the rounds run
    one after the other, never concurrently and never twice, even when a click
    arrives while a round is running (it is queued, not dropped). While work
    runs the button is disabled and the progress bar shows; an exception in
    ``step`` or ``after`` stops the queue and appears in ``error`` (an
    ``ipywidgets.HTML``), and is kept in :attr:`last_error`.

    Parameters
    ----------
    step : callable() -> None, runs one round (may raise).
    after : callable() -> None, redraws after a successful round (may raise).
    button, progress, error : the ipywidgets this runner drives.
    on_state : callable(state: str), told "running" / "idle" (for a status line).
    step_failed : str, the headline of the error box when ``step`` raises.
    exhausted : callable() -> bool, optional; True once no round is left to run (the pool is labeled):
        the queue then stops quietly instead of running a round that can only fail.
    """

    def __init__(
        self,
        step: Callable[[], None],
        after: Callable[[], None],
        button,
        progress,
        error,
        on_state: Callable[[str], None] | None = None,
        step_failed: str = "The round failed; the session is unchanged",
        exhausted: Callable[[], bool] | None = None,
    ):
        self._step = step
        self._exhausted = exhausted or (lambda: False)
        self._step_failed = step_failed
        self._after = after
        self.button = button
        self.progress = progress
        self.error = error
        self._on_state = on_state or (lambda state: None)
        import threading

        self._flag = threading.Lock()
        self.pending = 0
        self.running = False
        self.completed = 0
        self.last_error: BaseException | None = None
        self._hide_progress()

    def _hide_progress(self):
        self.progress.layout.visibility = "hidden"

    def request(self, n: int = 1) -> None:
        """Queue ``n`` rounds and run the queue unless it is already running (on any thread)."""
        with self._flag:  # the check and the claim are one step: two threads never run the queue at once
            self.pending += int(n)
            if self.running:  # a click while a round runs: it is queued, the running loop takes it
                self.progress.max = self.progress.value + 1 + self.pending  # done + running + queued
                return
            self.running = True
        self.error.value = ""
        self.last_error = None
        self.button.disabled = True
        self.progress.value = 0
        self.progress.max = max(1, self.pending)
        self.progress.layout.visibility = "visible"
        try:
            while True:
                with self._flag:
                    if self.pending <= 0 or self._exhausted():  # clicks queued past the end of the pool: none left
                        break
                    self.pending -= 1
                self._on_state("running")
                if not self.guarded(self._step, self._step_failed):
                    break
                self.completed += 1
                self.progress.value += 1
                if not self.guarded(self._after, "The round ran, but redrawing it failed"):
                    break
        finally:
            with self._flag:
                self.pending = 0
                self.running = False
            self._hide_progress()
            self.button.disabled = False
            self._on_state("idle")

    def run_and_wait(self, n: int = 1) -> bool:
        """Run ``n`` rounds as :meth:`request` does and return when no round runs any more.

        For a worker thread (Play): when another thread's queue is running, the rounds join it
        and this waits for it to end. True when every round of the queue ran and was drawn.
        """
        import time

        before = self.completed
        self.request(n)
        while self.running:
            time.sleep(0.01)
        return self.last_error is None and self.completed >= before + int(n)

    def guarded(self, fn: Callable[[], None], title: str) -> bool:
        """Run ``fn``; on an exception show it in the error box, keep it in last_error, return False."""
        # the one place a widget catches everything: a callback's exception would otherwise
        # only reach JupyterLab's log console, and the user would see a button that did nothing
        try:
            fn()
        except Exception as exc:
            self.last_error = exc
            self.error.value = error_html(title, exc)
            log.warning("%s: %s: %s", title, type(exc).__name__, exc, exc_info=exc)
            return False
        return True


def png_bytes(img: Any, min_width: int = 1) -> bytes:
    """A PNG file of ``img``, written with zlib only (no imaging library): alviz's one PNG encoder.

    Parameters
    ----------
    img : array-like
        (H, W) grey, (H, W, 3) colour or (H, W, 4) colour with alpha, values in [0, 1].
    min_width : int
        Each pixel is repeated (nearest neighbour) until the image is at least this wide
        (hover thumbnails of 8x8 digits ask for 64).

    Returns
    -------
    bytes
        The PNG file.
    """
    import struct
    import zlib

    a = np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or a.size == 0:
        raise ValueError(f"an image must be (H, W), (H, W, 3) or (H, W, 4) with values in [0, 1], got shape {a.shape}")
    a = (a * 255).round().astype(np.uint8)
    up = max(1, int(np.ceil(int(min_width) / a.shape[1])))
    if up > 1:
        a = np.repeat(np.repeat(a, up, axis=0), up, axis=1)
    h, w = a.shape[:2]
    colour = 0 if a.ndim == 2 else (2 if a.shape[2] == 3 else 6)
    raw = b"".join(b"\x00" + a[r].tobytes() for r in range(h))  # filter type 0 on every row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


class Background:
    """One function run on a daemon thread, its result or exception kept; ``wait`` joins it.

    The thread is background work (:func:`alviz._threads.background_work`: a lower priority, one
    numba thread, a short GIL switch interval), so a round started meanwhile is slowed little by it.

    ``on_done(result, exc)`` is called on the worker thread when the function ends.
    """

    def __init__(self, fn: Callable[[], object], on_done: Callable[[object, BaseException | None], None]):
        import threading

        self.result = None
        self.error: BaseException | None = None
        self._done = threading.Event()

        def work():
            from .._threads import background_work

            try:
                with background_work():  # a round the person clicked for gets the cores (and the GIL) first
                    self.result = fn()
            except Exception as exc:  # noqa: BLE001 - handed to on_done, which shows it
                self.error = exc
            try:
                on_done(self.result, self.error)
            finally:
                self._done.set()

        self._thread = threading.Thread(target=work, name="alviz-background", daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def is_current_thread(self) -> bool:
        """True when called from this job's own thread (i.e. from its ``on_done``)."""
        import threading

        return threading.current_thread() is self._thread

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work and its ``on_done`` ended (True) or ``timeout`` seconds passed (False)."""
        return self._done.wait(timeout)
