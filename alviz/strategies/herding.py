"""MaxHerding and Uncertainty Herding: greedy maximisation of a smooth kernel coverage.

Generalised coverage (Bae et al. 2024) of a labeled set L is C(L) = (1/m) Σ_i max_{l in L} k(x_i, x_l)
over the pool's points x_i, with a Gaussian kernel k(x, x') = exp(−‖x − x'‖² / σ²) (ProbCover's
coverage is the top-hat kernel of radius δ). MaxHerding adds, one at a time, the candidate whose addition
raises the coverage most; Uncertainty Herding (Bae et al. 2025) weights each covered point by the task
model's uncertainty u_i, UC(L) = (1/m) Σ_i u_i max_l k(x_i, x_l). The pure core is
:func:`herding_select`; the strategies choose the space and the weights.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from .. import scores
from .._params import Interval, Options
from .._validation import check_count, check_features
from ..selection import sq_distance_blocks
from ._representations import CONTRASTIVE_NAME, ENCODER_PARAMS, contrastive_transform, pool_contrastive_embedding
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = [
    "HerdingSelection",
    "MaxHerding",
    "UHerding",
    "coverage",
    "expected_calibration_error",
    "gaussian_kernel",
    "herding_select",
]


def gaussian_kernel(a: np.ndarray, b: np.ndarray, bandwidth: float) -> np.ndarray:
    """(n, m) exp(−‖a_i − b_j‖² / σ²), σ = ``bandwidth``."""
    A = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    B = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    out = np.empty((len(A), len(B)))
    for s, e, d2 in sq_distance_blocks(A, B, 2048):
        out[s:e] = np.exp(-np.maximum(d2, 0.0) / (bandwidth * bandwidth))
    return out


def coverage(features: np.ndarray, selected: np.ndarray, bandwidth: float, weights: np.ndarray | None = None) -> float:
    """(Uncertainty) coverage (1/n) Σ_i w_i max_{s in selected} k(x_i, x_s) of the rows of ``features``
    (0 for an empty selection); w = 1 unless ``weights`` are given."""
    F = np.asarray(features, dtype=np.float64)
    sel = np.asarray(selected, dtype=np.int64)
    if sel.size == 0:
        return 0.0
    w = np.ones(len(F)) if weights is None else np.asarray(weights, dtype=np.float64)
    return float((w * gaussian_kernel(F, F[sel], bandwidth).max(axis=1)).mean())


class HerdingSelection(NamedTuple):
    """indices (k,) into the candidates in pick order; gain (k,) the coverage increase of each pick;
    first_gain (m,) each candidate's increase before the first pick; start (m,) max_l k(x_i, x_l)."""

    indices: np.ndarray
    gain: np.ndarray
    first_gain: np.ndarray
    start: np.ndarray


