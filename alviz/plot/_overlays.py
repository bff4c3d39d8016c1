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
        view.notes.append(f"extras['{key}'] ({kind}) has shape {v.shape}, expected ({want[0]}, ...): "
                          "overlay skipped")
        return None
    return v


def _pool_scatter(view: View, **kw):
    return go.Scattergl(**kw) if view.webgl else go.Scatter(**kw)


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple:
    """x and y lists 'start, end, None' per segment (one trace draws them all)."""
    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(starts, ends):
        xs += [float(x0), float(x1), None]
        ys += [float(y0), float(y1), None]
    return xs, ys


def _size_rings(view: View, out: Built, key: str, what: str, color: str, extra_hover=None,
                max_rings: int = 150) -> None:
    """Open circles on the ``max_rings`` drawn candidates with the largest extras[key] (and on every pick),
    area proportional to the value, scaled against the whole pool so rounds compare; values too small
    to see (< 2 px) get no ring."""
    v = _diagnostic(view, key)
    if v is None:
        return
    v = v.astype(np.float64)
    sizes_all = ring_sizes(v)
    unl = view.unlabeled[sizes_all[view.unlabeled] >= 2.0]
    unl = unl[np.argsort(-v[unl], kind="stable")[:max_rings]]
    idx = np.sort(np.concatenate([unl, view.selected[sizes_all[view.selected] >= 2.0]]))
    if idx.size == 0:
        return
    hover = [f"#{i} · {key} {v[i]:.4g}" + ("" if extra_hover is None else extra_hover(i)) for i in idx]
    x, y = view.xy(idx)
    out.add("mid", _pool_scatter(view, x=x, y=y, mode="markers", name=f"overlay: {what}", customdata=idx,
                                 marker=dict(symbol="circle-open", size=sizes_all[idx], color=color,
                                             line=dict(width=1)),
                                 hovertext=hover, hoverinfo="text", opacity=0.7))


# ----------------------------------------------------------------------------- VAAL
@_overlay("P(labeled)", "discriminator_p_labeled")
def _p_labeled_heat(view: View, out: Built, bins: int = 60) -> None:
    """VAAL's discriminator output D(μ) = P(labeled) as a heat map: the mean over the points in each cell."""
    p = _diagnostic(view, "discriminator_p_labeled")
    if p is None:
        return
    p = p.astype(np.float64)
    idx = view.shown[np.isfinite(p[view.shown])]
    x, y = view.xy(idx)
    cx, cy = view.coords[:, 0], view.coords[:, 1]
    ex = np.linspace(cx.min(), cx.max(), bins + 1)
    ey = np.linspace(cy.min(), cy.max(), bins + 1)
    total, _, _ = np.histogram2d(x, y, bins=[ex, ey], weights=p[idx])
    count, _, _ = np.histogram2d(x, y, bins=[ex, ey])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(count > 0, total / count, np.nan).T  # (bins_y, bins_x); empty cells stay transparent
    # centred on 0.5 (D cannot tell) and just wide enough for the values: a D stuck near 0.5 still shows
    half = max(0.05, float(np.nanmax(np.abs(p[idx] - 0.5))) if idx.size else 0.5)
    crit = view.rnd.extras.get("criterion")
    title = "D(μ) = P(labeled)" + (f"<br>criterion: {crit}" if crit is not None else "")
    out.add("under", go.Heatmap(
        x=(ex[:-1] + ex[1:]) / 2, y=(ey[:-1] + ey[1:]) / 2, z=z, zmin=0.5 - half, zmax=0.5 + half,
        colorscale="RdBu",
        opacity=0.65, name="overlay: P(labeled)", showlegend=True, hoverongaps=False,
        colorbar=dict(title=dict(text=title, side="right"), x=1.13, len=0.75, thickness=14),
        hovertemplate="mean P(labeled) in this cell: %{z:.2f}<extra></extra>"))


