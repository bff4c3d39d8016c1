"""Nothing a user does loses work: the last round of a pool, and interrupts that roll a round back (issue 21)."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import alviz
from alviz.session import PoolExhaustedWarning
from alviz.strategies import available


@pytest.fixture(scope="module")
def tiny_blobs():
    return alviz.datasets.make_toy("blobs", n=30, seed=0)


def _tiny_session(ds, strategy="margin", **kw):
    kw.setdefault("field_resolution", None)
    return alviz.Session(ds, strategy=strategy, model=alviz.models.MLP(steps=10), initial=6, budget=10, seed=0,
                         **kw)


# ---------------------------------------------------------------------------------------------- the last round
@pytest.mark.parametrize("name", available())
def test_the_last_round_takes_what_is_left(name, tiny_blobs):
    """30 samples, 6 labeled, 10 a round: 10, 10, then the 4 left (budget == candidates for the batch logic)."""
    s = _tiny_session(tiny_blobs, name)
    with pytest.warns(PoolExhaustedWarning, match="ran 3 of the 5 rounds"):
        rounds = s.run(5)
    assert [r.metrics["budget"] for r in rounds] == [10, 10, 4]
    assert [r.metrics["budget_cut"] for r in rounds] == [False, False, True]
    last = rounds[-1]
    assert set(last.selected.tolist()) == set(np.flatnonzero(~np.isin(np.arange(30), last.labeled)).tolist())
    assert s.n_unlabeled == 0 and len(s.rounds) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PoolExhaustedWarning):
            s.run(1)
    assert len(s.rounds) == 3
    with pytest.raises(ValueError, match="exhausted.*new Session"):
        s.step()


def test_a_run_that_fits_the_pool_exactly_warns_nothing(tiny_blobs):
    s = alviz.Session(tiny_blobs, strategy="coreset", model=alviz.models.MLP(steps=5), initial=10, budget=10,
                      seed=0, field_resolution=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PoolExhaustedWarning)
        rounds = s.run(2)
    assert [r.metrics["budget_cut"] for r in rounds] == [False, False] and s.n_unlabeled == 0


def test_the_explorer_stops_cleanly_at_an_exhausted_pool(tiny_blobs):
    s = _tiny_session(tiny_blobs)
    ex = alviz.widgets.RoundExplorer(s, coords=tiny_blobs.X)
    for _ in range(2):
        assert not ex.next_button.disabled
        ex.next_button.click()
    ex.next_round(4)  # four rounds asked for, one left: the last is taken, the rest dropped quietly
    assert s.n_unlabeled == 0 and len(s.rounds) == 3 and s.rounds[-1].metrics["budget_cut"]
    assert ex.next_button.disabled and "exhausted" in ex.next_button.description
    assert ex.error.value == "" and ex.runner.last_error is None
    ex.next_round()  # a click on the disabled button (a stale front end) is harmless
    assert len(s.rounds) == 3 and ex.error.value == ""
    assert ex.round is s.rounds[-1]
    if hasattr(ex, "play"):  # Play (issue "Touch the data") stops at the end of the pool too
        ex.play()
        assert len(s.rounds) == 3 and ex.error.value == ""


# ---------------------------------------------------------------------------------------------- interrupts
class _Stop(BaseException):
    """Any BaseException that is not an Exception (as KeyboardInterrupt, SystemExit)."""


def _state(s):
    return {"rounds": [id(r) for r in s.rounds], "mask": s.labeled_mask.copy(), "labels": s.labels.copy(),
            "pending": id(s.pending) if s.pending is not None else None, "model": id(s.model),
            "cache": dict(s.cache), "aug": s._augment_X.shape, "aug_y": s._augment_y.copy(),
            "given": None if s.pending is None else s.pending.given_labels,
            "metrics": None if s.pending is None else dict(s.pending.metrics)}


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert np.array_equal(a[k], b[k]), k
        elif k == "cache":
            assert a[k].keys() == b[k].keys() and all(a[k][x] is b[k][x] for x in a[k]), k
        else:
            assert a[k] == b[k], k


def _raiser(exc):
    def boom(*args, **kwargs):
        raise exc("interrupted")
    return boom


STAGES = ["training", "query", "field", "oracle"]


@pytest.fixture(scope="module")
def tiny_moons():
    return alviz.datasets.make_toy("moons", n=60, seed=0)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, _Stop])
@pytest.mark.parametrize("stage", STAGES)
def test_an_interrupt_in_any_stage_of_step_rolls_the_round_back(stage, exc, tiny_moons, monkeypatch):
    s = alviz.Session(tiny_moons, strategy="typiclust", model=alviz.models.MLP(steps=5), initial=8, budget=4,
                      seed=0, field_resolution=5)
    s.step()  # a round before, so that there is something to keep
    before = _state(s)
    if stage == "training":
        monkeypatch.setattr(alviz.session, "fit_fresh", _raiser(exc))
    elif stage == "query":
        # the strategy's work fills the cross-round cache first, then the interrupt comes
        real = type(s.strategy)._query

        def query_then_stop(self, ctx, budget, rng):
            real(self, ctx, budget, rng)
            ctx.cache["half-done"] = object()
            raise exc("interrupted")
        monkeypatch.setattr(type(s.strategy), "_query", query_then_stop)
    elif stage == "field":
        monkeypatch.setattr(alviz.session._fields, "compute", _raiser(exc))
    else:
        monkeypatch.setattr(s.oracle, "labels", _raiser(exc))
    with pytest.raises(exc):
        s.step()
    _same(before, _state(s))
    monkeypatch.undo()
    again = s.step()  # and the session carries on as if nothing had happened
    ref = alviz.Session(tiny_moons, strategy="typiclust", model=alviz.models.MLP(steps=5), initial=8, budget=4,
                        seed=0, field_resolution=5)
    ref.run(2)
    assert np.array_equal(again.selected, ref.rounds[1].selected)


class _InterruptedLabels(list):
    """Labels whose reading is interrupted (the stop button while the labeling panel submits)."""

    def __iter__(self):
        raise KeyboardInterrupt("interrupted")


@pytest.mark.parametrize("stage", ["training", "query", "label"])
def test_an_interrupt_in_propose_or_label_leaves_the_session_as_it_was(stage, tiny_moons, monkeypatch):
    s = alviz.Session(tiny_moons, strategy="margin", model=alviz.models.MLP(steps=5), initial=8, budget=4,
                      seed=0, oracle=alviz.oracles.Human(), field_resolution=None)
    if stage == "label":
        picks = s.propose()
    before = _state(s)
    if stage == "training":
        monkeypatch.setattr(alviz.session, "fit_fresh", _raiser(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            s.propose()
    elif stage == "query":
        monkeypatch.setattr(type(s.strategy), "_query", _raiser(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            s.propose()
    else:
        with pytest.raises(KeyboardInterrupt):
            s.label(_InterruptedLabels([0] * len(picks)))
    _same(before, _state(s))
    monkeypatch.undo()
    picks = s.propose()
    rnd = s.label(tiny_moons.y[picks])
    assert len(s.rounds) == 1 and rnd.given_labels is not None


def test_an_initial_set_that_leaves_fewer_samples_than_classes_is_drawn_not_refused_by_sklearn():
    """Found by tests/test_properties.py: a stratified split needs every class on both sides."""
    X = np.arange(14, dtype=np.float32).reshape(7, 2)
    ds = alviz.datasets.from_arrays(X, [0, 0, 0, 1, 1, 1, 1], X_test=X[:2], y_test=[0, 1], class_names=["α", "β"])
    s = alviz.Session(ds, "margin", model=alviz.models.MLP(steps=5), initial=6, budget=3, field_resolution=None)
    assert s.n_labeled == 6
    with pytest.warns(PoolExhaustedWarning):
        (rnd,) = s.run(2)
    assert rnd.metrics["budget"] == 1 and rnd.metrics["budget_cut"]


# ---------------------------------------------------------------------------------------------- bounded memory
def test_old_rounds_live_on_disk_and_load_lazily_with_the_same_numbers(tiny_moons, tmp_path, monkeypatch):
    import gc

    from alviz import _spill

    def run(n):
        s = alviz.Session(tiny_moons, strategy="badge", model=alviz.models.MLP(steps=5), initial=8, budget=4,
                          seed=0, field_resolution=None)
        s.run(n)
        return s
    ref = run(4)  # small arrays: nothing spills
    assert not any(_spill.is_spilled(r.proba) for r in ref.rounds)
    monkeypatch.setattr(_spill, "SPILL_MIN_BYTES", 1)  # as if the pool were a large one
    s = run(3)
    spilled = [_spill.is_spilled(r.proba) and _spill.is_spilled(r.embedding)
               and _spill.is_spilled(r.extras["representation"]) for r in s.rounds]
    assert spilled == [True, False, False]  # the newest RESIDENT_ROUNDS (2) stay in memory
    for a, b in zip(s.rounds, ref.rounds):
        for name in ("proba", "embedding", "scores"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(a.extras["representation"], b.extras["representation"])
    fig = alviz.plot.round(s, tiny_moons.X, r=0)  # an old round still draws
    assert len(fig.data) > 0
    back = alviz.Session.load(s.save(tmp_path / "run.alviz"))
    assert all(_spill.is_spilled(r.proba) for r in back.rounds)  # loaded lazily: mapped, read on access
    assert not _spill.is_spilled(back.labels) and back.labels.flags.writeable
    assert not _spill.is_spilled(back.dataset.X)
    for a, b in zip(back.rounds, ref.rounds):
        np.testing.assert_array_equal(a.embedding, b.embedding)
    nxt = back.step()  # and it continues exactly as the uninterrupted run
    np.testing.assert_array_equal(nxt.selected, ref.rounds[3].selected)
    again = alviz.Session.load(back.save(tmp_path / "run.alviz"))  # saved over the file it was loaded from
    np.testing.assert_array_equal(again.rounds[0].proba, ref.rounds[0].proba)
    folder = s._spill.path
    del s, fig
    gc.collect()
    assert not folder.exists()  # the session's folder goes with it


def test_a_budget_larger_than_the_pool_takes_the_pool_and_says_so(tiny_blobs):
    s = _tiny_session(tiny_blobs)
    s.budget = 10_000
    rnd = s.step()
    assert len(rnd.selected) == 24 and rnd.metrics["budget"] == 24 and rnd.metrics["budget_cut"]
    with pytest.raises(ValueError, match="larger than the 24 unlabeled samples left; ask for at most 24"):
        s.strategy.query(_ctx_of(tiny_blobs), 25, rng=0)


def _ctx_of(ds):
    from tests.conftest import make_context

    return make_context(ds, labeled_idx=np.arange(6))


def test_the_folder_of_a_killed_process_is_removed_by_the_next_one(tmp_path, monkeypatch):
    import subprocess
    import sys

    from alviz import _spill

    monkeypatch.setattr(_spill.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(_spill.tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    orphan = tmp_path / f"alviz-rounds-{int(dead.stdout)}-abc"
    orphan.mkdir()
    alive = tmp_path / f"alviz-rounds-{os.getppid()}-abc"
    alive.mkdir()
    store = _spill.SpillStore()
    m = store.put(np.arange(5.0))
    assert _spill.is_spilled(m) and store.path.parent == tmp_path
    assert not orphan.exists() and alive.exists()


def test_the_batch_selectors_take_every_candidate_when_asked_for_all_of_them():
    """k == candidates for k-center greedy, factorized k-means++ and orthogonal greedy, duplicates included."""
    rng = np.random.default_rng(0)
    F = np.concatenate([rng.standard_normal((7, 3)), np.zeros((3, 3))])  # three identical rows
    mask = np.zeros(10, dtype=bool)
    mask[:2] = True
    picks = alviz.selection.k_center_greedy(F, mask, 8, rng=0)
    assert sorted(picks.tolist()) == list(range(2, 10))
    a, h = rng.standard_normal((10, 3)), np.concatenate([rng.standard_normal((7, 4)), np.zeros((3, 4))])
    picks = alviz.selection.kmeans_pp(a, h, 10, rng=0)  # three rows of g = a ⊗ h are zero
    assert sorted(picks.tolist()) == list(range(10))
    picks = alviz.selection.orthogonal_greedy(a, h, 10)
    assert sorted(picks.tolist()) == list(range(10))


def test_a_comparison_stops_at_the_end_of_the_pool_too(tiny_blobs):
    with pytest.warns(PoolExhaustedWarning, match="ran 3 of the 6 rounds"):
        comp = alviz.compare(tiny_blobs, ["margin", "coreset"], rounds=6, budget=10, initial=6,
                             model=alviz.models.MLP(steps=5))
    assert all(len(s.rounds) == 3 and s.rounds[-1].metrics["budget"] == 4 for s in comp.values())
