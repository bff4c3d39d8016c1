"""Speed under load: a round's time with one busy process beside it, and the explorer's first click.

Two questions, each answered in fresh Python processes whose torch keeps its own default thread count
(no ``OMP_NUM_THREADS``), so that alviz's thread policy (:mod:`alviz._threads`) is what decides:

- **a round under load**: one round of ``dfal`` and of ``vaal`` (the task model an ``MLP``, as in the
  lessons) on the lessons' pool (``load_mnist(test_size=0.6)``: 2 000 MNIST images), timed quiet and
  then with one busy process (a pure-Python spin loop) alongside. Target: busy <= 2x quiet.
- **the explorer's first click**: a fresh ``RoundExplorer`` on an empty cache fits the reference UMAP
  in a process of its own (2 000 samples: ``alviz._threads.OWN_PROCESS_MIN_SAMPLES``); its first "Next round" (``explorer.next_round()``: the round and its redraw)
  is timed against a bare ``session.step()`` of the same round (target: <= 1.5x), and, to tell the fit's
  share from the redraw's, against the first click of an explorer given its picture (no fit alongside).
  Three fresh processes; the row is the median one, with every run's ratio beside it.

Every row carries the load average when it ran (``os.getloadavg()``): on a shared machine the "quiet"
run is only as quiet as the others let it be.

    python benchmarks/bench_load.py [--quick]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_load
    from _harness import main, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, row

#: targets: a round with one busy process alongside, and the explorer's first click, each vs its quiet twin
LOAD_TARGET = 2.0
CLICK_TARGET = 1.5
#: fresh processes for the first-click case (each explorer has one first click); the row is the median run
CLICK_REPEATS = 3
ROOT = Path(__file__).resolve().parent.parent

_POOL = """
import json, os, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np
import alviz
ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)
if {quick}:
    ds = alviz.datasets.Dataset(ds.X[:300], ds.y[:300], ds.X_test[:100], ds.y_test[:100], ds.class_names,
                                images=ds.images[:300], name="mnist-300")
"""

_ROUND = _POOL + """
params = {{"progress": False, "steps": 40}} if "{strategy}" == "vaal" and {quick} else (
    {{"progress": False}} if "{strategy}" == "vaal" else {{}})
def one_round():
    s = alviz.Session(ds, alviz.strategies.get("{strategy}", **params), model=alviz.models.MLP(steps={steps}),
                      initial=20, budget=10, seed=0, field_resolution=None)
    t0 = time.perf_counter()
    s.step()
    return time.perf_counter() - t0
one_round()  # warm: imports, first allocations
for case in ("quiet", "busy"):  # the parent starts the busy process between the two
    print("ready", flush=True)
    sys.stdin.readline()
    load = os.getloadavg()[0]
    best = min(one_round() for _ in range({repeat}))
    print(json.dumps({{"seconds": best, "load": load, "torch_threads_default": __import__("torch").get_num_threads()}}),
          flush=True)
"""

_CLICK = _POOL + """
import torch
def session():
    s = alviz.Session(ds, "margin", model=alviz.models.MLP(steps={steps}), initial=20, budget=10, seed=0,
                      field_resolution=None)
    s.step()
    return s
bare = session()
t0 = time.perf_counter()
bare.step()  # round 1, nothing else running
bare_s = time.perf_counter() - t0
given = alviz.widgets.RoundExplorer(session(), coords=alviz.projection.pca(ds.flat()))  # no background fit
t0 = time.perf_counter()
given.next_round()  # a first click with the picture given: round 1 and its redraw, nothing alongside
given_s = time.perf_counter() - t0
ex_session = session()
load = os.getloadavg()[0]
ex = alviz.widgets.RoundExplorer(ex_session)
state = ex.projection_state  # "fitting": the reference UMAP runs in a process of its own
t0 = time.perf_counter()
ex.next_round()  # the first click: round 1 and its redraw, while the fit runs
click_s = time.perf_counter() - t0
still_fitting = ex.projection_state == "fitting"
ex.wait_for_projection(timeout=900)
print(json.dumps({{"bare_s": bare_s, "click_s": click_s, "given_click_s": given_s, "state_at_click": state, "fit_overlapped": still_fitting,
                  "final_state": ex.projection_state, "load": load,
                  "same_picks": bool(np.array_equal(ex_session.rounds[1].selected, bare.rounds[1].selected))}}))
