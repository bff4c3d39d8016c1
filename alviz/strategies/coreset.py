"""Core-set: k-center greedy in the task model's embedding."""

from __future__ import annotations

from .._params import Options
from ..selection import distance_to_centers, reduce_sq_distances
from ._kcenter import kcenter_centers, kcenter_result
from .base import NoPointwiseScore, Strategy, check_embedding_name, register

#: the spaces core-set may run in: "auto" (the dataset's own features when it has them, else the model's),
#: "model" (the task model's penultimate features, as in the paper), "features" (the dataset's own)
_EMBEDDINGS = ("auto", "model", "features")

__all__ = ["CoreSet", "kcenter_result", "distance_to_centers", "kcenter_centers", "reduce_sq_distances"]


@register
class CoreSet(Strategy):
    """k-center greedy (Sener & Savarese 2018) on the task model's penultimate features.

    Each pick is the unlabeled sample farthest from its nearest labeled (or
    already picked) sample; memory is O(n·d). With nothing labeled the first
    pick is seeded and random and the features are the raw inputs.

    Parameters
    ----------
    embedding : "auto" (default) | "model" | "features"
        The space: the task model's embedding (the paper's), or the dataset's own features
        (``from_arrays(..., features=F)``); "auto" uses the dataset's own features when it has them.

    References
    ----------
    Sener, O. & Savarese, S. (2018). Active learning for convolutional neural
    networks: a core-set approach. ICLR.
    """

    name = "coreset"
    requires = frozenset({"embedding"})
    field_name = "core-set: distance to labeled (model space)"

    _parameter_constraints = {"embedding": [Options(_EMBEDDINGS)]}

    def __init__(self, embedding: str = "auto"):
        self.embedding = embedding

    def _validate_params(self):
        check_embedding_name(self, _EMBEDDINGS)
        super()._validate_params()

    def _requires(self) -> frozenset:
        # your own features need no model embedding; "auto" on data without them is the paper's model space
        return frozenset() if isinstance(self.embedding, str) and self.embedding == "features" else super()._requires()

    def _uses_features(self, ctx) -> bool:
        return self.embedding == "features" or (self.embedding == "auto" and ctx.features is not None)

    def _score_points(self, ctx, X, rng):
        if self._uses_features(ctx):
            raise NoPointwiseScore("core-set runs in the dataset's own features, which exist for the pool only")
        return distance_to_centers(ctx.embed_points(X), kcenter_centers(self, ctx, ctx.embedding))

    def _query(self, ctx, budget, rng):
        if self._uses_features(ctx):
            F = ctx.own_features(self.name)
            return kcenter_result(
                F,
                ctx,
                budget,
                rng,
                strategy=self,
                embedding_source="features",
                representation=F,
                representation_name="your features",
            )
        return kcenter_result(ctx.embedding, ctx, budget, rng, strategy=self, embedding_source=ctx.embedding_source)
