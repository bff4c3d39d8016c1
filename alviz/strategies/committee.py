"""Query by committee: vote entropy and consensus KL over a committee.

The committee is M copies of the task model trained on bootstrap resamples
of the labeled set (the Session's model stays untouched), or, with
``committee="dropout"``, T stochastic forward passes with dropout on
(MC dropout, Gal et al. 2017) through the task model itself.
"""
from __future__ import annotations

import numpy as np
import torch

from .. import scores
from .._device import seeded
from .._validation import torch_seed
from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["QBCVoteEntropy", "QBCKL", "committee_proba"]


def _bootstrap_committee(ctx, n_members: int, rng) -> np.ndarray:
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
        member = ctx.fit_clone(X[idx], y[idx], rng)
        out.append(ctx.proba_of(member, ctx.X))
    return np.stack(out)  # (M, n_pool, C)


def _dropout_committee(ctx, n_members: int, rng) -> np.ndarray:
    model = ctx.require_torch("qbc with committee='dropout'")
    net = model.network_
    drops = [m for m in net.modules() if isinstance(m, torch.nn.Dropout) and m.p > 0]
    if not drops:
        raise ValueError("committee='dropout' needs a model with dropout > 0 (e.g. alviz.models.MLP(dropout=0.2))")
    X = torch.as_tensor(np.asarray(ctx.X), dtype=torch.float32)
    out = []
    with seeded(torch_seed(rng), model.device_), torch.no_grad():
        net.eval()
        for m in drops:
            m.train()  # only the dropout layers are stochastic
        try:
            for _ in range(n_members):
                p = [torch.softmax(net(X[i:i + 4096].to(model.device_)), dim=1).cpu() for i in range(0, len(X), 4096)]
                out.append(torch.cat(p).numpy().astype(np.float64))
        finally:
            net.eval()
    return np.stack(out)


def committee_proba(ctx, committee: str, n_members: int, rng) -> np.ndarray:
    """(M, n_pool, C) probabilities of each committee member."""
    ctx.require_model("qbc")
    key = ("committee", committee, n_members)
    if key not in ctx._memo:
        fn = _bootstrap_committee if committee == "bootstrap" else _dropout_committee
        ctx._memo[key] = fn(ctx, n_members, rng)
    return ctx._memo[key]


class _QBC(Strategy):
    score_fn = staticmethod(scores.vote_entropy)

    def __init__(self, n_members: int = 5, committee: str = "bootstrap"):
        self.n_members = n_members
        self.committee = committee

    def _validate_params(self):
        if self.committee not in ("bootstrap", "dropout"):
            raise ValueError(f"committee={self.committee!r}; choose 'bootstrap' or 'dropout'")
        if not isinstance(self.n_members, (int, np.integer)) or self.n_members < 2:
            raise ValueError(f"n_members={self.n_members!r}: a committee needs at least 2 members")

    def _query(self, ctx, budget, rng):
        P = committee_proba(ctx, self.committee, int(self.n_members), rng)
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
        return QueryResult(top_k(s, budget, ctx.candidates, tiebreak=tie), s, extras)


@register
class QBCVoteEntropy(_QBC):
    """Vote entropy of a committee: -sum_c (V_c/M) log(V_c/M).

    References
    ----------
    Seung, H. S., Opper, M. & Sompolinsky, H. (1992). Query by committee. COLT.
    Dagan, I. & Engelson, S. (1995). Committee-based sampling for training probabilistic classifiers. ICML.
    """

    name = "qbc_vote_entropy"
    score_fn = staticmethod(scores.vote_entropy)


@register
class QBCKL(_QBC):
    """Mean KL divergence of each member from the consensus: (1/M) sum_m KL(P_m || P_mean).

    References
    ----------
    McCallum, A. & Nigam, K. (1998). Employing EM and pool-based active learning for text classification. ICML.
    """

    name = "qbc_kl"
    score_fn = staticmethod(scores.consensus_kl)
