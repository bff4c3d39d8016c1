"""Cluster-Margin: margin candidates spread round-robin over a hierarchical clustering of the pool."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .._params import Interval
from ..selection import reduce_sq_distances, round_robin_clusters, top_k
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["ClusterMargin", "average_linkage_clusters", "margin_of"]


def margin_of(proba: np.ndarray) -> np.ndarray:
    """(n,) p₁ − p₂, the top two probabilities' difference (small = uncertain).

    Parameters
    ----------
    proba : (n, C)

    Returns
    -------
    (n,) float64
    """
    P = np.sort(np.asarray(proba, dtype=np.float64), axis=1)
    return P[:, -1] - P[:, -2] if P.shape[1] > 1 else np.ones(len(P))


def average_linkage_clusters(features: np.ndarray, n_clusters: int, max_points: int = 5000, rng=None) -> np.ndarray:
    """(n,) cluster ids from hierarchical agglomerative clustering, average linkage, Euclidean distance.

    The tree is cut into ``n_clusters`` clusters (scipy's ``fcluster``, "maxclust"). Past ``max_points``
    rows a seeded sample of that many is clustered and every other row joins the cluster with the
    nearest mean (the O(n²) distances of HAC would not fit in memory at 60 000 samples).

    Parameters
    ----------
    features : (n, d)
    n_clusters : int
    max_points : int
    rng : None, int or Generator (the sample).

    Returns
    -------
    (n,) int64 cluster ids 0..K-1.

    References
    ----------
    Citovsky, G. et al. (2021). Batch active learning at scale. NeurIPS.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    F = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    n = len(F)
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    sample = np.arange(n) if n <= max_points else np.sort(gen.choice(n, max_points, replace=False))
    k = int(min(max(1, n_clusters), len(sample)))
    if len(sample) < 2:
        return np.zeros(n, dtype=np.int64)
    Z = linkage(F[sample], method="average", metric="euclidean")
    lab = fcluster(Z, t=k, criterion="maxclust").astype(np.int64) - 1
    _, lab = np.unique(lab, return_inverse=True)
    if len(sample) == n:
        return lab.astype(np.int64)
    means = np.stack([F[sample][lab == c].mean(axis=0) for c in range(lab.max() + 1)])
    out = np.empty(n, dtype=np.int64)
    out[sample] = lab
    rest = np.setdiff1d(np.arange(n), sample)
    out[rest] = reduce_sq_distances(F[rest], means, lambda d2: d2.argmin(axis=1)).astype(np.int64)
    return out


@register
class ClusterMargin(Strategy):
    """Cluster-Margin: the k_m smallest-margin samples, taken round-robin over their HAC clusters.

    Once per session (the first round it runs; kept in the Session's cache, so a saved session continues
    with the same clusters) the pool's embedding is clustered by hierarchical agglomerative clustering
    with average linkage (:func:`average_linkage_clusters`). Each round the candidates are the
    k_m = ⌈``margin_multiple`` · budget⌉ unlabeled samples with the smallest margin p₁ − p₂; they are
    grouped by cluster, the groups sorted by size (smallest first), and the picks taken one per group
    per pass, at random within a group, until the budget is met
    (:func:`alviz.selection.round_robin_clusters`).

    ``scores``: −(p₁ − p₂) on the candidates (NaN elsewhere). Field: −(p₁ − p₂) at any point.

    Extras: ``candidates`` the margin candidates, ``cluster`` (n_pool,) each candidate's cluster (-1 for
    the other samples; the whole pool's clustering stays in the Session's cache), ``n_clusters``,
    ``round_robin_pass`` (k,) the pass that took each pick (0 first).

    Parameters
    ----------
    margin_multiple : float >= 1, k_m / budget (1.25; see docs/strategies.md for where it comes from).
    n_clusters : int or None, clusters of the tree's cut; None: one per 10 pool samples (at least 2).
    max_points : int, past this many pool samples HAC runs on a seeded sample of this size.

    References
    ----------
    Citovsky, G., DeSalvo, G., Gentile, C., Karydas, L., Rajagopalan, A., Rostamizadeh, A. & Kumar, S.
    (2021). Batch active learning at scale. NeurIPS.
    """

    name = "cluster_margin"
    requires = frozenset({"model", "embedding"})
    field_name = "Cluster-Margin: −(p₁ − p₂), the margin that picks its candidates"
    _parameter_constraints = {
        "margin_multiple": [Interval(Real, 1, None, closed="left")],
        "n_clusters": [Interval(Integral, 1, None), None],
        "max_points": [Interval(Integral, 2, None)],
    }

    def __init__(self, margin_multiple: float = 1.25, n_clusters=None, max_points: int = 5000):
        self.margin_multiple = margin_multiple
        self.n_clusters = n_clusters
        self.max_points = max_points

    def _clusters(self, ctx: QueryContext, rng: np.random.Generator) -> np.ndarray:
        k = max(2, ctx.n_pool // 10) if self.n_clusters is None else int(self.n_clusters)
        key = ("cluster_margin_hac", ctx.pool_key, k, int(self.max_points))
        if key not in ctx.cache:
            seed = int(rng.integers(0, 2**31 - 1))
            ctx.cache[key] = average_linkage_clusters(ctx.embedding, k, int(self.max_points), seed)
        return np.asarray(ctx.cache[key])

    def _score_points(self, ctx, X, rng):
        return -margin_of(ctx.proba_points(X))

    def _query(self, ctx, budget, rng):
        ctx.require_model()
        cluster = self._clusters(ctx, rng)
        neg_margin = -margin_of(ctx.proba)
        k_m = min(ctx.n_unlabeled, int(math.ceil(float(self.margin_multiple) * budget)))
        cand = np.sort(top_k(neg_margin, k_m, ctx.candidates))
        picks = round_robin_clusters(cluster, cand, budget, rng)
        seen = {}
        passes = np.empty(budget, dtype=np.int64)
        for t, i in enumerate(picks):
            c = int(cluster[i])
            passes[t] = seen.get(c, 0)
            seen[c] = passes[t] + 1
        shown = np.full(ctx.n_pool, -1, dtype=np.int64)  # the candidates' clusters: what the round-robin walks
        shown[cand] = cluster[cand]
        extras = {
            "candidates": cand,
            "cluster": shown,
            "n_clusters": int(cluster.max() + 1),
            "round_robin_pass": passes,
        }
        return QueryResult(picks, candidate_scores(ctx, neg_margin, cand), extras)
