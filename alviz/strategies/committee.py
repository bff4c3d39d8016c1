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
import torch

from .. import scores
from .._device import seeded
from .._validation import check_int, torch_seed
from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["QBCVoteEntropy", "QBCKL", "committee_proba"]


def _bootstrap_committee(ctx, n_members: int, rng, rows=None) -> np.ndarray:
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
        out.append(ctx.proba_of(member, ctx.X if rows is None else ctx.X[rows]))
    return np.stack(out)  # (M, n_pool or len(rows), C)


def _dropout_committee(ctx, n_members: int, rng, rows=None) -> np.ndarray:
    model = ctx.require_torch("qbc with committee='dropout'")
    net = model.network_
    drops = [m for m in net.modules() if isinstance(m, torch.nn.Dropout) and m.p > 0]
    if not drops:
        raise ValueError("committee='dropout' needs a model with dropout > 0 (e.g. alviz.models.MLP(dropout=0.2))")
    X = torch.as_tensor(np.asarray(ctx.X if rows is None else ctx.X[rows]), dtype=torch.float32)
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


def committee_proba(ctx, committee: str, n_members: int, rng, rows=None) -> np.ndarray:
    """(M, n_pool, C) probabilities of each committee member (M, len(rows), C) on ``rows`` only."""
    ctx.require_model("qbc")
    key = ("committee", committee, n_members, None if rows is None else np.asarray(rows).tobytes())
    if key not in ctx._memo:
        fn = _bootstrap_committee if committee == "bootstrap" else _dropout_committee
        ctx._memo[key] = fn(ctx, n_members, rng, rows)
    return ctx._memo[key]


class _QBC(Strategy):
    score_fn = staticmethod(scores.vote_entropy)

    def __init__(self, n_members: int = 5, committee: str = "bootstrap", max_candidates=10_000):
        self.n_members = n_members
        self.committee = committee
        self.max_candidates = max_candidates

    def _validate_params(self):
        if self.committee not in ("bootstrap", "dropout"):
            raise ValueError(f"committee={self.committee!r}; choose 'bootstrap' or 'dropout'")
        if not isinstance(self.n_members, (int, np.integer)) or self.n_members < 2:
            raise ValueError(f"n_members={self.n_members!r}: a committee needs at least 2 members")
        if self.max_candidates is not None:
            check_int(self.max_candidates, "max_candidates", 1, hint="or None to score every unlabeled sample")

    def _query(self, ctx, budget, rng):
        cand = ctx.candidates
        if self.max_candidates is not None and cand.size > max(int(self.max_candidates), budget):
            # large pools: every member predicts a seeded subsample of the candidates, not the whole pool
            sub = np.sort(rng.choice(cand, size=max(int(self.max_candidates), budget), replace=False))
            Ps = committee_proba(ctx, self.committee, int(self.n_members), rng, rows=sub)  # (M, m, C)
            P = np.full((Ps.shape[0], ctx.n_pool, Ps.shape[2]), 1.0 / Ps.shape[2])
            P[:, sub] = Ps
            s = candidate_scores(ctx, self.score_fn(Ps), where=sub)
        else:
            sub = None
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
