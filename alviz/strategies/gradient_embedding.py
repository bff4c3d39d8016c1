"""Representation-aware diversity on the last-layer gradient embedding: badge, gem.

The gradient embedding of a sample is g = a ⊗ h with a = p − e_ŷ (the
cross-entropy gradient at the predicted label with respect to the logits) and
h the penultimate features (``ctx.gradient_factors``). Its norm ‖a‖‖h‖ mixes
uncertainty (‖a‖) with feature magnitude; its direction says which way the
sample would push the last layer. Nothing here builds the n×(C·d) matrix:
the selectors work on the factors (:func:`alviz.selection.kmeans_pp`,
:func:`alviz.selection.orthogonal_greedy`).
"""

from __future__ import annotations

import numpy as np

from .._validation import RandomLike, as_generator, check_features
from ..selection import kmeans_pp_trace, orthogonal_greedy_trace
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["BADGE", "GEM", "gradient_embedding_sketch", "gradient_norm"]

#: the width of ``extras["representation"]`` (the agreed ≤ 256 dims)
REPRESENTATION_DIM = 256


def gradient_norm(a, h) -> np.ndarray:
    """(n,) ‖a_i ⊗ h_i‖₂ = ‖a_i‖₂ ‖h_i‖₂."""
    return np.linalg.norm(np.asarray(a, dtype=np.float64), axis=1) * np.linalg.norm(
        np.asarray(h, dtype=np.float64), axis=1
    )


def gradient_embedding_sketch(a, h, dim: int = REPRESENTATION_DIM, rng: RandomLike = None) -> np.ndarray:
    """The gradient embedding a ⊗ h (n, C·d), or a seeded Gaussian sketch of it when C·d > ``dim``.

    The sketch is g S with S a (C·d, dim) Gaussian matrix scaled by 1/√dim
    (Johnson–Lindenstrauss: distances and norms kept in expectation), computed
    as Σ_c a[:, c] · (h S_c) so g is never built: O(n·dim + C·d·dim) memory.
    Returns float32.
    """
    A = check_features(a, "a").astype(np.float64, copy=False)  # (n, C)
    H = check_features(h, "h").astype(np.float64, copy=False)  # (n, d)
    n, C = A.shape
    d = H.shape[1]
    if C * d <= dim:
        return (A[:, :, None] * H[:, None, :]).reshape(n, C * d).astype(np.float32)  # (n, C·d)
    S = as_generator(rng).standard_normal((C, d, dim)) / np.sqrt(dim)  # (C, d, dim)
    out = np.zeros((n, dim))
    for c in range(C):
        out += A[:, c : c + 1] * (H @ S[c])  # (n, dim)
    return out.astype(np.float32)


def _gradient_extras(a, h, rng) -> dict:
    return {
        "gradient_norm": gradient_norm(a, h),
        "representation": gradient_embedding_sketch(a, h, REPRESENTATION_DIM, rng),
        "representation_name": "gradient embedding (p − e_ŷ) ⊗ h"
        + (" (random sketch)" if a.shape[1] * h.shape[1] > REPRESENTATION_DIM else ""),
    }


@register
class BADGE(Strategy):
    """Batch active learning by diverse gradient embeddings: k-means++ seeding on g = (p − e_ŷ) ⊗ h.

    The first pick is the candidate with the largest ‖g‖ (most uncertain, in
    gradient terms); each next one is drawn with probability ∝ D², D its
    distance to the nearest pick so far, so the batch is uncertain and
    diverse. Factorized distances: the n×(C·d) matrix is never built
    (:func:`alviz.selection.kmeans_pp_trace`). ``scores`` is ‖g‖ (what the first
    draw maximises); ``indices`` are in the order of the draws.

    Extras: ``gradient_norm`` (n_pool,), ``seed_distance``
    (k,) the D at each draw (0 for the first), ``representation`` (a sketch of g).

    References
    ----------
    Ash, J. T., Zhang, C., Krishnamurthy, A., Langford, J. & Agarwal, A. (2020).
    Deep batch active learning by diverse, uncertain gradient lower bounds. ICLR.
    Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding. SODA.
    """

    name = "badge"
    requires = frozenset({"gradients", "model", "embedding"})
    field_name = "BADGE: gradient-embedding norm ‖g‖"

    def _score_points(self, ctx, X, rng):
        return gradient_norm(*ctx.gradient_factors_of(X))  # the same ‖a‖‖h‖ as the pool's scores

    def _query(self, ctx, budget, rng):
        a, h = ctx.gradient_factors  # (n_pool, C), (n_pool, d)
        cand = ctx.candidates
        tr = kmeans_pp_trace(a[cand], h[cand], budget, rng)
        picks = cand[tr.indices]
        extras = _gradient_extras(a, h, rng)
        extras.update(seed_distance=tr.seed_distance)
        return QueryResult(picks, candidate_scores(ctx, extras["gradient_norm"]), extras)


