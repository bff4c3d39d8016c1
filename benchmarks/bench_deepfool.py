"""DeepFool: one batched run over every candidate vs a per-sample loop.

Target: on digits (all 1 347 pool points, the same trained MLP),
batched >= 10x faster than the per-sample loop, identical perturbation norms
(to 1e-4 relative).

Both sides run the same step rule and loop (``alviz.perturbation.deepfool``);
the reference calls it one sample at a time (``alviz.perturbation.per_sample``),
the way a straightforward port loops over candidates. max_iter = 50,
overshoot = 0.02. The MLP is alviz's digits default, trained on 100 seeded
pool samples (a model from the first rounds of a session). Both sides run
single-threaded (torch and BLAS): the comparison is of batching, and on a
small machine shared with other jobs multi-threaded timings are dominated by
oversubscription, not by the work.

    python benchmarks/bench_deepfool.py [--quick]
"""
from __future__ import annotations

import numpy as np
import torch
from threadpoolctl import threadpool_limits

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_deepfool
    from _harness import main, measure, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, measure, row

import alviz
from alviz.perturbation import deepfool, per_sample


def compare(n_points=None, n_train: int = 100, seed: int = 0) -> dict:
    ds = alviz.datasets.load_digits(seed=seed)
    rng = np.random.default_rng(seed)
    train = rng.choice(len(ds.X), n_train, replace=False)
    model = alviz.models.default_model(ds, random_state=seed).fit(ds.X[train], ds.y[train], n_classes=ds.n_classes)
    X = ds.X if n_points is None else ds.X[:n_points]
    ours = measure(lambda: deepfool(model.logits, X), repeat=5, memory=False)
    ref = measure(lambda: per_sample(deepfool, model.logits, X), repeat=1, memory=False)
    b, s = ours["value"], ref["value"]
    rel = float(np.max(np.abs(b.norm - s.norm) / s.norm))
    same = bool(np.array_equal(b.flipped, s.flipped) and np.array_equal(b.iterations, s.iterations)
                and np.array_equal(b.adversarial_class, s.adversarial_class))
    speedup = ref["seconds"] / max(ours["seconds"], 1e-12)
    met = bool(speedup >= 10 and rel <= 1e-4 and same)
    return row("deepfool", f"batched vs per-sample, digits n={len(X)} (MLP trained on {n_train})", ours, ref,
               target=">= 10x faster, norms equal to 1e-4 relative", met=met,
               reference="alviz.perturbation.per_sample(deepfool, ...)", max_rel_norm_diff=rel,
               same_flips_iterations_classes=same, flipped=int(b.flipped.sum()),
               mean_iterations=round(float(b.iterations.mean()), 3), median_norm=round(float(np.median(b.norm)), 4),
               threads=1)


def run(quick: bool = False) -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            return [compare(n_points=200 if quick else None)]
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main(run)
