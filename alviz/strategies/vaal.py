"""VAAL: variational adversarial active learning (task-agnostic)."""

from __future__ import annotations


import numpy as np

from .._params import Options
from .._params import validate_params
from .._validation import check_features
from ..vaal_networks import train_vaal
from ..selection import top_k
from ._vae_family import _VAEFamily
from .base import QueryResult, candidate_scores, register

__all__ = ["VAAL", "vaal_scores", "CRITERIA"]

#: "lowest": the paper's rule; "confusion": D closest to 0.5
CRITERIA = ("lowest", "confusion")
#: the one declaration of ``criterion`` (the strategy and vaal_scores check it alike)
_CRITERION = [Options(CRITERIA)]


def vaal_scores(p_labeled, criterion: str = "lowest") -> np.ndarray:
    """VAAL's query score from the discriminator's P(labeled) = D(μ); higher = pick first.

    * ``"lowest"`` (the paper): 1 − D(μ), the probability of "unlabeled". The
      samples D is surest are unlabeled, i.e. least like the labeled set, come first.
    * ``"confusion"``: −|D(μ) − 0.5|. The samples D is least sure about come first.

    Parameters
    ----------
    p_labeled : (n,) array of probabilities in [0, 1].
    criterion : "lowest" | "confusion"

    Returns
    -------
    (n,) float64
    """
    p = np.asarray(p_labeled, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p_labeled must be 1-D, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("p_labeled must hold finite probabilities in [0, 1]")
    validate_params("vaal_scores", {"criterion": _CRITERION}, {"criterion": criterion})
    if criterion == "lowest":
        return 1.0 - p
    return -np.abs(p - 0.5)


@register
class VAAL(_VAEFamily):
    """Variational adversarial active learning.

    Each round a VAE and a discriminator D (z → 512 → 512 → 1) are trained
    from scratch on labeled ∪ unlabeled (:func:`alviz.encoders.train_vaal`):
    D learns to tell labeled latent means from unlabeled ones, the VAE learns
    to make every sample look labeled. The query is the unlabeled samples
    with the lowest D(μ) (the paper), or with ``criterion="confusion"`` those
    with D(μ) closest to 0.5. Task-agnostic: the task model and the label
    values are never used, only which samples are labeled, so it works with
    any model.

    Parameters
    ----------
    latent_dim : int, 32 in the paper.
    beta : float, weight of the KL term (1).
    adversary_weight : float, weight of the VAE's adversarial term (1).
    lr : float, Adam learning rate of both networks (5e-4).
    criterion : "lowest" (paper) | "confusion"
    steps : int or None, training iterations (each 2 VAE steps + 1 D step);
        None scales them with the pool size (capped, a few seconds on digits).
    batch_size : int, labeled and unlabeled minibatch size (64).
    progress : bool, a tqdm progress bar over training.
    device : "cpu" (default) | "cuda" | "auto", where the VAE and the discriminator train and run.

    References
    ----------
    Sinha, S., Ebrahimi, S. & Darrell, T. (2019). Variational adversarial active
    learning. ICCV. arXiv:1904.00370.
    """

    name = "vaal"
    requires = frozenset({"labels"})

    @property
    def field_name(self) -> str:
        return "VAAL 1 − D(μ(x)): looks unlabeled" if self.criterion == "lowest" else "VAAL −|D(μ(x)) − 0.5|: D unsure"

    _parameter_constraints = {
        **_VAEFamily._parameter_constraints,
        "criterion": _CRITERION,
        "progress": ["boolean"],
    }

    def __init__(
        self,
        latent_dim: int = 32,
        beta: float = 1.0,
        adversary_weight: float = 1.0,
        lr: float = 5e-4,
        criterion: str = "lowest",
        steps=None,
        batch_size: int = 64,
        progress: bool = True,
        device: str = "cpu",
    ):
        super().__init__(latent_dim, beta, adversary_weight, lr, steps, batch_size, device)
        self.criterion = criterion
        self.progress = progress

    def _fit(self, ctx, rng):
        """This round's VAE and discriminator, trained once per context and reused by score_points."""
        key = (
            "vaal_fit",
            int(self.latent_dim),
            float(self.beta),
            float(self.adversary_weight),
            float(self.lr),
            self.steps,
            int(self.batch_size),
            str(self.device),
        )

        def train():
            return train_vaal(
                check_features(ctx.X, "X"), ctx.labeled_mask, rng, progress=bool(self.progress), **self._vae_settings()
            )

        return ctx.memoize(key, train)

    def _score_points(self, ctx, X, rng):
        self._require_labeled(ctx)
        fit = self._fit(ctx, rng)
        return vaal_scores(fit.p_labeled(fit.encode(check_features(X, "X"))), self.criterion)

    @staticmethod
    def _require_labeled(ctx):
        if not ctx.labeled_mask.any():
            raise ValueError(
                "vaal trains a discriminator to tell labeled from unlabeled samples, and nothing is labeled: "
                "it has no positives. Label some samples first (initial >= 1), or start with 'random', "
                "'coreset' or 'typiclust'"
            )

    def _query(self, ctx, budget, rng):
        if not ctx.labeled_mask.any():
            raise ValueError(
                "vaal trains a discriminator to tell labeled from unlabeled samples, and nothing is labeled: "
                "it has no positives. Label some samples first (initial >= 1), or start with 'random', "
                "'coreset' or 'typiclust'"
            )
        X = check_features(ctx.X, "X")
        fit = self._fit(ctx, rng)
        mu = fit.encode(X)  # (n_pool, latent_dim)
        p = fit.p_labeled(mu)  # (n_pool,)
        s = candidate_scores(ctx, vaal_scores(p, self.criterion))  # the same rule as score_points
        extras = {
            "discriminator_p_labeled": p,
            "vae_loss": fit.vae_loss,
            "discriminator_loss": fit.discriminator_loss,
            "criterion": self.criterion,
            "representation": mu,
            "representation_name": "VAE latent μ",
        }
        return QueryResult(top_k(s, budget, ctx.candidates), s, extras)
