"""Learning-curve metrics: the normalised area under a curve and Student's t interval over seeds.

A ground-floor module (numpy, and scipy for the t quantile): the experiment tables and the pictures
both take their numbers from here.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["area_under_curve", "interval"]


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
