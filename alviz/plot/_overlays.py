"""One overlay per family of strategies, chosen by which ``extras`` keys a round carries.

Overlays are keyed by the agreed extras names, never by strategy name, so a
strategy that lands later and returns, say, ``gradient_norm`` gets the
gradient-norm overlay with no change here. How an overlay reads a key (one
value per pool sample, one per pick) is the key's declared kind
(:data:`alviz.diagnostics.DIAGNOSTICS`), never its length. Each builder adds traces named
``"overlay: <what>"`` to one of four layers: ``under`` the pool, ``mid``
(above the unlabeled points, below the labeled ones), ``over`` (below the
picks) or ``top`` (above everything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Tuple

import numpy as np
import plotly.graph_objects as go

from ..diagnostics import PER_PICK, PER_POOL, POOL_MATRIX, diagnostic_kind
from ..projection import picture_key
from ._style import ring_sizes, scale_sizes, value_coloring
from ._view import View

__all__ = ["OVERLAYS", "Overlay", "Built", "build_overlays", "overlays_for"]


@dataclass
class Built:
    under: list = field(default_factory=list)
    mid: list = field(default_factory=list)
    over: list = field(default_factory=list)
    top: list = field(default_factory=list)
    layout: dict = field(default_factory=dict)

    def add(self, layer: str, trace) -> None:
        getattr(self, layer).append(trace)


@dataclass(frozen=True)
class Overlay:
    what: str
    keys: Tuple[str, ...]
    build: Callable[[View, Built], None]


OVERLAYS: list = []


def _overlay(what: str, *keys: str):
    def deco(fn):
        OVERLAYS.append(Overlay(what, tuple(keys), fn))
        return fn

    return deco


def overlays_for(extras: dict) -> list:
    """The overlays whose extras keys are all present, in drawing order."""
    return [o for o in OVERLAYS if all(k in extras for k in o.keys)]


def build_overlays(view: View, with_field: bool = False) -> Built:
    """Every overlay the round's extras call for. With ``with_field`` (the round's field is drawn
    under the points) the binned heat maps of the ``under`` layer start hidden (a click on their
    legend entry shows them): the field shows the quantity exactly, and a second map would cover
    it; circles in input units and arrows for a spread of candidates are added."""
    out = Built()
    for o in overlays_for(view.rnd.extras):
        o.build(view, out)
    if with_field:
        for t in out.under:
            t.visible = "legendonly"
        _input_circles(view, out)
        _candidate_arrows(view, out)
    return out


# ----------------------------------------------------------------------------- helpers
def _diagnostic(view: View, key: str):
    """extras[key] as an array laid out as its declared kind says: (n_pool, ...) for ``PER_POOL`` and
    ``POOL_MATRIX``, (k,) for ``PER_PICK``. None with a note when it does not match (a file from
    elsewhere, a strategy that broke its declaration): the overlay is skipped."""
    kind = diagnostic_kind(key)
    v = np.asarray(view.rnd.extras[key])
    if kind in (PER_POOL, POOL_MATRIX):
        want = (view.n_pool,)
    elif kind == PER_PICK:
        want = (len(view.selected),)
    else:
        view.notes.append(f"extras['{key}'] is declared {kind}, which this overlay cannot draw: overlay skipped")
        return None
    if v.shape[:1] != want:
        view.notes.append(f"extras['{key}'] ({kind}) has shape {v.shape}, expected ({want[0]}, ...): overlay skipped")
        return None
    return v


def _placed(view: View, what: str, needs: str, *keys: str):
    """What the Session placed in this picture for the round (``rnd.placed[picture_key(coords)]``), or None
    with a note saying how to place it. Pictures place nothing themselves (docs/design.md)."""
    placed = getattr(view.rnd, "placed", None) or {}
    got = placed.get(picture_key(view.coords))
    if got is not None and all(k in got for k in keys):
        return got
    if got is None:
        view.notes.append(
            f"{what} are not placed in this picture: call session.place_inputs(coords) first (it needs the "
            f"reference view, alviz.projection.reference(dataset): {needs} cannot be placed in a model-space picture)"
        )
    return None


def _pool_scatter(view: View, **kw):
    return go.Scattergl(**kw) if view.webgl else go.Scatter(**kw)


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple:
    """x and y lists 'start, end, None' per segment (one trace draws them all)."""
    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(starts, ends):
        xs += [float(x0), float(x1), None]
        ys += [float(y0), float(y1), None]
    return xs, ys


def _pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """customdata of segments a_i → b_i as :func:`_segments` lays out their points: a_i, b_i, -1 per segment."""
    return np.stack([a, b, np.full(len(a), -1)], axis=1).reshape(-1)


def _lines(starts: np.ndarray, ends: np.ndarray, name: str, customdata, line: dict, hover=None) -> go.Scatter:
    """One trace of the segments ``starts`` → ``ends``, with a hover text per point (``hover``) or none."""
    xs, ys = _segments(starts, ends)
    shown = dict(hoverinfo="skip") if hover is None else dict(hovertext=hover, hoverinfo="text")
    return go.Scatter(x=xs, y=ys, mode="lines", name=name, customdata=customdata, line=line, **shown)


def _arrows(
    starts: np.ndarray,
    ends: np.ndarray,
    idx: np.ndarray,
    name: str,
    hover: list,
    color: str,
    width: float,
    head: int,
    head_color=None,
    dash=None,
) -> go.Scatter:
    """One trace of arrows ``starts`` → ``ends`` (a line, and a head of size ``head`` at its end), the pool
    index ``idx`` of each as the customdata of its three points; ``head_color`` defaults to ``color``."""
    xs, ys = _segments(starts, ends)
    k = len(idx)
    line = dict(color=color, width=width) if dash is None else dict(color=color, width=width, dash=dash)
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name=name,
        customdata=np.repeat(idx, 3),
        line=line,
        marker=dict(
            symbol=["circle", "arrow", "circle"] * k,
            size=[0, head, 0] * k,
            angleref="previous",
            color=color if head_color is None else head_color,
        ),
        hovertext=hover,
        hoverinfo="text",
    )


def _markers(view: View, out: Built, layer: str, idx: np.ndarray, name: str, marker: dict, hover: list, **kw) -> None:
    """Markers on the pool samples ``idx`` at their places in the picture, added to ``layer``."""
    x, y = view.xy(idx)
    out.add(
        layer,
        _pool_scatter(
            view,
            x=x,
            y=y,
            mode="markers",
            name=name,
            customdata=idx,
            marker=marker,
            hovertext=hover,
            hoverinfo="text",
            **kw,
        ),
    )


def _size_rings(
    view: View,
    out: Built,
    key: str,
    what: str,
    color: str,
    extra_hover=None,
    max_rings: int = 150,
    shift_to_median: bool = False,
) -> None:
    """Open circles on the ``max_rings`` drawn candidates with the largest extras[key] (and on every pick),
    area proportional to the value (to the value minus the pool's median with ``shift_to_median``),
    scaled against the whole pool so rounds compare; values too small to see (< 2 px) get no ring."""
    v = _diagnostic(view, key)
    if v is None:
        return
    v = v.astype(np.float64)
    sized = v - np.nanmedian(v) if shift_to_median and np.isfinite(v).any() else v
    sizes_all = ring_sizes(sized)
    unl = view.unlabeled[sizes_all[view.unlabeled] >= 2.0]
    unl = unl[np.argsort(-v[unl], kind="stable")[:max_rings]]
    idx = np.sort(np.concatenate([unl, view.selected[sizes_all[view.selected] >= 2.0]]))
    if idx.size == 0:
        return
    hover = [f"#{i} · {key} {v[i]:.4g}" + ("" if extra_hover is None else extra_hover(i)) for i in idx]
    marker = dict(symbol="circle-open", size=sizes_all[idx], color=color, line=dict(width=1))
    _markers(view, out, "mid", idx, f"overlay: {what}", marker, hover, opacity=0.7)


# ----------------------------------------------------------------------------- VAAL and its line
def _binned_heat(
    view: View,
    out: Built,
    key: str,
    what: str,
    title: str,
    hover: str,
    zrange,
    bins: int = 60,
    colorscale: str = "RdBu",
) -> None:
    """extras[key] (one value per pool sample) as a heat map in the picture: the mean over the drawn points in
    each cell; empty cells stay transparent. ``zrange(values)`` gives the colour range (zmin, zmax)."""
    v = _diagnostic(view, key)
    if v is None:
        return
    v = v.astype(np.float64)
    idx = view.shown[np.isfinite(v[view.shown])]
    x, y = view.xy(idx)
    cx, cy = view.coords[:, 0], view.coords[:, 1]
    ex = np.linspace(cx.min(), cx.max(), bins + 1)
    ey = np.linspace(cy.min(), cy.max(), bins + 1)
    total, _, _ = np.histogram2d(x, y, bins=[ex, ey], weights=v[idx])
    count, _, _ = np.histogram2d(x, y, bins=[ex, ey])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(count > 0, total / count, np.nan).T  # (bins_y, bins_x); empty cells stay transparent
    zmin, zmax = zrange(v[idx])
    out.add(
        "under",
        go.Heatmap(
            x=(ex[:-1] + ex[1:]) / 2,
            y=(ey[:-1] + ey[1:]) / 2,
            z=z,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            opacity=0.65,
            name=f"overlay: {what}",
            showlegend=True,
            hoverongaps=False,
            colorbar=dict(title=dict(text=title, side="right"), x=1.13, len=0.75, thickness=14),
            hovertemplate=hover + ": %{z:.2f}<extra></extra>",
        ),
    )


@_overlay("P(labeled)", "discriminator_p_labeled")
def _p_labeled_heat(view: View, out: Built, bins: int = 60) -> None:
    """A discriminator's output D = P(labeled) (VAAL, TA-VAAL, SRAAL) as a heat map: the mean over the points
    in each cell, centred on 0.5 (D cannot tell) and just wide enough for the values (a D stuck near 0.5
    still shows)."""

    def zrange(p):
        half = max(0.05, float(np.nanmax(np.abs(p - 0.5))) if p.size else 0.5)
        return 0.5 - half, 0.5 + half

    crit = view.rnd.extras.get("criterion")
    title = "D(μ) = P(labeled)" + (f"<br>criterion: {crit}" if crit is not None else "")
    _binned_heat(
        view, out, "discriminator_p_labeled", "P(labeled)", title, "mean P(labeled) in this cell", zrange, bins
    )


@_overlay("critic", "critic_score")
def _critic_heat(view: View, out: Built, bins: int = 60) -> None:
    """WAAL's critic D(h) as a heat map (high: the unlabeled side). A Wasserstein critic is not a
    probability, so the colours span the values seen (red low, blue high, as P(labeled) is drawn reversed)."""

    def zrange(v):
        if not v.size:
            return 0.0, 1.0
        lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
        return (lo, hi) if hi > lo else (lo - 0.05, hi + 0.05)

    _binned_heat(
        view,
        out,
        "critic_score",
        "critic",
        "WAAL critic D(h)<br>high: unlabeled side",
        "mean critic D(h) in this cell",
        zrange,
        bins,
        colorscale="RdBu_r",
    )


@_overlay("predicted loss", "predicted_loss")
def _predicted_loss(view: View, out: Built) -> None:
    """Learning Loss's predicted loss as rings on the 60 highest (a ranking output: its scale is arbitrary,
    so a ring's area grows with the value above the pool's median, and the lower half gets none)."""
    _size_rings(view, out, "predicted_loss", "predicted loss", "darkorange", max_rings=60, shift_to_median=True)


# ----------------------------------------------------------------------------- adversarial
@_overlay("adversarial arrows", "perturbation")
def _adversarial_arrows(view: View, out: Built) -> None:
    """For each pick, an arrow from x to where x + r lands (r = the DeepFool/BIM perturbation).

    In the 2-D input picture x + r is drawn exactly. In a UMAP picture the
    arrow is the displacement T(x + r) - T(x) under the fitted UMAP's
    transform T, drawn from the pick's own position, so that the transform's
    own jitter cancels. Tiny perturbations give arrows that are all head:
    a note says so. The ends are the Round's (``rnd.placed``, :func:`alviz.session.place_round`):
    the picture places nothing itself.
    """
    ds = view.dataset
    r = _diagnostic(view, "perturbation")
    if r is None:
        return
    sel = view.selected
    rows = r[sel].reshape(len(sel), -1).astype(np.float32)
    if not np.all(np.isfinite(rows), axis=1).any():
        return
    placed = _placed(view, "adversarial arrows", "x + r", "perturbation_index", "perturbation_ends")
    if placed is None:
        return
    idx = np.asarray(placed["perturbation_index"], dtype=np.int64)
    ends = np.asarray(placed["perturbation_ends"], dtype=np.float64)
    if idx.size == 0 or ends.shape != (idx.size, 2):
        return
    k = len(idx)
    rows = r[idx].reshape(k, -1).astype(np.float32)
    norms = np.linalg.norm(rows, axis=1)
    length = np.hypot(*(ends - view.coords[idx]).T)
    extent = float(np.hypot(*np.ptp(view.coords, axis=0)))
    if np.median(length) < 0.01 * extent:
        typical = float(np.median(np.linalg.norm(ds.flat()[idx], axis=1)))
        if view.rnd.field is not None and np.array_equal(view.coords, np.asarray(ds.X, dtype=view.coords.dtype)):
            view.notes.append(
                f"the picks' own arrows are tiny (median ‖r‖ = {np.median(norms):.3g}): "
                "they sit on the decision boundary"
            )
        else:
            view.notes.append(
                f"x + r lands next to x in this picture: the perturbations are tiny "
                f"(median ‖r‖ = {np.median(norms):.3g}, median ‖x‖ = {typical:.3g})"
            )
    ex = view.rnd.extras
    names = ds.class_names
    adv = np.asarray(ex["adversarial_class"]) if "adversarial_class" in ex else None
    hover = []
    for j, i in enumerate(idx):
        h = f"#{i}: x + r, ‖r‖ = {norms[j]:.3g}"
        if adv is not None and int(adv[i]) >= 0:
            h += f"<br>→ class {names[int(adv[i])]}"
        if "flipped" in ex:
            h += "<br>flipped" if bool(np.asarray(ex["flipped"])[i]) else "<br>did NOT flip (capped)"
        if "iterations" in ex:
            h += f"<br>{int(np.asarray(ex['iterations'])[i])} iterations"
        hover += [f"#{i}: x", h, ""]
    out.add("top", _arrows(view.coords[idx], ends, idx, "overlay: adversarial arrows", hover, "crimson", 1.8, 12))


# ----------------------------------------------------------------------------- gradient embeddings
@_overlay("gradient norm", "gradient_norm")
def _gradient_norm(view: View, out: Built) -> None:
    _size_rings(view, out, "gradient_norm", "gradient norm", "teal")


@_overlay("pick order", "seed_distance")
def _pick_order(view: View, out: Built) -> None:
    """A dashed path through the picks in the order they were drawn (BADGE's k-means++ seeding, whose
    ``seed_distance`` is the D of each draw); the picks are in draw order."""
    order = view.selected
    if order.size == 0:
        return
    sd = _diagnostic(view, "seed_distance")
    if sd is None:
        return
    sd = sd.astype(np.float64)
    hover = [f"pick {j + 1}: #{i}<br>D at draw time {sd[j]:.4g}" for j, i in enumerate(order)]
    x, y = view.xy(order)
    out.add(
        "over",
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            name="overlay: pick order",
            customdata=order,
            line=dict(color="rgba(40,40,40,0.7)", width=1.2, dash="dash"),
            hovertext=hover,
            hoverinfo="text",
        ),
    )


# ----------------------------------------------------------------------------- core-set
@_overlay("nearest center", "pick_nearest_center")
def _nearest_center_lines(view: View, out: Built) -> None:
    """A line from each pick to its nearest center (labeled or earlier pick) at the moment it was picked."""
    c = _diagnostic(view, "pick_nearest_center")
    if c is None:
        return
    c = c.astype(np.int64)
    ok = (c >= 0) & (c < view.n_pool)
    if not ok.any():
        return
    sel = view.selected[ok]
    dist = view.rnd.extras.get("pick_distance")
    hover = []
    for j, (i, ci) in enumerate(zip(sel, c[ok])):
        d = "" if dist is None else f" at distance {float(np.asarray(dist)[ok][j]):.4g}"
        hover += [f"pick #{i}", f"its nearest center #{ci}{d}", ""]
    line = dict(color="rgba(120,60,160,0.8)", width=1.4)
    trace = _lines(view.coords[sel], view.coords[c[ok]], "overlay: nearest center", _pairs(sel, c[ok]), line, hover)
    out.add("over", trace)


@_overlay("covering radius", "covering_radius")
def _covering_radius(view: View, out: Built) -> None:
    """Covering radius after each pick, in a side panel (it is a distance in feature space, not in 2-D)."""
    if not view.allow_inset:
        return
    rad = _diagnostic(view, "covering_radius")
    if rad is None:
        return
    _per_pick_curve(
        view,
        out,
        rad.astype(np.float64),
        "overlay: covering radius",
        "covering radius",
        "rgba(120,60,160,0.9)",
        "after pick %{x}: radius %{y:.4g}<extra></extra>",
    )


# ----------------------------------------------------------------------------- clustering
@_overlay("clusters", "cluster")
def _clusters(view: View, out: Built) -> None:
    """Points coloured by cluster (-1 = none); sized by typicality when the strategy gives it."""
    cl = _diagnostic(view, "cluster")
    if cl is None:
        return
    cl = cl.astype(np.int64)
    idx = view.shown[cl[view.shown] >= 0]
    if idx.size == 0:
        return
    colors = value_coloring(cl, "cluster").css(idx)
    typ = view.rnd.extras.get("typicality")
    if typ is not None and np.shape(typ) == (view.n_pool,):
        typ = np.asarray(typ, dtype=np.float64)
        sizes = np.where(np.isfinite(typ[idx]), scale_sizes(typ, 4, 16)[idx], 3.0)
        hover = [f"#{i} · cluster {cl[i]} · typicality {typ[i]:.4g}" for i in idx]
    else:
        sizes = np.full(len(idx), 6.0)
        hover = [f"#{i} · cluster {cl[i]}" for i in idx]
    dist = view.rnd.extras.get("distance_to_centroid")
    if dist is not None and np.shape(dist) == (view.n_pool,):
        hover = [h + f"<br>distance to centroid {float(dist[i]):.4g}" for h, i in zip(hover, idx)]
    marker = dict(color=colors, size=sizes, line=dict(width=0))
    _markers(view, out, "mid", idx, "overlay: clusters", marker, hover, opacity=0.6)
    # where the picked clusters sit in this picture: the mean 2-D position of their members
    picked = np.unique(cl[view.selected][cl[view.selected] >= 0])
    if picked.size:
        cen = np.stack([view.coords[cl == c].mean(axis=0) for c in picked])
        out.add(
            "over",
            go.Scatter(
                x=cen[:, 0],
                y=cen[:, 1],
                mode="markers",
                name="overlay: cluster centers (mean position here)",
                marker=dict(symbol="x-thin-open", size=12, color="black", line=dict(width=2)),
                hovertext=[f"cluster {c}: mean position of its members" for c in picked],
                hoverinfo="text",
            ),
        )


# ----------------------------------------------------------------------------- committees
@_overlay("committee disagreement", "disagreement")
def _disagreement(view: View, out: Built) -> None:
    votes = view.rnd.extras.get("member_votes")
    names = view.dataset.class_names
    votes = np.asarray(votes) if votes is not None and np.shape(votes)[:1] == (view.n_pool,) else None

    def extra(i):
        return "" if votes is None else "<br>votes " + ", ".join(names[int(v)] for v in np.ravel(votes[i]))

    _size_rings(view, out, "disagreement", "committee disagreement", "darkorange", extra)


# ----------------------------------------------------------------------------- subsampled scoring / coverage
@_overlay("scored candidates", "candidates")
def _scored_candidates(view: View, out: Built) -> None:
    """The seeded subsample a strategy actually scored (e.g. EER's); the rest got no score."""
    cand = np.asarray(view.rnd.extras["candidates"], dtype=np.int64).reshape(-1)
    if cand.size and (cand.min() < 0 or cand.max() >= view.n_pool):
        view.notes.append("extras['candidates'] holds indices outside the pool: overlay skipped")
        return
    drawn = np.zeros(view.n_pool, dtype=bool)
    drawn[view.shown] = True
    idx = np.sort(cand[drawn[cand]])
    marker = dict(symbol="square-open", size=9, color="#777")
    _markers(view, out, "mid", idx, "overlay: scored candidates", marker, [f"#{i} · scored" for i in idx])


@_overlay("covered", "covered")
def _covered(view: View, out: Built) -> None:
    cov = _diagnostic(view, "covered")
    if cov is None:
        return
    cov = cov.astype(bool)
    idx = view.shown[cov[view.shown]]
    delta = view.rnd.extras.get("delta")
    what = "covered" + (f" (δ = {float(delta):.3g})" if delta is not None else "")
    marker = dict(color="rgba(40,160,80,0.35)", size=9, line=dict(width=0))
    _markers(view, out, "mid", idx, f"overlay: {what}", marker, [f"#{i} · covered" for i in idx])


# ----------------------------------------------------------------------------- circles in the input plane
def _circle_polygons(centers: np.ndarray, radius: float, n: int = 48) -> tuple:
    """x and y lists of closed circles of ``radius`` around each center, separated by None (one trace)."""
    t = np.linspace(0.0, 2.0 * np.pi, n + 1)
    xs, ys = [], []
    for cx, cy in centers:
        xs += list(cx + radius * np.cos(t)) + [None]
        ys += list(cy + radius * np.sin(t)) + [None]
    return xs, ys


def _input_circles(view: View, out: Built) -> None:
    """Core-set's covering radius as true circles in input units, on 2-D data drawn on its inputs.

    Around every center after the round (the labeled set and the picks) a circle of radius r =
    the largest distance, in the input plane, from a pool point to its nearest center: every
    point lies inside some circle. When the greedy ran in the inputs (no model yet) this is its
    own covering radius; in a model embedding it is the same cover read in the plane.
    """
    radius = view.rnd.extras.get("input_covering_radius")  # computed by the strategy (core-set) on 2-D data
    if "covering_radius" not in view.rnd.extras or radius is None or not np.isfinite(radius):
        return
    radius = float(radius)
    X = np.asarray(view.dataset.X, dtype=np.float64)
    centers_idx = np.unique(np.concatenate([np.asarray(view.rnd.labeled, dtype=np.int64), view.selected]))
    xs, ys = _circle_polygons(X[centers_idx], radius)
    out.add(
        "mid",
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=f"overlay: covering radius r = {radius:.3g} (input units)",
            line=dict(color="rgba(120,60,160,0.45)", width=1),
            hoverinfo="skip",
        ),
    )


