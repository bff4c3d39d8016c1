"""The playground (a click labels a point; the field is patched; the race) and Play / Pause and pick mode."""
import re
import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.models import MLP
from alviz.widgets import Playground, RoundExplorer


@pytest.fixture(scope="module")
def toy():
    return alviz.datasets.make_toy("moons", n=120, seed=0)


def _pg(toy, **kw):
    params = dict(strategy="margin", model=MLP(hidden=(16,), steps=60), initial=4, seed=0, resolution=16,
                  interval=0.0)
    params.update(kw)
    return Playground(toy, **params)


def _data(canvas, name):
    d = canvas.figure_dict()
    found = [t for t in d["data"] if t.get("name", "").startswith(name)]
    assert len(found) == 1, [t.get("name") for t in d["data"]]
    return found[0]


def _status(w) -> dict:
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', w.status.value))


def _until(cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


def test_label_refits_and_patches_the_field_and_the_race(toy):
    pg = _pg(toy)
    z0 = np.asarray(_data(pg.canvas, "field")["z"], dtype=float)
    regions0 = np.asarray(_data(pg.canvas, "decision regions")["z"], dtype=float)
    n_traces = len(pg.canvas.figure_dict()["data"])
    first_next = int(pg.session.pending.strategy_picks[0])
    assert _data(pg.canvas, "margin's next pick")["customdata"].tolist() == [first_next]
    free = [int(i) for i in np.flatnonzero(~pg.session.labeled_mask) if i != first_next]
    for k, i in enumerate(free[:3]):
        rnd = pg.label(i)
        assert rnd.chosen_by == "you" and rnd.selected.tolist() == [i]
        assert pg.session.labeled_mask[i] and i in _data(pg.canvas, "labeled")["customdata"].tolist()
        assert i not in _data(pg.canvas, "unlabeled")["customdata"].tolist()
        # the figure was patched, not rebuilt: same traces, one patch per label (+ none from the race)
        assert len(pg.canvas.figure_dict()["data"]) == n_traces and pg.canvas.n_patches == k + 1
    z1 = np.asarray(_data(pg.canvas, "field")["z"], dtype=float)
    assert z1.shape == z0.shape and not np.allclose(z0, z1, equal_nan=True)
    assert np.asarray(_data(pg.canvas, "decision regions")["z"]).shape == regions0.shape
    # the field drawn is the model of now: the waiting proposal's, on the labeled set with the clicks
    np.testing.assert_array_equal(np.asarray(pg.session.pending.labeled), pg.session.labeled_indices)
    assert _data(pg.canvas, "margin's next pick")["customdata"].tolist() == \
        pg.session.pending.strategy_picks.tolist()
    # the race: both runs after the same number of labels, from the same start
    you, them = pg.curves().values()
    np.testing.assert_array_equal(you[0], [4, 5, 6, 7])
    np.testing.assert_array_equal(them[0], you[0])
    assert you[1][0] == them[1][0] and pg.race.n_labeled == pg.session.n_labeled == 7
    assert all(r.chosen_by == "strategy" for r in pg.race.rounds)
    race = pg.race_canvas.figure_dict()["data"]
    np.testing.assert_array_equal(race[0]["x"], you[0])
    np.testing.assert_allclose(race[1]["y"], them[1])
    assert pg.race_canvas.n_patches == 3
    # warm: the refit trains a tenth of the steps
    assert pg.session.warm_start and pg.session.model.steps == 6
    # a labeled point is refused and nothing changes
    before = (pg.session.n_labeled, pg.canvas.n_patches)
    with pytest.raises(ValueError, match="already labeled"):
        pg.label(free[0])
    assert (pg.session.n_labeled, pg.canvas.n_patches) == before
    assert _status(pg)["labeled"] == "7" and _status(pg)["yours"] == "3"


def test_a_click_labels_the_point_and_the_strategys_turn_takes_its_pick(toy):
    pg = _pg(toy)
    d = pg.canvas.figure_dict()["data"]
    k = [t["name"] for t in d].index("unlabeled")
    target = int(d[k]["customdata"][5])
    pg.canvas._emit("click", trace=k, points=[5])  # what the page sends
    assert pg.session.labeled_mask[target] and pg.session.rounds[-1].selected.tolist() == [target]
    pg.canvas._emit("click", trace=[t["name"] for t in d].index("labeled"), points=[0])  # labeled: nothing
    assert len(pg.session.rounds) == 1
    nxt = pg.session.pending.strategy_picks.tolist()
    rnd = pg.strategy_turn()
    assert rnd.chosen_by == "strategy" and rnd.selected.tolist() == nxt
    pg.alternate.value = True  # turns alternate: your label, then the strategy's
    n = len(pg.session.rounds)
    free = np.flatnonzero(~pg.session.labeled_mask)
    pg.label(int(free[0]))
    assert [r.chosen_by for r in pg.session.rounds[n:]] == ["you", "strategy"]
    assert pg.race.n_labeled == pg.session.n_labeled
    data, _meta = pg._repr_mimebundle_()  # a static picture for front ends without widgets
    assert "image/png" in data and "application/vnd.jupyter.widget-view+json" in data
    with pytest.raises(ValueError, match="2-D data"):
        Playground(alviz.datasets.load_digits(seed=0))


def test_playground_plays_and_pauses_and_shows_an_injected_error(toy):
    pg = _pg(toy)
    pg.play()
    _until(lambda: len(pg.session.rounds) >= 2)  # rounds advance with no call from the test
    assert pg.playing and pg.play_button.description == "Pause"
    pg.pause()
    assert pg.player.wait(60)
    n = len(pg.session.rounds)
    time.sleep(0.2)
    assert len(pg.session.rounds) == n and not pg.playing and pg.play_button.description == "Play"
    assert all(r.chosen_by == "strategy" for r in pg.session.rounds) and pg.race.n_labeled == pg.session.n_labeled

    def boom(picks=None):
        raise RuntimeError("injected failure")

    pg.session.propose = boom
    pending = pg.session.pending
    pg.play()
    assert pg.player.wait(60)
    assert not pg.playing and isinstance(pg.last_error, RuntimeError)
    assert "injected failure" in pg.error.value and len(pg.session.rounds) == n and pg.session.pending is pending


@pytest.fixture
def small_explorer(toy):
    session = alviz.Session(toy, strategy="margin", model=LogisticRegression(max_iter=200), initial=10, budget=5,
                            seed=0)
    session.step()
    return RoundExplorer(session, coords=toy.X)


def test_explorer_plays_until_paused_and_an_error_stops_it(small_explorer, monkeypatch):
    ex = small_explorer
    ex.play()
    _until(lambda: len(ex.session.rounds) >= 3)
    ex.pause()
    assert ex.player.wait(60)
    n = len(ex.session.rounds)
    time.sleep(0.2)
    assert len(ex.session.rounds) == n and ex.slider.max == n - 1 and not ex.playing
    assert _status(ex)["playing"] == "false" and _status(ex)["round"] == str(n - 1)  # each round drawn
    real_step = ex.session.step

    def failing(picks=None):
        if len(ex.session.rounds) >= n + 1:
            raise RuntimeError("injected failure")
        return real_step(picks=picks)

    monkeypatch.setattr(ex.session, "step", failing)
    ex.play()
    assert ex.player.wait(60)
    assert len(ex.session.rounds) == n + 1 and not ex.playing
    assert "injected failure" in ex.error.value and isinstance(ex.player.last_error, RuntimeError)


def test_explorer_play_stops_when_the_pool_runs_out(toy):
    tiny = alviz.datasets.make_toy("blobs", n=20, seed=0)
    session = alviz.Session(tiny, "margin", model=LogisticRegression(max_iter=200), initial=8, budget=6, seed=0)
    ex = RoundExplorer(session, coords=tiny.X)
    ex.play()
    assert ex.player.wait(60)
    assert session.n_unlabeled == 0 and len(session.rounds) == 2 and ex.player.last_error is None


def _index(canvas, name):
    return [t.get("name") for t in canvas.figure_dict()["data"]].index(name)


def _select(canvas, trace_name, points):
    """What the page sends for a box selection over ``points`` of a trace."""
    canvas._emit("select", trace=_index(canvas, trace_name), points=list(points))


def _click(canvas, trace_name, point):
    canvas._emit("click", trace=_index(canvas, trace_name), points=[point])


def _cd(canvas, name):
    t = canvas.trace(name)
    assert t is not None, [t.get("name") for t in canvas.figure_dict()["data"]]
    return np.asarray(t["customdata"]).ravel()


def test_pick_yourself_in_the_explorer(small_explorer):
    ex = small_explorer
    ex.pick_mode.value = True  # the strategy's proposal for the next round is computed and drawn faintly
    theirs = ex.session.pending.strategy_picks.tolist()
    assert len(theirs) == 5 and len(ex.session.rounds) == 1
    assert sorted(_cd(ex.figure, "the strategy's picks").tolist()) == sorted(theirs)
    unl = _cd(ex.figure, "unlabeled")
    _click(ex.figure, "unlabeled", 0)
    _click(ex.figure, "unlabeled", 1)
    assert ex.my_picks == [int(unl[0]), int(unl[1])]
    _click(ex.figure, "your picks", 1)  # a click on your pick drops it
    assert ex.my_picks == [int(unl[0])]
    unl = _cd(ex.figure, "unlabeled")
    _select(ex.figure, "unlabeled", [2, 3, 4])  # a box selection adds many
    mine = [int(unl[0]), int(unl[2]), int(unl[3]), int(unl[4])]
    assert ex.my_picks == mine and ex.query_button.description == "query my picks (4)"
    assert _cd(ex.figure, "your picks").tolist() == mine
    assert ex.figure.get("dragmode") == "select"
    ex.query_button.click()
    rnd = ex.session.rounds[-1]
    assert rnd.chosen_by == "you" and rnd.selected.tolist() == mine and rnd.strategy_picks.tolist() == theirs
    assert ex.my_picks == [] and ex.query_button.disabled and _status(ex)["chosen-by"] == "you"
    with pytest.raises(ValueError, match="already labeled"):
        ex.toggle_pick(mine[0])
    ex.pick_mode.value = False
    _click(ex.figure, "unlabeled", 0)  # out of pick mode a click inspects
    assert ex.my_picks == [] and ex.inspected is not None
