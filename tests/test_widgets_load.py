"""Widgets under load (issue 21): clicks, slider moves, view toggles and Play while projection fits run in the
background. Rounds are never interleaved or lost, the picture shown is the round the status names, a fit that
ends for an old round never overwrites a newer picture, and every thread has stopped at the end.

No browser: the explorer is driven from Python, the background fits are stand-ins that take a random while
(the widget's threading is under test, not UMAP), and each round's model-space picture is told apart by
an offset of 1000 × its round.
"""
from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest

import alviz
from alviz import projection


@pytest.fixture
def slow_fits(monkeypatch):
    """Background fits that take a random while; the model-space pictures of round r are offset by 1000 r."""
    rng = np.random.default_rng(0)
    lock = threading.Lock()
    calls = {"reference": 0, "aligned": 0}

    def pause():
        with lock:
            t = float(rng.uniform(0.0, 0.05))
        time.sleep(t)

    def reference(ds, seed=0, **kw):
        calls["reference"] += 1
        pause()
        return projection.pca(ds.flat())

    def aligned(session, seed=0, **kw):
        calls["aligned"] += 1
        rounds = list(session.rounds)
        pause()
        base = np.asarray(projection.pca(session.dataset.flat()), dtype=np.float32)
        return [base + 1000.0 * r.index for r in rounds]

    monkeypatch.setattr(projection, "cached_reference", lambda *a, **k: None)
    monkeypatch.setattr(projection, "reference", reference)
    monkeypatch.setattr(projection, "aligned", aligned)
    return calls


def _status_round(ex) -> int:
    m = re.search(r'data-round="(-?\d+)"', ex.status.value)
    assert m, ex.status.value
    return int(m.group(1))


def _check_picture(ex):
    """The figure shows the round the status and the slider name: its picks, its title, its view's places."""
    s = ex.session
    r = ex.slider.value
    assert _status_round(ex) == r
    fig = ex.figure.fig  # a go.Figure copy of what the canvas draws
    assert f"round {r} " in (fig.layout.title.text or "")
    (picks,) = [t for t in fig.data if t.name == "selected"]
    idx = np.ravel(np.asarray(picks.customdata)).astype(int)
    assert sorted(idx.tolist()) == sorted(s.rounds[r].selected.tolist())
    xy = np.column_stack([picks.x, picks.y])
    if ex.space.value == "model":
        expected = np.asarray(ex._shown_coords(s.rounds[r]))[idx]
        assert np.allclose(xy, expected)
        if r < len(ex._model_views):  # its own picture, not an older round's
            assert abs(np.median(xy[:, 0]) - np.median(np.asarray(ex._model_views[r])[idx, 0])) < 1e-3
            assert 1000 * r - 500 < np.median(xy[:, 0]) < 1000 * r + 500
    else:
        assert np.allclose(xy, np.asarray(ex.coords)[idx])


def _check_rounds(s, clicks):
    n_expected = min(clicks, -(-(s.n_pool - len(s.initial_indices)) // s.budget))  # the pool may run out
    assert [r.index for r in s.rounds] == list(range(n_expected))  # none lost, none twice
    seen = set(s.initial_indices.tolist())
    for r in s.rounds:  # never interleaved: each round starts from exactly what the rounds before labeled
        assert set(r.labeled.tolist()) == seen
        assert not seen & set(r.selected.tolist())
        seen |= set(r.selected.tolist())


def test_an_explorer_under_clicks_slider_toggles_and_background_fits_loses_nothing(slow_fits):
    X, y = alviz.datasets.make_toy("blobs", n=90, seed=1).X, alviz.datasets.make_toy("blobs", n=90, seed=1).y
    ds = alviz.datasets.from_arrays(np.column_stack([X, X[:, :1] * 0.5]), y)  # 3-D: the picture is fitted
    s = alviz.Session(ds, "margin", model=alviz.models.MLP(steps=5), initial=9, budget=4, seed=0)
    ex = alviz.widgets.RoundExplorer(s)
    assert ex.projection_state in ("fitting", "ready")
    rng = np.random.default_rng(1)
    clicks = 0
    for step in range(16):
        action = rng.integers(4)
        if action == 0 or not s.rounds:
            ex.next_button.click()  # runs the round now; a fit may finish meanwhile
            clicks += 1
        elif action == 1:
            ex.slider.value = int(rng.integers(len(s.rounds)))
        elif action == 2:
            ex.space.value = "model" if ex.space.value == "reference" else "reference"
        else:
            ex.next_round(2)  # two queued clicks
            clicks += 2
        assert ex.error.value == "" and ex.last_error is None, ex.error.value
        _check_rounds(s, clicks)
        if step % 5 == 4:
            assert ex.wait_for_projection(30)
            _check_picture(ex)
    if hasattr(ex, "play"):  # Play (issue "Touch the data"), where it has landed: rounds run until paused
        ex.play()
        time.sleep(0.2)
        ex.pause()
        assert ex.wait_for_projection(30)
        clicks = len(s.rounds)
        _check_rounds(s, clicks)
    ex.space.value = "model"
    ex.slider.value = len(s.rounds) - 1
    assert ex.wait_for_projection(30)
    _check_picture(ex)
    assert ex.projection_state == "ready" and ex.model_space_state == "ready"
    assert slow_fits["reference"] == 1 and slow_fits["aligned"] >= 1
    deadline = time.monotonic() + 10
    while any(t.name == "alviz-background" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [t for t in threading.enumerate() if t.name.startswith("alviz")], "a background thread is left"


def test_a_fit_that_ends_for_an_old_round_does_not_overwrite_the_newer_picture(slow_fits, monkeypatch):
    """A model-space fit started at round 1 ends after round 2 was run and shown: round 2 stays on screen."""
    X, y = alviz.datasets.make_toy("blobs", n=60, seed=2).X, alviz.datasets.make_toy("blobs", n=60, seed=2).y
    ds = alviz.datasets.from_arrays(np.column_stack([X, X[:, :1]]), y)
    s = alviz.Session(ds, "margin", model=alviz.models.MLP(steps=5), initial=9, budget=4, seed=0)
    gate = threading.Event()
    real = projection.aligned

    def gated(session, seed=0, **kw):
        rounds = len(session.rounds)
        if rounds == 1:
            gate.wait(10)  # the first fit (of round 0 only) is held until round 1 is shown
        views = real(session, seed=seed)
        return views[:rounds]
    monkeypatch.setattr(projection, "aligned", gated)
    ex = alviz.widgets.RoundExplorer(s, view="model")
    assert ex.wait_for_projection(30)
    ex.next_button.click()  # round 0: its fit starts and is held
    ex.next_button.click()  # round 1, shown on the last picture there is while the held fit runs
    assert ex.slider.value == 1 and _status_round(ex) == 1
    gate.set()  # the stale fit (round 0 only) ends now
    assert ex.wait_for_projection(30)
    assert ex.slider.value == 1 and _status_round(ex) == 1
    _check_picture(ex)
    assert len(ex._model_views) == 2  # the stale fit's end started the fit of round 1, which is shown
