"""You are the strategy: Session.step(picks=...), strategy_picks, chosen_by; warm starts; the teaching toys."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import alviz
from alviz.models import MLP, warm_steps
from alviz.session import picks_percentile

FIXTURE_V1 = Path(__file__).parent / "data" / "session_v1.alviz"


@pytest.fixture(scope="module")
def toy():
    return alviz.datasets.make_toy("moons", n=120, seed=0)


def _session(toy, **kw):
    params = dict(strategy="margin", model=MLP(hidden=(16,), steps=60), initial=8, budget=3, seed=0,
                  field_resolution=12)
    params.update(kw)
    return alviz.Session(toy, **params)


def _state(s):
    return (s.labeled_mask.copy(), s.labels.copy(), len(s.rounds), s.pending, s.model)


def test_your_picks_are_labeled_and_recorded_and_strategy_picks_are_what_it_would_have_picked(toy):
    mine, theirs = _session(toy), _session(toy)
    mine.step(), theirs.step()
    free = np.flatnonzero(~mine.labeled_mask)
    picks = [int(free[5]), int(free[0])]  # your order is kept
    rnd = mine.step(picks=picks)
    ref = theirs.step()
    assert rnd.chosen_by == "you" and ref.chosen_by == "strategy"
    assert rnd.selected.tolist() == picks
    assert mine.labeled_mask[picks].all() and (mine.labels[picks] == toy.y[picks]).all()
    assert rnd.given_labels.tolist() == toy.y[picks].tolist() and mine.n_labeled == 8 + 3 + 2
    # the strategy ran on the same round as it would have: same picks, same scores
    np.testing.assert_array_equal(rnd.strategy_picks, ref.selected)
    np.testing.assert_array_equal(ref.strategy_picks, ref.selected)
    np.testing.assert_allclose(rnd.scores, ref.scores)
    assert not set(picks) & set(ref.selected.tolist())  # so the rounds really differ
    assert rnd.metrics["your_picks_percentile"] == pytest.approx(picks_percentile(rnd.scores, picks))
    assert "your_picks_percentile" not in ref.metrics
    # the next round trains on your picks: the two sessions part
    assert not np.array_equal(mine.step().labeled, theirs.step().labeled)


def test_picks_percentile_by_hand():
    s = np.array([np.nan, 0.0, 1.0, 2.0, 3.0])
    assert picks_percentile(s, [4]) == pytest.approx(87.5)  # 3 below, itself a tie: (3 + 0.5) / 4
    assert picks_percentile(s, [1, 4]) == pytest.approx((12.5 + 87.5) / 2)
    assert np.isnan(picks_percentile(s, [0]))  # not a candidate
    # the strategy's own first pick is at the top
    sess_scores = np.array([0.1, 0.9, 0.5])
    assert picks_percentile(sess_scores, [1]) > picks_percentile(sess_scores, [0])


@pytest.mark.parametrize("picks, error, match", [
    ([], ValueError, "empty"),
    ([10_000], ValueError, "not pool indices"),
    ([-1], ValueError, "not pool indices"),
    ("LABELED", ValueError, "already labeled"),
    ("REPEATED", ValueError, "more than once"),
    ([1.5], TypeError, "integer pool indices"),
    ("abc", TypeError, "sequence of pool indices"),
])
def test_refused_picks_change_nothing(toy, picks, error, match):
    s = _session(toy)
    free = np.flatnonzero(~s.labeled_mask)
    if picks == "LABELED":
        picks = [int(free[0]), int(s.labeled_indices[0])]
    elif picks == "REPEATED":
        picks = [int(free[0]), int(free[0])]
    before = _state(s)
    with pytest.raises(error, match=match):
        s.step(picks=picks)
    with pytest.raises(error, match=match):
        s.propose(picks=picks)
    after = _state(s)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_a_waiting_proposal_takes_your_picks_without_recomputing(toy):
    s = _session(toy, oracle=alviz.oracles.Human())
    free = np.flatnonzero(~s.labeled_mask)
    theirs = s.propose()
    model = s.model
    got = s.propose(picks=[int(free[3])])
    assert got.tolist() == [int(free[3])] and s.model is model  # the same round: not refitted
    assert s.pending.chosen_by == "you" and s.pending.strategy_picks.tolist() == theirs.tolist()
    assert s.propose().tolist() == got.tolist()  # no picks: the waiting ones
    with pytest.raises(ValueError, match="already labeled"):
        s.propose(picks=[int(s.labeled_indices[0])])
    assert s.pending.selected.tolist() == got.tolist()
    rnd = s.label(["1"])
    assert rnd.chosen_by == "you" and rnd.given_labels.tolist() == [1]
    # and it is what a fresh propose(picks) computes for that round
    fresh = _session(toy, oracle=alviz.oracles.Human())
    fresh.propose(picks=[int(free[3])])
    np.testing.assert_allclose(fresh.pending.scores, rnd.scores)
    assert fresh.pending.metrics["your_picks_percentile"] == rnd.metrics["your_picks_percentile"]


def test_a_round_of_your_picks_survives_save_and_load(toy, tmp_path):
    s = _session(toy, warm_start=True)
    s.step()
    free = np.flatnonzero(~s.labeled_mask)
    s.step(picks=[int(free[2]), int(free[7])])
    back = alviz.Session.load(s.save(tmp_path / "mine.alviz"))
    assert back.warm_start is True
    for a, b in zip(s.rounds, back.rounds):
        assert a.chosen_by == b.chosen_by
        np.testing.assert_array_equal(a.strategy_picks, b.strategy_picks)
        np.testing.assert_array_equal(a.selected, b.selected)
    assert back.rounds[1].metrics["your_picks_percentile"] == s.rounds[1].metrics["your_picks_percentile"]
    # and it continues (warm) exactly as the saved run
    np.testing.assert_array_equal(back.step().selected, s.step().selected)


def test_an_older_file_loads_with_its_rounds_chosen_by_the_strategy():
    back = alviz.Session.load(FIXTURE_V1)
    assert back.warm_start is False
    for rnd in back.rounds:
        assert rnd.chosen_by == "strategy"
        np.testing.assert_array_equal(rnd.strategy_picks, rnd.selected)


def _weights(model):
    return [p.detach().clone() for p in model.network_.parameters()]


def test_warm_round_starts_from_the_previous_weights(toy, monkeypatch):
    # record the network a warm fit starts from, right after the previous weights were loaded into it
    from alviz.models import TorchClassifier

    loaded = []
    load = TorchClassifier._load_weights

    def spy(self, net, init_from, n_classes):
        load(self, net, init_from, n_classes)
        loaded.append(([p.detach().clone() for p in net.parameters()], init_from))

    monkeypatch.setattr(TorchClassifier, "_load_weights", spy)
    warm, cold = _session(toy, warm_start=True), _session(toy)
    warm.step(), cold.step()
    assert loaded == []  # the first round has no previous model: from scratch
    previous = warm.model
    w0 = _weights(previous)
    warm.step(), cold.step()
    assert len(loaded) == 1 and loaded[0][1] is previous  # only the warm session started from weights
    for a, b in zip(loaded[0][0], w0):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # then it trained a tenth of the steps: moved from there, but not as far as a fresh fit is
    assert warm_steps(warm.model_template) == 6 and warm.model.steps == 6
    moved = sum(float((a - b).abs().sum()) for a, b in zip(w0, _weights(warm.model)))
    fresh = sum(float((a - b).abs().sum()) for a, b in zip(w0, _weights(cold.model)))
    assert 0 < moved < fresh
    for a, b in zip(w0, _weights(previous)):  # the previous model was not changed
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_warm_session_is_deterministic_for_a_seed(toy):
    def run(seed):
        s = _session(toy, warm_start=True, seed=seed)
        s.run(3)
        return [r.selected.tolist() for r in s.rounds], _weights(s.model)

    # a warm session's round models can be refitted exactly: each from the one before
    s = _session(toy, warm_start=True)
    s.run(3)
    for x, y in zip(_weights(s.refit()), _weights(s.model)):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    a, b, c = run(0), run(0), run(1)
    assert a[0] == b[0]
    for x, y in zip(a[1], b[1]):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    assert a[0] != c[0]


def test_warm_start_needs_a_torch_model(toy):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="warm_start=True needs an alviz torch model"):
        alviz.Session(toy, model=LogisticRegression(), warm_start=True)
    with pytest.raises(ValueError, match="warm_start"):
        alviz.Session(toy, warm_start="yes")


@pytest.mark.parametrize("kind", ["xor", "spiral"])
def test_teaching_toys(kind):
    ds = alviz.datasets.make_toy(kind, n=200, seed=3)
    assert ds.X.shape == (200, 2) and ds.is_2d and ds.n_classes == 2 and ds.name == kind
    assert abs(ds.y.mean() - 0.5) < 0.1
    again = alviz.datasets.make_toy(kind, n=200, seed=3)
    np.testing.assert_array_equal(ds.X, again.X)
    # noise is the jitter: without it the classes are cleanly apart by their rule; with more, they mix
    clean = alviz.datasets.make_toy(kind, n=400, seed=0, noise=0.0)
    loud = alviz.datasets.make_toy(kind, n=400, seed=0, noise=0.5)
    from sklearn.neighbors import KNeighborsClassifier

    def knn_acc(d):
        return KNeighborsClassifier(5).fit(d.X, d.y).score(d.X_test, d.y_test)

    assert knn_acc(clean) > 0.95 and knn_acc(loud) < knn_acc(clean) - 0.1
    # no straight line separates them
    from sklearn.linear_model import LogisticRegression

    assert LogisticRegression().fit(clean.X, clean.y).score(clean.X_test, clean.y_test) < 0.75
    with pytest.raises(ValueError, match="noise"):
        alviz.datasets.make_toy(kind, noise=-1.0)
