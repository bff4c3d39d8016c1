"""Fields: a round's model and strategy evaluated over the whole plane, for 2-D data.

On a dataset whose inputs are 2-D the input space *is* the picture, so each
Round can carry what its model predicts and what its strategy would score at
every point of a grid over the data (``Round.field``). The Session computes it
while the round runs (the round's model is gone afterwards); the plots only
draw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ._validation import RandomLike

__all__ = ["Field", "grid", "compute", "NoPointwiseScore"]


@dataclass
class Field:
    """A round's model and strategy on a regular grid over the 2-D input plane.

    x : (gx,) float, grid coordinates along the first input dimension.
    y : (gy,) float, grid coordinates along the second.
    proba : (gy, gx, C) float32, the round's task model at each grid point (None before a model exists).
    score : (gy, gx) float, the strategy's own quantity at each grid point ("higher = pick first"), or
        None for a strategy without a pointwise score.
    name : str, what ``score`` is, in a few words (e.g. "margin −(p₁ − p₂)").
    """

    x: np.ndarray
    y: np.ndarray
    proba: Optional[np.ndarray]
    score: Optional[np.ndarray]
    name: str

    @property
    def points(self) -> np.ndarray:
        """(gy * gx, 2) the grid points, row by row (y outer, x inner), as the strategy scored them."""
        xx, yy = np.meshgrid(self.x, self.y)
        return np.column_stack([xx.ravel(), yy.ravel()])

    @property
    def predicted(self) -> Optional[np.ndarray]:
        """(gy, gx) int, the predicted class at each grid point (None without a model)."""
        return None if self.proba is None else np.asarray(self.proba).argmax(axis=-1)


class NoPointwiseScore(ValueError):
    """A strategy's quantity cannot be computed at new inputs this round (it lives in a space given only
    for the pool, such as the dataset's own features); a field then draws the model alone."""


def grid(X: npt.ArrayLike, resolution: int = 100, margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) grid coordinates over the bounding box of 2-D points ``X``, widened by ``margin`` of its size."""
    X = np.asarray(X, dtype=np.float64)
    X = X.reshape(len(X), -1)
    if X.shape[1] != 2:
        raise ValueError(f"a field needs 2-D inputs, got {X.shape[1]} dimensions")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(hi - lo, 1e-9) * float(margin)
    lo, hi = lo - pad, hi + pad
    return np.linspace(lo[0], hi[0], int(resolution)), np.linspace(lo[1], hi[1], int(resolution))


def compute(
    strategy: Any, ctx: Any, X: npt.ArrayLike, rng: RandomLike = None, resolution: int = 100, margin: float = 0.1
) -> Field:
    """A round's :class:`Field`: its model and its strategy's pointwise score on a grid over ``X``.

    Parameters
    ----------
    strategy : alviz.strategies.Strategy, the round's strategy (after its ``query`` on ``ctx``, so
        the state it built — a committee, a discriminator, centroids — is reused, not retrained).
    ctx : alviz.strategies.QueryContext of the round.
    X : (n, 2) the pool's inputs (the grid covers their bounding box).
    rng : None, int or Generator; pass one derived from, not shared with, the round's stream.
    resolution : int >= 2, grid points per axis (at most ``strategy.field_max_resolution`` when the
        strategy sets one: EER refits a surrogate for every point).
    margin : float >= 0, how far the grid reaches past the data, as a fraction of its extent.

    Returns
    -------
    Field with ``proba`` (gy, gx, C) float32 (None without a model) and ``score`` (gy, gx), or
    ``score`` None for a strategy that has no pointwise score (``strategy.has_pointwise_score``).
    """
    from ._validation import as_generator, check_int

    resolution = check_int(resolution, "resolution", 2, hint="grid points per axis, e.g. 100")
    cap = getattr(strategy, "field_max_resolution", None)
    if cap is not None:  # an expensive pointwise score: a coarser grid (the Field's x and y say how fine)
        resolution = min(resolution, int(cap))
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"a field needs a pool of 2-D inputs (n, 2), got shape {X.shape}")
    gx_, gy_ = grid(X, resolution, margin)
    f = Field(gx_, gy_, None, None, strategy.field_name or strategy.name)
    pts = f.points.astype(X.dtype if np.issubdtype(X.dtype, np.floating) else np.float32)
    shape = (len(gy_), len(gx_))
    if ctx.model is not None:
        f.proba = ctx.proba_of(ctx.model, pts).astype(np.float32).reshape(shape + (ctx.n_classes,))
    if strategy.has_pointwise_score:
        try:
            f.score = strategy.score_points(ctx, pts, as_generator(rng)).reshape(shape)
        except NoPointwiseScore as exc:  # e.g. a space given for the pool only: the model's regions alone
            f.name = f"{strategy.name}: no field ({exc})"
    else:  # a user's strategy without score_points: the model's regions and boundary only
        f.name = f"{strategy.name or type(strategy).__name__}: no pointwise score (implement _score_points)"
    return f
