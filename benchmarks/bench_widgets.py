"""How long the RoundExplorer takes to redraw a round: digits, margin (target: well under 2 s).

Ours: ``RoundExplorer`` moving its round slider between two recorded rounds,
which rebuilds the round figure with ``alviz.plot.round``, copies it into the
live ``FigureWidget`` in one ``batch_update`` (traces updated in place), and
redraws the learning curve and the status line. Reference: the naive way, a
brand-new ``go.FigureWidget`` made from the same ``alviz.plot.round`` figure
each time. Both include building the figure, so the difference is the widget
update. With ``--quick`` the picture is the top two principal components instead of
the cached UMAP (same number of points, no cold UMAP fit). A second row
times a whole "Next round" click (``Session.step`` with
the default MLP, then the redraw) for context.

No browser here: the time is the kernel side (figure building, validation,
serialisation of the update messages); the browser's own render is covered by
tests/test_lab_browser.py.

    python benchmarks/bench_widgets.py [--quick]
"""
from __future__ import annotations

import os
import time

import numpy as np
import plotly.graph_objects as go
import torch

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_widgets
    from _harness import main, measure, row
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import main, measure, row

import alviz

TARGET_S = 2.0


def run(quick: bool = False) -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared 2-core CPU (see bench_rounds.py)
    try:
        ds = alviz.datasets.load_digits(seed=0)
        if quick:  # the redraw does not care how the picture was made: skip the cold UMAP fit
            X = ds.flat() - ds.flat().mean(axis=0)
            coords = X @ np.linalg.svd(X, full_matrices=False)[2][:2].T  # the top-2 principal components
        else:
            coords = alviz.projection.reference(ds, seed=0)
        session = alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0)
        session.run(2)
        explorer = alviz.widgets.RoundExplorer(session, coords)
        repeat = 2 if quick else 5
        state = {"r": explorer.slider.value}  # each call flips to the other round: always a real update

        def redraw():  # flip between the two recorded rounds: every call is a real update
            state["r"] = 1 - state["r"]
            explorer.slider.value = state["r"]
            return len(explorer.figure.data)

        def naive():
            state["r"] = 1 - state["r"]
            return go.FigureWidget(alviz.plot.round(session, coords, r=state["r"]))

        ours = measure(redraw, repeat=repeat)
        ref = measure(naive, repeat=repeat)
        rows = [row("widgets", "RoundExplorer redraw, digits margin (1 347 points)", ours, ref,
                    target=f"< {TARGET_S} s", met=ours["seconds"] < TARGET_S,
                    traces=ours["value"], load_avg_1m=round(os.getloadavg()[0], 2))]
        if explorer.last_error is not None:
            raise RuntimeError(f"the explorer reported an error: {explorer.last_error!r}")

        clicks = []

        def click():  # one "Next round": Session.step, then the redraw
            t0 = time.perf_counter()
            explorer.next_button.click()
            clicks.append((time.perf_counter() - t0, session.rounds[-1].metrics["seconds"]))

        full = measure(click, repeat=1)  # one timed click, one traced click (two new rounds)
        total, step = clicks[0]
        rows.append(row("widgets", "Next round click, digits margin (step + redraw)", full, target="recorded",
                        step_s=round(step, 4), redraw_s=round(total - step, 4)))
        if explorer.last_error is not None:
            raise RuntimeError(f"the explorer reported an error: {explorer.last_error!r}")
        rows.append(_large_pool_redraw(6_000 if quick else 60_000, repeat))
        return rows
    finally:
        torch.set_num_threads(threads)


def _large_pool_redraw(n: int, repeat: int) -> dict:
    """The explorer's redraw on an ``n``-point pool (64-d blobs, PCA picture): WebGL and the stratified sample."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=n + 2_000, n_features=64, centers=10, cluster_std=4.0, random_state=0)
    ds = alviz.datasets.from_arrays(X[:n].astype(np.float32), y[:n], X_test=X[n:].astype(np.float32), y_test=y[n:])
    Xc = ds.flat() - ds.flat().mean(axis=0)
    coords = Xc @ np.linalg.svd(Xc[:5_000], full_matrices=False)[2][:2].T
    session = alviz.Session(ds, strategy="margin", initial=100, budget=100, seed=0)
    session.run(2)
    explorer = alviz.widgets.RoundExplorer(session, coords)
    state = {"r": explorer.slider.value}

    def redraw():
        state["r"] = 1 - state["r"]
        explorer.slider.value = state["r"]
        return len(explorer.figure.data)

    got = measure(redraw, repeat=repeat)
    if explorer.last_error is not None:
        raise RuntimeError(f"the explorer reported an error: {explorer.last_error!r}")
    return row("widgets", f"RoundExplorer redraw, {n:,}-point pool (margin, WebGL, 20 000 drawn)", got,
               target=f"< {TARGET_S} s", met=got["seconds"] < TARGET_S, traces=got["value"],
               load_avg_1m=round(os.getloadavg()[0], 2))


if __name__ == "__main__":
    main(run)