def herding_select(
    features: np.ndarray,
    k: int,
    bandwidth: float,
    labeled_features: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> HerdingSelection:
    """Greedy (uncertainty) herding over the m rows of ``features`` (the candidates, which are also the
    points to cover).

    With c_i = max_{l in L ∪ picks} k(x_i, x_l) (0 with nothing labeled), each pick is the candidate j of
    largest gain (1/m) Σ_i w_i max(k(x_i, x_j) − c_i, 0), the increase of the coverage
    (1/m) Σ_i w_i c_i; then c_i ← max(c_i, k(x_i, x_j)). Ties: the lowest index. A labeled point adds
    nothing to the sum (its c is k(x, x) = 1), so covering the candidates is covering the pool.

    Parameters
    ----------
    features : (m, d) the candidates.
    k : int, picks.
    bandwidth : float, σ of the Gaussian kernel exp(−‖x − x'‖² / σ²).
    labeled_features : (n_L, d) or None, the labeled samples (they start the coverage).
    weights : (m,) or None, w_i (UHerding: the uncertainty; None: 1, MaxHerding).

    Returns
    -------
    HerdingSelection

    References
    ----------
    Bae, W., Noh, J. & Sutherland, D. J. (2024). Generalized coverage for more robust low-budget active
    learning. ECCV.
    Bae, W., Oliveira, G. L. & Sutherland, D. J. (2025). Uncertainty herding: one active learning method
    for all label budgets. ICLR.
    """
    F = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    m = len(F)
    k = check_count(k, m)
    if not np.isfinite(bandwidth) or bandwidth <= 0:
        raise ValueError(f"bandwidth={bandwidth!r} must be a finite σ > 0")
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    K = gaussian_kernel(F, F, bandwidth)  # (m, m), symmetric
    c = np.zeros(m)
    if labeled_features is not None and len(labeled_features):
        c = gaussian_kernel(F, labeled_features, bandwidth).max(axis=1)
    start = c.copy()
    available = np.ones(m, dtype=bool)
    picks = np.empty(k, dtype=np.int64)
    gains = np.empty(k)
    first = None
    for t in range(k):
        g = (w[:, None] * np.maximum(K - c[:, None], 0.0)).sum(axis=0) / m  # (m,) gain of each candidate j
        if first is None:
            first = g.copy()
        j = int(np.argmax(np.where(available, g, -np.inf)))
        picks[t], gains[t] = j, g[j]
        available[j] = False
        c = np.maximum(c, K[:, j])
    return HerdingSelection(picks, gains, np.zeros(m) if first is None else first, start)


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, n_bins: int = 15) -> float:
    """ECE: Σ_b (|B_b| / n) |accuracy(B_b) − confidence(B_b)| over ``n_bins`` equal-width confidence bins."""
    p = np.asarray(proba, dtype=np.float64)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == np.asarray(y)).astype(np.float64)
    bins = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    ece = 0.0
    for b in np.unique(bins):
        sel = bins == b
        ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def _softmax_t(proba: np.ndarray, T: float) -> np.ndarray:
    z = np.log(np.clip(proba, 1e-12, None)) / T
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


_SPACES = ("contrastive", "model", "input")


class _Herding(Strategy):
    """Shared: the space (as TypiClust's), the candidates and the greedy selection."""

    embedding: str
    bandwidth: float | str
    max_candidates: int | None
    encoder_seed: int
    encoder_params: dict | None
    progress: bool
    device: str

    _parameter_constraints = {
        "embedding": [Options(_SPACES)],
        "max_candidates": [Interval(Integral, 1, None), None],
        "encoder_seed": [Interval(Integral, 0, None)],
        "encoder_params": [None, ENCODER_PARAMS],
        "progress": ["boolean"],
        "device": ["device"],
    }

    def __init__(self, embedding, bandwidth, max_candidates, encoder_seed, encoder_params, progress, device):
        self.embedding = embedding
        self.bandwidth = bandwidth
        self.max_candidates = max_candidates
        self.encoder_seed = encoder_seed
        self.encoder_params = encoder_params
        self.progress = progress
        self.device = device

    def _requires(self) -> frozenset:
        return super()._requires() | ({"embedding"} if self.embedding == "model" else set())

    def _features(self, ctx: QueryContext):
        """(unit-length rows in the contrastive or model space, raw inputs in "input"; its name)."""
        if self.embedding == "contrastive":
            F = pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress, self.device)
            return np.asarray(F, dtype=np.float64), CONTRASTIVE_NAME
        if self.embedding == "model":
            name = "task model embedding" if ctx.embedding_source == "model" else "input (no model yet)"
            return _unit(ctx.embedding), name
        return check_features(ctx.flat_X(), "X").astype(np.float64), "input"

    def _features_of(self, ctx: QueryContext, X: np.ndarray) -> np.ndarray:
        if self.embedding == "contrastive":
            return np.asarray(
                contrastive_transform(ctx, X, self.encoder_seed, self.encoder_params, self.device), dtype=np.float64
            )
        if self.embedding == "model":
            return _unit(ctx.embed_points(X))
        return check_features(X, "X").reshape(len(X), -1).astype(np.float64)

    def _bandwidth(self, ctx: QueryContext, F: np.ndarray) -> float:
        return float(self.bandwidth)

    def _weights(self, ctx: QueryContext, cand: np.ndarray, rng: np.random.Generator, extras: dict):
        return None

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The coverage gain of adding each point before the first pick (over this round's candidates)."""
        Fc, start, w, sigma = self._state(ctx, "coverage")
        P = self._features_of(ctx, X)
        out = np.empty(len(P))
        for s in range(0, len(P), 1024):
            Kx = gaussian_kernel(Fc, P[s : s + 1024], sigma)  # (m, b)
            out[s : s + 1024] = (w[:, None] * np.maximum(Kx - start[:, None], 0.0)).sum(axis=0) / len(Fc)
        return out

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        F, name = self._features(ctx)
        cand = ctx.candidates
        extras: dict = {}
        if self.max_candidates is not None and cand.size > max(int(self.max_candidates), budget):
            cand = np.sort(rng.choice(cand, size=max(int(self.max_candidates), budget), replace=False))
            extras["candidates"] = cand
        sigma = self._bandwidth(ctx, F)
        w = self._weights(ctx, cand, rng, extras)
        lab = F[ctx.labeled_mask]
        sel = herding_select(F[cand], budget, sigma, lab, w)
        self._keep_state(ctx, "coverage", (F[cand], sel.start, np.ones(len(cand)) if w is None else w, sigma))
        extras.update(
            {
                "coverage_gain": sel.gain,
                "bandwidth": sigma,
                "representation": F.astype(np.float32),
                "representation_name": name,
            }
        )
        return QueryResult(cand[sel.indices], candidate_scores(ctx, sel.first_gain, where=cand), extras)


def _unit(F) -> np.ndarray:
    F = np.asarray(F, dtype=np.float64)
    return F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)


