"""The playground: label points on the plane by hand and watch the model and the strategy answer at once.

>>> toy = alviz.datasets.make_toy("moons", n=300, seed=0)
>>> pg = alviz.widgets.Playground(toy, strategy="margin", initial=4, seed=0)    # doctest: +SKIP
>>> pg.label(17)          # what a click on pool point 17 does                   # doctest: +SKIP

A click on a pool point labels it (the dataset's label: the point's true class).
The session's model refits **warm** (``Session(..., warm_start=True)``: from the
last weights, a tenth of the steps), and the decision regions, the boundary and
the strategy's field are patched in place on the canvas (only their ``z`` and the
moved points travel), with the strategy's next pick ringed. Beside it a race:
your learning curve and the strategy's own, run alone from the same start, after
the same number of labels. "Strategy's turn" lets the strategy choose the next
label of your run; Play lets it choose one after another until paused.
"""

from __future__ import annotations

import threading
import time
import types
from typing import Any, Dict, List, Optional

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ._tools import RoundRunner, status_html
from .._validation import check_bool
from ..datasets import Dataset
from ..models import default_model
from ..session import Round, Session
from ._canvas import Canvas
from ._play import Player

__all__ = ["Playground"]

#: the playground figure's traces, bottom to top (the field traces come first when the strategy has a field)
FIELD_TRACES = ("decision regions", "field", "decision boundary")
POINT_TRACES = ("unlabeled", "labeled", "next pick")


def _current(session: Session) -> Optional[Round]:
    """The round that describes the session now: its waiting proposal, else its last round."""
    if session.pending is not None:
        return session.pending
    return session.rounds[-1] if session.rounds else None


def _curve(session: Session) -> tuple:
    """(n_labeled, accuracy) after each label: every round, and the waiting proposal (the model of now)."""
    rounds = list(session.rounds) + ([session.pending] if session.pending is not None else [])
    n = np.array([r.metrics["n_labeled"] for r in rounds], dtype=np.float64)
    acc = np.array([r.metrics["accuracy"] for r in rounds], dtype=np.float64)
    return n, acc


