"""Pure selectors: given scores or features, which samples to take, in pick order."""

from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike

from .._validation import RandomLike, as_generator, check_count, check_features, check_mask

__all__ = [
    "top_k",
    "k_center_greedy",
    "k_center_greedy_trace",
    "KCenterTrace",
    "sq_distances_to",
    "sq_distance_blocks",
    "reduce_sq_distances",
    "distance_to_centers",
    "kmeans_pp",
    "kmeans_pp_trace",
    "KMeansPPTrace",
    "orthogonal_greedy",
    "orthogonal_greedy_trace",
    "OrthogonalTrace",
    "covering_radius",
]


def top_k(
    scores: ArrayLike, k: int, candidates: Optional[ArrayLike] = None, tiebreak: Optional[ArrayLike] = None
) -> np.ndarray:
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
    k = check_count(k, cand.size)
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


def sq_distance_blocks(
    points: np.ndarray,
    reference: np.ndarray,
    rows: int,
    sq_points: Optional[np.ndarray] = None,
    sq_reference: Optional[np.ndarray] = None,
) -> Iterator[Tuple[int, int, np.ndarray]]:
    """Squared Euclidean distances from ``points`` to every row of ``reference``, in row blocks.

    The one home of alviz's pairwise distances: each caller reduces a block
    (nearest center, k nearest neighbours, balls of radius δ) before the next
    is built, so memory is O(rows·m), never n × m.

    Parameters
    ----------
    points : (n, d) float array.
    reference : (m, d) float array.
    rows : int, rows of ``points`` per block.
    sq_points, sq_reference : (n,) and (m,) squared row norms, optional (computed when not given).

    Yields
    ------
    (start, stop, d2) with d2 the (stop - start, m) block ‖p‖² − 2 p·r + ‖r‖², not clipped at 0
    (rounding may leave tiny negative values; callers clip or compare as they need).
    """
    P, R = points, reference
    sq_p = np.einsum("ij,ij->i", P, P) if sq_points is None else sq_points
    sq_r = np.einsum("ij,ij->i", R, R) if sq_reference is None else sq_reference
    n = len(P)
    rows = max(1, int(rows))
    for s in range(0, n, rows):
        e = min(n, s + rows)
        d2 = P[s:e] @ R.T  # (b, m)
        d2 *= -2.0
        d2 += sq_p[s:e, None]
        d2 += sq_r[None, :]
        yield s, e, d2


def reduce_sq_distances(
    points: ArrayLike, reference: ArrayLike, reduce: Callable[[np.ndarray], Any], chunk: int = 2048
) -> np.ndarray:
    """(m,) ``reduce(d2)`` per row, with d2 the (c, n) squared Euclidean distances (clipped at 0) from a
    chunk of ``points`` to every row of ``reference``: memory O(chunk·n), never m × n (see
    :func:`sq_distance_blocks`)."""
    P = np.asarray(points, dtype=np.float64)
    R = np.asarray(reference, dtype=np.float64)
    P, R = P.reshape(len(P), -1), R.reshape(len(R), -1)
    out = np.empty(len(P))
    for s, e, d2 in sq_distance_blocks(P, R, chunk):
        out[s:e] = reduce(np.maximum(d2, 0.0))
    return out


def distance_to_centers(points: ArrayLike, centers: ArrayLike, chunk: int = 2048) -> np.ndarray:
    """(m,) Euclidean distance from each row of ``points`` to its nearest row of ``centers`` (chunked)."""
    if np.shape(centers)[0] == 0:
        raise ValueError("distance_to_centers needs at least one center")
    return np.sqrt(reduce_sq_distances(points, centers, lambda d2: d2.min(axis=1), chunk))