# ----------------------------------------------------------------------------- adversarial
@_overlay("adversarial arrows", "perturbation")
def _adversarial_arrows(view: View, out: Built) -> None:
    """For each pick, an arrow from x to where x + r lands (r = the DeepFool/BIM perturbation).

    In the 2-D input picture x + r is drawn exactly. In a UMAP picture the
    arrow is the displacement T(x + r) - T(x) under the fitted UMAP's
    transform T, drawn from the pick's own position, so that the transform's
    own jitter cancels. Tiny perturbations give arrows that are all head:
    a note says so.
    """
    from ..projection import place_inputs

    ds = view.dataset
    r = _diagnostic(view, "perturbation")
    if r is None:
        return
    sel = view.selected
    rows = r[sel].reshape(len(sel), -1).astype(np.float32)
    ok = np.all(np.isfinite(rows), axis=1)
    idx, rows = sel[ok], rows[ok]
    if idx.size == 0:
        return
    X = ds.X[idx]
    try:
        both = place_inputs(ds, view.coords, np.concatenate([X + rows.reshape(X.shape), X]))
    except ValueError:
        view.notes.append("adversarial arrows need the reference view (alviz.projection.reference(dataset)): "
                          "x + r cannot be placed in a model-space picture")
        return
    k = len(idx)
    ends = view.coords[idx] + (both[:k] - both[k:])
    xs, ys = _segments(view.coords[idx], ends)
    norms = np.linalg.norm(rows, axis=1)
    length = np.hypot(*(ends - view.coords[idx]).T)
    extent = float(np.hypot(*np.ptp(view.coords, axis=0)))
    if np.median(length) < 0.01 * extent:
        typical = float(np.median(np.linalg.norm(ds.flat()[idx], axis=1)))
        if view.rnd.field is not None and np.array_equal(view.coords, np.asarray(ds.X, dtype=view.coords.dtype)):
            view.notes.append(f"the picks' own arrows are tiny (median ‖r‖ = {np.median(norms):.3g}): "
                              "they sit on the decision boundary")
        else:
            view.notes.append(f"x + r lands next to x in this picture: the perturbations are tiny "
                              f"(median ‖r‖ = {np.median(norms):.3g}, median ‖x‖ = {typical:.3g})")
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
    out.add("top", go.Scatter(
        x=xs, y=ys, mode="lines+markers", name="overlay: adversarial arrows", customdata=np.repeat(idx, 3),
        line=dict(color="crimson", width=1.8),
        marker=dict(symbol=["circle", "arrow", "circle"] * k, size=[0, 12, 0] * k, angleref="previous",
                    color="crimson"),
        hovertext=hover, hoverinfo="text"))


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
    hover = [f"pick {j + 1}: #{i}<br>D at draw time {sd[j]:.4g}"
             for j, i in enumerate(order)]
    x, y = view.xy(order)
    out.add("over", go.Scatter(x=x, y=y, mode="lines", name="overlay: pick order", customdata=order,
                               line=dict(color="rgba(40,40,40,0.7)", width=1.2, dash="dash"),
                               hovertext=hover, hoverinfo="text"))


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
    xs, ys = _segments(view.coords[sel], view.coords[c[ok]])
    hover = []
    for j, (i, ci) in enumerate(zip(sel, c[ok])):
        d = "" if dist is None else f" at distance {float(np.asarray(dist)[ok][j]):.4g}"
        hover += [f"pick #{i}", f"its nearest center #{ci}{d}", ""]
    out.add("over", go.Scatter(x=xs, y=ys, mode="lines", name="overlay: nearest center",
                               customdata=np.stack([sel, c[ok], np.full(len(sel), -1)], axis=1).reshape(-1),
                               line=dict(color="rgba(120,60,160,0.8)", width=1.4), hovertext=hover,
                               hoverinfo="text"))


