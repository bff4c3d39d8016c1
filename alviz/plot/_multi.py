"""Figures of many rounds or many strategies: side-by-side comparison and the round slider."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._round import _merge, _notes_annotations, axis_ranges, is_input_space, is_legend_entry, round_layers
from ._summary import as_session_dict
from ._view import get_round

if TYPE_CHECKING:
    from ..projection import Projection
    from ..session import Session

__all__ = ["compare_round", "round_slider"]


def _coords_for(coords, name: str):
    if isinstance(coords, dict):
        if name not in coords:
            raise ValueError(f"coords has no entry for {name!r}; give one array for all, or one per strategy")
        return coords[name]
    return coords


def _hide_scale(trace) -> None:
    if isinstance(trace, (go.Heatmap, go.Contour)):  # a field is a Contour
        trace.showscale = False
    elif getattr(trace, "marker", None) is not None and trace.marker.showscale:
        trace.marker.showscale = False


def compare_round(
    sessions: Any,
    coords: np.ndarray | Projection,
    r: int = -1,
    color_by: str = "class",
    overlay: bool = False,
    max_points: Optional[int] = 20000,
    webgl: Optional[bool] = None,
    cols: int = 3,
) -> go.Figure:
    """Several strategies on the same round and the same coordinates, one panel each.

    Parameters
    ----------
    sessions : dict name -> Session (e.g. from ``alviz.compare``), a list, or one Session.
    coords : (n_pool, 2) array shared by all panels, or a dict name -> array.
    r : int, the round to show in every session (negative counts from each one's end).
    overlay : bool, also draw each strategy's overlays (side panels such as the covering radius are left out).

    Every trace carries ``meta={"strategy": name}``; names are the round view's ("selected", ...),
    shown once in the legend.
    """
    sess = as_session_dict(sessions)
    names = list(sess)
    sess.check()  # one pool: the same coordinates mean the same samples
    ncols = max(1, min(int(cols), len(names)))
    nrows = math.ceil(len(names) / ncols)
    rounds = {name: get_round(s, r) for name, s in sess.items()}
    titles = []
    same_round = len({rnd.index for rnd in rounds.values()}) == 1
    for name, rnd in rounds.items():
        acc = rnd.metrics.get("accuracy", float("nan"))
        titles.append(
            f"{name}" + ("" if same_round else f" · round {rnd.index}") + (f" · {acc:.1%}" if np.isfinite(acc) else "")
        )
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=titles,
        horizontal_spacing=0.02,
        vertical_spacing=0.08 if nrows > 1 else 0.0,
    )
    for k, (name, s) in enumerate(sess.items()):
        layers = round_layers(
            s.dataset,
            rounds[name],
            _coords_for(coords, name),
            color_by=color_by,
            overlay=overlay,
            max_points=max_points,
            webgl=webgl,
            allow_inset=False,
        )
        row, col = k // ncols + 1, k % ncols + 1
        for tr in layers.traces:
            if not is_legend_entry(tr):
                tr.legendgroup = tr.name
            tr.showlegend = k == 0 and tr.showlegend is not False
            tr.meta = {**(tr.meta if isinstance(tr.meta, dict) else {}), "strategy": name}
            if k > 0:
                _hide_scale(tr)
            fig.add_trace(tr, row=row, col=col)
        if k == 0 and "legend" in layers.layout:
            fig.update_layout(legend=layers.layout["legend"])
        # every panel hugs its own data; equal aspect only where the picture is the 2-D input itself
        c = _coords_for(coords, name)
        xr, yr = axis_ranges(c)
        suffix = "" if k == 0 else str(k + 1)
        fig.layout[f"xaxis{suffix}"].range = xr
        fig.layout[f"yaxis{suffix}"].range = yr
        if is_input_space(s.dataset, c):
            fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
            fig.layout[f"yaxis{suffix}"].constrain = "domain"
            fig.layout[f"xaxis{suffix}"].constrain = "domain"
    fig.update_xaxes(
        showticklabels=False, showgrid=False, zeroline=False, showline=True, linecolor="#e3e3e3", mirror=True
    )
    fig.update_yaxes(
        showticklabels=False, showgrid=False, zeroline=False, showline=True, linecolor="#e3e3e3", mirror=True
    )
    first = rounds[names[0]]
    head = f"Round {first.index}" if same_round else "The last rounds"
    fig.update_layout(
        title=dict(text=f"{head}: the same pool, {len(names)} strategies"),
        plot_bgcolor="white",
        hovermode="closest",
        height=320 * nrows + 70,
        margin=dict(l=10, r=120, t=70, b=10),
        uirevision="alviz-compare",
    )
    return fig


def round_slider(
    session: Session,
    coords: np.ndarray | Projection,
    color_by: str = "class",
    overlay: bool = True,
    max_points: Optional[int] = 20000,
    webgl: Optional[bool] = None,
    active: int = 0,
) -> go.Figure:
    """Every round of a session in one figure, with a slider that shows one round at a time.

    The slider toggles trace visibility (no animation frames), so it works in a
    static HTML page with no kernel. ``coords`` is one (n_pool, 2) array or a
    list with one per round (e.g. ``alviz.projection.aligned(session)``).
    Each trace has ``meta={"round": r}``; the slider has one step per round.
    """
    rounds = session.rounds
    if not rounds:
        raise ValueError("the session has no rounds yet; run session.step() first")
    if isinstance(coords, (list, tuple)) and len(coords) != len(rounds):
        raise ValueError(f"coords is a list of {len(coords)} pictures for {len(rounds)} rounds; give one per round")
    active = get_round(session, active).index
    traces, owner, layout, titles, notes = [], [], {}, [], []
    for rnd in rounds:
        c = coords[rnd.index] if isinstance(coords, (list, tuple)) else coords
        layers = round_layers(
            session.dataset, rnd, c, color_by=color_by, overlay=overlay, max_points=max_points, webgl=webgl
        )
        for tr in layers.traces:
            tr.meta = {**(tr.meta if isinstance(tr.meta, dict) else {}), "round": rnd.index}
            tr.visible = rnd.index == active
            traces.append(tr)
            owner.append(rnd.index)
        layout = _merge(layout, layers.layout)
        titles.append(layers.title)
        notes.append(_notes_annotations(layers.notes))
    owner = np.asarray(owner)
    steps = [
        dict(
            label=str(rnd.index),
            method="update",
            args=[{"visible": (owner == rnd.index).tolist()}, {"title.text": titles[j], "annotations": notes[j]}],
        )
        for j, rnd in enumerate(rounds)
    ]
    fig = go.Figure(data=traces)
    layout.pop("width", None)
    layout.pop("height", None)
    fig.update_layout(**layout)
    every = np.concatenate(
        [np.asarray(coords[r.index] if isinstance(coords, (list, tuple)) else coords) for r in rounds]
    )
    xr, yr = axis_ranges(every)  # one frame for all rounds: a point that moves, moves on screen
    fig.update_xaxes(range=xr)
    fig.update_yaxes(range=yr)
    fig.update_layout(
        title=dict(text=titles[active]),
        annotations=notes[active],
        sliders=[dict(active=active, currentvalue=dict(prefix="round "), pad=dict(t=30), steps=steps, name="round")],
        margin=dict(l=20, r=130, t=90, b=90),
        height=600,
    )
    return fig
