"""Pure informativeness scores: numpy in, numpy out, higher = more informative.

Each takes class probabilities ``proba`` of shape (n, C) (or a committee's
``member_proba`` of shape (M, n, C)) and returns one score per sample (n,).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["least_confidence", "margin", "entropy", "vote_entropy", "consensus_kl"]


def _check_proba(proba, ndim: int = 2, name: str = "proba") -> np.ndarray:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != ndim:
        shape = "(n, C)" if ndim == 2 else "(M, n, C)"
        raise ValueError(f"{name} must have shape {shape}, got {p.shape}")
    if p.shape[-1] < 2:
        raise ValueError(f"{name} needs at least 2 classes (last axis), got {p.shape[-1]}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} has NaN or inf values")
    if p.size and (p.min() < -1e-6 or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-4)):
        raise ValueError(f"{name} rows must be probabilities (non-negative, summing to 1)")
    return np.clip(p, 0.0, 1.0)


def _xlogx(p: np.ndarray) -> np.ndarray:
    """p * log(p) with the safe convention 0 * log 0 = 0."""
    out = np.zeros_like(p)
    pos = p > 0
    out[pos] = p[pos] * np.log(p[pos])
    return out


def least_confidence(proba: ArrayLike) -> np.ndarray:
    """1 - max_c p_c."""
    p = _check_proba(proba)
    return 1.0 - p.max(axis=1)


def margin(proba: ArrayLike) -> np.ndarray:
    """-(p_(1) - p_(2)): minus the gap between the two most likely classes."""
    p = _check_proba(proba)
    top2 = np.partition(p, -2, axis=1)[:, -2:]
    return -(top2[:, 1] - top2[:, 0])


def entropy(proba: ArrayLike) -> np.ndarray:
    """-sum_c p_c log p_c (natural log, 0 log 0 = 0)."""
    p = _check_proba(proba)
    return -_xlogx(p).sum(axis=1)


def vote_entropy(member_proba: ArrayLike) -> np.ndarray:
    """-sum_c (V_c/M) log(V_c/M), V_c = members whose argmax is c.

    Ties inside a member's probabilities go to the lowest class index.
    """
    P = _check_proba(member_proba, ndim=3, name="member_proba")
    M, n, C = P.shape
    votes = P.argmax(axis=2)  # (M, n)
    counts = np.zeros((n, C))
    np.add.at(counts, (np.tile(np.arange(n), M), votes.ravel()), 1.0)
    return -_xlogx(counts / M).sum(axis=1)


def consensus_kl(member_proba: ArrayLike) -> np.ndarray:
    """(1/M) sum_m KL(P_m || P_mean): the committee's mean divergence from consensus."""
    P = _check_proba(member_proba, ndim=3, name="member_proba")
    mean = P.mean(axis=0)  # (n, C)
    log_mean = np.log(np.where(mean > 0, mean, 1.0))
    # KL(P_m || mean) = sum_c P_m log P_m - P_m log mean; P_m > 0 implies mean > 0
    kl = _xlogx(P).sum(axis=2) - (P * log_mean[None]).sum(axis=2)  # (M, n)
    return np.maximum(kl.mean(axis=0), 0.0)
