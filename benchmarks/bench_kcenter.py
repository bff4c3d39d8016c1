"""k-center greedy: ours vs scikit-activeml and vs a full-distance-matrix version.

Targets: identical picks to the reference, >= 3x faster than
scikit-activeml (``skactiveml.pool.k_greedy_center``, a benchmark-only
dependency: ``pip install -e .[bench]``), memory O(n*d) (no n x n matrix).

Data: a seeded Gaussian mixture (20 clusters) in d dimensions, the shape of a
model embedding, float64 (both sides get the very same array); |L| labeled
points chosen uniformly. One BLAS/OpenMP thread for both sides. Full size: n = 50 000, d = 128, |L| = 1 000,
k = 1 000 against scikit-activeml, and n = 10 000 against the full matrix.

    python benchmarks/bench_kcenter.py [--quick]
"""
from __future__ import annotations

import importlib.util

import numpy as np
from threadpoolctl import threadpool_limits

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_kcenter
    from _harness import main, measure, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, measure, row

from alviz.selection import k_center_greedy

SKACTIVEML_MISSING = ("scikit-activeml is not installed (it is the benchmark-only extra: "
                      "pip install -e .[bench]); the comparison with it was skipped")

#: memory target: peak traced memory of ours at most this many times the features' own size (n*d*8 bytes)
MEMORY_FACTOR = 3.0


def make_features(n: int, d: int, n_labeled: int, seed: int = 0):
    """A (n, d) float64 Gaussian mixture and a (n,) labeled mask with ``n_labeled`` True."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(20, d))
    F = centers[rng.integers(0, 20, size=n)] + rng.normal(size=(n, d))  # (n, d)
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=n_labeled, replace=False)] = True
    return F, mask


def full_matrix_kcenter(F: np.ndarray, labeled_mask: np.ndarray, k: int) -> np.ndarray:
    """The textbook k-center greedy on a precomputed n x n distance matrix (the reference)."""
    from scipy.spatial.distance import cdist

    D = cdist(F, F)  # (n, n) exact Euclidean distances
    min_d = D[:, labeled_mask].min(axis=1)  # (n,)
    avail = ~labeled_mask
    picks = np.empty(k, dtype=np.int64)
    for t in range(k):
        i = int(np.argmax(np.where(avail, min_d, -1.0)))
        picks[t] = i
        avail[i] = False
        np.minimum(min_d, D[:, i], out=min_d)
    return picks


def skactiveml_available() -> bool:
    return importlib.util.find_spec("skactiveml") is not None


def skactiveml_kcenter(F: np.ndarray, labeled_mask: np.ndarray, k: int) -> np.ndarray:
    """scikit-activeml's k-center greedy: unlabeled samples are marked by a NaN label."""
    from skactiveml.pool import k_greedy_center

    y = np.where(labeled_mask, 0.0, np.nan)
    picks, _ = k_greedy_center(F, y, batch_size=int(k), random_state=0)
    return np.asarray(picks, dtype=np.int64)


def _agreement(ours: np.ndarray, ref: np.ndarray) -> dict:
    same = bool(np.array_equal(ours, ref))
    diff = np.flatnonzero(ours != ref)
    return {"identical_picks": same, "first_difference": None if same else int(diff[0])}


def _skactiveml_version() -> str:
    from importlib.metadata import version

    return version("scikit-activeml")


def compare_skactiveml(n: int, d: int, n_labeled: int, k: int, seed: int = 0) -> dict:
    """One row: ours vs ``skactiveml.pool.k_greedy_center`` (picks, speed, memory)."""
    case = f"vs scikit-activeml n={n} d={d} |L|={n_labeled} k={k}"
    target = ">= 3x faster than scikit-activeml, identical picks, peak <= 3 n*d*8 B"
    F, mask = make_features(n, d, n_labeled, seed)
    bound = MEMORY_FACTOR * F.nbytes / 2**20
    if not skactiveml_available():
        ours = measure(lambda: k_center_greedy(F, mask, k))
        return row("kcenter", case, ours, target=target, met=None, skipped=SKACTIVEML_MISSING,
                   memory_bound_mib=round(bound, 1))
    ours = measure(lambda: k_center_greedy(F, mask, k))
    ref = measure(lambda: skactiveml_kcenter(F, mask, k))
    agree = _agreement(ours["value"], ref["value"])
    speedup = ref["seconds"] / max(ours["seconds"], 1e-12)
    memory_ok = bool(ours["peak_mib"] <= bound)
    met = bool(agree["identical_picks"] and speedup >= 3.0 and memory_ok)
    return row("kcenter", case, ours, ref, target=target, met=met, reference=f"skactiveml {_skactiveml_version()}"
               " pool.k_greedy_center", memory_bound_mib=round(bound, 1), memory_met=memory_ok, **agree)


def compare_full_matrix(n: int, d: int, n_labeled: int, k: int, seed: int = 0) -> dict:
    """One row: ours vs the full-distance-matrix k-center greedy (picks, speed, memory)."""
    F, mask = make_features(n, d, n_labeled, seed)
    bound = MEMORY_FACTOR * F.nbytes / 2**20
    ours = measure(lambda: k_center_greedy(F, mask, k))
    ref = measure(lambda: full_matrix_kcenter(F, mask.copy(), k))
    agree = _agreement(ours["value"], ref["value"])
    memory_ok = bool(ours["peak_mib"] <= bound)
    return row("kcenter", f"vs full distance matrix n={n} d={d} |L|={n_labeled} k={k}", ours, ref,
               target="identical picks, no n x n matrix (peak <= 3 n*d*8 B)",
               met=bool(agree["identical_picks"] and memory_ok), reference="scipy cdist n x n + greedy",
               memory_bound_mib=round(bound, 1), memory_met=memory_ok, **agree)


def run(quick: bool = False) -> list:
    # one BLAS/OpenMP thread for both sides, like the other benchmarks: comparable on a shared machine
    with threadpool_limits(limits=1):
        if quick:
            rows = [compare_skactiveml(3000, 32, 100, 100), compare_full_matrix(1500, 32, 100, 100)]
        else:
            rows = [compare_skactiveml(50_000, 128, 1000, 1000), compare_full_matrix(10_000, 128, 1000, 1000)]
    return [dict(r, threads=1) for r in rows]


if __name__ == "__main__":
    main(run)
