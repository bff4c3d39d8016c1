"""The round view: the pool faint, the labeled set by class, this round's picks large and ranked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import plotly.graph_objects as go

from ..diagnostics import PER_PICK, diagnostic_kind
from ._fields import draws_field, field_traces
from ._overlays import build_overlays
from ._style import GREY, LABELED_NAN, Coloring
from ._view import View, get_round, make_view

if TYPE_CHECKING:
    from ..datasets import Dataset
    from ..projection import Projection
    from ..session import Round, Session

__all__ = [
    "Layers",
    "round_layers",
    "round_figure",
    "round_title",
    "base_layout",
    "base_traces",
    "legend_traces",
    "is_legend_entry",
    "axis_ranges",
    "is_input_space",
    "equal_aspect_size",
    "rank_positions",
    "RANK_LABELS",
]


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


#: picks whose rank is written next to them; later picks show their rank on hover ("pick 7")
RANK_LABELS = 5
_OFFSETS = (
    ("top center", (0.0, 1.0)),
    ("bottom center", (0.0, -1.0)),
    ("middle right", (1.0, 0.0)),
    ("middle left", (-1.0, 0.0)),
)


def rank_positions(xy, extent, others=None, step: float = 0.035) -> list:
    """A text position for each of the points ``xy`` (k, 2), chosen so that ranks do not print over each other.

    Greedy, in pick order: of the four sides (top, bottom, right, left) each
    rank goes to the one whose label spot (``step`` of the axes' span away)
    is farthest from every other pick and every label already placed.
    ``extent`` (2,) is the axes' span, so distances are judged as on screen;
    ``others`` (m, 2) are more points to keep clear of (later picks with no label).
    """
    scale = np.maximum(np.asarray(extent, dtype=np.float64), 1e-12)
    P = np.asarray(xy, dtype=np.float64).reshape(-1, 2) / scale
    O = np.zeros((0, 2)) if others is None else np.asarray(others, dtype=np.float64).reshape(-1, 2) / scale
    placed = []
    out = []
    for j in range(len(P)):
        avoid = np.concatenate([np.delete(P, j, axis=0), O, np.asarray(placed).reshape(-1, 2)])
        best, best_d = "top center", -1.0
        for name, (dx, dy) in _OFFSETS:
            spot = P[j] + step * np.array([dx, dy])
            d = float(np.min(np.hypot(*(avoid - spot).T))) if len(avoid) else np.inf
            if d > best_d + 1e-9:
                best, best_d = name, d
        out.append(best)
        placed.append(P[j] + step * np.array(dict(_OFFSETS)[best]))
    return out


def base_traces(view: View) -> tuple:
    """(unlabeled, labeled, selected) traces; each carries pool indices in ``customdata``.

    Class colours (or any categorical colouring) are explained by a legend
    (:func:`legend_traces`), continuous ones by one colorbar. The first
    :data:`RANK_LABELS` picks carry their rank as text, placed away from the
    nearest other labelled pick; every pick has its rank in the hover text.
    """
    small = len(view.shown) <= 2000
    by_class = view.color_by == "class"
    categorical = view.coloring.categorical
    scale_shown = False

    # unlabeled: faint grey when colouring by class, else the value's colour
    u = view.unlabeled
    if by_class:
        mu: dict[str, Any] = dict(color=GREY)
    else:
        mu = _marker_for(view, u, showscale=not categorical, fallback=None)
        scale_shown = bool(mu.get("showscale"))
    mu.update(size=6 if small else 4, line=dict(width=0))
    unlabeled = _scatter(
        view,
        x=view.xy(u)[0],
        y=view.xy(u)[1],
        mode="markers",
        name="unlabeled",
        customdata=u,
        marker=mu,
        hovertext=view.hover(u),
        hoverinfo="text",
        showlegend=False,
        opacity=1.0 if not by_class else 0.9,
    )

    # labeled: by class, or the value where it exists
    lab = view.labeled
    ml = _marker_for(view, lab, showscale=not categorical and not scale_shown, fallback=LABELED_NAN)
    scale_shown = scale_shown or bool(ml.get("showscale"))
    ml.update(size=8, line=dict(width=0.8, color="white"))
    labeled = _scatter(
        view,
        x=view.xy(lab)[0],
        y=view.xy(lab)[1],
        mode="markers",
        name="labeled",
        customdata=lab,
        marker=ml,
        hovertext=view.hover(lab),
        hoverinfo="text",
        showlegend=False,
    )

    # selected: this round's picks in pick order, large, ringed, the first few with their rank (1 = first pick)
    sel = view.selected
    ms = _marker_for(view, sel, showscale=not categorical and not scale_shown, fallback=LABELED_NAN)
    ms.update(size=15, line=dict(width=2.2, color="black"))
    n_text = min(len(sel), RANK_LABELS)
    ranks = [str(k + 1) if k < n_text else "" for k in range(len(sel))]
    lo, hi = _bounds(view.coords)
    pos = rank_positions(view.coords[sel[:n_text]], hi - lo, others=view.coords[sel[n_text:]]) + ["top center"] * (
        len(sel) - n_text
    )
    selected = go.Scatter(
        x=view.xy(sel)[0],
        y=view.xy(sel)[1],
        mode="markers+text",
        name="selected",
        customdata=sel,
        marker=ms,
        text=ranks,
        textposition=pos,
        textfont=dict(size=12, color="black"),
        hovertext=view.hover(sel, _pick_prefix(view)),
        hoverinfo="text",
        showlegend=False,
        cliponaxis=False,
    )  # a rank next to a pick at the plot's edge stays readable
    return unlabeled, labeled, selected


#: the legend's names for the three kinds of point (the traces keep "unlabeled", "labeled", "selected")
POINT_LEGEND = {"selected": "picked this round (rank)", "labeled": "labeled before", "unlabeled": "unlabeled pool"}


def legend_traces(view: View) -> list:
    """Legend-only entries: the three kinds of point, then one per category of a categorical colouring.

    The point traces themselves stay out of the legend (plotly would draw their
    entry in the colour of their first point, i.e. some class's colour); these
    entries draw nothing (one point at None), show each kind in a neutral style
    and each class in exactly its markers' colour, and carry ``meta={"legend": ...}``.
    """
    out = []
    styles = {
        "selected": dict(color="white", size=13, line=dict(width=2.2, color="black")),
        "labeled": dict(color=LABELED_NAN, size=8, line=dict(width=0.8, color="white")),
        "unlabeled": dict(color=GREY, size=6, line=dict(width=0)),
    }
    for key, name in POINT_LEGEND.items():
        out.append(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=name,
                legendgroup="points",
                marker=styles[key],
                hoverinfo="skip",
                showlegend=True,
                meta={"legend": key},
            )
        )
    col = view.coloring
    if not col.categorical or col.names is None:
        return out
    codes = np.arange(len(col.names), dtype=np.float64)
    colors = Coloring(codes, True, col.colorscale, col.cmin, col.cmax, col.title).css(np.arange(len(codes)))
    for k, (name, c) in enumerate(zip(col.names, colors)):
        out.append(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=str(name),
                legendgroup="categories",
                legendgrouptitle=dict(text=col.title) if k == 0 else None,
                marker=dict(color=c, size=10, line=dict(width=0.8, color="white")),
                hoverinfo="skip",
                showlegend=True,
                meta={"legend": col.title},
            )
        )
    return out


def is_legend_entry(trace: Any) -> bool:
    """True for the legend-only traces of :func:`legend_traces`."""
    meta = getattr(trace, "meta", None)
    return isinstance(meta, dict) and "legend" in meta


def _pick_prefix(view: View) -> list:
    """'pick 3' plus every diagnostic declared per pick (kind ``PER_PICK``, e.g. pick_distance, seed_distance)."""
    k = len(view.selected)
    per_pick = {
        key: np.asarray(v)
        for key, v in view.rnd.extras.items()
        if diagnostic_kind(key) == PER_PICK
        and isinstance(v, np.ndarray)
        and v.shape == (k,)
        and (np.issubdtype(v.dtype, np.number) or v.dtype == bool)
    }
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


#: room around the plot area (pixels): title on top, legend on the right
MARGIN = dict(l=16, r=130, t=56, b=16)
_PAD = 0.03  # axis ranges: the data's bounds plus this share of their span on each side


def _bounds(coords) -> tuple:
    c = np.asarray(coords, dtype=np.float64)
    return c.min(axis=0), c.max(axis=0)


def axis_ranges(coords: np.ndarray | Projection, pad: float = _PAD) -> tuple:
    """([x0, x1], [y0, y1]): the data's bounds plus ``pad`` of their span on each side."""
    lo, hi = _bounds(coords)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (
        [float(lo[0] - pad * span[0]), float(hi[0] + pad * span[0])],
        [float(lo[1] - pad * span[1]), float(hi[1] + pad * span[1])],
    )


def is_input_space(dataset: Dataset, coords: np.ndarray | Projection) -> bool:
    """True when ``coords`` are the inputs of 2-D data: then distances mean something and the aspect is 1."""
    c = np.asarray(coords)
    return (
        bool(getattr(dataset, "is_2d", False))
        and c.shape == dataset.X.shape
        and np.array_equal(c, np.asarray(dataset.X, dtype=c.dtype))
    )


def equal_aspect_size(xrange, yrange, plot_width: int = 480, min_h: int = 220, max_h: int = 640) -> tuple:
    """(width, height) of a figure whose plot area has the data's aspect (for equal-aspect pictures)."""
    ratio = (yrange[1] - yrange[0]) / max(xrange[1] - xrange[0], 1e-12)
    pw = float(plot_width)
    ph = pw * ratio
    if ph > max_h or ph < min_h:
        ph = float(np.clip(ph, min_h, max_h))
        pw = ph / ratio
    return int(round(pw + MARGIN["l"] + 34 + MARGIN["r"])), int(round(ph + MARGIN["t"] + MARGIN["b"] + 30))


def base_layout(view: View) -> dict:
    """Axes that hug the data; equal aspect (and a matching figure size) only for the 2-D inputs.

    A projection's axes mean nothing, so they are hidden (no ticks, no titles)
    and may stretch to fill the canvas; 2-D inputs keep ticks, titles x1/x2 and
    one unit = one unit on both axes.
    """
    input_space = is_input_space(view.dataset, view.coords)
    xr, yr = axis_ranges(view.coords)
    axis = dict(
        showgrid=False,
        zeroline=False,
        showticklabels=input_space,
        ticks="outside" if input_space else "",
        showline=input_space,
        linecolor="#bbb",
        mirror=input_space,
        constrain="domain",
    )
    layout: dict[str, Any] = dict(
        xaxis=dict(axis, range=xr, title=dict(text="x₁" if input_space else "")),
        yaxis=dict(axis, range=yr, title=dict(text="x₂" if input_space else "")),
        plot_bgcolor="white",
        hovermode="closest",
        margin=dict(MARGIN, l=MARGIN["l"] + (34 if input_space else 0), b=MARGIN["b"] + (30 if input_space else 0)),
        legend=dict(
            itemsizing="constant", orientation="v", x=1.01, xanchor="left", y=1.0, yanchor="top", tracegroupgap=10
        ),
        uirevision="alviz",
    )
    if input_space:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1)
        layout["width"], layout["height"] = equal_aspect_size(xr, yr)
    if view.sampled:
        layout["legend"]["title"] = dict(
            text=(
                f"unlabeled: {len(view.unlabeled):,}<br>of {view.n_unlabeled_total:,} drawn<br>"
                "(a seeded class-<br>stratified sample)"
            ),
            font=dict(size=11),
        )
    return layout


def round_layers(
    dataset: Dataset,
    rnd: Round,
    coords: np.ndarray | Projection,
    color_by: str = "class",
    overlay: bool = True,
    max_points: Optional[int] = 20000,
    webgl: Optional[bool] = None,
    allow_inset: bool = True,
    sample_seed: int = 0,
    fields: bool = True,
) -> Layers:
    """Everything one round's picture needs, for :func:`round_figure`, comparisons and the report slider.

    With ``fields`` (default) and a round that carries a field, drawn on its 2-D inputs, the
    decision regions, the decision boundary and the strategy's field go under the points
    (:func:`alviz.plot._fields.field_traces`).
    """
    view = make_view(
        dataset,
        rnd,
        coords,
        color_by=color_by,
        max_points=max_points,
        webgl=webgl,
        sample_seed=sample_seed,
        allow_inset=allow_inset,
    )
    unl, lab, sel = base_traces(view)
    under, mid, over, top, layout_extra = ([], [], [], [], {})
    with_field = bool(fields) and draws_field(view)
    if overlay:
        built = build_overlays(view, with_field=with_field)
        under, mid, over, top, layout_extra = built.under, built.mid, built.over, built.top, built.layout
    if with_field:
        under = field_traces(view) + under
    traces = under + [unl] + mid + [lab] + over + [sel] + top
    traces += legend_traces(view)
    layout = _merge(base_layout(view), layout_extra)
    if "width" in layout:  # an equal-aspect picture of 2-D inputs: its own size, with room at the side
        _side_panels(traces, layout)
    else:  # a projection that fills its canvas: the colorbars go under the legend, never across it
        _bars_under_legend(traces, layout)
    return Layers(traces, layout, list(view.notes), round_title(dataset, rnd))


def _colorbar_traces(traces) -> list:
    """The traces that draw a colorbar: a shown contour/heatmap scale or a scatter marker's."""
    out = []
    for t in traces:
        if t.type in ("contour", "heatmap") and t.showscale is not False:
            out.append((t, t.colorbar))
        elif t.type in ("scatter", "scattergl") and t.marker is not None and t.marker.showscale:
            out.append((t, t.marker.colorbar))
    return out


_COLORBAR_PX = 150  # a colorbar, its tick labels and a wrapped title on its side
_GAP_PX = 12


def _side_panels(traces, layout: dict) -> None:
    """Give an equal-aspect figure room on its right for its colorbars, then its legend, side by side.

    The plot area keeps the size :func:`equal_aspect_size` chose (a legend that plotly had to
    squeeze in would shrink it); colorbars are placed just right of the plot, the legend after them,
    and the figure grows by what they need.
    """
    margin = layout["margin"]
    plot_w = layout["width"] - margin["l"] - margin["r"]  # the paper's width (the plot plus any inset)
    bars = _colorbar_traces(traces)
    for j, (_, cb) in enumerate(bars):
        cb.update(x=1.0 + (_GAP_PX + j * _COLORBAR_PX) / plot_w, xanchor="left", len=0.9, y=0.5, yanchor="middle")
    names = [str(t.name) for t in traces if t.showlegend is not False and t.name]
    names += [str(t.legendgrouptitle.text) for t in traces if t.legendgrouptitle and t.legendgrouptitle.text]
    legend_px = 48 + 6.4 * max((len(n) for n in names), default=0)
    left = _GAP_PX + len(bars) * _COLORBAR_PX
    layout["legend"] = dict(layout.get("legend", {}), x=1.0 + left / plot_w, xanchor="left")
    margin["r"] = int(left + legend_px + _GAP_PX)
    layout["width"] = int(margin["l"] + plot_w + margin["r"])


_LEGEND_ROW_PX = 20  # one legend entry (plotly's default font and item size)
_DEFAULT_HEIGHT_PX = 450  # plotly's height for a figure that sets none


def legend_height_px(traces, layout: dict) -> int:
    """About how tall the legend of ``traces`` is drawn: its entries, group titles, group gaps and title."""
    shown = [t for t in traces if t.showlegend is not False and t.name]
    groups = {t.legendgroup for t in shown}
    titles = sum(1 for t in traces if t.legendgrouptitle and t.legendgrouptitle.text)
    legend = layout.get("legend", {})
    title = legend.get("title", {}).get("text", "") if isinstance(legend.get("title"), dict) else ""
    title_lines = title.count("<br>") + 1 if title else 0
    gap = legend.get("tracegroupgap", 10)
    return int(_LEGEND_ROW_PX * (len(shown) + titles) + gap * max(len(groups) - 1, 0) + 15 * title_lines + 10)


def _bars_under_legend(traces, layout: dict) -> None:
    """In a figure that fills its canvas, stack its colorbars below the legend at the top right.

    Plotly centres a colorbar at mid-height beside the plot, where a legend of more than three
    entries runs into it. Each colorbar keeps its own x (side by side when there are two) and is
    anchored at the bottom of the plot with the height the legend leaves free.
    """
    bars = _colorbar_traces(traces)
    if not bars:
        return
    margin = layout.get("margin", MARGIN)
    plot_h = (layout.get("height") or _DEFAULT_HEIGHT_PX) - margin.get("t", 0) - margin.get("b", 0)
    free = 1.0 - (legend_height_px(traces, layout) + _GAP_PX) / max(plot_h, 1)
    for _, cb in bars:
        cb.update(y=0.0, yanchor="bottom", len=float(np.clip(free, 0.35, 0.9)))


def _merge(base: dict, extra: dict) -> dict:
    """``base`` updated by ``extra``, merging (not replacing) nested dicts such as ``xaxis``."""
    out = dict(base)
    for key, val in extra.items():
        out[key] = _merge(out[key], val) if isinstance(val, dict) and isinstance(out.get(key), dict) else val
    return out


_NOTE_PX = 20  # one note line under the picture


def _notes_annotations(notes: list, below_px: int = 4) -> list:
    """The view's notes as lines under the plot area, ``below_px`` under its bottom edge (past any axis title)."""
    return [
        dict(
            text=n,
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-below_px - _NOTE_PX * i,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font=dict(size=11, color="#555"),
        )
        for i, n in enumerate(notes)
    ]


def round_figure(
    session: Session,
    coords: np.ndarray | Projection,
    r: int = -1,
    color_by: str = "class",
    overlay: bool = True,
    max_points: Optional[int] = 20000,
    webgl: Optional[bool] = None,
    fields: bool = True,
) -> go.Figure:
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
    layers = round_layers(
        session.dataset,
        rnd,
        coords,
        color_by=color_by,
        overlay=overlay,
        max_points=max_points,
        webgl=webgl,
        fields=fields,
    )
    fig = go.Figure(data=layers.traces)
    layout = dict(layers.layout)
    title = dict(layout.pop("title", {}), text=layers.title)
    input_space = "width" in layout  # 2-D inputs: ticks and an axis title sit under the plot
    below = 48 if input_space else 4
    fig.update_layout(title=title, annotations=_notes_annotations(layers.notes, below), **layout)
    if layers.notes:
        extra = _NOTE_PX * len(layers.notes) + 8
        fig.update_layout(margin=dict(b=int(layout["margin"]["b"]) + extra))
        if input_space:  # the plot keeps its size: the figure grows by the notes
            fig.update_layout(height=int(layout["height"]) + extra)
    return fig
