"""A playground click against a from-scratch round, side by side (target: the click <= 0.25x the round).

Ours: ``Playground.label(i)`` on moons (n=600, margin, the default model), from
the click to the patched figure: the warm refit (``Session(warm_start=True)``:
the last round's weights, a tenth of the steps), the strategy, the field on the
grid, and the canvas patch (``Playground.last_timing["answer"]``). The race's
own label, which follows the patch, is reported beside it (``race_s``).
Reference: a from-scratch ``Session.step()`` on the same data, with the same
model, strategy, grid and labeled set size (a cold fit of the full steps, the
strategy, the field), as the explorer's "Next round" does it.

A second row records the browser's side: the click-to-redrawn-field time that
``tests/test_playground_browser.py`` measures in JupyterLab (target <= 0.5 s),
read from ``test-artifacts/playground_latency.json`` when that test has run.

    python benchmarks/bench_playground.py [--quick]
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_playground
    from _harness import main, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, row

import alviz

TARGET_RATIO = 0.25
TARGET_BROWSER_S = 0.5
LATENCY_FILE = Path(__file__).resolve().parent.parent / "test-artifacts" / "playground_latency.json"


def run(quick: bool = False) -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared 2-core CPU (see bench_rounds.py)
    try:
        n, clicks, resolution = (120, 2, 20) if quick else (600, 8, 60)
        toy = alviz.datasets.make_toy("moons", n=n, seed=0)
        pg = alviz.widgets.Playground(toy, strategy="margin", initial=4, seed=0, resolution=resolution)
        rng = np.random.default_rng(0)
        answers, races = [], []
        for _ in range(clicks):
            i = int(rng.choice(np.flatnonzero(~pg.session.labeled_mask)))
            pg.label(i)
            answers.append(pg.last_timing["answer"])
            races.append(pg.last_timing["race"])
        import time

        cold = []
        for _ in range(max(2, clicks // 2)):  # a from-scratch round at the same labeled set size
            s = alviz.Session(toy, strategy="margin", initial=pg.session.labeled_indices, budget=1, seed=0,
                              field_resolution=resolution, record_embeddings=False)

            t0 = time.perf_counter()
            s.step()
            cold.append(time.perf_counter() - t0)
        ours = {"seconds": float(np.median(answers)), "peak_mib": float("nan")}
        ref = {"seconds": float(np.median(cold)), "peak_mib": float("nan")}
        ratio = ours["seconds"] / ref["seconds"]
        rows = [row("playground", f"click (warm refit + field + patch) vs Session.step() from scratch, moons n={n}",
                    ours, ref, target=f"<= {TARGET_RATIO}x", met=bool(ratio <= TARGET_RATIO),
                    ratio=round(ratio, 3), clicks=clicks, resolution=resolution,
                    race_s=round(float(np.median(races)), 4),
                    warm_steps=int(alviz.models.warm_steps(pg.session.model_template)),
                    reference="alviz.Session(warm_start=False).step() (full steps, cold)",
                    load_avg_1m=round(os.getloadavg()[0], 2))]
        if LATENCY_FILE.is_file():
            got = json.loads(LATENCY_FILE.read_text())
            s = float(got["click_to_redrawn_field_s"])
            rows.append(row("playground", "click to redrawn field in Chromium (JupyterLab), moons n=300",
                            {"seconds": s, "peak_mib": float("nan")}, target=f"<= {TARGET_BROWSER_S} s",
                            met=bool(s <= TARGET_BROWSER_S), source="tests/test_playground_browser.py",
                            wall_s=got.get("click_to_status_and_field_wall_s")))
        else:
            rows.append(row("playground", "click to redrawn field in Chromium (JupyterLab)",
                            {"seconds": float("nan"), "peak_mib": float("nan")}, target=f"<= {TARGET_BROWSER_S} s",
                            met=None, skipped="run tests/test_playground_browser.py first (it writes the time)"))
        return rows
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main(run)
