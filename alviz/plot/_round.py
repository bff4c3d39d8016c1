"""The round view: the pool faint, the labeled set by class, this round's picks large and ranked."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import plotly.graph_objects as go

from ._fields import draws_field, field_traces
from ._overlays import build_overlays
from ._style import GREY, LABELED_NAN
from ._view import View, get_round, make_view

__all__ = ["Layers", "round_layers", "round_figure", "round_title", "base_layout"]


@dataclass
class Layers:
    """The traces of one round's picture, bottom to top, and the layout they need."""

    traces: list
    layout: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    title: str = ""


def _scatter(view: View, **kw):
    return go.Scattergl(**kw) if view.webgl else go.Scatter(**kw)


def _marker_for(view: View, idx, showscale: bool, fallback) -> dict:
    """Numeric colours (so a colorbar can show) when every value is there, CSS colours otherwise."""
    col = view.coloring
    if col.all_finite(idx):
        return col.marker(idx, showscale=showscale)
    css = col.css(idx)
    if fallback is not None:
        bad = ~np.isfinite(col.values[idx])
        css = [fallback if b else c for c, b in zip(css, bad)]
    return dict(color=css)


def base_traces(view: View) -> tuple:
    """(unlabeled, labeled, selected) traces; each carries pool indices in ``customdata``."""
    small = len(view.shown) <= 2000
    by_class = view.color_by == "class"
    scale_shown = False

    # unlabeled: faint grey when colouring by class, else the value's colour
    u = view.unlabeled
    if by_class:
        mu = dict(color=GREY)
    else:
        mu = _marker_for(view, u, showscale=True, fallback=None)
        scale_shown = bool(mu.get("showscale"))
    mu.update(size=6 if small else 4, line=dict(width=0))
    unlabeled = _scatter(view, x=view.xy(u)[0], y=view.xy(u)[1], mode="markers", name="unlabeled", customdata=u,
                         marker=mu, hovertext=view.hover(u), hoverinfo="text", legendrank=3,
                         opacity=1.0 if not by_class else 0.9)

    # labeled: by class (with the class colorbar), or the value where it exists
    lab = view.labeled
    ml = _marker_for(view, lab, showscale=by_class or not scale_shown, fallback=LABELED_NAN)
    scale_shown = scale_shown or bool(ml.get("showscale"))
    ml.update(size=8, line=dict(width=0.8, color="white"))
    labeled = _scatter(view, x=view.xy(lab)[0], y=view.xy(lab)[1], mode="markers", name="labeled",
                       customdata=lab, marker=ml, hovertext=view.hover(lab), hoverinfo="text", legendrank=2)

    # selected: this round's picks in pick order, large, ringed, with their rank (1 = first pick)
    sel = view.selected
    ms = _marker_for(view, sel, showscale=not scale_shown, fallback=LABELED_NAN)
    ms.update(size=15, line=dict(width=2.2, color="black"))
    ranks = [str(k + 1) for k in range(len(sel))]
    selected = go.Scatter(x=view.xy(sel)[0], y=view.xy(sel)[1], mode="markers+text", name="selected",
                          customdata=sel, marker=ms, text=ranks, textposition="top center",
                          textfont=dict(size=11, color="black"), hovertext=view.hover(sel, _pick_prefix(view)),
                          hoverinfo="text", legendrank=1)
    return unlabeled, labeled, selected


def _pick_prefix(view: View) -> list:
    """'pick 3' plus every per-pick diagnostic (arrays of length k, e.g. pick_distance, seed_distance)."""
    k = len(view.selected)
    per_pick = {key: np.asarray(v) for key, v in view.rnd.extras.items()
                if isinstance(v, np.ndarray) and v.shape == (k,) and k != view.n_pool
                and key not in ("candidates", "pick_order")
                and (np.issubdtype(v.dtype, np.number) or v.dtype == bool)}
    out = []
    for j in range(k):
        s = f"<b>pick {j + 1}</b>"
        for key, v in per_pick.items():
            s += f"<br>{key} {v[j]:.4g}" if np.issubdtype(v.dtype, np.floating) else f"<br>{key} {v[j]}"
        out.append(s)
    return out


def round_title(dataset, rnd) -> str:
    acc = rnd.metrics.get("accuracy", float("nan"))
    n_lab = rnd.metrics.get("n_labeled", len(rnd.labeled))
    s = f"{rnd.strategy or 'strategy'} · round {rnd.index} · {n_lab} labeled"
    if np.isfinite(acc):
        s += f" · test accuracy {acc:.1%}"
    return s