def _candidate_arrows(view: View, out: Built, max_arrows: int = 40) -> None:
    """On 2-D data drawn on its inputs: arrows x → x + r for a spread of the attacked candidates.

    The picks' arrows are tiny by design (they sit on the boundary); these show the attack at work
    everywhere: each arrow runs to the decision boundary and ends just across it. To scale, in input
    units: the end point is exactly x + r.
    """
    ex = view.rnd.extras
    if "perturbation" not in ex:
        return
    r = np.asarray(ex["perturbation"])
    if r.shape != view.dataset.X.shape:
        return
    ok = np.all(np.isfinite(r), axis=1)
    ok[view.selected] = False
    if "flipped" in ex:  # an attack that never flipped says nothing about the boundary
        ok &= np.asarray(ex["flipped"], dtype=bool)
    if "stuck" in ex:
        ok &= ~np.asarray(ex["stuck"], dtype=bool)
    f = view.rnd.field
    if f is not None:  # arrows that leave the drawn plane would only stretch it
        end = np.where(ok[:, None], np.asarray(view.dataset.X, dtype=np.float64) + np.nan_to_num(r), 0.0)
        ok &= (end[:, 0] >= f.x[0]) & (end[:, 0] <= f.x[-1]) & (end[:, 1] >= f.y[0]) & (end[:, 1] <= f.y[-1])
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return
    if idx.size > max_arrows:  # evenly along the pool order: deterministic, spread over the plane
        idx = idx[np.linspace(0, idx.size - 1, max_arrows).round().astype(np.int64)]
    X = np.asarray(view.dataset.X, dtype=np.float64)[idx]
    ends = X + r[idx].astype(np.float64)
    norms = np.linalg.norm(r[idx], axis=1)
    hover = []
    for i, nrm in zip(idx, norms):
        hover += [f"#{i}: x", f"#{i}: x + r, ‖r‖ = {nrm:.3g}", ""]
    name = "overlay: x → x + r (a spread of candidates)"
    out.add("top", _arrows(X, ends, idx, name, hover, "rgba(150,20,60,0.75)", 1.2, 9, "rgba(150,20,60,0.9)"))


