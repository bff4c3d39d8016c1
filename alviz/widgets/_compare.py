"""CompareExplorer: several strategies stepped in lock-step from the same start, one panel each."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as W

from .. import plot
from ..plot import as_session_dict
from ..comparison import Comparison
from ._base import Explorer, _placeholder, canvas, with_size
from ._canvas import Canvas
from ._tools import status_html

__all__ = ["CompareExplorer"]


class CompareExplorer(Explorer):
    """Several strategies stepped in lock-step from the same start, one panel each.

    "Next round" advances every session by one round (a session that fell
    behind after an error is caught up first). Shows
    :func:`alviz.plot.compare_round` (one panel per strategy, same
    coordinates), :func:`alviz.plot.overlap_matrix` and
    :func:`alviz.plot.learning_curves`; the round slider goes back over
    rounds all sessions have run. Without ``coords`` the panels open at once
    on a PCA of the inputs (or the cached UMAP) and the UMAP is fitted in the
    background, as in :class:`RoundExplorer`.

    Parameters
    ----------
    sessions : dict name -> Session (as ``alviz.compare`` returns) or a list of Sessions
        They must share the dataset and the initial labeled set.
    coords : (n_pool, 2) array, optional
        The picture (default ``alviz.projection.reference``, fitted in the background).
    width : int
        Width of the panels figure (its height grows with the number of strategies).

    Attributes
    ----------
    figure, overlap, curve : Canvas
        The panels, the overlap matrix and the learning curves.
    reference : PictureSource
        Where the picture comes from, and its fit.
    """

    _step_failed = (
        "A session's round failed (that session is unchanged); "
        "the others keep their round, and Next round catches the failed one up"
    )

    def __init__(self, sessions: Any, coords: Any = None, width: int = 940) -> None:
        super().__init__()
        self.sessions = self._check_sessions(sessions)
        first = next(iter(self.sessions.values()))
        self._lock = threading.RLock()
        self._setup_reference(first.dataset, first.seed, coords, first.n_pool)
        fit_reference = self.reference.state == "idle"
        if fit_reference:
            self.projection_state = "fitting"
        self._size = (int(width), 360)
        self._setup_controls()
        self.figure = canvas("alviz-compare-figure", *self._size)
        self.overlap = canvas("alviz-overlap-figure", 420, 360)
        self.curve = canvas("alviz-learning-curve", 520, 360)
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
        if fit_reference:
            self.reference.request(0)

    @staticmethod
    def _check_sessions(sessions: Any) -> Comparison:
        try:
            out = as_session_dict(sessions)
        except ValueError as exc:
            raise ValueError("give at least one session to compare (e.g. alviz.compare(ds, [...], rounds=0))") from exc
        out.check(same_start=True)
        return out

    # --------------------------------------------------------------- wiring
    def _n_rounds(self) -> int:
        return min(len(s.rounds) for s in self.sessions.values())

    def _n_pool(self) -> int:
        return next(iter(self.sessions.values())).n_pool

    def _exhausted(self) -> bool:
        return any(s.n_unlabeled == 0 for s in self.sessions.values())

    def _static_canvases(self) -> list[Canvas]:
        return [self.figure, self.curve]

    def _step(self) -> None:
        self.sessions.step()

    def _redraw(self) -> None:
        with self._lock:
            self._sync_round_index()
            if self._n_rounds() == 0:
                self.figure.show(_placeholder("no round yet: press “Next round”", *self._size))
                self._update_status()
                return
            r = self.slider.value
            self.figure.show(with_size(plot.compare_round(self.sessions, self.coords, r), self._size[0]))
            self.overlap.show(with_size(plot.overlap_matrix(self.sessions, r=r), 420, 360))
            curve = plot.learning_curves(self.sessions)
            n_lab = next(iter(self.sessions.values())).rounds[r].metrics["n_labeled"]
            curve.add_vline(x=n_lab, line_dash="dot", line_color="grey")
            self.curve.show(with_size(curve, 520, 360))
            self._update_status()

    def _update_status(self) -> None:
        if self.reference.state != "idle":
            self.projection_state = self.reference.state
        n = self._n_rounds()
        names = ",".join(self.sessions)
        note = {
            "fitting": "fitting the UMAP picture in the background; showing a PCA of the inputs for now · ",
            "failed": "the UMAP fit failed (see the error); showing a PCA of the inputs · ",
        }.get(self.projection_state, "")
        if n == 0:
            text = note + f"{len(self.sessions)} strategies · no round yet"
            self.status.value = status_html(
                text,
                state=self._state,
                round=-1,
                rounds=0,
                selected=0,
                strategies=names,
                projection=self.projection_state,
            )
            return
        r = self.slider.value
        rounds = [s.rounds[r] for s in self.sessions.values()]
        accs = " · ".join(f"{k} {rd.metrics.get('accuracy', float('nan')):.3f}" for k, rd in zip(self.sessions, rounds))
        text = f"round {r} ({n} run) · {len(rounds[0].labeled)} labeled before · accuracy: {accs}"
        if self._state == "running":
            text = self._running_prefix(n) + text
        self.status.value = status_html(
            note + text,
            state=self._state,
            round=r,
            rounds=n,
            selected=",".join(str(len(rd.selected)) for rd in rounds),
            labeled=len(rounds[0].labeled),
            strategies=names,
            projection=self.projection_state,
        )
