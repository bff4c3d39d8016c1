"""Adversarial querying: DeepFool margin (dfal), BIM distance (bim), input-gradient norm (gradnorm).

All three need a differentiable alviz torch model (``ctx.require_torch``) and
run batched over the candidates through the cores in :mod:`alviz.perturbation`.
"""

from __future__ import annotations

import numpy as np
import torch

from .._params import Integral, Interval, Options, Real
from .. import perturbation, scores
from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["DFAL", "BIM", "GradNorm", "attack_extras", "attack_scores", "margin_prefilter"]


def attack_extras(ctx, candidates: np.ndarray, res: perturbation.AttackResult) -> dict:
    """The agreed diagnostics of an attack, as full pool-sized arrays.

    perturbation (n_pool, *input_shape) float32 with NaN rows off-candidates;
    adversarial_class (n_pool,) int, -1 off-candidates and for samples that
    never flipped; iterations (n_pool,) int, -1 off-candidates; flipped
    (n_pool,) bool; perturbation_norm (n_pool,) float, NaN off-candidates;
    stuck (n_pool,) bool, samples the attack could not move (zero gradient).
    """
    n = ctx.n_pool
    pert = np.full((n,) + tuple(np.shape(ctx.X)[1:]), np.nan, dtype=np.float32)
    pert[candidates] = res.r
    adv = np.full(n, -1, dtype=np.int64)
    adv[candidates] = res.adversarial_class
    iters = np.full(n, -1, dtype=np.int64)
    iters[candidates] = res.iterations
    flipped = np.zeros(n, dtype=bool)
    flipped[candidates] = res.flipped
    norm = np.full(n, np.nan)
    norm[candidates] = res.norm
    stuck = np.zeros(n, dtype=bool)
    stuck[candidates] = res.stuck
    return {
        "perturbation": pert,
        "adversarial_class": adv,
        "iterations": iters,
        "flipped": flipped,
        "perturbation_norm": norm,
        "stuck": stuck,
    }


def attack_scores(res: perturbation.AttackResult) -> np.ndarray:
    """−‖r‖₂ per sample; samples the attack could not move at all (``stuck``) rank last.

    A stuck sample (zero gradient) has r = 0 or a partial r that says nothing
    about its distance to the boundary; scoring it −‖r‖ would put it first. It
    gets a finite score below every other sample: −(the largest ‖r‖ + 1).
    """
    norm = res.norm
    s = -norm
    if res.stuck.any():
        moved = ~res.stuck
        s[res.stuck] = -(float(norm[moved].max()) if moved.any() else 0.0) - 1.0
    return s


#: how a pool larger than ``max_candidates`` is cut down before an attack
PREFILTERS = ("margin", "random")


def margin_prefilter(proba, candidates, m: int) -> np.ndarray:
    """The ``m`` candidates with the smallest top-1 − top-2 probability gap, sorted by pool index.

    Ties in the gap go to the lower index. A sample the model separates by a
    wide probability gap is far from its decision boundary, so an attack that
    ranks by perturbation size would put it last anyway.
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    gap = -scores.margin(np.asarray(proba)[candidates])  # (m_cand,) p_(1) − p_(2)
    order = np.lexsort((candidates, gap))  # smallest gap first, then lowest index
    return np.sort(candidates[order[: int(m)]])


class _AttackStrategy(Strategy):
    """Shared query: attack the candidates, score = −‖r‖₂, take the top k."""

    max_candidates = None
    prefilter = "margin"

    def _run_attack(self, logits_fn, X) -> perturbation.AttackResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _candidates(self, ctx, budget, rng):
        """Every unlabeled sample, or max(max_candidates, budget) of them chosen by ``prefilter``."""
        cand = ctx.candidates
        if self.max_candidates is None or cand.size <= max(self.max_candidates, budget):
            return cand, False
        m = max(int(self.max_candidates), budget)
        if self.prefilter == "margin":
            return margin_prefilter(ctx.proba, cand, m), True
        return np.sort(rng.choice(cand, size=m, replace=False)), True

    def attack(self, ctx, X) -> perturbation.AttackResult:
        """The attack on inputs ``X`` (pool members or any points) with this round's model."""
        model = ctx.require_torch(self.name)
        X = torch.as_tensor(np.asarray(X, dtype=np.float32), device=model.device_)  # on the model's device
        return self._run_attack(model.logits, X)

    def _score_points(self, ctx, X, rng):
        return attack_scores(self.attack(ctx, X))

    def _query(self, ctx, budget, rng):
        ctx.require_torch(self.name)
        cand, subsampled = self._candidates(ctx, budget, rng)
        res = self.attack(ctx, ctx.X[cand])  # the same attack and score as score_points
        s = candidate_scores(ctx, attack_scores(res), where=cand)
        # BIM's norms are multiples of its step, so ties are common: the smaller probability gap goes first
        picks = top_k(s, budget, cand, tiebreak=scores.margin(ctx.proba))
        extras = attack_extras(ctx, cand, res)
        if subsampled:
            extras["candidates"] = cand
        return QueryResult(picks, s, extras, augment_inputs=self._augment_inputs(ctx, picks, extras))

    def _augment_inputs(self, ctx, picks, extras):
        """Hook: (k, *input_shape) inputs for later training sets, or None (the default)."""
        return None


