"""The k-center greedy step shared by core-set and contrastive core-set (one in the task model's
embedding, one in a self-supervised one), packaged as a :class:`QueryResult` with its diagnostics."""

from __future__ import annotations

import numpy as np

from ..selection import covering_radius, k_center_greedy_trace
from .base import QueryResult, candidate_scores

__all__ = ["kcenter_centers", "kcenter_result", "input_covering_radius"]


def kcenter_centers(strategy, ctx, features) -> np.ndarray:
    """The centers the k-center greedy started from this round: the labeled rows of ``features``,
    or the seeded first pick when nothing was labeled (kept by :func:`kcenter_result`)."""
    F = np.asarray(features)
    if ctx.labeled_mask.any():
        return F[ctx.labeled_mask]
    return F[[strategy._state(ctx, "first pick")]]


def kcenter_result(features, ctx, budget, rng, strategy=None, **extra) -> QueryResult:
    """Run the shared k-center greedy from the labeled set and package its diagnostics.

    Scores are each candidate's distance to its nearest labeled sample at the
    start (the quantity the first pick maximises); with nothing labeled they
    are the distance to the first (seeded) pick.
    """
    tr = k_center_greedy_trace(features, ctx.labeled_mask, budget, rng)
    if strategy is not None and len(tr.indices):
        strategy._keep_state(ctx, "first pick", int(tr.indices[0]))
    dist0 = tr.initial_distance
    if not np.isfinite(dist0).any():  # empty labeled set: distance to the seeded first pick
        F = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
        dist0 = np.linalg.norm(F - F[tr.indices[0]], axis=1)
    s = candidate_scores(ctx, dist0)
    extras = {
        "covering_radius": tr.covering_radius,
        "pick_nearest_center": tr.pick_nearest_center,
        "pick_distance": tr.pick_distance,
        "nearest_center": tr.nearest_center,
        "distance_to_labeled": tr.initial_distance,
        **extra,
    }
    if np.shape(ctx.X)[1:] == (2,):  # 2-D data: the same cover read in the input plane (the overlay's circles)
        extras["input_covering_radius"] = input_covering_radius(ctx.X, ctx.labeled_mask, tr.indices)
    return QueryResult(tr.indices, s, extras)


def input_covering_radius(X, labeled_mask, picks) -> float:
    """The covering radius, in input units, of the pool ``X`` by its labeled samples and the round's picks."""
    centers = np.concatenate([np.flatnonzero(np.asarray(labeled_mask, dtype=bool)), np.asarray(picks, np.int64)])
    return covering_radius(X, centers)
