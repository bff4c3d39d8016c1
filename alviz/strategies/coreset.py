"""Core-set: k-center greedy in the task model's embedding."""
from __future__ import annotations

import numpy as np

from ..selection import distance_to_centers, k_center_greedy_trace, reduce_sq_distances
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["CoreSet", "kcenter_result", "distance_to_centers", "kcenter_centers", "reduce_sq_distances"]


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
    return QueryResult(tr.indices, s, extras)


@register
class CoreSet(Strategy):
    """k-center greedy (Sener & Savarese 2018) on the task model's penultimate features.

    Each pick is the unlabeled sample farthest from its nearest labeled (or
    already picked) sample; memory is O(n·d). With nothing labeled the first
    pick is seeded and random and the features are the raw inputs.

    References
    ----------
    Sener, O. & Savarese, S. (2018). Active learning for convolutional neural
    networks: a core-set approach. ICLR.
    """

    name = "coreset"
    requires = frozenset({"embedding"})
    field_name = "core-set: distance to labeled (model space)"

    def _score_points(self, ctx, X, rng):
        return distance_to_centers(ctx.embed_points(X), kcenter_centers(self, ctx, ctx.embedding))

    def _query(self, ctx, budget, rng):
        return kcenter_result(ctx.embedding, ctx, budget, rng, strategy=self, embedding_source=ctx.embedding_source)
