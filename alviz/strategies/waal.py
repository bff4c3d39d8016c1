"""WAAL: Wasserstein adversarial active learning (a critic between labeled and unlabeled representations)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._device import resolve_device
from .._params import Interval, Options
from ..selection import top_k
from ._adversarial_nets import CriticFit, train_critic
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["WAAL", "waal_uncertainty", "UNCERTAINTIES"]

#: the uncertainty terms of the authors' code; "mixed" (½‖log p‖₂ + ½‖log p‖₁) is the one their query uses
UNCERTAINTIES = ("mixed", "single_worst", "l1", "l2")


def waal_uncertainty(proba: np.ndarray, kind: str = "mixed") -> np.ndarray:
    """WAAL's uncertainty term of each row of ``proba`` (n, C), p clipped at 1e-12.

    "l1": Σ_c −log p_c; "l2": ‖log p‖₂; "mixed": ½·l2 + ½·l1 (the authors' query);
    "single_worst": max_c −log p_c. Each is *smallest* at the uniform prediction
    (Σ_c log p_c is largest there, under Σ_c p_c = 1) and grows without bound
    as a prediction becomes sure (some p_c → 0).

    Parameters
    ----------
    proba : (n, C) array of probabilities.
    kind : one of :data:`UNCERTAINTIES`.

    Returns
    -------
    (n,) float64
    """
    logp = np.log(np.clip(np.asarray(proba, dtype=np.float64), 1e-12, None))
    l1, l2 = -logp.sum(axis=1), np.linalg.norm(logp, axis=1)
    if kind == "l1":
        return l1
    if kind == "l2":
        return l2
    if kind == "single_worst":
        return (-logp).max(axis=1)
    return 0.5 * l2 + 0.5 * l1


@register
class WAAL(Strategy):
    """Wasserstein adversarial active learning: uncertain samples on the critic's unlabeled side.

    The rule (Shui et al. 2020, as in the authors' code): a critic D (h → 50 →
    1, sigmoid) is trained to maximise the Wasserstein estimate
    W = mean D(h_U) − γ·mean D(h_L) (γ = n_L / n_U) under a gradient penalty, so
    D is high where the representation looks unlabeled. Each unlabeled sample
    gets ``total = U(p) − selection·D(h)`` with U = ½‖log p‖₂ + ½‖log p‖₁, and
    the query is the samples with the **smallest** total. That looks inverted
    for an uncertainty term but is right: Σ_c −log p_c is smallest at the
    uniform prediction and grows as the prediction becomes sure, so a small U
    means an uncertain sample, and −selection·D favours the critic's unlabeled
    side. alviz's score (higher = pick first) is −total = selection·D − U.

    Departures (see docs/strategies.md): the Session trains the task model, so
    the critic is trained on the frozen penultimate embedding h(x) of this
    round's model (the paper trains feature extractor, classifier and critic
    jointly, the extractor also against the critic); the critic's loss is
    −W + gp_weight·GP as in WGAN-GP (the authors' code subtracts the penalty in
    the critic's loss); Adam instead of SGD; the critic has no dropout.

    Parameters
    ----------
    selection : float
        Weight of the critic in the total (10 in the authors' code).
    uncertainty : str
        "mixed" (the authors' query) | "single_worst" | "l1" | "l2": see :func:`waal_uncertainty`.
    gp_weight : float
        Weight of the gradient penalty.
    hidden : int
        Width of the critic's hidden layer (50 in the authors' code).
    steps : int
        Adam steps of the critic.
    batch_size : int
        Labeled and unlabeled minibatch size.
    lr : float
        Adam learning rate.
    device : str
        "cpu" (default) | "cuda" | "auto", where the critic trains and runs.

    References
    ----------
    Shui, C., Zhou, F., Gagné, C. & Wang, B. (2020). Deep active learning: unified and principled
    method for query and training. AISTATS. arXiv:1911.09162. Code: github.com/cjshui/WAAL.
    """

    name = "waal"
    requires = frozenset({"model", "embedding", "labels"})
    field_name = "WAAL selection·D(h(x)) − U(p(x)): critic's unlabeled side, uncertain"
    _parameter_constraints = {
        "selection": [Interval(Real, 0, None, closed="left", hint="the authors' code uses 10")],
        "uncertainty": [Options(UNCERTAINTIES)],
        "gp_weight": [Interval(Real, 0, None, closed="left")],
        "hidden": [Interval(Integral, 1, None)],
        "steps": [Interval(Integral, 1, None)],
        "batch_size": [Interval(Integral, 1, None)],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "device": ["device"],
    }

    def __init__(
        self,
        selection: float = 10.0,
        uncertainty: str = "mixed",
        gp_weight: float = 2.0,
        hidden: int = 50,
        steps: int = 200,
        batch_size: int = 64,
        lr: float = 1e-3,
        device: str = "cpu",
    ) -> None:
        self.selection = selection
        self.uncertainty = uncertainty
        self.gp_weight = gp_weight
        self.hidden = hidden
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.device = device

    def _fit(self, ctx: QueryContext, rng: np.random.Generator) -> CriticFit:
        resolve_device(self.device)  # a device this machine lacks fails here, before any training
        key = (
            "waal_fit",
            float(self.gp_weight),
            int(self.hidden),
            int(self.steps),
            int(self.batch_size),
            float(self.lr),
            str(self.device),
        )

        def train():
            if not ctx.labeled_mask.any():
                raise ValueError(
                    "waal trains a critic between labeled and unlabeled samples, and nothing is labeled: "
                    "label some samples first (initial >= 1), or start with 'random', 'coreset' or 'typiclust'"
                )
            ctx.require_model()
            return train_critic(
                ctx.embedding,
                ctx.labeled_mask,
                rng,
                steps=int(self.steps),
                batch_size=int(self.batch_size),
                lr=float(self.lr),
                gp_weight=float(self.gp_weight),
                hidden=int(self.hidden),
                device=self.device,
            )

        return ctx.memoize(key, train)

    def _total(self, proba: np.ndarray, critic: np.ndarray) -> np.ndarray:
        """The authors' decision score U(p) − selection·D(h): smallest is picked first."""
        return waal_uncertainty(proba, self.uncertainty) - float(self.selection) * critic

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        fit = self._fit(ctx, rng)
        return -self._total(ctx.proba_points(X), fit.score(ctx.embed_points(X)))

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        fit = self._fit(ctx, rng)
        H = np.asarray(ctx.embedding)
        critic = fit.score(H)
        u = waal_uncertainty(ctx.proba, self.uncertainty)
        s = candidate_scores(ctx, -self._total(ctx.proba, critic))
        extras = {
            "critic_score": critic,
            "uncertainty_bound": u,
            "critic_loss": fit.loss_curve,
            "representation": H.astype(np.float32),
            "representation_name": "task model embedding h(x)",
        }
        return QueryResult(top_k(s, budget, ctx.candidates), s, extras)
