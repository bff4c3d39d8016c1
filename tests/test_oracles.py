"""Oracles and the human flow: Noisy's flip rate, propose()/label(), refusals that change nothing."""
import copy
import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.oracles import Human, Noisy, Simulated


@pytest.fixture(scope="module")
def digits():
    return alviz.datasets.load_digits(seed=0)


def _session(ds, oracle=None, strategy="margin", budget=10, **kw):
    return alviz.Session(ds, strategy, model=LogisticRegression(max_iter=300), initial=20, budget=budget,
                         seed=0, oracle=oracle, **kw)


def _same(a, b) -> bool:
    """Deep equality of session state (numpy arrays by value, Rounds field by field)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, alviz.Round) and isinstance(b, alviz.Round):
        return _same(vars(a), vars(b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b


def _state(session) -> dict:
    return {k: v for k, v in vars(session).items() if k not in ("cache", "model_template", "dataset", "strategy", "model")}


def test_simulated_is_the_default_and_gives_the_dataset_labels(digits):
    s = _session(digits)
    assert s.oracle == Simulated()
    rnd = s.step()
    assert np.array_equal(rnd.given_labels, digits.y[rnd.selected])
    assert rnd.metrics["label_accuracy"] == 1.0
    assert np.array_equal(s.labels[rnd.selected], digits.y[rnd.selected])


def test_noisy_mislabels_about_its_rate_and_the_model_trains_on_its_labels(digits):
    s = _session(digits, Noisy(rate=0.3), budget=20)
    s.run(5)
    given = np.concatenate([r.given_labels for r in s.rounds])
    truth = np.concatenate([digits.y[r.selected] for r in s.rounds])
    wrong = np.mean(given != truth)
    assert 0.18 <= wrong <= 0.42, wrong          # 100 picks, rate 0.3: well inside 3 standard deviations
    for r in s.rounds:  # label_accuracy is the agreement of the labels given with the dataset's
        assert r.metrics["label_accuracy"] == pytest.approx(np.mean(r.given_labels == digits.y[r.selected]))
        assert np.array_equal(s.labels[r.selected], r.given_labels)   # the training labels are the oracle's
    X, y = s._training_set()
    assert np.array_equal(y, s.labels[s.labeled_indices])
    assert np.sum(y != digits.y[s.labeled_indices]) == np.sum(given != truth)


def test_noisy_flips_always_change_the_class_and_follow_a_confusion_matrix():
    y = np.zeros(2000, dtype=np.int64)
    rng = np.random.default_rng(0)
    flipped = Noisy(rate=1.0).labels(y, np.arange(2000), 3, rng)
    assert np.all(flipped != 0) and set(np.unique(flipped)) == {1, 2}
    conf = np.array([[0, 0, 1], [1, 0, 0], [1, 0, 0]])  # a true 0 is always mistaken for a 2
    assert np.all(Noisy(rate=1.0, confusion=conf).labels(y, np.arange(2000), 3, rng) == 2)
    with pytest.raises(ValueError, match="shape"):
        Noisy(rate=0.2, confusion=np.ones((2, 2))).labels(y, np.arange(5), 3, rng)
    with pytest.raises(ValueError, match="no wrong class"):
        Noisy(rate=0.2, confusion=np.eye(3)).labels(y, np.arange(5), 3, rng)
    with pytest.raises(ValueError, match="rate"):
        alviz.Session(alviz.datasets.make_toy("blobs", n=60), oracle=Noisy(rate=1.5))


def test_noisy_is_parameters_only_and_deterministic(digits):
    o = Noisy(rate=0.25, seed=3, confusion=None)
    params = o.get_params()
    assert json.loads(json.dumps(params)) == params == {"rate": 0.25, "seed": 3, "confusion": None}
    a, b = _session(digits, Noisy(rate=0.3)), _session(digits, Noisy(rate=0.3))
    a.run(3)
    b.run(2)
    b2 = copy.deepcopy(b)  # a resumed session continues exactly as the uninterrupted one
    b2.step()
    assert np.array_equal(a.rounds[2].given_labels, b2.rounds[2].given_labels)
    assert vars(o) == {"rate": 0.25, "seed": 3, "confusion": None}  # nothing fitted, nothing stored


def test_human_step_refuses_and_points_to_propose_and_label(digits):
    s = _session(digits, Human())
    with pytest.raises(RuntimeError, match=r"propose\(\).*label\(") as exc:
        s.step()
    assert "Human" in str(exc.value)
    assert s.rounds == [] and s.pending is None
    assert _session(digits, "human").oracle == Human()


def test_propose_is_idempotent_and_label_commits_the_given_labels(digits):
    s = _session(digits, Human())
    picks = s.propose()
    pending = s.pending
    assert pending is not None and pending.given_labels is None and s.rounds == []
    again = s.propose()
    assert np.array_equal(picks, again) and s.pending is pending  # the same proposal, not recomputed
    names = digits.class_names
    labels = [names[(digits.y[i] + 1) % 10] if j % 2 else int(digits.y[i]) for j, i in enumerate(picks)]
    rnd = s.label(labels)
    expect = np.array([names.index(v) if isinstance(v, str) else v for v in labels])
    assert rnd is s.rounds[-1] and s.pending is None
    assert np.array_equal(rnd.given_labels, expect) and np.array_equal(s.labels[picks], expect)
    assert rnd.metrics["label_accuracy"] == pytest.approx(0.5)
    assert np.all(s.labeled_mask[picks])
    nxt = s.propose()
    assert not np.intersect1d(nxt, s.labeled_indices).size  # never a labeled sample again
    assert not np.intersect1d(nxt, picks).size
    assert s.pending.index == 1


@pytest.mark.parametrize("bad", [
    lambda picks, names: [0] * (len(picks) - 1),                       # one label short
    lambda picks, names: [0] * (len(picks) + 1),                       # one too many
    lambda picks, names: ["zebra"] + [0] * (len(picks) - 1),           # unknown class name
    lambda picks, names: [10] + [0] * (len(picks) - 1),                # class index out of range
    lambda picks, names: [True] + [0] * (len(picks) - 1),              # a bool is not a class
])
def test_refused_labels_leave_the_session_exactly_as_it_was(digits, bad):
    s = _session(digits, Human())
    s.label(digits.y[s.propose()])
    picks = s.propose()
    before = copy.deepcopy(_state(s))
    with pytest.raises(ValueError, match="pick"):
        s.label(bad(picks, digits.class_names))
    assert _same(_state(s), before)
    assert s.pending.given_labels is None and "label_accuracy" not in s.pending.metrics


def test_label_without_a_proposal_is_refused(digits):
    s = _session(digits, Human())
    with pytest.raises(ValueError, match="propose"):
        s.label([1, 2, 3])


def test_step_labels_a_pending_proposal_with_the_oracle(digits):
    s = _session(digits)
    picks = s.propose()
    rnd = s.step()
    assert np.array_equal(rnd.selected, picks) and len(s.rounds) == 1


def test_augmented_inputs_train_on_the_given_labels(digits):
    from alviz.strategies import QueryResult, Strategy

    class Augmenting(Strategy):
        name = "augmenting"

        def _query(self, ctx, budget, rng):
            cand = np.flatnonzero(~ctx.labeled_mask)[:budget]
            scores = np.full(len(ctx.labeled_mask), np.nan)
            scores[cand] = 1.0
            return QueryResult(cand, scores, augment_inputs=ctx.X[cand] * 0.5)

    s = _session(digits, Human(), strategy=Augmenting())
    picks = s.propose()
    s.label(np.zeros(len(picks), dtype=int))
    assert np.array_equal(s._augment_y, np.zeros(len(picks)))
    assert np.allclose(s._augment_X, digits.X[picks] * 0.5)


def test_a_person_giving_the_true_labels_reproduces_the_simulated_run(digits):
    sim = _session(digits)
    sim.run(3)
    person = _session(digits, Human())
    for _ in range(3):
        person.label(digits.y[person.propose()])
    for a, b in zip(sim.rounds, person.rounds):
        assert np.array_equal(a.selected, b.selected) and np.array_equal(a.given_labels, b.given_labels)
        assert a.metrics["accuracy"] == b.metrics["accuracy"]


def test_save_and_load_keep_the_oracle_and_a_pending_proposal(digits, tmp_path):
    s = _session(digits, Noisy(rate=0.3, seed=5))
    s.run(1)
    picks = s.propose()
    path = s.save(tmp_path / "run.alviz")
    t = alviz.Session.load(path)
    assert t.oracle == Noisy(rate=0.3, seed=5)
    assert t.pending is not None and t.pending.given_labels is None and np.array_equal(t.pending.selected, picks)
    assert np.array_equal(t.propose(), picks)
    a, b = s.step(), t.step()  # both label the pending picks with the oracle: the same labels
    assert np.array_equal(a.given_labels, b.given_labels) and np.array_equal(a.selected, b.selected)
    h = _session(digits, Human())
    h.propose()
    u = alviz.Session.load(h.save(tmp_path / "human.alviz"))
    assert u.oracle == Human() and np.array_equal(u.propose(), h.pending.selected)
