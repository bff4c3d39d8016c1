"""Seconds per round (train + query) for every registered strategy, and on a 60 000-point pool.

1. digits (the embedded default; pool 1 347): a Session with the default
   task model, ``initial=20``, ``budget=10``, seed 0, 3 rounds, for EVERY
   name in ``alviz.strategies.available()``. Recorded, not bounded (these are
   the per-strategy seconds per round that bound the CI digits run).
2. a synthetic pool of 60 000 points (64-d Gaussian blobs, 10 classes):
   ``initial=100``, ``budget=100``, 2 rounds, for margin, coreset, badge and
   dfal (those registered). Target: every round under 30 s on this
   2-core CPU.

The disk cache (``ALVIZ_CACHE_DIR``) is a fresh empty folder, so work done
once per pool (e.g. the contrastive encoder) is counted in round 0, and the
slowest-round column shows it.

Torch runs with one intra-op thread (``torch_threads=1``, restored after):
the default models are tiny, and on a shared 2-core machine two threads made
one MLP fit ~50x slower (0.3 s vs 17 s measured under load).

Each round's ``metrics`` split the time into ``train_seconds`` (fit the task
model), ``query_seconds`` (the strategy) and ``seconds`` (the whole step,
with the test accuracy and the recorded embedding). Memory here is the
process's resident high-water mark (``ru_maxrss``), since torch's CPU
allocations are invisible to tracemalloc.

    python benchmarks/bench_rounds.py [--quick]
"""
from __future__ import annotations

import resource
import tempfile
import time
from typing import Optional, Sequence

import numpy as np
import torch

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_rounds
    from _harness import cache_at, main, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import cache_at, main, row

import alviz

LARGE_STRATEGIES = ("margin", "coreset", "badge", "dfal")
LARGE_TARGET_S = 30.0


def max_rss_mib() -> float:
    """The process's peak resident memory so far (MiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blobs_pool(n: int, d: int = 64, n_classes: int = 10, n_test: int = 2000, seed: int = 0):
    """A synthetic pool: ``n`` points of ``d``-dim Gaussian blobs, one blob per class."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n + n_test, n_features=d, centers=n_classes, cluster_std=4.0, random_state=seed)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    return alviz.datasets.from_arrays(X[:n], y[:n], X[n:], y[n:], name=f"blobs{n}")


def time_rounds(dataset, strategy: str, rounds: int, initial: int, budget: int, seed: int = 0) -> dict:
    """Run a Session and return per-round lists: {"seconds", "train", "query", "picks"}."""
    sess = alviz.Session(dataset, strategy=strategy, initial=initial, budget=budget, seed=seed)
    out = {"seconds": [], "train": [], "query": [], "picks": []}
    for _ in range(rounds):
        rnd = sess.step()
        out["seconds"].append(rnd.metrics["seconds"])
        out["train"].append(rnd.metrics["train_seconds"])
        out["query"].append(rnd.metrics["query_seconds"])
        out["picks"].append(len(rnd.selected))
    return out


def rounds_row(dataset, strategy: str, rounds: int, initial: int, budget: int, case: str,
               limit_s: Optional[float] = None) -> dict:
    """One row: mean seconds per round (train + query) of ``strategy``; ``limit_s`` bounds the slowest round."""
    target = f"every round < {limit_s:g} s" if limit_s is not None else "recorded (bounds the CI digits run)"
    t0 = time.perf_counter()
    try:
        res = time_rounds(dataset, strategy, rounds, initial, budget)
    except Exception as exc:  # a benchmark table records a broken strategy instead of stopping
        return row("rounds", case, {"seconds": time.perf_counter() - t0, "peak_mib": float("nan")},
                   target=target, met=False, strategy=strategy, error=f"{type(exc).__name__}: {exc}")
    sec = np.asarray(res["seconds"])
    met = None if limit_s is None else bool(sec.max() < limit_s)
    return row("rounds", case, {"seconds": float(sec.mean()), "peak_mib": float("nan")}, target=target,
               met=met, strategy=strategy, rounds=rounds, max_round_s=round(float(sec.max()), 4),
               train_s=round(float(np.mean(res["train"])), 4), query_s=round(float(np.mean(res["query"])), 4),
               picks_per_round=res["picks"], n_pool=len(dataset.X), process_max_rss_mib=round(max_rss_mib(), 1),
               torch_threads=torch.get_num_threads())


def digits_rows(strategies: Optional[Sequence[str]] = None, rounds: int = 3, dataset=None) -> list:
    """Seconds per round on digits (or ``dataset``) for every registered strategy."""
    ds = alviz.datasets.load_digits(seed=0) if dataset is None else dataset
    names = alviz.strategies.available() if strategies is None else list(strategies)
    return [rounds_row(ds, s, rounds, 20, 10, f"{ds.name} {s}") for s in names]


def large_rows(n: int = 60_000, rounds: int = 2, initial: int = 100, budget: int = 100,
               strategies: Sequence[str] = LARGE_STRATEGIES) -> list:
    """Seconds per round on an ``n``-point synthetic pool; strategies not registered yet get a skipped row."""
    ds = blobs_pool(n)
    have = set(alviz.strategies.available())
    rows = []
    for s in strategies:
        case = f"{ds.name} {s}"
        if s not in have:
            rows.append(row("rounds", case, {"seconds": float("nan"), "peak_mib": float("nan")},
                            target=f"every round < {LARGE_TARGET_S:g} s", met=None, strategy=s,
                            skipped=f"strategy {s!r} is not registered yet"))
            continue
        rows.append(rounds_row(ds, s, rounds, initial, budget, case, limit_s=LARGE_TARGET_S))
    return rows


def run(quick: bool = False, torch_threads: int = 1) -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        # an empty disk cache: what is trained once per pool (contrastive encoder, ...) is paid in round 0
        with tempfile.TemporaryDirectory(prefix="alviz-bench-cache-") as cache, cache_at(cache):
            if quick:  # a smoke run: the code paths, on small data
                toy = alviz.datasets.make_toy("moons", n=300, seed=0)
                return (digits_rows(("random", "margin", "coreset"), rounds=1, dataset=toy)
                        + large_rows(n=3000, rounds=1, initial=20, budget=20))
            return digits_rows() + large_rows()
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main(run)