def base_layout(view: View) -> dict:
    ds = view.dataset
    input_space = bool(getattr(ds, "is_2d", False)) and view.coords.shape == ds.X.shape and \
        np.array_equal(view.coords, ds.X)
    axis = dict(showgrid=False, zeroline=False, showticklabels=input_space, ticks="outside" if input_space else "")
    layout = dict(
        xaxis=dict(axis, title=dict(text="x₁" if input_space else "")),
        yaxis=dict(axis, title=dict(text="x₂" if input_space else ""), scaleanchor="x", scaleratio=1),
        plot_bgcolor="white", hovermode="closest", margin=dict(l=50 if input_space else 20, r=20, t=90, b=20),
        legend=dict(itemsizing="constant", orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom"),
        uirevision="alviz",
    )
    if view.sampled:
        layout["legend"]["title"] = dict(text=(
            f"unlabeled: {len(view.unlabeled):,} of {view.n_unlabeled_total:,} drawn<br>"
            "(a seeded class-stratified sample)"), font=dict(size=11))
    return layout


def round_layers(dataset, rnd, coords, color_by: str = "class", overlay: bool = True,
                 max_points: Optional[int] = 20000, webgl: Optional[bool] = None, allow_inset: bool = True,
                 sample_seed: int = 0, fields: bool = True) -> Layers:
    """Everything one round's picture needs, for :func:`round_figure`, comparisons and the report slider.

    With ``fields`` (default) and a round that carries a field, drawn on its 2-D inputs, the
    decision regions, the decision boundary and the strategy's field go under the points
    (:func:`alviz.plot._fields.field_traces`).
    """
    view = make_view(dataset, rnd, coords, color_by=color_by, max_points=max_points, webgl=webgl,
                     sample_seed=sample_seed, allow_inset=allow_inset)
    unl, lab, sel = base_traces(view)
    under, mid, over, top, layout_extra = ([], [], [], [], {})
    with_field = bool(fields) and draws_field(view)
    if overlay:
        built = build_overlays(view, with_field=with_field)
        under, mid, over, top, layout_extra = built.under, built.mid, built.over, built.top, built.layout
    if with_field:
        under = field_traces(view) + under
    traces = under + [unl] + mid + [lab] + over + [sel] + top
    if with_field:
        f = rnd.field
        rows = -(-sum(t.showlegend is not False for t in traces) // 2)
        layout_extra = _merge(layout_extra, {
            # the legend in two columns above the plane, the title above the legend
            "legend": {"entrywidthmode": "fraction", "entrywidth": 0.5, "font": {"size": 11}},
            "margin": {"t": 56 + 21 * rows, "r": 40},
            "title": {"y": 0.99, "yanchor": "top"},
            "xaxis": {"range": [float(f.x[0]), float(f.x[-1])]},
            "yaxis": {"range": [float(f.y[0]), float(f.y[-1])]}})
    layout = _merge(base_layout(view), layout_extra)
    return Layers(traces, layout, list(view.notes), round_title(dataset, rnd))


def _merge(base: dict, extra: dict) -> dict:
    """``base`` updated by ``extra``, merging (not replacing) nested dicts such as ``xaxis``."""
    out = dict(base)
    for key, val in extra.items():
        out[key] = _merge(out[key], val) if isinstance(val, dict) and isinstance(out.get(key), dict) else val
    return out


def _notes_annotations(notes: list) -> list:
    return [dict(text=n, xref="paper", yref="paper", x=0, y=-0.02 - 0.045 * i, xanchor="left", yanchor="top",
                 showarrow=False, font=dict(size=11, color="#555")) for i, n in enumerate(notes)]


def round_figure(session, coords, r: int = -1, color_by: str = "class", overlay: bool = True,
                 max_points: Optional[int] = 20000, webgl: Optional[bool] = None, fields: bool = True) -> go.Figure:
    """One round of a session drawn on ``coords``.

    Parameters
    ----------
    session : alviz.Session with at least one round.
    coords : (n_pool, 2) array, e.g. ``alviz.projection.reference(ds)`` or ``aligned(session)[r]``.
    r : int, the round (negative counts from the end).
    color_by : "class", "score", "predicted" or any (n_pool,) diagnostic of the round
        (:func:`color_options`).
    overlay : bool, draw the strategy's diagnostics (chosen by which extras keys are present).
    max_points : int or None. Past this many pool points, all labeled and picked points and a
        seeded class-stratified sample of the rest are drawn (the legend says so).
    webgl : None (WebGL past 5 000 drawn points), True or False.
    fields : bool, on 2-D data drawn on its inputs, draw the round's field under the points: traces
        "decision regions", "field: <name>" and "decision boundary" (each can be hidden from the legend).

    Returns
    -------
    go.Figure with traces "unlabeled", "labeled", "selected" (this round's picks in pick order)
    and "overlay: <what>"; every point trace has the pool index in ``customdata``.
    """
    rnd = get_round(session, r)
    layers = round_layers(session.dataset, rnd, coords, color_by=color_by, overlay=overlay,
                          max_points=max_points, webgl=webgl, fields=fields)
    fig = go.Figure(data=layers.traces)
    layout = dict(layers.layout)
    title = dict(layout.pop("title", {}), text=layers.title)
    fig.update_layout(title=title, annotations=_notes_annotations(layers.notes), **layout)
    if layers.notes:
        fig.update_layout(margin=dict(b=30 + 22 * len(layers.notes)))
    return fig
