"""The base of the explorers: the runner, the slider, the status line, the reference picture, the static fallback.

Every explorer is an ``ipywidgets.VBox`` whose state that a front end or a
test reads is traitlets (synced, so a front end sees them too):
``round_index``, ``view``, ``projection_state``, ``model_space_state`` and
``pending_picks``. Its pictures are drawn on :class:`alviz.widgets.Canvas`
and its mime bundle carries a static picture of them
(:mod:`alviz.widgets._static`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets

from .._validation import check_int
from ..plot import check_coords
from ._canvas import Canvas
from ._pictures import PictureSource
from ._static import static_bundle
from ._tools import RoundRunner, error_html

__all__ = ["Explorer", "canvas", "with_size"]


def canvas(css: str, width: int, height: int) -> Canvas:
    """An empty :class:`Canvas` of ``width`` x ``height`` pixels with the CSS class ``css``.

    Parameters
    ----------
    css : str
        Its class (browser tests find it by this).
    width, height : int
        Its size in pixels.

    Returns
    -------
    Canvas
        The canvas.
    """
    c = Canvas(
        go.Figure(layout=dict(width=width, height=height, margin=dict(l=10, r=10, t=40, b=10))),
        config={"displaylogo": False},
    )
    c.add_class(css)
    return c


def with_size(fig: go.Figure, width: int, height: int | None = None) -> go.Figure:
    """``fig`` sized for its place in the explorer (height None keeps the figure's own).

    An equal-aspect figure (2-D inputs) that came with its own size keeps its shape: its height follows the width.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure (changed in place).
    width : int
        Its width in pixels.
    height : int, optional
        Its height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig``.
    """
    own_w, own_h = fig.layout.width, fig.layout.height
    if fig.layout.yaxis.scaleanchor and own_w and own_h and height is not None:
        height = int(round(width * own_h / own_w))
    fig.update_layout(width=width)
    if height is not None:
        fig.update_layout(height=height)
    return fig


def _placeholder(text: str, width: int, height: int) -> go.Figure:
    return go.Figure(
        layout=dict(title=dict(text=text), width=width, height=height, margin=dict(l=10, r=10, t=40, b=10))
    )


class Explorer(W.VBox):
    """Base of the explorers: the runner, the slider, the status line and the reference picture, wired once.

    Attributes
    ----------
    round_index : int
        Index of the round shown (-1 before the first round); a traitlet.
    view : str
        "reference" or "model" (the picture shown); a traitlet.
    projection_state : str
        The reference picture's state: "given", "ready", "fitting" (a PCA is shown) or "failed"; a traitlet.
    model_space_state : str
        The model-space pictures' state: "idle", "fitting", "ready" or "failed"; a traitlet.
    pending_picks : list of int
        The picks of a proposal that waits for a person's labels (empty otherwise); a traitlet.
    """

    round_index = traitlets.Int(-1).tag(sync=True)
    view = traitlets.Unicode("reference").tag(sync=True)
    projection_state = traitlets.Unicode("given").tag(sync=True)
    model_space_state = traitlets.Unicode("idle").tag(sync=True)
    pending_picks = traitlets.List(traitlets.Int()).tag(sync=True)

    _step_failed = "The round failed; the session is unchanged"

    def _setup_controls(self) -> None:
        """The controls every explorer shares: Next round, progress, round slider, status and error lines."""
        self.next_button = W.Button(
            description="Next round",
            icon="forward",
            button_style="primary",
            tooltip="Run one more round (Session.step)",
        )
        self.next_button.add_class("alviz-next-round")
        self.progress = W.IntProgress(
            value=0, min=0, max=1, description="running", bar_style="info", layout=W.Layout(width="180px")
        )
        self.progress.add_class("alviz-progress")
        self.slider = W.IntSlider(
            value=0,
            min=0,
            max=0,
            description="round",
            continuous_update=False,
            disabled=True,
            layout=W.Layout(width="320px"),
        )
        self.slider.add_class("alviz-round-slider")
        self.status = W.HTML()
        self.status.add_class("alviz-status-box")
        self.error = W.HTML()
        self.error.add_class("alviz-error")
        self._state = "idle"
        self._suspend = False
        self.runner = RoundRunner(
            self._step,
            self._after_round,
            self.next_button,
            self.progress,
            self.error,
            on_state=self._set_state,
            step_failed=self._step_failed,
            exhausted=lambda: self._exhausted(),
        )
        self.next_button.on_click(lambda _b: self.next_round())
        self.slider.observe(self._on_view_change, names="value")

    def _setup_reference(self, dataset: Any, seed: int, coords: Any, n_pool: int) -> None:
        """The reference picture: given, from the cache, or a PCA now and the UMAP fitted in the background."""
        from .. import projection

        self.projection_error: BaseException | None = None
        if coords is not None:
            self.coords = check_coords(coords, n_pool)
            self.reference = PictureSource(
                lambda: None, self._on_reference_fitted, value=self.coords, state="given", name="the reference picture"
            )
        else:
            from .._threads import OWN_PROCESS_MIN_SAMPLES

            own_process = n_pool >= OWN_PROCESS_MIN_SAMPLES  # a fresh process to fit in: see alviz._threads
            cached = projection.cached_reference(dataset, seed=seed)
            if cached is not None:
                self.coords = check_coords(cached, n_pool)
                self.reference = PictureSource(
                    lambda: projection.reference(dataset, seed=seed, own_process=own_process),
                    self._on_reference_fitted,
                    value=self.coords,
                    state="ready",
                    name="the reference picture",
                )
                self.reference.fitted_for = 0
            else:  # a provisional picture now, the UMAP when it is fitted
                self.coords = check_coords(projection.pca(projection.reference_features(dataset)[0]), n_pool)
                self.reference = PictureSource(
                    lambda: projection.reference(dataset, seed=seed, own_process=own_process),
                    self._on_reference_fitted,
                    name="the reference picture",
                )
        self.projection_state = self.reference.state

    def _start_reference_fit(self) -> None:
        if self.reference.state == "idle":
            self.reference.request(0)
            self.projection_state = self.reference.state

    # --------------------------------------------------------------- public
    def next_round(self, n: int = 1) -> None:
        """Run ``n`` more rounds, exactly as ``n`` clicks on "Next round" would.

        Parameters
        ----------
        n : int
            Rounds to run (at least 1).
        """
        self.runner.request(check_int(n, "n", 1, hint="rounds to run"))

    @property
    def last_error(self) -> BaseException | None:
        """The exception of the last failed round or redraw (also shown in the widget), or None."""
        return self.runner.last_error

    def show_round(self, r: int) -> None:
        """Show round ``r`` (negative counts from the last), without recomputing anything.

        Parameters
        ----------
        r : int
            The round's index.

        Raises
        ------
        ValueError
            No such round.
        """
        n = self._n_rounds()
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not -n <= r < n:
            raise ValueError(f"round {r!r} does not exist; rounds run so far: {n}")
        self.slider.value = r % n

    def wait_for_projection(self, timeout: float | None = None) -> bool:
        """Wait until the background picture fits ended and their pictures are drawn (True), or ``timeout`` passed.

        The fits are the reference picture's (when the explorer opened without one) and, in a
        RoundExplorer, the model-space pictures' (fitted when model space shows a round that has none yet).
        A failed fit also ends the wait: see :attr:`projection_state` and :attr:`projection_error`.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most (None: as long as it takes).

        Returns
        -------
        bool
            True when nothing is being fitted any more.
        """
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # a fit that ends may start the next (a round was added meanwhile)
            busy = [s for s in self._picture_sources() if s.busy]
            if not busy:
                return True
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not busy[0].wait(left):
                return False

    # --------------------------------------------------------------- wiring
    def _picture_sources(self) -> list[PictureSource]:
        return [self.reference]

    def _on_reference_fitted(self, source: PictureSource) -> None:
        """Called on the fitting thread: swap the UMAP in, or show why it failed."""
        with self._lock:
            self.projection_state = source.state
            if source.state == "failed":
                self.projection_error = source.error
                self.error.value = error_html(
                    "Fitting the UMAP picture failed; the picture stays a PCA of the inputs",
                    source.error or RuntimeError("unknown"),
                )
                self._update_status()
                return
            self.coords = check_coords(source.value, self._n_pool())
            if self.runner.guarded(self._redraw, "Drawing the fitted UMAP picture failed"):
                self._update_status()

    def _after_round(self) -> None:
        n = self._n_rounds()
        self._suspend = True
        try:
            self.slider.max = max(0, n - 1)
            self.slider.value = max(0, n - 1)
            self.slider.disabled = n == 0
        finally:
            self._suspend = False
        self._redraw()

    def _on_view_change(self, change: Any) -> None:
        if not self._suspend:
            self._redraw_guarded()

    def _redraw_guarded(self) -> None:
        self.error.value = ""
        self.runner.guarded(self._redraw, "Drawing this round failed")

    def _running_prefix(self, n: int) -> str:
        queued = f" ({self.runner.pending} more queued)" if self.runner.pending else ""
        return f"running round {n}{queued}… · showing "

    def _set_state(self, state: str) -> None:
        self._state = state
        self._update_status()
        if state == "idle" and self._exhausted():
            self.next_button.disabled = True
            self.next_button.description = "pool exhausted"

    def _sync_round_index(self) -> None:
        self.round_index = self.slider.value if self._n_rounds() else -1

    # --------------------------------------------------------------- static fallback
    def _static_canvases(self) -> list[Canvas]:
        """The canvases whose pictures the static fallback shows (the main one first)."""
        return []

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget view, plus a static picture of the explorer's figures for front ends without widgets."""
        out = super()._repr_mimebundle_(**kwargs)
        data, meta = out if isinstance(out, tuple) else (out, {})
        data = dict(data or {})
        data.update(static_bundle([c.figure_dict() for c in self._static_canvases()]))
        return data, dict(meta or {})

    # subclasses
    def _n_rounds(self) -> int:
        raise NotImplementedError

    def _n_pool(self) -> int:
        raise NotImplementedError

    def _step(self) -> None:
        raise NotImplementedError

    def _redraw(self) -> None:
        raise NotImplementedError

    def _update_status(self) -> None:
        raise NotImplementedError

    def _exhausted(self) -> bool:
        raise NotImplementedError
