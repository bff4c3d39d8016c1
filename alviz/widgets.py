"""Round-by-round explorers for JupyterLab: thin ipywidgets views over a Session and alviz.plot.

>>> session = alviz.Session(ds, "margin", initial=20, budget=10, seed=0)
>>> coords = alviz.projection.reference(ds)
>>> alviz.widgets.RoundExplorer(session, coords)          # doctest: +SKIP

The explorers hold no logic beyond wiring: "Next round" calls
``Session.step()``, every picture is a figure builder of :mod:`alviz.plot`
copied into a plotly ``FigureWidget`` with ``batch_update``. Every control has
a stable CSS class (``alviz-next-round``, ``alviz-round-slider``,
``alviz-color-by``, ``alviz-round-figure`` ...) and the status line states
the shown round in ``data-*`` attributes, so browser tests can read them.
"""
from __future__ import annotations

import base64
import html
import threading
from typing import Dict, Optional

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from . import plot
from ._labeling import LabelingPanel, pending_figure
from ._validation import check_int
from ._widget_tools import POINT_TRACES, Background, RoundRunner, animate_points, error_html, png_bytes, status_html, \
    sync_figure
from .plot import as_session_dict, check_coords
from .session import Session

__all__ = ["RoundExplorer", "CompareExplorer"]


def _reference_coords(dataset, seed: int):
    from . import projection

    return projection.reference(dataset, seed=seed)


def _figure_widget(css: str, width: int, height: int) -> go.FigureWidget:
    fw = go.FigureWidget(layout=dict(width=width, height=height, margin=dict(l=10, r=10, t=40, b=10)))
    fw.add_class(css)
    return fw


def _with_size(fig: go.Figure, width: int, height: Optional[int] = None) -> go.Figure:
    """``fig`` sized for its place in the explorer (height None keeps the figure's own).

    An equal-aspect figure (2-D inputs) that came with its own size keeps its shape: its height follows the width.
    """
    own_w, own_h = fig.layout.width, fig.layout.height
    if fig.layout.yaxis.scaleanchor and own_w and own_h and height is not None:
        height = int(round(width * own_h / own_w))
    fig.update_layout(width=width)
    if height is not None:
        fig.update_layout(height=height)
    return fig


class _Explorer(W.VBox):
    """Base of the explorers: the runner, the slider and the status line, wired once."""

    _step_failed = "The round failed; the session is unchanged"

    def _setup_controls(self):
        """The controls both explorers share: Next round, progress, round slider, status and error lines."""
        self.next_button = W.Button(description="Next round", icon="forward", button_style="primary",
                                    tooltip="Run one more round (Session.step)")
        self.next_button.add_class("alviz-next-round")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="running", bar_style="info",
                                      layout=W.Layout(width="180px"))
        self.progress.add_class("alviz-progress")
        self.slider = W.IntSlider(value=0, min=0, max=0, description="round", continuous_update=False,
                                  disabled=True, layout=W.Layout(width="320px"))
        self.slider.add_class("alviz-round-slider")
        self.status = W.HTML()
        self.status.add_class("alviz-status-box")
        self.error = W.HTML()
        self.error.add_class("alviz-error")
        self._state = "idle"
        self._suspend = False
        self.runner = RoundRunner(self._step, self._after_round, self.next_button, self.progress, self.error,
                                  on_state=self._set_state, step_failed=self._step_failed,
                                  exhausted=lambda: self._exhausted())
        self.next_button.on_click(lambda _b: self.next_round())
        self.slider.observe(self._on_view_change, names="value")

    # --------------------------------------------------------------- public
    def next_round(self, n: int = 1) -> None:
        """Run ``n`` more rounds, exactly as ``n`` clicks on "Next round" would."""
        self.runner.request(check_int(n, "n", 1, hint="rounds to run"))

    @property
    def last_error(self) -> Optional[BaseException]:
        """The exception of the last failed round or redraw (also shown in the widget), or None."""
        return self.runner.last_error

    @property
    def round_index(self) -> int:
        """Index of the round shown (-1 when no round has run yet)."""
        return self.slider.value if self._n_rounds() else -1

    def show_round(self, r: int) -> None:
        """Show round ``r`` (negative counts from the last), without recomputing anything."""
        n = self._n_rounds()
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not -n <= r < n:
            raise ValueError(f"round {r!r} does not exist; rounds run so far: {n}")
        self.slider.value = r % n

    # --------------------------------------------------------------- wiring
    def _after_round(self):
        n = self._n_rounds()
        self._suspend = True
        try:
            self.slider.max = max(0, n - 1)
            self.slider.value = max(0, n - 1)
            self.slider.disabled = n == 0
        finally:
            self._suspend = False
        self._redraw()

    def _on_view_change(self, change):
        if not self._suspend:
            self._redraw_guarded()

    def _redraw_guarded(self):
        self.error.value = ""
        self.runner.guarded(self._redraw, "Drawing this round failed")

    def _running_prefix(self, n: int) -> str:
        queued = f" ({self.runner.pending} more queued)" if self.runner.pending else ""
        return f"running round {n}{queued}… · showing "

    def _set_state(self, state: str):
        self._state = state
        self._update_status()
        if state == "idle" and self._exhausted():
            self.next_button.disabled = True
            self.next_button.description = "pool exhausted"

    # subclasses
    def _n_rounds(self) -> int:
        raise NotImplementedError

    def _step(self):
        raise NotImplementedError

    def _redraw(self):
        raise NotImplementedError

    def _update_status(self):
        raise NotImplementedError

    def _exhausted(self) -> bool:
        raise NotImplementedError


