"""TA-VAAL: task-aware VAAL, the VAE and the discriminator conditioned on a learned loss ranking."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Optional

import numpy as np

from .._params import Interval
from .._validation import check_features
from ..selection import top_k
from ._adversarial_nets import RankerFit, StateFit, fit_ranker, train_state_discriminator
from .base import QueryContext, QueryResult, candidate_scores, register
from ._vae_family import _VAEFamily

__all__ = ["TAVAAL"]


@register
class TAVAAL(_VAEFamily):
    """Task-aware variational adversarial active learning.

    The rule (Kim et al. 2021, as in the authors' code): Learning Loss's module
    (the ranker) predicts each sample's loss r(x) from the task model; VAAL's
    VAE is trained with its decoder fed [z, sigmoid(r)] and its discriminator D
    sees [μ, r]; D learns labeled (1) from unlabeled (0), the VAE to make
    everything look labeled. The query is the unlabeled samples with the lowest
    D([μ, r]), the ones the discriminator is surest are unlabeled; alviz's score
    is 1 − D.

    Departures (see docs/strategies.md): the ranker is alviz's Learning Loss
    module (one branch on the task model's penultimate embedding, trained after
    the task model with the margin ranking loss, see ``loss_prediction``), not
    a module trained jointly with the backbone; so the authors' first-iteration
    uniform random r is not needed. The networks are VAAL's
    (:func:`alviz.vaal_networks.make_vae`, one latent unit wider so that sigmoid(r)
    takes its slot in the decoder's input; :class:`alviz.vaal_networks.Discriminator`
    on latent_dim + 1 inputs); rec and KL are per-sample sums as in alviz's
    VAAL; one VAE step per discriminator step as in the authors' code.

    Parameters
    ----------
    latent_dim : int
        Size of the VAE's latent space (32).
    beta : float
        Weight of the KL term (1).
    adversary_weight : float
        Weight of the VAE's adversarial term (1).
    lr : float
        Adam learning rate of the VAE and the discriminator (5e-4).
    steps : int or None
        VAE/discriminator iterations; None scales them with the pool like VAAL's.
    batch_size : int
        Labeled and unlabeled minibatch size (64).
    ranker_steps : int
        Adam steps of the loss ranker.
    margin : float
        ξ of the ranker's margin ranking loss (1.0).
    device : str
        "cpu" (default) | "cuda" | "auto", where the ranker, VAE and discriminator train and run.

    References
    ----------
    Kim, K., Park, D., Kim, K. I. & Chun, S. Y. (2021). Task-aware variational adversarial active learning.
    CVPR. arXiv:2002.04709. Code: github.com/cubeyoung/TA-VAAL.
    """

    name = "ta_vaal"
    requires = frozenset({"model", "embedding", "labels"})
    field_name = "TA-VAAL 1 − D([μ(x), r(x)]): looks unlabeled"
    _parameter_constraints = {
        **_VAEFamily._parameter_constraints,
        "batch_size": [Interval(Integral, 2, None)],
        "ranker_steps": [Interval(Integral, 1, None)],
        "margin": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim: int = 32,
        beta: float = 1.0,
        adversary_weight: float = 1.0,
        lr: float = 5e-4,
        steps: Optional[int] = None,
        batch_size: int = 64,
        ranker_steps: int = 200,
        margin: float = 1.0,
        device: str = "cpu",
    ) -> None:
        super().__init__(latent_dim, beta, adversary_weight, lr, steps, batch_size, device)
        self.ranker_steps = ranker_steps
        self.margin = margin

    def _fit(self, ctx: QueryContext, rng: np.random.Generator):
        """(ranker, its prediction on the pool, VAE + discriminator) of this round, trained once per context."""
        key = self._fit_key()

        def train():
            ranker: RankerFit = fit_ranker(
                ctx,
                rng,
                who="ta_vaal",
                steps=int(self.ranker_steps),
                batch_size=int(self.batch_size),
                lr=1e-3,
                margin=float(self.margin),
                hidden=128,
                device=self.device,
            )
            r = ranker.predict(ctx.embedding)
            fit: StateFit = train_state_discriminator(
                check_features(ctx.X, "X"), ctx.labeled_mask, rng, cond=r, **self._vae_settings()
            )
            return ranker, r, fit

        return ctx.memoize(key, train)

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ranker, _, fit = self._fit(ctx, rng)
        r = ranker.predict(ctx.embed_points(X))
        return 1.0 - fit.p_labeled(fit.encode(check_features(X, "X")), r)

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        ranker, r, fit = self._fit(ctx, rng)
        mu = fit.encode(check_features(ctx.X, "X"))
        p = fit.p_labeled(mu, r)
        s = candidate_scores(ctx, 1.0 - p)
        extras = {
            "discriminator_p_labeled": p,
            "predicted_loss": r,
            "loss_prediction_loss": ranker.fit.loss_curve,
            "vae_loss": fit.vae_loss,
            "discriminator_loss": fit.discriminator_loss,
            "representation": mu.astype(np.float32),
            "representation_name": "TA-VAAL VAE latent μ",
        }
        return QueryResult(top_k(s, budget, ctx.candidates), s, extras)