@register
class DFAL(_AttackStrategy):
    """DeepFool active learning: query the samples with the smallest DeepFool perturbation.

    A batched multi-class DeepFool (:func:`alviz.perturbation.deepfool`) runs on
    the task model's logits for every candidate at once. Score = −‖r‖₂: a small
    perturbation means the sample sits close to the decision boundary. Samples
    that never flip within ``max_iter`` steps keep their final ‖r‖ and are
    flagged (``extras["flipped"]`` False); samples with a zero gradient
    (nothing to follow) rank last (:func:`attack_scores`).

    Parameters
    ----------
    max_iter : int, DeepFool's cap on steps per sample (50).
    overshoot : float, r = (1 + overshoot) · r_tot (0.02).
    add_adversarial : bool
        Also add x + r with the queried label to later training sets (the
        paper's DFAL): the picks' adversarial inputs go to ``QueryResult.augment_inputs``,
        which the Session consumes.
    max_candidates : int or None
        On a larger pool, attack only this many unlabeled samples (at least the
        budget), chosen by ``prefilter``; they are listed in ``extras["candidates"]``.
        Default 1 500: digits (1 347 samples) is attacked whole; a 60 000-image
        pool attacked whole would cost C backward passes per DeepFool step over
        every image. None attacks every unlabeled sample, as the paper does.
    prefilter : "margin" (default) | "random"
        "margin": the candidates with the smallest top-1 − top-2 probability
        gap (:func:`margin_prefilter`), a departure from the paper, which attacks
        the whole pool. On a 10 000-image MNIST pool the 100 picks from the 500
        smallest-margin samples were exactly the 100 picks of the whole-pool
        attack (a seeded random 5 000 kept about half of them), and on digits
        (1 347 samples, budget 10) the 500 smallest margins gave the whole-pool
        picks in two rounds. "random": a seeded uniform subsample.

    References
    ----------
    Ducoffe, M. & Precioso, F. (2018). Adversarial active learning for deep
    networks: a margin based approach. arXiv:1802.09841.
    Moosavi-Dezfooli, S.-M., Fawzi, A. & Frossard, P. (2016). DeepFool. CVPR.
    """

    name = "dfal"
    requires = frozenset({"gradients", "model"})
    field_name = "DeepFool −‖r‖ (small r: near the boundary)"

    _parameter_constraints = {
        "max_iter": [Interval(Integral, 1, None)],
        "overshoot": [Interval(Real, 0, None, hint="DeepFool uses 0.02")],
        "add_adversarial": ["boolean"],
        "max_candidates": [Interval(Integral, 1, None, hint="or None for every unlabeled sample"), None],
        "prefilter": [
            Options(
                PREFILTERS, hint="'margin': the smallest top-1 minus top-2 gap; 'random': a seeded uniform subsample"
            )
        ],
    }

    def __init__(
        self,
        max_iter: int = 50,
        overshoot: float = 0.02,
        add_adversarial: bool = False,
        max_candidates=1_500,
        prefilter: str = "margin",
    ):
        self.max_iter = max_iter
        self.overshoot = overshoot
        self.add_adversarial = add_adversarial
        self.max_candidates = max_candidates
        self.prefilter = prefilter

    def _run_attack(self, logits_fn, X):
        return perturbation.deepfool(logits_fn, X, max_iter=self.max_iter, overshoot=self.overshoot)

    def _augment_inputs(self, ctx, picks, extras):
        if not self.add_adversarial:
            return None
        x = np.asarray(ctx.X[picks], dtype=np.float32)
        return x + extras["perturbation"][picks]


