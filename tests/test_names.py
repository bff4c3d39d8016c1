"""One word for each thing (docs/design.md, "Names"), and the Session's explicit state."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import alviz
from alviz._random import STREAMS, streams
from alviz.models import MLP
from alviz.strategies import QueryResult


@pytest.fixture(scope="module")
def toy():
    return alviz.datasets.make_toy("blobs", n=80, seed=0)


def _session(ds, **kw):
    kw.setdefault("model", MLP(hidden=(8,), steps=10))
    return alviz.Session(ds, initial=8, budget=3, seed=3, field_resolution=None, **kw)


def test_picks_is_the_name_and_the_old_fields_keep_working(toy):
    rnd = _session(toy).step()
    np.testing.assert_array_equal(rnd.picks, rnd.selected)
    res = QueryResult([4, 1], np.zeros(5), {})  # positional, as strategies write it
    np.testing.assert_array_equal(res.picks, [4, 1])
    assert res.picks is res.indices and res.picks.dtype == np.int64


def test_the_pool_key_has_one_name(toy):
    s = _session(toy)
    assert toy.pool_key == toy.fingerprint() == s.pool_key == alviz._cache.pool_key(toy.X, toy.y)


def test_the_named_streams_are_the_seed_words_alviz_always_used():
    """Bit-identical to the constants they replace: saved sessions continue exactly."""
    def same(a, b):
        return np.array_equal(a.integers(0, 2**62, 8), b.integers(0, 2**62, 8))

    assert same(streams(7, 3, "round"), np.random.default_rng([7, 3]))
    assert same(streams(7, 3, "field"), np.random.default_rng([7, 3, 1]))
    assert same(streams(7, 3, "oracle"), np.random.default_rng([7, 3, 104729]))
    assert same(streams(7, None, "initial"), np.random.default_rng([7, 2**31 - 1]))
    assert not same(streams(7, 3, "round"), streams(7, 3, "field"))
    assert set(STREAMS) == {"round", "field", "oracle", "initial"}
    with pytest.raises(ValueError, match="unknown random stream 'picks'"):
        streams(7, 3, "picks")
    with pytest.raises(ValueError, match="belongs to a round"):
        streams(7, None, "oracle")


def test_the_session_draws_from_the_named_streams(toy):
    s = _session(toy)
    assert np.array_equal(s.round_rng(2).random(4), streams(3, 2, "round").random(4))
    assert np.array_equal(s.oracle.round_rng(3, 2).random(4), streams(3, 2, "oracle").random(4))


def test_nothing_public_shadows_a_builtin_or_a_module():
    import builtins

    import alviz.plot

    namespace: dict = {}
    exec("from alviz.plot import *", namespace)
    assert "round" not in namespace and namespace["round_figure"] is alviz.plot.round
    for module in ("alviz.plot", "alviz.selection", "alviz.strategies", "alviz.metrics", "alviz.diagnostics"):
        public = __import__(module, fromlist=["__all__"]).__all__
        assert not set(public) & set(dir(builtins)), module
    # alviz.experiment is one object: the module, callable as the function
    import alviz.experiment as module

    assert alviz.experiment is module and callable(alviz.experiment)
    assert module.experiment.__module__ == "alviz.experiment"


def test_state_round_trips_and_the_rebuilt_session_continues_exactly(toy):
    a = _session(toy)
    a.run(2)
    state = a.state()
    assert list(state)[:3] == ["dataset", "strategy", "model_template"] and "_pool_key" not in state
    b = alviz.Session.from_state(copy.deepcopy(state))  # state() hands out the values themselves
    assert b is not a and len(b.rounds) == 2
    np.testing.assert_array_equal(a.step().picks, b.step().picks)
    with pytest.raises(ValueError, match="has no 'seed'"):
        alviz.Session.from_state({k: v for k, v in state.items() if k != "seed"})


def test_refit_fits_a_rounds_model_again_exactly(toy):
    s = _session(toy)
    s.run(2)
    again = s.refit()
    np.testing.assert_array_equal(again.predict_proba(toy.X), s.model.predict_proba(toy.X))
    first = s.refit(0)
    assert not np.array_equal(first.predict_proba(toy.X), again.predict_proba(toy.X))
    with pytest.raises(ValueError, match="round_index=5"):
        s.refit(5)


def test_refit_trains_on_the_inputs_earlier_rounds_added(toy):
    """dfal with add_adversarial: round r's training set holds the inputs of rounds before r."""
    s = _session(toy, strategy=alviz.strategies.get("dfal", add_adversarial=True, max_iter=5))
    s.run(3)
    assert s.rounds[0].augment_inputs is not None
    np.testing.assert_array_equal(s.refit().predict_proba(toy.X), s.model.predict_proba(toy.X))


def test_coreset_carries_its_covering_radius_in_the_input_plane(toy):
    s = _session(toy, strategy="coreset")
    rnd = s.step()
    X = np.asarray(toy.X, dtype=np.float64)
    centers = np.r_[rnd.labeled, rnd.picks]
    expected = np.sqrt(((X[:, None] - X[centers][None]) ** 2).sum(-1)).min(1).max()
    assert rnd.extras["input_covering_radius"] == pytest.approx(expected)
