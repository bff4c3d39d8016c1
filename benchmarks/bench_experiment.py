"""``alviz.experiment``: one job against two worker processes, with identical results.

digits, strategies random / margin / badge, seeds 0-3, 5 rounds of 10 from
20 labeled (quick: random / margin, seeds 0-1, 1 round). "ours" runs the
12 (strategy, seed) runs on two joblib (loky) worker processes, the
reference on one job in this process. The two-process time includes
starting the workers and importing torch in them (a few seconds), which
is why a small experiment gains little; with more runs the speed-up tends
to the number of free cores. ``identical_results`` checks the tables match
(ignoring the ``seconds`` column): that may not fail, the timing target may.

    python benchmarks/bench_experiment.py [--quick]
"""
from __future__ import annotations

import os
import time

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_experiment
    from _harness import main, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, row

import alviz


def _timed(ds, strategies, seeds, rounds, n_jobs):
    t0 = time.perf_counter()
    exp = alviz.experiment(ds, strategies, seeds=seeds, rounds=rounds, budget=10, n_jobs=n_jobs,
                           keep_sessions=False)
    return exp, time.perf_counter() - t0


def run(quick: bool = False) -> list:
    ds = alviz.datasets.load_digits(seed=0)
    strategies = ["random", "margin"] if quick else ["random", "margin", "badge"]
    seeds = range(2) if quick else range(4)
    rounds = 1 if quick else 5
    serial, t1 = _timed(ds, strategies, seeds, rounds, 1)
    parallel, t2 = _timed(ds, strategies, seeds, rounds, 2)
    same = serial.results.drop(columns="seconds").equals(parallel.results.drop(columns="seconds"))
    case = f"digits, {len(strategies)} strategies x {len(seeds)} seeds x {rounds} rounds, n_jobs=2 vs 1"
    return [row("experiment", case, {"seconds": t2}, {"seconds": t1},
                target="faster on 2 free cores (not bounded)", met=None, identical_results=bool(same),
                runs=len(strategies) * len(seeds), cpus=os.cpu_count())]


if __name__ == "__main__":
    main(run)
