"""The canvas against the plotly ``FigureWidget`` it replaced: redraw time and bytes sent per round, side by side.

Ours: ``alviz.widgets.Canvas.show(fig)``, which compares the new round
figure with the one shown and sends one patch of what changed, numeric arrays
as binary buffers. Reference: the path the explorers had before, kept here
only for this comparison: a live ``go.FigureWidget`` updated in place with
one ``batch_update`` (traces of the same type updated, properties the new
figure lacks cleared). Both redraw the same ``alviz.plot.round`` figures,
flipping between two recorded margin rounds, so every call is a real update
and both times include building the figure.

Bytes: every message each widget hands to its comm (JSON text plus binary
buffers), counted the same way for both, per redraw. Cases: digits (1 347
points) and a 60 000-point pool (64-d blobs, PCA picture, WebGL, 20 000
drawn). A last row times a whole explorer "Next round" click on digits, for
context. No browser here: this is the kernel side (building, diffing,
serialising); tests/test_lab_browser.py records click-to-redrawn in a page.

    python benchmarks/bench_widgets.py [--quick]      # --quick: a 6 000-point pool instead of 60 000
"""
from __future__ import annotations

import json
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
from alviz.widgets import Canvas

TARGET_S = 2.0


# ----------------------------------------------------------------------------- the reference: FigureWidget
def _json_safe(value):
    """What the explorers did before a FigureWidget update: NaN/inf outside 1-D arrays became None."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and value.ndim != 1 and not np.all(np.isfinite(value)):
            return np.where(np.isfinite(value), value, None).tolist()
        return value
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _replace_props(obj, new: dict, own=()) -> None:
    for k in set(obj.to_plotly_json()) - set(own) - set(new):
        obj[k] = None
    obj.update(new, overwrite=True)


def figurewidget_sync(fw: go.FigureWidget, fig: go.Figure) -> None:
    """The explorers' former ``sync_figure``: update ``fw`` in place in one batch_update."""
    new = fig.data
    keep = 0
    while keep < min(len(fw.data), len(new)) and fw.data[keep].type == new[keep].type:
        keep += 1
    if keep < len(fw.data):
        fw.data = fw.data[:keep]
    new_layout = _json_safe(fig.layout.to_plotly_json())
    own = ()
    if "template" in new_layout and fw.layout.template == fig.layout.template:
        new_layout.pop("template")
        own = ("template",)
    with fw.batch_update():
        for old, nt in zip(fw.data[:keep], new[:keep]):
            d = _json_safe(nt.to_plotly_json())
            for k in ("type", "uid"):
                d.pop(k, None)
            _replace_props(old, d, own=("type", "uid"))
        _replace_props(fw.layout, new_layout, own=own)
    if keep < len(new):
        fw.add_traces([_json_safe(t.to_plotly_json()) for t in new[keep:]])


# ----------------------------------------------------------------------------- counting what is sent
class _Bytes:
    """Counts what a widget hands to its comm: JSON text plus binary buffers."""

    def __init__(self, widget) -> None:
        self.total = 0
        comm = widget.comm
        real = comm.send

        def send(data=None, metadata=None, buffers=None, **kw):
            self.total += len(json.dumps(data, default=lambda o: None, allow_nan=True))
            self.total += sum(memoryview(b).nbytes for b in (buffers or []))
            return real(data=data, metadata=metadata, buffers=buffers, **kw)

        comm.send = send


def _pool(n: int):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=n + 2_000, n_features=64, centers=10, cluster_std=4.0, random_state=0)
    ds = alviz.datasets.from_arrays(X[:n].astype(np.float32), y[:n], X_test=X[n:].astype(np.float32), y_test=y[n:])
    Xc = ds.flat() - ds.flat().mean(axis=0)
    coords = Xc @ np.linalg.svd(Xc[:5_000], full_matrices=False)[2][:2].T
    session = alviz.Session(ds, strategy="margin", initial=100, budget=100, seed=0)
    session.run(2)
    return session, coords


