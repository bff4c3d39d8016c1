"""k-means sampling: k = budget clusters of the unlabeled embedding; the sample nearest each centre."""

from __future__ import annotations

import numpy as np

from ..selection import distance_to_centers, kmeans_nearest
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["KMeansSampling"]


@register
class KMeansSampling(Strategy):
    """k-means sampling: k-means with k = budget on the unlabeled samples' embedding; pick the sample
    nearest each centre.

    The rule of DeepAL+'s ``KMeansSampling``, DISTIL and small-text: scikit-learn's k-means
    (k-means++ initialisation, one seeded run) on the task model's penultimate features of the
    unlabeled pool (the raw inputs while nothing is labeled); each pick is the unlabeled sample
    closest to its own centre (:func:`alviz.selection.kmeans_nearest`; clusters partition the
    samples, so picks are distinct; duplicates that leave fewer distinct clusters are filled by
    k-center greedy from the picks). Picks are in centre order.

    ``scores``: minus each unlabeled sample's distance to its own centre. Field: minus the distance
    to the nearest of this round's centres.

    Extras: ``cluster`` (n_pool,) the k-means cluster of each unlabeled sample (-1 for labeled),
    ``centroids`` (k, d), ``distance_to_centroid`` (n_pool,) (NaN for labeled).

    References
    ----------
    Zhan, X., Wang, Q., Huang, K., Xiong, H., Dou, D. & Chan, A. B. (2022). A comparative survey of deep
    active learning (DeepAL+). arXiv:2203.13450.
    """

    name = "kmeans"
    requires = frozenset({"embedding"})
    field_name = "k-means: minus the distance to the nearest centre"

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return -distance_to_centers(ctx.embed_points(X), self._state(ctx, "centres"))

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        cand = ctx.candidates
        km = kmeans_nearest(ctx.embedding[cand], budget, rng)
        self._keep_state(ctx, "centres", km.centers)
        cluster = np.full(ctx.n_pool, -1, dtype=np.int64)
        cluster[cand] = km.cluster
        dist = np.full(ctx.n_pool, np.nan)
        dist[cand] = km.distance
        extras = {
            "cluster": cluster,
            "centroids": np.asarray(km.centers, dtype=np.float64),
            "distance_to_centroid": dist,
        }
        return QueryResult(cand[km.indices], candidate_scores(ctx, -dist), extras)
