"""Pure selectors: given scores or features, which samples to take, in pick order."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import RandomLike, as_generator, check_features, check_mask

__all__ = ["top_k", "k_center_greedy", "k_center_greedy_trace", "KCenterTrace", "sq_distances_to"]


def top_k(scores, k: int, candidates=None, tiebreak=None) -> np.ndarray:
    """The ``k`` candidates with the highest scores, best first.

    Ties go to the higher ``tiebreak`` value when given, then to the lower
    index (a stable order), so results are reproducible.

    Parameters
    ----------
    scores : (n,) array
    k : int
    candidates : (m,) int array or (n,) bool mask, optional
        Where to pick from; default every sample.
    tiebreak : (n,) array, optional
        A secondary score for equal scores (e.g. the consensus entropy for vote entropy).
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {s.shape}")
    n = s.shape[0]
    if candidates is None:
        cand = np.arange(n)
    else:
        c = np.asarray(candidates)
        cand = np.flatnonzero(c) if c.dtype == bool else c.astype(np.int64)
        if c.dtype == bool and c.shape != (n,):
            raise ValueError(f"candidate mask has shape {c.shape}, expected ({n},)")
    if k < 0 or k > cand.size:
        raise ValueError(f"k={k} must be between 0 and the {cand.size} candidates")
    cs = s[cand]
    if np.isnan(cs).any():
        raise ValueError("scores are NaN for some candidates; a candidate needs a score")
    keys = (cand, -cs) if tiebreak is None else (cand, -np.asarray(tiebreak, dtype=np.float64)[cand], -cs)
    order = np.lexsort(keys)  # by score descending, then tiebreak descending, then index ascending
    return cand[order[:k]].astype(np.int64)


def sq_distances_to(features: np.ndarray, center: np.ndarray, sq_norms: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances from every row of ``features`` to one ``center`` (n,)."""
    d = sq_norms - 2.0 * (features @ center) + float(center @ center)
    return np.maximum(d, 0.0)


def _min_sq_dist_to_set(features, sq_norms, centers_idx, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(min squared distance, argmin index into centers_idx) from each point to a set, chunked: O(n + chunk*n) memory."""
    n = features.shape[0]
    best = np.full(n, np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    for start in range(0, len(centers_idx), chunk):
        idx = centers_idx[start:start + chunk]
        C = features[idx]  # (c, d)
        d = sq_norms[:, None] - 2.0 * (features @ C.T) + sq_norms[idx][None, :]  # (n, c)
        j = d.argmin(axis=1)
        dj = d[np.arange(n), j]
        better = dj < best
        best[better] = dj[better]
        arg[better] = idx[j[better]]
    return np.maximum(best, 0.0), arg


class KCenterTrace(NamedTuple):
    """What k-center greedy did, for the pictures.

    indices : (k,) picks in order.
    covering_radius : (k,) max over the pool of the distance to the nearest center, after each pick.
    pick_nearest_center : (k,) each pick's nearest center at the moment it was picked
        (-1 for a seeded first pick when there was no center).
    pick_distance : (k,) that distance.
    initial_distance : (n,) distance of every point to its nearest labeled point before any pick
        (inf when nothing is labeled).
    nearest_center : (n,) index of every point's nearest center after all picks.
    """

    indices: np.ndarray
    covering_radius: np.ndarray
    pick_nearest_center: np.ndarray
    pick_distance: np.ndarray
    initial_distance: np.ndarray
    nearest_center: np.ndarray


def k_center_greedy_trace(features, labeled_mask, k: int, rng: RandomLike = None, candidates=None) -> KCenterTrace:
    """k-center greedy (Sener & Savarese 2018) with its diagnostics.

    Starts from the labeled points as centers; each pick is the candidate
    farthest from its nearest center. A running min-distance vector keeps
    memory at O(n·d): no n×n matrix is ever built. When nothing is labeled the
    first pick is a seeded uniform draw from the candidates.

    Parameters
    ----------
    features : (n, d) array
    labeled_mask : (n,) bool
    k : int
    rng : None, int or Generator
        Used only for the first pick when nothing is labeled.
    candidates : (n,) bool, optional
        Points that may be picked; default all unlabeled ones.

    References
    ----------
    Sener, O. & Savarese, S. (2018). Active learning for convolutional neural
    networks: a core-set approach. ICLR.
    """
    F = check_features(features, "features").reshape(len(features), -1).astype(np.float64, copy=False)
    n = F.shape[0]
    labeled = check_mask(labeled_mask, n)
    cand = ~labeled if candidates is None else check_mask(candidates, n, "candidates") & ~labeled
    if k < 0 or k > int(cand.sum()):
        raise ValueError(f"k={k} must be between 0 and the {int(cand.sum())} candidates")
    sq = np.einsum("ij,ij->i", F, F)
    lab_idx = np.flatnonzero(labeled)
    if lab_idx.size:
        min_sq, nearest = _min_sq_dist_to_set(F, sq, lab_idx)
    else:
        min_sq, nearest = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    initial = np.sqrt(min_sq)
    picks = np.empty(k, dtype=np.int64)
    radius = np.empty(k)
    pick_center = np.empty(k, dtype=np.int64)
    pick_dist = np.empty(k)
    avail = cand.copy()
    for t in range(k):
        if not np.isfinite(min_sq).any():  # nothing labeled yet: seeded first pick
            i = int(as_generator(rng).choice(np.flatnonzero(avail)))
        else:
            masked = np.where(avail, min_sq, -1.0)
            i = int(np.argmax(masked))
        picks[t] = i
        pick_center[t] = nearest[i]
        pick_dist[t] = np.sqrt(min_sq[i]) if np.isfinite(min_sq[i]) else np.inf
        avail[i] = False
        d = sq_distances_to(F, F[i], sq)
        closer = d < min_sq
        min_sq[closer] = d[closer]
        nearest[closer] = i
        min_sq[i] = 0.0
        nearest[i] = i
        radius[t] = np.sqrt(min_sq.max())
    return KCenterTrace(picks, radius, pick_center, pick_dist, initial, nearest)


def k_center_greedy(features, labeled_mask, k: int, rng: RandomLike = None) -> np.ndarray:
    """Indices of ``k`` k-center greedy picks in pick order; see :func:`k_center_greedy_trace`."""
    return k_center_greedy_trace(features, labeled_mask, k, rng).indices