@register
class BIM(_AttackStrategy):
    """Query the samples the basic iterative method flips with the smallest perturbation.

    η ← η + ε·sign(∇ₓ CE(f(x + η), ŷ)) until the prediction flips, capped at
    ``max_iter`` steps (:func:`alviz.perturbation.bim`); score = −‖η‖₂. Extras
    as for ``dfal``.

    Parameters
    ----------
    eps : float, the step size (0.05).
    max_iter : int, the cap (100).
    max_candidates, prefilter : as for ``dfal`` (default 1 500 candidates of the smallest margin).

    References
    ----------
    Kurakin, A., Goodfellow, I. & Bengio, S. (2017). Adversarial examples in the
    physical world. ICLR workshop.
    Ducoffe, M. & Precioso, F. (2018). Adversarial active learning for deep
    networks: a margin based approach. arXiv:1802.09841.
    """

    name = "bim"
    requires = frozenset({"gradients", "model"})
    field_name = "BIM −‖η‖ (small η: near the boundary)"

    _parameter_constraints = {
        "eps": [Interval(Real, 0, None, closed="right", hint="the BIM step size, e.g. 0.05")],
        "max_iter": [Interval(Integral, 1, None)],
        "max_candidates": [Interval(Integral, 1, None, hint="or None for every unlabeled sample"), None],
        "prefilter": [Options(PREFILTERS)],
    }

    def __init__(self, eps: float = 0.05, max_iter: int = 100, max_candidates=1_500, prefilter: str = "margin"):
        self.eps = eps
        self.max_iter = max_iter
        self.max_candidates = max_candidates
        self.prefilter = prefilter

    def _run_attack(self, logits_fn, X):
        return perturbation.bim(logits_fn, X, eps=self.eps, max_iter=self.max_iter)


@register
class GradNorm(Strategy):
    """Query the samples with the largest input-gradient norm of the loss.

    label="predicted": ‖∇ₓ CE(f(x), ŷ)‖₂; label="expected": Σ_c p_c ‖∇ₓ CE(f(x), c)‖₂.
    Batched (:func:`alviz.perturbation.input_gradient_norms`); highest first.
    ``extras["gradient_norm"]`` holds the norm for every pool sample.

    References
    ----------
    Ducoffe, M. & Precioso, F. (2018). Adversarial active learning for deep
    networks: a margin based approach. arXiv:1802.09841 (the input gradient as
    the first-order view of the distance to the boundary).
    """

    name = "gradnorm"
    requires = frozenset({"gradients", "model"})
    field_name = "input-gradient norm ‖∇ₓ ℓ‖"

    _parameter_constraints = {
        "label": [
            Options(
                ("predicted", "expected"),
                hint="'predicted': the loss at ŷ; 'expected': Σ_c p_c times the norm at each class c",
            )
        ],
    }

    def __init__(self, label: str = "predicted"):
        self.label = label

    def _gradient_norms(self, ctx, X, logits_fn=None) -> np.ndarray:
        model = ctx.require_torch(self.name)
        return perturbation.input_gradient_norms(
            logits_fn or model.logits, np.asarray(X, dtype=np.float32), label=self.label, device=model.device_
        )

    def _score_points(self, ctx, X, rng):
        return self._gradient_norms(ctx, X)

    def _query(self, ctx, budget, rng):
        if self.label == "predicted":  # one forward pass per sample, in order: it also gives the round's
            record = ctx.require_torch(self.name).recording_logits()  # probabilities and embedding
            g = self._gradient_norms(ctx, ctx.X, record)
            ctx.share_forward_pass(record)
        else:
            g = self._gradient_norms(ctx, ctx.X)
        s = candidate_scores(ctx, g)
        return QueryResult(top_k(s, budget, ctx.candidates), s, {"gradient_norm": g})
