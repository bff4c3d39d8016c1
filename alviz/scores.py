"""Pure informativeness scores: numpy in, numpy out, higher = more informative.

Each takes class probabilities ``proba`` of shape (n, C) (or a committee's
``member_proba`` of shape (M, n, C)) and returns one score per sample (n,).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "least_confidence",
    "margin",
    "entropy",
    "vote_entropy",
    "consensus_kl",
    "bald",
    "expected_entropy",
    "mean_std",
    "variation_ratio",
]


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


# ---------------------------------------------------------------------------- Bayesian (MC-dropout) scores
def expected_entropy(member_proba: ArrayLike) -> np.ndarray:
    """E_t H[p_t] = -(1/T) sum_t sum_c p_tc log p_tc: the mean entropy of T sampled predictions (M, n, C) -> (n,)."""
    P = _check_proba(member_proba, ndim=3, name="member_proba")
    return -_xlogx(P).sum(axis=2).mean(axis=0)


def bald(member_proba: ArrayLike) -> np.ndarray:
    """BALD: the mutual information H[E_t p_t] - E_t H[p_t] between the label and the model's parameters.

    Parameters
    ----------
    member_proba : (T, n, C) array, T sampled predictions (e.g. MC-dropout passes) of n samples.

    Returns
    -------
    (n,) float64, >= 0 (the entropy is concave; tiny negative rounding is clipped to 0).

    References
    ----------
    Houlsby, N., Huszár, F., Ghahramani, Z. & Lengyel, M. (2011). Bayesian active learning for
    classification and preference learning. arXiv:1112.5745.
    Gal, Y., Islam, R. & Ghahramani, Z. (2017). Deep Bayesian active learning with image data. ICML.
    """
    P = _check_proba(member_proba, ndim=3, name="member_proba")
    total = -_xlogx(P.mean(axis=0)).sum(axis=1)
    return np.maximum(total - expected_entropy(P), 0.0)


def mean_std(member_proba: ArrayLike) -> np.ndarray:
    """Mean over classes of the standard deviation of p_c over T sampled predictions (M, n, C) -> (n,).

    sigma_c = sqrt(E_t[p_tc^2] - E_t[p_tc]^2) (the population std over the T passes), score = (1/C) sum_c sigma_c.

    References
    ----------
    Kampffmeyer, M., Salberg, A.-B. & Jenssen, R. (2016). Semantic segmentation of small objects and
    modeling of uncertainty in urban remote sensing images using deep convolutional neural networks. CVPR
    workshops.
    """
    P = _check_proba(member_proba, ndim=3, name="member_proba")
    return P.std(axis=0).mean(axis=1)


def variation_ratio(member_proba: ArrayLike) -> np.ndarray:
    """Freeman's variation ratio over T sampled predictions: 1 - f_m / T, f_m = passes voting the modal class.

    Each pass votes its argmax (ties inside a pass go to the lowest class index). This is not least
    confidence 1 - max_c mean_t p_tc (a popular port computes that under this name): a sample every
    pass predicts the same way scores 0 however unsure each pass is.

    References
    ----------
    Freeman, L. C. (1965). Elementary applied statistics. Wiley.
    Gal, Y., Islam, R. & Ghahramani, Z. (2017). Deep Bayesian active learning with image data. ICML.
    """
    P = _check_proba(member_proba, ndim=3, name="member_proba")
    T, n, C = P.shape
    votes = P.argmax(axis=2)  # (T, n)
    counts = np.zeros((n, C))
    np.add.at(counts, (np.tile(np.arange(n), T), votes.ravel()), 1.0)
    return 1.0 - counts.max(axis=1) / T