class Playground(W.VBox):
    """Label 2-D points by hand and race a strategy; the model, its boundary and the strategy's field answer at once.

    Parameters
    ----------
    dataset : alviz.datasets.Dataset
        2-D data (``dataset.is_2d``), e.g. ``make_toy("moons")``, ``"xor"`` or ``"spiral"``.
    strategy : str or Strategy
        The strategy whose field is drawn, whose next pick is ringed, and which you race.
    model : None or an alviz torch model
        None: the Session's default for the data. It must allow a warm start (an alviz torch model).
    initial : int or sequence of int
        The labeled start, shared by you and the strategy (as in :class:`alviz.Session`).
    seed : int
        The seed of both runs.
    resolution : int
        Grid points per axis of the field (more: a finer picture, a slower answer).
    width : int
        The plane's width in pixels (its height follows the data's aspect).
    interval : float
        Seconds between the strategy's turns while playing.
    alternate : bool
        Turns alternate: after each of your labels the strategy takes one (the "alternate turns" checkbox,
        CSS class ``alviz-alternate``).

    Attributes
    ----------
    session : alviz.Session
        Your run: every label you give (``chosen_by="you"``) and every strategy's turn.
    race : alviz.Session
        The strategy alone from the same start, one label per label of yours.
    canvas, race_canvas : alviz.widgets.Canvas
        The plane and the race panel.
    strategy_button, play_button, status, error : ipywidgets
        The controls (CSS classes ``alviz-strategy-turn``, ``alviz-play``, ``alviz-playground-status``,
        ``alviz-error``).
    last_timing : dict
        Seconds of the last label: ``round`` (the warm refit, the strategy and the field), ``draw`` (figure
        patch), ``answer`` (label to patched field), ``race`` (the strategy's run catching up).
    """

    def __init__(
        self,
        dataset: Dataset,
        strategy: Any = "margin",
        model: Any = None,
        initial: Any = 4,
        seed: int = 0,
        resolution: int = 60,
        width: int = 500,
        interval: float = 0.4,
        alternate: bool = False,
    ) -> None:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"dataset must be an alviz.datasets.Dataset, got {type(dataset).__name__}")
        if not dataset.is_2d:
            raise ValueError(
                f"the playground draws the input plane, so it needs 2-D data; {dataset.name!r} has inputs of "
                f"shape {dataset.input_shape}: use alviz.datasets.make_toy(...) or a RoundExplorer"
            )
        super().__init__()
        if model is None:
            model = default_model(dataset, random_state=int(seed))
        params: Dict[str, Any] = dict(
            model=model, budget=1, seed=seed, record_embeddings=False, field_resolution=resolution, warm_start=True
        )
        self.session = Session(dataset, strategy, initial=initial, **params)
        from sklearn.base import clone

        self.race = Session(dataset, clone(self.session.strategy), initial=self.session.initial_indices, **params)
        self._lock = threading.RLock()
        self._width = int(width)
        self.last_timing: Dict[str, float] = {}
        self._index: Dict[str, int] = {}
        self._begin()
        self.canvas = Canvas(self._figure(), config={"displayModeBar": False})
        self.canvas.add_class("alviz-playground-figure")
        self.canvas.on_click(self._on_click)
        self.race_canvas = Canvas(self._race_figure(), config={"displayModeBar": False})
        self.race_canvas.add_class("alviz-race-figure")
        self.strategy_button = W.Button(
            description="strategy's turn", icon="magic", tooltip="Let the strategy choose the next label of your run"
        )
        self.strategy_button.add_class("alviz-strategy-turn")
        self.play_button = W.Button(button_style="primary")
        self.alternate = W.Checkbox(
            value=check_bool(alternate, "alternate"),
            description="alternate turns",
            indent=False,
            layout=W.Layout(width="130px"),
            tooltip="After each of your labels the strategy takes one",
        )
        self.alternate.add_class("alviz-alternate")
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="120px"))
        self.status = W.HTML()
        self.status.add_class("alviz-playground-status")
        self.error = W.HTML()
        self.error.add_class("alviz-error")
        # every turn, a click's or the strategy's, goes through one runner: one at a time, in order
        self._next: List[Optional[int]] = []
        self.runner = RoundRunner(
            self._turn,
            lambda: None,
            self.strategy_button,
            self.progress,
            self.error,
            on_state=lambda _s: None,
            step_failed="This label failed; the session is unchanged",
        )
        self.strategy_button.on_click(lambda _b: self.strategy_turn())
        self.player = Player(
            self._play_turn, self.play_button, self.error, interval=interval, on_change=lambda _p: self._update_status()
        )
        self.children = [
            W.HBox([self.strategy_button, self.play_button, self.alternate, self.progress]),
            self.status,
            self.error,
            W.HBox([self.canvas, self.race_canvas], layout=W.Layout(flex_flow="row wrap")),
        ]
        self.add_class("alviz-playground")
        self._update_status()

    # --------------------------------------------------------------- public
    def label(self, i: int) -> Round:
        """Label pool point ``i`` (what a click on it does): refit warm, redraw, let the race catch up.

        Parameters
        ----------
        i : int
            An unlabeled pool index.

        Returns
        -------
        Round
            Your round that queried ``i`` (``chosen_by="you"``); with ``alternate`` on, the strategy's
            turn follows.

        Raises
        ------
        ValueError
            ``i`` is labeled or not a pool index (nothing changes).
        """
        self.session._check_picks([i])  # refused before any work, with the session's own words
        with self._lock:
            rnd = self._advance(int(i))
            if self.alternate.value and self.session.n_unlabeled:
                self._advance(None)  # the strategy's turn
            return rnd

    def strategy_turn(self) -> Round:
        """Let the strategy choose the next label of your run (the "strategy's turn" button).

        Returns
        -------
        Round
            The round (``chosen_by="strategy"``).
        """
        with self._lock:
            return self._advance(None)

    def play(self) -> None:
        """Let the strategy take turn after turn on a background thread, until :meth:`pause` or the pool runs out."""
        self.player.play()

    def pause(self) -> None:
        """Stop playing after the turn that is running."""
        self.player.pause()

    @property
    def playing(self) -> bool:
        """True while the strategy plays."""
        return self.player.playing

    @property
    def last_error(self) -> Optional[BaseException]:
        """The error of the last failed turn or play (also shown in the widget), or None."""
        return self.player.last_error or self.runner.last_error

    def curves(self) -> Dict[str, tuple]:
        """The race: ``{"you": (n_labeled, accuracy), strategy_name: (n_labeled, accuracy)}``.

        Returns
        -------
        dict
            One (n_labeled, test accuracy) pair of arrays per run, one entry per number of labels.
        """
        return {"you": _curve(self.session), self._race_name(): _curve(self.race)}

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus a static picture of the plane and the race for front ends without widgets."""
        from ._static import static_bundle

        out = super()._repr_mimebundle_(**kwargs)
        data, meta = out if isinstance(out, tuple) else (out, {})
        data = dict(data or {})
        data.update(static_bundle([self.canvas.figure_dict(), self.race_canvas.figure_dict()]))
        return data, dict(meta or {})

    # --------------------------------------------------------------- the turns
    def _begin(self) -> None:
        for s in (self.session, self.race):
            if s.n_unlabeled:
                s.propose()  # the model of the start, its field and the strategy's first pick

    def _turn(self) -> None:
        with self._lock:
            pick = self._next.pop(0) if self._next else None
            if pick is not None and self.session.labeled_mask[pick]:
                return  # clicked twice before the first click was answered
            self._advance(pick)
            if pick is not None and self.alternate.value and self.session.n_unlabeled:
                self._advance(None)  # the strategy's turn

    def _advance(self, pick: Optional[int]) -> Round:
        """One label of your run (``pick`` or the strategy's), the figure patched, then the race's label."""
        if self.session.n_unlabeled == 0:
            raise ValueError("the pool is exhausted: every point is labeled")
        t0 = time.perf_counter()
        rnd = self.session.step(picks=None if pick is None else [pick])
        if self.session.n_unlabeled:
            self.session.propose()
        t1 = time.perf_counter()
        self._draw()
        t2 = time.perf_counter()
        while self.race.n_unlabeled and self.race.n_labeled < self.session.n_labeled:  # (behind after an error)
            self.race.step()
            if self.race.n_unlabeled:
                self.race.propose()
        self._draw_race()
        self._update_status()
        t3 = time.perf_counter()
        self.last_timing = {"round": t1 - t0, "draw": t2 - t1, "answer": t2 - t0, "race": t3 - t2}
        return rnd

    def _play_turn(self) -> bool:
        if self.session.n_unlabeled == 0:
            return False
        with self._lock:
            self._advance(None)
        return self.session.n_unlabeled > 0

    def _on_click(self, trace: int, points: List[int]) -> None:
        """A click in the page: an unlabeled point (or the ringed next pick) gets its label."""
        names = {v: k for k, v in self._index.items()}
        if names.get(trace) not in ("unlabeled", "next pick") or not points:
            return
        cd = self.canvas.figure_dict()["data"][trace].get("customdata")
        if cd is None or not 0 <= points[0] < len(cd):
            return
        i = int(np.ravel(np.asarray(cd)[points[0]])[0])
        if self.session.labeled_mask[i]:
            return
        self._next.append(i)
        self.runner.request(1)

    # --------------------------------------------------------------- drawing
    def _race_name(self) -> str:
        return f"{self.session.strategy.name} alone"

    def _field_parts(self, rnd: Optional[Round]) -> Dict[str, go.BaseTraceType]:
        from ..plot._fields import field_traces

        if rnd is None or rnd.field is None:
            return {}
        view: Any = types.SimpleNamespace(rnd=rnd, dataset=self.session.dataset)  # what field_traces reads
        traces = field_traces(view)
        out = {}
        for t in traces:
            name = "field" if t.name.startswith("field:") else t.name
            if name == "field":  # the same colours as a smoothed heatmap: redrawn in the page much faster
                t = go.Heatmap(
                    x=t.x,
                    y=t.y,
                    z=t.z,
                    zmin=t.zmin,
                    zmax=t.zmax,
                    colorscale=t.colorscale,
                    opacity=t.opacity,
                    zsmooth="best",
                    name=t.name,
                    showlegend=True,
                    legendrank=5,
                    customdata=t.customdata,
                    colorbar=t.colorbar.to_plotly_json(),
                )
            t.hoverinfo = "skip"  # a click on the plane goes to the nearest point, not to the grid
            t.hovertemplate = None
            out[name] = t
        return out

    def _point_arrays(self) -> Dict[str, Dict[str, Any]]:
        s, ds = self.session, self.session.dataset
        from ..plot._style import palette

        colors = np.asarray(palette(ds.n_classes), dtype=object)
        lab = s.labeled_indices
        unl = np.flatnonzero(~s.labeled_mask)
        cur = s.pending
        nxt = (
            np.zeros(0, dtype=np.int64)
            if cur is None or cur.strategy_picks is None
            else np.asarray(cur.strategy_picks, dtype=np.int64)
        )
        X = ds.X
        return {
            "unlabeled": {
                "x": X[unl, 0].astype(np.float64),
                "y": X[unl, 1].astype(np.float64),
                "customdata": unl.astype(np.int64),
            },
            "labeled": {
                "x": X[lab, 0].astype(np.float64),
                "y": X[lab, 1].astype(np.float64),
                "customdata": lab.astype(np.int64),
                "marker.color": colors[s.labels[lab]],
            },
            "next pick": {
                "x": X[nxt, 0].astype(np.float64),
                "y": X[nxt, 1].astype(np.float64),
                "customdata": nxt.astype(np.int64),
            },
        }

    def _title(self) -> str:
        s = self.session
        cur = _current(s)
        acc = float("nan") if cur is None else cur.metrics.get("accuracy", float("nan"))
        tail = f" · test accuracy {acc:.1%}" if np.isfinite(acc) else ""
        return f"you · {s.n_labeled} labels{tail} · click a point to label it"

    def _figure(self) -> go.Figure:
        cur = _current(self.session)
        ds = self.session.dataset
        fields = self._field_parts(cur)
        pts = self._point_arrays()
        traces: List[go.BaseTraceType] = [fields[k] for k in FIELD_TRACES if k in fields]
        traces.append(
            go.Scatter(
                x=pts["unlabeled"]["x"],
                y=pts["unlabeled"]["y"],
                customdata=pts["unlabeled"]["customdata"],
                mode="markers",
                name="unlabeled",
                marker=dict(color="rgba(90,90,90,0.55)", size=7, line=dict(width=0)),
                hovertemplate="#%{customdata} · click to label<extra></extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=pts["labeled"]["x"],
                y=pts["labeled"]["y"],
                customdata=pts["labeled"]["customdata"],
                mode="markers",
                name="labeled",
                marker=dict(color=list(pts["labeled"]["marker.color"]), size=11, line=dict(width=1.2, color="white")),
                hovertemplate="#%{customdata} · labeled<extra></extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=pts["next pick"]["x"],
                y=pts["next pick"]["y"],
                customdata=pts["next pick"]["customdata"],
                mode="markers",
                name=f"{self.session.strategy.name}'s next pick",
                marker=dict(symbol="circle-open", size=20, color="rgb(0,80,40)", line=dict(width=3)),
                hovertemplate="#%{customdata} · the strategy's next pick<extra></extra>",
            )
        )
        self._index = {name: k for k, name in enumerate([k for k in FIELD_TRACES if k in fields] + list(POINT_TRACES))}
        x0, x1 = float(ds.X[:, 0].min()), float(ds.X[:, 0].max())
        y0, y1 = float(ds.X[:, 1].min()), float(ds.X[:, 1].max())
        if cur is not None and cur.field is not None:
            x0, x1 = float(np.min(cur.field.x)), float(np.max(cur.field.x))
            y0, y1 = float(np.min(cur.field.y)), float(np.max(cur.field.y))
        margin = dict(l=10, r=95, t=40, b=10)  # the field's colorbar on the right
        plot_w = self._width - margin["l"] - margin["r"]
        height = int(np.clip(plot_w * (y1 - y0) / max(x1 - x0, 1e-9), 200, 700)) + margin["t"] + margin["b"] + 70
        for t in traces:
            if getattr(t, "colorbar", None) is not None and t.name.startswith("field"):
                t.colorbar.update(x=1.01, xanchor="left", len=0.85, thickness=12)
        fig = go.Figure(traces)
        fig.update_layout(
            width=self._width,
            height=height,
            title=dict(text=self._title(), font=dict(size=14)),
            margin=margin,
            clickmode="event",
            dragmode=False,
            hovermode="closest",
            xaxis=dict(range=[x0, x1], showgrid=False, zeroline=False, showticklabels=False),
            yaxis=dict(
                range=[y0, y1], showgrid=False, zeroline=False, showticklabels=False, scaleanchor="x", scaleratio=1
            ),
            legend=dict(orientation="h", y=-0.02, yanchor="top", x=0, font=dict(size=11)),
            plot_bgcolor="white",
            uirevision="playground",
        )
        return fig

    def _draw(self) -> None:
        """Patch the plane: the field traces' ``z`` and the points that changed; a new figure only if its traces did."""
        cur = _current(self.session)
        fields = self._field_parts(cur)
        names = [k for k in FIELD_TRACES if k in fields] + list(POINT_TRACES)
        if names != sorted(self._index, key=lambda k: self._index[k]):
            self.canvas.set_figure(self._figure())
            return
        patch: Dict[int, Dict[str, Any]] = {}
        for name, t in fields.items():
            props: Dict[str, Any] = {"z": np.asarray(t.z, dtype=np.float64)}
            if name == "field":
                props["customdata"] = np.asarray(t.customdata, dtype=np.float64)
                props["colorbar.tickvals"] = list(t.colorbar.tickvals)
                props["colorbar.ticktext"] = list(t.colorbar.ticktext)
            patch[self._index[name]] = props
        for name, props in self._point_arrays().items():
            props = dict(props)
            if "marker.color" in props:
                props["marker.color"] = list(props["marker.color"])
            patch[self._index[name]] = props
        self.canvas.patch(patch, layout={"title.text": self._title()})

    def _race_figure(self) -> go.Figure:
        curves = self.curves()
        fig = go.Figure()
        for (name, (n, acc)), color, dash in zip(
            curves.items(), ["rgb(213,94,0)", "rgb(0,114,178)"], ["solid", "dash"]
        ):
            fig.add_trace(
                go.Scatter(
                    x=n,
                    y=acc,
                    mode="lines+markers",
                    name=name,
                    line=dict(color=color, dash=dash, width=2.5),
                    marker=dict(size=6),
                )
            )
        fig.update_layout(
            width=360,
            height=300,
            margin=dict(l=50, r=10, t=40, b=40),
            title=dict(text="the race: test accuracy after as many labels", font=dict(size=13)),
            xaxis=dict(title="labels"),
            yaxis=dict(title="test accuracy", range=[0.3, 1.02]),
            legend=dict(orientation="h", y=-0.25, x=0),
            plot_bgcolor="white",
        )
        return fig

    def _draw_race(self) -> None:
        patch = {k: {"x": n, "y": acc} for k, (n, acc) in enumerate(self.curves().values())}
        self.race_canvas.patch(patch)

    def _update_status(self) -> None:
        you, them = self.curves().values()
        acc_you = float(you[1][-1]) if len(you[1]) else float("nan")
        acc_them = float(them[1][-1]) if len(them[1]) else float("nan")
        s = self.session
        mine = sum(r.chosen_by == "you" for r in s.rounds)
        text = (
            f"{s.n_labeled} labels ({mine} yours, {len(s.rounds) - mine} the strategy's) · "
            f"you {acc_you:.1%} · {self._race_name()} {acc_them:.1%}"
        )
        playing = hasattr(self, "player") and self.player.playing
        if playing:
            text = "playing · " + text
        if s.n_unlabeled == 0:
            text += " · pool exhausted"
        self.status.value = status_html(
            text,
            "alviz-playground-state",
            labeled=s.n_labeled,
            yours=mine,
            accuracy=f"{acc_you:.4f}",
            race_accuracy=f"{acc_them:.4f}",
            playing=str(playing).lower(),
            exhausted=str(s.n_unlabeled == 0).lower(),
        )