# ----------------------------------------------------------------------------- greedy orders (BatchBALD, BAIT, herding)
def _inset_curve(view: View, out: Built, x, y, name: str, xlabel: str, ylabel: str, color: str, hover: str) -> None:
    """A small side panel with one curve (a greedy objective per step): it lives in feature space, not 2-D."""
    if not view.allow_inset:
        return
    out.add(
        "over",
        go.Scatter(
            x=x,
            y=y,
            xaxis="x2",
            yaxis="y2",
            mode="lines+markers",
            name=name,
            line=dict(color=color),
            marker=dict(size=5),
            hovertemplate=hover,
        ),
    )
    small = dict(size=10)
    out.layout.update(
        xaxis=dict(domain=[0.0, 0.74]),
        xaxis2=dict(
            domain=[0.82, 1.0],
            anchor="y2",
            title=dict(text=xlabel, font=small),
            tickfont=small,
            showgrid=False,
            zeroline=False,
        ),
        yaxis2=dict(
            domain=[0.55, 1.0],
            anchor="x2",
            title=dict(text=ylabel, font=small),
            tickfont=small,
            showgrid=True,
            gridcolor="#eee",
            zeroline=False,
            rangemode="tozero",
        ),
    )


def _per_pick_curve(view: View, out: Built, y, name: str, ylabel: str, color: str, hover: str) -> None:
    """:func:`_inset_curve` of one value per pick, against the pick's number 1, 2, …"""
    _inset_curve(view, out, np.arange(1, len(y) + 1), y, name, "pick", ylabel, color, hover)


