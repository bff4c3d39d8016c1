"""BatchBALD: the greedy batch of largest joint mutual information with the model's parameters.

The pure core, :func:`batchbald_select`, takes T consistent MC-dropout samples of the candidates and
grows the batch one pick at a time, each the candidate that maximises the estimated joint mutual
information I(y_1, ..., y_n; ω) of the batch with it (Kirsch et al. 2019, Algorithm 1). The joint
entropy is exact while the C^n label configurations of the batch fit in ``n_configurations``, and
estimated from that many sampled configurations afterwards (importance sampling, as in the paper and
BlackHC/batchbald_redux). The strategy scores the pool by BALD with the same samples and pre-filters the
candidates to the ``max_candidates`` of highest BALD.
"""

from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np

from .. import scores
from .._params import Interval
from .._validation import RandomLike, as_generator, check_count
from ..selection import top_k
from ._mc_dropout import dropout_samples, dropout_scores
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["BatchBALD", "BatchBALDSelection", "batchbald_select", "joint_entropy_exact"]


class BatchBALDSelection(NamedTuple):
    """indices (k,) into the candidates, in pick order; joint_mi (k,) the estimated joint mutual
    information of the first j + 1 picks (the greedy score of pick j); bald (m,) each candidate's BALD."""

    indices: np.ndarray
    joint_mi: np.ndarray
    bald: np.ndarray


def _xlogx(p: np.ndarray) -> np.ndarray:
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def joint_entropy_exact(member_proba: np.ndarray) -> float:
    """H(y_1, ..., y_n) of n samples' labels under T equally weighted networks, by enumerating all C^n
    configurations: p(y_1..y_n) = (1/T) Σ_t Π_i p_t(y_i). A reference for small n (cost T·C^n).

    Parameters
    ----------
    member_proba : (T, n, C) array.

    Returns
    -------
    float (nats)
    """
    P = np.asarray(member_proba, dtype=np.float64)
    T, n, _ = P.shape
    joint = np.ones((T, 1))
    for i in range(n):
        joint = (joint[:, :, None] * P[:, i, None, :]).reshape(T, -1)  # (T, C^(i+1))
    return float(-_xlogx(joint.mean(axis=0)).sum())


