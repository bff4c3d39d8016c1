"""What a field costs: seconds of ``Round.field`` vs seconds of the round, per strategy, on moons.

On 2-D data the Session scores a grid over the plane every round
(:func:`alviz.fields.compute`): the round's model on every grid point and the
strategy's pointwise score (``Strategy.score_points``), reusing what the
query built (committee, discriminator, centroids). This records, for every
registered strategy, the field's seconds next to the round's (train + query),
so a slow field is visible. Recorded, not bounded.

Full size: moons with 600 points, ``initial=20``, ``budget=10``, 2 rounds,
a 100 × 100 grid (the Session's default; EER caps its own at 30 × 30,
``field_max_resolution``, since every point refits its surrogate). Quick: 150 points, three
strategies, a 15 × 15 grid, 1 round. Torch runs with one intra-op thread.

    python benchmarks/bench_fields.py [--quick]
"""
from __future__ import annotations

import tempfile

import numpy as np
import torch

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_fields
    from _harness import cache_at, main, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import cache_at, main, row

import alviz

QUICK_STRATEGIES = ("margin", "dfal", "coreset")
#: strategies that train something of their own: no progress bars in a benchmark
_QUIET = {"vaal", "contrastive_coreset", "typiclust", "prototype", "probcover"}


def run(quick: bool = False) -> list:
    n, resolution, rounds = (150, 15, 1) if quick else (600, 100, 2)
    names = QUICK_STRATEGIES if quick else tuple(alviz.strategies.available())
    ds = alviz.datasets.make_toy("moons", n=n, seed=0)
    threads = torch.get_num_threads()
    rows = []
    with tempfile.TemporaryDirectory() as cache, cache_at(cache):
        torch.set_num_threads(1)
        try:
            for name in names:
                strategy = alviz.strategies.get(name, **({"progress": False} if name in _QUIET else {}))
                s = alviz.Session(ds, strategy=strategy, initial=20, budget=10, seed=0, field_resolution=resolution)
                s.run(rounds)
                field_s = np.array([r.metrics["field_seconds"] for r in s.rounds])
                round_s = np.array([r.metrics["train_seconds"] + r.metrics["query_seconds"] for r in s.rounds])
                finite = float(np.mean([np.isfinite(r.field.score).mean() for r in s.rounds]))
                gy, gx = s.rounds[-1].field.score.shape  # a strategy may cap its grid (EER: 30 x 30)
                rows.append(row(
                    "fields", f"moons n={n}, {name}, {gx}x{gy} grid",
                    {"seconds": float(field_s.mean()), "peak_mib": float("nan")}, target="recorded", met=None,
                    strategy=name, round_s=round(float(round_s.mean()), 4),
                    field_over_round=round(float(field_s.mean() / max(round_s.mean(), 1e-9)), 3),
                    finite_fraction=round(finite, 4), rounds=rounds, grid_points=gx * gy,
                    torch_threads=1))
        finally:
            torch.set_num_threads(threads)
    return rows


if __name__ == "__main__":
    main(run)
