"""The explorers: wiring of buttons, slider, dropdowns and clicks to a Session and alviz.plot.

Fast by construction: sessions use a scikit-learn LogisticRegression task model,
so a round costs milliseconds and the tests measure the widgets, not training.
"""
import html
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz import plot
from alviz.widgets import Canvas, CompareExplorer, RoundExplorer
from alviz.widgets._tools import RoundRunner, status_html


def _lr():
    return LogisticRegression(max_iter=200)


@pytest.fixture
def moons_session(moons):
    return alviz.Session(moons, strategy="margin", model=_lr(), initial=10, budget=5, seed=0)


def _trace(canvas, name):
    data = canvas.fig.data  # a go.Figure copy of what the canvas draws
    found = [t for t in data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {[t.name for t in data]}"
    return found[0]


def _status(ex) -> dict:
    """The data-* attributes of the status line, parsed like a browser would read them."""
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', ex.status.value))


def _click(canvas, trace_name, point, event="click"):
    """Send what the browser sends when a point is clicked (canvas.js: {event, trace, points})."""
    idx = [t.name for t in canvas.fig.data].index(trace_name)
    canvas._handle_event(canvas, {"event": event, "trace": idx, "points": [point]}, [])


# ----------------------------------------------------------------------------- drawing on the canvas
def _sent(canvas):
    log = []
    canvas.send = lambda content, buffers=None: log.append(content)
    return log


def test_show_patches_what_changed_and_forgets_stale_properties():
    c = Canvas()
    a = go.Figure([go.Scatter(x=[1, 2], y=[1, 2], name="a", marker=dict(color=[0, 1], size=4)),
                   go.Scatter(x=[0], y=[0], name="b", customdata=[7])],
                  layout=dict(title="first", annotations=[dict(text="note", x=0, y=0)]))
    assert c.show(a) == "replaced"  # a new trace list: the whole figure
    log = _sent(c)
    b = go.Figure([go.Scatter(x=[1, 2, 3], y=[3, 2, 1], name="a2", marker=dict(color="red")),
                   go.Scatter(x=[5], y=[5], name="b2")], layout=dict(title="second"))
    assert c.show(b) == "updated" and len(log) == 1, "same structure: one patch"
    patch = log[0]["patch"]
    assert "template" not in patch["layout"], "what did not change is not sent"
    f = c.fig
    assert f.data[0].name == "a2" and list(f.data[0].x) == [1, 2, 3]
    assert f.data[0].marker.color == "red" and f.data[0].marker.size is None  # overwritten, not merged
    assert f.data[1].customdata is None  # a property the new figure lacks is cleared
    assert f.layout.title.text == "second" and f.layout.annotations == ()
    assert c.show(b) == "updated" and len(log) == 1, "nothing changed: nothing sent"
    # a different trace list: the whole figure is replaced
    d = go.Figure([go.Scatter(x=[0], y=[0], name="only"), go.Heatmap(z=[[1, 2]], name="h"),
                   go.Bar(x=[1], y=[1], name="bar")])
    assert c.show(d) == "replaced"
    assert [t.name for t in c.fig.data] == ["only", "h", "bar"]
    c.close()


def test_the_canvas_never_sends_nan_as_json():
    """A heatmap with empty bins (NaN in a 2-D z) must reach the browser as valid JSON or binary."""
    import json

    from ipywidgets.widgets.widget import _remove_buffers

    z = np.array([[0.2, np.nan], [np.inf, 0.5]])
    fig = go.Figure([go.Heatmap(z=z, name="overlay: P(labeled)"),
                     go.Scatter(x=[0.0, 1.0], y=[np.nan, 1.0], name="line")])
    c = Canvas(fig)
    state, _paths, _buffers = _remove_buffers(c.get_state())
    json.dumps(state, allow_nan=False)  # raises on NaN
    log = _sent(c)
    c.show(go.Figure([go.Heatmap(z=z * 2, name="overlay: P(labeled)"),
                      go.Scatter(x=[0.0, 1.0], y=[np.nan, 2.0], name="line", text=[float("nan"), "b"])]))
    json.dumps(log[0], allow_nan=False, default=lambda o: "<binary buffer>")
    c.close()


def test_status_line_is_machine_readable():
    s = status_html('round 3 <"x">', state="idle", round=3, pick_rank=-1)
    assert s.startswith('<div class="alviz-status" ')
    assert 'data-round="3"' in s and 'data-pick-rank="-1"' in s and "&lt;&quot;x&quot;&gt;" in s


# ----------------------------------------------------------------------------- the runner
class _FakeButton:
    def __init__(self):
        self.disabled = False


def test_runner_queues_reentrant_requests_in_order_and_stops_on_error():
    import ipywidgets as W

    log, seen = [], []
    button, progress, error = _FakeButton(), W.IntProgress(), W.HTML()

    def step():
        k = len(log)
        seen.append((button.disabled, progress.layout.visibility))
        if k == 0:  # a click that arrives while the first round runs
            runner.request()
            runner.request()
            assert (progress.value, progress.max, runner.pending) == (0, 3, 2)
        if k == 4:
            raise RuntimeError("boom in round 4")
        log.append(k)

    runner = RoundRunner(step, lambda: None, button, progress, error)
    runner.request()
    assert log == [0, 1, 2] and runner.completed == 3 and runner.last_error is None
    assert all(s == (True, "visible") for s in seen), "busy while running"
    assert button.disabled is False and progress.layout.visibility == "hidden"
    runner.request(5)  # rounds 3, 4 (fails): the rest of the queue is dropped
    assert log == [0, 1, 2, 3] and runner.pending == 0
    assert isinstance(runner.last_error, RuntimeError) and "boom in round 4" in error.value
    assert 'data-error-type="RuntimeError"' in error.value and button.disabled is False


# ----------------------------------------------------------------------------- RoundExplorer
def test_next_round_advances_the_view_and_the_selected_trace_shows_the_picks(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    st = _status(ex)
    assert st["round"] == "-1" and st["rounds"] == "0" and ex.slider.disabled
    labeled_before = []
    for r in range(3):
        ex.next_button.click()
        assert ex.last_error is None, ex.error.value
        rnd = moons_session.rounds[-1]
        st = _status(ex)
        assert (st["round"], st["rounds"], st["state"]) == (str(r), str(r + 1), "idle")
        assert st["selected"] == "5" and st["labeled"] == str(10 + 5 * r)
        sel = _trace(ex.figure, "selected")
        assert list(sel.customdata) == rnd.selected.tolist(), "the picks, in pick order"
        np.testing.assert_allclose(np.c_[sel.x, sel.y], moons.X[rnd.selected], rtol=1e-6)
        labeled_before.append(len(_trace(ex.figure, "labeled").x))
        assert ex.slider.max == r and ex.slider.value == r and not ex.slider.disabled
    assert np.diff(labeled_before).tolist() == [5, 5], "each round labels exactly the budget"
    # the widget draws what plot.round draws
    ref = plot.round(moons_session, moons.X, r=-1, color_by="class", overlay=True)
    assert [t.name for t in ex.figure.fig.data] == [t.name for t in ref.data]
    n, acc = moons_session.learning_curve()
    curve_x = [list(t.x) for t in ex.curve.fig.data if t.x is not None and len(t.x) == 3]
    assert [float(v) for v in curve_x[0]] == n.tolist(), "the learning curve follows the rounds"


def test_ten_quick_clicks_run_ten_rounds_in_order_without_duplicates(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    for _ in range(10):
        ex.next_button.click()
    assert ex.last_error is None and ex.error.value == ""
    assert [r.index for r in moons_session.rounds] == list(range(10))
    picks = np.concatenate([r.selected for r in moons_session.rounds])
    assert picks.size == 50 and np.unique(picks).size == 50
    assert not set(picks) & set(moons_session.initial_indices.tolist())
    for a, b in zip(moons_session.rounds, moons_session.rounds[1:]):
        assert set(b.labeled) == set(a.labeled) | set(a.selected)
    assert _status(ex)["round"] == "9" and not ex.next_button.disabled


def test_clicks_that_arrive_during_a_round_are_queued_not_dropped(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    real_step = moons_session.step
    during = []

    def step_with_clicks():
        during.append((ex.next_button.disabled, ex.progress.layout.visibility, _status(ex)["state"]))
        if len(moons_session.rounds) == 0:
            ex.next_button.click()  # the browser sent two more clicks before it saw "disabled"
            ex.next_button.click()
        return real_step()

    moons_session.step = step_with_clicks
    ex.next_button.click()
    assert len(moons_session.rounds) == 3 and ex.last_error is None
    assert during == [(True, "visible", "running")] * 3
    assert ex.next_button.disabled is False and ex.progress.layout.visibility == "hidden"
    assert _status(ex)["state"] == "idle"


def test_a_failing_round_shows_its_error_in_the_widget_and_leaves_the_session_unchanged(moons):
    sess = alviz.Session(moons, strategy="margin", model=_lr(), initial=0, budget=5, seed=0)
    ex = RoundExplorer(sess, moons.X)
    ex.next_button.click()
    assert isinstance(ex.last_error, ValueError)
    assert "needs a trained task model" in ex.error.value and 'data-error-type="ValueError"' in ex.error.value
    assert len(sess.rounds) == 0 and sess.n_labeled == 0
    assert ex.next_button.disabled is False, "the user can fix things and try again"


def test_a_failing_redraw_is_shown_and_the_round_is_kept(moons_session, moons, monkeypatch):
    ex = RoundExplorer(moons_session, moons.X)

    def broken(*args, **kwargs):
        raise ValueError("no picture today")

    monkeypatch.setattr(plot, "round", broken)
    ex.next_button.click()
    assert len(moons_session.rounds) == 1, "the round itself ran and is kept"
    assert "redrawing it failed" in ex.error.value and "no picture today" in ex.error.value
    monkeypatch.undo()
    ex.next_button.click()
    assert ex.last_error is None and ex.error.value == "" and _status(ex)["round"] == "1"


def test_slider_goes_back_without_recomputing(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    ex.next_round(3)
    calls = []
    moons_session.step = lambda: calls.append(1)
    ex.slider.value = 0
    assert calls == [] and ex.round_index == 0 and _status(ex)["round"] == "0"
    assert list(_trace(ex.figure, "selected").customdata) == moons_session.rounds[0].selected.tolist()
    assert len(_trace(ex.figure, "labeled").x) == 10
    ex.show_round(-1)
    assert _status(ex)["round"] == "2"
    with pytest.raises(ValueError, match="does not exist"):
        ex.show_round(3)


def test_color_by_and_overlay_follow_the_plot_layer(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    ex.next_round()
    rnd = moons_session.rounds[-1]
    options = list(plot.color_options(rnd))
    assert list(ex.color_by.options) == options
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    assert "score" in values
    by_class = np.asarray(_trace(ex.figure, "unlabeled").marker.color)
    other = "score"
    ex.color_by.value = other
    ref = plot.round(moons_session, moons.X, r=-1, color_by=other, overlay=True)
    for got, want in zip(ex.figure.fig.data, ref.data):
        assert got.name == want.name
        if getattr(want, "marker", None) is not None:  # a field Heatmap/Contour has no marker
            np.testing.assert_array_equal(np.asarray(got.marker.color), np.asarray(want.marker.color))
    assert not np.array_equal(np.asarray(_trace(ex.figure, "unlabeled").marker.color), by_class)
    has_overlay = any(t.name and t.name.startswith("overlay:") for t in ex.figure.fig.data)
    ex.overlay.value = False
    assert not any(t.name and t.name.startswith("overlay:") for t in ex.figure.fig.data)
    ref_off = plot.round(moons_session, moons.X, r=-1, color_by=other, overlay=False)
    assert [t.name for t in ex.figure.fig.data] == [t.name for t in ref_off.data]
    ex.overlay.value = True
    assert any(t.name and t.name.startswith("overlay:") for t in ex.figure.fig.data) == has_overlay


def test_clicking_a_point_inspects_it_with_label_prediction_score_and_rank(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    ex.next_round(2)
    rnd = moons_session.rounds[-1]
    _click(ex.figure, "selected", 2)  # the third pick of this round
    i = int(rnd.selected[2])
    assert ex.inspected == i and ex.last_error is None
    info = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', ex.inspector_text.value))
    assert info["index"] == str(i) and info["true"] == str(moons.y[i]) and info["pick-rank"] == "2"
    assert info["predicted"] == str(int(rnd.proba[i].argmax())) and info["round"] == "1"
    assert float(info["score"]) == pytest.approx(rnd.scores[i])
    assert "picked #3 this round" in ex.inspector_text.value
    ref = plot.sample(moons, i, proba=rnd.proba[i], score=float(rnd.scores[i]), rank=2)
    assert [t.type for t in ex.inspector.fig.data] == [t.type for t in ref.data]
    # a labeled point: not a candidate; going back a round re-inspects the same sample there
    j = int(rnd.labeled[0])
    _click(ex.figure, "labeled", 0)
    assert ex.inspected == int(_trace(ex.figure, "labeled").customdata[0]) == j
    assert "not a candidate" in ex.inspector_text.value
    ex.slider.value = 0
    assert 'data-round="0"' in ex.inspector_text.value and ex.inspected == j
    with pytest.raises(ValueError, match="sample index"):
        ex.inspect(10**6)


def test_bad_coords_and_sessions_are_refused(moons_session, moons):
    with pytest.raises(ValueError, match=r"\(300, 2\)"):
        RoundExplorer(moons_session, moons.X[:10])
    with pytest.raises(TypeError, match="alviz.Session"):
        RoundExplorer("margin", moons.X)
    with pytest.raises(ValueError, match="n=0"):
        RoundExplorer(moons_session, moons.X).next_round(0)


def test_exhausting_the_pool_disables_the_button(moons):
    small = alviz.datasets.from_arrays(moons.X[:40], moons.y[:40], moons.X_test, moons.y_test)
    sess = alviz.Session(small, strategy="margin", model=_lr(), initial=30, budget=5, seed=0)
    ex = RoundExplorer(sess, small.X)
    ex.next_round(2)
    assert sess.n_unlabeled == 0 and ex.next_button.disabled and ex.last_error is None


def test_digits_margin_rounds_redraw_the_whole_pool(digits):
    """The slider redraws each past round in full (its speed is benchmarks/bench_widgets.py's job)."""
    sess = alviz.Session(digits, strategy="margin", model=_lr(), initial=20, budget=10, seed=0)
    coords = digits.flat()[:, :2] + np.arange(len(digits.X))[:, None] * 1e-3
    ex = RoundExplorer(sess, coords)
    ex.next_round(2)
    for r in (0, 1, 0, 1):
        ex.slider.value = r
        sel = _trace(ex.figure, "selected")
        assert sorted(sel.customdata.ravel().astype(int).tolist()) == sorted(sess.rounds[r].selected.tolist())
        n_lab = len(_trace(ex.figure, "labeled").x)
        assert n_lab == len(sess.rounds[r].labeled)
        assert len(_trace(ex.figure, "unlabeled").x) + n_lab + 10 == len(digits.X)


# ----------------------------------------------------------------------------- CompareExplorer
def test_compare_explorer_steps_all_sessions_in_lock_step(moons):
    sessions = alviz.compare(moons, ["margin", "random"], rounds=0, budget=5, seed=0, initial=10, model=_lr())
    ex = CompareExplorer(sessions, moons.X)
    assert _status(ex)["round"] == "-1"
    ex.next_button.click()
    ex.next_button.click()
    assert ex.last_error is None, ex.error.value
    assert [len(s.rounds) for s in sessions.values()] == [2, 2]
    st = _status(ex)
    assert (st["round"], st["rounds"], st["strategies"], st["selected"]) == ("1", "2", "margin,random", "5,5")
    ref = plot.compare_round(sessions, moons.X, 1)
    assert [t.name for t in ex.figure.fig.data] == [t.name for t in ref.data]
    sel = [t for t in ex.figure.fig.data if t.name == "selected"]
    assert [list(t.customdata) for t in sel] == [s.rounds[1].selected.tolist() for s in sessions.values()]
    assert len(ex.overlap.fig.data) >= 1 and len(ex.curve.fig.data) >= 2
    ex.slider.value = 0
    sel = [t for t in ex.figure.fig.data if t.name == "selected"]
    assert [list(t.customdata) for t in sel] == [s.rounds[0].selected.tolist() for s in sessions.values()]


class _FailsOnce(alviz.strategies.Strategy):
    """Random picks, but the round given fails once (a flaky strategy for the catch-up test)."""

    name = "fails_once_test"

    def __init__(self, fail_round: int = 1):
        self.fail_round = fail_round

    def _query(self, ctx, budget, rng):
        if int(ctx.labeled_mask.sum()) == 10 + 5 * self.fail_round and not getattr(self, "failed_", False):
            self.failed_ = True
            raise RuntimeError("flaky strategy failed")
        idx = rng.choice(ctx.candidates, size=budget, replace=False)
        return alviz.strategies.QueryResult(idx, alviz.strategies.base.candidate_scores(ctx, 0.0))


def test_compare_explorer_catches_up_a_session_that_failed(moons):
    first = alviz.Session(moons, strategy="margin", model=_lr(), initial=10, budget=5, seed=0)
    flaky = alviz.Session(moons, strategy=_FailsOnce(), model=_lr(), initial=first.initial_indices, budget=5,
                          seed=0)
    ex = CompareExplorer([first, flaky], moons.X)
    ex.next_round(3)  # round 0 ok, round 1: margin ok, flaky fails -> the queue stops
    assert isinstance(ex.last_error, RuntimeError) and "flaky strategy failed" in ex.error.value
    assert [len(first.rounds), len(flaky.rounds)] == [2, 1] and _status(ex)["rounds"] == "1"
    ex.next_button.click()  # catches the flaky one up to round 1 only
    assert [len(first.rounds), len(flaky.rounds)] == [2, 2] and ex.error.value == ""
    ex.next_button.click()
    assert [len(first.rounds), len(flaky.rounds)] == [3, 3] and _status(ex)["round"] == "2"


def test_compare_explorer_refuses_sessions_without_a_common_start(moons):
    a = alviz.Session(moons, strategy="margin", model=_lr(), initial=10, seed=0)
    b = alviz.Session(moons, strategy="random", model=_lr(), initial=10, seed=1)
    with pytest.raises(ValueError, match="different labeled sets"):
        CompareExplorer([a, b], moons.X)
    with pytest.raises(ValueError, match="at least one session"):
        CompareExplorer({}, moons.X)


# ----------------------------------------------------------------------------- a first picture in seconds, two views
def _tiny(seed):
    """90 points in 6-D (3 blobs): a UMAP fit of a second or two."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 30)
    X = (rng.normal(scale=6.0, size=(3, 6))[y] + rng.normal(size=(90, 6))).astype(np.float32)
    ds = alviz.datasets.from_arrays(X, y, X_test=X[:9], y_test=y[:9])
    s = alviz.Session(ds, strategy="margin", model=_lr(), initial=9, budget=3, seed=0)
    s.step()
    return ds, s


def _xy_of(fw, name):
    t = _trace(fw, name)
    return np.c_[np.asarray(t.x, dtype=float), np.asarray(t.y, dtype=float)], np.asarray(t.customdata).astype(int)


def test_the_explorer_opens_on_a_pca_and_swaps_in_the_umap_when_it_is_fitted(monkeypatch):
    ds, s = _tiny(11)
    ex = RoundExplorer(s)
    assert ex.projection_state == "fitting" and ex.coords.kind == "pca"
    first, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(first, np.asarray(ex.coords)[idx], atol=1e-5)  # the PCA is drawn right away
    assert ex.wait_for_projection(timeout=300)
    assert ex.projection_state == "ready" and ex.last_error is None and ex.projection_error is None
    assert _status(ex)["projection"] == "ready" and "PCA" not in ex.status.value
    monkeypatch.setattr(alviz.projection, "_run_umap", lambda *a, **k: pytest.fail("refitted"))
    umap = alviz.projection.reference(ds, seed=s.seed)  # the fit is in the cache now
    now, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(now, np.asarray(umap)[idx], atol=1e-5)
    assert ex.last_draw == "animated"  # the points glide from the PCA to the UMAP
    again = RoundExplorer(s)  # a cached UMAP: no provisional picture at all
    assert again.projection_state == "ready" and again.wait_for_projection(0)


def test_a_big_pool_has_its_reference_fitted_in_a_process_of_its_own(monkeypatch):
    """From OWN_PROCESS_MIN_SAMPLES samples on, the background fit runs in a fresh process (benchmarks/bench_load.py
    measures why); a small pool's short fit stays on the background thread."""
    from alviz._threads import OWN_PROCESS_MIN_SAMPLES

    asked = []

    def reference(dataset, seed=0, own_process=False, **kwargs):
        asked.append((len(dataset.X), own_process))
        return alviz.projection.pca(dataset.flat())

    monkeypatch.setattr(alviz.projection, "reference", reference)
    rng = np.random.default_rng(0)
    for n in (90, OWN_PROCESS_MIN_SAMPLES):
        y = np.arange(n) % 3
        X = (rng.normal(scale=6.0, size=(3, 6))[y] + rng.normal(size=(n, 6))).astype(np.float32)
        ds = alviz.datasets.from_arrays(X, y, X_test=X[:9], y_test=y[:9])
        s = alviz.Session(ds, strategy="margin", model=_lr(), initial=9, budget=3, seed=0, field_resolution=None)
        s.step()
        ex = RoundExplorer(s)
        assert ex.wait_for_projection(timeout=60) and ex.projection_state == "ready"
    assert asked == [(90, False), (OWN_PROCESS_MIN_SAMPLES, True)]


def test_the_explorer_places_the_rounds_arrows_in_the_reference_picture():
    """The pictures draw only what the Round carries: the explorer places x + r in its reference picture
    (Session.place_inputs) before it draws a round, so DeepFool's arrows show in the UMAP."""
    ds, _ = _tiny(13)
    s = alviz.Session(ds, strategy="dfal", model=alviz.models.MLP(hidden=(8,), steps=20), initial=9, budget=3,
                      seed=0)
    s.step()
    coords = alviz.projection.reference(ds, seed=0)
    assert not s.rounds[0].placed  # 6-D data: nothing placed while the round ran
    ex = RoundExplorer(s, coords)
    assert alviz.projection.picture_key(coords) in s.rounds[0].placed
    assert ex.last_error is None
    _trace(ex.figure, "overlay: adversarial arrows")
    ex.next_round()
    assert alviz.projection.picture_key(coords) in s.rounds[1].placed
    _trace(ex.figure, "overlay: adversarial arrows")


def test_a_failed_projection_fit_shows_its_error_and_keeps_the_pca(monkeypatch):
    ds, s = _tiny(12)

    def boom(*a, **k):
        raise RuntimeError("numba is unhappy")

    monkeypatch.setattr(alviz.projection, "_run_umap", boom)
    ex = RoundExplorer(s)
    assert "PCA" in ex.status.value
    assert ex.wait_for_projection(timeout=60)
    assert ex.projection_state == "failed" and isinstance(ex.projection_error, RuntimeError)
    assert "numba is unhappy" in ex.error.value and "RuntimeError" in ex.error.value
    assert _status(ex)["projection"] == "failed" and "failed" in ex.status.value
    ex.next_round()  # the explorer keeps working on the PCA
    assert ex.round_index == 1 and ex.last_error is None


def test_model_space_view_shows_the_aligned_pictures_and_animates_between_rounds(moons):
    s = alviz.Session(moons, "margin", model=alviz.models.MLP(hidden=(16,), steps=40), initial=12, budget=4, seed=0)
    s.run(rounds=2)
    ex = RoundExplorer(s, moons.X)
    assert _status(ex)["view"] == "reference"
    ex.space.value = "model"
    assert ex.wait_for_projection(timeout=300) and ex.model_space_state == "ready"
    views = alviz.projection.aligned(s, seed=s.seed)
    xy, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(xy, np.asarray(views[1])[idx], atol=1e-5) and ex.last_draw == "animated"
    assert ex.figure.fig.layout.yaxis.scaleanchor is None  # a model space is no input space: no equal aspect
    assert _status(ex)["view"] == "model" and ex.last_error is None
    ex.slider.value = 0
    xy, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(xy, np.asarray(views[0])[idx], atol=1e-5) and ex.last_draw == "animated"
    ex.next_round()  # a new round in model space: one more aligned picture
    assert ex.wait_for_projection(timeout=300)
    assert len(ex._model_views) == 3 and ex.round_index == 2
    ex.space.value = "reference"
    xy, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(xy, moons.X[idx], atol=1e-6)
    assert ex.figure.fig.layout.yaxis.scaleanchor == "x"


def test_the_inspector_says_what_to_do_and_hovering_shows_the_image(digits):
    sess = alviz.Session(digits, strategy="margin", model=_lr(), initial=20, budget=5, seed=0)
    ex = RoundExplorer(sess, digits.flat()[:, :2] + np.arange(len(digits.X))[:, None] * 1e-3)
    assert ex.inspector.fig.layout.annotations[0].text == plot.PLACEHOLDER_TEXT
    ex.next_round()
    t = _trace(ex.figure, "selected")
    _click(ex.figure, "selected", 0, event="hover")
    i = int(np.ravel(t.customdata)[0])
    assert f'data-index="{i}"' in ex.hover_box.value and "data:image/png;base64," in ex.hover_box.value
    assert f"class {digits.class_names[digits.y[i]]}" in ex.hover_box.value


def test_model_space_draws_a_new_round_at_once_and_fits_its_picture_in_the_background(moons, monkeypatch):
    """Next round in model space never waits for UMAP: the round is drawn on the last model-space
    picture, the status says a fit runs, and when it ends the points glide to the new picture."""
    import threading

    s = alviz.Session(moons, "margin", model=alviz.models.MLP(hidden=(16,), steps=40), initial=12, budget=4, seed=0)
    s.run(rounds=1)
    ex = RoundExplorer(s, moons.X, view="model")
    assert ex.wait_for_projection(timeout=300)
    first = np.asarray(ex._model_views[0])
    real = alviz.projection.aligned
    release = threading.Event()

    def slow_aligned(session, seed=0):
        assert release.wait(120)
        return real(session, seed=seed)

    monkeypatch.setattr(alviz.projection, "aligned", slow_aligned)
    ex.next_round()
    assert ex.round_index == 1 and ex.model_space_state == "fitting"  # the round is shown, its picture not fitted yet
    assert "fitting round 1's picture in the background; showing round 0's" in html.unescape(ex.status.value)
    xy, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(xy, first[idx], atol=1e-5)  # drawn at once on round 0's model-space picture
    assert len(s.rounds[-1].selected) == 4 and ex.figure.fig.layout.title.text.startswith("margin · round 1")
    release.set()
    assert ex.wait_for_projection(timeout=300)
    assert ex.model_space_state == "ready" and len(ex._model_views) == 2 and ex.last_draw == "animated"
    xy, idx = _xy_of(ex.figure, "unlabeled")
    assert np.allclose(xy, np.asarray(ex._model_views[1])[idx], atol=1e-5)
    assert "in the background" not in ex.status.value and ex.last_error is None


def test_a_failed_model_space_fit_is_shown_and_not_retried_for_the_same_rounds(moons, monkeypatch):
    s = alviz.Session(moons, "margin", model=alviz.models.MLP(hidden=(16,), steps=40), initial=12, budget=4, seed=0)
    s.run(rounds=1)
    calls = []

    def boom(session, seed=0):
        calls.append(len(session.rounds))
        raise RuntimeError("umap is unhappy")

    monkeypatch.setattr(alviz.projection, "aligned", boom)
    ex = RoundExplorer(s, moons.X, view="model")
    assert ex.wait_for_projection(timeout=60)
    assert ex.model_space_state == "failed" and "umap is unhappy" in ex.error.value
    assert "its fit failed" in ex.status.value
    ex.color_by.value = "score"  # a redraw does not start the same failing fit again
    assert ex.wait_for_projection(timeout=60) and calls == [1]
    monkeypatch.undo()  # the next round's fit works: the picture comes, the old error goes
    ex.next_round()
    assert ex.wait_for_projection(timeout=300) and ex.model_space_state == "ready"
    assert len(ex._model_views) == 2 and "umap is unhappy" not in ex.error.value


def test_compare_explorer_opens_at_once_and_fits_its_picture_in_the_background(monkeypatch):
    """CompareExplorer no longer blocks on the UMAP: a PCA first, the fitted picture when it is there."""
    import threading

    ds, s = _tiny(13)
    other = alviz.Session(ds, strategy="random", model=_lr(), initial=s.initial_indices, budget=3, seed=0)
    other.step()
    release = threading.Event()
    fitted = np.random.default_rng(0).normal(size=(ds.n_pool if hasattr(ds, "n_pool") else len(ds.X), 2))
    monkeypatch.setattr(alviz.projection, "cached_reference", lambda *a, **k: None)

    def slow_reference(dataset, seed=0, **kw):
        assert release.wait(60)
        return fitted

    monkeypatch.setattr(alviz.projection, "reference", slow_reference)
    ex = CompareExplorer([s, other])  # returns while the fit waits
    assert ex.projection_state == "fitting" and _status(ex)["projection"] == "fitting"
    assert "PCA" in ex.status.value and ex.round_index == 0
    release.set()
    assert ex.wait_for_projection(timeout=60) and ex.projection_state == "ready"
    sel = [t for t in ex.figure.fig.data if t.name == "selected"][0]
    idx = np.asarray(sel.customdata).astype(int)
    np.testing.assert_allclose(np.c_[sel.x, sel.y], fitted[idx], rtol=1e-6)
    assert "PCA" not in ex.status.value and ex.last_error is None


def test_explorer_state_is_traitlets_and_its_output_carries_a_static_picture(moons_session, moons):
    ex = RoundExplorer(moons_session, moons.X)
    seen = []
    ex.observe(lambda ch: seen.append((ch["name"], ch["new"])), names=["round_index", "view"])
    ex.next_round()
    ex.space.value = "model"
    assert ("round_index", 0) in seen and ("view", "model") in seen
    assert ex.wait_for_projection(timeout=120)  # the model-space fit ended (whatever its outcome)
    state = ex.get_state()
    assert {"round_index", "view", "projection_state", "model_space_state", "pending_picks"} <= set(state)
    data, _meta = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["image/png"] and 'class="alviz-needs-kernel"' in data["text/html"]
    assert "needs a running Jupyter kernel" in data["text/plain"]
    import base64

    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 2000  # a picture, not an empty frame
