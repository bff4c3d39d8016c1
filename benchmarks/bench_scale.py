"""Every registered strategy on a 60 000-image MNIST pool: seconds per round and peak memory.

The pool is the 4 000 real MNIST digits of ``alviz.datasets.load_mnist(seed=0)``,
each with 15 seeded small shifts (15 distinct non-zero shifts of up to 2
pixels in x and y, zeros shifted in), so 60 000 images of (1, 28, 28); the
test set is load_mnist's 1 000 images. Each strategy runs a Session with the
default task model (the small CNN), ``initial=100``, ``budget=100``, seed 0,
2 rounds. Rows ``mnist60000 <strategy>``: seconds per round split into
``train_s`` (fit the CNN), ``query_s`` (the strategy) and the whole step
(``round_s``, with the test accuracy and the recorded embedding), per round.

Each strategy runs in its own process, with an empty disk cache
(``ALVIZ_CACHE_DIR``): what is trained once per pool (the contrastive encoder
behind contrastive_coreset, typiclust, prototype and probcover) is paid in
round 0, and the memory column is that strategy's own peak resident memory
(``ru_maxrss``, which sees torch's allocations; tracemalloc does not), data
set included. Torch and BLAS run on one thread (the shared 2-core machine).

Target on the 2-core CPU: every round < 30 s, peak < 4 GB.

    python benchmarks/bench_scale.py [--quick]      # --quick: a 1 000-image pool, a few strategies
    python benchmarks/bench_scale.py --n 10000 --strategies margin,vaal
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_scale
    from _harness import RESULTS, print_rows, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import RESULTS, print_rows, row

TARGET_S = 30.0
TARGET_MIB = 4096.0
QUICK_STRATEGIES = ("random", "margin", "badge")
_SHIFTS = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if (dy, dx) != (0, 0)]  # 24


def shift_images(images: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """(n, H, W) images each moved by its own (dy, dx) pixels, zeros shifted in."""
    n, h, w = images.shape
    out = np.zeros_like(images)
    for (sy, sx) in set(zip(dy.tolist(), dx.tolist())):
        sel = np.flatnonzero((dy == sy) & (dx == sx))
        src = images[sel][:, max(0, -sy):h - max(0, sy), max(0, -sx):w - max(0, sx)]
        out[sel, max(0, sy):max(0, sy) + src.shape[1], max(0, sx):max(0, sx) + src.shape[2]] = src
    return out


def shifted_mnist(n: int = 60_000, seed: int = 0):
    """A Dataset of ``n`` images: load_mnist's pool, each image with up to 15 distinct seeded shifts."""
    import alviz

    base = alviz.datasets.load_mnist(seed=0)
    m = len(base.X)
    copies = -(-n // m)
    if copies > len(_SHIFTS):
        raise ValueError(f"n={n} needs {copies} shifts per image; at most {len(_SHIFTS) * m} images")
    rng = np.random.default_rng(seed)
    choice = np.stack([rng.choice(len(_SHIFTS), copies, replace=False) for _ in range(m)])  # (m, copies)
    shifts = np.asarray(_SHIFTS)[choice.T.reshape(-1)][:n]  # copy-major: copy c of every image, then c+1
    # copy-major; a pool smaller than load_mnist's takes a seeded sample of it (its order is by class)
    src = np.tile(np.arange(m), copies)[:n] if n >= m else np.sort(rng.permutation(m)[:n])
    imgs = shift_images(base.images[src], shifts[:, 0], shifts[:, 1])  # (n, 28, 28)
    X = imgs[:, None]  # (n, 1, 28, 28), a view: images and X share memory
    return alviz.datasets.Dataset(X, base.y[src], base.X_test, base.y_test, base.class_names, images=imgs,
                                  name=f"mnist{n}")


def max_rss_mib() -> float:
    """This process's peak resident memory so far (MiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_strategy(strategy: str, n: int, rounds: int, initial: int, budget: int) -> dict:
    """Run one strategy here (a fresh process) and return its row."""
    import torch
    from threadpoolctl import threadpool_limits

    import alviz

    torch.set_num_threads(1)
    threadpool_limits(1)
    t0 = time.perf_counter()
    ds = shifted_mnist(n)
    build_s = time.perf_counter() - t0
    case = f"{ds.name} {strategy}"
    target = f"every round < {TARGET_S:g} s, peak < {TARGET_MIB / 1024:g} GB"
    sess = alviz.Session(ds, strategy=strategy, initial=initial, budget=budget, seed=0)
    per = {"round_s": [], "train_s": [], "query_s": [], "picks": [], "accuracy": []}
    try:
        for _ in range(rounds):
            rnd = sess.step()
            per["round_s"].append(round(rnd.metrics["seconds"], 3))
            per["train_s"].append(round(rnd.metrics["train_seconds"], 3))
            per["query_s"].append(round(rnd.metrics["query_seconds"], 3))
            per["picks"].append(int(len(rnd.selected)))
            per["accuracy"].append(round(float(rnd.metrics["accuracy"]), 4))
    except Exception as exc:  # a benchmark table records a broken strategy instead of stopping
        return row("scale", case, {"seconds": time.perf_counter() - t0 - build_s, "peak_mib": max_rss_mib()},
                   target=target, met=False, strategy=strategy, error=f"{type(exc).__name__}: {exc}", **per)
    sec = np.asarray(per["round_s"])
    peak = max_rss_mib()
    return row("scale", case, {"seconds": float(sec.mean()), "peak_mib": peak}, target=target,
               met=bool(sec.max() < TARGET_S and peak < TARGET_MIB), strategy=strategy, rounds=rounds,
               n_pool=len(ds.X), initial=initial, budget=budget, max_round_s=float(sec.max()),
               peak_rss_mib=round(peak, 1), build_pool_s=round(build_s, 2), memory="peak RSS (ru_maxrss)", **per)


def _in_subprocess(strategy: str, n: int, rounds: int, initial: int, budget: int, cache: str,
                   timeout_s: float) -> dict:
    env = dict(os.environ, ALVIZ_CACHE_DIR=cache, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", strategy, "--n", str(n), "--rounds",
           str(rounds), "--initial", str(initial), "--budget", str(budget)]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return row("scale", f"mnist{n} {strategy}", {"seconds": time.perf_counter() - t0, "peak_mib": float("nan")},
                   target=f"every round < {TARGET_S:g} s", met=False, strategy=strategy,
                   error=f"timed out after {timeout_s:g} s")
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return row("scale", f"mnist{n} {strategy}", {"seconds": time.perf_counter() - t0, "peak_mib": float("nan")},
                   target=f"every round < {TARGET_S:g} s", met=False, strategy=strategy,
                   error=f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:] }")
    return json.loads(lines[-1])


def run(quick: bool = False, n: Optional[int] = None, strategies: Optional[Sequence[str]] = None,
        rounds: int = 2, initial: int = 100, budget: int = 100, timeout_s: float = 600,
        out: Optional[Path] = None) -> list:
    """One row per strategy (each in its own process, with an empty disk cache)."""
    import alviz

    if quick:
        n, rounds, initial, budget = n or 1000, 1, 20, 10
        strategies = strategies or QUICK_STRATEGIES
    n = 60_000 if n is None else int(n)
    names = alviz.strategies.available() if strategies is None else list(strategies)
    rows = []
    kept = _read_rows(out)
    for s in names:
        with tempfile.TemporaryDirectory(prefix="alviz-bench-scale-") as cache:
            r = _in_subprocess(s, n, rounds, initial, budget, cache, timeout_s)
        rows.append(r)
        print(json.dumps(r), flush=True)
        if out is not None:  # partial results survive a long run that is stopped
            out.write_text(json.dumps(merge_rows(kept, rows), indent=1))
    return rows


def _read_rows(path: Optional[Path]) -> list:
    if path is None or not path.exists():
        return []
    try:
        rows = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return rows if isinstance(rows, list) else []


def merge_rows(old: list, new: list) -> list:
    """The table after a run of some strategies: their new rows replace their old ones in place, the
    rows of strategies not run now are kept, and rows for cases not in the table are appended."""
    fresh = {r["case"]: r for r in new}
    merged = [fresh.pop(r.get("case"), r) for r in old]
    return merged + [r for r in new if r["case"] in fresh]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 1 000-image pool and a few strategies")
    ap.add_argument("--n", type=int, default=None, help="pool size (default 60000)")
    ap.add_argument("--strategies", default=None, help="comma-separated names (default: every registered one)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--initial", type=int, default=100)
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=600, help="seconds one strategy's process may take")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one strategy here
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_strategy(args.one, args.n or 60_000, args.rounds, args.initial, args.budget)))
        return
    RESULTS.mkdir(exist_ok=True)
    name = "bench_scale_quick" if args.quick else ("bench_scale" if args.n in (None, 60_000) else f"bench_scale_{args.n}")
    out = RESULTS / f"{name}.json"
    strategies = args.strategies.split(",") if args.strategies else None
    rows = run(quick=args.quick, n=args.n, strategies=strategies, rounds=args.rounds, initial=args.initial,
               budget=args.budget, timeout_s=args.timeout, out=out)
    print_rows([])
    print(f"wrote {out}")
    del rows


if __name__ == "__main__":
    main()
