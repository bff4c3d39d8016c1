"""CDAL: k-center greedy in the contextual-diversity distance (symmetric KL of class-conditional softmax means)."""

from __future__ import annotations

import numpy as np

from ..selection import k_center_greedy_by
from typing import Optional

from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["CDAL", "contextual_distance", "class_conditional_means", "symmetric_kl", "distance_to_set"]

#: probabilities are clipped here before the log (the authors' code drops the NaN/inf terms instead)
_EPS = 1e-12


def symmetric_kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """0.5 KL(p‖q) + 0.5 KL(q‖p) = 0.5 Σ (p − q)(log p − log q) of matching rows (clipped at 1e-12).

    Parameters
    ----------
    p, q : (..., C) probability vectors.

    Returns
    -------
    (...,) float64
    """
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, None)
    q = np.clip(np.asarray(q, dtype=np.float64), _EPS, None)
    return 0.5 * np.sum((p - q) * (np.log(p) - np.log(q)), axis=-1)


def class_conditional_means(proba: np.ndarray, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """(C, C) P^c: for each predicted class c, the (weighted) mean softmax of the regions predicted c.

    CDAL's contextual representation of one image from its regions' softmax vectors ``proba`` (r, C)
    (pixels, boxes; one region for a classified image), weights default 1 (the authors' preprocessing
    weights by each region's entropy). A class no region predicts has a row of NaN.

    Parameters
    ----------
    proba : (r, C) softmax vectors of one image's regions.
    weights : (r,) or None.

    Returns
    -------
    (C, C) float64, row c = P^c.

    References
    ----------
    Agarwal, S. et al. (2020). Contextual diversity for active learning. ECCV (Eq. 1).
    """
    P = np.asarray(proba, dtype=np.float64)
    w = np.ones(len(P)) if weights is None else np.asarray(weights, dtype=np.float64)
    C = P.shape[1]
    pred = P.argmax(axis=1)
    out = np.full((C, C), np.nan)
    for c in range(C):
        sel = pred == c
        if sel.any():
            out[c] = np.average(P[sel], axis=0, weights=w[sel])
    return out


def contextual_distance(Pa: np.ndarray, Pb: np.ndarray) -> float:
    """CDAL's contextual diversity of two images from their (C, C) class-conditional means: the mean over
    the classes both predict of the symmetric KL of their rows; with no class in common, the symmetric
    KL of their overall mean softmax (the authors' code gives 0 there, see docs/strategies.md).

    Parameters
    ----------
    Pa, Pb : (C, C) class-conditional means (:func:`class_conditional_means`).

    Returns
    -------
    float

    References
    ----------
    Agarwal, S. et al. (2020). Contextual diversity for active learning. ECCV (Eq. 2-3).
    """
    A, B = np.asarray(Pa, dtype=np.float64), np.asarray(Pb, dtype=np.float64)
    both = ~np.isnan(A).any(axis=1) & ~np.isnan(B).any(axis=1)
    if both.any():
        return float(symmetric_kl(A[both], B[both]).mean())
    return float(symmetric_kl(np.nanmean(A, axis=0), np.nanmean(B, axis=0)))


def _distance_rows(P: np.ndarray):
    """distance_to(idx) -> (n, m) symmetric KL between every row of P and the rows idx (one region each)."""
    Pc = np.clip(P, _EPS, None)
    L = np.log(Pc)
    s = np.einsum("ij,ij->i", Pc, L)

    def distance_to(idx):
        idx = np.asarray(idx, dtype=np.int64)
        d = s[:, None] + s[idx][None, :] - Pc @ L[idx].T - L @ Pc[idx].T
        return np.maximum(0.5 * d, 0.0)

    return distance_to


def distance_to_set(P_points: np.ndarray, P_set: np.ndarray) -> np.ndarray:
    """(m,) the contextual distance from each row of ``P_points`` to its nearest row of ``P_set``.

    Parameters
    ----------
    P_points : (m, C) softmax vectors.
    P_set : (s, C) softmax vectors, s >= 1.

    Returns
    -------
    (m,) float64
    """
    A = np.clip(np.asarray(P_points, dtype=np.float64), _EPS, None)
    B = np.clip(np.asarray(P_set, dtype=np.float64), _EPS, None)
    LA, LB = np.log(A), np.log(B)
    out = np.empty(len(A))
    sb = np.einsum("ij,ij->i", B, LB)
    for s in range(0, len(A), 2048):
        a, la = A[s : s + 2048], LA[s : s + 2048]
        d = np.einsum("ij,ij->i", a, la)[:, None] + sb[None, :] - a @ LB.T - la @ B.T
        out[s : s + 2048] = np.maximum(0.5 * d, 0.0).min(axis=1)
    return out


@register
class CDAL(Strategy):
    """Contextual-diversity active learning (core-set form): k-center greedy in the contextual distance.

    A classified sample is one region, so its class-conditional softmax mean P^ŷ is its own softmax
    p at its predicted class ŷ (:func:`class_conditional_means`), and the contextual diversity of two
    samples (:func:`contextual_distance`) is the symmetric KL d(i, j) = ½ KL(p_i‖p_j) + ½ KL(p_j‖p_i).
    k-center greedy (:func:`alviz.selection.k_center_greedy_by`) starts from the labeled samples as
    centres; each pick is the unlabeled sample farthest, in d, from its nearest centre. Works with any
    model that gives probabilities.

    ``scores``: each unlabeled sample's contextual distance to its nearest labeled sample (what the
    first pick maximises). Field: the same distance at any point of the plane.

    Extras (as core-set's): ``distance_to_labeled`` (n_pool,), ``covering_radius`` (k,),
    ``pick_nearest_center`` (k,), ``pick_distance`` (k,), ``nearest_center`` (n_pool,).

    References
    ----------
    Agarwal, S., Arora, H., Anand, S. & Arora, C. (2020). Contextual diversity for active learning.
    ECCV. Code: github.com/sharat29ag/CDAL.
    """

    name = "cdal"
    requires = frozenset({"model"})
    field_name = "CDAL: contextual distance (symmetric KL) to the nearest labeled sample"

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ctx.require_model()
        centres = ctx.proba[ctx.labeled_mask] if ctx.labeled_mask.any() else ctx.proba[[self._state(ctx, "first")]]
        return distance_to_set(ctx.proba_points(X), centres)

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        ctx.require_model()
        P = ctx.proba
        tr = k_center_greedy_by(_distance_rows(P), ctx.n_pool, ctx.labeled_mask, budget, rng)
        self._keep_state(ctx, "first", int(tr.indices[0]))
        extras = {
            "distance_to_labeled": tr.initial_distance,
            "covering_radius": tr.covering_radius,
            "pick_nearest_center": tr.pick_nearest_center,
            "pick_distance": tr.pick_distance,
            "nearest_center": tr.nearest_center,
        }
        return QueryResult(tr.indices, candidate_scores(ctx, tr.initial_distance), extras)