def _order_path(
    view: View, out: Built, order: np.ndarray, name: str, hover: list, color: str, numbered: bool = False
) -> None:
    """A dotted path through ``order`` (pool indices); ``numbered`` writes each step's number at its point
    (for an order that is not the picks', whose first ranks the round view writes already)."""
    x, y = view.xy(order)
    text = (
        dict(
            mode="lines+text",
            text=[str(j + 1) for j in range(len(order))],
            textposition="bottom left",
            textfont=dict(size=10, color=color),
        )
        if numbered
        else dict(mode="lines")
    )
    out.add(
        "over",
        go.Scatter(
            x=x,
            y=y,
            name=name,
            customdata=order,
            line=dict(color=color, width=1.3, dash="dot"),
            hovertext=hover,
            hoverinfo="text",
            **text,
        ),
    )


@_overlay("greedy order (joint mutual information)", "joint_mutual_information")
def _joint_mi_order(view: View, out: Built) -> None:
    """BatchBALD's greedy order: the picks joined in order, numbered, and the batch's joint mutual
    information after each pick in a side panel (it grows less with each redundant pick)."""
    mi = _diagnostic(view, "joint_mutual_information")
    order = view.selected
    if mi is None or order.size == 0:
        return
    mi = mi.astype(np.float64)
    gain = np.diff(np.concatenate([[0.0], mi]))
    hover = [
        f"pick {j + 1}: #{i}<br>joint MI of picks 1..{j + 1}: {mi[j]:.4g} nats (+{gain[j]:.3g})"
        for j, i in enumerate(order)
    ]
    _order_path(view, out, order, "overlay: greedy order", hover, "rgba(30,90,170,0.9)")
    _per_pick_curve(
        view,
        out,
        mi,
        "overlay: joint MI per pick",
        "joint MI (nats)",
        "rgba(30,90,170,0.9)",
        "after pick %{x}: joint MI %{y:.4g}<extra></extra>",
    )