def _min_sq_dist_to_set(features, sq_norms, centers_idx, block_elements: int = 2**21):
    """(min squared distance, nearest center's pool index) from each point to a set of centers.

    Works on blocks of pool rows so the temporary (rows, |centers|) block has at most
    min(``block_elements``, n·d/2) entries: memory stays O(n·d), never n × |centers|.
    """
    n = features.shape[0]
    block_elements = min(block_elements, max(1, features.size // 2))
    best = np.empty(n)
    arg = np.empty(n, dtype=np.int64)
    rows = max(1, block_elements // max(1, len(centers_idx)))
    for s, e, d in sq_distance_blocks(features, features[centers_idx], rows, sq_norms, sq_norms[centers_idx]):
        j = d.argmin(axis=1)
        best[s:e] = d[np.arange(len(j)), j]
        arg[s:e] = centers_idx[j]
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


def k_center_greedy_trace(
    features: ArrayLike, labeled_mask: ArrayLike, k: int, rng: RandomLike = None, candidates: Optional[ArrayLike] = None
) -> KCenterTrace:
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
    F = check_features(features, "features")
    F = F.reshape(len(F), -1).astype(np.float64, copy=False)
    n = F.shape[0]
    labeled = check_mask(labeled_mask, n)
    cand = ~labeled if candidates is None else check_mask(candidates, n, "candidates") & ~labeled
    k = check_count(k, int(cand.sum()))
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


def k_center_greedy(features: ArrayLike, labeled_mask: ArrayLike, k: int, rng: RandomLike = None) -> np.ndarray:
    """Indices of ``k`` k-center greedy picks in pick order; see :func:`k_center_greedy_trace`."""
    return k_center_greedy_trace(features, labeled_mask, k, rng).indices


# ============================================================================ gradient embeddings
#: relative size below which a difference of squared norms is rounding noise
_ROUNDING = 1e-12


class _FactorKernel:
    """Inner products of g_i = a_i ⊗ h_i (row-wise outer products) without ever building g.

    (g_i · g_j) = (a_i · a_j)(h_i · h_j), so one column of the kernel costs
    O(n·(C + d)) and nothing of size n×(C·d) exists. With ``h=None`` the rows of
    ``a`` are the vectors themselves (a plain feature matrix).
    """

    def __init__(self, a, h=None):
        A = check_features(a, "a").reshape(len(a), -1).astype(np.float64, copy=False)
        if h is None:
            H = None
            self.sq_norms = np.einsum("ij,ij->i", A, A)
        else:
            H = check_features(h, "h").reshape(len(h), -1).astype(np.float64, copy=False)
            if len(H) != len(A):
                raise ValueError(f"a has {len(A)} rows and h has {len(H)}; they must describe the same samples")
            self.sq_norms = np.einsum("ij,ij->i", A, A) * np.einsum("ij,ij->i", H, H)
        self.A, self.H = A, H

    @property
    def n(self) -> int:
        return self.A.shape[0]

    def column(self, j: int) -> np.ndarray:
        """(n,) inner products g_i · g_j."""
        col = self.A @ self.A[j]
        if self.H is not None:
            col *= self.H @ self.H[j]
        return col

    def sq_distances(self, j: int) -> np.ndarray:
        """(n,) ‖g_i − g_j‖² = ‖g_i‖² + ‖g_j‖² − 2 g_i·g_j.

        Values within rounding of 0 (≤ 1e-12 × (‖g_i‖² + ‖g_j‖²), the
        cancellation error of this formula) are set to exactly 0, so exact
        duplicates are at distance 0 and never look like a new direction.
        """
        scale = self.sq_norms + self.sq_norms[j]
        d = scale - 2.0 * self.column(j)
        d[d <= _ROUNDING * scale] = 0.0  # exact duplicates: 0, not cancellation noise
        d[j] = 0.0
        return d


class KMeansPPTrace(NamedTuple):
    """What k-means++ seeding did.

    indices : (k,) picks in draw order (row indices of ``a``).
    seed_distance : (k,) D at the time each center was drawn: the distance to
        the nearest center already chosen (0 for the first).
    """

    indices: np.ndarray
    seed_distance: np.ndarray


def kmeans_pp_trace(a: ArrayLike, h: ArrayLike, k: int, rng: RandomLike = None) -> KMeansPPTrace:
    """k-means++ seeding on g_i = a_i ⊗ h_i, factorized, with the D of every draw.

    The first center is the row with the largest ‖g‖ (deterministic; lowest
    index on ties); each next center is drawn with probability ∝ D², D the
    distance to the nearest center chosen so far. Distances come from
    ‖g_i − g_j‖² = ‖a_i‖²‖h_i‖² + ‖a_j‖²‖h_j‖² − 2(a_i·a_j)(h_i·h_j): memory is
    O(n·(C + d)), the n×(C·d) matrix is never built. Two traps are avoided:
    D² starts from the first center, not from ‖g‖² (that would seed a ghost
    center at the origin), and a chosen row is never drawn again. When every
    row left coincides with a chosen center (all D = 0, e.g. exact duplicates
    or an all-zero embedding) each remaining draw is uniform over the rows
    not yet chosen, seeded by ``rng``: k-means++ has no preference there.

    Parameters
    ----------
    a : (n, C) array, e.g. p − e_ŷ (BADGE).
    h : (n, d) array or None; None means the rows of ``a`` are the vectors.
    k : int, how many centers (0..n).
    rng : None, int or Generator, for the D² draws.

    References
    ----------
    Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding. SODA.
    Ash, J. T. et al. (2020). Deep batch active learning by diverse, uncertain gradient lower bounds. ICLR.
    """
    K = _FactorKernel(a, h)
    n = K.n
    k = check_count(k, n)
    gen = as_generator(rng)
    picks = np.empty(k, dtype=np.int64)
    seed_d = np.zeros(k)
    avail = np.ones(n, dtype=bool)
    d2 = np.zeros(n)
    for t in range(k):
        if t == 0:
            i = int(np.argmax(K.sq_norms))
        else:
            w = np.where(avail, d2, 0.0)
            cum = np.cumsum(w)
            if cum[-1] > 0:
                i = int(np.searchsorted(cum, gen.random() * cum[-1], side="right"))
                i = min(i, int(np.flatnonzero(w)[-1]))  # u rounding up to the total
            else:  # every row left coincides with a center: a uniform draw among them
                i = int(gen.choice(np.flatnonzero(avail)))
            seed_d[t] = np.sqrt(d2[i])
        picks[t] = i
        avail[i] = False
        di = K.sq_distances(i)
        d2 = di if t == 0 else np.minimum(d2, di, out=d2)
    return KMeansPPTrace(picks, seed_d)


def kmeans_pp(a: ArrayLike, h: ArrayLike, k: int, rng: RandomLike = None) -> np.ndarray:
    """Indices of ``k`` k-means++ seeds on a ⊗ h in draw order; see :func:`kmeans_pp_trace`."""
    return kmeans_pp_trace(a, h, k, rng).indices


class OrthogonalTrace(NamedTuple):
    """What orthogonal greedy selection did.

    indices : (k,) picks in order.
    residual_norm : (k,) each pick's residual ‖g − proj(g)‖ at the moment it was
        picked (0 for tie picks made once everything left lay in the span).
    initial_residual : (n,) every row's residual after projecting out ``span``
        and before any pick (‖g‖ when ``span`` is empty).
    span_rank : int, how many ``span`` rows were linearly independent.
    """

    indices: np.ndarray
    residual_norm: np.ndarray
    initial_residual: np.ndarray
    span_rank: int


def orthogonal_greedy_trace(
    a: ArrayLike,
    h: ArrayLike,
    k: int,
    candidates: Optional[ArrayLike] = None,
    span: Optional[ArrayLike] = None,
    tol: float = 1e-10,
) -> OrthogonalTrace:
    """Pivoted Gram–Schmidt on g_i = a_i ⊗ h_i: pick the row with the largest residual, repeat.

    Each pick is the candidate whose vector has the largest norm after
    projecting out the span of the rows already chosen (and first of the rows
    in ``span``, e.g. the labeled set): the one that adds the most new
    direction. It runs in kernel form (pivoted Cholesky of
    K_ij = (a_i·a_j)(h_i·h_j)), which is pivoted Gram–Schmidt written with
    inner products only: exact, O(n·(C + d)) per pick plus an n×rank factor,
    and no n×(C·d) matrix or sketch is needed however large C·d is.

    A row whose squared residual is at or below ``tol`` × its own squared
    norm lies in the span (numerically): a ``span`` row like that adds no
    direction, and a candidate like that is not picked while others remain.
    Once every candidate left lies in the span, picks are ties; they go to
    the largest ‖g‖, then the lowest index, and record residual 0.

    Parameters
    ----------
    a : (n, C) array; h : (n, d) array or None (rows of ``a`` are the vectors).
    k : int.
    candidates : (n,) bool, optional; rows that may be picked (default all not in ``span``).
    span : int array, optional; rows whose span is projected out before picking.
    tol : float, relative tolerance on squared residuals (see above).
    """
    K = _FactorKernel(a, h)
    n = K.n
    span_idx = np.zeros(0, dtype=np.int64) if span is None else np.asarray(span, dtype=np.int64).reshape(-1)
    if span_idx.size and (span_idx.min() < 0 or span_idx.max() >= n):
        raise ValueError(f"span indices must lie in 0..{n - 1}")
    avail = np.ones(n, dtype=bool) if candidates is None else check_mask(candidates, n, "candidates").copy()
    avail[span_idx] = False
    k = check_count(k, int(avail.sum()), "candidates")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol={tol!r} must be a finite number >= 0")
    resid = K.sq_norms.copy()  # (n,) squared residual norms
    floor = tol * K.sq_norms  # (n,) at or below: in the span
    basis = np.zeros((n, max(1, min(n, span_idx.size + k))))  # L: kernel ≈ L Lᵀ, one column per pivot
    rank = 0

    def add_pivot(p: int):
        nonlocal rank, basis
        if rank == basis.shape[1]:
            basis = np.concatenate([basis, np.zeros_like(basis)], axis=1)
        col = K.column(p) - basis[:, :rank] @ basis[p, :rank]  # (n,) residual inner products with row p
        col /= np.sqrt(resid[p])
        basis[:, rank] = col
        rank += 1
        np.maximum(resid - col * col, 0.0, out=resid)
        resid[p] = 0.0

    for p in span_idx:
        if resid[p] > floor[p]:
            add_pivot(int(p))
    span_rank = rank
    initial = np.sqrt(resid)
    picks = np.empty(k, dtype=np.int64)
    picked_resid = np.zeros(k)
    for t in range(k):
        masked = np.where(avail & (resid > floor), resid, -1.0)
        i = int(np.argmax(masked))
        if masked[i] > 0:
            picked_resid[t] = np.sqrt(masked[i])
            add_pivot(i)
        else:  # everything left lies in the span: a tie, broken by ‖g‖ then index
            i = int(np.argmax(np.where(avail, K.sq_norms, -1.0)))
        picks[t] = i
        avail[i] = False
    return OrthogonalTrace(picks, picked_resid, initial, span_rank)


def orthogonal_greedy(
    a: ArrayLike, h: ArrayLike, k: int, candidates: Optional[ArrayLike] = None, span: Optional[ArrayLike] = None
) -> np.ndarray:
    """Indices of ``k`` pivoted Gram–Schmidt picks in order; see :func:`orthogonal_greedy_trace`."""
    return orthogonal_greedy_trace(a, h, k, candidates, span).indices


def covering_radius(points: ArrayLike, centers_idx: ArrayLike) -> float:
    """The covering radius of ``points`` by the centers ``points[centers_idx]``: the largest distance from a
    point to its nearest center (every point lies within it of some center); NaN without centers.

    Parameters
    ----------
    points : (n, d) array
        The points to cover.
    centers_idx : (m,) int array
        Row indices of the centers.

    Returns
    -------
    float
    """
    X = np.asarray(points, dtype=np.float64)
    X = X.reshape(len(X), -1)
    idx = np.unique(np.asarray(centers_idx, dtype=np.int64))
    if idx.size == 0:
        return float("nan")
    return float(distance_to_centers(X, X[idx]).max())
