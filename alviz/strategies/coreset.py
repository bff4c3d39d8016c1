"""Core-set: k-center greedy in the task model's embedding."""
from __future__ import annotations

from ..selection import distance_to_centers, reduce_sq_distances
from ._kcenter import kcenter_centers, kcenter_result
from .base import Strategy, register

__all__ = ["CoreSet", "kcenter_result", "distance_to_centers", "kcenter_centers", "reduce_sq_distances"]


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