@register
class GEM(Strategy):
    """Gradient embedding matching, orthogonal reading: pick gradients that add new directions.

    Pivoted Gram–Schmidt on g = (p − e_ŷ) ⊗ h: each pick is the candidate whose
    gradient embedding has the largest residual after projecting out the span
    of the picks so far (and first, with ``include_labeled=True``, of the
    labeled samples' gradients). Exact and factorized
    (:func:`alviz.selection.orthogonal_greedy_trace` works with the kernel
    (a_i·a_j)(h_i·h_j)), so no sketch is needed however large C·d is.
    ``scores`` is each candidate's residual before the first pick (‖g‖, or
    its part orthogonal to the labeled gradients).

    Extras: ``residual_norm`` (k,) at pick time, ``gradient_norm`` (n_pool,),
    ``span_rank`` (independent labeled gradients projected out),
    ``representation`` (a sketch of g).

    References
    ----------
    Ash, J. T. et al. (2020). Deep batch active learning by diverse, uncertain
    gradient lower bounds. ICLR (the gradient embedding).
    Çivril, A. & Magdon-Ismail, M. (2009). On selecting a maximum volume
    sub-matrix of a matrix and related problems. Theoretical Computer Science
    410(47-49) (greedy pivoted Gram–Schmidt as volume maximisation).
    """

    name = "gem"
    requires = frozenset({"gradients", "model", "embedding"})

    _parameter_constraints = {"include_labeled": ["boolean"]}

    def __init__(self, include_labeled: bool = False):
        self.include_labeled = include_labeled

    @property
    def field_name(self) -> str:
        return (
            "gem: gradient residual after the labeled span"
            if self.include_labeled
            else "gem: gradient-embedding norm ‖g‖"
        )

    def _score_points(self, ctx, X, rng):
        """‖g‖ at each point, or with ``include_labeled=True`` the norm of g's part orthogonal to the labeled
        samples' gradient embeddings (what the first greedy pick maximises), from the factorized kernel."""
        a, h = ctx.gradient_factors_of(X)
        norm = gradient_norm(a, h)
        if not self.include_labeled or not ctx.labeled_mask.any():
            return norm
        aL, hL = (f[ctx.labeled_mask] for f in ctx.gradient_factors)
        K = (aL @ aL.T) * (hL @ hL.T)  # (m, m) labeled Gram matrix of g
        k = (a @ aL.T) * (h @ hL.T)  # (n, m)
        proj = np.einsum("ij,ij->i", k @ np.linalg.pinv(K, rcond=1e-10, hermitian=True), k)
        return np.sqrt(np.maximum(norm**2 - proj, 0.0))

    def _query(self, ctx, budget, rng):
        a, h = ctx.gradient_factors  # (n_pool, C), (n_pool, d)
        span = np.flatnonzero(ctx.labeled_mask) if self.include_labeled else None
        tr = orthogonal_greedy_trace(a, h, budget, candidates=ctx.unlabeled_mask, span=span)
        extras = _gradient_extras(a, h, rng)
        extras.update(residual_norm=tr.residual_norm, span_rank=tr.span_rank)
        return QueryResult(tr.indices, candidate_scores(ctx, tr.initial_residual), extras)
