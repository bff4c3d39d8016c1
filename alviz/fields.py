"""Fields: a round's model and strategy evaluated over the whole plane, for 2-D data.

On a dataset whose inputs are 2-D the input space *is* the picture, so each
Round can carry what its model predicts and what its strategy would score at
every point of a grid over the data (``Round.field``). The Session computes it
while the round runs (the round's model is gone afterwards); the plots only
draw it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Field", "grid"]


@dataclass
class Field:
    """A round's model and strategy on a regular grid over the 2-D input plane.

    x : (gx,) float, grid coordinates along the first input dimension.
    y : (gy,) float, grid coordinates along the second.
    proba : (gy, gx, C) float32, the round's task model at each grid point (None before a model exists).
    score : (gy, gx) float, the strategy's own quantity at each grid point ("higher = pick first").
    name : str, what ``score`` is, in a few words (e.g. "margin −(p₁ − p₂)").
    """

    x: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    score: np.ndarray
    name: str

    @property
    def points(self) -> np.ndarray:
        """(gy * gx, 2) the grid points, row by row (y outer, x inner), as the strategy scored them."""
        xx, yy = np.meshgrid(self.x, self.y)
        return np.column_stack([xx.ravel(), yy.ravel()])

    @property
    def predicted(self):
        """(gy, gx) int, the predicted class at each grid point (None without a model)."""
        return None if self.proba is None else np.asarray(self.proba).argmax(axis=-1)


def grid(X, resolution: int = 100, margin: float = 0.1):
    """(x, y) grid coordinates over the bounding box of 2-D points ``X``, widened by ``margin`` of its size."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    if X.shape[1] != 2:
        raise ValueError(f"a field needs 2-D inputs, got {X.shape[1]} dimensions")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(hi - lo, 1e-9) * float(margin)
    lo, hi = lo - pad, hi + pad
    return np.linspace(lo[0], hi[0], int(resolution)), np.linspace(lo[1], hi[1], int(resolution))