@_overlay("forward selection, then removal", "oversampled")
def _bait_order(view: View, out: Built) -> None:
    """BAIT: its forward selection of 2k in order (a numbered path), an x on each sample the backward pass
    removed again, and tr(M⁻¹F) after each addition and removal in a side panel."""
    over = np.asarray(view.rnd.extras["oversampled"], dtype=np.int64).reshape(-1)
    if over.size == 0 or over.min() < 0 or over.max() >= view.n_pool:
        view.notes.append("extras['oversampled'] holds indices outside the pool: overlay skipped")
        return
    kept = np.isin(over, view.selected)
    obj = view.rnd.extras.get("bait_objective")
    obj = None if obj is None else np.asarray(obj, dtype=np.float64).reshape(-1)
    hover = [
        f"added {j + 1}: #{i}"
        + ("" if obj is None or j >= len(obj) else f"<br>tr(M⁻¹F) after: {obj[j]:.4g}")
        + ("" if kept[j] else "<br>removed by the backward pass")
        for j, i in enumerate(over)
    ]
    _order_path(view, out, over, "overlay: forward selection order", hover, "rgba(150,80,20,0.9)", numbered=True)
    gone = over[~kept]
    if gone.size:
        x, y = view.xy(gone)
        out.add(
            "top",
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                name="overlay: added, then removed",
                customdata=gone,
                marker=dict(symbol="x-thin-open", size=11, color="rgba(150,80,20,0.95)", line=dict(width=2)),
                hovertext=[f"#{i}: added, then removed by the backward pass" for i in gone],
                hoverinfo="text",
            ),
        )
    if obj is not None and obj.size:
        n_f = over.size
        steps = np.arange(1, len(obj) + 1)
        _inset_curve(
            view,
            out,
            steps,
            obj,
            "overlay: tr(M⁻¹F) per step",
            f"step (1–{n_f} add, then remove)",
            "tr(M⁻¹F)",
            "rgba(150,80,20,0.9)",
            "step %{x}: tr(M⁻¹F) %{y:.4g}<extra></extra>",
        )


