"""A first picture in seconds: a cold RoundExplorer vs a cold ``projection.reference``, each in a fresh process.

Both run in a new Python process with an empty ``ALVIZ_CACHE_DIR`` (nothing
fitted, nothing numba-compiled in memory). Timed inside the process, after
``import alviz`` and loading the dataset:

- reference: ``alviz.projection.reference(ds)`` -- importing umap, numba's
  compilation and the UMAP fit; what the explorer used to wait for.
- ours: ``alviz.widgets.RoundExplorer(session)`` on a session with one round,
  returning with a PCA picture while the UMAP is fitted on a thread.

Target: ours <= 0.3x the reference. The explorer's process then waits for the
background fit (``wait_for_projection``) and reports how long the UMAP took
to arrive (``umap_ready_s``), so nothing is hidden.

    python benchmarks/bench_first_picture.py [--quick]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_first_picture
    from _harness import main, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, row

#: target: the cold explorer returns in at most this share of a cold reference fit
RATIO_TARGET = 0.3

_COMMON = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import alviz
from sklearn.linear_model import LogisticRegression
ds = alviz.datasets.load_digits(seed=0)
if {quick}:
    ds = alviz.datasets.from_arrays(ds.flat()[:400], ds.y[:400], X_test=ds.flat()[400:500], y_test=ds.y[400:500])
"""

_REFERENCE = _COMMON + """
t0 = time.perf_counter()
alviz.projection.reference(ds, seed=0)
print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""

_EXPLORER = _COMMON + """
s = alviz.Session(ds, "margin", model=LogisticRegression(max_iter=300), initial=20, budget=10, seed=0)
s.step()
t0 = time.perf_counter()
ex = alviz.widgets.RoundExplorer(s)
t1 = time.perf_counter()
ok = ex.wait_for_projection(timeout=600)
print(json.dumps({{"seconds": t1 - t0, "state": ex.projection_state, "umap_ready_s": time.perf_counter() - t0,
                  "waited": ok}}))
"""


def _fresh(code: str) -> dict:
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="alviz-bench-cold-") as d:
        env = dict(os.environ, ALVIZ_CACHE_DIR=d, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"the benchmark process failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list:
    ref = _fresh(_REFERENCE.format(quick=quick))
    ours = _fresh(_EXPLORER.format(quick=quick))
    ratio = ours["seconds"] / max(ref["seconds"], 1e-12)
    case = "digits 400 (quick)" if quick else "digits 1347x64"
    return [row("first_picture", f"cold RoundExplorer vs cold projection.reference, {case}",
                {"seconds": ours["seconds"], "peak_mib": float("nan")}, {"seconds": ref["seconds"]},
                target=f"explorer returns in <= {RATIO_TARGET}x a cold reference fit (fresh processes)",
                met=bool(ratio <= RATIO_TARGET and ours["state"] == "ready"), ratio=round(ratio, 4),
                umap_ready_s=round(ours["umap_ready_s"], 3), umap_swapped_in=ours["state"] == "ready")]


if __name__ == "__main__":
    main(run)
