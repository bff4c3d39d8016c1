"""Projection: a UMAP fit vs a cache hit of the same projection.

Target: a projection cache hit is faster than a fit by a wide margin. The
reference column is a real fit (a fresh, empty cache folder per call); ours is
``alviz.projection.fit`` on the same features with the cache warm. Also: the
transform of 50 new points (e.g. x + r of a round's picks), cold (the UMAP is
read from disk and numba-compiled code runs) vs cached.

Data: the digits pool (1 347 x 64); full size adds a 10 000 x 64 noisy
replica of digits. The transform places new points by their nearest fitted
neighbours (no stored UMAP object: the cache is data only), so "cold" is the
first call (the fit read from the cache, the neighbour index built) and
"cached" a repeat on the Projection (its neighbour index kept). Nothing touches the user's cache: everything runs in a
temporary ``ALVIZ_CACHE_DIR``. The first UMAP call of a process pays numba's
compilation; it is done once before timing.

    python benchmarks/bench_projection.py [--quick]
"""
from __future__ import annotations

import shutil
import tempfile

import numpy as np

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_projection
    from _harness import cache_at, main, measure, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import cache_at, main, measure, row

import alviz
from alviz import projection

#: target: a cache hit at least this many times faster than a fit
SPEEDUP_TARGET = 50.0




def _fresh_fit(X):
    """A real fit: an empty cache folder each time."""
    d = tempfile.mkdtemp(prefix="alviz-bench-")
    try:
        with cache_at(d):
            return projection.fit(X, seed=0)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _cases(quick: bool):
    digits = alviz.datasets.load_digits(seed=0).flat()
    yield "digits 1347x64", digits
    if not quick:
        rng = np.random.default_rng(0)
        big = digits[rng.integers(0, len(digits), size=10_000)]
        yield "digits replica 10000x64", (big + rng.normal(scale=0.05, size=big.shape)).astype(np.float32)


def run(quick: bool = False) -> list:
    rows = []
    warm_dir = tempfile.mkdtemp(prefix="alviz-bench-warm-")
    try:
        _fresh_fit(np.random.default_rng(0).normal(size=(100, 8)).astype(np.float32))  # numba compiles here
        for case, X in _cases(quick):
            ref = measure(lambda: _fresh_fit(X), repeat=1, memory=False)
            with cache_at(warm_dir):
                first = projection.fit(X, seed=0)  # warm the cache
                ours = measure(lambda: projection.fit(X, seed=0), repeat=5)
                same = bool(np.array_equal(first, ref["value"]) and np.array_equal(first, ours["value"]))
                speedup = ref["seconds"] / max(ours["seconds"], 1e-12)
                rows.append(row("projection", f"fit vs cache hit, {case}", ours, ref,
                                target=f"cache hit >= {SPEEDUP_TARGET:.0f}x faster than a fit, same picture",
                                met=bool(speedup >= SPEEDUP_TARGET and same), identical=same))
                new = (X[:50] + 0.01).astype(np.float32)
                cold = measure(lambda: projection.transform(new + np.float32(1e-3), fitted_on=X, seed=0),
                               repeat=1, memory=False)  # runs once: not in the cache yet
                pic = projection.fit(X, seed=0)
                pic.transform(new)  # builds the neighbour index once
                hit = measure(lambda: pic.transform(new), repeat=5)
                rows.append(row("projection", f"transform 50 new points cold vs cached, {case}", hit, cold,
                                target="a transform of 50 points takes < 0.1 s", met=bool(hit["seconds"] < 0.1)))
    finally:
        shutil.rmtree(warm_dir, ignore_errors=True)
    return rows


if __name__ == "__main__":
    main(run)