@_overlay("coverage gain per pick", "coverage_gain")
def _coverage_gain(view: View, out: Built) -> None:
    """The herdings: picks joined in greedy order, and each pick's increase of the kernel coverage in a
    side panel (large first gains: dense, uncovered regions; small later ones: the gaps between)."""
    g = _diagnostic(view, "coverage_gain")
    order = view.selected
    if g is None or order.size == 0:
        return
    g = g.astype(np.float64)
    bw = view.rnd.extras.get("bandwidth")
    tail = "" if bw is None else f" (σ = {float(bw):.3g})"
    hover = [f"pick {j + 1}: #{i}<br>coverage gain {g[j]:.4g}{tail}" for j, i in enumerate(order)]
    _order_path(view, out, order, "overlay: greedy order", hover, "rgba(20,120,90,0.9)")
    _per_pick_curve(
        view,
        out,
        g,
        "overlay: coverage gain per pick",
        "coverage gain" + tail,
        "rgba(20,120,90,0.9)",
        "pick %{x}: gain %{y:.4g}<extra></extra>",
    )


@_overlay("uncertainty weights", "uncertainty")
def _uncertainty_weights(view: View, out: Built) -> None:
    """UHerding's weights u = 1 − (p₁ − p₂) (temperature-scaled) as rings: the points worth covering."""
    u = _diagnostic(view, "uncertainty")
    if u is None:
        return
    T = view.rnd.extras.get("temperature")
    _size_rings(
        view,
        out,
        "uncertainty",
        "uncertainty u" + ("" if T is None else f" (T = {float(T):.2g})"),
        "rgba(200,90,0,0.9)",
    )