@_overlay("covering radius", "covering_radius")
def _covering_radius(view: View, out: Built) -> None:
    """Covering radius after each pick, in a side panel (it is a distance in feature space, not in 2-D)."""
    if not view.allow_inset:
        return
    rad = _diagnostic(view, "covering_radius")
    if rad is None:
        return
    k = len(rad)
    out.add("over", go.Scatter(x=np.arange(1, k + 1), y=rad.astype(np.float64), xaxis="x2", yaxis="y2",
                               mode="lines+markers", name="overlay: covering radius",
                               line=dict(color="rgba(120,60,160,0.9)"), marker=dict(size=5),
                               hovertemplate="after pick %{x}: radius %{y:.4g}<extra></extra>"))
    small = dict(size=10)
    out.layout.update(
        xaxis=dict(domain=[0.0, 0.74]),
        xaxis2=dict(domain=[0.82, 1.0], anchor="y2", title=dict(text="pick", font=small), tickfont=small,
                    showgrid=False, zeroline=False),
        yaxis2=dict(domain=[0.55, 1.0], anchor="x2", title=dict(text="covering radius", font=small),
                    tickfont=small, showgrid=True, gridcolor="#eee", zeroline=False, rangemode="tozero"),
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
    x, y = view.xy(idx)
    out.add("mid", _pool_scatter(view, x=x, y=y, mode="markers", name="overlay: clusters", customdata=idx,
                                 marker=dict(color=colors, size=sizes, line=dict(width=0)), opacity=0.6,
                                 hovertext=hover, hoverinfo="text"))
    # where the picked clusters sit in this picture: the mean 2-D position of their members
    picked = np.unique(cl[view.selected][cl[view.selected] >= 0])
    if picked.size:
        cen = np.stack([view.coords[cl == c].mean(axis=0) for c in picked])
        out.add("over", go.Scatter(x=cen[:, 0], y=cen[:, 1], mode="markers",
                                   name="overlay: cluster centers (mean position here)",
                                   marker=dict(symbol="x-thin-open", size=12, color="black", line=dict(width=2)),
                                   hovertext=[f"cluster {c}: mean position of its members" for c in picked],
                                   hoverinfo="text"))


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
    x, y = view.xy(idx)
    out.add("mid", _pool_scatter(view, x=x, y=y, mode="markers", name="overlay: scored candidates",
                                 customdata=idx, marker=dict(symbol="square-open", size=9, color="#777"),
                                 hovertext=[f"#{i} · scored" for i in idx], hoverinfo="text"))


@_overlay("covered", "covered")
def _covered(view: View, out: Built) -> None:
    cov = _diagnostic(view, "covered")
    if cov is None:
        return
    cov = cov.astype(bool)
    idx = view.shown[cov[view.shown]]
    delta = view.rnd.extras.get("delta")
    what = "covered" + (f" (δ = {float(delta):.3g})" if delta is not None else "")
    x, y = view.xy(idx)
    out.add("mid", _pool_scatter(view, x=x, y=y, mode="markers", name=f"overlay: {what}", customdata=idx,
                                 marker=dict(color="rgba(40,160,80,0.35)", size=9, line=dict(width=0)),
                                 hovertext=[f"#{i} · covered" for i in idx], hoverinfo="text"))


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
    out.add("mid", go.Scatter(x=xs, y=ys, mode="lines", name=f"overlay: covering radius r = {radius:.3g} (input units)",
                              line=dict(color="rgba(120,60,160,0.45)", width=1), hoverinfo="skip"))


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
    xs, ys = _segments(X, ends)
    k = len(idx)
    norms = np.linalg.norm(r[idx], axis=1)
    hover = []
    for i, nrm in zip(idx, norms):
        hover += [f"#{i}: x", f"#{i}: x + r, ‖r‖ = {nrm:.3g}", ""]
    out.add("top", go.Scatter(
        x=xs, y=ys, mode="lines+markers", name="overlay: x → x + r (a spread of candidates)",
        customdata=np.repeat(idx, 3), line=dict(color="rgba(150,20,60,0.75)", width=1.2),
        marker=dict(symbol=["circle", "arrow", "circle"] * k, size=[0, 9, 0] * k, angleref="previous",
                    color="rgba(150,20,60,0.9)"),
        hovertext=hover, hoverinfo="text"))
