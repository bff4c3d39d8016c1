"""Learning Loss: a loss prediction module ranks the unlabeled pool by the loss it predicts."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._device import resolve_device
from .._params import Interval
from ..selection import top_k
from ._adversarial_nets import RankerFit, fit_ranker
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["LossPrediction"]


@register
class LossPrediction(Strategy):
    """Learning Loss: pick the unlabeled samples whose loss a learned module predicts highest.

    The rule (Yoo & Kweon 2019): a loss prediction module l̂(x) is trained on
    the labeled set to rank samples like their true task loss l(x), with the
    margin ranking loss over the pairs (i, B−1−i) of a minibatch,
    ``max(0, −sign(l_i − l_j)·(l̂_i − l̂_j) + ξ)``; the query is the top-k
    unlabeled samples by l̂.

    What alviz uses instead of the paper's joint training (the Session trains the
    task model, and no strategy touches it): the module is one branch,
    h → FC(128) → ReLU → FC(1), on the task model's penultimate embedding
    h(x) (``embed`` of MLP, CNN or TorchModel, standardised over the pool), not
    GAP branches on four backbone levels; it is trained after the task model,
    on frozen features (the paper stops the module's gradient into the backbone
    after 120 of 200 epochs too), with targets l(x) = −log p(y|x) of this
    round's trained model on its labeled samples. Those training losses are
    smaller than the losses the paper's module sees during joint training; the
    module learns their ranking, which is all the query uses.

    Parameters
    ----------
    margin : float
        ξ of the ranking loss (1.0 in the paper).
    hidden : int
        Width of the module's hidden layer (128 in the paper, per level).
    steps : int
        Adam steps on the ranking loss.
    batch_size : int
        Minibatch size (pairs are its two halves).
    lr : float
        Adam learning rate.
    device : str
        "cpu" (default) | "cuda" | "auto", where the module trains and runs.

    References
    ----------
    Yoo, D. & Kweon, I. S. (2019). Learning loss for active learning. CVPR. arXiv:1905.03677.
    """

    name = "loss_prediction"
    requires = frozenset({"model", "embedding", "labels"})
    field_name = "Learning Loss: predicted loss l̂(x)"
    _parameter_constraints = {
        "margin": [Interval(Real, 0, None, closed="left", hint="the paper uses 1.0")],
        "hidden": [Interval(Integral, 1, None)],
        "steps": [Interval(Integral, 1, None)],
        "batch_size": [Interval(Integral, 2, None)],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "device": ["device"],
    }

    def __init__(
        self,
        margin: float = 1.0,
        hidden: int = 128,
        steps: int = 200,
        batch_size: int = 64,
        lr: float = 1e-3,
        device: str = "cpu",
    ) -> None:
        self.margin = margin
        self.hidden = hidden
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.device = device

    def _fit(self, ctx: QueryContext, rng: np.random.Generator) -> RankerFit:
        """This round's module, trained once per context and reused by score_points."""
        resolve_device(self.device)  # a device this machine lacks fails here, before any training
        key = (
            "loss_prediction_fit",
            float(self.margin),
            int(self.hidden),
            int(self.steps),
            int(self.batch_size),
            float(self.lr),
            str(self.device),
        )
        return ctx.memoize(
            key,
            lambda: fit_ranker(
                ctx,
                rng,
                who="loss_prediction",
                steps=int(self.steps),
                batch_size=int(self.batch_size),
                lr=float(self.lr),
                margin=float(self.margin),
                hidden=int(self.hidden),
                device=self.device,
            ),
        )

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self._fit(ctx, rng).predict(ctx.embed_points(X))

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        ranker = self._fit(ctx, rng)
        H = np.asarray(ctx.embedding)
        pred = ranker.predict(H)
        s = candidate_scores(ctx, pred)
        true_full = np.full(ctx.n_pool, np.nan)
        true_full[ranker.labeled] = ranker.true_loss
        extras = {
            "predicted_loss": pred,
            "true_loss": true_full,
            "loss_prediction_loss": ranker.fit.loss_curve,
            "representation": H.astype(np.float32),
            "representation_name": "task model embedding h(x)",
        }
        return QueryResult(top_k(s, budget, ctx.candidates), s, extras)
