"""Colours, sizes and small numeric helpers shared by every figure builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
import plotly.colors as pc

__all__ = [
    "Coloring",
    "class_coloring",
    "value_coloring",
    "scale_sizes",
    "ring_sizes",
    "palette",
    "GREY",
    "NAN_COLOR",
    "WEBGL_THRESHOLD",
    "OKABE_ITO",
    "TOL_12",
]

GREY = "rgba(150,150,150,0.45)"
NAN_COLOR = "rgba(190,190,190,0.45)"
LABELED_NAN = "#555555"
# above this many drawn points the pool traces use WebGL (go.Scattergl); below, SVG (go.Scatter)
WEBGL_THRESHOLD = 5000

_CONTINUOUS = "Viridis"


#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
#: Paul Tol's 12-colour qualitative set (Tol 2012, SRON/EPS/TN/09-002), ordered so that the first 9 are his
#: colour-blind safe "muted" scheme and neighbours in the list differ in hue
TOL_12 = [
    "#332288",
    "#DDCC77",
    "#117733",
    "#CC6677",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#6699CC",
    "#661100",
    "#AA4466",
]


def palette(n: int) -> list:
    """``n`` category colours as 'rgb(r,g,b)', safe for colour-blind readers where possible.

    Up to 8 categories: Okabe-Ito (orange, sky blue, green, yellow, blue,
    vermillion, purple, black). 9 to 12 (e.g. the ten digits): Paul Tol's
    12-colour set, whose first nine are his "muted" scheme. Past 12 no palette
    stays distinguishable: Plotly's 26 "Alphabet" colours, cycling (class
    names in the legend and the hover text carry the identity).
    """
    base = OKABE_ITO if n <= 8 else TOL_12 if n <= 12 else pc.qualitative.Alphabet
    rgb = [pc.label_rgb(pc.hex_to_rgb(c)) if c.startswith("#") else c for c in base]
    return [rgb[i % len(rgb)] for i in range(n)]


def _rgb_table(colorscale) -> tuple:
    scale = pc.get_colorscale(colorscale) if isinstance(colorscale, str) else colorscale
    pos = np.array([float(p) for p, _ in scale])
    cols = []
    for _, c in scale:
        c = pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c)
        cols.append([float(v) for v in c[:3]])
    return pos, np.array(cols), scale


def _discrete_scale(colors: Sequence[str]) -> list:
    """A colorscale of constant bands, one per colour, for category codes 0..K-1 with cmin=-0.5, cmax=K-0.5."""
    K = len(colors)
    out = []
    for i, c in enumerate(colors):
        out.append([i / K, c])
        out.append([(i + 1) / K, c])
    return out


@dataclass
class Coloring:
    """How values map to colours for one figure: categorical (codes) or continuous (a colorscale).

    values : (n_pool,) float, NaN = no value. For categorical colourings these
        are category *codes* 0..K-1 (positions in ``names``).
    """

    values: np.ndarray
    categorical: bool
    colorscale: list
    cmin: float
    cmax: float
    title: str
    names: Optional[list] = None

    def css(self, idx) -> list:
        """CSS colour strings of the samples ``idx`` (NaN -> a faint grey)."""
        v = self.values[np.asarray(idx, dtype=np.int64)]
        pos, rgb, _ = _rgb_table(self.colorscale)
        t = (v - self.cmin) / (self.cmax - self.cmin)  # categorical codes land mid-band
        ok = np.isfinite(t)
        t = np.clip(np.where(ok, t, 0.0), 0.0, 1.0)
        chans = np.stack([np.interp(t, pos, rgb[:, j]) for j in range(3)], axis=1).round().astype(int)
        return [f"rgb({r},{g},{b})" if good else NAN_COLOR for (r, g, b), good in zip(chans, ok)]

    def marker(self, idx, showscale: bool = False, colorbar_x: float = 1.02) -> dict:
        """Plotly marker properties with numeric colours (a colorbar is possible), for finite values only."""
        v = self.values[np.asarray(idx, dtype=np.int64)]
        out = dict(color=v, colorscale=self.colorscale, cmin=self.cmin, cmax=self.cmax, showscale=showscale)
        if showscale:
            cb = dict(title=dict(text=self.title, side="right"), x=colorbar_x, len=0.75, thickness=14)
            if self.categorical and self.names is not None and len(self.names) <= 30:
                cb.update(tickvals=list(range(len(self.names))), ticktext=list(self.names))
            out["colorbar"] = cb
        return out

    def all_finite(self, idx) -> bool:
        return bool(np.all(np.isfinite(self.values[np.asarray(idx, dtype=np.int64)])))


def class_coloring(y, class_names: Sequence[str], title: str = "class") -> Coloring:
    """Categorical colouring of class labels 0..C-1 (labels < 0 get no colour)."""
    y = np.asarray(y)
    C = len(class_names)
    v = np.where(y >= 0, y, np.nan).astype(np.float64)
    return Coloring(v, True, _discrete_scale(palette(C)), -0.5, C - 0.5, title, [str(c) for c in class_names])


def value_coloring(values, title: str) -> Coloring:
    """Integer/bool values -> categorical (negative = none); floats -> continuous Viridis over the finite range."""
    a = np.asarray(values)
    if a.dtype == bool or np.issubdtype(a.dtype, np.integer):
        codes_src = a.astype(np.int64)
        cats = np.unique(codes_src[codes_src >= 0])
        codes = np.full(len(a), np.nan)
        ok = codes_src >= 0
        codes[ok] = np.searchsorted(cats, codes_src[ok])
        names = [str(bool(c)) if a.dtype == bool else str(int(c)) for c in cats] or ["-"]
        return Coloring(codes, True, _discrete_scale(palette(len(names))), -0.5, len(names) - 0.5, title, names)
    v = a.astype(np.float64)
    fin = v[np.isfinite(v)]
    lo, hi = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return Coloring(v, False, _rgb_table(_CONTINUOUS)[2], lo, hi, title)


def scale_sizes(values: Any, lo: float = 5.0, hi: float = 22.0) -> np.ndarray:
    """Marker diameters growing with ``values`` (area ~ value): sqrt-scaled between ``lo`` and ``hi``.

    NaN and negative values get ``lo``. Equal values all get the middle size.
    """
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    v = np.where(ok, np.maximum(v, 0.0), 0.0)
    top = v[ok].max() if ok.any() else 0.0
    if top <= 0:
        return np.full(v.shape, (lo + hi) / 2)
    return lo + (hi - lo) * np.sqrt(v / top)


def ring_sizes(values: Any, top_size: float = 24.0) -> np.ndarray:
    """Ring diameters with area proportional to the value: top_size * sqrt(v / max v); 0 for NaN, <= 0."""
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isfinite(v) & (v > 0), v, 0.0)
    top = v.max() if v.size else 0.0
    return np.zeros_like(v) if top <= 0 else top_size * np.sqrt(v / top)
