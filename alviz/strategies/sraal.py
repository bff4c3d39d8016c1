"""SRAAL: state-relabeling adversarial active learning."""

from __future__ import annotations

from numbers import Real
from typing import Optional

import numpy as np

from .._params import Interval
from .._validation import check_features
from ..selection import top_k
from ._adversarial_nets import StateFit, train_state_discriminator
from ._kcenter import kcenter_centers, kcenter_result
from .base import QueryContext, QueryResult, candidate_scores, register
from ._vae_family import _VAEFamily

__all__ = ["SRAAL", "uncertainty_indicator"]


def uncertainty_indicator(proba: np.ndarray) -> np.ndarray:
    """SRAAL's relabeled state of each row of ``proba`` (n, C): (minVar / Var) · max p, in [0, 1].

    Var is the variance of the C probabilities (the biased one, over the C
    entries); minVar is the variance of the flattest prediction with the same
    largest probability m = max p, whose other C − 1 entries are all
    (1 − m)/(C − 1), so minVar ≤ Var and the ratio lies in [0, 1]. The state is
    that ratio times m: a sure one-hot prediction gets 1 (near "labeled"); a
    prediction whose mass is spread over several classes gets a low state, so
    the discriminator keeps it on the unlabeled side. This is the form of the
    public SRAAL implementation's online uncertainty indicator (its
    uncertainty is 1 − state, and the unlabeled target is 1 − uncertainty).
    The uniform prediction, where both variances are 0, gets its m = 1/C.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, C) probabilities, C >= 2.

    Returns
    -------
    numpy.ndarray
        (n,) float64 states in [0, 1].
    """
    p = np.asarray(proba, dtype=np.float64)
    c = p.shape[1]
    m = p.max(axis=1)
    var = p.var(axis=1)
    rest = (1.0 - m) / (c - 1)
    min_var = ((1.0 / c - m) ** 2 + (c - 1) * (1.0 / c - rest) ** 2) / c
    ratio = np.ones_like(m)
    flat = var > 1e-12
    ratio[flat] = np.clip(min_var[flat] / var[flat], 0.0, 1.0)
    return ratio * m


@register
class SRAAL(_VAEFamily):
    """State-relabeling adversarial active learning.

    The rule (Zhang et al. 2020): a unified representation generator (a VAE,
    the unsupervised image reconstructor, whose latent mean also feeds a
    supervised target learner trained on the labeled samples' labels) and a
    state discriminator D on the latent mean μ. D is trained with the labeled
    state 1 on labeled samples and, instead of VAAL's 0, the *relabeled* state
    of each unlabeled sample given by the online uncertainty indicator of the
    task model's prediction (:func:`uncertainty_indicator`); the generator is
    trained to make every sample look labeled. The query is the unlabeled
    samples with the lowest D(μ); alviz's score is 1 − D. With nothing labeled
    the round is the paper's initial sampling: k-center greedy (here on the
    flattened inputs, from a seeded first pick).

    Departures (see docs/strategies.md): the indicator is read from the round's
    task model (the Session trains it; the paper's indicator is the task model
    of the cycle too) and its form is the public implementation's (minVar/Var)·max p; the networks
    are VAAL's (:func:`alviz.vaal_networks.make_vae`, :class:`alviz.vaal_networks.Discriminator`)
    with a linear target learner on μ; one generator step per discriminator
    step; the initial k-center runs on the inputs.

    Parameters
    ----------
    latent_dim : int
        Size of the latent space (32).
    beta : float
        Weight of the KL term (1).
    adversary_weight : float
        Weight of the generator's adversarial term (1).
    target_weight : float
        Weight of the supervised target learner's cross-entropy (1).
    lr : float
        Adam learning rate (5e-4).
    steps : int or None
        Generator/discriminator iterations; None scales them with the pool like VAAL's.
    batch_size : int
        Labeled and unlabeled minibatch size (64).
    device : str
        "cpu" (default) | "cuda" | "auto", where the networks train and run.

    References
    ----------
    Zhang, B., Li, L., Yang, S., Wang, S., Zha, Z.-J. & Huang, Q. (2020). State-relabeling adversarial
    active learning. CVPR. arXiv:2004.04943.
    """

    name = "sraal"
    requires = frozenset()
    field_name = "SRAAL 1 − D(μ(x)): looks unlabeled (L empty: distance to the first k-center pick)"
    _parameter_constraints = {
        **_VAEFamily._parameter_constraints,
        "target_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim: int = 32,
        beta: float = 1.0,
        adversary_weight: float = 1.0,
        target_weight: float = 1.0,
        lr: float = 5e-4,
        steps: Optional[int] = None,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        super().__init__(latent_dim, beta, adversary_weight, lr, steps, batch_size, device)
        self.target_weight = target_weight

    def _fit(self, ctx: QueryContext, rng: np.random.Generator):
        """(relabeled states of the pool, generator + discriminator) of this round, trained once per context."""
        key = self._fit_key()

        def train():
            state = uncertainty_indicator(ctx.proba)
            state[ctx.labeled_mask] = 1.0
            fit: StateFit = train_state_discriminator(
                check_features(ctx.X, "X"),
                ctx.labeled_mask,
                rng,
                unlabeled_targets=state,
                labels=np.where(ctx.labeled_mask, ctx.labels, 0),
                n_classes=ctx.n_classes,
                target_weight=float(self.target_weight),
                **self._vae_settings(),
            )
            return state, fit

        return ctx.memoize(key, train)

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = check_features(X, "X")
        if not ctx.labeled_mask.any():
            C = np.asarray(kcenter_centers(self, ctx, ctx.flat_X()), dtype=np.float64)
            F = X.reshape(len(X), -1).astype(np.float64)
            return np.sqrt(((F[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
        _, fit = self._fit(ctx, rng)
        return 1.0 - fit.p_labeled(fit.encode(X))

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        if not ctx.labeled_mask.any():  # the paper's initial sampling
            return kcenter_result(
                ctx.flat_X().astype(np.float64), ctx, budget, rng, strategy=self, embedding_source="input"
            )
        state, fit = self._fit(ctx, rng)
        mu = fit.encode(check_features(ctx.X, "X"))
        p = fit.p_labeled(mu)
        s = candidate_scores(ctx, 1.0 - p)
        extras = {
            "discriminator_p_labeled": p,
            "relabeled_state": state,
            "vae_loss": fit.vae_loss,
            "discriminator_loss": fit.discriminator_loss,
            "representation": mu.astype(np.float32),
            "representation_name": "SRAAL generator latent μ",
        }
        return QueryResult(top_k(s, budget, ctx.candidates), s, extras)
