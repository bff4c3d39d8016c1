"""Expected gradient length (expected model change)."""

from __future__ import annotations

import numpy as np

from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["ExpectedGradientLength", "expected_gradient_length"]


def expected_gradient_length(proba: np.ndarray, h: np.ndarray) -> np.ndarray:
    """sum_c p_c ||grad_theta loss(x, c)||_2 for the last (linear) layer, in closed form.

    For logits z = W h + b and cross-entropy at label c, the gradient with
    respect to [W, b] is (p - e_c) ⊗ [h; 1], whose L2 (Frobenius) norm is
    ||p - e_c||_2 · ||[h; 1]||_2.

    proba : (n, C); h : (n, d). Returns (n,).
    """
    p = np.asarray(proba, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    sq = (p**2).sum(axis=1, keepdims=True)  # (n, 1)
    # ||p - e_c||^2 = ||p||^2 - 2 p_c + 1
    diff_norm = np.sqrt(np.maximum(sq - 2.0 * p + 1.0, 0.0))  # (n, C)
    h_norm = np.sqrt((h**2).sum(axis=1) + 1.0)  # (n,)
    return (p * diff_norm).sum(axis=1) * h_norm


@register
class ExpectedGradientLength(Strategy):
    """Expected gradient length (EGL) of the task model's last layer.

    Score = sum_c p(c|x) ||∇_θ ℓ(x, c)||_2 with θ the output layer's weights
    and bias, computed in closed form (a true L2 norm, not the L1 sum of
    absolute values one public version uses).

    References
    ----------
    Settles, B., Craven, M. & Ray, S. (2008). Multiple-instance active learning. NeurIPS.
    Huang, J. et al. (2016). Active learning for speech recognition: the power of gradients. arXiv:1612.03226.
    """

    name = "egl"
    requires = frozenset({"model", "embedding"})
    field_name = "expected gradient length"

    def _score_points(self, ctx, X, rng):
        ctx.require_model(self.name)
        return expected_gradient_length(ctx.proba_points(X), ctx.embed_points(X))

    def _query(self, ctx, budget, rng):
        ctx.require_model(self.name)
        egl = expected_gradient_length(ctx.proba, ctx.embedding)
        s = candidate_scores(ctx, egl)
        return QueryResult(top_k(s, budget, ctx.candidates), s, {"expected_gradient_length": egl})
