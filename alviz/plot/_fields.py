"""Fields under the points: on 2-D data, the round's decision regions, its decision boundary and its
strategy's own score over the whole plane (``Round.field``, computed by the Session).

Drawn only when the picture *is* the input plane (coords equal to the 2-D
inputs); in any other picture a grid over the plane means nothing.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._style import _discrete_scale, palette
from ._view import View

__all__ = ["field_traces", "draws_field", "FIELD_COLORSCALE"]

#: low = clear (nothing to see), high = a deep green: "the strategy wants these". Green keeps the
#: class colours of the points (blue, red, ...) readable on top of it.
FIELD_COLORSCALE = [
    [0.0, "rgba(255,255,255,0)"],
    [0.5, "rgb(217,240,163)"],
    [0.8, "rgb(120,198,121)"],
    [1.0, "rgb(0,104,55)"],
]


def draws_field(view: View) -> bool:
    """True when the round has a field and the picture is the 2-D input plane."""
    ds = view.dataset
    f = getattr(view.rnd, "field", None)
    return (
        f is not None
        and bool(getattr(ds, "is_2d", False))
        and view.coords.shape == ds.X.shape
        and np.allclose(view.coords, ds.X)
    )


def _ranked(z: np.ndarray) -> tuple:
    """(z as quantiles in [0, 1] over the plane, NaN kept; tick positions; tick labels in z's own units).

    The colours follow the order of the values (dense ranks: equal values, equal colours), so the
    top of the field always looks the same
    whatever the field's units and however skewed its values (an attack's far-off points, a margin
    that is near -1 almost everywhere); the colorbar's labels give the real values.
    """
    from scipy.stats import rankdata

    q = np.full(z.shape, np.nan)
    ok = np.isfinite(z)
    fin = z[ok]
    if fin.size == 0 or fin.max() == fin.min():
        q[ok] = 0.0
        return q, [0.0], [f"{fin[0]:.3g}" if fin.size else "-"]
    # dense ranks: tied values share one colour, and a field that is mostly one value (a committee's
    # unanimous vote) leaves that area clear instead of tinting it
    levels = np.unique(fin)
    q[ok] = (rankdata(fin, method="dense") - 1) / (levels.size - 1)
    ticks = [0.0, 0.25, 0.5, 0.75, 0.9, 1.0] if levels.size > 6 else list(np.linspace(0, 1, levels.size))
    values = levels[np.round(np.asarray(ticks) * (levels.size - 1)).astype(np.int64)]
    labels = [f"{v + 0.0:.3g}" for v in values]
    # a margin near −1 over most of the plane gives several "-1": label each value once
    labels = [lab if j == 0 or lab != labels[j - 1] else "" for j, lab in enumerate(labels)]
    return q, ticks, labels


def field_traces(view: View) -> list:
    """Bottom-to-top traces: "decision regions", "field: <name>", "decision boundary".

    * decision regions: the predicted class on the grid, a faint tint in the class colours;
    * field: the strategy's pointwise score (z has the field's shape (gy, gx)), coloured by its rank
      over the plane (clear where low, deep green where the strategy most wants a label; the raw
      values are in ``customdata`` and on the colorbar);
    * decision boundary: where the two most likely classes tie (the 0-level of p₁ − p₂ for two
      classes; for more, the lines between predicted-class regions).

    Every trace is legend-clickable (hide the field to see the points alone).
    """
    f = view.rnd.field
    x, y = np.asarray(f.x, dtype=np.float64), np.asarray(f.y, dtype=np.float64)
    out = []
    if f.proba is not None:
        P = np.asarray(f.proba, dtype=np.float64)
        C = P.shape[-1]
        pred = P.argmax(axis=-1)
        names = view.dataset.class_names
        hover = np.asarray([str(names[c]) for c in range(C)], dtype=object)[pred]
        out.append(
            go.Heatmap(
                x=x,
                y=y,
                z=pred.astype(np.float64),
                zmin=-0.5,
                zmax=C - 0.5,
                colorscale=_discrete_scale(palette(C)),
                showscale=False,
                opacity=0.13,
                name="decision regions",
                showlegend=True,
                legendrank=6,
                customdata=hover,
                hovertemplate="predicted %{customdata}<extra></extra>",
            )
        )
    z = None if f.score is None else np.asarray(f.score, dtype=np.float64)
    q, ticks, labels = _ranked(z) if z is not None else (None, None, None)
    out.append(
        None
        if z is None
        else go.Contour(
            x=x,
            y=y,
            z=q,
            zmin=0.0,
            zmax=1.0,
            colorscale=FIELD_COLORSCALE,
            opacity=0.85,
            contours=dict(coloring="heatmap", showlines=False, start=0.0, end=1.0, size=0.1),
            line=dict(width=0),
            name=f"field: {f.name}",
            showlegend=True,
            legendrank=5,
            customdata=z,
            colorbar=dict(
                title=dict(text=_wrap(f.name) + "<br>(colour = rank)", side="right"),
                x=1.16,
                len=0.75,
                thickness=14,
                tickvals=ticks,
                ticktext=labels,
            ),
            hovertemplate="x₁ %{x:.3g}, x₂ %{y:.3g}<br>field %{customdata:.4g}<extra></extra>",
        )
    )
    if f.proba is not None:
        if C == 2:
            gap, start = P[..., 1] - P[..., 0], 0.0
        else:
            gap, start = pred.astype(np.float64), 0.5
        out.append(
            go.Contour(
                x=x,
                y=y,
                z=gap,
                showscale=False,
                name="decision boundary",
                showlegend=True,
                legendrank=4,
                contours=dict(coloring="lines", start=start, end=start if C == 2 else C - 1.5, size=1.0),
                line=dict(color="rgba(20,20,20,0.85)", width=2.2),
                colorscale=[[0, "black"], [1, "black"]],
                hoverinfo="skip",
            )
        )
    return [t for t in out if t is not None]


def _wrap(text: str, width: int = 22) -> str:
    """Break a long field name into lines for a colorbar title."""
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "<br>".join(lines)
