"""BADGE seeding: factorized k-means++ vs the explicit n x (C*d) gradient-embedding matrix.

Target: n = 20 000, C = 10, d = 128, k = 100: >= 5x faster, >= 10x
less peak memory, same picks under the same rng, same distances.

Both sides run the very same k-means++ (``alviz.selection.kmeans_pp_trace``:
first center = largest norm, then D² draws from one Generator seed); the
reference first builds g = a ⊗ h as an explicit (n, C*d) float64 matrix and
hands it over as plain features, so the only difference is the factorization
‖g_i − g_j‖² = ‖a_i‖²‖h_i‖² + ‖a_j‖²‖h_j‖² − 2(a_i·a_j)(h_i·h_j).

Both sides run single-threaded (threadpoolctl): the comparison is of the
algorithms, and on a small machine shared with other jobs multi-threaded BLAS
timings are dominated by oversubscription, not by the work.

Data: seeded softmax probabilities of random logits (a = p − e_ŷ) and
ReLU'd Gaussian features h, float64, generated outside the timed region.

    python benchmarks/bench_badge.py [--quick]
"""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_badge
    from _harness import main, measure, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, measure, row

from alviz.selection import kmeans_pp_trace


def make_factors(n: int, C: int, d: int, seed: int = 0):
    """(a, h): a = p − e_ŷ (n, C) of a seeded softmax, h (n, d) non-negative features."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3.0, size=(n, C))  # (n, C) logits
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    a = p.copy()
    a[np.arange(n), p.argmax(axis=1)] -= 1.0
    h = np.maximum(rng.normal(size=(n, d)), 0.0)  # (n, d)
    return a, h


def explicit_kmeans_pp(a, h, k: int, seed: int):
    """The reference: build the (n, C*d) gradient embedding, then k-means++ on it."""
    G = (a[:, :, None] * h[:, None, :]).reshape(len(a), -1)  # (n, C*d)
    return kmeans_pp_trace(G, None, k, rng=seed)


def compare(n: int, C: int, d: int, k: int, seed: int = 0) -> dict:
    a, h = make_factors(n, C, d, seed)
    ours = measure(lambda: kmeans_pp_trace(a, h, k, rng=seed), repeat=3)
    ref = measure(lambda: explicit_kmeans_pp(a, h, k, seed), repeat=1)
    same_picks = bool(np.array_equal(ours["value"].indices, ref["value"].indices))
    dist_err = float(np.max(np.abs(ours["value"].seed_distance - ref["value"].seed_distance)
                            / np.maximum(ref["value"].seed_distance, 1e-300)))
    speedup = ref["seconds"] / max(ours["seconds"], 1e-12)
    mem_ratio = ref["peak_mib"] / max(ours["peak_mib"], 1e-9)
    met = bool(same_picks and dist_err < 1e-8 and speedup >= 5 and mem_ratio >= 10)
    return row("badge_kmeans_pp", f"factorized vs explicit n={n} C={C} d={d} k={k}", ours, ref,
               target=">= 5x faster, >= 10x less peak memory, same picks, same distances", met=met,
               reference="kmeans_pp_trace on the explicit (n, C*d) float64 matrix",
               identical_picks=same_picks, max_rel_seed_distance_diff=dist_err,
               explicit_matrix_mib=round(n * C * d * 8 / 2**20, 1), threads=1)


def run(quick: bool = False) -> list:
    with threadpool_limits(limits=1):
        if quick:
            return [compare(2000, 10, 64, 20)]
        return [compare(20_000, 10, 128, 100)]


if __name__ == "__main__":
    main(run)
