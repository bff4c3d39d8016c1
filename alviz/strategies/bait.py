"""BAIT: batch selection that minimises the trace of the inverse Fisher against the pool's Fisher.

Each sample's Fisher information for the last layer is I(x) = V_xᵀ V_x, with V_x (C × C·r) of rows
sqrt(p_c) (e_c − p) ⊗ h (Ash et al. 2021; the badge repository's "expected gradient embedding"), which
factorises as I(x) = (diag p − p pᵀ) ⊗ h hᵀ. The pure core, :func:`bait_select`, runs the paper's greedy
forward selection of 2k samples and backward removal down to k, with Woodbury updates of the inverse.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from .._params import Interval
from .._validation import check_count
from ..selection import top_k
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["BAIT", "BaitSelection", "bait_objective", "bait_select", "fisher_factors", "fisher_mean"]


def fisher_factors(proba: np.ndarray, h: np.ndarray) -> np.ndarray:
    """(n, C, C·r) V_x: row c = sqrt(p_c) (e_c − p) ⊗ h, so that V_xᵀ V_x is the last layer's Fisher at x.

    Parameters
    ----------
    proba : (n, C) probabilities.
    h : (n, r) features (the task model's embedding, or its principal components).

    Returns
    -------
    (n, C, C·r) float64
    """
    p = np.asarray(proba, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    n, C = p.shape
    S = np.sqrt(p)[:, :, None] * (np.eye(C)[None] - p[:, None, :])  # (n, C, C): row c = sqrt(p_c)(e_c - p)
    return (S[:, :, :, None] * h[:, None, None, :]).reshape(n, C, -1)


def fisher_mean(proba: np.ndarray, h: np.ndarray) -> np.ndarray:
    """(C·r, C·r) the mean of I(x) = (diag p − p pᵀ) ⊗ h hᵀ over the rows, as one product of (n, C²) by
    (n, r²) (never the (n, C, C·r) factors): Σ_x A_x ⊗ h_x h_xᵀ with A_x = diag p_x − p_x p_xᵀ."""
    p = np.asarray(proba, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    n, C = p.shape
    r = h.shape[1]
    if n == 0:
        return np.zeros((C * r, C * r))
    A = (p[:, :, None] * np.eye(C)[None] - p[:, :, None] * p[:, None, :]).reshape(n, C * C)
    W = (h[:, :, None] * h[:, None, :]).reshape(n, r * r)
    F = (A.T @ W / n).reshape(C, C, r, r)  # [i, j, k, l] = mean A[i, j] h_k h_l
    return F.transpose(0, 2, 1, 3).reshape(C * r, C * r)  # rows (i, k), columns (j, l): the Kronecker layout


def bait_objective(Minv: np.ndarray, F: np.ndarray) -> float:
    """tr(M⁻¹ F): what BAIT minimises (M the regularised Fisher of the labeled set and the batch)."""
    return float(np.einsum("ij,ji->", Minv, F))


class BaitSelection(NamedTuple):
    """indices (k,) into the candidates, the forward order of the picks kept; forward (2k,) the forward
    selection in order; objective (len(forward) + removals,) tr(M⁻¹F) after each addition, then after each
    removal; gain (m,) each candidate's decrease of the objective before the first pick."""

    indices: np.ndarray
    forward: np.ndarray
    objective: np.ndarray
    gain: np.ndarray


def _trace_changes(V: np.ndarray, Minv: np.ndarray, A: np.ndarray, sign: float) -> np.ndarray:
    """tr((sign·I + V M⁻¹ Vᵀ)⁻¹ V A Vᵀ) for every V in (m, C, D): with sign +1 the objective's decrease when
    adding each (Woodbury), with sign −1 minus its increase when removing each."""
    m, C, D = V.shape
    flat = V.reshape(m * C, D)
    VB = (flat @ Minv).reshape(m, C, D)
    VA = (flat @ A).reshape(m, C, D)
    inner = np.einsum("mcd,med->mce", VB, V) + sign * np.eye(C)[None]  # (m, C, C)
    VAV = np.einsum("mcd,med->mce", VA, V)
    sol = np.linalg.solve(inner, VAV)
    return np.trace(sol, axis1=1, axis2=2)


def _woodbury(Minv: np.ndarray, V: np.ndarray, sign: float) -> np.ndarray:
    """(M + sign·VᵀV)⁻¹ from M⁻¹ for one V (C, D)."""
    C = V.shape[0]
    BV = Minv @ V.T  # (D, C)
    inner = sign * np.eye(C) + V @ BV
    return Minv - BV @ np.linalg.solve(inner, BV.T)


def bait_select(V_cand: np.ndarray, k: int, F: np.ndarray, M0: np.ndarray, oversample: int = 2) -> BaitSelection:
    """BAIT's greedy selection: forward to ``oversample``·k picks, then backward removal to k.

    Forward: each addition is the candidate x of largest decrease of tr(M⁻¹F) when M ← M + V_xᵀV_x,
    tr((I + V M⁻¹ Vᵀ)⁻¹ V M⁻¹ F M⁻¹ Vᵀ) (Woodbury). Backward: each removal is the selected sample whose
    removal M ← M − V_xᵀV_x increases the objective least. Ties: the lowest index.

    Parameters
    ----------
    V_cand : (m, C, D) the candidates' Fisher factors, already weighted (see :class:`BAIT`).
    k : int, picks kept.
    F : (D, D) the pool's Fisher.
    M0 : (D, D) the starting M (λI plus the labeled set's Fisher).
    oversample : int, the forward selection takes min(oversample·k, m) picks.

    Returns
    -------
    BaitSelection

    References
    ----------
    Ash, J. T., Goel, S., Krishnamurthy, A. & Kakade, S. (2021). Gone fishing: neural active learning with
    Fisher embeddings. NeurIPS.
    """
    V = np.asarray(V_cand, dtype=np.float64)
    m = V.shape[0]
    k = check_count(k, m)
    n_forward = min(int(oversample) * k, m)
    Minv = np.linalg.inv(M0)
    chosen: list = []
    available = np.ones(m, dtype=bool)
    objective = []
    gain0 = None
    for _ in range(n_forward):
        A = Minv @ F @ Minv
        gain = _trace_changes(V, Minv, A, 1.0)
        if gain0 is None:
            gain0 = gain.copy()
        i = int(np.argmax(np.where(available, gain, -np.inf)))
        chosen.append(i)
        available[i] = False
        Minv = _woodbury(Minv, V[i], 1.0)
        objective.append(bait_objective(Minv, F))
    forward = np.asarray(chosen, dtype=np.int64)
    while len(chosen) > k:
        A = Minv @ F @ Minv
        change = _trace_changes(V[chosen], Minv, A, -1.0)  # = −(increase on removal)
        j = int(np.argmin(-change))
        Minv = _woodbury(Minv, V[chosen[j]], -1.0)
        del chosen[j]
        objective.append(bait_objective(Minv, F))
    return BaitSelection(
        np.asarray(chosen, dtype=np.int64), forward, np.asarray(objective), np.zeros(m) if gain0 is None else gain0
    )


@register
class BAIT(Strategy):
    """BAIT: the batch that minimises tr((M_S + λI)⁻¹ F), greedy forward 2k then backward to k.

    F = the mean over the whole pool of I(x) = V_xᵀV_x (the last layer's Fisher at the model's own
    predictions; :func:`fisher_factors`), and M_S = λI + (|L| / (|L| + k)) · mean_L I(x) +
    (k / (|L| + k)) Σ_{x in S} I(x), the weights of the authors' code. :func:`bait_select` adds, 2k times,
    the candidate of largest objective decrease, then removes, k times, the pick whose removal costs
    least. Its bounded cost (departures): the embedding h is reduced to its top ``n_components``
    principal components (D = C · n_components), and only the ``max_candidates`` unlabeled samples of
    largest first-step gain tr((I + VM⁻¹Vᵀ)⁻¹VM⁻¹FM⁻¹Vᵀ) are candidates (``extras["candidates"]``).

    Parameters
    ----------
    lam : float, default 1.0
        λ, the ridge (the authors' default).
    n_components : int or None, default 16
        Principal components of h kept; None keeps h whole.
    max_candidates : int or None, default 300
        Candidates after the first-step pre-filter; None keeps every unlabeled sample.
    oversample : int, default 2
        The forward selection takes oversample · k picks (the paper's 2).

    Extras: ``oversampled`` the forward selection in order (pool indices), ``bait_objective`` tr(M⁻¹F)
    after each addition then each removal, ``predicted``. ``scores``: each candidate's objective decrease
    before the first pick; the field is the same decrease at each grid point.

    References
    ----------
    Ash, J. T., Goel, S., Krishnamurthy, A. & Kakade, S. (2021). Gone fishing: neural active learning with
    Fisher embeddings. NeurIPS.
    """

    name = "bait"
    requires = frozenset({"model", "embedding"})
    field_name = "BAIT: tr(M⁻¹F) decrease by adding x"
    _parameter_constraints = {
        "lam": [Interval(Real, 0, None, closed="neither")],
        "n_components": [Interval(Integral, 1, None), None],
        "max_candidates": [Interval(Integral, 1, None), None],
        "oversample": [Interval(Integral, 1, None, hint="the paper uses 2")],
    }

    def __init__(
        self, lam: float = 1.0, n_components: int | None = 16, max_candidates: int | None = 300, oversample: int = 2
    ):
        self.lam = lam
        self.n_components = n_components
        self.max_candidates = max_candidates
        self.oversample = oversample

    def _state_of(self, ctx: QueryContext, budget: int):
        """(project h -> r, F, M0, weight of an added point), built once per context."""

        def build():
            h = np.asarray(ctx.embedding, dtype=np.float64)
            mean = h.mean(axis=0)
            r = self.n_components
            if r is not None and h.shape[1] > int(r):
                _, _, Vt = np.linalg.svd(h - mean, full_matrices=False)
                basis = Vt[: int(r)].T  # (d, r)
            else:
                basis = np.eye(h.shape[1])

            def project(x_h):
                return (np.asarray(x_h, dtype=np.float64) - mean) @ basis

            hp = project(h)
            p = ctx.proba
            F = fisher_mean(p, hp)
            lab = ctx.labeled_mask
            n_l = int(lab.sum())
            M0 = float(self.lam) * np.eye(F.shape[0])
            if n_l:
                M0 += n_l / (n_l + budget) * fisher_mean(p[lab], hp[lab])
            return project, hp, F, M0, budget / (n_l + budget)

        return ctx.memoize(("bait_state", self.lam, self.n_components, budget), build)

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        project, _, F, M0, w = self._state(ctx, "Fisher")
        V = fisher_factors(ctx.proba_points(X), project(ctx.embed_points(X))) * np.sqrt(w)
        Minv = np.linalg.inv(M0)
        return _trace_changes(V, Minv, Minv @ F @ Minv, 1.0)

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        ctx.require_model()
        project, hp, F, M0, w = self._state_of(ctx, budget)
        self._keep_state(ctx, "Fisher", (project, hp, F, M0, w))
        cand = ctx.candidates
        p = ctx.proba
        Minv = np.linalg.inv(M0)
        A = Minv @ F @ Minv
        gain = np.concatenate(
            [
                _trace_changes(fisher_factors(p[c], hp[c]) * np.sqrt(w), Minv, A, 1.0)
                for c in np.array_split(cand, max(1, -(-cand.size // 2048)))
            ]
        )
        full = candidate_scores(ctx, gain)
        extras: dict = {"predicted": ctx.proba.argmax(axis=1)}
        if self.max_candidates is not None and cand.size > max(int(self.max_candidates), budget):
            cand = np.sort(top_k(full, max(int(self.max_candidates), budget), cand))
            extras["candidates"] = cand
        sel = bait_select(fisher_factors(p[cand], hp[cand]) * np.sqrt(w), budget, F, M0, int(self.oversample))
        extras["oversampled"] = cand[sel.forward]
        extras["bait_objective"] = sel.objective
        return QueryResult(cand[sel.indices], candidate_scores(ctx, full, where=cand), extras)
