"""A static picture of a canvas figure, for places where no widget runs (an exported notebook, GitHub's viewer).

Every canvas (and every explorer) adds :func:`static_bundle` to its mime
bundle: an ``image/png`` of the figure and a ``text/html`` block with the same
image, the figure's title as text and a line saying that the live explorer
needs a Jupyter kernel. Front ends with a widget manager show the widget
(the widget-view mime type ranks first) and ignore these.

The PNG is drawn here with numpy alone (no browser, no kaleido, nothing
fetched): scatter markers as discs, lines, heatmaps and contours as their
colour grid, bars, on each subplot's axes. It is a likeness for orientation,
not plotly's rendering: no text, ticks or legends inside the image (the
title goes beside it as HTML), marker symbols all drawn as discs.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._tools import png_bytes

__all__ = ["NEEDS_KERNEL", "static_bundle", "static_html", "static_png"]

NEEDS_KERNEL = (
    "This is a static picture. The live explorer (its buttons, slider and clickable points) "
    "needs a running Jupyter kernel: open the notebook in JupyterLab, Notebook 7 or Voilà and run it."
)

_DEFAULT_COLORWAY = [
    "#636efa",
    "#EF553B",
    "#00cc96",
    "#ab63fa",
    "#FFA15A",
    "#19d3f3",
    "#FF6692",
    "#B6E880",
    "#FF97FF",
    "#FECB52",
]
_NAMED = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "lightgrey": (211, 211, 211),
    "lightgray": (211, 211, 211),
    "darkgrey": (169, 169, 169),
    "darkgray": (169, 169, 169),
    "silver": (192, 192, 192),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "orange": (255, 165, 0),
    "yellow": (255, 255, 0),
    "purple": (128, 0, 128),
    "crimson": (220, 20, 60),
    "gold": (255, 215, 0),
    "teal": (0, 128, 128),
    "navy": (0, 0, 128),
    "firebrick": (178, 34, 34),
    "darkred": (139, 0, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "transparent": (255, 255, 255),
}
_RGB = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)")


def _parse_color(c: Any, fallback: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A CSS colour string as (r, g, b, a) in [0, 1]; ``fallback`` for what it cannot read."""
    if not isinstance(c, str):
        return fallback
    s = c.strip().lower()
    if s.startswith("#"):
        h = s[1:]
        if len(h) in (3, 4):
            h = "".join(ch * 2 for ch in h)
        try:
            vals = [int(h[i : i + 2], 16) / 255 for i in range(0, len(h), 2)]
        except ValueError:
            return fallback
        return (vals[0], vals[1], vals[2], vals[3] if len(vals) > 3 else 1.0)
    m = _RGB.match(s)
    if m:
        a = float(m.group(4)) if m.group(4) is not None else 1.0
        return (float(m.group(1)) / 255, float(m.group(2)) / 255, float(m.group(3)) / 255, a)
    if s in _NAMED:
        r, g, b = _NAMED[s]
        return (r / 255, g / 255, b / 255, 0.0 if s == "transparent" else 1.0)
    return fallback


def _colorscale_lut(scale: Any, n: int = 256) -> np.ndarray:
    """(n, 4) RGBA table of a plotly colorscale (a name or a list of [position, colour])."""
    import plotly.colors as pc

    try:
        if scale is None:
            scale = "Viridis"
        if isinstance(scale, str):
            scale = pc.get_colorscale(scale)
        stops = [(float(p), _parse_color(c, (0.5, 0.5, 0.5, 1.0))) for p, c in scale]
    except Exception:  # noqa: BLE001 - an unreadable scale: grey ramp (the picture is only a likeness)
        stops = [(0.0, (0.9, 0.9, 0.9, 1.0)), (1.0, (0.2, 0.2, 0.2, 1.0))]
    pos = np.array([p for p, _ in stops])
    cols = np.array([c for _, c in stops])
    t = np.linspace(0, 1, n)
    return np.stack([np.interp(t, pos, cols[:, j]) for j in range(4)], axis=1)


def _numeric(a: Any) -> np.ndarray | None:
    if a is None or isinstance(a, str):
        return None
    try:
        out = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return out