def _side_by_side(name: str, session, coords, repeat: int) -> dict:
    """Redraw time and bytes per round: the canvas vs the FigureWidget, on the same figures."""
    first = alviz.plot.round(session, coords, r=0)
    canvas = Canvas(first)
    fw = go.FigureWidget()
    figurewidget_sync(fw, first)
    sent = {"ours": _Bytes(canvas), "ref": _Bytes(fw)}
    state = {"ours": 0, "ref": 0}
    per_round = {"ours": [], "ref": []}

    def redraw(which: str):
        state[which] = 1 - state[which]
        fig = alviz.plot.round(session, coords, r=state[which])
        before = sent[which].total
        if which == "ours":
            canvas.show(fig)
        else:
            figurewidget_sync(fw, fig)
        per_round[which].append(sent[which].total - before)
        return len(fig.data)

    # interleaved, best of ``repeat`` each: the machine's load drifts, and neither side runs in a quieter moment
    best = {"ours": float("inf"), "ref": float("inf")}
    for _ in range(repeat):
        for which in ("ours", "ref"):
            t0 = time.perf_counter()
            redraw(which)
            best[which] = min(best[which], time.perf_counter() - t0)
    ours = measure(lambda: redraw("ours"), repeat=1)  # one more call each, traced: peak memory
    ref = measure(lambda: redraw("ref"), repeat=1)
    ours["seconds"], ref["seconds"] = best["ours"], best["ref"]
    b_ours, b_ref = int(np.median(per_round["ours"])), int(np.median(per_round["ref"]))
    # both show the same round now (as many flips each): the same traces, the same picks at the same places
    mine, theirs = canvas.fig, fw
    same = state["ours"] == state["ref"] and [t.name for t in mine.data] == [t.name for t in theirs.data]
    for a, b in zip(mine.data, theirs.data):
        if same and a.name in ("selected", "labeled"):
            same = np.array_equal(np.asarray(a.customdata), np.asarray(b.customdata)) and \
                np.allclose(np.asarray(a.x, dtype=float), np.asarray(b.x, dtype=float))
    canvas.close()
    fw.close()
    return row("widgets", f"round view redraw, {name}: Canvas.show vs FigureWidget batch_update", ours, ref,
               target=f"not slower; far fewer bytes; < {TARGET_S} s",
               met=bool(ours["seconds"] <= ref["seconds"] * 1.1 and b_ours < b_ref and ours["seconds"] < TARGET_S),
               same_picture=bool(same), bytes_per_round=b_ours, ref_bytes_per_round=b_ref,
               bytes_ratio=round(b_ref / max(b_ours, 1), 2),
               traces=ours["value"], load_avg_1m=round(os.getloadavg()[0], 2))


def run(quick: bool = False) -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared 2-core CPU (see bench_rounds.py)
    try:
        ds = alviz.datasets.load_digits(seed=0)
        # the redraw does not care how the picture was made: the top two principal components (no UMAP fit)
        X = ds.flat() - ds.flat().mean(axis=0)
        coords = X @ np.linalg.svd(X, full_matrices=False)[2][:2].T
        session = alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0)
        session.run(2)
        repeat = 2 if quick else 5
        rows = [_side_by_side(f"digits ({len(ds.X):,} points)", session, coords, repeat)]
        n = 6_000 if quick else 60_000
        big, big_coords = _pool(n)
        rows.append(_side_by_side(f"{n:,}-point pool (WebGL, 20 000 drawn)", big, big_coords, repeat))

        explorer = alviz.widgets.RoundExplorer(session, coords)
        clicks = []

        def click():  # one "Next round": Session.step, then the explorer's redraw (round view, curve, status)
            t0 = time.perf_counter()
            explorer.next_button.click()
            clicks.append((time.perf_counter() - t0, session.rounds[-1].metrics["seconds"]))

        full = measure(click, repeat=1)
        total, step = clicks[0]
        rows.append(row("widgets", "Next round click, digits margin (step + redraw)", full, target="recorded",
                        step_s=round(step, 4), redraw_s=round(total - step, 4)))
        if explorer.last_error is not None:
            raise RuntimeError(f"the explorer reported an error: {explorer.last_error!r}")
        explorer.close()
        return rows
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main(run)