@register
class MaxHerding(_Herding):
    """MaxHerding: greedy maximisation of the Gaussian-kernel coverage of the pool (low budgets).

    C(L) = (1/m) Σ_i max_{l in L} k(x_i, x_l), k(x, x') = exp(−‖x − x'‖² / σ²), over the candidates x_i
    (the unlabeled pool, or a seeded subsample of ``max_candidates``; labeled points add nothing, their
    coverage is already 1). Each pick is the candidate of largest gain (1/m) Σ_i max(k(x_i, x_j) − c_i, 0),
    c_i the coverage so far (:func:`herding_select`). Needs no model: it picks from the first round on.
    The space is chosen as TypiClust's; the contrastive and model spaces are unit length.

    Parameters
    ----------
    embedding : "contrastive" (default, as the paper's self-supervised features) | "model" | "input"
    bandwidth : float, default 0.5
        σ of the kernel (the paper finds the picks robust to it; 0.5 is alviz's default on unit vectors).
    max_candidates : int or None, default 3000
        A seeded subsample of the unlabeled pool beyond this many (the kernel is m × m).
    encoder_seed, encoder_params, progress, device : the contrastive encoder (see ``contrastive_coreset``).

    Extras: ``coverage_gain`` (k,) each pick's increase of the coverage, ``bandwidth``, ``representation``,
    ``representation_name``, ``candidates`` when subsampled. ``scores``: each candidate's gain before the
    first pick; the field is that gain at each grid point.

    References
    ----------
    Bae, W., Noh, J. & Sutherland, D. J. (2024). Generalized coverage for more robust low-budget active
    learning. ECCV.
    """

    name = "maxherding"
    field_name = "MaxHerding: coverage gain of adding x"
    _parameter_constraints = {"bandwidth": [Interval(Real, 0, None, closed="neither")]}

    def __init__(
        self,
        embedding: str = "contrastive",
        bandwidth: float = 0.5,
        max_candidates: int | None = 3000,
        encoder_seed: int = 0,
        encoder_params: dict | None = None,
        progress: bool = True,
        device: str = "cpu",
    ):
        super().__init__(embedding, bandwidth, max_candidates, encoder_seed, encoder_params, progress, device)


