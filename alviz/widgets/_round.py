"""RoundExplorer: step one Session round by round and look at every round in one fixed 2-D picture."""

from __future__ import annotations

import base64
import html
import threading
from typing import Any

import ipywidgets as W
import numpy as np

from .. import plot
from ..session import Session
from ._base import Explorer, _placeholder, canvas, with_size
from ._canvas import Canvas
from ._labeling import LabelingPanel, pending_figure
from ._picking import PickAndPlay
from ._pictures import PictureSource
from ._tools import POINT_TRACES, error_html, png_bytes, status_html

__all__ = ["RoundExplorer"]


class RoundExplorer(PickAndPlay, Explorer):
    """Step a Session round by round and look at every round in one fixed 2-D picture.

    Controls: "Next round" (runs ``session.step()``; disabled with a progress
    bar while it runs; clicks that arrive meanwhile are queued and run in
    order), a round slider over past rounds (no recomputation), a color-by
    dropdown (class, score, or one of the strategy's diagnostics, from
    :func:`alviz.plot.color_options`), an overlay toggle, the reference /
    model-space toggle, a live learning curve, and a sample inspector: click a
    point to see its image, true label, predicted probabilities, score and
    rank this round. Errors appear in the widget. With a ``Human()`` oracle,
    "Next round" runs ``session.propose()``, draws the waiting picks and shows
    a labeling panel (``labeling_panel``); its "Submit labels" runs
    ``session.label`` and redraws.

    "pick yourself" (``alviz-pick-mode``): you choose the next round's query. Clicks toggle points
    into your selection (box and lasso selection add many; ``toggle_pick(i)``, ``add_picks(...)``
    from Python), the picture rings your picks and, faintly, the strategy's, and "query my picks"
    (``alviz-query-picks``, ``query_picks()``) runs ``session.step(picks=...)``. Play / Pause
    (``alviz-play``, ``play()`` / ``pause()``) runs rounds one after another on a background thread,
    each drawn as it ends, until paused, the pool runs out, or a round fails (the error is shown).

    Parameters
    ----------
    session : alviz.Session
        The run to step. It may already have rounds; the explorer shows the last.
    coords : (n_pool, 2) array or Projection, optional
        The reference picture; default ``alviz.projection.reference(dataset)`` (fitted in the background,
        a PCA of the inputs is shown meanwhile).
    color_by : str
        The initial coloring ("class").
    overlay : bool
        Draw the strategy's overlay.
    width, height : int
        Size in pixels of the round view.
    view : str
        "reference" (the fixed picture) or "model" (the task model's space), the initial view.

    Attributes
    ----------
    next_button, slider, color_by, overlay, space, hover_box, status, error, inspector_text : ipywidgets
        The controls (public so notebooks and tests can drive them).
    figure, curve, inspector : Canvas
        The round view, the learning curve and the sample inspector (``figure.fig`` is a ``go.Figure`` copy
        of what is drawn, ``figure.figure_dict()`` the plain dict).
    coords : numpy.ndarray
        The reference picture shown now (a PCA until the UMAP is fitted).
    reference, model_space : PictureSource
        Where the reference and the model-space pictures come from, and their fits.
    inspected : int or None
        The pool index shown in the inspector.
    last_draw : str
        How the last redraw reached the round view: "animated", "updated" or "replaced".
    """

    def __init__(
        self,
        session: Session,
        coords: Any = None,
        color_by: str = "class",
        overlay: bool = True,
        width: int = 600,
        height: int = 520,
        view: str = "reference",
    ) -> None:
        from .. import projection

        if not isinstance(session, Session):
            raise TypeError(f"session must be an alviz.Session, got {type(session).__name__}")
        if view not in ("reference", "model"):
            raise ValueError(f"view={view!r}; choose 'reference' (the fixed picture) or 'model' (the model's space)")
        super().__init__()
        self.session = session
        self._lock = threading.RLock()
        self._last_xy: np.ndarray | None = None
        self.last_draw = ""
        self._setup_reference(session.dataset, session.seed, coords, session.n_pool)
        fit_reference = self.reference.state == "idle"
        if fit_reference:
            self.projection_state = "fitting"
        seed = session.seed
        self.model_space = PictureSource(
            lambda: list(projection.aligned(session, seed=seed)), self._on_model_fitted, name="the model-space picture"
        )
        self._size = (int(width), int(height))
        self.inspected: int | None = None
        self._setup_controls()
        self._setup_pick_and_play()
        self.space = W.ToggleButtons(
            options=[("reference", "reference"), ("model space", "model")],
            value=view,
            description="view",
            tooltips=[
                "the fixed reference picture: the pool never moves",
                "the task model's own features, one aligned picture per round",
            ],
            style=dict(button_width="120px", description_width="40px"),
        )
        self.space.add_class("alviz-space")
        self.view = view
        self.hover_box = W.HTML(
            '<div class="alviz-hover">hover a point to see it</div>', layout=W.Layout(height="92px", overflow="hidden")
        )  # a fixed height: no jump on hover
        self.hover_box.add_class("alviz-hover-box")
        self.color_by = W.Dropdown(
            options=[color_by], value=color_by, description="color by", layout=W.Layout(width="260px")
        )
        self.color_by.add_class("alviz-color-by")
        self.overlay = W.Checkbox(
            value=bool(overlay), description="overlay", indent=False, layout=W.Layout(width="90px")
        )
        self.overlay.add_class("alviz-overlay")
        self.figure = canvas("alviz-round-figure", *self._size)
        self.curve = canvas("alviz-learning-curve", 400, 260)
        self.inspector = canvas("alviz-inspector-figure", 400, 320)
        self.inspector.show(with_size(plot.sample_placeholder(), 400))
        self.figure.on_click(self._on_point_click)
        self.figure.on_hover(self._on_point_hover)
        self.figure.on_select(self._on_point_select)
        self.inspector_text = W.HTML('<div class="alviz-inspector"></div>')  # the panel below says what to do
        self.inspector_text.add_class("alviz-inspector-box")
        self.color_by.observe(self._on_view_change, names="value")
        self.overlay.observe(self._on_view_change, names="value")
        self.labeling = W.VBox()  # holds the labeling panel while a Human oracle's proposal waits
        self.labeling.add_class("alviz-labeling-box")
        self.labeling_panel: LabelingPanel | None = None
        self.space.observe(self._on_space_change, names="value")
        self.children = [
            W.HBox(
                [self.next_button, self.play_button, self.progress, self.slider, self.color_by, self.overlay],
                layout=W.Layout(flex_flow="row wrap"),
            ),
            W.HBox([self.pick_mode, self.query_button]),
            W.HBox([self.space, self.hover_box]),
            self.status,
            self.error,
            self.labeling,
            W.HBox(
                [
                    self.figure,
                    W.VBox([self.curve, self.inspector_text, self.inspector], layout=W.Layout(width="410px")),
                ],
                layout=W.Layout(flex_flow="row wrap"),
            ),
        ]
        self.add_class("alviz-round-explorer")
        self._after_round()
        self._set_state("idle")
        if fit_reference:
            self.reference.request(0)

    # --------------------------------------------------------------- public
    def inspect(self, i: int) -> None:
        """Show pool sample ``i`` in the inspector (what a click on its point does).

        Parameters
        ----------
        i : int
            A pool index.
        """
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.session.n_pool:
            raise ValueError(f"sample index {i!r} must be an int in [0, {self.session.n_pool})")
        self.inspected = int(i)
        self._draw_inspector()

    def preview(self, i: int) -> None:
        """Show pool sample ``i`` in the hover box: its image (image data) and its class (what hovering does).

        Parameters
        ----------
        i : int
            A pool index.
        """
        ds = self.session.dataset
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.session.n_pool:
            raise ValueError(f"sample index {i!r} must be an int in [0, {self.session.n_pool})")
        i = int(i)
        img = plot.sample_image(ds, i)
        pic = ""
        if img is not None:
            b64 = base64.b64encode(png_bytes(img, min_width=64)).decode()
            pic = (
                f'<img src="data:image/png;base64,{b64}" alt="sample {i}" '
                'style="height:80px;image-rendering:pixelated;border:1px solid #ddd;margin-right:8px">'
            )
        label = html.escape(f"#{i} · class {ds.class_names[ds.y[i]]}")
        self.hover_box.value = (
            f'<div class="alviz-hover" data-index="{i}" style="display:flex;align-items:center">'
            f"{pic}<span>{label}</span></div>"
        )

    @property
    def round(self) -> Any:
        """The Round shown, or None before the first round."""
        return self.session.rounds[self.slider.value] if self.session.rounds else None

    # --------------------------------------------------------------- wiring
    def _n_rounds(self) -> int:
        return len(self.session.rounds)

    def _n_pool(self) -> int:
        return self.session.n_pool

    def _exhausted(self) -> bool:
        return self.session.n_unlabeled == 0

    def _picture_sources(self) -> list[PictureSource]:
        return [self.reference, self.model_space]

    def _static_canvases(self) -> list[Canvas]:
        return [self.figure, self.curve]

    def _step(self) -> None:
        if self._take_step():  # pick mode: the strategy's proposal, or a round on your picks
            return
        if self.session.oracle.interactive:  # a person labels: propose here, the labeling panel commits
            self.session.propose()
            return
        self.session.step()

    def _on_space_change(self, change: Any) -> None:
        self.view = self.space.value
        self._on_view_change(change)

    def _show_pending(self) -> bool:
        """While a proposal waits for a person's labels: draw its picks and show the labeling panel."""
        pending = self.session.pending
        if pending is None or not self.session.oracle.interactive:
            self.labeling.children, self.labeling_panel = (), None
            self.pending_picks = []
            return False
        if self.labeling_panel is None or self.labeling_panel.round is not pending:
            self.labeling_panel = LabelingPanel(
                self.session,
                self.coords,
                on_submit=lambda _rnd: self.runner.guarded(
                    self._after_round, "The labels were committed, but redrawing failed"
                ),
            )
            self.labeling.children = (self.labeling_panel,)
        self.pending_picks = [int(i) for i in pending.selected]
        self._sync_color_options(pending)
        self._place(self.coords, pending)
        fig = pending_figure(self.session, self.coords, color_by=self.color_by.value, overlay=self.overlay.value)
        self.last_draw = self.figure.show(with_size(fig, *self._size))
        self._last_xy = None
        self._update_status()
        return True

    def _on_model_fitted(self, source: PictureSource) -> None:
        """Called on the fitting thread: keep the new pictures and redraw (or show why the fit failed)."""
        with self._lock:
            self.model_space_state = source.state
            if source.state == "failed":
                self.error.value = error_html(
                    "Fitting the model-space picture failed", source.error or RuntimeError("unknown")
                )
                self._update_status()
                return
            if self.space.value == "model":
                self.runner.guarded(self._redraw_now, "Drawing the model-space picture failed")
            else:
                self._update_status()

    @property
    def _model_views(self) -> list:
        """The model-space pictures fitted so far, one per round."""
        return list(self.model_space.value or [])

    def _shown_coords(self, rnd: Any) -> np.ndarray:
        """The picture of round ``rnd`` in the chosen view.

        In model space a round whose aligned picture is not fitted yet is drawn at once on the
        last model-space picture there is (the previous round's), while the new one is fitted on a
        background thread; when it is done the points glide to their new places.
        """
        if self.space.value == "reference":
            return self.coords
        views = self._model_views
        if rnd.index < len(views):
            return views[rnd.index]
        self.model_space.request(len(self.session.rounds))
        self.model_space_state = self.model_space.state
        return views[-1] if views else self.coords

    def _place(self, coords: Any, rnd: Any) -> None:
        """Place what the round's overlays draw (x + r, ALFA-Mix's anchors) in the reference picture
        (:meth:`alviz.Session.place_inputs`, kept in the Round), so that its arrows are drawn."""
        if getattr(coords, "kind", None) in ("pca", "aligned"):
            return  # the provisional PCA and model space place no inputs: the overlay says so
        try:
            self.session.place_inputs(coords, rounds=[rnd])
        except ValueError:
            pass  # not a picture of the inputs: the overlay's note says so

    def _redraw(self) -> None:
        with self._lock:
            self._redraw_now()

    def _redraw_now(self) -> None:
        self._sync_round_index()
        if self._show_pending():
            return
        rnd = self.round
        if rnd is None:
            self.figure.show(_placeholder("no round yet: press “Next round”", *self._size))
            self._update_status()
            return
        self._sync_color_options(rnd)
        coords = self._shown_coords(rnd)
        if self.space.value == "reference":
            self._place(coords, rnd)
        fig = plot.round(self.session, coords, r=rnd.index, color_by=self.color_by.value, overlay=self.overlay.value)
        fig = with_size(fig, *self._size)
        if self.pick_mode.value:
            fig.add_traces(self._pick_traces(coords))
            title = fig.layout.title.text or ""
            fig.update_layout(dragmode="select", title=dict(text=title + self._pick_title()))
        xy = np.asarray(coords, dtype=np.float64)
        glide = self._last_xy is not None and self._last_xy.shape == xy.shape and not np.array_equal(self._last_xy, xy)
        self.last_draw = self.figure.show(fig, glide_from=self._last_xy if glide else None)
        self._last_xy = xy
        curve = plot.learning_curves({self.session.strategy.name: self.session})
        curve.add_vline(x=rnd.metrics["n_labeled"], line_dash="dot", line_color="grey")
        curve.update_layout(title=dict(text="learning curve (dotted: this round)", font=dict(size=14)))
        self.curve.show(with_size(curve, 400, 260))
        if self.inspected is not None:
            self._draw_inspector()
        self._update_status()

    def _sync_color_options(self, rnd: Any) -> None:
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

    def _pool_index(self, trace: int, points: list[int], names: tuple = ()) -> int | None:
        """The pool index of the first of ``points`` in trace ``trace`` of the round view (its customdata)."""
        data = self.figure._figure.get("data", [])
        if not points or not 0 <= trace < len(data):
            return None
        t = data[trace]
        if names and t.get("name") not in names:
            return None
        cd = t.get("customdata")
        if cd is None or not 0 <= points[0] < len(cd):
            return None
        try:
            return int(np.ravel(np.asarray(cd[points[0]]))[0])
        except (TypeError, ValueError):
            return None

    def _on_point_hover(self, trace: int, points: list[int]) -> None:
        i = self._pool_index(trace, points, POINT_TRACES)
        if i is not None:
            self.runner.guarded(lambda: self.preview(i), "Showing this point failed")

    def _on_point_click(self, trace: int, points: list[int]) -> None:
        i = self._pool_index(trace, points)
        if i is not None and 0 <= i < self.session.n_pool:
            if self.pick_mode.value and not self.session.labeled_mask[i]:
                self.runner.guarded(lambda: self.toggle_pick(i), "Picking this point failed")
                return
            self.runner.guarded(lambda: self.inspect(i), "Inspecting this point failed")

    def _draw_inspector(self) -> None:
        i = self.inspected
        if i is None:
            return
        rnd = self.round
        ds = self.session.dataset
        if rnd is None:
            fig = plot.sample(ds, i)
            text = f"sample #{i} · true label {ds.class_names[ds.y[i]]}"
            self.inspector.show(with_size(fig, 400))
            self.inspector_text.value = status_html(text, "alviz-inspector", index=i, true=int(ds.y[i]))
            return
        proba = None if rnd.proba is None else rnd.proba[i]
        score = float(rnd.scores[i])
        pick = int(rnd.rank()[i])
        fig = plot.sample(ds, i, proba=proba, score=score, rank=pick)
        self.inspector.show(with_size(fig, 400))
        parts = [f"sample #{i}", f"true label {ds.class_names[ds.y[i]]}"]
        pred = -1
        if proba is not None:
            pred = int(np.argmax(proba))
            parts.append(f"predicted {ds.class_names[pred]} (p={proba[pred]:.2f})")
        if np.isnan(score):
            parts.append(
                "labeled before this round: not a candidate"
                if i in set(rnd.labeled.tolist())
                else "not scored this round"
            )
        else:
            valid = rnd.scores[~np.isnan(rnd.scores)]
            score_rank = int(np.sum(valid > score)) + 1
            parts.append(f"score {score:.4g} (rank {score_rank} of {valid.size} scored)")
        parts.append(f"picked #{pick + 1} this round" if pick >= 0 else "not picked")
        self.inspector_text.value = status_html(
            " · ".join(parts),
            "alviz-inspector",
            index=i,
            true=int(ds.y[i]),
            predicted=pred,
            score=score,
            pick_rank=pick,
            round=rnd.index,
        )

    def _update_status(self) -> None:
        self.model_space_state = self.model_space.state
        self.projection_state = self.reference.state if self.reference.state != "idle" else self.projection_state
        rnd = self.round
        n = self._n_rounds()
        waiting = self.session.pending
        if waiting is not None and self.session.oracle.interactive and self._state != "running":
            text = (
                f"{waiting.strategy} · round {waiting.index} proposed · {len(waiting.selected)} picks wait for "
                f"your labels · {len(waiting.labeled)} labeled"
            )
            self.status.value = status_html(
                text,
                state="labeling",
                round=waiting.index,
                rounds=n,
                selected=len(waiting.selected),
                labeled=len(waiting.labeled),
                strategy=waiting.strategy,
            )
            return
        if rnd is None:
            text = (
                self._projection_note()
                + f"{self.session.strategy.name} · no round yet · {self.session.n_labeled} labeled"
            )
            self.status.value = status_html(
                text,
                state=self._state,
                round=-1,
                rounds=0,
                selected=0,
                labeled=self.session.n_labeled,
                strategy=self.session.strategy.name,
                view=self.space.value,
                projection=self.projection_state,
            )
            return
        acc = rnd.metrics.get("accuracy", float("nan"))
        text = (
            f"{rnd.strategy} · round {rnd.index} ({n} run) · {len(rnd.selected)} selected · "
            f"{len(rnd.labeled)} labeled before · test accuracy {acc:.3f}"
        )
        if self._state == "running":
            text = self._running_prefix(n) + text
        text = self._projection_note() + text
        self.status.value = status_html(
            text,
            state=self._state,
            round=rnd.index,
            rounds=n,
            selected=len(rnd.selected),
            labeled=len(rnd.labeled),
            strategy=rnd.strategy,
            accuracy=f"{acc:.4f}",
            view=self.space.value,
            projection=self.projection_state,
            model_space=self.model_space_state,
            chosen_by=rnd.chosen_by,
            playing=str(self.playing).lower(),
            picks=len(self.my_picks),
        )

    def _projection_note(self) -> str:
        if self.projection_state == "fitting":
            return "fitting the UMAP picture in the background; showing a PCA of the inputs for now · "
        if self.projection_state == "failed":
            return "the UMAP fit failed (see the error); showing a PCA of the inputs · "
        if self.space.value != "model":
            return ""
        rnd = self.round
        views = self._model_views
        if rnd is not None and rnd.index >= len(views):
            if self.model_space_state == "failed":
                return "model space · its fit failed (see the error); showing the last picture there is · "
            shown = f"round {len(views) - 1}'s" if views else "the reference"
            return f"model space · fitting round {rnd.index}'s picture in the background; showing {shown} for now · "
        return "model space · "