def _colors(spec: Mapping[str, Any], n: int, default: tuple[float, float, float, float]) -> np.ndarray:
    """(n, 4) RGBA of a marker (or line) spec: one colour, a list of colours, or numbers on a colorscale."""
    c = spec.get("color")
    out = np.tile(np.asarray(default, dtype=np.float64), (n, 1))
    if c is None:
        return out
    if isinstance(c, str):
        return np.tile(np.asarray(_parse_color(c, default)), (n, 1))
    vals = _numeric(c)
    if vals is not None and vals.ndim == 1 and vals.size == n:
        lut = _colorscale_lut(spec.get("colorscale"))
        finite = np.isfinite(vals)
        lo = spec.get("cmin", np.nanmin(vals[finite]) if finite.any() else 0.0)
        hi = spec.get("cmax", np.nanmax(vals[finite]) if finite.any() else 1.0)
        lo, hi = float(lo if lo is not None else 0.0), float(hi if hi is not None else 1.0)
        t = np.clip((np.where(finite, vals, lo) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
        out = lut[np.round(t * (len(lut) - 1)).astype(int)]
        out[~finite] = (0.8, 0.8, 0.8, 1.0)
        return out
    if isinstance(c, (list, tuple, np.ndarray)) and len(c) == n:
        return np.array([_parse_color(x, default) for x in c], dtype=np.float64)
    return out


class _Raster:
    """An RGB float image with alpha-blended painting."""

    def __init__(self, width: int, height: int, bg: tuple[float, float, float, float]) -> None:
        self.w, self.h = width, height
        self.img = np.ones((height, width, 3))
        self.img[:] = bg[:3]

    def blend(self, ys: np.ndarray, xs: np.ndarray, rgba: np.ndarray) -> None:
        ok = (xs >= 0) & (xs < self.w) & (ys >= 0) & (ys < self.h)
        ys, xs, rgba = ys[ok], xs[ok], rgba[ok]
        a = rgba[:, 3:4]
        self.img[ys, xs] = self.img[ys, xs] * (1 - a) + rgba[:, :3] * a

    def rect(self, x0: float, y0: float, x1: float, y1: float, rgba: Sequence[float]) -> None:
        xa, xb = sorted((int(round(x0)), int(round(x1))))
        ya, yb = sorted((int(round(y0)), int(round(y1))))
        xa, xb, ya, yb = max(xa, 0), min(xb, self.w), max(ya, 0), min(yb, self.h)
        if xb <= xa or yb <= ya:
            return
        a = rgba[3]
        self.img[ya:yb, xa:xb] = self.img[ya:yb, xa:xb] * (1 - a) + np.asarray(rgba[:3]) * a


def _axis_name(ref: str | None, kind: str) -> str:
    ref = ref or kind
    return f"{kind}axis" + ref[1:]


def _range(layout: Mapping[str, Any], name: str, values: list[np.ndarray | None]) -> tuple[float, float]:
    r = (layout.get(name) or {}).get("range")
    if r is not None and len(r) == 2 and all(isinstance(v, (int, float)) for v in r):
        return float(r[0]), float(r[1])
    vals = [v[np.isfinite(v)] for v in values if v is not None and v.size]
    vals = [v for v in vals if v.size]
    if not vals:
        return 0.0, 1.0
    lo, hi = float(min(v.min() for v in vals)), float(max(v.max() for v in vals))
    pad = (hi - lo) * 0.05 or 0.5
    return lo - pad, hi + pad


def _trace_xy(t: Mapping[str, Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
    typ = t.get("type", "scatter")
    if typ in ("heatmap", "contour"):
        z = _numeric(t.get("z"))
        if z is None or z.ndim != 2:
            return None, None
        x = _numeric(t.get("x"))
        y = _numeric(t.get("y"))
        x = np.arange(z.shape[1], dtype=np.float64) if x is None or x.size != z.shape[1] else x
        y = np.arange(z.shape[0], dtype=np.float64) if y is None or y.size != z.shape[0] else y
        return x, y
    x, y = _numeric(t.get("x")), _numeric(t.get("y"))
    if typ == "bar":
        if y is None:
            return None, None
        if x is None or x.shape != y.shape:
            x = np.arange(y.size, dtype=np.float64)
        return np.concatenate([x - 0.5, x + 0.5]), np.concatenate([y, np.zeros_like(y)])
    if x is None or y is None or x.shape != y.shape or x.ndim != 1:
        return None, None
    return x, y


def static_png(figure: Mapping[str, Any], width: int | None = None, height: int | None = None) -> bytes:
    """A PNG likeness of a figure (as :meth:`Canvas.figure_dict` returns it), drawn with numpy.

    Parameters
    ----------
    figure : dict
        ``{"data": [...], "layout": {...}}``.
    width, height : int, optional
        Pixel size (default: the figure's own, else 700 x 450).

    Returns
    -------
    bytes
        The PNG file.
    """
    layout = figure.get("layout") or {}
    data = figure.get("data") or []
    W = int(width or layout.get("width") or 700)
    H = int(height or layout.get("height") or 450)
    tmpl = (layout.get("template") or {}).get("layout") or {}
    margin = {
        "l": 80,
        "r": 80,
        "t": 100,
        "b": 80,
        **{k: v for k, v in (layout.get("margin") or {}).items() if isinstance(v, (int, float))},
    }
    paper = _parse_color(layout.get("paper_bgcolor", tmpl.get("paper_bgcolor", "white")), (1, 1, 1, 1))
    plot_bg = _parse_color(layout.get("plot_bgcolor", tmpl.get("plot_bgcolor", "#E5ECF6")), (0.9, 0.93, 0.96, 1))
    colorway = layout.get("colorway") or tmpl.get("colorway") or _DEFAULT_COLORWAY
    ras = _Raster(W, H, paper)
    px0, px1 = margin["l"], W - margin["r"]
    py0, py1 = margin["t"], H - margin["b"]
    # the axes every trace is on, their ranges (from the layout or the data) and pixel boxes
    by_axes: dict[tuple[str, str], list[int]] = {}
    for k, t in enumerate(data):
        if t.get("visible") is False or t.get("visible") == "legendonly":
            continue
        by_axes.setdefault((_axis_name(t.get("xaxis"), "x"), _axis_name(t.get("yaxis"), "y")), []).append(k)
    for (xn, yn), ks in by_axes.items():
        xy = [_trace_xy(data[k]) for k in ks]
        xr = _range(layout, xn, [a for a, _ in xy])
        yr = _range(layout, yn, [b for _, b in xy])
        xd = (layout.get(xn) or {}).get("domain") or [0, 1]
        yd = (layout.get(yn) or {}).get("domain") or [0, 1]
        bx0, bx1 = px0 + xd[0] * (px1 - px0), px0 + xd[1] * (px1 - px0)
        by0, by1 = py1 - yd[1] * (py1 - py0), py1 - yd[0] * (py1 - py0)  # top, bottom in pixels
        if (layout.get(yn) or {}).get("scaleanchor") and xr[1] > xr[0] and yr[1] > yr[0]:
            # equal aspect: shrink the longer side, as plotly does
            sx, sy = (bx1 - bx0) / (xr[1] - xr[0]), (by1 - by0) / (yr[1] - yr[0])
            s = min(sx, sy)
            cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
            bx0, bx1 = cx - s * (xr[1] - xr[0]) / 2, cx + s * (xr[1] - xr[0]) / 2
            by0, by1 = cy - s * (yr[1] - yr[0]) / 2, cy + s * (yr[1] - yr[0]) / 2
        ras.rect(bx0, by0, bx1, by1, plot_bg)

        def to_px(
            x: np.ndarray,
            y: np.ndarray,
            box: tuple[float, ...] = (bx0, by0, bx1, by1),
            xr: tuple[float, float] = xr,
            yr: tuple[float, float] = yr,
        ) -> tuple[np.ndarray, np.ndarray]:
            X = box[0] + (x - xr[0]) / ((xr[1] - xr[0]) or 1.0) * (box[2] - box[0])
            Y = box[3] - (y - yr[0]) / ((yr[1] - yr[0]) or 1.0) * (box[3] - box[1])
            return X, Y

        for k in ks:
            _draw_trace(ras, data[k], to_px, colorway[k % len(colorway)], (bx0, by0, bx1, by1))
    return png_bytes(ras.img)


def _draw_trace(
    ras: _Raster, t: Mapping[str, Any], to_px: Any, default_color: str, box: tuple[float, float, float, float]
) -> None:
    typ = t.get("type", "scatter")
    opacity = float(t.get("opacity", 1.0) if t.get("opacity") is not None else 1.0)
    base = _parse_color(default_color, (0.4, 0.4, 0.9, 1.0))
    if typ in ("heatmap", "contour"):
        z = _numeric(t.get("z"))
        x, y = _trace_xy(t)
        if z is None or x is None:
            return
        lut = _colorscale_lut(t.get("colorscale"))
        finite = np.isfinite(z)
        if not finite.any():
            return
        lo = float(t["zmin"]) if t.get("zmin") is not None else float(z[finite].min())
        hi = float(t["zmax"]) if t.get("zmax") is not None else float(z[finite].max())
        X, Y = to_px(x, y)
        if X.size < 2 or Y.size < 2:
            return
        xe = np.concatenate([[X[0] - (X[1] - X[0]) / 2], (X[1:] + X[:-1]) / 2, [X[-1] + (X[-1] - X[-2]) / 2]])
        ye = np.concatenate([[Y[0] - (Y[1] - Y[0]) / 2], (Y[1:] + Y[:-1]) / 2, [Y[-1] + (Y[-1] - Y[-2]) / 2]])
        # every pixel of the box looks up its cell (cells ordered by pixel position, either direction)
        px = np.arange(int(max(box[0], xe.min())), int(min(box[2], xe.max())))
        py = np.arange(int(max(box[1], ye.min())), int(min(box[3], ye.max())))
        if px.size == 0 or py.size == 0:
            return
        ox, oy = np.argsort(xe), np.argsort(ye)
        jx = np.clip(np.searchsorted(xe[ox], px + 0.5) - 1, 0, xe.size - 2)
        iy = np.clip(np.searchsorted(ye[oy], py + 0.5) - 1, 0, ye.size - 2)
        j = np.minimum(ox[jx], ox[jx + 1])  # the cell between two sorted edges
        i = np.minimum(oy[iy], oy[iy + 1])
        zz = z[np.ix_(i, j)]
        ok = np.isfinite(zz)
        gy, gx = np.meshgrid(py, px, indexing="ij")
        coloring = ((t.get("contours") or {}).get("coloring") or "fill") if typ == "contour" else "heatmap"
        if coloring in ("lines", "none"):  # contour lines only: where the field crosses its first level
            if coloring == "none":
                return
            level = float((t.get("contours") or {}).get("start") or 0.0)
            above = np.where(ok, zz > level, False)
            edge = np.zeros_like(above)
            edge[:, 1:] |= above[:, 1:] != above[:, :-1]
            edge[1:, :] |= above[1:, :] != above[:-1, :]
            c = np.asarray(_parse_color((t.get("line") or {}).get("color"), (0.1, 0.1, 0.1, 1.0)))
            c[3] *= opacity
            ras.blend(gy[edge], gx[edge], np.tile(c, (int(edge.sum()), 1)))
            return
        tt = np.clip((np.where(ok, zz, lo) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
        cols = lut[np.round(tt * (len(lut) - 1)).astype(int)]
        cols[..., 3] *= opacity
        cols[~ok, 3] = 0.0
        ras.blend(gy.ravel(), gx.ravel(), cols.reshape(-1, 4))
        return
    if typ == "bar":
        x, y = _numeric(t.get("x")), _numeric(t.get("y"))
        if y is None:
            return
        if x is None or x.shape != y.shape:
            x = np.arange(y.size, dtype=np.float64)
        cols = _colors(t.get("marker") or {}, y.size, base)
        X0, Y0 = to_px(x - 0.4, np.zeros_like(y))
        X1, Y1 = to_px(x + 0.4, y)
        for i in range(y.size):
            if np.isfinite(Y1[i]):
                c = cols[i].copy()
                c[3] *= opacity
                ras.rect(X0[i], Y0[i], X1[i], Y1[i], c)
        return
    if not typ.startswith("scatter") or typ in ("scatter3d", "scattergeo", "scattermapbox", "scattermap"):
        return
    x, y = _trace_xy(t)
    if x is None:
        return
    mode = t.get("mode") or ("lines+markers" if x.size < 20 else "markers")
    X, Y = to_px(x, y)
    if "lines" in mode and x.size > 1:
        line = t.get("line") or {}
        c = np.asarray(_parse_color(line.get("color"), base))
        c[3] *= opacity
        w = max(1, int(round(float(line.get("width") or 2))))
        for i in range(x.size - 1):
            if not (np.isfinite(X[i]) and np.isfinite(Y[i]) and np.isfinite(X[i + 1]) and np.isfinite(Y[i + 1])):
                continue
            n = int(max(abs(X[i + 1] - X[i]), abs(Y[i + 1] - Y[i]), 1)) + 1
            sx = np.linspace(X[i], X[i + 1], n)
            sy = np.linspace(Y[i], Y[i + 1], n)
            for dx in range(-(w // 2), w - w // 2):
                ras.blend(np.round(sy).astype(int) + dx, np.round(sx).astype(int), np.tile(c, (n, 1)))
    if "markers" in mode:
        marker = t.get("marker") or {}
        cols = _colors(marker, x.size, base)
        mop = marker.get("opacity")
        if isinstance(mop, (int, float)):
            cols[:, 3] *= float(mop)
        cols[:, 3] *= opacity
        size = marker.get("size", 6)
        sizes = _numeric(size)
        if sizes is None or sizes.ndim == 0 or sizes.size != x.size:
            sizes = np.full(x.size, float(size) if isinstance(size, (int, float)) else 6.0)
        ok = np.isfinite(X) & np.isfinite(Y) & np.isfinite(sizes)
        lw = (marker.get("line") or {}).get("width") or 0
        ring = _parse_color((marker.get("line") or {}).get("color"), (0, 0, 0, 0))
        for r in np.unique(np.clip(np.round(sizes[ok] / 2), 1, 20)):
            sel = ok & (np.clip(np.round(sizes / 2), 1, 20) == r)
            r = int(r)
            dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
            inside = dx**2 + dy**2 <= r * r
            oy, ox = dy[inside], dx[inside]
            cy = np.round(Y[sel]).astype(int)[:, None] + oy[None, :]
            cx = np.round(X[sel]).astype(int)[:, None] + ox[None, :]
            c = np.repeat(cols[sel], oy.size, axis=0)
            if isinstance(lw, (int, float)) and lw > 0 and ring[3] > 0:
                edge = (dx[inside] ** 2 + dy[inside] ** 2) > max(0, r - max(1, int(lw))) ** 2
                c = c.reshape(-1, oy.size, 4)
                c[:, edge] = ring
                c = c.reshape(-1, 4)
            ras.blend(cy.ravel(), cx.ravel(), c)


def _title(figure: Mapping[str, Any]) -> str:
    t = (figure.get("layout") or {}).get("title")
    text = t.get("text") if isinstance(t, Mapping) else t
    text = re.sub(r"<br\s*/?>", " · ", str(text or ""))
    return re.sub(r"<[^>]+>", "", text).strip()


def static_html(figures: Sequence[Mapping[str, Any]], pngs: Sequence[bytes] | None = None) -> str:
    """The ``text/html`` fallback: each figure's image and title, and the line about the kernel.

    Parameters
    ----------
    figures : list of dict
        Figures as :meth:`Canvas.figure_dict` returns them.
    pngs : list of bytes, optional
        Their PNGs, when made already.

    Returns
    -------
    str
        An HTML block with no script (safe to show in any viewer).
    """
    pngs = list(pngs) if pngs is not None else [static_png(f) for f in figures]
    parts = []
    for fig, png in zip(figures, pngs):
        title = html.escape(_title(fig))
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure class="alviz-static-figure" style="display:inline-block;margin:4px">'
            f'<img src="{src}" alt="{title or "alviz figure"}" style="max-width:100%">'
            f'<figcaption style="font-size:12px;color:#333">{title}</figcaption></figure>'
        )
    return (
        f'<div class="alviz-static">{"".join(parts)}'
        f'<p class="alviz-needs-kernel" style="font-size:12px;color:#555;margin:4px">'
        f"{html.escape(NEEDS_KERNEL)}</p></div>"
    )


def static_bundle(figures: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mime data that shows ``figures`` without JavaScript: ``image/png`` (the first), ``text/html``, ``text/plain``.

    Parameters
    ----------
    figures : list of dict
        Figures as :meth:`Canvas.figure_dict` returns them (empty figures are left out).

    Returns
    -------
    dict
        mime type -> data, to merge into a ``_repr_mimebundle_``.
    """
    figures = [f for f in figures if f.get("data")]
    if not figures:
        return {"text/plain": NEEDS_KERNEL}
    pngs = [static_png(f) for f in figures]
    return {
        "image/png": base64.b64encode(pngs[0]).decode("ascii"),
        "text/html": static_html(figures, pngs),
        "text/plain": NEEDS_KERNEL,
    }
