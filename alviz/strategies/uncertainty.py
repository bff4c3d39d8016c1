"""Random sampling and the uncertainty scores: least confidence, margin, entropy."""

from __future__ import annotations

import numpy as np

from .. import scores
from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["RandomSampling", "LeastConfidence", "Margin", "Entropy"]


@register
class RandomSampling(Strategy):
    """k samples uniformly at random from the unlabeled pool (seeded).

    Its score is the uniform draw itself, so ``scores`` shows the (meaningless)
    order in which random sampling took them.
    """

    name = "random"
    field_name = "random: flat (no point is preferred)"

    def _score_points(self, ctx, X, rng):
        return np.zeros(len(X))

    def _query(self, ctx, budget, rng):
        s = candidate_scores(ctx, rng.random(ctx.n_unlabeled))
        return QueryResult(top_k(s, budget, ctx.candidates), s, {})


class _ProbaScoreStrategy(Strategy):
    """Top-k of a pure score of the task model's probabilities."""

    score_fn = staticmethod(scores.entropy)

    def _score_points(self, ctx, X, rng):
        return self.score_fn(ctx.proba_points(X))

    def _query(self, ctx, budget, rng):
        p = ctx.proba  # the same model on the pool inputs, scored by the same function as score_points
        s = candidate_scores(ctx, self.score_fn(p))
        return QueryResult(top_k(s, budget, ctx.candidates), s, {"predicted": p.argmax(axis=1)})


@register
class LeastConfidence(_ProbaScoreStrategy):
    """1 - max_c p_c: the samples the model is least sure of."""

    name = "least_confidence"
    requires = frozenset({"model"})
    field_name = "least confidence 1 − max p"
    score_fn = staticmethod(scores.least_confidence)


@register
class Margin(_ProbaScoreStrategy):
    """-(p_(1) - p_(2)): the samples whose top two classes are closest."""

    name = "margin"
    requires = frozenset({"model"})
    field_name = "margin −(p₁ − p₂)"
    score_fn = staticmethod(scores.margin)


@register
class Entropy(_ProbaScoreStrategy):
    """-sum_c p_c log p_c: the samples with the most spread-out prediction."""

    name = "entropy"
    requires = frozenset({"model"})
    field_name = "entropy −Σ p log p"
    score_fn = staticmethod(scores.entropy)