# ----------------------------------------------------------------------------- the representation-aware line
@_overlay("ALFA-Mix interpolation arrows", "flipped", "alfa_target", "alfa_anchor_inputs")
def _alfa_mix_arrows(view: View, out: Built) -> None:
    """ALFA-Mix: from each candidate (a sample whose prediction flips when its embedding is mixed toward a
    class anchor) an arrow toward the anchor it crossed to, placed where the strategy put the anchors in
    the input space (``alfa_anchor_inputs``, the mean labeled input of each class); a thick stub at its
    start is the step itself (``alfa_target``, x + λ(x̄_c − x), a few percent of the way). Every pick's
    arrow and an even spread of the other candidates; the anchors are stars. All placed inputs come from
    the strategy, and their places in the picture from the Round (``rnd.placed``,
    :func:`alviz.session.place_round`): the picture places nothing itself."""
    ex = view.rnd.extras
    flipped = _diagnostic(view, "flipped")
    if flipped is None:
        return
    anchor = np.asarray(ex.get("alfa_anchor", np.full(view.n_pool, -1)), dtype=np.int64)
    if not np.asarray(flipped, dtype=bool).any() or anchor.shape != (view.n_pool,):
        return
    placed = _placed(view, "ALFA-Mix's arrows", "the anchors", "alfa_index", "alfa_step_ends", "alfa_anchors")
    if placed is None:
        return
    idx = np.asarray(placed["alfa_index"], dtype=np.int64)
    step_end = np.asarray(placed["alfa_step_ends"], dtype=np.float64)
    anchor_xy = np.asarray(placed["alfa_anchors"], dtype=np.float64)
    if idx.size == 0 or step_end.shape != (idx.size, 2) or not np.all(anchor[idx] < len(anchor_xy)):
        return
    start = view.coords[idx]
    names = view.dataset.class_names
    is_pick = np.isin(idx, view.selected)
    for sel, name, color, width, head in (
        (~is_pick, "other candidates", "rgba(230,120,0,0.45)", 0.9, 7),
        (is_pick, "picks", "darkorange", 1.6, 11),
    ):
        j = np.flatnonzero(sel)
        if j.size == 0:
            continue
        ends = anchor_xy[anchor[idx[j]]]
        hover = []
        for i in idx[j]:
            a = int(anchor[i])
            hover += [
                f"#{i}: its prediction flips when mixed toward the anchor of class {names[a]}",
                f"the anchor of class {names[a]} (mean labeled input)",
                "",
            ]
        what = f"overlay: ALFA-Mix interpolation arrows ({name})"
        out.add("top", _arrows(start[j], ends, idx[j], what, hover, color, width, head, dash="dot"))
        what = f"overlay: ALFA-Mix step (the mix, {name})"
        out.add("top", _lines(start[j], step_end[j], what, np.repeat(idx[j], 3), dict(color=color, width=width + 2.5)))
    used = np.unique(anchor[idx])
    out.add(
        "top",
        go.Scatter(
            x=anchor_xy[used, 0],
            y=anchor_xy[used, 1],
            mode="markers",
            name="overlay: ALFA-Mix anchors",
            marker=dict(symbol="star", size=16, color="darkorange", line=dict(color="black", width=1)),
            hovertext=[f"anchor of class {names[int(a)]}: mean labeled input" for a in used],
            hoverinfo="text",
        ),
    )


