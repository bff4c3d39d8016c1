"""Selectors of the representation-aware line after BADGE: k-means nearest-to-centre (kmeans, alfa_mix),
k-center greedy under any distance (cdal) and the round-robin over clusters (cluster_margin)."""

from __future__ import annotations

import warnings
from typing import Callable, NamedTuple, Optional

import numpy as np
from numpy.typing import ArrayLike

from .._validation import RandomLike, as_generator, check_count, check_features, check_mask
from ._core import KCenterTrace, k_center_greedy_trace

__all__ = ["KMeansNearest", "kmeans_nearest", "k_center_greedy_by", "round_robin_clusters"]


class KMeansNearest(NamedTuple):
    """What k-means sampling did, for the pictures.

    indices : (k,) picks: the point nearest each centre (centre order), then any fill-ins.
    cluster : (n,) the k-means cluster of every row.
    centers : (K, d) the centres.
    distance : (n,) each row's distance to its own centre.
    """

    indices: np.ndarray
    cluster: np.ndarray
    centers: np.ndarray
    distance: np.ndarray


def kmeans_nearest(features: ArrayLike, k: int, rng: RandomLike = None) -> KMeansNearest:
    """k-means with k clusters on ``features``; pick the row nearest each centre.

    K-means sampling as DeepAL+, DISTIL and small-text run it (scikit-learn's
    ``KMeans``, k-means++ initialisation, one run seeded from ``rng``). Each
    pick is the row closest to its own centre (clusters partition the rows, so
    the picks are distinct). When fewer than k distinct clusters come back
    (duplicate rows), the rest are filled by k-center greedy from the picks.

    Parameters
    ----------
    features : (n, d) array.
    k : int, 1 <= k <= n.
    rng : None, int or Generator.

    Returns
    -------
    KMeansNearest
    """
    from sklearn.cluster import KMeans

    F = check_features(features, "features")
    F = F.reshape(len(F), -1).astype(np.float64, copy=False)
    n = len(F)
    k = check_count(k, n)
    gen = as_generator(rng)
    n_distinct = int(np.unique(F, axis=0).shape[0])
    K = min(k, n_distinct)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning on duplicate rows: handled below
        km = KMeans(n_clusters=K, n_init=1, random_state=int(gen.integers(0, 2**31 - 1))).fit(F)
    labels = km.labels_.astype(np.int64)
    centers = km.cluster_centers_
    dist = np.linalg.norm(F - centers[labels], axis=1)
    picks = []
    for c in range(K):
        members = np.flatnonzero(labels == c)
        if members.size:
            picks.append(int(members[np.argmin(dist[members])]))
    picks_arr = np.asarray(picks, dtype=np.int64)
    if picks_arr.size < k:  # too few distinct clusters: the farthest rows from the picks so far
        taken = np.zeros(n, dtype=bool)
        taken[picks_arr] = True
        more = k_center_greedy_trace(F, taken, k - picks_arr.size, gen).indices
        picks_arr = np.concatenate([picks_arr, more])
    return KMeansNearest(picks_arr, labels, centers, dist)


def k_center_greedy_by(
    distance_to: Callable[[np.ndarray], np.ndarray],
    n: int,
    labeled_mask: ArrayLike,
    k: int,
    rng: RandomLike = None,
    candidates: Optional[ArrayLike] = None,
) -> KCenterTrace:
    """k-center greedy (as :func:`k_center_greedy_trace`) under any distance: ``distance_to(idx)`` gives
    the (n, len(idx)) distances from every row to the rows ``idx``.

    The same rule (start from the labeled rows as centres; each pick is the candidate farthest from
    its nearest centre; a seeded first pick when nothing is labeled), for distances that are not
    Euclidean in any feature space (CDAL's symmetric KL).

    Parameters
    ----------
    distance_to : callable, (m,) int indices -> (n, m) float distances (>= 0).
    n : int, the number of rows.
    labeled_mask : (n,) bool.
    k : int.
    rng : None, int or Generator, used only for a first pick with nothing labeled.
    candidates : (n,) bool, optional, rows that may be picked (default: every unlabeled one).

    Returns
    -------
    KCenterTrace, its distances in ``distance_to``'s units.
    """
    labeled = check_mask(labeled_mask, n)
    cand = ~labeled if candidates is None else check_mask(candidates, n, "candidates") & ~labeled
    k = check_count(k, int(cand.sum()))
    lab_idx = np.flatnonzero(labeled)
    if lab_idx.size:
        best, nearest = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        for s in range(0, lab_idx.size, 256):
            block = lab_idx[s : s + 256]
            d = np.asarray(distance_to(block), dtype=np.float64)
            j = d.argmin(axis=1)
            dj = d[np.arange(n), j]
            closer = dj < best
            best[closer], nearest[closer] = dj[closer], block[j[closer]]
        min_d = best
    else:
        min_d, nearest = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    initial = min_d.copy()
    picks, radius = np.empty(k, dtype=np.int64), np.empty(k)
    pick_center, pick_dist = np.empty(k, dtype=np.int64), np.empty(k)
    avail = cand.copy()
    for t in range(k):
        if not np.isfinite(min_d).any():
            i = int(as_generator(rng).choice(np.flatnonzero(avail)))
        else:
            i = int(np.argmax(np.where(avail, min_d, -1.0)))
        picks[t], pick_center[t] = i, nearest[i]
        pick_dist[t] = min_d[i]
        avail[i] = False
        d = np.asarray(distance_to(np.array([i])), dtype=np.float64)[:, 0]
        closer = d < min_d
        min_d[closer], nearest[closer] = d[closer], i
        min_d[i], nearest[i] = 0.0, i
        radius[t] = min_d.max()
    return KCenterTrace(picks, radius, pick_center, pick_dist, initial, nearest)


def round_robin_clusters(cluster: ArrayLike, candidates: ArrayLike, k: int, rng: RandomLike = None) -> np.ndarray:
    """``k`` of ``candidates`` taken round-robin over their clusters, smallest cluster first (Cluster-Margin).

    The candidates are grouped by ``cluster``; the groups are sorted by their number of candidates
    (ascending; ties by cluster id); each pass takes one not-yet-taken candidate, at random
    (seeded), from every group that still has one, until ``k`` are taken.

    Parameters
    ----------
    cluster : (n,) int, the cluster of every row.
    candidates : (m,) int, distinct row indices.
    k : int, 1 <= k <= m.
    rng : None, int or Generator.

    Returns
    -------
    (k,) int64 row indices in pick order.

    References
    ----------
    Citovsky, G. et al. (2021). Batch active learning at scale. NeurIPS (Algorithm 1).
    """
    cl = np.asarray(cluster, dtype=np.int64)
    cand = np.asarray(candidates, dtype=np.int64).reshape(-1)
    k = check_count(k, cand.size)
    gen = as_generator(rng)
    ids, counts = np.unique(cl[cand], return_counts=True)
    order = ids[np.lexsort((ids, counts))]
    groups = [list(gen.permutation(cand[cl[cand] == c])) for c in order]
    out = []
    while len(out) < k:
        for g in groups:
            if g and len(out) < k:
                out.append(int(g.pop(0)))
    return np.asarray(out, dtype=np.int64)