@register
class UHerding(_Herding):
    """Uncertainty Herding: greedy maximisation of the uncertainty-weighted kernel coverage.

    UC(L) = (1/m) Σ_i u_i max_{l in L} k(x_i, x_l) with u_i = 1 − (p_(1) − p_(2)) of the task model's
    temperature-scaled probabilities (margin uncertainty) at each candidate; each pick is the candidate
    of largest gain (1/m) Σ_i u_i max(k(x_i, x_j) − c_i, 0) (:func:`herding_select`). The paper's
    parameter adaptation: ``bandwidth="adaptive"`` takes σ = the smallest distance between two distinct
    labeled samples (it shrinks as L grows, moving the picks from coverage towards uncertainty; with
    fewer than two, σ = ``fallback_bandwidth``), and ``calibrate=True`` chooses the temperature T on the
    labeled set: a copy of the task model trained on 80 % of it (seeded split), T in 1.0, 1.1, ..., 19.9
    minimising the expected calibration error (15 bins) on the other 20 % (T = 1 with fewer than 5
    labeled); p_T = softmax(log p / T).

    Parameters
    ----------
    embedding : "contrastive" (default) | "model" | "input"
    bandwidth : "adaptive" (default) or float σ.
    fallback_bandwidth : float, default 0.5, σ when "adaptive" has fewer than two distinct labeled samples.
    calibrate : bool, default True, temperature scaling as above (False: T = 1).
    calibration_steps : int or None, default 100
        Training steps of the calibration copy (an alviz torch model's ``steps``, as QBC's members; None:
        as many as the task model). It only estimates T, and 100 steps keep an MNIST round in seconds.
    max_candidates : int or None, default 3000.
    encoder_seed, encoder_params, progress, device : the contrastive encoder.

    Extras: those of ``maxherding``, ``uncertainty`` (n_pool,) u (NaN off the candidates), ``temperature``.

    References
    ----------
    Bae, W., Oliveira, G. L. & Sutherland, D. J. (2025). Uncertainty herding: one active learning method
    for all label budgets. ICLR.
    """

    name = "uherding"
    requires = frozenset({"model"})
    field_name = "UHerding: weighted coverage gain"
    _parameter_constraints = {
        "bandwidth": [Options(("adaptive",)), Interval(Real, 0, None, closed="neither")],
        "fallback_bandwidth": [Interval(Real, 0, None, closed="neither")],
        "calibrate": ["boolean"],
        "calibration_steps": [Interval(Integral, 1, None), None],
    }

    def __init__(
        self,
        embedding: str = "contrastive",
        bandwidth: str | float = "adaptive",
        fallback_bandwidth: float = 0.5,
        calibrate: bool = True,
        calibration_steps: int | None = 100,
        max_candidates: int | None = 3000,
        encoder_seed: int = 0,
        encoder_params: dict | None = None,
        progress: bool = True,
        device: str = "cpu",
    ):
        super().__init__(embedding, bandwidth, max_candidates, encoder_seed, encoder_params, progress, device)
        self.fallback_bandwidth = fallback_bandwidth
        self.calibrate = calibrate
        self.calibration_steps = calibration_steps

    def _bandwidth(self, ctx: QueryContext, F: np.ndarray) -> float:
        if self.bandwidth != "adaptive":
            return float(self.bandwidth)
        L = F[ctx.labeled_mask]
        scale = float(np.abs(F).max()) if F.size else 0.0
        tiny = (1e-6 * max(scale, 1e-12)) ** 2  # rows closer than this are the same sample (float noise)
        best = np.inf
        for _s, _e, d2 in sq_distance_blocks(L, L, 1024):
            d2 = np.where(d2 > tiny, d2, np.inf)
            best = min(best, float(d2.min())) if d2.size else best
        return float(np.sqrt(best)) if np.isfinite(best) else float(self.fallback_bandwidth)

    def _temperature(self, ctx: QueryContext, rng: np.random.Generator) -> float:
        lab = np.flatnonzero(ctx.labeled_mask)
        if not self.calibrate or lab.size < 5:
            return 1.0
        order = rng.permutation(lab.size)
        n_val = max(1, round(0.2 * lab.size))
        val, tr = order[:n_val], order[n_val:]
        X, y = ctx.train_X, ctx.train_y
        params = None if self.calibration_steps is None else {"steps": int(self.calibration_steps)}
        model = ctx.fit_clone(X[tr], y[tr], rng, params)
        p = ctx.proba_of(model, X[val])
        grid = np.round(np.arange(1.0, 20.0, 0.1), 1)
        eces = [expected_calibration_error(_softmax_t(p, T), y[val]) for T in grid]
        return float(grid[int(np.argmin(eces))])

    def _weights(self, ctx: QueryContext, cand: np.ndarray, rng: np.random.Generator, extras: dict):
        ctx.require_model()
        T = self._temperature(ctx, rng)
        u = 1.0 + scores.margin(_softmax_t(ctx.proba[cand], T))  # 1 − (p1 − p2)
        full = np.full(ctx.n_pool, np.nan)
        full[cand] = u
        extras.update({"uncertainty": full, "temperature": T})
        return u