def _sample_configurations(P_batch: np.ndarray, M: int, rng: np.random.Generator) -> np.ndarray:
    """(M', T) log Π_i p_t(y_i^(m)) for M' = (M // T) · T configurations: for each network t, M // T
    configurations y^(m) drawn from Π_i p_t(y_i) (the proposal is the mixture over t, as in the paper).
    Logs: the products of many picks' probabilities underflow."""
    T, n, C = P_batch.shape
    S = max(1, M // T)
    log_p = np.log(np.clip(P_batch, 1e-300, None))  # (T, n, C)
    logq = np.zeros((T, S, T))  # (drawn from t, sample s, evaluated at t')
    cum = np.cumsum(P_batch, axis=2)  # (T, n, C)
    for i in range(n):
        u = rng.random((T, S))
        y = (u[:, :, None] > cum[:, i, None, :]).sum(axis=2).clip(0, C - 1)  # (T, S) class drawn under t
        logq += log_p[:, i, :][:, y].transpose(1, 2, 0)  # p_t'(y) for every t': (T', T, S) -> (T, S, T')
    return logq.reshape(T * S, T)


def batchbald_select(
    member_proba: np.ndarray, k: int, n_configurations: int = 2048, rng: RandomLike = None, chunk: int = 128
) -> BatchBALDSelection:
    """Greedy BatchBALD over m candidates.

    Pick j is the candidate b maximising Ĥ(y_1, ..., y_{j-1}, y_b) − Σ_{i<j} E_t H[p_t(y_i)] −
    E_t H[p_t(y_b)]: the joint mutual information of the batch with b. With Q[m, t] = Π_{i in batch}
    p_t(y_i^(m)) over the batch's label configurations m, p(y^(m), c) = (1/T) Σ_t Q[m, t] p_t(c | b), and

    - exact (while C^(j-1) <= ``n_configurations``; the configurations enumerate every label of the batch):
      Ĥ = −Σ_{m, c} p(y^(m), c) log p(y^(m), c);
    - sampled (afterwards): M configurations drawn from the batch's own predictive, y^(m) ~ p(y), and
      Ĥ = −(1/M) Σ_m Σ_c [p(y^(m), c) / p(y^(m))] log p(y^(m), c) (importance sampling; the configurations
      are redrawn after every pick, from the round's ``rng``).

    The first pick is BALD's top candidate. Ties: the lowest index.

    Parameters
    ----------
    member_proba : (T, m, C) array, T consistent MC-dropout samples of the m candidates.
    k : int, the batch size (<= m).
    n_configurations : int, M, the most configurations kept (exact or sampled).
    rng : None, int or Generator, draws the sampled configurations.
    chunk : int, candidates scored at a time (memory chunk · M · C).

    Returns
    -------
    BatchBALDSelection

    References
    ----------
    Kirsch, A., van Amersfoort, J. & Gal, Y. (2019). BatchBALD: efficient and diverse batch acquisition
    for deep Bayesian active learning. NeurIPS.
    """
    P = np.asarray(member_proba, dtype=np.float64)
    if P.ndim != 3:
        raise ValueError(f"member_proba must have shape (T, m, C), got {P.shape}")
    T, m, C = P.shape
    k = check_count(k, m)
    rng = as_generator(rng)
    cond = scores.expected_entropy(P)  # (m,) E_t H[p_t]
    bald = scores.bald(P)
    Pm = np.ascontiguousarray(P.transpose(1, 0, 2))  # (m, T, C)
    Pt = np.ascontiguousarray(P.reshape(T, m * C))  # (T, m C): candidate b's classes in columns b C .. b C + C
    Q = np.ones((1, T))  # configurations of the empty batch
    exact = True
    picks: list = []
    joint_mi = np.empty(k)
    available = np.ones(m, dtype=bool)
    Pt32 = Pt.astype(np.float32)
    logQ = np.zeros((0, T))  # the sampled configurations, set when the exact enumeration stops
    for j in range(k):
        H = np.empty(m)
        if exact:
            for s in range(0, m, chunk):
                block = Pt[:, s * C : (s + chunk) * C]  # (T, b C)
                R = (Q @ block) / T  # (M', b C): p(y^(m), c) for each candidate of the chunk
                nats = R * np.log(np.maximum(R, 1e-300))
                H[s : s + chunk] = -nats.sum(axis=0).reshape(-1, C).sum(axis=1)
        else:
            # importance sampling with R = q_m R', q_m = p(y^(m)) of the batch so far: since Σ_c R'_mc = 1,
            # Ĥ = −(1/M) [Σ_m log q_m + Σ_{m,c} R'_mc log R'_mc]; R' = (Q / q) P_b / T is O(1) (float32 holds it
            # where the products Q underflow)
            top = logQ.max(axis=1, keepdims=True)
            log_q = top[:, 0] + np.log(np.exp(logQ - top).mean(axis=1))  # log p(y^(m))
            base = float(log_q.sum())
            Qn = np.exp(logQ - log_q[:, None]).astype(np.float32)  # Q / q
            for s in range(0, m, chunk):
                Rn = (Qn @ Pt32[:, s * C : (s + chunk) * C]) / np.float32(T)  # (M, b C)
                nats = Rn * np.log(np.maximum(Rn, np.float32(1e-30)))
                H[s : s + chunk] = -(base + nats.sum(axis=0, dtype=np.float64).reshape(-1, C).sum(axis=1)) / len(log_q)
        score = H - cond - cond[picks].sum()
        score = np.where(available, score, -np.inf)
        b = int(np.argmax(score))
        picks.append(b)
        joint_mi[j] = score[b]
        available[b] = False
        if j + 1 == k:
            break
        if exact and C ** (j + 1) <= n_configurations:
            Q = (Q[:, None, :] * Pm[b].T[None, :, :]).reshape(-1, T)  # (M' C, T)
        else:
            exact = False
            logQ = _sample_configurations(P[:, picks], n_configurations, rng)
    return BatchBALDSelection(np.asarray(picks, dtype=np.int64), joint_mi, bald)


@register
class BatchBALD(Strategy):
    """BatchBALD: greedy joint mutual information of the batch with the model's parameters.

    T = ``n_samples`` consistent MC-dropout passes of the round's task model (pass t is one network
    for every input); the pool is scored by BALD with those samples and the ``max_candidates`` unlabeled
    samples of highest BALD are the candidates (``extras["candidates"]``; a departure: the paper scores
    the whole pool, which costs T·M·C per candidate and pick). On them :func:`batchbald_select` grows the
    batch: pick j maximises the joint mutual information I(y_1, ..., y_j; ω) = H(y_1..y_j) −
    Σ_i E_t H[p_t(y_i)], with the joint entropy exact while the C^j configurations fit in
    ``n_configurations`` and estimated from that many sampled configurations afterwards. Near-duplicates
    add almost nothing to the joint information, so, unlike top-k BALD, the batch spreads out.

    Parameters
    ----------
    n_samples : int, default 100
        T, the MC-dropout passes (the paper's 100: the joint information cannot exceed log T).
    n_configurations : int, default 2048
        M, the configurations of the joint entropy (batchbald_redux's examples use 100 000 on a GPU).
    max_candidates : int or None, default 300
        The BALD pre-filter; None keeps every unlabeled sample.

    Extras: ``joint_mutual_information`` (k,) the estimate after each pick (the greedy order),
    ``predictive_entropy``, ``expected_entropy``, ``predicted``, ``candidates`` when pre-filtered.
    ``scores`` are BALD (the first pick's greedy score); the field is BALD at each grid point.

    References
    ----------
    Kirsch, A., van Amersfoort, J. & Gal, Y. (2019). BatchBALD: efficient and diverse batch acquisition
    for deep Bayesian active learning. NeurIPS.
    """

    name = "batchbald"
    requires = frozenset({"model", "gradients"})
    field_name = "BALD mutual information (first pick)"
    _parameter_constraints = {
        "n_samples": [Interval(Integral, 2, None, hint="the paper uses 100")],
        "n_configurations": [Interval(Integral, 1, None)],
        "max_candidates": [Interval(Integral, 1, None), None],
    }

    def __init__(self, n_samples: int = 100, n_configurations: int = 2048, max_candidates: int | None = 300):
        self.n_samples = n_samples
        self.n_configurations = n_configurations
        self.max_candidates = max_candidates

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return dropout_scores(ctx, int(self.n_samples), rng, {"bald": scores.bald}, X)["bald"]

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        ctx.require_model()
        T = int(self.n_samples)
        got = dropout_scores(
            ctx,
            T,
            rng,
            {"bald": scores.bald, "predictive_entropy": _mean_entropy, "expected_entropy": scores.expected_entropy},
        )
        cand = ctx.candidates
        extras: dict = {
            "predicted": ctx.proba.argmax(axis=1),
            "predictive_entropy": got["predictive_entropy"],
            "expected_entropy": got["expected_entropy"],
        }
        if self.max_candidates is not None and cand.size > max(int(self.max_candidates), budget):
            cand = np.sort(top_k(got["bald"], max(int(self.max_candidates), budget), cand))
            extras["candidates"] = cand
        P = dropout_samples(ctx, T, rng, ctx.X[cand], cand)  # (T, m, C), the same networks as the pool's scores
        sel = batchbald_select(P, budget, int(self.n_configurations), rng)
        extras["joint_mutual_information"] = sel.joint_mi
        s = candidate_scores(ctx, got["bald"], where=cand)
        return QueryResult(cand[sel.indices], s, extras)


def _mean_entropy(P: np.ndarray) -> np.ndarray:
    return scores.entropy(P.mean(axis=0))
