"""NoiseStability: how much the output moves when the weights are perturbed, as a feature for k-center."""

from __future__ import annotations

import copy
from numbers import Integral, Real
from typing import Optional, Sequence

import numpy as np
import torch

from .._params import Interval
from ..selection import k_center_greedy_trace
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["NoiseStability", "noise_stability_features"]


def _noisy_copies(model, n_sampling: int, noise_scale: float, seeds):
    """Yield a copy of ``model`` per seed, every weight W (a module's ``weight``) moved by Gaussian noise
    of norm ``noise_scale`` · ‖W‖ (the authors' ``add_noise_to_weights``); the model itself is untouched."""
    noisy = copy.deepcopy(model)
    modules = [m for m in noisy.network_.modules() if isinstance(getattr(m, "weight", None), torch.Tensor)]
    originals = [m.weight.detach().clone() for m in modules]
    for seed in seeds:
        gen = np.random.default_rng(int(seed))
        with torch.no_grad():
            for m, w0 in zip(modules, originals, strict=True):
                noise = torch.as_tensor(gen.standard_normal(tuple(w0.shape)), dtype=w0.dtype, device=w0.device)
                nn_ = float(noise.norm())
                noise *= (noise_scale * float(w0.norm()) / nn_) if nn_ > 0 else 0.0
                m.weight.copy_(w0 + noise)
        yield noisy


def noise_stability_features(
    model,
    X: np.ndarray,
    seeds: Sequence[int] | np.ndarray,
    noise_scale: float = 1e-3,
    proba: Optional[np.ndarray] = None,
) -> np.ndarray:
    """(n, K·C) the authors' feature: for each of K noisy copies (one per seed), (p_noisy − p) / ‖p‖.

    ``p`` is the model's softmax at ``X`` (``proba`` when already computed), ``p_noisy`` the copy's.

    Parameters
    ----------
    model : a fitted alviz torch model (deep-copied; never changed).
    X : (n, *input_shape) inputs.
    seeds : K ints, one noise draw each.
    noise_scale : float, the noise norm relative to each weight tensor's norm.
    proba : (n, C) or None, the model's probabilities at ``X`` when already known.

    Returns
    -------
    (n, K·C) float64

    References
    ----------
    Li, X. et al. (2024). Deep active learning with noise stability. AAAI.
    """
    p = np.asarray(model.predict_proba(X) if proba is None else proba, dtype=np.float64)
    norm = np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    parts = [
        (np.asarray(m.predict_proba(X), dtype=np.float64) - p) / norm
        for m in _noisy_copies(model, len(seeds), noise_scale, seeds)
    ]
    return np.concatenate(parts, axis=1)


@register
class NoiseStability(Strategy):
    """NoiseStability: the output change under weight noise as a feature; k-center greedy on it.

    K = ``n_sampling`` copies of the task model each get Gaussian noise on every weight tensor,
    scaled to ``noise_scale`` times that tensor's norm. A sample's feature is the concatenation over
    the copies of (p_noisy − p)/‖p‖ (softmax outputs; :func:`noise_stability_features`). As in the
    authors' code the k-center greedy starts from the origin (not from the labeled samples): the first
    pick is the unlabeled sample whose output moves most, each next one the farthest in that feature
    space from the origin and the picks so far.

    ``scores``: the feature's norm, the output change (what the first pick maximises). Field: the
    same output change at any point, under the same K noisy copies.

    Extras: ``output_change`` (n_pool,), ``covering_radius`` (k,), ``pick_distance`` (k,),
    ``representation`` (n_pool, K·C) the feature (``representation_name`` says so) when every sample was
    scored; else ``candidates``, the scored subset (the output change is NaN outside it).

    Parameters
    ----------
    n_sampling : int, K noisy copies (50 in the authors' code).
    noise_scale : float, noise norm relative to each weight tensor's norm (1e-3 in the authors' code).
    subset : int or None, score at most this many unlabeled samples, a seeded draw (the authors' SUBSET,
        10 000; at least the budget); None: every unlabeled sample.

    References
    ----------
    Li, X., Yang, P., Gu, Y., Zhan, X., Wang, T., Xu, M. & Xu, C. (2024). Deep active learning with noise
    stability. AAAI. Code: github.com/lixingjian/AL-noise-stability.
    """

    name = "noise_stability"
    requires = frozenset({"gradients", "model"})
    field_name = "NoiseStability: output change under weight noise"
    _parameter_constraints = {
        "n_sampling": [Interval(Integral, 1, None, hint="the authors use 50")],
        "noise_scale": [Interval(Real, 0, None, closed="neither", hint="the authors use 1e-3")],
        "subset": [Interval(Integral, 1, None, hint="the authors use 10 000"), None],
    }

    def __init__(self, n_sampling: int = 50, noise_scale: float = 1e-3, subset=10_000):
        self.n_sampling = n_sampling
        self.noise_scale = noise_scale
        self.subset = subset

    def _seeds(self, ctx: QueryContext, rng: np.random.Generator) -> np.ndarray:
        key = ("noise_stability_seeds", int(self.n_sampling))
        return ctx.memoize(key, lambda: rng.integers(0, 2**31 - 1, size=int(self.n_sampling)))

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        model = ctx.require_torch()
        F = noise_stability_features(model, X, self._seeds(ctx, rng), float(self.noise_scale))
        return np.linalg.norm(F, axis=1)

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        model = ctx.require_torch()
        seeds = self._seeds(ctx, rng)
        cand = ctx.candidates
        size = None if self.subset is None else max(int(self.subset), budget)
        scored = size is not None and cand.size > size
        if scored:  # the authors' SUBSET: a seeded draw of the unlabeled samples is scored
            cand = np.sort(rng.choice(cand, size, replace=False))
        Fc = noise_stability_features(model, ctx.X[cand], seeds, float(self.noise_scale), proba=ctx.proba[cand])
        F = np.full((ctx.n_pool, Fc.shape[1]), np.nan)
        F[cand] = Fc
        if not scored:  # the whole pool has a feature (the labeled samples too: the picture colours them)
            lab = ctx.labeled_mask
            if lab.any():
                F[lab] = noise_stability_features(
                    model, ctx.X[lab], seeds, float(self.noise_scale), proba=ctx.proba[lab]
                )
        change = np.linalg.norm(F, axis=1)
        G = np.vstack([Fc, np.zeros((1, Fc.shape[1]))])  # the origin is the one starting centre
        start = np.zeros(len(G), dtype=bool)
        start[-1] = True
        tr = k_center_greedy_trace(G, start, budget, rng)
        extras = {"output_change": change, "covering_radius": tr.covering_radius, "pick_distance": tr.pick_distance}
        if scored:
            extras["candidates"] = cand
        else:  # a picture of the strategy's space needs a row for every pool sample
            extras.update(
                representation=F.astype(np.float32),
                representation_name="noise-stability feature (p_noisy − p)/‖p‖ over the noisy copies",
            )
        return QueryResult(cand[tr.indices], candidate_scores(ctx, change, cand), extras)
