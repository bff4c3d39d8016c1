"""Query by committee: vote entropy and consensus KL over a committee.

The committee is M copies of the task model trained on bootstrap resamples
of the labeled set (the Session's model stays untouched), or, with
``committee="dropout"``, T stochastic forward passes with dropout on
(MC dropout, Gal et al. 2017) through the task model itself.

On pools with more than ``max_candidates`` (default 10 000) unlabeled
samples, the committee scores a seeded subsample of that many candidates
(``extras["candidates"]``; NaN scores elsewhere): M members each predicting a
60 000-image pool would cost M full passes a round. Members train on the
task model's device (they are clones of it).
"""

from __future__ import annotations

import numpy as np

from .. import scores
from .._params import Integral, Interval, Options
from .._validation import torch_seed
from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["QBCVoteEntropy", "QBCKL", "committee_proba", "MEMBER_STEPS"]

#: training steps of each bootstrap member by default (a torch task model's own default is 300): members
#: are refitted every round, five at a time, and this keeps a round on a 60 000-image pool under 30 s
MEMBER_STEPS = 100


def _bootstrap_members(ctx, n_members: int, rng, member_steps=None) -> list:
    X, y = ctx.train_X, ctx.train_y
    n = len(y)
    out = []
    for _ in range(n_members):
        idx = rng.integers(0, n, size=n)
        # a resample must keep at least two classes for a classifier to fit; redraw a few times
        for _retry in range(20):
            if np.unique(y[idx]).size >= min(2, np.unique(y).size):
                break
            idx = rng.integers(0, n, size=n)
        out.append(ctx.fit_clone(X[idx], y[idx], rng, None if member_steps is None else {"steps": member_steps}))
    return out


def _dropout_proba(ctx, n_members: int, seed: int, X) -> np.ndarray:
    """(M, m, C): M dropout passes over ``X``, seeded by ``seed`` (the same masks' stream for any X)."""
    model = ctx.require_torch(f"{ctx.strategy_name or 'qbc'} with committee='dropout'")
    return model.mc_dropout_proba(X, n_members, seed)


def _committee(ctx, committee: str, n_members: int, rng, member_steps=None):
    """The committee of this round, built once per context: fitted members, or the dropout seed."""
    ctx.require_model()
    key = ("committee_members", committee, n_members) + ((member_steps,) if committee == "bootstrap" else ())

    def build():
        if committee == "bootstrap":
            return _bootstrap_members(ctx, n_members, rng, member_steps)
        ctx.require_torch(f"{ctx.strategy_name or 'qbc'} with committee='dropout'")
        return torch_seed(rng)

    return ctx.memoize(key, build)


def committee_proba(ctx, committee: str, n_members: int, rng, X=None, member_steps=None) -> np.ndarray:
    """(M, m, C) probabilities of each committee member on ``X`` (default: the pool, cached).

    The committee is built once per context (from ``rng`` on first use) and
    reused for any inputs, so the pool's scores and a field come from the same members.
    ``member_steps``: training steps of each bootstrap member (None: the task model's own).
    """
    members = _committee(ctx, committee, n_members, rng, member_steps)
    if X is None:
        key = ("committee", committee, n_members, member_steps)
        return ctx.memoize(key, lambda: committee_proba(ctx, committee, n_members, rng, ctx.X, member_steps))
    if committee == "bootstrap":
        return np.stack([ctx.proba_of(m, X) for m in members])
    return _dropout_proba(ctx, n_members, members, X)


class _QBC(Strategy):
    score_fn = staticmethod(scores.vote_entropy)

    _parameter_constraints = {
        "n_members": [Interval(Integral, 2, None, hint="a committee needs at least 2 members")],
        "committee": [Options(("bootstrap", "dropout"))],
        "max_candidates": [Interval(Integral, 1, None, hint="or None to score every unlabeled sample"), None],
        "member_steps": [
            Interval(Integral, 1, None, hint="training steps of each member, or None for as many as the task model"),
            None,
        ],
    }

    def __init__(
        self, n_members: int = 5, committee: str = "bootstrap", max_candidates=10_000, member_steps=MEMBER_STEPS
    ):
        self.n_members = n_members
        self.committee = committee
        self.max_candidates = max_candidates
        self.member_steps = member_steps

    def _requires(self) -> frozenset:
        # an MC-dropout committee samples the task model's own network: an alviz torch model
        return super()._requires() | ({"gradients"} if self.committee == "dropout" else set())

    def _member_steps(self):
        return None if self.member_steps is None else int(self.member_steps)

    def _score_points(self, ctx, X, rng):
        return self.score_fn(committee_proba(ctx, self.committee, int(self.n_members), rng, X, self._member_steps()))

    def _query(self, ctx, budget, rng):
        cand = ctx.candidates
        if self.max_candidates is not None and cand.size > max(int(self.max_candidates), budget):
            # large pools: every member predicts a seeded subsample of the candidates, not the whole pool
            sub = np.sort(rng.choice(cand, size=max(int(self.max_candidates), budget), replace=False))
            Ps = committee_proba(
                ctx, self.committee, int(self.n_members), rng, ctx.X[sub], self._member_steps()
            )  # (M, m, C)
            P = np.full((Ps.shape[0], ctx.n_pool, Ps.shape[2]), 1.0 / Ps.shape[2])
            P[:, sub] = Ps
            s = candidate_scores(ctx, self.score_fn(Ps), where=sub)
        else:
            sub = None
            P = committee_proba(ctx, self.committee, int(self.n_members), rng, member_steps=self._member_steps())
            s = candidate_scores(ctx, self.score_fn(P))
        votes = P.argmax(axis=2).T  # (n_pool, M)
        counts = (votes[:, :, None] == np.arange(ctx.n_classes)).sum(axis=1)  # (n_pool, C)
        extras = {
            "member_votes": votes,
            "vote_agreement": counts.max(axis=1) / votes.shape[1],
            "disagreement": s,
        }
        # vote entropy takes few distinct values: break its ties by the consensus's entropy
        tie = scores.entropy(P.mean(axis=0))
        if sub is not None:
            outside = np.ones(ctx.n_pool, dtype=bool)
            outside[sub] = False
            extras["member_votes"] = np.where(outside[:, None], -1, votes)
            extras["vote_agreement"] = np.where(outside, np.nan, extras["vote_agreement"])
            extras["candidates"] = sub
        return QueryResult(top_k(s, budget, ctx.candidates if sub is None else sub, tiebreak=tie), s, extras)


@register
class QBCVoteEntropy(_QBC):
    """Vote entropy of a committee: -sum_c (V_c/M) log(V_c/M).

    References
    ----------
    Seung, H. S., Opper, M. & Sompolinsky, H. (1992). Query by committee. COLT.
    Dagan, I. & Engelson, S. (1995). Committee-based sampling for training probabilistic classifiers. ICML.
    """

    name = "qbc_vote_entropy"
    requires = frozenset({"model"})
    field_name = "committee vote entropy"
    score_fn = staticmethod(scores.vote_entropy)


@register
class QBCKL(_QBC):
    """Mean KL divergence of each member from the consensus: (1/M) sum_m KL(P_m || P_mean).

    References
    ----------
    McCallum, A. & Nigam, K. (1998). Employing EM and pool-based active learning for text classification. ICML.
    """

    name = "qbc_kl"
    requires = frozenset({"model"})
    field_name = "committee KL from the consensus"
    score_fn = staticmethod(scores.consensus_kl)