class RoundExplorer(_Explorer):
    """Step a Session round by round and look at every round in one fixed 2-D picture.

    Controls: "Next round" (runs ``session.step()``; disabled with a progress
    bar while it runs; clicks that arrive meanwhile are queued and run in
    order), a round slider over past rounds (no recomputation), a color-by
    dropdown (class, score, or one of the strategy's diagnostics, from
    :func:`alviz.plot.color_options`), an overlay toggle, a live learning
    curve, and a sample inspector: click a point to see its image, true label,
    predicted probabilities, score and rank this round. Errors appear in the
    widget. With a ``Human()`` oracle, "Next round" runs ``session.propose()``,
    draws the waiting picks and shows a labeling panel (``labeling_panel``);
    its "Submit labels" runs ``session.label`` and redraws.

    Parameters
    ----------
    session : alviz.Session
        The run to step. It may already have rounds; the explorer shows the last.
    coords : (n_pool, 2) array or Projection, optional
        The reference picture; default ``alviz.projection.reference(dataset)`` (fitted in the background).
    color_by : str, the initial coloring ("class").
    overlay : bool, draw the strategy's overlay (True).
    width, height : int, size in pixels of the round view.
    view : "reference" or "model", the initial view.

    Attributes
    ----------
    next_button, slider, color_by, overlay, space, figure, curve, inspector, inspector_text, hover_box, status, error
        The ipywidgets (public so notebooks and tests can drive them).
    coords : the reference picture shown now (a PCA until the UMAP is fitted).
    projection_state : "given", "ready", "fitting" (a PCA is shown) or "failed" (a PCA stays).
    inspected : int or None, the pool index shown in the inspector.
    """

    def __init__(self, session: Session, coords=None, color_by: str = "class", overlay: bool = True,
                 width: int = 600, height: int = 520, view: str = "reference"):
        from . import projection

        if not isinstance(session, Session):
            raise TypeError(f"session must be an alviz.Session, got {type(session).__name__}")
        if view not in ("reference", "model"):
            raise ValueError(f"view={view!r}; choose 'reference' (the fixed picture) or 'model' (the model's space)")
        super().__init__()
        self.session = session
        self._lock = threading.RLock()
        self._fit_job: Optional[Background] = None
        self.projection_error: Optional[BaseException] = None
        self._model_views: list = []
        self._model_job: Optional[Background] = None
        self._model_failed_at = -1  # the number of rounds whose model-space fit failed (not retried until more)
        #: "idle", "fitting", "ready" or "failed": the background fit of the model-space pictures
        self.model_space_state = "idle"
        self._last_xy = None
        self.last_draw = ""  # "animated" or "updated": how the last redraw reached the figure
        if coords is None:
            coords = projection.cached_reference(session.dataset, seed=session.seed)
            self.projection_state = "ready"
            if coords is None:  # a provisional picture now, the UMAP when it is fitted
                coords = projection.pca(projection.reference_features(session.dataset)[0])
                self.projection_state = "fitting"
        else:
            self.projection_state = "given"
        self.coords = check_coords(coords, session.n_pool)
        self._size = (int(width), int(height))
        self.inspected: Optional[int] = None
        self._setup_controls()
        self.space = W.ToggleButtons(options=[("reference", "reference"), ("model space", "model")], value=view,
                                     description="view", tooltips=[
                                         "the fixed reference picture: the pool never moves",
                                         "the task model's own features, one aligned picture per round"],
                                     style=dict(button_width="120px", description_width="40px"))
        self.space.add_class("alviz-space")
        self.hover_box = W.HTML('<div class="alviz-hover">hover a point to see it</div>',
                                layout=W.Layout(height="92px", overflow="hidden"))  # a fixed height: no jump on hover
        self.hover_box.add_class("alviz-hover-box")
        self.color_by = W.Dropdown(options=[color_by], value=color_by, description="color by",
                                   layout=W.Layout(width="260px"))
        self.color_by.add_class("alviz-color-by")
        self.overlay = W.Checkbox(value=bool(overlay), description="overlay", indent=False,
                                  layout=W.Layout(width="90px"))
        self.overlay.add_class("alviz-overlay")
        self.figure = _figure_widget("alviz-round-figure", *self._size)
        self.curve = _figure_widget("alviz-learning-curve", 400, 260)
        self.inspector = _figure_widget("alviz-inspector-figure", 400, 320)
        sync_figure(self.inspector, _with_size(plot.sample_placeholder(), 400))
        self.inspector_text = W.HTML('<div class="alviz-inspector"></div>')  # the panel below says what to do
        self.inspector_text.add_class("alviz-inspector-box")
        self.color_by.observe(self._on_view_change, names="value")
        self.overlay.observe(self._on_view_change, names="value")
        self.labeling = W.VBox()  # holds the labeling panel while a Human oracle's proposal waits
        self.labeling.add_class("alviz-labeling-box")
        self.labeling_panel: Optional[LabelingPanel] = None
        self.space.observe(self._on_view_change, names="value")
        self.children = [
            W.HBox([self.next_button, self.progress, self.slider, self.color_by, self.overlay],
                   layout=W.Layout(flex_flow="row wrap")),
            W.HBox([self.space, self.hover_box]),
            self.status,
            self.error,
            self.labeling,
            W.HBox([self.figure, W.VBox([self.curve, self.inspector_text, self.inspector],
                                        layout=W.Layout(width="410px"))],
                   layout=W.Layout(flex_flow="row wrap")),
        ]
        self.add_class("alviz-round-explorer")
        self._after_round()
        self._set_state("idle")
        if self.projection_state == "fitting":
            ds, seed = session.dataset, session.seed
            self._fit_job = Background(lambda: projection.reference(ds, seed=seed), self._on_projection_fitted)

    # --------------------------------------------------------------- public
    def inspect(self, i: int) -> None:
        """Show pool sample ``i`` in the inspector (what a click on its point does)."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.session.n_pool:
            raise ValueError(f"sample index {i!r} must be an int in [0, {self.session.n_pool})")
        self.inspected = int(i)
        self._draw_inspector()

    def wait_for_projection(self, timeout: Optional[float] = None) -> bool:
        """Wait until the background UMAP fits ended and their pictures are drawn (True), or ``timeout`` s passed.

        The fits are the reference picture's (when the explorer opened without one) and the
        model-space pictures' (fitted when model space shows a round that has none yet).

        True at once when nothing is being fitted. A failed fit also ends the wait:
        see :attr:`projection_state` and :attr:`projection_error`.
        """
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # a model-space fit that ends may start the next (a round was added meanwhile)
            running = [j for j in (self._fit_job, self._model_job) if j is not None and not j.done]
            if not running:
                return True
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not running[0].wait(left):
                return False

    def preview(self, i: int) -> None:
        """Show pool sample ``i`` in the hover box: its image (image data) and its class (what hovering does)."""
        ds = self.session.dataset
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.session.n_pool:
            raise ValueError(f"sample index {i!r} must be an int in [0, {self.session.n_pool})")
        i = int(i)
        img = plot.sample_image(ds, i)
        pic = ""
        if img is not None:
            b64 = base64.b64encode(png_bytes(img)).decode()
            pic = (f'<img src="data:image/png;base64,{b64}" alt="sample {i}" '
                   'style="height:80px;image-rendering:pixelated;border:1px solid #ddd;margin-right:8px">')
        label = html.escape(f"#{i} · class {ds.class_names[ds.y[i]]}")
        self.hover_box.value = (f'<div class="alviz-hover" data-index="{i}" style="display:flex;align-items:center">'
                                f"{pic}<span>{label}</span></div>")

    @property
    def round(self):
        """The Round shown, or None before the first round."""
        return self.session.rounds[self.slider.value] if self.session.rounds else None

    # --------------------------------------------------------------- wiring
    def _n_rounds(self) -> int:
        return len(self.session.rounds)

    def _exhausted(self) -> bool:
        return self.session.n_unlabeled == 0

    def _step(self):
        if self.session.oracle.interactive:  # a person labels: propose here, the labeling panel commits
            self.session.propose()
            return
        self.session.step()

    def _show_pending(self) -> bool:
        """While a proposal waits for a person's labels: draw its picks and show the labeling panel."""
        pending = self.session.pending
        if pending is None or not self.session.oracle.interactive:
            self.labeling.children, self.labeling_panel = (), None
            return False
        if self.labeling_panel is None or self.labeling_panel.round is not pending:
            self.labeling_panel = LabelingPanel(self.session, self.coords, on_submit=lambda _rnd: self.runner.guarded(
                self._after_round, "The labels were committed, but redrawing failed"))
            self.labeling.children = (self.labeling_panel,)
        self._sync_color_options(pending)
        fig = pending_figure(self.session, self.coords, color_by=self.color_by.value, overlay=self.overlay.value)
        self._bind_clicks(sync_figure(self.figure, _with_size(fig, *self._size)))
        self._update_status()
        return True

    def _on_projection_fitted(self, result, exc):
        """Called on the fitting thread: swap the UMAP in, or show why it failed."""
        if exc is not None:
            self.projection_state = "failed"
            self.projection_error = exc
            self.error.value = error_html("Fitting the UMAP picture failed; the picture stays a PCA of the inputs",
                                          exc)
            with self._lock:
                self._update_status()
            return
        self.coords = check_coords(result, self.session.n_pool)
        self.projection_state = "ready"
        with self._lock:
            if self.runner.guarded(self._redraw, "Drawing the fitted UMAP picture failed"):
                self._update_status()

    def _shown_coords(self, rnd):
        """The picture of round ``rnd`` in the chosen view.

        In model space a round whose aligned picture is not fitted yet is drawn at once on the
        last model-space picture there is (the previous round's), while the new one is fitted on a
        background thread; when it is done the points glide to their new places.
        """
        if self.space.value == "reference":
            return self.coords
        if rnd.index < len(self._model_views):
            return self._model_views[rnd.index]
        self._start_model_fit()
        return self._model_views[-1] if self._model_views else self.coords

    def _start_model_fit(self) -> None:
        """Fit the model-space pictures of every round so far in the background (one job at a time)."""
        n = len(self.session.rounds)
        job = self._model_job
        if (job is not None and not job.done and not job.is_current_thread()) or self._model_failed_at == n:
            return  # one fit at a time: the running one redraws (and starts the next) when it ends
        from . import projection

        session, seed = self.session, self.session.seed
        self.model_space_state = "fitting"
        self._model_job = Background(lambda: projection.aligned(session, seed=seed), self._on_model_fitted)

    def _on_model_fitted(self, views, exc):
        """Called on the fitting thread: keep the new pictures and redraw (or show why the fit failed)."""
        with self._lock:
            if exc is not None:
                self.model_space_state = "failed"
                self._model_failed_at = len(self.session.rounds)
                self.error.value = error_html("Fitting the model-space picture failed", exc)
                self._update_status()
                return
            self._model_views = list(views)
            self.model_space_state = "ready"
            if self.space.value == "model":
                self.runner.guarded(self._redraw_now, "Drawing the model-space picture failed")
            else:
                self._update_status()

    def _redraw(self):
        with self._lock:
            self._redraw_now()

    def _redraw_now(self):
        if self._show_pending():
            return
        rnd = self.round
        if rnd is None:
            self.figure.layout.title = "no round yet: press “Next round”"
            self._update_status()
            return
        self._sync_color_options(rnd)
        coords = self._shown_coords(rnd)
        fig = plot.round(self.session, coords, r=rnd.index, color_by=self.color_by.value,
                         overlay=self.overlay.value)
        fig = _with_size(fig, *self._size)
        xy = np.asarray(coords, dtype=np.float64)
        if self._last_xy is not None and self._last_xy.shape == xy.shape and not np.array_equal(self._last_xy, xy):
            added = animate_points(self.figure, fig, self._last_xy)  # points glide to their new places
            self.last_draw = "animated"
        else:
            added = sync_figure(self.figure, fig)
            self.last_draw = "updated"
        self._last_xy = xy
        self._bind_clicks(added)
        curve = plot.learning_curves({self.session.strategy.name: self.session})
        curve.add_vline(x=rnd.metrics["n_labeled"], line_dash="dot", line_color="grey")
        curve.update_layout(title=dict(text="learning curve (dotted: this round)", font=dict(size=14)))
        sync_figure(self.curve, _with_size(curve, 400, 260))
        if self.inspected is not None:
            self._draw_inspector()
        self._update_status()

    def _sync_color_options(self, rnd):
        options = list(plot.color_options(rnd))
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        if list(self.color_by.options) != options:
            current = self.color_by.value
            self._suspend = True
            try:
                self.color_by.options = options
                self.color_by.value = current if current in values else values[0]
            finally:
                self._suspend = False

    def _bind_clicks(self, traces):
        for t in traces:
            if t.customdata is not None:
                t.on_click(self._on_point_click)
                if t.name in POINT_TRACES:
                    t.on_hover(self._on_point_hover)

    def _on_point_hover(self, trace, points, _state):
        if not points.point_inds:
            return
        cd = np.asarray(trace.customdata)[points.point_inds[0]]
        self.runner.guarded(lambda: self.preview(int(np.ravel(cd)[0])), "Showing this point failed")

    def _on_point_click(self, trace, points, _state):
        if not points.point_inds:
            return
        cd = np.asarray(trace.customdata)[points.point_inds[0]]
        self.runner.guarded(lambda: self.inspect(int(np.ravel(cd)[0])), "Inspecting this point failed")

    def _draw_inspector(self):
        i = self.inspected
        rnd = self.round
        ds = self.session.dataset
        if rnd is None:
            fig = plot.sample(ds, i)
            text = f"sample #{i} · true label {ds.class_names[ds.y[i]]}"
            sync_figure(self.inspector, _with_size(fig, 400))
            self.inspector_text.value = status_html(text, "alviz-inspector", index=i, true=int(ds.y[i]))
            return
        proba = None if rnd.proba is None else rnd.proba[i]
        score = float(rnd.scores[i])
        pick = int(rnd.rank()[i])
        fig = plot.sample(ds, i, proba=proba, score=score, rank=pick)
        sync_figure(self.inspector, _with_size(fig, 400))
        parts = [f"sample #{i}", f"true label {ds.class_names[ds.y[i]]}"]
        pred = -1
        if proba is not None:
            pred = int(np.argmax(proba))
            parts.append(f"predicted {ds.class_names[pred]} (p={proba[pred]:.2f})")
        if np.isnan(score):
            parts.append("labeled before this round: not a candidate" if i in set(rnd.labeled.tolist())
                         else "not scored this round")
        else:
            valid = rnd.scores[~np.isnan(rnd.scores)]
            score_rank = int(np.sum(valid > score)) + 1
            parts.append(f"score {score:.4g} (rank {score_rank} of {valid.size} scored)")
        parts.append(f"picked #{pick + 1} this round" if pick >= 0 else "not picked")
        self.inspector_text.value = status_html(" · ".join(parts), "alviz-inspector", index=i, true=int(ds.y[i]),
                                                predicted=pred, score=score, pick_rank=pick, round=rnd.index)

    def _update_status(self):
        rnd = self.round
        n = self._n_rounds()
        waiting = self.session.pending
        if waiting is not None and self.session.oracle.interactive and self._state != "running":
            text = (f"{waiting.strategy} · round {waiting.index} proposed · {len(waiting.selected)} picks wait for "
                    f"your labels · {len(waiting.labeled)} labeled")
            self.status.value = status_html(text, state="labeling", round=waiting.index, rounds=n,
                                            selected=len(waiting.selected), labeled=len(waiting.labeled),
                                            strategy=waiting.strategy)
            return
        if rnd is None:
            text = self._projection_note() + \
                f"{self.session.strategy.name} · no round yet · {self.session.n_labeled} labeled"
            self.status.value = status_html(text, state=self._state, round=-1, rounds=0, selected=0,
                                            labeled=self.session.n_labeled, strategy=self.session.strategy.name,
                                            view=self.space.value, projection=self.projection_state)
            return
        acc = rnd.metrics.get("accuracy", float("nan"))
        text = (f"{rnd.strategy} · round {rnd.index} ({n} run) · {len(rnd.selected)} selected · "
                f"{len(rnd.labeled)} labeled before · test accuracy {acc:.3f}")
        if self._state == "running":
            text = self._running_prefix(n) + text
        text = self._projection_note() + text
        self.status.value = status_html(text, state=self._state, round=rnd.index, rounds=n,
                                        selected=len(rnd.selected), labeled=len(rnd.labeled),
                                        strategy=rnd.strategy, accuracy=f"{acc:.4f}", view=self.space.value,
                                        projection=self.projection_state, model_space=self.model_space_state)

    def _projection_note(self) -> str:
        if self.projection_state == "fitting":
            return "fitting the UMAP picture in the background; showing a PCA of the inputs for now · "
        if self.projection_state == "failed":
            return "the UMAP fit failed (see the error); showing a PCA of the inputs · "
        if self.space.value != "model":
            return ""
        rnd = self.round
        if rnd is not None and rnd.index >= len(self._model_views):
            if self.model_space_state == "failed":
                return "model space · its fit failed (see the error); showing the last picture there is · "
            shown = f"round {len(self._model_views) - 1}'s" if self._model_views else "the reference"
            return (f"model space · fitting round {rnd.index}'s picture in the background; showing {shown} "
                    "for now · ")
        return "model space · "