"""

_BUSY = "while True:\n    pass\n"


def _env(cache: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(ALVIZ_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    return env


def _timed_rounds(strategy: str, quick: bool) -> tuple:
    """(quiet, busy): one round of ``strategy`` in a fresh process, alone, then with a busy process alongside."""
    code = _ROUND.format(quick=quick, strategy=strategy, steps=60 if quick else 300, repeat=1 if quick else 2)
    with tempfile.TemporaryDirectory(prefix="alviz-bench-load-") as d:
        proc = subprocess.Popen([sys.executable, "-c", code], env=_env(d), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        spinner = None
        results = []
        try:
            for busy in (False, True):
                if proc.stdout.readline().strip() != "ready":
                    raise RuntimeError(f"the benchmark process failed:\n{proc.communicate(timeout=60)[1][-2000:]}")
                if busy:
                    spinner = subprocess.Popen([sys.executable, "-c", _BUSY])
                    time.sleep(0.5)  # let it get going
                proc.stdin.write("go\n")
                proc.stdin.flush()
                results.append(json.loads(proc.stdout.readline()))
            proc.wait(timeout=60)
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
            if proc.poll() is None:
                proc.kill()
    return results[0], results[1]


def _click(quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="alviz-bench-click-") as d:
        out = subprocess.run([sys.executable, "-c", _CLICK.format(quick=quick, steps=60 if quick else 300)],
                             env=_env(d), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"the benchmark process failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list:
    rows = []
    pool = "MNIST 300 (quick)" if quick else "MNIST 2000 (the lessons' pool)"
    for strategy in (("dfal",) if quick else ("dfal", "vaal")):
        quiet, busy = _timed_rounds(strategy, quick)
        ratio = busy["seconds"] / max(quiet["seconds"], 1e-12)
        rows.append(row("load", f"{strategy} round, one busy process vs none, {pool}",
                        {"seconds": busy["seconds"], "peak_mib": float("nan")}, {"seconds": quiet["seconds"]},
                        target=f"busy <= {LOAD_TARGET}x quiet", met=bool(ratio <= LOAD_TARGET),
                        ratio=round(ratio, 3), load_quiet=round(quiet["load"], 2), load_busy=round(busy["load"], 2),
                        cpus=os.cpu_count(), torch_threads_default=quiet["torch_threads_default"]))
    if quick:  # the click needs a cold UMAP fit (numba's compilation): too slow for a smoke run
        rows.append(row("load", "explorer first click vs a bare round", {"seconds": 0.0, "peak_mib": float("nan")},
                        target=f"click <= {CLICK_TARGET}x a bare round", met=None,
                        skipped="quick run: the click case needs a cold UMAP fit"))
        return rows
    clicks = [_click(quick) for _ in range(CLICK_REPEATS)]  # a first click happens once per explorer: fresh ones
    ratios = [c["click_s"] / max(c["bare_s"], 1e-12) for c in clicks]
    c = clicks[int(np.argsort(ratios)[len(ratios) // 2])]  # the median run
    ratio = c["click_s"] / max(c["bare_s"], 1e-12)
    rows.append(row("load", f"explorer's first click (UMAP fitting alongside) vs a bare round, {pool}",
                    {"seconds": c["click_s"], "peak_mib": float("nan")}, {"seconds": c["bare_s"]},
                    target=f"click <= {CLICK_TARGET}x a bare round", met=bool(ratio <= CLICK_TARGET),
                    ratio=round(ratio, 3), click_without_fit_s=round(c["given_click_s"], 4),
                    ratio_to_click_without_fit=round(c["click_s"] / max(c["given_click_s"], 1e-12), 3),
                    fit_overlapped=c["fit_overlapped"], final_state=c["final_state"],
                    same_picks=all(x["same_picks"] for x in clicks), load=round(c["load"], 2), cpus=os.cpu_count(),
                    runs=len(clicks), ratios=[round(r, 3) for r in ratios]))
    return rows


if __name__ == "__main__":
    main(run)
