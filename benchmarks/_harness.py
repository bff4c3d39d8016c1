"""Tiny benchmark harness: time ours and a reference side by side in one process.

Each ``benchmarks/bench_*.py`` defines ``run(quick: bool = False) -> list[dict]``
(rows made with :func:`row`) and ends with ``if __name__ == "__main__": main(run)``.
``benchmarks/run_all.py`` runs them all and writes the results table.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def cache_at(path):
    """Point alviz's disk cache (``ALVIZ_CACHE_DIR``) at ``path`` for the block, then restore it."""
    old = os.environ.get("ALVIZ_CACHE_DIR")
    os.environ["ALVIZ_CACHE_DIR"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ALVIZ_CACHE_DIR", None)
        else:
            os.environ["ALVIZ_CACHE_DIR"] = old


def measure(fn: Callable, repeat: int = 1, memory: bool = True) -> dict:
    """Best-of-``repeat`` wall seconds of ``fn()`` and its peak traced memory (MiB, Python + numpy).

    Returns {"seconds", "peak_mib", "value"} where value is fn's last return value.
    Timing runs are separate from the traced run (tracemalloc slows code down).
    """
    best = float("inf")
    value = None
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    peak = float("nan")
    if memory:
        gc.collect()
        tracemalloc.start()
        try:
            fn()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
    return {"seconds": best, "peak_mib": peak, "value": value}


def row(benchmark: str, case: str, ours: dict, ref: Optional[dict] = None, target: str = "",
        met: Optional[bool] = None, **info) -> dict:
    """One result row: ours vs reference, their ratio, the target and whether it is met."""
    r = {"benchmark": benchmark, "case": case, "ours_s": round(ours["seconds"], 4),
         "ours_peak_mib": round(ours.get("peak_mib", float("nan")), 2)}
    if ref is not None:
        r.update(ref_s=round(ref["seconds"], 4), ref_peak_mib=round(ref.get("peak_mib", float("nan")), 2),
                 speedup=round(ref["seconds"] / max(ours["seconds"], 1e-12), 2))
        if ref.get("peak_mib") and ours.get("peak_mib"):
            r["memory_ratio"] = round(ref["peak_mib"] / max(ours["peak_mib"], 1e-9), 2)
    r.update(target=target, met=met, **info)
    return r


def print_rows(rows: list) -> None:
    for r in rows:
        print(json.dumps(r))


def main(run: Callable[..., list]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    rows = run(quick=args.quick)
    print_rows(rows)
    RESULTS.mkdir(exist_ok=True)
    name = Path(run.__code__.co_filename).stem
    (RESULTS / f"{name}{'_quick' if args.quick else ''}.json").write_text(json.dumps(rows, indent=1))
