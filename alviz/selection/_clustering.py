"""Clustering cores: typicality, k-means, TypiClust's and the prototypes' selections (pure functions)."""

from __future__ import annotations

import numbers
from typing import NamedTuple, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike

from .._validation import RandomLike, as_generator, check_count, check_features, check_mask, torch_seed
from ._core import reduce_sq_distances, sq_distance_blocks

__all__ = [
    "typicality",
    "typicality_against",
    "kmeans",
    "typiclust_select",
    "TypiclustSelection",
    "prototype_select",
    "PrototypeSelection",
    "MINIBATCH_ABOVE",
]

#: past this many clusters k-means runs as MiniBatchKMeans (as TypiClust does)
MINIBATCH_ABOVE = 50


def _as_matrix(features, name: str = "features") -> np.ndarray:
    F = check_features(features, name)
    return F.reshape(len(F), -1).astype(np.float64, copy=False)


def _n_distinct(F: np.ndarray) -> int:
    return int(np.unique(F, axis=0).shape[0])


def typicality(features: ArrayLike, n_neighbors: Optional[int] = None, chunk: int = 1024) -> np.ndarray:
    """Typicality of each sample: 1 / (mean Euclidean distance to its k nearest neighbours + 1e-5).

    Neighbours are the other rows of ``features`` (the sample itself is not
    its own neighbour); k = ``n_neighbors``, default min(20, n // 2) as in
    TypiClust. Chunked: memory O(chunk·n).

    Parameters
    ----------
    features : (n, d) array, n >= 2.
    n_neighbors : int, optional, 1 <= k <= n - 1.

    Returns
    -------
    (n,) float64

    References
    ----------
    Hacohen, G., Dekel, A. & Weinshall, D. (2022). Active learning on a budget:
    opposite strategies suit high and low budgets. ICML.
    """
    F = _as_matrix(features)
    n = len(F)
    k = min(20, n // 2) if n_neighbors is None else n_neighbors
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= n - 1:
        raise ValueError(
            f"typicality needs 1 <= n_neighbors <= n - 1 (n = {n} samples), got {k}; a single sample has no neighbours"
        )
    sq = np.einsum("ij,ij->i", F, F)
    mean_dist = np.empty(n)
    for s, e, d2 in sq_distance_blocks(F, F, chunk, sq, sq):  # (c, n)
        d2[np.arange(e - s), np.arange(s, e)] = np.inf  # a sample is not its own neighbour
        nearest = np.partition(np.maximum(d2, 0.0), k - 1, axis=1)[:, :k]  # (c, k)
        mean_dist[s:e] = np.sqrt(nearest).mean(axis=1)
    return 1.0 / (mean_dist + 1e-5)


def typicality_against(
    points: ArrayLike, reference: ArrayLike, n_neighbors: Optional[int] = None, chunk: int = 1024
) -> np.ndarray:
    """Typicality of arbitrary ``points`` as density among ``reference`` samples (TypiClust's field).

    1 / (mean Euclidean distance to the k nearest rows of ``reference`` + 1e-5),
    k = ``n_neighbors``, default min(20, len(reference) // 2): the formula of
    :func:`typicality` with the reference set as the neighbours (a point is not
    one of them).
    """
    P = _as_matrix(points, "points")
    R = _as_matrix(reference, "reference")
    k = min(20, len(R) // 2) if n_neighbors is None else n_neighbors
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= len(R):
        raise ValueError(f"typicality_against needs 1 <= n_neighbors <= {len(R)} reference samples, got {k}")

    def mean_knn_distance(d2):
        return np.sqrt(np.partition(d2, k - 1, axis=1)[:, :k]).mean(axis=1)

    return 1.0 / (reduce_sq_distances(P, R, mean_knn_distance, chunk) + 1e-5)


def kmeans(features: ArrayLike, n_clusters: int, rng: RandomLike = None) -> Tuple[np.ndarray, np.ndarray]:
    """(labels (n,), centers (K, d)): KMeans, or MiniBatchKMeans past 50 clusters; seeded from ``rng``.

    ``n_clusters`` must not exceed the number of distinct rows (callers cap it).
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans

    F = _as_matrix(features)
    seed = torch_seed(as_generator(rng))
    if n_clusters > MINIBATCH_ABOVE:
        km = MiniBatchKMeans(n_clusters=n_clusters, random_state=seed, n_init=3, batch_size=max(1024, 3 * n_clusters))
    else:
        km = KMeans(n_clusters=n_clusters, random_state=seed, n_init=1)
    labels = km.fit_predict(F).astype(np.int64)
    return labels, km.cluster_centers_


class TypiclustSelection(NamedTuple):
    """indices (k,) in pick order; cluster (n,) k-means label of every sample; typicality (n,) NaN in dropped
    clusters (≤ min_cluster_size points); scores (n,) typicality everywhere (0 for a one-point cluster);
    n_clusters int."""

    indices: np.ndarray
    cluster: np.ndarray
    typicality: np.ndarray
    scores: np.ndarray
    n_clusters: int


def typiclust_select(
    features: ArrayLike,
    labeled_mask: ArrayLike,
    k: int,
    rng: RandomLike = None,
    max_clusters: int = 500,
    min_cluster_size: int = 5,
) -> TypiclustSelection:
    """TypiClust's selection: the most typical sample of the least-covered large clusters.

    1. k-means on the whole pool with K = min(|L| + k, ``max_clusters``) clusters
       (capped at the number of distinct samples).
    2. Clusters of ≤ ``min_cluster_size`` points are dropped.
    3. ``k`` times: take the cluster with the fewest labeled samples (picks count
       as labeled), then the largest, then the lowest id, among clusters with an
       unlabeled sample left; pick its unlabeled sample of highest typicality
       (:func:`typicality` within the cluster, k = min(20, size // 2)).

    Only when every large cluster has run out of unlabeled samples (tiny pools)
    do the dropped clusters become eligible, in the same order; a one-point
    cluster has typicality 0 (it has no neighbours).

    References
    ----------
    Hacohen, G., Dekel, A. & Weinshall, D. (2022). Active learning on a budget:
    opposite strategies suit high and low budgets. ICML.
    """
    F = _as_matrix(features)
    n = len(F)
    mask = check_mask(labeled_mask, n)
    k = check_count(k, int((~mask).sum()))
    n_clusters = min(int(mask.sum()) + k, int(max_clusters), _n_distinct(F))
    labels, _ = kmeans(F, max(n_clusters, 1), rng)
    K = max(n_clusters, 1)
    sizes = np.bincount(labels, minlength=K)
    large = sizes > min_cluster_size
    typ_all = np.zeros(n)
    for c in np.flatnonzero(sizes >= 2):
        members = np.flatnonzero(labels == c)
        typ_all[members] = typicality(F[members])
    typ_public = np.where(large[labels], typ_all, np.nan)
    n_labeled = np.bincount(labels[mask], minlength=K)
    avail = ~mask
    n_avail = np.bincount(labels[avail], minlength=K)
    picks = np.empty(k, dtype=np.int64)
    for t in range(k):
        eligible = (n_avail > 0) & large
        if not eligible.any():
            eligible = n_avail > 0
        cand = np.flatnonzero(eligible)
        c = cand[np.lexsort((cand, -sizes[cand], n_labeled[cand]))[0]]
        members = np.flatnonzero((labels == c) & avail)
        i = int(members[np.argmax(typ_all[members])])  # ties: lowest index
        picks[t] = i
        avail[i] = False
        n_avail[c] -= 1
        n_labeled[c] += 1
    return TypiclustSelection(picks, labels, typ_public, typ_all, K)


class PrototypeSelection(NamedTuple):
    """indices (k,) in pick order; cluster (n,) (-1 for labeled); centroids (K, d);
    distance_to_centroid (n,) (NaN for labeled)."""

    indices: np.ndarray
    cluster: np.ndarray
    centroids: np.ndarray
    distance_to_centroid: np.ndarray


def prototype_select(
    features: ArrayLike, labeled_mask: ArrayLike, k: int, rng: RandomLike = None
) -> PrototypeSelection:
    """k-means with K = k on the unlabeled samples; pick each cluster's member nearest its centroid.

    Picks are in order of cluster size (largest first). If the unlabeled
    samples have fewer than k distinct values, K is that number and the
    remaining picks go round-robin: each cluster's second-nearest member, then
    third, ... so the k picks are always distinct.
    """
    F = _as_matrix(features)
    n = len(F)
    mask = check_mask(labeled_mask, n)
    U = np.flatnonzero(~mask)
    k = check_count(k, U.size)
    cluster = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if k == 0:
        return PrototypeSelection(np.zeros(0, dtype=np.int64), cluster, np.zeros((0, F.shape[1])), dist)
    Fu = F[U]
    K = min(k, _n_distinct(Fu))
    lab_u, centers = kmeans(Fu, K, rng)
    d_u = np.linalg.norm(Fu - centers[lab_u], axis=1)  # (m,)
    sizes = np.bincount(lab_u, minlength=K)
    order = np.lexsort((U, d_u, lab_u))  # by cluster, then distance, then index
    rank = np.empty(U.size, dtype=np.int64)  # 0 = nearest member of its cluster
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank[order] = np.arange(U.size) - starts[lab_u[order]]
    pick_order = np.lexsort((U, lab_u, -sizes[lab_u], rank))  # round-robin over clusters, largest first
    cluster[U] = lab_u
    dist[U] = d_u
    return PrototypeSelection(U[pick_order[:k]].astype(np.int64), cluster, centers, dist)