@_overlay("graph edges", "graph_edges")
def _graph_edges(view: View, out: Built) -> None:
    """The GCN's graph edges among the picks (``graph_edges``: pool-index pairs), darker for a stronger
    affinity (``graph_edge_weight``)."""
    ex = view.rnd.extras
    E = np.asarray(ex["graph_edges"], dtype=np.int64).reshape(-1, 2)
    if E.size == 0 or E.min() < 0 or E.max() >= view.n_pool:
        return
    w = np.asarray(ex.get("graph_edge_weight", np.ones(len(E))), dtype=np.float64)
    if w.shape != (len(E),):
        w = np.ones(len(E))
    lo, hi = float(w.min()), float(w.max())
    level = np.ones(len(E)) if hi <= lo else (w - lo) / (hi - lo)
    for band, (a, b) in enumerate(((0.0, 0.5), (0.5, 1.01))):
        sel = (level >= a) & (level < b)
        if not sel.any():
            continue
        hover = []
        for (i, j), wt in zip(E[sel], w[sel]):
            hover += [f"#{i} — #{j}: affinity {wt:.3g}", f"#{j} — #{i}: affinity {wt:.3g}", ""]
        name = "overlay: graph edges among the picks" + (" (stronger)" if band else "")
        line = dict(color="rgba(200,30,120,0.95)" if band else "rgba(200,30,120,0.5)", width=3.0 if band else 1.6)
        a, b = E[sel, 0], E[sel, 1]
        out.add("over", _lines(view.coords[a], view.coords[b], name, _pairs(a, b), line, hover))
