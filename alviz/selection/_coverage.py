"""Coverage cores: ProbCover's purity radius, the δ-ball graph and greedy max coverage (pure functions)."""

from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.spatial import cKDTree

from .._validation import RandomLike, as_generator, check_count, check_mask
from ._clustering import _as_matrix
from ._core import sq_distance_blocks

__all__ = ["purity_radius", "ball_graph", "max_coverage"]


def purity_radius(features: ArrayLike, pseudo_labels: ArrayLike, purity: float = 0.95) -> float:
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
            if (
                here.size
                and trees[c].query_ball_point(proj.Z[probe], r, return_length=True).mean() > _PRUNE_MAX_PER_ROW
            ):  # the projection does not separate these: brute force
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
        self.captured = float((sv[:dims] ** 2).sum() / max((sv**2).sum(), np.finfo(float).tiny))
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
        diff = F[i[s : s + chunk]] - F[j[s : s + chunk]]  # (c, d)
        out[s : s + chunk] = np.einsum("ij,ij->i", diff, diff)
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


def ball_graph(features: ArrayLike, delta: float, block_elements: int = _BLOCK_ELEMENTS) -> sparse.csr_matrix:
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


def max_coverage(
    features: ArrayLike, labeled_mask: ArrayLike, delta: float, k: int, rng: RandomLike = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        ball = indices[indptr[i] : indptr[i + 1]]
        new = ball[~covered[ball]]  # points this pick covers
        if new.size:
            covered[new] = True
            hit = np.concatenate([indices[indptr[p] : indptr[p + 1]] for p in new])  # balls that held them
            gain -= np.bincount(hit, minlength=n)
    return picks, covered, gain0.astype(np.float64)
