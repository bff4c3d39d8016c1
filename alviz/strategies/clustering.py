"""Clustering-based diversity: TypiClust, prototypes (k-means centroids) and ProbCover.

Each rule is a public pure function on a feature matrix (``typicality``,
``typiclust_select``, ``prototype_select``, ``purity_radius``,
``max_coverage``); the strategies only choose the space (``embedding``:
the dataset's own features when it has them, else the contrastive embedding, by default;
the task model's, or the raw input) and
package the diagnostics.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from .._validation import (RandomLike, as_generator, check_bool, check_count, check_features, check_int,
                           check_mask, check_number, torch_seed)
from .._device import check_device
from .base import NoPointwiseScore, QueryResult, Strategy, candidate_scores, check_embedding_name, register
from ._representations import CONTRASTIVE_NAME, check_encoder_params, contrastive_transform, pool_contrastive_embedding
from ..selection import distance_to_centers, reduce_sq_distances, sq_distance_blocks

__all__ = [
    "typicality", "typicality_against", "kmeans", "typiclust_select", "TypiclustSelection", "prototype_select",
    "PrototypeSelection", "purity_radius", "ball_graph", "max_coverage", "TypiClust", "Prototype", "ProbCover",
]

#: past this many clusters k-means runs as MiniBatchKMeans (as TypiClust does)
MINIBATCH_ABOVE = 50


def _as_matrix(features, name: str = "features") -> np.ndarray:
    F = check_features(features, name)
    return F.reshape(len(F), -1).astype(np.float64, copy=False)


def _n_distinct(F: np.ndarray) -> int:
    return int(np.unique(F, axis=0).shape[0])


# ============================================================================ pure cores
def typicality(features, n_neighbors=None, chunk: int = 1024) -> np.ndarray:
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
            f"typicality needs 1 <= n_neighbors <= n - 1 (n = {n} samples), got {k}; "
            "a single sample has no neighbours"
        )
    sq = np.einsum("ij,ij->i", F, F)
    mean_dist = np.empty(n)
    for s, e, d2 in sq_distance_blocks(F, F, chunk, sq, sq):  # (c, n)
        d2[np.arange(e - s), np.arange(s, e)] = np.inf  # a sample is not its own neighbour
        nearest = np.partition(np.maximum(d2, 0.0), k - 1, axis=1)[:, :k]  # (c, k)
        mean_dist[s:e] = np.sqrt(nearest).mean(axis=1)
    return 1.0 / (mean_dist + 1e-5)


def typicality_against(points, reference, n_neighbors=None, chunk: int = 1024) -> np.ndarray:
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


def kmeans(features, n_clusters: int, rng: RandomLike = None):
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


def typiclust_select(features, labeled_mask, k: int, rng: RandomLike = None, max_clusters: int = 500,
                     min_cluster_size: int = 5) -> TypiclustSelection:
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


def prototype_select(features, labeled_mask, k: int, rng: RandomLike = None) -> PrototypeSelection:
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


def purity_radius(features, pseudo_labels, purity: float = 0.95) -> float:
    """ProbCover's δ: the largest radius whose open balls are pure for at least ``purity`` of the samples.

    A ball B(x, δ) = {x' : ‖x' − x‖ < δ} is pure when every sample in it has
    x's pseudo-label, i.e. when δ ≤ d(x), the distance from x to the nearest
    sample of another pseudo-label. The fraction of pure balls falls as δ
    grows, so the answer is an order statistic of d: with m = ⌊(1 − purity)·n⌋,
    δ = the (m+1)-th smallest d(x).

    Exact, without all n² distances on a large pool: a projection onto a few
    principal directions gives each d(x) a lower bound, and the true distance
    to the projection's nearest other-label sample an upper bound; the
    (m+1)-th smallest upper bound caps δ, and d(x) is computed exactly only
    for the samples whose lower bound is under that cap (the others are above δ).

    References
    ----------
    Yehuda, O., Dekel, A., Hacohen, G. & Weinshall, D. (2022). Active learning
    through a covering lens. NeurIPS.
    """
    from sklearn.neighbors import NearestNeighbors

    F = _as_matrix(features)
    y = np.asarray(pseudo_labels)
    if y.shape != (len(F),):
        raise ValueError(f"pseudo_labels has shape {y.shape}, expected ({len(F)},)")
    if not 0 < purity <= 1:
        raise ValueError(f"purity={purity!r} must be in (0, 1]")
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError("purity_radius needs at least 2 pseudo-labels: with one, every ball is pure")
    m = int(np.floor((1.0 - purity) * len(F) + 1e-9))
    d = np.full(len(F), np.inf)  # +inf: d(x) is known to be above the answer
    proj = _PrincipalBounds.of(F) if len(F) > _PRUNE_ABOVE else None
    if proj is not None:  # bounds in a few principal directions rule most samples out (see _PrincipalBounds)
        lower, upper, trees = np.empty(len(F)), np.empty(len(F)), {}
        for c in classes:
            inside, other = np.flatnonzero(y == c), np.flatnonzero(y != c)
            trees[c] = cKDTree(proj.Z[other])
            lo, j = trees[c].query(proj.Z[inside], k=1)
            lower[inside] = lo
            upper[inside] = np.sqrt(_sq_dist_pairs(F, inside, other[j]))  # a real other-label sample
        r = proj.widen(float(np.partition(upper, m)[m]))  # d ≤ upper: the answer is at most this
        for c in classes:  # d(x) exactly where it may be ≤ r: its nearest other-label sample is within r
            here, other = np.flatnonzero((y == c) & (lower <= r)), np.flatnonzero(y != c)
            probe = here[np.random.default_rng(0).choice(here.size, min(here.size, 200), replace=False)]
            if here.size and trees[c].query_ball_point(proj.Z[probe], r, return_length=True).mean() > \
                    _PRUNE_MAX_PER_ROW:  # the projection does not separate these: brute force
                d[here] = NearestNeighbors(n_neighbors=1).fit(F[other]).kneighbors(F[here])[0][:, 0]
            elif here.size:
                near = trees[c].query_ball_point(proj.Z[here], r)  # (|here|,) lists, none empty
                sizes = np.fromiter((len(v) for v in near), dtype=np.int64, count=len(near))
                j = other[np.concatenate([np.asarray(v, dtype=np.int64) for v in near])]
                d2 = _sq_dist_pairs(F, np.repeat(here, sizes), j)
                d[here] = np.sqrt(np.minimum.reduceat(d2, np.concatenate([[0], np.cumsum(sizes)[:-1]])))
        return float(np.partition(d, m)[m])
    for c in classes:
        inside = y == c
        d[inside] = NearestNeighbors(n_neighbors=1).fit(F[~inside]).kneighbors(F[inside])[0][:, 0]
    return float(np.partition(d, m)[m])


#: elements of the distance block held at once by ball_graph (rows × n): bounded memory whatever n
_BLOCK_ELEMENTS = 2**21
#: pools up to this size skip the projection bounds (the dense blocks are quick there)
_PRUNE_ABOVE = 2_000
#: principal directions of the projection bounds (a k-d tree stays fast in this many dimensions)
_PRUNE_DIMS = 8
#: the pruned ball graph is used while its candidate pairs stay under this many per sample
_PRUNE_MAX_PER_ROW = 256
#: ... and only when the principal directions hold this share of the variance
_PRUNE_MIN_CAPTURED = 0.95


class _PrincipalBounds:
    """Coordinates of the samples in a few principal directions: ‖P(x − x')‖ ≤ ‖x − x'‖ for any pair.

    P has orthonormal rows (the top right-singular vectors of a seeded
    subsample), so a projected distance is a lower bound of the true one; a
    k-d tree on the projection finds every pair that *may* be within a radius,
    and the true distance decides. ``widen`` pads a radius past the rounding
    of the projection, so no pair is ever lost.
    """

    def __init__(self, F: np.ndarray, dims: int = _PRUNE_DIMS, sample: int = 10_000):
        sub = F if len(F) <= sample else F[np.random.default_rng(0).choice(len(F), sample, replace=False)]
        center = sub.mean(axis=0)
        _, sv, Vt = np.linalg.svd(sub - center, full_matrices=False)
        #: the share of the subsample's variance in these directions (how tight the bounds can be)
        self.captured = float((sv[:dims] ** 2).sum() / max((sv ** 2).sum(), np.finfo(float).tiny))
        self.Z = (F - center) @ Vt[:dims].T  # (n, dims)
        self.scale = float(np.sqrt(np.einsum("ij,ij->i", F - center, F - center).max(initial=0.0)))

    @classmethod
    def of(cls, F: np.ndarray):
        """The projection of F, or None when it holds under 95% of the variance (bounds too loose to pay)."""
        proj = cls(F, min(_PRUNE_DIMS, F.shape[1]))
        return proj if proj.captured >= _PRUNE_MIN_CAPTURED else None

    def widen(self, r: float) -> float:
        return float(r) * (1.0 + 1e-7) + 1e-9 * self.scale


def _sq_dist_pairs(F: np.ndarray, i: np.ndarray, j: np.ndarray, chunk: int = 2**16) -> np.ndarray:
    """(p,) Σ(F[i] − F[j])² for index pairs, in chunks (exactly symmetric: the same value for (j, i))."""
    out = np.empty(len(i))
    for s in range(0, len(i), chunk):
        diff = F[i[s:s + chunk]] - F[j[s:s + chunk]]  # (c, d)
        out[s:s + chunk] = np.einsum("ij,ij->i", diff, diff)
    return out


def _ball_graph_pruned(F: np.ndarray, d2_cut: float):
    """The ball graph from the pairs a k-d tree on the projection finds, or None when too many are candidates."""
    n = len(F)
    proj = _PrincipalBounds.of(F)
    if proj is None:
        return None
    tree = cKDTree(proj.Z)
    r = proj.widen(np.sqrt(d2_cut))
    probe = np.random.default_rng(0).choice(n, min(n, 1000), replace=False)
    if tree.query_ball_point(proj.Z[probe], r, return_length=True).mean() > _PRUNE_MAX_PER_ROW:
        return None  # the projection does not separate this data: the dense blocks are cheaper
    pairs = tree.query_pairs(r, output_type="ndarray")  # (p, 2), i < j
    i, j = pairs[:, 0], pairs[:, 1]
    keep = _sq_dist_pairs(F, i, j) < d2_cut
    i, j = i[keep], j[keep]
    diag = np.arange(n)
    rows = np.concatenate([i, j, diag])
    cols = np.concatenate([j, i, diag])
    order = np.lexsort((cols, rows))
    counts = np.bincount(rows, minlength=n)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    idx = cols[order].astype(np.int32)
    return sparse.csr_matrix((np.ones(idx.size, dtype=bool), idx, indptr), shape=(n, n))


def ball_graph(features, delta: float, block_elements: int = _BLOCK_ELEMENTS) -> sparse.csr_matrix:
    """(n, n) sparse boolean matrix, A[i, j] = ‖x_i − x_j‖ < δ (symmetric, diagonal set).

    Built in row blocks of at most ``block_elements`` distances, so the dense
    work is bounded (about 16 MB per block) and the only thing that grows is
    the graph itself: 5 bytes per pair closer than δ (bool data, int32 column
    indices). Distances come from ‖a‖² − 2a·b + ‖b‖²; pairs whose value is
    within rounding of δ² are recomputed as Σ(a − b)², which is exactly
    symmetric, so A is symmetric even at the boundary.

    On pools of more than 2 000 samples the candidate pairs come first from a
    k-d tree on the top 8 principal directions (projected distances are lower
    bounds of the true ones, :class:`_PrincipalBounds`) and each candidate's true
    Σ(a − b)² decides: the same graph without the n² distances, while the
    candidates stay few (the 8 directions hold ≥ 95% of the variance and a
    probe of 1 000 samples has at most 256 candidates each; otherwise the
    dense blocks run).
    """
    F = _as_matrix(features)
    n = len(F)
    if n > _PRUNE_ABOVE:
        A = _ball_graph_pruned(F, float(delta) * float(delta))
        if A is not None:
            return A
    sq = np.einsum("ij,ij->i", F, F)
    d2_cut = float(delta) * float(delta)
    tol = 1e-9 * (2.0 * float(sq.max(initial=0.0)) + d2_cut)  # beyond the rounding of the expansion
    rows_per = max(1, int(block_elements) // max(n, 1))
    indices, counts = [], np.zeros(n, dtype=np.int64)
    for s, e, d2 in sq_distance_blocks(F, F, rows_per, sq, sq):  # (c, n)
        d2[np.arange(e - s), np.arange(s, e)] = -1.0  # a sample is in its own ball
        flat = np.flatnonzero(d2 < d2_cut + tol)  # maybe inside: row-major, so sorted by row
        r, c = np.divmod(flat, n)
        v = d2.ravel()[flat]
        unsure = (v > d2_cut - tol) & (r + s != c)
        if unsure.any():  # exactly symmetric recomputation at the boundary
            v[unsure] = ((F[s + r[unsure]] - F[c[unsure]]) ** 2).sum(axis=1)
            keep = v < d2_cut
            r, c = r[keep], c[keep]
        counts[s:e] = np.bincount(r, minlength=e - s)
        indices.append(c.astype(np.int32))
    indptr = np.concatenate([[0], np.cumsum(counts)])
    idx = np.concatenate(indices) if indices else np.zeros(0, np.int32)
    return sparse.csr_matrix((np.ones(idx.size, dtype=bool), idx, indptr), shape=(n, n))


def _row_sums(A: sparse.csr_matrix, values: np.ndarray, chunk: int = 2**22) -> np.ndarray:
    """(n,) int64: Σ_{j in row i} values[j] for a CSR pattern (every row non-empty), in chunks of about
    ``chunk`` stored entries (no float copy of A, bounded temporaries)."""
    n = A.shape[0]
    out = np.zeros(n, dtype=np.int64)
    start = 0
    while start < n:
        end = int(np.searchsorted(A.indptr, A.indptr[start] + chunk, side="right")) - 1
        end = min(n, max(end, start + 1))
        lo, hi = A.indptr[start], A.indptr[end]
        seg = values[A.indices[lo:hi]].astype(np.int64)
        out[start:end] = np.add.reduceat(seg, A.indptr[start:end] - lo)
        start = end
    return out


def max_coverage(features, labeled_mask, delta: float, k: int, rng: RandomLike = None):
    """Greedy max coverage with balls of radius δ (ProbCover's selection).

    Points within δ of a labeled sample start covered. Each pick is the
    candidate whose ball holds the most uncovered points (ties: lowest index);
    once everything is covered the rest are seeded uniform draws, as in the
    paper.

    The gains are kept up to date instead of recomputed: when a point becomes
    covered, every ball holding it (its own row, the graph being symmetric)
    loses one. Work is O(pairs + k·n) and memory that of the sparse graph
    (:func:`ball_graph`), so a 30 000-point pool stays well under 1.5 GB.

    Returns
    -------
    indices : (k,) in pick order.
    covered : (n,) bool after the picks.
    gain : (n,) number of uncovered points in each sample's ball before any pick.
    """
    F = _as_matrix(features)
    n = len(F)
    mask = check_mask(labeled_mask, n)
    k = check_count(k, int((~mask).sum()))
    if not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"delta={delta!r} must be a finite radius > 0")
    rng = as_generator(rng)
    A = ball_graph(F, delta)
    indptr, indices = A.indptr, A.indices
    covered = np.zeros(n, dtype=bool)
    if mask.any():
        covered[A[np.flatnonzero(mask)].indices] = True
    gain0 = _row_sums(A, ~covered)
    gain = gain0.copy()
    avail = ~mask
    picks = np.empty(k, dtype=np.int64)
    for t in range(k):
        g = np.where(avail, gain, -1)
        i = int(np.argmax(g)) if g.max() > 0 else int(rng.choice(np.flatnonzero(avail)))
        picks[t] = i
        avail[i] = False
        ball = indices[indptr[i]:indptr[i + 1]]
        new = ball[~covered[ball]]  # points this pick covers
        if new.size:
            covered[new] = True
            hit = np.concatenate([indices[indptr[p]:indptr[p + 1]] for p in new])  # balls that held them
            gain -= np.bincount(hit, minlength=n)
    return picks, covered, gain0.astype(np.float64)


# ============================================================================ strategies
#: "auto": the dataset's own features when it has them (``from_arrays(..., features=F)``), else "contrastive"
_EMBEDDINGS = ("auto", "contrastive", "model", "input", "features")


class _EmbeddingStrategy(Strategy):
    """Shared parameters and the choice of space for the clustering strategies."""

    def __init__(self, embedding: str = "auto", encoder_seed: int = 0, encoder_params=None,
                 progress: bool = True, device: str = "cpu"):
        self.device = device
        self.embedding = embedding
        self.encoder_seed = encoder_seed
        self.encoder_params = encoder_params
        self.progress = progress

    def _requires(self) -> frozenset:
        # the task model's space needs a model with embed(X); the contrastive and input spaces need nothing
        return super()._requires() | ({"embedding"} if isinstance(self.embedding, str)
                                      and self.embedding == "model" else set())

    def _space(self, ctx) -> str:
        """The space this round: "auto" resolved to "features" (the dataset has its own) or "contrastive"."""
        if self.embedding == "auto":
            return "features" if ctx.features is not None else "contrastive"
        return self.embedding

    def _validate_params(self):
        check_embedding_name(self, _EMBEDDINGS)
        check_encoder_params(self.encoder_seed, self.encoder_params)
        check_bool(self.progress, "progress", hint="a progress bar while the encoder trains")
        check_device(self.device)

    def _features(self, ctx):
        """(features (n_pool, d), representation_name)."""
        space = self._space(ctx)
        if space == "features":
            return ctx.own_features(self.name), "your features"
        if space == "contrastive":
            return (pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress,
                                               self.device),
                    CONTRASTIVE_NAME)
        if space == "model":
            src = ctx.embedding_source
            return ctx.embedding, ("task model embedding" if src == "model" else "input (no model yet)")
        return check_features(ctx.flat_X(), "X").astype(np.float32, copy=False), "input"

    def _features_of(self, ctx, X) -> np.ndarray:
        """Arbitrary inputs ``X`` mapped into the space :meth:`_features` uses for the pool."""
        space = self._space(ctx)
        if space == "features":
            raise NoPointwiseScore(f"{self.name} runs in the dataset's own features, which exist for the pool only")
        if space == "contrastive":
            return contrastive_transform(ctx, X, self.encoder_seed, self.encoder_params)
        if space == "model":
            return ctx.embed_points(X)
        return check_features(X, "X").reshape(len(X), -1).astype(np.float32, copy=False)

    @staticmethod
    def _representation(F, name) -> dict:
        return {"representation": np.asarray(F, dtype=np.float32), "representation_name": name}


@register
class TypiClust(_EmbeddingStrategy):
    """TypiClust: the most typical sample of each of the least-covered clusters (low-budget regime).

    K = min(|L| + k, 500) k-means clusters on the whole pool (MiniBatchKMeans
    past 50), clusters of ≤ 5 points dropped, clusters visited by (fewest
    labeled, then largest), and each visit picks the cluster's unlabeled
    sample of highest typicality = 1 / (mean distance to its k = min(20,
    size // 2) nearest neighbours in the cluster + 1e-5). See
    :func:`typiclust_select`. The score is the typicality.

    Parameters
    ----------
    embedding : "auto" (default) | "contrastive" (as in the paper) | "model" | "input" | "features"
        "features" is the dataset's own (``from_arrays(..., features=F)``); "auto" uses them when the
        dataset has them, else the contrastive embedding.
    max_clusters : int, the cap on K (500 in the paper).
    min_cluster_size : int, clusters of at most this many points are dropped (5).
    encoder_seed, encoder_params, progress, device : the contrastive encoder (see ``contrastive_coreset``).

    References
    ----------
    Hacohen, G., Dekel, A. & Weinshall, D. (2022). Active learning on a budget:
    opposite strategies suit high and low budgets. ICML.
    """

    name = "typiclust"
    field_name = "typicality: kNN density among the pool"

    def __init__(self, embedding: str = "auto", max_clusters: int = 500, min_cluster_size: int = 5,
                 encoder_seed: int = 0, encoder_params=None, progress: bool = True, device: str = "cpu"):
        super().__init__(embedding, encoder_seed, encoder_params, progress, device)
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size

    def _validate_params(self):
        super()._validate_params()
        for name, v, lo in (("max_clusters", self.max_clusters, 1), ("min_cluster_size", self.min_cluster_size, 0)):
            check_int(v, name, lo)

    def _score_points(self, ctx, X, rng):
        """Typicality of each point among the whole pool in the strategy's space, k = min(20, n // 2).

        The pool's scores are typicality within each point's k-means cluster;
        the field reads the same density against the whole pool (a grid point
        belongs to no cluster), so the two agree where clusters are large.
        """
        F, _ = self._features(ctx)
        return typicality_against(self._features_of(ctx, X), F)

    def _query(self, ctx, budget, rng):
        F, rep_name = self._features(ctx)
        sel = typiclust_select(F, ctx.labeled_mask, budget, rng, int(self.max_clusters), int(self.min_cluster_size))
        extras = {"cluster": sel.cluster, "typicality": sel.typicality, "n_clusters": sel.n_clusters,
                  **self._representation(F, rep_name)}
        return QueryResult(sel.indices, candidate_scores(ctx, sel.scores), extras)


@register
class Prototype(_EmbeddingStrategy):
    """Prototypes: k-means with k = budget on the unlabeled embedding; pick the sample nearest each centroid.

    The score is minus the distance to the sample's own centroid (the most
    prototypical samples score highest). See :func:`prototype_select`.

    Parameters
    ----------
    embedding : "auto" (default) | "contrastive" | "model" | "input" | "features" (as in typiclust)
    encoder_seed, encoder_params, progress, device : the contrastive encoder (see ``contrastive_coreset``).

    References
    ----------
    Hacohen, G., Dekel, A. & Weinshall, D. (2022). Active learning on a budget:
    opposite strategies suit high and low budgets. ICML (k-means centroids as a
    low-budget baseline).
    Zhdanov, F. (2019). Diverse mini-batch active learning. arXiv:1901.05954.
    """

    name = "prototype"
    field_name = "prototype: −distance to the nearest centroid"

    def _score_points(self, ctx, X, rng):
        return -distance_to_centers(self._features_of(ctx, X), self._state(ctx, "centroids"))

    def _query(self, ctx, budget, rng):
        F, rep_name = self._features(ctx)
        sel = prototype_select(F, ctx.labeled_mask, budget, rng)
        self._keep_state(ctx, "centroids", sel.centroids)
        extras = {"cluster": sel.cluster, "centroids": sel.centroids,
                  "distance_to_centroid": sel.distance_to_centroid, **self._representation(F, rep_name)}
        return QueryResult(sel.indices, candidate_scores(ctx, -sel.distance_to_centroid), extras)


@register
class ProbCover(_EmbeddingStrategy):
    """ProbCover: greedy max coverage with balls of a purity-chosen radius δ.

    δ is the largest radius whose balls are ≥ ``purity`` (95%) pure under a
    k-means with C clusters (C = the number of classes) as pseudo-labels (see
    :func:`purity_radius`); then :func:`max_coverage` picks, one at a time,
    the sample whose ball covers the most points not yet within δ of a
    labeled or picked sample. The score is that coverage gain before the
    first pick. The δ-ball graph is sparse and built in bounded row blocks:
    memory is 5 bytes per pair closer than δ (a 30 000-point pool fits well
    under 1.5 GB). On large pools δ and the graph come from k-d tree bounds in
    a few principal directions (:func:`purity_radius`, :func:`ball_graph`):
    still exact, without the n² distances where the data allow it.

    References
    ----------
    Yehuda, O., Dekel, A., Hacohen, G. & Weinshall, D. (2022). Active learning
    through a covering lens. NeurIPS.
    """

    name = "probcover"
    field_name = "coverage: uncovered pool points within δ"

    def __init__(self, embedding: str = "auto", purity: float = 0.95, encoder_seed: int = 0,
                 encoder_params=None, progress: bool = True, device: str = "cpu"):
        super().__init__(embedding, encoder_seed, encoder_params, progress, device)
        self.purity = purity

    def _score_points(self, ctx, X, rng):
        """Coverage gain of a ball of radius δ at each point: the uncovered pool points (not within δ of a
        labeled sample) closer than δ, the count the first greedy pick maximises."""
        delta = self._state(ctx, "radius δ")
        F, _ = self._features(ctx)
        F = _as_matrix(F)
        lab = np.flatnonzero(ctx.labeled_mask)
        covered = (distance_to_centers(F, F[lab]) < delta) if lab.size else np.zeros(len(F), dtype=bool)
        U = F[~covered]
        P = _as_matrix(self._features_of(ctx, X), "X")
        if len(U) == 0:
            return np.zeros(len(P))
        return reduce_sq_distances(P, U, lambda d2: (d2 < delta * delta).sum(axis=1))

    def _validate_params(self):
        super()._validate_params()
        check_number(self.purity, "purity", 0.0, 1.0, exclusive_minimum=True, hint="the paper uses 0.95")

    def _query(self, ctx, budget, rng):
        F, rep_name = self._features(ctx)
        n_pseudo = min(ctx.n_classes, _n_distinct(_as_matrix(F)))
        if n_pseudo < 2:
            raise ValueError("probcover needs at least 2 distinct samples in the pool to choose its radius δ")
        pseudo, _ = kmeans(F, n_pseudo, rng)
        delta = purity_radius(F, pseudo, float(self.purity))
        self._keep_state(ctx, "radius δ", delta)
        picks, covered, gain = max_coverage(F, ctx.labeled_mask, delta, budget, rng)
        extras = {"delta": delta, "covered": covered, "pseudo_label": pseudo, **self._representation(F, rep_name)}
        return QueryResult(picks, candidate_scores(ctx, gain), extras)
