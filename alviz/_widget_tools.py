"""Wiring shared by the explorers: figure syncing, the round runner, status and error boxes.

Nothing here knows about active learning; :mod:`alviz.widgets` composes these
pieces with a Session and the figure builders of :mod:`alviz.plot`.
"""
from __future__ import annotations

import html
import logging
import math
from typing import Callable, Optional

import numpy as np

__all__ = ["sync_figure", "RoundRunner", "status_html", "error_html", "png_bytes", "Background", "animate_points"]

log = logging.getLogger("alviz.widgets")

# keys plotly manages itself on a FigureWidget trace; never cleared or copied
_TRACE_OWN = ("type", "uid")


def json_safe(value):
    """``value`` with every NaN/inf that a FigureWidget would send as JSON replaced by None (a gap).

    A FigureWidget ships 1-D numeric arrays as binary buffers (NaN is fine
    there) but everything else as JSON, where NaN is not allowed: a heatmap's
    2-D ``z`` with empty bins made the kernel emit invalid JSON that the
    browser cannot parse. Static figures do not have this problem (plotly's
    encoder writes null); this does the same for the widget.
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and value.ndim != 1 and not np.all(np.isfinite(value)):
            return np.where(np.isfinite(value), value, None).tolist()
        if value.dtype == object:
            return [json_safe(v) for v in value.tolist()]
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _replace_props(obj, new: dict, own=()) -> None:
    """Make plotly object ``obj`` hold exactly ``new``: set what is given, clear what is not."""
    for k in set(obj.to_plotly_json()) - set(own) - set(new):
        obj[k] = None  # (update() skips None values; assignment clears)
    obj.update(new, overwrite=True)


def sync_figure(fw, fig) -> list:
    """Make FigureWidget ``fw`` show ``fig`` (a ``go.Figure``) with as few messages as possible.

    Traces of the same type at the same position are updated in place, all in
    one ``batch_update`` (one restyle + one relayout message to the browser);
    only when the trace list changes shape are traces removed or added.
    Returns the trace objects that were added (so callers can bind click handlers).
    """
    new = fig.data
    keep = 0
    while keep < min(len(fw.data), len(new)) and fw.data[keep].type == new[keep].type:
        keep += 1
    if keep < len(fw.data):
        fw.data = fw.data[:keep]
    new_layout = json_safe(fig.layout.to_plotly_json())
    if "template" in new_layout and fw.layout.template == fig.layout.template:
        new_layout.pop("template")
        own = ("template",)
    else:
        own = ()
    with fw.batch_update():
        for old, nt in zip(fw.data[:keep], new[:keep]):
            d = json_safe(nt.to_plotly_json())
            for k in _TRACE_OWN:
                d.pop(k, None)
            _replace_props(old, d, own=_TRACE_OWN)
        _replace_props(fw.layout, new_layout, own=own)
    if keep < len(new):
        fw.add_traces([json_safe(t.to_plotly_json()) for t in new[keep:]])
    return list(fw.data[keep:])


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

    def __init__(self, step: Callable[[], None], after: Callable[[], None], button, progress, error,
                 on_state: Optional[Callable[[str], None]] = None,
                 step_failed: str = "The round failed; the session is unchanged",
                 exhausted: Optional[Callable[[], bool]] = None):
        self._step = step
        self._exhausted = exhausted or (lambda: False)
        self._step_failed = step_failed
        self._after = after
        self.button = button
        self.progress = progress
        self.error = error
        self._on_state = on_state or (lambda state: None)
        self.pending = 0
        self.running = False
        self.completed = 0
        self.last_error: Optional[BaseException] = None
        self._hide_progress()

    def _hide_progress(self):
        self.progress.layout.visibility = "hidden"

    def request(self, n: int = 1) -> None:
        """Queue ``n`` rounds and run the queue unless it is already running."""
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
            while self.pending > 0:
                if self._exhausted():  # clicks queued past the end of the pool: nothing is left to run
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
            self.pending = 0
            self.running = False
            self._hide_progress()
            self.button.disabled = False
            self._on_state("idle")

    def guarded(self, fn: Callable[[], None], title: str) -> bool:
        """Run ``fn``; on an exception show it in the error box, keep it in last_error, return False."""
        # the one place a widget catches everything: a callback's exception would otherwise
        # only reach JupyterLab's log console, and the user would see a button that did nothing
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - shown to the user, kept in last_error, logged
            self.last_error = exc
            self.error.value = error_html(title, exc)
            log.warning("%s: %s: %s", title, type(exc).__name__, exc, exc_info=exc)
            return False
        return True


def png_bytes(img) -> bytes:
    """A PNG file of ``img``: (H, W) grey or (H, W, 3) colour in [0, 1], each pixel scaled up to at least 64 px wide.

    Written with zlib only (no imaging library), for hover thumbnails.
    """
    import struct
    import zlib

    a = np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    a = (a[:, :, :3] * 255).round().astype(np.uint8)
    up = max(1, int(np.ceil(64 / a.shape[1])))
    a = np.repeat(np.repeat(a, up, axis=0), up, axis=1)
    h, w = a.shape[:2]
    raw = b"".join(b"\x00" + a[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


class Background:
    """One function run on a daemon thread, its result or exception kept; ``wait`` joins it.

    The thread is background work (:func:`alviz._threads.background_work`: a lower priority, one
    numba thread, a short GIL switch interval), so a round started meanwhile is slowed little by it.

    ``on_done(result, exc)`` is called on the worker thread when the function ends.
    """

    def __init__(self, fn: Callable[[], object], on_done: Callable[[object, Optional[BaseException]], None]):
        import threading

        self.result = None
        self.error: Optional[BaseException] = None
        self._done = threading.Event()

        def work():
            from ._threads import background_work

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

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the work and its ``on_done`` ended (True) or ``timeout`` seconds passed (False)."""
        return self._done.wait(timeout)


#: the trace names whose points are pool samples (customdata = pool index), moved by :func:`animate_points`
POINT_TRACES = ("unlabeled", "labeled", "selected")


def animate_points(fw, fig, old_xy, duration: int = 600) -> list:
    """Show ``fig`` in ``fw`` with the pool's points gliding from ``old_xy`` (n_pool, 2) to their place in ``fig``.

    The figure is first synced with every point at its old position (and the
    old axis ranges), then one ``batch_animate`` moves x, y and the ranges to
    the new ones: the browser interpolates (SVG traces; WebGL ones jump).
    Returns what :func:`sync_figure` returns.
    """
    import plotly.graph_objects as go

    old_xy = np.asarray(old_xy, dtype=np.float64)
    start = go.Figure(fig)
    targets = []
    for k, tr in enumerate(start.data):
        cd = getattr(tr, "customdata", None)
        if tr.name in POINT_TRACES and cd is not None and len(cd):
            idx = np.asarray(cd, dtype=np.int64).ravel()
            targets.append((k, np.asarray(tr.x), np.asarray(tr.y)))
            tr.x, tr.y = old_xy[idx, 0], old_xy[idx, 1]
    old_range = (fw.layout.xaxis.range, fw.layout.yaxis.range)
    new_range = (start.layout.xaxis.range, start.layout.yaxis.range)
    if old_range[0] is not None and old_range[1] is not None:
        start.layout.xaxis.range, start.layout.yaxis.range = old_range
    added = sync_figure(fw, start)
    with fw.batch_animate(duration=duration, easing="cubic-in-out"):
        for k, x, y in targets:
            fw.data[k].x = x
            fw.data[k].y = y
        if new_range[0] is not None:
            fw.layout.xaxis.range = new_range[0]
            fw.layout.yaxis.range = new_range[1]
    return added
