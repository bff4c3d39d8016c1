"""Learning-curve metrics: the normalised area under a curve and Student's t interval over seeds.

A ground-floor module (numpy, and scipy for the t quantile): the experiment tables and the pictures
both take their numbers from here.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["area_under_curve", "interval", "seeds_needed"]


def area_under_curve(n_labeled: ArrayLike, accuracy: ArrayLike) -> float:
    """Normalised area under a learning curve: the trapezoid area over the labeled range divided
    by its width, i.e. the mean accuracy across the range (one point: that accuracy).

    Rounds with no accuracy (NaN, e.g. nothing labeled yet) are left out.
    """
    n = np.asarray(n_labeled, dtype=np.float64)
    a = np.asarray(accuracy, dtype=np.float64)
    if n.shape != a.shape or n.ndim != 1:
        raise ValueError(f"n_labeled {n.shape} and accuracy {a.shape} must be 1-D of equal length")
    ok = np.isfinite(a) & np.isfinite(n)
    n, a = n[ok], a[ok]
    if n.size == 0:
        return float("nan")
    if n.size == 1 or n[-1] == n[0]:
        return float(a.mean())
    order = np.argsort(n, kind="stable")
    n, a = n[order], a[order]
    return float(np.sum((a[1:] + a[:-1]) / 2 * np.diff(n)) / (n[-1] - n[0]))


def interval(values: ArrayLike, confidence: float = 0.95) -> Tuple[float, float, float]:
    """(mean, low, high): Student's t interval of the mean of ``values`` (NaNs left out).

    With one value the interval is (NaN, NaN): one seed says nothing about the spread.
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(v.mean())
    if v.size == 1:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return mean, mean - half, mean + half


def seeds_needed(differences: ArrayLike, confidence: float = 0.95, at_most: int = 10_000) -> float:
    """How many seeds the observed spread of paired ``differences`` suggests a significant result needs.

    The smallest n >= 2 for which a Student-t interval of half-width t(n-1) * s / sqrt(n), with
    the observed standard deviation s, would exclude zero at the observed mean difference. It is a
    planning figure, not a test: the spread itself is estimated from few seeds.

    Parameters
    ----------
    differences : array-like of float
        Paired differences (one per seed), e.g. a strategy's AULC minus random's; NaNs left out.
    confidence : float in (0, 1), as for :func:`interval`.
    at_most : int, the largest count considered.

    Returns
    -------
    float
        The count (a whole number), ``inf`` when the mean difference is zero or more than
        ``at_most`` seeds would be needed, NaN with fewer than 2 differences.
    """
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return float("nan")
    m, sd = abs(float(d.mean())), float(d.std(ddof=1))
    if m == 0.0:
        return float("inf")
    if sd == 0.0:
        return 2.0
    n = np.arange(2, at_most + 1)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    ok = np.flatnonzero(half < m)
    return float(n[ok[0]]) if ok.size else float("inf")