class CompareExplorer(_Explorer):
    """Several strategies stepped in lock-step from the same start, one panel each.

    "Next round" advances every session by one round (a session that fell
    behind after an error is caught up first). Shows
    :func:`alviz.plot.compare_round` (one panel per strategy, same
    coordinates), :func:`alviz.plot.overlap_matrix` and
    :func:`alviz.plot.learning_curves`; the round slider goes back over
    rounds all sessions have run.

    Parameters
    ----------
    sessions : dict name -> Session (as ``alviz.compare`` returns) or a list of Sessions
        They must share the dataset and the initial labeled set.
    coords : (n_pool, 2) array, optional (default ``alviz.projection.reference``).
    width : int, width of the panels figure (its height grows with the number of strategies).
    """

    _step_failed = ("A session's round failed (that session is unchanged); "
                    "the others keep their round, and Next round catches the failed one up")

    def __init__(self, sessions, coords=None, width: int = 940):
        super().__init__()
        self.sessions = self._check_sessions(sessions)
        first = next(iter(self.sessions.values()))
        if coords is None:
            coords = _reference_coords(first.dataset, first.seed)
        self.coords = check_coords(coords, first.n_pool)
        self._size = (int(width), 360)
        self._setup_controls()
        self.figure = _figure_widget("alviz-compare-figure", *self._size)
        self.overlap = _figure_widget("alviz-overlap-figure", 420, 360)
        self.curve = _figure_widget("alviz-learning-curve", 520, 360)
        self.children = [
            W.HBox([self.next_button, self.progress, self.slider]),
            self.status,
            self.error,
            self.figure,
            W.HBox([self.curve, self.overlap], layout=W.Layout(flex_flow="row wrap")),
        ]
        self.add_class("alviz-compare-explorer")
        self._after_round()
        self._set_state("idle")

    @staticmethod
    def _check_sessions(sessions) -> Dict[str, Session]:
        try:
            out = as_session_dict(sessions)
        except ValueError as exc:
            raise ValueError("give at least one session to compare (e.g. alviz.compare(ds, [...], rounds=0))") from exc
        out.check(same_start=True)
        return out

    # --------------------------------------------------------------- wiring
    def _n_rounds(self) -> int:
        return min(len(s.rounds) for s in self.sessions.values())

    def _exhausted(self) -> bool:
        return any(s.n_unlabeled == 0 for s in self.sessions.values())

    def _step(self):
        self.sessions.step()

    def _redraw(self):
        if self._n_rounds() == 0:
            self.figure.layout.title = "no round yet: press “Next round”"
            self._update_status()
            return
        r = self.slider.value
        sync_figure(self.figure, _with_size(plot.compare_round(self.sessions, self.coords, r), self._size[0]))
        sync_figure(self.overlap, _with_size(plot.overlap_matrix(self.sessions, r=r), 420, 360))
        curve = plot.learning_curves(self.sessions)
        n_lab = next(iter(self.sessions.values())).rounds[r].metrics["n_labeled"]
        curve.add_vline(x=n_lab, line_dash="dot", line_color="grey")
        sync_figure(self.curve, _with_size(curve, 520, 360))
        self._update_status()

    def _update_status(self):
        n = self._n_rounds()
        names = ",".join(self.sessions)
        if n == 0:
            text = f"{len(self.sessions)} strategies · no round yet"
            self.status.value = status_html(text, state=self._state, round=-1, rounds=0, selected=0,
                                            strategies=names)
            return
        r = self.slider.value
        rounds = [s.rounds[r] for s in self.sessions.values()]
        accs = " · ".join(f"{k} {rd.metrics.get('accuracy', float('nan')):.3f}"
                          for k, rd in zip(self.sessions, rounds))
        text = f"round {r} ({n} run) · {len(rounds[0].labeled)} labeled before · accuracy: {accs}"
        if self._state == "running":
            text = self._running_prefix(n) + text
        self.status.value = status_html(text, state=self._state, round=r, rounds=n,
                                        selected=",".join(str(len(rd.selected)) for rd in rounds),
                                        labeled=len(rounds[0].labeled), strategies=names)
